//! loom's primitives with parking_lot's interface, for the loom models that compile a
//! library's own source against them (`--cfg loom` only).
//!
//! The libraries use parking_lot: a poison-free `lock()`, a condition variable that
//! waits on `&mut guard`, and `Instant` deadlines. A loom model includes the library's
//! source file with `#[path]` and puts this module's types under the name that file
//! imports its primitives from, so the model checks the library's code as it is and the
//! library never depends on loom.
//!
//! Time is virtual: [`Instant::now`] reads a clock that only [`advance_clock`] moves,
//! and moving it wakes every thread waiting with a deadline, as the kernel's timer would;
//! loom then explores the expiry at every point of the other threads' work.

use std::ops::{Deref, DerefMut};

use loom::sync::Arc;
use loom::sync::atomic::{AtomicU64, Ordering};

/// Wakes one thread waiting with a deadline.
type Alarm = std::sync::Arc<dyn Fn() + Send + Sync>;

loom::lazy_static! {
    /// Virtual time, and the alarms of threads waiting for a deadline.
    static ref CLOCK: (AtomicU64, loom::sync::Mutex<Vec<Alarm>>) =
        (AtomicU64::new(0), loom::sync::Mutex::new(Vec::new()));
}

/// A point in virtual time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Instant(pub u64);

impl Instant {
    /// The current virtual time.
    pub fn now() -> Instant {
        Instant(CLOCK.0.load(Ordering::SeqCst))
    }
}

/// Moves virtual time to `to` and wakes every thread waiting with a deadline.
pub fn advance_clock(to: u64) {
    CLOCK.0.store(to, Ordering::SeqCst);
    // Copied out first: an alarm takes the waiter's mutex, and a waiter holds that
    // mutex while it registers its alarm.
    let alarms: Vec<Alarm> = lock_unpoisoned(&CLOCK.1).clone();
    for alarm in alarms {
        alarm();
    }
}

/// A mutex with parking_lot's poison-free `lock`.
#[derive(Debug)]
pub struct Mutex<T>(Arc<loom::sync::Mutex<T>>);

/// Its guard; the `Option` lets a condition variable take it while waiting, as
/// parking_lot's `wait(&mut guard)` does.
pub struct MutexGuard<'a, T> {
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
    /// A mutex holding `value`.
    pub fn new(value: T) -> Self {
        Mutex(Arc::new(loom::sync::Mutex::new(value)))
    }

    /// Locks it; never poisoned.
    pub fn lock(&self) -> MutexGuard<'_, T> {
        MutexGuard {
            mutex: self,
            inner: Some(lock_unpoisoned(&self.0)),
        }
    }
}

impl<T: Default> Default for Mutex<T> {
    fn default() -> Self {
        Mutex::new(T::default())
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
pub struct WaitTimeoutResult(bool);

impl WaitTimeoutResult {
    /// The deadline passed.
    pub fn timed_out(&self) -> bool {
        self.0
    }
}

/// A condition variable with parking_lot's `wait(&mut guard)` and
/// `wait_until(&mut guard, deadline)`, the deadline on the virtual clock.
#[derive(Debug)]
pub struct Condvar(Arc<loom::sync::Condvar>);

impl Condvar {
    /// A condition variable nobody waits on.
    pub fn new() -> Self {
        Condvar(Arc::new(loom::sync::Condvar::new()))
    }

    /// Releases the guard's mutex until notified, then takes it again.
    pub fn wait<T>(&self, guard: &mut MutexGuard<'_, T>) {
        let inner = guard.inner.take().expect("guard present");
        guard.inner = Some(self.0.wait(inner).unwrap_or_else(|p| p.into_inner()));
    }

    /// Like [`wait`](Condvar::wait), until `deadline` at the latest. Like a real timed
    /// wait, the deadline cannot slip past unnoticed: the alarm is registered and the
    /// clock checked under the mutex, and the alarm takes the mutex before it notifies,
    /// so it finds the waiter either not yet checking or already asleep.
    pub fn wait_until<T: Send + 'static>(
        &self,
        guard: &mut MutexGuard<'_, T>,
        deadline: Instant,
    ) -> WaitTimeoutResult {
        let (mutex, condvar) = (Arc::clone(&guard.mutex.0), Arc::clone(&self.0));
        lock_unpoisoned(&CLOCK.1).push(std::sync::Arc::new(move || {
            drop(lock_unpoisoned(&mutex));
            condvar.notify_all();
        }));
        if Instant::now() >= deadline {
            return WaitTimeoutResult(true);
        }
        self.wait(guard);
        WaitTimeoutResult(Instant::now() >= deadline)
    }

    /// Wakes every waiter.
    pub fn notify_all(&self) {
        self.0.notify_all();
    }
}

impl Default for Condvar {
    fn default() -> Self {
        Condvar::new()
    }
}
