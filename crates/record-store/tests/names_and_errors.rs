//! Phase 3, names and errors: a table name is one literal name everywhere, and errors say
//! where and why: data errors name the file, line, column, table and table column; an
//! error's cause is its `source()` (the OS reason of a lock error included), never
//! repeated in its message.

mod support;

use std::fs;

use record_store::{Error, Record, Store};
use serde::{Deserialize, Serialize};
use support::*;

/// Adds 1 to counter 0.
fn increment(store: &Store) -> Result<(), Error> {
    store.update(|tx| {
        tx.table::<Counter>()?
            .get_mut(&0)
            .ok_or(Error::aborted("counter 0 missing"))?
            .value += 1;
        Ok(())
    })
}

// ---------------------------------------------------------------------------------------
// Table names
// ---------------------------------------------------------------------------------------

macro_rules! named_record {
    ($name:ident, $table:expr) => {
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        struct $name {
            id: u32,
            f: String,
        }
        impl Record for $name {
            const TABLE: &'static str = $table;
            type Key = u32;
            fn key(&self) -> u32 {
                self.id
            }
        }
    };
}

named_record!(Dotted, "a.b");
named_record!(Spaced, "my table");
named_record!(Quoted, "say \"hi\", #1: x|y");
named_record!(Plain, "a");

fn odd_name_round_trip<T: Record + std::fmt::Debug>(make: impl Fn(u32) -> T) -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("odd.sdn");
    let store = Store::open(&path)?;
    for id in 1..=3 {
        store.update(|tx| tx.table::<T>()?.insert(make(id)))?;
    }
    let again = store.update(|tx| tx.table::<T>()?.insert(make(1)));
    assert!(matches!(again, Err(Error::KeyExists { .. })), "{again:?}");
    assert_eq!(store.read()?.table::<T>()?.len(), 3, "{}", T::TABLE);
    assert_eq!(Store::open(&path)?.read()?.table::<T>()?.len(), 3);
    // The file holds one table under exactly that name, three rows, nothing else.
    let root = sdn_codec::parse(&fs::read_to_string(&path)?)?;
    let entries = root.as_dict().ok_or("not a dict")?;
    assert_eq!(entries.keys().collect::<Vec<_>>(), [T::TABLE]);
    assert_eq!(
        entries
            .get(T::TABLE)
            .and_then(|t| t.as_table())
            .map(|t| t.rows.len()),
        Some(3)
    );
    Ok(())
}

#[test]
fn a_table_name_is_one_literal_name_in_reads_and_writes() -> TestResult {
    odd_name_round_trip(|id| Dotted {
        id,
        f: format!("v{id}"),
    })?;
    odd_name_round_trip(|id| Spaced {
        id,
        f: format!("v{id}"),
    })?;
    odd_name_round_trip(|id| Quoted {
        id,
        f: format!("v{id}"),
    })?;
    // `a.b` is not the column `b` of a table `a`, nor an entry of a dict `a`.
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("both.sdn");
    fs::write(&path, "a |id, f|\n    7, plain\n")?;
    let store = Store::open(&path)?;
    store.update(|tx| {
        tx.table::<Dotted>()?.insert(Dotted {
            id: 7,
            f: "dotted".into(),
        })
    })?;
    let snapshot = store.read()?;
    assert_eq!(
        snapshot.get::<Plain>(&7)?.map(|r| r.f),
        Some("plain".into())
    );
    assert_eq!(
        snapshot.get::<Dotted>(&7)?.map(|r| r.f),
        Some("dotted".into())
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Errors: the cause is a source, never repeated in the message
// ---------------------------------------------------------------------------------------

/// Every message of `err`'s chain, outermost first; panics if one repeats its source.
fn chain_without_repeats(err: &(dyn std::error::Error + 'static)) -> Vec<String> {
    let mut messages = Vec::new();
    let mut current = Some(err);
    while let Some(error) = current {
        let message = error.to_string();
        if let Some(source) = error.source() {
            let inner = source.to_string();
            assert!(
                !message.contains(&inner),
                "`{message}` repeats its source `{inner}`"
            );
        }
        messages.push(message);
        current = error.source();
    }
    messages
}

#[test]
fn lock_errors_carry_the_os_reason_as_their_source() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("f.sdn");
    // A directory where the lock file belongs: opening it fails with EISDIR, root or not.
    fs::create_dir(dir.path().join("f.sdn.lock"))?;
    let err = increment(&Store::open(&path)?).expect_err("the lock cannot be taken");
    assert!(matches!(err, Error::Lock { .. }), "{err:?}");
    let chain = chain_without_repeats(&err);
    assert!(chain[0].contains("f.sdn"), "{chain:?}");
    let mut os_error = None;
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(&err);
    while let Some(error) = current {
        if let Some(io) = error.downcast_ref::<std::io::Error>() {
            os_error = io.raw_os_error();
        }
        current = error.source();
    }
    assert_eq!(
        os_error,
        Some(rustix::io::Errno::ISDIR.raw_os_error()),
        "{chain:?}"
    );
    assert!(
        chain
            .last()
            .is_some_and(|m| m.to_lowercase().contains("directory")),
        "{chain:?}"
    );
    Ok(())
}

#[test]
fn errors_print_their_cause_or_return_it_never_both() -> TestResult {
    let dir = tempfile::tempdir()?;
    // I/O: a path under a regular file.
    let blocker = dir.path().join("file");
    fs::write(&blocker, "x")?;
    let io = increment(&Store::open(blocker.join("db.sdn"))?).expect_err("cannot write");
    // Malformed, and a commit into a directory that is gone.
    let bad = dir.path().join("bad.sdn");
    fs::write(&bad, "counters |id, value|\n    1, 5, 6\n")?;
    let malformed = Store::open(&bad)?.read().expect_err("malformed");
    for err in [io, malformed, Error::aborted("because")] {
        let chain = chain_without_repeats(&err);
        assert!(!chain[0].is_empty());
    }
    assert_eq!(
        Error::aborted("because").to_string(),
        "transaction aborted: because"
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Positions of data errors
// ---------------------------------------------------------------------------------------

#[test]
fn data_errors_name_file_line_column_table_and_field() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("data.sdn");
    let store = Store::open(&path)?;

    // A type error in row 2 (line 4), column `value`.
    fs::write(&path, "# c\ncounters |id, value|\n    1, 5\n    2, lots\n")?;
    let err = store.read()?.table::<Counter>().expect_err("type error");
    match &err {
        Error::Record {
            line,
            column,
            field,
            table,
            ..
        } => {
            assert_eq!(*line, Some(4));
            assert_eq!(*column, 8);
            assert_eq!(field.as_deref(), Some("value"));
            assert_eq!(table, "counters");
        }
        other => panic!("expected Record, got {other:?}"),
    }
    let message = err.to_string();
    for part in ["data.sdn", "line 4, column 8", "`counters`", "`value`"] {
        assert!(message.contains(part), "{part} missing in {message}");
    }
    // The codec's error is the source, kept whole, and not repeated in the message.
    let cause = std::error::Error::source(&err).expect("the codec's error is the source");
    let codec = cause
        .downcast_ref::<record_store::sdn_codec::Error>()
        .expect("of its own type");
    assert!(codec.message().contains("lots"), "{codec}");
    assert!(
        !message.contains(&codec.to_string()),
        "{message} repeats {codec}"
    );

    // A duplicate key: lines, not row numbers.
    fs::write(
        &path,
        "counters |id, value|\n    1, 5\n\n    2, 6\n    1, 7\n",
    )?;
    let err = store.read()?.table::<Counter>().expect_err("duplicate");
    assert!(
        matches!(
            &err,
            Error::DuplicateKeyInFile {
                first_line: 2,
                second_line: 5,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("lines 2 and 5"), "{err}");

    // Invalid UTF-8: line and column of the first bad byte.
    fs::write(&path, b"counters |id, value|\n    1, caf\xe9\n")?;
    let err = store.read().expect_err("invalid UTF-8");
    assert!(
        matches!(
            &err,
            Error::Malformed {
                line: 2,
                column: 11,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("line 2, column 11"), "{err}");

    // Not a table: the line of the entry.
    fs::write(&path, "title: x\ncounters: 5\n")?;
    let err = store.read()?.table::<Counter>().expect_err("not a table");
    assert!(
        matches!(&err, Error::NotATable { line: Some(2), .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("line 2"), "{err}");
    Ok(())
}
