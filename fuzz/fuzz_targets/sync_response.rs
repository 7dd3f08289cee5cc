//! Any bytes as the station's answer to `POST /v1/sync`, taken as the device takes it: parsed
//! (and serialized back to the same value), the receipts of the entries it sent checked by its
//! witness, then the receipts of the entries that came down, the revocation list and the case
//! changes merged into its copy. A refused answer leaves the witness as it was; an accepted
//! one moves it to the answer's checkpoint, with a receipt for every entry sent.
#![no_main]

use libfuzzer_sys::fuzz_target;
use qc_fuzz::{CASE, held_case, merge_changes, parse, sync};
use qc_sync::wire::SyncResponse;

fuzz_target!(|data: &[u8]| {
    let Some(resp) = parse::<SyncResponse>(data) else {
        return;
    };
    let sync = sync();
    let mut witness = sync.witness.clone();
    match witness.accept_push(&sync.sent, &resp.push) {
        Ok(receipts) => {
            assert_eq!(receipts.len(), sync.sent.len());
            let checkpoint = resp.push.checkpoint.decode_unverified().ok();
            assert_eq!(witness.last, checkpoint);
        }
        Err(_) => {
            assert_eq!(witness, sync.witness, "a refused answer moves nothing");
            return;
        }
    }
    let _ = witness.check_receipts(&resp.down.entries, &resp.down_receipts);
    if let Some(crl) = &resp.revocations {
        let _ = crl.decode_unverified();
    }
    for d in &resp.down.docs {
        if let Ok(changes) = hex::decode(&d.changes) {
            let _ = merge_changes((d.case == CASE).then(held_case), &changes);
        }
    }
});
