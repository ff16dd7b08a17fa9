//! Removing temporary files left behind by crashed writers, and nothing else.

use std::ffi::OsStr;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use rustix::fd::OwnedFd;
use rustix::fs::{AtFlags, CWD, Dir, FileType, Mode, OFlags};
use rustix::io::Errno;

use crate::temp::{is_temp_name, names_same_file};
use crate::{Error, Operation, sys};

/// What [`cleanup_stale`] did.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct CleanupReport {
    /// Temporary files whose writer was gone; they were removed.
    pub removed: Vec<PathBuf>,
    /// Temporary files whose writer still holds the lock; they were kept.
    pub kept_live: Vec<PathBuf>,
    /// Names matching the pattern that could not be judged (not a regular file, could not
    /// be opened, removal failed), with the reason; they were kept.
    pub skipped: Vec<(PathBuf, io::Error)>,
}

/// Removes the temporary files in `dir` whose writer is gone (crashed or killed before
/// committing). Only names matching [`is_temp_name`] are considered, and each is removed
/// only after taking its lock without waiting, which succeeds only when no writer holds
/// it. Unrelated files (such as `notes.tmp`) are never touched.
///
/// Safe to run at any time, also while writers are active, also from a writer's own
/// process.
///
/// ```
/// let dir = tempfile::tempdir()?;
/// std::fs::write(dir.path().join("x.tmp"), "not ours")?;
/// let report = atomic_io::cleanup_stale(dir.path())?;
/// assert!(report.removed.is_empty());
/// assert!(dir.path().join("x.tmp").exists());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn cleanup_stale(dir: impl AsRef<Path>) -> Result<CleanupReport, Error> {
    let dir_path = dir.as_ref();
    let dir_fd = rustix::fs::openat(
        CWD,
        dir_path,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| Error::io(Operation::OpenDir, dir_path, false, e))?;
    let entries =
        Dir::read_from(&dir_fd).map_err(|e| Error::io(Operation::ReadDir, dir_path, false, e))?;

    let mut report = CleanupReport::default();
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(Operation::ReadDir, dir_path, false, e))?;
        let name = OsStr::from_bytes(entry.file_name().to_bytes());
        if !is_temp_name(name) {
            continue;
        }
        let path = dir_path.join(name);
        match judge(&dir_fd, name) {
            Ok(Verdict::Removed) => report.removed.push(path),
            Ok(Verdict::Live) => report.kept_live.push(path),
            Ok(Verdict::Gone) => {}
            Err(e) => report.skipped.push((path, e)),
        }
    }
    Ok(report)
}

enum Verdict {
    Removed,
    Live,
    /// Renamed or removed by its writer while we looked.
    Gone,
}

fn judge(dir: &OwnedFd, name: &OsStr) -> io::Result<Verdict> {
    let file = match rustix::fs::openat(
        dir,
        name,
        OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC,
        Mode::empty(),
    ) {
        Ok(file) => file,
        Err(Errno::NOENT) => return Ok(Verdict::Gone),
        Err(e) => return Err(e.into()),
    };
    let stat = rustix::fs::fstat(&file)?;
    if FileType::from_raw_mode(stat.st_mode) != FileType::RegularFile {
        return Err(io::Error::other("not a regular file"));
    }
    if !sys::try_lock_exclusive(&file)? {
        return Ok(Verdict::Live);
    }
    // Holding the lock; but the name may have moved on since we opened it (its writer
    // renamed it over the target and exited): then the inode we locked is someone's
    // committed file and the name is not ours to remove.
    if !names_same_file(dir, name, &file)? {
        return Ok(Verdict::Gone);
    }
    match rustix::fs::unlinkat(dir, name, AtFlags::empty()) {
        Ok(()) => Ok(Verdict::Removed),
        Err(Errno::NOENT) => Ok(Verdict::Gone),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removes_unlocked_pattern_files_and_skips_what_is_not_a_regular_file() {
        let dir = tempfile::tempdir().unwrap();
        let stale = ".a.sdn.1.0123456789abcdef.atomic-tmp";
        let as_dir = ".b.sdn.2.0123456789abcdef.atomic-tmp";
        let as_link = ".c.sdn.3.0123456789abcdef.atomic-tmp";
        std::fs::write(dir.path().join(stale), "left by a crash").unwrap();
        std::fs::create_dir(dir.path().join(as_dir)).unwrap();
        std::os::unix::fs::symlink("a.sdn", dir.path().join(as_link)).unwrap();
        std::fs::write(dir.path().join("a.sdn"), "data").unwrap();

        let report = cleanup_stale(dir.path()).unwrap();
        assert_eq!(report.removed, [dir.path().join(stale)]);
        assert!(report.kept_live.is_empty());
        let mut skipped: Vec<_> = report.skipped.iter().map(|(p, _)| p.clone()).collect();
        skipped.sort();
        assert_eq!(skipped, [dir.path().join(as_dir), dir.path().join(as_link)]);
        assert!(dir.path().join(as_dir).is_dir());
        assert!(dir.path().join(as_link).is_symlink());
        assert_eq!(std::fs::read(dir.path().join("a.sdn")).unwrap(), b"data");
    }

    #[test]
    fn missing_directory_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let error = cleanup_stale(dir.path().join("absent")).unwrap_err();
        assert_eq!(error.operation(), Operation::OpenDir);
        assert!(!error.target_changed());
    }
}
