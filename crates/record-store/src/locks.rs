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
    loop {
        let guards = take()?;
        if stores
            .iter()
            .all(|store| !journal::has_pending(store.path()))
        {
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
    /// Takes the writer lock, first finishing any interrupted multi-file commit.
    pub(crate) fn lock(&self) -> Result<LockGuard> {
        let wait = self.lock_wait();
        lock_all(std::slice::from_ref(self), || {
            self.file_lock()
                .lock(Mode::Exclusive, wait)
                .map_err(|source| Error::Lock {
                    path: self.path().to_path_buf(),
                    source,
                })
        })
    }
}
