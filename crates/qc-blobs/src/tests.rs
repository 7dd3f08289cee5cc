use std::io::{Read, Write};

use sha2::{Digest, Sha256};

use crate::*;

fn store(dir: &Path) -> BlobStore {
    BlobStore::open(dir.join("blobs"), [9; 32]).unwrap()
}

/// A sealing in the current format, its seed all `b`.
fn v2(b: u8) -> Sealing {
    Sealing::current([b; SEED])
}

/// A sealing in each format (the current one first), its random bytes all `b`.
fn both(b: u8) -> [Sealing; 2] {
    [v2(b), Sealing::ChaCha([b; NONCE_PREFIX])]
}

fn put(s: &BlobStore, data: &[u8], sealing: Sealing) -> ([u8; 32], PathBuf) {
    let hash: [u8; 32] = Sha256::digest(data).into();
    let mut w = s.writer(sealing).unwrap();
    // Odd-sized writes, as a stream would give them.
    for part in data.chunks(10_007) {
        w.write_all(part).unwrap();
    }
    let path = s.commit(w, &hash).unwrap();
    (hash, path)
}

fn read_all(s: &BlobStore, hash: &[u8; 32]) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    s.read(hash)?.read_to_end(&mut out)?;
    Ok(out)
}

fn data(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 31 % 251) as u8).collect()
}

#[test]
fn blobs_round_trip_at_every_chunk_boundary() {
    for sealing in both(1) {
        let dir = tempfile::tempdir().unwrap();
        round_trips_at_every_chunk_boundary(&store(dir.path()), sealing);
    }
}

fn round_trips_at_every_chunk_boundary(s: &BlobStore, sealing: Sealing) {
    for n in [
        1,
        100,
        CHUNK - 1,
        CHUNK,
        CHUNK + 1,
        3 * CHUNK,
        3 * CHUNK + 17,
    ] {
        let d = data(n);
        let (hash, path) = put(s, &d, sealing);
        assert_eq!(
            Sealing::of(&fs::read(path).unwrap()[..HEADER].try_into().unwrap()).unwrap(),
            sealing
        );
        assert!(s.contains(&hash));
        assert_eq!(read_all(s, &hash).unwrap(), d, "size {n}");
        assert_eq!(
            s.size(&hash).unwrap(),
            n as u64,
            "size from the file's length"
        );
        // Each size once per format (a blob is never overwritten).
        s.remove(&hash).unwrap();
    }
}

#[test]
fn the_file_at_rest_is_encrypted() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path());
    let secret = b"PLAINTEXT-EVIDENCE-MARKER ".repeat(5000);
    let (_, path) = put(&s, &secret, v2(1));
    let raw = fs::read(path).unwrap();
    assert!(raw.starts_with(MAGIC_2));
    assert!(!raw.windows(26).any(|w| w == b"PLAINTEXT-EVIDENCE-MARKER "));
    // Another key cannot read it.
    let other = BlobStore::open(dir.path().join("blobs"), [8; 32]).unwrap();
    let hash: [u8; 32] = Sha256::digest(&secret).into();
    assert!(read_all(&other, &hash).is_err());
}

/// The sealed files of known bytes under a known key and seed, as another implementation of
/// format 2 makes them: HKDF-SHA256 and AES-256-GCM of OpenSSL through Python's `cryptography`
/// (48.0), header then 64 KiB chunks, file key = HKDF(salt [`KDF_SALT`], the blob key, info the
/// seed), nonce = 7 zero bytes ‖ counter (big-endian u32) ‖ last-chunk flag. Pins the format at
/// rest to the algorithms, whichever code path the machine takes (VAES, AES-NI, ARMv8,
/// portable): a file sealed on one device or server opens on any other.
#[test]
fn sealed_files_are_byte_for_byte_those_of_another_aes_256_gcm() {
    sealed_as_pinned(&[
        (
            2 * CHUNK + 17,
            v2(5),
            "f3671d560741b439133fdba6ffcb89f5ebce78d298d11caf3381bfb672e4465d",
        ),
        (
            CHUNK,
            v2(6),
            "b46da56e99056448196d9d5c0ff79001604e0733c03657c9ca87645cc641de6d",
        ),
        (
            0,
            v2(7),
            "a9400a924b5bc689cf9bc1bb5e5043d7d13ef8d91993e6a7b7d0befd2b442578",
        ),
    ]);
}

/// Seals `data(n)` as each sealing says: the file has the SHA-256 another implementation's has,
/// and reads back.
fn sealed_as_pinned(vectors: &[(usize, Sealing, &str)]) {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path());
    for &(n, sealing, sha256) in vectors {
        let (hash, path) = put(&s, &data(n), sealing);
        let raw = fs::read(path).unwrap();
        assert_eq!(raw.len() as u64, sealed_len(n as u64), "{n} bytes");
        assert_eq!(hex::encode(Sha256::digest(&raw)), sha256, "{n} bytes");
        assert_eq!(read_all(&s, &hash).unwrap(), data(n));
    }
}

/// Format 1's sealed files (ChaCha20-Poly1305 under the blob key, written until 2026-12, read
/// ever since), as another implementation makes them: OpenSSL's ChaCha20-Poly1305 through
/// Python's `cryptography` (48.0), header then 64 KiB chunks, nonce = prefix ‖ counter
/// (big-endian u32) ‖ last-chunk flag; whichever of the cipher crate's backends this machine
/// runs (AVX2, AVX-512, portable: .cargo/config.toml). Written here as the old code wrote them,
/// and read back.
#[test]
fn sealed_files_of_format_1_are_those_of_another_chacha20_poly1305_and_read_back() {
    let v1 = |b| Sealing::ChaCha([b; NONCE_PREFIX]);
    sealed_as_pinned(&[
        (
            2 * CHUNK + 17,
            v1(5),
            "e6bb1dadbfa78f24fdb0d744b8371922a6fb05ae2e22cdead521b62cf6c1855e",
        ),
        (
            CHUNK,
            v1(6),
            "2d2a4ad1d3deb5ba0606afb0f0aaff3dba61bf92fb85fc2e36a76e846df59858",
        ),
        (
            0,
            v1(7),
            "b5bb4e75d80d77ecd041792182bf435f3c92ec7a3b417ddc21a6af7eaa6457e4",
        ),
    ]);
}

#[test]
fn a_changed_byte_a_cut_file_or_a_swapped_file_is_detected() {
    for sealing in both(1) {
        let dir = tempfile::tempdir().unwrap();
        changes_are_detected(&store(dir.path()), sealing);
    }
}

fn changes_are_detected(s: &BlobStore, sealing: Sealing) {
    let d = data(3 * CHUNK + 5);
    let (hash, path) = put(s, &d, sealing);
    let original = fs::read(&path).unwrap();
    for at in [20, CHUNK, original.len() - 3] {
        let mut t = original.clone();
        t[at] ^= 1;
        fs::write(&path, &t).unwrap();
        assert!(read_all(s, &hash).is_err(), "byte {at}");
    }
    // Cut after whole chunks: the missing last-chunk mark gives it away.
    fs::write(&path, &original[..HEADER + 2 * (CHUNK + TAG)]).unwrap();
    assert!(read_all(s, &hash).is_err());
    // Cut to its header: not even an empty last chunk.
    fs::write(&path, &original[..HEADER]).unwrap();
    assert!(read_all(s, &hash).is_err());
    // Another valid blob put in its place fails the name check.
    let other = data(100);
    let mut other_head = sealing.header();
    other_head[HEADER - 1] ^= 1;
    let (_, other_path) = put(s, &other, Sealing::of(&other_head).unwrap());
    fs::copy(&other_path, &path).unwrap();
    let e = read_all(s, &hash).unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::InvalidData);
    fs::write(&path, &original).unwrap();
    assert_eq!(read_all(s, &hash).unwrap(), d);
}

#[test]
fn blobs_are_written_once_and_never_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path());
    let d = data(5000);
    let (hash, path) = put(&s, &d, v2(1));
    let first = fs::read(&path).unwrap();
    let (_, again) = put(&s, &d, v2(2));
    assert_eq!(again, path);
    assert_eq!(
        fs::read(&path).unwrap(),
        first,
        "the stored file is untouched"
    );
    assert_eq!(
        fs::read_dir(dir.path().join("blobs/tmp")).unwrap().count(),
        0
    );
    // A wrong hash is refused and leaves nothing.
    let mut w = s.writer(v2(3)).unwrap();
    w.write_all(b"something else").unwrap();
    assert!(s.commit(w, &hash).is_err());
    assert_eq!(fs::read(&path).unwrap(), first);
    assert_eq!(
        fs::read_dir(dir.path().join("blobs/tmp")).unwrap().count(),
        0
    );
}

#[test]
fn an_abandoned_writer_leaves_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path());
    let mut w = s.writer(v2(4)).unwrap();
    w.write_all(&data(200_000)).unwrap();
    let tmp = w.temp_path().to_owned();
    assert!(tmp.exists());
    drop(w);
    assert!(!tmp.exists());
}

#[test]
fn evidence_ingest_streams_straight_into_the_encrypted_store() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path());
    let mut pdf = b"%PDF-1.7\n".to_vec();
    pdf.extend(data(300_000));
    let mut w = s.writer(v2(5)).unwrap();
    let info = qc_evidence::ingest(pdf.as_slice(), &mut w, &Default::default()).unwrap();
    s.commit(w, &info.sha256).unwrap();
    assert_eq!(info.mime, "application/pdf");
    assert_eq!(read_all(&s, &info.sha256).unwrap(), pdf);
}

#[test]
fn a_blob_received_in_pieces_reads_back_as_written_and_a_wrong_one_is_discarded() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path());
    for n in [2 * CHUNK, 3 * CHUNK + 17, 10] {
        let d = data(n);
        let hash: [u8; 32] = Sha256::digest(&d).into();
        s.begin_receiving(&hash).unwrap();
        let pieces: Vec<&[u8]> = d.chunks(2 * CHUNK).collect();
        s.receive(&hash, n as u64, 0, pieces[0]).unwrap();
        // The same piece again (its answer was lost) lands in the same place.
        s.receive(&hash, n as u64, 0, pieces[0]).unwrap();
        for (i, p) in pieces.iter().enumerate().skip(1) {
            s.receive(&hash, n as u64, (i * 2 * CHUNK) as u64, p)
                .unwrap();
        }
        assert!(!s.contains(&hash), "not before it is finished");
        assert!(s.finish_receiving(&hash, false).unwrap());
        assert_eq!(read_all(&s, &hash).unwrap(), d, "size {n}");
        assert_eq!(s.size(&hash).unwrap(), n as u64);
    }
    // A piece off the chunk grid is refused; bytes that do not match the name are dropped.
    let d = data(3 * CHUNK);
    let wrong = [9u8; 32];
    s.begin_receiving(&wrong).unwrap();
    assert!(s.receive(&wrong, d.len() as u64, 100, &d[100..]).is_err());
    s.receive(&wrong, d.len() as u64, 0, &d).unwrap();
    assert!(!s.finish_receiving(&wrong, false).unwrap());
    assert!(!s.contains(&wrong));
    assert!(read_all(&s, &wrong).is_err());
}

#[test]
fn the_same_name_received_again_never_reuses_a_nonce() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path());
    let d = data(CHUNK + 10);
    let hash: [u8; 32] = Sha256::digest(&d).into();
    let receiving = dir
        .path()
        .join("blobs/tmp")
        .join(format!("{}.receiving", hex::encode(hash)));
    let mut nonces = std::collections::BTreeSet::new();
    for _ in 0..20 {
        // An upload whose bytes did not match, then the same name again.
        s.begin_receiving(&hash).unwrap();
        let mut junk = d.clone();
        junk[0] ^= 1;
        s.receive(&hash, d.len() as u64, 0, &junk).unwrap();
        let head = std::fs::read(&receiving).unwrap()[..HEADER].to_vec();
        assert!(nonces.insert(head), "a nonce came back");
        assert!(!s.finish_receiving(&hash, false).unwrap());
    }
}

#[test]
fn a_dead_writers_temporary_file_is_removed_on_opening_a_live_ones_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path());
    let mut live = s.writer(v2(7)).unwrap();
    live.write_all(&data(3 * CHUNK)).unwrap();
    // What a killed process leaves: a partial file nobody holds.
    let dead = dir.path().join("blobs/tmp/0102030405060a.partial");
    std::fs::write(&dead, data(CHUNK)).unwrap();
    let again = store(dir.path());
    assert!(!dead.exists(), "a dead writer's file stays");
    assert!(
        live.temp_path().exists(),
        "a live writer's file was removed"
    );
    let d = data(3 * CHUNK);
    let hash: [u8; 32] = Sha256::digest(&d).into();
    again.commit(live, &hash).unwrap();
    assert_eq!(read_all(&again, &hash).unwrap(), d);
}

/// Counts the bytes read through it.
struct Counted<R> {
    inner: R,
    read: std::rc::Rc<std::cell::Cell<u64>>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.set(self.read.get() + n as u64);
        Ok(n)
    }
}

#[test]
fn any_range_reads_back_from_only_the_chunks_that_hold_it() {
    for sealing in both(40) {
        let dir = tempfile::tempdir().unwrap();
        ranges_read_back(&store(dir.path()), sealing);
    }
}

fn ranges_read_back(s: &BlobStore, sealing: Sealing) {
    let c = CHUNK as u64;
    for n in [1, CHUNK, CHUNK + 1, 3 * CHUNK + 17] {
        let d = data(n);
        let (hash, path) = put(s, &d, sealing);
        let size = n as u64;
        let file = std::fs::read(&path).unwrap();
        assert_eq!(file.len() as u64, sealed_len(size));
        for range in [
            0..1,
            0..size,
            size - 1..size,
            c - 1..c + 1,
            c..size,
            17..2 * c + 5,
            0..c,
            c..2 * c,
        ] {
            if range.end > size || range.start >= range.end {
                continue;
            }
            let want = &d[range.start as usize..range.end as usize];
            let mut got = Vec::new();
            s.read_range(&hash, size, range.clone())
                .unwrap()
                .read_to_end(&mut got)
                .unwrap();
            assert_eq!(got, want, "size {n}, range {range:?}");
            // Read from the span alone, as an object store's ranged GET gives it: only the
            // chunks holding the range are read.
            let span = sealed_span(size, &range).unwrap();
            let chunks = (range.end - 1) / c - range.start / c + 1;
            assert!(span.end - span.start <= chunks * (c + TAG as u64));
            let read = std::rc::Rc::new(std::cell::Cell::new(0));
            let source = Counted {
                inner: &file[span.start as usize..span.end as usize],
                read: read.clone(),
            };
            let sealing = Sealing::of(file[..HEADER].try_into().unwrap()).unwrap();
            let mut got = Vec::new();
            s.sealer
                .range_reader(&sealing, size, range.clone(), source)
                .unwrap()
                .read_to_end(&mut got)
                .unwrap();
            assert_eq!(got, want);
            assert_eq!(
                read.get(),
                span.end - span.start,
                "size {n}, range {range:?}"
            );
        }
        // Nothing outside the blob, nor an empty range.
        assert!(s.read_range(&hash, size, 0..size + 1).is_err());
        assert!(s.read_range(&hash, size, 1..1).is_err());
    }
}

#[test]
fn a_range_of_a_changed_cut_or_reordered_file_fails() {
    for sealing in both(60) {
        let dir = tempfile::tempdir().unwrap();
        ranges_of_changed_files_fail(&store(dir.path()), sealing);
    }
}

fn ranges_of_changed_files_fail(s: &BlobStore, sealing: Sealing) {
    let c = CHUNK as u64;
    let d = data(3 * CHUNK + 17);
    let size = d.len() as u64;
    let (hash, path) = put(s, &d, sealing);
    let read = |range: Range<u64>, size: u64| -> io::Result<Vec<u8>> {
        let mut got = Vec::new();
        s.read_range(&hash, size, range)?.read_to_end(&mut got)?;
        Ok(got)
    };
    let original = std::fs::read(&path).unwrap();

    // A byte of the second chunk changed: a range in it fails, one in the first still reads.
    let mut changed = original.clone();
    changed[sealed_offset(c) as usize + 5] ^= 1;
    std::fs::write(&path, &changed).unwrap();
    assert!(read(c..c + 10, size).is_err());
    assert_eq!(read(0..10, size).unwrap(), &d[..10]);

    // Cut after the third chunk: the third is not sealed as the last, so reading it as the
    // end of a shorter blob fails, and the real last chunk is gone.
    std::fs::write(&path, &original[..sealed_offset(3 * c) as usize]).unwrap();
    assert!(read(2 * c..3 * c, 3 * c).is_err());
    assert!(read(3 * c..size, size).is_err());

    // Chunks swapped: each is bound to its position.
    let mut swapped = original.clone();
    let (a, b) = (sealed_offset(0) as usize, sealed_offset(c) as usize);
    let first = original[a..b].to_vec();
    swapped.copy_within(b..b + (b - a), a);
    swapped[b..b + (b - a)].copy_from_slice(&first);
    std::fs::write(&path, &swapped).unwrap();
    assert!(read(0..10, size).is_err());
    assert!(read(c..c + 10, size).is_err());
}

#[test]
fn a_recording_survives_up_to_its_last_whole_piece() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path());
    let pieces: Vec<Vec<u8>> = (0..5).map(|i| data(1000 + i * 333)).collect();
    let mut j = s.start_recording("rec-1", b"{\"case\":\"A\"}").unwrap();
    for (i, p) in pieces.iter().enumerate() {
        j.append(1_000 + i as i64, p).unwrap();
    }
    assert_eq!(
        j.bytes(),
        pieces.iter().map(|p| p.len() as u64).sum::<u64>()
    );
    // A recording at work is not left over, even to another opener of the store.
    assert!(s.recordings_left().unwrap().is_empty());
    assert!(store(dir.path()).recordings_left().unwrap().is_empty());
    assert!(s.claim_recording("rec-1").unwrap().is_none());
    // Stopped and claimed by its keeper: still not left, and not another's to claim.
    j.append(1_010, b"").unwrap();
    let claim = j.into_claim();
    assert!(s.recordings_left().unwrap().is_empty());
    assert!(s.claim_recording("rec-1").unwrap().is_none());
    let scan = s.scan_recording(&claim).unwrap();
    assert_eq!(scan.meta, b"{\"case\":\"A\"}");
    assert_eq!(
        (scan.pieces, scan.last_at, scan.stopped_at, scan.torn),
        (6, Some(1_004), Some(1_010), false)
    );
    let mut got = Vec::new();
    s.read_recording(&claim, scan.pieces)
        .unwrap()
        .read_to_end(&mut got)
        .unwrap();
    assert_eq!(got, pieces.concat());
    // A keep that failed lets it go: left now.
    drop(claim);
    assert_eq!(s.recordings_left().unwrap(), ["rec-1"]);

    let path = dir.path().join("blobs/recording/rec-1.journal");
    let whole = std::fs::read(&path).unwrap();
    // Nothing of it is there in the clear.
    assert!(!whole.windows(64).any(|w| w == &pieces[0][..64]));
    let stop = 4 + 8 + TAG;
    // Killed in the middle of writing the last piece: the four before it read back.
    std::fs::write(&path, &whole[..whole.len() - stop - 100]).unwrap();
    let claim = s.claim_recording("rec-1").unwrap().unwrap();
    let scan = s.scan_recording(&claim).unwrap();
    assert_eq!(
        (scan.pieces, scan.last_at, scan.stopped_at, scan.torn),
        (4, Some(1_003), None, true)
    );
    let mut got = Vec::new();
    s.read_recording(&claim, scan.pieces)
        .unwrap()
        .read_to_end(&mut got)
        .unwrap();
    assert_eq!(got, pieces[..4].concat());

    // A damaged piece ends the recording there; asking for more than reads back fails.
    let mut damaged = whole.clone();
    let frame = |p: &Vec<u8>| 4 + 8 + p.len() + TAG;
    let third = whole.len() - stop - pieces[2..].iter().map(frame).sum::<usize>();
    damaged[third + 10] ^= 1;
    std::fs::write(&path, &damaged).unwrap();
    let scan = s.scan_recording(&claim).unwrap();
    assert_eq!((scan.pieces, scan.torn), (2, true));
    let mut sink = Vec::new();
    assert!(
        s.read_recording(&claim, 3)
            .unwrap()
            .read_to_end(&mut sink)
            .is_err()
    );

    // Another key reads nothing of it; an id that is a path is refused.
    assert!(
        BlobStore::open(dir.path().join("blobs"), [8u8; 32])
            .unwrap()
            .scan_recording(&claim)
            .is_err()
    );
    assert!(s.start_recording("../x", b"").is_err());
    s.remove_recording(claim).unwrap();
    assert!(s.recordings_left().unwrap().is_empty());
}

#[test]
fn a_range_header_asks_for_part_of_a_file_or_all_of_it() {
    let part = |h: &str, size| asked_range(Some(h), size).unwrap().unwrap();
    assert_eq!(asked_range(None, 100), Ok(None));
    assert_eq!(part("bytes=0-", 100), 0..100);
    assert_eq!(part("bytes=10-19", 100), 10..20);
    assert_eq!(part("bytes=-5", 100), 95..100);
    assert_eq!(part("Bytes=10-19", 100), 10..20);
    // Past the end: cut at the end; a suffix longer than the file is all of it.
    assert_eq!(part("bytes=90-500", 100), 90..100);
    assert_eq!(part("bytes=-500", 100), 0..100);
    // Headers a server ignores: all of the file.
    for ignored in [
        "bytes=0-1,5-6",
        "items=0-1",
        "bytes=x-y",
        "bytes=5-1",
        "bytes=-",
    ] {
        assert_eq!(asked_range(Some(ignored), 100), Ok(None), "{ignored}");
    }
    assert_eq!(asked_range(Some("bytes=0-"), 0), Ok(None));
    // Starting past the end, or the last no bytes: refused (RFC 9110 §14.1.3).
    for unsatisfiable in ["bytes=100-", "bytes=-0", "bytes=-000"] {
        assert_eq!(
            asked_range(Some(unsatisfiable), 100),
            Err(RangeNotSatisfiable),
            "{unsatisfiable}"
        );
    }
}

/// A blob being received when the code changed to format 2 goes on in the format its file was
/// begun in.
#[test]
fn a_blob_begun_in_format_1_is_received_to_the_end_in_it() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path());
    let d = data(2 * CHUNK + 9);
    let hash: [u8; 32] = Sha256::digest(&d).into();
    s.begin_receiving(&hash).unwrap();
    let old = Sealing::ChaCha([3; NONCE_PREFIX]);
    fs::write(s.receiving_path(&hash), old.header()).unwrap();
    s.receive(&hash, d.len() as u64, 0, &d[..CHUNK]).unwrap();
    s.receive(&hash, d.len() as u64, CHUNK as u64, &d[CHUNK..])
        .unwrap();
    assert!(s.finish_receiving(&hash, false).unwrap());
    assert!(fs::read(s.path(&hash)).unwrap().starts_with(MAGIC));
    assert_eq!(read_all(&s, &hash).unwrap(), d);
}
