//! 删除原件 — which files of a case its entries let go: an approval (action `EvidenceDeleted`)
//! counts only for the evidence item it names, and a file goes only when nothing else of the
//! case still names it. One rule for the verifier, the tablets and the station.

use std::collections::BTreeSet;

use crate::{Action, Digest, Entry};

/// Whether `action` records evidence: captured, awaiting its second officer, co-signed.
fn is_evidence(action: &Action) -> bool {
    matches!(
        action,
        Action::EvidenceCaptured | Action::EvidenceAwaitingSecond | Action::EvidenceCosigned
    )
}

/// The approvals among `entries` (one case's, verified) that hold: two `records`, the first
/// the facts digest of an evidence entry of the case; one or two `blobs`, each a file an
/// evidence entry with that digest names.
pub fn approved_deletions<'a, I>(entries: I) -> Vec<&'a Entry>
where
    I: IntoIterator<Item = &'a Entry>,
    I::IntoIter: Clone,
{
    let entries = entries.into_iter();
    entries
        .clone()
        .filter(|d| d.action == Action::EvidenceDeleted)
        .filter(|d| d.records.len() == 2 && (1..=2).contains(&d.blobs.len()))
        .filter(|d| {
            let item: BTreeSet<&Digest> = entries
                .clone()
                .filter(|e| is_evidence(&e.action) && e.records.first() == d.records.first())
                .flat_map(|e| &e.blobs)
                .collect();
            d.blobs.iter().all(|h| item.contains(h))
        })
        .collect()
}

/// The files of a case its entries (its verified entries, of that case only) let go: named by
/// an approval that holds ([`approved_deletions`]), and named by no entry of the case but such
/// approvals and the evidence entries of the items they approve deleting.
pub fn deleted_files<'a, I>(entries: I) -> BTreeSet<Digest>
where
    I: IntoIterator<Item = &'a Entry>,
    I::IntoIter: Clone,
{
    let entries = entries.into_iter();
    let approved = approved_deletions(entries.clone());
    let items: BTreeSet<&Digest> = approved.iter().filter_map(|d| d.records.first()).collect();
    let released = |e: &Entry| {
        (e.action == Action::EvidenceDeleted && approved.contains(&e))
            || (is_evidence(&e.action) && e.records.first().is_some_and(|r| items.contains(r)))
    };
    approved
        .iter()
        .flat_map(|d| d.blobs.iter().copied())
        .filter(|h| {
            entries
                .clone()
                .filter(|e| e.blobs.contains(h))
                .all(&released)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use qc_domain::Timestamp;

    use super::*;

    fn entry(action: Action, blobs: &[u8], records: &[u8]) -> Entry {
        Entry {
            device: "tablet-1".into(),
            seq: 1,
            prev: [0; 32],
            time: Timestamp(0),
            actors: Vec::new(),
            action,
            case: "case-1".into(),
            heads: Vec::new(),
            blobs: blobs.iter().map(|b| [*b; 32]).collect(),
            records: records.iter().map(|r| [*r; 32]).collect(),
        }
    }

    fn deleted(entries: &[Entry]) -> Vec<u8> {
        deleted_files(entries).into_iter().map(|h| h[0]).collect()
    }

    /// An approval lets go of its item's file and thumbnail; one that names another item's
    /// file, a file of no evidence, or is malformed lets go of nothing; a file (or thumbnail)
    /// another live item names stays.
    #[test]
    fn an_approval_lets_go_only_of_its_items_files_that_nothing_else_names() {
        use Action::*;
        // Item 10 is file 1 with thumbnail 2, item 20 is file 3 with the same thumbnail 2,
        // item 30 is file 4 (co-signed later: the file alone).
        let items = [
            entry(EvidenceCaptured, &[1, 2], &[10]),
            entry(EvidenceCaptured, &[3, 2], &[20]),
            entry(EvidenceAwaitingSecond, &[4], &[30]),
            entry(EvidenceCosigned, &[4], &[30]),
            entry(
                DocumentIssued {
                    kind: "decision".into(),
                    number: String::new(),
                },
                &[5, 6],
                &[6],
            ),
        ];
        let with = |more: &[Entry]| deleted(&[&items[..], more].concat());
        assert_eq!(with(&[]), Vec::<u8>::new());
        // Item 10's file goes; its thumbnail stays while item 20 names it.
        assert_eq!(with(&[entry(EvidenceDeleted, &[1, 2], &[10, 99])]), [1]);
        // Both items approved: the thumbnail goes too.
        assert_eq!(
            with(&[
                entry(EvidenceDeleted, &[1, 2], &[10, 99]),
                entry(EvidenceDeleted, &[3, 2], &[20, 98]),
            ]),
            [1, 2, 3]
        );
        assert_eq!(with(&[entry(EvidenceDeleted, &[4], &[30, 97])]), [4]);
        // Naming another item's file, a document's PDF, nothing, or with one record: nothing.
        for bad in [
            entry(EvidenceDeleted, &[3], &[10, 99]),
            entry(EvidenceDeleted, &[5], &[10, 99]),
            entry(EvidenceDeleted, &[5], &[6, 99]),
            entry(EvidenceDeleted, &[], &[10, 99]),
            entry(EvidenceDeleted, &[1], &[10]),
        ] {
            assert_eq!(
                with(std::slice::from_ref(&bad)),
                Vec::<u8>::new(),
                "{bad:?}"
            );
        }
        // The same file captured again as another item (imported twice) stays.
        assert_eq!(
            with(&[
                entry(EvidenceCaptured, &[1], &[40]),
                entry(EvidenceDeleted, &[1, 2], &[10, 99]),
            ]),
            Vec::<u8>::new()
        );
    }
}
