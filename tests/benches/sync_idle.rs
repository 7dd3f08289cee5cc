//! A sync when nothing changed, on a tablet holding 10,000 cases: one round trip, and its
//! time against the floor of any round trip in the same run (a new pinned-TLS connection and
//! a GET of the station's health). Target: one request, under 100 ms. Exits non-zero when
//! missed.

use std::time::{Duration, Instant};

use qc_tests::fixtures::new_case;
use qc_tests::station::{Bureau, pin};

const CASES: usize = 10_000;
const ROUNDS: usize = 7;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() -> anyhow::Result<()> {
    qc_api::init_logging("warn");
    let tmp = tempfile::tempdir()?;
    let bureau = Bureau::start(tmp.path())?;
    let mut app = bureau.app()?;
    let li = app.unlock("li.ming", &pin("li.ming"))?;
    eprintln!("registering {CASES} cases");
    for i in 0..CASES {
        app.register_case(new_case(&format!("景华路{i}号"), "占道经营"), &li)?;
    }
    let t = Instant::now();
    let first = app.sync()?;
    eprintln!(
        "first sync: {} entries, {} cases up in {:.1} s",
        first.sent,
        first.docs_sent,
        t.elapsed().as_secs_f64()
    );
    anyhow::ensure!(
        first.docs_sent == CASES,
        "not every case went up: {first:?}"
    );

    let mut idle = Vec::new();
    let mut requests = Vec::new();
    for _ in 0..ROUNDS {
        let before = bureau.requests();
        let t = Instant::now();
        let r = app.sync()?;
        idle.push(t.elapsed());
        requests.push(bureau.requests() - before);
        anyhow::ensure!(
            r.sent == 0 && r.docs_sent == 0 && r.docs_received == 0,
            "something moved: {r:?}"
        );
    }
    let idle = median(idle);
    let mut floor = Vec::new();
    for _ in 0..ROUNDS {
        let t = Instant::now();
        let client = reqwest::blocking::Client::builder()
            .tls_certs_only([reqwest::Certificate::from_pem(
                bureau.station.cert_pem.as_bytes(),
            )?])
            .build()?;
        let ok = client
            .get(format!("{}/v1/health", bureau.station.url))
            .send()?
            .status()
            .is_success();
        anyhow::ensure!(ok, "health check failed");
        floor.push(t.elapsed());
    }
    let floor = median(floor);
    let max_requests = requests.iter().copied().max().unwrap_or(0);
    println!(
        "idle sync with {CASES} cases: {:.1} ms median of {ROUNDS}, {max_requests} request(s) each; a bare TLS round trip {:.1} ms (target: 1 request, < 100 ms)",
        idle.as_secs_f64() * 1000.0,
        floor.as_secs_f64() * 1000.0
    );
    anyhow::ensure!(max_requests == 1, "more than one round trip");
    anyhow::ensure!(idle < Duration::from_millis(100), "over 100 ms");
    Ok(())
}
