//! Evidence files up (resumable, content-addressed) and down (for reviewers), for the cases a
//! device may see.

use std::io::Read;

use qc_chain::Digest;
use qc_sync::wire::{BLOB_ALIGN, BlobStatus};

use super::{Service, ServiceError};
use crate::storage::Storage;

/// The largest evidence file accepted (a long body-camera video).
pub const MAX_BLOB: u64 = 16 * 1024 * 1024 * 1024;

impl<S: Storage> Service<S> {
    /// Refuses unless the device may see `case` and an accepted entry of it names the blob
    /// (a sync sends entries and documents before blobs).
    fn check_blob(&self, device: &str, case: &str, hash: &Digest) -> Result<(), ServiceError> {
        let visible = match self.storage.case_doc(case)? {
            Some((meta, _)) => self.scope(device)?.sees(&meta),
            None => false,
        };
        let named = visible
            && self
                .storage
                .case_entries(case)?
                .iter()
                .filter_map(|e| e.entry().ok())
                .any(|e| e.blobs.contains(hash));
        if named {
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
        self.check_blob(device, case, hash)?;
        Ok(match self.storage.blob_state(hash)? {
            Some(b) => BlobStatus {
                received: b.received,
                complete: b.complete,
            },
            None => BlobStatus {
                received: 0,
                complete: false,
            },
        })
    }

    /// Takes the next chunk of a blob of `size` bytes at `offset` (which must be what the
    /// station has received: see [`Service::blob_status`]). When the last byte is in, the whole
    /// blob's SHA-256 must match `hash` or it is discarded.
    pub fn put_blob_chunk(
        &mut self,
        device: &str,
        case: &str,
        hash: &Digest,
        (size, offset): (u64, u64),
        bytes: &[u8],
    ) -> Result<BlobStatus, ServiceError> {
        let held = self.blob_status(device, case, hash)?;
        if held.complete {
            return Ok(held);
        }
        if size == 0 || size > MAX_BLOB {
            return Err(ServiceError::BadRequest(format!(
                "a blob of {size} bytes is not accepted"
            )));
        }
        let end = offset + bytes.len() as u64;
        if !offset.is_multiple_of(BLOB_ALIGN)
            || (end != size && !(bytes.len() as u64).is_multiple_of(BLOB_ALIGN))
        {
            return Err(ServiceError::BadRequest(format!(
                "chunks start and end at multiples of {BLOB_ALIGN} bytes (but the last)"
            )));
        }
        if offset != held.received || end > size {
            return Err(ServiceError::OutOfStep(format!(
                "chunk at {offset} (+{}) of {size}; the station holds {}",
                bytes.len(),
                held.received
            )));
        }
        self.storage.write_blob_chunk(hash, size, offset, bytes)?;
        let received = offset + bytes.len() as u64;
        if received < size {
            return Ok(BlobStatus {
                received,
                complete: false,
            });
        }
        if !self.storage.finish_blob(hash)? {
            tracing::warn!(
                device,
                case,
                blob = hex::encode(hash),
                "blob does not match its hash"
            );
            return Err(ServiceError::BlobMismatch(hex::encode(hash)));
        }
        tracing::info!(
            device,
            case,
            blob = hex::encode(hash),
            size,
            "blob received"
        );
        Ok(BlobStatus {
            received,
            complete: true,
        })
    }

    /// A complete blob of a case the device may see, for reading.
    pub fn open_blob(
        &self,
        device: &str,
        case: &str,
        hash: &Digest,
    ) -> Result<(u64, Box<dyn Read + Send>), ServiceError> {
        self.check_blob(device, case, hash)?;
        match self.storage.blob_state(hash)? {
            Some(b) if b.complete => Ok((b.size, self.storage.open_blob(hash)?)),
            _ => Err(ServiceError::NotFound(format!(
                "blob {} is not at the station yet",
                hex::encode(hash)
            ))),
        }
    }
}
