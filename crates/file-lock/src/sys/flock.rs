//! BSD `flock` locks, the backend on Unix systems other than Linux.
//!
//! `flock` locks belong to the open file description like Linux OFD locks, but converting
//! an exclusive lock to a shared one is not guaranteed to be atomic: the BSDs and macOS
//! release the old lock before granting the new one, so a waiting writer may get in between.
//! This module also compiles on Linux so that its own tests run here.

use std::fs::File;
use std::io;

use rustix::fs::{FlockOperation, flock};

use super::{Attempt, is_contention, retry_on_interrupt};
use crate::Mode;

#[cfg_attr(target_os = "linux", allow(dead_code))]
pub(crate) fn try_lock(file: &File, mode: Mode) -> io::Result<Attempt> {
    let operation = match mode {
        Mode::Exclusive => FlockOperation::NonBlockingLockExclusive,
        Mode::Shared => FlockOperation::NonBlockingLockShared,
    };
    match retry_on_interrupt(|| Ok(flock(file, operation)?)) {
        Ok(()) => Ok(Attempt::Acquired),
        Err(error) if is_contention(&error) => Ok(Attempt::Contended),
        Err(error) => Err(error),
    }
}

#[cfg_attr(target_os = "linux", allow(dead_code))]
pub(crate) fn lock_blocking(file: &File, mode: Mode) -> io::Result<()> {
    let operation = match mode {
        Mode::Exclusive => FlockOperation::LockExclusive,
        Mode::Shared => FlockOperation::LockShared,
    };
    retry_on_interrupt(|| Ok(flock(file, operation)?))
}

#[cfg_attr(target_os = "linux", allow(dead_code))]
pub(crate) fn unlock(file: &File) -> io::Result<()> {
    retry_on_interrupt(|| Ok(flock(file, FlockOperation::Unlock)?))
}

#[cfg_attr(target_os = "linux", allow(dead_code))]
pub(crate) fn downgrade(file: &File) -> io::Result<()> {
    // Blocking, not `NonBlocking…`: where the conversion is not atomic, a writer that slipped
    // in would make a non-blocking call fail and leave us holding nothing at all.
    retry_on_interrupt(|| Ok(flock(file, FlockOperation::LockShared)?))
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn exclusive_excludes_and_unlock_releases() {
        let (_dir, first, second) = two_opens();
        assert_eq!(
            try_lock(&first, Mode::Exclusive).unwrap(),
            Attempt::Acquired
        );
        assert_eq!(try_lock(&second, Mode::Shared).unwrap(), Attempt::Contended);
        unlock(&first).unwrap();
        assert_eq!(
            try_lock(&second, Mode::Exclusive).unwrap(),
            Attempt::Acquired
        );
    }

    #[test]
    fn shared_coexist_and_downgrade_admits_readers() {
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
    fn blocking_lock_is_granted_when_holder_closes() {
        let (_dir, first, second) = two_opens();
        assert_eq!(
            try_lock(&first, Mode::Exclusive).unwrap(),
            Attempt::Acquired
        );
        let waiter = std::thread::spawn(move || lock_blocking(&second, Mode::Exclusive));
        std::thread::sleep(std::time::Duration::from_millis(50));
        assert!(!waiter.is_finished(), "blocking flock returned while held");
        drop(first);
        waiter.join().unwrap().unwrap();
    }
}
