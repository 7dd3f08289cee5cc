//! A case's whole-process record checked where it is kept: the bureau's console shows the
//! verdict on the case page. The rules are a bundle's (`qc_bundle::verify_held`): every signed
//! entry of every feed that touched the case, the document against them, each evidence file
//! hashed as it streams from the store, and each entry's place in this station's own log. A
//! byte changed behind the station's back (in the database or the evidence store) shows here.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;

use qc_bundle::{BundleProblem, Contents, Report};
use qc_casedoc::{CaseDoc, CaseSummary};
use qc_chain::{Action, Digest, SignedEntry};
use qc_domain::review::CaseFileReview;
use qc_domain::{DeadlinePolicy, Timestamp};
use sha2::{Digest as _, Sha256};

use super::{Service, ServiceError};
use crate::storage::{BlobState, CaseMeta, Storage};

/// Largest file whose bytes are kept to read inside or to put in a bundle (a bigger one is
/// only hashed, and missing from a bundle, which says so).
const READ_WHOLE_MAX: u64 = 1024 * 1024 * 1024;

/// A case as the station holds it, and what checking it found.
#[derive(Debug)]
pub struct HeldCase {
    /// Its squad and status as kept.
    pub meta: CaseMeta,
    /// What its document says, when it can be read.
    pub summary: Option<CaseSummary>,
    /// The verdict: the table of contents the signed entries prove, and every problem.
    pub report: Report,
    /// Every evidence file its entries name.
    pub evidence: Vec<HeldFile>,
    /// Its case-file reviews (案卷评查) whose entries verify, in the file's order.
    pub reviews: Vec<HeldReview>,
}

/// A case-file review (案卷评查) of a case, as its verified entry and its sheet say.
#[derive(Debug, Clone)]
pub struct HeldReview {
    /// The entry's hash (hex).
    pub entry: String,
    /// When it was signed.
    pub time: Timestamp,
    /// Who signed it.
    pub signers: Vec<String>,
    /// The sheet, `None` when the station cannot read it (the check says why).
    pub review: Option<CaseFileReview>,
}

/// An evidence file a case's entries name, as the store holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldFile {
    /// Its SHA-256 (its name).
    pub hash: Digest,
    /// Its size, when the station holds it whole.
    pub size: Option<u64>,
    /// Whether it was read whole and hashes to its name.
    pub intact: bool,
    /// How it begins (its first [`HEAD_BYTES`], which tell its type), when it could be read.
    pub head: Vec<u8>,
    /// Its deletion approved by the head (删除原件): absent by right.
    pub deleted: bool,
}

/// How many of a file's first bytes [`HeldFile::head`] keeps: as many as `qc_evidence::sniff`
/// reads to tell a type.
pub const HEAD_BYTES: usize = 64;

/// Which evidence files' bytes [`Service::held_case`] keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Keep {
    /// Only an issued document's PDF and data (what a check reads inside).
    Documents,
    /// Every file (what a bundle carries), refused before any is read when together they
    /// pass `max_bytes` (a bundle is built in memory).
    All {
        /// Most bytes of files in all.
        max_bytes: u64,
    },
}

/// A case as the station keeps it, gathered for a check or a bundle.
pub(super) struct Held {
    pub(super) meta: CaseMeta,
    pub(super) contents: Contents,
    /// Each file read whole: its SHA-256 by its name.
    pub(super) measured: BTreeMap<Digest, Digest>,
    /// Entries held that the log does not hold.
    pub(super) unlogged: Vec<Digest>,
    pub(super) evidence: Vec<HeldFile>,
}

impl<S: Storage> Service<S> {
    /// A case's squad and status as kept, `None` for a case the station never received.
    pub fn case_meta(&self, case: &str) -> Result<Option<CaseMeta>, ServiceError> {
        Ok(self.storage.case_doc(case)?.map(|(meta, _)| meta))
    }

    /// Checks `case` as kept now (`None` for a case the station never received). Reads every
    /// evidence file of the case once, streamed.
    pub fn check_case(&self, case: &str, now: Timestamp) -> Result<Option<HeldCase>, ServiceError> {
        let Some(held) = self.held_case(case, now, Keep::Documents)? else {
            return Ok(None);
        };
        let mut report = qc_bundle::verify_held(
            &held.contents,
            &held.measured,
            self.identity.bureau.public(),
            self.log_key(),
        );
        report
            .problems
            .extend(held.unlogged.iter().map(|entry| BundleProblem::BadReceipt {
                entry: hex::encode(entry),
                reason: "not in this station's log: changed after it was accepted".into(),
            }));
        let catalogue = self.case_catalogue()?;
        let summary = CaseDoc::load(&held.contents.document, b"station")
            .and_then(|doc| {
                CaseSummary::from_doc(&doc, &catalogue, &DeadlinePolicy::default(), now)
            })
            .ok();
        let reviews = reviews_held(&held.contents, &held.measured, &report);
        Ok(Some(HeldCase {
            meta: held.meta,
            summary,
            report,
            evidence: held.evidence,
            reviews,
        }))
    }

    /// What the station keeps of `case`, gathered as a bundle's contents (`None` for a case
    /// the station never received): the document, every feed that touched the case, their
    /// certificates, the revocation list, a receipt under a fresh checkpoint for each logged
    /// entry, and each evidence file read whole from the store (its bytes kept as `keep` says).
    pub(super) fn held_case(
        &self,
        case: &str,
        now: Timestamp,
        keep: Keep,
    ) -> Result<Option<Held>, ServiceError> {
        let Some((meta, document)) = self.storage.case_doc(case)? else {
            return Ok(None);
        };
        // Found again by hash below: an entry whose bytes changed in the store is no entry the
        // log holds.
        let entries: Vec<SignedEntry> = self
            .storage
            .feeds_for_cases(&[case.to_owned()], qc_station_storage::FeedsHeld::NONE)?
            .into_iter()
            .map(|l| l.entry)
            .collect();
        let devices: BTreeSet<String> = entries
            .iter()
            .filter_map(|e| e.head().ok())
            .map(|h| h.device)
            .collect();
        let tree = self.storage.log_head()?.tree;
        let checkpoint = self.sign_checkpoint(&tree, now);
        let (receipts, unlogged) = self.receipts_held(&tree, &entries, &checkpoint)?;

        let mut named: BTreeMap<Digest, bool> = BTreeMap::new();
        let mut deleted = std::collections::BTreeSet::new();
        for e in entries.iter().filter_map(|e| e.entry().ok()) {
            if e.case != case {
                continue;
            }
            if e.action == Action::EvidenceDeleted {
                deleted.extend(e.blobs.iter().copied());
            }
            let read_inside = matches!(keep, Keep::All { .. })
                || matches!(
                    e.action,
                    Action::DocumentIssued { .. } | Action::CaseFileReviewed
                );
            for hash in e.blobs {
                *named.entry(hash).or_default() |= read_inside;
            }
        }
        let mut files = Vec::with_capacity(named.len());
        for (hash, read_inside) in named {
            let state = self.storage.blob_state(&hash)?.filter(|b| b.complete);
            files.push((hash, read_inside, state));
        }
        if let Keep::All { max_bytes } = keep {
            let bytes: u64 = files
                .iter()
                .filter_map(|(_, _, s)| s.as_ref())
                .map(|s| s.size)
                .sum();
            if bytes > max_bytes {
                return Err(ServiceError::ExportTooLarge {
                    bytes,
                    limit: max_bytes,
                });
            }
        }
        let mut measured = BTreeMap::new();
        let mut kept = BTreeMap::new();
        let mut evidence = Vec::new();
        for (hash, read_inside, state) in files {
            let mut file = self.measure(&hash, state, read_inside.then_some(&mut kept))?;
            file.0.deleted = deleted.contains(&hash);
            if let Some(digest) = file.1 {
                measured.insert(hash, digest);
            }
            evidence.push(file.0);
        }

        let contents = Contents {
            case: case.to_owned(),
            exported_at: now,
            bureau_public: self.identity.bureau.public(),
            document,
            certificates: self.certificates_for(&devices)?,
            revocations: self.revocations()?,
            blobs: kept,
            toc: Vec::new(),
            receipts: receipts.into_iter().map(|r| (r.entry, r.receipt)).collect(),
            export: [0; 32],
            entries,
        };
        Ok(Some(Held {
            meta,
            contents,
            measured,
            unlogged,
            evidence,
        }))
    }

    /// Receipts under `checkpoint` for the held entries the log holds, and the hashes of those
    /// it does not hold at all (entries still being integrated by another instance have
    /// neither).
    fn receipts_held(
        &self,
        tree: &crate::storage::TreeState,
        entries: &[SignedEntry],
        checkpoint: &qc_log::SignedCheckpoint,
    ) -> Result<(Vec<qc_sync::wire::EntryReceipt>, Vec<Digest>), ServiceError> {
        let hashes: Vec<Digest> = entries.iter().map(SignedEntry::hash).collect();
        let indexes = self.storage.entry_indexes(&hashes)?;
        let mut logged = Vec::new();
        let mut unlogged = Vec::new();
        for ((entry, hash), index) in entries.iter().zip(&hashes).zip(indexes) {
            match index {
                Some(i) if i < tree.size => logged.push(entry),
                Some(_) => {}
                None => unlogged.push(*hash),
            }
        }
        Ok((
            self.receipts_for(tree, logged.into_iter(), checkpoint)?,
            unlogged,
        ))
    }

    /// Reads one evidence file whole from the store, hashing it; keeps its bytes in `keep`
    /// when asked (and it is small enough). The file's state, and its SHA-256 when it could be
    /// read to the end.
    fn measure(
        &self,
        hash: &Digest,
        state: Option<BlobState>,
        keep: Option<&mut BTreeMap<Digest, Vec<u8>>>,
    ) -> Result<(HeldFile, Option<Digest>), ServiceError> {
        let mut file = HeldFile {
            hash: *hash,
            size: None,
            intact: false,
            head: Vec::new(),
            deleted: false,
        };
        let Some(state) = state else {
            return Ok((file, None));
        };
        file.size = Some(state.size);
        let mut kept = keep
            .is_some()
            .then(|| Vec::with_capacity(state.size.min(READ_WHOLE_MAX) as usize));
        let mut sha = Sha256::new();
        let mut buf = vec![0u8; 1 << 20];
        // A file the store cannot open or read to the end (a sealed chunk altered, a part
        // lost) is reported, not an error of the check.
        let read = self.storage.open_blob(hash).map_err(|e| e.to_string());
        let whole = read.and_then(|mut reader| {
            loop {
                let n = reader.read(&mut buf).map_err(|e| e.to_string())?;
                if n == 0 {
                    return Ok(());
                }
                sha.update(&buf[..n]);
                if file.head.len() < HEAD_BYTES {
                    let more = (HEAD_BYTES - file.head.len()).min(n);
                    file.head.extend_from_slice(&buf[..more]);
                }
                if let Some(k) = kept.as_mut()
                    && (k.len() + n) as u64 <= READ_WHOLE_MAX
                {
                    k.extend_from_slice(&buf[..n]);
                }
            }
        });
        if let Err(e) = whole {
            tracing::warn!(hash = %hex::encode(hash), error = %e, "an evidence file could not be read whole");
            return Ok((file, None));
        }
        let digest: Digest = sha.finalize().into();
        file.intact = digest == *hash;
        if let (Some(keep), Some(bytes)) = (keep, kept)
            && bytes.len() as u64 == state.size
        {
            keep.insert(*hash, bytes);
        }
        Ok((file, Some(digest)))
    }
}

/// The reviews among the verified acts of `report`, each with its sheet as `contents` hold
/// it when the sheet is whole: read to the end with its name as its SHA-256 (`measured`) and
/// no fault of check 11. A sheet changed behind the station's back is not shown as signed.
fn reviews_held(
    contents: &Contents,
    measured: &BTreeMap<Digest, Digest>,
    report: &Report,
) -> Vec<HeldReview> {
    let faulty: BTreeSet<&str> = report
        .problems
        .iter()
        .filter_map(|p| match p {
            BundleProblem::BadReview { entry, .. } => Some(entry.as_str()),
            _ => None,
        })
        .collect();
    let sheets: BTreeMap<String, Option<CaseFileReview>> = contents
        .entries
        .iter()
        .filter_map(|signed| {
            let e = signed.entry().ok()?;
            (e.action == Action::CaseFileReviewed).then(|| {
                let hash = hex::encode(signed.hash());
                let sheet = e
                    .blobs
                    .first()
                    .filter(|h| measured.get(*h) == Some(*h) && !faulty.contains(hash.as_str()))
                    .and_then(|h| contents.blobs.get(h));
                (hash, sheet.and_then(|b| serde_json::from_slice(b).ok()))
            })
        })
        .collect();
    report
        .items
        .iter()
        .filter_map(|item| {
            Some(HeldReview {
                entry: item.entry.clone(),
                time: item.time,
                signers: item.signers.clone(),
                review: sheets.get(&item.entry)?.clone(),
            })
        })
        .collect()
}
