//! From the signed case data to each document's [`Document`](crate::Document): every word on the paper comes
//! from the case document (header, workflow events, sealed records, evidence), the people's
//! certificates, the catalogue, or the bureau's wording file — never from anything else.

use qc_casedoc::{IssuedDocument, StoredRecord};
use qc_domain::{CaseState, Catalogue, EvidenceItem, Person, WorkflowEvent};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::model::DocumentKind;
use crate::wording::Wording;

mod acts;
mod casefile;
mod records;
mod text;

pub use casefile::{contents, issuable, project};
pub use text::{date_zh, datetime_zh, money_zh, penalty_zh, yuan_capital};

/// Everything a document may be made from.
pub struct CaseFacts<'a> {
    /// The case as its events replay (header included).
    pub state: &'a CaseState,
    /// The workflow events, in the document's order.
    pub events: &'a [WorkflowEvent],
    /// The field records (only sealed ones are printed).
    pub records: &'a [StoredRecord],
    /// The evidence items.
    pub evidence: &'a [EvidenceItem],
    /// Everyone enrolled (names and 执法证 numbers of the people an act or record names).
    pub directory: &'a [Person],
    /// The catalogue in force (violation names, legal basis).
    pub catalogue: &'a Catalogue,
    /// The bureau's fixed wording (rights and remedies, payment, hearing).
    pub wording: &'a Wording,
    /// The documents issued so far (a 送达回证 names the decision's 文号).
    pub issued: &'a [IssuedDocument],
}

/// What a document is made from inside its case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "from", content = "id")]
pub enum Source {
    /// The case as a whole (cover).
    Case,
    /// A workflow event, by its id.
    Event(String),
    /// A field record, by its id.
    Record(String),
}

impl Source {
    /// As written on the command line and in lists: `case`, `event:<id>`, `record:<id>`.
    pub fn to_text(&self) -> String {
        match self {
            Source::Case => "case".into(),
            Source::Event(id) => format!("event:{id}"),
            Source::Record(id) => format!("record:{id}"),
        }
    }

    /// Reads [`Self::to_text`].
    pub fn parse(text: &str) -> Option<Source> {
        match text.split_once(':') {
            None if text == "case" => Some(Source::Case),
            Some(("event", id)) if !id.is_empty() => Some(Source::Event(id.into())),
            Some(("record", id)) if !id.is_empty() => Some(Source::Record(id.into())),
            _ => None,
        }
    }
}

/// A document the case can issue now, and from what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Issuable {
    /// Which document.
    pub kind: DocumentKind,
    /// From what.
    pub source: Source,
    /// When that act or record happened (ms since the epoch), for ordering.
    pub at: i64,
}

/// Why a document cannot be made.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ProjectError {
    /// The source does not exist in the case.
    #[error("{0} is not in this case")]
    NoSource(String),
    /// This kind of document is not made from that source (or not yet: a record not sealed).
    #[error("a {kind} is not made from {from}: {why}")]
    NotIssuable {
        /// The kind asked for.
        kind: &'static str,
        /// The source given.
        from: String,
        /// Why (English, for the log).
        why: String,
    },
}

/// One line of the 卷内目录: a document or an evidence photo and the pages it takes in the
/// case file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContentsLine {
    /// Title as listed (`行政处罚决定书`, `证据照片：…`).
    pub title: String,
    /// 文号, or empty.
    pub number: String,
    /// Date as written (`2026年11月30日`).
    pub date: String,
    /// First page in the case file (1-based).
    pub first_page: usize,
    /// Last page.
    pub last_page: usize,
}

#[cfg(test)]
mod tests;
