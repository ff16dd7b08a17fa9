//! `cloud-sync diff [--backup ID]`: records (SQLite: rows) added, modified and removed
//! per table.

use cloud_sync::diff::{TableDiff, diff_stores};
use cloud_sync::manifest;
use cloud_sync::snapshot;
use serde_json::json;

use crate::context::Context;
use crate::failure::{Failure, code};
use crate::output::Output;
use crate::progress;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Compare with this backup (an id from `cloud-sync backups`) instead of the remote
    /// head.
    #[arg(long)]
    backup: Option<String>,
}

pub fn run(context: &Context, args: &Args, out: &Output) -> Result<(), Failure> {
    let sync = context.file_sync();
    let limits = sync.limits();
    let (label, reference) = match &args.backup {
        Some(id) => {
            let entry =
                cloud_sync::backup::find(&context.remote, id, limits)?.ok_or_else(|| {
                    Failure::new(
                        code::FAILED,
                        format!("no backup `{id}` on the remote"),
                        "list them with `cloud-sync backups`",
                    )
                })?;
            (format!("backup {id}"), entry.snapshot)
        }
        None => {
            let head = manifest::read(&context.remote, limits)?.ok_or_else(|| {
                Failure::new(
                    code::RACE,
                    "the remote has no head yet",
                    "run `cloud-sync push` on the device that has the data",
                )
            })?;
            (
                format!("remote head {}", head.manifest.head),
                head.manifest.snapshot,
            )
        }
    };
    let remote_bytes = progress::run("downloading", context.json, || {
        snapshot::download(&context.remote, &reference, limits)
    })?;
    let diffs = if context.is_sqlite() {
        let local = context.sqlite_sync().snapshot()?.unwrap_or_default();
        cloud_sync::diff::diff_databases(&remote_bytes, &local).map_err(|e| {
            Failure::new(
                code::INTEGRITY,
                format!("cannot read the databases: {}", crate::failure::chain(&e)),
                "check the local database with `sqlite3 <file> 'PRAGMA integrity_check'`",
            )
        })?
    } else {
        sdn_diff(&remote_bytes, &label, sync.path())?
    };
    out.emit(
        json!({"old": label, "new": "local", "tables": diffs}),
        || render(&label, &diffs),
    );
    Ok(())
}

fn sdn_diff(
    remote_bytes: &[u8],
    label: &str,
    path: &std::path::Path,
) -> Result<Vec<TableDiff>, Failure> {
    let local = std::fs::read(path).unwrap_or_default();
    let text = |bytes: &[u8], what: &str| {
        String::from_utf8(bytes.to_vec()).map_err(|_| {
            Failure::new(
                code::MERGE,
                format!("{what} is not UTF-8 text"),
                "only SDN stores and SQLite databases can be diffed",
            )
        })
    };
    diff_stores(
        &text(remote_bytes, label)?,
        &text(&local, "the local store")?,
        &Default::default(),
    )
    .map_err(|e| {
        Failure::new(
            code::MERGE,
            format!("cannot parse the stores: {}", crate::failure::chain(&e)),
            "fix the local store so it parses (`sdn check` names the line)",
        )
    })
}

fn render(label: &str, diffs: &[TableDiff]) -> String {
    if diffs.is_empty() {
        return format!("no record differs between {label} and the local store");
    }
    let mut text = format!("from {label} to the local store:");
    for table in diffs {
        text.push_str(&format!(
            "\n{}: {} added, {} modified, {} removed",
            table.table,
            table.added.len(),
            table.modified.len(),
            table.removed.len()
        ));
        for row in &table.added {
            text.push_str(&format!("\n  + {} {:?}", row.key, row.fields));
        }
        for row in &table.modified {
            for (column, new) in &row.new {
                let old = row.old.get(column).map(String::as_str).unwrap_or("");
                text.push_str(&format!("\n  ~ {} {column}: {old:?} -> {new:?}", row.key));
            }
            for column in row.old.keys().filter(|c| !row.new.contains_key(*c)) {
                text.push_str(&format!("\n  ~ {} {column}: removed", row.key));
            }
        }
        for row in &table.removed {
            text.push_str(&format!("\n  - {} {:?}", row.key, row.fields));
        }
    }
    text
}
