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

/// The file name of the `autovideoflip` plugin (crates/qc-gst-flip), which WebKitGTK's video
/// recorder needs on a GStreamer older than 1.24 (Debian 12 has 1.22).
#[cfg(target_os = "linux")]
const VIDEO_FLIP_PLUGIN: &str = "libgstqcflip.so";

/// Lets WebKit's web process find the `autovideoflip` plugin: its folder goes first on
/// `GST_PLUGIN_PATH`, which the web process inherits. Called before the window opens. A package
/// ships the plugin in `gstreamer-1.0/` beside the app; a cargo build leaves it beside the app
/// among every other build output, which GStreamer would all try to load, so a folder holding a
/// link to it alone is made there. Without the plugin, video records nothing on such a GStreamer
/// (the page says so) and audio still records.
#[cfg(target_os = "linux")]
pub fn find_video_flip() {
    let beside = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(std::path::Path::to_path_buf));
    match beside.map(|dir| video_flip_dir(&dir)) {
        Some(Ok(Some(dir))) => {
            let mut path = std::ffi::OsString::from(&dir);
            if let Some(old) = std::env::var_os("GST_PLUGIN_PATH").filter(|p| !p.is_empty()) {
                path.push(":");
                path.push(old);
            }
            match webkit2gtk::glib::setenv("GST_PLUGIN_PATH", &path, true) {
                Ok(()) => {
                    tracing::info!(dir = %dir.display(), "video recording: autovideoflip plugin found")
                }
                Err(e) => tracing::warn!(error = %e, "video recording: cannot set GST_PLUGIN_PATH"),
            }
        }
        Some(Ok(None)) | None => {
            tracing::info!("video recording: no autovideoflip plugin beside the app")
        }
        Some(Err(e)) => {
            tracing::warn!(error = %e, "video recording: cannot link the autovideoflip plugin")
        }
    }
}

/// The folder holding the plugin alone, next to the app in `exe_dir`, if the plugin is there.
#[cfg(target_os = "linux")]
fn video_flip_dir(exe_dir: &std::path::Path) -> std::io::Result<Option<std::path::PathBuf>> {
    let dir = exe_dir.join("gstreamer-1.0");
    if dir.join(VIDEO_FLIP_PLUGIN).is_file() {
        return Ok(Some(dir));
    }
    let built = exe_dir.join(VIDEO_FLIP_PLUGIN);
    if !built.is_file() {
        return Ok(None);
    }
    std::fs::create_dir_all(&dir)?;
    let link = dir.join(VIDEO_FLIP_PLUGIN);
    // A dangling link left by an older build is replaced; another app starting at the same
    // moment may have made the same link.
    let _ = std::fs::remove_file(&link);
    match std::os::unix::fs::symlink(&built, &link) {
        Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => Err(e),
        _ => Ok(Some(dir)),
    }
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

/// Other platforms' webviews record video without GStreamer.
#[cfg(not(target_os = "linux"))]
pub fn find_video_flip() {}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn the_video_flip_plugin_is_found_where_a_package_or_cargo_puts_it() {
        let tmp = tempfile::tempdir().unwrap();
        let exe_dir = tmp.path();
        assert_eq!(
            video_flip_dir(exe_dir).unwrap(),
            None,
            "no plugin, no folder"
        );
        assert!(!exe_dir.join("gstreamer-1.0").exists());

        // A cargo build: the plugin beside the app among the rest, linked into a folder alone,
        // again on the next start.
        std::fs::write(exe_dir.join(VIDEO_FLIP_PLUGIN), b"plugin").unwrap();
        std::fs::write(exe_dir.join("libother.so"), b"other").unwrap();
        let dir = exe_dir.join("gstreamer-1.0");
        for _ in 0..2 {
            assert_eq!(video_flip_dir(exe_dir).unwrap(), Some(dir.clone()));
            let names: Vec<_> = std::fs::read_dir(&dir)
                .unwrap()
                .map(|e| e.unwrap().file_name())
                .collect();
            assert_eq!(names, [VIDEO_FLIP_PLUGIN]);
            assert_eq!(
                std::fs::read(dir.join(VIDEO_FLIP_PLUGIN)).unwrap(),
                b"plugin"
            );
        }

        // A package: the plugin shipped in the folder, used as it is.
        let packaged = tempfile::tempdir().unwrap();
        let shipped = packaged.path().join("gstreamer-1.0");
        std::fs::create_dir(&shipped).unwrap();
        std::fs::write(shipped.join(VIDEO_FLIP_PLUGIN), b"shipped").unwrap();
        assert_eq!(
            video_flip_dir(packaged.path()).unwrap(),
            Some(shipped.clone())
        );
        assert!(!shipped.join(VIDEO_FLIP_PLUGIN).is_symlink());
    }
}
