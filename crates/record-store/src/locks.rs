//! Taking the writer locks of several files without deadlock: always in sorted path order.

use std::path::PathBuf;

use file_lock::{FileLock, LockGuard};

use crate::error::{Error, Result};

/// Exclusive locks on `paths` (sorted and deduplicated here), taken in order; released
/// when the returned guards drop.
pub(crate) fn lock_sorted(paths: &[PathBuf]) -> Result<Vec<LockGuard>> {
    let mut sorted: Vec<&PathBuf> = paths.iter().collect();
    sorted.sort();
    sorted.dedup();
    sorted
        .into_iter()
        .map(|path| {
            FileLock::new(path)
                .exclusive()
                .map_err(|source| Error::Lock {
                    path: path.clone(),
                    source,
                })
        })
        .collect()
}
