//! Certificates, revocation, key wrapping, and the frozen bytes of everything signed.

use ed25519_dalek::SigningKey;
use qc_domain::{Role, Timestamp};

use crate::keywrap::{self, check_pin_strength};
use crate::*;

const DAY: i64 = 86_400_000;
const T0: Timestamp = Timestamp(1_772_409_600_000); // 2026-03-02 00:00 UTC

fn bureau() -> BureauKey {
    BureauKey::from_seed(&[7u8; 32])
}

fn officer_key() -> SigningKey {
    SigningKey::from_bytes(&[1u8; 32])
}

fn officer_subject(role: Role) -> Subject {
    Subject::Officer {
        person_id: "officer-li".into(),
        name: "李明".into(),
        cert_no: role.enforces().then(|| "44010001".into()),
        role,
        squad: "一中队".into(),
    }
}

fn issue(role: Role) -> SignedCertificate {
    bureau()
        .issue(
            1,
            officer_subject(role),
            officer_key().verifying_key().to_bytes(),
            T0,
            Timestamp(T0.0 + 365 * DAY),
        )
        .unwrap()
}

fn anchor(crl: Option<&SignedRevocationList>) -> TrustAnchor {
    TrustAnchor::new(bureau().public(), crl).unwrap()
}

#[test]
fn certificate_bytes_and_signature_are_frozen() {
    let c = issue(Role::EnforcementOfficer);
    assert_eq!(hex::encode(&c.bytes), KAT_CERT_BYTES);
    assert_eq!(hex::encode(&c.signature), KAT_CERT_SIG);
    assert_eq!(c.id().to_hex(), KAT_CERT_ID);
}

#[test]
fn revocation_list_bytes_are_frozen() {
    let crl = bureau().revoke(
        3,
        T0,
        vec![Revocation {
            cert: issue(Role::EnforcementOfficer).id(),
            revoked_at: Timestamp(T0.0 + DAY),
            reason: "平板遗失".into(),
        }],
    );
    assert_eq!(hex::encode(&crl.bytes), KAT_CRL_BYTES);
    assert_eq!(hex::encode(&crl.signature), KAT_CRL_SIG);
}

#[test]
fn a_valid_certificate_verifies_and_names_the_person() {
    let c = issue(Role::EnforcementOfficer);
    let cert = anchor(None).verify(&c, Timestamp(T0.0 + DAY)).unwrap();
    let p = cert.person().unwrap();
    assert_eq!(p.name, "李明");
    assert_eq!(p.role, Role::EnforcementOfficer);
    assert_eq!(p.cert_no.unwrap().0, "44010001");
}

#[test]
fn every_flipped_byte_is_caught() {
    let c = issue(Role::Assistant);
    let a = anchor(None);
    // Checked once and kept by the anchor: a copy with another signature is checked anew.
    assert!(a.verify(&c, Timestamp(T0.0 + DAY)).is_ok());
    for i in 0..c.bytes.len() {
        let mut t = c.clone();
        t.bytes[i] ^= 0x01;
        assert!(a.verify(&t, Timestamp(T0.0 + DAY)).is_err(), "byte {i}");
    }
    for i in 0..c.signature.len() {
        let mut t = c.clone();
        t.signature[i] ^= 0x80;
        assert!(a.verify(&t, Timestamp(T0.0 + DAY)).is_err(), "sig byte {i}");
    }
}

#[test]
fn a_certificate_from_another_key_is_refused() {
    let rogue = BureauKey::from_seed(&[9u8; 32]);
    let c = rogue
        .issue(
            1,
            officer_subject(Role::EnforcementOfficer),
            officer_key().verifying_key().to_bytes(),
            T0,
            Timestamp(T0.0 + DAY),
        )
        .unwrap();
    assert!(matches!(
        anchor(None).verify(&c, T0),
        Err(IdentityError::BadSignature)
    ));
}

#[test]
fn validity_is_checked_at_the_time_of_the_act() {
    let c = issue(Role::EnforcementOfficer);
    let a = anchor(None);
    assert!(matches!(
        a.verify(&c, Timestamp(T0.0 - 1)),
        Err(IdentityError::NotValidAt { .. })
    ));
    assert!(matches!(
        a.verify(&c, Timestamp(T0.0 + 366 * DAY)),
        Err(IdentityError::NotValidAt { .. })
    ));
}

#[test]
fn revoked_certificates_are_refused_from_the_revocation_time() {
    let c = issue(Role::EnforcementOfficer);
    let crl = bureau().revoke(
        1,
        Timestamp(T0.0 + 2 * DAY),
        vec![Revocation {
            cert: c.id(),
            revoked_at: Timestamp(T0.0 + DAY),
            reason: "离职".into(),
        }],
    );
    let a = anchor(Some(&crl));
    // An act before the revocation stays valid; one after is refused.
    assert!(a.verify(&c, Timestamp(T0.0 + DAY - 1)).is_ok());
    assert!(matches!(
        a.verify(&c, Timestamp(T0.0 + DAY)),
        Err(IdentityError::Revoked { .. })
    ));
    // A forged revocation list is refused outright.
    let mut forged = crl.clone();
    forged.bytes[12] ^= 1;
    assert!(TrustAnchor::new(bureau().public(), Some(&forged)).is_err());
}

#[test]
fn weak_keys_are_refused() {
    // The identity point: a small-order key that would accept forged signatures.
    let mut weak = [0u8; 32];
    weak[0] = 1;
    assert!(matches!(
        bureau().issue(
            1,
            officer_subject(Role::EnforcementOfficer),
            weak,
            T0,
            Timestamp(T0.0 + DAY)
        ),
        Err(IdentityError::WeakKey)
    ));
    assert!(matches!(
        TrustAnchor::new(weak, None),
        Err(IdentityError::WeakKey)
    ));
}

#[test]
fn enforcing_certificates_need_a_cert_number_and_a_real_period() {
    let pk = officer_key().verifying_key().to_bytes();
    let mut s = officer_subject(Role::EnforcementOfficer);
    if let Subject::Officer { cert_no, .. } = &mut s {
        *cert_no = None;
    }
    assert!(matches!(
        bureau().issue(1, s, pk, T0, Timestamp(T0.0 + DAY)),
        Err(IdentityError::MissingCertNo)
    ));
    assert!(matches!(
        bureau().issue(1, officer_subject(Role::Assistant), pk, T0, T0),
        Err(IdentityError::EmptyValidity)
    ));
}

// The old cost is cheap, so the PIN and lock-out tests use it; keys in the field still carry it.
fn wrapped(pin: &str) -> WrappedKey {
    keywrap::wrap(
        &officer_key(),
        pin,
        [3; 16],
        [4; 12],
        KdfParams::OWASP_MINIMUM,
    )
    .unwrap()
}

#[test]
fn pin_unwraps_the_key_and_a_wrong_pin_does_not() {
    let w = wrapped("258013");
    let mut g = PinGuard::default();
    let k = keywrap::unwrap(&w, "258013", &mut g, T0).unwrap();
    assert_eq!(k.to_bytes(), officer_key().to_bytes());
    assert!(matches!(
        keywrap::unwrap(&w, "258014", &mut g, T0),
        Err(IdentityError::WrongPin { remaining: 4 })
    ));
    // A right PIN resets the count.
    keywrap::unwrap(&w, "258013", &mut g, T0).unwrap();
    assert_eq!(g, PinGuard::default());
}

#[test]
fn tampered_wrapping_parameters_are_detected() {
    let mut w = wrapped("258013");
    w.kdf.t += 1;
    let mut g = PinGuard::default();
    assert!(keywrap::unwrap(&w, "258013", &mut g, T0).is_err());
}

#[test]
fn five_wrong_pins_lock_out_and_ten_lock_for_good() {
    let w = wrapped("258013");
    let mut g = PinGuard::default();
    for left in (1..5).rev() {
        match keywrap::unwrap(&w, "000001", &mut g, T0) {
            Err(IdentityError::WrongPin { remaining }) => assert_eq!(remaining, left),
            other => panic!("{other:?}"),
        }
    }
    // The fifth says the key is now locked, and until when.
    let until = match keywrap::unwrap(&w, "000001", &mut g, T0) {
        Err(IdentityError::LockedOut { until }) => until,
        other => panic!("{other:?}"),
    };
    assert_eq!(g.locked_until, Some(until));
    // Locked: even the right PIN is refused until the lock ends.
    assert_eq!(until.0 - T0.0, keywrap::FIRST_LOCKOUT_MS);
    assert!(matches!(
        keywrap::unwrap(&w, "258013", &mut g, Timestamp(until.0 - 1)),
        Err(IdentityError::LockedOut { .. })
    ));
    // Each further wrong PIN doubles the lock.
    let mut now = until;
    for _ in 5..9 {
        let _ = keywrap::unwrap(&w, "000001", &mut g, now);
        let next = g.locked_until.unwrap();
        now = next;
    }
    assert_eq!(g.failures, 9);
    assert!(matches!(
        keywrap::unwrap(&w, "000001", &mut g, now),
        Err(IdentityError::PermanentlyLocked)
    ));
    assert!(matches!(
        keywrap::unwrap(&w, "258013", &mut g, Timestamp(now.0 + 1000 * DAY)),
        Err(IdentityError::PermanentlyLocked)
    ));
}

#[test]
fn weak_pins_are_refused() {
    for weak in [
        "12345", "123456", "654321", "111111", "121212", "123123", "12a456", "",
    ] {
        assert!(check_pin_strength(weak).is_err(), "{weak}");
    }
    for ok in ["258013", "907316", "4829105"] {
        assert!(check_pin_strength(ok).is_ok(), "{ok}");
    }
    assert!(matches!(
        keywrap::wrap(
            &officer_key(),
            "000000",
            [0; 16],
            [0; 12],
            KdfParams::CURRENT
        ),
        Err(IdentityError::WeakPin(_))
    ));
}

#[test]
fn wrapped_key_bytes_are_frozen() {
    // Same PIN, salt and nonce always give the same bytes: the KDF and cipher cannot drift.
    let w = wrapped("258013");
    assert_eq!(hex::encode(&w.ciphertext), KAT_WRAPPED);
    assert_eq!(
        (w.kdf.m_kib, w.kdf.t, w.kdf.p),
        (19_456, 2, 1),
        "the old cost of the frozen bytes"
    );
}

#[test]
fn wrapped_key_bytes_at_the_current_cost_are_frozen() {
    let w = keywrap::wrap(
        &officer_key(),
        "258013",
        [3; 16],
        [4; 12],
        KdfParams::CURRENT,
    )
    .unwrap();
    // Four lanes computed on threads give the bytes the specification's sequential order gives.
    assert_eq!(hex::encode(&w.ciphertext), KAT_WRAPPED_CURRENT);
    assert_eq!((w.kdf.m_kib, w.kdf.t, w.kdf.p), (65_536, 3, 4));
}

/// The frozen key of `wrapped_key_bytes_are_frozen`, as a store holds it from before the cost
/// was raised.
fn frozen_old_wrap() -> WrappedKey {
    WrappedKey {
        public_key: officer_key().verifying_key().to_bytes(),
        kdf: KdfParams::OWASP_MINIMUM,
        salt: [3; 16],
        nonce: [4; 12],
        ciphertext: hex::decode(KAT_WRAPPED).unwrap(),
    }
}

#[test]
fn a_key_wrapped_at_the_old_cost_unlocks_and_comes_back_at_the_current_cost() {
    let old = frozen_old_wrap();
    let mut g = PinGuard::default();
    let fresh = || ([5; 16], [6; 12]);
    let (key, upgraded) =
        keywrap::unwrap_upgrading(&old, "258013", &mut g, T0, KdfParams::CURRENT, fresh).unwrap();
    assert_eq!(key.to_bytes(), officer_key().to_bytes());
    let new = upgraded.expect("wrapped again at the current cost");
    assert_eq!(new.kdf, KdfParams::CURRENT);
    assert_eq!((new.salt, new.nonce), ([5; 16], [6; 12]));
    assert_eq!(new.public_key, old.public_key);

    // The new wrap opens with the same PIN, once, and is not wrapped again.
    let never = || -> ([u8; 16], [u8; 12]) { panic!("no second upgrade") };
    let (again, none) =
        keywrap::unwrap_upgrading(&new, "258013", &mut g, T0, KdfParams::CURRENT, never).unwrap();
    assert_eq!(again.to_bytes(), officer_key().to_bytes());
    assert!(none.is_none());
    assert!(matches!(
        keywrap::unwrap(&new, "258014", &mut g, T0),
        Err(IdentityError::WrongPin { remaining: 4 })
    ));
}

#[test]
fn a_wrong_pin_upgrades_nothing_and_is_counted() {
    let mut g = PinGuard::default();
    let never = || -> ([u8; 16], [u8; 12]) { panic!("no upgrade on a wrong PIN") };
    assert!(matches!(
        keywrap::unwrap_upgrading(
            &frozen_old_wrap(),
            "258014",
            &mut g,
            T0,
            KdfParams::CURRENT,
            never
        ),
        Err(IdentityError::WrongPin { remaining: 4 })
    ));
    assert_eq!(g.failures, 1);
}

#[test]
fn only_less_memory_or_fewer_passes_call_for_a_new_wrap() {
    let current = KdfParams::CURRENT;
    assert!(KdfParams::OWASP_MINIMUM.is_below(current));
    assert!(!current.is_below(current));
    assert!(!current.is_below(KdfParams::OWASP_MINIMUM), "never down");
    let fewer_passes = KdfParams { t: 2, ..current };
    assert!(fewer_passes.is_below(current));
    let less_memory = KdfParams {
        m_kib: current.m_kib / 2,
        ..current
    };
    assert!(less_memory.is_below(current));
    let one_lane = KdfParams { p: 1, ..current };
    assert!(!one_lane.is_below(current), "lanes cost a guesser nothing");
}

const KAT_CERT_BYTES: &str = "514343455254000101ea4a6c63e29c520abef5507b132ec5f9954776aebebe7b92421eea691446d22c000a6f6666696365722d6c6906e69d8ee6988e010834343031303030310009e4b880e4b8ade9989f8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c80e0c1bd95678090cbb88069";
const KAT_CERT_SIG: &str = "457bf499d8c6df8263809f2a8729ab6cacb370c1d3c4025400e13af544ecf3f17fdb0bce60457245df62f6a2592c546116f9df7fbe6afa7a11ebc6822981c908";
const KAT_CERT_ID: &str = "9e8eb6174d44c7f50528783ba0da3917a241a89632b834811a12a3ee04ebddfb";
const KAT_CRL_BYTES: &str = "514343524c5f0001ea4a6c63e29c520abef5507b132ec5f9954776aebebe7b92421eea691446d22c0380e0c1bd9567019e8eb6174d44c7f50528783ba0da3917a241a89632b834811a12a3ee04ebddfb80d0f48f96670ce5b9b3e69dbfe98197e5a4b1";
const KAT_CRL_SIG: &str = "334950cbaa4132798b103f140a9ff06a8046758603933c5ddf1b4e89bcbcae284e2630033a2f4de108696c09703e3b39012b8411c7dc4c7a7d26176dbd164102";
const KAT_WRAPPED: &str = "19689100cbc85cd93e7a9512ef3bedae5ee0de3c19546dcc40276bd1c5f946311bfc729f94609889e9ef81b625bead4e";
const KAT_WRAPPED_CURRENT: &str = "ceff2d6320dc4a9e2b2fc00334aee9dc9d1982096a465402852b42b87c618f95d97be6b5744ec4953cac7bb0729ba608";

#[test]
fn a_released_file_verifies_only_with_its_own_text_and_kind() {
    use sha2::{Digest as _, Sha256};
    let text = b"{\"version\": 3}";
    let release = bureau().release(
        ("catalogue", Sha256::digest(text).into()),
        Timestamp(9),
        [7; 32],
    );
    let read = anchor(None)
        .verify_release(&release, ("catalogue", text))
        .unwrap();
    assert_eq!((read.act, read.released_at), ([7; 32], Timestamp(9)));
    let refused = |r: Result<FileRelease, IdentityError>, what: &str| {
        assert!(r.is_err(), "{what}");
    };
    refused(
        anchor(None).verify_release(&release, ("catalogue", b"{\"version\": 4}")),
        "another text",
    );
    refused(
        anchor(None).verify_release(&release, ("wording", text)),
        "another kind",
    );
    let other = BureauKey::from_seed(&[9; 32]).release(
        ("catalogue", Sha256::digest(text).into()),
        Timestamp(9),
        [7; 32],
    );
    refused(
        anchor(None).verify_release(&other, ("catalogue", text)),
        "another bureau",
    );
    let mut forged = release.clone();
    forged.signature[0] ^= 1;
    refused(
        anchor(None).verify_release(&forged, ("catalogue", text)),
        "a changed signature",
    );
}
