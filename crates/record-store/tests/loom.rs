//! Loom model of the in-process snapshot cache. Run with `cargo xtask loom`, or
//! `RUSTFLAGS="--cfg loom" cargo test -p recfiles-record-store --test loom --release`.
//!
//! The cache's own source (`src/cache.rs`) is compiled here against loom's primitives
//! (the `sync_prims` module below stands in for the library's), so what is checked is the
//! library's code and the library itself never depends on loom.
#![cfg(loom)]

/// loom's primitives under the names `src/cache.rs` imports from `crate::sync_prims`.
mod sync_prims {
    pub(crate) use loom::sync::Arc;
    pub(crate) use loom::sync::atomic::{AtomicU64, Ordering};
    pub(crate) use test_support::loom_sync::Mutex;
}

#[path = "../src/cache.rs"]
#[allow(dead_code)]
mod cache;

use cache::SnapshotCache;
use loom::sync::Arc;
use loom::sync::atomic::{AtomicU64, Ordering};

/// The read path in miniature: look the observed identity up in the cache, else "parse"
/// (version × 10) and publish.
fn read(cache: &SnapshotCache<u64, u64>, file: &AtomicU64) -> (u64, u64) {
    let ticket = cache.ticket();
    let seen = file.load(Ordering::SeqCst);
    if let Some((identity, snapshot)) = cache.current()
        && identity == seen
    {
        return (seen, *snapshot);
    }
    let parsed = seen * 10;
    cache.publish(ticket, seen, Arc::new(parsed));
    (seen, parsed)
}

/// A reader that parsed an old version must never replace what a writer published after
/// committing a newer one, in any interleaving.
#[test]
fn cache_never_moves_back_in_time() {
    loom::model(|| {
        let cache = Arc::new(SnapshotCache::<u64, u64>::new());
        let file = Arc::new(AtomicU64::new(1));
        let reader = {
            let (cache, file) = (Arc::clone(&cache), Arc::clone(&file));
            loom::thread::spawn(move || {
                let ticket = cache.ticket();
                let version = file.load(Ordering::SeqCst);
                cache.publish(ticket, version, Arc::new(version));
            })
        };
        file.store(2, Ordering::SeqCst);
        let ticket = cache.ticket();
        cache.publish(ticket, 2, Arc::new(2));
        reader.join().unwrap();
        let (identity, snapshot) = cache.current().unwrap();
        assert_eq!((identity, *snapshot), (2, 2));
    });
}

/// The read path in miniature: look the observed identity up in the cache, else parse
/// and publish. Whatever the interleaving, a reader gets the snapshot that belongs to the
/// identity it observed (never a torn identity/snapshot pair, never another version),
/// and a read after the writer's commit gets the new version.
#[test]
fn readers_get_the_version_they_observed() {
    loom::model(|| {
        let cache = Arc::new(SnapshotCache::<u64, u64>::new());
        let file = Arc::new(AtomicU64::new(1));
        let readers: Vec<_> = (0..2)
            .map(|_| {
                let (cache, file) = (Arc::clone(&cache), Arc::clone(&file));
                loom::thread::spawn(move || {
                    let (seen, snapshot) = read(&cache, &file);
                    assert_eq!(snapshot, seen * 10, "got a snapshot of another version");
                })
            })
            .collect();
        file.store(2, Ordering::SeqCst);
        for reader in readers {
            reader.join().unwrap();
        }
        assert_eq!(read(&cache, &file), (2, 20));
    });
}

/// A writer takes the cached entry out for a transaction (`Store::update` does when no
/// reader holds the snapshot), puts it back under its old ticket when the transaction
/// commits nothing, then commits a new version. Whatever the interleaving with a reader
/// that looks meanwhile: the reader gets the version it observed, putting back never
/// replaces a newer observation, and the cache ends at the committed version.
#[test]
fn taking_an_entry_out_and_back_never_moves_back_in_time() {
    loom::model(|| {
        let cache = Arc::new(SnapshotCache::<u64, u64>::new());
        let file = Arc::new(AtomicU64::new(1));
        let first = cache.ticket();
        cache.publish(first, 1, Arc::new(10));
        let reader = {
            let (cache, file) = (Arc::clone(&cache), Arc::clone(&file));
            loom::thread::spawn(move || {
                let (seen, snapshot) = read(&cache, &file);
                assert_eq!(snapshot, seen * 10, "got a snapshot of another version");
            })
        };
        // A transaction that changes nothing: take the entry, put it back.
        if let Some((ticket, identity, snapshot)) = cache.take() {
            assert_eq!((identity, *snapshot), (1, 10));
            cache.publish(ticket, identity, snapshot);
        }
        let (identity, snapshot) = cache.current().expect("an entry after putting back");
        assert_eq!((identity, *snapshot), (1, 10));
        // A transaction that commits version 2.
        let taken = cache.take();
        file.store(2, Ordering::SeqCst);
        let ticket = cache.ticket();
        // Refused only when the reader observed version 2 later and published it.
        cache.publish(ticket, 2, Arc::new(20));
        drop(taken);
        reader.join().unwrap();
        assert_eq!(read(&cache, &file), (2, 20));
    });
}
