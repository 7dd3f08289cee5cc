//! The base station's logic, without HTTP: authenticate a request, enrol a device, accept a
//! device's entries (verify, log, receipt), prove the log's consistency.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::IpAddr;
use std::sync::{Mutex, MutexGuard, PoisonError, RwLock};

use ed25519_dalek::{SigningKey, VerifyingKey};
use qc_casedoc::{CaseDoc, DocError};
use qc_chain::{Action, Digest, FeedHead, Problem, SignedEntry, verify_feed_after_with};
use qc_domain::{CaseView, Person, Timestamp};
use qc_identity::{BureauKey, SignedCertificate, SignedRevocationList, Subject, TrustAnchor};
use qc_sync::auth::{AuthError, NONCE_TTL_MS, RequestAuth, is_device_id};
use qc_sync::wire::{
    CaseHeads, ConsistencyResponse, DocChanges, DocsAck, DocsDown, DocsUp, DocsWant, EnrolRequest,
    EnrolResponse, EntryReceipt, ErrorBody, OfficerEnrolRequest, OfficerEnrolResponse, PushEntries,
    PushResponse, RefusedEntry, SyncRequest, SyncResponse,
};
use sha2::{Digest as _, Sha256};
use thiserror::Error;

use crate::storage::rows::CaseRow;
use crate::storage::{CaseMeta, Grant, KeptDoc, NonceUse, Pull, Storage, StorageError, TreeState};

pub use check::{HEAD_BYTES, HeldCase, HeldFile, HeldReview};
pub use desk::{DESK_PREFIX, DeskSigner, Exported, desk_device};
pub use draw::Draw;

mod attempts;
mod blobs;
pub mod bureau;
mod check;
mod desk;
mod draw;
mod freshness;
mod log;
mod rows;

pub use attempts::{WRONG_CODES_IN_ALL, WRONG_CODES_PER_SOURCE, WRONG_CODES_WINDOW_MS};
pub use blobs::{CaseBlob, Chunk};
pub use log::LogStats;

/// How long an enrolment code works.
pub const CODE_VALID_MS: i64 = 24 * 3600 * 1000;
/// Longest device label, in characters.
pub const MAX_LABEL: usize = 64;
/// How long a device certificate is valid.
pub const DEVICE_CERT_MS: i64 = 2 * 365 * 24 * 3600 * 1000;

/// Why the server refuses or fails a request.
#[derive(Debug, Error)]
pub enum ServiceError {
    /// Authentication failed.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// The request is malformed.
    #[error("bad request: {0}")]
    BadRequest(String),
    /// Entries that do not verify or may not be logged; nothing of the upload was accepted.
    #[error("uploaded entries refused: {}", .0.en())]
    Refused(Refusal),
    /// Not allowed.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// Nothing of that name here (or not for this device).
    #[error("not found: {0}")]
    NotFound(String),
    /// An upload chunk that does not continue what was received.
    #[error("upload out of step: {0}")]
    OutOfStep(String),
    /// A blob whose bytes do not match its hash; what was received is discarded.
    #[error("blob {0} does not match its hash; upload it again")]
    BlobMismatch(String),
    /// Too many wrong enrolment codes from this source or in all; nothing was tried.
    #[error("too many wrong enrolment codes; try again in {retry_after_s} s")]
    TooManyAttempts {
        /// Seconds until codes are taken again.
        retry_after_s: u64,
    },
    /// More requests than the station takes at once are waiting; nothing was done.
    #[error("the station is busy")]
    Busy,
    /// The request did not arrive in time; nothing was done.
    #[error("the request was sent too slowly")]
    SlowRequest,
    /// A request body over the route's limit; it was not read.
    #[error("request body over {0} bytes")]
    TooLarge(usize),
    /// A case whose evidence files together are over what the station builds a bundle of.
    #[error("the case's files ({bytes} bytes) are over the {limit}-byte limit of an export here")]
    ExportTooLarge {
        /// The files' bytes in all.
        bytes: u64,
        /// The limit.
        limit: u64,
    },
    /// A device whose app speaks a protocol older than the station serves
    /// ([`qc_sync::OLDEST_PROTOCOL`]; what it sent, if anything): nothing was done.
    #[error("the device speaks {0}, older than the station serves")]
    Outdated(String),
    /// Storage failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl ServiceError {
    /// HTTP status.
    pub fn status(&self) -> u16 {
        match self {
            ServiceError::Auth(a) => a.status(),
            ServiceError::BadRequest(_) => 400,
            ServiceError::Refused(_) => 422,
            ServiceError::Forbidden(_) => 403,
            ServiceError::NotFound(_) => 404,
            ServiceError::OutOfStep(_) => 409,
            ServiceError::BlobMismatch(_) => 422,
            ServiceError::TooManyAttempts { .. } => 429,
            ServiceError::Busy => 503,
            ServiceError::SlowRequest => 408,
            ServiceError::TooLarge(_) | ServiceError::ExportTooLarge { .. } => 413,
            ServiceError::Outdated(_) => 426,
            ServiceError::Storage(_) => 500,
        }
    }

    /// What a person is told, in English (beside the body's Chinese `message`; `detail` is
    /// for logs).
    pub fn message_en(&self) -> String {
        match self {
            ServiceError::Auth(_) => "The request's signature was not accepted".into(),
            ServiceError::BadRequest(_) => "The request is not well formed".into(),
            ServiceError::Refused(r) => {
                format!(
                    "The uploaded records did not verify; none was taken: {}",
                    r.en()
                )
            }
            ServiceError::Forbidden(_) => "Not allowed".into(),
            ServiceError::NotFound(_) => "The station holds no such thing".into(),
            ServiceError::OutOfStep(_) => {
                "The upload is out of step; it resumes from where it stopped".into()
            }
            ServiceError::BlobMismatch(_) => {
                "The evidence file does not match its hash and was not taken; upload it again"
                    .into()
            }
            ServiceError::TooManyAttempts { retry_after_s } => format!(
                "Too many wrong enrolment codes; try again in {} minutes",
                retry_after_s.div_ceil(60)
            ),
            ServiceError::Busy => "The station is busy; try again shortly".into(),
            ServiceError::SlowRequest => {
                "The request came too slowly and was cut; try again".into()
            }
            ServiceError::TooLarge(_) => {
                "The request is too large; the station did not take it".into()
            }
            ServiceError::ExportTooLarge { bytes, limit } => format!(
                "The case's files come to {} MB, over the {} MB a station exports; export it on a \
                 tablet",
                bytes.div_ceil(1 << 20),
                limit >> 20
            ),
            ServiceError::Outdated(_) => {
                "This device's app is too old for the station: update the app, then sync (what \
                 it has not synced stays on the device)"
                    .into()
            }
            ServiceError::Storage(_) => "The station's storage failed; try again later".into(),
        }
    }

    /// The body the client receives.
    pub fn body(&self) -> ErrorBody {
        let (code, message) = match self {
            ServiceError::Auth(a) => (a.code(), a.message_zh()),
            ServiceError::BadRequest(_) => ("bad_request", "请求格式错误".into()),
            ServiceError::Refused(r) => (
                "entries_refused",
                format!("上传的记录未通过验证，均未接收：{}", r.zh()),
            ),
            ServiceError::Forbidden(_) => ("forbidden", "无权进行此操作".into()),
            ServiceError::NotFound(_) => ("not_found", "基站没有该内容".into()),
            ServiceError::OutOfStep(_) => {
                ("upload_out_of_step", "上传进度不一致，将从断点续传".into())
            }
            ServiceError::BlobMismatch(_) => (
                "blob_mismatch",
                "证据文件与其哈希值不符，基站未接收，请重新上传".into(),
            ),
            ServiceError::TooManyAttempts { retry_after_s } => (
                "too_many_attempts",
                format!(
                    "登记码错误次数过多，请{}分钟后再试",
                    retry_after_s.div_ceil(60)
                ),
            ),
            ServiceError::Busy => ("station_busy", "基站繁忙，请稍后重试".into()),
            ServiceError::SlowRequest => ("request_timeout", "请求发送过慢，已中断，请重试".into()),
            ServiceError::TooLarge(_) => ("body_too_large", "请求内容过大，基站未接收".into()),
            ServiceError::ExportTooLarge { bytes, limit } => (
                "export_too_large",
                format!(
                    "该案证据文件共 {} MB，超过在基站导出的上限 {} MB，请在平板上导出",
                    bytes.div_ceil(1 << 20),
                    limit >> 20
                ),
            ),
            ServiceError::Outdated(_) => (
                "app_outdated",
                "本设备的应用版本过旧，基站不再接受其同步。请先更新应用再同步，未同步的记录仍保存在本设备上"
                    .into(),
            ),
            ServiceError::Storage(_) => ("server_storage", "基站存储出错，请稍后重试".into()),
        };
        ErrorBody {
            code: code.into(),
            message,
            detail: self.to_string(),
            entries: match self {
                ServiceError::Refused(r) => r.entries.clone(),
                _ => Vec::new(),
            },
            revocations: match self {
                ServiceError::Refused(r) => r.revocations.clone(),
                _ => None,
            },
        }
    }
}

/// Why an upload was refused.
#[derive(Debug, Clone, Default)]
pub struct Refusal {
    /// What the verifier found (none when the station's own rules refused).
    pub problems: Vec<Problem>,
    /// The entries refused for what each one is, with why: a device may set them aside.
    pub entries: Vec<RefusedEntry>,
    /// The revocation list in force, sent with refused entries.
    pub revocations: Option<SignedRevocationList>,
    /// Those of `entries` refused for what their hash covers (their act, its signers, a case
    /// the station holds out of the device's view), so refused however they are sent: the
    /// station keeps them, and only they begin what the device may set aside.
    settled: Vec<Digest>,
}

impl Refusal {
    /// The verifier's findings about the upload `new`: each problem about one entry names it.
    pub fn found(problems: Vec<Problem>, new: &[SignedEntry]) -> Refusal {
        let mut refusal = Refusal::default();
        for p in &problems {
            let Some(i) = p.entry_index() else { continue };
            let Some(e) = new.get(i) else { continue };
            // A signature missing or spoiled on the way also leaves its signer uncounted:
            // the act is judged only when all of it came as signed.
            let as_signed = problems
                .iter()
                .all(|q| q.entry_index() != Some(i) || !q.in_transit());
            refusal.name(&e.hash(), p.zh(), as_signed && p.judges_the_act());
        }
        refusal.problems = problems;
        refusal
    }

    /// One entry refused by the station's own rules, with why (in Chinese); `settled` when
    /// for what its hash covers.
    fn one(entry: &Digest, reason: String, settled: bool) -> Refusal {
        let mut refusal = Refusal::default();
        refusal.name(entry, reason, settled);
        refusal
    }

    /// Names `entry` as refused, with why.
    fn name(&mut self, entry: &Digest, reason: String, settled: bool) {
        self.entries.push(RefusedEntry {
            entry: hex::encode(entry),
            reason,
            kept: settled,
        });
        if settled && !self.settled.contains(entry) {
            self.settled.push(*entry);
        }
    }

    /// Why, in English (the first reason).
    fn en(&self) -> String {
        match (self.problems.first(), self.entries.first()) {
            (Some(p), _) => p.en(),
            (None, Some(e)) => format!("entry {}: {}", e.entry, e.reason),
            (None, None) => String::new(),
        }
    }

    /// Why, in Chinese (the first reason).
    fn zh(&self) -> String {
        match (self.problems.first(), self.entries.first()) {
            (Some(p), _) => p.zh(),
            (None, Some(e)) => e.reason.clone(),
            (None, None) => String::new(),
        }
    }
}

/// The keys and certificates the base station works with.
pub struct Identity {
    /// The bureau key: it issues device certificates at enrolment.
    pub bureau: BureauKey,
    /// The log key: it signs checkpoints.
    pub log_key: SigningKey,
    /// People's certificates (and the bureau's own devices').
    pub certificates: Vec<SignedCertificate>,
    /// What the keys of the devices desk accounts act through are derived from.
    pub desk_seed: [u8; 32],
    /// The revocation list in force.
    pub revocations: Option<SignedRevocationList>,
}

/// The base station. Shared by the requests it serves at once: what changes is behind locks
/// of its own, each held briefly, and the log's is the only one a sync waits on.
pub struct Service<S: Storage> {
    storage: S,
    identity: Identity,
    /// The trust anchor and the revocation list in force (a newer list may arrive from the
    /// administrator at any time).
    trust: RwLock<Trust>,
    /// Uploads of a file the station already keeps, sent again for another case: the running
    /// SHA-256 of what arrived, by (case, hash). See `blobs`.
    proofs: Mutex<BTreeMap<(String, Digest), (u64, Sha256)>>,
    /// The uploads a request is writing a chunk of, so two requests never write one upload at
    /// once (uploads of different files go on side by side).
    blob_writes: blobs::Writing,
    /// Verified uploads waiting to be appended to the log together.
    batches: log::Batches,
    /// The log's tiles this process read, each as far as a request's tree held it.
    known_tiles: log::KnownTiles,
    /// The bureau's files as this instance last read them (see `bureau`).
    bureau: Mutex<bureau::BureauCache>,
    /// What each device last said of the bureau's files, as this instance last kept it.
    bureau_told: Mutex<HashMap<String, (qc_sync::wire::BureauSeen, Timestamp)>>,
    /// When this instance last noted each device seen in the store (at most every
    /// [`SEEN_EVERY_MS`], along with a request's nonce).
    seen: Mutex<HashMap<String, Timestamp>>,
    /// The certificates each device's latest standing was read with, and when: the scope of
    /// its request, taken from them while the standing stands ([`PRECHECK_STANDS_MS`]).
    standings: Mutex<HashMap<String, (Timestamp, Vec<SignedCertificate>)>>,
    /// The inspection tasks of the draws made lately, as this instance last read them (again
    /// once an act names a draw, at any instance).
    tasks: Mutex<draw::TaskCache>,
    /// The random inspections as this instance last read and checked them.
    draws: Mutex<draw::DrawCache>,
    /// The checkpoint this instance signed last, answering for its tree a little while.
    last_checkpoint: Mutex<Option<log::LastCheckpoint>>,
}

/// How often a revocation is built again on a list another process kept meanwhile.
const LIST_TRIES: usize = 8;

/// How stale the kept time a device was last seen may get: the console counts days.
pub const SEEN_EVERY_MS: i64 = 10 * 60 * 1000;

/// How long a request's precheck stands for its authentication (its body read meanwhile), in
/// milliseconds: a revocation made in that time is in force from the device's next request.
pub const PRECHECK_STANDS_MS: i64 = 1000;

/// A device found enrolled and in good standing from a request's headers
/// ([`Service::precheck`]), and when.
#[derive(Debug, Clone)]
pub struct Standing {
    device: String,
    key: VerifyingKey,
    at: Timestamp,
}

/// A device's request whose signature, device and freshness were checked
/// ([`Service::verify_request`]), its nonce not yet taken: [`Service::take_nonce`] takes it
/// at once, a sync with its first read ([`Service::sync_verified`]).
#[derive(Debug, Clone)]
pub struct Verified {
    device: String,
    nonce: [u8; 16],
    time: Timestamp,
    now: Timestamp,
}

impl Verified {
    /// The device whose request it is.
    pub fn device(&self) -> &str {
        &self.device
    }
}

/// Whom the station trusts.
struct Trust {
    anchor: TrustAnchor,
    revocations: Option<SignedRevocationList>,
}

/// Takes a lock; a request that panicked holding it left the state as it was between
/// requests (every change is kept in the store first), so the next one carries on.
fn locked<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The cases a device may see and change, and the certificates that say so as this request
/// read them (the device's own, last, and its people's: what its entries are checked against).
struct Scope(CaseView, Vec<SignedCertificate>);

impl Scope {
    /// Whether one case is in scope (a sync's list of cases is read by the view itself, see
    /// [`Storage::case_metas_seen`]).
    fn sees(&self, meta: &CaseMeta) -> bool {
        self.0.sees(&meta.squad, meta.status)
    }
}

/// A device's changes merged into the station's copy of a case, checked but not yet kept.
struct MergedDoc {
    case: String,
    meta: CaseMeta,
    /// What the device's scope is judged by: the station's copy before the merge (a device
    /// may act a case out of its own view, e.g. a legal reviewer's opinion), the merged one
    /// for a case new here.
    seen: CaseMeta,
    doc: CaseDoc,
    /// The document as read for `meta` (its row derives from it too).
    read: rows::Replayed,
    /// The heads of the station's copy it was merged into (`None`: a case new here).
    over: Option<Vec<Digest>>,
    /// The device's changes, to merge again should that copy change meanwhile.
    changes: Vec<Vec<u8>>,
}

/// What a sync sends down ([`Service::pull_within`]): the changes and entries, where the log
/// holds each entry (index and hash), and the tree the entries were read with (none when none
/// were read).
struct Pulled {
    down: DocsDown,
    at: Vec<(u64, Digest)>,
    tree: Option<TreeState>,
}

/// What a sync's upload read first ([`Service::first_read`]).
#[derive(Default)]
struct FirstRead {
    unlogged: Option<log::Unlogged>,
    /// The station's copies of the cases whose documents came, by case.
    held: BTreeMap<String, (CaseMeta, Vec<u8>)>,
    /// The bureau's files' digests.
    bureau: Option<Vec<(String, Digest)>>,
}

/// How often a request merges its changes again into copies other requests kept meanwhile.
const KEEP_TRIES: usize = 8;

/// A kept case document, loaded: its bytes and the document (one that does not load is
/// damage).
fn stored_doc<S: Storage>(
    storage: &S,
    case: &str,
) -> Result<Option<(Vec<u8>, CaseDoc)>, StorageError> {
    storage
        .case_doc(case)?
        .map(|(_, bytes)| {
            let doc = CaseDoc::load(&bytes, b"station")
                .map_err(|e| StorageError::Damaged(format!("case {case}: {e}")))?;
            Ok((bytes, doc))
        })
        .transpose()
}

/// What the station records of a case document, and the document as read for it.
fn meta_of(doc: &mut CaseDoc) -> Result<(CaseMeta, rows::Replayed), DocError> {
    let read = rows::Replayed::of(doc)?;
    let meta = CaseMeta {
        squad: read.state.header.squad.clone(),
        status: read.state.status,
        heads: doc.heads_digests(),
    };
    Ok((meta, read))
}

/// A revocation list's number (none for no list, or one that does not decode).
fn list_number(crl: Option<&SignedRevocationList>) -> Option<u64> {
    crl.and_then(|c| c.decode_unverified().ok())
        .map(|l| l.number)
}

/// A public key sent for certification: 32 bytes of hex that make a usable Ed25519 key.
fn key_from_hex(hex_key: &str) -> Result<[u8; 32], ServiceError> {
    qc_sync::wire::public_key_from_hex(hex_key)
        .ok_or_else(|| ServiceError::BadRequest("public_key is not a 32-byte Ed25519 key".into()))
}

fn code_hash(code: &str) -> [u8; 32] {
    let normalised: String = code.chars().filter(char::is_ascii_alphanumeric).collect();
    Sha256::digest(normalised.to_ascii_uppercase().as_bytes()).into()
}

impl<S: Storage> Service<S> {
    /// Starts on `storage`: checks the stored log still matches the last checkpoint it signed
    /// (a store changed behind its back is refused).
    pub fn new(storage: S, mut identity: Identity) -> Result<Service<S>, ServiceError> {
        // The newer of the list the bureau holds and the one kept here is in force, and kept.
        let kept = storage.revocations()?;
        let number = |c: &Option<SignedRevocationList>| list_number(c.as_ref());
        if number(&kept) > number(&identity.revocations) {
            identity.revocations = kept;
        } else if let Some(crl) = &identity.revocations
            && number(&kept) < number(&identity.revocations)
        {
            // Another process keeping a list meanwhile is read at the next refresh.
            storage.put_revocations(crl, kept.as_ref())?;
        }
        let anchor = TrustAnchor::new(identity.bureau.public(), identity.revocations.as_ref())
            .map_err(|e| ServiceError::BadRequest(e.to_string()))?;
        let revocations = identity.revocations.take();
        Self::check_log(&storage, &identity.log_key.verifying_key())?;
        // Kept before the station recorded heads and status: read them from the document.
        for case in storage.cases_without_heads()? {
            if let Some((bytes, mut doc)) = stored_doc(&storage, &case)? {
                let (meta, _) = meta_of(&mut doc)
                    .map_err(|e| StorageError::Damaged(format!("case {case}: {e}")))?;
                storage.put_case_doc(&case, &meta, &bytes)?;
            }
        }
        let bureau = bureau::BureauCache::read(&storage)?;
        // Kept before the station kept its case list (or a stop between the two writes).
        for case in storage.cases_without_rows()? {
            if let Some((_, doc)) = stored_doc(&storage, &case)? {
                rows::keep_row(&storage, &case, &doc, &bureau.catalogue())?;
            }
        }
        Ok(Service {
            storage,
            identity,
            trust: RwLock::new(Trust {
                anchor,
                revocations,
            }),
            proofs: Mutex::default(),
            blob_writes: blobs::Writing::default(),
            batches: log::Batches::default(),
            known_tiles: log::KnownTiles::default(),
            bureau: Mutex::new(bureau),
            bureau_told: Mutex::default(),
            seen: Mutex::default(),
            standings: Mutex::default(),
            tasks: Mutex::default(),
            draws: Mutex::default(),
            last_checkpoint: Mutex::default(),
        })
    }

    /// Whether `device` seen `now` is to be noted in the store: what this instance noted last
    /// is older than [`SEEN_EVERY_MS`].
    fn seen_due(&self, device: &str, now: Timestamp) -> bool {
        locked(&self.seen)
            .get(device)
            .is_none_or(|last| now.0 - last.0 >= SEEN_EVERY_MS)
    }

    /// Finishes what a stopped station left: the deletions (删除原件) it had begun or had yet
    /// to do for approvals it logged, then every upload whose last byte arrived just before it
    /// stopped, kept or discarded so the device that sent it hears the truth when it asks. For
    /// the process that serves (an administrator's command opening the same files must not
    /// race it); a device asking about such an upload has it finished then too. Returns how
    /// many uploads were finished.
    pub fn finish_interrupted(&self) -> Result<usize, ServiceError> {
        self.finish_due_deletions()?;
        let mut finished = 0;
        for hash in self.storage.unfinished_blobs()? {
            match self.finish_received(&hash)? {
                Some(true) => finished += 1,
                Some(false) => {
                    tracing::warn!(blob = hex::encode(hash), "unfinished upload discarded");
                    finished += 1;
                }
                None => {}
            }
        }
        Ok(finished)
    }

    /// The log key (devices pin it at enrolment).
    pub fn log_key(&self) -> [u8; 32] {
        self.identity.log_key.verifying_key().to_bytes()
    }

    /// Number of entries in the log.
    pub fn log_size(&self) -> Result<u64, ServiceError> {
        Ok(self.storage.log_head()?.tree.size)
    }

    /// Takes up a newer revocation list than the one in force (the administrator may have
    /// revoked a device or a person from another process on this station's files).
    fn refresh_revocations(&self) -> Result<(), ServiceError> {
        self.take_up_revocations(self.storage.revocations()?)
    }

    /// Takes up `kept` (the list as read from the store) if it is newer than the one in force.
    fn take_up_revocations(&self, kept: Option<SignedRevocationList>) -> Result<(), ServiceError> {
        let Some(kept) = kept else {
            return Ok(());
        };
        let number = list_number(Some(&kept));
        if number > Some(self.trust().anchor.revocations().number) {
            let anchor = TrustAnchor::new(self.identity.bureau.public(), Some(&kept))
                .map_err(|e| StorageError::Damaged(e.to_string()))?;
            let mut trust = self.trust.write().unwrap_or_else(PoisonError::into_inner);
            // Another request may have taken up a newer one meanwhile.
            if number > Some(trust.anchor.revocations().number) {
                *trust = Trust {
                    anchor,
                    revocations: Some(kept),
                };
            }
        }
        Ok(())
    }

    /// Puts a revocation list the bureau signed in force at every process on this store, if
    /// it is newer than the one kept (an administrator's revocation, made on any machine).
    pub fn put_revocations(&self, crl: &SignedRevocationList) -> Result<(), ServiceError> {
        let list = TrustAnchor::new(self.identity.bureau.public(), Some(crl))
            .map_err(|e| ServiceError::BadRequest(e.to_string()))?;
        for _ in 0..LIST_TRIES {
            let kept = self.storage.revocations()?;
            if Some(list.revocations().number) <= list_number(kept.as_ref()) {
                if kept.as_ref().is_some_and(|k| k.bytes != crl.bytes) {
                    // Another list of that number or a newer one is in force: this one,
                    // built on an older list, would lose what that one revoked.
                    return Err(ServiceError::OutOfStep(
                        "the station holds a newer revocation list; revoke at the station".into(),
                    ));
                }
                break;
            }
            if self.storage.put_revocations(crl, kept.as_ref())? {
                break;
            }
        }
        self.refresh_revocations()
    }

    /// The revocation list in force: the newest any process on this store has kept (another
    /// instance, or the command line, may have revoked since this one last looked).
    pub fn revocations(&self) -> Result<Option<SignedRevocationList>, ServiceError> {
        self.refresh_revocations()?;
        Ok(self.trust().revocations.clone())
    }

    fn trust(&self) -> std::sync::RwLockReadGuard<'_, Trust> {
        self.trust.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// The certificates issued here for a person's keys on devices.
    pub fn person_certificates(
        &self,
        person: &str,
    ) -> Result<Vec<SignedCertificate>, ServiceError> {
        Ok(self
            .storage
            .officer_certs()?
            .into_iter()
            .map(|(_, c)| c)
            .filter(|c| {
                c.decode_unverified()
                    .ok()
                    .and_then(|c| c.person())
                    .is_some_and(|p| p.id.0 == person)
            })
            .collect())
    }

    /// An enrolled device's certificate.
    pub fn device_certificate(&self, id: &str) -> Result<Option<SignedCertificate>, ServiceError> {
        Ok(self.storage.device(id)?)
    }

    /// Revokes a lost device and the people's keys made on it, from `now`, with the bureau key
    /// this station holds (`reason` kept in the list): in force here at once and in every
    /// process on the store at its next request. Returns the list and how many certificates
    /// it added.
    pub fn revoke_device(
        &self,
        device: &str,
        reason: &str,
        now: Timestamp,
    ) -> Result<(SignedRevocationList, usize), ServiceError> {
        if reason.trim().is_empty() {
            return Err(ServiceError::BadRequest("吊销理由不能为空".into()));
        }
        let cert = self
            .storage
            .device(device)?
            .ok_or_else(|| ServiceError::NotFound(format!("device {device}")))?;
        let mut certs = vec![cert];
        certs.extend(self.storage.officer_certs_of(device)?);
        let (crl, added) = self
            .revoke_certificates(&certs, reason, now)?
            .ok_or_else(|| ServiceError::BadRequest(format!("设备 {device} 已被吊销")))?;
        tracing::warn!(device, added, "device revoked at the station");
        Ok((crl, added))
    }

    /// Adds `certs` to the revocation list from `now` with the bureau key and keeps the list;
    /// `None` when all of them were revoked already (nothing changed).
    pub fn revoke_certificates(
        &self,
        certs: &[SignedCertificate],
        reason: &str,
        now: Timestamp,
    ) -> Result<Option<(SignedRevocationList, usize)>, ServiceError> {
        // Built on the list kept and kept only in its place: a revocation made meanwhile by
        // another request or process is read again and built on, never overwritten.
        for _ in 0..LIST_TRIES {
            let kept = self.storage.revocations()?;
            let current = TrustAnchor::new(self.identity.bureau.public(), kept.as_ref())
                .map_err(|e| StorageError::Damaged(e.to_string()))?
                .revocations()
                .clone();
            let Some((crl, added)) = self
                .identity
                .bureau
                .revoke_more(&current, certs, reason, now)
            else {
                return Ok(None);
            };
            if self.storage.put_revocations(&crl, kept.as_ref())? {
                self.refresh_revocations()?;
                return Ok(Some((crl, added)));
            }
        }
        Err(ServiceError::OutOfStep(
            "the revocation list kept changing; try again".into(),
        ))
    }

    /// The key of an enrolled device in good standing at `now`.
    fn standing(&self, device: &str, now: Timestamp) -> Result<Standing, ServiceError> {
        let read = self.storage.device_standing(device)?;
        self.take_up_revocations(read.revocations)?;
        let signed = read
            .certificates
            .last()
            .ok_or_else(|| AuthError::UnknownDevice(device.into()))?;
        let revoked = || AuthError::Revoked(device.into());
        let trust = self.trust();
        let (cert, key) = trust
            .anchor
            .verify_issued_key(signed)
            .map_err(|_| revoked())?;
        trust
            .anchor
            .check_valid_at(&signed.id(), &cert, now)
            .map_err(|_| revoked())?;
        locked(&self.standings).insert(device.to_owned(), (now, read.certificates));
        Ok(Standing {
            device: device.to_owned(),
            key,
            at: now,
        })
    }

    /// What can be checked of a request before its body is read: the headers name an
    /// enrolled device in good standing and a fresh time. A stranger is refused without the
    /// station reading (and holding) what it sends; [`Service::verify_request`] checks it all.
    pub fn precheck<'a>(
        &self,
        header: impl Fn(&str) -> Option<&'a str>,
        now: Timestamp,
    ) -> Result<Standing, ServiceError> {
        let auth = RequestAuth::from_headers(header)?;
        let standing = self.standing(&auth.device, now)?;
        auth.check_time(now)?;
        Ok(standing)
    }

    /// The store the station keeps its state in (the console works on it too).
    pub fn storage(&self) -> &S {
        &self.storage
    }

    /// Takes a verified request's nonce on its own (once, kept in the store so a replay fails
    /// after a restart too; refused as a replay when taken before).
    pub fn take_nonce(&self, verified: &Verified) -> Result<(), ServiceError> {
        self.take_alone(Some(&self.nonce_use(verified)))
    }

    /// Takes `nonce` (if any) on its own.
    fn take_alone(&self, nonce: Option<&NonceUse<'_>>) -> Result<(), ServiceError> {
        let new = NonceUse::take(nonce, &self.storage)?;
        self.read_with_nonce(nonce, new.then_some(()))
    }

    /// Checks a request's signature, device and freshness; its nonce is still to be taken
    /// (before the request changes anything).
    pub fn verify_request<'a>(
        &self,
        method: &str,
        path: &str,
        header: impl Fn(&str) -> Option<&'a str>,
        body: [u8; 32],
        now: Timestamp,
        prechecked: Option<Standing>,
    ) -> Result<Verified, ServiceError> {
        let auth = RequestAuth::from_headers(header)?;
        // The standing found from this request's headers stands while its body came in
        // quickly (a sync's): reading the device and the revocation list again would find
        // the same. A body that took longer (an upload) is checked against them again.
        let key = match prechecked {
            Some(s)
                if s.device == auth.device
                    && (0..=PRECHECK_STANDS_MS).contains(&(now.0 - s.at.0)) =>
            {
                s.key
            }
            _ => self.standing(&auth.device, now)?.key,
        };
        auth.verify(&key, method, path, body, now)?;
        Ok(Verified {
            device: auth.device,
            nonce: auth.nonce,
            time: auth.time,
            now,
        })
    }

    /// The nonce of a verified request as the store takes it. Refusing requests timed before
    /// the station started would also stop replays across a restart, but a device whose clock
    /// runs ahead could replay then, and one behind would be refused for a while after each
    /// start: the nonces are kept instead. A device is seen when a request of its is
    /// authenticated, noted with its nonce.
    fn nonce_use<'a>(&self, v: &'a Verified) -> NonceUse<'a> {
        NonceUse {
            device: &v.device,
            nonce: &v.nonce,
            time: v.time,
            forget_before: Timestamp(v.now.0 - NONCE_TTL_MS),
            seen: self.seen_due(&v.device, v.now).then_some(v.now),
        }
    }

    /// What the store read with `nonce` taken first (none when it was taken before): a replay
    /// is refused; a request taking it notes its device seen.
    fn read_with_nonce<T>(
        &self,
        nonce: Option<&NonceUse<'_>>,
        read: Option<T>,
    ) -> Result<T, ServiceError> {
        let Some(read) = read else {
            return Err(match nonce {
                Some(_) => AuthError::Replay.into(),
                None => StorageError::Damaged("a read refused without a nonce".into()).into(),
            });
        };
        if let Some(NonceUse {
            device,
            seen: Some(at),
            ..
        }) = nonce
        {
            locked(&self.seen).insert((*device).to_owned(), *at);
        }
        Ok(read)
    }

    /// Uses up an enrolment code for what `wanted` accepts, counting wrong codes from `source`
    /// (too many and none is tried); a code for something else is not used up.
    fn take_code(
        &self,
        code: &str,
        source: IpAddr,
        wanted: &dyn Fn(&Grant) -> bool,
        now: Timestamp,
    ) -> Result<Option<Grant>, ServiceError> {
        attempts::check(&self.storage, source, now)?;
        let grant = self
            .storage
            .take_enrolment_code(&code_hash(code), now, wanted)?;
        if grant.is_none() {
            attempts::failed(&self.storage, source, now)?;
        }
        Ok(grant)
    }

    /// Registers a device the bureau certified itself (the base station's own tablets), with
    /// no code needed.
    pub fn register_device(&self, id: &str, cert: &SignedCertificate) -> Result<(), ServiceError> {
        let c = self
            .trust()
            .anchor
            .verify_issued(cert)
            .map_err(|e| ServiceError::BadRequest(e.to_string()))?;
        if !matches!(&c.subject, Subject::Device { device_id, .. } if device_id == id) {
            return Err(ServiceError::BadRequest(format!(
                "not a certificate of device {id}"
            )));
        }
        if self.storage.device(id)?.is_none() {
            self.storage.add_device(id, cert)?;
        }
        // The bureau's own device holds the keys of the people it was set up with.
        for c in &self.identity.certificates {
            self.storage.add_officer_cert(id, c)?;
        }
        Ok(())
    }

    /// The certificate subject of a person the bureau has certified.
    fn person_subject(&self, person: &str) -> Result<Subject, ServiceError> {
        self.identity
            .certificates
            .iter()
            .filter_map(|c| c.decode_unverified().ok())
            .find(|c| c.person().is_some_and(|p| p.id.0 == person))
            .map(|c| c.subject)
            .ok_or_else(|| ServiceError::NotFound(format!("no person {person}")))
    }

    /// Every person the bureau has certified (its directory), as their certificates name
    /// them, by id.
    pub fn bureau_people(&self) -> Vec<Person> {
        let mut people: BTreeMap<String, Person> = BTreeMap::new();
        for p in self
            .identity
            .certificates
            .iter()
            .filter_map(|c| c.decode_unverified().ok()?.person())
        {
            people.entry(p.id.0.clone()).or_insert(p);
        }
        people.into_values().collect()
    }

    /// A person the bureau has certified, as their certificate names them.
    pub fn bureau_person(&self, person: &str) -> Result<Person, ServiceError> {
        Subject::person(&self.person_subject(person)?)
            .ok_or_else(|| ServiceError::NotFound(format!("no person {person}")))
    }

    /// A person the bureau has certified who holds a certificate in force at `now` (neither
    /// revoked nor expired: the directory's, or a key the station certified on a tablet), as
    /// the newest such certificate names them: whom a new desk account may be opened for. A
    /// person revoked loses every certificate; one whose tablet was lost keeps any key made
    /// elsewhere.
    pub fn person_in_force(&self, person: &str, now: Timestamp) -> Result<Person, ServiceError> {
        let revoked: Vec<_> = self
            .revocations()?
            .and_then(|l| l.decode_unverified().ok())
            .map(|l| l.revoked)
            .unwrap_or_default();
        let certified = self.person_certificates(person)?;
        self.identity
            .certificates
            .iter()
            .chain(&certified)
            .filter(|c| !revoked.iter().any(|r| r.cert == c.id()))
            .filter_map(|c| c.decode_unverified().ok())
            .filter(|c| c.not_before <= now && now < c.not_after)
            .filter_map(|c| Some((c.not_before, c.person()?)))
            .filter(|(_, p)| p.id.0 == person)
            .max_by_key(|(since, _)| *since)
            .map(|(_, p)| p)
            .ok_or_else(|| ServiceError::NotFound(format!("no certificate of {person} in force")))
    }

    /// `key` certified by the bureau key for `subject`, valid from `now` for two years.
    fn certify(
        &self,
        subject: Subject,
        key: [u8; 32],
        now: Timestamp,
    ) -> Result<SignedCertificate, ServiceError> {
        self.identity
            .bureau
            .issue(
                now.0 as u64,
                subject,
                key,
                now,
                Timestamp(now.0 + DEVICE_CERT_MS),
            )
            .map_err(|e| ServiceError::BadRequest(e.to_string()))
    }

    /// Certifies a key an enrolled device made for a person, proven by an administrator's
    /// one-time code for that person, sent from `source`.
    pub fn enrol_officer(
        &self,
        device: &str,
        req: &OfficerEnrolRequest,
        source: IpAddr,
        now: Timestamp,
    ) -> Result<OfficerEnrolResponse, ServiceError> {
        let key = key_from_hex(&req.public_key)?;
        let subject = self.person_subject(&req.person_id)?;
        // Issued before the code is taken: nothing after taking it can fail but the store.
        let certificate = self.certify(subject, key, now)?;
        let wanted = |g: &Grant| matches!(g, Grant::Officer { person } if *person == req.person_id);
        if self.take_code(&req.code, source, &wanted, now)?.is_none() {
            return Err(ServiceError::Forbidden(format!(
                "the code is wrong, used, expired or not for {}",
                req.person_id
            )));
        }
        self.storage.add_officer_cert(device, &certificate)?;
        tracing::info!(device, person = req.person_id, "officer key enrolled");
        Ok(OfficerEnrolResponse { certificate })
    }

    /// A one-time enrolment code (given to the administrator; valid for a day) for what
    /// `grant` says. `random` must be fresh random bytes.
    pub fn issue_enrolment_code(
        &self,
        grant: &Grant,
        random: [u8; 8],
        now: Timestamp,
    ) -> Result<String, ServiceError> {
        // 12 characters of an alphabet without look-alikes, grouped for reading aloud.
        const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
        let n = u64::from_le_bytes(random);
        let chars: String = (0..12)
            .map(|i| ALPHABET[((n >> (i * 5)) & 31) as usize] as char)
            .collect();
        let code = format!("{}-{}-{}", &chars[..4], &chars[4..8], &chars[8..]);
        if let Grant::Officer { person } = grant {
            self.person_subject(person)?;
        }
        self.storage.add_enrolment_code(
            &code_hash(&code),
            grant,
            Timestamp(now.0 + CODE_VALID_MS),
        )?;
        Ok(code)
    }

    /// Enrols a device that proves a valid one-time code, sent from `source`: issues its
    /// certificate.
    pub fn enrol(
        &self,
        req: &EnrolRequest,
        source: IpAddr,
        now: Timestamp,
    ) -> Result<EnrolResponse, ServiceError> {
        let key = key_from_hex(&req.public_key)?;
        // The id must read back the same from a request header, or the device could never
        // authenticate.
        let id = req.device_id.as_str();
        if !is_device_id(id) {
            return Err(ServiceError::BadRequest(
                "device_id must be 1 to 64 ASCII letters, digits, '.', '_' or '-'".into(),
            ));
        }
        // The desks' devices are the station's own: a tablet named like one would be given a
        // desk person's view of the cases when that person first signs.
        if id.starts_with(desk::DESK_PREFIX) {
            return Err(ServiceError::BadRequest(format!(
                "device ids beginning with {} are the bureau desks'",
                desk::DESK_PREFIX
            )));
        }
        let label = req.label.trim();
        if label.chars().count() > MAX_LABEL || label.chars().any(char::is_control) {
            return Err(ServiceError::BadRequest(format!(
                "the label must be at most {MAX_LABEL} characters, none of them control characters"
            )));
        }
        if self.storage.device(id)?.is_some() {
            return Err(ServiceError::Forbidden(format!(
                "device {id} is already enrolled"
            )));
        }
        let wanted = |g: &Grant| matches!(g, Grant::Device { .. });
        let Some(Grant::Device { squad }) = self.take_code(&req.code, source, &wanted, now)? else {
            return Err(ServiceError::Forbidden(
                "the enrolment code is wrong, used, expired or not for a device".into(),
            ));
        };
        let certificate = self.certify(
            Subject::Device {
                device_id: id.into(),
                squad: squad.clone(),
                label: label.into(),
            },
            key,
            now,
        )?;
        self.storage.add_device(id, &certificate)?;
        tracing::info!(device = id, squad, "device enrolled");
        Ok(EnrolResponse {
            certificate,
            bureau_public: hex::encode(self.identity.bureau.public()),
            log_key: hex::encode(self.log_key()),
            certificates: self.identity.certificates.clone(),
            revocations: self.revocations()?,
        })
    }

    /// The certificates entries of `devices` can need: the bureau's people's, the keys made
    /// on those devices, and the devices'.
    fn certificates_for(
        &self,
        devices: &BTreeSet<String>,
    ) -> Result<Vec<SignedCertificate>, ServiceError> {
        // A key made for a person on a tablet signs only on that tablet, so the devices'
        // own keys are all an entry of theirs can need (not every officer's in the city).
        Ok(self.with_directory(&self.storage.device_certificates(devices)?))
    }

    /// The bureau's directory and `certs`, each once.
    fn with_directory(&self, certs: &[SignedCertificate]) -> Vec<SignedCertificate> {
        let mut all = self.identity.certificates.clone();
        for c in certs {
            if !all.contains(c) {
                all.push(c.clone());
            }
        }
        all
    }

    /// Accepts a device's upload: entries already held are acknowledged again; new ones must
    /// verify (signatures, certificates, roles) and continue their feeds, or nothing is taken.
    /// Every entry sent gets a receipt against a fresh checkpoint.
    pub fn push(
        &self,
        device: &str,
        req: &PushEntries,
        now: Timestamp,
    ) -> Result<PushResponse, ServiceError> {
        let scope = self.scope(device)?;
        let pushed = match self.push_within((device, &scope), (&mut [], &[]), (req, None), now)? {
            Some(pushed) => pushed,
            None => self.at_head(now)?,
        };
        Ok(self.push_answer(pushed, req, &[])?.0)
    }

    /// Nothing appended, answered over the log as it stands.
    fn at_head(&self, now: Timestamp) -> Result<log::Appended, ServiceError> {
        Ok(self.at_tree(self.storage.log_head()?.tree, now))
    }

    /// Nothing appended, answered over `tree`.
    fn at_tree(&self, tree: TreeState, now: Timestamp) -> log::Appended {
        log::Appended {
            checkpoint: self.sign_checkpoint(&tree, now),
            tree,
            at: Vec::new(),
        }
    }

    /// The answer to an upload `pushed` (`req`): a receipt for each entry sent and a
    /// consistency proof from the size the device knew, under the checkpoint over the tree
    /// that holds them all; and the receipts of the entries `going_down` (where the log holds
    /// them, and their hashes) under the same checkpoint, all proved in one batch (they share
    /// most of their paths).
    fn push_answer(
        &self,
        pushed: log::Appended,
        req: &PushEntries,
        going_down: &[(u64, Digest)],
    ) -> Result<(PushResponse, Vec<EntryReceipt>), ServiceError> {
        let log::Appended {
            tree,
            checkpoint,
            at: mut logged,
        } = pushed;
        let sent = logged.len();
        logged.extend_from_slice(going_down);
        let mut receipts = self.receipts_at(&tree, &logged, &checkpoint)?;
        let down = receipts.split_off(sent);
        let push = PushResponse {
            receipts,
            consistency: self.proof_from(&tree, req.known_size)?,
            checkpoint,
        };
        Ok((push, down))
    }

    /// [`Self::push`] for a device of `scope`, with the documents `arriving` in the same
    /// request (checked, not yet kept): every new entry must be about a case the device may
    /// see, as the station or the arriving document knows it. The entries refused for what
    /// each one is are noted, so the device may set them aside (and nothing else).
    fn push_within(
        &self,
        (from, scope): (&str, &Scope),
        arriving: (&mut [MergedDoc], &[String]),
        (req, read): (&PushEntries, Option<log::Unlogged>),
        now: Timestamp,
    ) -> Result<Option<log::Appended>, ServiceError> {
        let mut pushed = self.push_checked((from, scope), arriving, (req, read), now);
        if let Err(ServiceError::Refused(r)) = &mut pushed {
            // Kept before the device is told (a refusal it sets aside must be known here);
            // if that fails, it is told to try again instead.
            if !r.settled.is_empty() {
                self.storage.note_refused(from, &r.settled)?;
            }
            if !r.entries.is_empty() {
                r.revocations = self.revocations().unwrap_or_else(|e| {
                    tracing::error!(error = %e, "no revocation list for a refusal");
                    None
                });
            }
        }
        pushed
    }

    /// [`Self::push_within`] but for noting what was refused.
    fn push_checked(
        &self,
        (from, scope): (&str, &Scope),
        (arriving, declined): (&mut [MergedDoc], &[String]),
        (req, read): (&PushEntries, Option<log::Unlogged>),
        now: Timestamp,
    ) -> Result<Option<log::Appended>, ServiceError> {
        // Read as the log's append reads them first (the heads, then what is unlogged), so
        // it need not read them again unless it must verify again.
        let read = match read {
            Some(read) => read,
            None => self.unlogged_after_heads(&req.entries)?,
        };
        let new = &read.new;
        // An entry without its body is one its own device set aside (搁置) after the station
        // refused it: its place in the feed, signed by the device, and nothing of its act.
        // Nobody sends another device's.
        if new
            .iter()
            .any(|e| e.is_elided() && e.head().map_or(true, |h| h.device != from))
        {
            return Err(ServiceError::BadRequest(
                "an entry without its body is logged only from its own device".into(),
            ));
        }
        if let Some(unfounded) = self.unfounded_set_aside(from, new)? {
            tracing::warn!(device = from, "an entry set aside without a refusal");
            return Err(ServiceError::Refused(Refusal::one(
                &unfounded,
                "搁置记录不符合规则（基站没有拒收该记录，也没有拒收本机此前关于同一案件、\
                 尚未搁置完毕的记录）"
                    .into(),
                false,
            )));
        }
        // Read once (one that does not read is the verifier's to report). Setting entries aside
        // changes no case (it may name one moved out of the device's scope, or one the station
        // never took): its own rule, and none of the others'.
        let mut decoded: Vec<(Digest, qc_chain::Entry)> = Vec::new();
        let mut set_aside_before = None;
        for signed in new.iter().filter(|e| !e.is_elided()) {
            let Ok(x) = signed.entry() else { continue };
            if x.action != Action::EntriesSetAside {
                decoded.push((signed.hash(), x));
            } else if let Err((why, settled)) =
                self.check_set_aside(from, &x, (new, &mut set_aside_before), arriving)?
            {
                tracing::warn!(
                    case = x.case,
                    device = x.device,
                    why,
                    "a setting aside refused"
                );
                // Named, so the device may set this one aside too.
                return Err(ServiceError::Refused(Refusal::one(
                    &signed.hash(),
                    format!("搁置记录不符合规则（{why}）"),
                    settled,
                )));
            }
        }
        // A random inspection's acts name the draw where other entries name a case, and an
        // administration act its day.
        let cases: BTreeSet<&str> = decoded
            .iter()
            .map(|(_, x)| x.case.as_str())
            .filter(|c| !qc_domain::draw::is_draw_id(c) && !qc_domain::admin::is_admin_id(c))
            .collect();
        let mut metas = BTreeMap::new();
        // Each case out of scope, and whether the station holds it or declined its document in
        // this request (else no document of it came: refused for how it was sent).
        let mut outside = BTreeMap::new();
        for case in cases {
            // A document arriving was taken only if in scope (`merge_docs`).
            let meta = match arriving.iter().find(|d| d.case == case) {
                Some(d) => Some(d.seen.clone()),
                None => self.storage.case_doc(case)?.map(|(m, _)| m),
            };
            match meta {
                Some(m) if scope.sees(&m) => {
                    metas.insert(case, m);
                }
                held => {
                    tracing::warn!(
                        case,
                        "entries about a case out of the device's scope refused"
                    );
                    outside.insert(case, held.is_some() || declined.iter().any(|d| d == case));
                }
            }
        }
        if !outside.is_empty() {
            // Each entry about such a case is refused for what it is: the device may set
            // them aside (a case moved to another squad while it was offline).
            let mut refusal = Refusal::default();
            for (hash, x) in &decoded {
                if let Some(held) = outside.get(x.case.as_str()) {
                    let reason = format!(
                        "案件 {} 不在本机可办理的范围内（已移交其他中队，或基站没有该案）",
                        x.case
                    );
                    refusal.name(hash, reason, *held);
                }
            }
            return Err(ServiceError::Refused(refusal));
        }
        // 案卷评查 is the desk's act on a closed case's file, naming its one sheet.
        for (_, e) in &decoded {
            if e.action == Action::CaseFileReviewed
                && !(desk_sheet_act(e)
                    && metas
                        .get(e.case.as_str())
                        .is_some_and(|m| qc_domain::review::reviewable(m.status)))
            {
                tracing::warn!(case = e.case, device = e.device, "a review refused");
                return Err(ServiceError::Forbidden(format!(
                    "a review of case {} is made at a desk, of a closed case, naming its sheet",
                    e.case
                )));
            }
        }
        self.check_draw_acts(&decoded)?;
        check_admin_acts(decoded.iter().map(|(_, e)| e))?;
        if req.entries.is_empty() {
            return Ok(None);
        }
        self.append(&req.entries, (read, &scope.1), now).map(Some)
    }

    /// The first entry of `new` sent without its body (set aside) that the station did not
    /// refuse from `from` for what it is, and that follows no such refused entry of the device
    /// about the same case whose setting aside no logged act concluded yet (the device's later
    /// entries about the case build on it). So no sound act is withdrawn on its own.
    fn unfounded_set_aside(
        &self,
        from: &str,
        new: &[SignedEntry],
    ) -> Result<Option<Digest>, ServiceError> {
        let sent: Vec<(Digest, qc_chain::EntryHead)> = new
            .iter()
            .filter(|e| e.is_elided())
            .filter_map(|e| Some((e.hash(), e.head().ok()?)))
            .collect();
        if sent.is_empty() {
            return Ok(None);
        }
        let logged = self.storage.device_feed(from)?;
        let concluded: BTreeSet<Digest> = logged
            .iter()
            .filter_map(|e| e.entry().ok())
            .filter(|x| x.action == Action::EntriesSetAside)
            .flat_map(|x| x.records)
            .collect();
        let aside: Vec<(Digest, qc_chain::EntryHead)> = logged
            .iter()
            .filter(|e| e.is_elided())
            .filter_map(|e| Some((e.hash(), e.head().ok()?)))
            .chain(sent.iter().cloned())
            .collect();
        let mut refused: BTreeMap<Digest, bool> = BTreeMap::new();
        let mut was_refused = |hash: &Digest| -> Result<bool, ServiceError> {
            if let Some(known) = refused.get(hash) {
                return Ok(*known);
            }
            let known = self.storage.was_refused(from, hash)?;
            refused.insert(*hash, known);
            Ok(known)
        };
        for (hash, head) in &sent {
            if was_refused(hash)? {
                continue;
            }
            let mut founded = false;
            for (before, h) in &aside {
                if h.seq < head.seq
                    && h.case == head.case
                    && !concluded.contains(before)
                    && was_refused(before)?
                {
                    founded = true;
                    break;
                }
            }
            if !founded {
                return Ok(Some(*hash));
            }
        }
        Ok(None)
    }

    /// An act of setting entries aside (搁置, action 20) speaks only of its own device's entries:
    /// made by the uploading device, naming no file, its records entries of that device before
    /// it that were set aside (logged, or in this upload, without their bodies) and were about
    /// the case it names, the first of those no earlier logged act named one the station
    /// refused from that device for what it is, and its heads nothing or changes of the
    /// station's document of that case. So it changes no case, withdraws no act on its own,
    /// and speaks of no other device's entries. Why not, when it does not hold (in English),
    /// and whether for what its hash covers alone.
    fn check_set_aside(
        &self,
        from: &str,
        act: &qc_chain::Entry,
        (new, logged): (&[SignedEntry], &mut Option<Vec<SignedEntry>>),
        arriving: &mut [MergedDoc],
    ) -> Result<Result<(), (&'static str, bool)>, ServiceError> {
        if act.device != from || !act.blobs.is_empty() || act.records.is_empty() {
            return Ok(Err((
                "made by the device that sends it, naming entries and no file",
                true,
            )));
        }
        let commitment = qc_chain::case_commitment(&act.case);
        let in_upload = |r: &Digest| new.iter().find(|e| e.is_elided() && e.hash() == *r);
        if logged.is_none() && !act.records.iter().all(|r| in_upload(r).is_some()) {
            // Entries set aside before are logged about no case: read once per upload.
            *logged = Some(self.storage.case_entries("")?);
        }
        // What an earlier logged act of this device set aside about the case may be named
        // again (an act set aside in turn names what it named), and begins nothing.
        let said_before: BTreeSet<Digest> = self
            .storage
            .case_entries(&act.case)?
            .iter()
            .filter_map(|e| e.entry().ok())
            .filter(|x| x.device == from && x.action == Action::EntriesSetAside)
            .flat_map(|x| x.records)
            .collect();
        let mut first: Option<(u64, &Digest)> = None;
        for r in &act.records {
            let named = in_upload(r)
                .or_else(|| logged.iter().flatten().find(|e| e.hash() == *r))
                .and_then(|e| e.head().ok());
            match named {
                Some(h) if h.device == act.device && h.seq < act.seq && h.case == commitment => {
                    if !said_before.contains(r) && first.is_none_or(|(seq, _)| h.seq < seq) {
                        first = Some((h.seq, r));
                    }
                }
                _ => {
                    return Ok(Err((
                        "a record is not an entry of this device set aside before it",
                        false,
                    )));
                }
            }
        }
        // What is set aside begins with an entry the station refused for what it is: the
        // device's later entries about the case may follow from it, but no act is withdrawn
        // on its own.
        let Some((_, r)) = first else {
            return Ok(Err(("it names only entries set aside already", false)));
        };
        if !self.storage.was_refused(from, r)? {
            return Ok(Err((
                "the first entry it sets aside is not one the station refused from this device",
                false,
            )));
        }
        let held = match arriving.iter_mut().find(|d| d.case == act.case) {
            Some(d) => Some(act.heads.iter().all(|h| d.doc.has_change(h))),
            None => match self.storage.case_doc(&act.case)? {
                Some((_, bytes)) => {
                    let mut doc = CaseDoc::load(&bytes, b"station")
                        .map_err(|e| StorageError::Damaged(format!("case {}: {e}", act.case)))?;
                    Some(act.heads.iter().all(|h| doc.has_change(h)))
                }
                None => None,
            },
        };
        // The case may have moved out of the device's scope meanwhile (that may be why its
        // entries were refused): the act is judged by what it names, not by the scope.
        match held {
            None if act.heads.is_empty() => Ok(Ok(())),
            None => Ok(Err((
                "heads of a case the station holds no document of",
                false,
            ))),
            Some(false) => Ok(Err((
                "heads that are not changes of the case's document",
                false,
            ))),
            Some(true) => Ok(Ok(())),
        }
    }

    /// A random inspection's acts name their one sheet and come in their order: one plan under
    /// a new draw id, one draw of it, then the inspections' reports. Each is made at a desk
    /// but a report signed on a tablet by the two officers drawn for one target. Nothing else
    /// names a draw.
    /// An on-site report refused is named, so its tablet may set it aside.
    fn check_draw_acts(&self, new: &[(Digest, qc_chain::Entry)]) -> Result<(), ServiceError> {
        // The acts of this upload count as they come: two plans or two draws in one are refused.
        let mut sent: BTreeMap<&str, Vec<Action>> = BTreeMap::new();
        for (hash, e) in new {
            let planned = e.action == Action::InspectionPlanned;
            let drawn = e.action == Action::InspectionDrawn;
            let reported = e.action == Action::InspectionReported;
            let on_site = e.action == Action::InspectionReportedOnSite;
            if !qc_domain::draw::is_draw_id(&e.case) && !planned && !drawn && !reported && !on_site
            {
                continue;
            }
            let before: Vec<Action> = self
                .storage
                .case_entries(&e.case)?
                .iter()
                .filter_map(|x| x.entry().ok().map(|x| x.action))
                .chain(sent.get(e.case.as_str()).into_iter().flatten().cloned())
                .collect();
            let in_order = (planned && before.is_empty())
                || (drawn && before == [Action::InspectionPlanned])
                || ((reported || on_site) && before.contains(&Action::InspectionDrawn));
            let named = qc_domain::draw::is_draw_id(&e.case);
            if on_site {
                // A draw has no document: the entry commits to no heads.
                let why = if !(named
                    && sheet_act(e)
                    && e.heads.is_empty()
                    && !e.device.starts_with(desk::DESK_PREFIX))
                {
                    Some((
                        "的现场检查结果须在平板上记录，附一份检查结果，不涉及案件",
                        "made on a tablet, naming its one sheet and no case heads",
                    ))
                } else if !in_order {
                    Some(("尚未抽签，不能记录现场检查结果", "not drawn yet"))
                } else if !self.drawn_together(e)? {
                    Some((
                        "的现场检查结果须由为同一检查对象抽中的两名执法人员签名",
                        "not signed by the two officers drawn together for a target",
                    ))
                } else {
                    None
                };
                if let Some((zh, en)) = why {
                    tracing::warn!(
                        draw = e.case,
                        device = e.device,
                        en,
                        "an on-site report refused"
                    );
                    // Named, so its tablet may set it aside.
                    return Err(ServiceError::Refused(Refusal::one(
                        hash,
                        format!("双随机抽查 {} {zh}", e.case),
                        true,
                    )));
                }
            } else if !(in_order && named && desk_sheet_act(e)) {
                tracing::warn!(draw = e.case, device = e.device, "a draw's act refused");
                return Err(ServiceError::Forbidden(format!(
                    "a random inspection {} is planned once, drawn once, then reported, at a \
                     desk or by the two officers drawn for a target on their tablet, each act \
                     naming its sheet",
                    e.case
                )));
            }
            sent.entry(&e.case).or_default().push(e.action.clone());
        }
        Ok(())
    }

    /// Whether the people who signed `e` (an act naming a draw) are the two officers drawn
    /// together for one of its targets, and no one else.
    pub(super) fn drawn_together(&self, e: &qc_chain::Entry) -> Result<bool, ServiceError> {
        let Some(signers) = self.signers_of(e)? else {
            return Ok(false);
        };
        let Some(draw) = self.draw(&e.case)? else {
            return Ok(false);
        };
        Ok(draw.result.as_ref().is_some_and(|r| {
            r.tasks
                .iter()
                .any(|t| t.inspectors.iter().cloned().collect::<BTreeSet<_>>() == signers)
        }))
    }

    /// The people who signed `e`, by the certificates the log's verifier reads for its device;
    /// none when one of its signers is not among them or one person signed twice.
    pub(super) fn signers_of(
        &self,
        e: &qc_chain::Entry,
    ) -> Result<Option<BTreeSet<String>>, ServiceError> {
        let certs = self.certificates_for(&BTreeSet::from([e.device.clone()]))?;
        let people: Option<BTreeSet<String>> = e
            .actors
            .iter()
            .map(|actor| {
                certs
                    .iter()
                    .find(|c| c.id() == *actor)
                    .and_then(|c| c.decode_unverified().ok()?.person())
                    .map(|p| p.id.0)
            })
            .collect();
        Ok(people.filter(|p| p.len() == e.actors.len()))
    }

    /// Verifies entries not yet logged against the feed heads they continue: signatures,
    /// certificates, roles, and the captures their co-signatures complete.
    fn verify_new(
        &self,
        new: &[SignedEntry],
        heads: &BTreeMap<String, FeedHead>,
        read: &[SignedCertificate],
    ) -> Result<qc_chain::FeedReport, ServiceError> {
        // What the new entries name, read once (undecodable ones are the verifier's to report):
        // their devices, and the cases where a co-signature may complete a capture that came
        // up in an earlier sync.
        let (mut devices, mut cosigned) = (BTreeSet::new(), BTreeSet::new());
        for e in new {
            // The head names the device of an entry set aside too (it has no body).
            if let Ok(head) = e.head() {
                devices.insert(head.device);
            }
            if let Ok(x) = e.entry()
                && x.action == qc_chain::Action::EvidenceCosigned
            {
                cosigned.insert(x.case);
            }
        }
        let mut earlier = Vec::new();
        for case in &cosigned {
            for e in self.storage.case_entries(case)? {
                if let Ok(x) = e.entry()
                    && x.action == qc_chain::Action::EvidenceAwaitingSecond
                {
                    devices.insert(x.device);
                    earlier.push(e);
                }
            }
        }
        // The uploading device's certificates were read with its scope (`read`): read again
        // only for entries of other devices.
        let certs = if devices.is_subset(&devices_certified(read)) {
            self.with_directory(read)
        } else {
            self.certificates_for(&devices)?
        };
        Ok(verify_feed_after_with(
            &self.trust().anchor,
            &certs,
            heads,
            new,
            &earlier,
        ))
    }

    /// What an enrolled device may see and change: its squad's cases and those its people
    /// may see.
    fn scope(&self, device: &str) -> Result<Scope, ServiceError> {
        Ok(self.scope_and_people(device, None)?.0)
    }

    /// The scope of `device` and the people whose keys it holds, from its certificates (one
    /// read: its own comes last, after its people's); for a request at `now`, those its
    /// standing was read with while it stands.
    fn scope_and_people(
        &self,
        device: &str,
        now: Option<Timestamp>,
    ) -> Result<(Scope, Vec<Person>), ServiceError> {
        let stood = now.and_then(|now| {
            let mut standings = locked(&self.standings);
            let (at, _) = standings.get(device)?;
            if !(0..=PRECHECK_STANDS_MS).contains(&(now.0 - at.0)) {
                return None;
            }
            standings.remove(device).map(|(_, certs)| certs)
        });
        let certs = match stood {
            Some(certs) => certs,
            None => self
                .storage
                .device_certificates(&BTreeSet::from([device.to_owned()]))?,
        };
        let (own, people) = certs
            .split_last()
            .ok_or_else(|| AuthError::UnknownDevice(device.into()))?;
        let cert = own
            .decode_unverified()
            .map_err(|e| StorageError::Damaged(e.to_string()))?;
        let Subject::Device { squad, .. } = cert.subject else {
            return Err(AuthError::UnknownDevice(device.into()).into());
        };
        let people: Vec<Person> = people
            .iter()
            .filter_map(|c| c.decode_unverified().ok()?.person())
            .collect();
        let view = CaseView::of_device(&squad, &people);
        Ok((Scope(view, certs), people))
    }

    /// Applies a device's document changes to cases it may change. All of the upload is
    /// applied, or none of it.
    pub fn push_docs(&self, device: &str, req: &DocsUp) -> Result<DocsAck, ServiceError> {
        let scope = self.scope(device)?;
        let cases: Vec<String> = req.docs.iter().map(|d| d.case.clone()).collect();
        let (merged, outside) = self.merge_docs(&scope, req, self.held_docs(&cases)?)?;
        if let Some(case) = outside.first() {
            return Err(ServiceError::Forbidden(format!(
                "case {case} is out of scope"
            )));
        }
        self.keep_docs(&scope, merged, None)
    }

    /// The station's copies `held` with a device's changes merged in, each checked (parses
    /// whole, builds on what the station holds, is the case it names), not yet kept; and the
    /// cases out of the device's scope (moved to another squad meanwhile, or another
    /// squad's), whose changes are not taken.
    fn merge_docs(
        &self,
        scope: &Scope,
        req: &DocsUp,
        mut held: BTreeMap<String, (CaseMeta, Vec<u8>)>,
    ) -> Result<(Vec<MergedDoc>, Vec<String>), ServiceError> {
        let mut merged: Vec<MergedDoc> = Vec::with_capacity(req.docs.len());
        let mut outside = Vec::new();
        for d in &req.docs {
            let bytes = hex::decode(&d.changes).map_err(|_| {
                ServiceError::BadRequest(format!("changes of {} are not hex", d.case))
            })?;
            // The same case again in one request: its changes build on what came before them.
            if let Some(m) = merged.iter_mut().find(|m| m.case == d.case) {
                let bad = |e: DocError| ServiceError::BadRequest(format!("case {}: {e}", d.case));
                m.doc.apply(&bytes).map_err(bad)?;
                (m.meta, m.read) = meta_of(&mut m.doc).map_err(bad)?;
                m.changes.push(bytes);
                continue;
            }
            if outside.contains(&d.case) {
                continue;
            }
            match self.merge_one(scope, &d.case, vec![bytes], held.remove(&d.case))? {
                Some(m) => merged.push(m),
                None => outside.push(d.case.clone()),
            }
        }
        Ok((merged, outside))
    }

    /// The station's copies of `cases`, by case, read in one query.
    fn held_docs(
        &self,
        cases: &[String],
    ) -> Result<BTreeMap<String, (CaseMeta, Vec<u8>)>, ServiceError> {
        Ok(self
            .storage
            .case_docs(cases)?
            .into_iter()
            .map(|(case, meta, doc)| (case, (meta, doc)))
            .collect())
    }

    /// A device's `changes` to `case` merged into the station's copy `held` (if any), checked;
    /// `None` when the case is out of the device's scope.
    fn merge_one(
        &self,
        scope: &Scope,
        case: &str,
        changes: Vec<Vec<u8>>,
        held: Option<(CaseMeta, Vec<u8>)>,
    ) -> Result<Option<MergedDoc>, ServiceError> {
        let bad = |e: DocError| ServiceError::BadRequest(format!("case {case}: {e}"));
        let (mut doc, held, to_apply) = match held {
            Some((held_meta, _)) if !scope.sees(&held_meta) => return Ok(None),
            Some((held_meta, held)) => (
                CaseDoc::load(&held, b"station").map_err(bad)?,
                Some(held_meta),
                &changes[..],
            ),
            None => {
                let Some((first, rest)) = changes.split_first() else {
                    return Err(ServiceError::BadRequest(format!("case {case}: no changes")));
                };
                (CaseDoc::load(first, b"station").map_err(bad)?, None, rest)
            }
        };
        for c in to_apply {
            doc.apply(c).map_err(bad)?;
        }
        let (meta, read) = meta_of(&mut doc).map_err(bad)?;
        if read.state.header.id.0 != case {
            return Err(ServiceError::Forbidden(format!(
                "changes sent as case {case} are of another case"
            )));
        }
        // A device may act a case out of its own view (a legal reviewer's opinion sends
        // it back to its squad), not move it to a squad it does not see.
        let seen = match &held {
            Some(h) if h.squad == meta.squad || scope.sees(&meta) => h.clone(),
            _ => meta.clone(),
        };
        if !scope.sees(&seen) {
            return Ok(None);
        }
        Ok(Some(MergedDoc {
            case: case.to_owned(),
            meta,
            seen,
            doc,
            read,
            over: held.map(|h| h.heads),
            changes,
        }))
    }

    /// Keeps merged documents with their rows (named by the bureau's catalogue, by its files'
    /// digests when just read); returns the heads the station now holds of each. A copy
    /// another request kept meanwhile has the device's changes merged into it again (and may
    /// be out of scope by then).
    fn keep_docs(
        &self,
        scope: &Scope,
        mut merged: Vec<MergedDoc>,
        bureau: Option<Vec<(String, Digest)>>,
    ) -> Result<DocsAck, ServiceError> {
        let mut ack = DocsAck {
            heads: Vec::with_capacity(merged.len()),
            outside: Vec::new(),
        };
        if merged.is_empty() {
            // An idle sync reads nothing more.
            return Ok(ack);
        }
        let catalogue = match bureau {
            Some(digests) => self.bureau_at(digests)?.catalogue.clone(),
            None => self.case_catalogue()?,
        };
        for _ in 0..KEEP_TRIES {
            let saved: Vec<(Vec<u8>, CaseRow)> = merged
                .iter_mut()
                .map(|m| (m.doc.save(), rows::row_of(&m.read, &catalogue)))
                .collect();
            let kept: Vec<KeptDoc<'_>> = merged
                .iter()
                .zip(&saved)
                .map(|(m, (doc, row))| KeptDoc {
                    case: &m.case,
                    meta: &m.meta,
                    doc,
                    over: m.over.as_deref(),
                    row: Some(row),
                })
                .collect();
            let moved = self.storage.keep_case_docs(&kept)?;
            let (again, done): (Vec<_>, Vec<_>) =
                merged.into_iter().partition(|m| moved.contains(&m.case));
            ack.heads.extend(done.into_iter().map(|m| CaseHeads {
                case: m.case,
                heads: m.meta.heads.iter().map(hex::encode).collect(),
            }));
            if again.is_empty() {
                return Ok(ack);
            }
            let cases: Vec<String> = again.iter().map(|m| m.case.clone()).collect();
            tracing::debug!(
                ?cases,
                "case documents kept by another request meanwhile: merged again"
            );
            let mut held = self.held_docs(&cases)?;
            merged = Vec::with_capacity(again.len());
            for m in again {
                match self.merge_one(scope, &m.case, m.changes, held.remove(&m.case))? {
                    Some(m) => merged.push(m),
                    None => ack.outside.push(m.case),
                }
            }
            if merged.is_empty() {
                return Ok(ack);
            }
        }
        tracing::warn!("case documents changed by other requests at every try");
        Err(ServiceError::Busy)
    }

    /// What the device lacks of the cases it may see: changes after the heads it holds, with
    /// the entries and certificates it needs to verify them.
    pub fn pull_docs(&self, device: &str, req: &DocsWant) -> Result<DocsDown, ServiceError> {
        Ok(self
            .pull_within(&self.scope(device)?, device, req, None)?
            .down)
    }

    /// [`Self::pull_docs`] for a device whose scope was read already, with where the log holds
    /// each entry going down (its index and hash).
    /// Takes `nonce` (if any) with its read.
    fn pull_within(
        &self,
        scope: &Scope,
        device: &str,
        req: &DocsWant,
        nonce: Option<&NonceUse<'_>>,
    ) -> Result<Pulled, ServiceError> {
        let mut out = DocsDown {
            docs: Vec::new(),
            entries: Vec::new(),
            certificates: Vec::new(),
        };
        let held_by_device: BTreeMap<&str, Vec<Digest>> = req
            .have
            .iter()
            .map(|h| (h.case.as_str(), h.digests()))
            .collect();
        let have = |case: &str| held_by_device.get(case).cloned().unwrap_or_default();
        // A device that does not say what it holds of the desks' acts is not sent a case for
        // them (it would be sent it at every sync).
        let desk_acts = req.desk_acts.as_ref();
        // The cases seen, the documents and feeds of those behind and the certificates are
        // read at once (per case, a sync of twenty documents made some eighty statements). A
        // case a desk acted on since (a review for the squad to read) is behind with the
        // same document.
        // A device that does not say which feeds it holds is sent them whole.
        let none = BTreeMap::new();
        let held = qc_station_storage::Held {
            have: &held_by_device,
            desk_acts,
            feeds: req.feeds.as_ref().unwrap_or(&none),
        };
        let read = self.storage.pull_read(&scope.0, held, nonce)?;
        let Pull { seen, feeds } = self.read_with_nonce(nonce, read)?;
        // Read with the cases seen, the log's tree holds every entry going down; the empty
        // tree where the store read none (then the log is read as it stands).
        let tree = (feeds.tree != TreeState::EMPTY).then_some(feeds.tree);
        for (c, doc) in &seen {
            if !qc_station_storage::sent_down(&held_by_device, desk_acts, c) {
                continue;
            }
            let heads_behind = qc_station_storage::heads_differ(&held_by_device, c);
            let case = &c.case;
            let held = || {
                doc.as_deref().ok_or_else(|| {
                    StorageError::Damaged(format!("case {case} read without its document"))
                })
            };
            // Behind only in the desks' acts: nothing of the document goes.
            let changes = if !heads_behind {
                String::new()
            } else if have(case).is_empty() {
                // The device holds none of it: the stored document is the whole history,
                // loadable as a new copy, so it goes as it is (loading it and encoding its
                // changes again was most of the station's Automerge work in a sync).
                qc_sync::wire::to_hex(held()?)
            } else {
                let mut doc = CaseDoc::load(held()?, b"station")
                    .map_err(|e| StorageError::Damaged(e.to_string()))?;
                qc_sync::wire::to_hex(&doc.changes_after(&have(case)))
            };
            out.docs.push(DocChanges {
                changes,
                case: case.clone(),
            });
        }
        let mut at = Vec::new();
        if out.docs.is_empty() {
            return Ok(Pulled {
                down: out,
                at,
                tree,
            });
        }
        // The cases seen, as entries' heads name them (only when entries go down: an idle
        // sync of a device seeing 10,000 cases hashes none).
        let visible: BTreeSet<Digest> = seen
            .iter()
            .map(|(c, _)| qc_chain::case_commitment(&c.case))
            .collect();
        for logged in feeds.entries {
            let e = logged.entry;
            // Its receipt is made at the index it was read with: it must still be the entry
            // logged there.
            if e.hash() != logged.hash {
                return Err(StorageError::Damaged(format!(
                    "the entry logged at {} changed since",
                    logged.index
                ))
                .into());
            }
            // Checked whole as it was logged: its head (and that its body is the one the head
            // names) tells its device and case, its body is not decoded again.
            let Ok(head) = e.checked_head() else { continue };
            // Another device's entry about a case this one may not see goes without its
            // body: its place in the feed and its device signature, nothing of the act. One
            // set aside by its device was logged without its body, and goes so.
            let hidden = !e.is_elided() && head.device != device && !visible.contains(&head.case);
            out.entries.push(if hidden { e.elided() } else { e });
            at.push((logged.index, logged.hash));
        }
        out.certificates = self.with_directory(&feeds.certificates);
        Ok(Pulled {
            down: out,
            at,
            tree,
        })
    }

    /// One round trip: the device's entries (verified, in its scope, logged, receipted), then
    /// its document changes, then what it lacks. Entries or documents that fail leave
    /// everything as it was.
    pub fn sync(
        &self,
        device: &str,
        req: &SyncRequest,
        now: Timestamp,
    ) -> Result<SyncResponse, ServiceError> {
        self.sync_taking(device, req, now, None)
    }

    /// [`Self::sync`] of a request verified ([`Self::verify_request`]): its nonce is taken with
    /// the sync's first read (a round trip to the store less), before anything is written; a
    /// replay is refused then.
    pub fn sync_verified(
        &self,
        verified: &Verified,
        req: &SyncRequest,
    ) -> Result<SyncResponse, ServiceError> {
        let nonce = self.nonce_use(verified);
        self.sync_taking(&verified.device, req, verified.now, Some(&nonce))
    }

    /// [`Self::sync`], taking `nonce` (if any) with the first read: the upload's, or else what
    /// goes down; on its own when the sync reads neither. What comes before only reads.
    fn sync_taking(
        &self,
        device: &str,
        req: &SyncRequest,
        now: Timestamp,
        mut nonce: Option<&NonceUse<'_>>,
    ) -> Result<SyncResponse, ServiceError> {
        // Documents are checked first, since entries about a new case are in scope only by
        // the document that comes with them; entries are kept before documents.
        let (scope, people) = self.scope_and_people(device, Some(now))?;
        let first = self.first_read(req, &mut nonce)?;
        if req.want.is_none() {
            self.take_alone(nonce.take())?;
        }
        // A case out of scope keeps its changes away; the entries about it are refused one by
        // one below (the device may set them aside).
        let (mut merged, outside) = self.merge_docs(&scope, &req.up, first.held)?;
        let pushed = self.push_within(
            (device, &scope),
            (&mut merged, &outside),
            (&req.push, first.unlogged),
            now,
        )?;
        let kept = self.keep_docs(&scope, merged, first.bureau)?;
        let acked = DocsAck {
            heads: kept.heads,
            outside: outside.into_iter().chain(kept.outside).collect(),
        };
        let Pulled {
            down,
            at: down_at,
            tree: down_tree,
        } = match &req.want {
            Some(want) => self.pull_within(&scope, device, want, nonce)?,
            None => Pulled {
                down: DocsDown {
                    docs: Vec::new(),
                    entries: Vec::new(),
                    certificates: Vec::new(),
                },
                at: Vec::new(),
                tree: None,
            },
        };
        // Every receipt of the answer leads to one checkpoint: over the larger of the tree the
        // upload was appended to and the one the entries going down were read with (which
        // holds them all); over the log as it stands when neither was read.
        let pushed = match (pushed, down_tree) {
            (Some(pushed), None) => pushed,
            (Some(pushed), Some(tree)) if tree.size <= pushed.tree.size => pushed,
            (Some(pushed), Some(tree)) => log::Appended {
                at: pushed.at,
                ..self.at_tree(tree, now)
            },
            (None, Some(tree)) => self.at_tree(tree, now),
            (None, None) => self.at_head(now)?,
        };
        let log_size = pushed.tree.size;
        let (push, down_receipts) = self.push_answer(pushed, &req.push, &down_at)?;
        Ok(SyncResponse {
            push,
            acked,
            down,
            down_receipts,
            // Read from the store by this request's precheck (`standing`): a sync
            // reads the list once.
            revocations: self.trust().revocations.clone(),
            tasks: self.tasks_for(&people, (now, log_size)),
            bureau: req.bureau.as_ref().and_then(|seen| {
                self.note_bureau(device, seen, now);
                self.bureau_for(seen)
            }),
        })
    }

    /// What an upload reads before it is checked, at once: what its entries continue, the
    /// station's copies of its cases and the bureau's files' digests, taking `nonce` (if any)
    /// with them (nothing read nor taken for a sync sending nothing).
    fn first_read(
        &self,
        req: &SyncRequest,
        nonce: &mut Option<&NonceUse<'_>>,
    ) -> Result<FirstRead, ServiceError> {
        let cases: Vec<String> = req.up.docs.iter().map(|d| d.case.clone()).collect();
        if req.push.entries.is_empty() && cases.is_empty() {
            return Ok(FirstRead::default());
        }
        let nonce = nonce.take();
        let (unlogged, (docs, bureau)) =
            self.unlogged_with(&req.push.entries, |devices, hashes| {
                let read = self.storage.upload_read((devices, hashes), &cases, nonce)?;
                let r = self.read_with_nonce(nonce, read)?;
                Ok(((r.heads, r.indexes), (r.docs, r.bureau)))
            })?;
        Ok(FirstRead {
            unlogged: Some(unlogged),
            held: docs
                .into_iter()
                .map(|(case, meta, doc)| (case, (meta, doc)))
                .collect(),
            bureau: Some(bureau),
        })
    }

    /// The current checkpoint and a proof that it extends the log of size `from`.
    pub fn consistency(
        &self,
        from: u64,
        now: Timestamp,
    ) -> Result<ConsistencyResponse, ServiceError> {
        let tree = self.storage.log_head()?.tree;
        Ok(ConsistencyResponse {
            proof: self.proof_from(&tree, from)?,
            checkpoint: self.sign_checkpoint(&tree, now),
        })
    }
}

#[cfg(test)]
mod tests;

/// The devices whose own certificates are among `certs`.
fn devices_certified(certs: &[SignedCertificate]) -> BTreeSet<String> {
    certs
        .iter()
        .filter_map(|c| match c.decode_unverified().ok()?.subject {
            Subject::Device { device_id, .. } => Some(device_id),
            _ => None,
        })
        .collect()
}

/// Whether `e` names its one sheet (the sheet's digest is its record).
fn sheet_act(e: &qc_chain::Entry) -> bool {
    e.blobs.len() == 1 && e.records == e.blobs
}

/// Whether `e` is an act of a desk naming its one sheet: the shape of every desk act the log
/// takes (reviews, draws, administration).
fn desk_sheet_act(e: &qc_chain::Entry) -> bool {
    e.device.starts_with(desk::DESK_PREFIX) && sheet_act(e)
}

/// An administration act (管理操作) is made at a desk, names its day's administration id and its
/// one sheet; nothing else names such an id.
fn check_admin_acts<'a>(
    new: impl IntoIterator<Item = &'a qc_chain::Entry>,
) -> Result<(), ServiceError> {
    for e in new {
        let named = qc_domain::admin::is_admin_id(&e.case);
        let administered = e.action == Action::Administered;
        if !(named || administered) {
            continue;
        }
        if !(named && administered && desk_sheet_act(e)) {
            tracing::warn!(
                id = e.case,
                device = e.device,
                "an administration act refused"
            );
            return Err(ServiceError::Forbidden(format!(
                "an administration act is made at a desk, names its day ({}) and its sheet, \
                 and nothing else names it: {}",
                qc_domain::admin::ADMIN_PREFIX,
                e.case
            )));
        }
    }
    Ok(())
}
