//! The few places where platforms differ: anonymous temporary files, flushing, locking.

use std::ffi::OsStr;

use rustix::fd::{AsFd, OwnedFd};
use rustix::fs::{FlockOperation, Mode};
use rustix::io::Errno;

/// Takes an exclusive lock on the open file without waiting; `Ok(false)` when someone
/// else holds it.
///
/// `flock` locks belong to the open file description (like Linux OFD locks): a second
/// `open` of the same file in the same process conflicts, and closing an unrelated
/// descriptor does not drop the lock. rustix's `fcntl_lock` uses classic POSIX record
/// locks (`F_SETLK`), which belong to the process, so a cleanup running in a writer's own
/// process would "get" the writer's lock and delete a live temporary file, and closing the
/// cleanup's descriptor would silently release the writer's lock.
pub(crate) fn try_lock_exclusive(fd: impl AsFd) -> std::io::Result<bool> {
    match rustix::fs::flock(fd, FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => Ok(true),
        Err(Errno::WOULDBLOCK) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Flushes a file's data and metadata to stable storage.
pub(crate) fn sync_file(fd: impl AsFd) -> std::io::Result<()> {
    #[cfg(test)]
    test_hooks::FILE.with(test_hooks::Flushes::record)?;
    full_sync(fd)
}

fn full_sync(fd: impl AsFd) -> std::io::Result<()> {
    // On Apple systems fsync only reaches the drive's cache; F_FULLFSYNC reaches the
    // medium. Some filesystems refuse it, and then fsync is the best there is.
    #[cfg(target_vendor = "apple")]
    if rustix::fs::fcntl_fullfsync(&fd).is_ok() {
        return Ok(());
    }
    rustix::fs::fsync(fd).map_err(Into::into)
}

/// Flushes a directory (its entries: creations, renames) to stable storage.
pub(crate) fn sync_dir(dir: impl AsFd) -> std::io::Result<()> {
    #[cfg(test)]
    test_hooks::DIR.with(test_hooks::Flushes::record)?;
    full_sync(dir)
}

/// Unit tests count this thread's flushes and make the next one fail, to check that a
/// failed flush is reported, never retried, and cleaned up after.
#[cfg(test)]
pub(crate) mod test_hooks {
    use std::cell::Cell;

    #[derive(Default)]
    pub(crate) struct Flushes {
        pub(crate) count: Cell<usize>,
        pub(crate) fail_next: Cell<bool>,
    }

    impl Flushes {
        pub(crate) fn record(&self) -> std::io::Result<()> {
            self.count.set(self.count.get() + 1);
            if self.fail_next.replace(false) {
                return Err(std::io::Error::from_raw_os_error(
                    rustix::io::Errno::IO.raw_os_error(),
                ));
            }
            Ok(())
        }

        pub(crate) fn reset(&self) {
            self.count.set(0);
            self.fail_next.set(false);
        }
    }

    thread_local! {
        pub(crate) static FILE: Flushes = Flushes::default();
        pub(crate) static DIR: Flushes = Flushes::default();
    }
}

/// Opens an anonymous `O_TMPFILE` file in `dir`; `Ok(None)` when the filesystem (or
/// kernel) does not support it, so the caller falls back to a named temporary file.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub(crate) fn open_anonymous(dir: impl AsFd, mode: Mode) -> std::io::Result<Option<OwnedFd>> {
    use rustix::fs::OFlags;
    match rustix::fs::openat(
        dir,
        ".",
        OFlags::TMPFILE | OFlags::WRONLY | OFlags::CLOEXEC,
        mode,
    ) {
        Ok(fd) => Ok(Some(fd)),
        // EOPNOTSUPP: filesystem without O_TMPFILE. EISDIR / EINVAL: kernel older than
        // 3.11, which sees only the O_DIRECTORY bit of O_TMPFILE.
        Err(Errno::OPNOTSUPP | Errno::ISDIR | Errno::INVAL) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// No anonymous temporary files outside Linux: always a named one.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub(crate) fn open_anonymous(_dir: impl AsFd, _mode: Mode) -> std::io::Result<Option<OwnedFd>> {
    Ok(None)
}

/// Gives the anonymous file `fd` the name `name` in `dir`.
///
/// `linkat(fd, "", AT_EMPTY_PATH)` needs `CAP_DAC_READ_SEARCH` on older kernels and
/// fails with `ENOENT` without it; linking the `/proc/self/fd/N` magic link with
/// `AT_SYMLINK_FOLLOW` needs no privilege.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub(crate) fn link_anonymous(fd: impl AsFd, dir: impl AsFd, name: &OsStr) -> std::io::Result<()> {
    use rustix::fs::AtFlags;
    match rustix::fs::linkat(&fd, "", &dir, name, AtFlags::EMPTY_PATH) {
        Ok(()) => Ok(()),
        Err(Errno::NOENT | Errno::PERM | Errno::ACCESS) => link_via_proc(fd, dir, name),
        Err(e) => Err(e.into()),
    }
}

/// The unprivileged way to name an anonymous file, through `/proc/self/fd/N`.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub(crate) fn link_via_proc(fd: impl AsFd, dir: impl AsFd, name: &OsStr) -> std::io::Result<()> {
    use rustix::fd::AsRawFd;
    use rustix::fs::{AtFlags, CWD};
    let magic = format!("/proc/self/fd/{}", fd.as_fd().as_raw_fd());
    rustix::fs::linkat(CWD, magic.as_str(), dir, name, AtFlags::SYMLINK_FOLLOW).map_err(Into::into)
}

/// Never called: [`open_anonymous`] never returns an anonymous file here.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub(crate) fn link_anonymous(
    _fd: impl AsFd,
    _dir: impl AsFd,
    _name: &OsStr,
) -> std::io::Result<()> {
    Err(std::io::ErrorKind::Unsupported.into())
}

#[cfg(all(test, any(target_os = "linux", target_os = "android")))]
mod tests {
    use super::*;
    use rustix::fs::OFlags;

    #[test]
    fn proc_fallback_names_an_anonymous_file() {
        let dir = tempfile::tempdir().unwrap();
        let dir_fd = rustix::fs::open(
            dir.path(),
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .unwrap();
        let Some(fd) = open_anonymous(&dir_fd, Mode::from_bits_truncate(0o644)).unwrap() else {
            eprintln!("SKIPPED: proc_fallback_names_an_anonymous_file: no O_TMPFILE here");
            return;
        };
        rustix::io::write(&fd, b"hello").unwrap();
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        link_via_proc(&fd, &dir_fd, OsStr::new("named")).unwrap();
        assert_eq!(std::fs::read(dir.path().join("named")).unwrap(), b"hello");
    }

    #[test]
    fn lock_conflicts_between_two_opens_in_one_process() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let first = std::fs::File::create(&path).unwrap();
        let second = std::fs::File::open(&path).unwrap();
        assert!(try_lock_exclusive(&first).unwrap());
        assert!(!try_lock_exclusive(&second).unwrap());
        let third = std::fs::File::open(&path).unwrap();
        drop(third);
        assert!(
            !try_lock_exclusive(&second).unwrap(),
            "closing another fd dropped the lock"
        );
        drop(first);
        assert!(try_lock_exclusive(&second).unwrap());
    }
}
