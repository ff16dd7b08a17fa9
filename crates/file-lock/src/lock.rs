//! The lock handle ([`FileLock`]) and the held lock ([`LockGuard`]): the in-process table,
//! the kernel lock and the holder record, in that order.

use std::ffi::OsString;
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread::{self, ThreadId};
use std::time::{Duration, Instant, SystemTime};

use crate::in_process::{Key, Refusal};
use crate::sidecar::{OpenSidecar, Slot};
use crate::sys::Attempt;
use crate::{Error, Holder, Mode, Operation, deadline, holder, process_table, read_holder, sys};

/// How long [`FileLock::lock`] waits for a conflicting holder to let go.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub enum Wait {
    /// Do not wait: fail with [`Error::WouldBlock`] if the lock is held.
    Try,
    /// Wait as long as it takes.
    Forever,
    /// Wait until this instant, then fail with [`Error::Timeout`]. A deadline already
    /// passed still makes one attempt.
    Until(Instant),
}

impl Wait {
    /// Waits at most `timeout` from now ([`Wait::Forever`] if the deadline would overflow).
    ///
    /// ```
    /// # use std::time::Duration;
    /// assert!(matches!(file_lock::Wait::timeout(Duration::from_secs(1)), file_lock::Wait::Until(_)));
    /// ```
    pub fn timeout(timeout: Duration) -> Wait {
        Instant::now()
            .checked_add(timeout)
            .map_or(Wait::Forever, Wait::Until)
    }
}

/// What a handle, its clones and their guards share.
#[derive(Debug)]
struct Paths {
    path: PathBuf,
    sidecar: PathBuf,
    /// The idle sidecar descriptor kept between locks.
    idle: Slot,
}

/// A handle on the lock for one path. Creating it does no I/O; the first lock call opens
/// the sidecar `<path>.lock` (creating it if needed) and returns a [`LockGuard`].
///
/// The handle keeps that descriptor open, unlocked, between locks, so that locking again
/// costs little more than the kernel lock call itself; it is closed when the last clone of
/// the handle and the last of its guards are gone. A lock call made while another guard of
/// the same handle is alive opens a descriptor of its own: guards never share one.
///
/// Handles are cheap to clone (clones share the cached descriptor); every handle on the
/// same sidecar (through any path or hard link, in any thread or process) competes for the
/// same lock.
#[derive(Clone, Debug)]
pub struct FileLock {
    paths: Arc<Paths>,
}

/// The sidecar of `path`: `.lock` appended to its file name.
pub(crate) fn sidecar_path_for(path: &Path) -> PathBuf {
    let mut sidecar = OsString::from(path.as_os_str());
    sidecar.push(".lock");
    PathBuf::from(sidecar)
}

impl FileLock {
    /// A handle on the lock for `path` (`path` itself need not exist; it is never opened).
    pub fn new(path: impl AsRef<Path>) -> Self {
        let path = path.as_ref().to_path_buf();
        let sidecar = sidecar_path_for(&path);
        FileLock {
            paths: Arc::new(Paths {
                path,
                sidecar,
                idle: Slot::default(),
            }),
        }
    }

    /// The path this lock protects, as given to [`FileLock::new`].
    pub fn path(&self) -> &Path {
        &self.paths.path
    }

    /// The sidecar file the kernel lock is taken on: [`path`](Self::path) + `.lock`.
    pub fn sidecar_path(&self) -> &Path {
        &self.paths.sidecar
    }

    /// Takes the lock in `mode`, waiting as `wait` says.
    ///
    /// Fails with [`Error::WouldBlock`] ([`Wait::Try`]) or [`Error::Timeout`]
    /// ([`Wait::Until`]) while another handle holds a conflicting lock,
    /// [`Error::AlreadyHeldByThisThread`] if the calling thread already holds a lock on
    /// this sidecar (whatever `wait` is), and [`Error::Io`] if the sidecar cannot be opened,
    /// locked or written.
    ///
    /// ```
    /// use file_lock::{FileLock, Mode, Wait};
    /// let dir = tempfile::tempdir()?;
    /// let lock = FileLock::new(dir.path().join("catalogue.sdn"));
    /// let reader = lock.lock(Mode::Shared, Wait::timeout(std::time::Duration::from_secs(5)))?;
    /// assert_eq!(reader.mode(), Mode::Shared);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn lock(&self, mode: Mode, wait: Wait) -> Result<LockGuard, Error> {
        let started = Instant::now();
        // One `getpid` per lock: it tells a forked child not to use its parent's descriptor.
        let pid = std::process::id();
        let sidecar = self
            .paths
            .idle
            .take_or_open(&self.paths.sidecar, &self.paths.path, pid)
            .map_err(self.io_error(Operation::OpenLockFile))?;
        let key = sidecar.facts.key;
        let thread = thread::current().id();

        let (deadline, try_only) = match wait {
            Wait::Try => (None, true),
            Wait::Forever => (None, false),
            Wait::Until(deadline) => (Some(deadline), false),
        };
        if let Err(refusal) = process_table::table().acquire(key, mode, thread, deadline, try_only) {
            let error = match refusal {
                Refusal::AlreadyHeldByThisThread => Error::AlreadyHeldByThisThread {
                    path: self.paths.path.clone(),
                    mode,
                },
                Refusal::WouldBlock => self.would_block(mode, Holder::read_from(&sidecar.file)),
                Refusal::Timeout => self.timed_out(mode, started, Holder::read_from(&sidecar.file)),
            };
            // Never locked through: it can serve the next call.
            self.paths.idle.give_back(sidecar);
            return Err(error);
        }
        // From here on, dropping `registration` (on any error) withdraws us from the table.
        let registration = Registration { key, mode, thread };

        // On an unexpected error the descriptor is closed rather than cached: it may be bad.
        let attempt = sys::try_lock(&sidecar.file, mode).map_err(self.io_error(Operation::Lock))?;
        let mut sidecar = match attempt {
            Attempt::Acquired => sidecar,
            Attempt::Contended => match wait {
                Wait::Try => {
                    let error = self.would_block(mode, Holder::read_from(&sidecar.file));
                    self.paths.idle.give_back(sidecar);
                    return Err(error);
                }
                Wait::Forever => {
                    sys::lock_blocking(&sidecar.file, mode)
                        .map_err(self.io_error(Operation::WaitForLock))?;
                    sidecar
                }
                Wait::Until(deadline) if deadline <= Instant::now() => {
                    let error = self.timed_out(mode, started, Holder::read_from(&sidecar.file));
                    self.paths.idle.give_back(sidecar);
                    return Err(error);
                }
                Wait::Until(deadline) => {
                    // The helper thread waits on the descriptor; a timed-out helper keeps it.
                    let OpenSidecar { file, facts } = sidecar;
                    match deadline::lock_until(file, mode, deadline)
                        .map_err(self.io_error(Operation::WaitForLock))?
                    {
                        deadline::Outcome::Acquired(file) => OpenSidecar { file, facts },
                        deadline::Outcome::TimedOut => {
                            // A fresh description to read through: closing it afterwards
                            // cannot disturb anybody's OFD or flock lock.
                            let holder = File::open(&self.paths.sidecar)
                                .ok()
                                .and_then(|file| Holder::read_from(&file));
                            return Err(self.timed_out(mode, started, holder));
                        }
                    }
                }
            },
        };

        let acquired_at = SystemTime::now();
        // On error `sidecar` is closed, which releases the kernel lock.
        holder::write_record(
            &sidecar.file,
            pid,
            mode,
            acquired_at,
            sidecar.facts.needs_trim,
        )
        .map_err(self.io_error(Operation::RecordHolder))?;
        sidecar.facts.needs_trim = false;
        Ok(LockGuard {
            sidecar: Some(sidecar),
            registration,
            acquired_at,
            paths: Arc::clone(&self.paths),
        })
    }

    /// Takes the exclusive lock, waiting as long as it takes.
    pub fn exclusive(&self) -> Result<LockGuard, Error> {
        self.lock(Mode::Exclusive, Wait::Forever)
    }

    /// Takes the exclusive lock if nobody holds a lock now, else fails with
    /// [`Error::WouldBlock`].
    pub fn try_exclusive(&self) -> Result<LockGuard, Error> {
        self.lock(Mode::Exclusive, Wait::Try)
    }

    /// Takes the exclusive lock, waiting at most `timeout`, else fails with
    /// [`Error::Timeout`].
    pub fn exclusive_timeout(&self, timeout: Duration) -> Result<LockGuard, Error> {
        self.lock(Mode::Exclusive, Wait::timeout(timeout))
    }

    /// Takes a shared lock, waiting as long as it takes.
    pub fn shared(&self) -> Result<LockGuard, Error> {
        self.lock(Mode::Shared, Wait::Forever)
    }

    /// Takes a shared lock if nobody holds the exclusive lock now, else fails with
    /// [`Error::WouldBlock`].
    pub fn try_shared(&self) -> Result<LockGuard, Error> {
        self.lock(Mode::Shared, Wait::Try)
    }

    /// Takes a shared lock, waiting at most `timeout`, else fails with [`Error::Timeout`].
    pub fn shared_timeout(&self, timeout: Duration) -> Result<LockGuard, Error> {
        self.lock(Mode::Shared, Wait::timeout(timeout))
    }

    /// What the most recent holder wrote into the sidecar; see [`read_holder`].
    pub fn holder(&self) -> Result<Option<Holder>, Error> {
        read_holder(&self.paths.path)
    }

    fn io_error(&self, operation: Operation) -> impl FnOnce(io::Error) -> Error + '_ {
        move |source| Error::Io {
            operation,
            path: self.paths.sidecar.clone(),
            source,
        }
    }

    fn would_block(&self, mode: Mode, holder: Option<Holder>) -> Error {
        Error::WouldBlock {
            path: self.paths.path.clone(),
            mode,
            holder,
        }
    }

    fn timed_out(&self, mode: Mode, started: Instant, holder: Option<Holder>) -> Error {
        Error::Timeout {
            path: self.paths.path.clone(),
            mode,
            waited: started.elapsed(),
            holder,
        }
    }
}

/// This process's entry in the in-process table; withdrawn on drop.
#[derive(Debug)]
struct Registration {
    key: Key,
    mode: Mode,
    /// The thread that acquired the lock (or took it over with `transfer_to_current_thread`).
    thread: ThreadId,
}

impl Drop for Registration {
    fn drop(&mut self) {
        process_table::table().release(self.key, self.mode, self.thread);
    }
}

/// A held lock. Dropping it releases the lock (errors on that path are ignored; use
/// [`unlock`](Self::unlock) to see them).
///
/// Releasing unlocks the sidecar descriptor explicitly and hands it back to its
/// [`FileLock`] for the next lock call; if the unlock call fails, the descriptor is closed
/// instead, which releases the lock too.
///
/// The guard is `Send` and `Sync`: it may be moved to, and released from, another thread.
/// The same-thread check ([`Error::AlreadyHeldByThisThread`]) remembers the thread that
/// *acquired* the guard, not the one that has it now. After a move, the acquiring thread
/// still gets that error if it asks for the lock again (rather than waiting for a guard it
/// gave away), while the receiving thread is treated as any other thread: asking again
/// with [`Wait::Forever`] from there would wait for itself. Call
/// [`transfer_to_current_thread`](Self::transfer_to_current_thread) from the receiving
/// thread to move the check along with the guard.
#[derive(Debug)]
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct LockGuard {
    /// `None` once released. `Drop` releases the kernel lock before the fields drop, so
    /// before `registration` wakes this process's waiting threads.
    sidecar: Option<OpenSidecar>,
    registration: Registration,
    acquired_at: SystemTime,
    paths: Arc<Paths>,
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        // Errors are for `unlock` to report; the lock is released either way.
        let _ = self.release();
    }
}

impl LockGuard {
    /// The mode the lock is held in now.
    pub fn mode(&self) -> Mode {
        self.registration.mode
    }

    /// The path this lock protects, as given to [`FileLock::new`].
    pub fn path(&self) -> &Path {
        &self.paths.path
    }

    /// The sidecar file the kernel lock is held on.
    pub fn sidecar_path(&self) -> &Path {
        &self.paths.sidecar
    }

    /// Releases the lock now, reporting a failure of the kernel unlock call. The lock is
    /// released in any case: after a failed unlock call the guard closes its file
    /// description, which releases it too.
    pub fn unlock(mut self) -> Result<(), Error> {
        self.release()
            .map_err(|source| self.io_error(Operation::Unlock, source))
    }

    /// Unlocks the sidecar and caches the now idle descriptor in the handle's slot, or closes
    /// it if the unlock call failed. Only the first call does anything.
    fn release(&mut self) -> io::Result<()> {
        let Some(sidecar) = self.sidecar.take() else {
            return Ok(());
        };
        // Explicitly, not by closing: the descriptor is reused, and a cached descriptor must
        // hold no lock. On failure `sidecar` drops here, and closing it releases the lock.
        sys::unlock(&sidecar.file)?;
        self.paths.idle.give_back(sidecar);
        Ok(())
    }

    /// Turns an exclusive lock into a shared one; a no-op on a shared lock.
    ///
    /// On Linux this is one kernel operation: readers may enter at once, writers never get in
    /// between. (With `flock` on other Unix systems the kernel does not promise that.)
    /// Threads of this process waiting for a shared lock are woken.
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let lock = file_lock::FileLock::new(dir.path().join("tasks.sdn"));
    /// let mut guard = lock.exclusive()?;
    /// guard.downgrade()?;
    /// let reader = std::thread::spawn(move || lock.try_shared().map(drop)).join().unwrap();
    /// assert!(reader.is_ok());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn downgrade(&mut self) -> Result<(), Error> {
        if self.registration.mode == Mode::Shared {
            return Ok(());
        }
        let Some(sidecar) = self.sidecar.as_ref() else {
            return Ok(());
        };
        sys::downgrade(&sidecar.file)
            .map_err(|source| self.io_error(Operation::Downgrade, source))?;
        process_table::table().downgrade(self.registration.key, self.registration.thread);
        self.registration.mode = Mode::Shared;
        holder::write_record(
            &sidecar.file,
            std::process::id(),
            Mode::Shared,
            self.acquired_at,
            false,
        )
        .map_err(|source| self.io_error(Operation::RecordHolder, source))
    }

    /// Makes the calling thread the one the same-thread check associates with this guard
    /// (see the type's documentation). Fails with [`Error::AlreadyHeldByThisThread`] if the
    /// calling thread already holds another guard on the same lock.
    pub fn transfer_to_current_thread(&mut self) -> Result<(), Error> {
        let current = thread::current().id();
        let registration = &mut self.registration;
        if process_table::table().transfer(
            registration.key,
            registration.mode,
            registration.thread,
            current,
        ) {
            registration.thread = current;
            Ok(())
        } else {
            Err(Error::AlreadyHeldByThisThread {
                path: self.paths.path.clone(),
                mode: registration.mode,
            })
        }
    }

    fn io_error(&self, operation: Operation, source: io::Error) -> Error {
        Error::Io {
            operation,
            path: self.paths.sidecar.clone(),
            source,
        }
    }
}
