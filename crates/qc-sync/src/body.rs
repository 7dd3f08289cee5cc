//! How a sync's request and answer travel. A device of protocol 3 on sends its `POST /v1/sync`
//! body as CBOR (RFC 8949) with the content type [`CBOR`], and the station answers in CBOR;
//! a device of protocol 2 sends JSON and is answered in JSON. The values are the same
//! ([`crate::wire`]); CBOR carries hashes and signatures as byte strings
//! ([`qc_identity::bytes`]), where JSON spells every byte as a number: an answer of a hundred
//! receipts is a third of the size, and is read without parsing a number per byte.

use serde::Serialize;
use serde::de::DeserializeOwned;

/// The content type of a body in CBOR.
pub const CBOR: &str = "application/cbor";

/// Whether a body of this content type (the header's value, if any) is CBOR.
pub fn is_cbor(content_type: Option<&str>) -> bool {
    content_type
        .and_then(|t| t.split(';').next())
        .is_some_and(|t| t.trim().eq_ignore_ascii_case(CBOR))
}

/// A value in CBOR.
pub fn to_cbor<T: Serialize>(value: &T) -> Vec<u8> {
    let mut out = Vec::new();
    // Writing our own plain values into a Vec cannot fail.
    ciborium::into_writer(value, &mut out)
        .unwrap_or_else(|e| unreachable!("CBOR encoding of a plain value: {e}"));
    out
}

/// A value read from CBOR; the reason when the bytes are not one.
pub fn from_cbor<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
    ciborium::from_reader(bytes).map_err(|e| format!("CBOR body: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{DocsAck, DocsDown, EntryReceipt, PushResponse, SyncResponse};
    use qc_log::{Receipt, SignedCheckpoint};

    /// An answer as a sync sends it: a hundred receipts, each with its checkpoint and a path
    /// of thirteen hashes.
    fn answer() -> SyncResponse {
        let checkpoint = SignedCheckpoint {
            bytes: (0..88).collect(),
            signature: vec![200; 64],
        };
        let receipts = (0..100u8)
            .map(|i| EntryReceipt {
                entry: [i; 32],
                receipt: Receipt {
                    checkpoint: checkpoint.clone(),
                    index: u64::from(i),
                    proof: vec![[i.wrapping_mul(7); 32]; 13],
                },
            })
            .collect();
        SyncResponse {
            push: PushResponse {
                receipts,
                checkpoint,
                consistency: vec![[3; 32]; 5],
            },
            acked: DocsAck {
                heads: Vec::new(),
                outside: Vec::new(),
            },
            down: DocsDown {
                docs: Vec::new(),
                entries: Vec::new(),
                certificates: Vec::new(),
            },
            down_receipts: Vec::new(),
            revocations: None,
            tasks: None,
            bureau: None,
        }
    }

    #[test]
    fn an_answer_in_cbor_reads_back_the_same_at_a_fraction_of_the_json() {
        let a = answer();
        let cbor = to_cbor(&a);
        assert_eq!(from_cbor::<SyncResponse>(&cbor).unwrap(), a);
        let json = serde_json::to_vec(&a).unwrap();
        assert!(
            cbor.len() * 3 < json.len(),
            "{} bytes of CBOR, {} of JSON",
            cbor.len(),
            json.len()
        );
    }

    #[test]
    fn bytes_that_are_not_an_answer_are_refused() {
        let cbor = to_cbor(&answer());
        assert!(from_cbor::<SyncResponse>(&cbor[..cbor.len() / 2]).is_err());
        assert!(from_cbor::<SyncResponse>(b"{\"push\":1}").is_err());
    }

    #[test]
    fn the_content_type_is_recognised() {
        assert!(is_cbor(Some("application/cbor")));
        assert!(is_cbor(Some("Application/CBOR; charset=binary")));
        for other in [
            None,
            Some("application/json"),
            Some("application/octet-stream"),
        ] {
            assert!(!is_cbor(other), "{other:?}");
        }
    }
}
