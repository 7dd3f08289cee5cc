//! The data directory: the encrypted database and the key that opens it.

use std::io::Write;
use std::path::{Path, PathBuf};

use qc_store::DbKey;
use zeroize::Zeroizing;

use crate::ApiError;
use crate::entropy::Entropy;

/// Where a device keeps its data.
#[derive(Debug, Clone)]
pub struct DataDir {
    root: PathBuf,
    key_file: PathBuf,
}

impl DataDir {
    /// A data directory at `root`, its key in `root/db.key`.
    pub fn new(root: impl Into<PathBuf>) -> DataDir {
        let root = root.into();
        let key_file = root.join("db.key");
        DataDir { root, key_file }
    }

    /// Keeps the database key somewhere else (another disk, a mounted secret).
    pub fn with_key_file(mut self, key_file: impl Into<PathBuf>) -> DataDir {
        self.key_file = key_file.into();
        self
    }

    /// The directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The encrypted database.
    pub fn db_path(&self) -> PathBuf {
        self.root.join("quancheng.db")
    }

    /// The database key file. On a tablet this is the seam for the platform keystore.
    pub fn key_path(&self) -> &Path {
        &self.key_file
    }

    /// Whether `init` has run here.
    pub fn is_initialised(&self) -> bool {
        self.db_path().exists()
    }

    pub(crate) fn read_key(&self) -> Result<DbKey, ApiError> {
        let path = &self.key_file;
        let err = |reason: String| ApiError::Key {
            path: path.clone(),
            reason,
        };
        let text = Zeroizing::new(std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?);
        let bytes = Zeroizing::new(hex::decode(text.trim()).map_err(|e| err(e.to_string()))?);
        let arr: [u8; 32] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| err("expected 32 bytes of hex".into()))?;
        Ok(DbKey::new(arr))
    }

    /// Makes a new random key file, readable only by its owner; never replaces one.
    pub(crate) fn create_key(&self, entropy: &mut dyn Entropy) -> Result<DbKey, ApiError> {
        let mut key = Zeroizing::new([0u8; 32]);
        entropy.fill(key.as_mut());
        let path = &self.key_file;
        let io = |source| ApiError::Io {
            path: path.clone(),
            source,
        };
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = opts.open(path).map_err(io)?;
        f.write_all(Zeroizing::new(hex::encode(*key)).as_bytes())
            .and_then(|_| f.sync_all())
            .map_err(io)?;
        Ok(DbKey::new(*key))
    }
}
