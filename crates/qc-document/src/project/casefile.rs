//! The case file (一案一档): what the case can issue, each document made from its source, the
//! cover and the table of contents.

use qc_casedoc::StoredRecord;
use qc_domain::{Act, Record, Timestamp, WorkflowEvent};

use super::text::{date_zh, decision_zh, field, party_zh, people_zh, violation_zh};
use super::{CaseFacts, ContentsLine, Issuable, ProjectError, Source, acts, records};
use crate::model::{Block, Document, DocumentKind};

/// Whether the bureau seals the document (notices and decisions it issues to the party);
/// records, forms and internal reports carry signatures only.
fn sealed(kind: DocumentKind) -> bool {
    matches!(
        kind,
        DocumentKind::PreservationNotice
            | DocumentKind::PreservationDecision
            | DocumentKind::Sampling
            | DocumentKind::CorrectionOrder
            | DocumentKind::Transfer
            | DocumentKind::PriorNotice
            | DocumentKind::HearingNotice
            | DocumentKind::Decision
            | DocumentKind::SummaryDecision
    )
}

/// Events that replay applied (an anomaly was recorded but never took effect).
fn applied<'f>(facts: &CaseFacts<'f>) -> impl Iterator<Item = &'f WorkflowEvent> {
    let anomalies = &facts.state.anomalies;
    facts
        .events
        .iter()
        .filter(move |e| !anomalies.iter().any(|a| a.event == e.id))
}

/// A sealed record's snapshot, with the seal's time and digest.
fn sealed_record(r: &StoredRecord) -> Option<Result<(Record, Timestamp, String), String>> {
    let seal = r.seal.as_ref()?;
    Some(
        serde_json::from_str::<Record>(&seal.content)
            .map(|rec| (rec, seal.at, seal.digest.clone()))
            .map_err(|e| format!("its sealed content cannot be read: {e}")),
    )
}

/// When the case was closed (结案), if it was.
fn closed_at(facts: &CaseFacts<'_>) -> Option<Timestamp> {
    applied(facts)
        .filter(|e| matches!(e.act, Act::Close { .. }))
        .map(|e| e.at)
        .last()
}

/// The date the case file as a whole carries: its closing, else its latest act, else its
/// registration.
fn file_date(facts: &CaseFacts<'_>) -> Timestamp {
    closed_at(facts)
        .or_else(|| applied(facts).map(|e| e.at).max())
        .unwrap_or(facts.state.header.registered_at)
}

/// Every document the case can issue now, in case-file order: the cover, then by kind in the
/// order of [`DocumentKind::ALL`] and by time within a kind. The contents are made by
/// [`contents`], once the pages are known.
pub fn issuable(facts: &CaseFacts<'_>) -> Vec<Issuable> {
    let mut out = vec![Issuable {
        kind: DocumentKind::Cover,
        source: Source::Case,
        at: facts.state.header.registered_at.0,
    }];
    for r in facts.records {
        if let Some(Ok((record, at, _))) = sealed_record(r) {
            out.push(Issuable {
                kind: records::kind_of(&record.body),
                source: Source::Record(record.id),
                at: at.0,
            });
        }
    }
    for e in applied(facts) {
        out.extend(acts::kinds_of(&e.act).into_iter().map(|kind| Issuable {
            kind,
            source: Source::Event(e.id.clone()),
            at: e.at.0,
        }));
    }
    let rank = |kind: DocumentKind| match kind {
        DocumentKind::Cover => 0,
        other => {
            1 + DocumentKind::ALL
                .iter()
                .position(|k| *k == other)
                .unwrap_or(0)
        }
    };
    out.sort_by(|a, b| (rank(a.kind), a.at, &a.source).cmp(&(rank(b.kind), b.at, &b.source)));
    out
}

/// Document `kind` of this case made from `source`, numbered `number` (empty for the cover).
pub fn project(
    facts: &CaseFacts<'_>,
    kind: DocumentKind,
    source: &Source,
    number: &str,
) -> Result<Document, ProjectError> {
    let not_issuable = |why: &str| ProjectError::NotIssuable {
        kind: kind.name(),
        from: source.to_text(),
        why: why.into(),
    };
    let case = &facts.state.header.id.0;
    let bureau = &facts.wording.bureau;
    let (at, origin, blocks, title) = match source {
        Source::Case if kind == DocumentKind::Cover => {
            (file_date(facts), Vec::new(), cover(facts), None)
        }
        Source::Case => return Err(not_issuable("only the cover is made from the case")),
        Source::Record(id) => {
            let stored = facts
                .records
                .iter()
                .find(|r| &r.live.id == id)
                .ok_or_else(|| ProjectError::NoSource(source.to_text()))?;
            let (record, at, digest) = sealed_record(stored)
                .ok_or_else(|| not_issuable("the record is not sealed"))?
                .map_err(|why| not_issuable(&why))?;
            if records::kind_of(&record.body) != kind {
                return Err(not_issuable("the record is of another kind"));
            }
            (at, vec![digest], records::blocks(facts, &record), None)
        }
        Source::Event(id) => {
            let event = applied(facts)
                .find(|e| &e.id == id)
                .ok_or_else(|| ProjectError::NoSource(source.to_text()))?;
            if !acts::kinds_of(&event.act).contains(&kind) {
                return Err(not_issuable(&format!(
                    "the act {} issues no such document",
                    event.act.name()
                )));
            }
            let title = (kind == DocumentKind::Decision)
                .then(|| acts::title_of(&event.act))
                .flatten();
            (
                event.at,
                vec![event.id.clone()],
                acts::blocks(facts, event, kind),
                title,
            )
        }
    };
    let date = date_zh(at);
    let mut doc = Document::new(kind, case, bureau, number, &date);
    if let Some(title) = title {
        doc.title = title.into();
    }
    doc.sources = origin;
    doc.blocks = blocks;
    if sealed(kind) {
        doc.blocks.push(Block::Seal {
            bureau: bureau.clone(),
            date,
        });
    }
    Ok(doc)
}

/// 卷宗封面: what the case is, how it ended, who handled it and how long it is kept.
fn cover(facts: &CaseFacts<'_>) -> Vec<Block> {
    let state = facts.state;
    let h = &state.header;
    let parties = if h.parties.is_empty() {
        "未查明".to_string()
    } else {
        h.parties
            .iter()
            .map(party_zh)
            .collect::<Vec<_>>()
            .join("；")
    };
    let mut rows = vec![
        field("案件编号", h.id.0.clone()),
        field("案由", violation_zh(facts)),
        field("当事人", parties),
        field("案件来源", h.source.zh()),
        field("登记日期", date_zh(h.registered_at)),
    ];
    if let Some(at) = state.filed_at {
        rows.push(field("立案日期", date_zh(at)));
    }
    if let Some(at) = closed_at(facts) {
        rows.push(field("结案日期", date_zh(at)));
    }
    let result = state.decision.as_ref().map_or_else(
        || state.status.zh().to_string(),
        |d| decision_zh(d.discretion, &d.penalties),
    );
    rows.push(field("处理结果", result));
    if !state.team.is_empty() {
        rows.push(field("承办人", people_zh(facts, &state.team)));
    }
    rows.push(field("保存期限", facts.wording.retention.clone()));
    vec![Block::Fields { rows }]
}

/// 卷内目录: one row per document or photo with its pages in the case file, as a table that
/// flows over pages with its header repeated.
pub fn contents(facts: &CaseFacts<'_>, lines: &[ContentsLine]) -> Document {
    let date = date_zh(file_date(facts));
    let mut doc = Document::new(
        DocumentKind::Contents,
        &facts.state.header.id.0,
        &facts.wording.bureau,
        "",
        &date,
    );
    doc.blocks.push(Block::Table {
        header: ["序号", "文书名称", "文号", "日期", "页号", "备注"]
            .map(String::from)
            .to_vec(),
        // In millimetres of the 160 mm text width: a date and a page range fit on one line.
        widths: vec![8, 34, 56, 30, 12, 10],
        rows: lines
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let pages = if l.last_page > l.first_page {
                    format!("{}–{}", l.first_page, l.last_page)
                } else {
                    l.first_page.to_string()
                };
                vec![
                    (i + 1).to_string(),
                    l.title.clone(),
                    l.number.clone(),
                    l.date.clone(),
                    pages,
                    String::new(),
                ]
            })
            .collect(),
    });
    doc
}
