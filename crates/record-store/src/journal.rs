//! How a [`StoreSet`](crate::StoreSet) commits several files together: atomic-io's
//! commit journal ([`atomic_io::journal`]), with this crate's policy around it.
//!
//! The protocol, its guarantees and its on-disk side files (`F.rs-intent`,
//! `F.rs-staged`, `F0.rs-journal`, every path stored relative to the side file, so a
//! directory moved or copied whole recovers in its new place) are atomic-io's. This crate
//! decides:
//!
//! - **which files**: the changed members of a set, each resolved to its real path
//!   (symbolic links followed, directory canonical), so every spelling of a file journals
//!   and locks the same way;
//! - **which locks**: a commit runs under every member's writer lock, taken in sorted
//!   path order, and recovery takes the same [`file_lock`] locks, so no live committer is
//!   mid-way through a commit it inspects;
//! - **when to recover**: every open of a member, and every locked operation on it,
//!   first finishes or discards a pending commit that touches it;
//! - **crash points**: each step of the protocol is a crash point of [`crate::fault`]
//!   (`locked` before the journal starts, then [`Step::name`] of each step).
//!
//! Every journal step is flushed whatever [`Store::with_durability`] says.
//!
//! [`Store::with_durability`]: crate::Store::with_durability
//! [`Step::name`]: atomic_io::journal::Step::name

use std::path::{Path, PathBuf};

use atomic_io::journal::{Journal, JournalError, Locking};
use file_lock::{FileLock, LockGuard};

pub use atomic_io::journal::{INTENT_SUFFIX, JOURNAL_SUFFIX, Recovery, STAGED_SUFFIX};

use crate::error::{Error, Result};
use crate::fault::crash_point;

/// Recovery locks the members with their stores' exclusive writer locks.
struct StoreLocks;

impl Locking for StoreLocks {
    type Guard = Vec<LockGuard>;
    type Error = Error;

    fn lock_exclusive(&self, targets: &[PathBuf]) -> Result<Vec<LockGuard>> {
        lock_sorted(targets)
    }
}

/// Exclusive locks on `paths` (sorted and deduplicated here), taken in order; released
/// when the returned guards drop.
fn lock_sorted(paths: &[PathBuf]) -> Result<Vec<LockGuard>> {
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

fn journal() -> Journal<StoreLocks> {
    Journal::new(StoreLocks).on_step(|step| crash_point(step.name()))
}

impl From<JournalError> for Error {
    /// Unmatched side files get their own variant, since the caller must act on them
    /// by hand; every other journal error is kept whole as [`Error::Journal`]'s source.
    fn from(err: JournalError) -> Self {
        match err {
            JournalError::Unmatched {
                target,
                side_file,
                journal,
                reason,
            } => Error::UnmatchedJournal {
                target,
                side_file,
                journal,
                reason,
            },
            other => Error::Journal {
                path: other.path().to_path_buf(),
                source: other,
            },
        }
    }
}

/// Commits `changes` (resolved target paths, sorted, distinct) together. The caller
/// holds the exclusive locks of every target.
pub(crate) fn commit(changes: &[(&Path, &[u8])]) -> Result<()> {
    if changes.is_empty() {
        return Ok(());
    }
    crash_point("locked");
    journal().commit(changes).map_err(Error::from)
}

/// Whether `target` has a pending (unfinished) multi-file commit.
pub(crate) fn has_pending(target: &Path) -> bool {
    atomic_io::journal::has_pending(target)
}

/// Whether a pending multi-file commit may still change `target` (its intent exists):
/// what a writer replacing `target` alone must finish first (see
/// [`atomic_io::journal::has_intent`]). One `stat` instead of [`has_pending`]'s three.
pub(crate) fn has_intent(target: &Path) -> bool {
    atomic_io::journal::has_intent(target)
}

/// Finishes or discards any pending multi-file commit that touches `target`. Call with
/// no lock of any member held by this thread: it takes the locks itself.
pub(crate) fn recover(target: &Path) -> Result<Recovery> {
    journal().recover(target)
}

#[cfg(test)]
mod tests {
    use atomic_io::journal::Step;

    /// The crash points the crash tests name are `locked` (this crate's, before the
    /// journal starts) and then the journal's own steps, in order.
    #[test]
    fn crash_points_are_locked_then_the_journal_steps() {
        let journal_steps: Vec<&str> = Step::ALL.iter().map(|step| step.name()).collect();
        assert_eq!(crate::fault::STEPS[0], "locked");
        assert_eq!(&crate::fault::STEPS[1..], journal_steps.as_slice());
    }
}
