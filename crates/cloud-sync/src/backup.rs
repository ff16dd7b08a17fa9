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
    entries.sort_by(|a, b| a.created.cmp(&b.created).then_with(|| a.head.cmp(&b.head)));
    Ok(entries)
}

/// The backup of head `head`, if any.
pub fn find(remote: &Remote, head: &str, limits: &Limits) -> Result<Option<BackupEntry>, Error> {
    Ok(list(remote, limits)?
        .into_iter()
        .find(|entry| entry.head == head))
}
