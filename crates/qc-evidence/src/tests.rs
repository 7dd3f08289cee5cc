use sha2::{Digest, Sha256};

use crate::sample::{camera_exif, jpeg, with_app1};
use crate::*;

fn run(bytes: &[u8]) -> (Result<Ingested, EvidenceError>, Vec<u8>) {
    let mut sink = Vec::new();
    let r = ingest(bytes, &mut sink, &ThumbnailLimits::default());
    (r, sink)
}

fn dims(jpeg: &[u8]) -> (u32, u32) {
    let img = image::load_from_memory(jpeg).unwrap();
    (img.width(), img.height())
}

#[test]
fn a_twelve_megapixel_photo_is_stored_whole_with_a_small_thumbnail() {
    let photo = jpeg(4000, 3000);
    let (r, sink) = run(&photo);
    let r = r.unwrap();
    assert_eq!(sink, photo, "the sink holds the original bytes, unchanged");
    assert_eq!(r.sha256, <[u8; 32]>::from(Sha256::digest(&photo)));
    assert_eq!(r.size, photo.len() as u64);
    assert_eq!((r.mime.as_str(), r.kind), ("image/jpeg", MediaKind::Photo));
    let (w, h) = dims(r.thumbnail.as_deref().unwrap());
    assert_eq!(w.max(h), 256);
    assert_eq!((w, h), (256, 192));
    assert!(r.exif.is_none());
}

#[test]
fn exif_facts_are_kept_and_the_embedded_thumbnail_is_used() {
    let thumb = jpeg(160, 120);
    let photo = with_app1(&jpeg(640, 480), &camera_exif(Some(&thumb)));
    let (r, sink) = run(&photo);
    let r = r.unwrap();
    assert_eq!(sink, photo);
    let e = r.exif.unwrap();
    assert_eq!(e.make.as_deref(), Some("HIKVISION"));
    assert_eq!(e.model.as_deref(), Some("DSJ-X1"));
    assert_eq!(e.captured_at.as_deref(), Some("2026:03:02 21:14:05"));
    assert_eq!(e.orientation, Some(6));
    let gps = e.gps.unwrap();
    assert!((gps.lat - 34.619_70).abs() < 1e-4, "{gps:?}");
    assert!((gps.lon - 112.4540).abs() < 1e-4, "{gps:?}");
    assert_eq!(
        r.thumbnail.unwrap(),
        thumb,
        "the camera's own thumbnail, not a decode"
    );
}

#[test]
fn a_truncated_jpeg_is_stored_without_a_thumbnail() {
    let photo = jpeg(800, 600);
    let cut = &photo[..photo.len() / 3];
    let (r, sink) = run(cut);
    let r = r.unwrap();
    assert_eq!(sink, cut);
    assert_eq!(r.sha256, <[u8; 32]>::from(Sha256::digest(cut)));
    // Either no thumbnail with a note, or a partial one: never a panic.
    assert!(r.thumbnail.is_some() || !r.notes.is_empty());
}

#[test]
fn hostile_exif_is_ignored_and_the_photo_kept() {
    let base = jpeg(320, 240);
    // A big-endian TIFF header whose first IFD claims 65535 entries at an offset past the end.
    let mut bomb = b"MM\0\x2a\0\0\0\x08".to_vec();
    bomb.extend([0xff, 0xff]);
    bomb.extend([0u8; 40]);
    // An IFD pointing to itself (a loop), and an offset far past the end.
    let looped = b"MM\0\x2a\0\0\0\x08\0\x01\x01\x0f\0\x02\0\0\0\x04\0\0\0\x08\0\0\0\x08".to_vec();
    let past_end = b"II\x2a\0\xff\xff\xff\x7f".to_vec();
    for tiff in [bomb, looped, past_end, vec![0xaa; 1000]] {
        let photo = with_app1(&base, &tiff);
        let (r, sink) = run(&photo);
        let r = r.unwrap();
        assert_eq!(sink, photo);
        assert!(r.exif.is_none() || r.exif == Some(ExifSummary::default()));
        assert!(r.thumbnail.is_some(), "the image itself still decodes");
    }
    // An EXIF thumbnail whose offset lies outside the EXIF data is not trusted.
    let mut tiff = camera_exif(Some(&jpeg(16, 16)));
    let n = tiff.len();
    tiff.truncate(n - 20);
    let (r, _) = run(&with_app1(&base, &tiff));
    assert!(r.is_ok());
}

#[test]
fn decompression_bombs_get_no_thumbnail() {
    // A PNG declaring 50000×50000 pixels.
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
    let ihdr = [
        &50_000u32.to_be_bytes()[..],
        &50_000u32.to_be_bytes(),
        &[8, 2, 0, 0, 0],
    ]
    .concat();
    png.extend(&ihdr);
    png.extend(crc32(b"IHDR", &ihdr).to_be_bytes());
    png.extend([0u8; 64]);
    let (r, _) = run(&png);
    let r = r.unwrap();
    assert_eq!(r.mime, "image/png");
    assert!(r.thumbnail.is_none());
    assert!(!r.notes.is_empty());
    // A JPEG whose frame header declares 60000×60000.
    let mut big = jpeg(64, 64);
    let sof = big.windows(2).position(|w| w == [0xff, 0xc0]).unwrap();
    big[sof + 5..sof + 7].copy_from_slice(&60_000u16.to_be_bytes());
    big[sof + 7..sof + 9].copy_from_slice(&60_000u16.to_be_bytes());
    let (r, _) = run(&big);
    let r = r.unwrap();
    assert!(r.thumbnail.is_none());
    assert!(
        r.notes.iter().any(|n| n.contains("pixel limit")),
        "{:?}",
        r.notes
    );
}

fn crc32(kind: &[u8], data: &[u8]) -> u32 {
    let mut c = 0xffff_ffffu32;
    for &b in kind.iter().chain(data) {
        c ^= u32::from(b);
        for _ in 0..8 {
            c = if c & 1 != 0 {
                0xedb8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
        }
    }
    !c
}

#[test]
fn empty_and_unsupported_files_are_refused_with_a_reason() {
    assert!(matches!(run(b"").0, Err(EvidenceError::Empty)));
    let e = run(b"#!/bin/sh\necho this is not evidence, just a script of some length\n").0;
    assert!(matches!(e, Err(EvidenceError::Unsupported(_))), "{e:?}");
    let mut elf = b"\x7fELF\x02\x01\x01\0".to_vec();
    elf.extend([0u8; 120]);
    let e = run(&elf).0.unwrap_err();
    assert!(e.message_zh().contains("不支持的文件类型"));
}

#[test]
fn a_large_video_streams_through() {
    let size = 300 * 1024 * 1024;
    let r = ingest(
        crate::sample::Video::new(size),
        std::io::sink(),
        &ThumbnailLimits::default(),
    )
    .unwrap();
    assert_eq!(r.size, size);
    assert_eq!((r.mime.as_str(), r.kind), ("video/mp4", MediaKind::Video));
    assert!(r.thumbnail.is_none() && r.exif.is_none());
}

#[test]
fn a_sample_recording_is_audio_of_the_length_asked() {
    let wav = crate::sample::tone_wav(3, 8000);
    assert_eq!(wav.len(), 44 + 3 * 8000 * 2);
    let (r, sink) = run(&wav);
    let r = r.unwrap();
    assert_eq!(sink, wav);
    assert_eq!(r.kind, MediaKind::Audio);
    assert!(r.thumbnail.is_none());
}

/// A body camera writes its index after the footage: the clip's own time and place are read by
/// seeking to it, and a file that records neither (or is no video) gives none.
#[test]
fn a_body_camera_clip_says_when_and_where_it_was_recorded() {
    use std::io::{Cursor, Read as _};
    let mut clip = Vec::new();
    // 2026-11-30 08:15:00 UTC, 洛阳.
    crate::sample::body_camera_clip(3 << 20, 1_796_026_500, (34.6197, 112.454))
        .read_to_end(&mut clip)
        .unwrap();
    let (ingested, _) = run(&clip);
    assert_eq!(ingested.unwrap().kind, MediaKind::Video);
    let facts = track_facts(Cursor::new(&clip), &|| false);
    // It began at 08:15 UTC and lasted the minute its header says.
    let span = facts.span.expect("the time it covers");
    assert_eq!(
        (span.from.0, span.to.0),
        (1_796_026_500_000, 1_796_026_560_000)
    );
    let said = facts.camera.expect("the clip's own facts");
    // 08:15 UTC, as a clock in China read it.
    assert_eq!(said.captured_at.as_deref(), Some("2026:11:30 16:15:00"));
    let gps = said.gps.expect("where");
    assert!(
        (gps.lat - 34.6197).abs() < 1e-6 && (gps.lon - 112.454).abs() < 1e-6,
        "{gps:?}"
    );
    let mut bare = Vec::new();
    crate::sample::Video::new(1 << 20)
        .read_to_end(&mut bare)
        .unwrap();
    let none = TrackFacts::default();
    assert_eq!(track_facts(Cursor::new(&bare), &|| false), none);
    assert_eq!(track_facts(Cursor::new(jpeg(64, 48)), &|| false), none);
    // A header with no time (zero: 1904) and no fix (0,0) says neither.
    let mut unset = Vec::new();
    crate::sample::body_camera_clip(1 << 20, -2_082_844_800, (0.0, 0.0))
        .read_to_end(&mut unset)
        .unwrap();
    assert_eq!(track_facts(Cursor::new(&unset), &|| false), none);
    // Stopped, or told to read more than it may, it gives up.
    assert_eq!(track_facts(Cursor::new(&clip), &|| true), none);
}
