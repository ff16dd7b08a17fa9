//! Typed errors: each says what failed, in which file, table and record.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::conflict::Conflict;
use crate::hlc::{ClockSkew, InvalidWriterId};

/// Which text of a three-way [`merge`](crate::merge::merge) an error is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MergeInput {
    /// The common ancestor.
    Base,
    /// This replica's text.
    Ours,
    /// The other replica's text.
    Theirs,
}

impl fmt::Display for MergeInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MergeInput::Base => "base",
            MergeInput::Ours => "ours",
            MergeInput::Theirs => "theirs",
        })
    }
}

/// Why a table cannot be merged row by row ([`Error::Unmergeable`]).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum UnmergeableReason {
    /// The table has no column of the key's name.
    NoKeyColumn {
        /// The key column looked for.
        column: String,
    },
    /// Two rows have the same key, so a change cannot be matched to one of them.
    DuplicateKey {
        /// The key.
        key: String,
        /// 1-based position of the first row in the table.
        first_row: usize,
        /// 1-based position of the second row in the table.
        second_row: usize,
    },
}

impl fmt::Display for UnmergeableReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UnmergeableReason::NoKeyColumn { column } => write!(f, "no key column `{column}`"),
            UnmergeableReason::DuplicateKey {
                key,
                first_row,
                second_row,
            } => write!(f, "rows {first_row} and {second_row} share the key {key}"),
        }
    }
}

/// Why a change could not be stamped ([`Error::Unstamped`]).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum UnstampedReason {
    /// The record type does not carry the version columns, so a change made through
    /// plain record-store cannot be stamped.
    NotVersioned,
    /// The change set the version columns itself, to metadata that does not follow the
    /// record's history (a version not above the stored one, or no stamp).
    MetadataNotNewer {
        /// The version the change sets.
        version: u64,
        /// The stamp the change sets, as written.
        stamp: Option<String>,
        /// The version stored before.
        previous_version: u64,
    },
}

impl fmt::Display for UnstampedReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UnstampedReason::NotVersioned => f.write_str(
                "the record type does not carry the version columns, so the change cannot be \
                 stamped; commit it through VersionedStore or give the type the version fields",
            ),
            UnstampedReason::MetadataNotNewer {
                version,
                stamp,
                previous_version,
            } => {
                write!(f, "the change sets version {version} with ")?;
                match stamp {
                    Some(stamp) => write!(f, "stamp {stamp}")?,
                    None => f.write_str("no stamp")?,
                }
                write!(f, " over version {previous_version}")
            }
        }
    }
}

/// What is wrong with a record ([`Error::Record`]).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RecordProblem {
    /// The record could not be serialized (the codec's error is the source).
    Encode,
    /// The record serialized to something other than a flat struct.
    NotFlat {
        /// What it serialized to (`list`, `int`, ...).
        found: &'static str,
    },
    /// The stored row does not read as the record type (the codec's error is the source).
    Decode,
    /// The record given to replace the stored one has another key.
    KeyChanged {
        /// The new record's key.
        new_key: String,
    },
    /// A conflict strategy kept the stored record, but there is none.
    KeptMissing,
    /// The record was removed while a conflict about it was being resolved.
    Gone,
}

impl fmt::Display for RecordProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecordProblem::Encode => f.write_str("cannot encode the record"),
            RecordProblem::NotFlat { found } => {
                write!(f, "a record must serialize to a flat struct, not a {found}")
            }
            RecordProblem::Decode => f.write_str("the row does not read as the record type"),
            RecordProblem::KeyChanged { new_key } => {
                write!(f, "the new record's key is {new_key}")
            }
            RecordProblem::KeptMissing => {
                f.write_str("the strategy kept a record that does not exist")
            }
            RecordProblem::Gone => f.write_str("the record is gone"),
        }
    }
}

/// The result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What can go wrong in this crate.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The record store below failed (I/O, lock, malformed file, ...).
    ///
    /// A pure pass-through: this crate has nothing to add to the store's message, so the
    /// variant is transparent (its `Display` and `source()` are the store error's own).
    /// Match on it to reach the [`record_store::Error`].
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
        reason: UnstampedReason,
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
    #[error("record {table}/{key} in {path}: {problem}")]
    Record {
        /// The store.
        path: PathBuf,
        /// The table.
        table: String,
        /// The record's key.
        key: String,
        /// What is wrong.
        problem: RecordProblem,
        /// The codec's error, for [`RecordProblem::Encode`] and [`RecordProblem::Decode`].
        #[source]
        source: Option<sdn_codec::Error>,
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
        /// The text at fault.
        input: MergeInput,
        /// The parser's error (line and column).
        #[source]
        source: sdn_codec::Error,
    },
    /// A merge input's table cannot be merged row by row.
    #[error("cannot merge table {table} ({input}): {reason}")]
    Unmergeable {
        /// The text at fault.
        input: MergeInput,
        /// The table.
        table: String,
        /// Why.
        reason: UnmergeableReason,
    },
    /// The merged result could not be written into this replica's text (the document
    /// edit failed; the codec's error is the source).
    #[error("cannot write the merged table {table} into the ours text")]
    MergeEdit {
        /// The table being written.
        table: String,
        /// The codec's error.
        #[source]
        source: sdn_codec::Error,
    },
}

impl From<InvalidWriterId> for Error {
    fn from(invalid: InvalidWriterId) -> Self {
        Error::InvalidWriterId { id: invalid.id }
    }
}

impl Error {
    /// The store file the error is about (for [`Error::Store`], the store error's
    /// [`path`](record_store::Error::path)); `None` for a three-way merge of texts
    /// ([`Error::MalformedInput`], [`Error::Unmergeable`], [`Error::MergeEdit`]) and for
    /// an invalid writer id, which are about no file.
    ///
    /// ```
    /// let err = versioning::Error::InvalidWriterId { id: "a b".into() };
    /// assert_eq!(err.path(), None);
    /// ```
    pub fn path(&self) -> Option<&Path> {
        match self {
            Error::Store(store) => store.path(),
            Error::Conflict(conflict) => Some(&conflict.path),
            Error::Unstamped { path, .. }
            | Error::ClockSkew { path, .. }
            | Error::NotMigrated { path, .. }
            | Error::Record { path, .. }
            | Error::Rejected { path, .. }
            | Error::NoSuchConflict { path, .. } => Some(path),
            Error::InvalidWriterId { .. }
            | Error::MalformedInput { .. }
            | Error::Unmergeable { .. }
            | Error::MergeEdit { .. } => None,
        }
    }

    /// The table the error is about, when it is about one (`*` for a whole-store merge
    /// input of [`Error::ClockSkew`]); `None` for [`Error::Store`] (see the store
    /// error), [`Error::MalformedInput`] and [`Error::InvalidWriterId`].
    pub fn table(&self) -> Option<&str> {
        match self {
            Error::Conflict(conflict) => Some(&conflict.table),
            Error::Unstamped { table, .. }
            | Error::ClockSkew { table, .. }
            | Error::NotMigrated { table, .. }
            | Error::Record { table, .. }
            | Error::Rejected { table, .. }
            | Error::NoSuchConflict { table, .. }
            | Error::Unmergeable { table, .. }
            | Error::MergeEdit { table, .. } => Some(table),
            Error::Store(_) | Error::InvalidWriterId { .. } | Error::MalformedInput { .. } => None,
        }
    }

    /// Which text of a three-way merge the error is about ([`Error::MalformedInput`],
    /// [`Error::Unmergeable`]; [`Error::MergeEdit`] is about [`MergeInput::Ours`], the
    /// text the merged table is written into).
    pub fn merge_input(&self) -> Option<MergeInput> {
        match self {
            Error::MalformedInput { input, .. } | Error::Unmergeable { input, .. } => Some(*input),
            Error::MergeEdit { .. } => Some(MergeInput::Ours),
            _ => None,
        }
    }
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

#[cfg(test)]
mod tests {
    use std::error::Error as _;
    use std::io;

    use super::*;

    /// Every variant with a cause returns it, unchanged and of its own type, from
    /// `source()` and leaves its text (and the text of every cause below it) out of its
    /// own message, so a reporter walking the chain shows each cause once. Regression:
    /// `Record` and the document-edit failures of a merge used to flatten the codec's
    /// error into their message and return no source.
    #[test]
    fn the_cause_is_returned_as_source_and_not_printed() {
        let path = std::env::temp_dir().join("x.sdn");
        let codec_error = || sdn_codec::parse("a: 1\na: 2\n").unwrap_err();
        let edit_error = sdn_codec::Document::parse("a: 1\n")
            .unwrap()
            .table_mut("a")
            .map(drop)
            .unwrap_err();
        let store_error = record_store::Error::Lock {
            path: path.clone(),
            source: record_store::file_lock::Error::Io {
                operation: record_store::file_lock::Operation::OpenLockFile,
                path: path.with_extension("sdn.lock"),
                source: io::Error::from(io::ErrorKind::PermissionDenied),
            },
        };
        let with_source = [
            Error::from(store_error),
            Error::Record {
                path: path.clone(),
                table: "todos".into(),
                key: "1".into(),
                problem: RecordProblem::Decode,
                source: Some(codec_error()),
            },
            Error::MalformedInput {
                input: MergeInput::Theirs,
                source: codec_error(),
            },
            Error::MergeEdit {
                table: "a".into(),
                source: edit_error,
            },
        ];
        for error in &with_source {
            let cause = error.source().expect("the wrapped error is the source");
            let text = error.to_string();
            let expected_type = match error {
                // Transparent: the store error's own source (here the lock's error).
                Error::Store(_) => cause.is::<record_store::file_lock::Error>(),
                Error::Record { .. } | Error::MalformedInput { .. } | Error::MergeEdit { .. } => {
                    cause.is::<sdn_codec::Error>()
                }
                other => panic!("unexpected variant {other:?}"),
            };
            assert!(
                expected_type,
                "{error:?}: the source is the lower error itself"
            );
            let mut lower = Some(cause);
            while let Some(next) = lower {
                let next_text = next.to_string();
                assert!(!text.contains(&next_text), "{text} repeats {next_text}");
                lower = next.source();
            }
        }

        let no_codec_error = Error::Record {
            path: path.clone(),
            table: "todos".into(),
            key: "1".into(),
            problem: RecordProblem::Gone,
            source: None,
        };
        assert!(no_codec_error.source().is_none());
        assert!(no_codec_error.to_string().ends_with("the record is gone"));
        let unmergeable = Error::Unmergeable {
            input: MergeInput::Base,
            table: "todos".into(),
            reason: UnmergeableReason::DuplicateKey {
                key: "1".into(),
                first_row: 1,
                second_row: 3,
            },
        };
        assert!(unmergeable.source().is_none());
        assert_eq!(unmergeable.merge_input(), Some(MergeInput::Base));
        assert_eq!(unmergeable.table(), Some("todos"));
        assert_eq!(unmergeable.path(), None);
        // The accessors answer for every variant: the store's path through the
        // transparent wrapper, the record's path and table.
        let paths: Vec<_> = with_source.iter().map(Error::path).collect();
        assert_eq!(
            paths,
            [Some(path.as_path()), Some(path.as_path()), None, None]
        );
        assert_eq!(with_source[1].table(), Some("todos"));
        assert_eq!(with_source[3].merge_input(), Some(MergeInput::Ours));
        assert_eq!(
            unmergeable.to_string(),
            "cannot merge table todos (base): rows 1 and 3 share the key 1"
        );
    }
}
