//! The versioning section of `docs/benchmarks.md`, from `versioning.json` (written by
//! `crates/bench-suite/benches/versioning.rs`).

use std::fmt::Write as _;

use serde_json::Value;

use super::format::{duration, number_at};
use super::template::{Template, template};

const TEXT: Template = template!("versioning.md");

fn mib(bytes: Option<f64>) -> String {
    bytes.map_or_else(
        || "–".to_string(),
        |b| format!("{:.1} MiB", b / 1_048_576.0),
    )
}

fn kib(bytes: Option<f64>) -> String {
    bytes.map_or_else(|| "–".to_string(), |b| format!("{:.0} KiB", b / 1024.0))
}

/// Appends the section (a note when the bench has not run yet).
pub fn section(md: &mut String, results: Option<&Value>) {
    md.push_str(TEXT.text("heading"));
    let Some(results) = results else {
        super::format::not_measured(md, "cargo xtask bench versioning");
        return;
    };
    if let Some(update) = results.get("update") {
        let plain = number_at(update, &["plain_median_ns"]);
        let versioned = number_at(update, &["versioned_median_ns"]);
        let ratio = number_at(update, &["ratio"]);
        let number = |key: &str| number_at(update, &[key]).unwrap_or(0.0);
        md.push_str(&TEXT.fill(
            "update",
            &[
                ("records", &number("records")),
                ("bytes", &number("file_bytes")),
                ("rounds", &number("rounds")),
                ("plain", &plain.map_or("–".into(), duration)),
                ("versioned", &versioned.map_or("–".into(), duration)),
                ("ratio", &ratio.map_or("–".into(), |r| format!("{r:.2}x"))),
                (
                    "verdict",
                    &ratio.map_or("–", |r| if r <= 1.10 { "met" } else { "not met" }),
                ),
            ],
        ));
    }
    if let Some(merge) = results.get("merge") {
        merge_section(md, merge);
    }
}

fn merge_section(md: &mut String, merge: &Value) {
    let number = |key: &str| number_at(merge, &[key]).unwrap_or(0.0);
    md.push_str(&TEXT.fill(
        "merge",
        &[
            ("records", &number("records")),
            ("changed", &number("changed_each")),
            ("overlapping", &number("overlapping")),
            ("runs", &number("runs")),
        ],
    ));
    for (label, key) in [
        ("versioning (SDN text)", "versioning"),
        ("automerge", "automerge"),
    ] {
        let time =
            |mode: &str| number_at(merge, &[key, mode, "median_ns"]).map_or("–".into(), duration);
        let peak = |mode: &str| mib(number_at(merge, &[key, mode, "peak_growth_bytes"]));
        let _ = writeln!(
            md,
            "| {label} | {} | {} | {} | {} | {} | {} |",
            time("in_memory"),
            peak("in_memory"),
            time("disk_to_disk"),
            peak("disk_to_disk"),
            kib(number_at(merge, &[key, "bytes_on_disk"])),
            kib(number_at(merge, &[key, "zstd_bytes"])),
        );
    }
    md.push_str(&TEXT.fill(
        "merge_note",
        &[(
            "candidates",
            &number_at(merge, &["versioning", "conflict_candidates"]).unwrap_or(0.0),
        )],
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_stored_figures_with_the_goal_verdict() {
        let stored: Value = serde_json::from_str(
            r#"{"update": {"records": 150, "rounds": 200, "file_bytes": 21058,
                "plain_median_ns": 500000.0, "versioned_median_ns": 600000.0, "ratio": 1.2},
               "merge": {"records": 10000, "changed_each": 100, "overlapping": 20, "runs": 5,
                "versioning": {"in_memory": {"median_ns": 1.5e8, "peak_growth_bytes": 43814912},
                               "disk_to_disk": {"median_ns": 1.6e8, "peak_growth_bytes": null},
                               "bytes_on_disk": 1367128, "zstd_bytes": 40960,
                               "conflict_candidates": 20},
                "automerge": {"in_memory": {"median_ns": 8.0e6, "peak_growth_bytes": null},
                              "disk_to_disk": {"median_ns": 2.0e8, "peak_growth_bytes": 1048576},
                              "bytes_on_disk": 91354, "zstd_bytes": 90112}}}"#,
        )
        .unwrap();
        let mut md = String::new();
        section(&mut md, Some(&stored));
        assert!(
            md.contains("| 500.0 µs | 600.0 µs | 1.20x (not met) |"),
            "{md}"
        );
        assert!(
            md.contains("| versioning (SDN text) | 150.00 ms | 41.8 MiB | 160.00 ms | – | 1335 KiB | 40 KiB |"),
            "{md}"
        );
        assert!(
            md.contains("| automerge | 8.00 ms | – | 200.00 ms | 1.0 MiB | 89 KiB | 88 KiB |"),
            "{md}"
        );
        let mut empty = String::new();
        section(&mut empty, None);
        assert!(empty.contains("Not measured yet"));
    }
}
