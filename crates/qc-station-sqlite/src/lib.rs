//! The base station's embedded backend: one SQLCipher file (encrypted at rest, WAL,
//! `synchronous=FULL`), evidence files encrypted in a directory beside it.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::net::IpAddr;
use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use qc_station_evidence::{Evidence, LocalEvidence};
use sha2::{Digest as _, Sha256};

use qc_chain::{Digest, FeedHead, SignedEntry};
use qc_domain::{CaseStatus, CaseView, Timestamp};
use qc_identity::{SignedCertificate, SignedFileRelease, SignedRevocationList};
use qc_log::SignedCheckpoint;
use rusqlite::{Connection, OptionalExtension, params};

use qc_station_storage::desk::{
    self, DeskAccountRow, DeskCredentials, DeskLogKind, DeskLogRow, DeskSessionRow, DeskStore,
};
use qc_station_storage::rows::{
    self, CaseFigures, CasePage, CaseQuery, CaseRow, CaseRows, Disclosed, Disclosure,
    DisclosurePage, Period,
};
use qc_station_storage::{
    BlobRows, BlobState, Blobs, BureauFileRow, CaseMeta, DeviceBureau, FeedsHeld, Grant, KeptDoc,
    LogHead, Logged, PendingBlob, SeenCase, Sequencer, Storage, StorageError, StoredSigned, TileId,
    TreeState, stored_digest, upload_started,
};

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
    r#"
    ALTER TABLE enrolment_codes ADD COLUMN person TEXT;
    ALTER TABLE case_docs ADD COLUMN status TEXT NOT NULL DEFAULT '';
    ALTER TABLE case_docs ADD COLUMN heads BLOB NOT NULL DEFAULT x'';
    CREATE TABLE officer_certs (
        device    TEXT NOT NULL,
        cert      BLOB NOT NULL,
        signature BLOB NOT NULL,
        PRIMARY KEY (device, cert)
    ) STRICT;
    CREATE TABLE blobs (
        hash     BLOB PRIMARY KEY,
        size     INTEGER NOT NULL,
        attempt  INTEGER NOT NULL
    ) STRICT;
    CREATE TABLE revocations (
        one       INTEGER PRIMARY KEY CHECK (one = 1),
        bytes     BLOB NOT NULL,
        signature BLOB NOT NULL
    ) STRICT;
"#,
    r#"
    CREATE TABLE nonces (
        device TEXT NOT NULL,
        nonce  BLOB NOT NULL,
        time   INTEGER NOT NULL,
        PRIMARY KEY (device, nonce)
    ) STRICT;
    CREATE INDEX nonces_time ON nonces(time);
"#,
    r#"
    CREATE TABLE blob_cases (
        hash    BLOB NOT NULL,
        case_id TEXT NOT NULL,
        PRIMARY KEY (hash, case_id)
    ) STRICT;
"#,
    r#"
    ALTER TABLE log ADD COLUMN body BLOB;
"#,
    // The log's tree kept as C2SP hash tiles with its head, instead of rebuilt in memory from
    // every leaf at start; `SqliteStorage::open` fills them from an older store's leaves.
    r#"
    CREATE TABLE log_head (
        one            INTEGER PRIMARY KEY CHECK (one = 1),
        size           INTEGER NOT NULL,
        root           BLOB NOT NULL,
        checkpoint     BLOB,
        checkpoint_sig BLOB,
        note           TEXT
    ) STRICT;
    CREATE TABLE log_tiles (
        level  INTEGER NOT NULL,
        idx    INTEGER NOT NULL,
        hashes BLOB NOT NULL,
        PRIMARY KEY (level, idx)
    ) STRICT;
"#,
    // A sync reads the cases its device sees by squad or status, not every case; wrong
    // enrolment codes are counted here, so every process on the file shares the limit.
    r#"
    CREATE INDEX case_docs_status ON case_docs(status);
    CREATE TABLE code_failures (
        source TEXT NOT NULL,
        time   INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX code_failures_source ON code_failures(source, time);
    CREATE INDEX code_failures_time ON code_failures(time);
"#,
    // The bureau's console: desk accounts, their sessions, the sign-in and operation logs.
    r#"
    CREATE TABLE desk_accounts (
        login          TEXT PRIMARY KEY,
        name           TEXT NOT NULL,
        role           TEXT NOT NULL,
        squads         TEXT NOT NULL,
        password_hash  TEXT NOT NULL,
        totp_secret    BLOB NOT NULL,
        totp_last_step INTEGER NOT NULL,
        failures       INTEGER NOT NULL,
        locked_until   INTEGER
    ) STRICT;
    CREATE TABLE desk_sessions (
        token_hash BLOB PRIMARY KEY,
        login      TEXT NOT NULL REFERENCES desk_accounts(login),
        csrf       TEXT NOT NULL,
        started    INTEGER NOT NULL,
        last_seen  INTEGER NOT NULL
    ) STRICT;
    CREATE TABLE desk_log (
        id     INTEGER PRIMARY KEY,
        kind   TEXT NOT NULL,
        at     INTEGER NOT NULL,
        login  TEXT NOT NULL,
        what   TEXT NOT NULL,
        ok     INTEGER NOT NULL,
        source TEXT NOT NULL
    ) STRICT;
    CREATE INDEX desk_log_kind ON desk_log(kind, id);
"#,
    // The case list the bureau's console searches and counts, derived from each document.
    r#"
    CREATE TABLE case_rows (
        case_id        TEXT PRIMARY KEY,
        squad          TEXT NOT NULL,
        status         TEXT NOT NULL,
        domain         TEXT NOT NULL,
        domain_name    TEXT NOT NULL,
        violation      TEXT NOT NULL,
        violation_name TEXT NOT NULL,
        address        TEXT NOT NULL,
        grid           TEXT NOT NULL,
        parties        TEXT NOT NULL,
        summary        TEXT NOT NULL,
        search         TEXT NOT NULL,
        registered_at  INTEGER NOT NULL,
        updated_at     INTEGER NOT NULL,
        outcome721     TEXT,
        outcome_at     INTEGER
    ) STRICT;
    CREATE INDEX case_rows_registered ON case_rows(registered_at);
    CREATE INDEX case_rows_squad ON case_rows(squad, registered_at);
    CREATE INDEX case_rows_status ON case_rows(status);
    CREATE TABLE case_row_deadlines (
        case_id TEXT NOT NULL,
        kind    TEXT NOT NULL,
        due_at  INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX case_row_deadlines_case ON case_row_deadlines(case_id);
    CREATE TABLE case_row_people (
        case_id TEXT NOT NULL,
        person  TEXT NOT NULL
    ) STRICT;
    CREATE INDEX case_row_people_case ON case_row_people(case_id);
"#,
    // The dashboard reads only the deadlines overdue or due soon.
    r#"
    CREATE INDEX case_row_deadlines_due ON case_row_deadlines(due_at);
"#,
    // A desk account may be a person of the bureau, whom their signatures at the desk name.
    r#"
    ALTER TABLE desk_accounts ADD COLUMN person TEXT;
"#,
    // 行政处罚结果公开: the published results, derived with the case rows (which are dropped
    // here to be derived again at the next start, with them).
    r#"
    CREATE TABLE disclosures (
        case_id                TEXT PRIMARY KEY,
        violation_name         TEXT NOT NULL,
        disclosed_at           INTEGER NOT NULL,
        text                   TEXT NOT NULL,
        revoked_at             INTEGER,
        revoked_by             TEXT,
        revoked_reason         TEXT,
        corrected_at           INTEGER,
        correction_explanation TEXT,
        correction_text        TEXT
    ) STRICT;
    CREATE INDEX disclosures_newest ON disclosures(disclosed_at);
    DELETE FROM case_row_deadlines;
    DELETE FROM case_row_people;
    DELETE FROM case_rows;
"#,
    // When each device last synced: the console lists those not seen for days.
    r#"
    ALTER TABLE devices ADD COLUMN last_seen INTEGER;
"#,
    // Files entries name that the station does not hold yet: the console's uploads pending.
    r#"
    CREATE TABLE pending_blobs (
        hash    BLOB NOT NULL,
        case_id TEXT NOT NULL,
        device  TEXT NOT NULL,
        since   INTEGER NOT NULL,
        PRIMARY KEY (hash, case_id, device)
    ) STRICT;
    CREATE INDEX pending_blobs_since ON pending_blobs(since);
"#,
    // The dashboard reads narrow rows: its counts the facts of a case (not the texts a search
    // reads), its deadline figures one table each, no join: a deadline row carries its case's
    // squad and status (what a view filters on), and a duty row is a deadline of one of the
    // case's people (which replaces the people rows, read only for that).
    r#"
    CREATE TABLE case_row_facts (
        case_id       TEXT PRIMARY KEY,
        squad         TEXT NOT NULL,
        status        TEXT NOT NULL,
        domain        TEXT NOT NULL,
        domain_name   TEXT NOT NULL,
        grid          TEXT NOT NULL,
        registered_at INTEGER NOT NULL,
        outcome721    TEXT,
        outcome_at    INTEGER
    ) STRICT;
    INSERT INTO case_row_facts (case_id, squad, status, domain, domain_name, grid,
        registered_at, outcome721, outcome_at)
      SELECT case_id, squad, status, domain, domain_name, grid, registered_at, outcome721,
        outcome_at FROM case_rows;
    CREATE INDEX case_row_facts_squad ON case_row_facts(squad, registered_at);
    DELETE FROM case_row_deadlines WHERE case_id NOT IN (SELECT case_id FROM case_rows);
    ALTER TABLE case_row_deadlines ADD COLUMN squad TEXT NOT NULL DEFAULT '';
    ALTER TABLE case_row_deadlines ADD COLUMN status TEXT NOT NULL DEFAULT '';
    UPDATE case_row_deadlines SET
      squad = COALESCE((SELECT r.squad FROM case_rows r
                        WHERE r.case_id = case_row_deadlines.case_id), ''),
      status = COALESCE((SELECT r.status FROM case_rows r
                         WHERE r.case_id = case_row_deadlines.case_id), '');
    CREATE TABLE case_row_duties (
        case_id TEXT NOT NULL,
        person  TEXT NOT NULL,
        due_at  INTEGER NOT NULL,
        squad   TEXT NOT NULL,
        status  TEXT NOT NULL
    ) STRICT;
    INSERT INTO case_row_duties (case_id, person, due_at, squad, status)
      SELECT p.case_id, p.person, d.due_at, d.squad, d.status
      FROM case_row_people p JOIN case_row_deadlines d ON d.case_id = p.case_id;
    DROP TABLE case_row_people;
    CREATE INDEX case_row_duties_case ON case_row_duties(case_id);
    CREATE INDEX case_row_duties_due ON case_row_duties(due_at);
"#,
    // A desk account its holder activates: the administrator hands over a one-time code, not
    // a password.
    r#"
    ALTER TABLE desk_accounts ADD COLUMN activation_hash BLOB;
    ALTER TABLE desk_accounts ADD COLUMN activation_until INTEGER;
    ALTER TABLE desk_accounts ADD COLUMN key_salt BLOB NOT NULL DEFAULT x'';
    ALTER TABLE desk_accounts ADD COLUMN credentials_at INTEGER NOT NULL DEFAULT 0;
"#,
    // The bureau's catalogue and documents' wording, imported at the console for every tablet.
    r#"
    CREATE TABLE bureau_files (
        kind        TEXT PRIMARY KEY,
        text        TEXT NOT NULL,
        digest      BLOB NOT NULL,
        at          INTEGER NOT NULL,
        by          TEXT NOT NULL,
        release     BLOB NOT NULL,
        release_sig BLOB NOT NULL
    ) STRICT;
    ALTER TABLE devices ADD COLUMN bureau_taken BLOB NOT NULL DEFAULT x'';
    ALTER TABLE devices ADD COLUMN bureau_refused BLOB NOT NULL DEFAULT x'';
"#,
    // How many desk acts (a review, an export) the log holds about each case, kept by the log
    // itself as it appends: a tablet holding fewer pulls the case again (a desk act changes no
    // document). Desk devices' ids begin with `desk-` (`qc_chain::DESK_DEVICE_PREFIX`).
    r#"
    ALTER TABLE case_docs ADD COLUMN desk_acts INTEGER NOT NULL DEFAULT 0;
    UPDATE case_docs SET desk_acts = (SELECT count(*) FROM log
      WHERE log.case_id = case_docs.case_id AND log.device >= 'desk-' AND log.device < 'desk.')
    WHERE case_id IN (SELECT case_id FROM log WHERE device >= 'desk-' AND device < 'desk.');
    CREATE TRIGGER log_desk_act AFTER INSERT ON log
      WHEN NEW.device >= 'desk-' AND NEW.device < 'desk.'
      BEGIN
        UPDATE case_docs SET desk_acts = desk_acts + 1 WHERE case_id = NEW.case_id;
      END;
"#,
    // Entries refused from a device for what each one is: only those (and what follows them
    // about the same case) may be set aside by that device.
    r#"
    CREATE TABLE refused_entries (
        device TEXT NOT NULL,
        hash   BLOB NOT NULL,
        PRIMARY KEY (device, hash)
    ) STRICT, WITHOUT ROWID;
"#,
    // Deletions (删除原件) a stopped station had begun, to finish when it starts again: blobs
    // whose row was let go before their bytes, and cases whose approvals were being logged.
    r#"
    ALTER TABLE blobs ADD COLUMN deleting INTEGER NOT NULL DEFAULT 0;
    CREATE TABLE deletions_due (
        case_id TEXT PRIMARY KEY,
        noted   INTEGER NOT NULL
    ) STRICT, WITHOUT ROWID;
"#,
    // Blobs whose bytes an approved deletion removed: backups of the evidence let them go too.
    r#"
    CREATE TABLE deleted_blobs (
        hash BLOB PRIMARY KEY,
        at   INTEGER NOT NULL
    ) STRICT, WITHOUT ROWID;
"#,
];

/// Leaves integrated per transaction when an older store's tiles are built.
const TILE_BUILD_BATCH: u64 = 65_536;

fn err(e: impl std::fmt::Display) -> StorageError {
    StorageError::Backend(e.to_string())
}

/// The base station's SQLite store, with evidence files in a `blobs` directory beside it (or in
/// any [`Evidence`] store).
pub struct SqliteStorage {
    /// The connection that writes: SQLite has one writer at a time anyway, and a squad's
    /// station needs no more; each call holds it only for its statements (the sequencer for
    /// its whole append).
    conn: Mutex<Connection>,
    /// A connection for reading, so reads (verifying an upload) go on while the log is held
    /// (WAL: readers see the last commit and never wait for the writer).
    reader: Mutex<Connection>,
    blobs: Blobs,
    _temporary: Option<tempfile::TempDir>,
}

/// The key evidence files are sealed with, from the station's storage key: derived, so the
/// database key itself never seals anything else; the same for every backend, so a station
/// that moves its database keeps reading its files.
pub fn blob_key(storage_key: &[u8; 32]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"quancheng station blobs");
    h.update(storage_key);
    h.finalize().into()
}

impl SqliteStorage {
    /// Opens (creating if missing) the store at `path`, encrypted with `key`; evidence files
    /// go under `blobs/` beside it.
    pub fn open(path: &Path, key: &[u8; 32]) -> Result<SqliteStorage, StorageError> {
        let dir = path.parent().unwrap_or(Path::new(".")).join("blobs");
        let evidence = LocalEvidence::open(&dir, blob_key(key)).map_err(err)?;
        SqliteStorage::open_with_evidence(path, key, Box::new(evidence))
    }

    /// Opens (creating if missing) the store at `path`, encrypted with `key`, with evidence
    /// bytes in `evidence`.
    pub fn open_with_evidence(
        path: &Path,
        key: &[u8; 32],
        evidence: Box<dyn Evidence>,
    ) -> Result<SqliteStorage, StorageError> {
        // SQLCipher 4.19 finishes its one-time set-up only after SQLite says it is ready: a
        // second thread opening a keyed file at that moment fails, so the first open of the
        // process runs alone.
        static READY: std::sync::Once = std::sync::Once::new();
        READY.call_once(|| drop(Connection::open_in_memory()));
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
        build_tiles(&conn)?;
        let reader = Connection::open(path).map_err(err)?;
        reader
            .execute_batch(&format!(
                "PRAGMA key = \"x'{}'\"; PRAGMA busy_timeout = 5000;",
                hex::encode(key)
            ))
            .map_err(err)?;
        Ok(SqliteStorage {
            conn: Mutex::new(conn),
            reader: Mutex::new(reader),
            blobs: Blobs::new(evidence),
            _temporary: None,
        })
    }

    /// A store in a temporary directory, removed when dropped (tests, benchmarks).
    pub fn temporary() -> Result<SqliteStorage, StorageError> {
        let dir = tempfile::tempdir().map_err(err)?;
        let mut s = SqliteStorage::open(&dir.path().join("station.db"), &[0; 32])?;
        s._temporary = Some(dir);
        Ok(s)
    }
}

/// An entry as kept: signed bytes, body, device signature, actor signatures (as
/// [`qc_station_storage::actor_sigs_kept`] keeps them).
type EntryRow = (Vec<u8>, Option<Vec<u8>>, Vec<u8>, Vec<u8>);

fn entry_from((bytes, body, device_sig, sigs): EntryRow) -> Result<SignedEntry, StorageError> {
    Ok(SignedEntry {
        bytes,
        body,
        device_sig,
        actor_sigs: qc_station_storage::actor_sigs_read(&sigs)?,
    })
}

impl Storage for SqliteStorage {
    fn log_head(&self) -> Result<LogHead, StorageError> {
        read_head(&self.reader())
    }

    fn tile(&self, id: TileId) -> Result<Option<Vec<u8>>, StorageError> {
        read_tile(&self.reader(), id)
    }

    fn entry_hashes(&self, from: u64, to: u64) -> Result<Vec<Digest>, StorageError> {
        entry_hashes(&self.reader(), from, to)
    }

    fn feed_heads(
        &self,
        devices: &BTreeSet<String>,
    ) -> Result<BTreeMap<String, FeedHead>, StorageError> {
        feed_heads(&self.reader(), devices)
    }

    fn sequence(&self) -> Result<Box<dyn Sequencer + '_>, StorageError> {
        let conn = self.conn();
        // IMMEDIATE takes the write lock now: another process on the same file (an
        // administrator's command) waits, and what is read below stays current.
        conn.execute_batch("BEGIN IMMEDIATE").map_err(err)?;
        Ok(Box::new(SqliteSequencer { conn, open: true }))
    }

    fn entry_indexes(&self, hashes: &[Digest]) -> Result<Vec<Option<u64>>, StorageError> {
        let conn = self.reader();
        // Log indexes count from 0; SQLite's rowids from 1.
        let mut stmt = conn
            .prepare_cached("SELECT idx - 1 FROM log WHERE hash = ?1")
            .map_err(err)?;
        hashes
            .iter()
            .map(|h| {
                stmt.query_row([h.to_vec()], |r| r.get::<_, i64>(0))
                    .optional()
                    .map(|o| o.map(|i| i as u64))
                    .map_err(err)
            })
            .collect()
    }

    fn case_entries(&self, case: &str) -> Result<Vec<SignedEntry>, StorageError> {
        self.entries(
            "SELECT entry, body, device_sig, actor_sigs FROM log WHERE case_id = ?1 ORDER BY idx",
            case,
        )
    }

    fn case_ids_with_prefix(&self, prefix: &str) -> Result<Vec<(String, u64)>, StorageError> {
        // A range of the (case_id, idx) index; text compares as bytes (BINARY), and UTF-8's byte
        // order is its characters' order.
        let end = qc_station_storage::prefix_end(prefix);
        let conn = self.reader();
        let mut stmt = conn
            .prepare_cached(
                "SELECT case_id, MAX(idx) - 1 FROM log WHERE case_id >= ?1 \
                 AND (?2 IS NULL OR case_id < ?2) GROUP BY case_id ORDER BY case_id",
            )
            .map_err(err)?;
        let rows = stmt
            .query_map(params![prefix, end], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64))
            })
            .map_err(err)?;
        rows.collect::<Result<_, _>>().map_err(err)
    }

    fn feeds_for_cases(
        &self,
        cases: &[String],
        held: FeedsHeld<'_>,
    ) -> Result<Vec<Logged>, StorageError> {
        if cases.is_empty() {
            return Ok(Vec::new());
        }
        let where_logged =
            |r: &rusqlite::Row<'_>| Ok((r.get::<_, i64>(4)?, r.get::<_, Vec<u8>>(5)?));
        let asked = serde_json::json!({
            "cases": cases,
            "last": held.last,
            "fresh": held.fresh,
        })
        .to_string();
        self.entries_with(FEEDS_FOR_CASES, &asked, where_logged)?
            .into_iter()
            .map(|(entry, (index, hash))| {
                Ok(Logged {
                    entry,
                    index: u64::try_from(index)
                        .map_err(|_| StorageError::Damaged(format!("log index {index}")))?,
                    hash: stored_digest(hash)?,
                })
            })
            .collect()
    }

    fn device_feed(&self, device: &str) -> Result<Vec<SignedEntry>, StorageError> {
        self.entries(
            "SELECT entry, body, device_sig, actor_sigs FROM log WHERE device = ?1 ORDER BY seq",
            device,
        )
    }

    fn case_doc(&self, case: &str) -> Result<Option<(CaseMeta, Vec<u8>)>, StorageError> {
        self.reader()
            .query_row(
                "SELECT squad, status, heads, doc FROM case_docs WHERE case_id = ?1",
                [case],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, Vec<u8>>(2)?,
                        r.get::<_, Vec<u8>>(3)?,
                    ))
                },
            )
            .optional()
            .map_err(err)?
            .map(|(squad, status, heads, doc)| {
                Ok((CaseMeta::from_stored(squad, &status, &heads)?, doc))
            })
            .transpose()
    }

    fn case_docs(
        &self,
        cases: &[String],
    ) -> Result<Vec<(String, CaseMeta, Vec<u8>)>, StorageError> {
        if cases.is_empty() {
            return Ok(Vec::new());
        }
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(CASE_DOCS).map_err(err)?;
        let rows = stmt
            .query_map([json_list(cases)?], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Vec<u8>>(3)?,
                    r.get::<_, Vec<u8>>(4)?,
                ))
            })
            .map_err(err)?;
        rows.map(|r| {
            let (case, squad, status, heads, doc) = r.map_err(err)?;
            Ok((case, CaseMeta::from_stored(squad, &status, &heads)?, doc))
        })
        .collect()
    }

    fn put_case_doc(&self, case: &str, meta: &CaseMeta, doc: &[u8]) -> Result<(), StorageError> {
        self.conn()
            .execute(
                "INSERT INTO case_docs(case_id, squad, status, heads, doc) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT(case_id) DO UPDATE SET squad = excluded.squad,
                   status = excluded.status, heads = excluded.heads, doc = excluded.doc",
                params![
                    case,
                    meta.squad,
                    meta.status.code(),
                    meta.heads.concat(),
                    doc
                ],
            )
            .map(drop)
            .map_err(err)
    }

    fn keep_case_docs(&self, docs: &[KeptDoc<'_>]) -> Result<Vec<String>, StorageError> {
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(err)?;
        let mut moved = Vec::new();
        for d in docs {
            let (squad, status, heads) =
                (&d.meta.squad, d.meta.status.code(), d.meta.heads.concat());
            let written = match d.over {
                Some(over) => tx.execute(
                    "UPDATE case_docs SET squad = ?2, status = ?3, heads = ?4, doc = ?5
                     WHERE case_id = ?1 AND heads = ?6",
                    params![d.case, squad, status, heads, d.doc, over.concat()],
                ),
                None => tx.execute(
                    "INSERT INTO case_docs(case_id, squad, status, heads, doc)
                     VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT(case_id) DO NOTHING",
                    params![d.case, squad, status, heads, d.doc],
                ),
            }
            .map_err(err)?;
            if written == 0 {
                moved.push(d.case.to_owned());
            } else if let Some(row) = d.row {
                write_row(&tx, row)?;
            }
        }
        tx.commit().map_err(err)?;
        Ok(moved)
    }

    fn cases_without_heads(&self) -> Result<Vec<String>, StorageError> {
        let conn = self.reader();
        let mut stmt = conn
            .prepare("SELECT case_id FROM case_docs WHERE heads = x'' ORDER BY case_id")
            .map_err(err)?;
        let rows = stmt.query_map([], |r| r.get(0)).map_err(err)?;
        rows.map(|r| r.map_err(err)).collect()
    }

    fn case_metas_seen(&self, view: &CaseView) -> Result<Vec<SeenCase>, StorageError> {
        let (sql, args) = metas_seen(view);
        let conn = self.reader();
        let mut stmt = conn.prepare(&sql).map_err(err)?;
        let rows = stmt
            .query_map(rusqlite::params_from_iter(args), |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Vec<u8>>(3)?,
                    r.get::<_, i64>(4)?,
                ))
            })
            .map_err(err)?;
        rows.map(|r| {
            let (case, squad, status, heads, desk_acts) = r.map_err(err)?;
            Ok(SeenCase {
                case,
                meta: CaseMeta::from_stored(squad, &status, &heads)?,
                desk_acts: u64::try_from(desk_acts).unwrap_or_default(),
            })
        })
        .collect()
    }

    fn add_enrolment_code(
        &self,
        code: &Digest,
        grant: &Grant,
        expires: Timestamp,
    ) -> Result<(), StorageError> {
        let (squad, person) = match grant {
            Grant::Device { squad } => (squad.as_str(), None),
            Grant::Officer { person } => ("", Some(person.as_str())),
        };
        self.conn()
            .execute(
                "INSERT INTO enrolment_codes(hash, squad, person, expires) VALUES (?1, ?2, ?3, ?4)",
                params![code.to_vec(), squad, person, expires.0],
            )
            .map(drop)
            .map_err(err)
    }

    fn take_enrolment_code(
        &self,
        code: &Digest,
        now: Timestamp,
        wanted: &dyn Fn(&Grant) -> bool,
    ) -> Result<Option<Grant>, StorageError> {
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(err)?;
        let grant = tx
            .query_row(
                "SELECT squad, person FROM enrolment_codes
                 WHERE hash = ?1 AND used = 0 AND expires >= ?2",
                params![code.to_vec(), now.0],
                |r| {
                    Ok(match r.get::<_, Option<String>>(1)? {
                        Some(person) => Grant::Officer { person },
                        None => Grant::Device { squad: r.get(0)? },
                    })
                },
            )
            .optional()
            .map_err(err)?
            .filter(wanted);
        if grant.is_some() {
            tx.execute(
                "UPDATE enrolment_codes SET used = 1 WHERE hash = ?1",
                [code.to_vec()],
            )
            .map_err(err)?;
        }
        tx.commit().map_err(err)?;
        Ok(grant)
    }

    fn use_nonce(
        &self,
        device: &str,
        nonce: &[u8; 16],
        time: Timestamp,
        forget_before: Timestamp,
    ) -> Result<bool, StorageError> {
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(err)?;
        tx.execute("DELETE FROM nonces WHERE time < ?1", [forget_before.0])
            .map_err(err)?;
        let new = tx
            .execute(
                "INSERT OR IGNORE INTO nonces(device, nonce, time) VALUES (?1, ?2, ?3)",
                params![device, nonce.to_vec(), time.0],
            )
            .map_err(err)?
            == 1;
        tx.commit().map_err(err)?;
        Ok(new)
    }

    fn add_device(&self, id: &str, cert: &SignedCertificate) -> Result<(), StorageError> {
        self.conn()
            .execute(
                "INSERT INTO devices(id, cert, signature) VALUES (?1, ?2, ?3)
                 ON CONFLICT(id) DO UPDATE SET cert = excluded.cert, signature = excluded.signature",
                params![id, cert.bytes, cert.signature],
            )
            .map(drop)
            .map_err(err)
    }

    fn device(&self, id: &str) -> Result<Option<SignedCertificate>, StorageError> {
        self.reader()
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

    fn devices(&self) -> Result<Vec<(String, SignedCertificate)>, StorageError> {
        let reader = self.reader();
        let mut q = reader
            .prepare("SELECT id, cert, signature FROM devices ORDER BY id")
            .map_err(err)?;
        q.query_map([], |r| {
            Ok((
                r.get(0)?,
                SignedCertificate {
                    bytes: r.get(1)?,
                    signature: r.get(2)?,
                },
            ))
        })
        .map_err(err)?
        .collect::<Result<_, _>>()
        .map_err(err)
    }

    fn device_seen(&self, id: &str, at: Timestamp) -> Result<(), StorageError> {
        self.conn()
            .execute(
                "UPDATE devices SET last_seen = ?2
                 WHERE id = ?1 AND (last_seen IS NULL OR last_seen < ?2)",
                params![id, at.0],
            )
            .map(drop)
            .map_err(err)
    }

    fn devices_seen(&self) -> Result<Vec<(String, Timestamp)>, StorageError> {
        let reader = self.reader();
        let mut q = reader
            .prepare("SELECT id, last_seen FROM devices WHERE last_seen IS NOT NULL ORDER BY id")
            .map_err(err)?;
        q.query_map([], |r| Ok((r.get(0)?, Timestamp(r.get(1)?))))
            .map_err(err)?
            .collect::<Result<_, _>>()
            .map_err(err)
    }

    fn note_device_bureau(&self, device: &str, told: &DeviceBureau) -> Result<(), StorageError> {
        let (taken, refused) = told.columns();
        self.conn()
            .execute(
                "UPDATE devices SET bureau_taken = ?2, bureau_refused = ?3 WHERE id = ?1",
                params![device, taken, refused],
            )
            .map(drop)
            .map_err(err)
    }

    fn devices_bureau(&self) -> Result<Vec<(String, DeviceBureau)>, StorageError> {
        let reader = self.reader();
        let mut q = reader
            .prepare(
                "SELECT id, bureau_taken, bureau_refused FROM devices
                 WHERE bureau_taken <> x'' OR bureau_refused <> x'' ORDER BY id",
            )
            .map_err(err)?;
        let rows = q
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Vec<u8>>(1)?,
                    r.get::<_, Vec<u8>>(2)?,
                ))
            })
            .map_err(err)?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(err)?;
        rows.into_iter()
            .map(|(id, taken, refused)| Ok((id, DeviceBureau::from_columns(&taken, &refused)?)))
            .collect()
    }

    fn note_pending_blobs(&self, pending: &[PendingBlob]) -> Result<(), StorageError> {
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(err)?;
        {
            let mut stmt = tx
                .prepare_cached(
                    "INSERT INTO pending_blobs(hash, case_id, device, since) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT DO UPDATE SET since = min(since, excluded.since)",
                )
                .map_err(err)?;
            for p in pending {
                stmt.execute(params![p.hash.to_vec(), p.case, p.device, p.since.0])
                    .map_err(err)?;
            }
        }
        tx.commit().map_err(err)
    }

    fn pending_blobs(&self) -> Result<Vec<PendingBlob>, StorageError> {
        let reader = self.reader();
        let mut q = reader
            .prepare(
                "SELECT hash, case_id, device, since FROM pending_blobs
                 ORDER BY since, case_id, device, hash",
            )
            .map_err(err)?;
        let rows = q
            .query_map([], |r| {
                Ok((
                    r.get::<_, Vec<u8>>(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    Timestamp(r.get(3)?),
                ))
            })
            .map_err(err)?;
        rows.map(|row| {
            let (hash, case, device, since) = row.map_err(err)?;
            Ok(PendingBlob {
                hash: stored_digest(hash)?,
                case,
                device,
                since,
            })
        })
        .collect()
    }

    fn clear_pending_blob(&self, hash: &Digest, case: &str) -> Result<(), StorageError> {
        self.conn()
            .execute(CLEAR_PENDING_BLOB, params![hash.to_vec(), case])
            .map(drop)
            .map_err(err)
    }

    fn add_officer_cert(&self, device: &str, cert: &SignedCertificate) -> Result<(), StorageError> {
        self.conn()
            .execute(
                "INSERT OR IGNORE INTO officer_certs(device, cert, signature) VALUES (?1, ?2, ?3)",
                params![device, cert.bytes, cert.signature],
            )
            .map(drop)
            .map_err(err)
    }

    fn officer_certs(&self) -> Result<Vec<(String, SignedCertificate)>, StorageError> {
        let conn = self.reader();
        let mut stmt = conn
            .prepare("SELECT device, cert, signature FROM officer_certs ORDER BY device, cert")
            .map_err(err)?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get(0)?,
                    SignedCertificate {
                        bytes: r.get(1)?,
                        signature: r.get(2)?,
                    },
                ))
            })
            .map_err(err)?;
        rows.map(|r| r.map_err(err)).collect()
    }

    fn officer_certs_of(&self, device: &str) -> Result<Vec<SignedCertificate>, StorageError> {
        self.certificates(
            "SELECT cert, signature FROM officer_certs WHERE device = ?1 ORDER BY cert",
            device,
        )
    }

    fn device_certificates(
        &self,
        devices: &BTreeSet<String>,
    ) -> Result<Vec<SignedCertificate>, StorageError> {
        if devices.is_empty() {
            return Ok(Vec::new());
        }
        self.certificates(DEVICE_CERTIFICATES, &json_list(devices)?)
    }

    fn add_code_failure(
        &self,
        source: IpAddr,
        time: Timestamp,
        forget_before: Timestamp,
    ) -> Result<(), StorageError> {
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(err)?;
        tx.execute(
            "DELETE FROM code_failures WHERE time < ?1",
            [forget_before.0],
        )
        .map_err(err)?;
        tx.execute(
            "INSERT INTO code_failures(source, time) VALUES (?1, ?2)",
            params![source.to_string(), time.0],
        )
        .map_err(err)?;
        tx.commit().map_err(err)
    }

    fn code_failures(
        &self,
        source: Option<IpAddr>,
        since: Timestamp,
        newest: u32,
    ) -> Result<Vec<Timestamp>, StorageError> {
        let conn = self.reader();
        // Two statements, so each reads one range of one index.
        let (sql, source) = match source {
            Some(s) => (FAILURES_FROM_SOURCE, Some(s.to_string())),
            None => (FAILURES_IN_ALL, None),
        };
        let mut stmt = conn.prepare_cached(sql).map_err(err)?;
        let since = since.0;
        let args: Vec<&dyn rusqlite::ToSql> = match &source {
            Some(s) => vec![&since, &newest, s],
            None => vec![&since, &newest],
        };
        let rows = stmt
            .query_map(args.as_slice(), |r| r.get(0).map(Timestamp))
            .map_err(err)?;
        rows.map(|r| r.map_err(err)).collect()
    }

    fn blob_state(&self, hash: &Digest) -> Result<Option<BlobState>, StorageError> {
        self.blobs.state(self, hash)
    }

    fn write_blob_chunk(
        &self,
        hash: &Digest,
        size: u64,
        offset: u64,
        bytes: &[u8],
    ) -> Result<(), StorageError> {
        self.blobs.write_chunk(self, hash, size, offset, bytes)
    }

    fn finish_blob(&self, hash: &Digest) -> Result<bool, StorageError> {
        self.blobs.finish(self, hash)
    }

    fn keep_whole_blob(
        &self,
        hash: &Digest,
        bytes: &[u8],
        case: Option<&str>,
    ) -> Result<(), StorageError> {
        self.blobs.keep_whole(self, hash, bytes, case)
    }

    fn put_revocations(
        &self,
        crl: &SignedRevocationList,
        replacing: Option<&SignedRevocationList>,
    ) -> Result<bool, StorageError> {
        let conn = self.conn();
        match replacing {
            None => conn.execute(
                "INSERT INTO revocations(one, bytes, signature) VALUES (1, ?1, ?2)
                 ON CONFLICT(one) DO NOTHING",
                params![crl.bytes, crl.signature],
            ),
            Some(old) => conn.execute(
                "UPDATE revocations SET bytes = ?1, signature = ?2
                 WHERE one = 1 AND bytes = ?3 AND signature = ?4",
                params![crl.bytes, crl.signature, old.bytes, old.signature],
            ),
        }
        .map(|n| n == 1)
        .map_err(err)
    }

    fn revocations(&self) -> Result<Option<SignedRevocationList>, StorageError> {
        Ok(self
            .single("revocations")?
            .map(|(bytes, signature)| SignedRevocationList { bytes, signature }))
    }

    fn bureau_files(&self) -> Result<Vec<BureauFileRow>, StorageError> {
        let reader = self.reader();
        let mut q = reader
            .prepare(
                "SELECT kind, text, digest, at, by, release, release_sig FROM bureau_files
                 ORDER BY kind",
            )
            .map_err(err)?;
        let rows = q
            .query_map([], |r| {
                Ok((
                    (r.get::<_, String>(0)?, r.get::<_, String>(1)?),
                    r.get::<_, Vec<u8>>(2)?,
                    (r.get::<_, i64>(3)?, r.get::<_, String>(4)?),
                    (r.get::<_, Vec<u8>>(5)?, r.get::<_, Vec<u8>>(6)?),
                ))
            })
            .map_err(err)?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(err)?;
        rows.into_iter()
            .map(|((kind, text), digest, (at, by), (bytes, signature))| {
                Ok(BureauFileRow {
                    kind,
                    text,
                    digest: stored_digest(digest)?,
                    at: Timestamp(at),
                    by,
                    release: SignedFileRelease { bytes, signature },
                })
            })
            .collect()
    }

    fn bureau_digests(&self) -> Result<Vec<(String, Digest)>, StorageError> {
        let reader = self.reader();
        let mut q = reader
            .prepare_cached("SELECT kind, digest FROM bureau_files ORDER BY kind")
            .map_err(err)?;
        let rows = q
            .query_map([], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, Vec<u8>>(1)?))
            })
            .map_err(err)?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(err)?;
        rows.into_iter()
            .map(|(kind, digest)| Ok((kind, stored_digest(digest)?)))
            .collect()
    }

    fn put_bureau_file(
        &self,
        file: &BureauFileRow,
        replacing: Option<&Digest>,
    ) -> Result<bool, StorageError> {
        let r = &file.release;
        let (new, at) = (file.digest.to_vec(), file.at.0);
        let mut values: Vec<&dyn rusqlite::ToSql> = vec![
            &file.kind,
            &file.text,
            &new,
            &at,
            &file.by,
            &r.bytes,
            &r.signature,
        ];
        let old = replacing.map(|d| d.to_vec());
        let sql = match &old {
            None => {
                "INSERT INTO bureau_files (kind, text, digest, at, by, release, release_sig)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT(kind) DO NOTHING"
            }
            Some(old) => {
                values.push(old);
                "UPDATE bureau_files SET text = ?2, digest = ?3, at = ?4, by = ?5, release = ?6,
                   release_sig = ?7
                 WHERE kind = ?1 AND digest = ?8"
            }
        };
        self.conn()
            .execute(sql, values.as_slice())
            .map(|n| n == 1)
            .map_err(err)
    }

    fn note_refused(&self, device: &str, entries: &[Digest]) -> Result<(), StorageError> {
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(err)?;
        {
            let mut q = tx
                .prepare("INSERT OR IGNORE INTO refused_entries(device, hash) VALUES (?1, ?2)")
                .map_err(err)?;
            for hash in entries {
                q.execute(params![device, hash.to_vec()]).map_err(err)?;
            }
        }
        tx.commit().map_err(err)
    }

    fn was_refused(&self, device: &str, entry: &Digest) -> Result<bool, StorageError> {
        self.reader()
            .query_row(
                "SELECT EXISTS(SELECT 1 FROM refused_entries WHERE device = ?1 AND hash = ?2)",
                params![device, entry.to_vec()],
                |r| r.get(0),
            )
            .map_err(err)
    }

    fn link_blob(&self, hash: &Digest, case: &str) -> Result<(), StorageError> {
        // Under the one writer, as `delete_blob`: a blob deleted meanwhile is not linked.
        let conn = self.conn();
        // Kept whole, and not being deleted (whose row is no blob).
        if !self.blobs.state(self, hash)?.is_some_and(|b| b.complete) {
            return Err(StorageError::Backend("the blob is not kept".into()));
        }
        conn.execute(LINK_BLOB, params![hash.to_vec(), case])
            .map_err(err)?;
        Ok(())
    }

    fn blob_in_case(&self, hash: &Digest, case: &str) -> Result<bool, StorageError> {
        row_exists(
            &self.reader(),
            "SELECT 1 FROM blob_cases WHERE hash = ?1 AND case_id = ?2",
            params![hash.to_vec(), case],
        )
    }

    fn delete_blob(&self, hash: &Digest, case: &str) -> Result<bool, StorageError> {
        self.blobs.delete(self, hash, case)
    }

    fn note_deletions_due(&self, cases: &[String]) -> Result<(), StorageError> {
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(err)?;
        for case in cases {
            tx.execute(
                "INSERT INTO deletions_due(case_id, noted) VALUES (?1, 1)
                 ON CONFLICT(case_id) DO UPDATE SET noted = noted + 1",
                [case],
            )
            .map_err(err)?;
        }
        tx.commit().map_err(err)
    }

    fn deletions_due(&self) -> Result<Vec<(String, u64)>, StorageError> {
        let conn = self.reader();
        let mut stmt = conn
            .prepare("SELECT case_id, noted FROM deletions_due ORDER BY case_id")
            .map_err(err)?;
        let cases = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)?)))
            .map_err(err)?;
        cases
            .map(|c| {
                let (case, noted) = c.map_err(err)?;
                Ok((case, u64::try_from(noted).map_err(err)?))
            })
            .collect()
    }

    fn deletions_done(&self, case: &str, noted: u64) -> Result<(), StorageError> {
        let noted = i64::try_from(noted).map_err(err)?;
        self.conn()
            .execute(
                "DELETE FROM deletions_due WHERE case_id = ?1 AND noted <= ?2",
                params![case, noted],
            )
            .map(drop)
            .map_err(err)
    }

    fn deleted_blobs(&self) -> Result<Vec<(Digest, i64)>, StorageError> {
        let conn = self.reader();
        let mut stmt = conn
            .prepare(
                "SELECT d.hash, d.at FROM deleted_blobs d
                 WHERE NOT EXISTS (SELECT 1 FROM blobs b WHERE b.hash = d.hash AND NOT b.deleting)
                 ORDER BY d.at, d.hash",
            )
            .map_err(err)?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, i64>(1)?)))
            .map_err(err)?;
        rows.map(|r| {
            let (hash, at) = r.map_err(err)?;
            Ok((stored_digest(hash)?, at))
        })
        .collect()
    }

    fn unfinished_blobs(&self) -> Result<Vec<Digest>, StorageError> {
        self.blobs.unfinished(self)
    }

    fn open_blob(&self, hash: &Digest) -> Result<Box<dyn Read + Send>, StorageError> {
        self.blobs.open(self, hash)
    }

    fn open_blob_range(
        &self,
        hash: &Digest,
        size: u64,
        range: std::ops::Range<u64>,
    ) -> Result<Box<dyn Read + Send>, StorageError> {
        self.blobs.open_range(hash, size, range)
    }
}

const DESK_ACCOUNT_COLUMNS: &str = "login, name, role, squads, password_hash, totp_secret, totp_last_step, failures, locked_until, \
     person, activation_hash, activation_until, key_salt, credentials_at";

fn desk_account_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<DeskAccountRow> {
    Ok(DeskAccountRow {
        login: r.get(0)?,
        name: r.get(1)?,
        role: r.get(2)?,
        squads: desk::squads_from_column(&r.get::<_, String>(3)?),
        credentials: DeskCredentials {
            password_hash: r.get(4)?,
            totp_secret: r.get(5)?,
            activation: desk::activation_from_columns(r.get(10)?, r.get(11)?).map_err(|e| {
                rusqlite::Error::FromSqlConversionFailure(10, rusqlite::types::Type::Blob, e.into())
            })?,
            key_salt: r.get(12)?,
            changed_at: r.get(13)?,
        },
        totp_last_step: r.get(6)?,
        failures: r.get(7)?,
        locked_until: r.get(8)?,
        person: r.get(9)?,
    })
}

impl DeskStore for SqliteStorage {
    fn add_desk_account(&self, a: &DeskAccountRow) -> Result<bool, StorageError> {
        self.conn()
            .execute(
                &format!(
                    "INSERT INTO desk_accounts ({DESK_ACCOUNT_COLUMNS})
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
                     ON CONFLICT(login) DO NOTHING"
                ),
                params![
                    a.login,
                    a.name,
                    a.role,
                    desk::squads_column(&a.squads),
                    a.credentials.password_hash,
                    a.credentials.totp_secret,
                    a.totp_last_step,
                    a.failures,
                    a.locked_until,
                    a.person,
                    a.credentials.activation.map(|x| x.code_hash.to_vec()),
                    a.credentials.activation.map(|x| x.until),
                    a.credentials.key_salt,
                    a.credentials.changed_at,
                ],
            )
            .map(|n| n == 1)
            .map_err(err)
    }

    fn desk_account(&self, login: &str) -> Result<Option<DeskAccountRow>, StorageError> {
        self.reader()
            .query_row(
                &format!("SELECT {DESK_ACCOUNT_COLUMNS} FROM desk_accounts WHERE login = ?1"),
                [login],
                desk_account_row,
            )
            .optional()
            .map_err(err)
    }

    fn desk_accounts(&self) -> Result<Vec<DeskAccountRow>, StorageError> {
        let reader = self.reader();
        let mut q = reader
            .prepare(&format!(
                "SELECT {DESK_ACCOUNT_COLUMNS} FROM desk_accounts ORDER BY login"
            ))
            .map_err(err)?;
        q.query_map([], desk_account_row)
            .map_err(err)?
            .collect::<Result<_, _>>()
            .map_err(err)
    }

    fn set_desk_sign_in_state(
        &self,
        login: &str,
        failures: u32,
        locked_until: Option<i64>,
        totp_last_step: i64,
    ) -> Result<(), StorageError> {
        self.conn()
            .execute(
                "UPDATE desk_accounts SET failures = ?2, locked_until = ?3, totp_last_step = ?4
                 WHERE login = ?1",
                params![login, failures, locked_until, totp_last_step],
            )
            .map(drop)
            .map_err(err)
    }

    fn set_desk_credentials(
        &self,
        login: &str,
        was: &DeskCredentials,
        new: &DeskCredentials,
        totp_last_step: i64,
    ) -> Result<bool, StorageError> {
        self.conn()
            .execute(
                "UPDATE desk_accounts SET password_hash = ?5, totp_secret = ?6,
                   activation_hash = ?7, activation_until = ?8,
                   totp_last_step = CASE WHEN totp_secret = ?6
                     THEN MAX(totp_last_step, ?9) ELSE ?9 END,
                   key_salt = ?10, credentials_at = ?11, failures = 0, locked_until = NULL
                 WHERE login = ?1 AND password_hash = ?2 AND totp_secret = ?3
                   AND activation_hash IS ?4",
                params![
                    login,
                    was.password_hash,
                    was.totp_secret,
                    was.activation.map(|x| x.code_hash.to_vec()),
                    new.password_hash,
                    new.totp_secret,
                    new.activation.map(|x| x.code_hash.to_vec()),
                    new.activation.map(|x| x.until),
                    totp_last_step,
                    new.key_salt,
                    new.changed_at,
                ],
            )
            .map(|n| n == 1)
            .map_err(err)
    }

    fn drop_desk_sessions_of(&self, login: &str) -> Result<u64, StorageError> {
        self.conn()
            .execute("DELETE FROM desk_sessions WHERE login = ?1", [login])
            .map(|n| n as u64)
            .map_err(err)
    }

    fn add_desk_session(&self, s: &DeskSessionRow) -> Result<(), StorageError> {
        self.conn()
            .execute(
                "INSERT INTO desk_sessions (token_hash, login, csrf, started, last_seen)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    s.token_hash.to_vec(),
                    s.login,
                    s.csrf,
                    s.started,
                    s.last_seen
                ],
            )
            .map(drop)
            .map_err(err)
    }

    fn desk_session(&self, token_hash: &[u8; 32]) -> Result<Option<DeskSessionRow>, StorageError> {
        self.reader()
            .query_row(
                "SELECT login, csrf, started, last_seen FROM desk_sessions WHERE token_hash = ?1",
                [token_hash.to_vec()],
                |r| {
                    Ok(DeskSessionRow {
                        token_hash: *token_hash,
                        login: r.get(0)?,
                        csrf: r.get(1)?,
                        started: r.get(2)?,
                        last_seen: r.get(3)?,
                    })
                },
            )
            .optional()
            .map_err(err)
    }

    fn touch_desk_session(&self, token_hash: &[u8; 32], at: i64) -> Result<(), StorageError> {
        self.conn()
            .execute(
                "UPDATE desk_sessions SET last_seen = ?2 WHERE token_hash = ?1",
                params![token_hash.to_vec(), at],
            )
            .map(drop)
            .map_err(err)
    }

    fn drop_desk_session(&self, token_hash: &[u8; 32]) -> Result<(), StorageError> {
        self.conn()
            .execute(
                "DELETE FROM desk_sessions WHERE token_hash = ?1",
                [token_hash.to_vec()],
            )
            .map(drop)
            .map_err(err)
    }

    fn add_desk_log(&self, row: &DeskLogRow) -> Result<(), StorageError> {
        self.conn()
            .execute(
                "INSERT INTO desk_log (kind, at, login, what, ok, source)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    row.kind.code(),
                    row.at,
                    row.login,
                    row.what,
                    row.ok,
                    row.source
                ],
            )
            .map(drop)
            .map_err(err)
    }

    fn desk_log(&self, kind: DeskLogKind, limit: u32) -> Result<Vec<DeskLogRow>, StorageError> {
        let reader = self.reader();
        let mut q = reader
            .prepare(
                "SELECT at, login, what, ok, source FROM desk_log WHERE kind = ?1
                 ORDER BY id DESC LIMIT ?2",
            )
            .map_err(err)?;
        q.query_map(params![kind.code(), limit], |r| {
            Ok(DeskLogRow {
                at: r.get(0)?,
                kind,
                login: r.get(1)?,
                what: r.get(2)?,
                ok: r.get(3)?,
                source: r.get(4)?,
            })
        })
        .map_err(err)?
        .collect::<Result<_, _>>()
        .map_err(err)
    }
}

/// The rows of a statement built in `qc_station_storage::rows`: its `$N` placeholders read as
/// SQLite's `?N` (bound by number, whatever the order they appear in).
fn rows_of<T>(
    conn: &Connection,
    st: &rows::Statement,
    read: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> Result<Vec<T>, StorageError> {
    let sql = st.sql.replace('$', "?");
    let args: Vec<rusqlite::types::Value> = st
        .args
        .iter()
        .map(|a| match a {
            rows::Arg::Text(t) => rusqlite::types::Value::Text(t.clone()),
            rows::Arg::Int(i) => rusqlite::types::Value::Integer(*i),
        })
        .collect();
    let mut q = conn.prepare(&sql).map_err(err)?;
    q.query_map(rusqlite::params_from_iter(args), read)
        .map_err(err)?
        .collect::<Result<_, _>>()
        .map_err(err)
}

/// Writes a case's row, its deadlines, people and disclosure (replacing the previous ones),
/// in the caller's transaction.
fn write_row(tx: &Connection, row: &CaseRow) -> Result<(), StorageError> {
    let (outcome, outcome_at) = match &row.outcome721 {
        Some((k, at)) => (Some(k.as_str()), Some(*at)),
        None => (None, None),
    };
    tx.execute(
        "INSERT INTO case_rows (case_id, squad, status, domain, domain_name, violation,
           violation_name, address, grid, parties, summary, search, registered_at, updated_at,
           outcome721, outcome_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)
         ON CONFLICT(case_id) DO UPDATE SET squad = excluded.squad, status = excluded.status,
           domain = excluded.domain, domain_name = excluded.domain_name,
           violation = excluded.violation, violation_name = excluded.violation_name,
           address = excluded.address, grid = excluded.grid, parties = excluded.parties,
           summary = excluded.summary, search = excluded.search,
           registered_at = excluded.registered_at, updated_at = excluded.updated_at,
           outcome721 = excluded.outcome721, outcome_at = excluded.outcome_at",
        params![
            row.id,
            row.squad,
            row.status,
            row.domain,
            row.domain_name,
            row.violation,
            row.violation_name,
            row.address,
            row.grid,
            row.parties,
            row.summary,
            rows::search_text(row),
            row.registered_at,
            row.updated_at,
            outcome,
            outcome_at
        ],
    )
    .map_err(err)?;
    tx.execute(
        &rows::PUT_FACTS.replace('$', "?"),
        params![
            row.id,
            row.squad,
            row.status,
            row.domain,
            row.domain_name,
            row.grid,
            row.registered_at,
            outcome,
            outcome_at
        ],
    )
    .map_err(err)?;
    tx.execute(
        "DELETE FROM case_row_deadlines WHERE case_id = ?1",
        [&row.id],
    )
    .map_err(err)?;
    tx.execute("DELETE FROM case_row_duties WHERE case_id = ?1", [&row.id])
        .map_err(err)?;
    for (kind, due) in &row.deadlines {
        tx.execute(
            "INSERT INTO case_row_deadlines (case_id, kind, due_at, squad, status)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![row.id, kind, due, row.squad, row.status],
        )
        .map_err(err)?;
        for person in &row.people {
            tx.execute(
                "INSERT INTO case_row_duties (case_id, person, due_at, squad, status)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![row.id, person, due, row.squad, row.status],
            )
            .map_err(err)?;
        }
    }
    match &row.disclosure {
        Some(d) => {
            let (at, text, ra, rb, rr, ca, ce, ct) = d.columns();
            tx.execute(
                &rows::PUT_DISCLOSURE.replace('$', "?"),
                params![row.id, row.violation_name, at, text, ra, rb, rr, ca, ce, ct],
            )
        }
        None => tx.execute(&rows::DROP_DISCLOSURE.replace('$', "?"), [&row.id]),
    }
    .map_err(err)?;
    Ok(())
}

impl CaseRows for SqliteStorage {
    fn put_case_row(&self, row: &CaseRow) -> Result<(), StorageError> {
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(err)?;
        write_row(&tx, row)?;
        tx.commit().map_err(err)
    }

    fn disclosures(&self, limit: u32, offset: u32) -> Result<DisclosurePage, StorageError> {
        let reader = self.reader();
        let total: i64 = reader
            .query_row(rows::COUNT_DISCLOSURES, [], |r| r.get(0))
            .map_err(err)?;
        let mut q = reader
            .prepare_cached(&rows::DISCLOSURE_PAGE.replace('$', "?"))
            .map_err(err)?;
        let page = q
            .query_map(params![limit, offset], |r| {
                Ok(Disclosed {
                    case_id: r.get(0)?,
                    violation_name: r.get(1)?,
                    disclosure: Disclosure::from_columns((
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                        r.get(6)?,
                        r.get(7)?,
                        r.get(8)?,
                        r.get(9)?,
                    )),
                })
            })
            .map_err(err)?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(err)?;
        Ok(DisclosurePage {
            total: rows::count(total)?,
            rows: page,
        })
    }

    fn rename_in_rows(
        &self,
        domains: &[(String, String)],
        violations: &[(String, String)],
    ) -> Result<(), StorageError> {
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(err)?;
        for (sql, names) in [
            (
                "UPDATE case_rows SET domain_name = ?2 WHERE domain = ?1 AND domain_name <> ?2",
                domains,
            ),
            (
                "UPDATE case_row_facts SET domain_name = ?2 WHERE domain = ?1 AND domain_name <> ?2",
                domains,
            ),
            (
                "UPDATE case_rows SET violation_name = ?2 WHERE violation = ?1
                   AND violation_name <> ?2",
                violations,
            ),
        ] {
            let mut q = tx.prepare(sql).map_err(err)?;
            for (code, name) in names {
                q.execute(params![code, name]).map_err(err)?;
            }
        }
        tx.commit().map_err(err)
    }

    fn violations_in_use(&self) -> Result<Vec<String>, StorageError> {
        let reader = self.reader();
        let mut q = reader
            .prepare("SELECT DISTINCT violation FROM case_rows")
            .map_err(err)?;
        q.query_map([], |r| r.get(0))
            .map_err(err)?
            .collect::<rusqlite::Result<Vec<String>>>()
            .map_err(err)
    }

    fn cases_without_rows(&self) -> Result<Vec<String>, StorageError> {
        let reader = self.reader();
        let mut q = reader
            .prepare(
                "SELECT case_id FROM case_docs WHERE case_id NOT IN (SELECT case_id FROM case_rows)
                 ORDER BY case_id",
            )
            .map_err(err)?;
        q.query_map([], |r| r.get(0))
            .map_err(err)?
            .collect::<Result<_, _>>()
            .map_err(err)
    }

    fn case_page(
        &self,
        view: &CaseView,
        query: &CaseQuery,
        now: Timestamp,
    ) -> Result<CasePage, StorageError> {
        let reader = self.reader();
        let total = rows_of(&reader, &rows::count_statement(view, query), |r| {
            r.get::<_, i64>(0)
        })?;
        let page = rows_of(&reader, &rows::page_statement(view, query, now), |r| {
            Ok((
                CaseRow {
                    id: r.get(0)?,
                    squad: r.get(1)?,
                    status: r.get(2)?,
                    domain: r.get(3)?,
                    domain_name: r.get(4)?,
                    violation: r.get(5)?,
                    violation_name: r.get(6)?,
                    address: r.get(7)?,
                    grid: r.get(8)?,
                    parties: r.get(9)?,
                    summary: r.get(10)?,
                    registered_at: r.get(11)?,
                    updated_at: r.get(12)?,
                    outcome721: match (r.get::<_, Option<String>>(13)?, r.get(14)?) {
                        (Some(k), Some(at)) => Some((k, at)),
                        _ => None,
                    },
                    people: Vec::new(),
                    deadlines: Vec::new(),
                    disclosure: None,
                },
                r.get::<_, i64>(15)?,
            ))
        })?;
        Ok(CasePage {
            total: rows::count(total.first().copied().unwrap_or_default())?,
            rows: page
                .into_iter()
                .map(|(row, overdue)| Ok((row, rows::count(overdue)?)))
                .collect::<Result<_, StorageError>>()?,
        })
    }

    fn case_figures(
        &self,
        view: &CaseView,
        period: Period,
        now: Timestamp,
        due_soon_ms: i64,
    ) -> Result<CaseFigures, StorageError> {
        let reader = self.reader();
        rows::figures(view, period, now, due_soon_ms, |st| {
            rows_of(&reader, st, |r| {
                let numbers = (2..r.as_ref().column_count())
                    .map(|i| r.get::<_, Option<i64>>(i).map(Option::unwrap_or_default))
                    .collect::<rusqlite::Result<_>>()?;
                Ok((r.get(0)?, r.get(1)?, numbers))
            })
        })
    }
}

/// The `blobs` table has no column for a blob kept: whether it is kept is asked of the evidence
/// store each time (a file lookup), as [`Blobs`] does for a kept blob not yet recorded, which
/// keeps the schema as existing stations have it.
impl BlobRows for SqliteStorage {
    fn blob_row(&self, hash: &Digest) -> Result<Option<(u64, bool)>, StorageError> {
        self.reader()
            .query_row(
                "SELECT size FROM blobs WHERE hash = ?1 AND NOT deleting",
                [hash.to_vec()],
                |r| r.get::<_, i64>(0),
            )
            .optional()
            .map_err(err)?
            .map(|size| {
                let size = u64::try_from(size)
                    .map_err(|_| StorageError::Damaged(format!("a blob's size is {size}")))?;
                Ok((size, false))
            })
            .transpose()
    }

    fn start_blob_row(&self, hash: &Digest, size: u64) -> Result<(), StorageError> {
        let size = i64::try_from(size)
            .map_err(|_| StorageError::Backend(format!("{size} is too large to store")))?;
        let started = self
            .conn()
            .execute(
                "INSERT INTO blobs(hash, size, attempt) VALUES (?1, ?2, 0)
                 ON CONFLICT(hash) DO UPDATE SET size = excluded.size, attempt = attempt + 1
                 WHERE NOT deleting",
                params![hash.to_vec(), size],
            )
            .map_err(err)?;
        upload_started(started as u64)
    }

    fn mark_blob_kept(&self, hash: &Digest, case: Option<&str>) -> Result<(), StorageError> {
        // Nothing to record of the blob: the kept file itself is the record.
        let Some(case) = case else { return Ok(()) };
        // Under the one writer, as `link_blob`: a blob deleted meanwhile is not linked.
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(err)?;
        upload_started(u64::from(has_blob_row(&tx, hash, false)?))?;
        tx.execute(LINK_BLOB, params![hash.to_vec(), case])
            .map_err(err)?;
        tx.execute(CLEAR_PENDING_BLOB, params![hash.to_vec(), case])
            .map_err(err)?;
        tx.commit().map_err(err)
    }

    fn forget_blob_row(&self, hash: &Digest) -> Result<(), StorageError> {
        self.conn()
            .execute(
                "DELETE FROM blobs WHERE hash = ?1 AND NOT deleting",
                [hash.to_vec()],
            )
            .map(drop)
            .map_err(err)
    }

    fn unkept_blob_rows(&self) -> Result<Vec<Digest>, StorageError> {
        self.hashes("SELECT hash FROM blobs WHERE NOT deleting ORDER BY hash")
    }

    fn unlink_blob_row(&self, hash: &Digest, case: &str) -> Result<bool, StorageError> {
        // Under the one writer, in one transaction.
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(err)?;
        tx.execute(
            "DELETE FROM blob_cases WHERE hash = ?1 AND case_id = ?2",
            params![hash.to_vec(), case],
        )
        .map_err(err)?;
        let left: i64 = tx
            .query_row(
                "SELECT count(*) FROM blob_cases WHERE hash = ?1",
                params![hash.to_vec()],
                |r| r.get(0),
            )
            .map_err(err)?;
        let marked = left == 0
            && tx
                .execute(
                    "UPDATE blobs SET deleting = 1 WHERE hash = ?1 AND NOT deleting",
                    params![hash.to_vec()],
                )
                .map_err(err)?
                == 1;
        tx.commit().map_err(err)?;
        Ok(marked)
    }

    fn deleting_blob_rows(&self) -> Result<Vec<Digest>, StorageError> {
        self.hashes("SELECT hash FROM blobs WHERE deleting ORDER BY hash")
    }

    fn finish_deleting(
        &self,
        hash: &Digest,
        remove: &mut dyn FnMut() -> Result<(), StorageError>,
    ) -> Result<bool, StorageError> {
        // Under the one writer: no upload writes the blob's row meanwhile.
        let mut conn = self.conn();
        if !has_blob_row(&conn, hash, true)? {
            return Ok(false);
        }
        remove()?;
        // The row's end and the note for backups together.
        let tx = conn.transaction().map_err(err)?;
        tx.execute(
            "DELETE FROM blobs WHERE hash = ?1 AND deleting",
            [hash.to_vec()],
        )
        .map_err(err)?;
        tx.execute(
            "INSERT INTO deleted_blobs(hash, at)
             VALUES (?1, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER))
             ON CONFLICT(hash) DO UPDATE SET at = excluded.at",
            [hash.to_vec()],
        )
        .map_err(err)?;
        tx.commit().map_err(err)?;
        Ok(true)
    }

    fn claim_stray(&self, hash: &Digest) -> Result<bool, StorageError> {
        let claimed = self
            .conn()
            .execute(
                "INSERT INTO blobs(hash, size, attempt, deleting) VALUES (?1, 0, 0, 1)
                 ON CONFLICT(hash) DO UPDATE SET deleting = 1 WHERE deleting",
                [hash.to_vec()],
            )
            .map_err(err)?;
        Ok(claimed == 1)
    }
}

/// Links a blob to a case (once): by `link_blob`, and with a kept blob's row in `mark_blob_kept`.
const LINK_BLOB: &str = "INSERT OR IGNORE INTO blob_cases(hash, case_id) VALUES (?1, ?2)";

/// Takes a file off a case's pending list: by `clear_pending_blob`, and in `mark_blob_kept`.
const CLEAR_PENDING_BLOB: &str = "DELETE FROM pending_blobs WHERE hash = ?1 AND case_id = ?2";

/// Whether `hash` has a row being deleted (`deleting`) or one that is not.
fn has_blob_row(conn: &Connection, hash: &Digest, deleting: bool) -> Result<bool, StorageError> {
    row_exists(
        conn,
        "SELECT 1 FROM blobs WHERE hash = ?1 AND deleting = ?2",
        params![hash.to_vec(), deleting],
    )
}

/// Whether `sql` finds a row.
fn row_exists(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<bool, StorageError> {
    conn.query_row(sql, params, |_| Ok(()))
        .optional()
        .map(|row| row.is_some())
        .map_err(err)
}

impl SqliteStorage {
    fn conn(&self) -> MutexGuard<'_, Connection> {
        // A statement that panicked left no transaction open (rusqlite rolls back on drop).
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn reader(&self) -> MutexGuard<'_, Connection> {
        self.reader.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The signed object a single-row table keeps: its bytes and signature.
    fn single(&self, table: &str) -> Result<Option<StoredSigned>, StorageError> {
        self.reader()
            .query_row(&format!("SELECT bytes, signature FROM {table}"), [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()
            .map_err(err)
    }

    /// The hashes a query of one column returns.
    fn hashes(&self, sql: &str) -> Result<Vec<Digest>, StorageError> {
        let conn = self.reader();
        let mut stmt = conn.prepare(sql).map_err(err)?;
        let rows = stmt
            .query_map([], |r| r.get::<_, Vec<u8>>(0))
            .map_err(err)?;
        rows.map(|r| stored_digest(r.map_err(err)?)).collect()
    }

    /// Certificates a query of one parameter returns (bytes and signature its first two
    /// columns), in its order.
    fn certificates(&self, sql: &str, arg: &str) -> Result<Vec<SignedCertificate>, StorageError> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(sql).map_err(err)?;
        let rows = stmt
            .query_map([arg], |r| {
                Ok(SignedCertificate {
                    bytes: r.get(0)?,
                    signature: r.get(1)?,
                })
            })
            .map_err(err)?;
        rows.map(|r| r.map_err(err)).collect()
    }

    /// Entries a query of one parameter returns, in its order.
    fn entries(&self, sql: &str, arg: &str) -> Result<Vec<SignedEntry>, StorageError> {
        Ok(self
            .entries_with(sql, arg, |_| Ok(()))?
            .into_iter()
            .map(|(e, ())| e)
            .collect())
    }

    /// As [`Self::entries`], each with what `more` reads of its row after the entry's four
    /// columns.
    fn entries_with<T>(
        &self,
        sql: &str,
        arg: &str,
        more: impl Fn(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Vec<(SignedEntry, T)>, StorageError> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(sql).map_err(err)?;
        let rows = stmt
            .query_map([arg], |r| {
                Ok(((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?), more(r)?))
            })
            .map_err(err)?;
        rows.map(|r| {
            let (entry, more) = r.map_err(err)?;
            Ok((entry_from(entry)?, more))
        })
        .collect()
    }
}

/// The log held for appending: a write transaction on the store's one connection.
struct SqliteSequencer<'a> {
    conn: MutexGuard<'a, Connection>,
    /// The transaction is still open (rolled back if dropped so).
    open: bool,
}

impl Sequencer for SqliteSequencer<'_> {
    fn head(&self) -> Result<LogHead, StorageError> {
        read_head(&self.conn)
    }

    fn feed_heads(
        &self,
        devices: &BTreeSet<String>,
    ) -> Result<BTreeMap<String, FeedHead>, StorageError> {
        feed_heads(&self.conn, devices)
    }

    fn tile(&self, id: TileId) -> Result<Option<Vec<u8>>, StorageError> {
        read_tile(&self.conn, id)
    }

    fn commit(
        mut self: Box<Self>,
        entries: &[SignedEntry],
        tiles: &[(TileId, Vec<u8>)],
        head: &LogHead,
    ) -> Result<(), StorageError> {
        let first = read_head(&self.conn)?.tree.size;
        for (i, e) in entries.iter().enumerate() {
            insert_entry(&self.conn, first + i as u64, e)?;
        }
        write_tree(&self.conn, tiles, head)?;
        self.conn.execute_batch("COMMIT").map_err(err)?;
        self.open = false;
        Ok(())
    }
}

impl Drop for SqliteSequencer<'_> {
    fn drop(&mut self) {
        if self.open {
            // Nothing of an uncommitted append may stay; a failed rollback leaves the
            // transaction to SQLite, which discards it when the connection next begins one.
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }
}

/// The latest wrong codes from one source (`?3`) after `?1`, at most `?2`.
const FAILURES_FROM_SOURCE: &str = "SELECT time FROM code_failures WHERE source = ?3 AND time > ?1
     ORDER BY time DESC LIMIT ?2";
/// The latest wrong codes from anywhere after `?1`, at most `?2`.
const FAILURES_IN_ALL: &str =
    "SELECT time FROM code_failures WHERE time > ?1 ORDER BY time DESC LIMIT ?2";

// The batched reads take their ids as one JSON array (`json_each`): one statement text, so
// prepared once whatever the count, with no limit on the number of parameters; SQLite looks
// each id up in the index as it would a list of placeholders.

/// The documents of the cases of the JSON array `?1`.
const CASE_DOCS: &str = "SELECT case_id, squad, status, heads, doc FROM case_docs
     WHERE case_id IN (SELECT value FROM json_each(?1)) ORDER BY case_id";
/// The feeds that touched any case of the JSON object `?1`'s `cases`, each up to its last
/// entry about one, on from the last entry held (`last`, by device), with the entries before
/// about a case the device holds none of (`fresh`): [`FeedsHeld`], device by device in order.
const FEEDS_FOR_CASES: &str = "WITH t AS (
       SELECT device, max(seq) AS last,
              coalesce((SELECT value FROM json_each(?1, '$.last') WHERE key = device), 0) AS held
       FROM log WHERE case_id IN (SELECT value FROM json_each(?1, '$.cases')) GROUP BY device)
     SELECT l.entry, l.body, l.device_sig, l.actor_sigs, l.idx - 1, l.hash, l.device, l.seq
     FROM t JOIN log l ON l.device = t.device AND l.seq > t.held AND l.seq <= t.last
     UNION ALL
     SELECT l.entry, l.body, l.device_sig, l.actor_sigs, l.idx - 1, l.hash, l.device, l.seq
     FROM t JOIN log l ON l.device = t.device AND l.seq <= min(t.held, t.last)
       AND l.case_id IN (SELECT value FROM json_each(?1, '$.fresh'))
     ORDER BY 7, 8";
/// The certificates of the devices of the JSON array `?1`: device by device, its people's
/// (by their bytes), then its own.
const DEVICE_CERTIFICATES: &str = "SELECT cert, signature, device, 0 FROM officer_certs
       WHERE device IN (SELECT value FROM json_each(?1))
     UNION ALL
     SELECT cert, signature, id, 1 FROM devices WHERE id IN (SELECT value FROM json_each(?1))
     ORDER BY 3, 4, 1";

/// Ids as the JSON array the batched reads take.
fn json_list<'a>(ids: impl IntoIterator<Item = &'a String>) -> Result<String, StorageError> {
    serde_json::to_string(&ids.into_iter().collect::<Vec<_>>()).map_err(err)
}

/// The query of [`Storage::case_metas_seen`] and its arguments.
fn metas_seen(view: &CaseView) -> (String, Vec<String>) {
    const COLUMNS: &str = "SELECT case_id, squad, status, heads, desk_acts FROM case_docs";
    if view.everything {
        return (format!("{COLUMNS} ORDER BY case_id"), Vec::new());
    }
    let squads: Vec<String> = view.squads.iter().cloned().collect();
    let statuses: Vec<String> = if view.sent_for_review {
        CaseStatus::all_sent_for_review()
            .map(|s| s.code().to_owned())
            .collect()
    } else {
        Vec::new()
    };
    // One placeholder per squad and status (a device holds a few people's keys), each list
    // looked up in its column's index; an empty list is left out, as SQLite then scans.
    let mut terms = Vec::new();
    let mut args = Vec::new();
    for (column, values) in [("squad", squads), ("status", statuses)] {
        if values.is_empty() {
            continue;
        }
        let places: Vec<String> = (args.len()..args.len() + values.len())
            .map(|i| format!("?{}", i + 1))
            .collect();
        terms.push(format!("{column} IN ({})", places.join(", ")));
        args.extend(values);
    }
    let filter = if terms.is_empty() {
        "0".to_owned()
    } else {
        terms.join(" OR ")
    };
    let sql = format!("{COLUMNS} WHERE {filter} ORDER BY case_id");
    (sql, args)
}

fn read_head(conn: &Connection) -> Result<LogHead, StorageError> {
    let row = conn
        .query_row(
            "SELECT size, root, checkpoint, checkpoint_sig, note FROM log_head",
            [],
            |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, Vec<u8>>(1)?,
                    r.get::<_, Option<Vec<u8>>>(2)?,
                    r.get::<_, Option<Vec<u8>>>(3)?,
                    r.get::<_, Option<String>>(4)?,
                ))
            },
        )
        .optional()
        .map_err(err)?;
    let Some((size, root, bytes, signature, note)) = row else {
        return Ok(LogHead::EMPTY);
    };
    Ok(LogHead {
        tree: TreeState {
            size: size as u64,
            root: stored_digest(root)?,
        },
        checkpoint: bytes
            .zip(signature)
            .map(|(bytes, signature)| SignedCheckpoint { bytes, signature }),
        note,
    })
}

fn read_tile(conn: &Connection, id: TileId) -> Result<Option<Vec<u8>>, StorageError> {
    conn.query_row(
        "SELECT hashes FROM log_tiles WHERE level = ?1 AND idx = ?2",
        params![id.level, id.index as i64],
        |r| r.get(0),
    )
    .optional()
    .map_err(err)
}

fn entry_hashes(conn: &Connection, from: u64, to: u64) -> Result<Vec<Digest>, StorageError> {
    // Log indexes count from 0; the table's rowids from 1.
    let mut stmt = conn
        .prepare_cached("SELECT hash FROM log WHERE idx > ?1 AND idx <= ?2 ORDER BY idx")
        .map_err(err)?;
    let rows = stmt
        .query_map(params![from as i64, to.min(i64::MAX as u64) as i64], |r| {
            r.get::<_, Vec<u8>>(0)
        })
        .map_err(err)?;
    rows.map(|r| stored_digest(r.map_err(err)?)).collect()
}

fn feed_heads(
    conn: &Connection,
    devices: &BTreeSet<String>,
) -> Result<BTreeMap<String, FeedHead>, StorageError> {
    let mut stmt = conn
        .prepare_cached("SELECT seq, hash FROM log WHERE device = ?1 ORDER BY seq DESC LIMIT 1")
        .map_err(err)?;
    let mut out = BTreeMap::new();
    for device in devices {
        let head = stmt
            .query_row([device], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?))
            })
            .optional()
            .map_err(err)?;
        if let Some((seq, hash)) = head {
            out.insert(
                device.clone(),
                FeedHead {
                    seq: seq as u64,
                    hash: stored_digest(hash)?,
                },
            );
        }
    }
    Ok(out)
}

fn insert_entry(conn: &Connection, index: u64, e: &SignedEntry) -> Result<(), StorageError> {
    let (device, seq, case) = qc_station_storage::entry_place(e)?;
    let sigs = qc_station_storage::actor_sigs_kept(&e.actor_sigs)?;
    conn.prepare_cached(
        "INSERT INTO log(idx, hash, device, seq, case_id, entry, body, device_sig, actor_sigs)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )
    .and_then(|mut stmt| {
        stmt.execute(params![
            index as i64 + 1,
            e.hash().to_vec(),
            device,
            seq as i64,
            case,
            e.bytes,
            e.body,
            e.device_sig,
            sigs
        ])
    })
    .map(drop)
    .map_err(err)
}

fn write_tree(
    conn: &Connection,
    tiles: &[(TileId, Vec<u8>)],
    head: &LogHead,
) -> Result<(), StorageError> {
    for (id, hashes) in tiles {
        conn.prepare_cached(
            "INSERT INTO log_tiles(level, idx, hashes) VALUES (?1, ?2, ?3)
             ON CONFLICT(level, idx) DO UPDATE SET hashes = excluded.hashes",
        )
        .and_then(|mut stmt| stmt.execute(params![id.level, id.index as i64, hashes]))
        .map_err(err)?;
    }
    let (bytes, signature) = head
        .checkpoint
        .as_ref()
        .map(|c| (c.bytes.clone(), c.signature.clone()))
        .unzip();
    conn.execute(
        "INSERT INTO log_head(one, size, root, checkpoint, checkpoint_sig, note)
         VALUES (1, ?1, ?2, ?3, ?4, ?5)
         ON CONFLICT(one) DO UPDATE SET size = excluded.size, root = excluded.root,
           checkpoint = excluded.checkpoint, checkpoint_sig = excluded.checkpoint_sig,
           note = excluded.note",
        params![
            head.tree.size as i64,
            head.tree.root.to_vec(),
            bytes,
            signature,
            head.note
        ],
    )
    .map(drop)
    .map_err(err)
}

/// Tiles read from the connection during a build.
struct ConnTiles<'a>(&'a Connection);

impl qc_tlog::TileSource for ConnTiles<'_> {
    type Error = StorageError;
    fn tile(&self, id: TileId) -> Result<Option<Vec<u8>>, StorageError> {
        read_tile(self.0, id)
    }
}

/// Builds the tiles of a store kept before the log had them (its leaves were the tree), in
/// batches, each committed with the head it reaches: an interrupted build goes on at the next
/// open. The last checkpoint signed over the whole log stays the head's.
fn build_tiles(conn: &Connection) -> Result<(), StorageError> {
    let leaves: i64 = conn
        .query_row("SELECT count(*) FROM log", [], |r| r.get(0))
        .map_err(err)?;
    loop {
        let head = read_head(conn)?;
        let size = head.tree.size;
        if size >= leaves as u64 {
            return Ok(());
        }
        conn.execute_batch("BEGIN IMMEDIATE").map_err(err)?;
        let built = (|| {
            let batch = entry_hashes(conn, size, size + TILE_BUILD_BATCH)?;
            let done = qc_tlog::integrate(&head.tree, &ConnTiles(conn), &batch)
                .map_err(|e| StorageError::Damaged(format!("building the log's tiles: {e}")))?;
            let checkpoint = if done.state.size == leaves as u64 {
                conn.query_row("SELECT bytes, signature FROM checkpoint", [], |r| {
                    Ok(SignedCheckpoint {
                        bytes: r.get(0)?,
                        signature: r.get(1)?,
                    })
                })
                .optional()
                .map_err(err)?
            } else {
                None
            };
            write_tree(
                conn,
                &done.tiles,
                &LogHead {
                    tree: done.state,
                    checkpoint,
                    note: None,
                },
            )
        })();
        match built {
            Ok(()) => conn.execute_batch("COMMIT").map_err(err)?,
            Err(e) => {
                let _ = conn.execute_batch("ROLLBACK");
                return Err(e);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sqlite_backend_passes_the_storage_suite() {
        qc_station_storage::suite::run(|| SqliteStorage::temporary().unwrap());
        qc_station_storage::desk::suite::run(&SqliteStorage::temporary().unwrap());
        qc_station_storage::rows::suite::run(&SqliteStorage::temporary().unwrap());
    }

    #[test]
    fn bytes_arriving_after_their_deletion_go() {
        let dir = tempfile::tempdir().unwrap();
        let evidence = LocalEvidence::open(dir.path().join("blobs"), [3; 32]).unwrap();
        qc_station_storage::suite::bytes_arriving_after_their_deletion_go(
            |evidence| {
                SqliteStorage::open_with_evidence(
                    &dir.path().join("station.db"),
                    &[7; 32],
                    evidence,
                )
                .unwrap()
            },
            Box::new(evidence),
        );
    }

    /// A store kept before deadline rows carried their case's squad and status: opening it
    /// moves them, and its people, into the rows the dashboard reads, which count as before.
    #[test]
    fn an_older_store_s_deadlines_count_as_before_once_migrated() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("server.db");
        let key = [4u8; 32];
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(&format!("PRAGMA key = \"x'{}'\";", hex::encode(key)))
                .unwrap();
            // The migrations before the one that shaped the rows for the dashboard.
            let before = 15;
            for (i, m) in MIGRATIONS[..before].iter().enumerate() {
                conn.execute_batch(&format!(
                    "BEGIN; {m} PRAGMA user_version = {}; COMMIT;",
                    i + 1
                ))
                .unwrap();
            }
            conn.execute_batch(qc_station_storage::rows::suite::ROWS_BEFORE_DUTIES)
                .unwrap();
        }
        let s = SqliteStorage::open(&path, &key).unwrap();
        qc_station_storage::rows::suite::rows_before_duties_count_as_before(&s);
    }

    /// A store kept before the log counted the desks' acts per case: opening it counts those
    /// already logged (a tablet's entries not among them), and the log counts on from there.
    #[test]
    fn an_older_store_s_desk_acts_are_counted_once_migrated() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("server.db");
        let key = [5u8; 32];
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(&format!("PRAGMA key = \"x'{}'\";", hex::encode(key)))
                .unwrap();
            // Later migrations follow it: found by what it adds.
            let before = MIGRATIONS
                .iter()
                .position(|m| m.contains("ADD COLUMN desk_acts"))
                .unwrap();
            for (i, m) in MIGRATIONS[..before].iter().enumerate() {
                conn.execute_batch(&format!(
                    "BEGIN; {m} PRAGMA user_version = {}; COMMIT;",
                    i + 1
                ))
                .unwrap();
            }
            conn.execute_batch(
                "INSERT INTO case_docs(case_id, squad, doc) VALUES ('c1', '一中队', x''),
                   ('c2', '一中队', x''), ('c3', '一中队', x'');
                 INSERT INTO log(idx, hash, device, seq, case_id, entry, device_sig, actor_sigs)
                 SELECT column1, randomblob(32), column2, column3, column4, x'', x'', x''
                 FROM (VALUES (1, 'desk-sun', 1, 'c1'), (2, 'a', 1, 'c1'),
                   (3, 'desk-sun', 2, 'c2'), (4, 'desk-zhou', 1, 'c1'), (5, 'desks', 1, 'c3'));",
            )
            .unwrap();
        }
        let s = SqliteStorage::open(&path, &key).unwrap();
        let counted = qc_station_storage::suite::desk_acts_counted::<SqliteStorage>;
        assert_eq!(
            counted(&s),
            [("c1".into(), 2), ("c2".into(), 1), ("c3".into(), 0)]
        );
        let next = qc_station_storage::suite::entry("desk-sun", 3, [0; 32], "c2");
        qc_station_storage::suite::append(&s, &[next]).unwrap();
        assert_eq!(counted(&s)[1], ("c2".into(), 2));
    }

    /// A store kept before the log had tiles (its leaves were the tree, rebuilt at start):
    /// opening it builds the tiles, in more than one batch, and keeps its last checkpoint.
    #[test]
    fn an_older_store_gets_its_tiles_built_at_open() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("server.db");
        let leaves = TILE_BUILD_BATCH + 300;
        {
            let s = SqliteStorage::open(&path, &[3; 32]).unwrap();
            s.conn()
                .execute_batch(&format!(
                    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {leaves})
                     INSERT INTO log(idx, hash, device, seq, case_id, entry, device_sig, actor_sigs)
                     SELECT i, randomblob(32), 'a', i, 'c1', x'', x'', x'' FROM n;
                     INSERT INTO checkpoint(one, bytes, signature) VALUES (1, x'01', x'02');"
                ))
                .unwrap();
        }
        let s = SqliteStorage::open(&path, &[3; 32]).unwrap();
        let hashes = s.entry_hashes(0, leaves).unwrap();
        assert_eq!(hashes.len() as u64, leaves);
        let mut mem = qc_tlog::MemTiles::new();
        let done = qc_tlog::integrate(&TreeState::EMPTY, &mem, &hashes).unwrap();
        mem.apply(&done);
        let head = s.log_head().unwrap();
        assert_eq!(head.tree, done.state);
        assert_eq!(
            head.checkpoint,
            Some(SignedCheckpoint {
                bytes: vec![1],
                signature: vec![2],
            })
        );
        for (id, tile) in &mem.tiles {
            assert_eq!(s.tile(*id).unwrap().as_ref(), Some(tile), "tile {id:?}");
        }
    }

    /// What SQLite plans for a query: one line per step.
    fn plan(s: &SqliteStorage, sql: &str, args: &[&dyn rusqlite::ToSql]) -> Vec<String> {
        let conn = s.reader();
        let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        stmt.query_map(args, |r| r.get::<_, String>(3))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }

    /// The queries a sync and an enrolment make read through indexes, never the whole table
    /// (SQLite plans without statistics, so an empty store plans as a full one would).
    #[test]
    fn cases_seen_and_wrong_codes_are_read_by_index() {
        use qc_domain::{Person, PersonId, Role};
        let s = SqliteStorage::temporary().unwrap();
        let reviewer = Person {
            id: PersonId("l".into()),
            name: "孙丽".into(),
            role: Role::LegalReviewer,
            cert_no: None,
            squad: "二中队".into(),
        };
        let (sql, args) = metas_seen(&CaseView::of_device("一中队", [&reviewer]));
        let args: Vec<&dyn rusqlite::ToSql> =
            args.iter().map(|a| a as &dyn rusqlite::ToSql).collect();
        let steps = plan(&s, &sql, &args);
        let uses = |index: &str| steps.iter().any(|l| l.contains(index));
        assert!(
            uses("case_docs_squad")
                && uses("case_docs_status")
                && !steps.iter().any(|l| l.starts_with("SCAN case_docs")),
            "{steps:?}"
        );
        let (sql, _) = metas_seen(&CaseView::squad("一中队"));
        let steps = plan(&s, &sql, &[&"一中队"]);
        assert!(
            steps.iter().all(|l| !l.starts_with("SCAN case_docs")),
            "{steps:?}"
        );
        for (sql, index) in [
            (FAILURES_FROM_SOURCE, "code_failures_source"),
            (FAILURES_IN_ALL, "code_failures_time"),
        ] {
            let args: [&dyn rusqlite::ToSql; 3] = [&0i64, &10u32, &"10.0.0.1"];
            let steps = plan(&s, sql, &args[..sql.matches('?').count()]);
            assert!(steps.iter().any(|l| l.contains(index)), "{steps:?}");
        }
    }

    /// A sync's batched reads look each id up in an index, whatever the number of ids.
    #[test]
    fn batched_reads_look_ids_up_by_index() {
        let s = SqliteStorage::temporary().unwrap();
        for sql in [CASE_DOCS, FEEDS_FOR_CASES, DEVICE_CERTIFICATES] {
            let steps = plan(&s, sql, &[&r#"["c1", "c2", "c3"]"#]);
            let scanned = steps.iter().any(|l| {
                ["log", "l", "case_docs", "officer_certs", "devices"]
                    .iter()
                    .any(|table| l.starts_with(&format!("SCAN {table}")))
            });
            assert!(!scanned, "{steps:?}");
        }
    }

    #[test]
    fn the_file_is_encrypted_and_reopens_with_its_key_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("server.db");
        let s = SqliteStorage::open(&path, &[3; 32]).unwrap();
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
