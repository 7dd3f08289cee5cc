//! Canonical, versioned encoding of everything that is signed.
//!
//! Bytes are `tag (8 bytes: 6-byte kind + 2-byte version) || postcard(value)`. Postcard's wire
//! format is specified and stable since 1.0, so an outsider can parse these bytes from the spec.
//! Decoding refuses trailing bytes and any encoding that does not re-encode to the same bytes, so
//! one value has exactly one accepted encoding and a hash of the bytes is a hash of the value.
//! Known-answer tests in each module freeze the bytes.

use serde::{Serialize, de::DeserializeOwned};
use sha2::{Digest, Sha256};

use crate::IdentityError;

/// What kind of signed object, and which version of its layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tag(pub [u8; 8]);

impl Tag {
    /// A tag from a 6-byte kind and a version.
    pub const fn new(kind: &[u8; 6], version: u16) -> Tag {
        let v = version.to_be_bytes();
        Tag([
            kind[0], kind[1], kind[2], kind[3], kind[4], kind[5], v[0], v[1],
        ])
    }
}

/// Encodes a value under its tag.
pub fn encode<T: Serialize>(tag: Tag, value: &T) -> Vec<u8> {
    // Serialising our own plain structs into a Vec cannot fail.
    postcard::to_extend(value, tag.0.to_vec())
        .unwrap_or_else(|e| unreachable!("postcard encoding of a plain struct: {e}"))
}

/// Decodes bytes that must carry `tag` and be the canonical encoding of the value.
pub fn decode<T: Serialize + DeserializeOwned>(tag: Tag, bytes: &[u8]) -> Result<T, IdentityError> {
    let body = bytes
        .strip_prefix(&tag.0)
        .ok_or_else(|| IdentityError::Encoding(format!("expected tag {:?}", tag.0)))?;
    let (value, rest): (T, &[u8]) =
        postcard::take_from_bytes(body).map_err(|e| IdentityError::Encoding(e.to_string()))?;
    if !rest.is_empty() {
        return Err(IdentityError::Encoding(format!(
            "{} trailing bytes",
            rest.len()
        )));
    }
    // Compared byte by byte as it is encoded again, nothing allocated: every entry a sync
    // sends or receives is decoded here.
    if postcard::serialize_with_flavor(&value, Same(body)).is_err() {
        return Err(IdentityError::Encoding("non-canonical encoding".into()));
    }
    Ok(value)
}

/// A postcard output that holds nothing: it fails at the first byte that differs from, or
/// goes beyond, the bytes it was made with, and at the end unless it has reached their end.
struct Same<'a>(&'a [u8]);

impl postcard::ser_flavors::Flavor for Same<'_> {
    type Output = ();

    fn try_extend(&mut self, data: &[u8]) -> postcard::Result<()> {
        match self.0.strip_prefix(data) {
            Some(rest) => {
                self.0 = rest;
                Ok(())
            }
            None => Err(postcard::Error::SerializeBufferFull),
        }
    }

    fn try_push(&mut self, data: u8) -> postcard::Result<()> {
        self.try_extend(&[data])
    }

    fn finalize(self) -> postcard::Result<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(postcard::Error::SerializeBufferFull)
        }
    }
}

/// SHA-256 of some bytes.
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Sample {
        n: u32,
        s: String,
    }

    const TAG: Tag = Tag::new(b"QCTEST", 1);

    #[test]
    fn round_trip_and_known_bytes() {
        let v = Sample {
            n: 300,
            s: "执法".into(),
        };
        let bytes = encode(TAG, &v);
        assert_eq!(hex::encode(&bytes), "5143544553540001ac0206e689a7e6b395");
        assert_eq!(decode::<Sample>(TAG, &bytes).unwrap(), v);
    }

    #[test]
    fn wrong_tag_trailing_and_non_canonical_bytes_are_refused() {
        let bytes = encode(
            TAG,
            &Sample {
                n: 1,
                s: "a".into(),
            },
        );
        assert!(decode::<Sample>(Tag::new(b"QCTEST", 2), &bytes).is_err());
        let mut trailing = bytes.clone();
        trailing.push(0);
        assert!(decode::<Sample>(TAG, &trailing).is_err());
        // 1 as an over-long varint (0x81 0x00) decodes to the same value but is not canonical.
        let mut overlong = TAG.0.to_vec();
        overlong.extend_from_slice(&[0x81, 0x00, 0x01, b'a']);
        assert!(decode::<Sample>(TAG, &overlong).is_err());
        assert!(decode::<Sample>(TAG, &bytes[..bytes.len() - 1]).is_err());
    }

    #[test]
    fn an_encoding_is_the_same_only_when_every_byte_is() {
        let v = Sample {
            n: 300,
            s: "执法".into(),
        };
        let body = postcard::to_allocvec(&v).unwrap();
        let same = |bytes: &[u8]| postcard::serialize_with_flavor(&v, Same(bytes)).is_ok();
        assert!(same(&body));
        assert!(!same(&body[..body.len() - 1]), "bytes that end early");
        assert!(!same(&[body.as_slice(), &[0]].concat()), "bytes that go on");
        let mut changed = body.clone();
        changed[3] ^= 1;
        assert!(!same(&changed), "a byte that differs");
    }
}
