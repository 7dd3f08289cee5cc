//! Start-up of a PostgreSQL station whose log holds 10,000,000 entries: a child process (so
//! its peak resident memory is its own) opens `PgStorage` and starts `Service::new` on it (the
//! schema check, the head's checkpoint verified under the log key, the root recomputed from
//! the tiles, the last tile checked against the entries kept), then answers the log's size and
//! a consistency proof from half the log. Measured from spawning the process to that answer,
//! and the child's peak RSS (VmHWM), against the same start-up on a log of 1,000 entries in the
//! same run; each start-up runs three times, the slowest and the largest count.
//!
//! The 10M log is built cheaply, not through the service: entry rows by SQL (`generate_series`;
//! hash = SHA-256 of the index as 8 big-endian bytes, one entry per (device, seq), small dummy
//! columns; indexes made after the rows), its tiles by `qc_tlog::integrate` one million leaves
//! at a time written as the backend writes them, and a head whose QCCHKP checkpoint and C2SP
//! note are signed with the station's log key as the sequencer signs them. With
//! `QC_TEST_PG_URL` the built database (`qc_bench_10m`) is kept and reused by later runs;
//! otherwise it is built in the throwaway cluster each run. Targets at 10M: under 2 s and
//! under 200 MiB; exits non-zero when missed.

use std::cell::RefCell;
use std::time::{Duration, Instant};

use ed25519_dalek::SigningKey;
use postgres::{Client, NoTls};
use qc_domain::Timestamp;
use qc_identity::BureauKey;
use qc_log::{Checkpoint, SignedCheckpoint};
use qc_server::{Identity, Service};
use qc_tlog::note::NoteCheckpoint;
use qc_tlog::{TileId, TileSource, TreeState};
use sha2::{Digest as _, Sha256};

const NOW: Timestamp = Timestamp(1_795_000_000_000);
const DAY: i64 = 86_400_000;
const BIG: u64 = 10_000_000;
const SMALL: u64 = 1_000;
const RUNS: usize = 3;
const BATCH: u64 = 1_000_000;
const DEVICES: u64 = 1_000;
const CACHED: &str = "qc_bench_10m";
const CHILD: &str = "QC_STATION_STARTUP_CHILD";
const TARGET: Duration = Duration::from_secs(2);
const TARGET_MEMORY: u64 = 200 * 1024 * 1024;

fn log_key() -> SigningKey {
    SigningKey::from_bytes(&[40; 32])
}

fn identity() -> Identity {
    let bureau = BureauKey::from_seed(&[1; 32]);
    let officer = qc_server::fixtures::officer(
        &bureau,
        Timestamp(NOW.0 - DAY),
        Timestamp(NOW.0 + 365 * DAY),
    );
    Identity {
        bureau,
        log_key: log_key(),
        certificates: vec![officer.1],
        revocations: None,
        desk_seed: [50; 32],
    }
}

/// The started station: opens the store, starts the service, answers; prints what it took.
fn child(url: &str) -> anyhow::Result<()> {
    let t = Instant::now();
    let storage =
        qc_station_pg::PgStorage::with_temporary_blobs(url, qc_station_pg::DEFAULT_POOL_SIZE)?;
    let opened = t.elapsed();
    let service = Service::new(storage, identity())?;
    let started = t.elapsed();
    let size = service.log_size()?;
    let proof = service.consistency(size / 2, NOW)?;
    anyhow::ensure!(size < 2 || !proof.proof.is_empty(), "no consistency proof");
    let answered = t.elapsed();
    println!(
        "READY {size} {} {} {} {}",
        opened.as_micros(),
        started.as_micros(),
        answered.as_micros(),
        qc_tests::memory::peak_bytes()?
    );
    Ok(())
}

/// One start-up measured from outside.
struct Startup {
    /// Spawn to the answer.
    total: Duration,
    /// Inside the child: the store opened, the service started, the answer given.
    opened: Duration,
    started: Duration,
    answered: Duration,
    peak: u64,
}

fn start_once(url: &str, size: u64) -> anyhow::Result<Startup> {
    let t = Instant::now();
    let (mut child, _out, line) = qc_tests::process::rerun_self(CHILD, url)?;
    let total = t.elapsed();
    let status = child.wait()?;
    anyhow::ensure!(status.success(), "the station did not start: {line}");
    let f: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .map(str::parse)
        .collect::<Result<_, _>>()?;
    anyhow::ensure!(f.len() == 5, "unexpected answer: {line}");
    anyhow::ensure!(
        f[0] == size,
        "the station holds {} entries, not {size}",
        f[0]
    );
    Ok(Startup {
        total,
        opened: Duration::from_micros(f[1]),
        started: Duration::from_micros(f[2]),
        answered: Duration::from_micros(f[3]),
        peak: f[4],
    })
}

/// `RUNS` start-ups: the slowest (by total) and the largest peak.
fn start_up(url: &str, size: u64) -> anyhow::Result<(Startup, u64, Vec<Duration>)> {
    let runs: Vec<Startup> = (0..RUNS)
        .map(|_| start_once(url, size))
        .collect::<anyhow::Result<_>>()?;
    let peak = runs.iter().map(|r| r.peak).max().unwrap_or(0);
    let totals = runs.iter().map(|r| r.total).collect();
    let slowest = runs
        .into_iter()
        .max_by_key(|r| r.total)
        .ok_or_else(|| anyhow::anyhow!("no run"))?;
    Ok((slowest, peak, totals))
}

/// The hash of entry `i` as the SQL below makes it: SHA-256 of `int8send(i)` (8 bytes,
/// big-endian).
fn entry_hash(i: u64) -> [u8; 32] {
    Sha256::digest(i.to_be_bytes()).into()
}

/// Tiles read from the database being built.
struct DbTiles<'a>(RefCell<&'a mut Client>);

impl TileSource for DbTiles<'_> {
    type Error = postgres::Error;

    fn tile(&self, id: TileId) -> Result<Option<Vec<u8>>, postgres::Error> {
        let row = self.0.borrow_mut().query_opt(
            "SELECT hashes FROM log_tiles WHERE level = $1 AND idx = $2",
            &[&i16::from(id.level), &(id.index as i64)],
        )?;
        Ok(row.map(|r| r.get(0)))
    }
}

/// The (name, definition) rows of a catalogue query.
fn named_definitions(c: &mut Client, sql: &str) -> anyhow::Result<Vec<(String, String)>> {
    Ok(c.query(sql, &[])?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect())
}

/// Fills the empty station database at `url` with a log of `n` entries and its tiles and head.
fn build(url: &str, n: u64) -> anyhow::Result<()> {
    // The schema, exactly as the backend makes it.
    drop(qc_station_pg::PgStorage::with_temporary_blobs(url, 1)?);
    let mut c = Client::connect(url, NoTls)?;
    let t = Instant::now();
    // Rows first, indexes after (a sort each, where 10M random inserts into the hash index
    // would take far longer): the keys and indexes the migrations left, read from the
    // catalogue, dropped and made again as they were (a list written here went stale once a
    // migration renamed an index).
    let keys = named_definitions(
        &mut c,
        "SELECT conname::TEXT, pg_get_constraintdef(oid) FROM pg_constraint
         WHERE conrelid = 'log'::REGCLASS AND contype IN ('p', 'u') ORDER BY conname",
    )?;
    let indexes = named_definitions(
        &mut c,
        "SELECT i.indexname::TEXT, i.indexdef FROM pg_indexes i
         WHERE i.schemaname = current_schema() AND i.tablename = 'log'
           AND NOT EXISTS (SELECT 1 FROM pg_constraint k
                           WHERE k.conrelid = 'log'::REGCLASS AND k.conname = i.indexname)
         ORDER BY i.indexname",
    )?;
    anyhow::ensure!(!keys.is_empty(), "the log table has no keys to drop");
    let mut drop_all: Vec<String> = keys
        .iter()
        .map(|(name, _)| format!("ALTER TABLE log DROP CONSTRAINT {name};"))
        .collect();
    drop_all.extend(
        indexes
            .iter()
            .map(|(name, _)| format!("DROP INDEX {name};")),
    );
    c.batch_execute(&drop_all.concat())?;
    let mut from = 0;
    while from < n {
        let to = (from + BATCH).min(n);
        c.execute(
            "INSERT INTO log (idx, hash, device, seq, case_id, entry, body, device_sig, actor_sigs)
             SELECT i, sha256(int8send(i)), 'tablet-' || (i % $3), i / $3 + 1,
                    'case-' || (i % $3), '\\x00'::BYTEA, NULL, '\\x00'::BYTEA, '[]'::BYTEA
             FROM generate_series($1::BIGINT, $2::BIGINT - 1) AS i",
            &[&(from as i64), &(to as i64), &(DEVICES as i64)],
        )?;
        from = to;
    }
    let rows = t.elapsed();
    let mut make_all = vec!["SET maintenance_work_mem = '256MB';".to_owned()];
    make_all.extend(
        keys.iter()
            .map(|(name, def)| format!("ALTER TABLE log ADD CONSTRAINT {name} {def};")),
    );
    make_all.extend(indexes.iter().map(|(_, def)| format!("{def};")));
    make_all.push("ANALYZE log;".to_owned());
    c.batch_execute(&make_all.concat())?;
    let indexed = t.elapsed();
    // The tiles, a million leaves at a time, each batch's tiles written before the next reads
    // the tree's edge back.
    let mut tree = TreeState::EMPTY;
    let mut from = 0;
    while from < n {
        let to = (from + BATCH).min(n);
        let leaves: Vec<[u8; 32]> = (from..to).map(entry_hash).collect();
        let done = qc_tlog::integrate(&tree, &DbTiles(RefCell::new(&mut c)), &leaves)?;
        let level: Vec<i16> = done
            .tiles
            .iter()
            .map(|(id, _)| i16::from(id.level))
            .collect();
        let idx: Vec<i64> = done.tiles.iter().map(|(id, _)| id.index as i64).collect();
        let hashes: Vec<&[u8]> = done.tiles.iter().map(|(_, t)| t.as_slice()).collect();
        c.execute(
            "INSERT INTO log_tiles (level, idx, hashes)
             SELECT * FROM UNNEST($1::SMALLINT[], $2::BIGINT[], $3::BYTEA[])
             ON CONFLICT (level, idx) DO UPDATE SET hashes = EXCLUDED.hashes",
            &[&level, &idx, &hashes],
        )?;
        tree = done.state;
        from = to;
    }
    let tiled = t.elapsed();
    // The head, signed as the sequencer signs it (service/log.rs `head_of`).
    let key = log_key();
    let log = key.verifying_key().to_bytes();
    let checkpoint = SignedCheckpoint::of(
        &key,
        &Checkpoint {
            log,
            size: tree.size,
            root: tree.root,
            time: NOW,
        },
    );
    let origin = format!("quancheng.station/{}", hex::encode(&log[..8]));
    let note = NoteCheckpoint {
        origin: origin.clone(),
        size: tree.size,
        root: tree.root,
        extensions: Vec::new(),
    }
    .sign(&origin, &key)?;
    c.execute(
        "UPDATE log_head SET size = $1, root = $2, checkpoint = $3, checkpoint_sig = $4, note = $5
         WHERE one = 1",
        &[
            &(tree.size as i64),
            &tree.root.as_slice(),
            &checkpoint.bytes,
            &checkpoint.signature,
            &note,
        ],
    )?;
    // Separate statements: VACUUM may not run in the implicit transaction of a multi-statement
    // query.
    c.batch_execute("VACUUM ANALYZE log_tiles")?;
    c.batch_execute("CHECKPOINT")?;
    if n >= BATCH {
        println!(
            "built a log of {n} entries in {:.0} s: rows {:.0} s, indexes {:.0} s, tiles {:.0} s",
            t.elapsed().as_secs_f64(),
            rows.as_secs_f64(),
            (indexed - rows).as_secs_f64(),
            (tiled - indexed).as_secs_f64()
        );
    }
    Ok(())
}

/// `url` with its database replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let base = base.rsplit_once('/').map_or(base, |(b, _)| b);
    if query.is_empty() {
        format!("{base}/{name}")
    } else {
        format!("{base}/{name}?{query}")
    }
}

/// The 10M database: kept in the server `QC_TEST_PG_URL` names when it is set (built once),
/// otherwise built in the throwaway cluster.
fn big_database(pg: &qc_test_services::Postgres) -> anyhow::Result<String> {
    if std::env::var(qc_test_services::PG_URL_ENV).is_err() {
        let url = pg.new_database().map_err(anyhow::Error::msg)?;
        build(&url, BIG)?;
        return Ok(url);
    }
    let url = with_database(pg.url(), CACHED);
    let size: Option<i64> = Client::connect(&url, NoTls)
        .ok()
        .and_then(|mut c| {
            c.query_one("SELECT size FROM log_head WHERE one = 1", &[])
                .ok()
        })
        .map(|r| r.get(0));
    if size == Some(BIG as i64) {
        println!("reusing the log of {BIG} entries in {CACHED}");
        return Ok(url);
    }
    let mut admin = Client::connect(pg.url(), NoTls)?;
    admin.batch_execute(&format!("DROP DATABASE IF EXISTS {CACHED}"))?;
    admin.batch_execute(&format!("CREATE DATABASE {CACHED}"))?;
    build(&url, BIG)?;
    Ok(url)
}

fn main() -> anyhow::Result<()> {
    if let Ok(url) = std::env::var(CHILD) {
        return child(&url);
    }
    let pg = qc_test_services::Postgres::try_shared().map_err(anyhow::Error::msg)?;
    let small = pg.new_database().map_err(anyhow::Error::msg)?;
    build(&small, SMALL)?;
    let big = big_database(pg)?;

    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let mib = |b: u64| b as f64 / 1048576.0;
    let report = |what: &str, url: &str, size: u64| -> anyhow::Result<(Duration, u64)> {
        let (s, peak, totals) = start_up(url, size)?;
        let all: Vec<String> = totals.iter().map(|d| format!("{:.0}", ms(*d))).collect();
        println!(
            "{what}: ready and answering in {:.0} ms at worst (runs {} ms; inside the slowest: store opened {:.0} ms, service started {:.0} ms, size and proof {:.0} ms), peak memory {:.1} MiB",
            ms(s.total),
            all.join(", "),
            ms(s.opened),
            ms(s.started),
            ms(s.answered),
            mib(peak)
        );
        Ok((s.total, peak))
    };
    report(&format!("log of {SMALL} entries (baseline)"), &small, SMALL)?;
    let (time, peak) = report(&format!("log of {BIG} entries"), &big, BIG)?;
    let met = time < TARGET && peak < TARGET_MEMORY;
    println!(
        "target at {BIG} entries: under {:.0} s and under {} MiB: {:.0} ms, {:.1} MiB, {}",
        TARGET.as_secs_f64(),
        TARGET_MEMORY / 1048576,
        ms(time),
        mib(peak),
        if met { "met" } else { "MISSED" }
    );
    anyhow::ensure!(met, "start-up target missed");
    Ok(())
}
