//! The tablet's camera in the window (getUserMedia), for photographing evidence on the spot.

/// Turns media capture on in the webview and grants the window's requests for the camera (video
/// only; a microphone or a screen is refused). WebKitGTK ships with capture off and refuses any
/// permission request nobody answers. `QUANCHENG_MOCK_CAMERA` swaps the hardware for WebKit's
/// own synthetic camera, for the end-to-end tests on machines without one.
#[cfg(target_os = "linux")]
pub fn allow(window: &tauri::WebviewWindow) -> tauri::Result<()> {
    let mock = std::env::var_os("QUANCHENG_MOCK_CAMERA").is_some();
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
        view.connect_permission_request(|_, request| {
            let camera_only = request
                .downcast_ref::<UserMediaPermissionRequest>()
                .is_some_and(|m| m.is_for_video_device() && !m.is_for_audio_device());
            if camera_only {
                tracing::info!("camera granted to the window");
                request.allow();
            }
            camera_only
        });
    })
}

/// Other platforms ask the user through their own webview.
#[cfg(not(target_os = "linux"))]
pub fn allow(_window: &tauri::WebviewWindow) -> tauri::Result<()> {
    Ok(())
}
