//! 一案一档 — the case bundle: one file holding a case's Automerge document, the signed entries
//! of every device that touched it, the certificates and revocation list needed to check them,
//! the evidence files, and the table of contents (卷内目录). `docs/bundle-format.md` specifies the
//! container so that an outsider can parse it without this code.
//!
//! [`verify`] checks a bundle offline, from its bytes alone, and reports every problem it finds.

pub mod toc;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};

use ed25519_dalek::VerifyingKey;
use qc_casedoc::CaseDoc;
use qc_chain::{Digest, FeedReport, Problem, SignedEntry, verify_feed};
use qc_domain::Timestamp;
use qc_identity::{SignedCertificate, SignedRevocationList, TrustAnchor};
use qc_log::Receipt;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use thiserror::Error;

pub use toc::{TocItem, table_of_contents};

/// The `format` field of every manifest.
pub const FORMAT: &str = "quancheng-case-bundle";
/// The layout version this code writes and reads.
pub const VERSION: u32 = 1;
/// Largest member read (a bigger one is refused, not read).
pub const MAX_MEMBER_BYTES: u64 = 2 * 1024 * 1024 * 1024;
/// Most members in one bundle.
pub const MAX_MEMBERS: usize = 100_000;

const MANIFEST: &str = "manifest.json";
const DOCUMENT: &str = "case.automerge";
const ENTRIES: &str = "entries.jsonl";
const CERTS: &str = "certificates.jsonl";
const REVOCATIONS: &str = "revocations.json";
const TOC: &str = "toc.json";
const BLOBS: &str = "blobs/";
const RECEIPTS: &str = "receipts.jsonl";

/// Why a bundle could not be written or read at all.
#[derive(Debug, Error)]
pub enum BundleError {
    /// Reading or writing failed.
    #[error("bundle I/O: {0}")]
    Io(#[from] std::io::Error),
    /// Not a bundle: not a tar archive, or no manifest, or not this format.
    #[error("not a Quancheng case bundle: {0}")]
    NotABundle(String),
    /// Over a size limit.
    #[error("bundle member {0} is larger than the limit")]
    TooLarge(String),
    /// A member that cannot be parsed.
    #[error("bundle member {path} is malformed: {reason}")]
    Malformed {
        /// Which member.
        path: String,
        /// Why.
        reason: String,
    },
}

impl BundleError {
    /// The reason in Chinese.
    pub fn message_zh(&self) -> String {
        match self {
            BundleError::Io(_) => "无法读写案卷文件".into(),
            BundleError::NotABundle(_) => "该文件不是全程案卷包（格式无法识别）".into(),
            BundleError::TooLarge(p) => format!("案卷包中的 {p} 超过大小上限"),
            BundleError::Malformed { path, .. } => format!("案卷包中的 {path} 格式错误"),
        }
    }
}

/// A bundle's contents, as written or as read.
#[derive(Debug, Clone, PartialEq)]
pub struct Contents {
    /// The case id.
    pub case: String,
    /// When exported.
    pub exported_at: Timestamp,
    /// The bureau key the exporter trusted.
    pub bureau_public: [u8; 32],
    /// The case's Automerge document.
    pub document: Vec<u8>,
    /// Feeds of every device that touched the case.
    pub entries: Vec<SignedEntry>,
    /// Certificates of the devices and people in the entries.
    pub certificates: Vec<SignedCertificate>,
    /// The bureau's revocation list, if any.
    pub revocations: Option<SignedRevocationList>,
    /// Evidence files by SHA-256.
    pub blobs: BTreeMap<Digest, Vec<u8>>,
    /// The table of contents as stored.
    pub toc: Vec<TocItem>,
    /// The base station's receipts for entries (checkpoint + inclusion proof), by entry hash.
    pub receipts: Vec<(Digest, Receipt)>,
}

#[derive(Serialize, Deserialize)]
struct Manifest {
    format: String,
    version: u32,
    case: String,
    exported_at: Timestamp,
    bureau_public: String,
    files: Vec<FileRecord>,
}

#[derive(Serialize, Deserialize)]
struct FileRecord {
    path: String,
    sha256: String,
    size: u64,
}

#[derive(Serialize, Deserialize)]
struct EntryLine {
    bytes: String,
    device_sig: String,
    actor_sigs: Vec<String>,
}

#[derive(Serialize, Deserialize)]
struct ReceiptLine {
    entry: String,
    receipt: Receipt,
}

#[derive(Serialize, Deserialize)]
struct SignedLine {
    bytes: String,
    signature: String,
}

fn sha256(b: &[u8]) -> Digest {
    Sha256::digest(b).into()
}

fn jsonl<T: Serialize>(items: impl IntoIterator<Item = T>) -> Vec<u8> {
    let mut out = Vec::new();
    for item in items {
        // Plain structs of strings always serialise.
        out.extend(serde_json::to_vec(&item).unwrap_or_default());
        out.push(b'\n');
    }
    out
}

/// Writes a bundle. The table of contents is taken from `contents.toc`.
pub fn write(out: impl Write, contents: &Contents) -> Result<(), BundleError> {
    let mut files: Vec<(String, Vec<u8>)> = vec![
        (DOCUMENT.into(), contents.document.clone()),
        (
            ENTRIES.into(),
            jsonl(contents.entries.iter().map(|e| EntryLine {
                bytes: hex::encode(&e.bytes),
                device_sig: hex::encode(&e.device_sig),
                actor_sigs: e.actor_sigs.iter().map(hex::encode).collect(),
            })),
        ),
        (
            CERTS.into(),
            jsonl(contents.certificates.iter().map(|c| SignedLine {
                bytes: hex::encode(&c.bytes),
                signature: hex::encode(&c.signature),
            })),
        ),
        (
            TOC.into(),
            serde_json::to_vec_pretty(&contents.toc).map_err(|e| malformed(TOC, e))?,
        ),
    ];
    if let Some(r) = &contents.revocations {
        files.push((
            REVOCATIONS.into(),
            serde_json::to_vec(&SignedLine {
                bytes: hex::encode(&r.bytes),
                signature: hex::encode(&r.signature),
            })
            .map_err(|e| malformed(REVOCATIONS, e))?,
        ));
    }
    if !contents.receipts.is_empty() {
        files.push((
            RECEIPTS.into(),
            jsonl(
                contents
                    .receipts
                    .iter()
                    .map(|(entry, receipt)| ReceiptLine {
                        entry: hex::encode(entry),
                        receipt: receipt.clone(),
                    }),
            ),
        ));
    }
    for (hash, bytes) in &contents.blobs {
        files.push((format!("{BLOBS}{}", hex::encode(hash)), bytes.clone()));
    }
    let manifest = Manifest {
        format: FORMAT.into(),
        version: VERSION,
        case: contents.case.clone(),
        exported_at: contents.exported_at,
        bureau_public: hex::encode(contents.bureau_public),
        files: files
            .iter()
            .map(|(path, bytes)| FileRecord {
                path: path.clone(),
                sha256: hex::encode(sha256(bytes)),
                size: bytes.len() as u64,
            })
            .collect(),
    };
    let mut tar = tar::Builder::new(out);
    let manifest = serde_json::to_vec_pretty(&manifest).map_err(|e| malformed(MANIFEST, e))?;
    for (path, bytes) in std::iter::once((MANIFEST.to_owned(), manifest)).chain(files) {
        let mut header = tar::Header::new_ustar();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_mtime((contents.exported_at.0 / 1000).max(0) as u64);
        header.set_cksum();
        tar.append_data(&mut header, &path, bytes.as_slice())?;
    }
    tar.into_inner()?.flush()?;
    Ok(())
}

fn malformed(path: &str, e: impl std::fmt::Display) -> BundleError {
    BundleError::Malformed {
        path: path.into(),
        reason: e.to_string(),
    }
}

fn unhex(path: &str, s: &str) -> Result<Vec<u8>, BundleError> {
    hex::decode(s).map_err(|e| malformed(path, e))
}

/// What reading found besides the contents: members whose bytes do not match the manifest.
#[derive(Debug, Clone, Default)]
pub struct Integrity {
    /// Members whose SHA-256 or size differs from the manifest.
    pub mismatched: Vec<String>,
    /// Members listed in the manifest but absent.
    pub missing: Vec<String>,
    /// Members present but not in the manifest.
    pub unlisted: Vec<String>,
}

/// Reads a bundle, within the size limits. Fails only when the input is not a readable bundle;
/// what is inconsistent inside it is left to [`verify`].
pub fn read(input: impl Read) -> Result<(Contents, Integrity), BundleError> {
    let mut archive = tar::Archive::new(input);
    let mut members: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let entries = archive
        .entries()
        .map_err(|e| BundleError::NotABundle(e.to_string()))?;
    for (n, member) in entries.enumerate() {
        if n >= MAX_MEMBERS {
            return Err(BundleError::TooLarge(format!("{MAX_MEMBERS}+ members")));
        }
        let mut member = member.map_err(|e| BundleError::NotABundle(e.to_string()))?;
        let path = member
            .path()
            .map_err(|e| BundleError::NotABundle(e.to_string()))?
            .to_string_lossy()
            .into_owned();
        let size = member.header().size().map_err(|e| malformed(&path, e))?;
        if size > MAX_MEMBER_BYTES {
            return Err(BundleError::TooLarge(path));
        }
        let mut bytes = Vec::with_capacity(size.min(64 * 1024 * 1024) as usize);
        (&mut member)
            .take(MAX_MEMBER_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| BundleError::NotABundle(e.to_string()))?;
        if members.insert(path.clone(), bytes).is_some() {
            return Err(malformed(&path, "appears twice"));
        }
    }
    let manifest_bytes = members
        .remove(MANIFEST)
        .ok_or_else(|| BundleError::NotABundle("no manifest.json".into()))?;
    let manifest: Manifest = serde_json::from_slice(&manifest_bytes)
        .map_err(|e| BundleError::NotABundle(format!("manifest: {e}")))?;
    if manifest.format != FORMAT {
        return Err(BundleError::NotABundle(format!(
            "format {}",
            manifest.format
        )));
    }
    if manifest.version != VERSION {
        return Err(BundleError::NotABundle(format!(
            "layout version {} (this verifier reads {VERSION})",
            manifest.version
        )));
    }

    let mut integrity = Integrity::default();
    let listed: BTreeSet<&str> = manifest.files.iter().map(|f| f.path.as_str()).collect();
    for f in &manifest.files {
        match members.get(&f.path) {
            None => integrity.missing.push(f.path.clone()),
            Some(b) if hex::encode(sha256(b)) != f.sha256 || b.len() as u64 != f.size => {
                integrity.mismatched.push(f.path.clone())
            }
            Some(_) => {}
        }
    }
    integrity.unlisted = members
        .keys()
        .filter(|p| !listed.contains(p.as_str()))
        .cloned()
        .collect();

    let text = |path: &str| -> Result<String, BundleError> {
        let b = members.get(path).cloned().unwrap_or_default();
        String::from_utf8(b).map_err(|e| malformed(path, e))
    };
    let entries = text(ENTRIES)?
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let e: EntryLine = serde_json::from_str(l).map_err(|e| malformed(ENTRIES, e))?;
            Ok(SignedEntry {
                bytes: unhex(ENTRIES, &e.bytes)?,
                device_sig: unhex(ENTRIES, &e.device_sig)?,
                actor_sigs: e
                    .actor_sigs
                    .iter()
                    .map(|s| unhex(ENTRIES, s))
                    .collect::<Result<_, _>>()?,
            })
        })
        .collect::<Result<Vec<_>, BundleError>>()?;
    let certificates = text(CERTS)?
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let c: SignedLine = serde_json::from_str(l).map_err(|e| malformed(CERTS, e))?;
            Ok(SignedCertificate {
                bytes: unhex(CERTS, &c.bytes)?,
                signature: unhex(CERTS, &c.signature)?,
            })
        })
        .collect::<Result<Vec<_>, BundleError>>()?;
    let revocations = match members.get(REVOCATIONS) {
        Some(b) => {
            let r: SignedLine = serde_json::from_slice(b).map_err(|e| malformed(REVOCATIONS, e))?;
            Some(SignedRevocationList {
                bytes: unhex(REVOCATIONS, &r.bytes)?,
                signature: unhex(REVOCATIONS, &r.signature)?,
            })
        }
        None => None,
    };
    let receipts = text(RECEIPTS)?
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let r: ReceiptLine = serde_json::from_str(l).map_err(|e| malformed(RECEIPTS, e))?;
            let entry: Digest = unhex(RECEIPTS, &r.entry)?
                .try_into()
                .map_err(|_| malformed(RECEIPTS, "entry is not a SHA-256"))?;
            Ok((entry, r.receipt))
        })
        .collect::<Result<Vec<_>, BundleError>>()?;
    // The table of contents is derived from the entries, so an unreadable one is reported by
    // `verify` (as altered and as not matching) rather than stopping the whole check.
    let toc: Vec<TocItem> = members
        .get(TOC)
        .and_then(|b| serde_json::from_slice(b).ok())
        .unwrap_or_default();
    let mut blobs = BTreeMap::new();
    for (path, bytes) in &members {
        if let Some(name) = path.strip_prefix(BLOBS) {
            let hash: Digest = unhex(path, name)?
                .try_into()
                .map_err(|_| malformed(path, "blob name is not a SHA-256"))?;
            blobs.insert(hash, bytes.clone());
        }
    }
    let bureau_public: [u8; 32] = unhex(MANIFEST, &manifest.bureau_public)?
        .try_into()
        .map_err(|_| malformed(MANIFEST, "bureau key is not 32 bytes"))?;
    Ok((
        Contents {
            case: manifest.case,
            exported_at: manifest.exported_at,
            bureau_public,
            document: members.remove(DOCUMENT).unwrap_or_default(),
            entries,
            certificates,
            revocations,
            blobs,
            toc,
            receipts,
        },
        integrity,
    ))
}

/// Something wrong in a bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BundleProblem {
    /// A member whose bytes differ from the manifest.
    Altered {
        /// Which.
        path: String,
    },
    /// A member the manifest lists but the bundle lacks.
    Missing {
        /// Which.
        path: String,
    },
    /// A member the manifest does not list.
    Unlisted {
        /// Which.
        path: String,
    },
    /// The revocation list or trust key is unusable.
    Trust {
        /// Why.
        reason: String,
    },
    /// The case document cannot be read or is another case's.
    Document {
        /// Why.
        reason: String,
    },
    /// A change in the document that no signed entry attests.
    UnattestedChange {
        /// The change hash.
        change: String,
    },
    /// A signed entry commits to a change the document lacks.
    MissingChange {
        /// The entry's device.
        device: String,
        /// Its position.
        seq: u64,
    },
    /// No entry registers the case.
    NoRegistration,
    /// An evidence file an entry refers to is absent or altered.
    MissingBlob {
        /// Its SHA-256.
        hash: String,
    },
    /// A file under blobs/ whose content does not match its name, or that no entry refers to.
    StrayBlob {
        /// Its name.
        hash: String,
    },
    /// The stored table of contents differs from the one the entries prove.
    TableOfContents,
    /// A station receipt that does not prove its entry, or names an entry not in the bundle.
    BadReceipt {
        /// The entry hash.
        entry: String,
        /// Why.
        reason: String,
    },
    /// A problem in the device feeds.
    Feed(Problem),
}

impl BundleProblem {
    /// What is wrong, in English.
    pub fn en(&self) -> String {
        match self {
            BundleProblem::Altered { path } => {
                format!("{path} differs from the manifest (altered)")
            }
            BundleProblem::Missing { path } => format!("{path} is listed but missing"),
            BundleProblem::Unlisted { path } => format!("{path} is not in the manifest"),
            BundleProblem::Trust { reason } => {
                format!("trust key or revocation list unusable: {reason}")
            }
            BundleProblem::Document { reason } => format!("case document unreadable: {reason}"),
            BundleProblem::UnattestedChange { change } => {
                format!("document change {change} is attested by no signed entry")
            }
            BundleProblem::MissingChange { device, seq } => {
                format!("device {device} entry {seq} names a change the document lacks")
            }
            BundleProblem::NoRegistration => "no signed entry registers the case".into(),
            BundleProblem::MissingBlob { hash } => {
                format!("evidence file {hash} is missing or replaced")
            }
            BundleProblem::StrayBlob { hash } => {
                format!("evidence file {hash} does not match its name or is attested by no entry")
            }
            BundleProblem::TableOfContents => {
                "the table of contents differs from what the signed entries prove".into()
            }
            BundleProblem::BadReceipt { entry, reason } => {
                format!("the station receipt for entry {entry} does not hold: {reason}")
            }
            BundleProblem::Feed(p) => p.en(),
        }
    }

    /// What is wrong, in Chinese.
    pub fn zh(&self) -> String {
        match self {
            BundleProblem::Altered { path } => {
                format!("文件 {path} 与清单记载的哈希不符（被修改）")
            }
            BundleProblem::Missing { path } => format!("清单中的文件 {path} 缺失"),
            BundleProblem::Unlisted { path } => format!("文件 {path} 不在清单中"),
            BundleProblem::Trust { reason } => format!("信任根或吊销列表无效：{reason}"),
            BundleProblem::Document { reason } => format!("案卷文档无法读取：{reason}"),
            BundleProblem::UnattestedChange { change } => {
                format!(
                    "案卷文档中的修改 {} 没有任何签名记录证明",
                    &change[..12.min(change.len())]
                )
            }
            BundleProblem::MissingChange { device, seq } => {
                format!("设备 {device} 第{seq}号记录所证明的内容不在案卷文档中")
            }
            BundleProblem::NoRegistration => "没有登记该案件的签名记录".into(),
            BundleProblem::MissingBlob { hash } => {
                format!("证据文件 {} 缺失或被替换", &hash[..12.min(hash.len())])
            }
            BundleProblem::StrayBlob { hash } => {
                format!(
                    "证据文件 {} 内容与名称不符或无记录证明",
                    &hash[..12.min(hash.len())]
                )
            }
            BundleProblem::TableOfContents => "卷内目录与签名记录不符（被修改）".into(),
            BundleProblem::BadReceipt { entry, .. } => {
                format!(
                    "记录 {} 的基站回执无法证明其已入基站日志",
                    &entry[..12.min(entry.len())]
                )
            }
            BundleProblem::Feed(p) => p.zh(),
        }
    }
}

/// Checks each receipt against the station's log key (given, else the one its checkpoint names)
/// and that its entry is in the bundle.
fn check_receipts(
    contents: &Contents,
    trusted_log: Option<[u8; 32]>,
    problems: &mut Vec<BundleProblem>,
) -> ReceiptSummary {
    let (key, source) = match (trusted_log, contents.receipts.first()) {
        (Some(k), _) => (Some(k), Some(KeySource::Given)),
        (None, Some((_, r))) => (
            r.checkpoint.decode_unverified().ok().map(|c| c.log),
            Some(KeySource::FromBundle),
        ),
        (None, None) => (None, None),
    };
    let held: BTreeSet<Digest> = contents.entries.iter().map(SignedEntry::hash).collect();
    let mut verified = BTreeSet::new();
    for (entry, receipt) in &contents.receipts {
        let mut bad = |reason: String| {
            problems.push(BundleProblem::BadReceipt {
                entry: hex::encode(entry),
                reason,
            })
        };
        if !held.contains(entry) {
            bad("no such entry in the bundle".into());
            continue;
        }
        let Some(key) = key.and_then(|k| VerifyingKey::from_bytes(&k).ok()) else {
            bad("no usable log key".into());
            continue;
        };
        match receipt.verify(&key, entry) {
            Ok(_) => {
                verified.insert(*entry);
            }
            Err(e) => bad(e.to_string()),
        }
    }
    ReceiptSummary {
        verified: verified.len(),
        entries: held.len(),
        log_key: key.map(hex::encode),
        log_key_source: source,
    }
}

/// Which bureau key the verification trusted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KeySource {
    /// Given by whoever runs the verifier (e.g. `--bureau`): the proof holds.
    Given,
    /// Taken from the bundle itself: the bundle is consistent, but only a trusted key proves
    /// who issued it.
    FromBundle,
}

/// The verifier's report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The case.
    pub case: String,
    /// When it was exported.
    pub exported_at: Timestamp,
    /// The bureau key trusted (hex).
    pub bureau_key: String,
    /// Where that key came from.
    pub key_source: KeySource,
    /// The table of contents, as the verified entries prove it.
    pub items: Vec<TocItem>,
    /// Entries verified (all devices).
    pub entries_verified: usize,
    /// What the base station's receipts prove.
    pub receipts: ReceiptSummary,
    /// Everything wrong.
    pub problems: Vec<BundleProblem>,
}

/// The entries the base station's receipts prove were in its log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReceiptSummary {
    /// Entries with a receipt that holds.
    pub verified: usize,
    /// Entries in the bundle.
    pub entries: usize,
    /// The station's log key trusted (hex), if any receipt was checked.
    pub log_key: Option<String>,
    /// Where that key came from.
    pub log_key_source: Option<KeySource>,
}

impl Report {
    /// True when everything verifies.
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Checks a read bundle. `trusted` is the bureau key to trust; without it the bundle's own key
/// is used and the report says so. `trusted_log` is the base station's log key for the
/// receipts, likewise.
pub fn verify(
    contents: &Contents,
    integrity: &Integrity,
    trusted: Option<[u8; 32]>,
    trusted_log: Option<[u8; 32]>,
) -> Report {
    let mut problems: Vec<BundleProblem> = Vec::new();
    problems.extend(
        integrity
            .mismatched
            .iter()
            .map(|p| BundleProblem::Altered { path: p.clone() }),
    );
    problems.extend(
        integrity
            .missing
            .iter()
            .map(|p| BundleProblem::Missing { path: p.clone() }),
    );
    problems.extend(
        integrity
            .unlisted
            .iter()
            .map(|p| BundleProblem::Unlisted { path: p.clone() }),
    );

    let (key, key_source) = match trusted {
        Some(k) => (k, KeySource::Given),
        None => (contents.bureau_public, KeySource::FromBundle),
    };
    let feed = match TrustAnchor::new(key, contents.revocations.as_ref()) {
        Ok(anchor) => verify_feed(&anchor, &contents.certificates, &contents.entries),
        Err(e) => {
            problems.push(BundleProblem::Trust {
                reason: e.to_string(),
            });
            FeedReport::default()
        }
    };
    problems.extend(feed.problems.iter().cloned().map(BundleProblem::Feed));
    let case_entries: Vec<_> = feed
        .entries
        .iter()
        .filter(|v| v.entry.case == contents.case)
        .collect();
    if !case_entries
        .iter()
        .any(|v| v.entry.action == qc_chain::Action::CaseRegistered)
    {
        problems.push(BundleProblem::NoRegistration);
    }
    check_document(contents, &case_entries, &mut problems);
    check_blobs(contents, &case_entries, &mut problems);
    let items = table_of_contents(&contents.case, &feed.entries);
    if items != contents.toc {
        problems.push(BundleProblem::TableOfContents);
    }
    let receipts = check_receipts(contents, trusted_log, &mut problems);
    Report {
        case: contents.case.clone(),
        exported_at: contents.exported_at,
        bureau_key: hex::encode(key),
        key_source,
        items,
        entries_verified: feed.entries.len(),
        receipts,
        problems,
    }
}

/// The document must be this case's, every change in it attested by a signed entry, and every
/// signed entry's state present in it.
fn check_document(
    contents: &Contents,
    entries: &[&qc_chain::VerifiedEntry],
    problems: &mut Vec<BundleProblem>,
) {
    let mut doc = match CaseDoc::load(&contents.document, b"verifier") {
        Ok(d) => d,
        Err(e) => {
            problems.push(BundleProblem::Document {
                reason: e.to_string(),
            });
            return;
        }
    };
    match doc.id() {
        Ok(id) if id.0 == contents.case => {}
        Ok(id) => problems.push(BundleProblem::Document {
            reason: format!("document is case {id}, bundle is case {}", contents.case),
        }),
        Err(e) => problems.push(BundleProblem::Document {
            reason: e.to_string(),
        }),
    }
    let attested: BTreeSet<Digest> = entries.iter().flat_map(|v| v.entry.heads.clone()).collect();
    for head in doc.heads_digests() {
        if !attested.contains(&head) {
            problems.push(BundleProblem::UnattestedChange {
                change: hex::encode(head),
            });
        }
    }
    for v in entries {
        if v.entry.heads.iter().any(|h| !doc.has_change(h)) {
            problems.push(BundleProblem::MissingChange {
                device: v.entry.device.clone(),
                seq: v.entry.seq,
            });
        }
    }
}

/// Every evidence file an entry refers to must be present with that hash; every file present
/// must be referred to.
fn check_blobs(
    contents: &Contents,
    entries: &[&qc_chain::VerifiedEntry],
    problems: &mut Vec<BundleProblem>,
) {
    let referenced: BTreeSet<Digest> = entries.iter().flat_map(|v| v.entry.blobs.clone()).collect();
    for hash in &referenced {
        match contents.blobs.get(hash) {
            Some(bytes) if &sha256(bytes) == hash => {}
            _ => problems.push(BundleProblem::MissingBlob {
                hash: hex::encode(hash),
            }),
        }
    }
    for (hash, bytes) in &contents.blobs {
        if !referenced.contains(hash) || &sha256(bytes) != hash {
            problems.push(BundleProblem::StrayBlob {
                hash: hex::encode(hash),
            });
        }
    }
}
