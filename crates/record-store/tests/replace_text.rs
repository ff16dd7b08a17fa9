//! `Transaction::replace_text`: a whole text committed through the pipeline, byte for
//! byte, with the change set derived from it shown to the hooks and returned; a failed
//! or vetoed replacement changes nothing (not even the process's cached snapshot); a
//! process killed while it replaces leaves the complete old or new file.

mod support;

use std::fs;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use record_store::{ChangeSet, Error, Record, RowKeys, Store};
use serde::{Deserialize, Serialize};
use support::TestResult;
use test_support::worker::{self, STEP_LIMIT, Worker};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Task {
    id: String,
    title: String,
    #[serde(default)]
    done: bool,
}

impl Record for Task {
    const TABLE: &'static str = "tasks";
    type Key = String;
    fn key(&self) -> String {
        self.id.clone()
    }
}

/// Comments, a column no record type knows (`owner`), and a second table.
const LOCAL: &str = "\
# tasks of the week
tasks |id, title, done, owner|
    T-1, Write docs, false, ann   # the first
    T-2, Review, false, bob
    T-3, Ship, false, cy

notes |id, text|
    n1, keep me
";

/// What a merge made of it elsewhere: a comment changed, T-1 done, T-2 gone, T-4 new
/// (in a position the editor would not put it), the `owner` cells kept and changed,
/// spacing as the merge left it.
const MERGED: &str = "\
# tasks of the week (merged)
tasks |id, title, done, owner|
    T-4, Plan,  false, dee
    T-1, Write docs, true, ann   # the first
    T-3, Ship, false, cyril

notes |id, text|
    n1, keep me
";

fn local_file() -> Result<(tempfile::TempDir, std::path::PathBuf), std::io::Error> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("tasks.sdn");
    fs::write(&path, LOCAL)?;
    Ok((dir, path))
}

#[test]
fn the_file_becomes_the_text_byte_for_byte_and_the_change_set_says_what_changed() -> TestResult {
    let (_dir, path) = local_file()?;
    let seen: Arc<Mutex<Vec<ChangeSet>>> = Arc::default();
    let hook_seen = Arc::clone(&seen);
    let store = Store::open(&path)?.with_pre_commit(move |_, changes| {
        hook_seen.lock().unwrap().push(changes.clone());
        Ok(())
    });
    // A read first, so the process has a cached snapshot the commit must replace.
    assert_eq!(store.read()?.table::<Task>()?.len(), 3);

    let committed = store.commit(|tx| tx.replace_text(MERGED, &RowKeys::new()))?;
    assert_eq!(fs::read_to_string(&path)?, MERGED);

    let changes = &committed.changes;
    assert_eq!(
        seen.lock().unwrap().as_slice(),
        std::slice::from_ref(changes)
    );
    assert_eq!(
        changes.tables().map(|(name, _)| name).collect::<Vec<_>>(),
        ["tasks"]
    );
    let tasks = changes.table("tasks").unwrap();
    assert_eq!(tasks.inserted.len(), 1);
    assert_eq!(tasks.inserted[0].key, "T-4");
    let updated: Vec<(&str, Vec<&str>)> = tasks
        .updated
        .iter()
        .map(|row| (row.key.as_str(), row.changed_columns().collect()))
        .collect();
    // Rows hold every column of the file, the unknown `owner` too.
    assert_eq!(updated, [("T-1", vec!["done"]), ("T-3", vec!["owner"])]);
    assert_eq!(tasks.removed.len(), 1);
    assert_eq!(tasks.removed[0].key, "T-2");
    assert_eq!(
        tasks.removed[0].old.get("owner").and_then(|v| v.as_str()),
        Some("bob")
    );

    // The process's cache shows the new version, to this handle and a new one.
    let snapshot = store.read()?;
    assert_eq!(snapshot.bytes(), MERGED.as_bytes());
    let tasks = snapshot.table::<Task>()?;
    assert!(tasks.get(&"T-1".to_string()).unwrap().done);
    assert!(!tasks.contains_key(&"T-2".to_string()));
    assert_eq!(Store::open(&path)?.read()?.bytes(), MERGED.as_bytes());

    // The next ordinary commit edits the replaced text as usual.
    store.update(|tx| {
        tx.table::<Task>()?
            .get_mut(&"T-4".to_string())
            .unwrap()
            .done = true;
        Ok::<_, Error>(())
    })?;
    assert_eq!(
        fs::read_to_string(&path)?,
        MERGED.replace("T-4, Plan,  false, dee", "T-4, Plan,  true, dee")
    );
    Ok(())
}

#[test]
fn the_same_text_writes_nothing_and_a_comment_alone_is_written_with_no_row_change() -> TestResult {
    let (_dir, path) = local_file()?;
    let store = Store::open(&path)?;
    let before = fs::metadata(&path)?.modified()?;
    let same = store.commit(|tx| tx.replace_text(LOCAL, &RowKeys::new()))?;
    assert!(same.changes.is_empty());
    assert_eq!(fs::metadata(&path)?.modified()?, before);

    let recommented = LOCAL.replace("# the first", "# the very first");
    let committed = store.commit(|tx| tx.replace_text(recommented.as_str(), &RowKeys::new()))?;
    assert!(committed.changes.is_empty(), "{:?}", committed.changes);
    assert_eq!(fs::read_to_string(&path)?, recommented);
    Ok(())
}

#[test]
fn a_hook_that_amends_a_replacement_is_rendered_on_top_and_seen_in_the_change_set() -> TestResult {
    let (_dir, path) = local_file()?;
    let store = Store::open(&path)?.with_pre_commit(|tx, changes| {
        // Reopen every inserted task (a stand-in for a stamping hook).
        let Some(tasks) = changes.table("tasks") else {
            return Ok(());
        };
        let keys: Vec<String> = tasks.inserted.iter().map(|row| row.key.clone()).collect();
        let table = tx.table::<Task>()?;
        for key in keys {
            let task = table.get_mut(&key).unwrap();
            if task.title == "Plan" {
                task.title = "Plan well".into();
            }
        }
        Ok(())
    });
    let committed = store.commit(|tx| tx.replace_text(MERGED, &RowKeys::new()))?;
    // The editor rewrites the one changed cell in its own spelling.
    let expected = MERGED.replace("T-4, Plan,  false", "T-4, \"Plan well\",  false");
    assert_eq!(fs::read_to_string(&path)?, expected);
    let inserted = &committed.changes.table("tasks").unwrap().inserted;
    assert_eq!(
        inserted[0].row.get("title").and_then(|v| v.as_str()),
        Some("Plan well")
    );
    assert_eq!(store.read()?.bytes(), expected.as_bytes());
    Ok(())
}

#[test]
fn a_veto_an_error_or_a_bad_text_changes_nothing_not_even_the_cache() -> TestResult {
    let (_dir, path) = local_file()?;
    let store = Store::open(&path)?.with_pre_commit(|_, changes| {
        match changes
            .table("tasks")
            .is_some_and(|t| !t.removed.is_empty())
        {
            true => Err(Error::aborted("no task may be removed")),
            false => Ok(()),
        }
    });
    // Warm the cache, so that a transaction takes the cached version over.
    store.read()?;
    let vetoed = store.update(|tx| tx.replace_text(MERGED, &RowKeys::new()));
    assert!(matches!(vetoed, Err(Error::Aborted(_))), "{vetoed:?}");
    assert_eq!(fs::read_to_string(&path)?, LOCAL);
    assert_eq!(store.read()?.bytes(), LOCAL.as_bytes());

    let failed: Result<(), Error> = store.update(|tx| {
        tx.replace_text(MERGED, &RowKeys::new())?;
        Err(Error::aborted("changed my mind"))
    });
    assert!(failed.is_err());
    assert_eq!(fs::read_to_string(&path)?, LOCAL);
    let snapshot = store.read()?;
    assert_eq!(snapshot.bytes(), LOCAL.as_bytes());
    assert!(snapshot.table::<Task>()?.contains_key(&"T-2".to_string()));

    let malformed = store.update(|tx| tx.replace_text("tasks |id, title\n  x", &RowKeys::new()));
    match malformed {
        Err(err @ Error::Replacement { line: 1, .. }) => {
            assert!(err.to_string().contains("not valid SDN"), "{err}")
        }
        other => panic!("expected a replacement error on line 1, got {other:?}"),
    }
    assert_eq!(fs::read_to_string(&path)?, LOCAL);
    Ok(())
}

#[test]
fn tables_opened_before_a_replacement_are_dropped_with_their_changes() -> TestResult {
    let (_dir, path) = local_file()?;
    let store = Store::open(&path)?;
    let committed = store.commit(|tx| {
        tx.table::<Task>()?
            .get_mut(&"T-2".to_string())
            .unwrap()
            .title = "lost".into();
        tx.replace_text(MERGED, &RowKeys::new())?;
        // Opened again, the table reads the replacement.
        assert!(!tx.table::<Task>()?.contains_key(&"T-2".to_string()));
        Ok::<_, Error>(())
    })?;
    assert_eq!(fs::read_to_string(&path)?, MERGED);
    assert_eq!(
        committed.changes.table("tasks").unwrap().removed[0].key,
        "T-2"
    );
    Ok(())
}

/// Worker: replaces the file with one of two large texts, alternately, until killed.
#[test]
fn replace_worker() {
    worker::serve("RECORD_STORE_REPLACE_WORKER", |_| {
        let path = worker::path_var("REPLACE_STORE");
        let store = Store::open(&path).map_err(|e| e.to_string())?;
        let texts = [big_text('a'), big_text('b')];
        for round in 0usize.. {
            store
                .update(|tx| tx.replace_text(texts[round % 2].as_str(), &RowKeys::new()))
                .map_err(|e| e.to_string())?;
            worker::say("@@", format!("round {round}"));
        }
        Ok(())
    });
}

/// About 2 MB, so that writing it takes long enough to be killed in the middle.
fn big_text(flavour: char) -> String {
    let mut text = format!("# version {flavour}\ntasks |id, title, done|\n");
    for i in 0..40_000 {
        text.push_str(&format!("    T-{i}, title {flavour} {i} of many, false\n"));
    }
    text
}

#[test]
fn a_process_killed_while_it_replaces_leaves_the_old_or_the_new_text() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("big.sdn");
    let texts = [big_text('a'), big_text('b')];
    fs::write(&path, &texts[1])?;
    for kill in 0..4u64 {
        let mut command =
            worker::command("replace_worker", "RECORD_STORE_REPLACE_WORKER", "replace");
        command.env("REPLACE_STORE", &path);
        let mut child = Worker::spawn(command, "@@", "replace worker");
        child.expect("round", STEP_LIMIT);
        // Kill at a different point of a round each time: a fifth, two fifths, ... of
        // the time one round takes.
        let started = Instant::now();
        child.expect("round", STEP_LIMIT);
        let round = started.elapsed();
        std::thread::sleep(round * (kill as u32 + 1) / 5);
        child.kill();
        let text = fs::read_to_string(&path)?;
        assert!(
            text == texts[0] || text == texts[1],
            "kill {kill}: the file is neither text ({} bytes)",
            text.len()
        );
        // The next transaction finds a whole store and the lock free.
        assert_eq!(Store::open(&path)?.read()?.table::<Task>()?.len(), 40_000);
    }
    Ok(())
}
