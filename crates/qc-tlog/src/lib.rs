//! The base station's persistent log as a tiled Merkle tree: the [C2SP tlog-tiles] layout with
//! RFC 6962 hashing, and checkpoints as [C2SP signed notes](note).
//!
//! The station keeps hash tiles (height 8: 256 hashes of 32 bytes) in its database and computes
//! roots, inclusion proofs and consistency proofs reading only the few tiles on the paths it
//! needs, never the whole tree. Proofs are RFC 6962 audit paths, byte-identical to those of the
//! in-memory `qc-log` tree, so devices verify them as before. Leaf data is a 32-byte entry hash;
//! leaf hash `SHA-256(0x00 ‖ entry)`, node `SHA-256(0x01 ‖ l ‖ r)`.
//!
//! Pure: no I/O, no clock, and no `qc-*` dependency, so an outside witness can check the log with
//! this crate alone. Storage backends implement [`TileSource`] and write what [`integrate`]
//! returns; that one function is the whole write path for every backend.
//!
//! # What comes from where
//!
//! - [`tlog_tiles`] (cloudflare/azul, a port of Go's `golang.org/x/mod/sumdb/tlog`) does the tree
//!   arithmetic: `tree_hash` and `prove_tree` over a `HashReader` that this crate backs with
//!   tiles, the stored hashes' numbering, and `Tile` to find which tile holds a stored hash. It
//!   also parses and formats the checkpoint body. Its published version (0.2) needs nothing the
//!   workspace lacks.
//! - Inclusion proofs walk RFC 6962's audit path here ([`inclusions`]): `prove_record` makes
//!   each proof on its own, and a sync's receipts (dozens in one tree) share most hashes.
//! - Tile paths are done here: `tlog_tiles` 0.2 formats Go sumdb paths (`tile/H/L/N`, with a height
//!   element and `data` tiles), not C2SP's `tile/L/N` and `tile/entries/N`.
//! - The signed-note envelope is done here: the only published `signed_note` (0.2) is built on
//!   ed25519-dalek 2, and using it would compile a second Ed25519 stack (curve25519-dalek 4, pkcs8,
//!   der, spki, fiat-crypto) next to the workspace's ed25519-dalek 3 and take keys of the other
//!   version. The envelope is a few lines of text; see [`note`].
//! - Integration (appending leaves into tiles) is done here: Go's `StoredHashes` works one
//!   record at a time over a flat hash store; tiles are filled directly instead.
//!
//! [C2SP tlog-tiles]: https://c2sp.org/tlog-tiles

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use thiserror::Error;
use tlog_tiles::{HashReader, Tile};

pub mod note;

/// A SHA-256 digest: an entry hash, a leaf or node hash, a root.
pub type Hash = [u8; 32];

/// Tile height: a tile holds 2^8 hashes of one tree level.
pub const TILE_HEIGHT: u8 = 8;
/// Hashes in a full tile.
pub const TILE_WIDTH: u16 = 256;
/// Bytes in a full tile.
const TILE_BYTES: usize = 256 * 32;

/// The largest tree handled. The stored-hash arithmetic underneath (about twice the size) must
/// stay inside a u64; a size from a request or a hostile peer beyond this is an error.
pub const MAX_SIZE: u64 = 1 << 62;

/// The root of the empty tree: SHA-256 of nothing (RFC 6962 §2.1).
pub const EMPTY_ROOT: Hash = tlog_tiles::EMPTY_HASH.0;

/// A hash tile's place: tiles of height 8 (256 hashes); level 0 holds leaf hashes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TileId {
    /// Tile level: the tile holds hashes of tree level `8 * level`.
    pub level: u8,
    /// Position within the level: the tile holds hashes `256 * index ..`.
    pub index: u64,
}

/// The tree: size and RFC 6962 root (root of the empty tree = SHA-256 of nothing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TreeState {
    /// Number of leaves.
    pub size: u64,
    /// RFC 6962 Merkle tree hash.
    pub root: Hash,
}

impl TreeState {
    /// The empty tree, where every log starts.
    pub const EMPTY: TreeState = TreeState {
        size: 0,
        root: EMPTY_ROOT,
    };
}

/// Where tiles are read from. Returns the stored bytes of a tile: a multiple of 32 bytes, at most
/// 256 hashes (a partial tile grows as the log grows; a full one never changes). None if absent.
pub trait TileSource {
    /// Why reading failed (the backend's own error).
    type Error: std::error::Error + Send + Sync + 'static;
    /// The stored bytes of tile `id`, or None if there is no such tile.
    fn tile(&self, id: TileId) -> Result<Option<Vec<u8>>, Self::Error>;
    /// Tile `id` when `width` hashes of it are what the reader needs: a source that keeps
    /// tiles it read may answer with a kept version holding at least that many (a tile only
    /// ever grows, so a longer one read earlier still begins the same). By default, as
    /// [`Self::tile`].
    fn tile_of_width(&self, id: TileId, width: u16) -> Result<Option<Vec<u8>>, Self::Error> {
        let _ = width;
        self.tile(id)
    }

    /// The stored hash `index` as computed from this source's tiles by an earlier call, if the
    /// source keeps them ([`Self::keep_hash`]). By default none.
    fn kept_hash(&self, index: u64) -> Option<Hash> {
        let _ = index;
        None
    }

    /// Offers a stored hash computed from this source's tiles (not from an integration in
    /// progress). A stored hash covers a whole subtree, so it never changes once the tree
    /// holds it: one kept serves every later call. Most of a proof's cost is computing the
    /// hashes above a tile's bottom (up to 255 SHA-256 each), and the proofs asked for are
    /// mostly of the newest entries. By default not kept.
    fn keep_hash(&self, index: u64, hash: Hash) {
        let _ = (index, hash);
    }
}

impl<T: TileSource + ?Sized> TileSource for &T {
    type Error = T::Error;
    fn tile(&self, id: TileId) -> Result<Option<Vec<u8>>, Self::Error> {
        (**self).tile(id)
    }

    fn tile_of_width(&self, id: TileId, width: u16) -> Result<Option<Vec<u8>>, Self::Error> {
        (**self).tile_of_width(id, width)
    }

    fn kept_hash(&self, index: u64) -> Option<Hash> {
        (**self).kept_hash(index)
    }

    fn keep_hash(&self, index: u64, hash: Hash) {
        (**self).keep_hash(index, hash);
    }
}

/// What an integration writes: every tile that changed with its full new bytes, and the new tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Integrated {
    /// Changed tiles in `TileId` order, each with its whole new content.
    pub tiles: Vec<(TileId, Vec<u8>)>,
    /// The tree after the integration.
    pub state: TreeState,
}

/// Why a tree operation, path, bundle or note failed.
#[derive(Debug, Error)]
pub enum TlogError {
    /// The tile source failed.
    #[error("reading a tile failed: {0}")]
    Source(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// A tile the tree needs is absent or shorter than the tree implies.
    #[error("tile {level}/{index} is missing or holds fewer than {width} hashes", level = id.level, index = id.index)]
    MissingTile {
        /// The tile.
        id: TileId,
        /// Hashes needed from it.
        width: u16,
    },
    /// A stored tile is not a whole number of hashes, or holds more than 256.
    #[error("tile {level}/{index} is malformed ({len} bytes)", level = id.level, index = id.index)]
    MalformedTile {
        /// The tile.
        id: TileId,
        /// Its length in bytes.
        len: usize,
    },
    /// The tiles do not hold the tree the caller says they hold.
    #[error("the tiles do not hold the tree of size {size} with the given root")]
    RootMismatch {
        /// The size whose root differed.
        size: u64,
    },
    /// A leaf index outside the tree.
    #[error("no leaf {index} in a tree of size {size}")]
    BadIndex {
        /// The index asked for.
        index: u64,
        /// The tree size.
        size: u64,
    },
    /// A pair of sizes no proof exists for, or a size beyond [`MAX_SIZE`].
    #[error("no proof between sizes {old} and {new}")]
    BadSize {
        /// Older size.
        old: u64,
        /// Newer size.
        new: u64,
    },
    /// The tree arithmetic underneath refused (a bug, not an input error).
    #[error("tree arithmetic failed: {0}")]
    Tree(String),
    /// Not a C2SP tile path.
    #[error("malformed tile path {0:?}")]
    MalformedPath(String),
    /// Not an entry bundle of 32-byte entries.
    #[error("malformed entry bundle: {0}")]
    MalformedBundle(&'static str),
    /// Not a signed note or not a checkpoint.
    #[error("malformed note: {0}")]
    MalformedNote(&'static str),
    /// A key name with whitespace or `+`, or empty; or a malformed verifier key.
    #[error("malformed key name or verifier key: {0:?}")]
    BadKey(String),
    /// A signature by the key that does not verify.
    #[error("the note's signature by {0} does not verify")]
    BadSignature(String),
    /// No signature by the key.
    #[error("the note is not signed by {0}")]
    NotSigned(String),
}

/// The RFC 6962 leaf hash of an entry: SHA-256(0x00 ‖ entry).
pub fn leaf_hash(entry: &Hash) -> Hash {
    tlog_tiles::record_hash(entry).0
}

/// How many hashes tile `id` holds in the tree of `size` leaves (0: not in the tree; 256: full).
///
/// Serve a tile cut to this width: bytes stored past it may be left by an integration whose
/// tree was never recorded, and are rewritten by the next one.
pub fn tile_width(id: TileId, size: u64) -> u16 {
    let count = size.checked_shr(8 * u32::from(id.level)).unwrap_or(0);
    let Some(start) = id.index.checked_mul(256) else {
        return 0;
    };
    // At most 256, so the cast cannot truncate.
    count.saturating_sub(start).min(256) as u16
}

/// Reads stored hashes out of tiles for `tlog_tiles`' tree arithmetic.
///
/// `HashReader` can only return `tlog_tiles::Error`, which has no room for a backend's error, so
/// the real cause is parked in `failure` and picked up by [`TileHashes::run`].
struct TileHashes<'a, T: TileSource> {
    source: &'a T,
    /// Tiles written by an integration in progress, newer than the source's.
    fresh: Option<&'a BTreeMap<TileId, Vec<u8>>>,
    /// One call may want many hashes of one tile; read each once.
    cache: RefCell<BTreeMap<TileId, Vec<u8>>>,
    /// Hashes above a tile's bottom are computed from its leaves (up to 255 SHA-256 each);
    /// the proofs of one batch share most of them.
    computed: RefCell<BTreeMap<u64, tlog_tiles::Hash>>,
    failure: RefCell<Option<TlogError>>,
}

impl<'a, T: TileSource> TileHashes<'a, T> {
    fn new(source: &'a T, fresh: Option<&'a BTreeMap<TileId, Vec<u8>>>) -> Self {
        TileHashes {
            source,
            fresh,
            cache: RefCell::new(BTreeMap::new()),
            computed: RefCell::new(BTreeMap::new()),
            failure: RefCell::new(None),
        }
    }

    fn run<R>(
        &self,
        f: impl FnOnce(&Self) -> Result<R, tlog_tiles::Error>,
    ) -> Result<R, TlogError> {
        let out = f(self);
        if let Some(e) = self.failure.borrow_mut().take() {
            return Err(e);
        }
        out.map_err(|e| TlogError::Tree(e.to_string()))
    }

    fn hash(&self, index: u64) -> Result<tlog_tiles::Hash, TlogError> {
        if let Some(h) = self.computed.borrow().get(&index) {
            return Ok(*h);
        }
        let hash = match self.source.kept_hash(index) {
            Some(kept) => tlog_tiles::Hash(kept),
            None => self.compute(index)?,
        };
        self.computed.borrow_mut().insert(index, hash);
        Ok(hash)
    }

    /// Stored hash `index` from its tile (offered to the source when read from it).
    fn compute(&self, index: u64) -> Result<tlog_tiles::Hash, TlogError> {
        let tile = Tile::from_index(TILE_HEIGHT, index);
        let id = TileId {
            level: tile.level(),
            index: tile.level_index(),
        };
        // At most 256.
        let width = tile.width() as u16;
        let at = |bytes: &[u8]| {
            if bytes.len() < usize::from(width) * 32 {
                return Err(TlogError::MissingTile { id, width });
            }
            tile.hash_at_index(bytes, index)
                .map_err(|e| TlogError::Tree(e.to_string()))
        };
        if let Some(bytes) = self.fresh.and_then(|f| f.get(&id)) {
            // Not offered: an integration in progress may yet be given up.
            return at(bytes);
        }
        // A version read for an earlier hash may hold too few for this one (a source may
        // answer with a shorter version it kept): read again then.
        let cached = self
            .cache
            .borrow()
            .get(&id)
            .filter(|b| b.len() >= usize::from(width) * 32)
            .map(|bytes| at(bytes));
        let hash = match cached {
            Some(hash) => hash?,
            None => {
                let bytes = read_tile(self.source, id, width)?
                    .ok_or(TlogError::MissingTile { id, width })?;
                let hash = at(&bytes)?;
                self.cache.borrow_mut().insert(id, bytes);
                hash
            }
        };
        self.source.keep_hash(index, hash.0);
        Ok(hash)
    }
}

impl<T: TileSource> HashReader for TileHashes<'_, T> {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<tlog_tiles::Hash>, tlog_tiles::Error> {
        indexes
            .iter()
            .map(|&i| {
                self.hash(i).map_err(|e| {
                    *self.failure.borrow_mut() = Some(e);
                    tlog_tiles::Error::InvalidTile
                })
            })
            .collect()
    }
}

/// A tile as stored, checked to be whole hashes and at most a full tile.
fn read_tile<T: TileSource>(
    source: &T,
    id: TileId,
    width: u16,
) -> Result<Option<Vec<u8>>, TlogError> {
    let bytes = source
        .tile_of_width(id, width)
        .map_err(|e| TlogError::Source(Box::new(e)))?;
    match bytes {
        Some(b) if b.len() % 32 != 0 || b.len() > TILE_BYTES => {
            Err(TlogError::MalformedTile { id, len: b.len() })
        }
        other => Ok(other),
    }
}

fn check_size(size: u64) -> Result<(), TlogError> {
    if size > MAX_SIZE {
        return Err(TlogError::BadSize {
            old: size,
            new: size,
        });
    }
    Ok(())
}

fn tree_hash<T: TileSource>(size: u64, reader: &TileHashes<'_, T>) -> Result<Hash, TlogError> {
    check_size(size)?;
    reader.run(|r| tlog_tiles::tree_hash(size, r)).map(|h| h.0)
}

/// Appends `leaves` (entry hashes, leaf data) to the tree `state` held in `tiles`: the one pure
/// integration every storage backend calls.
///
/// First checks that `tiles` hold `state` (its root recomputed from them), so a database whose
/// tiles and recorded tree disagree is refused before anything is built on it.
pub fn integrate<T: TileSource>(
    state: &TreeState,
    tiles: &T,
    leaves: &[Hash],
) -> Result<Integrated, TlogError> {
    let leaf_hashes: Vec<Hash> = leaves.iter().map(leaf_hash).collect();
    integrate_leaf_hashes(state, tiles, leaf_hashes)
}

/// [`integrate`] from leaf hashes already computed (tests feed RFC 6962 vectors whose leaves are
/// not 32 bytes).
fn integrate_leaf_hashes<T: TileSource>(
    state: &TreeState,
    tiles: &T,
    leaf_hashes: Vec<Hash>,
) -> Result<Integrated, TlogError> {
    let new_size = u64::try_from(leaf_hashes.len())
        .ok()
        .and_then(|n| state.size.checked_add(n))
        .filter(|&n| n <= MAX_SIZE)
        .ok_or(TlogError::BadSize {
            old: state.size,
            new: u64::MAX,
        })?;
    if tree_hash(state.size, &TileHashes::new(tiles, None))? != state.root {
        return Err(TlogError::RootMismatch { size: state.size });
    }
    let mut written = BTreeMap::new();
    let mut pending = leaf_hashes;
    let mut level: u8 = 0;
    while !pending.is_empty() {
        // Hashes already at this level: one per complete subtree of height 8 * level.
        let count = state.size.checked_shr(8 * u32::from(level)).unwrap_or(0);
        let mut id = TileId {
            level,
            index: count / 256,
        };
        let have = (count % 256) as usize;
        let mut buf = Vec::with_capacity(TILE_BYTES);
        if have > 0 {
            let width = have as u16;
            let bytes = read_tile(tiles, id, width)?
                .filter(|b| b.len() >= have * 32)
                .ok_or(TlogError::MissingTile { id, width })?;
            // A longer stored tile (a write that outran its recorded tree) is cut back here.
            buf.extend_from_slice(&bytes[..have * 32]);
        }
        let mut next = Vec::new();
        for h in pending {
            buf.extend_from_slice(&h);
            if buf.len() == TILE_BYTES {
                next.push(Tile::subtree_hash(&buf).0);
                written.insert(
                    id,
                    std::mem::replace(&mut buf, Vec::with_capacity(TILE_BYTES)),
                );
                id.index += 1;
            }
        }
        if !buf.is_empty() {
            written.insert(id, buf);
        }
        pending = next;
        level += 1;
    }
    let root = tree_hash(new_size, &TileHashes::new(tiles, Some(&written)))?;
    Ok(Integrated {
        tiles: written.into_iter().collect(),
        state: TreeState {
            size: new_size,
            root,
        },
    })
}

/// The root of the tree of `size` leaves, recomputed from tiles.
pub fn root<T: TileSource>(size: u64, tiles: &T) -> Result<Hash, TlogError> {
    tree_hash(size, &TileHashes::new(tiles, None))
}

/// The RFC 6962 audit path of leaf `index` in the tree of `size` leaves (as `qc_log::Log::inclusion`).
pub fn inclusion<T: TileSource>(size: u64, index: u64, tiles: &T) -> Result<Vec<Hash>, TlogError> {
    let mut proofs = inclusions(size, &[index], tiles)?;
    Ok(proofs.pop().unwrap_or_default())
}

/// The inclusion proofs of several leaves in the tree of `size` leaves, in their order (each
/// as [`inclusion`] makes it); the tiles read and hashes computed for one serve the others.
///
/// RFC 6962's audit path (§2.1.1) is walked here, not by `tlog_tiles::prove_record`: that
/// recomputes the hashes of the tree's right edge, and copies what is left of the hashes it
/// read at every level, in every proof. A sync's receipts, dozens in one tree, share them.
pub fn inclusions<T: TileSource>(
    size: u64,
    indexes: &[u64],
    tiles: &T,
) -> Result<Vec<Vec<Hash>>, TlogError> {
    check_size(size)?;
    let reader = TileHashes::new(tiles, None);
    // The hash of leaves `lo..size` for each `lo` on the right edge asked for so far.
    let mut edge = BTreeMap::new();
    indexes
        .iter()
        .map(|&index| {
            if index >= size {
                return Err(TlogError::BadIndex { index, size });
            }
            // The subtrees beside the path from the root down to the leaf, leaf side first
            // once reversed.
            // One hash per level above the leaf: at most the tree's height.
            let mut proof = Vec::with_capacity(64 - (size - 1).leading_zeros() as usize);
            let (mut lo, mut hi) = (0, size);
            while hi - lo > 1 {
                let k = split(hi - lo);
                if index < lo + k {
                    proof.push(subtree_hash(&reader, &mut edge, lo + k, hi, size)?);
                    hi = lo + k;
                } else {
                    proof.push(subtree_hash(&reader, &mut edge, lo, lo + k, size)?);
                    lo += k;
                }
            }
            proof.reverse();
            Ok(proof)
        })
        .collect()
}

/// The largest power of two below `n` (at least 2): where RFC 6962 splits `n` leaves.
fn split(n: u64) -> u64 {
    1 << (63 - (n - 1).leading_zeros())
}

/// The hash of leaves `lo..hi` in the tree of `size` leaves, on an audit path: a whole subtree
/// (a power of two, aligned to it), one stored hash; or else the tree's right edge
/// (`hi == size`), computed from whole subtrees once and kept in `edge`.
fn subtree_hash<T: TileSource>(
    reader: &TileHashes<'_, T>,
    edge: &mut BTreeMap<u64, Hash>,
    lo: u64,
    hi: u64,
    size: u64,
) -> Result<Hash, TlogError> {
    let n = hi - lo;
    if n.is_power_of_two() && lo.is_multiple_of(n) {
        let level = n.trailing_zeros() as u8;
        return Ok(reader
            .hash(tlog_tiles::stored_hash_index(level, lo >> level))?
            .0);
    }
    if hi != size {
        return Err(TlogError::Tree(format!(
            "leaves {lo}..{hi} are neither a whole subtree nor the right edge of {size}"
        )));
    }
    if let Some(h) = edge.get(&lo) {
        return Ok(*h);
    }
    let k = split(n);
    let left = subtree_hash(reader, edge, lo, lo + k, size)?;
    let right = subtree_hash(reader, edge, lo + k, hi, size)?;
    let h = tlog_tiles::node_hash(tlog_tiles::Hash(left), tlog_tiles::Hash(right)).0;
    edge.insert(lo, h);
    Ok(h)
}

/// The RFC 6962 proof that the tree of `old` leaves is a prefix of that of `new` (as
/// `qc_log::Log::consistency(old)` on a tree of size `new`); empty when they are equal.
pub fn consistency<T: TileSource>(old: u64, new: u64, tiles: &T) -> Result<Vec<Hash>, TlogError> {
    check_size(new)?;
    if old == 0 || old > new {
        return Err(TlogError::BadSize { old, new });
    }
    let proof = TileHashes::new(tiles, None).run(|r| tlog_tiles::prove_tree(new, old, r))?;
    Ok(proof.into_iter().map(|h| h.0).collect())
}

/// Tiles held in memory: for tests, and for building the tiles of an existing log in batches.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemTiles {
    /// Every tile with its bytes.
    pub tiles: BTreeMap<TileId, Vec<u8>>,
}

impl MemTiles {
    /// No tiles: the empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Stores what an integration wrote.
    pub fn apply(&mut self, integrated: &Integrated) {
        for (id, bytes) in &integrated.tiles {
            self.tiles.insert(*id, bytes.clone());
        }
    }
}

impl TileSource for MemTiles {
    type Error = std::convert::Infallible;
    fn tile(&self, id: TileId) -> Result<Option<Vec<u8>>, Self::Error> {
        Ok(self.tiles.get(&id).cloned())
    }
}

/// The tile paths of C2SP tlog-tiles: `tile/<L>/<N>[.p/<W>]` and `tile/entries/<N>[.p/<W>]` (N
/// as `x001/x234/067`); parse and format, for serving tiles over HTTP read-only.
///
/// A width of 256 is a full tile and has no `.p/` suffix; parsing accepts widths 1 to 256 only in
/// their one canonical spelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TilePath {
    /// A hash tile.
    Hash {
        /// Which tile.
        id: TileId,
        /// Hashes served (1 to 256).
        width: u16,
    },
    /// An entry bundle: the leaf data of entries `256 * index ..`.
    Entries {
        /// Bundle number.
        index: u64,
        /// Entries served (1 to 256).
        width: u16,
    },
}

/// Tile levels C2SP allows (0 to 63).
const MAX_LEVEL: u8 = 63;
/// Longer than any canonical path ("tile/entries/" + 7 groups + ".p/255").
const MAX_PATH_LEN: usize = 64;

impl TilePath {
    /// Parses a path such as `tile/0/x001/x234/067.p/8`; anything but the canonical spelling
    /// is refused, so one tile has one URL (and one cache entry).
    pub fn parse(path: &str) -> Result<Self, TlogError> {
        let bad = || TlogError::MalformedPath(path.chars().take(MAX_PATH_LEN).collect());
        if path.len() > MAX_PATH_LEN {
            return Err(bad());
        }
        let rest = path.strip_prefix("tile/").ok_or_else(bad)?;
        let (kind, rest) = rest.split_once('/').ok_or_else(bad)?;
        let (number, width) = match rest.split_once(".p/") {
            Some((n, w)) => {
                let w = decimal(w)
                    .filter(|w| (1..256).contains(w))
                    .ok_or_else(bad)?;
                (n, w as u16)
            }
            None => (rest, TILE_WIDTH),
        };
        let mut index: u64 = 0;
        let groups: Vec<&str> = number.split('/').collect();
        for (i, group) in groups.iter().enumerate() {
            let digits = if i + 1 < groups.len() {
                group.strip_prefix('x').ok_or_else(bad)?
            } else {
                group
            };
            if digits.len() != 3 {
                return Err(bad());
            }
            let g = decimal(digits).ok_or_else(bad)?;
            index = index
                .checked_mul(1000)
                .and_then(|n| n.checked_add(g))
                .ok_or_else(bad)?;
        }
        let parsed = if kind == "entries" {
            TilePath::Entries { index, width }
        } else {
            let level = decimal(kind)
                .and_then(|l| u8::try_from(l).ok())
                .filter(|&l| l <= MAX_LEVEL)
                .ok_or_else(bad)?;
            TilePath::Hash {
                id: TileId { level, index },
                width,
            }
        };
        // Leading zeros, an "x000" group and the like parse to a number whose canonical path
        // differs.
        if parsed.to_string() != path {
            return Err(bad());
        }
        Ok(parsed)
    }
}

/// Digits only (`u64::from_str` also takes a leading `+`).
fn decimal(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

impl fmt::Display for TilePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (index, width) = match self {
            TilePath::Hash { id, width } => {
                write!(f, "tile/{}/", id.level)?;
                (id.index, *width)
            }
            TilePath::Entries { index, width } => {
                f.write_str("tile/entries/")?;
                (*index, *width)
            }
        };
        let mut groups = vec![index % 1000];
        let mut n = index / 1000;
        while n > 0 {
            groups.push(n % 1000);
            n /= 1000;
        }
        for (i, g) in groups.iter().enumerate().rev() {
            if i > 0 {
                write!(f, "x{g:03}/")?;
            } else {
                write!(f, "{g:03}")?;
            }
        }
        if width != TILE_WIDTH {
            write!(f, ".p/{width}")?;
        }
        Ok(())
    }
}

impl FromStr for TilePath {
    type Err = TlogError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TilePath::parse(s)
    }
}

/// An entry bundle: the leaf data of up to 256 entries, each as a big-endian u16 length then the
/// bytes (here every entry is a 32-byte entry hash — the entries' contents stay private).
pub fn entry_bundle(entries: &[Hash]) -> Vec<u8> {
    let mut out = Vec::with_capacity(entries.len() * 34);
    for e in entries {
        out.extend_from_slice(&32u16.to_be_bytes());
        out.extend_from_slice(e);
    }
    out
}

/// The entries of a bundle made by [`entry_bundle`]: 1 to 256 entries of 32 bytes each.
pub fn parse_entry_bundle(bytes: &[u8]) -> Result<Vec<Hash>, TlogError> {
    let mut entries = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        let (len, tail) = rest
            .split_first_chunk::<2>()
            .ok_or(TlogError::MalformedBundle("truncated length"))?;
        if u16::from_be_bytes(*len) != 32 {
            return Err(TlogError::MalformedBundle("an entry is not 32 bytes"));
        }
        let (entry, tail) = tail
            .split_first_chunk::<32>()
            .ok_or(TlogError::MalformedBundle("truncated entry"))?;
        entries.push(*entry);
        rest = tail;
    }
    if entries.is_empty() || entries.len() > usize::from(TILE_WIDTH) {
        return Err(TlogError::MalformedBundle("not 1 to 256 entries"));
    }
    Ok(entries)
}

#[cfg(test)]
mod tests;
