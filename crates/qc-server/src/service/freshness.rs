//! What the station logged about a case, for anyone who asks: `quancheng verify --station`
//! learns from it whether a bundle is still the latest state of its case. Unauthenticated, as an
//! outside verifier holds no device key; the answer is signed by the log key or proven under
//! it, and names only entry hashes and log positions, no content.

use qc_domain::Timestamp;
use qc_sync::wire::CaseLogResponse;

use super::{Service, ServiceError};
use crate::storage::Storage;

/// Longest case id asked about: ids are short, and this bounds what an anonymous request makes
/// the station look up.
const MAX_CASE_ID: usize = 128;

impl<S: Storage> Service<S> {
    /// The current checkpoint and a receipt under it for every accepted entry about `case` (none
    /// for a case the station never heard of).
    pub fn case_log(&self, case: &str, now: Timestamp) -> Result<CaseLogResponse, ServiceError> {
        if case.is_empty() || case.len() > MAX_CASE_ID {
            return Err(ServiceError::BadRequest(format!(
                "a case id is 1 to {MAX_CASE_ID} bytes"
            )));
        }
        let entries = self.storage.case_entries(case)?;
        // Read after the entries, so every one of them is in the tree.
        let tree = self.storage.log_head()?.tree;
        let checkpoint = self.sign_checkpoint(&tree, now);
        Ok(CaseLogResponse {
            entries: self.receipts_for(&tree, entries.iter(), &checkpoint)?,
            checkpoint,
        })
    }
}
