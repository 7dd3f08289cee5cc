//! 1,000 devices syncing with the station at once, from a load generator on loopback (one
//! tokio runtime, a client and a kept-alive connection per device): each device (squads of
//! twenty) returns from a shift with a new case (its registration and four more signed acts,
//! and the case document) and receives its squad's other cases; then all sync again with
//! nothing new. Stations run in child processes of their own so their peak resident memory is
//! their own.
//!
//! Two set-ups in one run: the embedded station (one process, SQLCipher store), and the city's
//! endpoint: two processes on one PostgreSQL (the throwaway cluster of qc-test-services, or
//! `QC_TEST_PG_URL`; [`POOL_SIZE`] connections each), device `i` syncing with instance
//! `i mod 2` in the upload round and with the other in the idle round, so every squad's cases
//! cross between the instances. Reports p50/p99 latency and errors of each round, the
//! processor time it took (the stations', the database's and the load generator's, which in
//! the field is the devices'), and every instance's peak memory, against one device syncing
//! alone in the same run. Target on
//! PostgreSQL: p99 under 1.5 s in both rounds with no error; exits non-zero when missed (or
//! when a device misses its squad's cases).

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdout};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ed25519_dalek::SigningKey;
use qc_casedoc::CaseDoc;
use qc_chain::{Action, Entry, SignedEntry};
use qc_domain::{Clock, Timestamp};
use qc_identity::{BureauKey, SignedCertificate};
use qc_server::storage::{Grant, Storage};
use qc_sync::auth::RequestAuth;
use qc_sync::wire::{
    CaseHeads, DocChanges, DocsUp, DocsWant, EnrolRequest, PushEntries, SyncRequest, SyncResponse,
};

const DEVICES: usize = 1_000;
const SQUAD_SIZE: usize = 20;
const TARGET_P99: Duration = Duration::from_millis(1_500);
/// Connections to PostgreSQL per instance, and requests at work at once (`pool_size`): two
/// instances on a database of two cores, sized as deploy/README.md says (a few connections per
/// database core). With the default of 16 each, the upload round took 10–15% more processor
/// time: twice the backends, each planning the sync's statements anew and switched between.
const POOL_SIZE: u32 = 8;
/// Enrolments in flight at once while setting up (not measured).
const ENROLLING: usize = 50;
const CHILD: &str = "QC_STATION_LOAD_CHILD";

fn now() -> Timestamp {
    qc_api::SystemClock.now()
}

fn bureau() -> BureauKey {
    BureauKey::from_seed(&[1; 32])
}

fn officer() -> (SigningKey, SignedCertificate) {
    // Fixed validity: the stations and the load generator (separate processes) make the same.
    qc_server::fixtures::officer(
        &bureau(),
        Timestamp(1_700_000_000_000),
        Timestamp(4_000_000_000_000),
    )
}

/// Device `i`'s squad (neighbours share one, so both instances serve every squad); the
/// device measured alone (the last) has a squad of its own.
fn squad(i: usize) -> String {
    if i == DEVICES {
        "基准中队".into()
    } else {
        format!("中队{}", i / SQUAD_SIZE)
    }
}

/// A station: `DIR|CODES|URL` in [`CHILD`]: its files in DIR, on PostgreSQL at URL or on
/// SQLite in DIR when URL is empty; issues a code for each of the first CODES devices. Serves
/// until its stdin closes, then prints its peak resident memory.
fn child(spec: &str) -> anyhow::Result<()> {
    // A station's failures are told on its standard error, which the bench's output keeps.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(tracing_subscriber::filter::LevelFilter::WARN)
        .init();
    let mut parts = spec.splitn(3, '|');
    let (Some(dir), Some(codes), Some(url)) = (parts.next(), parts.next(), parts.next()) else {
        anyhow::bail!("bad {CHILD}: {spec}");
    };
    let (dir, codes) = (Path::new(dir), codes.parse()?);
    if url.is_empty() {
        serve(
            dir,
            codes,
            qc_server::SqliteStorage::open(&dir.join("station.db"), &[7; 32])?,
            qc_server::http::DEFAULT_WORKING,
        )
    } else {
        serve(
            dir,
            codes,
            qc_station_pg::PgStorage::with_temporary_blobs(url, POOL_SIZE)?,
            POOL_SIZE as usize,
        )
    }
}

fn serve<S: Storage>(dir: &Path, codes: usize, storage: S, working: usize) -> anyhow::Result<()> {
    let service = qc_server::Service::new(
        storage,
        qc_server::Identity {
            bureau: bureau(),
            log_key: SigningKey::from_bytes(&[40; 32]),
            certificates: vec![officer().1],
            revocations: None,
            desk_seed: [50; 32],
        },
    )?;
    let mut issued = Vec::new();
    for i in 0..codes {
        let grant = Grant::Device { squad: squad(i) };
        issued.push(service.issue_enrolment_code(&grant, (i as u64).to_le_bytes(), now())?);
    }
    let (cert, key) =
        qc_server::http::self_signed(&["127.0.0.1".into()]).map_err(anyhow::Error::msg)?;
    std::fs::write(dir.join("cert.pem"), &cert)?;
    let state = Arc::new(qc_server::http::AppState::new(
        service,
        Arc::new(qc_api::SystemClock),
        working,
    ));
    let runtime = tokio::runtime::Runtime::new()?;
    let (running, _task) = runtime
        .block_on(qc_server::http::serve_tls(
            qc_server::http::router(state.clone()),
            "127.0.0.1:0".parse()?,
            cert,
            key,
        ))
        .map_err(anyhow::Error::msg)?;
    qc_tests::memory::reset_peak()?;
    println!("READY {} {}", running.addr.port(), issued.join(","));
    let mut line = String::new();
    while std::io::stdin().read_line(&mut line)? > 0 {
        line.clear();
    }
    let log = state.service.log_stats();
    println!(
        "PEAK {} {} {} {}",
        qc_tests::memory::peak_bytes()?,
        log.appends,
        log.sequenced,
        log.waited_us
    );
    // The store goes last, outside the runtime: PostgreSQL's blocking client panics when its
    // connections are dropped on a runtime thread.
    running.handle.shutdown();
    drop(runtime);
    drop(state);
    Ok(())
}

/// A station child seen from the load generator.
struct Instance {
    child: Child,
    out: BufReader<ChildStdout>,
    url: String,
    cert: Vec<u8>,
    codes: Vec<String>,
    _dir: tempfile::TempDir,
}

impl Instance {
    /// Starts a station (see [`child`]) and waits until it listens.
    fn start(codes: usize, database: Option<&str>) -> anyhow::Result<Instance> {
        let dir = tempfile::tempdir()?;
        let spec = format!(
            "{}|{codes}|{}",
            dir.path().display(),
            database.unwrap_or_default()
        );
        let (child, out, ready) = qc_tests::process::rerun_self(CHILD, &spec)?;
        let mut parts = ready.split_whitespace().skip(1);
        let port = parts
            .next()
            .ok_or_else(|| anyhow::anyhow!("station did not start: {ready}"))?;
        let codes = parts
            .next()
            .unwrap_or_default()
            .split(',')
            .filter(|c| !c.is_empty())
            .map(str::to_owned)
            .collect();
        Ok(Instance {
            child,
            out,
            url: format!("https://127.0.0.1:{port}"),
            cert: std::fs::read(dir.path().join("cert.pem"))?,
            codes,
            _dir: dir,
        })
    }

    /// Stops the station; returns its peak resident memory in bytes and what its log's
    /// sequencer did.
    fn stop(mut self) -> anyhow::Result<Stopped> {
        drop(self.child.stdin.take());
        let mut line = String::new();
        self.out.read_line(&mut line)?;
        self.child.wait()?;
        let figures: Vec<u64> = line
            .trim()
            .trim_start_matches("PEAK ")
            .split(' ')
            .map(str::parse)
            .collect::<Result<_, _>>()?;
        let [peak, appends, sequenced, waited_us] = figures[..] else {
            anyhow::bail!("a station stopped with {line}");
        };
        Ok(Stopped {
            peak,
            appends,
            sequenced,
            waited_us,
        })
    }
}

/// What a station said as it stopped.
struct Stopped {
    /// Its peak resident memory, in bytes.
    peak: u64,
    /// Its tree updates of the log (each one or more uploads).
    appends: u64,
    /// The uploads it sequenced.
    sequenced: u64,
    /// Their time waiting to be sequenced, in all (µs).
    waited_us: u64,
}

/// A device of the load: its key, its new case and the entries that record it.
struct Device {
    id: String,
    key: SigningKey,
    entries: Vec<SignedEntry>,
    doc: DocChanges,
    have: Vec<CaseHeads>,
    /// The last entry held of each device's feed, as a tablet says it.
    feeds: BTreeMap<String, u64>,
}

/// Device `i`'s id and key.
fn device_key(i: usize) -> (String, SigningKey) {
    let mut seed = [0u8; 32];
    seed[..8].copy_from_slice(&(i as u64 + 1000).to_le_bytes());
    (format!("tablet-{i:04}"), SigningKey::from_bytes(&seed))
}

/// Device `i` with its shift recorded (after its enrolment: its certificate starts then).
fn device(i: usize) -> Device {
    let (id, key) = device_key(i);
    let case = format!("case-{i:04}");
    let t = now();
    let mut doc = qc_server::fixtures::case(&case, &squad(i), t);
    let (okey, ocert) = officer();
    let mut entries: Vec<SignedEntry> = Vec::new();
    for seq in 1..=5u64 {
        let e = Entry {
            device: id.clone(),
            seq,
            prev: entries.last().map_or([0; 32], SignedEntry::hash),
            time: Timestamp(t.0 + seq as i64),
            actors: vec![ocert.id()],
            action: if seq == 1 {
                Action::CaseRegistered
            } else {
                Action::RecordCreated
            },
            case: case.clone(),
            heads: doc.heads_digests(),
            blobs: vec![],
            records: vec![],
        };
        entries.push(SignedEntry::sign(&e, &key, &[&okey]));
    }
    Device {
        doc: DocChanges {
            case,
            changes: hex::encode(doc.changes_after(&[])),
        },
        id,
        key,
        entries,
        have: Vec::new(),
        feeds: BTreeMap::new(),
    }
}

fn enrol_request(
    i: usize,
    code: &str,
    client: &reqwest::Client,
    url: &str,
) -> reqwest::Result<reqwest::Request> {
    let (id, key) = device_key(i);
    let body = EnrolRequest {
        code: code.into(),
        device_id: id.clone(),
        label: id,
        public_key: hex::encode(key.verifying_key().to_bytes()),
    };
    client.post(format!("{url}/v1/enrol")).json(&body).build()
}

/// A device's sync request, signed (the device's work, done before the clock starts).
fn sync_request(
    d: &Device,
    client: &reqwest::Client,
    url: &str,
    first: bool,
) -> anyhow::Result<reqwest::Request> {
    let req = SyncRequest {
        push: PushEntries {
            entries: if first { d.entries.clone() } else { Vec::new() },
            known_size: 0,
        },
        up: DocsUp {
            docs: if first {
                vec![d.doc.clone()]
            } else {
                Vec::new()
            },
        },
        want: Some(DocsWant {
            have: d.have.clone(),
            desk_acts: Default::default(),
            feeds: Some(d.feeds.clone()),
        }),
        bureau: None,
    };
    // In CBOR, as the app sends it (protocol 3).
    let body = qc_sync::body::to_cbor(&req);
    let nonce = qc_api::entropy::random::<16>(&mut qc_api::OsEntropy);
    let auth = RequestAuth::sign(&d.id, &d.key, "POST", "/v1/sync", &body, now(), nonce);
    let mut r = client
        .post(format!("{url}/v1/sync"))
        .header(reqwest::header::CONTENT_TYPE, qc_sync::body::CBOR)
        .body(body);
    for (k, v) in auth.headers() {
        r = r.header(k, v);
    }
    Ok(r.build()?)
}

/// Sends one request; its latency (until the whole answer arrived) and answer, still encoded:
/// decoding is the device's work, done on its own processor, so not while the stations share
/// this machine's.
async fn send(
    client: reqwest::Client,
    req: reqwest::Request,
) -> anyhow::Result<(Duration, Vec<u8>)> {
    let t = Instant::now();
    let resp = client.execute(req).await?;
    let status = resp.status();
    if !status.is_success() {
        anyhow::bail!("{status}: {}", resp.text().await.unwrap_or_default());
    }
    let body = resp.bytes().await?;
    Ok((t.elapsed(), body.to_vec()))
}

/// An answer as [`send`] got it.
fn decoded(body: &[u8]) -> anyhow::Result<SyncResponse> {
    qc_sync::body::from_cbor(body).map_err(anyhow::Error::msg)
}

/// What the device holds after an answer: its squad's cases as the station sent them.
fn absorb(d: &mut Device, resp: &SyncResponse) -> anyhow::Result<()> {
    for e in resp.down.entries.iter().chain(&d.entries) {
        let head = e.head()?;
        let last = d.feeds.entry(head.device).or_default();
        *last = head.seq.max(*last);
    }
    for doc in &resp.down.docs {
        let mut held = CaseDoc::load(&hex::decode(&doc.changes)?, d.id.as_bytes())?;
        d.have.retain(|h| h.case != doc.case);
        d.have.push(CaseHeads {
            case: doc.case.clone(),
            heads: held.heads_hex(),
        });
    }
    Ok(())
}

fn percentile(v: &mut [Duration], p: f64) -> Duration {
    v.sort();
    v.get(((v.len() as f64 - 1.0) * p).round() as usize)
        .copied()
        .unwrap_or_default()
}

/// One round: every device syncs at once.
struct Round {
    latencies: Vec<Duration>,
    errors: Vec<String>,
    wall: Duration,
    /// The machine's processor time spent meanwhile, by anything (the stations, the database
    /// and the load generator share it): what the round cost, steadier than its latencies.
    busy: Option<Busy>,
    /// The answers' bytes, all together (what the stations encode, encrypt and send).
    answered: usize,
}

/// Processor time spent so far: by the whole machine, and by whom.
#[derive(Clone, Copy)]
struct Busy {
    machine: Duration,
    /// The station processes.
    stations: Duration,
    /// PostgreSQL's processes (every cluster on the machine; only the test's works then).
    database: Duration,
    /// This process: the devices' side, which in the field runs on the devices.
    generator: Duration,
}

/// Clock ticks of 1/100 s, as `/proc` counts them.
fn ticks(n: u64) -> Duration {
    Duration::from_millis(n * 10)
}

/// User and system time of process `pid` (fields 14 and 15 of `/proc/PID/stat`), and its name.
fn process_busy(pid: &str) -> Option<(String, Duration)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The name is in parentheses and may hold spaces; the fields after it are plain.
    let (name, rest) = stat.split_once(" (")?.1.rsplit_once(") ")?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let (user, system): (u64, u64) = (fields.get(11)?.parse().ok()?, fields.get(12)?.parse().ok()?);
    Some((name.to_owned(), ticks(user + system)))
}

impl Busy {
    /// Linux's `/proc`; the stations are the processes `stations`.
    fn now(stations: &[u32]) -> Option<Busy> {
        let stat = std::fs::read_to_string("/proc/stat").ok()?;
        let cpu: Vec<u64> = stat
            .lines()
            .next()?
            .split_whitespace()
            .skip(1)
            .map(|n| n.parse().ok())
            .collect::<Option<_>>()?;
        // user, nice, system, (idle, iowait), irq, softirq, steal.
        let machine = ticks([0, 1, 2, 5, 6, 7].iter().filter_map(|&i| cpu.get(i)).sum());
        let mut database = Duration::ZERO;
        for p in std::fs::read_dir("/proc").ok()?.flatten() {
            let pid = p.file_name().to_string_lossy().into_owned();
            if let Some((_, t)) = process_busy(&pid).filter(|(n, _)| n == "postgres") {
                database += t;
            }
        }
        let stations = stations
            .iter()
            .filter_map(|pid| process_busy(&pid.to_string()))
            .map(|(_, t)| t)
            .sum();
        Some(Busy {
            machine,
            stations,
            database,
            generator: process_busy("self")?.1,
        })
    }

    /// What was spent from `before` to this.
    fn since(self, before: Busy) -> Busy {
        Busy {
            machine: self.machine.saturating_sub(before.machine),
            stations: self.stations.saturating_sub(before.stations),
            database: self.database.saturating_sub(before.database),
            generator: self.generator.saturating_sub(before.generator),
        }
    }
}

impl Round {
    fn p(&mut self, p: f64) -> Duration {
        percentile(&mut self.latencies, p)
    }

    fn describe(&mut self) -> String {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        format!(
            "p50 {:.0} ms, p99 {:.0} ms, all done in {:.1} s{}, answers of {:.1} KB on average, {} error(s){}",
            ms(self.p(0.5)),
            ms(self.p(0.99)),
            self.wall.as_secs_f64(),
            self.busy
                .map(|b| format!(
                    " ({:.2} processor-seconds in all: stations {:.2}, database {:.2}, devices {:.2})",
                    b.machine.as_secs_f64(),
                    b.stations.as_secs_f64(),
                    b.database.as_secs_f64(),
                    b.generator.as_secs_f64()
                ))
                .unwrap_or_default(),
            self.answered as f64 / 1024.0 / self.latencies.len().max(1) as f64,
            self.errors.len(),
            self.errors
                .first()
                .map(|e| format!(" (first: {e})"))
                .unwrap_or_default()
        )
    }
}

/// Every device syncs at once, device `i` with instance `(i + turn) mod instances`; requests
/// are built and signed first, answers read into the devices after the round.
fn round(
    rt: &tokio::runtime::Runtime,
    devices: &mut [Device],
    clients: &[reqwest::Client],
    (urls, stations): (&[String], &[u32]),
    turn: usize,
    first: bool,
) -> anyhow::Result<Round> {
    let requests: Vec<reqwest::Request> = devices
        .iter()
        .zip(clients)
        .enumerate()
        .map(|(i, (d, c))| sync_request(d, c, &urls[(i + turn) % urls.len()], first))
        .collect::<anyhow::Result<_>>()?;
    let start = Instant::now();
    let busy_before = Busy::now(stations);
    let answers = rt.block_on(async {
        let tasks: Vec<_> = requests
            .into_iter()
            .zip(clients)
            .map(|(r, c)| tokio::spawn(send(c.clone(), r)))
            .collect();
        let mut answers = Vec::with_capacity(tasks.len());
        for t in tasks {
            answers.push(t.await);
        }
        answers
    });
    let wall = start.elapsed();
    let busy = Busy::now(stations)
        .zip(busy_before)
        .map(|(after, before)| after.since(before));
    let mut r = Round {
        latencies: Vec::new(),
        errors: Vec::new(),
        wall,
        busy,
        answered: 0,
    };
    for (d, answer) in devices.iter_mut().zip(answers) {
        match answer.map_err(anyhow::Error::from).and_then(|a| a) {
            Ok((took, body)) => {
                r.latencies.push(took);
                r.answered += body.len();
                absorb(d, &decoded(&body)?)?;
            }
            Err(e) => r.errors.push(format!("{}: {e:#}", d.id)),
        }
    }
    Ok(r)
}

/// What one set-up measured.
struct Measured {
    alone: Duration,
    upload: Round,
    idle: Round,
    stopped: Vec<Stopped>,
    /// The fewest cases any device holds at the end (its squad's, when all went well).
    held: usize,
}

/// The load against `instances` stations (the first issues the codes), on PostgreSQL at
/// `database` or each on SQLite of its own (then one instance only).
fn run(instances: usize, database: Option<&str>) -> anyhow::Result<Measured> {
    let mut stations = vec![Instance::start(DEVICES + 1, database)?];
    for _ in 1..instances {
        stations.push(Instance::start(0, database)?);
    }
    let urls: Vec<String> = stations.iter().map(|s| s.url.clone()).collect();
    let codes = stations[0].codes.clone();
    anyhow::ensure!(codes.len() == DEVICES + 1, "codes missing");
    let _ = rustls::crypto::ring::default_provider().install_default();
    let certs: Vec<reqwest::Certificate> = stations
        .iter()
        .map(|s| reqwest::Certificate::from_pem(&s.cert))
        .collect::<Result<_, _>>()?;
    let rt = tokio::runtime::Runtime::new()?;
    let clients: Vec<reqwest::Client> = (0..=DEVICES)
        .map(|_| {
            reqwest::Client::builder()
                .default_headers(
                    [(
                        reqwest::header::HeaderName::from_static(qc_sync::PROTOCOL_HEADER),
                        reqwest::header::HeaderValue::from_static(qc_sync::PROTOCOL),
                    )]
                    .into_iter()
                    .collect(),
                )
                .tls_certs_only(certs.clone())
                .timeout(Duration::from_secs(120))
                .build()
        })
        .collect::<Result<_, _>>()?;

    // Enrolment, and a kept-alive connection from every device to every instance (each round
    // then measures the sync, not TLS handshakes).
    rt.block_on(async {
        let all: Vec<usize> = (0..=DEVICES).collect();
        for batch in all.chunks(ENROLLING) {
            let tasks: Vec<_> = batch
                .iter()
                .map(|&i| {
                    let c = clients[i].clone();
                    let enrol = enrol_request(i, &codes[i], &c, &urls[i % urls.len()]);
                    let health: Vec<String> =
                        urls.iter().map(|u| format!("{u}/v1/health")).collect();
                    tokio::spawn(async move {
                        c.execute(enrol?).await?.error_for_status()?;
                        for h in health {
                            c.get(h).send().await?.error_for_status()?;
                        }
                        anyhow::Ok(())
                    })
                })
                .collect();
            for t in tasks {
                t.await??;
            }
        }
        anyhow::Ok(())
    })?;

    let mut devices: Vec<Device> = (0..=DEVICES).map(device).collect();

    // Baseline: one device alone.
    let mut alone = devices.pop().ok_or_else(|| anyhow::anyhow!("no device"))?;
    let req = sync_request(&alone, &clients[DEVICES], &urls[0], true)?;
    let (single, body) = rt.block_on(send(clients[DEVICES].clone(), req))?;
    absorb(&mut alone, &decoded(&body)?)?;

    let pids: Vec<u32> = stations.iter().map(|s| s.child.id()).collect();
    let mut round_of = |turn, first| {
        round(
            &rt,
            &mut devices,
            &clients[..DEVICES],
            (&urls, &pids),
            turn,
            first,
        )
    };
    let (upload, idle) = (round_of(0, true)?, round_of(1, false)?);
    let held = devices.iter().map(|d| d.have.len()).min().unwrap_or(0);
    drop(clients);
    drop(rt);
    let stopped = stations
        .into_iter()
        .map(Instance::stop)
        .collect::<anyhow::Result<_>>()?;
    Ok(Measured {
        alone: single,
        upload,
        idle,
        stopped,
        held,
    })
}

fn report(what: &str, m: &mut Measured) {
    let peaks: Vec<String> = m
        .stopped
        .iter()
        .map(|s| format!("{:.1} MiB", s.peak as f64 / 1048576.0))
        .collect();
    let sequencing: Vec<String> = m
        .stopped
        .iter()
        .map(|s| {
            format!(
                "{} uploads in {} tree updates, {:.0} ms waiting each",
                s.sequenced,
                s.appends,
                s.waited_us as f64 / 1000.0 / s.sequenced.max(1) as f64
            )
        })
        .collect();
    println!(
        "{what}, {DEVICES} devices at once: upload round {}; idle round {}; one device alone {:.0} ms; peak memory per instance {}; every device holds {} of its squad's {SQUAD_SIZE} cases at least; the log per instance: {}",
        m.upload.describe(),
        m.idle.describe(),
        m.alone.as_secs_f64() * 1000.0,
        peaks.join(", "),
        m.held,
        sequencing.join("; ")
    );
}

fn main() -> anyhow::Result<()> {
    if let Ok(spec) = std::env::var(CHILD) {
        return child(&spec);
    }
    let mut sqlite = run(1, None)?;
    report("one station on SQLite", &mut sqlite);
    std::io::stdout().flush()?;

    let pg = qc_test_services::Postgres::try_shared().map_err(anyhow::Error::msg)?;
    let url = pg.new_database().map_err(anyhow::Error::msg)?;
    let mut on_pg = run(2, Some(&url))?;
    report("two stations on one PostgreSQL", &mut on_pg);

    let (up, idle) = (on_pg.upload.p(0.99), on_pg.idle.p(0.99));
    let errors = on_pg.upload.errors.len() + on_pg.idle.errors.len();
    let met = up < TARGET_P99 && idle < TARGET_P99 && errors == 0;
    println!(
        "target on PostgreSQL, p99 under {:.1} s with no error: upload {:.0} ms, idle {:.0} ms, {errors} error(s): {}",
        TARGET_P99.as_secs_f64(),
        up.as_secs_f64() * 1000.0,
        idle.as_secs_f64() * 1000.0,
        if met { "met" } else { "MISSED" }
    );
    anyhow::ensure!(
        sqlite.held == SQUAD_SIZE && on_pg.held == SQUAD_SIZE,
        "a device did not receive its squad's cases"
    );
    anyhow::ensure!(met, "the city-scale load target is missed");
    Ok(())
}
