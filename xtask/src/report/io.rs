//! Section 1: durable replace (bench `io`).

use std::fmt::Write as _;

use bench_results::ReplaceRow;

use super::criterion::{CriterionResult, find};
use super::format::{duration, goal, not_measured};
use super::template::{Template, template};

const TEXT: Template = template!("io.md");

const IO_FUNCTIONS: &[(&str, &str)] = &[
    ("atomic_io", "atomic-io `write` (durable)"),
    (
        "bare_syscalls",
        "bare sequence: temp, fsync, rename, fsync dir",
    ),
    (
        "fs_write_not_durable",
        "`fs::write` (not durable, not atomic)",
    ),
    (
        "baseline_phase1_not_durable",
        "baseline phase 1 (not durable)",
    ),
];

pub fn section(md: &mut String, criterion: &[CriterionResult], interleaved: &[ReplaceRow]) {
    md.push_str(TEXT.text("heading"));
    let groups = [
        ("4 KiB", "durable_replace_4KiB"),
        ("40 KiB", "durable_replace_40KiB"),
    ];
    if !groups
        .iter()
        .any(|(_, g)| criterion.iter().any(|r| r.group == *g))
    {
        not_measured(md, "cargo xtask bench io");
        return;
    }
    md.push_str(&TEXT.fill(
        "criterion",
        &[("small", &groups[0].0), ("large", &groups[1].0)],
    ));
    for (function, label) in IO_FUNCTIONS {
        let cells: Vec<String> = groups
            .iter()
            .map(|(_, group)| {
                find(criterion, group, function).map_or("–".to_string(), |r| duration(r.mean_ns))
            })
            .collect();
        let _ = writeln!(md, "| {label} | {} | {} |", cells[0], cells[1]);
    }
    let _ = writeln!(md);
    for (size, group) in groups {
        if let (Some(ours), Some(bare)) = (
            find(criterion, group, "atomic_io"),
            find(criterion, group, "bare_syscalls"),
        ) {
            md.push_str(&TEXT.fill(
                "criterion_ratio",
                &[
                    ("size", &size),
                    ("mean_ratio", &format!("{:.2}", ours.mean_ns / bare.mean_ns)),
                    (
                        "median_ratio",
                        &format!("{:.2}", ours.median_ns / bare.median_ns),
                    ),
                ],
            ));
        }
    }
    if !interleaved.is_empty() {
        md.push_str(TEXT.text("interleaved"));
        for row in interleaved {
            let us = |v: f64| duration(v * 1e3);
            let ratio = row.ours_p50_us / row.bare_p50_us;
            md.push_str(&TEXT.fill(
                "interleaved_row",
                &[
                    ("kib", &(row.size / 1024)),
                    ("rounds", &row.rounds),
                    ("ours_p50", &us(row.ours_p50_us)),
                    ("bare_p50", &us(row.bare_p50_us)),
                    ("ours_mean", &us(row.ours_mean_us)),
                    ("bare_mean", &us(row.bare_mean_us)),
                    ("ours_p99", &us(row.ours_p99_us)),
                    ("bare_p99", &us(row.bare_p99_us)),
                    ("ratio", &format!("{ratio:.2}")),
                    ("goal", &goal(ratio <= 1.1)),
                ],
            ));
        }
    }
    md.push_str(TEXT.text("not_durable"));
}
