//! Recordings made on the tablet (询问同步录音, a clip filmed on the spot): the recorder's pieces
//! are written, sealed, to a journal on disk as they come (`qc_blobs::Journal`), so a crash or a
//! flat battery keeps all but the last moments; stopping turns the journal into an evidence item
//! like any other, with the time it covers and the records it records. A recording a crash
//! ended is found at the next start and kept the same way, signed by whoever keeps it, with a
//! note saying so.

use qc_domain::{MediaKind, RuleViolation, TimeSpan, Timestamp};
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
}

/// What a journal says of its recording (its first frame).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct RecordingMeta {
    case: String,
    plan: RecordingPlan,
    started_at: Timestamp,
    /// Who started it (names, for the note of one a crash ended).
    by: Vec<String>,
}

/// A recording a crash (or a stop that failed to keep it) left on this device, not yet
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
    /// Its bytes that read back.
    pub bytes: u64,
    /// Who started it.
    pub by: Vec<String>,
}

impl Quancheng {
    /// Starts recording evidence of `case` by `by` (who may capture evidence of it, checked
    /// now): the pieces go to [`Self::record_piece`], [`Self::finish_recording`] keeps it.
    pub fn start_recording(
        &mut self,
        case: &str,
        plan: RecordingPlan,
        by: &[&Unlocked],
    ) -> Result<String, ApiError> {
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
        self.recordings.insert(id.clone(), journal);
        tracing::info!(recording = %id, "recording started");
        Ok(id)
    }

    /// Writes the next piece of recording `id`, durable on return; the bytes it holds now.
    pub fn record_piece(&mut self, id: &str, piece: &[u8]) -> Result<u64, ApiError> {
        let at = self.now().0;
        let io = self.blob_io();
        let journal = self
            .recordings
            .get_mut(id)
            .ok_or_else(|| ApiError::Invalid("没有正在进行的这段录音".into()))?;
        self.blobs.append(journal, at, piece).map_err(io)?;
        Ok(journal.bytes())
    }

    /// Stops recording `id` and keeps it as an evidence item signed by `by`; its id.
    pub fn finish_recording(&mut self, id: &str, by: &[&Unlocked]) -> Result<String, ApiError> {
        // Ended whatever follows: a failure to keep it leaves it to be kept later.
        self.recordings
            .remove(id)
            .ok_or_else(|| ApiError::Invalid("没有正在进行的这段录音".into()))?;
        self.keep_recording(id, by, false)
    }

    /// The recordings a crash left on this device (none being made now by this or another
    /// program).
    pub fn recordings_left(&self) -> Result<Vec<RecordingLeft>, ApiError> {
        let mut left = Vec::new();
        for id in self.blobs.recordings_left().map_err(self.blob_io())? {
            let (meta, scan) = match self.read_journal(&id) {
                Ok(read) => read,
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
                bytes: scan.bytes,
                by: meta.by,
            });
        }
        Ok(left)
    }

    /// Keeps a recording a crash left (one of [`Self::recordings_left`]) as evidence signed by
    /// `by`, with a note of how it ended; its evidence id.
    pub fn keep_recording_left(&mut self, id: &str, by: &[&Unlocked]) -> Result<String, ApiError> {
        if self.recordings.contains_key(id) {
            return Err(ApiError::Invalid("这段录音仍在进行".into()));
        }
        self.keep_recording(id, by, true)
    }

    fn read_journal(&self, id: &str) -> Result<(RecordingMeta, qc_blobs::JournalScan), ApiError> {
        let scan = self.blobs.scan_recording(id).map_err(self.blob_io())?;
        let meta = serde_json::from_slice(&scan.meta)
            .map_err(|e| ApiError::Invalid(format!("录音的说明无法读取：{e}")))?;
        Ok((meta, scan))
    }

    fn keep_recording(
        &mut self,
        id: &str,
        by: &[&Unlocked],
        interrupted: bool,
    ) -> Result<String, ApiError> {
        let (meta, scan) = self.read_journal(id)?;
        if scan.bytes == 0 {
            // Nothing was recorded (a recorder that gave no data): no evidence to sign.
            self.blobs.remove_recording(id).map_err(self.blob_io())?;
            return Err(ApiError::Invalid("没有录到任何内容".into()));
        }
        let to = scan.last_at.map_or(meta.started_at, Timestamp);
        let note = interrupted.then(|| {
            format!(
                "录制未正常结束（应用中断）：{} 开始的{}保存至最后写入的内容（{}）{}",
                meta.by.join("、"),
                meta.plan.kind.zh(),
                to.display_china(),
                if scan.torn {
                    "，其后未写完的片段无法读取"
                } else {
                    ""
                }
            )
        });
        let case = self.resolve_case(&meta.case)?;
        let doc = self.store.case_doc(&case, self.device_id.as_bytes())?;
        if doc.evidence_item(id)?.is_some() {
            // Kept before a crash came between keeping it and removing its journal.
            self.blobs.remove_recording(id).map_err(self.blob_io())?;
            return Ok(id.to_owned());
        }
        let told = Told {
            id: Some(id.to_owned()),
            kind: Some(meta.plan.kind),
            span: Some(TimeSpan {
                from: meta.started_at,
                to,
            }),
            covers: meta.plan.covers.clone(),
            note,
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
            .read_recording(id, scan.pieces)
            .map_err(self.blob_io())?;
        let evidence = self.add_evidence_told(&meta.case, src, (new, told), by)?;
        // The evidence item bears the recording's id: a crash before this removal finds it
        // kept next time (above).
        self.blobs.remove_recording(id).map_err(self.blob_io())?;
        tracing::info!(recording = %id, evidence, interrupted, "recording kept as evidence");
        Ok(evidence)
    }
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
