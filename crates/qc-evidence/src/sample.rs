//! Sample evidence files made on the fly: camera-like JPEGs with realistic EXIF (as a body
//! camera writes them) and small PNG signatures. For demos, tests and benchmarks, so that none
//! of them needs binary fixtures.

use std::io::{Cursor, Read};

use exif::experimental::Writer;
use exif::{Field, In, Rational, Tag, Value};

/// A JPEG of `w`×`h` pixels with a busy gradient (so it compresses like a photo, not a flat
/// colour).
pub fn jpeg(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        let n = x.wrapping_mul(7) ^ y.wrapping_mul(13);
        image::Rgb([(x % 256) as u8, (y % 256) as u8, (n % 256) as u8])
    });
    let mut out = Vec::new();
    // Encoding into a Vec cannot fail for an RGB image.
    let _ = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85).encode_image(&img);
    out
}

/// A PNG signature stroke of `w`×`h` pixels.
pub fn signature_png(w: u32, h: u32) -> Vec<u8> {
    let img = image::GrayImage::from_fn(w, h, |x, y| {
        let curve = (h / 2) as i64 + ((x as f64 / 9.0).sin() * (h / 4) as f64) as i64;
        image::Luma([if (y as i64 - curve).abs() < 2 { 0 } else { 255 }])
    });
    let mut out = Cursor::new(Vec::new());
    let _ = img.write_to(&mut out, image::ImageFormat::Png);
    out.into_inner()
}

/// Inserts an EXIF APP1 segment (a TIFF structure) right after a JPEG's start marker.
pub fn with_app1(jpeg: &[u8], tiff: &[u8]) -> Vec<u8> {
    let len = u16::try_from(2 + 6 + tiff.len()).unwrap_or(u16::MAX);
    let mut out = vec![0xff, 0xd8, 0xff, 0xe1];
    out.extend(len.to_be_bytes());
    out.extend(b"Exif\0\0");
    out.extend(tiff);
    out.extend(&jpeg[2..]);
    out
}

/// EXIF as a body camera writes it: make, model, capture time, orientation, GPS, and an
/// optional embedded JPEG thumbnail.
pub fn camera_exif(thumb: Option<&[u8]>) -> Vec<u8> {
    let ascii = |tag, s: &str| Field {
        tag,
        ifd_num: In::PRIMARY,
        value: Value::Ascii(vec![s.as_bytes().to_vec()]),
    };
    let r = |num, denom| Rational { num, denom };
    let fields = vec![
        ascii(Tag::Make, "HIKVISION"),
        ascii(Tag::Model, "DSJ-X1"),
        ascii(Tag::DateTimeOriginal, "2026:03:02 21:14:05"),
        Field {
            tag: Tag::Orientation,
            ifd_num: In::PRIMARY,
            value: Value::Short(vec![6]),
        },
        ascii(Tag::GPSLatitudeRef, "N"),
        Field {
            tag: Tag::GPSLatitude,
            ifd_num: In::PRIMARY,
            value: Value::Rational(vec![r(34, 1), r(37, 1), r(1092, 100)]),
        },
        ascii(Tag::GPSLongitudeRef, "E"),
        Field {
            tag: Tag::GPSLongitude,
            ifd_num: In::PRIMARY,
            value: Value::Rational(vec![r(112, 1), r(27, 1), r(1440, 100)]),
        },
    ];
    let mut w = Writer::new();
    for f in &fields {
        w.push_field(f);
    }
    if let Some(t) = thumb {
        w.set_jpeg(t, In::THUMBNAIL);
    }
    let mut out = Cursor::new(Vec::new());
    // Writing well-formed fields into memory does not fail.
    let _ = w.write(&mut out, false);
    out.into_inner()
}

/// A camera photo of `w`×`h` pixels with camera EXIF and a 160×120 embedded thumbnail.
pub fn camera_photo(w: u32, h: u32) -> Vec<u8> {
    with_app1(&jpeg(w, h), &camera_exif(Some(&jpeg(160, 120))))
}

/// A body-camera video of any length made on the fly: an MP4 header, then pseudo-random bytes
/// (so it encrypts and hashes like real footage). Never held in memory.
pub struct Video {
    header: Vec<u8>,
    left: u64,
    state: u64,
}

impl Video {
    /// A video of `len` bytes (at least the header's 32).
    pub fn new(len: u64) -> Video {
        let mut header = vec![0, 0, 0, 0x20];
        header.extend(b"ftypisom\0\0\x02\0isomiso2avc1mp41");
        Video {
            left: len.max(header.len() as u64),
            header,
            state: 0x9e37_79b9_7f4a_7c15,
        }
    }
}

impl Read for Video {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if !self.header.is_empty() {
            let n = self.header.len().min(buf.len());
            buf[..n].copy_from_slice(&self.header[..n]);
            self.header.drain(..n);
            self.left -= n as u64;
            return Ok(n);
        }
        let n = self.left.min(buf.len() as u64) as usize;
        for chunk in buf[..n].chunks_mut(8) {
            // xorshift64: fast, and incompressible enough for a stand-in.
            self.state ^= self.state << 13;
            self.state ^= self.state >> 7;
            self.state ^= self.state << 17;
            chunk.copy_from_slice(&self.state.to_le_bytes()[..chunk.len()]);
        }
        self.left -= n as u64;
        Ok(n)
    }
}

/// An ISO base media box: its size, its type, its body.
fn mp4_box(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut out = u32::try_from(8 + body.len())
        .unwrap_or(u32::MAX)
        .to_be_bytes()
        .to_vec();
    out.extend(kind);
    out.extend(body);
    out
}

/// A body camera's clip of `len` bytes of footage (under 4 GiB), as such cameras write it: the
/// footage (`mdat`, pseudo-random, made on the fly) first, then the index (`moov`) holding the
/// movie header's creation time (`recorded_unix_s`, UTC) and where (`©xyz`, ISO 6709).
pub fn body_camera_clip(len: u64, recorded_unix_s: i64, (lat, lon): (f64, f64)) -> impl Read {
    let mut head = vec![0, 0, 0, 0x20];
    head.extend(b"ftypisom\0\0\x02\0isomiso2avc1mp41");
    head.extend(u32::try_from(len + 8).unwrap_or(u32::MAX).to_be_bytes());
    head.extend(b"mdat");
    let mut footage = Video::new(len);
    footage.header.clear();
    footage.left = len;
    // Seconds since 1904-01-01, the movie header's epoch.
    let created = u32::try_from(recorded_unix_s + 2_082_844_800).unwrap_or_default();
    let mut mvhd = vec![0; 4];
    mvhd.extend(created.to_be_bytes());
    mvhd.extend(created.to_be_bytes());
    mvhd.extend(1000u32.to_be_bytes());
    mvhd.extend(60_000u32.to_be_bytes());
    mvhd.extend(0x0001_0000u32.to_be_bytes());
    mvhd.extend(0x0100u16.to_be_bytes());
    mvhd.extend([0; 10]);
    for m in [0x0001_0000u32, 0, 0, 0, 0x0001_0000, 0, 0, 0, 0x4000_0000] {
        mvhd.extend(m.to_be_bytes());
    }
    mvhd.extend([0; 24]);
    mvhd.extend(2u32.to_be_bytes());
    let place = format!("{lat:+08.4}{lon:+09.4}/");
    let mut xyz = u16::try_from(place.len())
        .unwrap_or_default()
        .to_be_bytes()
        .to_vec();
    xyz.extend(0x15c7u16.to_be_bytes());
    xyz.extend(place.as_bytes());
    let mut moov = mp4_box(b"mvhd", &mvhd);
    moov.extend(mp4_box(b"udta", &mp4_box(&[0xa9, b'x', b'y', b'z'], &xyz)));
    Cursor::new(head)
        .chain(footage)
        .chain(Cursor::new(mp4_box(b"moov", &moov)))
}

/// A playable recording: `seconds` of a 16-bit mono PCM WAV at `rate` samples a second, a tone
/// whose pitch rises over the clip (so a player seeking lands somewhere audibly different).
pub fn tone_wav(seconds: u32, rate: u32) -> Vec<u8> {
    let samples = seconds as usize * rate as usize;
    let data_len = (samples * 2) as u32;
    let mut out = Vec::with_capacity(44 + samples * 2);
    out.extend(b"RIFF");
    out.extend((36 + data_len).to_le_bytes());
    out.extend(b"WAVEfmt ");
    out.extend(16u32.to_le_bytes());
    out.extend(1u16.to_le_bytes()); // PCM
    out.extend(1u16.to_le_bytes()); // mono
    out.extend(rate.to_le_bytes());
    out.extend((rate * 2).to_le_bytes()); // bytes a second
    out.extend(2u16.to_le_bytes()); // bytes a sample
    out.extend(16u16.to_le_bytes()); // bits a sample
    out.extend(b"data");
    out.extend(data_len.to_le_bytes());
    let mut phase = 0f64;
    for i in 0..samples {
        let t = i as f64 / samples as f64;
        phase += std::f64::consts::TAU * (220.0 + 440.0 * t) / rate as f64;
        let v = (phase.sin() * 8000.0) as i16;
        out.extend(v.to_le_bytes());
    }
    out
}
