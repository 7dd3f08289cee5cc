//! 权责清单与文书固定用语 at the station: the catalogue and the documents' wording an
//! administrator imported, each released under the bureau's key naming the logged act that
//! imported it, kept for every tablet (sent down at a sync until the tablet has seen it) and,
//! for the catalogue, naming the violation types of the case list.

use std::sync::Arc;

use qc_chain::Digest;
use qc_domain::{Catalogue, Timestamp};
use qc_station_storage::BureauFileRow;
use qc_sync::wire::{BureauFile, BureauFiles, BureauSeen};
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

    /// How the store, the releases and the console's paths name it.
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
    /// The files imported, as kept, whole (a kind not imported: the built-in file stands).
    pub rows: Vec<BureauFileRow>,
    /// The kept files that do not match their digest or no longer read (their kind falls back
    /// to the built-in file and they are sent to no tablet), with why.
    pub damaged: Vec<(BureauKind, String)>,
    /// The catalogue in force: the imported one, else the built-in one.
    pub catalogue: Arc<Catalogue>,
    /// Every kept file's digest, whole or not.
    kept: Vec<(BureauKind, Digest)>,
}

impl Bureau {
    /// The kept file of `kind`, if one was imported and is whole.
    pub fn row(&self, kind: BureauKind) -> Option<&BureauFileRow> {
        self.rows.iter().find(|r| r.kind == kind.code())
    }

    /// Why the kept file of `kind` is not used, if it is not.
    pub fn damage(&self, kind: BureauKind) -> Option<&str> {
        self.damaged
            .iter()
            .find(|(k, _)| *k == kind)
            .map(|(_, why)| why.as_str())
    }

    /// The digest the kept file of `kind` is stored under, whole or not (what an import
    /// replaces).
    pub fn kept_digest(&self, kind: BureauKind) -> Option<Digest> {
        self.kept.iter().find(|(k, _)| *k == kind).map(|(_, d)| *d)
    }

    /// Reads the kept files: one that does not match its digest, or a catalogue that no longer
    /// reads (a stricter release of the rules), is set aside and said, never a reason for the
    /// station not to start.
    fn from_rows(kept: Vec<BureauFileRow>) -> Bureau {
        let mut bureau = Bureau {
            rows: Vec::new(),
            damaged: Vec::new(),
            catalogue: Arc::new(Catalogue::default_zh()),
            kept: Vec::new(),
        };
        for row in kept {
            let Some(kind) = BureauKind::from_code(&row.kind) else {
                continue;
            };
            bureau.kept.push((kind, row.digest));
            let whole = <[u8; 32]>::from(Sha256::digest(row.text.as_bytes())) == row.digest;
            let read = match kind {
                _ if !whole => Err("内容与摘要不符".to_owned()),
                BureauKind::Catalogue => Catalogue::from_json(&row.text)
                    .map(|c| bureau.catalogue = Arc::new(c))
                    .map_err(|e| e.zh()),
                BureauKind::Wording => Ok(()),
            };
            match read {
                Ok(()) => bureau.rows.push(row),
                Err(why) => {
                    tracing::error!(file = kind.code(), why, "a kept bureau file set aside");
                    bureau.damaged.push((kind, why));
                }
            }
        }
        bureau
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
            read: (digests, Arc::new(Bureau::from_rows(rows))),
        })
    }

    /// The catalogue in force as read.
    pub(super) fn catalogue(&self) -> Arc<Catalogue> {
        self.read.1.catalogue.clone()
    }
}

impl<S: Storage> Service<S> {
    /// The bureau's files in force, read again only when their digests changed (one small
    /// read tells), at any instance.
    pub fn bureau(&self) -> Result<Arc<Bureau>, ServiceError> {
        self.bureau_at(self.storage.bureau_digests()?)
    }

    /// The bureau's files whose digests were just read as `digests`.
    pub(super) fn bureau_at(
        &self,
        digests: Vec<(String, Digest)>,
    ) -> Result<Arc<Bureau>, ServiceError> {
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

    /// Puts `text` in force as the bureau's file of `kind`, imported by the administration act
    /// logged as `act`, released under the bureau's key, in place of the one kept under
    /// digest `replacing` (`None`: none imported yet); `Ok(false)` when another import
    /// replaced it meanwhile. A catalogue must read; whether it keeps every violation type,
    /// and the wording (which this crate does not parse), are the console's to check before.
    pub fn replace_bureau_file(
        &self,
        (kind, text): (BureauKind, &str),
        replacing: Option<&Digest>,
        (by, now): (&str, Timestamp),
        act: Digest,
    ) -> Result<bool, ServiceError> {
        if kind == BureauKind::Catalogue {
            Catalogue::from_json(text).map_err(|e| ServiceError::BadRequest(e.to_string()))?;
        }
        let digest: Digest = Sha256::digest(text.as_bytes()).into();
        let row = BureauFileRow {
            kind: kind.code().to_owned(),
            text: text.to_owned(),
            digest,
            at: now,
            by: by.to_owned(),
            release: self
                .identity
                .bureau
                .release((kind.code(), digest), now, act),
        };
        let kept = self.storage.put_bureau_file(&row, replacing)?;
        if kept {
            tracing::info!(file = kind.code(), by, "the bureau's file replaced");
            self.refresh_names()?;
        }
        Ok(kept)
    }

    /// The bureau's files a device has not `seen`; none when there are none, or when they
    /// cannot be read now (a sync never fails for them: the tablet keeps what it has).
    pub(super) fn bureau_for(&self, seen: &BureauSeen) -> Option<BureauFiles> {
        let bureau = match self.bureau() {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!(error = %e, "the bureau's files not read; none sent");
                return None;
            }
        };
        let file = |kind: BureauKind| {
            bureau
                .row(kind)
                .filter(|r| seen.held(kind.code()) != Some(&r.digest))
                .filter(|r| !seen.refused.contains(&r.release.digest()))
                .map(|r| BureauFile {
                    text: r.text.clone(),
                    release: r.release.clone(),
                })
        };
        let files = BureauFiles {
            catalogue: file(BureauKind::Catalogue),
            wording: file(BureauKind::Wording),
        };
        (files != BureauFiles::default()).then_some(files)
    }

    /// Keeps what `device` says it holds of the bureau's files and which releases it refused,
    /// in the store when it changed since this instance last kept it, or that was long ago (a
    /// sync stays a read otherwise); never a reason for a sync to fail.
    pub(super) fn note_bureau(&self, device: &str, seen: &BureauSeen, now: Timestamp) {
        let kept = super::locked(&self.bureau_told).get(device).cloned();
        let fresh = |(told, at): &(BureauSeen, Timestamp)| {
            told == seen && now.0 - at.0 < super::SEEN_EVERY_MS
        };
        if kept.as_ref().is_some_and(fresh) || (kept.is_none() && *seen == BureauSeen::default()) {
            return;
        }
        let mut refused = seen.refused.clone();
        refused.truncate(BureauSeen::REFUSED_KEPT);
        let told = qc_station_storage::DeviceBureau {
            taken: [seen.catalogue, seen.wording]
                .into_iter()
                .flatten()
                .collect(),
            refused,
        };
        match self.storage.note_device_bureau(device, &told) {
            Ok(()) => {}
            Err(e) => tracing::warn!(device, error = %e, "a device's bureau files not noted"),
        }
        // Noted or not, tried again only after a while (a store that refuses is not asked at
        // every sync).
        super::locked(&self.bureau_told).insert(device.to_owned(), (seen.clone(), now));
    }

    /// The catalogue the case list names types by, as kept now.
    pub(super) fn case_catalogue(&self) -> Result<Arc<Catalogue>, ServiceError> {
        Ok(self.bureau()?.catalogue.clone())
    }

    /// Names the case list's domains and violation types by the catalogue in force, where a
    /// new one renamed them (what was published keeps the name it was published under).
    fn refresh_names(&self) -> Result<(), ServiceError> {
        let catalogue = self.case_catalogue()?;
        let named = |code: &String, name: &String| (code.clone(), name.clone());
        let domains: Vec<(String, String)> = catalogue
            .domains
            .iter()
            .map(|d| named(&d.code, &d.name))
            .collect();
        let violations: Vec<(String, String)> = catalogue
            .domains
            .iter()
            .flat_map(|d| &d.violations)
            .map(|v| named(&v.code, &v.name))
            .collect();
        Ok(self.storage.rename_in_rows(&domains, &violations)?)
    }
}
