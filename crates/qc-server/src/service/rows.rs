//! The station's case list (what the bureau's console searches and counts): one row per case,
//! derived from its document each time the document is kept.

use std::collections::BTreeSet;

use qc_casedoc::{CaseDoc, CaseSummary, DocError};
use qc_domain::{Act, CaseState, Catalogue, DeadlinePolicy, Timestamp, WorkflowEvent};

use crate::storage::rows::{CaseRow, Disclosure};
use crate::storage::{Storage, StorageError};

/// A case document as read once: its state replayed and its events (its record and its row
/// derive from them; reading the document is most of what either costs).
pub(super) struct Replayed {
    pub(super) state: CaseState,
    pub(super) events: Vec<WorkflowEvent>,
}

impl Replayed {
    /// Reads `doc`.
    pub(super) fn of(doc: &CaseDoc) -> Result<Replayed, DocError> {
        let (state, events) = doc.replayed()?;
        Ok(Replayed { state, events })
    }
}

/// Keeps the row of a case's document. A document whose row cannot be derived is kept and
/// served all the same: only the console's list lacks it (said in the log, again at each
/// start, which tries anew).
pub(super) fn keep_row<S: Storage>(
    storage: &S,
    case: &str,
    doc: &CaseDoc,
    catalogue: &Catalogue,
) -> Result<(), StorageError> {
    let read = Replayed::of(doc)
        .inspect_err(|e| tracing::warn!(case, error = %e, "no case-list row for a document"));
    match read {
        Ok(read) => storage.put_case_row(&row_of(&read, catalogue)),
        Err(_) => Ok(()),
    }
}

/// The row of a case's document, read.
pub(super) fn row_of(read: &Replayed, catalogue: &Catalogue) -> CaseRow {
    let Replayed { state, events } = read;
    // Only when each deadline is due is kept, not how urgent it was at some moment: any
    // instant derives the same row.
    let s = CaseSummary::derive(
        state,
        events,
        catalogue,
        &DeadlinePolicy::default(),
        Timestamp(0),
    );
    CaseRow {
        id: s.id,
        squad: s.squad,
        status: s.status,
        domain: s.domain,
        domain_name: s.domain_name,
        violation: s.violation,
        violation_name: s.violation_name,
        address: s.address,
        grid: s.grid,
        parties: s.parties,
        summary: s.summary,
        registered_at: s.registered_at.0,
        updated_at: s.updated_at.0,
        outcome721: s.outcome721.map(|(k, at)| (k, at.0)),
        people: s.people,
        // Open ones only: one met late stays on the case's record, not among what is due.
        deadlines: s
            .deadlines
            .iter()
            .filter(|d| d.met_late.is_none())
            .map(|d| (d.kind.code().to_owned(), d.due.0))
            .collect(),
        disclosure: disclosure(state, events),
    }
}

/// The penalty result as published, and what became of it: the acts the replayed state
/// accepted (an act a merge left out of order counts as it does in the state).
fn disclosure(state: &CaseState, events: &[WorkflowEvent]) -> Option<Disclosure> {
    let at = state.disclosed_at?;
    // Only what the replay accepted, in the order it did: an act a merge left that did not
    // apply is no part of what was published.
    let refused: BTreeSet<&str> = state.anomalies.iter().map(|a| a.event.as_str()).collect();
    let accepted = || events.iter().filter(|e| !refused.contains(e.id.as_str()));
    let text = accepted()
        .find_map(|e| match &e.act {
            Act::Disclose { text, .. } if e.at == at => Some(text.clone()),
            _ => None,
        })
        .unwrap_or_default();
    let revoked = state.revoked_at.and_then(|when| {
        accepted().find_map(|e| match &e.act {
            Act::RevokeDecision { authority, reason } if e.at == when => {
                Some((e.at.0, authority.clone(), reason.clone()))
            }
            _ => None,
        })
    });
    let corrected = state
        .disclosure_corrected
        .then(|| {
            accepted().find_map(|e| match &e.act {
                Act::CorrectDisclosure { explanation, text } => {
                    Some((e.at.0, explanation.clone(), text.clone()))
                }
                _ => None,
            })
        })
        .flatten();
    Some(Disclosure {
        at: at.0,
        text,
        revoked,
        corrected,
    })
}
