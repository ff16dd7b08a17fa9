//! Taking the writer locks of several files without deadlock: always in sorted path order.

use file_lock::{LockGuard, Mode, Wait};

use crate::error::{Error, Result};
use crate::journal;
use crate::store::Store;

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
    lock_finished(stores, journal::has_pending, take)
}

/// [`lock_all`], with `pending` telling whether a store's file has a commit to finish.
fn lock_finished<G>(
    stores: &[Store],
    pending: fn(&std::path::Path) -> bool,
    take: impl Fn() -> Result<G>,
) -> Result<G> {
    loop {
        let guards = take()?;
        if stores.iter().all(|store| !pending(store.path())) {
            return Ok(guards);
        }
        drop(guards);
        recover_pending(stores)?;
    }
}

/// Finishes every interrupted multi-file commit that touches a store of `stores`.
pub(crate) fn recover_pending(stores: &[Store]) -> Result<()> {
    for store in stores {
        if journal::has_pending(store.path()) {
            journal::recover(store.path())?;
        }
    }
    Ok(())
}

impl Store {
    /// Takes the writer lock, first finishing any interrupted multi-file commit that may
    /// still change the file. For a commit of this file alone, the commit's intent is
    /// what matters (see [`journal::has_intent`]): other side files are leftovers that
    /// the next set commit or open removes.
    pub(crate) fn lock(&self) -> Result<LockGuard> {
        let wait = self.lock_wait();
        lock_finished(std::slice::from_ref(self), journal::has_intent, || {
            self.file_lock()
                .lock(Mode::Exclusive, wait)
                .map_err(|source| Error::Lock {
                    path: self.path().to_path_buf(),
                    source,
                })
        })
    }
}
