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
//! built first (`qc_tests::cli_binary`).
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use qc_api::Quancheng;
use qc_api::records::NewEvidence;
use qc_api::station::Station;
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

/// What a device's store holds, read directly (opening it is itself a check): the entries it
/// holds a receipt for, by case, the files those entries name, and the files still queued.
struct Held {
    acknowledged: BTreeMap<String, BTreeSet<Digest>>,
    files: BTreeSet<(String, Digest)>,
    queued: BTreeSet<Digest>,
}

fn held(dir: &Path) -> Held {
    let key: Digest = hex::decode(std::fs::read_to_string(dir.join("db.key")).unwrap().trim())
        .unwrap()
        .try_into()
        .unwrap();
    let store =
        qc_store::Store::open(&dir.join("quancheng.db"), &qc_store::DbKey::new(key)).unwrap();
    let mut h = Held {
        acknowledged: BTreeMap::new(),
        files: BTreeSet::new(),
        queued: BTreeSet::new(),
    };
    for (case, _) in store.case_heads().unwrap() {
        for e in store.feeds_for_case(&case).unwrap() {
            // Another device's entry may come without its body (about a case not seen here).
            let Ok(x) = e.entry() else { continue };
            if x.case != case || store.receipt(&e.hash()).unwrap().is_none() {
                continue;
            }
            h.acknowledged
                .entry(case.clone())
                .or_default()
                .insert(e.hash());
            h.files.extend(x.blobs.iter().map(|b| (case.clone(), *b)));
        }
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
fn logged_once(
    station: &Station,
    acknowledged: &BTreeMap<String, BTreeSet<Digest>>,
    checked: &mut BTreeSet<Digest>,
) {
    for (case, entries) in acknowledged {
        if entries.is_subset(checked) {
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
            "case {case}: a position twice"
        );
        let lost: Vec<String> = entries.difference(&hashes).map(hex::encode).collect();
        assert!(
            lost.is_empty(),
            "case {case}: acknowledged, not logged: {lost:?}"
        );
        checked.extend(entries);
    }
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

#[test]
fn the_station_killed_while_it_logs_entries_loses_and_repeats_none() {
    let mut rng = seed(0x5eed_0a11_0001);
    let bin = cli_binary().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let mut bureau = Bureau::start(tmp.path()).unwrap();
    let mut tablets: Vec<Quancheng> = ["a", "b"]
        .iter()
        .map(|n| {
            bureau
                .tablet(&tmp.path().join(n), "一中队", &["li.ming"])
                .unwrap()
        })
        .collect();
    let li: Vec<_> = tablets
        .iter_mut()
        .map(|t| t.unlock("li.ming", &pin("li.ming")).unwrap())
        .collect();
    let mut station = bureau.serve_in_child(&bin, tmp.path()).unwrap();
    let mut checked = BTreeSet::new();
    // How long the two syncs of a round take undisturbed: round 0 measures it.
    let mut span = Duration::ZERO;
    for round in 0..=KILLS {
        for (t, li) in tablets.iter_mut().zip(&li) {
            for i in 0..4 + rng.below(8) {
                let address = format!("景华路{round}-{i}号");
                t.register_case(new_case(&address, "占道经营"), li).unwrap();
            }
        }
        let kill_at = (round > 0).then(|| moment(&mut rng, span));
        let start = Instant::now();
        let results = std::thread::scope(|s| {
            let syncs: Vec<_> = tablets
                .iter_mut()
                .map(|t| s.spawn(move || (t.sync(), start.elapsed())))
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
        for (r, took) in &results {
            if r.is_ok() {
                span = span.max(*took);
            }
        }
        let outcomes: Vec<String> = results.iter().map(|(r, _)| cut_sync(r)).collect();
        println!("round {round}: station killed at {kill_at:?}: {outcomes:?} {:?} {:?}", results.iter().map(|(r, t)| (t, r.as_ref().err().map(|e| e.to_string()))).collect::<Vec<_>>(), start.elapsed());
        if kill_at.is_none() {
            assert!(outcomes.iter().all(|o| o == "done"), "{outcomes:?}");
            continue;
        }
        station = bureau.serve_in_child(&bin, tmp.path()).unwrap();
        println!("restarted {:?}", start.elapsed());
        for t in &tablets {
            println!("acked {}", held(t.data_dir().root()).acknowledged.values().map(|v| v.len()).sum::<usize>());
            logged_once(
                &bureau.station,
                &held(t.data_dir().root()).acknowledged,
                &mut checked,
            );
        }
    }

    // Undisturbed, everything goes up, and the log holds each entry once: as many as each
    // tablet holds (both see every case of their squad).
    for t in &mut tablets {
        t.sync().unwrap();
    }
    let mut cases = Vec::new();
    for t in &mut tablets {
        let report = t.sync().unwrap();
        assert_eq!(report.log_size, t.ledger_len().unwrap());
        let status = t.sync_status().unwrap();
        assert_eq!((status.unsynced_entries, status.pending_files), (0, 0));
        let h = held(t.data_dir().root());
        logged_once(&bureau.station, &h.acknowledged, &mut BTreeSet::new());
        cases = h.acknowledged.into_keys().collect();
    }
    let bureau_key = tablets[0].bureau_public_hex();
    let dir = tablets[0].data_dir().root().to_owned();
    drop(tablets);
    let some: Vec<String> = (0..3)
        .map(|_| cases[rng.below(cases.len() as u64) as usize].clone())
        .collect();
    exports_verify(&bin, &dir, &some, &bureau_key, &bureau.station);
    drop(station);
}

/// The sealed length of a whole file of `len` bytes as the station's blob store writes it.
fn sealed_len(len: u64) -> u64 {
    15 + len + len.div_ceil(CHUNK).max(1) * 16
}

#[test]
fn the_station_killed_while_it_receives_files_keeps_what_it_confirmed_and_gets_the_rest() {
    let mut rng = seed(0x5eed_0a11_0002);
    let bin = cli_binary().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let mut bureau = Bureau::start(tmp.path()).unwrap();
    let people = ["li.ming", "wang.fang", "liu.jianguo"];
    let mut tablet = bureau
        .tablet(&tmp.path().join("t"), "一中队", &people)
        .unwrap();
    let mut reader = bureau
        .tablet(&tmp.path().join("reader"), "一中队", &[])
        .unwrap();
    let [li, wang, liu] = people.map(|p| tablet.unlock(p, &pin(p)).unwrap());
    let case = tablet
        .register_case(new_case("景华路88号", "执法记录仪录像"), &li)
        .unwrap()
        .0;
    open_investigation(&mut tablet, &case, &liu, [&li, &wang]).unwrap();
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
        // length) and kill then: the file is not kept yet, or only just.
        let at_last_chunk = round % 2 == 1;
        let kill_at = (round > 0).then(|| moment(&mut rng, span));
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
        // Whether the kill left the last chunk in and the file not kept.
        let caught = std::fs::metadata(&file).is_ok_and(|m| m.len() == sealed_len(len));
        last_chunk_hits += usize::from(caught);
        println!(
            "round {round}: {len} bytes, station killed {}: {}{}",
            match (kill_at, at_last_chunk) {
                (None, _) => "never".to_owned(),
                (Some(_), true) => "when the last chunk was in".to_owned(),
                (Some(at), false) => format!("at {at:?}"),
            },
            cut_sync(&result),
            if caught {
                ", file received whole, not kept"
            } else {
                ""
            }
        );
        if kill_at.is_none() {
            result.unwrap();
            continue;
        }
        station = bureau.serve_in_child(&bin, tmp.path()).unwrap();
        let h = held(tablet.data_dir().root());
        logged_once(&bureau.station, &h.acknowledged, &mut checked);
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
    let h = held(tablet.data_dir().root());
    logged_once(&bureau.station, &h.acknowledged, &mut BTreeSet::new());
    confirmed_files_are_there(&h, &mut reader, &made, &mut fetched);
    assert_eq!(fetched.len(), made.len(), "every file reached the station");
    let left: Vec<_> = std::fs::read_dir(&receiving).unwrap().collect();
    assert!(left.is_empty(), "uploads left unfinished: {left:?}");
    let bureau_key = tablet.bureau_public_hex();
    let dir = tablet.data_dir().root().to_owned();
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

#[test]
fn a_tablet_sync_killed_loses_nothing_acknowledged_and_finishes_later() {
    let mut rng = seed(0x5eed_0a11_0003);
    let bin = cli_binary().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let bureau = Bureau::start(tmp.path()).unwrap();
    let (dir, case) = tablet_with_case(&bureau, &tmp.path().join("t"));
    let mut reader = bureau
        .tablet(&tmp.path().join("reader"), "一中队", &[])
        .unwrap();
    let mut made: BTreeMap<Digest, Vec<u8>> = BTreeMap::new();
    let (mut checked, mut fetched) = (BTreeSet::new(), BTreeSet::new());
    let mut span = Duration::ZERO;
    for round in 0..=KILLS {
        {
            // Entries and a file to go up, made in the tablet's store; closed again before
            // the command line syncs it.
            let mut t = open(&dir).unwrap();
            let li = t.unlock("li.ming", &pin("li.ming")).unwrap();
            let wang = t.unlock("wang.fang", &pin("wang.fang")).unwrap();
            for i in 0..1 + rng.below(6) {
                let address = format!("景华路{round}-{i}号");
                t.register_case(new_case(&address, "占道经营"), &li)
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
        let kill_at = (round > 0).then(|| moment(&mut rng, span));
        let start = Instant::now();
        let mut sync = quancheng(&bin, &dir, &["sync"], &[], tmp.path());
        let status = match kill_at {
            Some(at) => {
                sleep_until(start + at);
                sync.kill().unwrap()
            }
            None => {
                let status = sync.wait(Duration::from_secs(60)).unwrap();
                span = start.elapsed();
                assert!(status.success(), "{}", sync.stderr());
                status
            }
        };
        println!("round {round}: sync killed at {kill_at:?}: {status}");
        let h = held(&dir);
        open(&dir).unwrap();
        logged_once(&bureau.station, &h.acknowledged, &mut checked);
        confirmed_files_are_there(&h, &mut reader, &made, &mut fetched);
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
    let h = held(&dir);
    logged_once(&bureau.station, &h.acknowledged, &mut BTreeSet::new());
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
    let mut rng = seed(0x5eed_0a11_0004);
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
    // Round 0 measures how long an add takes and when it starts writing the file.
    let (mut span, mut writing_from) = (Duration::ZERO, Duration::ZERO);
    let mut items: BTreeSet<String> = BTreeSet::new();
    let mut mid_write = 0;
    for round in 0..=KILLS {
        let start = Instant::now();
        let mut child = add();
        // Odd rounds wait until the file is being written, then kill within the writing.
        let while_writing = round % 2 == 1;
        let mut kill_at = None;
        if round == 0 || while_writing {
            while partial_files(&dir) == 0
                && child.ended().is_none()
                && start.elapsed() < Duration::from_secs(60)
            {
                std::thread::sleep(Duration::from_micros(200));
            }
            if round == 0 {
                writing_from = start.elapsed();
            }
        }
        if round > 0 {
            let at = if while_writing {
                start.elapsed() + moment(&mut rng, span.saturating_sub(writing_from))
            } else {
                moment(&mut rng, span)
            };
            kill_at = Some(at);
            sleep_until(start + at);
        }
        let status = match kill_at {
            Some(_) => child.kill().unwrap(),
            None => {
                let status = child.wait(Duration::from_secs(60)).unwrap();
                span = start.elapsed();
                status
            }
        };
        let left = partial_files(&dir);
        mid_write += usize::from(left > 0);
        println!(
            "round {round}: evidence add killed at {kill_at:?}: {status}, {left} temporary files"
        );
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
