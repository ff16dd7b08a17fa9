//! SQLite schemas changed between syncs, on real database files: columns added on one or
//! both sides are united (base order, then local, then remote additions) and the rows
//! merged; a table dropped on one side is dropped, or kept with a recorded conflict when
//! the other side changed it; changes without one answer are refused and change nothing.

use std::path::Path;

use cloud_sync::sqlite_merge::{self, ConflictOutcome, SqliteMergeOptions};
use cloud_sync::{Error, PullOutcome, SchemaDivergence, SchemaSide, SyncStatus};
use rusqlite::Connection;
use rusqlite::types::Value;

mod sqlite_support;

use sqlite_support::*;

/// Column names of `table`, in order.
fn columns(path: &Path, table: &str) -> Vec<String> {
    Connection::open(path)
        .unwrap()
        .prepare("SELECT name FROM pragma_table_info(?1) ORDER BY cid")
        .unwrap()
        .query_map([table], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// Every row of `table` ordered by its first column, each value as text.
fn rows(path: &Path, table: &str) -> Vec<Vec<String>> {
    let c = Connection::open(path).unwrap();
    let mut statement = c
        .prepare(&format!("SELECT * FROM \"{table}\" ORDER BY 1"))
        .unwrap();
    let width = statement.column_count();
    statement
        .query_map([], |row| {
            (0..width)
                .map(|i| {
                    Ok(match row.get::<_, Value>(i)? {
                        Value::Null => "NULL".to_owned(),
                        Value::Integer(n) => n.to_string(),
                        Value::Real(r) => format!("{r:?}"),
                        Value::Text(t) => t,
                        Value::Blob(b) => format!("{b:?}"),
                    })
                })
                .collect()
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// The `CREATE TABLE` statement of `table`.
fn definition(path: &Path, table: &str) -> String {
    Connection::open(path)
        .unwrap()
        .query_row(
            "SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = ?1",
            [table],
            |r| r.get(0),
        )
        .unwrap()
}

/// User tables, by name.
fn table_names(path: &Path) -> Vec<String> {
    Connection::open(path)
        .unwrap()
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// Every table's definition and rows: what two devices must agree on.
fn everything(path: &Path) -> Vec<(String, String, Vec<Vec<String>>)> {
    table_names(path)
        .into_iter()
        .map(|table| {
            let sql = definition(path, &table);
            let rows = rows(path, &table);
            (table, sql, rows)
        })
        .collect()
}

fn text(values: &[&str]) -> Vec<String> {
    values.iter().map(|v| v.to_string()).collect()
}

#[test]
fn columns_added_on_both_sides_are_united_and_their_rows_merged() {
    let setup = Setup::new();
    let (laptop, desktop) = setup.pair(SqliteMergeOptions::default());
    sql(
        &laptop,
        "ALTER TABLE items ADD COLUMN price REAL;
         ALTER TABLE items ADD COLUMN tag TEXT DEFAULT 'none';
         UPDATE items SET price = 2.5, tag = 'cloud tag' WHERE id = 1;
         UPDATE items SET title = 'cloud title 2' WHERE id = 2;
         INSERT INTO items(id, title, status, note, price) VALUES (11, 'cloud new', 'open', '', 7.0);",
    );
    laptop.push().unwrap();
    // The same `tag` column, written with other spacing and case.
    sql(
        &desktop,
        "ALTER TABLE items ADD COLUMN weight INTEGER NOT NULL DEFAULT 0;
         ALTER TABLE items ADD COLUMN tag   text  default 'none';
         UPDATE items SET weight = 3, tag = 'local tag' WHERE id = 1;
         UPDATE items SET status = 'done' WHERE id = 2;
         INSERT INTO items(id, title, status, note, weight) VALUES (12, 'local new', 'open', '', 5);",
    );
    let pulled = desktop.pull().unwrap();
    assert_eq!(pulled.outcome, PullOutcome::Merged);

    // Base columns, then the local additions, then the remote's; `tag` once.
    assert_eq!(
        columns(desktop.path(), "items"),
        ["id", "title", "status", "note", "weight", "tag", "price"]
    );
    let mut expected = vec![
        text(&["1", "item 1", "open", "", "3", "local tag", "2.5"]),
        text(&["2", "cloud title 2", "done", "", "0", "none", "NULL"]),
    ];
    for i in 3..=10 {
        let title = format!("item {i}");
        expected.push(text(&[
            &i.to_string(),
            &title,
            "open",
            "",
            "0",
            "none",
            "NULL",
        ]));
    }
    expected.push(text(&["11", "cloud new", "open", "", "0", "none", "7.0"]));
    expected.push(text(&["12", "local new", "open", "", "5", "none", "NULL"]));
    assert_eq!(rows(desktop.path(), "items"), expected);
    // `tag` of row 1, set two ways on the shared new column: one open conflict.
    assert_eq!(pulled.conflicts.len(), 1, "{:?}", pulled.conflicts);
    let conflict = &pulled.conflicts[0];
    assert_eq!(
        (
            conflict.key.as_deref(),
            conflict.column.as_deref(),
            conflict.base.as_deref(),
            conflict.local.as_deref(),
            conflict.cloud.as_deref(),
            &conflict.outcome
        ),
        (
            Some("1"),
            Some("tag"),
            Some("none"),
            Some("local tag"),
            Some("cloud tag"),
            &ConflictOutcome::Kept
        )
    );

    // The other device ends with the same definition and rows.
    desktop.push().unwrap();
    laptop.pull().unwrap();
    assert_eq!(everything(laptop.path()), everything(desktop.path()));
    assert_eq!(status(&laptop), SyncStatus::UpToDate);
    assert_eq!(status(&desktop), SyncStatus::UpToDate);
}

#[test]
fn a_column_added_on_the_remote_is_added_here_with_its_declaration_and_default() {
    let setup = Setup::new();
    let (laptop, desktop) = setup.pair(SqliteMergeOptions::default());
    let tablet = setup.device("tablet");
    tablet.pull().unwrap();
    sql(
        &laptop,
        "ALTER TABLE items ADD COLUMN price REAL NOT NULL DEFAULT 1.5 CHECK (price >= 0);
         UPDATE items SET price = 4 WHERE id = 3;",
    );
    laptop.push().unwrap();
    sql(
        &desktop,
        "UPDATE items SET note = 'local' WHERE id = 3; DELETE FROM items WHERE id = 4;",
    );
    let pulled = desktop.pull().unwrap();
    assert_eq!(pulled.outcome, PullOutcome::Merged);
    assert!(pulled.conflicts.is_empty(), "{:?}", pulled.conflicts);
    assert_eq!(
        definition(desktop.path(), "items"),
        definition(laptop.path(), "items"),
        "the column as the remote declared it"
    );
    let merged = rows(desktop.path(), "items");
    assert_eq!(merged.len(), 9);
    assert_eq!(merged[2], text(&["3", "item 3", "open", "local", "4.0"]));
    assert!(
        merged
            .iter()
            .filter(|row| row[0] != "3")
            .all(|row| row[4] == "1.5"),
        "{merged:?}"
    );

    // A device with no local change takes the added column row by row too.
    tablet.pull().unwrap();
    assert_eq!(everything(tablet.path()), everything(laptop.path()));
    desktop.push().unwrap();
    laptop.pull().unwrap();
    tablet.pull().unwrap();
    assert_eq!(everything(laptop.path()), everything(desktop.path()));
    assert_eq!(everything(tablet.path()), everything(desktop.path()));
    for device in [&laptop, &desktop, &tablet] {
        assert_eq!(status(device), SyncStatus::UpToDate);
    }
}

#[test]
fn a_table_dropped_on_one_side_is_dropped_unless_the_other_side_changed_it() {
    let setup = Setup::new();
    let (laptop, desktop) = setup.pair(SqliteMergeOptions::default());
    sql(
        &laptop,
        "CREATE TABLE tags(name TEXT PRIMARY KEY, colour TEXT);
         INSERT INTO tags VALUES ('red', '#f00'), ('blue', '#00f');
         CREATE TABLE notes(id INTEGER PRIMARY KEY, body TEXT);
         INSERT INTO notes VALUES (1, 'one'), (2, 'two');
         CREATE TABLE drafts(id INTEGER PRIMARY KEY, body TEXT);
         INSERT INTO drafts VALUES (1, 'draft');",
    );
    laptop.push().unwrap();
    desktop.pull().unwrap();
    // The laptop drops `tags` (untouched on the desktop) and `notes` (edited there); the
    // desktop drops `drafts` (edited on the laptop).
    sql(
        &laptop,
        "DROP TABLE tags; DROP TABLE notes; UPDATE drafts SET body = 'cloud edit' WHERE id = 1;",
    );
    laptop.push().unwrap();
    sql(
        &desktop,
        "UPDATE notes SET body = 'local edit' WHERE id = 2; DROP TABLE drafts;",
    );
    let pulled = desktop.pull().unwrap();

    assert_eq!(
        table_names(desktop.path()),
        ["cloud_sync_conflicts", "drafts", "items", "log", "notes"]
    );
    assert_eq!(
        rows(desktop.path(), "notes"),
        [text(&["1", "one"]), text(&["2", "local edit"])]
    );
    assert_eq!(rows(desktop.path(), "drafts"), [text(&["1", "cloud edit"])]);
    assert_eq!(
        (pulled.changes.tables_dropped, pulled.changes.tables_created),
        (1, 1)
    );
    let mut conflicts: Vec<_> = pulled
        .conflicts
        .iter()
        .map(|c| {
            (
                c.table.as_str(),
                c.key.as_deref(),
                c.column.as_deref(),
                c.local.as_deref(),
                c.cloud.as_deref(),
                &c.outcome,
            )
        })
        .collect();
    conflicts.sort_by_key(|c| c.0);
    assert_eq!(
        conflicts,
        [
            (
                "drafts",
                None,
                None,
                None,
                Some("1 row(s)"),
                &ConflictOutcome::KeptTable
            ),
            (
                "notes",
                None,
                None,
                Some("2 row(s)"),
                None,
                &ConflictOutcome::KeptTable
            ),
        ]
    );
    assert_eq!(pulled.open_conflicts().count(), 2);
    let recorded: Vec<(String, String)> = recorded_conflicts(desktop.path())
        .into_iter()
        .map(|r| (r.0, r.5))
        .collect();
    assert_eq!(
        recorded,
        [
            ("drafts".to_owned(), "kept_table".to_owned()),
            ("notes".to_owned(), "kept_table".to_owned())
        ]
    );

    // The laptop gets `notes` back with the edit; `tags` stays dropped everywhere.
    desktop.push().unwrap();
    laptop.pull().unwrap();
    assert_eq!(everything(laptop.path()), everything(desktop.path()));
    assert!(!table_names(laptop.path()).contains(&"tags".to_owned()));
    assert_eq!(status(&laptop), SyncStatus::UpToDate);
    assert_eq!(status(&desktop), SyncStatus::UpToDate);
}

/// The bytes of a database made by `sql`.
fn bytes(sql: &str) -> Vec<u8> {
    let c = Connection::open_in_memory().unwrap();
    c.execute_batch(sql).unwrap();
    c.serialize(rusqlite::MAIN_DB).unwrap().to_vec()
}

const BASE: &str = "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, price REAL);
    INSERT INTO t VALUES (1, 'a', 1.0), (2, 'b', 2.0);";

/// `t` with another definition, holding the base rows.
fn redefined(definition: &str) -> String {
    format!("{definition}; INSERT INTO t(id, name, price) VALUES (1, 'a', 1.0), (2, 'b', 2.0);")
}

#[test]
fn schema_changes_without_one_answer_are_refused_and_change_nothing() {
    let edit = format!("{BASE} UPDATE t SET name = 'edited' WHERE id = 1;");
    let cases: Vec<(&str, String, String, String, SchemaDivergence)> = vec![
        (
            "column dropped on the remote",
            BASE.into(),
            edit.clone(),
            format!("{BASE} ALTER TABLE t DROP COLUMN price;"),
            SchemaDivergence::ColumnDropped {
                column: "price".into(),
                side: SchemaSide::Remote,
            },
        ),
        (
            "column dropped locally",
            BASE.into(),
            format!("{BASE} ALTER TABLE t DROP COLUMN price;"),
            edit.clone(),
            SchemaDivergence::ColumnDropped {
                column: "price".into(),
                side: SchemaSide::Local,
            },
        ),
        (
            "type changed on the remote",
            BASE.into(),
            edit.clone(),
            redefined("CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, price TEXT)"),
            SchemaDivergence::ColumnChanged {
                column: "price".into(),
                side: SchemaSide::Remote,
            },
        ),
        (
            "collation added locally (not shown by table_info)",
            BASE.into(),
            redefined(
                "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT COLLATE NOCASE, price REAL)",
            ),
            edit.clone(),
            SchemaDivergence::ColumnChanged {
                column: "name".into(),
                side: SchemaSide::Local,
            },
        ),
        (
            "primary key changed on the remote",
            BASE.into(),
            edit.clone(),
            redefined("CREATE TABLE t(id INTEGER, name TEXT PRIMARY KEY, price REAL)"),
            SchemaDivergence::PrimaryKeyChanged {
                side: SchemaSide::Remote,
            },
        ),
        (
            "columns reordered on the remote",
            BASE.into(),
            edit.clone(),
            redefined("CREATE TABLE t(id INTEGER PRIMARY KEY, price REAL, name TEXT)"),
            SchemaDivergence::ColumnsReordered {
                side: SchemaSide::Remote,
            },
        ),
        (
            "table constraint added on the remote",
            BASE.into(),
            edit.clone(),
            redefined(
                "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, price REAL, UNIQUE (name))",
            ),
            SchemaDivergence::TableConstraintsChanged {
                side: SchemaSide::Remote,
            },
        ),
        (
            "the same column added two ways",
            BASE.into(),
            format!("{BASE} ALTER TABLE t ADD COLUMN tag TEXT;"),
            format!("{BASE} ALTER TABLE t ADD COLUMN tag INTEGER;"),
            SchemaDivergence::ColumnAddedDifferently {
                column: "tag".into(),
            },
        ),
        (
            "a remote column ALTER TABLE cannot add",
            BASE.into(),
            edit.clone(),
            redefined(
                "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, price REAL, sku TEXT NOT NULL DEFAULT (lower('X')))",
            ),
            SchemaDivergence::ColumnNotAddable {
                column: "sku".into(),
            },
        ),
        (
            "different definitions and no base",
            String::new(),
            BASE.into(),
            format!("{BASE} ALTER TABLE t ADD COLUMN tag TEXT;"),
            SchemaDivergence::DefinitionsDiffer,
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    for (n, (case, base, ours, theirs, reason)) in cases.into_iter().enumerate() {
        let live = dir.path().join(format!("live-{n}.db"));
        Connection::open(&live)
            .unwrap()
            .execute_batch(&ours)
            .unwrap();
        let before = everything(&live);
        let base = if base.is_empty() {
            Vec::new()
        } else {
            bytes(&base)
        };
        let result = sqlite_merge::merge_into_file(
            &live,
            &base,
            &bytes(&theirs),
            "head",
            chrono::Utc::now(),
            SqliteMergeOptions::default(),
        );
        match result {
            Err(Error::SqliteSchemaDiverged {
                table,
                reason: found,
                ..
            }) => {
                assert_eq!((table.as_str(), &found), ("t", &reason), "{case}");
            }
            other => panic!("{case}: expected a refusal, got {other:?}"),
        }
        assert_eq!(everything(&live), before, "{case}: nothing changed");
    }
}

#[test]
fn a_refusal_says_what_to_do_next() {
    let dir = tempfile::tempdir().unwrap();
    let live = dir.path().join("live.db");
    Connection::open(&live)
        .unwrap()
        .execute_batch(&format!("{BASE} UPDATE t SET price = 3.0 WHERE id = 2;"))
        .unwrap();
    let err = sqlite_merge::merge_into_file(
        &live,
        &bytes(BASE),
        &bytes(&format!("{BASE} ALTER TABLE t DROP COLUMN name;")),
        "head",
        chrono::Utc::now(),
        SqliteMergeOptions::default(),
    )
    .unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("cannot merge table `t`")
            && message.contains("column `name` was dropped or renamed on the remote")
            && message.contains("make the table's definition the same on both devices"),
        "{message}"
    );
}

#[test]
fn a_table_one_side_left_alone_takes_the_other_sides_definition_whole() {
    let setup = Setup::new();
    let (laptop, desktop) = setup.pair(SqliteMergeOptions::default());
    sql(
        &laptop,
        "CREATE INDEX items_status ON items(status);
         ALTER TABLE items DROP COLUMN note;
         UPDATE items SET title = 'renamed' WHERE id = 1;",
    );
    laptop.push().unwrap();
    // The desktop changes another table only.
    sql(&desktop, "INSERT INTO log VALUES ('local line')");
    let pulled = desktop.pull().unwrap();
    assert_eq!(pulled.outcome, PullOutcome::Merged);
    assert_eq!(
        definition(desktop.path(), "items"),
        definition(laptop.path(), "items")
    );
    assert_eq!(rows(desktop.path(), "items"), rows(laptop.path(), "items"));
    assert_eq!(
        rows(desktop.path(), "items")[0],
        text(&["1", "renamed", "open"])
    );
    let index: i64 = Connection::open(desktop.path())
        .unwrap()
        .query_row(
            "SELECT count(*) FROM sqlite_schema WHERE name = 'items_status'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(index, 1, "the remote's indexes come along");
    assert_eq!(
        lines(desktop.path(), "log"),
        ["first", "local line", "second"]
    );

    // The other way round: a local change to a table the remote left alone stays.
    desktop.push().unwrap();
    laptop.pull().unwrap();
    sql(
        &desktop,
        "ALTER TABLE items ADD COLUMN extra TEXT NOT NULL DEFAULT 'x' CHECK (extra <> '');
         ALTER TABLE items RENAME COLUMN status TO state;",
    );
    sql(&laptop, "INSERT INTO log VALUES ('cloud line')");
    laptop.push().unwrap();
    let pulled = desktop.pull().unwrap();
    assert_eq!(pulled.outcome, PullOutcome::Merged);
    assert_eq!(
        columns(desktop.path(), "items"),
        ["id", "title", "state", "extra"]
    );
    assert_eq!(
        lines(desktop.path(), "log"),
        ["cloud line", "first", "local line", "second"]
    );
    desktop.push().unwrap();
    laptop.pull().unwrap();
    assert_eq!(
        columns(laptop.path(), "items"),
        ["id", "title", "state", "extra"]
    );
    assert_eq!(everything(laptop.path()), everything(desktop.path()));
    assert_eq!(status(&laptop), SyncStatus::UpToDate);
    assert_eq!(status(&desktop), SyncStatus::UpToDate);
}

/// Indexes, triggers and views as `(name, sql)`, by name.
fn schema_objects(path: &Path) -> Vec<(String, String)> {
    Connection::open(path)
        .unwrap()
        .prepare(
            "SELECT name, sql FROM sqlite_schema WHERE type IN ('index', 'trigger', 'view') \
             AND sql IS NOT NULL ORDER BY name",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn names(objects: &[(String, String)]) -> Vec<&str> {
    objects.iter().map(|(name, _)| name.as_str()).collect()
}

#[test]
fn indexes_triggers_and_views_changed_on_one_side_are_merged() {
    let setup = Setup::new();
    let (laptop, desktop) = setup.pair(SqliteMergeOptions::default());
    sql(
        &laptop,
        "CREATE INDEX by_status ON items(status);
         CREATE VIEW open_items AS SELECT id, title FROM items WHERE status = 'open';",
    );
    laptop.push().unwrap();
    sql(
        &desktop,
        "CREATE TRIGGER noted AFTER UPDATE OF status ON items BEGIN
             UPDATE items SET note = 'status changed' WHERE id = NEW.id;
         END;
         UPDATE items SET title = 'renamed' WHERE id = 2;",
    );
    let pulled = desktop.pull().unwrap();
    assert_eq!(pulled.outcome, PullOutcome::Merged);
    assert_eq!(
        names(&schema_objects(desktop.path())),
        ["by_status", "noted", "open_items"]
    );
    // The remote's view works on the merged table, the local trigger still fires.
    sql(&desktop, "UPDATE items SET status = 'done' WHERE id = 1;");
    assert_eq!(item(desktop.path(), 1).2, "status changed");
    let open: i64 = Connection::open(desktop.path())
        .unwrap()
        .query_row("SELECT count(*) FROM open_items", [], |r| r.get(0))
        .unwrap();
    assert_eq!(open, 9);

    // The local trigger travels back; an object dropped on one side is dropped.
    desktop.push().unwrap();
    laptop.pull().unwrap();
    assert_eq!(
        schema_objects(laptop.path()),
        schema_objects(desktop.path())
    );
    sql(&laptop, "DROP VIEW open_items;");
    laptop.push().unwrap();
    desktop.pull().unwrap();
    assert_eq!(
        names(&schema_objects(desktop.path())),
        ["by_status", "noted"]
    );
    assert_eq!(everything(desktop.path()), everything(laptop.path()));
    assert_eq!(status(&desktop), SyncStatus::UpToDate);
}

#[test]
fn an_object_changed_two_ways_is_refused_and_changes_nothing() {
    let base = format!("{BASE} CREATE INDEX by_name ON t(name);");
    let theirs = bytes(&format!("{BASE} CREATE INDEX by_name ON t(name, price);"));
    let dir = tempfile::tempdir().unwrap();
    let live = dir.path().join("live.db");
    Connection::open(&live)
        .unwrap()
        .execute_batch(&format!("{BASE} CREATE UNIQUE INDEX by_name ON t(name);"))
        .unwrap();
    let before = (schema_objects(&live), everything(&live));
    let err = sqlite_merge::merge_into_file(
        &live,
        &bytes(&base),
        &theirs,
        "head-1",
        chrono::Utc::now(),
        SqliteMergeOptions::default(),
    )
    .unwrap_err();
    match &err {
        Error::SqliteSchemaDiverged { table, reason, .. } => {
            assert_eq!(table, "t");
            assert_eq!(
                reason,
                &SchemaDivergence::ObjectChangedTwoWays {
                    object: "by_name".into()
                }
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("`by_name`"), "{err}");
    assert_eq!((schema_objects(&live), everything(&live)), before);

    // Unchanged locally: the remote's version replaces it. An index the remote added to
    // a table dropped here (and otherwise untouched there) goes with the table.
    let live = dir.path().join("dropped-here.db");
    Connection::open(&live)
        .unwrap()
        .execute_batch(&base)
        .unwrap();
    let base = format!("{base} CREATE TABLE gone(x); INSERT INTO gone VALUES (1);");
    let theirs = bytes(&format!(
        "{BASE} CREATE INDEX by_name ON t(name, price);
         CREATE TABLE gone(x); INSERT INTO gone VALUES (1); CREATE INDEX by_x ON gone(x);"
    ));
    sqlite_merge::merge_into_file(
        &live,
        &bytes(&base),
        &theirs,
        "head-2",
        chrono::Utc::now(),
        SqliteMergeOptions::default(),
    )
    .unwrap();
    assert_eq!(
        schema_objects(&live),
        [(
            "by_name".to_owned(),
            "CREATE INDEX by_name ON t(name, price)".to_owned()
        )]
    );
    assert_eq!(table_names(&live), ["t"]);
}
