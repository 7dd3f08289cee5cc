//! Legal deadlines of a case and whether each is due soon or overdue.
//!
//! Day counts follow the usual rule for administrative time limits: the day the period starts is
//! not counted, and the period ends at the end of its last day (Beijing time).

use serde::{Deserialize, Serialize};
use time::Duration;

use crate::case::{CaseSource, CaseState, OpenPreservation};
use crate::clock::Timestamp;
use crate::workflow::decision_days;

/// 60 days from filing to decision (004 决定).
pub const DECISION_DAYS: i64 = 60;
/// 7 days from decision to delivery (004 送达 1).
pub const DELIVERY_DAYS: i64 = 7;
/// 7 days from a preservation notice to its decision (004 调查取证 2).
pub const PRESERVATION_DAYS: i64 = 7;
/// 15 days from delivery for the party to pay a fine (行政处罚法 第六十七条).
pub const PAYMENT_DAYS: i64 = 15;
/// 10 days from the reminder (催告) before compulsory enforcement may be applied for
/// (行政强制法 第五十四条).
pub const ENFORCEMENT_AFTER_URGING_DAYS: i64 = 10;
/// 3 days after the prior notice for the party to state and defend (陈述申辩), unless they do or
/// waive it sooner.
pub const STATEMENT_DAYS: i64 = 3;
/// Days from the decision to its disclosure. 国办发〔2018〕118号 asks for 20 working days;
/// counted here as calendar days, which is never later.
pub const DISCLOSURE_DAYS: i64 = 20;
/// Days from a revocation to the corrected disclosure (004 asks for it "及时").
pub const CORRECTION_DAYS: i64 = 7;
/// 5 days after the hearing notice for the party to ask for a hearing (行政处罚法 第六十四条).
pub const HEARING_REQUEST_DAYS: i64 = 5;

/// Local settings for deadlines that the sources leave to each city.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadlinePolicy {
    /// A deadline this many days away or fewer is "due soon".
    pub due_soon_days: i64,
    /// Days to tell a complainant the filing outcome. The source (004 登记与立案 2) requires it
    /// without a number; the default is a local choice.
    pub complainant_notice_days: i64,
}

impl Default for DeadlinePolicy {
    fn default() -> Self {
        DeadlinePolicy {
            due_soon_days: 3,
            complainant_notice_days: 7,
        }
    }
}

/// Which deadline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DeadlineKind {
    /// Decision within 60 days of filing (plus an approved extension).
    Decision,
    /// Delivery within 7 days of the decision.
    Delivery,
    /// Decision on preserved evidence within 7 days of the notice.
    Preservation {
        /// The notice.
        notice: String,
    },
    /// Complainant told the filing outcome.
    InformComplainant,
    /// The fine paid within 15 days of delivery (the party's time limit; then 催告).
    Payment,
    /// The penalty result disclosed.
    Disclosure,
    /// The disclosure corrected after the decision was revoked.
    CorrectDisclosure,
    /// The follow-up check of an order to correct.
    FollowUp,
}

impl DeadlineKind {
    /// Chinese label.
    pub fn zh(&self) -> &'static str {
        match self {
            DeadlineKind::Decision => "作出处罚决定",
            DeadlineKind::Delivery => "送达决定书",
            DeadlineKind::Preservation { .. } => "先行登记保存处理决定",
            DeadlineKind::InformComplainant => "告知投诉举报人",
            DeadlineKind::Payment => "缴纳罚款",
            DeadlineKind::Disclosure => "公开处罚结果",
            DeadlineKind::CorrectDisclosure => "更正公开内容",
            DeadlineKind::FollowUp => "复查整改情况",
        }
    }

    /// Stable code.
    pub fn code(&self) -> &'static str {
        match self {
            DeadlineKind::Decision => "decision",
            DeadlineKind::Delivery => "delivery",
            DeadlineKind::Preservation { .. } => "preservation",
            DeadlineKind::InformComplainant => "inform_complainant",
            DeadlineKind::Payment => "payment",
            DeadlineKind::Disclosure => "disclosure",
            DeadlineKind::CorrectDisclosure => "correct_disclosure",
            DeadlineKind::FollowUp => "follow_up",
        }
    }
}

/// How close a deadline is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Urgency {
    /// More than the due-soon window away.
    Pending,
    /// 即将到期.
    DueSoon,
    /// 已逾期.
    Overdue,
    /// 逾期办理 — done after its deadline, with a reason; stays visible.
    Late,
}

impl Urgency {
    /// Chinese label.
    pub fn zh(self) -> &'static str {
        match self {
            Urgency::Pending => "未到期",
            Urgency::DueSoon => "即将到期",
            Urgency::Overdue => "已逾期",
            Urgency::Late => "逾期办理",
        }
    }

    /// Stable code.
    pub fn code(self) -> &'static str {
        match self {
            Urgency::Pending => "pending",
            Urgency::DueSoon => "due_soon",
            Urgency::Overdue => "overdue",
            Urgency::Late => "late",
        }
    }
}

/// A deadline still to be met, or one met late.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deadline {
    /// Which.
    pub kind: DeadlineKind,
    /// The last moment it can be met.
    pub due: Timestamp,
    /// How close it is ([`Urgency::Late`] once met late).
    pub urgency: Urgency,
    /// When it was met late, and the reason recorded.
    #[serde(default)]
    pub met_late: Option<(Timestamp, String)>,
}

/// The end of the `days`-th day after `start` (Beijing time).
pub fn days_after(start: Timestamp, days: i64) -> Timestamp {
    let last_day = start.china_date() + Duration::days(days);
    Timestamp::end_of_china_day(last_day)
}

/// When the decision is due, while the case is filed and undecided.
pub fn decision_due(state: &CaseState) -> Option<Timestamp> {
    match (state.filed_at, state.decided_at, state.status.is_open()) {
        (Some(filed), None, true) => Some(days_after(filed, decision_days(state))),
        _ => None,
    }
}

/// When delivery is due, while decided and undelivered.
pub fn delivery_due(state: &CaseState) -> Option<Timestamp> {
    match (state.decided_at, state.delivered_at) {
        (Some(decided), None) => Some(days_after(decided, DELIVERY_DAYS)),
        _ => None,
    }
}

/// When the party must have paid, while money is due and nothing was executed or urged.
pub fn payment_due(state: &CaseState) -> Option<Timestamp> {
    let owes = state
        .decision
        .as_ref()
        .is_some_and(|d| crate::case::money_due(&d.penalties) > 0);
    match (state.delivered_at, state.status) {
        (Some(delivered), crate::CaseStatus::Delivered) if owes && state.urged_at.is_none() => {
            Some(days_after(delivered, PAYMENT_DAYS))
        }
        _ => None,
    }
}

/// When the penalty result must be disclosed, while a penalty decision is undisclosed.
pub fn disclosure_due(state: &CaseState) -> Option<Timestamp> {
    let penalty = state
        .decision
        .as_ref()
        .is_some_and(|d| !d.penalties.is_empty() && !d.summary_procedure);
    match (state.decided_at, state.disclosed_at, state.revoked_at) {
        (Some(decided), None, None) if penalty => Some(days_after(decided, DISCLOSURE_DAYS)),
        _ => None,
    }
}

/// When a disclosure must be corrected, after its decision was revoked.
pub fn correction_due(state: &CaseState) -> Option<Timestamp> {
    match (
        state.revoked_at,
        state.disclosed_at,
        state.disclosure_corrected,
    ) {
        (Some(revoked), Some(_), false) => Some(days_after(revoked, CORRECTION_DAYS)),
        _ => None,
    }
}

/// When a preservation decision is due.
pub fn preservation_due(p: &OpenPreservation) -> Timestamp {
    days_after(p.issued_at, PRESERVATION_DAYS)
}

/// Every open deadline of the case at `now`, soonest first.
pub fn deadlines(state: &CaseState, now: Timestamp, policy: &DeadlinePolicy) -> Vec<Deadline> {
    let mut out = Vec::new();
    let mut push = |kind, due: Timestamp| {
        let urgency = if now > due {
            Urgency::Overdue
        } else if due.0 - now.0 <= policy.due_soon_days * 86_400_000 {
            Urgency::DueSoon
        } else {
            Urgency::Pending
        };
        out.push(Deadline {
            kind,
            due,
            urgency,
            met_late: None,
        });
    };
    if let Some(due) = decision_due(state) {
        push(DeadlineKind::Decision, due);
    }
    if let Some(due) = delivery_due(state) {
        push(DeadlineKind::Delivery, due);
    }
    for p in &state.open_preservations {
        push(
            DeadlineKind::Preservation {
                notice: p.notice.clone(),
            },
            preservation_due(p),
        );
    }
    if let (CaseSource::Complaint { .. }, Some(outcome), false) = (
        &state.header.source,
        state.filing_outcome_at,
        state.complainant_informed,
    ) {
        push(
            DeadlineKind::InformComplainant,
            days_after(outcome, policy.complainant_notice_days),
        );
    }
    if let Some(due) = payment_due(state) {
        push(DeadlineKind::Payment, due);
    }
    if let Some(due) = disclosure_due(state) {
        push(DeadlineKind::Disclosure, due);
    }
    if let Some(due) = correction_due(state) {
        push(DeadlineKind::CorrectDisclosure, due);
    }
    if let (crate::CaseStatus::Correcting, Some(by)) = (state.status, state.correct_by) {
        push(DeadlineKind::FollowUp, days_after(by, 0));
    }
    out.extend(state.late.iter().map(|l| Deadline {
        kind: l.kind.clone(),
        due: l.due,
        urgency: Urgency::Late,
        met_late: Some((l.done_at, l.reason.clone())),
    }));
    out.sort_by_key(|d| d.due);
    out
}
