//! Evidence blobs' rows (declared size, upload attempt, whether kept, cases) in PostgreSQL; their
//! bytes are in an [`Evidence`](qc_station_evidence::Evidence) store (an object store shared by
//! every station process, S3, or a local directory) and the rules of an upload in
//! [`qc_station_storage::Blobs`].

use qc_chain::Digest;
use qc_station_storage::{BlobRows, StorageError, upload_started};

use crate::{PgStorage, col, digest, int, pg, uint};

impl BlobRows for PgStorage {
    fn blob_row(&self, hash: &Digest) -> Result<Option<(u64, bool)>, StorageError> {
        let row = self
            .sync_conn()?
            .query_opt(
                "SELECT size, complete FROM blobs WHERE hash = $1 AND NOT deleting",
                &[&hash.as_slice()],
            )
            .map_err(pg("reading a blob's state"))?;
        row.map(|row| Ok((uint(col(&row, 0)?)?, col(&row, 1)?)))
            .transpose()
    }

    fn start_blob_row(&self, hash: &Digest, size: u64) -> Result<(), StorageError> {
        let started = self
            .sync_conn()?
            .execute(
                "INSERT INTO blobs (hash, size, attempt) VALUES ($1, $2, 0)
                 ON CONFLICT (hash) DO UPDATE SET size = EXCLUDED.size,
                   attempt = blobs.attempt + 1, complete = false
                 WHERE NOT blobs.deleting",
                &[&hash.as_slice(), &int(size)?],
            )
            .map_err(pg("starting a blob upload"))?;
        upload_started(started)
    }

    fn mark_blob_kept(&self, hash: &Digest, case: Option<&str>) -> Result<(), StorageError> {
        let mut conn = self.sync_conn()?;
        let kept = match case {
            None => conn.execute(
                "UPDATE blobs SET complete = true WHERE hash = $1 AND NOT deleting",
                &[&hash.as_slice()],
            ),
            // One statement: the update holds the row as `link` does, so a deletion waits,
            // or came first and nothing is linked.
            Some(case) => conn
                .query_opt(
                    "WITH kept AS (
                       UPDATE blobs SET complete = true WHERE hash = $1 AND NOT deleting
                       RETURNING hash
                     ), linked AS (
                       INSERT INTO blob_cases (hash, case_id) SELECT hash, $2 FROM kept
                       ON CONFLICT DO NOTHING
                     ), cleared AS (
                       DELETE FROM pending_blobs
                       WHERE hash = $1 AND case_id = $2 AND EXISTS (SELECT 1 FROM kept)
                     )
                     SELECT count(*) FROM kept",
                    &[&hash.as_slice(), &case],
                )
                .and_then(|row| row.map_or(Ok(0), |r| r.try_get::<_, i64>(0)))
                .map(|n| n.unsigned_abs()),
        }
        .map_err(pg("recording a blob kept"))?;
        upload_started(kept)
    }

    fn forget_blob_row(&self, hash: &Digest) -> Result<(), StorageError> {
        self.conn()?
            .execute(
                "DELETE FROM blobs WHERE hash = $1 AND NOT deleting",
                &[&hash.as_slice()],
            )
            .map_err(pg("forgetting a blob that did not match"))?;
        Ok(())
    }

    fn unkept_blob_rows(&self) -> Result<Vec<Digest>, StorageError> {
        hashes(
            self,
            "SELECT hash FROM blobs WHERE NOT complete AND NOT deleting ORDER BY hash",
        )
    }

    fn unlink_blob_row(&self, hash: &Digest, case: &str) -> Result<bool, StorageError> {
        // The row locked for the whole transaction: a link or a new upload of the blob waits
        // for it, then finds it being deleted.
        self.conn()?
            .in_transaction(|c| {
                c.query_opt(
                    "SELECT 1 FROM blobs WHERE hash = $1 FOR UPDATE",
                    &[&hash.as_slice()],
                )?;
                c.execute(
                    "DELETE FROM blob_cases WHERE hash = $1 AND case_id = $2",
                    &[&hash.as_slice(), &case],
                )?;
                let left: i64 = c
                    .query_opt(
                        "SELECT count(*) FROM blob_cases WHERE hash = $1",
                        &[&hash.as_slice()],
                    )?
                    .map_or(0, |r| r.get(0));
                let marked = left == 0
                    && c.execute(
                        "UPDATE blobs SET deleting = true, complete = false
                     WHERE hash = $1 AND NOT deleting",
                        &[&hash.as_slice()],
                    )? == 1;
                Ok(marked)
            })
            .map_err(pg("unlinking a blob from a case"))
    }

    fn deleting_blob_rows(&self) -> Result<Vec<Digest>, StorageError> {
        hashes(self, "SELECT hash FROM blobs WHERE deleting ORDER BY hash")
    }

    fn finish_deleting(
        &self,
        hash: &Digest,
        remove: &mut dyn FnMut() -> Result<(), StorageError>,
    ) -> Result<bool, StorageError> {
        // The row locked while the bytes go: an upload of the blob (which writes its row
        // first) waits until the row is gone, then starts afresh.
        let mut c = self.conn()?;
        let failed = || pg("finishing a blob's deletion");
        c.batch_execute("BEGIN").map_err(failed())?;
        let done = (|| {
            let held = c
                .query_opt(
                    "SELECT 1 FROM blobs WHERE hash = $1 AND deleting FOR UPDATE",
                    &[&hash.as_slice()],
                )
                .map_err(failed())?;
            if held.is_none() {
                return Ok(false);
            }
            remove()?;
            c.execute(
                "WITH gone AS (DELETE FROM blobs WHERE hash = $1 AND deleting RETURNING hash)
                 INSERT INTO deleted_blobs (hash, at)
                 SELECT hash, (extract(epoch FROM clock_timestamp()) * 1000)::BIGINT FROM gone
                 ON CONFLICT (hash) DO UPDATE SET at = EXCLUDED.at",
                &[&hash.as_slice()],
            )
            .map_err(failed())?;
            c.batch_execute("COMMIT").map_err(failed())?;
            Ok(true)
        })();
        if !matches!(done, Ok(true)) {
            let _ = c.batch_execute("ROLLBACK");
        }
        done
    }

    fn claim_stray(&self, hash: &Digest) -> Result<bool, StorageError> {
        // A row a deletion holds is waited for; gone when it commits, the insert is made.
        let claimed = self
            .conn()?
            .execute(
                "INSERT INTO blobs (hash, size, attempt, deleting) VALUES ($1, 0, 0, true)
                 ON CONFLICT (hash) DO UPDATE SET deleting = true WHERE blobs.deleting",
                &[&hash.as_slice()],
            )
            .map_err(pg("claiming a deleted blob's stray bytes"))?;
        Ok(claimed == 1)
    }
}

/// The blobs a query of their hashes lists.
fn hashes(s: &PgStorage, sql: &str) -> Result<Vec<Digest>, StorageError> {
    let rows = s.conn()?.query(sql, &[]).map_err(pg("listing blobs"))?;
    rows.iter().map(|r| digest(col(r, 0)?)).collect()
}

pub(crate) fn link(s: &PgStorage, hash: &Digest, case: &str) -> Result<(), StorageError> {
    // The blob's row held while linking: a deletion (which locks it to update) waits, or came
    // first and the blob is no longer kept.
    // Not kept: nothing was written, and the transaction's end lets the row go either way.
    let linked = s.sync_conn()?.in_transaction(|c| {
        let kept = c
            .query_opt(
                "SELECT complete FROM blobs WHERE hash = $1 FOR SHARE",
                &[&hash.as_slice()],
            )?
            .is_some_and(|r| r.get::<_, bool>(0));
        if kept {
            c.execute(
                "INSERT INTO blob_cases (hash, case_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                &[&hash.as_slice(), &case],
            )?;
        }
        Ok(kept)
    });
    match linked.map_err(pg("linking a blob to a case"))? {
        true => Ok(()),
        false => Err(StorageError::Backend("the blob is not kept".into())),
    }
}

pub(crate) fn in_case(s: &PgStorage, hash: &Digest, case: &str) -> Result<bool, StorageError> {
    s.sync_conn()?
        .query_opt(
            "SELECT 1 FROM blob_cases WHERE hash = $1 AND case_id = $2",
            &[&hash.as_slice(), &case],
        )
        .map(|r| r.is_some())
        .map_err(pg("reading a blob's cases"))
}
