//! The first databases a process opens, opened from many threads at once, all open.
//!
//! A test binary of its own so that these really are the process's first opens: SQLCipher's
//! own set-up used to lag SQLite's, and a thread keying its file in between failed.
#![allow(clippy::unwrap_used)]

use std::sync::Barrier;

use qc_store::{DbKey, Store};

#[test]
fn sixteen_threads_creating_their_first_stores_at_once_all_succeed() {
    let dir = tempfile::tempdir().unwrap();
    let start = Barrier::new(16);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..16)
            .map(|t| {
                let (dir, start) = (dir.path(), &start);
                s.spawn(move || {
                    start.wait();
                    Store::create(&dir.join(format!("{t}.db")), &DbKey::new([7; 32]))
                        .map(drop)
                        .map_err(|e| e.to_string())
                })
            })
            .collect();
        for h in handles {
            assert_eq!(h.join().unwrap(), Ok(()));
        }
    });
}
