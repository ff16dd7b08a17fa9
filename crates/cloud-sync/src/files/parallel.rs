//! Bounded parallel transfers with batch progress.
//!
//! Two bounds work together: [`run`] keeps at most `parallel` files in hand at once, and
//! [`Slots`] keeps at most `parallel` transfers (a part being read, compressed and sent,
//! or fetched and checked) in flight across all of them, so one large file can use every
//! slot for its parts while many small files use one each.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};

use super::{FileEntry, Progress};

/// A counting semaphore: the bound on transfers in flight.
#[derive(Debug)]
pub(crate) struct Slots {
    free: Mutex<usize>,
    freed: Condvar,
    capacity: usize,
}

/// One transfer slot, given back when dropped.
#[derive(Debug)]
pub(crate) struct Slot<'a>(&'a Slots);

impl Slots {
    /// `capacity` slots (at least one).
    pub(crate) fn new(capacity: usize) -> Slots {
        let capacity = capacity.max(1);
        Slots {
            free: Mutex::new(capacity),
            freed: Condvar::new(),
            capacity,
        }
    }

    /// How many transfers may be in flight at once.
    pub(crate) fn capacity(&self) -> usize {
        self.capacity
    }

    /// Waits for a free slot.
    pub(crate) fn acquire(&self) -> Slot<'_> {
        let mut free = lock(&self.free);
        while *free == 0 {
            free = self
                .freed
                .wait(free)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
        }
        *free -= 1;
        Slot(self)
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        *lock(&self.0.free) += 1;
        self.0.freed.notify_one();
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // The counters stay consistent even if a holder panicked: they are plain integers.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Progress over a whole batch transfer, which [`run`] may cover in several calls.
pub(crate) struct Tracker<'a> {
    progress: &'a (dyn Fn(&Progress) + Sync),
    bytes_total: u64,
    files_total: usize,
    bytes_done: AtomicU64,
    files_done: AtomicUsize,
}

impl<'a> Tracker<'a> {
    /// Progress over `todo`, reported to `progress`.
    pub(crate) fn new(todo: &[FileEntry], progress: &'a (dyn Fn(&Progress) + Sync)) -> Self {
        Tracker {
            progress,
            bytes_total: todo.iter().map(|entry| entry.size).sum(),
            files_total: todo.len(),
            bytes_done: AtomicU64::new(0),
            files_done: AtomicUsize::new(0),
        }
    }

    /// Counts `files` as finished (transferred, found in place, busy or failed).
    pub(crate) fn finish_files(&self, files: usize) {
        self.files_done.fetch_add(files, Ordering::Relaxed);
    }

    fn part_done(&self, path: &str, size: u64) {
        (self.progress)(&Progress {
            path: path.to_owned(),
            bytes_done: self.bytes_done.fetch_add(size, Ordering::Relaxed) + size,
            bytes_total: self.bytes_total,
            files_done: self.files_done.load(Ordering::Relaxed),
            files_total: self.files_total,
        })
    }
}

/// Runs `work` for every item on at most `parallel` threads; `work` gets a callback to
/// report each finished part's size, turned into batch [`Progress`]. Returns each
/// item's path with its outcome, in completion order.
pub(crate) fn run<I: Sync, T: Send>(
    todo: &[I],
    path_of: impl Fn(&I) -> &str + Sync,
    parallel: usize,
    tracker: &Tracker<'_>,
    work: impl Fn(&I, &mut dyn FnMut(u64)) -> T + Sync,
) -> Vec<(String, T)> {
    let next = AtomicUsize::new(0);
    let outcomes = Mutex::new(Vec::with_capacity(todo.len()));
    std::thread::scope(|scope| {
        for _ in 0..parallel.max(1).min(todo.len()) {
            scope.spawn(|| {
                while let Some(item) = todo.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let path = path_of(item);
                    let outcome = work(item, &mut |size| tracker.part_done(path, size));
                    tracker.finish_files(1);
                    lock(&outcomes).push((path.to_owned(), outcome));
                }
            });
        }
    });
    outcomes
        .into_inner()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    #[test]
    fn slots_bound_the_transfers_in_flight() {
        let slots = Slots::new(3);
        let in_flight = AtomicUsize::new(0);
        let most = AtomicUsize::new(0);
        std::thread::scope(|scope| {
            for _ in 0..8 {
                scope.spawn(|| {
                    for _ in 0..50 {
                        let _slot = slots.acquire();
                        let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(now, Ordering::SeqCst);
                        std::thread::yield_now();
                        in_flight.fetch_sub(1, Ordering::SeqCst);
                    }
                });
            }
        });
        assert!(most.load(Ordering::SeqCst) <= 3);
        assert_eq!(*lock(&slots.free), 3, "every slot is given back");
    }
}
