//! The lifecycle state machine and the procedure checks on every act.
//!
//! [`validate`] decides whether an act may be recorded now, by these people; [`replay`] derives a
//! case's state from its stored events and never fails, because events merged from another
//! device were valid where they were made: an event that no longer fits is kept as an anomaly.

use std::collections::BTreeSet;

use crate::case::{
    Act, Anomaly, CaseHeader, CaseSource, CaseState, CaseStatus, DeliveryMethod, Discretion,
    OpenPreservation, WorkflowEvent,
};
use crate::catalogue::Catalogue;
use crate::clock::Timestamp;
use crate::deadline;
use crate::person::{EnforcementOfficer, Person, PersonId, Role};
use crate::rules::RuleViolation;

/// Officers needed for any investigation act (执法人员不得少于2人, 004 调查取证 5).
pub const MIN_INVESTIGATORS: usize = 2;
/// Longest extension of the decision deadline, granted once (004 决定).
pub const MAX_EXTENSION_DAYS: u32 = 60;

pub(crate) const LEADERS: &[Role] = &[Role::SquadLeader, Role::Head];
pub(crate) const HEAD: &[Role] = &[Role::Head];
pub(crate) const REVIEWER: &[Role] = &[Role::LegalReviewer];
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
        notified: false,
        decided_at: None,
        delivered_at: None,
        complainant_informed: false,
        team: Vec::new(),
        recused: BTreeSet::new(),
        open_preservations: Vec::new(),
        anomalies: Vec::new(),
    }
}

/// The status an act leads to, if the act fits the current stage at all.
fn next_status(state: &CaseState, act: &Act) -> Result<CaseStatus, RuleViolation> {
    use CaseStatus as S;
    let s = state.status;
    let to = match act {
        Act::File if s == S::Registered => S::Filed,
        Act::DeclineFiling { .. } if matches!(s, S::Registered | S::Returned) => S::NotFiled,
        Act::ReturnFiling { .. } if s == S::Registered => S::Returned,
        Act::ResubmitFiling { .. } if s == S::Returned => S::Registered,
        Act::Transfer { .. }
            if matches!(s, S::Registered | S::Returned | S::Filed | S::Investigating) =>
        {
            S::Transferred
        }
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
        Act::LegalReview { passed: true, .. } if s == S::InvestigationConcluded => S::LegalReviewed,
        Act::LegalReview { passed: false, .. } if s == S::InvestigationConcluded => {
            S::Investigating
        }
        Act::Notify { .. } if s == S::LegalReviewed => S::Notified,
        Act::ExtendDeadline { .. } if state.filed_at.is_some() && pre_decision(s) => s,
        Act::Decide { .. }
            if matches!(
                s,
                S::InvestigationConcluded | S::LegalReviewed | S::Notified
            ) =>
        {
            S::Decided
        }
        Act::Deliver { .. } if s == S::Decided => S::Delivered,
        Act::Execute { .. } if s == S::Delivered => S::Executed,
        Act::Close { .. } if s == S::Executed => S::Closed,
        Act::Disclose if s == S::Closed => S::Disclosed,
        Act::InformComplainant { .. } if state.filing_outcome_at.is_some() => s,
        Act::Recuse { .. } if s.is_open() => s,
        _ => {
            return Err(RuleViolation::WrongStatus {
                act: act.name(),
                status: s,
            });
        }
    };
    Ok(to)
}

fn pre_decision(s: CaseStatus) -> bool {
    matches!(
        s,
        CaseStatus::Filed
            | CaseStatus::Investigating
            | CaseStatus::InvestigationConcluded
            | CaseStatus::LegalReviewed
            | CaseStatus::Notified
    )
}

/// Checks whether `actors` may do `act` on this case at `now`. `directory` resolves people named
/// inside the act (the investigation team). Returns the reason when the procedure forbids it.
pub fn validate(
    state: &CaseState,
    act: &Act,
    actors: &[Person],
    directory: &[Person],
    now: Timestamp,
) -> Result<(), RuleViolation> {
    check_actors(state, act, actors)?;
    next_status(state, act)?;
    match act {
        Act::File | Act::DeclineFiling { .. } | Act::Transfer { .. } => {
            require_signers(act, actors)?;
            if let Act::DeclineFiling { reason } | Act::Transfer { reason, .. } = act {
                non_empty(reason, "理由")?;
            }
        }
        Act::ReturnFiling { comments } => {
            require_signers(act, actors)?;
            non_empty(comments, "退回意见")?;
        }
        Act::ResubmitFiling { note } => {
            require_signers(act, actors)?;
            non_empty(note, "补充核查情况")?;
        }
        Act::StartInvestigation { team } => {
            require_signers(act, actors)?;
            let officers =
                team.iter()
                    .map(|id| {
                        let p = directory.iter().find(|p| &p.id == id).ok_or(
                            RuleViolation::NoEnforcementCertificate { name: id.0.clone() },
                        )?;
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
            require_signers(act, actors)?;
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
        Act::ConcludeInvestigation { summary } => {
            require_signers(act, actors)?;
            non_empty(summary, "调查终结报告")?;
        }
        Act::LegalReview { opinion, .. } => {
            require_signers(act, actors)?;
            non_empty(opinion, "审核意见")?;
        }
        Act::Notify { .. } | Act::Execute { .. } => require_signers(act, actors)?,
        Act::ExtendDeadline { days, reason } => {
            require_signers(act, actors)?;
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
            check_decision_deadline(state, now)?;
        }
        Act::Decide {
            summary,
            discretion,
        } => {
            require_signers(act, actors)?;
            if !state.legal_review_passed {
                return Err(RuleViolation::LegalReviewNotPassed);
            }
            // A penalty needs the prior notice so the party can state and defend their case;
            // a decision not to punish does not.
            if *discretion != Discretion::NoPenalty && !state.notified {
                return Err(RuleViolation::PartyNotNotified);
            }
            non_empty(summary, "决定内容")?;
            check_decision_deadline(state, now)?;
        }
        Act::Deliver {
            method,
            late_reason,
        } => {
            require_signers(act, actors)?;
            if matches!(
                method,
                DeliveryMethod::Electronic {
                    party_consented: false
                }
            ) {
                return Err(RuleViolation::ElectronicDeliveryWithoutConsent);
            }
            if let Some(due) = deadline::delivery_due(state) {
                require_reason_if_late(now, due, late_reason, "送达")?;
            }
        }
        Act::Close { report } => {
            require_signers(act, actors)?;
            non_empty(report, "结案报告")?;
            if matches!(state.header.source, CaseSource::Complaint { .. })
                && !state.complainant_informed
            {
                return Err(RuleViolation::ComplainantNotInformed);
            }
        }
        Act::Disclose => require_signers(act, actors)?,
        Act::InformComplainant { how } => {
            if !matches!(state.header.source, CaseSource::Complaint { .. }) {
                return Err(RuleViolation::NotAComplaint);
            }
            require_signers(act, actors)?;
            non_empty(how, "告知方式")?;
        }
        Act::Recuse { officer, reason } => {
            non_empty(reason, "回避理由")?;
            // One declares one's own interest; another's is decided by a leader.
            if actors.iter().any(|a| &a.id == officer) {
                require_signers(act, actors)?;
            } else {
                require_role(act, actors, LEADERS)?;
            }
        }
    }
    Ok(())
}

/// Rules that hold for every workflow act: someone acts, no one twice, no assistant, no one
/// recused.
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
        if a.role == Role::Assistant {
            return Err(RuleViolation::AssistantRefused {
                name: a.name.clone(),
            });
        }
        if state.recused.contains(&a.id) {
            return Err(RuleViolation::Recused {
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

fn check_decision_deadline(state: &CaseState, now: Timestamp) -> Result<(), RuleViolation> {
    match deadline::decision_due(state) {
        Some(due) if now > due => Err(RuleViolation::DecisionDeadlinePassed { due }),
        _ => Ok(()),
    }
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
        Act::PreservationDecision { notice, .. } => {
            state.open_preservations.retain(|p| &p.notice != notice)
        }
        Act::LegalReview { passed, .. } => state.legal_review_passed = *passed,
        Act::ExtendDeadline { days, .. } => state.extension_days = Some(*days),
        Act::Decide { .. } => state.decided_at = Some(at),
        Act::Deliver { .. } => state.delivered_at = Some(at),
        Act::InformComplainant { .. } => state.complainant_informed = true,
        Act::Recuse { officer, .. } => {
            state.recused.insert(officer.clone());
            state.team.retain(|p| p != officer);
        }
        Act::Notify { .. } => state.notified = true,
        Act::ConcludeInvestigation { .. }
        | Act::ReturnFiling { .. }
        | Act::ResubmitFiling { .. }
        | Act::Execute { .. }
        | Act::Close { .. }
        | Act::Disclose => {}
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
