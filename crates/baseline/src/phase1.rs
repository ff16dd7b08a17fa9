//! Phase 1 as planned: "atomic" writes through one fixed temp name, without any flush.
//!
//! Faithful defects: two writers of the same file share `<file>.tmp`, so one can rename the
//! other's half-written temp into place; nothing is flushed, so after a power loss the
//! target may be empty or old although the save reported success; [`startup_sweep`]
//! deletes every `*.tmp` in the directory, including files that are not ours and temps of
//! writers that are still running.

use std::ffi::OsString;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// The fixed temp name the baseline uses for `path`: the path with `.tmp` appended
/// (`todo_db.sdn` → `todo_db.sdn.tmp`).
///
/// ```
/// use std::path::Path;
/// assert_eq!(
///     baseline::phase1::temp_path(Path::new("doc/todo_db.sdn")),
///     Path::new("doc/todo_db.sdn.tmp")
/// );
/// ```
pub fn temp_path(path: &Path) -> PathBuf {
    let mut name = OsString::from(path.as_os_str());
    name.push(".tmp");
    PathBuf::from(name)
}

/// Saves `bytes` to `path` the phase-1 way: write `<path>.tmp`, rename it over `path`.
///
/// No `fsync` of the temp file and none of the directory: the rename is atomic for
/// readers, but not durable.
///
/// ```
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("db.sdn");
/// baseline::phase1::save_phase1(&path, b"hello")?;
/// assert_eq!(std::fs::read(&path)?, b"hello");
/// assert!(!baseline::phase1::temp_path(&path).exists());
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn save_phase1(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let temp = temp_path(path);
    // `fs::write` truncates an existing temp: a second writer's half-written temp is
    // silently overwritten, exactly as in the original.
    fs::write(&temp, bytes)?;
    fs::rename(&temp, path)
}

/// The start-up sweep: deletes every file whose name ends in `.tmp` in `dir`.
///
/// Returns how many files were deleted. It cannot tell a crashed writer's temp from a live
/// writer's temp or from an unrelated user file named `notes.tmp`: it deletes them all.
///
/// ```
/// let dir = tempfile::tempdir()?;
/// std::fs::write(dir.path().join("db.sdn.tmp"), b"half")?;
/// std::fs::write(dir.path().join("unrelated.tmp"), b"mine")?;
/// assert_eq!(baseline::phase1::startup_sweep(dir.path())?, 2);
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn startup_sweep(dir: &Path) -> io::Result<usize> {
    let mut deleted = 0;
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let is_tmp = entry
            .file_name()
            .to_str()
            .is_some_and(|name| name.ends_with(".tmp"));
        if is_tmp && entry.file_type()?.is_file() {
            match fs::remove_file(entry.path()) {
                Ok(()) => deleted += 1,
                // Another process swept or renamed it first.
                Err(err) if err.kind() == io::ErrorKind::NotFound => {}
                Err(err) => return Err(err),
            }
        }
    }
    Ok(deleted)
}
