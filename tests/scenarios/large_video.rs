//! A long body-camera video is captured as evidence in one streaming pass: memory stays
//! bounded whatever its length (here 512 MiB, in a child process so the figure is the
//! ingest's own; `cargo bench -p qc-tests --bench ingest_memory` measures 2 GiB), and the
//! stored original has the hash of what was read.
#![allow(clippy::unwrap_used)]

use std::io::Read;

use qc_domain::MediaKind;
use qc_evidence::sample::Video;
use qc_tests::video;
use sha2::{Digest, Sha256};

const LEN: u64 = 512 * 1024 * 1024;
const LIMIT: u64 = 64 * 1024 * 1024;
const NAME: &str = "a_512_mib_video_is_ingested_in_bounded_memory";

#[test]
fn a_512_mib_video_is_ingested_in_bounded_memory() {
    if video::run_child_if_asked().unwrap() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let case = video::prepare(&dir).unwrap();
    let exe = std::env::current_exe().unwrap();
    let m =
        video::ingest_in_child(&exe, &["--exact", NAME, "--nocapture"], &dir, &case, LEN).unwrap();
    eprintln!(
        "512 MiB video: peak resident {} MiB, {:.1} s",
        m.peak >> 20,
        m.seconds
    );
    assert!(
        m.peak < LIMIT,
        "peak resident memory {} MiB over the {} MiB bound",
        m.peak >> 20,
        LIMIT >> 20
    );

    let mut expected = Sha256::new();
    let mut v = Video::new(LEN);
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = v.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        expected.update(&buf[..n]);
    }
    let app = qc_api::Quancheng::open(
        &qc_api::DataDir::new(&dir),
        std::sync::Arc::new(qc_api::SystemClock),
        Box::new(qc_api::OsEntropy),
    )
    .unwrap();
    let (_, evidence) = app.case_file(&case).unwrap();
    let item = evidence.iter().find(|e| e.facts.id == m.evidence).unwrap();
    assert_eq!(item.facts.size, LEN);
    assert_eq!(item.facts.kind, MediaKind::Video);
    assert_eq!(item.facts.sha256, hex::encode(expected.finalize()));
    assert!(item.sealed());
}
