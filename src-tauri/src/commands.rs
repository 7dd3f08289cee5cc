//! Tauri commands: one-line adapters over qc-api. Errors reach the UI as a stable code plus a
//! Chinese message ([`WireError`]).

use base64::Engine;
use qc_api::Unlocked;
use qc_api::documents::{DocumentPreview, DocumentRow};
use qc_api::footage::FootageLinks;
use qc_api::import::{ImportAs, ImportProgress, ImportReport, RedactionOf};
use qc_api::recording::{Recording, RecordingLeft, RecordingPlan};
use qc_api::records::{InspectionEdit, NewEvidence, NoticeDraft, PageClose, Signoff};
use qc_api::station::{SyncProgress, SyncReport, SyncStatus};
use qc_api::{ApiError, CaseDetail, CaseRecord, NewCase, Quancheng, WireError};
use qc_casedoc::{IssuedDocument, StoredRecord};
use qc_document::DocumentKind;
use qc_document::project::Source;
use qc_domain::EnforcementDomain;
use qc_domain::EvidenceItem;
use qc_domain::{Act, CopyAttestation, Interviewee, NoPartySignature, Person, Qa, Timestamp};
use qc_store::{CaseFilter, CaseRow, DueFilter, Ratio721};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tauri::ipc::{Channel, InvokeBody, Request, Response};
use tauri::{Manager, State};

use crate::AppState;

/// Runs `f` on the open data directory, or reports why it is not open.
fn with_app<T>(
    state: &AppState,
    f: impl FnOnce(&mut Quancheng) -> Result<T, ApiError>,
) -> Result<T, WireError> {
    let mut guard = state.0.lock().unwrap_or_else(|p| p.into_inner());
    match guard.as_mut() {
        Ok(app) => f(app).map_err(|e| {
            tracing::warn!(code = e.code(), error = %e, "command failed");
            e.to_wire()
        }),
        Err(e) => Err(e.to_wire()),
    }
}

/// The case-list filter as the UI sends it.
#[derive(Debug, Default, Deserialize)]
pub struct FilterArg {
    status: Option<String>,
    domain: Option<String>,
    grid: Option<String>,
    squad: Option<String>,
    person: Option<String>,
    text: Option<String>,
    due: Option<String>,
    waiting_on: Option<String>,
    limit: Option<u32>,
    offset: Option<u32>,
}

impl From<FilterArg> for CaseFilter {
    fn from(f: FilterArg) -> Self {
        CaseFilter {
            status: f.status,
            domain: f.domain,
            grid: f.grid,
            squad: f.squad,
            person: f.person,
            text: f.text,
            due: match f.due.as_deref() {
                Some("overdue") => Some(DueFilter::Overdue),
                Some("due_soon") => Some(DueFilter::DueSoon),
                Some("urgent") => Some(DueFilter::Urgent),
                _ => None,
            },
            waiting_on: f.waiting_on,
            limit: f.limit,
            offset: f.offset,
        }
    }
}

/// The case list.
#[tauri::command]
pub fn list_cases(
    state: State<'_, AppState>,
    filter: Option<FilterArg>,
) -> Result<Vec<CaseRow>, WireError> {
    with_app(&state, |a| a.list_cases(&filter.unwrap_or_default().into()))
}

/// How many cases match the list's filter.
#[tauri::command]
pub fn count_cases(
    state: State<'_, AppState>,
    filter: Option<FilterArg>,
) -> Result<u64, WireError> {
    with_app(&state, |a| {
        a.count_cases(&filter.unwrap_or_default().into())
    })
}

/// The 721 ratio of a squad (or all) between two instants (ms).
#[tauri::command]
pub fn ratio_721(
    state: State<'_, AppState>,
    squad: Option<String>,
    from: i64,
    to: i64,
) -> Result<Ratio721, WireError> {
    with_app(&state, |a| {
        a.ratio_721(squad.as_deref(), Timestamp(from), Timestamp(to))
    })
}

/// The grid units the cases here lie in.
#[tauri::command]
pub fn grids(state: State<'_, AppState>) -> Result<Vec<String>, WireError> {
    with_app(&state, |a| a.grids())
}

/// The domains and violation types in force.
#[tauri::command]
pub fn catalogue(state: State<'_, AppState>) -> Result<Vec<EnforcementDomain>, WireError> {
    with_app(&state, |a| Ok(a.catalogue().domains.clone()))
}

/// What the title bar shows about this device.
#[derive(Debug, Serialize)]
pub struct AppInfo {
    data_dir: String,
    device_id: String,
    case_count: u64,
    overdue: u64,
    due_soon: u64,
}

/// Device and data directory.
#[tauri::command]
pub fn app_info(state: State<'_, AppState>) -> Result<AppInfo, WireError> {
    with_app(&state, |a| {
        let counts = a.deadline_counts()?;
        Ok(AppInfo {
            data_dir: a.data_dir().root().display().to_string(),
            device_id: a.device_id().to_owned(),
            case_count: a.case_count()?,
            overdue: counts.overdue,
            due_soon: counts.due_soon,
        })
    })
}

/// What is waiting for the base station.
#[tauri::command]
pub fn sync_status(state: State<'_, AppState>) -> Result<SyncStatus, WireError> {
    with_app(&state, |a| a.sync_status())
}

/// Runs `f` off the UI thread: a sync or a rendering takes seconds, and the window must not
/// freeze meanwhile.
async fn off_ui<T: Send + 'static>(
    app: tauri::AppHandle,
    f: impl FnOnce(&AppState) -> Result<T, WireError> + Send + 'static,
) -> Result<T, WireError> {
    tauri::async_runtime::spawn_blocking(move || f(&app.state::<AppState>()))
        .await
        .unwrap_or_else(|e| Err(ApiError::Invalid(format!("the work stopped: {e}")).to_wire()))
}

/// Syncs with the base station off the UI thread, reporting progress on `progress`.
#[tauri::command]
pub async fn sync(
    app: tauri::AppHandle,
    progress: Channel<SyncProgress>,
) -> Result<SyncReport, WireError> {
    off_ui(app, move |state| {
        with_app(state, |a| {
            a.sync_with(&mut |p| {
                // A window closed mid-sync stops hearing; the sync goes on.
                let _ = progress.send(*p);
            })
        })
    })
    .await
}

/// Who can sign in on this device.
#[tauri::command]
pub fn signers(state: State<'_, AppState>) -> Result<Vec<Person>, WireError> {
    with_app(&state, |a| a.signers_here())
}

/// The officers signed in now, in the order they signed in (the first registers and leads).
fn signed_in_people(state: &AppState) -> Vec<Person> {
    let signed = state.1.lock().unwrap_or_else(|p| p.into_inner());
    signed.iter().map(|u| u.person().clone()).collect()
}

/// Signs an officer in with their PIN (at most two at once: the two-officer acts).
#[tauri::command]
pub fn sign_in(
    state: State<'_, AppState>,
    person: String,
    pin: String,
) -> Result<Vec<Person>, WireError> {
    let unlocked = with_app(&state, |a| {
        let already = signed_in_people(&state);
        if already.iter().any(|p| p.id.0 == person) {
            return Err(ApiError::Invalid(format!("{person} is already signed in")));
        }
        if already.len() >= 2 {
            return Err(ApiError::Invalid(
                "two officers are signed in already".into(),
            ));
        }
        a.unlock(&person, &pin)
    })?;
    state
        .1
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push(unlocked);
    Ok(signed_in_people(&state))
}

/// Signs an officer out (their key is dropped from memory).
#[tauri::command]
pub fn sign_out(state: State<'_, AppState>, person: String) -> Vec<Person> {
    state
        .1
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .retain(|u| u.person().id.0 != person);
    signed_in_people(&state)
}

/// The officers signed in now.
#[tauri::command]
pub fn signed_in(state: State<'_, AppState>) -> Vec<Person> {
    signed_in_people(&state)
}

/// Registers a case (登记) by the first officer signed in; returns its id.
#[tauri::command]
pub fn register_case(state: State<'_, AppState>, case: NewCase) -> Result<String, WireError> {
    with_officers(&state, |a, by| Ok(a.register_case(case, first(by)?)?.0))
}

/// One case: header, status, deadlines, workflow timeline.
#[tauri::command]
pub fn case_detail(state: State<'_, AppState>, case: String) -> Result<CaseDetail, WireError> {
    with_app(&state, |a| a.case_detail(&case))
}

/// A case's whole-process record and whether it verifies.
#[tauri::command]
pub fn case_record(state: State<'_, AppState>, case: String) -> Result<CaseRecord, WireError> {
    with_app(&state, |a| a.case_record(&case))
}

/// Records an act on a case (a squad leader's approval, say), signed by every officer signed in
/// now; the procedure rules decide whether those people may do it.
#[tauri::command]
pub fn record_act(state: State<'_, AppState>, case: String, act: Act) -> Result<(), WireError> {
    with_officers(&state, |a, by| a.record_act(&case, act, by))
}

/// 送达 with the recipient's signature drawn on the tablet (签收), signed by the officers signed
/// in; the signature goes onto the 送达回证. One JSON call rather than the raw body and headers of
/// the sign-offs: the act is the JSON `record_act` takes (Chinese text, nested), so it is read
/// the same way instead of parsed again from a percent-encoded header, and a drawn signature is
/// a few KB, so sending its PNG bytes as an array of numbers costs nothing that matters.
#[tauri::command]
pub fn deliver_signed(
    state: State<'_, AppState>,
    case: String,
    act: Act,
    signature: Vec<u8>,
) -> Result<(), WireError> {
    with_officers(&state, |a, by| a.deliver_signed(&case, act, &signature, by))
}

/// The people this device knows (to name an investigation team).
#[tauri::command]
pub fn people(state: State<'_, AppState>) -> Result<Vec<Person>, WireError> {
    with_app(&state, |a| a.people())
}

/// 双随机抽查任务: the targets drawn for this device's people, as the last sync brought them.
#[tauri::command]
pub fn inspection_tasks(
    state: State<'_, AppState>,
) -> Result<Vec<qc_api::station::InspectionTask>, WireError> {
    with_app(&state, |a| a.inspection_tasks())
}

/// The inspection results recorded on this tablet, oldest first.
#[tauri::command]
pub fn inspection_reports(
    state: State<'_, AppState>,
) -> Result<Vec<qc_domain::draw::InspectionReport>, WireError> {
    with_app(&state, |a| a.inspection_reports())
}

/// What the inspection of a drawn target found, as the UI sends it.
#[derive(Debug, Deserialize)]
pub struct FoundArg {
    draw: String,
    target: String,
    outcome: qc_domain::draw::Outcome,
    #[serde(default)]
    case: String,
    #[serde(default)]
    note: String,
}

/// 检查结果: the two officers drawn for the target, signed in, sign what they found.
#[tauri::command]
pub fn report_inspection(
    state: State<'_, AppState>,
    found: FoundArg,
) -> Result<qc_domain::draw::InspectionReport, WireError> {
    with_officers(&state, |a, by| {
        a.report_inspection(
            (&found.draw, &found.target),
            (found.outcome, &found.case, &found.note),
            by,
        )
    })
}

/// 搁置: the entries about `case` the station refused are set aside, as the first enforcement
/// officer signed in decides (and signs).
#[tauri::command]
pub fn set_aside(
    state: State<'_, AppState>,
    case: String,
) -> Result<qc_api::refused::SetAside, WireError> {
    with_officers(&state, |a, signed| {
        let by = signed
            .iter()
            .copied()
            .find(|u| u.person().is_enforcement_officer())
            .ok_or_else(|| ApiError::Invalid("请执法人员登录后搁置记录".into()))?;
        a.set_aside(&case, by)
    })
}

/// The cases with changes not yet at the base station.
#[tauri::command]
pub fn unsynced_cases(state: State<'_, AppState>) -> Result<Vec<String>, WireError> {
    with_app(&state, |a| a.unsynced_cases())
}

/// Exports the case file (一案一档) as a bundle under the data directory's `exports/`, signed by
/// the first officer signed in; returns where it was written.
#[tauri::command]
pub fn export_case(state: State<'_, AppState>, case: String) -> Result<String, WireError> {
    with_officers(&state, |a, signed| {
        let by = first(signed)?;
        let id = a.resolve_case(&case)?;
        let out = a.exports_dir().join(format!("{id}-{}.qcbundle", a.now().0));
        a.export_case_file(&id, by, &out)?;
        Ok(out.display().to_string())
    })
}

/// A header of a raw-body request, percent-decoded (file names and descriptions are Chinese).
fn header(request: &Request<'_>, name: &str) -> Result<String, ApiError> {
    let raw = request
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| ApiError::Invalid(format!("missing {name}")))?;
    percent_encoding::percent_decode_str(raw)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| ApiError::Invalid(format!("{name} is not UTF-8")))
}

/// Files chosen to import as evidence: with the platform's file dialog (several files, or a
/// folder such as a body camera's, whose files are taken), none when it is closed. A test (or a
/// kiosk) may name them in `QUANCHENG_PICK_FILES` instead (a path list, as `PATH`).
#[tauri::command]
pub async fn pick_evidence(app: tauri::AppHandle, folder: bool) -> Result<Vec<String>, WireError> {
    use tauri_plugin_dialog::DialogExt;
    let dialog = app.clone();
    let chosen: Vec<std::path::PathBuf> = match std::env::var_os("QUANCHENG_PICK_FILES") {
        Some(list) => std::env::split_paths(&list).collect(),
        None if folder => tauri::async_runtime::spawn_blocking(move || {
            dialog.dialog().file().blocking_pick_folder()
        })
        .await
        .ok()
        .flatten()
        .and_then(|p| p.into_path().ok())
        .into_iter()
        .collect(),
        // No filter by name: a camera's `.MP4` is not `.mp4` to GTK, and the store judges a
        // file by its content anyway.
        None => tauri::async_runtime::spawn_blocking(move || {
            dialog.dialog().file().blocking_pick_files()
        })
        .await
        .ok()
        .flatten()
        .unwrap_or_default()
        .into_iter()
        .filter_map(|p| p.into_path().ok())
        .collect(),
    };
    let mut files = Vec::new();
    for path in chosen {
        if path.is_dir() {
            files.extend(qc_api::import::folder_files(&path).map_err(|e| e.to_wire())?);
        } else {
            files.push(path);
        }
    }
    // A dialog closed with nothing leaves the last choice, as the page keeps it.
    if !files.is_empty() {
        *chosen_files(&app.state::<AppState>()) = files.iter().cloned().collect();
    }
    Ok(files
        .into_iter()
        .map(|p| qc_api::import::shown(p.as_os_str()))
        .collect())
}

/// The files last chosen in the dialog.
fn chosen_files(
    state: &AppState,
) -> std::sync::MutexGuard<'_, std::collections::HashSet<std::path::PathBuf>> {
    state.5.lock().unwrap_or_else(|p| p.into_inner())
}

/// The chosen files the page names as [`pick_evidence`] showed them. A name that is not UTF-8
/// was shown changed, so each file is found by how it was shown; the first name that is no
/// chosen file's (or, contrived, two chosen files') is the error.
fn chosen_paths(
    chosen: &std::collections::HashSet<std::path::PathBuf>,
    shown: &[String],
) -> Result<Vec<std::path::PathBuf>, String> {
    let mut by_shown = std::collections::HashMap::new();
    for path in chosen {
        by_shown
            .entry(qc_api::import::shown(path.as_os_str()))
            .and_modify(|p| *p = None)
            .or_insert(Some(path));
    }
    shown
        .iter()
        .map(|s| {
            by_shown
                .get(s)
                .copied()
                .flatten()
                .cloned()
                .ok_or_else(|| s.clone())
        })
        .collect()
}

/// What every file of an import is recorded with, as the UI sends it.
#[derive(Debug, Deserialize)]
pub struct ImportForm {
    case: String,
    paths: Vec<String>,
    description: String,
    attestation: Option<CopyAttestation>,
    /// For a redacted copy: its original and what was hidden.
    #[serde(default)]
    redacts: Option<RedactionOf>,
}

/// Imports files by path as evidence of a case, each one item signed by the officers signed
/// in, streamed from disk off the UI thread with progress on `progress`; [`cancel_import`]
/// stops it.
#[tauri::command]
pub async fn import_evidence(
    app: tauri::AppHandle,
    form: ImportForm,
    progress: Channel<ImportProgress>,
) -> Result<ImportReport, WireError> {
    // Before the work is queued: a stop pressed from now on is heard.
    let stop = {
        let state = app.state::<AppState>();
        let mut under_way = importing(&state);
        if under_way.is_some() {
            tracing::warn!("an import refused while another is under way");
            return Err(
                ApiError::Invalid("另一批文件正在导入，请等其完成或先停止导入".into()).to_wire(),
            );
        }
        under_way.insert(Arc::new(AtomicBool::new(false))).clone()
    };
    let done = app.clone();
    let imported = off_ui(app, move |state| {
        let paths = chosen_paths(&chosen_files(state), &form.paths).map_err(|other| {
            tracing::warn!(path = %other, "import of a file not chosen in the dialog refused");
            ApiError::Invalid("只能导入在文件选择框中选择的文件，请重新选择".into()).to_wire()
        })?;
        let to_be = ImportAs {
            description: form.description,
            attestation: form.attestation,
            redacts: form.redacts,
        };
        let plan = with_officers(state, |a, by| {
            a.prepare_import(&form.case, &paths, (&to_be, by))
        })?;
        // The files are read without the app, which serves the window meanwhile; each is then
        // signed with it, by the officers signed in at that moment.
        Ok(plan.run(
            // A window closed mid-import stops hearing; the import goes on.
            &mut |p| drop(progress.send(*p)),
            &stop,
            &mut |file| app_and_officers(state, |a, by| a.record_import(file, by)),
        ))
    })
    .await;
    importing(&done.state::<AppState>()).take();
    imported
}

/// The stop of the import under way, if one is.
fn importing(state: &AppState) -> std::sync::MutexGuard<'_, Option<Arc<AtomicBool>>> {
    state.2.lock().unwrap_or_else(|p| p.into_inner())
}

/// Stops the import under way (the file being read is not kept; those before it are); it
/// touches nothing else.
#[tauri::command]
pub async fn cancel_import(state: State<'_, AppState>) -> Result<(), WireError> {
    if let Some(stop) = importing(&state).as_ref() {
        stop.store(true, Ordering::Relaxed);
    }
    Ok(())
}

/// Starts recording evidence of a case (询问同步录音, a clip) by the officers signed in; its id.
/// The recorder's pieces follow through [`record_piece`], in order.
#[tauri::command]
pub fn start_recording(
    state: State<'_, AppState>,
    case: String,
    plan: RecordingPlan,
) -> Result<String, WireError> {
    let recording = with_officers(&state, |a, by| a.start_recording(&case, plan, by))?;
    let id = recording.id().to_owned();
    recordings(&state).insert(id.clone(), recording);
    Ok(id)
}

/// The recordings being made.
fn recordings(
    state: &AppState,
) -> std::sync::MutexGuard<'_, std::collections::HashMap<String, Recording>> {
    state.4.lock().unwrap_or_else(|p| p.into_inner())
}

/// Lets go of every recording being made: a page just (re)loaded runs no recorder, so what the
/// last page left unstopped (a reload, its web process gone) is released as it was written,
/// to be found among those left and kept with a note.
pub fn release_recordings(state: &AppState) {
    let released: Vec<String> = recordings(state).drain().map(|(id, _)| id).collect();
    if !released.is_empty() {
        tracing::warn!(?released, "recordings left unstopped by the page released");
    }
}

/// No recording of that id is being made here.
fn no_recording() -> WireError {
    ApiError::Invalid("没有正在进行的这段录制".into()).to_wire()
}

/// Writes the next piece of a recording (the raw request body; its id in `x-recording`) to disk
/// before answering, without the app's lock; the bytes it holds now. Off the UI thread.
#[tauri::command]
pub async fn record_piece(app: tauri::AppHandle, request: Request<'_>) -> Result<u64, WireError> {
    let id = header(&request, "x-recording").map_err(|e| e.to_wire())?;
    let InvokeBody::Raw(piece) = request.body() else {
        return Err(ApiError::Invalid("录制的内容须以原始字节传送".into()).to_wire());
    };
    let piece = piece.clone();
    off_ui(app, move |state| {
        let mut recordings = recordings(state);
        let recording = recordings.get_mut(&id).ok_or_else(no_recording)?;
        recording.piece(&piece).map_err(|e| {
            tracing::warn!(recording = %id, error = %e, "a recording's piece not written");
            e.to_wire()
        })
    })
    .await
}

/// Stops a recording and keeps it as evidence signed by the officers signed in; its id. Should
/// keeping fail, the recording stays on the tablet among those left, to be kept later.
#[tauri::command]
pub async fn finish_recording(app: tauri::AppHandle, id: String) -> Result<String, WireError> {
    off_ui(app, move |state| {
        let recording = recordings(state).remove(&id).ok_or_else(no_recording)?;
        with_officers(state, |a, by| a.finish_recording(recording, by))
    })
    .await
}

/// Recordings left on this tablet (a crash, a stop not kept), not yet evidence; off the UI
/// thread (each is read through).
#[tauri::command]
pub async fn recordings_left(app: tauri::AppHandle) -> Result<Vec<RecordingLeft>, WireError> {
    off_ui(app, |state| with_app(state, |a| a.recordings_left())).await
}

/// Keeps a recording left on this tablet as evidence signed by the officers signed in, with a
/// note of how it ended; its id.
#[tauri::command]
pub async fn keep_recording_left(app: tauri::AppHandle, id: String) -> Result<String, WireError> {
    off_ui(app, move |state| {
        with_officers(state, |a, by| a.keep_recording_left(&id, by))
    })
    .await
}

/// Where the window's players read evidence files by range: `{base}{case}/{sha256}`.
#[tauri::command]
pub fn media_base(state: State<'_, AppState>) -> Result<String, WireError> {
    state.3.clone().ok_or_else(|| {
        ApiError::Invalid("本机的播放服务未能启动，无法播放（详见日志）".into()).to_wire()
    })
}

/// Captures a photo taken with the camera as evidence of a case, signed by the officers signed
/// in (two seal it at once; one leaves it awaiting the second). The bytes come as the raw
/// request body.
#[tauri::command]
pub fn add_evidence(state: State<'_, AppState>, request: Request<'_>) -> Result<String, WireError> {
    with_officers(&state, |a, actors| {
        let InvokeBody::Raw(bytes) = request.body() else {
            return Err(ApiError::Invalid("the file must come as raw bytes".into()));
        };
        // A copy of a document, marked "经核对与原件无异": where the original is, when it was
        // checked and who checked it, each in its own header.
        let attestation = match header(&request, "x-attest-source") {
            Ok(source) => Some(CopyAttestation {
                source,
                date: header(&request, "x-attest-date")?,
                signer: header(&request, "x-attest-signer")?,
            }),
            Err(_) => None,
        };
        let new = NewEvidence {
            file_name: header(&request, "x-file-name")?,
            description: header(&request, "x-description")?,
            attestation,
        };
        let case = header(&request, "x-case")?;
        a.add_evidence(&case, bytes.as_slice(), new, actors)
    })
}

/// The second officer (the first signed in) co-signs evidence another officer captured.
#[tauri::command]
pub fn cosign_evidence(
    state: State<'_, AppState>,
    case: String,
    item: String,
) -> Result<(), WireError> {
    with_officers(&state, |a, by| a.cosign_evidence(&case, &item, first(by)?))
}

/// The acts of a case a recording may record, and those proposed for each recording.
#[tauri::command]
pub fn footage_links(state: State<'_, AppState>, case: String) -> Result<FootageLinks, WireError> {
    with_app(&state, |a| a.footage_links(&case))
}

/// The officer signed in first confirms which acts a recording records (关联执法记录).
#[tauri::command]
pub fn link_evidence(
    state: State<'_, AppState>,
    case: String,
    item: String,
    acts: Vec<String>,
) -> Result<(), WireError> {
    with_officers(&state, |a, by| {
        a.link_evidence(&case, &item, &acts, first(by)?)
    })
}

/// The head signed in first approves deleting an evidence item's file (删除原件).
#[tauri::command]
pub fn delete_original(
    state: State<'_, AppState>,
    case: String,
    item: String,
    reason: String,
) -> Result<(), WireError> {
    with_officers(&state, |a, by| {
        a.delete_original(&case, &item, &reason, first(by)?)
    })
}

/// A case's evidence items: facts and who signed.
#[tauri::command]
pub fn evidence(state: State<'_, AppState>, case: String) -> Result<Vec<EvidenceItem>, WireError> {
    with_app(&state, |a| Ok(a.case_file(&case)?.1))
}

/// A blob of a case (a thumbnail), as raw bytes; fetched from the station if this device lacks
/// it.
#[tauri::command]
pub fn blob(
    state: State<'_, AppState>,
    case: String,
    sha256: String,
) -> Result<Response, WireError> {
    with_app(&state, |a| {
        let hash = held(a, &case, &sha256)?;
        Ok(Response::new(a.read_blob(&hash)?))
    })
}

/// An evidence file of a case, fetched from the station first when this device lacks it (a
/// case pulled without its files).
fn held(a: &mut Quancheng, case: &str, sha256: &str) -> Result<[u8; 32], ApiError> {
    let hash: [u8; 32] = hex::decode(sha256)
        .ok()
        .and_then(|v| v.try_into().ok())
        .ok_or_else(|| ApiError::Invalid("not a SHA-256".into()))?;
    if a.station()?.is_some() {
        a.fetch_blob(case, &hash)?;
    }
    Ok(hash)
}

/// Makes an evidence file ready to play here: fetched from the station, off the UI thread,
/// when this device lacks it.
#[tauri::command]
pub async fn prepare_media(
    app: tauri::AppHandle,
    case: String,
    sha256: String,
) -> Result<(), WireError> {
    off_ui(app, move |state| {
        with_app(state, |a| held(a, &case, &sha256).map(drop))
    })
    .await
}

/// The first officer signed in (who registers, exports, co-signs).
fn first<'a>(by: &[&'a Unlocked]) -> Result<&'a Unlocked, ApiError> {
    by.first()
        .copied()
        .ok_or_else(|| ApiError::Invalid("no officer is signed in".into()))
}

/// Runs `f` with the officers signed in now (all of them sign what it records).
fn with_officers<T>(
    state: &AppState,
    f: impl FnOnce(&mut Quancheng, &[&Unlocked]) -> Result<T, ApiError>,
) -> Result<T, WireError> {
    with_app(state, |a| signed_by(state, |by| f(a, by)))
}

/// [`with_officers`] for work off the UI thread that reports as the app does.
fn app_and_officers<T>(
    state: &AppState,
    f: impl FnOnce(&mut Quancheng, &[&Unlocked]) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    let mut app = state.0.lock().unwrap_or_else(|p| p.into_inner());
    let app = app
        .as_mut()
        .map_err(|e| ApiError::Invalid(e.message_zh()))?;
    signed_by(state, |by| f(app, by))
}

/// Runs `f` with the officers signed in now. Taken only with the app's lock held, never the
/// other way round: two threads taking the two in turn in both orders would wait on each
/// other for ever (a sign-in on the UI thread and an import's signing off it).
fn signed_by<T>(state: &AppState, f: impl FnOnce(&[&Unlocked]) -> T) -> T {
    let signed = state.1.lock().unwrap_or_else(|p| p.into_inner());
    let by: Vec<&Unlocked> = signed.iter().collect();
    f(&by)
}

/// A case's field records (笔录), live and sealed.
#[tauri::command]
pub fn records(state: State<'_, AppState>, case: String) -> Result<Vec<StoredRecord>, WireError> {
    with_app(&state, |a| Ok(a.case_file(&case)?.0))
}

/// Starts an on-site inspection record with the officers signed in; returns its id.
#[tauri::command]
pub fn start_inspection(state: State<'_, AppState>, case: String) -> Result<String, WireError> {
    with_officers(&state, |a, by| a.start_inspection(&case, by))
}

/// Issues a 证据先行登记保存通知书 or 抽样取证凭证 with the officers signed in; returns its id.
#[tauri::command]
pub fn issue_notice(
    state: State<'_, AppState>,
    case: String,
    notice: NoticeDraft,
) -> Result<String, WireError> {
    with_officers(&state, |a, by| a.issue_notice(&case, notice, by))
}

/// Writes what the officers have so far on an inspection record.
#[tauri::command]
pub fn update_inspection(
    state: State<'_, AppState>,
    case: String,
    record: String,
    edit: InspectionEdit,
) -> Result<(), WireError> {
    with_officers(&state, |a, by| {
        a.update_inspection(&case, &record, edit, by)
    })
}

/// Signs a record off with a signature drawn on the tablet (PNG, the raw body); the case, the
/// record and what `how` reads come in headers.
fn sign_off_drawn(
    state: &AppState,
    request: &Request<'_>,
    how: impl FnOnce(&[u8]) -> Result<Signoff<'_>, ApiError>,
) -> Result<(), WireError> {
    with_officers(state, |a, by| {
        let InvokeBody::Raw(image) = request.body() else {
            return Err(ApiError::Invalid(
                "the signature must come as raw bytes".into(),
            ));
        };
        a.sign_off(
            &header(request, "x-case")?,
            &header(request, "x-record")?,
            how(image)?,
            by,
        )
    })
}

/// The party signs a record: their name in a header.
#[tauri::command]
pub fn sign_off_party(state: State<'_, AppState>, request: Request<'_>) -> Result<(), WireError> {
    sign_off_drawn(&state, &request, |image| {
        Ok(Signoff::Party {
            name: header(&request, "x-name")?,
            image,
        })
    })
}

/// The party refused or was absent and an uninterested witness signs: their name, ID number and
/// why the party did not sign (words and `refused` | `absent`) in headers.
#[tauri::command]
pub fn sign_off_witness(state: State<'_, AppState>, request: Request<'_>) -> Result<(), WireError> {
    sign_off_drawn(&state, &request, |image| {
        Ok(Signoff::Witness {
            name: header(&request, "x-name")?,
            id_number: header(&request, "x-id-number")
                .ok()
                .filter(|n| !n.trim().is_empty()),
            party_absent_reason: header(&request, "x-reason")?,
            party_did_not_sign: why(&header(&request, "x-why")?)?,
            image,
        })
    })
}

/// Why the party did not sign, as the UI names it.
fn why(code: &str) -> Result<NoPartySignature, ApiError> {
    match code {
        "refused" => Ok(NoPartySignature::Refused),
        "absent" => Ok(NoPartySignature::Absent),
        other => Err(ApiError::Invalid(format!(
            "`{other}` is neither refused nor absent"
        ))),
    }
}

/// The party refused to sign or was absent, and no witness did: the officers note it on the
/// record, with why the party did not sign.
#[tauri::command]
pub fn sign_off_note(
    state: State<'_, AppState>,
    case: String,
    record: String,
    note: String,
    party_did_not_sign: NoPartySignature,
) -> Result<(), WireError> {
    with_officers(&state, |a, by| {
        let how = Signoff::OfficersNote {
            note,
            party_did_not_sign,
        };
        a.sign_off(&case, &record, how, by)
    })
}

/// Seals a record: the officers signed in sign its content; it can no longer be edited.
#[tauri::command]
pub fn seal_record(
    state: State<'_, AppState>,
    case: String,
    record: String,
) -> Result<(), WireError> {
    with_officers(&state, |a, by| a.seal_record(&case, &record, by))
}

/// Starts a questioning transcript of one person by the officers signed in; returns its id.
#[tauri::command]
pub fn start_questioning(
    state: State<'_, AppState>,
    case: String,
    interviewee: Interviewee,
    rights_shown: bool,
) -> Result<String, WireError> {
    with_officers(&state, |a, by| {
        a.start_questioning(&case, interviewee, rights_shown, by)
    })
}

/// Writes a question and its answer on the transcript's open page.
#[tauri::command]
pub fn add_answer(
    state: State<'_, AppState>,
    case: String,
    record: String,
    qa: Qa,
) -> Result<(), WireError> {
    with_officers(&state, |a, by| a.add_answer(&case, &record, qa, by))
}

/// The interviewee signs a transcript page (the signature drawn on the tablet as the raw body),
/// or, with `x-refusal`, the officers note the refusal.
#[tauri::command]
pub fn close_page(state: State<'_, AppState>, request: Request<'_>) -> Result<(), WireError> {
    with_officers(&state, |a, by| {
        let page: usize = header(&request, "x-page")?
            .parse()
            .map_err(|_| ApiError::Invalid("x-page is not a page number".into()))?;
        let refusal = header(&request, "x-refusal").unwrap_or_default();
        let how = match request.body() {
            InvokeBody::Raw(image) if refusal.is_empty() => PageClose::Signed(image),
            _ => PageClose::Refused(refusal),
        };
        a.close_page(
            &header(&request, "x-case")?,
            &header(&request, "x-record")?,
            page,
            how,
            by,
        )
    })
}

/// Ends the questioning now (before sealing).
#[tauri::command]
pub fn end_questioning(
    state: State<'_, AppState>,
    case: String,
    record: String,
) -> Result<(), WireError> {
    with_officers(&state, |a, by| a.end_questioning(&case, &record, by))
}

/// The documents (执法文书) a case can issue now, and what was issued.
#[tauri::command]
pub fn case_documents(
    state: State<'_, AppState>,
    case: String,
) -> Result<Vec<DocumentRow>, WireError> {
    with_app(&state, |a| a.documents(&case))
}

/// A document's kind and what it is made from, as [`case_documents`] names them.
fn document(kind: &str, source: &str) -> Result<(DocumentKind, Source), ApiError> {
    let kind = DocumentKind::from_name(kind)
        .ok_or_else(|| ApiError::Invalid(format!("no document kind `{kind}`")))?;
    let source = Source::parse(source)
        .ok_or_else(|| ApiError::Invalid(format!("`{source}` names no document source")))?;
    Ok((kind, source))
}

/// A preview with its pages: PNG in base64, all of a document in one answer (it is rendered
/// whole, so asking page by page would render it again for each).
#[derive(Debug, Serialize)]
pub struct Preview {
    #[serde(flatten)]
    preview: DocumentPreview,
    pages: Vec<String>,
}

/// A document's pages as they would be (or were) issued; nothing is signed. Rendered off the
/// UI thread (the first document loads the fonts).
#[tauri::command]
pub async fn preview_document(
    app: tauri::AppHandle,
    case: String,
    kind: String,
    source: String,
) -> Result<Preview, WireError> {
    off_ui(app, move |state| {
        with_app(state, |a| {
            let (kind, source) = document(&kind, &source)?;
            let preview = a.preview_document(&case, kind, &source)?;
            let b64 = base64::engine::general_purpose::STANDARD;
            let pages = preview.pages.iter().map(|p| b64.encode(p)).collect();
            Ok(Preview { preview, pages })
        })
    })
    .await
}

/// Issues a document, signed by the officers signed in (an enforcement officer among them).
#[tauri::command]
pub async fn issue_document(
    app: tauri::AppHandle,
    case: String,
    kind: String,
    source: String,
) -> Result<IssuedDocument, WireError> {
    off_ui(app, move |state| {
        with_officers(state, |a, by| {
            let (kind, source) = document(&kind, &source)?;
            Ok(a.issue_document(&case, kind, &source, by)?.0)
        })
    })
    .await
}

/// Writes a PDF under the data directory's `exports/` as `<case>-<name>.pdf`; returns where.
fn save_pdf(a: &Quancheng, case: &str, name: &str, pdf: &[u8]) -> Result<String, ApiError> {
    let dir = a.exports_dir();
    let out = dir.join(format!("{}-{name}.pdf", a.resolve_case(case)?));
    std::fs::create_dir_all(&dir)
        .and_then(|()| std::fs::write(&out, pdf))
        .map_err(|source| ApiError::Io {
            path: out.clone(),
            source,
        })?;
    Ok(out.display().to_string())
}

/// Saves an issued document (by its 文号 or data digest) as the PDF issued; returns where.
#[tauri::command]
pub fn save_document(
    state: State<'_, AppState>,
    case: String,
    which: String,
) -> Result<String, WireError> {
    with_app(&state, |a| {
        let (issued, pdf) = a.issued_document(&case, &which)?;
        // A document without a 文号 (a cover, say) is named by its kind.
        let name = if issued.number.is_empty() {
            &issued.kind
        } else {
            &issued.number
        };
        save_pdf(a, &case, name, &pdf)
    })
}

/// Saves the printable case file (cover, 卷内目录, the documents issued, photos); returns
/// where. Rendered off the UI thread.
#[tauri::command]
pub async fn save_case_file(app: tauri::AppHandle, case: String) -> Result<String, WireError> {
    off_ui(app, move |state| {
        with_app(state, |a| {
            save_pdf(a, &case, "案卷", &a.case_file_pdf(&case)?)
        })
    })
    .await
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::ffi::OsStrExt;
    use std::path::PathBuf;

    #[test]
    fn a_chosen_file_is_found_by_the_name_it_was_shown_by_even_if_not_utf8() {
        let gbk = |b: &[u8]| PathBuf::from(std::ffi::OsStr::from_bytes(b));
        // 执法 in GBK, as a camera's FAT card may name a file, and another name of as many bytes.
        let camera = gbk(b"/media/cam/\xd6\xb4\xb7\xa8.MP4");
        let twin = gbk(b"/media/cam/\xd6\xb4\xb7\xa9.MP4");
        let plain = PathBuf::from("/media/cam/CAM0001.MP4");
        let shown = |p: &PathBuf| qc_api::import::shown(p.as_os_str());
        // Shown apart though both have bytes that are not UTF-8 (some pairs of GBK bytes are).
        assert_ne!(shown(&camera), shown(&twin));
        let chosen: std::collections::HashSet<_> =
            [camera.clone(), twin.clone(), plain.clone()].into();
        assert_eq!(
            chosen_paths(&chosen, &[shown(&plain), shown(&twin), shown(&camera)]),
            Ok(vec![plain.clone(), twin.clone(), camera.clone()])
        );
        assert_eq!(
            chosen_paths(&chosen, &[shown(&plain), "/etc/hostname".into()]),
            Err("/etc/hostname".into())
        );
        // A UTF-8 name spelling out another's escapes: neither is guessed at.
        let spelt = PathBuf::from(shown(&camera));
        let both: std::collections::HashSet<_> = [camera.clone(), spelt].into();
        assert_eq!(chosen_paths(&both, &[shown(&camera)]), Err(shown(&camera)));
    }
}
