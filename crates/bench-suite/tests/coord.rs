//! The coordinators against real `bench-worker` processes, at small scale.

use std::path::Path;

use bench_suite::coord::{Spawner, run_contention, run_handoff, run_increments};
use bench_suite::workers::Design;

fn spawner() -> Spawner {
    Spawner::new(Path::new(env!("CARGO_BIN_EXE_bench-worker")), &[])
}

#[test]
fn locked_increments_lose_nothing_and_never_tear() {
    let dir = tempfile::tempdir().unwrap();
    let report = run_increments(&spawner(), Design::Ours, dir.path(), 3, 30, 8192).unwrap();
    assert_eq!(report.expected, 90);
    assert_eq!(report.final_value, 90);
    assert_eq!(report.lost, 0);
    assert_eq!(report.torn_reads, 0);
    assert_eq!(report.worker_torn_reads, 0);
    assert!(report.reads > 0, "the observer read the file");
}

#[test]
fn naive_increments_are_counted_consistently() {
    // Whether the naive design loses updates in a given run depends on scheduling; what
    // must hold is the bookkeeping: final + lost = expected, and final <= expected.
    let dir = tempfile::tempdir().unwrap();
    let report = run_increments(&spawner(), Design::Naive, dir.path(), 2, 50, 4096).unwrap();
    assert!(report.final_value <= report.expected);
    assert_eq!(report.final_value + report.lost, report.expected);
}

#[test]
fn handoff_measures_every_round() {
    let dir = tempfile::tempdir().unwrap();
    let report = run_handoff(&spawner(), Design::Ours, dir.path(), 20).unwrap();
    assert_eq!(report.latency.count, 20);
    assert!(report.latency.p50_ns <= report.latency.p99_ns);
    assert!(report.latency.p99_ns <= report.latency.max_ns);
}

#[test]
fn contention_keeps_every_locked_increment() {
    let dir = tempfile::tempdir().unwrap();
    let report = run_contention(&spawner(), Design::Ours, dir.path(), 2, 0.5, 40 * 1024).unwrap();
    assert!(report.ops > 0);
    assert_eq!(report.errors, 0, "{:?}", report.last_error);
    assert_eq!(report.lost, 0);
    assert_eq!(report.final_value, report.ops);
    assert_eq!(report.latency.count as u64, report.ops);
}

#[test]
fn baseline_contention_reports_its_losses() {
    let dir = tempfile::tempdir().unwrap();
    let report =
        run_contention(&spawner(), Design::Baseline, dir.path(), 2, 0.5, 40 * 1024).unwrap();
    assert!(report.ops > 0);
    assert_eq!(report.final_value + report.lost, report.ops);
}

#[test]
fn interleaved_replace_times_both_methods() {
    let dir = tempfile::tempdir().unwrap();
    let report = bench_suite::coord::run_replace(&spawner(), dir.path(), 4096, 4).unwrap();
    assert_eq!(report.atomic_io.count, 4);
    assert_eq!(report.bare.count, 4);
    assert!(report.atomic_io.p50_ns > 0 && report.bare.p50_ns > 0);
}
