//! Where the database key is kept: a file on a desktop, the platform keystore on a tablet.
//!
//! Whoever has the key and a copy of the data directory can read the database, the PIN-wrapped
//! officer keys and their lock-out counters included, and guess PINs offline (ARCHITECTURE.md,
//! "Keys at rest"). A key the platform keystore holds does not leave the device with a copy.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use qc_store::DbKey;
use zeroize::Zeroizing;

use crate::ApiError;
use crate::entropy::Entropy;

/// Keeps the database key of one data directory.
pub trait KeyStore: std::fmt::Debug + Send + Sync {
    /// The key, or `None` if none has been made yet.
    fn load(&self) -> Result<Option<DbKey>, ApiError>;
    /// Makes a new random key and keeps it; never replaces one that is there.
    fn create(&self, entropy: &mut dyn Entropy) -> Result<DbKey, ApiError>;
    /// Where the key is, as people read it: a path, or the keystore's name.
    fn location(&self) -> String;
}

/// The key as 64 hex digits in a file only its owner may read: `DATA_DIR/db.key` on a desktop,
/// or the file `--key-file` or `QUANCHENG_KEY_FILE` names.
#[derive(Debug, Clone)]
pub struct FileKeyStore {
    path: PathBuf,
}

impl FileKeyStore {
    /// The key in the file at `path`.
    pub fn new(path: impl Into<PathBuf>) -> FileKeyStore {
        FileKeyStore { path: path.into() }
    }

    /// The key file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn unreadable(&self, reason: String) -> ApiError {
        ApiError::Key {
            location: self.location(),
            reason,
        }
    }
}

impl KeyStore for FileKeyStore {
    fn load(&self) -> Result<Option<DbKey>, ApiError> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(text) => Zeroizing::new(text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(self.unreadable(e.to_string())),
        };
        let bytes =
            Zeroizing::new(hex::decode(text.trim()).map_err(|e| self.unreadable(e.to_string()))?);
        let arr: [u8; 32] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| self.unreadable("expected 32 bytes of hex".into()))?;
        Ok(Some(DbKey::new(arr)))
    }

    fn create(&self, entropy: &mut dyn Entropy) -> Result<DbKey, ApiError> {
        let mut key = Zeroizing::new([0u8; 32]);
        entropy.fill(key.as_mut());
        let io = |source| ApiError::Io {
            path: self.path.clone(),
            source,
        };
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = opts.open(&self.path).map_err(io)?;
        f.write_all(Zeroizing::new(hex::encode(*key)).as_bytes())
            .and_then(|_| f.sync_all())
            .map_err(io)?;
        Ok(DbKey::new(*key))
    }

    fn location(&self) -> String {
        self.path.display().to_string()
    }
}

/// What a build runs on, which decides where its database key may be kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Platform {
    /// A desktop or the station: the key in a file, unless the app shell provides a keystore.
    Desktop,
    /// A tablet: the key only in the platform keystore, never in a plain file.
    Tablet,
}

impl Platform {
    /// This build's: Android and iOS are tablets.
    pub const CURRENT: Platform = if cfg!(any(target_os = "android", target_os = "ios")) {
        Platform::Tablet
    } else {
        Platform::Desktop
    };
}

/// The keystore of the data directory at `root`: a key file from configuration (`--key-file`,
/// `QUANCHENG_KEY_FILE`) on a desktop; else the platform keystore the app shell provides; else, on
/// a desktop, `root/db.key`. A tablet without a platform keystore, or told to use a file, is
/// refused.
pub fn select(
    root: &Path,
    key_file: Option<PathBuf>,
    platform: Platform,
    platform_keystore: Option<Arc<dyn KeyStore>>,
) -> Result<Arc<dyn KeyStore>, ApiError> {
    match (platform, key_file, platform_keystore) {
        (Platform::Tablet, Some(_), _) => Err(ApiError::PlatformKeystoreRequired(
            "a tablet keeps its database key in the platform keystore, not in a file",
        )),
        (Platform::Desktop, Some(path), _) => Ok(Arc::new(FileKeyStore::new(path))),
        (_, None, Some(keystore)) => Ok(keystore),
        (Platform::Tablet, None, None) => Err(ApiError::PlatformKeystoreRequired(
            "this build has no platform keystore",
        )),
        (Platform::Desktop, None, None) => Ok(Arc::new(FileKeyStore::new(root.join("db.key")))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SeededEntropy;

    #[derive(Debug)]
    struct Named;

    impl KeyStore for Named {
        fn load(&self) -> Result<Option<DbKey>, ApiError> {
            Ok(None)
        }
        fn create(&self, _: &mut dyn Entropy) -> Result<DbKey, ApiError> {
            Ok(DbKey::new([9; 32]))
        }
        fn location(&self) -> String {
            "test keystore".into()
        }
    }

    fn chosen(
        platform: Platform,
        key_file: Option<&str>,
        keystore: bool,
    ) -> Result<String, &'static str> {
        let keystore = keystore.then(|| Arc::new(Named) as Arc<dyn KeyStore>);
        select(
            Path::new("/data"),
            key_file.map(PathBuf::from),
            platform,
            keystore,
        )
        .map(|k| k.location())
        .map_err(|e| e.code())
    }

    #[test]
    fn a_desktop_keeps_the_key_in_db_key_or_the_configured_file() {
        use Platform::Desktop;
        assert_eq!(chosen(Desktop, None, false).unwrap(), "/data/db.key");
        assert_eq!(
            chosen(Desktop, Some("/k/x.key"), false).unwrap(),
            "/k/x.key"
        );
        assert_eq!(chosen(Desktop, Some("/k/x.key"), true).unwrap(), "/k/x.key");
        assert_eq!(chosen(Desktop, None, true).unwrap(), "test keystore");
    }

    #[test]
    fn a_tablet_keeps_the_key_only_in_the_platform_keystore() {
        use Platform::Tablet;
        assert_eq!(chosen(Tablet, None, true).unwrap(), "test keystore");
        for (key_file, keystore) in [(None, false), (Some("/k/x.key"), true)] {
            assert_eq!(
                chosen(Tablet, key_file, keystore).unwrap_err(),
                "platform_keystore_required"
            );
        }
    }

    #[test]
    fn this_linux_build_is_a_desktop() {
        assert_eq!(Platform::CURRENT, Platform::Desktop);
    }

    #[test]
    fn a_key_file_is_made_once_private_and_read_back() {
        let tmp = tempfile::tempdir().unwrap();
        let store = FileKeyStore::new(tmp.path().join("db.key"));
        assert!(store.load().unwrap().is_none());
        let mut entropy = SeededEntropy::new([1; 32]);
        store.create(&mut entropy).unwrap();
        let text = std::fs::read_to_string(store.path()).unwrap();
        let expected = crate::entropy::random::<32>(&mut SeededEntropy::new([1; 32]));
        assert_eq!(text, hex::encode(expected));
        assert!(store.load().unwrap().is_some());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(store.path())
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o077, 0, "key file readable by others");
        }
        // Never replaced.
        assert_eq!(store.create(&mut entropy).err().unwrap().code(), "io");
        assert_eq!(std::fs::read_to_string(store.path()).unwrap(), text);
    }

    #[test]
    fn a_damaged_key_file_is_an_error_not_a_missing_key() {
        let tmp = tempfile::tempdir().unwrap();
        let store = FileKeyStore::new(tmp.path().join("db.key"));
        for bad in ["not hex", "abcd"] {
            std::fs::write(store.path(), bad).unwrap();
            assert_eq!(store.load().err().unwrap().code(), "key");
        }
    }
}
