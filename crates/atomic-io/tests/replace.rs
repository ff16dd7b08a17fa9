//! Atomic replacement (the phase 1 checklist): a file is always the complete old or the
//! complete new content, after any crash or power loss once the call returns.
//!
//! Multi-process tests run this test binary itself as workers: `worker_process` does
//! nothing unless `ATOMIC_IO_TEST_WORKER` names a role. Workers talk to the parent with
//! stdout lines prefixed by [`WORKER_PREFIX`] (libtest prints its own lines too).
//!
//! Scale knobs: `ATOMIC_IO_STRESS_ITERS` (total writes of the two-writer race, default
//! 2000), `ATOMIC_IO_CRASH_KILLS` (SIGKILLed writers, default 100),
//! `ATOMIC_IO_POWER_POINTS` (crash points of the durable power-loss test, default 24).

use std::ffi::OsStr;
use std::fs;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use atomic_io::{Durability, Operation, Options, Symlinks, TempStrategy};

mod support;

const WORKER_ENV: &str = "ATOMIC_IO_TEST_WORKER";
const WORKER_PREFIX: &str = "ATOMIC-IO-WORKER ";
const STRATEGIES: [TempStrategy; 2] = [TempStrategy::Auto, TempStrategy::Named];

// ---------------------------------------------------------------------------------------
// Shared helpers
// ---------------------------------------------------------------------------------------

fn env_count(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

/// Sorted file names in `dir`.
fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn temps_in(dir: &Path) -> Vec<String> {
    names_in(dir)
        .into_iter()
        .filter(|n| atomic_io::is_temp_name(OsStr::new(n)))
        .collect()
}

/// Small deterministic generator (xorshift64*), seeded per test run.
struct Rng(u64);

impl Rng {
    fn seeded() -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64;
        let seed = nanos ^ (u64::from(std::process::id()) << 32) | 1;
        eprintln!("rng seed {seed}");
        Rng(seed)
    }

    fn from_seed(seed: u64) -> Self {
        Rng(seed | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

/// A self-describing version: `gen=<n> len=<body length> sum=<fnv of body>\n<body>`.
/// Bodies vary in length (1 byte to 96 KiB) so crashes land in different places.
fn version(generation: u64) -> Vec<u8> {
    let mut rng = Rng::from_seed(generation.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    let len = 1 + rng.below(96 * 1024) as usize;
    let body: Vec<u8> = (0..len).map(|_| b'a' + (rng.next() % 26) as u8).collect();
    let mut out = format!("gen={generation} len={len} sum={:016x}\n", fnv1a(&body)).into_bytes();
    out.extend_from_slice(&body);
    out
}

/// The generation of a complete version, or why `bytes` is not one.
fn check_version(bytes: &[u8]) -> Result<u64, String> {
    let newline = bytes
        .iter()
        .position(|&b| b == b'\n')
        .ok_or_else(|| format!("no header in {} bytes", bytes.len()))?;
    let header = std::str::from_utf8(&bytes[..newline]).map_err(|e| e.to_string())?;
    let body = &bytes[newline + 1..];
    let field = |key: &str| -> Result<&str, String> {
        header
            .split(' ')
            .find_map(|part| part.strip_prefix(key))
            .ok_or_else(|| format!("header {header:?} lacks {key}"))
    };
    let generation: u64 = field("gen=")?.parse().map_err(|_| "bad gen".to_string())?;
    let len: usize = field("len=")?.parse().map_err(|_| "bad len".to_string())?;
    let sum = u64::from_str_radix(field("sum=")?, 16).map_err(|_| "bad sum".to_string())?;
    if body.len() != len {
        return Err(format!(
            "gen {generation}: body {} bytes, header says {len}",
            body.len()
        ));
    }
    if fnv1a(body) != sum {
        return Err(format!("gen {generation}: checksum mismatch"));
    }
    Ok(generation)
}

/// A spawned worker; killed and reaped when dropped, so a failing test leaves no
/// stray processes.
struct Worker {
    child: Child,
    stdout: BufReader<ChildStdout>,
    stdin: Option<ChildStdin>,
}

impl Worker {
    fn spawn(role: &str, envs: &[(&str, String)]) -> Worker {
        let mut command = support::worker_command(WORKER_ENV, role);
        for (key, value) in envs {
            command.env(key, value);
        }
        let mut child = command.spawn().expect("spawn worker");
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let stdin = child.stdin.take();
        Worker {
            child,
            stdout,
            stdin,
        }
    }

    /// The next protocol line from the worker.
    fn line(&mut self) -> String {
        loop {
            let mut line = String::new();
            let n = self.stdout.read_line(&mut line).unwrap();
            assert!(n > 0, "worker exited before answering");
            if let Some(message) = line.trim_end().strip_prefix(WORKER_PREFIX) {
                return message.to_string();
            }
        }
    }

    fn send(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().unwrap();
        writeln!(stdin, "{line}").unwrap();
        stdin.flush().unwrap();
    }

    fn kill(&mut self) {
        // SIGKILL: the worker gets no chance to clean anything up.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    fn wait_success(mut self) {
        self.stdin = None;
        let status = self.child.wait().unwrap();
        assert!(status.success(), "worker failed: {status}");
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.kill();
        }
    }
}

fn say(message: impl std::fmt::Display) {
    let mut out = io::stdout().lock();
    writeln!(out, "{WORKER_PREFIX}{message}").unwrap();
    out.flush().unwrap();
}

fn strategy_named(name: &str) -> TempStrategy {
    match name {
        "named" => TempStrategy::Named,
        _ => TempStrategy::Auto,
    }
}

/// How the "power" worker saves: through atomic-io, or through one of the two classic
/// flawed protocols the power-loss harness must catch. The flawed ones live here, in the
/// test, so atomic-io itself carries no switch that turns a flush off.
#[derive(Clone, Copy)]
enum PowerWriter {
    AtomicIo(Durability),
    /// Temp file, rename, directory flush, but no flush of the file: after a power cut
    /// the name may point at an empty or partial file.
    SkipFileFlush,
    /// Temp file flushed and renamed, directory not flushed: after a power cut the rename
    /// may be lost and the old content come back.
    SkipDirFlush,
}

impl PowerWriter {
    fn named(name: &str) -> Self {
        match name {
            "durable" => PowerWriter::AtomicIo(Durability::Durable),
            "atomic-only" => PowerWriter::AtomicIo(Durability::AtomicOnly),
            "skip-file-flush" => PowerWriter::SkipFileFlush,
            "skip-dir-flush" => PowerWriter::SkipDirFlush,
            other => panic!("unknown durability {other}"),
        }
    }

    fn save(self, target: &Path, generation: u64) {
        let contents = version(generation);
        let (flush_file, flush_dir) = match self {
            PowerWriter::AtomicIo(durability) => {
                Options::new()
                    .durability(durability)
                    .temp_strategy(STRATEGIES[(generation % 2) as usize])
                    .write(target, contents)
                    .unwrap();
                return;
            }
            PowerWriter::SkipFileFlush => (false, true),
            PowerWriter::SkipDirFlush => (true, false),
        };
        let temp = target.with_extension("flawed-tmp");
        let mut file = fs::File::create(&temp).unwrap();
        file.write_all(&contents).unwrap();
        if flush_file {
            file.sync_all().unwrap();
        }
        drop(file);
        fs::rename(&temp, target).unwrap();
        if flush_dir {
            fs::File::open(target.parent().unwrap())
                .unwrap()
                .sync_all()
                .unwrap();
        }
    }
}

fn worker_target() -> PathBuf {
    PathBuf::from(std::env::var("ATOMIC_IO_TARGET").expect("ATOMIC_IO_TARGET"))
}

/// Entry point of every worker process; does nothing in a normal test run.
#[test]
fn worker_process() {
    let Ok(role) = std::env::var(WORKER_ENV) else {
        return;
    };
    let target = worker_target();
    match role.as_str() {
        // Opens a writer, writes part of the content, reports the temp file, then waits
        // to be killed.
        "hold-temp" => {
            let strategy = strategy_named(&std::env::var("ATOMIC_IO_STRATEGY").unwrap());
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
            let byte = std::env::var("ATOMIC_IO_BYTE").unwrap().as_bytes()[0];
            let iterations: usize = std::env::var("ATOMIC_IO_ITERS").unwrap().parse().unwrap();
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
            let strategy = strategy_named(&std::env::var("ATOMIC_IO_STRATEGY").unwrap());
            let current = check_version(&fs::read(&target).unwrap()).unwrap();
            let options = Options::new().temp_strategy(strategy);
            for generation in current + 1.. {
                options.write(&target, version(generation)).unwrap();
            }
        }
        // Writes the generation named on each stdin line; acknowledges after return.
        "power" => {
            let writer = PowerWriter::named(&std::env::var("ATOMIC_IO_DURABILITY").unwrap());
            for line in io::stdin().lock().lines() {
                let generation: u64 = line.unwrap().trim().parse().unwrap();
                writer.save(&target, generation);
                say(format!("ack {generation}"));
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
        let line = worker.line();
        PathBuf::from(
            line.strip_prefix("temp ")
                .unwrap_or_else(|| panic!("got {line}")),
        )
    };

    let mut crashed = Worker::spawn("hold-temp", &envs);
    let crashed_temp = temp_of(&mut crashed);
    crashed.kill();
    assert!(
        crashed_temp.exists(),
        "a SIGKILLed named-temp writer leaves its temp"
    );

    let mut live = Worker::spawn("hold-temp", &envs);
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
    let mut worker = Worker::spawn(
        "hold-temp",
        &[
            ("ATOMIC_IO_TARGET", target.display().to_string()),
            ("ATOMIC_IO_STRATEGY", "auto".to_string()),
        ],
    );
    let answer = worker.line();
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
// Failed writes
// ---------------------------------------------------------------------------------------

/// Yields some bytes, then fails, like a serializer that hits an error part-way.
struct FailingSource {
    left: usize,
}

impl Read for FailingSource {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 {
            return Err(io::Error::other("serializer failed"));
        }
        let n = buf.len().min(self.left);
        buf[..n].fill(b'n');
        self.left -= n;
        Ok(n)
    }
}

#[test]
fn failed_write_keeps_old_content_on_writer_error() {
    for strategy in STRATEGIES {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("todo.sdn");
        fs::write(&path, b"old content").unwrap();
        let options = Options::new().temp_strategy(strategy);

        // (a) The producer fails mid-stream; the caller drops the writer.
        let mut writer = options.open(&path).unwrap();
        let copied = io::copy(&mut FailingSource { left: 150_000 }, &mut writer);
        assert!(copied.is_err());
        drop(writer);
        assert_eq!(fs::read(&path).unwrap(), b"old content");
        assert_eq!(names_in(dir.path()), ["todo.sdn"], "{strategy:?}");

        // The rename step fails (the target is a non-empty directory): no temp remains.
        let occupied = dir.path().join("occupied");
        fs::create_dir(&occupied).unwrap();
        fs::write(occupied.join("inside"), b"x").unwrap();
        let error = options.write(&occupied, b"new").unwrap_err();
        assert_eq!(error.operation(), Operation::Rename);
        assert!(!error.target_changed());
        assert_eq!(error.path(), occupied);
        assert_eq!(
            names_in(dir.path()),
            ["occupied", "todo.sdn"],
            "{strategy:?}"
        );
        fs::remove_dir_all(&occupied).unwrap();

        // The directory does not exist: nothing is created.
        let error = options
            .write(dir.path().join("missing/file"), b"new")
            .unwrap_err();
        assert_eq!(error.operation(), Operation::OpenDir);
        assert!(!error.target_changed());
        assert_eq!(error.kind(), io::ErrorKind::NotFound);
    }
}

/// A mounted filesystem, unmounted (and its loop device released) when dropped, also
/// when the test fails.
struct Mount {
    point: PathBuf,
}

impl Mount {
    fn new(args: &[&str], point: &Path) -> Mount {
        let status = Command::new("mount")
            .args(args)
            .arg(point)
            .status()
            .unwrap();
        assert!(
            status.success(),
            "mount {args:?} {} failed",
            point.display()
        );
        Mount {
            point: point.to_path_buf(),
        }
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let unmounted = Command::new("umount").arg(&self.point).status();
        if !matches!(unmounted, Ok(status) if status.success()) {
            let _ = Command::new("umount").arg("-l").arg(&self.point).status();
        }
    }
}

#[test]
fn full_disk_keeps_old_content_and_leaves_no_temp() {
    if !is_root() {
        eprintln!("SKIPPED: full_disk_keeps_old_content_and_leaves_no_temp: needs root");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let point = dir.path().join("small");
    fs::create_dir(&point).unwrap();
    let _mount = Mount::new(&["-t", "tmpfs", "-o", "size=64k", "tmpfs"], &point);
    let target = point.join("todo.sdn");
    let old = version(7);
    let old = &old[..old.len().min(8 * 1024)];
    fs::write(&target, old).unwrap();

    // Fill the filesystem.
    let mut filler = fs::File::create(point.join("filler")).unwrap();
    let full = loop {
        if let Err(e) = filler.write_all(&[0u8; 4096]) {
            break e;
        }
    };
    assert_eq!(
        full.raw_os_error(),
        Some(rustix::io::Errno::NOSPC.raw_os_error())
    );

    let bigger = vec![b'n'; 32 * 1024];
    for strategy in STRATEGIES {
        let options = Options::new().temp_strategy(strategy);
        let error = options.write(&target, &bigger).unwrap_err();
        assert_eq!(error.operation(), Operation::WriteTemp, "{error}");
        assert!(!error.target_changed());
        assert_eq!(error.path(), target);
        assert_eq!(fs::read(&target).unwrap(), old);
        assert_eq!(names_in(&point), ["filler", "todo.sdn"], "{strategy:?}");

        // Streaming: the write fails; a commit that ignores it is refused.
        let mut writer = options.open(&target).unwrap();
        let write_error = writer.write_all(&vec![b'n'; 128 * 1024]).unwrap_err();
        assert_eq!(
            write_error.raw_os_error(),
            Some(rustix::io::Errno::NOSPC.raw_os_error())
        );
        let error = writer.commit().unwrap_err();
        assert_eq!(error.operation(), Operation::WriteTemp);
        assert!(!error.target_changed());
        assert_eq!(fs::read(&target).unwrap(), old);
        assert_eq!(names_in(&point), ["filler", "todo.sdn"], "{strategy:?}");
    }
}

// ---------------------------------------------------------------------------------------
// Concurrency and crashes
// ---------------------------------------------------------------------------------------

#[test]
fn two_processes_racing_never_tear_or_mix_contents() {
    let total = env_count("ATOMIC_IO_STRESS_ITERS", 2000).max(2);
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("shared.sdn");
    atomic_io::write(&target, vec![b'A'; 40 * 1024]).unwrap();

    let workers: Vec<Worker> = ["A", "B"]
        .iter()
        .map(|byte| {
            Worker::spawn(
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
    while workers
        .iter_mut()
        .any(|w| matches!(w.child.try_wait(), Ok(None)))
    {
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
        worker.wait_success();
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
    let kills = env_count("ATOMIC_IO_CRASH_KILLS", 100);
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("todo.sdn");
    atomic_io::write(&target, version(0)).unwrap();
    let mut rng = Rng::seeded();
    let mut last = 0;
    let mut left_temps = 0;
    for kill in 0..kills {
        let strategy = if kill % 2 == 0 { "auto" } else { "named" };
        let mut worker = Worker::spawn(
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

// ---------------------------------------------------------------------------------------
// Power loss
// ---------------------------------------------------------------------------------------

/// One power-loss run: a worker writes generations to a file on an ext4 loop image
/// (`noauto_da_alloc`, so ext4 does not hide missing flushes) and acknowledges each after
/// the call returns; at each crash point the image file is copied (it holds only what
/// reached the block device: unflushed page cache is lost, as in a power cut), the copy
/// is mounted (replaying the journal) and checked. Returns the descriptions of crash
/// points that lost an acknowledged write.
fn power_loss_run(durability: &str, crash_points: usize) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let image = dir.path().join("disk.img");
    let live = dir.path().join("live");
    let snapshot_mount = dir.path().join("snapshot");
    fs::create_dir(&live).unwrap();
    fs::create_dir(&snapshot_mount).unwrap();
    fs::File::create(&image)
        .unwrap()
        .set_len(16 * 1024 * 1024)
        .unwrap();
    let status = Command::new("mkfs.ext4")
        .args(["-q", "-F"])
        .arg(&image)
        .status()
        .expect("mkfs.ext4");
    assert!(status.success());
    let image_arg = image.display().to_string();
    let _live_mount = Mount::new(&["-o", "loop,noauto_da_alloc", &image_arg], &live);
    fs::create_dir(live.join("db")).unwrap();
    let target = live.join("db/gen.dat");
    // The setup itself (directory, first generation) is made durable by a full sync.
    fs::write(&target, version(0)).unwrap();
    assert!(Command::new("sync").status().unwrap().success());

    let mut worker = Worker::spawn(
        "power",
        &[
            ("ATOMIC_IO_TARGET", target.display().to_string()),
            ("ATOMIC_IO_DURABILITY", durability.to_string()),
        ],
    );
    let mut rng = Rng::seeded();
    let mut generation = 0;
    let mut losses = Vec::new();
    for point in 0..crash_points {
        // One to three writes between crash points.
        for _ in 0..1 + rng.below(3) {
            generation += 1;
            worker.send(&generation.to_string());
            assert_eq!(worker.line(), format!("ack {generation}"));
        }
        // Power cut now: the image holds what reached the device.
        let copy = dir.path().join("snapshot.img");
        fs::copy(&image, &copy).unwrap();
        let copy_arg = copy.display().to_string();
        let found = {
            let _mount = Mount::new(&["-o", "loop", &copy_arg], &snapshot_mount);
            fs::read(snapshot_mount.join("db/gen.dat"))
        };
        let verdict = match found {
            Err(e) => Err(format!("file missing: {e}")),
            Ok(bytes) => match check_version(&bytes) {
                Ok(got) if got >= generation => Ok(()),
                Ok(got) => Err(format!("holds generation {got}")),
                Err(e) => Err(format!("incomplete: {e}")),
            },
        };
        if let Err(why) = verdict {
            losses.push(format!(
                "crash point {point}: acknowledged {generation}, {why}"
            ));
        }
        fs::remove_file(&copy).unwrap();
    }
    worker.wait_success();
    losses
}

#[test]
fn power_loss_never_loses_an_acknowledged_durable_write() {
    if !is_root() {
        eprintln!("SKIPPED: power_loss_never_loses_an_acknowledged_durable_write: needs root");
        return;
    }
    let points = env_count("ATOMIC_IO_POWER_POINTS", 24).max(20);
    let losses = power_loss_run("durable", points);
    assert!(
        losses.is_empty(),
        "durable writes lost at power cuts: {losses:#?}"
    );
}

#[test]
fn power_loss_harness_catches_a_skipped_file_flush() {
    if !is_root() {
        eprintln!("SKIPPED: power_loss_harness_catches_a_skipped_file_flush: needs root");
        return;
    }
    let losses = power_loss_run("skip-file-flush", 6);
    eprintln!("skip-file-flush losses: {losses:#?}");
    assert!(
        !losses.is_empty(),
        "the harness did not notice the missing file flush"
    );
}

#[test]
fn power_loss_harness_catches_a_skipped_dir_flush() {
    if !is_root() {
        eprintln!("SKIPPED: power_loss_harness_catches_a_skipped_dir_flush: needs root");
        return;
    }
    let losses = power_loss_run("skip-dir-flush", 6);
    eprintln!("skip-dir-flush losses: {losses:#?}");
    assert!(
        !losses.is_empty(),
        "the harness did not notice the missing directory flush"
    );
}
