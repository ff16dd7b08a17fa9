//! `status`, `check`, `push`, `pull`.

use cloud_sync::{CheckReport, Prefer, PullOutcome, PushReport, RecordPullReport, SyncStatus};
use serde_json::{Value, json};

use crate::context::Context;
use crate::failure::{Failure, code};
use crate::output::Output;
use crate::progress;

#[derive(Debug, clap::Args)]
pub struct PullArgs {
    /// When local and remote both changed: merge record by record (fields changed two
    /// ways are kept as conflicts), keep local (pushed next; the remote version stays a
    /// backup), or take the cloud copy (local content is backed up first).
    /// For SQLite databases the choice is per row: `merge` combines the columns each
    /// side changed (a column changed two ways goes to --field-conflicts), `local`,
    /// `cloud` and `last-write-wins` take whole rows, `error` refuses.
    #[arg(long, value_enum, default_value_t = PreferArg::Merge)]
    pub prefer: PreferArg,
    /// (SQLite, --prefer merge) a column both sides changed: keep the local value and
    /// record both in the cloud_sync_conflicts table, or take local, cloud, the later
    /// writer's, or refuse.
    #[arg(long, value_enum, default_value_t = FieldArg::Keep)]
    pub field_conflicts: FieldArg,
    /// (SQLite) a table without a primary key changed on both sides: keep the local rows
    /// plus a conflict copy of the cloud rows, or use one side [default: keep-both with
    /// --prefer merge, else the side --prefer names].
    #[arg(long, value_enum)]
    pub no_key: Option<NoKeyArg>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum PreferArg {
    Local,
    Cloud,
    Merge,
    /// SQLite only.
    LastWriteWins,
    /// SQLite only.
    Error,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum FieldArg {
    Keep,
    Local,
    Cloud,
    LastWriteWins,
    Error,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum NoKeyArg {
    KeepBoth,
    Local,
    Cloud,
}

pub fn check(context: &Context, out: &Output) -> Result<(), Failure> {
    let report = context.file_sync().check()?;
    out.emit(check_json(&report), || {
        format!("{}: {}", status_word(report.status), report.status)
    });
    Ok(())
}

pub fn status(context: &Context, out: &Output) -> Result<(), Failure> {
    let sync = context.file_sync();
    let report = sync.check()?;
    let pending = if context.is_sqlite() {
        crate::sync_sqlite::pending_changes(context, &report)
    } else {
        pending_changes(context, &report)
    };
    let mut document = check_json(&report);
    document["device"] = json!(context.device);
    document["store"] = json!(sync.path());
    document["config"] = json!(context.config_path);
    document["remote"] = json!(context.config.remote.describe());
    document["pending"] = pending.clone().unwrap_or(Value::Null);
    out.emit(document, || {
        let last = report
            .base
            .as_ref()
            .map(|base| format!("{} (head {})", base.synced_at, base.head))
            .unwrap_or_else(|| "never".into());
        let pending = match &pending {
            Some(p) => format!(
                "{} added, {} modified, {} removed record(s)",
                p["added"], p["modified"], p["removed"]
            ),
            None if report.status == SyncStatus::Ahead || report.status == SyncStatus::Diverged => {
                "local changes (base not cached: run `cloud-sync diff`)".into()
            }
            None => "none".into(),
        };
        format!(
            "device:  {} ({})\nstore:   {}\nremote:  {} (prefix `{}`)\nsynced:  {last}\nstatus:  {}\npending: {pending}",
            context.device.name,
            context.device.id,
            sync.path().display(),
            context.config.remote.describe(),
            context.config.prefix,
            report.status,
        )
    });
    Ok(())
}

pub fn push(context: &Context, out: &Output) -> Result<(), Failure> {
    if context.is_sqlite() {
        return crate::sync_sqlite::push(context, out);
    }
    let sync = context.record_sync();
    let report = progress::run("pushing", context.json, || sync.push())?;
    let conflicts: Vec<_> = report.conflicts().cloned().collect();
    let pulls: Vec<_> = report
        .pulls
        .iter()
        .map(|pull| (pull.outcome, pull.warnings.as_slice()))
        .collect();
    emit_push(
        out,
        &report.push,
        &pulls,
        conflicts_json(&conflicts),
        conflicts_text(&conflicts),
    );
    Ok(())
}

/// A push's output, for either kind of store: `pulls` are the outcome and warnings of
/// each pull before it.
pub fn emit_push(
    out: &Output,
    push: &PushReport,
    pulls: &[(PullOutcome, &[String])],
    conflicts_json: Value,
    conflicts_text: String,
) {
    let merges = pulls
        .iter()
        .filter(|(outcome, _)| *outcome == PullOutcome::Merged)
        .count();
    let mut warnings: Vec<String> = pulls
        .iter()
        .flat_map(|(_, warnings)| warnings.iter().cloned())
        .collect();
    warnings.extend(push.warnings.clone());
    out.emit(
        json!({
            "head": push.head,
            "published": push.published,
            "uploaded": push.uploaded,
            "status_before": status_word(push.status_before),
            "merges": merges,
            "attempts": pulls.len(),
            "conflicts": conflicts_json,
            "warnings": warnings,
        }),
        || {
            let mut text = if push.published {
                format!("pushed head {}", push.head)
            } else {
                format!("already up to date (head {})", push.head)
            };
            if merges > 0 {
                text.push_str(&format!(
                    "\nmerged remote changes first ({merges} merge(s))"
                ));
            }
            text.push_str(&conflicts_text);
            text.push_str(&warnings_text(&warnings));
            text
        },
    );
}

pub fn pull(context: &Context, args: &PullArgs, out: &Output) -> Result<(), Failure> {
    if context.is_sqlite() {
        return crate::sync_sqlite::pull(context, args, out);
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

pub fn check_json(report: &CheckReport) -> Value {
    json!({
        "status": status_word(report.status),
        "local_sha256": report.local_sha256,
        "remote_head": report.remote.as_ref().map(|m| &m.head),
        "remote_device": report.remote.as_ref().map(|m| &m.device),
        "base_head": report.base.as_ref().map(|b| &b.head),
        "last_sync": report.base.as_ref().map(|b| b.synced_at),
        "state_rebuilt": report.state_rebuilt,
    })
}

/// A stable one-word status for scripts.
pub fn status_word(status: SyncStatus) -> &'static str {
    match status {
        SyncStatus::UpToDate => "up_to_date",
        SyncStatus::Ahead => "ahead",
        SyncStatus::Behind => "behind",
        SyncStatus::Diverged => "diverged",
        SyncStatus::NoRemoteHead => "no_remote_head",
    }
}

/// Counts of records changed since the last sync, when the base is cached.
fn pending_changes(context: &Context, report: &CheckReport) -> Option<Value> {
    let base = report.base.as_ref()?;
    let sync = context.record_sync();
    let cached = std::fs::read(sync.base_path()).ok()?;
    if cloud_sync::sha256_hex(&cached) != base.remote_sha256 {
        return None;
    }
    let local = std::fs::read_to_string(sync.path()).ok()?;
    let diff = cloud_sync::diff::diff_stores(
        std::str::from_utf8(&cached).ok()?,
        &local,
        &Default::default(),
    )
    .ok()?;
    let count = |f: fn(&cloud_sync::diff::TableDiff) -> usize| diff.iter().map(f).sum::<usize>();
    Some(json!({
        "added": count(|t| t.added.len()),
        "modified": count(|t| t.modified.len()),
        "removed": count(|t| t.removed.len()),
    }))
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

pub fn warnings_text(warnings: &[String]) -> String {
    warnings.iter().map(|w| format!("\nwarning: {w}")).collect()
}
