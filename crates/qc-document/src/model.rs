//! What a document says: the data it is rendered from, every word and image reference on the
//! paper. The layout (`layout.typ`) only places it, so the digest of this data is the digest
//! of what the paper says.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use qc_domain::DocumentKind;

/// The `format` of every document's data.
pub const FORMAT: &str = "quancheng-document";
/// The version of the data layout.
pub const VERSION: u32 = 1;

/// A document's data: what the paper says, made only from the signed record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Document {
    /// Always [`FORMAT`].
    pub format: String,
    /// Always [`VERSION`].
    pub version: u32,
    /// Which document.
    pub kind: DocumentKind,
    /// The case id.
    pub case: String,
    /// The bureau that issues it (the seal's name).
    pub bureau: String,
    /// Title as printed.
    pub title: String,
    /// 文号 (empty for the cover and the contents).
    pub number: String,
    /// The date printed at the seal, as written (`2026年11月30日`).
    pub date: String,
    /// What it is made from: digests (hex) of sealed records, ids of workflow events.
    pub sources: Vec<String>,
    /// The body, in order.
    pub blocks: Vec<Block>,
}

/// One part of a document's body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Block {
    /// A form: label–value rows in a ruled table (the header of a 笔录, an 审批表).
    Fields {
        /// The rows; a long value wraps inside its cell.
        rows: Vec<Field>,
    },
    /// A heading inside the body (`违法事实`, `处罚依据`).
    Heading {
        /// Its text.
        text: String,
    },
    /// A paragraph of running text, indented by two characters.
    Paragraph {
        /// Its text.
        text: String,
    },
    /// Questions and answers of a transcript (问：… 答：…).
    Qa {
        /// In order.
        items: Vec<QaItem>,
    },
    /// A ruled table that flows over pages with its header repeated.
    Table {
        /// Column titles.
        header: Vec<String>,
        /// Relative column widths (same length as `header`).
        widths: Vec<u32>,
        /// The rows.
        rows: Vec<Vec<String>>,
    },
    /// Signatures in a row: who signs and how (image, typed name, or a note).
    Signatures {
        /// The signers.
        items: Vec<Signature>,
    },
    /// The issuing bureau and date at the seal's position (right-aligned).
    Seal {
        /// The bureau (printed under the seal).
        bureau: String,
        /// The date as written.
        date: String,
    },
    /// Start a new page (a transcript's next page).
    PageBreak,
    /// From here on, every sheet carries this signature at its foot (a transcript page's
    /// interviewee signature or refusal note, on each sheet the page runs over).
    SheetSignature {
        /// The signature.
        signature: Signature,
    },
    /// Photographs (evidence in the case file), each with its caption, scaled to the page.
    Photo {
        /// SHA-256 (hex) of the image bytes.
        image: String,
        /// Caption (what, when, who took it).
        caption: String,
    },
}

/// A label and its value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Field {
    /// The label (`当事人`).
    pub label: String,
    /// The value.
    pub value: String,
}

/// One question and its answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QaItem {
    /// 问.
    pub q: String,
    /// 答.
    pub a: String,
}

/// A signature place.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Signature {
    /// Who signs (`被询问人签名`, `执法人员`).
    pub label: String,
    /// The name typed under it (officers: with the 执法证 number).
    pub name: String,
    /// SHA-256 (hex) of the signature image (a PNG drawn on the pad), if there is one.
    pub image: Option<String>,
    /// A note instead of or beside it (`当事人拒绝签名，由见证人…`).
    pub note: Option<String>,
}

impl Document {
    /// A document of `kind` for `case`, titled as the model is, with no body yet.
    pub fn new(kind: DocumentKind, case: &str, bureau: &str, number: &str, date: &str) -> Self {
        Document {
            format: FORMAT.into(),
            version: VERSION,
            kind,
            case: case.into(),
            bureau: bureau.into(),
            title: kind.title().into(),
            number: number.into(),
            date: date.into(),
            sources: Vec::new(),
            blocks: Vec::new(),
        }
    }

    /// The bytes the digest is taken over: the data as compact JSON (struct fields in
    /// declaration order, so the same data always gives the same bytes).
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a document always serialises")
    }

    /// The data digest: SHA-256 of [`Self::to_bytes`]. The QR code on every page carries it.
    pub fn digest(&self) -> [u8; 32] {
        Sha256::digest(self.to_bytes()).into()
    }

    /// Every image the document shows (signatures and photos), by SHA-256 hex, in order.
    pub fn images(&self) -> Vec<&str> {
        let mut out = Vec::new();
        for b in &self.blocks {
            match b {
                Block::Signatures { items } => {
                    out.extend(items.iter().filter_map(|s| s.image.as_deref()))
                }
                Block::SheetSignature { signature } => out.extend(signature.image.as_deref()),
                Block::Photo { image, .. } => out.push(image.as_str()),
                _ => {}
            }
        }
        out
    }
}
