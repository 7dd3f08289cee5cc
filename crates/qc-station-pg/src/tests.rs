//! Tests against a real throwaway PostgreSQL (qc-test-services), one database per store.

use std::sync::Barrier;
use std::time::Instant;

use qc_station_storage::TreeState;
use qc_station_storage::suite::{self, entry};
use qc_test_services::{Postgres, Seaweed};
use sha2::{Digest as _, Sha256};

use super::*;

/// A pool big enough for a sequencer, a reader and a waiting second sequencer.
const TEST_POOL: u32 = 4;

fn new_database() -> String {
    Postgres::shared().new_database().unwrap()
}

fn store(url: &str) -> PgStorage {
    PgStorage::with_temporary_blobs(url, TEST_POOL).unwrap()
}

/// The tiles a store holds, read as the service reads them.
struct StoreTiles<'a>(&'a PgStorage);

impl qc_tlog::TileSource for StoreTiles<'_> {
    type Error = StorageError;
    fn tile(&self, id: TileId) -> Result<Option<Vec<u8>>, StorageError> {
        self.0.tile(id)
    }
}

#[test]
fn the_postgresql_backend_passes_the_storage_suite() {
    let started = Instant::now();
    suite::run(|| store(&new_database()));
    eprintln!("storage suite on PostgreSQL: {:?}", started.elapsed());
}

#[test]
fn the_postgresql_backend_passes_the_desk_suite() {
    qc_station_storage::desk::suite::run(&store(&new_database()));
}

#[test]
fn the_postgresql_backend_passes_the_case_rows_suite() {
    qc_station_storage::rows::suite::run(&store(&new_database()));
}

/// Evidence in a new bucket of `s3`.
fn in_s3(s3: &Seaweed) -> ObjectEvidence {
    ObjectEvidence::s3(
        &S3Config {
            endpoint: s3.endpoint(),
            bucket: s3.new_bucket().unwrap(),
            region: s3.region().to_string(),
            access_key: s3.access_key().to_string(),
            secret_key: s3.secret_key().to_string(),
            allow_http: true,
            retry_timeout: None,
        },
        [5; 32],
    )
    .unwrap()
}

/// The same suite with evidence bytes in a real S3 server (SeaweedFS, signed requests): what a
/// city's endpoint runs, every process sharing the bucket.
#[test]
fn the_postgresql_backend_with_evidence_in_s3_passes_the_storage_suite() {
    let s3 = Seaweed::start_with_credentials().unwrap();
    suite::run(|| PgStorage::open_with(&new_database(), TEST_POOL, Box::new(in_s3(&s3))).unwrap());
}

#[test]
fn bytes_arriving_in_s3_after_their_deletion_go() {
    let s3 = Seaweed::start_with_credentials().unwrap();
    suite::bytes_arriving_after_their_deletion_go(
        |evidence| PgStorage::open_with(&new_database(), TEST_POOL, evidence).unwrap(),
        Box::new(in_s3(&s3)),
    );
}

/// Two station processes (two stores, two pools) appending to one database from several
/// threads: appends take turns, every entry lands once in one order, and the stored tiles make
/// the head's root.
#[test]
fn two_processes_share_one_database() {
    const THREADS: usize = 4;
    const BATCHES: usize = 10;
    const BATCH: usize = 250;
    let url = new_database();
    let stores = [store(&url), store(&url)];
    // Signed up front: the timing below is the database's.
    let feeds: Vec<Vec<SignedEntry>> = (0..THREADS)
        .map(|t| {
            let mut prev = [0; 32];
            (1..=(BATCHES * BATCH) as u64)
                .map(|seq| {
                    let e = entry(&format!("t{t}"), seq, prev, &format!("c{}", seq % 7));
                    prev = e.hash();
                    e
                })
                .collect()
        })
        .collect();
    let started = Instant::now();
    std::thread::scope(|scope| {
        for (t, feed) in feeds.iter().enumerate() {
            let s = &stores[t % 2];
            scope.spawn(move || {
                for batch in feed.chunks(BATCH) {
                    suite::append(s, batch).unwrap();
                }
            });
        }
    });
    let elapsed = started.elapsed();
    let total = (THREADS * BATCHES * BATCH) as u64;
    eprintln!(
        "{total} entries in {} batches from two stores: {elapsed:?} ({:.0} entries/s)",
        THREADS * BATCHES,
        total as f64 / elapsed.as_secs_f64()
    );
    let head = stores[0].log_head().unwrap();
    assert_eq!(head, stores[1].log_head().unwrap(), "both see one head");
    assert_eq!(head.tree.size, total, "no append lost");
    let hashes = stores[1].entry_hashes(0, total).unwrap();
    assert_eq!(hashes.len() as u64, total);
    // Each feed in order, whole batches contiguous: appends did not interleave.
    for batch in hashes.chunks(BATCH) {
        let feed = feeds
            .iter()
            .find(|f| f.iter().any(|e| e.hash() == batch[0]))
            .unwrap();
        let at = feed.iter().position(|e| e.hash() == batch[0]).unwrap();
        let expected: Vec<Digest> = feed[at..at + BATCH].iter().map(SignedEntry::hash).collect();
        assert_eq!(batch, expected.as_slice(), "a batch is contiguous");
    }
    let mut mem = qc_tlog::MemTiles::new();
    let done = qc_tlog::integrate(&TreeState::EMPTY, &mem, &hashes).unwrap();
    mem.apply(&done);
    assert_eq!(
        done.state, head.tree,
        "the head is the tree of the log's order"
    );
    for store in &stores {
        assert_eq!(
            qc_tlog::root(total, &StoreTiles(store)).unwrap(),
            head.tree.root,
            "the stored tiles make the head's root"
        );
    }
    for (id, tile) in &mem.tiles {
        assert_eq!(
            stores[0].tile(*id).unwrap().as_ref(),
            Some(tile),
            "tile {id:?}"
        );
    }
    for t in 0..THREADS {
        let device = format!("t{t}");
        let heads = stores[1]
            .feed_heads(&BTreeSet::from([device.clone()]))
            .unwrap();
        assert_eq!(heads[&device].seq, (BATCHES * BATCH) as u64);
    }
}

/// A sequencer held by one store makes another store's sequencer wait, and the waiting one then
/// reads the first's head, and the feed heads and tiles as the first left them (not as they
/// were when it began to wait).
#[test]
fn a_sequencer_waits_for_another_stores_sequencer() {
    let url = new_database();
    let (a, b) = (store(&url), store(&url));
    let e = entry("a", 1, [0; 32], "c1");
    let feed = BTreeSet::from(["a".to_owned()]);
    // The log's head, the feed head of `a` and the first tile's length, as a sequencer of `b`
    // sees them.
    let read = |seq: &dyn Sequencer| {
        (
            seq.head().unwrap().tree.size,
            seq.feed_heads(&feed).unwrap().get("a").map(|h| h.seq),
            seq.tile(TileId { level: 0, index: 0 })
                .unwrap()
                .map(|t| t.len()),
        )
    };
    let seen = std::thread::scope(|scope| {
        let seq = a.sequence().unwrap();
        let started = Instant::now();
        let (b, feed, read) = (&b, &feed, &read);
        let waiter = scope.spawn(move || {
            let seen = read(&*b.sequence_for(feed).unwrap());
            (seen, started.elapsed())
        });
        std::thread::sleep(Duration::from_millis(300));
        let head = seq.head().unwrap();
        let done = qc_tlog::integrate(&head.tree, &SeqTiles(&*seq), &[e.hash()]).unwrap();
        seq.commit(
            std::slice::from_ref(&e),
            &done.tiles,
            &LogHead {
                tree: done.state,
                ..LogHead::EMPTY
            },
        )
        .unwrap();
        waiter.join().unwrap()
    });
    assert_eq!(
        seen.0,
        (1, Some(1), Some(32)),
        "the waiting sequencer read the committed head, feed head and tile"
    );
    assert!(
        seen.1 >= Duration::from_millis(300),
        "it waited: {:?}",
        seen.1
    );
    assert_eq!(
        read(&*b.sequence_for(&feed).unwrap()),
        (1, Some(1), Some(32)),
        "and so does one that did not wait"
    );
}

/// Tiles read through a sequencer.
struct SeqTiles<'a>(&'a dyn Sequencer);

impl qc_tlog::TileSource for SeqTiles<'_> {
    type Error = StorageError;
    fn tile(&self, id: TileId) -> Result<Option<Vec<u8>>, StorageError> {
        self.0.tile(id)
    }
}

#[test]
fn a_code_is_taken_once_by_two_stores_at_once() {
    const CODES: u8 = 40;
    let url = new_database();
    let stores = [store(&url), store(&url)];
    let grant = Grant::Device {
        squad: "一中队".into(),
    };
    for code in 0..CODES {
        stores[0]
            .add_enrolment_code(&[code; 32], &grant, Timestamp(100))
            .unwrap();
    }
    let barrier = Barrier::new(2);
    let taken: Vec<Vec<bool>> = std::thread::scope(|scope| {
        let threads: Vec<_> = stores
            .iter()
            .map(|s| {
                let barrier = &barrier;
                scope.spawn(move || {
                    (0..CODES)
                        .map(|code| {
                            barrier.wait();
                            s.take_enrolment_code(&[code; 32], Timestamp(50), &|_| true)
                                .unwrap()
                                .is_some()
                        })
                        .collect()
                })
            })
            .collect();
        threads.into_iter().map(|t| t.join().unwrap()).collect()
    });
    assert_eq!(taken[0].len(), usize::from(CODES));
    for (code, (a, b)) in taken[0].iter().zip(&taken[1]).enumerate() {
        assert!(a ^ b, "code {code} taken by exactly one store: {a} {b}");
    }
}

#[test]
fn a_nonce_is_new_once_for_two_stores_at_once() {
    const NONCES: u8 = 40;
    let url = new_database();
    let stores = [store(&url), store(&url)];
    let barrier = Barrier::new(2);
    let new: Vec<Vec<bool>> = std::thread::scope(|scope| {
        let threads: Vec<_> = stores
            .iter()
            .map(|s| {
                let barrier = &barrier;
                scope.spawn(move || {
                    (0..NONCES)
                        .map(|n| {
                            barrier.wait();
                            s.use_nonce("t1", &[n; 16], Timestamp(100), Timestamp(0))
                                .unwrap()
                        })
                        .collect()
                })
            })
            .collect();
        threads.into_iter().map(|t| t.join().unwrap()).collect()
    });
    assert_eq!(new[0].len(), usize::from(NONCES));
    for (n, (a, b)) in new[0].iter().zip(&new[1]).enumerate() {
        assert!(a ^ b, "nonce {n} new for exactly one store: {a} {b}");
    }
}

#[test]
fn migrations_run_once_and_a_newer_schema_is_refused() {
    let url = new_database();
    // Three station processes starting at once on a new database.
    let stores: Vec<PgStorage> = std::thread::scope(|scope| {
        let threads: Vec<_> = (0..3).map(|_| scope.spawn(|| store(&url))).collect();
        threads.into_iter().map(|t| t.join().unwrap()).collect()
    });
    let one = |sql: &str| -> i64 {
        let row = stores[0]
            .conn()
            .unwrap()
            .query_opt(sql, &[])
            .unwrap()
            .unwrap();
        row.get(0)
    };
    assert_eq!(
        one("SELECT version::BIGINT FROM schema_version"),
        MIGRATIONS_KNOWN
    );
    assert_eq!(one("SELECT count(*) FROM schema_version"), 1);
    assert_eq!(
        one("SELECT count(*) FROM log_head"),
        1,
        "the head row made once"
    );
    assert_eq!(stores[1].log_head().unwrap(), LogHead::EMPTY);
    stores[0]
        .add_device(
            "t1",
            &SignedCertificate {
                bytes: vec![1],
                signature: vec![2],
            },
        )
        .unwrap();
    drop(stores);
    // Reopened at the current schema: nothing migrated again, nothing lost.
    let s = store(&url);
    assert!(s.device("t1").unwrap().is_some());
    s.conn()
        .unwrap()
        .batch_execute("UPDATE schema_version SET version = version + 1")
        .unwrap();
    match PgStorage::with_temporary_blobs(&url, TEST_POOL) {
        Err(StorageError::Damaged(why)) => assert!(why.contains("newer"), "{why}"),
        Err(e) => panic!("wrong error: {e}"),
        Ok(_) => panic!("a newer schema was opened"),
    }
}

const MIGRATIONS_KNOWN: i64 = schema::MIGRATIONS.len() as i64;

/// Released migrations are frozen: a database migrated by one version must read the same
/// under every later one. Add a migration; never edit one.
#[test]
fn released_migrations_never_change() {
    let hashes: Vec<String> = schema::MIGRATIONS
        .iter()
        .map(|m| hex::encode(Sha256::digest(m.as_bytes())))
        .collect();
    assert_eq!(
        hashes,
        [
            "655228394491fd771eb637f3bee41f639aee18d024136d63005ecf868ffcea37",
            "194a6eb948b58152e4756a8d6188fd4833cd6d93f056453509db67c397bd2815",
            "51f869f1978ea920a1ce53a5d43c750215775051a21aa8b8634973938e766fe8",
            "b86188483ab270106665093d4f25a248bb1ebd478d048dc42582baa18bf91076",
            "d6e1c60f5c98f4f3f7eb0772ed8f04ee6002650200b7cad0d9b936e21539dd81",
            "0ed4094d08153c4aedc14642d61b9be2ce2c811f185bd496274b9a0c7fd7ce76",
            "d31738d6df03419abfc9115bbcc1c44c6d279a53405c86cc6ea4d2f2b965cc2c",
            "50366e40f00b2e09c45324042e509d10c9da9ce804dea0abeaca48a59e52b038",
            "697447cbc40590d345794594eb979786068a55e26b02c9dd1fe19cdb034b1441",
            "ea2cd1325fc84b84f8d4aed19a3547b2b50e20bd17b5d5e22b01d947819bfaa1",
            "9c28781a5fda58feba88d6278569f29bc1225e9164e5a99c8e2edbee1f7fddb1",
            "299a731b135cf56a5d64f7cd7e366a80cdeb3ccf4d5b44c405bf9cfcd114ec37",
            "c6b1e0b14ea8b21ad1beff0f63131a7b384d15a33f4d8511ad2be27d9cad40d6",
            "9e00c25d5e5c89c590d9a1b29a38ec29f33636db988ba5b4c595b7fedfbbca99",
            "f3fe43256a0fc6a46284de65e9f92ffa0ba493c2f2a6aa31f3da57d0911564c7",
            "2bd37bb14be5ec4c9024ddec79ee80a6de4ec0ed4a055abb163262cc16391f59",
            "ac942b6ac583e0767db1e23dfd30b0972365d983075466ead52846b624133c37",
            "a180dba8b61e6d65cc8bdfc7f792dedce359884f95c105fc23732d6a87ba651e",
        ]
    );
}

/// A database kept before deadline rows carried their case's squad and status: opening it
/// moves them, and its people, into the rows the dashboard reads, which count as before.
#[test]
fn an_older_database_s_deadlines_count_as_before_once_migrated() {
    let url = new_database();
    {
        let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
        // The migrations before the one that shaped the rows for the dashboard.
        let before = 10;
        for m in &schema::MIGRATIONS[..before] {
            c.batch_execute(m).unwrap();
        }
        c.batch_execute(&format!(
            "CREATE TABLE schema_version (one INT PRIMARY KEY CHECK (one = 1), version INT NOT NULL);
             INSERT INTO schema_version VALUES (1, {before});"
        ))
        .unwrap();
        c.batch_execute(qc_station_storage::rows::suite::ROWS_BEFORE_DUTIES)
            .unwrap();
    }
    qc_station_storage::rows::suite::rows_before_duties_count_as_before(&store(&url));
}

/// A sync's read of the cases its device sees and an enrolment's count of wrong codes can be
/// served by indexes: with sequential scans priced out, the plans name them (on an empty table
/// the planner would rightly scan).
#[test]
fn cases_seen_and_wrong_codes_are_read_by_index() {
    let s = store(&new_database());
    let mut c = s.conn().unwrap();
    c.batch_execute("SET enable_seqscan = off").unwrap();
    let mut plan = |sql: &str, args: &[&(dyn ToSql + Sync)]| -> String {
        plan_of(&mut c, &format!("EXPLAIN {sql}"), args)
    };
    let squads = vec!["一中队"];
    let statuses: Vec<&str> = qc_domain::CaseStatus::all_sent_for_review()
        .map(qc_domain::CaseStatus::code)
        .collect();
    let seen = plan(METAS_SEEN, &[&squads, &statuses]);
    assert!(
        seen.contains("case_docs_squad") && seen.contains("case_docs_status"),
        "{seen}"
    );
    let none: Vec<&str> = Vec::new();
    let seen = plan(METAS_SEEN, &[&squads, &none]);
    assert!(seen.contains("case_docs_squad"), "{seen}");
    let from_source = plan(FAILURES_FROM_SOURCE, &[&0i64, &10i64, &"10.0.0.1"]);
    assert!(
        from_source.contains("code_failures_source"),
        "{from_source}"
    );
    let in_all = plan(FAILURES_IN_ALL, &[&0i64, &100i64]);
    assert!(in_all.contains("code_failures_time"), "{in_all}");
    let draws = plan(CASE_IDS_IN, &[&"draw-", &"draw."]);
    assert!(draws.contains("log_case_bytes"), "{draws}");
}

/// A device's sync runs on a connection that plans each statement once; any other call on one
/// planned as configured, whichever way the pooled connection it gets was used before.
#[test]
fn a_sync_s_statements_are_planned_once_and_the_others_as_configured() {
    // One connection, so each call below gets the one the call before it used.
    let s = PgStorage::with_temporary_blobs(&new_database(), 1).unwrap();
    let mode = |c: &mut Conn| -> String { c.query("SHOW plan_cache_mode", &[]).unwrap()[0].get(0) };
    assert_eq!(mode(&mut s.conn().unwrap()), "auto");
    assert_eq!(mode(&mut s.sync_conn().unwrap()), "force_generic_plan");
    assert_eq!(mode(&mut s.sync_conn().unwrap()), "force_generic_plan");
    assert_eq!(mode(&mut s.conn().unwrap()), "auto");
    // The store's own calls take theirs as their kind says.
    s.device_standing("tablet-1").unwrap();
    assert_eq!(mode(&mut s.pool.get().unwrap()), "force_generic_plan");
    s.devices().unwrap();
    assert_eq!(mode(&mut s.pool.get().unwrap()), "auto");
    // A nonce taken alone is planned once; the sweep of stale ones after it (the first call
    // sweeps) as configured, for its bound.
    let t = |ms| qc_domain::Timestamp(ms);
    assert!(s.use_nonce("tablet-1", &[1; 16], t(100_000), t(0)).unwrap());
    assert_eq!(mode(&mut s.pool.get().unwrap()), "auto");
    assert!(s.use_nonce("tablet-1", &[2; 16], t(100_001), t(1)).unwrap());
    assert_eq!(mode(&mut s.pool.get().unwrap()), "force_generic_plan");
}

/// The plan a connection keeps for the ids by prefix (its bounds unseen) reads a range of
/// their index, on a log of some size with statistics, not the whole log.
#[test]
fn ids_by_prefix_keep_a_plan_that_reads_a_range_of_their_index() {
    let s = store(&new_database());
    let mut c = s.conn().unwrap();
    fill_log(&mut c, 0, 19_999);
    c.batch_execute("ANALYZE log; SET plan_cache_mode = force_generic_plan")
        .unwrap();
    let plan = plan_of(&mut c, &format!("EXPLAIN {CASE_IDS_IN}"), &[&"c31", &"c32"]);
    assert!(!plan.contains("Seq Scan"), "{plan}");
    assert!(plan.contains("log_case_bytes"), "{plan}");
    let ids = s.case_ids_with_prefix("c31").unwrap();
    let names: Vec<&str> = ids.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(
        names,
        [
            "c31", "c310", "c311", "c312", "c313", "c314", "c315", "c316", "c317", "c318", "c319"
        ]
    );
    // Each with its last entry: entry i is about case i % 500.
    assert_eq!(ids[0].1, 19_531);
}

/// The cases' feeds are read by index on a log that has grown since its table was last
/// analysed (a new station's first hour): the plan the planner makes without statistics must
/// not scan the log at every sync.
#[test]
fn a_case_s_feeds_are_read_by_index_before_the_log_is_analysed() {
    let s = store(&new_database());
    let mut c = s.conn().unwrap();
    fill_log(&mut c, 0, 19_999);
    let plan = plan_of(
        &mut c,
        &format!("EXPLAIN {FEEDS_FOR_CASES}"),
        &[
            &vec!["c7", "c8", "c310", "c499"],
            &vec!["d7", "d10"],
            &vec![100i64, 300],
            &vec!["c310"],
        ],
    );
    assert!(!plan.contains("Seq Scan"), "{plan}");
    assert!(plan.contains("log_device_seq_key"), "{plan}");
}

/// Fills the log with entries `from ..= to` (made up, in 50 feeds about 500 cases), by SQL.
fn fill_log(c: &mut client::Client, from: i64, to: i64) {
    c.batch_execute(&format!(
        "INSERT INTO log (idx, hash, device, seq, case_id, entry, body, device_sig, actor_sigs)
         SELECT i, sha256(int8send(i)), 'd' || (i % 50), i / 50 + 1, 'c' || (i % 500),
                '\\x00', NULL, '\\x00', '\\x5b5d'
         FROM generate_series({from}, {to}) AS i"
    ))
    .unwrap()
}

/// The plan an `EXPLAIN …` statement prints.
fn plan_of(c: &mut client::Client, explain: &str, params: &[&(dyn ToSql + Sync)]) -> String {
    let lines: Vec<String> = c
        .query(explain, params)
        .unwrap()
        .iter()
        .map(|r| r.get::<_, String>(0))
        .collect();
    lines.join("\n")
}

/// Entries are found by the unique index on their hashes with a plan made while the log was
/// new and small and kept (as a pooled connection keeps its prepared statements): not by a
/// scan of the whole log per upload once it has grown.
#[test]
fn entries_are_found_by_index_with_a_plan_made_on_a_new_log() {
    let s = store(&new_database());
    let mut c = s.conn().unwrap();
    // Planned once on the log of a first few uploads, then the log grows.
    fill_log(&mut c, 0, 299);
    c.batch_execute(&format!(
        "SET plan_cache_mode = force_generic_plan;
         PREPARE found(BYTEA[]) AS {ENTRY_INDEXES};
         EXECUTE found('{{}}')"
    ))
    .unwrap();
    fill_log(&mut c, 300, 19_999);
    let plan = plan_of(
        &mut c,
        "EXPLAIN EXECUTE found(ARRAY[sha256(int8send(7::BIGINT))])",
        &[],
    );
    assert!(!plan.contains("Seq Scan on log"), "{plan}");
    assert!(plan.contains("log_hash_key"), "{plan}");
    let asked = [
        Sha256::digest(7u64.to_be_bytes()).into(),
        [9; 32],
        Sha256::digest(3u64.to_be_bytes()).into(),
    ];
    assert_eq!(s.entry_indexes(&asked).unwrap(), [Some(7), None, Some(3)]);
}

/// A station's connections do not JIT-compile statements (the cluster's default does), also
/// when the URL sets options of its own.
#[test]
fn a_stations_connections_compile_no_statement() {
    let url = new_database();
    let jit = |url: &str| {
        let s = store(url);
        let mut c = s.conn().unwrap();
        let rows = c.query(
            "SELECT current_setting('jit'), current_setting('work_mem')",
            &[],
        );
        let row = &rows.unwrap()[0];
        (row.get::<_, String>(0), row.get::<_, String>(1))
    };
    assert_eq!(jit(&url).0, "off");
    let with_options = format!("{url}?options=-c%20work_mem%3D7MB");
    assert_eq!(jit(&with_options), ("off".to_owned(), "7MB".to_owned()));
}

/// A connection prepares a statement once and reuses it, also after the transaction it was
/// first prepared in was rolled back.
#[test]
fn a_pooled_connection_prepares_each_statement_once() {
    let s = store(&new_database());
    let mut c = s.conn().unwrap();
    const ASKED: &str = "SELECT count(*) FROM devices WHERE id = $1";
    c.batch_execute("BEGIN").unwrap();
    c.query(ASKED, &[&"t1"]).unwrap();
    c.batch_execute("ROLLBACK").unwrap();
    for _ in 0..3 {
        c.query(ASKED, &[&"t1"]).unwrap();
    }
    let kept = c
        .query(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement = $1",
            &[&ASKED],
        )
        .unwrap()[0]
        .get::<_, i64>(0);
    assert_eq!(kept, 1, "prepared once, on this connection");
}

#[test]
fn a_wrong_address_fails_at_once() {
    let port = std::net::TcpListener::bind(("127.0.0.1", 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let evidence = LocalEvidence::open(dir.path(), [0; 32]).unwrap();
    let started = Instant::now();
    let opened = PgStorage::open(
        &format!("postgres://postgres:secret@127.0.0.1:{port}/none"),
        Box::new(evidence),
    );
    match opened {
        Err(StorageError::Backend(why)) => assert!(!why.contains("secret"), "{why}"),
        Err(e) => panic!("wrong error: {e}"),
        Ok(_) => panic!("opened a database that is not there"),
    }
    assert!(started.elapsed() < Duration::from_secs(10));
}

/// The statements of a sync whose parameters are arrays, each with its parameters' types and
/// a call's parameters, in SQL (what a reviewer's device and an officer's are sent).
fn sync_statements() -> [(&'static str, &'static str, &'static str); 5] {
    const PULLED: &str = "TEXT[], BYTEA[], TEXT[], BIGINT[], BOOLEAN, TEXT[], BIGINT[], TEXT[],
                          BOOLEAN, TEXT, BYTEA, BIGINT, BIGINT, BIGINT";
    [
        (
            log::UPLOAD_READ.as_str(),
            "TEXT[], BYTEA[], TEXT[], TEXT, BYTEA, BIGINT, BIGINT, BIGINT",
            "ARRAY['d7'], ARRAY[sha256(int8send(7::BIGINT))], ARRAY['c7'],
             'd7', uuid_send(gen_random_uuid()), 100, 0, 100",
        ),
        (
            PULL_SEEN.as_str(),
            PULLED,
            "ARRAY['c7'], ARRAY['\\x00'::BYTEA], ARRAY['c8'], ARRAY[1]::BIGINT[], TRUE,
             ARRAY['d7', 'd8'], ARRAY[10, 20]::BIGINT[], ARRAY['s7'], TRUE, 'd7',
             uuid_send(gen_random_uuid()), 100, 0, 100",
        ),
        (
            PULL_SEEN.as_str(),
            PULLED,
            "ARRAY['c7'], ARRAY['\\x00'::BYTEA], ARRAY['c8'], ARRAY[1]::BIGINT[], FALSE,
             ARRAY[]::TEXT[], ARRAY[]::BIGINT[], ARRAY['s7'], FALSE, 'd7',
             uuid_send(gen_random_uuid()), 100, 0, NULL",
        ),
        (
            PULL_SEEN_TAKEN.as_str(),
            "TEXT[], BYTEA[], TEXT[], BIGINT[], BOOLEAN, TEXT[], BIGINT[], TEXT[], BOOLEAN",
            "ARRAY['c7'], ARRAY['\\x00'::BYTEA], ARRAY['c8'], ARRAY[1]::BIGINT[], TRUE,
             ARRAY['d7'], ARRAY[10]::BIGINT[], ARRAY['s7'], TRUE",
        ),
        (log::LOCK_HEAD, "TEXT[]", "ARRAY['d7', 'd8']"),
    ]
}

/// Prepares [`sync_statements`] as `q0`, `q1`… on this connection and runs each `times`.
fn prepare_sync_statements(c: &mut client::Client, times: usize) {
    for (n, (sql, types, args)) in sync_statements().iter().enumerate() {
        c.batch_execute(&format!("PREPARE q{n}({types}) AS {sql}"))
            .unwrap();
        for _ in 0..times {
            c.batch_execute(&format!("EXECUTE q{n}({args})")).unwrap();
        }
    }
}

/// Cases `from..=to` (squads of ten), each with a device and a person's certificate on it.
fn fill_cases(c: &mut client::Client, from: i64, to: i64) {
    c.batch_execute(&format!(
        "INSERT INTO case_docs (case_id, squad, status, heads, doc)
         SELECT 'c' || i, 's' || (i / 10), CASE WHEN i % 20 = 0 THEN 'legal_reviewed'
                ELSE 'investigating' END, '\\x00', '\\x00'
         FROM generate_series({from}, {to}) AS i;
         INSERT INTO devices (id, cert, signature)
         SELECT 'd' || i, '\\x00', '\\x00' FROM generate_series({from}, {to}) AS i;
         INSERT INTO officer_certs (device, cert, signature)
         SELECT 'd' || i, '\\x00', '\\x00' FROM generate_series({from}, {to}) AS i"
    ))
    .unwrap()
}

/// A sync's statements with array parameters are planned once per connection (after the
/// five custom plans PostgreSQL makes first), not at every call: planning them anew was a
/// third of the database's time under load, twice their execution.
#[test]
fn a_syncs_statements_keep_one_plan_per_connection() {
    let s = store(&new_database());
    let mut c = s.conn().unwrap();
    fill_log(&mut c, 0, 999);
    fill_cases(&mut c, 0, 4_999);
    c.batch_execute("ANALYZE").unwrap();
    prepare_sync_statements(&mut c, 12);
    for (n, (sql, _, _)) in sync_statements().iter().enumerate() {
        let rows = c
            .query(
                "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE name = $1",
                &[&format!("q{n}")],
            )
            .unwrap();
        let (generic, custom): (i64, i64) = (rows[0].get(0), rows[0].get(1));
        assert!(
            generic >= 7 && custom <= 5,
            "{generic} generic and {custom} custom plans of {sql}"
        );
    }
}

/// The plans a sync's statements keep, made on tables of a first few cases (analysed then
/// when `analysed`), as they read once the tables have grown (analysed again when
/// `analysed`): `EXPLAIN` of each.
fn plans_kept_from_small_tables(analysed: bool) -> Vec<(&'static str, String)> {
    let s = store(&new_database());
    let mut c = s.conn().unwrap();
    let analyse = |c: &mut client::Client| {
        if analysed {
            c.batch_execute("ANALYZE").unwrap();
        }
    };
    fill_log(&mut c, 0, 49);
    fill_cases(&mut c, 0, 9);
    analyse(&mut c);
    c.batch_execute("SET plan_cache_mode = force_generic_plan")
        .unwrap();
    prepare_sync_statements(&mut c, 1);
    fill_log(&mut c, 50, 19_999);
    fill_cases(&mut c, 10, 9_999);
    analyse(&mut c);
    sync_statements()
        .into_iter()
        .enumerate()
        .map(|(n, (sql, _, args))| {
            (
                sql,
                plan_of(&mut c, &format!("EXPLAIN EXECUTE q{n}({args})"), &[]),
            )
        })
        .collect()
}

/// Each plan reads the log, the cases, the devices and their people by index.
fn assert_by_index(plans: &[(&str, String)]) {
    for (sql, plan) in plans {
        for table in ["log", "case_docs", "devices", "officer_certs"] {
            assert!(
                !plan.contains(&format!("Seq Scan on {table} ")),
                "{sql}\n{plan}"
            );
        }
    }
}

/// The plan a sync's statement keeps reads by index once the tables have grown, also when it
/// was made while they were new and small (as a station's first syncs make them).
#[test]
fn a_syncs_statements_read_by_index_with_plans_made_on_new_tables() {
    assert_by_index(&plans_kept_from_small_tables(false));
}

/// A plan made while the tables were small and analysed so (a scan of each then cost least)
/// is not kept once they have grown: analysing them again (autovacuum does, as a table
/// grows by a tenth) makes it anew.
#[test]
fn a_plan_made_on_small_analysed_tables_is_made_again_when_they_are_analysed() {
    assert_by_index(&plans_kept_from_small_tables(true));
}

/// Taking a nonce does not wait for the disk at its commit (it writes nothing acknowledged);
/// what goes down with the nonce taken before writes nothing and leaves the commit as
/// configured.
#[test]
fn a_nonce_is_committed_without_waiting_for_the_disk() {
    let s = store(&new_database());
    let mut c = s.conn().unwrap();
    let synchronous = |c: &mut client::Client| -> String {
        c.query("SHOW synchronous_commit", &[]).unwrap()[0].get(0)
    };
    let nonce = NonceUse {
        device: "d1",
        nonce: &[7; 16],
        time: Timestamp(100),
        forget_before: Timestamp(0),
        seen: Some(Timestamp(100)),
    };
    let (device, key, time, forget, seen) = log::nonce_params(Some(&nonce));
    let taken = c.in_transaction(|c| {
        let taken = c.query(&USE_NONCE, &[&device, &key, &time, &forget, &seen])?;
        Ok((taken.len(), synchronous(c)))
    });
    assert_eq!(taken.unwrap(), (1, "off".to_owned()));
    assert_eq!(synchronous(&mut c), "on", "for its transaction only");
    let none: [&(dyn ToSql + Sync); 9] = [
        &Vec::<&str>::new(),
        &Vec::<Vec<u8>>::new(),
        &Vec::<&str>::new(),
        &Vec::<i64>::new(),
        &false,
        &Vec::<&str>::new(),
        &Vec::<i64>::new(),
        &vec!["s1"],
        &false,
    ];
    let pulled = c.in_transaction(|c| {
        let rows = c.query(&PULL_SEEN_TAKEN, &none)?;
        Ok((rows.len(), synchronous(c)))
    });
    assert_eq!(pulled.unwrap(), (1, "on".to_owned()), "the log's head only");
}
