//! Tauri commands: one-line adapters over qc-api. Errors reach the UI as a stable code plus a
//! Chinese message ([`WireError`]).

use qc_api::station::{SyncProgress, SyncReport, SyncStatus};
use qc_api::{ApiError, Quancheng, WireError};
use qc_domain::EnforcementDomain;
use qc_store::{CaseFilter, CaseRow, DueFilter};
use serde::{Deserialize, Serialize};
use tauri::ipc::Channel;
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
    text: Option<String>,
    due: Option<String>,
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
            text: f.text,
            due: match f.due.as_deref() {
                Some("overdue") => Some(DueFilter::Overdue),
                Some("due_soon") => Some(DueFilter::DueSoon),
                Some("urgent") => Some(DueFilter::Urgent),
                _ => None,
            },
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

/// Syncs with the base station off the UI thread, reporting progress on `progress`.
#[tauri::command]
pub async fn sync(
    app: tauri::AppHandle,
    progress: Channel<SyncProgress>,
) -> Result<SyncReport, WireError> {
    tauri::async_runtime::spawn_blocking(move || {
        with_app(&app.state::<AppState>(), |a| {
            a.sync_with(&mut |p| {
                // A window closed mid-sync stops hearing; the sync goes on.
                let _ = progress.send(*p);
            })
        })
    })
    .await
    .unwrap_or_else(|e| Err(ApiError::Invalid(format!("the sync stopped: {e}")).to_wire()))
}
