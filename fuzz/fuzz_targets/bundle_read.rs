//! Any bytes given to the bundle reader and verifier: an error or a report, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // A bundle's case document is parsed with Automerge.
    qc_fuzz::let_caught_automerge_panics_unwind();
    if let Ok((contents, integrity)) = qc_bundle::read(data) {
        let _ = qc_bundle::verify(&contents, &integrity, None, None);
    }
});
