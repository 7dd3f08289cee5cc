//! Evidence files at rest. Each file is named by the SHA-256 of its original bytes, written
//! once (temporary file, fsync, rename) and never modified, and encrypted in the STREAM
//! construction (64 KiB chunks, each authenticated, the last one marked), so a file of any size
//! is written and read in constant memory and any change, truncation or swap is detected on
//! reading.
//!
//! Two formats, both read; new files are written in format 2. Each has a 15-byte header, then
//! the ciphertext chunks (65,552 bytes each but the last: 64 KiB and a 16-byte tag):
//! - Format 2: `QCB\x02` (4 bytes) and an 11-byte random seed; the chunks are sealed with
//!   AES-256-GCM under the file's own key, HKDF-SHA256 of the blob key (salt [`KDF_SALT`], info
//!   the seed, 32 bytes); a chunk's nonce is 7 zero bytes ‖ its counter (big-endian u32, from 0)
//!   ‖ 1 for the last chunk, else 0.
//! - Format 1 (written until 2026-12): `QCBLOB\0\x01` (8 bytes) and a 7-byte random nonce
//!   prefix; the chunks are sealed with ChaCha20-Poly1305 under the blob key itself; a chunk's
//!   nonce is the prefix ‖ its counter ‖ the last-chunk flag.
//!
//! Why format 2: AES-GCM runs on the processors' AES instructions (AES-NI and VAES on x86, the
//! ARMv8 crypto extensions on tablets): 3.6 times ChaCha20-Poly1305 on the station we measure,
//! and every evidence byte is sealed at the device, opened there to be sent, and sealed again
//! at the station (docs/benchmarks.md, issue 14). A key per file because a repeated GCM nonce
//! under one key gives away its authentication key: format 1's 56 random bits per file would
//! repeat within some hundred million files, the seed's 88 bits not within 2^40.
//!
//! The sealing itself ([`Sealer`], [`SealedReader`], [`Sealing`], [`sealed_offset`]) is public
//! so that other stores of evidence (objects in S3) keep the same format with the same code.
//!
//! A range of a blob (a player seeking in a video) is read by decrypting only the chunks that
//! hold it ([`sealed_span`], [`Sealer::range_reader`]): each chunk is authenticated as sealed
//! under this key and the file's nonce prefix, at its position, and as the last or not, so a
//! changed, cut or reordered file fails. A range is not bound to the blob's name: another
//! blob's whole sealed file put in its place reads back as that blob's bytes until a whole read
//! checks the SHA-256 (which the station does before it offers a file for playing).

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};

use std::io::Seek;

use aead_stream::{NewStream, StreamPrimitive};
use chacha20poly1305::ChaCha20Poly1305;
use chacha20poly1305::aead::KeyInit;
use ring::{aead, hkdf};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

mod journal;
pub use journal::{Journal, JournalReader, JournalScan, MAX_FRAME, RecordingClaim};

/// Format 1's magic.
const MAGIC: &[u8; 8] = b"QCBLOB\0\x01";
/// Format 2's magic.
const MAGIC_2: &[u8; 4] = b"QCB\x02";
/// The HKDF salt of format 2's file keys.
pub const KDF_SALT: &[u8] = b"QCBLOB 2 AES-256-GCM";
/// Bytes of original content per sealed chunk; pieces received in parts start at multiples of it.
pub const CHUNK: usize = 64 * 1024;
/// Bytes each sealed chunk adds to its content (the AEAD's tag).
pub const TAG: usize = 16;
/// Bytes of random nonce prefix per file of format 1 (and per recording journal):
/// ChaCha20-Poly1305's 12-byte nonce less STREAM's 5.
pub const NONCE_PREFIX: usize = 7;
/// Bytes of a sealed file's header (either format).
pub const HEADER: usize = MAGIC.len() + NONCE_PREFIX;
/// Bytes of random seed per file of format 2, from which its key is drawn.
pub const SEED: usize = HEADER - MAGIC_2.len();

/// How a sealed file's chunks are sealed, as its header says: the format and the file's own
/// random bytes. Every sealing of a file draws fresh ones ([`Sealing::fresh`]): bytes derived
/// from the content's name would repeat when the same name is sealed again, and two contents
/// under one key and nonce give away both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sealing {
    /// Format 1: ChaCha20-Poly1305 under the blob key, nonces under this prefix (read; written
    /// only to test the reading).
    ChaCha([u8; NONCE_PREFIX]),
    /// Format 2: AES-256-GCM under the key drawn from the blob key and this seed.
    Aes([u8; SEED]),
}

impl Sealing {
    /// The format files are written in, under `seed` (fresh random bytes).
    pub fn current(seed: [u8; SEED]) -> Sealing {
        Sealing::Aes(seed)
    }

    /// The format files are written in, under a fresh random seed.
    pub fn fresh() -> io::Result<Sealing> {
        fresh().map(Sealing::current)
    }

    /// The sealing a file's header names (the header checked).
    pub fn of(head: &[u8; HEADER]) -> io::Result<Sealing> {
        /// The header's last `N` bytes: its random ones, after the magic.
        fn random<const N: usize>(head: &[u8; HEADER]) -> [u8; N] {
            let mut bytes = [0u8; N];
            bytes.copy_from_slice(&head[HEADER - N..]);
            bytes
        }
        if head.starts_with(MAGIC_2) {
            Ok(Sealing::Aes(random(head)))
        } else if head.starts_with(MAGIC) {
            Ok(Sealing::ChaCha(random(head)))
        } else {
            Err(invalid("not a Quancheng blob file"))
        }
    }

    /// The header a file sealed so starts with.
    pub fn header(&self) -> [u8; HEADER] {
        let magic: &[u8] = match self {
            Sealing::ChaCha(_) => MAGIC,
            Sealing::Aes(_) => MAGIC_2,
        };
        let mut head = [0u8; HEADER];
        head[..magic.len()].copy_from_slice(magic);
        head[magic.len()..].copy_from_slice(self.random());
        head
    }

    /// The file's own random bytes.
    pub fn random(&self) -> &[u8] {
        match self {
            Sealing::ChaCha(prefix) => prefix,
            Sealing::Aes(seed) => seed,
        }
    }
}

/// Where in a sealed file the chunk starting at original byte `offset` (a multiple of
/// [`CHUNK`]) begins.
pub fn sealed_offset(offset: u64) -> u64 {
    HEADER as u64 + offset / CHUNK as u64 * (CHUNK + TAG) as u64
}

/// The length of the sealed file of a blob of `size` bytes (header, chunks and their tags; an
/// empty blob is one empty chunk).
pub fn sealed_len(size: u64) -> u64 {
    let chunks = size.div_ceil(CHUNK as u64).max(1);
    HEADER as u64 + size + chunks * TAG as u64
}

/// Where in the sealed file of a blob of `size` bytes lie the chunks that hold its original
/// bytes `range`: what a [`Sealer::range_reader`] of that range reads. The range must be
/// non-empty and within the blob.
pub fn sealed_span(size: u64, range: &Range<u64>) -> io::Result<Range<u64>> {
    if range.start >= range.end || range.end > size {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "bytes {}..{} are not a range of a {size}-byte blob",
                range.start, range.end
            ),
        ));
    }
    let chunk = CHUNK as u64;
    let after = (range.end - 1) / chunk + 1;
    Ok(sealed_offset(range.start / chunk * chunk)
        ..sealed_offset(after * chunk).min(sealed_len(size)))
}

/// A `Range` that starts past the end of the file, or asks for the last no bytes: answered 416
/// with the file's size (RFC 9110 §14.1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RangeNotSatisfiable;

/// The part of a file of `size` bytes a `Range` header asks for (RFC 9110 §14.1.2): `Ok(None)`
/// for the whole file (no header, or one a server ignores: unreadable, another unit, several
/// ranges, a last byte before the first; and for an empty file), `Ok(Some(range))` for one
/// range within the file (cut at its end; a suffix longer than the file is all of it). Every
/// player of evidence reads ranges through this one reading (the console's, the app's).
pub fn asked_range(
    header: Option<&str>,
    size: u64,
) -> Result<Option<Range<u64>>, RangeNotSatisfiable> {
    use http_range_header::{EndPosition, RangeUnsatisfiableError as Unsatisfiable, StartPosition};
    // Units compare without case (§14.1); the parser knows `bytes=` only.
    let Some(ranges) = header
        .and_then(|h| h.trim().split_once('='))
        .filter(|(unit, _)| unit.trim().eq_ignore_ascii_case("bytes"))
        .map(|(_, ranges)| ranges.trim())
    else {
        return Ok(None);
    };
    // A suffix of no bytes selects nothing: unsatisfiable, where the parser sees a syntax
    // error to ignore.
    let no_bytes = ranges
        .strip_prefix('-')
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b == b'0'));
    if no_bytes {
        return Err(RangeNotSatisfiable);
    }
    let Ok(parsed) = http_range_header::parse_range_header(&format!("bytes={ranges}")) else {
        return Ok(None);
    };
    let [one] = parsed.ranges.as_slice() else {
        return Ok(None);
    };
    // A last byte before the first makes the header invalid, to be ignored (§14.1.1).
    let reversed = matches!(
        (one.start, one.end),
        (StartPosition::Index(first), EndPosition::Index(last)) if last < first
    );
    if size == 0 || reversed {
        return Ok(None);
    }
    match parsed.validate(size) {
        Ok(ranges) => Ok(Some(
            ranges.first().map_or(0..size, |r| *r.start()..*r.end() + 1),
        )),
        Err(Unsatisfiable::FileSuffixOutOfBounds) => Ok(Some(0..size)),
        Err(_) => Err(RangeNotSatisfiable),
    }
}

/// Fresh random bytes (a seed, a nonce prefix).
pub(crate) fn fresh<const N: usize>() -> io::Result<[u8; N]> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(io::Error::other)?;
    Ok(bytes)
}

/// A chunk's position as STREAM's counter.
fn counter(position: u64) -> io::Result<u32> {
    u32::try_from(position).map_err(|_| invalid("blob too large for its format"))
}

/// One file's chunks as its format seals them (STREAM over the format's AEAD).
enum Chunks {
    ChaCha(aead_stream::StreamBE32<ChaCha20Poly1305>),
    // Boxed: its key schedule is over 500 bytes.
    Aes(Box<aead::LessSafeKey>),
}

impl Chunks {
    /// Seals `out[start..]` in place as the chunk at `position` (the last or not), its tag
    /// appended.
    fn seal(&self, position: u64, last: bool, out: &mut Vec<u8>, start: usize) -> io::Result<()> {
        let counter = counter(position)?;
        let sealed = match self {
            Chunks::ChaCha(stream) => stream
                .encrypt_in_place(counter, last, &[], &mut Tail { out, start })
                .is_ok(),
            Chunks::Aes(key) => key
                .seal_in_place_separate_tag(
                    aes_nonce(counter, last),
                    aead::Aad::empty(),
                    &mut out[start..],
                )
                .map(|tag| out.extend_from_slice(tag.as_ref()))
                .is_ok(),
        };
        sealed
            .then_some(())
            .ok_or_else(|| invalid("encryption failed"))
    }

    /// Opens the chunk at `position` (the last or not) in place, its tag cut off; false if it
    /// fails authentication.
    fn open(&self, position: u64, last: bool, chunk: &mut Vec<u8>) -> bool {
        let Ok(counter) = counter(position) else {
            return false;
        };
        match self {
            Chunks::ChaCha(stream) => stream.decrypt_in_place(counter, last, &[], chunk).is_ok(),
            Chunks::Aes(key) => {
                let opened = key
                    .open_in_place(aes_nonce(counter, last), aead::Aad::empty(), chunk)
                    .map(|plain| plain.len());
                opened.map(|len| chunk.truncate(len)).is_ok()
            }
        }
    }
}

/// Format 2's nonce of a chunk: 7 zero bytes (the key is the file's own), its counter, whether
/// it is the last.
fn aes_nonce(counter: u32, last: bool) -> aead::Nonce {
    let mut nonce = [0u8; aead::NONCE_LEN];
    nonce[NONCE_PREFIX..aead::NONCE_LEN - 1].copy_from_slice(&counter.to_be_bytes());
    nonce[aead::NONCE_LEN - 1] = u8::from(last);
    aead::Nonce::assume_unique_for_key(nonce)
}

fn invalid(why: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, why.into())
}

/// Seals and opens evidence under one 32-byte key, in the file format above, wherever the
/// sealed bytes are kept.
pub struct Sealer {
    key: Zeroizing<[u8; 32]>,
}

impl Sealer {
    /// A sealer with the 32-byte blob key.
    pub fn new(key: [u8; 32]) -> Sealer {
        Sealer {
            key: Zeroizing::new(key),
        }
    }

    fn cipher(&self) -> ChaCha20Poly1305 {
        // The key is 32 bytes by construction.
        ChaCha20Poly1305::new_from_slice(self.key.as_ref())
            .unwrap_or_else(|_| unreachable!("a 32-byte key"))
    }

    /// The chunk cipher of a file sealed as `sealing` says.
    fn chunks(&self, sealing: &Sealing) -> Chunks {
        match sealing {
            Sealing::ChaCha(prefix) => Chunks::ChaCha(aead_stream::StreamBE32::from_aead(
                self.cipher(),
                prefix.into(),
            )),
            Sealing::Aes(seed) => {
                let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, KDF_SALT).extract(self.key.as_ref());
                let key = prk
                    .expand(&[seed], &aead::AES_256_GCM)
                    .map(aead::UnboundKey::from)
                    // 32 bytes are well within HKDF-SHA256's reach.
                    .unwrap_or_else(|_| unreachable!("32 bytes of HKDF-SHA256"));
                Chunks::Aes(Box::new(aead::LessSafeKey::new(key)))
            }
        }
    }

    /// Seals the piece of a blob of `size` bytes that starts at `offset`, a multiple of
    /// [`CHUNK`]; the piece is a whole number of chunks unless it ends the blob. The result
    /// belongs at [`sealed_offset`]`(offset)` of the file (the header is not included). The
    /// chunk holding the last byte is sealed as the last; an empty blob is one empty last
    /// chunk.
    pub fn seal_piece(
        &self,
        sealing: &Sealing,
        size: u64,
        offset: u64,
        bytes: &[u8],
    ) -> io::Result<Vec<u8>> {
        let mut out = Vec::with_capacity(bytes.len() + bytes.len().div_ceil(CHUNK).max(1) * TAG);
        self.seal_piece_into(sealing, size, offset, bytes, &mut out)?;
        Ok(out)
    }

    /// As [`Sealer::seal_piece`], appending the sealed piece to `out` (sealed in place there:
    /// no copy of the piece on the side).
    pub fn seal_piece_into(
        &self,
        sealing: &Sealing,
        size: u64,
        offset: u64,
        bytes: &[u8],
        out: &mut Vec<u8>,
    ) -> io::Result<()> {
        let end = offset + bytes.len() as u64;
        if !offset.is_multiple_of(CHUNK as u64)
            || (end != size && !bytes.len().is_multiple_of(CHUNK))
            || end > size
        {
            return Err(invalid("a piece must start and end on chunk boundaries"));
        }
        let chunks = self.chunks(sealing);
        let last = size.saturating_sub(1) / CHUNK as u64;
        let first = offset / CHUNK as u64;
        out.reserve(bytes.len() + bytes.len().div_ceil(CHUNK).max(1) * TAG);
        let empty: [&[u8]; 1] = [&[]];
        // `chunks` yields nothing for an empty slice, but an empty blob still has its last chunk.
        let pieces: Box<dyn Iterator<Item = &[u8]>> = if size == 0 {
            Box::new(empty.into_iter())
        } else {
            Box::new(bytes.chunks(CHUNK))
        };
        for (i, piece) in pieces.enumerate() {
            let position = first + i as u64;
            let start = out.len();
            out.extend_from_slice(piece);
            chunks.seal(position, position == last, out, start)?;
        }
        Ok(())
    }

    /// Reads a sealed file (header first) from any source, decrypting and authenticating chunk
    /// by chunk in constant memory; with `expected`, the reader also fails at the end unless
    /// the content's SHA-256 equals it.
    pub fn reader<R: Read>(
        &self,
        mut source: R,
        expected: Option<[u8; 32]>,
    ) -> io::Result<SealedReader<R>> {
        let mut head = [0u8; HEADER];
        source
            .read_exact(&mut head)
            .map_err(|_| invalid("blob file too short"))?;
        let mut r = SealedReader {
            file: source,
            chunks: self.chunks(&Sealing::of(&head)?),
            position: Some(0),
            next: Vec::with_capacity(CHUNK + TAG),
            out: Vec::with_capacity(CHUNK + TAG),
            pos: 0,
            hasher: expected.map(|_| Sha256::new()),
            expected: expected.unwrap_or_default(),
        };
        read_chunk(&mut r.file, &mut r.next)?;
        Ok(r)
    }

    /// Reads the original bytes `range` of a blob of `size` bytes sealed as `sealing` says,
    /// from `source` holding the file's bytes [`sealed_span`]`(size, range)` (and no more is
    /// read from it), decrypting and authenticating only the chunks that hold the range.
    pub fn range_reader<R: Read>(
        &self,
        sealing: &Sealing,
        size: u64,
        range: Range<u64>,
        source: R,
    ) -> io::Result<RangeReader<R>> {
        sealed_span(size, &range)?;
        let chunk = CHUNK as u64;
        let mut reader = RangeReader {
            source,
            chunks: self.chunks(sealing),
            next: range.start / chunk,
            last: (size - 1) / chunk,
            size,
            skip: (range.start % chunk) as usize,
            left: range.end - range.start,
            plain: Vec::with_capacity(CHUNK + TAG),
            pos: 0,
        };
        // The first chunk now: a damaged one is an error before anything is answered.
        reader.refill()?;
        Ok(reader)
    }
}

/// A directory of encrypted evidence files.
pub struct BlobStore {
    dir: PathBuf,
    sealer: Sealer,
    journals: journal::Journals,
}

impl BlobStore {
    /// The store in `dir` (created if missing), with the device's 32-byte blob key.
    /// Temporary files of writers that died (a killed `evidence add`) are removed; those of a
    /// writer still at work in another process are locked by it and kept.
    pub fn open(dir: impl Into<PathBuf>, key: [u8; 32]) -> io::Result<BlobStore> {
        let dir = dir.into();
        fs::create_dir_all(dir.join("tmp"))?;
        for item in fs::read_dir(dir.join("tmp"))? {
            let path = item?.path();
            if path.extension().is_some_and(|e| e == "partial") {
                let orphaned = File::open(&path).is_ok_and(|f| f.try_lock().is_ok());
                if orphaned {
                    fs::remove_file(&path)?;
                }
            }
        }
        Ok(BlobStore {
            journals: journal::Journals {
                dir: dir.join("recording"),
            },
            dir,
            sealer: Sealer::new(key),
        })
    }

    fn path(&self, hash: &[u8; 32]) -> PathBuf {
        let name = hex::encode(hash);
        self.dir.join(&name[..2]).join(name)
    }

    /// Whether the blob is stored.
    pub fn contains(&self, hash: &[u8; 32]) -> bool {
        self.path(hash).is_file()
    }

    /// The original size of a stored blob, from its file's length (each chunk carries a
    /// 16-byte tag after the header).
    pub fn size(&self, hash: &[u8; 32]) -> io::Result<u64> {
        let len = fs::metadata(self.path(hash))?.len();
        let body = len
            .checked_sub(HEADER as u64)
            .ok_or_else(|| invalid("blob file too short"))?;
        let sealed = (CHUNK + TAG) as u64;
        let chunks = body.div_ceil(sealed).max(1);
        body.checked_sub(chunks * TAG as u64)
            .ok_or_else(|| invalid("blob file too short"))
    }

    /// A writer for a new blob, sealed as `sealing` says ([`Sealing::current`] of fresh random
    /// bytes). Write the original bytes to it, then [`BlobStore::commit`] it under their
    /// SHA-256.
    pub fn writer(&self, sealing: Sealing) -> io::Result<BlobWriter> {
        let head = sealing.header();
        let tmp = self
            .dir
            .join("tmp")
            .join(format!("{}.partial", hex::encode(sealing.random())));
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        // Held while this writer lives (and released by the system if its process dies), so
        // `open` in another process tells a file at work from one left by a crash.
        file.lock()?;
        file.write_all(&head)?;
        Ok(BlobWriter {
            file: Some(file),
            tmp,
            chunks: Some(self.sealer.chunks(&sealing)),
            position: 0,
            buf: Vec::with_capacity(2 * CHUNK),
            sealed: Vec::with_capacity(CHUNK + TAG),
            hasher: Sha256::new(),
        })
    }

    /// Finishes a blob and stores it under `hash`, which must be the SHA-256 of what was
    /// written. If the blob is already stored, the new copy is dropped: blobs are never
    /// overwritten.
    pub fn commit(&self, mut w: BlobWriter, hash: &[u8; 32]) -> io::Result<PathBuf> {
        let written: [u8; 32] = w.hasher.clone().finalize().into();
        if &written != hash {
            w.discard();
            return Err(invalid("blob content does not match its hash"));
        }
        w.finish()?;
        let placed = self.place(&w.tmp, hash);
        if placed.is_err() || w.tmp.exists() {
            w.discard();
        }
        placed
    }

    /// Moves a finished, synced file into place under `hash` (dropped if already stored).
    fn place(&self, tmp: &Path, hash: &[u8; 32]) -> io::Result<PathBuf> {
        let dest = self.path(hash);
        if dest.exists() {
            fs::remove_file(tmp)?;
            return Ok(dest);
        }
        if let Some(parent) = dest.parent() {
            fs::create_dir_all(parent)?;
        }
        fs::rename(tmp, &dest)?;
        if let Some(parent) = dest.parent() {
            // Make the rename itself durable.
            File::open(parent)?.sync_all()?;
        }
        Ok(dest)
    }

    fn receiving_path(&self, hash: &[u8; 32]) -> PathBuf {
        self.dir
            .join("tmp")
            .join(format!("{}.receiving", hex::encode(hash)))
    }

    /// Starts receiving a blob of `size` bytes in pieces (an upload that may be cut and
    /// resumed), replacing an unfinished one: the file is written in the stored format as the
    /// pieces arrive, so nothing is copied or encrypted twice. Each start seals under fresh
    /// random bytes ([`Sealing::fresh`]).
    pub fn begin_receiving(&self, hash: &[u8; 32]) -> io::Result<()> {
        let sealing = Sealing::fresh()?;
        let mut file = File::create(self.receiving_path(hash))?;
        file.write_all(&sealing.header())?;
        file.sync_data()
    }

    /// Writes the piece of a blob of `size` bytes that starts at `offset`, a multiple of
    /// [`CHUNK`]; the piece is a whole number of chunks unless it ends the blob. Durable on
    /// return.
    pub fn receive(&self, hash: &[u8; 32], size: u64, offset: u64, bytes: &[u8]) -> io::Result<()> {
        let end = offset + bytes.len() as u64;
        let mut file = fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(self.receiving_path(hash))?;
        let mut head = [0u8; HEADER];
        file.read_exact(&mut head)?;
        let out = self
            .sealer
            .seal_piece(&Sealing::of(&head)?, size, offset, bytes)?;
        let at = sealed_offset(offset);
        file.seek(io::SeekFrom::Start(at))?;
        file.write_all(&out)?;
        file.set_len(at + out.len() as u64)?;
        if end == size {
            // `finish_receiving` syncs the whole file once.
            return Ok(());
        }
        file.sync_data()
    }

    /// How much of a blob of `size` bytes being received is held: whole chunks only (a chunk
    /// cut by a crash is sent again), or all of it.
    pub fn received(&self, hash: &[u8; 32], size: u64) -> io::Result<u64> {
        let len = match fs::metadata(self.receiving_path(hash)) {
            Ok(m) => m.len(),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(e),
        };
        let body = len.saturating_sub(HEADER as u64);
        let sealed = (CHUNK + TAG) as u64;
        let whole = (body / sealed) * CHUNK as u64;
        let all = whole + (body % sealed).saturating_sub(TAG as u64);
        Ok(if all == size { size } else { whole.min(size) })
    }

    /// Ends receiving a blob: unless the caller already hashed what arrived and found it
    /// matches (`known_good`), reads it back and checks its SHA-256 against `hash`. A match is
    /// stored under `hash` (true); anything else is discarded (false).
    pub fn finish_receiving(&self, hash: &[u8; 32], known_good: bool) -> io::Result<bool> {
        let path = self.receiving_path(hash);
        let good = known_good
            || self
                .read_file(&path, Some(*hash))
                .and_then(|mut r| io::copy(&mut r, &mut io::sink()))
                .is_ok();
        if !good {
            fs::remove_file(&path)?;
            return Ok(false);
        }
        File::open(&path)?.sync_all()?;
        self.place(&path, hash)?;
        Ok(true)
    }

    /// Drops an unfinished blob being received.
    pub fn discard_receiving(&self, hash: &[u8; 32]) -> io::Result<()> {
        match fs::remove_file(self.receiving_path(hash)) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    /// Deletes a stored blob (an original whose deletion was approved); gone already is fine.
    pub fn remove(&self, hash: &[u8; 32]) -> io::Result<()> {
        match fs::remove_file(self.path(hash)) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    /// Opens a blob for reading; the reader fails if the file was changed, cut or swapped.
    pub fn read(&self, hash: &[u8; 32]) -> io::Result<BlobReader> {
        self.read_file(&self.path(hash), Some(*hash))
    }

    /// Opens the original bytes `range` of a stored blob of `size` bytes (its size as recorded
    /// when it was kept): only the chunks that hold the range are read and decrypted, each
    /// authenticated.
    pub fn read_range(
        &self,
        hash: &[u8; 32],
        size: u64,
        range: Range<u64>,
    ) -> io::Result<RangeReader<io::Take<File>>> {
        let span = sealed_span(size, &range)?;
        let mut file = File::open(self.path(hash))?;
        let mut head = [0u8; HEADER];
        file.read_exact(&mut head)
            .map_err(|_| invalid("blob file too short"))?;
        let sealing = Sealing::of(&head)?;
        file.seek(io::SeekFrom::Start(span.start))?;
        self.sealer
            .range_reader(&sealing, size, range, file.take(span.end - span.start))
    }

    /// Opens a blob for a copy whose receiver checks the whole file's SHA-256 itself (an
    /// upload): every chunk is still authenticated, in order and to the end, but the reader
    /// does not hash the content a second time.
    pub fn read_for_copy(&self, hash: &[u8; 32]) -> io::Result<BlobReader> {
        self.read_file(&self.path(hash), None)
    }

    /// Starts the journal of a recording `id` (letters, digits, `-`, `_`) described by `meta`
    /// (see [`Journal`]): [`Journal::append`] its pieces as they come.
    pub fn start_recording(&self, id: &str, meta: &[u8]) -> io::Result<Journal> {
        self.journals.create(&self.sealer, id, meta)
    }

    /// The recordings whose journal no writer or keeper holds: left by a crash, or by a keep
    /// that failed.
    pub fn recordings_left(&self) -> io::Result<Vec<String>> {
        self.journals.left()
    }

    /// Takes a recording left to keep it; `None` while another writer or keeper holds it.
    pub fn claim_recording(&self, id: &str) -> io::Result<Option<RecordingClaim>> {
        self.journals.claim(id)
    }

    /// Reads a claimed recording's journal through once: its description and how much reads
    /// back.
    pub fn scan_recording(&self, claim: &RecordingClaim) -> io::Result<JournalScan> {
        self.journals.scan(&self.sealer, claim.id())
    }

    /// The bytes of a claimed recording's first `pieces` pieces (as
    /// [`BlobStore::scan_recording`] counted them), in order.
    pub fn read_recording(&self, claim: &RecordingClaim, pieces: u32) -> io::Result<JournalReader> {
        self.journals.reader(&self.sealer, claim.id(), pieces)
    }

    /// Removes a recording's journal once its bytes are kept as a blob.
    pub fn remove_recording(&self, claim: RecordingClaim) -> io::Result<()> {
        self.journals.remove(claim)
    }

    fn read_file(&self, path: &Path, hash: Option<[u8; 32]>) -> io::Result<BlobReader> {
        self.sealer.reader(File::open(path)?, hash)
    }
}

/// Writes a new blob; see [`BlobStore::writer`].
pub struct BlobWriter {
    file: Option<File>,
    tmp: PathBuf,
    /// The file's chunk cipher, until the last chunk is sealed.
    chunks: Option<Chunks>,
    /// The next chunk's position.
    position: u64,
    /// Bytes written but not yet sealed.
    buf: Vec<u8>,
    /// The chunk being sealed.
    sealed: Vec<u8>,
    hasher: Sha256,
}

impl BlobWriter {
    /// Seals the first `len` bytes held (the last chunk or not) and writes them.
    fn seal_next(&mut self, len: usize, last: bool) -> io::Result<()> {
        let (Some(chunks), Some(file)) = (self.chunks.as_ref(), self.file.as_mut()) else {
            return Err(invalid("blob already finished"));
        };
        self.sealed.clear();
        self.sealed.extend_from_slice(&self.buf[..len]);
        chunks.seal(self.position, last, &mut self.sealed, 0)?;
        file.write_all(&self.sealed)?;
        self.buf.drain(..len);
        self.position += 1;
        if last {
            self.chunks = None;
        }
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        self.seal_next(self.buf.len(), true)?;
        let file = self
            .file
            .as_mut()
            .ok_or_else(|| invalid("blob already finished"))?;
        file.sync_all()
    }

    /// Removes the temporary file (after a failure or for a duplicate).
    fn discard(&mut self) {
        self.file = None;
        let _ = fs::remove_file(&self.tmp);
    }

    /// Where the temporary file is (for tests of failure clean-up).
    pub fn temp_path(&self) -> &Path {
        &self.tmp
    }
}

impl Write for BlobWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.hasher.update(data);
        self.buf.extend_from_slice(data);
        // Keep the last chunk back: only `commit` knows it is the last.
        while self.buf.len() > CHUNK {
            self.seal_next(CHUNK, false)?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for BlobWriter {
    fn drop(&mut self) {
        // A writer dropped without commit leaves nothing behind.
        if self.file.is_some() && self.chunks.is_some() {
            self.discard();
        }
    }
}

/// Reads a stored blob, decrypting and checking as it goes; see [`BlobStore::read`].
pub type BlobReader = SealedReader<File>;

/// Reads a sealed file from any source, decrypting and checking as it goes; see
/// [`Sealer::reader`].
pub struct SealedReader<R> {
    file: R,
    chunks: Chunks,
    /// The position of the chunk in `next`; `None` once the last was read.
    position: Option<u64>,
    /// The chunk read ahead (sealed): only the one after it tells whether it is the last.
    next: Vec<u8>,
    /// The chunk being given out (opened).
    out: Vec<u8>,
    pos: usize,
    hasher: Option<Sha256>,
    expected: [u8; 32],
}

/// Reads a sealed chunk (or what is left of the file, up to one) into `chunk`.
fn read_chunk(file: &mut impl Read, chunk: &mut Vec<u8>) -> io::Result<()> {
    chunk.resize(CHUNK + TAG, 0);
    let filled = read_full(file, chunk)?;
    chunk.truncate(filled);
    Ok(())
}

/// Reads until `buf` is full or the source ends; how much was read.
pub(crate) fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

impl<R: Read> SealedReader<R> {
    /// Opens the next chunk into `out`; false at the end.
    fn refill(&mut self) -> io::Result<bool> {
        let Some(position) = self.position else {
            return Ok(false);
        };
        // The chunk read ahead is opened in place; the buffer given out is reused to read ahead.
        std::mem::swap(&mut self.out, &mut self.next);
        read_chunk(&mut self.file, &mut self.next)?;
        let last = self.next.is_empty();
        if !self.chunks.open(position, last, &mut self.out) {
            return Err(invalid(match last {
                true => "blob file was altered or cut short",
                false => "blob file was altered",
            }));
        }
        self.pos = 0;
        self.position = (!last).then_some(position + 1);
        if let Some(h) = self.hasher.as_mut() {
            h.update(&self.out);
        }
        if last
            && let Some(h) = self.hasher.take()
            && <[u8; 32]>::from(h.finalize()) != self.expected
        {
            return Err(invalid("blob content does not match its name"));
        }
        Ok(true)
    }
}

impl<R: Read> Read for SealedReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pos >= self.out.len() {
            if !self.refill()? {
                return Ok(0);
            }
        }
        let n = buf.len().min(self.out.len() - self.pos);
        buf[..n].copy_from_slice(&self.out[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// Reads a range of a sealed blob, decrypting only the chunks that hold it; see
/// [`Sealer::range_reader`].
pub struct RangeReader<R> {
    source: R,
    chunks: Chunks,
    /// The next chunk to read.
    next: u64,
    /// The blob's last chunk (sealed as the last).
    last: u64,
    size: u64,
    /// Bytes of the next chunk before the range (only the first chunk has any).
    skip: usize,
    /// Bytes of the range not yet given out.
    left: u64,
    plain: Vec<u8>,
    pos: usize,
}

impl<R: Read> RangeReader<R> {
    /// Decrypts the next chunk of the range into `plain`.
    fn refill(&mut self) -> io::Result<()> {
        let chunk = CHUNK as u64;
        let len = if self.next == self.last {
            self.size - self.last * chunk
        } else {
            chunk
        };
        self.plain.resize(len as usize + TAG, 0);
        self.source
            .read_exact(&mut self.plain)
            .map_err(|e| match e.kind() {
                io::ErrorKind::UnexpectedEof => invalid("blob file was cut short"),
                _ => e,
            })?;
        if !self
            .chunks
            .open(self.next, self.next == self.last, &mut self.plain)
        {
            return Err(invalid("blob file was altered"));
        }
        self.pos = std::mem::take(&mut self.skip);
        self.next += 1;
        Ok(())
    }
}

impl<R: Read> Read for RangeReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 || buf.is_empty() {
            return Ok(0);
        }
        if self.pos >= self.plain.len() {
            self.refill()?;
        }
        let n = buf
            .len()
            .min(self.plain.len() - self.pos)
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        buf[..n].copy_from_slice(&self.plain[self.pos..self.pos + n]);
        self.pos += n;
        self.left -= n as u64;
        Ok(n)
    }
}

/// The end of a buffer from `start`, as the AEAD sees it: a chunk sealed in place where it
/// lies in the output, its tag appended after it.
pub(crate) struct Tail<'a> {
    pub(crate) out: &'a mut Vec<u8>,
    pub(crate) start: usize,
}

impl AsRef<[u8]> for Tail<'_> {
    fn as_ref(&self) -> &[u8] {
        &self.out[self.start..]
    }
}

impl AsMut<[u8]> for Tail<'_> {
    fn as_mut(&mut self) -> &mut [u8] {
        &mut self.out[self.start..]
    }
}

impl chacha20poly1305::aead::Buffer for Tail<'_> {
    fn extend_from_slice(&mut self, other: &[u8]) -> chacha20poly1305::aead::Result<()> {
        self.out.extend_from_slice(other);
        Ok(())
    }

    fn truncate(&mut self, len: usize) {
        self.out.truncate(self.start + len);
    }
}

#[cfg(test)]
mod tests;
