//! The commit journal under real crashes: worker processes (this test binary re-run with
//! `ATOMIC_IO_JOURNAL_WORKER` set) commit three files in two directories in a loop and
//! are SIGKILLed, either after a random delay or while parked at a chosen protocol step;
//! after every kill, recovery must leave all three files at one complete generation, never
//! going back, with no side file left.
//!
//! Scale knob: `ATOMIC_IO_CRASH_KILLS` (killed workers, default 40 here; `cargo xtask
//! crash` raises it).

use std::fs::{self, File, OpenOptions};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use atomic_io::journal::{self, Journal, JournalError, Locking, Recovery, Step};
use rustix::fs::FlockOperation;

use test_support::knob;
use test_support::worker::{self, STEP_LIMIT, Worker};

const WORKER_ENV: &str = "ATOMIC_IO_JOURNAL_WORKER";
const DIR_ENV: &str = "ATOMIC_IO_JOURNAL_DIR";
const PARK_ENV: &str = "ATOMIC_IO_JOURNAL_PARK_AT";
const PARKED: &str = "JOURNAL-WORKER parked";

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Exclusive `flock`s on a `.lock` file beside each target, taken in path order: the
/// locks every committer holds and recovery takes.
struct FlockLocks;

impl Locking for FlockLocks {
    type Guard = Vec<File>;
    type Error = BoxError;

    fn lock_exclusive(&self, targets: &[PathBuf]) -> Result<Vec<File>, BoxError> {
        let mut sorted: Vec<&PathBuf> = targets.iter().collect();
        sorted.sort();
        sorted.dedup();
        sorted
            .into_iter()
            .map(|target| {
                let mut name = target.clone().into_os_string();
                name.push(".lock");
                let file = OpenOptions::new()
                    .create(true)
                    .truncate(false)
                    .write(true)
                    .open(PathBuf::from(name))?;
                rustix::fs::flock(&file, FlockOperation::LockExclusive)?;
                Ok(file)
            })
            .collect()
    }
}

/// The three members, in two directories (so journal paths lead across directories).
fn targets(dir: &Path) -> Vec<PathBuf> {
    vec![
        dir.join("a.txt"),
        dir.join("c.txt"),
        dir.join("sub").join("b.txt"),
    ]
}

/// The content of `target` at `generation`: a header naming both, and a body whose length
/// varies between generations, so kills land inside writes of different sizes.
fn content(generation: u64, target: &Path) -> Vec<u8> {
    let name = target.file_name().unwrap().to_string_lossy();
    let len = 1 + (generation.wrapping_mul(0x9e37_79b9) % 20_000) as usize;
    let mut out = format!("gen={generation} file={name} len={len}\n").into_bytes();
    out.extend(std::iter::repeat_n(b'a' + (generation % 26) as u8, len));
    out
}

/// The generation `target` holds, or why it is not a complete version.
fn generation_of(target: &Path) -> Result<u64, String> {
    let bytes = fs::read(target).map_err(|e| format!("{}: {e}", target.display()))?;
    let header = bytes.split(|&b| b == b'\n').next().unwrap_or_default();
    let generation = String::from_utf8_lossy(header)
        .strip_prefix("gen=")
        .and_then(|rest| rest.split(' ').next()?.parse::<u64>().ok())
        .ok_or_else(|| format!("{}: no header", target.display()))?;
    if bytes != content(generation, target) {
        return Err(format!(
            "{}: torn generation {generation}",
            target.display()
        ));
    }
    Ok(generation)
}

fn side_files(dir: &Path) -> Vec<String> {
    [dir.to_path_buf(), dir.join("sub")]
        .iter()
        .flat_map(|d| fs::read_dir(d).unwrap())
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.contains(".rs-"))
        .collect()
}

/// Parks the worker at the step named by [`PARK_ENV`]: it tells the parent and waits for
/// the SIGKILL that follows.
fn park_hook(step: Step) {
    static PARK_AT: OnceLock<Option<String>> = OnceLock::new();
    if PARK_AT
        .get_or_init(|| std::env::var(PARK_ENV).ok())
        .as_deref()
        == Some(step.name())
    {
        println!("{PARKED} {}", step.name());
        let _ = std::io::stdin().read(&mut [0u8]);
        std::process::abort();
    }
}

/// Entry point of the worker processes; does nothing in a normal test run.
#[test]
fn worker_process() {
    if worker::role(WORKER_ENV).is_none() {
        return;
    }
    let dir = worker::path_var(DIR_ENV);
    let targets = targets(&dir);
    let journal = Journal::new(FlockLocks).on_step(park_hook);
    for target in &targets {
        journal.recover(target).unwrap();
    }
    let mut generation = generation_of(&targets[0]).unwrap();
    loop {
        generation += 1;
        let contents: Vec<Vec<u8>> = targets.iter().map(|t| content(generation, t)).collect();
        let changes: Vec<(&Path, &[u8])> = targets
            .iter()
            .map(PathBuf::as_path)
            .zip(contents.iter().map(Vec::as_slice))
            .collect();
        let _locks = journal.locking().lock_exclusive(&targets).unwrap();
        journal.commit(&changes).unwrap();
    }
}

/// Starts a committing worker, parked at `park_at` when given.
fn spawn_committer(dir: &Path, park_at: Option<Step>) -> Worker {
    let mut command = worker::command("worker_process", WORKER_ENV, "commit-loop");
    command.env(DIR_ENV, dir);
    if let Some(step) = park_at {
        command.env(PARK_ENV, step.name());
    }
    Worker::spawn(command, PARKED, "committer")
}

fn recover_all(dir: &Path) -> Vec<Recovery> {
    let journal = Journal::new(FlockLocks);
    targets(dir)
        .iter()
        .map(|target| journal.recover(target).unwrap())
        .collect()
}

/// The generation all members agree on after recovery.
fn agreed_generation(dir: &Path, context: &str) -> u64 {
    let generations: Vec<u64> = targets(dir)
        .iter()
        .map(|t| generation_of(t).unwrap_or_else(|e| panic!("{context}: {e}")))
        .collect();
    assert!(
        generations.windows(2).all(|w| w[0] == w[1]),
        "{context}: members disagree: {generations:?}"
    );
    assert!(
        side_files(dir).is_empty(),
        "{context}: side files left: {:?}",
        side_files(dir)
    );
    generations[0]
}

#[test]
fn sigkilled_committers_leave_all_members_at_one_generation() {
    let kills: u64 = knob::number("ATOMIC_IO_CRASH_KILLS", 40);
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("sub")).unwrap();
    for target in targets(dir.path()) {
        atomic_io::write(&target, content(0, &target)).unwrap();
    }
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    eprintln!("rng seed {seed}");
    let mut rng = seed;
    let mut last = 0;
    let mut rolled_forward = 0;
    for kill in 0..kills {
        // Even kills park at each step in turn; odd ones land at a random moment.
        let step = (kill % 2 == 0).then(|| Step::ALL[(kill / 2) as usize % Step::ALL.len()]);
        let worker = spawn_committer(dir.path(), step);
        match step {
            // The explicit signal that it is parked: no timing.
            Some(_) => drop(worker.line(STEP_LIMIT)),
            None => {
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                std::thread::sleep(Duration::from_micros(3_000 + rng % 30_000));
            }
        }
        drop(worker);
        let context = format!("after kill {kill} (step {step:?})");
        let outcomes = recover_all(dir.path());
        rolled_forward += outcomes.contains(&Recovery::RolledForward) as u32;
        let generation = agreed_generation(dir.path(), &context);
        match step {
            Some(step) if step.is_committed() => assert_eq!(generation, last + 1, "{context}"),
            Some(_) => assert_eq!(generation, last, "{context}"),
            None => assert!(generation >= last, "{context}: went back from {last}"),
        }
        last = generation;
    }
    eprintln!(
        "{kills} kills, reached generation {last}, {rolled_forward} recoveries rolled forward"
    );
    if kills >= 16 {
        assert!(
            rolled_forward > 0,
            "no kill ever landed after a commit point"
        );
    }
}

/// A directory `root/name` of members at generation 0 whose first commit was SIGKILLed
/// at `step`.
fn crashed_at(root: &Path, name: &str, step: Step) -> PathBuf {
    let dir = root.join(name);
    fs::create_dir_all(dir.join("sub")).unwrap();
    for target in targets(&dir) {
        atomic_io::write(&target, content(0, &target)).unwrap();
    }
    let worker = spawn_committer(&dir, Some(step));
    worker.line(STEP_LIMIT); // parked: killed when dropped
    drop(worker);
    dir
}

#[test]
fn a_directory_moved_after_a_crash_recovers_in_its_new_place() {
    let root = tempfile::tempdir().unwrap();
    let dir = crashed_at(root.path(), "before", Step::FirstRenamed);
    let moved = root.path().join("after");
    fs::rename(&dir, &moved).unwrap();
    let outcomes = recover_all(&moved);
    assert!(outcomes.contains(&Recovery::RolledForward), "{outcomes:?}");
    assert_eq!(agreed_generation(&moved, "moved"), 1);
}

#[test]
fn side_files_that_do_not_fit_are_reported_and_left_alone() {
    let root = tempfile::tempdir().unwrap();
    let dir = crashed_at(root.path(), "data", Step::JournalWritten);
    // Copy only c.txt and its side files elsewhere: its journal is not beside it.
    let lonely = root.path().join("lonely");
    fs::create_dir(&lonely).unwrap();
    for name in ["c.txt", "c.txt.rs-intent", "c.txt.rs-staged"] {
        fs::copy(dir.join(name), lonely.join(name)).unwrap();
    }
    let journal = Journal::new(FlockLocks);
    let copy = lonely.join("c.txt");
    // The intent names a journal that is not there: the commit never reached this copy's
    // commit point, so recovery discards its staged content.
    assert_eq!(journal.recover(&copy).unwrap(), Recovery::Discarded);
    assert_eq!(generation_of(&copy).unwrap(), 0);

    // A journal moved away from the files it lists is refused, and nothing changes.
    let stray = root.path().join("stray");
    fs::create_dir_all(stray.join("sub")).unwrap();
    fs::copy(dir.join("a.txt"), stray.join("x.txt")).unwrap();
    fs::copy(dir.join("a.txt.rs-journal"), stray.join("x.txt.rs-journal")).unwrap();
    let err = journal.recover(&stray.join("x.txt")).unwrap_err();
    let err = err.downcast::<JournalError>().unwrap();
    assert!(matches!(*err, JournalError::Unmatched { .. }), "{err}");
    assert!(stray.join("x.txt.rs-journal").exists());

    // The original directory still completes.
    assert!(recover_all(&dir).contains(&Recovery::RolledForward));
    assert_eq!(agreed_generation(&dir, "original"), 1);
}

#[test]
fn commit_rejects_targets_it_cannot_journal_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.txt");
    let journal = Journal::new(FlockLocks);
    let err = journal
        .commit(&[(a.as_path(), b"1"), (a.as_path(), b"2")])
        .unwrap_err();
    assert!(matches!(err, JournalError::InvalidTarget { .. }), "{err}");
    let err = journal
        .commit(&[(Path::new("relative.txt"), b"1")])
        .unwrap_err();
    assert!(err.to_string().contains("not absolute"), "{err}");
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
    assert!(!journal::has_pending(&a));
    journal.commit(&[]).unwrap();
}
