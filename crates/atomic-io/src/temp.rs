//! Temporary files: the one recognisable name pattern, creation next to the target, and
//! the lock that proves a temporary file's writer is alive.
//!
//! Name pattern: `.<target-name>.<pid>.<16 hex digits>.atomic-tmp`. The target part is
//! cut to [`MAX_TARGET_PART`] bytes so the whole name stays under `NAME_MAX`.

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::hash::{BuildHasher, Hasher};
use std::io::Write;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use rustix::fd::AsFd;
use rustix::fs::{AtFlags, Mode, OFlags};
use rustix::io::Errno;

use crate::target::Target;
use crate::{Error, Operation, sys};

/// Which kind of temporary file holds the new content until it is committed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TempStrategy {
    /// On Linux, an anonymous `O_TMPFILE` file that gets a name only just before the
    /// rename, so a crash before commit leaves nothing behind; falls back to
    /// [`Named`](TempStrategy::Named) when the filesystem refuses `O_TMPFILE`. On other
    /// systems, the same as `Named`.
    #[default]
    Auto,
    /// Always an exclusively created file with the recognisable temporary name (see
    /// [`is_temp_name`](crate::is_temp_name)), locked by its writer. A crash leaves it
    /// behind for [`cleanup_stale`](crate::cleanup_stale). Useful where `O_TMPFILE`
    /// misbehaves (some FUSE or network filesystems) and when a temporary file should be
    /// visible while it is written.
    Named,
}

const TEMP_SUFFIX: &[u8] = b".atomic-tmp";
const RANDOM_HEX_DIGITS: usize = 16;
const MAX_PID_DIGITS: usize = 10;
/// Keeps `.` + target + `.` + pid + `.` + random + suffix within 255 bytes.
const MAX_TARGET_PART: usize = 200;
/// New files get `0o666` minus the umask, like any program creating a file.
const NEW_FILE_MODE: Mode = Mode::from_bits_truncate(0o666);
/// Attempts at a fresh name before giving up; a clash needs equal pid and random bits,
/// or a cleanup racing the creation.
const CREATE_ATTEMPTS: usize = 16;

/// Whether `name` (a file name, not a path) has the pattern of atomic-io's temporary
/// files: `.<target-name>.<pid>.<16 hex digits>.atomic-tmp`.
///
/// Only names of this shape are ever touched by [`cleanup_stale`](crate::cleanup_stale).
///
/// ```
/// use std::ffi::OsStr;
/// assert!(atomic_io::is_temp_name(OsStr::new(".todo.sdn.4242.00ff00ff00ff00ff.atomic-tmp")));
/// assert!(!atomic_io::is_temp_name(OsStr::new("todo.sdn.tmp")));
/// assert!(!atomic_io::is_temp_name(OsStr::new(".todo.sdn.atomic-tmp")));
/// ```
pub fn is_temp_name(name: &OsStr) -> bool {
    let bytes = name.as_bytes();
    let Some(inner) = bytes
        .strip_prefix(b".")
        .and_then(|rest| rest.strip_suffix(TEMP_SUFFIX))
    else {
        return false;
    };
    let mut parts = inner.rsplitn(3, |&b| b == b'.');
    let (Some(random), Some(pid), Some(target)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    random.len() == RANDOM_HEX_DIGITS
        && random
            .iter()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b))
        && (1..=MAX_PID_DIGITS).contains(&pid.len())
        && pid.iter().all(u8::is_ascii_digit)
        && !target.is_empty()
}

/// A fresh temporary name for `target_name`.
pub(crate) fn temp_name_for(target_name: &OsStr) -> OsString {
    let target = target_name.as_bytes();
    let target = &target[..target.len().min(MAX_TARGET_PART)];
    let mut name = Vec::with_capacity(target.len() + 40);
    name.push(b'.');
    name.extend_from_slice(target);
    name.extend_from_slice(format!(".{}.{:016x}", std::process::id(), random_u64()).as_bytes());
    name.extend_from_slice(TEMP_SUFFIX);
    OsString::from_vec(name)
}

/// 64 unpredictable bits without a random-number dependency: std's `RandomState` is
/// seeded from the OS once per thread; the counter and clock make every call differ.
fn random_u64() -> u64 {
    static CALLS: AtomicU64 = AtomicU64::new(0);
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(CALLS.fetch_add(1, Ordering::Relaxed));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    hasher.write_u128(now);
    hasher.finish()
}

/// A replacement in progress: the target and the locked temporary file holding the new
/// content. Dropping it before it is finished removes the temporary file.
#[derive(Debug)]
pub(crate) struct Pending {
    pub(crate) target: Target,
    pub(crate) file: File,
    /// The temporary file's name in the target's directory, while it has one: from
    /// creation for a named temporary file, from linking for an anonymous one, until the
    /// rename moves it onto the target.
    pub(crate) temp_name: Option<OsString>,
}

impl Pending {
    /// Creates and locks the temporary file for `target`.
    pub(crate) fn create(target: Target, strategy: TempStrategy) -> Result<Self, Error> {
        if strategy == TempStrategy::Auto {
            let anonymous = sys::open_anonymous(&target.dir, NEW_FILE_MODE)
                .map_err(|e| Error::io(Operation::CreateTemp, &target.path, false, e))?;
            if let Some(fd) = anonymous {
                // Locked before it ever has a name, so cleanup can never see its name
                // unlocked while this writer lives.
                match sys::try_lock_exclusive(&fd) {
                    Ok(true) => {}
                    Ok(false) => {
                        return Err(Error::io(
                            Operation::LockTemp,
                            &target.path,
                            false,
                            Errno::WOULDBLOCK,
                        ));
                    }
                    Err(e) => return Err(Error::io(Operation::LockTemp, &target.path, false, e)),
                }
                return Ok(Pending {
                    target,
                    file: File::from(fd),
                    temp_name: None,
                });
            }
        }
        Self::create_named(target)
    }

    fn create_named(target: Target) -> Result<Self, Error> {
        for _ in 0..CREATE_ATTEMPTS {
            let name = temp_name_for(&target.name);
            let file = match rustix::fs::openat(
                &target.dir,
                &name,
                OFlags::CREATE | OFlags::EXCL | OFlags::WRONLY | OFlags::CLOEXEC | OFlags::NOFOLLOW,
                NEW_FILE_MODE,
            ) {
                Ok(fd) => File::from(fd),
                Err(Errno::EXIST) => continue,
                Err(e) => return Err(Error::io(Operation::CreateTemp, &target.path, false, e)),
            };
            match lock_fresh_name(&target.dir, &name, &file) {
                Ok(true) => {
                    return Ok(Pending {
                        target,
                        file,
                        temp_name: Some(name),
                    });
                }
                // A cleanup took this name between our create and our lock: it removes
                // (or removed) the name, so leave it and try a fresh one.
                Ok(false) => continue,
                Err(e) => {
                    let _ = rustix::fs::unlinkat(&target.dir, &name, AtFlags::empty());
                    return Err(Error::io(Operation::LockTemp, &target.path, false, e));
                }
            }
        }
        Err(Error::io(
            Operation::CreateTemp,
            &target.path,
            false,
            std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                "no unused temporary file name found",
            ),
        ))
    }

    /// Writes all of `bytes` to the temporary file.
    pub(crate) fn write_all(&mut self, bytes: &[u8]) -> Result<(), Error> {
        self.file
            .write_all(bytes)
            .map_err(|e| Error::io(Operation::WriteTemp, &self.target.path, false, e))
    }

    /// The temporary file's path, while it has a name.
    pub(crate) fn temp_path(&self) -> Option<PathBuf> {
        self.temp_name
            .as_ref()
            .map(|name| self.target.dir_path.join(name))
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        if let Some(name) = self.temp_name.take() {
            // The lock is still held here (the file closes after this body), so no
            // cleanup can be deciding about this name at the same time.
            let _ = rustix::fs::unlinkat(&self.target.dir, &name, AtFlags::empty());
        }
    }
}

/// Locks a freshly created named temporary file and checks that its name still refers
/// to it: a cleanup may have locked and removed the name between the create and the lock.
/// `Ok(false)`: the name is lost to a cleanup.
fn lock_fresh_name(dir: impl AsFd, name: &OsStr, file: &File) -> std::io::Result<bool> {
    Ok(sys::try_lock_exclusive(file)? && names_same_file(dir, name, file)?)
}

/// Whether `name` in `dir` is the same inode as the open `file` (and not a symlink).
pub(crate) fn names_same_file(
    dir: impl AsFd,
    name: &OsStr,
    file: impl AsFd,
) -> std::io::Result<bool> {
    let open = rustix::fs::fstat(file)?;
    match rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW) {
        Ok(named) => Ok(named.st_dev == open.st_dev && named.st_ino == open.st_ino),
        Err(Errno::NOENT) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_names_match_the_pattern_and_fit_name_max() {
        let long = "n".repeat(255);
        let odd = OsStr::from_bytes(b"caf\xe9.v1.2.sdn");
        for target in [
            OsStr::new("todo.sdn"),
            OsStr::new(".hidden"),
            odd,
            OsStr::new(&long),
        ] {
            let name = temp_name_for(target);
            assert!(is_temp_name(&name), "{name:?}");
            assert!(name.len() <= 255, "{} bytes", name.len());
            assert_ne!(name, temp_name_for(target), "names must be unique");
        }
    }

    #[test]
    fn near_misses_are_not_temp_names() {
        for name in [
            "x.tmp",
            ".todo.sdn.atomic-tmp",
            "todo.sdn.1.0123456789abcdef.atomic-tmp",
            "..1.0123456789abcdef.atomic-tmp",
            ".todo.sdn.1.0123456789ABCDEF.atomic-tmp",
            ".todo.sdn.x1.0123456789abcdef.atomic-tmp",
            ".todo.sdn.1.0123456789abcde.atomic-tmp",
            ".todo.sdn.12345678901.0123456789abcdef.atomic-tmp",
            ".todo.sdn.1.0123456789abcdef.atomic-tmp.bak",
        ] {
            assert!(!is_temp_name(OsStr::new(name)), "{name}");
        }
        assert!(is_temp_name(OsStr::new(
            ".todo.sdn.1.0123456789abcdef.atomic-tmp"
        )));
    }

    #[test]
    fn long_target_names_still_commit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("l".repeat(255));
        for strategy in [TempStrategy::Auto, TempStrategy::Named] {
            crate::Options::new()
                .temp_strategy(strategy)
                .write(&path, "long")
                .unwrap();
            assert_eq!(std::fs::read(&path).unwrap(), b"long");
        }
    }

    #[test]
    fn public_types_are_send_and_sync() {
        fn check<T: Send + Sync + 'static>() {}
        check::<crate::Error>();
        check::<crate::Writer>();
        check::<crate::Batch>();
        check::<crate::Options>();
        check::<crate::Committed>();
    }
}
