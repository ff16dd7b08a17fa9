//! What the SQLite sync tests share: two devices syncing one database through a
//! local-directory remote, and readers of its tables.

#![allow(dead_code)]

use std::path::Path;
use std::time::SystemTime;

use cloud_sync::sqlite_merge::SqliteMergeOptions;
use cloud_sync::{Device, Prefix, Remote, SqliteSync, SyncStatus};
use rusqlite::Connection;

pub struct Setup {
    pub shared: tempfile::TempDir,
    pub dir: tempfile::TempDir,
}

impl Setup {
    pub fn new() -> Setup {
        Setup {
            shared: tempfile::tempdir().unwrap(),
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn device(&self, name: &str) -> SqliteSync {
        let remote =
            Remote::local_dir(self.shared.path(), Prefix::new("catalogue").unwrap()).unwrap();
        let device =
            Device::load_or_create(self.dir.path().join(format!("{name}.json")), name).unwrap();
        SqliteSync::new(remote, self.dir.path().join(format!("{name}.db")), device)
    }

    /// Laptop and desktop sharing ten items (and a keyless log of two lines).
    pub fn pair(&self, options: SqliteMergeOptions) -> (SqliteSync, SqliteSync) {
        let laptop = self.device("laptop").with_options(options.clone());
        let desktop = self.device("desktop").with_options(options);
        sql(
            &laptop,
            "CREATE TABLE items(id INTEGER PRIMARY KEY, title TEXT, status TEXT, note TEXT);
             CREATE TABLE log(line TEXT);
             INSERT INTO log VALUES ('first'), ('second');",
        );
        for i in 1..=10 {
            Connection::open(laptop.path())
                .unwrap()
                .execute(
                    "INSERT INTO items VALUES (?1, ?2, 'open', '')",
                    (i, format!("item {i}")),
                )
                .unwrap();
        }
        laptop.push().unwrap();
        desktop.pull().unwrap();
        assert_eq!(status(&desktop), SyncStatus::UpToDate);
        (laptop, desktop)
    }
}

pub fn sql(sync: &SqliteSync, statements: &str) {
    Connection::open(sync.path())
        .unwrap()
        .execute_batch(statements)
        .unwrap();
}

pub fn status(sync: &SqliteSync) -> SyncStatus {
    sync.check().unwrap().status
}

pub fn items(path: &Path) -> Vec<(i64, String, String, String)> {
    Connection::open(path)
        .unwrap()
        .prepare("SELECT id, title, status, note FROM items ORDER BY id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

pub fn item(path: &Path, id: i64) -> (String, String, String) {
    let all = items(path);
    let (_, title, status, note) = all.into_iter().find(|row| row.0 == id).unwrap();
    (title, status, note)
}

pub fn lines(path: &Path, table: &str) -> Vec<String> {
    Connection::open(path)
        .unwrap()
        .prepare(&format!("SELECT line FROM \"{table}\" ORDER BY line"))
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// (table, key, column, local, cloud, outcome) of every recorded conflict.
pub type Recorded = (
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
);

pub fn recorded_conflicts(path: &Path) -> Vec<Recorded> {
    Connection::open(path)
        .unwrap()
        .prepare(
            "SELECT table_name, row_key, column_name, local_value, cloud_value, outcome \
             FROM cloud_sync_conflicts ORDER BY table_name, row_key, column_name",
        )
        .unwrap()
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// Makes the database look last written at `time` (for last-write-wins, without
/// depending on how fast the test runs).
pub fn set_written(path: &Path, time: SystemTime) {
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(time)
        .unwrap();
}
