//! The sidecar descriptor a `FileLock` keeps between locks changes nothing anybody can
//! observe: guards never share a description, a released guard leaves nothing locked, and a
//! sidecar deleted behind our back is recreated rather than locked in limbo.
//!
//! The independent observer is a raw open file description of the sidecar locked with the
//! same kernel lock family `FileLock` uses (OFD locks on Linux), so the in-process table
//! cannot mask what the kernel sees.

#![cfg(target_os = "linux")]

use std::fs::File;
use std::path::Path;
use std::thread;

use file_lock::{Error, FileLock};
use nix::fcntl::{FcntlArg, fcntl};
use nix::libc;

/// Whether a description of our own could take the exclusive lock right now (it is
/// released again at once).
fn kernel_lock_is_free(sidecar: &Path) -> bool {
    let file = File::options()
        .read(true)
        .write(true)
        .open(sidecar)
        .unwrap();
    let request = |lock_type: libc::c_int| libc::flock {
        l_type: lock_type as libc::c_short,
        l_whence: libc::SEEK_SET as libc::c_short,
        l_start: 0,
        l_len: 0,
        l_pid: 0,
    };
    match fcntl(&file, FcntlArg::F_OFD_SETLK(&request(libc::F_WRLCK))) {
        Ok(_) => {
            fcntl(&file, FcntlArg::F_OFD_SETLK(&request(libc::F_UNLCK))).unwrap();
            true
        }
        Err(nix::errno::Errno::EAGAIN | nix::errno::Errno::EACCES) => false,
        Err(other) => panic!("unexpected error from F_OFD_SETLK: {other}"),
    }
}

#[test]
fn released_guards_leave_the_cached_descriptor_unlocked() {
    let dir = tempfile::tempdir().unwrap();
    let lock = FileLock::new(dir.path().join("data.sdn"));
    for _ in 0..3 {
        let guard = lock.exclusive().unwrap();
        assert!(!kernel_lock_is_free(lock.sidecar_path()));
        guard.unlock().unwrap();
        assert!(kernel_lock_is_free(lock.sidecar_path()));
        let mut guard = lock.exclusive().unwrap();
        guard.downgrade().unwrap();
        assert!(!kernel_lock_is_free(lock.sidecar_path()));
        drop(guard);
        assert!(kernel_lock_is_free(lock.sidecar_path()));
    }
}

#[test]
fn concurrent_guards_of_one_handle_hold_separate_descriptions() {
    // If two shared guards shared one description, the first release would unlock the
    // description and leave the second guard holding nothing in the kernel.
    let dir = tempfile::tempdir().unwrap();
    let lock = FileLock::new(dir.path().join("data.sdn"));
    let first = lock.shared().unwrap();
    let clone = lock.clone();
    let (second, clone) = thread::spawn(move || (clone.shared().unwrap(), clone))
        .join()
        .unwrap();
    first.unlock().unwrap();
    assert!(
        !kernel_lock_is_free(lock.sidecar_path()),
        "releasing one guard released the other's kernel lock"
    );
    // The second guard still excludes writers in other threads of this process, too.
    let writer = lock.clone();
    let refused = thread::spawn(move || writer.try_exclusive().map(drop))
        .join()
        .unwrap();
    assert!(
        matches!(refused, Err(Error::WouldBlock { .. })),
        "{refused:?}"
    );
    drop(second);
    assert!(kernel_lock_is_free(clone.sidecar_path()));
}

#[test]
fn a_deleted_sidecar_is_recreated_not_locked_in_limbo() {
    let dir = tempfile::tempdir().unwrap();
    let lock = FileLock::new(dir.path().join("data.sdn"));
    drop(lock.exclusive().unwrap()); // leaves a cached descriptor behind
    std::fs::remove_file(lock.sidecar_path()).unwrap();

    let guard = lock.exclusive().unwrap();
    assert!(
        lock.sidecar_path().is_file(),
        "the lock was taken on the deleted inode"
    );
    assert!(
        !kernel_lock_is_free(lock.sidecar_path()),
        "the sidecar other processes open now is not locked"
    );
    let other = FileLock::new(dir.path().join("data.sdn"));
    let refused = thread::spawn(move || other.try_exclusive().map(drop))
        .join()
        .unwrap();
    assert!(
        matches!(refused, Err(Error::WouldBlock { .. })),
        "{refused:?}"
    );
    drop(guard);
}
