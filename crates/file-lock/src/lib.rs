//! Inter-process exclusive and shared locks on a path, through a sidecar lock file.
//!
//! [`FileLock::new("todo.sdn")`](FileLock::new) locks `todo.sdn.lock`, never `todo.sdn`
//! itself: data files are replaced by rename on every save, so a lock on their inode would
//! protect nothing. The sidecar is created on first use and never deleted or renamed.
//!
//! # Guarantees
//!
//! - **One writer at a time**, across processes *and* across threads of one process: an
//!   [`Exclusive`](Mode::Exclusive) lock excludes every other lock on the same sidecar;
//!   [`Shared`](Mode::Shared) locks coexist with each other and exclude writers.
//! - **Waits hand off at once.** A waiting caller blocks in the kernel's own lock call (or,
//!   between threads of one process, on a condition variable); it is woken the moment the
//!   holder releases. Nothing polls or sleeps.
//! - **Deadlines are met**: [`Wait::Until`] returns [`Error::Timeout`] no earlier than the
//!   deadline and normally within a millisecond of it.
//! - **No stale locks.** The locks are kernel locks that die with the process holding them:
//!   a holder killed with `SIGKILL` frees the lock immediately. Nothing is inferred from
//!   PIDs or file contents.
//! - **Two handles in one process behave like two processes.** An in-process table keyed by
//!   the sidecar's device and inode makes threads queue instead of silently sharing a lock or
//!   deadlocking; a thread that asks again for a lock it holds gets
//!   [`Error::AlreadyHeldByThisThread`] instead of waiting for itself forever.
//! - **Downgrade without a gap** (Linux): [`LockGuard::downgrade`] turns an exclusive lock
//!   into a shared one in one kernel operation; no writer can get in between.
//! - **Diagnostics**: the holder writes its PID, host, acquire time and mode into the
//!   sidecar; [`Error::WouldBlock`] and [`Error::Timeout`] name the path, the mode and that
//!   holder, and [`read_holder`] reads it.
//!
//! # How
//!
//! On Linux the kernel locks are open-file-description locks (`F_OFD_SETLK`/`F_OFD_SETLKW`)
//! on the whole sidecar; on other Unix systems, `flock`. Both belong to the open file
//! description, not to the process, so every guard owns a description of its own. A wait
//! with a deadline runs the blocking kernel call on a short-lived helper thread and waits
//! for its answer with a timeout.
//!
//! **The sidecar descriptor is cached.** Opening the sidecar costs several times more than
//! locking it, so a [`FileLock`] keeps the descriptor its last guard used open, *unlocked*,
//! and takes it for the next lock call: an uncontended lock + unlock pair is then the lock
//! call, one `pwrite` of the holder record, the unlock call and two cheap checks (about
//! 3 µs on a Linux VM where a bare `F_OFD_SETLK` pair costs 1.1 µs; run
//! `cargo run --release -p recfiles-file-lock --example lock_cost` to measure yours). The cache never
//! weakens the guarantees above:
//!
//! - a lock call made while another guard of the same handle is alive opens a descriptor of
//!   its own, so two live guards never share a description, and two handles never do;
//! - a guard unlocks explicitly before it gives the descriptor back (if that fails, it
//!   closes the descriptor, which releases the lock);
//! - each lock call checks (`getpid`) that the cached descriptor was opened by the calling
//!   process, so a forked child never locks through its parent's description;
//! - each lock call checks (the link count, by `statx`) that the cached descriptor's file
//!   still has a name, so a sidecar somebody deleted or replaced is reopened, as it would
//!   have been without the cache.
//!
//! The descriptor is closed when the handle (with all its clones) and its guards are gone.
//!
//! # Limitations
//!
//! - **Windows** is not supported yet (a `LockFileEx` backend cannot be built or tested
//!   here); the crate does not compile on non-Unix targets.
//! - **Network file systems**: locks are only as good as the file system's lock support.
//!   NFS maps them to its own byte-range locks (NFSv4 or NLM), which work between clients
//!   but may be lost or revoked when the server or network fails; some FUSE and SMB mounts
//!   ignore them entirely. Keep lock files on local storage where it matters.
//! - **An abandoned deadline wait lingers**: when [`Wait::Until`] times out, its helper
//!   thread stays blocked in the kernel until the lock is next free, then takes it and drops
//!   it at once (a brief blip before the next waiter gets it). Nothing else is affected,
//!   but many timed-out waits on a lock that is held for a long time leave as many idle
//!   threads (64 KiB of stack each).
//! - **Lock files are never deleted**, and must not be deleted by anybody else either.
//!   Deleting a sidecar while somebody holds or waits on it breaks mutual exclusion with
//!   them (lock calls made afterwards recreate it and exclude each other again); each locked
//!   path leaves one small `.lock` file behind. Renaming the sidecar *away* (so that it
//!   keeps a name elsewhere) is not noticed by handles that cached its descriptor.
//! - **One descriptor per idle handle**: a [`FileLock`] keeps its sidecar open between
//!   locks, so a program holding handles on thousands of paths holds as many descriptors.
//! - **Other Unix systems**: `flock` does not promise an atomic downgrade; on the BSDs and
//!   macOS a waiting writer may get in during [`LockGuard::downgrade`].
//! - **`fork`**: a child forked while a guard is alive shares the guard's open file
//!   description, so the lock stays held until the child also closes it or exits (the
//!   descriptor is close-on-exec, so `exec`ing children do not keep it). Likewise a child
//!   forked *without* `exec` keeps copies of its parent's cached idle descriptors: a lock
//!   the parent later takes through one is released by the parent's unlock or drop as
//!   usual, but if the parent is killed while holding it, it lasts until that child exits
//!   too. The child itself never uses those copies to lock.
//! - **Shared holders' diagnostics**: all shared holders write the same record; it names
//!   the last one that took (or downgraded to) the lock.
//! - **Same-thread detection follows the acquiring thread**; see [`LockGuard`] for what
//!   happens when a guard moves to another thread.
//!
//! # Example
//!
//! ```
//! use std::time::Duration;
//! use file_lock::{Error, FileLock};
//!
//! let dir = tempfile::tempdir()?;
//! let data = dir.path().join("todo.sdn");
//! let lock = FileLock::new(&data);
//! assert_eq!(lock.sidecar_path(), dir.path().join("todo.sdn.lock"));
//!
//! let guard = lock.exclusive()?; // waits as long as it takes
//! // ... read, modify and write `todo.sdn` here ...
//!
//! // Any other handle — in another process, or another thread here — has to wait.
//! let other = FileLock::new(&data);
//! let waited = std::thread::spawn(move || other.exclusive_timeout(Duration::from_millis(20)));
//! match waited.join().unwrap() {
//!     Err(Error::Timeout { holder: Some(holder), .. }) => {
//!         assert_eq!(holder.pid, std::process::id())
//!     }
//!     other => panic!("expected a timeout, got {other:?}"),
//! }
//!
//! guard.unlock()?; // or just drop the guard
//! assert!(lock.try_exclusive().is_ok());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![deny(missing_docs)]

/// The README's example, compiled and run as a doc test so that it cannot go stale.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

#[cfg(not(unix))]
compile_error!(
    "file-lock supports Unix only: Windows (LockFileEx) is not implemented yet because it \
     cannot be built or tested here"
);

/// Declares each item for Unix only: on other systems the `compile_error!` above is then
/// the only message, not followed by one error per missing Unix API.
macro_rules! unix_only {
    ($($item:item)*) => { $(#[cfg(unix)] $item)* };
}

unix_only! {
    mod deadline;
    mod error;
    mod holder;
    mod in_process;
    mod lock;
    mod mode;
    mod process_table;
    mod sidecar;
    mod sync_prims;
    mod sys;

    pub use error::{Error, Operation};
    pub use holder::{Holder, read_holder};
    use lock::sidecar_path_for;
    pub use lock::{FileLock, LockGuard, Wait};
    pub use mode::Mode;
}
