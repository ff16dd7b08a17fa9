//! Stamping lives in record-store's pre-commit hook: every commit through a
//! `VersionedStore`'s store is stamped or checked, whoever makes it.

mod support;

use record_store::{ChangeSet, TableChanges};
// The todo record as a plain record-store user might declare it, with the version
// columns as ordinary fields.
use support::Versioned as PlainTodo;
use support::{T0, Todo, open_at, todo};
use versioning::{Error, ManualClock};

fn seeded(dir: &std::path::Path, clock: &ManualClock) -> versioning::VersionedStore {
    let store = open_at(&dir.join("db.sdn"), "dev-a", clock);
    store.insert(todo("todo-1", "open")).unwrap();
    store.insert(todo("todo-2", "open")).unwrap();
    store
}

#[test]
fn a_plain_record_store_change_through_the_versioned_store_is_stamped() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(T0);
    let store = seeded(dir.path(), &clock);
    clock.advance(2500);
    store
        .store()
        .update(|tx| {
            let todos = tx.table::<PlainTodo>()?;
            todos.get_mut(&"todo-1".to_string()).unwrap().status = "done".into();
            todos.insert(PlainTodo::new("todo-3"))
        })
        .unwrap();
    let one = store.get::<Todo>(&"todo-1".to_string()).unwrap().unwrap();
    assert_eq!(one.record.status, "done");
    assert_eq!(one.meta.version, 2, "a plain update is versioned");
    let stamp = one.meta.stamp.unwrap().to_string();
    assert!(
        stamp.starts_with("2025-12-01T14:40:02.500Z+") && stamp.ends_with("@dev-a"),
        "{stamp}"
    );
    let three = store.get::<Todo>(&"todo-3".to_string()).unwrap().unwrap();
    assert_eq!(three.meta.version, 1, "a plain insert starts at version 1");
    assert_eq!(three.meta.writer(), Some("dev-a"));
    let two = store.get::<Todo>(&"todo-2".to_string()).unwrap().unwrap();
    assert_eq!(two.meta.version, 1, "untouched records keep their version");
}

#[test]
fn a_plain_removal_becomes_a_stamped_tombstone() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(T0);
    let store = seeded(dir.path(), &clock);
    clock.advance(10);
    store
        .store()
        .update(|tx| {
            tx.table::<PlainTodo>()?.remove(&"todo-2".to_string());
            Ok::<_, record_store::Error>(())
        })
        .unwrap();
    assert!(store.get::<Todo>(&"todo-2".to_string()).unwrap().is_none());
    let tombstone = store
        .get_with_tombstone::<Todo>(&"todo-2".to_string())
        .unwrap()
        .unwrap();
    assert!(tombstone.meta.deleted);
    assert_eq!(tombstone.meta.version, 2);
    assert_eq!(
        tombstone.record.title, "title of todo-2",
        "last values kept"
    );
}

#[test]
fn a_change_that_cannot_carry_the_version_columns_is_vetoed_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(T0);
    let store = seeded(dir.path(), &clock);
    let before = std::fs::read(store.path()).unwrap();
    // `Todo` does not know the version columns: its change could not be stamped.
    let err = store
        .store()
        .update(|tx| {
            tx.table::<Todo>()?
                .get_mut(&"todo-1".to_string())
                .unwrap()
                .status = "done".into();
            Ok::<_, record_store::Error>(())
        })
        .unwrap_err();
    let typed = Error::from(err);
    assert!(
        matches!(&typed, Error::Unstamped { table, key, .. } if table == "todos" && key == "todo-1"),
        "{typed}"
    );
    assert_eq!(std::fs::read(store.path()).unwrap(), before);
}

/// A change set from another replica keeps its metadata (checked, not re-stamped); one
/// whose version goes backwards is refused.
#[test]
fn a_remote_change_set_keeps_its_metadata_and_a_stale_one_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(T0);
    let store = seeded(dir.path(), &clock);
    let remote_path = dir.path().join("remote.sdn");
    std::fs::copy(store.path(), &remote_path).unwrap();
    let remote_clock = ManualClock::new(T0 + 5000);
    let remote = open_at(&remote_path, "dev-b", &remote_clock);
    let read = remote.get::<Todo>(&"todo-1".to_string()).unwrap().unwrap();
    remote
        .commit_if(&read, support::with_status(&read.record, "blocked"))
        .unwrap();
    let remote_row = remote
        .store()
        .read()
        .unwrap()
        .get::<PlainTodo>(&"todo-1".to_string())
        .unwrap()
        .unwrap();
    let as_change = |row: &PlainTodo| {
        let local = store
            .store()
            .read()
            .unwrap()
            .get::<PlainTodo>(&"todo-1".to_string())
            .unwrap()
            .unwrap();
        let encode = |r: &PlainTodo| match sdn_codec::to_value(r).unwrap() {
            sdn_codec::Value::Dict(map) => map,
            _ => unreachable!(),
        };
        let mut changes = ChangeSet::new(store.path());
        changes.insert_table(
            "todos",
            TableChanges {
                updated: vec![record_store::changes::UpdatedRow {
                    key: "todo-1".into(),
                    old: encode(&local),
                    new: encode(row),
                }],
                ..TableChanges::default()
            },
        );
        changes
    };
    let changes = as_change(&remote_row);
    store
        .store()
        .update(|tx| {
            tx.table::<PlainTodo>()?;
            tx.apply(&changes)
        })
        .unwrap();
    let applied = store.get::<Todo>(&"todo-1".to_string()).unwrap().unwrap();
    assert_eq!(applied.record.status, "blocked");
    assert_eq!(applied.meta.version, 2);
    assert_eq!(
        applied.meta.writer(),
        Some("dev-b"),
        "not re-stamped locally"
    );
    // The local clock moved past the remote stamp.
    assert!(store.hlc().now() > applied.meta.stamp.clone().unwrap());

    let stale = PlainTodo {
        version: 1,
        last_modified: "2025-12-01T14:40:09.000Z+00000@dev-b".into(),
        status: "open".into(),
        ..remote_row
    };
    let stale_changes = as_change(&stale);
    let err = store
        .store()
        .update(|tx| {
            tx.table::<PlainTodo>()?;
            tx.apply(&stale_changes)
        })
        .unwrap_err();
    assert!(
        matches!(Error::from(err), Error::Unstamped { .. }),
        "a version going backwards is refused"
    );
    assert_eq!(
        store
            .get::<Todo>(&"todo-1".to_string())
            .unwrap()
            .unwrap()
            .record
            .status,
        "blocked"
    );
}
