//! A city's endpoint: two station processes (`quancheng serve` with `QUANCHENG_DATABASE` set)
//! on one PostgreSQL, over HTTPS on 127.0.0.1, tablets syncing through one and then the other.
//! In every round one of them is killed with SIGKILL at a random moment of a tablet's upload
//! (entries and an evidence file in chunks) and started again; the tablet then syncs through
//! the other one at once. Nothing a tablet was told is kept is lost, nothing is logged twice,
//! the log never forks (each tablet's witness checks every answer of either process against
//! what it saw before), and uploads resume on the other process.
//!
//! The moments come from a seeded generator, printed; `QC_CRASH_SEED=0x…` replays them. The
//! `quancheng` binary must be built first (`cargo test --workspace` builds it).
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::io::Read as _;
use std::net::TcpListener;
use std::time::{Duration, Instant};

use qc_api::Quancheng;
use qc_api::records::NewEvidence;
use qc_api::station::Station;
use qc_evidence::sample::Video;
use qc_test_services::Postgres;
use qc_tests::fixtures::{new_case, open_investigation};
use qc_tests::process::Killable;
use qc_tests::station::{Bureau, pin};
use qc_tests::{Xorshift, cli_binary};

/// Kills: at least 20, at random moments.
const KILLS: u64 = 22;
/// What tablets send per chunk: files go up in several requests, so kills fall between them.
const CHUNK: u64 = 64 * 1024;

/// This test's seed: `QC_CRASH_SEED` (hex) if set, else `default`; printed to replay a failure.
fn seed(default: u64) -> Xorshift {
    let seed = std::env::var("QC_CRASH_SEED")
        .ok()
        .and_then(|s| u64::from_str_radix(s.trim().trim_start_matches("0x"), 16).ok())
        .filter(|s| *s != 0)
        .unwrap_or(default);
    println!("seed {seed:#x}: QC_CRASH_SEED={seed:#x} replays these moments");
    Xorshift(seed)
}

/// A free port on 127.0.0.1.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One of the two station processes.
struct Instance {
    name: &'static str,
    listen: String,
    child: Killable,
}

impl Instance {
    fn station(&self, like: &Station) -> Station {
        Station {
            url: format!("https://{}", self.listen),
            ..like.clone()
        }
    }
}

/// A tablet of 一中队 with a case under investigation by 李明 and 王芳.
fn tablet(bureau: &Bureau, dir: &std::path::Path, address: &str) -> (Quancheng, String) {
    let people = ["li.ming", "wang.fang", "liu.jianguo"];
    let mut t = bureau.tablet(dir, "一中队", &people).unwrap();
    let [li, wang, liu] = people.map(|p| t.unlock(p, &pin(p)).unwrap());
    let case = t
        .register_case(new_case(address, "执法记录仪录像"), &li)
        .unwrap()
        .0;
    open_investigation(&mut t, &case, &liu, [&li, &wang]).unwrap();
    t.set_upload_chunk(CHUNK as usize);
    (t, case)
}

#[test]
fn two_stations_on_one_database_lose_nothing_when_one_is_killed_mid_upload() {
    let mut rng = seed(0x5eed_0a11_0005);
    let bin = cli_binary().unwrap();
    let url = Postgres::shared().new_database().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let mut bureau = Bureau::start(tmp.path()).unwrap();
    bureau.use_database(&bin, &url);
    let logs = tmp.path();
    let mut instances: Vec<Instance> = ["a", "b"]
        .into_iter()
        .map(|name| {
            let listen = format!("127.0.0.1:{}", free_port());
            let child = bureau.serve_child(&bin, logs, name, &listen).unwrap();
            Instance {
                name,
                listen,
                child,
            }
        })
        .collect();
    bureau.station = instances[0].station(&bureau.station);
    let mut tablets: Vec<(Quancheng, String)> = ["景华路88号", "东风路12号"]
        .iter()
        .enumerate()
        .map(|(i, address)| tablet(&bureau, &tmp.path().join(format!("t{i}")), address))
        .collect();

    let mut made = 0u64;
    let mut span = Duration::from_millis(200);
    let mut resumed = 0;
    for round in 0..KILLS {
        let which = (round % 2) as usize;
        let (tablet, case) = &mut tablets[which];
        // Entries (a capture, co-signed) and a file of up to four chunks, no two alike.
        let li = tablet.unlock("li.ming", &pin("li.ming")).unwrap();
        let wang = tablet.unlock("wang.fang", &pin("wang.fang")).unwrap();
        let len = CHUNK * (1 + rng.below(3)) + 1 + rng.below(CHUNK - 1) + round;
        let mut bytes = Vec::new();
        Video::new(len).read_to_end(&mut bytes).unwrap();
        bytes.extend_from_slice(&round.to_be_bytes());
        let evidence = NewEvidence {
            file_name: format!("DSJ_{round:03}.mp4"),
            description: "现场执法录像".into(),
            attestation: None,
        };
        tablet
            .add_evidence(case, &bytes[..], evidence, &[&li, &wang])
            .unwrap();
        made += 1;

        // Through the instance of this round, killed at a random moment of the sync.
        let target = (round as usize / 2) % 2;
        tablet
            .set_station(&instances[target].station(&bureau.station))
            .unwrap();
        let at = Duration::from_micros(rng.below(span.as_micros() as u64 * 3 / 2 + 1));
        let start = Instant::now();
        let (killed, other) = (instances[target].name, instances[1 - target].name);
        let instance = &mut instances[target];
        let (result, took) = std::thread::scope(|s| {
            let sync = s.spawn(|| (tablet.sync(), start.elapsed()));
            while !sync.is_finished() && start.elapsed() < at {
                std::thread::sleep(Duration::from_micros(200));
            }
            instance.child.kill().unwrap();
            sync.join().unwrap()
        });
        if result.is_ok() {
            span = span.max(took);
        }
        println!(
            "round {round}: {len} bytes through {killed}, killed at {at:?}: sync {}",
            match &result {
                Ok(_) => "finished first".to_owned(),
                Err(e) => format!("cut ({e})"),
            }
        );
        // The other instance takes over at once: the rest of the upload goes through it.
        tablet
            .set_station(&instances[1 - target].station(&bureau.station))
            .unwrap();
        let r = tablet.sync().unwrap_or_else(|e| {
            panic!("round {round}: sync through {other} after {killed} was killed: {e}")
        });
        if result.is_err() && (r.sent > 0 || r.blobs_sent > 0) {
            resumed += 1;
        }
        // Nothing is left to send: everything is acknowledged and every file is held.
        let again = tablet.sync().unwrap();
        assert_eq!(
            (again.sent, again.blobs_sent),
            (0, 0),
            "round {round}: everything was acknowledged"
        );
        instances[target].child = bureau
            .serve_child(
                &bin,
                logs,
                instances[target].name,
                &instances[target].listen,
            )
            .unwrap();
    }
    assert!(
        resumed >= 5,
        "most kills cut an upload that the other instance finished ({resumed} did)"
    );

    // Each tablet syncs through both: its witness accepts either's log (no fork).
    for (tablet, _) in &mut tablets {
        for instance in &instances {
            tablet
                .set_station(&instance.station(&bureau.station))
                .unwrap();
            let r = tablet.sync().unwrap();
            assert_eq!((r.sent, r.blobs_sent), (0, 0));
        }
    }
    // In the database: every feed once, without a gap, and every file made is kept.
    let pg = Postgres::shared();
    let feeds = pg
        .psql(
            &url,
            "SELECT device || ' ' || count(*) || ' ' || max(seq) FROM log GROUP BY device",
        )
        .unwrap();
    let mut devices = BTreeMap::new();
    for line in feeds.lines().filter(|l| !l.trim().is_empty()) {
        let parts: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(parts[1], parts[2], "feed {} logged once, in full", parts[0]);
        devices.insert(parts[0].to_owned(), parts[1].parse::<u64>().unwrap());
    }
    assert_eq!(devices.len(), 2, "the two tablets' feeds: {devices:?}");
    let files = pg
        .psql(&url, "SELECT count(*) FROM blob_cases")
        .unwrap()
        .trim()
        .parse::<u64>()
        .unwrap();
    assert_eq!(files, made, "every file made is kept, for its case");
}
