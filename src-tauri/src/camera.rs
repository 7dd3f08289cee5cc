//! The tablet's camera and microphone in the window (getUserMedia), for photographing and
//! recording evidence on the spot (the window shows while it records).

/// Turns media capture on in the webview and grants the window's requests for the camera and
/// the microphone (a screen is refused). WebKitGTK ships with capture off and refuses any
/// permission request nobody answers. `QUANCHENG_MOCK_CAMERA` swaps the hardware for WebKit's
/// own synthetic camera and microphone, for the end-to-end tests on machines without them, in
/// debug builds only: a release build never records a synthetic picture as evidence.
#[cfg(target_os = "linux")]
pub fn allow(window: &tauri::WebviewWindow) -> tauri::Result<()> {
    let mock = cfg!(debug_assertions) && std::env::var_os("QUANCHENG_MOCK_CAMERA").is_some();
    window.with_webview(move |platform| {
        use webkit2gtk::glib::prelude::Cast;
        use webkit2gtk::{
            PermissionRequestExt, SettingsExt, UserMediaPermissionRequest,
            UserMediaPermissionRequestExt, WebViewExt,
        };
        let view = platform.inner();
        if let Some(settings) = WebViewExt::settings(&view) {
            settings.set_enable_media_stream(true);
            settings.set_enable_mock_capture_devices(mock);
        }
        // A web process that dies (out of memory, a crash) leaves a blank window: load the
        // page again, which also releases a recording it left unstopped.
        view.connect_web_process_terminated(|view, reason| {
            tracing::error!(
                ?reason,
                "the window's web process ended; reloading the page"
            );
            view.reload();
        });
        view.connect_permission_request(|_, request| {
            let devices = request
                .downcast_ref::<UserMediaPermissionRequest>()
                .filter(|m| !for_display(m))
                .map(|m| (m.is_for_video_device(), m.is_for_audio_device()));
            let granted = devices.is_some_and(|(camera, microphone)| camera || microphone);
            if granted {
                tracing::info!(?devices, "camera or microphone granted to the window");
                request.allow();
            }
            granted
        });
    })
}

/// Whether a request is, or may be, for the screen (WebKitGTK tells it by a property its
/// bindings lack; a WebKit without it is not trusted to tell).
#[cfg(target_os = "linux")]
fn for_display(request: &webkit2gtk::UserMediaPermissionRequest) -> bool {
    use webkit2gtk::glib::prelude::ObjectExt;
    const DISPLAY: &str = "is-for-display-device";
    request.find_property(DISPLAY).is_none() || request.property::<bool>(DISPLAY)
}

/// Other platforms ask the user through their own webview.
#[cfg(not(target_os = "linux"))]
pub fn allow(_window: &tauri::WebviewWindow) -> tauri::Result<()> {
    Ok(())
}
