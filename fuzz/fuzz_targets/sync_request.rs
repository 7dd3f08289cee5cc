//! Any bytes as the body of `POST /v1/sync`, taken as the station takes it: parsed (and
//! serialized back to the same value), each entry decoded, each case's changes hex-decoded and
//! merged into the station's copy (or loaded as a new case), and the changes it would send back
//! after the heads the device says it holds. Refusals are fine; a panic is not.
#![no_main]

use libfuzzer_sys::fuzz_target;
use qc_fuzz::{CASE, held_case, merge_changes, parse};
use qc_sync::wire::SyncRequest;

fuzz_target!(|data: &[u8]| {
    let Some(req) = parse::<SyncRequest>(data) else {
        return;
    };
    for e in &req.push.entries {
        let _ = e.hash();
        let _ = e.entry();
    }
    for d in &req.up.docs {
        if let Ok(changes) = hex::decode(&d.changes) {
            let _ = merge_changes((d.case == CASE).then(held_case), &changes);
        }
    }
    for have in req.want.iter().flat_map(|w| &w.have) {
        held_case().changes_after(&have.digests());
    }
});
