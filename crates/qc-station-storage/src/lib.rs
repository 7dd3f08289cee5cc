//! What the base station keeps, behind a trait that speaks domain types only, so each backend
//! (SQLite for a squad, PostgreSQL for a city) is a crate of its own and passes the same suite
//! ([`suite`]).
//!
//! Methods take `&self`: a backend owns its connections (a pool, or one connection behind a
//! lock) and requests run at once.

mod blobs;
pub mod desk;
pub mod rows;

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

pub use blobs::{BlobRows, Blobs, upload_started};
use qc_chain::{Digest, FeedHead, SignedEntry};
use qc_domain::{CaseStatus, CaseView, Timestamp};
use qc_identity::{SignedCertificate, SignedRevocationList};
use qc_log::SignedCheckpoint;
pub use qc_tlog::{TileId, TreeState};
use thiserror::Error;

/// A storage failure.
#[derive(Debug, Error)]
pub enum StorageError {
    /// The backend failed.
    #[error("storage: {0}")]
    Backend(String),
    /// Stored data that does not decode.
    #[error("stored data is damaged: {0}")]
    Damaged(String),
}

/// What a one-time enrolment code lets its holder do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Grant {
    /// Enrol a new device for a squad.
    Device {
        /// The squad.
        squad: String,
    },
    /// Enrol a person's key on an enrolled device.
    Officer {
        /// The person's id.
        person: String,
    },
}

/// What the station knows of a case without opening its document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseMeta {
    /// The squad it belongs to.
    pub squad: String,
    /// Where it stands.
    pub status: CaseStatus,
    /// The document's heads, sorted.
    pub heads: Vec<Digest>,
}

/// A merged case document to keep ([`Storage::keep_case_docs`]).
#[derive(Debug, Clone, Copy)]
pub struct KeptDoc<'a> {
    /// The case.
    pub case: &'a str,
    /// What is known of the merged document.
    pub meta: &'a CaseMeta,
    /// Its saved bytes.
    pub doc: &'a [u8],
    /// The heads of the station's copy it was merged into, as stored; `None` for a case the
    /// station held no copy of.
    pub over: Option<&'a [Digest]>,
    /// Its row in the case list (none when it cannot be derived).
    pub row: Option<&'a rows::CaseRow>,
}

/// A case a view sees, as a sync compares it with what a device holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeenCase {
    /// Its id.
    pub case: String,
    /// What is known of it.
    pub meta: CaseMeta,
    /// How many entries of desks (a review, an export) the log holds about it: counted by the
    /// log as it appends, since a desk act changes no document.
    pub desk_acts: u64,
}

impl CaseMeta {
    /// A case's meta as a backend keeps it: the squad, the status's code (one this code does
    /// not know, or none from before statuses were kept, reads as registered: the service
    /// re-reads the document, see `Service::new`) and the heads, 32 bytes each.
    pub fn from_stored(
        squad: String,
        status: &str,
        heads: &[u8],
    ) -> Result<CaseMeta, StorageError> {
        Ok(CaseMeta {
            squad,
            status: CaseStatus::from_code(status).unwrap_or(CaseStatus::Registered),
            heads: heads
                .chunks(32)
                .map(|c| stored_digest(c.to_vec()))
                .collect::<Result<_, _>>()?,
        })
    }
}

/// The first byte of an entry's actors' signatures as a store keeps them now (see
/// [`actor_sigs_kept`]); what was kept before is a JSON array, which starts with `[`.
const ACTOR_SIGS_V2: u8 = 1;

/// An entry's actors' signatures as a store keeps them: [`ACTOR_SIGS_V2`], then each as its
/// length (two bytes, big-endian) and its bytes. Kept before as a JSON array of arrays of
/// numbers, decoding them took a sync more than reading them from the database did.
pub fn actor_sigs_kept(sigs: &[Vec<u8>]) -> Result<Vec<u8>, StorageError> {
    let mut out = Vec::with_capacity(1 + sigs.iter().map(|s| 2 + s.len()).sum::<usize>());
    out.push(ACTOR_SIGS_V2);
    for sig in sigs {
        let len = u16::try_from(sig.len())
            .map_err(|_| StorageError::Backend("an actor's signature over 64 KiB".into()))?;
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(sig);
    }
    Ok(out)
}

/// An entry's actors' signatures from what a store kept ([`actor_sigs_kept`], or the JSON
/// array of a store written before).
pub fn actor_sigs_read(kept: &[u8]) -> Result<Vec<Vec<u8>>, StorageError> {
    let damaged =
        |what: &str| StorageError::Damaged(format!("an entry's actors' signatures: {what}"));
    match kept.split_first() {
        Some((&ACTOR_SIGS_V2, mut rest)) => {
            let mut sigs = Vec::new();
            while let Some((len, tail)) = rest.split_first_chunk::<2>() {
                let len = usize::from(u16::from_be_bytes(*len));
                let (sig, tail) = tail
                    .split_at_checked(len)
                    .ok_or_else(|| damaged("cut short"))?;
                sigs.push(sig.to_vec());
                rest = tail;
            }
            if rest.is_empty() {
                Ok(sigs)
            } else {
                Err(damaged("cut short"))
            }
        }
        Some((b'[', _)) => serde_json::from_slice(kept).map_err(|e| damaged(&e.to_string())),
        _ => Err(damaged("of no known layout")),
    }
}

/// Where an entry goes in the log's rows: its device, its place in the device's feed and its
/// case — none for an entry without its body (its device set it aside: the case is only a
/// commitment in its head).
pub fn entry_place(e: &SignedEntry) -> Result<(String, u64, String), StorageError> {
    let damaged = |x: qc_chain::ChainError| StorageError::Damaged(x.to_string());
    if e.is_elided() {
        let head = e.head().map_err(damaged)?;
        return Ok((head.device, head.seq, String::new()));
    }
    let d = e.entry().map_err(damaged)?;
    Ok((d.device, d.seq, d.case))
}

/// A hash as a backend keeps it: exactly 32 bytes, or the store is damaged.
pub fn stored_digest(bytes: Vec<u8>) -> Result<Digest, StorageError> {
    bytes
        .try_into()
        .map_err(|_| StorageError::Damaged("a stored hash is not 32 bytes".into()))
}

/// Canonical bytes and a signature over them, as a backend keeps a signed object.
pub type StoredSigned = (Vec<u8>, Vec<u8>);

/// An entry as the log holds it: its index, and the hash it was logged under (which a station
/// checks the entry's bytes still have).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logged {
    /// Its index in the log.
    pub index: u64,
    /// The hash it was logged under.
    pub hash: Digest,
    /// The entry.
    pub entry: SignedEntry,
}

/// What a sync sends down of some cases ([`Storage::feeds_down`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedsDown {
    /// Their feeds, each entry where the log holds it.
    pub entries: Vec<Logged>,
    /// The certificates of the devices whose feeds those are.
    pub certificates: Vec<SignedCertificate>,
    /// The log's tree, holding every one of the entries.
    pub tree: TreeState,
}

/// How much of a blob the station holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlobState {
    /// Declared size.
    pub size: u64,
    /// Bytes received so far.
    pub received: u64,
    /// Whether it arrived whole and matched its hash.
    pub complete: bool,
}

/// The log as last sequenced: its tree and the checkpoints signed over it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogHead {
    /// Size and root.
    pub tree: TreeState,
    /// The checkpoint devices verify (none before the first entry).
    pub checkpoint: Option<SignedCheckpoint>,
    /// The same tree as a C2SP signed note, for outside tooling (none before the first entry).
    pub note: Option<String>,
}

impl LogHead {
    /// The empty log.
    pub const EMPTY: LogHead = LogHead {
        tree: TreeState::EMPTY,
        checkpoint: None,
        note: None,
    };
}

/// A case seen, with its document when a device is behind on it
/// ([`Storage::case_metas_seen_behind`]).
pub type SeenBehind = (SeenCase, Option<Vec<u8>>);

/// Whether the heads of `case` are not those `have` names (none when it names none).
pub fn heads_differ(have: &BTreeMap<&str, Vec<Digest>>, case: &SeenCase) -> bool {
    have.get(case.case.as_str()).map_or(&[][..], Vec::as_slice) != case.meta.heads.as_slice()
}

/// Whether a device holding `have` (heads by case) and `desk_acts` (how many desks' acts by
/// case, when it says) is sent `case`: its heads differ, or the desks acted on it since (a
/// review for the squad to read changes no document).
pub fn sent_down(
    have: &BTreeMap<&str, Vec<Digest>>,
    desk_acts: Option<&BTreeMap<String, u64>>,
    case: &SeenCase,
) -> bool {
    heads_differ(have, case)
        || desk_acts
            .is_some_and(|held| held.get(&case.case).copied().unwrap_or_default() < case.desk_acts)
}

/// What a device holds, as it tells a sync.
#[derive(Debug, Clone, Copy)]
pub struct Held<'a> {
    /// The heads of each case.
    pub have: &'a BTreeMap<&'a str, Vec<Digest>>,
    /// How many desks' acts about each case, when it says (see [`sent_down`]).
    pub desk_acts: Option<&'a BTreeMap<String, u64>>,
    /// The last entry of each device's feed (see [`FeedsHeld`]).
    pub feeds: &'a BTreeMap<String, u64>,
}

impl Held<'_> {
    /// The cases of `sent` this device holds none of ([`FeedsHeld::fresh`]).
    pub fn fresh(&self, sent: &[String]) -> Vec<String> {
        sent.iter()
            .filter(|c| self.have.get(c.as_str()).is_none_or(Vec::is_empty))
            .cloned()
            .collect()
    }
}

/// What a device holds of the feeds going down ([`Storage::feeds_for_cases`]): each feed goes
/// on from the last entry it holds, and from its first entry about `fresh` cases, which the
/// device holds none of (it may hold entries about them as heads only, sent when it could not
/// see them).
#[derive(Debug, Clone, Copy)]
pub struct FeedsHeld<'a> {
    /// The last entry (`seq`) held of each device's feed; a device not named, none.
    pub last: &'a BTreeMap<String, u64>,
    /// Cases going down that the device holds none of.
    pub fresh: &'a [String],
}

/// No feed held: each goes down whole.
static NO_FEEDS: BTreeMap<String, u64> = BTreeMap::new();

impl FeedsHeld<'_> {
    /// Nothing held: whole feeds.
    pub const NONE: FeedsHeld<'static> = FeedsHeld {
        last: &NO_FEEDS,
        fresh: &[],
    };
}

/// What a sync reads to send a device down ([`Storage::pull_read`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pull {
    /// The cases it sees, with the documents of those it is behind on.
    pub seen: Vec<SeenBehind>,
    /// What goes down of the cases [`sent_down`] picks (nothing when it picks none).
    pub feeds: FeedsDown,
}

/// A request's nonce to take, with when its device was seen ([`Storage::use_nonce_seen`]);
/// taken by a sync with its first read ([`Storage::upload_read`],
/// [`Storage::pull_read`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NonceUse<'a> {
    /// The device whose request it is.
    pub device: &'a str,
    /// The nonce.
    pub nonce: &'a [u8; 16],
    /// The request's time.
    pub time: Timestamp,
    /// Nonces older than this are forgotten (may be taken again).
    pub forget_before: Timestamp,
    /// When the device is to be noted seen, if it is.
    pub seen: Option<Timestamp>,
}

impl NonceUse<'_> {
    /// Takes the nonce (if any) in `s` on its own: whether it was new (true with none).
    pub fn take<S: Storage + ?Sized>(nonce: Option<&Self>, s: &S) -> Result<bool, StorageError> {
        match nonce {
            Some(n) => s.use_nonce_seen(n),
            None => Ok(true),
        }
    }
}

/// What an upload reads before it is checked ([`Storage::upload_read`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadRead {
    /// The feed heads of the devices whose entries it sends.
    pub heads: BTreeMap<String, FeedHead>,
    /// The log index of each entry it sends, in its order (`None` for one not logged).
    pub indexes: Vec<Option<u64>>,
    /// The station's copies of the cases whose documents it sends (as [`Storage::case_docs`]).
    pub docs: Vec<(String, CaseMeta, Vec<u8>)>,
    /// The bureau's files' digests (as [`Storage::bureau_digests`]).
    pub bureau: Vec<(String, Digest)>,
}

/// What a request's check reads of its device ([`Storage::device_standing`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceStanding {
    /// Its certificates as [`Storage::device_certificates`] reads them for it alone: its
    /// people's, then its own (none at all for a device not enrolled).
    pub certificates: Vec<SignedCertificate>,
    /// The revocation list kept.
    pub revocations: Option<SignedRevocationList>,
}

/// Feed heads by device, and log indexes in the order asked
/// ([`Storage::heads_then_indexes`]).
pub type HeadsAndIndexes = (BTreeMap<String, FeedHead>, Vec<Option<u64>>);

/// The log held by one sequencer: what it reads is current until it commits, and no other
/// sequencer (in this process or another sharing the store) appends meanwhile. Dropped
/// without committing, it writes nothing.
pub trait Sequencer {
    /// The log's head.
    fn head(&self) -> Result<LogHead, StorageError>;
    /// The feed heads of `devices` (a device with no entry is absent).
    fn feed_heads(
        &self,
        devices: &BTreeSet<String>,
    ) -> Result<BTreeMap<String, FeedHead>, StorageError>;
    /// A hash tile of the log as it stands.
    fn tile(&self, id: TileId) -> Result<Option<Vec<u8>>, StorageError>;
    /// Appends verified entries at the log's end (log indexes `head.tree.size ..`), with the
    /// tiles they change and the new head, all or none; ends the sequencer's hold.
    fn commit(
        self: Box<Self>,
        entries: &[SignedEntry],
        tiles: &[(TileId, Vec<u8>)],
        head: &LogHead,
    ) -> Result<(), StorageError>;
}

/// The base station's durable state.
pub trait Storage: desk::DeskStore + rows::CaseRows + Send + Sync + 'static {
    /// The log's head as last committed.
    fn log_head(&self) -> Result<LogHead, StorageError>;
    /// A hash tile of the log (C2SP tlog-tiles: as many hashes as the log has filled of it).
    fn tile(&self, id: TileId) -> Result<Option<Vec<u8>>, StorageError>;
    /// The hashes of the entries at log indexes `from .. to` (fewer if the log is shorter).
    fn entry_hashes(&self, from: u64, to: u64) -> Result<Vec<Digest>, StorageError>;
    /// The feed heads of `devices` (a device with no entry is absent).
    fn feed_heads(
        &self,
        devices: &BTreeSet<String>,
    ) -> Result<BTreeMap<String, FeedHead>, StorageError>;
    /// Takes the log for appending; waits while another sequencer holds it.
    fn sequence(&self) -> Result<Box<dyn Sequencer + '_>, StorageError>;
    /// [`Self::sequence`] for appending entries of `devices`, whose feed heads a backend may
    /// read along with the head.
    fn sequence_for(
        &self,
        devices: &BTreeSet<String>,
    ) -> Result<Box<dyn Sequencer + '_>, StorageError> {
        let _ = devices;
        self.sequence()
    }
    /// The log indexes of entries, in the order asked (`None` for one not accepted): one
    /// query for an upload's worth.
    fn entry_indexes(&self, hashes: &[Digest]) -> Result<Vec<Option<u64>>, StorageError>;
    /// The feed heads of `devices`, then the log indexes of `hashes` (as [`Self::feed_heads`]
    /// and [`Self::entry_indexes`]): what an upload reads before it is verified. A backend
    /// may read both at once (never the indexes before the heads: an entry logged in
    /// between would show as a gap).
    fn heads_then_indexes(
        &self,
        devices: &BTreeSet<String>,
        hashes: &[Digest],
    ) -> Result<HeadsAndIndexes, StorageError> {
        let heads = self.feed_heads(devices)?;
        Ok((heads, self.entry_indexes(hashes)?))
    }
    /// What an upload reads before it is checked: the feed heads of `devices` then the log
    /// indexes of `hashes` ([`Self::heads_then_indexes`]), the documents of `cases`
    /// ([`Self::case_docs`]) and the bureau's files' digests ([`Self::bureau_digests`]),
    /// taking `nonce` first ([`NonceUse`]; nothing when it was taken before); one read where
    /// the backend can.
    fn upload_read(
        &self,
        (devices, hashes): (&BTreeSet<String>, &[Digest]),
        cases: &[String],
        nonce: Option<&NonceUse<'_>>,
    ) -> Result<Option<UploadRead>, StorageError> {
        if !NonceUse::take(nonce, self)? {
            return Ok(None);
        }
        let (heads, indexes) = self.heads_then_indexes(devices, hashes)?;
        Ok(Some(UploadRead {
            heads,
            indexes,
            docs: self.case_docs(cases)?,
            bureau: self.bureau_digests()?,
        }))
    }
    /// The log index of an accepted entry.
    fn entry_index(&self, hash: &Digest) -> Result<Option<u64>, StorageError> {
        Ok(self
            .entry_indexes(std::slice::from_ref(hash))?
            .pop()
            .flatten())
    }
    /// Every accepted entry about a case, in log order.
    fn case_entries(&self, case: &str) -> Result<Vec<SignedEntry>, StorageError>;
    /// The ids beginning with `prefix` that logged entries name where a case goes (a random
    /// inspection's `draw-…`), in byte order, each with the log index of the last entry
    /// naming it (read by index, however long the log).
    fn case_ids_with_prefix(&self, prefix: &str) -> Result<Vec<(String, u64)>, StorageError>;
    /// Stores a one-time enrolment code (by its hash), valid until `expires`.
    fn add_enrolment_code(
        &self,
        code: &Digest,
        grant: &Grant,
        expires: Timestamp,
    ) -> Result<(), StorageError>;
    /// Uses up a code if it exists, has not expired and `wanted` accepts what it grants: the
    /// grant, then; a code works once, and a code offered for something else stays unused.
    fn take_enrolment_code(
        &self,
        code: &Digest,
        now: Timestamp,
        wanted: &dyn Fn(&Grant) -> bool,
    ) -> Result<Option<Grant>, StorageError>;
    /// Records the nonce of an authenticated request: false if the device used it before (a
    /// replay). Kept durably, so a replay fails after a restart too; nonces of requests timed
    /// before `forget_before` are dropped, as the time check refuses those anyway.
    fn use_nonce(
        &self,
        device: &str,
        nonce: &[u8; 16],
        time: Timestamp,
        forget_before: Timestamp,
    ) -> Result<bool, StorageError>;
    /// Records a wrong enrolment code offered from `source` at `time`, and forgets those
    /// offered before `forget_before` (no limit counts them any more).
    fn add_code_failure(
        &self,
        source: IpAddr,
        time: Timestamp,
        forget_before: Timestamp,
    ) -> Result<(), StorageError>;
    /// When the latest `newest` wrong codes offered after `since` were offered, latest first:
    /// from `source`, or from anywhere for `None`.
    fn code_failures(
        &self,
        source: Option<IpAddr>,
        since: Timestamp,
        newest: u32,
    ) -> Result<Vec<Timestamp>, StorageError>;
    /// Keeps an enrolled device's certificate.
    fn add_device(&self, id: &str, cert: &SignedCertificate) -> Result<(), StorageError>;
    /// An enrolled device's certificate.
    fn device(&self, id: &str) -> Result<Option<SignedCertificate>, StorageError>;
    /// An enrolled device's certificates and the revocation list kept, as one read (what each
    /// request's check needs, and a sync's scope).
    fn device_standing(&self, id: &str) -> Result<DeviceStanding, StorageError> {
        let certificates = match self.device(id)? {
            Some(_) => self.device_certificates(&BTreeSet::from([id.to_owned()]))?,
            None => Vec::new(),
        };
        Ok(DeviceStanding {
            certificates,
            revocations: self.revocations()?,
        })
    }
    /// Takes a request's nonce (as [`Self::use_nonce`]) and, only if it is new, notes its
    /// device seen (as [`Self::device_seen`]): a backend may do both at once.
    fn use_nonce_seen(&self, n: &NonceUse<'_>) -> Result<bool, StorageError> {
        let new = self.use_nonce(n.device, n.nonce, n.time, n.forget_before)?;
        if let (true, Some(at)) = (new, n.seen) {
            self.device_seen(n.device, at)?;
        }
        Ok(new)
    }
    /// Every enrolled device with its certificate, by id.
    fn devices(&self) -> Result<Vec<(String, SignedCertificate)>, StorageError>;
    /// Notes that enrolled device `id` synced at `at` (an earlier time than the one kept is
    /// not kept).
    fn device_seen(&self, id: &str, at: Timestamp) -> Result<(), StorageError>;
    /// When each device that ever synced last did, by id.
    fn devices_seen(&self) -> Result<Vec<(String, Timestamp)>, StorageError>;
    /// Notes files that logged entries name and the station does not hold yet (kept once per
    /// file, case and device, with the earliest time).
    fn note_pending_blobs(&self, pending: &[PendingBlob]) -> Result<(), StorageError>;
    /// The files noted as pending, oldest first.
    fn pending_blobs(&self) -> Result<Vec<PendingBlob>, StorageError>;
    /// Forgets a file as pending for a case (the station holds it for that case now).
    fn clear_pending_blob(&self, hash: &Digest, case: &str) -> Result<(), StorageError>;
    /// Keeps a person's certificate for a key held on `device` (kept once).
    fn add_officer_cert(&self, device: &str, cert: &SignedCertificate) -> Result<(), StorageError>;
    /// Every person's certificate kept, with the device that holds its key.
    fn officer_certs(&self) -> Result<Vec<(String, SignedCertificate)>, StorageError>;
    /// The certificates of the people whose keys `device` holds.
    fn officer_certs_of(&self, device: &str) -> Result<Vec<SignedCertificate>, StorageError>;
    /// The certificates of `devices` in one query, device by device: those of the people whose
    /// keys it holds (as [`Self::officer_certs_of`]), then its own; unknown devices have none.
    fn device_certificates(
        &self,
        devices: &BTreeSet<String>,
    ) -> Result<Vec<SignedCertificate>, StorageError>;
    /// A case document: what is known of it and its saved bytes.
    fn case_doc(&self, case: &str) -> Result<Option<(CaseMeta, Vec<u8>)>, StorageError>;
    /// The documents of `cases` in one query, by case id, as [`Self::case_doc`] reads each;
    /// cases without a document are left out.
    fn case_docs(&self, cases: &[String])
    -> Result<Vec<(String, CaseMeta, Vec<u8>)>, StorageError>;
    /// Keeps a case document (replacing the previous save of it).
    fn put_case_doc(&self, case: &str, meta: &CaseMeta, doc: &[u8]) -> Result<(), StorageError>;
    /// Keeps merged case documents and their rows, all in one transaction, each only if the
    /// station's copy is still the one it was merged into (a request merging into the same
    /// copy at once would otherwise drop the other's changes); names the cases whose copy
    /// moved, of which nothing was written.
    fn keep_case_docs(&self, docs: &[KeptDoc<'_>]) -> Result<Vec<String>, StorageError>;
    /// The cases `view` sees, by id, without the documents (a query by squad and status, not
    /// a read of every case).
    fn case_metas_seen(&self, view: &CaseView) -> Result<Vec<SeenCase>, StorageError>;
    /// [`Self::case_metas_seen`], each case with its document (read with it) when its heads
    /// are not those `have` names (what a device holds, by case): what a sync sends down.
    fn case_metas_seen_behind(
        &self,
        view: &CaseView,
        have: &BTreeMap<&str, Vec<Digest>>,
    ) -> Result<Vec<SeenBehind>, StorageError> {
        let metas = self.case_metas_seen(view)?;
        let behind: Vec<String> = metas
            .iter()
            .filter(|c| heads_differ(have, c))
            .map(|c| c.case.clone())
            .collect();
        let mut docs: BTreeMap<String, (CaseMeta, Vec<u8>)> = self
            .case_docs(&behind)?
            .into_iter()
            .map(|(case, meta, doc)| (case, (meta, doc)))
            .collect();
        Ok(metas
            .into_iter()
            .map(|mut c| {
                // Kept again since: the document goes with what it is now.
                let doc = docs.remove(&c.case).map(|(meta, doc)| {
                    c.meta = meta;
                    doc
                });
                (c, doc)
            })
            .collect())
    }
    /// The cases whose documents were kept before their heads were (an older store's).
    fn cases_without_heads(&self) -> Result<Vec<String>, StorageError>;
    /// The feeds of every device that touched any of `cases`, each up to its last entry about
    /// one of them, device by device in feed order (what a device needs to verify them), in
    /// one query, each entry with where the log holds it: those after the last the device
    /// holds of the feed, and those before about its `fresh` cases ([`FeedsHeld`]).
    fn feeds_for_cases(
        &self,
        cases: &[String],
        held: FeedsHeld<'_>,
    ) -> Result<Vec<Logged>, StorageError>;
    /// What a sync sends down of `cases`: their feeds ([`Self::feeds_for_cases`]), the
    /// certificates of the devices whose feeds those are ([`Self::device_certificates`]), and
    /// the log's tree then (holding every entry read); one read where the backend can.
    fn feeds_down(&self, cases: &[String], held: FeedsHeld<'_>) -> Result<FeedsDown, StorageError> {
        let entries = self.feeds_for_cases(cases, held)?;
        let devices: BTreeSet<String> = entries
            .iter()
            .filter_map(|l| l.entry.head().ok().map(|h| h.device))
            .collect();
        let certificates = self.device_certificates(&devices)?;
        // Read last: the log only grows, so it holds every entry read before.
        let tree = self.log_head()?.tree;
        Ok(FeedsDown {
            entries,
            certificates,
            tree,
        })
    }
    /// What a sync reads to send down to a device of `view` holding `have` and `desk_acts`
    /// (see [`sent_down`]): the cases seen ([`Self::case_metas_seen_behind`]) and what goes
    /// down of those sent ([`Self::feeds_down`]); one read where the backend can. With none
    /// sent the feeds are empty, over the log's tree where the backend read it with them (the
    /// empty tree where it read nothing). Takes `nonce` first ([`NonceUse`]; nothing when it
    /// was taken before).
    fn pull_read(
        &self,
        view: &CaseView,
        held: Held<'_>,
        nonce: Option<&NonceUse<'_>>,
    ) -> Result<Option<Pull>, StorageError> {
        if !NonceUse::take(nonce, self)? {
            return Ok(None);
        }
        let seen = self.case_metas_seen_behind(view, held.have)?;
        let sent: Vec<String> = seen
            .iter()
            .filter(|(c, _)| sent_down(held.have, held.desk_acts, c))
            .map(|(c, _)| c.case.clone())
            .collect();
        let fresh = held.fresh(&sent);
        let feeds = if sent.is_empty() {
            FeedsDown {
                entries: Vec::new(),
                certificates: Vec::new(),
                tree: TreeState::EMPTY,
            }
        } else {
            self.feeds_down(
                &sent,
                FeedsHeld {
                    last: held.feeds,
                    fresh: &fresh,
                },
            )?
        };
        Ok(Some(Pull { seen, feeds }))
    }
    /// A device's whole feed, in order (empty for a device that wrote nothing).
    fn device_feed(&self, device: &str) -> Result<Vec<SignedEntry>, StorageError>;
    /// How much of a blob is held.
    fn blob_state(&self, hash: &Digest) -> Result<Option<BlobState>, StorageError>;
    /// Writes `bytes` at `offset` of a blob of `size` being received: at offset 0 a new
    /// upload starts (replacing an unfinished one); otherwise `offset` must not pass what was
    /// received. Durable when it returns.
    fn write_blob_chunk(
        &self,
        hash: &Digest,
        size: u64,
        offset: u64,
        bytes: &[u8],
    ) -> Result<(), StorageError>;
    /// Ends a blob's upload once all of it is received: computes the SHA-256 of the received
    /// bytes and keeps the blob only if it equals `hash` (true, also when the evidence store
    /// kept it as its last chunk arrived); otherwise the received bytes are discarded (false).
    fn finish_blob(&self, hash: &Digest) -> Result<bool, StorageError>;
    /// Keeps a blob that arrived whole in one request, whose bytes the caller checked against
    /// `hash`, with no upload started for it: kept and recorded when it returns; with `case`,
    /// also linked to it as [`Storage::link_blob`] does and no longer pending for it
    /// ([`Storage::clear_pending_blob`]), in the same write.
    fn keep_whole_blob(
        &self,
        hash: &Digest,
        bytes: &[u8],
        case: Option<&str>,
    ) -> Result<(), StorageError>;
    /// Records that the bytes of a kept blob were uploaded for `case` (kept once); refused
    /// when the blob is not kept (deleted meanwhile).
    fn link_blob(&self, hash: &Digest, case: &str) -> Result<(), StorageError>;
    /// Whether the bytes of a blob were uploaded for `case`.
    fn blob_in_case(&self, hash: &Digest, case: &str) -> Result<bool, StorageError>;
    /// Deletes a blob of `case` whose deletion the head approved (删除原件): no longer the
    /// case's, and its bytes gone unless another case's upload still holds them (true when
    /// they went).
    fn delete_blob(&self, hash: &Digest, case: &str) -> Result<bool, StorageError>;
    /// Notes that entries about to be logged approve deletions in `cases`, so that a station
    /// stopped before it deleted their files deletes them when it starts again.
    fn note_deletions_due(&self, cases: &[String]) -> Result<(), StorageError>;
    /// The cases noted by [`Storage::note_deletions_due`] whose deletions are not done, each
    /// with how many times it was noted.
    fn deletions_due(&self) -> Result<Vec<(String, u64)>, StorageError>;
    /// Records that `case`'s approved deletions are done as far as its `noted`-th note (a
    /// mark noted since, by an approval logged after the entries were read, stays).
    fn deletions_done(&self, case: &str, noted: u64) -> Result<(), StorageError>;
    /// The blobs whose bytes an approved deletion removed and that no upload holds again, each with when its bytes went (ms since the epoch, by the
    /// database's clock), oldest first: what a backup copy of the evidence must let go too.
    fn deleted_blobs(&self) -> Result<Vec<(Digest, i64)>, StorageError>;
    /// The blobs whose upload started and was not yet kept or discarded; the deletions of
    /// blobs a stopped process began ([`BlobRows::unlink_blob_row`]) are finished first.
    fn unfinished_blobs(&self) -> Result<Vec<Digest>, StorageError>;
    /// Reads a complete blob.
    fn open_blob(&self, hash: &Digest) -> Result<Box<dyn std::io::Read + Send>, StorageError>;
    /// Reads the bytes `range` (non-empty, within it) of a complete blob of `size` bytes (as
    /// its [`BlobState`] says), fetching and decrypting only the part of the stored file that
    /// holds them.
    fn open_blob_range(
        &self,
        hash: &Digest,
        size: u64,
        range: std::ops::Range<u64>,
    ) -> Result<Box<dyn std::io::Read + Send>, StorageError>;
    /// Keeps `crl` as the bureau's revocation list in force if the one kept is still
    /// `replacing` (`None`: none kept); `Ok(false)` when another process kept another one
    /// meanwhile (nothing changed), so two revocations at once never lose one.
    fn put_revocations(
        &self,
        crl: &SignedRevocationList,
        replacing: Option<&SignedRevocationList>,
    ) -> Result<bool, StorageError>;
    /// The revocation list kept.
    fn revocations(&self) -> Result<Option<SignedRevocationList>, StorageError>;
    /// Keeps which of the station's bureau files `device` said it took and refused.
    fn note_device_bureau(&self, device: &str, told: &DeviceBureau) -> Result<(), StorageError>;
    /// Which of the station's bureau files each device said it took and refused, by device.
    fn devices_bureau(&self) -> Result<Vec<(String, DeviceBureau)>, StorageError>;
    /// The bureau's files kept for the tablets, one per kind.
    fn bureau_files(&self) -> Result<Vec<BureauFileRow>, StorageError>;
    /// Their kinds and digests only (read at every sync), by kind.
    fn bureau_digests(&self) -> Result<Vec<(String, Digest)>, StorageError>;
    /// Keeps `file` in place of the one of its kind if that is still the one of digest
    /// `replacing` (`None`: none kept); `Ok(false)` when another process replaced it
    /// meanwhile (nothing changed), so two imports at once never lose one unseen.
    fn put_bureau_file(
        &self,
        file: &BureauFileRow,
        replacing: Option<&Digest>,
    ) -> Result<bool, StorageError>;
    /// Keeps that the station refused these entries from `device` for what each one is, so an
    /// act of setting them aside (搁置) can be told from one withdrawing what was never refused.
    fn note_refused(&self, device: &str, entries: &[Digest]) -> Result<(), StorageError>;
    /// Whether the station refused `entry` from `device` (noted by [`Self::note_refused`]).
    fn was_refused(&self, device: &str, entry: &Digest) -> Result<bool, StorageError>;
}

/// Which of the station's bureau files a device took and refused, as it last said.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeviceBureau {
    /// The SHA-256s of those it took.
    pub taken: Vec<Digest>,
    /// Of those it refused.
    pub refused: Vec<Digest>,
}

impl DeviceBureau {
    /// The digests as one column each (32 bytes after 32 bytes).
    pub fn columns(&self) -> (Vec<u8>, Vec<u8>) {
        (self.taken.concat(), self.refused.concat())
    }

    /// Read back from [`Self::columns`].
    pub fn from_columns(taken: &[u8], refused: &[u8]) -> Result<DeviceBureau, StorageError> {
        let digests = |bytes: &[u8]| -> Result<Vec<Digest>, StorageError> {
            if !bytes.len().is_multiple_of(32) {
                return Err(StorageError::Damaged(
                    "a device's bureau files column".into(),
                ));
            }
            Ok(bytes
                .chunks_exact(32)
                .map(|c| <[u8; 32]>::try_from(c).unwrap_or([0; 32]))
                .collect())
        };
        Ok(DeviceBureau {
            taken: digests(taken)?,
            refused: digests(refused)?,
        })
    }
}

/// A file of the bureau's kept for every tablet (权责清单, 文书固定用语), as an administrator
/// imported it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BureauFileRow {
    /// Which file (`catalogue`, `wording`).
    pub kind: String,
    /// Its text as imported.
    pub text: String,
    /// The SHA-256 of the text.
    pub digest: Digest,
    /// When it was imported.
    pub at: Timestamp,
    /// The desk account that imported it.
    pub by: String,
    /// The bureau's release of it, naming the act that imported it.
    pub release: qc_identity::SignedFileRelease,
}

/// The least string greater than every string beginning with `prefix` (its last character
/// moved one on; `None` when none is: a prefix of only U+10FFFF). With `prefix` it bounds a
/// range an ordinary index reads.
pub fn prefix_end(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let mut next = last as u32 + 1;
        if (0xD800..0xE000).contains(&next) {
            next = 0xE000;
        }
        if let Some(c) = char::from_u32(next) {
            chars.push(c);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

/// A file an entry names that the station does not hold yet: which, for which case, which
/// device must send it, and since when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingBlob {
    /// The file's SHA-256.
    pub hash: Digest,
    /// The case.
    pub case: String,
    /// The device whose entry named it.
    pub device: String,
    /// When the entry was logged.
    pub since: Timestamp,
}

/// A store chosen at run time (the command line picks SQLite or PostgreSQL by its settings).
impl<T: Storage + ?Sized> Storage for Box<T> {
    fn log_head(&self) -> Result<LogHead, StorageError> {
        (**self).log_head()
    }

    fn tile(&self, id: TileId) -> Result<Option<Vec<u8>>, StorageError> {
        (**self).tile(id)
    }

    fn entry_hashes(&self, from: u64, to: u64) -> Result<Vec<Digest>, StorageError> {
        (**self).entry_hashes(from, to)
    }

    fn feed_heads(
        &self,
        devices: &BTreeSet<String>,
    ) -> Result<BTreeMap<String, FeedHead>, StorageError> {
        (**self).feed_heads(devices)
    }

    fn sequence(&self) -> Result<Box<dyn Sequencer + '_>, StorageError> {
        (**self).sequence()
    }

    fn sequence_for(
        &self,
        devices: &BTreeSet<String>,
    ) -> Result<Box<dyn Sequencer + '_>, StorageError> {
        (**self).sequence_for(devices)
    }

    fn entry_indexes(&self, hashes: &[Digest]) -> Result<Vec<Option<u64>>, StorageError> {
        (**self).entry_indexes(hashes)
    }

    fn heads_then_indexes(
        &self,
        devices: &BTreeSet<String>,
        hashes: &[Digest],
    ) -> Result<HeadsAndIndexes, StorageError> {
        (**self).heads_then_indexes(devices, hashes)
    }

    fn upload_read(
        &self,
        entries: (&BTreeSet<String>, &[Digest]),
        cases: &[String],
        nonce: Option<&NonceUse<'_>>,
    ) -> Result<Option<UploadRead>, StorageError> {
        (**self).upload_read(entries, cases, nonce)
    }

    fn case_entries(&self, case: &str) -> Result<Vec<SignedEntry>, StorageError> {
        (**self).case_entries(case)
    }

    fn case_ids_with_prefix(&self, prefix: &str) -> Result<Vec<(String, u64)>, StorageError> {
        (**self).case_ids_with_prefix(prefix)
    }

    fn add_enrolment_code(
        &self,
        code: &Digest,
        grant: &Grant,
        expires: Timestamp,
    ) -> Result<(), StorageError> {
        (**self).add_enrolment_code(code, grant, expires)
    }

    fn take_enrolment_code(
        &self,
        code: &Digest,
        now: Timestamp,
        wanted: &dyn Fn(&Grant) -> bool,
    ) -> Result<Option<Grant>, StorageError> {
        (**self).take_enrolment_code(code, now, wanted)
    }

    fn use_nonce(
        &self,
        device: &str,
        nonce: &[u8; 16],
        time: Timestamp,
        forget_before: Timestamp,
    ) -> Result<bool, StorageError> {
        (**self).use_nonce(device, nonce, time, forget_before)
    }

    fn add_code_failure(
        &self,
        source: IpAddr,
        time: Timestamp,
        forget_before: Timestamp,
    ) -> Result<(), StorageError> {
        (**self).add_code_failure(source, time, forget_before)
    }

    fn code_failures(
        &self,
        source: Option<IpAddr>,
        since: Timestamp,
        newest: u32,
    ) -> Result<Vec<Timestamp>, StorageError> {
        (**self).code_failures(source, since, newest)
    }

    fn add_device(&self, id: &str, cert: &SignedCertificate) -> Result<(), StorageError> {
        (**self).add_device(id, cert)
    }

    fn device(&self, id: &str) -> Result<Option<SignedCertificate>, StorageError> {
        (**self).device(id)
    }

    fn device_standing(&self, id: &str) -> Result<DeviceStanding, StorageError> {
        (**self).device_standing(id)
    }

    fn use_nonce_seen(&self, nonce: &NonceUse<'_>) -> Result<bool, StorageError> {
        (**self).use_nonce_seen(nonce)
    }

    fn devices(&self) -> Result<Vec<(String, SignedCertificate)>, StorageError> {
        (**self).devices()
    }

    fn device_seen(&self, id: &str, at: Timestamp) -> Result<(), StorageError> {
        (**self).device_seen(id, at)
    }

    fn devices_seen(&self) -> Result<Vec<(String, Timestamp)>, StorageError> {
        (**self).devices_seen()
    }

    fn note_pending_blobs(&self, pending: &[PendingBlob]) -> Result<(), StorageError> {
        (**self).note_pending_blobs(pending)
    }

    fn pending_blobs(&self) -> Result<Vec<PendingBlob>, StorageError> {
        (**self).pending_blobs()
    }

    fn clear_pending_blob(&self, hash: &Digest, case: &str) -> Result<(), StorageError> {
        (**self).clear_pending_blob(hash, case)
    }

    fn add_officer_cert(&self, device: &str, cert: &SignedCertificate) -> Result<(), StorageError> {
        (**self).add_officer_cert(device, cert)
    }

    fn officer_certs(&self) -> Result<Vec<(String, SignedCertificate)>, StorageError> {
        (**self).officer_certs()
    }

    fn officer_certs_of(&self, device: &str) -> Result<Vec<SignedCertificate>, StorageError> {
        (**self).officer_certs_of(device)
    }

    fn device_certificates(
        &self,
        devices: &BTreeSet<String>,
    ) -> Result<Vec<SignedCertificate>, StorageError> {
        (**self).device_certificates(devices)
    }

    fn case_doc(&self, case: &str) -> Result<Option<(CaseMeta, Vec<u8>)>, StorageError> {
        (**self).case_doc(case)
    }

    fn case_docs(
        &self,
        cases: &[String],
    ) -> Result<Vec<(String, CaseMeta, Vec<u8>)>, StorageError> {
        (**self).case_docs(cases)
    }

    fn put_case_doc(&self, case: &str, meta: &CaseMeta, doc: &[u8]) -> Result<(), StorageError> {
        (**self).put_case_doc(case, meta, doc)
    }

    fn keep_case_docs(&self, docs: &[KeptDoc<'_>]) -> Result<Vec<String>, StorageError> {
        (**self).keep_case_docs(docs)
    }

    fn case_metas_seen(&self, view: &CaseView) -> Result<Vec<SeenCase>, StorageError> {
        (**self).case_metas_seen(view)
    }

    fn case_metas_seen_behind(
        &self,
        view: &CaseView,
        have: &BTreeMap<&str, Vec<Digest>>,
    ) -> Result<Vec<SeenBehind>, StorageError> {
        (**self).case_metas_seen_behind(view, have)
    }

    fn cases_without_heads(&self) -> Result<Vec<String>, StorageError> {
        (**self).cases_without_heads()
    }

    fn feeds_for_cases(
        &self,
        cases: &[String],
        held: FeedsHeld<'_>,
    ) -> Result<Vec<Logged>, StorageError> {
        (**self).feeds_for_cases(cases, held)
    }

    fn feeds_down(&self, cases: &[String], held: FeedsHeld<'_>) -> Result<FeedsDown, StorageError> {
        (**self).feeds_down(cases, held)
    }

    fn pull_read(
        &self,
        view: &CaseView,
        held: Held<'_>,
        nonce: Option<&NonceUse<'_>>,
    ) -> Result<Option<Pull>, StorageError> {
        (**self).pull_read(view, held, nonce)
    }

    fn device_feed(&self, device: &str) -> Result<Vec<SignedEntry>, StorageError> {
        (**self).device_feed(device)
    }

    fn blob_state(&self, hash: &Digest) -> Result<Option<BlobState>, StorageError> {
        (**self).blob_state(hash)
    }

    fn write_blob_chunk(
        &self,
        hash: &Digest,
        size: u64,
        offset: u64,
        bytes: &[u8],
    ) -> Result<(), StorageError> {
        (**self).write_blob_chunk(hash, size, offset, bytes)
    }

    fn finish_blob(&self, hash: &Digest) -> Result<bool, StorageError> {
        (**self).finish_blob(hash)
    }

    fn keep_whole_blob(
        &self,
        hash: &Digest,
        bytes: &[u8],
        case: Option<&str>,
    ) -> Result<(), StorageError> {
        (**self).keep_whole_blob(hash, bytes, case)
    }

    fn link_blob(&self, hash: &Digest, case: &str) -> Result<(), StorageError> {
        (**self).link_blob(hash, case)
    }

    fn blob_in_case(&self, hash: &Digest, case: &str) -> Result<bool, StorageError> {
        (**self).blob_in_case(hash, case)
    }

    fn delete_blob(&self, hash: &Digest, case: &str) -> Result<bool, StorageError> {
        (**self).delete_blob(hash, case)
    }

    fn note_deletions_due(&self, cases: &[String]) -> Result<(), StorageError> {
        (**self).note_deletions_due(cases)
    }

    fn deletions_due(&self) -> Result<Vec<(String, u64)>, StorageError> {
        (**self).deletions_due()
    }

    fn deletions_done(&self, case: &str, noted: u64) -> Result<(), StorageError> {
        (**self).deletions_done(case, noted)
    }

    fn deleted_blobs(&self) -> Result<Vec<(Digest, i64)>, StorageError> {
        (**self).deleted_blobs()
    }

    fn unfinished_blobs(&self) -> Result<Vec<Digest>, StorageError> {
        (**self).unfinished_blobs()
    }

    fn open_blob(&self, hash: &Digest) -> Result<Box<dyn std::io::Read + Send>, StorageError> {
        (**self).open_blob(hash)
    }

    fn open_blob_range(
        &self,
        hash: &Digest,
        size: u64,
        range: std::ops::Range<u64>,
    ) -> Result<Box<dyn std::io::Read + Send>, StorageError> {
        (**self).open_blob_range(hash, size, range)
    }

    fn put_revocations(
        &self,
        crl: &SignedRevocationList,
        replacing: Option<&SignedRevocationList>,
    ) -> Result<bool, StorageError> {
        (**self).put_revocations(crl, replacing)
    }

    fn revocations(&self) -> Result<Option<SignedRevocationList>, StorageError> {
        (**self).revocations()
    }
    fn note_device_bureau(&self, device: &str, told: &DeviceBureau) -> Result<(), StorageError> {
        (**self).note_device_bureau(device, told)
    }
    fn devices_bureau(&self) -> Result<Vec<(String, DeviceBureau)>, StorageError> {
        (**self).devices_bureau()
    }
    fn bureau_files(&self) -> Result<Vec<BureauFileRow>, StorageError> {
        (**self).bureau_files()
    }
    fn bureau_digests(&self) -> Result<Vec<(String, Digest)>, StorageError> {
        (**self).bureau_digests()
    }
    fn put_bureau_file(
        &self,
        file: &BureauFileRow,
        replacing: Option<&Digest>,
    ) -> Result<bool, StorageError> {
        (**self).put_bureau_file(file, replacing)
    }
    fn note_refused(&self, device: &str, entries: &[Digest]) -> Result<(), StorageError> {
        (**self).note_refused(device, entries)
    }
    fn was_refused(&self, device: &str, entry: &Digest) -> Result<bool, StorageError> {
        (**self).was_refused(device, entry)
    }
}

/// The backend-independent test suite: every [`Storage`] must pass it. `fresh` makes an empty
/// store each time it is called.
#[doc(hidden)]
// A test suite: failing loudly is its job.
#[allow(clippy::unwrap_used)]
pub mod suite {
    use std::io::Read as _;

    use qc_station_evidence::{Evidence, EvidenceError};

    use qc_chain::{Action, Entry, SignedEntry};
    use qc_domain::Timestamp;

    use super::*;

    /// An entry of `device`'s feed about `case` (the suite's, and a backend's own tests').
    pub fn entry(device: &str, seq: u64, prev: Digest, case: &str) -> SignedEntry {
        let e = Entry {
            device: device.into(),
            seq,
            prev,
            time: Timestamp(seq as i64),
            actors: vec![],
            action: Action::Export,
            case: case.into(),
            heads: vec![],
            blobs: vec![],
            records: vec![],
        };
        SignedEntry::sign(&e, &ed25519_dalek::SigningKey::from_bytes(&[1; 32]), &[])
    }

    fn check(what: &str, ok: bool) {
        assert!(ok, "storage suite: {what}");
    }

    /// Runs every check on stores made by `fresh`.
    pub fn run<S: Storage + BlobRows>(fresh: impl Fn() -> S) {
        entries_keep_log_order_and_feed_heads(fresh());
        sequencers_take_turns(fresh());
        tiles_grow_across_boundaries(fresh());
        codes_work_once_and_expire(fresh());
        nonces_work_once_until_forgotten(fresh());
        devices_are_kept(fresh());
        officers_kept_by_device(fresh());
        case_docs_by_squad_and_feeds_by_case(fresh());
        cases_seen_by_squad_and_status(fresh());
        wrong_codes_counted_by_source_and_in_all(fresh());
        blobs_resume_and_keep_only_what_matches(fresh());
        bureau_files_replaced_only_over_the_one_read(fresh());
        refusals_kept_by_device(fresh());
        deletions_interrupted_are_finished(fresh());
        strays_are_claimed_only_without_an_upload(fresh());
        merged_docs_kept_only_over_the_copy_they_were_merged_into(fresh());
    }

    /// Bytes kept by an upload whose row a deletion forgot meanwhile are claimed for deletion;
    /// an upload's row or a kept blob's is never taken over.
    fn strays_are_claimed_only_without_an_upload<S: Storage + BlobRows>(s: S) {
        use sha2::{Digest as _, Sha256};
        let data = vec![4u8; 100];
        let hash: Digest = Sha256::digest(&data).into();
        s.keep_whole_blob(&hash, &data, None).unwrap();
        check(
            "a kept blob is no stray",
            !s.claim_stray(&hash).unwrap()
                && s.blob_state(&hash).unwrap().is_some_and(|b| b.complete),
        );
        const K: usize = 64 * 1024;
        let (unfinished, started) = ([6; 32], [6u8; K]);
        s.write_blob_chunk(&unfinished, 2 * K as u64, 0, &started)
            .unwrap();
        check(
            "an upload under way is no stray",
            !s.claim_stray(&unfinished).unwrap() && s.blob_state(&unfinished).unwrap().is_some(),
        );
        let stray = [7; 32];
        check(
            "bytes with no row are claimed, and claimed again",
            s.claim_stray(&stray).unwrap()
                && s.claim_stray(&stray).unwrap()
                && s.deleting_blob_rows().unwrap() == [stray],
        );
        check(
            "a claimed stray is no blob, and no upload of it starts",
            s.blob_state(&stray).unwrap().is_none()
                && s.write_blob_chunk(&stray, 3, 0, b"abc").is_err(),
        );
        check(
            "its deletion finished at the next start",
            s.unfinished_blobs().unwrap() == [unfinished]
                && s.deleting_blob_rows().unwrap().is_empty(),
        );
    }

    /// What another request does at a chosen moment, once.
    type Meanwhile = std::sync::Arc<std::sync::Mutex<Option<Box<dyn FnOnce() + Send>>>>;

    /// Evidence bytes that let another request run once just before the next blob sent whole
    /// is put: the blob's deletion (删除原件) landing while its upload is on its way.
    struct Racing {
        inner: Box<dyn Evidence>,
        before_put: Meanwhile,
    }

    impl Evidence for Racing {
        fn contains(&self, hash: &[u8; 32]) -> Result<bool, EvidenceError> {
            self.inner.contains(hash)
        }
        fn received(&self, hash: &[u8; 32], size: u64) -> Result<u64, EvidenceError> {
            self.inner.received(hash, size)
        }
        fn begin(&self, hash: &[u8; 32], size: u64) -> Result<(), EvidenceError> {
            self.inner.begin(hash, size)
        }
        fn receive(
            &self,
            hash: &[u8; 32],
            size: u64,
            offset: u64,
            bytes: &[u8],
        ) -> Result<(), EvidenceError> {
            self.inner.receive(hash, size, offset, bytes)
        }
        fn finish(
            &self,
            hash: &[u8; 32],
            size: u64,
            known_good: bool,
        ) -> Result<bool, EvidenceError> {
            self.inner.finish(hash, size, known_good)
        }
        fn discard(&self, hash: &[u8; 32]) -> Result<(), EvidenceError> {
            self.inner.discard(hash)
        }
        fn remove(&self, hash: &[u8; 32]) -> Result<(), EvidenceError> {
            self.inner.remove(hash)
        }
        fn put_whole(&self, hash: &[u8; 32], bytes: &[u8]) -> Result<(), EvidenceError> {
            let meanwhile = self.before_put.lock().ok().and_then(|mut h| h.take());
            if let Some(run) = meanwhile {
                run();
            }
            self.inner.put_whole(hash, bytes)
        }
        fn open(&self, hash: &[u8; 32]) -> Result<Box<dyn std::io::Read + Send>, EvidenceError> {
            self.inner.open(hash)
        }
        fn open_range(
            &self,
            hash: &[u8; 32],
            size: u64,
            range: std::ops::Range<u64>,
        ) -> Result<Box<dyn std::io::Read + Send>, EvidenceError> {
            self.inner.open_range(hash, size, range)
        }
    }

    /// A blob deleted while its upload's bytes were on their way (the upload's row read, its
    /// bytes not yet put): the bytes that arrive after the deletion go too, and the upload is
    /// refused; nothing is left that would stop the file being sent again for a live case.
    /// `open` makes a store over `evidence` (a new one).
    pub fn bytes_arriving_after_their_deletion_go<S: Storage + BlobRows + Send + Sync + 'static>(
        open: impl FnOnce(Box<dyn Evidence>) -> S,
        evidence: Box<dyn Evidence>,
    ) {
        use std::sync::{Arc, Mutex};

        use sha2::{Digest as _, Sha256};
        let before_put: Meanwhile = Arc::new(Mutex::new(None));
        let s = Arc::new(open(Box::new(Racing {
            inner: evidence,
            before_put: before_put.clone(),
        })));
        let data = vec![5u8; 3 * 64 * 1024 + 10];
        let hash: Digest = Sha256::digest(&data).into();
        let deleted = Arc::new(Mutex::new(None));
        let (other, told) = (s.clone(), deleted.clone());
        let run: Box<dyn FnOnce() + Send> = Box::new(move || {
            let gone = other.delete_blob(&hash, "c1").ok();
            *told.lock().unwrap() = gone;
        });
        *before_put.lock().unwrap() = Some(run);
        let sent = s.keep_whole_blob(&hash, &data, None);
        check(
            "the deletion came while the bytes were on their way",
            *deleted.lock().unwrap() == Some(true),
        );
        check("the upload is refused", sent.is_err());
        check(
            "the bytes that arrived after the deletion are gone",
            s.open_blob_range(&hash, data.len() as u64, 0..10).is_err()
                && s.blob_state(&hash).unwrap().is_none()
                && s.deleting_blob_rows().unwrap().is_empty(),
        );
        s.keep_whole_blob(&hash, &data, None).unwrap();
        check(
            "sent again for a live case, kept",
            s.blob_state(&hash).unwrap().is_some_and(|b| b.complete) && s.open_blob(&hash).is_ok(),
        );
    }

    /// Two requests merging into the same copy of a case at once: the second to keep its
    /// document is told, and nothing of it (document or row) is written, nor of a new case
    /// another request kept first; the others in the same call are kept with their rows.
    fn merged_docs_kept_only_over_the_copy_they_were_merged_into<S: Storage>(s: S) {
        let meta = |status, heads: &[Digest]| CaseMeta {
            squad: "一中队".into(),
            status,
            heads: heads.to_vec(),
        };
        let row = |id: &str, summary: &str| rows::CaseRow {
            id: id.into(),
            squad: "一中队".into(),
            summary: summary.into(),
            ..rows::CaseRow::default()
        };
        let kept = |case, meta, doc, over, row| KeptDoc {
            case,
            meta,
            doc,
            over,
            row,
        };
        let first = meta(CaseStatus::Registered, &[[1; 32]]);
        let (r1, r2) = (row("c1", "v1"), row("c2", "new"));
        check(
            "new cases kept with their rows",
            s.keep_case_docs(&[
                kept("c1", &first, b"v1", None, Some(&r1)),
                kept("c2", &first, b"n1", None, Some(&r2)),
            ])
            .unwrap()
            .is_empty()
                && s.case_doc("c1").unwrap() == Some((first.clone(), b"v1".to_vec()))
                && s.cases_without_rows().unwrap().is_empty(),
        );
        // Request A merged into c1 at [1]; request B did too, and kept first.
        let by_b = meta(CaseStatus::Filed, &[[2; 32]]);
        let b_row = row("c1", "by B");
        check(
            "B's kept",
            s.keep_case_docs(&[kept("c1", &by_b, b"B", Some(&[[1; 32]]), Some(&b_row))])
                .unwrap()
                .is_empty(),
        );
        let by_a = meta(CaseStatus::Filed, &[[3; 32]]);
        let (a_row, a_new) = (row("c1", "by A"), row("c3", "A's new case"));
        let moved = s
            .keep_case_docs(&[
                kept("c1", &by_a, b"A", Some(&[[1; 32]]), Some(&a_row)),
                kept("c2", &by_a, b"A2", Some(&[[1; 32]]), None),
                kept("c3", &by_a, b"A3", None, Some(&a_new)),
            ])
            .unwrap();
        check("A's copies that moved named", moved == ["c1"]);
        // The summary of a case's row in the case list.
        let summary_of = |case: &str| {
            s.case_page(
                &CaseView {
                    everything: true,
                    ..CaseView::default()
                },
                &rows::CaseQuery {
                    limit: 10,
                    ..rows::CaseQuery::default()
                },
                Timestamp(0),
            )
            .unwrap()
            .rows
            .into_iter()
            .find(|(r, _)| r.id == case)
            .map(|(r, _)| r.summary)
        };
        check(
            "nothing of A's stale merge written",
            s.case_doc("c1").unwrap() == Some((by_b.clone(), b"B".to_vec()))
                && summary_of("c1").as_deref() == Some("by B"),
        );
        check(
            "A's others kept",
            s.case_doc("c2").unwrap() == Some((by_a.clone(), b"A2".to_vec()))
                && s.case_doc("c3").unwrap() == Some((by_a.clone(), b"A3".to_vec())),
        );
        check(
            "a new case kept by another first is named",
            s.keep_case_docs(&[kept("c3", &first, b"again", None, None)])
                .unwrap()
                == ["c3"]
                && s.case_doc("c3").unwrap() == Some((by_a.clone(), b"A3".to_vec())),
        );
        check("nothing to keep", s.keep_case_docs(&[]).unwrap().is_empty());
        // One document alone (a sync's usual one), its row written with it or not at all.
        let stale_row = row("c1", "stale");
        check(
            "one stale copy named, nothing of it written",
            s.keep_case_docs(&[kept("c1", &first, b"S", Some(&[[1; 32]]), Some(&stale_row))])
                .unwrap()
                == ["c1"]
                && s.case_doc("c1").unwrap() == Some((by_b.clone(), b"B".to_vec()))
                && summary_of("c1").as_deref() == Some("by B"),
        );
        let (later, c4) = (
            meta(CaseStatus::Filed, &[[4; 32]]),
            row("c4", "one new case"),
        );
        check(
            "one new case kept with its row",
            s.keep_case_docs(&[kept("c4", &later, b"N", None, Some(&c4))])
                .unwrap()
                .is_empty()
                && s.case_doc("c4").unwrap() == Some((later.clone(), b"N".to_vec()))
                && summary_of("c4").as_deref() == Some("one new case"),
        );
        let c1_row = row("c1", "by C");
        check(
            "one copy kept over the one it was merged into, with its row",
            s.keep_case_docs(&[kept("c1", &later, b"C", Some(&[[2; 32]]), Some(&c1_row))])
                .unwrap()
                .is_empty()
                && s.case_doc("c1").unwrap() == Some((later.clone(), b"C".to_vec()))
                && summary_of("c1").as_deref() == Some("by C"),
        );
    }

    /// A process that stops during a deletion (删除原件) leaves it to be finished, and no other
    /// process keeps or links the bytes meanwhile.
    fn deletions_interrupted_are_finished<S: Storage + BlobRows>(s: S) {
        use sha2::{Digest as _, Sha256};
        let data = vec![3u8; 1000];
        let hash: Digest = Sha256::digest(&data).into();
        let pending = PendingBlob {
            hash,
            case: "c1".into(),
            device: "t1".into(),
            since: Timestamp(1),
        };
        s.note_pending_blobs(&[pending]).unwrap();
        s.keep_whole_blob(&hash, &data, Some("c1")).unwrap();
        check(
            "kept whole for a case: linked to it, no longer pending for it",
            s.blob_in_case(&hash, "c1").unwrap()
                && s.pending_blobs().unwrap().iter().all(|p| p.hash != hash),
        );
        // Stopped after the row was marked, before the bytes went.
        check(
            "the last case's deletion begun",
            s.unlink_blob_row(&hash, "c1").unwrap(),
        );
        check(
            "begun once: another process's call owns nothing",
            !s.unlink_blob_row(&hash, "c1").unwrap(),
        );
        check(
            "a blob being deleted is no blob",
            s.blob_state(&hash).unwrap().is_none() && s.open_blob(&hash).is_err(),
        );
        check(
            "no upload of it starts meanwhile",
            s.write_blob_chunk(&hash, 1000, 0, &data).is_err()
                && s.keep_whole_blob(&hash, &data, None).is_err()
                && s.keep_whole_blob(&hash, &data, Some("c2")).is_err()
                && !s.blob_in_case(&hash, "c2").unwrap(),
        );
        check(
            "no case links it meanwhile",
            s.link_blob(&hash, "c2").is_err(),
        );
        check(
            "a mismatch's forgetting leaves it being deleted",
            s.forget_blob_row(&hash).is_ok() && s.deleting_blob_rows().unwrap() == [hash],
        );
        check(
            "the bytes still there",
            s.open_blob_range(&hash, 1000, 0..10).is_ok(),
        );
        check(
            "finished at the next start, no upload left",
            s.unfinished_blobs().unwrap().is_empty() && s.deleting_blob_rows().unwrap().is_empty(),
        );
        check(
            "the bytes gone",
            s.open_blob_range(&hash, 1000, 0..10).is_err(),
        );
        s.keep_whole_blob(&hash, &data, None).unwrap();
        s.link_blob(&hash, "c2").unwrap();
        check(
            "uploaded again for a live case afterwards",
            s.blob_state(&hash).unwrap().is_some_and(|b| b.complete) && s.open_blob(&hash).is_ok(),
        );
        check(
            "the deleted case's approvals again (a later one of the case): nothing of c2's goes",
            !s.delete_blob(&hash, "c1").unwrap() && s.open_blob(&hash).is_ok(),
        );

        // Cases whose approvals are being logged, until their deletions are done.
        check(
            "no deletions due at first",
            s.deletions_due().unwrap().is_empty(),
        );
        s.note_deletions_due(&["c2".into(), "c1".into()]).unwrap();
        s.note_deletions_due(&["c1".into()]).unwrap();
        s.note_deletions_due(&[]).unwrap();
        check(
            "due, each with its notes counted",
            s.deletions_due().unwrap() == [("c1".to_owned(), 2), ("c2".to_owned(), 1)],
        );
        s.deletions_done("c1", 1).unwrap();
        check(
            "a mark noted after what was done stays",
            s.deletions_due().unwrap().len() == 2,
        );
        s.deletions_done("c1", 2).unwrap();
        s.deletions_done("c9", 1).unwrap();
        check("done", s.deletions_due().unwrap() == [("c2".to_owned(), 1)]);
    }

    fn refusals_kept_by_device<S: Storage>(s: S) {
        let (a, b) = ([1; 32], [2; 32]);
        check(
            "nothing refused at first",
            !s.was_refused("t1", &a).unwrap(),
        );
        s.note_refused("t1", &[a, b]).unwrap();
        s.note_refused("t1", &[a]).unwrap();
        s.note_refused("t1", &[]).unwrap();
        check(
            "refused from that device, again no fault",
            s.was_refused("t1", &a).unwrap() && s.was_refused("t1", &b).unwrap(),
        );
        check("not from another device", !s.was_refused("t2", &a).unwrap());
    }

    fn bureau_files_replaced_only_over_the_one_read<S: Storage>(s: S) {
        check(
            "no bureau file at first",
            s.bureau_files().unwrap().is_empty(),
        );
        let file = |kind: &str, text: &str| BureauFileRow {
            kind: kind.into(),
            text: text.into(),
            digest: <sha2::Sha256 as sha2::Digest>::digest(text.as_bytes()).into(),
            at: Timestamp(7),
            by: "wu.min".into(),
            release: qc_identity::SignedFileRelease {
                bytes: text.as_bytes().to_vec(),
                signature: vec![7; 64],
            },
        };
        let (first, second) = (
            file("catalogue", "{\"v\":1}"),
            file("catalogue", "{\"v\":2}"),
        );
        check("first kept", s.put_bureau_file(&first, None).unwrap());
        check(
            "a second first refused",
            !s.put_bureau_file(&second, None).unwrap(),
        );
        check(
            "a replacement over another digest refused",
            !s.put_bureau_file(&second, Some(&second.digest)).unwrap(),
        );
        let wording = file("wording", "[bureau]\nname = \"局\"");
        check(
            "another kind kept",
            s.put_bureau_file(&wording, None).unwrap(),
        );
        check(
            "replaced over the one read",
            s.put_bureau_file(&second, Some(&first.digest)).unwrap(),
        );
        let mut kept = s.bureau_files().unwrap();
        kept.sort_by(|a, b| a.kind.cmp(&b.kind));
        check("both kept whole", kept == [second.clone(), wording.clone()]);
        let mut digests = s.bureau_digests().unwrap();
        digests.sort();
        check(
            "digests by kind",
            digests
                == [
                    ("catalogue".into(), second.digest),
                    ("wording".into(), wording.digest),
                ],
        );
        check(
            "an upload's first read has them, by kind",
            s.upload_read((&BTreeSet::new(), &[]), &[], None)
                .unwrap()
                .unwrap()
                .bureau
                == s.bureau_digests().unwrap(),
        );
    }

    fn blobs_resume_and_keep_only_what_matches<S: Storage>(s: S) {
        use sha2::{Digest as _, Sha256};
        const K: usize = 64 * 1024;
        let data: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
        let hash: Digest = Sha256::digest(&data).into();
        let size = data.len() as u64;
        check("no blob", s.blob_state(&hash).unwrap().is_none());
        // Chunks start at multiples of 64 KiB (wire::BLOB_ALIGN) and are multiples of it but
        // the last.
        s.write_blob_chunk(&hash, size, 0, &data[..2 * K]).unwrap();
        // A chunk sent again after a cut overwrites, never duplicates.
        s.write_blob_chunk(&hash, size, K as u64, &data[K..3 * K])
            .unwrap();
        check(
            "received so far",
            s.blob_state(&hash).unwrap()
                == Some(BlobState {
                    size,
                    received: 3 * K as u64,
                    complete: false,
                }),
        );
        check(
            "a gap is refused",
            s.write_blob_chunk(&hash, size, 4 * K as u64, &data[4 * K..])
                .is_err(),
        );
        s.write_blob_chunk(&hash, size, 3 * K as u64, &data[3 * K..])
            .unwrap();
        check(
            "all received, not yet kept: unfinished",
            s.unfinished_blobs().unwrap() == [hash],
        );
        check(
            "not linked to a case before it is kept",
            s.link_blob(&hash, "c1").is_err() && !s.blob_in_case(&hash, "c1").unwrap(),
        );
        check("whole blob kept", s.finish_blob(&hash).unwrap());
        check("kept: finished", s.unfinished_blobs().unwrap().is_empty());
        check("in no case yet", !s.blob_in_case(&hash, "c1").unwrap());
        s.link_blob(&hash, "c1").unwrap();
        s.link_blob(&hash, "c1").unwrap();
        check(
            "in the case it was uploaded for only",
            s.blob_in_case(&hash, "c1").unwrap() && !s.blob_in_case(&hash, "c2").unwrap(),
        );
        check(
            "complete",
            s.blob_state(&hash).unwrap().is_some_and(|b| b.complete),
        );
        let mut back = Vec::new();
        s.open_blob(&hash).unwrap().read_to_end(&mut back).unwrap();
        check("same bytes back", back == data);
        let mut part = Vec::new();
        let span = K as u64 - 3..2 * K as u64 + 9;
        s.open_blob_range(&hash, size, span.clone())
            .unwrap()
            .read_to_end(&mut part)
            .unwrap();
        check(
            "a range back",
            part == data[span.start as usize..span.end as usize],
        );
        check(
            "no range past the end",
            s.open_blob_range(&hash, size, 0..size + 1).is_err(),
        );
        // An original deleted with the head's approval (删除原件): the bytes stay while another
        // case's upload holds them, then go.
        s.link_blob(&hash, "c2").unwrap();
        check(
            "deleted for one case, kept for the other",
            !s.delete_blob(&hash, "c1").unwrap()
                && !s.blob_in_case(&hash, "c1").unwrap()
                && s.blob_in_case(&hash, "c2").unwrap()
                && s.open_blob(&hash).is_ok(),
        );
        check(
            "deleted for the last case: gone",
            s.delete_blob(&hash, "c2").unwrap()
                && s.blob_state(&hash).unwrap().is_none()
                && s.open_blob(&hash).is_err(),
        );
        check(
            "a deleted blob is linked to no case again",
            s.link_blob(&hash, "c3").is_err() && !s.blob_in_case(&hash, "c3").unwrap(),
        );
        // What backups of the evidence must let go too: the deleted blob, until an upload
        // keeps the same bytes again (for another case).
        let listed = || -> Vec<Digest> {
            s.deleted_blobs()
                .unwrap()
                .into_iter()
                .map(|(h, _)| h)
                .collect()
        };
        check(
            "a deleted blob is listed for backups, kept ones not",
            listed() == [hash],
        );
        s.write_blob_chunk(&hash, size, 0, &data).unwrap();
        check(
            "kept again: no longer listed",
            s.finish_blob(&hash).unwrap() && listed().is_empty(),
        );
        s.link_blob(&hash, "c3").unwrap();
        check(
            "deleted again: listed again",
            s.delete_blob(&hash, "c3").unwrap() && listed() == [hash],
        );

        // A blob in one chunk (an object store keeps it as it arrives).
        let small = &data[..5000];
        let small_hash: Digest = Sha256::digest(small).into();
        s.write_blob_chunk(&small_hash, 5000, 0, small).unwrap();
        check("one chunk kept", s.finish_blob(&small_hash).unwrap());
        check(
            "one chunk complete",
            s.blob_state(&small_hash)
                .unwrap()
                .is_some_and(|b| b.complete && b.received == 5000),
        );
        check(
            "one chunk finished",
            s.unfinished_blobs().unwrap().is_empty(),
        );

        let other: Digest = [7; 32];
        s.write_blob_chunk(&other, 3, 0, b"abc").unwrap();
        check("wrong hash not kept", !s.finish_blob(&other).unwrap());
        check(
            "and forgotten",
            s.blob_state(&other).unwrap().is_none() && s.open_blob(&other).is_err(),
        );
    }

    fn officers_kept_by_device<S: Storage>(s: S) {
        let cert = |b: u8| SignedCertificate {
            bytes: vec![b],
            signature: vec![b; 64],
        };
        s.add_officer_cert("t1", &cert(1)).unwrap();
        s.add_officer_cert("t1", &cert(1)).unwrap();
        s.add_officer_cert("t2", &cert(2)).unwrap();
        check(
            "officer certificates by device, once each",
            s.officer_certs().unwrap() == vec![("t1".into(), cert(1)), ("t2".into(), cert(2))],
        );
        s.add_officer_cert("t1", &cert(3)).unwrap();
        check(
            "one device's officer certificates",
            s.officer_certs_of("t1").unwrap() == [cert(1), cert(3)]
                && s.officer_certs_of("t2").unwrap() == [cert(2)]
                && s.officer_certs_of("t3").unwrap().is_empty(),
        );
        s.add_device("t2", &cert(12)).unwrap();
        s.add_device("t4", &cert(14)).unwrap();
        s.add_officer_cert("t4", &cert(4)).unwrap();
        let one_by_one = |names: &[&str]| -> Vec<SignedCertificate> {
            let mut certs = Vec::new();
            for d in names {
                certs.extend(s.officer_certs_of(d).unwrap());
                certs.extend(s.device(d).unwrap());
            }
            certs
        };
        let batched = |names: &[&str]| s.device_certificates(&devices(names)).unwrap();
        check(
            "devices' certificates in one read: their people's, then their own",
            batched(&["t4", "t1", "t2"])
                == [cert(1), cert(3), cert(2), cert(12), cert(4), cert(14)]
                && batched(&["t1", "t2", "t4"]) == one_by_one(&["t1", "t2", "t4"]),
        );
        check(
            "unknown devices have none",
            batched(&["t9", "t2"]) == [cert(2), cert(12)] && batched(&["t9"]).is_empty(),
        );
        check("no devices, no certificates", batched(&[]).is_empty());
    }

    fn cases_seen_by_squad_and_status<S: Storage>(s: S) {
        use CaseStatus::*;
        let put = |case: &str, squad: &str, status: CaseStatus| {
            let meta = CaseMeta {
                squad: squad.into(),
                status,
                heads: vec![[case.len() as u8; 32]],
            };
            s.put_case_doc(case, &meta, b"doc").unwrap();
        };
        let person = |role, squad: &str| qc_domain::Person {
            id: qc_domain::PersonId("p".into()),
            name: "某人".into(),
            role,
            cert_no: None,
            squad: squad.into(),
        };
        let seen = |view: &CaseView| -> Vec<String> {
            s.case_metas_seen(view)
                .unwrap()
                .into_iter()
                .map(|c| c.case)
                .collect()
        };
        put("c1", "一中队", Registered);
        put("c2", "二中队", Investigating);
        put("c3", "二中队", InvestigationConcluded);
        put("c4", "三中队", Decided);
        put("c5", "一中队", Closed);
        put("c6", "一中队 ", Registered);
        let head = CaseView::of(&person(qc_domain::Role::Head, "一中队"));
        let member = CaseView::of(&person(qc_domain::Role::EnforcementOfficer, "二中队"));
        let reviewer = CaseView::of(&person(qc_domain::Role::LegalReviewer, "一中队"));
        let device = CaseView::of_device("一中队", [&person(qc_domain::Role::Assistant, "二中队")]);
        check(
            "the head sees every case",
            seen(&head) == ["c1", "c2", "c3", "c4", "c5", "c6"],
        );
        check(
            "a squad member their squad's",
            seen(&member) == ["c2", "c3"],
        );
        check(
            "a device its squad's and its people's",
            seen(&device) == ["c1", "c2", "c3", "c5"],
        );
        check(
            "a legal reviewer their squad's and those sent for review, once each",
            seen(&reviewer) == ["c1", "c3", "c4", "c5"],
        );
        check("nobody nothing", seen(&CaseView::default()).is_empty());
        let all = s.case_metas_seen(&head).unwrap();
        for view in [&head, &member, &reviewer, &device] {
            check(
                "as the rule says, with what is kept of each",
                s.case_metas_seen(view).unwrap()
                    == all
                        .iter()
                        .filter(|c| view.sees(&c.meta.squad, c.meta.status))
                        .cloned()
                        .collect::<Vec<_>>(),
            );
        }
        // A device holding c1 as kept, c2 at other heads, and c4 (out of its view).
        let kept = [2u8; 32];
        let have: BTreeMap<&str, Vec<Digest>> = [
            ("c1", vec![kept]),
            ("c2", vec![[7; 32]]),
            ("c4", vec![kept]),
        ]
        .into();
        for view in [&head, &member, &reviewer, &device] {
            let behind = s.case_metas_seen_behind(view, &have).unwrap();
            check(
                "the cases seen, each with its document where the device's heads differ",
                behind.iter().map(|(c, _)| c.clone()).collect::<Vec<_>>()
                    == s.case_metas_seen(view).unwrap()
                    && behind.iter().all(|(c, doc)| {
                        let held = matches!(c.case.as_str(), "c1" | "c4");
                        doc.as_deref() == (!held).then_some(&b"doc"[..])
                    }),
            );
        }
        put("c2", "二中队", InvestigationConcluded);
        put("c4", "三中队", Investigating);
        check(
            "sent for review: in the reviewer's view; sent back: out of it",
            seen(&reviewer) == ["c1", "c2", "c3", "c5"],
        );
        put("c1", "二中队", Registered);
        check(
            "a case moved to another squad",
            seen(&member) == ["c1", "c2", "c3"] && seen(&device) == ["c1", "c2", "c3", "c5"],
        );
        check(
            "and out of its old squad's",
            seen(&CaseView::squad("一中队")) == ["c5"],
        );
    }

    fn wrong_codes_counted_by_source_and_in_all<S: Storage>(s: S) {
        let a: IpAddr = [10, 0, 0, 1].into();
        let b: IpAddr = "fd00::1".parse().unwrap();
        let fail = |source, time, forget_before| {
            s.add_code_failure(source, Timestamp(time), Timestamp(forget_before))
                .unwrap();
        };
        let times = |source, since, newest| -> Vec<i64> {
            s.code_failures(source, Timestamp(since), newest)
                .unwrap()
                .into_iter()
                .map(|t| t.0)
                .collect()
        };
        check("none yet", times(None, 0, 10).is_empty());
        fail(a, 100, 0);
        fail(a, 200, 0);
        fail(b, 150, 0);
        fail(a, 300, 0);
        fail(a, 300, 0);
        check(
            "a source's, latest first, each counted",
            times(Some(a), 0, 10) == [300, 300, 200, 100],
        );
        check(
            "only the latest asked",
            times(Some(a), 0, 3) == [300, 300, 200],
        );
        check(
            "only after `since`",
            times(Some(a), 100, 10) == [300, 300, 200],
        );
        check("another source's", times(Some(b), 0, 10) == [150]);
        check(
            "a source with none",
            times(Some([10, 0, 0, 2].into()), 0, 10).is_empty(),
        );
        check(
            "all sources'",
            times(None, 0, 10) == [300, 300, 200, 150, 100] && times(None, 0, 2) == [300, 300],
        );
        fail(b, 400, 200);
        check(
            "older ones forgotten",
            times(None, 0, 10) == [400, 300, 300, 200] && times(Some(b), 0, 10) == [400],
        );
    }

    fn case_docs_by_squad_and_feeds_by_case<S: Storage>(s: S) {
        let meta = |squad: &str, status, heads: &[Digest]| CaseMeta {
            squad: squad.into(),
            status,
            heads: heads.to_vec(),
        };
        check("no doc", s.case_doc("c1").unwrap().is_none());
        let first = meta("一中队", CaseStatus::Registered, &[[1; 32]]);
        let later = meta("一中队", CaseStatus::Filed, &[[2; 32], [3; 32]]);
        let other = meta("二中队", CaseStatus::Registered, &[]);
        s.put_case_doc("c1", &first, b"v1").unwrap();
        s.put_case_doc("c2", &other, b"x").unwrap();
        s.put_case_doc("c1", &later, b"v2").unwrap();
        check(
            "latest save",
            s.case_doc("c1").unwrap() == Some((later.clone(), b"v2".to_vec())),
        );
        check(
            "the one kept without heads",
            s.cases_without_heads().unwrap() == ["c2"],
        );
        check(
            "every case's meta",
            s.case_metas_seen(&CaseView {
                everything: true,
                ..CaseView::default()
            })
            .unwrap()
                == vec![seen("c1", later.clone(), 0), seen("c2", other, 0)],
        );
        s.put_case_doc("c3", &meta("二中队", CaseStatus::Registered, &[]), b"old")
            .unwrap();
        check(
            "those kept without heads",
            s.cases_without_heads().unwrap() == ["c2", "c3"],
        );
        check(
            "documents without a case-list row",
            s.cases_without_rows().unwrap() == ["c1", "c2", "c3"],
        );
        s.put_case_row(&rows::CaseRow {
            id: "c2".into(),
            squad: "二中队".into(),
            ..rows::CaseRow::default()
        })
        .unwrap();
        check(
            "a row kept",
            s.cases_without_rows().unwrap() == ["c1", "c3"],
        );
        let docs = |cases: &[&str]| {
            let cases: Vec<String> = cases.iter().map(|c| (*c).to_owned()).collect();
            s.case_docs(&cases).unwrap()
        };
        let one_by_one: Vec<(String, CaseMeta, Vec<u8>)> = ["c1", "c2", "c3"]
            .into_iter()
            .map(|c| {
                let (meta, doc) = s.case_doc(c).unwrap().unwrap();
                (c.to_owned(), meta, doc)
            })
            .collect();
        check(
            "documents in one read, by case, as read one by one",
            docs(&["c3", "c1", "c2", "c1"]) == one_by_one,
        );
        check(
            "cases without a document left out",
            docs(&["c9", "c2"]) == one_by_one[1..2] && docs(&["c9"]).is_empty(),
        );
        check("no cases, no documents", docs(&[]).is_empty());

        let a1 = entry("a", 1, [0; 32], "c9");
        let a2 = entry("a", 2, a1.hash(), "c1");
        let a3 = entry("a", 3, a2.hash(), "c9");
        let a4 = entry("a", 4, a3.hash(), "c2");
        let a5 = entry("a", 5, a4.hash(), "c9");
        let b1 = entry("b", 1, [0; 32], "c1");
        let b2 = entry("b", 2, b1.hash(), "c3");
        let d1 = entry("d", 1, [0; 32], "c9");
        let d2 = entry("d", 2, d1.hash(), "c2");
        let d3 = entry("d", 3, d2.hash(), "c9");
        append(&s, &[a1.clone(), b1.clone(), d1.clone(), a2.clone()]).unwrap();
        append(
            &s,
            &[
                d2.clone(),
                a3.clone(),
                b2.clone(),
                a4.clone(),
                a5,
                d3.clone(),
            ],
        )
        .unwrap();
        let cert = |b: u8| SignedCertificate {
            bytes: vec![b],
            signature: vec![b; 64],
        };
        s.add_device("a", &cert(1)).unwrap();
        s.add_officer_cert("a", &cert(3)).unwrap();
        s.add_officer_cert("a", &cert(2)).unwrap();
        s.add_device("e", &cert(4)).unwrap();
        let feeds_from = |cases: &[&str], held: FeedsHeld<'_>| {
            let cases: Vec<String> = cases.iter().map(|c| (*c).to_owned()).collect();
            let logged = s.feeds_for_cases(&cases, held).unwrap();
            let devices: BTreeSet<String> = logged
                .iter()
                .map(|l| l.entry.head().unwrap().device)
                .collect();
            check(
                "what goes down: the feeds, their devices' certificates, the tree",
                s.feeds_down(&cases, held).unwrap()
                    == FeedsDown {
                        entries: logged.clone(),
                        certificates: s.device_certificates(&devices).unwrap(),
                        tree: s.log_head().unwrap().tree,
                    },
            );
            let hashes: Vec<Digest> = logged.iter().map(|l| l.entry.hash()).collect();
            let indexes: Vec<u64> = s
                .entry_indexes(&hashes)
                .unwrap()
                .into_iter()
                .flatten()
                .collect();
            check(
                "each with its index and hash in the log",
                logged.iter().map(|l| l.index).eq(indexes)
                    && logged.iter().map(|l| l.hash).eq(hashes),
            );
            logged.into_iter().map(|l| l.entry).collect::<Vec<_>>()
        };
        let feeds = |cases: &[&str]| feeds_from(cases, FeedsHeld::NONE);
        let held = |last: &[(&str, u64)], fresh: &[&str]| {
            let last: BTreeMap<String, u64> = last.iter().map(|(d, n)| ((*d).into(), *n)).collect();
            let fresh: Vec<String> = fresh.iter().map(|c| (*c).to_owned()).collect();
            (last, fresh)
        };
        let feeds_held = |cases: &[&str], (last, fresh): &(BTreeMap<String, u64>, Vec<String>)| {
            feeds_from(cases, FeedsHeld { last, fresh })
        };
        check(
            "each feed on from the last entry the device holds of it",
            feeds_held(&["c2"], &held(&[("a", 2), ("d", 1)], &[]))
                == [a3.clone(), a4.clone(), d2.clone()],
        );
        check(
            "nothing of a feed held up to its last entry about the cases",
            feeds_held(&["c2"], &held(&[("a", 5), ("d", 2), ("b", 9)], &[])).is_empty(),
        );
        check(
            "and, again, the entries held before about a case the device holds none of",
            feeds_held(&["c2"], &held(&[("a", 4), ("d", 3)], &["c2"])) == [a4.clone(), d2.clone()]
                && feeds_held(&["c1", "c2"], &held(&[("a", 3), ("b", 1)], &["c1"]))
                    == [a2.clone(), a4.clone(), b1.clone(), d1.clone(), d2.clone()],
        );
        check(
            "feeds up to the last entry about the case",
            feeds(&["c1"]) == [a1.clone(), a2.clone(), b1.clone()],
        );
        check(
            "another case's",
            feeds(&["c2"])
                == [
                    a1.clone(),
                    a2.clone(),
                    a3.clone(),
                    a4.clone(),
                    d1.clone(),
                    d2.clone(),
                ],
        );
        check(
            "a device's whole feed, in order",
            s.device_feed("d").unwrap() == [d1.clone(), d2.clone(), d3.clone()]
                && s.device_feed("nobody").unwrap().is_empty(),
        );
        let union = [a1, a2, a3, a4, b1, b2.clone(), d1, d2];
        check(
            "several cases: the union, once each, device by device in feed order",
            feeds(&["c2", "c1", "c3"]) == union && feeds(&["c3", "c2", "c1", "c2"]) == union,
        );
        check(
            "unknown cases ignored",
            feeds(&["c7", "c1", "c8"]) == feeds(&["c1"]) && feeds(&["c7"]).is_empty(),
        );
        check("no cases, no entries", feeds(&[]).is_empty());

        // The log counts the desks' acts about each case as it appends them (a tablet's do
        // not count), and a later save of the document keeps the count.
        let desk = |seq, prev, case| {
            entry(
                &format!("{}x", qc_chain::DESK_DEVICE_PREFIX),
                seq,
                prev,
                case,
            )
        };
        let x1 = desk(1, [0; 32], "c1");
        let x2 = desk(2, x1.hash(), "c9");
        let x3 = desk(3, x2.hash(), "c1");
        append(&s, &[x1, x2]).unwrap();
        // An entry its device set aside is kept without its body, about no case.
        let aside = entry("b", 3, b2.hash(), "c1").elided();
        append(&s, &[x3, aside.clone()]).unwrap();
        check(
            "an entry without its body: in its feed, about no case",
            s.device_feed("b").unwrap().last() == Some(&aside)
                && !s.case_entries("c1").unwrap().contains(&aside),
        );
        s.put_case_doc("c1", &later, b"v3").unwrap();
        check(
            "desk acts counted by the log, per case",
            desk_acts_counted(&s) == [("c1".into(), 2), ("c2".into(), 0), ("c3".into(), 0)],
        );

        // What a sync reads to send down: the cases seen, and the feeds of those sent.
        let everything = CaseView {
            everything: true,
            ..CaseView::default()
        };
        let held_c1: BTreeMap<&str, Vec<Digest>> = [("c1", later.heads.clone())].into();
        let acts = |n: u64| Some([("c1".to_owned(), n)].into_iter().collect());
        let tree = s.log_head().unwrap().tree;
        for view in [
            everything,
            CaseView::squad("一中队"),
            CaseView::squad("二中队"),
        ] {
            for ((have, desk_acts), feeds) in [
                (BTreeMap::new(), None),
                (held_c1.clone(), None),
                (held_c1.clone(), acts(1)),
                (held_c1.clone(), acts(2)),
            ]
            .into_iter()
            .flat_map(|h| {
                [
                    (h.clone(), BTreeMap::new()),
                    (h, held(&[("a", 3), ("b", 1)], &[]).0),
                ]
            }) {
                let asked = Held {
                    have: &have,
                    desk_acts: desk_acts.as_ref(),
                    feeds: &feeds,
                };
                let pulled = s.pull_read(&view, asked, None).unwrap().unwrap();
                let seen = s.case_metas_seen_behind(&view, &have).unwrap();
                let sent: Vec<String> = seen
                    .iter()
                    .filter(|(c, _)| sent_down(&have, desk_acts.as_ref(), c))
                    .map(|(c, _)| c.case.clone())
                    .collect();
                let fresh = asked.fresh(&sent);
                let (entries, certificates) = if sent.is_empty() {
                    (Vec::new(), Vec::new())
                } else {
                    let held = FeedsHeld {
                        last: &feeds,
                        fresh: &fresh,
                    };
                    let f = s.feeds_down(&sent, held).unwrap();
                    (f.entries, f.certificates)
                };
                check(
                    "what a sync sends down, as its parts read alone",
                    pulled.seen == seen
                        && pulled.feeds.entries == entries
                        && pulled.feeds.certificates == certificates
                        && (pulled.feeds.tree == tree
                            || sent.is_empty() && pulled.feeds.tree == TreeState::EMPTY),
                );
            }
        }
        let sent = |have: &BTreeMap<&str, Vec<Digest>>,
                    desk_acts: Option<BTreeMap<String, u64>>| {
            let held = Held {
                have,
                desk_acts: desk_acts.as_ref(),
                feeds: &BTreeMap::new(),
            };
            s.pull_read(&CaseView::squad("一中队"), held, None)
                .unwrap()
                .unwrap()
                .feeds
                .entries
                .len()
        };
        check(
            "a case held is sent again for the desks' acts since, and only then",
            sent(&held_c1, acts(1)) > 0
                && sent(&held_c1, acts(2)) == 0
                && sent(&held_c1, None) == 0
                && sent(&BTreeMap::new(), None) > 0,
        );
    }

    /// How many desk acts the log counted about each case, by case.
    pub fn desk_acts_counted<S: Storage>(s: &S) -> Vec<(String, u64)> {
        s.case_metas_seen(&CaseView {
            everything: true,
            ..CaseView::default()
        })
        .unwrap()
        .into_iter()
        .map(|c| (c.case, c.desk_acts))
        .collect()
    }

    fn seen(case: &str, meta: CaseMeta, desk_acts: u64) -> SeenCase {
        SeenCase {
            case: case.into(),
            meta,
            desk_acts,
        }
    }

    /// Appends `entries` as the station does: under a sequencer, with the tiles and head
    /// they make (the checkpoints are stand-ins: storage keeps them, the service signs them).
    pub fn append<S: Storage>(s: &S, entries: &[SignedEntry]) -> Result<LogHead, StorageError> {
        let seq = s.sequence()?;
        let head = seq.head()?;
        let leaves: Vec<Digest> = entries.iter().map(SignedEntry::hash).collect();
        let done = qc_tlog::integrate(&head.tree, &SeqTiles(&*seq), &leaves)
            .map_err(|e| StorageError::Backend(e.to_string()))?;
        let size = done.state.size;
        let head = LogHead {
            tree: done.state,
            checkpoint: Some(SignedCheckpoint {
                bytes: size.to_be_bytes().to_vec(),
                signature: vec![1; 64],
            }),
            note: Some(format!("note {size}")),
        };
        seq.commit(entries, &done.tiles, &head)?;
        Ok(head)
    }

    struct SeqTiles<'a>(&'a dyn Sequencer);

    impl qc_tlog::TileSource for SeqTiles<'_> {
        type Error = StorageError;
        fn tile(&self, id: TileId) -> Result<Option<Vec<u8>>, StorageError> {
            self.0.tile(id)
        }
    }

    struct StoreTiles<'a, S>(&'a S);

    impl<S: Storage> qc_tlog::TileSource for StoreTiles<'_, S> {
        type Error = StorageError;
        fn tile(&self, id: TileId) -> Result<Option<Vec<u8>>, StorageError> {
            self.0.tile(id)
        }
    }

    fn devices(names: &[&str]) -> BTreeSet<String> {
        names.iter().map(|d| (*d).to_owned()).collect()
    }

    fn entries_keep_log_order_and_feed_heads<S: Storage>(s: S) {
        check("empty log", s.log_head().unwrap() == LogHead::EMPTY);
        let a1 = entry("a", 1, [0; 32], "c1");
        let b1 = entry("b", 1, [0; 32], "c2");
        let a2 = entry("a", 2, a1.hash(), "c1");
        append(&s, &[a1.clone(), b1.clone()]).unwrap();
        let head = append(&s, std::slice::from_ref(&a2)).unwrap();
        check("head kept", s.log_head().unwrap() == head);
        check(
            "entries in log order",
            s.entry_hashes(0, 10).unwrap() == vec![a1.hash(), b1.hash(), a2.hash()]
                && s.entry_hashes(1, 2).unwrap() == vec![b1.hash()],
        );
        check(
            "the tiles make the root",
            qc_tlog::root(3, &StoreTiles(&s)).unwrap() == head.tree.root
                && qc_tlog::inclusion(3, 2, &StoreTiles(&s)).is_ok(),
        );
        check(
            "index of an entry",
            s.entry_index(&a2.hash()).unwrap() == Some(2),
        );
        check("unknown entry", s.entry_index(&[9; 32]).unwrap().is_none());
        check(
            "indexes in the order asked",
            s.entry_indexes(&[a2.hash(), [9; 32], a1.hash(), a2.hash()])
                .unwrap()
                == [Some(2), None, Some(0), Some(2)],
        );
        let heads = s.feed_heads(&devices(&["a", "b", "c"])).unwrap();
        check(
            "feed head of a",
            heads.get("a").map(|h| (h.seq, h.hash)) == Some((2, a2.hash())),
        );
        check("feed head of b", heads.get("b").map(|h| h.seq) == Some(1));
        check("no feed of c", !heads.contains_key("c"));
        check(
            "only the devices asked",
            s.feed_heads(&devices(&["b"])).unwrap().len() == 1,
        );
        let asked = [a2.hash(), [9; 32], a1.hash()];
        for names in [&["a", "b", "c"][..], &[], &["c"]] {
            let want = (
                s.feed_heads(&devices(names)).unwrap(),
                s.entry_indexes(&asked).unwrap(),
            );
            check(
                "heads then indexes, as read each alone",
                s.heads_then_indexes(&devices(names), &asked).unwrap() == want,
            );
        }
        check(
            "heads then indexes of no entry",
            s.heads_then_indexes(&devices(&["a"]), &[])
                .unwrap()
                .1
                .is_empty(),
        );
        let meta = CaseMeta {
            squad: "一中队".into(),
            status: CaseStatus::Registered,
            heads: vec![[5; 32]],
        };
        s.put_case_doc("c1", &meta, b"doc1").unwrap();
        for (names, cases) in [(&["a", "c"][..], &["c1", "c9"][..]), (&[], &[])] {
            let cases: Vec<String> = cases.iter().map(|c| (*c).to_owned()).collect();
            let (heads, indexes) = s.heads_then_indexes(&devices(names), &asked).unwrap();
            check(
                "an upload's first read, as its parts read alone",
                s.upload_read((&devices(names), &asked), &cases, None)
                    .unwrap()
                    .unwrap()
                    == UploadRead {
                        heads,
                        indexes,
                        docs: s.case_docs(&cases).unwrap(),
                        bureau: s.bureau_digests().unwrap(),
                    },
            );
        }
        check(
            "entries of a case",
            s.case_entries("c1").unwrap() == vec![a1.clone(), a2.clone()],
        );
        check(
            "ids by prefix, with their last entry",
            s.case_ids_with_prefix("c").unwrap() == [("c1".into(), 2), ("c2".into(), 1)]
                && s.case_ids_with_prefix("c2").unwrap() == [("c2".into(), 1)]
                && s.case_ids_with_prefix("d").unwrap().is_empty(),
        );
        // A batch that repeats a held entry is refused whole.
        let a3 = entry("a", 3, a2.hash(), "c1");
        check("duplicate refused", append(&s, &[a3.clone(), a1]).is_err());
        check(
            "nothing half-written",
            s.log_head().unwrap() == head && s.entry_hashes(0, 10).unwrap().len() == 3,
        );
        // A sequencer dropped without committing writes nothing.
        let seq = s.sequence().unwrap();
        check("the sequencer reads the head", seq.head().unwrap() == head);
        drop(seq);
        check("dropped: nothing", s.log_head().unwrap() == head);
        append(&s, &[a3]).unwrap();
        check("then appends", s.entry_hashes(0, 10).unwrap().len() == 4);
    }

    /// One sequencer at a time: a second waits until the first commits, then reads its head.
    fn sequencers_take_turns<S: Storage>(s: S) {
        let a1 = entry("a", 1, [0; 32], "c1");
        let seen = std::thread::scope(|scope| {
            let seq = s.sequence().unwrap();
            let second = scope.spawn(|| s.sequence().unwrap().head().unwrap().tree.size);
            std::thread::sleep(std::time::Duration::from_millis(300));
            let head = seq.head().unwrap();
            let done = qc_tlog::integrate(&head.tree, &SeqTiles(&*seq), &[a1.hash()]).unwrap();
            seq.commit(
                std::slice::from_ref(&a1),
                &done.tiles,
                &LogHead {
                    tree: done.state,
                    ..LogHead::EMPTY
                },
            )
            .unwrap();
            second.join().unwrap()
        });
        check("the second sequencer saw the first's entry", seen == 1);
    }

    /// Many appends in uneven batches: the stored tiles agree with the same entries integrated
    /// in memory, across tile boundaries.
    fn tiles_grow_across_boundaries<S: Storage>(s: S) {
        let mut mem = qc_tlog::MemTiles::new();
        let mut tree = TreeState::EMPTY;
        let mut prev = [0; 32];
        let mut seq = 0;
        for batch in [1usize, 255, 3, 300, 70] {
            let entries: Vec<SignedEntry> = (0..batch)
                .map(|_| {
                    seq += 1;
                    let e = entry("a", seq, prev, "c1");
                    prev = e.hash();
                    e
                })
                .collect();
            let hashes: Vec<Digest> = entries.iter().map(SignedEntry::hash).collect();
            let done = qc_tlog::integrate(&tree, &mem, &hashes).unwrap();
            mem.apply(&done);
            tree = done.state;
            check("same tree", append(&s, &entries).unwrap().tree == tree);
        }
        for level in 0..2 {
            for index in 0..3 {
                let id = TileId { level, index };
                check(
                    "same tiles",
                    s.tile(id).unwrap() == qc_tlog::TileSource::tile(&mem, id).unwrap(),
                );
            }
        }
    }

    fn codes_work_once_and_expire<S: Storage>(s: S) {
        let device = Grant::Device {
            squad: "一中队".into(),
        };
        let officer = Grant::Officer {
            person: "li.ming".into(),
        };
        s.add_enrolment_code(&[1; 32], &device, Timestamp(100))
            .unwrap();
        s.add_enrolment_code(&[2; 32], &device, Timestamp(100))
            .unwrap();
        s.add_enrolment_code(&[4; 32], &officer, Timestamp(100))
            .unwrap();
        let any = |_: &Grant| true;
        let take = |s: &S, code: u8, now: i64, wanted: &dyn Fn(&Grant) -> bool| {
            s.take_enrolment_code(&[code; 32], Timestamp(now), wanted)
                .unwrap()
        };
        check(
            "a code offered for something else stays unused",
            take(&s, 1, 50, &|g| matches!(g, Grant::Officer { .. })).is_none()
                && take(&s, 4, 50, &|g| *g == Grant::Officer { person: "x".into() }).is_none(),
        );
        check("a code works", take(&s, 1, 50, &any) == Some(device));
        check("an officer's code", take(&s, 4, 50, &any) == Some(officer));
        check("only once", take(&s, 1, 50, &any).is_none());
        check("expired", take(&s, 2, 101, &any).is_none());
        check("unknown", take(&s, 3, 1, &any).is_none());
    }

    fn nonces_work_once_until_forgotten<S: Storage>(s: S) {
        let new = |device: &str, nonce: u8, time: i64, forget_before: i64| {
            s.use_nonce(
                device,
                &[nonce; 16],
                Timestamp(time),
                Timestamp(forget_before),
            )
            .unwrap()
        };
        check("a nonce is new", new("a", 1, 100, 0));
        check("once per device", !new("a", 1, 100, 0));
        check("another device's", new("b", 1, 100, 0));
        check("another nonce", new("a", 2, 200, 0));
        check("still held", !new("a", 1, 300, 50));
        // Requests timed before 150 are refused by the clock: their nonces may go.
        check("forgotten when stale", new("a", 1, 300, 150));
        check("later ones kept", !new("a", 2, 300, 150));
    }

    fn devices_are_kept<S: Storage>(s: S) {
        let cert = SignedCertificate {
            bytes: vec![1, 2, 3],
            signature: vec![4; 64],
        };
        let cert_of = |b: u8| SignedCertificate {
            bytes: vec![b],
            signature: vec![b; 64],
        };
        check("no device", s.device("t1").unwrap().is_none());
        s.add_device("t1", &cert).unwrap();
        check("device kept", s.device("t1").unwrap() == Some(cert.clone()));
        s.add_device("t0", &cert).unwrap();
        check(
            "every device, by id",
            s.devices()
                .unwrap()
                .into_iter()
                .map(|(id, _)| id)
                .collect::<Vec<_>>()
                == ["t0", "t1"],
        );
        check("none synced yet", s.devices_seen().unwrap().is_empty());
        s.device_seen("t1", Timestamp(500)).unwrap();
        s.device_seen("t1", Timestamp(400)).unwrap();
        s.device_seen("nobody", Timestamp(600)).unwrap();
        check(
            "the latest sync of enrolled devices",
            s.devices_seen().unwrap() == [("t1".to_owned(), Timestamp(500))],
        );
        s.device_seen("t1", Timestamp(700)).unwrap();
        check(
            "a later sync replaces it",
            s.devices_seen().unwrap() == [("t1".to_owned(), Timestamp(700))],
        );
        let nonce_seen = |nonce: u8, seen: Option<i64>| {
            s.use_nonce_seen(&NonceUse {
                device: "t1",
                nonce: &[nonce; 16],
                time: Timestamp(650),
                forget_before: Timestamp(0),
                seen: seen.map(Timestamp),
            })
            .unwrap()
        };
        check(
            "a nonce taken without noting",
            nonce_seen(1, None) && s.devices_seen().unwrap() == [("t1".to_owned(), Timestamp(700))],
        );
        check(
            "a replay notes nothing",
            !nonce_seen(1, Some(800))
                && s.devices_seen().unwrap() == [("t1".to_owned(), Timestamp(700))],
        );
        check(
            "a new nonce noted as seen",
            nonce_seen(2, Some(800))
                && s.devices_seen().unwrap() == [("t1".to_owned(), Timestamp(800))],
        );
        check(
            "not back to an earlier time",
            nonce_seen(3, Some(750))
                && s.devices_seen().unwrap() == [("t1".to_owned(), Timestamp(800))],
        );
        // A sync takes its nonce with its first read: read, or nothing when it was taken.
        let nonce_use = |nonce: &'static [u8; 16], seen: i64| NonceUse {
            device: "t1",
            nonce,
            time: Timestamp(650),
            forget_before: Timestamp(0),
            seen: Some(Timestamp(seen)),
        };
        let view = CaseView::squad("一中队");
        let upload = |n: Option<&NonceUse>| s.upload_read((&BTreeSet::new(), &[]), &[], n).unwrap();
        let nothing = BTreeMap::new();
        let held = Held {
            have: &BTreeMap::new(),
            desk_acts: None,
            feeds: &nothing,
        };
        let pull = |n: Option<&NonceUse>| s.pull_read(&view, held, n).unwrap();
        let last_seen = || s.devices_seen().unwrap()[0].1;
        check(
            "an upload's first read takes its nonce, the device seen",
            upload(Some(&nonce_use(&[4; 16], 900))) == upload(None)
                && last_seen() == Timestamp(900),
        );
        check(
            "what goes down takes its nonce, the device seen",
            pull(Some(&nonce_use(&[5; 16], 1000))) == pull(None) && last_seen() == Timestamp(1000),
        );
        check(
            "a nonce taken before: nothing read, nothing noted",
            [&[4; 16], &[5; 16]].into_iter().all(|n| {
                let again = nonce_use(n, 1100);
                upload(Some(&again)).is_none() && pull(Some(&again)).is_none()
            }) && !nonce_seen(4, Some(1100))
                && last_seen() == Timestamp(1000),
        );
        check("no file pending", s.pending_blobs().unwrap().is_empty());
        let pending = |hash: u8, case: &str, since: i64| PendingBlob {
            hash: [hash; 32],
            case: case.into(),
            device: "t1".into(),
            since: Timestamp(since),
        };
        s.note_pending_blobs(&[pending(1, "c1", 900), pending(2, "c1", 800)])
            .unwrap();
        // Named again later (another entry): the earliest time stays.
        s.note_pending_blobs(&[pending(1, "c1", 950), pending(1, "c2", 950)])
            .unwrap();
        check(
            "pending files, oldest first",
            s.pending_blobs().unwrap()
                == [
                    pending(2, "c1", 800),
                    pending(1, "c1", 900),
                    pending(1, "c2", 950),
                ],
        );
        s.clear_pending_blob(&[1; 32], "c1").unwrap();
        check(
            "a file held for a case is no longer pending for it",
            s.pending_blobs().unwrap() == [pending(2, "c1", 800), pending(1, "c2", 950)],
        );
        check("no revocations", s.revocations().unwrap().is_none());
        let standing = |id: &str| {
            let d = s.device_standing(id).unwrap();
            let own = s.device(id).unwrap();
            check(
                "a device's certificates as read alone, none when not enrolled",
                d.certificates
                    == own.map_or(Vec::new(), |_| {
                        s.device_certificates(&BTreeSet::from([id.to_owned()]))
                            .unwrap()
                    }),
            );
            (d.certificates.last().cloned(), d.revocations)
        };
        s.add_officer_cert("t1", &cert_of(9)).unwrap();
        s.add_officer_cert("t1", &cert_of(8)).unwrap();
        s.add_officer_cert("t9", &cert_of(7)).unwrap();
        check(
            "a device read with no list",
            standing("t1") == (Some(cert.clone()), None),
        );
        let crl = |b: u8| SignedRevocationList {
            bytes: vec![b],
            signature: vec![b; 64],
        };
        check("a first list", s.put_revocations(&crl(1), None).unwrap());
        check(
            "a first list only once",
            !s.put_revocations(&crl(3), None).unwrap(),
        );
        check(
            "the next list",
            s.put_revocations(&crl(2), Some(&crl(1))).unwrap(),
        );
        check(
            "not over a list kept meanwhile",
            !s.put_revocations(&crl(4), Some(&crl(1))).unwrap(),
        );
        check(
            "latest revocations",
            s.revocations().unwrap() == Some(crl(2)),
        );
        check(
            "a device read with the list",
            standing("t1") == (Some(cert.clone()), Some(crl(2))),
        );
        check(
            "an unknown device read with the list",
            standing("t9") == (None, Some(crl(2))),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actors_signatures_read_as_kept_now_and_as_kept_before() {
        let sigs = vec![vec![7u8; 64], vec![b'['; 64], Vec::new()];
        let kept = actor_sigs_kept(&sigs).unwrap();
        assert_eq!(actor_sigs_read(&kept).unwrap(), sigs);
        assert!(
            actor_sigs_read(&actor_sigs_kept(&[]).unwrap())
                .unwrap()
                .is_empty()
        );
        let before = serde_json::to_vec(&sigs).unwrap();
        assert_eq!(actor_sigs_read(&before).unwrap(), sigs);
        for damaged in [&kept[..kept.len() - 1], &[], &[2, 0], &[1, 0], b"[1,"] {
            assert!(
                matches!(actor_sigs_read(damaged), Err(StorageError::Damaged(_))),
                "{damaged:?}"
            );
        }
    }
}
