//! Bounded parallel transfers with batch progress.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use super::{FileEntry, Progress};

/// Runs `work` for every entry on at most `parallel` threads; `work` gets a callback to
/// report each finished part's size, turned into batch [`Progress`]. Returns each
/// entry's path with its outcome, in completion order.
pub(crate) fn run<T: Send>(
    todo: &[FileEntry],
    parallel: usize,
    progress: &(dyn Fn(&Progress) + Sync),
    work: impl Fn(&FileEntry, &mut dyn FnMut(u64)) -> T + Sync,
) -> Vec<(String, T)> {
    let bytes_total = todo.iter().map(|entry| entry.size).sum();
    let files_total = todo.len();
    let bytes_done = AtomicU64::new(0);
    let files_done = AtomicUsize::new(0);
    let next = AtomicUsize::new(0);
    let outcomes = Mutex::new(Vec::with_capacity(files_total));
    std::thread::scope(|scope| {
        for _ in 0..parallel.min(files_total) {
            scope.spawn(|| {
                while let Some(entry) = todo.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let mut on_part = |size: u64| {
                        progress(&Progress {
                            path: entry.path.clone(),
                            bytes_done: bytes_done.fetch_add(size, Ordering::Relaxed) + size,
                            bytes_total,
                            files_done: files_done.load(Ordering::Relaxed),
                            files_total,
                        })
                    };
                    let outcome = work(entry, &mut on_part);
                    files_done.fetch_add(1, Ordering::Relaxed);
                    outcomes
                        .lock()
                        .unwrap_or_else(|poisoned| poisoned.into_inner())
                        .push((entry.path.clone(), outcome));
                }
            });
        }
    });
    outcomes
        .into_inner()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
