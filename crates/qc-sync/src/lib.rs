//! How a device and the base station talk, without any I/O: the client (reqwest) and the server
//! (axum) both use these types and checks, so they cannot drift apart.
//!
//! - [`auth`]: every request is signed by the enrolled device key over its method, path, time,
//!   a fresh nonce and the body's hash; the server refuses unknown or revoked devices, stale
//!   times and replayed nonces.
//! - [`wire`]: the request and response bodies, and [`body`]: how a sync's travel.
//! - [`witness`]: what a device checks in the server's answers (receipts, and that the log
//!   still extends the last checkpoint it saw), so a server that rewrites history is caught.

pub mod auth;
pub mod body;
pub mod wire;
pub mod witness;

/// The protocol's name and version, sent by a device with every request in the
/// [`PROTOCOL_HEADER`] header.
pub const PROTOCOL: &str = "quancheng-sync/3";

/// The request header that names the device's protocol.
pub const PROTOCOL_HEADER: &str = "quancheng-protocol";

/// The oldest protocol a station serves. Version 3 sends a sync's bodies as CBOR
/// ([`body`]); a station answers a version 2 device's JSON in JSON. Version 2 brought chain actions 21 and 22 (a clip
/// tied to acts, an original deleted with approval), which an app of version 1 cannot decode:
/// its sync would stop at the first such entry it receives, so it is told to update instead.
/// Version 1 sent no header.
pub const OLDEST_PROTOCOL: u32 = 2;

/// Whether a device that sent `header` (the [`PROTOCOL_HEADER`] value, if any) is served.
pub fn protocol_served(header: Option<&str>) -> bool {
    header
        .and_then(|h| h.strip_prefix("quancheng-sync/"))
        .and_then(|v| v.parse::<u32>().ok())
        .is_some_and(|v| v >= OLDEST_PROTOCOL)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_of_the_oldest_protocol_on_are_served() {
        assert!(protocol_served(Some(PROTOCOL)));
        assert!(protocol_served(Some("quancheng-sync/3")));
        for old in [
            None,
            Some("quancheng-sync/1"),
            Some("quancheng-sync/x"),
            Some("2"),
        ] {
            assert!(!protocol_served(old), "{old:?}");
        }
    }
}
