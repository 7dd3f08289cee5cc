//! One act on the device feed: what was done, by whom, on which case, and the state it left.

use ed25519_dalek::SigningKey;
use qc_domain::{ActKind, SignersRequired, Timestamp};
use qc_identity::CertId;
use qc_identity::canonical::{self, Tag};
use qc_identity::cert::sign_bytes;
use serde::{Deserialize, Serialize};

use crate::ChainError;

/// Layout tag of an entry; bump the version to change the layout.
pub const ENTRY_TAG: Tag = Tag::new(b"QCENTR", 1);

/// A SHA-256 digest.
pub type Digest = [u8; 32];

/// What kind of act an entry records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Action {
    /// 登记 — a case was registered.
    CaseRegistered,
    /// A workflow act of the case lifecycle (立案, 决定, 送达 ...), by its stable name.
    Workflow {
        /// The act's English name (`file`, `decide`, ...).
        act: String,
    },
    /// A record (inspection record, transcript page ...) was created.
    RecordCreated,
    /// A record was edited before sealing.
    RecordEdited,
    /// A record was sealed by the signatures the procedure requires.
    RecordSealed,
    /// Evidence was captured (its blob hashes are in the entry).
    EvidenceCaptured,
    /// A signature was added to a record or evidence item.
    SignatureAdded,
    /// A party's or witness's refusal to sign was noted by the officers.
    RefusalNoted,
    /// A correction (更正) pointing at what it corrects.
    Correction {
        /// Digest of the corrected record.
        corrects: Digest,
    },
    /// A merge brought an edit that conflicts with sealed content; it was kept and flagged.
    MergeConflict,
    /// The case file was exported.
    Export,
    /// Evidence captured and signed by one enforcement officer; it awaits the second.
    EvidenceAwaitingSecond,
    /// A second enforcement officer co-signed evidence captured by another one: with the
    /// awaiting entry for the same record digest, two officers have signed it.
    EvidenceCosigned,
}

impl Action {
    /// Who must sign this act itself, whoever signed for the device (调查取证 needs two
    /// enforcement officers; evidence signed one at a time needs one per entry, and the pair
    /// is checked across entries; a workflow act, the roles its kind needs). `None` for a
    /// workflow act of no known kind.
    pub fn signers_required(&self) -> Option<SignersRequired> {
        Some(match self {
            Action::CaseRegistered => SignersRequired::REGISTRAR,
            Action::Workflow { act } => ActKind::from_name(act)?.signers(),
            Action::EvidenceCaptured | Action::RecordSealed => SignersRequired::officers(2),
            Action::RecordCreated
            | Action::RecordEdited
            | Action::SignatureAdded
            | Action::RefusalNoted
            | Action::Correction { .. }
            | Action::EvidenceAwaitingSecond
            | Action::EvidenceCosigned => SignersRequired::officers(1),
            Action::MergeConflict => SignersRequired::DEVICE,
            Action::Export => SignersRequired::ANYONE,
        })
    }

    /// Whether an assistant (协管员) may be among the actors (information collection only).
    pub fn allows_assistant(&self) -> bool {
        matches!(self, Action::CaseRegistered)
    }

    /// Chinese description for reports.
    pub fn zh(&self) -> String {
        match self {
            Action::CaseRegistered => "登记案件".into(),
            Action::Workflow { act } => format!("办案流程：{act}"),
            Action::RecordCreated => "制作笔录".into(),
            Action::RecordEdited => "修改笔录".into(),
            Action::RecordSealed => "笔录签名封存".into(),
            Action::EvidenceCaptured => "采集证据".into(),
            Action::SignatureAdded => "签名".into(),
            Action::RefusalNoted => "注明拒绝签名".into(),
            Action::Correction { .. } => "更正".into(),
            Action::MergeConflict => "合并冲突待复核".into(),
            Action::Export => "导出案卷".into(),
            Action::EvidenceAwaitingSecond => "采集证据（待第二名执法人员签名）".into(),
            Action::EvidenceCosigned => "第二名执法人员签名确认证据".into(),
        }
    }
}

/// An entry of a device's feed. Its canonical bytes are what the device and actors sign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The device that recorded the act.
    pub device: String,
    /// Position in the device's feed, from 1 with no gaps. It is the order of acts on the
    /// device: a changed device clock cannot reorder them.
    pub seq: u64,
    /// Hash of the entry at `seq - 1` (zeros for the first).
    pub prev: Digest,
    /// The device clock when the act was recorded.
    pub time: Timestamp,
    /// Certificates of the people who acted, in signing order.
    pub actors: Vec<CertId>,
    /// What was done.
    pub action: Action,
    /// The case.
    pub case: String,
    /// The case document's Automerge heads after the act, sorted.
    pub heads: Vec<Digest>,
    /// Blobs (evidence files) the act touched.
    pub blobs: Vec<Digest>,
    /// Record digests the act touched.
    pub records: Vec<Digest>,
}

impl Entry {
    /// Canonical bytes.
    pub fn encode(&self) -> Vec<u8> {
        canonical::encode(ENTRY_TAG, self)
    }
}

/// An entry as stored and shipped: canonical bytes, the device's signature and one signature per
/// actor, in the order of `Entry::actors`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedEntry {
    /// Canonical bytes of the [`Entry`].
    pub bytes: Vec<u8>,
    /// The device key's signature.
    pub device_sig: Vec<u8>,
    /// The actors' signatures.
    pub actor_sigs: Vec<Vec<u8>>,
}

impl SignedEntry {
    /// Signs an entry with the device key and each actor's key (in `entry.actors` order).
    pub fn sign(entry: &Entry, device: &SigningKey, actors: &[&SigningKey]) -> SignedEntry {
        let bytes = entry.encode();
        SignedEntry {
            device_sig: sign_bytes(device, &bytes),
            actor_sigs: actors.iter().map(|k| sign_bytes(k, &bytes)).collect(),
            bytes,
        }
    }

    /// The entry hash: SHA-256 of the canonical bytes.
    pub fn hash(&self) -> Digest {
        canonical::sha256(&self.bytes)
    }

    /// Decodes the entry (refusing non-canonical bytes); signatures are not checked here.
    pub fn entry(&self) -> Result<Entry, ChainError> {
        canonical::decode(ENTRY_TAG, &self.bytes).map_err(|e| ChainError::Malformed(e.to_string()))
    }
}

/// Where a device's feed stands: the next entry links to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct FeedHead {
    /// Last `seq` written (0 for an empty feed).
    pub seq: u64,
    /// Hash of the last entry (zeros for an empty feed).
    pub hash: Digest,
}

impl FeedHead {
    /// The head after appending `e`.
    pub fn after(e: &SignedEntry, entry: &Entry) -> FeedHead {
        FeedHead {
            seq: entry.seq,
            hash: e.hash(),
        }
    }
}
