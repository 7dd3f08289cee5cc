//! A sync when nothing changed, on a tablet holding 10,000 cases: one round trip, and its
//! time against the floor of any round trip in the same run (a new pinned-TLS connection and
//! a GET of the station's health). Measured with the embedded station (SQLite) and then with
//! the same tablet's data (a copy made before its first sync) against a station on
//! PostgreSQL (the throwaway cluster of qc-test-services, or `QC_TEST_PG_URL`), both in this
//! process. Target on each: one request, under 100 ms. Exits non-zero when missed.

use std::time::{Duration, Instant};

use qc_api::Quancheng;
use qc_tests::fixtures::new_case;
use qc_tests::station::{Backend, Bureau, pin};

const CASES: usize = 10_000;
const ROUNDS: usize = 7;
const TARGET: Duration = Duration::from_millis(100);

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// What one station's idle syncs measured.
struct Idle {
    first: Duration,
    idle: Duration,
    requests: u64,
    floor: Duration,
}

impl Idle {
    fn met(&self) -> bool {
        self.requests == 1 && self.idle < TARGET
    }
}

/// The device's first sync (everything goes up), then `ROUNDS` idle ones and as many bare
/// TLS round trips to the same station.
fn measure(bureau: &Bureau, app: &mut Quancheng) -> anyhow::Result<Idle> {
    let t = Instant::now();
    let first = app.sync()?;
    let first_took = t.elapsed();
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
    Ok(Idle {
        first: first_took,
        idle: median(idle),
        requests: requests.into_iter().max().unwrap_or(0),
        floor: median(floor),
    })
}

fn report(what: &str, m: &Idle) {
    println!(
        "{what}: idle sync with {CASES} cases {:.1} ms median of {ROUNDS}, {} request(s) at most; a bare TLS round trip {:.1} ms; first sync (all up) {:.1} s; target 1 request, < {} ms: {}",
        m.idle.as_secs_f64() * 1000.0,
        m.requests,
        m.floor.as_secs_f64() * 1000.0,
        m.first.as_secs_f64(),
        TARGET.as_millis(),
        if m.met() { "met" } else { "MISSED" }
    );
}

fn main() -> anyhow::Result<()> {
    qc_api::init_logging("warn");
    let tmp = tempfile::tempdir()?;
    let mut bureau = Bureau::start(tmp.path())?;
    let mut app = bureau.app()?;
    let li = app.unlock("li.ming", &pin("li.ming"))?;
    eprintln!("registering {CASES} cases");
    for i in 0..CASES {
        app.register_case(new_case(&format!("景华路{i}号"), "占道经营"), &li)?;
    }
    drop(app);
    // The same device, not yet synced, for the station on PostgreSQL.
    let copy = bureau.copy_to(&tmp.path().join("copy"))?;

    let on_sqlite = measure(&bureau, &mut bureau.app()?)?;
    report("SQLite station", &on_sqlite);
    drop(bureau);

    let pg = qc_test_services::Postgres::try_shared().map_err(anyhow::Error::msg)?;
    let url = pg.new_database().map_err(anyhow::Error::msg)?;
    let bureau = Bureau::open(&copy, Backend::Postgres { url, s3: None })?;
    let on_pg = measure(&bureau, &mut bureau.app()?)?;
    report("PostgreSQL station", &on_pg);

    anyhow::ensure!(on_sqlite.met(), "idle sync target missed on SQLite");
    anyhow::ensure!(on_pg.met(), "idle sync target missed on PostgreSQL");
    Ok(())
}
