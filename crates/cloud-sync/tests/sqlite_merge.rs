//! Row-level sync of SQLite databases between devices through a local-directory remote:
//! disjoint edits all kept, same-row conflicts settled by each strategy or kept and
//! reported, tables without a primary key under each choice, and live databases (a
//! reader process holding a read transaction during a pulled merge, a writer process
//! committing during pushes).

use std::io::BufRead;
use std::path::Path;
use std::time::{Duration, SystemTime};

use cloud_sync::sqlite_merge::{
    ConflictOutcome, FieldFallback, RowStrategy, SqliteMergeOptions, UnkeyedTables,
};
use cloud_sync::{Error, PullOutcome, SchemaDivergence, SchemaSide, SqliteSync, SyncStatus};
use rusqlite::Connection;
use test_support::worker::{self, STEP_LIMIT, Worker};

mod sqlite_support;

use sqlite_support::*;

#[test]
fn two_devices_editing_different_rows_and_columns_keep_every_edit() {
    let setup = Setup::new();
    let (laptop, desktop) = setup.pair(SqliteMergeOptions::default());
    sql(
        &laptop,
        "UPDATE items SET title = 'laptop title 1' WHERE id = 1;
         INSERT INTO items VALUES (11, 'laptop new', 'open', '');
         DELETE FROM items WHERE id = 2;
         UPDATE items SET title = 'laptop title 6' WHERE id = 6;
         UPDATE items SET title = 'laptop title 7' WHERE id = 7;",
    );
    sql(
        &desktop,
        "UPDATE items SET status = 'done' WHERE id = 3;
         INSERT INTO items VALUES (12, 'desktop new', 'open', '');
         DELETE FROM items WHERE id = 4;
         UPDATE items SET status = 'desktop status 6' WHERE id = 6;
         UPDATE items SET title = 'desktop title 7' WHERE id = 7;",
    );
    laptop.push().unwrap();
    let pushed = desktop.push().unwrap();
    let pull = &pushed.pulls[0];
    assert_eq!(pull.outcome, PullOutcome::Merged);
    assert_eq!(pull.status_before, SyncStatus::Diverged);
    // Only row 7's title was changed two ways: kept open and reported.
    let conflicts: Vec<_> = pushed.conflicts().collect();
    assert_eq!(conflicts.len(), 1, "{conflicts:?}");
    assert_eq!(conflicts[0].key.as_deref(), Some("7"));
    assert_eq!(conflicts[0].column.as_deref(), Some("title"));
    assert_eq!(conflicts[0].local.as_deref(), Some("desktop title 7"));
    assert_eq!(conflicts[0].cloud.as_deref(), Some("laptop title 7"));
    assert_eq!(conflicts[0].outcome, ConflictOutcome::Kept);

    let pulled = laptop.pull().unwrap();
    assert_eq!(pulled.outcome, PullOutcome::FastForward);
    assert_eq!(
        status(&laptop),
        SyncStatus::UpToDate,
        "no pointless re-push"
    );
    assert_eq!(status(&desktop), SyncStatus::UpToDate);
    let merged = items(laptop.path());
    assert_eq!(merged, items(desktop.path()));
    let ids: Vec<i64> = merged.iter().map(|row| row.0).collect();
    assert_eq!(
        ids,
        [1, 3, 5, 6, 7, 8, 9, 10, 11, 12],
        "inserts and deletes of both"
    );
    assert_eq!(item(laptop.path(), 1).0, "laptop title 1");
    assert_eq!(item(laptop.path(), 3).1, "done");
    assert_eq!(
        item(laptop.path(), 6),
        (
            "laptop title 6".into(),
            "desktop status 6".into(),
            String::new()
        ),
        "disjoint columns of one row are combined"
    );
    assert_eq!(item(laptop.path(), 7).0, "desktop title 7");
    // The open conflict travels with the database: both devices have it.
    let recorded = recorded_conflicts(laptop.path());
    assert_eq!(recorded, recorded_conflicts(desktop.path()));
    assert_eq!(
        recorded,
        [(
            "items".to_owned(),
            Some("7".to_owned()),
            Some("title".to_owned()),
            Some("desktop title 7".to_owned()),
            Some("laptop title 7".to_owned()),
            "kept".to_owned()
        )]
    );
    // The merge and the pull are in the sync log.
    let log = laptop.files().log().unwrap();
    assert!(log.iter().any(|entry| entry.conflict_detected));
}

/// Both devices change row 1: the laptop its title and note, the desktop its title and
/// status. Returns the desktop's pull result.
fn same_row_conflict(
    options: SqliteMergeOptions,
    local_written: Option<SystemTime>,
) -> (
    Setup,
    SqliteSync,
    Result<cloud_sync::SqlitePullReport, Error>,
) {
    let setup = Setup::new();
    let (laptop, desktop) = setup.pair(options);
    sql(
        &laptop,
        "UPDATE items SET title = 'cloud title', note = 'cloud note' WHERE id = 1",
    );
    laptop.push().unwrap();
    sql(
        &desktop,
        "UPDATE items SET title = 'local title', status = 'local status' WHERE id = 1",
    );
    if let Some(time) = local_written {
        set_written(desktop.path(), time);
    }
    let result = desktop.pull();
    (setup, desktop, result)
}

#[test]
fn same_row_conflicts_are_settled_by_each_strategy() {
    let strategy = |strategy| SqliteMergeOptions {
        strategy,
        ..Default::default()
    };
    let long_ago = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
    let far_ahead = SystemTime::now() + Duration::from_secs(3600);

    let (_s, desktop, pulled) = same_row_conflict(strategy(RowStrategy::PreferLocal), None);
    let pulled = pulled.unwrap();
    assert_eq!(
        item(desktop.path(), 1),
        ("local title".into(), "local status".into(), String::new())
    );
    assert_eq!(pulled.conflicts[0].outcome, ConflictOutcome::TookLocal);
    assert!(pulled.local_backup.is_none());

    let (_s, desktop, pulled) = same_row_conflict(strategy(RowStrategy::PreferCloud), None);
    let pulled = pulled.unwrap();
    assert_eq!(
        item(desktop.path(), 1),
        ("cloud title".into(), "open".into(), "cloud note".into())
    );
    assert_eq!(pulled.conflicts[0].outcome, ConflictOutcome::TookCloud);
    assert!(
        pulled.local_backup.is_some(),
        "local content is backed up before it is replaced"
    );

    let (_s, desktop, pulled) =
        same_row_conflict(strategy(RowStrategy::LastWriteWins), Some(far_ahead));
    pulled.unwrap();
    assert_eq!(item(desktop.path(), 1).0, "local title", "local wrote last");
    let (_s, desktop, pulled) =
        same_row_conflict(strategy(RowStrategy::LastWriteWins), Some(long_ago));
    pulled.unwrap();
    assert_eq!(
        item(desktop.path(), 1).0,
        "cloud title",
        "the cloud wrote last"
    );

    let (_s, desktop, pulled) = same_row_conflict(strategy(RowStrategy::Error), None);
    match pulled {
        Err(Error::SqliteRowConflict { table, key, .. }) => {
            assert_eq!((table.as_str(), key.as_str()), ("items", "1"));
        }
        other => panic!("expected a row conflict, got {other:?}"),
    }
    assert_eq!(
        item(desktop.path(), 1),
        ("local title".into(), "local status".into(), String::new()),
        "a refused merge changes nothing"
    );
    assert_eq!(status(&desktop), SyncStatus::Diverged);

    // Field-level merge: columns changed on one side are combined; the title, changed
    // two ways, goes to the fallback.
    let (_s, desktop, pulled) = same_row_conflict(
        strategy(RowStrategy::Merge(FieldFallback::PreferCloud)),
        None,
    );
    let pulled = pulled.unwrap();
    assert_eq!(
        item(desktop.path(), 1),
        (
            "cloud title".into(),
            "local status".into(),
            "cloud note".into()
        )
    );
    assert_eq!(pulled.conflicts.len(), 1);
    assert_eq!(pulled.conflicts[0].column.as_deref(), Some("title"));

    let (_s, _desktop, pulled) =
        same_row_conflict(strategy(RowStrategy::Merge(FieldFallback::Error)), None);
    assert!(
        matches!(pulled, Err(Error::SqliteRowConflict { column: Some(ref c), .. }) if c == "title"),
        "{pulled:?}"
    );

    let (_s, desktop, pulled) = same_row_conflict(SqliteMergeOptions::default(), None);
    let pulled = pulled.unwrap();
    assert_eq!(
        item(desktop.path(), 1),
        (
            "local title".into(),
            "local status".into(),
            "cloud note".into()
        )
    );
    assert_eq!(pulled.open_conflicts().count(), 1);
    assert_eq!(recorded_conflicts(desktop.path()).len(), 1);
    assert_eq!(
        status(&desktop),
        SyncStatus::Ahead,
        "the merge is pushed next"
    );
}

/// Row 1 of `table`: (title, status, note).
fn row_of(path: &Path, table: &str) -> (String, String, String) {
    Connection::open(path)
        .unwrap()
        .query_row(
            &format!("SELECT title, status, note FROM {table} WHERE id = 1"),
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap()
}

/// Three tables of the same shape and a keyless log, changed the same way on both
/// sides, each table under its own setting.
#[test]
fn tables_changed_the_same_way_follow_their_own_strategies() {
    let setup = Setup::new();
    let options = SqliteMergeOptions::default()
        .with_table_strategy("prices", RowStrategy::PreferCloud)
        .with_table_strategy("notes", RowStrategy::Merge(FieldFallback::PreferCloud))
        .with_table_unkeyed("log", UnkeyedTables::UseCloud);
    let (laptop, desktop) = setup.pair(options);
    sql(
        &laptop,
        "CREATE TABLE prices AS SELECT * FROM items; CREATE TABLE notes AS SELECT * FROM items;",
    );
    // CREATE TABLE AS keeps no primary key: give the copies one.
    for table in ["prices", "notes"] {
        sql(
            &laptop,
            &format!(
                "ALTER TABLE {table} RENAME TO old_{table};
                 CREATE TABLE {table}(id INTEGER PRIMARY KEY, title TEXT, status TEXT, note TEXT);
                 INSERT INTO {table} SELECT * FROM old_{table}; DROP TABLE old_{table};"
            ),
        );
    }
    laptop.push().unwrap();
    desktop.pull().unwrap();
    for table in ["items", "prices", "notes"] {
        sql(
            &laptop,
            &format!("UPDATE {table} SET title = 'cloud title', note = 'cloud note' WHERE id = 1"),
        );
        sql(
            &desktop,
            &format!(
                "UPDATE {table} SET title = 'local title', status = 'local status' WHERE id = 1"
            ),
        );
    }
    sql(&laptop, "INSERT INTO log VALUES ('cloud line')");
    sql(&desktop, "INSERT INTO log VALUES ('local line')");
    laptop.push().unwrap();
    let pulled = desktop.pull().unwrap();

    // items: the database-wide field merge, the title left open with the local value.
    assert_eq!(
        row_of(desktop.path(), "items"),
        (
            "local title".into(),
            "local status".into(),
            "cloud note".into()
        )
    );
    // prices: the whole cloud row.
    assert_eq!(
        row_of(desktop.path(), "prices"),
        ("cloud title".into(), "open".into(), "cloud note".into())
    );
    // notes: field merge, the title changed two ways taken from the cloud.
    assert_eq!(
        row_of(desktop.path(), "notes"),
        (
            "cloud title".into(),
            "local status".into(),
            "cloud note".into()
        )
    );
    // log: the cloud rows.
    assert_eq!(
        lines(desktop.path(), "log"),
        ["cloud line", "first", "second"]
    );
    let mut outcomes: Vec<(String, Option<String>, ConflictOutcome)> = pulled
        .conflicts
        .iter()
        .map(|c| (c.table.clone(), c.column.clone(), c.outcome.clone()))
        .collect();
    outcomes.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        outcomes,
        [
            ("items".into(), Some("title".into()), ConflictOutcome::Kept),
            ("log".into(), None, ConflictOutcome::TookCloud),
            (
                "notes".into(),
                Some("title".into()),
                ConflictOutcome::TookCloud
            ),
            ("prices".into(), None, ConflictOutcome::TookCloud),
        ]
    );
    assert!(
        pulled.local_backup.is_some(),
        "a table whose setting takes cloud values: local content is backed up first"
    );

    // Only local-preferring overrides over the keep-both default: nothing to back up.
    let setup = Setup::new();
    let (laptop, desktop) = setup.pair(
        SqliteMergeOptions::default()
            .with_table_strategy("items", RowStrategy::PreferLocal)
            .with_table_unkeyed("log", UnkeyedTables::UseLocal),
    );
    sql(
        &laptop,
        "UPDATE items SET title = 'cloud title' WHERE id = 1",
    );
    sql(
        &desktop,
        "UPDATE items SET title = 'local title' WHERE id = 1",
    );
    laptop.push().unwrap();
    let pulled = desktop.pull().unwrap();
    assert_eq!(row_of(desktop.path(), "items").0, "local title");
    assert_eq!(pulled.conflicts[0].outcome, ConflictOutcome::TookLocal);
    assert!(pulled.local_backup.is_none());
}

/// A pull whose process dies after the merge commits and before the sync state is
/// saved merges the same head again at the next pull: here the state file is put back
/// as it was before the pull, which is what such a crash leaves. The conflict it found
/// is recorded once.
#[test]
fn a_merge_repeated_after_a_crash_before_the_state_save_records_its_conflicts_once() {
    let setup = Setup::new();
    let (laptop, desktop) = setup.pair(SqliteMergeOptions {
        strategy: RowStrategy::PreferLocal,
        ..Default::default()
    });
    sql(
        &laptop,
        "UPDATE items SET title = 'cloud title' WHERE id = 1",
    );
    laptop.push().unwrap();
    sql(
        &desktop,
        "UPDATE items SET title = 'local title' WHERE id = 1",
    );
    let mut state = desktop.path().as_os_str().to_owned();
    state.push(".cloud-sync.json");
    let state_before = std::fs::read(&state).unwrap();

    let first = desktop.pull().unwrap();
    assert_eq!(first.conflicts.len(), 1);
    assert_eq!(recorded_conflicts(desktop.path()).len(), 1);

    std::fs::write(&state, &state_before).unwrap();
    assert_eq!(status(&desktop), SyncStatus::Diverged);
    let again = desktop.pull().unwrap();
    assert_eq!(
        again.conflicts, first.conflicts,
        "the same merge, found again"
    );
    assert_eq!(
        recorded_conflicts(desktop.path()).len(),
        1,
        "and recorded once"
    );
    assert_eq!(item(desktop.path(), 1).0, "local title");
}

#[test]
fn a_row_deleted_on_one_side_and_edited_on_the_other_is_never_lost_silently() {
    let setup = Setup::new();
    let (laptop, desktop) = setup.pair(SqliteMergeOptions::default());
    sql(&laptop, "DELETE FROM items WHERE id = 5");
    laptop.push().unwrap();
    sql(
        &desktop,
        "UPDATE items SET note = 'still needed' WHERE id = 5",
    );
    let pulled = desktop.pull().unwrap();
    assert_eq!(item(desktop.path(), 5).2, "still needed");
    assert_eq!(pulled.conflicts.len(), 1);
    assert_eq!(pulled.conflicts[0].column, None);
    assert_eq!(pulled.conflicts[0].cloud, None, "deleted in the cloud");
    assert_eq!(pulled.conflicts[0].outcome, ConflictOutcome::Kept);
}

#[test]
fn tables_without_a_primary_key_follow_each_choice() {
    for choice in [
        UnkeyedTables::UseCloud,
        UnkeyedTables::UseLocal,
        UnkeyedTables::KeepBoth,
    ] {
        let setup = Setup::new();
        let options = SqliteMergeOptions {
            unkeyed: choice,
            ..Default::default()
        };
        let (laptop, desktop) = setup.pair(options);
        sql(&laptop, "INSERT INTO log VALUES ('cloud line')");
        let pushed = laptop.push().unwrap();
        sql(&desktop, "INSERT INTO log VALUES ('local line')");
        let pulled = desktop.pull().unwrap();
        let log = lines(desktop.path(), "log");
        let conflict = &pulled.conflicts[0];
        assert_eq!(
            (conflict.table.as_str(), conflict.key.as_deref()),
            ("log", None)
        );
        match choice {
            UnkeyedTables::UseCloud => {
                assert_eq!(log, ["cloud line", "first", "second"]);
                assert!(pulled.local_backup.is_some());
            }
            UnkeyedTables::UseLocal => assert_eq!(log, ["first", "local line", "second"]),
            UnkeyedTables::KeepBoth => {
                assert_eq!(log, ["first", "local line", "second"]);
                let ConflictOutcome::CopiedCloud(copy) = &conflict.outcome else {
                    panic!("{conflict:?}")
                };
                assert!(copy.starts_with("log_conflict_"), "{copy}");
                assert!(
                    pushed
                        .push
                        .head
                        .starts_with(copy.trim_start_matches("log_conflict_"))
                );
                assert_eq!(
                    lines(desktop.path(), copy),
                    ["cloud line", "first", "second"]
                );
            }
        }
        // One side only: taken as is, no conflict.
        desktop.push().unwrap();
        laptop.pull().unwrap();
        sql(&laptop, "DELETE FROM log WHERE line = 'first'");
        laptop.push().unwrap();
        let pulled = desktop.pull().unwrap();
        assert!(pulled.conflicts.is_empty());
        assert!(!lines(desktop.path(), "log").contains(&"first".to_owned()));
        assert_eq!(lines(desktop.path(), "log"), lines(laptop.path(), "log"));
    }
}

#[test]
fn a_table_new_on_the_remote_is_created_an_added_column_merged_and_a_dropped_one_refused() {
    let setup = Setup::new();
    let (laptop, desktop) = setup.pair(SqliteMergeOptions::default());
    sql(
        &laptop,
        "CREATE TABLE tags(name TEXT PRIMARY KEY, colour TEXT);
         CREATE INDEX tags_colour ON tags(colour);
         INSERT INTO tags VALUES ('red', '#f00');",
    );
    laptop.push().unwrap();
    sql(&desktop, "UPDATE items SET note = 'local' WHERE id = 9");
    desktop.push().unwrap();
    let index: i64 = Connection::open(desktop.path())
        .unwrap()
        .query_row(
            "SELECT count(*) FROM sqlite_schema WHERE name = 'tags_colour'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(index, 1, "the new table's index came along");
    laptop.pull().unwrap();
    assert_eq!(item(laptop.path(), 9).2, "local");

    // A column added on one side while the other changed rows: merged.
    sql(
        &laptop,
        "ALTER TABLE items ADD COLUMN price REAL; UPDATE items SET price = 9.5 WHERE id = 9",
    );
    laptop.push().unwrap();
    sql(&desktop, "UPDATE items SET note = 'again' WHERE id = 9");
    let pulled = desktop.pull().unwrap();
    assert_eq!(pulled.outcome, PullOutcome::Merged);
    let price = |path: &Path, id: i64| -> Option<f64> {
        Connection::open(path)
            .unwrap()
            .query_row("SELECT price FROM items WHERE id = ?1", [id], |r| r.get(0))
            .unwrap()
    };
    assert_eq!(item(desktop.path(), 9).2, "again");
    assert_eq!(price(desktop.path(), 9), Some(9.5));
    assert_eq!(price(desktop.path(), 8), None);
    desktop.push().unwrap();
    laptop.pull().unwrap();
    assert_eq!(items(laptop.path()), items(desktop.path()));

    // A column dropped on one side while the other changed rows: refused.
    sql(&laptop, "ALTER TABLE items DROP COLUMN price");
    laptop.push().unwrap();
    sql(&desktop, "UPDATE items SET note = 'third' WHERE id = 9");
    let err = desktop.pull().unwrap_err();
    assert!(
        matches!(
            err,
            Error::SqliteSchemaDiverged {
                ref table,
                reason: SchemaDivergence::ColumnDropped { ref column, side: SchemaSide::Remote },
                ..
            } if table == "items" && column == "price"
        ),
        "{err}"
    );
    assert_eq!(item(desktop.path(), 9).2, "third", "nothing changed");
    assert_eq!(price(desktop.path(), 9), Some(9.5), "nothing changed");
    // With no local change, a schema change is a whole-file fast-forward.
    let fresh = setup.device("tablet");
    fresh.pull().unwrap();
    sql(&laptop, "ALTER TABLE items ADD COLUMN weight REAL");
    laptop.push().unwrap();
    assert_eq!(fresh.pull().unwrap().outcome, PullOutcome::FastForward);
    assert_eq!(status(&fresh), SyncStatus::UpToDate);
}

// ---- live databases and real processes -------------------------------------------

const ROLE: &str = "SQLITE_MERGE_WORKER";
const DB: &str = "SQLITE_MERGE_DB";
const WRITES: i64 = 1500;

/// Worker entry point; a no-op unless spawned by one of the tests below.
#[test]
fn sqlite_worker() {
    let Some(role) = worker::role(ROLE) else {
        return;
    };
    let path = worker::var(DB);
    let mut stdin = std::io::stdin().lock();
    let mut line = String::new();
    match role.as_str() {
        "reader" => {
            let c = Connection::open(&path).unwrap();
            c.execute_batch("BEGIN").unwrap();
            let count = |c: &Connection| -> i64 {
                c.query_row("SELECT count(*) FROM items", [], |r| r.get(0))
                    .unwrap()
            };
            say(format!("READY {}", count(&c)));
            stdin.read_line(&mut line).unwrap();
            say(format!("IN-TRANSACTION {}", count(&c)));
            c.execute_batch("COMMIT").unwrap();
            say(format!("AFTER {}", count(&c)));
        }
        "writer" => {
            let c = Connection::open(&path).unwrap();
            c.busy_timeout(Duration::from_secs(30)).unwrap();
            say("READY");
            stdin.read_line(&mut line).unwrap();
            for i in 1..=WRITES {
                // One transaction: the row and the counter move together, so a torn
                // snapshot would show them disagreeing.
                c.execute_batch(&format!(
                    "BEGIN; INSERT INTO items VALUES ({}, 'written {i}', 'open', '');
                     UPDATE counter SET n = {i}; COMMIT;",
                    1000 + i
                ))
                .unwrap();
            }
            say("DONE");
        }
        other => panic!("unknown role {other}"),
    }
}

/// What starts a worker's answer line (libtest may print on the same line first).
const SAYS: &str = "@@ ";

/// Worker side: one answer line to the parent.
fn say(message: impl std::fmt::Display) {
    worker::say(SAYS, message);
}

fn spawn(role: &str, db: &Path) -> Worker {
    let mut command = worker::command("sqlite_worker", ROLE, role);
    command.env(DB, db);
    Worker::spawn(command, SAYS, format!("sqlite {role} worker"))
}

#[test]
fn a_pulled_merge_is_applied_while_another_process_holds_a_read_transaction() {
    if std::env::var(ROLE).is_ok() {
        return;
    }
    let setup = Setup::new();
    let (laptop, desktop) = setup.pair(SqliteMergeOptions::default());
    sql(&desktop, "PRAGMA journal_mode=WAL");
    sql(
        &laptop,
        "INSERT INTO items VALUES (20, 'from the laptop', 'open', '')",
    );
    laptop.push().unwrap();
    sql(
        &desktop,
        "INSERT INTO items VALUES (21, 'from the desktop', 'open', '')",
    );

    let mut reader = spawn("reader", desktop.path());
    assert_eq!(reader.expect("READY", STEP_LIMIT), "11");
    let pulled = desktop.pull().unwrap();
    assert_eq!(pulled.outcome, PullOutcome::Merged);
    assert_eq!(pulled.changes.inserted, 1);
    reader.send("");
    assert_eq!(
        reader.expect("IN-TRANSACTION", STEP_LIMIT),
        "11",
        "the reader's transaction keeps its consistent snapshot"
    );
    assert_eq!(
        reader.expect("AFTER", STEP_LIMIT),
        "12",
        "its next read sees the merge"
    );
    reader.finish(STEP_LIMIT);
    let ok: String = Connection::open(desktop.path())
        .unwrap()
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ok, "ok");
    desktop.push().unwrap();
    laptop.pull().unwrap();
    assert_eq!(items(laptop.path()), items(desktop.path()));
    assert_eq!(items(laptop.path()).len(), 12);
}

#[test]
fn a_live_database_written_by_another_process_during_push_syncs_consistent_snapshots() {
    if std::env::var(ROLE).is_ok() {
        return;
    }
    let setup = Setup::new();
    let (laptop, desktop) = setup.pair(SqliteMergeOptions::default());
    sql(
        &laptop,
        "PRAGMA journal_mode=WAL; CREATE TABLE counter(n INTEGER); INSERT INTO counter VALUES (0);",
    );
    laptop.push().unwrap();
    let mut writer = spawn("writer", laptop.path());
    writer.expect("READY", STEP_LIMIT);
    writer.send("");
    let mut pushes = 0;
    let mut partial = 0;
    loop {
        let finished = !writer.running();
        laptop.push().unwrap();
        pushes += 1;
        desktop.pull().unwrap();
        let c = Connection::open(desktop.path()).unwrap();
        let written: i64 = c
            .query_row("SELECT count(*) FROM items WHERE id > 1000", [], |r| {
                r.get(0)
            })
            .unwrap();
        let counter: i64 = c
            .query_row("SELECT n FROM counter", [], |r| r.get(0))
            .unwrap();
        assert_eq!(
            written, counter,
            "every pulled snapshot is one committed state"
        );
        if written > 0 && written < WRITES {
            partial += 1;
        }
        if finished {
            assert_eq!(written, WRITES, "the last push has every commit");
            break;
        }
    }
    assert_eq!(writer.expect("DONE", STEP_LIMIT), "");
    writer.finish(STEP_LIMIT);
    println!("{pushes} pushes, {partial} of them mid-write");
    assert_eq!(status(&laptop), SyncStatus::UpToDate);
    assert_eq!(status(&desktop), SyncStatus::UpToDate);
}
