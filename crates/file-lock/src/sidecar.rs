//! The open sidecar descriptor a handle keeps between locks.
//!
//! Opening the sidecar (a path walk with `O_CREAT`), inspecting it and closing it again cost
//! several times more than the lock itself, so a [`FileLock`](crate::FileLock) keeps one
//! *unlocked* descriptor in its [`Slot`] and reuses it for the next lock. The rules that keep
//! this as safe as opening afresh every time:
//!
//! - **One holder per description.** A lock call *takes* the descriptor out of the slot (or
//!   opens a new one when the slot is empty, e.g. while another guard of the same handle
//!   holds it), so two guards alive at once never share an open file description, and two
//!   handles never share one at all: they conflict exactly like two processes.
//! - **Unlocked before it is cached.** A guard unlocks explicitly and only gives the
//!   descriptor back when that succeeded; otherwise it closes it, which releases the lock.
//!   A cached descriptor holds no lock, so closing it later is harmless.
//! - **Not across `fork`.** A child inherits the slot's descriptor, which is the *parent's*
//!   open file description: locks taken through it would not exclude the parent. The slot
//!   remembers which process opened the descriptor and a lock call in any other process
//!   closes it (without unlocking: the lock state belongs to the parent) and opens its own.
//! - **Owned like the data file.** A sidecar this crate creates gets the owner, group and
//!   permission bits of the data file it locks (when that file exists), so every user who
//!   may write the data file can also open the sidecar to lock it, whoever locked first.
//!   Giving a file away needs privilege; without it the sidecar stays the creator's.
//! - **Not once unlinked.** If somebody deletes the sidecar or renames another file over it,
//!   the cached descriptor points at an inode nobody else will open again. One `statx` per
//!   lock asking for nothing but the link count (see [`link_count`]) notices it dropping to
//!   zero and reopens the path instead.

use std::fs::File;
use std::io;
use std::path::Path;

use parking_lot::Mutex;

use crate::holder::RECORD_LEN;
use crate::in_process::Key;

/// A read-write descriptor of the sidecar and what is known about it.
#[derive(Debug)]
pub(crate) struct OpenSidecar {
    pub(crate) file: File,
    pub(crate) facts: Facts,
}

/// What was learnt about a sidecar descriptor when it was opened.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Facts {
    /// The identity the in-process table knows the sidecar by.
    pub(crate) key: Key,
    /// The process that opened the descriptor; after a `fork` the child must not use it.
    opened_by: u32,
    /// The sidecar was longer than a holder record when it was opened: the first holder
    /// record written through this descriptor trims what follows it.
    pub(crate) needs_trim: bool,
}

impl OpenSidecar {
    /// Opens the sidecar at `path`, creating it (owned like `data`) if needed.
    pub(crate) fn open(path: &Path, data: &Path, pid: u32) -> io::Result<Self> {
        let file = open_or_create(path, data)?;
        let stat = rustix::fs::fstat(&file)?;
        let facts = Facts {
            key: Key {
                device: stat.st_dev,
                inode: stat.st_ino,
            },
            opened_by: pid,
            needs_trim: u64::try_from(stat.st_size).unwrap_or(0) > RECORD_LEN as u64,
        };
        Ok(OpenSidecar { file, facts })
    }

    /// Whether this descriptor may still be used by process `pid` to lock the sidecar.
    fn still_valid(&self, pid: u32) -> bool {
        // A failure (it should not happen on an open descriptor) reads as "reopen".
        self.facts.opened_by == pid && link_count(&self.file).is_ok_and(|links| links > 0)
    }
}

/// Opens the sidecar at `path` for reading and writing; when it does not exist, creates
/// it and gives it the owner, group and permission bits of the data file `data`.
fn open_or_create(path: &Path, data: &Path) -> io::Result<File> {
    let mut options = File::options();
    options.read(true).write(true);
    match options.open(path) {
        Err(err) if err.kind() == io::ErrorKind::NotFound => {}
        opened => return opened,
    }
    let file = match options.clone().create_new(true).open(path) {
        // Another process created it between the two calls: use theirs.
        Err(err) if err.kind() == io::ErrorKind::AlreadyExists => return options.open(path),
        created => created?,
    };
    if let Ok(meta) = std::fs::metadata(data) {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        // Best effort: only a privileged process may give a file away.
        let _ = std::os::unix::fs::fchown(&file, Some(meta.uid()), Some(meta.gid()));
        // Read and write for whoever may read and write the data, and always for its
        // owner (a read-only data file is still replaced by rename); never execute.
        let mode = (meta.permissions().mode() & 0o666) | 0o600;
        let _ = file.set_permissions(std::fs::Permissions::from_mode(mode));
    }
    Ok(file)
}

/// How many names the open file has; 0 once it was deleted or replaced by a rename.
pub(crate) fn link_count(file: &File) -> io::Result<u64> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        use rustix::fs::{AtFlags, StatxFlags, statx};
        // Only the link count: a stat that asks for the file times makes the kernel (Linux
        // 6.13+, multigrain timestamps) give the next write a fine-grained timestamp, so the
        // holder record's `pwrite` would dirty the inode every time; that costs far more
        // than this call. Without `statx` (old kernels, some sandboxes) `fstat` does it.
        if let Ok(status) = statx(file, c"", AtFlags::EMPTY_PATH, StatxFlags::NLINK)
            && status.stx_mask & StatxFlags::NLINK.bits() != 0
        {
            return Ok(u64::from(status.stx_nlink));
        }
    }
    Ok(rustix::fs::fstat(file)?.st_nlink as u64)
}

/// Where a handle keeps its idle sidecar descriptor between locks.
#[derive(Debug, Default)]
pub(crate) struct Slot {
    idle: Mutex<Option<OpenSidecar>>,
}

impl Slot {
    /// The cached descriptor if it is still good for this process, else a freshly opened one.
    pub(crate) fn take_or_open(
        &self,
        path: &Path,
        data: &Path,
        pid: u32,
    ) -> io::Result<OpenSidecar> {
        // Taken out under the mutex, checked outside it: the check is a system call.
        let cached = self.idle.lock().take();
        match cached {
            Some(sidecar) if sidecar.still_valid(pid) => Ok(sidecar),
            // A stale descriptor is closed, never unlocked: it holds no lock of ours, and in
            // a forked child its description (and any lock on it) belongs to the parent.
            _ => OpenSidecar::open(path, data, pid),
        }
    }

    /// Keeps `sidecar` for the next lock call. The caller guarantees it holds no lock.
    /// If the slot is already full (two guards of one handle were alive at once), the
    /// surplus descriptor is closed.
    pub(crate) fn give_back(&self, sidecar: OpenSidecar) {
        let mut idle = self.idle.lock();
        if idle.is_none() {
            *idle = Some(sidecar);
            return;
        }
        drop(idle);
        drop(sidecar);
    }

    /// Whether a descriptor is cached now (for tests).
    #[cfg(test)]
    pub(crate) fn is_filled(&self) -> bool {
        self.idle.lock().is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Mode;
    use crate::sys::{self, Attempt};

    fn sidecar_in(dir: &tempfile::TempDir) -> std::path::PathBuf {
        dir.path().join("data.sdn.lock")
    }

    #[test]
    fn an_idle_descriptor_is_reused_and_a_surplus_one_closed() {
        let dir = tempfile::tempdir().unwrap();
        let path = sidecar_in(&dir);
        let slot = Slot::default();
        let pid = std::process::id();
        let first = slot.take_or_open(&path, &path, pid).unwrap();
        // The slot is empty while `first` is out: a concurrent caller gets its own.
        let second = slot.take_or_open(&path, &path, pid).unwrap();
        assert_eq!(first.facts.key, second.facts.key);
        assert_eq!(
            sys::try_lock(&first.file, Mode::Exclusive).unwrap(),
            Attempt::Acquired
        );
        assert_eq!(
            sys::try_lock(&second.file, Mode::Shared).unwrap(),
            Attempt::Contended,
            "two callers were given one open file description"
        );
        sys::unlock(&first.file).unwrap();
        let first_identity = rustix::fs::fstat(&first.file).unwrap().st_ino;
        slot.give_back(first);
        slot.give_back(second);
        assert!(slot.is_filled());
        let again = slot.take_or_open(&path, &path, pid).unwrap();
        assert_eq!(
            rustix::fs::fstat(&again.file).unwrap().st_ino,
            first_identity
        );
        assert!(!slot.is_filled(), "the cached descriptor was handed out");
    }

    #[test]
    fn another_process_never_uses_the_cached_description() {
        // What a forked child sees: the parent's description in the slot, possibly locked by
        // the parent. The child must get a description of its own that conflicts with it.
        let dir = tempfile::tempdir().unwrap();
        let path = sidecar_in(&dir);
        let slot = Slot::default();
        let parent = slot.take_or_open(&path, &path, 1).unwrap();
        assert_eq!(
            sys::try_lock(&parent.file, Mode::Exclusive).unwrap(),
            Attempt::Acquired
        );
        let parent_copy = parent.file.try_clone().unwrap();
        slot.give_back(parent);
        let child = slot.take_or_open(&path, &path, 2).unwrap();
        assert_eq!(
            sys::try_lock(&child.file, Mode::Exclusive).unwrap(),
            Attempt::Contended,
            "the child reused the parent's open file description"
        );
        // Closing the stale copy did not release the parent's lock either.
        assert_eq!(
            sys::try_lock(&child.file, Mode::Shared).unwrap(),
            Attempt::Contended
        );
        drop(parent_copy);
        assert_eq!(
            sys::try_lock(&child.file, Mode::Exclusive).unwrap(),
            Attempt::Acquired
        );
    }

    #[test]
    fn a_deleted_or_replaced_sidecar_is_reopened() {
        let dir = tempfile::tempdir().unwrap();
        let path = sidecar_in(&dir);
        let slot = Slot::default();
        let pid = std::process::id();
        let opened = slot.take_or_open(&path, &path, pid).unwrap();
        assert_eq!(link_count(&opened.file).unwrap(), 1);
        slot.give_back(opened);

        std::fs::remove_file(&path).unwrap();
        let reopened = slot.take_or_open(&path, &path, pid).unwrap();
        assert!(path.is_file(), "the sidecar was not recreated");
        // While the stale descriptor was open its inode number could not be recycled, so a
        // reused descriptor could not pass this.
        assert_eq!(
            reopened.facts.key.inode,
            rustix::fs::stat(&path).unwrap().st_ino
        );
        slot.give_back(reopened);

        // Replaced by a rename: the old inode loses its last name as well.
        let replacement = dir.path().join("replacement");
        std::fs::write(&replacement, b"").unwrap();
        std::fs::rename(&replacement, &path).unwrap();
        let after_rename = slot.take_or_open(&path, &path, pid).unwrap();
        assert_eq!(
            after_rename.facts.key.inode,
            rustix::fs::stat(&path).unwrap().st_ino
        );
    }
}
