//! The multi-file commit journal: several files become new together, or none does, after
//! a crash at any point.
//!
//! # Protocol (the caller holds the exclusive locks of every target, taken in sorted path
//! order)
//!
//! 1. For each target `F`, write and flush `F.rs-intent`: the path of the journal and the
//!    transaction id. It lets an opener of any single member find the journal.
//! 2. For each target, write and flush the new content as `F.rs-staged`; flush each
//!    directory involved.
//! 3. Write the journal `F0.rs-journal` (F0 = first target) with atomic-io, durably: it
//!    lists every target, its staged file, length and checksum, and ends with a checksum
//!    of itself. **This is the commit point**: from here on the transaction is applied.
//! 4. Rename each staged file over its target; flush each directory.
//! 5. (a) Remove the intents, then (b) the journal (flushing its directory).
//!
//! # Recovery (any opener of any member, before it reads or writes under its lock)
//!
//! If `F.rs-intent` exists, a commit touching `F` did not finish. With every member
//! locked (so no live committer is mid-way): if the journal it names exists, is valid and
//! carries the same transaction id, the commit passed its commit point and is **rolled
//! forward** (the remaining staged files renamed into place, side files removed);
//! otherwise it never committed and `F`'s staged file and intent are **discarded**. A
//! staged file without an intent is always discarded (intents are written first and
//! removed last). A journal next to `F` whose intents are all gone (a crash between
//! steps 5a and 5b) is rolled forward again, which only removes it.
//!
//! Crash points (see [`crate::fault::STEPS`]) sit after each step; the crash tests abort
//! a writer at every one of them and check that reopening any member yields all-new or
//! all-old files and no leftover side file.
//!
//! All side files live next to their targets, so the protocol needs no directory of its
//! own; every journal step is flushed whatever [`Store::with_durability`] says.
//!
//! [`Store::with_durability`]: crate::Store::with_durability

use std::ffi::OsString;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::error::{Error, Result};
use crate::fault::crash_point;
use crate::locks::lock_sorted;

const JOURNAL_MAGIC: &str = "record-store commit journal v1";
const INTENT_MAGIC: &str = "record-store commit intent v1";

/// Suffix of the side file that names a pending commit's journal.
pub const INTENT_SUFFIX: &str = ".rs-intent";
/// Suffix of the side file that holds a pending commit's new content.
pub const STAGED_SUFFIX: &str = ".rs-staged";
/// Suffix of the journal, next to the first (sorted) target.
pub const JOURNAL_SUFFIX: &str = ".rs-journal";

/// `path` with `suffix` appended to its file name.
pub(crate) fn side_path(path: &Path, suffix: &str) -> PathBuf {
    let mut name = OsString::from(path.as_os_str());
    name.push(suffix);
    PathBuf::from(name)
}

/// FNV-1a, 64 bit: a cheap checksum against torn or foreign journal contents.
fn checksum(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &byte in bytes {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

fn encode_path(path: &Path) -> String {
    path.as_os_str()
        .as_encoded_bytes()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

fn decode_path(hex: &str) -> Option<PathBuf> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect();
    let bytes = bytes?;
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStringExt;
        Some(PathBuf::from(OsString::from_vec(bytes)))
    }
    #[cfg(not(unix))]
    {
        String::from_utf8(bytes).ok().map(PathBuf::from)
    }
}

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

/// One target of a journal.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Member {
    target: PathBuf,
    len: u64,
    checksum: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Journal {
    transaction: u64,
    members: Vec<Member>,
}

impl Journal {
    fn render(&self) -> String {
        let mut text = format!("{JOURNAL_MAGIC}\ntransaction {:016x}\n", self.transaction);
        for member in &self.members {
            text.push_str(&format!(
                "member {} {} {:016x}\n",
                encode_path(&member.target),
                member.len,
                member.checksum
            ));
        }
        let sum = checksum(text.as_bytes());
        text.push_str(&format!("end {} {sum:016x}\n", self.members.len()));
        text
    }

    /// `None` for anything but a complete, self-consistent journal.
    fn parse(text: &str) -> Option<Journal> {
        let body_end = text.rfind("end ")?;
        let (body, end) = text.split_at(body_end);
        let mut end_fields = end.trim_end().split(' ').skip(1);
        let count: usize = end_fields.next()?.parse().ok()?;
        let sum = u64::from_str_radix(end_fields.next()?, 16).ok()?;
        if sum != checksum(body.as_bytes()) || !end.ends_with('\n') {
            return None;
        }
        let mut lines = body.lines();
        if lines.next()? != JOURNAL_MAGIC {
            return None;
        }
        let transaction =
            u64::from_str_radix(lines.next()?.strip_prefix("transaction ")?, 16).ok()?;
        let mut members = Vec::new();
        for line in lines {
            let mut fields = line.strip_prefix("member ")?.split(' ');
            members.push(Member {
                target: decode_path(fields.next()?)?,
                len: fields.next()?.parse().ok()?,
                checksum: u64::from_str_radix(fields.next()?, 16).ok()?,
            });
        }
        (members.len() == count).then_some(Journal {
            transaction,
            members,
        })
    }
}

#[derive(Debug, PartialEq, Eq)]
struct Intent {
    journal: PathBuf,
    transaction: u64,
}

impl Intent {
    fn render(&self) -> String {
        format!(
            "{INTENT_MAGIC}\njournal {}\ntransaction {:016x}\n",
            encode_path(&self.journal),
            self.transaction
        )
    }

    fn parse(text: &str) -> Option<Intent> {
        let mut lines = text.lines();
        if lines.next()? != INTENT_MAGIC {
            return None;
        }
        let journal = decode_path(lines.next()?.strip_prefix("journal ")?)?;
        let transaction =
            u64::from_str_radix(lines.next()?.strip_prefix("transaction ")?, 16).ok()?;
        Some(Intent {
            journal,
            transaction,
        })
    }
}

/// Writes and flushes `path`; with `mode_of`, it gets that existing file's permissions.
fn write_flushed(path: &Path, bytes: &[u8], mode_of: Option<&Path>) -> Result<()> {
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)
        .map_err(|err| Error::io("create", path, err))?;
    if let Some(meta) = mode_of.and_then(|other| fs::metadata(other).ok()) {
        file.set_permissions(meta.permissions())
            .map_err(|err| Error::io("copy permissions to", path, err))?;
    }
    file.write_all(bytes)
        .map_err(|err| Error::io("write", path, err))?;
    file.sync_all().map_err(|err| Error::io("flush", path, err))
}

pub(crate) fn sync_dir_of(path: &Path) -> Result<()> {
    let dir = parent_dir(path);
    File::open(dir)
        .and_then(|dir| dir.sync_all())
        .map_err(|err| Error::io("flush directory", dir, err))
}

fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

fn sync_dirs<'a>(paths: impl IntoIterator<Item = &'a Path>) -> Result<()> {
    let mut dirs: Vec<&Path> = paths.into_iter().map(parent_dir).collect();
    dirs.sort();
    dirs.dedup();
    for dir in dirs {
        File::open(dir)
            .and_then(|dir| dir.sync_all())
            .map_err(|err| Error::io("flush directory", dir, err))?;
    }
    Ok(())
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
pub(crate) fn commit(changes: &[(PathBuf, Vec<u8>)]) -> Result<()> {
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
                target: target.clone(),
                len: bytes.len() as u64,
                checksum: checksum(bytes),
            })
            .collect(),
    };
    let intent = Intent {
        journal: journal_path.clone(),
        transaction: journal.transaction,
    }
    .render();

    let staging = (|| {
        for (target, _) in changes {
            write_flushed(&side_path(target, INTENT_SUFFIX), intent.as_bytes(), None)?;
        }
        crash_point("intent-written");
        for (target, bytes) in changes {
            // The staged file replaces the target: it carries the target's mode.
            write_flushed(&side_path(target, STAGED_SUFFIX), bytes, Some(target))?;
        }
        sync_dirs(changes.iter().map(|(target, _)| target.as_path()))?;
        crash_point("staged");
        atomic_io::write(&journal_path, journal.render().as_bytes()).map_err(|source| {
            Error::Commit {
                path: journal_path.clone(),
                source,
            }
        })
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
        .and_then(|text| Journal::parse(&text)))
}

/// Finishes or discards any pending multi-file commit that touches `target`. Call with
/// no lock of any member held by this thread: it takes the locks itself.
pub(crate) fn recover(target: &Path) -> Result<Recovery> {
    let mut outcome = finish_own_journal(target)?;
    let intent_path = side_path(target, INTENT_SUFFIX);
    let staged_path = side_path(target, STAGED_SUFFIX);
    loop {
        let intent = read_optional(&intent_path)?
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .and_then(|text| Intent::parse(&text));
        let journal = match &intent {
            Some(intent) => read_journal(&intent.journal)?
                .filter(|journal| journal.transaction == intent.transaction)
                .filter(|journal| journal.members.iter().any(|m| m.target == target)),
            None => None,
        };
        if let (Some(intent), Some(journal)) = (&intent, &journal) {
            let members: Vec<PathBuf> = journal.members.iter().map(|m| m.target.clone()).collect();
            let _guards = lock_sorted(&members)?;
            // Re-read under the locks: another opener may have finished it meanwhile.
            match read_journal(&intent.journal)? {
                Some(current) if current == *journal => {
                    verify_staged(&current)?;
                    roll_forward(&intent.journal, &current)?;
                    outcome = Recovery::RolledForward;
                    continue;
                }
                _ => continue,
            }
        }
        // No valid journal for this intent (or no intent): with the target locked no
        // live committer is between writing the intent and writing the journal, so the
        // commit never reached its commit point.
        let _guard = lock_sorted(std::slice::from_ref(&target.to_path_buf()))?;
        let intent_now = read_optional(&intent_path)?
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .and_then(|text| Intent::parse(&text));
        if intent_now != intent {
            continue;
        }
        if let Some(intent) = &intent_now
            && read_journal(&intent.journal)?
                .is_some_and(|journal| journal.transaction == intent.transaction)
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
}

/// A journal stored next to `target` (it was the first member) whose intents are already
/// gone: a crash hit between removing the intents and removing the journal. Rolling it
/// forward again is a no-op that removes it. A journal that does not validate never
/// committed (it is written atomically) and is removed.
fn finish_own_journal(target: &Path) -> Result<Recovery> {
    let journal_path = side_path(target, JOURNAL_SUFFIX);
    loop {
        if !journal_path.exists() {
            return Ok(Recovery::Clean);
        }
        match read_journal(&journal_path)? {
            Some(journal) => {
                let members: Vec<PathBuf> =
                    journal.members.iter().map(|m| m.target.clone()).collect();
                let _guards = lock_sorted(&members)?;
                if read_journal(&journal_path)?.as_ref() == Some(&journal) {
                    verify_staged(&journal)?;
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
}

/// Refuses to roll forward a staged file that is not what the journal committed (it was
/// flushed before the journal, so a mismatch means outside interference).
fn verify_staged(journal: &Journal) -> Result<()> {
    for member in &journal.members {
        let staged = side_path(&member.target, STAGED_SUFFIX);
        if let Some(bytes) = read_optional(&staged)?
            && (bytes.len() as u64 != member.len || checksum(&bytes) != member.checksum)
        {
            return Err(Error::Journal {
                path: staged,
                message: "staged content does not match the committed journal; \
                          refusing to guess (inspect and remove the side files by hand)"
                    .into(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn journal_round_trips_and_rejects_tampering() {
        let journal = Journal {
            transaction: 42,
            members: vec![Member {
                target: PathBuf::from("/tmp/a b.sdn"),
                len: 3,
                checksum: checksum(b"abc"),
            }],
        };
        let text = journal.render();
        assert_eq!(Journal::parse(&text), Some(journal));
        assert_eq!(Journal::parse(&text[..text.len() - 1]), None);
        assert_eq!(Journal::parse(&text.replace("member", "membre")), None);
    }

    #[test]
    fn intent_round_trips() {
        let intent = Intent {
            journal: PathBuf::from("/x/y.rs-journal"),
            transaction: 7,
        };
        assert_eq!(Intent::parse(&intent.render()), Some(intent));
        assert_eq!(Intent::parse("garbage"), None);
    }
}
