//! The commit protocol: copy permissions, flush the temporary file, give it a name,
//! rename it over the target, flush the directory.
//!
//! The order matters. The file is flushed before the rename, so the name can never
//! point at content that is not on disk; the directory is flushed after it, so the
//! rename itself survives a power loss. A failed flush is never retried: after a failed
//! `fsync` the kernel may already have dropped the dirty pages and a second `fsync`
//! would report success for data that is gone.

use std::io;
use std::path::PathBuf;

use rustix::fd::AsFd;
use rustix::fs::{AtFlags, FileType, Gid, Mode, Stat, Uid};
use rustix::io::Errno;

use crate::target::Target;
use crate::temp::{Pending, temp_name_for};
use crate::{Error, Operation, sys};

/// Attempts at naming an anonymous temporary file before giving up.
const LINK_ATTEMPTS: usize = 16;

/// How hard a replacement works to survive a power loss.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Durability {
    /// Flush the temporary file, rename it over the target, flush the directory. Once the
    /// call returns, the new content survives a power loss. Any failed flush is an error.
    #[default]
    Durable,
    /// Like [`Durable`](Durability::Durable), but a failed directory flush (some network
    /// or FUSE filesystems refuse to sync directories) is reported in
    /// [`Committed::dir_flushed`] instead of failing the call. The file's content is still
    /// flushed before the rename, so after a power loss the target holds the complete old
    /// or the complete new content, but not necessarily the new one.
    BestEffortDirFlush,
    /// No flushes: the replacement is atomic for other processes and survives a process
    /// crash, but after a power loss the target may hold the old content or, on some
    /// filesystems, be empty.
    AtomicOnly,
}

/// What a replacement does about a failed or skipped directory flush.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum DirFlush {
    Required,
    BestEffort,
    Skip,
}

impl Durability {
    pub(crate) fn flushes_file(self) -> bool {
        match self {
            Durability::Durable | Durability::BestEffortDirFlush => true,
            Durability::AtomicOnly => false,
        }
    }

    fn dir_flush(self) -> DirFlush {
        match self {
            Durability::Durable => DirFlush::Required,
            Durability::BestEffortDirFlush => DirFlush::BestEffort,
            Durability::AtomicOnly => DirFlush::Skip,
        }
    }
}

/// A successful replacement.
#[derive(Debug)]
#[non_exhaustive]
pub struct Committed {
    /// The file that was replaced: the given path, or with [`Symlinks::Follow`](crate::Symlinks)
    /// the final target of the link chain.
    pub path: PathBuf,
    /// Whether the directory was flushed after the rename. `false` with
    /// [`Durability::AtomicOnly`], or with [`Durability::BestEffortDirFlush`] when the
    /// flush failed (then [`dir_flush_error`](Committed::dir_flush_error) says why).
    pub dir_flushed: bool,
    /// Why the best-effort directory flush failed, if it did.
    pub dir_flush_error: Option<io::Error>,
}

/// Runs the whole protocol for one file.
pub(crate) fn finish(mut pending: Pending, durability: Durability) -> Result<Committed, Error> {
    prepare(&pending, durability)?;
    publish(&mut pending)?;
    let outcome = flush_dir(&pending.target, durability);
    committed(&pending.target, outcome)
}

/// Turns the outcome of the directory flush into the result for one target.
pub(crate) fn committed(target: &Target, outcome: DirFlushOutcome) -> Result<Committed, Error> {
    match outcome {
        DirFlushOutcome::Flushed => Ok(Committed {
            path: target.path.clone(),
            dir_flushed: true,
            dir_flush_error: None,
        }),
        DirFlushOutcome::Skipped => Ok(Committed {
            path: target.path.clone(),
            dir_flushed: false,
            dir_flush_error: None,
        }),
        DirFlushOutcome::Failed {
            error,
            required: false,
        } => Ok(Committed {
            path: target.path.clone(),
            dir_flushed: false,
            dir_flush_error: Some(error),
        }),
        DirFlushOutcome::Failed {
            error,
            required: true,
        } => Err(Error::io(Operation::FlushDir, &target.path, true, error)),
    }
}

/// Everything before the rename: the temporary file gets the replaced file's mode and
/// owner and, unless durability says otherwise, is flushed.
pub(crate) fn prepare(pending: &Pending, durability: Durability) -> Result<(), Error> {
    copy_permissions(pending)
        .map_err(|e| Error::io(Operation::CopyPermissions, &pending.target.path, false, e))?;
    if durability.flushes_file() {
        sys::sync_file(&pending.file)
            .map_err(|e| Error::io(Operation::FlushTemp, &pending.target.path, false, e))?;
    }
    Ok(())
}

/// Keeps the replaced file's mode and, where permitted, its owner. A new file (or a
/// replaced symbolic link) keeps the umask-derived mode it was created with.
fn copy_permissions(pending: &Pending) -> io::Result<()> {
    let old = match rustix::fs::statat(
        &pending.target.dir,
        &pending.target.name,
        AtFlags::SYMLINK_NOFOLLOW,
    ) {
        Ok(old) => old,
        Err(Errno::NOENT) => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    if FileType::from_raw_mode(old.st_mode) != FileType::RegularFile {
        return Ok(());
    }
    copy_owner_and_mode(&pending.file, &old)
}

/// Gives the open `file` the owner (where permitted) and permission bits of the file
/// whose status is `old`.
pub(crate) fn copy_owner_and_mode(file: impl AsFd, old: &Stat) -> io::Result<()> {
    let file = file.as_fd();
    let temp = rustix::fs::fstat(file)?;
    if (old.st_uid, old.st_gid) != (temp.st_uid, temp.st_gid) {
        // Owner first: changing the owner clears set-user-ID bits the mode may restore.
        match rustix::fs::fchown(
            file,
            Some(Uid::from_raw(old.st_uid)),
            Some(Gid::from_raw(old.st_gid)),
        ) {
            // Only the superuser may give files away; others get their own ownership.
            // EINVAL: the owner is not mapped in this user namespace.
            Ok(()) | Err(Errno::PERM | Errno::INVAL) => {}
            Err(e) => return Err(e.into()),
        }
    }
    let old_mode = old.st_mode & 0o7777;
    if old_mode != temp.st_mode & 0o7777 {
        rustix::fs::fchmod(file, Mode::from_raw_mode(old_mode))?;
    }
    Ok(())
}

/// Names the temporary file if it is anonymous, then renames it over the target.
pub(crate) fn publish(pending: &mut Pending) -> Result<(), Error> {
    if pending.temp_name.is_none() {
        link_anonymous(pending)?;
    }
    let Some(temp_name) = &pending.temp_name else {
        return Err(Error::io(
            Operation::LinkTemp,
            &pending.target.path,
            false,
            io::Error::other("temporary file has no name"),
        ));
    };
    rustix::fs::renameat(
        &pending.target.dir,
        temp_name,
        &pending.target.dir,
        &pending.target.name,
    )
    .map_err(|e| Error::io(Operation::Rename, &pending.target.path, false, e))?;
    // The name is now the target's: nothing left to remove.
    pending.temp_name = None;
    Ok(())
}

fn link_anonymous(pending: &mut Pending) -> Result<(), Error> {
    let mut last = Errno::EXIST;
    for _ in 0..LINK_ATTEMPTS {
        let name = temp_name_for(&pending.target.name);
        match sys::link_anonymous(&pending.file, &pending.target.dir, &name) {
            Ok(()) => {
                pending.temp_name = Some(name);
                return Ok(());
            }
            Err(e) if e.raw_os_error() == Some(Errno::EXIST.raw_os_error()) => {
                last = Errno::EXIST;
            }
            Err(e) => {
                return Err(Error::io(
                    Operation::LinkTemp,
                    &pending.target.path,
                    false,
                    e,
                ));
            }
        }
    }
    Err(Error::io(
        Operation::LinkTemp,
        &pending.target.path,
        false,
        last,
    ))
}

/// What happened to the directory flush after the rename.
#[derive(Debug)]
pub(crate) enum DirFlushOutcome {
    Flushed,
    Skipped,
    Failed { error: io::Error, required: bool },
}

impl DirFlushOutcome {
    /// The same outcome for another file of the same directory (`io::Error` is not
    /// `Clone`; kind and message are kept).
    pub(crate) fn duplicate(&self) -> Self {
        match self {
            DirFlushOutcome::Flushed => DirFlushOutcome::Flushed,
            DirFlushOutcome::Skipped => DirFlushOutcome::Skipped,
            DirFlushOutcome::Failed { error, required } => DirFlushOutcome::Failed {
                error: io::Error::new(error.kind(), error.to_string()),
                required: *required,
            },
        }
    }
}

/// Flushes the target's directory as `durability` asks.
pub(crate) fn flush_dir(target: &Target, durability: Durability) -> DirFlushOutcome {
    let required = match durability.dir_flush() {
        DirFlush::Skip => return DirFlushOutcome::Skipped,
        DirFlush::Required => true,
        DirFlush::BestEffort => false,
    };
    match sys::sync_dir(&target.dir) {
        Ok(()) => DirFlushOutcome::Flushed,
        Err(error) => DirFlushOutcome::Failed { error, required },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sys::test_hooks::{DIR, FILE};
    use crate::{Options, TempStrategy};

    fn names(dir: &std::path::Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn failed_file_flush_is_not_retried_and_leaves_target_and_no_temp() {
        for strategy in [TempStrategy::Auto, TempStrategy::Named] {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("data");
            std::fs::write(&path, "old").unwrap();
            FILE.with(|f| f.reset());
            DIR.with(|f| f.reset());
            FILE.with(|f| f.fail_next.set(true));
            let error = Options::new()
                .temp_strategy(strategy)
                .write(&path, "new")
                .unwrap_err();
            assert_eq!(error.operation(), Operation::FlushTemp);
            assert!(!error.target_changed());
            assert!(error.to_string().contains("unchanged"), "{error}");
            assert_eq!(
                FILE.with(|f| f.count.get()),
                1,
                "a failed flush was retried"
            );
            assert_eq!(DIR.with(|f| f.count.get()), 0);
            assert_eq!(std::fs::read(&path).unwrap(), b"old");
            assert_eq!(names(dir.path()), ["data"], "{strategy:?}");
        }
    }

    #[test]
    fn failed_dir_flush_is_an_error_when_durable_and_reported_when_best_effort() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data");
        std::fs::write(&path, "old").unwrap();

        DIR.with(|f| f.reset());
        DIR.with(|f| f.fail_next.set(true));
        let error = Options::new().write(&path, "new").unwrap_err();
        assert_eq!(error.operation(), Operation::FlushDir);
        assert!(error.target_changed());
        assert_eq!(DIR.with(|f| f.count.get()), 1, "a failed flush was retried");
        // The rename happened; only its durability is unknown.
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
        assert_eq!(names(dir.path()), ["data"]);

        DIR.with(|f| f.fail_next.set(true));
        let committed = Options::new()
            .durability(Durability::BestEffortDirFlush)
            .write(&path, "newer")
            .unwrap();
        assert!(!committed.dir_flushed);
        assert_eq!(
            committed
                .dir_flush_error
                .as_ref()
                .and_then(io::Error::raw_os_error),
            Some(Errno::IO.raw_os_error())
        );
        assert_eq!(std::fs::read(&path).unwrap(), b"newer");
    }

    #[test]
    fn atomic_only_makes_no_flush() {
        let dir = tempfile::tempdir().unwrap();
        FILE.with(|f| f.reset());
        DIR.with(|f| f.reset());
        let committed = Options::new()
            .durability(Durability::AtomicOnly)
            .write(dir.path().join("f"), "x")
            .unwrap();
        assert!(!committed.dir_flushed);
        assert_eq!(
            FILE.with(|f| f.count.get()) + DIR.with(|f| f.count.get()),
            0
        );
    }
}
