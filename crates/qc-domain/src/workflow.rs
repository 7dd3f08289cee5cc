//! The lifecycle state machine and the procedure checks on every act.
//!
//! [`validate`] decides whether an act may be recorded now, by these people; [`replay`] derives a
//! case's state from its stored events and never fails, because events merged from another
//! device were valid where they were made: an event that no longer fits is kept as an anomaly.

use std::collections::BTreeSet;

use crate::case::{
    Act, Anomaly, CaseHeader, CaseSource, CaseState, CaseStatus, DecisionMade, DeliveryMethod,
    DeliveryReceipt, Discretion, Execution, HearingStage, LateAct, NoticeGiven, OpenPreservation,
    PartyKind, Penalty, WorkflowEvent, fine_of, money_due,
};
use crate::catalogue::Catalogue;
use crate::clock::Timestamp;
use crate::deadline::{self, DeadlineKind};
use crate::person::{EnforcementOfficer, Person, PersonId, Role};
use crate::rules::RuleViolation;

/// Officers needed for any investigation act (执法人员不得少于2人, 004 调查取证 5).
pub const MIN_INVESTIGATORS: usize = 2;
/// Longest extension of the decision deadline, granted once (004 决定).
pub const MAX_EXTENSION_DAYS: u32 = 60;

pub(crate) const LEADERS: &[Role] = &[Role::SquadLeader, Role::Head];
pub(crate) const HEAD: &[Role] = &[Role::Head];
pub(crate) const REVIEWER: &[Role] = &[Role::LegalReviewer];
/// Who may host a hearing: someone outside the investigation (checked against the team).
pub(crate) const HEARING: &[Role] = &[Role::LegalReviewer, Role::Head];
pub(crate) const OFFICERS: &[Role] = &[Role::EnforcementOfficer, Role::SquadLeader, Role::Head];
/// Who may register a case: information collection is open to assistants, not to
/// administrators, who do no casework.
pub(crate) const REGISTERING: &[Role] = &[
    Role::EnforcementOfficer,
    Role::Assistant,
    Role::SquadLeader,
    Role::LegalReviewer,
    Role::Head,
];
/// Who may declare their own interest in a case (回避).
pub(crate) const RECUSING: &[Role] = &[
    Role::EnforcementOfficer,
    Role::SquadLeader,
    Role::Head,
    Role::LegalReviewer,
];

/// At least two distinct enforcement officers, none recused on the case: the only way to get
/// one is [`InvestigationTeam::new`].
#[derive(Debug, Clone)]
pub struct InvestigationTeam(Vec<EnforcementOfficer>);

impl InvestigationTeam {
    /// Checks the two-officer rule and recusals for this case.
    pub fn new(
        officers: Vec<EnforcementOfficer>,
        state: &CaseState,
    ) -> Result<InvestigationTeam, RuleViolation> {
        let mut seen = BTreeSet::new();
        for o in &officers {
            let p = o.person();
            if state.recused.contains(&p.id) {
                return Err(RuleViolation::Recused {
                    name: p.name.clone(),
                });
            }
            if !seen.insert(&p.id) {
                return Err(RuleViolation::DuplicateActor {
                    name: p.name.clone(),
                });
            }
        }
        if officers.len() < MIN_INVESTIGATORS {
            return Err(RuleViolation::TooFewOfficers {
                required: MIN_INVESTIGATORS,
                present: officers.len(),
            });
        }
        Ok(InvestigationTeam(officers))
    }

    /// The officers.
    pub fn officers(&self) -> &[EnforcementOfficer] {
        &self.0
    }

    /// Their ids, in order.
    pub fn ids(&self) -> Vec<PersonId> {
        self.0.iter().map(|o| o.person().id.clone()).collect()
    }
}

/// Checks a new case before it is registered (登记). Assistants may register a source
/// (information collection); administrators do no casework.
pub fn check_registration(
    header: &CaseHeader,
    registrar: &Person,
    catalogue: &Catalogue,
) -> Result<(), RuleViolation> {
    if !REGISTERING.contains(&registrar.role) {
        return Err(RuleViolation::RoleRequired {
            act: "register",
            roles: REGISTERING,
        });
    }
    match catalogue.violation(&header.violation) {
        Some((d, _)) if d.code == header.domain => {}
        _ => {
            return Err(RuleViolation::UnknownViolationType {
                code: header.violation.clone(),
            });
        }
    }
    non_empty(&header.location.address, "地点")?;
    non_empty(&header.location.grid, "网格")?;
    non_empty(&header.summary, "案情摘要")?;
    non_empty(&header.squad, "中队")?;
    if let CaseSource::Complaint { complainant, .. } = &header.source {
        non_empty(complainant, "投诉举报人")?;
    }
    Ok(())
}

fn non_empty(s: &str, field: &'static str) -> Result<(), RuleViolation> {
    if s.trim().is_empty() {
        Err(RuleViolation::EmptyField { field })
    } else {
        Ok(())
    }
}

/// A freshly registered case's state.
pub fn initial_state(header: CaseHeader) -> CaseState {
    CaseState {
        header,
        status: CaseStatus::Registered,
        filed_at: None,
        filing_outcome_at: None,
        extension_days: None,
        legal_review_passed: false,
        decided_at: None,
        delivered_at: None,
        complainant_informed: false,
        notice: None,
        statement_heard: false,
        rights_waived: false,
        hearing: HearingStage::None,
        major: false,
        discussed: false,
        decision: None,
        urged_at: None,
        enforcement_applied: false,
        disclosed_at: None,
        revoked_at: None,
        disclosure_corrected: false,
        correct_by: None,
        late: Vec::new(),
        team: Vec::new(),
        recused: BTreeSet::new(),
        open_preservations: Vec::new(),
        anomalies: Vec::new(),
    }
}

/// Statuses before a decision, from which a case may still be transferred (移送).
fn before_decision(s: CaseStatus) -> bool {
    use CaseStatus as S;
    matches!(
        s,
        S::Registered
            | S::Returned
            | S::Correcting
            | S::Filed
            | S::Investigating
            | S::InvestigationConcluded
            | S::Notified
            | S::LegalReviewed
    )
}

/// Whether the decided penalties leave nothing to carry out (none, or a warning alone).
pub(crate) fn nothing_to_execute(state: &CaseState) -> bool {
    state.decision.as_ref().is_some_and(|d| {
        d.penalties
            .iter()
            .all(|p| matches!(p, crate::case::Penalty::Warning))
    })
}

/// The status an act leads to, if the act fits the current stage at all.
fn next_status(state: &CaseState, act: &Act) -> Result<CaseStatus, RuleViolation> {
    use CaseStatus as S;
    let s = state.status;
    let closed = || {
        if state.disclosed_at.is_some() {
            S::Disclosed
        } else {
            S::Closed
        }
    };
    let to = match act {
        Act::File if s == S::Registered => S::Filed,
        Act::DeclineFiling { .. } if matches!(s, S::Registered | S::Returned) => S::NotFiled,
        Act::ReturnFiling { .. } if s == S::Registered => S::Returned,
        Act::ResubmitFiling { .. } if s == S::Returned => S::Registered,
        Act::Transfer { .. } if before_decision(s) => S::Transferred,
        Act::StartInvestigation { .. } if matches!(s, S::Filed | S::Investigating) => {
            S::Investigating
        }
        Act::PreservationNotice { .. } if s == S::Investigating => s,
        Act::PreservationDecision { notice, .. } => {
            if !state.open_preservations.iter().any(|p| &p.notice == notice) {
                return Err(RuleViolation::NoOpenPreservationNotice(notice.clone()));
            }
            s
        }
        Act::ConcludeInvestigation { .. } if s == S::Investigating => S::InvestigationConcluded,
        Act::Notify { .. }
            if matches!(
                s,
                S::InvestigationConcluded | S::Notified | S::LegalReviewed
            ) =>
        {
            S::Notified
        }
        Act::HearStatement { .. } | Act::RequestHearing { .. } | Act::HoldHearing { .. }
            if s == S::Notified =>
        {
            s
        }
        Act::LegalReview { passed, .. } if matches!(s, S::InvestigationConcluded | S::Notified) => {
            if *passed {
                S::LegalReviewed
            } else {
                S::Investigating
            }
        }
        Act::CollectiveDiscussion { .. } if s == S::LegalReviewed => s,
        Act::ExtendDeadline { .. } if state.filed_at.is_some() && before_decision(s) => s,
        Act::Decide { .. } if s == S::LegalReviewed => S::Decided,
        Act::SummaryDecision { .. } if s == S::Registered => S::Delivered,
        Act::Deliver { .. } if s == S::Decided => S::Delivered,
        Act::UrgePayment { .. } if s == S::Delivered && state.urged_at.is_none() => s,
        Act::ApplyEnforcement { .. } if s == S::Delivered && !state.enforcement_applied => s,
        Act::Execute { .. } if s == S::Delivered => S::Executed,
        Act::Close { .. } if s == S::Executed => closed(),
        Act::Close { .. } if s == S::Delivered && nothing_to_execute(state) => closed(),
        Act::Disclose { .. }
            if matches!(s, S::Delivered | S::Executed | S::Closed)
                && state.disclosed_at.is_none()
                && state.revoked_at.is_none() =>
        {
            if s == S::Closed {
                S::Disclosed
            } else {
                s
            }
        }
        Act::RevokeDecision { .. } if state.decided_at.is_some() && state.revoked_at.is_none() => s,
        Act::CorrectDisclosure { .. }
            if state.revoked_at.is_some()
                && state.disclosed_at.is_some()
                && !state.disclosure_corrected =>
        {
            s
        }
        Act::InformComplainant { .. } if state.filing_outcome_at.is_some() => s,
        Act::Recuse { .. } if s.is_open() => s,
        Act::Advise { .. } if matches!(s, S::Registered | S::Returned) => S::Handled,
        Act::OrderCorrection { .. } if matches!(s, S::Registered | S::Returned) => S::Correcting,
        Act::FollowUp { corrected, .. } if s == S::Correcting => {
            if *corrected {
                S::Handled
            } else {
                S::Registered
            }
        }
        _ => {
            return Err(RuleViolation::WrongStatus {
                act: act.name(),
                status: s,
            });
        }
    };
    Ok(to)
}

/// What the rules consult beside the case: the people enrolled, the catalogue and the time.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// Everyone enrolled (resolves people named inside an act, such as the team).
    pub directory: &'a [Person],
    /// The catalogue in force (legal basis, discretion standards, hearing thresholds).
    pub catalogue: &'a Catalogue,
    /// Now, by the device's clock.
    pub now: Timestamp,
}

/// Checks whether `actors` may do `act` on this case now. Returns the reason when the procedure
/// forbids it.
pub fn validate(
    state: &CaseState,
    act: &Act,
    actors: &[Person],
    ctx: &Context<'_>,
) -> Result<(), RuleViolation> {
    check_actors(state, act, actors)?;
    next_status(state, act)?;
    require_signers(act, actors)?;
    let now = ctx.now;
    match act {
        Act::File => {}
        Act::DeclineFiling { reason } => non_empty(reason, "理由")?,
        Act::Transfer {
            to,
            reason,
            materials,
            ..
        } => {
            non_empty(to, "移送机关")?;
            non_empty(reason, "移送理由")?;
            non_empty(materials, "移送材料（案件事实及证据清单）")?;
        }
        Act::ReturnFiling { comments } => non_empty(comments, "退回意见")?,
        Act::ResubmitFiling { note } => non_empty(note, "补充核查情况")?,
        Act::StartInvestigation { team } => {
            let officers =
                team.iter()
                    .map(|id| {
                        let p = ctx.directory.iter().find(|p| &p.id == id).ok_or(
                            RuleViolation::NoEnforcementCertificate { name: id.0.clone() },
                        )?;
                        if p.squad != state.header.squad {
                            return Err(RuleViolation::OtherSquad {
                                name: p.name.clone(),
                            });
                        }
                        EnforcementOfficer::try_from(p.clone())
                    })
                    .collect::<Result<Vec<_>, _>>()?;
            InvestigationTeam::new(officers, state)?;
        }
        Act::PreservationNotice { items, .. } => {
            investigation_team(actors, state)?;
            non_empty(items, "保存物品")?;
        }
        Act::PreservationDecision {
            notice,
            outcome,
            late_reason,
        } => {
            non_empty(outcome, "处理决定")?;
            if let Some(p) = state
                .open_preservations
                .iter()
                .find(|p| &p.notice == notice)
            {
                require_reason_if_late(
                    now,
                    deadline::preservation_due(p),
                    late_reason,
                    "证据先行登记保存处理决定",
                )?;
            }
        }
        Act::ConcludeInvestigation { summary } => non_empty(summary, "调查终结报告")?,
        Act::Notify {
            hearing_offered,
            proposal,
        } => {
            let p = proposal.as_ref().ok_or(RuleViolation::EmptyField {
                field: "拟处罚决定",
            })?;
            if p.discretion == Discretion::NoPenalty || p.penalties.is_empty() {
                return Err(RuleViolation::NoticeWithoutPenalty);
            }
            non_empty(&p.facts, "违法事实")?;
            non_empty(&p.reasons, "理由")?;
            non_empty(&p.basis, "依据")?;
            check_penalties(state, ctx.catalogue, p.discretion, &p.penalties)?;
            if qualifies_for_hearing(state, ctx.catalogue, &p.penalties) && !hearing_offered {
                return Err(RuleViolation::HearingRequired);
            }
        }
        Act::HearStatement {
            waived,
            statement,
            reasons,
            ..
        } => {
            if !waived {
                non_empty(statement, "当事人陈述申辩内容")?;
                non_empty(reasons, "是否采纳的理由（复核意见）")?;
            }
        }
        Act::RequestHearing { note } => {
            let Some(n) = state.notice.as_ref().filter(|n| n.hearing_offered) else {
                return Err(RuleViolation::HearingNotOffered);
            };
            if state.hearing != HearingStage::None {
                return Err(RuleViolation::WrongStatus {
                    act: act.name(),
                    status: state.status,
                });
            }
            let due = deadline::days_after(n.at, deadline::HEARING_REQUEST_DAYS);
            if now > due {
                return Err(RuleViolation::HearingRequestTooLate { due });
            }
            non_empty(note, "听证申请情况")?;
        }
        Act::HoldHearing {
            participants,
            record,
            opinion,
        } => {
            if state.hearing != HearingStage::Requested {
                return Err(RuleViolation::NoHearingRequested);
            }
            if let Some(a) = actors.iter().find(|a| state.team.contains(&a.id)) {
                return Err(RuleViolation::HearingHostInvestigated {
                    name: a.name.clone(),
                });
            }
            non_empty(participants, "听证参加人")?;
            non_empty(record, "听证笔录")?;
            non_empty(opinion, "听证主持人意见")?;
        }
        Act::LegalReview { opinion, .. } => {
            non_empty(opinion, "审核意见")?;
            if state.status == CaseStatus::Notified {
                party_heard(state, now)?;
            }
        }
        Act::CollectiveDiscussion {
            participants,
            opinions,
            conclusion,
        } => {
            let named: BTreeSet<&str> = participants
                .iter()
                .map(|p| p.trim())
                .filter(|p| !p.is_empty())
                .collect();
            if named.len() < MIN_DISCUSSANTS {
                return Err(RuleViolation::TooFewDiscussants {
                    required: MIN_DISCUSSANTS,
                });
            }
            non_empty(opinions, "讨论意见")?;
            non_empty(conclusion, "讨论结论")?;
        }
        Act::ExtendDeadline {
            days,
            reason,
            late_reason,
        } => {
            if state.extension_days.is_some() {
                return Err(RuleViolation::ExtensionAlreadyGranted);
            }
            if *days == 0 || *days > MAX_EXTENSION_DAYS {
                return Err(RuleViolation::ExtensionLength {
                    days: *days,
                    max: MAX_EXTENSION_DAYS,
                });
            }
            non_empty(reason, "延期理由")?;
            if let Some(due) = deadline::decision_due(state) {
                require_reason_if_late(now, due, late_reason, "延长办案期限")?;
            }
        }
        Act::Decide {
            summary,
            discretion,
            penalties,
            basis,
            late_reason,
        } => {
            if !state.legal_review_passed {
                return Err(RuleViolation::LegalReviewNotPassed);
            }
            if (*discretion == Discretion::NoPenalty) != penalties.is_empty() {
                return Err(RuleViolation::PenaltyMismatch);
            }
            if !penalties.is_empty() {
                // A penalty needs the prior notice so the party can state and defend their
                // case; a decision not to punish does not.
                let n = state
                    .notice
                    .as_ref()
                    .ok_or(RuleViolation::PartyNotNotified)?;
                if let Some(p) = &n.proposal
                    && heavier(penalties, &p.penalties)
                {
                    return Err(RuleViolation::HeavierThanNotified {
                        notified: money_due(&p.penalties),
                        decided: money_due(penalties),
                    });
                }
                check_penalties(state, ctx.catalogue, *discretion, penalties)?;
                let told = n.proposal.as_ref();
                let serious = needs_discussion(state, ctx.catalogue, *discretion, penalties)
                    || told.is_some_and(|p| {
                        needs_discussion(state, ctx.catalogue, p.discretion, &p.penalties)
                    });
                if serious && !state.discussed {
                    return Err(RuleViolation::CollectiveDiscussionRequired);
                }
            }
            non_empty(summary, "决定内容")?;
            non_empty(basis, "法律依据")?;
            if let Some(due) = deadline::decision_due(state) {
                require_reason_if_late(now, due, late_reason, "作出处罚决定")?;
            }
        }
        Act::SummaryDecision {
            penalties,
            facts,
            basis,
            certificate_shown,
        } => {
            if !certificate_shown {
                return Err(RuleViolation::CertificateNotShown);
            }
            let max = summary_fine_limit(state);
            let small = penalties.iter().all(|p| match p {
                Penalty::Warning => true,
                Penalty::Fine { yuan } => *yuan <= max,
                _ => false,
            });
            if penalties.is_empty() || !small || fine_of(penalties) > max {
                return Err(RuleViolation::SummaryProcedureLimit { max });
            }
            let fine = fine_of(penalties);
            if fine > 0 {
                let v = &state.header.violation;
                let fits = ctx.catalogue.violation(v).is_some_and(|(_, t)| {
                    t.standards
                        .iter()
                        .any(|f| (f.min_yuan..=f.max_yuan).contains(&fine))
                });
                if !fits {
                    return Err(RuleViolation::FineOutsideAnyStandard { yuan: fine });
                }
            }
            non_empty(facts, "违法事实")?;
            non_empty(basis, "法律依据")?;
        }
        Act::Deliver {
            method,
            late_reason,
            receipt,
        } => {
            if matches!(
                method,
                DeliveryMethod::Electronic {
                    party_consented: false
                }
            ) {
                return Err(RuleViolation::ElectronicDeliveryWithoutConsent);
            }
            check_receipt(method, receipt.as_ref())?;
            if let Some(due) = deadline::delivery_due(state) {
                require_reason_if_late(now, due, late_reason, "送达")?;
            }
        }
        Act::UrgePayment { note } => {
            let due = deadline::payment_due(state).ok_or(RuleViolation::NothingToPay)?;
            if now <= due {
                return Err(RuleViolation::PaymentNotYetDue { due });
            }
            non_empty(note, "催告情况")?;
        }
        Act::ApplyEnforcement { court, note } => {
            let urged = state.urged_at.ok_or(RuleViolation::NotUrged)?;
            let after = deadline::days_after(urged, deadline::ENFORCEMENT_AFTER_URGING_DAYS);
            if now <= after {
                return Err(RuleViolation::EnforcementTooEarly { after });
            }
            non_empty(court, "申请执行的人民法院")?;
            non_empty(note, "申请内容")?;
        }
        Act::Execute { execution } => {
            let due = state
                .decision
                .as_ref()
                .map(|d| money_due(&d.penalties))
                .unwrap_or(0);
            match execution {
                Execution::PaidAtBank { receipt_no, yuan } => {
                    if due == 0 {
                        return Err(RuleViolation::NothingToPay);
                    }
                    non_empty(receipt_no, "缴款票据号")?;
                    if *yuan != due {
                        return Err(RuleViolation::PaymentMismatch { due, paid: *yuan });
                    }
                }
                Execution::Complied => {
                    if due > 0 {
                        return Err(RuleViolation::PaymentMismatch { due, paid: 0 });
                    }
                }
                Execution::Compelled { note } => {
                    if !state.enforcement_applied {
                        return Err(RuleViolation::EnforcementNotApplied);
                    }
                    non_empty(note, "强制执行情况")?;
                }
            }
        }
        Act::Close { report } => {
            non_empty(report, "结案报告")?;
            if matches!(state.header.source, CaseSource::Complaint { .. })
                && !state.complainant_informed
            {
                return Err(RuleViolation::ComplainantNotInformed);
            }
        }
        Act::Disclose { text, late_reason } => {
            let penalised = state
                .decision
                .as_ref()
                .is_some_and(|d| !d.penalties.is_empty());
            if !penalised {
                return Err(RuleViolation::NothingToDisclose);
            }
            check_redacted(state, text)?;
            if let Some(due) = deadline::disclosure_due(state) {
                require_reason_if_late(now, due, late_reason, "公开处罚结果")?;
            }
        }
        Act::RevokeDecision { authority, reason } => {
            non_empty(authority, "撤销机关")?;
            non_empty(reason, "撤销理由")?;
        }
        Act::CorrectDisclosure { explanation, text } => {
            non_empty(explanation, "更正说明")?;
            check_redacted(state, text)?;
        }
        Act::InformComplainant { how } => {
            if !matches!(state.header.source, CaseSource::Complaint { .. }) {
                return Err(RuleViolation::NotAComplaint);
            }
            non_empty(how, "告知方式")?;
        }
        Act::Recuse { officer, reason } => {
            non_empty(reason, "回避理由")?;
            // One declares one's own interest; another's is decided by a leader.
            if !actors.iter().any(|a| &a.id == officer) {
                require_role(act, actors, LEADERS)?;
            }
        }
        Act::Advise { advice } => non_empty(advice, "宣传教育、劝阻内容")?,
        Act::OrderCorrection { order, correct_by } => {
            non_empty(order, "责令改正内容")?;
            if *correct_by < now {
                return Err(RuleViolation::CorrectionDateInPast);
            }
        }
        Act::FollowUp { note, corrected } => {
            non_empty(note, "复查情况")?;
            // Correcting early is fine; failing to correct cannot be found before the date.
            if let Some(by) = state.correct_by.filter(|by| !corrected && now < *by) {
                return Err(RuleViolation::FollowUpTooEarly { by });
            }
        }
    }
    Ok(())
}

/// Whether the party has been heard, or the time to be heard is over, so the case may go to
/// legal review after the notice: no hearing pending; the statement (or hearing) heard, the
/// rights waived, or the period over. A statement alone does not end the time to ask for a
/// hearing that was offered.
pub(crate) fn party_heard(state: &CaseState, now: Timestamp) -> Result<(), RuleViolation> {
    let Some(n) = &state.notice else {
        return Ok(());
    };
    if state.hearing == HearingStage::Requested {
        return Err(RuleViolation::HearingPending);
    }
    let days = if n.hearing_offered {
        deadline::HEARING_REQUEST_DAYS
    } else {
        deadline::STATEMENT_DAYS
    };
    let until = deadline::days_after(n.at, days);
    let heard = state.hearing == HearingStage::Held
        || state.rights_waived
        || (state.statement_heard && !n.hearing_offered);
    if !heard && now <= until {
        return Err(RuleViolation::StatementPeriodOpen { until });
    }
    Ok(())
}

/// Whether a decision of this discretion and these penalties needs a collective discussion
/// (004 案件审理 1: 重大、复杂 as the reviewer marked it, or a heavier penalty: 从重, or one that
/// entitles the party to a hearing).
pub fn needs_discussion(
    state: &CaseState,
    catalogue: &Catalogue,
    discretion: Discretion,
    penalties: &[Penalty],
) -> bool {
    state.major
        || discretion == Discretion::Heavier
        || qualifies_for_hearing(state, catalogue, penalties)
}

/// Whether `decided` is heavier than `told`: more money, or a kind of penalty the notice did
/// not name (行政处罚法 第四十五条: no heavier penalty because the party spoke).
fn heavier(decided: &[Penalty], told: &[Penalty]) -> bool {
    let kind = |p: &Penalty| std::mem::discriminant(p);
    fine_of(decided) > fine_of(told)
        || money_due(decided) > money_due(told)
        || decided
            .iter()
            .any(|d| !told.iter().any(|t| kind(t) == kind(d)))
}

/// People at least this many take part in a collective discussion (集体讨论).
pub const MIN_DISCUSSANTS: usize = 3;
/// 简易程序 fines: at most 200 yuan for a person (行政处罚法 第五十一条).
pub const SUMMARY_PERSON_MAX_YUAN: u64 = 200;
/// 简易程序 fines: at most 3,000 yuan for an organisation (行政处罚法 第五十一条).
pub const SUMMARY_ORGANISATION_MAX_YUAN: u64 = 3_000;

/// Whether any party of the case is an organisation or business.
fn organisation(state: &CaseState) -> bool {
    state
        .header
        .parties
        .iter()
        .any(|p| p.kind == PartyKind::Business)
}

fn summary_fine_limit(state: &CaseState) -> u64 {
    if organisation(state) {
        SUMMARY_ORGANISATION_MAX_YUAN
    } else {
        SUMMARY_PERSON_MAX_YUAN
    }
}

/// Whether these penalties entitle the party to a hearing (听证): a 较大数额 fine or
/// confiscation by the catalogue's thresholds, a suspension or a licence revoked
/// (行政处罚法 第六十三条).
pub fn qualifies_for_hearing(
    state: &CaseState,
    catalogue: &Catalogue,
    penalties: &[Penalty],
) -> bool {
    let threshold = if organisation(state) {
        catalogue.hearing.organisation_fine_yuan
    } else {
        catalogue.hearing.person_fine_yuan
    };
    penalties.iter().any(|p| match p {
        Penalty::Fine { yuan } | Penalty::ConfiscateGains { yuan } => *yuan >= threshold,
        Penalty::SuspendBusiness | Penalty::RevokeLicence => true,
        Penalty::Warning | Penalty::ConfiscateProperty { .. } => false,
    })
}

/// A fine must fall within the catalogue's discretion standard for the case's violation type
/// at the stated level.
fn check_penalties(
    state: &CaseState,
    catalogue: &Catalogue,
    discretion: Discretion,
    penalties: &[Penalty],
) -> Result<(), RuleViolation> {
    let fine = fine_of(penalties);
    if !penalties.iter().any(|p| matches!(p, Penalty::Fine { .. })) {
        return Ok(());
    }
    let violation = &state.header.violation;
    let standard = catalogue
        .fine_standard(violation, discretion)
        .ok_or_else(|| RuleViolation::NoFineStandard {
            violation: catalogue
                .violation(violation)
                .map(|(_, v)| v.name.clone())
                .unwrap_or_else(|| violation.clone()),
            level: discretion.zh(),
        })?;
    if !(standard.min_yuan..=standard.max_yuan).contains(&fine) {
        return Err(RuleViolation::FineOutsideStandard {
            yuan: fine,
            level: discretion.zh(),
            min: standard.min_yuan,
            max: standard.max_yuan,
        });
    }
    Ok(())
}

/// The 送达回证 says what the method needs.
fn check_receipt(
    method: &DeliveryMethod,
    receipt: Option<&DeliveryReceipt>,
) -> Result<(), RuleViolation> {
    let r = receipt.ok_or(RuleViolation::ReceiptIncomplete {
        missing: "送达回证",
    })?;
    let need = |s: &str, missing: &'static str| {
        if s.trim().is_empty() {
            Err(RuleViolation::ReceiptIncomplete { missing })
        } else {
            Ok(())
        }
    };
    match method {
        DeliveryMethod::Direct => {
            need(&r.recipient, "受送达人")?;
            if r.refused {
                return Err(RuleViolation::ReceiptIncomplete {
                    missing: "受送达人拒收的，应当留置送达",
                });
            }
        }
        DeliveryMethod::LeftAtAddress => {
            need(&r.recipient, "受送达人")?;
            if !r.witnesses.iter().any(|w| !w.trim().is_empty()) {
                return Err(RuleViolation::ReceiptIncomplete {
                    missing: "见证人签名",
                });
            }
            need(&r.note, "拒收事由和日期")?;
        }
        DeliveryMethod::Post => need(&r.note, "邮件单号")?,
        DeliveryMethod::Entrusted | DeliveryMethod::Forwarded => {
            need(&r.recipient, "受托或转交机关")?
        }
        DeliveryMethod::Electronic { .. } => need(&r.note, "当事人确认的电子送达地址")?,
        DeliveryMethod::PublicNotice => {
            need(&r.note, "公告的媒体、日期及无法以其他方式送达的原因")?
        }
    }
    Ok(())
}

/// A published text must not carry the personal data of a party who is a natural person
/// (name, ID number, phone), nor any party's ID number or phone.
fn check_redacted(state: &CaseState, text: &str) -> Result<(), RuleViolation> {
    non_empty(text, "公开内容")?;
    for p in &state.header.parties {
        let name = p.name.trim();
        if p.kind == PartyKind::Person && name.chars().count() >= 2 && text.contains(name) {
            return Err(RuleViolation::UnredactedPersonalData { what: "姓名" });
        }
        let leaks = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .is_some_and(|v| v.len() >= 4 && text.contains(v))
        };
        if leaks(&p.id_number) {
            return Err(RuleViolation::UnredactedPersonalData {
                what: "身份证件号码",
            });
        }
        if leaks(&p.phone) {
            return Err(RuleViolation::UnredactedPersonalData {
                what: "联系电话"
            });
        }
    }
    Ok(())
}

/// Rules that hold for every workflow act: someone acts, no one twice, no one recused, no one
/// from another squad who may not see the case, and no assistant except for dissuasion.
fn check_actors(state: &CaseState, act: &Act, actors: &[Person]) -> Result<(), RuleViolation> {
    if actors.is_empty() {
        return Err(RuleViolation::NoActor);
    }
    let mut seen = BTreeSet::new();
    for a in actors {
        if !seen.insert(&a.id) {
            return Err(RuleViolation::DuplicateActor {
                name: a.name.clone(),
            });
        }
        if a.role == Role::Assistant && !matches!(act, Act::Advise { .. }) {
            return Err(RuleViolation::AssistantRefused {
                name: a.name.clone(),
            });
        }
        if state.recused.contains(&a.id) {
            return Err(RuleViolation::Recused {
                name: a.name.clone(),
            });
        }
        if !a.may_see(&state.header.squad, state.status) {
            return Err(RuleViolation::OtherSquad {
                name: a.name.clone(),
            });
        }
        if a.role.enforces() && !matches!(act, Act::Recuse { .. }) {
            EnforcementOfficer::try_from(a.clone())?;
        }
    }
    Ok(())
}

/// Someone in the roles the act's kind needs (see [`crate::ActKind::signers`]).
fn require_signers(act: &Act, actors: &[Person]) -> Result<(), RuleViolation> {
    require_role(act, actors, act.kind().signers().roles)
}

fn require_role(act: &Act, actors: &[Person], roles: &'static [Role]) -> Result<(), RuleViolation> {
    if actors.iter().any(|a| roles.contains(&a.role)) {
        Ok(())
    } else {
        Err(RuleViolation::RoleRequired {
            act: act.name(),
            roles,
        })
    }
}

/// The two-officer rule for an investigation act done by `actors`.
pub fn investigation_team(
    actors: &[Person],
    state: &CaseState,
) -> Result<InvestigationTeam, RuleViolation> {
    let officers = actors
        .iter()
        .cloned()
        .map(EnforcementOfficer::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    InvestigationTeam::new(officers, state)
}

fn require_reason_if_late(
    now: Timestamp,
    due: Timestamp,
    reason: &Option<String>,
    what: &'static str,
) -> Result<(), RuleViolation> {
    let has_reason = reason.as_deref().is_some_and(|r| !r.trim().is_empty());
    if now > due && !has_reason {
        Err(RuleViolation::LateWithoutReason { what, due })
    } else {
        Ok(())
    }
}

/// Keeps a deadline met after it was due, with the reason the act gave.
fn note_if_late(
    state: &mut CaseState,
    kind: DeadlineKind,
    due: Option<Timestamp>,
    at: Timestamp,
    reason: &Option<String>,
) {
    if let Some(due) = due.filter(|due| at > *due) {
        state.late.push(LateAct {
            kind,
            due,
            done_at: at,
            reason: reason.clone().unwrap_or_default(),
        });
    }
}

/// Applies one stored event to the state. Fails only if the event does not fit the lifecycle.
pub fn apply(state: &mut CaseState, event: &WorkflowEvent) -> Result<(), RuleViolation> {
    let to = next_status(state, &event.act)?;
    let at = event.at;
    match &event.act {
        Act::File => {
            state.filed_at = Some(at);
            state.filing_outcome_at = Some(at);
        }
        Act::DeclineFiling { .. } | Act::Transfer { .. } => {
            state.filing_outcome_at.get_or_insert(at);
        }
        Act::StartInvestigation { team } => state.team = team.clone(),
        Act::PreservationNotice { notice, .. } => state.open_preservations.push(OpenPreservation {
            notice: notice.clone(),
            issued_at: at,
        }),
        Act::PreservationDecision {
            notice,
            late_reason,
            ..
        } => {
            let due = state
                .open_preservations
                .iter()
                .find(|p| &p.notice == notice)
                .map(deadline::preservation_due);
            let kind = DeadlineKind::Preservation {
                notice: notice.clone(),
            };
            note_if_late(state, kind, due, at, late_reason);
            state.open_preservations.retain(|p| &p.notice != notice)
        }
        Act::Notify {
            hearing_offered,
            proposal,
        } => {
            state.notice = Some(NoticeGiven {
                at,
                hearing_offered: *hearing_offered,
                proposal: proposal.clone(),
            });
            state.statement_heard = false;
            state.rights_waived = false;
            state.hearing = HearingStage::None;
            state.legal_review_passed = false;
        }
        Act::HearStatement { waived, .. } => {
            state.statement_heard = true;
            state.rights_waived |= *waived;
        }
        Act::RequestHearing { .. } => state.hearing = HearingStage::Requested,
        Act::HoldHearing { .. } => state.hearing = HearingStage::Held,
        Act::LegalReview { passed, major, .. } => {
            state.legal_review_passed = *passed;
            state.major = *major;
            state.discussed = false;
        }
        Act::CollectiveDiscussion { .. } => state.discussed = true,
        Act::ExtendDeadline {
            days, late_reason, ..
        } => {
            let due = deadline::decision_due(state);
            note_if_late(state, DeadlineKind::Decision, due, at, late_reason);
            state.extension_days = Some(*days);
        }
        Act::Decide {
            discretion,
            penalties,
            late_reason,
            ..
        } => {
            let due = deadline::decision_due(state);
            note_if_late(state, DeadlineKind::Decision, due, at, late_reason);
            state.decided_at = Some(at);
            state.decision = Some(DecisionMade {
                discretion: *discretion,
                penalties: penalties.clone(),
                summary_procedure: false,
            });
        }
        Act::SummaryDecision { penalties, .. } => {
            // The complainant, if any, is owed this outcome as much as a filing's.
            state.filing_outcome_at.get_or_insert(at);
            state.decided_at = Some(at);
            state.delivered_at = Some(at);
            state.decision = Some(DecisionMade {
                discretion: Discretion::Standard,
                penalties: penalties.clone(),
                summary_procedure: true,
            });
        }
        Act::Deliver { late_reason, .. } => {
            let due = deadline::delivery_due(state);
            note_if_late(state, DeadlineKind::Delivery, due, at, late_reason);
            state.delivered_at = Some(at);
        }
        Act::UrgePayment { .. } => state.urged_at = Some(at),
        Act::ApplyEnforcement { .. } => state.enforcement_applied = true,
        Act::Disclose { late_reason, .. } => {
            let due = deadline::disclosure_due(state);
            note_if_late(state, DeadlineKind::Disclosure, due, at, late_reason);
            state.disclosed_at = Some(at);
        }
        Act::RevokeDecision { .. } => state.revoked_at = Some(at),
        Act::CorrectDisclosure { .. } => state.disclosure_corrected = true,
        Act::InformComplainant { .. } => state.complainant_informed = true,
        Act::Recuse { officer, .. } => {
            state.recused.insert(officer.clone());
            state.team.retain(|p| p != officer);
        }
        Act::OrderCorrection { correct_by, .. } => state.correct_by = Some(*correct_by),
        Act::FollowUp { corrected, .. } => {
            state.correct_by = None;
            if *corrected {
                state.filing_outcome_at.get_or_insert(at);
            }
        }
        Act::Advise { .. } => {
            state.filing_outcome_at.get_or_insert(at);
        }
        Act::ConcludeInvestigation { .. }
        | Act::ReturnFiling { .. }
        | Act::ResubmitFiling { .. }
        | Act::Execute { .. }
        | Act::Close { .. } => {}
    }
    state.status = to;
    Ok(())
}

/// Derives a case's state from its header and events, applied in the order given. Callers pass
/// the case document's list order: it is the same on every device after a merge and keeps each
/// device's acts in the order they were made, which device clocks cannot promise.
pub fn replay(header: CaseHeader, events: &[WorkflowEvent]) -> CaseState {
    let mut state = initial_state(header);
    for e in events {
        if let Err(why) = apply(&mut state, e) {
            state.anomalies.push(Anomaly {
                event: e.id.clone(),
                reason: why.message_zh(),
            });
        }
    }
    state
}

/// Decision deadline after an extension, in whole days from filing.
pub fn decision_days(state: &CaseState) -> i64 {
    deadline::DECISION_DAYS + i64::from(state.extension_days.unwrap_or(0))
}
