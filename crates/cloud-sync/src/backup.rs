//! Backups: every pushed (or restored) version is a restorable backup.
//!
//! Snapshots are immutable and content-addressed, so a backup costs one small entry,
//! `backups/<time>-<head>.json`, naming the snapshot, the head, its parent and the
//! device. The entry is written create-only *before* the head moves, so a version whose
//! push lost the race for the head (or was overwritten by a server that does not enforce
//! conditional writes) is still listed and restorable.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::json;
use crate::key::Key;
use crate::prune_lease::PruneLease;
pub use crate::prune_lease::{LEASE, PRUNE_LEASE_KEY};
use crate::remote::Remote;
use crate::snapshot::{Limits, SnapshotRef};

/// Why a backup entry was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BackupReason {
    /// A push (the entry is written before the head moves).
    Push,
    /// A restore of an earlier backup made it the head again.
    Restore,
    /// Local content saved before a pull overwrote it.
    LocalBeforeOverwrite,
}

/// One backup.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupEntry {
    /// The head id this version was (or was meant to be) published as; for
    /// [`BackupReason::LocalBeforeOverwrite`] an id of its own.
    pub head: String,
    /// The head it was based on.
    pub parent: Option<String>,
    /// The content.
    pub snapshot: SnapshotRef,
    /// The device that wrote it.
    pub device: String,
    /// When.
    pub created: DateTime<Utc>,
    /// Why.
    pub reason: BackupReason,
}

impl BackupEntry {
    /// The entry's key: `backups/<time>-<head>.json`, so listing sorts by time.
    pub fn key(&self) -> Result<Key, Error> {
        Key::new(format!(
            "backups/{}-{}.json",
            json::key_stamp(self.created),
            self.head
        ))
    }
}

/// Writes `entry` create-only.
pub fn write_entry(remote: &Remote, entry: &BackupEntry) -> Result<(), Error> {
    remote.put_create(&entry.key()?, json::encode(entry))?;
    Ok(())
}

/// Every backup on the remote, oldest first. Each entry's snapshot reference is checked
/// (it must be a content address inside the prefix) before it is returned.
pub fn list(remote: &Remote, limits: &Limits) -> Result<Vec<BackupEntry>, Error> {
    let mut entries: Vec<BackupEntry> = json::read_all(remote, "backups", "backup entry", limits)?;
    for entry in &entries {
        entry.snapshot.validate(limits)?;
    }
    entries.sort_by(oldest_first);
    Ok(entries)
}

/// The backup of head `head`, if any.
pub fn find(remote: &Remote, head: &str, limits: &Limits) -> Result<Option<BackupEntry>, Error> {
    Ok(list(remote, limits)?
        .into_iter()
        .find(|entry| entry.head == head))
}

/// Which backups [`prune`] keeps: a backup is deleted when it is beyond the newest
/// `keep_last` **or** older than `max_age`. The backup of the current head is never
/// deleted, whatever the rules say.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Retention {
    /// Keep at most this many of the newest backups (`None`: no count limit).
    pub keep_last: Option<usize>,
    /// Delete backups older than this (`None`: no age limit).
    pub max_age: Option<std::time::Duration>,
}

impl Retention {
    /// Whether the rules delete nothing.
    pub fn keeps_everything(&self) -> bool {
        self.keep_last.is_none() && self.max_age.is_none()
    }
}

/// What [`prune`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PruneReport {
    /// The backups left, oldest first.
    pub kept: Vec<BackupEntry>,
    /// The backups deleted, oldest first.
    pub deleted: Vec<BackupEntry>,
    /// sha256 of the snapshots deleted with them (those no kept backup and not the head
    /// still names).
    pub snapshots_deleted: Vec<String>,
    /// The prune stopped before deleting everything the rules allow, because its lease
    /// ran out (see [`PRUNE_LEASE_KEY`]); what is left goes at the next prune.
    pub unfinished: bool,
}

/// Deletes the backups `retention` does not keep, as of `now`, then the snapshots only
/// they named. The current head's backup and snapshot are always kept, as is every
/// snapshot a kept backup names, and every backup based on the current head (a push
/// that has not moved the head yet, or died before it could). Entries go first: a crash
/// in between leaves an unnamed snapshot (harmless garbage), never a backup naming a
/// missing snapshot.
///
/// Safe while other devices push: the prune holds a lease (the object
/// [`PRUNE_LEASE_KEY`]) from before it lists the backups until it is done, and a push
/// that reuses a stored snapshot waits for the lease to end and uploads the snapshot
/// again if the prune deleted it. A second prune while one holds the lease is refused
/// with [`Error::PruneInProgress`]; a lease older than [`LEASE`] (its prune died) is
/// taken over. A prune stops deleting after half of [`LEASE`] and says so in
/// [`PruneReport::unfinished`].
///
/// ```
/// use cloud_sync::backup::{self, Retention};
/// use cloud_sync::{Device, FileKind, FileSync, Prefix, Remote};
///
/// let dir = tempfile::tempdir()?;
/// let remote = Remote::in_memory(Prefix::new("todo")?)?;
/// let device = Device::load_or_create(dir.path().join("device.json"), "laptop")?;
/// let sync = FileSync::new(remote.clone(), dir.path().join("todo.sdn"), FileKind::Plain, device);
/// for n in 0..5 {
///     std::fs::write(sync.path(), format!("todo |id|\n  {n}\n"))?;
///     sync.push_file()?;
/// }
/// let retention = Retention { keep_last: Some(2), max_age: None };
/// let report = backup::prune(&remote, &retention, sync.limits(), chrono::Utc::now())?;
/// assert_eq!((report.kept.len(), report.deleted.len()), (2, 3));
/// assert_eq!(sync.backups()?.len(), 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn prune(
    remote: &Remote,
    retention: &Retention,
    limits: &Limits,
    now: DateTime<Utc>,
) -> Result<PruneReport, Error> {
    let lease = PruneLease::acquire(remote, &format!("prune, process {}", std::process::id()))?;
    let pruned = prune_under_lease(remote, &lease, retention, limits, now);
    let released = lease.release();
    let report = pruned?;
    released?;
    Ok(report)
}

fn prune_under_lease(
    remote: &Remote,
    lease: &PruneLease<'_>,
    retention: &Retention,
    limits: &Limits,
    now: DateTime<Utc>,
) -> Result<PruneReport, Error> {
    let entries = list(remote, limits)?;
    let head = crate::manifest::read(remote, limits)?.map(|head| head.manifest);
    let head_id = head.as_ref().map(|head| head.head.as_str());
    let newest_first = entries.len();
    let mut report = PruneReport::default();
    let mut doomed = Vec::new();
    for (position, entry) in entries.into_iter().enumerate() {
        let rank = newest_first - 1 - position;
        let too_many = retention.keep_last.is_some_and(|keep| rank >= keep);
        let too_old = retention.max_age.is_some_and(|age| {
            now.signed_duration_since(entry.created)
                .to_std()
                .is_ok_and(|elapsed| elapsed > age)
        });
        let is_head = head_id == Some(entry.head.as_str());
        if (too_many || too_old) && !is_head && !may_become_head(&entry, head_id) {
            doomed.push(entry);
        } else {
            report.kept.push(entry);
        }
    }
    for entry in doomed {
        if report.unfinished || !lease.may_delete() {
            report.unfinished = true;
            report.kept.push(entry);
            continue;
        }
        ignore_missing(remote.delete(&entry.key()?))?;
        report.deleted.push(entry);
    }
    report.kept.sort_by(oldest_first);
    let named: std::collections::BTreeSet<&str> = report
        .kept
        .iter()
        .map(|entry| entry.snapshot.sha256.as_str())
        .chain(head.as_ref().map(|head| head.snapshot.sha256.as_str()))
        .collect();
    let orphaned: Vec<&SnapshotRef> = report
        .deleted
        .iter()
        .map(|entry| &entry.snapshot)
        .filter(|snapshot| !named.contains(snapshot.sha256.as_str()))
        .collect();
    let mut deleted = Vec::new();
    for snapshot in orphaned {
        if deleted.contains(&snapshot.sha256) {
            continue;
        }
        if !lease.may_delete() {
            report.unfinished = true;
            break;
        }
        ignore_missing(remote.delete(&snapshot.validate(limits)?))?;
        deleted.push(snapshot.sha256.clone());
    }
    report.snapshots_deleted = deleted;
    Ok(report)
}

/// Whether `entry` is a push (or restore) based on the current head, which may still
/// move the head to it: its snapshot must survive.
fn may_become_head(entry: &BackupEntry, head: Option<&str>) -> bool {
    entry.reason != BackupReason::LocalBeforeOverwrite && entry.parent.as_deref() == head
}

fn oldest_first(a: &BackupEntry, b: &BackupEntry) -> std::cmp::Ordering {
    a.created.cmp(&b.created).then_with(|| a.head.cmp(&b.head))
}

/// Deleting what is already gone (another prune) is done.
fn ignore_missing(result: Result<(), Error>) -> Result<(), Error> {
    match result {
        Err(Error::NotFound { .. }) => Ok(()),
        other => other,
    }
}
