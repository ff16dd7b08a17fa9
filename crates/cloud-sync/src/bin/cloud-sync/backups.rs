//! `cloud-sync backups [--prune]` and `cloud-sync restore ID`.

use std::time::Duration;

use cloud_sync::backup::{self, Retention};
use serde_json::json;

use crate::context::Context;
use crate::failure::{Failure, code};
use crate::output::Output;
use crate::progress;

#[derive(Debug, clap::Args)]
pub struct RestoreArgs {
    /// The backup id (first column of `cloud-sync backups`).
    id: String,
}

#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// Delete the backups the retention rules do not keep (the head's backup is always
    /// kept), and the snapshots only they named. Rules: --keep-last / --max-age, else
    /// the ones `init` stored. Run it when no other device is pushing.
    #[arg(long)]
    prune: bool,
    #[command(flatten)]
    retention: RetentionArgs,
}

/// Retention rules on the command line.
#[derive(Debug, Default, clap::Args)]
pub struct RetentionArgs {
    /// Keep at most this many of the newest backups.
    #[arg(long)]
    keep_last: Option<usize>,
    /// Delete backups older than this: a number with a unit, s, m, h, d or w (`30d`).
    #[arg(long, value_parser = parse_age)]
    max_age: Option<Duration>,
}

impl RetentionArgs {
    pub fn retention(&self) -> Retention {
        Retention {
            keep_last: self.keep_last,
            max_age: self.max_age,
        }
    }
}

/// `90s`, `15m`, `12h`, `30d`, `2w`.
fn parse_age(text: &str) -> Result<Duration, String> {
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(|| format!("`{text}` has no unit (s, m, h, d or w)"))?;
    let (number, unit) = text.split_at(split);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` does not start with a number"))?;
    let seconds = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => return Err(format!("unknown unit `{unit}` (use s, m, h, d or w)")),
    };
    number
        .checked_mul(seconds)
        .map(Duration::from_secs)
        .ok_or_else(|| format!("`{text}` is too long"))
}

pub fn list(context: &Context, args: &ListArgs, out: &Output) -> Result<(), Failure> {
    if args.prune {
        return prune(context, args, out);
    }
    let backups = context.file_sync().backups()?;
    out.emit(json!({"backups": backups}), || {
        if backups.is_empty() {
            return "no backups yet (every push makes one)".into();
        }
        let mut text = String::from("id                                time                            device                            bytes  reason");
        for b in &backups {
            text.push_str(&format!(
                "\n{}  {}  {}  {:>6}  {:?}",
                b.head,
                b.created.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                b.device,
                b.snapshot.size,
                b.reason
            ));
        }
        text
    });
    Ok(())
}

fn prune(context: &Context, args: &ListArgs, out: &Output) -> Result<(), Failure> {
    let mut retention = args.retention.retention();
    if retention.keeps_everything() {
        retention = context.config.retention;
    }
    if retention.keeps_everything() {
        return Err(Failure::new(
            code::CONFIG,
            "no retention rule: --prune would delete nothing",
            "pass --keep-last N and/or --max-age 30d, or store them with `cloud-sync init --force --keep-last N`",
        ));
    }
    let sync = context.file_sync();
    let report = progress::run("pruning", context.json, || {
        backup::prune(
            &context.remote,
            &retention,
            sync.limits(),
            chrono::Utc::now(),
        )
    })?;
    out.emit(
        json!({"retention": retention, "kept": report.kept, "deleted": report.deleted, "snapshots_deleted": report.snapshots_deleted, "unfinished": report.unfinished}),
        || {
            format!(
                "deleted {} backup(s) and {} snapshot(s); {} backup(s) kept{}",
                report.deleted.len(),
                report.snapshots_deleted.len(),
                report.kept.len(),
                if report.unfinished {
                    " (stopped early: the prune lease ran out; prune again to finish)"
                } else {
                    ""
                }
            )
        },
    );
    Ok(())
}

pub fn restore(context: &Context, args: &RestoreArgs, out: &Output) -> Result<(), Failure> {
    // An SDN store is restored through its commit pipeline, as a pull is.
    let report = match context.is_sqlite() {
        true => {
            let sync = context.file_sync();
            progress::run("restoring", context.json, || sync.restore(&args.id))?
        }
        false => {
            let sync = context.record_sync();
            progress::run("restoring", context.json, || sync.restore(&args.id))?
        }
    };
    out.emit(
        json!({"restored": args.id, "head": report.head, "warnings": report.warnings}),
        || {
            format!(
                "restored backup {} as new head {} (itself a backup: restore the previous head to undo)",
                args.id, report.head
            )
        },
    );
    Ok(())
}
