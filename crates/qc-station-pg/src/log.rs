//! The log: entries, hash tiles and head, and the sequencer that appends to them.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Mutex, MutexGuard};

use crate::client::Client;
use qc_chain::{Digest, FeedHead, SignedEntry};
use qc_log::SignedCheckpoint;
use qc_station_storage::{HeadsAndIndexes, LogHead, Sequencer, StorageError, TileId, TreeState};

use crate::{Conn, col, digest, int, pg, uint};

/// SQLSTATE of a unique violation.
const UNIQUE_VIOLATION: &str = "23505";

/// The head; `lock` takes its row for the rest of the transaction (the sequencers' turn).
pub(crate) fn read_head(c: &mut Client, lock: bool) -> Result<LogHead, StorageError> {
    let sql = if lock {
        "SELECT size, root, checkpoint, checkpoint_sig, note FROM log_head WHERE one = 1 FOR UPDATE"
    } else {
        "SELECT size, root, checkpoint, checkpoint_sig, note FROM log_head WHERE one = 1"
    };
    let row = c
        .query_opt(sql, &[])
        .map_err(pg("reading the log's head"))?
        .ok_or_else(|| StorageError::Damaged("the log's head row is missing".into()))?;
    let bytes: Option<Vec<u8>> = col(&row, 2)?;
    let signature: Option<Vec<u8>> = col(&row, 3)?;
    Ok(LogHead {
        tree: TreeState {
            size: uint(col(&row, 0)?)?,
            root: digest(col(&row, 1)?)?,
        },
        checkpoint: bytes
            .zip(signature)
            .map(|(bytes, signature)| SignedCheckpoint { bytes, signature }),
        note: col(&row, 4)?,
    })
}

/// A hash tile as stored.
pub(crate) fn read_tile(c: &mut Client, id: TileId) -> Result<Option<Vec<u8>>, StorageError> {
    let row = c
        .query_opt(
            "SELECT hashes FROM log_tiles WHERE level = $1 AND idx = $2",
            &[&i16::from(id.level), &int(id.index)?],
        )
        .map_err(pg("reading a tile"))?;
    row.map(|r| col(&r, 0)).transpose()
}

/// The hashes of the entries at log indexes `from .. to`.
pub(crate) fn entry_hashes(
    c: &mut Client,
    from: u64,
    to: u64,
) -> Result<Vec<Digest>, StorageError> {
    let clamp = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    let rows = c
        .query(
            "SELECT hash FROM log WHERE idx >= $1 AND idx < $2 ORDER BY idx",
            &[&clamp(from), &clamp(to)],
        )
        .map_err(pg("reading entry hashes"))?;
    rows.iter().map(|r| digest(col(r, 0)?)).collect()
}

/// The last entry of each of the devices `$1` (device, seq, hash), one index probe per device.
macro_rules! feed_heads_sql {
    () => {
        "SELECT d.device, l.seq, l.hash FROM UNNEST($1::TEXT[]) AS d(device)
         CROSS JOIN LATERAL (
             SELECT log.seq, log.hash FROM log WHERE log.device = d.device
             ORDER BY log.seq DESC LIMIT 1
         ) l"
    };
}

/// [`feed_heads_sql`] (with a fourth column, null) followed by the log index of each of the
/// entries `$2` in order, in its fourth column (null for one not logged): both in one snapshot.
const HEADS_THEN_INDEXES: &str = concat!(
    "SELECT * FROM (",
    feed_heads_sql!(),
    ") h CROSS JOIN (SELECT NULL::BIGINT, 0::BIGINT AS n) none
     UNION ALL
     SELECT NULL, NULL, NULL, (SELECT idx FROM log WHERE log.hash = h.hash), h.n
     FROM UNNEST($2::BYTEA[]) WITH ORDINALITY AS h(hash, n)
     ORDER BY n"
);

/// The last entry of each device's feed.
pub(crate) fn feed_heads(
    c: &mut Client,
    devices: &BTreeSet<String>,
) -> Result<BTreeMap<String, FeedHead>, StorageError> {
    let names: Vec<&str> = devices.iter().map(String::as_str).collect();
    let rows = c
        .query(feed_heads_sql!(), &[&names])
        .map_err(pg("reading feed heads"))?;
    rows.iter().map(feed_head).collect()
}

/// A row of [`feed_heads_sql`].
fn feed_head(r: &postgres::Row) -> Result<(String, FeedHead), StorageError> {
    Ok((
        col::<String>(r, 0)?,
        FeedHead {
            seq: uint(col(r, 1)?)?,
            hash: digest(col(r, 2)?)?,
        },
    ))
}

/// The feed heads of `devices`, and the log indexes of `hashes` in order, in one statement.
pub(crate) fn heads_then_indexes(
    c: &mut Client,
    devices: &BTreeSet<String>,
    hashes: &[Digest],
) -> Result<HeadsAndIndexes, StorageError> {
    let names: Vec<&str> = devices.iter().map(String::as_str).collect();
    let asked: Vec<&[u8]> = hashes.iter().map(|h| h.as_slice()).collect();
    let rows = c
        .query(HEADS_THEN_INDEXES, &[&names, &asked])
        .map_err(pg("reading feed heads and entries"))?;
    let (mut heads, mut indexes) = (BTreeMap::new(), Vec::with_capacity(hashes.len()));
    for r in &rows {
        // The heads are numbered 0, the hashes asked from 1.
        if col::<i64>(r, 4)? == 0 {
            let (device, head) = feed_head(r)?;
            heads.insert(device, head);
        } else {
            indexes.push(col::<Option<i64>>(r, 3)?.map(uint).transpose()?);
        }
    }
    Ok((heads, indexes))
}

/// The log held for appending: a pooled connection in a transaction that holds the head's row
/// lock. BEGIN, COMMIT and ROLLBACK are plain statements on the connection it owns, as a
/// `postgres::Transaction` would borrow the connection from this very struct.
pub(crate) struct PgSequencer<'a> {
    /// Queries need `&mut`, the trait's reads `&self`; a sequencer stays on one thread.
    conn: RefCell<Conn>,
    /// The head read under the lock: nothing else can change it until this sequencer ends.
    head: LogHead,
    /// The transaction may still be open (rolled back if dropped so).
    open: bool,
    /// This process's turn, taken before a connection: sequencers of one process queue here,
    /// so at most one pooled connection per process waits on the row lock and the pool stays
    /// free for other requests. Declared last: fields drop in order, so the connection is back
    /// in the pool when the next sequencer of the process wants one.
    _turn: MutexGuard<'a, ()>,
}

/// How long a sequencer may sit idle inside its transaction before the server ends its session:
/// a station process that hangs while holding the log then frees it for the others.
const IDLE_HOLD: &str = "60s";

impl<'a> PgSequencer<'a> {
    /// Waits for this process's turn, then begins a transaction on a connection from `pool`
    /// and waits for the head's row lock.
    pub(crate) fn begin(
        turn: &'a Mutex<()>,
        pool: impl FnOnce() -> Result<Conn, StorageError>,
    ) -> Result<PgSequencer<'a>, StorageError> {
        // The mutex guards no data: a panic while holding it left nothing half-done here.
        let turn = turn.lock().unwrap_or_else(|p| p.into_inner());
        let mut seq = PgSequencer {
            conn: RefCell::new(pool()?),
            head: LogHead::EMPTY,
            // Open from the start: if BEGIN passes and SET fails, the aborted transaction is
            // rolled back on drop, not handed to the pool (a ROLLBACK with none open is
            // harmless).
            open: true,
            _turn: turn,
        };
        let c = seq.conn.get_mut();
        c.batch_execute(&format!(
            "BEGIN; SET LOCAL idle_in_transaction_session_timeout = '{IDLE_HOLD}'"
        ))
        .map_err(pg("beginning an append"))?;
        // Every station process on this database appends only under this row lock: it orders
        // appends across processes, and a waiting sequencer reads the head its predecessor
        // committed (READ COMMITTED re-reads a row that changed while it waited).
        seq.head = read_head(c, true)?;
        Ok(seq)
    }
}

impl Sequencer for PgSequencer<'_> {
    fn head(&self) -> Result<LogHead, StorageError> {
        Ok(self.head.clone())
    }

    fn feed_heads(
        &self,
        devices: &BTreeSet<String>,
    ) -> Result<BTreeMap<String, FeedHead>, StorageError> {
        feed_heads(&mut self.conn.borrow_mut(), devices)
    }

    fn tile(&self, id: TileId) -> Result<Option<Vec<u8>>, StorageError> {
        read_tile(&mut self.conn.borrow_mut(), id)
    }

    fn commit(
        mut self: Box<Self>,
        entries: &[SignedEntry],
        tiles: &[(TileId, Vec<u8>)],
        head: &LogHead,
    ) -> Result<(), StorageError> {
        let first = self.head.tree.size;
        if Some(head.tree.size) != first.checked_add(entries.len() as u64) {
            return Err(StorageError::Backend(format!(
                "a head of {} entries does not follow {first} entries and {} more",
                head.tree.size,
                entries.len()
            )));
        }
        let c = self.conn.get_mut();
        insert_entries(c, first, entries)?;
        write_tiles(c, tiles)?;
        write_head(c, head)?;
        c.batch_execute("COMMIT")
            .map_err(pg("committing an append"))?;
        self.open = false;
        Ok(())
    }
}

impl Drop for PgSequencer<'_> {
    fn drop(&mut self) {
        if self.open {
            // Nothing of an uncommitted append may stay. A failed rollback means a broken
            // connection, which the pool discards rather than hands out again.
            let _ = self.conn.get_mut().batch_execute("ROLLBACK");
        }
    }
}

/// Inserts a batch of entries from log index `first` in one statement (arrays unnested by the
/// server), so a commit costs the same few round trips however many entries it holds.
fn insert_entries(c: &mut Client, first: u64, entries: &[SignedEntry]) -> Result<(), StorageError> {
    if entries.is_empty() {
        return Ok(());
    }
    let n = entries.len();
    let (mut idx, mut hash, mut device, mut seq, mut case) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    let mut actor_sigs = Vec::with_capacity(n);
    for (i, e) in (first..).zip(entries) {
        let (d_device, d_seq, d_case) = qc_station_storage::entry_place(e)?;
        idx.push(int(i)?);
        hash.push(e.hash().to_vec());
        device.push(d_device);
        seq.push(int(d_seq)?);
        case.push(d_case);
        actor_sigs.push(
            serde_json::to_vec(&e.actor_sigs)
                .map_err(|x| StorageError::Backend(format!("encoding actor signatures: {x}")))?,
        );
    }
    let entry: Vec<&[u8]> = entries.iter().map(|e| e.bytes.as_slice()).collect();
    let body: Vec<Option<&[u8]>> = entries.iter().map(|e| e.body.as_deref()).collect();
    let device_sig: Vec<&[u8]> = entries.iter().map(|e| e.device_sig.as_slice()).collect();
    c.execute(
        crate::APPEND_ENTRIES,
        &[
            &idx,
            &hash,
            &device,
            &seq,
            &case,
            &entry,
            &body,
            &device_sig,
            &actor_sigs,
        ],
    )
    .map_err(|e| match e.as_db_error() {
        // The whole batch is refused: the transaction is aborted and rolled back on drop.
        Some(db) if db.code().code() == UNIQUE_VIOLATION => StorageError::Backend(format!(
            "the batch repeats an entry the log holds: {}",
            db.detail().unwrap_or(db.message())
        )),
        _ => pg("appending entries")(e),
    })?;
    Ok(())
}

/// Writes changed tiles (whole new bytes) in one statement.
fn write_tiles(c: &mut Client, tiles: &[(TileId, Vec<u8>)]) -> Result<(), StorageError> {
    // One row per tile, the last given winning: ON CONFLICT may not touch a row twice.
    let tiles: BTreeMap<TileId, &[u8]> = tiles.iter().map(|(id, t)| (*id, t.as_slice())).collect();
    if tiles.is_empty() {
        return Ok(());
    }
    let level: Vec<i16> = tiles.keys().map(|id| i16::from(id.level)).collect();
    let idx: Vec<i64> = tiles
        .keys()
        .map(|id| int(id.index))
        .collect::<Result<_, _>>()?;
    let hashes: Vec<&[u8]> = tiles.values().copied().collect();
    c.execute(
        "INSERT INTO log_tiles (level, idx, hashes)
         SELECT * FROM UNNEST($1::SMALLINT[], $2::BIGINT[], $3::BYTEA[])
         ON CONFLICT (level, idx) DO UPDATE SET hashes = EXCLUDED.hashes",
        &[&level, &idx, &hashes],
    )
    .map_err(pg("writing tiles"))?;
    Ok(())
}

fn write_head(c: &mut Client, head: &LogHead) -> Result<(), StorageError> {
    let (bytes, signature) = head
        .checkpoint
        .as_ref()
        .map(|c| (c.bytes.as_slice(), c.signature.as_slice()))
        .unzip();
    let updated = c
        .execute(
            "UPDATE log_head SET size = $1, root = $2, checkpoint = $3, checkpoint_sig = $4,
               note = $5
             WHERE one = 1",
            &[
                &int(head.tree.size)?,
                &head.tree.root.as_slice(),
                &bytes,
                &signature,
                &head.note,
            ],
        )
        .map_err(pg("writing the log's head"))?;
    if updated != 1 {
        return Err(StorageError::Damaged(
            "the log's head row is missing".into(),
        ));
    }
    Ok(())
}
