//! Locking between threads of one process (the phase 2 checklist's "two handles in one
//! process"): separate handles queue and never share, hand-offs are prompt, a thread that
//! locks twice gets an error instead of a hang, a guard moves between threads, waiters
//! that gave up let go, and guards are `Send + Sync`. A worker process (the `worker`
//! test, as in `lock.rs`) checks that what threads release, other processes can take.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Barrier, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use file_lock::{Error, FileLock, Mode, Wait};
use test_support::worker::STEP_LIMIT;

mod support;
use support::*;

/// Not a test of its own: the body of every worker process (see [`serve_worker`]).
#[test]
fn worker() {
    serve_worker();
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
    other.finish(STEP_LIMIT);
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
    holder.finish(STEP_LIMIT);

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
    other.finish(STEP_LIMIT);
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
