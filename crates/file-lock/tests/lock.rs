//! Locking across processes (the phase 2 checklist): one writer at a time, waits hand off
//! at once, never a stale lock after a crash. Threads of one process: `threads.rs`.
//!
//! Cross-process tests run real worker processes: this test binary re-executed with
//! `FILE_LOCK_WORKER=<action>`, running only the `worker` test. Workers talk to the parent
//! through lines starting with `@@ ` on stdout and take commands from stdin.
//!
//! `FILE_LOCK_STRESS_ITERS` sets the per-process iterations of the counter tests
//! (default 1000).

use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant, SystemTime};

use file_lock::{Error, FileLock, Mode, Wait};
use test_support::knob;
use test_support::worker::STEP_LIMIT;

mod support;
use support::*;

/// Not a test of its own: the body of every worker process (see [`serve_worker`]).
#[test]
fn worker() {
    serve_worker();
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
    holder.finish(STEP_LIMIT);
    waiter.finish(STEP_LIMIT);
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
    holder.finish(STEP_LIMIT);
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
        blocked.finish(STEP_LIMIT);
        if release_by_unlock {
            guard.unlock().unwrap();
        } else {
            drop(guard);
        }
        let after = spawn_worker("try", &path, Mode::Exclusive, &[]);
        after.expect("ACQUIRED", STEP_LIMIT);
        after.finish(STEP_LIMIT);
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
    waiter.finish(STEP_LIMIT);

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
    writer.finish(STEP_LIMIT);
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
    first.finish(STEP_LIMIT);
    second.finish(STEP_LIMIT);

    let exclusive = spawn_worker("hold", &path, Mode::Exclusive, &[]);
    exclusive.expect("LOCKED", STEP_LIMIT);
    let reader = spawn_worker("try", &path, Mode::Shared, &[]);
    assert_eq!(
        reader.expect("WOULDBLOCK", STEP_LIMIT),
        exclusive.pid().to_string()
    );
    reader.finish(STEP_LIMIT);
    assert_would_block_by(lock.try_shared(), exclusive.pid());
    exclusive.finish(STEP_LIMIT);
}

#[test]
fn downgrade_admits_shared_but_not_exclusive() {
    let (_dir, path) = data_path();
    let lock = FileLock::new(&path);
    let mut guard = lock.exclusive().unwrap();

    let reader = spawn_worker("try", &path, Mode::Shared, &[]);
    reader.expect("WOULDBLOCK", STEP_LIMIT);
    reader.finish(STEP_LIMIT);
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
    reader.finish(STEP_LIMIT);
    let other_writer = spawn_worker("try", &path, Mode::Exclusive, &[]);
    other_writer.expect("WOULDBLOCK", STEP_LIMIT);
    other_writer.finish(STEP_LIMIT);
    writer.expect_silence(QUIET_PERIOD, "a queued writer got in after the downgrade");

    drop(guard);
    writer.expect("ACQUIRED", PROMPTLY);
    writer.finish(STEP_LIMIT);

    // Downgrading a shared lock changes nothing.
    let mut shared = lock.shared().unwrap();
    shared.downgrade().unwrap();
    assert_eq!(shared.mode(), Mode::Shared);
}

fn counter_processes_lose_no_updates(processes: usize) {
    let iterations: u64 = knob::number("FILE_LOCK_STRESS_ITERS", 1000);
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
        worker.finish(STEP_LIMIT);
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
