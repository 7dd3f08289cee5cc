use std::sync::Arc;

use qc_domain::*;
use qc_store::{CaseFilter, DueFilter};

use crate::demo::{self, demo_people};
use crate::*;

pub(crate) const NOW: Timestamp = Timestamp(1_795_000_000_000); // 2026-11-18

fn clock(t: Timestamp) -> Arc<dyn Clock> {
    Arc::new(FixedClock(t))
}

pub(crate) fn init_at(dir: &std::path::Path) -> (DataDir, Quancheng) {
    let d = DataDir::new(dir.join("data"));
    Quancheng::init(
        &d,
        &demo_people(),
        clock(NOW),
        Box::new(SeededEntropy::new([5; 32])),
    )
    .unwrap();
    let app = Quancheng::open(&d, clock(NOW), Box::new(SeededEntropy::new([6; 32]))).unwrap();
    (d, app)
}

pub(crate) fn pin(id: &str) -> String {
    demo_people()
        .into_iter()
        .find(|e| e.person.id.0 == id)
        .unwrap()
        .pin
}

pub(crate) fn new_case() -> NewCase {
    NewCase {
        source: CaseSource::SelfDiscovered,
        violation: "transport.road_occupation".into(),
        address: "  景华路88号 ".into(),
        grid: "JX-02-04".into(),
        gps: None,
        parties: vec![],
        summary: "占道堆放货物".into(),
    }
}

#[test]
fn init_creates_an_encrypted_directory_and_refuses_to_run_twice() {
    let tmp = tempfile::tempdir().unwrap();
    let (d, app) = init_at(tmp.path());
    assert!(d.db_path().exists());
    let key_file = d.root().join("db.key");
    assert_eq!(d.key_location(), key_file.display().to_string());
    assert_eq!(std::fs::read_to_string(&key_file).unwrap().len(), 64);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "key file readable by others");
    }
    assert_eq!(app.people().unwrap().len(), demo_people().len());
    let again = Quancheng::init(&d, &demo_people(), clock(NOW), Box::new(OsEntropy));
    assert!(matches!(again, Err(ApiError::AlreadyInitialised(_))));
}

#[test]
fn opening_an_uninitialised_or_wrongly_keyed_directory_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let empty = DataDir::new(tmp.path().join("nothing"));
    let e = Quancheng::open(&empty, clock(NOW), Box::new(OsEntropy))
        .err()
        .unwrap();
    assert_eq!(e.code(), "not_initialised");
    let (d, app) = init_at(tmp.path());
    drop(app);
    let other_key = tmp.path().join("other.key");
    std::fs::write(&other_key, "11".repeat(32)).unwrap();
    let e = Quancheng::open(
        &d.clone().with_key_file(&other_key),
        clock(NOW),
        Box::new(OsEntropy),
    )
    .err()
    .unwrap();
    assert_eq!(e.code(), "store_wrong_key_or_damaged");
    assert!(e.message_zh().contains("密钥错误"));
}

/// A keystore that keeps the key in memory, as the platform keystore keeps it out of the
/// directory.
#[derive(Debug, Default)]
struct MemoryKeyStore(std::sync::Mutex<Option<[u8; 32]>>);

impl keystore::KeyStore for MemoryKeyStore {
    fn load(&self) -> Result<Option<qc_store::DbKey>, ApiError> {
        Ok(self.0.lock().unwrap().map(qc_store::DbKey::new))
    }
    fn create(&self, entropy: &mut dyn Entropy) -> Result<qc_store::DbKey, ApiError> {
        let key = entropy::random::<32>(entropy);
        assert!(self.0.lock().unwrap().replace(key).is_none(), "replaced");
        Ok(qc_store::DbKey::new(key))
    }
    fn location(&self) -> String {
        "memory".into()
    }
}

#[test]
fn a_directory_keyed_by_another_keystore_keeps_no_key_file_and_needs_that_keystore() {
    let tmp = tempfile::tempdir().unwrap();
    let keystore = Arc::new(MemoryKeyStore::default());
    let d = DataDir::new(tmp.path().join("data")).with_keystore(keystore.clone());
    Quancheng::init(&d, &demo_people()[..1], clock(NOW), Box::new(OsEntropy)).unwrap();
    assert!(!d.root().join("db.key").exists());
    assert_eq!(d.key_location(), "memory");
    Quancheng::open(&d, clock(NOW), Box::new(OsEntropy)).unwrap();
    // The same directory without that keystore has no key.
    let e = Quancheng::open(&DataDir::new(d.root()), clock(NOW), Box::new(OsEntropy))
        .err()
        .unwrap();
    assert_eq!(e.code(), "key");
}

#[test]
fn a_key_wrapped_at_a_lower_cost_is_wrapped_again_when_it_unlocks() {
    let tmp = tempfile::tempdir().unwrap();
    let (_d, mut app) = init_at(tmp.path());
    let li = app.unlock("li.ming", &pin("li.ming")).unwrap();
    // As an older version kept it: below the cost this build wraps at.
    let cheaper = KdfParams {
        m_kib: 8,
        t: 1,
        p: 1,
    };
    let old = keywrap::wrap(&li.key, &pin("li.ming"), [1; 16], [2; 12], cheaper).unwrap();
    let rec = app.store.officer("li.ming").unwrap();
    app.store
        .put_officer(&OfficerRecord {
            wrapped: Some(old.clone()),
            ..rec
        })
        .unwrap();

    // A wrong PIN is counted and wraps nothing again.
    let e = app.unlock("li.ming", "999888").err().unwrap();
    assert_eq!(e.code(), "wrong_pin");
    let rec = app.store.officer("li.ming").unwrap();
    assert_eq!((rec.wrapped, rec.guard.failures), (Some(old.clone()), 1));

    let again = app.unlock("li.ming", &pin("li.ming")).unwrap();
    assert_eq!(again.key.to_bytes(), li.key.to_bytes());
    let rec = app.store.officer("li.ming").unwrap();
    let new = rec.wrapped.unwrap();
    assert_eq!(new.kdf, PIN_KDF);
    assert_ne!((new.salt, new.nonce), (old.salt, old.nonce));
    assert_eq!(rec.guard, PinGuard::default());
    // It keeps unlocking, and is not wrapped again.
    app.unlock("li.ming", &pin("li.ming")).unwrap();
    assert_eq!(app.store.officer("li.ming").unwrap().wrapped, Some(new));
}

#[test]
fn a_weak_pin_at_init_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let d = DataDir::new(tmp.path().join("data"));
    let mut people = demo_people();
    people[1].pin = "123456".into();
    let e = Quancheng::init(&d, &people, clock(NOW), Box::new(OsEntropy))
        .err()
        .unwrap();
    assert_eq!(e.code(), "weak_pin");
    assert!(!d.is_initialised());
}

#[test]
fn wrong_pins_are_counted_across_restarts_and_lock_out() {
    let tmp = tempfile::tempdir().unwrap();
    let (d, mut app) = init_at(tmp.path());
    for _ in 0..3 {
        assert_eq!(
            app.unlock("li.ming", "999888").err().unwrap().code(),
            "wrong_pin"
        );
    }
    drop(app);
    let mut app = Quancheng::open(&d, clock(NOW), Box::new(OsEntropy)).unwrap();
    for _ in 0..2 {
        let _ = app.unlock("li.ming", "999888");
    }
    let e = app.unlock("li.ming", &pin("li.ming")).err().unwrap();
    assert_eq!(e.code(), "locked_out");
    // After the lock-out ends, the right PIN works again.
    let mut later = Quancheng::open(
        &d,
        clock(Timestamp(NOW.0 + 16 * 60 * 1000)),
        Box::new(OsEntropy),
    )
    .unwrap();
    assert!(later.unlock("li.ming", &pin("li.ming")).is_ok());
    assert_eq!(
        later.unlock("nobody", "147258").err().unwrap().code(),
        "unknown_officer"
    );
}

#[test]
fn an_expired_certificate_cannot_unlock() {
    let tmp = tempfile::tempdir().unwrap();
    let (d, app) = init_at(tmp.path());
    drop(app);
    let four_years = Timestamp(NOW.0 + 4 * 365 * 86_400_000);
    let mut app = Quancheng::open(&d, clock(four_years), Box::new(OsEntropy)).unwrap();
    assert_eq!(
        app.unlock("li.ming", &pin("li.ming")).err().unwrap().code(),
        "identity"
    );
    assert!(app.people().unwrap().is_empty());
}

#[test]
fn registering_and_acting_go_through_the_rules() {
    let tmp = tempfile::tempdir().unwrap();
    let (_d, mut app) = init_at(tmp.path());
    let li = app.unlock("li.ming", &pin("li.ming")).unwrap();
    let wang = app.unlock("wang.fang", &pin("wang.fang")).unwrap();
    let chen = app.unlock("chen.xie", &pin("chen.xie")).unwrap();
    let liu = app.unlock("liu.jianguo", &pin("liu.jianguo")).unwrap();
    let wu = app.unlock("wu.min", &pin("wu.min")).unwrap();

    // An assistant may register a case source (information collection); an administrator not.
    let id = app.register_case(new_case(), &chen).unwrap();
    assert_eq!(
        app.register_case(new_case(), &wu).err().unwrap().code(),
        "role_required"
    );
    let mut bad = new_case();
    bad.violation = "transport.nothing".into();
    assert_eq!(
        app.register_case(bad, &li).err().unwrap().code(),
        "unknown_violation_type"
    );

    // Filing needs the leader; an assistant may not act.
    assert_eq!(
        app.record_act(&id.0, Act::File, &[&li])
            .err()
            .unwrap()
            .code(),
        "role_required"
    );
    assert_eq!(
        app.record_act(&id.0, Act::File, &[&liu, &chen])
            .err()
            .unwrap()
            .code(),
        "assistant_refused"
    );
    app.record_act(&id.0, Act::File, &[&liu]).unwrap();
    let one = Act::StartInvestigation {
        team: vec![li.person().id.clone()],
    };
    assert_eq!(
        app.record_act(&id.0, one, &[&liu]).err().unwrap().code(),
        "too_few_officers"
    );
    let two = Act::StartInvestigation {
        team: vec![li.person().id.clone(), wang.person().id.clone()],
    };
    app.record_act(&id.0[..8], two, &[&liu]).unwrap();

    let detail = app.case_detail(&id.0[..6]).unwrap();
    assert_eq!(detail.row.status, "investigating");
    assert_eq!(detail.header.location.address, "景华路88号");
    assert_eq!(detail.header.squad, "一中队");
    assert_eq!(detail.registered_by_name, "陈晓");
    let acts: Vec<_> = detail.events.iter().map(|e| e.act_zh.as_str()).collect();
    assert_eq!(acts, ["立案", "指派调查"]);
    assert_eq!(detail.events[0].actors, ["刘建国"]);
    assert_eq!(detail.row.deadlines[0].kind, DeadlineKind::Decision);
    // A refused act changed nothing.
    assert_eq!(detail.events.len(), 2);
}

#[test]
fn unknown_and_ambiguous_case_ids_are_clear_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let (_d, mut app) = init_at(tmp.path());
    let li = app.unlock("li.ming", &pin("li.ming")).unwrap();
    for _ in 0..20 {
        app.register_case(new_case(), &li).unwrap();
    }
    let e = app.case_detail("zzzz").err().unwrap();
    assert_eq!(e.code(), "unknown_case");
    assert!(e.message_zh().contains("zzzz"));
    assert_eq!(app.case_detail("").err().unwrap().code(), "unknown_case");
    // With 20 random ids, some single hex digit starts more than one.
    let ambiguous = "0123456789abcdef"
        .chars()
        .map(|c| c.to_string())
        .find(|p| matches!(app.resolve_case(p), Err(ApiError::AmbiguousCase(_))));
    assert!(ambiguous.is_some());
    assert_eq!(app.case_detail("%").err().unwrap().code(), "unknown_case");
}

#[test]
fn the_demo_walks_every_case_through_the_rules_and_runs_once() {
    let tmp = tempfile::tempdir().unwrap();
    let (_d, mut app) = init_at(tmp.path());
    let report = demo::load(&mut app).unwrap();
    assert_eq!(report.cases_added, 18);
    assert_eq!(report.cases_total, 18);
    assert_eq!(app.now(), NOW, "the wall clock is back after the demo");
    let all = app.list_cases(&CaseFilter::default()).unwrap();
    let domains: std::collections::BTreeSet<_> = all.iter().map(|r| r.domain.as_str()).collect();
    assert_eq!(domains.len(), 6, "every domain is shown");
    let statuses: std::collections::BTreeSet<_> = all.iter().map(|r| r.status.as_str()).collect();
    let every: std::collections::BTreeSet<_> = CaseStatus::ALL.iter().map(|s| s.code()).collect();
    assert_eq!(statuses, every, "one case of each status");
    let overdue = app
        .list_cases(&CaseFilter {
            due: Some(DueFilter::Overdue),
            ..Default::default()
        })
        .unwrap();
    assert!(overdue.len() >= 2, "the demo shows overdue cases");
    let soon = app
        .list_cases(&CaseFilter {
            due: Some(DueFilter::DueSoon),
            ..Default::default()
        })
        .unwrap();
    assert!(!soon.is_empty(), "the demo shows cases due soon");
    let counts = app.deadline_counts().unwrap();
    assert_eq!(counts.overdue, overdue.len() as u64);
    assert_eq!(counts.due_soon, soon.len() as u64);
    assert!(all.iter().all(|r| r.anomalies == 0));
    for r in &all {
        let d = app.case_detail(&r.id).unwrap();
        assert!(
            d.events.iter().all(|e| e.at <= NOW),
            "an act dated in the future"
        );
        assert!(d.header.registered_at <= NOW);
    }
    assert_eq!(demo::load(&mut app).unwrap().cases_added, 0);
    assert_eq!(app.case_count().unwrap(), 18);
    // Every demo act is a signed entry (a preservation notice's with the seal of its notice),
    // every entry is about a demo case, and every case's feeds verify.
    let mut entries = 0;
    for r in &all {
        let report = app.verify_case_feeds(&r.id).unwrap();
        assert!(report.is_clean(), "{}: {:?}", r.id, report.problems);
        let about: Vec<_> = report
            .entries
            .iter()
            .filter(|e| e.entry.case == r.id)
            .collect();
        let acts = about
            .iter()
            .filter(|e| matches!(e.entry.action, qc_chain::Action::Workflow { .. }))
            .count();
        let d = app.case_detail(&r.id).unwrap();
        let notices = d
            .events
            .iter()
            .filter(|e| matches!(e.act, Act::PreservationNotice { .. }))
            .count();
        assert_eq!(acts + notices, d.events.len(), "{}", r.id);
        entries += about.len();
    }
    assert_eq!(app.ledger_len().unwrap(), entries as u64);
}

/// Issue 12 (6): each demo case holds the records, evidence and acts its status implies, made
/// through the same API, and its case file exports and verifies.
#[test]
fn every_demo_case_holds_what_its_status_implies_and_its_file_verifies() {
    use CaseStatus as S;
    let tmp = tempfile::tempdir().unwrap();
    let (_d, mut app) = init_at(tmp.path());
    demo::load(&mut app).unwrap();
    let catalogue = app.catalogue().clone();
    let head = app.unlock("zhou.wen", &pin("zhou.wen")).unwrap();
    let bureau: [u8; 32] = hex::decode(app.bureau_public_hex())
        .unwrap()
        .try_into()
        .unwrap();
    let rank = |s: CaseStatus| CaseStatus::ALL.iter().position(|x| *x == s).unwrap();
    let (mut to_police, mut on_the_spot, mut late, mut hearings) = (0, 0, 0, 0);
    for row in app.list_cases(&CaseFilter::default()).unwrap() {
        let d = app.case_detail(&row.id).unwrap();
        let state = &d.state;
        let s = state.status;
        let why = format!("{} ({})", d.header.summary, s.zh());
        let acts: Vec<&Act> = d.events.iter().map(|e| &e.act).collect();
        let has = |k: ActKind| acts.iter().any(|a| a.kind() == k);
        let at = |k: ActKind| d.events.iter().find(|e| e.act.kind() == k).map(|e| e.at);
        for p in &d.header.parties {
            assert!(
                p.name.chars().count() >= 2 && !p.name.contains('某'),
                "{why}: a party's full name"
            );
        }
        assert!(state.anomalies.is_empty(), "{why}: {:?}", state.anomalies);

        // From 调查取证 on: sealed records by the team, made while investigating.
        let summary = state.decision.as_ref().is_some_and(|x| x.summary_procedure);
        let investigated = has(ActKind::StartInvestigation);
        if rank(s) >= rank(S::Investigating) && !summary {
            assert!(investigated, "{why}");
        }
        let (records, evidence) = app.case_file(&row.id).unwrap();
        if investigated {
            let start = at(ActKind::StartInvestigation).unwrap();
            let end = at(ActKind::ConcludeInvestigation)
                .or(at(ActKind::Transfer))
                .unwrap_or(NOW);
            for r in &records {
                let seal = r.seal.as_ref().unwrap_or_else(|| panic!("{why}: unsealed"));
                assert_eq!(seal.by, state.team, "{why}: sealed by the team");
                assert!(state.team.contains(&r.live.created_by), "{why}");
                assert!(start < r.live.created_at && seal.at < end, "{why}");
            }
            let (inspection, signoff) = records
                .iter()
                .find_map(|r| match &r.live.body {
                    RecordBody::Inspection(i) => Some((i, r.live.signoff.as_ref())),
                    _ => None,
                })
                .unwrap_or_else(|| panic!("{why}: no inspection record"));
            assert!(inspection.party_notified && inspection.ended_at.is_some());
            assert_eq!(inspection.outcome, Some(Outcome721::Enforcement));
            match (inspection.party_present, signoff) {
                (true, Some(PartySignoff::Party { .. }))
                | (false, Some(PartySignoff::Witness { .. })) => {}
                other => panic!("{why}: attendance and sign-off disagree: {other:?}"),
            }
            let transcript = records
                .iter()
                .find_map(|r| match &r.live.body {
                    RecordBody::Questioning(q) => Some(q),
                    _ => None,
                })
                .unwrap_or_else(|| panic!("{why}: no transcript"));
            assert_eq!(transcript.pages.len(), 2, "{why}");
            assert!(
                transcript
                    .pages
                    .iter()
                    .all(|p| matches!(p.signature, Some(PageSignature::Signed { .. }))),
                "{why}: every page signed"
            );
            let photos: Vec<_> = evidence
                .iter()
                .filter(|e| e.sealed() && e.facts.kind == MediaKind::Photo)
                .collect();
            assert_eq!(photos.len(), 2, "{why}: two co-signed photos");
            assert!(photos.iter().all(|e| {
                start < e.facts.captured_at
                    && e.facts.captured_at < end
                    && e.signatures
                        .iter()
                        .all(|s| state.team.contains(&s.officer.person))
            }));
            // A preservation notice in the timeline is a sealed notice record.
            for e in &acts {
                if let Act::PreservationNotice { notice, .. } = e {
                    assert!(records.iter().any(|r| &r.live.id == notice
                        && matches!(r.live.body, RecordBody::Preservation(_))));
                }
            }
        } else {
            assert!(records.is_empty() && evidence.is_empty(), "{why}");
        }

        // Then the acts up to the status.
        let general = !summary && rank(s) >= rank(S::Investigating);
        let reached = |x: CaseStatus| general && rank(s) >= rank(x);
        if reached(S::InvestigationConcluded) {
            assert!(has(ActKind::ConcludeInvestigation), "{why}");
        }
        if reached(S::Notified) {
            let notice = state.notice.as_ref().unwrap();
            let proposal = notice.proposal.as_ref().unwrap();
            let standard = catalogue
                .fine_standard(&d.header.violation, Discretion::Standard)
                .unwrap();
            let fine = fine_of(&proposal.penalties);
            assert!((standard.min_yuan..=standard.max_yuan).contains(&fine));
            let serious = qualifies_for_hearing(state, &catalogue, &proposal.penalties);
            assert_eq!(notice.hearing_offered, serious, "{why}");
            if serious {
                hearings += 1;
                assert!(has(ActKind::HoldHearing), "{why}");
            } else {
                assert!(has(ActKind::HearStatement), "{why}: a statement heard");
            }
            if reached(S::LegalReviewed) {
                assert!(
                    acts.iter()
                        .any(|a| matches!(a, Act::LegalReview { passed: true, .. }))
                );
                assert_eq!(has(ActKind::CollectiveDiscussion), serious, "{why}");
            }
        }
        if reached(S::Decided) {
            assert!(
                state
                    .decision
                    .as_ref()
                    .is_some_and(|x| !x.penalties.is_empty())
            );
        }
        if reached(S::Delivered) {
            assert!(
                has(ActKind::Deliver) && state.delivered_at.is_some(),
                "{why}"
            );
        }
        if reached(S::Executed) || summary {
            let due = money_due(&state.decision.as_ref().unwrap().penalties);
            assert!(
                acts.iter().any(|a| matches!(a,
                    Act::Execute { execution: Execution::PaidAtBank { yuan, .. } } if *yuan == due)),
                "{why}: paid at the bank"
            );
        }
        if reached(S::Closed) {
            assert!(has(ActKind::Close), "{why}");
        }
        if s == S::Disclosed {
            assert!(has(ActKind::Disclose) && state.disclosed_at.is_some());
        }
        if summary {
            on_the_spot += 1;
            assert!(has(ActKind::SummaryDecision) && !investigated, "{why}");
        }
        if acts.iter().any(|a| {
            matches!(
                a,
                Act::Transfer {
                    kind: TransferTo::Police,
                    ..
                }
            )
        }) {
            to_police += 1;
            assert!(investigated, "{why}: transferred with its evidence");
        }
        match s {
            S::Handled => assert!(has(ActKind::Advise), "{why}"),
            S::Correcting => assert!(state.correct_by.is_some_and(|by| by > NOW), "{why}"),
            _ => {}
        }
        if matches!(d.header.source, CaseSource::Complaint { .. }) && state.filed_at.is_some() {
            assert!(state.complainant_informed, "{why}");
        }
        if d.row.deadlines.iter().any(|x| {
            x.urgency == Urgency::Late
                && x.kind == DeadlineKind::Decision
                && x.met_late.as_ref().is_some_and(|(_, r)| !r.is_empty())
        }) {
            late += 1;
        }

        // The case file exports and verifies, with its records' images and photos.
        let mut bundle = Vec::new();
        let contents = app.export_case(&row.id, &head, &mut bundle).unwrap();
        let (read, integrity) = qc_bundle::read(&bundle[..]).unwrap();
        let report = qc_bundle::verify(&read, &integrity, Some(bureau), None);
        assert!(report.is_clean(), "{why}: {:?}", report.problems);
        for e in &evidence {
            let hash: [u8; 32] = hex::decode(&e.facts.sha256).unwrap().try_into().unwrap();
            assert!(
                contents.blobs.contains_key(&hash),
                "{why}: a photo left out"
            );
        }
    }
    assert!(to_police >= 1, "a transfer to the police");
    assert!(on_the_spot >= 1, "a 简易程序 case");
    assert!(late >= 1, "a decision made late, with its reason");
    assert!(hearings >= 1, "a hearing offered where the fine qualifies");
}

#[test]
fn an_administrator_revokes_a_certificate_and_it_stays_revoked() {
    let tmp = tempfile::tempdir().unwrap();
    let (d, mut app) = init_at(tmp.path());
    let admin = app.unlock("wu.min", &pin("wu.min")).unwrap();
    let leader = app.unlock("liu.jianguo", &pin("liu.jianguo")).unwrap();
    assert_eq!(
        app.revoke("li.ming", "平板遗失", &leader)
            .err()
            .unwrap()
            .code(),
        "role_required"
    );
    assert_eq!(
        app.revoke("li.ming", " ", &admin).err().unwrap().code(),
        "empty_field"
    );
    app.revoke("li.ming", "平板遗失", &admin).unwrap();
    let e = app.unlock("li.ming", &pin("li.ming")).err().unwrap();
    assert_eq!(e.code(), "revoked");
    assert!(e.message_zh().contains("吊销"));
    assert!(app.people().unwrap().iter().all(|p| p.id.0 != "li.ming"));
    assert_eq!(
        app.revoke("li.ming", "again", &admin).err().unwrap().code(),
        "invalid"
    );
    drop(app);
    // The signed list is stored: a restart still refuses the key, and a second revocation keeps
    // the first.
    let mut app = Quancheng::open(&d, clock(NOW), Box::new(OsEntropy)).unwrap();
    assert_eq!(
        app.unlock("li.ming", &pin("li.ming")).err().unwrap().code(),
        "revoked"
    );
    let admin = app.unlock("wu.min", &pin("wu.min")).unwrap();
    app.revoke("wang.fang", "离职", &admin).unwrap();
    drop(app);
    let mut app = Quancheng::open(&d, clock(NOW), Box::new(OsEntropy)).unwrap();
    for id in ["li.ming", "wang.fang"] {
        assert_eq!(app.unlock(id, &pin(id)).err().unwrap().code(), "revoked");
    }
    assert!(app.unlock("zhao.qiang", &pin("zhao.qiang")).is_ok());
}

#[test]
fn revoking_a_person_the_station_also_knows_lists_their_certificate_once() {
    let tmp = tempfile::tempdir().unwrap();
    let (_d, mut app) = init_at(tmp.path());
    // The station run from this directory records the people's certificates too.
    app.station_service().unwrap();
    let admin = app.unlock("wu.min", &pin("wu.min")).unwrap();
    app.revoke("li.ming", "平板遗失", &admin).unwrap();
    let listed: Vec<_> = app
        .anchor
        .revocations()
        .revoked
        .iter()
        .map(|r| r.cert)
        .collect();
    assert_eq!(listed, [app.store.officer("li.ming").unwrap().cert.id()]);
}

#[test]
fn an_administrator_edits_the_catalogue_without_orphaning_cases() {
    let tmp = tempfile::tempdir().unwrap();
    let (_d, mut app) = init_at(tmp.path());
    let admin = app.unlock("wu.min", &pin("wu.min")).unwrap();
    let li = app.unlock("li.ming", &pin("li.ming")).unwrap();
    app.register_case(new_case(), &li).unwrap();
    let mut edited = Catalogue::default_zh();
    edited.version = 3;
    edited.domains.push(EnforcementDomain {
        code: "greening".into(),
        name: "园林绿化".into(),
        violations: vec![ViolationType {
            code: "greening.tree_felling".into(),
            name: "擅自砍伐城市树木".into(),
            basis: None,
            standards: Vec::new(),
        }],
    });
    let json = serde_json::to_string(&edited).unwrap();
    assert_eq!(
        app.import_catalogue(&json, &li).err().unwrap().code(),
        "role_required"
    );
    assert_eq!(
        app.import_catalogue("{", &admin).err().unwrap().code(),
        "invalid"
    );
    app.import_catalogue(&json, &admin).unwrap();
    assert!(app.catalogue().violation("greening.tree_felling").is_some());
    let mut new = new_case();
    new.violation = "greening.tree_felling".into();
    app.register_case(new, &li).unwrap();
    // Removing a type a case uses is refused, and the list in force stays as it was.
    let mut shrunk = edited.clone();
    shrunk.domains.retain(|d| d.code != "transport");
    let e = app
        .import_catalogue(&serde_json::to_string(&shrunk).unwrap(), &admin)
        .err()
        .unwrap();
    assert!(e.to_string().contains("transport.road_occupation"), "{e}");
    assert_eq!(app.catalogue().version, 3);
}

/// The catalogue and wording a station sends are each taken only as the bureau released
/// them: a text other than the one released, a release under another key, a catalogue that
/// drops a type a case here uses or is older than the one held are refused, and each file is
/// noted as seen so the station does not send it again.
#[test]
fn the_station_s_catalogue_and_wording_are_taken_only_as_released() {
    use sha2::{Digest as _, Sha256};
    let tmp = tempfile::tempdir().unwrap();
    let (_d, mut app) = init_at(tmp.path());
    let li = app.unlock("li.ming", &pin("li.ming")).unwrap();
    app.register_case(new_case(), &li).unwrap();
    let seed: [u8; 32] = app
        .store
        .secret("bureau")
        .unwrap()
        .unwrap()
        .as_slice()
        .try_into()
        .unwrap();
    let bureau = qc_identity::BureauKey::from_seed(&seed);
    let released =
        |key: &qc_identity::BureauKey, kind: &str, text: &str| qc_sync::wire::BureauFile {
            release: key.release((kind, Sha256::digest(text.as_bytes()).into()), NOW, [1; 32]),
            text: text.to_owned(),
        };
    let wording =
        qc_document::wording::BUILTIN.replace("示例市东城区人民法院", "示例市西城区人民法院");
    let mut shrunk = Catalogue::default_zh();
    shrunk.version += 1;
    shrunk.domains.retain(|d| d.code != "transport");
    let said = app
        .adopt_bureau(&qc_sync::wire::BureauFiles {
            catalogue: Some(released(
                &bureau,
                "catalogue",
                &serde_json::to_string(&shrunk).unwrap(),
            )),
            wording: Some(released(&bureau, "wording", &wording)),
        })
        .unwrap();
    assert!(
        said.contains("权责清单未被采用") && said.contains("transport.road_occupation"),
        "{said}"
    );
    assert!(said.contains("已按基站更新文书固定用语"), "{said}");
    assert_eq!(app.catalogue(), &Catalogue::default_zh());
    assert_eq!(app.wording_text().unwrap(), wording);

    // A text other than the one released, or one released under another key, is refused.
    let mut grown = Catalogue::default_zh();
    grown.version += 1;
    grown.domains[0].violations[0].name = "改过名的违法行为".into();
    let json = serde_json::to_string(&grown).unwrap();
    let mut changed = released(&bureau, "catalogue", &json);
    changed.text = changed.text.replace("改过名的违法行为", "又改过的违法行为");
    let stranger = qc_identity::BureauKey::from_seed(&[99; 32]);
    for file in [changed, released(&stranger, "catalogue", &json)] {
        let said = app
            .adopt_bureau(&qc_sync::wire::BureauFiles {
                catalogue: Some(file),
                wording: None,
            })
            .unwrap();
        assert!(said.contains("权责清单未被采用"), "{said}");
        assert_eq!(app.catalogue(), &Catalogue::default_zh());
    }

    let taken = released(&bureau, "catalogue", &json);
    let said = app
        .adopt_bureau(&qc_sync::wire::BureauFiles {
            catalogue: Some(taken.clone()),
            wording: None,
        })
        .unwrap();
    assert_eq!(
        said,
        format!("已按基站更新权责清单（第 {} 版）", grown.version)
    );
    assert_eq!(app.catalogue(), &grown);
    let seen: qc_sync::wire::BureauSeen = app.meta_json("bureau_files_held").unwrap().unwrap();
    assert_eq!(seen.catalogue, Some(taken.digest()), "held now");
    assert_eq!(
        seen.wording,
        Some(Sha256::digest(wording.as_bytes()).into())
    );
    assert_eq!(seen.refused.len(), 3, "each release refused is noted");
    // A catalogue imported here is no longer the station's: the station sends its own again.
    let admin = app.unlock("wu.min", &pin("wu.min")).unwrap();
    let mut local = grown.clone();
    local.version += 1;
    app.import_catalogue(&serde_json::to_string(&local).unwrap(), &admin)
        .unwrap();
    let seen: qc_sync::wire::BureauSeen = app.meta_json("bureau_files_held").unwrap().unwrap();
    assert_eq!(seen.catalogue, None);
    // An older catalogue than the one held is refused.
    let said = app
        .adopt_bureau(&qc_sync::wire::BureauFiles {
            catalogue: Some(released(
                &bureau,
                "catalogue",
                qc_domain::catalogue::BUILTIN_JSON,
            )),
            wording: None,
        })
        .unwrap();
    assert!(said.contains("比基站的"), "{said}");
    assert_eq!(app.catalogue(), &local);
}

#[test]
fn every_public_mutation_appends_a_signed_entry_and_refused_ones_do_not() {
    let tmp = tempfile::tempdir().unwrap();
    let (_d, mut app) = init_at(tmp.path());
    let li = app.unlock("li.ming", &pin("li.ming")).unwrap();
    let wang = app.unlock("wang.fang", &pin("wang.fang")).unwrap();
    let liu = app.unlock("liu.jianguo", &pin("liu.jianguo")).unwrap();
    let mut expected = 0;
    let id = app.register_case(new_case(), &li).unwrap();
    expected += 1;
    assert_eq!(app.ledger_len().unwrap(), expected);
    assert!(app.record_act(&id.0, Act::File, &[&li]).is_err());
    assert_eq!(
        app.ledger_len().unwrap(),
        expected,
        "a refused act leaves no entry"
    );
    app.record_act(&id.0, Act::File, &[&liu]).unwrap();
    expected += 1;
    app.record_act(
        &id.0,
        Act::StartInvestigation {
            team: vec![li.person().id.clone(), wang.person().id.clone()],
        },
        &[&liu],
    )
    .unwrap();
    expected += 1;
    assert_eq!(app.ledger_len().unwrap(), expected);
    let report = app.verify_case_feeds(&id.0).unwrap();
    assert!(report.is_clean(), "{:?}", report.problems);
    let acts: Vec<String> = report
        .entries
        .iter()
        .map(|e| format!("{:?} by {}", e.entry.action, e.signers[0].name))
        .collect();
    assert_eq!(
        acts,
        [
            "CaseRegistered by 李明",
            "Workflow { act: \"file\" } by 刘建国",
            "Workflow { act: \"start investigation\" } by 刘建国"
        ]
    );
}

#[test]
fn the_case_record_reads_in_plain_words_and_says_it_verifies() {
    let tmp = tempfile::tempdir().unwrap();
    let (_d, mut app) = init_at(tmp.path());
    let signers: Vec<String> = app
        .signers_here()
        .unwrap()
        .into_iter()
        .map(|p| p.id.0)
        .collect();
    assert!(signers.contains(&"li.ming".to_owned()));
    let li = app.unlock("li.ming", &pin("li.ming")).unwrap();
    let case = app.register_case(new_case(), &li).unwrap().0;
    let r = app.case_record(&case).unwrap();
    assert!(r.verified, "{:?}", r.problems);
    assert_eq!(r.items.len(), 1);
    assert_eq!(r.items[0].title, "案件登记");
    assert_eq!(r.items[0].signers, ["李明"]);
}
