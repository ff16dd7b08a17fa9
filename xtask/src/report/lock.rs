//! Section 2: locks, uncontended and handed off between processes (bench `lock`).

use std::fmt::Write as _;

use bench_suite::results::HandoffRow;

use super::criterion::{CriterionResult, find};
use super::format::{duration, goal, not_measured};

pub fn section(md: &mut String, criterion: &[CriterionResult], handoff: &[HandoffRow]) {
    let _ = writeln!(md, "## 2. Locks (bench `lock`)\n");
    let _ = writeln!(md, "### Uncontended lock + unlock (criterion)\n");
    let functions = [
        ("file_lock_exclusive", "file-lock exclusive"),
        ("file_lock_shared", "file-lock shared"),
        (
            "raw_flock_pair",
            "raw `flock` lock + unlock on an open fd (floor)",
        ),
        ("baseline_lock_file", "baseline lock file (create + delete)"),
    ];
    if criterion.iter().any(|r| r.group == "lock_unlock") {
        let _ = writeln!(md, "| lock | mean | median |\n|---|---:|---:|");
        for (function, label) in functions {
            if let Some(r) = find(criterion, "lock_unlock", function) {
                let _ = writeln!(
                    md,
                    "| {label} | {} | {} |",
                    duration(r.mean_ns),
                    duration(r.median_ns)
                );
            }
        }
        if let Some(r) = find(criterion, "lock_unlock", "file_lock_exclusive") {
            let _ = writeln!(
                md,
                "\nfile-lock exclusive lock + unlock: {} (goal ≤ 5 µs: {}). It opens the \
                 sidecar and consults the in-process table on every acquisition; the raw pair \
                 reuses one open descriptor.\n",
                duration(r.mean_ns),
                goal(r.mean_ns <= 5_000.0)
            );
        }
    } else {
        not_measured(md, "cargo xtask bench lock");
    }

    let _ = writeln!(md, "### Cross-process hand-off latency\n");
    if handoff.is_empty() {
        not_measured(md, "cargo xtask bench lock");
        return;
    }
    let _ = writeln!(
        md,
        "Process A holds the lock while process B blocks on it; A records `CLOCK_MONOTONIC` \
         just before it releases, B just after it acquires (the clock is shared by all \
         processes on Linux). Each round A holds for 1 ms after B reports it is waiting.\n"
    );
    let _ = writeln!(
        md,
        "| lock | rounds | p50 | p95 | p99 | max |\n|---|---:|---:|---:|---:|---:|"
    );
    for row in handoff {
        let label = if row.design == "ours" {
            "file-lock (blocking OFD lock)"
        } else {
            "baseline lock file (10 ms polling)"
        };
        let us = |v: f64| duration(v * 1e3);
        let _ = writeln!(
            md,
            "| {label} | {} | {} | {} | {} | {} |",
            row.rounds,
            us(row.p50_us),
            us(row.p95_us),
            us(row.p99_us),
            us(row.max_us)
        );
    }
    if let Some(ours) = handoff.iter().find(|r| r.design == "ours") {
        let _ = writeln!(
            md,
            "\nfile-lock hand-off p50 {} (goal < 200 µs: {}).",
            duration(ours.p50_us * 1e3),
            goal(ours.p50_us < 200.0)
        );
    }
    let _ = writeln!(md, "\n![hand-off latency](benchmarks-handoff.svg)\n");
}
