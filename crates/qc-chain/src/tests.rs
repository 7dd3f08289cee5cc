use ed25519_dalek::SigningKey;
use qc_domain::{Role, Timestamp};
use qc_identity::{BureauKey, Revocation, SignedCertificate, Subject, TrustAnchor};

use crate::*;

const T0: Timestamp = Timestamp(1_772_409_600_000);
const YEAR: i64 = 365 * 86_400_000;

struct World {
    bureau: BureauKey,
    device: SigningKey,
    officers: Vec<(SigningKey, SignedCertificate)>,
    certs: Vec<SignedCertificate>,
}

fn officer(bureau: &BureauKey, n: u8, role: Role) -> (SigningKey, SignedCertificate) {
    let key = SigningKey::from_bytes(&[n; 32]);
    let cert = bureau
        .issue(
            u64::from(n),
            Subject::Officer {
                person_id: format!("p{n}"),
                name: format!("人员{n}"),
                cert_no: role.enforces().then(|| format!("4401{n:04}")),
                role,
                squad: "一中队".into(),
            },
            key.verifying_key().to_bytes(),
            T0,
            Timestamp(T0.0 + YEAR),
        )
        .unwrap();
    (key, cert)
}

fn world() -> World {
    let bureau = BureauKey::from_seed(&[9; 32]);
    let device = SigningKey::from_bytes(&[50; 32]);
    let device_cert = bureau
        .issue(
            100,
            Subject::Device {
                device_id: "tablet-1".into(),
                squad: "一中队".into(),
                label: "平板1".into(),
            },
            device.verifying_key().to_bytes(),
            T0,
            Timestamp(T0.0 + YEAR),
        )
        .unwrap();
    let officers = vec![
        officer(&bureau, 1, Role::EnforcementOfficer),
        officer(&bureau, 2, Role::EnforcementOfficer),
        officer(&bureau, 3, Role::Assistant),
        officer(&bureau, 4, Role::SquadLeader),
    ];
    let mut certs = vec![device_cert];
    certs.extend(officers.iter().map(|(_, c)| c.clone()));
    World {
        bureau,
        device,
        officers,
        certs,
    }
}

/// Appends an entry by `who` (indexes into the officers) to a feed.
fn append(w: &World, feed: &mut Vec<SignedEntry>, action: Action, who: &[usize]) {
    append_about(w, feed, action, who, vec![]);
}

/// Appends an entry by `who` touching the given record digests.
fn append_about(
    w: &World,
    feed: &mut Vec<SignedEntry>,
    action: Action,
    who: &[usize],
    records: Vec<[u8; 32]>,
) {
    let head = feed.last().map_or(FeedHead::default(), |e| {
        FeedHead::after(e, &e.entry().unwrap())
    });
    let entry = Entry {
        device: "tablet-1".into(),
        seq: head.seq + 1,
        prev: head.hash,
        time: Timestamp(T0.0 + 1000 * (head.seq as i64 + 1)),
        actors: who.iter().map(|&i| w.officers[i].1.id()).collect(),
        action,
        case: "case-1".into(),
        heads: vec![[head.seq as u8; 32]],
        blobs: vec![],
        records,
    };
    let keys: Vec<&SigningKey> = who.iter().map(|&i| &w.officers[i].0).collect();
    feed.push(SignedEntry::sign(&entry, &w.device, &keys));
}

/// The feed the known-answer bytes were frozen from (its filing is signed by an officer
/// alone, which the verifier now refuses: only its bytes matter here).
fn kat_feed(w: &World) -> Vec<SignedEntry> {
    feed_filed_by(w, 0)
}

fn feed_filed_by(w: &World, leader: usize) -> Vec<SignedEntry> {
    let mut f = Vec::new();
    append(w, &mut f, Action::CaseRegistered, &[2]);
    append(
        w,
        &mut f,
        Action::Workflow { act: "file".into() },
        &[leader],
    );
    append(w, &mut f, Action::EvidenceCaptured, &[0, 1]);
    append(w, &mut f, Action::RecordSealed, &[1, 0]);
    f
}

fn clean_feed(w: &World) -> Vec<SignedEntry> {
    feed_filed_by(w, 3)
}

fn anchor(w: &World) -> TrustAnchor {
    TrustAnchor::new(w.bureau.public(), None).unwrap()
}

fn problems(w: &World, feed: &[SignedEntry]) -> Vec<Problem> {
    verify_feed(&anchor(w), &w.certs, feed).problems
}

#[test]
fn entry_bytes_are_frozen() {
    let w = world();
    let f = kat_feed(&w);
    assert_eq!(hex::encode(&f[2].bytes), KAT_HEAD);
    assert_eq!(hex::encode(f[2].body.as_ref().unwrap()), KAT_BODY);
    assert_eq!(hex::encode(f[2].hash()), KAT_HASH);
    // Entries of the first layout, written before the head and body were split, still read.
    let first = SignedEntry {
        bytes: hex::decode(KAT_ENTRY_V1).unwrap(),
        body: None,
        device_sig: vec![],
        actor_sigs: vec![],
    };
    let e = first.entry().unwrap();
    assert_eq!(
        (e.seq, e.action, e.case.as_str()),
        (3, Action::EvidenceCaptured, "case-1")
    );
    assert_eq!(hex::encode(first.hash()), KAT_HASH_V1);
    assert!(
        !first.is_elided() && first.elided() == first,
        "cannot be elided"
    );
    assert_eq!(first.head().unwrap().case, case_commitment("case-1"));
}

#[test]
fn a_clean_feed_verifies_with_who_signed() {
    let w = world();
    let r = verify_feed(&anchor(&w), &w.certs, &clean_feed(&w));
    assert!(r.is_clean(), "{:?}", r.problems);
    assert_eq!(r.entries.len(), 4);
    let names: Vec<_> = r.entries[2]
        .signers
        .iter()
        .map(|p| p.name.as_str())
        .collect();
    assert_eq!(names, ["人员1", "人员2"]);
}

#[test]
fn every_flipped_byte_of_an_entry_is_caught() {
    let w = world();
    let feed = clean_feed(&w);
    for i in 0..feed[2].bytes.len() {
        let mut f = feed.clone();
        f[2].bytes[i] ^= 1;
        assert!(!problems(&w, &f).is_empty(), "byte {i}");
    }
}

#[test]
fn a_bad_signature_is_named_even_inside_a_batch() {
    let w = world();
    let mut feed = Vec::new();
    for _ in 0..300 {
        append(
            &w,
            &mut feed,
            Action::Workflow {
                act: "notify".into(),
            },
            &[0],
        );
    }
    feed[277].actor_sigs[0][5] ^= 1;
    let p = problems(&w, &feed);
    assert_eq!(
        p,
        vec![Problem::BadSignature {
            index: 277,
            signer: w.officers[0].1.id().to_string()
        }]
    );
}

#[test]
fn a_dropped_entry_is_a_gap() {
    let w = world();
    let mut f = clean_feed(&w);
    f.remove(1);
    assert_eq!(
        problems(&w, &f),
        vec![Problem::Gap {
            device: "tablet-1".into(),
            expected: 2,
            found: 3
        }]
    );
}

#[test]
fn swapped_entries_are_reordered() {
    let w = world();
    let mut f = clean_feed(&w);
    f.swap(1, 2);
    assert_eq!(
        problems(&w, &f),
        vec![Problem::Reordered {
            device: "tablet-1".into(),
            seq: 2
        }]
    );
}

#[test]
fn a_replayed_entry_is_reported() {
    let w = world();
    let mut f = clean_feed(&w);
    f.push(f[1].clone());
    assert_eq!(
        problems(&w, &f),
        vec![Problem::Replay {
            device: "tablet-1".into(),
            seq: 2
        }]
    );
}

#[test]
fn two_entries_at_one_position_are_a_fork_with_both_as_proof() {
    let w = world();
    let mut f = clean_feed(&w);
    let mut other = f[..3].to_vec();
    other.pop();
    append(&w, &mut other, Action::Export, &[0]);
    f.push(other[2].clone());
    let p = problems(&w, &f);
    assert!(
        matches!(
            &p[..],
            [Problem::Fork { seq: 3, first, second, .. }] if **first == f[2] && **second == other[2]
        ),
        "{p:?}"
    );
}

#[test]
fn a_rewritten_link_is_caught() {
    let w = world();
    let mut f = clean_feed(&w);
    // Re-sign entry 3 with a wrong prev: signatures are fine, the chain is not.
    let mut e = f[2].entry().unwrap();
    e.prev = [7; 32];
    f[2] = SignedEntry::sign(&e, &w.device, &[&w.officers[0].0, &w.officers[1].0]);
    assert!(problems(&w, &f).contains(&Problem::BrokenLink {
        device: "tablet-1".into(),
        seq: 3
    }));
}

#[test]
fn evidence_by_one_officer_or_with_an_assistant_is_invalid() {
    let w = world();
    let mut f = clean_feed(&w);
    append(&w, &mut f, Action::EvidenceCaptured, &[0]);
    assert!(problems(&w, &f).contains(&Problem::TooFewOfficers {
        index: 4,
        present: 1
    }));
    let mut f = clean_feed(&w);
    append(&w, &mut f, Action::EvidenceCaptured, &[0, 2]);
    let p = problems(&w, &f);
    assert!(
        p.iter()
            .any(|p| matches!(p, Problem::NotAllowed { index: 4, .. })),
        "{p:?}"
    );
    assert!(p.contains(&Problem::TooFewOfficers {
        index: 4,
        present: 1
    }));
}

#[test]
fn revoked_expired_and_uncertified_keys_are_refused() {
    let w = world();
    let f = clean_feed(&w);
    // Revoked before entry 3 was made.
    let crl = w.bureau.revoke(
        1,
        T0,
        vec![Revocation {
            cert: w.officers[1].1.id(),
            revoked_at: Timestamp(T0.0 + 2500),
            reason: "离职".into(),
        }],
    );
    let a = TrustAnchor::new(w.bureau.public(), Some(&crl)).unwrap();
    let p = verify_feed(&a, &w.certs, &f).problems;
    assert!(
        p.iter()
            .any(|p| matches!(p, Problem::Certificate { index: 2, .. })),
        "{p:?}"
    );
    // Expired: the same certificates, checked for acts a year and a day later.
    let mut late = Vec::new();
    for e in &f {
        let mut entry = e.entry().unwrap();
        entry.time = Timestamp(entry.time.0 + YEAR + 86_400_000);
        late.push(entry);
    }
    let late: Vec<SignedEntry> = {
        let mut out: Vec<SignedEntry> = Vec::new();
        for mut e in late {
            if let Some(prev) = out.last() {
                e.prev = prev.hash();
            }
            let keys: Vec<&SigningKey> = e
                .actors
                .iter()
                .map(|id| &w.officers.iter().find(|o| &o.1.id() == id).unwrap().0)
                .collect();
            out.push(SignedEntry::sign(&e, &w.device, &keys));
        }
        out
    };
    let p = problems(&w, &late);
    for i in 0..late.len() {
        assert!(
            p.iter()
                .any(|p| matches!(p, Problem::Certificate { index, .. } if *index == i)),
            "entry {i}: {p:?}"
        );
    }
    // Invalid certificates leave the acts without valid signers, too.
    assert!(
        p.iter().all(|p| matches!(
            p,
            Problem::Certificate { .. }
                | Problem::TooFewOfficers { .. }
                | Problem::MissingSigner { .. }
        )),
        "{p:?}"
    );
    // A key the bureau never certified.
    let rogue = BureauKey::from_seed(&[66; 32]);
    let (rk, rc) = officer(&rogue, 1, Role::EnforcementOfficer);
    let mut certs = w.certs.clone();
    certs.push(rc.clone());
    let mut f2 = clean_feed(&w);
    let head = FeedHead::after(&f2[3], &f2[3].entry().unwrap());
    let e = Entry {
        device: "tablet-1".into(),
        seq: head.seq + 1,
        prev: head.hash,
        time: Timestamp(T0.0 + 9000),
        actors: vec![rc.id()],
        action: Action::Workflow {
            act: "notify".into(),
        },
        case: "case-1".into(),
        heads: vec![],
        blobs: vec![],
        records: vec![],
    };
    f2.push(SignedEntry::sign(&e, &w.device, &[&rk]));
    let p = verify_feed(&anchor(&w), &certs, &f2).problems;
    assert!(
        p.iter()
            .any(|p| matches!(p, Problem::Certificate { index: 4, .. })),
        "{p:?}"
    );
}

#[test]
fn missing_certificates_and_signatures_are_reported() {
    let w = world();
    let f = clean_feed(&w);
    let p = verify_feed(&anchor(&w), &w.certs[1..], &f).problems;
    assert!(
        p.iter()
            .all(|p| matches!(p, Problem::UnknownCertificate { .. }))
    );
    assert_eq!(p.len(), 4);
    let mut f = clean_feed(&w);
    f[2].actor_sigs.pop();
    assert!(problems(&w, &f).contains(&Problem::SignatureCount { index: 2 }));
}

const KAT_ENTRY_V1: &str = "5143454e54520001087461626c65742d3103b1c5f1853dc2c64af45d3a1f3f550e9da69e34a05762e26f6489adbfef03bf18f08ec2bd956702382f25732eb35465f433c4ebf09edba63802043ca1049b296f66cec678f4151137fd8806afc928a8a58afe4f7868d07399ddaf474d45026a68689e380b2d52f70506636173652d310102020202020202020202020202020202020202020202020202020202020202020000";
const KAT_HASH_V1: &str = "393ffef0e5162c7327a9527f0be8045c6032b7146260d1ad31ed31400c4d1c59";
const KAT_HEAD: &str = "5143454e54520002087461626c65742d31034f36945e573be7076339083697eae20ab14c62548b1cf0328f57815a31ce4db2f08ec2bd956726c27ca7c3da197178757c0b017c1068877f8136c6ee9fe77231e5dbf16c1d06bf174a2d03c83d3e2b3d22e83b7cb65b11482556e3f27500754f74c3225cc301";
const KAT_BODY: &str = "5143424f4459000102382f25732eb35465f433c4ebf09edba63802043ca1049b296f66cec678f4151137fd8806afc928a8a58afe4f7868d07399ddaf474d45026a68689e380b2d52f70506636173652d310102020202020202020202020202020202020202020202020202020202020202020000";
const KAT_HASH: &str = "784d0f9acc890683e9f1e7cabad17267c46f095b749b71115429841f76a1003b";

#[test]
fn evidence_signed_by_two_officers_one_at_a_time_verifies() {
    let w = world();
    let mut f = clean_feed(&w);
    append_about(
        &w,
        &mut f,
        Action::EvidenceAwaitingSecond,
        &[0],
        vec![[7; 32]],
    );
    append_about(&w, &mut f, Action::EvidenceCosigned, &[1], vec![[7; 32]]);
    assert_eq!(problems(&w, &f), vec![]);
}

#[test]
fn a_cosignature_needs_another_officers_capture_of_the_same_item() {
    let w = world();
    // (capturing officer, co-signer, item co-signed): the same officer twice, another item,
    // no item at all.
    for (first, second, item) in [(0, 0, vec![[7; 32]]), (0, 1, vec![[8; 32]]), (0, 1, vec![])] {
        let mut f = clean_feed(&w);
        append_about(
            &w,
            &mut f,
            Action::EvidenceAwaitingSecond,
            &[first],
            vec![[7; 32]],
        );
        append_about(&w, &mut f, Action::EvidenceCosigned, &[second], item);
        assert_eq!(
            problems(&w, &f),
            vec![Problem::UnmatchedCosignature { index: 5 }]
        );
    }
}

#[test]
fn one_officer_evidence_acts_refuse_assistants_and_need_an_officer() {
    let w = world();
    let mut f = clean_feed(&w);
    append_about(
        &w,
        &mut f,
        Action::EvidenceAwaitingSecond,
        &[2],
        vec![[7; 32]],
    );
    let p = problems(&w, &f);
    assert!(p.contains(&Problem::NoOfficer { index: 4 }), "{p:?}");
    assert!(
        p.iter()
            .any(|p| matches!(p, Problem::NotAllowed { index: 4, .. })),
        "{p:?}"
    );
}

#[test]
fn an_upload_is_checked_against_the_feed_head_already_accepted() {
    let w = world();
    let f = clean_feed(&w);
    let head = |n: usize| FeedHead::after(&f[n - 1], &f[n - 1].entry().unwrap());
    let heads = |n| std::collections::BTreeMap::from([("tablet-1".to_owned(), head(n))]);
    // The last two entries continue the first two.
    let r = verify_feed_after(&anchor(&w), &w.certs, &heads(2), &f[2..]);
    assert!(r.is_clean(), "{:?}", r.problems);
    // Skipping one is a gap; starting over is a gap too.
    let r = verify_feed_after(&anchor(&w), &w.certs, &heads(1), &f[2..]);
    assert!(
        r.problems
            .iter()
            .any(|p| matches!(p, Problem::Gap { expected: 2, .. }))
    );
    let r = verify_feed_after(&anchor(&w), &w.certs, &heads(3), &f[..2]);
    assert!(r.problems.iter().any(|p| matches!(p, Problem::Gap { .. })));
    // The right position but another history is a broken link.
    let other = {
        let mut g = Vec::new();
        append(&w, &mut g, Action::Export, &[0]);
        append(&w, &mut g, Action::Export, &[0]);
        append(&w, &mut g, Action::Export, &[0]);
        g
    };
    let r = verify_feed_after(&anchor(&w), &w.certs, &heads(2), &other[2..]);
    assert!(
        r.problems
            .iter()
            .any(|p| matches!(p, Problem::BrokenLink { seq: 3, .. }))
    );
}

#[test]
fn a_workflow_act_needs_a_signer_in_the_role_its_kind_needs() {
    let w = world();
    // 立案 by an officer alone, 结案 by the device alone, an act of no known kind.
    let mut f = Vec::new();
    append(&w, &mut f, Action::CaseRegistered, &[2]);
    append(&w, &mut f, Action::Workflow { act: "file".into() }, &[0]);
    append(
        &w,
        &mut f,
        Action::Workflow {
            act: "close".into(),
        },
        &[],
    );
    append(
        &w,
        &mut f,
        Action::Workflow {
            act: "pardon".into(),
        },
        &[3],
    );
    append(&w, &mut f, Action::RecordCreated, &[]);
    append(&w, &mut f, Action::Export, &[]);
    append(&w, &mut f, Action::CaseRegistered, &[]);
    let p = problems(&w, &f);
    let missing: Vec<usize> = p
        .iter()
        .filter_map(|p| match p {
            Problem::MissingSigner { index, .. } => Some(*index),
            _ => None,
        })
        .collect();
    assert_eq!(missing, [1, 2, 5, 6], "{p:?}");
    assert!(
        p.iter()
            .any(|p| matches!(p, Problem::UnknownAct { index: 3, .. }))
    );
    assert!(
        p.iter()
            .any(|p| matches!(p, Problem::NoOfficer { index: 4 }))
    );
    assert!(
        p[0].zh().contains("中队长"),
        "the report names who must sign: {}",
        p[0].zh()
    );
    // The leader's filing and a device-only merge-conflict note verify.
    let mut f = Vec::new();
    append(&w, &mut f, Action::CaseRegistered, &[2]);
    append(&w, &mut f, Action::Workflow { act: "file".into() }, &[3]);
    append(&w, &mut f, Action::MergeConflict, &[]);
    assert_eq!(problems(&w, &f), []);
}

#[test]
fn an_officer_certificate_with_a_blank_enforcement_number_does_not_count_as_an_officer() {
    let mut w = world();
    // The bureau's own tools refuse to issue these, so they are signed here by hand.
    let bureau = SigningKey::from_bytes(&w.bureau.seed());
    for (n, blank) in [(5u8, ""), (6, " \t")] {
        let key = SigningKey::from_bytes(&[n; 32]);
        let cert = qc_identity::Certificate {
            serial: u64::from(n),
            issuer: w.bureau.public(),
            subject: Subject::Officer {
                person_id: format!("p{n}"),
                name: format!("人员{n}"),
                cert_no: Some(blank.into()),
                role: Role::EnforcementOfficer,
                squad: "一中队".into(),
            },
            public_key: key.verifying_key().to_bytes(),
            not_before: T0,
            not_after: Timestamp(T0.0 + YEAR),
        };
        let bytes =
            qc_identity::canonical::encode(qc_identity::canonical::Tag::new(b"QCCERT", 1), &cert);
        let cert = SignedCertificate {
            signature: qc_identity::cert::sign_bytes(&bureau, &bytes),
            bytes,
        };
        w.certs.push(cert.clone());
        w.officers.push((key, cert));
    }
    let mut f = clean_feed(&w);
    append(&w, &mut f, Action::EvidenceCaptured, &[0, 4]);
    append(&w, &mut f, Action::EvidenceCaptured, &[5, 1]);
    let p = problems(&w, &f);
    for index in [4, 5] {
        assert!(
            p.contains(&Problem::TooFewOfficers { index, present: 1 }),
            "{p:?}"
        );
    }
}

#[test]
fn an_elided_entry_keeps_its_place_and_device_signature_and_hides_the_rest() {
    let w = world();
    let mut f = clean_feed(&w);
    let full = f[2].clone();
    f[2] = full.elided();
    assert!(f[2].is_elided() && f[2].hash() == full.hash());
    assert!(f[2].entry().is_err());
    let r = verify_feed(&anchor(&w), &w.certs, &f);
    assert!(r.is_clean(), "{:?}", r.problems);
    assert_eq!(
        r.entries.len(),
        3,
        "an elided entry is not reported as a verified act"
    );
    // Its device signature still counts.
    let mut forged = f.clone();
    forged[2].device_sig[0] ^= 1;
    assert!(matches!(
        problems(&w, &forged)[..],
        [Problem::BadSignature { index: 2, .. }]
    ));
    // A body that is not the one its head names is refused.
    let mut swapped = clean_feed(&w);
    swapped[2].body = swapped[3].body.clone();
    assert!(matches!(
        problems(&w, &swapped)[0],
        Problem::Malformed { index: 2, .. }
    ));
}

/// An entry read by its head alone (as a station sends what it logged): the head of a whole
/// entry and of an elided one, as the whole entry names them; refused when its body is
/// another's.
#[test]
fn an_entry_s_checked_head_names_its_device_and_case_and_refuses_another_body() {
    let w = world();
    let f = clean_feed(&w);
    let whole = f[2].entry().unwrap();
    for e in [f[2].clone(), f[2].elided()] {
        let head = e.checked_head().unwrap();
        assert_eq!(
            (head.device.as_str(), head.seq, head.case),
            (
                whole.device.as_str(),
                whole.seq,
                case_commitment(&whole.case)
            )
        );
    }
    let mut swapped = f[2].clone();
    swapped.body = f[3].body.clone();
    assert!(matches!(
        swapped.checked_head(),
        Err(ChainError::Malformed(_))
    ));
}

/// Actions are encoded by their index, which docs/bundle-format.md lists: appended ones keep
/// theirs.
#[test]
fn actions_keep_their_indexes() {
    use qc_identity::canonical;
    let plain = canonical::encode(ENTRY_BODY_TAG, &()).len();
    for (action, index) in [
        (Action::CaseRegistered, 0u8),
        (Action::EntriesSetAside, 20),
        (Action::EvidenceLinked, 21),
        (Action::EvidenceDeleted, 22),
    ] {
        assert_eq!(
            canonical::encode(ENTRY_BODY_TAG, &action)[plain..],
            [index],
            "{action:?}"
        );
    }
}

/// Deleting an original's file is the head's approval (an enforcement officer); an officer
/// or a squad leader cannot sign it, a head can; linking footage is any officer's.
#[test]
fn deleting_an_original_needs_the_head() {
    let mut w = world();
    let head = officer(&w.bureau, 5, Role::Head);
    w.certs.push(head.1.clone());
    w.officers.push(head);
    let mut f = Vec::new();
    append(&w, &mut f, Action::CaseRegistered, &[2]);
    append(&w, &mut f, Action::EvidenceDeleted, &[0]);
    append(&w, &mut f, Action::EvidenceDeleted, &[3]);
    append(&w, &mut f, Action::EvidenceDeleted, &[4]);
    append(&w, &mut f, Action::EvidenceLinked, &[0]);
    append(&w, &mut f, Action::EvidenceLinked, &[2]);
    let p = problems(&w, &f);
    let refused: std::collections::BTreeSet<usize> = p
        .iter()
        .filter_map(|p| match p {
            Problem::MissingSigner { index, .. }
            | Problem::NotAllowed { index, .. }
            | Problem::NoOfficer { index } => Some(*index),
            _ => None,
        })
        .collect();
    assert_eq!(refused, [1, 2, 5].into(), "{p:?}");
}
