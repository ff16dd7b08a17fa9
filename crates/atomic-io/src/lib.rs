//! Crash-safe, durable, atomic file replacement.
//!
//! # Guarantee
//!
//! After [`write()`] (or [`Options::write`], [`Writer::commit`], [`Batch::commit`])
//! returns `Ok`, the file holds the complete new content, and keeps it through any later
//! process crash or power loss. Before it returns, and when it fails, the file holds the
//! complete old content (or does not exist, if it did not). Readers never see a partial,
//! torn or empty file: they need no lock.
//!
//! # How
//!
//! 1. Open the target's parent directory once; every later step is relative to that
//!    handle (`openat`, `linkat`, `renameat`, `unlinkat`).
//! 2. Create the temporary file *in that directory* (never in `$TMPDIR`, which may be
//!    another filesystem): on Linux an anonymous `O_TMPFILE` file, elsewhere (or when the
//!    filesystem refuses `O_TMPFILE`, or with [`TempStrategy::Named`]) an exclusively
//!    created file named `.<target>.<pid>.<random>.atomic-tmp` (see [`is_temp_name`]).
//!    The writer holds an exclusive `flock` on it until the commit ends (an anonymous
//!    file is locked before it ever has a name; a named one is checked, after locking,
//!    to still be the file its name refers to, else a fresh name is tried). `flock`, not
//!    `fcntl`: rustix's `fcntl_lock` takes process-owned POSIX record locks, which a
//!    cleanup in the writer's own process would "acquire" and which closing any other
//!    descriptor of the file would drop; `flock` locks belong to the open file, like
//!    Linux OFD locks.
//! 3. Write the content; copy the replaced file's mode and (where permitted) owner.
//! 4. Flush the temporary file (`fsync`; `F_FULLFSYNC` on Apple systems, see
//!    [Platforms](#platforms)).
//! 5. Give an anonymous temporary file its name (`linkat`), rename it over the target.
//! 6. Flush the directory, so the rename itself is durable.
//!
//! A failed flush is never retried (after a failed `fsync` the kernel may have dropped the
//! dirty data, and a retry would falsely succeed): the temporary file is removed and the
//! error says whether the target changed ([`Error::target_changed`]).
//!
//! [`Durability`] trades safety for speed: `Durable` (the default), `BestEffortDirFlush`
//! (a failed directory flush is reported in [`Committed::dir_flushed`], not fatal), and
//! `AtomicOnly` (no flushes: atomic for readers and process crashes, not power loss).
//!
//! New files get mode `0o666` minus the umask; a replaced file keeps its mode and, when
//! the process may `fchown`, its owner.
//!
//! # Symbolic links
//!
//! A path the caller names is followed to the file it really is: with
//! [`Symlinks::Follow`] (the default) the chain of links is walked (up to 40 hops, relative
//! links against their own directory) and the final target is replaced, in its own
//! directory, with that directory flushed; the links stay links. This is what editors do,
//! and it is the only choice that keeps a link and its target in agreement: replacing the
//! link would turn it into a regular file and silently leave the real file stale. A
//! dangling link creates its target. [`Symlinks::Replace`] replaces the link itself with
//! a regular file, for tools that manage links on purpose. Only the final component is
//! looked at: links among the parent directories are resolved by the kernel as usual.
//! [`Committed::path`] names the file that was really replaced.
//!
//! A writer that crashes with an anonymous temporary file leaves nothing behind; one
//! with a named temporary file leaves it, and [`cleanup_stale`] removes it later. Cleanup
//! removes a temporary file only when it can take its lock, so it never removes a live
//! writer's file, and it never touches names outside the pattern (an unrelated `x.tmp`
//! is safe).
//!
//! # Platforms
//!
//! - **Linux** (and Android): everything above, with anonymous `O_TMPFILE` temporary files.
//! - **macOS** and other Apple systems: named temporary files. There `fsync` only hands
//!   the data to the drive, whose cache may still lose it at a power cut; every flush
//!   (the temporary file and the directory) is therefore `fcntl(F_FULLFSYNC)`, which asks
//!   the drive to write its cache to the medium. A filesystem that refuses `F_FULLFSYNC`
//!   (some network and FUSE filesystems) gets a plain `fsync`, the strongest flush it
//!   offers. `F_FULLFSYNC` is slow (tens of milliseconds on some drives); use
//!   [`Durability::AtomicOnly`] where power-loss durability is not needed.
//! - **Other Unix systems** (the BSDs): named temporary files and `fsync`.
//! - **Windows** is not supported: the crate stops with a `compile_error!` rather than
//!   pretend (`ReplaceFileW` / `MoveFileExW` with write-through are not built or tested).
//!
//! # Limitations
//!
//! - **Not atomic across files.** A [`Batch`] replaces each file atomically and shares
//!   directory flushes, but a crash in the middle can leave some files new and some old.
//!   Multi-file transactions go through the commit [`journal`], which stages every file
//!   and writes one commit point, and needs the caller's locks and a recovery pass.
//! - **Network filesystems.** On NFS, rename is atomic on the server, but other clients
//!   may see the old file until their attribute cache expires, `flock` is emulated with
//!   byte-range locks (so cleanup's "is the writer alive" test depends on the lock
//!   manager), and `O_TMPFILE` is unsupported (the named fallback is used). SMB/CIFS and
//!   FUSE filesystems vary; [`Durability::BestEffortDirFlush`] and
//!   [`TempStrategy::Named`] exist for them.
//! - **Hard links** to the target keep the old content: replacement makes a new inode.
//! - **Extended attributes and ACLs** of the replaced file are not copied.
//! - Durability is only as good as the storage's honesty about flushes (disks with
//!   volatile write caches that ignore flush requests lose data anyway).
//!
//! # Example
//!
//! ```
//! use std::io::Write;
//! use atomic_io::{Durability, Options};
//!
//! let dir = tempfile::tempdir()?;
//! let path = dir.path().join("todo.sdn");
//!
//! // One call: durable by default.
//! atomic_io::write(&path, "todo |id, title|\n  1, write docs\n")?;
//!
//! // Streaming; dropping `writer` without `commit` would leave the file untouched.
//! let mut writer = Options::new().durability(Durability::Durable).open(&path)?;
//! writer.write_all(b"todo |id, title|\n")?;
//! writer.write_all(b"  1, write docs\n  2, ship\n")?;
//! let committed = writer.commit()?;
//! assert!(committed.dir_flushed);
//! assert_eq!(std::fs::read_to_string(&path)?, "todo |id, title|\n  1, write docs\n  2, ship\n");
//!
//! // At start-up, remove what crashed writers left (never anyone else's files).
//! let report = atomic_io::cleanup_stale(dir.path())?;
//! assert!(report.removed.is_empty());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![deny(missing_docs)]

/// The README's example, compiled and run as a doc test so that it cannot go stale.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

#[cfg(not(unix))]
compile_error!(
    "atomic-io supports Unix only: the Windows implementation (ReplaceFileW) is not built \
     or tested yet"
);

/// Declares each item for Unix only: on other systems the `compile_error!` above is then
/// the only message, not followed by one error per missing Unix API.
macro_rules! unix_only {
    ($($item:item)*) => { $(#[cfg(unix)] $item)* };
}

unix_only! {
    mod batch;
    mod cleanup;
    mod commit;
    mod error;
    pub mod journal;
    mod options;
    mod sys;
    mod target;
    mod temp;
    mod writer;

    use std::path::Path;

    pub use batch::Batch;
    pub use cleanup::{CleanupReport, cleanup_stale};
    pub use commit::{Committed, Durability};
    pub use error::{Error, Operation};
    pub use options::Options;
    pub use target::Symlinks;
    pub use temp::{TempStrategy, is_temp_name};
    pub use writer::Writer;
}

/// Replaces the file at `path` with `contents`, atomically and durably (the defaults of
/// [`Options`]).
///
/// On error the target is unchanged unless [`Error::target_changed`] says otherwise, and
/// no temporary file is left behind.
///
/// ```
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("tasks.sdn");
/// atomic_io::write(&path, b"tasks: []\n")?;
/// assert_eq!(std::fs::read(&path)?, b"tasks: []\n");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[cfg(unix)]
pub fn write(path: impl AsRef<Path>, contents: impl AsRef<[u8]>) -> Result<(), Error> {
    Options::new().write(path, contents).map(drop)
}
