//! What the base station keeps, behind a trait that speaks domain types only, so another
//! backend (PostgreSQL, object storage) can be added as a crate of its own and pass the same
//! suite ([`suite`]).

use std::collections::BTreeMap;

use qc_chain::{Digest, FeedHead, SignedEntry};
use qc_domain::Timestamp;
use qc_identity::SignedCertificate;
use qc_log::SignedCheckpoint;
use thiserror::Error;

/// A storage failure.
#[derive(Debug, Error)]
pub enum StorageError {
    /// The backend failed.
    #[error("storage: {0}")]
    Backend(String),
    /// Stored data that does not decode.
    #[error("stored data is damaged: {0}")]
    Damaged(String),
}

/// The base station's durable state.
pub trait Storage: Send + 'static {
    /// Hashes of the accepted entries in log order (the Merkle log's leaves).
    fn log_leaves(&self) -> Result<Vec<Digest>, StorageError>;
    /// Each device's feed head.
    fn feed_heads(&self) -> Result<BTreeMap<String, FeedHead>, StorageError>;
    /// Appends verified entries, in order, all or none.
    fn append_entries(&mut self, entries: &[SignedEntry]) -> Result<(), StorageError>;
    /// The log index of an accepted entry.
    fn entry_index(&self, hash: &Digest) -> Result<Option<u64>, StorageError>;
    /// Every accepted entry about a case, in log order.
    fn case_entries(&self, case: &str) -> Result<Vec<SignedEntry>, StorageError>;
    /// Keeps the latest checkpoint.
    fn put_checkpoint(&mut self, c: &SignedCheckpoint) -> Result<(), StorageError>;
    /// The latest checkpoint.
    fn checkpoint(&self) -> Result<Option<SignedCheckpoint>, StorageError>;
    /// Stores a one-time enrolment code (by its hash) for a squad, valid until `expires`.
    fn add_enrolment_code(
        &mut self,
        code: &Digest,
        squad: &str,
        expires: Timestamp,
    ) -> Result<(), StorageError>;
    /// Uses up a code: the squad it was for, if it exists and has not expired; a code works
    /// once.
    fn take_enrolment_code(
        &mut self,
        code: &Digest,
        now: Timestamp,
    ) -> Result<Option<String>, StorageError>;
    /// Keeps an enrolled device's certificate.
    fn add_device(&mut self, id: &str, cert: &SignedCertificate) -> Result<(), StorageError>;
    /// An enrolled device's certificate.
    fn device(&self, id: &str) -> Result<Option<SignedCertificate>, StorageError>;
    /// A case document: the squad it belongs to and its saved bytes.
    fn case_doc(&self, case: &str) -> Result<Option<(String, Vec<u8>)>, StorageError>;
    /// Keeps a case document (replacing the previous save of it).
    fn put_case_doc(&mut self, case: &str, squad: &str, doc: &[u8]) -> Result<(), StorageError>;
    /// The cases of a squad.
    fn squad_cases(&self, squad: &str) -> Result<Vec<String>, StorageError>;
    /// The feeds of every device that touched a case, each from its first entry up to its last
    /// entry about the case, device by device in feed order (what a device needs to verify
    /// them).
    fn feeds_for_case(&self, case: &str) -> Result<Vec<SignedEntry>, StorageError>;
}

/// The backend-independent test suite: every [`Storage`] must pass it. `fresh` makes an empty
/// store each time it is called.
#[doc(hidden)]
// A test suite: failing loudly is its job.
#[allow(clippy::unwrap_used)]
pub mod suite {
    use qc_chain::{Action, Entry, SignedEntry};
    use qc_domain::Timestamp;

    use super::*;

    fn entry(device: &str, seq: u64, prev: Digest, case: &str) -> SignedEntry {
        let e = Entry {
            device: device.into(),
            seq,
            prev,
            time: Timestamp(seq as i64),
            actors: vec![],
            action: Action::Export,
            case: case.into(),
            heads: vec![],
            blobs: vec![],
            records: vec![],
        };
        SignedEntry::sign(&e, &ed25519_dalek::SigningKey::from_bytes(&[1; 32]), &[])
    }

    fn check(what: &str, ok: bool) {
        assert!(ok, "storage suite: {what}");
    }

    /// Runs every check on stores made by `fresh`.
    pub fn run<S: Storage>(fresh: impl Fn() -> S) {
        entries_keep_log_order_and_feed_heads(fresh());
        codes_work_once_and_expire(fresh());
        devices_are_kept(fresh());
        case_docs_by_squad_and_feeds_by_case(fresh());
    }

    fn case_docs_by_squad_and_feeds_by_case<S: Storage>(mut s: S) {
        check("no doc", s.case_doc("c1").unwrap().is_none());
        s.put_case_doc("c1", "一中队", b"v1").unwrap();
        s.put_case_doc("c2", "二中队", b"x").unwrap();
        s.put_case_doc("c1", "一中队", b"v2").unwrap();
        check(
            "latest save",
            s.case_doc("c1").unwrap() == Some(("一中队".into(), b"v2".to_vec())),
        );
        check(
            "squad cases",
            s.squad_cases("一中队").unwrap() == vec!["c1".to_owned()],
        );
        let a1 = entry("a", 1, [0; 32], "c9");
        let a2 = entry("a", 2, a1.hash(), "c1");
        let a3 = entry("a", 3, a2.hash(), "c9");
        let b1 = entry("b", 1, [0; 32], "c1");
        s.append_entries(&[a1.clone(), b1.clone(), a2.clone(), a3])
            .unwrap();
        check(
            "feeds up to the last entry about the case",
            s.feeds_for_case("c1").unwrap() == vec![a1, a2, b1],
        );
    }

    fn entries_keep_log_order_and_feed_heads<S: Storage>(mut s: S) {
        check("empty log", s.log_leaves().unwrap().is_empty());
        let a1 = entry("a", 1, [0; 32], "c1");
        let b1 = entry("b", 1, [0; 32], "c2");
        let a2 = entry("a", 2, a1.hash(), "c1");
        s.append_entries(&[a1.clone(), b1.clone()]).unwrap();
        s.append_entries(std::slice::from_ref(&a2)).unwrap();
        check(
            "leaves in log order",
            s.log_leaves().unwrap() == vec![a1.hash(), b1.hash(), a2.hash()],
        );
        check(
            "index of an entry",
            s.entry_index(&a2.hash()).unwrap() == Some(2),
        );
        check("unknown entry", s.entry_index(&[9; 32]).unwrap().is_none());
        let heads = s.feed_heads().unwrap();
        check(
            "feed head of a",
            heads.get("a").map(|h| (h.seq, h.hash)) == Some((2, a2.hash())),
        );
        check("feed head of b", heads.get("b").map(|h| h.seq) == Some(1));
        check(
            "entries of a case",
            s.case_entries("c1").unwrap() == vec![a1.clone(), a2.clone()],
        );
        // A batch that repeats a held entry is refused whole.
        let a3 = entry("a", 3, a2.hash(), "c1");
        check("duplicate refused", s.append_entries(&[a3, a1]).is_err());
        check("nothing half-written", s.log_leaves().unwrap().len() == 3);
    }

    fn codes_work_once_and_expire<S: Storage>(mut s: S) {
        s.add_enrolment_code(&[1; 32], "一中队", Timestamp(100))
            .unwrap();
        s.add_enrolment_code(&[2; 32], "二中队", Timestamp(100))
            .unwrap();
        check(
            "a code works",
            s.take_enrolment_code(&[1; 32], Timestamp(50)).unwrap() == Some("一中队".into()),
        );
        check(
            "only once",
            s.take_enrolment_code(&[1; 32], Timestamp(50))
                .unwrap()
                .is_none(),
        );
        check(
            "expired",
            s.take_enrolment_code(&[2; 32], Timestamp(101))
                .unwrap()
                .is_none(),
        );
        check(
            "unknown",
            s.take_enrolment_code(&[3; 32], Timestamp(1))
                .unwrap()
                .is_none(),
        );
    }

    fn devices_are_kept<S: Storage>(mut s: S) {
        let cert = SignedCertificate {
            bytes: vec![1, 2, 3],
            signature: vec![4; 64],
        };
        check("no device", s.device("t1").unwrap().is_none());
        s.add_device("t1", &cert).unwrap();
        check("device kept", s.device("t1").unwrap() == Some(cert));
        check("checkpoint empty", s.checkpoint().unwrap().is_none());
        let c = SignedCheckpoint {
            bytes: vec![5],
            signature: vec![6],
        };
        s.put_checkpoint(&c).unwrap();
        check("checkpoint kept", s.checkpoint().unwrap() == Some(c));
    }
}
