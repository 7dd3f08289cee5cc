//! The log: entries, hash tiles and head, and the sequencer that appends to them.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{LazyLock, Mutex, MutexGuard};

use crate::client::Client;
use qc_chain::{Digest, FeedHead, SignedEntry};
use qc_log::SignedCheckpoint;
use qc_station_storage::{
    CaseMeta, LogHead, NonceUse, Sequencer, StorageError, TileId, TreeState, UploadRead,
};

use crate::{Conn, col, digest, int, pg, uint};

/// SQLSTATE of a unique violation.
const UNIQUE_VIOLATION: &str = "23505";

/// The head as last committed (a sequencer reads it locked, with [`LOCK_HEAD`]).
pub(crate) fn read_head(c: &mut Client) -> Result<LogHead, StorageError> {
    let row = c
        .query_opt(
            "SELECT size, root, checkpoint, checkpoint_sig, note FROM log_head WHERE one = 1",
            &[],
        )
        .map_err(pg("reading the log's head"))?
        .ok_or_else(|| StorageError::Damaged("the log's head row is missing".into()))?;
    head_of(&row)
}

/// The head from the first five columns of a row.
fn head_of(row: &postgres::Row) -> Result<LogHead, StorageError> {
    let bytes: Option<Vec<u8>> = col(row, 2)?;
    let signature: Option<Vec<u8>> = col(row, 3)?;
    Ok(LogHead {
        tree: TreeState {
            size: uint(col(row, 0)?)?,
            root: digest(col(row, 1)?)?,
        },
        checkpoint: bytes
            .zip(signature)
            .map(|(bytes, signature)| SignedCheckpoint { bytes, signature }),
        note: col(row, 4)?,
    })
}

/// A hash tile as stored.
pub(crate) fn read_tile(c: &mut Client, id: TileId) -> Result<Option<Vec<u8>>, StorageError> {
    let row = c
        .query_opt(
            "SELECT hashes FROM log_tiles WHERE level = $1 AND idx = $2",
            &[&i16::from(id.level), &int(id.index)?],
        )
        .map_err(pg("reading a tile"))?;
    row.map(|r| col(&r, 0)).transpose()
}

/// The hashes of the entries at log indexes `from .. to`.
pub(crate) fn entry_hashes(
    c: &mut Client,
    from: u64,
    to: u64,
) -> Result<Vec<Digest>, StorageError> {
    let clamp = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    let rows = c
        .query(
            "SELECT hash FROM log WHERE idx >= $1 AND idx < $2 ORDER BY idx",
            &[&clamp(from), &clamp(to)],
        )
        .map_err(pg("reading entry hashes"))?;
    rows.iter().map(|r| digest(col(r, 0)?)).collect()
}

/// The last entry of each of the devices `$1` (device, seq, hash), one index probe per device.
macro_rules! feed_heads_sql {
    () => {
        "SELECT d.device, l.seq, l.hash FROM UNNEST((SELECT $1::TEXT[])) AS d(device)
         CROSS JOIN LATERAL (
             SELECT log.seq, log.hash FROM log WHERE log.device = d.device
             ORDER BY log.seq DESC LIMIT 1
         ) l"
    };
}

/// The head, locked (its first five columns), and what an append builds on, read with it so
/// the append mostly reads nothing more while it holds the log: the tiles on the tree's right
/// edge (part 0: at each level, the one holding its last hash and the one after it; level,
/// index, hashes) and the feed heads of the devices `$1` (part 1, as [`feed_heads_sql`]). The
/// sixth column is the head's size as the statement began: a statement that waited for the
/// lock would see the head committed meanwhile but all else as it was, which then does not
/// serve (the sequencer takes the lock before, so it does not wait here).
pub(crate) const LOCK_HEAD: &str = concat!(
    "WITH h AS (
       SELECT size, root, checkpoint, checkpoint_sig, note FROM log_head WHERE one = 1
       FOR UPDATE),
     began AS (SELECT size FROM log_head WHERE one = 1),
     edge AS (
       SELECT DISTINCT l::SMALLINT AS level, i AS idx
       FROM h, generate_series(0, 7) AS l,
            LATERAL (VALUES (((h.size >> (8 * l)) - 1) / 256), ((h.size >> (8 * l)) / 256)) v(i)
       WHERE (h.size >> (8 * l)) > 0)
     SELECT h.*, (SELECT size FROM began), 0, t.level::BIGINT, t.idx, t.hashes, NULL::TEXT
     FROM h LEFT JOIN edge ON TRUE
     LEFT JOIN log_tiles t ON t.level = edge.level AND t.idx = edge.idx
     UNION ALL
     SELECT h.*, (SELECT size FROM began), 1, f.seq, NULL, f.hash, f.device
     FROM h, (",
    feed_heads_sql!(),
    ") f"
);

/// What an upload reads first, in one snapshot, in five parts (the fourth column), each row as
/// [`feed_heads_sql`] reads one in its first three:
/// 0. the feed heads of the devices `$1` (device, seq, hash);
/// 1. the log index of each of the entries `$2`, in order (the fifth column; the index in the
///    second, null for one not logged);
/// 2. the documents of the cases `$3` (case, null, heads, then squad, status and document);
/// 3. the bureau's files' digests (kind, null, digest);
/// 4. whether the nonce `$4`… ([`nonce_ctes`]) was new (1 in the second column, or 0).
///
/// In no order: put in order by the caller (sorting here cost a fifth of planning it).
///
/// Planned once per connection: each array is read through a subquery (`(SELECT $n)`), so
/// the planner does not see its length when it plans for the values of a call. Seen, an
/// array of two cost less than the ten a plan for any call assumes, and PostgreSQL planned
/// anew at every call, which took twice as long as running it. Each lookup by a key is a
/// subquery run per key (as a scalar, a `LIMIT`, or `OFFSET 0` that keeps it from being
/// joined): a join planned while the tables were small would scan them once they have grown.
pub(crate) static UPLOAD_READ: LazyLock<String> =
    LazyLock::new(|| format!("WITH {} {UPLOAD_READ_PARTS}", nonce_ctes(4)));

/// The parts of [`UPLOAD_READ`].
const UPLOAD_READ_PARTS: &str = concat!(
    "SELECT h.*, 0, 0::BIGINT, NULL::TEXT, NULL::TEXT, NULL::BYTEA FROM (",
    feed_heads_sql!(),
    ") h
     UNION ALL
     SELECT NULL, (SELECT idx FROM log WHERE log.hash = x.hash), NULL, 1, x.n, NULL, NULL, NULL
     FROM UNNEST((SELECT $2::BYTEA[])) WITH ORDINALITY AS x(hash, n)
     UNION ALL
     SELECT d.case_id, NULL, d.heads, 2, 0, d.squad, d.status, d.doc
     FROM UNNEST((SELECT $3::TEXT[])) AS w(case_id)
     CROSS JOIN LATERAL (SELECT * FROM case_docs WHERE case_docs.case_id = w.case_id OFFSET 0) d
     UNION ALL
     SELECT kind COLLATE \"C\", NULL, digest, 3, 0, NULL, NULL, NULL FROM bureau_files
     UNION ALL
     SELECT NULL, (SELECT count(*) FROM taken), NULL, 4, 0, NULL, NULL, NULL"
);

/// Takes a request's nonce in the statement that begins with these: the common table
/// expressions `taken` (a row when the nonce was new) and `seen` (the device noted seen then),
/// of the parameters `$n`… (device, nonce, time, forget nonces before, seen at; nothing
/// when the nonce is null). A stale copy of this very nonce is taken over, so stale nonces
/// need not go before every insert (a sweep now and then keeps the table small). The insert
/// alone decides whether the nonce is new, also against another process inserting it at the
/// same moment; the device is noted seen only then.
///
/// The statement's commit does not wait for the disk (`synchronous_commit` off for its
/// transaction, which writes nothing else): a crash of the database may forget the nonces and
/// sightings of its last few hundred milliseconds, never anything acknowledged (entries and
/// documents are written by statements that wait, and their flush carries these too). A
/// forgotten nonce opens a request's replay only within its time window, and only to a
/// replay that was captured before the crash. Waiting was a flush of the write-ahead log per
/// sync: a tenth of the database's time in an idle round of 1,000 devices.
pub(crate) fn nonce_ctes(n: usize) -> String {
    let (device, nonce, time, forget, seen) = (n, n + 1, n + 2, n + 3, n + 4);
    format!(
        "taken AS (
           INSERT INTO nonces (device, nonce, time)
           SELECT ${device}::TEXT, ${nonce}::BYTEA, ${time}::BIGINT
           WHERE ${nonce}::BYTEA IS NOT NULL
             AND set_config('synchronous_commit', 'off', true) IS NOT NULL
           ON CONFLICT (device, nonce) DO UPDATE SET time = EXCLUDED.time
           WHERE nonces.time < ${forget}::BIGINT
           RETURNING 1),
         seen AS (
           UPDATE devices SET last_seen = ${seen}::BIGINT
           WHERE id = ${device}::TEXT AND ${seen}::BIGINT IS NOT NULL
             AND EXISTS (SELECT 1 FROM taken)
             AND (last_seen IS NULL OR last_seen < ${seen}::BIGINT))"
    )
}

/// The parameters of [`nonce_ctes`] for `nonce` (all null for none).
pub(crate) type NonceParams<'a> = (
    Option<&'a str>,
    Option<&'a [u8]>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
);

/// [`NonceParams`] of `nonce`.
pub(crate) fn nonce_params<'a>(nonce: Option<&NonceUse<'a>>) -> NonceParams<'a> {
    match nonce {
        Some(n) => (
            Some(n.device),
            Some(n.nonce.as_slice()),
            Some(n.time.0),
            Some(n.forget_before.0),
            n.seen.map(|t| t.0),
        ),
        None => (None, None, None, None, None),
    }
}

/// The last entry of each device's feed.
pub(crate) fn feed_heads(
    c: &mut Client,
    devices: &BTreeSet<String>,
) -> Result<BTreeMap<String, FeedHead>, StorageError> {
    let names: Vec<&str> = devices.iter().map(String::as_str).collect();
    let rows = c
        .query(feed_heads_sql!(), &[&names])
        .map_err(pg("reading feed heads"))?;
    rows.iter().map(feed_head).collect()
}

/// A row of [`feed_heads_sql`].
fn feed_head(r: &postgres::Row) -> Result<(String, FeedHead), StorageError> {
    Ok((
        col::<String>(r, 0)?,
        FeedHead {
            seq: uint(col(r, 1)?)?,
            hash: digest(col(r, 2)?)?,
        },
    ))
}

/// What an upload reads first ([`UPLOAD_READ`]), taking `nonce` with it: none when it was
/// taken before.
pub(crate) fn upload_read(
    c: &mut Client,
    (devices, hashes): (&BTreeSet<String>, &[Digest]),
    cases: &[String],
    nonce: Option<&NonceUse<'_>>,
) -> Result<Option<UploadRead>, StorageError> {
    let names: Vec<&str> = devices.iter().map(String::as_str).collect();
    let asked: Vec<&[u8]> = hashes.iter().map(|h| h.as_slice()).collect();
    let (device, key, time, forget, seen) = nonce_params(nonce);
    let rows = c
        .query(
            &UPLOAD_READ,
            &[&names, &asked, &cases, &device, &key, &time, &forget, &seen],
        )
        .map_err(pg("reading what an upload continues"))?;
    let mut taken = false;
    let mut read = UploadRead {
        heads: BTreeMap::new(),
        indexes: Vec::with_capacity(hashes.len()),
        docs: Vec::with_capacity(cases.len()),
        bureau: Vec::new(),
    };
    let mut indexes = Vec::with_capacity(hashes.len());
    for r in &rows {
        match col::<i32>(r, 3)? {
            0 => {
                let (device, head) = feed_head(r)?;
                read.heads.insert(device, head);
            }
            1 => indexes.push((
                col::<i64>(r, 4)?,
                col::<Option<i64>>(r, 1)?.map(uint).transpose()?,
            )),
            2 => {
                let status: String = col(r, 6)?;
                let heads: Vec<u8> = col(r, 2)?;
                read.docs.push((
                    col(r, 0)?,
                    CaseMeta::from_stored(col(r, 5)?, &status, &heads)?,
                    col(r, 7)?,
                ));
            }
            3 => read.bureau.push((col(r, 0)?, digest(col(r, 2)?)?)),
            _ => taken = col::<Option<i64>>(r, 1)? == Some(1),
        }
    }
    if nonce.is_some() && !taken {
        return Ok(None);
    }
    indexes.sort_unstable_by_key(|(n, _)| *n);
    read.indexes = indexes.into_iter().map(|(_, index)| index).collect();
    read.docs.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    read.bureau.sort_unstable();
    Ok(Some(read))
}

/// The log held for appending: a pooled connection in a transaction that holds the head's row
/// lock. BEGIN, COMMIT and ROLLBACK are plain statements on the connection it owns, as a
/// `postgres::Transaction` would borrow the connection from this very struct.
pub(crate) struct PgSequencer<'a> {
    /// Queries need `&mut`, the trait's reads `&self`; a sequencer stays on one thread.
    conn: RefCell<Conn>,
    /// The head read under the lock: nothing else can change it until this sequencer ends.
    head: LogHead,
    /// The tiles on the right edge of its tree, read with it.
    edge: HashMap<TileId, Vec<u8>>,
    /// The feed heads of the devices named at its start, read with it.
    heads: Option<(BTreeSet<String>, BTreeMap<String, FeedHead>)>,
    /// The transaction may still be open (rolled back if dropped so).
    open: bool,
    /// This process's turn, taken before a connection: sequencers of one process queue here,
    /// so at most one pooled connection per process waits on the row lock and the pool stays
    /// free for other requests. Declared last: fields drop in order, so the connection is back
    /// in the pool when the next sequencer of the process wants one.
    _turn: MutexGuard<'a, ()>,
}

/// How long a sequencer may sit idle inside its transaction before the server ends its session:
/// a station process that hangs while holding the log then frees it for the others.
const IDLE_HOLD: &str = "60s";

impl<'a> PgSequencer<'a> {
    /// Waits for this process's turn, then begins a transaction on a connection from `pool`
    /// and waits for the head's row lock.
    pub(crate) fn begin(
        turn: &'a Mutex<()>,
        pool: impl FnOnce() -> Result<Conn, StorageError>,
        devices: &BTreeSet<String>,
    ) -> Result<PgSequencer<'a>, StorageError> {
        // The mutex guards no data: a panic while holding it left nothing half-done here.
        let turn = turn.lock().unwrap_or_else(|p| p.into_inner());
        let mut seq = PgSequencer {
            conn: RefCell::new(pool()?),
            head: LogHead::EMPTY,
            edge: HashMap::new(),
            heads: None,
            // Open from the start: if BEGIN passes and SET fails, the aborted transaction is
            // rolled back on drop, not handed to the pool (a ROLLBACK with none open is
            // harmless).
            open: true,
            _turn: turn,
        };
        let c = seq.conn.get_mut();
        // Every station process on this database appends only under the head's row lock: it
        // orders appends across processes. Taken in the round trip that begins the
        // transaction, so the lock's wait is over before the head and what it builds on are
        // read: read after, in a snapshot of their own (READ COMMITTED), they are what the
        // last append committed. Read in the statement that waited, the tiles and feed heads
        // were those from before that append, and were read again one by one (most batches,
        // with two instances in a rush).
        c.batch_execute(&format!(
            "BEGIN; SET LOCAL idle_in_transaction_session_timeout = '{IDLE_HOLD}';
             SELECT FROM log_head WHERE one = 1 FOR UPDATE"
        ))
        .map_err(pg("beginning an append"))?;
        let names: Vec<&str> = devices.iter().map(String::as_str).collect();
        let rows = c
            .query(LOCK_HEAD, &[&names])
            .map_err(pg("reading the log's head"))?;
        let first = rows
            .first()
            .ok_or_else(|| StorageError::Damaged("the log's head row is missing".into()))?;
        seq.head = head_of(first)?;
        if col::<i64>(first, 5)? != int(seq.head.tree.size)? {
            // Appended to while this waited for the lock: read anew when asked for.
            return Ok(seq);
        }
        let mut heads = BTreeMap::new();
        for r in &rows {
            match (col::<i32>(r, 6)?, col::<Option<Vec<u8>>>(r, 9)?) {
                (0, Some(hashes)) => {
                    let level: i64 = col(r, 7)?;
                    let id = TileId {
                        level: u8::try_from(level).map_err(|_| {
                            StorageError::Damaged(format!("a tile of level {level}"))
                        })?,
                        index: uint(col(r, 8)?)?,
                    };
                    seq.edge.insert(id, hashes);
                }
                (1, Some(hash)) => {
                    heads.insert(
                        col::<String>(r, 10)?,
                        FeedHead {
                            seq: uint(col(r, 7)?)?,
                            hash: digest(hash)?,
                        },
                    );
                }
                _ => {}
            }
        }
        seq.heads = Some((devices.clone(), heads));
        Ok(seq)
    }
}

impl Sequencer for PgSequencer<'_> {
    fn head(&self) -> Result<LogHead, StorageError> {
        Ok(self.head.clone())
    }

    fn feed_heads(
        &self,
        devices: &BTreeSet<String>,
    ) -> Result<BTreeMap<String, FeedHead>, StorageError> {
        if let Some((read, heads)) = &self.heads
            && devices.is_subset(read)
        {
            return Ok(heads
                .iter()
                .filter(|(d, _)| devices.contains(*d))
                .map(|(d, h)| (d.clone(), *h))
                .collect());
        }
        feed_heads(&mut self.conn.borrow_mut(), devices)
    }

    fn tile(&self, id: TileId) -> Result<Option<Vec<u8>>, StorageError> {
        if let Some(tile) = self.edge.get(&id) {
            return Ok(Some(tile.clone()));
        }
        read_tile(&mut self.conn.borrow_mut(), id)
    }

    fn commit(
        mut self: Box<Self>,
        entries: &[SignedEntry],
        tiles: &[(TileId, Vec<u8>)],
        head: &LogHead,
    ) -> Result<(), StorageError> {
        let first = self.head.tree.size;
        if Some(head.tree.size) != first.checked_add(entries.len() as u64) {
            return Err(StorageError::Backend(format!(
                "a head of {} entries does not follow {first} entries and {} more",
                head.tree.size,
                entries.len()
            )));
        }
        let c = self.conn.get_mut();
        append(c, first, entries, tiles, head)?;
        c.batch_execute("COMMIT")
            .map_err(pg("committing an append"))?;
        self.open = false;
        Ok(())
    }
}

impl Drop for PgSequencer<'_> {
    fn drop(&mut self) {
        if self.open {
            // Nothing of an uncommitted append may stay. A failed rollback means a broken
            // connection, which the pool discards rather than hands out again.
            let _ = self.conn.get_mut().batch_execute("ROLLBACK");
        }
    }
}

/// An append's writes in one statement: the entries from log index `first` (arrays unnested by
/// the server, [`crate::APPEND_ENTRIES`]), the changed tiles (whole new bytes) and the new
/// head; so a commit costs the same few round trips however many entries it holds.
const APPEND: &str = concat!(
    "WITH appended AS (",
    append_entries_sql!(),
    "), tiles AS (
       INSERT INTO log_tiles (level, idx, hashes)
       SELECT * FROM UNNEST($10::SMALLINT[], $11::BIGINT[], $12::BYTEA[])
       ON CONFLICT (level, idx) DO UPDATE SET hashes = EXCLUDED.hashes)
     UPDATE log_head SET size = $13, root = $14, checkpoint = $15, checkpoint_sig = $16,
       note = $17
     WHERE one = 1"
);

/// Writes an append ([`APPEND`]).
fn append(
    c: &mut Client,
    first: u64,
    entries: &[SignedEntry],
    tiles: &[(TileId, Vec<u8>)],
    head: &LogHead,
) -> Result<(), StorageError> {
    let n = entries.len();
    let (mut idx, mut hash, mut device, mut seq, mut case) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    let mut actor_sigs = Vec::with_capacity(n);
    for (i, e) in (first..).zip(entries) {
        let (d_device, d_seq, d_case) = qc_station_storage::entry_place(e)?;
        idx.push(int(i)?);
        hash.push(e.hash().to_vec());
        device.push(d_device);
        seq.push(int(d_seq)?);
        case.push(d_case);
        actor_sigs.push(qc_station_storage::actor_sigs_kept(&e.actor_sigs)?);
    }
    let entry: Vec<&[u8]> = entries.iter().map(|e| e.bytes.as_slice()).collect();
    let body: Vec<Option<&[u8]>> = entries.iter().map(|e| e.body.as_deref()).collect();
    let device_sig: Vec<&[u8]> = entries.iter().map(|e| e.device_sig.as_slice()).collect();
    // One row per tile, the last given winning: ON CONFLICT may not touch a row twice.
    let tiles: BTreeMap<TileId, &[u8]> = tiles.iter().map(|(id, t)| (*id, t.as_slice())).collect();
    let level: Vec<i16> = tiles.keys().map(|id| i16::from(id.level)).collect();
    let tile_idx: Vec<i64> = tiles
        .keys()
        .map(|id| int(id.index))
        .collect::<Result<_, _>>()?;
    let hashes: Vec<&[u8]> = tiles.values().copied().collect();
    let (bytes, signature) = head
        .checkpoint
        .as_ref()
        .map(|c| (c.bytes.as_slice(), c.signature.as_slice()))
        .unzip();
    let updated = c
        .execute(
            APPEND,
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
                &level,
                &tile_idx,
                &hashes,
                &int(head.tree.size)?,
                &head.tree.root.as_slice(),
                &bytes,
                &signature,
                &head.note,
            ],
        )
        .map_err(|e| match e.as_db_error() {
            // The whole batch is refused: the transaction is aborted and rolled back on drop.
            Some(db) if db.code().code() == UNIQUE_VIOLATION => StorageError::Backend(format!(
                "the batch repeats an entry the log holds: {}",
                db.detail().unwrap_or(db.message())
            )),
            _ => pg("appending to the log")(e),
        })?;
    if updated != 1 {
        return Err(StorageError::Damaged(
            "the log's head row is missing".into(),
        ));
    }
    Ok(())
}
