//! The last section: criterion groups that have no section of their own.

use super::criterion::{CriterionResult, group_table};
use super::template::template;

/// Criterion groups of benches without a section of their own (or of removed benches
/// whose results are still on disk).
pub fn section(md: &mut String, criterion: &[CriterionResult]) {
    let known = [
        "durable_replace_4KiB",
        "durable_replace_40KiB",
        "lock_unlock",
    ];
    let others: Vec<&CriterionResult> = criterion
        .iter()
        .filter(|r| {
            !known.contains(&r.group.as_str())
                && !r.group.starts_with("store_")
                && !r.group.starts_with("sdn_vs_json/")
        })
        .collect();
    if others.is_empty() {
        return;
    }
    md.push_str(template!("other.md").text("heading"));
    group_table(md, &others, "cargo xtask bench");
}
