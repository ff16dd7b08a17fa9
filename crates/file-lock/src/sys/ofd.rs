//! Linux open-file-description locks (`F_OFD_SETLK` / `F_OFD_SETLKW`).
//!
//! Unlike classic `F_SETLK` locks they belong to the open file description, so closing some
//! other descriptor of the same file does not drop them and two opens in one process
//! conflict. Converting a write lock to a read lock is a single atomic kernel operation.
//!
//! `rustix::fs::fcntl_lock` is not usable here: it issues the process-associated
//! `F_SETLK`/`F_SETLKW` commands (checked in rustix 1.1 for both of its backends).

use std::fs::File;
use std::io;

use nix::fcntl::{FcntlArg, fcntl};
use nix::libc;

use super::{Attempt, is_contention, retry_on_interrupt};
use crate::Mode;

/// A whole-file lock request: `l_len == 0` covers the file however far it grows.
fn whole_file(lock_type: libc::c_int) -> libc::flock {
    libc::flock {
        l_type: lock_type as libc::c_short,
        l_whence: libc::SEEK_SET as libc::c_short,
        l_start: 0,
        l_len: 0,
        // Must be zero for OFD requests.
        l_pid: 0,
    }
}

fn lock_type(mode: Mode) -> libc::c_int {
    match mode {
        Mode::Exclusive => libc::F_WRLCK,
        Mode::Shared => libc::F_RDLCK,
    }
}

pub(crate) fn try_lock(file: &File, mode: Mode) -> io::Result<Attempt> {
    let request = whole_file(lock_type(mode));
    match retry_on_interrupt(|| Ok(fcntl(file, FcntlArg::F_OFD_SETLK(&request))?)) {
        Ok(_) => Ok(Attempt::Acquired),
        Err(error) if is_contention(&error) => Ok(Attempt::Contended),
        Err(error) => Err(error),
    }
}

pub(crate) fn lock_blocking(file: &File, mode: Mode) -> io::Result<()> {
    let request = whole_file(lock_type(mode));
    retry_on_interrupt(|| Ok(fcntl(file, FcntlArg::F_OFD_SETLKW(&request))?)).map(drop)
}

pub(crate) fn unlock(file: &File) -> io::Result<()> {
    let request = whole_file(libc::F_UNLCK);
    retry_on_interrupt(|| Ok(fcntl(file, FcntlArg::F_OFD_SETLK(&request))?)).map(drop)
}

pub(crate) fn downgrade(file: &File) -> io::Result<()> {
    // Replacing our own write lock by a read lock cannot conflict with anyone, and the kernel
    // swaps the type under its lock-list spinlock: no writer can get in between.
    let request = whole_file(libc::F_RDLCK);
    retry_on_interrupt(|| Ok(fcntl(file, FcntlArg::F_OFD_SETLK(&request))?)).map(drop)
}
