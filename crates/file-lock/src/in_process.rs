//! The in-process table: makes threads of one process queue for a lock like processes do.
//!
//! The kernel already makes two open file descriptions conflict, but a thread that asks
//! again for a lock it holds would wait for itself forever. This table, keyed by the
//! sidecar's device and inode (so every path and hard link to one sidecar meets here),
//! records which threads hold each lock. It turns a self-deadlock into
//! [`Error::AlreadyHeldByThisThread`](crate::Error::AlreadyHeldByThisThread) and lets
//! waiting threads sleep on a condition variable that a release wakes at once. Only a
//! request compatible with every in-process holder goes on to the kernel, so in the kernel
//! a thread only ever waits for other processes.
//!
//! The table's primitives (mutex, condition variable, clock, thread ids) come from
//! [`crate::sync_prims`]; the loom model (`tests/loom.rs`) compiles this file against
//! loom's and a virtual clock, so every interleaving of contention, deadlines and
//! downgrades is checked.

use std::collections::BTreeMap;

use crate::Mode;
use crate::sync_prims::{Condvar, Instant, Mutex, ThreadId};

/// Identity of a sidecar file: device and inode number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Key {
    /// `dev_t` as the platform spells it (`u64` on Linux, `i32` on macOS).
    pub(crate) device: rustix::fs::Dev,
    pub(crate) inode: u64,
}

/// The threads holding one lock in this process.
#[derive(Debug, Default)]
struct Holders {
    exclusive: Option<ThreadId>,
    /// One entry per shared guard; a thread appears at most once (see `acquire`).
    shared: Vec<ThreadId>,
}

impl Holders {
    fn is_empty(&self) -> bool {
        self.exclusive.is_none() && self.shared.is_empty()
    }

    fn includes(&self, thread: ThreadId) -> bool {
        self.exclusive == Some(thread) || self.shared.contains(&thread)
    }

    fn admits(&self, mode: Mode) -> bool {
        match mode {
            Mode::Exclusive => self.is_empty(),
            Mode::Shared => self.exclusive.is_none(),
        }
    }
}

/// The registrations of every lock of this process.
#[derive(Debug)]
pub(crate) struct LockTable {
    holders: Mutex<BTreeMap<Key, Holders>>,
    /// Signalled whenever any lock in the table is released or downgraded.
    changed: Condvar,
}

/// Why the table did not admit a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    AlreadyHeldByThisThread,
    WouldBlock,
    Timeout,
}

impl LockTable {
    /// An empty table (the process has one, in `process_table`; tests and models make
    /// their own).
    pub(crate) fn new() -> Self {
        LockTable {
            holders: Mutex::new(BTreeMap::new()),
            changed: Condvar::new(),
        }
    }

    /// Whether any thread holds or waits for `key` (an entry exists).
    #[cfg(test)]
    #[cfg_attr(loom, allow(dead_code))]
    pub(crate) fn is_registered(&self, key: Key) -> bool {
        self.holders.lock().contains_key(&key)
    }

    /// Registers `thread` as a holder of `key` in `mode`, waiting for other threads of this
    /// process to let go first: not at all (`deadline == Some(now or earlier)`), until
    /// `deadline`, or forever (`None`).
    pub(crate) fn acquire(
        &self,
        key: Key,
        mode: Mode,
        thread: ThreadId,
        deadline: Option<Instant>,
        try_only: bool,
    ) -> Result<(), Refusal> {
        let mut table = self.holders.lock();
        loop {
            let holders = table.entry(key).or_default();
            if holders.includes(thread) {
                return Err(Refusal::AlreadyHeldByThisThread);
            }
            if holders.admits(mode) {
                match mode {
                    Mode::Exclusive => holders.exclusive = Some(thread),
                    Mode::Shared => holders.shared.push(thread),
                }
                return Ok(());
            }
            if try_only {
                return Err(Refusal::WouldBlock);
            }
            match deadline {
                None => self.changed.wait(&mut table),
                Some(deadline) => {
                    if self.changed.wait_until(&mut table, deadline).timed_out() {
                        let holders = table.entry(key).or_default();
                        if holders.includes(thread) {
                            return Err(Refusal::AlreadyHeldByThisThread);
                        }
                        if !holders.admits(mode) {
                            remove_if_empty(&mut table, key);
                            return Err(Refusal::Timeout);
                        }
                    }
                }
            }
        }
    }

    /// Removes the registration `acquire` made (or `downgrade`/`transfer` changed).
    pub(crate) fn release(&self, key: Key, mode: Mode, thread: ThreadId) {
        let mut table = self.holders.lock();
        if let Some(holders) = table.get_mut(&key) {
            match mode {
                Mode::Exclusive => {
                    if holders.exclusive == Some(thread) {
                        holders.exclusive = None;
                    }
                }
                Mode::Shared => {
                    if let Some(index) = holders.shared.iter().position(|&t| t == thread) {
                        holders.shared.swap_remove(index);
                    }
                }
            }
        }
        remove_if_empty(&mut table, key);
        drop(table);
        self.changed.notify_all();
    }

    /// Turns `thread`'s exclusive registration into a shared one and wakes waiting readers.
    pub(crate) fn downgrade(&self, key: Key, thread: ThreadId) {
        let mut table = self.holders.lock();
        if let Some(holders) = table.get_mut(&key)
            && holders.exclusive == Some(thread)
        {
            holders.exclusive = None;
            holders.shared.push(thread);
        }
        drop(table);
        self.changed.notify_all();
    }

    /// Re-records a registration as belonging to `to` instead of `from`.
    ///
    /// Fails (returning `false`) when `to` already holds this lock through another guard: two
    /// registrations of one thread would make the same-thread check ambiguous.
    pub(crate) fn transfer(&self, key: Key, mode: Mode, from: ThreadId, to: ThreadId) -> bool {
        let mut table = self.holders.lock();
        let Some(holders) = table.get_mut(&key) else {
            return false;
        };
        if from == to {
            return true;
        }
        if holders.includes(to) {
            return false;
        }
        match mode {
            Mode::Exclusive if holders.exclusive == Some(from) => holders.exclusive = Some(to),
            Mode::Shared => match holders.shared.iter_mut().find(|t| **t == from) {
                Some(slot) => *slot = to,
                None => return false,
            },
            Mode::Exclusive => return false,
        }
        true
    }
}

fn remove_if_empty(table: &mut BTreeMap<Key, Holders>, key: Key) {
    if table.get(&key).is_some_and(Holders::is_empty) {
        table.remove(&key);
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::time::Duration;
    use std::time::Instant;

    /// A table of the tests' own (what is tested is the table, not the process-wide
    /// instance that `process_table` holds), so nothing here depends on that module.
    fn table() -> &'static LockTable {
        static TABLE: std::sync::LazyLock<LockTable> = std::sync::LazyLock::new(LockTable::new);
        &TABLE
    }

    // Keys no real file has, so these tests never meet other tests' locks.
    fn key(inode: u64) -> Key {
        Key {
            device: rustix::fs::Dev::MAX,
            inode,
        }
    }

    #[test]
    fn same_thread_is_refused_for_every_wait() {
        let me = std::thread::current().id();
        table()
            .acquire(key(1), Mode::Shared, me, None, false)
            .unwrap();
        let soon = Some(Instant::now() + Duration::from_millis(10));
        assert_eq!(
            table().acquire(key(1), Mode::Shared, me, None, false),
            Err(Refusal::AlreadyHeldByThisThread)
        );
        assert_eq!(
            table().acquire(key(1), Mode::Exclusive, me, soon, false),
            Err(Refusal::AlreadyHeldByThisThread)
        );
        assert_eq!(
            table().acquire(key(1), Mode::Exclusive, me, None, true),
            Err(Refusal::AlreadyHeldByThisThread)
        );
        table().release(key(1), Mode::Shared, me);
        assert!(!table().is_registered(key(1)));
    }

    #[test]
    fn other_threads_wait_and_time_out() {
        let me = std::thread::current().id();
        table()
            .acquire(key(2), Mode::Exclusive, me, None, false)
            .unwrap();
        let outcome = std::thread::spawn(|| {
            let other = std::thread::current().id();
            let try_result = table().acquire(key(2), Mode::Shared, other, None, true);
            let deadline = Instant::now() + Duration::from_millis(30);
            let timed = table().acquire(key(2), Mode::Shared, other, Some(deadline), false);
            (try_result, timed, Instant::now() >= deadline)
        })
        .join()
        .unwrap();
        assert_eq!(
            outcome,
            (Err(Refusal::WouldBlock), Err(Refusal::Timeout), true)
        );
        table().downgrade(key(2), me);
        let other_shared = std::thread::spawn(|| {
            let other = std::thread::current().id();
            let result = table().acquire(key(2), Mode::Shared, other, None, true);
            table().release(key(2), Mode::Shared, other);
            result
        })
        .join()
        .unwrap();
        assert_eq!(other_shared, Ok(()));
        table().release(key(2), Mode::Shared, me);
        assert!(!table().is_registered(key(2)));
    }
}
