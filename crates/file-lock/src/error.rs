//! The one error type of this crate.

use std::fmt;
use std::io;
use std::path::PathBuf;
use std::time::Duration;

use crate::{Holder, Mode};

/// Why a lock could not be taken, changed or released.
///
/// Messages name the locked path, the mode asked for and, where known, who holds the lock:
/// `timed out after 1.5s waiting for exclusive lock on /data/todo.sdn (held by pid 123 on
/// host x since 2026-01-02T03:04:05.678Z (exclusive))`.
///
/// An [`Io`](Error::Io) error's message names the operation and the file; the system
/// error is its [`source`](std::error::Error::source), never repeated in the message.
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
    #[error("cannot {operation} {path}", path = .path.display())]
    Io {
        /// What was being done, e.g. "open lock file".
        operation: &'static str,
        /// The file it was done to (usually the sidecar).
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
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
            operation: "open lock file",
            path: PathBuf::from("/data/todo.sdn.lock"),
            source: cause,
        };
        assert_eq!(
            error.source().map(ToString::to_string),
            Some(cause_text.clone())
        );
        let text = error.to_string();
        assert_eq!(text, "cannot open lock file /data/todo.sdn.lock");
        assert!(!text.contains(&cause_text));
    }
}
