//! The one error type of this crate.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::{Holder, Mode};

/// The system step of [`Error::Io`] that failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Operation {
    /// Opening (or creating) the sidecar lock file to lock it.
    OpenLockFile,
    /// Asking the kernel for the lock without waiting.
    Lock,
    /// Waiting in the kernel for the lock ([`Wait::Forever`](crate::Wait::Forever) or
    /// [`Wait::Until`](crate::Wait::Until)).
    WaitForLock,
    /// Writing the holder's record into the sidecar.
    RecordHolder,
    /// Releasing the lock ([`LockGuard::unlock`](crate::LockGuard::unlock)); the lock is
    /// released in any case.
    Unlock,
    /// Turning an exclusive lock into a shared one
    /// ([`LockGuard::downgrade`](crate::LockGuard::downgrade)).
    Downgrade,
    /// Opening or reading the sidecar to learn who holds the lock
    /// ([`read_holder`](crate::read_holder)).
    ReadHolder,
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Operation::OpenLockFile => "opening the lock file",
            Operation::Lock => "locking the lock file",
            Operation::WaitForLock => "waiting for the lock",
            Operation::RecordHolder => "recording the holder in the lock file",
            Operation::Unlock => "unlocking",
            Operation::Downgrade => "downgrading the lock to shared",
            Operation::ReadHolder => "reading the lock holder",
        })
    }
}

/// Why a lock could not be taken, changed or released.
///
/// Messages name the locked path, the mode asked for and, where known, who holds the lock:
/// `timed out after 1.5s waiting for exclusive lock on /data/todo.sdn (held by pid 123 on
/// host x since 2026-01-02T03:04:05.678Z (exclusive))`.
///
/// An [`Io`](Error::Io) error's message names the [`Operation`] and the file; the system
/// error is its [`source`](std::error::Error::source), never repeated in the message.
/// [`path`](Error::path), [`operation`](Error::operation) and [`kind`](Error::kind) answer
/// for every variant, so a caller need not match on the ones it does not care about.
#[derive(thiserror::Error, Debug)]
#[non_exhaustive]
pub enum Error {
    /// [`Wait::Try`](crate::Wait::Try): somebody else holds a conflicting lock.
    #[error("{mode} lock on {path} is not available ({holder})", path = .path.display(), holder = HolderText(.holder))]
    WouldBlock {
        /// The path given to [`FileLock::new`](crate::FileLock::new).
        path: PathBuf,
        /// The mode asked for.
        mode: Mode,
        /// The holder's own description from the sidecar, if it could be read.
        holder: Option<Holder>,
    },
    /// [`Wait::Until`](crate::Wait::Until): the deadline passed while somebody else held a
    /// conflicting lock.
    #[error("timed out after {waited:?} waiting for {mode} lock on {path} ({holder})", path = .path.display(), holder = HolderText(.holder))]
    Timeout {
        /// The path given to [`FileLock::new`](crate::FileLock::new).
        path: PathBuf,
        /// The mode asked for.
        mode: Mode,
        /// How long the call waited before giving up.
        waited: Duration,
        /// The holder's own description from the sidecar, if it could be read.
        holder: Option<Holder>,
    },
    /// The calling thread already holds a lock on this path (through any handle). Waiting
    /// would wait for itself forever, so this is reported whatever [`Wait`](crate::Wait) says.
    #[error("{mode} lock on {path} requested by a thread that already holds a lock on it", path = .path.display())]
    AlreadyHeldByThisThread {
        /// The path given to [`FileLock::new`](crate::FileLock::new).
        path: PathBuf,
        /// The mode asked for.
        mode: Mode,
    },
    /// An operating-system call failed.
    #[error("{operation} failed for {path}", path = .path.display())]
    Io {
        /// The step that failed.
        operation: Operation,
        /// The file it was done to (usually the sidecar).
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
}

impl Error {
    /// The path the error is about: the path given to
    /// [`FileLock::new`](crate::FileLock::new), or for [`Error::Io`] the file the failed
    /// system call worked on (usually the sidecar).
    pub fn path(&self) -> &Path {
        match self {
            Error::WouldBlock { path, .. }
            | Error::Timeout { path, .. }
            | Error::AlreadyHeldByThisThread { path, .. }
            | Error::Io { path, .. } => path,
        }
    }

    /// The system step that failed, for [`Error::Io`]; `None` when the lock was refused
    /// rather than a system call failing.
    pub fn operation(&self) -> Option<Operation> {
        match self {
            Error::Io { operation, .. } => Some(*operation),
            Error::WouldBlock { .. }
            | Error::Timeout { .. }
            | Error::AlreadyHeldByThisThread { .. } => None,
        }
    }

    /// The mode asked for, when the lock was refused.
    pub fn mode(&self) -> Option<Mode> {
        match self {
            Error::WouldBlock { mode, .. }
            | Error::Timeout { mode, .. }
            | Error::AlreadyHeldByThisThread { mode, .. } => Some(*mode),
            Error::Io { .. } => None,
        }
    }

    /// The underlying system error, for [`Error::Io`].
    pub fn io_error(&self) -> Option<&io::Error> {
        match self {
            Error::Io { source, .. } => Some(source),
            Error::WouldBlock { .. }
            | Error::Timeout { .. }
            | Error::AlreadyHeldByThisThread { .. } => None,
        }
    }

    /// The failure as an [`io::ErrorKind`]: `WouldBlock`, `TimedOut`, `Deadlock` (the
    /// thread would wait for itself), or the system error's own kind.
    pub fn kind(&self) -> io::ErrorKind {
        match self {
            Error::WouldBlock { .. } => io::ErrorKind::WouldBlock,
            Error::Timeout { .. } => io::ErrorKind::TimedOut,
            Error::AlreadyHeldByThisThread { .. } => io::ErrorKind::Deadlock,
            Error::Io { source, .. } => source.kind(),
        }
    }
}

impl From<Error> for io::Error {
    /// Keeps the lock error whole as the inner error, with [`Error::kind`] as the kind.
    fn from(error: Error) -> Self {
        io::Error::new(error.kind(), error)
    }
}

struct HolderText<'a>(&'a Option<Holder>);

impl fmt::Display for HolderText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(holder) => holder.fmt(f),
            None => f.write_str("holder unknown"),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::error::Error as _;

    use super::*;

    #[test]
    fn io_error_returns_its_cause_as_source_without_printing_it() {
        let cause = io::Error::from_raw_os_error(13);
        let cause_text = cause.to_string();
        let error = Error::Io {
            operation: Operation::OpenLockFile,
            path: PathBuf::from("/data/todo.sdn.lock"),
            source: cause,
        };
        assert_eq!(
            error.source().map(ToString::to_string),
            Some(cause_text.clone())
        );
        let text = error.to_string();
        assert_eq!(text, "opening the lock file failed for /data/todo.sdn.lock");
        assert!(!text.contains(&cause_text));
        assert_eq!(error.operation(), Some(Operation::OpenLockFile));
        assert_eq!(error.path(), Path::new("/data/todo.sdn.lock"));
        assert_eq!(error.kind(), io::ErrorKind::PermissionDenied);
    }

    /// Every variant with a cause returns it from `source()` and leaves it out of its
    /// message; the variants without one return no source.
    #[test]
    fn the_cause_is_returned_as_source_and_not_printed() {
        let path = PathBuf::from("/data/todo.sdn");
        let holder = None;
        let with_source = Error::Io {
            operation: Operation::WaitForLock,
            path: path.with_extension("sdn.lock"),
            source: io::Error::from_raw_os_error(5),
        };
        let cause_text = io::Error::from_raw_os_error(5).to_string();
        let source = with_source.source().expect("the system error is the source");
        assert_eq!(source.to_string(), cause_text);
        assert!(
            source.downcast_ref::<io::Error>().is_some(),
            "the source is the io::Error itself"
        );
        assert!(
            !with_source.to_string().contains(&cause_text),
            "{with_source}"
        );
        // Converted to `io::Error`, the chain still reaches the system error.
        let converted = io::Error::from(with_source);
        let lock_error = converted.get_ref().expect("the lock error is kept");
        assert_eq!(
            lock_error.source().map(ToString::to_string),
            Some(cause_text)
        );

        let without_source = [
            Error::WouldBlock {
                path: path.clone(),
                mode: Mode::Exclusive,
                holder: holder.clone(),
            },
            Error::Timeout {
                path: path.clone(),
                mode: Mode::Shared,
                waited: Duration::from_millis(1500),
                holder,
            },
            Error::AlreadyHeldByThisThread {
                path: path.clone(),
                mode: Mode::Exclusive,
            },
        ];
        for error in &without_source {
            assert!(error.source().is_none(), "{error}");
            assert_eq!(error.path(), path, "{error}");
            assert!(error.mode().is_some() && error.operation().is_none());
        }
    }
}
