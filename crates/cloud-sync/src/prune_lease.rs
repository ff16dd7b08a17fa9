//! The prune lease: how [`backup::prune`](crate::backup::prune) and pushes that reuse a
//! stored snapshot stay out of each other's way.
//!
//! Snapshots are content-addressed, so a push whose content equals an old version finds
//! that version's snapshot already stored and sends nothing. If a prune deletes the
//! snapshot between that finding and the push's head update, the new head names a
//! missing snapshot. The two sides agree through one object, [`PRUNE_LEASE_KEY`]:
//!
//! - **Prune** creates the lease object (create-only) before it lists the backups, and
//!   deletes backups and snapshots only while its lease is young
//!   ([`PruneLease::may_delete`], half of [`LEASE`] on its own monotonic clock). It
//!   never deletes a backup entry based on the current head: that push may still move
//!   the head to it.
//! - **A push** that reuses a snapshot writes its backup entry first, then waits while a
//!   lease exists ([`wait_until_no_prune`]), then checks that the snapshot is still
//!   there and uploads it again if not; only then does it move the head.
//!
//! Why that is enough: a prune that took its lease after the push's check lists the
//! push's entry (written before the check) and keeps it with its snapshot, as long as
//! the push can still win the head (its parent is the head); once the head has moved
//! past its parent, the push's compare-and-swap fails and its next attempt checks again.
//! A prune that
//! holds its lease at the check makes the push wait for it to end, after which the
//! push's snapshot check sees what the prune deleted. A lease left by a prune that died
//! is stale after [`LEASE`]: the next prune takes it over (conditional write) and a
//! waiting push stops waiting. This holds while requests take seconds, not minutes.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::json;
use crate::key::Key;
use crate::manifest;
use crate::remote::{ObjectInfo, ObjectVersion, Remote};
use crate::snapshot::{Limits, PreparedSnapshot, SnapshotRef};

/// The lease object's key, relative to the prefix.
pub const PRUNE_LEASE_KEY: &str = "prune.lease.json";

/// How long a lease is honoured. A prune stops deleting after half of it; a push waits
/// for a lease at most this long (then it counts as left by a prune that died).
pub const LEASE: Duration = Duration::from_secs(5 * 60);

/// The lease object's content: who holds it, for people looking at the bucket.
#[derive(Serialize, Deserialize)]
struct LeaseBody {
    holder: String,
    acquired: DateTime<Utc>,
}

/// A held prune lease; [`PruneLease::release`] deletes it.
pub(crate) struct PruneLease<'a> {
    remote: &'a Remote,
    key: Key,
    acquired: Instant,
    /// The version we wrote: release deletes the lease only while it is still ours.
    version: ObjectVersion,
}

impl<'a> PruneLease<'a> {
    /// Creates the lease object, or takes over one older than [`LEASE`]. Another
    /// prune's live lease is [`Error::PruneInProgress`].
    pub(crate) fn acquire(remote: &'a Remote, holder: &str) -> Result<PruneLease<'a>, Error> {
        let key = lease_key()?;
        let body = json::encode(&LeaseBody {
            holder: holder.to_owned(),
            acquired: Utc::now(),
        });
        let acquired = Instant::now();
        let version = match remote.put_create(&key, body.clone()) {
            Ok(version) => version,
            Err(Error::AlreadyExists { .. }) => match remote.head(&key)? {
                // Released between our two requests: one more try.
                None => remote.put_create(&key, body).map_err(|e| match e {
                    Error::AlreadyExists { key } => Error::PruneInProgress { key, since: None },
                    other => other,
                })?,
                Some(existing) if !is_stale(&existing, Utc::now()) => {
                    return Err(Error::PruneInProgress {
                        key: remote.full_key(&key),
                        since: existing.last_modified,
                    });
                }
                // Conditional: of two prunes taking over the same dead lease, one wins.
                Some(existing) => {
                    remote
                        .put_if_match(&key, body, &existing.version)
                        .map_err(|e| match e {
                            Error::Precondition { key } => {
                                Error::PruneInProgress { key, since: None }
                            }
                            other => other,
                        })?
                }
            },
            Err(e) => return Err(e),
        };
        Ok(PruneLease {
            remote,
            key,
            acquired,
            version,
        })
    }

    /// Whether deleting is still safe: the lease is younger than half of [`LEASE`], so
    /// no push has given up waiting for it.
    pub(crate) fn may_delete(&self) -> bool {
        self.acquired.elapsed() < LEASE / 2
    }

    /// Deletes the lease object, unless another prune took it over (ours outlived
    /// [`LEASE`]): its lease is not ours to end.
    pub(crate) fn release(self) -> Result<(), Error> {
        match self.remote.head(&self.key)? {
            Some(current) if same_version(&current.version, &self.version) => {
                self.remote.delete(&self.key)
            }
            _ => Ok(()),
        }
    }
}

/// Waits while a prune holds its lease, polling with a growing interval; returns when
/// there is none, or when the lease is stale (older than [`LEASE`] by the store's time,
/// or seen unchanged for [`LEASE`]).
pub(crate) fn wait_until_no_prune(remote: &Remote) -> Result<(), Error> {
    let key = lease_key()?;
    let mut interval = Duration::from_millis(20);
    let mut watched: Option<(ObjectVersion, Instant)> = None;
    while let Some(lease) = remote.head(&key)? {
        if is_stale(&lease, Utc::now()) {
            return Ok(());
        }
        match &watched {
            Some((version, since)) if *version == lease.version => {
                if since.elapsed() >= LEASE {
                    return Ok(());
                }
            }
            _ => watched = Some((lease.version.clone(), Instant::now())),
        }
        // Polling the remote is the only signal a prune on another device can give.
        std::thread::sleep(interval);
        interval = (interval * 2).min(Duration::from_secs(2));
    }
    Ok(())
}

/// For a snapshot that was already stored ([`Uploaded::reused`](crate::snapshot::Uploaded::reused)): called after the
/// backup entry naming it is written and before a head names it, it waits while a prune
/// holds its lease, then makes sure the snapshot is still there, uploading it again (from
/// `prepare`, called only then) if the prune deleted it. `published` is the reference
/// about to be published, as head (or backup) `head`.
///
/// If the snapshot had to be uploaded again and ours is stored in another size than
/// `published` (an earlier zstd version wrote the deleted one), the published reference
/// would not match it: that is [`Error::LostRace`] on `manifest_key`, and the push's next
/// attempt uploads afresh.
pub(crate) fn secure_reused(
    remote: &Remote,
    head: &str,
    published: &SnapshotRef,
    limits: &Limits,
    prepare: impl FnOnce() -> Result<PreparedSnapshot, Error>,
) -> Result<(), Error> {
    wait_until_no_prune(remote)?;
    let key = published.validate(limits)?;
    if remote.head(&key)?.is_some() {
        return Ok(());
    }
    let snapshot = prepare()?;
    match remote.put_create(&key, snapshot.compressed.clone()) {
        Ok(_) | Err(Error::AlreadyExists { .. }) => {}
        Err(e) => return Err(e),
    }
    if snapshot.reference.stored_size == published.stored_size {
        Ok(())
    } else {
        Err(Error::LostRace {
            key: remote.full_key(&manifest::manifest_key()),
            ours: head.to_owned(),
            theirs: None,
        })
    }
}

/// Whether two versions of the lease object are the same write: by ETag, else by
/// version id; unknown on both counts is taken as the same (the lease is ours unless
/// shown otherwise, as before takeovers existed).
fn same_version(a: &ObjectVersion, b: &ObjectVersion) -> bool {
    match (&a.etag, &b.etag, &a.version, &b.version) {
        (Some(x), Some(y), _, _) => x == y,
        (_, _, Some(x), Some(y)) => x == y,
        _ => true,
    }
}

fn is_stale(lease: &ObjectInfo, now: DateTime<Utc>) -> bool {
    lease.last_modified.is_some_and(|written| {
        now.signed_duration_since(written)
            .to_std()
            .is_ok_and(|age| age > LEASE)
    })
}

fn lease_key() -> Result<Key, Error> {
    Key::new(PRUNE_LEASE_KEY)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::Prefix;

    #[test]
    fn a_lease_another_prune_took_over_is_not_released_by_the_first() {
        let remote = Remote::in_memory(Prefix::new("p").unwrap()).unwrap();
        let key = lease_key().unwrap();

        let lease = PruneLease::acquire(&remote, "first").unwrap();
        assert!(matches!(
            PruneLease::acquire(&remote, "second"),
            Err(Error::PruneInProgress { .. })
        ));
        lease.release().unwrap();
        assert!(remote.head(&key).unwrap().is_none(), "released");

        let outlived = PruneLease::acquire(&remote, "slow").unwrap();
        // What a takeover of a stale lease does: a conditional overwrite by another.
        let current = remote.head(&key).unwrap().unwrap();
        remote
            .put_if_match(&key, json::encode(&"taker"), &current.version)
            .unwrap();
        outlived.release().unwrap();
        assert!(
            remote.head(&key).unwrap().is_some(),
            "the taker's lease must survive the first prune's release"
        );
    }
}
