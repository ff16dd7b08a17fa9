//! `Transaction::replace_text` when the text differs from the file in one row line (a
//! pull of one changed record): the transaction edits the version it owns in place
//! instead of parsing the text whole and comparing every row. Its results must be those
//! of the general path, which a transaction takes when a reader holds the version it
//! read: the same bytes, the same change set, and after a veto, a failure or a second
//! replacement, the same file and cached version.

mod support;

use std::fs;
use std::path::Path;

use proptest::prelude::*;
use record_store::{Error, Record, RowKeys, Store};
use serde::{Deserialize, Serialize};
use support::TestResult;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Task {
    id: String,
    title: String,
}

impl Record for Task {
    const TABLE: &'static str = "tasks";
    type Key = String;
    fn key(&self) -> String {
        self.id.clone()
    }
}

const FILE: &str = "\
# tasks
tasks |id, title|
    1, one
    2, two
    3, three
";

/// Commits `text` over `old` in a fresh file: in place (`held`: false) or, with a
/// reader holding the version the transaction reads, by the general path. Returns the
/// change set's tables (or the error), as text, and the file's bytes after.
fn replaced(old: &str, text: &str, keys: &RowKeys, held: bool) -> (String, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.sdn");
    fs::write(&path, old).unwrap();
    let store = Store::open(&path).unwrap();
    // Unheld, the transaction parses the file and owns what it parsed.
    let reader = held.then(|| store.read().unwrap());
    let result = store
        .commit(|tx| tx.replace_text(text, keys))
        .map(|committed| format!("{:?}", committed.changes.tables().collect::<Vec<_>>()))
        .unwrap_or_else(|err| {
            format!(
                "error: {}",
                err.to_string().replace(&*dir.path().to_string_lossy(), "")
            )
        });
    drop(reader);
    let after = fs::read_to_string(&path).unwrap();
    (result, after)
}

/// One table row line: a key from a small set (so keys repeat), a cell, and perhaps a
/// comment or extra spacing.
fn line() -> impl Strategy<Value = String> {
    (
        0..4u8,
        prop::sample::select(vec!["a", "b", "c d", "\"x, y\""]),
        0..4u8,
    )
        .prop_map(|(key, cell, decor)| match decor {
            0 => format!("    {key}, {cell}   # note\n"),
            1 => format!("    {key},   {cell}\n"),
            _ => format!("    {key}, {cell}\n"),
        })
}

/// A file: a comment, a keyed table and perhaps a second one.
fn file() -> impl Strategy<Value = Vec<String>> {
    (prop::collection::vec(line(), 1..7), any::<bool>()).prop_map(|(rows, second)| {
        let mut lines = vec!["# tasks\n".to_owned(), "tasks |id, title|\n".to_owned()];
        lines.extend(rows);
        if second {
            lines.extend(["notes |id, text|\n".to_owned(), "    1, kept\n".to_owned()]);
        }
        lines
    })
}

/// Changes `lines` in one of the ways a pulled text differs: one row line rewritten
/// (its key, its cell, its spacing or comment), a comment changed, a table header put
/// among the rows, a row moved, removed or repeated.
fn changed(lines: &[String], kind: u8, at: usize, new: String) -> String {
    let mut lines = lines.to_vec();
    let row = 2 + at % (lines.len() - 2);
    match kind {
        0..=3 => lines[row] = new,
        4 => lines[0] = "# tasks, pulled\n".to_owned(),
        5 => lines.insert(row, "others |id, title|\n".to_owned()),
        6 => {
            let moved = lines.remove(row);
            lines.push(moved);
        }
        7 => {
            lines.remove(row);
        }
        _ => lines.insert(row, new),
    }
    lines.concat()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn a_replacement_in_place_gives_what_the_general_path_gives(
        lines in file(),
        kind in 0..9u8,
        at in 0..10usize,
        new in line(),
        by_title in any::<bool>(),
    ) {
        let old = lines.concat();
        let text = changed(&lines, kind, at, new);
        let keys = match by_title {
            true => RowKeys::new().column("tasks", "title"),
            false => RowKeys::new(),
        };
        let in_place = replaced(&old, &text, &keys, false);
        let general = replaced(&old, &text, &keys, true);
        prop_assert_eq!(&in_place, &general, "old:\n{}new:\n{}", old, text);
        if !in_place.0.starts_with("error") {
            prop_assert_eq!(&in_place.1, &text);
        }
    }
}

/// The tasks `store` reads (through its cache), as `id title` lines.
fn tasks(store: &Store) -> Result<Vec<String>, Error> {
    Ok(store
        .read()?
        .table::<Task>()?
        .iter()
        .map(|task| format!("{} {}", task.id, task.title))
        .collect())
}

/// Caches the file's version as a transaction leaves it (its document and its decoded
/// tasks), for the next transaction to take over and edit in place. (A version read by
/// `Store::read` keeps no document: a transaction shares it instead.)
fn warm(store: &Store) -> Result<(), Error> {
    store.update(|tx| tx.table::<Task>().map(drop))
}

fn store_of(dir: &Path) -> Result<(Store, std::path::PathBuf), Box<dyn std::error::Error>> {
    let path = dir.join("tasks.sdn");
    fs::write(&path, FILE)?;
    Ok((Store::open(&path)?, path))
}

#[test]
fn a_vetoed_or_failed_replacement_in_place_leaves_the_file_and_the_cache_as_read() -> TestResult {
    let dir = tempfile::tempdir()?;
    let (store, path) = store_of(dir.path())?;
    let store = store.with_pre_commit(|_, changes| match changes.is_empty() {
        true => Ok(()),
        false => Err(Error::aborted("vetoed")),
    });
    warm(&store)?;
    let pulled = FILE.replace("2, two", "2, TWO");
    let vetoed = store.commit(|tx| tx.replace_text(pulled.as_str(), &RowKeys::new()));
    assert!(matches!(vetoed, Err(Error::Aborted(_))), "{vetoed:?}");
    let failed: Result<(), Error> = store.update(|tx| {
        tx.replace_text(pulled.as_str(), &RowKeys::new())?;
        assert_eq!(
            tx.table::<Task>()?.get(&"2".to_string()).unwrap().title,
            "TWO"
        );
        Err(Error::aborted("changed my mind"))
    });
    assert!(failed.is_err());
    assert_eq!(fs::read_to_string(&path)?, FILE);
    assert_eq!(store.read()?.bytes(), FILE.as_bytes());
    assert_eq!(tasks(&store)?, ["1 one", "2 two", "3 three"]);
    // A row line that does not parse is refused, the transaction unchanged.
    store.update(|tx| {
        let bad = FILE.replace("2, two", "2, \"two");
        assert!(matches!(
            tx.replace_text(bad, &RowKeys::new()),
            Err(Error::Replacement { .. })
        ));
        assert_eq!(
            tx.table::<Task>()?.get(&"2".to_string()).unwrap().title,
            "two"
        );
        Ok::<_, Error>(())
    })?;
    assert_eq!(fs::read_to_string(&path)?, FILE);
    Ok(())
}

#[test]
fn a_second_replacement_is_compared_with_the_file_as_read() -> TestResult {
    let dir = tempfile::tempdir()?;
    let (store, path) = store_of(dir.path())?;
    warm(&store)?;
    // Back to the file: nothing to write.
    let same = store.commit(|tx| {
        tx.replace_text(FILE.replace("2, two", "2, TWO"), &RowKeys::new())?;
        tx.replace_text(FILE, &RowKeys::new())?;
        assert_eq!(
            tx.table::<Task>()?.get(&"2".to_string()).unwrap().title,
            "two"
        );
        Ok::<_, Error>(())
    })?;
    assert!(same.changes.is_empty());
    assert_eq!(store.read()?.bytes(), FILE.as_bytes());
    // Another row: the change set is that row's, not the first replacement's.
    let third = FILE.replace("3, three", "3, THREE");
    let committed = store.commit(|tx| {
        tx.replace_text(FILE.replace("2, two", "2, TWO"), &RowKeys::new())?;
        tx.replace_text(third.as_str(), &RowKeys::new())
    })?;
    let changed = committed.changes.table("tasks").unwrap();
    assert_eq!(changed.updated.len(), 1);
    assert_eq!(changed.updated[0].key, "3");
    assert_eq!(fs::read_to_string(&path)?, third);
    assert_eq!(tasks(&store)?, ["1 one", "2 two", "3 THREE"]);
    Ok(())
}

#[test]
fn a_hook_amending_a_replacement_in_place_sees_the_change_from_the_file() -> TestResult {
    let dir = tempfile::tempdir()?;
    let (store, path) = store_of(dir.path())?;
    let store = store.with_pre_commit(|tx, changes| {
        if changes.table("tasks").is_some_and(|t| t.updated.len() == 1) {
            tx.table::<Task>()?.get_mut(&"1".to_string()).unwrap().title = "ONE".into();
        }
        Ok(())
    });
    warm(&store)?;
    let pulled = FILE.replace("2, two", "2, TWO");
    let committed = store.commit(|tx| tx.replace_text(pulled.as_str(), &RowKeys::new()))?;
    let updated: Vec<&str> = committed
        .changes
        .table("tasks")
        .unwrap()
        .updated
        .iter()
        .map(|row| row.key.as_str())
        .collect();
    assert_eq!(updated, ["1", "2"]);
    let written = pulled.replace("1, one", "1, ONE");
    assert_eq!(fs::read_to_string(&path)?, written);
    assert_eq!(tasks(&store)?, ["1 ONE", "2 TWO", "3 three"]);
    Ok(())
}
