//! The station's Merkle log, kept by the store as hash tiles: appending verified entries under
//! the store's sequencer, receipts and proofs read from a few tiles, checkpoints signed over
//! the head. Nothing of the tree is held in memory between requests, so any number of
//! requests (and of station processes sharing the store) work on it at once.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, PoisonError};

use qc_chain::{Digest, FeedHead, SignedEntry};
use qc_domain::Timestamp;
use qc_identity::SignedCertificate;
use qc_log::{Checkpoint, Receipt, SignedCheckpoint};
use qc_sync::wire::EntryReceipt;
use qc_tlog::note::NoteCheckpoint;
use qc_tlog::{TileId, TilePath, TileSource, TreeState};

use super::{Service, ServiceError, locked};
use crate::storage::{HeadsAndIndexes, LogHead, PendingBlob, Sequencer, Storage, StorageError};

/// An upload verified against the feed heads it continues, waiting to be sequenced.
pub(super) struct Pending {
    entries: Vec<SignedEntry>,
    /// The heads it was verified against, of the devices it names.
    heads: BTreeMap<String, FeedHead>,
    devices: BTreeSet<String>,
}

/// What sequencing did with an upload: appended (the tree then, a checkpoint over it, and the
/// log index of its first entry), left out to be verified again (`None`), or failed.
type Outcome = Result<Option<(TreeState, SignedCheckpoint, u64)>, String>;

/// An upload in the log: the tree then (every one of its entries in it), a checkpoint over it,
/// and where the log holds each of its entries (index and hash, in the upload's order).
pub(super) struct Appended {
    pub(super) tree: TreeState,
    pub(super) checkpoint: SignedCheckpoint,
    pub(super) at: Vec<(u64, Digest)>,
}

/// Uploads waiting to be sequenced together, and what became of those that were.
#[derive(Default)]
pub(super) struct Batches {
    state: Mutex<BatchState>,
    done: Condvar,
    /// Tree updates made by this process.
    appends: AtomicU64,
    /// Entries this process appended.
    entries: AtomicU64,
    /// Uploads this process sequenced, and the microseconds they waited in all, from being
    /// verified to being appended (the sequencer's lag).
    sequenced: AtomicU64,
    waited_us: AtomicU64,
}

/// What this process did to the log since it started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LogStats {
    /// Tree updates (each appends one or more uploads).
    pub appends: u64,
    /// Entries appended.
    pub entries: u64,
    /// Uploads sequenced (appended, or found to be logged meanwhile).
    pub sequenced: u64,
    /// Their time waiting to be sequenced, in all (µs).
    pub waited_us: u64,
}

#[derive(Default)]
struct BatchState {
    next: u64,
    waiting: Vec<(u64, Pending)>,
    /// A request is sequencing a batch now.
    leading: bool,
    outcomes: HashMap<u64, Outcome>,
}

/// Entries of an upload not logged yet, and the heads of their feeds read before them
/// ([`Service::unlogged_after_heads`]).
pub(super) struct Unlogged {
    /// The devices whose feeds the upload continues.
    devices: BTreeSet<String>,
    heads: BTreeMap<String, FeedHead>,
    /// The upload's entries not logged yet, once each, in its order.
    pub(super) new: Vec<SignedEntry>,
    /// Each of the upload's entries: its hash, and its log index when logged already.
    found: Vec<(Digest, Option<u64>)>,
}

impl Unlogged {
    /// Where the log holds each of the upload's entries, once those not logged before were
    /// appended from log index `first` (in the order of [`Unlogged::new`]).
    fn at(&self, first: u64) -> Vec<(u64, Digest)> {
        let mut appended: HashMap<Digest, u64> = HashMap::new();
        self.found
            .iter()
            .map(|&(hash, index)| {
                let index = index.unwrap_or_else(|| {
                    let next = first + appended.len() as u64;
                    *appended.entry(hash).or_insert(next)
                });
                (index, hash)
            })
            .collect()
    }
}

/// Times an upload is verified again because another one extended the same feeds meanwhile,
/// before the station gives up (the device retries the sync).
const VERIFY_ATTEMPTS: usize = 5;

/// How long a checkpoint this process signed answers for its tree (ms): its time says when
/// the tree was signed, at most this much before the answer.
pub(super) const CHECKPOINT_REUSE_MS: i64 = 1000;

/// The checkpoint a process signed last ([`Service::sign_checkpoint`]).
pub(super) struct LastCheckpoint {
    tree: TreeState,
    at: Timestamp,
    checkpoint: SignedCheckpoint,
}

/// Tiles read from the store, each at most once per request (a sync's receipts share most of
/// their paths), and at most once per process as far as `known` holds them.
pub(super) struct Tiles<'a, S: ?Sized> {
    source: &'a S,
    read: RefCell<HashMap<TileId, Option<Vec<u8>>>>,
    /// The process's tiles, and the size of the tree read (the hashes of it are committed).
    known: Option<(&'a KnownTiles, u64)>,
}

/// Tiles this process read, shared by its requests, each as far as a request's tree held it
/// (those hashes are committed). A tile only grows and its first hashes never change, so a
/// version holding as many hashes as a later proof needs serves it without a read: a full
/// tile every proof after, a tile on the right edge every proof over a tree it already
/// covers (all of them while the log stands still). Most of a sync's tile reads were of the
/// same few tiles.
///
/// The stored hashes computed from them are kept too (most of a proof's cost is computing
/// those above a tile's bottom, and a sync's receipts are mostly of the newest entries).
#[derive(Default)]
pub(super) struct KnownTiles {
    tiles: Mutex<HashMap<TileId, std::sync::Arc<Vec<u8>>>>,
    hashes: Mutex<HashMap<u64, Digest>>,
}

/// Tiles kept at most (8 KiB each at most: 16 MiB).
const TILES_KEPT: usize = 2048;

/// Stored hashes kept at most (about 3 MiB), dropped all at once when full: the ones asked
/// for again are computed again.
const HASHES_KEPT: usize = 1 << 16;

impl KnownTiles {
    /// The version of `id` kept, if it holds at least `width` hashes.
    fn get(&self, id: TileId, width: u16) -> Option<std::sync::Arc<Vec<u8>>> {
        locked(&self.tiles)
            .get(&id)
            .filter(|t| t.len() >= usize::from(width) * 32)
            .cloned()
    }

    /// Keeps the hashes of `tile` a tree of `size` holds (beyond them, a stored tile may hold
    /// what a later append writes again), unless as many are kept.
    fn keep(&self, id: TileId, tile: &[u8], size: u64) {
        // The tree's hashes of this tile's level (`8 * level` above the leaves), and of them
        // those in this tile.
        let at_level = size.checked_shr(8 * u32::from(id.level)).unwrap_or(0);
        let width = at_level
            .saturating_sub(id.index.saturating_mul(256))
            .min(256);
        let Some(held) = tile.get(..width as usize * 32) else {
            return;
        };
        let mut kept = locked(&self.tiles);
        if kept.get(&id).is_some_and(|t| t.len() >= held.len()) {
            return;
        }
        if !kept.contains_key(&id) && kept.len() >= TILES_KEPT {
            // Any one: a tile dropped is read again when next asked for.
            if let Some(&old) = kept.keys().next() {
                kept.remove(&old);
            }
        }
        kept.insert(id, std::sync::Arc::new(held.to_vec()));
    }

    /// Keeps stored hash `index`.
    fn keep_hash(&self, index: u64, hash: Digest) {
        let mut kept = locked(&self.hashes);
        if kept.len() >= HASHES_KEPT {
            kept.clear();
        }
        kept.insert(index, hash);
    }
}

/// Where [`Tiles`] reads: the store, or a sequencer holding the log.
pub(super) trait ReadTile {
    fn read_tile(&self, id: TileId) -> Result<Option<Vec<u8>>, StorageError>;
}

impl<S: Storage> ReadTile for S {
    fn read_tile(&self, id: TileId) -> Result<Option<Vec<u8>>, StorageError> {
        self.tile(id)
    }
}

impl ReadTile for dyn Sequencer + '_ {
    fn read_tile(&self, id: TileId) -> Result<Option<Vec<u8>>, StorageError> {
        self.tile(id)
    }
}

impl<'a, S: ReadTile + ?Sized> Tiles<'a, S> {
    pub(super) fn new(source: &'a S) -> Self {
        Tiles {
            source,
            read: RefCell::default(),
            known: None,
        }
    }

    /// Tiles read through `known`, the process's tiles, for proofs over a tree of `size`
    /// (read from the log's head).
    pub(super) fn sharing(source: &'a S, known: &'a KnownTiles, size: u64) -> Self {
        Tiles {
            known: Some((known, size)),
            ..Tiles::new(source)
        }
    }
}

impl<S: ReadTile + ?Sized> TileSource for Tiles<'_, S> {
    type Error = StorageError;

    fn tile(&self, id: TileId) -> Result<Option<Vec<u8>>, StorageError> {
        if let Some(t) = self.read.borrow().get(&id) {
            return Ok(t.clone());
        }
        let t = self.source.read_tile(id)?;
        self.read.borrow_mut().insert(id, t.clone());
        Ok(t)
    }

    fn tile_of_width(&self, id: TileId, width: u16) -> Result<Option<Vec<u8>>, StorageError> {
        if let Some(t) = self.read.borrow().get(&id) {
            return Ok(t.clone());
        }
        if let Some(t) = self.known.and_then(|(k, _)| k.get(id, width)) {
            return Ok(Some(t.to_vec()));
        }
        let t = self.tile(id)?;
        if let (Some((known, size)), Some(t)) = (self.known, &t) {
            known.keep(id, t, size);
        }
        Ok(t)
    }

    fn kept_hash(&self, index: u64) -> Option<Digest> {
        let (known, _) = self.known?;
        locked(&known.hashes).get(&index).copied()
    }

    fn keep_hash(&self, index: u64, hash: Digest) {
        if let Some((known, _)) = self.known {
            known.keep_hash(index, hash);
        }
    }
}

fn damaged(e: impl std::fmt::Display) -> StorageError {
    StorageError::Damaged(e.to_string())
}

/// The store no longer holds the log its last checkpoint was signed over.
fn rewritten() -> StorageError {
    StorageError::Damaged("the stored log no longer matches the last signed checkpoint".into())
}

impl<S: Storage> Service<S> {
    /// Checks at start that the stored log is the one last signed: the head against its
    /// checkpoint, the tiles against the head's root (a few tiles, whatever the log's size),
    /// and the last tile's leaves against the entries kept.
    pub(super) fn check_log(
        storage: &S,
        log_key: &ed25519_dalek::VerifyingKey,
    ) -> Result<(), ServiceError> {
        let head = storage.log_head()?;
        let TreeState { size, root } = head.tree;
        if let Some(c) = &head.checkpoint {
            let c = c.verify(log_key).map_err(damaged)?;
            if (c.size, c.root) != (size, root) {
                return Err(rewritten().into());
            }
        }
        if qc_tlog::root(size, &Tiles::new(storage)).map_err(damaged)? != root {
            return Err(rewritten().into());
        }
        if size > 0 {
            let start = (size - 1) / 256 * 256;
            let leaves: Vec<u8> = storage
                .entry_hashes(start, size)?
                .iter()
                .flat_map(qc_tlog::leaf_hash)
                .collect();
            let tile = storage
                .tile(TileId {
                    level: 0,
                    index: start / 256,
                })?
                .unwrap_or_default();
            if tile.get(..leaves.len()) != Some(&leaves[..]) {
                return Err(rewritten().into());
            }
        }
        Ok(())
    }

    /// The log's name in its signed notes: the key it is signed with, so two stations' notes
    /// never pass for each other's.
    pub fn log_origin(&self) -> String {
        format!("quancheng.station/{}", hex::encode(&self.log_key()[..8]))
    }

    /// A checkpoint over `tree`, signed now, or the one this process signed over the same tree
    /// less than [`CHECKPOINT_REUSE_MS`] before: every sync answers with a checkpoint, and idle
    /// syncs mostly answer over a tree another just signed (in a rush the tree grows every
    /// few milliseconds, so fewer do).
    pub(super) fn sign_checkpoint(&self, tree: &TreeState, now: Timestamp) -> SignedCheckpoint {
        if let Some(last) = &*locked(&self.last_checkpoint)
            && last.tree == *tree
            && (0..CHECKPOINT_REUSE_MS).contains(&(now.0 - last.at.0))
        {
            return last.checkpoint.clone();
        }
        let checkpoint = SignedCheckpoint::of(
            &self.identity.log_key,
            &Checkpoint {
                log: self.log_key(),
                size: tree.size,
                root: tree.root,
                time: now,
            },
        );
        *locked(&self.last_checkpoint) = Some(LastCheckpoint {
            tree: *tree,
            at: now,
            checkpoint: checkpoint.clone(),
        });
        checkpoint
    }

    /// The head after `tree` was sequenced now: both checkpoints signed over it.
    fn head_of(&self, tree: TreeState, now: Timestamp) -> Result<LogHead, ServiceError> {
        let note = NoteCheckpoint {
            origin: self.log_origin(),
            size: tree.size,
            root: tree.root,
            extensions: Vec::new(),
        }
        .sign(&self.log_origin(), &self.identity.log_key)
        .map_err(damaged)?;
        Ok(LogHead {
            checkpoint: Some(self.sign_checkpoint(&tree, now)),
            note: Some(note),
            tree,
        })
    }

    /// Logs those of `entries` not logged yet, once they verify against the feed heads they
    /// continue; returns the tree then (every one of `entries` in it) and a checkpoint over it.
    /// They are verified outside the log's hold (signatures and roles take time); under it,
    /// the feeds they continue must still end where they did, or whatever is still unlogged
    /// is verified again against the new ends (another upload of the same device, through
    /// this process or another, came first).
    pub(super) fn append(
        &self,
        entries: &[SignedEntry],
        (first, certs): (Unlogged, &[SignedCertificate]),
        now: Timestamp,
    ) -> Result<Appended, ServiceError> {
        // What the caller read serves the first attempt; one verified again reads anew.
        let mut read = Some(first);
        for _ in 0..VERIFY_ATTEMPTS {
            let mut unlogged = match read.take() {
                Some(read) => read,
                None => self.unlogged_after_heads(entries)?,
            };
            if unlogged.new.is_empty() {
                // Read after the entries were found, so each of them is in this tree.
                let tree = self.storage.log_head()?.tree;
                return Ok(Appended {
                    checkpoint: self.sign_checkpoint(&tree, now),
                    tree,
                    at: unlogged.at(tree.size),
                });
            }
            let report = self.verify_new(&unlogged.new, &unlogged.heads, certs)?;
            if !report.is_clean() {
                if self.storage.feed_heads(&unlogged.devices)? != unlogged.heads {
                    continue;
                }
                tracing::warn!(problems = report.problems.len(), "upload refused");
                return Err(ServiceError::Refused(super::Refusal::found(
                    report.problems,
                    &unlogged.new,
                )));
            }
            let new = std::mem::take(&mut unlogged.new);
            // Files whose deletion the head approved (删除原件) go once the approval is logged;
            // the approvals' own files are no uploads to wait for.
            let approving: BTreeSet<String> = new
                .iter()
                .filter_map(|e| e.entry().ok())
                .filter(|e| e.action == qc_chain::Action::EvidenceDeleted)
                .map(|e| e.case)
                .collect();
            if !approving.is_empty() {
                // Before they are logged: a station stopped before it deleted the files deletes
                // them when it starts again.
                let cases: Vec<String> = approving.iter().cloned().collect();
                self.storage.note_deletions_due(&cases)?;
            }
            // The files the entries name (what is not held is noted once they are logged).
            let named: Vec<PendingBlob> = new
                .iter()
                .filter_map(|e| e.entry().ok())
                .filter(|e| e.action != qc_chain::Action::EvidenceDeleted)
                .flat_map(|e| {
                    e.blobs.into_iter().map(move |hash| PendingBlob {
                        hash,
                        case: e.case.clone(),
                        device: e.device.clone(),
                        since: now,
                    })
                })
                .collect();
            let pending = Pending {
                entries: new,
                heads: unlogged.heads.clone(),
                devices: unlogged.devices.clone(),
            };
            match self.sequence_batched(pending, now) {
                Ok(Some((tree, checkpoint, first))) => {
                    self.note_pending(named);
                    if !approving.is_empty() {
                        self.delete_approved(&approving);
                    }
                    return Ok(Appended {
                        tree,
                        checkpoint,
                        at: unlogged.at(first),
                    });
                }
                Ok(None) => continue,
                Err(e) => return Err(StorageError::Backend(e).into()),
            }
        }
        Err(ServiceError::Busy)
    }

    /// The feed heads `entries` continue, then which of them are not logged (in this order:
    /// an entry logged in between shows as a gap, and the heads read again tell a race from a
    /// bad upload).
    pub(super) fn unlogged_after_heads(
        &self,
        entries: &[SignedEntry],
    ) -> Result<Unlogged, ServiceError> {
        if entries.is_empty() {
            return Ok(Unlogged {
                devices: BTreeSet::new(),
                heads: BTreeMap::new(),
                new: Vec::new(),
                found: Vec::new(),
            });
        }
        let read = |devices: &BTreeSet<String>, hashes: &[Digest]| {
            Ok((self.storage.heads_then_indexes(devices, hashes)?, ()))
        };
        Ok(self.unlogged_with(entries, read)?.0)
    }

    /// [`Self::unlogged_after_heads`] as `read` finds the entries' feed heads and log indexes
    /// (given their devices and hashes), with whatever else it reads at once.
    pub(super) fn unlogged_with<T>(
        &self,
        entries: &[SignedEntry],
        read: impl FnOnce(&BTreeSet<String>, &[Digest]) -> Result<(HeadsAndIndexes, T), ServiceError>,
    ) -> Result<(Unlogged, T), ServiceError> {
        let devices: BTreeSet<String> = entries
            .iter()
            .filter_map(|e| e.head().ok().map(|x| x.device))
            .collect();
        let hashes: Vec<Digest> = entries.iter().map(SignedEntry::hash).collect();
        let ((heads, indexes), other) = read(&devices, &hashes)?;
        if indexes.len() != hashes.len() {
            return Err(damaged("the store answered for other entries than asked").into());
        }
        let mut new: Vec<SignedEntry> = Vec::new();
        let mut seen = BTreeSet::new();
        for ((e, hash), index) in entries.iter().zip(&hashes).zip(&indexes) {
            if index.is_none() && seen.insert(*hash) {
                new.push(e.clone());
            }
        }
        let unlogged = Unlogged {
            devices,
            heads,
            new,
            found: hashes.into_iter().zip(indexes).collect(),
        };
        Ok((unlogged, other))
    }

    /// Sequences a verified upload together with those waiting at the same moment: one
    /// request at a time leads, takes every upload waiting, and appends them all in one hold
    /// of the log and one tree update; the others wait for its outcome (or lead the next).
    fn sequence_batched(&self, pending: Pending, now: Timestamp) -> Outcome {
        let started = std::time::Instant::now();
        let outcome = self.sequence_batched_untimed(pending, now);
        let waited = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        self.batches.sequenced.fetch_add(1, Ordering::Relaxed);
        self.batches.waited_us.fetch_add(waited, Ordering::Relaxed);
        outcome
    }

    fn sequence_batched_untimed(&self, pending: Pending, now: Timestamp) -> Outcome {
        let batches = &self.batches;
        let mut state = locked(&batches.state);
        let ticket = state.next;
        state.next += 1;
        state.waiting.push((ticket, pending));
        loop {
            if let Some(outcome) = state.outcomes.remove(&ticket) {
                return outcome;
            }
            if state.leading {
                state = batches
                    .done
                    .wait(state)
                    .unwrap_or_else(PoisonError::into_inner);
                continue;
            }
            state.leading = true;
            let batch = std::mem::take(&mut state.waiting);
            let tickets: Vec<u64> = batch.iter().map(|(t, _)| *t).collect();
            drop(state);
            let outcomes =
                std::panic::catch_unwind(AssertUnwindSafe(|| self.sequence_batch(batch, now)))
                    .unwrap_or_else(|_| {
                        tickets
                            .iter()
                            .map(|t| (*t, Err("sequencing panicked".to_owned())))
                            .collect()
                    });
            state = locked(&batches.state);
            state.outcomes.extend(outcomes);
            state.leading = false;
            batches.done.notify_all();
        }
    }

    /// Appends a batch of verified uploads under one hold of the log. An upload whose feeds
    /// no longer end where it was verified (another process, or an earlier upload of this
    /// batch, extended them) is left out, to be verified again.
    fn sequence_batch(&self, batch: Vec<(u64, Pending)>, now: Timestamp) -> Vec<(u64, Outcome)> {
        let failed = |batch: &[(u64, Pending)], e: &dyn std::fmt::Display| {
            batch
                .iter()
                .map(|(t, _)| (*t, Err(e.to_string())))
                .collect()
        };
        let all: BTreeSet<String> = batch.iter().flat_map(|(_, p)| p.devices.clone()).collect();
        let seq = match self.storage.sequence_for(&all) {
            Ok(seq) => seq,
            Err(e) => return failed(&batch, &e),
        };
        let mut ends = match seq.feed_heads(&all) {
            Ok(ends) => ends,
            Err(e) => return failed(&batch, &e),
        };
        // Each upload taken, with where its entries begin among those appended.
        let (mut taken, mut again, mut entries) = (Vec::new(), Vec::new(), Vec::new());
        for (ticket, p) in batch {
            let now_heads: BTreeMap<String, FeedHead> = p
                .devices
                .iter()
                .filter_map(|d| Some((d.clone(), *ends.get(d)?)))
                .collect();
            if now_heads != p.heads {
                again.push((ticket, Ok(None)));
                continue;
            }
            taken.push((ticket, entries.len() as u64));
            for e in p.entries {
                // The head: an entry set aside by its device has no body.
                if let Ok(x) = e.head() {
                    ends.insert(
                        x.device,
                        FeedHead {
                            seq: x.seq,
                            hash: e.hash(),
                        },
                    );
                }
                entries.push(e);
            }
        }
        if entries.is_empty() {
            return again;
        }
        let appended = (|| -> Result<(TreeState, SignedCheckpoint, u64), ServiceError> {
            let head = seq.head()?;
            let first = head.tree.size;
            let leaves: Vec<Digest> = entries.iter().map(SignedEntry::hash).collect();
            // Under the hold the head is the log's latest: the tiles this process knows as far
            // as it holds serve, and those the append writes are known from its commit on.
            let tiles = Tiles::sharing(&*seq, &self.known_tiles, head.tree.size);
            let done = qc_tlog::integrate(&head.tree, &tiles, &leaves).map_err(damaged)?;
            let head = self.head_of(done.state, now)?;
            seq.commit(&entries, &done.tiles, &head)?;
            for (id, tile) in &done.tiles {
                self.known_tiles.keep(*id, tile, head.tree.size);
            }
            let checkpoint = head
                .checkpoint
                .ok_or_else(|| damaged("no checkpoint signed"))?;
            Ok((head.tree, checkpoint, first))
        })();
        if let Ok((tree, _, _)) = &appended {
            self.batches.appends.fetch_add(1, Ordering::Relaxed);
            self.batches
                .entries
                .fetch_add(entries.len() as u64, Ordering::Relaxed);
            tracing::debug!(
                uploads = taken.len(),
                entries = entries.len(),
                size = tree.size,
                "log appended"
            );
        }
        taken
            .into_iter()
            .map(|(t, offset)| {
                (
                    t,
                    appended
                        .as_ref()
                        .map(|(tree, checkpoint, first)| {
                            Some((*tree, checkpoint.clone(), first + offset))
                        })
                        .map_err(|e| e.to_string()),
                )
            })
            .chain(again)
            .collect()
    }

    /// Receipts for accepted entries, under `checkpoint` (signed over `tree`).
    pub(super) fn receipts_for<'a>(
        &self,
        tree: &TreeState,
        entries: impl Iterator<Item = &'a SignedEntry>,
        checkpoint: &SignedCheckpoint,
    ) -> Result<Vec<EntryReceipt>, ServiceError> {
        let hashes: Vec<Digest> = entries.map(SignedEntry::hash).collect();
        self.receipts_at(tree, &self.logged_at(tree, &hashes)?, checkpoint)
    }

    /// Where the log holds the entries of `hashes`, each within `tree`, with its hash.
    fn logged_at(
        &self,
        tree: &TreeState,
        hashes: &[Digest],
    ) -> Result<Vec<(u64, Digest)>, ServiceError> {
        Ok(self
            .storage
            .entry_indexes(hashes)?
            .into_iter()
            .zip(hashes)
            .map(|(index, hash)| {
                index
                    .filter(|i| *i < tree.size)
                    .map(|i| (i, *hash))
                    .ok_or_else(|| damaged("an accepted entry is not in the log"))
            })
            .collect::<Result<_, _>>()?)
    }

    /// The receipts of the entries logged at `logged` (index and hash) within `tree`, under
    /// `checkpoint`.
    pub(super) fn receipts_at(
        &self,
        tree: &TreeState,
        logged: &[(u64, Digest)],
        checkpoint: &SignedCheckpoint,
    ) -> Result<Vec<EntryReceipt>, ServiceError> {
        let at: Vec<u64> = logged.iter().map(|(i, _)| *i).collect();
        if at.iter().any(|i| *i >= tree.size) {
            return Err(damaged("a receipt asked beyond the tree").into());
        }
        let tiles = Tiles::sharing(&self.storage, &self.known_tiles, tree.size);
        // One batch: a sync's receipts share most of their paths.
        let proofs = qc_tlog::inclusions(tree.size, &at, &tiles).map_err(damaged)?;
        Ok(logged
            .iter()
            .zip(proofs)
            .map(|(&(index, entry), proof)| EntryReceipt {
                entry,
                receipt: Receipt {
                    checkpoint: checkpoint.clone(),
                    index,
                    proof,
                },
            })
            .collect())
    }

    /// A proof from `from` to `tree`; empty when there is nothing to prove (or the device
    /// claims a longer log than this one, which its own check then reports).
    pub(super) fn proof_from(
        &self,
        tree: &TreeState,
        from: u64,
    ) -> Result<Vec<Digest>, ServiceError> {
        if from == 0 || from >= tree.size {
            return Ok(Vec::new());
        }
        Ok(qc_tlog::consistency(
            from,
            tree.size,
            &Tiles::sharing(&self.storage, &self.known_tiles, tree.size),
        )
        .map_err(damaged)?)
    }

    /// What this process did to the log since it started.
    pub fn log_stats(&self) -> LogStats {
        let b = &self.batches;
        LogStats {
            appends: b.appends.load(Ordering::Relaxed),
            entries: b.entries.load(Ordering::Relaxed),
            sequenced: b.sequenced.load(Ordering::Relaxed),
            waited_us: b.waited_us.load(Ordering::Relaxed),
        }
    }

    /// The latest checkpoint as a C2SP signed note (none before the first entry), for anyone
    /// checking the log with standard tooling.
    pub fn log_note(&self) -> Result<Option<String>, ServiceError> {
        Ok(self.storage.log_head()?.note)
    }

    /// A tile of the log at C2SP tlog-tiles `path`, read-only for anyone: hash tiles hold only
    /// hashes, entry bundles only entry hashes (what an entry says stays private). Only what
    /// the latest head covers is served, so a tile's bytes never change once served.
    pub fn log_tile(&self, path: &str) -> Result<Vec<u8>, ServiceError> {
        let path = TilePath::parse(path).map_err(|e| ServiceError::NotFound(e.to_string()))?;
        let size = self.storage.log_head()?.tree.size;
        let beyond =
            || ServiceError::NotFound(format!("{path} is beyond the log's {size} entries"));
        match path {
            TilePath::Hash { id, width } => {
                if width > qc_tlog::tile_width(id, size) {
                    return Err(beyond());
                }
                let mut tile = self.storage.tile(id)?.ok_or_else(beyond)?;
                let bytes = usize::from(width) * 32;
                if tile.len() < bytes {
                    return Err(damaged(format!("tile {path} is shorter than the log")).into());
                }
                tile.truncate(bytes);
                Ok(tile)
            }
            TilePath::Entries { index, width } => {
                let leaves = qc_tlog::tile_width(TileId { level: 0, index }, size);
                if width > leaves {
                    return Err(beyond());
                }
                let from = index * 256;
                let hashes = self.storage.entry_hashes(from, from + u64::from(width))?;
                Ok(qc_tlog::entry_bundle(&hashes))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;

    /// Tiles in memory, counting the reads.
    struct Counted {
        tiles: HashMap<TileId, Vec<u8>>,
        reads: Cell<usize>,
    }

    impl ReadTile for Counted {
        fn read_tile(&self, id: TileId) -> Result<Option<Vec<u8>>, StorageError> {
            self.reads.set(self.reads.get() + 1);
            Ok(self.tiles.get(&id).cloned())
        }
    }

    /// A tile is read once per process as far as a request needed it: a full one serves every
    /// later request, one on the right edge those over a tree it covers, and it is read again
    /// for a tree it does not cover yet.
    #[test]
    fn tiles_are_read_once_as_far_as_a_tree_held_them() {
        let full = TileId { level: 0, index: 0 };
        let edge = TileId { level: 0, index: 1 };
        let store = Counted {
            tiles: [(full, vec![1; 256 * 32]), (edge, vec![2; 10 * 32])].into(),
            reads: Cell::new(0),
        };
        let kept = KnownTiles::default();
        let ask = |id, width, size| {
            Tiles::sharing(&store, &kept, size)
                .tile_of_width(id, width)
                .unwrap()
                .unwrap()
        };
        assert_eq!(ask(full, 256, 264), vec![1; 256 * 32]);
        // Over a tree of 256 + 8: the edge tile's first eight hashes are known.
        assert_eq!(ask(edge, 3, 264), vec![2; 10 * 32]);
        assert_eq!(store.reads.get(), 2);
        assert_eq!(ask(full, 256, 260), vec![1; 256 * 32]);
        assert_eq!(ask(edge, 5, 264), vec![2; 8 * 32], "the eight known serve");
        assert_eq!(ask(edge, 8, 264), vec![2; 8 * 32]);
        assert_eq!(store.reads.get(), 2, "nothing read again");
        // A larger tree: read again, and its ten hashes are known from then on.
        assert_eq!(ask(edge, 10, 266), vec![2; 10 * 32]);
        assert_eq!(ask(edge, 9, 266), vec![2; 10 * 32]);
        assert_eq!(store.reads.get(), 3);
        // Without the process's tiles, and through `tile` (no width): read anew.
        Tiles::new(&store).tile_of_width(full, 256).unwrap();
        Tiles::sharing(&store, &kept, 266).tile(full).unwrap();
        assert_eq!(store.reads.get(), 5);
    }
}
