//! Any bytes as the body of `POST /v1/enrol` (a device) or `POST /v1/officers/enrol` (a
//! person's key): parsed (and serialized back to the same value), then what the station checks
//! before it looks anything up: the device id rule and the key as an Ed25519 point.
#![no_main]

use libfuzzer_sys::fuzz_target;
use qc_fuzz::{parse, station_key};
use qc_sync::auth::is_device_id;
use qc_sync::wire::{EnrolRequest, OfficerEnrolRequest};

fuzz_target!(|data: &[u8]| {
    if let Some(req) = parse::<EnrolRequest>(data) {
        is_device_id(&req.device_id);
        station_key(&req.public_key);
    }
    if let Some(req) = parse::<OfficerEnrolRequest>(data) {
        station_key(&req.public_key);
    }
});
