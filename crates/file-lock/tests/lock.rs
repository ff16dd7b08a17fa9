//! Locking across processes and threads (the phase 2 checklist): one writer at a time,
//! waits hand off at once, never a stale lock after a crash.
//!
//! Cross-process tests run real worker processes: this test binary re-executed with
//! `FILE_LOCK_WORKER=<action>`, running only the `worker` test. Workers talk to the parent
//! through lines starting with `@@ ` on stdout and take commands from stdin.
//!
//! `FILE_LOCK_STRESS_ITERS` sets the per-process iterations of the counter tests
//! (default 1000).

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Barrier, mpsc};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use file_lock::{Error, FileLock, Mode, Wait};

/// Generous bound for anything that should happen "at once" on a loaded 2-core machine.
const PROMPTLY: Duration = Duration::from_secs(2);
/// How long the parent watches for something that must not happen.
const QUIET_PERIOD: Duration = Duration::from_millis(300);
/// How late a deadline may be met before the test calls it missed.
const DEADLINE_SLACK: Duration = Duration::from_millis(200);
/// How long any single worker step may take before the test gives up instead of hanging.
const STEP_LIMIT: Duration = Duration::from_secs(60);

// ---------------------------------------------------------------------------------------
// Worker side
// ---------------------------------------------------------------------------------------

/// Not a test of its own: the body of every worker process. Returns at once unless
/// `FILE_LOCK_WORKER` is set.
#[test]
fn worker() {
    let Ok(action) = std::env::var("FILE_LOCK_WORKER") else {
        return;
    };
    let path = PathBuf::from(std::env::var("FILE_LOCK_PATH").expect("FILE_LOCK_PATH"));
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
    let mut out = std::io::stdout().lock();
    writeln!(out, "@@ {line}").unwrap();
    out.flush().unwrap();
}

fn unix_nanos() -> u128 {
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
    let counter = PathBuf::from(std::env::var("FILE_LOCK_COUNTER").unwrap());
    let iterations: u64 = std::env::var("FILE_LOCK_ITERS").unwrap().parse().unwrap();
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

// ---------------------------------------------------------------------------------------
// Parent side
// ---------------------------------------------------------------------------------------

struct Worker {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: mpsc::Receiver<String>,
    name: String,
}

fn spawn_worker(action: &str, path: &Path, mode: Mode, extra_env: &[(&str, String)]) -> Worker {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .args(["--exact", "worker", "--nocapture", "--test-threads=1"])
        .env("FILE_LOCK_WORKER", action)
        .env("FILE_LOCK_PATH", path)
        .env("FILE_LOCK_MODE", mode.as_str())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    for (key, value) in extra_env {
        command.env(key, value);
    }
    let mut child = command.spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (sender, lines) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            // libtest may print "test worker ... " on the same line first.
            if let Some((_, message)) = line.split_once("@@ ")
                && sender.send(message.to_owned()).is_err()
            {
                break;
            }
        }
    });
    Worker {
        stdin: child.stdin.take(),
        child,
        lines,
        name: format!("{action}/{mode} worker"),
    }
}

impl Worker {
    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The next message, which must start with `word`; returns the rest of it.
    fn expect(&self, word: &str, within: Duration) -> String {
        match self.lines.recv_timeout(within) {
            Ok(line) => {
                let (first, rest) = line.split_once(' ').unwrap_or((&line, ""));
                assert_eq!(first, word, "{}: expected {word}, got {line:?}", self.name);
                rest.to_owned()
            }
            Err(error) => panic!("{}: no {word} within {within:?} ({error})", self.name),
        }
    }

    /// Asserts the worker says nothing for `period` (e.g. it is still waiting for a lock).
    fn expect_silence(&self, period: Duration, what: &str) {
        if let Ok(line) = self.lines.recv_timeout(period) {
            panic!("{}: {what}, but it said {line:?}", self.name);
        }
    }

    fn tell(&mut self) {
        let stdin = self.stdin.as_mut().unwrap();
        stdin.write_all(b"go\n").unwrap();
        stdin.flush().unwrap();
    }

    /// Waits for the worker to exit (it must succeed); kills it if it takes too long.
    fn finish(mut self) {
        drop(self.stdin.take());
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(status.success(), "{} failed: {status}", self.name);
                return;
            }
            if started.elapsed() > STEP_LIMIT {
                let _ = self.child.kill();
                panic!("{} did not exit within {STEP_LIMIT:?}", self.name);
            }
            thread::sleep(Duration::from_millis(5));
        }
    }

    fn kill(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        // A failed assertion must not leave workers holding locks behind.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn data_path() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("records.sdn");
    (dir, path)
}

fn nanos_to_duration(later: u128, earlier: u128) -> Duration {
    Duration::from_nanos(later.saturating_sub(earlier) as u64)
}

fn assert_would_block_by(result: Result<file_lock::LockGuard, Error>, pid: u32) {
    match result {
        Err(Error::WouldBlock {
            holder: Some(holder),
            ..
        }) => assert_eq!(holder.pid, pid),
        other => panic!("expected WouldBlock naming pid {pid}, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------
// Checklist
// ---------------------------------------------------------------------------------------

#[test]
fn single_acquire_records_pid_and_host_in_sidecar() {
    let (dir, path) = data_path();
    let lock = FileLock::new(&path);
    assert_eq!(lock.sidecar_path(), dir.path().join("records.sdn.lock"));
    assert!(
        !lock.sidecar_path().exists(),
        "FileLock::new must do no I/O"
    );

    let before = SystemTime::now();
    let guard = lock.exclusive().unwrap();
    assert_eq!(guard.mode(), Mode::Exclusive);
    assert_eq!(guard.path(), path);
    assert!(lock.sidecar_path().is_file());
    assert!(
        !path.exists(),
        "the data file itself is never created or locked"
    );

    let holder = file_lock::read_holder(&path)
        .unwrap()
        .expect("holder record");
    let host = rustix::system::uname()
        .nodename()
        .to_string_lossy()
        .into_owned();
    assert_eq!(holder.pid, std::process::id());
    assert_eq!(holder.host, host);
    assert_eq!(holder.mode, Mode::Exclusive);
    assert!(holder.since >= before - Duration::from_secs(1) && holder.since <= SystemTime::now());
    let raw = std::fs::read_to_string(lock.sidecar_path()).unwrap();
    assert!(
        raw.contains(&format!("pid: {}", std::process::id())),
        "{raw}"
    );
    assert!(raw.contains(&format!("host: {host}")), "{raw}");

    guard.unlock().unwrap();
    assert!(
        lock.sidecar_path().is_file(),
        "the sidecar is never deleted"
    );
}

#[test]
fn second_process_waits_and_gets_lock_only_after_release() {
    let (dir, path) = data_path();
    let marker = dir.path().join("marker");
    let marker_env = [("FILE_LOCK_MARKER", marker.display().to_string())];
    let mut holder = spawn_worker("hold", &path, Mode::Exclusive, &marker_env);
    holder.expect("LOCKED", STEP_LIMIT);
    let waiter = spawn_worker("wait", &path, Mode::Exclusive, &marker_env);
    waiter.expect("WAITING", STEP_LIMIT);
    waiter.expect_silence(QUIET_PERIOD, "it must still wait while the holder holds");

    holder.tell();
    let released_at: u128 = holder.expect("RELEASING", STEP_LIMIT).parse().unwrap();
    let acquired = waiter.expect("ACQUIRED", PROMPTLY);
    let (acquired_at, seen) = acquired.split_once(' ').unwrap();
    assert_eq!(
        seen, "written-before-release",
        "the waiter got the lock before the holder let go"
    );
    let hand_off = nanos_to_duration(acquired_at.parse().unwrap(), released_at);
    eprintln!("hand-off between processes: {hand_off:?}");
    assert!(hand_off < PROMPTLY, "hand-off took {hand_off:?}");
    holder.finish();
    waiter.finish();
}

#[test]
fn timeout_meets_deadline_and_names_path_mode_and_holder() {
    let (_dir, path) = data_path();
    let holder = spawn_worker("hold", &path, Mode::Exclusive, &[]);
    holder.expect("LOCKED", STEP_LIMIT);
    let lock = FileLock::new(&path);

    assert_would_block_by(lock.try_exclusive(), holder.pid());

    for (mode, timeout) in [
        (Mode::Exclusive, Duration::from_millis(300)),
        (Mode::Shared, Duration::from_millis(150)),
        (Mode::Exclusive, Duration::ZERO),
    ] {
        let deadline = Instant::now() + timeout;
        let result = lock.lock(mode, Wait::Until(deadline));
        let returned = Instant::now();
        assert!(returned >= deadline, "returned before the deadline");
        let late = returned - deadline;
        eprintln!("{mode} timeout {timeout:?}: returned {late:?} after the deadline");
        assert!(late < DEADLINE_SLACK, "deadline missed by {late:?}");
        let error = result.expect_err("the lock is held by the worker");
        let message = error.to_string();
        match error {
            Error::Timeout {
                path: error_path,
                mode: error_mode,
                waited,
                holder: Some(found),
            } => {
                assert_eq!(error_path, path);
                assert_eq!(error_mode, mode);
                assert!(waited >= timeout);
                assert_eq!(found.pid, holder.pid());
                assert_eq!(found.mode, Mode::Exclusive);
            }
            other => panic!("expected Timeout with holder, got {other:?}"),
        }
        for needle in [
            path.display().to_string(),
            mode.to_string(),
            format!("held by pid {}", holder.pid()),
        ] {
            assert!(message.contains(&needle), "{message:?} lacks {needle:?}");
        }
    }
    let via_convenience = lock.shared_timeout(Duration::from_millis(50));
    assert!(matches!(via_convenience, Err(Error::Timeout { .. })));
    holder.finish();
}

#[test]
fn release_on_drop_lets_another_process_try_lock() {
    let (_dir, path) = data_path();
    let lock = FileLock::new(&path);
    for release_by_unlock in [false, true] {
        let guard = lock.exclusive().unwrap();
        let blocked = spawn_worker("try", &path, Mode::Exclusive, &[]);
        assert_eq!(
            blocked.expect("WOULDBLOCK", STEP_LIMIT),
            std::process::id().to_string()
        );
        blocked.finish();
        if release_by_unlock {
            guard.unlock().unwrap();
        } else {
            drop(guard);
        }
        let after = spawn_worker("try", &path, Mode::Exclusive, &[]);
        after.expect("ACQUIRED", STEP_LIMIT);
        after.finish();
    }
}

#[test]
fn sigkilled_holder_frees_lock_at_once() {
    let (_dir, path) = data_path();

    // A waiter process blocked with Wait::Forever.
    let mut holder = spawn_worker("hold", &path, Mode::Exclusive, &[]);
    holder.expect("LOCKED", STEP_LIMIT);
    let waiter = spawn_worker("wait", &path, Mode::Exclusive, &[]);
    waiter.expect("WAITING", STEP_LIMIT);
    waiter.expect_silence(QUIET_PERIOD, "it must wait while the holder lives");
    let killed_at = unix_nanos();
    holder.kill();
    let acquired = waiter.expect("ACQUIRED", PROMPTLY);
    let acquired_at: u128 = acquired.split(' ').next().unwrap().parse().unwrap();
    let latency = nanos_to_duration(acquired_at, killed_at);
    eprintln!("SIGKILL to hand-off (process waiter): {latency:?}");
    assert!(latency < PROMPTLY);
    waiter.finish();

    // A waiter in this process with a long deadline.
    let mut holder = spawn_worker("hold", &path, Mode::Exclusive, &[]);
    holder.expect("LOCKED", STEP_LIMIT);
    let lock = FileLock::new(&path);
    let (sender, receiver) = mpsc::channel();
    let waiting = thread::spawn(move || {
        let result = lock.exclusive_timeout(Duration::from_secs(60));
        sender.send(Instant::now()).unwrap();
        result.map(drop)
    });
    assert!(
        receiver.recv_timeout(QUIET_PERIOD).is_err(),
        "got the lock while the holder lived"
    );
    let killed = Instant::now();
    holder.kill();
    let acquired = receiver.recv_timeout(PROMPTLY).expect("lock after SIGKILL");
    eprintln!(
        "SIGKILL to hand-off (deadline waiter): {:?}",
        acquired - killed
    );
    waiting.join().unwrap().unwrap();
}

#[test]
fn shared_locks_coexist_across_processes_and_exclude_writers() {
    let (_dir, path) = data_path();
    let lock = FileLock::new(&path);

    let mut first = spawn_worker("hold", &path, Mode::Shared, &[]);
    first.expect("LOCKED", STEP_LIMIT);
    let mut second = spawn_worker("hold", &path, Mode::Shared, &[]);
    second.expect("LOCKED", PROMPTLY);

    let writer = spawn_worker("try", &path, Mode::Exclusive, &[]);
    writer.expect("WOULDBLOCK", STEP_LIMIT);
    writer.finish();
    assert!(matches!(
        lock.try_exclusive(),
        Err(Error::WouldBlock {
            mode: Mode::Exclusive,
            ..
        })
    ));
    let reader = lock.try_shared().expect("a third shared holder may join");
    drop(reader);

    for worker in [&mut first, &mut second] {
        worker.tell();
        worker.expect("RELEASING", STEP_LIMIT);
    }
    first.finish();
    second.finish();

    let exclusive = spawn_worker("hold", &path, Mode::Exclusive, &[]);
    exclusive.expect("LOCKED", STEP_LIMIT);
    let reader = spawn_worker("try", &path, Mode::Shared, &[]);
    assert_eq!(
        reader.expect("WOULDBLOCK", STEP_LIMIT),
        exclusive.pid().to_string()
    );
    reader.finish();
    assert_would_block_by(lock.try_shared(), exclusive.pid());
    exclusive.finish();
}

#[test]
fn downgrade_admits_shared_but_not_exclusive() {
    let (_dir, path) = data_path();
    let lock = FileLock::new(&path);
    let mut guard = lock.exclusive().unwrap();

    let reader = spawn_worker("try", &path, Mode::Shared, &[]);
    reader.expect("WOULDBLOCK", STEP_LIMIT);
    reader.finish();
    // A writer already queued in the kernel must not slip in during the downgrade.
    let writer = spawn_worker("wait", &path, Mode::Exclusive, &[]);
    writer.expect("WAITING", STEP_LIMIT);
    writer.expect_silence(QUIET_PERIOD, "it must wait while we hold exclusive");

    guard.downgrade().unwrap();
    assert_eq!(guard.mode(), Mode::Shared);
    assert_eq!(
        file_lock::read_holder(&path).unwrap().map(|h| h.mode),
        Some(Mode::Shared)
    );

    let reader = spawn_worker("try", &path, Mode::Shared, &[]);
    reader.expect("ACQUIRED", STEP_LIMIT);
    reader.finish();
    let other_writer = spawn_worker("try", &path, Mode::Exclusive, &[]);
    other_writer.expect("WOULDBLOCK", STEP_LIMIT);
    other_writer.finish();
    writer.expect_silence(QUIET_PERIOD, "a queued writer got in after the downgrade");

    drop(guard);
    writer.expect("ACQUIRED", PROMPTLY);
    writer.finish();

    // Downgrading a shared lock changes nothing.
    let mut shared = lock.shared().unwrap();
    shared.downgrade().unwrap();
    assert_eq!(shared.mode(), Mode::Shared);
}

#[test]
fn threads_with_separate_handles_queue_and_never_share() {
    let (_dir, path) = data_path();
    const THREADS: usize = 4;
    const ROUNDS: u64 = 200;
    let inside = Arc::new(AtomicBool::new(false));
    let counter = Arc::new(AtomicU64::new(0));
    let start = Arc::new(Barrier::new(THREADS));
    let workers: Vec<_> = (0..THREADS)
        .map(|index| {
            // Separate handles, as separate parts of a program would have.
            let lock = FileLock::new(&path);
            let (inside, counter, start) = (inside.clone(), counter.clone(), start.clone());
            thread::spawn(move || {
                start.wait();
                for round in 0..ROUNDS {
                    let guard = if (index as u64 + round).is_multiple_of(2) {
                        lock.exclusive().unwrap()
                    } else {
                        lock.exclusive_timeout(STEP_LIMIT).unwrap()
                    };
                    assert!(
                        !inside.swap(true, Ordering::SeqCst),
                        "two threads inside at once"
                    );
                    // A deliberately racy read-modify-write: only the lock keeps it exact.
                    let value = counter.load(Ordering::Relaxed);
                    thread::yield_now();
                    counter.store(value + 1, Ordering::Relaxed);
                    inside.store(false, Ordering::SeqCst);
                    drop(guard);
                }
            })
        })
        .collect();
    for worker in workers {
        worker.join().unwrap();
    }
    assert_eq!(counter.load(Ordering::SeqCst), THREADS as u64 * ROUNDS);
}

#[test]
fn threads_in_one_process_exclude_each_other_and_hand_off() {
    let (_dir, path) = data_path();
    let first = FileLock::new(&path);
    let second = FileLock::new(&path);

    let check = |second: FileLock, expect_shared_ok: bool| {
        thread::spawn(move || {
            let exclusive = second.try_exclusive();
            assert!(
                matches!(exclusive, Err(Error::WouldBlock { .. })),
                "{exclusive:?}"
            );
            let shared = second.try_shared();
            assert_eq!(shared.is_ok(), expect_shared_ok, "{shared:?}");
        })
        .join()
        .unwrap();
    };
    let guard = first.exclusive().unwrap();
    check(second.clone(), false);
    drop(guard);
    let guard = first.shared().unwrap();
    check(second.clone(), true);
    drop(guard);

    // Deadline waits between threads: met, and naming this process as holder.
    let guard = first.exclusive().unwrap();
    let timed = {
        let second = second.clone();
        thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_millis(150);
            let result = second.lock(Mode::Exclusive, Wait::Until(deadline));
            (
                result.map(drop),
                Instant::now().saturating_duration_since(deadline),
            )
        })
        .join()
        .unwrap()
    };
    match timed {
        (
            Err(Error::Timeout {
                holder: Some(holder),
                ..
            }),
            late,
        ) => {
            assert_eq!(holder.pid, std::process::id());
            assert!(late < DEADLINE_SLACK, "deadline missed by {late:?}");
        }
        other => panic!("expected a timeout, got {other:?}"),
    }

    // A thread waiting forever gets the lock as soon as it is released, not before.
    let (sender, receiver) = mpsc::channel();
    let waiter = thread::spawn(move || {
        let guard = second.exclusive().unwrap();
        sender.send(Instant::now()).unwrap();
        drop(guard);
    });
    assert!(
        receiver.recv_timeout(QUIET_PERIOD).is_err(),
        "a second thread got the lock while the first held it"
    );
    let released = Instant::now();
    drop(guard);
    let acquired = receiver.recv_timeout(PROMPTLY).expect("hand-off");
    eprintln!("hand-off between threads: {:?}", acquired - released);
    waiter.join().unwrap();
}

#[test]
fn same_thread_locking_twice_is_an_error_not_a_hang() {
    let (_dir, path) = data_path();
    let (sender, receiver) = mpsc::channel();
    thread::spawn(move || {
        let first = FileLock::new(&path);
        let second = FileLock::new(&path);
        for held_mode in [Mode::Exclusive, Mode::Shared] {
            let guard = first.lock(held_mode, Wait::Forever).unwrap();
            for (handle, mode) in [
                (&first, Mode::Exclusive),
                (&second, Mode::Exclusive),
                (&second, Mode::Shared),
            ] {
                for wait in [
                    Wait::Try,
                    Wait::timeout(Duration::from_secs(30)),
                    Wait::Forever,
                ] {
                    let started = Instant::now();
                    let result = handle.lock(mode, wait);
                    assert!(
                        matches!(result, Err(Error::AlreadyHeldByThisThread { .. })),
                        "{held_mode} held, {mode} with {wait:?}: {result:?}"
                    );
                    assert!(started.elapsed() < PROMPTLY, "it waited before failing");
                }
            }
            drop(guard);
            // The refusals left nothing behind.
            drop(second.try_exclusive().unwrap());
        }
        sender.send(()).unwrap();
    });
    receiver
        .recv_timeout(STEP_LIMIT)
        .expect("relocking from the same thread hung or panicked");
}

#[test]
fn guard_moves_between_threads_and_releases_there() {
    let (_dir, path) = data_path();
    let lock = FileLock::new(&path);
    let guard = lock.exclusive().unwrap();
    // Documented: the acquiring thread still counts as the holder after giving the guard away.
    let (give, take) = mpsc::channel();
    let receiver = thread::spawn(move || {
        let mut guard: file_lock::LockGuard = take.recv().unwrap();
        guard.transfer_to_current_thread().unwrap();
        let again = FileLock::new(guard.path()).try_exclusive();
        assert!(
            matches!(again, Err(Error::AlreadyHeldByThisThread { .. })),
            "{again:?}"
        );
        drop(guard);
    });
    give.send(guard).unwrap();
    receiver.join().unwrap();
    // Released on the other thread: this thread can lock again, so can another process.
    let guard = lock.try_exclusive().unwrap();
    drop(guard);
    let other = spawn_worker("try", &path, Mode::Exclusive, &[]);
    other.expect("ACQUIRED", STEP_LIMIT);
    other.finish();
}

/// Names of this process's threads that are lock waiters (Linux cuts names to 15 bytes).
fn lingering_waiter_threads() -> usize {
    std::fs::read_dir("/proc/self/task")
        .unwrap()
        .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("comm")).ok())
        .filter(|name| name.starts_with("file-lock-wait"))
        .count()
}

#[test]
fn abandoned_deadline_waiters_let_go_once_the_lock_is_free() {
    if !Path::new("/proc/self/task").is_dir() {
        eprintln!("SKIPPED: abandoned_deadline_waiters_let_go_once_the_lock_is_free: needs /proc");
        return;
    }
    let (_dir, path) = data_path();
    let holder = spawn_worker("hold", &path, Mode::Exclusive, &[]);
    holder.expect("LOCKED", STEP_LIMIT);
    let lock = FileLock::new(&path);
    for _ in 0..3 {
        let result = lock.exclusive_timeout(Duration::from_millis(20));
        assert!(matches!(result, Err(Error::Timeout { .. })), "{result:?}");
    }
    assert!(
        lingering_waiter_threads() >= 3,
        "abandoned waiters should still wait"
    );
    holder.finish();

    // Each abandoned waiter takes the freed lock and drops it at once, then ends.
    let started = Instant::now();
    while lingering_waiter_threads() > 0 {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{} waiter threads still linger after the lock was freed",
            lingering_waiter_threads()
        );
        thread::sleep(Duration::from_millis(5));
    }
    let guard = lock
        .try_exclusive()
        .expect("nobody holds the lock any more");
    drop(guard);
    let other = spawn_worker("try", &path, Mode::Exclusive, &[]);
    other.expect("ACQUIRED", STEP_LIMIT);
    other.finish();
}

#[test]
fn guards_and_handles_are_send_and_sync() {
    fn assert_send_sync<T: Send + Sync + 'static>() {}
    assert_send_sync::<file_lock::LockGuard>();
    assert_send_sync::<FileLock>();
    assert_send_sync::<Error>();
    // And the compile-time claim holds at run time: a guard dropped on another thread frees
    // the lock for this one.
    let (_dir, path) = data_path();
    let lock = FileLock::new(&path);
    let guard = lock.exclusive().unwrap();
    thread::spawn(move || drop(guard)).join().unwrap();
    drop(lock.try_exclusive().unwrap());
}

fn counter_processes_lose_no_updates(processes: usize) {
    let iterations: u64 = std::env::var("FILE_LOCK_STRESS_ITERS")
        .ok()
        .map_or(1000, |value| value.parse().expect("FILE_LOCK_STRESS_ITERS"));
    let (dir, path) = data_path();
    let counter = dir.path().join("counter");
    std::fs::write(&counter, "0").unwrap();
    let env = [
        ("FILE_LOCK_COUNTER", counter.display().to_string()),
        ("FILE_LOCK_ITERS", iterations.to_string()),
    ];
    let mut workers: Vec<_> = (0..processes)
        .map(|_| spawn_worker("count", &path, Mode::Exclusive, &env))
        .collect();
    for worker in &workers {
        worker.expect("READY", STEP_LIMIT);
    }
    let started = Instant::now();
    for worker in &mut workers {
        worker.tell();
    }
    for worker in &workers {
        worker.expect("DONE", STEP_LIMIT);
    }
    let elapsed = started.elapsed();
    for worker in workers {
        worker.finish();
    }
    let total: u64 = std::fs::read_to_string(&counter)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    eprintln!(
        "{processes} processes x {iterations} increments: {elapsed:?} ({:?} per locked increment)",
        elapsed / (processes as u32 * iterations.max(1) as u32)
    );
    assert_eq!(total, processes as u64 * iterations, "lost updates");
}

#[test]
fn counter_2_processes_no_lost_updates() {
    counter_processes_lose_no_updates(2);
}

#[test]
fn counter_4_processes_no_lost_updates() {
    counter_processes_lose_no_updates(4);
}

#[test]
fn counter_8_processes_no_lost_updates() {
    counter_processes_lose_no_updates(8);
}
