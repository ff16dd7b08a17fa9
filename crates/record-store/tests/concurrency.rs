//! Concurrent and crashing writers (part of the phase 3 checklist): no update is lost
//! across threads or processes, readers never see a torn or half-applied state, and
//! SIGKILL at any point never leaves a torn file, a half-applied multi-file commit or a
//! stuck lock. Heavy variants scale with `RECORD_STORE_STRESS_PROCS`,
//! `RECORD_STORE_STRESS_ITERS` and `RECORD_STORE_CRASH_KILLS`.

mod support;

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use record_store::{Error, Store, StoreSet};
use support::*;

// ---------------------------------------------------------------------------------------
// Worker processes: the test binary itself, started with RECORD_STORE_TEST_WORKER set.
// ---------------------------------------------------------------------------------------

fn spawn_worker(kind: &str, envs: &[(&str, String)]) -> std::io::Result<Child> {
    let mut command = test_support::worker::command("worker", "RECORD_STORE_TEST_WORKER", kind);
    command
        .env_remove("RECORD_STORE_CRASH_AT")
        .stdout(Stdio::null());
    for (key, value) in envs {
        command.env(key, value);
    }
    command.spawn()
}

fn wait_ok(mut child: Child, what: &str) -> Result<(), String> {
    let status = child.wait().map_err(|e| e.to_string())?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{what} failed: {status}"))
    }
}

/// What one stress transaction does, decided before it runs so the worker only records
/// it as done once the commit succeeded.
enum ItemAction {
    Insert(String),
    Remove(String),
}

fn stress_transaction(
    store: &Store,
    proc: u32,
    iter: usize,
    rng: &mut StdRng,
    live: &mut Vec<String>,
) -> Result<(), Error> {
    let counter = rng.random_range(0..COUNTERS);
    let action = if live.is_empty() || rng.random_bool(0.6) {
        ItemAction::Insert(format!("p{proc}-{iter}"))
    } else {
        ItemAction::Remove(live[rng.random_range(0..live.len())].clone())
    };
    store.update(|tx| {
        let counters = tx.table::<Counter>()?;
        let Some(record) = counters.get_mut(&counter) else {
            return Err(Error::aborted(format!("counter {counter} missing")));
        };
        record.value += 1;
        let delta: i64 = match &action {
            ItemAction::Insert(id) => {
                tx.table::<Item>()?.insert(Item {
                    id: id.clone(),
                    owner: proc,
                })?;
                1
            }
            ItemAction::Remove(id) => match tx.table::<Item>()?.remove(id) {
                Some(_) => -1,
                None => return Err(Error::aborted(format!("own item {id} vanished"))),
            },
        };
        let meta = tx.table::<Meta>()?;
        let Some(meta) = meta.get_mut(&"meta".to_string()) else {
            return Err(Error::aborted("meta row missing"));
        };
        meta.total += 1;
        meta.items = meta.items.checked_add_signed(delta).unwrap_or(0);
        Ok(())
    })?;
    match action {
        ItemAction::Insert(id) => live.push(id),
        ItemAction::Remove(id) => live.retain(|x| *x != id),
    }
    Ok(())
}

fn set_transaction(set: &StoreSet, a: &Path, b: &Path, counter: u32) -> Result<(), Error> {
    set.update(|tx| {
        for path in [a, b] {
            let file = tx.file(path)?;
            if let Some(c) = file.table::<Counter>()?.get_mut(&counter) {
                c.value += 1;
            }
            if let Some(m) = file.table::<Meta>()?.get_mut(&"meta".to_string()) {
                m.total += 1;
            }
        }
        Ok(())
    })
}

fn run_worker(kind: &str) -> Result<(), String> {
    let iters = env_usize("ITERS", 0);
    let proc = env_usize("PROC_ID", 0) as u32;
    let mut rng = StdRng::seed_from_u64(u64::from(proc) * 7919 + std::process::id() as u64);
    match kind {
        // ITERS stress transactions; report the live items and the commit count.
        "stress" | "writer" => {
            let store = Store::open(env_path("STORE_PATH")).map_err(|e| e.to_string())?;
            let mut live = Vec::new();
            let mut iter = 0;
            while iters == 0 || iter < iters {
                stress_transaction(&store, proc, iter, &mut rng, &mut live)
                    .map_err(|e| format!("transaction {iter}: {e}"))?;
                iter += 1;
            }
            if let Some(report) = std::env::var_os("REPORT_PATH") {
                fs::write(report, live.join("\n")).map_err(|e| e.to_string())?;
            }
            Ok(())
        }
        // Parse the file continuously until STOP_PATH exists.
        "reader" => {
            let path = env_path("STORE_PATH");
            let stop = env_path("STOP_PATH");
            let store = Store::open(&path).map_err(|e| e.to_string())?;
            let (mut reads, mut last_total) = (0u64, 0u64);
            while !stop.exists() {
                let bytes = fs::read(&path).map_err(|e| e.to_string())?;
                let text = String::from_utf8(bytes).map_err(|e| e.to_string())?;
                let root = sdn_codec::parse(&text).map_err(|e| format!("parse error: {e}"))?;
                let (total, _) = check_invariants(&root)?;
                if total < last_total {
                    return Err(format!("total went back from {last_total} to {total}"));
                }
                last_total = total;
                let snapshot = store.read().map_err(|e| e.to_string())?;
                let (total, _) = check_invariants(snapshot.document().map_err(|e| e.to_string())?)?;
                if total < last_total {
                    return Err(format!(
                        "snapshot total went back from {last_total} to {total}"
                    ));
                }
                last_total = total;
                reads += 2;
            }
            eprintln!("reader {proc}: {reads} reads, 0 errors, last total {last_total}");
            if reads == 0 {
                return Err("reader never read".into());
            }
            Ok(())
        }
        // Multi-file transactions on A and B (forever when ITERS=0).
        "set-writer" => {
            let (a, b) = (env_path("STORE_A"), env_path("STORE_B"));
            let set = StoreSet::open([&a, &b]).map_err(|e| e.to_string())?;
            let mut iter = 0;
            while iters == 0 || iter < iters {
                set_transaction(&set, &a, &b, rng.random_range(0..COUNTERS))
                    .map_err(|e| e.to_string())?;
                iter += 1;
            }
            Ok(())
        }
        other => Err(format!("unknown worker kind {other}")),
    }
}

/// Entry point of worker processes; does nothing in a normal test run.
#[test]
fn worker() {
    serve_worker("RECORD_STORE_TEST_WORKER", run_worker);
}

// ---------------------------------------------------------------------------------------
// Concurrency
// ---------------------------------------------------------------------------------------

#[test]
fn threads_sharing_handles_lose_no_update() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("stress.sdn");
    fs::write(&path, stress_seed())?;
    let shared = Store::open(&path)?;
    std::thread::scope(|scope| {
        for thread in 0..4u32 {
            let store = if thread % 2 == 0 {
                shared.clone()
            } else {
                Store::open(&path).unwrap()
            };
            scope.spawn(move || {
                let mut rng = StdRng::seed_from_u64(u64::from(thread));
                let mut live = Vec::new();
                for iter in 0..25 {
                    stress_transaction(&store, 100 + thread, iter, &mut rng, &mut live).unwrap();
                }
            });
        }
    });
    let (total, _) = check_invariants(Store::open(&path)?.read()?.document()?)?;
    assert_eq!(total, 100);
    Ok(())
}

#[test]
fn processes_lose_no_update_and_duplicate_no_record() -> TestResult {
    let procs = env_usize("RECORD_STORE_STRESS_PROCS", 4);
    let iters = env_usize("RECORD_STORE_STRESS_ITERS", 100);
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("stress.sdn");
    fs::write(&path, stress_seed())?;
    let started = Instant::now();
    let children = (0..procs)
        .map(|proc| {
            spawn_worker(
                "stress",
                &[
                    ("STORE_PATH", path.display().to_string()),
                    ("PROC_ID", proc.to_string()),
                    ("ITERS", iters.to_string()),
                    (
                        "REPORT_PATH",
                        dir.path()
                            .join(format!("report-{proc}"))
                            .display()
                            .to_string(),
                    ),
                ],
            )
        })
        .collect::<std::io::Result<Vec<_>>>()?;
    for (proc, child) in children.into_iter().enumerate() {
        wait_ok(child, &format!("stress worker {proc}"))?;
    }
    let elapsed = started.elapsed();
    let snapshot = Store::open(&path)?.read()?;
    let (total, item_count) = check_invariants(snapshot.document()?)?;
    assert_eq!(total as usize, procs * iters, "every increment is there");
    let counters = snapshot.table::<Counter>()?;
    assert_eq!(
        counters.iter().map(|c| c.value).sum::<u64>() as usize,
        procs * iters
    );
    let mut expected = BTreeSet::new();
    for proc in 0..procs {
        let report = fs::read_to_string(dir.path().join(format!("report-{proc}")))?;
        expected.extend(report.lines().filter(|l| !l.is_empty()).map(str::to_owned));
    }
    let items = snapshot.table::<Item>()?;
    let actual: BTreeSet<String> = items.keys().cloned().collect();
    assert_eq!(actual, expected, "no lost or resurrected item");
    assert_eq!(items.len() as u64, item_count);
    eprintln!(
        "stress: {procs} processes x {iters} transactions = {} commits in {elapsed:.2?} ({:.0}/s)",
        procs * iters,
        (procs * iters) as f64 / elapsed.as_secs_f64()
    );
    Ok(())
}

#[test]
fn readers_see_only_committed_states_while_writers_commit() -> TestResult {
    let writers = 4;
    let readers = 2;
    let iters = env_usize("RECORD_STORE_READER_ITERS", 60);
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("stress.sdn");
    let stop = dir.path().join("stop");
    fs::write(&path, stress_seed())?;
    let reader_children = (0..readers)
        .map(|proc| {
            spawn_worker(
                "reader",
                &[
                    ("STORE_PATH", path.display().to_string()),
                    ("STOP_PATH", stop.display().to_string()),
                    ("PROC_ID", proc.to_string()),
                ],
            )
        })
        .collect::<std::io::Result<Vec<_>>>()?;
    let writer_children = (0..writers)
        .map(|proc| {
            spawn_worker(
                "writer",
                &[
                    ("STORE_PATH", path.display().to_string()),
                    ("PROC_ID", proc.to_string()),
                    ("ITERS", iters.to_string()),
                ],
            )
        })
        .collect::<std::io::Result<Vec<_>>>()?;
    let mut failures = Vec::new();
    for child in writer_children {
        failures.extend(wait_ok(child, "writer").err());
    }
    fs::write(&stop, b"")?;
    for child in reader_children {
        failures.extend(wait_ok(child, "reader (parse error or uncommitted state)").err());
    }
    assert!(failures.is_empty(), "{failures:?}");
    let (total, _) = check_invariants(Store::open(&path)?.read()?.document()?)?;
    assert_eq!(total as usize, writers * iters);
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Crashes
// ---------------------------------------------------------------------------------------

/// Kills random writers at random moments, `kills` times, keeping `parallel` alive.
fn kill_randomly(
    kills: usize,
    parallel: usize,
    spawn: impl Fn(usize) -> std::io::Result<Child>,
) -> Result<usize, Box<dyn std::error::Error>> {
    let mut rng = rand::rng();
    let mut children: Vec<Child> = (0..parallel).map(&spawn).collect::<Result<_, _>>()?;
    let mut really_killed = 0;
    for round in 0..kills {
        std::thread::sleep(Duration::from_micros(rng.random_range(1_000..30_000)));
        let victim = rng.random_range(0..children.len());
        let replacement = spawn(parallel + round)?;
        let mut child = std::mem::replace(&mut children[victim], replacement);
        let kill = child.kill();
        let status = child.wait()?;
        kill?;
        if killed(status) {
            really_killed += 1;
        } else {
            return Err(format!("writer exited on its own: {status}").into());
        }
    }
    for mut child in children {
        child.kill()?;
        child.wait()?;
    }
    Ok(really_killed)
}

/// The process id of checks made after a kill run: above any worker's (at most the kill
/// count plus the parallel writers, far below `u32::MAX`).
const CHECKER_PROC: u32 = u32::MAX;

#[test]
fn sigkill_of_writers_never_leaves_torn_file_or_stuck_lock() -> TestResult {
    let kills = env_usize("RECORD_STORE_CRASH_KILLS", 50);
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("stress.sdn");
    fs::write(&path, stress_seed())?;
    let killed = kill_randomly(kills, 3, |proc| {
        spawn_worker(
            "writer",
            &[
                ("STORE_PATH", path.display().to_string()),
                ("PROC_ID", proc.to_string()),
            ],
        )
    })?;
    assert_eq!(killed, kills);
    // Raw bytes parse and satisfy the invariants: no torn or half-written version.
    let root = sdn_codec::parse(&fs::read_to_string(&path)?)?;
    let (total, _) = check_invariants(&root)?;
    assert_lock_free(&path)?;
    let store = Store::open(&path)?;
    assert!(
        side_files(dir.path())?.is_empty(),
        "leftovers: {:?}",
        side_files(dir.path())?
    );
    // The store still works. The check runs as a process id no worker can have (workers
    // are numbered from 0 up to the kill count), so its item ids are new.
    let mut live = Vec::new();
    stress_transaction(
        &store,
        CHECKER_PROC,
        0,
        &mut StdRng::seed_from_u64(1),
        &mut live,
    )?;
    assert_eq!(check_invariants(store.read()?.document()?)?.0, total + 1);
    eprintln!("sigkill: {killed} writers killed, {total} transactions committed, file intact");
    Ok(())
}

#[test]
fn sigkill_of_store_set_writers_never_half_applies() -> TestResult {
    let kills = env_usize("RECORD_STORE_CRASH_KILLS", 50).max(1);
    let dir = tempfile::tempdir()?;
    let (a, b) = (dir.path().join("a.sdn"), dir.path().join("b.sdn"));
    fs::write(&a, stress_seed())?;
    fs::write(&b, stress_seed())?;
    let killed = kill_randomly(kills, 2, |proc| {
        spawn_worker(
            "set-writer",
            &[
                ("STORE_A", a.display().to_string()),
                ("STORE_B", b.display().to_string()),
                ("PROC_ID", proc.to_string()),
            ],
        )
    })?;
    assert!(killed > 0);
    let set = StoreSet::open([&a, &b])?;
    let (ta, tb) = meta_totals(&a, &b)?;
    assert_eq!(ta, tb, "a multi-file transaction was half applied");
    assert!(
        side_files(dir.path())?.is_empty(),
        "leftovers: {:?}",
        side_files(dir.path())?
    );
    assert_lock_free(&a)?;
    assert_lock_free(&b)?;
    set_transaction(&set, &a, &b, 0)?;
    assert_eq!(meta_totals(&a, &b)?, (ta + 1, tb + 1));
    eprintln!("set sigkill: {killed} writers killed, {ta} transactions committed in both files");
    Ok(())
}

#[test]
fn store_set_reads_never_see_half_applied_commits() -> TestResult {
    let iters = env_usize("RECORD_STORE_READER_ITERS", 60);
    let dir = tempfile::tempdir()?;
    let (a, b) = (dir.path().join("a.sdn"), dir.path().join("b.sdn"));
    fs::write(&a, stress_seed())?;
    fs::write(&b, stress_seed())?;
    let writers = (0..2)
        .map(|proc| {
            spawn_worker(
                "set-writer",
                &[
                    ("STORE_A", a.display().to_string()),
                    ("STORE_B", b.display().to_string()),
                    ("PROC_ID", proc.to_string()),
                    ("ITERS", iters.to_string()),
                    // Hold the commit half-applied for a moment: a reader that does not
                    // check would see it.
                    ("RECORD_STORE_PAUSE_AT", "first-renamed:3000".into()),
                ],
            )
        })
        .collect::<std::io::Result<Vec<_>>>()?;
    let set = StoreSet::open([&a, &b])?;
    let (mut reads, mut last) = (0u64, 0u64);
    loop {
        let done = fs::read_to_string(&a).is_ok_and(|text| {
            sdn_codec::parse(&text)
                .ok()
                .and_then(|root| check_invariants(&root).ok())
                .is_some_and(|(total, _)| total as usize == 2 * iters)
        });
        let snapshots = set.read()?;
        let ta = check_invariants(snapshots[0].document()?)?.0;
        let tb = check_invariants(snapshots[1].document()?)?.0;
        assert_eq!(ta, tb, "read {reads}: a half-applied commit was visible");
        assert!(ta >= last, "went back in time");
        last = ta;
        reads += 1;
        if done {
            break;
        }
    }
    for child in writers {
        wait_ok(child, "set writer")?;
    }
    assert_eq!(last as usize, 2 * iters);
    eprintln!("set reads: {reads} consistent snapshots while 2 processes committed");
    Ok(())
}

#[test]
fn store_set_crash_at_every_commit_step_is_all_or_nothing() -> TestResult {
    for (index, step) in record_store::fault::STEPS.iter().enumerate() {
        let dir = tempfile::tempdir()?;
        let (a, b) = seed_set(dir.path())?;
        crash_set_commit_at(&a, &b, step)?;
        // Recover through one member only (alternating), then through the whole set.
        let first = if index % 2 == 0 { &a } else { &b };
        Store::open(first)?;
        StoreSet::open([&a, &b])?;
        let totals = meta_totals(&a, &b)?;
        // The journal is the commit point: from its step on, the commit must survive.
        let commit_point = record_store::fault::STEPS
            .iter()
            .position(|s| *s == "journal-written")
            .ok_or("no journal-written step")?;
        let committed = index >= commit_point;
        let expected = if committed { (6, 6) } else { (5, 5) };
        assert_eq!(totals, expected, "step {step}: not all-or-nothing");
        assert!(
            side_files(dir.path())?.is_empty(),
            "step {step}: leftovers {:?}",
            side_files(dir.path())?
        );
        assert_lock_free(&a)?;
        assert_lock_free(&b)?;
    }
    Ok(())
}

/// Two stress files in `dir` with five set commits behind them; returns their paths.
fn seed_set(dir: &Path) -> Result<(PathBuf, PathBuf), Box<dyn std::error::Error>> {
    let (a, b) = (dir.join("a.sdn"), dir.join("b.sdn"));
    fs::write(&a, stress_seed())?;
    fs::write(&b, stress_seed())?;
    let set = StoreSet::open([&a, &b])?;
    for _ in 0..5 {
        set_transaction(&set, &a, &b, 1)?;
    }
    Ok((a, b))
}

/// Kills a worker process at `step` of a sixth set commit of `a` and `b`.
fn crash_set_commit_at(a: &Path, b: &Path, step: &str) -> TestResult {
    let child = test_support::worker::command("worker", "RECORD_STORE_TEST_WORKER", "set-writer")
        .env("STORE_A", a)
        .env("STORE_B", b)
        .env("ITERS", "1")
        .env("RECORD_STORE_CRASH_AT", step)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()?;
    assert!(
        killed(child),
        "step {step}: the worker did not crash ({child})"
    );
    Ok(())
}

/// A store opened before a set commit crashed (so its open did not recover anything)
/// updates its file alone: the crashed commit is finished or undone first wherever it
/// could still change that file, so both files still agree, and the update lands.
#[test]
fn an_update_of_one_member_after_a_crashed_set_commit_sees_it_all_or_nothing() -> TestResult {
    for (index, step) in record_store::fault::STEPS.iter().enumerate() {
        let dir = tempfile::tempdir()?;
        let (a, b) = seed_set(dir.path())?;
        let opened_before = Store::open(&a)?;
        crash_set_commit_at(&a, &b, step)?;
        opened_before.update(|tx| {
            if let Some(counter) = tx.table::<Counter>()?.get_mut(&2) {
                counter.value += 1;
            }
            if let Some(meta) = tx.table::<Meta>()?.get_mut(&"meta".to_string()) {
                meta.total += 1;
            }
            Ok::<_, Error>(())
        })?;
        let commit_point = record_store::fault::STEPS
            .iter()
            .position(|s| *s == "journal-written")
            .ok_or("no journal-written step")?;
        // The update adds one to `a`'s total on top of the set commits that survived
        // (`meta_totals` also checks that every total is the sum of its counters).
        let expected = if index >= commit_point {
            (7, 6)
        } else {
            (6, 5)
        };
        assert_eq!(
            meta_totals(&a, &b)?,
            expected,
            "step {step}: not all-or-nothing"
        );
        // Leftovers that could not change `a` any more go with the next open of the set.
        StoreSet::open([&a, &b])?;
        assert!(
            side_files(dir.path())?.is_empty(),
            "step {step}: leftovers {:?}",
            side_files(dir.path())?
        );
    }
    Ok(())
}
