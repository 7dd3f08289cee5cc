//! The base station's log: every entry it accepts becomes a leaf of an append-only Merkle tree
//! hashed as RFC 6962/9162 specify (leaf `SHA-256(0x00 ‖ data)`, node `SHA-256(0x01 ‖ l ‖ r)`),
//! so any RFC-conformant tool can check its proofs. The server signs checkpoints (size, root,
//! time); a device keeps, per entry, a receipt (checkpoint + inclusion proof) and demands a
//! consistency proof from its last checkpoint at every sync, so a server that drops or rewrites
//! history is caught.
//!
//! Pure: no I/O. The tree is held in memory (about 100 bytes per entry) and rebuilt from the
//! stored leaves at start.

use ct_merkle::mem_backed_tree::MemoryBackedTree;
use ct_merkle::{ConsistencyProof, InclusionProof, RootHash};
use ed25519_dalek::{SigningKey, VerifyingKey};
use qc_domain::Timestamp;
use qc_identity::canonical::{self, Tag};
use qc_identity::cert::{sign_bytes, verify_bytes};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use thiserror::Error;

/// A SHA-256 digest.
pub type Digest = [u8; 32];

/// Layout tag of a checkpoint; bump the version to change the layout.
pub const CHECKPOINT_TAG: Tag = Tag::new(b"QCCHKP", 1);

/// Why a proof, receipt or checkpoint does not hold.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LogError {
    /// The checkpoint's signature is not the server's.
    #[error("the checkpoint is not signed by this server")]
    BadCheckpointSignature,
    /// The checkpoint bytes are not a canonical checkpoint.
    #[error("malformed checkpoint: {0}")]
    MalformedCheckpoint(String),
    /// The entry is not in the tree the checkpoint describes.
    #[error("the inclusion proof does not lead to the checkpoint's root")]
    NotIncluded,
    /// The newer tree does not extend the older one: the log was rewritten or forked.
    #[error("the log of size {new_size} does not extend the log of size {old_size}")]
    Inconsistent {
        /// Size the device knew.
        old_size: u64,
        /// Size the server claims now.
        new_size: u64,
    },
    /// A proof that asks for an impossible size.
    #[error("no proof between sizes {from} and {to}")]
    BadSize {
        /// Older size.
        from: u64,
        /// Newer size.
        to: u64,
    },
}

impl LogError {
    /// The problem in Chinese.
    pub fn message_zh(&self) -> String {
        match self {
            LogError::BadCheckpointSignature => "基站日志检查点的签名不是本基站的".into(),
            LogError::MalformedCheckpoint(_) => "基站日志检查点格式错误".into(),
            LogError::NotIncluded => "回执无效：该记录不在基站日志中".into(),
            LogError::Inconsistent { old_size, new_size } => format!(
                "基站日志被改写：现有{new_size}条的日志不包含本机此前确认的前{old_size}条，已保留本机数据"
            ),
            LogError::BadSize { .. } => "基站日志证明的范围无效".into(),
        }
    }
}

/// An append-only Merkle tree over leaf data `L` (entry hashes on the server).
pub struct Log<L: AsRef<[u8]> + Clone = Digest> {
    tree: MemoryBackedTree<Sha256, L>,
}

impl<L: AsRef<[u8]> + Clone> Default for Log<L> {
    fn default() -> Self {
        Log {
            tree: MemoryBackedTree::new(),
        }
    }
}

impl<L: AsRef<[u8]> + Clone> Log<L> {
    /// The log holding `leaves`, in order.
    pub fn from_leaves(leaves: impl IntoIterator<Item = L>) -> Self {
        let mut log = Log::default();
        for l in leaves {
            log.append(l);
        }
        log
    }

    /// Appends a leaf; returns its index.
    pub fn append(&mut self, leaf: L) -> u64 {
        self.tree.push(leaf);
        self.tree.len() - 1
    }

    /// Number of leaves.
    pub fn size(&self) -> u64 {
        self.tree.len()
    }

    /// The leaf at `index`.
    pub fn leaf(&self, index: u64) -> Option<&L> {
        self.tree.get(usize::try_from(index).ok()?)
    }

    /// The root (RFC 6962 Merkle tree hash; SHA-256 of nothing when empty).
    pub fn root(&self) -> Digest {
        (*self.tree.root().as_bytes()).into()
    }

    /// The audit path for leaf `index` in the current tree.
    pub fn inclusion(&self, index: u64) -> Result<Vec<Digest>, LogError> {
        let size = self.size();
        let i = usize::try_from(index)
            .ok()
            .filter(|_| index < size)
            .ok_or(LogError::BadSize {
                from: index,
                to: size,
            })?;
        Ok(split(self.tree.prove_inclusion(i).as_bytes()))
    }

    /// The proof that the tree of `old_size` leaves is a prefix of the current tree.
    pub fn consistency(&self, old_size: u64) -> Result<Vec<Digest>, LogError> {
        let size = self.size();
        if old_size == 0 || old_size > size {
            return Err(LogError::BadSize {
                from: old_size,
                to: size,
            });
        }
        let additions = usize::try_from(size - old_size).map_err(|_| LogError::BadSize {
            from: old_size,
            to: size,
        })?;
        Ok(split(self.tree.prove_consistency(additions).as_bytes()))
    }
}

fn split(bytes: &[u8]) -> Vec<Digest> {
    bytes
        .chunks_exact(32)
        .map(|c| {
            let mut d = [0u8; 32];
            d.copy_from_slice(c);
            d
        })
        .collect()
}

fn join(proof: &[Digest]) -> Vec<u8> {
    proof.iter().flatten().copied().collect()
}

/// The largest tree a proof is checked for. ct-merkle's index arithmetic holds up to 2^63 leaves
/// and panics beyond; a receipt or checkpoint from a hostile station may claim any size.
const MAX_TREE_SIZE: u64 = 1 << 63;

fn root_of(size: u64, root: &Digest) -> RootHash<Sha256> {
    RootHash::new((*root).into(), size)
}

/// Checks that `leaf` is at `index` of the tree of `size` leaves with `root`.
pub fn verify_inclusion(
    leaf: &[u8],
    index: u64,
    size: u64,
    root: &Digest,
    proof: &[Digest],
) -> Result<(), LogError> {
    if index >= size || size > MAX_TREE_SIZE {
        return Err(LogError::NotIncluded);
    }
    let proof =
        InclusionProof::<Sha256>::try_from_bytes(join(proof)).map_err(|_| LogError::NotIncluded)?;
    root_of(size, root)
        .verify_inclusion(&leaf, index, &proof)
        .map_err(|_| LogError::NotIncluded)
}

/// Checks that the tree (`old_size`, `old_root`) is a prefix of (`new_size`, `new_root`).
pub fn verify_consistency(
    old_size: u64,
    old_root: &Digest,
    new_size: u64,
    new_root: &Digest,
    proof: &[Digest],
) -> Result<(), LogError> {
    let inconsistent = LogError::Inconsistent { old_size, new_size };
    if new_size > MAX_TREE_SIZE {
        return Err(inconsistent);
    }
    if old_size == new_size {
        return if old_root == new_root && proof.is_empty() {
            Ok(())
        } else {
            Err(inconsistent)
        };
    }
    let proof = ConsistencyProof::<Sha256>::try_from_bytes(join(proof))
        .map_err(|_| inconsistent.clone())?;
    root_of(new_size, new_root)
        .verify_consistency(&root_of(old_size, old_root), &proof)
        .map_err(|_| inconsistent)
}

/// What the server states about its log at one moment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// The server's log key (its public key).
    pub log: [u8; 32],
    /// Number of entries.
    pub size: u64,
    /// RFC 6962 root over them.
    pub root: Digest,
    /// When (server clock).
    pub time: Timestamp,
}

/// A checkpoint as signed by the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedCheckpoint {
    /// Canonical bytes of the [`Checkpoint`].
    #[serde(serialize_with = "qc_identity::bytes::one")]
    pub bytes: Vec<u8>,
    /// The server's signature.
    #[serde(serialize_with = "qc_identity::bytes::one")]
    pub signature: Vec<u8>,
}

impl SignedCheckpoint {
    /// Signs a checkpoint of `log` with the server key.
    pub fn sign(key: &SigningKey, log: &Log<impl AsRef<[u8]> + Clone>, time: Timestamp) -> Self {
        Self::of(
            key,
            &Checkpoint {
                log: key.verifying_key().to_bytes(),
                size: log.size(),
                root: log.root(),
                time,
            },
        )
    }

    /// Signs `checkpoint` as it stands (tests forge hostile ones with it).
    pub fn of(key: &SigningKey, checkpoint: &Checkpoint) -> Self {
        let bytes = canonical::encode(CHECKPOINT_TAG, checkpoint);
        SignedCheckpoint {
            signature: sign_bytes(key, &bytes),
            bytes,
        }
    }

    /// The checkpoint, once its signature is checked against the server's key.
    pub fn verify(&self, server: &VerifyingKey) -> Result<Checkpoint, LogError> {
        verify_bytes(server, &self.bytes, &self.signature)
            .map_err(|_| LogError::BadCheckpointSignature)?;
        let c = self.decode_unverified()?;
        if c.log != server.to_bytes() {
            return Err(LogError::BadCheckpointSignature);
        }
        Ok(c)
    }
}

/// Proof that the server logged an entry: its position and the path to a signed checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    /// The checkpoint the proof leads to.
    pub checkpoint: SignedCheckpoint,
    /// The entry's leaf index.
    pub index: u64,
    /// The audit path.
    #[serde(serialize_with = "qc_identity::bytes::each")]
    pub proof: Vec<Digest>,
}

impl SignedCheckpoint {
    /// The checkpoint without checking its signature (to learn which log key it names).
    pub fn decode_unverified(&self) -> Result<Checkpoint, LogError> {
        canonical::decode(CHECKPOINT_TAG, &self.bytes)
            .map_err(|e| LogError::MalformedCheckpoint(e.to_string()))
    }
}

impl Receipt {
    /// Checks the receipt for the entry with hash `entry` against the server's key; returns the
    /// checkpoint it leads to.
    pub fn verify(&self, server: &VerifyingKey, entry: &Digest) -> Result<Checkpoint, LogError> {
        let c = self.checkpoint.verify(server)?;
        verify_inclusion(entry, self.index, c.size, &c.root, &self.proof)?;
        Ok(c)
    }
}

/// Checks that `new` extends `old` (both verified checkpoints of the same server).
pub fn check_extends(old: &Checkpoint, new: &Checkpoint, proof: &[Digest]) -> Result<(), LogError> {
    if new.size < old.size || new.log != old.log {
        return Err(LogError::Inconsistent {
            old_size: old.size,
            new_size: new.size,
        });
    }
    if old.size == 0 {
        return Ok(());
    }
    verify_consistency(old.size, &old.root, new.size, &new.root, proof)
}

#[cfg(test)]
mod tests;
