//! Any index, tree size, root, leaf and audit path in a receipt whose checkpoint is genuinely
//! signed (so the proof arithmetic is reached): an error or the checkpoint, never a panic.
//! Bytes 0..8 are the leaf index, 8..16 the tree size (both little-endian), 16..48 the root,
//! 48..80 the entry hash, then the audit path in 32-byte steps.
#![no_main]

use ed25519_dalek::SigningKey;
use libfuzzer_sys::fuzz_target;
use qc_domain::Timestamp;
use qc_log::{Checkpoint, Receipt, SignedCheckpoint};

fn digest(b: &[u8]) -> [u8; 32] {
    let mut d = [0; 32];
    d.copy_from_slice(b);
    d
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 80 {
        return;
    }
    let key = SigningKey::from_bytes(&[7; 32]);
    let checkpoint = Checkpoint {
        log: key.verifying_key().to_bytes(),
        size: u64::from_le_bytes(data[8..16].try_into().unwrap_or_default()),
        root: digest(&data[16..48]),
        time: Timestamp(0),
    };
    let receipt = Receipt {
        checkpoint: SignedCheckpoint::of(&key, &checkpoint),
        index: u64::from_le_bytes(data[0..8].try_into().unwrap_or_default()),
        proof: data[80..].chunks_exact(32).map(digest).collect(),
    };
    if let Ok(c) = receipt.verify(&key.verifying_key(), &digest(&data[48..80])) {
        assert_eq!(c, checkpoint);
    }
});
