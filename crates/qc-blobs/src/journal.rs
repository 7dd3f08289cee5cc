//! A recording in progress (询问同步录音, a clip filmed in the app), kept as it is made: each
//! piece the recorder hands over is sealed and written to the end of a journal file and synced
//! before the next is taken, so a crash or a flat battery keeps all but the piece in flight.
//! The finished recording is read back once, in order, into an ordinary blob.
//!
//! File layout: `QCJRNL\0\x01` (8 bytes), a 7-byte random nonce prefix, then frames, each a
//! little-endian `u32` length and that many bytes sealed with ChaCha20-Poly1305 under the blob
//! key, the nonce the prefix, the frame's position (big-endian `u32`) and a zero byte (the STREAM
//! nonce of a chunk that is not the last: a journal has no last frame, it may end anywhere).
//! Frame 0 holds the caller's description of the recording; each later frame an 8-byte
//! little-endian time (milliseconds since the epoch) and the recorder's bytes, none when the
//! recording was stopped then. Reading stops at the first frame that is cut or does not
//! authenticate: what comes before it is the recording. A write that fails ends the journal
//! (cut back to its last whole frame when it can be): a frame's nonce is never sealed twice.
//!
//! The file is locked while its writer lives and while someone keeps it ([`RecordingClaim`]),
//! so a recording at work, or being kept, is never taken by another.

use std::fs::{self, File};
use std::io::{self, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use aead_stream::{NewStream, StreamBE32, StreamPrimitive};
use chacha20poly1305::ChaCha20Poly1305;

use crate::{NONCE_PREFIX, Sealer, fresh, invalid, read_full};

const MAGIC: &[u8; 8] = b"QCJRNL\0\x01";
const HEAD: usize = MAGIC.len() + NONCE_PREFIX;

/// The largest frame a journal takes (a recorder's piece is a second or so of media).
pub const MAX_FRAME: usize = 16 << 20;

/// A recording being written; see the module's documentation.
pub struct Journal {
    id: String,
    file: File,
    stream: StreamBE32<ChaCha20Poly1305>,
    next: u32,
    /// The file's length after the last whole frame.
    len: u64,
    bytes: u64,
    broken: bool,
}

/// A recording's journal held by whoever keeps it (its writer's, once it stopped, or one a
/// crash left): locked until dropped or removed.
pub struct RecordingClaim {
    id: String,
    _lock: File,
}

impl RecordingClaim {
    /// The recording's id.
    pub fn id(&self) -> &str {
        &self.id
    }
}

/// What a journal on disk holds, read through once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalScan {
    /// The caller's description of the recording (frame 0).
    pub meta: Vec<u8>,
    /// Frames after the description that read back whole.
    pub pieces: u32,
    /// Their recorded bytes.
    pub bytes: u64,
    /// When the last piece with bytes was written (milliseconds since the epoch), if any was.
    pub last_at: Option<i64>,
    /// When the recording was stopped, if it was (a piece with no bytes).
    pub stopped_at: Option<i64>,
    /// Whether something after them was cut or damaged (a crash in the middle of a write).
    pub torn: bool,
}

impl Sealer {
    fn frame_cipher(&self, prefix: &[u8; NONCE_PREFIX]) -> StreamBE32<ChaCha20Poly1305> {
        StreamBE32::from_aead(self.cipher(), prefix.into())
    }
}

impl Journal {
    /// Starts a journal at `path` (which must not exist) described by `meta`, durable on
    /// return, locked while it lives.
    fn create(sealer: &Sealer, id: &str, path: &Path, meta: &[u8]) -> io::Result<Journal> {
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)?;
        file.lock()?;
        let prefix: [u8; NONCE_PREFIX] = fresh()?;
        let mut head = Vec::with_capacity(HEAD);
        head.extend_from_slice(MAGIC);
        head.extend_from_slice(&prefix);
        file.write_all(&head)?;
        let mut journal = Journal {
            id: id.to_owned(),
            file,
            stream: sealer.frame_cipher(&prefix),
            next: 0,
            len: HEAD as u64,
            bytes: 0,
            broken: false,
        };
        journal.frame(meta)?;
        if let Some(dir) = path.parent() {
            File::open(dir)?.sync_all()?;
        }
        Ok(journal)
    }

    /// The recording's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Appends a piece of the recording made at `at` (milliseconds since the epoch); durable
    /// on return. A piece with no bytes marks the recording stopped.
    pub fn append(&mut self, at: i64, piece: &[u8]) -> io::Result<()> {
        let mut plain = Vec::with_capacity(8 + piece.len() + crate::TAG);
        plain.extend_from_slice(&at.to_le_bytes());
        plain.extend_from_slice(piece);
        self.frame(&plain)?;
        self.bytes += piece.len() as u64;
        Ok(())
    }

    /// The recorder's bytes written so far.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Ends the writing, the journal still locked for whoever keeps it now.
    pub fn into_claim(self) -> RecordingClaim {
        RecordingClaim {
            id: self.id,
            _lock: self.file,
        }
    }

    fn frame(&mut self, plain: &[u8]) -> io::Result<()> {
        if self.broken {
            return Err(invalid("the recording's file could not be written on"));
        }
        if plain.len() > MAX_FRAME {
            return Err(invalid("a recording's piece is too large"));
        }
        let position = self.next;
        let next = position
            .checked_add(1)
            .ok_or_else(|| invalid("recording too long for its format"))?;
        let mut out = Vec::with_capacity(4 + plain.len() + crate::TAG);
        out.extend_from_slice(&[0; 4]);
        out.extend_from_slice(plain);
        let mut sealed = crate::Tail {
            out: &mut out,
            start: 4,
        };
        self.stream
            .encrypt_in_place(position, false, &[], &mut sealed)
            .map_err(|_| invalid("encryption failed"))?;
        let len = u32::try_from(out.len() - 4).map_err(|_| invalid("frame too large"))?;
        out[..4].copy_from_slice(&len.to_le_bytes());
        // This position's nonce is spent whatever happens next: a failed write ends the
        // journal (cut back to its last whole frame if it can be) rather than seal another
        // frame under it.
        self.next = next;
        let written = self
            .file
            .write_all(&out)
            .and_then(|()| self.file.sync_data());
        if let Err(e) = written {
            self.broken = true;
            let _ = self
                .file
                .set_len(self.len)
                .and_then(|()| self.file.sync_data());
            return Err(e);
        }
        self.len += out.len() as u64;
        Ok(())
    }
}

/// Reads a journal's frames in order, stopping at the first cut or damaged one.
struct Frames {
    file: BufReader<File>,
    stream: StreamBE32<ChaCha20Poly1305>,
    next: u32,
}

impl Frames {
    fn open(sealer: &Sealer, path: &Path) -> io::Result<Frames> {
        let mut file = BufReader::new(File::open(path)?);
        let mut head = [0u8; HEAD];
        file.read_exact(&mut head)
            .map_err(|_| invalid("recording file too short"))?;
        if &head[..MAGIC.len()] != MAGIC {
            return Err(invalid("not a recording file"));
        }
        let mut prefix = [0u8; NONCE_PREFIX];
        prefix.copy_from_slice(&head[MAGIC.len()..]);
        Ok(Frames {
            file,
            stream: sealer.frame_cipher(&prefix),
            next: 0,
        })
    }

    /// The next frame's plaintext; `None` at the end of what reads back whole, with whether
    /// anything followed it.
    fn next_frame(&mut self) -> io::Result<Result<Vec<u8>, bool>> {
        let mut len = [0u8; 4];
        match read_full(&mut self.file, &mut len)? {
            0 => return Ok(Err(false)),
            4 => {}
            _ => return Ok(Err(true)),
        }
        let len = u32::from_le_bytes(len) as usize;
        if len > MAX_FRAME + crate::TAG {
            return Ok(Err(true));
        }
        let mut sealed = vec![0u8; len];
        if read_full(&mut self.file, &mut sealed)? < len {
            return Ok(Err(true));
        }
        if self
            .stream
            .decrypt_in_place(self.next, false, &[], &mut sealed)
            .is_err()
        {
            return Ok(Err(true));
        }
        self.next += 1;
        Ok(Ok(sealed))
    }
}

/// Reads the recording out of a journal: the first `pieces` pieces' bytes, in order.
pub struct JournalReader {
    frames: Frames,
    left: u32,
    piece: Vec<u8>,
    pos: usize,
}

impl Read for JournalReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.piece.len() {
            if self.left == 0 {
                return Ok(0);
            }
            self.piece = self
                .frames
                .next_frame()?
                .map_err(|_| invalid("the recording changed while it was read"))?;
            self.pos = 8;
            self.left -= 1;
        }
        let n = buf.len().min(self.piece.len() - self.pos);
        buf[..n].copy_from_slice(&self.piece[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// The journals of recordings under a blob store.
pub(crate) struct Journals {
    pub(crate) dir: PathBuf,
}

impl Journals {
    fn path(&self, id: &str) -> io::Result<PathBuf> {
        let plain = !id.is_empty()
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !plain {
            return Err(invalid("a recording's id is letters, digits, - and _"));
        }
        Ok(self.dir.join(format!("{id}.journal")))
    }

    pub(crate) fn create(&self, sealer: &Sealer, id: &str, meta: &[u8]) -> io::Result<Journal> {
        fs::create_dir_all(&self.dir)?;
        Journal::create(sealer, id, &self.path(id)?, meta)
    }

    /// The journal of `id`, locked for its keeper; `None` while its writer or another keeper
    /// holds it.
    pub(crate) fn claim(&self, id: &str) -> io::Result<Option<RecordingClaim>> {
        let file = File::open(self.path(id)?)?;
        match file.try_lock() {
            Ok(()) => Ok(Some(RecordingClaim {
                id: id.to_owned(),
                _lock: file,
            })),
            Err(fs::TryLockError::WouldBlock) => Ok(None),
            Err(fs::TryLockError::Error(e)) => Err(e),
        }
    }

    /// Ids of the journals no writer or keeper holds (a recording a crash or a failed keep
    /// left).
    pub(crate) fn left(&self) -> io::Result<Vec<String>> {
        let entries = match fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let mut ids = Vec::new();
        for entry in entries {
            let path = entry?.path();
            let Some(id) = path
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_suffix(".journal"))
            else {
                continue;
            };
            if self.claim(id).is_ok_and(|c| c.is_some()) {
                ids.push(id.to_owned());
            }
        }
        ids.sort();
        Ok(ids)
    }

    pub(crate) fn scan(&self, sealer: &Sealer, id: &str) -> io::Result<JournalScan> {
        let mut frames = Frames::open(sealer, &self.path(id)?)?;
        let meta = frames
            .next_frame()?
            .map_err(|_| invalid("the recording's description does not read back"))?;
        let mut scan = JournalScan {
            meta,
            pieces: 0,
            bytes: 0,
            last_at: None,
            stopped_at: None,
            torn: false,
        };
        loop {
            match frames.next_frame()? {
                Ok(piece) if piece.len() >= 8 => {
                    let at = i64::from_le_bytes(piece[..8].try_into().unwrap_or_default());
                    scan.pieces += 1;
                    if piece.len() == 8 {
                        scan.stopped_at = Some(at);
                    } else {
                        scan.bytes += (piece.len() - 8) as u64;
                        scan.last_at = Some(at);
                    }
                }
                Ok(_) | Err(true) => {
                    scan.torn = true;
                    return Ok(scan);
                }
                Err(false) => return Ok(scan),
            }
        }
    }

    pub(crate) fn reader(
        &self,
        sealer: &Sealer,
        id: &str,
        pieces: u32,
    ) -> io::Result<JournalReader> {
        let mut frames = Frames::open(sealer, &self.path(id)?)?;
        frames
            .next_frame()?
            .map_err(|_| invalid("the recording's description does not read back"))?;
        Ok(JournalReader {
            frames,
            left: pieces,
            piece: Vec::new(),
            pos: 0,
        })
    }

    /// Removes a claimed journal (its lock goes with the claim).
    pub(crate) fn remove(&self, claim: RecordingClaim) -> io::Result<()> {
        match fs::remove_file(self.path(&claim.id)?) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }
}
