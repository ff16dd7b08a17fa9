//! Typed errors: every failure names the operation and the remote key or local path it
//! was working on. `Display` never repeats the `source()`, and no variant carries a
//! credential, so printing an error (or its `Debug`) never reveals a secret.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use crate::check::SyncStatus;

mod schema_divergence;

pub use schema_divergence::{SchemaDivergence, SchemaSide};

/// The step that failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Operation {
    /// Reading an object.
    Get,
    /// Reading an object's metadata.
    Head,
    /// Writing an object that must not exist yet.
    PutCreate,
    /// Writing an object only if it still has the version we read.
    PutIfMatch,
    /// Writing an object unconditionally.
    PutOverwrite,
    /// Listing objects under a prefix.
    List,
    /// Deleting an object.
    Delete,
    /// Locking an object of a local-directory remote.
    LockObject,
    /// Starting the runtime that drives the blocking API.
    StartRuntime,
    /// Connecting to (configuring) a remote.
    Connect,
    /// Reading a local file (database, device identity, sync state).
    ReadLocal,
    /// Replacing a local file atomically.
    WriteLocal,
    /// Taking the lock that serialises local sync operations on one file.
    LockLocal,
    /// Snapshotting a live SQLite database.
    SnapshotSqlite,
    /// Checking a downloaded SQLite database.
    CheckSqlite,
    /// Applying a downloaded SQLite database onto the local one.
    ApplySqlite,
    /// Merging a downloaded SQLite database into the local one row by row.
    MergeSqlite,
    /// Compressing a snapshot.
    Compress,
    /// Decompressing a snapshot.
    Decompress,
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Operation::Get => "reading",
            Operation::Head => "reading the metadata of",
            Operation::PutCreate => "creating",
            Operation::PutIfMatch => "conditionally replacing",
            Operation::PutOverwrite => "writing",
            Operation::List => "listing",
            Operation::Delete => "deleting",
            Operation::LockObject => "locking",
            Operation::StartRuntime => "starting the runtime for",
            Operation::Connect => "connecting to",
            Operation::ReadLocal => "reading",
            Operation::WriteLocal => "replacing",
            Operation::LockLocal => "locking",
            Operation::SnapshotSqlite => "snapshotting the SQLite database",
            Operation::CheckSqlite => "checking the SQLite database",
            Operation::ApplySqlite => "applying a downloaded database onto",
            Operation::MergeSqlite => "merging the remote head's rows into",
            Operation::Compress => "compressing",
            Operation::Decompress => "decompressing",
        })
    }
}

/// The sync step a refused [`Error::NotFastForward`] was asked to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SyncAction {
    /// Publishing local content as the remote head.
    Push,
    /// Taking the remote head into local content.
    Pull,
    /// Making a backup the remote head again.
    Restore,
}

impl fmt::Display for SyncAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SyncAction::Push => "push",
            SyncAction::Pull => "pull",
            SyncAction::Restore => "restore",
        })
    }
}

/// What a downloaded snapshot failed to match ([`Error::Integrity`]): the manifest's
/// promise and what arrived.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum IntegrityMismatch {
    /// The stored (compressed) object has another size.
    StoredSize {
        /// The size the manifest promises.
        expected: u64,
        /// The size that arrived.
        actual: u64,
    },
    /// The decompressed content has another size.
    Size {
        /// The size the manifest promises.
        expected: u64,
        /// The size after decompression.
        actual: u64,
    },
    /// The decompressed content has another SHA-256.
    Sha256 {
        /// The digest the manifest promises (lowercase hex).
        expected: String,
        /// The digest of the content (lowercase hex).
        actual: String,
    },
}

impl fmt::Display for IntegrityMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IntegrityMismatch::StoredSize { expected, actual } => {
                write!(f, "{actual} bytes stored, the manifest says {expected}")
            }
            IntegrityMismatch::Size { expected, actual } => write!(
                f,
                "{actual} bytes after decompression, the manifest says {expected}"
            ),
            IntegrityMismatch::Sha256 { expected, actual } => {
                write!(
                    f,
                    "content sha256 is {actual}, the manifest says {expected}"
                )
            }
        }
    }
}

/// The rule a decoded manifest breaks ([`Error::InvalidManifest`]).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ManifestProblem {
    /// A format version this build does not read.
    UnknownFormat {
        /// The manifest's version.
        found: u32,
        /// The version this build reads.
        supported: u32,
    },
    /// A head id (the head, its parent or a history entry) is not one.
    NotAHeadId {
        /// The id as written.
        id: String,
    },
    /// The history is longer than allowed.
    HistoryTooLong {
        /// Its number of entries.
        entries: usize,
        /// The most allowed.
        max: usize,
    },
    /// The parent is not the first history entry.
    ParentNotFirstInHistory,
    /// The device id is not one.
    NotADeviceId {
        /// The id as written.
        id: String,
    },
}

impl fmt::Display for ManifestProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ManifestProblem::UnknownFormat { found, supported } => write!(
                f,
                "format version {found} (this build reads {supported}); upgrade cloud-sync"
            ),
            ManifestProblem::NotAHeadId { id } => write!(f, "{id:?} is not a head id"),
            ManifestProblem::HistoryTooLong { entries, max } => {
                write!(f, "{entries} history entries (at most {max})")
            }
            ManifestProblem::ParentNotFirstInHistory => {
                f.write_str("the parent is not the first history entry")
            }
            ManifestProblem::NotADeviceId { id } => write!(f, "{id:?} is not a device id"),
        }
    }
}

/// What is wrong with a remote's configuration ([`Error::Config`]). Never contains a
/// secret.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigProblem {
    /// The endpoint URL carries credentials (`user:secret@host`).
    CredentialsInEndpoint,
    /// The object store refused the bucket's configuration (its error is the source).
    Bucket {
        /// The bucket.
        bucket: String,
    },
    /// A remote kind this build was compiled without.
    MissingFeature {
        /// The Cargo feature that adds it (`s3`, ...).
        feature: &'static str,
    },
}

impl fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigProblem::CredentialsInEndpoint => {
                f.write_str("the endpoint must not contain credentials; set them separately")
            }
            ConfigProblem::Bucket { bucket } => write!(f, "cannot configure S3 bucket `{bucket}`"),
            ConfigProblem::MissingFeature { feature } => {
                write!(
                    f,
                    "this cloud-sync was built without the `{feature}` feature"
                )
            }
        }
    }
}

/// A cloud-sync failure.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The object store reported an error other than the typed ones below.
    #[error("{operation} remote object `{key}` failed")]
    Remote {
        /// The step that failed.
        operation: Operation,
        /// The full key (prefix included).
        key: String,
        /// The object store's error (an `object_store::Error`; boxed to keep `Error` small,
        /// and returned by `source()` as itself, so `downcast_ref` finds it).
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A file-system call of a local-directory remote failed.
    #[error("{operation} remote object `{key}` failed (local-directory remote file {})", .path.display())]
    LocalRemote {
        /// The step that failed.
        operation: Operation,
        /// The full key (prefix included).
        key: String,
        /// The file backing the object.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// A create-only write found the object already there. Nothing was written.
    #[error("remote object `{key}` already exists; it was not replaced")]
    AlreadyExists {
        /// The full key.
        key: String,
    },
    /// A conditional write found another version than the one it was based on. Nothing
    /// was written.
    #[error("remote object `{key}` changed since it was read; it was not replaced")]
    Precondition {
        /// The full key.
        key: String,
    },
    /// The object does not exist.
    #[error("remote object `{key}` does not exist")]
    NotFound {
        /// The full key.
        key: String,
    },
    /// Another prune holds the prune lease (see
    /// [`backup::PRUNE_LEASE_KEY`](crate::backup::PRUNE_LEASE_KEY)); nothing was deleted.
    /// A lease whose prune died is taken over once it is older than
    /// [`backup::LEASE`](crate::backup::LEASE).
    #[error("another prune holds the lease `{key}`; nothing was deleted")]
    PruneInProgress {
        /// The lease object's full key.
        key: String,
        /// When the store says the lease was written, if it says.
        since: Option<chrono::DateTime<chrono::Utc>>,
    },
    /// An object (or its decompressed content) is larger than allowed.
    #[error("{what} `{key}` is larger than the {limit}-byte limit (at least {size} bytes)")]
    TooLarge {
        /// What was being read ("remote object", "decompressed snapshot", ...).
        what: &'static str,
        /// The full key.
        key: String,
        /// The size seen so far.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// A key is not acceptable: it could leave the prefix or the sync folder, or it uses
    /// characters outside the portable set.
    #[error("invalid remote key {key:?}: {reason}")]
    InvalidKey {
        /// The rejected key, as given.
        key: String,
        /// Why it was rejected.
        reason: &'static str,
    },
    /// Downloaded bytes do not match what the manifest promised (size or sha256).
    #[error("integrity check failed for remote object `{key}`: {mismatch}")]
    Integrity {
        /// The full key.
        key: String,
        /// What did not match: expected and actual size or digest.
        mismatch: IntegrityMismatch,
    },
    /// A manifest (or another small JSON object) could not be decoded.
    #[error("remote object `{key}` is not a valid {what}")]
    Decode {
        /// The full key.
        key: String,
        /// What the object should have been.
        what: &'static str,
        /// The decoding error.
        #[source]
        source: serde_json::Error,
    },
    /// A manifest decoded but breaks a rule (unknown format version, a snapshot key that
    /// does not match its hash, ...).
    #[error("manifest `{key}` is invalid: {reason}")]
    InvalidManifest {
        /// The full key.
        key: String,
        /// The broken rule.
        reason: ManifestProblem,
    },
    /// Another writer advanced the remote head first (the conditional write was refused,
    /// or the read-back found someone else's manifest). Our snapshot and backup entry
    /// stay on the remote and restorable; pull, merge and push again.
    #[error("lost the race for the remote head `{key}`: our head {ours} was not kept{}", .theirs.as_ref().map(|theirs| format!(", the head is now {theirs}")).unwrap_or_default())]
    LostRace {
        /// The manifest's full key.
        key: String,
        /// The head id we tried to publish.
        ours: String,
        /// The head id found instead (`None` if the manifest vanished).
        theirs: Option<String>,
    },
    /// A push or pull that would drop work it has not seen was refused.
    #[error("refusing to {action}: {status}")]
    NotFastForward {
        /// The step that was refused.
        action: SyncAction,
        /// How local and remote relate.
        status: SyncStatus,
    },
    /// The remote has no head yet (nothing was ever pushed under this prefix).
    #[error("remote has no head yet at `{key}`: push first")]
    NoRemoteHead {
        /// The manifest's full key.
        key: String,
    },
    /// A local file-system call failed.
    #[error("{operation} {} failed", .path.display())]
    Local {
        /// The step that failed.
        operation: Operation,
        /// The local file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// Replacing a local file atomically failed (see the source for whether it changed).
    #[error("replacing {} failed", .path.display())]
    AtomicWrite {
        /// The local file.
        path: PathBuf,
        /// The `atomic_io::Error` (boxed; `downcast_ref` finds it).
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// Taking a local or local-directory-remote lock failed.
    #[error("{operation} {} failed", .path.display())]
    Lock {
        /// The step that failed.
        operation: Operation,
        /// The locked path (its sidecar is `<path>.lock`).
        path: PathBuf,
        /// The `file_lock::Error` (boxed; `downcast_ref` finds it).
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// SQLite reported an error.
    #[error("{operation} {} failed", .path.display())]
    Sqlite {
        /// The step that failed.
        operation: Operation,
        /// The database file.
        path: PathBuf,
        /// SQLite's error, a `rusqlite::Error` (boxed; `downcast_ref` finds it).
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// `PRAGMA integrity_check` found problems in a downloaded database; nothing was
    /// applied.
    #[error("the downloaded database {} failed PRAGMA integrity_check: {}", .path.display(), .report.join("; "))]
    SqliteIntegrity {
        /// The downloaded copy that was checked.
        path: PathBuf,
        /// The first lines SQLite reported (SQLite's own text, one entry a line).
        report: Vec<String>,
    },
    /// The row-level merge of SQLite databases cannot reconcile a schema change (see
    /// [`SchemaDivergence`]; added columns and dropped tables are merged). Nothing local
    /// was changed. Making the table's definition the same on both devices (the same
    /// change applied here, or undone on the other device and pushed) lets the next pull
    /// merge; restoring a backup takes one side whole.
    #[error("cannot merge table `{table}` of {}: {reason}; make the table's definition the same on both devices (apply the same change here, or undo it on the other device and push), then pull again", .path.display())]
    SqliteSchemaDiverged {
        /// The local database.
        path: PathBuf,
        /// The table.
        table: String,
        /// What differs.
        reason: SchemaDivergence,
    },
    /// A row changed on both sides and the strategy was
    /// [`RowStrategy::Error`](crate::sqlite_merge::RowStrategy::Error) (or a field
    /// fallback of `Error`). Nothing local was changed.
    #[error("row {key} of table `{table}` in {} changed on both sides{}", .path.display(), .column.as_ref().map(|c| format!(" (column `{c}`)")).unwrap_or_default())]
    SqliteRowConflict {
        /// The local database.
        path: PathBuf,
        /// The table.
        table: String,
        /// The row's primary key, as text.
        key: String,
        /// The column both sides changed, when the conflict is on one field.
        column: Option<String>,
    },
    /// Compressing or decompressing failed.
    #[error("{operation} snapshot `{key}` failed")]
    Codec {
        /// The step that failed.
        operation: Operation,
        /// The snapshot key.
        key: String,
        /// The zstd error.
        #[source]
        source: io::Error,
    },
    /// The blocking API was called from inside an async runtime, where blocking would
    /// stall (or panic) the runtime. Use [`AsyncRemote`](crate::AsyncRemote) there.
    #[error(
        "the blocking cloud-sync API was called inside an async runtime; use AsyncRemote or spawn_blocking"
    )]
    InsideAsyncRuntime,
    /// The runtime behind the blocking API could not start.
    #[error("starting the runtime for the blocking API failed")]
    Runtime {
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// A request took longer than the remote's request timeout
    /// ([`Remote::with_request_timeout`](crate::Remote::with_request_timeout)) and was
    /// abandoned. The server may or may not have applied it: every cloud-sync write is
    /// create-only, conditional or idempotent, so the next sync finishes the job.
    #[error("{operation} remote object `{key}` timed out after {after:?}")]
    Timeout {
        /// The step that timed out.
        operation: Operation,
        /// The full key.
        key: String,
        /// The configured request timeout.
        after: std::time::Duration,
    },
    /// A background task panicked or was cancelled.
    #[error("{operation} remote object `{key}`: the background task did not finish")]
    TaskFailed {
        /// The step that failed.
        operation: Operation,
        /// The full key.
        key: String,
    },
    /// The record-level three-way merge of a pulled snapshot into local content failed
    /// (local content, the base or the download is not a valid SDN store). Nothing local
    /// was changed.
    #[error("merging remote head `{head}` into {} failed", .path.display())]
    Merge {
        /// The local store.
        path: PathBuf,
        /// The remote head being merged.
        head: String,
        /// Versioning's error, a `versioning::Error` (it names which input is malformed
        /// and where; boxed, and `downcast_ref` finds it).
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// Committing a pull to the local SDN record store failed: the store could not be
    /// read (a malformed store is never overwritten: fix it, or move it aside and pull),
    /// a pre-commit hook of the store vetoed the pull, or writing the commit failed.
    /// Local content and the sync state are unchanged unless the source says the commit
    /// was written.
    #[error("committing the pull of remote head `{head}` to {} failed", .path.display())]
    Store {
        /// The local store.
        path: PathBuf,
        /// The remote head being pulled.
        head: String,
        /// record-store's error, a `record_store::Error` (boxed, and `downcast_ref` finds
        /// it).
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A remote could not be configured (missing bucket, bad endpoint, ...).
    #[error("remote configuration is invalid: {reason}")]
    Config {
        /// What is wrong. Never contains a secret.
        reason: ConfigProblem,
        /// The object store's error, if any (an `object_store::Error`, boxed;
        /// `downcast_ref` finds it).
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
}

impl Error {
    /// Whether another writer changed the remote first: a refused conditional write
    /// ([`Error::Precondition`], [`Error::AlreadyExists`] on the manifest) or a lost
    /// read-back ([`Error::LostRace`]). Such an operation may succeed after a pull.
    pub fn is_lost_race(&self) -> bool {
        matches!(self, Error::LostRace { .. })
    }

    /// The step that failed, for the variants that name one ([`Error::Runtime`] is
    /// [`Operation::StartRuntime`]); `None` for refusals and checks that are not one
    /// step (a lost race, an integrity mismatch, ...).
    pub fn operation(&self) -> Option<Operation> {
        match self {
            Error::Remote { operation, .. }
            | Error::LocalRemote { operation, .. }
            | Error::Local { operation, .. }
            | Error::Lock { operation, .. }
            | Error::Sqlite { operation, .. }
            | Error::Codec { operation, .. }
            | Error::Timeout { operation, .. }
            | Error::TaskFailed { operation, .. } => Some(*operation),
            Error::Runtime { .. } => Some(Operation::StartRuntime),
            _ => None,
        }
    }

    /// The full key (prefix included) of the remote object the error is about; `None`
    /// for errors about local files only.
    pub fn key(&self) -> Option<&str> {
        match self {
            Error::Remote { key, .. }
            | Error::LocalRemote { key, .. }
            | Error::AlreadyExists { key }
            | Error::Precondition { key }
            | Error::NotFound { key }
            | Error::TooLarge { key, .. }
            | Error::InvalidKey { key, .. }
            | Error::Integrity { key, .. }
            | Error::Decode { key, .. }
            | Error::InvalidManifest { key, .. }
            | Error::LostRace { key, .. }
            | Error::NoRemoteHead { key }
            | Error::PruneInProgress { key, .. }
            | Error::Codec { key, .. }
            | Error::Timeout { key, .. }
            | Error::TaskFailed { key, .. } => Some(key),
            _ => None,
        }
    }

    /// The local file the error is about (for [`Error::LocalRemote`], the file backing
    /// the remote object); `None` for errors about remote objects only.
    pub fn path(&self) -> Option<&Path> {
        match self {
            Error::LocalRemote { path, .. }
            | Error::Local { path, .. }
            | Error::AtomicWrite { path, .. }
            | Error::Lock { path, .. }
            | Error::Sqlite { path, .. }
            | Error::SqliteIntegrity { path, .. }
            | Error::SqliteSchemaDiverged { path, .. }
            | Error::SqliteRowConflict { path, .. }
            | Error::Merge { path, .. }
            | Error::Store { path, .. } => Some(path),
            _ => None,
        }
    }

    pub(crate) fn local(operation: Operation, path: impl Into<PathBuf>, source: io::Error) -> Self {
        Error::Local {
            operation,
            path: path.into(),
            source,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::error::Error as _;

    use super::*;

    /// Every variant with a cause returns it, unchanged and of its own type, from
    /// `source()` and leaves its text (and that of every cause below it) out of its own
    /// message, so a reporter walking the chain shows each cause once; the reasons that
    /// come from a fixed set are enums and the integrity mismatch is fields.
    #[test]
    fn the_cause_is_returned_as_source_and_not_printed() {
        let path = std::env::temp_dir().join("db.sqlite");
        let io = || io::Error::other("disk on fire");
        let store_error = || {
            Box::new(object_store::Error::Generic {
                store: "S3",
                source: "connection reset by peer".into(),
            })
        };
        let with_source = [
            Error::Remote {
                operation: Operation::Get,
                key: "p/manifest.json".into(),
                source: store_error(),
            },
            Error::LocalRemote {
                operation: Operation::PutCreate,
                key: "p/manifest.json".into(),
                path: path.clone(),
                source: io(),
            },
            Error::Decode {
                key: "p/manifest.json".into(),
                what: "manifest",
                source: serde_json::from_str::<u32>("{").unwrap_err(),
            },
            Error::local(Operation::ReadLocal, &path, io()),
            Error::AtomicWrite {
                path: path.clone(),
                source: Box::new(atomic_io::Error::Io {
                    operation: atomic_io::Operation::FlushTemp,
                    path: path.clone(),
                    target_changed: false,
                    source: io(),
                }),
            },
            Error::Lock {
                operation: Operation::LockLocal,
                path: path.clone(),
                source: Box::new(file_lock::Error::Io {
                    operation: file_lock::Operation::OpenLockFile,
                    path: path.with_extension("sqlite.lock"),
                    source: io(),
                }),
            },
            Error::Sqlite {
                operation: Operation::CheckSqlite,
                path: path.clone(),
                source: Box::new(rusqlite::Error::InvalidQuery),
            },
            Error::Codec {
                operation: Operation::Decompress,
                key: "p/snapshots/x.zst".into(),
                source: io(),
            },
            Error::Runtime { source: io() },
            Error::Merge {
                path: path.clone(),
                head: "abc".into(),
                source: Box::new(versioning::Error::InvalidWriterId { id: "a b".into() }),
            },
            Error::Config {
                reason: ConfigProblem::Bucket { bucket: "b".into() },
                source: Some(store_error()),
            },
            Error::Store {
                path: path.clone(),
                head: "abc".into(),
                source: Box::new(record_store::Error::aborted("vetoed")),
            },
        ];
        for error in &with_source {
            let cause = error.source().expect("the wrapped error is the source");
            let text = error.to_string();
            // A boxed source (kept boxed so `Error` stays small) is the lower error
            // itself, not its `Box`.
            let expected_type = match error {
                Error::Remote { .. } | Error::Config { .. } => cause.is::<object_store::Error>(),
                Error::LocalRemote { .. }
                | Error::Local { .. }
                | Error::Codec { .. }
                | Error::Runtime { .. } => cause.is::<io::Error>(),
                Error::Decode { .. } => cause.is::<serde_json::Error>(),
                Error::AtomicWrite { .. } => cause.is::<atomic_io::Error>(),
                Error::Lock { .. } => cause.is::<file_lock::Error>(),
                Error::Sqlite { .. } => cause.is::<rusqlite::Error>(),
                Error::Merge { .. } => cause.is::<versioning::Error>(),
                Error::Store { .. } => cause.is::<record_store::Error>(),
                other => panic!("unexpected variant {other:?}"),
            };
            assert!(
                expected_type,
                "{error:?} returns {cause:?}, not the lower error"
            );
            for lower in std::iter::successors(Some(cause), |e| (*e).source()) {
                let lower = lower.to_string();
                assert!(!text.contains(&lower), "{text} repeats {lower}");
            }
        }

        // The accessors answer for every variant.
        let keys: Vec<_> = with_source.iter().map(Error::key).collect();
        let key = Some("p/manifest.json");
        assert_eq!(keys[..3], [key, key, key]);
        assert_eq!(with_source[3].key(), None);
        assert_eq!(with_source[3].path(), Some(path.as_path()));
        assert_eq!(with_source[3].operation(), Some(Operation::ReadLocal));
        assert_eq!(with_source[8].operation(), Some(Operation::StartRuntime));
        assert_eq!(with_source[0].path(), None);

        let integrity = Error::Integrity {
            key: "p/snapshots/x.zst".into(),
            mismatch: IntegrityMismatch::Size {
                expected: 10,
                actual: 12,
            },
        };
        assert!(integrity.source().is_none());
        assert_eq!(
            integrity.to_string(),
            "integrity check failed for remote object `p/snapshots/x.zst`: \
             12 bytes after decompression, the manifest says 10"
        );
        let refused = Error::NotFastForward {
            action: SyncAction::Pull,
            status: SyncStatus::Diverged,
        };
        assert!(
            refused.to_string().starts_with("refusing to pull: "),
            "{refused}"
        );
        let diverged = Error::SqliteSchemaDiverged {
            path: path.clone(),
            table: "t".into(),
            reason: SchemaDivergence::ColumnDropped {
                column: "price".into(),
                side: SchemaSide::Remote,
            },
        };
        assert!(
            diverged.to_string().contains(
                "column `price` was dropped or renamed on the remote; make the table's definition the same"
            ),
            "{diverged}"
        );
        let damaged = Error::SqliteIntegrity {
            path,
            report: vec!["row 1 missing".into(), "page 2 unused".into()],
        };
        assert!(
            damaged
                .to_string()
                .ends_with("failed PRAGMA integrity_check: row 1 missing; page 2 unused"),
            "{damaged}"
        );
    }
}
