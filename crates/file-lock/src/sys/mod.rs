//! The kernel lock calls, one small module per lock family.
//!
//! Every backend offers the same four operations on an open sidecar file. A lock belongs to
//! the *open file description* (one `open` call), never to the process: two opens of the
//! same file in one process conflict like two processes do, and the lock dies with the last
//! descriptor of that description (normally when the process exits or is killed).

use std::fs::File;
use std::io;

use crate::Mode;

#[cfg(unix)]
pub(crate) mod flock;
#[cfg(target_os = "linux")]
pub(crate) mod ofd;

#[cfg(target_os = "linux")]
use ofd as backend;

#[cfg(all(unix, not(target_os = "linux")))]
use flock as backend;

/// Outcome of a non-blocking attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Attempt {
    Acquired,
    Contended,
}

/// Takes the lock if no conflicting lock is held, without waiting.
pub(crate) fn try_lock(file: &File, mode: Mode) -> io::Result<Attempt> {
    backend::try_lock(file, mode)
}

/// Waits in the kernel until the lock is granted; the kernel wakes us when the holder lets go.
pub(crate) fn lock_blocking(file: &File, mode: Mode) -> io::Result<()> {
    backend::lock_blocking(file, mode)
}

/// Releases the lock held through `file`.
pub(crate) fn unlock(file: &File) -> io::Result<()> {
    backend::unlock(file)
}

/// Turns an exclusive lock held through `file` into a shared one.
pub(crate) fn downgrade(file: &File) -> io::Result<()> {
    backend::downgrade(file)
}

/// Retries a call that a signal handler interrupted; every other outcome is returned as is.
fn retry_on_interrupt<T>(mut call: impl FnMut() -> io::Result<T>) -> io::Result<T> {
    loop {
        match call() {
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

/// Whether an error from a non-blocking lock call means "somebody else holds it".
fn is_contention(error: &io::Error) -> bool {
    // POSIX allows EACCES or EAGAIN for a conflicting F_SETLK; flock uses EWOULDBLOCK (== EAGAIN).
    error.kind() == io::ErrorKind::WouldBlock
        || error.raw_os_error() == Some(rustix::io::Errno::ACCESS.raw_os_error())
        || error.raw_os_error() == Some(rustix::io::Errno::AGAIN.raw_os_error())
}

/// The contract every backend keeps, checked for each backend built on this platform (on
/// Linux both: `ofd` is used, `flock` is what other Unix systems use).
#[cfg(test)]
mod contract {
    /// Returns once the kernel lists a request blocked on `file`'s inode in `/proc/locks`
    /// (a `->` line): the explicit sign that a waiter sleeps in the kernel, instead of a
    /// guess at how long it takes to get there. Where there is no `/proc/locks` it returns
    /// at once; the ordering check of the caller still holds, it is only weaker.
    fn wait_until_the_kernel_queues_a_waiter(file: &std::fs::File) {
        let inode = rustix::fs::fstat(file).unwrap().st_ino;
        let entry = format!(":{inode} ");
        let started = std::time::Instant::now();
        loop {
            let Ok(locks) = std::fs::read_to_string("/proc/locks") else {
                return;
            };
            if locks
                .lines()
                .any(|line| line.contains("->") && line.contains(&entry))
            {
                return;
            }
            assert!(
                started.elapsed() < std::time::Duration::from_secs(60),
                "the waiter never blocked in the kernel"
            );
            std::thread::yield_now();
        }
    }

    macro_rules! backend_contract {
        ($backend:ident) => {
            mod $backend {
                use std::fs::File;

                use crate::Mode;
                use crate::sys::Attempt;
                use crate::sys::$backend::{downgrade, lock_blocking, try_lock, unlock};

                /// Two open file descriptions of one sidecar.
                fn two_opens() -> (tempfile::TempDir, File, File) {
                    let dir = tempfile::tempdir().unwrap();
                    let path = dir.path().join("sidecar.lock");
                    let open = || {
                        File::options()
                            .read(true)
                            .write(true)
                            .create(true)
                            .truncate(false)
                            .open(&path)
                            .unwrap()
                    };
                    let (first, second) = (open(), open());
                    (dir, first, second)
                }

                #[test]
                fn two_opens_in_one_process_conflict_until_unlocked() {
                    let (_dir, first, second) = two_opens();
                    assert_eq!(
                        try_lock(&first, Mode::Exclusive).unwrap(),
                        Attempt::Acquired
                    );
                    assert_eq!(try_lock(&second, Mode::Shared).unwrap(), Attempt::Contended);
                    assert_eq!(
                        try_lock(&second, Mode::Exclusive).unwrap(),
                        Attempt::Contended
                    );
                    unlock(&first).unwrap();
                    assert_eq!(
                        try_lock(&second, Mode::Exclusive).unwrap(),
                        Attempt::Acquired
                    );
                }

                #[test]
                fn shared_locks_coexist_and_downgrade_admits_readers_only() {
                    let (_dir, first, second) = two_opens();
                    assert_eq!(
                        try_lock(&first, Mode::Exclusive).unwrap(),
                        Attempt::Acquired
                    );
                    downgrade(&first).unwrap();
                    assert_eq!(
                        try_lock(&second, Mode::Exclusive).unwrap(),
                        Attempt::Contended
                    );
                    assert_eq!(try_lock(&second, Mode::Shared).unwrap(), Attempt::Acquired);
                }

                #[test]
                fn closing_the_description_releases() {
                    let (_dir, first, second) = two_opens();
                    assert_eq!(
                        try_lock(&first, Mode::Exclusive).unwrap(),
                        Attempt::Acquired
                    );
                    drop(first);
                    assert_eq!(
                        try_lock(&second, Mode::Exclusive).unwrap(),
                        Attempt::Acquired
                    );
                }

                #[test]
                fn blocking_lock_is_granted_when_the_holder_closes() {
                    use std::sync::Arc;
                    use std::sync::atomic::{AtomicBool, Ordering};

                    let (_dir, first, second) = two_opens();
                    assert_eq!(
                        try_lock(&first, Mode::Exclusive).unwrap(),
                        Attempt::Acquired
                    );
                    let released = Arc::new(AtomicBool::new(false));
                    let waiter = {
                        let released = Arc::clone(&released);
                        std::thread::spawn(move || {
                            lock_blocking(&second, Mode::Exclusive)
                                .map(|()| released.load(Ordering::SeqCst))
                        })
                    };
                    super::wait_until_the_kernel_queues_a_waiter(&first);
                    released.store(true, Ordering::SeqCst);
                    drop(first);
                    assert!(
                        waiter.join().unwrap().unwrap(),
                        "the blocking lock returned while held"
                    );
                }
            }
        };
    }

    #[cfg(unix)]
    backend_contract!(flock);
    #[cfg(target_os = "linux")]
    backend_contract!(ofd);
}
