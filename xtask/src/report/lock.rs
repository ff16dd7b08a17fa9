//! Section 2: locks, uncontended and handed off between processes (bench `lock`).

use std::fmt::Write as _;

use bench_results::HandoffRow;

use super::criterion::{CriterionResult, find};
use super::format::{duration, goal, not_measured};
use super::template::{Template, template};

const TEXT: Template = template!("lock.md");

pub fn section(md: &mut String, criterion: &[CriterionResult], handoff: &[HandoffRow]) {
    md.push_str(TEXT.text("heading"));
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
        md.push_str(TEXT.text("uncontended"));
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
            md.push_str(&TEXT.fill(
                "uncontended_goal",
                &[
                    ("mean", &duration(r.mean_ns)),
                    ("goal", &goal(r.mean_ns <= 5_000.0)),
                ],
            ));
        }
    } else {
        not_measured(md, "cargo xtask bench lock");
    }

    md.push_str(TEXT.text("handoff_heading"));
    if handoff.is_empty() {
        not_measured(md, "cargo xtask bench lock");
        return;
    }
    md.push_str(TEXT.text("handoff"));
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
        md.push_str(&TEXT.fill(
            "handoff_goal",
            &[
                ("p50", &duration(ours.p50_us * 1e3)),
                ("goal", &goal(ours.p50_us < 200.0)),
            ],
        ));
    }
    md.push_str(TEXT.text("handoff_chart"));
}
