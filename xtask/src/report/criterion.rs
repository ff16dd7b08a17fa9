//! Criterion's own figures: what its `*/new/` directories hold, looked up by group and
//! function, and the plain table of a set of them.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use super::format::{duration, not_measured};
use super::template::{Template, template};

const TEXT: Template = template!("criterion.md");

/// One criterion benchmark's result.
#[derive(Debug, Clone)]
pub struct CriterionResult {
    /// Group id (e.g. `durable_replace_4KiB`).
    pub group: String,
    /// Function id within the group (e.g. `atomic_io`), or the whole id if none.
    pub function: String,
    /// Mean time per iteration, ns.
    pub mean_ns: f64,
    /// Median time per iteration, ns.
    pub median_ns: f64,
}

/// Reads every `*/new/{benchmark,estimates}.json` under criterion's output directory.
pub fn read_criterion(dir: &Path) -> Vec<CriterionResult> {
    let mut results = Vec::new();
    collect_criterion(dir, &mut results, 0);
    results.sort_by(|a, b| (&a.group, &a.function).cmp(&(&b.group, &b.function)));
    results
}

fn collect_criterion(dir: &Path, results: &mut Vec<CriterionResult>, depth: usize) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if !path.is_dir() {
            continue;
        }
        if path.file_name().is_some_and(|name| name == "new") {
            if let Some(result) = read_one(&path) {
                results.push(result);
            }
        } else if depth < 6 {
            collect_criterion(&path, results, depth + 1);
        }
    }
}

fn read_one(dir: &Path) -> Option<CriterionResult> {
    let benchmark: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.join("benchmark.json")).ok()?).ok()?;
    let estimates: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.join("estimates.json")).ok()?).ok()?;
    let group = benchmark["group_id"].as_str()?.to_string();
    let mut function = benchmark["function_id"]
        .as_str()
        .map(str::to_string)
        .unwrap_or_default();
    if let Some(value) = benchmark["value_str"].as_str() {
        if function.is_empty() {
            function = value.to_string();
        } else {
            function = format!("{function}/{value}");
        }
    }
    Some(CriterionResult {
        group,
        function,
        mean_ns: estimates["mean"]["point_estimate"].as_f64()?,
        median_ns: estimates["median"]["point_estimate"].as_f64()?,
    })
}

pub fn find<'a>(
    results: &'a [CriterionResult],
    group: &str,
    function: &str,
) -> Option<&'a CriterionResult> {
    results
        .iter()
        .find(|r| r.group == group && r.function == function)
}

/// [`group_table`] folded away under "All criterion rows of this bench".
pub fn details_table(md: &mut String, results: &[&CriterionResult], command: &str) {
    md.push_str(TEXT.text("details_open"));
    group_table(md, results, command);
    md.push_str(TEXT.text("details_close"));
}

/// A table of `results` by group, or the line that names `command` when there are none.
pub fn group_table(md: &mut String, results: &[&CriterionResult], command: &str) {
    if results.is_empty() {
        not_measured(md, command);
        return;
    }
    let mut groups: BTreeMap<&str, Vec<&CriterionResult>> = BTreeMap::new();
    for result in results {
        groups.entry(&result.group).or_default().push(result);
    }
    md.push_str(TEXT.text("group_table"));
    for (group, results) in groups {
        for r in results {
            let _ = writeln!(
                md,
                "| {group} | {} | {} | {} |",
                r.function,
                duration(r.mean_ns),
                duration(r.median_ns)
            );
        }
    }
    let _ = writeln!(md);
}

#[cfg(test)]
pub mod tests {
    use super::*;

    /// A criterion result with the same mean and median.
    pub fn criterion_row(group: &str, function: &str, ns: f64) -> CriterionResult {
        CriterionResult {
            group: group.to_string(),
            function: function.to_string(),
            mean_ns: ns,
            median_ns: ns,
        }
    }
}
