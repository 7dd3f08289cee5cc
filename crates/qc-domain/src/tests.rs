//! One test per procedure rule: each fails if the rule it names is removed.

use time::macros::datetime;

use crate::workflow::{apply, initial_state, investigation_team};
use crate::*;

fn person(id: &str, name: &str, role: Role) -> Person {
    Person {
        id: PersonId(id.into()),
        name: name.into(),
        role,
        cert_no: role.enforces().then(|| CertNo(format!("4401{id}"))),
        squad: "一中队".into(),
    }
}

struct People {
    a: Person,
    b: Person,
    c: Person,
    assistant: Person,
    leader: Person,
    reviewer: Person,
    head: Person,
    admin: Person,
}

fn people() -> People {
    People {
        a: person("01", "李明", Role::EnforcementOfficer),
        b: person("02", "王芳", Role::EnforcementOfficer),
        c: person("03", "赵强", Role::EnforcementOfficer),
        assistant: person("09", "陈协", Role::Assistant),
        leader: person("10", "刘队", Role::SquadLeader),
        reviewer: person("20", "孙法", Role::LegalReviewer),
        head: person("30", "周局", Role::Head),
        admin: person("40", "吴管", Role::Administrator),
    }
}

fn all(p: &People) -> Vec<Person> {
    vec![
        p.a.clone(),
        p.b.clone(),
        p.c.clone(),
        p.assistant.clone(),
        p.leader.clone(),
        p.reviewer.clone(),
        p.head.clone(),
        p.admin.clone(),
    ]
}

fn t0() -> Timestamp {
    Timestamp::from_datetime(datetime!(2026-03-02 09:00 +8))
}

fn day(n: i64) -> Timestamp {
    t0().plus(time::Duration::days(n))
}

fn header(source: CaseSource) -> CaseHeader {
    CaseHeader {
        id: CaseId("case-1".into()),
        source,
        domain: "environment".into(),
        violation: "environment.open_air_barbecue".into(),
        location: Location {
            address: "解放路12号".into(),
            grid: "XG-03-07".into(),
            gps: None,
        },
        parties: vec![],
        summary: "夜间露天烧烤，油烟扰民".into(),
        squad: "一中队".into(),
        registered_at: t0(),
        registered_by: PersonId("01".into()),
    }
}

fn complaint() -> CaseSource {
    CaseSource::Complaint {
        complainant: "居民甲".into(),
        contact: "138****0000".into(),
        via_12319: true,
    }
}

/// Validates then applies, like the store does.
fn act(
    state: &mut CaseState,
    p: &People,
    act: Act,
    actors: &[&Person],
    at: Timestamp,
) -> Result<(), RuleViolation> {
    let actors: Vec<Person> = actors.iter().map(|&a| a.clone()).collect();
    validate(state, &act, &actors, &all(p), at)?;
    let id = format!("e{}", state.anomalies.len() + at.0 as usize);
    apply(
        state,
        &WorkflowEvent {
            id,
            at,
            actors: actors.iter().map(|a| a.id.clone()).collect(),
            act,
        },
    )
}

/// A case walked up to the given status by the book.
fn case_at(p: &People, source: CaseSource, stop: CaseStatus) -> CaseState {
    let mut s = initial_state(header(source));
    let steps: Vec<(Act, Vec<&Person>)> = vec![
        (Act::File, vec![&p.leader]),
        (
            Act::StartInvestigation {
                team: vec![p.a.id.clone(), p.b.id.clone()],
            },
            vec![&p.leader],
        ),
        (
            Act::ConcludeInvestigation {
                summary: "事实清楚".into(),
            },
            vec![&p.a],
        ),
        (
            Act::LegalReview {
                passed: true,
                opinion: "程序合法".into(),
            },
            vec![&p.reviewer],
        ),
        (
            Act::Notify {
                hearing_offered: false,
            },
            vec![&p.a, &p.b],
        ),
        (
            Act::Decide {
                discretion: Discretion::Standard,
                summary: "罚款500元".into(),
            },
            vec![&p.head],
        ),
        (
            Act::Deliver {
                method: DeliveryMethod::Direct,
                late_reason: None,
            },
            vec![&p.a, &p.b],
        ),
        (
            Act::Execute {
                execution: Execution::PaidAtBank {
                    receipt_no: "B-1".into(),
                },
            },
            vec![&p.a],
        ),
    ];
    for (i, (a, who)) in steps.into_iter().enumerate() {
        if s.status == stop {
            break;
        }
        act(&mut s, p, a, &who, day(1 + i as i64)).unwrap();
    }
    assert_eq!(s.status, stop, "fixture did not reach {stop:?}");
    s
}

#[test]
fn full_lifecycle_by_the_book() {
    let p = people();
    let mut s = case_at(&p, complaint(), CaseStatus::Executed);
    act(
        &mut s,
        &p,
        Act::InformComplainant {
            how: "电话告知".into(),
        },
        &[&p.a],
        day(9),
    )
    .unwrap();
    act(
        &mut s,
        &p,
        Act::Close {
            report: "已执行完毕".into(),
        },
        &[&p.leader],
        day(10),
    )
    .unwrap();
    act(&mut s, &p, Act::Disclose, &[&p.leader], day(11)).unwrap();
    assert_eq!(s.status, CaseStatus::Disclosed);
    assert!(!s.status.is_open());
}

#[test]
fn registration_checks_catalogue_and_required_fields() {
    let p = people();
    let cat = Catalogue::default_zh();
    assert!(check_registration(&header(complaint()), &p.assistant, &cat).is_ok());
    let mut h = header(complaint());
    h.violation = "commerce.illegal_outdoor_advertising".into(); // wrong domain
    assert!(matches!(
        check_registration(&h, &p.a, &cat),
        Err(RuleViolation::UnknownViolationType { .. })
    ));
    let mut h = header(complaint());
    h.location.grid = " ".into();
    assert_eq!(
        check_registration(&h, &p.a, &cat),
        Err(RuleViolation::EmptyField { field: "网格" })
    );
    assert!(matches!(
        check_registration(&header(complaint()), &p.admin, &cat),
        Err(RuleViolation::RoleRequired { .. })
    ));
}

#[test]
fn filing_needs_a_leaders_approval() {
    let p = people();
    let mut s = initial_state(header(CaseSource::SelfDiscovered));
    let err = act(&mut s, &p, Act::File, &[&p.a], day(1)).unwrap_err();
    assert!(matches!(
        err,
        RuleViolation::RoleRequired { act: "file", .. }
    ));
    act(&mut s, &p, Act::File, &[&p.leader], day(1)).unwrap();
    assert_eq!(s.status, CaseStatus::Filed);
}

#[test]
fn a_leader_returns_a_filing_request_with_comments_and_officers_ask_again() {
    let p = people();
    let mut s = initial_state(header(CaseSource::SelfDiscovered));
    let back = |comments: &str| Act::ReturnFiling {
        comments: comments.into(),
    };
    let again = |note: &str| Act::ResubmitFiling { note: note.into() };
    assert!(matches!(
        act(&mut s, &p, back("补充现场照片"), &[&p.a], day(1)),
        Err(RuleViolation::RoleRequired { .. })
    ));
    assert!(matches!(
        act(&mut s, &p, back(" "), &[&p.leader], day(1)),
        Err(RuleViolation::EmptyField { .. })
    ));
    act(&mut s, &p, back("补充现场照片"), &[&p.leader], day(1)).unwrap();
    assert_eq!(s.status, CaseStatus::Returned);
    // Nothing is filed until the officers have verified and asked again.
    assert!(matches!(
        act(&mut s, &p, Act::File, &[&p.leader], day(1)),
        Err(RuleViolation::WrongStatus { .. })
    ));
    assert!(matches!(
        act(&mut s, &p, again("已补充"), &[&p.assistant], day(2)),
        Err(RuleViolation::AssistantRefused { .. })
    ));
    act(&mut s, &p, again("已补充照片两张"), &[&p.a], day(2)).unwrap();
    assert_eq!(s.status, CaseStatus::Registered);
    act(&mut s, &p, Act::File, &[&p.leader], day(2)).unwrap();
    assert_eq!(s.status, CaseStatus::Filed);
}

#[test]
fn investigation_needs_two_enforcement_officers() {
    let p = people();
    let mut s = case_at(&p, CaseSource::SelfDiscovered, CaseStatus::Filed);
    let err = act(
        &mut s,
        &p,
        Act::StartInvestigation {
            team: vec![p.a.id.clone()],
        },
        &[&p.leader],
        day(2),
    )
    .unwrap_err();
    assert_eq!(
        err,
        RuleViolation::TooFewOfficers {
            required: 2,
            present: 1
        }
    );
    let mut s = case_at(&p, CaseSource::SelfDiscovered, CaseStatus::Investigating);
    let notice = Act::PreservationNotice {
        notice: "N1".into(),
        items: "烧烤架一个".into(),
    };
    let err = act(&mut s, &p, notice.clone(), &[&p.a], day(3)).unwrap_err();
    assert!(matches!(
        err,
        RuleViolation::TooFewOfficers { present: 1, .. }
    ));
    act(&mut s, &p, notice, &[&p.a, &p.b], day(3)).unwrap();
}

#[test]
fn the_same_officer_twice_is_not_two_officers() {
    let p = people();
    let s = case_at(&p, CaseSource::SelfDiscovered, CaseStatus::Investigating);
    let err = investigation_team(&[p.a.clone(), p.a.clone()], &s).unwrap_err();
    assert!(matches!(err, RuleViolation::DuplicateActor { .. }));
}

#[test]
fn assistants_are_refused_for_enforcement_acts() {
    let p = people();
    let mut s = case_at(&p, CaseSource::SelfDiscovered, CaseStatus::Investigating);
    let err = act(
        &mut s,
        &p,
        Act::PreservationNotice {
            notice: "N1".into(),
            items: "物品".into(),
        },
        &[&p.a, &p.assistant],
        day(3),
    )
    .unwrap_err();
    assert!(matches!(err, RuleViolation::AssistantRefused { .. }));
    // Nor can an assistant be put on the investigating team.
    let mut s = case_at(&p, CaseSource::SelfDiscovered, CaseStatus::Filed);
    let err = act(
        &mut s,
        &p,
        Act::StartInvestigation {
            team: vec![p.a.id.clone(), p.assistant.id.clone()],
        },
        &[&p.leader],
        day(2),
    )
    .unwrap_err();
    assert!(matches!(err, RuleViolation::NotAnEnforcementOfficer { .. }));
}

#[test]
fn recused_officers_are_refused_on_their_case() {
    let p = people();
    let mut s = case_at(&p, CaseSource::SelfDiscovered, CaseStatus::Investigating);
    act(
        &mut s,
        &p,
        Act::Recuse {
            officer: p.b.id.clone(),
            reason: "当事人系其亲属".into(),
        },
        &[&p.b],
        day(3),
    )
    .unwrap();
    assert!(!s.team.contains(&p.b.id));
    let err = act(
        &mut s,
        &p,
        Act::PreservationNotice {
            notice: "N1".into(),
            items: "物品".into(),
        },
        &[&p.a, &p.b],
        day(4),
    )
    .unwrap_err();
    assert!(matches!(err, RuleViolation::Recused { .. }));
    let err = act(
        &mut s,
        &p,
        Act::StartInvestigation {
            team: vec![p.a.id.clone(), p.b.id.clone()],
        },
        &[&p.leader],
        day(4),
    )
    .unwrap_err();
    assert!(matches!(err, RuleViolation::Recused { .. }));
    // Another officer may replace them.
    act(
        &mut s,
        &p,
        Act::StartInvestigation {
            team: vec![p.a.id.clone(), p.c.id.clone()],
        },
        &[&p.leader],
        day(4),
    )
    .unwrap();
}

#[test]
fn only_the_officer_or_a_leader_can_recuse_someone() {
    let p = people();
    let mut s = case_at(&p, CaseSource::SelfDiscovered, CaseStatus::Investigating);
    let err = act(
        &mut s,
        &p,
        Act::Recuse {
            officer: p.b.id.clone(),
            reason: "利害关系".into(),
        },
        &[&p.a],
        day(3),
    )
    .unwrap_err();
    assert!(matches!(err, RuleViolation::RoleRequired { .. }));
}

#[test]
fn no_decision_without_a_passed_legal_review() {
    let p = people();
    let mut s = case_at(
        &p,
        CaseSource::SelfDiscovered,
        CaseStatus::InvestigationConcluded,
    );
    let decide = Act::Decide {
        discretion: Discretion::NoPenalty,
        summary: "不予处罚".into(),
    };
    let err = act(&mut s, &p, decide.clone(), &[&p.head], day(5)).unwrap_err();
    assert_eq!(err, RuleViolation::LegalReviewNotPassed);
    // A review that sends the case back does not count either.
    act(
        &mut s,
        &p,
        Act::LegalReview {
            passed: false,
            opinion: "证据不足，退回补充调查".into(),
        },
        &[&p.reviewer],
        day(5),
    )
    .unwrap();
    assert_eq!(s.status, CaseStatus::Investigating);
    assert!(!s.legal_review_passed);
}

#[test]
fn legal_review_is_done_by_a_legal_reviewer() {
    let p = people();
    let mut s = case_at(
        &p,
        CaseSource::SelfDiscovered,
        CaseStatus::InvestigationConcluded,
    );
    let err = act(
        &mut s,
        &p,
        Act::LegalReview {
            passed: true,
            opinion: "同意".into(),
        },
        &[&p.leader],
        day(5),
    )
    .unwrap_err();
    assert!(matches!(err, RuleViolation::RoleRequired { .. }));
}

#[test]
fn a_penalty_needs_prior_notice_but_no_penalty_does_not() {
    let p = people();
    let s = case_at(&p, CaseSource::SelfDiscovered, CaseStatus::LegalReviewed);
    let err = act(
        &mut s.clone(),
        &p,
        Act::Decide {
            discretion: Discretion::Lighter,
            summary: "罚款200元".into(),
        },
        &[&p.head],
        day(6),
    )
    .unwrap_err();
    assert_eq!(err, RuleViolation::PartyNotNotified);
    act(
        &mut s.clone(),
        &p,
        Act::Decide {
            discretion: Discretion::NoPenalty,
            summary: "违法行为轻微并及时改正，不予处罚".into(),
        },
        &[&p.head],
        day(6),
    )
    .unwrap();
}

#[test]
fn decisions_are_made_by_the_head() {
    let p = people();
    let mut s = case_at(&p, CaseSource::SelfDiscovered, CaseStatus::Notified);
    let err = act(
        &mut s,
        &p,
        Act::Decide {
            discretion: Discretion::Standard,
            summary: "罚款".into(),
        },
        &[&p.leader],
        day(6),
    )
    .unwrap_err();
    assert!(matches!(err, RuleViolation::RoleRequired { .. }));
}

#[test]
fn decision_deadline_is_sixty_days_from_filing() {
    let p = people();
    let mut s = case_at(&p, CaseSource::SelfDiscovered, CaseStatus::Notified);
    // Filed on day 1 (2026-03-03): the 60th day after is 2026-05-02, to its end.
    let due = deadline::decision_due(&s).unwrap();
    assert_eq!(due.display_china(), "2026-05-02 23:59");
    let decide = Act::Decide {
        discretion: Discretion::Standard,
        summary: "罚款500元".into(),
    };
    let err = act(
        &mut s.clone(),
        &p,
        decide.clone(),
        &[&p.head],
        Timestamp(due.0 + 1),
    )
    .unwrap_err();
    assert_eq!(err, RuleViolation::DecisionDeadlinePassed { due });
    act(&mut s, &p, decide, &[&p.head], due).unwrap();
}

#[test]
fn one_extension_of_at_most_sixty_days_approved_by_the_head() {
    let p = people();
    let mut s = case_at(&p, CaseSource::SelfDiscovered, CaseStatus::Investigating);
    let ext = |days| Act::ExtendDeadline {
        days,
        reason: "案情复杂".into(),
    };
    assert!(matches!(
        act(&mut s, &p, ext(30), &[&p.leader], day(50)).unwrap_err(),
        RuleViolation::RoleRequired { .. }
    ));
    assert_eq!(
        act(&mut s, &p, ext(61), &[&p.head], day(50)).unwrap_err(),
        RuleViolation::ExtensionLength { days: 61, max: 60 }
    );
    assert!(matches!(
        act(&mut s, &p, ext(0), &[&p.head], day(50)).unwrap_err(),
        RuleViolation::ExtensionLength { .. }
    ));
    let before = deadline::decision_due(&s).unwrap();
    act(&mut s, &p, ext(60), &[&p.head], day(50)).unwrap();
    let after = deadline::decision_due(&s).unwrap();
    assert_eq!((after.0 - before.0) / 86_400_000, 60);
    assert_eq!(
        act(&mut s, &p, ext(10), &[&p.head], day(55)).unwrap_err(),
        RuleViolation::ExtensionAlreadyGranted
    );
}

#[test]
fn an_extension_must_be_granted_before_the_deadline_passes() {
    let p = people();
    let mut s = case_at(&p, CaseSource::SelfDiscovered, CaseStatus::Investigating);
    let err = act(
        &mut s,
        &p,
        Act::ExtendDeadline {
            days: 30,
            reason: "案情复杂".into(),
        },
        &[&p.head],
        day(70),
    )
    .unwrap_err();
    assert!(matches!(err, RuleViolation::DecisionDeadlinePassed { .. }));
}

#[test]
fn delivery_within_seven_days_or_a_recorded_reason() {
    let p = people();
    let s = case_at(&p, CaseSource::SelfDiscovered, CaseStatus::Decided);
    let due = deadline::delivery_due(&s).unwrap();
    let late = Timestamp(due.0 + 1);
    let deliver = |late_reason: Option<&str>| Act::Deliver {
        method: DeliveryMethod::Post,
        late_reason: late_reason.map(String::from),
    };
    assert!(matches!(
        act(&mut s.clone(), &p, deliver(None), &[&p.a], late).unwrap_err(),
        RuleViolation::LateWithoutReason { what: "送达", .. }
    ));
    assert!(matches!(
        act(&mut s.clone(), &p, deliver(Some(" ")), &[&p.a], late).unwrap_err(),
        RuleViolation::LateWithoutReason { .. }
    ));
    act(
        &mut s.clone(),
        &p,
        deliver(Some("当事人外出，多次上门未遇")),
        &[&p.a],
        late,
    )
    .unwrap();
    act(&mut s.clone(), &p, deliver(None), &[&p.a], due).unwrap();
}

#[test]
fn electronic_delivery_needs_consent() {
    let p = people();
    let mut s = case_at(&p, CaseSource::SelfDiscovered, CaseStatus::Decided);
    let err = act(
        &mut s,
        &p,
        Act::Deliver {
            method: DeliveryMethod::Electronic {
                party_consented: false,
            },
            late_reason: None,
        },
        &[&p.a],
        day(7),
    )
    .unwrap_err();
    assert_eq!(err, RuleViolation::ElectronicDeliveryWithoutConsent);
}

#[test]
fn preservation_decision_within_seven_days_or_a_recorded_reason() {
    let p = people();
    let mut s = case_at(&p, CaseSource::SelfDiscovered, CaseStatus::Investigating);
    act(
        &mut s,
        &p,
        Act::PreservationNotice {
            notice: "N1".into(),
            items: "烧烤炉具".into(),
        },
        &[&p.a, &p.b],
        day(3),
    )
    .unwrap();
    let now = day(11); // the notice was issued on day 3: due at the end of day 10
    let list = deadline::deadlines(&s, now, &DeadlinePolicy::default());
    assert!(list.iter().any(|d| d.kind
        == DeadlineKind::Preservation {
            notice: "N1".into()
        }
        && d.urgency == Urgency::Overdue));
    let decide = |late_reason: Option<&str>| Act::PreservationDecision {
        notice: "N1".into(),
        outcome: "予以没收".into(),
        late_reason: late_reason.map(String::from),
    };
    assert!(matches!(
        act(&mut s.clone(), &p, decide(None), &[&p.leader], now).unwrap_err(),
        RuleViolation::LateWithoutReason { .. }
    ));
    act(&mut s, &p, decide(Some("鉴定结果延迟")), &[&p.leader], now).unwrap();
    assert!(s.open_preservations.is_empty());
    assert_eq!(
        act(&mut s, &p, decide(None), &[&p.leader], now).unwrap_err(),
        RuleViolation::NoOpenPreservationNotice("N1".into())
    );
}

#[test]
fn complainant_must_be_told_the_filing_outcome_before_closing() {
    let p = people();
    let mut s = case_at(&p, complaint(), CaseStatus::Executed);
    let close = Act::Close {
        report: "执行完毕".into(),
    };
    assert_eq!(
        act(&mut s, &p, close.clone(), &[&p.leader], day(9)).unwrap_err(),
        RuleViolation::ComplainantNotInformed
    );
    let list = deadline::deadlines(&s, day(9), &DeadlinePolicy::default());
    assert!(
        list.iter()
            .any(|d| d.kind == DeadlineKind::InformComplainant && d.urgency == Urgency::Overdue)
    );
    act(
        &mut s,
        &p,
        Act::InformComplainant {
            how: "电话告知".into(),
        },
        &[&p.a],
        day(9),
    )
    .unwrap();
    act(&mut s, &p, close, &[&p.leader], day(9)).unwrap();
    // A case not from a complaint has nobody to inform.
    let mut s = case_at(&p, CaseSource::SelfDiscovered, CaseStatus::Filed);
    assert_eq!(
        act(
            &mut s,
            &p,
            Act::InformComplainant {
                how: "电话".into()
            },
            &[&p.a],
            day(2)
        )
        .unwrap_err(),
        RuleViolation::NotAComplaint
    );
}

#[test]
fn declined_complaint_still_owes_the_complainant_an_answer() {
    let p = people();
    let mut s = initial_state(header(complaint()));
    act(
        &mut s,
        &p,
        Act::DeclineFiling {
            reason: "不属于本部门管辖".into(),
        },
        &[&p.leader],
        day(1),
    )
    .unwrap();
    let list = deadline::deadlines(&s, day(2), &DeadlinePolicy::default());
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].kind, DeadlineKind::InformComplainant);
}

#[test]
fn deadlines_are_due_soon_then_overdue_by_the_injected_clock() {
    let p = people();
    let s = case_at(&p, CaseSource::SelfDiscovered, CaseStatus::Investigating);
    let policy = DeadlinePolicy::default();
    let at = |n| deadline::deadlines(&s, day(n), &policy)[0].urgency;
    assert_eq!(at(10), Urgency::Pending);
    assert_eq!(at(59), Urgency::DueSoon);
    assert_eq!(at(62), Urgency::Overdue);
    // Decided cases no longer owe a decision but owe delivery.
    let s = case_at(&p, CaseSource::SelfDiscovered, CaseStatus::Decided);
    let list = deadline::deadlines(&s, day(7), &policy);
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].kind, DeadlineKind::Delivery);
}

#[test]
fn acts_out_of_order_are_refused_with_the_stage() {
    let p = people();
    let mut s = initial_state(header(CaseSource::SelfDiscovered));
    let err = act(
        &mut s,
        &p,
        Act::ConcludeInvestigation {
            summary: "x".into(),
        },
        &[&p.a],
        day(1),
    )
    .unwrap_err();
    assert_eq!(
        err,
        RuleViolation::WrongStatus {
            act: "conclude investigation",
            status: CaseStatus::Registered
        }
    );
    assert!(err.message_zh().contains("登记"));
}

#[test]
fn replay_follows_the_given_order_and_keeps_conflicting_events_as_anomalies() {
    let p = people();
    let ev = |id: &str, at, act| WorkflowEvent {
        id: id.into(),
        at,
        actors: vec![p.leader.id.clone()],
        act,
    };
    // Two devices, offline, both decided the filing: one filed, one declined. Whichever the
    // document orders first wins; the other is kept and flagged, never dropped.
    let events = vec![
        ev(
            "dev2-1",
            day(1),
            Act::DeclineFiling {
                reason: "证据不足".into(),
            },
        ),
        ev("dev1-1", day(1), Act::File),
    ];
    let s = replay(header(CaseSource::SelfDiscovered), &events);
    assert_eq!(s.status, CaseStatus::NotFiled);
    assert_eq!(s.anomalies.len(), 1);
    assert_eq!(s.anomalies[0].event, "dev1-1");
    // Acts in the same millisecond keep their order (a device clock is not an order).
    let same_time = vec![
        ev("z", day(1), Act::File),
        ev(
            "a",
            day(1),
            Act::StartInvestigation {
                team: vec![p.a.id.clone(), p.b.id.clone()],
            },
        ),
    ];
    let s = replay(header(CaseSource::SelfDiscovered), &same_time);
    assert_eq!(s.status, CaseStatus::Investigating);
    assert!(s.anomalies.is_empty());
}

#[test]
fn every_rule_has_a_chinese_reason_and_a_code() {
    let p = people();
    let cases = [
        RuleViolation::TooFewOfficers {
            required: 2,
            present: 1,
        },
        RuleViolation::AssistantRefused {
            name: p.assistant.name.clone(),
        },
        RuleViolation::LegalReviewNotPassed,
        RuleViolation::ComplainantNotInformed,
    ];
    for v in cases {
        assert!(!v.code().is_empty());
        assert!(
            v.message_zh()
                .chars()
                .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
        );
        // The log line is English (names stay as written).
        assert!(v.to_string().starts_with(|c: char| c.is_ascii_alphabetic()));
        assert_ne!(v.to_string(), v.message_zh());
    }
}

#[test]
fn act_kinds_have_unique_names_that_round_trip() {
    let names: std::collections::BTreeSet<_> = ActKind::ALL.iter().map(|k| k.name()).collect();
    assert_eq!(names.len(), ActKind::ALL.len());
    for k in ActKind::ALL {
        assert_eq!(ActKind::from_name(k.name()), Some(k));
    }
    assert_eq!(ActKind::from_name("bribe"), None);
    assert_eq!(Act::Disclose.kind().section(), FileSection::Closing);
    assert_eq!(
        Act::LegalReview {
            passed: false,
            opinion: String::new()
        }
        .zh(),
        "法制审核退回"
    );
}

#[test]
fn people_see_their_squads_cases_reviewers_those_sent_for_review_and_the_head_all() {
    use CaseStatus::*;
    let other = "二中队";
    for role in [
        Role::EnforcementOfficer,
        Role::Assistant,
        Role::SquadLeader,
        Role::Administrator,
    ] {
        let p = person("p", "某人", role);
        assert!(p.may_see("一中队", Investigating), "{role:?} own squad");
        assert!(
            !p.may_see(other, InvestigationConcluded),
            "{role:?} other squad"
        );
    }
    let legal = person("l", "孙丽", Role::LegalReviewer);
    assert!(!legal.may_see(other, Investigating));
    assert!(!legal.may_see(other, NotFiled));
    assert!(legal.may_see(other, InvestigationConcluded));
    assert!(legal.may_see(other, Decided));
    let head = person("h", "周文", Role::Head);
    assert!(head.may_see(other, Registered));
}

mod records {
    use super::*;

    fn officer_ref(p: &Person) -> OfficerRef {
        OfficerRef::from(&EnforcementOfficer::try_from(p.clone()).unwrap())
    }

    fn state() -> CaseState {
        initial_state(header(CaseSource::SelfDiscovered))
    }

    fn inspection(p: &People) -> Record {
        Record {
            id: "r1".into(),
            body: RecordBody::Inspection(Inspection {
                place: header(CaseSource::SelfDiscovered).location,
                started_at: t0(),
                ended_at: Some(day(0).plus(time::Duration::minutes(40))),
                officers: vec![officer_ref(&p.a), officer_ref(&p.b)],
                party: None,
                party_notified: true,
                party_present: true,
                found: "店外占道摆放桌椅6张".into(),
                outcome: Some(Outcome721::Management),
            }),
            signoff: Some(PartySignoff::Party {
                name: "张三".into(),
                image: "ab".repeat(32),
                at: t0(),
            }),
            corrects: None,
            created_at: t0(),
            created_by: p.a.id.clone(),
        }
    }

    fn transcript(p: &People) -> Record {
        let page = |q: &str, signed: bool| Page {
            qa: vec![Qa {
                question: q.into(),
                answer: "是".into(),
            }],
            signature: signed.then(|| PageSignature::Signed {
                image: "cd".repeat(32),
                page_digest: "ef".repeat(32),
                at: t0(),
            }),
        };
        Record {
            id: "r2".into(),
            body: RecordBody::Questioning(Questioning {
                interviewee: Interviewee {
                    name: "张三".into(),
                    id_number: None,
                    phone: None,
                    capacity: "当事人".into(),
                },
                location: "解放路12号".into(),
                started_at: t0(),
                ended_at: Some(day(0).plus(time::Duration::minutes(30))),
                officers: vec![officer_ref(&p.a), officer_ref(&p.b)],
                rights_acknowledged: true,
                recusal_asked: true,
                pages: vec![page("是否经营者？", true), page("是否知晓规定？", true)],
            }),
            signoff: None,
            corrects: None,
            created_at: t0(),
            created_by: p.a.id.clone(),
        }
    }

    fn refused(r: &Record, p: &People) -> String {
        match seal_check(r, &[p.a.clone(), p.b.clone()], &state()) {
            Err(RuleViolation::RecordIncomplete { missing }) => missing,
            other => panic!("expected an incomplete record, got {other:?}"),
        }
    }

    fn inspection_with(p: &People, edit: impl FnOnce(&mut Inspection)) -> Record {
        let mut r = inspection(p);
        if let RecordBody::Inspection(i) = &mut r.body {
            edit(i);
        }
        r
    }

    fn transcript_with(p: &People, edit: impl FnOnce(&mut Questioning)) -> Record {
        let mut r = transcript(p);
        if let RecordBody::Questioning(q) = &mut r.body {
            edit(q);
        }
        r
    }

    #[test]
    fn complete_records_seal_with_two_officers() {
        let p = people();
        for r in [inspection(&p), transcript(&p)] {
            assert_eq!(
                seal_check(&r, &[p.a.clone(), p.b.clone()], &state()),
                Ok(())
            );
        }
    }

    #[test]
    fn one_officer_cannot_seal() {
        let p = people();
        assert!(matches!(
            seal_check(&inspection(&p), std::slice::from_ref(&p.a), &state()),
            Err(RuleViolation::TooFewOfficers { .. })
        ));
    }

    #[test]
    fn an_assistant_cannot_seal() {
        let p = people();
        assert!(matches!(
            seal_check(
                &inspection(&p),
                &[p.a.clone(), p.assistant.clone()],
                &state()
            ),
            Err(RuleViolation::NotAnEnforcementOfficer { .. })
        ));
    }

    #[test]
    fn sealers_must_be_named_on_the_record() {
        let p = people();
        let m = match seal_check(&inspection(&p), &[p.a.clone(), p.c.clone()], &state()) {
            Err(RuleViolation::RecordIncomplete { missing }) => missing,
            other => panic!("{other:?}"),
        };
        assert!(m.contains("赵强"), "{m}");
    }

    #[test]
    fn a_record_naming_one_officer_cannot_seal() {
        let p = people();
        let r = inspection_with(&p, |i| i.officers.truncate(1));
        assert!(refused(&r, &p).contains("两名"));
    }

    #[test]
    fn inspection_needs_findings_end_time_and_outcome() {
        let p = people();
        assert!(refused(&inspection_with(&p, |i| i.found = " ".into()), &p).contains("检查情况"));
        assert!(refused(&inspection_with(&p, |i| i.ended_at = None), &p).contains("结束时间"));
        assert!(refused(&inspection_with(&p, |i| i.outcome = None), &p).contains("处理方式"));
        assert!(
            refused(&inspection_with(&p, |i| i.place.address.clear()), &p).contains("检查地点")
        );
    }

    #[test]
    fn inspection_needs_party_witness_or_officers_note() {
        let p = people();
        let mut r = inspection(&p);
        r.signoff = None;
        assert!(refused(&r, &p).contains("当事人签名"));
        r.signoff = Some(PartySignoff::Witness {
            name: "路人甲".into(),
            id_number: None,
            party_absent_reason: "".into(),
            party_did_not_sign: Some(NoPartySignature::Refused),
            image: "ab".repeat(32),
            at: t0(),
        });
        assert!(refused(&r, &p).contains("原因"));
        r.signoff = Some(PartySignoff::OfficersNote {
            note: "".into(),
            party_did_not_sign: Some(NoPartySignature::Refused),
            at: t0(),
        });
        assert!(refused(&r, &p).contains("注明"));
        r.signoff = Some(PartySignoff::OfficersNote {
            note: "当事人拒绝签名，现场无见证人".into(),
            party_did_not_sign: Some(NoPartySignature::Refused),
            at: t0(),
        });
        assert_eq!(
            seal_check(&r, &[p.a.clone(), p.b.clone()], &state()),
            Ok(())
        );
    }

    #[test]
    fn transcript_needs_rights_notice_and_recusal_question() {
        let p = people();
        let r = transcript_with(&p, |q| q.rights_acknowledged = false);
        assert!(refused(&r, &p).contains("权利义务"));
        let r = transcript_with(&p, |q| q.recusal_asked = false);
        assert!(refused(&r, &p).contains("回避"));
    }

    #[test]
    fn every_transcript_page_needs_a_signature_or_refusal() {
        let p = people();
        let r = transcript_with(&p, |q| q.pages[1].signature = None);
        assert!(refused(&r, &p).contains("第2页"));
        let r = transcript_with(&p, |q| {
            q.pages[1].signature = Some(PageSignature::Refused {
                note: "被询问人拒绝签名".into(),
                page_digest: "00".repeat(32),
                at: t0(),
            })
        });
        assert_eq!(
            seal_check(&r, &[p.a.clone(), p.b.clone()], &state()),
            Ok(())
        );
    }

    #[test]
    fn transcript_needs_questions_interviewee_and_end_time() {
        let p = people();
        let r = transcript_with(&p, |q| q.pages.clear());
        assert!(refused(&r, &p).contains("问答"));
        let r = transcript_with(&p, |q| q.interviewee.name.clear());
        assert!(refused(&r, &p).contains("被询问人姓名"));
        let r = transcript_with(&p, |q| q.ended_at = None);
        assert!(refused(&r, &p).contains("结束时间"));
    }

    #[test]
    fn new_questions_go_on_the_last_open_page() {
        let p = people();
        let r = transcript(&p);
        let RecordBody::Questioning(mut q) = r.body else {
            unreachable!()
        };
        assert_eq!(record::open_page(&q), 2, "both pages signed: a new page");
        q.pages[1].signature = None;
        assert_eq!(record::open_page(&q), 1);
    }

    #[test]
    fn notices_need_items_place_and_signoff() {
        let p = people();
        let mut r = inspection(&p);
        r.body = RecordBody::Preservation(Notice {
            items: vec![],
            kept_at: "中队暂扣物品仓库".into(),
            officers: vec![officer_ref(&p.a), officer_ref(&p.b)],
            party: None,
            issued_at: t0(),
        });
        assert!(refused(&r, &p).contains("物品清单"));
        if let RecordBody::Preservation(n) = &mut r.body {
            n.items.push(NoticeItem {
                name: "烧烤炉".into(),
                quantity: "1台".into(),
            });
        }
        assert_eq!(
            seal_check(&r, &[p.a.clone(), p.b.clone()], &state()),
            Ok(())
        );
    }
}
