//! `push` and `pull` for an SDN record store: record-level merges
//! ([`cloud_sync::RecordSync`]).

use cloud_sync::{Prefer, PullOutcome, RecordPullReport};
use serde_json::{Value, json};

use crate::context::Context;
use crate::failure::{Failure, code};
use crate::output::Output;
use crate::progress;
use crate::pull_args::PullArgs;
use crate::sync_report::{emit_push, status_word, warnings_text};
use crate::table_choice::PreferArg;

pub fn push(context: &Context, out: &Output) -> Result<(), Failure> {
    let sync = context.record_sync();
    let report = progress::run("pushing", context.json, || sync.push())?;
    let conflicts: Vec<_> = report.conflicts().cloned().collect();
    emit_push(
        out,
        &report.push,
        &report.pulls,
        conflicts_json(&conflicts),
        conflicts_text(&conflicts),
    );
    Ok(())
}

pub fn pull(context: &Context, args: &PullArgs, out: &Output) -> Result<(), Failure> {
    if !args.tables.is_empty() {
        return Err(Failure::new(
            code::USAGE,
            "--table is for SQLite databases",
            "SDN stores merge record by record: use --prefer merge, local or cloud",
        ));
    }
    let prefer = match args.prefer {
        PreferArg::Local => Prefer::Local,
        PreferArg::Cloud => Prefer::Cloud,
        PreferArg::Merge => Prefer::Merge,
        PreferArg::LastWriteWins | PreferArg::Error => {
            return Err(Failure::new(
                code::USAGE,
                "--prefer last-write-wins and --prefer error are for SQLite databases",
                "SDN stores merge record by record: use --prefer merge, local or cloud",
            ));
        }
    };
    let sync = context.record_sync();
    let report = progress::run("pulling", context.json, || sync.pull(prefer))?;
    out.emit(pull_json(&report), || {
        let what = match report.outcome {
            PullOutcome::Unchanged => format!("nothing to pull: {}", report.status_before),
            PullOutcome::FastForward => "pulled the remote head".into(),
            PullOutcome::Merged => "merged the remote head into local records".into(),
            PullOutcome::KeptLocal => {
                "kept local changes; `cloud-sync push` publishes them (the remote version stays a backup)".into()
            }
            PullOutcome::UsedCloud => format!(
                "replaced local content with the remote head (local content saved as backup {})",
                report.local_backup.as_deref().unwrap_or("?")
            ),
        };
        let mut text = what;
        if let Some(head) = &report.head {
            text.push_str(&format!(" (head {head})"));
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

fn pull_json(report: &RecordPullReport) -> Value {
    json!({
        "status_before": status_word(report.status_before),
        "head": report.head,
        "outcome": format!("{:?}", report.outcome).to_lowercase(),
        "conflicts": conflicts_json(&report.conflicts),
        "local_backup": report.local_backup,
        "warnings": report.warnings,
    })
}

fn conflicts_json(conflicts: &[versioning::KeptConflict]) -> Value {
    Value::Array(
        conflicts
            .iter()
            .map(|c| json!({"table": c.table, "key": c.key, "field": c.field, "value": c.value, "stamp": c.stamp}))
            .collect(),
    )
}

fn conflicts_text(conflicts: &[versioning::KeptConflict]) -> String {
    if conflicts.is_empty() {
        return String::new();
    }
    let mut text = format!(
        "\n{} field conflict(s) kept in the versioning_conflicts table:",
        conflicts.len()
    );
    for c in conflicts {
        text.push_str(&format!(
            "\n  {}[{}].{} = {}",
            c.table, c.key, c.field, c.value
        ));
    }
    text
}
