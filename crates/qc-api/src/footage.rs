//! Footage tied to the acts it records (关联执法记录): a body camera's clip imported after the
//! shift names the time it covers (its own header's start and length); the acts of the case its
//! officer took part in about then are proposed, and an enforcement officer confirms which it
//! records by signing a link (chain action `EvidenceLinked`). The item's facts, signed when it
//! was captured, never change: the link is an act of its own.

use std::collections::{BTreeMap, BTreeSet};

use qc_casedoc::{facts_digest, link_digest};
use qc_chain::Action;
use qc_domain::{EvidenceLink, MediaKind, RecordBody, RuleViolation, Timestamp, proposed_acts};
use qc_store::Touched;
use serde::Serialize;

use crate::records::officer_refs;
use crate::{ApiError, Quancheng, Unlocked};

/// An act of the case that a recording may record: a record (inspection, questioning, notice)
/// or a workflow act (a delivery, an order to correct …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CaseAct {
    /// The record's or the workflow event's id.
    pub id: String,
    /// What it is, in Chinese (`询问笔录（赵强）`, `送达`).
    pub title: String,
    /// When it began.
    pub from: Timestamp,
    /// When it ended (when it began, for an act of a moment or a record still open).
    pub to: Timestamp,
}

/// The acts of a case, and per recording those it probably records and names not yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FootageLinks {
    /// Every record and workflow act of the case, by time.
    pub acts: Vec<CaseAct>,
    /// Evidence id → the acts proposed for it (ids of `acts`), for recordings with any.
    pub proposed: BTreeMap<String, Vec<String>>,
}

impl Quancheng {
    /// The acts of `case` and what each of its recordings probably records
    /// ([`qc_domain::proposed_acts`]): by its time and the officers who signed it.
    pub fn footage_links(&self, case: &str) -> Result<FootageLinks, ApiError> {
        let id = self.resolve_case(case)?;
        let doc = self.store.case_doc(&id, self.device_id.as_bytes())?;
        let records = doc
            .records()?
            .iter()
            .map(|r| r.authoritative())
            .collect::<Result<Vec<_>, _>>()?;
        let events = doc.events()?;
        let mut acts: Vec<CaseAct> = records
            .iter()
            .map(|r| {
                let span = r.body.span();
                CaseAct {
                    id: r.id.clone(),
                    title: match &r.body {
                        RecordBody::Questioning(q) => {
                            format!("{}（{}）", r.body.zh(), q.interviewee.name)
                        }
                        other => other.zh().into(),
                    },
                    from: span.from,
                    to: span.to,
                }
            })
            .chain(events.iter().map(|e| CaseAct {
                id: e.id.clone(),
                title: e.act.zh().into(),
                from: e.at,
                to: e.at,
            }))
            .collect();
        acts.sort_by(|a, b| (a.from, &a.id).cmp(&(b.from, &b.id)));
        let proposed = self
            .attested(&id, doc.evidence()?)?
            .iter()
            .filter_map(|item| {
                let ids = proposed_acts(item, &records, &events);
                (!ids.is_empty()).then(|| {
                    let ids = ids.into_iter().map(String::from).collect();
                    (item.facts.id.clone(), ids)
                })
            })
            .collect();
        Ok(FootageLinks { acts, proposed })
    }

    /// An enforcement officer `by` confirms that recording `evidence` of `case` records `acts`
    /// (records or workflow acts of the case, not named by it already), signing the link.
    pub fn link_evidence(
        &mut self,
        case: &str,
        evidence: &str,
        acts: &[String],
        by: &Unlocked,
    ) -> Result<(), ApiError> {
        let officer = officer_refs(&[by])?.remove(0);
        let item = self.evidence_of(case, evidence)?;
        if item.deleted.is_some() {
            return Err(ApiError::Invalid("该证据原件已经批准删除".into()));
        }
        if !matches!(item.facts.kind, MediaKind::Audio | MediaKind::Video) {
            return Err(ApiError::Invalid("只有录音、录像可以关联执法记录".into()));
        }
        let wanted: BTreeSet<&str> = acts.iter().map(|a| a.trim()).collect();
        if wanted.is_empty() || wanted.contains("") {
            return Err(RuleViolation::EmptyField {
                field: "所记录的执法活动",
            }
            .into());
        }
        let known = self.footage_links(case)?.acts;
        if let Some(unknown) = wanted.iter().find(|id| !known.iter().any(|a| a.id == **id)) {
            return Err(RuleViolation::UnknownRecord((*unknown).into()).into());
        }
        let named = item.named_acts();
        if wanted.is_subset(&named) {
            return Err(ApiError::Invalid("这段录音录像已关联这些执法活动".into()));
        }
        // In the order of the case's acts, so the same choice signs the same link.
        let acts: Vec<String> = known
            .into_iter()
            .filter(|a| wanted.contains(a.id.as_str()) && !named.contains(a.id.as_str()))
            .map(|a| a.id)
            .collect();
        let records = vec![facts_digest(&item.facts)?];
        let id = item.facts.id;
        self.act(case, Action::EvidenceLinked, &[by], |doc, at| {
            let link = EvidenceLink {
                acts,
                by: officer,
                at,
            };
            doc.link_evidence(&id, &link)?;
            let mut records = records;
            records.push(link_digest(&link)?);
            Ok(Touched {
                blobs: Vec::new(),
                records,
            })
        })?;
        tracing::info!(case, evidence, "footage linked to acts");
        Ok(())
    }
}
