//! The enforcement procedure of DOMAIN.md as types and checks: people and roles, case sources,
//! the catalogue of domains and violation types, the case lifecycle, the procedure rules and the
//! legal deadlines.
//!
//! Pure: no I/O, no storage, no clock of its own (time is passed in).

pub mod admin;
pub mod case;
pub mod catalogue;
pub mod clock;
pub mod deadline;
pub mod document;
pub mod draw;
pub mod evidence;
pub mod person;
pub mod procedure;
pub mod record;
pub mod review;
pub mod rules;
pub mod workflow;

pub use case::*;
pub use catalogue::{
    Catalogue, CatalogueError, EnforcementDomain, FineStandard, HearingThresholds, LegalBasis,
    ViolationType,
};
pub use clock::{Clock, FixedClock, Timestamp};
pub use deadline::{Deadline, DeadlineKind, DeadlinePolicy, Urgency};
pub use document::DocumentKind;
pub use evidence::{
    APPROVES_DELETION, CopyAttestation, EvidenceDeletion, EvidenceFacts, EvidenceItem,
    EvidenceLink, EvidenceSignature, ExifSummary, LINK_SLACK_MS, MediaKind, Redaction, TimeSpan,
    proposed_acts,
};
pub use person::{CaseView, CertNo, EnforcementOfficer, Person, PersonId, Role};
pub use procedure::{NextStep, next_steps, waiting_on};
pub use record::{
    Inspection, Interviewee, NoPartySignature, Notice, NoticeItem, OfficerRef, Outcome721, Page,
    PageSignature, PartySignoff, Qa, Questioning, Record, RecordBody, record_allowed, seal_check,
    signoff_consistent,
};
pub use rules::RuleViolation;
pub use workflow::{
    Context, InvestigationTeam, check_registration, qualifies_for_hearing, replay, validate,
};

#[cfg(test)]
mod tests;
