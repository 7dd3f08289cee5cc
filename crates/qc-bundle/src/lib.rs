//! 一案一档 — the case bundle: one file holding a case's Automerge document, the signed entries
//! of every device that touched it, the certificates and revocation list needed to check them,
//! the evidence files, and the table of contents (卷内目录). `docs/bundle-format.md` specifies the
//! container so that an outsider can parse it without this code.
//!
//! [`verify`] checks a bundle offline, from its bytes alone, and reports every problem it finds.
//! Every bundle is bound to its export act: the export entry commits to everything else in it
//! ([`export_commitment`]), so a bundle cut back to an earlier state does not verify.
//! [`check_freshness`] compares a bundle with what a base station logged about the case since.

pub mod toc;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};

use ed25519_dalek::VerifyingKey;
use qc_casedoc::CaseDoc;
use qc_chain::{
    Action, Digest, FeedReport, Problem, SignedEntry, VerifiedEntry, case_commitment, verify_feed,
};
use qc_domain::Timestamp;
use qc_identity::{SignedCertificate, SignedRevocationList, TrustAnchor};
use qc_log::{LogError, Receipt, SignedCheckpoint};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use thiserror::Error;

pub use toc::{TocItem, table_of_contents};

/// The `format` field of every manifest.
pub const FORMAT: &str = "quancheng-case-bundle";
/// The layout version this code writes and reads (version 1 bundles were not bound to their
/// export act and are refused).
pub const VERSION: u32 = 2;
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
/// Every member name the format allows besides `blobs/<sha256>`.
const NAMED: [&str; 7] = [
    MANIFEST,
    DOCUMENT,
    ENTRIES,
    CERTS,
    REVOCATIONS,
    TOC,
    RECEIPTS,
];

/// Why a bundle could not be written or read at all.
#[derive(Debug, Error)]
pub enum BundleError {
    /// Reading or writing failed.
    #[error("bundle I/O: {0}")]
    Io(#[from] std::io::Error),
    /// Not a bundle: not a tar archive, or no manifest, or not this format.
    #[error("not a Quancheng case bundle: {0}")]
    NotABundle(String),
    /// A layout version other than [`VERSION`].
    #[error(
        "bundle layout version {0}: this verifier reads version {VERSION} only (version 1 \
         bundles are not bound to their export act, so one cut back to an earlier state would \
         pass; export the case again)"
    )]
    Version(u32),
    /// The tar container breaks the format's rules.
    #[error("bundle container refused: {0}")]
    Container(String),
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
            BundleError::Version(found) if *found < VERSION => format!(
                "该案卷包是旧版（第{found}版）格式，未与导出记录绑定，无法证明没有被删减或回退；请用新版软件重新导出后再核验"
            ),
            BundleError::Version(found) => {
                format!("该案卷包的格式版本（第{found}版）比本程序新，请升级后再核验")
            }
            BundleError::Container(_) => {
                "案卷包的打包方式不合规范（清单须为第一个文件，只能含规定的文件，且须为普通 ustar 格式）"
                    .into()
            }
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
    /// Hash of the export entry the bundle is bound to (one of `entries`).
    pub export: Digest,
}

/// What every version's manifest starts with.
#[derive(Deserialize)]
struct Layout {
    format: String,
    version: u32,
}

#[derive(Serialize, Deserialize)]
struct Manifest {
    format: String,
    version: u32,
    case: String,
    exported_at: Timestamp,
    bureau_public: String,
    export: String,
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
    /// Absent for an entry of the first layout and for an elided one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    body: Option<String>,
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

/// Every member but the manifest, as written, in writing order.
fn members(contents: &Contents) -> Result<Vec<(String, Vec<u8>)>, BundleError> {
    let mut files: Vec<(String, Vec<u8>)> = vec![
        (DOCUMENT.into(), contents.document.clone()),
        (
            ENTRIES.into(),
            jsonl(contents.entries.iter().map(|e| EntryLine {
                bytes: hex::encode(&e.bytes),
                body: e.body.as_ref().map(hex::encode),
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
    Ok(files)
}

/// What an export entry commits to (docs/bundle-format.md, "The export entry"): the SHA-256 of
/// the sorted lines `<path> <sha256>` for every member but the manifest and entries.jsonl, and
/// `entry <hash>` for every entry but the export entry itself.
fn commitment<'a>(
    members: impl IntoIterator<Item = (&'a str, Digest)>,
    entries: &[SignedEntry],
    export: &Digest,
) -> Digest {
    let mut lines: Vec<String> = members
        .into_iter()
        .filter(|(path, _)| *path != MANIFEST && *path != ENTRIES)
        .map(|(path, digest)| format!("{path} {}\n", hex::encode(digest)))
        .chain(
            entries
                .iter()
                .map(SignedEntry::hash)
                .filter(|h| h != export)
                .map(|h| format!("entry {}\n", hex::encode(h))),
        )
        .collect();
    lines.sort();
    sha256(lines.concat().as_bytes())
}

/// The digest the export entry of a bundle of `contents` must carry as its only `records` item.
/// The exporter computes it before signing that entry: `contents.entries` then holds every
/// other entry (an entry whose hash is `contents.export` is left out).
pub fn export_commitment(contents: &Contents) -> Result<Digest, BundleError> {
    let files = members(contents)?;
    Ok(commitment(
        files
            .iter()
            .map(|(path, bytes)| (path.as_str(), sha256(bytes))),
        &contents.entries,
        &contents.export,
    ))
}

/// Writes a bundle. The table of contents is taken from `contents.toc`.
pub fn write(out: impl Write, contents: &Contents) -> Result<(), BundleError> {
    let files = members(contents)?;
    let manifest = Manifest {
        format: FORMAT.into(),
        version: VERSION,
        case: contents.case.clone(),
        exported_at: contents.exported_at,
        bureau_public: hex::encode(contents.bureau_public),
        export: hex::encode(contents.export),
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

/// Only `0-9a-f`: one spelling per value, so equal bytes are equal text.
fn is_lower_hex(s: &str) -> bool {
    s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn unhex(path: &str, s: &str) -> Result<Vec<u8>, BundleError> {
    if !is_lower_hex(s) {
        return Err(malformed(path, format!("{s:.16} is not lower-case hex")));
    }
    hex::decode(s).map_err(|e| malformed(path, e))
}

/// The container rules: the manifest first, only the members the format names, each a regular
/// file under a plain ustar header (GNU and pax extension headers would let other tools read
/// other names or sizes than this reader).
fn check_member(n: usize, path: &str, header: &tar::Header) -> Result<(), BundleError> {
    let refuse = |why: String| Err(BundleError::Container(why));
    if header.as_ustar().is_none() {
        return refuse(format!("{path}: not a POSIX ustar header (GNU or old tar)"));
    }
    if header.entry_type() != tar::EntryType::Regular {
        return refuse(format!(
            "{path}: not a regular file (type {:?}; pax and GNU extension headers are refused)",
            header.entry_type()
        ));
    }
    if (n == 0) != (path == MANIFEST) {
        return refuse(format!(
            "{MANIFEST} must be the first member and only that (member {n} is {path})"
        ));
    }
    let blob = path
        .strip_prefix(BLOBS)
        .is_some_and(|name| name.len() == 64 && is_lower_hex(name));
    if !blob && !NAMED.contains(&path) {
        return refuse(format!("unknown member {path}"));
    }
    Ok(())
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
    /// The SHA-256 of every member but the manifest, as read (what the export entry commits to).
    pub digests: BTreeMap<String, Digest>,
}

/// Reads a bundle, within the size limits. Fails only when the input is not a readable bundle;
/// what is inconsistent inside it is left to [`verify`].
pub fn read(input: impl Read) -> Result<(Contents, Integrity), BundleError> {
    let mut archive = tar::Archive::new(input);
    let mut members: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    // Raw: extension headers come through as members, to be refused, not interpreted.
    let entries = archive
        .entries()
        .map_err(|e| BundleError::NotABundle(e.to_string()))?
        .raw(true);
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
        check_member(n, &path, member.header())?;
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
    let not_a_bundle = |e: serde_json::Error| BundleError::NotABundle(format!("manifest: {e}"));
    // Format and version first: other versions' manifests have other fields.
    let layout: Layout = serde_json::from_slice(&manifest_bytes).map_err(not_a_bundle)?;
    if layout.format != FORMAT {
        return Err(BundleError::NotABundle(format!("format {}", layout.format)));
    }
    if layout.version != VERSION {
        return Err(BundleError::Version(layout.version));
    }
    let manifest: Manifest = serde_json::from_slice(&manifest_bytes).map_err(not_a_bundle)?;

    let mut integrity = Integrity {
        digests: members
            .iter()
            .map(|(path, bytes)| (path.clone(), sha256(bytes)))
            .collect(),
        ..Integrity::default()
    };
    let listed: BTreeSet<&str> = manifest.files.iter().map(|f| f.path.as_str()).collect();
    for f in &manifest.files {
        match (members.get(&f.path), integrity.digests.get(&f.path)) {
            (Some(b), Some(d)) if hex::encode(d) != f.sha256 || b.len() as u64 != f.size => {
                integrity.mismatched.push(f.path.clone())
            }
            (Some(_), Some(_)) => {}
            _ => integrity.missing.push(f.path.clone()),
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
                body: e.body.as_deref().map(|b| unhex(ENTRIES, b)).transpose()?,
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
    let export: Digest = unhex(MANIFEST, &manifest.export)?
        .try_into()
        .map_err(|_| malformed(MANIFEST, "export is not a SHA-256"))?;
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
            export,
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
    /// An entry about this case without its body: what it recorded is hidden.
    ElidedCaseEntry {
        /// The device.
        device: String,
        /// Its position in the device's feed.
        seq: u64,
    },
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
    /// A line of certificates.jsonl that is not a certificate issued by the trusted bureau key.
    ForeignCertificate {
        /// Its line number, from 1.
        line: usize,
        /// Why.
        reason: String,
    },
    /// The bundle is not the one its export act signed.
    Export {
        /// How it differs.
        fault: ExportFault,
    },
    /// An issued document (执法文书) whose files are not what its entry says.
    BadDocument {
        /// The issuing entry's hash (hex).
        entry: String,
        /// What is wrong (English).
        reason: String,
    },
    /// A case-file review (案卷评查) whose sheet is not what its entry says.
    BadReview {
        /// The reviewing entry's hash (hex).
        entry: String,
        /// What is wrong (English).
        reason: String,
    },
    /// A problem in the device feeds.
    Feed(Problem),
}

/// How a bundle differs from the export act it names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ExportFault {
    /// No verified entry has the hash the manifest names.
    Missing,
    /// That entry is not an export of this case.
    NotAnExport,
    /// Its time is not the manifest's `exported_at`.
    Time,
    /// Its heads are not the document's heads: the document was rolled back or swapped.
    Heads,
    /// Its commitment does not match the members and entries: something was dropped, added or
    /// replaced.
    Contents,
}

impl ExportFault {
    fn en(self) -> &'static str {
        match self {
            ExportFault::Missing => "no verified entry is the export entry the manifest names",
            ExportFault::NotAnExport => {
                "the entry the manifest names is not an export of this case"
            }
            ExportFault::Time => "the export entry's time is not the manifest's exported_at",
            ExportFault::Heads => "the document's heads are not the export entry's heads",
            ExportFault::Contents => {
                "the members or entries differ from what the export entry commits to"
            }
        }
    }

    fn zh(self) -> &'static str {
        match self {
            ExportFault::Missing => "找不到清单所指的导出签名记录",
            ExportFault::NotAnExport => "清单所指的记录不是本案的导出记录",
            ExportFault::Time => "导出记录的时间与清单不符",
            ExportFault::Heads => "案卷文档不是导出时的版本（被回退或替换）",
            ExportFault::Contents => "案卷包的文件或签名记录与导出时不符（被删减、增加或替换）",
        }
    }
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
            BundleProblem::ElidedCaseEntry { device, seq } => {
                format!("device {device} entry {seq} is about this case but has no body")
            }
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
            BundleProblem::ForeignCertificate { line, reason } => format!(
                "certificates.jsonl line {line} is not issued by the trusted bureau key: {reason}"
            ),
            BundleProblem::Export { fault } => {
                format!(
                    "the bundle is not the one its export act signed: {}",
                    fault.en()
                )
            }
            BundleProblem::BadDocument { entry, reason } => {
                format!("document issued by entry {entry}: {reason}")
            }
            BundleProblem::BadReview { entry, reason } => {
                format!("case-file review by entry {entry}: {reason}")
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
            BundleProblem::ElidedCaseEntry { device, seq } => {
                format!("设备 {device} 第{seq}号记录属于本案，但其内容被隐去")
            }
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
            BundleProblem::ForeignCertificate { line, .. } => {
                format!("证书清单第{line}行不是受信任的局根密钥签发的证书")
            }
            BundleProblem::Export { fault } => format!("案卷包与导出记录不符：{}", fault.zh()),
            BundleProblem::BadDocument { entry, reason } => {
                format!(
                    "出具文书的记录 {} 与其文件不符：{reason}",
                    &entry[..12.min(entry.len())]
                )
            }
            BundleProblem::BadReview { entry, reason } => {
                format!(
                    "案卷评查记录 {} 与其评查表不符：{reason}",
                    &entry[..12.min(entry.len())]
                )
            }
            BundleProblem::Feed(p) => p.zh(),
        }
    }
}

/// The station's log key to check receipts with: `trusted_log` if given, else the key the
/// bundle's first receipt names (reported as such).
fn log_key(
    contents: &Contents,
    trusted_log: Option<[u8; 32]>,
) -> (Option<[u8; 32]>, Option<KeySource>) {
    match (trusted_log, contents.receipts.first()) {
        (Some(k), _) => (Some(k), Some(KeySource::Given)),
        (None, Some((_, r))) => (
            r.checkpoint.decode_unverified().ok().map(|c| c.log),
            Some(KeySource::FromBundle),
        ),
        (None, None) => (None, None),
    }
}

/// Checks each receipt against the station's log key (given, else the one its checkpoint names)
/// and that its entry is in the bundle.
fn check_receipts(
    contents: &Contents,
    trusted_log: Option<[u8; 32]>,
    problems: &mut Vec<BundleProblem>,
) -> ReceiptSummary {
    let (key, source) = log_key(contents, trusted_log);
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
    let measured: BTreeMap<Digest, Digest> = contents
        .blobs
        .iter()
        .map(|(name, bytes)| (*name, sha256(bytes)))
        .collect();
    check(contents, &measured, (trusted, trusted_log), Some(integrity))
}

/// Checks a case as a base station holds it, by the rules a bundle of it would be checked by
/// but the bundle's own (its container, its table of contents and its export act: there is
/// none). The station passes what it keeps: the document, every feed that touched the case,
/// the certificates, the revocation list and a receipt from its own log for each entry
/// (`contents.export` and `toc` are not read; `exported_at` is reported as the time of the
/// check). Evidence files are hashed as they stream from the store: `measured` holds, by name,
/// the SHA-256 of each file that could be read whole; `contents.blobs` need only hold the files
/// whose bytes are checked besides (an issued document's PDF and data).
pub fn verify_held(
    contents: &Contents,
    measured: &BTreeMap<Digest, Digest>,
    bureau: [u8; 32],
    log_key: [u8; 32],
) -> Report {
    check(contents, measured, (Some(bureau), Some(log_key)), None)
}

/// The checks of [`verify`] and [`verify_held`]; `bundle` is the container's integrity when
/// a bundle is checked, whose table of contents and export act are then checked too.
fn check(
    contents: &Contents,
    measured: &BTreeMap<Digest, Digest>,
    (trusted, trusted_log): (Option<[u8; 32]>, Option<[u8; 32]>),
    bundle: Option<&Integrity>,
) -> Report {
    let mut problems: Vec<BundleProblem> = Vec::new();
    if let Some(integrity) = bundle {
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
    }

    let (key, key_source) = match trusted {
        Some(k) => (k, KeySource::Given),
        None => (contents.bureau_public, KeySource::FromBundle),
    };
    let feed = match TrustAnchor::new(key, contents.revocations.as_ref()) {
        Ok(anchor) => {
            check_certificates(&anchor, &contents.certificates, &mut problems);
            verify_feed(&anchor, &contents.certificates, &contents.entries)
        }
        Err(e) => {
            problems.push(BundleProblem::Trust {
                reason: e.to_string(),
            });
            FeedReport::default()
        }
    };
    problems.extend(feed.problems.iter().cloned().map(BundleProblem::Feed));
    // Other cases' entries may come without their bodies (the exporter may not see them);
    // this case's may not, but for those its device set aside (搁置) by a later verified
    // entry of its feed that names them.
    let this_case = case_commitment(&contents.case);
    let set_aside: Vec<(&str, u64, &Digest)> = feed
        .entries
        .iter()
        .filter(|v| v.entry.action == Action::EntriesSetAside && v.entry.case == contents.case)
        .flat_map(|v| {
            v.entry
                .records
                .iter()
                .map(|r| (v.entry.device.as_str(), v.entry.seq, r))
        })
        .collect();
    for e in contents.entries.iter().filter(|e| e.is_elided()) {
        if let Ok(h) = e.head()
            && h.case == this_case
            && !set_aside.iter().any(|(device, seq, hash)| {
                *device == h.device && *seq > h.seq && **hash == e.hash()
            })
        {
            problems.push(BundleProblem::ElidedCaseEntry {
                device: h.device,
                seq: h.seq,
            });
        }
    }
    let case_entries: Vec<_> = feed
        .entries
        .iter()
        .filter(|v| v.entry.case == contents.case)
        .collect();
    if !case_entries
        .iter()
        .any(|v| v.entry.action == Action::CaseRegistered)
    {
        problems.push(BundleProblem::NoRegistration);
    }
    let heads = check_document(contents, &case_entries, &mut problems);
    if let Some(integrity) = bundle
        && let Some(fault) = export_fault(contents, integrity, &feed.entries, heads.as_ref())
    {
        problems.push(BundleProblem::Export { fault });
    }
    check_blobs(measured, &case_entries, &mut problems);
    check_issued_documents(contents, &case_entries, &mut problems);
    let items = table_of_contents(&contents.case, &feed.entries);
    if bundle.is_some() && items != contents.toc {
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

/// Every certificate line must be issued by the trusted bureau key, whether or not an entry
/// cites it: a bundle carries nothing unproven.
fn check_certificates(
    anchor: &TrustAnchor,
    certificates: &[SignedCertificate],
    problems: &mut Vec<BundleProblem>,
) {
    for (n, cert) in certificates.iter().enumerate() {
        if let Err(e) = anchor.verify_issued(cert) {
            problems.push(BundleProblem::ForeignCertificate {
                line: n + 1,
                reason: e.to_string(),
            });
        }
    }
}

/// How the bundle differs from the export act its manifest names, if it does: that entry must
/// be a verified export of this case at `exported_at`, made on the document as it is here, and
/// commit to every other member and entry.
fn export_fault(
    contents: &Contents,
    integrity: &Integrity,
    verified: &[VerifiedEntry],
    doc_heads: Option<&BTreeSet<Digest>>,
) -> Option<ExportFault> {
    let Some(export) = verified.iter().find(|v| v.hash == contents.export) else {
        return Some(ExportFault::Missing);
    };
    let e = &export.entry;
    if e.action != Action::Export || e.case != contents.case {
        return Some(ExportFault::NotAnExport);
    }
    if e.time != contents.exported_at {
        return Some(ExportFault::Time);
    }
    if doc_heads.is_some_and(|heads| *heads != e.heads.iter().copied().collect()) {
        return Some(ExportFault::Heads);
    }
    let expected = commitment(
        integrity.digests.iter().map(|(p, d)| (p.as_str(), *d)),
        &contents.entries,
        &contents.export,
    );
    (e.records != [expected]).then_some(ExportFault::Contents)
}

/// The document must be this case's, every change in it attested by a signed entry, and every
/// signed entry's state present in it. Returns the document's heads, if it could be read.
fn check_document(
    contents: &Contents,
    entries: &[&VerifiedEntry],
    problems: &mut Vec<BundleProblem>,
) -> Option<BTreeSet<Digest>> {
    let mut doc = match CaseDoc::load(&contents.document, b"verifier") {
        Ok(d) => d,
        Err(e) => {
            problems.push(BundleProblem::Document {
                reason: e.to_string(),
            });
            return None;
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
    let heads: BTreeSet<Digest> = doc.heads_digests().into_iter().collect();
    for head in &heads {
        if !attested.contains(head) {
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
    Some(heads)
}

/// Every evidence file an entry refers to must be present with that hash, unless the case's
/// entries let it go (删除原件, [`qc_chain::deleted_files`]); every file present must be
/// referred to. `measured` is each
/// present file's SHA-256 by its name.
fn check_blobs(
    measured: &BTreeMap<Digest, Digest>,
    entries: &[&VerifiedEntry],
    problems: &mut Vec<BundleProblem>,
) {
    let referenced: BTreeSet<Digest> = entries.iter().flat_map(|v| v.entry.blobs.clone()).collect();
    let deleted = qc_chain::deleted_files(entries.iter().map(|v| &v.entry));
    for hash in &referenced {
        let absent_as_approved = deleted.contains(hash) && !measured.contains_key(hash);
        if measured.get(hash) != Some(hash) && !absent_as_approved {
            problems.push(BundleProblem::MissingBlob {
                hash: hex::encode(hash),
            });
        }
    }
    for (name, digest) in measured {
        if !referenced.contains(name) || name != digest {
            problems.push(BundleProblem::StrayBlob {
                hash: hex::encode(name),
            });
        }
    }
}

/// Every document issued in the case names its PDF and its data, and the data says what the
/// entry says (format, kind, number, case); every case-file review names its sheet, which says
/// it reviews this case. Whether a PDF is what its data renders to needs the layout and fonts:
/// `qc_api` checks that beside this verdict.
fn check_issued_documents(
    contents: &Contents,
    entries: &[&VerifiedEntry],
    problems: &mut Vec<BundleProblem>,
) {
    for v in entries {
        let entry = hex::encode(v.hash);
        match &v.entry.action {
            Action::DocumentIssued { kind, number } => {
                if let Err(reason) = issued_document_fault(contents, &v.entry, kind, number) {
                    problems.push(BundleProblem::BadDocument { entry, reason });
                }
            }
            Action::CaseFileReviewed => {
                if let Err(reason) = review_fault(contents, &v.entry) {
                    problems.push(BundleProblem::BadReview { entry, reason });
                }
            }
            _ => {}
        }
    }
}

fn issued_document_fault(
    contents: &Contents,
    entry: &qc_chain::Entry,
    kind: &str,
    number: &str,
) -> Result<(), String> {
    let ([pdf, data], [digest]) = (entry.blobs.as_slice(), entry.records.as_slice()) else {
        return Err("it must name two blobs (PDF, data) and one record (the data digest)".into());
    };
    if data != digest {
        return Err("the record is not the data's digest".into());
    }
    // A missing blob is reported by the blob check already.
    if let Some(bytes) = contents.blobs.get(pdf)
        && !bytes.starts_with(b"%PDF-")
    {
        return Err("the first blob is not a PDF".into());
    }
    data_fault(
        contents.blobs.get(data).map(Vec::as_slice),
        "quancheng-document",
        &[("kind", kind), ("number", number), ("case", &contents.case)],
    )
}

fn review_fault(contents: &Contents, entry: &qc_chain::Entry) -> Result<(), String> {
    let sheet = review_sheet_named(entry)?;
    review_sheet(
        entry,
        &contents.case,
        contents.blobs.get(&sheet).map(Vec::as_slice),
    )
    .map(drop)
}

/// The sheet a case-file review's entry names: made on a desk's device, naming one blob as its
/// one record.
fn review_sheet_named(entry: &qc_chain::Entry) -> Result<Digest, String> {
    if !entry.device.starts_with(qc_chain::DESK_DEVICE_PREFIX) {
        return Err("a review is made on a desk's device".into());
    }
    let ([sheet], [digest]) = (entry.blobs.as_slice(), entry.records.as_slice()) else {
        return Err("it must name one blob (the review) and one record (its digest)".into());
    };
    if sheet != digest {
        return Err("the record is not the review's digest".into());
    }
    Ok(*sheet)
}

/// A case-file review (案卷评查) of `case` as its entry and sheet say (check 11 of
/// docs/bundle-format.md): the entry made on a desk's device naming one blob, the sheet, as
/// its one record; the sheet, when `bytes` holds it (its hash checked by whoever read it), a
/// review of version 1 of that case. The review, when the sheet is held and reads as one.
pub fn review_sheet(
    entry: &qc_chain::Entry,
    case: &str,
    bytes: Option<&[u8]>,
) -> Result<Option<qc_domain::review::CaseFileReview>, String> {
    review_sheet_named(entry)?;
    let Some(bytes) = bytes else {
        return Ok(None);
    };
    data_fault(
        Some(bytes),
        qc_domain::review::REVIEW_FORMAT,
        &[("case", case)],
    )?;
    Ok(serde_json::from_slice(bytes).ok())
}

/// Whether the JSON blob `bytes` (when present: a missing blob is the blob check's fault) is
/// an object of `format` and version 1 holding the string `fields` given: every key present,
/// a string where one is named, `version` the integer 1 (not `1.0`).
fn data_fault(bytes: Option<&[u8]>, format: &str, fields: &[(&str, &str)]) -> Result<(), String> {
    let Some(bytes) = bytes else {
        return Ok(());
    };
    let json: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| format!("the data is not JSON: {e}"))?;
    let field = |k: &str| json.get(k).and_then(|v| v.as_str());
    let version = json
        .get("version")
        .and_then(|v| v.as_number())
        .filter(|n| n.is_u64());
    if field("format") != Some(format) || version.and_then(|n| n.as_u64()) != Some(1) {
        return Err(format!("the data is not a {format} of version 1"));
    }
    for (key, want) in fields {
        if field(key) != Some(*want) {
            return Err(format!("the data's {key} is not the entry's ({want})"));
        }
    }
    Ok(())
}

/// Why a station's answer about a case could not be checked.
#[derive(Debug, Error)]
pub enum FreshnessError {
    /// Neither given a log key nor holding a receipt that names one.
    #[error("no log key to check the station's answer with: pass the station's log key")]
    NoLogKey,
    /// The answer's checkpoint or a proof in it does not hold.
    #[error("the station's answer does not hold: {0}")]
    Log(#[from] LogError),
}

impl FreshnessError {
    /// The reason in Chinese.
    pub fn message_zh(&self) -> String {
        match self {
            FreshnessError::NoLogKey => {
                "案卷包中没有基站回执，无法确定基站日志公钥，请用 --log-key 指定".into()
            }
            FreshnessError::Log(e) => format!("基站的答复无法验证：{}", e.message_zh()),
        }
    }
}

/// What a base station logged about the bundle's case, compared with the bundle: whether the
/// bundle is still the latest state of the case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Freshness {
    /// The station's checkpoint the answer is proven under: its time (station clock).
    pub checked_at: Timestamp,
    /// Entries in the station's log at that checkpoint.
    pub log_size: u64,
    /// The log key the answer was checked with (hex).
    pub log_key: String,
    /// Where that key came from.
    pub log_key_source: KeySource,
    /// Entries about the case the station logged.
    pub logged: usize,
    /// Logged entries about the case the bundle lacks (hex): the case went on after this export.
    pub newer: Vec<String>,
    /// Entries of the case the bundle proves were logged (by a receipt) that the station's answer
    /// leaves out (hex): the answer is incomplete.
    pub omitted: Vec<String>,
}

impl Freshness {
    /// True when the station logged nothing about the case that the bundle lacks, and its
    /// answer left out nothing the bundle proves it logged.
    pub fn is_current(&self) -> bool {
        self.newer.is_empty() && self.omitted.is_empty()
    }
}

/// Checks a station's answer to "what did you log about this case" (its current checkpoint and,
/// for each logged entry about the case, a receipt under that checkpoint) against the log key
/// (`trusted_log`, else the one the bundle's receipts name), and compares it with the bundle.
pub fn check_freshness(
    contents: &Contents,
    checkpoint: &SignedCheckpoint,
    logged: &[(Digest, Receipt)],
    trusted_log: Option<[u8; 32]>,
) -> Result<Freshness, FreshnessError> {
    let (Some(key), Some(source)) = log_key(contents, trusted_log) else {
        return Err(FreshnessError::NoLogKey);
    };
    let verifying = VerifyingKey::from_bytes(&key).map_err(|_| LogError::BadCheckpointSignature)?;
    let current = checkpoint.verify(&verifying)?;
    for (entry, receipt) in logged {
        if receipt.checkpoint != *checkpoint {
            return Err(LogError::NotIncluded.into());
        }
        receipt.verify(&verifying, entry)?;
    }
    let held: BTreeSet<Digest> = contents.entries.iter().map(SignedEntry::hash).collect();
    let answered: BTreeSet<Digest> = logged.iter().map(|(e, _)| *e).collect();
    let case_entries: BTreeSet<Digest> = contents
        .entries
        .iter()
        .filter(|e| e.entry().is_ok_and(|e| e.case == contents.case))
        .map(SignedEntry::hash)
        .collect();
    Ok(Freshness {
        checked_at: current.time,
        log_size: current.size,
        log_key: hex::encode(key),
        log_key_source: source,
        logged: answered.len(),
        newer: answered.difference(&held).map(hex::encode).collect(),
        omitted: contents
            .receipts
            .iter()
            .filter(|(e, r)| {
                case_entries.contains(e) && !answered.contains(e) && r.verify(&verifying, e).is_ok()
            })
            .map(|(e, _)| hex::encode(e))
            .collect(),
    })
}
