//! 全程 — the officer and squad-leader app. Opens the data directory, then serves the UI.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod camera;
mod commands;
mod media;

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};

use qc_api::keystore::Platform;
use qc_api::{DataDir, OsEntropy, Quancheng, SystemClock};
use tauri::Manager;

/// The open data directory (or why it could not be opened, shown in the window), and the
/// officers signed in on it now: their unlocked keys stay in this process, never in the webview.
pub struct AppState(
    /// The app (or why it did not open), shared with the media server.
    pub media::SharedApp,
    pub Mutex<Vec<qc_api::Unlocked>>,
    /// The stop of the import of files under way, if one is (one at a time: its stop is its
    /// own).
    pub Mutex<Option<std::sync::Arc<AtomicBool>>>,
    /// Where the window's players read evidence files by range (`media`), when it started.
    pub Option<String>,
    /// Recordings being made, by id: their pieces are written without the app's lock (a sync
    /// holds it long).
    pub Mutex<std::collections::HashMap<String, qc_api::recording::Recording>>,
    /// The files last chosen in the file dialog: the only paths the page may import (a page
    /// running someone else's script cannot name any file of the tablet).
    pub Mutex<std::collections::HashSet<PathBuf>>,
);

fn data_dir(app: &tauri::App) -> PathBuf {
    std::env::var_os("QUANCHENG_DATA")
        .map(PathBuf::from)
        .or_else(|| app.path().app_data_dir().ok())
        .unwrap_or_else(|| PathBuf::from("quancheng-data"))
}

fn main() {
    qc_api::init_logging("info");
    // Before the window's web process starts: it reads the variable once.
    camera::find_video_flip();
    let result = tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .setup(|app| {
            // The bundle carries the document fonts (tauri.conf.json `bundle.resources`), so a
            // tablet renders documents offline whatever fonts its system has.
            if std::env::var_os("QC_FONT_DIR").is_none()
                && let Some(fonts) = app
                    .path()
                    .resource_dir()
                    .ok()
                    .map(|d| d.join("fonts"))
                    .filter(|d| d.join(qc_document::fonts::PINNED[0].file).is_file())
            {
                qc_api::documents::set_font_dir(fonts);
            }
            let root = data_dir(app);
            // No platform keystore is wired in yet (on Android: the Android Keystore through a
            // Tauri plugin), so a tablet build refuses to open rather than keep a plain key file.
            let opened = DataDir::for_platform(
                &root,
                std::env::var_os("QUANCHENG_KEY_FILE").map(PathBuf::from),
                Platform::CURRENT,
                None,
            )
            .and_then(|dir| {
                Quancheng::open(&dir, Arc::new(SystemClock), Box::new(OsEntropy))
            });
            match &opened {
                Ok(q) => tracing::info!(dir = %root.display(), device = q.device_id(), "data directory open"),
                Err(e) => tracing::error!(dir = %root.display(), error = %e, "cannot open data directory"),
            }
            let opened = Arc::new(Mutex::new(opened));
            app.manage(AppState(
                opened.clone(),
                Mutex::new(Vec::new()),
                Mutex::default(),
                // Playback is not worth the app: without its server, the player says so.
                media::start(opened)
                    .inspect_err(|e| tracing::error!(error = %e, "no media server"))
                    .ok(),
                Mutex::default(),
                Mutex::default(),
            ));
            if let Some(window) = app.get_webview_window("main") {
                camera::allow(&window)?;
            }
            Ok(())
        })
        .on_page_load(|webview, payload| {
            if payload.event() == tauri::webview::PageLoadEvent::Started
                && let Some(state) = webview.try_state::<AppState>()
            {
                commands::release_recordings(&state);
            }
        })
        .invoke_handler(tauri::generate_handler![
            commands::list_cases,
            commands::count_cases,
            commands::ratio_721,
            commands::grids,
            commands::catalogue,
            commands::app_info,
            commands::sync_status,
            commands::sync,
            commands::signers,
            commands::sign_in,
            commands::sign_out,
            commands::signed_in,
            commands::register_case,
            commands::case_detail,
            commands::case_record,
            commands::record_act,
            commands::deliver_signed,
            commands::people,
            commands::inspection_tasks,
            commands::inspection_reports,
            commands::report_inspection,
            commands::set_aside,
            commands::unsynced_cases,
            commands::export_case,
            commands::add_evidence,
            commands::pick_evidence,
            commands::import_evidence,
            commands::cancel_import,
            commands::start_recording,
            commands::record_piece,
            commands::finish_recording,
            commands::recordings_left,
            commands::keep_recording_left,
            commands::media_base,
            commands::prepare_media,
            commands::cosign_evidence,
            commands::footage_links,
            commands::link_evidence,
            commands::delete_original,
            commands::evidence,
            commands::blob,
            commands::records,
            commands::start_inspection,
            commands::update_inspection,
            commands::issue_notice,
            commands::sign_off_party,
            commands::sign_off_witness,
            commands::sign_off_note,
            commands::seal_record,
            commands::start_questioning,
            commands::add_answer,
            commands::close_page,
            commands::end_questioning,
            commands::case_documents,
            commands::preview_document,
            commands::issue_document,
            commands::save_document,
            commands::save_case_file
        ])
        .run(tauri::generate_context!());
    if let Err(e) = result {
        tracing::error!(error = %e, "the app stopped with an error");
        std::process::exit(1);
    }
}

#[cfg(test)]
mod tests {
    /// Every command the window is given is declared in the app manifest (build.rs) and
    /// granted by the window's capability: one left out fails only at run time, in the window
    /// ("not allowed"), which no unit test of the page sees.
    #[test]
    fn every_command_handed_to_the_window_is_declared_and_granted() {
        let main = include_str!("main.rs");
        let build = include_str!("../build.rs");
        let granted = include_str!("../capabilities/default.json");
        // The handler list only (other calls into `commands` are no commands).
        let list = main
            .split("generate_handler![")
            .nth(1)
            .and_then(|rest| rest.split(']').next())
            .expect("the handler list");
        let handed: Vec<&str> = list
            .split("commands::")
            .skip(1)
            .filter_map(|rest| {
                rest.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .next()
            })
            .filter(|name| !name.is_empty())
            .collect();
        assert!(handed.len() > 40, "{handed:?}");
        for name in handed {
            assert!(
                build.contains(&format!("\"{name}\"")),
                "{name} not declared in build.rs"
            );
            let permission = format!("\"allow-{}\"", name.replace('_', "-"));
            assert!(granted.contains(&permission), "{permission} not granted");
        }
    }

    /// Every command the page calls (`call<…>("name"` in ui/src/api.ts) is one handed to the
    /// window: a name misspelt or never registered fails only at run time.
    #[test]
    fn every_command_the_page_calls_is_handed_to_the_window() {
        let main = include_str!("main.rs");
        let page = include_str!("../../ui/src/api.ts");
        let called: Vec<&str> = page
            .split("call<")
            .skip(1)
            .filter_map(|rest| rest.split_once(">(\"").map(|(_, after)| after))
            .filter_map(|after| after.split('"').next())
            .collect();
        assert!(called.len() > 40, "{called:?}");
        for name in called {
            assert!(
                main.contains(&format!("commands::{name},"))
                    || main.contains(&format!("commands::{name}\n")),
                "{name} is called by the page but not handed to the window"
            );
        }
    }
}
