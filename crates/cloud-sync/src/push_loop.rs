//! The push shared by [`RecordSync`](crate::RecordSync) and
//! [`SqliteSync`](crate::SqliteSync): pull (merging) first, then push, and when another
//! device wins the head in between, pull, merge and try again with bounded backoff.

use crate::check::SyncStatus;
use crate::error::Error;
use crate::file_sync::{FileSync, PushReport};
use crate::manifest;
use crate::retry::{RetryPolicy, retry_lost_races};

/// What the push needs to know from the pull before it.
pub(crate) trait PullBeforePush {
    /// How local and remote related before the pull.
    fn status_before(&self) -> SyncStatus;
    /// The remote head the pull saw.
    fn head(&self) -> Option<&str>;
}

/// Pulls with `pull`, then pushes local content with `files`, retrying lost races with
/// `retry`; returns every pull (one per attempt) and the push.
pub(crate) fn pull_then_push<P: PullBeforePush>(
    files: &FileSync,
    retry: &RetryPolicy,
    mut pull: impl FnMut() -> Result<P, Error>,
) -> Result<(Vec<P>, PushReport), Error> {
    let mut pulls = Vec::new();
    let push = retry_lost_races(retry, |_| {
        let pulled = pull()?;
        let up_to_date = pulled.status_before() == SyncStatus::UpToDate;
        let head = pulled.head().map(str::to_owned);
        pulls.push(pulled);
        if let (true, Some(head)) = (up_to_date, head) {
            return Ok(nothing_to_publish(head));
        }
        files
            .push_file()
            .map_err(|e| head_moved_is_a_lost_race(files, e))
    })?;
    Ok((pulls, push))
}

/// The push report when the pull found local and remote up to date: nothing to publish,
/// and the pull's one manifest read was the whole cost.
pub(crate) fn nothing_to_publish(head: String) -> PushReport {
    PushReport {
        status_before: SyncStatus::UpToDate,
        head,
        published: false,
        uploaded: false,
        warnings: Vec::new(),
    }
}

/// A push refused because the head moved between our pull and our push is the same as a
/// lost race (so the retry loop pulls, merges and tries again); other errors pass.
pub(crate) fn head_moved_is_a_lost_race(files: &FileSync, error: Error) -> Error {
    match error {
        Error::NotFastForward { status, .. } => Error::LostRace {
            key: files.remote().full_key(&manifest::manifest_key()),
            ours: format!("local content ({status})"),
            theirs: None,
        },
        other => other,
    }
}
