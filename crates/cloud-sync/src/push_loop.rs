//! The push shared by [`RecordSync`](crate::RecordSync) and
//! [`SqliteSync`](crate::SqliteSync): pull (merging) first, then push, and when another
//! device wins the head in between, pull, merge and try again with bounded backoff.

use file_lock::LockGuard;

use crate::base_cache::BaseCache;
use crate::check::SyncStatus;
use crate::error::Error;
use crate::file_sync::{FileSync, PushReport, Seen};
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
///
/// Each attempt holds the lock `lock` takes (the one that serialises this kind's sync
/// operations on the file) from the pull to the end of the push, and local content is
/// read, hashed and the manifest fetched once: `pull` returns what it read (local
/// content, the head) and whether it changed local content or the sync state (`true`:
/// local content is read again, against the head already read, before the push). A
/// push with nothing to publish is one request. The pushed content becomes the cached
/// base.
pub(crate) fn pull_then_push<P: PullBeforePush>(
    files: &FileSync,
    base: &BaseCache,
    retry: &RetryPolicy,
    lock: impl Fn() -> Result<LockGuard, Error>,
    mut pull: impl FnMut() -> Result<(P, Seen, bool), Error>,
) -> Result<(Vec<P>, PushReport), Error> {
    let mut pulls = Vec::new();
    let push = retry_lost_races(retry, |_| {
        let _guard = lock()?;
        let (pulled, seen, changed) = pull()?;
        let up_to_date = pulled.status_before() == SyncStatus::UpToDate;
        let head = pulled.head().map(str::to_owned);
        pulls.push(pulled);
        if let (true, Some(head)) = (up_to_date, head) {
            return Ok(nothing_to_publish(head));
        }
        let seen = if changed {
            // A newer head than the one read makes the push lose its race.
            files.see_with(seen.remote)?
        } else {
            seen
        };
        let (mut push, _) = files
            .publish_seen(&seen)
            .map_err(|e| head_moved_is_a_lost_race(files, e))?;
        if let (true, Some(content)) = (push.published, &seen.content) {
            // Under the same lock: the pushed content is the new base.
            base.put(content, &mut push.warnings);
        }
        Ok(push)
    })?;
    Ok((pulls, push))
}

/// The push report when the pull found local and remote up to date: nothing to publish,
/// and the pull's one manifest read was the whole cost.
fn nothing_to_publish(head: String) -> PushReport {
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
fn head_moved_is_a_lost_race(files: &FileSync, error: Error) -> Error {
    match error {
        Error::NotFastForward { status, .. } => Error::LostRace {
            key: files.remote().full_key(&manifest::manifest_key()),
            ours: format!("local content ({status})"),
            theirs: None,
        },
        other => other,
    }
}
