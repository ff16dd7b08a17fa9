//! Taking the writer locks of several files without deadlock: always in sorted path order.

use std::path::PathBuf;

use file_lock::{FileLock, LockGuard, Mode, Wait};

use crate::error::{Error, Result};
use crate::journal;
use crate::store::Store;

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

/// Locks of `mode` on every store of `stores` (sorted by path, without duplicates, as a
/// [`StoreSet`](crate::StoreSet) keeps them), taken in that order through each store's
/// own lock handle, which keeps its sidecar open between locks.
pub(crate) fn lock_stores(stores: &[Store], mode: Mode) -> Result<Vec<LockGuard>> {
    stores
        .iter()
        .map(|store| {
            store
                .file_lock()
                .lock(mode, Wait::Forever)
                .map_err(|source| Error::Lock {
                    path: store.path().to_path_buf(),
                    source,
                })
        })
        .collect()
}

/// Takes the locks of `stores` with `take` so that no interrupted multi-file commit is
/// pending on any of them: when one is, the locks are released, the commit is finished
/// (recovery takes the locks itself) and they are taken again.
pub(crate) fn lock_all<G>(stores: &[Store], take: impl Fn() -> Result<G>) -> Result<G> {
    loop {
        let guards = take()?;
        if stores
            .iter()
            .all(|store| !journal::has_pending(store.path()))
        {
            return Ok(guards);
        }
        drop(guards);
        crate::set::recover_pending(stores)?;
    }
}
