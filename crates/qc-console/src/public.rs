//! What the console shows to anyone, without signing in: the published penalty results
//! (行政处罚结果公开, seeds 004), each with what became of it (revoked, corrected).

use qc_station_storage::Storage;
use qc_station_storage::rows::Disclosed;
use serde::Serialize;

use crate::{Console, ConsoleError};

/// Most results on one page.
const PAGE_MAX: u32 = 100;

/// A page of published results, newest first.
#[derive(Debug, Clone, Serialize)]
pub struct PublishedList {
    /// Published results in all.
    pub total: u64,
    /// This page's.
    pub results: Vec<Published>,
}

/// A penalty result as published, and its history.
#[derive(Debug, Clone, Serialize)]
pub struct Published {
    /// The case's reference.
    pub case_id: String,
    /// The violation's name.
    pub violation_name: String,
    /// When published (ms).
    pub published_at: i64,
    /// The text published (personal data redacted when the act was accepted).
    pub text: String,
    /// The decision revoked since, if it was.
    pub revoked: Option<RevokedNote>,
    /// The publication corrected since, if it was.
    pub corrected: Option<CorrectionNote>,
}

/// A decision revoked by 复议 or a court.
#[derive(Debug, Clone, Serialize)]
pub struct RevokedNote {
    /// When (ms).
    pub at: i64,
    /// By whom.
    pub authority: String,
    /// Why.
    pub reason: String,
}

/// A publication corrected.
#[derive(Debug, Clone, Serialize)]
pub struct CorrectionNote {
    /// When (ms).
    pub at: i64,
    /// The explanation published.
    pub explanation: String,
    /// The corrected text.
    pub text: String,
}

impl Console {
    /// A page of the published results, for anyone (nothing here is more than was published).
    pub fn published<S: Storage + ?Sized>(
        &self,
        store: &S,
        (limit, offset): (u32, u32),
    ) -> Result<PublishedList, ConsoleError> {
        let page = store.disclosures(limit.clamp(1, PAGE_MAX), offset)?;
        Ok(PublishedList {
            total: page.total,
            results: page.rows.into_iter().map(published).collect(),
        })
    }
}

fn published(d: Disclosed) -> Published {
    let x = d.disclosure;
    Published {
        case_id: d.case_id,
        violation_name: d.violation_name,
        published_at: x.at,
        text: x.text,
        revoked: x.revoked.map(|(at, authority, reason)| RevokedNote {
            at,
            authority,
            reason,
        }),
        corrected: x.corrected.map(|(at, explanation, text)| CorrectionNote {
            at,
            explanation,
            text,
        }),
    }
}
