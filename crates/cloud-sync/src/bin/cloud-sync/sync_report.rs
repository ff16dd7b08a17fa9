//! Output shared by the sync commands of both kinds of store.

use cloud_sync::{
    CheckReport, PullOutcome, PushReport, RecordPullReport, SqlitePullReport, SyncStatus,
};
use serde_json::{Value, json};

use crate::output::Output;

/// What a push's output tells of each pull before it, for either kind of store.
pub trait PullBeforePush {
    fn outcome(&self) -> PullOutcome;
    fn warnings(&self) -> &[String];
}

impl PullBeforePush for RecordPullReport {
    fn outcome(&self) -> PullOutcome {
        self.outcome
    }

    fn warnings(&self) -> &[String] {
        &self.warnings
    }
}

impl PullBeforePush for SqlitePullReport {
    fn outcome(&self) -> PullOutcome {
        self.outcome
    }

    fn warnings(&self) -> &[String] {
        &self.warnings
    }
}

/// A push's output, for either kind of store: `pulls` are the pulls before it.
pub fn emit_push(
    out: &Output,
    push: &PushReport,
    pulls: &[impl PullBeforePush],
    conflicts_json: Value,
    conflicts_text: String,
) {
    let merges = pulls
        .iter()
        .filter(|pull| pull.outcome() == PullOutcome::Merged)
        .count();
    let mut warnings: Vec<String> = pulls
        .iter()
        .flat_map(|pull| pull.warnings().iter().cloned())
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

pub fn warnings_text(warnings: &[String]) -> String {
    warnings.iter().map(|w| format!("\nwarning: {w}")).collect()
}
