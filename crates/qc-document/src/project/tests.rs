use qc_casedoc::{Seal, StoredRecord, snapshot};
use qc_domain::{
    Act, CaseHeader, CaseId, CaseSource, CaseState, Catalogue, CertNo, DeliveryMethod,
    DeliveryReceipt, Discretion, EvidenceFacts, EvidenceItem, EvidenceSignature, Execution,
    Inspection, Interviewee, Location, MediaKind, Notice, NoticeItem, OfficerRef, Page,
    PageSignature, Party, PartyKind, PartySignoff, Penalty, Person, PersonId, Proposal, Qa,
    Questioning, Record, RecordBody, Role, Timestamp, TransferTo, WorkflowEvent, replay,
};
use sha2::Digest;

use super::*;
use crate::model::{Block, Document, DocumentKind};
use crate::render::{Images, Renderer};

const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;
/// 2026-11-02 09:10 in Beijing.
const T0: i64 = 1_793_581_800_000;

fn at(offset: i64) -> Timestamp {
    Timestamp(T0 + offset)
}

fn person(id: &str, name: &str, role: Role, cert: Option<&str>) -> Person {
    Person {
        id: PersonId(id.into()),
        name: name.into(),
        role,
        cert_no: cert.map(|c| CertNo(c.into())),
        squad: "一中队".into(),
    }
}

fn directory() -> Vec<Person> {
    vec![
        person(
            "li.ming",
            "李明",
            Role::EnforcementOfficer,
            Some("41030021001"),
        ),
        person(
            "wang.fang",
            "王芳",
            Role::EnforcementOfficer,
            Some("41030021002"),
        ),
        person(
            "liu.jianguo",
            "刘建国",
            Role::SquadLeader,
            Some("41030020101"),
        ),
        person("sun.li", "孙丽", Role::LegalReviewer, None),
        person("zhou.wen", "周文", Role::Head, Some("41030020001")),
    ]
}

fn officers() -> Vec<OfficerRef> {
    directory()
        .into_iter()
        .take(2)
        .map(|p| OfficerRef {
            person: p.id,
            name: p.name,
            cert_no: p.cert_no.unwrap_or(CertNo(String::new())),
        })
        .collect()
}

fn ids(names: &[&str]) -> Vec<PersonId> {
    names.iter().map(|n| PersonId((*n).into())).collect()
}

fn party() -> Party {
    Party {
        kind: PartyKind::Person,
        name: "张三".into(),
        id_number: Some("410302199001011234".into()),
        phone: Some("13800000000".into()),
    }
}

fn header(case: &str) -> CaseHeader {
    CaseHeader {
        id: CaseId(case.into()),
        source: CaseSource::Complaint {
            complainant: "李女士".into(),
            contact: "13900000000".into(),
            via_12319: true,
        },
        domain: "transport".into(),
        violation: "transport.road_occupation".into(),
        location: Location {
            address: "示例市东城区和平路12号门前人行道".into(),
            grid: "DC-03-12".into(),
            gps: None,
        },
        parties: vec![party()],
        summary: "在和平路12号门前人行道上摆放水果摊位、堆放货物，占用城市道路约15平方米".into(),
        squad: "一中队".into(),
        registered_at: at(0),
        registered_by: PersonId("li.ming".into()),
    }
}

fn event(id: &str, offset: i64, actors: &[&str], act: Act) -> WorkflowEvent {
    WorkflowEvent {
        id: id.into(),
        at: at(offset),
        actors: ids(actors),
        act,
    }
}

fn sha(bytes: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(bytes))
}

fn signature() -> Vec<u8> {
    qc_evidence::sample::signature_png(300, 120)
}

fn sealed(record: Record, offset: i64) -> StoredRecord {
    let (content, digest) = snapshot(&record).unwrap();
    StoredRecord {
        live: record,
        seal: Some(Seal {
            digest: hex::encode(digest),
            content,
            at: at(offset),
            by: ids(&["li.ming", "wang.fang"]),
        }),
        conflicts: Vec::new(),
    }
}

fn record(id: &str, offset: i64, body: RecordBody, signoff: Option<PartySignoff>) -> Record {
    Record {
        id: id.into(),
        body,
        signoff,
        corrects: None,
        created_at: at(offset),
        created_by: PersonId("li.ming".into()),
    }
}

/// The general procedure's records: an inspection signed by the party, a three-page
/// transcript signed page by page, a preservation notice signed by a witness, and a sampling
/// record still open.
fn records(sig: &str) -> Vec<StoredRecord> {
    let inspection = record(
        "rec-inspection",
        2 * HOUR,
        RecordBody::Inspection(Inspection {
            place: header("x").location,
            started_at: at(2 * HOUR + 10 * MINUTE),
            ended_at: Some(at(2 * HOUR + 50 * MINUTE)),
            officers: officers(),
            party: Some(party()),
            party_notified: true,
            party_present: true,
            found: "经现场检查，和平路12号门前人行道上摆放水果摊位一处，木质货架3个、纸箱货物约20箱，占用人行道长约5米、宽约3米，行人需绕行机动车道。当事人张三在场，自称摊主。执法人员当场拍照取证。".into(),
            outcome: None,
        }),
        Some(PartySignoff::Party {
            name: "张三".into(),
            image: sig.into(),
            at: at(2 * HOUR + 55 * MINUTE),
        }),
    );
    let page = |n: usize| {
        Page {
        qa: (1..=6)
            .map(|i| Qa {
                question: format!("（第{n}页第{i}问）你在和平路12号门前人行道上摆放的水果摊位，是否经过市政工程行政主管部门和公安交通管理部门的批准？"),
                answer: "没有批准。我在这里摆摊大概有一个月了，每天早上七点到晚上九点，主要卖苹果、香蕉和橘子，我知道占道经营不对，以后会改正。".into(),
            })
            .collect(),
        signature: Some(if n == 3 {
            PageSignature::Refused {
                note: "被询问人看过第3页后拒绝签名，执法人员李明、王芳在场".into(),
                page_digest: "ab".repeat(32),
                at: at(DAY + 50 * MINUTE),
            }
        } else {
            PageSignature::Signed {
                image: sig.into(),
                page_digest: "cd".repeat(32),
                at: at(DAY + 50 * MINUTE),
            }
        }),
    }
    };
    let transcript = record(
        "rec-transcript",
        DAY,
        RecordBody::Questioning(Questioning {
            interviewee: Interviewee {
                name: "张三".into(),
                id_number: Some("410302199001011234".into()),
                phone: Some("13800000000".into()),
                capacity: "当事人".into(),
            },
            location: "示例市城市管理综合行政执法局东城中队询问室".into(),
            started_at: at(DAY),
            ended_at: Some(at(DAY + 45 * MINUTE)),
            officers: officers(),
            rights_acknowledged: true,
            recusal_asked: true,
            pages: (1..=3).map(page).collect(),
        }),
        None,
    );
    let notice = |items: Vec<NoticeItem>| Notice {
        items,
        kept_at: "示例市城市管理综合行政执法局东城中队暂扣物品仓库".into(),
        officers: officers(),
        party: Some(party()),
        issued_at: at(DAY + 2 * HOUR),
    };
    let preservation = record(
        "rec-preservation",
        DAY + 2 * HOUR,
        RecordBody::Preservation(notice(vec![
            NoticeItem {
                name: "木质货架".into(),
                quantity: "3个".into(),
            },
            NoticeItem {
                name: "纸箱装苹果".into(),
                quantity: "20箱".into(),
            },
        ])),
        Some(PartySignoff::Witness {
            name: "王五".into(),
            id_number: Some("410302198805051111".into()),
            party_absent_reason: "当事人离开现场".into(),
            party_did_not_sign: Some(qc_domain::NoPartySignature::Absent),
            image: sig.into(),
            at: at(DAY + 2 * HOUR),
        }),
    );
    let sampling = record(
        "rec-sampling",
        DAY + 3 * HOUR,
        RecordBody::Sampling(notice(Vec::new())),
        None,
    );
    vec![
        sealed(inspection, 3 * HOUR),
        sealed(transcript, DAY + HOUR),
        sealed(preservation, DAY + 2 * HOUR + 20 * MINUTE),
        StoredRecord {
            live: sampling,
            seal: None,
            conflicts: Vec::new(),
        },
    ]
}

fn evidence() -> Vec<EvidenceItem> {
    let signed = |who: &OfficerRef| EvidenceSignature {
        officer: who.clone(),
        at: at(2 * HOUR),
    };
    let o = officers();
    vec![EvidenceItem {
        facts: EvidenceFacts {
            id: "ev-1".into(),
            sha256: "ef".repeat(32),
            size: 123_456,
            mime: "image/jpeg".into(),
            kind: MediaKind::Photo,
            file_name: "IMG_0001.jpg".into(),
            description: "和平路12号门前人行道水果摊位全景".into(),
            captured_at: at(2 * HOUR + 20 * MINUTE),
            exif: None,
            thumbnail: None,
            attestation: None,
            span: None,
            covers: Vec::new(),
            note: None,
            redacts: None,
        },
        signatures: vec![signed(&o[0]), signed(&o[1])],
        links: Vec::new(),
        deleted: None,
    }]
}

/// 一般程序 from 立案 to 结案: preservation, investigation, notice with a hearing offered,
/// statement, review, discussion, decision, delivery left at the address, payment, closing.
fn general_events() -> Vec<WorkflowEvent> {
    let penalties = vec![Penalty::Fine { yuan: 6_000 }];
    vec![
        event("ev-file", HOUR, &["liu.jianguo"], Act::File),
        event(
            "ev-start",
            HOUR + 5 * MINUTE,
            &["liu.jianguo"],
            Act::StartInvestigation {
                team: ids(&["li.ming", "wang.fang"]),
            },
        ),
        event(
            "ev-pres-notice",
            DAY + 2 * HOUR,
            &["li.ming", "wang.fang"],
            Act::PreservationNotice {
                notice: "rec-preservation".into(),
                items: "木质货架3个、纸箱装苹果20箱".into(),
            },
        ),
        event(
            "ev-pres-decision",
            9 * DAY,
            &["liu.jianguo"],
            Act::PreservationDecision {
                notice: "rec-preservation".into(),
                outcome: "木质货架3个予以退还；纸箱装苹果20箱因易腐烂变质，经当事人同意予以退还。".into(),
                late_reason: Some("当事人外出，无法联系确认退还方式".into()),
            },
        ),
        event(
            "ev-conclude",
            10 * DAY,
            &["li.ming", "wang.fang"],
            Act::ConcludeInvestigation {
                summary: "经调查，当事人张三未经批准在和平路12号门前人行道上摆放水果摊位，占用城市道路约15平方米，持续约一个月。事实清楚，证据确凿，建议依法给予行政处罚。".into(),
            },
        ),
        event(
            "ev-notify",
            11 * DAY,
            &["li.ming", "wang.fang"],
            Act::Notify {
                hearing_offered: true,
                proposal: Some(Proposal {
                    discretion: Discretion::Standard,
                    penalties: penalties.clone(),
                    facts: "当事人张三未经批准，自2026年10月初起在示例市东城区和平路12号门前人行道上摆放水果摊位、堆放货物，占用城市道路约15平方米。".into(),
                    reasons: "占用面积较大、时间较长，经责令后改正，属一般情节。".into(),
                    basis: "《城市道路管理条例》第二十七条第（一）项、第四十二条".into(),
                }),
            },
        ),
        event(
            "ev-statement",
            13 * DAY,
            &["li.ming", "wang.fang"],
            Act::HearStatement {
                waived: false,
                statement: "我是初次摆摊，家庭困难，请求从轻处罚。".into(),
                accepted: false,
                reasons: "当事人占道时间较长、面积较大，所述情况不属于从轻处罚情形。".into(),
            },
        ),
        event(
            "ev-review",
            17 * DAY,
            &["sun.li"],
            Act::LegalReview {
                passed: true,
                opinion: "主体适格，事实清楚，证据确凿，程序合法，适用法律正确，裁量适当。".into(),
                major: true,
            },
        ),
        event(
            "ev-discussion",
            18 * DAY,
            &["zhou.wen"],
            Act::CollectiveDiscussion {
                participants: vec!["周文".into(), "刘建国".into(), "孙丽".into(), "李明".into()],
                opinions: "一致认为事实清楚、证据确凿，同意法制审核意见。".into(),
                conclusion: "对当事人张三罚款人民币6000元。".into(),
            },
        ),
        event(
            "ev-decide",
            19 * DAY,
            &["zhou.wen"],
            Act::Decide {
                discretion: Discretion::Standard,
                summary: "当事人占用城市道路的行为事实清楚、证据确凿。".into(),
                penalties,
                basis: "《城市道路管理条例》第二十七条第（一）项、第四十二条".into(),
                late_reason: None,
            },
        ),
        event(
            "ev-deliver",
            20 * DAY,
            &["li.ming", "wang.fang"],
            Act::Deliver {
                method: DeliveryMethod::LeftAtAddress,
                late_reason: None,
                receipt: Some(DeliveryReceipt {
                    recipient: "张三".into(),
                    refused: true,
                    witnesses: vec!["赵六（社区工作人员）".into()],
                    note: "2026年11月22日当事人拒绝签收，执法人员将决定书留置于其住所。".into(),
                    signature: None,
                }),
            },
        ),
        event(
            "ev-execute",
            30 * DAY,
            &["li.ming"],
            Act::Execute {
                execution: Execution::PaidAtBank {
                    receipt_no: "FS-2026-000123".into(),
                    yuan: 6_000,
                },
            },
        ),
        event(
            "ev-close",
            31 * DAY,
            &["liu.jianguo"],
            Act::Close {
                report: "本案处罚决定已执行完毕，罚款已缴入指定银行，建议结案。".into(),
            },
        ),
    ]
}

struct Case {
    state: CaseState,
    events: Vec<WorkflowEvent>,
    records: Vec<StoredRecord>,
    evidence: Vec<EvidenceItem>,
    issued: Vec<qc_casedoc::IssuedDocument>,
}

impl Case {
    fn new(id: &str, events: Vec<WorkflowEvent>, records: Vec<StoredRecord>) -> Case {
        let state = replay(header(id), &events);
        assert!(state.anomalies.is_empty(), "{:?}", state.anomalies);
        Case {
            state,
            events,
            records,
            evidence: Vec::new(),
            issued: Vec::new(),
        }
    }
}

struct World {
    directory: Vec<Person>,
    catalogue: Catalogue,
    wording: Wording,
}

impl World {
    fn new() -> World {
        World {
            directory: directory(),
            catalogue: Catalogue::default_zh(),
            wording: Wording::builtin(),
        }
    }

    fn facts<'a>(&'a self, case: &'a Case) -> CaseFacts<'a> {
        CaseFacts {
            state: &case.state,
            events: &case.events,
            records: &case.records,
            evidence: &case.evidence,
            directory: &self.directory,
            catalogue: &self.catalogue,
            wording: &self.wording,
            issued: &case.issued,
        }
    }
}

fn general_case() -> Case {
    let mut case = Case::new(
        "QC-2026-0007",
        general_events(),
        records(&sha(&signature())),
    );
    case.evidence = evidence();
    case
}

/// Everything the document says, for assertions.
fn said(doc: &Document) -> String {
    serde_json::to_string(&doc.blocks).unwrap()
}

fn kinds(list: &[Issuable]) -> Vec<DocumentKind> {
    list.iter().map(|i| i.kind).collect()
}

fn out_dir() -> Option<String> {
    std::env::var("QC_DOC_OUT").ok()
}

#[test]
fn the_general_procedure_issues_its_documents_in_file_order() {
    let world = World::new();
    let case = general_case();
    let list = issuable(&world.facts(&case));
    use DocumentKind::*;
    assert_eq!(
        kinds(&list),
        [
            Cover,
            FilingApproval,
            Inspection,
            Transcript,
            PreservationNotice,
            PreservationDecision,
            InvestigationReport,
            PriorNotice,
            HearingNotice,
            Statement,
            LegalReview,
            CollectiveDiscussion,
            Decision,
            DeliveryReceipt,
            ClosingReport,
        ]
    );
    // The open sampling record is not issuable.
    assert!(!list.contains(&Issuable {
        kind: Sampling,
        source: Source::Record("rec-sampling".into()),
        at: T0 + DAY + 3 * HOUR,
    }));
}

#[test]
fn every_document_of_the_general_procedure_is_made_and_rendered() {
    let world = World::new();
    let case = general_case();
    let facts = world.facts(&case);
    let sig = signature();
    let mut images = Images::new();
    images.insert(sha(&sig), sig);
    let renderer = Renderer::from_default_fonts().expect("pinned fonts");
    let mut lines = Vec::new();
    let mut page = 1;
    for (n, item) in issuable(&facts).into_iter().enumerate() {
        let number = match item.kind.number_word() {
            "" => String::new(),
            _ => world
                .wording
                .number(item.kind, 2026, &format!("A7-{:03}", n + 1)),
        };
        let doc = project(&facts, item.kind, &item.source, &number).unwrap();
        assert_eq!(doc.case, "QC-2026-0007");
        assert_eq!(doc.number, number);
        assert!(!doc.sources.is_empty() || item.kind == DocumentKind::Cover);
        let text = said(&doc);
        assert!(text.contains("张三"), "{}: {text}", item.kind.name());
        // Every placeholder of the wording was filled.
        for b in &doc.blocks {
            if let Block::Paragraph { text } = b {
                assert!(!text.contains(['{', '}']), "{text}");
            }
        }
        let rendered = renderer.pdf(&doc, &images).unwrap();
        if let Some(dir) = out_dir() {
            std::fs::write(
                format!("{dir}/{:02}-{}.pdf", n, item.kind.name()),
                &rendered.pdf,
            )
            .unwrap();
        }
        lines.push(ContentsLine {
            title: doc.title.clone(),
            number: doc.number.clone(),
            date: doc.date.clone(),
            first_page: page,
            last_page: page + rendered.pages - 1,
        });
        page += rendered.pages;
    }
    // Photos fill the file to make the contents flow over a page.
    for i in 1..=40 {
        lines.push(ContentsLine {
            title: format!("证据照片：和平路12号门前人行道水果摊位（{i}）"),
            number: String::new(),
            date: "2026年11月2日".into(),
            first_page: page,
            last_page: page,
        });
        page += 1;
    }
    let toc = contents(&facts, &lines);
    let rendered = renderer.pdf(&toc, &images).unwrap();
    assert!(rendered.pages >= 2, "{} pages", rendered.pages);
    if let Some(dir) = out_dir() {
        std::fs::write(format!("{dir}/99-contents.pdf"), &rendered.pdf).unwrap();
    }
    let Block::Table { rows, header, .. } = &toc.blocks[0] else {
        panic!("contents is a table");
    };
    assert_eq!(header[4], "页号");
    assert_eq!(rows[0][1], "卷宗封面");
    assert!(rows.iter().any(|r| r[4].contains('–')), "{rows:?}");
}

fn made(world: &World, case: &Case, kind: DocumentKind, event: &str) -> Document {
    project(
        &world.facts(case),
        kind,
        &Source::Event(event.into()),
        "示城管罚决字〔2026〕12号",
    )
    .unwrap()
}

#[test]
fn the_decision_says_who_what_how_much_and_the_remedies() {
    let world = World::new();
    let case = general_case();
    let doc = made(&world, &case, DocumentKind::Decision, "ev-decide");
    assert_eq!(doc.title, "行政处罚决定书");
    assert_eq!(doc.date, "2026年11月21日");
    assert_eq!(doc.sources, ["ev-decide"]);
    let text = said(&doc);
    for needle in [
        "410302199001011234",
        "罚款人民币陆仟元整（6000元）",
        "《城市道路管理条例》第二十七条",
        "中国工商银行示例市分行",
        "15日内",
        "罚款数额的3%加处罚款",
        "60日内向示例市人民政府申请行政复议",
        "6个月内依法向示例市东城区人民法院提起行政诉讼",
        "不予采纳",
        "询问笔录（被询问人：张三）",
    ] {
        assert!(text.contains(needle), "{needle} not in {text}");
    }
    assert!(matches!(doc.blocks.last(), Some(Block::Seal { .. })));
}

#[test]
fn a_decision_of_no_penalty_is_titled_so_and_asks_no_payment() {
    let world = World::new();
    let mut events = general_events();
    for e in &mut events {
        if let Act::Decide {
            discretion,
            penalties,
            ..
        } = &mut e.act
        {
            *discretion = Discretion::NoPenalty;
            penalties.clear();
        }
    }
    events.retain(|e| !matches!(e.act, Act::Execute { .. } | Act::Close { .. }));
    let case = Case::new("QC-2026-0008", events, Vec::new());
    let doc = made(&world, &case, DocumentKind::Decision, "ev-decide");
    assert_eq!(doc.title, "不予行政处罚决定书");
    let text = said(&doc);
    assert!(
        text.contains("不予处罚") && !text.contains("缴纳"),
        "{text}"
    );
}

#[test]
fn the_transcript_prints_every_page_with_its_signature_or_refusal() {
    let world = World::new();
    let case = general_case();
    let facts = world.facts(&case);
    let doc = project(
        &facts,
        DocumentKind::Transcript,
        &Source::Record("rec-transcript".into()),
        "示城管询字〔2026〕A7-003号",
    )
    .unwrap();
    assert_eq!(
        doc.sources,
        [case.records[1].seal.as_ref().unwrap().digest.clone()]
    );
    assert_eq!(doc.date, "2026年11月3日");
    let pages = doc
        .blocks
        .iter()
        .filter(|b| matches!(b, Block::Qa { .. }))
        .count();
    let breaks = doc
        .blocks
        .iter()
        .filter(|b| matches!(b, Block::PageBreak))
        .count();
    assert_eq!((pages, breaks), (3, 2));
    let signatures: Vec<_> = doc
        .blocks
        .iter()
        .filter_map(|b| match b {
            Block::SheetSignature { signature } => Some(signature),
            _ => None,
        })
        .collect();
    assert_eq!(signatures.len(), 3);
    assert_eq!(signatures[0].image, Some(sha(&signature())));
    assert!(
        signatures[1]
            .note
            .as_deref()
            .unwrap()
            .contains("以上笔录共3页，第2页，已阅，与我所说一致")
    );
    assert_eq!(signatures[2].image, None);
    assert!(signatures[2].note.as_deref().unwrap().contains("拒绝签名"));
    let text = said(&doc);
    assert!(text.contains("李明（执法证号 41030021001）"), "{text}");
    assert!(text.contains("2026年11月3日 09时10分至09时55分"), "{text}");
}

#[test]
fn the_delivery_receipt_names_the_decision_method_and_witnesses() {
    let world = World::new();
    let case = general_case();
    let doc = made(&world, &case, DocumentKind::DeliveryReceipt, "ev-deliver");
    let text = said(&doc);
    for needle in [
        "行政处罚决定书（2026年11月21日作出）",
        "留置送达",
        "受送达人拒绝签收",
        "赵六（社区工作人员）",
        "2026年11月22日 09时10分",
        "王芳（执法证号 41030021002）",
    ] {
        assert!(text.contains(needle), "{needle} not in {text}");
    }
}

#[test]
fn a_signed_receipt_shows_the_signature_and_the_decisions_number() {
    let world = World::new();
    let mut case = general_case();
    let decided = case.events.iter().find(|e| e.id == "ev-decide").unwrap().at;
    case.issued.push(qc_casedoc::IssuedDocument {
        kind: "decision".into(),
        source: "event:ev-decide".into(),
        number: "示城管罚决字〔2026〕A7-012号".into(),
        data: "00".repeat(32),
        pdf: "11".repeat(32),
        pages: 2,
        at: decided,
        by: vec![PersonId("li.ming".into())],
    });
    let signature = "ab".repeat(32);
    for e in &mut case.events {
        if let Act::Deliver {
            method,
            receipt: Some(r),
            ..
        } = &mut e.act
        {
            *method = DeliveryMethod::Direct;
            r.refused = false;
            r.witnesses.clear();
            r.signature = Some(signature.clone());
        }
    }
    let doc = made(&world, &case, DocumentKind::DeliveryReceipt, "ev-deliver");
    assert!(
        said(&doc).contains("行政处罚决定书（示城管罚决字〔2026〕A7-012号）"),
        "{}",
        said(&doc)
    );
    assert_eq!(doc.images(), [signature.as_str()]);
}

#[test]
fn late_acts_print_their_reason() {
    let world = World::new();
    let case = general_case();
    let doc = made(
        &world,
        &case,
        DocumentKind::PreservationDecision,
        "ev-pres-decision",
    );
    let text = said(&doc);
    assert!(text.contains("逾期办理说明：当事人外出"), "{text}");
    assert!(text.contains("木质货架3个、纸箱装苹果20箱"), "{text}");
}

#[test]
fn the_hearing_notice_follows_the_offer() {
    let world = World::new();
    let case = general_case();
    let doc = made(&world, &case, DocumentKind::HearingNotice, "ev-notify");
    let text = said(&doc);
    assert!(
        text.contains("5日内") && text.contains("罚款人民币陆仟元整"),
        "{text}"
    );
    let prior = made(&world, &case, DocumentKind::PriorNotice, "ev-notify");
    assert!(said(&prior).contains("3日内"));
}

#[test]
fn the_cover_sums_up_the_case() {
    let world = World::new();
    let case = general_case();
    let doc = project(&world.facts(&case), DocumentKind::Cover, &Source::Case, "").unwrap();
    let text = said(&doc);
    for needle in [
        "侵占城市道路",
        "立案日期",
        "2026年12月3日",
        "罚款人民币陆仟元整（6000元）",
        "李明（执法证号 41030021001）",
        "长期",
    ] {
        assert!(text.contains(needle), "{needle} not in {text}");
    }
    assert_eq!(doc.date, "2026年12月3日");
}

/// 721 management then 简易程序, a filing declined, and a transfer to the police.
#[test]
fn other_paths_issue_their_own_documents() {
    let world = World::new();
    let sig = signature();
    let mut images = Images::new();
    images.insert(sha(&sig), sig);
    let renderer = Renderer::from_default_fonts().expect("pinned fonts");
    let on_the_spot = Case::new(
        "QC-2026-0010",
        vec![
            event(
                "ev-order",
                HOUR,
                &["li.ming", "wang.fang"],
                Act::OrderCorrection {
                    order: "立即清除人行道上的货架和货物，恢复道路通行".into(),
                    correct_by: at(2 * DAY),
                },
            ),
            event(
                "ev-follow",
                2 * DAY,
                &["li.ming", "wang.fang"],
                Act::FollowUp {
                    corrected: false,
                    note: "复查时摊位仍在".into(),
                },
            ),
            event(
                "ev-summary",
                2 * DAY + HOUR,
                &["li.ming", "wang.fang"],
                Act::SummaryDecision {
                    penalties: vec![Penalty::Warning, Penalty::Fine { yuan: 200 }],
                    facts: "当事人经责令改正后仍占用人行道摆摊".into(),
                    basis: String::new(),
                    certificate_shown: true,
                },
            ),
        ],
        Vec::new(),
    );
    let declined = Case::new(
        "QC-2026-0011",
        vec![event(
            "ev-decline",
            HOUR,
            &["liu.jianguo"],
            Act::DeclineFiling {
                reason: "经核查，摊位已自行撤除，违法行为轻微并及时改正".into(),
            },
        )],
        Vec::new(),
    );
    let transferred = Case::new(
        "QC-2026-0012",
        vec![
            event("ev-file", HOUR, &["liu.jianguo"], Act::File),
            event(
                "ev-start",
                2 * HOUR,
                &["liu.jianguo"],
                Act::StartInvestigation {
                    team: ids(&["li.ming", "wang.fang"]),
                },
            ),
            event(
                "ev-transfer",
                DAY,
                &["li.ming", "wang.fang"],
                Act::Transfer {
                    to: "示例市公安局东城分局".into(),
                    reason: "当事人以暴力方法阻碍执法人员依法执行职务".into(),
                    kind: TransferTo::Police,
                    materials: "现场执法记录仪视频1段、询问笔录1份".into(),
                },
            ),
        ],
        Vec::new(),
    );
    use DocumentKind::*;
    let expected: [(&Case, &[DocumentKind], &[&str]); 3] = [
        (
            &on_the_spot,
            &[Cover, CorrectionOrder, SummaryDecision],
            &[
                "2026年11月4日前",
                "罚款人民币贰佰元整（200元）",
                "已出示执法证件",
                "第四十二条",
            ],
        ),
        (
            &declined,
            &[Cover, FilingApproval],
            &["不予立案。理由", "12319热线投诉举报"],
        ),
        (
            &transferred,
            &[Cover, FilingApproval, Transfer],
            &["示例市公安局东城分局", "涉嫌犯罪", "现场执法记录仪视频1段"],
        ),
    ];
    for (case, want, needles) in expected {
        let facts = world.facts(case);
        let list = issuable(&facts);
        assert_eq!(kinds(&list), want, "{}", case.state.header.id);
        let mut text = String::new();
        for item in &list {
            let doc = project(&facts, item.kind, &item.source, "示城管〔2026〕1号").unwrap();
            text.push_str(&said(&doc));
            let rendered = renderer.pdf(&doc, &images).unwrap();
            if let Some(dir) = out_dir() {
                let name = format!("{dir}/{}-{}.pdf", case.state.header.id, item.kind.name());
                std::fs::write(name, &rendered.pdf).unwrap();
            }
        }
        for needle in needles {
            assert!(text.contains(needle), "{needle} not in {text}");
        }
    }
}

#[test]
fn a_missing_or_wrong_source_is_refused() {
    let world = World::new();
    let case = general_case();
    let facts = world.facts(&case);
    let no = |kind, source: Source| project(&facts, kind, &source, "").unwrap_err();
    assert_eq!(
        no(DocumentKind::Decision, Source::Event("nope".into())),
        ProjectError::NoSource("event:nope".into())
    );
    assert_eq!(
        no(DocumentKind::Inspection, Source::Record("nope".into())),
        ProjectError::NoSource("record:nope".into())
    );
    for (kind, source) in [
        // Not sealed yet.
        (
            DocumentKind::Sampling,
            Source::Record("rec-sampling".into()),
        ),
        // A record of another kind.
        (
            DocumentKind::Transcript,
            Source::Record("rec-inspection".into()),
        ),
        // An act that issues something else, or nothing.
        (DocumentKind::Decision, Source::Event("ev-deliver".into())),
        (DocumentKind::Decision, Source::Event("ev-start".into())),
        (DocumentKind::Decision, Source::Case),
    ] {
        assert!(
            matches!(no(kind, source.clone()), ProjectError::NotIssuable { .. }),
            "{kind:?} from {source:?}"
        );
    }
}

#[test]
fn the_same_facts_give_the_same_document() {
    let world = World::new();
    let case = general_case();
    let facts = world.facts(&case);
    let a = project(
        &facts,
        DocumentKind::Decision,
        &Source::Event("ev-decide".into()),
        "1",
    )
    .unwrap();
    let b = project(
        &facts,
        DocumentKind::Decision,
        &Source::Event("ev-decide".into()),
        "1",
    )
    .unwrap();
    assert_eq!(a.digest(), b.digest());
}

#[test]
fn a_recording_is_dated_when_it_was_made_not_when_it_was_kept() {
    let world = World::new();
    let mut case = general_case();
    let mut recording = case.evidence[0].clone();
    recording.facts.id = "ev-r".into();
    recording.facts.kind = MediaKind::Audio;
    recording.facts.description = "询问同步录音".into();
    // Kept three days later, after a crash.
    recording.facts.captured_at = at(3 * DAY);
    recording.facts.span = Some(qc_domain::TimeSpan {
        from: at(HOUR),
        to: at(2 * HOUR),
    });
    case.evidence.push(recording);
    let Some(Block::Table { rows, .. }) = text::evidence_table(&world.facts(&case)) else {
        panic!("no evidence table");
    };
    let row = rows.iter().find(|r| r[1] == "录音：询问同步录音").unwrap();
    assert_eq!(row[2], text::date_zh(at(HOUR)));
    assert_ne!(row[2], text::date_zh(at(3 * DAY)));
}

/// A redacted copy made for disclosure is not evidence the documents list: making one after
/// the decision leaves what they print unchanged.
#[test]
fn a_redacted_copy_is_not_listed_as_evidence() {
    let world = World::new();
    let mut case = general_case();
    let before = text::evidence_table(&world.facts(&case));
    let mut copy = case.evidence[0].clone();
    copy.facts.id = "ev-copy".into();
    copy.facts.description = "现场全景（打码副本）".into();
    copy.facts.redacts = Some(qc_domain::Redaction {
        original: case.evidence[0].facts.id.clone(),
        original_sha256: case.evidence[0].facts.sha256.clone(),
        reason: "遮挡围观群众面部".into(),
    });
    case.evidence.push(copy);
    assert_eq!(text::evidence_table(&world.facts(&case)), before);
}
