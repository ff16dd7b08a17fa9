//! Section 4: the SDN codec against serde_json (bench `sdn`).

use std::fmt::Write as _;

use bench_results::SdnResults;

use super::criterion::{CriterionResult, details_table, find};
use super::format::{duration, goal, mb, not_measured, thousands};
use super::template::{Template, template};

const TEXT: Template = template!("sdn.md");

/// Speed ratio serde_json time / SDN time (≥ 1.0: SDN at least as fast), with the goal.
fn speed_ratio(sdn_ns: f64, json_ns: f64) -> String {
    let ratio = json_ns / sdn_ns.max(f64::MIN_POSITIVE);
    format!("**{ratio:.2}x** ({})", goal(ratio >= 1.0))
}

/// The criterion result of `group` whose function is `prefix/<bytes>`, preferring `bytes`
/// (older runs with other input sizes may still be on disk); returns it with its size.
fn sized<'a>(
    criterion: &'a [CriterionResult],
    group: &str,
    prefix: &str,
    bytes: Option<usize>,
) -> Option<(&'a CriterionResult, usize)> {
    let candidates: Vec<(&CriterionResult, usize)> = criterion
        .iter()
        .filter(|r| r.group == group)
        .filter_map(|r| {
            let size = r.function.strip_prefix(prefix)?.strip_prefix('/')?;
            Some((r, size.parse().ok()?))
        })
        .collect();
    match bytes {
        Some(bytes) => candidates.into_iter().find(|(_, size)| *size == bytes),
        None => candidates.into_iter().next(),
    }
}

pub fn section(md: &mut String, criterion: &[CriterionResult], sdn: Option<&SdnResults>) {
    md.push_str(TEXT.text("heading"));
    let results: Vec<&CriterionResult> = criterion
        .iter()
        .filter(|r| r.group.starts_with("sdn_vs_json/"))
        .collect();
    if results.is_empty() {
        not_measured(md, "cargo xtask bench sdn");
        return;
    }
    match sdn {
        Some(sdn) => {
            md.push_str(&TEXT.fill(
                "intro",
                &[
                    ("records", &thousands(sdn.records)),
                    ("sdn_size", &mb(sdn.sdn_bytes as f64)),
                    ("json_size", &mb(sdn.json_bytes as f64)),
                ],
            ));
        }
        None => {
            md.push_str(TEXT.text("intro_without_sdn_json"));
        }
    }
    let operations = [
        (
            "deserialize",
            "deserialize into `Vec<Todo>`",
            "sdn_vs_json/deserialize_10k_todos",
            "sdn_from_str",
            "serde_json_from_str",
        ),
        (
            "serialize",
            "serialize `Vec<Todo>`",
            "sdn_vs_json/serialize_10k_todos",
            "sdn_to_string",
            "serde_json_to_string",
        ),
    ];
    let interleaved = sdn.map(|s| &s.interleaved);
    md.push_str(TEXT.text("table"));
    for (key, label, group, sdn_fn, json_fn) in operations {
        let (mut c_sdn, mut c_json, mut c_ratio) =
            ("–".to_string(), "–".to_string(), "–".to_string());
        if let (Some(s), Some(j)) = (
            find(criterion, group, sdn_fn),
            find(criterion, group, json_fn),
        ) {
            c_sdn = duration(s.median_ns);
            c_json = duration(j.median_ns);
            c_ratio = speed_ratio(s.median_ns, j.median_ns);
        }
        let (mut i_sdn, mut i_json, mut i_ratio) =
            ("–".to_string(), "–".to_string(), "–".to_string());
        if let Some(row) = interleaved.and_then(|i| i.rows.iter().find(|r| r.operation == key)) {
            i_sdn = duration(row.sdn_median_ms * 1e6);
            i_json = duration(row.json_median_ms * 1e6);
            i_ratio = speed_ratio(row.sdn_median_ms, row.json_median_ms);
        }
        let _ = writeln!(
            md,
            "| {label} | {c_sdn} | {c_json} | {c_ratio} | {i_sdn} | {i_json} | {i_ratio} |"
        );
    }
    let verdict = |ratios: Vec<Option<f64>>| -> Option<(f64, bool)> {
        let ratios: Option<Vec<f64>> = ratios.into_iter().collect();
        let worst = ratios?.into_iter().fold(f64::INFINITY, f64::min);
        worst.is_finite().then_some((worst, worst >= 1.0))
    };
    let by_criterion = verdict(
        operations
            .iter()
            .map(|(_, _, group, sdn_fn, json_fn)| {
                let s = find(criterion, group, sdn_fn)?;
                let j = find(criterion, group, json_fn)?;
                Some(j.median_ns / s.median_ns)
            })
            .collect(),
    );
    let by_interleaved = interleaved.and_then(|i| {
        verdict(
            operations
                .iter()
                .map(|(key, ..)| {
                    let r = i.rows.iter().find(|r| r.operation == *key)?;
                    Some(r.json_median_ms / r.sdn_median_ms)
                })
                .collect(),
        )
    });
    let mut summary = Vec::new();
    if let Some((worst, met)) = by_interleaved {
        summary.push(TEXT.fill_inline(
            "worst_interleaved",
            &[("worst", &format!("{worst:.2}")), ("goal", &goal(met))],
        ));
    }
    if let Some((worst, met)) = by_criterion {
        summary.push(TEXT.fill_inline(
            "worst_criterion",
            &[("worst", &format!("{worst:.2}")), ("goal", &goal(met))],
        ));
    }
    if !summary.is_empty() {
        md.push_str(&TEXT.fill("goal", &[("summary", &summary.join("; "))]));
    }
    if let Some(interleaved) = interleaved {
        let fastest: Vec<String> = interleaved
            .rows
            .iter()
            .map(|r| {
                let ratio = r.json_fastest_ms / r.sdn_fastest_ms.max(f64::MIN_POSITIVE);
                TEXT.fill_inline(
                    "fastest",
                    &[
                        ("operation", &r.operation),
                        ("sdn", &duration(r.sdn_fastest_ms * 1e6)),
                        ("json", &duration(r.json_fastest_ms * 1e6)),
                        ("ratio", &format!("{ratio:.2}")),
                    ],
                )
            })
            .collect();
        md.push_str(&TEXT.fill(
            "interleaved",
            &[
                ("rounds", &interleaved.rounds),
                ("fastest", &fastest.join("; ")),
            ],
        ));
    } else {
        let _ = writeln!(md);
    }

    let group = "sdn_vs_json/parse_to_value";
    let parses = [
        (
            "SDN text → `sdn_codec::Value`",
            sized(criterion, group, "sdn_parse", sdn.map(|s| s.sdn_bytes)),
        ),
        (
            "JSON text → `serde_json::Value`",
            sized(
                criterion,
                group,
                "serde_json_value",
                sdn.map(|s| s.json_bytes),
            ),
        ),
    ];
    if parses.iter().any(|(_, p)| p.is_some()) {
        md.push_str(TEXT.text("parse"));
        for (label, parse) in parses {
            if let Some((r, bytes)) = parse {
                let _ = writeln!(
                    md,
                    "| {label} | {} | {} | **{:.0} MB/s** |",
                    mb(bytes as f64),
                    duration(r.median_ns),
                    bytes as f64 / (r.median_ns / 1e9) / 1e6
                );
            }
        }
        let _ = writeln!(md);
    }

    if let Some(sdn) = sdn.filter(|s| !s.peak_memory.is_empty()) {
        md.push_str(TEXT.text("peak_memory"));
        for row in &sdn.peak_memory {
            let label = match row.kind.as_str() {
                "sdn-value" => "SDN → `sdn_codec::Value`",
                "sdn-typed" => "SDN → `Vec<Todo>` (serde)",
                "json-value" => "JSON → `serde_json::Value`",
                other => other,
            };
            let (growth, factor) = match row.peak_growth_bytes {
                Some(bytes) => (
                    mb(bytes as f64),
                    format!("{:.2}x", bytes as f64 / row.input_bytes.max(1) as f64),
                ),
                None => ("not measurable here".to_string(), "–".to_string()),
            };
            let _ = writeln!(
                md,
                "| {label} | {} | {growth} | {factor} |",
                mb(row.input_bytes as f64)
            );
        }
        let _ = writeln!(md);
    }
    details_table(md, &results, "cargo xtask bench sdn");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::criterion::tests::criterion_row;

    #[test]
    fn sdn_ratios_are_serde_json_time_over_sdn_time() {
        let criterion = vec![
            criterion_row("sdn_vs_json/deserialize_10k_todos", "sdn_from_str", 5e6),
            criterion_row(
                "sdn_vs_json/deserialize_10k_todos",
                "serde_json_from_str",
                6e6,
            ),
            criterion_row("sdn_vs_json/serialize_10k_todos", "sdn_to_string", 4e6),
            criterion_row(
                "sdn_vs_json/serialize_10k_todos",
                "serde_json_to_string",
                2e6,
            ),
            criterion_row("sdn_vs_json/parse_to_value", "sdn_parse/2000000", 20e6),
        ];
        let mut md = String::new();
        section(&mut md, &criterion, None);
        assert!(md.contains("**1.20x** (**met**)"), "{md}");
        assert!(md.contains("**0.50x** (**not met**)"), "{md}");
        assert!(
            md.contains("by criterion medians **0.50x** (**not met**)"),
            "{md}"
        );
        assert!(md.contains("**100 MB/s**"), "{md}");
    }
}
