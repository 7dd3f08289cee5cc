//! Tablets and a base station over real HTTPS on 127.0.0.1, enrolled the way an administrator
//! does it. Two officers' tablets change one case offline (evidence on one, the inspection
//! record on the other) and sync in both orders: both converge and the station's chain is
//! complete; the squad leader's tablet then sees both and fetches the evidence on demand;
//! another squad's tablet sees nothing; the legal reviewer sees only cases sent for review.
//! A station that rewrites its log is caught by the next device sync. An exported bundle is
//! checked against what the station logged about its case since.
#![allow(clippy::unwrap_used)]

use std::io::Read as _;

use qc_api::Quancheng;
use qc_api::records::NewEvidence;
use qc_domain::*;
use qc_evidence::sample;
use qc_store::CaseFilter;
use qc_tests::fixtures::{new_case, open_investigation};
use qc_tests::station::{Bureau, TEST_UPKEEP_EVERY, pin};

fn inspection(officers: Vec<OfficerRef>, at: Timestamp) -> RecordBody {
    RecordBody::Inspection(Inspection {
        place: Location {
            address: "景华路88号".into(),
            grid: "JX-02-04".into(),
            gps: None,
        },
        started_at: at,
        ended_at: None,
        officers,
        party: None,
        party_notified: true,
        party_present: true,
        found: String::new(),
        outcome: None,
    })
}

fn cases(app: &Quancheng) -> Vec<String> {
    app.list_cases(&CaseFilter::default())
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect()
}

/// Everything a device holds of a case, to compare devices.
fn case_file(app: &Quancheng, case: &str) -> String {
    let (records, evidence) = app.case_file(case).unwrap();
    serde_json::to_string(&(records, evidence)).unwrap()
}

/// Exports a case on `app` as `by` and checks the bundle against the bureau key (and the
/// station's log key, if given); returns what the bundle holds and the report.
fn export_and_verify(
    app: &mut Quancheng,
    case: &str,
    by: &qc_api::Unlocked,
    log_key: Option<[u8; 32]>,
) -> (qc_bundle::Contents, qc_bundle::Report) {
    let mut bundle = Vec::new();
    app.export_case(case, by, &mut bundle).unwrap();
    let (contents, integrity) = qc_bundle::read(bundle.as_slice()).unwrap();
    let bureau_key: [u8; 32] = hex::decode(app.bureau_public_hex())
        .unwrap()
        .try_into()
        .unwrap();
    let report = qc_bundle::verify(&contents, &integrity, Some(bureau_key), log_key);
    assert!(report.is_clean(), "{:?}", report.problems);
    (contents, report)
}

/// A station whose bureau device holds the demo cases of every squad and has synced them.
fn demo_station(root: &std::path::Path) -> (Bureau, Quancheng) {
    let bureau = Bureau::start(root).unwrap();
    let mut home = bureau.app().unwrap();
    qc_api::demo::load(&mut home).unwrap();
    home.sync().unwrap();
    (bureau, home)
}

fn two_tablets_converge(a_first: bool) {
    let tmp = tempfile::tempdir().unwrap();
    let bureau = Bureau::start(tmp.path()).unwrap();
    let pair = ["li.ming", "wang.fang"];
    let mut a = bureau
        .tablet(&tmp.path().join("a"), "一中队", &pair)
        .unwrap();
    let mut b = bureau
        .tablet(&tmp.path().join("b"), "一中队", &pair)
        .unwrap();
    let mut leader = bureau
        .tablet(&tmp.path().join("leader"), "一中队", &["liu.jianguo"])
        .unwrap();
    let mut other = bureau
        .tablet(&tmp.path().join("other"), "二中队", &["zhao.qiang"])
        .unwrap();

    // A registers the case; the leader files it and opens the investigation on his tablet.
    let li = a.unlock("li.ming", &pin("li.ming")).unwrap();
    let wang = a.unlock("wang.fang", &pin("wang.fang")).unwrap();
    let case = a
        .register_case(new_case("景华路88号", "占道堆放货物"), &li)
        .unwrap()
        .0;
    a.sync().unwrap();
    assert_eq!(leader.sync().unwrap().docs_received, 1);
    let liu = leader.unlock("liu.jianguo", &pin("liu.jianguo")).unwrap();
    open_investigation(&mut leader, &case, &liu, [&li, &wang]).unwrap();
    leader.sync().unwrap();
    a.sync().unwrap();
    let record = a
        .create_record(&case, inspection, None, &[&li, &wang])
        .unwrap();
    a.sync().unwrap();
    assert_eq!(b.sync().unwrap().docs_received, 1);

    // Offline: A captures a photo co-signed by both; B writes what they found.
    let photo = sample::camera_photo(640, 480);
    let item = a
        .add_evidence(
            &case,
            &photo[..],
            NewEvidence {
                file_name: "IMG_0001.jpg".into(),
                description: "店外占道堆放的货物".into(),
                attestation: None,
            },
            &[&li, &wang],
        )
        .unwrap();
    let bli = b.unlock("li.ming", &pin("li.ming")).unwrap();
    b.edit_record(&case, &record, &[&bli], |r| {
        if let RecordBody::Inspection(i) = &mut r.body {
            i.found = "店外占道堆放货物约3平方米".into();
        }
        Ok(())
    })
    .unwrap();

    let (first, second) = if a_first {
        (&mut a, &mut b)
    } else {
        (&mut b, &mut a)
    };
    // Progress is reported in items and bytes, ending full.
    let mut seen = Vec::new();
    first.sync_with(&mut |p| seen.push(*p)).unwrap();
    let evidence: Vec<_> = seen
        .iter()
        .filter(|p| p.stage == qc_api::station::SyncStage::Evidence)
        .collect();
    let last = evidence.last().unwrap();
    if a_first {
        assert!(last.bytes_total >= photo.len() as u64, "{seen:?}");
    }
    assert_eq!(
        (last.items_done, last.bytes_done),
        (last.items_total, last.bytes_total)
    );
    assert_eq!(seen.last().unwrap().stage, qc_api::station::SyncStage::Done);
    second.sync().unwrap();
    first.sync().unwrap();
    assert_eq!(case_file(&a, &case), case_file(&b, &case), "converged");
    let (records, evidence) = a.case_file(&case).unwrap();
    assert_eq!(records[0].live.id, record);
    match &records[0].live.body {
        RecordBody::Inspection(i) => assert_eq!(i.found, "店外占道堆放货物约3平方米"),
        other => panic!("{other:?}"),
    }
    assert_eq!(evidence[0].facts.id, item);

    // The station's chain is complete: every device's entries verify together, and every
    // entry on A and B has a receipt from the station.
    for app in [&mut a, &mut b] {
        app.sync().unwrap();
        assert!(app.verify_case_feeds(&case).unwrap().is_clean());
        assert_eq!(app.sync_status().unwrap().unsynced_entries, 0);
    }

    // The leader sees both changes and fetches the photo when he opens it.
    leader.sync().unwrap();
    assert_eq!(case_file(&leader, &case), case_file(&a, &case));
    let hash: [u8; 32] = hex::decode(&evidence[0].facts.sha256)
        .unwrap()
        .try_into()
        .unwrap();
    assert!(leader.read_blob(&hash).is_err(), "not fetched yet");
    assert!(leader.fetch_blob(&case, &hash).unwrap());
    assert_eq!(leader.read_blob(&hash).unwrap(), photo);
    assert!(!leader.fetch_blob(&case, &hash).unwrap(), "once");

    // The leader's export carries the station's receipts; the offline verifier checks them
    // against the bureau key and the station's log key.
    let log_key: [u8; 32] = hex::decode(&bureau.station.log_key)
        .unwrap()
        .try_into()
        .unwrap();
    let (contents, report) = export_and_verify(&mut leader, &case, &liu, Some(log_key));
    assert_eq!(
        report.receipts.verified,
        report.receipts.entries - 1,
        "every entry but the export itself, made just now"
    );
    // Asked over HTTPS, the station has logged nothing about the case that the bundle lacks;
    // once a tablet records another act and syncs, it has, and the bundle is no longer the
    // latest.
    let freshness = || {
        let answer =
            qc_api::station::case_log(&bureau.station.url, &bureau.station.cert_pem, &case)
                .unwrap();
        let logged: Vec<_> = answer
            .entries
            .into_iter()
            .map(|r| (r.entry, r.receipt))
            .collect();
        qc_bundle::check_freshness(&contents, &answer.checkpoint, &logged, Some(log_key)).unwrap()
    };
    assert!(freshness().is_current(), "{:?}", freshness());
    b.edit_record(&case, &record, &[&bli], |r| {
        if let RecordBody::Inspection(i) = &mut r.body {
            i.found = "店外占道堆放货物约4平方米".into();
        }
        Ok(())
    })
    .unwrap();
    b.sync().unwrap();
    assert_eq!(freshness().newer.len(), 1);

    // 王芳 leaves the bureau: the administrator revokes her, every key of hers included; the
    // tablets learn it at their next sync and no longer let her sign.
    let mut home = bureau.app().unwrap();
    let admin = home.unlock("wu.min", &pin("wu.min")).unwrap();
    home.revoke("wang.fang", "调离", &admin).unwrap();
    a.sync().unwrap();
    assert!(a.unlock("wang.fang", &pin("wang.fang")).is_err());
    assert!(a.unlock("li.ming", &pin("li.ming")).is_ok());

    // Another squad's tablet sees nothing of it, and may not fetch its evidence.
    other.sync().unwrap();
    assert!(cases(&other).is_empty());
    let e = other.fetch_blob(&case, &hash).unwrap_err();
    assert_eq!(e.code(), "not_found", "{e}");
}

#[test]
fn two_tablets_edit_offline_and_converge_when_a_syncs_first() {
    two_tablets_converge(true);
}

#[test]
fn two_tablets_edit_offline_and_converge_when_b_syncs_first() {
    two_tablets_converge(false);
}

#[test]
fn the_legal_reviewer_sees_the_cases_sent_for_review_and_a_rewritten_log_is_caught() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut bureau, mut home) = demo_station(tmp.path());
    let mut legal = bureau
        .tablet(&tmp.path().join("legal"), "法制科", &["sun.li"])
        .unwrap();
    legal.sync().unwrap();
    let seen = legal.list_cases(&CaseFilter::default()).unwrap();
    let all = home.list_cases(&CaseFilter::default()).unwrap();
    let for_review: Vec<&str> = all
        .iter()
        .filter(|r| CaseStatus::from_code(&r.status).is_some_and(CaseStatus::sent_for_review))
        .map(|r| r.id.as_str())
        .collect();
    assert!(!for_review.is_empty() && for_review.len() < all.len());
    let mut got: Vec<&str> = seen.iter().map(|r| r.id.as_str()).collect();
    got.sort();
    let mut want = for_review.clone();
    want.sort();
    assert_eq!(got, want, "exactly the cases sent for review");

    // The station's files are rolled back to before the bureau's device synced a new case,
    // and the legal tablet's new entries are appended instead: a log that forks.
    let snapshot = tmp.path().join("snapshot");
    let station_dir = bureau.dir.join("station");
    bureau.stop();
    copy_dir(&station_dir, &snapshot);
    bureau.restart().unwrap();
    let zhou = home.unlock("li.ming", &pin("li.ming")).unwrap();
    home.register_case(new_case("景华路88号", "占道堆放货物"), &zhou)
        .unwrap();
    home.sync().unwrap();
    bureau.stop();
    std::fs::remove_dir_all(&station_dir).unwrap();
    copy_dir(&snapshot, &station_dir);
    bureau.restart().unwrap();
    let sun = legal.unlock("sun.li", &pin("sun.li")).unwrap();
    // The reviewer exports a case for review: a signed act, on the forked log.
    legal.export_case(want[0], &sun, std::io::sink()).unwrap();
    legal.sync().unwrap();
    let before = home.ledger_len().unwrap();
    let e = home.sync().unwrap_err();
    assert_eq!(e.code(), "log_inconsistent", "{e}");
    assert_eq!(
        home.ledger_len().unwrap(),
        before,
        "the device keeps its data"
    );
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).unwrap();
        }
    }
}

#[test]
fn a_tablet_that_enrols_an_officer_after_syncing_exports_case_files_that_verify() {
    let tmp = tempfile::tempdir().unwrap();
    let (bureau, _home) = demo_station(tmp.path());
    // The tablet syncs before anyone's key is made on it: the bureau's entries come down
    // signed under the certificates it holds for its people.
    let mut t = bureau.tablet(&tmp.path().join("t"), "一中队", &[]).unwrap();
    t.sync().unwrap();
    let code = bureau
        .code(&qc_server::storage::Grant::Officer {
            person: "li.ming".into(),
        })
        .unwrap();
    t.enrol_officer("li.ming", &code, &pin("li.ming")).unwrap();
    let li = t.unlock("li.ming", &pin("li.ming")).unwrap();
    // The bureau's device worked on every squad's cases: what came down of its entries about
    // cases this tablet may not see has no body (nothing of the act, the people or the files),
    // and its ledger holds nothing more of them. Every case's file verifies.
    let mine = cases(&t);
    let (mut whole, mut elided) = (0, 0);
    for case in &mine {
        let (contents, _) = export_and_verify(&mut t, case, &li, None);
        for e in &contents.entries {
            match e.entry() {
                Ok(x) => {
                    assert!(mine.contains(&x.case), "a whole entry about {}", x.case);
                    whole += 1;
                }
                Err(_) => {
                    assert!(e.is_elided() && e.actor_sigs.is_empty());
                    elided += 1;
                }
            }
        }
    }
    assert!(whole > 0 && elided > 0, "{whole} whole, {elided} elided");
}

#[test]
fn evidence_co_signed_on_another_tablet_after_a_sync_is_accepted_by_the_station() {
    let tmp = tempfile::tempdir().unwrap();
    let bureau = Bureau::start(tmp.path()).unwrap();
    let mut a = bureau
        .tablet(&tmp.path().join("a"), "一中队", &["li.ming", "wang.fang"])
        .unwrap();
    let mut b = bureau
        .tablet(
            &tmp.path().join("b"),
            "一中队",
            &["li.ming", "wang.fang", "liu.jianguo"],
        )
        .unwrap();
    let li = a.unlock("li.ming", &pin("li.ming")).unwrap();
    let case = a
        .register_case(new_case("景华路88号", "占道堆放货物"), &li)
        .unwrap()
        .0;
    a.sync().unwrap();
    b.sync().unwrap();
    let liu = b.unlock("liu.jianguo", &pin("liu.jianguo")).unwrap();
    let bli = b.unlock("li.ming", &pin("li.ming")).unwrap();
    let wang = b.unlock("wang.fang", &pin("wang.fang")).unwrap();
    open_investigation(&mut b, &case, &liu, [&bli, &wang]).unwrap();
    b.sync().unwrap();
    a.sync().unwrap();
    // 李明 captures a photo alone on A: it waits for a second officer, and goes up so.
    let item = a
        .add_evidence(
            &case,
            &sample::camera_photo(320, 240)[..],
            NewEvidence {
                file_name: "IMG_0002.jpg".into(),
                description: "占道货物".into(),
                attestation: None,
            },
            &[&li],
        )
        .unwrap();
    a.sync().unwrap();
    // 王芳 co-signs it on B after B has it: only the co-signature goes up from B.
    b.sync().unwrap();
    b.cosign_evidence(&case, &item, &wang).unwrap();
    b.sync().unwrap();
    export_and_verify(&mut b, &case, &liu, None);
}

#[test]
fn entries_hidden_from_a_reviewer_come_whole_once_the_case_is_sent_for_review() {
    let tmp = tempfile::tempdir().unwrap();
    let (bureau, mut home) = demo_station(tmp.path());
    let mut legal = bureau
        .tablet(&tmp.path().join("legal"), "法制科", &["sun.li"])
        .unwrap();
    legal.sync().unwrap();
    // A case still under investigation: the reviewer's tablet holds the bureau device's
    // entries about it only without their bodies, as links in that device's feed.
    let case = home
        .list_cases(&CaseFilter::default())
        .unwrap()
        .into_iter()
        .find(|r| CaseStatus::from_code(&r.status) == Some(CaseStatus::Investigating))
        .unwrap()
        .id;
    assert!(!cases(&legal).contains(&case));
    let li = home.unlock("li.ming", &pin("li.ming")).unwrap();
    home.record_act(
        &case,
        Act::ConcludeInvestigation {
            summary: "调查终结，事实清楚".into(),
        },
        &[&li],
    )
    .unwrap();
    home.sync().unwrap();
    legal.sync().unwrap();
    assert!(cases(&legal).contains(&case));
    let sun = legal.unlock("sun.li", &pin("sun.li")).unwrap();
    export_and_verify(&mut legal, &case, &sun, None);
}

/// Requests per evidence chunk in the tests of uploads below.
const CHUNK: usize = 64 * 1024;

/// A tablet of 一中队 sending `CHUNK`-byte chunks, with a case under investigation (synced),
/// and the two officers who capture evidence.
fn uploading_tablet(
    bureau: &Bureau,
    dir: &std::path::Path,
) -> (Quancheng, String, [qc_api::Unlocked; 2]) {
    let people = ["li.ming", "wang.fang", "liu.jianguo"];
    let mut t = bureau.tablet(dir, "一中队", &people).unwrap();
    t.set_upload_chunk(CHUNK);
    let [li, wang, liu] = people.map(|p| t.unlock(p, &pin(p)).unwrap());
    let case = t
        .register_case(new_case("景华路88号", "占道堆放货物"), &li)
        .unwrap()
        .0;
    open_investigation(&mut t, &case, &liu, [&li, &wang]).unwrap();
    t.sync().unwrap();
    (t, case, [li, wang])
}

/// A video of `len` bytes captured for `case` by both officers.
fn add_video(
    t: &mut Quancheng,
    case: &str,
    officers: &[qc_api::Unlocked; 2],
    len: usize,
    name: &str,
) {
    let mut bytes = Vec::new();
    sample::Video::new(len as u64)
        .read_to_end(&mut bytes)
        .unwrap();
    // Each file unlike the others.
    bytes.extend_from_slice(name.as_bytes());
    t.add_evidence(
        case,
        &bytes[..],
        NewEvidence {
            file_name: name.into(),
            description: "现场执法录像".into(),
            attestation: None,
        },
        &[&officers[0], &officers[1]],
    )
    .unwrap();
}

/// An evidence file that fits in one request goes up in that request, without asking the
/// station first; a file of several chunks asks where the station's copy stops, then sends
/// them. (The same entries go up with either, so the difference is the file's requests.)
#[test]
fn an_evidence_file_of_one_chunk_goes_up_in_one_request() {
    let tmp = tempfile::tempdir().unwrap();
    let bureau = Bureau::start(tmp.path()).unwrap();
    let (mut t, case, officers) = uploading_tablet(&bureau, &tmp.path().join("t"));
    let mut requests_for = |len: usize, name: &str| -> u64 {
        add_video(&mut t, &case, &officers, len, name);
        let before = bureau.requests();
        let report = t.sync().unwrap();
        assert_eq!(report.blobs_sent, 1, "{name}");
        bureau.requests() - before
    };
    let one_chunk = requests_for(CHUNK - 100, "DSJ_001.mp4");
    let three_chunks = requests_for(2 * CHUNK + 5, "DSJ_002.mp4");
    assert_eq!(
        three_chunks - one_chunk,
        3,
        "three chunks and a question ({three_chunks} requests) against one chunk alone \
         ({one_chunk})"
    );
}

/// A tablet with several files to send has more than one on its way at once (each file's
/// requests wait on the station, and files in flight together overlap those waits); every
/// file arrives, once.
#[test]
fn several_evidence_files_go_up_at_once() {
    let tmp = tempfile::tempdir().unwrap();
    let bureau = Bureau::start(tmp.path()).unwrap();
    let (mut t, case, officers) = uploading_tablet(&bureau, &tmp.path().join("t"));
    for i in 0..6 {
        add_video(
            &mut t,
            &case,
            &officers,
            3 * CHUNK,
            &format!("DSJ_{i:03}.mp4"),
        );
    }
    assert_eq!(
        bureau.most_at_once(),
        1,
        "a sync's requests before: one at a time"
    );
    let report = t.sync().unwrap();
    assert_eq!(report.blobs_sent, 6);
    assert!(
        bureau.most_at_once() >= 2,
        "files in flight at once: {}",
        bureau.most_at_once()
    );
    assert_eq!(t.sync().unwrap().blobs_sent, 0, "each file once");
}

/// 王芳 is revoked while her squad's tablet is offline: the tablet lets her sign an inspection
/// record (it cannot know), and 李明 registers another case after it. The station refuses the
/// upload, naming her entry; nothing of it is taken, and every later sync would be refused
/// too. 李明 sets the refused entry aside (搁置): kept whole on the tablet, the case back at
/// what it was before it; the next sync goes through with the other case, the set-aside entry
/// logged in its place without its act, and the case's file still verifies — on this tablet
/// and on the leader's, which takes the feed with its set-aside entry.
#[test]
fn an_entry_the_station_refuses_is_set_aside_and_the_rest_of_the_feed_goes_up() {
    let tmp = tempfile::tempdir().unwrap();
    let bureau = Bureau::start(tmp.path()).unwrap();
    let people = ["li.ming", "wang.fang", "liu.jianguo"];
    let mut t = bureau
        .tablet(&tmp.path().join("t"), "一中队", &people)
        .unwrap();
    let [li, wang, liu] = people.map(|p| t.unlock(p, &pin(p)).unwrap());
    let case = t
        .register_case(new_case("景华路88号", "占道堆放货物"), &li)
        .unwrap()
        .0;
    t.sync().unwrap();

    let mut home = bureau.app().unwrap();
    let admin = home.unlock("wu.min", &pin("wu.min")).unwrap();
    home.revoke("wang.fang", "调离", &admin).unwrap();

    // Offline: the investigation opened (by the leader), an inspection signed by 李明 and the
    // revoked 王芳, then another case.
    open_investigation(&mut t, &case, &liu, [&li, &wang]).unwrap();
    let record = t
        .create_record(&case, inspection, None, &[&li, &wang])
        .unwrap();
    let hers = t
        .register_case(new_case("建设路3号", "乱堆乱放"), &wang)
        .unwrap()
        .0;
    let other = t
        .register_case(new_case("中州路1号", "占道经营"), &li)
        .unwrap()
        .0;
    let e = t.sync().unwrap_err();
    assert_eq!(e.code(), "entries_refused", "{e}");
    let refused = t.sync_status().unwrap().refused;
    let by_case: Vec<(&str, usize)> = refused
        .iter()
        .map(|c| (c.case.as_str(), c.entries))
        .collect();
    assert_eq!(by_case.len(), 2, "{refused:?}");
    assert!(by_case.contains(&(case.as_str(), 1)) && by_case.contains(&(hers.as_str(), 1)));
    assert!(
        refused
            .iter()
            .all(|c| c.reasons[0].contains("吊销") || c.reasons[0].contains("撤销")),
        "{refused:?}"
    );
    assert_eq!(
        t.sync().unwrap_err().code(),
        "entries_refused",
        "refused again until set aside"
    );

    // Only an enforcement officer sets aside, only what was refused; then the case is back
    // before the record, and the case the station never took leaves the list.
    let e = t.set_aside("no-such-case", &li).unwrap_err();
    assert_eq!(e.code(), "invalid");
    // The refusal brought the station's revocation list: 王芳 can no longer unlock here.
    let Err(revoked) = t.unlock("wang.fang", &pin("wang.fang")) else {
        panic!("a revoked officer unlocked");
    };
    assert!(revoked.message_zh().contains("吊销"), "{revoked}");
    // Her session unlocked before the news still signs: her act of setting aside is refused
    // in turn, and 李明 sets that aside too, naming again what it named.
    let done = t.set_aside(&case, &wang).unwrap();
    assert_eq!((done.entries, done.case_removed), (1, false));
    let gone = t.set_aside(&hers, &li).unwrap();
    assert_eq!(t.sync().unwrap_err().code(), "entries_refused");
    let again = t.sync_status().unwrap().refused;
    assert_eq!(
        again
            .iter()
            .map(|c| (c.case.as_str(), c.entries))
            .collect::<Vec<_>>(),
        [(case.as_str(), 1)],
        "her act of setting aside"
    );
    let done = t.set_aside(&case, &li).unwrap();
    assert_eq!((done.entries, done.case_removed), (1, false));
    assert_eq!((gone.entries, gone.case_removed), (1, true));
    assert!(!cases(&t).contains(&hers));
    assert!(
        t.case_file(&case).unwrap().0.is_empty(),
        "the record is set aside"
    );
    assert!(
        !t.case_file(&case)
            .unwrap()
            .0
            .iter()
            .any(|r| r.live.id == record)
    );
    let detail = t.case_detail(&case).unwrap();
    assert_eq!(
        detail.row.status, "investigating",
        "the leader's act before it stands"
    );
    let aside = detail.set_aside.expect("the case says what was set aside");
    assert_eq!(
        aside.entries, 2,
        "the record, and her act that set it aside"
    );
    assert!(aside.reason.contains("吊销"), "{}", aside.reason);
    assert!(t.sync_status().unwrap().refused.is_empty());

    let report = t.sync().unwrap();
    assert!(report.sent >= 2, "{report:?}");
    let status = t.sync_status().unwrap();
    assert_eq!(
        (status.unsynced_entries, status.refused.len()),
        (0, 0),
        "every entry has its receipt, the set-aside one too"
    );
    let log_key: [u8; 32] = hex::decode(&bureau.station.log_key)
        .unwrap()
        .try_into()
        .unwrap();
    // The bundle carries the set-aside entry without its act and the signed act that set
    // it aside, naming it; it verifies.
    let (contents, _) = export_and_verify(&mut t, &case, &li, Some(log_key));
    let said = contents
        .entries
        .iter()
        .filter_map(|e| e.entry().ok())
        .rfind(|e| e.action == qc_chain::Action::EntriesSetAside)
        .expect("the act of setting aside");
    assert_eq!(
        said.records.len(),
        2,
        "the record, and her act that named it"
    );
    assert!(said.records.iter().all(|r| {
        contents
            .entries
            .iter()
            .any(|e| e.is_elided() && e.hash() == *r)
    }));
    export_and_verify(&mut t, &other, &li, Some(log_key));

    // The leader's tablet takes both cases, the feed with its set-aside entry verifying.
    let mut leader = bureau
        .tablet(&tmp.path().join("leader"), "一中队", &["liu.jianguo"])
        .unwrap();
    leader.sync().unwrap();
    let held = cases(&leader);
    assert!(held.contains(&case) && held.contains(&other), "{held:?}");
    assert!(leader.verify_case_feeds(&case).unwrap().is_clean());
    assert!(leader.case_file(&case).unwrap().0.is_empty());
}

/// 删除原件: the head approves deleting a photo of bystanders on one tablet; once the approval
/// is logged the station no longer holds the file, another tablet that fetched it drops it at
/// its next sync, and every tablet's bundle of the case, now without the file, verifies.
#[test]
fn an_original_deleted_with_the_heads_approval_goes_from_the_station_and_the_other_tablets() {
    let tmp = tempfile::tempdir().unwrap();
    let mut bureau = Bureau::start(tmp.path()).unwrap();
    let mut a = bureau
        .tablet(
            &tmp.path().join("a"),
            "一中队",
            &["li.ming", "wang.fang", "liu.jianguo", "zhou.wen"],
        )
        .unwrap();
    let mut b = bureau
        .tablet(&tmp.path().join("b"), "一中队", &["li.ming"])
        .unwrap();
    let mut c = bureau
        .tablet(&tmp.path().join("c"), "一中队", &["liu.jianguo"])
        .unwrap();
    let li = a.unlock("li.ming", &pin("li.ming")).unwrap();
    let wang = a.unlock("wang.fang", &pin("wang.fang")).unwrap();
    let liu = a.unlock("liu.jianguo", &pin("liu.jianguo")).unwrap();
    let head = a.unlock("zhou.wen", &pin("zhou.wen")).unwrap();
    // Two cases, each with a photo of bystanders: the approvals come down to B in one sync,
    // each with its own case.
    let mut kept = Vec::new();
    let mut photos = Vec::new();
    for (n, (address, (width, height))) in [("景华路88号", (640, 480)), ("和平路12号", (800, 600))]
        .into_iter()
        .enumerate()
    {
        let case = a
            .register_case(new_case(address, "占道堆放货物"), &li)
            .unwrap()
            .0;
        open_investigation(&mut a, &case, &liu, [&li, &wang]).unwrap();
        photos.push(sample::camera_photo(width, height));
        let item = a
            .add_evidence(
                &case,
                &photos[n][..],
                NewEvidence {
                    file_name: format!("IMG_000{n}.jpg"),
                    description: "围观群众".into(),
                    attestation: None,
                },
                &[&li, &wang],
            )
            .unwrap();
        let (_, ev) = a.case_file(&case).unwrap();
        let hash: [u8; 32] = hex::decode(&ev[0].facts.sha256)
            .unwrap()
            .try_into()
            .unwrap();
        kept.push((case, item, hash));
    }
    a.sync().unwrap();
    b.sync().unwrap();
    for (case, _, hash) in &kept {
        assert!(b.fetch_blob(case, hash).unwrap(), "B holds the file");
    }
    // The evidence backed up as deploy/README.md §10 says: copied, never deleted with it.
    let evidence = bureau.app().unwrap().station_dir().join("blobs");
    let backup = tmp.path().join("backup");
    let back_up = || {
        std::fs::create_dir_all(&backup).unwrap();
        let copied = std::process::Command::new("cp")
            .arg("-a")
            .arg(evidence.join("."))
            .arg(&backup)
            .status()
            .unwrap();
        assert!(copied.success());
    };
    back_up();

    for (case, item, _) in &kept {
        a.delete_original(case, item, "仅拍到与案件无关的路人", &head)
            .unwrap();
    }
    a.sync().unwrap();
    c.sync().unwrap();
    b.sync().unwrap();
    let bli = b.unlock("li.ming", &pin("li.ming")).unwrap();
    for (case, _, hash) in &kept {
        assert!(cases(&c).contains(case), "C sees the case");
        assert!(
            c.fetch_blob(case, hash).is_err(),
            "the station no longer holds it"
        );
        assert!(b.read_blob(hash).is_err(), "B dropped it at its sync");
        let (_, ev) = b.case_file(case).unwrap();
        assert_eq!(ev[0].deleted.as_ref().unwrap().by.name, "周文");
        export_and_verify(&mut a, case, &li, None);
        export_and_verify(&mut b, case, &bli, None);
    }

    // The backup lets the deleted originals go too, as the station lists them, and keeps a
    // file recorded after.
    a.add_evidence(
        &kept[1].0,
        &sample::camera_photo(320, 240)[..],
        NewEvidence {
            file_name: "IMG_0009.jpg".into(),
            description: "整改后现场".into(),
            attestation: None,
        },
        &[&li, &wang],
    )
    .unwrap();
    a.sync().unwrap();
    let (_, ev) = a.case_file(&kept[1].0).unwrap();
    let after = ev.iter().find(|e| e.deleted.is_none()).unwrap();
    back_up();
    // Where the backup holds a file: as the station's directory does, `<xx>/<sha256>`.
    let backed_up = |hex: &str| backup.join(&hex[..2]).join(hex);
    let in_backup = |hex: &str| backed_up(hex).is_file();
    let deleted = bureau
        .deleted_originals(&qc_tests::cli_binary().unwrap())
        .unwrap();
    let mut expected: Vec<String> = kept.iter().map(|(_, _, h)| hex::encode(h)).collect();
    expected.sort();
    let mut listed = deleted.clone();
    listed.sort();
    assert_eq!(listed, expected, "the deleted originals, and only they");
    assert!(
        deleted.iter().all(|h| in_backup(h)),
        "the backup had kept them"
    );
    for hex in &deleted {
        std::fs::remove_file(backed_up(hex)).unwrap();
    }
    assert!(
        in_backup(&after.facts.sha256),
        "the backup keeps the later file"
    );

    // A station stopped after it logged an approval, before it deleted the file (the file held
    // for the case again, the case noted due): it deletes the file when it starts again.
    let (case, _, hash) = &kept[0];
    let size = photos[0].len() as u64;
    bureau.stop();
    {
        use qc_station_storage::Storage as _;
        let storage = bureau.app().unwrap().station_storage().unwrap();
        storage.keep_whole_blob(hash, &photos[0], None).unwrap();
        storage.link_blob(hash, case).unwrap();
        storage
            .note_deletions_due(std::slice::from_ref(case))
            .unwrap();
        assert!(storage.blob_in_case(hash, case).unwrap());
        assert!(storage.open_blob_range(hash, size, 0..10).is_ok());
    }
    bureau.restart().unwrap();
    assert!(
        c.fetch_blob(case, hash).is_err(),
        "deleted when the station started again"
    );
    use qc_station_storage::Storage as _;
    let storage = bureau.app().unwrap().station_storage().unwrap();
    assert!(storage.deletions_due().unwrap().is_empty());
    assert!(
        !storage.blob_in_case(hash, case).unwrap() && storage.blob_state(hash).unwrap().is_none()
    );
    assert!(
        storage.open_blob_range(hash, size, 0..10).is_err(),
        "the bytes gone"
    );

    // An approved deletion that failed while the station serves (the same state made behind
    // its back) is done by its upkeep, without a restart.
    storage.keep_whole_blob(hash, &photos[0], None).unwrap();
    storage.link_blob(hash, case).unwrap();
    storage
        .note_deletions_due(std::slice::from_ref(case))
        .unwrap();
    let until = std::time::Instant::now() + 50 * TEST_UPKEEP_EVERY;
    while !storage.deletions_due().unwrap().is_empty() && std::time::Instant::now() < until {
        std::thread::sleep(TEST_UPKEEP_EVERY / 4);
    }
    assert!(
        storage.deletions_due().unwrap().is_empty(),
        "done by the serving station's upkeep"
    );
    assert!(
        storage.open_blob_range(hash, size, 0..10).is_err() && c.fetch_blob(case, hash).is_err(),
        "the bytes gone again"
    );
}
