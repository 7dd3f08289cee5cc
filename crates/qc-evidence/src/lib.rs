//! Evidence ingest. The original bytes are read once, as they stream to the blob store: SHA-256
//! and size as they pass, the type sniffed from the content (never the file name), EXIF
//! metadata read from the head of the file, and a small thumbnail made without decoding a
//! photo at full size (the EXIF thumbnail, or a scaled JPEG decode). Videos and audio stream
//! through in constant memory.
//!
//! Pure: works on any reader and writer; the caller decides where the bytes go.

pub mod sample;
mod track;

use std::io::{Cursor, Read, Write};

use image::{ImageFormat, ImageReader, Limits};
use qc_domain::GeoPoint;
pub use qc_domain::{ExifSummary, MediaKind};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use thiserror::Error;
pub use track::{TrackFacts, track_facts};

/// Bytes kept from the start of every file for type sniffing and EXIF (JPEG's EXIF segment
/// is at most 64 KiB and comes first).
const HEAD_BYTES: usize = 256 * 1024;
/// Read size.
const CHUNK: usize = 256 * 1024;

/// Bounds on the work done for a thumbnail.
#[derive(Debug, Clone, Copy)]
pub struct ThumbnailLimits {
    /// Photos larger than this are streamed without being held for a thumbnail.
    pub max_buffered_image: usize,
    /// Images declaring more pixels than this get no thumbnail (decompression bombs).
    pub max_pixels: u64,
    /// Longest side of a thumbnail.
    pub edge: u32,
}

impl Default for ThumbnailLimits {
    fn default() -> Self {
        ThumbnailLimits {
            max_buffered_image: 48 * 1024 * 1024,
            max_pixels: 120_000_000,
            edge: 256,
        }
    }
}

/// What ingest learned about a file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ingested {
    /// SHA-256 of the original bytes.
    pub sha256: [u8; 32],
    /// Size in bytes.
    pub size: u64,
    /// MIME type sniffed from the content.
    pub mime: String,
    /// Kind of evidence.
    pub kind: MediaKind,
    /// EXIF metadata, when present and readable.
    pub exif: Option<ExifSummary>,
    /// A JPEG thumbnail, when one could be made within the limits.
    pub thumbnail: Option<Vec<u8>>,
    /// Why no thumbnail or EXIF was kept, if something was wrong (the file is stored anyway).
    pub notes: Vec<String>,
}

/// Why a file was not accepted as evidence.
#[derive(Debug, Error)]
pub enum EvidenceError {
    /// A zero-byte file.
    #[error("the file is empty")]
    Empty,
    /// A type that is not photo, audio, video or document.
    #[error("unsupported file type ({0})")]
    Unsupported(String),
    /// Reading the source or writing the sink failed.
    #[error("evidence I/O: {0}")]
    Io(#[from] std::io::Error),
}

impl EvidenceError {
    /// The reason in Chinese.
    pub fn message_zh(&self) -> String {
        match self {
            EvidenceError::Empty => "文件为空，不能作为证据".into(),
            EvidenceError::Unsupported(m) => {
                format!("不支持的文件类型（{m}），证据须为照片、录音、视频或文档")
            }
            EvidenceError::Io(_) => "读取或保存证据文件失败".into(),
        }
    }
}

/// How many of a file's first bytes [`sniff`] needs to tell its type.
pub const SNIFF_BYTES: usize = 64;

/// The type of a file from its first bytes.
pub fn sniff(head: &[u8]) -> Result<(&'static str, MediaKind), EvidenceError> {
    let Some(t) = infer::get(head) else {
        return Err(EvidenceError::Unsupported("unknown".into()));
    };
    let mime = t.mime_type();
    let kind = match mime {
        "image/jpeg" | "image/png" | "image/heif" | "image/heic" | "image/webp" => MediaKind::Photo,
        "video/mp4" | "video/quicktime" | "video/3gpp" | "video/x-matroska" | "video/webm"
        | "video/x-msvideo" => MediaKind::Video,
        "audio/mpeg" | "audio/m4a" | "audio/x-m4a" | "audio/mp4" | "audio/x-wav" | "audio/wav"
        | "audio/amr" | "audio/aac" | "audio/ogg" | "audio/x-flac" => MediaKind::Audio,
        "application/pdf" => MediaKind::Document,
        other => return Err(EvidenceError::Unsupported(other.into())),
    };
    Ok((mime, kind))
}

/// Reads `src` to its end once, writing every byte to `sink`, and describes it.
pub fn ingest(
    mut src: impl Read,
    mut sink: impl Write,
    limits: &ThumbnailLimits,
) -> Result<Ingested, EvidenceError> {
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    let mut head: Vec<u8> = Vec::new();
    let mut kind: Option<(&'static str, MediaKind)> = None;
    // The whole photo, kept only while it is a photo within the buffering limit.
    let mut whole: Option<Vec<u8>> = None;
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = match src.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e.into()),
        };
        let chunk = &buf[..n];
        hasher.update(chunk);
        size += n as u64;
        if head.len() < HEAD_BYTES {
            head.extend_from_slice(&chunk[..chunk.len().min(HEAD_BYTES - head.len())]);
        }
        if kind.is_none() && (head.len() >= SNIFF_BYTES || size >= SNIFF_BYTES as u64) {
            let k = sniff(&head)?;
            if k.1 == MediaKind::Photo {
                whole = Some(Vec::new());
            }
            kind = Some(k);
        }
        if let Some(w) = whole.as_mut() {
            if w.len() + n > limits.max_buffered_image {
                whole = None;
            } else {
                w.extend_from_slice(chunk);
            }
        }
        // Writing last: the sink holds exactly the bytes hashed.
        sink.write_all(chunk)?;
    }
    sink.flush()?;
    if size == 0 {
        return Err(EvidenceError::Empty);
    }
    let (mime, kind) = match kind {
        Some(k) => k,
        None => sniff(&head)?,
    };
    let mut notes = Vec::new();
    let exif = if kind == MediaKind::Photo {
        match exif::Reader::new().read_from_container(&mut Cursor::new(&head)) {
            Ok(e) => Some(e),
            Err(exif::Error::NotFound(_)) => None,
            Err(e) => {
                notes.push(format!("EXIF unreadable: {e}"));
                None
            }
        }
    } else {
        None
    };
    let thumbnail = match (kind, &whole) {
        (MediaKind::Photo, Some(bytes)) => match thumbnail(mime, bytes, exif.as_ref(), limits) {
            Ok(t) => Some(t),
            Err(why) => {
                notes.push(why);
                None
            }
        },
        (MediaKind::Photo, None) => {
            notes.push("photo too large to hold for a thumbnail".into());
            None
        }
        _ => None,
    };
    Ok(Ingested {
        sha256: hasher.finalize().into(),
        size,
        mime: mime.into(),
        kind,
        exif: exif.as_ref().map(summary),
        thumbnail,
        notes,
    })
}

fn ascii(exif: &exif::Exif, tag: exif::Tag) -> Option<String> {
    match &exif.get_field(tag, exif::In::PRIMARY)?.value {
        exif::Value::Ascii(v) => v
            .first()
            .map(|s| String::from_utf8_lossy(s).trim().to_owned())
            .filter(|s| !s.is_empty()),
        _ => None,
    }
}

fn degrees(exif: &exif::Exif, tag: exif::Tag, negative_ref: &[u8]) -> Option<f64> {
    let field = exif.get_field(tag, exif::In::PRIMARY)?;
    let exif::Value::Rational(r) = &field.value else {
        return None;
    };
    if r.len() < 3 || r.iter().any(|x| x.denom == 0) {
        return None;
    }
    let v = r[0].to_f64() + r[1].to_f64() / 60.0 + r[2].to_f64() / 3600.0;
    let ref_tag = match tag {
        exif::Tag::GPSLatitude => exif::Tag::GPSLatitudeRef,
        _ => exif::Tag::GPSLongitudeRef,
    };
    let negative = matches!(
        exif.get_field(ref_tag, exif::In::PRIMARY).map(|f| &f.value),
        Some(exif::Value::Ascii(a)) if a.first().is_some_and(|s| s.as_slice() == negative_ref)
    );
    Some(if negative { -v } else { v })
}

fn summary(exif: &exif::Exif) -> ExifSummary {
    let lat = degrees(exif, exif::Tag::GPSLatitude, b"S");
    let lon = degrees(exif, exif::Tag::GPSLongitude, b"W");
    ExifSummary {
        captured_at: ascii(exif, exif::Tag::DateTimeOriginal)
            .or_else(|| ascii(exif, exif::Tag::DateTime)),
        gps: match (lat, lon) {
            (Some(lat), Some(lon))
                if (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon) =>
            {
                Some(GeoPoint { lat, lon })
            }
            _ => None,
        },
        make: ascii(exif, exif::Tag::Make),
        model: ascii(exif, exif::Tag::Model),
        orientation: exif
            .get_field(exif::Tag::Orientation, exif::In::PRIMARY)
            .and_then(|f| f.value.get_uint(0))
            .and_then(|v| u16::try_from(v).ok())
            .filter(|v| (1..=8).contains(v)),
    }
}

/// The JPEG thumbnail embedded in EXIF, if its offsets lie inside the EXIF data.
fn exif_thumbnail(exif: &exif::Exif) -> Option<Vec<u8>> {
    let uint = |tag| {
        exif.get_field(tag, exif::In::THUMBNAIL)
            .and_then(|f| f.value.get_uint(0))
            .map(|v| v as usize)
    };
    let offset = uint(exif::Tag::JPEGInterchangeFormat)?;
    let len = uint(exif::Tag::JPEGInterchangeFormatLength)?;
    let bytes = exif.buf().get(offset..offset.checked_add(len)?)?;
    bytes.starts_with(&[0xff, 0xd8]).then(|| bytes.to_vec())
}

/// A thumbnail within the limits, or why not.
fn thumbnail(
    mime: &str,
    bytes: &[u8],
    exif: Option<&exif::Exif>,
    limits: &ThumbnailLimits,
) -> Result<Vec<u8>, String> {
    if let Some(t) = exif.and_then(exif_thumbnail) {
        return Ok(t);
    }
    let img = match mime {
        "image/jpeg" => scaled_jpeg(bytes, limits)?,
        "image/png" => {
            let mut reader = ImageReader::with_format(Cursor::new(bytes), ImageFormat::Png);
            let mut l = Limits::default();
            l.max_image_width = Some(20_000);
            l.max_image_height = Some(20_000);
            l.max_alloc = Some(limits.max_pixels.saturating_mul(4));
            reader.limits(l);
            reader
                .decode()
                .map_err(|e| format!("no thumbnail: {e}"))?
                .to_rgb8()
        }
        other => return Err(format!("no thumbnail for {other}")),
    };
    let fitted = fit(&img, limits.edge);
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 80)
        .encode_image(&fitted)
        .map_err(|e| format!("thumbnail encoding failed: {e}"))?;
    Ok(out)
}

/// Resizes keeping the aspect ratio so the longest side is at most `edge`.
fn fit(img: &image::RgbImage, edge: u32) -> image::RgbImage {
    let (w, h) = img.dimensions();
    let scale = f64::from(edge) / f64::from(w.max(h));
    if scale >= 1.0 {
        return img.clone();
    }
    let (nw, nh) = (
        ((f64::from(w) * scale).round() as u32).max(1),
        ((f64::from(h) * scale).round() as u32).max(1),
    );
    image::imageops::thumbnail(img, nw, nh)
}

/// Decodes a JPEG at the smallest DCT scale that still covers the thumbnail size (1/8 of a
/// 12-megapixel photo is 500×375), after checking its declared size.
fn scaled_jpeg(bytes: &[u8], limits: &ThumbnailLimits) -> Result<image::RgbImage, String> {
    let mut d = jpeg_decoder::Decoder::new(Cursor::new(bytes));
    d.read_info().map_err(|e| format!("no thumbnail: {e}"))?;
    let info = d.info().ok_or("no thumbnail: no JPEG header")?;
    if u64::from(info.width) * u64::from(info.height) > limits.max_pixels {
        return Err(format!(
            "no thumbnail: {}×{} exceeds the pixel limit",
            info.width, info.height
        ));
    }
    let edge = u16::try_from(limits.edge).unwrap_or(u16::MAX);
    let (w, h) = d
        .scale(edge, edge)
        .map_err(|e| format!("no thumbnail: {e}"))?;
    let pixels = d.decode().map_err(|e| format!("no thumbnail: {e}"))?;
    let info = d.info().ok_or("no thumbnail: no JPEG header")?;
    let rgb: Vec<u8> = match info.pixel_format {
        jpeg_decoder::PixelFormat::RGB24 => pixels,
        jpeg_decoder::PixelFormat::L8 => pixels.iter().flat_map(|&l| [l, l, l]).collect(),
        other => return Err(format!("no thumbnail: pixel format {other:?}")),
    };
    image::RgbImage::from_raw(u32::from(w), u32::from(h), rgb)
        .ok_or_else(|| "no thumbnail: decoded size does not match".into())
}

#[cfg(test)]
mod tests;
