//! Coordinators: start worker processes, collect what they report, and summarise.

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;

use crate::clock::monotonic_ns;
use crate::counter;
use crate::stats::Summary;
use crate::workers::Design;

/// How to start a worker process: a program and the arguments that precede the worker's
/// own (for example the `multiprocess` binary with `worker`, or the `bench-worker` binary).
#[derive(Debug, Clone)]
pub struct Spawner {
    program: PathBuf,
    prefix: Vec<String>,
}

impl Spawner {
    /// Workers are started as `program prefix... kind --key value ...`.
    pub fn new(program: impl Into<PathBuf>, prefix: &[&str]) -> Spawner {
        Spawner {
            program: program.into(),
            prefix: prefix.iter().map(|s| s.to_string()).collect(),
        }
    }

    /// Workers are the running program itself, started as `<this program> prefix... kind
    /// ...` (a program that dispatches `prefix` to [`crate::workers::run`]).
    pub fn this_program(prefix: &[&str]) -> Result<Spawner, String> {
        let exe = std::env::current_exe().map_err(|e| format!("current exe: {e}"))?;
        Ok(Spawner::new(exe, prefix))
    }

    /// The command for one worker: `program prefix... kind --key value ...`.
    fn worker(&self, kind: &str, options: &[(&str, String)]) -> Command {
        let mut command = Command::new(&self.program);
        command.args(&self.prefix).arg(kind);
        for (key, value) in options {
            command.arg(format!("--{key}")).arg(value);
        }
        command
    }

    /// Starts a worker whose report is read from its stdout when it ends (for example
    /// with `Child::wait_with_output`).
    pub fn spawn_reporting(&self, kind: &str, options: &[(&str, String)]) -> Result<Child, String> {
        self.worker(kind, options)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("spawn {kind} worker: {e}"))
    }
}

fn field<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    text.split_whitespace()
        .find_map(|part| part.strip_prefix(key)?.strip_prefix('='))
}

fn parse_field(text: &str, key: &str) -> Result<u64, String> {
    field(text, key)
        .ok_or_else(|| format!("worker output has no {key}=: {text:?}"))?
        .trim()
        .parse()
        .map_err(|e| format!("{key}=: {e}"))
}

fn wait_output(child: Child, what: &str) -> Result<String, String> {
    let output = child
        .wait_with_output()
        .map_err(|e| format!("{what}: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "{what} failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    String::from_utf8(output.stdout).map_err(|e| format!("{what}: {e}"))
}

/// Writes a fresh counter record with value 0.
pub fn init_counter(path: &Path, size: usize) -> Result<(), String> {
    atomic_io::write(path, counter::encode(0, std::process::id(), size))
        .map_err(|e| format!("create {}: {e}", path.display()))
}

/// Reads the counter's final value.
pub fn read_counter(path: &Path) -> Result<u64, String> {
    let bytes = fs::read(path).map_err(|e| format!("read {}: {e}", path.display()))?;
    counter::decode(&bytes).ok_or_else(|| format!("{} is not a complete record", path.display()))
}

/// The result of [`run_increments`].
#[derive(Debug, Clone)]
pub struct IncrementReport {
    /// How the increments were done.
    pub design: Design,
    /// Worker processes.
    pub workers: usize,
    /// Increments per worker.
    pub iters: u64,
    /// `workers * iters`.
    pub expected: u64,
    /// The counter at the end.
    pub final_value: u64,
    /// `expected - final_value`: increments that were overwritten.
    pub lost: u64,
    /// Reads by the observer thread.
    pub reads: u64,
    /// Observer reads that were not one complete record.
    pub torn_reads: u64,
    /// Reads by the workers themselves that were not one complete record (and retried).
    pub worker_torn_reads: u64,
    /// Wall time in seconds.
    pub seconds: f64,
}

/// Runs `workers` processes that each increment a shared counter record of `size` bytes
/// `iters` times, while a thread of this process reads the file continuously and counts
/// reads that are not one complete record.
pub fn run_increments(
    spawner: &Spawner,
    design: Design,
    dir: &Path,
    workers: usize,
    iters: u64,
    size: usize,
) -> Result<IncrementReport, String> {
    let path = dir.join(format!("counter-{}.rec", design.name()));
    init_counter(&path, size)?;
    let stop = Arc::new(AtomicBool::new(false));
    let observer = {
        let stop = Arc::clone(&stop);
        let path = path.clone();
        thread::spawn(move || {
            let (mut reads, mut torn) = (0u64, 0u64);
            while !stop.load(Ordering::Relaxed) {
                reads += 1;
                match fs::read(&path) {
                    Ok(bytes) if counter::decode(&bytes).is_some() => {}
                    _ => torn += 1,
                }
            }
            (reads, torn)
        })
    };
    let start_ns = monotonic_ns() + 300_000_000;
    let started = std::time::Instant::now();
    let children: Result<Vec<Child>, String> = (0..workers)
        .map(|_| {
            spawner.spawn_reporting(
                "increment",
                &[
                    ("design", design.name().to_string()),
                    ("file", path.display().to_string()),
                    ("iters", iters.to_string()),
                    ("size", size.to_string()),
                    ("start-ns", start_ns.to_string()),
                ],
            )
        })
        .collect();
    let mut worker_torn_reads = 0;
    let mut failure = None;
    for child in children? {
        match wait_output(child, "increment worker") {
            Ok(text) => worker_torn_reads += parse_field(&text, "torn")?,
            Err(err) => failure = Some(err),
        }
    }
    let seconds = started.elapsed().as_secs_f64() - 0.3;
    stop.store(true, Ordering::Relaxed);
    let (reads, torn_reads) = observer.join().map_err(|_| "observer thread panicked")?;
    if let Some(err) = failure {
        return Err(err);
    }
    let final_value = read_counter(&path)?;
    let expected = workers as u64 * iters;
    Ok(IncrementReport {
        design,
        workers,
        iters,
        expected,
        final_value,
        lost: expected.saturating_sub(final_value),
        reads,
        torn_reads,
        worker_torn_reads,
        seconds: seconds.max(0.0),
    })
}

/// The result of [`run_contention`].
#[derive(Debug, Clone)]
pub struct ContentionReport {
    /// How each read-modify-write was done.
    pub design: Design,
    /// Worker processes.
    pub procs: usize,
    /// Measured seconds.
    pub seconds: f64,
    /// Read-modify-writes that reported success.
    pub ops: u64,
    /// Read-modify-writes that failed (for the baseline: its 10 s lock deadline).
    pub errors: u64,
    /// One failure message, if any.
    pub last_error: Option<String>,
    /// The counter at the end.
    pub final_value: u64,
    /// `ops - final_value`: successful increments that were overwritten.
    pub lost: u64,
    /// Latency of each successful operation.
    pub latency: Summary,
}

impl ContentionReport {
    /// Successful operations per second.
    pub fn throughput(&self) -> f64 {
        self.ops as f64 / self.seconds
    }

    /// Increments that survived per second.
    pub fn kept_per_second(&self) -> f64 {
        self.final_value as f64 / self.seconds
    }
}

/// Runs `procs` processes that read-modify-write one counter record of `size` bytes for
/// `seconds`, and summarises throughput, latency and lost updates.
pub fn run_contention(
    spawner: &Spawner,
    design: Design,
    dir: &Path,
    procs: usize,
    seconds: f64,
    size: usize,
) -> Result<ContentionReport, String> {
    let path = dir.join(format!("contention-{}-{procs}.rec", design.name()));
    init_counter(&path, size)?;
    let start_ns = monotonic_ns() + 300_000_000 + 50_000_000 * procs as u64;
    let children: Result<Vec<Child>, String> = (0..procs)
        .map(|_| {
            spawner.spawn_reporting(
                "contention",
                &[
                    ("design", design.name().to_string()),
                    ("file", path.display().to_string()),
                    ("size", size.to_string()),
                    ("start-ns", start_ns.to_string()),
                    ("seconds", seconds.to_string()),
                ],
            )
        })
        .collect();
    let (mut ops, mut errors, mut samples, mut last_error) = (0, 0, Vec::new(), None);
    for child in children? {
        let text = wait_output(child, "contention worker")?;
        ops += parse_field(&text, "ops")?;
        errors += parse_field(&text, "errors")?;
        if let Some(message) = text.lines().find_map(|l| l.strip_prefix("last_error=")) {
            last_error = Some(message.to_string());
        }
        let latencies = text
            .lines()
            .find_map(|line| line.strip_prefix("lat="))
            .ok_or("worker output has no lat= line")?;
        for value in latencies.split(',').filter(|v| !v.is_empty()) {
            samples.push(value.parse().map_err(|e| format!("lat=: {e}"))?);
        }
    }
    // A baseline save may still hold its lock file if a worker died; count what is there.
    let final_value = read_counter(&path)?;
    Ok(ContentionReport {
        design,
        procs,
        seconds,
        ops,
        errors,
        last_error,
        final_value,
        lost: ops.saturating_sub(final_value),
        latency: Summary::of(samples),
    })
}

/// The result of [`run_handoff`].
#[derive(Debug, Clone)]
pub struct HandoffReport {
    /// Which lock ([`Design::Ours`] is `file-lock`, [`Design::Baseline`] the lock file).
    pub design: Design,
    /// Time from the holder's release to the waiter's acquisition, per round.
    pub latency: Summary,
}

struct Peer {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Peer {
    fn start(spawner: &Spawner, design: Design, role: &str, path: &Path) -> Result<Peer, String> {
        let mut child = spawner
            .worker(
                "handoff",
                &[
                    ("design", design.name().to_string()),
                    ("role", role.to_string()),
                    ("file", path.display().to_string()),
                ],
            )
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("spawn {role}: {e}"))?;
        let stdin = child.stdin.take().ok_or("no stdin")?;
        let stdout = BufReader::new(child.stdout.take().ok_or("no stdout")?);
        Ok(Peer {
            child,
            stdin,
            stdout,
        })
    }

    fn send(&mut self, line: &str) -> Result<(), String> {
        writeln!(self.stdin, "{line}")
            .and_then(|()| self.stdin.flush())
            .map_err(|e| format!("send {line:?}: {e}"))
    }

    fn expect(&mut self, key: &str) -> Result<String, String> {
        let mut line = String::new();
        self.stdout
            .read_line(&mut line)
            .map_err(|e| format!("read: {e}"))?;
        let line = line.trim();
        if line == key || line.starts_with(&format!("{key}=")) {
            Ok(line.to_string())
        } else {
            Err(format!("expected {key}, worker said {line:?}"))
        }
    }

    fn finish(mut self) -> Result<(), String> {
        self.send("quit")?;
        drop(self.stdin);
        let status = self.child.wait().map_err(|e| e.to_string())?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("handoff worker exited with {status}"))
        }
    }
}

/// Measures lock hand-off between two processes: a holder holds the lock while a waiter
/// blocks on it; the holder records when it releases, the waiter when it acquires, for
/// `rounds` rounds.
pub fn run_handoff(
    spawner: &Spawner,
    design: Design,
    dir: &Path,
    rounds: usize,
) -> Result<HandoffReport, String> {
    let path = dir.join(format!("handoff-{}.rec", design.name()));
    fs::write(&path, b"").map_err(|e| format!("create {}: {e}", path.display()))?;
    let mut holder = Peer::start(spawner, design, "holder", &path)?;
    let mut waiter = Peer::start(spawner, design, "waiter", &path)?;
    let mut samples = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        holder.send("acquire")?;
        holder.expect("held")?;
        waiter.send("wait")?;
        waiter.expect("waiting")?;
        holder.send("release")?;
        let released = parse_field(&holder.expect("released")?, "released")?;
        let acquired = parse_field(&waiter.expect("acquired")?, "acquired")?;
        samples.push(acquired.saturating_sub(released));
    }
    holder.finish()?;
    waiter.finish()?;
    Ok(HandoffReport {
        design,
        latency: Summary::of(samples),
    })
}

/// The result of [`run_replace`]: interleaved durable-replace latencies.
#[derive(Debug, Clone)]
pub struct ReplaceReport {
    /// atomic-io `write`.
    pub atomic_io: Summary,
    /// The bare syscall sequence.
    pub bare: Summary,
}

/// Runs the interleaved durable-replace measurement ([`crate::replace::measure`]) in a
/// worker process (so it runs in the worker's build profile, normally release).
pub fn run_replace(
    spawner: &Spawner,
    dir: &Path,
    size: usize,
    rounds: usize,
) -> Result<ReplaceReport, String> {
    let child = spawner.spawn_reporting(
        "replace",
        &[
            ("dir", dir.display().to_string()),
            ("size", size.to_string()),
            ("rounds", rounds.to_string()),
        ],
    )?;
    let text = wait_output(child, "replace worker")?;
    let summary = |method: &str| -> Result<Summary, String> {
        Ok(Summary {
            count: parse_field(&text, &format!("{method}_count"))? as usize,
            p50_ns: parse_field(&text, &format!("{method}_p50_ns"))?,
            p95_ns: parse_field(&text, &format!("{method}_p95_ns"))?,
            p99_ns: parse_field(&text, &format!("{method}_p99_ns"))?,
            max_ns: parse_field(&text, &format!("{method}_max_ns"))?,
            mean_ns: parse_field(&text, &format!("{method}_mean_ns"))?,
        })
    };
    Ok(ReplaceReport {
        atomic_io: summary("ours")?,
        bare: summary("bare")?,
    })
}
