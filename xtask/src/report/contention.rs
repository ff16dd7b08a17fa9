//! Section 3: read-modify-durable-write of one file by 1 to 8 processes (bench
//! `contention`).

use std::fmt::Write as _;

use bench_suite::results::ContentionRow;
use bench_suite::results::multiprocess::{CONTENTION_PROCS, CONTENTION_SIZE};

use super::format::{duration, goal, not_measured};

pub fn section(md: &mut String, rows: &[ContentionRow]) {
    let _ = writeln!(
        md,
        "## 3. Read-modify-durable-write under contention (bench `contention`)\n"
    );
    if rows.is_empty() {
        not_measured(md, "cargo xtask bench contention");
        return;
    }
    let _ = writeln!(
        md,
        "1, 2, 4 and 8 processes each repeatedly read a {} KiB record file, increment the \
         counter embedded in it and write it back, for {:.0} s per point. **Ours**: \
         file-lock exclusive held across read-modify-write, atomic-io durable write (two \
         flushes). **Ours, atomic only**: the same with `Durability::AtomicOnly` (no flushes, \
         the baseline's durability), to separate the price of locking from the price of \
         flushing. **Baseline**: phase 2 as planned: lock file around the load, lock file \
         again around the save (phase-1 write, no flush). *Kept* is the final counter: \
         increments that survived; *lost* = successful operations − kept.\n",
        CONTENTION_SIZE / 1024,
        rows[0].seconds
    );
    let _ = writeln!(
        md,
        "| design | procs | ops/s | kept/s | lost | errors | p50 | p95 | p99 | max |"
    );
    let _ = writeln!(md, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for row in rows {
        let ms = |v: f64| duration(v * 1e6);
        let _ = writeln!(
            md,
            "| {} | {} | {:.1} | {:.1} | {} | {} | {} | {} | {} | {} |",
            row.design,
            row.procs,
            row.ops_per_s,
            row.kept_per_s,
            row.lost,
            row.errors,
            ms(row.p50_ms),
            ms(row.p95_ms),
            ms(row.p99_ms),
            ms(row.max_ms)
        );
    }
    let point =
        |design: &str, procs: usize| rows.iter().find(|r| r.design == design && r.procs == procs);
    let max_procs = CONTENTION_PROCS.iter().copied().max().unwrap_or(8);
    let _ = writeln!(md);
    if let (Some(one), Some(many)) = (point("ours", 1), point("ours", max_procs)) {
        let kept = many.ops_per_s / one.ops_per_s;
        let _ = writeln!(
            md,
            "- ours at {max_procs} processes keeps **{:.0}%** of its 1-process throughput \
             (goal ≥ 70%: {}).",
            kept * 100.0,
            goal(kept >= 0.7)
        );
    }
    if let (Some(ours), Some(base)) = (point("ours", max_procs), point("baseline", max_procs)) {
        let raw = ours.ops_per_s / base.ops_per_s.max(f64::MIN_POSITIVE);
        let kept = ours.kept_per_s / base.kept_per_s.max(f64::MIN_POSITIVE);
        let _ = writeln!(
            md,
            "- at {max_procs} processes ours / baseline = **{raw:.2}x** in operations per \
             second and **{kept:.2}x** in increments kept per second (goal ≥ 10x: {}).",
            goal(raw >= 10.0)
        );
    }
    let _ = writeln!(
        md,
        "  Ours pays two flushes per operation (the durable replace of section 1) and the \
         baseline none, so on a disk where a flush costs milliseconds the durable variant \
         cannot be 10x faster than a design that never flushes; the comparison at equal \
         durability follows."
    );
    if let (Some(ours), Some(base)) = (
        point("ours-atomic-only", max_procs),
        point("baseline", max_procs),
    ) {
        let raw = ours.ops_per_s / base.ops_per_s.max(f64::MIN_POSITIVE);
        let kept = ours.kept_per_s / base.kept_per_s.max(f64::MIN_POSITIVE);
        let _ = writeln!(
            md,
            "- at equal durability (no flushes), ours-atomic-only / baseline at {max_procs} \
             processes = **{raw:.2}x** in operations per second and **{kept:.2}x** in \
             increments kept per second."
        );
    }
    let estimates: Vec<String> = CONTENTION_PROCS
        .iter()
        .filter_map(|procs| {
            let estimate = match procs {
                2 => "70–80",
                4 => "40–50",
                8 => "10–15",
                _ => return None,
            };
            let row = point("baseline", *procs)?;
            Some(format!(
                "{procs} processes: estimated {estimate} ops/s, measured {:.0} ops/s of which \
                 {:.0}/s kept",
                row.ops_per_s, row.kept_per_s
            ))
        })
        .collect();
    if !estimates.is_empty() {
        let _ = writeln!(
            md,
            "- the baseline's own (never measured) estimates against this run: {}.",
            estimates.join("; ")
        );
    }
    let lost_ours: u64 = rows
        .iter()
        .filter(|r| r.design == "ours")
        .map(|r| r.lost)
        .sum();
    let lost_base: u64 = rows
        .iter()
        .filter(|r| r.design == "baseline")
        .map(|r| r.lost)
        .sum();
    let _ = writeln!(
        md,
        "- lost updates over all points: ours (both variants) **{lost_ours}**, baseline \
         **{lost_base}**."
    );
    let _ = writeln!(
        md,
        "\n![contention throughput](benchmarks-contention.svg)\n"
    );
}
