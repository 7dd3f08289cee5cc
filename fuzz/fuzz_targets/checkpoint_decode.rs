//! Any bytes as a signed checkpoint: decoding refuses or yields a checkpoint that re-encodes to
//! the same bytes; checking it against a known checkpoint (either way round, with any
//! consistency proof) is an error or a pass, never a panic. The first byte says how many
//! 32-byte proof steps follow the checkpoint bytes at the end.
#![no_main]

use ed25519_dalek::SigningKey;
use libfuzzer_sys::fuzz_target;
use qc_domain::Timestamp;
use qc_log::{Checkpoint, Log, SignedCheckpoint, check_extends};

fuzz_target!(|data: &[u8]| {
    let Some((&steps, rest)) = data.split_first() else {
        return;
    };
    let cut = rest.len().saturating_sub(usize::from(steps) * 32);
    let (bytes, proof) = rest.split_at(cut);
    let proof: Vec<[u8; 32]> = proof
        .chunks_exact(32)
        .map(|c| c.try_into().unwrap_or_default())
        .collect();
    let key = SigningKey::from_bytes(&[7; 32]);
    let signed = SignedCheckpoint {
        bytes: bytes.to_vec(),
        signature: vec![],
    };
    let Ok(new) = signed.decode_unverified() else {
        return;
    };
    assert_eq!(SignedCheckpoint::of(&key, &new).bytes, bytes);
    let log = Log::from_leaves((0..5u8).map(|i| [i; 32]));
    let known: Checkpoint = SignedCheckpoint::sign(&key, &log, Timestamp(0))
        .verify(&key.verifying_key())
        .expect("a checkpoint signed here verifies");
    let _ = check_extends(&known, &new, &proof);
    let _ = check_extends(&new, &known, &proof);
});
