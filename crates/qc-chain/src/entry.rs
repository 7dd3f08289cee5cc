//! One act on the device feed: what was done, by whom, on which case, and the state it left.

use ed25519_dalek::SigningKey;
use qc_domain::{ActKind, DocumentKind, SignersRequired, Timestamp};
use qc_identity::CertId;
use qc_identity::canonical::{self, Tag};
use qc_identity::cert::sign_bytes;
use serde::{Deserialize, Serialize};

use crate::ChainError;

/// Layout tag of an entry of the first layout (read, no longer written): the whole entry in
/// one signed encoding.
pub const ENTRY_TAG: Tag = Tag::new(b"QCENTR", 1);
/// Layout tag of an entry's head (the current layout): what is signed and hashed. It commits to
/// the body by hash, so an entry can be passed on without its body (elided) and its link and
/// device signature still check.
pub const ENTRY_HEAD_TAG: Tag = Tag::new(b"QCENTR", 2);
/// Layout tag of an entry's body: who did what, with which files and records.
pub const ENTRY_BODY_TAG: Tag = Tag::new(b"QCBODY", 1);
/// What a case id is hashed under in an entry's head.
const CASE_COMMITMENT: &[u8] = b"quancheng-case\0";

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
    /// A document (执法文书) was issued: `blobs` are the PDF then its data (JSON), `records`
    /// the data's digest (the one the QR code on every page carries).
    DocumentIssued {
        /// The kind's stable name (`decision`, `transcript`, ...).
        kind: String,
        /// 文号, or empty for a document without one.
        number: String,
    },
    /// 案卷评查 — a closed case's file was reviewed at a desk: `blobs` and `records` are the
    /// review's JSON (`qc_domain::review::CaseFileReview`) and its digest.
    CaseFileReviewed,
    /// 双随机抽查计划 — a random inspection's plan was signed at a desk: `case` is the draw's id
    /// (`qc_domain::draw::DRAW_PREFIX`), `blobs` and `records` the plan's JSON
    /// (`qc_domain::draw::DrawPlan`) and its digest.
    InspectionPlanned,
    /// 双随机抽取 — the draw of a plan logged earlier: `case` is the draw's id, `blobs` and
    /// `records` the result's JSON (`qc_domain::draw::DrawResult`) and its digest.
    InspectionDrawn,
    /// 检查结果 — what the inspection of a drawn target found, recorded at a desk: `case` is
    /// the draw's id, `blobs` and `records` the report's JSON
    /// (`qc_domain::draw::InspectionReport`) and its digest.
    InspectionReported,
    /// 管理操作 — an administrator's change of who may do what, at a desk: `case` is the day's
    /// administration id (`qc_domain::admin::ADMIN_PREFIX`), `blobs` and `records` the act's
    /// JSON (`qc_domain::admin::AdminAct`) and its digest.
    Administered,
    /// 现场检查结果 — what the inspection of a drawn target found, signed on a tablet by the
    /// two enforcement officers drawn to inspect it: `case` is the draw's id, `blobs` and
    /// `records` the report's JSON (`qc_domain::draw::InspectionReport`) and its digest.
    InspectionReportedOnSite,
    /// 搁置 — entries of this device about the case that the station refused (a signer revoked
    /// while the tablet was offline, a case moved away) were set aside by an enforcement
    /// officer: `records` are their hashes (each in this feed before this entry, kept by the
    /// feed without its body), `heads` the document as set back to before them (none when
    /// the case left the device).
    EntriesSetAside,
    /// 关联执法记录 — an enforcement officer confirmed the acts a recording of the case records
    /// (a body camera's clip imported later, matched by time and officer): `records` are the
    /// evidence facts' digest then the digest of the link (`qc_domain::EvidenceLink` as JSON).
    EvidenceLinked,
    /// 删除原件 — the head of unit approved deleting an evidence item's file: `blobs` are the
    /// file's hash (and its thumbnail's), which a bundle may then lack; `records` the evidence
    /// facts' digest then the digest of the deletion (`qc_domain::EvidenceDeletion` as JSON).
    /// The item and its hash stay in the case.
    EvidenceDeleted,
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
            Action::DocumentIssued { kind, .. } => {
                DocumentKind::from_name(kind)?;
                SignersRequired::officers(1)
            }
            Action::MergeConflict => SignersRequired::DEVICE,
            Action::Export => SignersRequired::ANYONE,
            Action::CaseFileReviewed => qc_domain::review::REVIEWERS,
            Action::InspectionPlanned | Action::InspectionDrawn => qc_domain::draw::DRAWERS,
            Action::InspectionReported => qc_domain::draw::REPORTERS,
            Action::Administered => qc_domain::admin::ADMINISTRATORS,
            Action::InspectionReportedOnSite => qc_domain::draw::INSPECTORS,
            Action::EntriesSetAside | Action::EvidenceLinked => SignersRequired::officers(1),
            Action::EvidenceDeleted => qc_domain::APPROVES_DELETION,
        })
    }

    /// Whether an assistant (协管员) may be among the actors: information collection
    /// (registration) and dissuasion (the 721 `advise` act), the acts whose signer roles
    /// include assistants.
    pub fn allows_assistant(&self) -> bool {
        self.signers_required()
            .is_some_and(|s| s.roles.contains(&qc_domain::Role::Assistant))
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
            Action::CaseFileReviewed => "案卷评查".into(),
            Action::InspectionPlanned => "双随机抽查计划".into(),
            Action::InspectionDrawn => "双随机抽取".into(),
            Action::InspectionReported => "双随机检查结果".into(),
            Action::Administered => "管理操作".into(),
            Action::InspectionReportedOnSite => "双随机现场检查结果".into(),
            Action::EntriesSetAside => "搁置未被基站采纳的记录".into(),
            Action::EvidenceLinked => "关联执法记录".into(),
            Action::EvidenceDeleted => "经负责人批准删除原件".into(),
            Action::EvidenceAwaitingSecond => "采集证据（待第二名执法人员签名）".into(),
            Action::EvidenceCosigned => "第二名执法人员签名确认证据".into(),
            Action::DocumentIssued { kind, number } => {
                let title = DocumentKind::from_name(kind).map_or(kind.as_str(), |k| k.title());
                if number.is_empty() {
                    format!("出具{title}")
                } else {
                    format!("出具{title}（{number}）")
                }
            }
        }
    }
}

/// How the id of every device of the bureau's desks begins (`desk-<login>`): the only devices
/// whose feeds may hold a case-file review or a random inspection's acts; no tablet may enrol
/// with such an id.
pub const DESK_DEVICE_PREFIX: &str = "desk-";

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

/// The signed part of an entry (layout 2): where it stands in its device's feed, when, which
/// case (as a hash, so a device that may not see the case learns nothing of it) and the hash of
/// its body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryHead {
    /// The device that recorded the act.
    pub device: String,
    /// Position in the device's feed.
    pub seq: u64,
    /// Hash of the entry at `seq - 1` (zeros for the first).
    pub prev: Digest,
    /// The device clock when the act was recorded.
    pub time: Timestamp,
    /// [`case_commitment`] of the case.
    pub case: Digest,
    /// SHA-256 of the body's bytes.
    pub body: Digest,
}

/// An entry's body (layout 2): the rest of [`Entry`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct EntryBody {
    actors: Vec<CertId>,
    action: Action,
    case: String,
    heads: Vec<Digest>,
    blobs: Vec<Digest>,
    records: Vec<Digest>,
}

/// How an entry's head names a case: SHA-256 of `"quancheng-case\0" ‖ id` (case ids are
/// random, so the hash does not give the id away).
pub fn case_commitment(case: &str) -> Digest {
    canonical::sha256(&[CASE_COMMITMENT, case.as_bytes()].concat())
}

impl Entry {
    /// Canonical bytes of the head and of the body.
    pub fn encode(&self) -> (Vec<u8>, Vec<u8>) {
        let body = canonical::encode(
            ENTRY_BODY_TAG,
            &EntryBody {
                actors: self.actors.clone(),
                action: self.action.clone(),
                case: self.case.clone(),
                heads: self.heads.clone(),
                blobs: self.blobs.clone(),
                records: self.records.clone(),
            },
        );
        let head = canonical::encode(
            ENTRY_HEAD_TAG,
            &EntryHead {
                device: self.device.clone(),
                seq: self.seq,
                prev: self.prev,
                time: self.time,
                case: case_commitment(&self.case),
                body: canonical::sha256(&body),
            },
        );
        (head, body)
    }
}

/// An entry as stored and shipped: its signed bytes (the head; in the first layout, the whole
/// entry), its body, the device's signature and one signature per actor, in the order of
/// `Entry::actors`. Without its body an entry is *elided*: its place in the feed and the
/// device's signature still check, what it records is not there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedEntry {
    /// Canonical bytes of the [`EntryHead`] (or, in the first layout, of the [`Entry`]).
    #[serde(serialize_with = "qc_identity::bytes::one")]
    pub bytes: Vec<u8>,
    /// Canonical bytes of the body (layout 2); absent in the first layout and when elided.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "qc_identity::bytes::optional"
    )]
    pub body: Option<Vec<u8>>,
    /// The device key's signature.
    #[serde(serialize_with = "qc_identity::bytes::one")]
    pub device_sig: Vec<u8>,
    /// The actors' signatures (none when elided).
    #[serde(serialize_with = "qc_identity::bytes::each")]
    pub actor_sigs: Vec<Vec<u8>>,
}

impl SignedEntry {
    /// Signs an entry with the device key and each actor's key (in `entry.actors` order).
    pub fn sign(entry: &Entry, device: &SigningKey, actors: &[&SigningKey]) -> SignedEntry {
        let (bytes, body) = entry.encode();
        SignedEntry {
            device_sig: sign_bytes(device, &bytes),
            actor_sigs: actors.iter().map(|k| sign_bytes(k, &bytes)).collect(),
            bytes,
            body: Some(body),
        }
    }

    /// The entry hash: SHA-256 of the signed bytes.
    pub fn hash(&self) -> Digest {
        canonical::sha256(&self.bytes)
    }

    /// Whether this entry is of the first layout (its bytes hold everything).
    fn first_layout(&self) -> bool {
        self.bytes.starts_with(&ENTRY_TAG.0)
    }

    /// Whether the body was left out (only an entry of the current layout can be elided).
    pub fn is_elided(&self) -> bool {
        !self.first_layout() && self.body.is_none()
    }

    /// The same entry without its body and actor signatures: what a device that may not see
    /// its case gets (an entry of the first layout cannot be elided and stays whole).
    pub fn elided(&self) -> SignedEntry {
        if self.first_layout() {
            return self.clone();
        }
        SignedEntry {
            bytes: self.bytes.clone(),
            body: None,
            device_sig: self.device_sig.clone(),
            actor_sigs: Vec::new(),
        }
    }

    /// The head: what a feed's links and the device's signature need, elided or not (of the
    /// first layout, made from the whole entry, with `body` zeros: its bytes hold the body).
    pub fn head(&self) -> Result<EntryHead, ChainError> {
        let bad = |e: qc_identity::IdentityError| ChainError::Malformed(e.to_string());
        if self.first_layout() {
            let e: Entry = canonical::decode(ENTRY_TAG, &self.bytes).map_err(bad)?;
            return Ok(EntryHead {
                body: [0; 32],
                case: case_commitment(&e.case),
                device: e.device,
                seq: e.seq,
                prev: e.prev,
                time: e.time,
            });
        }
        canonical::decode(ENTRY_HEAD_TAG, &self.bytes).map_err(bad)
    }

    /// The head of an entry whose body, unless it was left out, is the one the head names:
    /// what an entry checked whole once (by its signatures) needs checked again to be read
    /// by its head, without decoding its body ([`Self::entry`] does).
    pub fn checked_head(&self) -> Result<EntryHead, ChainError> {
        let head = self.head()?;
        match self.body.as_deref() {
            Some(body) if !self.first_layout() && canonical::sha256(body) != head.body => Err(
                ChainError::Malformed("the body is not the one the entry's head names".into()),
            ),
            _ => Ok(head),
        }
    }

    /// Decodes the entry (refusing non-canonical bytes, a body that is not the one the head
    /// names, and an elided entry); signatures are not checked here.
    pub fn entry(&self) -> Result<Entry, ChainError> {
        let bad = |e: qc_identity::IdentityError| ChainError::Malformed(e.to_string());
        if self.first_layout() {
            return canonical::decode(ENTRY_TAG, &self.bytes).map_err(bad);
        }
        let head = self.head()?;
        let body = self
            .body
            .as_deref()
            .ok_or_else(|| ChainError::Malformed("the entry is elided (no body)".into()))?;
        if canonical::sha256(body) != head.body {
            return Err(ChainError::Malformed(
                "the body is not the one the entry's head names".into(),
            ));
        }
        let b: EntryBody = canonical::decode(ENTRY_BODY_TAG, body).map_err(bad)?;
        if case_commitment(&b.case) != head.case {
            return Err(ChainError::Malformed(
                "the body's case is not the one the entry's head names".into(),
            ));
        }
        Ok(Entry {
            device: head.device,
            seq: head.seq,
            prev: head.prev,
            time: head.time,
            actors: b.actors,
            action: b.action,
            case: b.case,
            heads: b.heads,
            blobs: b.blobs,
            records: b.records,
        })
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
