//! Typed errors: every failure says which step failed, on which file, and whether the
//! target file was changed.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

/// The step of a replacement (or of a cleanup) that failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Operation {
    /// Checking the target path (it must name a file, not a directory).
    ResolveTarget,
    /// Opening the target's parent directory.
    OpenDir,
    /// Reading a symbolic link while following it ([`Symlinks::Follow`](crate::Symlinks)).
    ReadLink,
    /// Creating the temporary file next to the target.
    CreateTemp,
    /// Locking the temporary file (or checking that its name still refers to it).
    LockTemp,
    /// Writing the new contents into the temporary file.
    WriteTemp,
    /// Copying the replaced file's mode and owner onto the temporary file.
    CopyPermissions,
    /// Flushing the temporary file to stable storage.
    FlushTemp,
    /// Giving the anonymous (`O_TMPFILE`) temporary file a name.
    LinkTemp,
    /// Renaming the temporary file over the target.
    Rename,
    /// Flushing the target's directory to stable storage.
    FlushDir,
    /// Listing a directory for stale temporary files.
    ReadDir,
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Operation::ResolveTarget => "resolving the target path",
            Operation::OpenDir => "opening the parent directory",
            Operation::ReadLink => "reading a symbolic link",
            Operation::CreateTemp => "creating the temporary file",
            Operation::LockTemp => "locking the temporary file",
            Operation::WriteTemp => "writing the temporary file",
            Operation::CopyPermissions => "copying mode and owner to the temporary file",
            Operation::FlushTemp => "flushing the temporary file",
            Operation::LinkTemp => "naming the anonymous temporary file",
            Operation::Rename => "renaming the temporary file over the target",
            Operation::FlushDir => "flushing the directory",
            Operation::ReadDir => "listing the directory",
        })
    }
}

/// An atomic-io failure.
///
/// Every variant answers three questions: which [`Operation`] failed, on which
/// [`path`](Error::path), and whether the target file was changed
/// ([`target_changed`](Error::target_changed)). When `target_changed()` is `false` the
/// target still holds exactly its old content (or still does not exist) and no temporary
/// file was left behind by this call.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A system call failed. The message names the step, the path and the target's state;
    /// the system error itself is the [`source`](std::error::Error::source), as error
    /// reporters (`anyhow`, `{:#}`) expect, so it is never printed twice.
    #[error("{operation} failed for {}; {}", .path.display(), target_state(*.target_changed))]
    Io {
        /// The step that failed.
        operation: Operation,
        /// The target file (after following symbolic links, when asked to), or the
        /// directory for directory-wide operations.
        path: PathBuf,
        /// Whether the target was replaced before the failure (only a failed directory
        /// flush can leave it replaced: the new content is in place but may not survive a
        /// power loss).
        target_changed: bool,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// The path cannot name a file to replace (empty, or a directory such as `/`, `..`
    /// or `dir/`).
    #[error("{operation} failed for {}: {reason}; {}", .path.display(), target_state(*.target_changed))]
    InvalidPath {
        /// The step that rejected the path.
        operation: Operation,
        /// The rejected path.
        path: PathBuf,
        /// Always `false`: nothing was touched.
        target_changed: bool,
        /// Why the path was rejected.
        reason: &'static str,
    },
    /// A [`Batch`](crate::Batch) stopped part-way. Files listed in `replaced` already hold
    /// their new content; the failing file and all later ones are unchanged.
    #[error("batch stopped after replacing {} file(s): {failed}", .replaced.len())]
    Batch {
        /// The failure of the file where the batch stopped.
        failed: Box<Error>,
        /// The files the batch had already replaced, in commit order.
        replaced: Vec<PathBuf>,
    },
}

fn target_state(changed: bool) -> &'static str {
    if changed {
        "the target WAS replaced but may not be durable"
    } else {
        "the target is unchanged"
    }
}

impl Error {
    pub(crate) fn io(
        operation: Operation,
        path: impl Into<PathBuf>,
        target_changed: bool,
        source: impl Into<io::Error>,
    ) -> Self {
        Error::Io {
            operation,
            path: path.into(),
            target_changed,
            source: source.into(),
        }
    }

    /// The step that failed.
    pub fn operation(&self) -> Operation {
        match self {
            Error::Io { operation, .. } | Error::InvalidPath { operation, .. } => *operation,
            Error::Batch { failed, .. } => failed.operation(),
        }
    }

    /// The file (or directory) the failed step worked on.
    pub fn path(&self) -> &Path {
        match self {
            Error::Io { path, .. } | Error::InvalidPath { path, .. } => path,
            Error::Batch { failed, .. } => failed.path(),
        }
    }

    /// Whether any target was changed. For a batch, `true` when at least one of its files
    /// was already replaced (see [`Error::Batch`]).
    pub fn target_changed(&self) -> bool {
        match self {
            Error::Io { target_changed, .. } | Error::InvalidPath { target_changed, .. } => {
                *target_changed
            }
            Error::Batch { failed, replaced } => !replaced.is_empty() || failed.target_changed(),
        }
    }

    /// The underlying system error, when there is one.
    pub fn io_error(&self) -> Option<&io::Error> {
        match self {
            Error::Io { source, .. } => Some(source),
            Error::InvalidPath { .. } => None,
            Error::Batch { failed, .. } => failed.io_error(),
        }
    }

    /// The kind of the underlying system error (`InvalidInput` for a rejected path).
    pub fn kind(&self) -> io::ErrorKind {
        self.io_error()
            .map_or(io::ErrorKind::InvalidInput, io::Error::kind)
    }
}

impl From<Error> for io::Error {
    fn from(error: Error) -> Self {
        io::Error::new(error.kind(), error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_names_operation_path_and_state() {
        let error = Error::io(
            Operation::FlushTemp,
            "/data/db.sdn",
            false,
            io::Error::from_raw_os_error(5),
        );
        let text = error.to_string();
        assert!(text.contains("flushing the temporary file"), "{text}");
        assert!(text.contains("/data/db.sdn"), "{text}");
        assert!(text.contains("unchanged"), "{text}");
        assert_eq!(error.kind(), io::Error::from_raw_os_error(5).kind());
    }

    /// Regression: the message used to contain the system error that `source()` also
    /// returns, so reporters that walk the chain printed it twice.
    #[test]
    fn the_cause_is_returned_as_source_and_not_printed() {
        use std::error::Error as _;
        let cause = io::Error::from_raw_os_error(5);
        let cause_text = cause.to_string();
        let error = Error::io(Operation::FlushTemp, "/data/db.sdn", false, cause);
        let source = error.source().expect("the system error is the source");
        assert_eq!(source.to_string(), cause_text);
        assert!(!error.to_string().contains(&cause_text), "{error}");
        // Converted to `io::Error`, the chain still reaches the system error.
        let converted = io::Error::from(error);
        assert_eq!(
            converted.source().map(ToString::to_string),
            Some(cause_text)
        );

        let batch = Error::Batch {
            failed: Box::new(Error::io(
                Operation::Rename,
                "b",
                false,
                io::Error::from_raw_os_error(5),
            )),
            replaced: Vec::new(),
        };
        // A batch prints the failure it wraps, so it does not return it as well.
        assert!(batch.source().is_none());
        assert!(batch.to_string().contains("renaming"), "{batch}");
    }

    #[test]
    fn batch_error_reports_replaced_files_as_changed() {
        let failed = Error::io(
            Operation::Rename,
            "b",
            false,
            io::Error::from(io::ErrorKind::PermissionDenied),
        );
        let error = Error::Batch {
            failed: Box::new(failed),
            replaced: vec![PathBuf::from("a")],
        };
        assert!(error.target_changed());
        assert_eq!(error.path(), Path::new("b"));
        assert_eq!(error.operation(), Operation::Rename);
        assert!(error.to_string().contains("1 file(s)"));
    }
}
