//! Evidence blobs: their state (declared size, upload attempt, whether kept, cases) in
//! PostgreSQL, their bytes in an [`Evidence`] store: an object store shared by every station
//! process (S3), or a local directory.

use std::collections::HashMap;
use std::io::Read;
use std::sync::{Mutex, MutexGuard};

use qc_chain::Digest;
use qc_station_evidence::{Evidence, EvidenceError};
use qc_station_storage::{BlobState, StorageError};
use sha2::{Digest as _, Sha256};

use crate::{PgStorage, col, digest, int, pg, uint};

/// The bytes of blobs, and the running hashes of uploads received by this process.
pub(crate) struct Blobs {
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
    /// Blob bytes in `bytes`.
    pub(crate) fn new(bytes: Box<dyn Evidence>) -> Blobs {
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
}

pub(crate) fn state(s: &PgStorage, hash: &Digest) -> Result<Option<BlobState>, StorageError> {
    let row = s
        .conn()?
        .query_opt(
            "SELECT size, complete FROM blobs WHERE hash = $1",
            &[&hash.as_slice()],
        )
        .map_err(pg("reading a blob's state"))?;
    let Some(row) = row else {
        return Ok(None);
    };
    let size = uint(col(&row, 0)?)?;
    let mut complete: bool = col(&row, 1)?;
    let bytes = &s.blobs.bytes;
    if !complete
        && bytes
            .contains(hash)
            .map_err(bytes_err("looking for a blob"))?
    {
        // Kept by a process that stopped before it could record so.
        mark_complete(s, hash)?;
        complete = true;
    }
    Ok(Some(BlobState {
        size,
        // The evidence store says how far an upload got: no database write per chunk.
        received: if complete {
            size
        } else {
            bytes
                .received(hash, size)
                .map_err(bytes_err("reading how much of a blob arrived"))?
        },
        complete,
    }))
}

fn mark_complete(s: &PgStorage, hash: &Digest) -> Result<(), StorageError> {
    s.conn()?
        .execute(
            "UPDATE blobs SET complete = true WHERE hash = $1",
            &[&hash.as_slice()],
        )
        .map_err(pg("recording a blob kept"))?;
    Ok(())
}

pub(crate) fn write_chunk(
    s: &PgStorage,
    hash: &Digest,
    size: u64,
    offset: u64,
    bytes: &[u8],
) -> Result<(), StorageError> {
    let held = state(s, hash)?;
    if held.is_some_and(|b| b.complete) {
        return Err(StorageError::Backend("the blob is already complete".into()));
    }
    let end = offset
        .checked_add(bytes.len() as u64)
        .filter(|end| *end <= size)
        .ok_or_else(|| StorageError::Backend("more bytes than the blob's size".into()))?;
    let blobs = &s.blobs;
    // A chunk sent again after a cut may start before what is held: the evidence store takes
    // only what follows it (it cannot rewrite a part it has put).
    let from = if offset == 0 {
        s.conn()?
            .execute(
                "INSERT INTO blobs (hash, size, attempt) VALUES ($1, $2, 0)
                 ON CONFLICT (hash) DO UPDATE SET size = EXCLUDED.size,
                   attempt = blobs.attempt + 1, complete = false",
                &[&hash.as_slice(), &int(size)?],
            )
            .map_err(pg("starting a blob upload"))?;
        blobs
            .bytes
            .begin(hash, size)
            .map_err(bytes_err("starting a blob upload"))?;
        blobs.hashing().insert(*hash, (0, Sha256::new()));
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
    if new.is_empty() && end < size {
        return Ok(());
    }
    blobs
        .bytes
        .receive(hash, size, from, new)
        .map_err(bytes_err("writing a blob chunk"))?;
    // Hash as the bytes arrive in order; anything else is checked by reading back.
    let mut hashing = blobs.hashing();
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

pub(crate) fn finish(s: &PgStorage, hash: &Digest) -> Result<bool, StorageError> {
    let state = state(s, hash)?
        .filter(|b| !b.complete && b.received == b.size)
        .ok_or_else(|| StorageError::Backend("the blob is not all received".into()))?;
    let bytes = &s.blobs.bytes;
    let running = s.blobs.hashing().remove(hash);
    let finishing = bytes_err("finishing a blob upload");
    let kept = match running {
        Some((at, h)) if at == state.size => {
            if <[u8; 32]>::from(h.finalize()) == *hash {
                bytes.finish(hash, state.size, true).map_err(finishing)?
            } else {
                bytes.discard(hash).map_err(finishing)?;
                false
            }
        }
        _ => bytes.finish(hash, state.size, false).map_err(finishing)?,
    };
    if kept {
        mark_complete(s, hash)?;
    } else {
        s.conn()?
            .execute("DELETE FROM blobs WHERE hash = $1", &[&hash.as_slice()])
            .map_err(pg("forgetting a blob that did not match"))?;
    }
    Ok(kept)
}

pub(crate) fn unfinished(s: &PgStorage) -> Result<Vec<Digest>, StorageError> {
    let rows = s
        .conn()?
        .query(
            "SELECT hash FROM blobs WHERE NOT complete ORDER BY hash",
            &[],
        )
        .map_err(pg("listing unfinished blobs"))?;
    let mut hashes = Vec::with_capacity(rows.len());
    for r in &rows {
        let hash = digest(col(r, 0)?)?;
        // One kept by a process that stopped before recording it is finished already.
        if !state(s, &hash)?.is_some_and(|b| b.complete) {
            hashes.push(hash);
        }
    }
    Ok(hashes)
}

pub(crate) fn open(s: &PgStorage, hash: &Digest) -> Result<Box<dyn Read + Send>, StorageError> {
    if !state(s, hash)?.is_some_and(|b| b.complete) {
        return Err(StorageError::Backend("no such blob".into()));
    }
    s.blobs
        .bytes
        .open(hash)
        .map_err(bytes_err("opening a blob"))
}

pub(crate) fn link(s: &PgStorage, hash: &Digest, case: &str) -> Result<(), StorageError> {
    s.conn()?
        .execute(
            "INSERT INTO blob_cases (hash, case_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            &[&hash.as_slice(), &case],
        )
        .map_err(pg("linking a blob to a case"))?;
    Ok(())
}

pub(crate) fn in_case(s: &PgStorage, hash: &Digest, case: &str) -> Result<bool, StorageError> {
    s.conn()?
        .query_opt(
            "SELECT 1 FROM blob_cases WHERE hash = $1 AND case_id = $2",
            &[&hash.as_slice(), &case],
        )
        .map(|r| r.is_some())
        .map_err(pg("reading a blob's cases"))
}
