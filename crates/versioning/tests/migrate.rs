//! Migration of tracking databases written before versioning: fixtures modelled on the
//! real todo, feature and task databases (same columns and quirks), and the real files
//! themselves when the corpus is present.

mod support;

use std::path::{Path, PathBuf};

use record_store::Record;
use support::{T0, changed_lines, open_at};
use versioning::{Error, ManualClock, VersionedStore};

// The tracking record types of the baseline, defined once in record-store's example.
#[path = "../../record-store/examples/tracking/records.rs"]
mod records;
use records::{Feature, Task, Todo};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// Copies `source` into a temp dir, migrates table `T`, checks what the issue asks, and
/// changes one record with `change`.
fn migrate_and_change<T: Record + PartialEq + std::fmt::Debug>(
    source: &Path,
    change: impl Fn(&mut T),
) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(source.file_name().unwrap());
    std::fs::copy(source, &path).unwrap();
    let original = std::fs::read_to_string(&path).unwrap();
    let clock = ManualClock::new(T0);
    let store = open_at(&path, "migrator", &clock);

    // Before migration: readable, version 0, no stamp; commits refused.
    let before = store.list::<T>().unwrap();
    assert!(!before.is_empty(), "{} has records", source.display());
    assert!(
        before
            .iter()
            .all(|v| v.meta.version == 0 && v.meta.stamp.is_none())
    );
    let err = store
        .commit_if(&before[0], before[0].record.clone())
        .unwrap_err();
    assert!(matches!(err, Error::NotMigrated { .. }), "{err}");
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        original,
        "nothing written"
    );

    // One commit stamps every row.
    let report = store.migrate::<T>().unwrap();
    assert_eq!(report.stamped, before.len());
    assert_eq!(report.already, 0);
    let migrated = store.list::<T>().unwrap();
    assert_eq!(migrated.len(), before.len());
    for (old, new) in before.iter().zip(&migrated) {
        assert_eq!(old.record, new.record, "values unchanged by migration");
        assert_eq!(new.meta.version, 1);
        assert_eq!(new.meta.writer(), Some("migrator"));
    }
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text.lines().count(), original.lines().count());
    assert_eq!(store.migrate::<T>().unwrap().stamped, 0, "idempotent");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), text);

    // Afterwards a one-record change is a one-line diff.
    let base = &migrated[migrated.len() / 2];
    let mut ours = base.record.clone();
    change(&mut ours);
    clock.advance(1000);
    let committed = store.commit_if(base, ours).unwrap();
    assert_eq!(committed.record.meta.version, 2);
    let after = std::fs::read_to_string(&path).unwrap();
    assert_eq!(changed_lines(&text, &after).len(), 1, "{after}");
}

fn close_todo(todo: &mut Todo) {
    todo.status = "done".into();
}

fn complete_feature(feature: &mut Feature) {
    feature.status = "complete".into();
    feature.valid = true;
}

fn start_task(task: &mut Task) {
    task.status = "done".into();
}

#[test]
fn migrate_todo_db_fixture() {
    migrate_and_change::<Todo>(&fixture("todo_db.sdn"), close_todo);
}

#[test]
fn migrate_feature_db_fixture() {
    migrate_and_change::<Feature>(&fixture("feature_db.sdn"), complete_feature);
}

#[test]
fn migrate_task_db_fixture() {
    migrate_and_change::<Task>(&fixture("task_db.sdn"), start_task);
}

#[test]
fn migrate_keeps_other_tables_and_blank_lines() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("feature_db.sdn");
    std::fs::copy(fixture("feature_db.sdn"), &path).unwrap();
    let store: VersionedStore = open_at(&path, "migrator", &ManualClock::new(T0));
    store.migrate::<Feature>().unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.starts_with("strings |id, value|\n\n\nfeatures |"),
        "{text}"
    );
    assert!(text.ends_with("\n\n\n"), "trailing blank lines kept");
}

/// The real databases, in addition to the fixtures, when the corpus is on this machine.
#[test]
fn migrate_real_databases_when_present() {
    let Some(corpus) = test_support::corpus::external(env!("CARGO_MANIFEST_DIR")) else {
        println!("real corpus not on this machine; the fixtures above cover migration");
        return;
    };
    migrate_and_change::<Todo>(&corpus.join("doc__todo__todo_db.sdn"), close_todo);
    migrate_and_change::<Feature>(
        &corpus.join("doc__feature__feature_db.sdn"),
        complete_feature,
    );
    migrate_and_change::<Task>(
        &corpus.join("doc__08_tracking__task__task_db.sdn"),
        start_task,
    );
}

/// A file of the baseline's phase 4 (integer `version`, wall-clock `last_modified`) keeps
/// its versions and times and only gains the tombstone column.
#[test]
fn migrate_baseline_phase4_file_keeps_versions_and_times() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("task_db.sdn");
    std::fs::write(
        &path,
        "tasks |id, category, name, description, priority, status, valid, version, last_modified|\n    \
         T-1, a, b, c, high, open, true, 3, 2025-11-30T10:00:00Z\n    \
         T-2, a, b, c, low, open, true, 1, 2025-11-29T09:00:00Z\n",
    )
    .unwrap();
    let store = open_at(&path, "migrator", &ManualClock::new(T0));
    let report = store.migrate::<Task>().unwrap();
    assert_eq!((report.stamped, report.already), (0, 2));
    let t1 = store.get::<Task>(&"T-1".to_string()).unwrap().unwrap();
    assert_eq!(t1.meta.version, 3);
    assert_eq!(
        t1.meta.stamp.as_ref().unwrap().time(),
        "2025-11-30T10:00:00.000Z"
    );
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.contains("2025-11-30T10:00:00Z"),
        "the baseline's time kept as written: {text}"
    );
    assert!(text.starts_with("tasks |id, category, name, description, priority, status, valid, version, last_modified, deleted|"), "{text}");
    // Commits work from here on, and LastModifiedWins compares the baseline's times.
    let committed = store
        .commit_if(
            &t1,
            Task {
                status: "done".into(),
                ..t1.record.clone()
            },
        )
        .unwrap();
    assert_eq!(committed.record.meta.version, 4);
}
