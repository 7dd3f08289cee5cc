//! A city's endpoint: two station processes (`quancheng serve` with `QUANCHENG_DATABASE` set)
//! on one PostgreSQL, evidence in one S3 bucket (SeaweedFS), over HTTPS on 127.0.0.1, tablets
//! syncing through one and then the other.
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
use std::time::{Duration, Instant};

use qc_api::Quancheng;
use qc_api::records::NewEvidence;
use qc_api::station::Station;
use qc_evidence::sample::Video;
use qc_server::service::{DeskSigner, desk_device};
use qc_station_evidence::LocalEvidence;
use qc_test_services::{Postgres, Seaweed};
use qc_tests::fixtures::{new_case, open_investigation};
use qc_tests::process::Killable;
use qc_tests::station::{Bureau, pin};
use qc_tests::{Xorshift, cli_binary, free_port};

/// Kills: at least 20, at random moments.
const KILLS: u64 = 22;
/// What tablets send per chunk: files go up in several requests, so kills fall between them.
const CHUNK: u64 = 64 * 1024;

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
    let mut rng = Xorshift::seeded(0x5eed_0a11_0005);
    let bin = cli_binary().unwrap();
    let url = Postgres::shared().new_database().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let mut bureau = Bureau::start(tmp.path()).unwrap();
    bureau.use_database(&bin, &url);
    // Evidence in a real S3 server both processes share (signed requests).
    let s3 = Seaweed::start_with_credentials().unwrap();
    let bucket = s3.new_bucket().unwrap();
    bureau.use_s3((&s3.endpoint(), &bucket, s3.access_key(), s3.secret_key()));
    let logs = tmp.path();
    let mut instances: Vec<Instance> = ["a", "b"]
        .into_iter()
        .map(|name| {
            let listen = format!("127.0.0.1:{}", free_port().unwrap());
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
        .psql(
            &url,
            "SELECT count(*) FROM blob_cases JOIN blobs USING (hash) WHERE complete",
        )
        .unwrap()
        .trim()
        .parse::<u64>()
        .unwrap();
    assert_eq!(files, made, "every file made is kept, for its case");
}

/// Backup and restore as deploy/README.md says: the database dumped (`pg_dump -Fc`) with the
/// evidence directory copied, restored into a new database, a station started on it. A
/// tablet that synced before the backup syncs with the restored station: the station proves
/// its log extends the checkpoint the tablet holds, and takes what the tablet made since.
#[test]
fn a_station_restored_from_its_backup_proves_consistency_with_the_last_checkpoint() {
    let bin = cli_binary().unwrap();
    let pg = Postgres::shared();
    let url = pg.new_database().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let mut bureau = Bureau::start(tmp.path()).unwrap();
    bureau.use_database(&bin, &url);
    let listen = format!("127.0.0.1:{}", free_port().unwrap());
    let mut station = bureau.serve_child(&bin, tmp.path(), "a", &listen).unwrap();
    bureau.station.url = format!("https://{listen}");
    let (mut tablet, case) = tablet(&bureau, &tmp.path().join("t"), "景华路88号");
    let li = tablet.unlock("li.ming", &pin("li.ming")).unwrap();
    let wang = tablet.unlock("wang.fang", &pin("wang.fang")).unwrap();
    let mut bytes = Vec::new();
    Video::new(3 * CHUNK + 5).read_to_end(&mut bytes).unwrap();
    let evidence = |name: &str| NewEvidence {
        file_name: name.into(),
        description: "现场执法录像".into(),
        attestation: None,
    };
    tablet
        .add_evidence(&case, &bytes[..], evidence("DSJ_001.mp4"), &[&li, &wang])
        .unwrap();
    let before = tablet.sync().unwrap();
    assert!(before.log_size > 0 && before.blobs_sent == 1);

    // The backup: the database, then the evidence files (written before they are
    // acknowledged, so a copy made after the dump holds every file the dump names).
    let dump = tmp.path().join("station.dump");
    let run = |cmd: &mut std::process::Command| {
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "{cmd:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(std::process::Command::new(pg.tool("pg_dump"))
        .args(["-Fc", "-f"])
        .arg(&dump)
        .arg(&url));
    let blobs = bureau.dir.join("station").join("blobs");
    let copy = tmp.path().join("blobs-backup");
    copy_dir(&blobs, &copy);
    station.kill().unwrap();
    // Lost: the database and the evidence directory. Restored into a new database.
    std::fs::remove_dir_all(&blobs).unwrap();
    copy_dir(&copy, &blobs);
    let restored = pg.new_database().unwrap();
    run(std::process::Command::new(pg.tool("pg_restore"))
        .args(["--no-owner", "-d", &restored])
        .arg(&dump));
    bureau.use_database(&bin, &restored);
    let _station = bureau
        .serve_child(&bin, tmp.path(), "restored", &listen)
        .unwrap();

    // The tablet's witness demands a proof from the checkpoint it holds: it gets one.
    let mut more = Vec::new();
    Video::new(CHUNK + 9).read_to_end(&mut more).unwrap();
    tablet
        .add_evidence(&case, &more[..], evidence("DSJ_002.mp4"), &[&li, &wang])
        .unwrap();
    let after = tablet.sync().unwrap();
    assert!(after.sent > 0 && after.blobs_sent == 1, "{after:?}");
    assert!(after.log_size > before.log_size);
    let again = tablet.sync().unwrap();
    assert_eq!((again.sent, again.blobs_sent), (0, 0));
}

/// A lost tablet revoked by the administrator's command on one machine is refused at once by
/// both running processes (each takes up the list the database holds with its next request),
/// while the squad's other tablet syncs on; then both stop cleanly when asked.
#[test]
fn a_tablet_revoked_from_the_command_line_is_refused_by_every_instance() {
    let bin = cli_binary().unwrap();
    let url = Postgres::shared().new_database().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let mut bureau = Bureau::start(tmp.path()).unwrap();
    bureau.use_database(&bin, &url);
    let listens: Vec<String> = (0..2)
        .map(|_| format!("127.0.0.1:{}", free_port().unwrap()))
        .collect();
    let mut instances: Vec<Killable> = ["a", "b"]
        .iter()
        .zip(&listens)
        .map(|(name, listen)| bureau.serve_child(&bin, tmp.path(), name, listen).unwrap())
        .collect();
    bureau.station.url = format!("https://{}", listens[0]);
    let (mut lost, _) = tablet(&bureau, &tmp.path().join("lost"), "景华路88号");
    let (mut kept, _) = tablet(&bureau, &tmp.path().join("kept"), "东风路12号");
    let through = |t: &mut Quancheng, listen: &str| {
        t.set_station(&Station {
            url: format!("https://{listen}"),
            ..bureau.station.clone()
        })
        .unwrap();
        t.sync()
    };
    for listen in &listens {
        through(&mut lost, listen).unwrap();
    }

    bureau.revoke_device(lost.device_id(), "平板遗失").unwrap();
    for listen in &listens {
        let e = through(&mut lost, listen).unwrap_err();
        assert_eq!(e.code(), "revoked_device", "through {listen}: {e}");
        through(&mut kept, listen).unwrap();
    }
    // Revoking it again says so, and changes nothing.
    let again = bureau.revoke_device(lost.device_id(), "平板遗失");
    assert!(
        again.is_err_and(|e| e.to_string().contains("already revoked")),
        "a second revocation is refused"
    );
    // An operator stops the instances: each closes its database connections and exits cleanly.
    for instance in &mut instances {
        let status = instance.terminate(Duration::from_secs(40)).unwrap();
        assert!(
            status.success(),
            "stopped with {status}: {}",
            instance.stderr()
        );
    }
}

/// The bureau's desk on a city's endpoint: a tablet's case with a photo, synced through one
/// instance, is checked whole by each of two more on the same database (as the console does),
/// and exported at the desk through each in turn: the second export follows the first on the
/// desk's feed, and both bundles verify; a random inspection is planned through one and drawn
/// through the other.
#[test]
fn two_instances_on_one_database_check_and_export_a_case_for_the_desk() {
    let bin = cli_binary().unwrap();
    let url = Postgres::shared().new_database().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let mut bureau = Bureau::start(tmp.path()).unwrap();
    bureau.use_database(&bin, &url);
    let listen = format!("127.0.0.1:{}", free_port().unwrap());
    let mut serving = bureau.serve_child(&bin, tmp.path(), "a", &listen).unwrap();
    bureau.station.url = format!("https://{listen}");
    let (mut t, case) = tablet(&bureau, &tmp.path().join("tablet"), "纬二路3号");
    let [li, wang] = ["li.ming", "wang.fang"].map(|p| t.unlock(p, &pin(p)).unwrap());
    t.add_evidence(
        &case,
        &qc_evidence::sample::camera_photo(320, 240)[..],
        NewEvidence {
            file_name: "IMG_0002.jpg".into(),
            description: "占道堆放的货物".into(),
            attestation: None,
        },
        &[&li, &wang],
    )
    .unwrap();
    t.sync().unwrap();

    // Two more instances, in this process, on the same database and evidence directory.
    let instance = || {
        let mut app = qc_tests::station::open(&bureau.dir).unwrap();
        let evidence = LocalEvidence::open(
            app.station_dir().join("blobs"),
            app.station_blob_key().unwrap(),
        )
        .unwrap();
        let storage = qc_station_pg::PgStorage::open(&url, Box::new(evidence)).unwrap();
        app.station_service_on(storage).unwrap()
    };
    let (x, y) = (instance(), instance());
    let now = || qc_domain::Clock::now(&qc_api::SystemClock);
    for station in [&x, &y] {
        let held = station.check_case(&case, now()).unwrap().unwrap();
        let problems: Vec<String> = held.report.problems.iter().map(|p| p.en()).collect();
        assert!(problems.is_empty(), "{problems:?}");
        // The photo (and whatever else the case's entries name), each read whole.
        assert!(!held.evidence.is_empty() && held.evidence.iter().all(|f| f.intact));
    }

    let head = x.bureau_person("zhou.wen").unwrap();
    let key = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
    let view = qc_domain::CaseView {
        everything: true,
        ..qc_domain::CaseView::default()
    };
    let signer = DeskSigner {
        login: "zhou",
        person: &head,
        view: &view,
        key: &key,
    };
    let first = x.export_case(&case, &signer, now()).unwrap().unwrap();
    let second = y.export_case(&case, &signer, now()).unwrap().unwrap();
    for exported in [&first, &second] {
        let problems: Vec<String> = exported.report.problems.iter().map(|p| p.en()).collect();
        assert!(problems.is_empty(), "{problems:?}");
    }
    let (contents, _) = qc_bundle::read(&second.bundle[..]).unwrap();
    let desk: Vec<u64> = contents
        .entries
        .iter()
        .filter_map(|e| e.head().ok())
        .filter(|h| h.device == desk_device("zhou"))
        .map(|h| h.seq)
        .collect();
    assert_eq!(
        desk,
        [1, 2],
        "the second export follows the first on the desk's feed"
    );

    // 双随机 on the same database: planned through one instance, drawn through the other once
    // the log moved on, read alike by both; the tablet's next sync brings its people's tasks.
    use qc_domain::draw::{DrawPlan, Inspector, Target};
    let inspectors: Vec<Inspector> = ["li.ming", "wang.fang"]
        .iter()
        .map(|p| Inspector::of(&x.bureau_person(p).unwrap()).unwrap())
        .collect();
    let targets = (0..6)
        .map(|i| Target {
            id: format!("9137010{i}"),
            name: format!("商户{i}号"),
            address: format!("纬二路{i}号"),
            category: "沿街商户".into(),
        })
        .collect();
    let plan = DrawPlan::new(
        "draw-cluster",
        "沿街商户抽查",
        2,
        targets,
        inspectors,
        now(),
    );
    let planned = x.plan_inspection(&plan.unwrap(), &signer, now()).unwrap();
    let early = y
        .draw_inspection("draw-cluster", &signer, now())
        .unwrap_err();
    assert_eq!(early.status(), 409, "no entry after the plan yet");
    y.export_case(&case, &signer, now()).unwrap().unwrap();
    let drawn = y
        .draw_inspection("draw-cluster", &signer, now())
        .unwrap()
        .unwrap();
    assert_eq!(drawn.plan_index, planned.plan_index);
    let result = drawn.result.clone().unwrap();
    assert_eq!(
        x.draw("draw-cluster").unwrap().unwrap().result,
        Some(result)
    );
    // Two inspectors for two targets: both drawn each time, so the tablet holds two tasks.
    let report = t.sync().unwrap();
    assert_eq!(report.tasks, 2);
    assert!(
        t.inspection_tasks()
            .unwrap()
            .iter()
            .all(|task| { task.draw == "draw-cluster" && task.inspectors.len() == 2 })
    );
    let status = serving.terminate(Duration::from_secs(40)).unwrap();
    assert!(status.success(), "{}", serving.stderr());
}

/// Copies a directory tree (an operator's rsync of the evidence directory).
fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for item in std::fs::read_dir(from).unwrap() {
        let item = item.unwrap();
        let target = to.join(item.file_name());
        if item.file_type().unwrap().is_dir() {
            copy_dir(&item.path(), &target);
        } else {
            std::fs::copy(item.path(), target).unwrap();
        }
    }
}
