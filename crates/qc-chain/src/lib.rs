//! 执法全过程记录 — the whole-process record chain. Every act on a device becomes an entry of
//! that device's feed: numbered, linked by hash to the entry before, committing to the case
//! document's Automerge heads, and signed by the device and by each acting officer. The verifier
//! checks a set of feeds against the bureau's key and reports exactly what is wrong and where.
//!
//! Pure: no I/O.

pub mod deleted;
pub mod entry;
pub mod verify;

pub use deleted::{approved_deletions, deleted_files};
pub use entry::{
    Action, DESK_DEVICE_PREFIX, Digest, ENTRY_BODY_TAG, ENTRY_HEAD_TAG, ENTRY_TAG, Entry,
    EntryHead, FeedHead, SignedEntry, case_commitment,
};
pub use verify::{
    FeedReport, Problem, VerifiedEntry, verify_feed, verify_feed_after, verify_feed_after_with,
};

use thiserror::Error;

/// Why a chain operation failed.
#[derive(Debug, Error)]
pub enum ChainError {
    /// Bytes that are not a canonical entry.
    #[error("malformed entry: {0}")]
    Malformed(String),
}

#[cfg(test)]
mod tests;
