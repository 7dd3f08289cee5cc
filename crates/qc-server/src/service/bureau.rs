//! 权责清单与文书固定用语 at the station: the catalogue and the documents' wording an
//! administrator imported, kept for every tablet (sent down at a sync when they changed) and,
//! for the catalogue, naming the violation types of the case list.

use std::sync::Arc;

use qc_chain::Digest;
use qc_domain::{Catalogue, Timestamp};
use qc_station_storage::BureauFileRow;
use qc_sync::wire::BureauFiles;
use sha2::{Digest as _, Sha256};

use super::{Service, ServiceError};
use crate::storage::{Storage, StorageError};

/// Which of the bureau's files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BureauKind {
    /// 权责清单 — the catalogue (JSON).
    Catalogue,
    /// 文书固定用语 — the documents' wording (TOML).
    Wording,
}

impl BureauKind {
    /// Both, in the order pages list them.
    pub const ALL: [BureauKind; 2] = [BureauKind::Catalogue, BureauKind::Wording];

    /// How the store and the console's paths name it.
    pub fn code(self) -> &'static str {
        match self {
            BureauKind::Catalogue => "catalogue",
            BureauKind::Wording => "wording",
        }
    }

    /// The kind a path names.
    pub fn from_code(code: &str) -> Option<BureauKind> {
        BureauKind::ALL.into_iter().find(|k| k.code() == code)
    }

    /// In Chinese.
    pub fn zh(self) -> &'static str {
        match self {
            BureauKind::Catalogue => "权责清单",
            BureauKind::Wording => "文书固定用语",
        }
    }
}

/// The bureau's files in force at the station.
#[derive(Debug, Clone)]
pub struct Bureau {
    /// The files imported, as kept (a kind not imported: the built-in file stands).
    pub rows: Vec<BureauFileRow>,
    /// The same for the tablets.
    pub files: BureauFiles,
    /// [`BureauFiles::digest`] of `files`.
    pub digest: Digest,
    /// The catalogue in force: the imported one, else the built-in one.
    pub catalogue: Arc<Catalogue>,
}

impl Bureau {
    /// The kept file of `kind`, if one was imported.
    pub fn row(&self, kind: BureauKind) -> Option<&BureauFileRow> {
        self.rows.iter().find(|r| r.kind == kind.code())
    }

    fn from_rows(rows: Vec<BureauFileRow>) -> Result<Bureau, StorageError> {
        let text = |kind: BureauKind| {
            rows.iter()
                .find(|r| r.kind == kind.code())
                .map(|r| r.text.clone())
        };
        let files = BureauFiles {
            catalogue: text(BureauKind::Catalogue),
            wording: text(BureauKind::Wording),
        };
        let catalogue = match &files.catalogue {
            None => Catalogue::default_zh(),
            Some(json) => Catalogue::from_json(json)
                .map_err(|e| StorageError::Damaged(format!("the kept catalogue: {e}")))?,
        };
        Ok(Bureau {
            digest: files.digest(),
            files,
            rows,
            catalogue: Arc::new(catalogue),
        })
    }
}

/// The bureau's files as an instance last read them, with the digests they were read under.
pub(super) struct BureauCache {
    read: (Vec<(String, Digest)>, Arc<Bureau>),
}

impl BureauCache {
    /// The files `storage` keeps now.
    pub(super) fn read<S: Storage>(storage: &S) -> Result<BureauCache, StorageError> {
        let rows = storage.bureau_files()?;
        // Kept under the digests of what was read: a file replaced since is read again.
        let digests = rows.iter().map(|r| (r.kind.clone(), r.digest)).collect();
        Ok(BureauCache {
            read: (digests, Arc::new(Bureau::from_rows(rows)?)),
        })
    }

    /// The catalogue the case list names types by.
    pub(super) fn catalogue(&self) -> Arc<Catalogue> {
        self.read.1.catalogue.clone()
    }
}

impl<S: Storage> Service<S> {
    /// The bureau's files in force, read again only when their digests changed (one small
    /// read tells), at any instance.
    pub fn bureau(&self) -> Result<Arc<Bureau>, ServiceError> {
        let digests = self.storage.bureau_digests()?;
        {
            let cache = super::locked(&self.bureau);
            if cache.read.0 == digests {
                return Ok(cache.read.1.clone());
            }
        }
        let cache = BureauCache::read(&self.storage)?;
        let bureau = cache.read.1.clone();
        *super::locked(&self.bureau) = cache;
        Ok(bureau)
    }

    /// Keeps `text` as the bureau's file of `kind` in place of the one of digest `replacing`
    /// (`None`: none imported yet); `Ok(false)` when another import replaced it meanwhile.
    /// A catalogue must parse; whether it drops a type some case uses, and the wording
    /// (which this crate does not parse), are the console's to check before.
    pub fn replace_bureau_file(
        &self,
        kind: BureauKind,
        text: &str,
        replacing: Option<&Digest>,
        (by, now): (&str, Timestamp),
    ) -> Result<bool, ServiceError> {
        if kind == BureauKind::Catalogue {
            Catalogue::from_json(text).map_err(|e| ServiceError::BadRequest(e.to_string()))?;
        }
        let row = BureauFileRow {
            kind: kind.code().to_owned(),
            text: text.to_owned(),
            digest: Sha256::digest(text.as_bytes()).into(),
            at: now,
            by: by.to_owned(),
        };
        let kept = self.storage.put_bureau_file(&row, replacing)?;
        if kept {
            tracing::info!(file = kind.code(), by, "the bureau's file replaced");
            self.bureau()?;
        }
        Ok(kept)
    }

    /// The bureau's files for a device that holds those of digest `held`: none when it holds
    /// them, when none was imported, or when they cannot be read now (a sync never fails for
    /// them; the tablet keeps what it has).
    pub(super) fn bureau_for(&self, held: Option<&Digest>) -> Option<BureauFiles> {
        match self.bureau() {
            Ok(b) if b.rows.is_empty() || Some(&b.digest) == held => None,
            Ok(b) => Some(b.files.clone()),
            Err(e) => {
                tracing::warn!(error = %e, "the bureau's files not read; none sent");
                None
            }
        }
    }

    /// The catalogue the case list names types by, as this instance last read it (each sync
    /// reads again when it changed).
    pub(super) fn case_catalogue(&self) -> Arc<Catalogue> {
        super::locked(&self.bureau).catalogue()
    }
}
