//! Who may write records when, and a sign-off that agrees with the record: one test per rule,
//! each failing if its rule is removed.

use super::*;
use crate::case::{CaseHeader, CaseId, CaseSource, CaseStatus, PartyKind};
use crate::person::Role;
use crate::workflow::initial_state;

fn person(id: &str, name: &str, role: Role, squad: &str) -> Person {
    Person {
        id: PersonId(id.into()),
        name: name.into(),
        role,
        cert_no: role.enforces().then(|| CertNo(format!("4401{id}"))),
        squad: squad.into(),
    }
}

fn li() -> Person {
    person("01", "李明", Role::EnforcementOfficer, "一中队")
}
fn wang() -> Person {
    person("02", "王芳", Role::EnforcementOfficer, "一中队")
}
fn zhao() -> Person {
    person("03", "赵强", Role::EnforcementOfficer, "一中队")
}

fn party(name: &str) -> Party {
    Party {
        kind: PartyKind::Person,
        name: name.into(),
        id_number: Some("410302198001011234".into()),
        phone: None,
    }
}

/// A case of 一中队 at `status`, investigated by 李明 and 王芳, whose party is 张三.
fn case(status: CaseStatus) -> CaseState {
    let mut s = initial_state(CaseHeader {
        id: CaseId("case-1".into()),
        source: CaseSource::SelfDiscovered,
        domain: "transport".into(),
        violation: "transport.road_occupation".into(),
        location: Location {
            address: "景华路88号".into(),
            grid: "JX-02-04".into(),
            gps: None,
        },
        parties: vec![party("张三")],
        summary: "占道堆放货物".into(),
        squad: "一中队".into(),
        registered_at: Timestamp(0),
        registered_by: PersonId("01".into()),
    });
    s.status = status;
    s.team = vec![li().id, wang().id];
    s
}

const AFTER_INVESTIGATION: [CaseStatus; 6] = [
    CaseStatus::InvestigationConcluded,
    CaseStatus::LegalReviewed,
    CaseStatus::Notified,
    CaseStatus::Decided,
    CaseStatus::Delivered,
    CaseStatus::Executed,
];
const OUTSIDE_THE_CASE: [CaseStatus; 7] = [
    CaseStatus::Registered,
    CaseStatus::Returned,
    CaseStatus::Filed,
    CaseStatus::NotFiled,
    CaseStatus::Transferred,
    CaseStatus::Closed,
    CaseStatus::Disclosed,
];

#[test]
fn a_new_record_only_while_the_case_is_investigated() {
    let team = [li(), wang()];
    assert_eq!(
        record_allowed(&case(CaseStatus::Investigating), None, &team),
        Ok(())
    );
    for status in AFTER_INVESTIGATION.into_iter().chain(OUTSIDE_THE_CASE) {
        let e = record_allowed(&case(status), None, &team).unwrap_err();
        assert_eq!(
            e,
            RuleViolation::RecordOutsideInvestigation {
                status,
                correction: false
            }
        );
        assert!(e.message_zh().contains(status.zh()), "{}", e.message_zh());
        assert!(e.message_zh().contains("调查取证"), "{}", e.message_zh());
    }
}

#[test]
fn a_correction_after_the_investigation_until_the_case_is_closed() {
    let team = [li(), wang()];
    for status in AFTER_INVESTIGATION
        .into_iter()
        .chain([CaseStatus::Investigating])
    {
        assert_eq!(
            record_allowed(&case(status), Some("r1"), &team),
            Ok(()),
            "{status:?}"
        );
    }
    for status in OUTSIDE_THE_CASE {
        let e = record_allowed(&case(status), Some("r1"), &team).unwrap_err();
        assert_eq!(
            e,
            RuleViolation::RecordOutsideInvestigation {
                status,
                correction: true
            }
        );
        assert!(e.message_zh().contains("更正笔录"), "{}", e.message_zh());
    }
}

#[test]
fn only_the_investigation_team_writes_records() {
    let s = case(CaseStatus::Investigating);
    // An officer of the squad who is not on the team.
    assert_eq!(
        record_allowed(&s, None, &[li(), zhao()]),
        Err(RuleViolation::NotOnTeam {
            name: "赵强".into()
        })
    );
    // Another squad's officers, even two of them.
    let other = [
        person("21", "钱进", Role::EnforcementOfficer, "二中队"),
        person("22", "孙立", Role::EnforcementOfficer, "二中队"),
    ];
    assert_eq!(
        record_allowed(&s, None, &other),
        Err(RuleViolation::NotOnTeam {
            name: "钱进".into()
        })
    );
    // The squad leader and the head are certified, but not on the team either.
    for boss in [
        person("10", "刘建国", Role::SquadLeader, "一中队"),
        person("30", "周局", Role::Head, "一中队"),
    ] {
        let e = record_allowed(&s, Some("r1"), &[li(), boss.clone()]).unwrap_err();
        assert_eq!(e, RuleViolation::NotOnTeam { name: boss.name });
        assert!(e.message_zh().contains("不是本案的调查人员"));
    }
    // An assistant is refused as not an enforcement officer.
    let chen = person("09", "陈协", Role::Assistant, "一中队");
    assert!(matches!(
        record_allowed(&s, None, &[li(), chen]),
        Err(RuleViolation::NotAnEnforcementOfficer { .. })
    ));
    assert_eq!(record_allowed(&s, None, &[]), Err(RuleViolation::NoActor));
    // A case before its investigation has no team at all.
    let mut filed = case(CaseStatus::Investigating);
    filed.team.clear();
    assert!(matches!(
        record_allowed(&filed, None, &[li(), wang()]),
        Err(RuleViolation::NotOnTeam { .. })
    ));
}

#[test]
fn a_recused_officer_writes_no_record() {
    let mut s = case(CaseStatus::Investigating);
    // Even while still listed on the team (an event merged from another device).
    s.recused.insert(wang().id);
    let e = record_allowed(&s, None, &[li(), wang()]).unwrap_err();
    assert_eq!(
        e,
        RuleViolation::Recused {
            name: "王芳".into()
        }
    );
    assert_eq!(record_allowed(&s, None, &[li()]), Ok(()));
}

fn officers() -> Vec<OfficerRef> {
    [li(), wang()]
        .into_iter()
        .map(|p| OfficerRef::from(&EnforcementOfficer::try_from(p).unwrap()))
        .collect()
}

/// A complete inspection record of 张三 by 李明 and 王芳; `present` says whether 张三 attended.
fn inspection(present: bool, signoff: PartySignoff) -> Record {
    Record {
        id: "r1".into(),
        body: RecordBody::Inspection(Inspection {
            place: Location {
                address: "景华路88号".into(),
                grid: "JX-02-04".into(),
                gps: None,
            },
            started_at: Timestamp(0),
            ended_at: Some(Timestamp(1_800_000)),
            officers: officers(),
            party: Some(party("张三")),
            party_notified: true,
            party_present: present,
            found: "店外占道堆放货物约3平方米".into(),
            outcome: Some(Outcome721::Management),
        }),
        signoff: Some(signoff),
        corrects: None,
        created_at: Timestamp(0),
        created_by: li().id,
    }
}

fn party_signs() -> PartySignoff {
    PartySignoff::Party {
        name: "张三".into(),
        image: "ab".repeat(32),
        at: Timestamp(1),
    }
}

fn witness(name: &str, why: Option<NoPartySignature>) -> PartySignoff {
    PartySignoff::Witness {
        name: name.into(),
        id_number: None,
        party_absent_reason: why.map_or("（未说明）", |w| w.zh()).into(),
        party_did_not_sign: why,
        image: "cd".repeat(32),
        at: Timestamp(1),
    }
}

fn note(why: Option<NoPartySignature>) -> PartySignoff {
    PartySignoff::OfficersNote {
        note: "现场无见证人".into(),
        party_did_not_sign: why,
        at: Timestamp(1),
    }
}

fn seal(r: &Record) -> Result<(), RuleViolation> {
    seal_check(r, &[li(), wang()], &case(CaseStatus::Investigating))
}

use NoPartySignature::{Absent, Refused};

#[test]
fn consistent_sign_offs_seal() {
    for r in [
        inspection(true, party_signs()),
        inspection(true, witness("路人甲", Some(Refused))),
        inspection(true, note(Some(Refused))),
        inspection(false, witness("路人甲", Some(Absent))),
        inspection(false, note(Some(Absent))),
    ] {
        assert_eq!(seal(&r), Ok(()), "{:?}", r.signoff);
    }
}

#[test]
fn an_absent_party_cannot_have_signed() {
    let e = seal(&inspection(false, party_signs())).unwrap_err();
    assert_eq!(e, RuleViolation::AbsentPartySigned);
    assert!(e.message_zh().contains("不在场"), "{}", e.message_zh());
}

#[test]
fn why_the_party_did_not_sign_agrees_with_attendance() {
    // "The party attended" and "the party was absent, no witness" on one record.
    for r in [
        inspection(true, note(Some(Absent))),
        inspection(true, witness("路人甲", Some(Absent))),
    ] {
        assert_eq!(
            seal(&r),
            Err(RuleViolation::NoSignatureReasonMismatch {
                party_present: true
            })
        );
    }
    for r in [
        inspection(false, note(Some(Refused))),
        inspection(false, witness("路人甲", Some(Refused))),
    ] {
        let e = seal(&r).unwrap_err();
        assert_eq!(
            e,
            RuleViolation::NoSignatureReasonMismatch {
                party_present: false
            }
        );
        assert!(
            e.message_zh().contains("当事人不在场"),
            "{}",
            e.message_zh()
        );
    }
}

#[test]
fn why_the_party_did_not_sign_must_be_given() {
    for r in [
        inspection(true, note(None)),
        inspection(false, witness("路人甲", None)),
    ] {
        match seal(&r) {
            Err(RuleViolation::RecordIncomplete { missing }) => {
                assert!(missing.contains("未签名的原因"), "{missing}")
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn the_witness_is_uninterested() {
    // The party cannot witness their own refusal, by name or by ID number.
    let e = seal(&inspection(true, witness("张三", Some(Refused)))).unwrap_err();
    assert_eq!(
        e,
        RuleViolation::WitnessNotUninterested {
            name: "张三".into(),
            is: "当事人"
        }
    );
    assert!(e.message_zh().contains("无利害关系"), "{}", e.message_zh());
    let mut by_id = witness("张老三", Some(Refused));
    if let PartySignoff::Witness { id_number, .. } = &mut by_id {
        *id_number = Some("410302198001011234".into());
    }
    assert!(matches!(
        seal(&inspection(true, by_id)),
        Err(RuleViolation::WitnessNotUninterested {
            is: "当事人", ..
        })
    ));
    // The case's party counts even when the record names none.
    let mut r = inspection(false, witness("张三", Some(Absent)));
    if let RecordBody::Inspection(i) = &mut r.body {
        i.party = None;
    }
    assert!(matches!(
        seal(&r),
        Err(RuleViolation::WitnessNotUninterested {
            is: "当事人", ..
        })
    ));
    // Nor can one of the officers who made the record.
    assert_eq!(
        seal(&inspection(false, witness("王芳", Some(Absent)))),
        Err(RuleViolation::WitnessNotUninterested {
            name: "王芳".into(),
            is: "本笔录的执法人员"
        })
    );
}

#[test]
fn a_known_party_is_notified_to_attend() {
    let mut r = inspection(false, note(Some(Absent)));
    if let RecordBody::Inspection(i) = &mut r.body {
        i.party_notified = false;
    }
    let e = seal(&r).unwrap_err();
    assert_eq!(e, RuleViolation::PartyNotCalledToAttend);
    assert!(e.message_zh().contains("通知当事人到场"));
    // A party found on the spot attended anyway.
    if let RecordBody::Inspection(i) = &mut r.body {
        i.party_present = true;
        r.signoff = Some(note(Some(Refused)));
    }
    assert_eq!(seal(&r), Ok(()));
    // With no party known (a stall whose keeper ran off), there is nobody to notify.
    let mut unknown = inspection(false, note(Some(Absent)));
    if let RecordBody::Inspection(i) = &mut unknown.body {
        i.party = None;
        i.party_notified = false;
    }
    let mut s = case(CaseStatus::Investigating);
    s.header.parties.clear();
    assert_eq!(seal_check(&unknown, &[li(), wang()], &s), Ok(()));
}

#[test]
fn a_notice_witness_is_uninterested_and_says_why_the_party_did_not_sign() {
    let mut r = inspection(true, witness("张三", Some(Refused)));
    r.body = RecordBody::Preservation(Notice {
        items: vec![NoticeItem {
            name: "货物（纸箱）".into(),
            quantity: "12箱".into(),
        }],
        kept_at: "中队暂扣物品仓库".into(),
        officers: officers(),
        party: None,
        issued_at: Timestamp(0),
    });
    assert!(matches!(
        seal(&r),
        Err(RuleViolation::WitnessNotUninterested { .. })
    ));
    r.signoff = Some(witness("路人甲", None));
    assert!(matches!(
        seal(&r),
        Err(RuleViolation::RecordIncomplete { .. })
    ));
    for why in [Refused, Absent] {
        r.signoff = Some(witness("路人甲", Some(why)));
        assert_eq!(seal(&r), Ok(()));
    }
}

#[test]
fn a_sign_off_stored_before_the_reason_field_still_loads_and_reads_back_the_same() {
    let old = r#"{"by":"officers_note","note":"当事人拒绝签名，现场无见证人","at":5}"#;
    let s: PartySignoff = serde_json::from_str(old).unwrap();
    assert_eq!(
        s,
        PartySignoff::OfficersNote {
            note: "当事人拒绝签名，现场无见证人".into(),
            party_did_not_sign: None,
            at: Timestamp(5)
        }
    );
    // Re-encoded exactly as stored, so a sealed record's digest is unchanged.
    assert_eq!(serde_json::to_string(&s).unwrap(), old);
    let new = serde_json::to_string(&note(Some(Refused))).unwrap();
    assert!(new.contains(r#""party_did_not_sign":"refused""#), "{new}");
}

#[test]
fn each_refusal_reads_in_chinese_and_logs_in_english() {
    let all = [
        RuleViolation::RecordOutsideInvestigation {
            status: CaseStatus::Closed,
            correction: false,
        },
        RuleViolation::RecordOutsideInvestigation {
            status: CaseStatus::Closed,
            correction: true,
        },
        RuleViolation::NotOnTeam {
            name: "赵强".into(),
        },
        RuleViolation::AbsentPartySigned,
        RuleViolation::NoSignatureReasonMismatch {
            party_present: true,
        },
        RuleViolation::NoSignatureReasonMismatch {
            party_present: false,
        },
        RuleViolation::WitnessNotUninterested {
            name: "张三".into(),
            is: "当事人",
        },
        RuleViolation::PartyNotCalledToAttend,
    ];
    let codes: std::collections::BTreeSet<_> = all.iter().map(|v| v.code()).collect();
    assert_eq!(codes.len(), 6);
    for v in all {
        let zh = v.message_zh();
        assert!(
            zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
            "{zh}"
        );
        let en = v.to_string();
        // The log line is English (names stay as written).
        assert!(en.contains(" is ") || en.contains(" the "), "{en}");
        assert_ne!(en, zh);
    }
}

/// A clip is proposed for the acts its officer took part in about its time, not for another
/// officer's, one long after, one it names already, nor when it is no recording or says no time.
#[test]
fn a_clip_is_proposed_for_the_acts_of_its_officer_at_its_time() {
    use crate::case::{Act, WorkflowEvent};
    use crate::evidence::{EvidenceFacts, EvidenceItem, EvidenceSignature, MediaKind, TimeSpan};
    let event = |id: &str, who: &Person, at: i64| WorkflowEvent {
        id: id.into(),
        at: Timestamp(at),
        actors: vec![who.id.clone()],
        act: Act::File,
    };
    let records = [inspection(true, party_signs())];
    let events = [
        event("near", &li(), 2_100_000),
        event("late", &li(), 2_300_000),
        event("other", &zhao(), 1_600_000),
    ];
    let clip = |kind, span: Option<(i64, i64)>, covers: &[&str]| EvidenceItem {
        facts: EvidenceFacts {
            id: "clip".into(),
            sha256: "00".repeat(32),
            size: 1,
            mime: "video/mp4".into(),
            kind,
            file_name: "CAM0001.MP4".into(),
            description: String::new(),
            captured_at: Timestamp(9_000_000),
            exif: None,
            thumbnail: None,
            attestation: None,
            span: span.map(|(from, to)| TimeSpan {
                from: Timestamp(from),
                to: Timestamp(to),
            }),
            covers: covers.iter().map(|c| c.to_string()).collect(),
            note: None,
            redacts: None,
        },
        signatures: vec![EvidenceSignature {
            officer: officers().remove(0),
            at: Timestamp(9_000_000),
        }],
        links: Vec::new(),
        deleted: None,
    };
    let worn = Some((1_500_000, 1_900_000));
    let proposed = |item: &EvidenceItem| crate::evidence::proposed_acts(item, &records, &events);
    assert_eq!(proposed(&clip(MediaKind::Video, worn, &[])), ["r1", "near"]);
    assert_eq!(proposed(&clip(MediaKind::Audio, worn, &["r1"])), ["near"]);
    let mut linked = clip(MediaKind::Video, worn, &[]);
    linked.links.push(crate::evidence::EvidenceLink {
        acts: vec!["near".into()],
        by: officers().remove(0),
        at: Timestamp(9_500_000),
    });
    assert_eq!(proposed(&linked), ["r1"]);
    // An hour later, nothing of its officer's.
    assert!(proposed(&clip(MediaKind::Video, Some((5_400_000, 5_500_000)), &[])).is_empty());
    assert!(proposed(&clip(MediaKind::Photo, worn, &[])).is_empty());
    assert!(proposed(&clip(MediaKind::Video, None, &[])).is_empty());
}
