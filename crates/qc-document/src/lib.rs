//! 执法文书 — the printed documents a party receives and signs, and the case file: each
//! rendered from data made only from the signed record ([`Document`]), typeset by typst into
//! PDF with the pinned fonts, deterministic (the same data gives the same bytes on every
//! device) and carrying on every page a QR code with the case id and the data's digest.

mod binding;
pub mod fonts;
mod model;
pub mod project;
pub mod qr;
mod render;
pub mod sample;
pub mod wording;

use std::path::PathBuf;

use thiserror::Error;

pub use binding::{Part, contents_lines};
pub use model::{Block, Document, DocumentKind, FORMAT, Field, QaItem, Signature, VERSION};
pub use render::{Images, LAYOUT, Rendered, Renderer};

/// Why a document could not be made.
#[derive(Debug, Error)]
pub enum DocumentError {
    /// A pinned font file could not be read.
    #[error("font {path}: {reason} (run scripts/setup, or set QC_FONT_DIR)")]
    FontMissing {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// A font file is not the pinned one: documents would differ from other devices'.
    #[error("font {path} has SHA-256 {found}, expected {expected}")]
    FontMismatch {
        /// The file.
        path: PathBuf,
        /// The pinned digest.
        expected: &'static str,
        /// What the file hashes to.
        found: String,
    },
    /// The document shows an image that was not given.
    #[error("image {0} is not available")]
    ImageMissing(String),
    /// An image's bytes do not hash to its name.
    #[error("image {0} does not match its digest")]
    ImageMismatch(String),
    /// typst refused the layout (a bug in the layout or data it cannot set).
    #[error("layout: {0}")]
    Layout(String),
}

#[cfg(test)]
mod tests;
