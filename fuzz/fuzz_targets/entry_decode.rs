//! Any bytes as an entry: decoding refuses or yields an entry that re-encodes to the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use qc_chain::SignedEntry;

fuzz_target!(|data: &[u8]| {
    let signed = SignedEntry {
        bytes: data.to_vec(),
        device_sig: vec![],
        actor_sigs: vec![],
    };
    if let Ok(entry) = signed.entry() {
        assert_eq!(entry.encode(), data);
    }
});
