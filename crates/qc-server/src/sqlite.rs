//! The default backend: one SQLCipher file (encrypted at rest, WAL, `synchronous=FULL`).

use std::collections::BTreeMap;
use std::path::Path;

use qc_chain::{Digest, FeedHead, SignedEntry};
use qc_domain::Timestamp;
use qc_identity::SignedCertificate;
use qc_log::SignedCheckpoint;
use rusqlite::{Connection, OptionalExtension, params};

use crate::storage::{Storage, StorageError};

/// Schema migrations, append-only: never edit a released one.
const MIGRATIONS: &[&str] = &[
    r#"
    CREATE TABLE log (
        idx        INTEGER PRIMARY KEY,
        hash       BLOB NOT NULL UNIQUE,
        device     TEXT NOT NULL,
        seq        INTEGER NOT NULL,
        case_id    TEXT NOT NULL,
        entry      BLOB NOT NULL,
        device_sig BLOB NOT NULL,
        actor_sigs BLOB NOT NULL,
        UNIQUE (device, seq)
    ) STRICT;
    CREATE INDEX log_case ON log(case_id, idx);
    CREATE TABLE checkpoint (
        one       INTEGER PRIMARY KEY CHECK (one = 1),
        bytes     BLOB NOT NULL,
        signature BLOB NOT NULL
    ) STRICT;
    CREATE TABLE enrolment_codes (
        hash    BLOB PRIMARY KEY,
        squad   TEXT NOT NULL,
        expires INTEGER NOT NULL,
        used    INTEGER NOT NULL DEFAULT 0
    ) STRICT;
    CREATE TABLE devices (
        id        TEXT PRIMARY KEY,
        cert      BLOB NOT NULL,
        signature BLOB NOT NULL
    ) STRICT;
"#,
    r#"
    CREATE TABLE case_docs (
        case_id TEXT PRIMARY KEY,
        squad   TEXT NOT NULL,
        doc     BLOB NOT NULL
    ) STRICT;
    CREATE INDEX case_docs_squad ON case_docs(squad);
"#,
];

fn err(e: impl std::fmt::Display) -> StorageError {
    StorageError::Backend(e.to_string())
}

/// The base station's SQLite store.
pub struct SqliteStorage {
    conn: Connection,
}

impl SqliteStorage {
    /// Opens (creating if missing) the store at `path`, encrypted with `key`.
    pub fn open(path: &Path, key: &[u8; 32]) -> Result<SqliteStorage, StorageError> {
        let conn = Connection::open(path).map_err(err)?;
        conn.execute_batch(&format!("PRAGMA key = \"x'{}'\";", hex::encode(key)))
            .map_err(err)?;
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|_| {
                StorageError::Damaged(format!(
                    "{}: wrong key or not a server store",
                    path.display()
                ))
            })?;
        let known = MIGRATIONS.len() as i64;
        if version > known {
            return Err(StorageError::Damaged(format!(
                "schema {version} is newer than this server ({known})"
            )));
        }
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000;",
        )
        .map_err(err)?;
        for (i, m) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            conn.execute_batch(&format!(
                "BEGIN; {m} PRAGMA user_version = {}; COMMIT;",
                i + 1
            ))
            .map_err(err)?;
        }
        Ok(SqliteStorage { conn })
    }

    /// An in-memory store (tests, benchmarks).
    pub fn in_memory() -> Result<SqliteStorage, StorageError> {
        let conn = Connection::open_in_memory().map_err(err)?;
        for m in MIGRATIONS {
            conn.execute_batch(m).map_err(err)?;
        }
        Ok(SqliteStorage { conn })
    }
}

fn digest(b: Vec<u8>) -> Result<Digest, StorageError> {
    b.try_into()
        .map_err(|_| StorageError::Damaged("a stored hash is not 32 bytes".into()))
}

fn entry_from(
    bytes: Vec<u8>,
    device_sig: Vec<u8>,
    sigs: Vec<u8>,
) -> Result<SignedEntry, StorageError> {
    let actor_sigs: Vec<Vec<u8>> =
        serde_json::from_slice(&sigs).map_err(|e| StorageError::Damaged(e.to_string()))?;
    Ok(SignedEntry {
        bytes,
        device_sig,
        actor_sigs,
    })
}

impl Storage for SqliteStorage {
    fn log_leaves(&self) -> Result<Vec<Digest>, StorageError> {
        let mut stmt = self
            .conn
            .prepare("SELECT hash FROM log ORDER BY idx")
            .map_err(err)?;
        let rows = stmt
            .query_map([], |r| r.get::<_, Vec<u8>>(0))
            .map_err(err)?;
        rows.map(|r| digest(r.map_err(err)?)).collect()
    }

    fn feed_heads(&self) -> Result<BTreeMap<String, FeedHead>, StorageError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT l.device, l.seq, l.hash FROM log l
                 JOIN (SELECT device, max(seq) AS s FROM log GROUP BY device) m
                   ON l.device = m.device AND l.seq = m.s",
            )
            .map_err(err)?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, Vec<u8>>(2)?,
                ))
            })
            .map_err(err)?;
        let mut out = BTreeMap::new();
        for r in rows {
            let (device, seq, hash) = r.map_err(err)?;
            out.insert(
                device,
                FeedHead {
                    seq: seq as u64,
                    hash: digest(hash)?,
                },
            );
        }
        Ok(out)
    }

    fn append_entries(&mut self, entries: &[SignedEntry]) -> Result<(), StorageError> {
        let tx = self.conn.transaction().map_err(err)?;
        for e in entries {
            let d = e
                .entry()
                .map_err(|x| StorageError::Damaged(x.to_string()))?;
            let sigs = serde_json::to_vec(&e.actor_sigs).map_err(err)?;
            tx.execute(
                "INSERT INTO log(hash, device, seq, case_id, entry, device_sig, actor_sigs)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    e.hash().to_vec(),
                    d.device,
                    d.seq as i64,
                    d.case,
                    e.bytes,
                    e.device_sig,
                    sigs
                ],
            )
            .map_err(err)?;
        }
        tx.commit().map_err(err)
    }

    fn entry_index(&self, hash: &Digest) -> Result<Option<u64>, StorageError> {
        // Log indexes count from 0; SQLite's rowids from 1.
        self.conn
            .query_row(
                "SELECT idx - 1 FROM log WHERE hash = ?1",
                [hash.to_vec()],
                |r| r.get::<_, i64>(0),
            )
            .optional()
            .map(|o| o.map(|i| i as u64))
            .map_err(err)
    }

    fn case_entries(&self, case: &str) -> Result<Vec<SignedEntry>, StorageError> {
        self.entries(
            "SELECT entry, device_sig, actor_sigs FROM log WHERE case_id = ?1 ORDER BY idx",
            case,
        )
    }

    fn feeds_for_case(&self, case: &str) -> Result<Vec<SignedEntry>, StorageError> {
        self.entries(
            "SELECT l.entry, l.device_sig, l.actor_sigs FROM log l
             JOIN (SELECT device, max(seq) AS last FROM log WHERE case_id = ?1 GROUP BY device) t
               ON l.device = t.device AND l.seq <= t.last
             ORDER BY l.device, l.seq",
            case,
        )
    }

    fn case_doc(&self, case: &str) -> Result<Option<(String, Vec<u8>)>, StorageError> {
        self.conn
            .query_row(
                "SELECT squad, doc FROM case_docs WHERE case_id = ?1",
                [case],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(err)
    }

    fn put_case_doc(&mut self, case: &str, squad: &str, doc: &[u8]) -> Result<(), StorageError> {
        self.conn
            .execute(
                "INSERT INTO case_docs(case_id, squad, doc) VALUES (?1, ?2, ?3)
                 ON CONFLICT(case_id) DO UPDATE SET squad = excluded.squad, doc = excluded.doc",
                params![case, squad, doc],
            )
            .map(drop)
            .map_err(err)
    }

    fn squad_cases(&self, squad: &str) -> Result<Vec<String>, StorageError> {
        let mut stmt = self
            .conn
            .prepare("SELECT case_id FROM case_docs WHERE squad = ?1 ORDER BY case_id")
            .map_err(err)?;
        let rows = stmt
            .query_map([squad], |r| r.get::<_, String>(0))
            .map_err(err)?;
        rows.map(|r| r.map_err(err)).collect()
    }

    fn put_checkpoint(&mut self, c: &SignedCheckpoint) -> Result<(), StorageError> {
        self.conn
            .execute(
                "INSERT INTO checkpoint(one, bytes, signature) VALUES (1, ?1, ?2)
                 ON CONFLICT(one) DO UPDATE SET bytes = excluded.bytes, signature = excluded.signature",
                params![c.bytes, c.signature],
            )
            .map(drop)
            .map_err(err)
    }

    fn checkpoint(&self) -> Result<Option<SignedCheckpoint>, StorageError> {
        self.conn
            .query_row("SELECT bytes, signature FROM checkpoint", [], |r| {
                Ok(SignedCheckpoint {
                    bytes: r.get(0)?,
                    signature: r.get(1)?,
                })
            })
            .optional()
            .map_err(err)
    }

    fn add_enrolment_code(
        &mut self,
        code: &Digest,
        squad: &str,
        expires: Timestamp,
    ) -> Result<(), StorageError> {
        self.conn
            .execute(
                "INSERT INTO enrolment_codes(hash, squad, expires) VALUES (?1, ?2, ?3)",
                params![code.to_vec(), squad, expires.0],
            )
            .map(drop)
            .map_err(err)
    }

    fn take_enrolment_code(
        &mut self,
        code: &Digest,
        now: Timestamp,
    ) -> Result<Option<String>, StorageError> {
        let tx = self.conn.transaction().map_err(err)?;
        let squad: Option<String> = tx
            .query_row(
                "SELECT squad FROM enrolment_codes WHERE hash = ?1 AND used = 0 AND expires >= ?2",
                params![code.to_vec(), now.0],
                |r| r.get(0),
            )
            .optional()
            .map_err(err)?;
        if squad.is_some() {
            tx.execute(
                "UPDATE enrolment_codes SET used = 1 WHERE hash = ?1",
                [code.to_vec()],
            )
            .map_err(err)?;
        }
        tx.commit().map_err(err)?;
        Ok(squad)
    }

    fn add_device(&mut self, id: &str, cert: &SignedCertificate) -> Result<(), StorageError> {
        self.conn
            .execute(
                "INSERT INTO devices(id, cert, signature) VALUES (?1, ?2, ?3)
                 ON CONFLICT(id) DO UPDATE SET cert = excluded.cert, signature = excluded.signature",
                params![id, cert.bytes, cert.signature],
            )
            .map(drop)
            .map_err(err)
    }

    fn device(&self, id: &str) -> Result<Option<SignedCertificate>, StorageError> {
        self.conn
            .query_row(
                "SELECT cert, signature FROM devices WHERE id = ?1",
                [id],
                |r| {
                    Ok(SignedCertificate {
                        bytes: r.get(0)?,
                        signature: r.get(1)?,
                    })
                },
            )
            .optional()
            .map_err(err)
    }
}

impl SqliteStorage {
    fn entries(&self, sql: &str, arg: &str) -> Result<Vec<SignedEntry>, StorageError> {
        let mut stmt = self.conn.prepare(sql).map_err(err)?;
        let rows = stmt
            .query_map([arg], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .map_err(err)?;
        rows.map(|r| {
            let (b, d, s) = r.map_err(err)?;
            entry_from(b, d, s)
        })
        .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sqlite_backend_passes_the_storage_suite() {
        crate::storage::suite::run(|| SqliteStorage::in_memory().unwrap());
    }

    #[test]
    fn the_file_is_encrypted_and_reopens_with_its_key_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("server.db");
        let mut s = SqliteStorage::open(&path, &[3; 32]).unwrap();
        s.add_device(
            "t1",
            &SignedCertificate {
                bytes: vec![1],
                signature: vec![2],
            },
        )
        .unwrap();
        drop(s);
        assert!(
            !std::fs::read(&path)
                .unwrap()
                .starts_with(b"SQLite format 3")
        );
        assert!(SqliteStorage::open(&path, &[4; 32]).is_err());
        let s = SqliteStorage::open(&path, &[3; 32]).unwrap();
        assert!(s.device("t1").unwrap().is_some());
    }
}
