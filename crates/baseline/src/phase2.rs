//! Phase 2 as planned: lock files created with exclusive-create and polled with sleeps.
//!
//! [`LockFile::acquire`] creates `<file>.lock` with `O_CREAT | O_EXCL`. While it exists,
//! the caller sleeps and retries: 10 ms between attempts for the first 0.5 s, then 20, 40,
//! 80 and 160 ms (the 500 ms cap of the original is never reached), until a 10 s deadline.
//! A lock file older than 60 s is deleted as stale and creation is retried. Releasing
//! deletes the lock file.
//!
//! [`load_phase2`] takes the lock, reads and releases; [`save_phase2`] takes the lock
//! again, writes the phase-1 way and releases. Faithful defects: the lock is not held from
//! load to save, so two read-modify-write cycles still lose updates; polling adds 10 to
//! 160 ms per hand-off; a crashed holder blocks everyone for 60 s; an operation longer
//! than 60 s has its lock stolen; the stale-lock delete-then-create races (two waiters can
//! both delete and both create).

use std::ffi::OsString;
use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant, SystemTime};

/// The retry schedule of [`LockFile::acquire_with`]; [`LockPolicy::BASELINE`] is the
/// original one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockPolicy {
    /// Sleep between attempts during the first phase.
    pub initial_delay: Duration,
    /// How long the first phase lasts.
    pub initial_phase: Duration,
    /// First sleep after the first phase; each later sleep doubles it.
    pub backoff_start: Duration,
    /// The doubling stops here (160 ms in the original).
    pub backoff_last: Duration,
    /// The declared maximum sleep (500 ms in the original; never reached).
    pub max_delay: Duration,
    /// Give up after this long with [`io::ErrorKind::TimedOut`].
    pub deadline: Duration,
    /// A lock file whose modification time is older than this is deleted as stale.
    pub stale_after: Duration,
}

impl LockPolicy {
    /// The schedule of the original design: 10 ms for 0.5 s, then 20, 40, 80, 160 ms,
    /// a 10 s deadline and a 60 s staleness limit.
    pub const BASELINE: LockPolicy = LockPolicy {
        initial_delay: Duration::from_millis(10),
        initial_phase: Duration::from_millis(500),
        backoff_start: Duration::from_millis(20),
        backoff_last: Duration::from_millis(160),
        max_delay: Duration::from_millis(500),
        deadline: Duration::from_secs(10),
        stale_after: Duration::from_secs(60),
    };

    /// The sleep before the next attempt, given the time already waited and the previous
    /// backoff sleep (`None` while still in the first phase).
    ///
    /// ```
    /// use std::time::Duration;
    /// use baseline::phase2::LockPolicy;
    /// let p = LockPolicy::BASELINE;
    /// let ms = Duration::from_millis;
    /// assert_eq!(p.next_delay(ms(100), None), ms(10));
    /// assert_eq!(p.next_delay(ms(600), None), ms(20));
    /// assert_eq!(p.next_delay(ms(700), Some(ms(20))), ms(40));
    /// assert_eq!(p.next_delay(ms(900), Some(ms(160))), ms(160));
    /// ```
    pub fn next_delay(&self, waited: Duration, previous_backoff: Option<Duration>) -> Duration {
        if waited < self.initial_phase {
            return self.initial_delay;
        }
        let next = match previous_backoff {
            None => self.backoff_start,
            Some(previous) => (previous * 2).min(self.backoff_last),
        };
        next.min(self.max_delay)
    }
}

impl Default for LockPolicy {
    fn default() -> Self {
        LockPolicy::BASELINE
    }
}

/// The lock file path the baseline uses for `path`: the path with `.lock` appended.
///
/// ```
/// use std::path::Path;
/// assert_eq!(
///     baseline::phase2::lock_path(Path::new("todo_db.sdn")),
///     Path::new("todo_db.sdn.lock")
/// );
/// ```
pub fn lock_path(path: &Path) -> PathBuf {
    let mut name = OsString::from(path.as_os_str());
    name.push(".lock");
    PathBuf::from(name)
}

/// A held baseline lock: the existence of `<file>.lock`. Dropping it deletes the file.
#[derive(Debug)]
pub struct LockFile {
    lock_path: PathBuf,
    released: bool,
}

impl LockFile {
    /// Acquires the lock for `path` with the original schedule ([`LockPolicy::BASELINE`]).
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("db.sdn");
    /// let lock = baseline::phase2::LockFile::acquire(&path)?;
    /// assert!(dir.path().join("db.sdn.lock").exists());
    /// lock.release()?;
    /// assert!(!dir.path().join("db.sdn.lock").exists());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn acquire(path: &Path) -> io::Result<LockFile> {
        LockFile::acquire_with(path, &LockPolicy::BASELINE)
    }

    /// Acquires the lock for `path` with a given schedule (tests shorten the deadline).
    ///
    /// Fails with [`io::ErrorKind::TimedOut`] when the deadline passes.
    pub fn acquire_with(path: &Path, policy: &LockPolicy) -> io::Result<LockFile> {
        let lock_path = lock_path(path);
        let started = Instant::now();
        let mut backoff = None;
        loop {
            match create_exclusive(&lock_path) {
                Ok(()) => {
                    return Ok(LockFile {
                        lock_path,
                        released: false,
                    });
                }
                Err(err) if err.kind() == io::ErrorKind::AlreadyExists => {}
                Err(err) => return Err(err),
            }
            if is_stale(&lock_path, policy.stale_after) {
                // Delete-then-create, with the race of the original: another waiter may
                // have deleted the stale file and created its own in between, and we now
                // delete that fresh lock.
                match fs::remove_file(&lock_path) {
                    Ok(()) => continue,
                    Err(err) if err.kind() == io::ErrorKind::NotFound => continue,
                    // Cannot delete it (permissions): wait like for a live lock, so the
                    // deadline still applies.
                    Err(_) => {}
                }
            }
            let waited = started.elapsed();
            if waited >= policy.deadline {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!(
                        "lock {} still held after {:?}",
                        lock_path.display(),
                        policy.deadline
                    ),
                ));
            }
            let delay = policy.next_delay(waited, backoff);
            if waited >= policy.initial_phase {
                backoff = Some(delay);
            }
            thread::sleep(delay.min(policy.deadline - waited));
        }
    }

    /// The lock file's path.
    pub fn path(&self) -> &Path {
        &self.lock_path
    }

    /// Releases the lock by deleting the lock file.
    pub fn release(mut self) -> io::Result<()> {
        self.released = true;
        fs::remove_file(&self.lock_path)
    }
}

impl Drop for LockFile {
    fn drop(&mut self) {
        if !self.released {
            let _ = fs::remove_file(&self.lock_path);
        }
    }
}

fn create_exclusive(lock_path: &Path) -> io::Result<()> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(lock_path)?;
    // The original wrote the holder's PID for humans; nothing ever read it.
    writeln!(file, "{}", std::process::id())
}

fn is_stale(lock_path: &Path, stale_after: Duration) -> bool {
    let modified = match fs::metadata(lock_path).and_then(|meta| meta.modified()) {
        Ok(modified) => modified,
        Err(_) => return false,
    };
    SystemTime::now()
        .duration_since(modified)
        .is_ok_and(|age| age > stale_after)
}

/// Loads `path` under the lock: acquire, read, release.
pub fn load_phase2(path: &Path) -> io::Result<Vec<u8>> {
    let lock = LockFile::acquire(path)?;
    let bytes = fs::read(path);
    lock.release()?;
    bytes
}

/// Saves `bytes` to `path` under the lock: acquire, write the phase-1 way, release.
pub fn save_phase2(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let lock = LockFile::acquire(path)?;
    let saved = crate::phase1::save_phase1(path, bytes);
    lock.release()?;
    saved
}
