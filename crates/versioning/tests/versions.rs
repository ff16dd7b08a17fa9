//! Versions and stamps (part of the phase 4 checklist): versions increment on save, a
//! change is a one-line diff, deletes leave tombstones, stamps name the writer and never go
//! backwards, and the change cursor reports what changed since a revision.

mod support;

use support::{T0, Todo, changed_lines, key, open_at, todo, with_status};
use versioning::{Error, ManualClock};

// ---------------------------------------------------------------------------------------
// Versions and stamps
// ---------------------------------------------------------------------------------------

#[test]
fn versions_increment_on_save_and_a_change_is_a_one_line_diff() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("todo_db.sdn");
    std::fs::write(&path, "# the team's todos\n").unwrap();
    let clock = ManualClock::new(T0);
    let store = open_at(&path, "dev-a", &clock);
    for i in 1..=5 {
        assert_eq!(
            store
                .insert(todo(&format!("todo-{i}"), "open"))
                .unwrap()
                .record
                .meta
                .version,
            1
        );
    }
    for expected in 2..=4 {
        let read = store.get::<Todo>(&key("todo-3")).unwrap().unwrap();
        let before = std::fs::read_to_string(&path).unwrap();
        let committed = store
            .commit_if(
                &read,
                with_status(&read.record, &format!("step {expected}")),
            )
            .unwrap();
        assert_eq!(committed.record.meta.version, expected);
        assert!(committed.conflict.is_none());
        let after = std::fs::read_to_string(&path).unwrap();
        let changed = changed_lines(&before, &after);
        assert_eq!(changed.len(), 1, "one line changed:\n{after}");
        let line = after.lines().nth(changed[0] - 1).unwrap();
        assert!(
            line.contains("todo-3") && line.contains(&format!("step {expected}")),
            "{line}"
        );
    }
    assert!(
        std::fs::read_to_string(&path)
            .unwrap()
            .starts_with("# the team's todos\n")
    );
    let other = store.get::<Todo>(&key("todo-2")).unwrap().unwrap();
    assert_eq!(other.meta.version, 1, "other records keep their version");
}

#[test]
fn timestamps_are_updated_with_writer_on_each_save() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.sdn");
    let clock = ManualClock::new(T0);
    let store = open_at(&path, "dev-a", &clock);
    let first = store.insert(todo("todo-1", "open")).unwrap().record;
    let stamp1 = first.meta.stamp.clone().unwrap();
    assert_eq!(stamp1.to_string(), "2025-12-01T14:40:00.000Z+00000@dev-a");
    assert_eq!(first.meta.writer(), Some("dev-a"));
    clock.advance(1500);
    let second = store
        .commit_if(&first, with_status(&first.record, "done"))
        .unwrap()
        .record;
    let stamp2 = second.meta.stamp.clone().unwrap();
    assert_eq!(stamp2.to_string(), "2025-12-01T14:40:01.500Z+00000@dev-a");
    // Read back from the file, human-readable.
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.contains("2025-12-01T14:40:01.500Z+00000@dev-a"),
        "{text}"
    );
    let reread = store.get::<Todo>(&key("todo-1")).unwrap().unwrap();
    assert_eq!(reread.meta.stamp, Some(stamp2));
    // The wall clock steps back an hour: the next stamp still orders later.
    clock.advance(-3_600_000);
    let third = store
        .commit_if(&reread, with_status(&reread.record, "reopened"))
        .unwrap()
        .record;
    assert!(third.meta.stamp.unwrap() > reread.meta.stamp.unwrap());
}

#[test]
fn stamps_increase_per_writer_across_restarts_with_the_clock_behind() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.sdn");
    let clock = ManualClock::new(T0);
    let last = {
        let store = open_at(&path, "dev-a", &clock);
        store.insert(todo("todo-1", "open")).unwrap();
        let read = store.get::<Todo>(&key("todo-1")).unwrap().unwrap();
        store
            .commit_if(&read, with_status(&read.record, "x"))
            .unwrap()
            .record
            .meta
            .stamp
            .unwrap()
    };
    clock.advance(-86_400_000); // restarted with the clock a day behind
    let store = open_at(&path, "dev-a", &clock);
    let next = store
        .insert(todo("todo-2", "open"))
        .unwrap()
        .record
        .meta
        .stamp
        .unwrap();
    assert!(next > last, "{next} after {last}");
}

#[test]
fn delete_leaves_a_tombstone_that_reads_as_absent() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.sdn");
    let clock = ManualClock::new(T0);
    let store = open_at(&path, "dev-a", &clock);
    store.insert(todo("todo-1", "open")).unwrap();
    store.insert(todo("todo-2", "open")).unwrap();
    let read = store.get::<Todo>(&key("todo-1")).unwrap().unwrap();
    let before = std::fs::read_to_string(&path).unwrap();
    let deleted = store.delete_if(&read).unwrap();
    assert_eq!(deleted.record.meta.version, 2);
    assert!(deleted.record.meta.deleted);
    assert_eq!(
        changed_lines(&before, &std::fs::read_to_string(&path).unwrap()).len(),
        1
    );
    assert!(store.get::<Todo>(&key("todo-1")).unwrap().is_none());
    let tombstone = store
        .get_with_tombstone::<Todo>(&key("todo-1"))
        .unwrap()
        .unwrap();
    assert!(tombstone.meta.deleted);
    assert_eq!(store.list::<Todo>().unwrap().len(), 1);
    // Inserting the key again replaces the tombstone with the next version.
    let again = store.insert(todo("todo-1", "new")).unwrap();
    assert!(again.conflict.is_none());
    assert_eq!(
        (again.record.meta.version, again.record.meta.deleted),
        (3, false)
    );
}

#[test]
fn unmigrated_table_reads_as_version_zero_and_refuses_commits() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.sdn");
    std::fs::write(&path, "todos |id, title, status|\n    todo-1, t, open\n").unwrap();
    let store = open_at(&path, "dev-a", &ManualClock::new(T0));
    let read = store.get::<Todo>(&key("todo-1")).unwrap().unwrap();
    assert_eq!((read.meta.version, read.meta.stamp.clone()), (0, None));
    let err = store.commit_if(&read, read.record.clone()).unwrap_err();
    assert!(matches!(err, Error::NotMigrated { .. }), "{err}");
    assert!(err.to_string().contains("migrate"), "{err}");
}

// ---------------------------------------------------------------------------------------
// Change cursor
// ---------------------------------------------------------------------------------------

#[test]
fn change_cursor_reports_what_changed_since_a_revision() {
    use versioning::cursor::Cursor;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.sdn");
    let clock = ManualClock::new(T0);
    let store = open_at(&path, "dev-a", &clock);
    for i in 1..=3 {
        store.insert(todo(&format!("todo-{i}"), "open")).unwrap();
    }
    let (all, cursor) = store.changes_since(&Cursor::start()).unwrap();
    assert_eq!(all.len(), 3);
    assert_eq!(cursor.revision(), 3);
    assert_eq!(store.revision().unwrap(), 3);
    let (none, same) = store.changes_since(&cursor).unwrap();
    assert!(none.is_empty());
    assert_eq!(same, cursor);

    let two = store.get::<Todo>(&key("todo-2")).unwrap().unwrap();
    store
        .commit_if(&two, with_status(&two.record, "done"))
        .unwrap();
    let three = store.get::<Todo>(&key("todo-3")).unwrap().unwrap();
    store.delete_if(&three).unwrap();
    let (changes, next) = store.changes_since(&cursor).unwrap();
    let summary: Vec<(String, u64, bool)> = changes
        .iter()
        .filter(|c| c.version > 1)
        .map(|c| (c.key.clone(), c.version, c.deleted))
        .collect();
    assert_eq!(
        summary,
        [("todo-2".into(), 2, false), ("todo-3".into(), 2, true)]
    );
    assert_eq!(next.revision(), 5, "one per record change");
    assert_eq!(changes[0].stamp.as_ref().unwrap().writer, "dev-a");
}

/// The cursor's memory is bounded per table, and it never misses a change, even one
/// merged in from another replica with a stamp older than anything it saw.
#[test]
fn change_cursor_memory_is_bounded_and_merged_in_changes_are_not_missed() {
    use versioning::cursor::{Cursor, MAX_BUCKETS};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.sdn");
    let clock = ManualClock::new(T0);
    let store = open_at(&path, "dev-a", &clock);
    let records = 6000;
    store
        .store()
        .update(|tx| {
            let table = tx.table::<support::Versioned>()?;
            for i in 0..records {
                table.insert(support::Versioned::new(&format!("todo-{i}")))?;
            }
            Ok::<_, record_store::Error>(())
        })
        .unwrap();
    let base = std::fs::read_to_string(&path).unwrap();
    let (all, cursor) = store.changes_since(&Cursor::start()).unwrap();
    assert_eq!(all.len(), records);
    // A map of every record's version (the old cursor) would hold 6,000 entries.
    assert!(
        cursor.digest_bytes() <= MAX_BUCKETS * 8,
        "{}",
        cursor.digest_bytes()
    );

    // Another replica changed two records, stamped an hour earlier than anything the
    // cursor saw; its snapshot is merged in as cloud-sync does, by text.
    let mut remote = sdn_codec::Document::parse(&base).unwrap();
    for id in ["todo-17", "todo-4242"] {
        remote
            .table_mut("todos")
            .unwrap()
            .update_row_where("id", id, |row| {
                row.insert("status", "done");
                row.insert("version", 2);
                row.insert("last_modified", "2025-12-01T13:40:00.000Z+00000@dev-b");
            })
            .unwrap();
    }
    let merged =
        versioning::merge::merge(&base, &base, remote.as_str(), &Default::default()).unwrap();
    std::fs::write(&path, merged.text).unwrap();
    let (changes, _) = store.changes_since(&cursor).unwrap();
    let keys: Vec<&str> = changes.iter().map(|c| c.key.as_str()).collect();
    assert!(
        keys.contains(&"todo-17") && keys.contains(&"todo-4242"),
        "{keys:?}"
    );
    assert!(
        changes.len() <= 2 * 8,
        "a few records per changed one: {keys:?}"
    );
}
