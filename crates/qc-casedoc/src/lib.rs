//! 一案一档 — one Automerge document per case, holding its header (source, domain, violation,
//! place and grid, parties, summary) and its workflow events; and the case-list row derived
//! from it, which the store keeps as a rebuildable projection.
//!
//! Pure: no I/O. The change timestamps Automerge records come from the caller's clock.

mod json;
mod records;

pub use records::{
    Conflict, IssuedDocument, Seal, StoredRecord, deletion_digest, facts_digest, link_digest,
    page_digest, snapshot,
};

use automerge::transaction::{CommitOptions, Transactable};
use automerge::{ActorId, AutoCommit, ChangeHash, ObjType, ROOT, ReadDoc};
use qc_domain::{
    Act, CaseHeader, CaseId, CaseState, Catalogue, Deadline, DeadlinePolicy, Timestamp,
    WorkflowEvent, deadline, replay,
};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Layout version of the document, stored at `schema`.
pub const SCHEMA: u64 = 1;

/// Why a case document could not be read or changed.
#[derive(Debug, Error)]
pub enum DocError {
    /// Automerge refused the bytes or the operation.
    #[error("case document: {0}")]
    Automerge(#[from] automerge::AutomergeError),
    /// The document is not shaped like a case.
    #[error("case document is malformed: {0}")]
    Malformed(String),
    /// A newer app wrote this document.
    #[error("case document schema {0} is newer than this app understands ({SCHEMA})")]
    NewerSchema(u64),
}

impl From<serde_json::Error> for DocError {
    fn from(e: serde_json::Error) -> Self {
        DocError::Malformed(e.to_string())
    }
}

/// Parses bytes that came from elsewhere (another device, the station, a bundle). Automerge
/// 0.12 panics on some damaged bytes instead of refusing them (hexane unwraps a truncated
/// number; found by `fuzz/doc_changes`): such a panic is a refusal, not a crash of the station
/// or of a tablet's sync.
fn parse_foreign<T>(
    parse: impl FnOnce() -> Result<T, automerge::AutomergeError>,
) -> Result<T, DocError> {
    // Unwind safe: the parse builds a new document and touches nothing that outlives it.
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(parse))
        .map_err(|_| DocError::Malformed("damaged Automerge bytes".into()))?
        .map_err(DocError::from)
}

/// A case's Automerge document.
pub struct CaseDoc {
    doc: AutoCommit,
}

impl CaseDoc {
    /// A new document for a freshly registered case, written by `actor` (the device) at `now`.
    pub fn create(header: &CaseHeader, actor: &[u8], now: Timestamp) -> Result<CaseDoc, DocError> {
        let mut doc = AutoCommit::new().with_actor(ActorId::from(actor));
        doc.put(ROOT, "schema", SCHEMA)?;
        json::put(&mut doc, &ROOT, "header", &serde_json::to_value(header)?)?;
        doc.put_object(ROOT, "events", ObjType::List)?;
        let mut d = CaseDoc { doc };
        d.commit("登记", now);
        Ok(d)
    }

    /// Loads a saved document; `actor` is the device that will write to it next.
    pub fn load(bytes: &[u8], actor: &[u8]) -> Result<CaseDoc, DocError> {
        let doc = parse_foreign(|| AutoCommit::load(bytes))?.with_actor(ActorId::from(actor));
        let d = CaseDoc { doc };
        match d.doc.get(ROOT, "schema")? {
            Some((v, _)) => match v.as_u64().or_else(|| v.as_i64().map(|i| i as u64)) {
                Some(s) if s > SCHEMA => return Err(DocError::NewerSchema(s)),
                Some(_) => {}
                None => return Err(DocError::Malformed("schema is not a number".into())),
            },
            None => return Err(DocError::Malformed("no schema".into())),
        }
        d.header()?;
        Ok(d)
    }

    /// The whole document, compressed.
    pub fn save(&mut self) -> Vec<u8> {
        self.doc.save()
    }

    /// The heads (hashes of the latest changes): they commit to the whole history.
    pub fn heads(&mut self) -> Vec<ChangeHash> {
        self.doc.get_heads()
    }

    /// Heads as raw digests, sorted (what chain entries commit to).
    pub fn heads_digests(&mut self) -> Vec<[u8; 32]> {
        let mut h: Vec<[u8; 32]> = self.heads().iter().map(|h| h.0).collect();
        h.sort();
        h
    }

    /// Heads as lowercase hex, sorted.
    pub fn heads_hex(&mut self) -> Vec<String> {
        self.heads_digests().iter().map(hex::encode).collect()
    }

    /// The document as it was at `heads` (each a change of its history): what those changes
    /// and theirs made, nothing after; written next by `actor`.
    pub fn at(&mut self, heads: &[[u8; 32]], actor: &[u8]) -> Result<CaseDoc, DocError> {
        let heads: Vec<ChangeHash> = heads.iter().map(|h| ChangeHash(*h)).collect();
        let doc = self.doc.fork_at(&heads)?.with_actor(ActorId::from(actor));
        Ok(CaseDoc { doc })
    }

    /// Whether the document's history holds the change with this hash.
    pub fn has_change(&mut self, hash: &[u8; 32]) -> bool {
        self.doc
            .get_change_by_hash(&automerge::ChangeHash(*hash))
            .is_some()
    }

    fn commit(&mut self, message: &str, now: Timestamp) {
        self.doc.commit_with(
            CommitOptions::default()
                .with_message(message)
                .with_time(now.0 / 1000),
        );
    }

    /// The case header.
    pub fn header(&self) -> Result<CaseHeader, DocError> {
        let (_, obj) = self
            .doc
            .get(ROOT, "header")?
            .ok_or_else(|| DocError::Malformed("no header".into()))?;
        Ok(serde_json::from_value(json::read(&self.doc, &obj)?)?)
    }

    /// The case id.
    pub fn id(&self) -> Result<CaseId, DocError> {
        Ok(self.header()?.id)
    }

    /// The workflow events, in document order.
    pub fn events(&self) -> Result<Vec<WorkflowEvent>, DocError> {
        let Some((_, list)) = self.doc.get(ROOT, "events")? else {
            return Ok(Vec::new());
        };
        Ok(serde_json::from_value(json::read(&self.doc, &list)?)?)
    }

    /// Appends a workflow event (already validated by the caller).
    pub fn append_event(&mut self, event: &WorkflowEvent) -> Result<(), DocError> {
        let (_, list) = self
            .doc
            .get(ROOT, "events")?
            .ok_or_else(|| DocError::Malformed("no events list".into()))?;
        let at = self.doc.length(&list);
        json::insert(&mut self.doc, &list, at, &serde_json::to_value(event)?)?;
        self.commit(event.act.zh(), event.at);
        Ok(())
    }

    /// The case state replayed from header and events.
    pub fn state(&self) -> Result<CaseState, DocError> {
        Ok(self.replayed()?.0)
    }

    /// The case state replayed from header and events, with the events: reading a document
    /// is most of the cost, so what needs both reads it once.
    pub fn replayed(&self) -> Result<(CaseState, Vec<WorkflowEvent>), DocError> {
        let events = self.events()?;
        Ok((replay(self.header()?, &events), events))
    }

    /// The changes made since `heads` (those of them this document has), as bytes another copy
    /// can apply; with no heads, the whole history (loadable as a new document).
    pub fn changes_after(&mut self, heads: &[[u8; 32]]) -> Vec<u8> {
        let known: Vec<ChangeHash> = heads
            .iter()
            .filter(|h| self.has_change(h))
            .map(|h| ChangeHash(*h))
            .collect();
        self.doc.save_after(&known)
    }

    /// Applies changes from another copy of the same case (idempotent: applying twice changes
    /// nothing). The result must still be this case.
    pub fn apply(&mut self, changes: &[u8]) -> Result<(), DocError> {
        let id = self.id()?;
        if changes.is_empty() {
            return Ok(());
        }
        // Automerge keeps what parses of damaged bytes and queues changes whose dependencies
        // are missing, both silently: either would drop what the sender thinks it sent.
        // Parsed alone, the changes lack what they build on: only a parse error counts here.
        // Bytes that make Automerge's parser panic do so here, before this copy is touched.
        match parse_foreign(|| {
            automerge::Automerge::load_with_options(
                changes,
                automerge::LoadOptions::new().on_partial_load(automerge::OnPartialLoad::Error),
            )
        }) {
            Ok(_) | Err(DocError::Automerge(automerge::AutomergeError::MissingDeps)) => {}
            Err(e) => return Err(e),
        }
        self.doc.load_incremental(changes)?;
        if !self.doc.get_missing_deps(&[]).is_empty() {
            return Err(DocError::Malformed(
                "changes that depend on changes this copy lacks".into(),
            ));
        }
        if self.id()? != id {
            return Err(DocError::Malformed("changes of another case".into()));
        }
        Ok(())
    }

    /// Merges another copy of the same case (from another device). Idempotent.
    pub fn merge(&mut self, other: &mut CaseDoc) -> Result<(), DocError> {
        if self.id()? != other.id()? {
            return Err(DocError::Malformed(
                "merging documents of different cases".into(),
            ));
        }
        self.doc.merge(&mut other.doc)?;
        Ok(())
    }
}

/// One row of the case list: what officers scan and filter, derived from the document alone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseSummary {
    /// Case id.
    pub id: String,
    /// Squad responsible.
    pub squad: String,
    /// Status code.
    pub status: String,
    /// Domain code.
    pub domain: String,
    /// Domain name (from the catalogue; the code if unknown).
    pub domain_name: String,
    /// Violation code.
    pub violation: String,
    /// Violation name.
    pub violation_name: String,
    /// Source kind code.
    pub source: String,
    /// Address.
    pub address: String,
    /// Grid unit.
    pub grid: String,
    /// Parties' names, joined.
    pub parties: String,
    /// Summary text.
    pub summary: String,
    /// When registered.
    pub registered_at: Timestamp,
    /// Time of the latest event (or registration).
    pub updated_at: Timestamp,
    /// Open deadlines, with urgency as of the `now` the row was derived at.
    pub deadlines: Vec<Deadline>,
    /// Events flagged for review after a merge.
    pub anomalies: u32,
    /// Whose case it is: who registered it, then the investigating officers (person ids).
    pub people: Vec<String>,
    /// Role codes whose act the case waits on now (the queues).
    pub waiting_on: Vec<String>,
    /// How the matter was handled by the 721 method (`service`, `management`,
    /// `enforcement`), and when; none while undecided.
    pub outcome721: Option<(String, Timestamp)>,
}

/// The 721 category of a matter from its acts: enforcement once filed or decided on the spot
/// (when), else management once ordered to correct, else service once advised.
fn outcome721(events: &[WorkflowEvent]) -> Option<(String, Timestamp)> {
    let first = |pred: fn(&Act) -> bool| events.iter().find(|e| pred(&e.act)).map(|e| e.at);
    let enforced = first(|a| matches!(a, Act::File | Act::SummaryDecision { .. }));
    let managed = first(|a| matches!(a, Act::OrderCorrection { .. }));
    let served = first(|a| matches!(a, Act::Advise { .. }));
    [
        ("enforcement", enforced),
        ("management", managed),
        ("service", served),
    ]
    .into_iter()
    .find_map(|(k, at)| at.map(|at| (k.to_owned(), at)))
}

impl CaseSummary {
    /// Derives the row from the case state.
    pub fn derive(
        state: &CaseState,
        events: &[WorkflowEvent],
        catalogue: &Catalogue,
        policy: &DeadlinePolicy,
        now: Timestamp,
    ) -> CaseSummary {
        let h = &state.header;
        let (domain_name, violation_name) = match catalogue.violation(&h.violation) {
            Some((d, v)) => (d.name.clone(), v.name.clone()),
            None => (h.domain.clone(), h.violation.clone()),
        };
        CaseSummary {
            id: h.id.0.clone(),
            squad: h.squad.clone(),
            status: state.status.code().into(),
            domain: h.domain.clone(),
            domain_name,
            violation: h.violation.clone(),
            violation_name,
            source: h.source.code().into(),
            address: h.location.address.clone(),
            grid: h.location.grid.clone(),
            parties: h
                .parties
                .iter()
                .map(|p| p.name.as_str())
                .collect::<Vec<_>>()
                .join("、"),
            summary: h.summary.clone(),
            registered_at: h.registered_at,
            updated_at: events
                .iter()
                .map(|e| e.at)
                .max()
                .unwrap_or(h.registered_at)
                .max(h.registered_at),
            deadlines: deadline::deadlines(state, now, policy),
            waiting_on: qc_domain::waiting_on(state, catalogue, now)
                .into_iter()
                .map(|r| r.code().to_owned())
                .collect(),
            outcome721: outcome721(events),
            anomalies: state.anomalies.len() as u32,
            people: std::iter::once(&h.registered_by).chain(&state.team).fold(
                Vec::new(),
                |mut v, p| {
                    if !v.contains(&p.0) {
                        v.push(p.0.clone());
                    }
                    v
                },
            ),
        }
    }

    /// Derives the row straight from a document.
    pub fn from_doc(
        doc: &CaseDoc,
        catalogue: &Catalogue,
        policy: &DeadlinePolicy,
        now: Timestamp,
    ) -> Result<CaseSummary, DocError> {
        let (state, events) = doc.replayed()?;
        Ok(CaseSummary::derive(&state, &events, catalogue, policy, now))
    }
}

#[cfg(test)]
mod tests;
