//! 200 devices syncing with one base station at once, from a bounded load generator on
//! loopback: each device (ten squads of twenty) returns from a shift with a new case (its
//! registration and four more signed acts, and the case document) and receives its squad's
//! other cases; then all sync again with nothing new. The station runs in a child process of
//! its own so its peak resident memory is its own. Reports p50/p99 latency of each round and
//! the station's peak memory, against one device syncing alone in the same run.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use ed25519_dalek::SigningKey;
use qc_casedoc::CaseDoc;
use qc_chain::{Action, Entry, SignedEntry};
use qc_domain::{Clock, Timestamp};
use qc_identity::{BureauKey, SignedCertificate};
use qc_server::storage::Grant;
use qc_sync::auth::RequestAuth;
use qc_sync::wire::{
    CaseHeads, DocChanges, DocsUp, DocsWant, EnrolRequest, EnrolResponse, PushEntries, SyncRequest,
    SyncResponse,
};

const DEVICES: usize = 200;
const SQUADS: usize = 10;
const CHILD: &str = "QC_STATION_LOAD_CHILD";

fn now() -> Timestamp {
    qc_api::SystemClock.now()
}

fn bureau() -> BureauKey {
    BureauKey::from_seed(&[1; 32])
}

fn officer() -> (SigningKey, SignedCertificate) {
    // Fixed validity: the station and the load generator (two processes) make the same one.
    qc_server::fixtures::officer(
        &bureau(),
        Timestamp(1_700_000_000_000),
        Timestamp(4_000_000_000_000),
    )
}

/// Device `i`'s squad; the device measured alone has a squad of its own.
fn squad(i: usize) -> String {
    if i == DEVICES {
        "基准中队".into()
    } else {
        format!("中队{}", i % SQUADS)
    }
}

/// The station: serves until its stdin closes, then prints its peak resident memory.
fn child(dir: &str) -> anyhow::Result<()> {
    let storage =
        qc_server::SqliteStorage::open(&std::path::Path::new(dir).join("station.db"), &[7; 32])?;
    let service = qc_server::Service::new(
        storage,
        qc_server::Identity {
            bureau: bureau(),
            log_key: SigningKey::from_bytes(&[40; 32]),
            certificates: vec![officer().1],
            revocations: None,
        },
    )?;
    let mut codes = Vec::new();
    for i in 0..=DEVICES {
        let grant = Grant::Device { squad: squad(i) };
        codes.push(service.issue_enrolment_code(&grant, (i as u64).to_le_bytes(), now())?);
    }
    let (cert, key) =
        qc_server::http::self_signed(&["127.0.0.1".into()]).map_err(anyhow::Error::msg)?;
    std::fs::write(std::path::Path::new(dir).join("cert.pem"), &cert)?;
    let state = Arc::new(qc_server::http::AppState {
        service,
        clock: Arc::new(qc_api::SystemClock),
    });
    let runtime = tokio::runtime::Runtime::new()?;
    let (running, _task) = runtime
        .block_on(qc_server::http::serve_tls(
            qc_server::http::router(state),
            "127.0.0.1:0".parse()?,
            cert,
            key,
        ))
        .map_err(anyhow::Error::msg)?;
    qc_tests::memory::reset_peak()?;
    println!("READY {} {}", running.addr.port(), codes.join(","));
    let mut line = String::new();
    while std::io::stdin().read_line(&mut line)? > 0 {
        line.clear();
    }
    println!("PEAK {}", qc_tests::memory::peak_bytes()?);
    Ok(())
}

/// A device of the load: its key, its new case and the entries that record it.
struct Device {
    id: String,
    key: SigningKey,
    entries: Vec<SignedEntry>,
    doc: DocChanges,
    have: Vec<CaseHeads>,
}

fn device(
    i: usize,
    code: &str,
    client: &reqwest::blocking::Client,
    url: &str,
) -> anyhow::Result<Device> {
    let id = format!("tablet-{i:03}");
    let mut seed = [0u8; 32];
    seed[..8].copy_from_slice(&(i as u64 + 1000).to_le_bytes());
    let key = SigningKey::from_bytes(&seed);
    let r: EnrolResponse = client
        .post(format!("{url}/v1/enrol"))
        .json(&EnrolRequest {
            code: code.into(),
            device_id: id.clone(),
            label: id.clone(),
            public_key: hex::encode(key.verifying_key().to_bytes()),
        })
        .send()?
        .error_for_status()?
        .json()?;
    drop(r);
    let case = format!("case-{i:03}");
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
    Ok(Device {
        doc: DocChanges {
            case,
            changes: hex::encode(doc.changes_after(&[])),
        },
        id,
        key,
        entries,
        have: Vec::new(),
    })
}

/// One sync of a device; returns its latency.
fn sync(
    d: &mut Device,
    client: &reqwest::blocking::Client,
    url: &str,
    first: bool,
) -> anyhow::Result<Duration> {
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
        }),
    };
    let body = serde_json::to_vec(&req)?;
    let nonce = qc_api::entropy::random::<16>(&mut qc_api::OsEntropy);
    let auth = RequestAuth::sign(&d.id, &d.key, "POST", "/v1/sync", &body, now(), nonce);
    let t = Instant::now();
    let mut r = client.post(format!("{url}/v1/sync")).body(body);
    for (k, v) in auth.headers() {
        r = r.header(k, v);
    }
    let resp: SyncResponse = r.send()?.error_for_status()?.json()?;
    let took = t.elapsed();
    // What it holds now: its squad's cases as the station sent them.
    for doc in &resp.down.docs {
        let mut held = CaseDoc::load(&hex::decode(&doc.changes)?, d.id.as_bytes())?;
        d.have.retain(|h| h.case != doc.case);
        d.have.push(CaseHeads {
            case: doc.case.clone(),
            heads: held.heads_hex(),
        });
    }
    Ok(took)
}

fn percentile(v: &mut [Duration], p: f64) -> Duration {
    v.sort();
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

fn round(
    devices: &mut [Device],
    clients: &[reqwest::blocking::Client],
    url: &str,
    first: bool,
) -> anyhow::Result<(Vec<Duration>, Duration)> {
    let barrier = Arc::new(Barrier::new(devices.len()));
    let start = Instant::now();
    let results: Vec<anyhow::Result<Duration>> = std::thread::scope(|s| {
        let handles: Vec<_> = devices
            .iter_mut()
            .zip(clients)
            .map(|(d, c)| {
                let barrier = barrier.clone();
                s.spawn(move || {
                    barrier.wait();
                    sync(d, c, url, first)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(anyhow::anyhow!("a device thread panicked")))
            })
            .collect()
    });
    let wall = start.elapsed();
    Ok((results.into_iter().collect::<anyhow::Result<_>>()?, wall))
}

fn main() -> anyhow::Result<()> {
    if let Ok(dir) = std::env::var(CHILD) {
        return child(&dir);
    }
    let tmp = tempfile::tempdir()?;
    let mut station = Command::new(std::env::current_exe()?)
        .env(CHILD, tmp.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()?;
    let mut out = BufReader::new(
        station
            .stdout
            .take()
            .ok_or_else(|| anyhow::anyhow!("no stdout"))?,
    );
    let mut ready = String::new();
    out.read_line(&mut ready)?;
    let mut parts = ready.split_whitespace().skip(1);
    let port = parts
        .next()
        .ok_or_else(|| anyhow::anyhow!("station did not start: {ready}"))?;
    let codes: Vec<String> = parts
        .next()
        .unwrap_or_default()
        .split(',')
        .map(str::to_owned)
        .collect();
    let url = format!("https://127.0.0.1:{port}");
    let cert = std::fs::read(tmp.path().join("cert.pem"))?;
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = || -> anyhow::Result<reqwest::blocking::Client> {
        Ok(reqwest::blocking::Client::builder()
            .tls_certs_only([reqwest::Certificate::from_pem(&cert)?])
            .timeout(Duration::from_secs(600))
            .build()?)
    };
    let clients: Vec<_> = (0..=DEVICES)
        .map(|_| client())
        .collect::<anyhow::Result<_>>()?;
    let mut devices: Vec<Device> = (0..=DEVICES)
        .map(|i| device(i, &codes[i], &clients[i], &url))
        .collect::<anyhow::Result<_>>()?;

    // Baseline: one device alone.
    let mut alone = devices.pop().ok_or_else(|| anyhow::anyhow!("no device"))?;
    let single = sync(&mut alone, &clients[DEVICES], &url, true)?;

    let (mut first, wall1) = round(&mut devices, &clients[..DEVICES], &url, true)?;
    let (mut idle, wall2) = round(&mut devices, &clients[..DEVICES], &url, false)?;
    let received = devices.iter().map(|d| d.have.len()).min().unwrap_or(0);

    drop(station.stdin.take());
    let mut peak = String::new();
    out.read_line(&mut peak)?;
    station.wait()?;
    let peak: u64 = peak.trim().trim_start_matches("PEAK ").parse().unwrap_or(0);
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{DEVICES} devices at once: upload round p50 {:.0} ms, p99 {:.0} ms (all done in {:.1} s); idle round p50 {:.0} ms, p99 {:.0} ms ({:.1} s); one device alone {:.0} ms; station peak memory {:.1} MiB; every device holds its squad's {} cases",
        ms(percentile(&mut first, 0.5)),
        ms(percentile(&mut first, 0.99)),
        wall1.as_secs_f64(),
        ms(percentile(&mut idle, 0.5)),
        ms(percentile(&mut idle, 0.99)),
        wall2.as_secs_f64(),
        ms(single),
        peak as f64 / 1048576.0,
        received
    );
    anyhow::ensure!(
        received == DEVICES / SQUADS,
        "a device did not receive its squad's cases"
    );
    std::io::stdout().flush()?;
    Ok(())
}
