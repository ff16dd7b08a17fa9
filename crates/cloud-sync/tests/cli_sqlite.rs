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
