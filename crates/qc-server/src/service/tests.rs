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
    World {
        bureau_seed: [1; 32],
        officer: crate::fixtures::officer(
            &bureau,
            Timestamp(NOW.0 - DAY),
            Timestamp(NOW.0 + 365 * DAY),
        ),
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

fn squad_grant(squad: &str) -> Grant {
    Grant::Device {
        squad: squad.into(),
    }
}

fn service<S: Storage>(w: &World, storage: S) -> Service<S> {
    Service::new(storage, identity(w, None)).unwrap()
}

/// Enrols the world's device as `tablet-a`; returns its certificate.
fn enrol<S: Storage>(w: &World, s: &mut Service<S>) -> SignedCertificate {
    let code = s
        .issue_enrolment_code(&squad_grant("一中队"), [7; 8], NOW)
        .unwrap();
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
    let mut s = service(&w, SqliteStorage::temporary().unwrap());
    let code = s
        .issue_enrolment_code(&squad_grant("一中队"), [9; 8], NOW)
        .unwrap();
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
    let late = s
        .issue_enrolment_code(&squad_grant("一中队"), [8; 8], NOW)
        .unwrap();
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
    let mut s = service(&w, SqliteStorage::temporary().unwrap());
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
    let mut s = service(&w, SqliteStorage::temporary().unwrap());
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
    let mut s = service(&w, SqliteStorage::temporary().unwrap());
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
        let code = s
            .issue_enrolment_code(&squad_grant(squad), [seed; 8], NOW)
            .unwrap();
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
        let mut s = service(&w, SqliteStorage::temporary().unwrap());
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

    #[test]
    fn blobs_go_up_in_chunks_resume_and_are_kept_only_whole_for_those_who_may_see_them() {
        use sha2::{Digest as _, Sha256};
        use std::io::Read as _;
        let w = world();
        let mut s = service(&w, SqliteStorage::temporary().unwrap());
        enrol(&w, &mut s);
        enrol_as(&mut s, "tablet-b", "一中队", 51);
        enrol_as(&mut s, "tablet-c", "二中队", 52);
        let photo: Vec<u8> = (0..100_000u32).map(|i| (i * 7 % 256) as u8).collect();
        let hash: [u8; 32] = Sha256::digest(&photo).into();
        let e = Entry {
            device: "tablet-a".into(),
            seq: 1,
            prev: [0; 32],
            time: NOW,
            actors: vec![w.officer.1.id()],
            action: Action::Workflow { act: "file".into() },
            case: "case-1".into(),
            heads: vec![],
            blobs: vec![hash],
            records: vec![],
        };
        let entries = vec![SignedEntry::sign(&e, &w.device, &[&w.officer.0])];
        let size = photo.len() as u64;
        // Before the entry naming it arrives, the station knows no such blob.
        let early = s.put_blob_chunk("tablet-a", "case-1", &hash, (size, 0), &photo[..10]);
        assert_eq!(early.unwrap_err().status(), 404);
        let mut doc = case("一中队");
        s.sync(
            "tablet-a",
            &SyncRequest {
                push: PushEntries {
                    entries,
                    known_size: 0,
                },
                up: up(&mut doc, &[]),
                want: Some(want(None)),
            },
            NOW,
        )
        .unwrap();

        let odd = s.put_blob_chunk("tablet-a", "case-1", &hash, (size, 0), &photo[..40_000]);
        assert_eq!(
            odd.unwrap_err().status(),
            400,
            "chunks end on 64 KiB boundaries"
        );
        let st = s
            .put_blob_chunk("tablet-a", "case-1", &hash, (size, 0), &photo[..65_536])
            .unwrap();
        assert_eq!((st.received, st.complete), (65_536, false));
        // A chunk sent twice (its answer was lost) is out of step; the status says where to go on.
        let again = s.put_blob_chunk("tablet-a", "case-1", &hash, (size, 0), &photo[..65_536]);
        assert_eq!(again.unwrap_err().status(), 409);
        assert_eq!(
            s.blob_status("tablet-a", "case-1", &hash).unwrap().received,
            65_536
        );
        // The other squad learns nothing of it; the owner's squad cannot read it before it is whole.
        assert_eq!(
            s.blob_status("tablet-c", "case-1", &hash)
                .unwrap_err()
                .status(),
            404
        );
        assert_eq!(
            s.open_blob("tablet-b", "case-1", &hash)
                .err()
                .unwrap()
                .status(),
            404
        );
        let st = s
            .put_blob_chunk(
                "tablet-a",
                "case-1",
                &hash,
                (size, 65_536),
                &photo[65_536..],
            )
            .unwrap();
        assert!(st.complete);
        let (n, mut r) = s.open_blob("tablet-b", "case-1", &hash).unwrap();
        let mut back = Vec::new();
        r.read_to_end(&mut back).unwrap();
        assert_eq!((n, back), (size, photo.clone()));

        // Bytes that do not hash to the name are refused and forgotten.
        let fake: [u8; 32] = Sha256::digest(b"other").into();
        let mut junk = photo.clone();
        junk[5] ^= 1;
        let e2 = Entry {
            seq: 2,
            prev: SignedEntry::sign(&e, &w.device, &[&w.officer.0]).hash(),
            blobs: vec![fake],
            ..e.clone()
        };
        s.push(
            &PushEntries {
                entries: vec![SignedEntry::sign(&e2, &w.device, &[&w.officer.0])],
                known_size: 0,
            },
            NOW,
        )
        .unwrap();
        let bad = s.put_blob_chunk("tablet-a", "case-1", &fake, (size, 0), &junk);
        assert_eq!(bad.unwrap_err().status(), 422);
        assert_eq!(
            s.blob_status("tablet-a", "case-1", &fake).unwrap().received,
            0
        );
    }

    #[test]
    fn an_officer_key_made_on_a_device_is_certified_with_a_code_for_that_person_only() {
        let w = world();
        let mut s = service(&w, SqliteStorage::temporary().unwrap());
        enrol(&w, &mut s);
        let grant = Grant::Officer {
            person: "li.ming".into(),
        };
        let key = SigningKey::from_bytes(&[60; 32]);
        let req = |code: &str, person: &str| OfficerEnrolRequest {
            code: code.into(),
            person_id: person.into(),
            public_key: hex::encode(key.verifying_key().to_bytes()),
        };
        assert_eq!(
            s.issue_enrolment_code(
                &Grant::Officer {
                    person: "nobody".into()
                },
                [1; 8],
                NOW
            )
            .unwrap_err()
            .status(),
            404
        );
        let code = s.issue_enrolment_code(&grant, [2; 8], NOW).unwrap();
        let device_code = s
            .issue_enrolment_code(&squad_grant("一中队"), [3; 8], NOW)
            .unwrap();
        assert_eq!(
            s.enrol_officer("tablet-a", &req(&device_code, "li.ming"), NOW)
                .unwrap_err()
                .status(),
            403,
            "a device's code does not certify a person"
        );
        let cert = s
            .enrol_officer("tablet-a", &req(&code, "li.ming"), NOW)
            .unwrap()
            .certificate;
        let c = cert.decode_unverified().unwrap();
        assert_eq!(c.public_key, key.verifying_key().to_bytes());
        assert_eq!(c.person().unwrap().id.0, "li.ming");
        assert_eq!(
            s.enrol_officer("tablet-a", &req(&code, "li.ming"), NOW)
                .unwrap_err()
                .status(),
            403,
            "once"
        );
        // Acts signed with the new key verify at the station.
        assert!(
            s.certificates_for(&BTreeSet::new())
                .unwrap()
                .contains(&cert)
        );
    }

    #[test]
    fn a_device_sees_what_its_people_may_see() {
        let meta = |squad: &str, status| CaseMeta {
            squad: squad.into(),
            status,
            heads: vec![],
        };
        let person = |role| Person {
            id: qc_domain::PersonId("p".into()),
            name: "某人".into(),
            role,
            cert_no: None,
            squad: "法制科".into(),
        };
        let legal = Scope {
            squad: "法制科".into(),
            people: vec![person(Role::LegalReviewer)],
        };
        assert!(legal.sees(&meta(
            "二中队",
            qc_domain::CaseStatus::InvestigationConcluded
        )));
        assert!(!legal.sees(&meta("二中队", qc_domain::CaseStatus::Investigating)));
        let plain = Scope {
            squad: "一中队".into(),
            people: vec![],
        };
        assert!(plain.sees(&meta("一中队", qc_domain::CaseStatus::Registered)));
        assert!(!plain.sees(&meta("二中队", qc_domain::CaseStatus::Decided)));
    }
}
