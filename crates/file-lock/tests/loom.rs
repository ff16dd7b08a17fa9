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
    use std::ops::{Deref, DerefMut};

    use loom::sync::Arc;
    use loom::sync::atomic::{AtomicU64, Ordering};

    pub(crate) use loom::thread::ThreadId;

    /// Wakes one thread waiting with a deadline, the way the kernel's timer would.
    type Alarm = std::sync::Arc<dyn Fn() + Send + Sync>;

    loom::lazy_static! {
        /// Virtual time, and the alarms of threads waiting for a deadline.
        static ref CLOCK: (AtomicU64, loom::sync::Mutex<Vec<Alarm>>) =
            (AtomicU64::new(0), loom::sync::Mutex::new(Vec::new()));
    }

    /// A point in virtual time.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
    pub(crate) struct Instant(pub(crate) u64);

    impl Instant {
        /// The current virtual time.
        pub(crate) fn now() -> Instant {
            Instant(CLOCK.0.load(Ordering::SeqCst))
        }
    }

    /// Moves virtual time to `to` and wakes every thread waiting with a deadline.
    pub(crate) fn advance_clock(to: u64) {
        CLOCK.0.store(to, Ordering::SeqCst);
        // Copied out first: an alarm takes the waiter's mutex, and a waiter holds that
        // mutex while it registers its alarm.
        let alarms: Vec<Alarm> = CLOCK.1.lock().unwrap().clone();
        for alarm in alarms {
            alarm();
        }
    }

    /// A mutex with parking_lot's poison-free `lock`.
    #[derive(Debug)]
    pub(crate) struct Mutex<T>(Arc<loom::sync::Mutex<T>>);

    /// Its guard; the `Option` lets a condition variable take it while waiting, as
    /// parking_lot's `wait(&mut guard)` does.
    pub(crate) struct MutexGuard<'a, T> {
        mutex: &'a Mutex<T>,
        inner: Option<loom::sync::MutexGuard<'a, T>>,
    }

    fn lock_unpoisoned<T>(mutex: &loom::sync::Mutex<T>) -> loom::sync::MutexGuard<'_, T> {
        // Only a panicking model thread poisons it, which already fails the model.
        mutex
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    impl<T> Mutex<T> {
        pub(crate) fn new(value: T) -> Self {
            Mutex(Arc::new(loom::sync::Mutex::new(value)))
        }

        pub(crate) fn lock(&self) -> MutexGuard<'_, T> {
            MutexGuard {
                mutex: self,
                inner: Some(lock_unpoisoned(&self.0)),
            }
        }
    }

    impl<T> Deref for MutexGuard<'_, T> {
        type Target = T;
        fn deref(&self) -> &T {
            self.inner.as_ref().expect("guard present outside a wait")
        }
    }

    impl<T> DerefMut for MutexGuard<'_, T> {
        fn deref_mut(&mut self) -> &mut T {
            self.inner.as_mut().expect("guard present outside a wait")
        }
    }

    /// Whether a wait with a deadline ended because the deadline passed.
    pub(crate) struct WaitTimeoutResult(bool);

    impl WaitTimeoutResult {
        pub(crate) fn timed_out(&self) -> bool {
            self.0
        }
    }

    /// A condition variable with parking_lot's `wait(&mut guard)` and
    /// `wait_until(&mut guard, deadline)`, the deadline on the virtual clock.
    #[derive(Debug)]
    pub(crate) struct Condvar(Arc<loom::sync::Condvar>);

    impl Condvar {
        pub(crate) fn new() -> Self {
            Condvar(Arc::new(loom::sync::Condvar::new()))
        }

        pub(crate) fn wait<T>(&self, guard: &mut MutexGuard<'_, T>) {
            let inner = guard.inner.take().expect("guard present");
            guard.inner = Some(self.0.wait(inner).unwrap_or_else(|p| p.into_inner()));
        }

        /// Like a real timed wait, the deadline cannot slip past unnoticed: the alarm is
        /// registered and the clock checked under the mutex, and the alarm takes the
        /// mutex before it notifies, so it finds the waiter either not yet checking or
        /// already asleep.
        pub(crate) fn wait_until<T: Send + 'static>(
            &self,
            guard: &mut MutexGuard<'_, T>,
            deadline: Instant,
        ) -> WaitTimeoutResult {
            let (mutex, condvar) = (Arc::clone(&guard.mutex.0), Arc::clone(&self.0));
            CLOCK.1.lock().unwrap().push(std::sync::Arc::new(move || {
                drop(lock_unpoisoned(&mutex));
                condvar.notify_all();
            }));
            if Instant::now() >= deadline {
                return WaitTimeoutResult(true);
            }
            self.wait(guard);
            WaitTimeoutResult(Instant::now() >= deadline)
        }

        pub(crate) fn notify_all(&self) {
            self.0.notify_all();
        }
    }
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
