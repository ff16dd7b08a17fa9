//! `cloud-sync doctor`: does the remote enforce conditional writes?

use serde_json::json;

use crate::context::Context;
use crate::failure::Failure;
use crate::output::Output;
use crate::progress;

pub fn run(context: &Context, out: &Output) -> Result<(), Failure> {
    let caps = progress::run("probing the remote", context.json, || {
        cloud_sync::doctor::probe(&context.remote)
    })?;
    let safe = caps.enforces_conditional_writes();
    out.emit(
        json!({
            "remote": context.config.remote.describe(),
            "create_only_enforced": caps.create_only_enforced,
            "if_match_enforced": caps.if_match_enforced,
            "if_match_accepted": caps.if_match_accepted,
            "if_match_atomic": caps.if_match_atomic,
            "read_back_ok": caps.read_back_ok,
            "enforces_conditional_writes": safe,
        }),
        || {
            let yes = |b: bool| if b { "yes" } else { "NO" };
            let mut text = format!(
                "remote: {}\ncreate-only enforced:      {}\nstale If-Match refused:    {}\ncurrent If-Match accepted: {}\nconcurrent If-Match atomic: {}\nread-back matches:         {}",
                context.config.remote.describe(),
                yes(caps.create_only_enforced),
                yes(caps.if_match_enforced),
                yes(caps.if_match_accepted),
                yes(caps.if_match_atomic),
                yes(caps.read_back_ok),
            );
            text.push_str(if safe {
                "\nverdict: real compare-and-swap; concurrent pushes are detected at once"
            } else {
                "\nverdict: conditional writes are not enforced; pushes stay safe (read-back check) but a lost race may only show at the next `cloud-sync check` as diverged"
            });
            text
        },
    );
    Ok(())
}
