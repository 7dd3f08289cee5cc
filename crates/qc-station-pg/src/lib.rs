//! The base station's PostgreSQL backend, for a city's central endpoint: several station
//! processes share one database, and the log, codes, nonces and documents stay consistent
//! between them. Evidence bytes go to an [`Evidence`] store (S3-compatible object storage that
//! every process shares, or a local directory), with only their state (`blobs`, `blob_cases`)
//! in the database (`blobs.rs`).
//!
//! Choices, and why:
//! - **The synchronous `postgres` client with an `r2d2` pool.** The station's service is
//!   synchronous (signature checks, Automerge merges) and runs on blocking threads, like the
//!   [`Storage`] trait; the blocking client (rust-postgres over tokio-postgres) fits it without
//!   an async runtime at every call site. Each call takes a pooled connection for its
//!   statements only, so requests run at once.
//! - **No TLS to the database** (`NoTls`) for now: it is reached over loopback or a private
//!   network.
//! - **Sequencing by a row lock.** A sequencer begins a transaction and locks the one row of
//!   `log_head` (`SELECT … FOR UPDATE`). Every append of every process on the database takes
//!   that lock, so appends are ordered across processes, and a waiting sequencer reads the head
//!   its predecessor committed (READ COMMITTED re-reads the locked row). Entries, tiles and head
//!   are written in that transaction, the entries as one `INSERT … SELECT FROM UNNEST(arrays)`
//!   per commit; a repeated entry fails the statement and the whole append rolls back. Within a
//!   process, sequencers first take turns on a mutex, so at most one pooled connection waits on
//!   the row lock; a holder idle in its transaction for a minute is cut off by the server.
//! - **Once-only acts in single statements.** A code is taken by `UPDATE … WHERE NOT used` and a
//!   nonce recorded by `INSERT … ON CONFLICT DO NOTHING`: of two processes doing it at once,
//!   exactly one sees a row changed.
//! - **Migrations** are an append-only list, each applied in its own transaction under
//!   `pg_advisory_xact_lock`, numbered in `schema_version`: two processes starting on a new
//!   database do not both migrate it, and a schema newer than the code is refused.
//! - **Text keys are `COLLATE "C"`**, so lists come back in bytewise order, as from SQLite,
//!   whatever locale the database was made with.

/// The text of [`APPEND_ENTRIES`] (a macro, so the append's statement can begin with it).
macro_rules! append_entries_sql {
    () => {
        "INSERT INTO log (idx, hash, device, seq, case_id, entry, body, device_sig, actor_sigs)
         SELECT * FROM UNNEST($1::BIGINT[], $2::BYTEA[], $3::TEXT[], $4::BIGINT[], $5::TEXT[],
                              $6::BYTEA[], $7::BYTEA[], $8::BYTEA[], $9::BYTEA[])"
    };
}

mod blobs;
mod client;
mod desk;
mod log;
mod rows;
mod schema;

pub use qc_station_evidence::{Evidence, LocalEvidence, ObjectEvidence, S3Config};

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::net::IpAddr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{LazyLock, Mutex};
use std::time::Duration;

use postgres::types::{FromSql, ToSql};
use postgres::{NoTls, Row};
use qc_chain::{Digest, FeedHead, SignedEntry};
use qc_domain::{CaseStatus, CaseView, Timestamp};
use qc_identity::{SignedCertificate, SignedFileRelease, SignedRevocationList};
/// For the modules: a stored hash (see [`stored_digest`]).
use qc_station_storage::stored_digest as digest;
use qc_station_storage::{
    BlobState, Blobs, BureauFileRow, CaseMeta, DeviceBureau, DeviceStanding, FeedsDown, FeedsHeld,
    Grant, Held, KeptDoc, LogHead, Logged, NonceUse, PendingBlob, Pull, SeenBehind, SeenCase,
    Sequencer, Storage, StorageError, StoredSigned, TileId, TreeState, stored_digest,
};
use r2d2_postgres::PostgresConnectionManager;

/// Connections a store keeps at most by default: enough for a station's request threads and
/// one waiting sequencer.
pub const DEFAULT_POOL_SIZE: u32 = 16;

/// The one statement that appends a batch of entries to the log, each column an array
/// (`idx`, `hash`, `device`, `seq`, `case_id`, `entry`, `body`, `device_sig`, `actor_sigs`);
/// public so the benchmark's raw baseline runs exactly it.
pub const APPEND_ENTRIES: &str = append_entries_sql!();

/// How long a call waits for a free pooled connection before failing.
const POOL_WAIT: Duration = Duration::from_secs(30);
/// How often a process sweeps stale nonces (by the requests' clock), in milliseconds.
const NONCE_SWEEP_MS: i64 = 60_000;

use client::{Manager, Planning};
/// A connection taken from the pool.
type Conn = r2d2::PooledConnection<Manager>;

/// A backend error saying what was being done, with the server's message when it sent one.
fn pg(what: &'static str) -> impl FnOnce(postgres::Error) -> StorageError {
    move |e| {
        let why = match e.as_db_error() {
            Some(db) => match db.detail() {
                Some(detail) => format!("{} ({detail})", db.message()),
                None => db.message().to_owned(),
            },
            None => e.to_string(),
        };
        StorageError::Backend(format!("{what}: {why}"))
    }
}

/// A column of a row; a type that does not match the schema is damage, not a panic.
fn col<'a, T: FromSql<'a>>(row: &'a Row, i: usize) -> Result<T, StorageError> {
    row.try_get(i)
        .map_err(|e| StorageError::Damaged(format!("column {i}: {e}")))
}

/// The entry of a row whose first four columns are its bytes, body, device signature and
/// actors' signatures.
fn entry_of(r: &Row) -> Result<SignedEntry, StorageError> {
    entry_at(r, 0)
}

/// An entry from the four columns of a row from `at` on (bytes, body, device and actors'
/// signatures).
fn entry_at(r: &Row, at: usize) -> Result<SignedEntry, StorageError> {
    Ok(SignedEntry {
        bytes: col(r, at)?,
        body: col(r, at + 1)?,
        device_sig: col(r, at + 2)?,
        actor_sigs: qc_station_storage::actor_sigs_read(col(r, at + 3)?)?,
    })
}

/// A count or index as PostgreSQL's BIGINT.
fn int(n: u64) -> Result<i64, StorageError> {
    i64::try_from(n).map_err(|_| StorageError::Backend(format!("{n} is too large to store")))
}

/// The squads and statuses a view sees, as [`METAS_SEEN`] takes them.
fn view_params(view: &CaseView) -> (Vec<&str>, Vec<&'static str>) {
    let squads = view.squads.iter().map(String::as_str).collect();
    let statuses = if view.sent_for_review {
        CaseStatus::all_sent_for_review()
            .map(CaseStatus::code)
            .collect()
    } else {
        Vec::new()
    };
    (squads, statuses)
}

/// A row of [`METAS_SEEN`].
fn seen_case(r: &Row) -> Result<SeenCase, StorageError> {
    let status: String = col(r, 2)?;
    let heads: Vec<u8> = col(r, 3)?;
    Ok(SeenCase {
        case: col(r, 0)?,
        meta: CaseMeta::from_stored(col(r, 1)?, &status, &heads)?,
        desk_acts: uint(col(r, 4)?)?,
    })
}

/// [`FeedsHeld::last`] as parameters: the devices and, in the same order, their last entries
/// (past any a feed can reach when a device says more: then none of it goes down).
fn feeds_params(last: &BTreeMap<String, u64>) -> (Vec<&str>, Vec<i64>) {
    let seqs = last.values().map(|n| i64::try_from(*n).unwrap_or(i64::MAX));
    (last.keys().map(String::as_str).collect(), seqs.collect())
}

/// A stored BIGINT that must not be negative.
fn uint(n: i64) -> Result<u64, StorageError> {
    u64::try_from(n).map_err(|_| StorageError::Damaged(format!("a stored count is {n}")))
}

/// Every case, as [`Storage::case_metas_seen`] reads them.
const METAS_ALL: &str =
    "SELECT case_id, squad, status, heads, desk_acts FROM case_docs ORDER BY case_id";
/// The ids in `[$1, $2)` compared as bytes, each with its last entry's index: a range of the
/// index made for it (migration 9). The bounds are hidden from the planner, so each connection
/// keeps one plan for it. Seen, each call was planned anew (a sync reads the draws' ids when the
/// log has grown: most syncs, in a rush), with a range of a generic plan's width, or of
/// either bound's, estimated to cost more than one narrow range of the ids planned for.
const CASE_IDS_IN: &str = "SELECT case_id, MAX(idx) FROM log
    WHERE case_id COLLATE \"C\" >= (SELECT $1::TEXT) AND case_id COLLATE \"C\" < (SELECT $2::TEXT)
    GROUP BY case_id ORDER BY case_id COLLATE \"C\"";
/// [`CASE_IDS_IN`] from `$1` to the end (the empty prefix, or one no string follows), planned
/// for its bound at each call.
const CASE_IDS_FROM: &str = "SELECT case_id, MAX(idx) FROM log
    WHERE case_id COLLATE \"C\" >= $1
    GROUP BY case_id ORDER BY case_id COLLATE \"C\"";

/// The log index of each of the entries `$1`, in order (null for one not logged). One lookup
/// of the unique index per hash, whatever plan the statement got: as `hash = ANY($1)` its
/// plan, made once per connection while the log was new and small, scanned the whole log for
/// every upload ever after (5 ms each with 5,000 entries, most of the database's time in the
/// 1,000-device bench).
const ENTRY_INDEXES: &str = "SELECT (SELECT idx FROM log WHERE log.hash = h.hash)
     FROM UNNEST($1::BYTEA[]) WITH ORDINALITY AS h(hash, n) ORDER BY n";

/// The feeds that touched any of the cases `$1`, each up to its last entry about one of them,
/// on from the last entry held (devices `$2`, seqs `$3`) with the entries before about the
/// cases `$4` ([`FeedsHeld`]). Each feed is read through its (device, seq) index whatever the
/// planner knows: a join planned on a young table without statistics scanned the whole log per
/// call.
const FEEDS_FOR_CASES: &str = "SELECT l.entry, l.body, l.device_sig, l.actor_sigs, l.idx, l.hash
     FROM (SELECT g.device, g.last, coalesce(f.seq, 0) AS held
           FROM (SELECT device, max(seq) AS last FROM log WHERE case_id = ANY($1) GROUP BY device) g
           LEFT JOIN UNNEST($2::TEXT[], $3::BIGINT[]) AS f(device, seq) ON f.device = g.device) t
     CROSS JOIN LATERAL (
       SELECT entry, body, device_sig, actor_sigs, seq, idx, hash FROM log
       WHERE device = t.device AND seq > t.held AND seq <= t.last
       UNION ALL
       SELECT entry, body, device_sig, actor_sigs, seq, idx, hash FROM log
       WHERE device = t.device AND seq <= least(t.held, t.last) AND case_id = ANY($4)) l
     ORDER BY t.device, l.seq";
/// The documents of the cases `$1`.
const CASE_DOCS: &str = "SELECT case_id, squad, status, heads, doc FROM case_docs
     WHERE case_id = ANY($1) ORDER BY case_id";
/// The certificates of the devices `$1`: device by device, its people's (by their bytes), then
/// its own.
const DEVICE_CERTIFICATES: &str = "SELECT cert, signature, device, 0 FROM officer_certs
       WHERE device = ANY($1)
     UNION ALL
     SELECT cert, signature, id, 1 FROM devices WHERE id = ANY($1)
     ORDER BY 3, 4, 1";
/// Device `$1`'s certificate and the revocation list, each or both absent, and the
/// certificates of its people (as [`DEVICE_CERTIFICATES`] orders them; none when the device
/// is absent): one row always.
const DEVICE_STANDING: &str = "SELECT d.cert, d.signature, r.bytes, r.signature,
       ARRAY(SELECT o.cert FROM officer_certs o WHERE o.device = d.id ORDER BY o.cert),
       ARRAY(SELECT o.signature FROM officer_certs o WHERE o.device = d.id ORDER BY o.cert)
     FROM (SELECT 1) AS one
     LEFT JOIN devices d ON d.id = $1
     LEFT JOIN revocations r ON r.one = 1";
/// The cases of the squads `$1` and at the statuses `$2` (a bitmap OR of the two indexes).
const METAS_SEEN: &str = "SELECT case_id, squad, status, heads, desk_acts FROM case_docs
     WHERE squad = ANY($1) OR status = ANY($2) ORDER BY case_id";
/// What a sync reads to send down ([`Storage::pull_read`]), in one snapshot, in no order (put
/// in order by the caller), in five parts (the first column):
/// 3. the cases `from` (as `c`) the device sees (case, 0, desks' acts, heads, then the
///    document when its heads are not those the device holds of it (cases `$1`, heads `$2`);
///    squad and status in the last two columns);
/// 0. the feeds of the cases sent (as [`FEEDS_FOR_CASES`]: device, 0, seq, then the columns of
///    [`entry_of`], index and hash): those whose heads differ, and those the desks acted on
///    more often than the device holds (cases `$3`, counts `$4`) when it says (`$5`); each feed
///    on from the last entry the device holds of it (devices `$6`, seqs `$7`), with the entries
///    before about the cases it holds none of;
/// 1. the certificates of the devices with entries going down (device, 0 for a person's and 1
///    for the device's own, 0, certificate and signature, as [`DEVICE_CERTIFICATES`] orders
///    them);
/// 2. the log's head (size in the ninth column, root in the fifth);
/// 4. when it takes a nonce (the parameters from `$nonce_at`, [`log::nonce_ctes`]), whether it
///    was new (1 in the ninth column, or 0).
///
/// Without a nonce (taken before, by the upload's read) the statement has no part 4 and no
/// writes: its start-up is the largest part of its cost, and the insert's was a third of it.
///
/// Planned once per connection (the arrays' lengths hidden from the planner, see
/// [`log::UPLOAD_READ`]), each lookup by a key is a subquery of its own (`OFFSET 0` keeps it
/// from being joined): joined, a plan made while the tables were small scans them at every
/// call once they have grown.
fn pull_sql(from: &str, nonce_at: Option<usize>) -> String {
    let (nonce, taken) = match nonce_at {
        Some(n) => (
            format!("{},", log::nonce_ctes(n)),
            "UNION ALL
         SELECT 4, NULL, 0, 0, NULL, NULL, NULL, NULL, (SELECT count(*) FROM taken), NULL, NULL,
                NULL",
        ),
        None => (String::new(), ""),
    };
    format!(
        "WITH {nonce} s AS MATERIALIZED (
           SELECT c.case_id, c.squad, c.status, c.heads, c.desk_acts,
                  CASE WHEN c.heads IS DISTINCT FROM coalesce(h.heads, '') THEN c.doc END AS doc,
                  coalesce(h.heads, '') = '' AS fresh
           FROM {from}
           LEFT JOIN UNNEST((SELECT $1::TEXT[]), (SELECT $2::BYTEA[])) AS h(case_id, heads)
             ON h.case_id = c.case_id),
         sent AS MATERIALIZED (
           SELECT l.device, l.seq, s.fresh
           FROM s LEFT JOIN UNNEST((SELECT $3::TEXT[]), (SELECT $4::BIGINT[])) AS a(case_id, n)
             ON a.case_id = s.case_id
           CROSS JOIN LATERAL (SELECT device, seq FROM log WHERE case_id = s.case_id OFFSET 0) l
           WHERE s.doc IS NOT NULL OR ((SELECT $5::BOOLEAN) AND s.desk_acts > coalesce(a.n, 0))),
         t AS (
           SELECT g.device, g.last, coalesce(f.seq, 0) AS held,
                  g.last > coalesce(f.seq, 0) OR g.first_fresh <= coalesce(f.seq, 0) AS sends
           FROM (SELECT device, max(seq) AS last, min(seq) FILTER (WHERE fresh) AS first_fresh
                 FROM sent GROUP BY device) g
           LEFT JOIN UNNEST((SELECT $6::TEXT[]), (SELECT $7::BIGINT[])) AS f(device, seq)
             ON f.device = g.device)
         SELECT 3 AS part, s.case_id AS device, 0 AS kind, s.desk_acts AS seq, s.heads AS a,
                s.doc AS b, NULL::BYTEA AS c, NULL::BYTEA AS d, NULL::BIGINT AS idx,
                NULL::BYTEA AS hash, s.squad, s.status
           FROM s
         UNION ALL
         SELECT 0, t.device, 0, l.seq, l.entry, l.body, l.device_sig, l.actor_sigs, l.idx, l.hash,
                NULL, NULL
           FROM t CROSS JOIN LATERAL (
             SELECT entry, body, device_sig, actor_sigs, seq, idx, hash FROM log
             WHERE device = t.device AND seq > t.held AND seq <= t.last ORDER BY seq) l
         UNION ALL
         SELECT 0, t.device, 0, l.seq, l.entry, l.body, l.device_sig, l.actor_sigs, l.idx, l.hash,
                NULL, NULL
           FROM sent JOIN t ON t.device = sent.device AND sent.fresh AND sent.seq <= t.held
           CROSS JOIN LATERAL (
             SELECT entry, body, device_sig, actor_sigs, seq, idx, hash FROM log
             WHERE device = sent.device AND seq = sent.seq OFFSET 0) l
         UNION ALL
         SELECT 1, t.device, 0, 0, o.cert, o.signature, NULL, NULL, NULL, NULL, NULL, NULL
           FROM t CROSS JOIN LATERAL (
             SELECT cert, signature FROM officer_certs WHERE device = t.device OFFSET 0) o
           WHERE t.sends
         UNION ALL
         SELECT 1, t.device, 1, 0, d.cert, d.signature, NULL, NULL, NULL, NULL, NULL, NULL
           FROM t CROSS JOIN LATERAL (
             SELECT cert, signature FROM devices WHERE id = t.device OFFSET 0) d
           WHERE t.sends
         UNION ALL
         SELECT 2, NULL, 0, 0, root, NULL, NULL, NULL, size, NULL, NULL, NULL
           FROM log_head WHERE one = 1
         {taken}"
    )
}
/// The cases of the squads `$8` and, when `$9`, those of other squads at a status sent for
/// review ([`METAS_SEEN`]), as [`pull_sql`] reads them: by squad, each looked up by index, then
/// by status. The statuses are written out, so that the plan kept weighs them by how many cases
/// are at them (most, in time: every closed case was sent for review once); whether they are
/// read is hidden from the planner as the arrays are (seen false, a plan without them costs
/// less, and each call was planned anew).
fn seen_cases_sql() -> String {
    let statuses: Vec<String> = CaseStatus::all_sent_for_review()
        .map(|s| format!("'{}'", s.code()))
        .collect();
    format!(
        "(SELECT c.* FROM UNNEST((SELECT $8::TEXT[])) AS q(squad)
           CROSS JOIN LATERAL (SELECT * FROM case_docs WHERE squad = q.squad OFFSET 0) c
         UNION ALL
         SELECT * FROM case_docs
         WHERE (SELECT $9::BOOLEAN) AND status IN ({}) AND squad <> ALL((SELECT $8::TEXT[])::TEXT[])
        ) c",
        statuses.join(", ")
    )
}
/// [`pull_sql`] of the cases a device sees ([`seen_cases_sql`]), taking its nonce.
static PULL_SEEN: LazyLock<String> = LazyLock::new(|| pull_sql(&seen_cases_sql(), Some(10)));
/// [`PULL_SEEN`] with the nonce taken before.
static PULL_SEEN_TAKEN: LazyLock<String> = LazyLock::new(|| pull_sql(&seen_cases_sql(), None));
/// [`pull_sql`] of every case, taking the device's nonce.
static PULL_ALL: LazyLock<String> = LazyLock::new(|| pull_sql("case_docs c", Some(8)));
/// [`PULL_ALL`] with the nonce taken before.
static PULL_ALL_TAKEN: LazyLock<String> = LazyLock::new(|| pull_sql("case_docs c", None));
/// Takes a request's nonce, notes its device seen ([`log::nonce_ctes`]): a row when new.
static USE_NONCE: LazyLock<String> =
    LazyLock::new(|| format!("WITH {} SELECT 1 FROM taken", log::nonce_ctes(1)));
/// The latest wrong codes from source `$3` after `$1`, at most `$2`.
const FAILURES_FROM_SOURCE: &str = "SELECT time FROM code_failures WHERE source = $3 AND time > $1
     ORDER BY time DESC LIMIT $2";
/// The latest wrong codes from anywhere after `$1`, at most `$2`.
const FAILURES_IN_ALL: &str =
    "SELECT time FROM code_failures WHERE time > $1 ORDER BY time DESC LIMIT $2";

/// The base station's PostgreSQL store, with evidence files in a local directory.
pub struct PgStorage {
    pool: r2d2::Pool<Manager>,
    /// The turn of this process's sequencers (see `log::PgSequencer`).
    sequencing: Mutex<()>,
    /// The `forget_before` of this process's last sweep of stale nonces.
    nonces_swept: AtomicI64,
    blobs: Blobs,
    // Dropped last: the blob store's directory, for a store made by `with_temporary_blobs`.
    _temporary: Option<tempfile::TempDir>,
}

impl PgStorage {
    /// Connects to the database at `url` (a pool of [`DEFAULT_POOL_SIZE`]), brings its schema up
    /// to date, and keeps evidence bytes in `evidence`.
    pub fn open(url: &str, evidence: Box<dyn Evidence>) -> Result<PgStorage, StorageError> {
        PgStorage::open_with(url, DEFAULT_POOL_SIZE, evidence)
    }

    /// Like [`PgStorage::open`], with at most `pool_size` connections.
    pub fn open_with(
        url: &str,
        pool_size: u32,
        evidence: Box<dyn Evidence>,
    ) -> Result<PgStorage, StorageError> {
        if pool_size == 0 {
            return Err(StorageError::Backend("a pool needs a connection".into()));
        }
        // The URL is never quoted in errors: it may hold a password.
        let mut config: postgres::Config = url.parse().map_err(pg("reading the database URL"))?;
        if config.get_application_name().is_none() {
            config.application_name("qc-station");
        }
        // No JIT compiling: it is decided by a plan's estimated cost and done at every
        // execution, and a station's statements are short. A sync's read of a squad's 10,000
        // cases was estimated over the threshold and compiled each time: 400 ms, where
        // running it took 15.
        let options = match config.get_options() {
            Some(given) => format!("{given} -c jit=off"),
            None => "-c jit=off".to_owned(),
        };
        config.options(&options);
        // A direct connection first: a wrong address or password fails at once with the
        // server's reason, where the pool would retry until its timeout.
        let mut first = config
            .connect(NoTls)
            .map_err(pg("connecting to the database"))?;
        schema::migrate(&mut first)?;
        drop(first);
        let pool = r2d2::Pool::builder()
            // No test query before each use: it doubled the round trips of every call, and a
            // dead connection fails its statement anyway (the request is then retried).
            .test_on_check_out(false)
            .max_size(pool_size)
            // Connections open as requests need them: tests and small stations stay well
            // under the server's connection limit.
            .min_idle(Some(1))
            .connection_timeout(POOL_WAIT)
            .build(Manager(PostgresConnectionManager::new(config, NoTls)))
            .map_err(|e| StorageError::Backend(format!("opening the connection pool: {e}")))?;
        Ok(PgStorage {
            pool,
            sequencing: Mutex::new(()),
            nonces_swept: AtomicI64::new(i64::MIN),
            blobs: Blobs::new(evidence),
            _temporary: None,
        })
    }

    /// A store on the database at `url` whose evidence files go to a temporary directory,
    /// removed when the store is dropped (tests, benchmarks).
    pub fn with_temporary_blobs(url: &str, pool_size: u32) -> Result<PgStorage, StorageError> {
        let dir = tempfile::tempdir()
            .map_err(|e| StorageError::Backend(format!("making a blob directory: {e}")))?;
        let evidence = LocalEvidence::open(dir.path(), [0; 32])
            .map_err(|e| StorageError::Backend(format!("opening a blob directory: {e}")))?;
        let mut s = PgStorage::open_with(url, pool_size, Box::new(evidence))?;
        s._temporary = Some(dir);
        Ok(s)
    }

    /// A pooled connection for the statements of one call.
    fn conn(&self) -> Result<Conn, StorageError> {
        self.conn_planned(Planning::Configured)
    }

    /// [`Self::conn`] for the statements of a device's requests (its sync, its uploads) and
    /// the reads by key, each planned once ([`Planning::Once`]). A connection switched from
    /// one planning to the other costs a round trip: a device's upload took two, one per
    /// switch, while its statements ran on both kinds (stop 44).
    fn sync_conn(&self) -> Result<Conn, StorageError> {
        self.conn_planned(Planning::Once)
    }

    /// A pooled connection whose statements are planned as `planning` says.
    fn conn_planned(&self, planning: Planning) -> Result<Conn, StorageError> {
        let mut c = self
            .pool
            .get()
            .map_err(|e| StorageError::Backend(format!("no database connection: {e}")))?;
        c.plan(planning)
            .map_err(pg("choosing how statements are planned"))?;
        Ok(c)
    }

    /// Forgets stale nonces after `nonce` was taken, at most every [`NONCE_SWEEP_MS`] per
    /// process (a stale copy of a nonce is taken over anyway: this keeps the table small).
    fn sweep_nonces(&self, c: &mut Conn, nonce: Option<&NonceUse<'_>>) -> Result<(), StorageError> {
        let Some(forget_before) = nonce.map(|n| n.forget_before.0) else {
            return Ok(());
        };
        let swept = self.nonces_swept.load(Ordering::Relaxed);
        if forget_before.saturating_sub(swept) >= NONCE_SWEEP_MS
            && self
                .nonces_swept
                .compare_exchange(swept, forget_before, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            // Planned for its bound (a range of the index on time), though on a sync's
            // connection: once a minute, a switch each way costs nothing.
            c.plan(Planning::Configured)
                .map_err(pg("choosing how statements are planned"))?;
            c.execute("DELETE FROM nonces WHERE time < $1", &[&forget_before])
                .map_err(pg("forgetting stale nonces"))?;
        }
        Ok(())
    }

    /// The rows a query of one parameter returns; `what` names it in an error.
    fn rows(
        &self,
        sql: &str,
        arg: &(dyn ToSql + Sync),
        what: &'static str,
    ) -> Result<Vec<Row>, StorageError> {
        self.sync_conn()?.query(sql, &[arg]).map_err(pg(what))
    }

    /// Entries a query of one parameter returns, in its order.
    fn entries(
        &self,
        sql: &str,
        arg: &(dyn ToSql + Sync),
    ) -> Result<Vec<SignedEntry>, StorageError> {
        self.rows(sql, arg, "reading entries")?
            .iter()
            .map(entry_of)
            .collect()
    }

    /// Certificates a query of one parameter returns (bytes and signature its first two
    /// columns), in its order.
    fn certificates(
        &self,
        sql: &str,
        arg: &(dyn ToSql + Sync),
    ) -> Result<Vec<SignedCertificate>, StorageError> {
        self.rows(sql, arg, "reading certificates")?
            .iter()
            .map(|r| {
                Ok(SignedCertificate {
                    bytes: col(r, 0)?,
                    signature: col(r, 1)?,
                })
            })
            .collect()
    }

    /// Bytes and signature, the columns of the first two of a one-row query.
    fn signed(&self, sql: &str, id: &str) -> Result<Option<StoredSigned>, StorageError> {
        let row = self
            .conn()?
            .query_opt(sql, &[&id])
            .map_err(pg("reading a signed object"))?;
        row.map(|r| Ok((col(&r, 0)?, col(&r, 1)?))).transpose()
    }
}

impl Storage for PgStorage {
    fn log_head(&self) -> Result<LogHead, StorageError> {
        log::read_head(&mut *self.sync_conn()?)
    }

    fn tile(&self, id: TileId) -> Result<Option<Vec<u8>>, StorageError> {
        log::read_tile(&mut *self.sync_conn()?, id)
    }

    fn entry_hashes(&self, from: u64, to: u64) -> Result<Vec<Digest>, StorageError> {
        log::entry_hashes(&mut *self.conn()?, from, to)
    }

    fn feed_heads(
        &self,
        devices: &BTreeSet<String>,
    ) -> Result<BTreeMap<String, FeedHead>, StorageError> {
        log::feed_heads(&mut *self.sync_conn()?, devices)
    }

    fn sequence(&self) -> Result<Box<dyn Sequencer + '_>, StorageError> {
        self.sequence_for(&BTreeSet::new())
    }

    fn sequence_for(
        &self,
        devices: &BTreeSet<String>,
    ) -> Result<Box<dyn Sequencer + '_>, StorageError> {
        Ok(Box::new(log::PgSequencer::begin(
            &self.sequencing,
            || self.sync_conn(),
            devices,
        )?))
    }

    fn entry_indexes(&self, hashes: &[Digest]) -> Result<Vec<Option<u64>>, StorageError> {
        if hashes.is_empty() {
            return Ok(Vec::new());
        }
        let asked: Vec<&[u8]> = hashes.iter().map(|h| h.as_slice()).collect();
        let rows = self
            .conn()?
            .query(ENTRY_INDEXES, &[&asked])
            .map_err(pg("finding entries"))?;
        rows.iter()
            .map(|r| col::<Option<i64>>(r, 0)?.map(uint).transpose())
            .collect()
    }

    fn heads_then_indexes(
        &self,
        devices: &BTreeSet<String>,
        hashes: &[Digest],
    ) -> Result<qc_station_storage::HeadsAndIndexes, StorageError> {
        let read = self
            .upload_read((devices, hashes), &[], None)?
            .ok_or_else(|| StorageError::Damaged("an upload's read without a nonce".into()))?;
        Ok((read.heads, read.indexes))
    }

    fn upload_read(
        &self,
        entries: (&BTreeSet<String>, &[Digest]),
        cases: &[String],
        nonce: Option<&NonceUse<'_>>,
    ) -> Result<Option<qc_station_storage::UploadRead>, StorageError> {
        let mut c = self.sync_conn()?;
        let read = log::upload_read(&mut c, entries, cases, nonce)?;
        self.sweep_nonces(&mut c, nonce)?;
        Ok(read)
    }

    fn case_entries(&self, case: &str) -> Result<Vec<SignedEntry>, StorageError> {
        self.entries(
            "SELECT entry, body, device_sig, actor_sigs FROM log WHERE case_id = $1 ORDER BY idx",
            &case,
        )
    }

    fn case_ids_with_prefix(&self, prefix: &str) -> Result<Vec<(String, u64)>, StorageError> {
        // Compared as bytes (the "C" collation, whatever the database's).
        let rows = match qc_station_storage::prefix_end(prefix) {
            Some(end) => self.sync_conn()?.query(CASE_IDS_IN, &[&prefix, &end]),
            None => self.conn()?.query(CASE_IDS_FROM, &[&prefix]),
        }
        .map_err(pg("listing ids by prefix"))?;
        rows.iter()
            .map(|r| Ok((col::<String>(r, 0)?, uint(col(r, 1)?)?)))
            .collect()
    }

    fn feeds_for_cases(
        &self,
        cases: &[String],
        held: FeedsHeld<'_>,
    ) -> Result<Vec<Logged>, StorageError> {
        if cases.is_empty() {
            return Ok(Vec::new());
        }
        let (devices, seqs) = feeds_params(held.last);
        self.conn()?
            .query(FEEDS_FOR_CASES, &[&cases, &devices, &seqs, &held.fresh])
            .map_err(pg("reading feeds"))?
            .iter()
            .map(|r| {
                Ok(Logged {
                    entry: entry_of(r)?,
                    index: uint(col(r, 4)?)?,
                    hash: digest(col(r, 5)?)?,
                })
            })
            .collect()
    }

    fn device_feed(&self, device: &str) -> Result<Vec<SignedEntry>, StorageError> {
        self.entries(
            "SELECT entry, body, device_sig, actor_sigs FROM log WHERE device = $1 ORDER BY seq",
            &device,
        )
    }

    fn add_enrolment_code(
        &self,
        code: &Digest,
        grant: &Grant,
        expires: Timestamp,
    ) -> Result<(), StorageError> {
        let (squad, person) = match grant {
            Grant::Device { squad } => (squad.as_str(), None),
            Grant::Officer { person } => ("", Some(person.as_str())),
        };
        self.conn()?
            .execute(
                "INSERT INTO enrolment_codes (hash, squad, person, expires) VALUES ($1, $2, $3, $4)",
                &[&code.as_slice(), &squad, &person, &expires.0],
            )
            .map_err(pg("adding an enrolment code"))?;
        Ok(())
    }

    fn take_enrolment_code(
        &self,
        code: &Digest,
        now: Timestamp,
        wanted: &dyn Fn(&Grant) -> bool,
    ) -> Result<Option<Grant>, StorageError> {
        let mut c = self.conn()?;
        // A code's grant never changes: it is read without a lock, and only the UPDATE below,
        // which one caller alone can win, uses the code up.
        let row = c
            .query_opt(
                "SELECT squad, person FROM enrolment_codes
                 WHERE hash = $1 AND NOT used AND expires >= $2",
                &[&code.as_slice(), &now.0],
            )
            .map_err(pg("reading an enrolment code"))?;
        let Some(row) = row else {
            return Ok(None);
        };
        let grant = match col::<Option<String>>(&row, 1)? {
            Some(person) => Grant::Officer { person },
            None => Grant::Device {
                squad: col(&row, 0)?,
            },
        };
        if !wanted(&grant) {
            return Ok(None);
        }
        let taken = c
            .execute(
                "UPDATE enrolment_codes SET used = true
                 WHERE hash = $1 AND NOT used AND expires >= $2",
                &[&code.as_slice(), &now.0],
            )
            .map_err(pg("using an enrolment code"))?;
        Ok((taken == 1).then_some(grant))
    }

    fn use_nonce(
        &self,
        device: &str,
        nonce: &[u8; 16],
        time: Timestamp,
        forget_before: Timestamp,
    ) -> Result<bool, StorageError> {
        self.use_nonce_seen(&NonceUse {
            device,
            nonce,
            time,
            forget_before,
            seen: None,
        })
    }

    fn use_nonce_seen(&self, nonce: &NonceUse<'_>) -> Result<bool, StorageError> {
        let (device, key, time, forget, seen) = log::nonce_params(Some(nonce));
        let mut c = self.sync_conn()?;
        let new = c
            .query(&USE_NONCE, &[&device, &key, &time, &forget, &seen])
            .map_err(pg("recording a nonce"))?
            .len();
        self.sweep_nonces(&mut c, Some(nonce))?;
        Ok(new == 1)
    }

    fn add_device(&self, id: &str, cert: &SignedCertificate) -> Result<(), StorageError> {
        self.conn()?
            .execute(
                "INSERT INTO devices (id, cert, signature) VALUES ($1, $2, $3)
                 ON CONFLICT (id) DO UPDATE SET cert = EXCLUDED.cert,
                   signature = EXCLUDED.signature",
                &[&id, &cert.bytes, &cert.signature],
            )
            .map_err(pg("adding a device"))?;
        Ok(())
    }

    fn device(&self, id: &str) -> Result<Option<SignedCertificate>, StorageError> {
        Ok(self
            .signed("SELECT cert, signature FROM devices WHERE id = $1", id)?
            .map(|(bytes, signature)| SignedCertificate { bytes, signature }))
    }

    fn devices(&self) -> Result<Vec<(String, SignedCertificate)>, StorageError> {
        self.conn()?
            .query("SELECT id, cert, signature FROM devices ORDER BY id", &[])
            .map_err(pg("listing devices"))?
            .iter()
            .map(|r| {
                Ok((
                    col(r, 0)?,
                    SignedCertificate {
                        bytes: col(r, 1)?,
                        signature: col(r, 2)?,
                    },
                ))
            })
            .collect()
    }

    fn device_seen(&self, id: &str, at: Timestamp) -> Result<(), StorageError> {
        self.conn()?
            .execute(
                "UPDATE devices SET last_seen = $2
                 WHERE id = $1 AND (last_seen IS NULL OR last_seen < $2)",
                &[&id, &at.0],
            )
            .map_err(pg("noting a device's sync"))?;
        Ok(())
    }

    fn devices_seen(&self) -> Result<Vec<(String, Timestamp)>, StorageError> {
        self.conn()?
            .query(
                "SELECT id, last_seen FROM devices WHERE last_seen IS NOT NULL ORDER BY id",
                &[],
            )
            .map_err(pg("listing when devices synced"))?
            .iter()
            .map(|r| Ok((col(r, 0)?, Timestamp(col(r, 1)?))))
            .collect()
    }

    fn note_device_bureau(&self, device: &str, told: &DeviceBureau) -> Result<(), StorageError> {
        let (taken, refused) = told.columns();
        self.conn()?
            .execute(
                "UPDATE devices SET bureau_taken = $2, bureau_refused = $3 WHERE id = $1",
                &[&device, &taken, &refused],
            )
            .map_err(pg("noting a device's bureau files"))?;
        Ok(())
    }

    fn devices_bureau(&self) -> Result<Vec<(String, DeviceBureau)>, StorageError> {
        self.conn()?
            .query(
                "SELECT id, bureau_taken, bureau_refused FROM devices
                 WHERE bureau_taken <> '' OR bureau_refused <> '' ORDER BY id",
                &[],
            )
            .map_err(pg("listing the devices' bureau files"))?
            .iter()
            .map(|r| {
                let (taken, refused): (Vec<u8>, Vec<u8>) = (col(r, 1)?, col(r, 2)?);
                Ok((col(r, 0)?, DeviceBureau::from_columns(&taken, &refused)?))
            })
            .collect()
    }

    fn note_pending_blobs(&self, pending: &[PendingBlob]) -> Result<(), StorageError> {
        if pending.is_empty() {
            return Ok(());
        }
        let hashes: Vec<&[u8]> = pending.iter().map(|p| p.hash.as_slice()).collect();
        let cases: Vec<&str> = pending.iter().map(|p| p.case.as_str()).collect();
        let devices: Vec<&str> = pending.iter().map(|p| p.device.as_str()).collect();
        let since: Vec<i64> = pending.iter().map(|p| p.since.0).collect();
        // One statement; a file named twice in one call keeps its earliest time.
        self.conn()?
            .execute(
                "INSERT INTO pending_blobs (hash, case_id, device, since)
                 SELECT hash, case_id, device, min(since)
                 FROM UNNEST($1::BYTEA[], $2::TEXT[], $3::TEXT[], $4::BIGINT[])
                   AS t(hash, case_id, device, since)
                 GROUP BY hash, case_id, device
                 ON CONFLICT (hash, case_id, device)
                 DO UPDATE SET since = LEAST(pending_blobs.since, excluded.since)",
                &[&hashes, &cases, &devices, &since],
            )
            .map_err(pg("noting pending files"))?;
        Ok(())
    }

    fn pending_blobs(&self) -> Result<Vec<PendingBlob>, StorageError> {
        self.conn()?
            .query(
                "SELECT hash, case_id, device, since FROM pending_blobs
                 ORDER BY since, case_id COLLATE \"C\", device COLLATE \"C\", hash",
                &[],
            )
            .map_err(pg("listing pending files"))?
            .iter()
            .map(|r| {
                Ok(PendingBlob {
                    hash: stored_digest(col(r, 0)?)?,
                    case: col(r, 1)?,
                    device: col(r, 2)?,
                    since: Timestamp(col(r, 3)?),
                })
            })
            .collect()
    }

    fn clear_pending_blob(&self, hash: &Digest, case: &str) -> Result<(), StorageError> {
        self.sync_conn()?
            .execute(
                "DELETE FROM pending_blobs WHERE hash = $1 AND case_id = $2",
                &[&hash.as_slice(), &case],
            )
            .map_err(pg("forgetting a pending file"))?;
        Ok(())
    }

    fn add_officer_cert(&self, device: &str, cert: &SignedCertificate) -> Result<(), StorageError> {
        self.conn()?
            .execute(
                "INSERT INTO officer_certs (device, cert, signature) VALUES ($1, $2, $3)
                 ON CONFLICT DO NOTHING",
                &[&device, &cert.bytes, &cert.signature],
            )
            .map_err(pg("adding an officer's certificate"))?;
        Ok(())
    }

    fn officer_certs(&self) -> Result<Vec<(String, SignedCertificate)>, StorageError> {
        let rows = self
            .conn()?
            .query(
                "SELECT device, cert, signature FROM officer_certs ORDER BY device, cert",
                &[],
            )
            .map_err(pg("reading officers' certificates"))?;
        rows.iter()
            .map(|r| {
                Ok((
                    col(r, 0)?,
                    SignedCertificate {
                        bytes: col(r, 1)?,
                        signature: col(r, 2)?,
                    },
                ))
            })
            .collect()
    }

    fn officer_certs_of(&self, device: &str) -> Result<Vec<SignedCertificate>, StorageError> {
        self.certificates(
            "SELECT cert, signature FROM officer_certs WHERE device = $1 ORDER BY cert",
            &device,
        )
    }

    fn device_certificates(
        &self,
        devices: &BTreeSet<String>,
    ) -> Result<Vec<SignedCertificate>, StorageError> {
        if devices.is_empty() {
            return Ok(Vec::new());
        }
        let devices: Vec<&str> = devices.iter().map(String::as_str).collect();
        self.certificates(DEVICE_CERTIFICATES, &devices)
    }

    fn add_code_failure(
        &self,
        source: IpAddr,
        time: Timestamp,
        forget_before: Timestamp,
    ) -> Result<(), StorageError> {
        // One round trip: the stale ones go in the same statement.
        self.conn()?
            .execute(
                "WITH stale AS (DELETE FROM code_failures WHERE time < $3)
                 INSERT INTO code_failures (source, time) VALUES ($1, $2)",
                &[&source.to_string(), &time.0, &forget_before.0],
            )
            .map_err(pg("recording a wrong enrolment code"))?;
        Ok(())
    }

    fn code_failures(
        &self,
        source: Option<IpAddr>,
        since: Timestamp,
        newest: u32,
    ) -> Result<Vec<Timestamp>, StorageError> {
        let newest = i64::from(newest);
        let mut c = self.conn()?;
        let rows = match source {
            Some(s) => c.query(FAILURES_FROM_SOURCE, &[&since.0, &newest, &s.to_string()]),
            None => c.query(FAILURES_IN_ALL, &[&since.0, &newest]),
        }
        .map_err(pg("counting wrong enrolment codes"))?;
        rows.iter().map(|r| col(r, 0).map(Timestamp)).collect()
    }

    fn case_doc(&self, case: &str) -> Result<Option<(CaseMeta, Vec<u8>)>, StorageError> {
        let row = self
            .sync_conn()?
            .query_opt(
                "SELECT squad, status, heads, doc FROM case_docs WHERE case_id = $1",
                &[&case],
            )
            .map_err(pg("reading a case document"))?;
        row.map(|r| {
            let status: String = col(&r, 1)?;
            let heads: Vec<u8> = col(&r, 2)?;
            Ok((
                CaseMeta::from_stored(col(&r, 0)?, &status, &heads)?,
                col(&r, 3)?,
            ))
        })
        .transpose()
    }

    fn case_docs(
        &self,
        cases: &[String],
    ) -> Result<Vec<(String, CaseMeta, Vec<u8>)>, StorageError> {
        if cases.is_empty() {
            return Ok(Vec::new());
        }
        self.rows(CASE_DOCS, &cases, "reading case documents")?
            .iter()
            .map(|r| {
                let status: String = col(r, 2)?;
                let heads: Vec<u8> = col(r, 3)?;
                Ok((
                    col(r, 0)?,
                    CaseMeta::from_stored(col(r, 1)?, &status, &heads)?,
                    col(r, 4)?,
                ))
            })
            .collect()
    }

    fn put_case_doc(&self, case: &str, meta: &CaseMeta, doc: &[u8]) -> Result<(), StorageError> {
        self.conn()?
            .execute(
                "INSERT INTO case_docs (case_id, squad, status, heads, doc)
                 VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (case_id) DO UPDATE SET squad = EXCLUDED.squad,
                   status = EXCLUDED.status, heads = EXCLUDED.heads, doc = EXCLUDED.doc",
                &[
                    &case,
                    &meta.squad,
                    &meta.status.code(),
                    &meta.heads.concat(),
                    &doc,
                ],
            )
            .map_err(pg("keeping a case document"))?;
        Ok(())
    }

    fn keep_case_docs(&self, docs: &[KeptDoc<'_>]) -> Result<Vec<String>, StorageError> {
        // READ COMMITTED: a document's write waits for another transaction holding its row and
        // then checks the heads again on what that committed.
        let mut c = self.sync_conn()?;
        let moved = |d: &KeptDoc<'_>, written: bool| (!written).then(|| d.case.to_owned());
        match docs {
            [] => Ok(Vec::new()),
            // One statement, atomic on its own (a sync's usual one case), unless its result is
            // published (a second statement then).
            [d] if rows::kept_in_one(d) => Ok(moved(
                d,
                rows::keep_doc(&mut c, d).map_err(pg("keeping a case document"))?,
            )
            .into_iter()
            .collect()),
            _ => {
                // In one order, so two transactions keeping some of the same cases wait on
                // each other rather than deadlock.
                let mut docs = docs.to_vec();
                docs.sort_by_key(|d| d.case);
                c.in_transaction(|c| {
                    let mut all = Vec::new();
                    for d in &docs {
                        all.extend(moved(d, rows::keep_doc(c, d)?));
                    }
                    Ok(all)
                })
                .map_err(pg("keeping case documents"))
            }
        }
    }

    fn cases_without_heads(&self) -> Result<Vec<String>, StorageError> {
        let rows = self
            .conn()?
            .query(
                "SELECT case_id FROM case_docs WHERE heads = ''::BYTEA ORDER BY case_id",
                &[],
            )
            .map_err(pg("listing cases without heads"))?;
        rows.iter().map(|r| col(r, 0)).collect()
    }

    fn case_metas_seen(&self, view: &CaseView) -> Result<Vec<SeenCase>, StorageError> {
        let rows = if view.everything {
            self.conn()?.query(METAS_ALL, &[])
        } else {
            let (squads, statuses) = view_params(view);
            self.conn()?.query(METAS_SEEN, &[&squads, &statuses])
        }
        .map_err(pg("listing cases"))?;
        rows.iter().map(seen_case).collect()
    }

    fn pull_read(
        &self,
        view: &CaseView,
        held: Held<'_>,
        nonce: Option<&NonceUse<'_>>,
    ) -> Result<Option<Pull>, StorageError> {
        let Held {
            have, desk_acts, ..
        } = held;
        let cases: Vec<&str> = have.keys().copied().collect();
        let heads: Vec<Vec<u8>> = have.values().map(|h| h.concat()).collect();
        let acted: Vec<&str> = desk_acts
            .into_iter()
            .flatten()
            .map(|(c, _)| c.as_str())
            .collect();
        let counts: Vec<i64> = desk_acts
            .into_iter()
            .flatten()
            .map(|(_, n)| int(*n))
            .collect::<Result<_, _>>()?;
        let says = desk_acts.is_some();
        let squads: Vec<&str> = view.squads.iter().map(String::as_str).collect();
        let review = view.sent_for_review;
        let (devices, seqs) = feeds_params(held.feeds);
        let (device, key, time, forget, noted) = log::nonce_params(nonce);
        let mut params: Vec<&(dyn ToSql + Sync)> =
            vec![&cases, &heads, &acted, &counts, &says, &devices, &seqs];
        if !view.everything {
            params.extend([&squads as &(dyn ToSql + Sync), &review]);
        }
        if nonce.is_some() {
            params.extend([&device as &(dyn ToSql + Sync), &key, &time, &forget, &noted]);
        }
        let statement = match (view.everything, nonce.is_some()) {
            (true, true) => &PULL_ALL,
            (true, false) => &PULL_ALL_TAKEN,
            (false, true) => &PULL_SEEN,
            (false, false) => &PULL_SEEN_TAKEN,
        };
        let mut c = self.sync_conn()?;
        let rows = c
            .query(statement, &params)
            .map_err(pg("reading what goes down"))?;
        self.sweep_nonces(&mut c, nonce)?;
        let (mut seen, mut entries, mut certificates, mut tree, mut taken) =
            (Vec::new(), Vec::new(), Vec::new(), None, false);
        for r in &rows {
            // Each with what orders it: case; device and seq; device, person or device, bytes.
            let device: Option<String> = col(r, 1)?;
            match col::<i32>(r, 0)? {
                3 => {
                    let status: String = col(r, 11)?;
                    let heads: Vec<u8> = col(r, 4)?;
                    seen.push((
                        SeenCase {
                            case: device.unwrap_or_default(),
                            meta: CaseMeta::from_stored(col(r, 10)?, &status, &heads)?,
                            desk_acts: uint(col(r, 3)?)?,
                        },
                        col(r, 5)?,
                    ));
                }
                0 => entries.push((
                    (device, col::<i64>(r, 3)?),
                    Logged {
                        entry: entry_at(r, 4)?,
                        index: uint(col(r, 8)?)?,
                        hash: digest(col(r, 9)?)?,
                    },
                )),
                1 => {
                    let bytes: Vec<u8> = col(r, 4)?;
                    certificates.push((
                        (device, col::<i32>(r, 2)?, bytes.clone()),
                        SignedCertificate {
                            bytes,
                            signature: col(r, 5)?,
                        },
                    ));
                }
                2 => {
                    tree = Some(TreeState {
                        size: uint(col(r, 8)?)?,
                        root: digest(col(r, 4)?)?,
                    });
                }
                _ => taken = col::<Option<i64>>(r, 8)? == Some(1),
            }
        }
        if nonce.is_some() && !taken {
            return Ok(None);
        }
        let tree = tree.ok_or_else(|| StorageError::Damaged("no log head".into()))?;
        seen.sort_unstable_by(|a: &SeenBehind, b| a.0.case.cmp(&b.0.case));
        entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        certificates.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        Ok(Some(Pull {
            seen,
            feeds: FeedsDown {
                entries: entries.into_iter().map(|(_, e)| e).collect(),
                certificates: certificates.into_iter().map(|(_, c)| c).collect(),
                tree,
            },
        }))
    }

    fn blob_state(&self, hash: &Digest) -> Result<Option<BlobState>, StorageError> {
        self.blobs.state(self, hash)
    }

    fn write_blob_chunk(
        &self,
        hash: &Digest,
        size: u64,
        offset: u64,
        bytes: &[u8],
    ) -> Result<(), StorageError> {
        self.blobs.write_chunk(self, hash, size, offset, bytes)
    }

    fn finish_blob(&self, hash: &Digest) -> Result<bool, StorageError> {
        self.blobs.finish(self, hash)
    }

    fn keep_whole_blob(
        &self,
        hash: &Digest,
        bytes: &[u8],
        case: Option<&str>,
    ) -> Result<(), StorageError> {
        self.blobs.keep_whole(self, hash, bytes, case)
    }

    fn link_blob(&self, hash: &Digest, case: &str) -> Result<(), StorageError> {
        blobs::link(self, hash, case)
    }

    fn blob_in_case(&self, hash: &Digest, case: &str) -> Result<bool, StorageError> {
        blobs::in_case(self, hash, case)
    }

    fn delete_blob(&self, hash: &Digest, case: &str) -> Result<bool, StorageError> {
        self.blobs.delete(self, hash, case)
    }

    fn note_deletions_due(&self, cases: &[String]) -> Result<(), StorageError> {
        self.conn()?
            .execute(
                "INSERT INTO deletions_due(case_id, noted) SELECT unnest($1::text[]), 1
                 ON CONFLICT (case_id) DO UPDATE SET noted = deletions_due.noted + 1",
                &[&cases],
            )
            .map_err(pg("noting deletions due"))?;
        Ok(())
    }

    fn deletions_due(&self) -> Result<Vec<(String, u64)>, StorageError> {
        let rows = self
            .conn()?
            .query(
                "SELECT case_id, noted FROM deletions_due ORDER BY case_id",
                &[],
            )
            .map_err(pg("reading deletions due"))?;
        rows.iter()
            .map(|r| Ok((col(r, 0)?, uint(col(r, 1)?)?)))
            .collect()
    }

    fn deletions_done(&self, case: &str, noted: u64) -> Result<(), StorageError> {
        self.conn()?
            .execute(
                "DELETE FROM deletions_due WHERE case_id = $1 AND noted <= $2",
                &[&case, &int(noted)?],
            )
            .map_err(pg("recording deletions done"))?;
        Ok(())
    }

    fn deleted_blobs(&self) -> Result<Vec<(Digest, i64)>, StorageError> {
        let rows = self
            .conn()?
            .query(
                "SELECT d.hash, d.at FROM deleted_blobs d
                 WHERE NOT EXISTS (SELECT 1 FROM blobs b WHERE b.hash = d.hash AND NOT b.deleting)
                 ORDER BY d.at, d.hash",
                &[],
            )
            .map_err(pg("listing deleted blobs"))?;
        rows.iter()
            .map(|r| Ok((digest(col(r, 0)?)?, col(r, 1)?)))
            .collect()
    }

    fn unfinished_blobs(&self) -> Result<Vec<Digest>, StorageError> {
        self.blobs.unfinished(self)
    }

    fn open_blob(&self, hash: &Digest) -> Result<Box<dyn Read + Send>, StorageError> {
        self.blobs.open(self, hash)
    }

    fn open_blob_range(
        &self,
        hash: &Digest,
        size: u64,
        range: std::ops::Range<u64>,
    ) -> Result<Box<dyn Read + Send>, StorageError> {
        self.blobs.open_range(hash, size, range)
    }

    fn put_revocations(
        &self,
        crl: &SignedRevocationList,
        replacing: Option<&SignedRevocationList>,
    ) -> Result<bool, StorageError> {
        let mut conn = self.conn()?;
        match replacing {
            None => conn.execute(
                "INSERT INTO revocations (one, bytes, signature) VALUES (1, $1, $2)
                 ON CONFLICT (one) DO NOTHING",
                &[&crl.bytes, &crl.signature],
            ),
            Some(old) => conn.execute(
                "UPDATE revocations SET bytes = $1, signature = $2
                 WHERE one = 1 AND bytes = $3 AND signature = $4",
                &[&crl.bytes, &crl.signature, &old.bytes, &old.signature],
            ),
        }
        .map(|n| n == 1)
        .map_err(pg("keeping the revocation list"))
    }

    fn device_standing(&self, id: &str) -> Result<DeviceStanding, StorageError> {
        let row = self
            .sync_conn()?
            .query_opt(DEVICE_STANDING, &[&id])
            .map_err(pg("reading a device and the revocation list"))?
            .ok_or_else(|| StorageError::Backend("no row of a device's standing".into()))?;
        let signed = |at: usize| -> Result<Option<StoredSigned>, StorageError> {
            let bytes: Option<Vec<u8>> = col(&row, at)?;
            let signature: Option<Vec<u8>> = col(&row, at + 1)?;
            Ok(bytes.zip(signature))
        };
        let people: Vec<Vec<u8>> = col(&row, 4)?;
        let signatures: Vec<Vec<u8>> = col(&row, 5)?;
        let certificates = match signed(0)? {
            Some((bytes, signature)) => people
                .into_iter()
                .zip(signatures)
                .map(|(bytes, signature)| SignedCertificate { bytes, signature })
                .chain([SignedCertificate { bytes, signature }])
                .collect(),
            None => Vec::new(),
        };
        Ok(DeviceStanding {
            certificates,
            revocations: signed(2)?
                .map(|(bytes, signature)| SignedRevocationList { bytes, signature }),
        })
    }

    fn revocations(&self) -> Result<Option<SignedRevocationList>, StorageError> {
        let row = self
            .conn()?
            .query_opt(
                "SELECT bytes, signature FROM revocations WHERE one = 1",
                &[],
            )
            .map_err(pg("reading the revocation list"))?;
        row.map(|r| {
            Ok(SignedRevocationList {
                bytes: col(&r, 0)?,
                signature: col(&r, 1)?,
            })
        })
        .transpose()
    }

    fn bureau_files(&self) -> Result<Vec<BureauFileRow>, StorageError> {
        self.conn()?
            .query(
                "SELECT kind, text, digest, at, by, release, release_sig FROM bureau_files
                 ORDER BY kind",
                &[],
            )
            .map_err(pg("reading the bureau's files"))?
            .iter()
            .map(|r| {
                Ok(BureauFileRow {
                    kind: col(r, 0)?,
                    text: col(r, 1)?,
                    digest: digest(col(r, 2)?)?,
                    at: Timestamp(col(r, 3)?),
                    by: col(r, 4)?,
                    release: SignedFileRelease {
                        bytes: col(r, 5)?,
                        signature: col(r, 6)?,
                    },
                })
            })
            .collect()
    }

    fn bureau_digests(&self) -> Result<Vec<(String, Digest)>, StorageError> {
        self.conn()?
            .query("SELECT kind, digest FROM bureau_files ORDER BY kind", &[])
            .map_err(pg("reading the bureau's files' digests"))?
            .iter()
            .map(|r| Ok((col(r, 0)?, digest(col(r, 1)?)?)))
            .collect()
    }

    fn put_bureau_file(
        &self,
        file: &BureauFileRow,
        replacing: Option<&Digest>,
    ) -> Result<bool, StorageError> {
        let (new, r) = (file.digest.to_vec(), &file.release);
        let mut values: Vec<&(dyn ToSql + Sync)> = vec![
            &file.kind,
            &file.text,
            &new,
            &file.at.0,
            &file.by,
            &r.bytes,
            &r.signature,
        ];
        let old = replacing.map(|d| d.to_vec());
        let sql = match &old {
            None => {
                "INSERT INTO bureau_files (kind, text, digest, at, by, release, release_sig)
                 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (kind) DO NOTHING"
            }
            Some(old) => {
                values.push(old);
                "UPDATE bureau_files SET text = $2, digest = $3, at = $4, by = $5, release = $6,
                   release_sig = $7
                 WHERE kind = $1 AND digest = $8"
            }
        };
        self.conn()?
            .execute(sql, &values)
            .map(|n| n == 1)
            .map_err(pg("keeping a bureau's file"))
    }

    fn note_refused(&self, device: &str, entries: &[Digest]) -> Result<(), StorageError> {
        let hashes: Vec<Vec<u8>> = entries.iter().map(|h| h.to_vec()).collect();
        self.conn()?
            .execute(
                "INSERT INTO refused_entries(device, hash) SELECT $1, unnest($2::bytea[])
                 ON CONFLICT DO NOTHING",
                &[&device, &hashes],
            )
            .map_err(pg("noting refused entries"))?;
        Ok(())
    }

    fn was_refused(&self, device: &str, entry: &Digest) -> Result<bool, StorageError> {
        self.conn()?
            .query_opt(
                "SELECT 1 FROM refused_entries WHERE device = $1 AND hash = $2",
                &[&device, &entry.as_slice()],
            )
            .map(|r| r.is_some())
            .map_err(pg("reading refused entries"))
    }
}

#[cfg(test)]
mod tests;
