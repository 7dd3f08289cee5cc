//! What a document says: the data it is rendered from, every word and image reference on the
//! paper. The layout (`layout.typ`) only places it, so the digest of this data is the digest
//! of what the paper says.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The `format` of every document's data.
pub const FORMAT: &str = "quancheng-document";
/// The version of the data layout.
pub const VERSION: u32 = 1;

/// Which document, with its Chinese title (the national 城管执法文书 models).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    /// 现场检查（勘验）笔录.
    Inspection,
    /// 询问笔录.
    Transcript,
    /// 先行登记保存证据通知书.
    PreservationNotice,
    /// 先行登记保存证据处理决定书.
    PreservationDecision,
    /// 抽样取证凭证.
    Sampling,
    /// 责令改正通知书.
    CorrectionOrder,
    /// 立案审批表.
    FilingApproval,
    /// 调查终结报告.
    InvestigationReport,
    /// 法制审核意见书.
    LegalReview,
    /// 集体讨论记录.
    CollectiveDiscussion,
    /// 行政处罚事先告知书.
    PriorNotice,
    /// 听证告知书.
    HearingNotice,
    /// 陈述申辩笔录.
    Statement,
    /// 行政处罚决定书.
    Decision,
    /// 当场行政处罚决定书（简易程序）.
    SummaryDecision,
    /// 送达回证.
    DeliveryReceipt,
    /// 案件移送书.
    Transfer,
    /// 结案报告.
    ClosingReport,
    /// 卷宗封面.
    Cover,
    /// 卷内目录.
    Contents,
}

impl DocumentKind {
    /// Every kind, in the order of a case file.
    pub const ALL: [DocumentKind; 20] = [
        DocumentKind::FilingApproval,
        DocumentKind::Inspection,
        DocumentKind::Transcript,
        DocumentKind::PreservationNotice,
        DocumentKind::Sampling,
        DocumentKind::PreservationDecision,
        DocumentKind::CorrectionOrder,
        DocumentKind::Transfer,
        DocumentKind::InvestigationReport,
        DocumentKind::PriorNotice,
        DocumentKind::HearingNotice,
        DocumentKind::Statement,
        DocumentKind::LegalReview,
        DocumentKind::CollectiveDiscussion,
        DocumentKind::Decision,
        DocumentKind::SummaryDecision,
        DocumentKind::DeliveryReceipt,
        DocumentKind::ClosingReport,
        DocumentKind::Cover,
        DocumentKind::Contents,
    ];

    /// The stable name (in the data, on the chain and on the command line).
    pub fn name(self) -> &'static str {
        match self {
            DocumentKind::Inspection => "inspection",
            DocumentKind::Transcript => "transcript",
            DocumentKind::PreservationNotice => "preservation_notice",
            DocumentKind::PreservationDecision => "preservation_decision",
            DocumentKind::Sampling => "sampling",
            DocumentKind::CorrectionOrder => "correction_order",
            DocumentKind::FilingApproval => "filing_approval",
            DocumentKind::InvestigationReport => "investigation_report",
            DocumentKind::LegalReview => "legal_review",
            DocumentKind::CollectiveDiscussion => "collective_discussion",
            DocumentKind::PriorNotice => "prior_notice",
            DocumentKind::HearingNotice => "hearing_notice",
            DocumentKind::Statement => "statement",
            DocumentKind::Decision => "decision",
            DocumentKind::SummaryDecision => "summary_decision",
            DocumentKind::DeliveryReceipt => "delivery_receipt",
            DocumentKind::Transfer => "transfer",
            DocumentKind::ClosingReport => "closing_report",
            DocumentKind::Cover => "cover",
            DocumentKind::Contents => "contents",
        }
    }

    /// The kind with this stable name.
    pub fn from_name(name: &str) -> Option<DocumentKind> {
        DocumentKind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// The document's title as printed.
    pub fn title(self) -> &'static str {
        match self {
            DocumentKind::Inspection => "现场检查（勘验）笔录",
            DocumentKind::Transcript => "询问笔录",
            DocumentKind::PreservationNotice => "先行登记保存证据通知书",
            DocumentKind::PreservationDecision => "先行登记保存证据处理决定书",
            DocumentKind::Sampling => "抽样取证凭证",
            DocumentKind::CorrectionOrder => "责令改正通知书",
            DocumentKind::FilingApproval => "立案审批表",
            DocumentKind::InvestigationReport => "调查终结报告",
            DocumentKind::LegalReview => "法制审核意见书",
            DocumentKind::CollectiveDiscussion => "集体讨论记录",
            DocumentKind::PriorNotice => "行政处罚事先告知书",
            DocumentKind::HearingNotice => "听证告知书",
            DocumentKind::Statement => "陈述申辩笔录",
            DocumentKind::Decision => "行政处罚决定书",
            DocumentKind::SummaryDecision => "当场行政处罚决定书",
            DocumentKind::DeliveryReceipt => "送达回证",
            DocumentKind::Transfer => "案件移送书",
            DocumentKind::ClosingReport => "结案报告",
            DocumentKind::Cover => "卷宗封面",
            DocumentKind::Contents => "卷内目录",
        }
    }

    /// The word in the 文号 that names the kind (`罚决字` in 〔2026〕罚决字第 12 号); empty
    /// for documents that carry no number (the case file's cover and contents).
    pub fn number_word(self) -> &'static str {
        match self {
            DocumentKind::Inspection => "检字",
            DocumentKind::Transcript => "询字",
            DocumentKind::PreservationNotice => "登保字",
            DocumentKind::PreservationDecision => "登保决字",
            DocumentKind::Sampling => "抽字",
            DocumentKind::CorrectionOrder => "责改字",
            DocumentKind::FilingApproval => "立字",
            DocumentKind::InvestigationReport => "调终字",
            DocumentKind::LegalReview => "法审字",
            DocumentKind::CollectiveDiscussion => "集讨字",
            DocumentKind::PriorNotice => "罚告字",
            DocumentKind::HearingNotice => "听告字",
            DocumentKind::Statement => "陈申字",
            DocumentKind::Decision => "罚决字",
            DocumentKind::SummaryDecision => "简罚字",
            DocumentKind::DeliveryReceipt => "送字",
            DocumentKind::Transfer => "移字",
            DocumentKind::ClosingReport => "结字",
            DocumentKind::Cover | DocumentKind::Contents => "",
        }
    }
}

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
                Block::Photo { image, .. } => out.push(image.as_str()),
                _ => {}
            }
        }
        out
    }
}
