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
            // Nothing to publish: the pull's one manifest read is the whole cost.
            return Ok(PushReport {
                status_before: SyncStatus::UpToDate,
                head,
                published: false,
                uploaded: false,
                warnings: Vec::new(),
            });
        }
        match files.push_file() {
            // The head moved between our pull and our push: the same as a lost race.
            Err(Error::NotFastForward { status, .. }) => Err(Error::LostRace {
                key: files.remote().full_key(&manifest::manifest_key()),
                ours: format!("local content ({status})"),
                theirs: None,
            }),
            other => other,
        }
    })?;
    Ok((pulls, push))
}
