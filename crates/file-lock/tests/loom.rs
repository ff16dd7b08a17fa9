//! Loom model of the in-process lock table (`src/in_process.rs`): contention, a waiter
//! with a deadline, and downgrade. Run with `cargo xtask loom`, or
//! `RUSTFLAGS="--cfg loom" cargo test -p recfiles-file-lock --test loom --release`.
//!
//! The table's own source is compiled here against loom's primitives (the `sync_prims`
//! module below stands in for the library's), so what is checked is the library's code
//! and the library itself never depends on loom. Time is a virtual clock: a deadline
//! passes when a model thread advances the clock, which, like the kernel's timer, wakes
//! every thread waiting with a deadline; loom then explores the expiry at every point
//! of the other threads' work.
#![cfg(loom)]

/// loom's primitives, and a virtual clock, under the names `src/in_process.rs` imports
/// from `crate::sync_prims`.
mod sync_prims {
    pub(crate) use loom::thread::ThreadId;
    pub(crate) use test_support::loom_sync::{Condvar, Instant, Mutex, advance_clock};
}

/// file-lock's lock modes, as `src/in_process.rs` imports them from `crate`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// One holder at a time.
    Exclusive,
    /// Any number of holders; excludes exclusive ones.
    Shared,
}

#[path = "../src/in_process.rs"]
#[allow(dead_code)]
mod in_process;

use in_process::{Key, LockTable, Refusal};
use loom::sync::Arc;
use loom::sync::atomic::{AtomicUsize, Ordering};
use sync_prims::{Instant, advance_clock};

const KEY: Key = Key {
    device: 1,
    inode: 1,
};

/// Explores every interleaving with at most three preemptions (loom's recommended bound:
/// the bugs loom finds need few; the three-thread models do not finish unbounded on a
/// shared machine).
fn bounded(model: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(3);
    builder.check(model);
}

fn me() -> loom::thread::ThreadId {
    loom::thread::current().id()
}

/// Counts holders, checking on entry that the mode's exclusion holds: an exclusive
/// holder is alone, shared holders never meet an exclusive one.
#[derive(Default)]
struct Occupancy {
    exclusive: AtomicUsize,
    shared: AtomicUsize,
}

impl Occupancy {
    fn enter(&self, mode: Mode) {
        match mode {
            Mode::Exclusive => {
                assert_eq!(
                    self.exclusive.fetch_add(1, Ordering::SeqCst),
                    0,
                    "two exclusive holders"
                );
                assert_eq!(
                    self.shared.load(Ordering::SeqCst),
                    0,
                    "exclusive beside shared"
                );
            }
            Mode::Shared => {
                self.shared.fetch_add(1, Ordering::SeqCst);
                assert_eq!(
                    self.exclusive.load(Ordering::SeqCst),
                    0,
                    "shared beside exclusive"
                );
            }
        }
    }

    fn leave(&self, mode: Mode) {
        match mode {
            Mode::Exclusive => self.exclusive.fetch_sub(1, Ordering::SeqCst),
            Mode::Shared => self.shared.fetch_sub(1, Ordering::SeqCst),
        };
    }
}

/// Takes `mode` (waiting forever), checks exclusion while holding it, releases.
fn hold(table: &LockTable, occupancy: &Occupancy, mode: Mode) {
    table.acquire(KEY, mode, me(), None, false).unwrap();
    occupancy.enter(mode);
    occupancy.leave(mode);
    table.release(KEY, mode, me());
}

/// A writer and two readers contend: exclusion holds in every interleaving, no wake-up is
/// lost (loom reports a deadlock if a waiter sleeps forever), and the table ends empty.
#[test]
fn contention_keeps_exclusion_and_loses_no_wakeup() {
    bounded(|| {
        let table = Arc::new(LockTable::new());
        let occupancy = Arc::new(Occupancy::default());
        let threads: Vec<_> = [Mode::Exclusive, Mode::Shared]
            .into_iter()
            .map(|mode| {
                let (table, occupancy) = (Arc::clone(&table), Arc::clone(&occupancy));
                loom::thread::spawn(move || hold(&table, &occupancy, mode))
            })
            .collect();
        hold(&table, &occupancy, Mode::Shared);
        for thread in threads {
            thread.join().unwrap();
        }
        assert!(!table.is_registered(KEY));
    });
}

/// A waiter with a deadline against a holder that releases while virtual time passes the
/// deadline: the waiter either gets the lock only after the holder let go, or times out
/// only once the deadline has passed, and a timed-out waiter leaves no entry behind.
#[test]
fn a_waiter_with_a_deadline_gets_the_lock_or_times_out_cleanly() {
    loom::model(|| {
        let table = Arc::new(LockTable::new());
        let held = Arc::new(AtomicUsize::new(1));
        table
            .acquire(KEY, Mode::Exclusive, me(), None, false)
            .unwrap();
        let waiter = {
            let (table, held) = (Arc::clone(&table), Arc::clone(&held));
            loom::thread::spawn(move || {
                let outcome = table.acquire(KEY, Mode::Exclusive, me(), Some(Instant(1)), false);
                match outcome {
                    Ok(()) => {
                        assert_eq!(held.load(Ordering::SeqCst), 0, "admitted beside the holder");
                        table.release(KEY, Mode::Exclusive, me());
                    }
                    Err(refusal) => {
                        assert_eq!(refusal, Refusal::Timeout);
                        assert!(
                            Instant::now() >= Instant(1),
                            "timed out before the deadline"
                        );
                    }
                }
                outcome
            })
        };
        let timer = loom::thread::spawn(|| advance_clock(1));
        held.store(0, Ordering::SeqCst);
        table.release(KEY, Mode::Exclusive, me());
        timer.join().unwrap();
        let _ = waiter.join().unwrap();
        assert!(
            !table.is_registered(KEY),
            "an entry outlived every holder and waiter"
        );
    });
}

/// A deadline that has already passed refuses at once without waiting, and a try-only
/// request never waits.
#[test]
fn a_passed_deadline_and_a_try_refuse_without_waiting() {
    loom::model(|| {
        let table = Arc::new(LockTable::new());
        table.acquire(KEY, Mode::Shared, me(), None, false).unwrap();
        let other = {
            let table = Arc::clone(&table);
            loom::thread::spawn(move || {
                (
                    table.acquire(KEY, Mode::Exclusive, me(), None, true),
                    table.acquire(KEY, Mode::Exclusive, me(), Some(Instant(0)), false),
                )
            })
        };
        assert_eq!(
            other.join().unwrap(),
            (Err(Refusal::WouldBlock), Err(Refusal::Timeout))
        );
        table.release(KEY, Mode::Shared, me());
        assert!(!table.is_registered(KEY));
    });
}

/// Downgrade wakes a waiting reader at once (the writer keeps its now shared lock until
/// the reader confirms, so a downgrade that forgot to wake would deadlock the model),
/// while a waiting writer stays excluded until both readers are gone.
#[test]
fn downgrade_admits_waiting_readers_and_still_excludes_writers() {
    bounded(|| {
        let table = Arc::new(LockTable::new());
        let occupancy = Arc::new(Occupancy::default());
        table
            .acquire(KEY, Mode::Exclusive, me(), None, false)
            .unwrap();
        occupancy.enter(Mode::Exclusive);
        let (admitted, reader_in) = loom::sync::mpsc::channel::<()>();
        let reader = {
            let (table, occupancy) = (Arc::clone(&table), Arc::clone(&occupancy));
            loom::thread::spawn(move || {
                table.acquire(KEY, Mode::Shared, me(), None, false).unwrap();
                occupancy.enter(Mode::Shared);
                admitted.send(()).unwrap();
                occupancy.leave(Mode::Shared);
                table.release(KEY, Mode::Shared, me());
            })
        };
        let writer = {
            let (table, occupancy) = (Arc::clone(&table), Arc::clone(&occupancy));
            loom::thread::spawn(move || hold(&table, &occupancy, Mode::Exclusive))
        };
        occupancy.leave(Mode::Exclusive);
        occupancy.shared.fetch_add(1, Ordering::SeqCst);
        table.downgrade(KEY, me());
        reader_in.recv().unwrap();
        occupancy.shared.fetch_sub(1, Ordering::SeqCst);
        table.release(KEY, Mode::Shared, me());
        reader.join().unwrap();
        writer.join().unwrap();
        assert!(!table.is_registered(KEY));
    });
}
