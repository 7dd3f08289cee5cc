//! Where a case stands in the whole procedure: the acts that may come next, who does each, and
//! what is still missing before it — for the case view and the queues of who a case waits on.

use serde::Serialize;

use crate::case::{ActKind, CaseSource, CaseState, CaseStatus, HearingStage, money_due};
use crate::catalogue::Catalogue;
use crate::clock::Timestamp;
use crate::deadline;
use crate::person::Role;
use crate::workflow::{needs_discussion, nothing_to_execute, party_heard};

/// An act that may come next on a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NextStep {
    /// Which act (its snake_case wire name, as `Act` serialises it).
    pub act: String,
    /// Its Chinese name.
    pub zh: &'static str,
    /// Who may do it.
    pub roles: &'static [Role],
    /// What must happen first, in Chinese; none when the act may be done now.
    pub missing: Option<String>,
}

/// The snake_case name `Act` serialises a kind as (`hear_statement`).
pub fn wire_name(kind: ActKind) -> String {
    kind.name().replace(' ', "_")
}

fn step(kind: ActKind, missing: Option<String>) -> NextStep {
    NextStep {
        act: wire_name(kind),
        zh: kind.zh(),
        roles: kind.signers().roles,
        missing,
    }
}

/// The acts that may come next on this case at `now`, in the order the procedure takes them.
/// Acts open at any time (回避, 撤销) are left out: they are not the case's next step.
pub fn next_steps(state: &CaseState, catalogue: &Catalogue, now: Timestamp) -> Vec<NextStep> {
    use ActKind as K;
    use CaseStatus as S;
    let mut out = Vec::new();
    match state.status {
        S::Registered => {
            for k in [K::File, K::ReturnFiling, K::DeclineFiling] {
                out.push(step(k, None));
            }
            for k in [
                K::Advise,
                K::OrderCorrection,
                K::SummaryDecision,
                K::Transfer,
            ] {
                out.push(step(k, None));
            }
        }
        S::Returned => {
            for k in [
                K::ResubmitFiling,
                K::DeclineFiling,
                K::Advise,
                K::OrderCorrection,
            ] {
                out.push(step(k, None));
            }
        }
        S::Correcting => {
            let missing = state
                .correct_by
                .filter(|by| now < *by)
                .map(|by| format!("整改期限{}届满后复查", by.display_china()));
            out.push(step(K::FollowUp, missing));
        }
        S::Filed => {
            out.push(step(K::StartInvestigation, None));
            out.push(step(K::Transfer, None));
        }
        S::Investigating => {
            if !state.open_preservations.is_empty() {
                out.push(step(K::PreservationDecision, None));
            }
            let missing = (!state.open_preservations.is_empty())
                .then(|| "先行登记保存的物品须在七日内作出处理决定".to_string());
            out.push(step(K::ConcludeInvestigation, missing));
            out.push(step(K::Transfer, None));
        }
        S::InvestigationConcluded => {
            out.push(step(K::Notify, None));
            out.push(step(K::LegalReview, None));
        }
        S::Notified => {
            let n = state.notice.as_ref();
            let offered = n.is_some_and(|n| n.hearing_offered);
            if !state.statement_heard {
                out.push(step(K::HearStatement, None));
            }
            if offered && state.hearing == HearingStage::None {
                out.push(step(K::RequestHearing, None));
            }
            if state.hearing == HearingStage::Requested {
                out.push(step(K::HoldHearing, None));
            }
            let missing = party_heard(state, now).err().map(|e| e.message_zh());
            out.push(step(K::LegalReview, missing));
        }
        S::LegalReviewed => {
            let needs = state.major
                || state.notice.as_ref().is_some_and(|n| {
                    n.proposal.as_ref().is_some_and(|p| {
                        needs_discussion(state, catalogue, p.discretion, &p.penalties)
                    })
                });
            if needs && !state.discussed {
                out.push(step(K::CollectiveDiscussion, None));
            }
            let missing = (needs && !state.discussed)
                .then(|| "重大、复杂案件或较重处罚须先经集体讨论".to_string());
            out.push(step(K::Decide, missing));
            if state.extension_days.is_none() {
                out.push(step(K::ExtendDeadline, None));
            }
        }
        S::Decided => out.push(step(K::Deliver, None)),
        S::Delivered => {
            if !nothing_to_execute(state) {
                out.push(step(K::Execute, None));
                let owes = state
                    .decision
                    .as_ref()
                    .is_some_and(|d| money_due(&d.penalties) > 0);
                if owes && state.urged_at.is_none() {
                    let missing = deadline::payment_due(state)
                        .filter(|due| now <= *due)
                        .map(|due| format!("缴款期限{}届满后仍未缴纳", due.display_china()));
                    out.push(step(K::UrgePayment, missing));
                }
                if let Some(urged) = state.urged_at.filter(|_| !state.enforcement_applied) {
                    let after =
                        deadline::days_after(urged, deadline::ENFORCEMENT_AFTER_URGING_DAYS);
                    let missing = (now <= after)
                        .then(|| format!("催告十日后（{}以后）仍未履行", after.display_china()));
                    out.push(step(K::ApplyEnforcement, missing));
                }
            } else {
                out.push(step(K::Close, None));
            }
        }
        S::Executed => out.push(step(K::Close, None)),
        S::NotFiled | S::Transferred | S::Closed | S::Disclosed | S::Handled => {}
    }
    let penalised = state
        .decision
        .as_ref()
        .is_some_and(|d| !d.penalties.is_empty());
    if penalised
        && state.disclosed_at.is_none()
        && state.revoked_at.is_none()
        && matches!(state.status, S::Delivered | S::Executed | S::Closed)
    {
        out.push(step(K::Disclose, None));
    }
    if state.revoked_at.is_some() && state.disclosed_at.is_some() && !state.disclosure_corrected {
        out.push(step(K::CorrectDisclosure, None));
    }
    if matches!(state.header.source, CaseSource::Complaint { .. })
        && state.filing_outcome_at.is_some()
        && !state.complainant_informed
    {
        out.push(step(K::InformComplainant, None));
    }
    out
}

/// The roles whose work the case waits on now: for each step that is not blocked, the first
/// role that may do it (officers before leaders, leaders before the head), deduplicated.
pub fn waiting_on(state: &CaseState, catalogue: &Catalogue, now: Timestamp) -> Vec<Role> {
    let steps = next_steps(state, catalogue, now);
    Role::ALL
        .into_iter()
        .filter(|r| {
            steps
                .iter()
                .any(|s| s.missing.is_none() && s.roles.first() == Some(r))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::{CaseHeader, CaseId, Discretion, Location, NoticeGiven, Penalty, Proposal};
    use crate::person::PersonId;
    use crate::workflow::initial_state;

    fn state(status: CaseStatus) -> CaseState {
        let mut s = initial_state(CaseHeader {
            id: CaseId("c".into()),
            source: CaseSource::SelfDiscovered,
            domain: "environment".into(),
            violation: "environment.open_air_barbecue".into(),
            location: Location {
                address: "解放路".into(),
                grid: "G".into(),
                gps: None,
            },
            parties: vec![],
            summary: "露天烧烤".into(),
            squad: "一中队".into(),
            registered_at: Timestamp(0),
            registered_by: PersonId("a".into()),
        });
        s.status = status;
        s
    }

    fn find<'a>(steps: &'a [NextStep], act: &str) -> Option<&'a NextStep> {
        steps.iter().find(|s| s.act == act)
    }

    const DAY: i64 = 86_400_000;

    fn cat() -> Catalogue {
        Catalogue::default_zh()
    }

    #[test]
    fn the_review_waits_for_the_statement_or_the_end_of_its_period() {
        let mut s = state(CaseStatus::Notified);
        s.notice = Some(NoticeGiven {
            at: Timestamp(0),
            hearing_offered: false,
            proposal: None,
        });
        let steps = next_steps(&s, &cat(), Timestamp(DAY));
        assert!(find(&steps, "legal_review").unwrap().missing.is_some());
        assert!(find(&steps, "hear_statement").is_some());
        assert_eq!(
            waiting_on(&s, &cat(), Timestamp(DAY)),
            [Role::EnforcementOfficer]
        );
        // After the period, or once heard, the reviewer's turn.
        let later = next_steps(&s, &cat(), Timestamp(5 * DAY));
        assert!(find(&later, "legal_review").unwrap().missing.is_none());
        s.statement_heard = true;
        let heard = next_steps(&s, &cat(), Timestamp(DAY));
        assert!(find(&heard, "hear_statement").is_none());
        assert!(waiting_on(&s, &cat(), Timestamp(DAY)).contains(&Role::LegalReviewer));
    }

    #[test]
    fn a_heavier_penalty_waits_on_a_collective_discussion_before_the_decision() {
        let mut s = state(CaseStatus::LegalReviewed);
        s.notice = Some(NoticeGiven {
            at: Timestamp(0),
            hearing_offered: false,
            proposal: Some(Proposal {
                discretion: Discretion::Heavier,
                penalties: vec![Penalty::Fine { yuan: 900 }],
                facts: "f".into(),
                reasons: "r".into(),
                basis: "b".into(),
            }),
        });
        let steps = next_steps(&s, &cat(), Timestamp(0));
        assert!(find(&steps, "collective_discussion").is_some());
        assert!(find(&steps, "decide").unwrap().missing.is_some());
        s.discussed = true;
        let steps = next_steps(&s, &cat(), Timestamp(0));
        assert!(find(&steps, "collective_discussion").is_none());
        assert!(find(&steps, "decide").unwrap().missing.is_none());
        assert_eq!(waiting_on(&s, &cat(), Timestamp(0)), [Role::Head]);
    }

    #[test]
    fn wire_names_are_how_acts_serialise() {
        let act = crate::Act::HearStatement {
            waived: true,
            statement: String::new(),
            accepted: false,
            reasons: String::new(),
        };
        let json = serde_json::to_value(&act).unwrap();
        assert_eq!(json["act"], wire_name(act.kind()));
        assert!(
            find(
                &next_steps(&state(CaseStatus::Filed), &cat(), Timestamp(0)),
                "start_investigation"
            )
            .is_some()
        );
        assert_eq!(
            waiting_on(&state(CaseStatus::Filed), &cat(), Timestamp(0)),
            [Role::SquadLeader]
        );
    }
}
