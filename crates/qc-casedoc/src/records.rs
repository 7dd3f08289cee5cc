//! Records and evidence in the case document: each record with its seal (the signed snapshot)
//! and any conflicting edits a merge brought; each evidence item with its signatures.

use automerge::transaction::Transactable;
use automerge::{ObjId, ObjType, ROOT, ReadDoc};
use qc_domain::{
    EvidenceDeletion, EvidenceFacts, EvidenceItem, EvidenceLink, EvidenceSignature, PersonId, Qa,
    Record, Timestamp,
};
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use sha2::{Digest, Sha256};

use crate::{CaseDoc, DocError, json};

/// The signed snapshot of a sealed record: it stays authoritative whatever a merge brings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seal {
    /// SHA-256 of `content`, hex (the digest the sealing chain entry carries).
    pub digest: String,
    /// The record as sealed (JSON).
    pub content: String,
    /// When.
    pub at: Timestamp,
    /// The officers who sealed it.
    pub by: Vec<PersonId>,
}

/// A document (执法文书) issued from the case: what its chain entry names, and from what it was
/// made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuedDocument {
    /// The kind's stable name.
    pub kind: String,
    /// What it was made from (`case`, `event:<id>`, `record:<id>`).
    pub source: String,
    /// 文号, or empty.
    pub number: String,
    /// SHA-256 (hex) of its data.
    pub data: String,
    /// SHA-256 (hex) of the PDF.
    pub pdf: String,
    /// Pages in the PDF.
    pub pages: u32,
    /// When it was issued.
    pub at: Timestamp,
    /// Who issued it.
    pub by: Vec<PersonId>,
}

/// An edit that reached a sealed record through a merge (made concurrently, before the seal
/// was known on that device). Kept for review, never applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conflict {
    /// SHA-256 of the conflicting content, hex.
    pub digest: String,
    /// The conflicting content (JSON).
    pub content: String,
    /// When the merge found it.
    pub found_at: Timestamp,
}

/// A record as the case document holds it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredRecord {
    /// The live content (what editing changes; after sealing, what merges may disturb).
    pub live: Record,
    /// The seal, once sealed.
    pub seal: Option<Seal>,
    /// Conflicting edits found by merges.
    pub conflicts: Vec<Conflict>,
}

impl StoredRecord {
    /// The record as it counts: the sealed snapshot once sealed, else the live content.
    pub fn authoritative(&self) -> Result<Record, DocError> {
        match &self.seal {
            Some(s) => Ok(serde_json::from_str(&s.content)?),
            None => Ok(self.live.clone()),
        }
    }

    /// Whether the live content differs from what was sealed (a merge disturbed it).
    pub fn disturbed(&self) -> Result<Option<(String, [u8; 32])>, DocError> {
        let Some(seal) = &self.seal else {
            return Ok(None);
        };
        let (content, digest) = snapshot(&self.live)?;
        Ok((hex::encode(digest) != seal.digest).then_some((content, digest)))
    }
}

/// A record's canonical JSON and its SHA-256 (what a seal commits to).
pub fn snapshot(r: &Record) -> Result<(String, [u8; 32]), DocError> {
    let content = serde_json::to_string(r)?;
    let digest = Sha256::digest(content.as_bytes()).into();
    Ok((content, digest))
}

/// SHA-256 of a value's JSON: what a digest of record content commits to.
fn json_digest<T: Serialize + ?Sized>(v: &T) -> Result<[u8; 32], DocError> {
    Ok(Sha256::digest(serde_json::to_vec(v)?).into())
}

/// SHA-256 of evidence facts (what its officers sign: the file hash and metadata).
pub fn facts_digest(f: &EvidenceFacts) -> Result<[u8; 32], DocError> {
    json_digest(f)
}

/// SHA-256 of an evidence link (what the officer who confirmed it signed, beside the facts).
pub fn link_digest(l: &EvidenceLink) -> Result<[u8; 32], DocError> {
    json_digest(l)
}

/// SHA-256 of an evidence file's deletion (what the approving head signed, beside the facts).
pub fn deletion_digest(d: &EvidenceDeletion) -> Result<[u8; 32], DocError> {
    json_digest(d)
}

/// SHA-256 of a transcript page's questions and answers (what a page signature binds).
pub fn page_digest(qa: &[Qa]) -> Result<[u8; 32], DocError> {
    json_digest(qa)
}

impl CaseDoc {
    fn map_at(&mut self, key: &str) -> Result<ObjId, DocError> {
        match self.doc.get(ROOT, key)? {
            Some((_, id)) => Ok(id),
            None => Ok(self.doc.put_object(ROOT, key, ObjType::Map)?),
        }
    }

    fn child(&self, map: &str, id: &str) -> Result<Option<ObjId>, DocError> {
        let Some((_, m)) = self.doc.get(ROOT, map)? else {
            return Ok(None);
        };
        Ok(self.doc.get(&m, id)?.map(|(_, o)| o))
    }

    fn read_key<T: serde::de::DeserializeOwned>(
        &self,
        obj: &ObjId,
        key: &str,
    ) -> Result<Option<T>, DocError> {
        match self.doc.get(obj, key)? {
            Some((_, o)) => Ok(Some(serde_json::from_value(json::read(&self.doc, &o)?)?)),
            None => Ok(None),
        }
    }

    /// One record.
    pub fn record(&self, id: &str) -> Result<Option<StoredRecord>, DocError> {
        let Some(obj) = self.child("records", id)? else {
            return Ok(None);
        };
        let live = self
            .read_key(&obj, "record")?
            .ok_or_else(|| DocError::Malformed(format!("record {id} has no content")))?;
        Ok(Some(StoredRecord {
            live,
            seal: self.read_key(&obj, "seal")?,
            conflicts: self.read_key(&obj, "conflicts")?.unwrap_or_default(),
        }))
    }

    /// Every record, oldest first.
    pub fn records(&self) -> Result<Vec<StoredRecord>, DocError> {
        let ids: Vec<String> = match self.doc.get(ROOT, "records")? {
            Some((_, m)) => self.doc.keys(&m).collect(),
            None => Vec::new(),
        };
        let mut out = Vec::new();
        for id in ids {
            out.extend(self.record(&id)?);
        }
        out.sort_by(|a, b| (a.live.created_at, &a.live.id).cmp(&(b.live.created_at, &b.live.id)));
        Ok(out)
    }

    /// Writes a record's live content, changing only the fields that differ. The caller
    /// checks that the record is not sealed.
    pub fn put_record(&mut self, r: &Record, now: Timestamp) -> Result<(), DocError> {
        let records = self.map_at("records")?;
        let obj = match self.doc.get(&records, r.id.as_str())? {
            Some((_, o)) => o,
            None => self.doc.put_object(&records, r.id.as_str(), ObjType::Map)?,
        };
        json::update(&mut self.doc, &obj, "record", &serde_json::to_value(r)?)?;
        self.commit(r.body.zh(), now);
        Ok(())
    }

    /// Seals a record with its signed snapshot.
    pub fn seal_record(&mut self, id: &str, seal: &Seal) -> Result<(), DocError> {
        let obj = self
            .child("records", id)?
            .ok_or_else(|| DocError::Malformed(format!("no record {id}")))?;
        json::put(&mut self.doc, &obj, "seal", &serde_json::to_value(seal)?)?;
        self.commit("签名封存", seal.at);
        Ok(())
    }

    /// Keeps a conflicting edit of a sealed record for review.
    pub fn flag_conflict(&mut self, id: &str, c: &Conflict) -> Result<(), DocError> {
        let obj = self
            .child("records", id)?
            .ok_or_else(|| DocError::Malformed(format!("no record {id}")))?;
        let list = match self.doc.get(&obj, "conflicts")? {
            Some((_, l)) => l,
            None => self.doc.put_object(&obj, "conflicts", ObjType::List)?,
        };
        let at = self.doc.length(&list);
        json::insert(&mut self.doc, &list, at, &serde_json::to_value(c)?)?;
        self.commit("合并冲突待复核", c.found_at);
        Ok(())
    }

    /// Recomputes every sealed record's digest (after a merge) and keeps each edit that
    /// disturbed one as a flagged conflict, once. Returns, per new conflict, the sealed digest
    /// and the conflicting one (what the chain entry recording the conflict names).
    pub fn flag_disturbed_records(&mut self, now: Timestamp) -> Result<Vec<[u8; 32]>, DocError> {
        let mut touched = Vec::new();
        for r in self.records()? {
            let (Some(seal), Some((content, digest))) = (&r.seal, r.disturbed()?) else {
                continue;
            };
            let hex_digest = hex::encode(digest);
            if r.conflicts.iter().any(|c| c.digest == hex_digest) {
                continue;
            }
            self.flag_conflict(
                &r.live.id,
                &Conflict {
                    digest: hex_digest,
                    content,
                    found_at: now,
                },
            )?;
            let sealed: [u8; 32] = hex::decode(&seal.digest)
                .ok()
                .and_then(|b| b.try_into().ok())
                .ok_or_else(|| DocError::Malformed("seal digest is not SHA-256".into()))?;
            touched.extend([sealed, digest]);
        }
        Ok(touched)
    }

    /// One evidence item.
    pub fn evidence_item(&self, id: &str) -> Result<Option<EvidenceItem>, DocError> {
        let Some(obj) = self.child("evidence", id)? else {
            return Ok(None);
        };
        let facts = self
            .read_key(&obj, "facts")?
            .ok_or_else(|| DocError::Malformed(format!("evidence {id} has no facts")))?;
        let signatures: Vec<EvidenceSignature> =
            self.read_key(&obj, "signatures")?.unwrap_or_default();
        let links: Vec<EvidenceLink> = self.read_key(&obj, "links")?.unwrap_or_default();
        let deleted: Option<EvidenceDeletion> = self.read_key(&obj, "deleted")?;
        Ok(Some(EvidenceItem {
            facts,
            signatures,
            links,
            deleted,
        }))
    }

    /// Every evidence item, in capture order.
    pub fn evidence(&self) -> Result<Vec<EvidenceItem>, DocError> {
        let ids: Vec<String> = match self.doc.get(ROOT, "evidence")? {
            Some((_, m)) => self.doc.keys(&m).collect(),
            None => Vec::new(),
        };
        let mut out = Vec::new();
        for id in ids {
            out.extend(self.evidence_item(&id)?);
        }
        out.sort_by(|a, b| {
            (a.facts.captured_at, &a.facts.id).cmp(&(b.facts.captured_at, &b.facts.id))
        });
        Ok(out)
    }

    /// Adds a captured evidence item with its first signature(s).
    pub fn add_evidence(&mut self, item: &EvidenceItem) -> Result<(), DocError> {
        let map = self.map_at("evidence")?;
        let obj = self
            .doc
            .put_object(&map, item.facts.id.as_str(), ObjType::Map)?;
        json::put(
            &mut self.doc,
            &obj,
            "facts",
            &serde_json::to_value(&item.facts)?,
        )?;
        json::put(
            &mut self.doc,
            &obj,
            "signatures",
            &serde_json::to_value(&item.signatures)?,
        )?;
        self.commit("采集证据", item.facts.captured_at);
        Ok(())
    }

    /// Every document issued from the case, by issue time.
    pub fn documents(&self) -> Result<Vec<IssuedDocument>, DocError> {
        let Some((_, m)) = self.doc.get(ROOT, "documents")? else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for key in self.doc.keys(&m).collect::<Vec<_>>() {
            out.extend(self.read_key::<IssuedDocument>(&m, &key)?);
        }
        out.sort_by(|a, b| (a.at, &a.data).cmp(&(b.at, &b.data)));
        Ok(out)
    }

    /// Records an issued document, keyed by its data digest (issuing the same data twice
    /// is the same document).
    pub fn add_document(&mut self, d: &IssuedDocument) -> Result<(), DocError> {
        let map = self.map_at("documents")?;
        json::put(&mut self.doc, &map, &d.data, &serde_json::to_value(d)?)?;
        self.commit("出具文书", d.at);
        Ok(())
    }

    /// Adds an officer's signature to an evidence item. Signatures are a list, so two
    /// devices co-signing concurrently both keep theirs.
    pub fn sign_evidence(&mut self, id: &str, sig: &EvidenceSignature) -> Result<(), DocError> {
        self.append_to_evidence(id, "signatures", &serde_json::to_value(sig)?)?;
        self.commit("证据签名", sig.at);
        Ok(())
    }

    /// Adds an officer's confirmation of the acts an evidence item records (a list too, so
    /// concurrent confirmations are both kept).
    pub fn link_evidence(&mut self, id: &str, link: &EvidenceLink) -> Result<(), DocError> {
        self.append_to_evidence(id, "links", &serde_json::to_value(link)?)?;
        self.commit("关联执法记录", link.at);
        Ok(())
    }

    /// Records that evidence item `id`'s file was deleted with the head's approval (the item
    /// and its facts stay).
    pub fn mark_evidence_deleted(
        &mut self,
        id: &str,
        deletion: &EvidenceDeletion,
    ) -> Result<(), DocError> {
        let obj = self
            .child("evidence", id)?
            .ok_or_else(|| DocError::Malformed(format!("no evidence {id}")))?;
        json::put(
            &mut self.doc,
            &obj,
            "deleted",
            &serde_json::to_value(deletion)?,
        )?;
        self.commit("删除原件", deletion.at);
        Ok(())
    }

    /// Appends `value` to the list `key` of evidence item `id`.
    fn append_to_evidence(&mut self, id: &str, key: &str, value: &Json) -> Result<(), DocError> {
        let obj = self
            .child("evidence", id)?
            .ok_or_else(|| DocError::Malformed(format!("no evidence {id}")))?;
        let list = match self.doc.get(&obj, key)? {
            Some((_, l)) => l,
            None => self.doc.put_object(&obj, key, ObjType::List)?,
        };
        let at = self.doc.length(&list);
        json::insert(&mut self.doc, &list, at, value)?;
        Ok(())
    }
}
