//! `cargo xtask demo`: lost updates and torn reads, the naive way and ours.
//!
//! N worker processes (this binary, re-run as `xtask worker increment ...`) increment a
//! shared counter file M times each while a reader thread reads it continuously. The
//! counter is a multi-KiB record with a checksum, so a read of a half-written file is
//! caught. First the naive way (read, `fs::write`, no lock), then with file-lock held
//! across the read-modify-write and an atomic-io durable write.

use bench_suite::coord::{IncrementReport, Spawner, run_increments};
use bench_suite::workers::Design;

use crate::util;

/// The size of the demo's counter record: several pages, so tearing is visible.
pub const RECORD_SIZE: usize = 8 * 1024;

/// A spawner that re-runs this binary as a worker.
pub fn self_spawner() -> Result<Spawner, String> {
    let exe = std::env::current_exe().map_err(|e| format!("current exe: {e}"))?;
    Ok(Spawner::new(exe, &["worker"]))
}

/// Prints one run's figures.
pub fn print_report(label: &str, report: &IncrementReport) {
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

/// Runs the demo; Ok(false) when our design lost an update or tore a read.
pub fn run(workers: usize, iters: u64) -> Result<bool, String> {
    let dir = util::scratch_dir("demo")?;
    let spawner = self_spawner()?;
    println!(
        "demo: {workers} processes each increment a shared {} KiB counter file {iters} times\n",
        RECORD_SIZE / 1024
    );
    let naive = run_increments(&spawner, Design::Naive, &dir, workers, iters, RECORD_SIZE)?;
    print_report("naive: read, fs::write, no lock", &naive);
    println!();
    let ours = run_increments(&spawner, Design::Ours, &dir, workers, iters, RECORD_SIZE)?;
    print_report(
        "ours: file-lock across read-modify-write + atomic-io durable write",
        &ours,
    );
    println!();
    let ok = ours.lost == 0 && ours.torn_reads == 0 && ours.worker_torn_reads == 0;
    if ok {
        println!(
            "demo: naive lost {} of {} updates and tore {} reads; ours lost none and tore none",
            naive.lost,
            naive.expected,
            naive.torn_reads + naive.worker_torn_reads
        );
    } else {
        println!(
            "demo: FAILED: ours lost {} updates and tore {} reads",
            ours.lost,
            ours.torn_reads + ours.worker_torn_reads
        );
    }
    Ok(ok)
}
