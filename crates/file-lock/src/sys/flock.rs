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
