//! What a video or audio file says of when and where it was recorded and by which camera: an
//! MP4/MOV/3GP movie header's creation time, its `©xyz` or ISO 6709 location, Matroska's date.
//! Read by seeking over the media data (a body camera writes its index after the footage), so a
//! 2 GiB clip costs a few small reads.

use std::io::{Read, Seek};

use nom_exif::{MediaKind, MediaParser, MediaSource, TrackInfoTag};
use qc_domain::{ExifSummary, GeoPoint};

/// The recording's own time, place and camera, when `src` (a video or audio file) records any.
pub fn track_summary<R: Read + Seek>(src: R) -> Option<ExifSummary> {
    let source = MediaSource::seekable(src).ok()?;
    if source.kind() != MediaKind::Track {
        return None;
    }
    let info = MediaParser::new().parse_track(source).ok()?;
    let text = |tag| {
        info.get(tag)
            .and_then(|v| v.as_str())
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
    };
    let summary = ExifSummary {
        // As a camera's EXIF says it: the clock's reading, no zone.
        captured_at: info
            .get(TrackInfoTag::CreateDate)
            .and_then(|v| v.as_datetime())
            .map(|t| t.into_naive().format("%Y:%m:%d %H:%M:%S").to_string()),
        gps: info
            .gps_info()
            .and_then(|g| {
                Some(GeoPoint {
                    lat: g.latitude_decimal()?,
                    lon: g.longitude_decimal()?,
                })
            })
            .filter(|p| (-90.0..=90.0).contains(&p.lat) && (-180.0..=180.0).contains(&p.lon)),
        make: text(TrackInfoTag::Make),
        model: text(TrackInfoTag::Model),
        orientation: None,
    };
    (summary != ExifSummary::default()).then_some(summary)
}
