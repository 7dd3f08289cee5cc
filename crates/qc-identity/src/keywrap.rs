//! Officer private keys at rest: wrapped by a key derived from the officer's PIN (Argon2id),
//! sealed with ChaCha20-Poly1305, with a retry limit and lock-out.
//!
//! A PIN has little entropy, so the wrapping alone does not stop an offline guesser who has the
//! file: it sits inside the encrypted store, and the lock-out counts tries made through the app.

use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Nonce};
use ed25519_dalek::SigningKey;
use qc_domain::Timestamp;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::IdentityError;

/// Argon2id cost parameters, stored with the wrapped key so they can be raised later.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct KdfParams {
    /// Memory in KiB.
    pub m_kib: u32,
    /// Passes.
    pub t: u32,
    /// Lanes.
    pub p: u32,
}

impl KdfParams {
    /// What keys are wrapped at now: RFC 9106's second recommended option (64 MiB, 3 passes, 4
    /// lanes), the most a mid-range tablet bears at sign-in (docs/benchmarks.md); the lanes run
    /// on separate threads.
    pub const CURRENT: KdfParams = KdfParams {
        m_kib: 64 * 1024,
        t: 3,
        p: 4,
    };

    /// What keys were wrapped at before `CURRENT`: OWASP's minimum for Argon2id (19 MiB, 2
    /// passes, 1 lane). Such keys still unlock, and are wrapped again at `CURRENT` when they do.
    pub const OWASP_MINIMUM: KdfParams = KdfParams {
        m_kib: 19 * 1024,
        t: 2,
        p: 1,
    };

    /// Whether a key wrapped at this cost is to be wrapped again at `target`: less memory or
    /// fewer passes. Lanes are left out (they cost a guesser nothing), and a key is never wrapped
    /// down to a lower cost.
    pub fn is_below(&self, target: KdfParams) -> bool {
        self.m_kib < target.m_kib || self.t < target.t
    }
}

/// An officer's signing key, wrapped by their PIN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WrappedKey {
    /// The key's public half (bound into the ciphertext as associated data).
    pub public_key: [u8; 32],
    /// KDF cost.
    pub kdf: KdfParams,
    /// KDF salt.
    pub salt: [u8; 16],
    /// AEAD nonce.
    pub nonce: [u8; 12],
    /// The 32-byte seed, encrypted, with its 16-byte tag.
    pub ciphertext: Vec<u8>,
}

/// Failed PIN attempts and lock-out state, persisted by the caller after every attempt.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PinGuard {
    /// Consecutive wrong PINs.
    pub failures: u32,
    /// Locked until this instant.
    pub locked_until: Option<Timestamp>,
}

/// Wrong PINs allowed before the first lock-out.
pub const ATTEMPTS_BEFORE_LOCKOUT: u32 = 5;
/// Wrong PINs after which only an administrator can re-issue the key.
pub const ATTEMPTS_BEFORE_PERMANENT_LOCK: u32 = 10;
/// First lock-out; doubled for each further wrong PIN.
pub const FIRST_LOCKOUT_MS: i64 = 15 * 60 * 1000;

impl PinGuard {
    /// Whether the key can no longer be unlocked by PIN.
    pub fn permanently_locked(&self) -> bool {
        self.failures >= ATTEMPTS_BEFORE_PERMANENT_LOCK
    }

    /// Tries left before the next lock-out.
    pub fn remaining_before_lockout(&self) -> u32 {
        ATTEMPTS_BEFORE_LOCKOUT.saturating_sub(self.failures)
    }

    fn record_failure(&mut self, now: Timestamp) {
        self.failures += 1;
        if self.failures >= ATTEMPTS_BEFORE_LOCKOUT {
            let doublings = (self.failures - ATTEMPTS_BEFORE_LOCKOUT).min(20);
            self.locked_until = Some(Timestamp(now.0 + (FIRST_LOCKOUT_MS << doublings)));
        }
    }
}

/// Refuses PINs that are easy to guess: shorter than 6 digits, not digits, one repeated digit,
/// a run up or down, or a short repeated pattern.
pub fn check_pin_strength(pin: &str) -> Result<(), IdentityError> {
    let digits: Vec<u8> = pin.bytes().collect();
    if !(6..=12).contains(&digits.len()) || !digits.iter().all(u8::is_ascii_digit) {
        return Err(IdentityError::WeakPin("PIN 须为6至12位数字"));
    }
    let steps: Vec<i16> = digits
        .windows(2)
        .map(|w| i16::from(w[1]) - i16::from(w[0]))
        .collect();
    if steps.iter().all(|&s| s == steps[0]) && matches!(steps[0], -1..=1) {
        return Err(IdentityError::WeakPin("PIN 不能是重复或连续的数字"));
    }
    for period in 1..=digits.len() / 2 {
        if digits.len().is_multiple_of(period)
            && digits.chunks(period).all(|c| c == &digits[..period])
        {
            return Err(IdentityError::WeakPin("PIN 不能是重复的数字组合"));
        }
    }
    Ok(())
}

fn derive(
    pin: &str,
    salt: &[u8; 16],
    kdf: KdfParams,
) -> Result<Zeroizing<[u8; 32]>, IdentityError> {
    let params = Params::new(kdf.m_kib, kdf.t, kdf.p, Some(32))
        .map_err(|e| IdentityError::Kdf(e.to_string()))?;
    let mut out = Zeroizing::new([0u8; 32]);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(pin.as_bytes(), salt, out.as_mut())
        .map_err(|e| IdentityError::Kdf(e.to_string()))?;
    Ok(out)
}

fn aad(public_key: &[u8; 32], kdf: KdfParams) -> Vec<u8> {
    let mut a = b"quancheng-wrapped-key-v1".to_vec();
    a.extend_from_slice(public_key);
    for n in [kdf.m_kib, kdf.t, kdf.p] {
        a.extend_from_slice(&n.to_be_bytes());
    }
    a
}

/// Wraps a signing key under a PIN. `salt` and `nonce` must be fresh random bytes.
pub fn wrap(
    key: &SigningKey,
    pin: &str,
    salt: [u8; 16],
    nonce: [u8; 12],
    kdf: KdfParams,
) -> Result<WrappedKey, IdentityError> {
    check_pin_strength(pin)?;
    seal(key, pin, salt, nonce, kdf)
}

fn seal(
    key: &SigningKey,
    pin: &str,
    salt: [u8; 16],
    nonce: [u8; 12],
    kdf: KdfParams,
) -> Result<WrappedKey, IdentityError> {
    let public_key = key.verifying_key().to_bytes();
    let kek = derive(pin, &salt, kdf)?;
    let cipher = ChaCha20Poly1305::new_from_slice(kek.as_ref())
        .map_err(|e| IdentityError::Kdf(e.to_string()))?;
    let seed = Zeroizing::new(key.to_bytes());
    let ciphertext = cipher
        .encrypt(
            &Nonce::from(nonce),
            Payload {
                msg: seed.as_ref(),
                aad: &aad(&public_key, kdf),
            },
        )
        .map_err(|_| IdentityError::Kdf("encryption failed".into()))?;
    Ok(WrappedKey {
        public_key,
        kdf,
        salt,
        nonce,
        ciphertext,
    })
}

/// Unwraps with a PIN, counting failures in `guard` (which the caller must persist whatever the
/// outcome).
pub fn unwrap(
    wrapped: &WrappedKey,
    pin: &str,
    guard: &mut PinGuard,
    now: Timestamp,
) -> Result<SigningKey, IdentityError> {
    if guard.permanently_locked() {
        return Err(IdentityError::PermanentlyLocked);
    }
    if let Some(until) = guard.locked_until
        && now < until
    {
        return Err(IdentityError::LockedOut { until });
    }
    match try_unwrap(wrapped, pin) {
        Ok(key) => {
            *guard = PinGuard::default();
            Ok(key)
        }
        Err(IdentityError::WrongPin { .. }) => {
            guard.record_failure(now);
            // The PIN that starts a lock-out says so, not "0 tries left".
            match guard.locked_until {
                _ if guard.permanently_locked() => Err(IdentityError::PermanentlyLocked),
                Some(until) if now < until => Err(IdentityError::LockedOut { until }),
                _ => Err(IdentityError::WrongPin {
                    remaining: guard.remaining_before_lockout(),
                }),
            }
        }
        Err(e) => Err(e),
    }
}

/// Unwraps like [`unwrap`]; a key wrapped below `cost` ([`KdfParams::is_below`]) also comes back
/// wrapped again at `cost` under the same PIN, with a fresh salt and nonce from `fresh`, for the
/// caller to store in place of the old one.
pub fn unwrap_upgrading(
    wrapped: &WrappedKey,
    pin: &str,
    guard: &mut PinGuard,
    now: Timestamp,
    cost: KdfParams,
    fresh: impl FnOnce() -> ([u8; 16], [u8; 12]),
) -> Result<(SigningKey, Option<WrappedKey>), IdentityError> {
    let key = unwrap(wrapped, pin, guard, now)?;
    if !wrapped.kdf.is_below(cost) {
        return Ok((key, None));
    }
    let (salt, nonce) = fresh();
    // No strength check: this is the PIN the officer has, just proven, not a new one.
    let upgraded = seal(&key, pin, salt, nonce, cost)?;
    Ok((key, Some(upgraded)))
}

fn try_unwrap(wrapped: &WrappedKey, pin: &str) -> Result<SigningKey, IdentityError> {
    let kek = derive(pin, &wrapped.salt, wrapped.kdf)?;
    let cipher = ChaCha20Poly1305::new_from_slice(kek.as_ref())
        .map_err(|e| IdentityError::Kdf(e.to_string()))?;
    let seed = cipher
        .decrypt(
            &Nonce::from(wrapped.nonce),
            Payload {
                msg: &wrapped.ciphertext,
                aad: &aad(&wrapped.public_key, wrapped.kdf),
            },
        )
        .map(Zeroizing::new)
        .map_err(|_| IdentityError::WrongPin { remaining: 0 })?;
    let seed: [u8; 32] = seed
        .as_slice()
        .try_into()
        .map_err(|_| IdentityError::Encoding("wrapped key is not 32 bytes".into()))?;
    let key = SigningKey::from_bytes(&seed);
    if key.verifying_key().to_bytes() != wrapped.public_key {
        return Err(IdentityError::Encoding(
            "wrapped key does not match its public key".into(),
        ));
    }
    Ok(key)
}
