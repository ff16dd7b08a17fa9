//! Section 3: read-modify-durable-write of one file by 1 to 8 processes (bench
//! `contention`).

use std::fmt::Write as _;

use bench_results::ContentionRow;
use bench_results::multiprocess::{CONTENTION_PROCS, CONTENTION_SIZE};

use super::format::{duration, goal, not_measured};
use super::template::{Template, template};

const TEXT: Template = template!("contention.md");

pub fn section(md: &mut String, rows: &[ContentionRow]) {
    md.push_str(TEXT.text("heading"));
    if rows.is_empty() {
        not_measured(md, "cargo xtask bench contention");
        return;
    }
    md.push_str(&TEXT.fill(
        "table",
        &[
            ("kib", &(CONTENTION_SIZE / 1024)),
            ("seconds", &format!("{:.0}", rows[0].seconds)),
        ],
    ));
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
        md.push_str(&TEXT.fill(
            "scaling_goal",
            &[
                ("procs", &max_procs),
                ("percent", &format!("{:.0}", kept * 100.0)),
                ("goal", &goal(kept >= 0.7)),
            ],
        ));
    }
    // Ours against the baseline at the most processes, by operations and by increments kept.
    let against_baseline = |design: &str| {
        let (ours, base) = (point(design, max_procs)?, point("baseline", max_procs)?);
        let raw = ours.ops_per_s / base.ops_per_s.max(f64::MIN_POSITIVE);
        let kept = ours.kept_per_s / base.kept_per_s.max(f64::MIN_POSITIVE);
        Some((raw, kept))
    };
    if let Some((raw, kept)) = against_baseline("ours") {
        md.push_str(&TEXT.fill(
            "against_baseline",
            &[
                ("procs", &max_procs),
                ("raw", &format!("{raw:.2}")),
                ("kept", &format!("{kept:.2}")),
                ("goal", &goal(raw >= 10.0)),
            ],
        ));
    }
    md.push_str(TEXT.text("flush_price"));
    if let Some((raw, kept)) = against_baseline("ours-atomic-only") {
        md.push_str(&TEXT.fill(
            "equal_durability",
            &[
                ("procs", &max_procs),
                ("raw", &format!("{raw:.2}")),
                ("kept", &format!("{kept:.2}")),
            ],
        ));
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
            Some(TEXT.fill_inline(
                "estimate",
                &[
                    ("procs", procs),
                    ("estimate", &estimate),
                    ("ops", &format!("{:.0}", row.ops_per_s)),
                    ("kept", &format!("{:.0}", row.kept_per_s)),
                ],
            ))
        })
        .collect();
    if !estimates.is_empty() {
        md.push_str(&TEXT.fill("estimates", &[("estimates", &estimates.join("; "))]));
    }
    let lost = |design: &str| -> u64 {
        rows.iter()
            .filter(|r| r.design == design)
            .map(|r| r.lost)
            .sum()
    };
    md.push_str(&TEXT.fill(
        "lost",
        &[("ours", &lost("ours")), ("baseline", &lost("baseline"))],
    ));
    md.push_str(TEXT.text("chart"));
}
