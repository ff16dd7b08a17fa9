//! Typed errors: every failure names the operation and the remote key or local path it
//! was working on. `Display` never repeats the `source()`, and no variant carries a
//! credential, so printing an error (or its `Debug`) never reveals a secret.

use std::fmt;
use std::io;
use std::path::PathBuf;

use crate::check::SyncStatus;

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
        /// The object store's error.
        #[source]
        source: Box<object_store::Error>,
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
    #[error("integrity check failed for remote object `{key}`: {problem}")]
    Integrity {
        /// The full key.
        key: String,
        /// What did not match.
        problem: String,
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
        reason: String,
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
        /// "push" or "pull".
        action: &'static str,
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
        /// The atomic-io error.
        #[source]
        source: Box<atomic_io::Error>,
    },
    /// Taking a local or local-directory-remote lock failed.
    #[error("{operation} {} failed", .path.display())]
    Lock {
        /// The step that failed.
        operation: Operation,
        /// The locked path (its sidecar is `<path>.lock`).
        path: PathBuf,
        /// The file-lock error.
        #[source]
        source: Box<file_lock::Error>,
    },
    /// SQLite reported an error.
    #[error("{operation} {} failed", .path.display())]
    Sqlite {
        /// The step that failed.
        operation: Operation,
        /// The database file.
        path: PathBuf,
        /// SQLite's error.
        #[source]
        source: Box<rusqlite::Error>,
    },
    /// `PRAGMA integrity_check` found problems in a downloaded database; nothing was
    /// applied.
    #[error("the downloaded database {} failed PRAGMA integrity_check: {report}", .path.display())]
    SqliteIntegrity {
        /// The downloaded copy that was checked.
        path: PathBuf,
        /// The first lines SQLite reported.
        report: String,
    },
    /// The row-level merge of SQLite databases cannot reconcile a schema change (a table
    /// whose `CREATE` statement differs between local and remote, or that one side
    /// dropped). Nothing local was changed; `--prefer local` or `--prefer cloud` at the
    /// whole-database level settles it.
    #[error("cannot merge table `{table}` of {}: {reason}", .path.display())]
    SqliteSchemaDiverged {
        /// The local database.
        path: PathBuf,
        /// The table.
        table: String,
        /// What differs.
        reason: String,
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
        /// Versioning's error (it names which input is malformed and where).
        #[source]
        source: Box<versioning::Error>,
    },
    /// A remote could not be configured (missing bucket, bad endpoint, ...).
    #[error("remote configuration is invalid: {reason}")]
    Config {
        /// What is wrong. Never contains a secret.
        reason: String,
        /// The object store's error, if any.
        #[source]
        source: Option<Box<object_store::Error>>,
    },
}

impl Error {
    /// Whether another writer changed the remote first: a refused conditional write
    /// ([`Error::Precondition`], [`Error::AlreadyExists`] on the manifest) or a lost
    /// read-back ([`Error::LostRace`]). Such an operation may succeed after a pull.
    pub fn is_lost_race(&self) -> bool {
        matches!(self, Error::LostRace { .. })
    }

    pub(crate) fn local(operation: Operation, path: impl Into<PathBuf>, source: io::Error) -> Self {
        Error::Local {
            operation,
            path: path.into(),
            source,
        }
    }
}
