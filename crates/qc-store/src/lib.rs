//! The encrypted local store: one SQLCipher database per device holding the case documents, the
//! case-list projection derived from them, enrolled officers with their PIN-wrapped keys, and
//! device secrets.
//!
//! Opening never writes before the key is proven right, so a wrong key or a damaged file gives
//! an error and leaves the file as it was.

mod cases;
mod ledger;
pub mod migrations;
mod officers;
mod set_aside;

use std::path::{Path, PathBuf};

use qc_casedoc::DocError;
use qc_domain::{Catalogue, DeadlinePolicy};
use qc_identity::IdentityError;
use rusqlite::{Connection, ErrorCode, OpenFlags, OptionalExtension, params};
use thiserror::Error;
use zeroize::Zeroizing;

pub use cases::{CaseFilter, CaseRow, DueFilter, Ratio721};
pub use ledger::{EntryContext, Touched};
pub use officers::OfficerRecord;
pub use set_aside::{OwnEntry, SetAsideNote};

/// The 32-byte database key. On a tablet it comes from the platform keystore; elsewhere from a
/// key file readable only by its owner.
pub struct DbKey(Zeroizing<[u8; 32]>);

impl DbKey {
    /// Wraps raw key bytes.
    pub fn new(bytes: [u8; 32]) -> DbKey {
        DbKey(Zeroizing::new(bytes))
    }

    fn pragma(&self) -> Zeroizing<String> {
        Zeroizing::new(format!("PRAGMA key = \"x'{}'\";", hex::encode(*self.0)))
    }
}

/// Why the store failed.
#[derive(Debug, Error)]
pub enum StoreError {
    /// No database at that path.
    #[error("no database at {0}")]
    Missing(PathBuf),
    /// Refusing to create over an existing file.
    #[error("a file already exists at {0}; refusing to overwrite it")]
    AlreadyExists(PathBuf),
    /// The key does not open the file, or the file is damaged.
    #[error("cannot open {0}: wrong key or damaged file")]
    WrongKeyOrDamaged(PathBuf),
    /// A plain, unencrypted SQLite file.
    #[error("{0} is an unencrypted SQLite file; refusing to use it")]
    NotEncrypted(PathBuf),
    /// An empty file where a database should be.
    #[error("{0} is empty or was never initialised")]
    Empty(PathBuf),
    /// Written by a newer version of the app.
    #[error("database schema {found} is newer than this app supports ({supported})")]
    NewerSchema {
        /// Version in the file.
        found: u32,
        /// Version this build knows.
        supported: u32,
    },
    /// The file is damaged past its first page.
    #[error("database is damaged: {0}")]
    Damaged(String),
    /// No case with that id.
    #[error("no case with id {0}")]
    UnknownCase(String),
    /// No officer with that id on this device.
    #[error("no officer {0} enrolled on this device")]
    UnknownOfficer(String),
    /// Stored data could not be decoded.
    #[error("stored data is malformed: {0}")]
    Malformed(String),
    /// SQLite error.
    #[error("database error: {0}")]
    Sqlite(rusqlite::Error),
    /// Case document error.
    #[error(transparent)]
    Doc(#[from] DocError),
    /// Identity error.
    #[error(transparent)]
    Identity(#[from] IdentityError),
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        match e.sqlite_error_code() {
            Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase) => {
                StoreError::Damaged(e.to_string())
            }
            _ => StoreError::Sqlite(e),
        }
    }
}

impl StoreError {
    /// The reason in Chinese.
    pub fn message_zh(&self) -> String {
        match self {
            Self::Missing(p) => {
                format!("数据文件不存在：{}（请先运行 quancheng init）", p.display())
            }
            Self::AlreadyExists(p) => format!("数据文件已存在：{}，不会覆盖", p.display()),
            Self::WrongKeyOrDamaged(p) => {
                format!(
                    "无法打开数据文件 {}：密钥错误或文件已损坏（文件未被改动）",
                    p.display()
                )
            }
            Self::NotEncrypted(p) => format!("{} 是未加密的数据库文件，拒绝使用", p.display()),
            Self::Empty(p) => format!("数据文件 {} 为空或未初始化", p.display()),
            Self::NewerSchema { .. } => "数据文件由更新版本的应用写入，请升级应用".into(),
            Self::Damaged(_) => "数据文件已损坏".into(),
            Self::UnknownCase(id) => format!("未找到案件：{id}"),
            Self::UnknownOfficer(id) => format!("本设备未登记执法人员：{id}"),
            Self::Malformed(_) | Self::Doc(_) => "存储的数据格式错误".into(),
            Self::Sqlite(_) => "数据库错误".into(),
            Self::Identity(e) => e.message_zh(),
        }
    }
}

/// The store.
pub struct Store {
    conn: Connection,
    catalogue: Catalogue,
    policy: DeadlinePolicy,
}

const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";

impl Store {
    /// Creates a new encrypted database; refuses if anything exists at `path`.
    pub fn create(path: &Path, key: &DbKey) -> Result<Store, StoreError> {
        Self::create_at_version(path, key, migrations::LATEST)
    }

    /// Creates a database with only the first `version` migrations (tests of upgrades).
    #[doc(hidden)]
    pub fn create_at_version(path: &Path, key: &DbKey, version: u32) -> Result<Store, StoreError> {
        if path.exists() {
            return Err(StoreError::AlreadyExists(path.to_owned()));
        }
        initialise_sqlcipher();
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.execute_batch(&key.pragma())?;
        configure(&conn)?;
        migrate_to(&conn, version)?;
        Self::with_conn(conn)
    }

    /// Opens an existing database, upgrading its schema if it is older.
    pub fn open(path: &Path, key: &DbKey) -> Result<Store, StoreError> {
        let meta = std::fs::metadata(path).map_err(|_| StoreError::Missing(path.to_owned()))?;
        if meta.len() == 0 {
            return Err(StoreError::Empty(path.to_owned()));
        }
        let mut head = [0u8; 16];
        if let Ok(mut f) = std::fs::File::open(path) {
            use std::io::Read;
            let _ = f.read_exact(&mut head);
        }
        initialise_sqlcipher();
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        quiet_cipher_log(&conn);
        conn.execute_batch(&key.pragma())?;
        // Proves the key before anything is written (setting WAL would write the header).
        let version: u32 = match conn.query_row("PRAGMA user_version", [], |r| r.get(0)) {
            Ok(v) => v,
            Err(e) if &head == SQLITE_HEADER => {
                tracing::warn!(path = %path.display(), error = %e, "refusing unencrypted database");
                return Err(StoreError::NotEncrypted(path.to_owned()));
            }
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "database key check failed");
                return Err(StoreError::WrongKeyOrDamaged(path.to_owned()));
            }
        };
        if version == 0 {
            return Err(StoreError::Empty(path.to_owned()));
        }
        if version > migrations::LATEST {
            return Err(StoreError::NewerSchema {
                found: version,
                supported: migrations::LATEST,
            });
        }
        configure(&conn)?;
        migrate_to(&conn, migrations::LATEST)?;
        let mut store = Self::with_conn(conn)?;
        if version < migrations::PROJECTION_CHANGED_AT {
            tracing::info!(
                from = version,
                "rebuilding the case list for the new schema"
            );
            store.rebuild_projection()?;
        }
        Ok(store)
    }

    fn with_conn(conn: Connection) -> Result<Store, StoreError> {
        let mut store = Store {
            conn,
            catalogue: Catalogue::default_zh(),
            policy: DeadlinePolicy::default(),
        };
        if store.schema_version()? >= 1
            && let Some(json) = store.meta("catalogue")?
        {
            let text = String::from_utf8(json).map_err(|e| StoreError::Malformed(e.to_string()))?;
            store.catalogue =
                Catalogue::from_json(&text).map_err(|e| StoreError::Malformed(e.to_string()))?;
        }
        Ok(store)
    }

    /// The schema version of the open file.
    pub fn schema_version(&self) -> Result<u32, StoreError> {
        Ok(self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))?)
    }

    /// The catalogue of domains and violation types in force on this device.
    pub fn catalogue(&self) -> &Catalogue {
        &self.catalogue
    }

    /// Deadline settings in force.
    pub fn policy(&self) -> &DeadlinePolicy {
        &self.policy
    }

    /// Replaces the catalogue (a city's edited list) and re-derives the projection.
    pub fn set_catalogue(&mut self, catalogue: Catalogue) -> Result<(), StoreError> {
        let json =
            serde_json::to_vec(&catalogue).map_err(|e| StoreError::Malformed(e.to_string()))?;
        self.set_meta("catalogue", &json)?;
        self.catalogue = catalogue;
        self.rebuild_projection()
    }

    /// A metadata value.
    pub fn meta(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()?)
    }

    /// Sets a metadata value.
    pub fn set_meta(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO meta(key, value) VALUES (?1, ?2)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        Ok(())
    }

    /// A secret (key seed) kept inside the encrypted file.
    pub fn secret(&self, name: &str) -> Result<Option<Zeroizing<Vec<u8>>>, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT value FROM secrets WHERE name = ?1", [name], |r| {
                r.get::<_, Vec<u8>>(0)
            })
            .optional()?
            .map(Zeroizing::new))
    }

    /// Stores a secret; refuses to replace an existing one (keys are never silently swapped).
    pub fn put_secret(&self, name: &str, value: &[u8]) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO secrets(name, value) VALUES (?1, ?2)",
            params![name, value],
        )?;
        Ok(())
    }
}

/// SQLCipher prints its own errors to stderr on a wrong key; we report those ourselves.
/// Runs SQLite's one-time initialisation on one thread while the others wait.
///
/// SQLCipher 4.19 (SQLite 3.53) marks SQLite initialised before its own set-up has run, so a
/// second thread opening its first database at that moment gets "An error occurred with PRAGMA
/// key" (seen when tests start in parallel). The first open runs both set-ups to the end.
fn initialise_sqlcipher() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        if let Err(e) = Connection::open_in_memory() {
            tracing::error!(error = %e, "SQLite failed to initialise");
        }
    });
}

fn quiet_cipher_log(conn: &Connection) {
    let _ = conn.execute_batch("PRAGMA cipher_log_level = NONE;");
}

fn configure(conn: &Connection) -> Result<(), StoreError> {
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = FULL;
         PRAGMA foreign_keys = ON;
         PRAGMA busy_timeout = 5000;",
    )?;
    Ok(())
}

fn migrate_to(conn: &Connection, target: u32) -> Result<(), StoreError> {
    let current: u32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    for (i, sql) in migrations::MIGRATIONS
        .iter()
        .enumerate()
        .take(target as usize)
        .skip(current as usize)
    {
        let version = i as u32 + 1;
        // Each migration and its version bump commit together, or not at all.
        conn.execute_batch(&format!(
            "BEGIN IMMEDIATE; {sql}; PRAGMA user_version = {version}; COMMIT;"
        ))
        .inspect_err(|_| {
            let _ = conn.execute_batch("ROLLBACK");
        })?;
        tracing::info!(version, "applied schema migration");
    }
    Ok(())
}

#[cfg(test)]
mod tests;
