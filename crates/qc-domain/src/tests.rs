//! One test per procedure rule: each fails if the rule it names is removed.

use time::macros::datetime;

use crate::workflow::{apply, initial_state, investigation_team};
use crate::*;

fn person_of(id: &str, name: &str, role: Role, squad: &str) -> Person {
    Person {
        id: PersonId(id.into()),
        name: name.into(),
        role,
        cert_no: role.enforces().then(|| CertNo(format!("4401{id}"))),
        squad: squad.into(),
    }
}

fn person(id: &str, name: &str, role: Role) -> Person {
    person_of(id, name, role, "一中队")
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
    /// An officer of 二中队.
    stranger: Person,
    /// The leader of 二中队.
    other_leader: Person,
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
        stranger: person_of("51", "郑外", Role::EnforcementOfficer, "二中队"),
        other_leader: person_of("52", "冯队", Role::SquadLeader, "二中队"),
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
        p.stranger.clone(),
        p.other_leader.clone(),
    ]
}

/// A catalogue of our own, so the tests do not hang on the shipped numbers: 露天烧烤 with a
/// four-level standard (大气污染防治法 第一百一十八条: 500 to 20,000 yuan), and 社会生活噪声
/// with a standard for the 一般 level only.
const TEST_CATALOGUE: &str = r#"{
  "version": 1,
  "note": "测试用权责清单",
  "hearing": { "person_fine_yuan": 5000, "organisation_fine_yuan": 50000 },
  "domains": [
    { "code": "environment", "name": "环境保护", "violations": [
      { "code": "environment.open_air_barbecue", "name": "露天烧烤",
        "basis": { "violated": "《中华人民共和国大气污染防治法》第八十一条第三款",
                   "penalty": "《中华人民共和国大气污染防治法》第一百一十八条第三款" },
        "standards": [
          { "level": "mitigated", "min_yuan": 100, "max_yuan": 499, "circumstances": "主动消除危害后果" },
          { "level": "lighter", "min_yuan": 500, "max_yuan": 2000, "circumstances": "初次违法，及时改正" },
          { "level": "standard", "min_yuan": 2000, "max_yuan": 8000, "circumstances": "一般情形" },
          { "level": "heavier", "min_yuan": 8000, "max_yuan": 20000, "circumstances": "屡教不改" }
        ] },
      { "code": "environment.community_noise", "name": "社会生活噪声扰民",
        "standards": [
          { "level": "standard", "min_yuan": 200, "max_yuan": 500, "circumstances": "一般情形" }
        ] }
    ] }
  ]
}"#;

fn catalogue() -> Catalogue {
    Catalogue::from_json(TEST_CATALOGUE).unwrap()
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

fn header_with(parties: Vec<Party>) -> CaseHeader {
    CaseHeader {
        parties,
        ..header(CaseSource::SelfDiscovered)
    }
}

fn zhang_san() -> Party {
    Party {
        kind: PartyKind::Person,
        name: "张三".into(),
        id_number: Some("110101199001011234".into()),
        phone: Some("13800001111".into()),
    }
}

fn barbecue_shop() -> Party {
    Party {
        kind: PartyKind::Business,
        name: "老王烧烤店".into(),
        id_number: Some("92110101MA01ABCD3X".into()),
        phone: None,
    }
}

fn complaint() -> CaseSource {
    CaseSource::Complaint {
        complainant: "居民甲".into(),
        contact: "138****0000".into(),
        via_12319: true,
    }
}

fn fine(yuan: u64) -> Vec<Penalty> {
    vec![Penalty::Fine { yuan }]
}

fn proposal(discretion: Discretion, penalties: Vec<Penalty>) -> Proposal {
    Proposal {
        discretion,
        penalties,
        facts: "当事人在禁止区域内露天烧烤食品".into(),
        reasons: "初次违法，情节一般".into(),
        basis: BASIS.into(),
    }
}

fn notify(hearing_offered: bool, discretion: Discretion, penalties: Vec<Penalty>) -> Act {
    Act::Notify {
        hearing_offered,
        proposal: Some(proposal(discretion, penalties)),
    }
}

const BASIS: &str = "《中华人民共和国大气污染防治法》第一百一十八条第三款";

fn decide(discretion: Discretion, penalties: Vec<Penalty>) -> Act {
    decide_late(discretion, penalties, None)
}

fn decide_late(discretion: Discretion, penalties: Vec<Penalty>, why: Option<&str>) -> Act {
    Act::Decide {
        discretion,
        summary: "处罚决定".into(),
        penalties,
        basis: BASIS.into(),
        late_reason: why.map(String::from),
    }
}

fn review(major: bool) -> Act {
    Act::LegalReview {
        passed: true,
        opinion: "事实清楚，证据确凿，程序合法".into(),
        major,
    }
}

fn waive() -> Act {
    Act::HearStatement {
        waived: true,
        statement: String::new(),
        accepted: false,
        reasons: String::new(),
    }
}

fn receipt(recipient: &str) -> Option<DeliveryReceipt> {
    Some(DeliveryReceipt {
        recipient: recipient.into(),
        ..DeliveryReceipt::default()
    })
}

fn deliver_direct() -> Act {
    Act::Deliver {
        method: DeliveryMethod::Direct,
        late_reason: None,
        receipt: receipt("张三"),
    }
}

fn paid(yuan: u64) -> Act {
    Act::Execute {
        execution: Execution::PaidAtBank {
            receipt_no: "B-1".into(),
            yuan,
        },
    }
}

fn close() -> Act {
    Act::Close {
        report: "已执行完毕，结案".into(),
    }
}

fn disclose(text: &str) -> Act {
    Act::Disclose {
        text: text.into(),
        late_reason: None,
    }
}

fn discussion(participants: &[&str]) -> Act {
    Act::CollectiveDiscussion {
        participants: participants.iter().map(|s| s.to_string()).collect(),
        opinions: "同意拟处罚意见".into(),
        conclusion: "按拟处罚意见作出决定".into(),
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
    let directory = all(p);
    let catalogue = catalogue();
    let ctx = Context {
        directory: &directory,
        catalogue: &catalogue,
        now: at,
    };
    validate(state, &act, &actors, &ctx)?;
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

/// The general procedure, one act a day from day 1: 立案, 调查, 调查终结, 告知 of a 2,000 yuan
/// fine, 陈述申辩 waived, 法制审核, 决定, 送达, 执行.
fn steps(p: &People) -> Vec<(Act, Vec<&Person>)> {
    vec![
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
            notify(false, Discretion::Standard, fine(2000)),
            vec![&p.a, &p.b],
        ),
        (waive(), vec![&p.a]),
        (review(false), vec![&p.reviewer]),
        (decide(Discretion::Standard, fine(2000)), vec![&p.head]),
        (deliver_direct(), vec![&p.a, &p.b]),
        (paid(2000), vec![&p.a]),
    ]
}

/// A case walked up to the given status by the book.
fn walk(p: &People, header: CaseHeader, stop: CaseStatus) -> CaseState {
    let mut s = initial_state(header);
    for (i, (a, who)) in steps(p).into_iter().enumerate() {
        if s.status == stop {
            break;
        }
        act(&mut s, p, a, &who, day(1 + i as i64)).unwrap();
    }
    assert_eq!(s.status, stop, "fixture did not reach {stop:?}");
    s
}

fn case_at(p: &People, source: CaseSource, stop: CaseStatus) -> CaseState {
    walk(p, header(source), stop)
}

/// Concluded on day 3 and notified of `notice` on day 4.
fn notified_of(p: &People, header: CaseHeader, notice: Act) -> CaseState {
    let mut s = walk(p, header, CaseStatus::InvestigationConcluded);
    act(&mut s, p, notice, &[&p.a, &p.b], day(4)).unwrap();
    s
}

/// Legally reviewed on day 3 without a notice (the path of a decision not to punish).
fn reviewed_unnotified(p: &People) -> CaseState {
    let mut s = case_at(
        p,
        CaseSource::SelfDiscovered,
        CaseStatus::InvestigationConcluded,
    );
    act(&mut s, p, review(false), &[&p.reviewer], day(3)).unwrap();
    s
}

/// The deadlines of the case at `now` that were met late.
fn late_deadlines(s: &CaseState, now: Timestamp) -> Vec<Deadline> {
    deadline::deadlines(s, now, &DeadlinePolicy::default())
        .into_iter()
        .filter(|d| d.urgency == Urgency::Late)
        .collect()
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
    act(&mut s, &p, close(), &[&p.leader], day(10)).unwrap();
    assert_eq!(s.status, CaseStatus::Closed);
    act(
        &mut s,
        &p,
        disclose("某某在解放路露天烧烤，罚款2000元"),
        &[&p.leader],
        day(11),
    )
    .unwrap();
    assert_eq!(s.status, CaseStatus::Disclosed);
    assert!(!s.status.is_open());
    assert!(s.late.is_empty());
    assert!(s.anomalies.is_empty());
}

#[test]
fn full_lifecycle_with_a_hearing_and_a_collective_discussion() {
    let p = people();
    let mut s = notified_of(
        &p,
        header_with(vec![zhang_san()]),
        notify(true, Discretion::Standard, fine(6000)),
    );
    act(
        &mut s,
        &p,
        Act::RequestHearing {
            note: "当事人当日书面申请听证".into(),
        },
        &[&p.a],
        day(5),
    )
    .unwrap();
    assert_eq!(s.hearing, HearingStage::Requested);
    act(
        &mut s,
        &p,
        Act::HoldHearing {
            participants: "张三；李明、王芳（调查人员）".into(),
            record: "当事人对事实无异议，请求从轻".into(),
            opinion: "维持拟处罚意见".into(),
        },
        &[&p.reviewer],
        day(8),
    )
    .unwrap();
    assert_eq!(s.hearing, HearingStage::Held);
    act(&mut s, &p, review(false), &[&p.reviewer], day(9)).unwrap();
    act(
        &mut s,
        &p,
        discussion(&["周局", "刘队", "孙法"]),
        &[&p.head],
        day(10),
    )
    .unwrap();
    act(
        &mut s,
        &p,
        decide(Discretion::Standard, fine(6000)),
        &[&p.head],
        day(10),
    )
    .unwrap();
    act(&mut s, &p, deliver_direct(), &[&p.a, &p.b], day(11)).unwrap();
    act(&mut s, &p, paid(6000), &[&p.a], day(12)).unwrap();
    act(&mut s, &p, close(), &[&p.leader], day(13)).unwrap();
    act(
        &mut s,
        &p,
        disclose("张某在解放路露天烧烤，罚款6000元"),
        &[&p.leader],
        day(14),
    )
    .unwrap();
    assert_eq!(s.status, CaseStatus::Disclosed);
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
fn an_assistants_decision_is_refused_even_beside_the_head() {
    let p = people();
    let s = case_at(&p, CaseSource::SelfDiscovered, CaseStatus::LegalReviewed);
    for actors in [vec![&p.assistant], vec![&p.head, &p.assistant]] {
        let err = act(
            &mut s.clone(),
            &p,
            decide(Discretion::Standard, fine(2000)),
            &actors,
            day(7),
        )
        .unwrap_err();
        assert!(
            matches!(err, RuleViolation::AssistantRefused { .. }),
            "{err:?}"
        );
    }
    act(
        &mut s.clone(),
        &p,
        decide(Discretion::Standard, fine(2000)),
        &[&p.head],
        day(7),
    )
    .unwrap();
}

#[test]
fn an_assistant_may_advise_and_the_matter_is_handled_without_a_case() {
    let p = people();
    let mut s = initial_state(header(CaseSource::SelfDiscovered));
    act(
        &mut s,
        &p,
        Act::Advise {
            advice: "劝阻当事人停止露天烧烤，当事人自行收摊".into(),
        },
        &[&p.assistant],
        day(0),
    )
    .unwrap();
    assert_eq!(s.status, CaseStatus::Handled);
    assert!(!s.status.is_open());
    // An order to correct is management, not dissuasion: an officer's act.
    let mut s = initial_state(header(CaseSource::SelfDiscovered));
    let err = act(
        &mut s,
        &p,
        Act::OrderCorrection {
            order: "限期清理".into(),
            correct_by: day(3),
        },
        &[&p.assistant],
        day(0),
    )
    .unwrap_err();
    assert!(matches!(err, RuleViolation::AssistantRefused { .. }));
}

#[test]
fn an_officer_of_another_squad_is_refused() {
    let p = people();
    let mut s = initial_state(header(CaseSource::SelfDiscovered));
    assert_eq!(
        act(&mut s, &p, Act::File, &[&p.other_leader], day(1)).unwrap_err(),
        RuleViolation::OtherSquad {
            name: p.other_leader.name.clone()
        }
    );
    let mut s = case_at(&p, CaseSource::SelfDiscovered, CaseStatus::Investigating);
    let err = act(
        &mut s,
        &p,
        Act::PreservationNotice {
            notice: "N1".into(),
            items: "烧烤炉".into(),
        },
        &[&p.a, &p.stranger],
        day(3),
    )
    .unwrap_err();
    assert!(matches!(err, RuleViolation::OtherSquad { .. }), "{err:?}");
}

#[test]
fn the_team_must_be_of_the_cases_squad() {
    let p = people();
    let mut s = case_at(&p, CaseSource::SelfDiscovered, CaseStatus::Filed);
    let err = act(
        &mut s,
        &p,
        Act::StartInvestigation {
            team: vec![p.a.id.clone(), p.stranger.id.clone()],
        },
        &[&p.leader],
        day(2),
    )
    .unwrap_err();
    assert_eq!(
        err,
        RuleViolation::OtherSquad {
            name: p.stranger.name.clone()
        }
    );
    act(
        &mut s,
        &p,
        Act::StartInvestigation {
            team: vec![p.a.id.clone(), p.c.id.clone()],
        },
        &[&p.leader],
        day(2),
    )
    .unwrap();
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
    let no_penalty = decide(Discretion::NoPenalty, vec![]);
    let err = act(&mut s, &p, no_penalty.clone(), &[&p.head], day(5)).unwrap_err();
    assert_eq!(
        err,
        RuleViolation::WrongStatus {
            act: "decide",
            status: CaseStatus::InvestigationConcluded
        }
    );
    // A review that sends the case back does not count either.
    act(
        &mut s,
        &p,
        Act::LegalReview {
            passed: false,
            opinion: "证据不足，退回补充调查".into(),
            major: false,
        },
        &[&p.reviewer],
        day(5),
    )
    .unwrap();
    assert_eq!(s.status, CaseStatus::Investigating);
    assert!(!s.legal_review_passed);
    assert!(act(&mut s, &p, no_penalty, &[&p.head], day(5)).is_err());
}

#[test]
fn a_notice_after_the_review_needs_a_new_review() {
    let p = people();
    let mut s = reviewed_unnotified(&p);
    act(
        &mut s,
        &p,
        notify(false, Discretion::Standard, fine(2000)),
        &[&p.a, &p.b],
        day(4),
    )
    .unwrap();
    assert_eq!(s.status, CaseStatus::Notified);
    assert!(!s.legal_review_passed);
    assert!(matches!(
        act(
            &mut s.clone(),
            &p,
            decide(Discretion::Standard, fine(2000)),
            &[&p.head],
            day(8)
        ),
        Err(RuleViolation::WrongStatus { .. })
    ));
}

#[test]
fn legal_review_is_done_by_a_legal_reviewer() {
    let p = people();
    let mut s = case_at(
        &p,
        CaseSource::SelfDiscovered,
        CaseStatus::InvestigationConcluded,
    );
    let err = act(&mut s, &p, review(false), &[&p.leader], day(5)).unwrap_err();
    assert!(matches!(err, RuleViolation::RoleRequired { .. }));
}

#[test]
fn a_penalty_needs_prior_notice_but_no_penalty_does_not() {
    let p = people();
    let s = reviewed_unnotified(&p);
    let err = act(
        &mut s.clone(),
        &p,
        decide(Discretion::Lighter, fine(1000)),
        &[&p.head],
        day(6),
    )
    .unwrap_err();
    assert_eq!(err, RuleViolation::PartyNotNotified);
    act(
        &mut s.clone(),
        &p,
        decide(Discretion::NoPenalty, vec![]),
        &[&p.head],
        day(6),
    )
    .unwrap();
}

#[test]
fn a_no_penalty_decision_names_no_penalty_and_a_penalty_decision_names_one() {
    let p = people();
    let s = case_at(&p, CaseSource::SelfDiscovered, CaseStatus::LegalReviewed);
    for wrong in [
        decide(Discretion::NoPenalty, fine(2000)),
        decide(Discretion::Standard, vec![]),
    ] {
        assert_eq!(
            act(&mut s.clone(), &p, wrong, &[&p.head], day(7)).unwrap_err(),
            RuleViolation::PenaltyMismatch
        );
    }
}

#[test]
fn decisions_are_made_by_the_head() {
    let p = people();
    let mut s = case_at(&p, CaseSource::SelfDiscovered, CaseStatus::LegalReviewed);
    let err = act(
        &mut s,
        &p,
        decide(Discretion::Standard, fine(2000)),
        &[&p.leader],
        day(7),
    )
    .unwrap_err();
    assert!(matches!(err, RuleViolation::RoleRequired { .. }));
}

#[test]
fn a_notice_must_propose_a_penalty_with_facts_reasons_and_basis() {
    let p = people();
    let s = case_at(
        &p,
        CaseSource::SelfDiscovered,
        CaseStatus::InvestigationConcluded,
    );
    let try_notice = |a: Act| act(&mut s.clone(), &p, a, &[&p.a, &p.b], day(4));
    assert!(matches!(
        try_notice(Act::Notify {
            hearing_offered: false,
            proposal: None
        }),
        Err(RuleViolation::EmptyField { .. })
    ));
    assert_eq!(
        try_notice(notify(false, Discretion::NoPenalty, vec![])).unwrap_err(),
        RuleViolation::NoticeWithoutPenalty
    );
    let mut p2 = proposal(Discretion::Standard, fine(2000));
    p2.facts = " ".into();
    assert_eq!(
        try_notice(Act::Notify {
            hearing_offered: false,
            proposal: Some(p2)
        })
        .unwrap_err(),
        RuleViolation::EmptyField {
            field: "违法事实"
        }
    );
    try_notice(notify(false, Discretion::Standard, fine(2000))).unwrap();
}

#[test]
fn a_fine_outside_the_standard_is_refused_in_the_notice() {
    let p = people();
    let s = case_at(
        &p,
        CaseSource::SelfDiscovered,
        CaseStatus::InvestigationConcluded,
    );
    let err = act(
        &mut s.clone(),
        &p,
        notify(false, Discretion::Standard, fine(1000)),
        &[&p.a, &p.b],
        day(4),
    )
    .unwrap_err();
    assert_eq!(
        err,
        RuleViolation::FineOutsideStandard {
            yuan: 1000,
            level: "一般处罚",
            min: 2000,
            max: 8000
        }
    );
    assert!(err.message_zh().contains("2000元至8000元"));
    act(
        &mut s.clone(),
        &p,
        notify(false, Discretion::Lighter, fine(1000)),
        &[&p.a, &p.b],
        day(4),
    )
    .unwrap();
}

#[test]
fn a_fine_outside_the_standard_is_refused_in_the_decision() {
    let p = people();
    let mut s = notified_of(
        &p,
        header(CaseSource::SelfDiscovered),
        notify(false, Discretion::Standard, fine(4000)),
    );
    act(&mut s, &p, waive(), &[&p.a], day(5)).unwrap();
    act(&mut s, &p, review(false), &[&p.reviewer], day(6)).unwrap();
    // The statement was accepted and the head decides 从轻: the amount must fit that level.
    let err = act(
        &mut s.clone(),
        &p,
        decide(Discretion::Lighter, fine(2500)),
        &[&p.head],
        day(7),
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            RuleViolation::FineOutsideStandard {
                yuan: 2500,
                min: 500,
                max: 2000,
                ..
            }
        ),
        "{err:?}"
    );
    act(
        &mut s,
        &p,
        decide(Discretion::Lighter, fine(1500)),
        &[&p.head],
        day(7),
    )
    .unwrap();
}

#[test]
fn a_level_without_a_standard_in_the_catalogue_is_refused() {
    let p = people();
    let mut h = header(CaseSource::SelfDiscovered);
    h.violation = "environment.community_noise".into();
    let s = walk(&p, h, CaseStatus::InvestigationConcluded);
    let err = act(
        &mut s.clone(),
        &p,
        notify(false, Discretion::Lighter, fine(300)),
        &[&p.a, &p.b],
        day(4),
    )
    .unwrap_err();
    assert_eq!(
        err,
        RuleViolation::NoFineStandard {
            violation: "社会生活噪声扰民".into(),
            level: "从轻处罚"
        }
    );
    act(
        &mut s.clone(),
        &p,
        notify(false, Discretion::Standard, fine(300)),
        &[&p.a, &p.b],
        day(4),
    )
    .unwrap();
}

#[test]
fn a_decision_heavier_than_notified_is_refused() {
    let p = people();
    let s = case_at(&p, CaseSource::SelfDiscovered, CaseStatus::LegalReviewed);
    let err = act(
        &mut s.clone(),
        &p,
        decide(Discretion::Standard, fine(3000)),
        &[&p.head],
        day(7),
    )
    .unwrap_err();
    assert_eq!(
        err,
        RuleViolation::HeavierThanNotified {
            notified: 2000,
            decided: 3000
        }
    );
    act(
        &mut s.clone(),
        &p,
        decide(Discretion::Standard, fine(2000)),
        &[&p.head],
        day(7),
    )
    .unwrap();
}

#[test]
fn a_notice_of_a_fine_that_qualifies_must_offer_a_hearing() {
    let p = people();
    let s = walk(
        &p,
        header_with(vec![zhang_san()]),
        CaseStatus::InvestigationConcluded,
    );
    // 6,000 yuan for a person reaches the 5,000 yuan threshold.
    assert_eq!(
        act(
            &mut s.clone(),
            &p,
            notify(false, Discretion::Standard, fine(6000)),
            &[&p.a, &p.b],
            day(4)
        )
        .unwrap_err(),
        RuleViolation::HearingRequired
    );
    act(
        &mut s.clone(),
        &p,
        notify(true, Discretion::Standard, fine(6000)),
        &[&p.a, &p.b],
        day(4),
    )
    .unwrap();
    // The same fine for a business is below its threshold.
    let s = walk(
        &p,
        header_with(vec![barbecue_shop()]),
        CaseStatus::InvestigationConcluded,
    );
    act(
        &mut s.clone(),
        &p,
        notify(false, Discretion::Standard, fine(6000)),
        &[&p.a, &p.b],
        day(4),
    )
    .unwrap();
}

#[test]
fn a_hearing_request_after_five_days_is_refused() {
    let p = people();
    let s = notified_of(
        &p,
        header(CaseSource::SelfDiscovered),
        notify(true, Discretion::Standard, fine(6000)),
    );
    let request = || Act::RequestHearing {
        note: "当事人书面申请听证".into(),
    };
    // Notified on day 4: the fifth day after ends with day 9.
    assert!(matches!(
        act(&mut s.clone(), &p, request(), &[&p.a], day(10)).unwrap_err(),
        RuleViolation::HearingRequestTooLate { .. }
    ));
    act(&mut s.clone(), &p, request(), &[&p.a], day(9)).unwrap();
    // Where no hearing was offered, there is none to ask for.
    let s = notified_of(
        &p,
        header(CaseSource::SelfDiscovered),
        notify(false, Discretion::Standard, fine(2000)),
    );
    assert_eq!(
        act(&mut s.clone(), &p, request(), &[&p.a], day(5)).unwrap_err(),
        RuleViolation::HearingNotOffered
    );
}

#[test]
fn a_hearing_host_who_investigated_the_case_is_refused() {
    let p = people();
    let mut s = case_at(&p, CaseSource::SelfDiscovered, CaseStatus::Filed);
    // The head went to the field with officer 李明.
    act(
        &mut s,
        &p,
        Act::StartInvestigation {
            team: vec![p.a.id.clone(), p.head.id.clone()],
        },
        &[&p.leader],
        day(2),
    )
    .unwrap();
    act(
        &mut s,
        &p,
        Act::ConcludeInvestigation {
            summary: "事实清楚".into(),
        },
        &[&p.a],
        day(3),
    )
    .unwrap();
    act(
        &mut s,
        &p,
        notify(true, Discretion::Standard, fine(6000)),
        &[&p.a, &p.head],
        day(4),
    )
    .unwrap();
    let hold = || Act::HoldHearing {
        participants: "当事人及调查人员".into(),
        record: "听证笔录".into(),
        opinion: "维持".into(),
    };
    assert_eq!(
        act(&mut s.clone(), &p, hold(), &[&p.reviewer], day(5)).unwrap_err(),
        RuleViolation::NoHearingRequested
    );
    act(
        &mut s,
        &p,
        Act::RequestHearing {
            note: "当事人申请听证".into(),
        },
        &[&p.a],
        day(5),
    )
    .unwrap();
    assert_eq!(
        act(&mut s.clone(), &p, hold(), &[&p.head], day(7)).unwrap_err(),
        RuleViolation::HearingHostInvestigated {
            name: p.head.name.clone()
        }
    );
    // Nor may an investigator sit beside the host.
    assert!(matches!(
        act(&mut s.clone(), &p, hold(), &[&p.reviewer, &p.a], day(7)).unwrap_err(),
        RuleViolation::HearingHostInvestigated { .. }
    ));
    act(&mut s, &p, hold(), &[&p.reviewer], day(7)).unwrap();
}

#[test]
fn legal_review_waits_for_the_statement_period_unless_the_party_speaks_or_waives() {
    let p = people();
    let s = case_at(&p, CaseSource::SelfDiscovered, CaseStatus::Notified);
    // Notified on day 4: three days to state and defend, to the end of day 7.
    let err = act(&mut s.clone(), &p, review(false), &[&p.reviewer], day(5)).unwrap_err();
    assert!(
        matches!(err, RuleViolation::StatementPeriodOpen { .. }),
        "{err:?}"
    );
    let mut waived = s.clone();
    act(&mut waived, &p, waive(), &[&p.a], day(5)).unwrap();
    act(&mut waived, &p, review(false), &[&p.reviewer], day(5)).unwrap();
    let mut heard = s.clone();
    act(
        &mut heard,
        &p,
        Act::HearStatement {
            waived: false,
            statement: "初次经营，请求从轻".into(),
            accepted: true,
            reasons: "系初次违法，予以采纳".into(),
        },
        &[&p.a],
        day(5),
    )
    .unwrap();
    act(&mut heard, &p, review(false), &[&p.reviewer], day(5)).unwrap();
    // Silence until the period ends counts as not speaking.
    act(&mut s.clone(), &p, review(false), &[&p.reviewer], day(8)).unwrap();
}

#[test]
fn with_a_hearing_offered_legal_review_waits_the_five_days_to_ask_for_one() {
    let p = people();
    let s = notified_of(
        &p,
        header(CaseSource::SelfDiscovered),
        notify(true, Discretion::Standard, fine(6000)),
    );
    // Notified on day 4: past the three days of a statement, still within the five of a
    // hearing request (to the end of day 9).
    assert!(matches!(
        act(&mut s.clone(), &p, review(false), &[&p.reviewer], day(8)).unwrap_err(),
        RuleViolation::StatementPeriodOpen { .. }
    ));
    act(&mut s.clone(), &p, review(false), &[&p.reviewer], day(10)).unwrap();
}

#[test]
fn a_statement_heard_records_what_was_said_and_why_it_was_or_was_not_accepted() {
    let p = people();
    let s = case_at(&p, CaseSource::SelfDiscovered, CaseStatus::Notified);
    let err = act(
        &mut s.clone(),
        &p,
        Act::HearStatement {
            waived: false,
            statement: "请求从轻".into(),
            accepted: false,
            reasons: " ".into(),
        },
        &[&p.a],
        day(5),
    )
    .unwrap_err();
    assert!(matches!(err, RuleViolation::EmptyField { .. }));
}

#[test]
fn legal_review_waits_for_a_requested_hearing() {
    let p = people();
    let mut s = notified_of(
        &p,
        header(CaseSource::SelfDiscovered),
        notify(true, Discretion::Standard, fine(6000)),
    );
    act(
        &mut s,
        &p,
        Act::RequestHearing {
            note: "当事人申请听证".into(),
        },
        &[&p.a],
        day(5),
    )
    .unwrap();
    // Even after the request period, the hearing must be held first.
    assert_eq!(
        act(&mut s.clone(), &p, review(false), &[&p.reviewer], day(12)).unwrap_err(),
        RuleViolation::HearingPending
    );
}

#[test]
fn a_major_case_needs_a_collective_discussion_before_the_decision() {
    let p = people();
    let mut s = case_at(&p, CaseSource::SelfDiscovered, CaseStatus::Notified);
    act(&mut s, &p, waive(), &[&p.a], day(5)).unwrap();
    act(&mut s, &p, review(true), &[&p.reviewer], day(6)).unwrap();
    assert!(s.major);
    let d = || decide(Discretion::Standard, fine(2000));
    assert_eq!(
        act(&mut s.clone(), &p, d(), &[&p.head], day(7)).unwrap_err(),
        RuleViolation::CollectiveDiscussionRequired
    );
    act(
        &mut s,
        &p,
        discussion(&["周局", "刘队", "孙法"]),
        &[&p.head],
        day(7),
    )
    .unwrap();
    act(&mut s, &p, d(), &[&p.head], day(7)).unwrap();
}

#[test]
fn a_heavier_penalty_needs_a_collective_discussion() {
    let p = people();
    // A business: 9,000 yuan is below its hearing threshold, so only 从重 asks for discussion.
    let mut s = notified_of(
        &p,
        header_with(vec![barbecue_shop()]),
        notify(false, Discretion::Heavier, fine(9000)),
    );
    act(&mut s, &p, waive(), &[&p.a], day(5)).unwrap();
    act(&mut s, &p, review(false), &[&p.reviewer], day(6)).unwrap();
    let d = || decide(Discretion::Heavier, fine(9000));
    assert_eq!(
        act(&mut s.clone(), &p, d(), &[&p.head], day(7)).unwrap_err(),
        RuleViolation::CollectiveDiscussionRequired
    );
    act(
        &mut s,
        &p,
        discussion(&["周局", "刘队", "孙法"]),
        &[&p.head],
        day(7),
    )
    .unwrap();
    act(&mut s, &p, d(), &[&p.head], day(7)).unwrap();
}

#[test]
fn a_fine_that_qualifies_for_a_hearing_needs_a_collective_discussion() {
    let p = people();
    let mut s = notified_of(
        &p,
        header(CaseSource::SelfDiscovered),
        notify(true, Discretion::Standard, fine(6000)),
    );
    // No hearing asked for in the five days; the review is not marked major.
    act(&mut s, &p, review(false), &[&p.reviewer], day(10)).unwrap();
    let d = || decide(Discretion::Standard, fine(6000));
    assert_eq!(
        act(&mut s.clone(), &p, d(), &[&p.head], day(11)).unwrap_err(),
        RuleViolation::CollectiveDiscussionRequired
    );
    act(
        &mut s,
        &p,
        discussion(&["周局", "刘队", "孙法"]),
        &[&p.head],
        day(11),
    )
    .unwrap();
    act(&mut s, &p, d(), &[&p.head], day(11)).unwrap();
}

#[test]
fn a_collective_discussion_needs_three_participants_and_the_head() {
    let p = people();
    let s = case_at(&p, CaseSource::SelfDiscovered, CaseStatus::LegalReviewed);
    assert_eq!(
        act(
            &mut s.clone(),
            &p,
            discussion(&["周局", "刘队"]),
            &[&p.head],
            day(7)
        )
        .unwrap_err(),
        RuleViolation::TooFewDiscussants { required: 3 }
    );
    // The same name twice, or a blank, is not another participant.
    assert_eq!(
        act(
            &mut s.clone(),
            &p,
            discussion(&["周局", "刘队", "刘队 ", " "]),
            &[&p.head],
            day(7)
        )
        .unwrap_err(),
        RuleViolation::TooFewDiscussants { required: 3 }
    );
    assert!(matches!(
        act(
            &mut s.clone(),
            &p,
            discussion(&["周局", "刘队", "孙法"]),
            &[&p.leader],
            day(7)
        )
        .unwrap_err(),
        RuleViolation::RoleRequired { .. }
    ));
}

#[test]
fn decision_deadline_is_sixty_days_from_filing() {
    let p = people();
    let s = case_at(&p, CaseSource::SelfDiscovered, CaseStatus::LegalReviewed);
    // Filed on day 1 (2026-03-03): the 60th day after is 2026-05-02, to its end.
    let due = deadline::decision_due(&s).unwrap();
    assert_eq!(due.display_china(), "2026-05-02 23:59");
    let mut on_time = s.clone();
    act(
        &mut on_time,
        &p,
        decide(Discretion::Standard, fine(2000)),
        &[&p.head],
        due,
    )
    .unwrap();
    assert!(on_time.late.is_empty());
}

#[test]
fn a_late_decision_needs_a_reason_and_stays_visible_as_late() {
    let p = people();
    let s = case_at(&p, CaseSource::SelfDiscovered, CaseStatus::LegalReviewed);
    let due = deadline::decision_due(&s).unwrap();
    let late = Timestamp(due.0 + 1);
    for why in [None, Some(" ")] {
        let err = act(
            &mut s.clone(),
            &p,
            decide_late(Discretion::Standard, fine(2000), why),
            &[&p.head],
            late,
        )
        .unwrap_err();
        assert_eq!(
            err,
            RuleViolation::LateWithoutReason {
                what: "作出处罚决定",
                due
            }
        );
    }
    let mut s = s;
    act(
        &mut s,
        &p,
        decide_late(Discretion::Standard, fine(2000), Some("鉴定意见迟延送达")),
        &[&p.head],
        late,
    )
    .unwrap();
    assert_eq!(s.status, CaseStatus::Decided);
    let list = late_deadlines(&s, day(80));
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].kind, DeadlineKind::Decision);
    assert_eq!(list[0].due, due);
    assert_eq!(
        list[0].met_late,
        Some((late, "鉴定意见迟延送达".to_string()))
    );
}

#[test]
fn one_extension_of_at_most_sixty_days_approved_by_the_head() {
    let p = people();
    let mut s = case_at(&p, CaseSource::SelfDiscovered, CaseStatus::Investigating);
    let ext = |days| Act::ExtendDeadline {
        days,
        reason: "案情复杂".into(),
        late_reason: None,
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
fn an_extension_asked_late_needs_a_reason_and_stays_visible_as_late() {
    let p = people();
    let s = case_at(&p, CaseSource::SelfDiscovered, CaseStatus::Investigating);
    let due = deadline::decision_due(&s).unwrap();
    let ext = |late_reason: Option<&str>| Act::ExtendDeadline {
        days: 30,
        reason: "案情复杂".into(),
        late_reason: late_reason.map(String::from),
    };
    assert_eq!(
        act(&mut s.clone(), &p, ext(None), &[&p.head], day(70)).unwrap_err(),
        RuleViolation::LateWithoutReason {
            what: "延长办案期限",
            due
        }
    );
    let mut s = s;
    act(
        &mut s,
        &p,
        ext(Some("承办人员病休，未及时报批")),
        &[&p.head],
        day(70),
    )
    .unwrap();
    let list = deadline::deadlines(&s, day(70), &DeadlinePolicy::default());
    assert!(list.iter().any(|d| d.kind == DeadlineKind::Decision
        && d.urgency == Urgency::Late
        && d.due == due
        && d.met_late == Some((day(70), "承办人员病休，未及时报批".into()))));
    // The extended deadline is still open, and a decision within it needs no further reason,
    // nor is the lateness recorded twice.
    assert!(list.iter().any(|d| d.kind == DeadlineKind::Decision
        && d.urgency != Urgency::Late
        && d.due > day(80)));
    for (a, who, at) in [
        (
            Act::ConcludeInvestigation {
                summary: "事实清楚".into(),
            },
            vec![&p.a],
            71,
        ),
        (
            notify(false, Discretion::Standard, fine(2000)),
            vec![&p.a, &p.b],
            72,
        ),
        (waive(), vec![&p.a], 72),
        (review(false), vec![&p.reviewer], 73),
        (decide(Discretion::Standard, fine(2000)), vec![&p.head], 74),
    ] {
        act(&mut s, &p, a, &who, day(at)).unwrap();
    }
    assert_eq!(s.late.len(), 1);
}

#[test]
fn a_late_delivery_needs_a_reason_and_stays_visible_as_late() {
    let p = people();
    let s = case_at(&p, CaseSource::SelfDiscovered, CaseStatus::Decided);
    let due = deadline::delivery_due(&s).unwrap();
    let late = Timestamp(due.0 + 1);
    let deliver = |late_reason: Option<&str>| Act::Deliver {
        method: DeliveryMethod::Post,
        late_reason: late_reason.map(String::from),
        receipt: Some(DeliveryReceipt {
            note: "EMS 1234567890".into(),
            ..DeliveryReceipt::default()
        }),
    };
    assert!(matches!(
        act(&mut s.clone(), &p, deliver(None), &[&p.a], late).unwrap_err(),
        RuleViolation::LateWithoutReason { what: "送达", .. }
    ));
    assert!(matches!(
        act(&mut s.clone(), &p, deliver(Some(" ")), &[&p.a], late).unwrap_err(),
        RuleViolation::LateWithoutReason { .. }
    ));
    act(&mut s.clone(), &p, deliver(None), &[&p.a], due).unwrap();
    let mut s = s;
    act(
        &mut s,
        &p,
        deliver(Some("当事人外出，多次上门未遇")),
        &[&p.a],
        late,
    )
    .unwrap();
    let list = late_deadlines(&s, late);
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].kind, DeadlineKind::Delivery);
    assert_eq!(
        list[0].met_late,
        Some((late, "当事人外出，多次上门未遇".to_string()))
    );
}

#[test]
fn a_late_preservation_decision_needs_a_reason_and_stays_visible_as_late() {
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
    let n1 = || DeadlineKind::Preservation {
        notice: "N1".into(),
    };
    let list = deadline::deadlines(&s, now, &DeadlinePolicy::default());
    assert!(
        list.iter()
            .any(|d| d.kind == n1() && d.urgency == Urgency::Overdue)
    );
    let decide = |late_reason: Option<&str>| Act::PreservationDecision {
        notice: "N1".into(),
        outcome: "予以没收".into(),
        late_reason: late_reason.map(String::from),
    };
    assert!(matches!(
        act(&mut s.clone(), &p, decide(None), &[&p.leader], now).unwrap_err(),
        RuleViolation::LateWithoutReason { .. }
    ));
    act(&mut s.clone(), &p, decide(None), &[&p.leader], day(10)).unwrap();
    act(&mut s, &p, decide(Some("鉴定结果延迟")), &[&p.leader], now).unwrap();
    assert!(s.open_preservations.is_empty());
    let list = late_deadlines(&s, now);
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].kind, n1());
    assert_eq!(list[0].met_late, Some((now, "鉴定结果延迟".to_string())));
    assert_eq!(
        act(&mut s, &p, decide(None), &[&p.leader], now).unwrap_err(),
        RuleViolation::NoOpenPreservationNotice("N1".into())
    );
}

#[test]
fn a_late_disclosure_needs_a_reason_and_stays_visible_as_late() {
    let p = people();
    let s = case_at(&p, CaseSource::SelfDiscovered, CaseStatus::Executed);
    let due = deadline::disclosure_due(&s).unwrap();
    let late = Timestamp(due.0 + 1);
    let text = "某某露天烧烤，罚款2000元";
    assert_eq!(
        act(&mut s.clone(), &p, disclose(text), &[&p.leader], late).unwrap_err(),
        RuleViolation::LateWithoutReason {
            what: "公开处罚结果",
            due
        }
    );
    act(&mut s.clone(), &p, disclose(text), &[&p.leader], due).unwrap();
    let mut s = s;
    act(
        &mut s,
        &p,
        Act::Disclose {
            text: text.into(),
            late_reason: Some("公示平台维护".into()),
        },
        &[&p.leader],
        late,
    )
    .unwrap();
    let list = late_deadlines(&s, late);
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].kind, DeadlineKind::Disclosure);
}

#[test]
fn electronic_delivery_needs_consent() {
    let p = people();
    let s = case_at(&p, CaseSource::SelfDiscovered, CaseStatus::Decided);
    let electronic = |party_consented| Act::Deliver {
        method: DeliveryMethod::Electronic { party_consented },
        late_reason: None,
        receipt: Some(DeliveryReceipt {
            note: "当事人确认的电子邮箱 zhang@example.com".into(),
            ..DeliveryReceipt::default()
        }),
    };
    assert_eq!(
        act(&mut s.clone(), &p, electronic(false), &[&p.a], day(8)).unwrap_err(),
        RuleViolation::ElectronicDeliveryWithoutConsent
    );
    act(&mut s.clone(), &p, electronic(true), &[&p.a], day(8)).unwrap();
}

#[test]
fn delivery_left_at_the_address_needs_a_witness() {
    let p = people();
    let s = case_at(&p, CaseSource::SelfDiscovered, CaseStatus::Decided);
    let left = |witnesses: Vec<String>| Act::Deliver {
        method: DeliveryMethod::LeftAtAddress,
        late_reason: None,
        receipt: Some(DeliveryReceipt {
            recipient: "张三".into(),
            refused: true,
            witnesses,
            note: "当事人拒绝签收，2026年3月10日留置于其住所".into(),
            signature: None,
        }),
    };
    for none in [vec![], vec![" ".to_string()]] {
        assert_eq!(
            act(&mut s.clone(), &p, left(none), &[&p.a, &p.b], day(8)).unwrap_err(),
            RuleViolation::ReceiptIncomplete {
                missing: "见证人签名"
            }
        );
    }
    act(
        &mut s.clone(),
        &p,
        left(vec!["社区干部钱某".into()]),
        &[&p.a, &p.b],
        day(8),
    )
    .unwrap();
}

#[test]
fn direct_delivery_needs_the_recipient_who_accepted_it() {
    let p = people();
    let s = case_at(&p, CaseSource::SelfDiscovered, CaseStatus::Decided);
    let direct = |receipt| Act::Deliver {
        method: DeliveryMethod::Direct,
        late_reason: None,
        receipt,
    };
    assert_eq!(
        act(&mut s.clone(), &p, direct(None), &[&p.a], day(8)).unwrap_err(),
        RuleViolation::ReceiptIncomplete {
            missing: "送达回证"
        }
    );
    assert_eq!(
        act(&mut s.clone(), &p, direct(receipt(" ")), &[&p.a], day(8)).unwrap_err(),
        RuleViolation::ReceiptIncomplete {
            missing: "受送达人"
        }
    );
    // A refusal is a delivery left at the address, with its witnesses.
    let refused = Some(DeliveryReceipt {
        recipient: "张三".into(),
        refused: true,
        ..DeliveryReceipt::default()
    });
    assert!(matches!(
        act(&mut s.clone(), &p, direct(refused), &[&p.a], day(8)).unwrap_err(),
        RuleViolation::ReceiptIncomplete { .. }
    ));
    act(&mut s.clone(), &p, direct(receipt("张三")), &[&p.a], day(8)).unwrap();
}

#[test]
fn the_party_is_urged_only_after_fifteen_days_to_pay() {
    let p = people();
    let s = case_at(&p, CaseSource::SelfDiscovered, CaseStatus::Delivered);
    // Delivered on day 8: the party may pay to the end of day 23.
    let urge = || Act::UrgePayment {
        note: "催告书直接送达当事人".into(),
    };
    assert!(matches!(
        act(&mut s.clone(), &p, urge(), &[&p.a], day(23)).unwrap_err(),
        RuleViolation::PaymentNotYetDue { .. }
    ));
    let list = deadline::deadlines(&s, day(24), &DeadlinePolicy::default());
    assert!(
        list.iter()
            .any(|d| d.kind == DeadlineKind::Payment && d.urgency == Urgency::Overdue)
    );
    let mut s = s;
    act(&mut s, &p, urge(), &[&p.a], day(24)).unwrap();
    assert_eq!(s.urged_at, Some(day(24)));
    // A decision that leaves nothing to pay has nothing to urge.
    let mut s = reviewed_unnotified(&p);
    act(
        &mut s,
        &p,
        decide(Discretion::NoPenalty, vec![]),
        &[&p.head],
        day(4),
    )
    .unwrap();
    act(&mut s, &p, deliver_direct(), &[&p.a], day(5)).unwrap();
    assert_eq!(
        act(&mut s, &p, urge(), &[&p.a], day(30)).unwrap_err(),
        RuleViolation::NothingToPay
    );
}

#[test]
fn enforcement_is_applied_for_ten_days_after_urging_and_then_compels() {
    let p = people();
    let mut s = case_at(&p, CaseSource::SelfDiscovered, CaseStatus::Delivered);
    let apply_for = || Act::ApplyEnforcement {
        court: "某区人民法院".into(),
        note: "申请强制执行罚款2000元".into(),
    };
    let compelled = || Act::Execute {
        execution: Execution::Compelled {
            note: "法院强制划扣".into(),
        },
    };
    assert_eq!(
        act(&mut s.clone(), &p, apply_for(), &[&p.head], day(40)).unwrap_err(),
        RuleViolation::NotUrged
    );
    act(
        &mut s,
        &p,
        Act::UrgePayment {
            note: "催告".into(),
        },
        &[&p.a],
        day(24),
    )
    .unwrap();
    // Urged on day 24: an application from the day after day 34.
    assert!(matches!(
        act(&mut s.clone(), &p, apply_for(), &[&p.head], day(34)).unwrap_err(),
        RuleViolation::EnforcementTooEarly { .. }
    ));
    assert_eq!(
        act(&mut s.clone(), &p, compelled(), &[&p.a], day(40)).unwrap_err(),
        RuleViolation::EnforcementNotApplied
    );
    act(&mut s, &p, apply_for(), &[&p.head], day(35)).unwrap();
    act(&mut s, &p, compelled(), &[&p.a], day(60)).unwrap();
    assert_eq!(s.status, CaseStatus::Executed);
}

#[test]
fn a_payment_of_another_amount_than_due_is_refused() {
    let p = people();
    let s = case_at(&p, CaseSource::SelfDiscovered, CaseStatus::Delivered);
    assert_eq!(
        act(&mut s.clone(), &p, paid(1000), &[&p.a], day(9)).unwrap_err(),
        RuleViolation::PaymentMismatch {
            due: 2000,
            paid: 1000
        }
    );
    let no_receipt = Act::Execute {
        execution: Execution::PaidAtBank {
            receipt_no: " ".into(),
            yuan: 2000,
        },
    };
    assert!(matches!(
        act(&mut s.clone(), &p, no_receipt, &[&p.a], day(9)).unwrap_err(),
        RuleViolation::EmptyField { .. }
    ));
    act(&mut s.clone(), &p, paid(2000), &[&p.a], day(9)).unwrap();
}

#[test]
fn complied_is_refused_while_money_is_due() {
    let p = people();
    let s = case_at(&p, CaseSource::SelfDiscovered, CaseStatus::Delivered);
    let complied = || Act::Execute {
        execution: Execution::Complied,
    };
    assert_eq!(
        act(&mut s.clone(), &p, complied(), &[&p.a], day(9)).unwrap_err(),
        RuleViolation::PaymentMismatch { due: 2000, paid: 0 }
    );
    // Property confiscated and nothing to pay: complied is how it is carried out.
    let mut s = notified_of(
        &p,
        header(CaseSource::SelfDiscovered),
        notify(
            false,
            Discretion::Lighter,
            vec![Penalty::ConfiscateProperty {
                items: "烧烤炉具一套".into(),
            }],
        ),
    );
    act(&mut s, &p, waive(), &[&p.a], day(5)).unwrap();
    act(&mut s, &p, review(false), &[&p.reviewer], day(6)).unwrap();
    act(
        &mut s,
        &p,
        decide(
            Discretion::Lighter,
            vec![Penalty::ConfiscateProperty {
                items: "烧烤炉具一套".into(),
            }],
        ),
        &[&p.head],
        day(7),
    )
    .unwrap();
    act(&mut s, &p, deliver_direct(), &[&p.a], day(8)).unwrap();
    assert_eq!(
        act(&mut s.clone(), &p, paid(0), &[&p.a], day(9)).unwrap_err(),
        RuleViolation::NothingToPay
    );
    act(&mut s, &p, complied(), &[&p.a], day(9)).unwrap();
}

#[test]
fn a_disclosure_with_a_persons_name_id_number_or_phone_is_refused() {
    let p = people();
    let s = walk(
        &p,
        header_with(vec![zhang_san(), barbecue_shop()]),
        CaseStatus::Executed,
    );
    for (text, what) in [
        ("张三露天烧烤，罚款2000元", "姓名"),
        (
            "当事人（身份证号110101199001011234）罚款2000元",
            "身份证件号码",
        ),
        ("当事人（电话13800001111）罚款2000元", "联系电话"),
        ("老王烧烤店（92110101MA01ABCD3X）罚款2000元", "身份证件号码"),
    ] {
        assert_eq!(
            act(&mut s.clone(), &p, disclose(text), &[&p.leader], day(10)).unwrap_err(),
            RuleViolation::UnredactedPersonalData { what },
            "{text}"
        );
    }
    // Redacted, and a business's name is public anyway.
    act(
        &mut s.clone(),
        &p,
        disclose("张某及老王烧烤店在解放路露天烧烤，罚款2000元"),
        &[&p.leader],
        day(10),
    )
    .unwrap();
}

#[test]
fn a_decision_not_to_punish_is_not_disclosed() {
    let p = people();
    let mut s = reviewed_unnotified(&p);
    act(
        &mut s,
        &p,
        decide(Discretion::NoPenalty, vec![]),
        &[&p.head],
        day(4),
    )
    .unwrap();
    act(&mut s, &p, deliver_direct(), &[&p.a], day(5)).unwrap();
    assert_eq!(
        act(
            &mut s.clone(),
            &p,
            disclose("不予处罚"),
            &[&p.leader],
            day(6)
        )
        .unwrap_err(),
        RuleViolation::NothingToDisclose
    );
    assert!(
        deadline::deadlines(&s, day(6), &DeadlinePolicy::default())
            .iter()
            .all(|d| d.kind != DeadlineKind::Disclosure)
    );
}

#[test]
fn a_delivered_case_closes_only_when_nothing_is_left_to_execute() {
    let p = people();
    let s = case_at(&p, CaseSource::SelfDiscovered, CaseStatus::Delivered);
    assert_eq!(
        act(&mut s.clone(), &p, close(), &[&p.leader], day(9)).unwrap_err(),
        RuleViolation::WrongStatus {
            act: "close",
            status: CaseStatus::Delivered
        }
    );
    // A warning alone is carried out by its delivery.
    let mut s = notified_of(
        &p,
        header(CaseSource::SelfDiscovered),
        notify(false, Discretion::Lighter, vec![Penalty::Warning]),
    );
    act(&mut s, &p, waive(), &[&p.a], day(5)).unwrap();
    act(&mut s, &p, review(false), &[&p.reviewer], day(6)).unwrap();
    act(
        &mut s,
        &p,
        decide(Discretion::Lighter, vec![Penalty::Warning]),
        &[&p.head],
        day(7),
    )
    .unwrap();
    act(&mut s, &p, deliver_direct(), &[&p.a], day(8)).unwrap();
    act(&mut s, &p, close(), &[&p.leader], day(9)).unwrap();
    assert_eq!(s.status, CaseStatus::Closed);
}

#[test]
fn closing_then_disclosing_and_disclosing_then_closing_both_end_disclosed() {
    let p = people();
    let text = "某某露天烧烤，罚款2000元";
    let executed = case_at(&p, CaseSource::SelfDiscovered, CaseStatus::Executed);

    let mut s = executed.clone();
    act(&mut s, &p, close(), &[&p.leader], day(10)).unwrap();
    assert_eq!(s.status, CaseStatus::Closed);
    act(&mut s, &p, disclose(text), &[&p.leader], day(11)).unwrap();
    assert_eq!(s.status, CaseStatus::Disclosed);

    let mut s = executed;
    act(&mut s, &p, disclose(text), &[&p.leader], day(10)).unwrap();
    assert_eq!(s.status, CaseStatus::Executed);
    assert!(matches!(
        act(&mut s.clone(), &p, disclose(text), &[&p.leader], day(10)).unwrap_err(),
        RuleViolation::WrongStatus { .. }
    ));
    act(&mut s, &p, close(), &[&p.leader], day(11)).unwrap();
    assert_eq!(s.status, CaseStatus::Disclosed);
    // Disclosure may even come before execution, while the fine is still unpaid.
    let mut s = case_at(&p, CaseSource::SelfDiscovered, CaseStatus::Delivered);
    act(&mut s, &p, disclose(text), &[&p.leader], day(9)).unwrap();
    act(&mut s, &p, paid(2000), &[&p.a], day(10)).unwrap();
    act(&mut s, &p, close(), &[&p.leader], day(11)).unwrap();
    assert_eq!(s.status, CaseStatus::Disclosed);
}

#[test]
fn a_revoked_decision_has_its_disclosure_corrected_and_not_before() {
    let p = people();
    let mut s = case_at(&p, CaseSource::SelfDiscovered, CaseStatus::Executed);
    act(&mut s, &p, close(), &[&p.leader], day(10)).unwrap();
    act(
        &mut s,
        &p,
        disclose("某某露天烧烤，罚款2000元"),
        &[&p.leader],
        day(11),
    )
    .unwrap();
    let correct = |text: &str| Act::CorrectDisclosure {
        explanation: "原处罚决定已被复议机关撤销".into(),
        text: text.into(),
    };
    assert_eq!(
        act(&mut s.clone(), &p, correct("已撤销"), &[&p.head], day(12)).unwrap_err(),
        RuleViolation::WrongStatus {
            act: "correct disclosure",
            status: CaseStatus::Disclosed
        }
    );
    act(
        &mut s,
        &p,
        Act::RevokeDecision {
            authority: "某区人民政府（行政复议）".into(),
            reason: "认定事实不清".into(),
        },
        &[&p.head],
        day(30),
    )
    .unwrap();
    let list = deadline::deadlines(&s, day(30), &DeadlinePolicy::default());
    assert!(
        list.iter()
            .any(|d| d.kind == DeadlineKind::CorrectDisclosure)
    );
    assert!(matches!(
        act(&mut s.clone(), &p, correct("已撤销"), &[&p.leader], day(31)).unwrap_err(),
        RuleViolation::RoleRequired { .. }
    ));
    act(
        &mut s,
        &p,
        correct("某某露天烧烤一案的处罚决定已被撤销"),
        &[&p.head],
        day(31),
    )
    .unwrap();
    assert!(s.disclosure_corrected);
    assert!(
        deadline::deadlines(&s, day(31), &DeadlinePolicy::default())
            .iter()
            .all(|d| d.kind != DeadlineKind::CorrectDisclosure)
    );
    assert!(matches!(
        act(&mut s, &p, correct("再次更正"), &[&p.head], day(32)).unwrap_err(),
        RuleViolation::WrongStatus { .. }
    ));
}

#[test]
fn a_summary_decision_for_a_person_is_at_most_two_hundred_yuan() {
    let p = people();
    let s = initial_state(header_with(vec![zhang_san()]));
    let summary = |yuan, certificate_shown| Act::SummaryDecision {
        penalties: fine(yuan),
        facts: "当场发现露天烧烤".into(),
        basis: "《中华人民共和国行政处罚法》第五十一条".into(),
        certificate_shown,
    };
    assert_eq!(
        act(&mut s.clone(), &p, summary(201, true), &[&p.a], day(0)).unwrap_err(),
        RuleViolation::SummaryProcedureLimit { max: 200 }
    );
    let mut s = s;
    act(&mut s, &p, summary(200, true), &[&p.a], day(0)).unwrap();
    assert_eq!(s.status, CaseStatus::Delivered);
    assert_eq!(s.delivered_at, Some(day(0)));
    assert!(s.decision.as_ref().unwrap().summary_procedure);
}

#[test]
fn a_summary_decision_for_a_business_is_at_most_three_thousand_yuan() {
    let p = people();
    let s = initial_state(header_with(vec![barbecue_shop()]));
    let summary = |penalties| Act::SummaryDecision {
        penalties,
        facts: "当场发现店外露天烧烤".into(),
        basis: "《中华人民共和国行政处罚法》第五十一条".into(),
        certificate_shown: true,
    };
    assert_eq!(
        act(&mut s.clone(), &p, summary(fine(3001)), &[&p.a], day(0)).unwrap_err(),
        RuleViolation::SummaryProcedureLimit { max: 3000 }
    );
    // Only a warning or a fine: nothing else on the spot.
    assert!(matches!(
        act(
            &mut s.clone(),
            &p,
            summary(vec![Penalty::SuspendBusiness]),
            &[&p.a],
            day(0)
        )
        .unwrap_err(),
        RuleViolation::SummaryProcedureLimit { .. }
    ));
    act(&mut s.clone(), &p, summary(fine(3000)), &[&p.a], day(0)).unwrap();
}

#[test]
fn a_summary_decision_needs_the_certificate_shown() {
    let p = people();
    let mut s = initial_state(header(CaseSource::SelfDiscovered));
    let err = act(
        &mut s,
        &p,
        Act::SummaryDecision {
            penalties: vec![Penalty::Warning],
            facts: "当场发现露天烧烤".into(),
            basis: "《中华人民共和国行政处罚法》第五十一条".into(),
            certificate_shown: false,
        },
        &[&p.a],
        day(0),
    )
    .unwrap_err();
    assert_eq!(err, RuleViolation::CertificateNotShown);
}

#[test]
fn a_summary_fine_must_fit_some_level_of_the_standard() {
    let p = people();
    let mut h = header(CaseSource::SelfDiscovered);
    h.violation = "environment.community_noise".into();
    let s = initial_state(h);
    let summary = |yuan| Act::SummaryDecision {
        penalties: fine(yuan),
        facts: "当场发现噪声扰民".into(),
        basis: "《中华人民共和国噪声污染防治法》".into(),
        certificate_shown: true,
    };
    assert_eq!(
        act(&mut s.clone(), &p, summary(100), &[&p.a], day(0)).unwrap_err(),
        RuleViolation::FineOutsideAnyStandard { yuan: 100 }
    );
    act(&mut s.clone(), &p, summary(200), &[&p.a], day(0)).unwrap();
}

#[test]
fn an_order_to_correct_by_a_past_date_is_refused() {
    let p = people();
    let mut s = initial_state(header(CaseSource::SelfDiscovered));
    let order = |by| Act::OrderCorrection {
        order: "限期清理烧烤设施".into(),
        correct_by: by,
    };
    assert_eq!(
        act(&mut s, &p, order(day(0)), &[&p.a], day(1)).unwrap_err(),
        RuleViolation::CorrectionDateInPast
    );
    act(&mut s, &p, order(day(4)), &[&p.a], day(1)).unwrap();
    assert_eq!(s.status, CaseStatus::Correcting);
    let list = deadline::deadlines(&s, day(5), &DeadlinePolicy::default());
    assert!(
        list.iter()
            .any(|d| d.kind == DeadlineKind::FollowUp && d.urgency == Urgency::Overdue)
    );
}

#[test]
fn a_follow_up_that_finds_it_corrected_handles_the_matter() {
    let p = people();
    let mut s = initial_state(header(CaseSource::SelfDiscovered));
    act(
        &mut s,
        &p,
        Act::OrderCorrection {
            order: "限期清理".into(),
            correct_by: day(3),
        },
        &[&p.a],
        day(0),
    )
    .unwrap();
    act(
        &mut s,
        &p,
        Act::FollowUp {
            corrected: true,
            note: "已清理完毕".into(),
        },
        &[&p.a],
        day(3),
    )
    .unwrap();
    assert_eq!(s.status, CaseStatus::Handled);
    assert!(deadline::deadlines(&s, day(4), &DeadlinePolicy::default()).is_empty());
}

#[test]
fn a_follow_up_that_finds_it_not_corrected_returns_the_case_for_filing() {
    let p = people();
    let mut s = initial_state(header(CaseSource::SelfDiscovered));
    act(
        &mut s,
        &p,
        Act::OrderCorrection {
            order: "限期清理".into(),
            correct_by: day(3),
        },
        &[&p.a],
        day(0),
    )
    .unwrap();
    assert!(matches!(
        act(&mut s.clone(), &p, Act::File, &[&p.leader], day(3)).unwrap_err(),
        RuleViolation::WrongStatus { .. }
    ));
    // Failing to correct cannot be found before the date.
    let early = Act::FollowUp {
        corrected: false,
        note: "尚未清理".into(),
    };
    assert_eq!(
        act(&mut s.clone(), &p, early, &[&p.a], day(2)).unwrap_err(),
        RuleViolation::FollowUpTooEarly { by: day(3) }
    );
    act(
        &mut s,
        &p,
        Act::FollowUp {
            corrected: false,
            note: "逾期未改正，仍在露天烧烤".into(),
        },
        &[&p.a],
        day(4),
    )
    .unwrap();
    assert_eq!(s.status, CaseStatus::Registered);
    assert_eq!(s.correct_by, None);
    act(&mut s, &p, Act::File, &[&p.leader], day(4)).unwrap();
    assert_eq!(s.status, CaseStatus::Filed);
}

#[test]
fn complainant_must_be_told_the_filing_outcome_before_closing() {
    let p = people();
    let mut s = case_at(&p, complaint(), CaseStatus::Executed);
    assert_eq!(
        act(&mut s, &p, close(), &[&p.leader], day(9)).unwrap_err(),
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
    act(&mut s, &p, close(), &[&p.leader], day(9)).unwrap();
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
fn a_complaint_settled_on_the_spot_or_by_advice_still_owes_the_complainant_an_answer() {
    let p = people();
    // 简易程序: decided and handed over on the spot, paid, then closed once the complainant
    // was told.
    let mut s = initial_state(header(complaint()));
    act(
        &mut s,
        &p,
        Act::SummaryDecision {
            penalties: fine(200),
            facts: "当场发现露天烧烤".into(),
            basis: "《中华人民共和国行政处罚法》第五十一条".into(),
            certificate_shown: true,
        },
        &[&p.a],
        day(0),
    )
    .unwrap();
    act(&mut s, &p, paid(200), &[&p.a], day(1)).unwrap();
    assert_eq!(
        act(&mut s.clone(), &p, close(), &[&p.leader], day(2)).unwrap_err(),
        RuleViolation::ComplainantNotInformed
    );
    assert!(
        deadline::deadlines(&s, day(2), &DeadlinePolicy::default())
            .iter()
            .any(|d| d.kind == DeadlineKind::InformComplainant)
    );
    let inform = || Act::InformComplainant {
        how: "电话告知已当场处罚".into(),
    };
    act(&mut s, &p, inform(), &[&p.a], day(2)).unwrap();
    act(&mut s, &p, close(), &[&p.leader], day(2)).unwrap();
    assert_eq!(s.status, CaseStatus::Closed);
    // 721 服务: the matter is handled without a case, and the complainant is still told.
    let mut s = initial_state(header(complaint()));
    act(
        &mut s,
        &p,
        Act::Advise {
            advice: "劝阻当事人停止露天烧烤".into(),
        },
        &[&p.assistant],
        day(0),
    )
    .unwrap();
    assert!(
        deadline::deadlines(&s, day(1), &DeadlinePolicy::default())
            .iter()
            .any(|d| d.kind == DeadlineKind::InformComplainant)
    );
    act(&mut s, &p, inform(), &[&p.a], day(1)).unwrap();
    assert!(s.complainant_informed);
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
    // Decided cases no longer owe a decision but owe delivery first, then disclosure.
    let s = case_at(&p, CaseSource::SelfDiscovered, CaseStatus::Decided);
    let list = deadline::deadlines(&s, day(7), &policy);
    let kinds: Vec<_> = list.iter().map(|d| d.kind.clone()).collect();
    assert_eq!(kinds, [DeadlineKind::Delivery, DeadlineKind::Disclosure]);
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
fn replay_keeps_a_late_decision_with_its_reason() {
    let p = people();
    let mut events: Vec<WorkflowEvent> = steps(&p)
        .into_iter()
        .take(6)
        .enumerate()
        .map(|(i, (act, who))| WorkflowEvent {
            id: format!("e{i}"),
            at: day(1 + i as i64),
            actors: who.iter().map(|w| w.id.clone()).collect(),
            act,
        })
        .collect();
    events.push(WorkflowEvent {
        id: "late".into(),
        at: day(70),
        actors: vec![p.head.id.clone()],
        act: decide_late(Discretion::Standard, fine(2000), Some("案情复杂")),
    });
    let s = replay(header(CaseSource::SelfDiscovered), &events);
    assert!(s.anomalies.is_empty(), "{:?}", s.anomalies);
    assert_eq!(s.status, CaseStatus::Decided);
    assert_eq!(s.late.len(), 1);
    assert_eq!(s.late[0].kind, DeadlineKind::Decision);
    assert_eq!(s.late[0].reason, "案情复杂");
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
        RuleViolation::HeavierThanNotified {
            notified: 2000,
            decided: 3000,
        },
        RuleViolation::FineOutsideStandard {
            yuan: 100,
            level: "一般处罚",
            min: 2000,
            max: 8000,
        },
        RuleViolation::UnredactedPersonalData { what: "姓名" },
        RuleViolation::NoFineStandard {
            violation: "露天烧烤".into(),
            level: "从重处罚",
        },
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
    assert_eq!(disclose("").kind().section(), FileSection::Closing);
    assert_eq!(
        Act::LegalReview {
            passed: false,
            opinion: String::new(),
            major: false,
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

#[test]
fn a_devices_view_is_its_squad_and_what_its_people_may_see() {
    use CaseStatus::*;
    let officer = person_of("a", "张伟", Role::EnforcementOfficer, "二中队");
    let legal = person_of("l", "孙丽", Role::LegalReviewer, "三中队");
    let view = CaseView::of_device("一中队", [&officer, &legal]);
    assert_eq!(
        view.squads,
        ["一中队", "二中队", "三中队"].map(String::from).into()
    );
    assert!(view.sent_for_review && !view.everything);
    assert!(view.sees("二中队", Registered) && view.sees("三中队", Investigating));
    assert!(!view.sees("四中队", Investigating) && view.sees("四中队", Decided));
    let alone = CaseView::of_device("一中队", []);
    assert!(alone.sees("一中队", Registered) && !alone.sees("二中队", Decided));
    let head = person_of("h", "周文", Role::Head, "一中队");
    assert!(CaseView::of_device("一中队", [&head]).sees("四中队", Registered));
}

#[test]
fn the_statuses_sent_for_review_are_listed_for_queries() {
    use CaseStatus::*;
    let listed: Vec<CaseStatus> = CaseStatus::all_sent_for_review().collect();
    assert_eq!(
        listed,
        [
            InvestigationConcluded,
            Notified,
            LegalReviewed,
            Decided,
            Delivered,
            Executed,
            Closed,
            Disclosed
        ]
    );
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

#[test]
fn a_statement_alone_does_not_cut_off_the_time_to_ask_for_a_hearing() {
    let p = people();
    let statement = Act::HearStatement {
        waived: false,
        statement: "当事人称系初次经营".into(),
        accepted: false,
        reasons: "与查明事实不符，不予采纳".into(),
    };
    let mut s = notified_of(
        &p,
        header(CaseSource::SelfDiscovered),
        notify(true, Discretion::Standard, fine(6000)),
    );
    act(&mut s, &p, statement, &[&p.a], day(5)).unwrap();
    assert!(matches!(
        act(&mut s.clone(), &p, review(false), &[&p.reviewer], day(6)).unwrap_err(),
        RuleViolation::StatementPeriodOpen { .. }
    ));
    // Still in time, the party asks for a hearing after speaking.
    let request = Act::RequestHearing {
        note: "当事人书面申请听证".into(),
    };
    act(&mut s.clone(), &p, request, &[&p.a], day(6)).unwrap();
    // Waiving both rights lets the review go ahead at once.
    let mut w = notified_of(
        &p,
        header(CaseSource::SelfDiscovered),
        notify(true, Discretion::Standard, fine(6000)),
    );
    act(&mut w, &p, waive(), &[&p.a], day(5)).unwrap();
    act(&mut w, &p, review(false), &[&p.reviewer], day(6)).unwrap();
}

#[test]
fn a_decision_late_even_against_a_late_extension_keeps_both_delays() {
    let p = people();
    let mut s = case_at(&p, CaseSource::SelfDiscovered, CaseStatus::Investigating);
    let ext = Act::ExtendDeadline {
        days: 10,
        reason: "案情复杂".into(),
        late_reason: Some("未及时报批".into()),
    };
    act(&mut s, &p, ext, &[&p.head], day(70)).unwrap();
    for (a, who, at) in [
        (
            Act::ConcludeInvestigation {
                summary: "事实清楚".into(),
            },
            vec![&p.a],
            71,
        ),
        (
            notify(false, Discretion::Standard, fine(2000)),
            vec![&p.a, &p.b],
            72,
        ),
        (waive(), vec![&p.a], 72),
        (review(false), vec![&p.reviewer], 73),
    ] {
        act(&mut s, &p, a, &who, day(at)).unwrap();
    }
    let late = decide_late(Discretion::Standard, fine(2000), Some("复核意见往返"));
    act(&mut s, &p, late, &[&p.head], day(90)).unwrap();
    let decisions: Vec<_> = s
        .late
        .iter()
        .filter(|l| l.kind == DeadlineKind::Decision)
        .map(|l| l.reason.as_str())
        .collect();
    assert_eq!(decisions, ["未及时报批", "复核意见往返"]);
}

#[test]
fn a_decision_adding_a_kind_of_penalty_the_notice_did_not_name_is_heavier() {
    let p = people();
    let mut s = notified_of(
        &p,
        header(CaseSource::SelfDiscovered),
        notify(false, Discretion::Standard, fine(2000)),
    );
    act(&mut s, &p, waive(), &[&p.a], day(5)).unwrap();
    act(&mut s, &p, review(false), &[&p.reviewer], day(6)).unwrap();
    let mut more = fine(2000);
    more.push(Penalty::ConfiscateProperty {
        items: "烧烤炉一台".into(),
    });
    assert!(matches!(
        act(
            &mut s.clone(),
            &p,
            decide(Discretion::Standard, more),
            &[&p.head],
            day(7)
        )
        .unwrap_err(),
        RuleViolation::HeavierThanNotified { .. }
    ));
    act(
        &mut s,
        &p,
        decide(Discretion::Standard, fine(2000)),
        &[&p.head],
        day(7),
    )
    .unwrap();
}

#[test]
fn a_notice_that_needed_a_discussion_still_needs_it_when_the_decision_is_lighter() {
    let p = people();
    // 6,000 yuan for a person qualifies for a hearing; the decision comes down to 4,000.
    let mut s = notified_of(
        &p,
        header(CaseSource::SelfDiscovered),
        notify(true, Discretion::Standard, fine(6000)),
    );
    act(&mut s, &p, waive(), &[&p.a], day(5)).unwrap();
    act(&mut s, &p, review(false), &[&p.reviewer], day(6)).unwrap();
    let steps = crate::next_steps(&s, &catalogue(), day(6));
    assert!(steps.iter().any(|st| st.act == "collective_discussion"));
    assert_eq!(
        act(
            &mut s.clone(),
            &p,
            decide(Discretion::Standard, fine(4000)),
            &[&p.head],
            day(7)
        )
        .unwrap_err(),
        RuleViolation::CollectiveDiscussionRequired
    );
    act(
        &mut s,
        &p,
        discussion(&["周局", "刘队", "孙法"]),
        &[&p.head],
        day(7),
    )
    .unwrap();
    act(
        &mut s,
        &p,
        decide(Discretion::Standard, fine(4000)),
        &[&p.head],
        day(7),
    )
    .unwrap();
}
