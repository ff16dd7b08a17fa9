//! Writing a transaction: intents, staged contents, the journal (the commit point), then
//! the renames.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use super::files::{remove_if_present, rename_staged, sync_dir_of, sync_dirs, write_side_file};
use super::format::{Intent, Journal as Record, Member, checksum};
use super::paths::side_path;
use super::{INTENT_SUFFIX, JOURNAL_SUFFIX, Journal, JournalError, Locking, STAGED_SUFFIX, Step};

type Result<T> = std::result::Result<T, JournalError>;

/// A transaction id unique across processes and time: a checksum of the clock, the
/// process id and a counter.
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

/// `changes` in path order, after checking that each target can be journaled.
fn sorted_targets<'a>(changes: &[(&'a Path, &'a [u8])]) -> Result<Vec<(&'a Path, &'a [u8])>> {
    let mut sorted = changes.to_vec();
    sorted.sort_by_key(|(target, _)| *target);
    for pair in sorted.windows(2) {
        if pair[0].0 == pair[1].0 {
            return Err(JournalError::InvalidTarget {
                path: pair[0].0.to_path_buf(),
                reason: "the file is named twice in one commit",
            });
        }
    }
    for (target, _) in &sorted {
        let reason = if !target.is_absolute() {
            "the path is not absolute"
        } else if target.file_name().is_none() {
            "the path does not name a file"
        } else {
            continue;
        };
        return Err(JournalError::InvalidTarget {
            path: target.to_path_buf(),
            reason,
        });
    }
    Ok(sorted)
}

impl<L: Locking> Journal<L> {
    /// Replaces every target of `changes` (`(path, new content)`) with its content, all
    /// together: after a crash at any point and [`recover`](Journal::recover), all or
    /// none of them hold their new content.
    ///
    /// The caller holds exclusive locks on every target (the ones [`Locking`] takes),
    /// and has recovered any pending commit of them first. Paths must be absolute and
    /// distinct; order does not matter (the journal lies beside the first in path
    /// order). An empty `changes` does nothing.
    ///
    /// A failure before the commit point leaves every target unchanged and removes the
    /// side files; one after it is [`JournalError::Unapplied`].
    pub fn commit(&self, changes: &[(&Path, &[u8])]) -> Result<()> {
        let changes = sorted_targets(changes)?;
        let Some((first, _)) = changes.first() else {
            return Ok(());
        };
        let journal_path = side_path(first, JOURNAL_SUFFIX);
        let record = Record {
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
            transaction: record.transaction,
        };

        if let Err(err) = self.stage(&changes, &intent, &record, &journal_path) {
            // Before the commit point nothing is applied: undo the side files so later
            // openers do not need to. A journal that may have reached the disk despite
            // the error is removed first, so the discard is what recovery would decide.
            let _ = remove_if_present(&journal_path);
            for (target, _) in &changes {
                let _ = remove_if_present(&side_path(target, STAGED_SUFFIX));
                let _ = remove_if_present(&side_path(target, INTENT_SUFFIX));
            }
            return Err(err);
        }
        self.reached(Step::JournalWritten);
        self.roll_forward(&journal_path, &record)
            .map_err(|err| JournalError::Unapplied {
                journal: journal_path.clone(),
                source: Box::new(err),
            })
    }

    /// Steps 1 to 3: intents, staged contents, the journal.
    fn stage(
        &self,
        changes: &[(&Path, &[u8])],
        intent: &Intent,
        record: &Record,
        journal_path: &Path,
    ) -> Result<()> {
        for (target, _) in changes {
            let intent_path = side_path(target, INTENT_SUFFIX);
            write_side_file(&intent_path, intent.render(&intent_path).as_bytes(), target)?;
        }
        self.reached(Step::IntentsWritten);
        for (target, bytes) in changes {
            // The staged file replaces the target: it carries the target's owner and mode.
            write_side_file(&side_path(target, STAGED_SUFFIX), bytes, target)?;
        }
        sync_dirs(changes.iter().map(|(target, _)| *target))?;
        self.reached(Step::Staged);
        // Written in place: a torn journal fails its own checksum, so it is complete
        // once its flush returns, and the directory flush makes its name durable.
        let first = changes.first().map_or(journal_path, |(target, _)| *target);
        write_side_file(journal_path, record.render(journal_path).as_bytes(), first)?;
        sync_dir_of(journal_path)
    }

    /// Steps 4 and 5 for a committed journal: the remaining staged files go into place,
    /// then the side files and the journal are removed. Idempotent; the caller holds
    /// every member's lock.
    pub(super) fn roll_forward(&self, journal_path: &Path, record: &Record) -> Result<()> {
        for (index, member) in record.members.iter().enumerate() {
            rename_staged(&side_path(&member.target, STAGED_SUFFIX), &member.target)?;
            if index == 0 {
                self.reached(Step::FirstRenamed);
            }
        }
        self.reached(Step::Renamed);
        sync_dirs(record.members.iter().map(|member| member.target.as_path()))?;
        self.reached(Step::DirsSynced);
        for member in &record.members {
            remove_if_present(&side_path(&member.target, INTENT_SUFFIX))?;
        }
        self.reached(Step::IntentsRemoved);
        remove_if_present(journal_path)?;
        sync_dir_of(journal_path)?;
        self.reached(Step::JournalRemoved);
        Ok(())
    }
}

