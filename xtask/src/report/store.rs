//! Section 5: record-store against the baseline, SQLite and rustbreak (bench `store`).

use std::fmt::Write as _;
use std::fs;

use bench_results::StoreResults;
use bench_results::store::{StoreContention, UpdateInterleaved};

use super::criterion::{CriterionResult, details_table, find};
use super::format::{duration, goal, not_measured};
use super::svg;
use super::template::{Template, template};

const TEXT: Template = template!("store.md");

/// A design of the store bench: key in `store.json`, criterion function ids for load and
/// for save / full cycle, label.
struct StoreDesign {
    key: &'static str,
    load: &'static str,
    save: &'static str,
    label: &'static str,
}

const STORE_DESIGNS: &[StoreDesign] = &[
    StoreDesign {
        key: "record_store",
        load: "record_store",
        save: "record_store_durable",
        label: "record-store (durable)",
    },
    StoreDesign {
        key: "baseline",
        load: "baseline",
        save: "baseline_not_durable",
        label: "baseline as planned (no flush)",
    },
    StoreDesign {
        key: "sqlite",
        load: "sqlite",
        save: "sqlite_wal_full",
        label: "SQLite (WAL, synchronous=FULL)",
    },
    StoreDesign {
        key: "rustbreak",
        load: "rustbreak",
        save: "rustbreak_in_place_fsync",
        label: "rustbreak (rewrite in place + fsync)",
    },
];

/// Key in `store.json` of the interleaved update's extra row: atomic-io's durable
/// replace of the same bytes, alone.
const TWO_FLUSH_REPLACE: &str = "two_flush_replace";

fn store_label(key: &str) -> &str {
    if key == TWO_FLUSH_REPLACE {
        return "two-flush replace alone (atomic-io, same bytes; no lock, parse or edit)";
    }
    STORE_DESIGNS
        .iter()
        .find(|d| d.key == key)
        .map_or(key, |d| d.label)
}

/// The baseline's own estimates (BASELINE.md, "The baseline's own performance
/// estimates"): never measured, quoted for comparison. Columns: no sync, phase 1..4.
const BASELINE_ESTIMATES: &[(&str, &str)] = &[
    ("load", "0.4 / 0.4 / 0.5 / 0.4 / 0.45 ms"),
    ("save", "1.5 / 1.7 / 2.0 / 1.5 / 1.8 ms"),
    ("cycle", "3.8 / 4.2 / 5.2 / 3.8 / 4.5 ms"),
    ("throughput", "263 / 238 / 192 / 263 / 222 per s"),
];

/// The version of `name` in the workspace's Cargo.lock.
fn locked_version(name: &str) -> Option<String> {
    let lock = fs::read_to_string(crate::util::workspace_root().join("Cargo.lock")).ok()?;
    let needle = format!("name = \"{name}\"");
    let mut lines = lock.lines();
    lines.find(|line| line.trim() == needle)?;
    let version = lines.next()?.trim().strip_prefix("version = ")?;
    Some(version.trim_matches('"').to_string())
}

pub fn section(md: &mut String, criterion: &[CriterionResult], store: &StoreResults) {
    md.push_str(TEXT.text("heading"));
    let results: Vec<&CriterionResult> = criterion
        .iter()
        .filter(|r| r.group.starts_with("store_"))
        .collect();
    if results.is_empty() && store.contention.is_none() {
        not_measured(md, "cargo xtask bench store");
        return;
    }
    let has_rustbreak = results.iter().any(|r| r.function.starts_with("rustbreak"));
    let designs: Vec<&StoreDesign> = STORE_DESIGNS
        .iter()
        .filter(|d| d.key != "rustbreak" || has_rustbreak)
        .collect();
    md.push_str(TEXT.text("intro"));
    match locked_version("rustbreak") {
        Some(version) if has_rustbreak => {
            md.push_str(&TEXT.fill("rustbreak_measured", &[("version", &version)]));
        }
        _ => md.push_str(TEXT.text("rustbreak_missing")),
    }
    criterion_tables(md, criterion, &designs);

    // Goal 1: the durable one-record update against SQLite's.
    md.push_str(TEXT.text("update_heading"));
    if let Some(update) = &store.update_interleaved {
        update_table(md, update);
    }
    let criterion_ratio = match (
        find(
            criterion,
            "store_save_one_record_todo",
            "record_store_durable",
        ),
        find(criterion, "store_save_one_record_todo", "sqlite_wal_full"),
    ) {
        (Some(ours), Some(sqlite)) => Some(ours.median_ns / sqlite.median_ns),
        _ => None,
    };
    let interleaved_p50_ratio = |design: &str| {
        let update = store.update_interleaved.as_ref()?;
        let row = update.designs.iter().find(|d| d.design == design)?;
        let sqlite = update.designs.iter().find(|d| d.design == "sqlite")?;
        Some(row.p50_ms / sqlite.p50_ms)
    };
    let interleaved_ratio = interleaved_p50_ratio("record_store");
    let floor_ratio = interleaved_p50_ratio(TWO_FLUSH_REPLACE);
    // The time left by the goal beyond the bare replace, and what record-store spends
    // there (lock, read, edit, cache), in ms.
    let p50 = |design: &str| {
        let update = store.update_interleaved.as_ref()?;
        Some(update.designs.iter().find(|d| d.design == design)?.p50_ms)
    };
    let floor_budget = match (p50("sqlite"), p50(TWO_FLUSH_REPLACE), p50("record_store")) {
        (Some(sqlite), Some(floor), Some(ours)) => Some((1.5 * sqlite - floor, ours - floor)),
        _ => None,
    };
    let update_goal = interleaved_ratio.or(criterion_ratio);

    // Goals 2 and 3: contention.
    let mut scaling = None;
    let mut lost_ours = None;
    if let Some(contention) = &store.contention {
        contention_table(md, contention);
        let point = |design: &str, procs: usize| {
            contention
                .rows
                .iter()
                .find(|r| r.design == design && r.procs == procs)
        };
        let max_procs = contention.rows.iter().map(|r| r.procs).max().unwrap_or(8);
        if let (Some(one), Some(many)) =
            (point("record_store", 1), point("record_store", max_procs))
        {
            scaling = Some((
                max_procs,
                many.ops_per_s / one.ops_per_s.max(f64::MIN_POSITIVE),
            ));
        }
        let ours: Vec<_> = contention
            .rows
            .iter()
            .filter(|r| r.design == "record_store")
            .collect();
        if !ours.is_empty() {
            lost_ours = Some(ours.iter().map(|r| r.lost.unwrap_or(r.ops)).sum::<u64>());
        }
        for design in ["baseline", "sqlite", "rustbreak"] {
            lost_updates(md, contention, design);
        }
        let estimates: Vec<String> = [(2, "70–80"), (4, "40–50"), (8, "10–15")]
            .iter()
            .filter_map(|(procs, estimate)| {
                let row = point("baseline", *procs)?;
                Some(TEXT.fill_inline(
                    "estimate",
                    &[
                        ("procs", procs),
                        ("estimate", estimate),
                        ("ops", &format!("{:.0}", row.ops_per_s)),
                        ("p50", &duration(row.p50_ms * 1e6)),
                        ("p99", &duration(row.p99_ms * 1e6)),
                    ],
                ))
            })
            .collect();
        if !estimates.is_empty() {
            md.push_str(&TEXT.fill("estimates", &[("estimates", &estimates.join("; "))]));
        }
        md.push_str(TEXT.text("contention_chart"));
    }

    md.push_str(TEXT.text("goals_heading"));
    match update_goal {
        Some(ratio) => {
            let source = if interleaved_ratio.is_some() {
                "interleaved medians"
            } else {
                "criterion medians"
            };
            let mut line = TEXT.fill_inline(
                "update_goal",
                &[
                    ("ratio", &format!("{ratio:.2}")),
                    ("source", &source),
                    ("goal", &goal(ratio <= 1.5)),
                ],
            );
            if let (Some(c), Some(_)) = (criterion_ratio, interleaved_ratio) {
                line.push_str(
                    &TEXT.fill_inline("update_goal_criterion", &[("ratio", &format!("{c:.2}"))]),
                );
            }
            let _ = writeln!(md, "{line}.");
            if let (Some(floor), Some((room, spent))) = (floor_ratio, floor_budget) {
                let spent = duration(spent * 1e6);
                let budget = if room > 0.0 {
                    TEXT.fill_inline(
                        "floor_room",
                        &[("room", &duration(room * 1e6)), ("spent", &spent)],
                    )
                } else {
                    TEXT.fill_inline("floor_out_of_reach", &[("spent", &spent)])
                };
                md.push_str(&TEXT.fill(
                    "floor",
                    &[("floor", &format!("{floor:.2}")), ("budget", &budget)],
                ));
            }
        }
        None => md.push_str(TEXT.text("update_goal_missing")),
    }
    match scaling {
        Some((procs, kept)) => md.push_str(&TEXT.fill(
            "scaling_goal",
            &[
                ("procs", &procs),
                ("percent", &format!("{:.0}", kept * 100.0)),
                ("goal", &goal(kept >= 0.7)),
            ],
        )),
        None => md.push_str(TEXT.text("scaling_goal_missing")),
    }
    match lost_ours {
        Some(lost) => {
            md.push_str(&TEXT.fill("lost_goal", &[("lost", &lost), ("goal", &goal(lost == 0))]))
        }
        None => md.push_str(TEXT.text("lost_goal_missing")),
    }
    md.push_str(TEXT.text("goals_end"));
    super::store_scaling::section(
        md,
        store.update_interleaved.as_ref(),
        store.update_overhead.as_ref(),
        store.scaling.as_ref(),
    );
    details_table(md, &results, "cargo xtask bench store");
}

/// The baseline's own table of load, save and full cycle, measured, and load and save of
/// all three databases: criterion means of each design.
fn criterion_tables(md: &mut String, criterion: &[CriterionResult], designs: &[&StoreDesign]) {
    let header = designs
        .iter()
        .map(|d| d.label)
        .collect::<Vec<_>>()
        .join(" | ");
    let columns = "---:|".repeat(designs.len());
    let cells = |group: &str, pick: fn(&StoreDesign) -> &'static str| -> Vec<Option<f64>> {
        designs
            .iter()
            .map(|d| find(criterion, group, pick(d)).map(|r| r.mean_ns))
            .collect()
    };
    let show = |values: &[Option<f64>], format: fn(f64) -> String| -> String {
        values
            .iter()
            .map(|v| v.map_or("–".to_string(), format))
            .collect::<Vec<_>>()
            .join(" | ")
    };
    let estimate = |key: &str| {
        BASELINE_ESTIMATES
            .iter()
            .find(|(k, _)| *k == key)
            .map_or("", |(_, v)| *v)
    };
    let cycle = cells("store_full_cycle_all_three", |d| d.save);
    let throughput: Vec<Option<f64>> = cycle.iter().map(|c| c.map(|ns| 1e9 / ns)).collect();
    md.push_str(&TEXT.fill(
        "baseline_table",
        &[
            ("designs", &header),
            ("columns", &columns),
            (
                "load",
                &show(&cells("store_load_todo", |d| d.load), duration),
            ),
            ("load_estimate", &estimate("load")),
            (
                "save",
                &show(&cells("store_save_one_record_todo", |d| d.save), duration),
            ),
            ("save_estimate", &estimate("save")),
            ("cycle", &show(&cycle, duration)),
            ("cycle_estimate", &estimate("cycle")),
            ("throughput", &show(&throughput, |v| format!("{v:.0}/s"))),
            ("throughput_estimate", &estimate("throughput")),
        ],
    ));
    md.push_str(&TEXT.fill("all_three", &[("designs", &header), ("columns", &columns)]));
    for (name, records) in [("todo", 150), ("feature", 40), ("task", 5)] {
        let load = cells(&format!("store_load_{name}"), |d| d.load);
        let save = cells(&format!("store_save_one_record_{name}"), |d| d.save);
        md.push_str(&TEXT.fill(
            "all_three_rows",
            &[
                ("name", &name),
                ("records", &records),
                ("load", &show(&load, duration)),
                ("save", &show(&save, duration)),
            ],
        ));
    }
    md.push('\n');
}

/// One line for `design`: its lost updates, failed attempts and unreadable final files
/// over all contention points.
fn lost_updates(md: &mut String, contention: &StoreContention, design: &str) {
    let rows: Vec<_> = contention
        .rows
        .iter()
        .filter(|r| r.design == design)
        .collect();
    if rows.is_empty() {
        return;
    }
    let lost: u64 = rows.iter().filter_map(|r| r.lost).sum();
    let ops: u64 = rows.iter().map(|r| r.ops).sum();
    let errors: u64 = rows.iter().map(|r| r.errors).sum();
    let unreadable = rows.iter().filter(|r| r.kept.is_none()).count();
    let mut line = TEXT.fill_inline(
        "lost",
        &[
            ("design", &store_label(design)),
            ("lost", &lost),
            ("ops", &ops),
            (
                "percent",
                &format!("{:.0}", 100.0 * lost as f64 / ops.max(1) as f64),
            ),
            ("errors", &errors),
        ],
    );
    // Backquotes in a message would end its code span early.
    let quoted = |error: &str| error.replace('`', "'");
    if unreadable > 0 {
        line.push_str(&TEXT.fill_inline(
            "unreadable",
            &[("unreadable", &unreadable), ("points", &rows.len())],
        ));
        if let Some(error) = rows.iter().find_map(|r| r.final_error.as_deref()) {
            line.push_str(&TEXT.fill_inline("final_error", &[("error", &quoted(error))]));
        }
    }
    if let Some(error) = rows.iter().rev().find_map(|r| r.last_error.as_deref()) {
        line.push_str(&TEXT.fill_inline("last_error", &[("error", &quoted(error))]));
    }
    let _ = writeln!(md, "{line}.");
}

fn update_table(md: &mut String, update: &UpdateInterleaved) {
    md.push_str(&TEXT.fill(
        "update_table",
        &[("rounds", &update.rounds), ("records", &update.records)],
    ));
    let sqlite = update
        .designs
        .iter()
        .find(|d| d.design == "sqlite")
        .map(|d| d.p50_ms);
    for row in &update.designs {
        let ratio = sqlite.map_or("–".to_string(), |s| {
            format!("{:.2}x", row.p50_ms / s.max(f64::MIN_POSITIVE))
        });
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {ratio} |",
            store_label(&row.design),
            duration(row.p50_ms * 1e6),
            duration(row.mean_ms * 1e6),
            duration(row.p99_ms * 1e6)
        );
    }
    let _ = writeln!(md);
}

fn contention_table(md: &mut String, contention: &StoreContention) {
    md.push_str(&TEXT.fill(
        "contention_table",
        &[
            ("records", &contention.records),
            ("seconds", &format!("{:.0}", contention.seconds)),
        ],
    ));
    for row in &contention.rows {
        let ms = |v: f64| duration(v * 1e6);
        let kept = row.kept.map_or("unreadable".to_string(), |k| {
            format!("{:.1}", k as f64 / contention.seconds)
        });
        let lost = row.lost.map_or("unknown".to_string(), |l| l.to_string());
        let _ = writeln!(
            md,
            "| {} | {} | {:.1} | {kept} | {lost} | {} | {} | {} | {} | {} |",
            store_label(&row.design),
            row.procs,
            row.ops_per_s,
            row.errors,
            ms(row.p50_ms),
            ms(row.p95_ms),
            ms(row.p99_ms),
            ms(row.max_ms)
        );
    }
    let _ = writeln!(md);
}

pub fn contention_chart(contention: &StoreContention) -> String {
    let mut series = Vec::new();
    for (color, design) in STORE_DESIGNS.iter().enumerate() {
        let rows: Vec<_> = contention
            .rows
            .iter()
            .filter(|r| r.design == design.key)
            .collect();
        if rows.is_empty() {
            continue;
        }
        series.push(svg::Series {
            label: design
                .label
                .split(" (")
                .next()
                .unwrap_or(design.label)
                .to_string(),
            points: rows.iter().map(|r| (r.procs, r.ops_per_s)).collect(),
            dashed: false,
            color,
        });
        if rows
            .iter()
            .any(|r| r.lost.unwrap_or(0) > 0 || r.kept.is_none())
        {
            series.push(svg::Series {
                label: format!(
                    "{} kept/s",
                    design.label.split(" (").next().unwrap_or(design.label)
                ),
                points: rows
                    .iter()
                    .map(|r| (r.procs, r.kept.unwrap_or(0) as f64 / contention.seconds))
                    .collect(),
                dashed: true,
                color,
            });
        }
    }
    svg::line_chart(
        &format!(
            "Read-modify-write of one record of todo_db ({} records)",
            contention.records
        ),
        "operations per second (log)",
        &series,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::criterion::tests::criterion_row;

    #[test]
    fn store_goals_are_computed_from_the_numbers() {
        let criterion = vec![
            criterion_row("store_save_one_record_todo", "record_store_durable", 4e6),
            criterion_row("store_save_one_record_todo", "sqlite_wal_full", 2e6),
            criterion_row("store_full_cycle_all_three", "record_store_durable", 10e6),
        ];
        let row = |design: &str, procs: usize, ops_per_s: f64, lost: u64| {
            bench_results::store::StoreContentionRow {
                design: design.to_string(),
                procs,
                ops: (ops_per_s * 2.0) as u64,
                errors: 0,
                last_error: None,
                kept: Some((ops_per_s * 2.0) as u64 - lost),
                final_error: None,
                lost: Some(lost),
                ops_per_s,
                p50_ms: 1.0,
                p95_ms: 2.0,
                p99_ms: 3.0,
                max_ms: 4.0,
            }
        };
        let store = StoreResults {
            update_interleaved: None,
            update_overhead: None,
            scaling: None,
            contention: Some(StoreContention {
                records: 150,
                seconds: 2.0,
                rows: vec![
                    row("record_store", 1, 100.0, 0),
                    row("record_store", 8, 60.0, 0),
                    row("baseline", 8, 500.0, 300),
                ],
            }),
        };
        let mut md = String::new();
        section(&mut md, &criterion, &store);
        assert!(
            md.contains("**2.00x** by criterion medians (goal ≤ 1.5x: **not met**)"),
            "{md}"
        );
        assert!(
            md.contains("keeps **60%** of its 1-process throughput (goal ≥ 70%: **not met**)"),
            "{md}"
        );
        assert!(
            md.contains("record-store over all contention points: **0** (goal 0: **met**)"),
            "{md}"
        );
        assert!(
            md.contains("| throughput (full cycles per second) | 100/s |"),
            "{md}"
        );
        assert!(md.contains("**300** lost updates"), "{md}");
    }
}
