//! The error type: every variant says what failed, on which file, and (for data errors)
//! where in it: line, column, table and table column. Unless a variant says otherwise,
//! the file was **not** changed.
//!
//! An error that wraps another (an I/O error, a lock error, a parse error) returns it as
//! [`source()`](std::error::Error::source) and does not repeat it in its own message, so
//! an error reporter that walks the chain (anyhow, eyre) shows each cause once.

use std::io;
use std::path::PathBuf;
use std::time::Duration;

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
    #[error("cannot {operation} {}", .path.display())]
    Io {
        /// What was being done, e.g. "read".
        operation: &'static str,
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
        /// What went wrong.
        message: String,
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
        reason: String,
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
    /// A multi-file commit journal or its side files are inconsistent beyond what
    /// recovery may decide alone.
    #[error("commit journal {}: {message}", .path.display())]
    Journal {
        /// The journal or side file.
        path: PathBuf,
        /// What is wrong.
        message: String,
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
        reason: String,
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

    pub(crate) fn io(operation: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
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
}

/// `Result<T, record_store::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use std::error::Error as _;

    use super::*;

    /// Regression: `Io`, `Malformed`, `Lock` and `Commit` used to print their source and
    /// return it too, so a reporter walking the chain printed every cause twice.
    #[test]
    fn a_wrapped_cause_is_returned_or_printed_never_both() {
        let dir = std::env::temp_dir();
        let parse_error = sdn_codec::parse("a: 1\na: 2\n").unwrap_err();
        let lock_error = file_lock::Error::Io {
            operation: file_lock::Operation::OpenLockFile,
            path: dir.join("x.sdn.lock"),
            source: io::Error::from(io::ErrorKind::PermissionDenied),
        };
        let wrapped = [
            Error::io("read", dir.join("x.sdn"), io::Error::from_raw_os_error(5)),
            Error::malformed(dir.join("x.sdn"), parse_error),
            Error::Lock {
                path: dir.join("x.sdn"),
                source: lock_error,
            },
        ];
        for error in &wrapped {
            let cause = error.source().expect("the wrapped error is the source");
            let (text, cause_text) = (error.to_string(), cause.to_string());
            assert!(!text.contains(&cause_text), "{text} repeats {cause_text}");
            assert!(text.contains("x.sdn"), "{text}");
        }
        let aborted = Error::aborted("nothing to do");
        assert!(aborted.source().is_none(), "the reason is printed");
        assert_eq!(aborted.to_string(), "transaction aborted: nothing to do");
    }
}
