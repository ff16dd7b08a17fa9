//! The error type: every variant says what failed, on which file, and (for data errors)
//! where in it: line, column, table and table column. Unless a variant says otherwise,
//! the file was **not** changed.
//!
//! An error that wraps another (an I/O error, a lock error, a parse error) returns it as
//! [`source()`](std::error::Error::source) and does not repeat it in its own message, so
//! an error reporter that walks the chain (anyhow, eyre) shows each cause once.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use atomic_io::journal::JournalError;
pub use atomic_io::journal::UnmatchedReason;

/// The step of an [`Error::Io`] that failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Operation {
    /// Resolving the store's path to the file it names (making it absolute, following
    /// symbolic links).
    ResolvePath,
    /// Reading a symbolic link on the way to the file.
    ReadLink,
    /// Opening the data file.
    Open,
    /// Reading the data file.
    Read,
    /// Reading the data file's metadata (to tell whether it changed).
    Stat,
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Operation::ResolvePath => "resolving the path",
            Operation::ReadLink => "reading the symbolic link",
            Operation::Open => "opening the file",
            Operation::Read => "reading the file",
            Operation::Stat => "reading the file's metadata",
        })
    }
}

/// Why a record type's table name cannot be held in an SDN file
/// ([`Error::InvalidTableName`]).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TableNameProblem {
    /// The codec cannot write the name as a key (the codec's error is the source).
    NotAKey,
    /// The header written for it reads back as another name.
    ReadsBackAsAnotherName {
        /// The header as written.
        header: String,
    },
    /// The header written for it does not parse (the codec's error is the source).
    HeaderDoesNotParse {
        /// The header as written.
        header: String,
    },
}

impl fmt::Display for TableNameProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TableNameProblem::NotAKey => f.write_str("it cannot be written as a key"),
            TableNameProblem::ReadsBackAsAnotherName { header } => {
                write!(f, "its header `{header}` reads back as another name")
            }
            TableNameProblem::HeaderDoesNotParse { header } => {
                write!(f, "its header `{header}` does not parse")
            }
        }
    }
}

/// Everything that can go wrong in a store.
///
/// A variant that wraps a lower error (a system error, the parser's, the lock's, the
/// write's) names what failed and where, and returns the lower error as its
/// [`source`](std::error::Error::source) without repeating it, so error reporters that
/// walk the chain (`anyhow`, `{:#}`) print each cause once.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading, creating, renaming or flushing a file failed.
    #[error("{operation} failed for {}", .path.display())]
    Io {
        /// The step that failed.
        operation: Operation,
        /// The file or directory it was done to.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// The file is not valid SDN (or not valid UTF-8). A transaction never overwrites a
    /// file it could not read.
    #[error(
        "{} is not valid SDN at line {line}, column {column} (the file was not changed)",
        .path.display()
    )]
    Malformed {
        /// The file.
        path: PathBuf,
        /// 1-based line of the problem.
        line: usize,
        /// 1-based column of the problem.
        column: usize,
        /// What the parser saw (the source's message, without its position).
        message: String,
        /// The parser's error.
        #[source]
        source: sdn_codec::Error,
    },
    /// A row could not be read as the record type, or a record could not be written as a
    /// row.
    #[error(
        "{}{}: table `{table}`{}: {message}",
        .path.display(),
        position_text(*.line, Some(*.column).filter(|c| *c > 0)),
        field_text(.field.as_deref())
    )]
    Record {
        /// The file.
        path: PathBuf,
        /// The table.
        table: String,
        /// 1-based line of the row, when known.
        line: Option<usize>,
        /// 1-based column (in characters) of the offending cell; 0 when unknown.
        column: usize,
        /// The table column (record field) at fault, when known.
        field: Option<Box<str>>,
        /// What went wrong (without the codec's message, which is the source).
        message: Box<str>,
        /// The codec's error, when the codec refused the row, the record or the edit.
        #[source]
        source: Option<sdn_codec::Error>,
    },
    /// The file names an entry with the record's table name, but it is not a table.
    #[error("{}{}: `{table}` is a {found}, not a table", .path.display(), position_text(*.line, None))]
    NotATable {
        /// The file.
        path: PathBuf,
        /// The entry's name.
        table: String,
        /// What the entry is.
        found: &'static str,
        /// 1-based line of the entry, when known.
        line: Option<usize>,
    },
    /// Two rows of a table in the file have the same key: the store cannot tell which one
    /// a change is meant for, so it refuses to guess.
    #[error(
        "{}: table `{table}` has key {key} twice ({})",
        .path.display(),
        rows_text(*.first_row, *.second_row, *.first_line, *.second_line)
    )]
    DuplicateKeyInFile {
        /// The file.
        path: PathBuf,
        /// The table.
        table: String,
        /// The repeated key.
        key: String,
        /// 1-based position of the first row in the table.
        first_row: usize,
        /// 1-based position of the second row in the table.
        second_row: usize,
        /// 1-based line of the first row in the file; 0 when unknown.
        first_line: usize,
        /// 1-based line of the second row in the file; 0 when unknown.
        second_line: usize,
    },
    /// A record type's table name cannot be written as a table name in an SDN file. The
    /// store refuses the type the first time it meets it, before reading or writing.
    #[error("record type {record} names table `{table}`, which SDN cannot hold: {reason}")]
    InvalidTableName {
        /// The name (`Record::TABLE`).
        table: &'static str,
        /// The record type.
        record: &'static str,
        /// Why it cannot be held.
        reason: TableNameProblem,
        /// The codec's error, when the codec refused the name or its header.
        #[source]
        source: Option<sdn_codec::Error>,
    },
    /// The file this handle had read is gone (deleted, or its directory renamed). An
    /// empty store is only assumed for a file that did not exist when first looked at:
    /// open a new handle to start again from an empty store.
    #[error("{} vanished after this handle had read it (deleted, or its directory moved)", .path.display())]
    Vanished {
        /// The file.
        path: PathBuf,
    },
    /// Another program is writing the file in place (not through this crate's lock and
    /// atomic replace) and it did not stay unchanged long enough to be read whole.
    #[error(
        "{} is being changed in place by another program; it did not stay unchanged for {settle:?} within {waited:?}",
        .path.display()
    )]
    ChangedInPlace {
        /// The file.
        path: PathBuf,
        /// How long the file must stay unchanged.
        settle: Duration,
        /// How long the transaction waited.
        waited: Duration,
    },
    /// [`Table::insert`](crate::Table::insert) found a record with the same key.
    #[error("table `{table}` already has a record with key {key}")]
    KeyExists {
        /// The table.
        table: &'static str,
        /// The key.
        key: String,
    },
    /// A record reached through [`Table::get_mut`](crate::Table::get_mut) changed its key.
    #[error(
        "record {key} of table `{table}` changed its key to {new_key}; remove and insert instead"
    )]
    KeyChanged {
        /// The table.
        table: &'static str,
        /// The key it was stored under.
        key: String,
        /// The key it has now.
        new_key: String,
    },
    /// Two record types with the same table name were used in one transaction.
    #[error("table `{table}` was opened as both {first} and {second} in one transaction")]
    TableTypeConflict {
        /// The table.
        table: &'static str,
        /// The type it was first opened as.
        first: &'static str,
        /// The other type.
        second: &'static str,
    },
    /// A change set names a table the transaction has not opened, so its rows have no
    /// record type to read as (see [`Transaction::apply`](crate::Transaction::apply)).
    #[error(
        "cannot apply changes to table `{table}` of {}: open it with `Transaction::table` first",
        .path.display()
    )]
    TableNotOpen {
        /// The data file.
        path: PathBuf,
        /// The table.
        table: String,
    },
    /// A text given to [`Transaction::replace_text`](crate::Transaction::replace_text)
    /// cannot replace the file: it is not valid SDN. Nothing was changed.
    #[error(
        "{}: the replacement text is not valid SDN at line {line}, column {column} (the file was not changed)",
        .path.display()
    )]
    Replacement {
        /// The data file.
        path: PathBuf,
        /// 1-based line of the problem in the replacement text.
        line: usize,
        /// 1-based column of the problem in the replacement text.
        column: usize,
        /// What the parser saw (the source's message, without its position).
        message: String,
        /// The parser's error.
        #[source]
        source: sdn_codec::Error,
    },
    /// The writer lock could not be taken.
    #[error("cannot lock {}", .path.display())]
    Lock {
        /// The data file.
        path: PathBuf,
        /// The lock's error (it names the holder when known).
        #[source]
        source: file_lock::Error,
    },
    /// Replacing the file failed; [`atomic_io::Error::target_changed`] tells whether the
    /// new content reached the file.
    #[error("cannot commit {}", .path.display())]
    Commit {
        /// The data file.
        path: PathBuf,
        /// The write's error.
        #[source]
        source: atomic_io::Error,
    },
    /// A multi-file commit of a [`StoreSet`](crate::StoreSet), or the recovery of an
    /// interrupted one, failed in the commit journal ([`atomic_io::journal`]). The
    /// journal's error is the [`source`](std::error::Error::source): it says which step
    /// failed. [`Error::is_committed`] tells whether the transaction passed its commit
    /// point: then it is not lost, and the next open of any member completes it;
    /// otherwise no member was changed by the failed commit.
    #[error("multi-file commit journal failed for {}{}", .path.display(), committed_text(.source.is_committed()))]
    Journal {
        /// The file the failure is about (see [`JournalError::path`]).
        path: PathBuf,
        /// The journal's error.
        #[source]
        source: JournalError,
    },
    /// The side files of an interrupted multi-file commit do not fit together (for example
    /// part of a directory was copied or moved mid-commit). Recovery refuses to guess:
    /// nothing was changed; inspect the named files and remove the side files by hand.
    #[error(
        "cannot recover the interrupted multi-file commit of {}: {reason} (side file {}, journal {}); nothing was changed",
        .target.display(), .side_file.display(), .journal.display()
    )]
    UnmatchedJournal {
        /// The data file being recovered.
        target: PathBuf,
        /// The side file (intent or journal) that led to the journal.
        side_file: PathBuf,
        /// The journal.
        journal: PathBuf,
        /// What does not fit.
        reason: UnmatchedReason,
    },
    /// A [`StoreSet`](crate::StoreSet) transaction named a file that is not in the set.
    #[error("{} is not a member of this store set", .path.display())]
    NotInSet {
        /// The path asked for.
        path: PathBuf,
    },
    /// The transaction's closure gave up; nothing was written. The message shows the
    /// reason (it is the caller's own message, not a cause to walk to).
    #[error("transaction aborted: {0}")]
    Aborted(Box<dyn std::error::Error + Send + Sync>),
}

fn committed_text(committed: bool) -> &'static str {
    if committed {
        "; the transaction is committed and the next open of any member completes it"
    } else {
        ""
    }
}

fn position_text(line: Option<usize>, column: Option<usize>) -> String {
    match (line, column) {
        (Some(line), Some(column)) => format!(" line {line}, column {column}"),
        (Some(line), None) => format!(" line {line}"),
        _ => String::new(),
    }
}

fn field_text(field: Option<&str>) -> String {
    field
        .map(|field| format!(", column `{field}`"))
        .unwrap_or_default()
}

fn rows_text(first_row: usize, second_row: usize, first_line: usize, second_line: usize) -> String {
    if first_line > 0 && second_line > 0 {
        format!("lines {first_line} and {second_line}")
    } else {
        format!("rows {first_row} and {second_row} of the table")
    }
}

impl Error {
    /// An [`Error::Aborted`] carrying `reason`: return it from a transaction's closure to
    /// abandon the transaction.
    ///
    /// ```
    /// let err = record_store::Error::aborted("nothing to do");
    /// assert_eq!(err.to_string(), "transaction aborted: nothing to do");
    /// ```
    pub fn aborted(reason: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Error::Aborted(reason.into())
    }

    /// The file the error is about (for [`Error::UnmatchedJournal`], the data file being
    /// recovered); `None` for errors about a record type or a key rather than a file.
    pub fn path(&self) -> Option<&Path> {
        match self {
            Error::Io { path, .. }
            | Error::Malformed { path, .. }
            | Error::Record { path, .. }
            | Error::NotATable { path, .. }
            | Error::DuplicateKeyInFile { path, .. }
            | Error::Vanished { path }
            | Error::ChangedInPlace { path, .. }
            | Error::TableNotOpen { path, .. }
            | Error::Replacement { path, .. }
            | Error::Lock { path, .. }
            | Error::Commit { path, .. }
            | Error::Journal { path, .. }
            | Error::NotInSet { path } => Some(path),
            Error::UnmatchedJournal { target, .. } => Some(target),
            Error::InvalidTableName { .. }
            | Error::KeyExists { .. }
            | Error::KeyChanged { .. }
            | Error::TableTypeConflict { .. }
            | Error::Aborted(_) => None,
        }
    }

    /// Whether the failed transaction passed its commit point all the same: only a
    /// multi-file commit whose journal was committed but not yet applied
    /// ([`Error::Journal`]). Its changes are not lost: the next open of any member of
    /// the set completes it. For every other error, the transaction wrote nothing.
    pub fn is_committed(&self) -> bool {
        matches!(self, Error::Journal { source, .. } if source.is_committed())
    }

    pub(crate) fn io(operation: Operation, path: impl Into<PathBuf>, source: io::Error) -> Self {
        Error::Io {
            operation,
            path: path.into(),
            source,
        }
    }

    pub(crate) fn malformed(path: impl Into<PathBuf>, source: sdn_codec::Error) -> Self {
        Error::Malformed {
            path: path.into(),
            line: source.line(),
            column: source.column(),
            message: source.message().to_owned(),
            source,
        }
    }

    /// An [`Error::Replacement`] for a replacement text that does not parse.
    pub(crate) fn replacement_malformed(path: &Path, source: sdn_codec::Error) -> Self {
        Error::Replacement {
            path: path.to_path_buf(),
            line: source.line(),
            column: source.column(),
            message: source.message().to_owned(),
            source,
        }
    }

    /// A [`Record`](Error::Record) error that names no row or cell.
    pub(crate) fn record(path: &Path, table: &str, message: impl Into<Box<str>>) -> Self {
        Error::record_with(path, table, message.into(), None)
    }

    /// A [`Record`](Error::Record) error that names no row or cell, caused by the
    /// codec's `source` (kept whole as the source, not copied into the message).
    pub(crate) fn record_caused(
        path: &Path,
        table: &str,
        message: impl Into<Box<str>>,
        source: sdn_codec::Error,
    ) -> Self {
        Error::record_with(path, table, message.into(), Some(source))
    }

    fn record_with(
        path: &Path,
        table: &str,
        message: Box<str>,
        source: Option<sdn_codec::Error>,
    ) -> Self {
        Error::Record {
            path: path.to_path_buf(),
            table: table.to_owned(),
            line: None,
            column: 0,
            field: None,
            message,
            source,
        }
    }
}

/// `Result<T, record_store::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use std::error::Error as _;

    use atomic_io::journal::JournalOperation;

    use super::*;

    /// Every variant with a cause returns it, unchanged and of its own type, from
    /// `source()` and leaves its text out of its own message, so a reporter walking the
    /// chain (anyhow, `{:#}`) shows each cause once. Regression: `Io`, `Malformed`,
    /// `Lock` and `Commit` used to print their source and return it too, `Journal`
    /// flattened the journal's error (and its cause) into its message, and `Record` and
    /// `InvalidTableName` flattened the codec's message into theirs.
    #[test]
    fn the_cause_is_returned_as_source_and_not_printed() {
        let dir = std::env::temp_dir();
        let file = dir.join("x.sdn");
        let journal_io = || JournalError::Io {
            operation: JournalOperation::FlushDir,
            path: dir.join("x.sdn.rs-journal"),
            source: io::Error::from_raw_os_error(5),
        };
        let unapplied = JournalError::Unapplied {
            journal: dir.join("x.sdn.rs-journal"),
            source: Box::new(journal_io()),
        };
        let with_source = [
            Error::io(Operation::Read, &file, io::Error::from_raw_os_error(5)),
            Error::malformed(&file, sdn_codec::parse("a: 1\na: 2\n").unwrap_err()),
            Error::Lock {
                path: file.clone(),
                source: file_lock::Error::Io {
                    operation: file_lock::Operation::OpenLockFile,
                    path: dir.join("x.sdn.lock"),
                    source: io::Error::from(io::ErrorKind::PermissionDenied),
                },
            },
            Error::Commit {
                path: file.clone(),
                source: atomic_io::Error::Io {
                    operation: atomic_io::Operation::FlushTemp,
                    path: file.clone(),
                    target_changed: false,
                    source: io::Error::from_raw_os_error(28),
                },
            },
            Error::from(journal_io()),
            Error::from(unapplied),
            Error::from(JournalError::StagedMismatch {
                staged: dir.join("x.sdn.rs-staged"),
                journal: dir.join("x.sdn.rs-journal"),
            }),
            Error::record_caused(
                &file,
                "counters",
                "cannot update row 1",
                sdn_codec::Document::parse("t |a|\n    1\n")
                    .and_then(|mut doc| doc.table_mut(["t"])?.update_row(5, vec![]))
                    .expect_err("there is no row 5"),
            ),
        ];
        for error in &with_source {
            let cause = error.source().expect("the wrapped error is the source");
            let (text, cause_text) = (error.to_string(), cause.to_string());
            assert!(!text.contains(&cause_text), "{text} repeats {cause_text}");
            assert!(text.contains("x.sdn"), "{text}");
            let expected_type = match error {
                Error::Io { .. } => cause.is::<io::Error>(),
                Error::Malformed { .. } => cause.is::<sdn_codec::Error>(),
                Error::Lock { .. } => cause.is::<file_lock::Error>(),
                Error::Commit { .. } => cause.is::<atomic_io::Error>(),
                Error::Journal { .. } => cause.is::<JournalError>(),
                Error::Record { .. } => cause.is::<sdn_codec::Error>(),
                other => panic!("unexpected variant {other:?}"),
            };
            assert!(
                expected_type,
                "{error:?}: the source is the lower error itself"
            );
            // Nor does the message repeat any cause further down the chain.
            let mut lower = cause.source();
            while let Some(next) = lower {
                assert!(!text.contains(&next.to_string()), "{text} repeats {next}");
                lower = next.source();
            }
        }

        let committed = &with_source[5];
        assert!(committed.is_committed(), "{committed}");
        assert!(committed.to_string().contains("committed"), "{committed}");
        assert!(with_source.iter().filter(|e| e.is_committed()).count() == 1);

        let unmatched = Error::from(JournalError::Unmatched {
            target: file.clone(),
            side_file: dir.join("x.sdn.rs-intent"),
            journal: dir.join("x.sdn.rs-journal"),
            reason: UnmatchedReason::IntentNotInJournal,
        });
        assert!(
            matches!(
                unmatched,
                Error::UnmatchedJournal {
                    reason: UnmatchedReason::IntentNotInJournal,
                    ..
                }
            ),
            "{unmatched:?}"
        );
        assert!(unmatched.source().is_none(), "its fields are copied out");
        assert_eq!(unmatched.path(), Some(file.as_path()));

        // A table name the codec refuses keeps the codec's error as the source too (it
        // is not about a file, so it names none).
        let invalid_name = Error::InvalidTableName {
            table: "a\nb",
            record: "Odd",
            reason: TableNameProblem::NotAKey,
            source: Some(sdn_codec::Error::new(
                sdn_codec::ErrorKind::InvalidKey,
                "bad key",
            )),
        };
        let cause = invalid_name
            .source()
            .expect("the codec's error is the source");
        assert!(cause.is::<sdn_codec::Error>(), "{invalid_name:?}");
        assert!(
            !invalid_name.to_string().contains(&cause.to_string()),
            "{invalid_name}"
        );

        let aborted = Error::aborted("nothing to do");
        assert!(aborted.source().is_none(), "the reason is printed");
        assert_eq!(aborted.to_string(), "transaction aborted: nothing to do");
    }
}
