//! The two local file operations every module needs, with their errors mapped once.

use std::path::Path;

use file_lock::{FileLock, LockGuard};

use crate::error::{Error, Operation};

/// Replaces `path` with `bytes`, atomically and durably (atomic-io).
pub(crate) fn replace(path: &Path, bytes: impl AsRef<[u8]>) -> Result<(), Error> {
    atomic_io::write(path, bytes).map_err(|source| Error::AtomicWrite {
        path: path.to_owned(),
        source: Box::new(source),
    })
}

/// Takes the exclusive lock on `path`'s sidecar (`<path>.lock`), waiting as long as it
/// takes.
pub(crate) fn lock(path: &Path, operation: Operation) -> Result<LockGuard, Error> {
    FileLock::new(path)
        .exclusive()
        .map_err(|source| Error::Lock {
            operation,
            path: path.to_owned(),
            source: Box::new(source),
        })
}
