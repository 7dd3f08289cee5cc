//! 搁置 — entries of this device the station refused (a signer revoked while the tablet was
//! offline, a case moved to another squad meanwhile), set aside by an officer so the rest of
//! the feed goes up: each one is kept whole here with who set it aside and why, and the ledger
//! keeps its head only — sent so, it keeps its place in the feed and takes no effect. The
//! case's document is set back to its state before them (kept as it was, too).

use qc_casedoc::CaseDoc;
use qc_chain::{Digest, SignedEntry};
use qc_domain::Timestamp;
use rusqlite::{OptionalExtension, params};

use crate::cases::{split_list, summarize, write_doc, write_projection};
use crate::ledger::{EntryContext, Touched, append_about, decode_row, row_to_entry};
use crate::{Store, StoreError};

/// Who sets entries aside, why and when.
#[derive(Debug, Clone)]
pub struct SetAsideNote {
    /// Why (the station's reason, in Chinese).
    pub reason: String,
    /// The person who set them aside.
    pub by: String,
    /// When.
    pub at: Timestamp,
}

/// An entry of this device as the ledger holds it: its case and place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnEntry {
    /// The case it is about (empty once set aside).
    pub case: String,
    /// Its place in the feed.
    pub seq: u64,
}

impl Store {
    /// Where `device`'s entry `hash` is in the ledger, if it is there.
    pub fn own_entry(&self, device: &str, hash: &Digest) -> Result<Option<OwnEntry>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT case_id, seq FROM ledger WHERE device = ?1 AND hash = ?2",
                params![device, hash.to_vec()],
                |r| {
                    Ok(OwnEntry {
                        case: r.get(0)?,
                        seq: r.get::<_, i64>(1)? as u64,
                    })
                },
            )
            .optional()?)
    }

    /// `device`'s last entry about `case_id` before position `seq`, if any.
    pub fn own_entry_before(
        &self,
        device: &str,
        case_id: &str,
        seq: u64,
    ) -> Result<Option<SignedEntry>, StoreError> {
        let row = self
            .conn
            .query_row(
                "SELECT entry, body, device_sig, actor_sigs FROM ledger
                 WHERE case_id = ?2 AND device = ?1 AND seq < ?3 ORDER BY seq DESC LIMIT 1",
                params![device, case_id, seq as i64],
                row_to_entry,
            )
            .optional()?;
        row.map(decode_row).transpose()
    }

    /// The heads the station acknowledged for `case_id` (hex), if it ever did.
    pub fn station_ack(&self, case_id: &str) -> Result<Option<Vec<String>>, StoreError> {
        let heads: Option<String> = self
            .conn
            .query_row(
                "SELECT heads FROM station_acks WHERE case_id = ?1",
                [case_id],
                |r| r.get(0),
            )
            .optional()?;
        Ok(heads.as_deref().map(split_list))
    }

    /// Sets aside `device`'s entries about `case_id` from position `from` on that the station
    /// has not logged, all or none: each kept whole in `set_aside`, the ledger keeping its head
    /// only, and `sign` signs the entry that says so (its records their hashes, in feed
    /// order; its heads the document's as set back). The case's document, if this device
    /// holds one, is kept as it was and becomes `doc` (its state before them), or leaves this
    /// device's list when `doc` is `None` (the case itself came with them; the station never
    /// took it). Returns how many entries were set aside.
    pub fn set_aside(
        &mut self,
        device: &str,
        (case_id, from): (&str, u64),
        doc: Option<&mut CaseDoc>,
        note: &SetAsideNote,
        sign: impl FnOnce(&EntryContext) -> Result<SignedEntry, StoreError>,
    ) -> Result<usize, StoreError> {
        let tx = self.conn.transaction()?;
        let entries: Vec<SignedEntry> = {
            let mut stmt = tx.prepare(
                "SELECT l.entry, l.body, l.device_sig, l.actor_sigs FROM ledger l
                 WHERE l.device = ?1 AND l.case_id = ?2 AND l.seq >= ?3
                   AND NOT EXISTS (SELECT 1 FROM receipts r WHERE r.entry = l.hash)
                 ORDER BY l.seq",
            )?;
            let rows = stmt.query_map(params![device, case_id, from as i64], row_to_entry)?;
            rows.map(|r| decode_row(r?)).collect::<Result<_, _>>()?
        };
        let mut hashes: Vec<Digest> = Vec::new();
        for e in &entries {
            // An earlier setting aside set aside in turn (its signer refused too): the entries
            // it named are named again, or nothing would name them.
            if let Ok(x) = e.entry()
                && x.action == qc_chain::Action::EntriesSetAside
            {
                for r in x.records {
                    if !hashes.contains(&r) {
                        hashes.push(r);
                    }
                }
            }
            hashes.push(e.hash());
        }
        if hashes.is_empty() {
            return Ok(0);
        }
        let moved = tx.execute(
            "INSERT INTO set_aside(hash, device, seq, case_id, body, actor_sigs, reason, by_person,
               at)
             SELECT l.hash, l.device, l.seq, l.case_id, l.body, l.actor_sigs, ?4, ?5, ?6
             FROM ledger l
             WHERE l.device = ?1 AND l.case_id = ?2 AND l.seq >= ?3
               AND NOT EXISTS (SELECT 1 FROM receipts r WHERE r.entry = l.hash)",
            params![
                device,
                case_id,
                from as i64,
                note.reason,
                note.by,
                note.at.0
            ],
        )?;
        tx.execute(
            "UPDATE ledger SET case_id = '', body = NULL, actor_sigs = '[]'
             WHERE device = ?1 AND case_id = ?2 AND seq >= ?3
               AND hash IN (SELECT hash FROM set_aside)",
            params![device, case_id, from as i64],
        )?;
        let held: Option<Vec<u8>> = tx
            .query_row(
                "SELECT doc FROM case_docs WHERE case_id = ?1",
                [case_id],
                |r| r.get(0),
            )
            .optional()?;
        let mut heads = Vec::new();
        if let Some(held) = held {
            tx.execute(
                "INSERT OR REPLACE INTO set_aside_docs(case_id, at, doc) VALUES (?1, ?2, ?3)",
                params![case_id, note.at.0, held],
            )?;
            match doc {
                Some(doc) => {
                    let summary = summarize(doc, &self.catalogue, &self.policy)?;
                    write_doc(&tx, doc, summary.updated_at)?;
                    write_projection(&tx, &summary)?;
                    heads = doc.heads_digests();
                }
                None => {
                    for table in [
                        "case_deadlines",
                        "case_index",
                        "station_acks",
                        "station_outside",
                        "case_docs",
                    ] {
                        tx.execute(
                            &format!("DELETE FROM {table} WHERE case_id = ?1"),
                            [case_id],
                        )?;
                    }
                }
            }
        }
        let touched = Touched {
            blobs: Vec::new(),
            records: hashes,
        };
        append_about(&tx, device, (case_id.to_owned(), heads), touched, sign)?;
        tx.commit()?;
        Ok(moved)
    }

    /// Where the case `case_id` held here happened (its address, as listed), if it is held.
    pub fn case_address(&self, case_id: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT address FROM case_index WHERE case_id = ?1",
                [case_id],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// How many entries about `case_id` this device set aside, and the latest reason.
    pub fn set_aside_about(&self, case_id: &str) -> Result<(u64, Option<String>), StoreError> {
        Ok(self.conn.query_row(
            "SELECT count(*), (SELECT reason FROM set_aside WHERE case_id = ?1 ORDER BY at DESC
               LIMIT 1) FROM set_aside WHERE case_id = ?1",
            [case_id],
            |r| Ok((r.get::<_, i64>(0)? as u64, r.get(1)?)),
        )?)
    }
}
