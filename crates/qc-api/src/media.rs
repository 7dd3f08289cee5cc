//! Audio and video played back from the encrypted store: a player asks for byte ranges (to
//! start, and at every seek), and only the chunks that hold each range are read and decrypted,
//! never the whole file, to disk or to memory.

use std::io::Read;
use std::ops::Range;

pub use qc_blobs::{RangeNotSatisfiable, asked_range};

use crate::records::unhex;
use crate::{ApiError, Quancheng};

/// Most bytes one part carries: a player's answer is read a part at a time.
pub const MOST_AT_ONCE: u64 = 1 << 20;

/// An evidence file of a case, found for a player (once per request): its type and size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaFile {
    hash: [u8; 32],
    /// Its type, as sniffed when it was captured.
    pub mime: String,
    /// Its size in bytes.
    pub size: u64,
}

impl Quancheng {
    /// Evidence file `sha256` (hex) of `case`, if the case names it and this tablet holds its
    /// bytes.
    pub fn media_file(&self, case: &str, sha256: &str) -> Result<Option<MediaFile>, ApiError> {
        let id = self.resolve_case(case)?;
        let item = self
            .store
            .case_doc(&id, self.device_id.as_bytes())?
            .evidence()?
            .into_iter()
            .find(|e| e.facts.sha256 == sha256);
        let Some(item) = item else {
            return Ok(None);
        };
        let hash = unhex(sha256)?;
        Ok(self.blobs.contains(&hash).then_some(MediaFile {
            hash,
            mime: item.facts.mime,
            size: item.facts.size,
        }))
    }

    /// The bytes of `file` from the start of `range` to its end, at most [`MOST_AT_ONCE`] of
    /// them; the range must lie within the file.
    pub fn media_part(&self, file: &MediaFile, range: Range<u64>) -> Result<Vec<u8>, ApiError> {
        let end = range.end.min(range.start.saturating_add(MOST_AT_ONCE));
        let mut bytes = Vec::with_capacity(end.saturating_sub(range.start) as usize);
        self.blobs
            .read_range(&file.hash, file.size, range.start..end)
            .map_err(self.blob_io())?
            .read_to_end(&mut bytes)
            .map_err(self.blob_io())?;
        Ok(bytes)
    }
}
