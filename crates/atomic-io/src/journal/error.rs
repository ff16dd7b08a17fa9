//! The journal's typed errors: which step failed, on which file, and whether the
//! transaction had passed its commit point.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

/// The step of a journal commit or recovery that failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum JournalOperation {
    /// Creating an intent, staged file or journal.
    CreateSideFile,
    /// Copying the target's owner and mode onto a side file.
    CopyPermissions,
    /// Writing a side file.
    WriteSideFile,
    /// Flushing a side file to stable storage.
    FlushSideFile,
    /// Opening or flushing a directory.
    FlushDir,
    /// Reading an intent, staged file, journal or target.
    Read,
    /// Renaming a staged file over its target.
    Rename,
    /// Removing a side file.
    Remove,
}

impl JournalOperation {
    /// A short verb phrase for the step, to put before a path ("flush directory").
    pub fn verb(self) -> &'static str {
        match self {
            JournalOperation::CreateSideFile => "create",
            JournalOperation::CopyPermissions => "copy permissions to",
            JournalOperation::WriteSideFile => "write",
            JournalOperation::FlushSideFile => "flush",
            JournalOperation::FlushDir => "flush directory",
            JournalOperation::Read => "read",
            JournalOperation::Rename => "rename staged file over",
            JournalOperation::Remove => "remove",
        }
    }
}

impl fmt::Display for JournalOperation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            JournalOperation::CreateSideFile => "creating the side file",
            JournalOperation::CopyPermissions => "copying mode and owner to the side file",
            JournalOperation::WriteSideFile => "writing the side file",
            JournalOperation::FlushSideFile => "flushing the side file",
            JournalOperation::FlushDir => "flushing the directory",
            JournalOperation::Read => "reading",
            JournalOperation::Rename => "renaming the staged file over its target",
            JournalOperation::Remove => "removing the side file",
        })
    }
}

/// Why the side files of an interrupted commit do not fit together
/// ([`JournalError::Unmatched`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum UnmatchedReason {
    /// The committed journal an intent names does not list the intent's file.
    IntentNotInJournal,
    /// The journal stored beside a file does not list that file.
    JournalNotListingFile,
    /// A member of a committed journal has neither its staged copy nor the committed
    /// content.
    MemberContentMissing,
}

impl fmt::Display for UnmatchedReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            UnmatchedReason::IntentNotInJournal => {
                "the journal with this intent's transaction id does not list this file \
                 (renamed or copied apart from its journal mid-commit?)"
            }
            UnmatchedReason::JournalNotListingFile => {
                "the journal beside this file does not list it (renamed apart from its files \
                 mid-commit?)"
            }
            UnmatchedReason::MemberContentMissing => {
                "the file has neither its staged copy nor the committed content (side files \
                 copied or moved apart from it?)"
            }
        })
    }
}

/// A journal failure.
///
/// Unless a variant says otherwise, a failed [`commit`](crate::journal::Journal::commit)
/// changed no target and removed its side files again, and a failed
/// [`recover`](crate::journal::Journal::recover) changed nothing it had not already
/// completed (recovery only ever finishes a committed transaction or discards an
/// uncommitted one, so running it again is always safe).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JournalError {
    /// A system call failed. The system error is the
    /// [`source`](std::error::Error::source) and is not repeated in the message.
    #[error("{operation} failed for {}", .path.display())]
    Io {
        /// The step that failed.
        operation: JournalOperation,
        /// The file or directory it worked on.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// The transaction passed its commit point, but putting it in place failed. It is
    /// committed: the next [`recover`](crate::journal::Journal::recover) of any member
    /// completes it.
    #[error("the transaction of journal {} is committed but applying it failed; recovering any member completes it", .journal.display())]
    Unapplied {
        /// The journal of the committed transaction.
        journal: PathBuf,
        /// Why applying it failed.
        #[source]
        source: Box<JournalError>,
    },
    /// A staged file does not hold what the committed journal says it does: something
    /// outside the protocol changed it. Recovery refuses to guess and changed nothing.
    #[error("staged file {} does not match the committed journal {}; refusing to guess (inspect and remove the side files by hand)", .staged.display(), .journal.display())]
    StagedMismatch {
        /// The staged file.
        staged: PathBuf,
        /// The journal.
        journal: PathBuf,
    },
    /// The side files of an interrupted commit do not fit together (for example part of
    /// a directory was copied or moved mid-commit). Recovery refuses to guess: nothing
    /// was changed; inspect the named files and remove the side files by hand.
    #[error("cannot recover the interrupted commit of {}: {reason} (side file {}, journal {}); nothing was changed", .target.display(), .side_file.display(), .journal.display())]
    Unmatched {
        /// The target being recovered.
        target: PathBuf,
        /// The side file (intent or journal) that led to the journal.
        side_file: PathBuf,
        /// The journal.
        journal: PathBuf,
        /// What does not fit.
        reason: UnmatchedReason,
    },
    /// [`commit`](crate::journal::Journal::commit) was given a target it cannot journal
    /// (a relative path, one named twice, or no file name); nothing was written.
    #[error("cannot journal {}: {reason}", .path.display())]
    InvalidTarget {
        /// The rejected target.
        path: PathBuf,
        /// Why it was rejected.
        reason: &'static str,
    },
    /// Recovery gave up after `rounds` rounds in which other processes kept changing the
    /// side files of `path`'s commit.
    #[error("recovery of {} gave up after {rounds} rounds: other processes kept changing the commit's side files", .path.display())]
    Contended {
        /// The side file that kept changing.
        path: PathBuf,
        /// How many rounds were tried.
        rounds: usize,
    },
}

impl JournalError {
    pub(crate) fn io(operation: JournalOperation, path: &Path, source: io::Error) -> Self {
        JournalError::Io {
            operation,
            path: path.to_path_buf(),
            source,
        }
    }

    /// The file the failure is about: the file a system call worked on, the staged file,
    /// the target being recovered, or the journal of an unapplied transaction.
    pub fn path(&self) -> &Path {
        match self {
            JournalError::Io { path, .. }
            | JournalError::Contended { path, .. }
            | JournalError::InvalidTarget { path, .. } => path,
            JournalError::Unapplied { journal, .. } => journal,
            JournalError::StagedMismatch { staged, .. } => staged,
            JournalError::Unmatched { target, .. } => target,
        }
    }

    /// Whether the transaction passed its commit point (only [`JournalError::Unapplied`]):
    /// it will be completed, not undone.
    pub fn is_committed(&self) -> bool {
        matches!(self, JournalError::Unapplied { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error as _;

    #[test]
    fn message_names_the_step_and_file_and_leaves_the_cause_to_source() {
        let cause = io::Error::from_raw_os_error(5);
        let cause_text = cause.to_string();
        let error = JournalError::io(JournalOperation::FlushDir, Path::new("/data"), cause);
        let text = error.to_string();
        assert!(text.contains("flushing the directory"), "{text}");
        assert!(text.contains("/data"), "{text}");
        assert!(!text.contains(&cause_text), "{text}");
        assert_eq!(error.source().map(ToString::to_string), Some(cause_text));

        let unapplied = JournalError::Unapplied {
            journal: PathBuf::from("/data/a.rs-journal"),
            source: Box::new(error),
        };
        assert!(unapplied.is_committed());
        assert_eq!(unapplied.path(), Path::new("/data/a.rs-journal"));
        assert!(!unapplied.to_string().contains("flushing"), "{unapplied}");
    }
}
