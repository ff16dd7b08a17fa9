//! The multi-process measurements and checks of `cargo xtask bench` and `cargo xtask
//! stress`, as a program of their own so that xtask runs them instead of linking the
//! crates they exercise.
//!
//! Each subcommand starts worker processes (this program again, as `multiprocess worker
//! ...`, see `bench_suite::workers`) through a coordinator of `bench_suite::coord` and
//! prints what they did. The measurements also store their rows in
//! `<results>/results.json` (`bench_suite::results::Stored`), keeping the other kinds'
//! rows, for `cargo xtask bench` to render into `docs/benchmarks.md`.
//!
//! Exit status: 0 when the run completed (and, for `stress`, nothing was lost or torn), 1
//! when `stress` found a lost update or a torn read, 2 when a run could not complete.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use bench_suite::coord::{
    IncrementReport, Spawner, run_contention, run_handoff, run_increments, run_replace,
};
use bench_suite::counter::MULTI_PAGE_SIZE;
use bench_suite::results::multiprocess::{
    CONTENTION_PROCS, CONTENTION_SIZE, REPLACE_SIZES, STORED_FILE,
};
use bench_suite::results::{ContentionRow, HandoffRow, ReplaceRow, Stored};
use bench_suite::workers::Design;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "multiprocess",
    about = "Multi-process measurements and checks (run by `cargo xtask bench` and `cargo xtask stress`)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// N processes x M increments of a shared counter under file-lock + atomic-io; fails
    /// on any lost update or torn read.
    Stress {
        /// Worker processes.
        #[arg(long)]
        procs: usize,
        /// Increments per process.
        #[arg(long)]
        iters: u64,
        /// Scratch directory for the counter file (created if missing).
        #[arg(long)]
        dir: PathBuf,
    },
    /// Durable replace, atomic-io and the bare syscall sequence interleaved, per size.
    Replace(Measure),
    /// Lock hand-off latency between two processes, file-lock and the baseline.
    Handoff(Measure),
    /// Read-modify-durable-write by 1, 2, 4, 8 processes: ours, ours without the lock,
    /// the baseline.
    Contention(Measure),
    /// A worker process of the others (internal).
    #[command(hide = true)]
    Worker {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
}

/// Where a measurement works and where it stores its rows.
#[derive(clap::Args)]
struct Measure {
    /// Scratch directory for the measured files (created if missing).
    #[arg(long)]
    dir: PathBuf,
    /// The results directory that holds `results.json`.
    #[arg(long)]
    results: PathBuf,
}

/// Seconds per contention point.
const CONTENTION_SECONDS: f64 = 3.0;
/// Hand-off rounds per lock design.
const HANDOFF_ROUNDS: usize = 400;
/// Rounds of the interleaved durable-replace measurement, per size.
const REPLACE_ROUNDS: usize = 200;

fn main() -> ExitCode {
    let outcome = match Cli::parse().command {
        Command::Stress { procs, iters, dir } => stress(procs, iters, &dir),
        Command::Replace(at) => measure(&at, |spawner, stored| {
            stored.replace = measure_replace(spawner, &at.dir)?;
            Ok(())
        }),
        Command::Handoff(at) => measure(&at, |spawner, stored| {
            stored.handoff = measure_handoff(spawner, &at.dir)?;
            Ok(())
        }),
        Command::Contention(at) => measure(&at, |spawner, stored| {
            stored.contention = measure_contention(spawner, &at.dir)?;
            Ok(())
        }),
        Command::Worker { args } => bench_suite::workers::run(&args).map(|()| true),
    };
    match outcome {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(err) => {
            eprintln!("multiprocess: error: {err}");
            ExitCode::from(2)
        }
    }
}

/// Runs one measurement and stores its rows with the other kinds' latest ones.
fn measure(
    at: &Measure,
    run: impl FnOnce(&Spawner, &mut Stored) -> Result<(), String>,
) -> Result<bool, String> {
    create_dir(&at.dir)?;
    let mut stored = Stored::load(&at.results);
    run(&Spawner::this_program(&["worker"])?, &mut stored)?;
    stored
        .save(&at.results)
        .map_err(|e| format!("write {}: {e}", at.results.join(STORED_FILE).display()))?;
    Ok(true)
}

fn create_dir(dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("create {}: {e}", dir.display()))
}

fn stress(procs: usize, iters: u64, dir: &Path) -> Result<bool, String> {
    create_dir(dir)?;
    println!("== stress: {procs} processes x {iters} increments under file-lock + atomic-io");
    let report = run_increments(
        &Spawner::this_program(&["worker"])?,
        Design::Ours,
        dir,
        procs,
        iters,
        MULTI_PAGE_SIZE,
    )?;
    print_report("ours", &report);
    let ok = report.lost == 0 && report.torn_reads == 0 && report.worker_torn_reads == 0;
    println!(
        "stress: counter {} (lost {}, torn {})",
        if ok { "PASS" } else { "FAIL" },
        report.lost,
        report.torn_reads + report.worker_torn_reads
    );
    Ok(ok)
}

fn print_report(label: &str, report: &IncrementReport) {
    println!("{label}");
    println!(
        "  workers x increments   {} x {}",
        report.workers, report.iters
    );
    println!("  expected total         {}", report.expected);
    println!("  final value            {}", report.final_value);
    println!("  lost updates           {}", report.lost);
    println!(
        "  torn reads (observer)  {} of {} reads",
        report.torn_reads, report.reads
    );
    println!("  torn reads (workers)   {}", report.worker_torn_reads);
    println!("  time                   {:.2} s", report.seconds);
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
