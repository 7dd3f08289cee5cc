//! Recordings made on the tablet (询问同步录音, a clip filmed on the spot): the recorder's pieces
//! are written, sealed, to a journal on disk as they come (`qc_blobs::Journal`), so a crash or a
//! flat battery keeps all but the last moments; stopping turns the journal into an evidence item
//! like any other, with the time it covers and the records it records. A recording a crash
//! ended is found at the next start and kept the same way, signed by whoever keeps it, with a
//! note saying so.

use std::sync::Arc;

use qc_blobs::RecordingClaim;
use qc_domain::{Clock, MediaKind, RuleViolation, TimeSpan, Timestamp};
use serde::{Deserialize, Serialize};

use crate::records::{NewEvidence, Told};
use crate::{ApiError, Quancheng, Unlocked, entropy};

/// What is being recorded, given when it starts.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RecordingPlan {
    /// Audio or video.
    pub kind: MediaKind,
    /// The recorder's type (`audio/mp4`, `video/webm` …): names the file; what is kept is
    /// told from the bytes, as for any evidence.
    pub mime: String,
    /// The records it records (a questioning's transcript), by id.
    pub covers: Vec<String>,
    /// What it records, in the officer's words.
    pub description: String,
    /// The officers told the party it is recorded (the seeds: recording is made known).
    #[serde(default)]
    pub told: bool,
}

/// What a journal says of its recording (its first frame).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct RecordingMeta {
    case: String,
    plan: RecordingPlan,
    started_at: Timestamp,
    /// Who started it (names, for the evidence's note).
    by: Vec<String>,
}

/// A recording being made: its pieces are written without the rest of the device (a piece
/// waits for no sync or import), each durable before the next.
pub struct Recording {
    journal: qc_blobs::Journal,
    clock: Arc<dyn Clock>,
}

impl Recording {
    /// Its id.
    pub fn id(&self) -> &str {
        self.journal.id()
    }

    /// Writes the next piece, durable on return; the bytes it holds now. A piece that cannot
    /// be written ends the recording: what came before it is kept.
    pub fn piece(&mut self, piece: &[u8]) -> Result<u64, ApiError> {
        if piece.is_empty() {
            return Ok(self.journal.bytes());
        }
        let at = self.clock.now().0;
        self.journal
            .append(at, piece)
            .map_err(|source| ApiError::Io {
                path: format!("recording {}", self.id()).into(),
                source,
            })?;
        Ok(self.journal.bytes())
    }
}

/// A recording left on this device (a crash, or a stop that could not keep it), not yet
/// evidence.
#[derive(Debug, Clone, Serialize)]
pub struct RecordingLeft {
    /// Its id.
    pub id: String,
    /// The case.
    pub case: String,
    /// Audio or video.
    pub kind: MediaKind,
    /// What it records.
    pub description: String,
    /// When it began.
    pub started_at: Timestamp,
    /// When its last piece kept was written, if any was.
    pub last_at: Option<Timestamp>,
    /// When it was stopped, if it was (then only keeping it failed).
    pub stopped_at: Option<Timestamp>,
    /// Its bytes that read back.
    pub bytes: u64,
    /// Who started it.
    pub by: Vec<String>,
}

impl Quancheng {
    /// Starts recording evidence of `case` by `by` (who may capture evidence of it, checked
    /// now): its pieces go to [`Recording::piece`], [`Self::finish_recording`] keeps it.
    pub fn start_recording(
        &mut self,
        case: &str,
        plan: RecordingPlan,
        by: &[&Unlocked],
    ) -> Result<Recording, ApiError> {
        if !matches!(plan.kind, MediaKind::Audio | MediaKind::Video) {
            return Err(ApiError::Invalid("只能录音或录像".into()));
        }
        self.evidence_signed(case, None, by)?;
        let case = self.resolve_case(case)?;
        let doc = self.store.case_doc(&case, self.device_id.as_bytes())?;
        for record in &plan.covers {
            if doc.record(record)?.is_none() {
                return Err(RuleViolation::UnknownRecord(record.clone()).into());
            }
        }
        let meta = RecordingMeta {
            case,
            plan,
            started_at: self.now(),
            by: by.iter().map(|u| u.person.name.clone()).collect(),
        };
        let meta = serde_json::to_vec(&meta).map_err(|e| ApiError::Invalid(e.to_string()))?;
        let id = entropy::uuid(self.entropy.as_mut());
        let journal = self
            .blobs
            .start_recording(&id, &meta)
            .map_err(self.blob_io())?;
        tracing::info!(recording = %id, "recording started");
        Ok(Recording {
            journal,
            clock: self.clock.clone(),
        })
    }

    /// Stops `recording` and keeps it as an evidence item signed by `by`; its id. Should
    /// keeping fail, the recording stays on this device, to be kept later
    /// ([`Self::recordings_left`]).
    pub fn finish_recording(
        &mut self,
        mut recording: Recording,
        by: &[&Unlocked],
    ) -> Result<String, ApiError> {
        let at = self.now().0;
        if let Err(e) = recording.journal.append(at, b"") {
            // The recording ended at its last piece written; it is kept as far as that.
            tracing::warn!(recording = %recording.id(), error = %e, "the stop not written");
        }
        self.keep_recording(recording.journal.into_claim(), by, false)
    }

    /// The recordings left on this device: none being made or kept now, by this program or
    /// another.
    pub fn recordings_left(&self) -> Result<Vec<RecordingLeft>, ApiError> {
        let mut left = Vec::new();
        for id in self.blobs.recordings_left().map_err(self.blob_io())? {
            let read = self
                .blobs
                .claim_recording(&id)
                .map_err(self.blob_io())
                .and_then(|claim| claim.map(|c| self.read_journal(&c)).transpose());
            let (meta, scan) = match read {
                Ok(Some(read)) => read,
                // Taken meanwhile by its keeper.
                Ok(None) => continue,
                Err(e) => {
                    tracing::warn!(recording = %id, error = %e, "a recording left does not read");
                    continue;
                }
            };
            left.push(RecordingLeft {
                id,
                case: meta.case,
                kind: meta.plan.kind,
                description: meta.plan.description,
                started_at: meta.started_at,
                last_at: scan.last_at.map(Timestamp),
                stopped_at: scan.stopped_at.map(Timestamp),
                bytes: scan.bytes,
                by: meta.by,
            });
        }
        Ok(left)
    }

    /// Keeps a recording left on this device (one of [`Self::recordings_left`]) as evidence
    /// signed by `by`, with a note of how it ended; its evidence id.
    pub fn keep_recording_left(&mut self, id: &str, by: &[&Unlocked]) -> Result<String, ApiError> {
        let claim = self
            .blobs
            .claim_recording(id)
            .map_err(self.blob_io())?
            .ok_or_else(|| ApiError::Invalid("这段录制仍在进行或正在保存".into()))?;
        self.keep_recording(claim, by, true)
    }

    fn read_journal(
        &self,
        claim: &RecordingClaim,
    ) -> Result<(RecordingMeta, qc_blobs::JournalScan), ApiError> {
        let scan = self.blobs.scan_recording(claim).map_err(self.blob_io())?;
        let meta = serde_json::from_slice(&scan.meta)
            .map_err(|e| ApiError::Invalid(format!("录制的说明无法读取：{e}")))?;
        Ok((meta, scan))
    }

    fn keep_recording(
        &mut self,
        claim: RecordingClaim,
        by: &[&Unlocked],
        left: bool,
    ) -> Result<String, ApiError> {
        let id = claim.id().to_owned();
        let (meta, scan) = self.read_journal(&claim)?;
        let case = self.resolve_case(&meta.case)?;
        let doc = self.store.case_doc(&case, self.device_id.as_bytes())?;
        if doc.evidence_item(&id)?.is_some() {
            // Kept before a crash came between keeping it and removing its journal.
            self.blobs.remove_recording(claim).map_err(self.blob_io())?;
            return Ok(id);
        }
        if scan.bytes == 0 {
            // Nothing was recorded (a recorder that gave no data): no evidence to sign.
            self.blobs.remove_recording(claim).map_err(self.blob_io())?;
            return Err(qc_evidence::EvidenceError::Empty.into());
        }
        let to = scan
            .stopped_at
            .or(scan.last_at)
            .map_or(meta.started_at, Timestamp);
        let told = Told {
            id: Some(id.clone()),
            kind: Some(meta.plan.kind),
            span: Some(TimeSpan {
                from: meta.started_at,
                to,
            }),
            covers: meta.plan.covers.clone(),
            note: Some(note(&meta, &scan, left, to)),
            ..Told::default()
        };
        let new = NewEvidence {
            file_name: format!(
                "{}-{}.{}",
                meta.plan.kind.zh(),
                meta.started_at
                    .display_china()
                    .replace(|c: char| !c.is_ascii_digit(), ""),
                extension(&meta.plan.mime)
            ),
            description: meta.plan.description.clone(),
            attestation: None,
        };
        let src = self
            .blobs
            .read_recording(&claim, scan.pieces)
            .map_err(self.blob_io())?;
        let evidence = self.add_evidence_told(&meta.case, src, (new, told), by)?;
        // The evidence item bears the recording's id: a crash before this removal finds it
        // kept next time (above).
        self.blobs.remove_recording(claim).map_err(self.blob_io())?;
        tracing::info!(recording = %id, evidence, left, "recording kept as evidence");
        Ok(evidence)
    }
}

/// What the evidence says of how it was recorded and kept: who started it, whether the party
/// was told, and how it ended when that was not a stop kept at once.
fn note(meta: &RecordingMeta, scan: &qc_blobs::JournalScan, left: bool, to: Timestamp) -> String {
    let what = meta.plan.kind.zh();
    let mut note = format!(
        "{}于 {} 开始{}",
        meta.by.join("、"),
        meta.started_at.display_china(),
        if meta.plan.kind == MediaKind::Audio {
            "录音"
        } else {
            "录像"
        }
    );
    if meta.plan.told {
        note.push_str("，已告知被录制人");
    }
    match (scan.stopped_at, left) {
        (Some(_), false) => {}
        (Some(_), true) => {
            note.push_str(&format!(
                "；{} 停止，当时未能保存为证据，此后补签保存",
                to.display_china()
            ));
        }
        (None, _) => note.push_str(&format!(
            "；{what}未正常结束（应用中断），保存至最后写入的内容（{}）",
            to.display_china()
        )),
    }
    if scan.torn {
        note.push_str("；其后未写完的片段无法读取");
    }
    note
}

/// A file name's extension for a recorder's type.
fn extension(mime: &str) -> &'static str {
    let base = mime.split(';').next().unwrap_or_default().trim();
    match base {
        "audio/mp4" => "m4a",
        "video/mp4" => "mp4",
        "audio/webm" | "video/webm" => "webm",
        "audio/ogg" => "ogg",
        "audio/wav" | "audio/x-wav" => "wav",
        _ => "bin",
    }
}
