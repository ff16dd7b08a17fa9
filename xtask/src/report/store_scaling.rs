//! The "record-store at scale" part of `docs/benchmarks.md`'s store section: the
//! one-record update against the two-flush floor, inserting N records and peak memory,
//! from 150 to 150,000 records (`scaling` in `store.json`).

use std::fmt::Write as _;

use bench_results::store::{StoreScaling, UpdateInterleaved};

use super::format::duration;
use super::template::{Template, template};

const TEXT: Template = template!("store_scaling.md");

/// The goal for the 150-record update: at most this multiple of the two-flush floor.
const UPDATE_GOAL: f64 = 1.10;
/// The goal for peak memory, in file sizes.
const MEMORY_GOAL: f64 = 4.0;

fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "**not met**" }
}

/// Writes the subsection (nothing when neither measurement exists).
pub fn section(
    md: &mut String,
    interleaved: Option<&UpdateInterleaved>,
    overhead: Option<&UpdateInterleaved>,
    scaling: Option<&StoreScaling>,
) {
    if interleaved.is_none() && scaling.is_none() {
        return;
    }
    md.push_str(TEXT.text("heading"));
    if let Some(update) = interleaved {
        let p50 = |design: &str| {
            update
                .designs
                .iter()
                .find(|row| row.design == design)
                .map(|row| row.p50_ms)
        };
        if let (Some(ours), Some(floor)) = (p50("record_store"), p50("two_flush_replace")) {
            let ratio = ours / floor;
            md.push_str(&TEXT.fill(
                "update",
                &[
                    ("records", &update.records),
                    ("rounds", &update.rounds),
                    ("ours", &duration(ours * 1e6)),
                    ("floor", &duration(floor * 1e6)),
                    ("ratio", &format!("{ratio:.2}")),
                    ("goal", &format!("{UPDATE_GOAL:.2}")),
                    ("verdict", &verdict(ratio <= UPDATE_GOAL)),
                ],
            ));
        }
    }
    if let Some(overhead) = overhead {
        overhead_table(md, overhead);
    }
    let Some(scaling) = scaling else {
        return;
    };
    let memory_goal = format!("{MEMORY_GOAL:.0}");
    md.push_str(&TEXT.fill("table", &[("memory_goal", &memory_goal)]));
    for row in &scaling.rows {
        let peak = |x: f64| {
            let mib = x * row.file_bytes / (1024.0 * 1024.0);
            if x <= MEMORY_GOAL {
                format!("{x:.1}x ({mib:.1} MiB)")
            } else {
                format!("**{x:.1}x** ({mib:.1} MiB)")
            }
        };
        let _ = writeln!(
            md,
            "| {} | {:.0} KiB | {} ({}) | {} | {:.2}x | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            row.records,
            row.file_bytes / 1024.0,
            duration(row.update_p50_ms * 1e6),
            row.rounds.map_or("?".to_string(), |n| n.to_string()),
            duration(row.floor_p50_ms * 1e6),
            row.update_over_floor,
            duration(row.insert_ms * 1e6),
            duration(row.load_ms * 1e6),
            duration(row.cold_update_ms * 1e6),
            row.remove_ms
                .map_or("?".to_string(), |ms| duration(ms * 1e6)),
            peak(row.load_peak_x),
            peak(row.cold_update_peak_x),
            row.remove_peak_x.map_or("?".to_string(), peak),
            peak(row.insert_peak_x),
            row.records_peak_x
                .map_or("?".to_string(), |x| format!("{x:.1}x")),
        );
    }
    let worst = scaling
        .rows
        .iter()
        .map(|row| {
            row.load_peak_x
                .max(row.cold_update_peak_x)
                .max(row.insert_peak_x)
                .max(row.remove_peak_x.unwrap_or(0.0))
        })
        .fold(0.0, f64::max);
    md.push_str(&TEXT.fill(
        "memory_goal",
        &[
            ("memory_goal", &memory_goal),
            ("worst", &format!("{worst:.1}")),
            ("verdict", &verdict(worst <= MEMORY_GOAL)),
        ],
    ));
}

/// How each variant of the overhead measurement reads in the report.
const OVERHEAD_VARIANTS: [(&str, &str); 7] = [
    ("two_flush_replace", "two-flush replace alone (the floor)"),
    (
        "locked_replace",
        "the replace under file-lock's exclusive lock (with its holder record)",
    ),
    (
        "read_then_replace",
        "the replace after reading the whole file",
    ),
    (
        "locked_read_replace_stat",
        "lock, read, replace, then `stat` the new file: the system calls of a store commit around its replace",
    ),
    ("record_store", "record-store's one-record update"),
    (
        "replace_without_flushes",
        "the replace with no flush (atomic only)",
    ),
    (
        "record_store_without_flushes",
        "record-store's update with no flush (atomic only)",
    ),
];

/// The overhead measurement: each variant against the floor, and what the system calls
/// alone leave of the goal.
fn overhead_table(md: &mut String, overhead: &UpdateInterleaved) {
    let p50 = |variant: &str| {
        overhead
            .designs
            .iter()
            .find(|row| row.design == variant)
            .map(|row| row.p50_ms)
    };
    let Some(floor) = p50(OVERHEAD_VARIANTS[0].0).filter(|floor| *floor > 0.0) else {
        return;
    };
    md.push_str(&TEXT.fill("overhead", &[("rounds", &overhead.rounds)]));
    for (variant, label) in OVERHEAD_VARIANTS {
        if let Some(p50) = p50(variant) {
            let _ = writeln!(
                md,
                "| {label} | {} | {:.3}x |",
                duration(p50 * 1e6),
                p50 / floor
            );
        }
    }
    if let (Some(io), Some(ours)) = (p50("locked_read_replace_stat"), p50("record_store")) {
        let (io, ours) = (io / floor, ours / floor);
        md.push_str(&TEXT.fill(
            "overhead_end",
            &[
                ("io", &format!("{io:.3}")),
                ("goal", &format!("{UPDATE_GOAL:.2}")),
                ("left", &percent(UPDATE_GOAL - io)),
                ("cpu", &percent(ours - io)),
            ],
        ));
    }
    if let (Some(ours), Some(bare), Some(ours_bare)) = (
        p50("record_store"),
        p50("replace_without_flushes"),
        p50("record_store_without_flushes"),
    ) {
        md.push_str(&TEXT.fill(
            "overhead_unflushed",
            &[
                ("own", &duration((ours_bare - bare) * 1e6)),
                ("own_share", &percent((ours_bare - bare) / floor)),
                ("flushed", &duration((ours - floor) * 1e6)),
                ("flushed_share", &percent((ours - floor) / floor)),
            ],
        ));
    }
}

/// `fraction` (of the floor) as a percentage.
fn percent(fraction: f64) -> String {
    format!("{:.1}%", fraction * 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bench_results::store::{ScalingRow, UpdateRow};

    fn row(records: usize, peak: f64) -> ScalingRow {
        ScalingRow {
            records,
            file_bytes: 24_576.0,
            rounds: Some(100),
            update_p50_ms: 0.55,
            floor_p50_ms: 0.5,
            update_over_floor: 1.1,
            insert_ms: 3.0,
            load_ms: 1.0,
            cold_update_ms: 2.0,
            remove_ms: Some(4.0),
            records_peak_x: Some(0.9),
            remove_peak_x: Some(1.0),
            load_peak_x: peak,
            cold_update_peak_x: 1.0,
            insert_peak_x: 1.0,
        }
    }

    /// A 150-record update measurement of `rounds` rounds with these medians (ms).
    fn medians(rounds: usize, p50s: &[(&str, f64)]) -> UpdateInterleaved {
        UpdateInterleaved {
            records: 150,
            rounds,
            designs: p50s
                .iter()
                .map(|&(design, p50)| UpdateRow {
                    design: design.to_string(),
                    p50_ms: p50,
                    mean_ms: p50,
                    p99_ms: p50,
                })
                .collect(),
        }
    }

    #[test]
    fn goals_are_judged_from_the_figures() {
        let interleaved = medians(100, &[("record_store", 0.6), ("two_flush_replace", 0.5)]);
        let scaling = StoreScaling {
            rows: vec![row(150, 3.5), row(150_000, 10.5)],
        };
        let overhead = medians(
            400,
            &[
                ("two_flush_replace", 0.5),
                ("locked_replace", 0.505),
                ("read_then_replace", 0.51),
                ("locked_read_replace_stat", 0.525),
                ("record_store", 0.565),
                ("replace_without_flushes", 0.2),
                ("record_store_without_flushes", 0.245),
            ],
        );
        let mut md = String::new();
        section(&mut md, Some(&interleaved), Some(&overhead), Some(&scaling));
        assert!(
            md.contains("| two-flush replace alone (the floor) | 500.0 µs | 1.000x |"),
            "{md}"
        );
        assert!(
            md.contains("| record-store's one-record update | 565.0 µs | 1.130x |"),
            "{md}"
        );
        assert!(
            md.contains("the bare replace takes **1.050x** the floor's time"),
            "{md}"
        );
        assert!(
            md.contains("has 5.0% of the floor left, under the goal of 1.10x"),
            "{md}"
        );
        assert!(
            md.contains("record-store's update spends 8.0% of the floor beyond them here"),
            "{md}"
        );
        assert!(
            md.contains(
                "| record-store's update with no flush (atomic only) | 245.0 µs | 0.490x |"
            ),
            "{md}"
        );
        assert!(
            md.contains(
                "its own work takes 45.0 µs more than the replace's: 9.0% of the durable floor"
            ),
            "{md}"
        );
        assert!(
            md.contains("With the flushes, the update takes 65.0 µs (13.0%) more than the floor"),
            "{md}"
        );
        assert!(
            md.contains("**1.20x** the floor (goal ≤ 1.10x: **not met**)"),
            "{md}"
        );
        assert!(
            md.contains("| 150 | 24 KiB | 550.0 µs (100) | 500.0 µs | 1.10x | 3.00 ms |"),
            "{md}"
        );
        assert!(md.contains("| 3.5x (0.1 MiB) |"), "{md}");
        assert!(md.contains("| **10.5x** (0.2 MiB) |"), "{md}");
        assert!(md.contains("(worst here: 10.5x: **not met**)"), "{md}");

        let mut nothing = String::new();
        section(&mut nothing, None, None, None);
        assert!(nothing.is_empty());
    }
}
