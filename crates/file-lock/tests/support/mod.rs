//! What file-lock's test files share: the worker processes (this test binary re-run,
//! see [`test_support::worker`]) that lock from another process, how long to wait for
//! what, and a fresh data path.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use file_lock::{Error, FileLock, Mode, Wait};
use test_support::worker::{self, Worker};

/// Generous bound for anything that should happen "at once" on a loaded 2-core machine.
pub const PROMPTLY: Duration = Duration::from_secs(2);
/// How long the parent watches for something that must not happen.
pub const QUIET_PERIOD: Duration = Duration::from_millis(300);
/// How late a deadline may be met before the test calls it missed.
pub const DEADLINE_SLACK: Duration = Duration::from_millis(200);

/// A temporary directory and the path of a data file in it (not created).
pub fn data_path() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("records.sdn");
    (dir, path)
}

/// The variable that names a worker's action.
const ROLE: &str = "FILE_LOCK_WORKER";
/// What starts a worker's answer line (libtest may print on the same line first).
const SAYS: &str = "@@ ";

/// The body of every worker process (each test file's `worker` test calls it). Returns
/// at once unless `FILE_LOCK_WORKER` is set.
pub fn serve_worker() {
    let Some(action) = worker::role(ROLE) else {
        return;
    };
    let path = worker::path_var("FILE_LOCK_PATH");
    let mode = match std::env::var("FILE_LOCK_MODE").as_deref() {
        Ok("shared") => Mode::Shared,
        _ => Mode::Exclusive,
    };
    let lock = FileLock::new(&path);
    match action.as_str() {
        "hold" => hold(&lock, mode),
        "wait" => wait_then_report(&lock, mode),
        "try" => try_once(&lock, mode),
        "count" => count(&lock),
        other => panic!("unknown worker action {other}"),
    }
}

fn say(line: &str) {
    worker::say(SAYS, line);
}

pub fn unix_nanos() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

/// Blocks until the parent writes a line or closes stdin.
fn await_parent() {
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).unwrap();
}

/// Holds the lock until told to release; optionally downgrades first and writes a marker
/// file just before releasing.
fn hold(lock: &FileLock, mode: Mode) {
    let mut guard = lock.lock(mode, Wait::Forever).unwrap();
    say("LOCKED");
    if std::env::var("FILE_LOCK_DOWNGRADE").is_ok() {
        guard.downgrade().unwrap();
        say("DOWNGRADED");
    }
    await_parent();
    if let Ok(marker) = std::env::var("FILE_LOCK_MARKER") {
        std::fs::write(marker, "written-before-release").unwrap();
    }
    say(&format!("RELEASING {}", unix_nanos()));
    guard.unlock().unwrap();
    say("RELEASED");
}

/// Waits (forever, or `FILE_LOCK_TIMEOUT_MS`) and reports when it got the lock and what the
/// marker file said at that moment.
fn wait_then_report(lock: &FileLock, mode: Mode) {
    let wait = match std::env::var("FILE_LOCK_TIMEOUT_MS") {
        Ok(ms) => Wait::timeout(Duration::from_millis(ms.parse().unwrap())),
        Err(_) => Wait::Forever,
    };
    say("WAITING");
    let guard = lock.lock(mode, wait).unwrap();
    let at = unix_nanos();
    let marker = std::env::var("FILE_LOCK_MARKER")
        .ok()
        .and_then(|marker| std::fs::read_to_string(marker).ok())
        .unwrap_or_else(|| "-".to_owned());
    say(&format!("ACQUIRED {at} {marker}"));
    drop(guard);
}

fn try_once(lock: &FileLock, mode: Mode) {
    match lock.lock(mode, Wait::Try) {
        Ok(_guard) => say("ACQUIRED"),
        Err(Error::WouldBlock { holder, .. }) => {
            let pid = holder.map_or("unknown".to_owned(), |h| h.pid.to_string());
            say(&format!("WOULDBLOCK {pid}"));
        }
        Err(other) => panic!("unexpected error: {other}"),
    }
}

/// Increments the counter file with plain std::fs reads and writes under the exclusive
/// lock: only the lock prevents lost updates.
fn count(lock: &FileLock) {
    let counter = worker::path_var("FILE_LOCK_COUNTER");
    let iterations: u64 = worker::var("FILE_LOCK_ITERS").parse().unwrap();
    say("READY");
    await_parent();
    for _ in 0..iterations {
        let guard = lock.exclusive().unwrap();
        let value: u64 = std::fs::read_to_string(&counter)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        std::fs::write(&counter, (value + 1).to_string()).unwrap();
        drop(guard);
    }
    say("DONE");
}

/// Starts this test binary's `worker` test as `action` on `path`'s lock in `mode`.
pub fn spawn_worker(action: &str, path: &Path, mode: Mode, extra_env: &[(&str, String)]) -> Worker {
    let mut command = worker::command("worker", ROLE, action);
    command
        .env("FILE_LOCK_PATH", path)
        .env("FILE_LOCK_MODE", mode.as_str());
    for (key, value) in extra_env {
        command.env(key, value);
    }
    Worker::spawn(command, SAYS, format!("{action}/{mode} worker"))
}

/// The lock workers' protocol (answers start with a word, read with
/// [`Worker::expect`]); commands are any line.
pub trait Protocol {
    /// Lets a worker that awaits its parent go on.
    fn tell(&mut self);
}

impl Protocol for Worker {
    fn tell(&mut self) {
        self.send("go");
    }
}
