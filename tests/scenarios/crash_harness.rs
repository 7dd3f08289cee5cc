//! Kill -9 at random moments, at least 20 times each: the station (`quancheng serve`) while
//! tablets push entries, the station while it receives evidence files (some kills aimed at the
//! moment the last chunk is in and the file not yet kept), a tablet's `quancheng sync`, and
//! `quancheng evidence add` of a large file. After every kill every store opens, every entry a
//! device holds a receipt for is in the station's log once, and every file the station told a
//! device it holds is there, byte for byte. At the end an undisturbed sync finishes every
//! upload, the log holds each entry once, and exports verify.
//!
//! The moments come from a seeded generator; each test prints its seed and its kills, and
//! `QC_CRASH_SEED=0x…` runs it again with the same moments. The `quancheng` binary must be
//! built first: `cargo test --workspace` builds it, a run of this test alone needs
//! `cargo build -p qc-cli` before (`qc_tests::cli_binary`).
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use qc_api::Quancheng;
use qc_api::records::NewEvidence;
use qc_api::station::Station;
use qc_domain::RecordBody;
use qc_evidence::sample::Video;
use qc_tests::fixtures::{new_case, open_investigation};
use qc_tests::process::Killable;
use qc_tests::station::{Bureau, open, pin};
use qc_tests::{Xorshift, cli_binary};
use sha2::Digest as _;

/// Kills per test.
const KILLS: u64 = 22;
/// What the station seals and takes per chunk.
const CHUNK: u64 = 64 * 1024;

type Digest = [u8; 32];

/// A moment within `span`.
fn moment(rng: &mut Xorshift, span: Duration) -> Duration {
    Duration::from_micros(rng.below(span.as_micros().max(1) as u64))
}

fn sleep_until(at: Instant) {
    std::thread::sleep(at.saturating_duration_since(Instant::now()));
}

/// A video of `len` bytes, as a tablet captured it.
fn video(len: u64) -> Vec<u8> {
    let mut bytes = Vec::new();
    Video::new(len).read_to_end(&mut bytes).unwrap();
    bytes
}

/// What a device's store holds, read directly (opening it is itself a check): its own entries
/// it holds a receipt for, by case, the files those entries name, and the files still queued.
struct Held {
    acknowledged: BTreeMap<String, BTreeSet<Digest>>,
    unacknowledged: BTreeMap<String, BTreeSet<Digest>>,
    files: BTreeSet<(String, Digest)>,
    queued: BTreeSet<Digest>,
}

fn held(dir: &Path, device: &str) -> Held {
    let key: Digest = hex::decode(std::fs::read_to_string(dir.join("db.key")).unwrap().trim())
        .unwrap()
        .try_into()
        .unwrap();
    let store =
        qc_store::Store::open(&dir.join("quancheng.db"), &qc_store::DbKey::new(key)).unwrap();
    let mut h = Held {
        acknowledged: BTreeMap::new(),
        unacknowledged: BTreeMap::new(),
        files: BTreeSet::new(),
        queued: BTreeSet::new(),
    };
    // The device's own feed, whole: what a bundle of no case would hold of it.
    for e in store.feeds_for_export("", device).unwrap() {
        let x = e.entry().unwrap();
        if store.receipt(&e.hash()).unwrap().is_none() {
            h.unacknowledged
                .entry(x.case.clone())
                .or_default()
                .insert(e.hash());
            continue;
        }
        h.acknowledged
            .entry(x.case.clone())
            .or_default()
            .insert(e.hash());
        h.files.extend(x.blobs.iter().map(|b| (x.case.clone(), *b)));
    }
    let queue: Vec<serde_json::Value> = store
        .meta("blobs_pending")
        .unwrap()
        .map(|j| serde_json::from_slice(&j).unwrap())
        .unwrap_or_default();
    for p in queue {
        let hash = hex::decode(p["hash"].as_str().unwrap()).unwrap();
        h.queued.insert(hash.try_into().unwrap());
    }
    h
}

/// Checks that every entry a device holds a receipt for is in the station's log, and that the
/// log names each entry of those cases once; `checked` remembers entries already seen there.
/// Returns how many of the device's entries the log holds without the device knowing: the
/// station kept them, and its answer never arrived.
fn logged_once(station: &Station, device: &Held, checked: &mut BTreeSet<Digest>) -> usize {
    let mut unanswered = 0;
    let cases: BTreeSet<&String> = device
        .acknowledged
        .keys()
        .chain(device.unacknowledged.keys())
        .collect();
    for case in cases {
        let entries = device.acknowledged.get(case).cloned().unwrap_or_default();
        let waiting = device.unacknowledged.get(case).cloned().unwrap_or_default();
        if entries.is_subset(checked) && waiting.is_empty() {
            continue;
        }
        let log = qc_api::station::case_log(&station.url, &station.cert_pem, case).unwrap();
        let hashes: BTreeSet<Digest> = log.entries.iter().map(|r| r.entry).collect();
        let places: BTreeSet<u64> = log.entries.iter().map(|r| r.receipt.index).collect();
        assert_eq!(
            hashes.len(),
            log.entries.len(),
            "case {case}: an entry twice"
        );
        assert_eq!(
            places.len(),
            log.entries.len(),
            "case {case}: a place twice"
        );
        let lost: Vec<String> = entries.difference(&hashes).map(hex::encode).collect();
        assert!(
            lost.is_empty(),
            "case {case}: acknowledged, not logged: {lost:?}"
        );
        unanswered += waiting.intersection(&hashes).count();
        checked.extend(entries);
    }
    unanswered
}

/// The files a device was told the station holds (named by an acknowledged entry, no longer
/// queued) that `reader` has not fetched yet: fetched now and compared with what `made` says
/// each file is.
fn confirmed_files_are_there(
    device: &Held,
    reader: &mut Quancheng,
    made: &BTreeMap<Digest, Vec<u8>>,
    fetched: &mut BTreeSet<Digest>,
) {
    for (case, hash) in &device.files {
        if device.queued.contains(hash) || fetched.contains(hash) {
            continue;
        }
        let Some(bytes) = made.get(hash) else {
            continue;
        };
        reader.fetch_blob(case, hash).unwrap();
        assert!(
            reader.read_blob(hash).unwrap() == *bytes,
            "{} differs at the station",
            hex::encode(hash)
        );
        fetched.insert(*hash);
    }
}

/// `quancheng --data-dir DIR ARGS…` as a child process (PINs from the environment).
fn quancheng(
    bin: &Path,
    dir: &Path,
    args: &[&str],
    env: &[(&str, String)],
    logs: &Path,
) -> Killable {
    let mut cmd = Command::new(bin);
    cmd.arg("--data-dir")
        .arg(dir)
        .args(args)
        .env_remove("QUANCHENG_KEY_FILE");
    for (k, v) in env {
        cmd.env(k, v);
    }
    Killable::spawn(&mut cmd, logs, args[0]).unwrap()
}

/// `quancheng export` of each case by 李明 and `quancheng verify` of the bundle against the
/// bureau key and the station's log key: both succeed.
fn exports_verify(bin: &Path, dir: &Path, cases: &[String], bureau_key: &str, station: &Station) {
    let logs = dir.parent().unwrap();
    for case in cases {
        let bundle = logs.join(format!("{case}.qcb"));
        let out = bundle.to_str().unwrap();
        let mut export = quancheng(
            bin,
            dir,
            &["export", case, "--out", out, "--officer", "li.ming"],
            &[("QUANCHENG_PIN", pin("li.ming"))],
            logs,
        );
        let status = export.wait(Duration::from_secs(60)).unwrap();
        assert!(status.success(), "export {case}: {}", export.stderr());
        let mut verify = quancheng(
            bin,
            dir,
            &[
                "verify",
                out,
                "--bureau",
                bureau_key,
                "--log-key",
                &station.log_key,
            ],
            &[],
            logs,
        );
        let status = verify.wait(Duration::from_secs(60)).unwrap();
        assert!(
            status.success(),
            "verify {case}: {}{}",
            verify.stdout(),
            verify.stderr()
        );
    }
}

/// A cut sync fails as a lost link does; a station that lost or rewrote what it logged would
/// say `log_inconsistent` instead.
fn cut_sync(result: &Result<qc_api::station::SyncReport, qc_api::ApiError>) -> String {
    match result {
        Ok(_) => "done".into(),
        Err(e) => {
            assert_ne!(e.code(), "log_inconsistent", "{e}");
            e.code().into()
        }
    }
}

/// Syncs per tablet per round of the entries test: the station is killed somewhere in them.
const SYNCS: usize = 4;

#[test]
fn the_station_killed_while_it_logs_entries_loses_and_repeats_none() {
    let mut rng = Xorshift::seeded(0x5eed_0a11_0001);
    let bin = cli_binary().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let mut bureau = Bureau::start(tmp.path()).unwrap();
    let mut tablets = Vec::new();
    for name in ["a", "b"] {
        let (dir, case) = tablet_with_case(&bureau, &tmp.path().join(name));
        let mut t = open(&dir).unwrap();
        let li = t.unlock("li.ming", &pin("li.ming")).unwrap();
        let wang = t.unlock("wang.fang", &pin("wang.fang")).unwrap();
        let record = t.start_inspection(&case, &[&li, &wang]).unwrap();
        tablets.push((t, li, case, record));
    }
    let mut station = bureau.serve_in_child(&bin, tmp.path()).unwrap();
    let (mut checked, mut unanswered) = (BTreeSet::new(), 0);
    // How long a round takes undisturbed: round 0 measures it.
    let mut span = Duration::ZERO;
    for round in 0..=KILLS {
        // Each tablet records a few edits and syncs, again and again, until the station dies:
        // the kill falls inside a request or between two.
        let counts: Vec<Vec<u64>> = (0..tablets.len())
            .map(|_| (0..SYNCS).map(|_| 1 + rng.below(5)).collect())
            .collect();
        let kill_at = (round > 0).then(|| moment(&mut rng, span));
        let start = Instant::now();
        let results = std::thread::scope(|s| {
            let syncs: Vec<_> = tablets
                .iter_mut()
                .zip(&counts)
                .map(|((t, li, case, record), counts)| {
                    s.spawn(move || {
                        let mut done = 0;
                        for (k, n) in counts.iter().enumerate() {
                            for i in 0..*n {
                                t.edit_record(case, record, &[li], |r| {
                                    if let RecordBody::Inspection(x) = &mut r.body {
                                        x.found = format!("第{round}轮第{k}次第{i}处");
                                    }
                                    Ok(())
                                })
                                .unwrap();
                            }
                            if let Err(e) = t.sync() {
                                return (done, Err(e), start.elapsed());
                            }
                            done += 1;
                        }
                        (done, Ok(()), start.elapsed())
                    })
                })
                .collect();
            if let Some(at) = kill_at {
                sleep_until(start + at);
                station.kill().unwrap();
            }
            syncs
                .into_iter()
                .map(|h| h.join().unwrap())
                .collect::<Vec<_>>()
        });
        let mut outcomes = Vec::new();
        for (done, r, took) in &results {
            if let Err(e) = r {
                assert_ne!(e.code(), "log_inconsistent", "{e}");
                outcomes.push(format!("{done} syncs, then {}", e.code()));
            } else {
                span = span.max(*took);
                outcomes.push(format!("{done} syncs"));
            }
        }
        println!("round {round}: station killed at {kill_at:?}: {outcomes:?}");
        if kill_at.is_none() {
            assert!(results.iter().all(|r| r.1.is_ok()), "{outcomes:?}");
            continue;
        }
        station = bureau.serve_in_child(&bin, tmp.path()).unwrap();
        for (t, ..) in &tablets {
            let h = held(t.data_dir().root(), t.device_id());
            unanswered += logged_once(&bureau.station, &h, &mut checked);
        }
    }
    println!(
        "{} acknowledged entries found in the log after kills; {unanswered} logged when the \
         station was killed before its answer arrived",
        checked.len()
    );

    // Undisturbed, everything goes up, and the log holds each entry once: as many as each
    // tablet holds (each sees the other's case, of their squad).
    for (t, ..) in &mut tablets {
        t.sync().unwrap();
    }
    let mut all = BTreeSet::new();
    for (t, ..) in &mut tablets {
        let report = t.sync().unwrap();
        assert_eq!(report.log_size, t.ledger_len().unwrap());
        let status = t.sync_status().unwrap();
        assert_eq!((status.unsynced_entries, status.pending_files), (0, 0));
        let h = held(t.data_dir().root(), t.device_id());
        logged_once(&bureau.station, &h, &mut all);
    }
    let bureau_key = tablets[0].0.bureau_public_hex();
    for (t, _, case, _) in tablets {
        let dir = t.data_dir().root().to_owned();
        drop(t);
        exports_verify(&bin, &dir, &[case], &bureau_key, &bureau.station);
    }
    drop(station);
}

/// The length of a whole file of `len` bytes as the station's blob store writes it: magic and
/// nonce prefix (8 + 7 bytes), then each chunk with its 16-byte tag.
fn sealed_len(len: u64) -> u64 {
    15 + len + len.div_ceil(CHUNK).max(1) * 16
}

#[test]
fn the_station_killed_while_it_receives_files_keeps_what_it_confirmed_and_gets_the_rest() {
    let mut rng = Xorshift::seeded(0x5eed_0a11_0002);
    let bin = cli_binary().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let mut bureau = Bureau::start(tmp.path()).unwrap();
    let (dir, case) = tablet_with_case(&bureau, &tmp.path().join("t"));
    let mut tablet = open(&dir).unwrap();
    let li = tablet.unlock("li.ming", &pin("li.ming")).unwrap();
    let wang = tablet.unlock("wang.fang", &pin("wang.fang")).unwrap();
    let mut reader = bureau
        .tablet(&tmp.path().join("reader"), "一中队", &[])
        .unwrap();
    // Several requests per file, so kills fall between chunks too.
    tablet.set_upload_chunk(CHUNK as usize);
    let receiving = bureau.dir.join("station").join("blobs").join("tmp");
    let mut station = bureau.serve_in_child(&bin, tmp.path()).unwrap();

    let mut made: BTreeMap<Digest, Vec<u8>> = BTreeMap::new();
    let (mut checked, mut fetched) = (BTreeSet::new(), BTreeSet::new());
    let mut span = Duration::ZERO;
    let mut last_chunk_hits = 0;
    for round in 0..=KILLS {
        // Up to three chunks, the last one short; no two files alike.
        let mut len = CHUNK * rng.below(3) + 1 + rng.below(CHUNK - 1);
        let bytes = loop {
            let bytes = video(len);
            if !made.contains_key(&<Digest>::from(sha2::Sha256::digest(&bytes))) {
                break bytes;
            }
            len += 1;
        };
        let hash: Digest = sha2::Sha256::digest(&bytes).into();
        let evidence = NewEvidence {
            file_name: format!("DSJ_{round:03}.mp4"),
            description: "现场执法录像".into(),
            attestation: None,
        };
        tablet
            .add_evidence(&case, &bytes[..], evidence, &[&li, &wang])
            .unwrap();
        made.insert(hash, bytes);
        // Odd rounds wait until the last chunk is in (the file being received has its whole
        // length) and kill at once, when the file is not kept yet, or up to a millisecond
        // later, when it may be kept and the tablet not told.
        let at_last_chunk = round % 2 == 1;
        let kill_at = (round > 0).then(|| match (at_last_chunk, round % 4) {
            (true, 1) => Duration::ZERO,
            (true, _) => moment(&mut rng, Duration::from_millis(1)),
            // Half as long again as the longest sync: what a killed one left makes the next
            // one longer.
            (false, _) => moment(&mut rng, span * 3 / 2),
        });
        let file = receiving.join(format!("{}.receiving", hex::encode(hash)));
        let start = Instant::now();
        let (result, took) = std::thread::scope(|s| {
            let sync = s.spawn(|| (tablet.sync(), start.elapsed()));
            if let Some(at) = kill_at {
                if at_last_chunk {
                    let whole = sealed_len(len);
                    while !sync.is_finished()
                        && start.elapsed() < Duration::from_secs(30)
                        && !std::fs::metadata(&file).is_ok_and(|m| m.len() == whole)
                    {
                        std::thread::sleep(Duration::from_micros(50));
                    }
                    std::thread::sleep(at);
                } else {
                    sleep_until(start + at);
                }
                station.kill().unwrap();
            }
            sync.join().unwrap()
        });
        if result.is_ok() {
            span = span.max(took);
        }
        // Where the kill left this file: received whole and not kept, or kept and the tablet
        // not told.
        let h = held(&dir, tablet.device_id());
        let name = hex::encode(hash);
        let kept = receiving.parent().unwrap().join(&name[..2]).join(&name);
        let caught = std::fs::metadata(&file).is_ok_and(|m| m.len() == sealed_len(len));
        let untold = kept.exists() && h.queued.contains(&hash);
        last_chunk_hits += usize::from(caught);
        println!(
            "round {round}: {len} bytes, station killed {}: {}{}",
            match (kill_at, at_last_chunk) {
                (None, _) => "never".to_owned(),
                (Some(at), true) => format!("{at:?} after the last chunk was in"),
                (Some(at), false) => format!("at {at:?}"),
            },
            cut_sync(&result),
            match (caught, untold) {
                (true, _) => ", the file received whole, not kept",
                (_, true) => ", the file kept, the tablet not told",
                _ => "",
            }
        );
        if kill_at.is_none() {
            result.unwrap();
            continue;
        }
        station = bureau.serve_in_child(&bin, tmp.path()).unwrap();
        if caught {
            assert!(
                kept.exists() && !file.exists(),
                "the station keeps at start a file it received whole"
            );
        }
        logged_once(&bureau.station, &h, &mut checked);
        confirmed_files_are_there(&h, &mut reader, &made, &mut fetched);
    }
    println!("{last_chunk_hits} kills between the last chunk and keeping the file");
    assert!(
        last_chunk_hits > 0,
        "no kill fell between the last chunk and keeping the file"
    );

    // Undisturbed, every upload completes and the station holds every file as it was made.
    tablet.sync().unwrap();
    let status = tablet.sync_status().unwrap();
    assert_eq!((status.unsynced_entries, status.pending_files), (0, 0));
    let h = held(&dir, tablet.device_id());
    logged_once(&bureau.station, &h, &mut BTreeSet::new());
    confirmed_files_are_there(&h, &mut reader, &made, &mut fetched);
    assert_eq!(fetched.len(), made.len(), "every file reached the station");
    let left: Vec<_> = std::fs::read_dir(&receiving).unwrap().collect();
    assert!(left.is_empty(), "uploads left unfinished: {left:?}");
    let bureau_key = tablet.bureau_public_hex();
    drop(tablet);
    exports_verify(&bin, &dir, &[case], &bureau_key, &bureau.station);
    drop(station);
}

/// A tablet with a case under investigation by 李明 and 王芳, its store closed so that the
/// command line can use it; returns its directory and the case.
fn tablet_with_case(bureau: &Bureau, dir: &Path) -> (PathBuf, String) {
    let people = ["li.ming", "wang.fang", "liu.jianguo"];
    let mut t = bureau.tablet(dir, "一中队", &people).unwrap();
    let [li, wang, liu] = people.map(|p| t.unlock(p, &pin(p)).unwrap());
    let case = t
        .register_case(new_case("景华路88号", "执法记录仪录像"), &li)
        .unwrap()
        .0;
    open_investigation(&mut t, &case, &liu, [&li, &wang]).unwrap();
    t.sync().unwrap();
    (dir.to_owned(), case)
}

/// Kills `child` at `at` unless it ends before; returns how it ended.
fn kill_at(child: &mut Killable, at: Instant) -> std::process::ExitStatus {
    while Instant::now() < at && child.ended().is_none() {
        std::thread::sleep(Duration::from_micros(500));
    }
    child.kill().unwrap()
}

#[test]
fn a_tablet_sync_killed_loses_nothing_acknowledged_and_finishes_later() {
    let mut rng = Xorshift::seeded(0x5eed_0a11_0003);
    let bin = cli_binary().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let bureau = Bureau::start(tmp.path()).unwrap();
    let (dir, case) = tablet_with_case(&bureau, &tmp.path().join("t"));
    let (device, record) = {
        let mut t = open(&dir).unwrap();
        let li = t.unlock("li.ming", &pin("li.ming")).unwrap();
        let record = t.start_inspection(&case, &[&li]).unwrap();
        (t.device_id().to_owned(), record)
    };
    let mut reader = bureau
        .tablet(&tmp.path().join("reader"), "一中队", &[])
        .unwrap();
    let mut made: BTreeMap<Digest, Vec<u8>> = BTreeMap::new();
    let (mut checked, mut fetched) = (BTreeSet::new(), BTreeSet::new());
    // The longest a sync has taken. What a killed sync left makes the next one longer, so
    // kills fall up to half as long again, and some syncs finish.
    let mut span = Duration::ZERO;
    for round in 0..=KILLS {
        {
            // Entries and a file to go up, made in the tablet's store; closed again before
            // the command line syncs it.
            let mut t = open(&dir).unwrap();
            let li = t.unlock("li.ming", &pin("li.ming")).unwrap();
            let wang = t.unlock("wang.fang", &pin("wang.fang")).unwrap();
            for i in 0..1 + rng.below(6) {
                t.edit_record(&case, &record, &[&li], |r| {
                    if let RecordBody::Inspection(x) = &mut r.body {
                        x.found = format!("第{round}轮第{i}处");
                    }
                    Ok(())
                })
                .unwrap();
            }
            let bytes = video(CHUNK + round * 4099 + rng.below(3 * CHUNK));
            let evidence = NewEvidence {
                file_name: format!("IMG_{round:03}.mp4"),
                description: "现场照片".into(),
                attestation: None,
            };
            t.add_evidence(&case, &bytes[..], evidence, &[&li, &wang])
                .unwrap();
            made.insert(sha2::Sha256::digest(&bytes).into(), bytes);
        }
        let at = (round > 0).then(|| moment(&mut rng, span * 3 / 2));
        let start = Instant::now();
        let mut sync = quancheng(&bin, &dir, &["sync"], &[], tmp.path());
        let status = match at {
            Some(at) => kill_at(&mut sync, start + at),
            None => sync.wait(Duration::from_secs(60)).unwrap(),
        };
        // Killed, or done: one that fails by itself cannot get past what an earlier kill left.
        assert!(
            status.success() || status.code().is_none(),
            "{}",
            sync.stderr()
        );
        if status.success() {
            span = span.max(start.elapsed());
        }
        let h = held(&dir, &device);
        open(&dir).unwrap();
        let unanswered = logged_once(&bureau.station, &h, &mut checked);
        confirmed_files_are_there(&h, &mut reader, &made, &mut fetched);
        println!(
            "round {round}: sync killed at {at:?}: {status}; {} entries acknowledged, {unanswered} \
             logged unknown to the tablet; {} files at the station, {} queued",
            h.acknowledged.values().map(BTreeSet::len).sum::<usize>(),
            fetched.len(),
            h.queued.len(),
        );
    }

    // Undisturbed, every upload completes; the log holds each of the tablet's entries once.
    let mut sync = quancheng(&bin, &dir, &["sync"], &[], tmp.path());
    let status = sync.wait(Duration::from_secs(120)).unwrap();
    assert!(status.success(), "{}", sync.stderr());
    let mut t = open(&dir).unwrap();
    let report = t.sync().unwrap();
    assert_eq!(report.log_size, t.ledger_len().unwrap());
    let status = t.sync_status().unwrap();
    assert_eq!((status.unsynced_entries, status.pending_files), (0, 0));
    let h = held(&dir, &device);
    logged_once(&bureau.station, &h, &mut BTreeSet::new());
    confirmed_files_are_there(&h, &mut reader, &made, &mut fetched);
    assert_eq!(fetched.len(), made.len(), "every file reached the station");
    let bureau_key = t.bureau_public_hex();
    drop(t);
    exports_verify(&bin, &dir, &[case], &bureau_key, &bureau.station);
}

/// Temporary files a blob store holds.
fn partial_files(dir: &Path) -> usize {
    std::fs::read_dir(dir.join("blobs").join("tmp"))
        .map(|d| d.count())
        .unwrap_or(0)
}

#[test]
fn evidence_add_killed_mid_write_leaves_nothing_behind_and_keeps_what_it_said() {
    let mut rng = Xorshift::seeded(0x5eed_0a11_0004);
    let bin = cli_binary().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let bureau = Bureau::start(tmp.path()).unwrap();
    let (dir, case) = tablet_with_case(&bureau, &tmp.path().join("t"));
    let source = tmp.path().join("DSJ_0001.mp4");
    let bytes = video(24 * 1024 * 1024);
    std::fs::write(&source, &bytes).unwrap();
    let hash: Digest = sha2::Sha256::digest(&bytes).into();
    let add = || {
        quancheng(
            &bin,
            &dir,
            &[
                "evidence",
                "add",
                source.to_str().unwrap(),
                "--case",
                &case,
                "--officer",
                "li.ming",
                "--second",
                "wang.fang",
                "--json",
            ],
            &[
                ("QUANCHENG_PIN", pin("li.ming")),
                ("QUANCHENG_SECOND_PIN", pin("wang.fang")),
            ],
            tmp.path(),
        )
    };
    // Round 0 measures how long an add takes, and how long it writes the file.
    let (mut span, mut writing) = (Duration::ZERO, Duration::ZERO);
    let mut items: BTreeSet<String> = BTreeSet::new();
    let mut mid_write = 0;
    let until = |child: &mut Killable, writing: bool| {
        let start = Instant::now();
        while (partial_files(&dir) > 0) != writing
            && child.ended().is_none()
            && start.elapsed() < Duration::from_secs(60)
        {
            std::thread::sleep(Duration::from_micros(200));
        }
    };
    for round in 0..=KILLS {
        let start = Instant::now();
        let mut child = add();
        // Odd rounds wait until the file is being written, then kill within the writing.
        let while_writing = round % 2 == 1;
        let mut at = None;
        let status = if round == 0 {
            until(&mut child, true);
            let from = start.elapsed();
            until(&mut child, false);
            writing = start.elapsed() - from;
            let status = child.wait(Duration::from_secs(60)).unwrap();
            span = start.elapsed();
            status
        } else if while_writing {
            until(&mut child, true);
            at = Some(start.elapsed() + moment(&mut rng, writing));
            kill_at(&mut child, start + at.unwrap())
        } else {
            at = Some(moment(&mut rng, span));
            kill_at(&mut child, start + at.unwrap())
        };
        assert!(
            status.success() || status.code().is_none(),
            "{}",
            child.stderr()
        );
        let left = partial_files(&dir);
        mid_write += usize::from(left > 0);
        // The store opens and clears what the killed writer left; the add happened whole or
        // not at all, once, and if it said so it happened.
        let t = open(&dir).unwrap();
        assert_eq!(partial_files(&dir), 0, "temporary files left after opening");
        let now: BTreeSet<String> = t
            .case_file(&case)
            .unwrap()
            .1
            .into_iter()
            .map(|e| e.facts.id)
            .collect();
        let new: Vec<&String> = now.difference(&items).collect();
        assert!(new.len() <= 1, "one add, {} items", new.len());
        if status.success() {
            assert_eq!(new.len(), 1, "{}", child.stdout());
            assert!(
                child.stdout().contains(new[0].as_str()),
                "{}",
                child.stdout()
            );
        }
        if !new.is_empty() {
            assert!(t.read_blob(&hash).unwrap() == bytes, "round {round}");
        }
        assert!(t.verify_case_feeds(&case).unwrap().is_clean());
        println!(
            "round {round}: evidence add killed at {at:?}: {status}; {left} temporary files, \
             {} item added",
            new.len()
        );
        items = now;
    }
    println!("{mid_write} kills left a file half written");
    assert!(mid_write > 0, "no kill fell while the file was written");

    // What was added goes up undisturbed; the station holds the file.
    let mut t = open(&dir).unwrap();
    t.sync().unwrap();
    let status = t.sync_status().unwrap();
    assert_eq!((status.unsynced_entries, status.pending_files), (0, 0));
    let mut reader = bureau
        .tablet(&tmp.path().join("reader"), "一中队", &[])
        .unwrap();
    assert!(reader.fetch_blob(&case, &hash).unwrap());
    assert!(reader.read_blob(&hash).unwrap() == bytes);
    let bureau_key = t.bureau_public_hex();
    drop(t);
    exports_verify(&bin, &dir, &[case], &bureau_key, &bureau.station);
}
