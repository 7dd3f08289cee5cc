//! Evidence items (证据) as the case file keeps them: what the file is, what its EXIF says, who
//! signed it. The bytes themselves live in the blob store, named by their SHA-256.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::case::{GeoPoint, SignersRequired, WorkflowEvent};
use crate::clock::Timestamp;
use crate::person::{PersonId, Role};
use crate::record::{OfficerRef, Record};

/// What kind of evidence a file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MediaKind {
    /// 照片.
    Photo,
    /// 录音.
    Audio,
    /// 视频 (body camera, phone).
    Video,
    /// 书证 (scanned or digital documents).
    Document,
}

impl MediaKind {
    /// The Chinese name.
    pub fn zh(self) -> &'static str {
        match self {
            MediaKind::Photo => "照片",
            MediaKind::Audio => "录音",
            MediaKind::Video => "视频",
            MediaKind::Document => "书证",
        }
    }
}

/// EXIF facts kept with the evidence.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ExifSummary {
    /// DateTimeOriginal as recorded by the camera (`YYYY:MM:DD HH:MM:SS`, camera local time).
    pub captured_at: Option<String>,
    /// Where, if the camera recorded GPS.
    pub gps: Option<GeoPoint>,
    /// Camera make.
    pub make: Option<String>,
    /// Camera model.
    pub model: Option<String>,
    /// EXIF orientation (1-8).
    pub orientation: Option<u16>,
}

/// "经核对与原件无异" — a copy of a document attested as matching its original.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CopyAttestation {
    /// Where the original is (who provided it).
    pub source: String,
    /// When it was checked against the original.
    pub date: String,
    /// Who checked and signed the attestation.
    pub signer: String,
}

/// The stretch of time a recording covers (录音、录像), from its start to its last second kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeSpan {
    /// When it began.
    pub from: Timestamp,
    /// When it ended.
    pub to: Timestamp,
}

impl TimeSpan {
    /// Where `at` falls in the span, from its start (milliseconds), if it does.
    pub fn offset_of(&self, at: Timestamp) -> Option<i64> {
        (self.from.0..=self.to.0)
            .contains(&at.0)
            .then(|| at.0 - self.from.0)
    }
}

/// 关联执法记录 — an officer's signed word that a recording records these acts of the case
/// (a clip from a body camera imported after the shift, matched by its time and officer).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceLink {
    /// The records (by record id) and workflow acts (by event id) it records.
    pub acts: Vec<String>,
    /// Who confirmed it.
    pub by: OfficerRef,
    /// When.
    pub at: Timestamp,
}

/// Who approves deleting an original's file (删除原件): the head of unit (负责人), an
/// enforcement officer — the seeds: originals are not deleted without approval.
pub const APPROVES_DELETION: SignersRequired = SignersRequired {
    roles: &[Role::Head],
    officers: 0,
};

/// 删除原件 — an evidence file deleted with the head's approval: the item, its facts and its
/// hash stay in the case for ever; only the bytes are gone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceDeletion {
    /// Why (e.g. footage of bystanders unrelated to the case, the retention period over).
    pub reason: String,
    /// The head who approved it.
    pub by: OfficerRef,
    /// When.
    pub at: Timestamp,
}

/// How far outside a clip's span an act may lie and still be proposed as what it records: a
/// camera's clock drifts, and an officer may start filming a moment after the act began.
pub const LINK_SLACK_MS: i64 = 5 * 60 * 1000;

/// The acts of a case a recording probably records, to propose to an officer (who confirms
/// them by signing [`EvidenceLink`]): the records and workflow acts in which one of the
/// officers who signed the recording took part, at a time within its span (give or take
/// [`LINK_SLACK_MS`]), and that it does not name already. None for what is not a recording or
/// says no time.
pub fn proposed_acts<'a>(
    item: &EvidenceItem,
    records: &'a [Record],
    events: &'a [WorkflowEvent],
) -> Vec<&'a str> {
    // A copy has its editing tool's time; a deleted original is offered for nothing.
    let Some(span) = item.facts.span.filter(|_| {
        matches!(item.facts.kind, MediaKind::Audio | MediaKind::Video)
            && item.facts.redacts.is_none()
            && item.deleted.is_none()
    }) else {
        return Vec::new();
    };
    let wearers: BTreeSet<&PersonId> = item.signatures.iter().map(|s| &s.officer.person).collect();
    let named = item.named_acts();
    let near = |act: TimeSpan| {
        act.from.0 <= span.to.0 + LINK_SLACK_MS && act.to.0 >= span.from.0 - LINK_SLACK_MS
    };
    let by_records = records.iter().filter_map(|r| {
        let took_part = r
            .body
            .officers()
            .iter()
            .any(|o| wearers.contains(&o.person));
        (took_part && near(r.body.span())).then_some(r.id.as_str())
    });
    let by_events = events.iter().filter_map(|e| {
        let took_part = e.actors.iter().any(|p| wearers.contains(p));
        (took_part
            && near(TimeSpan {
                from: e.at,
                to: e.at,
            }))
        .then_some(e.id.as_str())
    });
    by_records
        .chain(by_events)
        .filter(|id| !named.contains(id))
        .collect()
}

/// 打码副本 — a copy of an original with faces or bystanders hidden, for disclosure: a new
/// evidence item that names its original, which is never changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Redaction {
    /// The original's evidence id.
    pub original: String,
    /// The original file's SHA-256, hex (what the copy was made from).
    pub original_sha256: String,
    /// What was hidden, and why.
    pub reason: String,
}

/// What the officers sign about an evidence file: its hash and metadata.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvidenceFacts {
    /// Evidence id (unique in the case).
    pub id: String,
    /// SHA-256 of the original bytes, hex.
    pub sha256: String,
    /// Size in bytes.
    pub size: u64,
    /// MIME type sniffed from the content.
    pub mime: String,
    /// Photo, audio, video or document.
    pub kind: MediaKind,
    /// The file's name when imported (informative only; the type comes from the content).
    pub file_name: String,
    /// What the evidence shows, in the officer's words.
    pub description: String,
    /// When it was captured on this device.
    pub captured_at: Timestamp,
    /// EXIF facts, when present.
    pub exif: Option<ExifSummary>,
    /// SHA-256 of the thumbnail (a blob), hex, when one was made.
    pub thumbnail: Option<String>,
    /// The copy attestation, for copies of documents.
    pub attestation: Option<CopyAttestation>,
    /// The time a recording covers: by this device's clock for one made here, by the camera's
    /// (its file's header: start and length) for a clip imported; absent when neither says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub span: Option<TimeSpan>,
    /// The records (acts) it records, by id: a questioning's 同步录音 names its transcript.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub covers: Vec<String>,
    /// How it came to be kept, when that is worth telling (a recording an interruption ended).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The original this is a redacted copy of, for copies made for disclosure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redacts: Option<Redaction>,
}

/// One enforcement officer's signature on an evidence item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceSignature {
    /// Who.
    pub officer: OfficerRef,
    /// When.
    pub at: Timestamp,
}

/// An evidence item and the officers who signed it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvidenceItem {
    /// What was signed.
    pub facts: EvidenceFacts,
    /// Signatures so far (sealed at two distinct officers).
    pub signatures: Vec<EvidenceSignature>,
    /// The acts officers confirmed it records, after it was captured.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<EvidenceLink>,
    /// Its file deleted with the head's approval, when it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted: Option<EvidenceDeletion>,
}

impl EvidenceItem {
    /// The acts it names as recorded: those it was made for and those officers linked it to.
    pub fn named_acts(&self) -> BTreeSet<&str> {
        self.facts
            .covers
            .iter()
            .chain(self.links.iter().flat_map(|l| &l.acts))
            .map(String::as_str)
            .collect()
    }

    /// Sealed: two distinct enforcement officers have signed its hash and metadata.
    pub fn sealed(&self) -> bool {
        self.signatures
            .iter()
            .map(|s| &s.officer.person)
            .collect::<BTreeSet<_>>()
            .len()
            >= 2
    }

    /// Status in Chinese.
    pub fn status_zh(&self) -> &'static str {
        if self.sealed() {
            "已由两名执法人员签名确认"
        } else {
            "待第二名执法人员签名"
        }
    }
}
