//! `cloud-sync log`: the sync log (newest last).

use serde_json::json;

use crate::context::Context;
use crate::failure::Failure;
use crate::output::Output;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Show only the last N entries.
    #[arg(long, short = 'n')]
    last: Option<usize>,
}

pub fn run(context: &Context, args: &Args, out: &Output) -> Result<(), Failure> {
    let mut entries = context.file_sync().log()?;
    if let Some(last) = args.last {
        let skip = entries.len().saturating_sub(last);
        entries.drain(..skip);
    }
    out.emit(json!({"log": entries}), || {
        entries
            .iter()
            .map(|e| {
                format!(
                    "{}  {:<7} {}  head {}  conflict: {}  {:?}  {}\n",
                    e.time.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                    format!("{:?}", e.kind).to_lowercase(),
                    e.device,
                    e.cloud_version.as_deref().unwrap_or("-"),
                    if e.conflict_detected { "yes" } else { "no" },
                    e.resolution,
                    e.message
                )
            })
            .collect()
    });
    Ok(())
}
