use qc_domain::*;
use qc_evidence::sample;

use super::*;
use crate::tests::{init_at, new_case, pin};

struct Desk {
    _tmp: tempfile::TempDir,
    app: Quancheng,
    li: Unlocked,
    wang: Unlocked,
    chen: Unlocked,
    liu: Unlocked,
    case: String,
}

/// A case under investigation by 李明 and 王芳, with 陈协 (assistant) unlocked too.
fn desk() -> Desk {
    let tmp = tempfile::tempdir().unwrap();
    let (_d, mut app) = init_at(tmp.path());
    let li = app.unlock("li.ming", &pin("li.ming")).unwrap();
    let wang = app.unlock("wang.fang", &pin("wang.fang")).unwrap();
    let chen = app.unlock("chen.xie", &pin("chen.xie")).unwrap();
    let liu = app.unlock("liu.jianguo", &pin("liu.jianguo")).unwrap();
    let case = app.register_case(new_case(), &li).unwrap().0;
    app.record_act(&case, Act::File, &[&liu]).unwrap();
    app.record_act(
        &case,
        Act::StartInvestigation {
            team: vec![li.person().id.clone(), wang.person().id.clone()],
        },
        &[&liu],
    )
    .unwrap();
    Desk {
        _tmp: tmp,
        app,
        li,
        wang,
        chen,
        liu,
        case,
    }
}

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

fn transcript(officers: Vec<OfficerRef>, at: Timestamp) -> RecordBody {
    RecordBody::Questioning(Questioning {
        interviewee: Interviewee {
            name: "张三".into(),
            id_number: None,
            phone: None,
            capacity: "当事人".into(),
        },
        location: "景华路88号".into(),
        started_at: at,
        ended_at: None,
        officers,
        rights_acknowledged: true,
        recusal_asked: true,
        pages: vec![],
    })
}

fn complete_inspection(r: &mut Record) -> Result<(), ApiError> {
    if let RecordBody::Inspection(i) = &mut r.body {
        i.found = "店外占道堆放货物约3平方米".into();
        i.ended_at = Some(Timestamp(i.started_at.0 + 1_800_000));
        i.outcome = Some(Outcome721::Management);
    }
    Ok(())
}

/// 李明 and 王芳 note that the party refused to sign and no witness was there.
fn note_refusal(d: &mut Desk, record: &str) {
    let (li, wang) = (&d.li, &d.wang);
    d.app
        .sign_off(
            &d.case,
            record,
            Signoff::OfficersNote {
                note: "当事人拒绝签名，现场无见证人".into(),
                party_did_not_sign: NoPartySignature::Refused,
            },
            &[li, wang],
        )
        .unwrap();
}

/// An inspection record by 李明 and 王芳, complete and signed off, ready to seal.
fn ready_inspection(d: &mut Desk) -> String {
    let (li, wang) = (&d.li, &d.wang);
    let id = d
        .app
        .create_record(&d.case, inspection, None, &[li, wang])
        .unwrap();
    d.app
        .edit_record(&d.case, &id, &[li], complete_inspection)
        .unwrap();
    note_refusal(d, &id);
    id
}

fn ask(r: &mut Record, question: &str, answer: &str) {
    if let RecordBody::Questioning(q) = &mut r.body {
        let n = record::open_page(q);
        if n == q.pages.len() {
            q.pages.push(Page::default());
        }
        q.pages[n].qa.push(Qa {
            question: question.into(),
            answer: answer.into(),
        });
    }
}

fn entries(d: &Desk) -> Vec<qc_chain::Action> {
    let report = d.app.verify_case_feeds(&d.case).unwrap();
    assert!(report.is_clean(), "{:?}", report.problems);
    report.entries.into_iter().map(|e| e.entry.action).collect()
}

#[test]
fn an_inspection_record_is_signed_sealed_and_then_immutable() {
    let mut d = desk();
    let (li, wang) = (&d.li, &d.wang);
    let id = d
        .app
        .create_record(&d.case, inspection, None, &[li, wang])
        .unwrap();
    // Incomplete: sealing says what is missing and writes nothing.
    let before = d.app.ledger_len().unwrap();
    let e = d.app.seal_record(&d.case, &id, &[li, wang]).unwrap_err();
    assert_eq!(e.code(), "record_incomplete");
    assert!(
        e.message_zh().contains("现场检查情况"),
        "{}",
        e.message_zh()
    );
    assert_eq!(d.app.ledger_len().unwrap(), before);

    d.app
        .edit_record(&d.case, &id, &[li], complete_inspection)
        .unwrap();
    let e = d.app.seal_record(&d.case, &id, &[li, wang]).unwrap_err();
    assert!(e.message_zh().contains("当事人签名"), "{}", e.message_zh());
    let png = sample::signature_png(300, 100);
    d.app
        .sign_off(
            &d.case,
            &id,
            Signoff::Party {
                name: "张三".into(),
                image: &png,
            },
            &[li],
        )
        .unwrap();
    // One officer cannot seal; an assistant cannot help.
    assert_eq!(
        d.app.seal_record(&d.case, &id, &[li]).unwrap_err().code(),
        "too_few_officers"
    );
    assert_eq!(
        d.app
            .seal_record(&d.case, &id, &[li, &d.chen])
            .unwrap_err()
            .code(),
        "not_enforcement_officer"
    );
    d.app.seal_record(&d.case, &id, &[li, wang]).unwrap();

    // Sealed: no edit, no new signature, no second seal.
    let e = d
        .app
        .edit_record(&d.case, &id, &[li], complete_inspection)
        .unwrap_err();
    assert_eq!(e.code(), "record_sealed");
    assert!(e.message_zh().contains("更正"));
    assert_eq!(
        d.app
            .seal_record(&d.case, &id, &[li, wang])
            .unwrap_err()
            .code(),
        "record_sealed"
    );

    let (records, _) = d.app.case_file(&d.case).unwrap();
    let sealed = &records[0];
    let seal = sealed.seal.as_ref().unwrap();
    assert_eq!(
        seal.by,
        vec![li.person().id.clone(), wang.person().id.clone()]
    );
    let Some(PartySignoff::Party { image, .. }) = &sealed.live.signoff else {
        panic!("no party signature")
    };
    assert_eq!(
        d.app.read_blob(&unhex(image).unwrap()).unwrap(),
        png,
        "the signature image is kept as it was drawn"
    );
    use qc_chain::Action::*;
    assert_eq!(
        entries(&d)[3..],
        [RecordCreated, RecordEdited, SignatureAdded, RecordSealed]
    );
}

#[test]
fn a_correction_is_a_new_record_pointing_at_the_sealed_one() {
    let mut d = desk();
    let id = ready_inspection(&mut d);
    let (li, wang) = (&d.li, &d.wang);
    // Only a sealed record can be corrected.
    assert_eq!(
        d.app
            .create_record(&d.case, inspection, Some(&id), &[li, wang])
            .unwrap_err()
            .code(),
        "invalid"
    );
    d.app.seal_record(&d.case, &id, &[li, wang]).unwrap();
    assert_eq!(
        d.app
            .create_record(&d.case, transcript, Some(&id), &[li, wang])
            .unwrap_err()
            .code(),
        "wrong_record_kind"
    );
    let fix = d
        .app
        .create_record(&d.case, inspection, Some(&id), &[li, wang])
        .unwrap();
    let (records, _) = d.app.case_file(&d.case).unwrap();
    let correction = records.iter().find(|r| r.live.id == fix).unwrap();
    assert_eq!(correction.live.corrects.as_deref(), Some(id.as_str()));
    let digest = records.iter().find(|r| r.live.id == id).unwrap();
    let sealed = unhex(&digest.seal.as_ref().unwrap().digest).unwrap();
    assert_eq!(
        entries(&d).last(),
        Some(&qc_chain::Action::Correction { corrects: sealed })
    );
}

#[test]
fn a_transcript_is_signed_page_by_page_and_signed_pages_are_frozen() {
    let mut d = desk();
    let (li, wang) = (&d.li, &d.wang);
    let id = d
        .app
        .create_record(&d.case, transcript, None, &[li, wang])
        .unwrap();
    d.app
        .edit_record(&d.case, &id, &[li], |r| {
            ask(r, "你是否是该店经营者？", "是。");
            ask(r, "货物是否为你所放？", "是，临时放一下。");
            Ok(())
        })
        .unwrap();
    let png = sample::signature_png(300, 100);
    d.app
        .close_page(&d.case, &id, 1, PageClose::Signed(&png), &[li])
        .unwrap();
    // Page 1 is frozen: changing an answer on it is refused, and nothing is written.
    let before = d.app.ledger_len().unwrap();
    let e = d
        .app
        .edit_record(&d.case, &id, &[li], |r| {
            if let RecordBody::Questioning(q) = &mut r.body {
                q.pages[0].qa[0].answer = "不是。".into();
            }
            Ok(())
        })
        .unwrap_err();
    assert_eq!(e.code(), "page_signed");
    assert_eq!(d.app.ledger_len().unwrap(), before);
    // New questions go on page 2.
    d.app
        .edit_record(&d.case, &id, &[li], |r| {
            ask(r, "以上内容是否属实？", "属实。");
            if let RecordBody::Questioning(q) = &mut r.body {
                q.ended_at = Some(Timestamp(q.started_at.0 + 2_400_000));
            }
            Ok(())
        })
        .unwrap();
    let e = d.app.seal_record(&d.case, &id, &[li, wang]).unwrap_err();
    assert!(e.message_zh().contains("第2页"), "{}", e.message_zh());
    assert_eq!(
        d.app
            .close_page(&d.case, &id, 2, PageClose::Refused(" ".into()), &[li])
            .unwrap_err()
            .code(),
        "empty_field"
    );
    assert_eq!(
        d.app
            .close_page(&d.case, &id, 2, PageClose::Signed(b"not an image"), &[li])
            .unwrap_err()
            .code(),
        "invalid"
    );
    d.app
        .close_page(
            &d.case,
            &id,
            2,
            PageClose::Refused("被询问人拒绝在本页签名".into()),
            &[li, wang],
        )
        .unwrap();
    d.app.seal_record(&d.case, &id, &[li, wang]).unwrap();

    let (records, _) = d.app.case_file(&d.case).unwrap();
    let RecordBody::Questioning(q) = &records[0].authoritative().unwrap().body else {
        panic!("not a transcript")
    };
    assert_eq!(q.pages.len(), 2);
    let Some(PageSignature::Signed { page_digest, .. }) = &q.pages[0].signature else {
        panic!("page 1 unsigned")
    };
    assert_eq!(
        *page_digest,
        hex::encode(page_digest_of(&q.pages[0].qa)),
        "the signature binds the page's content"
    );
    use qc_chain::Action::*;
    assert_eq!(
        entries(&d)[3..],
        [
            RecordCreated,
            RecordEdited,
            SignatureAdded,
            RecordEdited,
            RefusalNoted,
            RecordSealed
        ]
    );
}

fn page_digest_of(qa: &[Qa]) -> [u8; 32] {
    page_digest(qa).unwrap()
}

#[test]
fn evidence_by_one_officer_awaits_the_second_and_is_exported_with_its_files() {
    let mut d = desk();
    let (li, wang) = (&d.li, &d.wang);
    let photo = sample::camera_photo(1600, 1200);
    let new = || NewEvidence {
        file_name: "IMG_0001.jpg".into(),
        description: "店外占道堆放的货物".into(),
        attestation: None,
    };
    // An assistant cannot capture evidence.
    assert_eq!(
        d.app
            .add_evidence(&d.case, &photo[..], new(), &[&d.chen])
            .unwrap_err()
            .code(),
        "not_enforcement_officer"
    );
    let id = d
        .app
        .add_evidence(&d.case, &photo[..], new(), &[li])
        .unwrap();
    let (_, ev) = d.app.case_file(&d.case).unwrap();
    assert!(!ev[0].sealed());
    assert_eq!(ev[0].status_zh(), "待第二名执法人员签名");
    let exif = ev[0].facts.exif.clone().unwrap();
    assert_eq!(exif.model.as_deref(), Some("DSJ-X1"));
    assert!(exif.gps.is_some());
    assert_eq!(ev[0].facts.mime, "image/jpeg");
    assert!(ev[0].facts.thumbnail.is_some());
    // The same officer cannot be the second; an assistant cannot either.
    assert_eq!(
        d.app.cosign_evidence(&d.case, &id, li).unwrap_err().code(),
        "invalid"
    );
    assert_eq!(
        d.app
            .cosign_evidence(&d.case, &id, &d.chen)
            .unwrap_err()
            .code(),
        "not_enforcement_officer"
    );
    d.app.cosign_evidence(&d.case, &id, wang).unwrap();
    let (_, ev) = d.app.case_file(&d.case).unwrap();
    assert!(ev[0].sealed());
    // Two officers together seal at once.
    d.app
        .add_evidence(&d.case, &photo[..200_000], new(), &[li, wang])
        .unwrap();
    let stored = d
        .app
        .read_blob(&unhex(&ev[0].facts.sha256).unwrap())
        .unwrap();
    assert_eq!(stored, photo, "the original bytes, unchanged");
    use qc_chain::Action::*;
    assert_eq!(
        entries(&d)[3..],
        [EvidenceAwaitingSecond, EvidenceCosigned, EvidenceCaptured]
    );

    // The export carries the files, and the bundle verifies.
    let mut bundle = Vec::new();
    let contents = d.app.export_case(&d.case, li, &mut bundle).unwrap();
    assert!(contents.blobs.values().any(|b| *b == photo));
    let (read, integrity) = qc_bundle::read(&bundle[..]).unwrap();
    let report = qc_bundle::verify(&read, &integrity, None, None);
    assert!(report.problems.is_empty(), "{:?}", report.problems);
}

#[test]
fn bad_evidence_files_are_refused_and_nothing_is_written() {
    let mut d = desk();
    let before = d.app.ledger_len().unwrap();
    let files = |d: &Desk| {
        walk(&d.app.data_dir().root().join("blobs"))
            .into_iter()
            .filter(|p| !p.to_string_lossy().contains("/tmp/"))
            .count()
    };
    let held = files(&d);
    for (bytes, code) in [
        (&b""[..], "evidence_empty"),
        (
            &b"#!/bin/sh\necho not evidence, just a script with enough bytes to sniff it\n"[..],
            "evidence_unsupported",
        ),
    ] {
        let e = d
            .app
            .add_evidence(
                &d.case,
                bytes,
                NewEvidence {
                    file_name: "x.jpg".into(),
                    description: String::new(),
                    attestation: None,
                },
                &[&d.li, &d.wang],
            )
            .unwrap_err();
        assert_eq!(e.code(), code);
        assert!(!e.message_zh().is_empty());
    }
    assert_eq!(d.app.ledger_len().unwrap(), before);
    assert_eq!(files(&d), held, "no blob left behind");
    assert!(walk(&d.app.data_dir().root().join("blobs").join("tmp")).is_empty());
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// Issues a notice of `kind`, has a witness sign it off and seals it; the case's deadlines after.
fn sealed_notice(kind: NoticeKind) -> Vec<DeadlineKind> {
    let mut d = desk();
    let (li, wang) = (&d.li, &d.wang);
    let draft = NoticeDraft {
        kind,
        items: vec![NoticeItem {
            name: "货物（纸箱）".into(),
            quantity: "12箱".into(),
        }],
        kept_at: "中队暂扣物品仓库".into(),
        party: None,
    };
    let id = d.app.issue_notice(&d.case, draft, &[li, wang]).unwrap();
    // Not sealed before the party (or a witness) has signed it off.
    assert!(d.app.seal_record(&d.case, &id, &[li, wang]).is_err());
    d.app
        .sign_off(
            &d.case,
            &id,
            Signoff::Witness {
                name: "李四".into(),
                id_number: None,
                party_absent_reason: "当事人不在场".into(),
                party_did_not_sign: NoPartySignature::Absent,
                image: &sample::signature_png(200, 80),
            },
            &[li],
        )
        .unwrap();
    d.app.seal_record(&d.case, &id, &[li, wang]).unwrap();
    let detail = d.app.case_detail(&d.case).unwrap();
    detail.row.deadlines.into_iter().map(|d| d.kind).collect()
}

#[test]
fn a_preservation_notice_opens_its_seven_day_deadline_when_sealed_and_a_sampling_notice_none() {
    let preserved = sealed_notice(NoticeKind::Preservation);
    assert!(
        preserved
            .iter()
            .any(|k| matches!(k, DeadlineKind::Preservation { .. })),
        "{preserved:?}"
    );
    let sampled = sealed_notice(NoticeKind::Sampling);
    assert!(
        !sampled
            .iter()
            .any(|k| matches!(k, DeadlineKind::Preservation { .. })),
        "{sampled:?}"
    );
}

#[test]
fn a_merge_that_disturbs_a_sealed_record_keeps_the_seal_and_flags_the_edit() {
    let mut d = desk();
    let id = ready_inspection(&mut d);
    let (li, wang) = (&d.li, &d.wang);
    let other = d
        .app
        .create_record(&d.case, inspection, None, &[li, wang])
        .unwrap();
    // Another tablet holds the record as it was before the seal and edits it offline, and
    // also edits the other (unsealed) record.
    let mut remote = d.app.store.case_doc(&d.case, b"tablet-b").unwrap();
    let edit_found = |remote: &mut qc_casedoc::CaseDoc, rid: &str, text: &str| {
        let mut r = remote.record(rid).unwrap().unwrap().live;
        if let RecordBody::Inspection(i) = &mut r.body {
            i.found = text.into();
        }
        remote.put_record(&r, Timestamp(0)).unwrap();
    };
    edit_found(&mut remote, &id, "店外占道堆放货物约30平方米");
    edit_found(&mut remote, &other, "店内无异常");
    d.app.seal_record(&d.case, &id, &[li, wang]).unwrap();
    let sealed_before = d.app.case_file(&d.case).unwrap().0;
    let entries_before = d.app.ledger_len().unwrap();

    assert_eq!(d.app.merge_case(&remote.save(), &[], &[]).unwrap(), 1);
    let (records, _) = d.app.case_file(&d.case).unwrap();
    let r = records.iter().find(|r| r.live.id == id).unwrap();
    let before = sealed_before.iter().find(|r| r.live.id == id).unwrap();
    assert_eq!(r.seal, before.seal, "the seal is untouched");
    assert_eq!(
        r.authoritative().unwrap(),
        before.authoritative().unwrap(),
        "the signed version stays authoritative"
    );
    assert_eq!(r.conflicts.len(), 1);
    assert!(
        r.conflicts[0].content.contains("30平方米"),
        "the conflicting edit is kept"
    );
    // The unsealed record simply took the other tablet's edit.
    let o = records.iter().find(|r| r.live.id == other).unwrap();
    assert!(o.conflicts.is_empty());
    assert!(format!("{:?}", o.live).contains("店内无异常"));
    // One signed entry records the conflict, naming the sealed and the conflicting digest.
    assert_eq!(d.app.ledger_len().unwrap(), entries_before + 1);
    let report = d.app.verify_case_feeds(&d.case).unwrap();
    assert!(report.is_clean(), "{:?}", report.problems);
    let last = &report.entries.last().unwrap().entry;
    assert_eq!(last.action, qc_chain::Action::MergeConflict);
    assert_eq!(
        last.records[0],
        unhex(&r.seal.as_ref().unwrap().digest).unwrap()
    );
    assert_eq!(last.records[1], unhex(&r.conflicts[0].digest).unwrap());

    // Merging the same changes again changes nothing and records nothing.
    assert_eq!(d.app.merge_case(&remote.save(), &[], &[]).unwrap(), 0);
    assert_eq!(d.app.ledger_len().unwrap(), entries_before + 1);
}

#[test]
fn an_inspection_started_written_signed_off_and_sealed_through_the_app_calls() {
    let mut d = desk();
    let (li, wang) = (&d.li, &d.wang);
    let id = d.app.start_inspection(&d.case, &[li, wang]).unwrap();
    let edit = |found: &str, finished| InspectionEdit {
        found: found.into(),
        outcome: Some(Outcome721::Management),
        party_notified: true,
        party_present: true,
        finished,
    };
    d.app
        .update_inspection(&d.case, &id, edit("店外占道堆放货物约3平方米", true), &[li])
        .unwrap();
    note_refusal(&mut d, &id);
    d.app.seal_record(&d.case, &id, &[&d.li, &d.wang]).unwrap();
    let (records, _) = d.app.case_file(&d.case).unwrap();
    match records[0].authoritative().unwrap().body {
        RecordBody::Inspection(i) => {
            assert_eq!(i.found, "店外占道堆放货物约3平方米");
            assert_eq!(i.place.address, "景华路88号");
            assert!(i.ended_at.is_some());
            assert_eq!(i.officers.len(), 2);
        }
        other => panic!("{other:?}"),
    }
    let e = d
        .app
        .update_inspection(&d.case, &id, edit("改过", true), &[&d.li])
        .unwrap_err();
    assert_eq!(e.code(), "record_sealed", "{e}");
}

#[test]
fn a_transcript_of_two_pages_each_signed_or_refused_is_sealed_through_the_app_calls() {
    let mut d = desk();
    let (li, wang) = (&d.li, &d.wang);
    let who = Interviewee {
        name: "张三".into(),
        id_number: None,
        phone: None,
        capacity: "当事人".into(),
    };
    let id = d
        .app
        .start_questioning(&d.case, who, true, &[li, wang])
        .unwrap();
    let qa = |q: &str, a: &str| Qa {
        question: q.into(),
        answer: a.into(),
    };
    d.app
        .add_answer(&d.case, &id, qa("你是否是该店经营者？", "是。"), &[li])
        .unwrap();
    let png = sample::signature_png(300, 100);
    d.app
        .close_page(&d.case, &id, 1, PageClose::Signed(&png), &[li])
        .unwrap();
    // The first page is signed: the next answer starts page two.
    d.app
        .add_answer(&d.case, &id, qa("货物是否为你所放？", "是。"), &[li])
        .unwrap();
    d.app
        .close_page(
            &d.case,
            &id,
            2,
            PageClose::Refused("拒绝签名".into()),
            &[li],
        )
        .unwrap();
    d.app.end_questioning(&d.case, &id, &[li]).unwrap();
    d.app.seal_record(&d.case, &id, &[li, wang]).unwrap();
    let (records, _) = d.app.case_file(&d.case).unwrap();
    match records[0].authoritative().unwrap().body {
        RecordBody::Questioning(q) => {
            assert_eq!(q.pages.len(), 2);
            assert!(q.pages.iter().all(|p| p.signature.is_some()));
            assert_eq!(q.location, "景华路88号");
        }
        other => panic!("{other:?}"),
    }
}

/// Every way a record is written, tried by `by` on `case` (and, where one is given, on the
/// existing record `on`): the error codes, in order. Nothing may be written.
fn every_record_write(
    app: &mut Quancheng,
    case: &str,
    on: Option<&str>,
    by: &[&Unlocked],
) -> Vec<String> {
    let before = app.ledger_len().unwrap();
    let png = sample::signature_png(300, 100);
    let who = || Interviewee {
        name: "张三".into(),
        id_number: None,
        phone: None,
        capacity: "当事人".into(),
    };
    let draft = || NoticeDraft {
        kind: NoticeKind::Preservation,
        items: vec![NoticeItem {
            name: "货物（纸箱）".into(),
            quantity: "12箱".into(),
        }],
        kept_at: "中队暂扣物品仓库".into(),
        party: None,
    };
    let code = |r: Result<(), ApiError>| r.map_or_else(|e| e.code().to_owned(), |()| "ok".into());
    let mut codes = vec![
        code(app.create_record(case, inspection, None, by).map(drop)),
        code(app.start_inspection(case, by).map(drop)),
        code(app.start_questioning(case, who(), true, by).map(drop)),
        code(app.issue_notice(case, draft(), by).map(drop)),
    ];
    if let Some(r) = on {
        let qa = Qa {
            question: "货物是否为你所放？".into(),
            answer: "是。".into(),
        };
        codes.extend([
            code(app.edit_record(case, r, by, complete_inspection)),
            code(app.update_inspection(
                case,
                r,
                InspectionEdit {
                    found: "改".into(),
                    outcome: None,
                    party_notified: true,
                    party_present: true,
                    finished: false,
                },
                by,
            )),
            code(app.add_answer(case, r, qa, by)),
            code(app.end_questioning(case, r, by)),
            code(app.close_page(case, r, 1, PageClose::Signed(&png), by)),
            code(app.sign_off(
                case,
                r,
                Signoff::Party {
                    name: "张三".into(),
                    image: &png,
                },
                by,
            )),
            code(app.seal_record(case, r, by)),
        ]);
    }
    assert_eq!(
        app.ledger_len().unwrap(),
        before,
        "a refused act writes nothing"
    );
    codes
}

fn all_refused(codes: &[String], code: &str) {
    assert!(codes.iter().all(|c| c == code), "{codes:?}");
}

#[test]
fn no_record_on_a_case_never_filed_or_not_filed_or_not_yet_investigated() {
    let mut d = desk();
    let registered = d.app.register_case(new_case(), &d.li).unwrap().0;
    let codes = every_record_write(&mut d.app, &registered, None, &[&d.li, &d.wang]);
    all_refused(&codes, "record_outside_investigation");
    let e = d
        .app
        .start_inspection(&registered, &[&d.li, &d.wang])
        .unwrap_err();
    assert!(e.message_zh().contains("“登记”阶段"), "{}", e.message_zh());
    assert!(e.message_zh().contains("调查取证"), "{}", e.message_zh());
    // Filed, but no one assigned yet.
    d.app.record_act(&registered, Act::File, &[&d.liu]).unwrap();
    let codes = every_record_write(&mut d.app, &registered, None, &[&d.li, &d.wang]);
    all_refused(&codes, "record_outside_investigation");
    // Not filed at all.
    let declined = d.app.register_case(new_case(), &d.li).unwrap().0;
    d.app
        .record_act(
            &declined,
            Act::DeclineFiling {
                reason: "经核查，违法事实不成立".into(),
            },
            &[&d.liu],
        )
        .unwrap();
    let codes = every_record_write(&mut d.app, &declined, None, &[&d.li, &d.wang]);
    all_refused(&codes, "record_outside_investigation");
}

#[test]
fn no_record_on_a_closed_case() {
    let mut d = desk();
    crate::demo::load(&mut d.app).unwrap();
    let closed = d
        .app
        .list_cases(&qc_store::CaseFilter {
            status: Some("closed".into()),
            squad: Some("一中队".into()),
            ..Default::default()
        })
        .unwrap();
    // One investigated by 李明 (who may write its records while it is investigated); the
    // demo's on-the-spot decision is closed too, without an investigation.
    let closed = &closed
        .iter()
        .find(|c| {
            let team = d.app.case_detail(&c.id).unwrap().team;
            team.iter().any(|m| m.id == "li.ming")
        })
        .expect("a closed demo case of 一中队 investigated by 李明")
        .id;
    let codes = every_record_write(&mut d.app, closed, None, &[&d.li, &d.wang]);
    all_refused(&codes, "record_outside_investigation");
    let e = d
        .app
        .start_inspection(closed, &[&d.li, &d.wang])
        .unwrap_err();
    assert!(e.message_zh().contains("“结案”阶段"), "{}", e.message_zh());
}

#[test]
fn another_squads_officers_write_no_record_on_the_case() {
    let mut d = desk();
    let zhao = d.app.unlock("zhao.qiang", &pin("zhao.qiang")).unwrap();
    let sun = d.app.unlock("sun.hao", &pin("sun.hao")).unwrap();
    let record = d.app.start_inspection(&d.case, &[&d.li, &d.wang]).unwrap();
    let case = d.case.clone();
    let codes = every_record_write(&mut d.app, &case, Some(&record), &[&zhao, &sun]);
    all_refused(&codes, "not_on_team");
    let e = d.app.start_inspection(&case, &[&zhao, &sun]).unwrap_err();
    assert!(
        e.message_zh().contains("赵强不是本案的调查人员"),
        "{}",
        e.message_zh()
    );
}

#[test]
fn officers_not_on_the_team_write_no_record_not_even_the_squad_leader() {
    let mut d = desk();
    let record = d.app.start_inspection(&d.case, &[&d.li, &d.wang]).unwrap();
    let case = d.case.clone();
    // The squad leader is a certified officer of the squad, but not on this case's team.
    let codes = every_record_write(&mut d.app, &case, Some(&record), &[&d.li, &d.liu]);
    all_refused(&codes, "not_on_team");
    let codes = every_record_write(&mut d.app, &case, Some(&record), &[&d.liu]);
    all_refused(&codes, "not_on_team");
    // A case the leader gave to 李明 and himself: 王芳 is not on it.
    let other = d.app.register_case(new_case(), &d.li).unwrap().0;
    d.app.record_act(&other, Act::File, &[&d.liu]).unwrap();
    d.app
        .record_act(
            &other,
            Act::StartInvestigation {
                team: vec![d.li.person().id.clone(), d.liu.person().id.clone()],
            },
            &[&d.liu],
        )
        .unwrap();
    let codes = every_record_write(&mut d.app, &other, None, &[&d.li, &d.wang]);
    all_refused(&codes, "not_on_team");
    let e = d
        .app
        .start_inspection(&other, &[&d.li, &d.wang])
        .unwrap_err();
    assert!(e.message_zh().contains("王芳"), "{}", e.message_zh());
    d.app.start_inspection(&other, &[&d.li, &d.liu]).unwrap();
}

#[test]
fn a_recused_officer_writes_no_record() {
    let mut d = desk();
    let record = d.app.start_inspection(&d.case, &[&d.li, &d.wang]).unwrap();
    d.app
        .record_act(
            &d.case,
            Act::Recuse {
                officer: d.wang.person().id.clone(),
                reason: "当事人系本人亲属".into(),
            },
            &[&d.wang],
        )
        .unwrap();
    let case = d.case.clone();
    let codes = every_record_write(&mut d.app, &case, Some(&record), &[&d.li, &d.wang]);
    all_refused(&codes, "recused");
    let codes = every_record_write(&mut d.app, &case, Some(&record), &[&d.wang]);
    all_refused(&codes, "recused");
    // 李明 may still write on his own.
    d.app
        .edit_record(&case, &record, &[&d.li], complete_inspection)
        .unwrap();
}

#[test]
fn after_the_investigation_only_a_correction_and_only_by_the_team() {
    let mut d = desk();
    let sealed = ready_inspection(&mut d);
    d.app
        .seal_record(&d.case, &sealed, &[&d.li, &d.wang])
        .unwrap();
    let left_open = d.app.start_inspection(&d.case, &[&d.li, &d.wang]).unwrap();
    d.app
        .record_act(
            &d.case,
            Act::ConcludeInvestigation {
                summary: "违法事实清楚，证据确凿".into(),
            },
            &[&d.li, &d.wang],
        )
        .unwrap();
    let case = d.case.clone();
    // A new record, or finishing one that is not a correction, belongs to the investigation.
    let codes = every_record_write(&mut d.app, &case, Some(&left_open), &[&d.li, &d.wang]);
    all_refused(&codes, "record_outside_investigation");
    // A correction of the sealed record is still made, signed off and sealed, by the team.
    assert_eq!(
        d.app
            .create_record(&case, inspection, Some(&sealed), &[&d.li, &d.liu])
            .unwrap_err()
            .code(),
        "not_on_team"
    );
    let fix = d
        .app
        .create_record(&case, inspection, Some(&sealed), &[&d.li, &d.wang])
        .unwrap();
    d.app
        .edit_record(&case, &fix, &[&d.li], complete_inspection)
        .unwrap();
    note_refusal(&mut d, &fix);
    assert_eq!(
        d.app
            .seal_record(&case, &fix, &[&d.li, &d.liu])
            .unwrap_err()
            .code(),
        "not_on_team"
    );
    d.app.seal_record(&case, &fix, &[&d.li, &d.wang]).unwrap();
}

/// An inspection of the case's party 张三 by 李明 and 王芳, complete but not signed off.
fn inspection_of_a_known_party(d: &mut Desk, present: bool) -> (String, String) {
    let mut new = new_case();
    new.parties = vec![Party {
        kind: PartyKind::Person,
        name: "张三".into(),
        id_number: None,
        phone: None,
    }];
    let case = d.app.register_case(new, &d.li).unwrap().0;
    d.app.record_act(&case, Act::File, &[&d.liu]).unwrap();
    d.app
        .record_act(
            &case,
            Act::StartInvestigation {
                team: vec![d.li.person().id.clone(), d.wang.person().id.clone()],
            },
            &[&d.liu],
        )
        .unwrap();
    let id = d.app.start_inspection(&case, &[&d.li, &d.wang]).unwrap();
    d.app
        .update_inspection(
            &case,
            &id,
            InspectionEdit {
                found: "店外占道堆放货物约3平方米".into(),
                outcome: Some(Outcome721::Management),
                party_notified: true,
                party_present: present,
                finished: true,
            },
            &[&d.li],
        )
        .unwrap();
    (case, id)
}

#[test]
fn the_sign_off_agrees_with_whether_the_party_attended() {
    let mut d = desk();
    let png = sample::signature_png(300, 100);
    let (case, id) = inspection_of_a_known_party(&mut d, false);
    let (records, _) = d.app.case_file(&case).unwrap();
    let RecordBody::Inspection(i) = &records[0].live.body else {
        panic!()
    };
    assert_eq!(
        i.party.as_ref().map(|p| p.name.as_str()),
        Some("张三"),
        "the record names the case's party"
    );
    let before = d.app.ledger_len().unwrap();
    // Absent, yet "the party signed".
    let party = || Signoff::Party {
        name: "张三".into(),
        image: &png,
    };
    let e = d.app.sign_off(&case, &id, party(), &[&d.li]).unwrap_err();
    assert_eq!(e.code(), "absent_party_signed");
    // Absent, yet "the party refused".
    let noted = |why| Signoff::OfficersNote {
        note: "当事人拒绝签名，现场无见证人".into(),
        party_did_not_sign: why,
    };
    let e = d
        .app
        .sign_off(&case, &id, noted(NoPartySignature::Refused), &[&d.li])
        .unwrap_err();
    assert_eq!(e.code(), "no_signature_reason_mismatch");
    assert!(
        e.message_zh().contains("当事人不在场"),
        "{}",
        e.message_zh()
    );
    // The party cannot witness for themselves, nor an officer of the record.
    for name in ["张三", "王芳"] {
        let e = d
            .app
            .sign_off(
                &case,
                &id,
                Signoff::Witness {
                    name: name.into(),
                    id_number: None,
                    party_absent_reason: "当事人不在场".into(),
                    party_did_not_sign: NoPartySignature::Absent,
                    image: &png,
                },
                &[&d.li],
            )
            .unwrap_err();
        assert_eq!(e.code(), "witness_not_uninterested", "{name}");
    }
    assert_eq!(d.app.ledger_len().unwrap(), before, "nothing written");
    // An uninterested witness, for an absent party.
    d.app
        .sign_off(
            &case,
            &id,
            Signoff::Witness {
                name: "李四".into(),
                id_number: Some("410302199001011234".into()),
                party_absent_reason: "当事人经通知未到场".into(),
                party_did_not_sign: NoPartySignature::Absent,
                image: &png,
            },
            &[&d.li],
        )
        .unwrap();
    // Changing the record afterwards to "the party attended" makes it inconsistent: no seal.
    let present = InspectionEdit {
        found: "店外占道堆放货物约3平方米".into(),
        outcome: Some(Outcome721::Management),
        party_notified: true,
        party_present: true,
        finished: true,
    };
    d.app
        .update_inspection(&case, &id, present, &[&d.li])
        .unwrap();
    let e = d
        .app
        .seal_record(&case, &id, &[&d.li, &d.wang])
        .unwrap_err();
    assert_eq!(e.code(), "no_signature_reason_mismatch");
    // The party attended and refused; the officers note it: consistent, sealed.
    d.app
        .sign_off(&case, &id, noted(NoPartySignature::Refused), &[&d.li])
        .unwrap();
    d.app.seal_record(&case, &id, &[&d.li, &d.wang]).unwrap();
}

#[test]
fn a_known_party_not_notified_to_attend_and_absent_cannot_be_sealed() {
    let mut d = desk();
    let (case, id) = inspection_of_a_known_party(&mut d, false);
    d.app
        .sign_off(
            &case,
            &id,
            Signoff::OfficersNote {
                note: "当事人不在场，现场无见证人".into(),
                party_did_not_sign: NoPartySignature::Absent,
            },
            &[&d.li],
        )
        .unwrap();
    let not_notified = InspectionEdit {
        found: "店外占道堆放货物约3平方米".into(),
        outcome: Some(Outcome721::Management),
        party_notified: false,
        party_present: false,
        finished: true,
    };
    d.app
        .update_inspection(&case, &id, not_notified.clone(), &[&d.li])
        .unwrap();
    let e = d
        .app
        .seal_record(&case, &id, &[&d.li, &d.wang])
        .unwrap_err();
    assert_eq!(e.code(), "party_not_called_to_attend");
    d.app
        .update_inspection(
            &case,
            &id,
            InspectionEdit {
                party_notified: true,
                ..not_notified
            },
            &[&d.li],
        )
        .unwrap();
    d.app.seal_record(&case, &id, &[&d.li, &d.wang]).unwrap();
}

#[test]
fn a_copy_attested_as_matching_its_original_names_source_date_and_signer() {
    let mut d = desk();
    let scan = sample::camera_photo(800, 600);
    let new = |signer: &str| NewEvidence {
        file_name: "营业执照复印件.jpg".into(),
        description: "营业执照复印件".into(),
        attestation: Some(CopyAttestation {
            source: "当事人提供".into(),
            date: "2026-11-18".into(),
            signer: signer.into(),
        }),
    };
    let e = d
        .app
        .add_evidence(&d.case, &scan[..], new(" "), &[&d.li, &d.wang])
        .unwrap_err();
    assert_eq!(e.code(), "empty_field");
    assert!(e.message_zh().contains("核对人"), "{}", e.message_zh());
    d.app
        .add_evidence(&d.case, &scan[..], new("李明"), &[&d.li, &d.wang])
        .unwrap();
    let (_, ev) = d.app.case_file(&d.case).unwrap();
    assert_eq!(
        ev[0].facts.attestation.as_ref().map(|a| a.signer.as_str()),
        Some("李明")
    );
}

/// Files imported from where they lie: each one evidence item read once with progress, a
/// clip's own time and place kept; a file that cannot be taken is said and the others go on; an
/// import stopped keeps what was done before and nothing of the file being read.
#[test]
fn files_imported_by_path_become_evidence_with_the_camera_s_own_facts() {
    use std::sync::atomic::{AtomicBool, Ordering};

    use crate::import::{ImportAs, ImportProgress};
    let mut d = desk();
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, mut src: Box<dyn std::io::Read>| {
        let path = dir.path().join(name);
        std::io::copy(&mut src, &mut std::fs::File::create(&path).unwrap()).unwrap();
        path
    };
    let photo = write(
        "IMG_0001.jpg",
        Box::new(std::io::Cursor::new(sample::camera_photo(800, 600))),
    );
    // 2026-11-30 08:15:00 UTC, 洛阳.
    let clip = || sample::body_camera_clip(3 << 20, 1_796_026_500, (34.6197, 112.454));
    let clips = [
        write("CAM0001.MP4", Box::new(clip())),
        write("CAM0002.MP4", Box::new(clip())),
    ];
    let text = write("notes.txt", Box::new(&b"not evidence"[..]));
    let gone = dir.path().join("CAM0003.MP4");
    let as_ = ImportAs {
        description: "执法记录仪视频".into(),
        ..ImportAs::default()
    };
    let (li, wang) = (&d.li, &d.wang);
    let mut seen: Vec<ImportProgress> = Vec::new();
    let report = d
        .app
        .import_files(
            &d.case,
            &[photo.clone(), clips[0].clone(), text, gone],
            (&as_, &[li, wang]),
            &mut |p| seen.push(*p),
            &AtomicBool::new(false),
        )
        .unwrap();
    assert!(!report.cancelled);
    let taken: Vec<bool> = report.files.iter().map(|f| f.evidence.is_some()).collect();
    assert_eq!(taken, [true, true, false, false]);
    assert!(
        report.files[3]
            .error
            .as_deref()
            .unwrap()
            .contains("文件不存在")
    );
    assert!(seen.windows(2).all(|w| w[0].bytes_done <= w[1].bytes_done));
    let last = seen.last().unwrap();
    assert_eq!((last.files_done, last.bytes_done), (4, last.bytes_total));
    assert!(
        seen.len() > 4,
        "the clip reported as it went: {}",
        seen.len()
    );
    let (_, ev) = d.app.case_file(&d.case).unwrap();
    let video = ev
        .iter()
        .find(|e| e.facts.file_name == "CAM0001.MP4")
        .unwrap();
    assert_eq!(video.facts.kind, MediaKind::Video);
    assert!(video.sealed(), "two officers signed it at once");
    let facts = video.facts.exif.clone().expect("the clip's own facts");
    assert_eq!(facts.captured_at.as_deref(), Some("2026:11:30 16:15:00"));
    assert!(facts.gps.is_some());

    // Stopped while the second file is read: the first is kept, nothing of the second.
    let first = std::fs::metadata(&photo).unwrap().len();
    let stop = AtomicBool::new(false);
    let mut stopped_at = 0;
    let report = d
        .app
        .import_files(
            &d.case,
            &[photo, clips[1].clone()],
            (&as_, &[li]),
            &mut |p| {
                if p.bytes_done > first && stopped_at == 0 {
                    stopped_at = p.bytes_done;
                    stop.store(true, Ordering::Relaxed);
                }
            },
            &stop,
        )
        .unwrap();
    assert!(report.cancelled);
    assert!(
        stopped_at > first && stopped_at < first + (3 << 20),
        "in the clip"
    );
    assert_eq!(report.files.len(), 1);
    let (_, after) = d.app.case_file(&d.case).unwrap();
    assert_eq!(after.len(), ev.len() + 1);
    assert!(!after.iter().any(|e| e.facts.file_name == "CAM0002.MP4"));

    // A clip still being written (it grows while it is read) is refused, nothing of it kept.
    let growing = write("CAM0004.MP4", Box::new(clip()));
    let mut grown = false;
    let report = d
        .app
        .import_files(
            &d.case,
            std::slice::from_ref(&growing),
            (&as_, &[li]),
            &mut |p| {
                if p.bytes_done > 0 && !grown {
                    grown = true;
                    let mut f = std::fs::OpenOptions::new()
                        .append(true)
                        .open(&growing)
                        .unwrap();
                    std::io::Write::write_all(&mut f, &[0; 4096]).unwrap();
                }
            },
            &AtomicBool::new(false),
        )
        .unwrap();
    assert!(grown && report.files[0].evidence.is_none());
    let said = report.files[0].error.as_deref().unwrap();
    assert!(said.contains("发生了变化"), "{said}");
    let (_, now) = d.app.case_file(&d.case).unwrap();
    assert_eq!(now.len(), after.len(), "nothing of it kept");

    // Who may not capture is refused before a byte is read.
    let refused = d.app.import_files(
        &d.case,
        &clips,
        (&as_, &[&d.chen]),
        &mut |p| assert_eq!(p.bytes_done, 0),
        &AtomicBool::new(false),
    );
    assert_eq!(refused.unwrap_err().code(), "not_enforcement_officer");
}

/// An import's files are read without the app: another command is served mid-file (the
/// window stays usable through a long import), and each file is signed after, with the app.
#[test]
fn the_app_serves_other_work_while_an_import_s_files_are_read() {
    use std::sync::Mutex;
    use std::sync::atomic::AtomicBool;

    use crate::import::ImportAs;
    let Desk {
        _tmp,
        app,
        li,
        wang,
        case,
        ..
    } = desk();
    let dir = tempfile::tempdir().unwrap();
    let clip = dir.path().join("CAM0001.MP4");
    let mut src = sample::body_camera_clip(4 << 20, 1_796_026_500, (34.6197, 112.454));
    std::io::copy(&mut src, &mut std::fs::File::create(&clip).unwrap()).unwrap();
    let app = Mutex::new(app);
    let by = [&li, &wang];
    let plan = app
        .lock()
        .unwrap()
        .prepare_import(&case, &[clip], (&ImportAs::default(), &by))
        .unwrap();
    let mut served = 0;
    let report = plan.run(
        &mut |p| {
            if p.files_done == 0 && p.bytes_done > 0 {
                let a = app
                    .try_lock()
                    .expect("the app is free while a file is read");
                assert!(a.case_file(&case).unwrap().1.is_empty(), "not signed yet");
                served += 1;
            }
        },
        &AtomicBool::new(false),
        &mut |file| app.lock().unwrap().record_import(file, &by),
    );
    assert!(served > 1, "served while the file was read: {served}");
    assert!(
        report.files[0].evidence.is_some(),
        "{:?}",
        report.files[0].error
    );
    let (_, ev) = app.lock().unwrap().case_file(&case).unwrap();
    assert!(ev[0].facts.file_name == "CAM0001.MP4" && ev[0].sealed());
}

/// A file whose bytes were let go while it was read (a deletion approved meanwhile, the app
/// serving a sync) is not signed: the officer is told, and nothing names bytes the tablet lacks.
#[test]
fn a_file_let_go_while_it_was_imported_is_not_signed() {
    use std::sync::atomic::AtomicBool;

    use crate::import::ImportAs;
    let Desk {
        _tmp,
        mut app,
        li,
        wang,
        case,
        ..
    } = desk();
    let dir = tempfile::tempdir().unwrap();
    let photo = dir.path().join("IMG_0001.JPG");
    std::fs::write(&photo, sample::jpeg(640, 480)).unwrap();
    let by = [&li, &wang];
    let plan = app
        .prepare_import(&case, &[photo], (&ImportAs::default(), &by))
        .unwrap();
    let report = plan.run(&mut |_| {}, &AtomicBool::new(false), &mut |file| {
        // What a merge's drop of deleted files does meanwhile, with the app.
        app.blobs.remove(&file.stored.files()[0]).unwrap();
        app.record_import(file, &by)
    });
    let error = report.files[0].error.as_deref().unwrap_or_default();
    assert!(error.contains("已批准的删除"), "{error}");
    assert!(app.case_file(&case).unwrap().1.is_empty(), "nothing signed");
}

/// A player's ranges are read from the encrypted store as asked, at most a MiB at once; what is
/// not this case's evidence, or past its end, is refused.
#[test]
fn a_recording_plays_back_by_ranges_from_the_encrypted_store() {
    use crate::media::MOST_AT_ONCE;
    let mut d = desk();
    let wav = sample::tone_wav(60, 44_100);
    let new = NewEvidence {
        file_name: "询问同步录音.wav".into(),
        description: "询问同步录音".into(),
        attestation: None,
    };
    d.app
        .add_evidence(&d.case, &wav[..], new, &[&d.li, &d.wang])
        .unwrap();
    let (_, ev) = d.app.case_file(&d.case).unwrap();
    let sha = ev[0].facts.sha256.clone();
    let file = d.app.media_file(&d.case, &sha).unwrap().unwrap();
    let total = wav.len() as u64;
    assert_eq!(file.size, total);
    assert!(file.mime.starts_with("audio/"), "{}", file.mime);
    let part = |range| d.app.media_part(&file, range).unwrap();
    let first = part(0..total);
    assert_eq!(first.len() as u64, MOST_AT_ONCE.min(total));
    assert_eq!(first[..], wav[..first.len()]);
    assert_eq!(part(100..200)[..], wav[100..200]);
    assert_eq!(part(total - 10..total)[..], wav[wav.len() - 10..]);
    assert!(d.app.media_part(&file, total..total + 1).is_err());
    // A file the case does not name, or another case's: not found.
    assert_eq!(d.app.media_file(&d.case, &"ab".repeat(32)).unwrap(), None);
}

/// A questioning's 同步录音: written piece by piece as it is made, kept as an evidence item
/// naming the transcript and the time it covers; one a crash ended is found at the next start
/// with what was written before it, and kept with a note.
#[test]
fn a_recording_is_kept_as_it_is_made_and_after_a_crash() {
    use sha2::{Digest, Sha256};

    use crate::recording::RecordingPlan;
    let d = desk();
    let Desk {
        _tmp: tmp,
        mut app,
        li,
        wang,
        chen,
        case,
        ..
    } = d;
    let who = Interviewee {
        name: "王某".into(),
        id_number: None,
        phone: None,
        capacity: "当事人".into(),
    };
    let q = app
        .start_questioning(&case, who, true, &[&li, &wang])
        .unwrap();
    let plan = |covers: Vec<String>| RecordingPlan {
        kind: MediaKind::Audio,
        mime: "audio/wav".into(),
        covers,
        description: "询问王某同步录音".into(),
        told: true,
    };
    let journals = tmp.path().join("data/blobs/recording");
    let count = || std::fs::read_dir(&journals).map_or(0, |d| d.count());

    // Who may not capture evidence, or a record the case lacks: refused before anything is
    // written.
    assert!(
        app.start_recording(&case, plan(vec![q.clone()]), &[&chen])
            .is_err()
    );
    assert!(
        app.start_recording(&case, plan(vec!["nope".into()]), &[&li])
            .is_err()
    );
    assert_eq!(count(), 0);

    let wav = sample::tone_wav(2, 8000);
    let mut rec = app
        .start_recording(&case, plan(vec![q.clone()]), &[&li, &wang])
        .unwrap();
    let id = rec.id().to_owned();
    let mut held = 0;
    for piece in wav.chunks(5000) {
        held = rec.piece(piece).unwrap();
    }
    assert_eq!(held, wav.len() as u64);
    // A recording at work is not one left, and is no one else's to keep.
    assert!(app.recordings_left().unwrap().is_empty());
    assert!(app.keep_recording_left(&id, &[&li]).is_err());
    let ev = app.finish_recording(rec, &[&li, &wang]).unwrap();
    assert_eq!(ev, id);
    assert_eq!(count(), 0, "the journal is gone once kept");
    let (_, items) = app.case_file(&case).unwrap();
    let item = items.iter().find(|e| e.facts.id == ev).unwrap();
    assert!(item.sealed());
    assert_eq!(item.facts.sha256, hex::encode(Sha256::digest(&wav)));
    assert_eq!(item.facts.kind, MediaKind::Audio);
    assert_eq!(item.facts.covers, std::slice::from_ref(&q));
    assert_eq!(item.facts.span.unwrap().from, app.now());
    let note = item.facts.note.as_deref().unwrap();
    assert!(
        note.contains("李明、王芳于") && note.contains("已告知被录制人"),
        "{note}"
    );
    assert!(!note.contains("未正常结束"), "{note}");
    assert!(item.facts.file_name.starts_with("录音-") && item.facts.file_name.ends_with(".wav"));

    // Stopped, but not kept (nobody may sign then): left, and said so when kept later.
    let mut rec = app
        .start_recording(&case, plan(vec![q.clone()]), &[&li])
        .unwrap();
    rec.piece(&wav).unwrap();
    let stopped = rec.id().to_owned();
    assert!(app.finish_recording(rec, &[&chen]).is_err());
    let left = app.recordings_left().unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].stopped_at, Some(app.now()));
    let ev = app.keep_recording_left(&stopped, &[&li]).unwrap();
    let (_, items) = app.case_file(&case).unwrap();
    let note = items
        .iter()
        .find(|e| e.facts.id == ev)
        .and_then(|e| e.facts.note.clone())
        .unwrap();
    assert!(note.contains("当时未能保存为证据"), "{note}");

    // Killed while recording: the process's journal stays with the pieces written, the last
    // one cut in the middle of its write.
    let mut rec = app
        .start_recording(&case, plan(vec![q.clone()]), &[&li])
        .unwrap();
    let id = rec.id().to_owned();
    let pieces: Vec<&[u8]> = wav.chunks(6000).collect();
    for piece in &pieces {
        rec.piece(piece).unwrap();
    }
    drop(rec);
    drop(app);
    let path = journals.join(format!("{id}.journal"));
    let len = std::fs::metadata(&path).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(len - 10)
        .unwrap();

    let data = crate::DataDir::new(tmp.path().join("data"));
    let mut app = Quancheng::open(
        &data,
        std::sync::Arc::new(FixedClock(Timestamp(crate::tests::NOW.0 + 60_000))),
        Box::new(crate::entropy::SeededEntropy::new([7; 32])),
    )
    .unwrap();
    let left = app.recordings_left().unwrap();
    assert_eq!(left.len(), 1);
    let kept_bytes: usize = pieces[..pieces.len() - 1].iter().map(|p| p.len()).sum();
    assert_eq!(
        (left[0].id.as_str(), left[0].bytes, &left[0].by[..]),
        (id.as_str(), kept_bytes as u64, &["李明".to_owned()][..])
    );
    assert_eq!(left[0].stopped_at, None);
    let wang = app.unlock("wang.fang", &pin("wang.fang")).unwrap();
    let ev = app.keep_recording_left(&id, &[&wang]).unwrap();
    assert!(app.recordings_left().unwrap().is_empty());
    let (_, items) = app.case_file(&case).unwrap();
    let item = items.iter().find(|e| e.facts.id == ev).unwrap();
    assert_eq!(item.facts.size, kept_bytes as u64);
    assert_eq!(
        item.facts.sha256,
        hex::encode(Sha256::digest(&wav[..kept_bytes]))
    );
    let note = item.facts.note.as_deref().unwrap();
    assert!(
        note.contains("未正常结束") && note.contains("李明"),
        "{note}"
    );
    assert!(note.contains("无法读取"), "the cut piece is said: {note}");
    assert_eq!(item.signatures.len(), 1);
}

/// 打码副本: a copy with faces hidden is a new item naming its original and the original's
/// hash; the original stays as it was; a copy needs a reason, one file, an original of the
/// case that is a photo, recording or video and no copy itself, and the original's kind.
#[test]
fn a_redacted_copy_names_its_original_which_stays_as_it_was() {
    use std::sync::atomic::AtomicBool;

    use crate::import::{ImportAs, RedactionOf};
    let mut d = desk();
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, bytes: Vec<u8>| {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    };
    let new = NewEvidence {
        file_name: "IMG_0001.jpg".into(),
        description: "现场全景（有围观群众）".into(),
        attestation: None,
    };
    let original = d
        .app
        .add_evidence(
            &d.case,
            &sample::camera_photo(800, 600)[..],
            new,
            &[&d.li, &d.wang],
        )
        .unwrap();
    let (_, before) = d.app.case_file(&d.case).unwrap();
    let copy = write("IMG_0001_masked.jpg", sample::jpeg(800, 600));
    let tone = write("tone.wav", sample::tone_wav(1, 8000));
    let as_copy = |original: &str, reason: &str| ImportAs {
        description: "现场全景（围观群众面部已遮挡）".into(),
        redacts: Some(RedactionOf {
            original: original.into(),
            reason: reason.into(),
        }),
        ..ImportAs::default()
    };
    let (li, wang, case) = (&d.li, &d.wang, d.case.clone());
    let import = |app: &mut Quancheng, paths: &[std::path::PathBuf], as_: ImportAs| {
        app.import_files(
            &case,
            paths,
            (&as_, &[li, wang]),
            &mut |_| {},
            &AtomicBool::new(false),
        )
    };
    // Refused before a byte is read.
    assert!(
        import(
            &mut d.app,
            std::slice::from_ref(&copy),
            as_copy(&original, " ")
        )
        .is_err()
    );
    assert!(
        import(
            &mut d.app,
            &[copy.clone(), tone.clone()],
            as_copy(&original, "遮挡面部")
        )
        .is_err()
    );
    assert!(
        import(
            &mut d.app,
            std::slice::from_ref(&copy),
            as_copy("nope", "遮挡面部")
        )
        .is_err()
    );
    // A recording is no copy of a photo.
    let report = import(
        &mut d.app,
        std::slice::from_ref(&tone),
        as_copy(&original, "遮挡面部"),
    )
    .unwrap();
    assert!(report.files[0].evidence.is_none(), "{:?}", report.files[0]);
    let report = import(
        &mut d.app,
        std::slice::from_ref(&copy),
        as_copy(&original, "遮挡围观群众面部，用于公开"),
    )
    .unwrap();
    let made = report.files[0].evidence.clone().unwrap();
    let (_, after) = d.app.case_file(&d.case).unwrap();
    let item = after.iter().find(|e| e.facts.id == made).unwrap();
    let was = before.iter().find(|e| e.facts.id == original).unwrap();
    let r = item.facts.redacts.as_ref().unwrap();
    assert_eq!(
        (
            r.original.as_str(),
            r.original_sha256.as_str(),
            r.reason.as_str()
        ),
        (
            original.as_str(),
            was.facts.sha256.as_str(),
            "遮挡围观群众面部，用于公开"
        )
    );
    assert!(item.sealed());
    assert_eq!(after.iter().find(|e| e.facts.id == original), Some(was));
    // A copy of a copy is not made.
    assert!(
        import(
            &mut d.app,
            std::slice::from_ref(&copy),
            as_copy(&made, "再次遮挡")
        )
        .is_err()
    );

    // The original's own bytes are no copy, and a refused copy leaves no file behind.
    let stored = |d: &Desk| {
        walk(&d.app.data_dir().root().join("blobs"))
            .into_iter()
            .filter(|p| !p.to_string_lossy().contains("/tmp/"))
            .count()
    };
    let files = stored(&d);
    let same = write("IMG_0001_again.jpg", sample::camera_photo(800, 600));
    let report = import(
        &mut d.app,
        std::slice::from_ref(&same),
        as_copy(&original, "遮挡面部"),
    )
    .unwrap();
    assert!(
        report.files[0]
            .error
            .as_deref()
            .unwrap()
            .contains("完全相同"),
        "{:?}",
        report.files[0]
    );
    assert_eq!(stored(&d), files, "nothing of it kept");
    // A copy is not "the same as the original".
    let attested = ImportAs {
        attestation: Some(CopyAttestation {
            source: "当事人".into(),
            date: "2026-12-03".into(),
            signer: "李明".into(),
        }),
        ..as_copy(&original, "遮挡面部")
    };
    assert!(import(&mut d.app, std::slice::from_ref(&copy), attested).is_err());
    // An original awaiting its second officer has no copy yet.
    let unsealed = d
        .app
        .add_evidence(
            &d.case,
            &sample::camera_photo(320, 240)[..],
            NewEvidence {
                file_name: "IMG_0003.jpg".into(),
                description: "侧面".into(),
                attestation: None,
            },
            &[&d.li],
        )
        .unwrap();
    assert!(
        import(
            &mut d.app,
            std::slice::from_ref(&copy),
            as_copy(&unsealed, "遮挡面部")
        )
        .is_err()
    );
    // A recording's copy in a container that names video is audio, as its original.
    let recording = d
        .app
        .add_evidence(
            &d.case,
            &sample::tone_wav(2, 8000)[..],
            NewEvidence {
                file_name: "REC0001.WAV".into(),
                description: "询问录音".into(),
                attestation: None,
            },
            &[&d.li, &d.wang],
        )
        .unwrap();
    let mut mp4 = Vec::new();
    std::io::Read::read_to_end(&mut sample::Video::new(1 << 20), &mut mp4).unwrap();
    let muffled = write("REC0001_muffled.mp4", mp4);
    let report = import(
        &mut d.app,
        std::slice::from_ref(&muffled),
        as_copy(&recording, "消除旁人说话声"),
    )
    .unwrap();
    let made = report.files[0].evidence.clone().expect("kept");
    let (_, ev) = d.app.case_file(&d.case).unwrap();
    let item = ev.iter().find(|e| e.facts.id == made).unwrap();
    assert_eq!(
        (item.facts.kind, item.facts.mime.as_str()),
        (MediaKind::Audio, "audio/mp4")
    );
}

/// A body camera's clip imported after the shift names the time it covers by its own header;
/// the inspection its officer made then is proposed, and an officer confirms it by a signed act
/// of its own (the clip's facts unchanged) that the case's bundle carries and verifies.
#[test]
fn a_clip_imported_later_is_linked_to_the_act_it_recorded() {
    use std::sync::atomic::AtomicBool;

    use crate::import::ImportAs;
    let mut d = desk();
    let (li, wang) = (&d.li, &d.wang);
    let inspection = d.app.start_inspection(&d.case, &[li, wang]).unwrap();
    let began = d.app.now().0 / 1000;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("CAM0001.MP4");
    // Filmed from a minute before the inspection began, for a minute.
    std::io::copy(
        &mut sample::body_camera_clip(1 << 20, began - 60, (34.6197, 112.454)),
        &mut std::fs::File::create(&path).unwrap(),
    )
    .unwrap();
    let photo = d
        .app
        .add_evidence(
            &d.case,
            &sample::camera_photo(80, 60)[..],
            NewEvidence {
                file_name: "IMG_0001.jpg".into(),
                description: "现场".into(),
                attestation: None,
            },
            &[li, wang],
        )
        .unwrap();
    let as_ = ImportAs {
        description: "执法记录仪视频".into(),
        ..ImportAs::default()
    };
    let report = d
        .app
        .import_files(
            &d.case,
            &[path],
            (&as_, &[li]),
            &mut |_| {},
            &AtomicBool::new(false),
        )
        .unwrap();
    let clip = report.files[0].evidence.clone().unwrap();
    let (_, ev) = d.app.case_file(&d.case).unwrap();
    let before = ev.iter().find(|e| e.facts.id == clip).unwrap().clone();
    let span = before.facts.span.expect("the clip's own start and length");
    assert_eq!(
        (span.from.0, span.to.0),
        ((began - 60) * 1000, began * 1000)
    );

    let links = d.app.footage_links(&d.case).unwrap();
    let titles: Vec<&str> = links.acts.iter().map(|a| a.title.as_str()).collect();
    assert!(titles.contains(&"现场检查笔录"), "{titles:?}");
    // Only the inspection: 立案 and 指派调查 were the squad leader's.
    assert_eq!(links.proposed.get(&clip), Some(&vec![inspection.clone()]));
    assert!(!links.proposed.contains_key(&photo));

    let link = |app: &mut Quancheng, what: &str, acts: &[&str]| {
        let acts: Vec<String> = acts.iter().map(|a| a.to_string()).collect();
        app.link_evidence(&d.case, what, &acts, li)
    };
    assert!(link(&mut d.app, &photo, &[&inspection]).is_err(), "a photo");
    assert!(link(&mut d.app, &clip, &[]).is_err(), "no act");
    assert!(link(&mut d.app, &clip, &["nope"]).is_err(), "no such act");
    assert!(
        d.app
            .link_evidence(&d.case, &clip, std::slice::from_ref(&inspection), &d.chen)
            .is_err(),
        "an assistant"
    );
    link(&mut d.app, &clip, &[&inspection]).unwrap();
    assert!(link(&mut d.app, &clip, &[&inspection]).is_err(), "twice");
    let (_, ev) = d.app.case_file(&d.case).unwrap();
    let after = ev.iter().find(|e| e.facts.id == clip).unwrap();
    assert_eq!(after.facts, before.facts, "the signed facts stay");
    assert_eq!(after.links.len(), 1);
    assert_eq!(after.links[0].acts, [inspection]);
    assert_eq!(after.links[0].by.name, li.person().name);
    assert!(d.app.footage_links(&d.case).unwrap().proposed.is_empty());
    assert_eq!(entries(&d).last(), Some(&qc_chain::Action::EvidenceLinked));

    let mut bundle = Vec::new();
    d.app.export_case(&d.case, li, &mut bundle).unwrap();
    let (read, integrity) = qc_bundle::read(&bundle[..]).unwrap();
    let report = qc_bundle::verify(&read, &integrity, None, None);
    assert!(report.problems.is_empty(), "{:?}", report.problems);
}

/// An original's file goes only with the head's approval, signed on the chain; the item, its
/// facts and its hash stay, and the case's bundle, now without the file, still verifies.
#[test]
fn an_original_is_deleted_only_with_the_heads_approval_and_its_hash_stays() {
    let mut d = desk();
    let (li, wang) = (&d.li, &d.wang);
    let photo = sample::camera_photo(800, 600);
    let new = |name: &str| NewEvidence {
        file_name: name.into(),
        description: "围观群众".into(),
        attestation: None,
    };
    let id = d
        .app
        .add_evidence(&d.case, &photo[..], new("IMG_0001.jpg"), &[li, wang])
        .unwrap();
    let kept = d
        .app
        .add_evidence(
            &d.case,
            &sample::camera_photo(640, 480)[..],
            new("IMG_0002.jpg"),
            &[li, wang],
        )
        .unwrap();
    let (_, ev) = d.app.case_file(&d.case).unwrap();
    let before = ev.iter().find(|e| e.facts.id == id).unwrap().clone();
    let hash = unhex(&before.facts.sha256).unwrap();
    let head = d.app.unlock("zhou.wen", &pin("zhou.wen")).unwrap();
    // A mark written into the document under an ordinary act (another tablet's doing), with no
    // approval signed, is not taken for one: it hides nothing and blocks no real deletion.
    let forged = EvidenceDeletion {
        reason: "伪造".into(),
        by: OfficerRef::from(&EnforcementOfficer::try_from(head.person().clone()).unwrap()),
        at: d.app.now(),
    };
    d.app
        .act(&d.case, qc_chain::Action::RecordEdited, &[li], |doc, _| {
            doc.mark_evidence_deleted(&id, &forged)?;
            Ok(qc_store::Touched {
                blobs: Vec::new(),
                records: Vec::new(),
            })
        })
        .unwrap();
    let (_, ev) = d.app.case_file(&d.case).unwrap();
    assert!(ev.iter().all(|e| e.deleted.is_none()), "no act attests it");
    // The case file's photo pages: both photos while the mark is forged, one once approved.
    let photos = |app: &Quancheng| {
        let pdf = app.case_file_pdf(&d.case).unwrap();
        pdf.windows(14).filter(|w| w == b"/Subtype/Image").count()
    };
    let both = photos(&d.app);
    assert!(both >= 2, "{both}");
    // Only the head approves, and says why.
    for who in [li, &d.liu, &d.chen] {
        assert!(
            d.app
                .delete_original(&d.case, &id, "与案件无关的路人影像", who)
                .is_err(),
            "{}",
            who.person().name
        );
    }
    assert!(d.app.delete_original(&d.case, &id, " ", &head).is_err());
    assert!(d.app.read_blob(&hash).is_ok(), "nothing deleted yet");
    d.app
        .delete_original(&d.case, &id, "与案件无关的路人影像", &head)
        .unwrap();
    assert!(d.app.read_blob(&hash).is_err(), "the bytes are gone");
    assert_eq!(photos(&d.app), both - 1, "its photo page goes");
    assert!(
        d.app
            .delete_original(&d.case, &id, "再次删除", &head)
            .is_err(),
        "once"
    );
    let (_, ev) = d.app.case_file(&d.case).unwrap();
    let after = ev.iter().find(|e| e.facts.id == id).unwrap();
    assert_eq!(after.facts, before.facts, "the item and its hash stay");
    let deletion = after.deleted.as_ref().unwrap();
    assert_eq!(
        (deletion.reason.as_str(), deletion.by.name.as_str()),
        ("与案件无关的路人影像", head.person().name.as_str())
    );
    assert!(ev.iter().any(|e| e.facts.id == kept && e.deleted.is_none()));
    assert_eq!(entries(&d).last(), Some(&qc_chain::Action::EvidenceDeleted));

    // The bundle carries the other photo, not this file, and verifies.
    let mut bundle = Vec::new();
    let contents = d.app.export_case(&d.case, li, &mut bundle).unwrap();
    assert!(!contents.blobs.contains_key(&hash));
    let (read, integrity) = qc_bundle::read(&bundle[..]).unwrap();
    let report = qc_bundle::verify(&read, &integrity, None, None);
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert!(
        report
            .items
            .iter()
            .any(|i| i.title == "经负责人批准删除原件")
    );
    // The case file bound from the bundle has the kept photo's page only; from a bundle that
    // does not verify, none is bound.
    let bound = d.app.case_file_from_bundle((&read, &integrity)).unwrap();
    let pages = bound.windows(14).filter(|w| w == b"/Subtype/Image").count();
    assert_eq!(pages, both - 1);
    let mut tampered = read.clone();
    tampered.entries.retain(|e| {
        e.entry()
            .is_ok_and(|e| e.action != qc_chain::Action::EvidenceDeleted)
    });
    assert!(
        d.app
            .case_file_from_bundle((&tampered, &integrity))
            .is_err()
    );

    // The same file as the kept photo, evidence of another case too, whose document a tablet
    // marked deleted under an ordinary act: when the kept photo's deletion is approved here,
    // the bytes stay for the other case, whose entries still name them.
    let (li, wang, liu) = (&d.li, &d.wang, &d.liu);
    let other = d.app.register_case(new_case(), li).unwrap().0;
    d.app.record_act(&other, Act::File, &[liu]).unwrap();
    d.app
        .record_act(
            &other,
            Act::StartInvestigation {
                team: vec![li.person().id.clone(), wang.person().id.clone()],
            },
            &[liu],
        )
        .unwrap();
    let twin = d
        .app
        .add_evidence(
            &other,
            &sample::camera_photo(640, 480)[..],
            new("IMG_0002.jpg"),
            &[li, wang],
        )
        .unwrap();
    d.app
        .act(&other, qc_chain::Action::RecordEdited, &[li], |doc, _| {
            doc.mark_evidence_deleted(&twin, &forged)?;
            Ok(qc_store::Touched {
                blobs: Vec::new(),
                records: Vec::new(),
            })
        })
        .unwrap();
    let (_, ev) = d.app.case_file(&d.case).unwrap();
    let shared = unhex(&ev.iter().find(|e| e.facts.id == kept).unwrap().facts.sha256).unwrap();
    d.app
        .delete_original(&d.case, &kept, "与案件无关的路人影像", &head)
        .unwrap();
    assert!(
        d.app.read_blob(&shared).is_ok(),
        "the other case still holds it"
    );
}
