//! `status` and `check`: how local and remote relate, for either kind of store.

use cloud_sync::diff::{TableDiff, diff_databases, diff_stores};
use cloud_sync::{CheckReport, SyncStatus};
use serde_json::{Value, json};

use crate::context::Context;
use crate::failure::Failure;
use crate::output::Output;
use crate::sync_report::{check_json, status_word};

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
    let pending = pending_changes(context, &report);
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

/// Counts of records (SQLite: rows) changed since the last sync, when the base is cached.
fn pending_changes(context: &Context, report: &CheckReport) -> Option<Value> {
    let base = report.base.as_ref()?;
    let cached_base = |path: &std::path::Path| {
        let cached = std::fs::read(path).ok()?;
        (cloud_sync::sha256_hex(&cached) == base.remote_sha256).then_some(cached)
    };
    let diff = if context.is_sqlite() {
        let sync = context.sqlite_sync();
        let cached = cached_base(sync.base_path())?;
        let local = sync.snapshot().ok()??;
        diff_databases(&cached, &local).ok()?
    } else {
        let sync = context.record_sync();
        let cached = cached_base(sync.base_path())?;
        let local = std::fs::read_to_string(sync.path()).ok()?;
        diff_stores(
            std::str::from_utf8(&cached).ok()?,
            &local,
            &Default::default(),
        )
        .ok()?
    };
    let count = |f: fn(&TableDiff) -> usize| diff.iter().map(f).sum::<usize>();
    Some(json!({
        "added": count(|t| t.added.len()),
        "modified": count(|t| t.modified.len()),
        "removed": count(|t| t.removed.len()),
    }))
}
