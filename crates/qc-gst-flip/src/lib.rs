//! `autovideoflip` for GStreamer 1.22.
//!
//! WebKitGTK 2.50's `MediaRecorder` builds its video encoder around an `autovideoflip` element
//! (turning frames upright by their orientation tags) and gives up on the recording when the
//! element is missing. GStreamer added that element in 1.24; Debian 12 ships 1.22 with WebKitGTK
//! 2.50, so a tablet on it records audio but no video. This plugin registers an element by that
//! name on a GStreamer older than 1.24: a bin around `videoflip`, whose `video-direction` (with
//! its `auto` mode, reading the same tags) is the property WebKit sets. On 1.24 and later it
//! registers nothing and GStreamer's own element is used.
#![allow(unsafe_code)]

use gst::glib;
use gst::prelude::*;

mod flip;

/// The GStreamer that first has its own `autovideoflip`.
const NATIVE_SINCE: (u32, u32) = (1, 24);

fn plugin_init(plugin: &gst::Plugin) -> Result<(), glib::BoolError> {
    let (major, minor, _, _) = gst::version();
    // Whether videoflip is installed is not asked here: GStreamer scans the plugins of
    // GST_PLUGIN_PATH before its own, so it may not know yet. The element says it at use.
    if (major, minor) >= NATIVE_SINCE {
        return Ok(());
    }
    gst::Element::register(
        Some(plugin),
        "autovideoflip",
        gst::Rank::None,
        flip::AutoVideoFlip::static_type(),
    )
}

/// GStreamer's entry points (`gst_plugin_qcflip_get_desc` and its kin); private, as the crate
/// has no Rust API.
mod entry {
    use super::plugin_init;

    gst::plugin_define!(
        qcflip,
        env!("CARGO_PKG_DESCRIPTION"),
        plugin_init,
        env!("CARGO_PKG_VERSION"),
        // GStreamer's spelling of the workspace's licence (Apache-2.0); it loads only names it knows.
        "Apache 2.0",
        env!("CARGO_PKG_NAME"),
        "quancheng",
        "https://example.invalid/quancheng"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The frames' width and height as they leave `autovideoflip` in `video-direction=auto`,
    /// for 320×240 frames tagged with `orientation`.
    fn upright_size(orientation: &str) -> (i32, i32) {
        let pipeline = gst::parse_launch(&format!(
            "videotestsrc num-buffers=3 ! video/x-raw,width=320,height=240 \
             ! taginject tags=\"image-orientation={orientation}\" \
             ! autovideoflip name=flip video-direction=auto ! fakesink name=out"
        ))
        .expect("the pipeline parses")
        .downcast::<gst::Pipeline>()
        .expect("a pipeline");
        pipeline.set_state(gst::State::Playing).expect("plays");
        let bus = pipeline.bus().expect("a bus");
        let end = bus
            .timed_pop_filtered(
                gst::ClockTime::from_seconds(10),
                &[gst::MessageType::Eos, gst::MessageType::Error],
            )
            .expect("ends within 10 s");
        assert!(matches!(end.view(), gst::MessageView::Eos(_)), "{end:?}");
        let out = pipeline.by_name("out").expect("the sink");
        let caps = out
            .static_pad("sink")
            .and_then(|p| p.current_caps())
            .expect("negotiated caps");
        let s = caps.structure(0).expect("one structure");
        let size = (
            s.get("width").expect("width"),
            s.get("height").expect("height"),
        );
        pipeline.set_state(gst::State::Null).expect("stops");
        size
    }

    #[test]
    fn frames_are_turned_upright_by_their_orientation_tags() {
        gst::init().expect("GStreamer starts");
        entry::plugin_desc::plugin_register_static().expect("the plugin registers");
        assert!(gst::ElementFactory::find("autovideoflip").is_some());
        assert_eq!(upright_size("rotate-0"), (320, 240));
        assert_eq!(upright_size("rotate-90"), (240, 320));
    }
}
