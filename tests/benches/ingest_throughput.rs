//! Evidence ingest of 12-megapixel camera JPEGs (with camera EXIF and an embedded thumbnail),
//! end to end through `Quancheng::add_evidence` (hash, type, EXIF, thumbnail, encryption into
//! the blob store, two officers' signatures, SQLite), against `sha256sum` over the same files
//! in the same run. Target: at least 50% of sha256sum's throughput. Exits non-zero when under.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use qc_api::records::NewEvidence;
use qc_evidence::sample;

const PHOTOS: usize = 12;
const ROUNDS: usize = 3;

fn best(mut f: impl FnMut() -> anyhow::Result<Duration>) -> anyhow::Result<Duration> {
    let mut best = Duration::MAX;
    for _ in 0..ROUNDS {
        best = best.min(f()?);
    }
    Ok(best)
}

fn main() -> anyhow::Result<()> {
    let tmp = tempfile::tempdir()?;
    let mut files: Vec<PathBuf> = Vec::new();
    let mut bytes = 0u64;
    for n in 0..PHOTOS {
        // Each photo differs (no blob is deduplicated away).
        let mut photo = sample::camera_photo(4000, 3000);
        photo.extend(format!("photo {n}").as_bytes());
        bytes += photo.len() as u64;
        let p = tmp.path().join(format!("IMG_{n:04}.jpg"));
        std::fs::write(&p, photo)?;
        files.push(p);
    }

    let sha256sum = best(|| {
        let t = Instant::now();
        let out = std::process::Command::new("sha256sum")
            .args(&files)
            .output()?;
        anyhow::ensure!(out.status.success(), "sha256sum failed");
        Ok(t.elapsed())
    })?;

    let mut round = 0;
    let ingest = best(|| {
        round += 1;
        let dir = tmp.path().join(format!("data-{round}"));
        let case = qc_tests::video::prepare(&dir)?;
        let mut app = qc_api::Quancheng::open(
            &qc_api::DataDir::new(&dir),
            std::sync::Arc::new(qc_api::SystemClock),
            Box::new(qc_api::OsEntropy),
        )?;
        let li = app.unlock("li.ming", "147258")?;
        let wang = app.unlock("wang.fang", "258369")?;
        let t = Instant::now();
        for f in &files {
            let src = std::io::BufReader::new(std::fs::File::open(f)?);
            app.add_evidence(
                &case,
                src,
                NewEvidence {
                    file_name: f
                        .file_name()
                        .map(|n| n.to_string_lossy().into())
                        .unwrap_or_default(),
                    description: "现场照片".into(),
                    attestation: None,
                },
                &[&li, &wang],
            )?;
        }
        Ok(t.elapsed())
    })?;

    let mib = bytes as f64 / 1048576.0;
    let rate = |d: Duration| mib / d.as_secs_f64();
    let ratio = rate(ingest) / rate(sha256sum);
    println!(
        "{PHOTOS} photos of 12 MP, {mib:.1} MiB: sha256sum {:.0} MiB/s, ingest {:.0} MiB/s \
         ({:.0} ms per photo) = {:.0}% of sha256sum (target ≥ 50%)",
        rate(sha256sum),
        rate(ingest),
        ingest.as_secs_f64() * 1000.0 / PHOTOS as f64,
        ratio * 100.0
    );
    anyhow::ensure!(ratio >= 0.5, "under the throughput target");
    Ok(())
}
