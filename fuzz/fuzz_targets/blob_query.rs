//! Any bytes as the query of a chunk upload (`?size=N&offset=M`), read as the station's
//! handler reads it, and as the answer to a blob status request (`BlobStatus`), read as the
//! device reads it (and serialized back to the same value).
#![no_main]

use libfuzzer_sys::fuzz_target;
use qc_fuzz::parse;
use qc_sync::wire::{BlobStatus, ChunkQuery};

fuzz_target!(|data: &[u8]| {
    let _ = serde_urlencoded::from_bytes::<ChunkQuery>(data);
    let _ = parse::<BlobStatus>(data);
});
