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
