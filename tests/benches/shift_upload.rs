//! A shift's upload at the base station: 200 cases with 500 MB of evidence, synced over
//! HTTPS on loopback (entries verified and logged with receipts, case documents merged,
//! evidence in resumable chunks, hashed and encrypted at rest on the station), against a plain
//! HTTPS upload of the same bytes (one PUT per file) to a sink that discards them, in the same
//! run. Target: at least 70% of the sink's throughput. Exits non-zero when under.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::routing::put;
use qc_api::records::NewEvidence;
use qc_evidence::sample::Video;
use qc_tests::fixtures::{new_case, open_investigation};
use qc_tests::station::{Bureau, pin};

const CASES: u64 = 200;
const TOTAL: u64 = 500_000_000;

fn video(i: u64) -> Video {
    // Each file differs in length, so none is deduplicated away.
    Video::new(TOTAL / CASES + i)
}

/// Seconds for a plain upload of every file to a sink over the station's kind of TLS; with
/// `store`, the sink also writes each file to that directory and syncs it (what any durable
/// receiver must do at least).
fn sink_upload(cert: &str, key: &str, store: Option<PathBuf>) -> anyhow::Result<Duration> {
    let received = Arc::new(AtomicU64::new(0));
    let router = axum::Router::new()
        .route(
            "/sink",
            put(
                move |State(n): State<Arc<AtomicU64>>, body: Bytes| async move {
                    if let Some(dir) = &store {
                        let name = dir.join(n.load(Ordering::Relaxed).to_string());
                        let mut f = std::fs::File::create(name).expect("sink file");
                        f.write_all(&body).expect("sink write");
                        f.sync_all().expect("sink sync");
                    }
                    n.fetch_add(body.len() as u64, Ordering::Relaxed);
                },
            ),
        )
        .layer(axum::extract::DefaultBodyLimit::disable())
        .with_state(received.clone());
    let runtime = tokio::runtime::Runtime::new()?;
    let (running, _task) = runtime
        .block_on(qc_server::http::serve_tls(
            router,
            "127.0.0.1:0".parse()?,
            cert.into(),
            key.into(),
        ))
        .map_err(anyhow::Error::msg)?;
    let client = reqwest::blocking::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(cert.as_bytes())?])
        .build()?;
    let url = format!("https://127.0.0.1:{}/sink", running.addr.port());
    let t = Instant::now();
    for i in 0..CASES {
        let mut bytes = Vec::new();
        video(i).read_to_end(&mut bytes)?;
        let status = client.put(&url).body(bytes).send()?.status();
        anyhow::ensure!(status.is_success(), "sink said {status}");
    }
    let elapsed = t.elapsed();
    anyhow::ensure!(
        received.load(Ordering::Relaxed) >= TOTAL,
        "the sink received less than was sent"
    );
    running.handle.shutdown();
    Ok(elapsed)
}

fn main() -> anyhow::Result<()> {
    qc_api::init_logging("warn");
    let tmp = tempfile::tempdir()?;
    let bureau = Bureau::start(tmp.path())?;
    let mut app = bureau.app()?;
    let li = app.unlock("li.ming", &pin("li.ming"))?;
    let wang = app.unlock("wang.fang", &pin("wang.fang"))?;
    let liu = app.unlock("liu.jianguo", &pin("liu.jianguo"))?;
    eprintln!(
        "preparing {CASES} cases with {} MB of evidence",
        TOTAL / 1_000_000
    );
    for i in 0..CASES {
        let case = app
            .register_case(new_case(&format!("景华路{i}号"), "占道经营"), &li)?
            .0;
        open_investigation(&mut app, &case, &liu, [&li, &wang])?;
        app.add_evidence(
            &case,
            video(i),
            NewEvidence {
                file_name: format!("DSJ_{i:04}.mp4"),
                description: "执法记录仪录像".into(),
                attestation: None,
            },
            &[&li, &wang],
        )?;
    }
    let bytes: u64 = (0..CASES).map(|i| TOTAL / CASES + i).sum();

    let t = Instant::now();
    let mut evidence_from = None;
    let report = app.sync_with(&mut |p| {
        if p.stage == qc_api::station::SyncStage::Evidence && evidence_from.is_none() {
            evidence_from = Some(t.elapsed());
        }
    })?;
    let sync = t.elapsed();
    let records = evidence_from.unwrap_or_default();
    anyhow::ensure!(
        report.blobs_sent as u64 == CASES && report.docs_sent as u64 == CASES,
        "the sync did not send the whole shift: {report:?}"
    );

    let key = std::fs::read_to_string(bureau.dir.join("station").join("tls-key.pem"))?;
    let sink = sink_upload(&bureau.station.cert_pem, &key, None)?;
    let stored = tmp.path().join("sink");
    std::fs::create_dir_all(&stored)?;
    let durable = sink_upload(&bureau.station.cert_pem, &key, Some(stored))?;

    let mb = bytes as f64 / 1e6;
    let rate = |d: Duration| mb / d.as_secs_f64();
    let ratio = rate(sync) / rate(sink);
    println!(
        "shift upload: {CASES} cases, {mb:.0} MB, {} entries: plain HTTPS sink {:.1} s ({:.0} MB/s); durable sink {:.1} s ({:.0} MB/s); sync {:.1} s (records {:.1} s) ({:.0} MB/s) = {:.0}% of the plain sink (target >= 70%)",
        report.sent,
        sink.as_secs_f64(),
        rate(sink),
        durable.as_secs_f64(),
        rate(durable),
        sync.as_secs_f64(),
        records.as_secs_f64(),
        rate(sync),
        ratio * 100.0
    );
    anyhow::ensure!(ratio >= 0.70, "sync is under 70% of the plain upload");
    Ok(())
}
