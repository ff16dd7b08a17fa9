//! The database-sync section of `docs/benchmarks.md`, from `sync.json` (written by
//! `crates/bench-suite/benches/sync.rs`).

use std::fmt::Write as _;

use serde_json::Value;

use super::format::{duration, goal, number_at};
use super::template::{Template, template};

const TEXT: Template = template!("sync.md");

/// The push and pull goal: at most this many times a raw PUT / GET of the same bytes.
const RATIO_GOAL: f64 = 1.2;

/// Appends the section (a note when the bench has not run yet).
pub fn section(md: &mut String, results: Option<&Value>) {
    md.push_str(TEXT.text("heading"));
    let Some(results) = results else {
        super::format::not_measured(md, "cargo xtask bench sync");
        return;
    };
    let number = |v: &Value, path: &[&str]| number_at(v, path).unwrap_or(f64::NAN);
    let ms = |seconds: f64| duration(seconds * 1e9);
    md.push_str(
        &TEXT.fill(
            "intro",
            &[(
                "server",
                &results
                    .get("server")
                    .and_then(Value::as_str)
                    .unwrap_or("s3s-fs"),
            )],
        ),
    );
    let unchanged = results.get("unchanged_push").unwrap_or(&Value::Null);
    let requests = number(unchanged, &["requests"]);
    let count = |key: &str| format!("{:.0}", number(unchanged, &[key]));
    md.push_str(&TEXT.fill(
        "unchanged_push",
        &[
            ("requests", &format!("{requests:.0}")),
            ("get", &count("get")),
            ("head", &count("head")),
            ("put", &count("put")),
            ("list", &count("list")),
            ("other", &count("other")),
            ("time", &ms(number(unchanged, &["seconds"]))),
            ("goal", &goal(requests == 1.0)),
        ],
    ));
    let mut ratios_met = true;
    for case in results
        .get("transfers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let (push, put) = (number(case, &["push_s"]), number(case, &["raw_put_s"]));
        let (pull, get) = (number(case, &["pull_s"]), number(case, &["raw_get_s"]));
        ratios_met &= push / put <= RATIO_GOAL && pull / get <= RATIO_GOAL;
        let _ = writeln!(
            md,
            "| {} | {:.0} | {:.0} | {:.0} | {} | {} | {:.2}x | {} | {} | {:.2}x |",
            case.get("label").and_then(Value::as_str).unwrap_or("?"),
            number(case, &["bytes"]),
            number(case, &["records"]),
            number(case, &["stored_bytes"]),
            ms(push),
            ms(put),
            push / put,
            ms(pull),
            ms(get),
            pull / get,
        );
    }
    let merge = results.get("merge").unwrap_or(&Value::Null);
    let figure = |key: &str| format!("{:.0}", number(merge, &[key]));
    md.push_str(&TEXT.fill(
        "merge",
        &[
            ("records", &figure("records")),
            ("changed", &figure("changed_each_side")),
            ("time", &ms(number(merge, &["pull_merge_s"]))),
            ("merge_only", &ms(number(merge, &["merge_only_s"]))),
            ("conflicts", &figure("conflicts")),
            ("runs", &figure("runs")),
        ],
    ));
    md.push_str(&TEXT.fill(
        "goal",
        &[("ratio_goal", &RATIO_GOAL), ("goal", &goal(ratios_met))],
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_stored_figures_and_judges_the_goals() {
        let results = serde_json::json!({"server": "s3s-fs on 127.0.0.1",
            "unchanged_push": {"requests": 1, "get": 1, "head": 0, "put": 0, "list": 0,
                "other": 0, "seconds": 0.002},
            "transfers": [{"label": "1 MB", "bytes": 1048576, "records": 7000,
                "stored_bytes": 300000, "rounds": 15, "push_s": 0.024, "raw_put_s": 0.02,
                "pull_s": 0.03, "raw_get_s": 0.02}],
            "merge": {"records": 10000, "changed_each_side": 100, "runs": 3,
                "pull_merge_s": 0.25, "merge_only_s": 0.1, "conflicts": 40}});
        let mut md = String::new();
        section(&mut md, Some(&results));
        assert!(md.contains("**1** request(s) (GET 1,"), "{md}");
        assert!(md.contains("goal one manifest request: **met**"), "{md}");
        assert!(
            md.contains("| 1 MB | 1048576 | 7000 | 300000 | 24.00 ms | 20.00 ms | 1.20x | 30.00 ms | 20.00 ms | 1.50x |"),
            "{md}"
        );
        assert!(md.contains("raw PUT / GET: **not met**"), "{md}");
        let mut empty = String::new();
        section(&mut empty, None);
        assert!(empty.contains("Not measured yet"));
    }
}
