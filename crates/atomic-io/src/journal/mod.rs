//! A commit journal: several files become new together, or none does, after a crash at
//! any point.
//!
//! [`Batch`](crate::Batch) replaces each file atomically but a crash during its renames
//! can leave some files new and some old. [`Journal::commit`] closes that gap: it stages
//! every new content beside its target, writes one self-checking journal (**the commit
//! point**), and only then renames; [`Journal::recover`], run by anyone who opens a
//! member later, finishes a committed transaction or discards an uncommitted one.
//!
//! # Guarantees
//!
//! - After a crash (process or power loss) at any point, once [`Journal::recover`] has
//!   run for a member, every member of that commit holds its complete new content or
//!   every member holds its complete old content, and no side file is left.
//! - Once [`Journal::commit`] returns `Ok`, the new contents are durable. Once it has
//!   passed its commit point, the transaction is never undone: a failure after it is
//!   [`JournalError::Unapplied`], and recovery completes it.
//! - Recovery never guesses: side files that do not fit together (part of a directory
//!   copied mid-commit, a staged file changed by hand) are reported as
//!   [`JournalError::Unmatched`] or [`JournalError::StagedMismatch`] and nothing is
//!   changed. It always terminates: it finishes, reports, or gives up
//!   ([`JournalError::Contended`]) after a bounded number of rounds in which other
//!   processes kept changing the side files.
//! - A directory moved or copied whole (`mv`, `cp -a`) after a crash recovers as one unit
//!   in its new place: every path in a side file is stored relative to that side file.
//! - Side files take their target's owner, group and mode (where permitted), so every
//!   user who may write a target may also recover and remove its side files.
//!
//! # Protocol
//!
//! The caller holds exclusive locks on every target (see [`Locking`]) for the whole
//! commit.
//!
//! 1. For each target `F`, write and flush `F.rs-intent`: the path of the journal and the
//!    transaction id. It lets an opener of any single member find the journal.
//! 2. For each target, write and flush the new content as `F.rs-staged`; flush each
//!    directory involved.
//! 3. Write and flush the journal `F0.rs-journal` (F0 = first target in path order) and
//!    its directory: it lists every target, its length and checksum, and ends with a
//!    checksum of itself (a torn journal never validates). **This is the commit point.**
//! 4. Rename each staged file over its target; flush each directory.
//! 5. (a) Remove the intents, then (b) the journal (flushing its directory).
//!
//! Recovery of `F`: if `F.rs-intent` exists, a commit touching `F` did not finish. With
//! every member locked (so no live committer is mid-way): if the journal it names exists,
//! is valid and carries the same transaction id, the commit passed its commit point and
//! is **rolled forward** (the remaining staged files renamed into place, side files
//! removed), after checking that every member still in the commit holds either its staged
//! file with the committed checksum or the committed content itself; otherwise it never
//! committed and `F`'s staged file and intent are **discarded**. A staged file without an
//! intent is always discarded (intents are written first and removed last). A journal
//! beside `F` whose intents are all gone (a crash between steps 5a and 5b) is rolled
//! forward again, which only removes it.
//!
//! Each step ends at a [`Step`], which [`Journal::on_step`] reports to a hook: crash
//! tests kill the process there.
//!
//! # Limitations
//!
//! - **Readers must cooperate.** Between the first rename and the last, a reader that
//!   looks at the targets alone sees some new and some old. Readers that need a
//!   consistent view across files check [`has_pending`] (and retry or recover) around
//!   their reads; a single file is always complete, as with any replacement here.
//! - **Locking is the caller's.** This crate takes no locks: the caller holds the
//!   targets' locks during [`Journal::commit`] and supplies them to recovery through
//!   [`Locking`]. Without mutual exclusion two committers can corrupt each other's side
//!   files.
//! - **Side-file names are fixed**: `F.rs-intent`, `F.rs-staged`, `F.rs-journal` next to
//!   each target, so the targets' directories must be writable, and a target's name plus
//!   11 bytes must fit the file system's name limit.
//! - **Every step is flushed**; there is no [`Durability`](crate::Durability) choice.
//! - The contents are held in memory; the journal checksum (FNV-1a) detects torn and
//!   foreign files, not malice.
//! - Paths must be absolute and should be canonical (the caller resolves symbolic links
//!   and spellings): recovery compares them literally.
//!
//! # Example
//!
//! ```
//! use std::path::{Path, PathBuf};
//! use atomic_io::journal::{Journal, JournalError, Locking, Recovery};
//!
//! /// This program is the only one that touches the files, so it needs no locks. A
//! /// program shared between processes takes real file locks here.
//! struct OnlyWriter;
//! impl Locking for OnlyWriter {
//!     type Guard = ();
//!     type Error = JournalError;
//!     fn lock_exclusive(&self, _targets: &[PathBuf]) -> Result<(), JournalError> {
//!         Ok(())
//!     }
//! }
//!
//! let dir = tempfile::tempdir()?;
//! let (from, to) = (dir.path().join("from.txt"), dir.path().join("to.txt"));
//! std::fs::write(&from, "balance 10\n")?;
//! std::fs::write(&to, "balance 0\n")?;
//!
//! let journal = Journal::new(OnlyWriter);
//! // At start-up: finish or undo what a crash interrupted.
//! assert_eq!(journal.recover(&from)?, Recovery::Clean);
//! // Both files change, or (after a crash and `recover`) neither does.
//! journal.commit(&[(from.as_path(), b"balance 4\n"), (to.as_path(), b"balance 6\n")])?;
//! assert_eq!(std::fs::read_to_string(&to)?, "balance 6\n");
//! assert!(!atomic_io::journal::has_pending(&from));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod commit;
mod error;
mod files;
mod format;
mod paths;
mod recover;

use std::path::{Path, PathBuf};

pub use error::{JournalError, JournalOperation, UnmatchedReason};
pub use paths::normalize;

use paths::side_path;

/// Suffix of the side file that names a pending commit's journal.
pub const INTENT_SUFFIX: &str = ".rs-intent";
/// Suffix of the side file that holds a pending commit's new content.
pub const STAGED_SUFFIX: &str = ".rs-staged";
/// Suffix of the journal, next to the first (sorted) target.
pub const JOURNAL_SUFFIX: &str = ".rs-journal";

/// Exclusive locks on a set of targets, which [`Journal::recover`] takes so that no
/// live committer is mid-way through a commit it inspects.
///
/// They must be the same locks the caller holds around [`Journal::commit`].
pub trait Locking {
    /// Holds the locks; dropping it releases them.
    type Guard;
    /// The caller's error type: the journal's own failures convert into it, and a lock
    /// failure reaches the caller unchanged.
    type Error: From<JournalError>;

    /// Takes exclusive locks on every path of `targets` (sorted and distinct), waiting
    /// as long as the caller's policy says. The calling thread holds none of them.
    fn lock_exclusive(&self, targets: &[PathBuf]) -> Result<Self::Guard, Self::Error>;
}

/// The point a commit has reached, reported to [`Journal::on_step`]'s hook after each
/// step of the protocol (in this order).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Step {
    /// Every intent is written and flushed.
    IntentsWritten,
    /// Every staged file and its directory is flushed.
    Staged,
    /// The journal and its directory are flushed: the commit point has passed.
    JournalWritten,
    /// The first staged file is renamed over its target.
    FirstRenamed,
    /// Every staged file is renamed.
    Renamed,
    /// The targets' directories are flushed.
    DirsSynced,
    /// The intents are removed.
    IntentsRemoved,
    /// The journal is removed and its directory flushed: the commit is complete.
    JournalRemoved,
}

impl Step {
    /// Every step, in protocol order.
    pub const ALL: [Step; 8] = [
        Step::IntentsWritten,
        Step::Staged,
        Step::JournalWritten,
        Step::FirstRenamed,
        Step::Renamed,
        Step::DirsSynced,
        Step::IntentsRemoved,
        Step::JournalRemoved,
    ];

    /// The step's stable name (`"intent-written"`, `"staged"`, …), for fault-injection
    /// settings.
    pub fn name(self) -> &'static str {
        match self {
            Step::IntentsWritten => "intent-written",
            Step::Staged => "staged",
            Step::JournalWritten => "journal-written",
            Step::FirstRenamed => "first-renamed",
            Step::Renamed => "renamed",
            Step::DirsSynced => "dirs-synced",
            Step::IntentsRemoved => "intents-removed",
            Step::JournalRemoved => "journal-removed",
        }
    }

    /// Whether a crash at this step leaves the transaction committed (recovery rolls it
    /// forward) rather than discarded.
    pub fn is_committed(self) -> bool {
        self as usize >= Step::JournalWritten as usize
    }
}

/// What [`Journal::recover`] did for a target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Recovery {
    /// Nothing was pending.
    Clean,
    /// A committed transaction was completed.
    RolledForward,
    /// An uncommitted transaction's side files were removed.
    Discarded,
}

/// Commits and recovers multi-file transactions (see the [module documentation](self)).
#[derive(Clone, Debug)]
pub struct Journal<L> {
    locking: L,
    on_step: fn(Step),
}

impl<L: Locking> Journal<L> {
    /// A journal whose recovery takes locks through `locking`.
    pub fn new(locking: L) -> Self {
        Journal {
            locking,
            on_step: |_| {},
        }
    }

    /// Calls `hook` after each [`Step`] of a commit or roll-forward: crash tests abort or
    /// pause the process there.
    pub fn on_step(mut self, hook: fn(Step)) -> Self {
        self.on_step = hook;
        self
    }

    /// The lock policy given to [`Journal::new`].
    pub fn locking(&self) -> &L {
        &self.locking
    }

    fn reached(&self, step: Step) {
        (self.on_step)(step);
    }
}

/// Whether `target` has a pending (unfinished) commit: one of its side files exists.
/// Cheap (three `stat` calls) and lock-free, for readers that want a consistent view
/// across files.
pub fn has_pending(target: &Path) -> bool {
    [INTENT_SUFFIX, STAGED_SUFFIX, JOURNAL_SUFFIX]
        .iter()
        .any(|suffix| side_path(target, suffix).exists())
}

/// Whether an unfinished commit may still change `target`: its intent exists. One
/// `stat`, lock-free.
///
/// This is the question for a writer about to replace `target` on its own, under its
/// lock: intents are written before anything else of a commit and removed only once
/// every target is renamed, so without an intent no recovery will touch `target`. The
/// other side files [`has_pending`] also looks for are then leftovers that recovery
/// only removes (a staged file without an intent, a journal whose intents are gone).
///
/// ```
/// let dir = tempfile::tempdir()?;
/// let target = dir.path().join("data.txt");
/// std::fs::write(&target, "old")?;
/// assert!(!atomic_io::journal::has_intent(&target));
/// // What a crash during a commit leaves: the intent naming its journal.
/// std::fs::write(dir.path().join("data.txt.rs-intent"), "...")?;
/// assert!(atomic_io::journal::has_intent(&target));
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn has_intent(target: &Path) -> bool {
    side_path(target, INTENT_SUFFIX).exists()
}
