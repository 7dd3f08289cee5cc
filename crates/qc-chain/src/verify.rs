//! Verification of device feeds: encoding, hash links, signatures (batched), certificates at the
//! time of each act, revocation, role rules, gaps, reordering, replays and forks.
//!
//! The verifier reads only what it is given. It reports every problem it finds, each naming the
//! entry, rather than stopping at the first.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use ed25519_dalek::{Signature, VerifyingKey};
use qc_domain::{Person, PersonId, Role, Timestamp};
use qc_identity::cert::signed_message;
use qc_identity::{CertId, Certificate, SignedCertificate, Subject, TrustAnchor};
use serde::Serialize;

use crate::entry::{Action, Digest, Entry, EntryHead, FeedHead, SignedEntry};

/// Signatures verified together; a failed batch is re-checked one by one to name the bad one.
const BATCH: usize = 256;

/// Something wrong in the feed, naming where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Problem {
    /// Bytes that are not a canonical entry.
    Malformed {
        /// Position in the input.
        index: usize,
        /// Why.
        reason: String,
    },
    /// A signature that does not verify.
    BadSignature {
        /// Position in the input.
        index: usize,
        /// Whose: the device id or the actor's certificate id.
        signer: String,
    },
    /// Fewer (or more) actor signatures than actors.
    SignatureCount {
        /// Position in the input.
        index: usize,
    },
    /// A certificate the entry needs is not in the input.
    UnknownCertificate {
        /// Position in the input.
        index: usize,
        /// Whose: the device id or the certificate id.
        who: String,
    },
    /// A certificate not issued by the bureau, not valid at the time of the act, or revoked.
    Certificate {
        /// Position in the input.
        index: usize,
        /// Whose.
        who: String,
        /// Why (English).
        reason: String,
        /// Why (Chinese).
        reason_zh: String,
    },
    /// An investigation act signed by fewer than two enforcement officers.
    TooFewOfficers {
        /// Position in the input.
        index: usize,
        /// Distinct enforcement officers who signed.
        present: usize,
    },
    /// Someone acted who may not: an assistant in an enforcement act, or a device as a person.
    NotAllowed {
        /// Position in the input.
        index: usize,
        /// Who.
        name: String,
        /// Their role, or "device".
        role: String,
    },
    /// The same person listed twice among the actors.
    DuplicateActor {
        /// Position in the input.
        index: usize,
    },
    /// A device's feed skips positions (an entry was dropped).
    Gap {
        /// The device.
        device: String,
        /// The position expected next.
        expected: u64,
        /// The position found.
        found: u64,
    },
    /// An entry that does not link to the one before it.
    BrokenLink {
        /// The device.
        device: String,
        /// The entry's position.
        seq: u64,
    },
    /// Entries out of order in the feed.
    Reordered {
        /// The device.
        device: String,
        /// The position that came too late.
        seq: u64,
    },
    /// The same entry again.
    Replay {
        /// The device.
        device: String,
        /// Its position.
        seq: u64,
    },
    /// Two different entries at the same position: proof that the device equivocated.
    Fork {
        /// The device.
        device: String,
        /// The position.
        seq: u64,
        /// The first entry seen.
        first: Box<SignedEntry>,
        /// The other.
        second: Box<SignedEntry>,
    },
    /// An act that needs an enforcement officer's signature has none.
    NoOfficer {
        /// Position in the input.
        index: usize,
    },
    /// A workflow act of no known kind: nobody can say who must sign it.
    UnknownAct {
        /// Position in the input.
        index: usize,
        /// The act as named (Chinese description).
        act: String,
    },
    /// An act that nobody signed in a role it needs (e.g. 结案 without a squad leader or
    /// head), whoever signed for the device.
    MissingSigner {
        /// Position in the input.
        index: usize,
        /// The act (Chinese description).
        act: String,
        /// The roles of which one must sign, in Chinese.
        roles: String,
    },
    /// A co-signature on evidence that no other enforcement officer captured with the same
    /// record digest: the pair does not make two officers.
    UnmatchedCosignature {
        /// Position in the input.
        index: usize,
    },
}

impl Problem {
    /// The position in the input of the one entry this is about, when it is about one entry's
    /// own content (its bytes, signatures, signers or act) rather than its place in a feed.
    pub fn entry_index(&self) -> Option<usize> {
        match self {
            Problem::Malformed { index, .. }
            | Problem::BadSignature { index, .. }
            | Problem::SignatureCount { index }
            | Problem::UnknownCertificate { index, .. }
            | Problem::Certificate { index, .. }
            | Problem::TooFewOfficers { index, .. }
            | Problem::NotAllowed { index, .. }
            | Problem::DuplicateActor { index }
            | Problem::NoOfficer { index }
            | Problem::UnknownAct { index, .. }
            | Problem::MissingSigner { index, .. }
            | Problem::UnmatchedCosignature { index } => Some(*index),
            Problem::Gap { .. }
            | Problem::BrokenLink { .. }
            | Problem::Reordered { .. }
            | Problem::Replay { .. }
            | Problem::Fork { .. } => None,
        }
    }

    /// Whether this is about what the entry's hash covers — who acted (a certificate not valid,
    /// revoked or not known), in what role, which act — so the entry is refused however it is
    /// sent; not about how it was sent (its signatures, its body's bytes) or the entries it
    /// pairs with.
    pub fn judges_the_act(&self) -> bool {
        matches!(
            self,
            Problem::Certificate { .. }
                | Problem::UnknownCertificate { .. }
                | Problem::TooFewOfficers { .. }
                | Problem::NotAllowed { .. }
                | Problem::DuplicateActor { .. }
                | Problem::NoOfficer { .. }
                | Problem::UnknownAct { .. }
                | Problem::MissingSigner { .. }
        )
    }

    /// Whether this may come of the way the entry was sent rather than of the entry (a
    /// signature or its body spoiled or left out on the way): sending it again may do.
    pub fn in_transit(&self) -> bool {
        matches!(
            self,
            Problem::Malformed { .. }
                | Problem::BadSignature { .. }
                | Problem::SignatureCount { .. }
        )
    }

    /// What is wrong, in English.
    pub fn en(&self) -> String {
        let n = |i: &usize| i + 1;
        match self {
            Problem::Malformed { index, reason } => {
                format!("entry {} is malformed: {reason}", n(index))
            }
            Problem::BadSignature { index, signer } => {
                format!(
                    "entry {}: the signature of {signer} does not verify",
                    n(index)
                )
            }
            Problem::SignatureCount { index } => {
                format!(
                    "entry {}: signature count differs from its actors",
                    n(index)
                )
            }
            Problem::UnknownCertificate { index, who } => {
                format!("entry {}: the certificate of {who} is missing", n(index))
            }
            Problem::Certificate {
                index, who, reason, ..
            } => {
                format!(
                    "entry {}: the certificate of {who} is invalid: {reason}",
                    n(index)
                )
            }
            Problem::TooFewOfficers { index, present } => format!(
                "entry {}: an investigation act needs two enforcement officers, {present} signed",
                n(index)
            ),
            Problem::NotAllowed { index, name, role } => {
                format!("entry {}: {name} ({role}) may not do this act", n(index))
            }
            Problem::DuplicateActor { index } => {
                format!("entry {}: an actor is listed twice", n(index))
            }
            Problem::Gap {
                device,
                expected,
                found,
            } => format!("device {device}: entry {expected} is missing (next found is {found})"),
            Problem::BrokenLink { device, seq } => {
                format!("device {device}: entry {seq} does not link to the entry before it")
            }
            Problem::Reordered { device, seq } => {
                format!("device {device}: entry {seq} is out of order")
            }
            Problem::Replay { device, seq } => {
                format!("device {device}: entry {seq} appears twice")
            }
            Problem::Fork { device, seq, .. } => format!(
                "device {device}: two different signed entries at position {seq} (fork; both attached)"
            ),
            Problem::NoOfficer { index } => {
                format!("entry {}: no enforcement officer signed this act", n(index))
            }
            Problem::UnknownAct { index, act } => {
                format!("entry {}: unknown act ({act})", n(index))
            }
            Problem::MissingSigner { index, act, roles } => format!(
                "entry {}: {act} needs the signature of one of: {roles}",
                n(index)
            ),
            Problem::UnmatchedCosignature { index } => format!(
                "entry {}: evidence co-signed without another officer's capture of the same item",
                n(index)
            ),
        }
    }

    /// What is wrong, in Chinese.
    pub fn zh(&self) -> String {
        match self {
            Problem::Malformed { index, .. } => format!("第{}条记录格式错误或被篡改", index + 1),
            Problem::BadSignature { index, signer } => {
                format!(
                    "第{}条记录的签名（{signer}）验证失败，内容可能被篡改",
                    index + 1
                )
            }
            Problem::SignatureCount { index } => {
                format!("第{}条记录的签名数与行为人数不符", index + 1)
            }
            Problem::UnknownCertificate { index, who } => {
                format!("第{}条记录所需的证书（{who}）缺失", index + 1)
            }
            Problem::Certificate {
                index,
                who,
                reason_zh,
                ..
            } => {
                format!("第{}条记录：{who} 的证书无效（{reason_zh}）", index + 1)
            }
            Problem::TooFewOfficers { index, present } => format!(
                "第{}条记录为调查取证行为，须两名执法人员签名，实际{present}名",
                index + 1
            ),
            Problem::NotAllowed { index, name, role } => {
                format!("第{}条记录：{name}（{role}）无权实施该执法行为", index + 1)
            }
            Problem::DuplicateActor { index } => format!("第{}条记录重复列出同一行为人", index + 1),
            Problem::Gap {
                device,
                expected,
                found,
            } => format!(
                "设备 {device} 的记录缺失：应为第{expected}号，实际为第{found}号（有记录被删除）"
            ),
            Problem::BrokenLink { device, seq } => {
                format!("设备 {device} 第{seq}号记录与前一条记录的哈希链接不符")
            }
            Problem::Reordered { device, seq } => {
                format!("设备 {device} 第{seq}号记录顺序被调换")
            }
            Problem::Replay { device, seq } => format!("设备 {device} 第{seq}号记录被重复提交"),
            Problem::Fork { device, seq, .. } => format!(
                "设备 {device} 第{seq}号位置存在两条不同的记录（分叉，已附两条记录作为证据）"
            ),
            Problem::NoOfficer { index } => {
                format!("第{}条记录须由执法人员签名，但没有执法人员签名", index + 1)
            }
            Problem::UnknownAct { index, act } => {
                format!("第{}条记录的执法行为无法识别（{act}）", index + 1)
            }
            Problem::MissingSigner { index, act, roles } => {
                format!("第{}条记录（{act}）须由{roles}之一签名，但没有", index + 1)
            }
            Problem::UnmatchedCosignature { index } => format!(
                "第{}条记录：证据的第二名执法人员签名找不到另一名执法人员对同一证据的采集签名",
                index + 1
            ),
        }
    }
}

/// An entry whose signatures and certificates check out, with who signed it.
#[derive(Debug, Clone, Serialize)]
pub struct VerifiedEntry {
    /// Position in the input.
    pub index: usize,
    /// The entry hash.
    pub hash: Digest,
    /// The entry.
    pub entry: Entry,
    /// The people who signed, in order.
    pub signers: Vec<Person>,
}

/// The verifier's findings.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FeedReport {
    /// Entries that verified, in input order.
    pub entries: Vec<VerifiedEntry>,
    /// Everything wrong.
    pub problems: Vec<Problem>,
}

impl FeedReport {
    /// True when nothing is wrong.
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty()
    }
}

/// A certificate as checked against the bureau key: its content and key, or why not.
type CheckedCert = Result<(Certificate, VerifyingKey), String>;

/// Certificates, checked once each against the bureau key.
struct Certs<'a> {
    anchor: &'a TrustAnchor,
    by_id: HashMap<CertId, (SignedCertificate, CheckedCert)>,
    devices: HashMap<String, Vec<CertId>>,
}

impl<'a> Certs<'a> {
    fn new(anchor: &'a TrustAnchor, certs: &[SignedCertificate]) -> Certs<'a> {
        let mut by_id = HashMap::new();
        let mut devices: HashMap<String, Vec<CertId>> = HashMap::new();
        for c in certs {
            let checked = anchor.verify_issued_key(c).map_err(|e| e.to_string());
            if let Ok((
                Certificate {
                    subject: Subject::Device { device_id, .. },
                    ..
                },
                _,
            )) = &checked
            {
                devices.entry(device_id.clone()).or_default().push(c.id());
            }
            by_id.insert(c.id(), (c.clone(), checked));
        }
        Certs {
            anchor,
            by_id,
            devices,
        }
    }

    /// The certificate and key for `id`, valid and unrevoked at `at`.
    fn at(
        &self,
        index: usize,
        id: &CertId,
        who: &str,
        at: Timestamp,
    ) -> Result<(&Certificate, &VerifyingKey), Problem> {
        let (signed, checked) = self
            .by_id
            .get(id)
            .ok_or_else(|| Problem::UnknownCertificate {
                index,
                who: who.to_owned(),
            })?;
        let cert_problem = |reason: String, reason_zh: String| Problem::Certificate {
            index,
            who: who.to_owned(),
            reason,
            reason_zh,
        };
        let (cert, key) = checked
            .as_ref()
            .map_err(|e| cert_problem(e.clone(), "非本局签发或已被篡改".into()))?;
        self.anchor
            .check_valid_at(&signed.id(), cert, at)
            .map_err(|e| cert_problem(e.to_string(), e.message_zh()))?;
        Ok((cert, key))
    }

    /// The device's certificate valid at `at` (a device may have been re-issued one).
    fn device_at(
        &self,
        index: usize,
        device: &str,
        at: Timestamp,
    ) -> Result<(&Certificate, &VerifyingKey), Problem> {
        let ids = self
            .devices
            .get(device)
            .ok_or_else(|| Problem::UnknownCertificate {
                index,
                who: device.to_owned(),
            })?;
        let mut last = None;
        for id in ids {
            match self.at(index, id, device, at) {
                Ok(found) => return Ok(found),
                Err(p) => last = Some(p),
            }
        }
        Err(last.unwrap_or(Problem::UnknownCertificate {
            index,
            who: device.to_owned(),
        }))
    }
}

/// Whose signature: the entry's device, or its actor at this position.
#[derive(Clone, Copy)]
enum Signer {
    Device,
    Actor(usize),
}

/// One signature to check, over the message of the entry at `index`.
struct SigCheck {
    index: usize,
    signer: Signer,
    signature: Signature,
    key: VerifyingKey,
}

/// Verifies feeds of signed entries (any number of devices, in feed order) against the bureau's
/// trust anchor and the certificates given.
pub fn verify_feed(
    anchor: &TrustAnchor,
    certs: &[SignedCertificate],
    entries: &[SignedEntry],
) -> FeedReport {
    verify_feed_after(anchor, certs, &BTreeMap::new(), entries)
}

/// Verifies entries that continue feeds already verified: each device's entries must follow on
/// from its head in `heads` (a device not named starts at seq 1). What the server does with
/// each upload, without re-reading what it accepted before.
pub fn verify_feed_after(
    anchor: &TrustAnchor,
    certs: &[SignedCertificate],
    heads: &BTreeMap<String, FeedHead>,
    entries: &[SignedEntry],
) -> FeedReport {
    verify_feed_after_with(anchor, certs, heads, entries, &[])
}

/// [`verify_feed_after`], with entries accepted `earlier` (any feed, already verified in
/// order) that are consulted only to pair a co-signature with the capture it completes: a
/// second officer often co-signs after the capture went up in an earlier sync.
pub fn verify_feed_after_with(
    anchor: &TrustAnchor,
    certs: &[SignedCertificate],
    heads: &BTreeMap<String, FeedHead>,
    entries: &[SignedEntry],
    earlier: &[SignedEntry],
) -> FeedReport {
    let certs = Certs::new(anchor, certs);
    let earlier_captures: Vec<Decoded> = earlier
        .iter()
        .enumerate()
        .filter_map(|(index, signed)| {
            let entry = signed.entry().ok()?;
            if entry.action != Action::EvidenceAwaitingSecond {
                return None;
            }
            let (sigs, signers) = entry_checks(&certs, index, signed, &entry).ok()?;
            let head = signed.head().ok()?;
            let message = signed_message(&signed.bytes);
            sigs.iter()
                .all(|c| c.key.verify_strict(&message, &c.signature).is_ok())
                .then(|| Decoded {
                    index,
                    hash: signed.hash(),
                    head,
                    entry: Some(entry),
                    signers: Some(signers),
                })
        })
        .collect();
    let mut problems = Vec::new();
    let mut checks = Vec::with_capacity(entries.len() * 3);
    // What each entry's signatures cover, built once per entry (empty for undecodable ones).
    let messages: Vec<Vec<u8>> = entries.iter().map(|e| signed_message(&e.bytes)).collect();
    // Every entry that decodes takes part in the continuity checks; only those whose
    // certificates, roles and signatures all hold are reported as verified.
    let mut decoded: Vec<Decoded> = Vec::with_capacity(entries.len());

    for (index, signed) in entries.iter().enumerate() {
        let decoded_parts = signed.head().and_then(|head| {
            // An elided entry has only its head: its place and the device's signature.
            let entry = (!signed.is_elided()).then(|| signed.entry()).transpose()?;
            Ok((head, entry))
        });
        let (head, entry) = match decoded_parts {
            Ok(parts) => parts,
            Err(e) => {
                problems.push(Problem::Malformed {
                    index,
                    reason: e.to_string(),
                });
                continue;
            }
        };
        let checked = match &entry {
            Some(entry) => entry_checks(&certs, index, signed, entry),
            None => device_check(&certs, index, signed, &head.device, head.time)
                .map(|c| (vec![c], Vec::new()))
                .map_err(|p| vec![p]),
        };
        let signers = match checked {
            Ok((sigs, signers)) => {
                checks.extend(sigs);
                Some(signers)
            }
            Err(p) => {
                problems.extend(p);
                None
            }
        };
        decoded.push(Decoded {
            index,
            hash: signed.hash(),
            head,
            entry,
            signers,
        });
    }

    for (index, signer) in bad_signatures(&checks, &messages) {
        let Some(d) = decoded.iter_mut().find(|d| d.index == index) else {
            continue;
        };
        let signer = match (signer, &d.entry) {
            (Signer::Actor(i), Some(e)) => e.actors[i].to_string(),
            _ => d.head.device.clone(),
        };
        problems.push(Problem::BadSignature { index, signer });
        d.signers = None;
    }
    problems.extend(continuity(&decoded, entries, heads));
    problems.extend(unmatched_cosignatures(&decoded, &earlier_captures));
    let verified = decoded
        .into_iter()
        .filter_map(|d| {
            Some(VerifiedEntry {
                index: d.index,
                hash: d.hash,
                signers: d.signers?,
                entry: d.entry?,
            })
        })
        .collect();
    FeedReport {
        entries: verified,
        problems,
    }
}

/// An entry that decoded (`entry` is `None` when it is elided); `signers` is set when
/// everything about it checked out.
struct Decoded {
    index: usize,
    hash: Digest,
    head: EntryHead,
    entry: Option<Entry>,
    signers: Option<Vec<Person>>,
}

impl Decoded {
    fn verified(&self) -> bool {
        self.signers.is_some()
    }
}

/// Certificates and role rules of one entry; returns its signatures to check and its signers.
/// The device's signature to check, under its certificate valid at `time`.
fn device_check(
    certs: &Certs<'_>,
    index: usize,
    signed: &SignedEntry,
    device: &str,
    time: Timestamp,
) -> Result<SigCheck, Problem> {
    let (_, key) = certs.device_at(index, device, time)?;
    let signature = to_sig(&signed.device_sig).ok_or_else(|| Problem::BadSignature {
        index,
        signer: device.to_owned(),
    })?;
    Ok(SigCheck {
        index,
        signer: Signer::Device,
        signature,
        key: *key,
    })
}

/// A signature's bytes, if they have a signature's length.
fn to_sig(bytes: &[u8]) -> Option<Signature> {
    <[u8; 64]>::try_from(bytes)
        .ok()
        .map(|b| Signature::from_bytes(&b))
}

fn entry_checks(
    certs: &Certs<'_>,
    index: usize,
    signed: &SignedEntry,
    entry: &Entry,
) -> Result<(Vec<SigCheck>, Vec<Person>), Vec<Problem>> {
    let mut problems = Vec::new();
    let mut checks = Vec::new();

    match device_check(certs, index, signed, &entry.device, entry.time) {
        Ok(check) => checks.push(check),
        Err(p) => problems.push(p),
    }

    if signed.actor_sigs.len() != entry.actors.len() {
        problems.push(Problem::SignatureCount { index });
    }
    let mut signers = Vec::new();
    let mut officers = std::collections::BTreeSet::new();
    for (position, (id, sig)) in entry.actors.iter().zip(&signed.actor_sigs).enumerate() {
        let (cert, key) = match certs.at(index, id, &id.to_string(), entry.time) {
            Ok(found) => found,
            Err(p) => {
                problems.push(p);
                continue;
            }
        };
        let Some(person) = cert.person() else {
            problems.push(Problem::NotAllowed {
                index,
                name: id.to_string(),
                role: "device".into(),
            });
            continue;
        };
        if person.role == Role::Assistant && !entry.action.allows_assistant() {
            problems.push(Problem::NotAllowed {
                index,
                name: person.name.clone(),
                role: person.role.zh().into(),
            });
        }
        if person.is_enforcement_officer() {
            officers.insert(person.id.clone());
        }
        match to_sig(sig) {
            Some(signature) => checks.push(SigCheck {
                index,
                signer: Signer::Actor(position),
                signature,
                key: *key,
            }),
            None => problems.push(Problem::BadSignature {
                index,
                signer: id.to_string(),
            }),
        }
        signers.push(person);
    }
    let distinct: std::collections::BTreeSet<_> = entry.actors.iter().collect();
    if distinct.len() != entry.actors.len() {
        problems.push(Problem::DuplicateActor { index });
    }
    match entry.action.signers_required() {
        None => problems.push(Problem::UnknownAct {
            index,
            act: entry.action.zh(),
        }),
        Some(need) => {
            // An officer count already names who is missing.
            if need.officers == 0
                && !need.roles.is_empty()
                && !signers.iter().any(|p| need.counts(p))
            {
                problems.push(Problem::MissingSigner {
                    index,
                    act: entry.action.zh(),
                    roles: need
                        .roles
                        .iter()
                        .map(|r| r.zh())
                        .collect::<Vec<_>>()
                        .join("、"),
                });
            }
            match need.officers {
                0 => {}
                1 if officers.is_empty() => problems.push(Problem::NoOfficer { index }),
                n if officers.len() < n => problems.push(Problem::TooFewOfficers {
                    index,
                    present: officers.len(),
                }),
                _ => {}
            }
        }
    }
    if problems.is_empty() {
        Ok((checks, signers))
    } else {
        Err(problems)
    }
}

/// Batch-verifies all signatures; returns the (entry index, signer) of every bad one.
fn bad_signatures(checks: &[SigCheck], messages: &[Vec<u8>]) -> Vec<(usize, Signer)> {
    let mut bad = Vec::new();
    for chunk in checks.chunks(BATCH) {
        let batch: Vec<&[u8]> = chunk.iter().map(|c| messages[c.index].as_slice()).collect();
        let signatures: Vec<Signature> = chunk.iter().map(|c| c.signature).collect();
        let keys: Vec<VerifyingKey> = chunk.iter().map(|c| c.key).collect();
        if ed25519_dalek::verify_batch(&batch, &signatures, &keys).is_ok() {
            continue;
        }
        for c in chunk {
            if c.key
                .verify_strict(&messages[c.index], &c.signature)
                .is_err()
            {
                bad.push((c.index, c.signer));
            }
        }
    }
    bad
}

/// Evidence signed one officer at a time counts as signed by two only when a verified
/// co-signature and a verified capture name the same record digest and different officers.
fn unmatched_cosignatures<'a>(decoded: &'a [Decoded], earlier: &'a [Decoded]) -> Vec<Problem> {
    let officers_of = |d: &Decoded| -> BTreeSet<PersonId> {
        d.signers
            .iter()
            .flatten()
            .filter(|p| p.is_enforcement_officer())
            .map(|p| p.id.clone())
            .collect()
    };
    // Verified, whole entries of one action.
    let acts = |set: &'a [Decoded], action: Action| {
        set.iter().filter_map(move |d| {
            d.entry
                .as_ref()
                .filter(|e| d.verified() && e.action == action)
                .map(|e| (d, e))
        })
    };
    let captures: Vec<(&Digest, BTreeSet<PersonId>)> =
        acts(decoded, Action::EvidenceAwaitingSecond)
            .chain(acts(earlier, Action::EvidenceAwaitingSecond))
            .flat_map(|(d, e)| {
                let who = officers_of(d);
                e.records.iter().map(move |r| (r, who.clone()))
            })
            .collect();
    acts(decoded, Action::EvidenceCosigned)
        .filter(|(d, e)| {
            let cosigners = officers_of(d);
            !e.records.iter().all(|r| {
                captures
                    .iter()
                    .any(|(c, first)| *c == r && !first.is_subset(&cosigners))
            }) || e.records.is_empty()
        })
        .map(|(d, _)| Problem::UnmatchedCosignature { index: d.index })
        .collect()
}

/// Feed continuity per device: order, gaps, links, replays and forks.
fn continuity(
    decoded: &[Decoded],
    raw: &[SignedEntry],
    heads: &BTreeMap<String, FeedHead>,
) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut by_device: BTreeMap<&str, Vec<&Decoded>> = BTreeMap::new();
    for d in decoded {
        by_device.entry(d.head.device.as_str()).or_default().push(d);
    }
    for (device, feed) in by_device {
        let mut highest = 0;
        let mut by_seq: BTreeMap<u64, &Decoded> = BTreeMap::new();
        for d in &feed {
            let seq = d.head.seq;
            match by_seq.get(&seq) {
                Some(first) if first.hash == d.hash => problems.push(Problem::Replay {
                    device: device.into(),
                    seq,
                }),
                // Two validly signed entries at one position prove equivocation.
                Some(first) if first.verified() && d.verified() => problems.push(Problem::Fork {
                    device: device.into(),
                    seq,
                    first: Box::new(raw[first.index].clone()),
                    second: Box::new(raw[d.index].clone()),
                }),
                // A forged duplicate is already reported as such; keep the genuine one.
                Some(first) => {
                    if d.verified() && !first.verified() {
                        by_seq.insert(seq, d);
                    }
                }
                None => {
                    if seq < highest {
                        problems.push(Problem::Reordered {
                            device: device.into(),
                            seq,
                        });
                    }
                    by_seq.insert(seq, d);
                }
            }
            highest = highest.max(seq);
        }
        let start = heads.get(device).copied().unwrap_or_default();
        let mut expected = start.seq + 1;
        let mut prev_hash = start.hash;
        for (&seq, d) in &by_seq {
            if seq != expected {
                problems.push(Problem::Gap {
                    device: device.into(),
                    expected,
                    found: seq,
                });
            } else if d.head.prev != prev_hash {
                problems.push(Problem::BrokenLink {
                    device: device.into(),
                    seq,
                });
            }
            expected = seq + 1;
            prev_hash = d.hash;
        }
    }
    problems
}
