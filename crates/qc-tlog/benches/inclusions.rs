//! A sync's receipts: the inclusion proofs of 65 of the newest leaves of a 70,003-leaf tree in
//! one batch (`qc_tlog::inclusions`, the right edge's hashes shared), against
//! `tlog_tiles::prove_record` for each, in the same run. Both read every stored hash from the
//! same flat store (as a station reads the ones it keeps), so what differs is the walk.

#![allow(missing_docs, clippy::unwrap_used)]

use std::convert::Infallible;

use criterion::{Criterion, criterion_group, criterion_main};
use qc_tlog::{Hash, TileId, TileSource};
use tlog_tiles::HashReader;

/// Every stored hash of the tree, in `tlog_tiles`' numbering.
struct Flat(Vec<tlog_tiles::Hash>);

impl HashReader for Flat {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<tlog_tiles::Hash>, tlog_tiles::Error> {
        Ok(indexes.iter().map(|&i| self.0[i as usize]).collect())
    }
}

impl TileSource for Flat {
    type Error = Infallible;
    fn tile(&self, _: TileId) -> Result<Option<Vec<u8>>, Infallible> {
        unreachable!("every stored hash is kept")
    }
    fn kept_hash(&self, index: u64) -> Option<Hash> {
        Some(self.0[index as usize].0)
    }
}

const LEAVES: u64 = 70_003;

fn flat() -> Flat {
    let mut flat = Flat(Vec::new());
    for i in 0..LEAVES {
        let mut entry = [0u8; 32];
        entry[..8].copy_from_slice(&i.to_be_bytes());
        let new = tlog_tiles::stored_hashes(i, &entry, &flat).unwrap();
        flat.0.extend(new);
    }
    flat
}

fn bench(c: &mut Criterion) {
    let flat = flat();
    // A sync's receipts: its squad's newest entries.
    let indexes: Vec<u64> = (0..65).map(|i| LEAVES - 1 - i * 29).collect();
    let ours = qc_tlog::inclusions(LEAVES, &indexes, &flat).unwrap();
    let theirs: Vec<Vec<Hash>> = indexes
        .iter()
        .map(|&i| {
            tlog_tiles::prove_record(LEAVES, i, &flat)
                .unwrap()
                .into_iter()
                .map(|h| h.0)
                .collect()
        })
        .collect();
    assert_eq!(ours, theirs, "the same proofs");
    let mut g = c.benchmark_group("65 receipts");
    g.bench_function("tlog_tiles::prove_record each (baseline)", |b| {
        b.iter(|| {
            for &i in &indexes {
                std::hint::black_box(tlog_tiles::prove_record(LEAVES, i, &flat).unwrap());
            }
        })
    });
    g.bench_function("qc_tlog::inclusions", |b| {
        b.iter(|| std::hint::black_box(qc_tlog::inclusions(LEAVES, &indexes, &flat).unwrap()))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
