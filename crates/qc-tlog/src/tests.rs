use super::*;
use ct_merkle::mem_backed_tree::MemoryBackedTree;
use sha2::{Digest, Sha256};

include!("../testdata/rfc6962.rs");

fn d(h: &str) -> Hash {
    hex::decode(h).unwrap().try_into().unwrap()
}

/// Tiles of the 8 RFC leaves, integrated one at a time (so older sizes are read from grown tiles).
fn rfc_tiles() -> MemTiles {
    let mut tiles = MemTiles::new();
    let mut state = TreeState::EMPTY;
    for leaf in rfc_leaves() {
        let mut h = Sha256::new();
        h.update([0u8]);
        h.update(&leaf);
        let out = integrate_leaf_hashes(&state, &tiles, vec![h.finalize().into()]).unwrap();
        tiles.apply(&out);
        state = out.state;
    }
    tiles
}

#[test]
fn roots_match_the_rfc_reference_for_every_size() {
    let tiles = rfc_tiles();
    let roots = rfc().roots;
    for (n, want) in roots.iter().enumerate() {
        assert_eq!(
            hex::encode(root(n as u64, &tiles).unwrap()),
            *want,
            "size {n}"
        );
    }
    assert_eq!(EMPTY_ROOT, d(&roots[0]));
}

#[test]
fn inclusion_proofs_match_the_rfc_reference() {
    let tiles = rfc_tiles();
    for (index, size, path) in rfc().inclusion {
        let want: Vec<Hash> = path.iter().map(|h| d(h)).collect();
        assert_eq!(
            inclusion(size, index, &tiles).unwrap(),
            want,
            "{index} of {size}"
        );
    }
}

#[test]
fn consistency_proofs_match_the_rfc_reference() {
    let tiles = rfc_tiles();
    for (old, new, path) in rfc().consistency {
        let want: Vec<Hash> = path.iter().map(|h| d(h)).collect();
        assert_eq!(
            consistency(old, new, &tiles).unwrap(),
            want,
            "{old} -> {new}"
        );
    }
}

/// Entry hashes made from a counter.
fn entry(i: u64) -> Hash {
    Sha256::digest(i.to_le_bytes()).into()
}

/// The in-memory tree qc-log uses, leaves hashed the same way.
type Reference = MemoryBackedTree<Sha256, [u8; 32]>;

fn split(bytes: &[u8]) -> Vec<Hash> {
    bytes
        .chunks_exact(32)
        .map(|c| c.try_into().unwrap())
        .collect()
}

fn ref_root(t: &Reference) -> Hash {
    t.root().as_bytes().as_slice().try_into().unwrap()
}

/// Checks root, the inclusion proofs of `indexes` and the consistency proofs from `olds`
/// against the reference tree, which holds exactly `size` leaves.
fn check_against(
    reference: &Reference,
    tiles: &MemTiles,
    size: u64,
    indexes: impl IntoIterator<Item = u64>,
    olds: impl IntoIterator<Item = u64>,
) {
    assert_eq!(reference.len(), size);
    assert_eq!(
        root(size, tiles).unwrap(),
        ref_root(reference),
        "root {size}"
    );
    let (mut batch, mut wants) = (Vec::new(), Vec::new());
    for i in indexes.into_iter().filter(|&i| i < size) {
        let want = split(reference.prove_inclusion(i as usize).as_bytes());
        assert_eq!(
            inclusion(size, i, tiles).unwrap(),
            want,
            "leaf {i} of {size}"
        );
        batch.push(i);
        wants.push(want);
    }
    // The same proofs made in one batch, sharing what they read and compute.
    assert_eq!(
        inclusions(size, &batch, tiles).unwrap(),
        wants,
        "batch of {size}"
    );
    for old in olds.into_iter().filter(|&o| (1..=size).contains(&o)) {
        let want = split(
            reference
                .prove_consistency((size - old) as usize)
                .as_bytes(),
        );
        assert_eq!(
            consistency(old, size, tiles).unwrap(),
            want,
            "{old} -> {size}"
        );
    }
}

/// Indexes and sizes around the edges of tiles and subtrees.
fn samples(n: u64) -> Vec<u64> {
    let mut s = vec![0, 1, 2, 3, 5, 8, 13];
    s.extend([127, 128, 129, 255, 256, 257, 511, 512]);
    s.extend([n / 3, n / 2, n.saturating_sub(2), n.saturating_sub(1), n]);
    s
}

#[test]
fn every_size_to_600_matches_the_in_memory_tree() {
    let mut reference = Reference::new();
    let mut tiles = MemTiles::new();
    let mut state = TreeState::EMPTY;
    let mut roots = vec![EMPTY_ROOT];
    for n in 0..=600u64 {
        if n > 0 {
            reference.push(entry(n - 1));
            let out = integrate(&state, &tiles, &[entry(n - 1)]).unwrap();
            tiles.apply(&out);
            state = out.state;
            roots.push(state.root);
        }
        assert_eq!(
            state,
            TreeState {
                size: n,
                root: ref_root(&reference)
            }
        );
        // A proof reads up to 255 hashes out of a tile; unoptimised, every proof of every size
        // would take most of a minute.
        let (indexes, olds): (Vec<u64>, Vec<u64>) = if n <= 33 || n == 257 {
            ((0..n).collect(), (1..=n).collect())
        } else if n % 7 == 0 {
            (samples(n), samples(n))
        } else {
            (
                vec![n / 2, n.saturating_sub(1)],
                vec![n / 2, n.saturating_sub(1)],
            )
        };
        check_against(&reference, &tiles, n, indexes, olds);
    }
    // Older trees stay readable from the grown tiles.
    for (m, want) in roots.iter().enumerate() {
        assert_eq!(root(m as u64, &tiles).unwrap(), *want, "size {m}");
    }
}

#[test]
fn seventy_thousand_leaves_in_uneven_batches_match_and_full_tiles_never_change() {
    const N: u64 = 70_000;
    let batches = [1u64, 7, 256, 1000, 3, 255, 257, 4096, 2, 511, 65];
    let mut reference = Reference::new();
    let mut tiles = MemTiles::new();
    let mut state = TreeState::EMPTY;
    let mut full: BTreeMap<TileId, Vec<u8>> = BTreeMap::new();
    let mut roots = vec![(0, EMPTY_ROOT)];
    for &b in batches.iter().cycle() {
        if state.size == N {
            break;
        }
        let end = (state.size + b).min(N);
        let leaves: Vec<Hash> = (state.size..end).map(entry).collect();
        for l in &leaves {
            reference.push(*l);
        }
        let out = integrate(&state, &tiles, &leaves).unwrap();
        for (id, bytes) in &out.tiles {
            assert!(!full.contains_key(id), "full tile {id:?} rewritten");
            assert_eq!(bytes.len() % 32, 0);
            assert_eq!(usize::from(tile_width(*id, end)) * 32, bytes.len());
            if bytes.len() == 256 * 32 {
                full.insert(*id, bytes.clone());
            }
        }
        tiles.apply(&out);
        state = out.state;
        assert_eq!(
            state,
            TreeState {
                size: end,
                root: ref_root(&reference)
            }
        );
        roots.push((end, state.root));
    }
    // 273 full leaf tiles, one full level-1 tile (65,536 leaves), partial tiles above.
    assert!(full.contains_key(&TileId { level: 1, index: 0 }));
    for (id, bytes) in &full {
        assert_eq!(tiles.tiles.get(id), Some(bytes));
    }
    let edges = [
        0,
        1,
        255,
        256,
        65_535,
        65_536,
        65_537,
        69_631,
        69_632,
        N - 2,
        N - 1,
        N,
    ];
    let spread = (1..40).map(|k| k * 1_777);
    check_against(
        &reference,
        &tiles,
        N,
        edges.into_iter().chain(spread.clone()),
        edges
            .into_iter()
            .chain(spread)
            .chain(roots.iter().map(|r| r.0).step_by(25)),
    );
    for (size, want) in roots {
        assert_eq!(root(size, &tiles).unwrap(), want, "size {size}");
    }

    // The same leaves in one batch write the same tiles.
    let all: Vec<Hash> = (0..N).map(entry).collect();
    let mut once = MemTiles::new();
    let out = integrate(&TreeState::EMPTY, &once, &all).unwrap();
    once.apply(&out);
    assert_eq!(out.state, state);
    assert_eq!(once, tiles);
}

#[test]
fn one_batch_equals_leaf_by_leaf() {
    let n = 1_100;
    let leaves: Vec<Hash> = (0..n).map(entry).collect();
    let mut one = MemTiles::new();
    let out = integrate(&TreeState::EMPTY, &one, &leaves).unwrap();
    one.apply(&out);
    let mut each = MemTiles::new();
    let mut state = TreeState::EMPTY;
    for l in &leaves {
        let o = integrate(&state, &each, std::slice::from_ref(l)).unwrap();
        each.apply(&o);
        state = o.state;
    }
    assert_eq!(state, out.state);
    assert_eq!(one, each);
    // Integrating nothing changes nothing.
    let none = integrate(&state, &each, &[]).unwrap();
    assert_eq!(
        none,
        Integrated {
            tiles: vec![],
            state
        }
    );
}

fn built(n: u64) -> (MemTiles, TreeState) {
    let leaves: Vec<Hash> = (0..n).map(entry).collect();
    let mut tiles = MemTiles::new();
    let out = integrate(&TreeState::EMPTY, &tiles, &leaves).unwrap();
    tiles.apply(&out);
    (tiles, out.state)
}

#[test]
fn a_missing_or_malformed_tile_is_an_error_not_a_panic() {
    let (tiles, state) = built(1_000);
    let missing = |e: TlogError| matches!(e, TlogError::MissingTile { .. });
    for id in [
        TileId { level: 0, index: 1 },
        TileId { level: 0, index: 3 },
        TileId { level: 1, index: 0 },
    ] {
        let mut t = tiles.clone();
        t.tiles.remove(&id);
        let errors = [
            root(1_000, &t).err(),
            inclusion(1_000, 300, &t).err(),
            inclusion(1_000, 999, &t).err(),
            consistency(300, 1_000, &t).err(),
            integrate(&state, &t, &[entry(1)]).err(),
        ];
        assert!(errors.into_iter().flatten().any(missing), "{id:?}");
    }
    // A tile shorter than the tree needs is as good as missing.
    let mut short = tiles.clone();
    short
        .tiles
        .get_mut(&TileId { level: 0, index: 3 })
        .unwrap()
        .truncate(32 * 10);
    assert!(missing(root(1_000, &short).unwrap_err()));
    assert!(missing(integrate(&state, &short, &[entry(1)]).unwrap_err()));
    // Sizes beyond the tiles.
    assert!(missing(root(5_000, &tiles).unwrap_err()));
    assert!(missing(inclusion(70_000, 5, &tiles).unwrap_err()));
    // Not whole hashes.
    let mut torn = tiles.clone();
    torn.tiles
        .get_mut(&TileId { level: 0, index: 0 })
        .unwrap()
        .pop();
    assert!(matches!(
        inclusion(1_000, 5, &torn),
        Err(TlogError::MalformedTile { len: 8191, .. })
    ));
    // Tiles that hold another tree than the one recorded.
    let wrong = TreeState {
        size: 1_000,
        root: [7; 32],
    };
    assert!(matches!(
        integrate(&wrong, &tiles, &[entry(1)]),
        Err(TlogError::RootMismatch { size: 1_000 })
    ));
}

#[test]
fn a_failing_source_passes_its_error_through() {
    #[derive(Debug, thiserror::Error)]
    #[error("disk on fire")]
    struct Fire;
    struct Burning;
    impl TileSource for Burning {
        type Error = Fire;
        fn tile(&self, _: TileId) -> Result<Option<Vec<u8>>, Fire> {
            Err(Fire)
        }
    }
    for e in [
        root(3, &Burning).unwrap_err(),
        inclusion(3, 1, &Burning).unwrap_err(),
        consistency(1, 3, &Burning).unwrap_err(),
    ] {
        assert!(
            matches!(&e, TlogError::Source(s) if s.to_string() == "disk on fire"),
            "{e}"
        );
    }
}

/// Sizes and indexes at the edges of the arithmetic.
const EDGES: [u64; 9] = [
    0,
    1,
    2,
    MAX_SIZE - 1,
    MAX_SIZE,
    MAX_SIZE + 1,
    1 << 63,
    u64::MAX - 1,
    u64::MAX,
];

#[test]
fn hostile_sizes_and_indexes_are_errors_never_panics() {
    let (tiles, state) = built(3);
    for size in EDGES {
        let _ = root(size, &tiles);
        for other in EDGES.into_iter().chain([size / 2, size.wrapping_sub(1)]) {
            let _ = inclusion(size, other, &tiles);
            let _ = consistency(other, size, &tiles);
        }
        let _ = tile_width(
            TileId {
                level: 63,
                index: size,
            },
            size,
        );
        let _ = tile_width(
            TileId {
                level: 0,
                index: size,
            },
            size,
        );
    }
    assert!(matches!(
        inclusion(3, 3, &tiles),
        Err(TlogError::BadIndex { index: 3, size: 3 })
    ));
    assert!(matches!(
        consistency(0, 3, &tiles),
        Err(TlogError::BadSize { .. })
    ));
    assert!(matches!(
        consistency(4, 3, &tiles),
        Err(TlogError::BadSize { .. })
    ));
    assert_eq!(consistency(3, 3, &tiles).unwrap(), Vec::<Hash>::new());
    let huge = TreeState {
        size: MAX_SIZE,
        root: state.root,
    };
    assert!(integrate(&huge, &tiles, &[entry(0)]).is_err());
}

#[test]
fn tile_widths_follow_the_tree() {
    let t = |level, index| TileId { level, index };
    assert_eq!(tile_width(t(0, 0), 0), 0);
    assert_eq!(tile_width(t(0, 0), 1), 1);
    assert_eq!(tile_width(t(0, 0), 256), 256);
    assert_eq!(tile_width(t(0, 1), 256), 0);
    assert_eq!(tile_width(t(0, 1), 300), 44);
    assert_eq!(tile_width(t(1, 0), 300), 1);
    assert_eq!(tile_width(t(1, 0), 255), 0);
    assert_eq!(tile_width(t(2, 0), 70_000), 1);
    assert_eq!(tile_width(t(1, 1), 70_000), 17);
}

#[test]
fn tile_paths_round_trip_in_their_one_canonical_spelling() {
    let hash = |level, index, width| TilePath::Hash {
        id: TileId { level, index },
        width,
    };
    let cases = [
        (hash(0, 0, 256), "tile/0/000"),
        (hash(0, 1, 1), "tile/0/001.p/1"),
        (hash(1, 999, 255), "tile/1/999.p/255"),
        (hash(2, 1000, 256), "tile/2/x001/000"),
        (hash(0, 1_234_067, 8), "tile/0/x001/x234/067.p/8"),
        (hash(63, 1_000_000, 256), "tile/63/x001/x000/000"),
        (
            hash(0, u64::MAX, 256),
            "tile/0/x018/x446/x744/x073/x709/x551/615",
        ),
        (
            TilePath::Entries {
                index: 1_234_067,
                width: 256,
            },
            "tile/entries/x001/x234/067",
        ),
        (
            TilePath::Entries {
                index: 5,
                width: 17,
            },
            "tile/entries/005.p/17",
        ),
    ];
    for (tile, path) in cases {
        assert_eq!(tile.to_string(), path);
        assert_eq!(TilePath::parse(path).unwrap(), tile, "{path}");
        assert_eq!(path.parse::<TilePath>().unwrap(), tile);
    }
    for bad in [
        "",
        "tile",
        "tile/0",
        "tile/0/",
        "tile/0/1",
        "tile/0/0001",
        "tile/00/001",
        "tile/64/001",
        "tile/+1/001",
        "tile/0/+01",
        "tile/0/001.p/0",
        "tile/0/001.p/256",
        "tile/0/001.p/08",
        "tile/0/001.p/",
        "tile/0/x000/001",
        "tile/0/001/002",
        "tile/0/x001",
        "tile/0/y001/002",
        "tile/0/x001/x002",
        "tile/data/001",
        "tile/8/0/001",
        "tile/entries/001.p/300",
        "tile/0/x018/x446/x744/x073/x709/x551/616",
        "tile/0/x999/x999/x999/x999/x999/x999/x999/999",
        "/tile/0/001",
        "tile/0/001/",
    ] {
        assert!(
            matches!(TilePath::parse(bad), Err(TlogError::MalformedPath(_))),
            "{bad:?}"
        );
    }
}

#[test]
fn entry_bundles_round_trip_and_refuse_anything_else() {
    let entries: Vec<Hash> = (0..256).map(entry).collect();
    for n in [1, 2, 255, 256] {
        let bundle = entry_bundle(&entries[..n]);
        assert_eq!(bundle.len(), n * 34);
        assert_eq!(&bundle[..2], &[0, 32]);
        assert_eq!(parse_entry_bundle(&bundle).unwrap(), &entries[..n]);
    }
    let one = entry_bundle(&entries[..1]);
    let mut too_many = entry_bundle(&entries);
    too_many.extend_from_slice(&one);
    let mut wrong_len = one.clone();
    wrong_len[1] = 31;
    for bad in [
        vec![],
        vec![0],
        one[..33].to_vec(),
        [one.clone(), vec![0]].concat(),
        wrong_len,
        too_many,
    ] {
        assert!(matches!(
            parse_entry_bundle(&bad),
            Err(TlogError::MalformedBundle(_))
        ));
    }
}

/// A source that answers each read with only the hashes asked for (as one keeping the
/// versions it read may): proofs and roots come out the same as from the whole tiles.
#[test]
fn a_source_answering_with_only_the_hashes_asked_for_gives_the_same_proofs() {
    struct Asked<'a>(&'a MemTiles);
    impl TileSource for Asked<'_> {
        type Error = std::convert::Infallible;
        fn tile(&self, id: TileId) -> Result<Option<Vec<u8>>, Self::Error> {
            self.0.tile(id)
        }
        fn tile_of_width(&self, id: TileId, width: u16) -> Result<Option<Vec<u8>>, Self::Error> {
            Ok(self
                .0
                .tile(id)?
                .map(|t| t[..(usize::from(width) * 32).min(t.len())].to_vec()))
        }
    }
    let (tiles, state) = built(70_000);
    let short = Asked(&tiles);
    for size in [1, 255, 256, 257, 65_536, 65_537, 70_000] {
        assert_eq!(root(size, &short).unwrap(), root(size, &tiles).unwrap());
        let indexes: Vec<u64> = [0, size / 3, size / 2, size - 1].into();
        assert_eq!(
            inclusions(size, &indexes, &short).unwrap(),
            inclusions(size, &indexes, &tiles).unwrap(),
            "{size}"
        );
        assert_eq!(
            consistency(size / 2 + 1, state.size, &short).unwrap(),
            consistency(size / 2 + 1, state.size, &tiles).unwrap(),
        );
    }
}

/// A source that keeps the stored hashes computed from it, counting its tile reads.
struct Keeping<'a> {
    tiles: &'a MemTiles,
    reads: std::cell::Cell<usize>,
    kept: RefCell<BTreeMap<u64, Hash>>,
}

impl TileSource for Keeping<'_> {
    type Error = std::convert::Infallible;
    fn tile(&self, id: TileId) -> Result<Option<Vec<u8>>, Self::Error> {
        self.reads.set(self.reads.get() + 1);
        self.tiles.tile(id)
    }
    fn kept_hash(&self, index: u64) -> Option<Hash> {
        self.kept.borrow().get(&index).copied()
    }
    fn keep_hash(&self, index: u64, hash: Hash) {
        self.kept.borrow_mut().insert(index, hash);
    }
}

/// Stored hashes a source keeps serve later calls: the same proofs, with no tile read again;
/// and none computed from an integration in progress is offered (it may yet be given up).
#[test]
fn a_source_keeping_computed_hashes_gives_the_same_proofs_without_reading_again() {
    let (tiles, state) = built(70_000);
    let keeping = Keeping {
        tiles: &tiles,
        reads: std::cell::Cell::new(0),
        kept: RefCell::default(),
    };
    let indexes = [0, 1_000, 65_535, 65_536, 69_999];
    let first = inclusions(state.size, &indexes, &keeping).unwrap();
    assert_eq!(first, inclusions(state.size, &indexes, &tiles).unwrap());
    assert!(keeping.reads.get() > 0);
    let read = keeping.reads.get();
    assert_eq!(inclusions(state.size, &indexes, &keeping).unwrap(), first);
    assert_eq!(keeping.reads.get(), read, "every hash was kept");
    assert_eq!(
        consistency(1_000, state.size, &keeping).unwrap(),
        consistency(1_000, state.size, &tiles).unwrap()
    );

    let held = tlog_tiles::stored_hash_count(state.size);
    let leaves: Vec<Hash> = (70_000..70_600).map(entry).collect();
    integrate(&state, &keeping, &leaves).unwrap();
    assert!(
        keeping.kept.borrow().keys().all(|&i| i < held),
        "a hash of the integration offered"
    );
}
