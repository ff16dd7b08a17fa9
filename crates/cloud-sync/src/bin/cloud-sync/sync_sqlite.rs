//! `push` and `pull` for a SQLite database: row-level merges by primary key
//! ([`cloud_sync::SqliteSync`]).

use std::collections::BTreeMap;

use cloud_sync::sqlite_merge::{ConflictOutcome, RowConflict, SqliteMergeOptions};
use cloud_sync::{PullOutcome, SqlitePullReport};
use serde_json::{Value, json};

use crate::context::Context;
use crate::failure::Failure;
use crate::output::Output;
use crate::progress;
use crate::pull_args::PullArgs;
use crate::sync_report::{emit_push, status_word, warnings_text};
use crate::table_choice;

/// The merge options `pull` flags ask for, with the configured per-table choices under
/// the `--table` ones.
fn options(context: &Context, args: &PullArgs) -> SqliteMergeOptions {
    let flags = args.tables.iter().map(|(table, choice)| (table, choice));
    table_choice::merge_options(
        args.prefer,
        args.field_conflicts,
        args.no_key,
        context.config.tables.iter().chain(flags),
    )
}

pub fn pull(context: &Context, args: &PullArgs, out: &Output) -> Result<(), Failure> {
    let sync = context.sqlite_sync();
    let options = options(context, args);
    let flags = args.tables.iter().map(|(table, choice)| (table, choice));
    let tables = table_choice::choices_json(context.config.tables.iter().chain(flags));
    let report = progress::run("pulling", context.json, || sync.pull_with(options))?;
    out.emit(pull_json(&report, &tables), || {
        let mut text = match report.outcome {
            PullOutcome::Unchanged => format!("nothing to pull: {}", report.status_before),
            PullOutcome::FastForward => "pulled the remote head".into(),
            _ => "merged the remote head into the local database row by row".into(),
        };
        if let Some(head) = &report.head {
            text.push_str(&format!(" (head {head})"));
        }
        text.push_str(&changes_text(&report));
        if let Some(backup) = &report.local_backup {
            text.push_str(&format!(
                "\nlocal content was saved first as backup {backup}"
            ));
        }
        text.push_str(&conflicts_text(&report.conflicts));
        text.push_str(&warnings_text(&report.warnings));
        if report.outcome == PullOutcome::Merged {
            text.push_str("\nnext: `cloud-sync push` publishes the merge");
        }
        text
    });
    Ok(())
}

pub fn push(context: &Context, out: &Output) -> Result<(), Failure> {
    let sync = context.sqlite_sync();
    let report = progress::run("pushing", context.json, || sync.push())?;
    let conflicts: Vec<RowConflict> = report.conflicts().cloned().collect();
    emit_push(
        out,
        &report.push,
        &report.pulls,
        json!(conflicts),
        conflicts_text(&conflicts),
    );
    Ok(())
}

fn pull_json(report: &SqlitePullReport, tables: &BTreeMap<String, String>) -> Value {
    json!({
        "tables": tables,
        "status_before": status_word(report.status_before),
        "head": report.head,
        "outcome": format!("{:?}", report.outcome).to_lowercase(),
        "changes": report.changes,
        "conflicts": report.conflicts,
        "local_backup": report.local_backup,
        "warnings": report.warnings,
    })
}

fn changes_text(report: &SqlitePullReport) -> String {
    let c = report.changes;
    if c.inserted + c.updated + c.deleted + c.tables_created + c.tables_dropped == 0 {
        return String::new();
    }
    format!(
        "\nrows: {} inserted, {} updated, {} deleted; {} table(s) created, {} dropped",
        c.inserted, c.updated, c.deleted, c.tables_created, c.tables_dropped
    )
}

fn conflicts_text(conflicts: &[RowConflict]) -> String {
    if conflicts.is_empty() {
        return String::new();
    }
    let open = conflicts.iter().filter(|c| c.outcome.is_open()).count();
    let mut text = format!(
        "\n{} conflict(s), {open} left open (all recorded in the cloud_sync_conflicts table):",
        conflicts.len()
    );
    for c in conflicts {
        let gone = if c.outcome == ConflictOutcome::KeptTable {
            "(dropped)"
        } else {
            "(deleted)"
        };
        let side = |value: &Option<String>| value.clone().unwrap_or_else(|| gone.into());
        let place = match (&c.key, &c.column) {
            (Some(key), Some(column)) => format!("{}[{key}].{column}", c.table),
            (Some(key), None) => format!("{}[{key}]", c.table),
            _ if c.outcome == ConflictOutcome::KeptTable => format!("table {}", c.table),
            _ => format!("{} (no primary key)", c.table),
        };
        let outcome = match &c.outcome {
            ConflictOutcome::Kept => "kept local, open".to_owned(),
            ConflictOutcome::TookLocal => "took local".to_owned(),
            ConflictOutcome::TookCloud => "took cloud".to_owned(),
            ConflictOutcome::CopiedCloud(table) => format!("cloud rows copied to {table}"),
            ConflictOutcome::KeptTable => {
                "table kept, the drop not applied (open: drop it again when done)".to_owned()
            }
        };
        text.push_str(&format!(
            "\n  {place}: local {:?}, cloud {:?} -> {outcome}",
            side(&c.local),
            side(&c.cloud)
        ));
    }
    text
}
