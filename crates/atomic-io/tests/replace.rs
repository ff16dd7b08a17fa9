//! Atomic replacement (the phase 1 checklist): a file is always the complete old or the
//! complete new content, whatever happens to the writer once the call returns. Failed
//! writes are in `failed_writes.rs`, power cuts in `power_loss.rs`.
//!
//! Multi-process tests run this test binary itself as workers: `worker_process` does
//! nothing unless `ATOMIC_IO_TEST_WORKER` names a role. Workers talk to the parent with
//! stdout lines prefixed by `ATOMIC-IO-WORKER ` (libtest prints its own lines too).
//!
//! Scale knobs: `ATOMIC_IO_STRESS_ITERS` (total writes of the two-writer race, default
//! 2000), `ATOMIC_IO_CRASH_KILLS` (SIGKILLed writers, default 100).

use std::fs;
use std::io::Write;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use atomic_io::{Durability, Options, Symlinks, TempStrategy};
use test_support::knob;
use test_support::mount::is_root;
use test_support::worker::{self, STEP_LIMIT, Worker};

mod support;
use support::*;

/// Entry point of every worker process; does nothing in a normal test run.
#[test]
fn worker_process() {
    let Some(role) = worker::role(WORKER_ENV) else {
        return;
    };
    let target = worker_target();
    match role.as_str() {
        // Opens a writer, writes part of the content, reports the temp file, then waits
        // to be killed.
        "hold-temp" => {
            let strategy = strategy_named(&worker::var("ATOMIC_IO_STRATEGY"));
            let mut writer = Options::new()
                .temp_strategy(strategy)
                .open(&target)
                .unwrap();
            writer.write_all(&[b'h'; 100_000]).unwrap();
            writer.flush().unwrap();
            match writer.temp_path() {
                Some(path) => say(format!("temp {}", path.display())),
                None => say("anonymous"),
            }
            loop {
                std::thread::sleep(Duration::from_secs(1));
            }
        }
        // Writes one uniform content many times, alternating temp strategy and durability.
        "race" => {
            let byte = worker::var("ATOMIC_IO_BYTE").as_bytes()[0];
            let iterations: usize = worker::var("ATOMIC_IO_ITERS").parse().unwrap();
            let contents = vec![byte; 40 * 1024];
            for i in 0..iterations {
                let durability = if i % 2 == 0 {
                    Durability::Durable
                } else {
                    Durability::AtomicOnly
                };
                Options::new()
                    .durability(durability)
                    .temp_strategy(STRATEGIES[(i / 2) % 2])
                    .write(&target, &contents)
                    .unwrap();
            }
        }
        // Writes ever newer generations until killed.
        "crash-loop" => {
            let strategy = strategy_named(&worker::var("ATOMIC_IO_STRATEGY"));
            let current = check_version(&fs::read(&target).unwrap()).unwrap();
            let options = Options::new().temp_strategy(strategy);
            for generation in current + 1.. {
                options.write(&target, version(generation)).unwrap();
            }
        }
        other => panic!("unknown worker role {other}"),
    }
}

// ---------------------------------------------------------------------------------------
// Normal saves
// ---------------------------------------------------------------------------------------

#[test]
fn save_creates_target_with_exact_bytes_and_leaves_no_temp() {
    for strategy in STRATEGIES {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("todo.sdn");
        let options = Options::new().temp_strategy(strategy);

        let first = version(1);
        let committed = options.write(&path, &first).unwrap();
        assert_eq!(committed.path, path);
        assert!(committed.dir_flushed);
        assert_eq!(fs::read(&path).unwrap(), first);
        assert_eq!(names_in(dir.path()), ["todo.sdn"], "{strategy:?}");

        // Shorter content must not keep a tail of the longer one.
        options.write(&path, b"short").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"short");

        // Streaming, in odd-sized pieces across the internal buffer size.
        let big: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
        let mut writer = options.open(&path).unwrap();
        for piece in big.chunks(7_777) {
            writer.write_all(piece).unwrap();
        }
        writer.commit().unwrap();
        assert_eq!(fs::read(&path).unwrap(), big);

        atomic_io::write(&path, b"").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"");
        assert_eq!(names_in(dir.path()), ["todo.sdn"], "{strategy:?}");
    }
}

#[test]
fn all_durability_modes_replace_the_content() {
    for durability in [
        Durability::Durable,
        Durability::BestEffortDirFlush,
        Durability::AtomicOnly,
    ] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let committed = Options::new()
            .durability(durability)
            .write(&path, b"new")
            .unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"new");
        assert_eq!(committed.dir_flushed, durability != Durability::AtomicOnly);
        assert!(committed.dir_flush_error.is_none());
    }
}

#[test]
fn new_file_honours_umask_and_replace_keeps_mode_and_owner() {
    for strategy in STRATEGIES {
        let dir = tempfile::tempdir().unwrap();
        // What the umask gives a file created the ordinary way.
        let reference = dir.path().join("reference");
        fs::File::create(&reference).unwrap();
        let expected_new_mode = fs::metadata(&reference).unwrap().mode() & 0o7777;

        let options = Options::new().temp_strategy(strategy);
        let path = dir.path().join("data");
        options.write(&path, b"one").unwrap();
        assert_eq!(
            fs::metadata(&path).unwrap().mode() & 0o7777,
            expected_new_mode,
            "{strategy:?}"
        );

        fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
        options.write(&path, b"two").unwrap();
        assert_eq!(fs::metadata(&path).unwrap().mode() & 0o7777, 0o640);

        assert_eq!(fs::read(&path).unwrap(), b"two");

        if is_root() {
            std::os::unix::fs::chown(&path, Some(4321), Some(8765)).unwrap();
            options.write(&path, b"three").unwrap();
            let meta = fs::metadata(&path).unwrap();
            assert_eq!((meta.uid(), meta.gid()), (4321, 8765), "{strategy:?}");
            assert_eq!(meta.mode() & 0o7777, 0o640);
            assert_eq!(fs::read(&path).unwrap(), b"three");
        } else {
            eprintln!(
                "SKIPPED: owner preservation part of new_file_honours_umask_and_replace_keeps_mode_and_owner: needs root"
            );
        }
    }
}

/// Creates `dir/real/data.sdn` holding `old`: the file the symbolic-link tests point at.
fn real_file_in(dir: &Path) -> PathBuf {
    fs::create_dir(dir.join("real")).unwrap();
    let real = dir.join("real/data.sdn");
    fs::write(&real, b"old").unwrap();
    real
}

/// Regression: the default used to be `Symlinks::Replace`, so saving through a link (as
/// `sdn set` and `sdn fmt` do with the path the user names) turned the link into a regular
/// file and left the file it pointed to unchanged.
#[test]
fn default_follows_a_symlink_to_its_target_and_keeps_the_link() {
    let dir = tempfile::tempdir().unwrap();
    let real = real_file_in(dir.path());
    fs::set_permissions(&real, fs::Permissions::from_mode(0o640)).unwrap();
    // Two hops, the second one relative to its own directory.
    let hop = dir.path().join("real/hop.sdn");
    std::os::unix::fs::symlink("data.sdn", &hop).unwrap();
    let link = dir.path().join("link.sdn");
    std::os::unix::fs::symlink("real/hop.sdn", &link).unwrap();
    let is_link = |path: &Path| fs::symlink_metadata(path).unwrap().file_type().is_symlink();

    atomic_io::write(&link, b"one").unwrap();
    assert!(is_link(&link) && is_link(&hop), "a link was replaced");
    assert_eq!(fs::read(&real).unwrap(), b"one");
    assert_eq!(fs::metadata(&real).unwrap().mode() & 0o7777, 0o640);

    let committed = Options::new().write(&link, b"two").unwrap();
    assert_eq!(committed.path, real);
    let mut writer = Options::new().open(&link).unwrap();
    assert_eq!(writer.path(), real);
    writer.write_all(b"three").unwrap();
    writer.commit().unwrap();
    let mut batch = atomic_io::Batch::new(Options::new());
    batch.add(&link, "four");
    batch.commit().unwrap();
    assert!(is_link(&link) && is_link(&hop), "a link was replaced");
    assert_eq!(fs::read(&real).unwrap(), b"four");
    assert_eq!(names_in(dir.path()), ["link.sdn", "real"]);
    assert_eq!(names_in(&dir.path().join("real")), ["data.sdn", "hop.sdn"]);
}

#[test]
fn symlinks_replace_the_link_or_follow_it_to_its_target() {
    let dir = tempfile::tempdir().unwrap();
    let real = real_file_in(dir.path());
    let link = dir.path().join("link.sdn");
    std::os::unix::fs::symlink("real/data.sdn", &link).unwrap();

    let committed = Options::new()
        .symlinks(Symlinks::Follow)
        .write(&link, b"through the link")
        .unwrap();
    assert_eq!(committed.path, real);
    assert!(
        fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(fs::read(&real).unwrap(), b"through the link");
    assert!(temps_in(&dir.path().join("real")).is_empty());

    Options::new()
        .symlinks(Symlinks::Replace)
        .write(&link, b"link replaced")
        .unwrap();
    assert!(fs::symlink_metadata(&link).unwrap().file_type().is_file());
    assert_eq!(fs::read(&link).unwrap(), b"link replaced");
    assert_eq!(fs::read(&real).unwrap(), b"through the link");
}

// ---------------------------------------------------------------------------------------
// Abandoned and crashed writers
// ---------------------------------------------------------------------------------------

#[test]
fn dropped_writer_leaves_target_untouched_and_no_temp() {
    for strategy in STRATEGIES {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tasks.sdn");
        fs::write(&path, b"old content").unwrap();
        let options = Options::new().temp_strategy(strategy);

        let mut writer = options.open(&path).unwrap();
        writer.write_all(&[b'x'; 200_000]).unwrap();
        writer.flush().unwrap();
        if strategy == TempStrategy::Named {
            let temp = writer.temp_path().expect("a named temp has a path");
            assert!(temp.exists());
            assert!(atomic_io::is_temp_name(temp.file_name().unwrap()));
        }
        drop(writer);
        assert_eq!(fs::read(&path).unwrap(), b"old content");
        assert_eq!(names_in(dir.path()), ["tasks.sdn"], "{strategy:?}");

        // A writer for a file that does not exist yet creates nothing when dropped.
        let new_path = dir.path().join("new.sdn");
        let mut writer = options.open(&new_path).unwrap();
        writer.write_all(b"never committed").unwrap();
        drop(writer);
        assert!(!new_path.exists());
        assert_eq!(names_in(dir.path()), ["tasks.sdn"], "{strategy:?}");
    }
}

#[test]
fn killed_writer_leaves_temp_that_cleanup_removes_keeping_live_temp_and_unrelated_tmp() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("todo.sdn");
    fs::write(&target, b"old").unwrap();
    let envs = [
        ("ATOMIC_IO_TARGET", target.display().to_string()),
        ("ATOMIC_IO_STRATEGY", "named".to_string()),
    ];
    let temp_of = |worker: &mut Worker| -> PathBuf {
        let line = worker.line(STEP_LIMIT);
        PathBuf::from(
            line.strip_prefix("temp ")
                .unwrap_or_else(|| panic!("got {line}")),
        )
    };

    let mut crashed = spawn_worker("hold-temp", &envs);
    let crashed_temp = temp_of(&mut crashed);
    crashed.kill();
    assert!(
        crashed_temp.exists(),
        "a SIGKILLed named-temp writer leaves its temp"
    );

    let mut live = spawn_worker("hold-temp", &envs);
    let live_temp = temp_of(&mut live);
    assert_ne!(crashed_temp, live_temp);

    // Files that are not ours, including near misses of the pattern.
    let unrelated = [
        "x.tmp",
        "todo.sdn.tmp",
        ".todo.sdn.atomic-tmp",
        ".todo.sdn.12.xyz.atomic-tmp",
    ];
    for name in unrelated {
        fs::write(dir.path().join(name), b"keep me").unwrap();
    }

    let report = atomic_io::cleanup_stale(dir.path()).unwrap();
    assert_eq!(report.removed, std::slice::from_ref(&crashed_temp));
    assert_eq!(report.kept_live, std::slice::from_ref(&live_temp));
    assert!(report.skipped.is_empty(), "{:?}", report.skipped);
    assert!(!crashed_temp.exists());
    assert!(live_temp.exists());
    for name in unrelated {
        assert_eq!(
            fs::read(dir.path().join(name)).unwrap(),
            b"keep me",
            "{name}"
        );
    }
    assert_eq!(fs::read(&target).unwrap(), b"old");

    // Once the live writer dies too, its temp is stale.
    live.kill();
    let report = atomic_io::cleanup_stale(dir.path()).unwrap();
    assert_eq!(report.removed, [live_temp]);
    assert!(report.kept_live.is_empty());
}

#[test]
fn cleanup_in_the_writers_own_process_keeps_its_live_temp() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.sdn");
    let mut writer = Options::new()
        .temp_strategy(TempStrategy::Named)
        .open(&path)
        .unwrap();
    writer.write_all(b"in progress").unwrap();
    let temp = writer.temp_path().unwrap();

    // A process-owned lock (POSIX F_SETLK) would let this cleanup take the writer's lock.
    let report = atomic_io::cleanup_stale(dir.path()).unwrap();
    assert_eq!(report.kept_live, std::slice::from_ref(&temp));
    assert!(report.removed.is_empty());
    assert!(temp.exists());

    writer.commit().unwrap();
    assert_eq!(fs::read(&path).unwrap(), b"in progress");
    assert_eq!(names_in(dir.path()), ["db.sdn"]);
}

#[test]
fn killed_anonymous_temp_writer_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("todo.sdn");
    fs::write(&target, b"old").unwrap();
    let mut worker = spawn_worker(
        "hold-temp",
        &[
            ("ATOMIC_IO_TARGET", target.display().to_string()),
            ("ATOMIC_IO_STRATEGY", "auto".to_string()),
        ],
    );
    let answer = worker.line(STEP_LIMIT);
    worker.kill();
    if answer != "anonymous" {
        eprintln!(
            "SKIPPED: killed_anonymous_temp_writer_leaves_nothing: no O_TMPFILE on this filesystem ({answer})"
        );
        return;
    }
    assert_eq!(names_in(dir.path()), ["todo.sdn"]);
    assert_eq!(fs::read(&target).unwrap(), b"old");
}

// ---------------------------------------------------------------------------------------
// Readers during saves
// ---------------------------------------------------------------------------------------

#[test]
fn file_is_readable_and_complete_after_every_save() {
    const SAVES: u64 = 300;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("features.sdn");
    atomic_io::write(&path, version(0)).unwrap();

    let done = Arc::new(AtomicBool::new(false));
    let reads = Arc::new(AtomicU64::new(0));
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let (path, done, reads) = (path.clone(), done.clone(), reads.clone());
            std::thread::spawn(move || {
                let mut last = 0;
                while !done.load(Ordering::Acquire) {
                    // Never missing, never partial, never older than what this reader saw.
                    let bytes = fs::read(&path).expect("target must always exist");
                    let generation = check_version(&bytes).unwrap_or_else(|e| panic!("{e}"));
                    assert!(generation >= last, "went back from {last} to {generation}");
                    last = generation;
                    reads.fetch_add(1, Ordering::Relaxed);
                }
                last
            })
        })
        .collect();

    for generation in 1..=SAVES {
        Options::new()
            .temp_strategy(STRATEGIES[(generation % 2) as usize])
            .write(&path, version(generation))
            .unwrap();
        // The writer itself reads back each save at once.
        assert_eq!(check_version(&fs::read(&path).unwrap()), Ok(generation));
    }
    done.store(true, Ordering::Release);
    for reader in readers {
        assert!(reader.join().unwrap() <= SAVES);
    }
    assert!(reads.load(Ordering::Relaxed) > 0);
    assert!(temps_in(dir.path()).is_empty());
}

// ---------------------------------------------------------------------------------------
// Concurrency and crashes
// ---------------------------------------------------------------------------------------

#[test]
fn two_processes_racing_never_tear_or_mix_contents() {
    let total = knob::number("ATOMIC_IO_STRESS_ITERS", 2000).max(2);
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("shared.sdn");
    atomic_io::write(&target, vec![b'A'; 40 * 1024]).unwrap();

    let workers: Vec<Worker> = ["A", "B"]
        .iter()
        .map(|byte| {
            spawn_worker(
                "race",
                &[
                    ("ATOMIC_IO_TARGET", target.display().to_string()),
                    ("ATOMIC_IO_BYTE", byte.to_string()),
                    ("ATOMIC_IO_ITERS", (total / 2).to_string()),
                ],
            )
        })
        .collect();

    let (mut seen_a, mut seen_b, mut reads) = (0u64, 0u64, 0u64);
    let mut workers = workers;
    let deadline = Instant::now() + Duration::from_secs(600);
    while workers.iter_mut().any(|w| w.running()) {
        assert!(Instant::now() < deadline, "workers did not finish");
        let bytes = fs::read(&target).expect("target must always exist");
        assert_eq!(bytes.len(), 40 * 1024, "torn: wrong length");
        let first = bytes[0];
        assert!(first == b'A' || first == b'B', "unexpected byte {first}");
        assert!(bytes.iter().all(|&b| b == first), "mixed content");
        match first {
            b'A' => seen_a += 1,
            _ => seen_b += 1,
        }
        reads += 1;
    }
    for worker in workers {
        worker.finish(STEP_LIMIT);
    }
    eprintln!("{reads} reads: {seen_a} all-A, {seen_b} all-B");
    assert!(
        seen_a > 0 && seen_b > 0,
        "the reader never saw both writers' content"
    );
    let last = fs::read(&target).unwrap();
    assert!(last.len() == 40 * 1024 && last.iter().all(|&b| b == last[0]));
    assert!(
        temps_in(dir.path()).is_empty(),
        "{:?}",
        names_in(dir.path())
    );
}

#[test]
fn crash_killed_writers_never_leave_a_partial_target() {
    let kills = knob::number("ATOMIC_IO_CRASH_KILLS", 100);
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("todo.sdn");
    atomic_io::write(&target, version(0)).unwrap();
    let mut rng = Rng::seeded();
    let mut last = 0;
    let mut left_temps = 0;
    for kill in 0..kills {
        let strategy = if kill % 2 == 0 { "auto" } else { "named" };
        let mut worker = spawn_worker(
            "crash-loop",
            &[
                ("ATOMIC_IO_TARGET", target.display().to_string()),
                ("ATOMIC_IO_STRATEGY", strategy.to_string()),
            ],
        );
        std::thread::sleep(Duration::from_micros(2_000 + rng.below(25_000)));
        worker.kill();
        let generation = check_version(&fs::read(&target).unwrap())
            .unwrap_or_else(|e| panic!("after kill {kill} ({strategy}): {e}"));
        assert!(
            generation >= last,
            "after kill {kill}: went back from {last} to {generation}"
        );
        last = generation;
        left_temps += temps_in(dir.path()).len();
        let report = atomic_io::cleanup_stale(dir.path()).unwrap();
        assert!(
            report.kept_live.is_empty(),
            "a killed writer's temp looked live"
        );
        assert!(temps_in(dir.path()).is_empty());
    }
    eprintln!(
        "{kills} kills, reached generation {last}, {left_temps} temps left by killed writers and removed"
    );
    assert!(
        last > 0,
        "no worker ever completed a write before being killed"
    );
    assert_eq!(names_in(dir.path()), ["todo.sdn"]);
}
