//! Officer and device certificates issued by the bureau root key, the signed revocation list,
//! and their verification.

use std::collections::HashMap;

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use qc_domain::{CertNo, Person, PersonId, Role, Timestamp};
use serde::{Deserialize, Serialize};

use crate::IdentityError;
use crate::canonical::{self, Tag};

const CERT_TAG: Tag = Tag::new(b"QCCERT", 1);
const CRL_TAG: Tag = Tag::new(b"QCCRL_", 1);
const RELEASE_TAG: Tag = Tag::new(b"QCFILE", 1);
/// Domain separation: a signature over a certificate can never be replayed as one over a
/// revocation list, an entry or anything else, because the tag is part of the signed bytes.
const SIG_CONTEXT: &[u8] = b"quancheng-signature-v1\0";

/// Identifier of a certificate: SHA-256 of its canonical bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct CertId(pub [u8; 32]);

impl CertId {
    /// Lowercase hex.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl std::fmt::Display for CertId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&hex::encode(&self.0[..8]))
    }
}

/// Who or what a certificate is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Subject {
    /// A member of the bureau.
    Officer {
        /// Person id.
        person_id: String,
        /// Full name.
        name: String,
        /// 执法证 number, for roles that enforce.
        cert_no: Option<String>,
        /// Role.
        role: Role,
        /// Squad.
        squad: String,
    },
    /// A tablet or other device that records acts.
    Device {
        /// Device id.
        device_id: String,
        /// Squad the device is issued to.
        squad: String,
        /// Human label ("一中队 平板 3").
        label: String,
    },
}

/// The certified content. Its canonical bytes are what the bureau signs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Certificate {
    /// Serial number, unique per issuer.
    pub serial: u64,
    /// The issuer's public key.
    pub issuer: [u8; 32],
    /// The subject.
    pub subject: Subject,
    /// The subject's public key.
    pub public_key: [u8; 32],
    /// Valid from.
    pub not_before: Timestamp,
    /// Valid until.
    pub not_after: Timestamp,
}

impl Certificate {
    /// The person this certificate names, if it is an officer's.
    pub fn person(&self) -> Option<Person> {
        self.subject.person()
    }
}

impl Subject {
    /// An officer's subject for `person`, as a certificate names them.
    pub fn officer(person: &Person) -> Subject {
        Subject::Officer {
            person_id: person.id.0.clone(),
            name: person.name.clone(),
            cert_no: person.cert_no.as_ref().map(|c| c.0.clone()),
            role: person.role,
            squad: person.squad.clone(),
        }
    }

    /// The person this subject names, if it is an officer.
    pub fn person(&self) -> Option<Person> {
        match self {
            Subject::Officer {
                person_id,
                name,
                cert_no,
                role,
                squad,
            } => Some(Person {
                id: PersonId(person_id.clone()),
                name: name.clone(),
                role: *role,
                cert_no: cert_no.clone().map(CertNo),
                squad: squad.clone(),
            }),
            Subject::Device { .. } => None,
        }
    }
}

/// A certificate as issued: canonical bytes and the bureau's signature over them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedCertificate {
    /// Canonical encoding of the [`Certificate`].
    #[serde(serialize_with = "crate::bytes::one")]
    pub bytes: Vec<u8>,
    /// Issuer's signature over the tagged bytes.
    #[serde(serialize_with = "crate::bytes::one")]
    pub signature: Vec<u8>,
}

impl SignedCertificate {
    /// The certificate's id.
    pub fn id(&self) -> CertId {
        CertId(canonical::sha256(&self.bytes))
    }

    /// Decodes the content without checking the signature (for display only).
    pub fn decode_unverified(&self) -> Result<Certificate, IdentityError> {
        canonical::decode(CERT_TAG, &self.bytes)
    }
}

/// One revoked certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revocation {
    /// The certificate.
    pub cert: CertId,
    /// Acts at or after this instant are refused.
    pub revoked_at: Timestamp,
    /// Why (lost tablet, left the bureau...).
    pub reason: String,
}

/// The list of revoked certificates at one moment. Each new list carries every earlier entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevocationList {
    /// The issuer's public key.
    pub issuer: [u8; 32],
    /// Increases with every list issued.
    pub number: u64,
    /// When issued.
    pub issued_at: Timestamp,
    /// Revoked certificates.
    pub revoked: Vec<Revocation>,
}

impl RevocationList {
    /// When this certificate was revoked, if it was.
    pub fn revoked_at(&self, id: &CertId) -> Option<Timestamp> {
        self.revoked
            .iter()
            .filter(|r| &r.cert == id)
            .map(|r| r.revoked_at)
            .min()
    }
}

/// A revocation list as issued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedRevocationList {
    /// Canonical encoding of the [`RevocationList`].
    #[serde(serialize_with = "crate::bytes::one")]
    pub bytes: Vec<u8>,
    /// Issuer's signature.
    #[serde(serialize_with = "crate::bytes::one")]
    pub signature: Vec<u8>,
}

impl SignedRevocationList {
    /// Decodes the list without checking the signature (to compare list numbers before
    /// verifying the newer one).
    pub fn decode_unverified(&self) -> Result<RevocationList, IdentityError> {
        canonical::decode(CRL_TAG, &self.bytes)
    }
}

/// 文件发布 — a file of the bureau's put in force for every tablet (its catalogue, its
/// documents' wording): which, the SHA-256 of its text, when, and the log entry of the
/// administrator's act that imported it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRelease {
    /// The bureau key that released it.
    pub issuer: [u8; 32],
    /// Which file (`catalogue`, `wording`).
    pub kind: String,
    /// The SHA-256 of its text.
    pub digest: [u8; 32],
    /// When it was released.
    pub released_at: Timestamp,
    /// The hash of the entry of the administration act that imported it.
    pub act: [u8; 32],
}

/// A file release as signed by the bureau.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedFileRelease {
    /// Canonical encoding of the [`FileRelease`].
    #[serde(serialize_with = "crate::bytes::one")]
    pub bytes: Vec<u8>,
    /// The bureau's signature.
    #[serde(serialize_with = "crate::bytes::one")]
    pub signature: Vec<u8>,
}

impl SignedFileRelease {
    /// The SHA-256 of its signed bytes: what a device names a release it refused by.
    pub fn digest(&self) -> [u8; 32] {
        use sha2::{Digest as _, Sha256};
        Sha256::digest(&self.bytes).into()
    }
}

/// The exact message a signature covers: the domain-separation context, then the canonical
/// bytes (for batch verification, which takes messages rather than bytes).
pub fn signed_message(bytes: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(SIG_CONTEXT.len() + bytes.len());
    m.extend_from_slice(SIG_CONTEXT);
    m.extend_from_slice(bytes);
    m
}

/// Signs canonical bytes with the domain-separated context.
pub fn sign_bytes(key: &SigningKey, bytes: &[u8]) -> Vec<u8> {
    key.sign(&signed_message(bytes)).to_bytes().to_vec()
}

/// Parses a public key, refusing weak (small-order) keys.
pub fn public_key(bytes: &[u8; 32]) -> Result<VerifyingKey, IdentityError> {
    let key = VerifyingKey::from_bytes(bytes).map_err(|_| IdentityError::BadPublicKey)?;
    if key.is_weak() {
        return Err(IdentityError::WeakKey);
    }
    Ok(key)
}

/// Verifies a signature over canonical bytes (strict: no malleable signatures).
pub fn verify_bytes(
    key: &VerifyingKey,
    bytes: &[u8],
    signature: &[u8],
) -> Result<(), IdentityError> {
    let sig: [u8; 64] = signature
        .try_into()
        .map_err(|_| IdentityError::BadSignature)?;
    key.verify_strict(&signed_message(bytes), &Signature::from_bytes(&sig))
        .map_err(|_| IdentityError::BadSignature)
}

/// The bureau root key (held by the administrator), which certifies officers and devices.
pub struct BureauKey(SigningKey);

impl BureauKey {
    /// The key from its 32-byte secret seed (randomness is the caller's job).
    pub fn from_seed(seed: &[u8; 32]) -> BureauKey {
        BureauKey(SigningKey::from_bytes(seed))
    }

    /// The secret seed, for storing the key encrypted.
    pub fn seed(&self) -> zeroize::Zeroizing<[u8; 32]> {
        zeroize::Zeroizing::new(self.0.to_bytes())
    }

    /// The public key everyone trusts.
    pub fn public(&self) -> [u8; 32] {
        self.0.verifying_key().to_bytes()
    }

    /// Issues a certificate. Refuses weak subject keys and empty validity.
    pub fn issue(
        &self,
        serial: u64,
        subject: Subject,
        public_key: [u8; 32],
        not_before: Timestamp,
        not_after: Timestamp,
    ) -> Result<SignedCertificate, IdentityError> {
        public_key_checked(&public_key)?;
        if not_after <= not_before {
            return Err(IdentityError::EmptyValidity);
        }
        if let Subject::Officer { role, cert_no, .. } = &subject
            && role.enforces()
            && cert_no.as_deref().is_none_or(|n| n.trim().is_empty())
        {
            return Err(IdentityError::MissingCertNo);
        }
        let cert = Certificate {
            serial,
            issuer: self.public(),
            subject,
            public_key,
            not_before,
            not_after,
        };
        let bytes = canonical::encode(CERT_TAG, &cert);
        let signature = sign_bytes(&self.0, &bytes);
        Ok(SignedCertificate { bytes, signature })
    }

    /// Issues the list after `current`: every entry of it, and each of `certs` not revoked yet
    /// revoked from `now` for `reason`. `None` when all of them are revoked already.
    pub fn revoke_more(
        &self,
        current: &RevocationList,
        certs: &[SignedCertificate],
        reason: &str,
        now: Timestamp,
    ) -> Option<(SignedRevocationList, usize)> {
        // The same certificate may be named twice (a directory's and a station's records).
        let mut seen = std::collections::BTreeSet::new();
        let fresh: Vec<Revocation> = certs
            .iter()
            .map(SignedCertificate::id)
            .filter(|id| current.revoked_at(id).is_none() && seen.insert(*id))
            .map(|cert| Revocation {
                cert,
                revoked_at: now,
                reason: reason.trim().into(),
            })
            .collect();
        if fresh.is_empty() {
            return None;
        }
        let added = fresh.len();
        let mut revoked = current.revoked.clone();
        revoked.extend(fresh);
        Some((self.revoke(current.number + 1, now, revoked), added))
    }

    /// Releases a file of `kind` whose text hashes to `digest`, imported by the act logged as
    /// `act`.
    pub fn release(
        &self,
        (kind, digest): (&str, [u8; 32]),
        released_at: Timestamp,
        act: [u8; 32],
    ) -> SignedFileRelease {
        let release = FileRelease {
            issuer: self.public(),
            kind: kind.to_owned(),
            digest,
            released_at,
            act,
        };
        let bytes = canonical::encode(RELEASE_TAG, &release);
        let signature = sign_bytes(&self.0, &bytes);
        SignedFileRelease { bytes, signature }
    }

    /// Issues a revocation list.
    pub fn revoke(
        &self,
        number: u64,
        issued_at: Timestamp,
        revoked: Vec<Revocation>,
    ) -> SignedRevocationList {
        let list = RevocationList {
            issuer: self.public(),
            number,
            issued_at,
            revoked,
        };
        let bytes = canonical::encode(CRL_TAG, &list);
        let signature = sign_bytes(&self.0, &bytes);
        SignedRevocationList { bytes, signature }
    }
}

fn public_key_checked(bytes: &[u8; 32]) -> Result<(), IdentityError> {
    public_key(bytes).map(|_| ())
}

/// What the verifier trusts: the bureau's public key and its latest revocation list.
pub struct TrustAnchor {
    bureau: VerifyingKey,
    revocations: RevocationList,
    issued: Issued,
}

/// Certificates whose bureau signature this anchor checked, with their keys, by id: what a
/// certificate's bytes say and whether the bureau signed them never change, so one check
/// serves every later one of the same bytes and signature (whether it is in force is asked
/// anew each time, [`TrustAnchor::check_valid_at`]). A station checked the same few on every
/// request.
#[derive(Default)]
struct Issued(std::sync::Mutex<HashMap<CertId, CheckedIssue>>);

/// A certificate's signature as checked, what it says, and its key.
type CheckedIssue = (Vec<u8>, Certificate, VerifyingKey);

/// Checked certificates an anchor keeps at most (a bureau's people and devices).
const ISSUED_KEPT: usize = 8192;

impl Issued {
    fn kept(&self) -> std::sync::MutexGuard<'_, HashMap<CertId, CheckedIssue>> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn get(&self, signed: &SignedCertificate, id: &CertId) -> Option<(Certificate, VerifyingKey)> {
        self.kept()
            .get(id)
            .filter(|(signature, _, _)| *signature == signed.signature)
            .map(|(_, cert, key)| (cert.clone(), *key))
    }

    fn keep(&self, signed: &SignedCertificate, id: CertId, cert: &Certificate, key: VerifyingKey) {
        let mut kept = self.kept();
        if kept.len() >= ISSUED_KEPT {
            // All of them: checked again as they come.
            kept.clear();
        }
        kept.insert(id, (signed.signature.clone(), cert.clone(), key));
    }
}

impl TrustAnchor {
    /// Trusts `bureau`, with an optional signed revocation list (checked here).
    pub fn new(
        bureau: [u8; 32],
        crl: Option<&SignedRevocationList>,
    ) -> Result<TrustAnchor, IdentityError> {
        let key = public_key(&bureau)?;
        let revocations = match crl {
            Some(c) => {
                verify_bytes(&key, &c.bytes, &c.signature)?;
                let list: RevocationList = canonical::decode(CRL_TAG, &c.bytes)?;
                if list.issuer != bureau {
                    return Err(IdentityError::WrongIssuer);
                }
                list
            }
            None => RevocationList {
                issuer: bureau,
                number: 0,
                issued_at: Timestamp(0),
                revoked: Vec::new(),
            },
        };
        Ok(TrustAnchor {
            bureau: key,
            revocations,
            issued: Issued::default(),
        })
    }

    /// The trusted bureau public key.
    pub fn bureau_public(&self) -> [u8; 32] {
        self.bureau.to_bytes()
    }

    /// The revocation list in force.
    pub fn revocations(&self) -> &RevocationList {
        &self.revocations
    }

    /// Checks that the certificate was issued by the bureau, and was valid and unrevoked at `at`.
    pub fn verify(
        &self,
        signed: &SignedCertificate,
        at: Timestamp,
    ) -> Result<Certificate, IdentityError> {
        let cert = self.verify_issued(signed)?;
        self.check_valid_at(&signed.id(), &cert, at)?;
        Ok(cert)
    }

    /// Checks that the bureau released a file of `kind` whose text is `text`.
    pub fn verify_release(
        &self,
        signed: &SignedFileRelease,
        (kind, text): (&str, &[u8]),
    ) -> Result<FileRelease, IdentityError> {
        use sha2::{Digest as _, Sha256};
        verify_bytes(&self.bureau, &signed.bytes, &signed.signature)?;
        let release: FileRelease = canonical::decode(RELEASE_TAG, &signed.bytes)?;
        if release.issuer != self.bureau.to_bytes() {
            return Err(IdentityError::WrongIssuer);
        }
        if release.kind != kind || release.digest != <[u8; 32]>::from(Sha256::digest(text)) {
            return Err(IdentityError::OtherFile);
        }
        Ok(release)
    }

    /// Checks only that the bureau issued this certificate (signature, issuer, key strength):
    /// done once per certificate when many acts are checked against it.
    pub fn verify_issued(&self, signed: &SignedCertificate) -> Result<Certificate, IdentityError> {
        self.verify_issued_key(signed).map(|(cert, _)| cert)
    }

    /// As [`Self::verify_issued`], with the certificate's public key; a certificate of the
    /// same bytes and signature checked before by this anchor is not checked again.
    pub fn verify_issued_key(
        &self,
        signed: &SignedCertificate,
    ) -> Result<(Certificate, VerifyingKey), IdentityError> {
        let id = signed.id();
        if let Some(checked) = self.issued.get(signed, &id) {
            return Ok(checked);
        }
        verify_bytes(&self.bureau, &signed.bytes, &signed.signature)?;
        let cert: Certificate = canonical::decode(CERT_TAG, &signed.bytes)?;
        if cert.issuer != self.bureau.to_bytes() {
            return Err(IdentityError::WrongIssuer);
        }
        let key = public_key(&cert.public_key)?;
        self.issued.keep(signed, id, &cert, key);
        Ok((cert, key))
    }

    /// Checks that an issued certificate was within its validity and unrevoked at `at`.
    pub fn check_valid_at(
        &self,
        id: &CertId,
        cert: &Certificate,
        at: Timestamp,
    ) -> Result<(), IdentityError> {
        if at < cert.not_before || at > cert.not_after {
            return Err(IdentityError::NotValidAt {
                at,
                not_before: cert.not_before,
                not_after: cert.not_after,
            });
        }
        if let Some(when) = self.revocations.revoked_at(id)
            && at >= when
        {
            return Err(IdentityError::Revoked { at: when });
        }
        Ok(())
    }
}
