//! Request and response bodies (JSON). Paths are under `/v1`.

use qc_chain::{Digest, SignedEntry};
use qc_identity::{SignedCertificate, SignedRevocationList};
use qc_log::{Receipt, SignedCheckpoint};
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// `POST /v1/enrol`: a device asks to be enrolled, proving the administrator's one-time code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrolRequest {
    /// The one-time code the administrator gave out.
    pub code: String,
    /// The device's id.
    pub device_id: String,
    /// A label people recognise (平板 3).
    pub label: String,
    /// The device's public key, hex.
    pub public_key: String,
}

/// A public key sent for certification (enrolment of a device or of a person's key), as the
/// station takes it: 32 bytes of hex that make a usable Ed25519 key.
pub fn public_key_from_hex(hex_key: &str) -> Option<[u8; 32]> {
    hex::decode(hex_key.trim())
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .filter(|k| qc_identity::cert::public_key(k).is_ok())
}

/// The answer to an enrolment: the device's certificate and what it needs to trust.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrolResponse {
    /// The device certificate the bureau issued.
    pub certificate: SignedCertificate,
    /// The bureau key, hex.
    pub bureau_public: String,
    /// The server's log key (checkpoints are signed with it), hex.
    pub log_key: String,
    /// Certificates of the people of the device's squad.
    pub certificates: Vec<SignedCertificate>,
    /// The revocation list in force.
    pub revocations: Option<SignedRevocationList>,
}

/// `POST /v1/officers/enrol` (signed by an enrolled device): a person's key made on the device,
/// proven by an administrator's one-time code for that person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfficerEnrolRequest {
    /// The one-time code.
    pub code: String,
    /// The person.
    pub person_id: String,
    /// The key made on the device for them, hex.
    pub public_key: String,
}

/// The answer to [`OfficerEnrolRequest`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfficerEnrolResponse {
    /// The person's certificate for that key.
    pub certificate: SignedCertificate,
}

/// Entries the device has not had receipts for, in feed order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushEntries {
    /// The entries.
    pub entries: Vec<SignedEntry>,
    /// Size of the last checkpoint the device holds (0 for none): the server proves that its
    /// log still extends it.
    pub known_size: u64,
}

/// One entry's receipt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryReceipt {
    /// The entry hash.
    #[serde(serialize_with = "qc_identity::bytes::one")]
    pub entry: Digest,
    /// Checkpoint and inclusion proof.
    pub receipt: Receipt,
}

/// The answer to [`PushEntries`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushResponse {
    /// A receipt for every entry sent (also for ones the server already held).
    pub receipts: Vec<EntryReceipt>,
    /// The checkpoint the receipts lead to.
    pub checkpoint: SignedCheckpoint,
    /// Proof that this checkpoint extends the one of `known_size`.
    #[serde(serialize_with = "qc_identity::bytes::each")]
    pub consistency: Vec<Digest>,
}

/// `POST /v1/sync`: one round trip: entries up, document changes up, and the heads the device
/// holds so the station sends back only what it lacks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncRequest {
    /// Entries without receipts.
    pub push: PushEntries,
    /// Document changes the station has not acknowledged.
    pub up: DocsUp,
    /// Heads held, per case; none when the device sends more before asking for what it lacks.
    pub want: Option<DocsWant>,
    /// The station's files (the bureau's catalogue and wording) the device took or refused,
    /// so the station sends only those it has not seen and tells the console which each
    /// tablet uses; none: send none (a request before the last of a sync).
    #[serde(default)]
    pub bureau: Option<BureauSeen>,
}

/// What a device holds of the station's files, and the releases of them it refused.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BureauSeen {
    /// The SHA-256 of the station's catalogue it holds now (none: its own or the built-in).
    #[serde(default)]
    pub catalogue: Option<Digest>,
    /// Of the station's wording it holds now.
    #[serde(default)]
    pub wording: Option<Digest>,
    /// The releases it refused (the SHA-256 of each release's signed bytes, the latest few),
    /// so the same one is not sent again; why is in the tablet's sync report.
    #[serde(default)]
    pub refused: Vec<Digest>,
}

impl BureauSeen {
    /// Most refused releases a device says.
    pub const REFUSED_KEPT: usize = 8;

    /// The digest of the station's file of `kind` (`catalogue`, `wording`) held now.
    pub fn held(&self, kind: &str) -> Option<&Digest> {
        match kind {
            "catalogue" => self.catalogue.as_ref(),
            "wording" => self.wording.as_ref(),
            _ => None,
        }
    }

    /// Notes that the station's file of `kind` of digest `d` is held now (none: not any more).
    pub fn hold(&mut self, kind: &str, d: Option<Digest>) {
        match kind {
            "catalogue" => self.catalogue = d,
            "wording" => self.wording = d,
            _ => {}
        }
    }

    /// Notes a release refused, keeping the latest few.
    pub fn refuse(&mut self, release: Digest) {
        self.refused.push(release);
        let from = self.refused.len().saturating_sub(Self::REFUSED_KEPT);
        self.refused.drain(..from);
    }
}

/// One of the bureau's files (权责清单, 文书固定用语) as the administrator imported it at the
/// station, with the bureau's release of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BureauFile {
    /// Its text.
    pub text: String,
    /// The bureau's signed release of that text, naming the act that imported it.
    pub release: qc_identity::SignedFileRelease,
}

impl BureauFile {
    /// The SHA-256 of its text.
    pub fn digest(&self) -> Digest {
        use sha2::{Digest as _, Sha256};
        Sha256::digest(self.text.as_bytes()).into()
    }
}

/// 权责清单与文书固定用语 — the files the station sends a device: those imported that the
/// device has not seen (a file not imported: the built-in one stands).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BureauFiles {
    /// The catalogue (JSON).
    pub catalogue: Option<BureauFile>,
    /// The documents' wording (TOML).
    pub wording: Option<BureauFile>,
}

/// The answer to [`SyncRequest`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncResponse {
    /// Receipts, checkpoint and consistency proof.
    pub push: PushResponse,
    /// The station's heads of the cases that went up.
    pub acked: DocsAck,
    /// What the device lacks.
    pub down: DocsDown,
    /// Receipts for the entries in `down`, under the same checkpoint as `push`.
    pub down_receipts: Vec<EntryReceipt>,
    /// The bureau's revocation list in force at the station.
    pub revocations: Option<SignedRevocationList>,
    /// The random inspections (双随机) drawn lately for the people whose keys the device
    /// holds: the whole list, which replaces the one the device keeps; none when the station
    /// cannot read them now (or is older), and the device keeps its list.
    #[serde(default)]
    pub tasks: Option<Vec<InspectionTask>>,
    /// The bureau's files imported at the station that the device has not seen (none: keep
    /// what it has).
    #[serde(default)]
    pub bureau: Option<BureauFiles>,
}

/// 双随机抽查任务 — a target drawn for inspection and the two officers drawn to inspect it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InspectionTask {
    /// The draw's id.
    pub draw: String,
    /// What the inspection is.
    pub title: String,
    /// When it was drawn.
    pub drawn_at: qc_domain::Timestamp,
    /// The target.
    pub target: qc_domain::draw::Target,
    /// The inspectors drawn, in order.
    pub inspectors: Vec<qc_domain::draw::Inspector>,
}

/// `GET /v1/log/consistency?from=N`: the current checkpoint and a proof it extends size N.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsistencyResponse {
    /// The current checkpoint.
    pub checkpoint: SignedCheckpoint,
    /// The proof.
    #[serde(serialize_with = "qc_identity::bytes::each")]
    pub proof: Vec<Digest>,
}

/// `GET /v1/cases/{case}/log` (unauthenticated: an outside verifier holds no device key): the
/// current checkpoint and, for every logged entry about the case, its receipt under that
/// checkpoint. A verifier learns whether the case went on after a bundle was exported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseLogResponse {
    /// The current checkpoint.
    pub checkpoint: SignedCheckpoint,
    /// Every logged entry about the case, in log order, each proven under `checkpoint`.
    pub entries: Vec<EntryReceipt>,
}

/// Evidence chunks start at multiples of this and are multiples of it unless they end the file
/// (so a station can seal them as they arrive).
pub const BLOB_ALIGN: u64 = 64 * 1024;

/// `GET /v1/blobs/{case}/{sha256}`: how much of a blob of a case the station holds, for
/// resuming an upload (`PUT` of the same path with `?size=N&offset=M` sends the next chunk;
/// `GET …/data` reads the whole blob).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlobStatus {
    /// Bytes received so far (the offset to resume from).
    pub received: u64,
    /// Whether the whole blob arrived and matched its hash.
    pub complete: bool,
}

/// An error as the server reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// Stable code.
    pub code: String,
    /// Chinese message.
    pub message: String,
    /// English detail.
    pub detail: String,
    /// Uploaded entries refused for what each one is (its act, its signers, its case), when
    /// that is why: the device may set them aside (搁置) and send each again without its
    /// body, which keeps its place in the feed and takes no effect.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entries: Vec<RefusedEntry>,
    /// With refused entries, the bureau's revocation list in force at the station: a signer
    /// revoked is often why, and the device should not let them sign the setting aside.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revocations: Option<SignedRevocationList>,
}

/// An uploaded entry the station refuses to log, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefusedEntry {
    /// The entry's hash (hex).
    pub entry: String,
    /// Why, in Chinese.
    pub reason: String,
    /// Whether it was refused for what its hash covers (who signed it, in what role, which
    /// act, a case the station holds out of the device's view), so refused however it is
    /// sent: only such an entry (and what follows it about the same case) may be set aside.
    /// Otherwise (a signature spoiled on the way, a document not sent) sending it again may do.
    #[serde(default)]
    pub kept: bool,
}

/// Lowercase hex of `bytes`, as a document's changes travel: written into one buffer, where
/// `hex::encode` pushes a character at a time (a sync's documents took 13 µs against 2).
pub fn to_hex(bytes: &[u8]) -> String {
    let mut out = vec![0; bytes.len() * 2];
    hex::encode_to_slice(bytes, &mut out)
        .unwrap_or_else(|e| unreachable!("a buffer twice as long as the bytes: {e}"));
    String::from_utf8(out).unwrap_or_else(|e| unreachable!("hex digits are ASCII: {e}"))
}

/// A case document's changes, hex-encoded Automerge bytes (a whole history when the other side
/// has none of it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocChanges {
    /// The case.
    pub case: String,
    /// The changes, hex.
    pub changes: String,
}

/// A case and the heads one side holds (hex).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseHeads {
    /// The case.
    pub case: String,
    /// Automerge heads, hex, sorted.
    pub heads: Vec<String>,
}

impl CaseHeads {
    /// The heads as digests, sorted; anything that is not 32 bytes of hex is skipped (a device
    /// that claims a head it cannot name gets the whole history after the ones it can).
    pub fn digests(&self) -> Vec<Digest> {
        let mut out: Vec<Digest> = self
            .heads
            .iter()
            .filter_map(|h| hex::decode(h).ok()?.try_into().ok())
            .collect();
        out.sort();
        out
    }
}

/// The query of a chunk upload, `PUT /v1/blobs/{case}/{sha}?size=N&offset=M`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChunkQuery {
    /// The blob's size in bytes.
    pub size: u64,
    /// Where this chunk starts.
    pub offset: u64,
}

/// The device's changes the station may not have.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocsUp {
    /// Changes per case.
    pub docs: Vec<DocChanges>,
}

/// The answer to [`DocsUp`]: the station's heads for each case after applying them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocsAck {
    /// Heads per case.
    pub heads: Vec<CaseHeads>,
    /// Cases whose documents were sent and not taken: out of the device's view at the station
    /// (moved to another squad). The device need not send them again until they change.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outside: Vec<String>,
}

/// What the device holds, so the station sends only what it lacks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocsWant {
    /// Heads per case held.
    pub have: Vec<CaseHeads>,
    /// How many entries of desks (reviews, exports) the device holds about each case held
    /// (cases with none left out): a desk act changes no document, so a case the station holds
    /// more of comes down again, with them. Absent from a device that predates it, which
    /// then gets a case only when its document changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desk_acts: Option<BTreeMap<String, u64>>,
    /// The last entry (its `seq`) the device holds of each device's feed, its own included
    /// (feeds it holds none of left out): each feed goes down on from there, with the entries
    /// before it that are about cases the device holds none of (it may hold those only as
    /// heads). Absent from a device that predates it, which is sent whole feeds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feeds: Option<BTreeMap<String, u64>>,
}

/// The answer to [`DocsWant`]: changes of the cases the device may see, with the entries that
/// record them (each touching device's feed up to its last entry about the case, on from what
/// the device holds of it) and the certificates of those devices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocsDown {
    /// Changes per case.
    pub docs: Vec<DocChanges>,
    /// Entries of those cases' feeds.
    pub entries: Vec<SignedEntry>,
    /// Device certificates for those entries.
    pub certificates: Vec<SignedCertificate>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_are_spelled_in_hex_as_before() {
        let every: Vec<u8> = (0..=255).collect();
        for bytes in [&[][..], &[0, 1, 0xab, 0xff][..], &every[..]] {
            assert_eq!(to_hex(bytes), hex::encode(bytes));
            assert_eq!(hex::decode(to_hex(bytes)).unwrap(), bytes);
        }
    }
}
