//! A pull of an SDN record store is committed through record-store's commit pipeline:
//! the store's pre-commit hooks and the pull's report see it as a change set, the
//! process's snapshot cache shows it, the file is exactly the merged text (comments and
//! columns no record type knows included), a hook can veto it, and local commits made
//! while pulls merge are never lost.

use std::sync::{Arc, Mutex};

use cloud_sync::{Device, Prefer, Prefix, PullOutcome, RecordSync, Remote, SyncStatus};
use record_store::{ChangeSet, Error as StoreError, Record, Store};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Todo {
    id: String,
    title: String,
}

impl Record for Todo {
    const TABLE: &'static str = "todos";
    type Key = String;
    fn key(&self) -> String {
        self.id.clone()
    }
}

fn device(dir: &std::path::Path, name: &str) -> Device {
    Device::load_or_create(dir.join(format!("{name}.json")), name).unwrap()
}

/// Every key a hook was shown, as `inserted:todos:1`, `updated:...`, `removed:...`.
fn keys(changes: &ChangeSet) -> Vec<String> {
    let mut keys = Vec::new();
    for (table, rows) in changes.tables() {
        keys.extend(
            rows.inserted
                .iter()
                .map(|r| format!("inserted:{table}:{}", r.key)),
        );
        keys.extend(
            rows.updated
                .iter()
                .map(|r| format!("updated:{table}:{}", r.key)),
        );
        keys.extend(
            rows.removed
                .iter()
                .map(|r| format!("removed:{table}:{}", r.key)),
        );
    }
    keys
}

const FIRST: &str = "\
# the team's todos
todos |id, title, owner|
    1, write docs, ann   # started
    2, review, bob
";

#[test]
fn a_pull_is_a_commit_its_hooks_see_and_the_file_is_the_merge_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let remote = Remote::in_memory(Prefix::new("todo").unwrap()).unwrap();
    let (path_a, path_b) = (dir.path().join("a.sdn"), dir.path().join("b.sdn"));
    let a = RecordSync::new(remote.clone(), &path_a, device(dir.path(), "a"));
    std::fs::write(&path_a, FIRST).unwrap();
    a.push().unwrap();

    let seen: Arc<Mutex<Vec<ChangeSet>>> = Arc::default();
    let watch = Arc::clone(&seen);
    let store_b = Store::open(&path_b)
        .unwrap()
        .with_pre_commit(move |_, changes| {
            watch.lock().unwrap().push(changes.clone());
            Ok(())
        });
    let b = RecordSync::for_store(remote.clone(), store_b.clone(), device(dir.path(), "b"));

    // A fast-forward onto an empty store: every record is inserted.
    let pulled = b.pull(Prefer::Merge).unwrap();
    assert_eq!(pulled.outcome, PullOutcome::FastForward);
    assert_eq!(std::fs::read_to_string(&path_b).unwrap(), FIRST);
    assert_eq!(
        keys(&pulled.changes),
        ["inserted:todos:1", "inserted:todos:2"]
    );
    assert_eq!(
        seen.lock().unwrap().as_slice(),
        std::slice::from_ref(&pulled.changes)
    );
    // b's program reads through its handle: the cache shows the pulled version.
    let snapshot = store_b.read().unwrap();
    assert_eq!(snapshot.table::<Todo>().unwrap().len(), 2);

    // Both change: a renames 1 (keeping its comment) and removes 2; b adds 3 through
    // its store, the way its program writes.
    let second = FIRST
        .replace("1, write docs, ann", "1, write better docs, ann")
        .replace("    2, review, bob\n", "");
    std::fs::write(&path_a, &second).unwrap();
    a.push().unwrap();
    store_b
        .update(|tx| {
            tx.table::<Todo>()?.insert(Todo {
                id: "3".into(),
                title: "ship".into(),
            })
        })
        .unwrap();
    let ours = std::fs::read_to_string(&path_b).unwrap();
    seen.lock().unwrap().clear();

    let pulled = b.pull(Prefer::Merge).unwrap();
    assert_eq!(pulled.outcome, PullOutcome::Merged);
    // The bytes are versioning's merge of the same inputs, exactly: what every device
    // merging them gets.
    let merged = versioning::merge::merge(FIRST, &ours, &second, &Default::default()).unwrap();
    assert_eq!(std::fs::read_to_string(&path_b).unwrap(), merged.text);
    assert!(merged.text.contains("# the team's todos") && merged.text.contains("# started"));
    assert!(merged.text.contains("ann"), "the unknown column is kept");
    // The hook saw the pull: the updated record's key, the removal; not b's own insert.
    assert_eq!(
        keys(&pulled.changes),
        ["updated:todos:1", "removed:todos:2"]
    );
    assert_eq!(
        seen.lock().unwrap().as_slice(),
        std::slice::from_ref(&pulled.changes)
    );
    let updated = &pulled.changes.table("todos").unwrap().updated[0];
    assert_eq!(updated.changed_columns().collect::<Vec<_>>(), ["title"]);
    assert_eq!(
        store_b.read().unwrap().bytes(),
        merged.text.as_bytes(),
        "the process's cache shows the merge"
    );

    // Pushed and pulled back, both devices hold the same bytes.
    b.push().unwrap();
    a.pull(Prefer::Merge).unwrap();
    assert_eq!(
        std::fs::read_to_string(&path_a).unwrap(),
        std::fs::read_to_string(&path_b).unwrap()
    );
}

#[test]
fn a_hook_that_vetoes_a_pull_leaves_local_content_and_the_sync_state_as_they_were() {
    let dir = tempfile::tempdir().unwrap();
    let remote = Remote::in_memory(Prefix::new("todo").unwrap()).unwrap();
    let (path_a, path_b) = (dir.path().join("a.sdn"), dir.path().join("b.sdn"));
    let a = RecordSync::new(remote.clone(), &path_a, device(dir.path(), "a"));
    std::fs::write(&path_a, FIRST).unwrap();
    a.push().unwrap();
    let b = RecordSync::new(remote.clone(), &path_b, device(dir.path(), "b"));
    b.pull(Prefer::Merge).unwrap();

    std::fs::write(&path_a, FIRST.replace("    2, review, bob\n", "")).unwrap();
    a.push().unwrap();
    let strict = Store::open(&path_b).unwrap().with_pre_commit(|_, changes| {
        match changes
            .table("todos")
            .is_some_and(|t| !t.removed.is_empty())
        {
            true => Err(StoreError::aborted("this program never deletes todos")),
            false => Ok(()),
        }
    });
    let b = RecordSync::for_store(remote, strict.clone(), device(dir.path(), "b"));
    let err = b.pull(Prefer::Merge).unwrap_err();
    assert!(matches!(err, cloud_sync::Error::Store { .. }), "{err}");
    let cause = std::error::Error::source(&err)
        .and_then(|cause| cause.downcast_ref::<StoreError>())
        .expect("record-store's error is the source");
    assert!(matches!(cause, StoreError::Aborted(_)), "{cause:?}");
    assert_eq!(std::fs::read_to_string(&path_b).unwrap(), FIRST);
    assert_eq!(strict.read().unwrap().bytes(), FIRST.as_bytes());
    assert_eq!(b.check().unwrap().status, SyncStatus::Behind);
}

#[test]
fn local_commits_made_while_pulls_merge_are_never_lost() {
    let dir = tempfile::tempdir().unwrap();
    let remote = Remote::in_memory(Prefix::new("todo").unwrap()).unwrap();
    let (path_a, path_b) = (dir.path().join("a.sdn"), dir.path().join("b.sdn"));
    let a = RecordSync::new(remote.clone(), &path_a, device(dir.path(), "a"));
    let b = RecordSync::new(remote.clone(), &path_b, device(dir.path(), "b"));
    std::fs::write(&path_a, "todos |id, title|\n    a0, from a\n").unwrap();
    a.push().unwrap();
    b.pull(Prefer::Merge).unwrap();

    const LOCAL: usize = 60;
    let store_b = Store::open(&path_b).unwrap();
    std::thread::scope(|scope| {
        let writer = scope.spawn(|| {
            for i in 0..LOCAL {
                store_b
                    .update(|tx| {
                        tx.table::<Todo>()?.insert(Todo {
                            id: format!("b{i}"),
                            title: "from b".into(),
                        })
                    })
                    .unwrap();
            }
        });
        let mut round = 1;
        while !writer.is_finished() {
            let store_a = Store::open(&path_a).unwrap();
            store_a
                .update(|tx| {
                    tx.table::<Todo>()?.insert(Todo {
                        id: format!("a{round}"),
                        title: "from a".into(),
                    })
                })
                .unwrap();
            a.push().unwrap();
            b.pull(Prefer::Merge).unwrap();
            round += 1;
        }
        writer.join().unwrap();
    });
    b.push().unwrap();
    a.pull(Prefer::Merge).unwrap();
    let text = std::fs::read_to_string(&path_b).unwrap();
    assert_eq!(std::fs::read_to_string(&path_a).unwrap(), text);
    let todos = Store::open(&path_b).unwrap().read().unwrap();
    let todos = todos.table::<Todo>().unwrap();
    for i in 0..LOCAL {
        assert!(
            todos.contains_key(&format!("b{i}")),
            "b{i} was lost:\n{text}"
        );
    }
}

#[test]
fn a_restore_is_committed_through_the_store_too() {
    let dir = tempfile::tempdir().unwrap();
    let remote = Remote::in_memory(Prefix::new("todo").unwrap()).unwrap();
    let path = dir.path().join("a.sdn");
    let seen: Arc<Mutex<Vec<ChangeSet>>> = Arc::default();
    let watch = Arc::clone(&seen);
    let store = Store::open(&path)
        .unwrap()
        .with_pre_commit(move |_, changes| {
            watch.lock().unwrap().push(changes.clone());
            Ok(())
        });
    let a = RecordSync::for_store(remote, store.clone(), device(dir.path(), "a"));
    std::fs::write(&path, FIRST).unwrap();
    let first = a.push().unwrap().push.head;
    store
        .update(|tx| {
            tx.table::<Todo>()?.get_mut(&"2".to_string()).unwrap().title = "reviewed".into();
            Ok::<_, StoreError>(())
        })
        .unwrap();
    a.push().unwrap();
    seen.lock().unwrap().clear();

    let restored = a.restore(&first).unwrap();
    assert!(restored.applied);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), FIRST);
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1);
    assert_eq!(keys(&seen[0]), ["updated:todos:2"]);
    assert_eq!(store.read().unwrap().bytes(), FIRST.as_bytes());
    assert_eq!(a.check().unwrap().status, SyncStatus::UpToDate);
}

/// A wall clock running a minute behind this machine's.
#[derive(Debug)]
struct MinuteBehind;

impl versioning::hlc::Clock for MinuteBehind {
    fn now_ms(&self) -> u64 {
        versioning::hlc::SystemClock.now_ms() - 60_000
    }
}

#[test]
fn versionings_stamping_hook_sees_a_pull_and_moves_its_clock_past_the_pulled_stamps() {
    use versioning::{Options, VersionedStore, WriterId};
    let dir = tempfile::tempdir().unwrap();
    let remote = Remote::in_memory(Prefix::new("todo").unwrap()).unwrap();
    let (path_a, path_b) = (dir.path().join("a.sdn"), dir.path().join("b.sdn"));
    let versioned_a =
        VersionedStore::open(&path_a, Options::new(WriterId::new("a").unwrap())).unwrap();
    versioned_a
        .insert(Todo {
            id: "1".into(),
            title: "from a".into(),
        })
        .unwrap();
    let stamp_a = versioned_a
        .get::<Todo>(&"1".to_string())
        .unwrap()
        .unwrap()
        .meta
        .stamp
        .unwrap();
    RecordSync::new(remote.clone(), &path_a, device(dir.path(), "a"))
        .push()
        .unwrap();

    // b's clock is a minute behind a's: only what it learns from the pull orders its
    // next stamp after a's.
    let versioned_b = VersionedStore::open(
        &path_b,
        Options::new(WriterId::new("b").unwrap()).clock(MinuteBehind),
    )
    .unwrap();
    let b = RecordSync::for_store(remote, versioned_b.store().clone(), device(dir.path(), "b"));
    let pulled = b.pull(Prefer::Merge).unwrap();
    assert_eq!(keys(&pulled.changes), ["inserted:todos:1"]);
    assert_eq!(
        std::fs::read(&path_b).unwrap(),
        std::fs::read(&path_a).unwrap()
    );
    // The hook observed the pulled stamp: b's clock already orders after it.
    let stamp_b = versioned_b.hlc().now();
    assert!(
        stamp_b > stamp_a,
        "b's stamp {stamp_b:?} does not order after the pulled {stamp_a:?}"
    );
}

#[test]
fn a_store_that_does_not_parse_is_never_overwritten_or_written_by_a_pull_or_a_restore() {
    let dir = tempfile::tempdir().unwrap();
    let remote = Remote::in_memory(Prefix::new("todo").unwrap()).unwrap();
    let (path_a, path_b) = (dir.path().join("a.sdn"), dir.path().join("b.sdn"));
    let a = RecordSync::new(remote.clone(), &path_a, device(dir.path(), "a"));
    std::fs::write(&path_a, FIRST).unwrap();
    let first = a.push().unwrap().push.head;
    let b = RecordSync::new(remote.clone(), &path_b, device(dir.path(), "b"));
    b.pull(Prefer::Merge).unwrap();

    // A head that does not parse is not committed to a store.
    let broken = "todos |id, title\n  oops";
    std::fs::write(&path_a, broken).unwrap();
    let broken_head = a.push().unwrap().push.head;
    let err = b.pull(Prefer::Merge).unwrap_err();
    assert!(matches!(err, cloud_sync::Error::Store { .. }), "{err}");
    assert_eq!(std::fs::read_to_string(&path_b).unwrap(), FIRST);
    assert_eq!(b.check().unwrap().status, SyncStatus::Behind);

    // Taken whole, it is an unreadable store synced with the head: a restore is allowed
    // by the status, and refused before the remote head moves.
    b.files()
        .pull_file(cloud_sync::PullMode::FastForwardOnly)
        .unwrap();
    let err = b.restore(&first).unwrap_err();
    assert!(matches!(err, cloud_sync::Error::Store { .. }), "{err}");
    assert_eq!(std::fs::read_to_string(&path_b).unwrap(), broken);
    assert_eq!(b.check().unwrap().remote.unwrap().head, broken_head);

    // Local changes that do not parse are never overwritten, not even by --prefer cloud.
    std::fs::write(&path_a, FIRST).unwrap();
    a.push().unwrap();
    std::fs::write(&path_b, "todos |id, title\n  worse").unwrap();
    let err = b.pull(Prefer::Cloud).unwrap_err();
    assert!(matches!(err, cloud_sync::Error::Store { .. }), "{err}");
    assert_eq!(
        std::fs::read_to_string(&path_b).unwrap(),
        "todos |id, title\n  worse"
    );
}
