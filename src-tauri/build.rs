//! Generates the Tauri context and declares the app's own commands, so each one must be granted
//! to the window by a capability (capabilities/default.json) before the webview can call it.

fn main() {
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(
        tauri_build::AppManifest::new().commands(&[
            "list_cases",
            "count_cases",
            "ratio_721",
            "grids",
            "catalogue",
            "app_info",
            "sync_status",
            "sync",
            "signers",
            "sign_in",
            "sign_out",
            "signed_in",
            "register_case",
            "case_detail",
            "case_record",
            "record_act",
            "people",
            "unsynced_cases",
            "export_case",
            "add_evidence",
            "cosign_evidence",
            "evidence",
            "blob",
            "records",
            "start_inspection",
            "update_inspection",
            "issue_notice",
            "sign_off_party",
            "sign_off_witness",
            "sign_off_note",
            "seal_record",
            "start_questioning",
            "add_answer",
            "close_page",
            "end_questioning",
        ]),
    ))
    .unwrap_or_else(|e| panic!("tauri build: {e:#}"));
}
