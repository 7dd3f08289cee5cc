//! Evidence blobs: their state (declared size, upload attempt, cases) in PostgreSQL, their
//! bytes encrypted on local disk in a [`BlobStore`], as the SQLite backend keeps them. The bytes
//! are to move to object storage; everything that touches them is here.

use std::collections::HashMap;
use std::io::Read;
use std::sync::{Mutex, MutexGuard};

use qc_blobs::BlobStore;
use qc_chain::Digest;
use qc_station_storage::{BlobState, StorageError};
use sha2::{Digest as _, Sha256};

use crate::{PgStorage, col, digest, int, pg, uint};

/// The bytes of blobs, and the running hashes of uploads received by this process.
pub(crate) struct Blobs {
    files: BlobStore,
    /// Running SHA-256 of uploads under way (bytes received in order so far), so a finished
    /// upload is checked without reading it back. Per process: an upload whose chunks reached
    /// another station process is checked by reading it back.
    hashing: Mutex<HashMap<Digest, (u64, Sha256)>>,
}

fn files_err(what: &str) -> impl FnOnce(std::io::Error) -> StorageError + '_ {
    move |e| StorageError::Backend(format!("{what}: {e}"))
}

impl Blobs {
    /// Blob files under `dir`, encrypted with `key`.
    pub(crate) fn open(dir: &std::path::Path, key: &[u8; 32]) -> Result<Blobs, StorageError> {
        Ok(Blobs {
            files: BlobStore::open(dir, *key).map_err(files_err("opening the blob directory"))?,
            hashing: Mutex::new(HashMap::new()),
        })
    }

    fn hashing(&self) -> MutexGuard<'_, HashMap<Digest, (u64, Sha256)>> {
        // A panic while holding it leaves at worst a stale running hash, which the finishing
        // check then disagrees with and falls back to reading the bytes.
        self.hashing.lock().unwrap_or_else(|p| p.into_inner())
    }
}

pub(crate) fn state(s: &PgStorage, hash: &Digest) -> Result<Option<BlobState>, StorageError> {
    // The files say how far an upload got (whole chunks, synced before each answer) and
    // whether it is complete: no database write per chunk.
    let row = s
        .conn()?
        .query_opt(
            "SELECT size FROM blobs WHERE hash = $1",
            &[&hash.as_slice()],
        )
        .map_err(pg("reading a blob's state"))?;
    let Some(row) = row else {
        return Ok(None);
    };
    let size = uint(col(&row, 0)?)?;
    let files = &s.blobs.files;
    let complete = files.contains(hash);
    Ok(Some(BlobState {
        size,
        received: if complete {
            size
        } else {
            files
                .received(hash, size)
                .map_err(files_err("reading how much of a blob arrived"))?
        },
        complete,
    }))
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
    if offset == 0 {
        s.conn()?
            .execute(
                "INSERT INTO blobs (hash, size, attempt) VALUES ($1, $2, 0)
                 ON CONFLICT (hash) DO UPDATE SET size = EXCLUDED.size,
                   attempt = blobs.attempt + 1",
                &[&hash.as_slice(), &int(size)?],
            )
            .map_err(pg("starting a blob upload"))?;
        blobs
            .files
            .begin_receiving(hash)
            .map_err(files_err("starting a blob upload"))?;
        blobs.hashing().insert(*hash, (0, Sha256::new()));
    } else if !held.is_some_and(|b| offset <= b.received && b.size == size) {
        return Err(StorageError::Backend(format!(
            "offset {offset} does not continue the upload"
        )));
    }
    blobs
        .files
        .receive(hash, size, offset, bytes)
        .map_err(files_err("writing a blob chunk"))?;
    // Hash as the bytes arrive in order; anything else is checked by reading back.
    let mut hashing = blobs.hashing();
    match hashing.get_mut(hash) {
        Some((at, h)) if *at == offset => {
            h.update(bytes);
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
    let files = &s.blobs.files;
    let running = s.blobs.hashing().remove(hash);
    let finishing = files_err("finishing a blob upload");
    let kept = match running {
        Some((at, h)) if at == state.size => {
            if <[u8; 32]>::from(h.finalize()) == *hash {
                files.finish_receiving(hash, true).map_err(finishing)?
            } else {
                files.discard_receiving(hash).map_err(finishing)?;
                false
            }
        }
        _ => files.finish_receiving(hash, false).map_err(finishing)?,
    };
    if !kept {
        s.conn()?
            .execute("DELETE FROM blobs WHERE hash = $1", &[&hash.as_slice()])
            .map_err(pg("forgetting a blob that did not match"))?;
    }
    Ok(kept)
}

pub(crate) fn unfinished(s: &PgStorage) -> Result<Vec<Digest>, StorageError> {
    let rows = s
        .conn()?
        .query("SELECT hash FROM blobs ORDER BY hash", &[])
        .map_err(pg("listing blobs"))?;
    let mut hashes = rows
        .iter()
        .map(|r| digest(col(r, 0)?))
        .collect::<Result<Vec<_>, _>>()?;
    hashes.retain(|h| !s.blobs.files.contains(h));
    Ok(hashes)
}

pub(crate) fn open(s: &PgStorage, hash: &Digest) -> Result<Box<dyn Read + Send>, StorageError> {
    if !state(s, hash)?.is_some_and(|b| b.complete) {
        return Err(StorageError::Backend("no such blob".into()));
    }
    Ok(Box::new(
        s.blobs
            .files
            .read(hash)
            .map_err(files_err("opening a blob"))?,
    ))
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
