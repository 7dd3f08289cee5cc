//! 执法文书 — the kinds of printed documents the procedure issues (the national 城管执法文书
//! models), with their titles and where they go in the case file.

use serde::{Deserialize, Serialize};

use crate::FileSection;

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
    /// Where the document goes in the case file.
    pub fn section(self) -> FileSection {
        use DocumentKind::*;
        match self {
            FilingApproval | Transfer | CorrectionOrder => FileSection::Filing,
            Inspection | Transcript | PreservationNotice | Sampling | PreservationDecision
            | InvestigationReport => FileSection::Investigation,
            PriorNotice | HearingNotice | Statement | LegalReview | CollectiveDiscussion => {
                FileSection::Review
            }
            Decision | SummaryDecision => FileSection::Decision,
            DeliveryReceipt => FileSection::Execution,
            ClosingReport | Cover | Contents => FileSection::Closing,
        }
    }

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
