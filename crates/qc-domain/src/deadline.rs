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
}

impl DeadlineKind {
    /// Chinese label.
    pub fn zh(&self) -> &'static str {
        match self {
            DeadlineKind::Decision => "作出处罚决定",
            DeadlineKind::Delivery => "送达决定书",
            DeadlineKind::Preservation { .. } => "先行登记保存处理决定",
            DeadlineKind::InformComplainant => "告知投诉举报人",
        }
    }

    /// Stable code.
    pub fn code(&self) -> &'static str {
        match self {
            DeadlineKind::Decision => "decision",
            DeadlineKind::Delivery => "delivery",
            DeadlineKind::Preservation { .. } => "preservation",
            DeadlineKind::InformComplainant => "inform_complainant",
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
}

impl Urgency {
    /// Chinese label.
    pub fn zh(self) -> &'static str {
        match self {
            Urgency::Pending => "未到期",
            Urgency::DueSoon => "即将到期",
            Urgency::Overdue => "已逾期",
        }
    }

    /// Stable code.
    pub fn code(self) -> &'static str {
        match self {
            Urgency::Pending => "pending",
            Urgency::DueSoon => "due_soon",
            Urgency::Overdue => "overdue",
        }
    }
}

/// A deadline still to be met.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deadline {
    /// Which.
    pub kind: DeadlineKind,
    /// The last moment it can be met.
    pub due: Timestamp,
    /// How close it is.
    pub urgency: Urgency,
}

fn days_after(start: Timestamp, days: i64) -> Timestamp {
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
        out.push(Deadline { kind, due, urgency });
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
    out.sort_by_key(|d| d.due);
    out
}
