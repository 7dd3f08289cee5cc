use ed25519_dalek::SigningKey;
use qc_chain::{Action, Entry, SignedEntry};
use qc_domain::Role;
use qc_identity::Revocation;
use qc_sync::witness::Witness;

use super::*;
use crate::SqliteStorage;

const NOW: Timestamp = Timestamp(1_795_000_000_000);
const DAY: i64 = 86_400_000;
/// Where test requests come from.
const FROM: std::net::IpAddr = std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

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
        desk_seed: [50; 32],
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
fn enrol<S: Storage>(w: &World, s: &Service<S>) -> SignedCertificate {
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
        FROM,
        NOW,
    )
    .unwrap()
    .certificate
}

/// The station holds case-1 of 一中队 (sent by `device`), so entries about it are in the
/// scope of 一中队's devices.
fn hold_case<S: Storage>(s: &Service<S>, device: &str) {
    let mut doc = docs::case("一中队");
    s.push_docs(device, &docs::up(&mut doc, &[])).unwrap();
}

/// A station on `storage` that holds case-1 and `n` entries of tablet-a's feed about it.
fn station_with_feed<S: Storage>(w: &World, storage: S, n: u64) -> Service<S> {
    let s = service(w, storage);
    enrol(w, &s);
    hold_case(&s, "tablet-a");
    s.push(
        "tablet-a",
        &PushEntries {
            entries: feed(w, n),
            known_size: 0,
        },
        NOW,
    )
    .unwrap();
    s
}

/// The device's feed: `n` entries by the officer.
fn feed(w: &World, n: u64) -> Vec<SignedEntry> {
    feed_of(w, "tablet-a", &w.device, n)
}

/// A device's feed: `n` entries by the officer, signed with the device's key.
fn feed_of(w: &World, device: &str, key: &SigningKey, n: u64) -> Vec<SignedEntry> {
    let mut out: Vec<SignedEntry> = Vec::new();
    for seq in 1..=n {
        let e = Entry {
            device: device.into(),
            seq,
            prev: out.last().map_or([0; 32], SignedEntry::hash),
            time: Timestamp(NOW.0 + seq as i64),
            actors: vec![w.officer.1.id()],
            action: Action::RecordCreated,
            case: "case-1".into(),
            heads: vec![[seq as u8; 32]],
            blobs: vec![],
            records: vec![],
        };
        out.push(SignedEntry::sign(&e, key, &[&w.officer.0]));
    }
    out
}

#[test]
fn an_enrolment_code_works_once_for_one_device() {
    let w = world();
    let s = service(&w, SqliteStorage::temporary().unwrap());
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
    let e = s
        .enrol(&req("AAAA-BBBB-CCCC", "t1"), FROM, NOW)
        .unwrap_err();
    assert_eq!(e.status(), 403);
    // A tablet may not take the name of a bureau desk's device (it would be given that
    // desk's view when its person first signs); the code stays good.
    assert_eq!(
        s.enrol(&req(&code, "desk-zhou"), FROM, NOW)
            .unwrap_err()
            .status(),
        400
    );
    // Case and dashes do not matter when reading a code aloud.
    let r = s
        .enrol(&req(&code.to_lowercase().replace('-', ""), "t1"), FROM, NOW)
        .unwrap();
    let cert = r.certificate.decode_unverified().unwrap();
    assert!(matches!(cert.subject, Subject::Device { ref squad, .. } if squad == "一中队"));
    assert_eq!(
        s.enrol(&req(&code, "t2"), FROM, NOW).unwrap_err().status(),
        403
    );
    // An expired code.
    let late = s
        .issue_enrolment_code(&squad_grant("一中队"), [8; 8], NOW)
        .unwrap();
    assert_eq!(
        s.enrol(&req(&late, "t3"), FROM, Timestamp(NOW.0 + 2 * DAY))
            .unwrap_err()
            .status(),
        403
    );
}

fn call<S: Storage>(
    s: &Service<S>,
    key: &SigningKey,
    device: &str,
    nonce: u8,
) -> Result<String, ServiceError> {
    call_prechecked(s, (key, device), nonce, (NOW, NOW), || {})
}

/// A request signed and prechecked at `at.0`, then `meanwhile` done while its body comes in,
/// then authenticated at `at.1`.
fn call_prechecked<S: Storage>(
    s: &Service<S>,
    (key, device): (&SigningKey, &str),
    nonce: u8,
    at: (Timestamp, Timestamp),
    meanwhile: impl FnOnce(),
) -> Result<String, ServiceError> {
    let verified = verified_request(s, (key, device), ("/v1/entries", nonce), at, meanwhile)?;
    s.take_nonce(&verified)?;
    Ok(verified.device().to_owned())
}

/// A `POST` to `path` signed with `nonce` and prechecked at `at.0`, then `meanwhile` done
/// while its body comes in, then verified at `at.1` (its nonce not taken).
fn verified_request<S: Storage>(
    s: &Service<S>,
    (key, device): (&SigningKey, &str),
    (path, nonce): (&str, u8),
    at: (Timestamp, Timestamp),
    meanwhile: impl FnOnce(),
) -> Result<Verified, ServiceError> {
    let body = b"{}";
    let a = RequestAuth::sign(device, key, "POST", path, body, at.0, [nonce; 16]);
    let h = a.headers();
    let header = |name: &str| h.iter().find(|(k, _)| *k == name).map(|(_, v)| v.as_str());
    let standing = s.precheck(header, at.0)?;
    meanwhile();
    s.verify_request(
        "POST",
        path,
        header,
        qc_sync::auth::body_digest(body),
        at.1,
        Some(standing),
    )
}

/// Whether `tablet-a`'s request is authenticated when the tablet is revoked while the
/// request's body comes in for `read_ms`.
fn revoked_while_reading(w: &World, read_ms: i64) -> Result<String, ServiceError> {
    let s = service(w, SqliteStorage::temporary().unwrap());
    enrol(w, &s);
    let read = (NOW, Timestamp(NOW.0 + read_ms));
    let revoke = || {
        s.revoke_device("tablet-a", "平板遗失", NOW).unwrap();
    };
    let answer = call_prechecked(&s, (&w.device, "tablet-a"), 1, read, revoke);
    // The next request is refused at its precheck whatever.
    let next = call_prechecked(&s, (&w.device, "tablet-a"), 2, (read.1, read.1), || {});
    assert!(
        matches!(next, Err(ServiceError::Auth(AuthError::Revoked(_)))),
        "{next:?}"
    );
    answer
}

#[test]
fn a_precheck_stands_for_its_request_only_while_the_body_comes_in_quickly() {
    let w = world();
    // A sync's body: the request stands (the tablet was in good standing at its start).
    assert_eq!(revoked_while_reading(&w, 300).unwrap(), "tablet-a");
    // An upload's body that took longer: checked again, and refused.
    let slow = revoked_while_reading(&w, PRECHECK_STANDS_MS + 1000);
    assert!(
        matches!(slow, Err(ServiceError::Auth(AuthError::Revoked(_)))),
        "{slow:?}"
    );
}

#[test]
fn requests_are_authenticated_and_replays_refused() {
    let w = world();
    let s = service(&w, SqliteStorage::temporary().unwrap());
    assert_eq!(
        call(&s, &w.device, "tablet-a", 1).unwrap_err().status(),
        401,
        "not enrolled yet"
    );
    enrol(&w, &s);
    assert_eq!(call(&s, &w.device, "tablet-a", 2).unwrap(), "tablet-a");
    assert_eq!(
        call(&s, &w.device, "tablet-a", 2).unwrap_err().status(),
        409,
        "replay"
    );
    let stranger = SigningKey::from_bytes(&[31; 32]);
    assert_eq!(
        call(&s, &stranger, "tablet-a", 3).unwrap_err().status(),
        401,
        "someone else's key"
    );
}

#[test]
fn a_request_replayed_after_a_restart_is_refused() {
    let w = world();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("server.db");
    let s = service(&w, SqliteStorage::open(&path, &[2; 32]).unwrap());
    enrol(&w, &s);
    call(&s, &w.device, "tablet-a", 5).unwrap();
    drop(s);
    let s = service(&w, SqliteStorage::open(&path, &[2; 32]).unwrap());
    assert_eq!(
        call(&s, &w.device, "tablet-a", 5).unwrap_err().status(),
        409,
        "the station remembers the nonce across the restart"
    );
    assert_eq!(call(&s, &w.device, "tablet-a", 6).unwrap(), "tablet-a");
}

#[test]
fn a_code_offered_for_something_else_or_with_a_bad_device_stays_unused() {
    let w = world();
    let bureau = BureauKey::from_seed(&w.bureau_seed);
    let wang = bureau
        .issue(
            21,
            Subject::Officer {
                person_id: "wang.fang".into(),
                name: "王芳".into(),
                cert_no: Some("41030021002".into()),
                role: Role::EnforcementOfficer,
                squad: "一中队".into(),
            },
            SigningKey::from_bytes(&[21; 32]).verifying_key().to_bytes(),
            Timestamp(NOW.0 - DAY),
            Timestamp(NOW.0 + DAY),
        )
        .unwrap();
    let mut id = identity(&w, None);
    id.certificates.push(wang);
    let s = Service::new(SqliteStorage::temporary().unwrap(), id).unwrap();
    enrol(&w, &s);
    let li_ming = Grant::Officer {
        person: "li.ming".into(),
    };
    let officer_code = s.issue_enrolment_code(&li_ming, [2; 8], NOW).unwrap();
    let device_code = s
        .issue_enrolment_code(&squad_grant("一中队"), [3; 8], NOW)
        .unwrap();
    let key = hex::encode(SigningKey::from_bytes(&[61; 32]).verifying_key().to_bytes());
    let officer = |code: &str, person: &str| OfficerEnrolRequest {
        code: code.into(),
        person_id: person.into(),
        public_key: key.clone(),
    };
    let device = |code: &str, id: &str, label: &str| EnrolRequest {
        code: code.into(),
        device_id: id.into(),
        label: label.into(),
        public_key: key.clone(),
    };
    let refused = [
        s.enrol_officer("tablet-a", &officer(&device_code, "li.ming"), FROM, NOW),
        s.enrol_officer("tablet-a", &officer(&officer_code, "wang.fang"), FROM, NOW),
    ];
    assert!(
        refused
            .iter()
            .all(|r| r.as_ref().unwrap_err().status() == 403)
    );
    let refused = [
        (device(&officer_code, "t2", "平板"), 403),
        (device(&device_code, "t2", &"x".repeat(8 << 20)), 400),
        (device(&device_code, "t2", "一\u{7}"), 400),
        (device(&device_code, "平板二", "平板"), 400),
        (device(&device_code, "t 2", "平板"), 400),
    ];
    for (req, status) in refused {
        assert_eq!(s.enrol(&req, FROM, NOW).unwrap_err().status(), status);
    }
    // Each code still does what it was made for.
    s.enrol_officer("tablet-a", &officer(&officer_code, "li.ming"), FROM, NOW)
        .unwrap();
    let label = "二".repeat(MAX_LABEL);
    s.enrol(&device(&device_code, "t2", &label), FROM, NOW)
        .unwrap();
}

#[test]
fn wrong_codes_are_limited_per_source() {
    let w = world();
    let s = service(&w, SqliteStorage::temporary().unwrap());
    let req = |code: &str, id: &str| EnrolRequest {
        code: code.into(),
        device_id: id.into(),
        label: "平板".into(),
        public_key: hex::encode(w.device.verifying_key().to_bytes()),
    };
    let code = s
        .issue_enrolment_code(&squad_grant("一中队"), [9; 8], NOW)
        .unwrap();
    for _ in 0..WRONG_CODES_PER_SOURCE {
        let e = s
            .enrol(&req("AAAA-BBBB-CCCC", "t1"), FROM, NOW)
            .unwrap_err();
        assert_eq!(e.status(), 403);
    }
    let e = s.enrol(&req(&code, "t1"), FROM, NOW).unwrap_err();
    assert_eq!(e.status(), 429, "not even the right code is tried");
    assert_eq!(e.body().code, "too_many_attempts");
    assert!(
        e.body().message.contains("10分钟后再试"),
        "{}",
        e.body().message
    );
    // Another source is not held up, and this one is again after the window.
    let elsewhere: std::net::IpAddr = [192, 168, 1, 7].into();
    s.enrol(&req(&code, "t1"), elsewhere, NOW).unwrap();
    let code = s
        .issue_enrolment_code(&squad_grant("一中队"), [10; 8], NOW)
        .unwrap();
    let later = Timestamp(NOW.0 + WRONG_CODES_WINDOW_MS);
    s.enrol(&req(&code, "t2"), FROM, later).unwrap();
}

/// Two stations on one store (two processes behind a proxy) share the count of wrong codes:
/// an attacker spreading guesses over both gets no more tries than from one.
#[test]
fn two_stations_on_one_store_share_the_wrong_code_limit() {
    let w = world();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("server.db");
    let a = service(&w, SqliteStorage::open(&path, &[2; 32]).unwrap());
    let b = service(&w, SqliteStorage::open(&path, &[2; 32]).unwrap());
    let req = |code: &str| EnrolRequest {
        code: code.into(),
        device_id: "t1".into(),
        label: "平板".into(),
        public_key: hex::encode(w.device.verifying_key().to_bytes()),
    };
    for i in 0..WRONG_CODES_PER_SOURCE {
        let station = if i % 2 == 0 { &a } else { &b };
        let e = station
            .enrol(&req("AAAA-BBBB-CCCC"), FROM, NOW)
            .unwrap_err();
        assert_eq!(e.status(), 403);
    }
    let code = a
        .issue_enrolment_code(&squad_grant("一中队"), [9; 8], NOW)
        .unwrap();
    for station in [&a, &b] {
        let e = station.enrol(&req(&code), FROM, NOW).unwrap_err();
        assert_eq!(e.body().code, "too_many_attempts");
    }
    b.enrol(&req(&code), FROM, Timestamp(NOW.0 + WRONG_CODES_WINDOW_MS))
        .unwrap();
}

#[test]
fn a_person_is_in_force_while_a_certificate_of_theirs_is() {
    let w = world();
    let officer = w.officer.1.decode_unverified().unwrap();
    let id = officer.person().unwrap().id.0;
    let s = service(&w, SqliteStorage::temporary().unwrap());
    assert_eq!(s.person_in_force(&id, NOW).unwrap().id.0, id);
    assert!(s.person_in_force("nobody", NOW).is_err());
    // Past its end, or before its start: not in force.
    assert!(
        s.person_in_force(&id, Timestamp(NOW.0 + 366 * DAY))
            .is_err()
    );
    assert!(s.person_in_force(&id, Timestamp(NOW.0 - 2 * DAY)).is_err());
    // Revoked (the person left the bureau): not in force.
    let crl = BureauKey::from_seed(&w.bureau_seed).revoke(
        1,
        NOW,
        vec![Revocation {
            cert: w.officer.1.id(),
            revoked_at: Timestamp(NOW.0 - 1000),
            reason: "调离".into(),
        }],
    );
    let s = Service::new(SqliteStorage::temporary().unwrap(), identity(&w, Some(crl))).unwrap();
    assert!(s.person_in_force(&id, NOW).is_err());
}

#[test]
fn a_revoked_device_is_refused() {
    let w = world();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("server.db");
    let s = service(&w, SqliteStorage::open(&path, &[2; 32]).unwrap());
    let cert = enrol(&w, &s);
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
    let s = Service::new(
        SqliteStorage::open(&path, &[2; 32]).unwrap(),
        identity(&w, Some(crl)),
    )
    .unwrap();
    let e = call(&s, &w.device, "tablet-a", 1).unwrap_err();
    assert_eq!(e.status(), 403);
    assert!(e.body().message.contains("吊销"));
}

#[test]
fn pushed_entries_get_receipts_once_and_the_device_witness_accepts_them() {
    let w = world();
    let s = service(&w, SqliteStorage::temporary().unwrap());
    enrol(&w, &s);
    hold_case(&s, "tablet-a");
    let f = feed(&w, 5);
    let mut witness = Witness::new(s.log_key());
    let push = |s: &Service<_>, entries: &[SignedEntry], known| {
        s.push(
            "tablet-a",
            &PushEntries {
                entries: entries.to_vec(),
                known_size: known,
            },
            NOW,
        )
        .unwrap()
    };
    let r = push(&s, &f[..3], 0);
    assert_eq!(witness.accept_push(&f[..3], &r).unwrap().len(), 3);
    // A retry after a cut connection: the same entries again, plus the rest.
    let r = push(&s, &f, witness.known_size());
    assert_eq!(witness.accept_push(&f, &r).unwrap().len(), 5);
    assert_eq!(s.log_size().unwrap(), 5, "nothing logged twice");
    let c = s.consistency(witness.known_size(), NOW).unwrap();
    witness.accept_consistency(&c).unwrap();
}

/// Two stations on one store (two processes behind a proxy, or the server and an
/// administrator's command) take uploads of the same feed at once: each entry is logged once,
/// in one order, and every answer's receipts and proofs satisfy the device's witness.
#[test]
fn two_stations_on_one_store_log_each_entry_once_and_every_answer_proves_it() {
    let w = world();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("server.db");
    let a = service(&w, SqliteStorage::open(&path, &[2; 32]).unwrap());
    enrol(&w, &a);
    hold_case(&a, "tablet-a");
    let b = service(&w, SqliteStorage::open(&path, &[2; 32]).unwrap());
    let f = feed(&w, 30);
    let answers = std::thread::scope(|scope| {
        let pushes: Vec<_> = [(&a, 30), (&b, 12), (&a, 5), (&b, 30), (&b, 20), (&a, 30)]
            .into_iter()
            .map(|(station, n)| {
                let f = &f;
                scope.spawn(move || {
                    let sent = f[..n].to_vec();
                    let r = station
                        .push(
                            "tablet-a",
                            &PushEntries {
                                entries: sent.clone(),
                                known_size: 0,
                            },
                            NOW,
                        )
                        .unwrap();
                    (sent, r)
                })
            })
            .collect();
        pushes
            .into_iter()
            .map(|p| p.join().unwrap())
            .collect::<Vec<_>>()
    });
    for (sent, r) in &answers {
        let mut witness = Witness::new(a.log_key());
        assert_eq!(witness.accept_push(sent, r).unwrap().len(), sent.len());
        let c = b.consistency(witness.known_size(), NOW).unwrap();
        witness.accept_consistency(&c).unwrap();
    }
    assert_eq!((a.log_size().unwrap(), b.log_size().unwrap()), (30, 30));
}

/// Uploads arriving while the log is held (by another station process) wait, and are then
/// appended together: one tree update for all of them, each told where its entries went.
#[test]
fn uploads_waiting_for_the_log_are_appended_in_one_tree_update() {
    let w = world();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("server.db");
    let s = service(&w, SqliteStorage::open(&path, &[2; 32]).unwrap());
    const DEVICES: u64 = 6;
    let feeds: Vec<(String, Vec<SignedEntry>)> = (0..DEVICES)
        .map(|i| {
            let device = format!("tablet-{i}");
            docs::enrol_as(&s, &device, "一中队", 60 + i as u8);
            let key = SigningKey::from_bytes(&[60 + i as u8; 32]);
            let f = feed_of(&w, &device, &key, 3);
            (device, f)
        })
        .collect();
    hold_case(&s, "tablet-0");
    let other = SqliteStorage::open(&path, &[2; 32]).unwrap();
    let held = other.sequence().unwrap();
    std::thread::scope(|scope| {
        let pushes: Vec<_> = feeds
            .iter()
            .map(|(device, f)| {
                let s = &s;
                scope.spawn(move || {
                    s.push(
                        device,
                        &PushEntries {
                            entries: f.clone(),
                            known_size: 0,
                        },
                        NOW,
                    )
                    .unwrap()
                })
            })
            .collect();
        // Every upload is verified and waiting (SQLite's busy wait is 5 s) when the log is
        // let go.
        std::thread::sleep(std::time::Duration::from_millis(1500));
        drop(held);
        // Each receipt proves its entry where the batch put it.
        for (p, (_, sent)) in pushes.into_iter().zip(&feeds) {
            let answer = p.join().unwrap();
            let mut witness = Witness::new(s.log_key());
            assert_eq!(witness.accept_push(sent, &answer).unwrap().len(), 3);
        }
    });
    assert_eq!(s.log_size().unwrap(), 3 * DEVICES);
    // The first upload took the log and waited for it; all the others came together after.
    let stats = s.log_stats();
    assert_eq!(
        (stats.appends, stats.entries, stats.sequenced),
        (2, 3 * DEVICES, DEVICES)
    );
    assert!(
        stats.waited_us >= 1_000_000,
        "the first waited for the log: {stats:?}"
    );
}

/// An entry refused for what it is comes back named, with why; sent again without its body by
/// its own device (set aside), it is logged in its place and the feed goes on; no other
/// device may send it so. Entries about a case out of the device's scope are named too.
#[test]
fn a_refused_entry_is_named_and_taken_without_its_body_from_its_own_device() {
    let w = world();
    let s = service(&w, SqliteStorage::temporary().unwrap());
    enrol(&w, &s);
    docs::enrol_as(&s, "tablet-b", "一中队", 51);
    docs::enrol_as(&s, "tablet-c", "二中队", 52);
    hold_case(&s, "tablet-a");
    let push = |device: &str, entries: Vec<SignedEntry>| {
        s.push(
            device,
            &PushEntries {
                entries,
                known_size: 0,
            },
            NOW,
        )
    };
    let sign = |seq: u64, prev: &SignedEntry, (action, case, by): (Action, &str, usize), fields| {
        let (records, heads, blobs) = fields;
        let e = Entry {
            device: "tablet-a".into(),
            seq,
            prev: prev.hash(),
            time: Timestamp(NOW.0 + seq as i64),
            actors: vec![w.officer.1.id(); by],
            action,
            case: case.into(),
            heads,
            blobs,
            records,
        };
        SignedEntry::sign(&e, &w.device, &vec![&w.officer.0; by])
    };
    // A signature spoiled on the way: named, but not kept as refused for what the entry is
    // (it was not the entry's fault: setting it aside would withdraw a sound act).
    let sound = feed(&w, 2);
    let mut spoiled = sound.clone();
    spoiled[1].actor_sigs[0][0] ^= 1;
    match push("tablet-a", spoiled).unwrap_err() {
        ServiceError::Refused(r) => {
            let named: Vec<&str> = r.entries.iter().map(|e| e.entry.as_str()).collect();
            assert_eq!(named, [hex::encode(sound[1].hash())]);
            assert!(!r.entries[0].reason.is_empty());
            assert!(r.settled.is_empty());
        }
        other => panic!("{other}"),
    }
    assert!(!s.storage.was_refused("tablet-a", &sound[1].hash()).unwrap());
    // One officer signed twice: refused for what it is, and kept so.
    let record = (Action::RecordCreated, "case-1", 1);
    let twice = sign(
        2,
        &sound[0],
        (Action::RecordCreated, "case-1", 2),
        (vec![], vec![[2; 32]], vec![]),
    );
    let f = vec![
        sound[0].clone(),
        twice.clone(),
        sign(3, &twice, record.clone(), (vec![], vec![[3; 32]], vec![])),
    ];
    match push("tablet-a", f.clone()).unwrap_err() {
        ServiceError::Refused(r) => assert_eq!(r.settled, [f[1].hash()]),
        other => panic!("{other}"),
    }
    assert!(s.storage.was_refused("tablet-a", &f[1].hash()).unwrap());
    assert_eq!(s.log_size().unwrap(), 0, "nothing of it taken");
    // Set aside with the device's later entry about the case (it builds on it), which the
    // station did not refuse itself.
    let aside = vec![f[0].clone(), f[1].elided(), f[2].elided()];
    let e = push("tablet-b", aside.clone()).unwrap_err();
    assert_eq!(e.status(), 400, "{e}");
    push("tablet-a", aside).unwrap();
    assert_eq!(s.log_size().unwrap(), 3, "the feed goes on past it");
    let logged = s.storage.case_entries("case-1").unwrap();
    assert_eq!(logged, [f[0].clone()], "their acts are not the case's");

    // The act that says so (action 20) names entries of its own device set aside before it,
    // about the case it names, and nothing else.
    let act = |seq: u64, prev: &SignedEntry, case: &str, fields| {
        sign(seq, prev, (Action::EntriesSetAside, case, 1), fields)
    };
    let held_heads = s.storage.case_doc("case-1").unwrap().unwrap().0.heads;
    let one = vec![f[1].hash(), f[2].hash()];
    for (case, named, why) in [
        (
            "case-1",
            (vec![f[0].hash()], vec![], vec![]),
            "an entry not set aside",
        ),
        (
            "case-2",
            (one.clone(), vec![], vec![]),
            "another case's commitment",
        ),
        ("case-1", (vec![], vec![], vec![]), "naming nothing"),
        (
            "case-1",
            (one.clone(), vec![], vec![[7; 32]]),
            "naming a file",
        ),
        (
            "case-1",
            (one.clone(), vec![[8; 32]], vec![]),
            "heads the document lacks",
        ),
    ] {
        match push("tablet-a", vec![act(4, &f[2], case, named)]).unwrap_err() {
            // Named, so the device may set it aside in turn.
            ServiceError::Refused(r) => assert_eq!(r.entries.len(), 1, "{why}"),
            other => panic!("{why}: {other}"),
        }
    }
    let said = act(4, &f[2], "case-1", (one, held_heads, vec![]));
    push("tablet-a", vec![said.clone()]).unwrap();
    // A draw's act set aside: the act names the draw, and no draw rule refuses it.
    let drawn = sign(
        5,
        &said,
        (Action::InspectionReportedOnSite, "draw-x", 1),
        (vec![[7; 32]], vec![], vec![[7; 32]]),
    );
    assert_eq!(
        push("tablet-a", vec![drawn.clone()]).unwrap_err().status(),
        422,
        "named, so it may be set aside"
    );
    let aside = act(6, &drawn, "draw-x", (vec![drawn.hash()], vec![], vec![]));
    push("tablet-a", vec![drawn.elided(), aside.clone()]).unwrap();
    assert_eq!(s.log_size().unwrap(), 6);

    // An act the station never refused is not withdrawn so, by a modified tablet: neither on
    // its own, nor behind an entry set aside already, nor after a refusal it brought about
    // by spoiling a signature.
    let kept = sign(7, &aside, record, (vec![], vec![], vec![]));
    let mut spoiled = kept.clone();
    spoiled.actor_sigs[0][0] ^= 1;
    assert_eq!(push("tablet-a", vec![spoiled]).unwrap_err().status(), 422);
    // Stripped of its signature, its officer is not counted either: still not for what it is.
    let mut stripped = kept.clone();
    stripped.actor_sigs.clear();
    match push("tablet-a", vec![stripped]).unwrap_err() {
        ServiceError::Refused(r) => assert!(r.settled.is_empty() && !r.entries[0].kept),
        other => panic!("{other}"),
    }
    for sent in [
        vec![kept.elided()],
        vec![
            kept.elided(),
            act(8, &kept, "case-1", (vec![kept.hash()], vec![], vec![])),
        ],
        vec![
            kept.elided(),
            act(
                8,
                &kept,
                "case-1",
                (vec![f[1].hash(), kept.hash()], vec![], vec![]),
            ),
        ],
    ] {
        match push("tablet-a", sent).unwrap_err() {
            ServiceError::Refused(r) => {
                assert_eq!(r.entries[0].entry, hex::encode(kept.hash()));
                assert!(r.entries[0].reason.contains("基站没有拒收该记录"));
                assert!(r.settled.is_empty(), "not for what it is");
            }
            other => panic!("{other}"),
        }
    }
    assert!(!s.storage.was_refused("tablet-a", &kept.hash()).unwrap());
    assert_eq!(s.log_size().unwrap(), 6);

    // A case this tablet registered for a squad it does not see: with its document, declined,
    // its entry is refused for what it is; without, for how it was sent.
    let elsewhere = sign(
        7,
        &aside,
        (Action::RecordCreated, "case-9", 1),
        (vec![], vec![], vec![]),
    );
    let mut theirs = docs::case_with_id("case-9", "二中队");
    for (up, kept) in [
        (docs::up(&mut theirs, &[]), true),
        (DocsUp { docs: vec![] }, false),
    ] {
        let e = s
            .sync(
                "tablet-a",
                &qc_sync::wire::SyncRequest {
                    push: PushEntries {
                        entries: vec![elsewhere.clone()],
                        known_size: 0,
                    },
                    up,
                    want: None,
                    bureau: None,
                },
                NOW,
            )
            .unwrap_err();
        match e {
            ServiceError::Refused(r) => assert_eq!(r.entries[0].kept, kept),
            other => panic!("{other}"),
        }
    }

    // Another squad's tablet's entries about this case, its changes with them in a sync: each
    // entry named, none taken, nothing of the document.
    let theirs = feed_of(&w, "tablet-c", &SigningKey::from_bytes(&[52; 32]), 2);
    let mut copy = docs::case("一中队");
    let before = copy.heads_digests();
    copy.put_record(&docs::notice("r9", "zhao.qiang"), NOW)
        .unwrap();
    let held = s.storage.case_doc("case-1").unwrap().unwrap().0.heads;
    let e = s
        .sync(
            "tablet-c",
            &qc_sync::wire::SyncRequest {
                push: PushEntries {
                    entries: theirs.clone(),
                    known_size: 0,
                },
                up: docs::up(&mut copy, &before),
                want: None,
                bureau: None,
            },
            NOW,
        )
        .unwrap_err();
    match e {
        ServiceError::Refused(r) => assert_eq!(
            r.entries
                .iter()
                .map(|e| e.entry.clone())
                .collect::<Vec<_>>(),
            theirs
                .iter()
                .map(|e| hex::encode(e.hash()))
                .collect::<Vec<_>>()
        ),
        other => panic!("{other}"),
    }
    assert_eq!(s.storage.case_doc("case-1").unwrap().unwrap().0.heads, held);
    // Its changes alone (merged from elsewhere, no entry of its own): declined by name, so
    // the tablet need not send them again; nothing of them taken.
    let answer = s
        .sync(
            "tablet-c",
            &qc_sync::wire::SyncRequest {
                push: PushEntries {
                    entries: vec![],
                    known_size: 0,
                },
                up: docs::up(&mut copy, &before),
                want: None,
                bureau: None,
            },
            NOW,
        )
        .unwrap();
    assert!(answer.acked.heads.is_empty());
    assert_eq!(answer.acked.outside, ["case-1"]);
    assert_eq!(s.storage.case_doc("case-1").unwrap().unwrap().0.heads, held);
}

#[test]
fn an_upload_that_does_not_verify_is_refused_whole() {
    let w = world();
    let s = service(&w, SqliteStorage::temporary().unwrap());
    let f = feed(&w, 3);
    // tablet-a's entries, relayed by tablet-b before tablet-a is enrolled: its certificate
    // is unknown.
    docs::enrol_as(&s, "tablet-b", "一中队", 51);
    hold_case(&s, "tablet-b");
    let e = s
        .push(
            "tablet-b",
            &PushEntries {
                entries: f.clone(),
                known_size: 0,
            },
            NOW,
        )
        .unwrap_err();
    assert_eq!(e.status(), 422);
    enrol(&w, &s);
    // A gap: entry 1 missing.
    let e = s
        .push(
            "tablet-a",
            &PushEntries {
                entries: f[1..].to_vec(),
                known_size: 0,
            },
            NOW,
        )
        .unwrap_err();
    assert!(
        matches!(&e, ServiceError::Refused(r) if r.problems.iter().any(|p| matches!(p, Problem::Gap { .. })))
    );
    // A changed byte.
    let mut bad = f.clone();
    bad[2].device_sig[0] ^= 1;
    assert_eq!(
        s.push(
            "tablet-a",
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
    assert_eq!(
        s.log_size().unwrap(),
        0,
        "nothing of a refused upload is kept"
    );
    s.push(
        "tablet-a",
        &PushEntries {
            entries: f,
            known_size: 0,
        },
        NOW,
    )
    .unwrap();
    assert_eq!(s.log_size().unwrap(), 3);
}

#[test]
fn a_restarted_server_has_the_same_log_and_refuses_a_store_changed_behind_its_back() {
    let w = world();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("server.db");
    let s = station_with_feed(&w, SqliteStorage::open(&path, &[2; 32]).unwrap(), 4);
    let root = s.consistency(0, NOW).unwrap().checkpoint;
    drop(s);
    let s = service(&w, SqliteStorage::open(&path, &[2; 32]).unwrap());
    assert_eq!(s.log_size().unwrap(), 4);
    assert_eq!(
        s.consistency(0, NOW).unwrap().checkpoint.bytes,
        root.bytes,
        "same size, root and time"
    );
    drop(s);
    // Someone edits the store directly: an entry's hash, a tile, the head's root. Each is
    // refused at start; undone, the station starts again.
    let edit = |sql: &str| {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(&format!("PRAGMA key = \"x'{}'\";", hex::encode([2u8; 32])))
            .unwrap();
        conn.execute_batch(sql).unwrap();
    };
    let starts = || {
        Service::new(
            SqliteStorage::open(&path, &[2; 32]).unwrap(),
            identity(&w, None),
        )
        .map(drop)
    };
    for (change, undo) in [
        (
            "CREATE TABLE saved AS SELECT hash FROM log WHERE idx = 2;
             UPDATE log SET hash = zeroblob(32) WHERE idx = 2",
            "UPDATE log SET hash = (SELECT hash FROM saved) WHERE idx = 2; DROP TABLE saved",
        ),
        (
            "CREATE TABLE saved AS SELECT hashes FROM log_tiles WHERE level = 0 AND idx = 0;
             UPDATE log_tiles SET hashes = zeroblob(128) WHERE level = 0 AND idx = 0",
            "UPDATE log_tiles SET hashes = (SELECT hashes FROM saved) WHERE level = 0 AND idx = 0;
             DROP TABLE saved",
        ),
        (
            "CREATE TABLE saved AS SELECT root FROM log_head;
             UPDATE log_head SET root = zeroblob(32)",
            "UPDATE log_head SET root = (SELECT root FROM saved); DROP TABLE saved",
        ),
    ] {
        edit(change);
        let e = starts().unwrap_err();
        assert!(e.to_string().contains("no longer matches"), "{change}: {e}");
        edit(undo);
        starts().unwrap();
    }
}

mod docs {
    use qc_casedoc::CaseDoc;
    use qc_domain::PersonId;
    use qc_sync::wire::{CaseHeads, DocChanges, DocsUp, DocsWant};

    use super::*;

    pub(super) fn enrol_as<S: Storage>(s: &Service<S>, id: &str, squad: &str, seed: u8) {
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
            FROM,
            NOW,
        )
        .unwrap();
    }

    /// A preservation notice `id` made by `by`: a record to change a document with.
    pub(super) fn notice(id: &str, by: &str) -> qc_domain::Record {
        crate::fixtures::notice(id, by, NOW)
    }

    pub(super) fn case(squad: &str) -> CaseDoc {
        case_with_id("case-1", squad)
    }

    pub(super) fn case_with_id(id: &str, squad: &str) -> CaseDoc {
        crate::fixtures::case(id, squad, NOW)
    }

    pub(super) fn up(doc: &mut CaseDoc, after: &[[u8; 32]]) -> DocsUp {
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
            desk_acts: Some(Default::default()),
            feeds: None,
        }
    }

    /// Each feed goes down on from the last entry the device says it holds of it (whole when
    /// it says nothing), with the entries before about a case it holds none of; a feed of
    /// which nothing goes takes no certificate down.
    #[test]
    fn feeds_go_down_on_from_what_the_device_holds() {
        let w = world();
        let s = station_with_feed(&w, SqliteStorage::temporary().unwrap(), 6);
        enrol_as(&s, "tablet-b", "一中队", 51);
        // The station's copy moves on from the one tablet B holds.
        let mut doc = case("一中队");
        let before = doc.heads_digests();
        doc.put_record(&notice("r1", "li.ming"), NOW).unwrap();
        s.push_docs("tablet-a", &up(&mut doc, &before)).unwrap();
        let behind = vec![CaseHeads {
            case: "case-1".into(),
            heads: before.iter().map(hex::encode).collect(),
        }];
        let down = |have: &[CaseHeads], feeds: Option<&[(&str, u64)]>| {
            let want = DocsWant {
                have: have.to_vec(),
                desk_acts: Some(Default::default()),
                feeds: feeds.map(|f| f.iter().map(|(d, n)| ((*d).to_owned(), *n)).collect()),
            };
            let down = s.pull_docs("tablet-b", &want).unwrap();
            assert_eq!(down.docs.len(), 1, "the case goes down");
            let seqs: Vec<u64> = down.entries.iter().map(|e| e.head().unwrap().seq).collect();
            (seqs, down.certificates.len())
        };
        let (whole, certificates) = down(&behind, None);
        assert_eq!(whole, [1, 2, 3, 4, 5, 6]);
        assert!(certificates > 0);
        assert_eq!(down(&behind, Some(&[("tablet-a", 4)])).0, [5, 6]);
        let (none, fewer) = down(&behind, Some(&[("tablet-a", 6)]));
        assert!(none.is_empty() && fewer < certificates, "not tablet-a's");
        assert_eq!(
            down(&behind, Some(&[("tablet-a", u64::MAX)])),
            (none, fewer)
        );
        assert_eq!(
            down(&behind, Some(&[("tablet-b", 3), ("tablet-x", 9)])).0,
            [1, 2, 3, 4, 5, 6],
            "other feeds held change nothing"
        );
        // A case held none of: its entries go whole, the feed's others on from what is held.
        assert_eq!(down(&[], Some(&[("tablet-a", 6)])), (whole, certificates));
    }

    /// Two tablets' changes to one case merged at once (two requests of one instance, or two
    /// instances on one database): the request that keeps its copy second merges its changes
    /// again into the first one's, so the station holds both, and what each is told the
    /// station holds contains its changes.
    #[test]
    fn changes_merged_at_once_into_one_copy_are_all_kept() {
        let w = world();
        let s = service(&w, SqliteStorage::temporary().unwrap());
        enrol_as(&s, "tablet-a", "一中队", 50);
        enrol_as(&s, "tablet-b", "一中队", 51);
        let mut a = case("一中队");
        s.push_docs("tablet-a", &up(&mut a, &[])).unwrap();
        let base = a.heads_digests();
        let mut b = CaseDoc::load(&a.save(), b"tablet-b").unwrap();
        a.put_record(&notice("r-a", "li.ming"), NOW).unwrap();
        b.put_record(&notice("r-b", "wang.fang"), NOW).unwrap();
        // A's request merges; B's whole request runs before A's keeps its copy.
        let scope = s.scope("tablet-a").unwrap();
        let held = s.held_docs(&["case-1".to_owned()]).unwrap();
        let (merged, outside) = s.merge_docs(&scope, &up(&mut a, &base), held).unwrap();
        assert!(outside.is_empty());
        let acked_b = s.push_docs("tablet-b", &up(&mut b, &base)).unwrap();
        let acked_a = s.keep_docs(&scope, merged, None).unwrap();

        let (meta, held) = s.storage.case_doc("case-1").unwrap().unwrap();
        let mut held = CaseDoc::load(&held, b"station").unwrap();
        for doc in [&mut a, &mut b] {
            for h in doc.heads_digests() {
                assert!(held.has_change(&h), "each tablet's change kept");
            }
        }
        // B was told of its copy as it kept it; A of the copy with both.
        assert_eq!(acked_b.heads[0].heads, b.heads_hex());
        assert_eq!(acked_a.heads[0].heads, held.heads_hex());
        assert_eq!(meta.heads, held.heads_digests());
        assert!(acked_a.outside.is_empty());
    }

    /// A desk's review of a closed case (案卷评查) changes no document, yet a tablet holding the
    /// case at the station's heads gets it again, with the desk's signed entry and what
    /// verifies it, until it says it holds as many of the desks' acts about it as the log.
    #[test]
    fn a_case_a_desk_reviewed_comes_down_again_with_the_review() {
        use qc_domain::review::{CHECKLIST, CaseFileReview, ItemScore};
        let w = world();
        let s = service(&w, SqliteStorage::temporary().unwrap());
        enrol_as(&s, "tablet-a", "一中队", 50);
        let mut a = case("一中队");
        s.push_docs("tablet-a", &up(&mut a, &[])).unwrap();
        // Closed, as its procedure would leave it: the station keeps the status it read.
        let (mut meta, doc) = s.storage.case_doc("case-1").unwrap().unwrap();
        meta.status = qc_domain::CaseStatus::Closed;
        s.storage.put_case_doc("case-1", &meta, &doc).unwrap();
        assert!(
            s.pull_docs("tablet-a", &want(Some(&mut a)))
                .unwrap()
                .docs
                .is_empty()
        );

        let items = CHECKLIST
            .iter()
            .map(|i| ItemScore {
                key: i.key.into(),
                score: i.max,
                comment: String::new(),
            })
            .collect();
        let review = CaseFileReview::new("case-1", meta.status, items, "案卷齐全").unwrap();
        let head = super::draws::HeadOfUnit::new();
        let entry = s
            .review_case(&review, &head.signer(), NOW)
            .unwrap()
            .unwrap();
        let down = s.pull_docs("tablet-a", &want(Some(&mut a))).unwrap();
        assert_eq!(down.docs.len(), 1, "the reviewed case comes down again");
        let mut same = CaseDoc::load(&a.save(), b"tablet-a").unwrap();
        same.apply(&hex::decode(&down.docs[0].changes).unwrap())
            .unwrap();
        assert_eq!(
            same.heads_digests(),
            a.heads_digests(),
            "its document as it was"
        );
        let review_entry = down
            .entries
            .iter()
            .find(|e| e.hash() == entry)
            .expect("the desk's entry comes with it");
        let desk = review_entry.entry().unwrap().device;
        let certified = |c: &SignedCertificate| {
            matches!(c.decode_unverified().unwrap().subject,
                qc_identity::Subject::Device { device_id, .. } if device_id == desk)
        };
        assert!(
            down.certificates.iter().any(certified),
            "with the certificate of the desk that signed it"
        );
        assert_eq!(down.docs[0].changes, "", "nothing of the document itself");
        // Held: nothing more. A tablet that does not say what it holds of the desks' acts
        // (an older app) is not sent the case for them at every sync.
        let mut held = want(Some(&mut a));
        held.desk_acts = Some([("case-1".to_owned(), 1)].into());
        assert!(s.pull_docs("tablet-a", &held).unwrap().docs.is_empty());
        let mut older = want(Some(&mut a));
        older.desk_acts = None;
        assert!(s.pull_docs("tablet-a", &older).unwrap().docs.is_empty());
    }

    #[test]
    fn documents_travel_within_a_squad_only_and_converge() {
        let w = world();
        let s = service(&w, SqliteStorage::temporary().unwrap());
        enrol_as(&s, "tablet-a", "一中队", 50);
        enrol_as(&s, "tablet-b", "一中队", 51);
        enrol_as(&s, "tablet-c", "二中队", 52);

        let mut a = case("一中队");
        let ack = s.push_docs("tablet-a", &up(&mut a, &[])).unwrap();
        assert_eq!(ack.heads[0].heads, a.heads_hex());
        // Pushing the same again changes nothing.
        let again = s.push_docs("tablet-a", &up(&mut a, &[])).unwrap();
        assert_eq!(again, ack);

        // Tablet B of the same squad receives the whole case.
        let down = s.pull_docs("tablet-b", &want(None)).unwrap();
        assert_eq!(down.docs.len(), 1);
        // B holds none of it: the station's copy goes as it is kept, not loaded and encoded.
        let kept = s.storage.case_docs(&[down.docs[0].case.clone()]).unwrap();
        assert_eq!(down.docs[0].changes, hex::encode(&kept[0].2));
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
        b.put_record(&notice("r1", "wang.fang"), NOW).unwrap();
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
        // Real changes with garbage after them, to a case the station holds: refused, not
        // silently cut to what parses.
        let held = b.heads_digests();
        b.append_event(&qc_domain::WorkflowEvent {
            id: "e9".into(),
            at: NOW,
            actors: vec![PersonId("liu".into())],
            act: qc_domain::Act::Close {
                report: "结案".into(),
            },
        })
        .unwrap();
        let mut tail = hex::decode(up(&mut b, &held).docs[0].changes.clone()).unwrap();
        tail.extend_from_slice(b"garbage");
        let tail = DocsUp {
            docs: vec![DocChanges {
                case: "case-1".into(),
                changes: hex::encode(tail),
            }],
        };
        assert_eq!(s.push_docs("tablet-b", &tail).unwrap_err().status(), 400);
        let (meta, _) = s.storage.case_doc("case-1").unwrap().unwrap();
        assert_eq!(meta.heads, held, "nothing of it kept");
    }

    /// A sync sends the cases the device's people may see, as the store reads them by squad
    /// and status: a legal reviewer's device gets another squad's case while it is sent for
    /// review, and a device gets the cases of the squad of an officer whose key it holds.
    #[test]
    fn a_device_receives_what_its_people_may_see_as_statuses_change() {
        use qc_domain::CaseStatus::{Investigating, InvestigationConcluded};
        let w = world();
        let s = service(&w, SqliteStorage::temporary().unwrap());
        enrol_as(&s, "tablet-a", "一中队", 50);
        enrol_as(&s, "tablet-c", "法制科", 52);
        enrol_as(&s, "tablet-d", "二中队", 53);
        enrol_as(&s, "tablet-e", "二中队", 54);
        let reviewer = BureauKey::from_seed(&w.bureau_seed)
            .issue(
                21,
                Subject::Officer {
                    person_id: "sun.li".into(),
                    name: "孙丽".into(),
                    cert_no: None,
                    role: Role::LegalReviewer,
                    squad: "法制科".into(),
                },
                SigningKey::from_bytes(&[21; 32]).verifying_key().to_bytes(),
                NOW,
                Timestamp(NOW.0 + DAY),
            )
            .unwrap();
        s.storage.add_officer_cert("tablet-c", &reviewer).unwrap();
        // 李明 of 一中队 holds a key on one of 二中队's tablets.
        s.storage
            .add_officer_cert("tablet-d", &w.officer.1)
            .unwrap();
        let mut a = case("一中队");
        s.push_docs("tablet-a", &up(&mut a, &[])).unwrap();
        let cases = |device: &str| -> Vec<String> {
            let down = s.pull_docs(device, &want(None)).unwrap();
            down.docs.into_iter().map(|d| d.case).collect()
        };
        assert!(cases("tablet-c").is_empty(), "registered: not for review");
        assert_eq!(cases("tablet-d"), ["case-1"], "through 李明's key");
        assert!(cases("tablet-e").is_empty(), "nobody of 一中队 on it");
        // The station's meta as a sync that sent the case for review (or back) leaves it.
        let set = |status| {
            let (mut meta, doc) = s.storage.case_doc("case-1").unwrap().unwrap();
            meta.status = status;
            s.storage.put_case_doc("case-1", &meta, &doc).unwrap();
        };
        set(InvestigationConcluded);
        assert_eq!(cases("tablet-c"), ["case-1"], "sent for review");
        set(Investigating);
        assert!(cases("tablet-c").is_empty(), "sent back");
    }

    /// An entry of `device` (its key from `seed`), first in its feed, about `case`.
    fn entry_of(
        device: &str,
        seed: u8,
        case: &str,
        action: Action,
        by: &[&(SigningKey, SignedCertificate)],
    ) -> SignedEntry {
        let e = Entry {
            device: device.into(),
            seq: 1,
            prev: [0; 32],
            time: NOW,
            actors: by.iter().map(|o| o.1.id()).collect(),
            action,
            case: case.into(),
            heads: vec![],
            blobs: vec![],
            records: vec![],
        };
        let keys: Vec<&SigningKey> = by.iter().map(|o| &o.0).collect();
        SignedEntry::sign(&e, &SigningKey::from_bytes(&[seed; 32]), &keys)
    }

    #[test]
    fn a_review_made_on_a_tablet_is_refused_by_the_log() {
        let w = world();
        let s = service(&w, SqliteStorage::temporary().unwrap());
        enrol_as(&s, "tablet-b", "一中队", 51);
        let mut ours = case("一中队");
        s.push_docs("tablet-b", &up(&mut ours, &[])).unwrap();
        let (mut meta, doc) = s.storage.case_doc("case-1").unwrap().unwrap();
        meta.status = qc_domain::CaseStatus::Closed;
        s.storage.put_case_doc("case-1", &meta, &doc).unwrap();
        let review = Entry {
            blobs: vec![[3; 32]],
            records: vec![[3; 32]],
            ..entry_of(
                "tablet-b",
                51,
                "case-1",
                Action::CaseFileReviewed,
                &[&w.officer],
            )
            .entry()
            .unwrap()
        };
        let signed =
            SignedEntry::sign(&review, &SigningKey::from_bytes(&[51; 32]), &[&w.officer.0]);
        let e = s.push(
            "tablet-b",
            &PushEntries {
                entries: vec![signed],
                known_size: 0,
            },
            NOW,
        );
        assert_eq!(e.unwrap_err().status(), 403, "a review is the desk's act");
        assert_eq!(s.log_size().unwrap(), 0);
    }

    #[test]
    fn entries_about_another_squads_case_or_unsigned_acts_are_refused() {
        let w = world();
        let s = service(&w, SqliteStorage::temporary().unwrap());
        enrol_as(&s, "tablet-b", "一中队", 51);
        enrol_as(&s, "tablet-c", "二中队", 52);
        let mut theirs = case_with_id("case-2", "二中队");
        s.push_docs("tablet-c", &up(&mut theirs, &[])).unwrap();
        let push = |s: &Service<_>, device: &str, e: SignedEntry| {
            s.push(
                device,
                &PushEntries {
                    entries: vec![e],
                    known_size: 0,
                },
                NOW,
            )
        };
        // 一中队's tablet, signing alone, closes 二中队's case: refused for the case (the entry
        // named: the tablet may set it aside), and refused for the missing signature even on
        // its own squad's case.
        let close = Action::Workflow {
            act: "close".into(),
        };
        let named = |e: Result<PushResponse, ServiceError>, entry: &SignedEntry| match e {
            Err(ServiceError::Refused(r)) => {
                r.problems.is_empty()
                    && r.entries.len() == 1
                    && r.entries[0].entry == hex::encode(entry.hash())
            }
            _ => false,
        };
        let other = entry_of("tablet-b", 51, "case-2", close.clone(), &[]);
        assert!(named(push(&s, "tablet-b", other.clone()), &other));
        // And about a case the station holds no document of.
        let unknown = entry_of("tablet-b", 51, "case-9", close.clone(), &[]);
        assert!(named(push(&s, "tablet-b", unknown.clone()), &unknown));
        let mut ours = case("一中队");
        s.push_docs("tablet-b", &up(&mut ours, &[])).unwrap();
        let e = push(
            &s,
            "tablet-b",
            entry_of("tablet-b", 51, "case-1", close, &[]),
        );
        assert!(matches!(
            e.unwrap_err(),
            ServiceError::Refused(r) if r.problems.iter().any(|p| matches!(p, Problem::MissingSigner { .. }))
        ));
        // With a new case's document in the same sync, its entries are in scope.
        let mut new = case_with_id("case-3", "一中队");
        s.sync(
            "tablet-b",
            &SyncRequest {
                push: PushEntries {
                    entries: vec![entry_of(
                        "tablet-b",
                        51,
                        "case-3",
                        Action::RecordCreated,
                        &[&w.officer],
                    )],
                    known_size: 0,
                },
                up: up(&mut new, &[]),
                want: None,
                bureau: None,
            },
            NOW,
        )
        .unwrap();
        assert_eq!(s.log_size().unwrap(), 1);
    }

    #[test]
    fn an_upload_received_whole_before_a_stop_is_kept_or_discarded_when_serving_starts() {
        use sha2::{Digest as _, Sha256};
        let w = world();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("server.db");
        let photo: Vec<u8> = (0..70_000u32).map(|i| (i * 3 % 256) as u8).collect();
        let hash: [u8; 32] = Sha256::digest(&photo).into();
        let junk = [5u8; 32];
        {
            let st = SqliteStorage::open(&path, &[2; 32]).unwrap();
            // Every byte in, the station stopped before keeping either.
            st.write_blob_chunk(&hash, photo.len() as u64, 0, &photo)
                .unwrap();
            st.write_blob_chunk(&junk, 3, 0, b"abc").unwrap();
        }
        let s = service(&w, SqliteStorage::open(&path, &[2; 32]).unwrap());
        assert_eq!(
            s.storage.unfinished_blobs().unwrap().len(),
            2,
            "not when merely opened"
        );
        assert_eq!(s.finish_interrupted().unwrap(), 2);
        assert!(
            s.storage
                .blob_state(&hash)
                .unwrap()
                .is_some_and(|b| b.complete)
        );
        assert!(s.storage.blob_state(&junk).unwrap().is_none());
        assert!(s.storage.unfinished_blobs().unwrap().is_empty());
    }

    /// tablet-a's first entry: evidence of case-1 in the file `hash`, signed by the officer.
    fn naming_blob(w: &World, hash: [u8; 32]) -> SignedEntry {
        let e = Entry {
            device: "tablet-a".into(),
            seq: 1,
            prev: [0; 32],
            time: NOW,
            actors: vec![w.officer.1.id()],
            action: Action::EvidenceAwaitingSecond,
            case: "case-1".into(),
            heads: vec![],
            blobs: vec![hash],
            records: vec![],
        };
        SignedEntry::sign(&e, &w.device, &[&w.officer.0])
    }

    #[test]
    fn a_file_is_pending_until_it_arrives_and_a_case_whose_files_pass_the_limit_is_not_gathered_for_an_export()
     {
        use sha2::{Digest as _, Sha256};
        let w = world();
        let s = service(&w, SqliteStorage::temporary().unwrap());
        enrol(&w, &s);
        let photo: Vec<u8> = (0..70_000u32).map(|i| (i * 11 % 256) as u8).collect();
        let hash: [u8; 32] = Sha256::digest(&photo).into();
        let mut doc = case("一中队");
        s.sync(
            "tablet-a",
            &SyncRequest {
                push: PushEntries {
                    entries: vec![naming_blob(&w, hash)],
                    known_size: 0,
                },
                up: up(&mut doc, &[]),
                want: None,
                bureau: None,
            },
            NOW,
        )
        .unwrap();
        // The file the entry names is pending from its tablet until it arrives, for those who
        // see the case.
        let pending = s.pending_uploads().unwrap();
        assert_eq!(pending.len(), 1);
        let squad = |name: &str| s.pending_uploads_seen(&qc_domain::CaseView::squad(name));
        assert_eq!(squad("一中队").unwrap(), pending);
        assert!(squad("二中队").unwrap().is_empty(), "another squad's case");
        assert_eq!(
            (
                pending[0].hash,
                &*pending[0].case,
                &*pending[0].device,
                pending[0].since
            ),
            (hash, "case-1", "tablet-a", NOW)
        );
        let size = photo.len() as u64;
        s.put_blob_chunk("tablet-a", "case-1", &hash, (size, 0), Chunk::new(&photo))
            .unwrap();
        assert!(s.pending_uploads().unwrap().is_empty(), "received");
        assert!(
            s.storage.pending_blobs().unwrap().is_empty(),
            "and its row cleared"
        );
        let gathered =
            |max_bytes| s.held_case("case-1", NOW, super::super::check::Keep::All { max_bytes });
        match gathered(size - 1) {
            Err(ServiceError::ExportTooLarge { bytes, limit }) => {
                assert_eq!((bytes, limit), (size, size - 1));
            }
            Err(e) => panic!("{e}"),
            Ok(_) => panic!("a case over the limit was gathered"),
        }
        let held = gathered(size).unwrap().unwrap();
        assert_eq!(held.contents.blobs.get(&hash), Some(&photo), "kept whole");
        assert_eq!(
            ServiceError::ExportTooLarge { bytes: 2, limit: 1 }.status(),
            413
        );
    }

    #[test]
    fn blobs_go_up_in_chunks_resume_and_are_kept_only_whole_for_those_who_may_see_them() {
        use sha2::{Digest as _, Sha256};
        use std::io::Read as _;
        let w = world();
        let s = service(&w, SqliteStorage::temporary().unwrap());
        enrol(&w, &s);
        enrol_as(&s, "tablet-b", "一中队", 51);
        enrol_as(&s, "tablet-c", "二中队", 52);
        let photo: Vec<u8> = (0..100_000u32).map(|i| (i * 7 % 256) as u8).collect();
        let hash: [u8; 32] = Sha256::digest(&photo).into();
        let entries = vec![naming_blob(&w, hash)];
        let e = entries[0].entry().unwrap();
        let size = photo.len() as u64;
        // Before the entry naming it arrives, the station knows no such blob.
        let early = s.put_blob_chunk(
            "tablet-a",
            "case-1",
            &hash,
            (size, 0),
            Chunk::new(&photo[..10]),
        );
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
                bureau: None,
            },
            NOW,
        )
        .unwrap();

        let odd = s.put_blob_chunk(
            "tablet-a",
            "case-1",
            &hash,
            (size, 0),
            Chunk::new(&photo[..40_000]),
        );
        assert_eq!(
            odd.unwrap_err().status(),
            400,
            "chunks end on 64 KiB boundaries"
        );
        let st = s
            .put_blob_chunk(
                "tablet-a",
                "case-1",
                &hash,
                (size, 0),
                Chunk::new(&photo[..65_536]),
            )
            .unwrap();
        assert_eq!((st.received, st.complete), (65_536, false));
        // A chunk sent twice (its answer was lost) is out of step; the status says where to go on.
        let again = s.put_blob_chunk(
            "tablet-a",
            "case-1",
            &hash,
            (size, 0),
            Chunk::new(&photo[..65_536]),
        );
        assert_eq!(again.unwrap_err().status(), 409);
        // Another size than the upload began with, or an offset near 2^64: the device's
        // mistake (4xx), not a failure of the station.
        let resized = (2 * 65_536 + 10, 65_536);
        let resized = s.put_blob_chunk(
            "tablet-a",
            "case-1",
            &hash,
            resized,
            Chunk::new(&[0; 65_536]),
        );
        assert_eq!(resized.unwrap_err().status(), 409);
        let far = (size, u64::MAX - 65_535);
        let far = s.put_blob_chunk(
            "tablet-a",
            "case-1",
            &hash,
            far,
            Chunk::new(&photo[..65_536]),
        );
        assert_eq!(far.unwrap_err().status(), 400);
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
                Chunk::new(&photo[65_536..]),
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
            "tablet-a",
            &PushEntries {
                entries: vec![SignedEntry::sign(&e2, &w.device, &[&w.officer.0])],
                known_size: 0,
            },
            NOW,
        )
        .unwrap();
        let bad = s.put_blob_chunk("tablet-a", "case-1", &fake, (size, 0), Chunk::new(&junk));
        assert_eq!(bad.unwrap_err().status(), 422);
        let left = s.blob_status("tablet-a", "case-1", &fake).unwrap();
        assert_eq!((left.received, left.complete), (0, false), "nothing kept");

        // 二中队's tablet names the photo's hash (learnt somehow) on a case of its own: the
        // station serves it only once that tablet has sent the bytes themselves.
        let mut theirs = case_with_id("case-2", "二中队");
        let named = Entry {
            device: "tablet-c".into(),
            case: "case-2".into(),
            ..e.clone()
        };
        s.sync(
            "tablet-c",
            &SyncRequest {
                push: PushEntries {
                    entries: vec![SignedEntry::sign(
                        &named,
                        &SigningKey::from_bytes(&[52; 32]),
                        &[&w.officer.0],
                    )],
                    known_size: 0,
                },
                up: up(&mut theirs, &[]),
                want: None,
                bureau: None,
            },
            NOW,
        )
        .unwrap();
        let st = s.blob_status("tablet-c", "case-2", &hash).unwrap();
        assert_eq!((st.received, st.complete), (0, false));
        assert_eq!(
            s.open_blob("tablet-c", "case-2", &hash)
                .err()
                .unwrap()
                .status(),
            404
        );
        let wrong = s.put_blob_chunk("tablet-c", "case-2", &hash, (size, 0), Chunk::new(&junk));
        assert_eq!(wrong.unwrap_err().status(), 422);
        s.put_blob_chunk(
            "tablet-c",
            "case-2",
            &hash,
            (size, 0),
            Chunk::new(&photo[..65_536]),
        )
        .unwrap();
        let st = s
            .put_blob_chunk(
                "tablet-c",
                "case-2",
                &hash,
                (size, 65_536),
                Chunk::new(&photo[65_536..]),
            )
            .unwrap();
        assert!(st.complete);
        assert!(s.open_blob("tablet-c", "case-2", &hash).is_ok());
        assert_eq!(
            s.blob_status("tablet-a", "case-1", &fake).unwrap().received,
            0
        );
    }

    #[test]
    fn an_officer_key_made_on_a_device_is_certified_with_a_code_for_that_person_only() {
        let w = world();
        let s = service(&w, SqliteStorage::temporary().unwrap());
        enrol(&w, &s);
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
            s.enrol_officer("tablet-a", &req(&device_code, "li.ming"), FROM, NOW)
                .unwrap_err()
                .status(),
            403,
            "a device's code does not certify a person"
        );
        let cert = s
            .enrol_officer("tablet-a", &req(&code, "li.ming"), FROM, NOW)
            .unwrap()
            .certificate;
        let c = cert.decode_unverified().unwrap();
        assert_eq!(c.public_key, key.verifying_key().to_bytes());
        assert_eq!(c.person().unwrap().id.0, "li.ming");
        assert_eq!(
            s.enrol_officer("tablet-a", &req(&code, "li.ming"), FROM, NOW)
                .unwrap_err()
                .status(),
            403,
            "once"
        );
        // Acts signed with the new key verify at the station.
        assert!(
            s.certificates_for(&BTreeSet::from(["tablet-a".to_owned()]))
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
        let legal = Scope(
            CaseView::of_device("法制科", &[person(Role::LegalReviewer)]),
            Vec::new(),
        );
        assert!(legal.sees(&meta(
            "二中队",
            qc_domain::CaseStatus::InvestigationConcluded
        )));
        assert!(!legal.sees(&meta("二中队", qc_domain::CaseStatus::Investigating)));
        let plain = Scope(CaseView::of_device("一中队", []), Vec::new());
        assert!(plain.sees(&meta("一中队", qc_domain::CaseStatus::Registered)));
        assert!(!plain.sees(&meta("二中队", qc_domain::CaseStatus::Decided)));
    }
}

#[test]
fn anyone_learns_what_is_logged_about_a_case_proven_under_the_current_checkpoint() {
    let w = world();
    let s = station_with_feed(&w, SqliteStorage::temporary().unwrap(), 3);
    let f = feed(&w, 3);
    let answer = s.case_log("case-1", NOW).unwrap();
    let key = ed25519_dalek::VerifyingKey::from_bytes(&s.log_key()).unwrap();
    let logged: Vec<_> = answer.entries.iter().map(|r| r.entry).collect();
    assert_eq!(logged, f.iter().map(SignedEntry::hash).collect::<Vec<_>>());
    for r in &answer.entries {
        assert_eq!(r.receipt.checkpoint, answer.checkpoint);
        r.receipt.verify(&key, &r.entry).unwrap();
    }
    assert!(s.case_log("case-9", NOW).unwrap().entries.is_empty());
    assert_eq!(s.case_log(&"x".repeat(129), NOW).unwrap_err().status(), 400);
}

#[test]
fn a_case_checked_where_it_is_kept_shows_an_entry_changed_behind_the_station_s_back() {
    let w = world();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("server.db");
    let s = station_with_feed(&w, SqliteStorage::open(&path, &[2; 32]).unwrap(), 3);
    assert!(s.check_case("case-9", NOW).unwrap().is_none());
    let before = s.check_case("case-1", NOW).unwrap().unwrap();
    assert_eq!(before.meta.squad, "一中队");
    assert_eq!(before.report.entries_verified, 3);
    assert_eq!(
        (
            before.report.receipts.verified,
            before.report.receipts.entries
        ),
        (3, 3),
        "every entry proven in the station's own log"
    );

    // Someone changes the last byte of the second entry in the database.
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(&format!("PRAGMA key = \"x'{}'\";", hex::encode([2u8; 32])))
        .unwrap();
    conn.execute_batch(
        "UPDATE log SET entry = CAST(substr(entry, 1, length(entry) - 1)
             || CASE WHEN substr(entry, -1) = X'00' THEN X'01' ELSE X'00' END AS BLOB)
         WHERE device = 'tablet-a' AND seq = 2",
    )
    .unwrap();

    let after = s.check_case("case-1", NOW).unwrap().unwrap();
    let new: Vec<&qc_bundle::BundleProblem> = after
        .report
        .problems
        .iter()
        .filter(|p| !before.report.problems.contains(p))
        .collect();
    assert!(
        new.iter()
            .any(|p| matches!(p, qc_bundle::BundleProblem::Feed(_))),
        "the altered entry's signature no longer holds: {new:?}"
    );
    assert!(
        new.iter().any(|p| matches!(
            p,
            qc_bundle::BundleProblem::BadReceipt { reason, .. } if reason.contains("not in this station's log")
        )),
        "the altered entry is not the one logged: {new:?}"
    );
    assert_eq!(after.report.receipts.verified, 2);

    // Nor is it sent to a tablet with a receipt at the place it was logged.
    let want = SyncRequest {
        want: Some(DocsWant {
            have: Vec::new(),
            desk_acts: Default::default(),
            feeds: None,
        }),
        ..idle_sync()
    };
    let refused = s.sync("tablet-a", &want, NOW);
    assert!(
        matches!(&refused, Err(ServiceError::Storage(StorageError::Damaged(why))) if why.contains("changed since")),
        "{refused:?}"
    );
}

/// A sync that sends nothing and asks for nothing.
fn idle_sync() -> SyncRequest {
    SyncRequest {
        push: PushEntries {
            entries: Vec::new(),
            known_size: 0,
        },
        up: qc_sync::wire::DocsUp { docs: Vec::new() },
        want: None,
        bureau: None,
    }
}

/// Syncs answered over the same tree share the checkpoint this process signed for it while it
/// is fresh (its time says when it was signed); a newer tree, or time gone on, gets its own.
#[test]
fn answers_over_one_tree_share_a_fresh_checkpoint() {
    let w = world();
    let s = station_with_feed(&w, SqliteStorage::temporary().unwrap(), 1);
    let at = |ms: i64| {
        let cp = s
            .sync("tablet-a", &idle_sync(), Timestamp(NOW.0 + ms))
            .unwrap()
            .push
            .checkpoint;
        (cp.decode_unverified().unwrap(), cp)
    };
    let (first, signed) = at(0);
    assert_eq!(first.time, NOW);
    let (again, signed_again) = at(log::CHECKPOINT_REUSE_MS - 1);
    assert_eq!(
        (again.time, &signed_again),
        (NOW, &signed),
        "the same checkpoint"
    );
    let later = Timestamp(NOW.0 + log::CHECKPOINT_REUSE_MS);
    assert_eq!(
        at(log::CHECKPOINT_REUSE_MS).0.time,
        later,
        "signed anew once stale"
    );
    let more = PushEntries {
        entries: feed(&w, 2),
        known_size: 0,
    };
    s.push("tablet-a", &more, later).unwrap();
    let grown = at(log::CHECKPOINT_REUSE_MS).0;
    assert!(grown.size > first.size, "a newer tree");
    assert_eq!(grown.time, later);
    assert_eq!(
        at(-1).0.time,
        Timestamp(NOW.0 - 1),
        "a clock set back signs anew"
    );
}

/// A verified sync's nonce is taken with its first read: the upload's, what goes down, or on
/// its own when it reads neither. Each replay is refused and changes nothing.
#[test]
fn a_sync_takes_its_nonce_with_its_first_read_and_a_replay_changes_nothing() {
    let w = world();
    let s = service(&w, SqliteStorage::temporary().unwrap());
    enrol(&w, &s);
    hold_case(&s, "tablet-a");
    let verified = |nonce: u8| {
        verified_request(
            &s,
            (&w.device, "tablet-a"),
            ("/v1/sync", nonce),
            (NOW, NOW),
            || {},
        )
        .unwrap()
    };
    let uploading = |n| SyncRequest {
        push: PushEntries {
            entries: feed(&w, n),
            known_size: 0,
        },
        ..idle_sync()
    };
    let pulling = SyncRequest {
        want: Some(DocsWant {
            have: Vec::new(),
            desk_acts: Some(Default::default()),
            feeds: None,
        }),
        ..idle_sync()
    };
    let replay = |r: Result<SyncResponse, ServiceError>| {
        matches!(r, Err(ServiceError::Auth(AuthError::Replay)))
    };
    for (nonce, req) in [(1, &uploading(2)), (2, &pulling), (3, &idle_sync())] {
        s.sync_verified(&verified(nonce), req).unwrap();
        assert!(
            replay(s.sync_verified(&verified(nonce), req)),
            "sync {nonce} again"
        );
        assert!(matches!(
            s.take_nonce(&verified(nonce)),
            Err(ServiceError::Auth(AuthError::Replay))
        ));
    }
    assert_eq!(s.log_size().unwrap(), 2);
    assert_eq!(
        s.storage().devices_seen().unwrap(),
        [("tablet-a".to_owned(), NOW)]
    );
    // Its nonce taken, a request with more entries appends none of them.
    assert!(replay(s.sync_verified(&verified(1), &uploading(3))));
    assert_eq!(s.log_size().unwrap(), 2);
    s.sync_verified(&verified(4), &uploading(3)).unwrap();
    assert_eq!(s.log_size().unwrap(), 3);
}

#[test]
fn a_request_notes_when_the_device_was_last_seen_writing_at_most_every_ten_minutes() {
    let w = world();
    let s = service(&w, SqliteStorage::temporary().unwrap());
    enrol(&w, &s);
    let seen = || s.storage().devices_seen().unwrap();
    let request = |at: Timestamp, nonce: u8| {
        call_prechecked(&s, (&w.device, "tablet-a"), nonce, (at, at), || {})
    };
    assert!(seen().is_empty(), "never seen");
    // The service's sync alone is no request.
    s.sync("tablet-a", &idle_sync(), NOW).unwrap();
    assert!(seen().is_empty());
    request(NOW, 1).unwrap();
    assert_eq!(seen(), [("tablet-a".to_owned(), NOW)]);
    // A request soon after writes nothing: what is kept stays.
    let soon = Timestamp(NOW.0 + SEEN_EVERY_MS - 1);
    request(soon, 2).unwrap();
    assert_eq!(seen(), [("tablet-a".to_owned(), NOW)]);
    let later = Timestamp(NOW.0 + SEEN_EVERY_MS);
    // A replay is refused and not seen.
    assert!(matches!(
        request(later, 2),
        Err(ServiceError::Auth(AuthError::Replay))
    ));
    assert_eq!(seen(), [("tablet-a".to_owned(), NOW)]);
    request(later, 3).unwrap();
    assert_eq!(seen(), [("tablet-a".to_owned(), later)]);
}

mod draws {
    use qc_domain::draw::{DrawPlan, Inspector, Target, seed_size};
    use qc_domain::{CaseView, CertNo, Person, PersonId};

    use super::*;

    fn plan(id: &str) -> DrawPlan {
        DrawPlan::new(
            id,
            "沿街商户市容秩序抽查",
            3,
            (0..12)
                .map(|i| Target {
                    id: format!("9165{i:04}"),
                    name: format!("商户{i}"),
                    address: String::new(),
                    category: String::new(),
                })
                .collect(),
            // 李明 (the test officer) and four others.
            (0..5)
                .map(|i| Inspector {
                    id: if i == 0 {
                        "li.ming".into()
                    } else {
                        format!("officer-{i}")
                    },
                    name: format!("队员{i}"),
                    squad: "一中队".into(),
                })
                .collect(),
            NOW,
        )
        .unwrap()
    }

    /// The head of unit at a desk: the person, what they see, the key they sign with.
    pub(super) struct HeadOfUnit {
        head: Person,
        view: CaseView,
        key: SigningKey,
    }

    impl HeadOfUnit {
        pub(super) fn new() -> HeadOfUnit {
            let head = Person {
                id: PersonId("head-1".into()),
                name: "赵局长".into(),
                role: Role::Head,
                cert_no: Some(CertNo("65010000001".into())),
                squad: "局机关".into(),
            };
            HeadOfUnit {
                view: CaseView::of(&head),
                head,
                key: SigningKey::from_bytes(&[60; 32]),
            }
        }

        /// Who signs, at the desk of `zhao`.
        pub(super) fn signer(&self) -> DeskSigner<'_> {
            DeskSigner {
                login: "zhao",
                person: &self.head,
                view: &self.view,
                key: &self.key,
            }
        }
    }

    /// A result recorded on a tablet by the two officers drawn together for a target counts
    /// once its file is in, and only for a target those two were drawn for; one signed by a
    /// pair not drawn together is refused, and only that tablet sends its file.
    #[test]
    fn a_result_signed_on_site_by_the_two_drawn_counts_once_its_file_is_in() {
        use qc_domain::draw::{InspectionReport, Outcome};
        use std::collections::BTreeSet;
        let w = world();
        let s = service(&w, SqliteStorage::temporary().unwrap());
        let head = HeadOfUnit::new();
        let signer = head.signer();
        let drawn_plan = plan("draw-a");
        s.plan_inspection(&drawn_plan, &signer, NOW).unwrap();
        s.plan_inspection(&plan("draw-b"), &signer, NOW).unwrap();
        let result = s
            .draw_inspection("draw-a", &signer, NOW)
            .unwrap()
            .unwrap()
            .result
            .unwrap();
        // Every inspector's key is on tablet-b.
        docs::enrol_as(&s, "tablet-b", "一中队", 51);
        let bureau = BureauKey::from_seed(&w.bureau_seed);
        let mut keys = std::collections::BTreeMap::new();
        for (i, inspector) in drawn_plan.inspectors.iter().enumerate() {
            let key = SigningKey::from_bytes(&[70 + i as u8; 32]);
            let cert = bureau
                .issue(
                    70 + i as u64,
                    qc_identity::Subject::Officer {
                        person_id: inspector.id.clone(),
                        name: inspector.name.clone(),
                        cert_no: Some(format!("4103002{i:04}")),
                        role: Role::EnforcementOfficer,
                        squad: "一中队".into(),
                    },
                    key.verifying_key().to_bytes(),
                    Timestamp(NOW.0 - DAY),
                    Timestamp(NOW.0 + DAY),
                )
                .unwrap();
            s.storage.add_officer_cert("tablet-b", &cert).unwrap();
            keys.insert(inspector.id.clone(), (key, cert));
        }
        let pair = |t: &qc_domain::draw::Task| -> BTreeSet<String> {
            t.inspectors.iter().cloned().collect()
        };
        let task = &result.tasks[0];
        let other = result
            .tasks
            .iter()
            .find(|t| pair(t) != pair(task))
            .expect("three targets, not all for one pair");
        // One of the pair with an officer never drawn together with them.
        let stranger = drawn_plan
            .inspectors
            .iter()
            .map(|i| i.id.clone())
            .find(|id| {
                let mixed: BTreeSet<String> = [task.inspectors[0].clone(), id.clone()].into();
                mixed.len() == 2 && result.tasks.iter().all(|t| pair(t) != mixed)
            })
            .unwrap();
        let report = |target: &str| {
            InspectionReport::of_task(
                "draw-a",
                (target, Outcome::Corrected, ""),
                "已责令改正",
                NOW,
            )
            .unwrap()
            .to_json()
        };
        let on_site = |seq: u64, prev: Digest, json: &[u8], by: &[&String]| {
            let digest: Digest = Sha256::digest(json).into();
            let e = Entry {
                device: "tablet-b".into(),
                seq,
                prev,
                time: NOW,
                actors: by.iter().map(|p| keys[*p].1.id()).collect(),
                action: Action::InspectionReportedOnSite,
                case: "draw-a".into(),
                heads: vec![],
                blobs: vec![digest],
                records: vec![digest],
            };
            let signers: Vec<&SigningKey> = by.iter().map(|p| &keys[*p].0).collect();
            SignedEntry::sign(&e, &SigningKey::from_bytes(&[51; 32]), &signers)
        };
        let push = |entries: Vec<SignedEntry>| {
            s.push(
                "tablet-b",
                &PushEntries {
                    entries,
                    known_size: 0,
                },
                NOW,
            )
        };
        let (a, b) = (&task.inspectors[0], &task.inspectors[1]);
        let mine = report(&task.target);
        for by in [vec![a, &stranger], vec![a, b, &stranger]] {
            let refused = push(vec![on_site(1, [0; 32], &mine, &by)]);
            assert_eq!(
                refused.unwrap_err().status(),
                422,
                "{by:?}: not the pair drawn, named so the tablet may set it aside"
            );
        }
        // The pair's report of their target; of a target drawn for others; a file that is no
        // report; one too large to be one: all logged, only the first ever counts.
        let theirs = report(&other.target);
        let junk = b"not a report".to_vec();
        let large = vec![b' '; qc_domain::draw::REPORT_MAX_BYTES as usize + 1];
        let mut entries: Vec<SignedEntry> = Vec::new();
        for json in [&mine, &theirs, &junk, &large] {
            let prev = entries.last().map_or([0; 32], SignedEntry::hash);
            entries.push(on_site(entries.len() as u64 + 1, prev, json, &[a, b]));
        }
        push(entries).unwrap();
        let before = s.draw("draw-a").unwrap().unwrap();
        assert_eq!(
            (before.reports.len(), before.pending),
            (0, 4),
            "no file in yet"
        );
        // Only the tablet whose entry names a file sends it, and a draw's file is small.
        let digest: Digest = Sha256::digest(&mine).into();
        let size = mine.len() as u64;
        docs::enrol_as(&s, "tablet-c", "一中队", 52);
        let elsewhere =
            s.put_blob_chunk("tablet-c", "draw-a", &digest, (size, 0), Chunk::new(&mine));
        assert_eq!(elsewhere.unwrap_err().status(), 404);
        for json in [&mine, &theirs, &junk] {
            let digest: Digest = Sha256::digest(json).into();
            let size = json.len() as u64;
            s.put_blob_chunk("tablet-b", "draw-a", &digest, (size, 0), Chunk::new(json))
                .unwrap();
        }
        let digest: Digest = Sha256::digest(&large).into();
        let size = large.len() as u64;
        let too_large =
            s.put_blob_chunk("tablet-b", "draw-a", &digest, (size, 0), Chunk::new(&large));
        assert_eq!(too_large.unwrap_err().status(), 400);
        let after = s.draw("draw-a").unwrap().unwrap();
        assert_eq!(after.reports.len(), 1);
        assert_eq!((after.pending, after.refused), (1, 2));
        assert_eq!(
            after.report(&task.target).unwrap().outcome,
            Outcome::Corrected
        );
        assert!(after.report(&other.target).is_none());
        // A desk's later report stands over the tablet's signed before it.
        let later = InspectionReport::new(
            &result,
            (&task.target, Outcome::Compliant, ""),
            "复查",
            Timestamp(NOW.0 + 1),
        )
        .unwrap();
        s.report_inspection(&later, &signer, NOW).unwrap();
        let after = s.draw("draw-a").unwrap().unwrap();
        assert_eq!(
            after.report(&task.target).unwrap().outcome,
            Outcome::Compliant
        );
    }

    /// An administrator's act is signed onto the log under its day's id and reads back; only
    /// an administrator signs one, and nothing else may name such an id.
    #[test]
    fn administration_acts_are_signed_by_the_administrator_and_read_back() {
        use qc_domain::admin::{AdminAct, AdminKind};
        let w = world();
        let s = service(&w, SqliteStorage::temporary().unwrap());
        let admin = Person {
            id: PersonId("desk.wu".into()),
            name: "吴敏".into(),
            role: Role::Administrator,
            cert_no: None,
            squad: "局机关".into(),
        };
        let view = CaseView::of(&admin);
        let key = SigningKey::from_bytes(&[62; 32]);
        let signer = DeskSigner {
            login: "wu",
            person: &admin,
            view: &view,
            key: &key,
        };
        let act = AdminAct {
            kind: AdminKind::DeviceRevoked,
            subject: "tab-9".into(),
            detail: "平板丢失".into(),
            by: "wu".into(),
            at: NOW,
        };
        let hash = s.record_admin_act(&act, &signer, NOW).unwrap();
        let read = s.admin_acts(&act.log_id()).unwrap();
        assert_eq!(read.len(), 1);
        assert_eq!(read[0].0.hash(), hash);
        assert_eq!(read[0].1, act);
        assert_eq!(read[0].0.entry().unwrap().action, Action::Administered);
        // The head is no administrator.
        let head = HeadOfUnit::new();
        let e = s.record_admin_act(&act, &head.signer(), NOW).unwrap_err();
        assert_eq!(e.status(), 403, "{e}");
        // The rule, one part broken at a time: the act off a desk, with two sheets, naming a
        // case; another act naming the day's id.
        let logged = read[0].0.entry().unwrap();
        super::super::check_admin_acts(std::slice::from_ref(&logged)).unwrap();
        let broken = [
            qc_chain::Entry {
                device: "tablet-a".into(),
                ..logged.clone()
            },
            qc_chain::Entry {
                blobs: vec![[1; 32], [2; 32]],
                records: vec![[1; 32], [2; 32]],
                ..logged.clone()
            },
            qc_chain::Entry {
                case: "C-1".into(),
                ..logged.clone()
            },
            qc_chain::Entry {
                action: Action::RecordCreated,
                ..logged.clone()
            },
        ];
        for entry in broken {
            let e = super::super::check_admin_acts(std::slice::from_ref(&entry)).unwrap_err();
            assert_eq!(e.status(), 403, "{entry:?}: {e}");
        }
        // A tablet's upload naming the day's id is refused whole.
        enrol(&w, &s);
        let mut entry = feed(&w, 1)[0].entry().unwrap();
        entry.case = act.log_id();
        let signed = SignedEntry::sign(&entry, &w.device, &[&w.officer.0]);
        let upload = PushEntries {
            entries: vec![signed],
            known_size: 0,
        };
        let e = s.push("tablet-a", &upload, NOW).unwrap_err();
        assert_eq!(e.status(), 403, "{e}");
        assert_eq!(s.log_size().unwrap(), 1);
    }

    /// An account made before its own key salt (none kept) signs with the key it always had.
    #[test]
    fn an_account_without_its_own_key_salt_keeps_the_salt_it_had() {
        let w = world();
        let s = service(&w, SqliteStorage::temporary().unwrap());
        let mut before = Sha256::new();
        before.update(b"quancheng desk signing key salt\0");
        before.update(s.identity.desk_seed);
        before.update(b"wu");
        let before: [u8; 32] = before.finalize().into();
        assert_eq!(s.desk_key_salt("wu", &[]), before[..16]);
        assert_ne!(s.desk_key_salt("wu", &[1; 16]), before[..16]);
    }

    /// A changed password or a reset account revokes the desk keys the old password derived:
    /// they sign nothing more, and the key of the new password is certified when it signs.
    #[test]
    fn a_desk_s_revoked_keys_sign_nothing_more_and_a_new_password_s_key_signs() {
        let w = world();
        let s = service(&w, SqliteStorage::temporary().unwrap());
        let head = HeadOfUnit::new();
        s.plan_inspection(&plan("draw-a"), &head.signer(), NOW)
            .unwrap();
        let changed = Timestamp(NOW.0 + 1_000);
        assert_eq!(
            s.revoke_desk_keys("zhao", "控制台密码已更改", changed)
                .unwrap(),
            1
        );
        assert_eq!(
            s.revoke_desk_keys("zhao", "控制台密码已更改", changed)
                .unwrap(),
            0,
            "revoked once"
        );
        let later = Timestamp(NOW.0 + 2_000);
        let e = s
            .plan_inspection(&plan("draw-b"), &head.signer(), later)
            .unwrap_err();
        assert_eq!(e.status(), 403, "the old password's key signed: {e}");
        let new_key = SigningKey::from_bytes(&[61; 32]);
        let signer = DeskSigner {
            key: &new_key,
            ..head.signer()
        };
        s.plan_inspection(&plan("draw-b"), &signer, later).unwrap();
        assert_eq!(s.log_size().unwrap(), 2, "the earlier act stays on the log");
        assert_eq!(s.revoke_desk_keys("nobody", "x", later).unwrap(), 0);
    }

    #[test]
    fn a_draw_waits_for_an_entry_after_its_plan_and_is_the_plan_drawn_under_that_tree() {
        let w = world();
        let s = service(&w, SqliteStorage::temporary().unwrap());
        let head = HeadOfUnit::new();
        let signer = head.signer();
        let planned = s.plan_inspection(&plan("draw-a"), &signer, NOW).unwrap();
        assert_eq!(planned.plan_index, 0);
        assert!(!planned.seedable && planned.result.is_none());
        let early = s.draw_inspection("draw-a", &signer, NOW).unwrap_err();
        assert_eq!(
            early.status(),
            409,
            "the seed is not on the log yet: {early}"
        );
        let again = s
            .plan_inspection(&plan("draw-a"), &signer, NOW)
            .unwrap_err();
        assert_eq!(again.status(), 400, "one plan per draw");

        // Another plan is the entry after the first one: its tree of two seeds the draw.
        s.plan_inspection(&plan("draw-b"), &signer, NOW).unwrap();
        let root = qc_tlog::root(2, &super::super::log::Tiles::new(&s.storage)).unwrap();
        let made = s.draw_inspection("draw-a", &signer, NOW).unwrap().unwrap();
        let result = made.result.clone().unwrap();
        assert_eq!(result.seed_size, seed_size(0));
        assert_eq!(result.root, hex::encode(root));
        let seed = qc_domain::draw::seed(&made.plan_digest, &root);
        assert_eq!(result.tasks, qc_domain::draw::draw(&made.plan, &seed));
        // Drawn once: asking again gives the same draw, and the list shows both plans.
        let twice = s.draw_inspection("draw-a", &signer, NOW).unwrap().unwrap();
        assert_eq!(twice.result, Some(result));
        assert_eq!(s.log_size().unwrap(), 3);
        let ids: Vec<String> = s
            .draws_page(0, 10)
            .unwrap()
            .0
            .into_iter()
            .map(|d| d.plan.id)
            .collect();
        assert_eq!(ids, ["draw-b", "draw-a"]);
        assert!(
            s.storage.pending_blobs().unwrap().is_empty(),
            "a desk's sheets are never files it has yet to send"
        );

        // What an inspection found is reported on a drawn target only; the latest counts.
        use qc_domain::draw::{InspectionReport, Outcome};
        let result = made.result.clone().unwrap();
        let drawn = result.tasks[0].target.clone();
        let report = |outcome, note: &str| {
            InspectionReport::new(&result, (&drawn, outcome, ""), note, NOW).unwrap()
        };
        s.report_inspection(&report(Outcome::NotFound, "大门紧闭"), &signer, NOW)
            .unwrap();
        let after = s
            .report_inspection(&report(Outcome::Compliant, "复查正常营业"), &signer, NOW)
            .unwrap()
            .unwrap();
        assert_eq!(after.reports.len(), 2);
        assert_eq!(after.report(&drawn).unwrap().outcome, Outcome::Compliant);
        let mut stray = report(Outcome::Compliant, "");
        stray.target = made
            .plan
            .targets
            .iter()
            .find(|t| result.tasks.iter().all(|x| x.target != t.id))
            .unwrap()
            .id
            .clone();
        let e = s.report_inspection(&stray, &signer, NOW).unwrap_err();
        assert_eq!(e.status(), 400, "a target not drawn");
        let mut early = report(Outcome::Compliant, "");
        early.draw = "draw-b".into();
        let e = s.report_inspection(&early, &signer, NOW).unwrap_err();
        assert_eq!(e.status(), 400, "a draw not made yet");

        // Only the head plans a draw.
        let officer = Person {
            role: Role::EnforcementOfficer,
            ..head.head.clone()
        };
        let theirs = DeskSigner {
            person: &officer,
            ..signer
        };
        let e = s
            .plan_inspection(&plan("draw-c"), &theirs, NOW)
            .unwrap_err();
        assert_eq!(e.status(), 403);

        // The tablet holding 李明's key receives his tasks at its next sync (six places over
        // five inspectors: one at least); a tablet of nobody drawn, none.
        enrol(&w, &s);
        s.storage
            .add_officer_cert("tablet-a", &w.officer.1)
            .unwrap();
        docs::enrol_as(&s, "tablet-b", "一中队", 51);
        let idle = idle_sync();
        let tasks = s.sync("tablet-a", &idle, NOW).unwrap().tasks.unwrap();
        assert!(!tasks.is_empty());
        for t in &tasks {
            assert_eq!(t.draw, "draw-a");
            assert!(t.inspectors.iter().any(|i| i.id == "li.ming"), "{t:?}");
            assert!(made.plan.target(&t.target.id).is_some());
        }
        let theirs = s.sync("tablet-b", &idle, NOW).unwrap().tasks;
        assert_eq!(theirs, Some(Vec::new()));
        // The same again while the log stands still; a draw made since (the log grew) comes
        // at the next sync.
        assert_eq!(
            s.sync("tablet-a", &idle, NOW).unwrap().tasks.unwrap(),
            tasks
        );
        s.draw_inspection("draw-b", &signer, NOW).unwrap().unwrap();
        let both = s.sync("tablet-a", &idle, NOW).unwrap().tasks.unwrap();
        assert!(both.iter().any(|t| t.draw == "draw-b"), "{both:?}");
        assert!(tasks.iter().all(|t| both.contains(t)));
        // Half a year after the draw, its tasks are no longer sent.
        let later = Timestamp(NOW.0 + super::super::draw::TASKS_FOR_MS + 1);
        assert_eq!(
            s.sync("tablet-a", &idle, later).unwrap().tasks,
            Some(Vec::new())
        );
    }

    #[test]
    fn an_instance_keeps_a_bounded_number_of_draws_read() {
        let w = world();
        let s = service(&w, SqliteStorage::temporary().unwrap());
        let head = HeadOfUnit::new();
        let signer = head.signer();
        let n = super::super::draw::DRAWS_KEPT + 3;
        for i in 0..n {
            s.plan_inspection(&plan(&format!("draw-{i}")), &signer, NOW)
                .unwrap();
        }
        assert_eq!(s.draws_page(0, n).unwrap().0.len(), n, "every draw listed");
        let kept = super::super::locked(&s.draws);
        assert_eq!(kept.len(), super::super::draw::DRAWS_KEPT);
        assert!(!kept.contains_key("draw-0"), "the oldest left out");
    }

    #[test]
    fn draws_are_listed_a_page_at_a_time_newest_first_reading_only_the_page() {
        let w = world();
        let s = service(&w, SqliteStorage::temporary().unwrap());
        let head = HeadOfUnit::new();
        let signer = head.signer();
        for day in ["20261201", "20261203", "20261202"] {
            s.plan_inspection(&plan(&format!("draw-{day}-aaaaaa")), &signer, NOW)
                .unwrap();
        }
        super::super::locked(&s.draws).clear();
        let ids = |(draws, total): (Vec<Draw>, usize)| {
            (
                draws.into_iter().map(|d| d.plan.id).collect::<Vec<_>>(),
                total,
            )
        };
        assert_eq!(
            ids(s.draws_page(0, 2).unwrap()),
            (
                vec![
                    "draw-20261203-aaaaaa".to_owned(),
                    "draw-20261202-aaaaaa".to_owned()
                ],
                3
            )
        );
        // Only the page was read.
        assert_eq!(super::super::locked(&s.draws).len(), 2);
        assert_eq!(
            ids(s.draws_page(2, 2).unwrap()),
            (vec!["draw-20261201-aaaaaa".to_owned()], 3)
        );
        assert_eq!(ids(s.draws_page(3, 2).unwrap()), (vec![], 3));
    }

    #[test]
    fn a_draws_act_made_on_a_tablet_is_refused_by_the_log() {
        let w = world();
        let s = service(&w, SqliteStorage::temporary().unwrap());
        docs::enrol_as(&s, "tablet-b", "一中队", 51);
        let e = Entry {
            device: "tablet-b".into(),
            seq: 1,
            prev: [0; 32],
            time: NOW,
            actors: vec![w.officer.1.id()],
            action: Action::InspectionPlanned,
            case: "draw-x".into(),
            heads: vec![],
            blobs: vec![[3; 32]],
            records: vec![[3; 32]],
        };
        let signed = SignedEntry::sign(&e, &SigningKey::from_bytes(&[51; 32]), &[&w.officer.0]);
        let pushed = s.push(
            "tablet-b",
            &PushEntries {
                entries: vec![signed],
                known_size: 0,
            },
            NOW,
        );
        assert_eq!(pushed.unwrap_err().status(), 403);
        assert_eq!(s.log_size().unwrap(), 0);
    }
}

/// The bureau's files an administrator imported go down to each tablet that asks and has not
/// seen them, each released under the bureau's key naming its act; one imported over another
/// changed meanwhile is refused; a kept file that does not match its digest is set aside.
#[test]
fn the_bureau_s_files_go_down_until_the_tablet_has_seen_them() {
    use super::bureau::BureauKind;
    let w = world();
    let s = service(&w, SqliteStorage::temporary().unwrap());
    enrol(&w, &s);
    let asking = SyncRequest {
        bureau: Some(qc_sync::wire::BureauSeen::default()),
        ..idle_sync()
    };
    // Nothing imported: the built-in files stand, nothing is sent.
    assert_eq!(s.sync("tablet-a", &asking, NOW).unwrap().bureau, None);
    let mut edited = qc_domain::Catalogue::default_zh();
    assert_eq!(s.bureau().unwrap().catalogue.as_ref(), &edited);
    edited.version += 1;
    edited.domains[0].violations[0].name = "改过名的违法行为".into();
    let json = serde_json::to_string(&edited).unwrap();
    let by = ("wu", NOW);
    let catalogue = (BureauKind::Catalogue, json.as_str());
    assert!(s.replace_bureau_file(catalogue, None, by, [4; 32]).unwrap());
    // A second import made against the built-in file (none imported) is refused now.
    assert!(!s.replace_bureau_file(catalogue, None, by, [5; 32]).unwrap());
    let e = s
        .replace_bureau_file((BureauKind::Catalogue, "{}"), None, by, [6; 32])
        .unwrap_err();
    assert_eq!(e.status(), 400);
    assert_eq!(s.bureau().unwrap().catalogue.as_ref(), &edited);
    assert_eq!(s.case_catalogue().unwrap().as_ref(), &edited);

    // A sync that does not ask (a request before a sync's last) gets none.
    assert_eq!(s.sync("tablet-a", &idle_sync(), NOW).unwrap().bureau, None);
    let sent = s.sync("tablet-a", &asking, NOW).unwrap().bureau.unwrap();
    let file = sent.catalogue.unwrap();
    assert_eq!(file.text, json);
    assert_eq!(sent.wording, None);
    let anchor =
        qc_identity::TrustAnchor::new(BureauKey::from_seed(&w.bureau_seed).public(), None).unwrap();
    let release = anchor
        .verify_release(&file.release, ("catalogue", json.as_bytes()))
        .unwrap();
    assert_eq!(release.act, [4; 32], "the release names the act");
    let told = qc_sync::wire::BureauSeen {
        catalogue: Some(file.digest()),
        ..Default::default()
    };
    let seen = SyncRequest {
        bureau: Some(told.clone()),
        ..idle_sync()
    };
    assert_eq!(s.sync("tablet-a", &seen, NOW).unwrap().bureau, None);
    // What the tablet said it took is kept for the console.
    let kept = s.storage.devices_bureau().unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!(
        (kept[0].0.as_str(), &kept[0].1.taken),
        ("tablet-a", &vec![file.digest()])
    );
    // A release the tablet refused is not sent again; one it does not hold is (a file put
    // back in force after another is sent again to a tablet that holds the other).
    let refusing = SyncRequest {
        bureau: Some(qc_sync::wire::BureauSeen {
            refused: vec![file.release.digest()],
            ..Default::default()
        }),
        ..idle_sync()
    };
    assert_eq!(s.sync("tablet-a", &refusing, NOW).unwrap().bureau, None);
    let holding_another = SyncRequest {
        bureau: Some(qc_sync::wire::BureauSeen {
            catalogue: Some([9; 32]),
            ..Default::default()
        }),
        ..idle_sync()
    };
    assert!(
        s.sync("tablet-a", &holding_another, NOW)
            .unwrap()
            .bureau
            .is_some()
    );

    // The wording imported after: only it goes down to a tablet that saw the catalogue.
    let wording = include_str!("../../../qc-document/wording.toml");
    assert!(
        s.replace_bureau_file((BureauKind::Wording, wording), None, by, [7; 32])
            .unwrap()
    );
    let again = s.sync("tablet-a", &seen, NOW).unwrap().bureau.unwrap();
    assert_eq!(again.catalogue, None);
    assert_eq!(again.wording.unwrap().text, wording);

    // Another instance on the same store starts with the imported catalogue; a kept file
    // changed behind the station's back is set aside, its kind back to the built-in file.
    let other = Service::new(s.storage, identity(&w, None)).unwrap();
    assert_eq!(other.case_catalogue().unwrap().as_ref(), &edited);
    let storage = other.storage;
    let mut rows = storage.bureau_files().unwrap();
    let kept = rows.iter().find(|r| r.kind == "catalogue").unwrap().digest;
    rows[0].text = rows[0].text.replace("改过名的违法行为", "偷改的违法行为");
    assert!(storage.put_bureau_file(&rows[0], Some(&kept)).unwrap());
    let third = Service::new(storage, identity(&w, None)).unwrap();
    let b = third.bureau().unwrap();
    assert_eq!(b.catalogue.as_ref(), &qc_domain::Catalogue::default_zh());
    assert!(b.damage(BureauKind::Catalogue).is_some());
    let sent = third
        .sync("tablet-a", &asking, NOW)
        .unwrap()
        .bureau
        .unwrap();
    assert_eq!(sent.catalogue, None, "a damaged file goes to no tablet");
}
