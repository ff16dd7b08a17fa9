//! `cargo xtask bench`: criterion benches of `crates/bench-suite` plus the multi-process
//! measurements (lock hand-off latency, read-modify-write under contention), then
//! `docs/benchmarks.md` and its plots, written by [`crate::report`] from the stored figures
//! (whose schemas are `bench_suite::results`).
//!
//! Multi-process figures are kept in `<target>/xtask-bench/results.json` so that a partial
//! run (`bench io`) still writes a complete report from the latest figures of each kind;
//! criterion keeps its own under `<target>/criterion`. The `sdn` and `store` benches store
//! what they measure outside criterion (interleaved runs, peak memory, contention between
//! processes) in `sdn.json` and `store.json` next to it (`BENCH_RESULTS_DIR`).
//! A section whose figures are in none of these (another checkout measured them) keeps its
//! text from the existing `docs/benchmarks.md` instead of turning into "Not measured yet".

use std::path::{Path, PathBuf};

use bench_suite::coord::{Spawner, run_contention, run_handoff, run_replace};
use bench_suite::results::multiprocess::{
    CONTENTION_PROCS, CONTENTION_SIZE, REPLACE_SIZES, STORED_FILE,
};
use bench_suite::results::{ContentionRow, HandoffRow, ReplaceRow, Stored};
use bench_suite::workers::Design;

use crate::{report, util};

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
/// Seconds per contention point.
const CONTENTION_SECONDS: f64 = 3.0;
/// Hand-off rounds per lock design.
const HANDOFF_ROUNDS: usize = 400;
/// Rounds of the interleaved durable-replace measurement, per size.
const REPLACE_ROUNDS: usize = 200;

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
        ok &= criterion_bench("files")?;
    }
    if wants(Which::Sync) {
        // Not a criterion bench either.
        ok &= criterion_bench("sync")?;
    }
    let mut stored = Stored::load(&results_dir());
    if wants(Which::Io) || wants(Which::Lock) || wants(Which::Contention) {
        let spawner = build_worker()?;
        let dir = util::scratch_dir("bench")?;
        if wants(Which::Io) {
            stored.replace = measure_replace(&spawner, &dir)?;
        }
        if wants(Which::Lock) {
            stored.handoff = measure_handoff(&spawner, &dir)?;
        }
        if wants(Which::Contention) {
            stored.contention = measure_contention(&spawner, &dir)?;
        }
        let dir = results_dir();
        stored
            .save(&dir)
            .map_err(|e| format!("write {}: {e}", dir.join(STORED_FILE).display()))?;
    }
    let docs = util::workspace_root().join("docs");
    report::render(&util::target_dir(), &docs)?;
    println!("bench: wrote {}", docs.join("benchmarks.md").display());
    Ok(ok)
}

fn criterion_bench(name: &str) -> Result<bool, String> {
    println!("\n==== bench {name}");
    let mut args = vec!["bench", "-p", "bench-suite", "--bench", name, "--"];
    args.extend_from_slice(CRITERION_ARGS);
    let mut command = util::cargo(args);
    command.env("BENCH_RESULTS_DIR", results_dir());
    util::run_plain(command)
}

/// Builds the `bench-worker` binary in release mode and returns how to start it.
fn build_worker() -> Result<Spawner, String> {
    println!("\n==== build bench-worker (release)");
    let built = util::run_plain(util::cargo([
        "build",
        "--release",
        "-p",
        "bench-suite",
        "--bin",
        "bench-worker",
    ]))?;
    if !built {
        return Err("building bench-worker failed".to_string());
    }
    let exe = util::target_dir().join("release").join("bench-worker");
    if !exe.exists() {
        return Err(format!("{} missing after the build", exe.display()));
    }
    Ok(Spawner::new(exe, &[]))
}

fn measure_replace(spawner: &Spawner, dir: &Path) -> Result<Vec<ReplaceRow>, String> {
    println!(
        "\n==== durable replace, atomic-io and bare sequence interleaved ({REPLACE_ROUNDS} rounds)"
    );
    let mut rows = Vec::new();
    for &size in REPLACE_SIZES {
        let report = run_replace(spawner, dir, size, REPLACE_ROUNDS)?;
        let us = |ns: u64| ns as f64 / 1e3;
        let row = ReplaceRow {
            size,
            rounds: report.atomic_io.count,
            ours_p50_us: us(report.atomic_io.p50_ns),
            ours_mean_us: us(report.atomic_io.mean_ns),
            ours_p99_us: us(report.atomic_io.p99_ns),
            bare_p50_us: us(report.bare.p50_ns),
            bare_mean_us: us(report.bare.mean_ns),
            bare_p99_us: us(report.bare.p99_ns),
        };
        println!(
            "{:>6} B: atomic-io p50 {:.0} µs mean {:.0} µs | bare p50 {:.0} µs mean {:.0} µs | ratio of medians {:.2}",
            size,
            row.ours_p50_us,
            row.ours_mean_us,
            row.bare_p50_us,
            row.bare_mean_us,
            row.ours_p50_us / row.bare_p50_us
        );
        rows.push(row);
    }
    Ok(rows)
}

fn measure_handoff(spawner: &Spawner, dir: &Path) -> Result<Vec<HandoffRow>, String> {
    println!("\n==== lock hand-off between two processes ({HANDOFF_ROUNDS} rounds each)");
    let mut rows = Vec::new();
    for design in [Design::Ours, Design::Baseline] {
        let report = run_handoff(spawner, design, dir, HANDOFF_ROUNDS)?;
        let us = |ns: u64| ns as f64 / 1e3;
        let row = HandoffRow {
            design: design.name().to_string(),
            rounds: report.latency.count,
            p50_us: us(report.latency.p50_ns),
            p95_us: us(report.latency.p95_ns),
            p99_us: us(report.latency.p99_ns),
            max_us: us(report.latency.max_ns),
        };
        println!(
            "{:<9} p50 {:>9.1} µs  p95 {:>9.1} µs  p99 {:>9.1} µs  max {:>9.1} µs",
            row.design, row.p50_us, row.p95_us, row.p99_us, row.max_us
        );
        rows.push(row);
    }
    Ok(rows)
}

fn measure_contention(spawner: &Spawner, dir: &Path) -> Result<Vec<ContentionRow>, String> {
    println!(
        "\n==== read-modify-write of a {} KiB file, {CONTENTION_SECONDS} s per point",
        CONTENTION_SIZE / 1024
    );
    let mut rows = Vec::new();
    for design in [Design::Ours, Design::OursAtomicOnly, Design::Baseline] {
        for &procs in CONTENTION_PROCS {
            let report = run_contention(
                spawner,
                design,
                dir,
                procs,
                CONTENTION_SECONDS,
                CONTENTION_SIZE,
            )?;
            let ms = |ns: u64| ns as f64 / 1e6;
            let row = ContentionRow {
                design: design.name().to_string(),
                procs,
                seconds: report.seconds,
                ops: report.ops,
                errors: report.errors,
                kept: report.final_value,
                lost: report.lost,
                ops_per_s: report.throughput(),
                kept_per_s: report.kept_per_second(),
                p50_ms: ms(report.latency.p50_ns),
                p95_ms: ms(report.latency.p95_ns),
                p99_ms: ms(report.latency.p99_ns),
                max_ms: ms(report.latency.max_ns),
            };
            println!(
                "{:<16} {procs} procs: {:>8.1} ops/s, kept {:>8.1}/s, lost {:>6}, errors {}, p50 {:.2} ms p95 {:.2} ms p99 {:.2} ms",
                row.design,
                row.ops_per_s,
                row.kept_per_s,
                row.lost,
                row.errors,
                row.p50_ms,
                row.p95_ms,
                row.p99_ms
            );
            if let Some(err) = &report.last_error {
                println!("          last error: {err}");
            }
            rows.push(row);
        }
    }
    Ok(rows)
}
