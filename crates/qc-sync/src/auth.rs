//! Signed requests: who sent it (an enrolled device), that nobody changed it, and that it is
//! fresh; the server accepts each nonce once ([`NONCE_TTL_MS`]).

use ed25519_dalek::{SigningKey, VerifyingKey};
use qc_domain::Timestamp;
use qc_identity::canonical::{self, Tag};
use qc_identity::cert::{sign_bytes, verify_bytes};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use thiserror::Error;

/// Layout tag of what a request signature covers.
pub const REQUEST_TAG: Tag = Tag::new(b"QCREQU", 1);
/// Header naming the device.
pub const DEVICE: &str = "x-qc-device";
/// Header with the device clock (ms since the epoch).
pub const TIME: &str = "x-qc-time";
/// Header with a fresh random nonce (32 hex digits).
pub const NONCE: &str = "x-qc-nonce";
/// Header with the signature (hex).
pub const SIGNATURE: &str = "x-qc-signature";
/// How far a request's time may be from the server's clock, either way.
pub const MAX_SKEW_MS: i64 = 5 * 60 * 1000;
/// How long a server must remember a request's nonce, counted from the request's time: an older
/// request fails the time check anyway. Twice the skew, so that a server clock stepped back by
/// up to [`MAX_SKEW_MS`] still refuses the replay.
pub const NONCE_TTL_MS: i64 = 2 * MAX_SKEW_MS;
/// Longest device id.
pub const MAX_DEVICE_ID: usize = 64;

/// Whether `id` can name a device: 1 to [`MAX_DEVICE_ID`] ASCII letters, digits, `.`, `_` or
/// `-`. It travels in an HTTP header, where anything else cannot be read back as it was.
pub fn is_device_id(id: &str) -> bool {
    (1..=MAX_DEVICE_ID).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// Why a request is refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AuthError {
    /// A header is missing.
    #[error("missing header {0}")]
    Missing(&'static str),
    /// A header is not in the expected form.
    #[error("malformed header {0}")]
    Malformed(&'static str),
    /// The device is not enrolled here.
    #[error("device {0} is not enrolled")]
    UnknownDevice(String),
    /// The device's certificate is revoked or expired.
    #[error("device {0} is revoked or its certificate has expired")]
    Revoked(String),
    /// The signature does not verify: the request was changed or not made by the device.
    #[error("the request signature does not verify")]
    BadSignature,
    /// The request's time is too far from the server's.
    #[error("request time is {skew_ms} ms from the server clock")]
    Skew {
        /// Difference, ms.
        skew_ms: i64,
    },
    /// The nonce was seen before: a replay.
    #[error("replayed request")]
    Replay,
}

impl AuthError {
    /// The HTTP status the server answers with.
    pub fn status(&self) -> u16 {
        match self {
            AuthError::Missing(_) | AuthError::Malformed(_) => 400,
            AuthError::UnknownDevice(_) | AuthError::BadSignature | AuthError::Skew { .. } => 401,
            AuthError::Revoked(_) => 403,
            AuthError::Replay => 409,
        }
    }

    /// Stable code.
    pub fn code(&self) -> &'static str {
        match self {
            AuthError::Missing(_) => "missing_header",
            AuthError::Malformed(_) => "malformed_header",
            AuthError::UnknownDevice(_) => "unknown_device",
            AuthError::Revoked(_) => "revoked_device",
            AuthError::BadSignature => "bad_signature",
            AuthError::Skew { .. } => "clock_skew",
            AuthError::Replay => "replay",
        }
    }

    /// The reason in Chinese, for the officer at the base station.
    pub fn message_zh(&self) -> String {
        match self {
            AuthError::Missing(_) | AuthError::Malformed(_) => "同步请求格式错误".into(),
            AuthError::UnknownDevice(_) => "本设备尚未在基站登记，请联系管理员登记设备".into(),
            AuthError::Revoked(_) => "本设备已被吊销或证书已过期，不能同步".into(),
            AuthError::BadSignature => "同步请求签名无效，可能被篡改".into(),
            AuthError::Skew { .. } => "设备时间与基站相差过大，请校准设备时间后重试".into(),
            AuthError::Replay => "重复的同步请求已被拒绝".into(),
        }
    }
}

/// What a request signature covers.
#[derive(Serialize, Deserialize)]
struct Signed<'a> {
    device: &'a str,
    method: &'a str,
    path: &'a str,
    time: Timestamp,
    nonce: [u8; 16],
    body: [u8; 32],
}

/// The authentication a request carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestAuth {
    /// The device.
    pub device: String,
    /// Its clock when it sent the request.
    pub time: Timestamp,
    /// A fresh random value.
    pub nonce: [u8; 16],
    /// Ed25519 signature by the device key.
    pub signature: Vec<u8>,
}

/// The SHA-256 of a request's body, which its signature covers.
pub fn body_digest(body: &[u8]) -> [u8; 32] {
    Sha256::digest(body).into()
}

fn covered(
    device: &str,
    method: &str,
    path: &str,
    time: Timestamp,
    nonce: [u8; 16],
    body: [u8; 32],
) -> Vec<u8> {
    canonical::encode(
        REQUEST_TAG,
        &Signed {
            device,
            method,
            path,
            time,
            nonce,
            body,
        },
    )
}

impl RequestAuth {
    /// Signs a request (`path` includes the query string).
    pub fn sign(
        device: &str,
        key: &SigningKey,
        method: &str,
        path: &str,
        body: &[u8],
        time: Timestamp,
        nonce: [u8; 16],
    ) -> RequestAuth {
        Self::sign_digest(device, key, method, path, body_digest(body), time, nonce)
    }

    /// Signs a request whose body's SHA-256 ([`body_digest`]) the caller knows already.
    pub fn sign_digest(
        device: &str,
        key: &SigningKey,
        method: &str,
        path: &str,
        body: [u8; 32],
        time: Timestamp,
        nonce: [u8; 16],
    ) -> RequestAuth {
        RequestAuth {
            device: device.into(),
            time,
            nonce,
            signature: sign_bytes(key, &covered(device, method, path, time, nonce, body)),
        }
    }

    /// The headers that carry it.
    pub fn headers(&self) -> [(&'static str, String); 4] {
        [
            (DEVICE, self.device.clone()),
            (TIME, self.time.0.to_string()),
            (NONCE, hex::encode(self.nonce)),
            (SIGNATURE, hex::encode(&self.signature)),
        ]
    }

    /// Reads it back from headers (`get` returns a header's value).
    pub fn from_headers<'a>(
        get: impl Fn(&str) -> Option<&'a str>,
    ) -> Result<RequestAuth, AuthError> {
        let need = |h: &'static str| get(h).ok_or(AuthError::Missing(h));
        let device = need(DEVICE)?.to_owned();
        if !is_device_id(&device) {
            return Err(AuthError::Malformed(DEVICE));
        }
        let time = need(TIME)?
            .parse()
            .map(Timestamp)
            .map_err(|_| AuthError::Malformed(TIME))?;
        let nonce = hex::decode(need(NONCE)?)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or(AuthError::Malformed(NONCE))?;
        let signature = hex::decode(need(SIGNATURE)?)
            .ok()
            .filter(|s| s.len() == 64)
            .ok_or(AuthError::Malformed(SIGNATURE))?;
        Ok(RequestAuth {
            device,
            time,
            nonce,
            signature,
        })
    }

    /// Checks the signature with the device's key and the time against `now`; the caller
    /// then accepts the nonce once (remembered for [`NONCE_TTL_MS`]). `body` is the SHA-256 of
    /// the body as received ([`body_digest`]).
    pub fn verify(
        &self,
        key: &VerifyingKey,
        method: &str,
        path: &str,
        body: [u8; 32],
        now: Timestamp,
    ) -> Result<(), AuthError> {
        let bytes = covered(&self.device, method, path, self.time, self.nonce, body);
        verify_bytes(key, &bytes, &self.signature).map_err(|_| AuthError::BadSignature)?;
        self.check_time(now)
    }

    /// Checks the request's time against `now` alone: what a server can refuse by before it
    /// reads a body (the signature over the time is checked by [`RequestAuth::verify`]).
    pub fn check_time(&self, now: Timestamp) -> Result<(), AuthError> {
        let skew_ms = self.time.0 - now.0;
        if skew_ms.abs() > MAX_SKEW_MS {
            return Err(AuthError::Skew { skew_ms });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: Timestamp = Timestamp(1_795_000_000_000);

    fn signed(body: &[u8], time: Timestamp, nonce: u8) -> (SigningKey, RequestAuth) {
        let key = SigningKey::from_bytes(&[4; 32]);
        let a = RequestAuth::sign(
            "tablet-a",
            &key,
            "POST",
            "/v1/entries",
            body,
            time,
            [nonce; 16],
        );
        (key, a)
    }

    fn round_trip(a: &RequestAuth) -> RequestAuth {
        let headers = a.headers();
        RequestAuth::from_headers(|h| {
            headers
                .iter()
                .find(|(k, _)| *k == h)
                .map(|(_, v)| v.as_str())
        })
        .unwrap()
    }

    #[test]
    fn a_signed_request_verifies() {
        let (key, a) = signed(b"{}", NOW, 1);
        let a = round_trip(&a);
        a.verify(
            &key.verifying_key(),
            "POST",
            "/v1/entries",
            body_digest(b"{}"),
            NOW,
        )
        .unwrap();
        assert_eq!(AuthError::Replay.status(), 409);
    }

    #[test]
    fn any_change_to_the_request_breaks_the_signature() {
        let (key, a) = signed(b"{}", NOW, 1);
        let k = key.verifying_key();
        for (method, path, body) in [
            ("PUT", "/v1/entries", &b"{}"[..]),
            ("POST", "/v1/entries?x=1", b"{}"),
            ("POST", "/v1/entries", b"{ }"),
        ] {
            assert_eq!(
                a.verify(&k, method, path, body_digest(body), NOW),
                Err(AuthError::BadSignature)
            );
        }
        let mut other = a.clone();
        other.device = "tablet-b".into();
        assert_eq!(
            other.verify(&k, "POST", "/v1/entries", body_digest(b"{}"), NOW),
            Err(AuthError::BadSignature)
        );
        let stranger = SigningKey::from_bytes(&[5; 32]).verifying_key();
        assert_eq!(
            a.verify(&stranger, "POST", "/v1/entries", body_digest(b"{}"), NOW),
            Err(AuthError::BadSignature)
        );
    }

    #[test]
    fn stale_or_future_requests_are_refused() {
        let late = Timestamp(NOW.0 - MAX_SKEW_MS - 1);
        let (key, a) = signed(b"", late, 1);
        assert!(matches!(
            a.verify(
                &key.verifying_key(),
                "POST",
                "/v1/entries",
                body_digest(b""),
                NOW
            ),
            Err(AuthError::Skew { .. })
        ));
    }

    #[test]
    fn missing_or_malformed_headers_are_named() {
        let (_, a) = signed(b"", NOW, 1);
        let headers = a.headers();
        for skip in [DEVICE, TIME, NONCE, SIGNATURE] {
            let r = RequestAuth::from_headers(|h| {
                headers
                    .iter()
                    .find(|(k, _)| *k == h && h != skip)
                    .map(|(_, v)| v.as_str())
            });
            assert_eq!(r, Err(AuthError::Missing(skip)));
        }
        let r = RequestAuth::from_headers(|h| match h {
            NONCE => Some("zz"),
            _ => headers
                .iter()
                .find(|(k, _)| *k == h)
                .map(|(_, v)| v.as_str()),
        });
        assert_eq!(r, Err(AuthError::Malformed(NONCE)));
    }

    #[test]
    fn a_nonce_past_its_ttl_belongs_to_a_request_the_clock_refuses() {
        // A server forgets nonces of requests timed before now - NONCE_TTL_MS; such a request
        // replayed then, or after the server clock stepped back by up to MAX_SKEW_MS, fails.
        let (_, a) = signed(b"", Timestamp(NOW.0 - NONCE_TTL_MS - 1), 1);
        for back in [0, MAX_SKEW_MS / 2, MAX_SKEW_MS] {
            assert!(matches!(
                a.check_time(Timestamp(NOW.0 - back)),
                Err(AuthError::Skew { .. })
            ));
        }
    }

    #[test]
    fn device_ids_are_what_a_header_carries_back_unchanged() {
        for ok in ["device-1a2b3c4d", "tablet_A.2", &"x".repeat(MAX_DEVICE_ID)] {
            assert!(is_device_id(ok), "{ok}");
        }
        for bad in [
            "",
            "平板一",
            "tablet a",
            "tab\tlet",
            &"x".repeat(MAX_DEVICE_ID + 1),
        ] {
            assert!(!is_device_id(bad), "{bad}");
        }
        let (_, a) = signed(b"", NOW, 1);
        let headers = a.headers();
        let r = RequestAuth::from_headers(|h| match h {
            DEVICE => Some("tablet a"),
            _ => headers
                .iter()
                .find(|(k, _)| *k == h)
                .map(|(_, v)| v.as_str()),
        });
        assert_eq!(r, Err(AuthError::Malformed(DEVICE)));
    }
}
