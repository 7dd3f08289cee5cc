//! Who may sign: the bureau root key, officer and device certificates, the signed revocation
//! list, officer keys wrapped by PIN, and the canonical encoding of everything that is signed.
//!
//! Pure: no I/O. Randomness (seeds, salts, nonces) and time are passed in by the caller.

pub mod bytes;
pub mod canonical;
pub mod cert;
pub mod keywrap;

pub use cert::{
    BureauKey, CertId, Certificate, FileRelease, Revocation, RevocationList, SignedCertificate,
    SignedFileRelease, SignedRevocationList, Subject, TrustAnchor,
};
pub use ed25519_dalek::{SigningKey, VerifyingKey};
pub use keywrap::{KdfParams, PinGuard, WrappedKey};

use qc_domain::Timestamp;
use thiserror::Error;

/// Why an identity operation failed.
#[derive(Debug, Error)]
pub enum IdentityError {
    /// Bytes that are not the canonical encoding of the expected object.
    #[error("malformed signed object: {0}")]
    Encoding(String),
    /// A signature that does not verify.
    #[error("signature does not verify")]
    BadSignature,
    /// Bytes that are not a valid public key.
    #[error("not a valid public key")]
    BadPublicKey,
    /// A small-order public key, which would let signatures verify for any message.
    #[error("weak public key refused")]
    WeakKey,
    /// Issued by someone other than the trusted bureau key.
    #[error("certificate not issued by the trusted bureau key")]
    WrongIssuer,
    /// A file release that is not of the file it came with.
    #[error("the release is of another file")]
    OtherFile,
    /// Outside its validity period.
    #[error("certificate not valid at {at:?} (valid {not_before:?} to {not_after:?})")]
    NotValidAt {
        /// The instant checked.
        at: Timestamp,
        /// Start of validity.
        not_before: Timestamp,
        /// End of validity.
        not_after: Timestamp,
    },
    /// Revoked.
    #[error("certificate revoked at {at:?}")]
    Revoked {
        /// When.
        at: Timestamp,
    },
    /// A certificate whose validity ends before it starts.
    #[error("certificate validity period is empty")]
    EmptyValidity,
    /// An enforcing role without an 执法证 number.
    #[error("an enforcing officer's certificate needs an enforcement certificate number")]
    MissingCertNo,
    /// A PIN too easy to guess (Chinese reason inside).
    #[error("weak PIN refused: {0}")]
    WeakPin(&'static str),
    /// Wrong PIN.
    #[error("wrong PIN, {remaining} tries left before lock-out")]
    WrongPin {
        /// Tries before the next lock-out.
        remaining: u32,
    },
    /// Too many wrong PINs; try again later.
    #[error("locked out until {} (China time) after too many wrong PINs", .until.display_china())]
    LockedOut {
        /// When the lock ends.
        until: Timestamp,
    },
    /// Too many wrong PINs; an administrator must re-issue the key.
    #[error("key permanently locked after too many wrong PINs")]
    PermanentlyLocked,
    /// Key derivation failed (bad parameters).
    #[error("key derivation failed: {0}")]
    Kdf(String),
}

impl IdentityError {
    /// The reason in Chinese, as the officer reads it.
    pub fn message_zh(&self) -> String {
        match self {
            Self::Encoding(_) => "签名数据格式错误".into(),
            Self::BadSignature => "签名验证失败".into(),
            Self::BadPublicKey | Self::WeakKey => "公钥无效或强度不足，已拒绝".into(),
            Self::WrongIssuer => "证书不是由本局根密钥签发".into(),
            Self::OtherFile => "发布签名与文件内容不符".into(),
            Self::NotValidAt { .. } => "证书在该时间不在有效期内".into(),
            Self::Revoked { at } => format!("证书已于{}被吊销", at.display_china()),
            Self::EmptyValidity => "证书有效期无效".into(),
            Self::MissingCertNo => "执法人员证书须载明执法证号".into(),
            Self::WeakPin(why) => (*why).into(),
            Self::WrongPin { remaining } => {
                format!("PIN 错误，还可尝试{remaining}次，之后将被锁定")
            }
            Self::LockedOut { until } => {
                format!("PIN 错误次数过多，已锁定至{}", until.display_china())
            }
            Self::PermanentlyLocked => "PIN 错误次数过多，密钥已锁定，请联系管理员重新签发".into(),
            Self::Kdf(_) => "密钥派生失败".into(),
        }
    }
}

#[cfg(test)]
mod tests;
