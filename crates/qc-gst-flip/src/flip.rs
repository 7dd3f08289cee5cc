//! The element: a bin with `videoflip` inside and its `video-direction` outside.

use gst::glib;
use gst::prelude::*;
use gst::subclass::prelude::*;

glib::wrapper! {
    /// `autovideoflip`: `videoflip` under the name and property WebKit asks for.
    pub struct AutoVideoFlip(ObjectSubclass<imp::AutoVideoFlip>)
        @extends gst::Bin, gst::Element, gst::Object;
}

mod imp {
    use super::*;
    use std::sync::{LazyLock, OnceLock};

    /// The one property, forwarded to the inner `videoflip`.
    const DIRECTION: &str = "video-direction";

    static CAT: LazyLock<gst::DebugCategory> = LazyLock::new(|| {
        gst::DebugCategory::new(
            "qcautovideoflip",
            gst::DebugColorFlags::empty(),
            Some("autovideoflip for GStreamer 1.22"),
        )
    });

    /// The inner `videoflip`, made when the bin is; absent where it is not installed, and then
    /// the bin has no pads and links to nothing (the recorder fails, and says so).
    #[derive(Default)]
    pub struct AutoVideoFlip {
        flip: OnceLock<gst::Element>,
    }

    #[glib::object_subclass]
    impl ObjectSubclass for AutoVideoFlip {
        const NAME: &'static str = "QcAutoVideoFlip";
        type Type = super::AutoVideoFlip;
        type ParentType = gst::Bin;
    }

    impl ObjectImpl for AutoVideoFlip {
        fn properties() -> &'static [glib::ParamSpec] {
            static PROPERTIES: LazyLock<Vec<glib::ParamSpec>> = LazyLock::new(|| {
                vec![
                    glib::ParamSpecEnum::builder_with_default(
                        DIRECTION,
                        gst_video::VideoOrientationMethod::Identity,
                    )
                    .nick("Video direction")
                    .blurb("Rotation and flipping; auto follows the frames' orientation tags")
                    .build(),
                ]
            });
            PROPERTIES.as_ref()
        }

        fn set_property(&self, _id: usize, value: &glib::Value, _pspec: &glib::ParamSpec) {
            if let Some(flip) = self.flip.get() {
                flip.set_property_from_value(DIRECTION, value);
            }
        }

        fn property(&self, _id: usize, pspec: &glib::ParamSpec) -> glib::Value {
            self.flip
                .get()
                .map(|flip| flip.property_value(DIRECTION))
                .unwrap_or_else(|| pspec.default_value().clone())
        }

        fn constructed(&self) {
            self.parent_constructed();
            let bin = self.obj();
            let flip = match gst::ElementFactory::make("videoflip").build() {
                Ok(flip) => flip,
                Err(e) => {
                    gst::error!(CAT, imp: self, "no videoflip (gstreamer1.0-plugins-good): {e}");
                    return;
                }
            };
            bin.add(&flip).expect("a new element joins an empty bin");
            for name in ["sink", "src"] {
                let inner = flip.static_pad(name).expect("videoflip has sink and src");
                let outer = gst::GhostPad::builder_with_target(&inner)
                    .expect("a ghost pad of the same direction")
                    .name(name)
                    .build();
                bin.add_pad(&outer).expect("each name once");
            }
            let _ = self.flip.set(flip);
        }
    }

    impl GstObjectImpl for AutoVideoFlip {}

    impl ElementImpl for AutoVideoFlip {
        fn metadata() -> Option<&'static gst::subclass::ElementMetadata> {
            static METADATA: LazyLock<gst::subclass::ElementMetadata> = LazyLock::new(|| {
                gst::subclass::ElementMetadata::new(
                    "Video flip (automatic)",
                    "Filter/Effect/Video",
                    "Turns video upright by its orientation tags (videoflip, for GStreamer 1.22)",
                    "Quancheng",
                )
            });
            Some(&METADATA)
        }

        fn pad_templates() -> &'static [gst::PadTemplate] {
            static TEMPLATES: LazyLock<Vec<gst::PadTemplate>> = LazyLock::new(|| {
                let caps = gst::Caps::builder("video/x-raw").build();
                [gst::PadDirection::Sink, gst::PadDirection::Src]
                    .into_iter()
                    .map(|direction| {
                        let name = if direction == gst::PadDirection::Sink {
                            "sink"
                        } else {
                            "src"
                        };
                        gst::PadTemplate::new(name, direction, gst::PadPresence::Always, &caps)
                            .expect("a valid template")
                    })
                    .collect()
            });
            TEMPLATES.as_ref()
        }
    }

    impl BinImpl for AutoVideoFlip {}
}
