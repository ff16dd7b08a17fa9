//! Recovery: finishing a committed transaction or discarding an uncommitted one, from
//! whichever member is opened first.

use std::path::Path;

use super::files::{read_optional, remove_if_present};
use super::format::{Intent, Journal as Record, Member, checksum};
use super::paths::side_path;
use super::{
    INTENT_SUFFIX, JOURNAL_SUFFIX, Journal, JournalError, Locking, Recovery, STAGED_SUFFIX,
    UnmatchedReason,
};

/// How many rounds recovery tries while other processes keep changing the side files.
const MAX_RECOVERY_ROUNDS: usize = 10_000;

fn read_record(path: &Path) -> Result<Option<Record>, JournalError> {
    Ok(read_optional(path)?
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| Record::parse(&text, path)))
}

fn read_intent(path: &Path) -> Result<Option<Intent>, JournalError> {
    Ok(read_optional(path)?
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| Intent::parse(&text, path)))
}

/// The journal that `intent` names, when it exists, is valid and carries the intent's
/// transaction id (the transaction passed its commit point).
fn committed_record(intent: &Intent) -> Result<Option<Record>, JournalError> {
    Ok(read_record(&intent.journal)?.filter(|record| record.transaction == intent.transaction))
}

impl<L: Locking> Journal<L> {
    /// Finishes or discards any pending commit that touches `target` (absolute, spelled
    /// as it was given to [`commit`](Journal::commit)). Call it before reading or
    /// writing `target` under its lock, with no lock of any member held by this thread:
    /// it takes the locks itself, through [`Locking`].
    ///
    /// Safe to call at any time and any number of times: with nothing pending it only
    /// looks for three side files.
    pub fn recover(&self, target: &Path) -> Result<Recovery, L::Error> {
        let mut outcome = self.finish_own_journal(target)?;
        let intent_path = side_path(target, INTENT_SUFFIX);
        let staged_path = side_path(target, STAGED_SUFFIX);
        // Every round either finishes, or found that another process changed the side
        // files between a look without locks and the same look under them.
        for _ in 0..MAX_RECOVERY_ROUNDS {
            let intent = read_intent(&intent_path)?;
            let record = match &intent {
                Some(intent) => committed_record(intent)?,
                None => None,
            };
            if let (Some(intent), Some(record)) = (&intent, &record) {
                if !record.lists(target) {
                    return Err(JournalError::Unmatched {
                        target: target.to_path_buf(),
                        side_file: intent_path,
                        journal: intent.journal.clone(),
                        reason: UnmatchedReason::IntentNotInJournal,
                    }
                    .into());
                }
                let _guards = self.locking.lock_exclusive(&record.targets())?;
                // Looked at again under the locks: another opener may have finished it.
                if read_record(&intent.journal)?.as_ref() == Some(record) {
                    verify_members(&intent.journal, record)?;
                    self.roll_forward(&intent.journal, record)?;
                    outcome = Recovery::RolledForward;
                }
                continue;
            }
            // No committed journal for this intent (or no intent): with the target locked
            // no live committer is between writing the intent and writing the journal,
            // so the commit never reached its commit point.
            let _guard = self
                .locking
                .lock_exclusive(std::slice::from_ref(&target.to_path_buf()))?;
            let intent_now = read_intent(&intent_path)?;
            if intent_now != intent {
                continue;
            }
            if let Some(intent) = &intent_now
                && committed_record(intent)?.is_some()
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
        Err(JournalError::Contended {
            path: intent_path,
            rounds: MAX_RECOVERY_ROUNDS,
        }
        .into())
    }

    /// A journal stored next to `target` (it was the first member) whose intents are
    /// already gone: a crash hit between removing the intents and removing the journal.
    /// Rolling it forward again is a no-op that removes it. A journal that does not
    /// validate never committed (its checksum covers all of it) and is removed.
    fn finish_own_journal(&self, target: &Path) -> Result<Recovery, L::Error> {
        let journal_path = side_path(target, JOURNAL_SUFFIX);
        for _ in 0..MAX_RECOVERY_ROUNDS {
            if !journal_path.exists() {
                return Ok(Recovery::Clean);
            }
            match read_record(&journal_path)? {
                Some(record) => {
                    if !record.lists(target) {
                        return Err(JournalError::Unmatched {
                            target: target.to_path_buf(),
                            side_file: journal_path.clone(),
                            journal: journal_path,
                            reason: UnmatchedReason::JournalNotListingFile,
                        }
                        .into());
                    }
                    let _guards = self.locking.lock_exclusive(&record.targets())?;
                    if read_record(&journal_path)?.as_ref() == Some(&record) {
                        verify_members(&journal_path, &record)?;
                        self.roll_forward(&journal_path, &record)?;
                        return Ok(Recovery::RolledForward);
                    }
                }
                None => {
                    let _guard = self
                        .locking
                        .lock_exclusive(std::slice::from_ref(&target.to_path_buf()))?;
                    if journal_path.exists() && read_record(&journal_path)?.is_none() {
                        remove_if_present(&journal_path)?;
                        return Ok(Recovery::Discarded);
                    }
                }
            }
        }
        Err(JournalError::Contended {
            path: journal_path,
            rounds: MAX_RECOVERY_ROUNDS,
        }
        .into())
    }
}

/// Refuses to roll forward unless every member still in the commit (its intent is
/// there) holds exactly what the journal committed: its staged file (flushed before the
/// journal, so a mismatch means outside interference), or, already renamed, the
/// committed content itself. A member whose intent is gone was completed earlier.
fn verify_members(journal_path: &Path, record: &Record) -> Result<(), JournalError> {
    let matches = |bytes: &[u8], member: &Member| {
        bytes.len() as u64 == member.len && checksum(bytes) == member.checksum
    };
    for member in &record.members {
        let staged = side_path(&member.target, STAGED_SUFFIX);
        match read_optional(&staged)? {
            Some(bytes) if !matches(&bytes, member) => {
                return Err(JournalError::StagedMismatch {
                    staged,
                    journal: journal_path.to_path_buf(),
                });
            }
            Some(_) => {}
            None => {
                let intent = side_path(&member.target, INTENT_SUFFIX);
                if intent.exists()
                    && !read_optional(&member.target)?.is_some_and(|bytes| matches(&bytes, member))
                {
                    return Err(JournalError::Unmatched {
                        target: member.target.clone(),
                        side_file: intent,
                        journal: journal_path.to_path_buf(),
                        reason: UnmatchedReason::MemberContentMissing,
                    });
                }
            }
        }
    }
    Ok(())
}

