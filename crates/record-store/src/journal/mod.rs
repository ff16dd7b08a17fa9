//! The multi-file commit journal: several files become new together, or none does, after
//! a crash at any point.
//!
//! # Protocol (the caller holds the exclusive locks of every target, taken in sorted path
//! order)
//!
//! 1. For each target `F`, write and flush `F.rs-intent`: the path of the journal and the
//!    transaction id. It lets an opener of any single member find the journal.
//!
//!    Every path in an intent or a journal is stored relative to the file that holds it,
//!    so a directory moved or copied whole (`mv`, `cp -a`) after a crash recovers as one
//!    unit in its new place.
//! 2. For each target, write and flush the new content as `F.rs-staged`; flush each
//!    directory involved.
//! 3. Write and flush the journal `F0.rs-journal` (F0 = first target) and its directory:
//!    it lists every target, its length and checksum, and ends with a checksum of itself
//!    (a torn journal never validates). **This is the commit point**: from here on the
//!    transaction is applied.
//! 4. Rename each staged file over its target; flush each directory.
//! 5. (a) Remove the intents, then (b) the journal (flushing its directory).
//!
//! # Recovery (any opener of any member, before it reads or writes under its lock)
//!
//! If `F.rs-intent` exists, a commit touching `F` did not finish. With every member
//! locked (so no live committer is mid-way): if the journal it names exists, is valid and
//! carries the same transaction id, the commit passed its commit point and is **rolled
//! forward** (the remaining staged files renamed into place, side files removed);
//! otherwise it never committed and `F`'s staged file and intent are **discarded**.
//! Before rolling forward, every member whose intent is still there must hold either its
//! staged file with the committed checksum or (already renamed) the committed content
//! itself.
//!
//! Recovery never guesses: side files that do not fit together (a journal with the
//! intent's transaction id that does not list the file, a member that holds neither its
//! staged file nor the committed content, as after copying only part of a directory
//! mid-commit) are reported as [`Error::UnmatchedJournal`]
//! naming the files, and nothing is changed. Recovery always terminates: it either
//! finishes, reports, or gives up after a bounded number of rounds in which other
//! processes kept changing the side files. A
//! staged file without an intent is always discarded (intents are written first and
//! removed last). A journal next to `F` whose intents are all gone (a crash between
//! steps 5a and 5b) is rolled forward again, which only removes it.
//!
//! Crash points (see [`crate::fault::STEPS`]) sit after each step; the crash tests abort
//! a writer at every one of them and check that reopening any member yields all-new or
//! all-old files and no leftover side file.
//!
//! All side files live next to their targets, so the protocol needs no directory of its
//! own; they take their target's owner, group and mode; every journal step is flushed
//! whatever [`Store::with_durability`] says.
//!
//! [`Store::with_durability`]: crate::Store::with_durability

mod format;

use std::fs::{self, File};
use std::io;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::error::{Error, Result};
use crate::fault::crash_point;
use crate::locks::lock_sorted;
use crate::owner::write_side_file;
use crate::paths::{parent_dir, side_path};
use format::{Intent, Journal, Member, checksum};

/// Suffix of the side file that names a pending commit's journal.
pub const INTENT_SUFFIX: &str = ".rs-intent";
/// Suffix of the side file that holds a pending commit's new content.
pub const STAGED_SUFFIX: &str = ".rs-staged";
/// Suffix of the journal, next to the first (sorted) target.
pub const JOURNAL_SUFFIX: &str = ".rs-journal";

/// How many rounds [`recover`] tries while other processes keep changing the side files.
const MAX_RECOVERY_ROUNDS: usize = 10_000;

fn new_transaction_id() -> u64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    checksum(
        format!(
            "{nanos}:{}:{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        )
        .as_bytes(),
    )
}

pub(crate) fn sync_dir_of(path: &Path) -> Result<()> {
    let dir = parent_dir(path);
    File::open(dir)
        .and_then(|dir| dir.sync_all())
        .map_err(|err| Error::io("flush directory", dir, err))
}

fn sync_dirs<'a>(paths: impl IntoIterator<Item = &'a Path>) -> Result<()> {
    let mut paths: Vec<&Path> = paths.into_iter().collect();
    paths.sort_by_key(|path| parent_dir(path));
    paths.dedup_by_key(|path| parent_dir(path));
    paths.into_iter().try_for_each(sync_dir_of)
}

fn remove_if_present(path: &Path) -> Result<()> {
    match fs::remove_file(path) {
        Err(err) if err.kind() != io::ErrorKind::NotFound => Err(Error::io("remove", path, err)),
        _ => Ok(()),
    }
}

fn read_optional(path: &Path) -> Result<Option<Vec<u8>>> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(err) => Err(Error::io("read", path, err)),
    }
}

/// Commits `changes` (absolute target paths, sorted, distinct, at least one) together.
/// The caller holds the exclusive locks of every target.
pub(crate) fn commit(changes: &[(&Path, &[u8])]) -> Result<()> {
    let Some((first, _)) = changes.first() else {
        return Ok(());
    };
    crash_point("locked");
    let journal_path = side_path(first, JOURNAL_SUFFIX);
    let journal = Journal {
        transaction: new_transaction_id(),
        members: changes
            .iter()
            .map(|(target, bytes)| Member {
                target: target.to_path_buf(),
                len: bytes.len() as u64,
                checksum: checksum(bytes),
            })
            .collect(),
    };
    let intent = Intent {
        journal: journal_path.clone(),
        transaction: journal.transaction,
    };

    let staging = (|| {
        for (target, _) in changes {
            let intent_path = side_path(target, INTENT_SUFFIX);
            write_side_file(&intent_path, intent.render(&intent_path).as_bytes(), target)?;
        }
        crash_point("intent-written");
        for (target, bytes) in changes {
            // The staged file replaces the target: it carries the target's owner and mode.
            write_side_file(&side_path(target, STAGED_SUFFIX), bytes, target)?;
        }
        sync_dirs(changes.iter().map(|(target, _)| *target))?;
        crash_point("staged");
        // Written in place: a torn journal fails its own checksum, so it is complete
        // once its flush returns, and the directory flush makes its name durable.
        write_side_file(
            &journal_path,
            journal.render(&journal_path).as_bytes(),
            first,
        )?;
        sync_dir_of(&journal_path)
    })();
    if let Err(err) = staging {
        // Before the commit point nothing is applied: undo the side files so later
        // openers do not need to. A journal that may have reached the disk despite the
        // error is removed first, so the discard is what recovery would also decide.
        let _ = remove_if_present(&journal_path);
        for (target, _) in changes {
            let _ = remove_if_present(&side_path(target, STAGED_SUFFIX));
            let _ = remove_if_present(&side_path(target, INTENT_SUFFIX));
        }
        return Err(err);
    }
    crash_point("journal-written");
    roll_forward(&journal_path, &journal).map_err(|err| Error::Journal {
        path: journal_path.clone(),
        message: format!(
            "the transaction is committed but applying it failed ({err}); \
             the next open of any member completes it"
        ),
    })
}

/// Applies a committed journal: the remaining staged files go into place, then the side
/// files and the journal are removed. Idempotent; the caller holds every member's lock.
fn roll_forward(journal_path: &Path, journal: &Journal) -> Result<()> {
    for (index, member) in journal.members.iter().enumerate() {
        let staged = side_path(&member.target, STAGED_SUFFIX);
        match fs::rename(&staged, &member.target) {
            Ok(()) => {}
            // Already renamed by an earlier, interrupted roll-forward.
            Err(err) if err.kind() == io::ErrorKind::NotFound => {}
            Err(err) => return Err(Error::io("rename staged file over", &member.target, err)),
        }
        if index == 0 {
            crash_point("first-renamed");
        }
    }
    crash_point("renamed");
    sync_dirs(journal.members.iter().map(|member| member.target.as_path()))?;
    crash_point("dirs-synced");
    for member in &journal.members {
        remove_if_present(&side_path(&member.target, INTENT_SUFFIX))?;
    }
    crash_point("intents-removed");
    remove_if_present(journal_path)?;
    sync_dir_of(journal_path)?;
    crash_point("journal-removed");
    Ok(())
}

/// Whether `target` has a pending (unfinished) multi-file commit.
pub(crate) fn has_pending(target: &Path) -> bool {
    [INTENT_SUFFIX, STAGED_SUFFIX, JOURNAL_SUFFIX]
        .iter()
        .any(|suffix| side_path(target, suffix).exists())
}

/// What recovery did for a target.
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

fn read_journal(path: &Path) -> Result<Option<Journal>> {
    Ok(read_optional(path)?
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| Journal::parse(&text, path)))
}

fn read_intent(path: &Path) -> Result<Option<Intent>> {
    Ok(read_optional(path)?
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| Intent::parse(&text, path)))
}

/// The journal that `intent` names, when it exists, is valid and carries the intent's
/// transaction id (the transaction passed its commit point).
fn committed_journal(intent: &Intent) -> Result<Option<Journal>> {
    Ok(read_journal(&intent.journal)?.filter(|journal| journal.transaction == intent.transaction))
}

/// Finishes or discards any pending multi-file commit that touches `target`. Call with
/// no lock of any member held by this thread: it takes the locks itself.
pub(crate) fn recover(target: &Path) -> Result<Recovery> {
    let mut outcome = finish_own_journal(target)?;
    let intent_path = side_path(target, INTENT_SUFFIX);
    let staged_path = side_path(target, STAGED_SUFFIX);
    // Every round either finishes, or found that another process changed the side files
    // between a look without locks and the same look under them.
    for _ in 0..MAX_RECOVERY_ROUNDS {
        let intent = read_intent(&intent_path)?;
        let journal = match &intent {
            Some(intent) => committed_journal(intent)?,
            None => None,
        };
        if let (Some(intent), Some(journal)) = (&intent, &journal) {
            if !journal.lists(target) {
                return Err(Error::UnmatchedJournal {
                    target: target.to_path_buf(),
                    side_file: intent_path,
                    journal: intent.journal.clone(),
                    reason: "the journal with this intent's transaction id does not list this \
                             file (renamed or copied apart from its journal mid-commit?)"
                        .into(),
                });
            }
            let _guards = lock_sorted(&journal.targets())?;
            // Looked at again under the locks: another opener may have finished it.
            if read_journal(&intent.journal)?.as_ref() == Some(journal) {
                verify_members(&intent.journal, journal)?;
                roll_forward(&intent.journal, journal)?;
                outcome = Recovery::RolledForward;
            }
            continue;
        }
        // No committed journal for this intent (or no intent): with the target locked no
        // live committer is between writing the intent and writing the journal, so the
        // commit never reached its commit point.
        let _guard = lock_sorted(std::slice::from_ref(&target.to_path_buf()))?;
        let intent_now = read_intent(&intent_path)?;
        if intent_now != intent {
            continue;
        }
        if let Some(intent) = &intent_now
            && committed_journal(intent)?.is_some()
        {
            continue;
        }
        let had_pending = staged_path.exists() || intent_path.exists();
        remove_if_present(&staged_path)?;
        remove_if_present(&intent_path)?;
        return Ok(if had_pending {
            Recovery::Discarded
        } else {
            outcome
        });
    }
    Err(Error::Journal {
        path: intent_path,
        message: format!(
            "recovery gave up after {MAX_RECOVERY_ROUNDS} rounds: other processes kept \
             changing the commit's side files"
        ),
    })
}

/// A journal stored next to `target` (it was the first member) whose intents are already
/// gone: a crash hit between removing the intents and removing the journal. Rolling it
/// forward again is a no-op that removes it. A journal that does not validate never
/// committed (its checksum covers all of it) and is removed.
fn finish_own_journal(target: &Path) -> Result<Recovery> {
    let journal_path = side_path(target, JOURNAL_SUFFIX);
    for _ in 0..MAX_RECOVERY_ROUNDS {
        if !journal_path.exists() {
            return Ok(Recovery::Clean);
        }
        match read_journal(&journal_path)? {
            Some(journal) => {
                if !journal.lists(target) {
                    return Err(Error::UnmatchedJournal {
                        target: target.to_path_buf(),
                        side_file: journal_path.clone(),
                        journal: journal_path,
                        reason: "the journal beside this file does not list it (renamed \
                                 apart from its files mid-commit?)"
                            .into(),
                    });
                }
                let _guards = lock_sorted(&journal.targets())?;
                if read_journal(&journal_path)?.as_ref() == Some(&journal) {
                    verify_members(&journal_path, &journal)?;
                    roll_forward(&journal_path, &journal)?;
                    return Ok(Recovery::RolledForward);
                }
            }
            None => {
                let _guard = lock_sorted(std::slice::from_ref(&target.to_path_buf()))?;
                if journal_path.exists() && read_journal(&journal_path)?.is_none() {
                    remove_if_present(&journal_path)?;
                    return Ok(Recovery::Discarded);
                }
            }
        }
    }
    Err(Error::Journal {
        path: journal_path,
        message: format!(
            "recovery gave up after {MAX_RECOVERY_ROUNDS} rounds: other processes kept \
             changing the journal"
        ),
    })
}

/// Refuses to roll forward unless every member still in the commit (its intent is
/// there) holds exactly what the journal committed: its staged file (flushed before the
/// journal, so a mismatch means outside interference), or, already renamed, the
/// committed content itself. A member whose intent is gone was completed earlier.
fn verify_members(journal_path: &Path, journal: &Journal) -> Result<()> {
    let matches = |bytes: &[u8], member: &Member| {
        bytes.len() as u64 == member.len && checksum(bytes) == member.checksum
    };
    for member in &journal.members {
        let staged = side_path(&member.target, STAGED_SUFFIX);
        match read_optional(&staged)? {
            Some(bytes) if !matches(&bytes, member) => {
                return Err(Error::Journal {
                    path: staged,
                    message: "staged content does not match the committed journal; \
                              refusing to guess (inspect and remove the side files by hand)"
                        .into(),
                });
            }
            Some(_) => {}
            None => {
                let intent = side_path(&member.target, INTENT_SUFFIX);
                if intent.exists()
                    && !read_optional(&member.target)?.is_some_and(|bytes| matches(&bytes, member))
                {
                    return Err(Error::UnmatchedJournal {
                        target: member.target.clone(),
                        side_file: intent,
                        journal: journal_path.to_path_buf(),
                        reason: "the file has neither its staged copy nor the committed \
                                 content (side files copied or moved apart from it?)"
                            .into(),
                    });
                }
            }
        }
    }
    Ok(())
}
