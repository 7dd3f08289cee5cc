//! Byte fields as binary formats carry them best: a binary format (the sync's CBOR) gets one
//! byte string, copied whole; a text format (JSON: bundles, stored rows, older devices) gets
//! the list of numbers it always had, byte for byte the same. For `serialize_with` on fields
//! of `Vec<u8>` (never on a `[u8; N]` of a canonically encoded struct: postcard, not human
//! readable either, would then prefix its length). Reading back needs nothing: serde's own
//! `Vec<u8>` and `[u8; N]` take a CBOR byte string as the sequence of its bytes.

use serde::{Serialize, Serializer};

/// One field of bytes.
pub fn one<T, S>(value: &T, s: S) -> Result<S::Ok, S::Error>
where
    T: AsRef<[u8]> + Serialize + ?Sized,
    S: Serializer,
{
    if s.is_human_readable() {
        value.serialize(s)
    } else {
        s.serialize_bytes(value.as_ref())
    }
}

/// An optional field of bytes.
pub fn optional<T, S>(value: &Option<T>, s: S) -> Result<S::Ok, S::Error>
where
    T: AsRef<[u8]> + Serialize,
    S: Serializer,
{
    match value {
        Some(v) => s.serialize_some(&Compact(v)),
        None => s.serialize_none(),
    }
}

/// A list of byte fields (signatures, hashes).
pub fn each<T, S>(values: &[T], s: S) -> Result<S::Ok, S::Error>
where
    T: AsRef<[u8]> + Serialize,
    S: Serializer,
{
    s.collect_seq(values.iter().map(Compact))
}

/// Bytes serialised by [`one`].
struct Compact<'a, T>(&'a T);

impl<T: AsRef<[u8]> + Serialize> Serialize for Compact<'_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        one(self.0, s)
    }
}

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Signed {
        #[serde(serialize_with = "super::one")]
        bytes: Vec<u8>,
        #[serde(serialize_with = "super::one")]
        hash: [u8; 4],
        #[serde(serialize_with = "super::optional")]
        body: Option<Vec<u8>>,
        #[serde(serialize_with = "super::each")]
        sigs: Vec<Vec<u8>>,
        #[serde(serialize_with = "super::each")]
        path: Vec<[u8; 2]>,
    }

    /// The same struct without the attributes: what JSON looked like before them.
    #[derive(Serialize)]
    struct Plain {
        bytes: Vec<u8>,
        hash: [u8; 4],
        body: Option<Vec<u8>>,
        sigs: Vec<Vec<u8>>,
        path: Vec<[u8; 2]>,
    }

    fn value() -> (Signed, Plain) {
        let bytes: Vec<u8> = (0..200).collect();
        let signed = Signed {
            bytes: bytes.clone(),
            hash: [1, 2, 3, 250],
            body: Some(vec![9; 3]),
            sigs: vec![vec![7; 64], vec![]],
            path: vec![[5, 6], [255, 0]],
        };
        let plain = Plain {
            bytes,
            hash: signed.hash,
            body: signed.body.clone(),
            sigs: signed.sigs.clone(),
            path: signed.path.clone(),
        };
        (signed, plain)
    }

    #[test]
    fn json_is_what_it_was() {
        let (signed, plain) = value();
        let json = serde_json::to_string(&signed).unwrap();
        assert_eq!(json, serde_json::to_string(&plain).unwrap());
        assert!(json.contains(r#""hash":[1,2,3,250]"#), "{json}");
        assert_eq!(serde_json::from_str::<Signed>(&json).unwrap(), signed);
        // A string where bytes belong is refused as before.
        let text = json.replace("[1,2,3,250]", r#""abcd""#);
        assert!(serde_json::from_str::<Signed>(&text).is_err());
    }

    #[test]
    fn cbor_carries_byte_strings_and_reads_back() {
        let (signed, plain) = value();
        let mut cbor = Vec::new();
        ciborium::into_writer(&signed, &mut cbor).unwrap();
        let mut lists = Vec::new();
        ciborium::into_writer(&plain, &mut lists).unwrap();
        // 200 bytes in a byte string: 2 bytes of header; as a list, most take two bytes each.
        let raw = 200 + 4 + 3 + 64 + 4;
        assert!(cbor.len() < raw + 40, "{} bytes for {raw}", cbor.len());
        assert!(lists.len() > raw + 150, "{} bytes as lists", lists.len());
        let back: Signed = ciborium::from_reader(cbor.as_slice()).unwrap();
        assert_eq!(back, signed);
        // What an encoder writing lists sends reads back the same.
        let back: Signed = ciborium::from_reader(lists.as_slice()).unwrap();
        assert_eq!(back, signed);
    }
}
