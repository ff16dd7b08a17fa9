//! `cargo xtask bench`: criterion benches of `crates/bench-suite` plus the multi-process
//! measurements (durable replace, lock hand-off latency, read-modify-write under
//! contention: bench-suite's `multiprocess` program), then `docs/benchmarks.md` and its
//! plots, written by [`crate::report`] from the stored figures (whose schemas are the
//! `bench-results` crate's).
//!
//! Multi-process figures are kept in `<target>/xtask-bench/results.json` so that a partial
//! run (`bench io`) still writes a complete report from the latest figures of each kind;
//! criterion keeps its own under `<target>/criterion`. The `sdn` and `store` benches store
//! what they measure outside criterion (interleaved runs, peak memory, contention between
//! processes) in `sdn.json` and `store.json` next to it (`BENCH_RESULTS_DIR`).
//! A section whose figures are in none of these (another checkout measured them) keeps its
//! text from the existing `docs/benchmarks.md` instead of turning into "Not measured yet".

use std::path::PathBuf;
use std::process::Command;

use crate::report;
use crate::util::{self, Program};

/// Which benchmarks to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Which {
    /// Durable replace: atomic-io vs bare syscalls vs fs::write vs baseline phase 1.
    Io,
    /// Uncontended lock+unlock, and cross-process hand-off latency.
    Lock,
    /// Read-modify-durable-write by 1, 2, 4, 8 processes: ours vs baseline phase 2.
    Contention,
    /// The SDN codec benches.
    Sdn,
    /// The record-store benches: record-store, baseline, SQLite, rustbreak; contention.
    Store,
    /// The versioning benches: versioned vs plain update; whole-store merge vs automerge.
    Versioning,
    /// Content files (cloud-sync) against s3s-fs: upload and download vs raw PUT / GET.
    Files,
    /// Database sync (cloud-sync) against s3s-fs: push and pull vs raw PUT / GET, the
    /// requests of an unchanged push, a merging pull.
    Sync,
    /// Everything.
    All,
    /// Nothing new: rewrite docs/benchmarks.md from the latest stored figures (its date
    /// from `SOURCE_DATE_EPOCH` when set, so renderings compare byte for byte).
    Report,
}

/// Criterion settings that keep a full run within minutes on 2 cores.
const CRITERION_ARGS: &[&str] = &["--warm-up-time", "1", "--measurement-time", "3", "--noplot"];

/// The multi-process measurements, built like the benches: optimised.
const MULTIPROCESS: Program = Program {
    package: "bench-suite",
    bin: "multiprocess",
    release: true,
};

fn results_dir() -> PathBuf {
    util::target_dir().join("xtask-bench")
}

/// Runs the chosen benchmarks and rewrites the report; Ok(false) if a bench failed.
pub fn run(which: Which) -> Result<bool, String> {
    let wants = |kind: Which| which == kind || which == Which::All;
    let mut ok = true;
    if wants(Which::Io) {
        ok &= criterion_bench("io")?;
    }
    if wants(Which::Lock) {
        ok &= criterion_bench("lock")?;
    }
    if wants(Which::Sdn) {
        if util::exists("crates/bench-suite/benches/sdn.rs") {
            ok &= criterion_bench("sdn")?;
        } else {
            println!("bench: crates/bench-suite/benches/sdn.rs does not exist yet; sdn skipped");
        }
    }
    if wants(Which::Store) {
        if util::exists("crates/bench-suite/benches/store.rs") {
            ok &= criterion_bench("store")?;
        } else {
            println!(
                "bench: crates/bench-suite/benches/store.rs does not exist yet; store skipped"
            );
        }
    }
    if wants(Which::Versioning) {
        ok &= criterion_bench("versioning")?;
    }
    if wants(Which::Files) {
        // Not a criterion bench: it ignores the criterion arguments.
        ok &= server_bench("files")?;
    }
    if wants(Which::Sync) {
        // Not a criterion bench either.
        ok &= server_bench("sync")?;
    }
    let measurements = [
        (Which::Io, "replace"),
        (Which::Lock, "handoff"),
        (Which::Contention, "contention"),
    ];
    let wanted: Vec<&str> = measurements
        .iter()
        .filter(|(kind, _)| wants(*kind))
        .map(|(_, measurement)| *measurement)
        .collect();
    if !wanted.is_empty() {
        ok &= between_processes(&wanted).unwrap_or_else(|err| {
            println!("bench: {err}");
            false
        });
    }
    let docs = util::workspace_root().join("docs");
    report::render(&util::target_dir(), &docs)?;
    println!("bench: wrote {}", docs.join("benchmarks.md").display());
    Ok(ok)
}

/// Runs `multiprocess <measurement>` for each of `measurements`; it prints its figures and
/// stores them in the results directory. Ok(false) if one failed (it said why).
fn between_processes(measurements: &[&str]) -> Result<bool, String> {
    println!("\n==== build multiprocess (release)");
    let exe = MULTIPROCESS.build(false)?;
    let dir = util::scratch_dir("bench")?;
    let mut ok = true;
    for measurement in measurements {
        let mut command = Command::new(&exe);
        command
            .arg(measurement)
            .arg("--dir")
            .arg(&dir)
            .arg("--results")
            .arg(results_dir());
        ok &= util::run_unannounced(command)?;
    }
    Ok(ok)
}

fn criterion_bench(name: &str) -> Result<bool, String> {
    util::run_plain(bench_command(name))
}

/// A bench that starts an S3 server and creates thousands of files (its and the server's)
/// in scratch directories under `target/`, not in `/tmp`: on a machine whose `/tmp` has
/// churned through many files, creating one there was measured 15 to 40 times slower than
/// elsewhere on the same disk, which timed the directory instead of the code.
fn server_bench(name: &str) -> Result<bool, String> {
    let mut command = bench_command(name);
    command.env("TMPDIR", util::scratch_dir(&format!("bench-{name}"))?);
    util::run_plain(command)
}

fn bench_command(name: &str) -> Command {
    println!("\n==== bench {name}");
    let mut args = vec!["bench", "-p", "bench-suite", "--bench", name, "--"];
    args.extend_from_slice(CRITERION_ARGS);
    let mut command = util::cargo(args);
    command.env("BENCH_RESULTS_DIR", results_dir());
    command
}
