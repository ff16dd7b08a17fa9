//! The push shared by [`RecordSync`](crate::RecordSync) and
//! [`SqliteSync`](crate::SqliteSync): pull (merging) first, then push, and when another
//! device wins the head in between, pull, merge and try again with bounded backoff.

use std::io;
use std::sync::mpsc;

use file_lock::LockGuard;

use crate::base_cache::BaseCache;
use crate::check::SyncStatus;
use crate::error::{Error, Operation};
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
/// base (written during the push: see [`publish_staging_base`]).
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
        publish_staging_base(files, base, &seen).map_err(|e| head_moved_is_a_lost_race(files, e))
    })?;
    Ok((pulls, push))
}

/// [`FileSync::publish_seen`], making the pushed content the cached base once the head
/// has moved.
///
/// Writing the base (a copy of the whole content) need not wait for the head to move: it
/// goes to a temporary file on another thread while this one uploads the snapshot and
/// publishes the head, and the temporary file is renamed into place once the push has
/// succeeded (under the caller's lock); a push that fails leaves the cache as it was. The
/// write starts once the snapshot is compressed, which keeps every core busy until then.
fn publish_staging_base(
    files: &FileSync,
    base: &BaseCache,
    seen: &Seen,
) -> Result<PushReport, Error> {
    let (pushed, staged) = std::thread::scope(|scope| {
        let (compressed, start) = mpsc::sync_channel::<()>(1);
        let staging = seen
            .content
            .as_deref()
            .filter(|_| seen.status.push_publishes())
            .map(|content| scope.spawn(move || start.recv().ok().map(|()| base.stage(content))));
        let pushed = files.publish_seen(seen, &mut || {
            // Full only if called twice, which it is not; either way the writer starts.
            let _ = compressed.try_send(());
        });
        // A push that failed before its upload never signalled: the writer gives up.
        drop(compressed);
        let staged = staging.and_then(|staging| {
            staging.join().unwrap_or_else(|_| {
                Some(Err(Error::local(
                    Operation::WriteLocal,
                    base.path(),
                    io::Error::other("the thread writing the base cache panicked"),
                )))
            })
        });
        (pushed, staged)
    });
    let (mut push, _) = pushed?;
    if let (true, Some(staged)) = (push.published, staged) {
        base.commit(staged, &mut push.warnings);
    }
    Ok(push)
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
