use std::path::Path;

use qc_casedoc::CaseDoc;
use qc_domain::*;
use sha2::{Digest, Sha256};

use qc_chain::{Action, Entry, SignedEntry};
use qc_identity::SigningKey;

use crate::migrations::{LATEST, MIGRATIONS};
use crate::*;

const DEVICE: &str = "dev";

/// Signs the entry for a change with a fixed device key, as the device would.
fn signer(action: Action) -> impl FnOnce(&EntryContext) -> Result<SignedEntry, StoreError> {
    move |ctx| {
        let e = Entry {
            device: DEVICE.into(),
            seq: ctx.head.seq + 1,
            prev: ctx.head.hash,
            time: T0,
            actors: vec![],
            action,
            case: ctx.case_id.clone(),
            heads: ctx.heads.clone(),
            blobs: vec![],
            records: vec![],
        };
        Ok(SignedEntry::sign(
            &e,
            &SigningKey::from_bytes(&[3; 32]),
            &[],
        ))
    }
}

fn file_act() -> Action {
    Action::Workflow { act: "file".into() }
}

/// The change that files a case (立案) at `at`.
fn file_event(at: Timestamp) -> impl FnOnce(&mut CaseDoc) -> Result<Touched, StoreError> {
    move |d| {
        d.append_event(&WorkflowEvent {
            id: format!("file-{}", at.0),
            at,
            actors: vec![PersonId("liu".into())],
            act: Act::File,
        })
        .map_err(StoreError::from)?;
        Ok(Touched::default())
    }
}

/// Files a case, with the entry recording it.
fn file_case(s: &mut Store, case: &str, at: Timestamp) {
    s.update_case(case, DEVICE, file_event(at), signer(file_act()))
        .unwrap();
}

const T0: Timestamp = Timestamp(1_772_409_600_000);
const DAY: i64 = 86_400_000;

fn key() -> DbKey {
    DbKey::new([42u8; 32])
}

fn header(n: u32, domain: &str, violation: &str, text: &str) -> CaseHeader {
    CaseHeader {
        id: CaseId(format!("case-{n:03}")),
        source: if n.is_multiple_of(2) {
            CaseSource::SelfDiscovered
        } else {
            CaseSource::Complaint {
                complainant: "居民".into(),
                contact: "12319".into(),
                via_12319: true,
            }
        },
        domain: domain.into(),
        violation: violation.into(),
        location: Location {
            address: format!("解放路{n}号"),
            grid: format!("XG-{:02}", n % 3),
            gps: None,
        },
        parties: vec![Party {
            kind: PartyKind::Business,
            name: format!("商户{n}"),
            id_number: None,
            phone: None,
        }],
        summary: text.into(),
        squad: if n.is_multiple_of(2) {
            "一中队"
        } else {
            "二中队"
        }
        .into(),
        registered_at: Timestamp(T0.0 + i64::from(n) * 1000),
        registered_by: PersonId("li".into()),
    }
}

fn add_case(store: &mut Store, n: u32, text: &str) {
    let mut doc = CaseDoc::create(
        &header(n, "environment", "environment.open_air_barbecue", text),
        b"dev",
        T0,
    )
    .unwrap();
    store
        .insert_case(&mut doc, DEVICE, signer(Action::CaseRegistered))
        .unwrap();
}

fn file_hash(p: &Path) -> Vec<u8> {
    Sha256::digest(std::fs::read(p).unwrap()).to_vec()
}

fn filled(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("q.db");
    let mut s = Store::create(&path, &key()).unwrap();
    for n in 0..5 {
        add_case(&mut s, n, "夜间露天烧烤 ZZPLAINZZ");
    }
    // Fold the WAL into the main file so the file alone holds everything.
    s.conn
        .execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
        .unwrap();
    drop(s);
    path
}

#[test]
fn the_file_is_unreadable_without_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = filled(dir.path());
    let raw = std::fs::read(&path).unwrap();
    assert!(raw.len() > 4096);
    assert!(!raw.starts_with(b"SQLite format 3"));
    for needle in ["ZZPLAINZZ".as_bytes(), "解放路".as_bytes(), b"CREATE TABLE"] {
        assert!(
            !raw.windows(needle.len()).any(|w| w == needle),
            "plaintext found in the encrypted file"
        );
    }
    // Plain SQLite cannot read it either.
    let plain = rusqlite::Connection::open(&path).unwrap();
    assert!(
        plain
            .query_row("SELECT count(*) FROM sqlite_master", [], |r| r
                .get::<_, i64>(0))
            .is_err()
    );
    // With the key, everything is there.
    let s = Store::open(&path, &key()).unwrap();
    assert_eq!(s.case_count().unwrap(), 5);
}

#[test]
fn a_wrong_key_is_a_clear_error_and_the_file_is_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = filled(dir.path());
    let before = file_hash(&path);
    let err = Store::open(&path, &DbKey::new([1u8; 32])).err().unwrap();
    assert!(matches!(err, StoreError::WrongKeyOrDamaged(_)), "{err:?}");
    assert!(err.message_zh().contains("密钥错误"));
    assert_eq!(file_hash(&path), before);
    // And the right key still works afterwards.
    assert_eq!(Store::open(&path, &key()).unwrap().case_count().unwrap(), 5);
}

#[test]
fn a_damaged_first_page_is_a_clear_error_and_the_file_is_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = filled(dir.path());
    let mut raw = std::fs::read(&path).unwrap();
    for b in &mut raw[100..200] {
        *b ^= 0xff;
    }
    std::fs::write(&path, &raw).unwrap();
    let before = file_hash(&path);
    let err = Store::open(&path, &key()).err().unwrap();
    assert!(matches!(err, StoreError::WrongKeyOrDamaged(_)), "{err:?}");
    assert_eq!(file_hash(&path), before);
}

#[test]
fn a_truncated_file_errors_without_panicking_or_being_rewritten() {
    let dir = tempfile::tempdir().unwrap();
    let path = filled(dir.path());
    let raw = std::fs::read(&path).unwrap();
    std::fs::write(&path, &raw[..raw.len() / 2]).unwrap();
    let before = file_hash(&path);
    let outcome = Store::open(&path, &key())
        .and_then(|s| s.list_cases(&CaseFilter::default(), T0).map(|_| s))
        .and_then(|mut s| s.rebuild_projection());
    assert!(outcome.is_err(), "a half file must not read as whole");
    assert_eq!(file_hash(&path), before);
}

#[test]
fn garbage_empty_missing_and_plain_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let garbage = dir.path().join("garbage.db");
    std::fs::write(&garbage, vec![0x5a; 8192]).unwrap();
    assert!(matches!(
        Store::open(&garbage, &key()),
        Err(StoreError::WrongKeyOrDamaged(_))
    ));
    let empty = dir.path().join("empty.db");
    std::fs::write(&empty, b"").unwrap();
    assert!(matches!(
        Store::open(&empty, &key()),
        Err(StoreError::Empty(_))
    ));
    assert_eq!(std::fs::read(&empty).unwrap().len(), 0);
    assert!(matches!(
        Store::open(&dir.path().join("none.db"), &key()),
        Err(StoreError::Missing(_))
    ));
    let plain = dir.path().join("plain.db");
    rusqlite::Connection::open(&plain)
        .unwrap()
        .execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES (1);")
        .unwrap();
    assert!(matches!(
        Store::open(&plain, &key()),
        Err(StoreError::NotEncrypted(_))
    ));
    assert!(matches!(
        Store::create(&plain, &key()),
        Err(StoreError::AlreadyExists(_))
    ));
}

#[test]
fn the_store_uses_wal_and_full_sync() {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::create(&dir.path().join("q.db"), &key()).unwrap();
    let mode: String = s
        .conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    let sync: i64 = s
        .conn
        .query_row("PRAGMA synchronous", [], |r| r.get(0))
        .unwrap();
    assert_eq!(sync, 2, "synchronous=FULL");
}

/// The schema as SQLite describes it, to compare an upgraded file with a fresh one.
fn schema(s: &Store) -> Vec<String> {
    let mut stmt = s
        .conn
        .prepare("SELECT type, name, sql FROM sqlite_master ORDER BY type, name")
        .unwrap();
    stmt.query_map([], |r| {
        Ok(format!(
            "{}|{}|{}",
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, Option<String>>(2)?.unwrap_or_default()
        ))
    })
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap()
}

#[test]
fn migrations_from_an_empty_file_and_from_every_earlier_version() {
    let dir = tempfile::tempdir().unwrap();
    let fresh = Store::create(&dir.path().join("fresh.db"), &key()).unwrap();
    assert_eq!(fresh.schema_version().unwrap(), LATEST);
    let want = schema(&fresh);
    for v in 1..LATEST {
        let path = dir.path().join(format!("v{v}.db"));
        let old = Store::create_at_version(&path, &key(), v).unwrap();
        assert_eq!(old.schema_version().unwrap(), v);
        // Data written at the old version must survive the upgrade.
        old.set_meta("written_at_version", &v.to_be_bytes())
            .unwrap();
        drop(old);
        let mut up = Store::open(&path, &key()).unwrap();
        assert_eq!(up.schema_version().unwrap(), LATEST, "from v{v}");
        assert_eq!(schema(&up), want, "schema after upgrading from v{v}");
        assert_eq!(
            up.meta("written_at_version").unwrap().unwrap(),
            v.to_be_bytes()
        );
        add_case(&mut up, 1, "升级后仍可写入");
    }
}

#[test]
fn released_migrations_are_never_edited() {
    // Append-only: editing a released migration changes its hash and fails here. Add a new
    // migration instead, and its hash below.
    let frozen = [
        "b42ecf225380c7ac1ab144d89f705a1f2ba47c99385aa758e320953e939531ff",
        "aae93d3be0752b970a6441f7e56698d1fdadbe99b448d71d018afaa3bc16ed7e",
        "e013028bcef06ed339c3c020e39cf1c3bd18686a57af3310cc228baf10c653fc",
        "3fd147cef5758ed64a94ad8ae7dcc4298777feb2122f9c17ac456445509a8a8a",
        "8799bec25becb6ffb850258aef1268feaeeca1fc89241808f2833476d287337f",
        "1537e4b886ba67ca610ae6cbbeb041e07c3b70bf90fa4bdb4a41e7803a9066d1",
        "1ff30437e69bb75abdcd1f20eae8082a2d24b3b5395e082bc4ef1ecdaab434ed",
        "95f73d72cc1d4c1bb1fea953f3380cc20cb027bd81f1022fe5db82f05efc0e86",
        "5e99d23d9ceeb7a48046a9818599f7bbcec886ad3dc0639c62b247af70b104a2",
        "b05f4764adc78dc8f6a9d24371cd126adc3a59ee569ab2384fa64b7da0a1a285",
    ];
    for (i, sql) in MIGRATIONS.iter().enumerate() {
        assert_eq!(
            hex::encode(Sha256::digest(sql.as_bytes())),
            frozen[i],
            "migration {} was edited",
            i + 1
        );
    }
    assert_eq!(MIGRATIONS.len(), frozen.len());
}

#[test]
fn a_newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("q.db");
    let s = Store::create(&path, &key()).unwrap();
    s.conn
        .execute_batch(&format!("PRAGMA user_version = {}", LATEST + 1))
        .unwrap();
    drop(s);
    assert!(matches!(
        Store::open(&path, &key()),
        Err(StoreError::NewerSchema { .. })
    ));
}

#[test]
fn rebuilding_the_projection_gives_the_same_rows() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::create(&dir.path().join("q.db"), &key()).unwrap();
    for n in 0..12 {
        add_case(&mut s, n, "占道经营");
    }
    // Some history, so the rows carry statuses and deadlines.
    for n in [1u32, 4, 7] {
        file_case(&mut s, &format!("case-{n:03}"), Timestamp(T0.0 + DAY));
    }
    let live = s.projection_dump().unwrap();
    assert!(live.iter().any(|r| r.contains("\"filed\"")));
    assert!(live.iter().any(|r| r.contains("decision")));
    s.rebuild_projection().unwrap();
    assert_eq!(s.projection_dump().unwrap(), live);
    // Even a wiped projection comes back from the documents alone.
    s.conn
        .execute_batch("DELETE FROM case_deadlines; DELETE FROM case_index;")
        .unwrap();
    s.rebuild_projection().unwrap();
    assert_eq!(s.projection_dump().unwrap(), live);
}

#[test]
fn a_failed_change_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::create(&dir.path().join("q.db"), &key()).unwrap();
    add_case(&mut s, 1, "原始内容");
    let before = s.projection_dump().unwrap();
    let r: Result<(), StoreError> = s.update_case(
        "case-001",
        DEVICE,
        |d| {
            d.append_event(&WorkflowEvent {
                id: "x".into(),
                at: T0,
                actors: vec![],
                act: Act::File,
            })?;
            Err(StoreError::Malformed("refused after editing".into()))
        },
        signer(file_act()),
    );
    assert!(r.is_err());
    assert_eq!(s.projection_dump().unwrap(), before);
    assert_eq!(s.ledger_len().unwrap(), 1, "no entry for a refused change");
    assert!(
        s.case_doc("case-001", b"dev")
            .unwrap()
            .events()
            .unwrap()
            .is_empty()
    );
    assert!(matches!(
        s.case_doc("nope", b"dev"),
        Err(StoreError::UnknownCase(_))
    ));
}

#[test]
fn the_case_list_filters_by_status_squad_grid_text_and_deadline() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::create(&dir.path().join("q.db"), &key()).unwrap();
    for n in 0..9 {
        add_case(
            &mut s,
            n,
            if n == 5 {
                "流动摊贩占道"
            } else {
                "露天烧烤"
            },
        );
    }
    file_case(&mut s, "case-003", T0);
    let list = |f: CaseFilter, now| s.list_cases(&f, now).unwrap();
    let all = list(CaseFilter::default(), T0);
    assert_eq!(all.len(), 9);
    // Newest activity first (case-003's filing at T0 is older than every registration).
    assert_eq!(all[0].id, "case-008");
    let filed = list(
        CaseFilter {
            status: Some("filed".into()),
            ..Default::default()
        },
        T0,
    );
    assert_eq!(filed.len(), 1);
    assert_eq!(filed[0].id, "case-003");
    assert_eq!(
        list(
            CaseFilter {
                squad: Some("一中队".into()),
                ..Default::default()
            },
            T0
        )
        .len(),
        5
    );
    assert_eq!(
        list(
            CaseFilter {
                grid: Some("XG-00".into()),
                ..Default::default()
            },
            T0
        )
        .len(),
        3
    );
    let found = list(
        CaseFilter {
            text: Some("摊贩".into()),
            ..Default::default()
        },
        T0,
    );
    assert_eq!(
        found.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
        ["case-005"]
    );
    // `%` is matched literally, not as a wildcard.
    assert!(
        list(
            CaseFilter {
                text: Some("%".into()),
                ..Default::default()
            },
            T0
        )
        .is_empty()
    );
    // case-003 was filed at T0 and is a complaint: decision due in 60 days, complainant in 7.
    let soon = list(
        CaseFilter {
            due: Some(DueFilter::DueSoon),
            ..Default::default()
        },
        Timestamp(T0.0 + 6 * DAY),
    );
    assert_eq!(soon.len(), 1);
    let overdue = list(
        CaseFilter {
            due: Some(DueFilter::Overdue),
            ..Default::default()
        },
        Timestamp(T0.0 + 9 * DAY),
    );
    assert_eq!(overdue.len(), 1);
    let count = |due| {
        s.count_cases(
            &CaseFilter {
                due: Some(due),
                limit: Some(0),
                ..Default::default()
            },
            Timestamp(T0.0 + 9 * DAY),
        )
        .unwrap()
    };
    assert_eq!(count(DueFilter::Overdue), 1);
    assert_eq!(count(DueFilter::DueSoon), 0);
    assert_eq!(s.count_cases(&CaseFilter::default(), T0).unwrap(), 9);
    assert_eq!(s.grids_in_use().unwrap(), ["XG-00", "XG-01", "XG-02"]);
    assert_eq!(overdue[0].deadlines[0].urgency, Urgency::Overdue);
    assert_eq!(
        overdue[0].deadlines[0].kind,
        DeadlineKind::InformComplainant
    );
    assert!(
        list(
            CaseFilter {
                due: Some(DueFilter::Overdue),
                ..Default::default()
            },
            Timestamp(T0.0 + DAY)
        )
        .is_empty()
    );
    let page = list(
        CaseFilter {
            limit: Some(4),
            offset: Some(4),
            ..Default::default()
        },
        T0,
    );
    assert_eq!(page.len(), 4);
    assert_eq!(page[0].id, all[4].id);
}

#[test]
fn officers_and_pin_attempts_persist() {
    use qc_identity::*;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("q.db");
    let s = Store::create(&path, &key()).unwrap();
    let bureau = BureauKey::from_seed(&[7; 32]);
    let officer = SigningKey::from_bytes(&[1; 32]);
    let cert = bureau
        .issue(
            1,
            Subject::Officer {
                person_id: "li".into(),
                name: "李明".into(),
                cert_no: Some("44010001".into()),
                role: Role::EnforcementOfficer,
                squad: "一中队".into(),
            },
            officer.verifying_key().to_bytes(),
            T0,
            Timestamp(T0.0 + 365 * DAY),
        )
        .unwrap();
    let wrapped = keywrap::wrap(&officer, "258013", [1; 16], [2; 12], KdfParams::CURRENT).unwrap();
    let rec = OfficerRecord {
        person_id: "li".into(),
        cert,
        wrapped: Some(wrapped),
        guard: PinGuard::default(),
    };
    s.put_officer(&rec).unwrap();
    let guard = PinGuard {
        failures: 3,
        locked_until: None,
    };
    s.save_pin_guard("li", &guard).unwrap();
    drop(s);
    let s = Store::open(&path, &key()).unwrap();
    let back = s.officer("li").unwrap();
    assert_eq!(back.cert, rec.cert);
    assert_eq!(back.wrapped, rec.wrapped);
    assert_eq!(back.guard, guard);
    assert_eq!(s.officers().unwrap().len(), 1);
    assert!(matches!(
        s.officer("nobody"),
        Err(StoreError::UnknownOfficer(_))
    ));
    assert!(s.save_pin_guard("nobody", &guard).is_err());
}

#[test]
fn secrets_are_never_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::create(&dir.path().join("q.db"), &key()).unwrap();
    s.put_secret("device", &[1; 32]).unwrap();
    assert!(s.put_secret("device", &[2; 32]).is_err());
    assert_eq!(s.secret("device").unwrap().unwrap().as_slice(), &[1; 32]);
}

#[test]
fn every_case_mutation_appends_one_linked_entry_in_the_same_transaction() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::create(&dir.path().join("q.db"), &key()).unwrap();
    add_case(&mut s, 1, "第一件");
    assert_eq!(s.ledger_len().unwrap(), 1);
    add_case(&mut s, 2, "第二件");
    file_case(&mut s, "case-001", T0);
    assert_eq!(s.ledger_len().unwrap(), 3);
    // The device feed is one chain across cases; a case's bundle takes the feed up to its last
    // entry, so the links can be checked.
    let feed = s.feeds_for_case("case-001").unwrap();
    assert_eq!(feed.len(), 3);
    let entries: Vec<Entry> = feed.iter().map(|e| e.entry().unwrap()).collect();
    assert_eq!(entries.iter().map(|e| e.seq).collect::<Vec<_>>(), [1, 2, 3]);
    assert_eq!(entries[1].prev, feed[0].hash());
    assert_eq!(entries[2].prev, feed[1].hash());
    assert_eq!(s.feeds_for_case("case-002").unwrap().len(), 2);
    // An export of case 2 follows the device's whole feed, case 1's filing included.
    assert_eq!(s.feeds_for_export("case-002", DEVICE).unwrap(), feed);
    assert_eq!(
        s.feeds_for_export("case-002", "another-device")
            .unwrap()
            .len(),
        2
    );
    // The last entry commits to the document as stored.
    let mut doc = s.case_doc("case-001", DEVICE.as_bytes()).unwrap();
    assert_eq!(entries[2].heads, doc.heads_digests());
}

#[test]
fn an_entry_that_does_not_follow_the_feed_or_the_change_is_refused_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::create(&dir.path().join("q.db"), &key()).unwrap();
    add_case(&mut s, 1, "原始内容");
    let before = (s.projection_dump().unwrap(), s.ledger_len().unwrap());
    type Tamper = fn(&mut Entry);
    let tampers: [(&str, Tamper); 4] = [
        ("skips a position", |e| e.seq += 1),
        ("wrong link", |e| e.prev = [9; 32]),
        ("other heads", |e| e.heads = vec![[1; 32]]),
        ("other device", |e| e.device = "elsewhere".into()),
    ];
    for (what, tamper) in tampers {
        let r: Result<(), StoreError> = s.update_case("case-001", DEVICE, file_event(T0), |ctx| {
            let mut e = signer(file_act())(ctx)?.entry().unwrap();
            tamper(&mut e);
            Ok(SignedEntry::sign(
                &e,
                &SigningKey::from_bytes(&[3; 32]),
                &[],
            ))
        });
        assert!(r.is_err(), "{what}");
        assert_eq!(
            (s.projection_dump().unwrap(), s.ledger_len().unwrap()),
            before,
            "{what}"
        );
        assert!(
            s.case_doc("case-001", DEVICE.as_bytes())
                .unwrap()
                .events()
                .unwrap()
                .is_empty(),
            "{what}"
        );
    }
}

#[test]
fn kept_heads_and_squads_match_the_documents() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::create(&dir.path().join("q.db"), &key()).unwrap();
    for n in 0..3 {
        add_case(&mut s, n, "占道经营");
    }
    file_case(&mut s, "case-001", Timestamp(T0.0 + DAY));
    let kept = s.case_heads().unwrap();
    assert_eq!(kept.len(), 3);
    for (case, heads) in &kept {
        let mut doc = s.case_doc(case, b"x").unwrap();
        assert_eq!(*heads, doc.heads_hex(), "{case}");
    }
    // The station acknowledged two of them as they are; the third, and any case that changes
    // after, are what the next sync sends.
    assert_eq!(s.unacknowledged_cases().unwrap().len(), 3);
    s.set_station_acks(&kept[..2]).unwrap();
    let left = s.unacknowledged_cases().unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(
        (left[0].0.as_str(), left[0].2.len()),
        (kept[2].0.as_str(), 0)
    );
    file_case(&mut s, "case-000", Timestamp(T0.0 + DAY));
    let left = s.unacknowledged_cases().unwrap();
    assert_eq!(left.len(), 2);
    assert_eq!(
        left[0].2, kept[0].1,
        "what the station holds of the changed case"
    );
}

#[test]
fn a_file_from_before_version_6_has_its_list_rebuilt_with_whose_case_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("q.db");
    let mut s = Store::create(&path, &key()).unwrap();
    add_case(&mut s, 1, "夜间露天烧烤");
    // As a version-5 file left it: a case listed, the column not there yet.
    s.conn
        .execute_batch(
            "DROP INDEX case_index_outcome;
             ALTER TABLE case_index DROP COLUMN waiting;
             ALTER TABLE case_index DROP COLUMN outcome721;
             ALTER TABLE case_index DROP COLUMN outcome_at;
             ALTER TABLE case_deadlines DROP COLUMN met_at;
             ALTER TABLE case_deadlines DROP COLUMN late_reason;
             ALTER TABLE case_index DROP COLUMN people; ALTER TABLE ledger DROP COLUMN body;
             DROP TABLE set_aside; DROP TABLE set_aside_docs; DROP TABLE station_outside;
             PRAGMA user_version = 5;",
        )
        .unwrap();
    drop(s);
    let s = Store::open(&path, &key()).unwrap();
    let mine = |person: &str| {
        s.list_cases(
            &CaseFilter {
                person: Some(person.into()),
                ..Default::default()
            },
            T0,
        )
        .unwrap()
    };
    let rows = mine("li");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].people, ["li"]);
    // Whole ids only: a prefix of someone's id is not them.
    assert!(mine("l").is_empty());
    assert!(mine("%").is_empty());
}

#[test]
fn acknowledgements_kept_before_version_5_move_out_of_meta() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("q.db");
    let s = Store::create_at_version(&path, &key(), 4).unwrap();
    s.set_meta("acked:case-9", br#"["aa","bb"]"#).unwrap();
    s.set_meta("acked:case-8", b"[]").unwrap();
    drop(s);
    let s = Store::open(&path, &key()).unwrap();
    assert!(s.meta("acked:case-9").unwrap().is_none());
    let acks: Vec<(String, String)> = s
        .conn
        .prepare("SELECT case_id, heads FROM station_acks ORDER BY case_id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        acks,
        vec![
            ("case-8".to_owned(), String::new()),
            ("case-9".to_owned(), "aa,bb".to_owned())
        ]
    );
}

/// Appends acts to a case (no rules checked: the store keeps what the API validated).
fn do_acts(s: &mut Store, case: &str, acts: Vec<(Timestamp, Act)>) {
    for (i, (at, act)) in acts.into_iter().enumerate() {
        let name = act.name().to_owned();
        s.update_case(
            case,
            DEVICE,
            move |d| -> Result<Touched, StoreError> {
                d.append_event(&WorkflowEvent {
                    id: format!("{case}-{i}"),
                    at,
                    actors: vec![PersonId("liu".into())],
                    act,
                })?;
                Ok(Touched::default())
            },
            signer(Action::Workflow { act: name }),
        )
        .unwrap();
    }
}

#[test]
fn the_721_ratio_and_the_queues_follow_the_acts() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::create(&dir.path().join("q.db"), &key()).unwrap();
    for n in 1..=3 {
        add_case(&mut s, n, "露天烧烤");
    }
    let day = |n: i64| Timestamp(T0.0 + n * DAY);
    let advise = Act::Advise {
        advice: "劝导收摊".into(),
    };
    let order = Act::OrderCorrection {
        order: "三日内清除".into(),
        correct_by: day(5),
    };
    do_acts(&mut s, "case-001", vec![(day(1), advise)]);
    do_acts(&mut s, "case-002", vec![(day(2), order)]);
    do_acts(&mut s, "case-003", vec![(day(3), Act::File)]);
    let r = s.ratio_721(None, T0, day(10)).unwrap();
    assert_eq!((r.service, r.management, r.enforcement), (1, 1, 1));
    let r = s.ratio_721(None, day(2), day(10)).unwrap();
    assert_eq!((r.service, r.management, r.enforcement), (0, 1, 1));
    // Even-numbered cases are 一中队's.
    let r = s.ratio_721(Some("一中队"), T0, day(10)).unwrap();
    assert_eq!((r.service, r.management, r.enforcement), (0, 1, 0));
    let r = s.ratio_721(Some("三中队"), T0, day(10)).unwrap();
    assert_eq!((r.service, r.management, r.enforcement), (0, 0, 0));
    let queue = |role: &str| -> Vec<String> {
        s.list_cases(
            &CaseFilter {
                waiting_on: Some(role.into()),
                ..Default::default()
            },
            day(3),
        )
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect()
    };
    // Filed: the leader assigns the investigation. The complainants of the odd cases are owed
    // the outcome by an officer; the order to correct waits for its date before the follow-up.
    assert_eq!(queue("squad_leader"), ["case-003"]);
    assert_eq!(queue("enforcement_officer"), ["case-003", "case-001"]);
    assert!(queue("head").is_empty());
}

#[test]
fn a_deadline_met_late_stays_listed_as_overdue_with_its_reason() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::create(&dir.path().join("q.db"), &key()).unwrap();
    add_case(&mut s, 1, "露天烧烤");
    let day = |n: i64| Timestamp(T0.0 + n * DAY);
    do_acts(
        &mut s,
        "case-001",
        vec![
            (T0, Act::File),
            (
                T0,
                Act::StartInvestigation {
                    team: vec![PersonId("a".into()), PersonId("b".into())],
                },
            ),
            (
                T0,
                Act::PreservationNotice {
                    notice: "n1".into(),
                    items: "烧烤炉一台".into(),
                },
            ),
            (
                day(10),
                Act::PreservationDecision {
                    notice: "n1".into(),
                    outcome: "予以退还".into(),
                    late_reason: Some("保管单位盘点延误".into()),
                },
            ),
        ],
    );
    let late: Vec<_> = s
        .deadlines("case-001", day(11))
        .unwrap()
        .into_iter()
        .filter(|d| d.urgency == Urgency::Late)
        .collect();
    assert_eq!(late.len(), 1, "{late:?}");
    assert_eq!(late[0].met_late, Some((day(10), "保管单位盘点延误".into())));
    let overdue = s
        .list_cases(
            &CaseFilter {
                due: Some(DueFilter::Overdue),
                ..Default::default()
            },
            day(11),
        )
        .unwrap();
    assert_eq!(overdue.len(), 1);
}
