use super::*;

// Known Go-produced values: the example keys and notes of Go's golang.org/x/mod/sumdb/note
// (example_test.go, note_test.go), as quoted in the docs and tests of the signed_note crate
// (cloudflare/azul, crates/signed_note/src/lib.rs). Ed25519 is deterministic, so signing the same
// text with the same seed must give Go's signature byte for byte.
const PETER_SKEY: &str =
    "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
const PETER_VKEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
const ENOCH_VKEY: &str = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
const TEXT: &str = "If you think cryptography is the answer to your problem,\n\
                    then you don't know what your problem is.\n";
const PETER_SIG: &str = "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
const ENOCH_SIG: &str = "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";

fn peter_signing_key() -> SigningKey {
    // The base64 may itself hold '+': the key is everything after the fourth.
    let encoded = PETER_SKEY.splitn(5, '+').nth(4).unwrap();
    let raw = STANDARD.decode(encoded).unwrap();
    assert_eq!(raw[0], ALG_ED25519);
    SigningKey::from_bytes(&raw[1..].try_into().unwrap())
}

#[test]
fn notes_interoperate_with_go_sumdb_note() {
    let key = peter_signing_key();
    let vk = key.verifying_key();
    assert_eq!(vkey("PeterNeumann", &vk), PETER_VKEY);
    assert_eq!(key_id("PeterNeumann", &vk), [0xc7, 0x4f, 0x20, 0xa3]);
    assert_eq!(
        parse_vkey(PETER_VKEY).unwrap(),
        ("PeterNeumann".to_owned(), vk)
    );

    let signed = sign_note(TEXT, "PeterNeumann", &key).unwrap();
    assert_eq!(signed, format!("{TEXT}\n{PETER_SIG}"));
    assert_eq!(open_note(&signed, "PeterNeumann", &vk).unwrap(), TEXT);

    // Co-signed by Enoch: each key sees its own signature and skips the other's.
    let (_, enoch) = parse_vkey(ENOCH_VKEY).unwrap();
    for both in [
        format!("{TEXT}\n{PETER_SIG}{ENOCH_SIG}"),
        format!("{TEXT}\n{ENOCH_SIG}{PETER_SIG}"),
    ] {
        assert_eq!(open_note(&both, "PeterNeumann", &vk).unwrap(), TEXT);
        assert_eq!(open_note(&both, "EnochRoot", &enoch).unwrap(), TEXT);
    }
    let only_enoch = format!("{TEXT}\n{ENOCH_SIG}");
    assert!(matches!(
        open_note(&only_enoch, "PeterNeumann", &vk),
        Err(TlogError::NotSigned(_))
    ));
}

#[test]
fn malformed_verifier_keys_are_refused() {
    for bad in [
        "",
        "PeterNeumann",
        "PeterNeumann+c74f20a3",
        "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a3+AhpC2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10",
        "PeterNeumann+c74f20a3+!!",
    ] {
        assert!(
            matches!(parse_vkey(bad), Err(TlogError::BadKey(_))),
            "{bad:?}"
        );
    }
}

fn station() -> SigningKey {
    SigningKey::from_bytes(&[7; 32])
}

const NAME: &str = "quancheng.example/station-1";

fn checkpoint() -> NoteCheckpoint {
    NoteCheckpoint {
        origin: NAME.to_owned(),
        size: 70_000,
        root: [0xab; 32],
        extensions: vec![],
    }
}

#[test]
fn a_checkpoint_signs_and_opens() {
    let key = station();
    let c = checkpoint();
    let note = c.sign(NAME, &key).unwrap();
    let body = "quancheng.example/station-1\n70000\nq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=\n";
    assert!(note.starts_with(&format!("{body}\n— {NAME} ")), "{note}");
    assert_eq!(
        NoteCheckpoint::open(&note, NAME, &key.verifying_key()).unwrap(),
        c
    );

    let with_ext = NoteCheckpoint {
        extensions: vec!["time 1795000000".to_owned(), "见证".to_owned()],
        ..c
    };
    let note = with_ext.sign(NAME, &key).unwrap();
    assert!(note.starts_with(&format!("{body}time 1795000000\n见证\n\n")));
    assert_eq!(
        NoteCheckpoint::open(&note, NAME, &key.verifying_key()).unwrap(),
        with_ext
    );
    // A witness's cosignature after ours does not get in the way.
    let witness = SigningKey::from_bytes(&[9; 32]);
    let cosigned = format!(
        "{note}{}",
        sign_note(&with_ext.body().unwrap(), "witness.example", &witness)
            .unwrap()
            .rsplit("\n\n")
            .next()
            .unwrap()
    );
    assert_eq!(cosigned.matches('—').count(), 2);
    assert_eq!(
        NoteCheckpoint::open(&cosigned, NAME, &key.verifying_key()).unwrap(),
        with_ext
    );
}

#[test]
fn a_changed_byte_is_refused() {
    let key = station();
    let note = checkpoint().sign(NAME, &key).unwrap();
    let vk = key.verifying_key();
    // The size, the root, the origin, the signature.
    for (from, to) in [
        ("70000", "70001"),
        ("q6ur", "q6us"),
        ("station-1", "station-2"),
    ] {
        let forged = note.replacen(from, to, 1);
        assert!(matches!(
            NoteCheckpoint::open(&forged, NAME, &vk),
            Err(TlogError::BadSignature(_))
        ));
    }
    let sig_start = note.rfind(' ').unwrap() + 10;
    let mut forged = note.clone().into_bytes();
    forged[sig_start] = if forged[sig_start] == b'A' {
        b'B'
    } else {
        b'A'
    };
    let forged = String::from_utf8(forged).unwrap();
    assert!(NoteCheckpoint::open(&forged, NAME, &vk).is_err());
    // Every single-byte change to the body is refused one way or another.
    let body_len = note.find("\n\n").unwrap();
    for i in 0..body_len {
        let mut b = note.clone().into_bytes();
        b[i] ^= 0x01;
        if let Ok(s) = String::from_utf8(b) {
            assert!(NoteCheckpoint::open(&s, NAME, &vk).is_err(), "byte {i}");
        }
    }
}

#[test]
fn a_signature_under_another_key_id_is_ignored() {
    let key = station();
    let other = SigningKey::from_bytes(&[8; 32]);
    // Same name, other key: its key id differs, so it is not taken for ours.
    let note = checkpoint().sign(NAME, &other).unwrap();
    assert!(matches!(
        NoteCheckpoint::open(&note, NAME, &key.verifying_key()),
        Err(TlogError::NotSigned(_))
    ));
    // Our name and key id, but the other key's signature: refused outright.
    let sig_line = note.rsplit("\n\n").next().unwrap();
    let (_, encoded) = sig_line.trim_end().rsplit_once(' ').unwrap();
    let mut raw = STANDARD.decode(encoded).unwrap();
    raw[..4].copy_from_slice(&key_id(NAME, &key.verifying_key()));
    let spoofed = format!(
        "{}\n— {NAME} {}\n",
        checkpoint().body().unwrap(),
        STANDARD.encode(raw)
    );
    assert!(matches!(
        NoteCheckpoint::open(&spoofed, NAME, &key.verifying_key()),
        Err(TlogError::BadSignature(_))
    ));
    // The right key under another name is not ours either.
    let renamed = checkpoint().sign("someone.else", &key).unwrap();
    assert!(matches!(
        NoteCheckpoint::open(&renamed, NAME, &key.verifying_key()),
        Err(TlogError::NotSigned(_))
    ));
}

#[test]
fn malformed_notes_and_checkpoints_are_refused() {
    let key = station();
    let vk = key.verifying_key();
    let note = checkpoint().sign(NAME, &key).unwrap();
    let body = checkpoint().body().unwrap();
    let sig_line = note.rsplit("\n\n").next().unwrap();
    for bad in [
        String::new(),
        body.clone(),
        note.trim_end().to_owned(),
        note.replace('\n', "\r\n"),
        format!("{body}\n"),
        format!("{body}\n{}", sig_line.replacen('—', "-", 1)),
        format!("{body}\n{}", sig_line.replacen(' ', "  ", 1)),
        format!("{body}\n— {NAME} AAAA\n"),
        format!("{body}\n— {NAME} not*base64\n"),
        format!("{body}\n{}", sig_line.repeat(101)),
    ] {
        assert!(
            matches!(
                NoteCheckpoint::open(&bad, NAME, &vk),
                Err(TlogError::MalformedNote(_))
            ),
            "{bad:?}"
        );
    }
    // A blank line moved into the body: the signature no longer covers what is read as body.
    assert!(NoteCheckpoint::open(&format!("{body}\n\n{sig_line}"), NAME, &vk).is_err());
    // Signed, but not a checkpoint.
    for text in [
        "origin\n01\nq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=\n",
        "origin\n1\nq6ur\n",
        "origin\n-1\nq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=\n",
        "origin\n1\n",
        TEXT,
    ] {
        let signed = sign_note(text, NAME, &key).unwrap();
        assert_eq!(open_note(&signed, NAME, &vk).unwrap(), text);
        assert!(matches!(
            NoteCheckpoint::open(&signed, NAME, &vk),
            Err(TlogError::MalformedNote(_))
        ));
    }
    // What would make an unopenable note is refused at signing.
    for c in [
        NoteCheckpoint {
            origin: String::new(),
            ..checkpoint()
        },
        NoteCheckpoint {
            origin: "two\nlines".into(),
            ..checkpoint()
        },
        NoteCheckpoint {
            extensions: vec![String::new()],
            ..checkpoint()
        },
        NoteCheckpoint {
            extensions: vec!["a\tb".into()],
            ..checkpoint()
        },
    ] {
        assert!(matches!(
            c.sign(NAME, &key),
            Err(TlogError::MalformedNote(_))
        ));
    }
    for name in ["", "has space", "has+plus"] {
        assert!(matches!(
            checkpoint().sign(name, &key),
            Err(TlogError::BadKey(_))
        ));
        assert!(matches!(
            NoteCheckpoint::open(&note, name, &vk),
            Err(TlogError::BadKey(_))
        ));
    }
    assert!(matches!(
        sign_note("a\n\nb\n", NAME, &key),
        Err(TlogError::MalformedNote(_))
    ));
}
