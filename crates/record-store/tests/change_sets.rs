//! The change set of a commit and the hooks around it: what `Store::commit` reports,
//! what pre-commit hooks may veto or amend, and applying a change set to another file
//! through the same commit pipeline.

mod support;

use std::fs;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use record_store::changes::{InsertedRow, RemovedRow, UpdatedRow};
use record_store::sdn_codec::Map;
use record_store::{ChangeSet, Error, Record, Store, StoreSet, TableChanges, Value};
use support::{Counter, Item, TestResult};

fn row(cells: &[(&str, Value)]) -> Map {
    cells.iter().cloned().collect()
}

fn counter_row(id: u32, value: u64) -> Map {
    row(&[
        ("id", Value::from(id)),
        ("value", Value::from(value as i64)),
    ])
}

const COUNTERS: &str = "counters |id, value|\n    1, 10\n    2, 20\n    3, 30\n    4, 40\n";

/// A temporary directory holding `c.sdn` with [`COUNTERS`].
fn counters_file() -> Result<(tempfile::TempDir, std::path::PathBuf), std::io::Error> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("c.sdn");
    fs::write(&path, COUNTERS)?;
    Ok((dir, path))
}

#[test]
fn commit_reports_inserted_updated_and_removed_rows() -> TestResult {
    let (_dir, path) = counters_file()?;
    let store = Store::open(&path)?;
    let committed = store.commit(|tx| {
        let counters = tx.table::<Counter>()?;
        counters.get_mut(&3).unwrap().value = 33;
        counters.get_mut(&1).unwrap().value = 11;
        // Handed out mutably but left as it was: no change.
        counters.get_mut(&2).unwrap();
        counters.remove(&4);
        counters.insert(Counter { id: 9, value: 90 })?;
        counters.insert(Counter { id: 5, value: 50 })?;
        Ok::<_, Error>("done")
    })?;
    assert_eq!(committed.value, "done");
    let changes = &committed.changes;
    assert_eq!(changes.path(), store.path());
    assert_eq!(changes.tables().count(), 1);
    let counters = changes.table("counters").unwrap();
    assert_eq!(
        counters.updated,
        [
            UpdatedRow {
                key: "1".into(),
                old: counter_row(1, 10),
                new: counter_row(1, 11),
            },
            UpdatedRow {
                key: "3".into(),
                old: counter_row(3, 30),
                new: counter_row(3, 33),
            },
        ]
    );
    assert_eq!(
        counters.updated[0].changed_columns().collect::<Vec<_>>(),
        ["value"]
    );
    assert_eq!(
        counters.removed,
        [RemovedRow {
            key: "4".into(),
            old: counter_row(4, 40),
        }]
    );
    // Inserted rows come in insertion order, the order they are appended in.
    assert_eq!(
        counters.inserted,
        [
            InsertedRow {
                key: "9".into(),
                row: counter_row(9, 90),
            },
            InsertedRow {
                key: "5".into(),
                row: counter_row(5, 50),
            },
        ]
    );
    assert_eq!(
        fs::read_to_string(&path)?,
        "counters |id, value|\n    1, 11\n    2, 20\n    3, 33\n    9, 90\n    5, 50\n"
    );
    Ok(())
}

#[test]
fn changes_that_cancel_out_are_no_change_and_write_nothing() -> TestResult {
    let (_dir, path) = counters_file()?;
    let before = fs::metadata(&path)?;
    let store = Store::open(&path)?;
    let committed = store.commit(|tx| {
        let counters = tx.table::<Counter>()?;
        let removed = counters.remove(&2).unwrap();
        counters.insert(removed)?;
        counters.insert(Counter { id: 7, value: 70 })?;
        counters.remove(&7);
        counters.get_mut(&1).unwrap().value = 99;
        counters.get_mut(&1).unwrap().value = 10;
        counters.retain(|_| true);
        Ok::<_, Error>(())
    })?;
    assert!(committed.changes.is_empty(), "{:?}", committed.changes);
    let after = fs::metadata(&path)?;
    assert_eq!(fs::read_to_string(&path)?, COUNTERS);
    assert_eq!(
        record_store::identity::FileIdentity::of(&before),
        record_store::identity::FileIdentity::of(&after),
        "a transaction that changes nothing must not replace the file"
    );
    Ok(())
}

#[test]
fn removed_by_retain_then_inserted_again_differently_is_an_update() -> TestResult {
    let (_dir, path) = counters_file()?;
    let store = Store::open(&path)?;
    let committed = store.commit(|tx| {
        let counters = tx.table::<Counter>()?;
        counters.retain(|counter| counter.value < 25);
        counters.insert(Counter { id: 3, value: 3 })?;
        Ok::<_, Error>(())
    })?;
    let counters = committed.changes.table("counters").unwrap();
    assert_eq!(counters.removed.len(), 1);
    assert_eq!(counters.removed[0].key, "4");
    assert_eq!(counters.updated.len(), 1);
    assert_eq!(counters.updated[0].new, counter_row(3, 3));
    assert!(counters.inserted.is_empty());
    assert_eq!(
        fs::read_to_string(&path)?,
        "counters |id, value|\n    1, 10\n    2, 20\n    3, 3\n"
    );
    Ok(())
}

#[test]
fn a_new_key_removed_and_inserted_again_is_one_row_where_it_was_first_inserted() -> TestResult {
    for listed in [true, false] {
        let (_dir, path) = counters_file()?;
        let store = Store::open(&path)?;
        let change = |tx: &mut record_store::Transaction| {
            let counters = tx.table::<Counter>()?;
            counters.insert(Counter { id: 7, value: 70 })?;
            counters.insert(Counter { id: 5, value: 50 })?;
            counters.insert(Counter { id: 6, value: 60 })?;
            counters.remove(&7);
            counters.remove(&6);
            counters.insert(Counter { id: 7, value: 71 })?;
            counters.remove(&7);
            counters.upsert(Counter { id: 7, value: 72 });
            counters.remove(&5);
            Ok::<_, Error>(())
        };
        let expected = format!("{COUNTERS}    7, 72\n");
        if listed {
            let committed = store.commit(change)?;
            let counters = committed.changes.table("counters").unwrap();
            assert_eq!(
                counters.inserted,
                [InsertedRow {
                    key: "7".into(),
                    row: counter_row(7, 72)
                }]
            );
            assert!(counters.updated.is_empty() && counters.removed.is_empty());
        } else {
            store.update(change)?;
        }
        assert_eq!(fs::read_to_string(&path)?, expected, "listed: {listed}");
    }
    Ok(())
}

#[test]
fn a_hook_sees_the_change_set_and_may_veto_it() -> TestResult {
    let (_dir, path) = counters_file()?;
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&calls);
    let store = Store::open(&path)?.with_pre_commit(move |_tx, changes| {
        seen.fetch_add(1, Ordering::SeqCst);
        let counters = changes.table("counters").unwrap();
        if counters.removed.is_empty() {
            Ok(())
        } else {
            Err(Error::aborted("counters are never removed"))
        }
    });
    let vetoed = store.update(|tx| {
        tx.table::<Counter>()?.get_mut(&1).unwrap().value = 0;
        tx.table::<Counter>()?.remove(&2);
        Ok::<_, Error>(())
    });
    match vetoed {
        Err(Error::Aborted(reason)) => assert_eq!(reason.to_string(), "counters are never removed"),
        other => panic!("expected the hook's error, got {other:?}"),
    }
    assert_eq!(
        fs::read_to_string(&path)?,
        COUNTERS,
        "a veto writes nothing"
    );
    assert_eq!(calls.load(Ordering::SeqCst), 1);

    // A transaction that changes nothing does not bother the hooks.
    store.update(|tx| tx.table::<Counter>().map(drop))?;
    assert_eq!(calls.load(Ordering::SeqCst), 1);

    // The lock was released and the cached version is intact: the next commit works and
    // sees the file as it is.
    store.update(|tx| {
        let counter = tx.table::<Counter>()?.get_mut(&1).unwrap();
        assert_eq!(counter.value, 10);
        counter.value = 1;
        Ok::<_, Error>(())
    })?;
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert!(fs::read_to_string(&path)?.contains("    1, 1\n"));
    Ok(())
}

#[test]
fn hooks_amend_in_order_and_the_amended_changes_are_written_and_returned() -> TestResult {
    let (_dir, path) = counters_file()?;
    let store = Store::open(&path)?
        // First hook: every updated counter also bumps counter 4.
        .with_pre_commit(|tx, changes| {
            if changes.table("counters").is_some() {
                tx.table::<Counter>()?.get_mut(&4).unwrap().value += 1;
            }
            Ok(())
        })
        // Second hook: sees the first one's amendment.
        .with_pre_commit(|_tx, changes| {
            let updated: Vec<&str> = changes
                .table("counters")
                .unwrap()
                .updated
                .iter()
                .map(|row| row.key.as_str())
                .collect();
            assert_eq!(updated, ["1", "4"]);
            Ok(())
        });
    let committed = store.commit(|tx| {
        tx.table::<Counter>()?.get_mut(&1).unwrap().value = 12;
        Ok::<_, Error>(())
    })?;
    let counters = committed.changes.table("counters").unwrap();
    assert_eq!(counters.updated.len(), 2);
    assert_eq!(counters.updated[1].new, counter_row(4, 41));
    assert_eq!(
        fs::read_to_string(&path)?,
        "counters |id, value|\n    1, 12\n    2, 20\n    3, 30\n    4, 41\n"
    );
    // Another handle of the file, opened without hooks, commits without them.
    let plain = Store::open(&path)?;
    plain.update(|tx| {
        tx.table::<Counter>()?.get_mut(&2).unwrap().value = 21;
        Ok::<_, Error>(())
    })?;
    assert!(fs::read_to_string(&path)?.ends_with("    4, 41\n"));
    Ok(())
}

#[test]
fn a_change_set_applies_to_another_file_through_the_same_pipeline() -> TestResult {
    let dir = tempfile::tempdir()?;
    let (ours, theirs) = (dir.path().join("ours.sdn"), dir.path().join("theirs.sdn"));
    fs::write(&ours, COUNTERS)?;
    fs::write(&theirs, COUNTERS)?;
    let committed = Store::open(&ours)?.commit(|tx| {
        let counters = tx.table::<Counter>()?;
        counters.get_mut(&2).unwrap().value = 22;
        counters.remove(&3);
        counters.insert(Counter { id: 6, value: 60 })?;
        tx.table::<Item>()?.insert(Item {
            id: "a".into(),
            owner: 1,
        })?;
        Ok::<_, Error>(())
    })?;

    // The other replica's hooks see the applied changes like local ones.
    let seen = Arc::new(std::sync::Mutex::new(None));
    let seen_by_hook = Arc::clone(&seen);
    let store = Store::open(&theirs)?.with_pre_commit(move |_tx, changes| {
        *seen_by_hook.lock().unwrap() = Some(changes.clone());
        Ok(())
    });
    let applied = store.commit(|tx| {
        // Without the tables opened, the rows have no type to read as.
        match tx.apply(&committed.changes) {
            Err(Error::TableNotOpen { table, .. }) => assert_eq!(table, "counters"),
            other => panic!("expected TableNotOpen, got {other:?}"),
        }
        assert!(tx.changes()?.is_empty(), "a refused apply changes nothing");
        tx.table::<Counter>()?;
        tx.table::<Item>()?;
        tx.apply(&committed.changes)
    })?;
    assert_eq!(fs::read_to_string(&ours)?, fs::read_to_string(&theirs)?);
    let strip_path = |changes: &ChangeSet| {
        changes
            .tables()
            .map(|(n, c)| (n.to_owned(), c.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(strip_path(&applied.changes), strip_path(&committed.changes));
    assert_eq!(seen.lock().unwrap().as_ref(), Some(&applied.changes));
    Ok(())
}

#[test]
fn applying_an_insert_of_a_taken_key_or_a_mismatched_row_fails_and_writes_nothing() -> TestResult {
    let (_dir, path) = counters_file()?;
    let store = Store::open(&path)?;

    let mut taken = ChangeSet::new(&path);
    taken.insert_table(
        Counter::TABLE,
        TableChanges {
            inserted: vec![InsertedRow {
                key: "1".into(),
                row: counter_row(1, 5),
            }],
            ..TableChanges::default()
        },
    );
    let result = store.update(|tx| {
        tx.table::<Counter>()?;
        tx.apply(&taken)
    });
    assert!(
        matches!(result, Err(Error::KeyExists { ref key, .. }) if key == "1"),
        "{result:?}"
    );

    let mut mismatched = ChangeSet::new(&path);
    mismatched.insert_table(
        Counter::TABLE,
        TableChanges {
            updated: vec![UpdatedRow {
                key: "2".into(),
                old: counter_row(2, 20),
                new: counter_row(3, 5),
            }],
            ..TableChanges::default()
        },
    );
    let result = store.update(|tx| {
        tx.table::<Counter>()?;
        tx.apply(&mismatched)
    });
    match result {
        Err(Error::Record { message, .. }) => {
            assert!(message.contains("has the key `3`"), "{message}")
        }
        other => panic!("expected a record error, got {other:?}"),
    }
    assert_eq!(fs::read_to_string(&path)?, COUNTERS);
    Ok(())
}

#[test]
fn a_set_commit_reports_one_change_set_per_member_and_runs_each_members_hooks() -> TestResult {
    let dir = tempfile::tempdir()?;
    let (a, b, c) = (
        dir.path().join("a.sdn"),
        dir.path().join("b.sdn"),
        dir.path().join("c.sdn"),
    );
    fs::write(&a, COUNTERS)?;
    fs::write(&c, COUNTERS)?;
    let set = StoreSet::open([&c, &b, &a])?;
    let committed = set.commit(|tx| {
        tx.file(&a)?.table::<Counter>()?.get_mut(&1).unwrap().value = 1;
        tx.file(&b)?.table::<Item>()?.insert(Item {
            id: "x".into(),
            owner: 2,
        })?;
        tx.file(&c)?.table::<Counter>()?;
        Ok::<_, Error>(())
    })?;
    let paths: Vec<_> = committed
        .changes
        .iter()
        .map(|c| c.path().to_path_buf())
        .collect();
    assert_eq!(
        paths,
        set.stores()
            .iter()
            .map(|s| s.path().to_path_buf())
            .collect::<Vec<_>>()
    );
    assert_eq!(
        committed.changes[0]
            .table("counters")
            .unwrap()
            .updated
            .len(),
        1
    );
    assert_eq!(
        committed.changes[1].table("items").unwrap().inserted.len(),
        1
    );
    assert!(committed.changes[2].is_empty());

    // A member's hook vetoes the whole set commit: no member is written.
    let guarded = Store::open(&b)?.with_pre_commit(|_tx, changes| match changes.table("items") {
        Some(items) if !items.removed.is_empty() => Err(Error::aborted("items are kept")),
        _ => Ok(()),
    });
    let set = StoreSet::from_stores([Store::open(&a)?, guarded, Store::open(&c)?]);
    let before = (fs::read_to_string(&a)?, fs::read_to_string(&b)?);
    let vetoed = set.update(|tx| {
        tx.file(&a)?.table::<Counter>()?.get_mut(&1).unwrap().value = 2;
        tx.file(&b)?.table::<Item>()?.remove(&"x".to_string());
        Ok::<_, Error>(())
    });
    assert!(matches!(vetoed, Err(Error::Aborted(_))), "{vetoed:?}");
    assert_eq!((fs::read_to_string(&a)?, fs::read_to_string(&b)?), before);
    Ok(())
}
