//! Local sync state: what was last synced, kept next to the synced file.
//!
//! It is replaced atomically and durably (atomic-io), so a crash leaves the old or the
//! new state. It is also only a cache: when it is missing or damaged,
//! [`FileSync`](crate::FileSync) rebuilds it from checksums (the local content's sha256
//! against the remote head and the backup entries) instead of asking for a full resync.

use std::fs;
use std::io;
use std::path::Path;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Operation};
use crate::json;
use crate::local_fs;

/// The last sync of one local file with one remote.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncState {
    /// The remote (backend and prefix) it was synced with; a state for another remote is
    /// ignored and rebuilt.
    pub remote: String,
    /// The remote head id local content was last synced with.
    pub head: String,
    /// sha256 of that head's snapshot content.
    pub remote_sha256: String,
    /// sha256 of the local content right after that sync (a SQLite database applied
    /// through the backup API differs from the download in its header, so this is
    /// recorded separately).
    pub local_sha256: String,
    /// When.
    pub synced_at: DateTime<Utc>,
}

/// What was found in the state file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LoadedState {
    /// A valid state.
    Present(SyncState),
    /// No state file (never synced, or deleted).
    Missing,
    /// A state file that cannot be decoded (it will be rebuilt).
    Damaged,
}

pub(crate) fn load(path: &Path) -> Result<LoadedState, Error> {
    match fs::read(path) {
        Ok(bytes) => Ok(match serde_json::from_slice(&bytes) {
            Ok(state) => LoadedState::Present(state),
            Err(_) => LoadedState::Damaged,
        }),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(LoadedState::Missing),
        Err(e) => Err(Error::local(Operation::ReadLocal, path, e)),
    }
}

pub(crate) fn save(path: &Path, state: &SyncState) -> Result<(), Error> {
    local_fs::replace(path, json::encode(state))
}
