//! The store-independent test suite: every [`Evidence`] must pass it.
#![doc(hidden)]
// A test suite: failing loudly is its job.
#![allow(clippy::unwrap_used)]

use std::io::Read as _;
use std::time::Instant;

use sha2::{Digest as _, Sha256};

use crate::{Evidence, EvidenceError};

const K: usize = 64 * 1024;
const MIB: usize = 1024 * 1024;

/// Flips the byte at an offset of the sealed bytes kept for a complete blob.
pub type Flip<E> = Box<dyn Fn(&E, &[u8; 32], u64) + Send + Sync>;

/// A check of the suite.
type Check<E> = (&'static str, fn(Place<E>));

/// One empty store for the suite's checks.
pub struct Place<E> {
    /// Opens an instance on this store; each call is another process on the same store.
    pub open: Box<dyn Fn() -> E + Send + Sync>,
    /// Flips the byte at `at` of the sealed bytes kept for a complete blob.
    pub flip: Flip<E>,
}

/// Runs every check, each on a store made by `fresh`; prints how long each took.
pub fn run<E: Evidence>(fresh: impl Fn() -> Place<E>) {
    let checks: [Check<E>; 12] = [
        (
            "pieces_of_uneven_sizes_make_the_whole",
            pieces_of_uneven_sizes_make_the_whole,
        ),
        (
            "another_instance_continues_an_upload",
            another_instance_continues_an_upload,
        ),
        (
            "beginning_again_replaces_an_upload",
            beginning_again_replaces_an_upload,
        ),
        (
            "a_wrong_hash_is_discarded_and_never_visible",
            a_wrong_hash_is_discarded_and_never_visible,
        ),
        (
            "pieces_out_of_turn_are_refused",
            pieces_out_of_turn_are_refused,
        ),
        (
            "a_flipped_byte_fails_the_reader",
            a_flipped_byte_fails_the_reader,
        ),
        (
            "a_large_blob_reads_back_equal_in_small_reads",
            a_large_blob_reads_back_equal_in_small_reads,
        ),
        ("an_empty_blob_is_kept", an_empty_blob_is_kept),
        (
            "a_blob_in_one_piece_is_kept_only_if_it_matches",
            a_blob_in_one_piece_is_kept_only_if_it_matches,
        ),
        (
            "a_blob_put_whole_is_kept_at_once_and_removed",
            a_blob_put_whole_is_kept_at_once_and_removed,
        ),
        ("works_inside_spawn_blocking", works_inside_spawn_blocking),
        (
            "ranges_read_back_and_a_flipped_byte_fails_its_range",
            ranges_read_back_and_a_flipped_byte_fails_its_range,
        ),
    ];
    for (name, check) in checks {
        let started = Instant::now();
        check(fresh());
        eprintln!("evidence suite: {name} ok in {:.2?}", started.elapsed());
    }
}

/// Deterministic, incompressible-looking bytes.
pub fn data(n: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// The SHA-256 of `bytes`.
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// Sends `data` from where the upload stands in pieces of the given sizes (the last cut short
/// at the end), checking `received` after each.
pub fn send(e: &impl Evidence, hash: &[u8; 32], data: &[u8], sizes: &[usize]) {
    let size = data.len() as u64;
    let mut at = e.received(hash, size).unwrap() as usize;
    for &n in sizes {
        if at >= data.len() {
            break;
        }
        let end = (at + n).min(data.len());
        e.receive(hash, size, at as u64, &data[at..end]).unwrap();
        at = end;
        assert_eq!(
            e.received(hash, size).unwrap(),
            at as u64,
            "received after a piece"
        );
    }
}

/// Reads a whole blob.
pub fn read_all(e: &impl Evidence, hash: &[u8; 32]) -> Vec<u8> {
    let mut back = Vec::new();
    e.open(hash).unwrap().read_to_end(&mut back).unwrap();
    back
}

/// Small pieces first (64 KiB, so waiting pieces must make up S3's 5 MiB parts), then larger
/// uneven ones.
fn uneven() -> Vec<usize> {
    let mut sizes = vec![K, K, 3 * K, 2 * K];
    sizes.extend(std::iter::repeat_n(K, 80));
    sizes.extend([MIB, 7 * K, 6 * MIB, K, 2 * MIB, 9 * MIB]);
    sizes
}

fn pieces_of_uneven_sizes_make_the_whole<E: Evidence>(place: Place<E>) {
    let e = (place.open)();
    let blob = data(13 * MIB + 1234, 1);
    let hash = sha256(&blob);
    let size = blob.len() as u64;
    assert!(!e.contains(&hash).unwrap(), "nothing yet");
    assert_eq!(e.received(&hash, size).unwrap(), 0);
    e.begin(&hash, size).unwrap();
    send(&e, &hash, &blob, &uneven());
    assert_eq!(e.received(&hash, size).unwrap(), size, "all received");
    assert!(!e.contains(&hash).unwrap(), "not visible before finishing");
    assert!(e.open(&hash).is_err(), "not readable before finishing");
    assert!(e.finish(&hash, size, true).unwrap(), "kept");
    assert!(e.contains(&hash).unwrap());
    assert_eq!(e.received(&hash, size).unwrap(), 0, "no upload left");
    assert!(read_all(&e, &hash) == blob, "reads back as sent");
}

fn another_instance_continues_an_upload<E: Evidence>(place: Place<E>) {
    let blob = data(12 * MIB + 77, 2);
    let hash = sha256(&blob);
    let size = blob.len() as u64;
    let a = (place.open)();
    a.begin(&hash, size).unwrap();
    // A whole part and some pieces waiting to make the next.
    send(&a, &hash, &blob, &[6 * MIB, K, K, 2 * K]);
    let held = a.received(&hash, size).unwrap();
    assert_eq!(held, (6 * MIB + 4 * K) as u64);
    drop(a);
    let b = (place.open)();
    assert_eq!(
        b.received(&hash, size).unwrap(),
        held,
        "the other instance sees it"
    );
    send(&b, &hash, &blob, &[K, 3 * MIB, 8 * MIB]);
    // The second instance did not see the first bytes arrive: it reads them back.
    assert!(
        b.finish(&hash, size, false).unwrap(),
        "kept after reading back"
    );
    let c = (place.open)();
    assert!(c.contains(&hash).unwrap());
    assert!(read_all(&c, &hash) == blob);
}

fn beginning_again_replaces_an_upload<E: Evidence>(place: Place<E>) {
    let e = (place.open)();
    let blob = data(6 * MIB + 5, 3);
    let hash = sha256(&blob);
    let size = blob.len() as u64;
    e.begin(&hash, size).unwrap();
    // Something else under the name: replaced by the restart, not mixed in.
    let junk = data(blob.len(), 99);
    send(&e, &hash, &junk, &[K, 5 * MIB, K]);
    assert!(e.received(&hash, size).unwrap() > 0);
    e.begin(&hash, size).unwrap();
    assert_eq!(e.received(&hash, size).unwrap(), 0, "started over");
    send(&e, &hash, &blob, &[2 * K, 3 * MIB, 8 * MIB]);
    assert!(e.finish(&hash, size, false).unwrap());
    assert!(read_all(&e, &hash) == blob);

    // Discarding drops an upload.
    let other = data(300 * 1024, 4);
    let other_hash = sha256(&other);
    e.begin(&other_hash, other.len() as u64).unwrap();
    send(&e, &other_hash, &other, &[K]);
    e.discard(&other_hash).unwrap();
    e.discard(&other_hash).unwrap();
    assert_eq!(e.received(&other_hash, other.len() as u64).unwrap(), 0);
    assert!(!e.contains(&other_hash).unwrap());
}

fn a_wrong_hash_is_discarded_and_never_visible<E: Evidence>(place: Place<E>) {
    let e = (place.open)();
    let blob = data(6 * MIB + 100, 5);
    let claimed = sha256(b"something else");
    let size = blob.len() as u64;
    e.begin(&claimed, size).unwrap();
    send(&e, &claimed, &blob, &[K, 6 * MIB]);
    assert!(!e.finish(&claimed, size, false).unwrap(), "not kept");
    assert!(!e.contains(&claimed).unwrap(), "nothing visible");
    assert!(matches!(e.open(&claimed), Err(EvidenceError::NotFound(_))));
    assert_eq!(e.received(&claimed, size).unwrap(), 0, "upload gone");
    assert!(
        e.finish(&claimed, size, false).is_err(),
        "nothing left to finish"
    );
    // A small one, all in one piece.
    e.begin(&claimed, 3).unwrap();
    e.receive(&claimed, 3, 0, b"abc").unwrap();
    assert!(!e.finish(&claimed, 3, false).unwrap());
    assert!(!e.contains(&claimed).unwrap());
}

fn pieces_out_of_turn_are_refused<E: Evidence>(place: Place<E>) {
    let e = (place.open)();
    let blob = data(5 * K + 10, 6);
    let hash = sha256(&blob);
    let size = blob.len() as u64;
    assert!(
        e.receive(&hash, size, 0, &blob[..K]).is_err(),
        "no upload begun"
    );
    e.begin(&hash, size).unwrap();
    assert!(
        e.receive(&hash, size, K as u64, &blob[K..2 * K]).is_err(),
        "a gap"
    );
    assert!(
        e.receive(&hash, size, 0, &blob[..K + 1]).is_err(),
        "not whole chunks"
    );
    e.receive(&hash, size, 0, &blob[..2 * K]).unwrap();
    assert!(e.receive(&hash, size, 0, &blob[..K]).is_err(), "behind");
    assert!(e.finish(&hash, size, true).is_err(), "not all received");
    e.receive(&hash, size, 2 * K as u64, &blob[2 * K..])
        .unwrap();
    assert!(e.finish(&hash, size, true).unwrap());
    assert!(read_all(&e, &hash) == blob);
}

fn a_flipped_byte_fails_the_reader<E: Evidence>(place: Place<E>) {
    let e = (place.open)();
    let blob = data(200 * 1024, 7);
    let hash = sha256(&blob);
    let size = blob.len() as u64;
    e.begin(&hash, size).unwrap();
    send(&e, &hash, &blob, &[K, 2 * K, K]);
    assert!(e.finish(&hash, size, false).unwrap());
    assert!(read_all(&e, &hash) == blob);
    (place.flip)(&e, &hash, 100_000);
    let mut back = Vec::new();
    let read = e.open(&hash).and_then(|mut r| {
        r.read_to_end(&mut back)
            .map_err(|source| EvidenceError::Io {
                what: "read".into(),
                source,
            })
    });
    assert!(read.is_err(), "a changed byte is detected");
}

/// Reads a range of a blob; the error of opening or reading it.
fn read_range(
    e: &impl Evidence,
    hash: &[u8; 32],
    size: u64,
    range: std::ops::Range<u64>,
) -> Result<Vec<u8>, EvidenceError> {
    let mut back = Vec::new();
    e.open_range(hash, size, range)?
        .read_to_end(&mut back)
        .map_err(|source| EvidenceError::Io {
            what: "read a range".into(),
            source,
        })?;
    Ok(back)
}

fn ranges_read_back_and_a_flipped_byte_fails_its_range<E: Evidence>(place: Place<E>) {
    let e = (place.open)();
    let blob = data(5 * K + 123, 11);
    let hash = sha256(&blob);
    let size = blob.len() as u64;
    assert!(matches!(
        e.open_range(&hash, size, 0..1),
        Err(EvidenceError::NotFound(_))
    ));
    e.put_whole(&hash, &blob).unwrap();
    let k = K as u64;
    for range in [0..1, 0..size, k - 1..k + 1, 3 * k + 5..size, size - 1..size] {
        let back = read_range(&e, &hash, size, range.clone()).unwrap();
        assert!(
            back == blob[range.start as usize..range.end as usize],
            "bytes {range:?}"
        );
    }
    assert!(read_range(&e, &hash, size, 0..size + 1).is_err());
    // A byte of the third chunk changed: a range there fails, one in the first still reads.
    (place.flip)(&e, &hash, qc_blobs::sealed_offset(2 * k) + 10);
    assert!(read_range(&e, &hash, size, 2 * k..2 * k + 100).is_err());
    assert!(read_range(&e, &hash, size, 0..100).unwrap() == blob[..100]);
}

fn a_large_blob_reads_back_equal_in_small_reads<E: Evidence>(place: Place<E>) {
    let e = (place.open)();
    let blob = data(20 * MIB + 4321, 8);
    let hash = sha256(&blob);
    let size = blob.len() as u64;
    e.begin(&hash, size).unwrap();
    send(&e, &hash, &blob, &[8 * MIB; 3]);
    assert!(e.finish(&hash, size, true).unwrap());
    // Small reads through the whole blob: the reader holds a chunk, not the blob.
    let mut r = e.open(&hash).unwrap();
    let mut buf = [0u8; 1000];
    let mut at = 0;
    loop {
        let n = r.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        assert!(buf[..n] == blob[at..at + n], "bytes at {at}");
        at += n;
    }
    assert_eq!(at, blob.len());
}

fn an_empty_blob_is_kept<E: Evidence>(place: Place<E>) {
    let e = (place.open)();
    let hash = sha256(b"");
    e.begin(&hash, 0).unwrap();
    assert_eq!(e.received(&hash, 0).unwrap(), 0);
    e.receive(&hash, 0, 0, b"").unwrap();
    assert!(e.finish(&hash, 0, false).unwrap());
    assert!(read_all(&e, &hash).is_empty());
}

fn a_blob_in_one_piece_is_kept_only_if_it_matches<E: Evidence>(place: Place<E>) {
    // A file under a device's chunk size: the whole of it in one piece.
    let blob = data(2 * MIB + 500 * K + 7, 13);
    let hash = sha256(&blob);
    let size = blob.len() as u64;
    let a = (place.open)();
    a.begin(&hash, size).unwrap();
    a.receive(&hash, size, 0, &blob).unwrap();
    // Another process, which did not see the bytes arrive, finishes it.
    let b = (place.open)();
    assert!(b.finish(&hash, size, false).unwrap(), "kept");
    assert!(b.contains(&hash).unwrap());
    assert_eq!(b.received(&hash, size).unwrap(), 0, "no upload left");
    assert!(read_all(&a, &hash) == blob, "reads back as sent");

    let claimed = sha256(b"not these bytes");
    let wrong = data(blob.len(), 14);
    a.begin(&claimed, size).unwrap();
    a.receive(&claimed, size, 0, &wrong).unwrap();
    assert!(!a.contains(&claimed).unwrap(), "not visible once received");
    assert_eq!(a.received(&claimed, size).unwrap(), size);
    assert!(!b.finish(&claimed, size, false).unwrap(), "refused");
    assert!(!a.contains(&claimed).unwrap(), "nothing visible");
    assert!(matches!(a.open(&claimed), Err(EvidenceError::NotFound(_))));
    assert_eq!(a.received(&claimed, size).unwrap(), 0, "upload gone");
    assert!(
        a.finish(&claimed, size, false).is_err(),
        "nothing left to finish"
    );
}

fn a_blob_put_whole_is_kept_at_once_and_removed<E: Evidence>(place: Place<E>) {
    let blob = data(2 * MIB + 500 * K + 7, 16);
    let hash = sha256(&blob);
    let a = (place.open)();
    a.put_whole(&hash, &blob).unwrap();
    let b = (place.open)();
    assert!(b.contains(&hash).unwrap(), "visible to every process");
    assert!(read_all(&b, &hash) == blob, "reads back as sent");
    assert_eq!(
        b.received(&hash, blob.len() as u64).unwrap(),
        0,
        "no upload"
    );
    // An original deleted with approval: gone for every process, and removing it again is fine.
    b.remove(&hash).unwrap();
    assert!(!a.contains(&hash).unwrap(), "removed for every process");
    assert!(a.open(&hash).is_err(), "nothing to read");
    a.remove(&hash).unwrap();
}

fn works_inside_spawn_blocking<E: Evidence>(place: Place<E>) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let e = (place.open)();
    let blob = data(6 * MIB + 3, 9);
    let hash = sha256(&blob);
    let back = rt.block_on(async move {
        tokio::task::spawn_blocking(move || {
            let size = blob.len() as u64;
            e.begin(&hash, size).unwrap();
            send(&e, &hash, &blob, &[K, 6 * MIB]);
            assert!(e.finish(&hash, size, false).unwrap());
            (read_all(&e, &hash) == blob, e)
        })
        .await
        .unwrap()
    });
    assert!(back.0, "reads back inside spawn_blocking");
    // Dropped on an async task: an instance's own runtime must not panic there.
    let e = back.1;
    rt.block_on(async move {
        tokio::spawn(async move { drop(e) }).await.unwrap();
    });
    // Opened and used on a blocking thread, then the reader moved back out.
    let e = (place.open)();
    let mut r = rt
        .block_on(async move { tokio::task::spawn_blocking(move || e.open(&hash).unwrap()).await })
        .unwrap();
    let mut all = Vec::new();
    r.read_to_end(&mut all).unwrap();
    assert_eq!(sha256(&all), hash);
}
