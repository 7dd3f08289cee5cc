//! The device feed as stored: signed entries, appended only together with the change they record.

use std::collections::BTreeMap;

use qc_casedoc::CaseDoc;
use qc_chain::{Digest, FeedHead, SignedEntry};
use rusqlite::{OptionalExtension, Transaction, params};

use crate::{Store, StoreError};

/// The evidence files and record digests a change touched: its entry must name exactly these.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Touched {
    /// Blob hashes.
    pub blobs: Vec<Digest>,
    /// Record (or evidence facts) digests.
    pub records: Vec<Digest>,
}

/// What the signer of a change is told: the document's heads after the change, where the
/// device's feed stands, and what the change touched.
#[derive(Debug, Clone)]
pub struct EntryContext {
    /// The case.
    pub case_id: String,
    /// Automerge heads after the change, sorted.
    pub heads: Vec<Digest>,
    /// The device feed's head before this entry.
    pub head: FeedHead,
    /// Blobs and records the change touched.
    pub touched: Touched,
}

fn head_in(tx: &Transaction<'_>, device: &str) -> Result<FeedHead, StoreError> {
    Ok(tx
        .query_row(
            "SELECT seq, hash FROM ledger WHERE device = ?1 ORDER BY seq DESC LIMIT 1",
            [device],
            |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?)),
        )
        .optional()?
        .map(|(seq, hash)| FeedHead {
            seq: seq as u64,
            hash: hash.try_into().unwrap_or([0; 32]),
        })
        .unwrap_or_default())
}

/// Signs and appends the entry for a change inside the change's transaction, after checking that
/// it is the device's next entry and commits to the document as changed.
pub(crate) fn append_in(
    tx: &Transaction<'_>,
    device: &str,
    doc: &mut CaseDoc,
    touched: Touched,
    sign: impl FnOnce(&EntryContext) -> Result<SignedEntry, StoreError>,
) -> Result<(), StoreError> {
    append_about(
        tx,
        device,
        (doc.id()?.0, doc.heads_digests()),
        touched,
        sign,
    )
}

/// [`append_in`] for an entry about `case_id` whose document, if any, is at `heads`.
pub(crate) fn append_about(
    tx: &Transaction<'_>,
    device: &str,
    (case_id, heads): (String, Vec<Digest>),
    touched: Touched,
    sign: impl FnOnce(&EntryContext) -> Result<SignedEntry, StoreError>,
) -> Result<(), StoreError> {
    let ctx = EntryContext {
        case_id: case_id.clone(),
        heads,
        head: head_in(tx, device)?,
        touched,
    };
    let signed = sign(&ctx)?;
    let e = signed
        .entry()
        .map_err(|e| StoreError::Malformed(e.to_string()))?;
    let refuse = |why: &str| Err(StoreError::Malformed(format!("entry refused: {why}")));
    if e.device != device {
        return refuse("wrong device");
    }
    if e.seq != ctx.head.seq + 1 || e.prev != ctx.head.hash {
        return refuse("does not follow the device feed");
    }
    if e.case != case_id || e.heads != ctx.heads {
        return refuse("does not commit to this change");
    }
    if e.blobs != ctx.touched.blobs || e.records != ctx.touched.records {
        return refuse("does not name the blobs and records the change touched");
    }
    insert_entry(tx, &signed, &e.device, e.seq, &e.case)
}

/// What is held at place `seq` of `device`'s feed: the entry's hash and whether only its
/// head is held.
fn held_at(
    conn: &rusqlite::Connection,
    device: &str,
    seq: u64,
) -> Result<Option<(Vec<u8>, bool)>, StoreError> {
    let mut stmt = conn
        .prepare_cached("SELECT hash, case_id = '' FROM ledger WHERE device = ?1 AND seq = ?2")?;
    let seq = i64::try_from(seq).unwrap_or(i64::MAX);
    Ok(stmt
        .query_row(params![device, seq], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?)
}

/// Keeps another device's entry (brought by a merge). The same entry again is a no-op, or
/// fills in the body of one held elided; a different one at the same position is refused as
/// a fork.
pub(crate) fn insert_foreign(tx: &Transaction<'_>, signed: &SignedEntry) -> Result<(), StoreError> {
    let malformed = |e: qc_chain::ChainError| StoreError::Malformed(e.to_string());
    let head = signed.head().map_err(malformed)?;
    // Whole entries are read through, so a body that is not the head's is refused here too.
    let case = if signed.is_elided() {
        String::new()
    } else {
        signed.entry().map_err(malformed)?.case
    };
    match held_at(tx, &head.device, head.seq)? {
        Some((h, elided)) if h == signed.hash() => {
            if elided && !case.is_empty() {
                tx.execute(
                    "UPDATE ledger SET case_id = ?3, body = ?4, actor_sigs = ?5
                     WHERE device = ?1 AND seq = ?2",
                    params![
                        head.device,
                        head.seq as i64,
                        case,
                        signed.body,
                        actor_sigs_json(signed)?
                    ],
                )?;
            }
            Ok(())
        }
        Some(_) => Err(StoreError::Malformed(format!(
            "device {} has two different entries at {} (fork); nothing merged",
            head.device, head.seq
        ))),
        None => insert_entry(tx, signed, &head.device, head.seq, &case),
    }
}

fn actor_sigs_json(signed: &SignedEntry) -> Result<String, StoreError> {
    let sigs: Vec<String> = signed.actor_sigs.iter().map(hex::encode).collect();
    serde_json::to_string(&sigs).map_err(|e| StoreError::Malformed(e.to_string()))
}

fn insert_entry(
    tx: &Transaction<'_>,
    signed: &SignedEntry,
    device: &str,
    seq: u64,
    case: &str,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO ledger(device, seq, hash, case_id, entry, body, device_sig, actor_sigs)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            device,
            seq as i64,
            signed.hash().to_vec(),
            case,
            signed.bytes,
            signed.body,
            signed.device_sig,
            actor_sigs_json(signed)?
        ],
    )?;
    Ok(())
}

pub(crate) type Row = (Vec<u8>, Option<Vec<u8>>, Vec<u8>, String);

pub(crate) fn row_to_entry(r: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
}

pub(crate) fn decode_row((bytes, body, device_sig, sigs): Row) -> Result<SignedEntry, StoreError> {
    let hexes: Vec<String> =
        serde_json::from_str(&sigs).map_err(|e| StoreError::Malformed(e.to_string()))?;
    let actor_sigs = hexes
        .iter()
        .map(hex::decode)
        .collect::<Result<_, _>>()
        .map_err(|e| StoreError::Malformed(e.to_string()))?;
    Ok(SignedEntry {
        bytes,
        body,
        device_sig,
        actor_sigs,
    })
}

impl Store {
    /// Signs and appends an entry about `id`, something other than a case (a random
    /// inspection's draw), which has no document here: the entry commits to no heads.
    pub fn append_act(
        &mut self,
        id: &str,
        device: &str,
        touched: Touched,
        sign: impl FnOnce(&EntryContext) -> Result<SignedEntry, StoreError>,
    ) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        append_about(&tx, device, (id.to_owned(), Vec::new()), touched, sign)?;
        tx.commit()?;
        Ok(())
    }

    /// Entries held here (any device's) that the base station has not given a receipt for,
    /// device by device in feed order: what the next sync uploads. Other devices' elided
    /// entries (empty `case_id`) came from the station and cannot go back whole; this
    /// `device`'s own are those it set aside, which go up so.
    pub fn entries_without_receipt(&self, device: &str) -> Result<Vec<SignedEntry>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT l.entry, l.body, l.device_sig, l.actor_sigs FROM ledger l
             WHERE NOT EXISTS (SELECT 1 FROM receipts r WHERE r.entry = l.hash)
               AND (l.case_id <> '' OR l.device = ?1)
             ORDER BY l.device, l.seq",
        )?;
        let rows = stmt.query_map([device], row_to_entry)?;
        rows.map(|r| decode_row(r?)).collect()
    }

    /// Keeps receipts (JSON) by entry hash, all or none. A receipt already held is kept.
    pub fn put_receipts(&mut self, receipts: &[(Digest, String)]) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        for (entry, receipt) in receipts {
            tx.execute(
                "INSERT OR IGNORE INTO receipts(entry, receipt) VALUES (?1, ?2)",
                params![entry.to_vec(), receipt],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// The receipt (JSON) for an entry, if the base station gave one.
    pub fn receipt(&self, entry: &Digest) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT receipt FROM receipts WHERE entry = ?1",
                [entry.to_vec()],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Number of entries on all feeds held here.
    pub fn ledger_len(&self) -> Result<u64, StoreError> {
        let n: i64 = self
            .conn
            .query_row("SELECT count(*) FROM ledger", [], |r| r.get(0))?;
        Ok(n as u64)
    }

    /// The feeds of every device that touched the case, each from its first entry up to its last
    /// entry about the case (so the hash links can be checked), device by device in feed order.
    pub fn feeds_for_case(&self, case_id: &str) -> Result<Vec<SignedEntry>, StoreError> {
        self.feeds_through(case_id, None)
    }

    /// What a bundle of the case holds once `device` appends its export entry:
    /// [`Self::feeds_for_case`], with `device`'s feed up to its head (its entries after its last
    /// one about the case come before the export).
    pub fn feeds_for_export(
        &self,
        case_id: &str,
        device: &str,
    ) -> Result<Vec<SignedEntry>, StoreError> {
        self.feeds_through(case_id, Some(device))
    }

    /// The last entry held of each feed, this device's own included: what a sync tells the
    /// station, so each feed goes down on from there. Every feed here is held from its first
    /// entry on, with no gap (appended in order, or brought by a merge that checked it
    /// continues what was held).
    pub fn feeds_held(&self) -> Result<BTreeMap<String, FeedHead>, StoreError> {
        // One look-up of the key per device, not a read of the whole ledger.
        let mut stmt = self.conn.prepare_cached(
            "WITH RECURSIVE d(device) AS (
               SELECT min(device) FROM ledger
               UNION ALL
               SELECT (SELECT min(device) FROM ledger WHERE device > d.device) FROM d
               WHERE d.device IS NOT NULL)
             SELECT l.device, l.seq, l.hash FROM d
             JOIN ledger l ON l.device = d.device
               AND l.seq = (SELECT max(seq) FROM ledger WHERE device = d.device)",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, Vec<u8>>(2)?,
            ))
        })?;
        rows.map(|r| {
            let (device, seq, hash) = r?;
            let hash = hash
                .try_into()
                .map_err(|_| StoreError::Malformed(format!("a hash of {device}'s feed")))?;
            let seq = u64::try_from(seq).unwrap_or_default();
            Ok((device, FeedHead { seq, hash }))
        })
        .collect()
    }

    /// What is held at each place (device, seq) of a feed: the entry's hash and whether only
    /// its head is held; none where nothing is.
    pub fn held_at(
        &self,
        places: &[(String, u64)],
    ) -> Result<Vec<Option<(Digest, bool)>>, StoreError> {
        places
            .iter()
            .map(|(device, seq)| {
                held_at(&self.conn, device, *seq)?
                    .map(|(hash, elided)| {
                        let hash: Digest = hash.try_into().map_err(|_| {
                            StoreError::Malformed(format!("a hash of {device}'s feed"))
                        })?;
                        Ok((hash, elided))
                    })
                    .transpose()
            })
            .collect()
    }

    /// How many entries of desks (reviews, exports) this device holds about each case, cases
    /// with none left out: what a sync tells the station (a desk act changes no document).
    pub fn desk_acts_held(&self) -> Result<BTreeMap<String, u64>, StoreError> {
        // Read by the ledger's key; an elided entry (no case) left out.
        let mut stmt = self.conn.prepare_cached(
            "SELECT case_id, count(*) FROM ledger
             WHERE device >= ?1 AND device < ?2 AND case_id <> '' GROUP BY case_id",
        )?;
        let (from, to) = desk_devices();
        let rows = stmt.query_map(params![from, to], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
        })?;
        rows.map(|r| {
            let (case, n) = r?;
            Ok((case, u64::try_from(n).unwrap_or_default()))
        })
        .collect()
    }

    /// The entries held here about `case_id`, device by device in feed order (without the
    /// rest of their feeds: see [`Self::feeds_for_case`] for what a verifier needs).
    pub fn case_entries(&self, case_id: &str) -> Result<Vec<SignedEntry>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT entry, body, device_sig, actor_sigs FROM ledger
             WHERE case_id = ?1 ORDER BY device, seq",
        )?;
        let rows = stmt.query_map(params![case_id], row_to_entry)?;
        rows.map(|r| decode_row(r?)).collect()
    }

    /// The entries of desks held here (reviews, exports at the bureau) about `case_id`, or
    /// about any case, desk by desk in feed order.
    pub fn desk_entries(&self, case_id: Option<&str>) -> Result<Vec<SignedEntry>, StoreError> {
        let (from, to) = desk_devices();
        let mut stmt = match case_id {
            Some(_) => self.conn.prepare_cached(
                "SELECT entry, body, device_sig, actor_sigs FROM ledger
                 WHERE case_id = ?3 AND device >= ?1 AND device < ?2 ORDER BY device, seq",
            )?,
            // By the ledger's key; an elided entry (no case) left out.
            None => self.conn.prepare_cached(
                "SELECT entry, body, device_sig, actor_sigs FROM ledger
                 WHERE device >= ?1 AND device < ?2 AND case_id <> '' AND ?3 IS NULL
                 ORDER BY device, seq",
            )?,
        };
        let rows = stmt.query_map(params![from, to, case_id], row_to_entry)?;
        rows.map(|r| decode_row(r?)).collect()
    }

    fn feeds_through(
        &self,
        case_id: &str,
        device: Option<&str>,
    ) -> Result<Vec<SignedEntry>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT l.entry, l.body, l.device_sig, l.actor_sigs FROM ledger l
             JOIN (SELECT device, max(seq) AS last FROM ledger
                   WHERE case_id = ?1 OR device = ?2 GROUP BY device) t
               ON l.device = t.device AND l.seq <= t.last
             ORDER BY l.device, l.seq",
        )?;
        let rows = stmt.query_map(params![case_id, device], row_to_entry)?;
        rows.map(|r| decode_row(r?)).collect()
    }
}

/// The range of desk devices' ids: every id that begins with `qc_chain::DESK_DEVICE_PREFIX`.
fn desk_devices() -> (String, String) {
    let prefix = qc_chain::DESK_DEVICE_PREFIX;
    let mut end = prefix.as_bytes().to_vec();
    // The prefix ends in '-'; the next byte bounds every id that begins with it.
    if let Some(last) = end.last_mut() {
        *last += 1;
    }
    (
        prefix.to_owned(),
        String::from_utf8_lossy(&end).into_owned(),
    )
}
