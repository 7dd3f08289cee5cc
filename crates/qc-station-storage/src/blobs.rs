//! Evidence blobs as every backend keeps them: their rows (declared size, upload attempt,
//! whether kept, cases) in the backend's database ([`BlobRows`]), their bytes in an
//! [`Evidence`] store, and the rules of an upload once, here ([`Blobs`]).

use std::collections::HashMap;
use std::io::Read;
use std::sync::{Mutex, MutexGuard};

use qc_chain::Digest;
use qc_station_evidence::{Evidence, EvidenceError};
use sha2::{Digest as _, Sha256};

use crate::{BlobState, StorageError};

/// The rows a backend keeps about blobs, in its own SQL; [`Blobs`] decides when each is written.
pub trait BlobRows {
    /// A blob's declared size and whether it is recorded kept, if an upload of it started.
    fn blob_row(&self, hash: &Digest) -> Result<Option<(u64, bool)>, StorageError>;
    /// Records a new upload of `size` bytes (one more attempt, not kept), replacing any other.
    fn start_blob_row(&self, hash: &Digest, size: u64) -> Result<(), StorageError>;
    /// Records that a blob's bytes are kept; with `case`, also that they were uploaded for it
    /// (its pending row cleared), in the same write. Refused when its row is being deleted or
    /// gone (the upload hears so, and a new one starts afresh).
    fn mark_blob_kept(&self, hash: &Digest, case: Option<&str>) -> Result<(), StorageError>;
    /// Forgets a blob whose bytes did not match its hash (not one being deleted).
    fn forget_blob_row(&self, hash: &Digest) -> Result<(), StorageError>;
    /// The blobs whose upload started and that are not recorded kept, by hash (not those
    /// being deleted).
    fn unkept_blob_rows(&self) -> Result<Vec<Digest>, StorageError>;
    /// Unlinks a blob from `case` and, when no case links it any more, marks its row deleting,
    /// in one transaction that holds the row: whether this call marked it (its bytes are then
    /// to go). A row being deleted is no blob to anyone (no state, no new upload, no link)
    /// until it is forgotten, so no other station process can keep or link the bytes that are
    /// about to go.
    fn unlink_blob_row(&self, hash: &Digest, case: &str) -> Result<bool, StorageError>;
    /// The blobs whose deletion began and was not done (the process stopped before).
    fn deleting_blob_rows(&self) -> Result<Vec<Digest>, StorageError>;
    /// Holds a row being deleted while `remove` deletes its bytes, then forgets it, so no
    /// other process starts an upload of the blob before its old bytes are gone, and notes the
    /// blob for backups ([`crate::Storage::deleted_blobs`]) as it forgets the row: whether the
    /// row was still there (another process may have finished the deletion).
    fn finish_deleting(
        &self,
        hash: &Digest,
        remove: &mut dyn FnMut() -> Result<(), StorageError>,
    ) -> Result<bool, StorageError>;
    /// Marks a blob's row deleting when there is none, or one being deleted already; not one
    /// that an upload or a kept blob holds: whether a row being deleted stands now. For bytes
    /// kept by an upload whose row was deleted meanwhile, so that they go as a deletion's do.
    fn claim_stray(&self, hash: &Digest) -> Result<bool, StorageError>;
}

/// What [`BlobRows::start_blob_row`] returns once its upsert changed `rows` rows: none when the
/// blob's row is being deleted, which no upload may take over.
pub fn upload_started(rows: u64) -> Result<(), StorageError> {
    match rows {
        0 => Err(StorageError::Backend(
            "the blob is being deleted; send it again later".into(),
        )),
        _ => Ok(()),
    }
}

/// Blob uploads and reads over a backend's [`BlobRows`] and an [`Evidence`] store.
pub struct Blobs {
    bytes: Box<dyn Evidence>,
    /// Running SHA-256 of uploads under way (bytes received in order so far), so a finished
    /// upload is checked without reading it back. Per process: an upload whose chunks reached
    /// another station process is checked by the evidence store (or by reading it back).
    hashing: Mutex<HashMap<Digest, (u64, Sha256)>>,
}

fn bytes_err(what: &str) -> impl FnOnce(EvidenceError) -> StorageError + '_ {
    move |e| StorageError::Backend(format!("{what}: {e}"))
}

impl Blobs {
    /// Blob bytes kept in `bytes`.
    pub fn new(bytes: Box<dyn Evidence>) -> Blobs {
        Blobs {
            bytes,
            hashing: Mutex::new(HashMap::new()),
        }
    }

    fn hashing(&self) -> MutexGuard<'_, HashMap<Digest, (u64, Sha256)>> {
        // A panic while holding it leaves at worst a stale running hash, which the finishing
        // check then disagrees with and falls back to reading the bytes.
        self.hashing.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// How much of a blob is held (see [`crate::Storage::blob_state`]).
    pub fn state<R: BlobRows + ?Sized>(
        &self,
        rows: &R,
        hash: &Digest,
    ) -> Result<Option<BlobState>, StorageError> {
        let Some((size, mut complete)) = rows.blob_row(hash)? else {
            return Ok(None);
        };
        if !complete
            && self
                .bytes
                .contains(hash)
                .map_err(bytes_err("looking for a blob"))?
        {
            // Kept by a process that stopped before it could record so.
            rows.mark_blob_kept(hash, None)?;
            complete = true;
        }
        Ok(Some(BlobState {
            size,
            // The evidence store says how far an upload got: no database write per chunk.
            received: if complete {
                size
            } else {
                self.bytes
                    .received(hash, size)
                    .map_err(bytes_err("reading how much of a blob arrived"))?
            },
            complete,
        }))
    }

    /// Writes a chunk of an upload (see [`crate::Storage::write_blob_chunk`]).
    pub fn write_chunk<R: BlobRows + ?Sized>(
        &self,
        rows: &R,
        hash: &Digest,
        size: u64,
        offset: u64,
        bytes: &[u8],
    ) -> Result<(), StorageError> {
        let held = self.state(rows, hash)?;
        if held.is_some_and(|b| b.complete) {
            return Err(StorageError::Backend("the blob is already complete".into()));
        }
        let end = offset
            .checked_add(bytes.len() as u64)
            .filter(|end| *end <= size)
            .ok_or_else(|| StorageError::Backend("more bytes than the blob's size".into()))?;
        // A chunk sent again after a cut may start before what is held: the evidence store takes
        // only what follows it (an object store cannot rewrite a part it has put).
        let from = if offset == 0 {
            rows.start_blob_row(hash, size)?;
            self.bytes
                .begin(hash, size)
                .map_err(bytes_err("starting a blob upload"))?;
            self.hashing().insert(*hash, (0, Sha256::new()));
            0
        } else {
            match held {
                Some(b) if offset <= b.received && b.size == size => b.received,
                _ => {
                    return Err(StorageError::Backend(format!(
                        "offset {offset} does not continue the upload"
                    )));
                }
            }
        };
        let new = usize::try_from(from - offset)
            .ok()
            .and_then(|skip| bytes.get(skip..))
            .unwrap_or_default();
        // Nothing new, unless it is the one (empty) chunk of an empty blob.
        if new.is_empty() && size > 0 {
            return Ok(());
        }
        self.bytes
            .receive(hash, size, from, new)
            .map_err(bytes_err("writing a blob chunk"))?;
        if end == size {
            // The last piece: an object store keeps at once a blob that arrives whole in one
            // piece, and a deletion may have dropped the pieces before this one was written.
            self.still_wanted(rows, hash)?;
        }
        // Hash as the bytes arrive in order; anything else is checked by reading back.
        let mut hashing = self.hashing();
        match hashing.get_mut(hash) {
            Some((at, h)) if *at == from => {
                h.update(new);
                *at = end;
            }
            _ => {
                hashing.remove(hash);
            }
        }
        Ok(())
    }

    /// Keeps a blob that arrived whole (see [`crate::Storage::keep_whole_blob`]). Its row
    /// first, as for any upload: a process that dies before the bytes are kept leaves an
    /// unfinished upload, which the next start finishes (the bytes all there) or discards.
    pub fn keep_whole<R: BlobRows + ?Sized>(
        &self,
        rows: &R,
        hash: &Digest,
        bytes: &[u8],
        case: Option<&str>,
    ) -> Result<(), StorageError> {
        rows.start_blob_row(hash, bytes.len() as u64)?;
        self.bytes
            .put_whole(hash, bytes)
            .map_err(bytes_err("keeping a blob"))?;
        self.still_wanted(rows, hash)?;
        rows.mark_blob_kept(hash, case)
    }

    /// After bytes of `hash` were kept by an upload: its row still stands, or else the upload
    /// was deleted (删除原件) while its bytes were on their way, perhaps before they arrived,
    /// and they go now, as the deletion's would have (refused to the upload). Once this finds
    /// the row, a deletion coming later finds the bytes there and takes them.
    fn still_wanted<R: BlobRows + ?Sized>(
        &self,
        rows: &R,
        hash: &Digest,
    ) -> Result<(), StorageError> {
        if rows.blob_row(hash)?.is_some() {
            return Ok(());
        }
        if rows.claim_stray(hash)? {
            self.forget_deleted(rows, hash)?;
        }
        upload_started(0)
    }

    /// Ends an upload, keeping the blob only if it matches (see [`crate::Storage::finish_blob`]).
    pub fn finish<R: BlobRows + ?Sized>(
        &self,
        rows: &R,
        hash: &Digest,
    ) -> Result<bool, StorageError> {
        let state = self
            .state(rows, hash)?
            .filter(|b| b.received == b.size)
            .ok_or_else(|| StorageError::Backend("the blob is not all received".into()))?;
        let running = self.hashing().remove(hash);
        if state.complete {
            // Kept by the evidence store as its last chunk arrived (an object store keeps a
            // blob that arrives whole and matches at once); `state` recorded it.
            return Ok(true);
        }
        let finishing = bytes_err("finishing a blob upload");
        let kept = match running {
            Some((at, h)) if at == state.size => {
                if <[u8; 32]>::from(h.finalize()) == *hash {
                    self.bytes
                        .finish(hash, state.size, true)
                        .map_err(finishing)?
                } else {
                    self.bytes.discard(hash).map_err(finishing)?;
                    false
                }
            }
            _ => self
                .bytes
                .finish(hash, state.size, false)
                .map_err(finishing)?,
        };
        if kept {
            self.still_wanted(rows, hash)?;
            rows.mark_blob_kept(hash, None)?;
        } else {
            rows.forget_blob_row(hash)?;
        }
        Ok(kept)
    }

    /// The blobs whose upload started and was not yet kept or discarded; deletions a stopped
    /// process began are done first.
    pub fn unfinished<R: BlobRows + ?Sized>(&self, rows: &R) -> Result<Vec<Digest>, StorageError> {
        for hash in rows.deleting_blob_rows()? {
            self.forget_deleted(rows, &hash)?;
        }
        let mut left = Vec::new();
        for hash in rows.unkept_blob_rows()? {
            // One kept by a process that stopped before recording it is finished already.
            if self
                .bytes
                .contains(&hash)
                .map_err(bytes_err("looking for a blob"))?
            {
                rows.mark_blob_kept(&hash, None)?;
            } else {
                left.push(hash);
            }
        }
        Ok(left)
    }

    /// Reads a complete blob.
    pub fn open<R: BlobRows + ?Sized>(
        &self,
        rows: &R,
        hash: &Digest,
    ) -> Result<Box<dyn Read + Send>, StorageError> {
        if !self.state(rows, hash)?.is_some_and(|b| b.complete) {
            return Err(StorageError::Backend("no such blob".into()));
        }
        self.bytes.open(hash).map_err(bytes_err("opening a blob"))
    }

    /// Deletes a blob of `case` (see [`crate::Storage::delete_blob`]): its row is marked
    /// deleting before the bytes go and forgotten after, so a process stopped in between
    /// leaves a deletion that [`Blobs::unfinished`] finishes.
    pub fn delete<R: BlobRows + ?Sized>(
        &self,
        rows: &R,
        hash: &Digest,
        case: &str,
    ) -> Result<bool, StorageError> {
        let gone = rows.unlink_blob_row(hash, case)?;
        if gone {
            self.forget_deleted(rows, hash)?;
        }
        Ok(gone)
    }

    /// Deletes the bytes of a blob whose row is being deleted (an upload's pieces too), then
    /// the row.
    fn forget_deleted<R: BlobRows + ?Sized>(
        &self,
        rows: &R,
        hash: &Digest,
    ) -> Result<(), StorageError> {
        rows.finish_deleting(hash, &mut || {
            self.bytes
                .discard(hash)
                .and_then(|()| self.bytes.remove(hash))
                .map_err(bytes_err("deleting a blob"))
        })
        .map(drop)
    }

    /// Reads the original bytes `range` (non-empty, within it) of a complete blob of `size`
    /// bytes; the evidence store holds only complete blobs, so no row is read.
    pub fn open_range(
        &self,
        hash: &Digest,
        size: u64,
        range: std::ops::Range<u64>,
    ) -> Result<Box<dyn Read + Send>, StorageError> {
        self.bytes
            .open_range(hash, size, range)
            .map_err(bytes_err("opening a range of a blob"))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::collections::BTreeMap;

    use qc_station_evidence::LocalEvidence;

    use super::*;

    const K: usize = 64 * 1024;

    /// Rows as a backend would keep them: size, kept, attempt.
    #[derive(Default)]
    struct Rows(Mutex<BTreeMap<Digest, (u64, bool, u32)>>);

    impl BlobRows for Rows {
        fn blob_row(&self, hash: &Digest) -> Result<Option<(u64, bool)>, StorageError> {
            Ok(self.0.lock().unwrap().get(hash).map(|r| (r.0, r.1)))
        }
        fn start_blob_row(&self, hash: &Digest, size: u64) -> Result<(), StorageError> {
            let mut rows = self.0.lock().unwrap();
            let attempt = rows.get(hash).map_or(0, |r| r.2 + 1);
            rows.insert(*hash, (size, false, attempt));
            Ok(())
        }
        // No cases here (see `unlink_blob_row`).
        fn mark_blob_kept(&self, hash: &Digest, _case: Option<&str>) -> Result<(), StorageError> {
            if let Some(r) = self.0.lock().unwrap().get_mut(hash) {
                r.1 = true;
            }
            Ok(())
        }
        fn forget_blob_row(&self, hash: &Digest) -> Result<(), StorageError> {
            self.0.lock().unwrap().remove(hash);
            Ok(())
        }
        fn unkept_blob_rows(&self) -> Result<Vec<Digest>, StorageError> {
            let rows = self.0.lock().unwrap();
            Ok(rows.iter().filter(|r| !r.1.1).map(|r| *r.0).collect())
        }
        // These rows link no cases and are deleted at once: the backends' suite tests
        // deletions.
        fn unlink_blob_row(&self, hash: &Digest, _case: &str) -> Result<bool, StorageError> {
            Ok(self.0.lock().unwrap().contains_key(hash))
        }
        fn deleting_blob_rows(&self) -> Result<Vec<Digest>, StorageError> {
            Ok(Vec::new())
        }
        fn finish_deleting(
            &self,
            hash: &Digest,
            remove: &mut dyn FnMut() -> Result<(), StorageError>,
        ) -> Result<bool, StorageError> {
            remove()?;
            Ok(self.0.lock().unwrap().remove(hash).is_some())
        }
        // No row is ever being deleted here: a stray is one with no row.
        fn claim_stray(&self, hash: &Digest) -> Result<bool, StorageError> {
            Ok(!self.0.lock().unwrap().contains_key(hash))
        }
    }

    /// A process's view of the blobs in `dir`: what another process would open.
    fn process(dir: &tempfile::TempDir) -> Blobs {
        Blobs::new(Box::new(LocalEvidence::open(dir.path(), [5; 32]).unwrap()))
    }

    fn blob(len: usize) -> (Vec<u8>, Digest) {
        let data: Vec<u8> = (0..len).map(|i| (i % 253) as u8).collect();
        let hash = Sha256::digest(&data).into();
        (data, hash)
    }

    #[test]
    fn uploads_follow_the_rules() {
        let dir = tempfile::tempdir().unwrap();
        let (blobs, rows) = (process(&dir), Rows::default());
        let (data, hash) = blob(2 * K + 10);
        let size = data.len() as u64;
        assert!(
            blobs
                .write_chunk(&rows, &hash, size, 0, &[0; 3 * K])
                .is_err(),
            "more bytes than the size"
        );
        blobs
            .write_chunk(&rows, &hash, size, 0, &data[..K])
            .unwrap();
        let past = blobs.write_chunk(&rows, &hash, size, 2 * K as u64, &data[2 * K..]);
        assert!(past.is_err(), "an offset past what was received");
        blobs
            .write_chunk(&rows, &hash, size, K as u64, &data[K..])
            .unwrap();
        // The last chunk again, after a cut that lost only the answer.
        blobs
            .write_chunk(&rows, &hash, size, 2 * K as u64, &data[2 * K..])
            .unwrap();
        assert_eq!(blobs.unfinished(&rows).unwrap(), [hash]);
        assert!(blobs.finish(&rows, &hash).unwrap());
        assert_eq!(rows.blob_row(&hash).unwrap(), Some((size, true)));
        let again = blobs.write_chunk(&rows, &hash, size, 0, &data[..K]);
        assert!(again.is_err(), "a complete blob is not written again");
        let mut back = Vec::new();
        blobs
            .open(&rows, &hash)
            .unwrap()
            .read_to_end(&mut back)
            .unwrap();
        assert_eq!(back, data);

        let (empty, none) = blob(0);
        blobs.write_chunk(&rows, &none, 0, 0, &empty).unwrap();
        assert!(blobs.finish(&rows, &none).unwrap(), "an empty blob is kept");
    }

    #[test]
    fn a_new_start_replaces_and_a_mismatch_is_forgotten() {
        let dir = tempfile::tempdir().unwrap();
        let (blobs, rows) = (process(&dir), Rows::default());
        let (data, hash) = blob(K + 1);
        let size = data.len() as u64;
        blobs.write_chunk(&rows, &hash, size, 0, &[9; K]).unwrap();
        blobs
            .write_chunk(&rows, &hash, size, 0, &data[..K])
            .unwrap();
        assert_eq!(rows.0.lock().unwrap()[&hash].2, 1, "a second attempt");
        blobs
            .write_chunk(&rows, &hash, size, K as u64, &data[K..])
            .unwrap();
        assert!(blobs.finish(&rows, &hash).unwrap());

        let wrong = [7; 32];
        blobs.write_chunk(&rows, &wrong, 3, 0, b"abc").unwrap();
        assert!(!blobs.finish(&rows, &wrong).unwrap());
        assert!(rows.blob_row(&wrong).unwrap().is_none());
        assert!(blobs.open(&rows, &wrong).is_err());
    }

    #[test]
    fn another_process_continues_and_finishes() {
        let dir = tempfile::tempdir().unwrap();
        let rows = Rows::default();
        let (data, hash) = blob(2 * K);
        let size = data.len() as u64;
        process(&dir)
            .write_chunk(&rows, &hash, size, 0, &data[..K])
            .unwrap();
        // No running hash here: the finish reads the bytes back.
        let other = process(&dir);
        other
            .write_chunk(&rows, &hash, size, K as u64, &data[K..])
            .unwrap();
        assert!(other.finish(&rows, &hash).unwrap());

        let (data, hash) = blob(K + 7);
        let size = data.len() as u64;
        let blobs = process(&dir);
        blobs.write_chunk(&rows, &hash, size, 0, &data).unwrap();
        // A process kept the bytes and stopped before recording so.
        LocalEvidence::open(dir.path(), [5; 32])
            .unwrap()
            .finish(&hash, size, false)
            .unwrap();
        assert!(blobs.unfinished(&rows).unwrap().is_empty());
        assert_eq!(rows.blob_row(&hash).unwrap(), Some((size, true)));
    }
}
