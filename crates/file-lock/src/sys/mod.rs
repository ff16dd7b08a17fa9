//! The kernel lock calls, one small module per lock family.
//!
//! Every backend offers the same four operations on an open sidecar file. A lock belongs to
//! the *open file description* (one `open` call), never to the process: two opens of the
//! same file in one process conflict like two processes do, and the lock dies with the last
//! descriptor of that description (normally when the process exits or is killed).

use std::fs::File;
use std::io;

use crate::Mode;

#[cfg(unix)]
pub(crate) mod flock;
#[cfg(target_os = "linux")]
pub(crate) mod ofd;

#[cfg(target_os = "linux")]
use ofd as backend;

#[cfg(all(unix, not(target_os = "linux")))]
use flock as backend;

#[cfg(not(unix))]
compile_error!(
    "file-lock supports Unix only: Windows (LockFileEx) is not yet implemented because it cannot be built or tested here"
);

/// Outcome of a non-blocking attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Attempt {
    Acquired,
    Contended,
}

/// Takes the lock if no conflicting lock is held, without waiting.
pub(crate) fn try_lock(file: &File, mode: Mode) -> io::Result<Attempt> {
    backend::try_lock(file, mode)
}

/// Waits in the kernel until the lock is granted; the kernel wakes us when the holder lets go.
pub(crate) fn lock_blocking(file: &File, mode: Mode) -> io::Result<()> {
    backend::lock_blocking(file, mode)
}

/// Releases the lock held through `file`.
pub(crate) fn unlock(file: &File) -> io::Result<()> {
    backend::unlock(file)
}

/// Turns an exclusive lock held through `file` into a shared one.
pub(crate) fn downgrade(file: &File) -> io::Result<()> {
    backend::downgrade(file)
}

/// Retries a call that a signal handler interrupted; every other outcome is returned as is.
fn retry_on_interrupt<T>(mut call: impl FnMut() -> io::Result<T>) -> io::Result<T> {
    loop {
        match call() {
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

/// Whether an error from a non-blocking lock call means "somebody else holds it".
fn is_contention(error: &io::Error) -> bool {
    // POSIX allows EACCES or EAGAIN for a conflicting F_SETLK; flock uses EWOULDBLOCK (== EAGAIN).
    error.kind() == io::ErrorKind::WouldBlock
        || error.raw_os_error() == Some(rustix::io::Errno::ACCESS.raw_os_error())
        || error.raw_os_error() == Some(rustix::io::Errno::AGAIN.raw_os_error())
}
