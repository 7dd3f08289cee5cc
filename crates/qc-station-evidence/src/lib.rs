//! The station's evidence bytes: content-addressed by the SHA-256 of the original bytes, sealed
//! at rest in [`qc_blobs`]' format (AES-256-GCM STREAM, 64 KiB chunks), received in
//! resumable pieces and read back streamed. Which case a blob belongs to stays in the database.
//!
//! Two stores: [`LocalEvidence`], the files of [`qc_blobs::BlobStore`] (a squad's station), and
//! [`ObjectEvidence`], objects through the `object_store` crate (any S3-compatible store, or a
//! local directory), whose uploads several station processes can continue from one another.

mod local_parts;
mod object;
pub mod suite;

use std::io;
use std::ops::Range;
use std::path::PathBuf;

use qc_blobs::BlobStore;

pub use object::{ObjectEvidence, S3Config};

/// Evidence bytes, content-addressed (by SHA-256 of the original bytes) and sealed at rest.
///
/// Every method blocks: call it from a blocking thread (`tokio::task::spawn_blocking` in the
/// station's server), never from an async task.
pub trait Evidence: Send + Sync + 'static {
    /// Whether a complete, verified blob is kept.
    fn contains(&self, hash: &[u8; 32]) -> Result<bool, EvidenceError>;
    /// Bytes of an unfinished upload of a blob of `size` bytes held so far (whole chunks; 0 if
    /// none).
    fn received(&self, hash: &[u8; 32], size: u64) -> Result<u64, EvidenceError>;
    /// Starts an upload (replacing an unfinished one).
    fn begin(&self, hash: &[u8; 32], size: u64) -> Result<(), EvidenceError>;
    /// Writes the piece at `offset` (== received so far; a multiple of 64 KiB; a whole number of
    /// 64 KiB chunks unless it ends the blob). Durable on return. A piece that completes the
    /// blob may be kept at once if the blob matches its hash: visible then, before `finish`.
    fn receive(
        &self,
        hash: &[u8; 32],
        size: u64,
        offset: u64,
        bytes: &[u8],
    ) -> Result<(), EvidenceError>;
    /// Ends a whole upload: `known_good` = the caller hashed everything as it arrived and it
    /// matched; otherwise the bytes are read back and hashed. Kept (visible under its hash) only
    /// if it matches: true (also for a blob kept as its last piece arrived); else discarded:
    /// false.
    fn finish(&self, hash: &[u8; 32], size: u64, known_good: bool) -> Result<bool, EvidenceError>;
    /// Drops an unfinished upload.
    fn discard(&self, hash: &[u8; 32]) -> Result<(), EvidenceError>;
    /// Deletes a complete blob (an original whose deletion the head approved); gone already
    /// is fine.
    fn remove(&self, hash: &[u8; 32]) -> Result<(), EvidenceError>;
    /// Keeps a blob that arrived whole, whose bytes the caller checked against `hash`:
    /// durable and visible on return (an unfinished upload of it is left to `begin` or
    /// `discard`).
    fn put_whole(&self, hash: &[u8; 32], bytes: &[u8]) -> Result<(), EvidenceError> {
        let size = bytes.len() as u64;
        self.begin(hash, size)?;
        self.receive(hash, size, 0, bytes)?;
        if self.finish(hash, size, true)? {
            Ok(())
        } else {
            Err(EvidenceError::upload(hash, "not kept"))
        }
    }
    /// Reads a complete blob, streamed (constant memory), authenticated chunk by chunk and
    /// hashed: the reader fails if anything was changed.
    fn open(&self, hash: &[u8; 32]) -> Result<Box<dyn io::Read + Send>, EvidenceError>;
    /// Reads the original bytes `range` of a complete blob of `size` bytes (a player seeking),
    /// streamed: only the sealed chunks that hold the range are fetched, each authenticated
    /// (the content's SHA-256 is checked only by a whole read). `range` must be non-empty and
    /// within the blob.
    fn open_range(
        &self,
        hash: &[u8; 32],
        size: u64,
        range: Range<u64>,
    ) -> Result<Box<dyn io::Read + Send>, EvidenceError>;
}

/// What went wrong with evidence bytes.
#[derive(Debug, thiserror::Error)]
pub enum EvidenceError {
    /// A file or the sealing failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// The object store failed (or could not be reached).
    #[error("{what}: {source}")]
    Store {
        /// What was being done.
        what: String,
        /// The cause.
        #[source]
        source: object_store::Error,
    },
    /// An upload was used out of turn: none started, a wrong offset or size, not all received.
    #[error("upload of blob {blob}: {why}")]
    Upload {
        /// The blob's hash (hex).
        blob: String,
        /// What was wrong.
        why: String,
    },
    /// No complete blob of that hash is kept.
    #[error("no blob {0}")]
    NotFound(String),
}

impl EvidenceError {
    fn upload(hash: &[u8; 32], why: impl Into<String>) -> EvidenceError {
        EvidenceError::Upload {
            blob: hex::encode(hash),
            why: why.into(),
        }
    }
}

fn io_err(what: impl Into<String>) -> impl FnOnce(io::Error) -> EvidenceError {
    let what = what.into();
    move |source| EvidenceError::Io { what, source }
}

/// Evidence in a local directory of sealed files ([`qc_blobs::BlobStore`]): the embedded
/// default, what a squad's station has always kept.
pub struct LocalEvidence {
    dir: PathBuf,
    blobs: BlobStore,
}

impl LocalEvidence {
    /// The store in `dir` (created if missing) under the 32-byte sealing key.
    pub fn open(dir: impl Into<PathBuf>, key: [u8; 32]) -> Result<LocalEvidence, EvidenceError> {
        let dir = dir.into();
        let blobs =
            BlobStore::open(&dir, key).map_err(io_err(format!("open {}", dir.display())))?;
        Ok(LocalEvidence { dir, blobs })
    }

    /// The directory the files are in.
    pub fn dir(&self) -> &std::path::Path {
        &self.dir
    }

    /// Refuses a blob not kept whole.
    fn held(&self, hash: &[u8; 32]) -> Result<(), EvidenceError> {
        if self.blobs.contains(hash) {
            Ok(())
        } else {
            Err(EvidenceError::NotFound(hex::encode(hash)))
        }
    }

    fn check_turn(&self, hash: &[u8; 32], size: u64, offset: u64) -> Result<(), EvidenceError> {
        let held = self.received(hash, size)?;
        if offset != held {
            return Err(EvidenceError::upload(
                hash,
                format!("offset {offset} does not continue the upload at {held}"),
            ));
        }
        Ok(())
    }
}

impl Evidence for LocalEvidence {
    fn contains(&self, hash: &[u8; 32]) -> Result<bool, EvidenceError> {
        Ok(self.blobs.contains(hash))
    }

    fn received(&self, hash: &[u8; 32], size: u64) -> Result<u64, EvidenceError> {
        self.blobs
            .received(hash, size)
            .map_err(io_err(format!("read upload of {}", hex::encode(hash))))
    }

    fn begin(&self, hash: &[u8; 32], _size: u64) -> Result<(), EvidenceError> {
        self.blobs
            .begin_receiving(hash)
            .map_err(io_err(format!("begin upload of {}", hex::encode(hash))))
    }

    fn receive(
        &self,
        hash: &[u8; 32],
        size: u64,
        offset: u64,
        bytes: &[u8],
    ) -> Result<(), EvidenceError> {
        self.check_turn(hash, size, offset)?;
        self.blobs
            .receive(hash, size, offset, bytes)
            .map_err(io_err(format!(
                "write {} bytes at {offset} of {}",
                bytes.len(),
                hex::encode(hash)
            )))
    }

    fn finish(&self, hash: &[u8; 32], size: u64, known_good: bool) -> Result<bool, EvidenceError> {
        let held = self.received(hash, size)?;
        if held != size {
            return Err(EvidenceError::upload(
                hash,
                format!("{held} of {size} bytes received"),
            ));
        }
        self.blobs
            .finish_receiving(hash, known_good)
            .map_err(io_err(format!("finish upload of {}", hex::encode(hash))))
    }

    fn discard(&self, hash: &[u8; 32]) -> Result<(), EvidenceError> {
        self.blobs
            .discard_receiving(hash)
            .map_err(io_err(format!("discard upload of {}", hex::encode(hash))))
    }

    fn remove(&self, hash: &[u8; 32]) -> Result<(), EvidenceError> {
        self.blobs
            .remove(hash)
            .map_err(io_err(format!("remove blob {}", hex::encode(hash))))
    }

    fn open(&self, hash: &[u8; 32]) -> Result<Box<dyn io::Read + Send>, EvidenceError> {
        self.held(hash)?;
        let reader = self
            .blobs
            .read(hash)
            .map_err(io_err(format!("open blob {}", hex::encode(hash))))?;
        Ok(Box::new(reader))
    }

    fn open_range(
        &self,
        hash: &[u8; 32],
        size: u64,
        range: Range<u64>,
    ) -> Result<Box<dyn io::Read + Send>, EvidenceError> {
        self.held(hash)?;
        let reader = self
            .blobs
            .read_range(hash, size, range)
            .map_err(io_err(format!(
                "open a range of blob {}",
                hex::encode(hash)
            )))?;
        Ok(Box::new(reader))
    }
}
