//! The fonts every document is set in, loaded only from files whose SHA-256 is pinned here, so
//! the same data gives the same PDF bytes on every device; never whatever the system has.
//!
//! Noto Serif CJK and Noto Sans CJK (Adobe and Google's Source Han, SIL Open Font License 1.1;
//! see `fonts/LICENSE.md`), as Debian 12 ships them in `fonts-noto-cjk` 1:20220127+repack1-1.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use typst::foundations::Bytes;
use typst::text::{Font, FontBook};

use crate::DocumentError;

/// A font file the documents use: its name and the SHA-256 it must have.
pub struct PinnedFont {
    /// File name inside the font directory.
    pub file: &'static str,
    /// SHA-256 of the file, lower-case hex.
    pub sha256: &'static str,
}

/// The files, in the order their faces are numbered.
pub const PINNED: [PinnedFont; 3] = [
    PinnedFont {
        file: "NotoSerifCJK-Regular.ttc",
        sha256: "a04178ec485dffdff7cc0c0c20e1fce9202d7e2160d805e8e44a4c8841c58481",
    },
    PinnedFont {
        file: "NotoSerifCJK-Bold.ttc",
        sha256: "a5d4b046c127da3d7c72f98b46c41489cd29bf52abfdf18aba920903e920d4ac",
    },
    PinnedFont {
        file: "NotoSansCJK-Bold.ttc",
        sha256: "faa5f3656a78b2e2d450d27fe8382c778bc2b6bb5ea29c986664a6a435056ceb",
    },
];

/// Where Debian's `fonts-noto-cjk` puts them (what `scripts/setup` installs).
pub const SYSTEM_DIR: &str = "/usr/share/fonts/opentype/noto";

/// The font directory to use: `QC_FONT_DIR` when set, else a `fonts` folder beside the
/// running program (how the app carries them on a tablet), else Debian's.
pub fn default_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("QC_FONT_DIR") {
        return PathBuf::from(dir);
    }
    if let Some(beside) = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|p| p.join("fonts")))
        .filter(|d| d.join(PINNED[0].file).is_file())
    {
        return beside;
    }
    PathBuf::from(SYSTEM_DIR)
}

/// The loaded faces and their index.
pub struct Fonts {
    pub(crate) book: FontBook,
    pub(crate) faces: Vec<Font>,
}

impl Fonts {
    /// Loads the pinned files from `dir`, refusing any whose bytes are not the pinned ones.
    pub fn load(dir: &Path) -> Result<Fonts, DocumentError> {
        let mut faces = Vec::new();
        for pin in &PINNED {
            let path = dir.join(pin.file);
            let bytes = std::fs::read(&path).map_err(|e| DocumentError::FontMissing {
                path: path.clone(),
                reason: e.to_string(),
            })?;
            let found = hex::encode(Sha256::digest(&bytes));
            if found != pin.sha256 {
                return Err(DocumentError::FontMismatch {
                    path,
                    expected: pin.sha256,
                    found,
                });
            }
            faces.extend(Font::iter(Bytes::new(bytes)));
        }
        let book = FontBook::from_fonts(&faces);
        Ok(Fonts { book, faces })
    }
}
