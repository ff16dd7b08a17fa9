//! The real `cloud-sync` binary on a SQLite database: two devices editing rows and
//! syncing through a local-directory remote, the row diff, and backup pruning.

mod cli_support;

use std::path::{Path, PathBuf};

use rusqlite::Connection;

fn device(root: &Path, name: &str) -> PathBuf {
    let dir = root.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    cli_support::init(&dir, "catalogue.db", "catalogue", name);
    dir
}

fn sql(dir: &Path, statements: &str) {
    Connection::open(dir.join("catalogue.db"))
        .unwrap()
        .execute_batch(statements)
        .unwrap();
}

fn titles(dir: &Path) -> Vec<(i64, String)> {
    Connection::open(dir.join("catalogue.db"))
        .unwrap()
        .prepare("SELECT id, title FROM items ORDER BY id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn two_devices_merge_sqlite_rows_through_the_binary_and_prune_backups() {
    let root = tempfile::tempdir().unwrap();
    let laptop = device(root.path(), "laptop");
    let desktop = device(root.path(), "desktop");
    sql(
        &laptop,
        "CREATE TABLE items(id INTEGER PRIMARY KEY, title TEXT);
         INSERT INTO items VALUES (1, 'lens'), (2, 'camera'), (3, 'bag');",
    );
    let pushed = cli_support::run_json(&laptop, &["push"]);
    assert_eq!(pushed["published"], true);
    assert_eq!(
        cli_support::run_json(&desktop, &["check"])["status"],
        "behind"
    );
    cli_support::run_json(&desktop, &["pull"]);
    assert_eq!(titles(&desktop), titles(&laptop));

    sql(
        &laptop,
        "UPDATE items SET title = 'lens cap' WHERE id = 1; DELETE FROM items WHERE id = 3;",
    );
    sql(
        &desktop,
        "INSERT INTO items VALUES (4, 'tripod'); UPDATE items SET title = 'desk camera' WHERE id = 2;",
    );
    sql(
        &laptop,
        "UPDATE items SET title = 'laptop camera' WHERE id = 2;",
    );
    cli_support::run_json(&laptop, &["push"]);

    // The diff against the remote head, per table, rows added/modified/removed.
    let diff = cli_support::run_json(&desktop, &["diff"]);
    let items = &diff["tables"][0];
    assert_eq!(items["table"], "items");
    // From the remote head to local: the laptop deleted 3 (local still has it), the
    // desktop added 4, rows 1 and 2 differ (old = remote, new = local).
    assert_eq!(items["added"][0]["key"], "3");
    assert_eq!(items["added"][1]["key"], "4");
    assert_eq!(items["removed"].as_array().unwrap().len(), 0);
    assert_eq!(items["modified"][0]["old"]["title"], "lens cap");
    assert_eq!(items["modified"][0]["new"]["title"], "lens");
    assert_eq!(items["modified"][1]["new"]["title"], "desk camera");

    assert_eq!(
        cli_support::run_json(&desktop, &["status"])["status"],
        "diverged"
    );
    let pulled = cli_support::run_json(&desktop, &["pull"]);
    assert_eq!(pulled["outcome"], "merged");
    assert_eq!(pulled["conflicts"][0]["key"], "2");
    assert_eq!(pulled["conflicts"][0]["outcome"], "kept");
    let text = cli_support::run(&desktop, &["push"]);
    assert!(text.status.success());
    cli_support::run_json(&laptop, &["pull"]);
    let merged = titles(&laptop);
    assert_eq!(
        merged,
        [
            (1, "lens cap".to_owned()),
            (2, "desk camera".to_owned()),
            (4, "tripod".to_owned())
        ]
    );
    assert_eq!(titles(&desktop), merged);
    assert_eq!(
        cli_support::run_json(&laptop, &["check"])["status"],
        "up_to_date"
    );
    let open: i64 = Connection::open(laptop.join("catalogue.db"))
        .unwrap()
        .query_row(
            "SELECT count(*) FROM cloud_sync_conflicts WHERE outcome = 'kept'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(open, 1);

    // --prefer error refuses a conflict and changes nothing (exit code 7).
    sql(&laptop, "UPDATE items SET title = 'a' WHERE id = 4;");
    cli_support::run_json(&laptop, &["push"]);
    sql(&desktop, "UPDATE items SET title = 'b' WHERE id = 4;");
    let refused = cli_support::run(&desktop, &["pull", "--prefer", "error"]);
    assert_eq!(
        refused.status.code(),
        Some(7),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    assert!(String::from_utf8_lossy(&refused.stderr).contains("hint:"));
    assert_eq!(titles(&desktop)[2].1, "b");
    let cloud = cli_support::run_json(&desktop, &["pull", "--prefer", "cloud"]);
    assert!(cloud["local_backup"].is_string());
    assert_eq!(titles(&desktop)[2].1, "a");

    // Retention: prune to the newest two backups; the head's stays restorable.
    let before = cli_support::run_json(&laptop, &["backups"])["backups"]
        .as_array()
        .unwrap()
        .len();
    assert!(before > 3, "{before}");
    let none = cli_support::run(&laptop, &["backups", "--prune"]);
    assert_eq!(
        none.status.code(),
        Some(3),
        "no rule: a config error, nothing deleted"
    );
    let pruned = cli_support::run_json(&laptop, &["backups", "--prune", "--keep-last", "2"]);
    assert_eq!(pruned["kept"].as_array().unwrap().len(), 2);
    assert_eq!(pruned["deleted"].as_array().unwrap().len(), before - 2);
    let bad_age = cli_support::run(&laptop, &["backups", "--prune", "--max-age", "30x"]);
    assert_eq!(bad_age.status.code(), Some(2));
    let fresh = device(root.path(), "tablet");
    cli_support::run_json(&fresh, &["pull"]);
    assert_eq!(titles(&fresh), titles(&laptop));
}

fn title(dir: &Path, table: &str) -> String {
    Connection::open(dir.join("catalogue.db"))
        .unwrap()
        .query_row(
            &format!("SELECT title FROM {table} WHERE id = 1"),
            [],
            |r| r.get(0),
        )
        .unwrap()
}

#[test]
fn per_table_choices_come_from_init_and_pull_and_added_columns_merge() {
    let root = tempfile::tempdir().unwrap();
    let laptop = device(root.path(), "laptop");
    let desktop = root.path().join("desktop");
    std::fs::create_dir_all(&desktop).unwrap();
    let init = cli_support::run_json(
        &desktop,
        &[
            "init",
            "--store",
            "catalogue.db",
            "--dir",
            "../remote",
            "--prefix",
            "catalogue",
            "--device",
            "desktop",
            "--table",
            "prices=cloud",
        ],
    );
    assert_eq!(init["tables"], serde_json::json!({"prices": "cloud"}));
    sql(
        &laptop,
        "CREATE TABLE items(id INTEGER PRIMARY KEY, title TEXT);
         CREATE TABLE prices(id INTEGER PRIMARY KEY, title TEXT);
         INSERT INTO items VALUES (1, 'base');
         INSERT INTO prices VALUES (1, 'base');",
    );
    cli_support::run_json(&laptop, &["push"]);
    cli_support::run_json(&desktop, &["pull"]);

    // Both tables changed the same way on both sides, and a column added on the laptop.
    sql(
        &laptop,
        "UPDATE items SET title = 'cloud' WHERE id = 1; UPDATE prices SET title = 'cloud' WHERE id = 1;
         ALTER TABLE items ADD COLUMN price REAL; INSERT INTO items VALUES (2, 'new', 2.5);",
    );
    cli_support::run_json(&laptop, &["push"]);
    sql(
        &desktop,
        "UPDATE items SET title = 'local' WHERE id = 1; UPDATE prices SET title = 'local' WHERE id = 1;",
    );
    let pulled = cli_support::run_json(&desktop, &["pull", "--table", "items=local"]);
    assert_eq!(
        pulled["tables"],
        serde_json::json!({"items": "local", "prices": "cloud"})
    );
    assert_eq!(pulled["outcome"], "merged");
    let mut outcomes: Vec<(String, String)> = pulled["conflicts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["table"].as_str().unwrap().to_owned(),
                c["outcome"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    outcomes.sort();
    assert_eq!(
        outcomes,
        [
            ("items".to_owned(), "took_local".to_owned()),
            ("prices".to_owned(), "took_cloud".to_owned())
        ]
    );
    assert!(pulled["local_backup"].is_string(), "{pulled}");
    assert_eq!(
        (title(&desktop, "items"), title(&desktop, "prices")),
        ("local".to_owned(), "cloud".to_owned())
    );
    let price: f64 = Connection::open(desktop.join("catalogue.db"))
        .unwrap()
        .query_row("SELECT price FROM items WHERE id = 2", [], |r| r.get(0))
        .unwrap();
    assert_eq!(price, 2.5);

    // A push merges with the configured choices too.
    cli_support::run_json(&desktop, &["push"]);
    cli_support::run_json(&laptop, &["pull"]);
    sql(&laptop, "UPDATE prices SET title = 'cloud 2' WHERE id = 1");
    cli_support::run_json(&laptop, &["push"]);
    sql(&desktop, "UPDATE prices SET title = 'local 2' WHERE id = 1");
    let pushed = cli_support::run_json(&desktop, &["push"]);
    assert_eq!(pushed["conflicts"][0]["outcome"], "took_cloud", "{pushed}");
    assert_eq!(title(&desktop, "prices"), "cloud 2");

    // A malformed choice is a usage error.
    let bad = cli_support::run(&desktop, &["pull", "--table", "prices=newest"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("last-write-wins"));
}
