//! The sync log: one object per entry (S3 has no append), `log/<time>-<device>-<id>.json`,
//! with the original design's `database_sync_log` columns.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::json;
use crate::key::Key;
use crate::remote::{AsyncRemote, Remote};
use crate::snapshot::Limits;

/// What was done.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncKind {
    /// Local content published as the new head.
    Push,
    /// The remote head applied locally.
    Pull,
    /// An earlier backup made the head again.
    Restore,
    /// The remote head merged record by record into local content.
    Merge,
}

/// How a conflict was settled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Resolution {
    /// There was no conflict.
    NoConflict,
    /// The cloud version replaced local content (local content was backed up first).
    UsedCloud,
    /// Local content stays; it is pushed next.
    UsedLocal,
    /// Nothing was changed; a merge is needed.
    Unresolved,
    /// Both sides' records were merged; fields changed two ways are kept in the
    /// conflicts table (`conflict_detected` says whether there were any).
    Merged,
}

/// One sync-log entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogEntry {
    /// What was done.
    pub kind: SyncKind,
    /// When.
    pub time: DateTime<Utc>,
    /// The device that did it.
    pub device: String,
    /// The remote head id after the operation (the cloud version).
    pub cloud_version: Option<String>,
    /// sha256 of the local content after the operation.
    pub local_checksum: Option<String>,
    /// Whether both sides had changed.
    pub conflict_detected: bool,
    /// How that was settled.
    pub resolution: Resolution,
    /// A human-readable note.
    pub message: String,
}

impl LogEntry {
    /// The entry's key; unique even for two entries of one device in one nanosecond.
    fn key(&self) -> Result<Key, Error> {
        Key::new(format!(
            "log/{}-{}-{}.json",
            json::key_stamp(self.time),
            self.device,
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        ))
    }
}

/// Writes `entry` as a new object.
pub fn append(remote: &Remote, entry: &LogEntry) -> Result<(), Error> {
    remote.block(append_async(remote.as_async(), entry))
}

/// [`append`] for async callers.
pub async fn append_async(remote: &AsyncRemote, entry: &LogEntry) -> Result<(), Error> {
    remote
        .put_create(&entry.key()?, json::encode(entry).into())
        .await?;
    Ok(())
}

/// Every log entry, oldest first.
pub fn read_all(remote: &Remote, limits: &Limits) -> Result<Vec<LogEntry>, Error> {
    let mut entries: Vec<LogEntry> = json::read_all(remote, "log", "log entry", limits)?;
    entries.sort_by_key(|entry| entry.time);
    Ok(entries)
}
