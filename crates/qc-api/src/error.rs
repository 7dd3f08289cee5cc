//! Errors of the facade: a stable code for the UI plus a message in Chinese; `Display` is the
//! English log line.

use std::path::PathBuf;

use qc_casedoc::DocError;
use qc_domain::RuleViolation;
use qc_identity::IdentityError;
use qc_store::StoreError;
use serde::Serialize;
use thiserror::Error;

/// Why an operation failed.
#[derive(Debug, Error)]
pub enum ApiError {
    /// Storage failed (boxed: SQLite errors are large, and this is the common error type).
    #[error(transparent)]
    Store(Box<StoreError>),
    /// Identity or PIN check failed.
    #[error(transparent)]
    Identity(#[from] IdentityError),
    /// The procedure refuses the act.
    #[error("procedure rule: {0}")]
    Rule(#[from] RuleViolation),
    /// A case document could not be read.
    #[error(transparent)]
    Doc(Box<DocError>),
    /// The data directory has not been initialised.
    #[error("{0} is not an initialised data directory (run `quancheng init`)")]
    NotInitialised(PathBuf),
    /// `init` on a directory that already holds data.
    #[error("{0} already holds a Quancheng database")]
    AlreadyInitialised(PathBuf),
    /// The database key could not be read or written.
    #[error("database key {location}: {reason}")]
    Key {
        /// Key file or keystore.
        location: String,
        /// What went wrong.
        reason: String,
    },
    /// A tablet may keep its database key only in the platform keystore, and cannot here.
    #[error("database key: {0}")]
    PlatformKeystoreRequired(&'static str),
    /// File system error.
    #[error("{path}: {source}")]
    Io {
        /// Where.
        path: PathBuf,
        /// What.
        source: std::io::Error,
    },
    /// No case matches.
    #[error("no case matches `{0}`")]
    UnknownCase(String),
    /// Several cases match an id prefix.
    #[error("`{0}` matches more than one case; give more of the id")]
    AmbiguousCase(String),
    /// Input that cannot be used.
    #[error("invalid input: {0}")]
    Invalid(String),
    /// The base station refused, could not be reached, or gave an answer that does not hold up.
    #[error("base station [{code}]: {detail}")]
    Station {
        /// Stable code (the server's, or `station_unreachable`, `log_inconsistent`).
        code: String,
        /// Chinese message.
        message: String,
        /// English detail.
        detail: String,
    },
    /// The station refused entries of this device for what each one is (a signer revoked, a
    /// case moved away); nothing of the upload was taken. An officer may set them aside (搁置).
    #[error("base station refused {} entries: {detail}", entries.len())]
    EntriesRefused {
        /// Chinese message.
        message: String,
        /// English detail.
        detail: String,
        /// Each entry refused, with why.
        entries: Vec<qc_sync::wire::RefusedEntry>,
        /// The station's revocation list in force, when it sent one.
        revocations: Option<Box<qc_identity::SignedRevocationList>>,
    },
    /// An evidence file that cannot be taken.
    #[error("evidence: {0}")]
    Evidence(#[from] qc_evidence::EvidenceError),
    /// A document (执法文书) could not be made.
    #[error("document: {0}")]
    Document(#[from] qc_document::DocumentError),
    /// A document is not made from that source.
    #[error("document: {0}")]
    Project(#[from] qc_document::project::ProjectError),
    /// The bureau's wording file was refused.
    #[error("wording: {0}")]
    Wording(#[from] qc_document::wording::WordingError),
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        ApiError::Store(Box::new(e))
    }
}

impl From<DocError> for ApiError {
    fn from(e: DocError) -> Self {
        ApiError::Doc(Box::new(e))
    }
}

impl ApiError {
    /// Stable code for the UI and scripts.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Store(e) => match **e {
                StoreError::WrongKeyOrDamaged(_) => "store_wrong_key_or_damaged",
                StoreError::UnknownCase(_) => "unknown_case",
                StoreError::UnknownOfficer(_) => "unknown_officer",
                _ => "store",
            },
            Self::UnknownCase(_) => "unknown_case",
            Self::Identity(IdentityError::WrongPin { .. }) => "wrong_pin",
            Self::Identity(IdentityError::LockedOut { .. }) => "locked_out",
            Self::Identity(IdentityError::PermanentlyLocked) => "permanently_locked",
            Self::Identity(IdentityError::WeakPin(_)) => "weak_pin",
            Self::Identity(IdentityError::Revoked { .. }) => "revoked",
            Self::Identity(_) => "identity",
            Self::Rule(r) => r.code(),
            Self::Doc(_) => "case_document",
            Self::NotInitialised(_) => "not_initialised",
            Self::AlreadyInitialised(_) => "already_initialised",
            Self::Key { .. } => "key",
            Self::PlatformKeystoreRequired(_) => "platform_keystore_required",
            Self::Io { .. } => "io",
            Self::AmbiguousCase(_) => "ambiguous_case",
            Self::Invalid(_) => "invalid",
            Self::EntriesRefused { .. } => "entries_refused",
            Self::Station { code, .. } => match code.as_str() {
                "log_inconsistent" => "log_inconsistent",
                "station_unreachable" => "station_unreachable",
                "not_found" => "not_found",
                "forbidden" => "forbidden",
                "blob_mismatch" => "blob_mismatch",
                "revoked_device" => "revoked_device",
                "app_outdated" => "app_outdated",
                _ => "station",
            },
            Self::Evidence(qc_evidence::EvidenceError::Empty) => "evidence_empty",
            Self::Evidence(qc_evidence::EvidenceError::Unsupported(_)) => "evidence_unsupported",
            Self::Evidence(qc_evidence::EvidenceError::Io(_)) => "evidence_io",
            Self::Document(
                qc_document::DocumentError::FontMissing { .. }
                | qc_document::DocumentError::FontMismatch { .. },
            ) => "document_fonts",
            Self::Document(_) => "document",
            Self::Project(_) => "document_not_issuable",
            Self::Wording(_) => "wording",
        }
    }

    /// The reason in Chinese.
    pub fn message_zh(&self) -> String {
        match self {
            Self::Store(e) => e.message_zh(),
            Self::Identity(e) => e.message_zh(),
            Self::Rule(r) => r.message_zh(),
            Self::Doc(_) => "案卷文档格式错误".into(),
            Self::NotInitialised(p) => {
                format!(
                    "数据目录 {} 尚未初始化，请先运行 quancheng init",
                    p.display()
                )
            }
            Self::AlreadyInitialised(p) => format!("数据目录 {} 已初始化，不会覆盖", p.display()),
            Self::Key { location, .. } => format!("无法读取数据库密钥 {location}"),
            Self::PlatformKeystoreRequired(_) => {
                "平板须将数据库密钥保存在系统密钥库中，本版本无法打开数据".into()
            }
            Self::Io { path, .. } => format!("文件读写失败：{}", path.display()),
            Self::UnknownCase(id) => format!("未找到案件：{id}"),
            Self::AmbiguousCase(id) => format!("“{id}”对应多个案件，请输入更完整的编号"),
            Self::Invalid(why) => format!("输入无效：{why}"),
            Self::Evidence(e) => e.message_zh(),
            Self::Station { message, .. } | Self::EntriesRefused { message, .. } => message.clone(),
            Self::Document(
                qc_document::DocumentError::FontMissing { .. }
                | qc_document::DocumentError::FontMismatch { .. },
            ) => "缺少排版文书所需的字体（或字体文件与规定的不一致），无法生成文书".into(),
            Self::Document(_) => "文书排版失败".into(),
            Self::Project(_) => "该文书不能由所选的记录或环节生成".into(),
            Self::Wording(e) => e.zh(),
        }
    }

    /// The error as the UI receives it.
    pub fn to_wire(&self) -> WireError {
        WireError {
            code: self.code().into(),
            message: self.message_zh(),
            detail: self.to_string(),
        }
    }
}

/// An error as sent to the UI: stable code, Chinese message, English detail for logs.
#[derive(Debug, Clone, Serialize)]
pub struct WireError {
    /// Stable code.
    pub code: String,
    /// Chinese message.
    pub message: String,
    /// English detail.
    pub detail: String,
}
