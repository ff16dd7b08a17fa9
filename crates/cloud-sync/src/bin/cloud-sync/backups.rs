//! `cloud-sync backups` and `cloud-sync restore ID`.

use serde_json::json;

use crate::context::Context;
use crate::failure::Failure;
use crate::output::Output;
use crate::progress;

#[derive(Debug, clap::Args)]
pub struct RestoreArgs {
    /// The backup id (first column of `cloud-sync backups`).
    id: String,
}

pub fn list(context: &Context, out: &Output) -> Result<(), Failure> {
    let backups = context.record_sync().files().backups()?;
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

pub fn restore(context: &Context, args: &RestoreArgs, out: &Output) -> Result<(), Failure> {
    let sync = context.record_sync();
    let report = progress::run("restoring", context.json, || sync.files().restore(&args.id))?;
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
