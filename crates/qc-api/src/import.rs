//! Files imported as evidence from where they lie (the platform's file dialog, a body camera's
//! folder on a USB drive): each read from its path in one streaming pass into the encrypted
//! store, with progress and a way to stop, each one evidence item; a video's own time and place
//! are read from its index by seeking, never by reading it whole.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use qc_domain::{CopyAttestation, MediaKind, Redaction, RuleViolation};
use serde::Serialize;

use crate::records::{BlobSink, NewEvidence, Stored, Told};
use crate::{ApiError, Quancheng, Unlocked};

/// Bytes read between two progress reports (and the last of each file).
const REPORT_EVERY: u64 = 1 << 20;

/// How far an import has come.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ImportProgress {
    /// Files finished (taken or not).
    pub files_done: usize,
    /// Files chosen.
    pub files_total: usize,
    /// Bytes read of all of them.
    pub bytes_done: u64,
    /// Their bytes in all (as their sizes were when the import began).
    pub bytes_total: u64,
}

/// What became of one file.
#[derive(Debug, Serialize)]
pub struct ImportedFile {
    /// Its name.
    pub file_name: String,
    /// The evidence item made of it.
    pub evidence: Option<String>,
    /// Why it was not taken, in Chinese.
    pub error: Option<String>,
    /// The same, as the error it was (a script's exit code names it).
    #[serde(skip)]
    pub cause: Option<ApiError>,
}

/// What an import did.
#[derive(Debug, Serialize)]
pub struct ImportReport {
    /// Each file chosen, in order, as far as the import went.
    pub files: Vec<ImportedFile>,
    /// Whether it was stopped before the end (the file being read then is not kept).
    pub cancelled: bool,
}

/// What every file of an import is recorded with.
#[derive(Debug, Clone, Default)]
pub struct ImportAs {
    /// What they show.
    pub description: String,
    /// "经核对与原件无异", for copies of documents.
    pub attestation: Option<CopyAttestation>,
    /// For a redacted copy (打码副本, one file): the original's evidence id and what was hidden.
    pub redacts: Option<RedactionOf>,
}

/// What a redacted copy is made of: which original, and what was hidden and why.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct RedactionOf {
    /// The original's evidence id.
    pub original: String,
    /// What was hidden, and why (遮挡围观群众面部 …).
    pub reason: String,
}

/// A file being read: counts what passes, reports it, stops when told, and at its end fails
/// if the file is not as it was when the import began (a camera or a copy still writing it):
/// what was read would not be the file.
struct Watched<'a> {
    inner: BufReader<File>,
    /// The file's length and modification time when it was opened.
    was: (u64, Option<std::time::SystemTime>),
    done: u64,
    reported: u64,
    report: &'a mut dyn FnMut(u64),
    cancel: &'a AtomicBool,
    /// Set when the file changed while it was read.
    changed: &'a std::cell::Cell<bool>,
}

/// A file's length and modification time.
fn stamp(file: &File) -> std::io::Result<(u64, Option<std::time::SystemTime>)> {
    let m = file.metadata()?;
    Ok((m.len(), m.modified().ok()))
}

impl Read for Watched<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.cancel.load(Ordering::Relaxed) {
            return Err(std::io::Error::other("import cancelled"));
        }
        let n = self.inner.read(buf)?;
        self.done += n as u64;
        if n == 0 && (self.done != self.was.0 || stamp(self.inner.get_ref())? != self.was) {
            self.changed.set(true);
            return Err(std::io::Error::other("the file changed while it was read"));
        }
        if self.done - self.reported >= REPORT_EVERY || (n == 0 && self.done > self.reported) {
            self.reported = self.done;
            (self.report)(self.done);
        }
        Ok(n)
    }
}

/// An import whose checks are done (who signs and where, the original a copy is of), made by
/// [`Quancheng::prepare_import`]: its files are read into the store by [`ImportPlan::run`]
/// without the app, each then signed as evidence with it.
pub struct ImportPlan {
    case: String,
    paths: Vec<PathBuf>,
    /// The files' sizes when the import began.
    sizes: Vec<u64>,
    to_be: ImportAs,
    redacts: Option<(Redaction, MediaKind)>,
    /// Where each file's bytes go.
    sinks: Vec<BlobSink>,
}

/// A file of an import read into the store, to be signed as evidence
/// ([`Quancheng::record_import`]).
pub struct ImportedBytes {
    case: String,
    pub(crate) stored: Stored,
    new: NewEvidence,
    told: Told,
}

impl Quancheng {
    /// Imports each of `paths` into `case` as one evidence item signed by `by` (one officer
    /// leaves each awaiting a second, as [`Self::add_evidence`]), read from its file in one
    /// streaming pass. A file that cannot be read or is of no kind the store takes is reported
    /// and the others go on; `cancel` stops the import between two reads, the file being read
    /// then is not kept, those before it are.
    pub fn import_files(
        &mut self,
        case: &str,
        paths: &[PathBuf],
        (to_be, by): (&ImportAs, &[&Unlocked]),
        progress: &mut dyn FnMut(&ImportProgress),
        cancel: &AtomicBool,
    ) -> Result<ImportReport, ApiError> {
        let plan = self.prepare_import(case, paths, (to_be, by))?;
        Ok(plan.run(progress, cancel, &mut |file| self.record_import(file, by)))
    }

    /// The first step of [`Self::import_files`], with the app: who signs and where, and the
    /// original a copy is of, checked before any file is read.
    pub fn prepare_import(
        &mut self,
        case: &str,
        paths: &[PathBuf],
        (to_be, by): (&ImportAs, &[&Unlocked]),
    ) -> Result<ImportPlan, ApiError> {
        self.evidence_signed(case, to_be.attestation.as_ref(), by)?;
        let redacts = to_be
            .redacts
            .as_ref()
            .map(|r| self.redaction(case, r, (paths.len(), to_be.attestation.is_some())))
            .transpose()?;
        Ok(ImportPlan {
            case: case.into(),
            paths: paths.to_vec(),
            sizes: paths
                .iter()
                .map(|p| std::fs::metadata(p).map_or(0, |m| m.len()))
                .collect(),
            to_be: to_be.clone(),
            redacts,
            sinks: paths.iter().map(|_| self.blob_sink()).collect(),
        })
    }

    /// The last step of each file of [`Self::import_files`], with the app: signs a file read
    /// into the store as evidence, by `by` (checked again: the app served others meanwhile).
    pub fn record_import(
        &mut self,
        file: ImportedBytes,
        by: &[&Unlocked],
    ) -> Result<String, ApiError> {
        // A deletion approved while the file was read lets go of the files no entry names: this
        // one's bytes (a copy already kept, or just read), or the original it copies. Checked
        // with the app, as the deletion is, so none goes between this and the signing.
        let ImportedBytes {
            case,
            stored,
            new,
            told,
        } = file;
        if !stored.files().iter().all(|h| self.blobs.contains(h)) {
            tracing::warn!(file = new.file_name, "a file let go while it was imported");
            return Err(ApiError::Invalid(
                "该文件在导入过程中因已批准的删除而被移除，未导入；请重新导入".into(),
            ));
        }
        if let Some(r) = &told.redacts
            && self.evidence_of(&case, &r.original)?.deleted.is_some()
        {
            return Err(ApiError::Invalid(
                "原件在导入过程中已被删除，不能再登记其打码副本".into(),
            ));
        }
        self.record_stored(&case, stored, (new, told), by)
    }
}

impl ImportPlan {
    /// Reads each file into the store, without the app, and has `record` sign it (with the
    /// app, see [`Quancheng::record_import`]), reporting `progress` as it goes; `cancel` stops
    /// it between two reads. A refusal that holds for every file (who signs, the case) stops
    /// it; any other failure is reported and the next file goes on.
    pub fn run(
        self,
        progress: &mut dyn FnMut(&ImportProgress),
        cancel: &AtomicBool,
        record: &mut dyn FnMut(ImportedBytes) -> Result<String, ApiError>,
    ) -> ImportReport {
        let mut at = ImportProgress {
            files_done: 0,
            files_total: self.paths.len(),
            bytes_done: 0,
            bytes_total: self.sizes.iter().sum(),
        };
        progress(&at);
        let mut report = ImportReport {
            files: Vec::new(),
            cancelled: false,
        };
        for ((path, size), sink) in self.paths.iter().zip(&self.sizes).zip(self.sinks) {
            if cancel.load(Ordering::Relaxed) {
                report.cancelled = true;
                break;
            }
            let file_name = file_name(path);
            let before = at.bytes_done;
            let taken = {
                let mut report_bytes = |done: u64| {
                    at.bytes_done = before + done;
                    progress(&at);
                };
                read_one(
                    path,
                    sink,
                    (&file_name, &self.to_be, self.redacts.clone()),
                    &mut report_bytes,
                    cancel,
                )
                .and_then(|(stored, new, told)| {
                    record(ImportedBytes {
                        case: self.case.clone(),
                        stored,
                        new,
                        told,
                    })
                })
            };
            at.bytes_done = before + size;
            at.files_done += 1;
            match taken {
                Ok(id) => report.files.push(ImportedFile {
                    file_name,
                    evidence: Some(id),
                    error: None,
                    cause: None,
                }),
                Err(_) if cancel.load(Ordering::Relaxed) => {
                    report.cancelled = true;
                    break;
                }
                Err(e) => {
                    tracing::warn!(file = %path.display(), error = %e, "a file not imported");
                    // Who may sign, and the case, hold for every file (checked before the
                    // first): one refused now stops the import, what was taken still reported.
                    let stop = matches!(e, ApiError::Rule(_) | ApiError::UnknownCase(_));
                    report.files.push(ImportedFile {
                        file_name,
                        evidence: None,
                        error: Some(e.message_zh()),
                        cause: Some(e),
                    });
                    if stop {
                        break;
                    }
                }
            }
            progress(&at);
        }
        tracing::info!(
            case = self.case,
            files = report.files.len(),
            cancelled = report.cancelled,
            "files imported"
        );
        report
    }
}

/// Reads one file of an import into the store through `sink`: its bytes, and what it will be
/// recorded as.
fn read_one(
    path: &Path,
    sink: BlobSink,
    (file_name, to_be, redacts): (&str, &ImportAs, Option<(Redaction, MediaKind)>),
    report: &mut dyn FnMut(u64),
    cancel: &AtomicBool,
) -> Result<(Stored, NewEvidence, Told), ApiError> {
    let unreadable = |e: std::io::Error| ApiError::Invalid(io_zh(&e).into());
    let mut file = File::open(path).map_err(unreadable)?;
    let was = stamp(&file).map_err(unreadable)?;
    // The recording's own facts first (its index may follow the footage), from the same file
    // as the bytes then kept.
    let track = qc_evidence::track_facts(BufReader::new(&mut file), &|| {
        cancel.load(Ordering::Relaxed)
    });
    file.seek(SeekFrom::Start(0)).map_err(unreadable)?;
    let changed = std::cell::Cell::new(false);
    let src = Watched {
        inner: BufReader::with_capacity(256 << 10, file),
        was,
        done: 0,
        reported: 0,
        report,
        cancel,
        changed: &changed,
    };
    // A copy is of its original's kind: an audio original's copy in an MP4 is audio.
    let (redacts, kind) = redacts.unzip();
    let told = Told {
        camera: track.camera,
        span: track.span,
        kind,
        redacts,
        ..Told::default()
    };
    let stored = sink.store(src, &told).map_err(|e| match changed.get() {
        true => ApiError::Invalid(
            "文件在导入过程中发生了变化（可能仍在写入），未导入；请待其写入完成后重新导入".into(),
        ),
        false => e,
    })?;
    let new = NewEvidence {
        file_name: file_name.into(),
        description: to_be.description.clone(),
        attestation: to_be.attestation.clone(),
    };
    Ok((stored, new, told))
}

impl Quancheng {
    /// The redaction a copy of `case`'s evidence `of.original` records, and the kind the copy
    /// must be, if it may be made: the original a sealed photo, recording or video of the
    /// case and no copy itself, a reason given, one file, no copy attestation (a redacted copy
    /// is not "the same as the original").
    fn redaction(
        &self,
        case: &str,
        of: &RedactionOf,
        (files, attested): (usize, bool),
    ) -> Result<(Redaction, MediaKind), ApiError> {
        if of.reason.trim().is_empty() {
            return Err(RuleViolation::EmptyField {
                field: "打码原因（遮挡了什么、为什么）",
            }
            .into());
        }
        if files != 1 {
            return Err(ApiError::Invalid("一个打码副本只能是一个文件".into()));
        }
        if attested {
            return Err(ApiError::Invalid(
                "打码副本遮挡了原件的内容，不能注明“经核对与原件无异”".into(),
            ));
        }
        let original = self.evidence_of(case, &of.original)?;
        let f = &original.facts;
        if f.redacts.is_some() {
            return Err(ApiError::Invalid(
                "不能为打码副本再制作打码副本，请从原件制作".into(),
            ));
        }
        if !matches!(
            f.kind,
            MediaKind::Photo | MediaKind::Audio | MediaKind::Video
        ) {
            return Err(ApiError::Invalid(
                "只能为照片、录音或视频原件制作打码副本".into(),
            ));
        }
        if !original.sealed() {
            return Err(ApiError::Invalid(
                "原件尚待第二名执法人员签名，签名确认后才能制作打码副本".into(),
            ));
        }
        if original.deleted.is_some() {
            return Err(ApiError::Invalid(
                "原件已经批准删除，不能制作打码副本".into(),
            ));
        }
        Ok((
            Redaction {
                original: f.id.clone(),
                original_sha256: f.sha256.clone(),
                reason: of.reason.trim().into(),
            },
            f.kind,
        ))
    }
}

/// Folders below a chosen one that are searched (a camera card's `DCIM/100MEDIA` is two).
const FOLDER_DEPTH: usize = 3;

/// A body camera's own side files beside each clip (a thumbnail, a low-resolution copy), not
/// evidence of their own.
const SIDE_FILES: [&str; 3] = ["thm", "lrv", "xml"];

/// The files of a folder (a body camera's card or its clips' folder), by path: those below it
/// too (a few levels), but hidden files and a camera's side files.
pub fn folder_files(dir: &Path) -> Result<Vec<PathBuf>, ApiError> {
    let mut files = Vec::new();
    gather(dir, FOLDER_DEPTH, &mut files)?;
    files.sort();
    Ok(files)
}

fn gather(dir: &Path, depth: usize, files: &mut Vec<PathBuf>) -> Result<(), ApiError> {
    let unreadable = |e: std::io::Error| {
        ApiError::Invalid(format!("无法读取文件夹 {}：{}", dir.display(), io_zh(&e)))
    };
    for entry in std::fs::read_dir(dir).map_err(unreadable)? {
        let entry = entry.map_err(unreadable)?;
        let path = entry.path();
        let hidden = entry.file_name().to_string_lossy().starts_with('.');
        let side = path
            .extension()
            .is_some_and(|x| SIDE_FILES.contains(&x.to_string_lossy().to_lowercase().as_str()));
        let kind = entry.file_type().map_err(unreadable)?;
        if hidden || side {
            continue;
        }
        if kind.is_file() {
            files.push(path);
        } else if kind.is_dir() && depth > 0 {
            gather(&path, depth - 1, files)?;
        }
    }
    Ok(())
}

/// The name a file is shown by.
fn file_name(path: &Path) -> String {
    shown(path.file_name().unwrap_or(path.as_os_str()))
}

/// A file's name or path as the officer is shown it: as it is when it is UTF-8; otherwise (a
/// camera's FAT card naming files in GBK) each byte that is not, as `\xNN`, so that two files
/// are shown alike only if their names are.
pub fn shown(name: &std::ffi::OsStr) -> String {
    #[cfg(unix)]
    {
        use std::fmt::Write as _;
        use std::os::unix::ffi::OsStrExt as _;
        let mut out = String::new();
        for chunk in name.as_bytes().utf8_chunks() {
            out.push_str(chunk.valid());
            for b in chunk.invalid() {
                let _ = write!(out, "\\x{b:02X}");
            }
        }
        out
    }
    #[cfg(not(unix))]
    {
        name.to_string_lossy().into_owned()
    }
}

/// Why a file could not be read, in Chinese.
fn io_zh(e: &std::io::Error) -> &'static str {
    match e.kind() {
        std::io::ErrorKind::NotFound => "文件不存在",
        std::io::ErrorKind::PermissionDenied => "没有读取权限",
        std::io::ErrorKind::IsADirectory => "这是一个文件夹",
        _ => "读取出错",
    }
}
