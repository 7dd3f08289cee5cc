//! Any bytes as the body of `POST /v1/enrol` (a device) or `POST /v1/officers/enrol` (a
//! person's key): parsed (and serialized back to the same value), then what the station checks
//! before it looks anything up: the device id rule and the key as an Ed25519 point.
#![no_main]

use libfuzzer_sys::fuzz_target;
use qc_fuzz::parse;
use qc_sync::auth::is_device_id;
use qc_sync::wire::{EnrolRequest, OfficerEnrolRequest, public_key_from_hex};

fuzz_target!(|data: &[u8]| {
    if let Some(req) = parse::<EnrolRequest>(data) {
        is_device_id(&req.device_id);
        public_key_from_hex(&req.public_key);
    }
    if let Some(req) = parse::<OfficerEnrolRequest>(data) {
        public_key_from_hex(&req.public_key);
    }
});
