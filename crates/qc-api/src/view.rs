//! What the app and the CLI show of a case: plain words over the domain types.

use std::collections::{BTreeMap, HashMap};

use qc_casedoc::{CaseDoc, CaseSummary};
use qc_domain::review::{CHECKLIST, CaseFileReview, Grade};
use qc_domain::{
    Act, ActKind, Anomaly, CaseHeader, CaseState, Catalogue, Deadline, DeadlinePolicy,
    HearingThresholds, NextStep, Role, Timestamp, ViolationType, money_due, next_steps,
    procedure::wire_name,
};
use serde::Serialize;

use crate::ApiError;

/// One event of the case timeline.
#[derive(Debug, Clone, Serialize)]
pub struct EventView {
    /// Event id.
    pub id: String,
    /// When.
    pub at: Timestamp,
    /// What, in Chinese.
    pub act_zh: String,
    /// The act itself (for detail).
    pub act: Act,
    /// Names of the people who acted.
    pub actors: Vec<String>,
}

/// A member of the case's investigation team, as the app shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TeamMember {
    /// Person id.
    pub id: String,
    /// Name.
    pub name: String,
}

/// Everything about one case.
#[derive(Debug, Clone, Serialize)]
pub struct CaseDetail {
    /// The list row (status, names, deadlines).
    pub row: CaseSummary,
    /// The header as registered.
    pub header: CaseHeader,
    /// Chinese name of the source kind.
    pub source_zh: String,
    /// Name of the officer who registered it.
    pub registered_by_name: String,
    /// Timeline, in the document's order (the order acts were made).
    pub events: Vec<EventView>,
    /// Events flagged after a merge.
    pub anomalies: Vec<Anomaly>,
    /// The document's Automerge heads.
    pub heads: Vec<String>,
    /// The investigation team (assigned when the investigation started, without anyone who
    /// recused since): only they write the case's records.
    pub team: Vec<TeamMember>,
    /// Everything the procedure knows of the case (notice, decision, hearing, deadlines met
    /// late, …).
    pub state: CaseState,
    /// The acts that may come next, who does each, and what is missing before it.
    pub next_steps: Vec<NextStep>,
    /// The violation type from the catalogue: legal basis and discretion standard.
    pub violation: Option<ViolationType>,
    /// Fines from which the party may ask for a hearing.
    pub hearing_thresholds: HearingThresholds,
    /// Yuan still to pay under the decision (0 once executed or when none).
    pub money_due: u64,
    /// Who may do each act (its wire name → roles), as `ActKind::signers` says: the one table
    /// the app offers acts by.
    pub signers: BTreeMap<String, &'static [Role]>,
    /// The case-file reviews (案卷评查) desks signed about the closed case, oldest first.
    pub reviews: Vec<ReviewView>,
    /// Entries of this device about the case that the station refused and an officer set
    /// aside (搁置): how many, and the latest reason. Their acts are not the case's; they are
    /// kept whole on this device.
    pub set_aside: Option<SetAsideView>,
}

/// What was set aside of a case on this device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SetAsideView {
    /// How many entries.
    pub entries: u64,
    /// The station's reason, in Chinese.
    pub reason: String,
}

/// A case-file review (案卷评查) a desk signed about a case, as the squad reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReviewView {
    /// The entry's hash (hex).
    pub entry: String,
    /// When it was signed.
    pub at: Timestamp,
    /// Who signed it, by name (the certificate's id when no certificate held here names them).
    pub reviewers: Vec<String>,
    /// The sheet, as far as this device holds it.
    pub sheet: SheetState,
}

/// A review's sheet on this device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum SheetState {
    /// Read, as its entry names it.
    Read {
        /// The sheet.
        sheet: ReviewSheet,
    },
    /// Not fetched yet: a sync fetches it.
    Pending,
    /// Held but not what its entry names.
    Unreadable {
        /// Why, in English.
        why: String,
    },
}

/// A review's sheet: the checklist as scored and the reviewer's opinion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReviewSheet {
    /// Points in all (of 100).
    pub total: u32,
    /// 评查结论.
    pub grade: Grade,
    /// The same in Chinese (优秀, 合格, 不合格).
    pub grade_zh: &'static str,
    /// The reviewer's overall opinion (评查意见).
    pub comment: String,
    /// Each checklist line in order.
    pub lines: Vec<ReviewLine>,
}

/// One checklist line as scored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReviewLine {
    /// What is judged, in Chinese.
    pub zh: String,
    /// Full marks.
    pub max: u32,
    /// Points given.
    pub score: u32,
    /// Why points were taken off, or a remark.
    pub comment: String,
}

impl ReviewSheet {
    /// The sheet of `review` as the squad reads it: the total and grade follow from the
    /// lines as scored, whatever the sheet says of them.
    pub fn of(review: &CaseFileReview) -> ReviewSheet {
        let total = review.items.iter().map(|i| i.score).sum();
        let grade = Grade::of(total);
        ReviewSheet {
            total,
            grade,
            grade_zh: grade.zh(),
            comment: review.comment.clone(),
            lines: review
                .items
                .iter()
                .map(|i| {
                    let line = CHECKLIST.iter().find(|l| l.key == i.key);
                    ReviewLine {
                        zh: line.map_or_else(|| i.key.clone(), |l| l.zh.to_owned()),
                        max: line.map_or(0, |l| l.max),
                        score: i.score,
                        comment: i.comment.clone(),
                    }
                })
                .collect(),
        }
    }
}

pub(crate) fn detail(
    doc: &mut CaseDoc,
    catalogue: &Catalogue,
    names: &HashMap<String, String>,
    (deadlines, reviews, set_aside): (&[Deadline], Vec<ReviewView>, Option<SetAsideView>),
    now: Timestamp,
) -> Result<CaseDetail, ApiError> {
    let state = doc.state()?;
    let events = doc.events()?;
    let mut row = CaseSummary::derive(&state, &events, catalogue, &DeadlinePolicy::default(), now);
    row.deadlines = deadlines.to_vec();
    let name = |id: &str| names.get(id).cloned().unwrap_or_else(|| id.to_owned());
    Ok(CaseDetail {
        source_zh: state.header.source.zh().into(),
        registered_by_name: name(&state.header.registered_by.0),
        events: events
            .into_iter()
            .map(|e| EventView {
                id: e.id,
                at: e.at,
                act_zh: e.act.zh().into(),
                actors: e.actors.iter().map(|a| name(&a.0)).collect(),
                act: e.act,
            })
            .collect(),
        team: state
            .team
            .iter()
            .map(|p| TeamMember {
                id: p.0.clone(),
                name: name(&p.0),
            })
            .collect(),
        anomalies: state.anomalies.clone(),
        heads: doc.heads_hex(),
        header: state.header.clone(),
        row,
        next_steps: next_steps(&state, catalogue, now),
        violation: catalogue
            .violation(&state.header.violation)
            .map(|(_, v)| v.clone()),
        hearing_thresholds: catalogue.hearing,
        money_due: match (&state.decision, state.status) {
            (Some(d), qc_domain::CaseStatus::Decided | qc_domain::CaseStatus::Delivered) => {
                money_due(&d.penalties)
            }
            _ => 0,
        },
        state,
        signers: ActKind::ALL
            .into_iter()
            .map(|k| (wire_name(k), k.signers().roles))
            .collect(),
        reviews,
        set_aside,
    })
}
