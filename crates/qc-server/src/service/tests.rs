use ed25519_dalek::SigningKey;
use qc_chain::{Action, Entry, SignedEntry};
use qc_domain::Role;
use qc_identity::Revocation;
use qc_sync::witness::Witness;

use super::*;
use crate::SqliteStorage;

const NOW: Timestamp = Timestamp(1_795_000_000_000);
const DAY: i64 = 86_400_000;

struct World {
    bureau_seed: [u8; 32],
    officer: (SigningKey, SignedCertificate),
    device: SigningKey,
}

fn world() -> World {
    let bureau = BureauKey::from_seed(&[1; 32]);
    let key = SigningKey::from_bytes(&[20; 32]);
    let cert = bureau
        .issue(
            20,
            Subject::Officer {
                person_id: "li.ming".into(),
                name: "李明".into(),
                cert_no: Some("41030021001".into()),
                role: Role::EnforcementOfficer,
                squad: "一中队".into(),
            },
            key.verifying_key().to_bytes(),
            Timestamp(NOW.0 - DAY),
            Timestamp(NOW.0 + 365 * DAY),
        )
        .unwrap();
    World {
        bureau_seed: [1; 32],
        officer: (key, cert),
        device: SigningKey::from_bytes(&[30; 32]),
    }
}

fn identity(w: &World, revocations: Option<SignedRevocationList>) -> Identity {
    Identity {
        bureau: BureauKey::from_seed(&w.bureau_seed),
        log_key: SigningKey::from_bytes(&[40; 32]),
        certificates: vec![w.officer.1.clone()],
        revocations,
    }
}

fn service<S: Storage>(w: &World, storage: S) -> Service<S> {
    Service::new(storage, identity(w, None)).unwrap()
}

/// Enrols the world's device as `tablet-a`; returns its certificate.
fn enrol<S: Storage>(w: &World, s: &mut Service<S>) -> SignedCertificate {
    let code = s.issue_enrolment_code("一中队", [7; 8], NOW).unwrap();
    s.enrol(
        &EnrolRequest {
            code,
            device_id: "tablet-a".into(),
            label: "一中队 平板1".into(),
            public_key: hex::encode(w.device.verifying_key().to_bytes()),
        },
        NOW,
    )
    .unwrap()
    .certificate
}

/// The device's feed: `n` entries by the officer.
fn feed(w: &World, n: u64) -> Vec<SignedEntry> {
    let mut out: Vec<SignedEntry> = Vec::new();
    for seq in 1..=n {
        let e = Entry {
            device: "tablet-a".into(),
            seq,
            prev: out.last().map_or([0; 32], SignedEntry::hash),
            time: Timestamp(NOW.0 + seq as i64),
            actors: vec![w.officer.1.id()],
            action: Action::Workflow { act: "file".into() },
            case: "case-1".into(),
            heads: vec![[seq as u8; 32]],
            blobs: vec![],
            records: vec![],
        };
        out.push(SignedEntry::sign(&e, &w.device, &[&w.officer.0]));
    }
    out
}

#[test]
fn an_enrolment_code_works_once_for_one_device() {
    let w = world();
    let mut s = service(&w, SqliteStorage::in_memory().unwrap());
    let code = s.issue_enrolment_code("一中队", [9; 8], NOW).unwrap();
    assert_eq!(code.len(), 14);
    let req = |code: &str, id: &str| EnrolRequest {
        code: code.into(),
        device_id: id.into(),
        label: "平板".into(),
        public_key: hex::encode(w.device.verifying_key().to_bytes()),
    };
    let e = s.enrol(&req("AAAA-BBBB-CCCC", "t1"), NOW).unwrap_err();
    assert_eq!(e.status(), 403);
    // Case and dashes do not matter when reading a code aloud.
    let r = s
        .enrol(&req(&code.to_lowercase().replace('-', ""), "t1"), NOW)
        .unwrap();
    let cert = r.certificate.decode_unverified().unwrap();
    assert!(matches!(cert.subject, Subject::Device { ref squad, .. } if squad == "一中队"));
    assert_eq!(s.enrol(&req(&code, "t2"), NOW).unwrap_err().status(), 403);
    // An expired code.
    let late = s.issue_enrolment_code("一中队", [8; 8], NOW).unwrap();
    assert_eq!(
        s.enrol(&req(&late, "t3"), Timestamp(NOW.0 + 2 * DAY))
            .unwrap_err()
            .status(),
        403
    );
}

fn call<S: Storage>(
    s: &mut Service<S>,
    key: &SigningKey,
    device: &str,
    body: &[u8],
    nonce: u8,
) -> Result<String, ServiceError> {
    let a = RequestAuth::sign(device, key, "POST", "/v1/entries", body, NOW, [nonce; 16]);
    let h = a.headers();
    s.authenticate(
        "POST",
        "/v1/entries",
        |name| h.iter().find(|(k, _)| *k == name).map(|(_, v)| v.as_str()),
        body,
        NOW,
    )
}

#[test]
fn requests_are_authenticated_and_replays_refused() {
    let w = world();
    let mut s = service(&w, SqliteStorage::in_memory().unwrap());
    assert_eq!(
        call(&mut s, &w.device, "tablet-a", b"{}", 1)
            .unwrap_err()
            .status(),
        401,
        "not enrolled yet"
    );
    enrol(&w, &mut s);
    assert_eq!(
        call(&mut s, &w.device, "tablet-a", b"{}", 2).unwrap(),
        "tablet-a"
    );
    assert_eq!(
        call(&mut s, &w.device, "tablet-a", b"{}", 2)
            .unwrap_err()
            .status(),
        409,
        "replay"
    );
    let stranger = SigningKey::from_bytes(&[31; 32]);
    assert_eq!(
        call(&mut s, &stranger, "tablet-a", b"{}", 3)
            .unwrap_err()
            .status(),
        401,
        "someone else's key"
    );
}

#[test]
fn a_revoked_device_is_refused() {
    let w = world();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("server.db");
    let mut s = service(&w, SqliteStorage::open(&path, &[2; 32]).unwrap());
    let cert = enrol(&w, &mut s);
    drop(s);
    let crl = BureauKey::from_seed(&w.bureau_seed).revoke(
        1,
        NOW,
        vec![Revocation {
            cert: cert.id(),
            revoked_at: Timestamp(NOW.0 - 1000),
            reason: "平板遗失".into(),
        }],
    );
    let mut s = Service::new(
        SqliteStorage::open(&path, &[2; 32]).unwrap(),
        identity(&w, Some(crl)),
    )
    .unwrap();
    let e = call(&mut s, &w.device, "tablet-a", b"{}", 1).unwrap_err();
    assert_eq!(e.status(), 403);
    assert!(e.body().message.contains("吊销"));
}

#[test]
fn pushed_entries_get_receipts_once_and_the_device_witness_accepts_them() {
    let w = world();
    let mut s = service(&w, SqliteStorage::in_memory().unwrap());
    enrol(&w, &mut s);
    let f = feed(&w, 5);
    let mut witness = Witness::new(s.log_key());
    let push = |s: &mut Service<_>, entries: &[SignedEntry], known| {
        s.push(
            &PushEntries {
                entries: entries.to_vec(),
                known_size: known,
            },
            NOW,
        )
        .unwrap()
    };
    let r = push(&mut s, &f[..3], 0);
    assert_eq!(witness.accept_push(&f[..3], &r).unwrap().len(), 3);
    // A retry after a cut connection: the same entries again, plus the rest.
    let r = push(&mut s, &f, witness.known_size());
    assert_eq!(witness.accept_push(&f, &r).unwrap().len(), 5);
    assert_eq!(s.log_size(), 5, "nothing logged twice");
    let c = s.consistency(witness.known_size(), NOW).unwrap();
    witness.accept_consistency(&c).unwrap();
}

#[test]
fn an_upload_that_does_not_verify_is_refused_whole() {
    let w = world();
    let mut s = service(&w, SqliteStorage::in_memory().unwrap());
    let f = feed(&w, 3);
    // From a device that is not enrolled: its certificate is unknown.
    let e = s
        .push(
            &PushEntries {
                entries: f.clone(),
                known_size: 0,
            },
            NOW,
        )
        .unwrap_err();
    assert_eq!(e.status(), 422);
    enrol(&w, &mut s);
    // A gap: entry 1 missing.
    let e = s
        .push(
            &PushEntries {
                entries: f[1..].to_vec(),
                known_size: 0,
            },
            NOW,
        )
        .unwrap_err();
    assert!(
        matches!(&e, ServiceError::Refused(p) if p.iter().any(|p| matches!(p, Problem::Gap { .. })))
    );
    // A changed byte.
    let mut bad = f.clone();
    bad[2].device_sig[0] ^= 1;
    assert_eq!(
        s.push(
            &PushEntries {
                entries: bad,
                known_size: 0
            },
            NOW
        )
        .unwrap_err()
        .status(),
        422
    );
    assert_eq!(s.log_size(), 0, "nothing of a refused upload is kept");
    s.push(
        &PushEntries {
            entries: f,
            known_size: 0,
        },
        NOW,
    )
    .unwrap();
    assert_eq!(s.log_size(), 3);
}

#[test]
fn a_restarted_server_has_the_same_log_and_refuses_a_store_changed_behind_its_back() {
    let w = world();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("server.db");
    let mut s = service(&w, SqliteStorage::open(&path, &[2; 32]).unwrap());
    enrol(&w, &mut s);
    s.push(
        &PushEntries {
            entries: feed(&w, 4),
            known_size: 0,
        },
        NOW,
    )
    .unwrap();
    let root = s.consistency(0, NOW).unwrap().checkpoint;
    drop(s);
    let mut s = service(&w, SqliteStorage::open(&path, &[2; 32]).unwrap());
    assert_eq!(s.log_size(), 4);
    assert_eq!(
        s.consistency(0, NOW).unwrap().checkpoint.bytes,
        root.bytes,
        "same size, root and time"
    );
    drop(s);
    // Someone edits the log table directly.
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(&format!("PRAGMA key = \"x'{}'\";", hex::encode([2u8; 32])))
        .unwrap();
    conn.execute("UPDATE log SET hash = zeroblob(32) WHERE idx = 2", [])
        .unwrap();
    drop(conn);
    let e = Service::new(
        SqliteStorage::open(&path, &[2; 32]).unwrap(),
        identity(&w, None),
    )
    .err()
    .unwrap();
    assert!(e.to_string().contains("no longer matches"), "{e}");
}

mod docs {
    use qc_casedoc::CaseDoc;
    use qc_domain::{CaseHeader, CaseId, CaseSource, Location, PersonId};
    use qc_sync::wire::{CaseHeads, DocChanges, DocsUp, DocsWant};

    use super::*;

    fn enrol_as<S: Storage>(s: &mut Service<S>, id: &str, squad: &str, seed: u8) {
        let code = s.issue_enrolment_code(squad, [seed; 8], NOW).unwrap();
        s.enrol(
            &EnrolRequest {
                code,
                device_id: id.into(),
                label: id.into(),
                public_key: hex::encode(
                    SigningKey::from_bytes(&[seed; 32])
                        .verifying_key()
                        .to_bytes(),
                ),
            },
            NOW,
        )
        .unwrap();
    }

    fn case(squad: &str) -> CaseDoc {
        case_with_id("case-1", squad)
    }

    fn case_with_id(id: &str, squad: &str) -> CaseDoc {
        let header = CaseHeader {
            id: CaseId(id.into()),
            source: CaseSource::SelfDiscovered,
            domain: "transport".into(),
            violation: "transport.road_occupation".into(),
            location: Location {
                address: "景华路88号".into(),
                grid: "JX".into(),
                gps: None,
            },
            parties: vec![],
            summary: "占道堆放货物".into(),
            squad: squad.into(),
            registered_at: NOW,
            registered_by: PersonId("li.ming".into()),
        };
        CaseDoc::create(&header, b"tablet-a", NOW).unwrap()
    }

    fn up(doc: &mut CaseDoc, after: &[[u8; 32]]) -> DocsUp {
        DocsUp {
            docs: vec![DocChanges {
                case: doc.id().unwrap().0,
                changes: hex::encode(doc.changes_after(after)),
            }],
        }
    }

    fn want(doc: Option<&mut CaseDoc>) -> DocsWant {
        DocsWant {
            have: doc
                .map(|d| {
                    vec![CaseHeads {
                        case: "case-1".into(),
                        heads: d.heads_hex(),
                    }]
                })
                .unwrap_or_default(),
        }
    }

    #[test]
    fn documents_travel_within_a_squad_only_and_converge() {
        let w = world();
        let mut s = service(&w, SqliteStorage::in_memory().unwrap());
        enrol_as(&mut s, "tablet-a", "一中队", 50);
        enrol_as(&mut s, "tablet-b", "一中队", 51);
        enrol_as(&mut s, "tablet-c", "二中队", 52);

        let mut a = case("一中队");
        let ack = s.push_docs("tablet-a", &up(&mut a, &[])).unwrap();
        assert_eq!(ack.heads[0].heads, a.heads_hex());
        // Pushing the same again changes nothing.
        let again = s.push_docs("tablet-a", &up(&mut a, &[])).unwrap();
        assert_eq!(again, ack);

        // Tablet B of the same squad receives the whole case.
        let down = s.pull_docs("tablet-b", &want(None)).unwrap();
        assert_eq!(down.docs.len(), 1);
        let mut b =
            CaseDoc::load(&hex::decode(&down.docs[0].changes).unwrap(), b"tablet-b").unwrap();
        assert_eq!(b.heads_digests(), a.heads_digests());
        // Nothing new: nothing sent.
        assert!(
            s.pull_docs("tablet-b", &want(Some(&mut b)))
                .unwrap()
                .docs
                .is_empty()
        );

        // Another squad sees nothing of it and may not change it.
        assert!(
            s.pull_docs("tablet-c", &want(None))
                .unwrap()
                .docs
                .is_empty()
        );
        let e = s.push_docs("tablet-c", &up(&mut a, &[])).unwrap_err();
        assert_eq!(e.status(), 403);
        let mut other = case_with_id("case-9", "二中队");
        let e = s.push_docs("tablet-a", &up(&mut other, &[])).unwrap_err();
        assert_eq!(
            e.status(),
            403,
            "a device cannot file a case for another squad"
        );

        // B adds a record; A gets only the new change and converges.
        let before = b.heads_digests();
        let mut header = b.header().unwrap();
        header.summary = "占道堆放货物（已核实）".into();
        let record = qc_domain::Record {
            id: "r1".into(),
            body: qc_domain::RecordBody::Preservation(qc_domain::Notice {
                items: vec![],
                kept_at: "仓库".into(),
                officers: vec![],
                party: None,
                issued_at: NOW,
            }),
            signoff: None,
            corrects: None,
            created_at: NOW,
            created_by: PersonId("wang.fang".into()),
        };
        b.put_record(&record, NOW).unwrap();
        s.push_docs("tablet-b", &up(&mut b, &before)).unwrap();
        let down = s.pull_docs("tablet-a", &want(Some(&mut a))).unwrap();
        a.apply(&hex::decode(&down.docs[0].changes).unwrap())
            .unwrap();
        assert_eq!(a.heads_digests(), b.heads_digests());
        assert!(a.record("r1").unwrap().is_some());

        // Changes that are not a case document are refused without harm.
        let bad = DocsUp {
            docs: vec![DocChanges {
                case: "case-1".into(),
                changes: "zz".into(),
            }],
        };
        assert_eq!(s.push_docs("tablet-a", &bad).unwrap_err().status(), 400);
        let junk = DocsUp {
            docs: vec![DocChanges {
                case: "case-2".into(),
                changes: hex::encode(b"not automerge"),
            }],
        };
        assert_eq!(s.push_docs("tablet-a", &junk).unwrap_err().status(), 400);
    }
}
