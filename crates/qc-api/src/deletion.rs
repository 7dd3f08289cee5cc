//! 删除原件 — an evidence file deleted only with the head's approval, signed on the chain (the
//! seeds: originals may not be deleted or altered without approval). The item, its signed facts
//! and its hash stay in the case for ever; the approval (chain action `EvidenceDeleted`) names
//! the file, so a bundle may lack it, and the bytes go from this tablet (and, once the entry is
//! logged, from the station).

use std::collections::BTreeSet;

use qc_casedoc::{deletion_digest, facts_digest, link_digest};
use qc_chain::Action;
use qc_domain::{APPROVES_DELETION, EvidenceDeletion, EvidenceItem, RuleViolation};
use qc_store::Touched;

use crate::records::{officer_refs, unhex};
use crate::{ApiError, Quancheng, Unlocked};

impl Quancheng {
    /// The head `by` approves deleting the file of evidence item `evidence` of `case`, for
    /// `reason`: signed on the chain, then the bytes (and the thumbnail's) go from this tablet
    /// but for a file another item still holds. Refused while another item of the case is the
    /// same file.
    pub fn delete_original(
        &mut self,
        case: &str,
        evidence: &str,
        reason: &str,
        by: &Unlocked,
    ) -> Result<(), ApiError> {
        if !APPROVES_DELETION.counts(&by.person) {
            return Err(ApiError::Invalid(format!(
                "删除证据原件须经负责人批准：{}不是负责人（执法人员），不能签批",
                by.person.name
            )));
        }
        if reason.trim().is_empty() {
            return Err(RuleViolation::EmptyField {
                field: "删除原因"
            }
            .into());
        }
        let (_, items) = self.case_file(case)?;
        let item = items
            .iter()
            .find(|e| e.facts.id == evidence)
            .cloned()
            .ok_or_else(|| ApiError::from(RuleViolation::UnknownRecord(evidence.into())))?;
        if item.deleted.is_some() {
            return Err(ApiError::Invalid("该证据原件已经负责人批准删除".into()));
        }
        if items.iter().any(|e| {
            e.facts.id != item.facts.id
                && e.deleted.is_none()
                && e.facts.sha256 == item.facts.sha256
        }) {
            return Err(ApiError::Invalid(
                "本案另一项证据使用同一文件，不能删除该原件".into(),
            ));
        }
        let officer = officer_refs(&[by])?.remove(0);
        let files = files_of(&item)?;
        let facts = facts_digest(&item.facts)?;
        let (id, blobs) = (item.facts.id.clone(), files.clone());
        self.act(case, Action::EvidenceDeleted, &[by], |doc, at| {
            let deletion = EvidenceDeletion {
                reason: reason.trim().into(),
                by: officer,
                at,
            };
            doc.mark_evidence_deleted(&id, &deletion)?;
            Ok(Touched {
                blobs,
                records: vec![facts, deletion_digest(&deletion)?],
            })
        })?;
        self.drop_deleted(&self.resolve_case(case)?);
        tracing::info!(case, evidence, "original deleted with the head's approval");
        Ok(())
    }
}

impl Quancheng {
    /// Deletes from this tablet the files case `case`'s entries let go
    /// ([`qc_chain::deleted_files`]: approvals of this tablet, or another's that a sync or
    /// merge brought). Best effort, after what brought them is kept: a failure is logged and
    /// the next merge or deletion of the case tries again.
    pub(crate) fn drop_deleted(&self, case: &str) {
        let dropped = self.case_entries(case).and_then(|entries| {
            let files = qc_chain::deleted_files(&entries);
            self.drop_files(&files.into_iter().collect::<Vec<_>>())
        });
        if let Err(e) = dropped {
            tracing::warn!(case, error = %e, "files of approved deletions not dropped");
        }
    }

    /// Deletes from this tablet `files`, but for a file an entry of any case still names and
    /// its case does not let go (the store is content-addressed: the same file or thumbnail in
    /// another case). Rare enough to read each case's entries once.
    fn drop_files(&self, files: &[[u8; 32]]) -> Result<(), ApiError> {
        if files.is_empty() {
            return Ok(());
        }
        // What each case still holds by its signed entries (the one rule, not the documents'
        // marks, which another tablet could write).
        let mut held = BTreeSet::new();
        for case in self.store.case_ids_with_prefix("", u32::MAX)? {
            let entries = self.case_entries(&case)?;
            let gone = qc_chain::deleted_files(&entries);
            held.extend(
                entries
                    .iter()
                    .flat_map(|e| e.blobs.iter().copied())
                    .filter(|h| !gone.contains(h)),
            );
        }
        for hash in files.iter().filter(|h| !held.contains(*h)) {
            self.blobs.remove(hash).map_err(self.blob_io())?;
        }
        Ok(())
    }
}

impl Quancheng {
    /// The entries this tablet holds about case `case` (by its full id), decoded.
    pub(crate) fn case_entries(&self, case: &str) -> Result<Vec<qc_chain::Entry>, ApiError> {
        Ok(self
            .store
            .case_entries(case)?
            .iter()
            .filter_map(|e| e.entry().ok())
            .collect())
    }

    /// `items` of case `case` (by its full id) with only the deletions and links a signed act
    /// of the case attests ([`attest`], from this device's entries of the case).
    pub(crate) fn attested(
        &self,
        case: &str,
        items: Vec<EvidenceItem>,
    ) -> Result<Vec<EvidenceItem>, ApiError> {
        if items
            .iter()
            .all(|i| i.deleted.is_none() && i.links.is_empty())
        {
            return Ok(items);
        }
        attest(case, &self.case_entries(case)?, items)
    }
}

/// `items` of case `case` with only the deletions and links one of the case's `entries`
/// attests: a mark written into the document without its act (another tablet's doing) is left
/// out, so it hides nothing and blocks no real deletion.
fn attest(
    case: &str,
    entries: &[qc_chain::Entry],
    mut items: Vec<EvidenceItem>,
) -> Result<Vec<EvidenceItem>, ApiError> {
    let signed = |action: &qc_chain::Action, pair: [[u8; 32]; 2]| {
        entries
            .iter()
            .any(|e| e.action == *action && e.records == pair)
    };
    let approved: BTreeSet<[[u8; 32]; 2]> = qc_chain::approved_deletions(entries)
        .iter()
        .filter_map(|d| Some([*d.records.first()?, *d.records.get(1)?]))
        .collect();
    for item in &mut items {
        let facts = facts_digest(&item.facts)?;
        if let Some(d) = &item.deleted
            && !approved.contains(&[facts, deletion_digest(d)?])
        {
            tracing::warn!(
                case,
                evidence = item.facts.id,
                "a deletion mark no act attests left out"
            );
            item.deleted = None;
        }
        let before = item.links.len();
        let mut kept = Vec::with_capacity(before);
        for link in std::mem::take(&mut item.links) {
            if signed(
                &qc_chain::Action::EvidenceLinked,
                [facts, link_digest(&link)?],
            ) {
                kept.push(link);
            }
        }
        if kept.len() != before {
            tracing::warn!(
                case,
                evidence = item.facts.id,
                "links no act attests left out"
            );
        }
        item.links = kept;
    }
    Ok(items)
}

/// The files of an item: its own and its thumbnail.
fn files_of(item: &EvidenceItem) -> Result<Vec<[u8; 32]>, ApiError> {
    std::iter::once(&item.facts.sha256)
        .chain(&item.facts.thumbnail)
        .map(|h| unhex(h))
        .collect()
}
