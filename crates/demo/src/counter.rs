//! Part 1 of the demo: a shared counter file.
//!
//! N worker processes (this program, re-run as `demo worker increment ...`) increment a
//! shared counter file M times each while a reader thread reads it continuously. The
//! counter is a multi-KiB record with a checksum, so a read of a half-written file is
//! caught. First the naive way (read, `fs::write`, no lock), then with file-lock held
//! across the read-modify-write and an atomic-io durable write.

use std::path::Path;

use bench_suite::coord::{IncrementReport, Spawner, run_increments};
use bench_suite::counter::MULTI_PAGE_SIZE as RECORD_SIZE;
use bench_suite::workers::Design;

use crate::table::print_table;

/// Runs part 1; Ok(false) when our design lost an update or tore a read.
pub fn run(dir: &Path, workers: usize, iters: u64) -> Result<bool, String> {
    let spawner = Spawner::this_program(&["worker"])?;
    println!("Part 1: a shared counter file");
    println!(
        "{workers} processes each add 1 to a {} KiB counter file {iters} times while this process keeps reading it.\n",
        RECORD_SIZE / 1024
    );
    let naive = run_increments(&spawner, Design::Naive, dir, workers, iters, RECORD_SIZE)?;
    let ours = run_increments(&spawner, Design::Ours, dir, workers, iters, RECORD_SIZE)?;
    let both = |cell: &dyn Fn(&IncrementReport) -> String| vec![cell(&naive), cell(&ours)];
    print_table(
        &["naive", "ours"],
        &[
            ("expected final value", both(&|r| r.expected.to_string())),
            ("actual final value", both(&|r| r.final_value.to_string())),
            ("lost updates", both(&|r| r.lost.to_string())),
            (
                "torn reads (this process)",
                both(&|r| format!("{} of {}", r.torn_reads, r.reads)),
            ),
            (
                "torn reads (workers)",
                both(&|r| r.worker_torn_reads.to_string()),
            ),
            ("time", both(&|r| format!("{:.2} s", r.seconds))),
        ],
    );
    println!("  naive: read, fs::write, no lock");
    println!("  ours:  file-lock held across read-modify-write + atomic-io durable write\n");
    let ok = ours.lost == 0 && ours.torn_reads == 0 && ours.worker_torn_reads == 0;
    if ok {
        println!(
            "Part 1: naive lost {} of {} updates and tore {} reads; ours lost none and tore none\n",
            naive.lost,
            naive.expected,
            naive.torn_reads + naive.worker_torn_reads
        );
    } else {
        println!(
            "Part 1: FAILED: ours lost {} updates and tore {} reads\n",
            ours.lost,
            ours.torn_reads + ours.worker_torn_reads
        );
    }
    Ok(ok)
}
