//! Audio and video played back from the encrypted store: a player asks for byte ranges (to
//! start, and at every seek), and only the chunks that hold each range are read and decrypted,
//! never the whole file, to disk or to memory.

use std::io::Read;

use crate::records::unhex;
use crate::{ApiError, Quancheng};

/// Most bytes one answer carries: a player asks again from where it stopped.
pub const MOST_AT_ONCE: u64 = 1 << 20;

/// Part of an evidence file, as a player asked for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaPart {
    /// Its type, as sniffed when it was captured.
    pub mime: String,
    /// The whole file's size.
    pub total: u64,
    /// Where this part begins.
    pub start: u64,
    /// Its bytes (at most [`MOST_AT_ONCE`]).
    pub bytes: Vec<u8>,
}

/// Why a part cannot be given.
#[derive(Debug, PartialEq, Eq)]
pub enum MediaRefusal {
    /// No such evidence file of that case here.
    NotFound,
    /// A range that begins past the end (the file's size, for the answer).
    Unsatisfiable(u64),
}

impl Quancheng {
    /// The bytes of evidence file `sha256` (hex) of `case` from `from` on (to `to`, inclusive,
    /// when the player says), at most [`MOST_AT_ONCE`] of them.
    pub fn media_part(
        &self,
        case: &str,
        sha256: &str,
        (from, to): (u64, Option<u64>),
    ) -> Result<Result<MediaPart, MediaRefusal>, ApiError> {
        let id = self.resolve_case(case)?;
        let item = self
            .store
            .case_doc(&id, self.device_id.as_bytes())?
            .evidence()?
            .into_iter()
            .find(|e| e.facts.sha256 == sha256);
        let Some(item) = item else {
            return Ok(Err(MediaRefusal::NotFound));
        };
        let hash = unhex(sha256)?;
        if !self.blobs.contains(&hash) {
            return Ok(Err(MediaRefusal::NotFound));
        }
        let total = item.facts.size;
        if from >= total {
            return Ok(Err(MediaRefusal::Unsatisfiable(total)));
        }
        let end = to
            .map_or(total, |t| t.saturating_add(1).min(total))
            .min(from + MOST_AT_ONCE)
            .max(from + 1);
        let mut bytes = Vec::with_capacity((end - from) as usize);
        self.blobs
            .read_range(&hash, total, from..end)
            .map_err(self.blob_io())?
            .read_to_end(&mut bytes)
            .map_err(self.blob_io())?;
        Ok(Ok(MediaPart {
            mime: item.facts.mime,
            total,
            start: from,
            bytes,
        }))
    }
}
