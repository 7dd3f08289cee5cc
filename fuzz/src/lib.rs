//! What the sync fuzz targets share: a small world of fixed keys (so every run and every seed is
//! the same), a real case document and a station log that answers a device's sync, the
//! station's steps over a case document's changes, and the seeds `examples/seeds.rs` writes.

use std::sync::{Once, OnceLock};

use ed25519_dalek::SigningKey;
use qc_casedoc::{CaseDoc, DocError};
use qc_chain::{Action, Digest, Entry, SignedEntry};
use qc_domain::{
    Act, CaseHeader, CaseId, CaseSource, CaseStatus, Location, PersonId, Timestamp, WorkflowEvent,
};
use qc_log::{Log, Receipt, SignedCheckpoint};
use qc_sync::wire::{
    BlobStatus, CaseHeads, DocChanges, DocsAck, DocsDown, DocsUp, DocsWant, EnrolRequest,
    EntryReceipt, InspectionTask, OfficerEnrolRequest, PushEntries, PushResponse, SyncRequest,
    SyncResponse,
};
use qc_sync::witness::Witness;
use serde::Serialize;
use serde::de::DeserializeOwned;

const T0: Timestamp = Timestamp(1_795_000_000_000);
/// The case the station holds.
pub const CASE: &str = "case-1";
/// Entries of another tablet that the station logged first.
const OTHERS: u64 = 3;
/// The device's entries the station logged at its last sync (the witness's checkpoint).
const EARLIER: u64 = 2;
/// The device's entries sent in the sync under test.
const SENT: u64 = 2;

/// Parses a JSON body as the station or the device does; whatever parses must serialize back
/// to a body that parses to the same value, or the two sides could read one message two ways.
pub fn parse<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(
    body: &[u8],
) -> Option<T> {
    let value: T = serde_json::from_slice(body).ok()?;
    let again = serde_json::to_vec(&value).expect("a parsed body serializes");
    assert_eq!(
        serde_json::from_slice::<T>(&again).ok().as_ref(),
        Some(&value)
    );
    Some(value)
}

fn header() -> CaseHeader {
    CaseHeader {
        id: CaseId(CASE.into()),
        source: CaseSource::SelfDiscovered,
        domain: "transport".into(),
        violation: "transport.road_occupation".into(),
        location: Location {
            address: "景华路88号".into(),
            grid: "JX".into(),
            gps: None,
        },
        parties: vec![],
        summary: "占道堆放货物".into(),
        squad: "一中队".into(),
        registered_at: T0,
        registered_by: PersonId("li.ming".into()),
    }
}

fn event(id: &str, at: i64, act: Act) -> WorkflowEvent {
    WorkflowEvent {
        id: id.into(),
        at: Timestamp(T0.0 + at),
        actors: vec![PersonId("li.ming".into())],
        act,
    }
}

/// The case as the station holds it (registered and filed on tablet-a), and the same case
/// after tablet-a recorded the investigation's start.
struct Case {
    held: Vec<u8>,
    edited: Vec<u8>,
}

fn case() -> &'static Case {
    static CASE_DOCS: OnceLock<Case> = OnceLock::new();
    CASE_DOCS.get_or_init(|| {
        let mut doc = CaseDoc::create(&header(), b"tablet-a", T0).expect("the case");
        doc.append_event(&event("e1", 1000, Act::File))
            .expect("filed");
        let held = doc.save();
        let team = vec![PersonId("li.ming".into()), PersonId("wang.fang".into())];
        doc.append_event(&event("e2", 2000, Act::StartInvestigation { team }))
            .expect("assigned");
        Case {
            held,
            edited: doc.save(),
        }
    })
}

/// The station's copy of the case, fresh (applying changes alters it).
pub fn held_case() -> CaseDoc {
    CaseDoc::load(&case().held, b"station").expect("the held case loads")
}

/// What the station reads of a case document before keeping it.
#[derive(Debug, PartialEq)]
pub struct Meta {
    /// The case the document says it is.
    pub id: CaseId,
    /// Its squad.
    pub squad: String,
    /// Where it stands, replayed from its events.
    pub status: CaseStatus,
    /// Its heads, sorted.
    pub heads: Vec<Digest>,
}

/// libfuzzer-sys aborts on any panic, even one the code under test catches. qc-casedoc turns
/// the panics of Automerge's column decoder (hexane) on damaged bytes into refusals, so those
/// unwind to it, silently; any other panic aborts as before, and a hexane panic that nothing
/// catches still aborts in libfuzzer-sys's wrapper. Call before parsing Automerge bytes.
pub fn let_caught_automerge_panics_unwind() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let abort = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !info
                .location()
                .is_some_and(|l| l.file().contains("/hexane-"))
            {
                abort(info);
            }
        }));
    });
}

/// Changes of one case as the station takes a device's (and a device the station's): applied to
/// the copy held, or loaded as a new case when there is none; then read for what the station
/// keeps beside them.
pub fn merge_changes(held: Option<CaseDoc>, changes: &[u8]) -> Result<(CaseDoc, Meta), DocError> {
    let_caught_automerge_panics_unwind();
    let mut doc = match held {
        Some(mut doc) => {
            doc.apply(changes)?;
            doc
        }
        None => CaseDoc::load(changes, b"station")?,
    };
    let header = doc.header()?;
    let meta = Meta {
        id: header.id,
        squad: header.squad,
        status: doc.state()?.status,
        heads: doc.heads_digests(),
    };
    Ok((doc, meta))
}

fn device_key(device: &str) -> SigningKey {
    SigningKey::from_bytes(&[if device == "tablet-a" { 30 } else { 31 }; 32])
}

fn entry(device: &str, seq: u64) -> SignedEntry {
    let e = Entry {
        device: device.into(),
        seq,
        prev: [0; 32],
        time: Timestamp(T0.0 + seq as i64),
        actors: vec![],
        action: Action::Export,
        case: CASE.into(),
        heads: vec![],
        blobs: vec![],
        records: vec![],
    };
    SignedEntry::sign(&e, &device_key(device), &[])
}

/// The station's log key.
fn log_key() -> SigningKey {
    SigningKey::from_bytes(&[40; 32])
}

/// One sync seen from both ends: tablet-b's entries and tablet-a's earlier ones are logged,
/// tablet-a's witness holds the checkpoint of its last sync, and it now sends more.
pub struct Sync {
    /// tablet-a's witness as it was before this sync.
    pub witness: Witness,
    /// The entries tablet-a sends.
    pub sent: Vec<SignedEntry>,
    request: SyncRequest,
    response: SyncResponse,
}

/// The sync every target and seed starts from.
pub fn sync() -> &'static Sync {
    static SYNC: OnceLock<Sync> = OnceLock::new();
    SYNC.get_or_init(|| {
        let key = log_key();
        let others: Vec<_> = (1..=OTHERS).map(|s| entry("tablet-b", s)).collect();
        let earlier: Vec<_> = (1..=EARLIER).map(|s| entry("tablet-a", s)).collect();
        let sent: Vec<_> = (EARLIER + 1..=EARLIER + SENT)
            .map(|s| entry("tablet-a", s))
            .collect();
        let mut log: Log = Log::default();
        for e in others.iter().chain(&earlier) {
            log.append(e.hash());
        }
        let mut witness = Witness::new(key.verifying_key().to_bytes());
        witness.last = Some(
            SignedCheckpoint::sign(&key, &log, T0)
                .verify(&key.verifying_key())
                .expect("a checkpoint signed here verifies"),
        );
        let known_size = log.size();
        for e in &sent {
            log.append(e.hash());
        }
        let checkpoint = SignedCheckpoint::sign(&key, &log, Timestamp(T0.0 + 1000));
        let receipts = |entries: &[SignedEntry]| -> Vec<EntryReceipt> {
            entries
                .iter()
                .map(|e| {
                    let index = (0..log.size())
                        .find(|&i| log.leaf(i) == Some(&e.hash()))
                        .expect("a logged entry");
                    EntryReceipt {
                        entry: e.hash(),
                        receipt: Receipt {
                            checkpoint: checkpoint.clone(),
                            index,
                            proof: log.inclusion(index).expect("an inclusion proof"),
                        },
                    }
                })
                .collect()
        };
        let case = case();
        let mut edited = CaseDoc::load(&case.edited, b"tablet-a").expect("the edited case");
        let held_heads = held_case().heads_digests();
        let up = DocsUp {
            docs: vec![DocChanges {
                case: CASE.into(),
                changes: hex::encode(edited.changes_after(&held_heads)),
            }],
        };
        let request = SyncRequest {
            push: PushEntries {
                entries: sent.clone(),
                known_size,
            },
            up,
            want: Some(DocsWant {
                have: vec![CaseHeads {
                    case: CASE.into(),
                    heads: edited.heads_hex(),
                }],
                desk_acts: Default::default(),
                feeds: None,
            }),
            bureau: None,
        };
        let response = SyncResponse {
            push: PushResponse {
                receipts: receipts(&sent),
                consistency: log.consistency(known_size).expect("a consistency proof"),
                checkpoint: checkpoint.clone(),
            },
            acked: DocsAck {
                heads: vec![CaseHeads {
                    case: CASE.into(),
                    heads: edited.heads_hex(),
                }],
                outside: Vec::new(),
            },
            down: DocsDown {
                docs: vec![DocChanges {
                    case: CASE.into(),
                    changes: hex::encode(held_case().changes_after(&[])),
                }],
                entries: others.clone(),
                certificates: vec![],
            },
            down_receipts: receipts(&others),
            revocations: None,
            tasks: Some(vec![InspectionTask {
                draw: "draw-20261201-abcdef".into(),
                title: "沿街商户市容秩序抽查".into(),
                drawn_at: qc_domain::Timestamp(1_780_000_000_000),
                target: qc_domain::draw::Target {
                    id: "91650102MA0001X".into(),
                    name: "商户1号".into(),
                    address: "解放南路1号".into(),
                    category: "沿街商户".into(),
                },
                inspectors: vec![qc_domain::draw::Inspector {
                    id: "li.ming".into(),
                    name: "李明".into(),
                    squad: "一中队".into(),
                }],
            }]),
            bureau: Some(qc_sync::wire::BureauFiles {
                catalogue: None,
                wording: Some(qc_sync::wire::BureauFile {
                    text: "[bureau]\nname = \"示例局\"\n".into(),
                    release: qc_identity::SignedFileRelease {
                        bytes: b"QCFILE".to_vec(),
                        signature: vec![0; 64],
                    },
                }),
            }),
        };
        // Seeds the station or the device would refuse start the fuzzer off short of the code
        // that matters (the proofs, the merge).
        let mut device = witness.clone();
        device
            .accept_push(&sent, &response.push)
            .and_then(|_| device.check_receipts(&others, &response.down_receipts))
            .expect("the device accepts the answer");
        for d in request.up.docs.iter().chain(&response.down.docs) {
            let changes = hex::decode(&d.changes).expect("hex");
            merge_changes(Some(held_case()), &changes).expect("the changes merge");
        }
        Sync {
            witness,
            sent,
            request,
            response,
        }
    })
}

/// Real inputs for each sync target, as (target, file name, bytes): the fuzzer mutates these
/// instead of having to discover JSON, Automerge and proofs from nothing.
pub fn seeds() -> Vec<(&'static str, &'static str, Vec<u8>)> {
    let sync = sync();
    let case = case();
    let mut edited = CaseDoc::load(&case.edited, b"tablet-a").expect("the edited case");
    let mut first_sync = sync.request.clone();
    first_sync.push.known_size = 0;
    first_sync.up.docs[0].changes = hex::encode(edited.changes_after(&[]));
    first_sync.want = None;
    vec![
        ("sync_request", "edit-and-want.json", json(&sync.request)),
        ("sync_request", "new-case.json", json(&first_sync)),
        (
            "doc_changes",
            "after-held.bin",
            edited.changes_after(&held_case().heads_digests()),
        ),
        ("doc_changes", "whole-case.bin", case.edited.clone()),
        ("doc_changes", "held-again.bin", case.held.clone()),
        (
            "enrol_request",
            "device.json",
            json(&EnrolRequest {
                code: "ABCD-EFGH-JKLM".into(),
                device_id: "tablet-a".into(),
                label: "一中队 平板1".into(),
                public_key: hex::encode(device_key("tablet-a").verifying_key().to_bytes()),
            }),
        ),
        (
            "enrol_request",
            "officer.json",
            json(&OfficerEnrolRequest {
                code: "NPQR-STUV-WXYZ".into(),
                person_id: "li.ming".into(),
                public_key: hex::encode(
                    SigningKey::from_bytes(&[20; 32]).verifying_key().to_bytes(),
                ),
            }),
        ),
        (
            "blob_query",
            "chunk.txt",
            b"size=200000&offset=131072".to_vec(),
        ),
        (
            "blob_query",
            "status.json",
            json(&BlobStatus {
                received: 131_072,
                complete: false,
            }),
        ),
        ("sync_response", "answer.json", json(&sync.response)),
        // The entry seeds predate the current layout, whose signed bytes are a head.
        ("entry_decode", "head-2.bin", sync.sent[0].bytes.clone()),
    ]
}

fn json<T: Serialize>(body: &T) -> Vec<u8> {
    serde_json::to_vec(body).expect("a wire body serializes")
}
