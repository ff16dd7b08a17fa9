//! Worker processes: each entry point is one process of a multi-process measurement.
//!
//! A worker is started as `<program> <prefix...> <kind> --key value ...` (see
//! [`crate::coord::Spawner`]) and reports on stdout, one `key=value` line per result, so
//! the coordinator can parse it. [`run`] dispatches on the kind.

use std::collections::HashMap;
use std::fs;
use std::io::{self, BufRead, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::clock::{monotonic_ns, sleep_until_ns};
use crate::counter;

/// How a read-modify-write of the shared counter file is done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Design {
    /// Read, `fs::write`, no lock: the status quo before phase 1.
    Naive,
    /// `file-lock` exclusive held across the whole read-modify-write, `atomic-io` durable
    /// write.
    Ours,
    /// Like [`Design::Ours`] but with `Durability::AtomicOnly` (no flushes): the same
    /// durability as the baseline, to separate the cost of locking from that of flushing.
    OursAtomicOnly,
    /// The baseline's phase 2: lock around the load, lock again around the save
    /// (phase-1 write, no flush).
    Baseline,
}

impl Design {
    /// The name used on command lines and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Design::Naive => "naive",
            Design::Ours => "ours",
            Design::OursAtomicOnly => "ours-atomic-only",
            Design::Baseline => "baseline",
        }
    }
}

impl FromStr for Design {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "naive" => Ok(Design::Naive),
            "ours" => Ok(Design::Ours),
            "ours-atomic-only" => Ok(Design::OursAtomicOnly),
            "baseline" => Ok(Design::Baseline),
            other => Err(format!(
                "unknown design {other:?} (naive, ours, ours-atomic-only, baseline)"
            )),
        }
    }
}

/// What one increment saw besides its result.
#[derive(Debug, Default, Clone, Copy)]
pub struct Increment {
    /// Reads that did not decode as a complete record and were retried (naive only).
    pub torn_retries: u64,
}

/// The file lock for `path` in our scheme (used by [`Design::Ours`] and
/// [`Design::OursAtomicOnly`]).
pub fn ours_lock(path: &Path) -> file_lock::FileLock {
    file_lock::FileLock::new(path)
}

/// Increments the counter in `path` once, the `design`'s way; `size` is the record size.
pub fn increment_once(
    design: Design,
    path: &Path,
    lock: &file_lock::FileLock,
    size: usize,
) -> Result<Increment, String> {
    let pid = std::process::id();
    match design {
        Design::Naive => {
            let mut torn_retries = 0;
            let value = loop {
                let bytes = fs::read(path).map_err(|e| format!("read {}: {e}", path.display()))?;
                match counter::decode(&bytes) {
                    Some(value) => break value,
                    // A naive program would have to retry too: there is nothing to parse.
                    None if torn_retries < 1_000_000 => torn_retries += 1,
                    None => return Err("counter never readable".to_string()),
                }
            };
            fs::write(path, counter::encode(value + 1, pid, size))
                .map_err(|e| format!("write {}: {e}", path.display()))?;
            Ok(Increment { torn_retries })
        }
        Design::Ours | Design::OursAtomicOnly => {
            let durability = if design == Design::Ours {
                atomic_io::Durability::Durable
            } else {
                atomic_io::Durability::AtomicOnly
            };
            let guard = lock.exclusive().map_err(|e| e.to_string())?;
            let bytes = fs::read(path).map_err(|e| format!("read {}: {e}", path.display()))?;
            let value = counter::decode(&bytes)
                .ok_or_else(|| format!("torn counter under lock in {}", path.display()))?;
            atomic_io::Options::new()
                .durability(durability)
                .write(path, counter::encode(value + 1, pid, size))
                .map_err(|e| e.to_string())?;
            guard.unlock().map_err(|e| e.to_string())?;
            Ok(Increment::default())
        }
        Design::Baseline => {
            let bytes = baseline::phase2::load_phase2(path).map_err(|e| format!("load: {e}"))?;
            let value = counter::decode(&bytes)
                .ok_or_else(|| format!("torn counter in {}", path.display()))?;
            baseline::phase2::save_phase2(path, &counter::encode(value + 1, pid, size))
                .map_err(|e| format!("save: {e}"))?;
            Ok(Increment::default())
        }
    }
}

/// Runs the worker named by `args[0]` with `--key value` options after it.
///
/// Kinds: `increment`, `contention`, `handoff` (see the coordinator functions in
/// [`crate::coord`]) and `replace` ([`crate::replace::measure`]).
pub fn run(args: &[String]) -> Result<(), String> {
    let (kind, rest) = args
        .split_first()
        .ok_or("worker kind missing (increment, contention, handoff)")?;
    let options = Options::parse(rest)?;
    match kind.as_str() {
        "increment" => increment_worker(&options),
        "contention" => contention_worker(&options),
        "handoff" => handoff_worker(&options),
        "replace" => replace_worker(&options),
        other => Err(format!("unknown worker kind {other:?}")),
    }
}

struct Options(HashMap<String, String>);

impl Options {
    fn parse(args: &[String]) -> Result<Options, String> {
        let mut map = HashMap::new();
        let mut iter = args.iter();
        while let Some(key) = iter.next() {
            let key = key
                .strip_prefix("--")
                .ok_or_else(|| format!("expected --option, got {key:?}"))?;
            let value = iter
                .next()
                .ok_or_else(|| format!("--{key} needs a value"))?;
            map.insert(key.to_string(), value.clone());
        }
        Ok(Options(map))
    }

    fn get<T: FromStr>(&self, key: &str) -> Result<T, String>
    where
        T::Err: std::fmt::Display,
    {
        let text = self.0.get(key).ok_or_else(|| format!("--{key} missing"))?;
        text.parse().map_err(|e| format!("--{key} {text:?}: {e}"))
    }
}

/// `increment --design D --file P --iters M --size S --start-ns T`: M increments, then
/// `ops=M torn=K`.
fn increment_worker(options: &Options) -> Result<(), String> {
    let design: Design = options.get("design")?;
    let path: PathBuf = options.get("file")?;
    let iters: u64 = options.get("iters")?;
    let size: usize = options.get("size")?;
    let lock = ours_lock(&path);
    sleep_until_ns(options.get("start-ns")?);
    let mut torn = 0;
    for _ in 0..iters {
        torn += increment_once(design, &path, &lock, size)?.torn_retries;
    }
    println!("ops={iters} torn={torn}");
    Ok(())
}

/// `contention --design D --file P --size S --start-ns T --seconds X`: increments until
/// the end time, then `ops=N errors=E` and `lat=` with every op's latency in ns.
fn contention_worker(options: &Options) -> Result<(), String> {
    let design: Design = options.get("design")?;
    let path: PathBuf = options.get("file")?;
    let size: usize = options.get("size")?;
    let start_ns: u64 = options.get("start-ns")?;
    let seconds: f64 = options.get("seconds")?;
    let end_ns = start_ns + (seconds * 1e9) as u64;
    let lock = ours_lock(&path);
    sleep_until_ns(start_ns);
    let mut latencies = Vec::new();
    let mut errors = 0u64;
    let mut last_error = String::new();
    loop {
        let began = monotonic_ns();
        if began >= end_ns {
            break;
        }
        match increment_once(design, &path, &lock, size) {
            Ok(_) => latencies.push(monotonic_ns() - began),
            Err(err) => {
                errors += 1;
                last_error = err;
            }
        }
    }
    let mut out = io::stdout().lock();
    let write = |out: &mut io::StdoutLock<'_>, text: String| {
        out.write_all(text.as_bytes())
            .map_err(|e| format!("stdout: {e}"))
    };
    write(
        &mut out,
        format!("ops={} errors={errors}\n", latencies.len()),
    )?;
    if !last_error.is_empty() {
        write(&mut out, format!("last_error={last_error}\n"))?;
    }
    let joined: Vec<String> = latencies.iter().map(u64::to_string).collect();
    write(&mut out, format!("lat={}\n", joined.join(",")))
}

/// `replace --dir D --size S --rounds R`: the interleaved durable-replace measurement;
/// prints `<method>_<stat>_ns=` fields for `ours` and `bare` (p50, p95, p99, max, mean).
fn replace_worker(options: &Options) -> Result<(), String> {
    let dir: PathBuf = options.get("dir")?;
    let result = crate::replace::measure(&dir, options.get("size")?, options.get("rounds")?)?;
    for (method, summary) in [("ours", result.atomic_io), ("bare", result.bare)] {
        println!(
            "{method}_p50_ns={} {method}_p95_ns={} {method}_p99_ns={} {method}_max_ns={} {method}_mean_ns={} {method}_count={}",
            summary.p50_ns,
            summary.p95_ns,
            summary.p99_ns,
            summary.max_ns,
            summary.mean_ns,
            summary.count
        );
    }
    Ok(())
}

/// `handoff --design ours|baseline --role holder|waiter --file P`: a line protocol on
/// stdin/stdout driven by [`crate::coord::run_handoff`].
///
/// Holder: `acquire` → takes the lock, prints `held`; `release` → sleeps 1 ms (so the
/// waiter is surely blocked), records the time, releases, prints `released=<ns>`.
/// Waiter: `wait` → prints `waiting`, blocks on the lock, records the time it got it,
/// releases, prints `acquired=<ns>`. Both stop at `quit` or end of input.
fn handoff_worker(options: &Options) -> Result<(), String> {
    let design: Design = options.get("design")?;
    let path: PathBuf = options.get("file")?;
    let role: String = options.get("role")?;
    let lock = ours_lock(&path);
    let stdin = io::stdin();
    let mut out = io::stdout();
    let mut say = |line: String| -> Result<(), String> {
        writeln!(out, "{line}")
            .and_then(|()| out.flush())
            .map_err(|e| format!("stdout: {e}"))
    };
    let mut held: Option<Held> = None;
    for line in stdin.lock().lines() {
        let line = line.map_err(|e| format!("stdin: {e}"))?;
        match (role.as_str(), line.trim()) {
            (_, "quit") => break,
            ("holder", "acquire") => {
                held = Some(Held::take(design, &path, &lock)?);
                say("held".to_string())?;
            }
            ("holder", "release") => {
                let taken = held.take().ok_or("release without acquire")?;
                std::thread::sleep(std::time::Duration::from_millis(1));
                let released = monotonic_ns();
                taken.release()?;
                say(format!("released={released}"))?;
            }
            ("waiter", "wait") => {
                say("waiting".to_string())?;
                let taken = Held::take(design, &path, &lock)?;
                let acquired = monotonic_ns();
                taken.release()?;
                say(format!("acquired={acquired}"))?;
            }
            (role, command) => return Err(format!("{role}: unknown command {command:?}")),
        }
    }
    Ok(())
}

enum Held {
    Ours(file_lock::LockGuard),
    Baseline(baseline::phase2::LockFile),
}

impl Held {
    fn take(design: Design, path: &Path, lock: &file_lock::FileLock) -> Result<Held, String> {
        match design {
            Design::Ours | Design::OursAtomicOnly => {
                lock.exclusive().map(Held::Ours).map_err(|e| e.to_string())
            }
            Design::Baseline => baseline::phase2::LockFile::acquire(path)
                .map(Held::Baseline)
                .map_err(|e| e.to_string()),
            Design::Naive => Err("the naive design has no lock".to_string()),
        }
    }

    fn release(self) -> Result<(), String> {
        match self {
            Held::Ours(guard) => guard.unlock().map_err(|e| e.to_string()),
            Held::Baseline(lock) => lock.release().map_err(|e| e.to_string()),
        }
    }
}
