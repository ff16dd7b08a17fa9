//! Typed errors: each says what failed, in which file, table and record.

use std::path::PathBuf;

use crate::conflict::Conflict;

/// The result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A stamp from another replica that lies too far in the future.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "stamp {stamp} lies {ahead_ms} ms ahead of the local clock (at most {max_ahead_ms} ms allowed)"
)]
pub struct ClockSkew {
    /// The stamp, as written.
    pub stamp: String,
    /// How far ahead of the local wall clock it lies.
    pub ahead_ms: u64,
    /// The bound it broke.
    pub max_ahead_ms: u64,
}

/// What can go wrong in this crate.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The record store below failed (I/O, lock, malformed file, ...).
    #[error(transparent)]
    Store(record_store::Error),
    /// A change to a versioned table could not be stamped, or carried metadata that
    /// does not follow the record's history: the commit was vetoed, nothing written.
    #[error("cannot stamp the change to {table}/{key} in {path}: {reason}")]
    Unstamped {
        /// The store.
        path: PathBuf,
        /// The table.
        table: String,
        /// The record's key.
        key: String,
        /// Why.
        reason: String,
    },
    /// Another writer committed the record since it was read, and the strategy was to
    /// fail: nothing was written. Carries base, ours and theirs.
    #[error("{0}")]
    Conflict(Box<Conflict>),
    /// A stamp lies beyond the clock-skew bound and the policy is to refuse it.
    #[error("clock skew in {path} (table {table}): {skew}")]
    ClockSkew {
        /// The store.
        path: PathBuf,
        /// The table whose stamp it is (or `*` for a whole-store merge input).
        table: String,
        /// The offending stamp.
        skew: ClockSkew,
    },
    /// The table has no version columns yet: run [`crate::VersionedStore::migrate`].
    #[error(
        "table {table} in {path} has no version columns ({missing:?} missing): migrate it first"
    )]
    NotMigrated {
        /// The store.
        path: PathBuf,
        /// The table.
        table: String,
        /// The metadata columns it lacks.
        missing: Vec<String>,
    },
    /// A writer id with characters a stamp cannot hold.
    #[error("invalid writer id {id:?}: use 1 to 64 characters of A-Z a-z 0-9 . _ -")]
    InvalidWriterId {
        /// The id given.
        id: String,
    },
    /// A record that cannot be encoded or decoded as its type.
    #[error("record {table}/{key} in {path}: {message}")]
    Record {
        /// The store.
        path: PathBuf,
        /// The table.
        table: String,
        /// The record's key.
        key: String,
        /// What is wrong.
        message: String,
    },
    /// A conflict callback rejected the commit: nothing was written.
    #[error("commit of {table}/{key} in {path} rejected by the conflict callback: {reason}")]
    Rejected {
        /// The store.
        path: PathBuf,
        /// The table.
        table: String,
        /// The record's key.
        key: String,
        /// The callback's reason.
        reason: String,
    },
    /// No kept conflict matches.
    #[error("no kept conflict for {table}/{key} field {field} in {path}")]
    NoSuchConflict {
        /// The store.
        path: PathBuf,
        /// The table.
        table: String,
        /// The record's key.
        key: String,
        /// The field.
        field: String,
    },
    /// A merge input is not valid SDN.
    #[error("cannot merge: the {input} text is not valid SDN")]
    MalformedInput {
        /// `base`, `ours` or `theirs`.
        input: &'static str,
        /// The parser's error (line and column).
        #[source]
        source: sdn_codec::Error,
    },
    /// A merge input's table cannot be merged row by row.
    #[error("cannot merge table {table} ({input}): {message}")]
    Unmergeable {
        /// `base`, `ours` or `theirs`.
        input: &'static str,
        /// The table.
        table: String,
        /// Why.
        message: String,
    },
}

impl From<record_store::Error> for Error {
    /// A commit vetoed by this crate's pre-commit hook comes back as the typed error the
    /// hook raised; any other record-store error is wrapped.
    fn from(err: record_store::Error) -> Self {
        match err {
            record_store::Error::Aborted(source) => match source.downcast::<Error>() {
                Ok(ours) => *ours,
                Err(source) => Error::Store(record_store::Error::Aborted(source)),
            },
            other => Error::Store(other),
        }
    }
}
