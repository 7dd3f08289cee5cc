//! What a video or audio file says of when and where it was recorded and by which camera: an
//! MP4/MOV/3GP movie header's creation time, its `©xyz` or ISO 6709 location, Matroska's date.
//! Read by seeking over the media data (a body camera writes its index after the footage), so a
//! 2 GiB clip costs a few small reads; a file laid out otherwise (its index first and huge, or
//! made to be read whole) is given up on after [`MOST_READ`] bytes.

use std::io::{self, Read, Seek, SeekFrom};

use chrono::{FixedOffset, NaiveDate};
use nom_exif::{MediaKind, MediaParser, MediaSource, TrackInfoTag};
use qc_domain::{ExifSummary, GeoPoint, TimeSpan, Timestamp};

/// Most bytes read to find a recording's facts (seeks over the footage are not reads).
pub const MOST_READ: u64 = 16 << 20;
/// Longest camera make or model kept.
const MOST_CHARS: usize = 128;
/// Longest clip whose length is believed: a header claiming more is not a body camera's.
const MOST_LENGTH_MS: u64 = 24 * 3600 * 1000;

/// What a video or audio file's own header says of its recording.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TrackFacts {
    /// When and where, and by which camera, as EXIF would say it.
    pub camera: Option<ExifSummary>,
    /// The time it covers, by the camera's clock: its start and its length.
    pub span: Option<TimeSpan>,
}

/// A reader that fails once it has read `left` more bytes, or when `stop` says so.
struct Bounded<'a, R> {
    inner: R,
    left: u64,
    stop: &'a dyn Fn() -> bool,
}

impl<R: Read> Read for Bounded<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 || (self.stop)() {
            return Err(io::Error::other("read enough"));
        }
        let n = (buf.len() as u64).min(self.left) as usize;
        let n = self.inner.read(&mut buf[..n])?;
        self.left -= n as u64;
        Ok(n)
    }
}

impl<R: Seek> Seek for Bounded<'_, R> {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.inner.seek(pos)
    }
}

/// The recording's own time (as a clock in China reads it), place, camera and span, as far as
/// `src` (a video or audio file) records them; `stop` ends the reading early (an import
/// stopped).
pub fn track_facts<R: Read + Seek>(src: R, stop: &dyn Fn() -> bool) -> TrackFacts {
    let bounded = Bounded {
        inner: src,
        left: MOST_READ,
        stop,
    };
    // The parser reads what the file says: whatever it makes of a hostile one, no panic gets
    // past here.
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| facts_of(bounded)))
        .ok()
        .flatten()
        .unwrap_or_default()
}

fn facts_of<R: Read + Seek>(src: R) -> Option<TrackFacts> {
    let source = MediaSource::seekable(src).ok()?;
    if source.kind() != MediaKind::Track {
        return None;
    }
    let info = MediaParser::new().parse_track(source).ok()?;
    let text = |tag| {
        info.get(tag)
            .and_then(|v| v.as_str())
            .map(|s| s.trim().chars().take(MOST_CHARS).collect::<String>())
            .filter(|s| !s.is_empty())
    };
    // A movie header's time is UTC (zero when the maker set none); shown as a clock in China
    // reads it, as a camera's EXIF time is.
    let china = FixedOffset::east_opt(8 * 3600)?;
    let earliest = NaiveDate::from_ymd_opt(1990, 1, 1)?.and_hms_opt(0, 0, 0)?;
    let latest = NaiveDate::from_ymd_opt(2100, 1, 1)?.and_hms_opt(0, 0, 0)?;
    let created = info
        .get(TrackInfoTag::CreateDate)
        .and_then(|v| v.as_datetime())
        .and_then(|t| match t.aware() {
            Some(at) => Some(at.with_timezone(&china)),
            None => t.into_naive().and_local_timezone(china).single(),
        })
        .filter(|t| (earliest..latest).contains(&t.naive_local()));
    let length = info
        .get(TrackInfoTag::DurationMs)
        .and_then(|v| v.as_u64())
        .filter(|ms| (1..=MOST_LENGTH_MS).contains(ms));
    let span = created.zip(length).map(|(from, ms)| {
        let from = Timestamp(from.timestamp_millis());
        TimeSpan {
            from,
            to: Timestamp(from.0 + ms as i64),
        }
    });
    let summary = ExifSummary {
        captured_at: created.map(|t| t.naive_local().format("%Y:%m:%d %H:%M:%S").to_string()),
        gps: info
            .gps_info()
            .and_then(|g| {
                Some(GeoPoint {
                    lat: g.latitude_decimal()?,
                    lon: g.longitude_decimal()?,
                })
            })
            // 0,0 is a receiver without a fix, not a place officers work.
            .filter(|p| (p.lat, p.lon) != (0.0, 0.0))
            .filter(|p| (-90.0..=90.0).contains(&p.lat) && (-180.0..=180.0).contains(&p.lon)),
        make: text(TrackInfoTag::Make),
        model: text(TrackInfoTag::Model),
        orientation: None,
    };
    Some(TrackFacts {
        camera: (summary != ExifSummary::default()).then_some(summary),
        span,
    })
}
