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
#[derive(thiserror::Error, Debug)]
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
