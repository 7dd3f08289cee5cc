//! Checkpoints as [C2SP tlog-checkpoint] bodies in [C2SP signed notes], signed with Ed25519.
//!
//! A note is its body (lines ending in `\n`), a blank line, then one line per signature:
//! `— <key name> <base64(key id ‖ signature)>`. The key id is the first 4 bytes of
//! `SHA-256(key name ‖ 0x0A ‖ 0x01 ‖ public key)`; 0x01 marks Ed25519. Go's `sumdb/note`,
//! litetlog witnesses and Sigsum tooling read and write the same text.
//!
//! The envelope is implemented here rather than with the `signed_note` crate: its published
//! version (0.2) takes ed25519-dalek 2 keys and would compile a second Ed25519 stack beside the
//! workspace's ed25519-dalek 3. The checkpoint body is `tlog_tiles::Checkpoint`'s.
//!
//! [C2SP tlog-checkpoint]: https://c2sp.org/tlog-checkpoint
//! [C2SP signed notes]: https://c2sp.org/signed-note

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

use crate::{Hash, TlogError};

/// Signature type byte of Ed25519 in key ids and verifier keys.
const ALG_ED25519: u8 = 0x01;
/// Notes beyond this are refused unread (the Go implementation's limit).
const MAX_NOTE_LEN: usize = 1_000_000;
/// Signature lines beyond this are refused (the Go implementation's limit).
const MAX_SIGNATURES: usize = 100;
/// Starts every signature line: an em dash and a space.
const SIG_PREFIX: &str = "\u{2014} ";

/// A C2SP tlog-checkpoint: the log's origin line, size, root and extension lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteCheckpoint {
    /// The log's name, unique to it (for example `quancheng.example/station-1`).
    pub origin: String,
    /// Number of leaves.
    pub size: u64,
    /// RFC 6962 root.
    pub root: Hash,
    /// Further lines, each non-empty (for example a timestamp); usually none.
    pub extensions: Vec<String>,
}

impl NoteCheckpoint {
    /// The checkpoint text (the note's body), refused if a line would break the format.
    pub fn body(&self) -> Result<String, TlogError> {
        let lines = std::iter::once(&self.origin).chain(&self.extensions);
        for line in lines {
            if line.is_empty() || line.chars().any(|c| c.is_ascii_control()) {
                return Err(TlogError::MalformedNote(
                    "an empty origin or extension line, or a control character",
                ));
            }
        }
        let extension: String = self.extensions.iter().map(|e| format!("{e}\n")).collect();
        let checkpoint = tlog_tiles::Checkpoint::new(
            &self.origin,
            self.size,
            tlog_tiles::Hash(self.root),
            &extension,
        )
        .map_err(|_| TlogError::MalformedNote("not a checkpoint"))?;
        String::from_utf8(checkpoint.to_bytes()).map_err(|_| TlogError::MalformedNote("not UTF-8"))
    }

    /// Parses a checkpoint body (strictly: canonical size, 32-byte root, final newline).
    pub fn parse_body(body: &str) -> Result<Self, TlogError> {
        let c = tlog_tiles::Checkpoint::from_bytes(body.as_bytes())
            .map_err(|_| TlogError::MalformedNote("not a checkpoint"))?;
        Ok(NoteCheckpoint {
            origin: c.origin().to_owned(),
            size: c.size(),
            root: c.hash().0,
            extensions: c.extension().lines().map(str::to_owned).collect(),
        })
    }

    /// The signed note: the body signed by `key` under `key_name`.
    ///
    /// Fallible, unlike a plain formatter, because an origin or extension that breaks the format
    /// would make a note nobody can open.
    pub fn sign(&self, key_name: &str, key: &SigningKey) -> Result<String, TlogError> {
        sign_note(&self.body()?, key_name, key)
    }

    /// The checkpoint in `note`, once its signature by `key` named `key_name` verifies.
    /// Signatures by other keys (witness cosignatures) are ignored, as the spec says.
    pub fn open(note: &str, key_name: &str, key: &VerifyingKey) -> Result<Self, TlogError> {
        Self::parse_body(&open_note(note, key_name, key)?)
    }
}

/// Whether `name` may name a key: non-empty, no whitespace, no `+`.
fn valid_key_name(name: &str) -> bool {
    !name.is_empty() && !name.chars().any(|c| c.is_whitespace() || c == '+')
}

fn check_key_name(name: &str) -> Result<(), TlogError> {
    if valid_key_name(name) {
        Ok(())
    } else {
        Err(TlogError::BadKey(name.to_owned()))
    }
}

/// The key id of an Ed25519 key named `name`: SHA-256(name ‖ 0x0A ‖ 0x01 ‖ key)[..4].
pub fn key_id(name: &str, key: &VerifyingKey) -> [u8; 4] {
    let digest = Sha256::new()
        .chain_update(name.as_bytes())
        .chain_update([b'\n', ALG_ED25519])
        .chain_update(key.as_bytes())
        .finalize();
    [digest[0], digest[1], digest[2], digest[3]]
}

/// The verifier key string Go tooling reads: `<name>+<key id in hex>+<base64(0x01 ‖ key)>`.
pub fn vkey(name: &str, key: &VerifyingKey) -> String {
    let mut encoded = vec![ALG_ED25519];
    encoded.extend_from_slice(key.as_bytes());
    let id = key_id(name, key);
    format!(
        "{name}+{:02x}{:02x}{:02x}{:02x}+{}",
        id[0],
        id[1],
        id[2],
        id[3],
        STANDARD.encode(encoded)
    )
}

/// The name and key of a verifier key string made by [`vkey`] (or Go's `note.NewVerifier` input).
pub fn parse_vkey(vkey: &str) -> Result<(String, VerifyingKey), TlogError> {
    let bad = || TlogError::BadKey(vkey.chars().take(200).collect());
    let mut parts = vkey.splitn(3, '+');
    let (Some(name), Some(id_hex), Some(key64)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(bad());
    };
    if !valid_key_name(name) || id_hex.len() != 8 {
        return Err(bad());
    }
    let raw = STANDARD.decode(key64).map_err(|_| bad())?;
    let (&alg, key) = raw.split_first().ok_or_else(bad)?;
    let key: [u8; 32] = key.try_into().map_err(|_| bad())?;
    if alg != ALG_ED25519 {
        return Err(bad());
    }
    let key = VerifyingKey::from_bytes(&key).map_err(|_| bad())?;
    let id = key_id(name, &key);
    let want: String = id.iter().map(|b| format!("{b:02x}")).collect();
    if id_hex != want {
        return Err(bad());
    }
    Ok((name.to_owned(), key))
}

/// Checks the note text rules: UTF-8 (given), no control characters but newlines, a final newline.
fn check_text(text: &str) -> Result<(), TlogError> {
    if text.len() > MAX_NOTE_LEN {
        return Err(TlogError::MalformedNote("too long"));
    }
    if text.chars().any(|c| c.is_ascii_control() && c != '\n') {
        return Err(TlogError::MalformedNote("a control character"));
    }
    if !text.ends_with('\n') {
        return Err(TlogError::MalformedNote("no final newline"));
    }
    Ok(())
}

/// Signs any note body (lines ending in `\n`) with `key` named `key_name`.
pub fn sign_note(body: &str, key_name: &str, key: &SigningKey) -> Result<String, TlogError> {
    check_key_name(key_name)?;
    check_text(body)?;
    if body.contains("\n\n") {
        // The last blank line starts the signatures; one in the body would move it.
        return Err(TlogError::MalformedNote("a blank line in the body"));
    }
    let mut sig = key_id(key_name, &key.verifying_key()).to_vec();
    sig.extend_from_slice(&key.sign(body.as_bytes()).to_bytes());
    Ok(format!(
        "{body}\n{SIG_PREFIX}{key_name} {}\n",
        STANDARD.encode(sig)
    ))
}

/// The body of `note` once its signature by `key` named `key_name` verifies; signatures by other
/// keys are skipped unchecked, a bad one by this key is refused.
pub fn open_note(note: &str, key_name: &str, key: &VerifyingKey) -> Result<String, TlogError> {
    check_key_name(key_name)?;
    check_text(note)?;
    let split = note
        .rfind("\n\n")
        .ok_or(TlogError::MalformedNote("no signature block"))?;
    let (body, signatures) = (&note[..=split], &note[split + 2..]);
    let lines: Vec<&str> = signatures
        .strip_suffix('\n')
        .ok_or(TlogError::MalformedNote("no signature"))?
        .split('\n')
        .collect();
    if lines.len() > MAX_SIGNATURES {
        return Err(TlogError::MalformedNote("too many signatures"));
    }
    let id = key_id(key_name, key);
    let mut verified = false;
    for line in lines {
        let (name, sig) = parse_signature_line(line)?;
        if name != key_name || sig[..4] != id {
            continue;
        }
        let sig = Signature::from_slice(&sig[4..])
            .map_err(|_| TlogError::BadSignature(key_name.to_owned()))?;
        key.verify_strict(body.as_bytes(), &sig)
            .map_err(|_| TlogError::BadSignature(key_name.to_owned()))?;
        verified = true;
    }
    if !verified {
        return Err(TlogError::NotSigned(key_name.to_owned()));
    }
    Ok(body.to_owned())
}

/// A signature line's key name and decoded bytes (key id ‖ signature, at least 5 bytes).
fn parse_signature_line(line: &str) -> Result<(&str, Vec<u8>), TlogError> {
    let bad = TlogError::MalformedNote("a malformed signature line");
    let rest = line.strip_prefix(SIG_PREFIX).ok_or(bad)?;
    let (name, b64) = rest
        .split_once(' ')
        .ok_or(TlogError::MalformedNote("a malformed signature line"))?;
    let sig = STANDARD
        .decode(b64)
        .map_err(|_| TlogError::MalformedNote("a signature that is not base64"))?;
    if !valid_key_name(name) || sig.len() < 5 {
        return Err(TlogError::MalformedNote("a malformed signature line"));
    }
    Ok((name, sig))
}

#[cfg(test)]
mod tests;
