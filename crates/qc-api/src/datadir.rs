//! The data directory: the encrypted database and the keystore that holds its key.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use qc_store::DbKey;

use crate::ApiError;
use crate::entropy::Entropy;
use crate::keystore::{self, FileKeyStore, KeyStore, Platform};

/// Where a device keeps its data.
#[derive(Debug, Clone)]
pub struct DataDir {
    root: PathBuf,
    keystore: Arc<dyn KeyStore>,
}

impl DataDir {
    /// A data directory at `root`, its key in `root/db.key`.
    pub fn new(root: impl Into<PathBuf>) -> DataDir {
        let root = root.into();
        let keystore = Arc::new(FileKeyStore::new(root.join("db.key")));
        DataDir { root, keystore }
    }

    /// The data directory at `root` as this platform and configuration keep its key (see
    /// [`keystore::select`]).
    pub fn for_platform(
        root: impl Into<PathBuf>,
        key_file: Option<PathBuf>,
        platform: Platform,
        platform_keystore: Option<Arc<dyn KeyStore>>,
    ) -> Result<DataDir, ApiError> {
        let root = root.into();
        let keystore = keystore::select(&root, key_file, platform, platform_keystore)?;
        Ok(DataDir { root, keystore })
    }

    /// Keeps the database key somewhere else (another disk, a mounted secret).
    pub fn with_key_file(self, key_file: impl Into<PathBuf>) -> DataDir {
        self.with_keystore(Arc::new(FileKeyStore::new(key_file)))
    }

    /// Keeps the database key in `keystore`.
    pub fn with_keystore(mut self, keystore: Arc<dyn KeyStore>) -> DataDir {
        self.keystore = keystore;
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

    /// Where the database key is kept: the key file's path, or the keystore's name.
    pub fn key_location(&self) -> String {
        self.keystore.location()
    }

    /// Whether `init` has run here.
    pub fn is_initialised(&self) -> bool {
        self.db_path().exists()
    }

    /// The key of an existing database.
    pub(crate) fn key(&self) -> Result<DbKey, ApiError> {
        self.keystore.load()?.ok_or_else(|| ApiError::Key {
            location: self.key_location(),
            reason: "no database key there".into(),
        })
    }

    /// The key for a new database: the one kept already, else a new random one.
    pub(crate) fn key_or_new(&self, entropy: &mut dyn Entropy) -> Result<DbKey, ApiError> {
        match self.keystore.load()? {
            Some(key) => Ok(key),
            None => self.keystore.create(entropy),
        }
    }
}
