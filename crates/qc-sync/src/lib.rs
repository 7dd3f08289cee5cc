//! How a device and the base station talk, without any I/O: the client (reqwest) and the server
//! (axum) both use these types and checks, so they cannot drift apart.
//!
//! - [`auth`]: every request is signed by the enrolled device key over its method, path, time,
//!   a fresh nonce and the body's hash; the server refuses unknown or revoked devices, stale
//!   times and replayed nonces.
//! - [`wire`]: the request and response bodies.
//! - [`witness`]: what a device checks in the server's answers (receipts, and that the log
//!   still extends the last checkpoint it saw), so a server that rewrites history is caught.

pub mod auth;
pub mod wire;
pub mod witness;

/// The protocol's name and version, sent with every request.
pub const PROTOCOL: &str = "quancheng-sync/1";
