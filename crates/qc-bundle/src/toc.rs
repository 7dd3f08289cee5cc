//! 卷内目录 — the table of contents of a case file, derived from its verified entries.

use qc_chain::{Action, VerifiedEntry};
use qc_domain::{ActKind, DocumentKind, FileSection, Timestamp};
use serde::{Deserialize, Serialize};

/// One line of the table of contents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TocItem {
    /// Number in the file, from 1.
    pub no: u32,
    /// Section.
    pub section: FileSection,
    /// Section name in Chinese.
    pub section_zh: String,
    /// What the item is, in Chinese.
    pub title: String,
    /// When it was recorded (device clock).
    pub time: Timestamp,
    /// Who signed it.
    pub signers: Vec<String>,
    /// The device that recorded it, and where in its feed.
    pub device: String,
    /// Position in the device's feed.
    pub seq: u64,
    /// Hash of the entry that attests it.
    pub entry: String,
}

/// Where an act goes in the case file, and its title; `None` for acts that are not documents
/// of the case (an export).
fn place(action: &Action) -> Option<(FileSection, String)> {
    Some(match action {
        Action::CaseRegistered => (FileSection::Filing, "案件登记".into()),
        Action::Workflow { act } => match ActKind::from_name(act) {
            Some(k) => (k.section(), k.zh().into()),
            None => (FileSection::Investigation, act.clone()),
        },
        Action::EvidenceCaptured
        | Action::EvidenceAwaitingSecond
        | Action::EvidenceCosigned
        | Action::EvidenceLinked
        | Action::EvidenceDeleted => (FileSection::Evidence, action.zh()),
        Action::DocumentIssued { kind, .. } => (
            DocumentKind::from_name(kind).map_or(FileSection::Investigation, |k| k.section()),
            action.zh(),
        ),
        Action::CaseFileReviewed => (FileSection::Closing, action.zh()),
        Action::Export => return None,
        other => (FileSection::Investigation, other.zh()),
    })
}

/// The table of contents for `case` from verified entries: by section in the order of
/// DOMAIN.md, then by time, then by device feed position.
pub fn table_of_contents(case: &str, entries: &[VerifiedEntry]) -> Vec<TocItem> {
    let mut items: Vec<TocItem> = entries
        .iter()
        .filter(|v| v.entry.case == case)
        .filter_map(|v| {
            let (section, title) = place(&v.entry.action)?;
            Some(TocItem {
                no: 0,
                section,
                section_zh: section.zh().into(),
                title,
                time: v.entry.time,
                signers: v.signers.iter().map(|p| p.name.clone()).collect(),
                device: v.entry.device.clone(),
                seq: v.entry.seq,
                entry: hex::encode(v.hash),
            })
        })
        .collect();
    items.sort_by(|a, b| {
        (a.section, a.time, &a.device, a.seq).cmp(&(b.section, b.time, &b.device, b.seq))
    });
    for (i, item) in items.iter_mut().enumerate() {
        item.no = i as u32 + 1;
    }
    items
}
