//! A case bundle from two officers on two devices verifies clean; every kind of tampering is
//! detected, each by its own test; a station's answer about the case tells whether a bundle is
//! still the latest.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use qc_bundle::{BundleError, BundleProblem, Contents, ExportFault, Report, table_of_contents};
use qc_casedoc::CaseDoc;
use qc_chain::{Action, Entry, FeedHead, Problem, SignedEntry, verify_feed};
use qc_domain::*;
use qc_identity::{
    BureauKey, Revocation, SignedCertificate, SignedRevocationList, SigningKey, Subject,
    TrustAnchor,
};
use sha2::{Digest as _, Sha256};

const T0: Timestamp = Timestamp(1_772_409_600_000);
const MIN: i64 = 60_000;
const DAY: i64 = 86_400_000;

struct World {
    bureau: BureauKey,
    devices: Vec<(String, SigningKey)>,
    people: Vec<(SigningKey, SignedCertificate)>,
    certs: Vec<SignedCertificate>,
    photo: Vec<u8>,
}

const OFFICER_A: usize = 0;
const OFFICER_B: usize = 1;
const ASSISTANT: usize = 2;
const SHORT_LIVED: usize = 3;
const LEADER: usize = 4;
const REVIEWER: usize = 5;
/// The legal department's desk device.
const DESK: usize = 2;

fn world() -> World {
    let bureau = BureauKey::from_seed(&[1; 32]);
    let mut certs = Vec::new();
    let mut devices = Vec::new();
    for (n, id) in [(10u8, "tablet-a"), (11, "tablet-b"), (12, "desk-sun")] {
        let key = SigningKey::from_bytes(&[n; 32]);
        certs.push(
            bureau
                .issue(
                    u64::from(n),
                    Subject::Device {
                        device_id: id.into(),
                        squad: "一中队".into(),
                        label: id.into(),
                    },
                    key.verifying_key().to_bytes(),
                    T0,
                    Timestamp(T0.0 + 365 * DAY),
                )
                .unwrap(),
        );
        devices.push((id.to_owned(), key));
    }
    let mut people = Vec::new();
    for (n, name, role, days) in [
        (20u8, "李明", Role::EnforcementOfficer, 365),
        (21, "王芳", Role::EnforcementOfficer, 365),
        (22, "陈晓", Role::Assistant, 365),
        (23, "赵强", Role::EnforcementOfficer, 1),
        (24, "刘建国", Role::SquadLeader, 365),
        (25, "孙丽", Role::LegalReviewer, 365),
    ] {
        let key = SigningKey::from_bytes(&[n; 32]);
        let cert = bureau
            .issue(
                u64::from(n),
                Subject::Officer {
                    person_id: format!("p{n}"),
                    name: name.into(),
                    cert_no: role.enforces().then(|| format!("4103{n:04}")),
                    role,
                    squad: "一中队".into(),
                },
                key.verifying_key().to_bytes(),
                T0,
                Timestamp(T0.0 + days * DAY),
            )
            .unwrap();
        certs.push(cert.clone());
        people.push((key, cert));
    }
    World {
        bureau,
        devices,
        people,
        certs,
        photo: b"\xff\xd8\xff\xe0 a photo of the barbecue stall \xff\xd9".to_vec(),
    }
}

/// A device's feed as it is written.
struct Feed<'w> {
    w: &'w World,
    device: usize,
    entries: Vec<SignedEntry>,
}

impl<'w> Feed<'w> {
    fn new(w: &'w World, device: usize) -> Feed<'w> {
        Feed {
            w,
            device,
            entries: Vec::new(),
        }
    }

    fn head(&self) -> FeedHead {
        self.entries.last().map_or(FeedHead::default(), |e| {
            FeedHead::after(e, &e.entry().unwrap())
        })
    }

    /// Records an act on `doc` by `who` at minute `minute`.
    fn act(
        &mut self,
        doc: &mut CaseDoc,
        action: Action,
        who: &[usize],
        minute: i64,
        blobs: Vec<[u8; 32]>,
    ) -> SignedEntry {
        self.act_on(doc, action, who, minute, (blobs, vec![]))
    }

    /// [`Self::act`] naming record digests too.
    fn act_on(
        &mut self,
        doc: &mut CaseDoc,
        action: Action,
        who: &[usize],
        minute: i64,
        (blobs, records): (Vec<[u8; 32]>, Vec<[u8; 32]>),
    ) -> SignedEntry {
        let head = self.head();
        let entry = Entry {
            device: self.w.devices[self.device].0.clone(),
            seq: head.seq + 1,
            prev: head.hash,
            time: Timestamp(T0.0 + minute * MIN),
            actors: who.iter().map(|&i| self.w.people[i].1.id()).collect(),
            action,
            case: doc.id().unwrap().0,
            heads: doc.heads_digests(),
            blobs,
            records,
        };
        let keys: Vec<&SigningKey> = who.iter().map(|&i| &self.w.people[i].0).collect();
        let signed = SignedEntry::sign(&entry, &self.w.devices[self.device].1, &keys);
        self.entries.push(signed.clone());
        signed
    }
}

fn header() -> CaseHeader {
    CaseHeader {
        id: CaseId("case-tamper".into()),
        source: CaseSource::SelfDiscovered,
        domain: "environment".into(),
        violation: "environment.open_air_barbecue".into(),
        location: Location {
            address: "解放路12号".into(),
            grid: "XG-03-07".into(),
            gps: None,
        },
        parties: vec![],
        summary: "夜间露天烧烤".into(),
        squad: "一中队".into(),
        registered_at: Timestamp(T0.0 + MIN),
        registered_by: PersonId("p20".into()),
    }
}

fn event(id: &str, minute: i64, act: Act) -> WorkflowEvent {
    WorkflowEvent {
        id: id.into(),
        at: Timestamp(T0.0 + minute * MIN),
        actors: vec![PersonId("p20".into())],
        act,
    }
}

fn photo_hash(w: &World) -> [u8; 32] {
    Sha256::digest(&w.photo).into()
}

/// Two officers, two devices, edits made offline on both and merged: the valid bundle.
fn valid(w: &World) -> (Contents, Vec<Feed<'_>>) {
    let mut a = Feed::new(w, 0);
    let mut b = Feed::new(w, 1);
    let mut doc_a = CaseDoc::create(&header(), b"tablet-a", Timestamp(T0.0 + MIN)).unwrap();
    a.act(&mut doc_a, Action::CaseRegistered, &[OFFICER_A], 1, vec![]);
    doc_a.append_event(&event("e-file", 2, Act::File)).unwrap();
    a.act(
        &mut doc_a,
        Action::Workflow { act: "file".into() },
        &[LEADER],
        2,
        vec![],
    );
    // Tablet B takes a copy and, offline, captures the photo with both officers.
    let mut doc_b = CaseDoc::load(&doc_a.save(), b"tablet-b").unwrap();
    let team = vec![PersonId("p20".into()), PersonId("p21".into())];
    doc_b
        .append_event(&event("e-start", 3, Act::StartInvestigation { team }))
        .unwrap();
    b.act(
        &mut doc_b,
        Action::EvidenceCaptured,
        &[OFFICER_A, OFFICER_B],
        3,
        vec![photo_hash(w)],
    );
    // Meanwhile tablet A tells the complainant; then the copies merge.
    doc_a
        .append_event(&event(
            "e-inform",
            4,
            Act::Recuse {
                officer: PersonId("p23".into()),
                reason: "亲属关系".into(),
            },
        ))
        .unwrap();
    a.act(
        &mut doc_a,
        Action::Workflow {
            act: "recuse".into(),
        },
        &[OFFICER_A],
        4,
        vec![],
    );
    doc_a.merge(&mut doc_b).unwrap();
    let contents = contents_of(w, &mut doc_a, &[&a, &b], None);
    (contents, vec![a, b])
}

/// Signs the export entry that binds `c` (dropping any earlier one), as tablet A with officer A:
/// what an exporting device does, or a device that signs whatever it is handed.
fn seal(w: &World, c: &mut Contents) {
    if let Some(i) = c.entries.iter().position(|e| e.hash() == c.export) {
        c.entries.remove(i);
    }
    let head = c
        .entries
        .iter()
        .filter_map(|e| Some((e, e.entry().ok()?)))
        .rfind(|(_, entry)| entry.device == w.devices[0].0)
        .map_or(FeedHead::default(), |(e, entry)| FeedHead::after(e, &entry));
    c.export = [0; 32];
    let entry = Entry {
        device: w.devices[0].0.clone(),
        seq: head.seq + 1,
        prev: head.hash,
        time: c.exported_at,
        actors: vec![w.people[OFFICER_A].1.id()],
        action: Action::Export,
        case: c.case.clone(),
        heads: CaseDoc::load(&c.document, b"x").unwrap().heads_digests(),
        blobs: vec![],
        records: vec![qc_bundle::export_commitment(c).unwrap()],
    };
    let signed = SignedEntry::sign(&entry, &w.devices[0].1, &[&w.people[OFFICER_A].0]);
    c.export = signed.hash();
    c.entries.push(signed);
}

fn contents_of(
    w: &World,
    doc: &mut CaseDoc,
    feeds: &[&Feed<'_>],
    revocations: Option<SignedRevocationList>,
) -> Contents {
    let entries = entries_of(feeds);
    let anchor = TrustAnchor::new(w.bureau.public(), revocations.as_ref()).unwrap();
    let report = verify_feed(&anchor, &w.certs, &entries);
    let mut c = Contents {
        case: "case-tamper".into(),
        exported_at: Timestamp(T0.0 + 10 * MIN),
        bureau_public: w.bureau.public(),
        document: doc.save(),
        toc: table_of_contents("case-tamper", &report.entries),
        entries,
        certificates: w.certs.clone(),
        revocations,
        blobs: BTreeMap::from([(photo_hash(w), w.photo.clone())]),
        receipts: receipts(&entries_of(feeds)),
        export: [0; 32],
    };
    seal(w, &mut c);
    c
}

fn entries_of(feeds: &[&Feed<'_>]) -> Vec<SignedEntry> {
    feeds.iter().flat_map(|f| f.entries.clone()).collect()
}

/// The base station's log key.
fn log_key() -> SigningKey {
    SigningKey::from_bytes(&[60; 32])
}

/// What the station would have returned: every entry logged, a receipt for each.
fn receipts(entries: &[SignedEntry]) -> Vec<([u8; 32], qc_log::Receipt)> {
    let log = qc_log::Log::from_leaves(entries.iter().map(SignedEntry::hash));
    let checkpoint = qc_log::SignedCheckpoint::sign(&log_key(), &log, Timestamp(T0.0 + 9 * MIN));
    entries
        .iter()
        .enumerate()
        .map(|(i, e)| {
            (
                e.hash(),
                qc_log::Receipt {
                    checkpoint: checkpoint.clone(),
                    index: i as u64,
                    proof: log.inclusion(i as u64).unwrap(),
                },
            )
        })
        .collect()
}

fn to_bytes(c: &Contents) -> Vec<u8> {
    let mut out = Vec::new();
    qc_bundle::write(&mut out, c).unwrap();
    out
}

fn check(bytes: &[u8], w: &World) -> Report {
    let (contents, integrity) = qc_bundle::read(bytes).unwrap();
    qc_bundle::verify(&contents, &integrity, Some(w.bureau.public()), None)
}

fn check_contents(c: &Contents, w: &World) -> Report {
    check(&to_bytes(c), w)
}

/// Flips one byte inside a member of the tar, leaving the manifest as it was.
fn flip_in_member(bytes: &[u8], path: &str, at: usize) -> Vec<u8> {
    let mut archive = tar::Archive::new(bytes);
    let offset = archive
        .entries()
        .unwrap()
        .map(|e| e.unwrap())
        .find(|e| e.path().unwrap().to_string_lossy() == path)
        .map(|e| e.raw_file_position() as usize)
        .unwrap_or_else(|| panic!("no member {path}"));
    let mut out = bytes.to_vec();
    out[offset + at] ^= 0x01;
    out
}

fn has(r: &Report, f: impl Fn(&BundleProblem) -> bool) -> bool {
    r.problems.iter().any(f)
}

#[test]
fn a_two_officer_two_device_bundle_verifies_clean() {
    let w = world();
    let (c, _) = valid(&w);
    let r = check_contents(&c, &w);
    assert!(r.is_clean(), "{:?}", r.problems);
    assert_eq!(r.entries_verified, 5);
    // The export entry is made after the last sync: it has no receipt yet.
    assert_eq!((r.receipts.verified, r.receipts.entries), (4, 5));
    let titles: Vec<_> = r
        .items
        .iter()
        .map(|i| (i.section_zh.as_str(), i.title.as_str()))
        .collect();
    assert_eq!(
        titles,
        [
            ("立案材料", "案件登记"),
            ("立案材料", "立案"),
            ("立案材料", "回避"),
            ("证据材料", "采集证据")
        ]
    );
    assert_eq!(r.items[3].signers, ["李明", "王芳"]);
}

#[test]
fn a_receipt_that_does_not_prove_its_entry_or_another_log_key_is_detected() {
    let w = world();
    let (mut c, _) = valid(&w);
    let bad = |r: &Report| {
        r.problems
            .iter()
            .filter(|p| matches!(p, BundleProblem::BadReceipt { .. }))
            .count()
    };
    // Given the station's key, all four hold; given another, none.
    let (contents, integrity) = qc_bundle::read(to_bytes(&c).as_slice()).unwrap();
    let key = log_key().verifying_key().to_bytes();
    let r = qc_bundle::verify(&contents, &integrity, Some(w.bureau.public()), Some(key));
    assert_eq!(r.receipts.log_key_source, Some(qc_bundle::KeySource::Given));
    assert_eq!(bad(&r), 0);
    let other = SigningKey::from_bytes(&[61; 32]).verifying_key().to_bytes();
    let r = qc_bundle::verify(&contents, &integrity, Some(w.bureau.public()), Some(other));
    assert_eq!((bad(&r), r.receipts.verified), (4, 0));
    // A receipt moved to another entry's position proves nothing.
    c.receipts[1].1.index = 2;
    let r = check_contents(&c, &w);
    assert_eq!(bad(&r), 1, "{:?}", r.problems);
    // A receipt for an entry the bundle lacks.
    c.receipts[1].1.index = 1;
    c.receipts[0].0 = [7; 32];
    assert_eq!(bad(&check_contents(&c, &w)), 1);
    // And the receipts file itself is covered by the manifest.
    let bytes = to_bytes(&valid(&w).0);
    let r = check(&flip_in_member(&bytes, "receipts.jsonl", 40), &w);
    assert!(has(
        &r,
        |p| matches!(p, BundleProblem::Altered { path } if path == "receipts.jsonl")
    ));
}

#[test]
fn a_flipped_byte_in_a_blob_is_detected() {
    let w = world();
    let bytes = to_bytes(&valid(&w).0);
    let name = format!("blobs/{}", hex::encode(photo_hash(&w)));
    let r = check(&flip_in_member(&bytes, &name, 10), &w);
    assert!(
        has(&r, |p| matches!(p, BundleProblem::MissingBlob { .. })),
        "{:?}",
        r.problems
    );
    assert!(has(
        &r,
        |p| matches!(p, BundleProblem::Altered { path } if *path == name)
    ));
}

#[test]
fn a_flipped_byte_in_an_entry_is_detected() {
    let w = world();
    let mut c = valid(&w).0;
    c.entries[1].bytes[30] ^= 1;
    let r = check_contents(&c, &w);
    assert!(
        has(&r, |p| matches!(
            p,
            BundleProblem::Feed(Problem::BadSignature { .. } | Problem::Malformed { .. })
        )),
        "{:?}",
        r.problems
    );
}

#[test]
fn a_flipped_byte_in_the_document_is_detected() {
    let w = world();
    let bytes = to_bytes(&valid(&w).0);
    let r = check(&flip_in_member(&bytes, "case.automerge", 40), &w);
    assert!(has(&r, |p| matches!(p, BundleProblem::Altered { .. })));
    assert!(
        has(&r, |p| matches!(
            p,
            BundleProblem::Document { .. }
                | BundleProblem::UnattestedChange { .. }
                | BundleProblem::MissingChange { .. }
        )),
        "{:?}",
        r.problems
    );
    // Even with the manifest rewritten to match, the altered document does not verify.
    let mut c = valid(&w).0;
    let mut doc = CaseDoc::load(&c.document, b"attacker").unwrap();
    let forged = Act::Disclose {
        text: "伪造的公开内容".into(),
        late_reason: None,
    };
    doc.append_event(&event("forged", 5, forged)).unwrap();
    c.document = doc.save();
    let r = check_contents(&c, &w);
    assert!(
        has(&r, |p| matches!(p, BundleProblem::UnattestedChange { .. })),
        "{:?}",
        r.problems
    );
}

#[test]
fn a_flipped_byte_in_a_certificate_is_detected() {
    let w = world();
    let mut c = valid(&w).0;
    c.certificates[3].bytes[20] ^= 1;
    let r = check_contents(&c, &w);
    assert!(
        has(&r, |p| matches!(
            p,
            BundleProblem::Feed(Problem::Certificate { .. } | Problem::UnknownCertificate { .. })
        )),
        "{:?}",
        r.problems
    );
}

#[test]
fn a_flipped_byte_in_the_table_of_contents_is_detected() {
    let w = world();
    let bytes = to_bytes(&valid(&w).0);
    let r = check(&flip_in_member(&bytes, "toc.json", 60), &w);
    assert!(has(
        &r,
        |p| matches!(p, BundleProblem::Altered { path } if path == "toc.json")
    ));
    assert!(has(&r, |p| *p == BundleProblem::TableOfContents));
    // Rewritten consistently (manifest and export entry too), a changed contents list still
    // does not verify.
    let mut c = valid(&w).0;
    c.toc[1].title = "不予立案".into();
    seal(&w, &mut c);
    let r = check_contents(&c, &w);
    assert_eq!(r.problems, vec![BundleProblem::TableOfContents]);
}

#[test]
fn a_dropped_entry_is_detected() {
    let w = world();
    let mut c = valid(&w).0;
    c.entries.remove(1);
    let r = check_contents(&c, &w);
    assert!(
        has(&r, |p| matches!(
            p,
            BundleProblem::Feed(Problem::Gap { .. })
        )),
        "{:?}",
        r.problems
    );
}

#[test]
fn two_reordered_entries_are_detected() {
    let w = world();
    let mut c = valid(&w).0;
    c.entries.swap(0, 1);
    let r = check_contents(&c, &w);
    assert!(
        has(&r, |p| matches!(
            p,
            BundleProblem::Feed(Problem::Reordered { .. })
        )),
        "{:?}",
        r.problems
    );
}

#[test]
fn a_replayed_entry_is_detected() {
    let w = world();
    let mut c = valid(&w).0;
    let old = c.entries[0].clone();
    c.entries.insert(3, old);
    let r = check_contents(&c, &w);
    assert!(
        has(&r, |p| matches!(
            p,
            BundleProblem::Feed(Problem::Replay { .. })
        )),
        "{:?}",
        r.problems
    );
}

#[test]
fn a_fork_is_detected_with_both_entries() {
    let w = world();
    let (mut c, feeds) = valid(&w);
    // Tablet A signs a different third entry at the same position.
    let mut doc = CaseDoc::load(&c.document, b"tablet-a").unwrap();
    let mut forked = Feed::new(&w, 0);
    forked.entries = feeds[0].entries[..2].to_vec();
    let other = forked.act(&mut doc, Action::Export, &[OFFICER_A], 9, vec![]);
    c.entries.push(other.clone());
    let r = check_contents(&c, &w);
    assert!(
        has(
            &r,
            |p| matches!(p, BundleProblem::Feed(Problem::Fork { seq: 3, second, .. }) if **second == other)
        ),
        "{:?}",
        r.problems
    );
}

/// The valid bundle with a revocation list that revokes officer B's key before B's evidence
/// was captured.
fn with_officer_b_revoked(w: &World) -> Contents {
    let (c, feeds) = valid(w);
    let crl = w.bureau.revoke(
        1,
        T0,
        vec![Revocation {
            cert: w.people[OFFICER_B].1.id(),
            revoked_at: Timestamp(T0.0 + 2 * MIN),
            reason: "平板遗失".into(),
        }],
    );
    let mut doc = CaseDoc::load(&c.document, b"x").unwrap();
    contents_of(w, &mut doc, &[&feeds[0], &feeds[1]], Some(crl))
}

#[test]
fn an_act_signed_with_a_revoked_key_is_detected() {
    let w = world();
    let c = with_officer_b_revoked(&w);
    let r = check_contents(&c, &w);
    assert!(
        has(
            &r,
            |p| matches!(p, BundleProblem::Feed(Problem::Certificate { reason_zh, .. }) if reason_zh.contains("吊销"))
        ),
        "{:?}",
        r.problems
    );
}

#[test]
fn an_act_under_an_expired_certificate_is_detected() {
    let w = world();
    let (mut c, mut feeds) = valid(&w);
    let mut doc = CaseDoc::load(&c.document, b"tablet-a").unwrap();
    feeds[0].act(
        &mut doc,
        Action::Export,
        &[SHORT_LIVED],
        2 * 24 * 60,
        vec![],
    );
    c.entries = feeds.iter().flat_map(|f| f.entries.clone()).collect();
    let r = check_contents(&c, &w);
    assert!(
        has(
            &r,
            |p| matches!(p, BundleProblem::Feed(Problem::Certificate { reason_zh, .. }) if reason_zh.contains("有效期"))
        ),
        "{:?}",
        r.problems
    );
}

#[test]
fn an_act_signed_with_a_key_the_bureau_never_certified_is_detected() {
    let w = world();
    let (mut c, _) = valid(&w);
    let rogue_bureau = BureauKey::from_seed(&[99; 32]);
    let rogue = rogue_bureau
        .issue(
            1,
            Subject::Officer {
                person_id: "p20".into(),
                name: "李明".into(),
                cert_no: Some("41030020".into()),
                role: Role::EnforcementOfficer,
                squad: "一中队".into(),
            },
            SigningKey::from_bytes(&[77; 32]).verifying_key().to_bytes(),
            T0,
            Timestamp(T0.0 + DAY),
        )
        .unwrap();
    // The forger swaps in their own certificate for officer A.
    let a = w.people[OFFICER_A].1.clone();
    for cert in &mut c.certificates {
        if *cert == a {
            *cert = rogue.clone();
        }
    }
    let r = check_contents(&c, &w);
    assert!(
        has(&r, |p| matches!(
            p,
            BundleProblem::Feed(Problem::UnknownCertificate { .. } | Problem::Certificate { .. })
        )),
        "{:?}",
        r.problems
    );
}

fn with_evidence_by(w: &World, who: &[usize]) -> Report {
    let (mut c, mut feeds) = valid(w);
    let mut doc = CaseDoc::load(&c.document, b"tablet-b").unwrap();
    feeds[1].act(
        &mut doc,
        Action::EvidenceCaptured,
        who,
        6,
        vec![photo_hash(w)],
    );
    c.entries = feeds.iter().flat_map(|f| f.entries.clone()).collect();
    check_contents(&c, w)
}

#[test]
fn evidence_signed_by_one_officer_is_detected() {
    let w = world();
    let r = with_evidence_by(&w, &[OFFICER_A]);
    assert!(
        has(&r, |p| matches!(
            p,
            BundleProblem::Feed(Problem::TooFewOfficers { present: 1, .. })
        )),
        "{:?}",
        r.problems
    );
}

#[test]
fn evidence_signed_by_an_assistant_is_detected() {
    let w = world();
    let r = with_evidence_by(&w, &[OFFICER_A, ASSISTANT]);
    assert!(
        has(
            &r,
            |p| matches!(p, BundleProblem::Feed(Problem::NotAllowed { name, .. }) if name == "陈晓")
        ),
        "{:?}",
        r.problems
    );
}

#[test]
fn a_blob_swapped_for_another_valid_blob_is_detected() {
    let w = world();
    let mut c = valid(&w).0;
    let other = b"\xff\xd8\xff\xe0 a different, harmless photo \xff\xd9".to_vec();
    c.blobs = BTreeMap::from([(Sha256::digest(&other).into(), other)]);
    let r = check_contents(&c, &w);
    assert!(
        has(&r, |p| matches!(p, BundleProblem::MissingBlob { .. })),
        "{:?}",
        r.problems
    );
    assert!(has(&r, |p| matches!(p, BundleProblem::StrayBlob { .. })));
}

#[test]
fn a_bundle_trusted_only_by_its_own_key_says_so() {
    let w = world();
    let bytes = to_bytes(&valid(&w).0);
    let (contents, integrity) = qc_bundle::read(bytes.as_slice()).unwrap();
    let r = qc_bundle::verify(&contents, &integrity, None, None);
    assert!(r.is_clean());
    assert_eq!(r.key_source, qc_bundle::KeySource::FromBundle);
    // Given another bureau's key, nothing verifies.
    let r = qc_bundle::verify(
        &contents,
        &integrity,
        Some(BureauKey::from_seed(&[5; 32]).public()),
        None,
    );
    assert!(!r.is_clean());
}

#[test]
fn truncated_garbage_and_oversized_bundles_are_clear_errors() {
    let w = world();
    let bytes = to_bytes(&valid(&w).0);
    // (Cutting only the two zero blocks that end a tar leaves every member whole.)
    for cut in [0, 10, 511, 512, bytes.len() / 2, bytes.len() * 3 / 4] {
        assert!(qc_bundle::read(&bytes[..cut]).is_err(), "cut at {cut}");
    }
    assert!(qc_bundle::read(&vec![0x5a; 5000][..]).is_err());
    // A member claiming more than the limit is refused before it is read.
    let mut huge = tar::Header::new_ustar();
    huge.set_path("manifest.json").unwrap();
    huge.set_size(qc_bundle::MAX_MEMBER_BYTES + 1);
    huge.set_cksum();
    let mut crafted = huge.as_bytes().to_vec();
    crafted.extend(vec![0; 1024]);
    assert!(matches!(
        qc_bundle::read(crafted.as_slice()),
        Err(qc_bundle::BundleError::TooLarge(_))
    ));
}

/// What a fuzzer does, deterministically and in CI: mutated bundles give an error or a report,
/// never a panic (the cargo-fuzz targets in fuzz/ explore further).
#[test]
fn mutated_bundles_never_panic() {
    let w = world();
    let bytes = to_bytes(&valid(&w).0);
    // A small xorshift generator with a fixed seed: the same mutations every run.
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..400 {
        let mut m = bytes.clone();
        for _ in 0..1 + next() % 4 {
            let at = (next() as usize) % m.len();
            m[at] = next() as u8;
        }
        if next() % 5 == 0 {
            m.truncate((next() as usize) % m.len());
        }
        if let Ok((contents, integrity)) = qc_bundle::read(m.as_slice()) {
            let _ = qc_bundle::verify(&contents, &integrity, Some(w.bureau.public()), None);
        }
    }
}

fn only(fault: ExportFault) -> Vec<BundleProblem> {
    vec![BundleProblem::Export { fault }]
}

#[test]
fn a_bundle_cut_back_to_an_earlier_state_is_detected() {
    let w = world();
    let c = valid(&w).0;
    // Tablet A's document as it stood after filing (the same changes, made again).
    let mut earlier = CaseDoc::create(&header(), b"tablet-a", Timestamp(T0.0 + MIN)).unwrap();
    earlier
        .append_event(&event("e-file", 2, Act::File))
        .unwrap();
    // Everything after filing goes: tablet A's later entries (the export among them), tablet
    // B's feed, the photo, their receipts and 卷内目录 items; the manifest is written afresh.
    let kept = c.entries[..2].to_vec();
    let hashes: Vec<[u8; 32]> = kept.iter().map(SignedEntry::hash).collect();
    let anchor = TrustAnchor::new(w.bureau.public(), None).unwrap();
    let cut = Contents {
        document: earlier.save(),
        toc: table_of_contents(
            "case-tamper",
            &verify_feed(&anchor, &w.certs, &kept).entries,
        ),
        receipts: c
            .receipts
            .iter()
            .filter(|(e, _)| hashes.contains(e))
            .cloned()
            .collect(),
        blobs: BTreeMap::new(),
        entries: kept,
        ..c.clone()
    };
    assert_eq!(
        check_contents(&cut, &w).problems,
        only(ExportFault::Missing)
    );
    // Keeping every entry and rolling back only the document is caught too.
    let rolled_back = Contents {
        document: earlier.save(),
        ..c
    };
    let r = check_contents(&rolled_back, &w);
    assert!(
        r.problems.contains(&BundleProblem::Export {
            fault: ExportFault::Heads
        }),
        "{:?}",
        r.problems
    );
}

#[test]
fn a_dropped_revocation_list_receipt_file_or_entry_is_detected() {
    let w = world();
    // Officer B's key was revoked before B's evidence was captured.
    let c = with_officer_b_revoked(&w);
    assert!(!check_contents(&c, &w).is_clean());
    // Without the list (and with the 卷内目录 recomputed) the revocation is hidden; only the
    // export entry still knows.
    let anchor = TrustAnchor::new(w.bureau.public(), None).unwrap();
    let hidden = Contents {
        revocations: None,
        toc: table_of_contents(
            "case-tamper",
            &verify_feed(&anchor, &w.certs, &c.entries).entries,
        ),
        ..c
    };
    assert_eq!(
        check_contents(&hidden, &w).problems,
        only(ExportFault::Contents)
    );
    let c = valid(&w).0;
    let mut no_receipts = c.clone();
    no_receipts.receipts.clear();
    assert_eq!(
        check_contents(&no_receipts, &w).problems,
        only(ExportFault::Contents)
    );
    let mut one_less = c.clone();
    one_less.receipts.pop();
    assert_eq!(
        check_contents(&one_less, &w).problems,
        only(ExportFault::Contents)
    );
    // Tablet B's whole feed dropped, and its change with it, is still missed by the export.
    let mut no_b = c;
    no_b.entries
        .retain(|e| e.entry().unwrap().device != "tablet-b");
    assert!(
        check_contents(&no_b, &w)
            .problems
            .contains(&BundleProblem::Export {
                fault: ExportFault::Contents
            })
    );
}

#[test]
fn an_export_entry_of_another_time_case_or_kind_is_detected() {
    let w = world();
    let c = valid(&w).0;
    let mut later = c.clone();
    later.exported_at = Timestamp(c.exported_at.0 + 1);
    assert_eq!(check_contents(&later, &w).problems, only(ExportFault::Time));
    // The manifest names another entry of the bundle, or none.
    let mut other = c.clone();
    other.export = c.entries[2].hash();
    assert_eq!(
        check_contents(&other, &w).problems,
        only(ExportFault::NotAnExport)
    );
    let mut none = c;
    none.export = [9; 32];
    assert_eq!(
        check_contents(&none, &w).problems,
        only(ExportFault::Missing)
    );
}

#[test]
fn a_version_1_bundle_is_refused_with_a_clear_message() {
    let w = world();
    let mut members = members_of(&to_bytes(&valid(&w).0));
    // A version 1 manifest: no export entry named.
    let mut manifest: serde_json::Value = serde_json::from_slice(&members[0].1).unwrap();
    manifest["version"] = 1.into();
    manifest.as_object_mut().unwrap().remove("export");
    members[0].1 = serde_json::to_vec(&manifest).unwrap();
    let e = qc_bundle::read(tar_of(&members, tar::Header::new_ustar, 0).as_slice()).unwrap_err();
    assert!(matches!(e, BundleError::Version(1)), "{e:?}");
    assert!(e.message_zh().contains("旧版"), "{}", e.message_zh());
    assert!(e.message_zh().contains("重新导出"));
    assert!(e.to_string().contains("export the case again"), "{e}");
}

/// A bundle's members in archive order.
fn members_of(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut archive = tar::Archive::new(bytes);
    archive
        .entries()
        .unwrap()
        .map(|m| {
            let mut m = m.unwrap();
            let path = m.path().unwrap().to_string_lossy().into_owned();
            let mut data = Vec::new();
            std::io::Read::read_to_end(&mut m, &mut data).unwrap();
            (path, data)
        })
        .collect()
}

/// A tar of `members` under headers made by `header`, the first `pax` of them preceded by a pax
/// extension header.
fn tar_of(members: &[(String, Vec<u8>)], header: fn() -> tar::Header, pax: usize) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (n, (path, data)) in members.iter().enumerate() {
        if n < pax {
            b.append_pax_extensions([("comment", b"x".as_slice())])
                .unwrap();
        }
        let mut h = header();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, path, data.as_slice()).unwrap();
    }
    b.into_inner().unwrap()
}

#[test]
fn the_container_rules_are_enforced() {
    let w = world();
    let members = members_of(&to_bytes(&valid(&w).0));
    let container = |bytes: Vec<u8>| {
        matches!(
            qc_bundle::read(bytes.as_slice()),
            Err(BundleError::Container(_))
        )
    };
    // Rebuilt as it was, it verifies.
    assert!(check(&tar_of(&members, tar::Header::new_ustar, 0), &w).is_clean());
    let mut last = members.clone();
    last.rotate_left(1);
    assert!(
        container(tar_of(&last, tar::Header::new_ustar, 0)),
        "manifest last"
    );
    let upper = format!("blobs/{}", "AB".repeat(32));
    for stray in ["notes.txt", "blobs/abcd", upper.as_str()] {
        let mut more = members.clone();
        more.push((stray.into(), b"x".to_vec()));
        assert!(
            container(tar_of(&more, tar::Header::new_ustar, 0)),
            "{stray}"
        );
    }
    assert!(container(tar_of(&members, tar::Header::new_gnu, 0)), "GNU");
    assert!(container(tar_of(&members, tar::Header::new_old, 0)), "v7");
    assert!(
        container(tar_of(&members, tar::Header::new_ustar, 1)),
        "pax"
    );
    let mut dir = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_ustar();
    h.set_entry_type(tar::EntryType::Directory);
    h.set_size(0);
    h.set_cksum();
    dir.append_data(&mut h, "blobs/", std::io::empty()).unwrap();
    let mut bytes = tar_of(&members[..1], tar::Header::new_ustar, 0);
    bytes.truncate(bytes.len() - 1024);
    bytes.extend(dir.into_inner().unwrap());
    assert!(container(bytes), "directory");
}

#[test]
fn a_certificate_line_no_entry_cites_must_still_be_the_bureaus() {
    let w = world();
    let mut c = valid(&w).0;
    let foreign = BureauKey::from_seed(&[99; 32])
        .issue(
            7,
            Subject::Device {
                device_id: "tablet-x".into(),
                squad: "一中队".into(),
                label: "tablet-x".into(),
            },
            SigningKey::from_bytes(&[78; 32]).verifying_key().to_bytes(),
            T0,
            Timestamp(T0.0 + DAY),
        )
        .unwrap();
    c.certificates.push(foreign);
    c.certificates.push(SignedCertificate {
        bytes: b"not a certificate".to_vec(),
        signature: vec![0; 64],
    });
    seal(&w, &mut c);
    let lines: Vec<usize> = check_contents(&c, &w)
        .problems
        .iter()
        .map(|p| match p {
            BundleProblem::ForeignCertificate { line, .. } => *line,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(lines, [w.certs.len() + 1, w.certs.len() + 2]);
}

#[test]
fn upper_case_hex_is_refused() {
    let w = world();
    let members: Vec<_> = members_of(&to_bytes(&valid(&w).0))
        .into_iter()
        .map(|(path, data)| {
            if path == "entries.jsonl" {
                (path, data.to_ascii_uppercase())
            } else {
                (path, data)
            }
        })
        .collect();
    assert!(matches!(
        qc_bundle::read(tar_of(&members, tar::Header::new_ustar, 0).as_slice()),
        Err(BundleError::Malformed { path, .. }) if path == "entries.jsonl"
    ));
}

/// A station's answer about the case: its checkpoint over `logged` and a receipt under it for
/// each logged entry about the case.
fn answer(logged: &[SignedEntry]) -> (qc_log::SignedCheckpoint, Vec<([u8; 32], qc_log::Receipt)>) {
    let all = receipts(logged);
    let checkpoint = all[0].1.checkpoint.clone();
    let about: Vec<_> = logged
        .iter()
        .filter(|e| e.entry().unwrap().case == "case-tamper")
        .map(SignedEntry::hash)
        .collect();
    (
        checkpoint,
        all.into_iter().filter(|(e, _)| about.contains(e)).collect(),
    )
}

#[test]
fn a_station_answer_tells_whether_the_bundle_is_still_the_latest() {
    let w = world();
    let (c, mut feeds) = valid(&w);
    let key = Some(log_key().verifying_key().to_bytes());
    // The station logged what the bundle holds (the export is not synced yet).
    let synced: Vec<SignedEntry> = entries_of(&[&feeds[0], &feeds[1]]);
    let (checkpoint, logged) = answer(&synced);
    let f = qc_bundle::check_freshness(&c, &checkpoint, &logged, key).unwrap();
    assert!(f.is_current(), "{f:?}");
    assert_eq!((f.logged, f.log_size), (4, 4));
    // Without --log-key, the key the bundle's receipts name.
    let f = qc_bundle::check_freshness(&c, &checkpoint, &logged, None).unwrap();
    assert_eq!(f.log_key_source, qc_bundle::KeySource::FromBundle);
    // Tablet B recorded a later act on the case and synced it.
    let mut doc = CaseDoc::load(&c.document, b"tablet-b").unwrap();
    let newer = feeds[1].act(
        &mut doc,
        Action::EvidenceCaptured,
        &[OFFICER_A, OFFICER_B],
        20,
        vec![],
    );
    let (checkpoint, logged) = answer(&entries_of(&[&feeds[0], &feeds[1]]));
    let f = qc_bundle::check_freshness(&c, &checkpoint, &logged, key).unwrap();
    assert_eq!(f.newer, [hex::encode(newer.hash())]);
    assert!(!f.is_current());
    // A station that leaves out an entry the bundle's receipts prove it logged is caught.
    let partial: Vec<_> = logged[1..].to_vec();
    let f = qc_bundle::check_freshness(&c, &checkpoint, &partial, key).unwrap();
    assert_eq!(f.omitted, [hex::encode(synced[0].hash())]);
    // An answer not signed by the log key, or a proof under another checkpoint, proves nothing.
    let other = Some(SigningKey::from_bytes(&[61; 32]).verifying_key().to_bytes());
    assert!(qc_bundle::check_freshness(&c, &checkpoint, &logged, other).is_err());
    let (old, _) = answer(&synced);
    assert!(qc_bundle::check_freshness(&c, &old, &logged, key).is_err());
}

/// The valid bundle's two feeds, to act on further, and its document as tablet A holds it.
fn valid_to_go_on(w: &World) -> (Feed<'_>, Feed<'_>, CaseDoc) {
    let (contents, feeds) = valid(w);
    let mut a = Feed::new(w, 0);
    a.entries = feeds[0].entries.clone();
    let b = Feed {
        w,
        device: 1,
        entries: feeds[1].entries.clone(),
    };
    let doc = CaseDoc::load(&contents.document, b"tablet-a").unwrap();
    (a, b, doc)
}

/// A document issued by a signed entry whose data says another number than the entry's (a
/// device that prints one thing and signs another), or whose record is not the data's digest:
/// each is a fault of check 10, though every signature holds.
#[test]
fn an_issued_document_whose_files_disagree_with_its_entry_is_detected() {
    let w = world();
    let issue = |data_number: &str, record_is_data: bool| {
        let (mut a, b, mut doc) = valid_to_go_on(&w);
        let pdf = b"%PDF-1.7 the decision as printed".to_vec();
        let data = serde_json::to_vec(&serde_json::json!({
            "format": "quancheng-document", "version": 1, "kind": "decision",
            "case": "case-tamper", "number": data_number, "blocks": [],
        }))
        .unwrap();
        let (pdf_hash, data_hash): ([u8; 32], [u8; 32]) =
            (Sha256::digest(&pdf).into(), Sha256::digest(&data).into());
        a.act_on(
            &mut doc,
            Action::DocumentIssued {
                kind: "decision".into(),
                number: "示城管罚决字〔2026〕A-001号".into(),
            },
            &[OFFICER_A],
            6,
            (
                vec![pdf_hash, data_hash],
                vec![if record_is_data { data_hash } else { pdf_hash }],
            ),
        );
        let mut c = contents_of(&w, &mut doc, &[&a, &b], None);
        c.blobs.insert(pdf_hash, pdf);
        c.blobs.insert(data_hash, data);
        seal(&w, &mut c);
        check_contents(&c, &w)
    };
    let faults = |r: &Report| {
        r.problems
            .iter()
            .filter(|p| matches!(p, BundleProblem::BadDocument { .. }))
            .count()
    };
    let honest = issue("示城管罚决字〔2026〕A-001号", true);
    assert!(honest.is_clean(), "{:?}", honest.problems);
    assert!(
        honest
            .items
            .iter()
            .any(|i| i.title == "出具行政处罚决定书（示城管罚决字〔2026〕A-001号）")
    );
    assert_eq!(faults(&issue("示城管罚决字〔2026〕A-002号", true)), 1);
    assert_eq!(faults(&issue("示城管罚决字〔2026〕A-001号", false)), 1);
}

/// A case-file review (案卷评查) is whole when its one file is a review sheet of this case and
/// its record that file's digest, and it is signed by the legal department or the head: a
/// sheet of another case, a record naming something else, or a squad leader's signature are
/// each a fault.
#[test]
fn a_case_file_review_whose_sheet_or_signer_is_wrong_is_detected() {
    let w = world();
    let review_on = |device: usize, sheet_case: &str, record_is_sheet: bool, by: usize| {
        let (a, b, mut doc) = valid_to_go_on(&w);
        let mut desk = Feed::new(&w, device);
        let sheet = serde_json::to_vec(&serde_json::json!({
            "format": "quancheng-case-review", "version": 1, "case": sheet_case,
            "items": [], "total": 0, "grade": "failing", "comment": "证据不足",
        }))
        .unwrap();
        let hash: [u8; 32] = Sha256::digest(&sheet).into();
        let record = if record_is_sheet { hash } else { [7; 32] };
        let mut c = if device == DESK {
            desk.act_on(
                &mut doc,
                Action::CaseFileReviewed,
                &[by],
                30,
                (vec![hash], vec![record]),
            );
            contents_of(&w, &mut doc, &[&a, &b, &desk], None)
        } else {
            let mut a = a;
            a.act_on(
                &mut doc,
                Action::CaseFileReviewed,
                &[by],
                30,
                (vec![hash], vec![record]),
            );
            contents_of(&w, &mut doc, &[&a, &b], None)
        };
        c.blobs.insert(hash, sheet);
        seal(&w, &mut c);
        check_contents(&c, &w)
    };
    let faults = |r: &Report| {
        r.problems
            .iter()
            .filter(|p| matches!(p, BundleProblem::BadReview { .. }))
            .count()
    };
    let review = |sheet_case: &str, record_is_sheet: bool, by: usize| {
        review_on(DESK, sheet_case, record_is_sheet, by)
    };
    let honest = review("case-tamper", true, REVIEWER);
    assert!(honest.is_clean(), "{:?}", honest.problems);
    assert!(
        honest
            .items
            .iter()
            .any(|i| i.title == "案卷评查" && i.section_zh == "结案材料" && i.signers == ["孙丽"])
    );
    assert_eq!(faults(&review("another-case", true, REVIEWER)), 1);
    assert_eq!(faults(&review("case-tamper", false, REVIEWER)), 1);
    assert_eq!(
        faults(&review_on(0, "case-tamper", true, REVIEWER)),
        1,
        "a review on a tablet"
    );
    let by_leader = review("case-tamper", true, LEADER);
    assert!(
        !by_leader.is_clean() && faults(&by_leader) == 0,
        "{:?}",
        by_leader.problems
    );
}
