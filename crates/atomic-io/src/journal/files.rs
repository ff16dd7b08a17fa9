//! The journal's file operations, on this crate's durable primitives: side files are
//! flushed with the same `fsync` (`F_FULLFSYNC` on Apple systems) as a replacement, and
//! directories the same way.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::Path;

use rustix::fs::{FileType, Mode, OFlags};

use super::error::{JournalError, JournalOperation};
use super::paths::parent_dir;
use crate::{commit, sys};

type Result<T> = std::result::Result<T, JournalError>;

/// Creates (or truncates) `path`, gives it the owner and mode of the existing regular
/// file `like` (when there is one, so every user who may write the target may also
/// recover and remove its side files), writes `bytes` and flushes them.
pub(crate) fn write_side_file(path: &Path, bytes: &[u8], like: &Path) -> Result<()> {
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)
        .map_err(|err| JournalError::io(JournalOperation::CreateSideFile, path, err))?;
    if let Ok(old) = rustix::fs::stat(like)
        && FileType::from_raw_mode(old.st_mode) == FileType::RegularFile
    {
        commit::copy_owner_and_mode(&file, &old)
            .map_err(|err| JournalError::io(JournalOperation::CopyPermissions, path, err))?;
    }
    file.write_all(bytes)
        .map_err(|err| JournalError::io(JournalOperation::WriteSideFile, path, err))?;
    sys::sync_file(&file).map_err(|err| JournalError::io(JournalOperation::FlushSideFile, path, err))
}

/// Flushes the directory that holds `path`, making creations, renames and removals in
/// it durable.
pub(crate) fn sync_dir_of(path: &Path) -> Result<()> {
    let dir = parent_dir(path);
    rustix::fs::open(dir, OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC, Mode::empty())
        .map_err(io::Error::from)
        .and_then(|fd| sys::sync_dir(&fd))
        .map_err(|err| JournalError::io(JournalOperation::FlushDir, dir, err))
}

/// Flushes each distinct directory holding one of `paths` once.
pub(crate) fn sync_dirs<'a>(paths: impl IntoIterator<Item = &'a Path>) -> Result<()> {
    let mut paths: Vec<&Path> = paths.into_iter().collect();
    paths.sort_by_key(|path| parent_dir(path));
    paths.dedup_by_key(|path| parent_dir(path));
    paths.into_iter().try_for_each(sync_dir_of)
}

/// Removes `path`; a file that is already gone is fine.
pub(crate) fn remove_if_present(path: &Path) -> Result<()> {
    match fs::remove_file(path) {
        Err(err) if err.kind() != io::ErrorKind::NotFound => {
            Err(JournalError::io(JournalOperation::Remove, path, err))
        }
        _ => Ok(()),
    }
}

/// The bytes of `path`, or `None` when it does not exist.
pub(crate) fn read_optional(path: &Path) -> Result<Option<Vec<u8>>> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(err) => Err(JournalError::io(JournalOperation::Read, path, err)),
    }
}

/// Renames `staged` over `target`; `Ok(false)` when `staged` is already gone (an
/// earlier, interrupted roll-forward renamed it).
pub(crate) fn rename_staged(staged: &Path, target: &Path) -> Result<bool> {
    match fs::rename(staged, target) {
        Ok(()) => Ok(true),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(err) => Err(JournalError::io(JournalOperation::Rename, target, err)),
    }
}

