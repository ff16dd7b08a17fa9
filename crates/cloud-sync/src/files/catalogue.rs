//! The file catalogue (a record-store table, synced with the database like any other
//! table) and the device-local hash cache.

use serde::{Deserialize, Serialize};

use record_store::Record;

use super::FilesError;

/// Where a file stands in its upload or deletion, persisted in the catalogue through
/// record-store transactions (a crash leaves the state of the last commit).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TransferState {
    /// Registered, not yet (completely) in the cloud.
    UploadPending,
    /// An upload holds (or held) the lease; if the lease is free, its process died and
    /// the next run resumes it.
    UploadInProgress,
    /// The complete file (manifest and parts) is in the cloud and was verified.
    UploadCompleted,
    /// The last upload failed; `error` says why. Retried by the next upload run.
    UploadFailed,
    /// Deleted on this device; the cloud copy waits for every device's acknowledgement.
    DeletionPending,
    /// Removing the cloud copy (resumed if interrupted).
    DeletionInProgress,
    /// The cloud copy is gone.
    DeletionCompleted,
    /// The cloud copy could not be removed, or a device kept it (a conflict).
    DeletionFailed,
}

/// One content file in the catalogue (table `files`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    /// Path relative to the content root, `/`-separated (the key).
    pub path: String,
    /// The type folder: the first path segment (`roms` for `roms/a.bin`), empty for files
    /// at the root.
    pub folder: String,
    /// sha256 of the content, lowercase hex.
    pub sha256: String,
    /// The sha1 an existing catalogue recorded, kept as found (never computed here).
    #[serde(default)]
    pub sha1: Option<String>,
    /// Content size in bytes.
    pub size: u64,
    /// Upload or deletion state.
    pub state: TransferState,
    /// Bytes stored in the cloud (compressed), once uploaded.
    #[serde(default)]
    pub stored_size: Option<u64>,
    /// The last failure, for `UploadFailed` and `DeletionFailed`.
    #[serde(default)]
    pub error: Option<String>,
    /// The device that last changed the entry.
    pub device: String,
    /// When the entry last changed (RFC 3339).
    pub updated: String,
    /// Set when a deletion on another device met an edit here (or the reverse): the
    /// file is kept and this says by whom it was deleted.
    #[serde(default)]
    pub conflict: Option<String>,
}

impl Record for FileEntry {
    const TABLE: &'static str = "files";
    type Key = String;
    fn key(&self) -> String {
        self.path.clone()
    }
}

impl FileEntry {
    /// Whether the entry stands for a deleted file (a tombstone).
    pub fn is_deleted(&self) -> bool {
        matches!(
            self.state,
            TransferState::DeletionPending
                | TransferState::DeletionInProgress
                | TransferState::DeletionCompleted
                | TransferState::DeletionFailed
        )
    }
}

/// A device-local cache entry: the hash of a local file as of its size and mtime.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct LocalHash {
    pub path: String,
    pub size: u64,
    pub mtime_ns: i64,
    pub sha256: String,
}

impl Record for LocalHash {
    const TABLE: &'static str = "local_hashes";
    type Key = String;
    fn key(&self) -> String {
        self.path.clone()
    }
}

/// Checks a catalogue path: relative, `/`-separated, no `.`/`..`/empty segments, no
/// hidden first segment (the state directory lives there).
pub fn validate_path(path: &str) -> Result<(), FilesError> {
    let invalid = |reason| FilesError::InvalidPath {
        path: path.to_owned(),
        reason,
    };
    if path.is_empty() {
        return Err(invalid("empty"));
    }
    if path.starts_with('/') || path.contains('\\') || path.contains('\0') {
        return Err(invalid("must be a relative path with `/` separators"));
    }
    for segment in path.split('/') {
        if segment.is_empty() || segment == "." || segment == ".." {
            return Err(invalid("empty, `.` or `..` segment"));
        }
    }
    if path.starts_with('.') {
        return Err(invalid("hidden top-level names are reserved"));
    }
    Ok(())
}

/// The type folder of a catalogue path.
pub fn folder_of(path: &str) -> &str {
    path.split_once('/').map(|(folder, _)| folder).unwrap_or("")
}
