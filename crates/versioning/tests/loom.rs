//! Loom model of the hybrid logical clock shared between threads. Run with
//! `RUSTFLAGS="--cfg loom" cargo test -p recfiles-versioning --test loom --release`
//! (`cargo xtask loom` does).
//!
//! The clock's own source (`src/hlc.rs`) is compiled here against loom's mutex (the
//! `shim` module below stands in for the library's), so what is checked is the library's
//! code and the library itself never depends on loom.
#![cfg(loom)]

/// loom's mutex under the name `src/hlc.rs` imports from `crate::shim`.
mod shim {
    pub(crate) use test_support::loom_sync::Mutex;
}

#[path = "../src/hlc.rs"]
#[allow(dead_code)]
mod hlc;

use std::sync::Arc as StdArc;

use hlc::{Hlc, HlcOptions, ManualClock, Stamp, WriterId};
use loom::sync::Arc;

fn clock_at(ms: u64) -> Hlc {
    Hlc::new(
        WriterId::new("dev-a").unwrap(),
        StdArc::new(ManualClock::new(ms)),
        HlcOptions::default(),
    )
}

/// Two threads taking stamps from one clock never get the same stamp, and each
/// thread's stamps increase, in every interleaving.
#[test]
fn concurrent_stamps_are_unique_and_increase_per_thread() {
    loom::model(|| {
        let hlc = Arc::new(clock_at(1_000));
        let other = {
            let hlc = Arc::clone(&hlc);
            loom::thread::spawn(move || {
                let first = hlc.now();
                let second = hlc.now();
                assert!(second > first);
                vec![first, second]
            })
        };
        let mine = [hlc.now(), hlc.now()];
        assert!(mine[1] > mine[0]);
        let mut all = other.join().unwrap();
        all.extend(mine);
        all.sort();
        all.dedup();
        assert_eq!(all.len(), 4, "no stamp issued twice");
    });
}

/// A stamp taken after another thread observed a remote stamp orders after it.
#[test]
fn stamp_after_a_concurrent_observe_orders_after_the_remote_stamp() {
    loom::model(|| {
        let hlc = Arc::new(clock_at(1_000));
        let remote = Stamp {
            ms: 5_000,
            logical: 3,
            writer: "dev-b".into(),
        };
        let observer = {
            let (hlc, remote) = (Arc::clone(&hlc), remote.clone());
            loom::thread::spawn(move || hlc.observe(&remote).unwrap())
        };
        let before_join = hlc.now();
        observer.join().unwrap();
        let after = hlc.now();
        assert!(after > remote);
        assert!(after > before_join);
    });
}
