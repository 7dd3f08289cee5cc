//! Any bytes as an entry's signed bytes: decoding refuses or yields an entry (first layout) or
//! a head (current layout) that re-encodes to the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use qc_chain::{ENTRY_HEAD_TAG, ENTRY_TAG, SignedEntry};
use qc_identity::canonical;

fuzz_target!(|data: &[u8]| {
    let signed = SignedEntry {
        bytes: data.to_vec(),
        body: None,
        device_sig: vec![],
        actor_sigs: vec![],
    };
    // Without a body only a first-layout entry decodes whole; a current one yields its head.
    if let Ok(entry) = signed.entry() {
        assert_eq!(canonical::encode(ENTRY_TAG, &entry), data);
    } else if let Ok(head) = signed.head() {
        assert_eq!(canonical::encode(ENTRY_HEAD_TAG, &head), data);
    }
});
