//! The station's log under sustained appends: 64 devices push their own feeds at once, in
//! uploads of 20 entries, 51,200 entries in all, straight into `Service::push` (no HTTP), on
//! PostgreSQL (the throwaway cluster of qc-test-services, or `QC_TEST_PG_URL`). Every entry is
//! verified as in a real sync (device and officer signatures, certificates, roles, feed
//! continuity, case scope) and appended by the batching sequencer; each upload gets its
//! receipts. The entries are signed before the clock starts (signing is the device's work).
//!
//! Reports entries/s, the tree updates made (entries per append: the batching) and the
//! sequencer's lag, against the raw rate of inserting the same rows (the same columns the
//! backend writes) into a fresh database's `log` table in the same run, one thread, in
//! transactions of the batch size the station reached: row by row with a prepared INSERT, and
//! as one `INSERT … SELECT FROM UNNEST` per transaction (what the backend's commit does). The
//! same load then runs on SQLite (a file in a temporary directory) for comparison. Target: at
//! least 5,000 entries/s verified and appended on PostgreSQL; exits non-zero when missed.

use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use ed25519_dalek::SigningKey;
use qc_chain::{Action, Entry, SignedEntry};
use qc_domain::Timestamp;
use qc_identity::{BureauKey, SignedCertificate};
use qc_server::service::LogStats;
use qc_server::storage::{Grant, Storage};
use qc_server::{Identity, Service};
use qc_sync::wire::{DocChanges, DocsUp, EnrolRequest, PushEntries};

const NOW: Timestamp = Timestamp(1_795_000_000_000);
const DAY: i64 = 86_400_000;
const DEVICES: usize = 64;
const PER_DEVICE: u64 = 800;
const UPLOAD: usize = 20;
const SQUAD: &str = "一中队";
const CASE: &str = "case-1";
const TARGET: f64 = 5_000.0;
const FROM: std::net::IpAddr = std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

fn officer() -> (SigningKey, SignedCertificate) {
    qc_server::fixtures::officer(
        &BureauKey::from_seed(&[1; 32]),
        Timestamp(NOW.0 - DAY),
        Timestamp(NOW.0 + 365 * DAY),
    )
}

fn identity() -> Identity {
    Identity {
        bureau: BureauKey::from_seed(&[1; 32]),
        log_key: SigningKey::from_bytes(&[40; 32]),
        certificates: vec![officer().1],
        revocations: None,
        desk_seed: [50; 32],
    }
}

fn device_id(i: usize) -> String {
    format!("tablet-{i:03}")
}

fn device_key(i: usize) -> SigningKey {
    let mut seed = [0u8; 32];
    seed[..8].copy_from_slice(&(i as u64 + 1000).to_le_bytes());
    SigningKey::from_bytes(&seed)
}

/// Device `i`'s feed, signed by the device and co-signed by the officer, cut into uploads.
fn feed(i: usize, officer: &(SigningKey, SignedCertificate)) -> Vec<Vec<SignedEntry>> {
    let (id, key) = (device_id(i), device_key(i));
    let mut out: Vec<SignedEntry> = Vec::new();
    for seq in 1..=PER_DEVICE {
        let e = Entry {
            device: id.clone(),
            seq,
            prev: out.last().map_or([0; 32], SignedEntry::hash),
            time: Timestamp(NOW.0 + seq as i64),
            actors: vec![officer.1.id()],
            action: Action::RecordCreated,
            case: CASE.into(),
            heads: vec![[seq as u8; 32]],
            blobs: vec![],
            records: vec![],
        };
        out.push(SignedEntry::sign(&e, &key, &[&officer.0]));
    }
    out.chunks(UPLOAD).map(<[SignedEntry]>::to_vec).collect()
}

/// Every device's uploads, signed on all cores.
fn feeds() -> Vec<Vec<Vec<SignedEntry>>> {
    let officer = officer();
    let threads = std::thread::available_parallelism().map_or(2, usize::from);
    let mut feeds: Vec<Option<Vec<Vec<SignedEntry>>>> = vec![None; DEVICES];
    std::thread::scope(|s| {
        for (t, part) in feeds.chunks_mut(DEVICES.div_ceil(threads)).enumerate() {
            let officer = &officer;
            s.spawn(move || {
                let first = t * DEVICES.div_ceil(threads);
                for (k, slot) in part.iter_mut().enumerate() {
                    *slot = Some(feed(first + k, officer));
                }
            });
        }
    });
    feeds.into_iter().map(Option::unwrap_or_default).collect()
}

/// A station on `storage` with every device enrolled for the squad and the squad's case held.
fn station<S: Storage>(storage: S) -> anyhow::Result<Service<S>> {
    let service = Service::new(storage, identity())?;
    for i in 0..DEVICES {
        let at = Timestamp(NOW.0 - 1_000 + i as i64);
        let grant = Grant::Device {
            squad: SQUAD.into(),
        };
        let code = service.issue_enrolment_code(&grant, (i as u64 + 1).to_le_bytes(), at)?;
        service.enrol(
            &EnrolRequest {
                code,
                device_id: device_id(i),
                label: device_id(i),
                public_key: hex::encode(device_key(i).verifying_key().to_bytes()),
            },
            FROM,
            at,
        )?;
    }
    let mut doc = qc_server::fixtures::case(CASE, SQUAD, NOW);
    service.push_docs(
        &device_id(0),
        &DocsUp {
            docs: vec![DocChanges {
                case: CASE.into(),
                changes: hex::encode(doc.changes_after(&[])),
            }],
        },
    )?;
    Ok(service)
}

/// What one run of the load did.
struct Run {
    wall: Duration,
    stats: LogStats,
    /// Sum of every push's latency.
    push_total: Duration,
}

impl Run {
    fn rate(&self) -> f64 {
        self.stats.entries as f64 / self.wall.as_secs_f64()
    }

    fn per_append(&self) -> f64 {
        self.stats.entries as f64 / self.stats.appends.max(1) as f64
    }

    fn describe(&self) -> String {
        let uploads = (DEVICES as u64 * PER_DEVICE).div_ceil(UPLOAD as u64) as f64;
        format!(
            "{} entries in {:.2} s = {:.0} entries/s; {} tree updates ({:.1} entries, {:.1} uploads per append); a push takes {:.1} ms on average, {:.1} ms of it waiting for the sequencer",
            self.stats.entries,
            self.wall.as_secs_f64(),
            self.rate(),
            self.stats.appends,
            self.per_append(),
            self.stats.sequenced as f64 / self.stats.appends.max(1) as f64,
            self.push_total.as_secs_f64() * 1000.0 / uploads,
            self.stats.waited_us as f64 / 1000.0 / self.stats.sequenced.max(1) as f64,
        )
    }
}

/// Every device pushes its uploads one after the other, all devices at once.
fn load<S: Storage>(service: &Service<S>, feeds: &[Vec<Vec<SignedEntry>>]) -> anyhow::Result<Run> {
    let before = service.log_stats();
    let size = service.log_size()?;
    let barrier = Arc::new(Barrier::new(DEVICES + 1));
    let (results, wall) = std::thread::scope(|s| {
        let handles: Vec<_> = feeds
            .iter()
            .enumerate()
            .map(|(i, uploads)| {
                let barrier = barrier.clone();
                s.spawn(move || -> anyhow::Result<Duration> {
                    let id = device_id(i);
                    barrier.wait();
                    let mut spent = Duration::ZERO;
                    for up in uploads {
                        let req = PushEntries {
                            entries: up.clone(),
                            known_size: 0,
                        };
                        let t = Instant::now();
                        let r = service.push(&id, &req, NOW)?;
                        spent += t.elapsed();
                        anyhow::ensure!(r.receipts.len() == up.len(), "receipts missing");
                    }
                    Ok(spent)
                })
            })
            .collect();
        barrier.wait();
        let start = Instant::now();
        let results: Vec<anyhow::Result<Duration>> = handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(anyhow::anyhow!("a device thread panicked")))
            })
            .collect();
        (results, start.elapsed())
    });
    let push_total = results
        .into_iter()
        .collect::<anyhow::Result<Vec<Duration>>>()?
        .into_iter()
        .sum();
    let after = service.log_stats();
    let stats = LogStats {
        appends: after.appends - before.appends,
        entries: after.entries - before.entries,
        sequenced: after.sequenced - before.sequenced,
        waited_us: after.waited_us - before.waited_us,
    };
    let expected = DEVICES as u64 * PER_DEVICE;
    anyhow::ensure!(
        stats.entries == expected && service.log_size()? == size + expected,
        "the log holds {} new entries, not {expected}",
        service.log_size()? - size
    );
    Ok(Run {
        wall,
        stats,
        push_total,
    })
}

/// The columns the backend writes for an entry (see qc-station-pg's `insert_entries`).
struct Row {
    hash: Vec<u8>,
    device: String,
    seq: i64,
    case: String,
    entry: Vec<u8>,
    body: Option<Vec<u8>>,
    device_sig: Vec<u8>,
    actor_sigs: Vec<u8>,
}

fn rows(feeds: &[Vec<Vec<SignedEntry>>]) -> anyhow::Result<Vec<Row>> {
    let mut rows = Vec::new();
    for e in feeds.iter().flatten().flatten() {
        let d = e.entry()?;
        rows.push(Row {
            hash: e.hash().to_vec(),
            device: d.device,
            seq: i64::try_from(d.seq)?,
            case: d.case,
            entry: e.bytes.clone(),
            body: e.body.clone(),
            device_sig: e.device_sig.clone(),
            actor_sigs: qc_station_storage::actor_sigs_kept(&e.actor_sigs)?,
        });
    }
    Ok(rows)
}

/// A fresh database with the station's schema, and a plain client on it.
fn fresh_log_table(pg: &qc_test_services::Postgres) -> anyhow::Result<postgres::Client> {
    let url = pg.new_database().map_err(anyhow::Error::msg)?;
    drop(qc_station_pg::PgStorage::with_temporary_blobs(&url, 1)?);
    Ok(postgres::Client::connect(&url, postgres::NoTls)?)
}

/// Inserts the rows one INSERT each, `batch` rows per transaction; returns rows/s.
fn raw_row_by_row(c: &mut postgres::Client, rows: &[Row], batch: usize) -> anyhow::Result<f64> {
    let start = Instant::now();
    let insert = c.prepare(
        "INSERT INTO log (idx, hash, device, seq, case_id, entry, body, device_sig, actor_sigs)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )?;
    for (n, chunk) in rows.chunks(batch).enumerate() {
        let mut tx = c.transaction()?;
        for (k, r) in chunk.iter().enumerate() {
            let idx = i64::try_from(n * batch + k)?;
            tx.execute(
                &insert,
                &[
                    &idx,
                    &r.hash,
                    &r.device,
                    &r.seq,
                    &r.case,
                    &r.entry,
                    &r.body,
                    &r.device_sig,
                    &r.actor_sigs,
                ],
            )?;
        }
        tx.commit()?;
    }
    Ok(rows.len() as f64 / start.elapsed().as_secs_f64())
}

/// Inserts the rows as one `INSERT … SELECT FROM UNNEST` per transaction of `batch` rows, as
/// the backend's commit does; returns rows/s.
fn raw_unnest(c: &mut postgres::Client, rows: &[Row], batch: usize) -> anyhow::Result<f64> {
    let start = Instant::now();
    for (n, chunk) in rows.chunks(batch).enumerate() {
        let first = n * batch;
        let idx: Vec<i64> = (first..first + chunk.len())
            .map(i64::try_from)
            .collect::<Result<_, _>>()?;
        let hash: Vec<&[u8]> = chunk.iter().map(|r| r.hash.as_slice()).collect();
        let device: Vec<&str> = chunk.iter().map(|r| r.device.as_str()).collect();
        let seq: Vec<i64> = chunk.iter().map(|r| r.seq).collect();
        let case: Vec<&str> = chunk.iter().map(|r| r.case.as_str()).collect();
        let entry: Vec<&[u8]> = chunk.iter().map(|r| r.entry.as_slice()).collect();
        let body: Vec<Option<&[u8]>> = chunk.iter().map(|r| r.body.as_deref()).collect();
        let device_sig: Vec<&[u8]> = chunk.iter().map(|r| r.device_sig.as_slice()).collect();
        let actor_sigs: Vec<&[u8]> = chunk.iter().map(|r| r.actor_sigs.as_slice()).collect();
        let mut tx = c.transaction()?;
        tx.execute(
            qc_station_pg::APPEND_ENTRIES,
            &[
                &idx,
                &hash,
                &device,
                &seq,
                &case,
                &entry,
                &body,
                &device_sig,
                &actor_sigs,
            ],
        )?;
        tx.commit()?;
    }
    Ok(rows.len() as f64 / start.elapsed().as_secs_f64())
}

/// Statements and transactions the database ran (its statistics, flushed within a second).
fn db_counters(c: &mut postgres::Client) -> anyhow::Result<(i64, i64)> {
    std::thread::sleep(Duration::from_millis(1500));
    let row = c.query_one(
        "SELECT xact_commit, tup_returned + tup_fetched FROM pg_stat_database
         WHERE datname = current_database()",
        &[],
    )?;
    Ok((row.get(0), row.get(1)))
}

fn main() -> anyhow::Result<()> {
    let started = Instant::now();
    let feeds = feeds();
    let entries = DEVICES as u64 * PER_DEVICE;
    println!(
        "{DEVICES} devices × {PER_DEVICE} entries in uploads of {UPLOAD} = {entries} entries, signed in {:.1} s (not timed)",
        started.elapsed().as_secs_f64()
    );
    let pg = qc_test_services::Postgres::try_shared().map_err(anyhow::Error::msg)?;

    // PostgreSQL, the station.
    let url = pg.new_database().map_err(anyhow::Error::msg)?;
    let service = station(qc_station_pg::PgStorage::with_temporary_blobs(
        &url,
        qc_station_pg::DEFAULT_POOL_SIZE,
    )?)?;
    let mut stats_client = postgres::Client::connect(&url, postgres::NoTls)?;
    let (xacts_before, _) = db_counters(&mut stats_client)?;
    let on_pg = load(&service, &feeds)?;
    let (xacts_after, _) = db_counters(&mut stats_client)?;
    drop(service);
    let xacts = (xacts_after - xacts_before) as f64;
    println!("PostgreSQL station: {}", on_pg.describe());
    println!(
        "  the database committed {:.0} transactions (single statements included): {:.2} per entry, {:.1} per upload",
        xacts,
        xacts / entries as f64,
        xacts / (entries as f64 / UPLOAD as f64)
    );

    // The raw rate of the same rows, in transactions of the batch the station reached.
    let rows = rows(&feeds)?;
    let batch = (on_pg.per_append().round() as usize).max(1);
    let by_row = raw_row_by_row(&mut fresh_log_table(pg)?, &rows, batch)?;
    let unnest = raw_unnest(&mut fresh_log_table(pg)?, &rows, batch)?;
    println!(
        "raw inserts of the same {} rows, {batch} per transaction, one thread: {by_row:.0} rows/s row by row, {unnest:.0} rows/s as one UNNEST statement per transaction",
        rows.len()
    );
    println!(
        "  the station reaches {:.0}% of the row-by-row rate, {:.0}% of the UNNEST rate",
        100.0 * on_pg.rate() / by_row,
        100.0 * on_pg.rate() / unnest
    );

    // SQLite, for comparison.
    let dir = tempfile::tempdir()?;
    let service = station(qc_server::SqliteStorage::open(
        &dir.path().join("station.db"),
        &[7; 32],
    )?)?;
    let on_sqlite = load(&service, &feeds)?;
    drop(service);
    println!("SQLite station: {}", on_sqlite.describe());

    let met = on_pg.rate() >= TARGET;
    println!(
        "target ≥ {TARGET:.0} entries/s verified and appended on PostgreSQL: {:.0} entries/s, {}",
        on_pg.rate(),
        if met { "met" } else { "MISSED" }
    );
    anyhow::ensure!(met, "log append below {TARGET} entries/s");
    Ok(())
}
