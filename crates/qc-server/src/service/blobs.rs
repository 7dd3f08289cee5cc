//! Evidence files up (resumable, content-addressed) and down (for reviewers), for the cases a
//! device may see.

use std::collections::{BTreeMap, HashSet};
use std::io::Read;
use std::sync::{Condvar, Mutex};

use qc_chain::Digest;
use qc_domain::CaseView;
use qc_sync::wire::{BLOB_ALIGN, BlobStatus};
use sha2::Digest as _;

use super::{Service, ServiceError};
use crate::storage::{BlobState, PendingBlob, Storage, StorageError};

/// The largest evidence file accepted (a long body-camera video).
pub const MAX_BLOB: u64 = 16 * 1024 * 1024 * 1024;

/// A chunk of an evidence file as received, with its SHA-256.
pub struct Chunk<'a> {
    bytes: &'a [u8],
    sha256: Digest,
}

impl<'a> Chunk<'a> {
    /// A chunk, hashed here.
    pub fn new(bytes: &'a [u8]) -> Chunk<'a> {
        Chunk {
            bytes,
            sha256: qc_sync::auth::body_digest(bytes),
        }
    }

    /// A chunk whose SHA-256 was taken of these very bytes (its request's signature check
    /// did), so a file that comes in one request is hashed once.
    pub(crate) fn hashed(bytes: &'a [u8], sha256: Digest) -> Chunk<'a> {
        Chunk { bytes, sha256 }
    }
}

/// The blobs whose chunk a request is writing: one request per blob at a time.
#[derive(Default)]
pub(super) struct Writing {
    blobs: Mutex<HashSet<Digest>>,
    freed: Condvar,
}

/// A blob being written by this request, until dropped.
struct WritingBlob<'a> {
    writing: &'a Writing,
    hash: Digest,
}

impl Writing {
    /// Waits until no other request writes `hash`, then holds it.
    fn hold(&self, hash: &Digest) -> WritingBlob<'_> {
        let mut blobs = super::locked(&self.blobs);
        while blobs.contains(hash) {
            blobs = self
                .freed
                .wait(blobs)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
        }
        blobs.insert(*hash);
        WritingBlob {
            writing: self,
            hash: *hash,
        }
    }
}

impl Drop for WritingBlob<'_> {
    fn drop(&mut self) {
        super::locked(&self.writing.blobs).remove(&self.hash);
        self.writing.freed.notify_all();
    }
}

impl<S: Storage> Service<S> {
    /// Refuses unless the device may see `case` and an accepted entry of it names the blob
    /// (a sync sends entries and documents before blobs); a draw's file (a report signed on
    /// a tablet) only the device whose entry names it sends.
    fn check_blob(&self, device: &str, case: &str, hash: &Digest) -> Result<(), ServiceError> {
        let draw = qc_domain::draw::is_draw_id(case);
        let visible = draw
            || match self.storage.case_doc(case)? {
                Some((meta, _)) => self.scope(device)?.sees(&meta),
                None => false,
            };
        let entries: Vec<qc_chain::Entry> = if visible {
            self.storage
                .case_entries(case)?
                .iter()
                .filter_map(|e| e.entry().ok())
                .filter(|e| e.case == case)
                .collect()
        } else {
            Vec::new()
        };
        let named = entries
            .iter()
            .any(|e| e.blobs.contains(hash) && (!draw || e.device == device));
        // A file the case let go with the head's approval (删除原件) is neither taken nor given.
        if named && !qc_chain::deleted_files(&entries).contains(hash) {
            Ok(())
        } else {
            Err(ServiceError::NotFound(format!(
                "blob {} of case {case}",
                hex::encode(hash)
            )))
        }
    }

    /// How much of a blob the station holds.
    pub fn blob_status(
        &self,
        device: &str,
        case: &str,
        hash: &Digest,
    ) -> Result<BlobStatus, ServiceError> {
        Ok(self.held(device, case, hash)?.0)
    }

    /// What the device hears of a blob, and the state the store keeps of it, read once (each
    /// read may ask the evidence store, an object store's requests among them).
    fn held(
        &self,
        device: &str,
        case: &str,
        hash: &Digest,
    ) -> Result<(BlobStatus, Option<BlobState>), ServiceError> {
        self.check_blob(device, case, hash)?;
        let mut stored = self.storage.blob_state(hash)?;
        if stored.is_some_and(|b| !b.complete && b.received == b.size) {
            if self.finish_received(hash)? == Some(false) {
                tracing::warn!(
                    device,
                    case,
                    blob = hex::encode(hash),
                    "blob received whole before a stop did not match its hash; discarded"
                );
            }
            stored = self.storage.blob_state(hash)?;
        }
        let status = match stored {
            // Kept, but its bytes came for another case: this case's uploader proves it holds
            // them by sending them (a hash learnt elsewhere is not the file).
            Some(b) if b.complete && !self.storage.blob_in_case(hash, case)? => BlobStatus {
                received: super::locked(&self.proofs)
                    .get(&(case.to_owned(), *hash))
                    .map_or(0, |p| p.0),
                complete: false,
            },
            Some(b) => BlobStatus {
                received: b.received,
                complete: b.complete,
            },
            None => BlobStatus {
                received: 0,
                complete: false,
            },
        };
        Ok((status, stored))
    }

    /// Takes a chunk of a file the station keeps, sent for another case: hashed as it comes,
    /// not written; when all of it matches, the file serves this case too.
    fn prove_chunk(
        &self,
        case: &str,
        hash: &Digest,
        (size, offset): (u64, u64),
        bytes: &[u8],
    ) -> Result<BlobStatus, ServiceError> {
        let key = (case.to_owned(), *hash);
        let mut proofs = super::locked(&self.proofs);
        let (at, hasher) = proofs.entry(key.clone()).or_default();
        hasher.update(bytes);
        *at = offset + bytes.len() as u64;
        if *at < size {
            return Ok(BlobStatus {
                received: *at,
                complete: false,
            });
        }
        let (_, hasher) = proofs.remove(&key).unwrap_or_default();
        drop(proofs);
        if <[u8; 32]>::from(hasher.finalize()) != *hash {
            return Err(ServiceError::BlobMismatch(hex::encode(hash)));
        }
        self.storage.link_blob(hash, case)?;
        self.held_now(hash, case);
        tracing::info!(
            case,
            blob = hex::encode(hash),
            "blob shown again for another case"
        );
        Ok(BlobStatus {
            received: size,
            complete: true,
        })
    }

    /// Forgets `hash` as pending for `case`, which the station now holds it for. A failure
    /// only leaves a row the reading of pending files checks and clears.
    pub(super) fn held_now(&self, hash: &Digest, case: &str) {
        if let Err(e) = self.storage.clear_pending_blob(hash, case) {
            tracing::warn!(case, blob = hex::encode(hash), error = %e, "pending file not cleared");
        }
    }

    /// [`Service::pending_uploads`] of the cases `view` sees.
    pub fn pending_uploads_seen(&self, view: &CaseView) -> Result<Vec<PendingBlob>, ServiceError> {
        let pending = self.pending_uploads()?;
        let cases: Vec<String> = pending
            .iter()
            .map(|p| p.case.clone())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let seen: HashSet<String> = self
            .storage
            .case_docs(&cases)?
            .into_iter()
            .filter(|(_, meta, _)| view.sees(&meta.squad, meta.status))
            .map(|(case, _, _)| case)
            .collect();
        Ok(pending
            .into_iter()
            .filter(|p| seen.contains(&p.case))
            .collect())
    }

    /// The files logged entries name that the station does not hold for their case yet,
    /// oldest first (rows a missed clearing left are checked here and cleared).
    pub fn pending_uploads(&self) -> Result<Vec<PendingBlob>, ServiceError> {
        let mut pending = Vec::new();
        for p in self.storage.pending_blobs()? {
            if self.held_for(&p.hash, &p.case)? {
                self.held_now(&p.hash, &p.case);
            } else {
                pending.push(p);
            }
        }
        Ok(pending)
    }

    /// Whether the station holds file `hash` whole for `case`.
    fn held_for(&self, hash: &Digest, case: &str) -> Result<bool, StorageError> {
        Ok(self.storage.blob_state(hash)?.is_some_and(|b| b.complete)
            && self.storage.blob_in_case(hash, case)?)
    }

    /// Deletes the files `cases`' logged entries let go (删除原件, [`qc_chain::deleted_files`]:
    /// an approval that holds, for a file nothing else of the case names), each for its case;
    /// bytes another case's upload holds stay for it. The approval is logged whatever happens
    /// here (a bundle may lack the file from then on). A case's mark of deletions due
    /// ([`Storage::note_deletions_due`]) is cleared as far as it was noted before its entries
    /// were read, and only once they approved some deletion and all went: an approval being
    /// logged meanwhile, or one that failed here, stays due for the next start.
    pub(super) fn delete_approved<'a>(&self, cases: impl IntoIterator<Item = &'a String>) {
        let marks: BTreeMap<String, u64> = match self.storage.deletions_due() {
            Ok(marks) => marks.into_iter().collect(),
            Err(e) => {
                tracing::warn!(error = %e, "deletions due not read");
                BTreeMap::new()
            }
        };
        for case in cases {
            let entries: Vec<qc_chain::Entry> = match self.storage.case_entries(case) {
                Ok(entries) => entries
                    .iter()
                    .filter_map(|e| e.entry().ok())
                    .filter(|e| e.case == *case)
                    .collect(),
                Err(e) => {
                    tracing::warn!(case, error = %e, "approved deletions not done");
                    continue;
                }
            };
            let files = qc_chain::deleted_files(&entries);
            let mut done = !files.is_empty();
            for hash in files {
                // Not while an upload of it is written in this process.
                let _writing = self.blob_writes.hold(&hash);
                self.held_now(&hash, case);
                match self.storage.delete_blob(&hash, case) {
                    Ok(gone) => {
                        tracing::info!(
                            case,
                            blob = hex::encode(hash),
                            gone,
                            "original deleted with approval"
                        )
                    }
                    Err(e) => {
                        done = false;
                        tracing::warn!(case, blob = hex::encode(hash), error = %e, "approved deletion not done")
                    }
                }
            }
            if let Some(noted) = marks.get(case).filter(|_| done)
                && let Err(e) = self.storage.deletions_done(case, *noted)
            {
                tracing::warn!(case, error = %e, "approved deletions not recorded done");
            }
        }
    }

    /// Does the approved deletions still due: those a stopped station left (its own or another
    /// process's on the same database), and those that failed (the object store unreachable),
    /// which a serving station tries again ([`crate::http::upkeep`]): how many cases were due.
    pub fn finish_due_deletions(&self) -> Result<usize, StorageError> {
        let due = self.storage.deletions_due()?;
        self.delete_approved(due.iter().map(|(case, _)| case));
        Ok(due.len())
    }

    /// Notes, of the files `named` (by entries just logged), those the station does not hold
    /// for their case. Best effort: the entries are logged whatever happens here.
    pub(super) fn note_pending(&self, named: Vec<PendingBlob>) {
        if named.is_empty() {
            return;
        }
        let pending: Vec<PendingBlob> = named
            .into_iter()
            .filter(|p| !self.held_for(&p.hash, &p.case).unwrap_or(false))
            .collect();
        if let Err(e) = self.storage.note_pending_blobs(&pending) {
            tracing::warn!(error = %e, "pending files not noted");
        }
    }

    /// Ends an upload whose last byte arrived but which was not kept (the station stopped in
    /// between): kept if it matches its hash (`Some(true)`), else discarded (`Some(false)`);
    /// `None` if there was no such upload.
    pub(super) fn finish_received(&self, hash: &Digest) -> Result<Option<bool>, ServiceError> {
        match self.storage.blob_state(hash)? {
            Some(b) if !b.complete && b.received == b.size => {
                Ok(Some(self.storage.finish_blob(hash)?))
            }
            _ => Ok(None),
        }
    }

    /// Takes the next chunk of a blob of `size` bytes at `offset` (which must be what the
    /// station has received: see [`Service::blob_status`]). When the last byte is in, the whole
    /// blob's SHA-256 must match `hash` or it is discarded.
    pub fn put_blob_chunk(
        &self,
        device: &str,
        case: &str,
        hash: &Digest,
        (size, offset): (u64, u64),
        chunk: Chunk<'_>,
    ) -> Result<BlobStatus, ServiceError> {
        let bytes = chunk.bytes;
        let _writing = self.blob_writes.hold(hash);
        let (held, stored) = self.held(device, case, hash)?;
        if held.complete {
            return Ok(held);
        }
        // A draw's file is a report's JSON: small.
        let most = match qc_domain::draw::is_draw_id(case) {
            true => qc_domain::draw::REPORT_MAX_BYTES,
            false => MAX_BLOB,
        };
        if size == 0 || size > most {
            return Err(ServiceError::BadRequest(format!(
                "a blob of {size} bytes is not accepted"
            )));
        }
        let end = offset.checked_add(bytes.len() as u64).ok_or_else(|| {
            ServiceError::BadRequest(format!("a chunk at {offset} ends past any blob"))
        })?;
        if !offset.is_multiple_of(BLOB_ALIGN)
            || (end != size && !(bytes.len() as u64).is_multiple_of(BLOB_ALIGN))
        {
            return Err(ServiceError::BadRequest(format!(
                "chunks start and end at multiples of {BLOB_ALIGN} bytes (but the last)"
            )));
        }
        // The size declared when the upload began holds until it ends (a blob's hash fixes it).
        let began_as = stored.map_or(size, |b| b.size);
        if offset != held.received || end > size || (offset > 0 && began_as != size) {
            return Err(ServiceError::OutOfStep(format!(
                "chunk at {offset} (+{}) of {size}; the station holds {} of {began_as}",
                bytes.len(),
                held.received
            )));
        }
        if stored.is_some_and(|b| b.complete) {
            return self.prove_chunk(case, hash, (size, offset), bytes);
        }
        let mismatch = || {
            tracing::warn!(
                device,
                case,
                blob = hex::encode(hash),
                "blob does not match its hash"
            );
            Err(ServiceError::BlobMismatch(hex::encode(hash)))
        };
        if stored.is_none() && end == size {
            // The whole file in one request and no upload of it begun: kept in one write.
            if chunk.sha256 != *hash {
                return mismatch();
            }
            // Linked to the case in the same write (one commit less per file).
            self.storage.keep_whole_blob(hash, bytes, Some(case))?;
        } else {
            self.storage.write_blob_chunk(hash, size, offset, bytes)?;
            if end < size {
                return Ok(BlobStatus {
                    received: end,
                    complete: false,
                });
            }
            if !self.storage.finish_blob(hash)? {
                return mismatch();
            }
            self.storage.link_blob(hash, case)?;
            self.held_now(hash, case);
        }
        tracing::info!(
            device,
            case,
            blob = hex::encode(hash),
            size,
            "blob received"
        );
        Ok(BlobStatus {
            received: size,
            complete: true,
        })
    }

    /// A complete blob of a case the device may see, uploaded for that case, for reading.
    pub fn open_blob(
        &self,
        device: &str,
        case: &str,
        hash: &Digest,
    ) -> Result<(u64, Box<dyn Read + Send>), ServiceError> {
        self.check_blob(device, case, hash)?;
        self.open_case_blob(case, hash)
    }

    /// A complete blob uploaded for `case`, for reading (whoever asks has been found to see
    /// the case).
    pub fn open_case_blob(
        &self,
        case: &str,
        hash: &Digest,
    ) -> Result<(u64, Box<dyn Read + Send>), ServiceError> {
        let blob = self.case_blob(case, hash)?;
        Ok((blob.size, self.read_case_blob(&blob, None)?))
    }

    /// A complete blob uploaded for `case` (whoever asks has been found to see the case),
    /// found so: what [`Service::read_case_blob`] reads.
    pub fn case_blob(&self, case: &str, hash: &Digest) -> Result<CaseBlob, ServiceError> {
        match self.storage.blob_state(hash)? {
            Some(b) if b.complete && self.storage.blob_in_case(hash, case)? => Ok(CaseBlob {
                hash: *hash,
                size: b.size,
            }),
            _ => Err(ServiceError::NotFound(format!(
                "blob {} is not at the station yet",
                hex::encode(hash)
            ))),
        }
    }

    /// A case's blob: all of it, or the bytes `range` (non-empty, within its size) read and
    /// decrypted from only the part of the stored file that holds them (a player seeking).
    pub fn read_case_blob(
        &self,
        blob: &CaseBlob,
        range: Option<std::ops::Range<u64>>,
    ) -> Result<Box<dyn Read + Send>, ServiceError> {
        Ok(match range {
            None => self.storage.open_blob(&blob.hash)?,
            Some(r) => self.storage.open_blob_range(&blob.hash, blob.size, r)?,
        })
    }
}

/// A complete blob of a case, found by [`Service::case_blob`]: only that check makes one.
#[derive(Debug, Clone)]
pub struct CaseBlob {
    hash: Digest,
    /// Its size in bytes.
    pub size: u64,
}
