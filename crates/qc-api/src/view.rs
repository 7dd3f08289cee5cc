//! What the app and the CLI show of a case: plain words over the domain types.

use std::collections::{BTreeMap, HashMap};

use qc_casedoc::{CaseDoc, CaseSummary};
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
}

pub(crate) fn detail(
    doc: &mut CaseDoc,
    catalogue: &Catalogue,
    names: &HashMap<String, String>,
    deadlines: &[Deadline],
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
    })
}
