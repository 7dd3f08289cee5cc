//! The device as a witness of the server's log: every receipt must prove its entry, and every
//! checkpoint must extend the last one the device saw. A server that drops or rewrites history
//! is reported, and the device keeps its own data.

use ed25519_dalek::VerifyingKey;
use qc_chain::{Digest, SignedEntry};
use qc_log::{Checkpoint, LogError, Receipt, check_extends};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::wire::{ConsistencyResponse, EntryReceipt, PushResponse};

/// What a device found wrong with the server's answer.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum WitnessError {
    /// A proof or checkpoint does not hold (rewritten log, forged receipt).
    #[error(transparent)]
    Log(#[from] LogError),
    /// An entry sent came back without a receipt.
    #[error("no receipt for entry {0}")]
    MissingReceipt(String),
}

impl WitnessError {
    /// The problem in Chinese.
    pub fn message_zh(&self) -> String {
        match self {
            WitnessError::Log(e) => e.message_zh(),
            WitnessError::MissingReceipt(_) => "基站没有为已上传的记录出具回执".into(),
        }
    }
}

/// The last checkpoint a device holds, and the server key it trusts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Witness {
    /// The server's log key.
    pub server: [u8; 32],
    /// The latest verified checkpoint.
    pub last: Option<Checkpoint>,
}

impl Witness {
    /// A witness of the server with this log key, having seen nothing yet.
    pub fn new(server: [u8; 32]) -> Witness {
        Witness { server, last: None }
    }

    /// Size of the last checkpoint (what to send as `known_size`).
    pub fn known_size(&self) -> u64 {
        self.last.as_ref().map_or(0, |c| c.size)
    }

    fn key(&self) -> Result<VerifyingKey, WitnessError> {
        VerifyingKey::from_bytes(&self.server).map_err(|_| LogError::BadCheckpointSignature.into())
    }

    fn advance(&mut self, new: Checkpoint, proof: &[Digest]) -> Result<(), WitnessError> {
        if let Some(old) = &self.last {
            check_extends(old, &new, proof)?;
        }
        self.last = Some(new);
        Ok(())
    }

    /// Checks the answer to a push of `sent`: the checkpoint extends the last one, and every
    /// entry sent has a receipt that proves it. Returns the receipts by entry hash; on any
    /// error the witness keeps its last checkpoint.
    pub fn accept_push(
        &mut self,
        sent: &[SignedEntry],
        resp: &PushResponse,
    ) -> Result<Vec<(Digest, Receipt)>, WitnessError> {
        let checkpoint = resp.checkpoint.verify(&self.key()?)?;
        let out = self.receipts_at(&checkpoint, sent, &resp.receipts)?;
        self.advance(checkpoint, &resp.consistency)?;
        Ok(out)
    }

    /// Checks receipts for `entries` (e.g. other devices' entries that came down) against the
    /// last checkpoint accepted; returns them by entry hash.
    pub fn check_receipts(
        &self,
        entries: &[SignedEntry],
        receipts: &[EntryReceipt],
    ) -> Result<Vec<(Digest, Receipt)>, WitnessError> {
        match &self.last {
            Some(c) => self.receipts_at(c, entries, receipts),
            None if entries.is_empty() => Ok(Vec::new()),
            None => Err(LogError::NotIncluded.into()),
        }
    }

    /// Every entry's receipt, each proving it under `checkpoint`.
    fn receipts_at(
        &self,
        checkpoint: &Checkpoint,
        entries: &[SignedEntry],
        receipts: &[EntryReceipt],
    ) -> Result<Vec<(Digest, Receipt)>, WitnessError> {
        let key = self.key()?;
        let mut out = Vec::with_capacity(entries.len());
        for e in entries {
            let hash = e.hash();
            let r = receipts
                .iter()
                .find(|r| r.entry == hash)
                .ok_or_else(|| WitnessError::MissingReceipt(hex::encode(hash)))?;
            if &r.receipt.verify(&key, &hash)? != checkpoint {
                // Receipts must all lead to the checkpoint being accepted.
                return Err(LogError::NotIncluded.into());
            }
            out.push((hash, r.receipt.clone()));
        }
        Ok(out)
    }

    /// Checks a consistency answer; returns the new checkpoint.
    pub fn accept_consistency(
        &mut self,
        resp: &ConsistencyResponse,
    ) -> Result<Checkpoint, WitnessError> {
        let checkpoint = resp.checkpoint.verify(&self.key()?)?;
        self.advance(checkpoint.clone(), &resp.proof)?;
        Ok(checkpoint)
    }
}

#[cfg(test)]
mod tests {
    use ed25519_dalek::SigningKey;
    use qc_chain::{Action, Entry};
    use qc_domain::Timestamp;
    use qc_log::{Log, SignedCheckpoint};

    use super::*;
    use crate::wire::EntryReceipt;

    fn entry(seq: u64) -> SignedEntry {
        let e = Entry {
            device: "tablet-a".into(),
            seq,
            prev: [0; 32],
            time: Timestamp(seq as i64),
            actors: vec![],
            action: Action::Export,
            case: "c".into(),
            heads: vec![],
            blobs: vec![],
            records: vec![],
        };
        SignedEntry::sign(&e, &SigningKey::from_bytes(&[1; 32]), &[])
    }

    /// The server side in miniature: a log of entry hashes that answers pushes.
    struct Server {
        key: SigningKey,
        log: Log,
    }

    impl Server {
        fn push(&mut self, entries: &[SignedEntry], known: u64) -> PushResponse {
            for e in entries {
                self.log.append(e.hash());
            }
            let checkpoint = SignedCheckpoint::sign(&self.key, &self.log, Timestamp(9));
            let receipts = entries
                .iter()
                .map(|e| {
                    let index = (0..self.log.size())
                        .find(|&i| self.log.leaf(i) == Some(&e.hash()))
                        .unwrap();
                    EntryReceipt {
                        entry: e.hash(),
                        receipt: Receipt {
                            checkpoint: checkpoint.clone(),
                            index,
                            proof: self.log.inclusion(index).unwrap(),
                        },
                    }
                })
                .collect();
            let consistency = if known == 0 {
                vec![]
            } else {
                self.log.consistency(known).unwrap()
            };
            PushResponse {
                receipts,
                checkpoint,
                consistency,
            }
        }
    }

    fn server() -> Server {
        Server {
            key: SigningKey::from_bytes(&[3; 32]),
            log: Log::default(),
        }
    }

    #[test]
    fn honest_pushes_give_receipts_and_advance_the_checkpoint() {
        let mut s = server();
        let mut w = Witness::new(s.key.verifying_key().to_bytes());
        let first: Vec<_> = (1..=3).map(entry).collect();
        let r = w
            .accept_push(&first, &s.push(&first, w.known_size()))
            .unwrap();
        assert_eq!(r.len(), 3);
        assert_eq!(w.known_size(), 3);
        let more: Vec<_> = (4..=9).map(entry).collect();
        w.accept_push(&more, &s.push(&more, w.known_size()))
            .unwrap();
        assert_eq!(w.known_size(), 9);
    }

    #[test]
    fn a_server_that_rewrites_its_log_is_caught_and_the_witness_keeps_its_checkpoint() {
        let mut s = server();
        let mut w = Witness::new(s.key.verifying_key().to_bytes());
        let first: Vec<_> = (1..=4).map(entry).collect();
        w.accept_push(&first, &s.push(&first, 0)).unwrap();
        let before = w.last.clone();
        // The server swaps entry 2 for another and carries on.
        let mut leaves: Vec<Digest> = (0..4).map(|i| *s.log.leaf(i).unwrap()).collect();
        leaves[1] = [0xee; 32];
        s.log = Log::from_leaves(leaves);
        let more = vec![entry(5)];
        let e = w
            .accept_push(&more, &s.push(&more, w.known_size()))
            .unwrap_err();
        assert!(
            matches!(e, WitnessError::Log(LogError::Inconsistent { .. })),
            "{e:?}"
        );
        assert!(e.message_zh().contains("改写"));
        assert_eq!(w.last, before, "the witness keeps what it had");
    }

    #[test]
    fn a_missing_or_forged_receipt_is_refused() {
        let mut s = server();
        let mut w = Witness::new(s.key.verifying_key().to_bytes());
        let sent: Vec<_> = (1..=2).map(entry).collect();
        let mut resp = s.push(&sent, 0);
        resp.receipts.pop();
        assert!(matches!(
            w.accept_push(&sent, &resp),
            Err(WitnessError::MissingReceipt(_))
        ));
        let mut resp = s.push(&[], 0);
        resp.receipts = vec![EntryReceipt {
            entry: sent[1].hash(),
            receipt: Receipt {
                checkpoint: resp.checkpoint.clone(),
                index: 0,
                proof: vec![],
            },
        }];
        let only = [sent[1].clone()];
        assert!(w.accept_push(&only, &resp).is_err());
        // A checkpoint signed by another key is not the server's.
        let mut w2 = Witness::new(SigningKey::from_bytes(&[8; 32]).verifying_key().to_bytes());
        let sent = vec![entry(7)];
        assert_eq!(
            w2.accept_push(&sent, &s.push(&sent, 0)),
            Err(WitnessError::Log(LogError::BadCheckpointSignature))
        );
    }

    #[test]
    fn a_hostile_receipt_index_is_refused_not_a_crash() {
        let s = server();
        let mut w = Witness::new(s.key.verifying_key().to_bytes());
        let sent = vec![entry(1)];
        let checkpoint = SignedCheckpoint::of(
            &s.key,
            &Checkpoint {
                log: s.key.verifying_key().to_bytes(),
                size: u64::MAX,
                root: [1; 32],
                time: Timestamp(9),
            },
        );
        let resp = PushResponse {
            receipts: vec![EntryReceipt {
                entry: sent[0].hash(),
                receipt: Receipt {
                    checkpoint: checkpoint.clone(),
                    index: 1 << 63,
                    proof: vec![[2; 32]; 63],
                },
            }],
            checkpoint,
            consistency: vec![],
        };
        assert_eq!(
            w.accept_push(&sent, &resp),
            Err(WitnessError::Log(LogError::NotIncluded))
        );
        assert_eq!(w.last, None);
    }

    #[test]
    fn wire_bodies_round_trip_as_json() {
        let mut s = server();
        let sent: Vec<_> = (1..=2).map(entry).collect();
        let resp = s.push(&sent, 0);
        let json = serde_json::to_string(&resp).unwrap();
        assert_eq!(serde_json::from_str::<PushResponse>(&json).unwrap(), resp);
    }
}
