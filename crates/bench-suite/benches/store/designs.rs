//! The four designs side by side: writing the same records into each one's files, and
//! each one's load and one-record update.

use std::fs;
use std::path::{Path, PathBuf};

use baseline::phase3::{BaselineRecord, Database};
use record_store::{Record, Store};
use rusqlite::Connection;
use rustbreak::FileDatabase;
use rustbreak::deser::Ron;

use super::records::Tracked;

/// rustbreak's file-backed database holding one table as a `Vec`, serialized as RON.
pub type Rustbreak<T> = FileDatabase<Vec<T>, Ron>;

/// One database in the four designs' files.
pub struct Files {
    pub sdn: PathBuf,
    pub sdn_baseline: PathBuf,
    pub sqlite: PathBuf,
    pub rustbreak: PathBuf,
}

/// Writes the same records as an SDN file for record-store and one for the baseline, an
/// SQLite database and a rustbreak file.
pub fn setup<T: Tracked>(dir: &Path) -> Files {
    let records: Vec<T> = (0..T::COUNT).map(T::sample).collect();
    let files = Files {
        sdn: dir.join(format!("{}_db.sdn", T::NAME)),
        sdn_baseline: dir.join(format!("{}_db_baseline.sdn", T::NAME)),
        sqlite: dir.join(format!("{}_db.sqlite", T::NAME)),
        rustbreak: dir.join(format!("{}_db.ron", T::NAME)),
    };
    write_sdn(&files.sdn, &records);
    write_sdn(&files.sdn_baseline, &records);
    write_sqlite(&files.sqlite, &records);
    write_rustbreak(&files.rustbreak, records);
    files
}

pub fn write_sdn<T: Tracked>(path: &Path, records: &[T]) {
    let rows: Vec<Vec<String>> = records.iter().map(BaselineRecord::to_row).collect();
    let text = baseline::table::write_table(<T as BaselineRecord>::TABLE, T::COLUMNS, &rows);
    fs::write(path, text).expect("write sdn");
}

pub fn write_sqlite<T: Tracked>(path: &Path, records: &[T]) {
    let _ = fs::remove_file(path);
    let conn = open_sqlite(path);
    let columns: Vec<String> = T::COLUMNS
        .iter()
        .map(|c| {
            if *c == "id" {
                "id TEXT PRIMARY KEY".to_string()
            } else {
                format!("{c} TEXT")
            }
        })
        .collect();
    let table = <T as BaselineRecord>::TABLE;
    conn.execute_batch(&format!("CREATE TABLE {table} ({});", columns.join(", ")))
        .expect("create table");
    let placeholders: Vec<String> = (1..=T::COLUMNS.len()).map(|i| format!("?{i}")).collect();
    let insert = format!("INSERT INTO {table} VALUES ({})", placeholders.join(", "));
    for record in records {
        conn.execute(&insert, rusqlite::params_from_iter(record.to_row().iter()))
            .expect("insert");
    }
}

pub fn write_rustbreak<T: Tracked>(path: &Path, records: Vec<T>) {
    let db = Rustbreak::<T>::create_at_path(path, records).expect("create rustbreak file");
    db.save().expect("save rustbreak file");
}

pub fn open_sqlite(path: &Path) -> Connection {
    let conn = Connection::open(path).expect("open sqlite");
    conn.pragma_update(None, "journal_mode", "WAL")
        .expect("wal");
    conn.pragma_update(None, "synchronous", "FULL")
        .expect("synchronous");
    conn
}

pub fn sqlite_load<T: Tracked>(path: &Path) -> Vec<Vec<String>> {
    let conn = open_sqlite(path);
    let mut statement = conn
        .prepare(&format!("SELECT * FROM {}", <T as BaselineRecord>::TABLE))
        .expect("prepare");
    let n = T::COLUMNS.len();
    statement
        .query_map([], |row| (0..n).map(|i| row.get::<_, String>(i)).collect())
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows")
}

pub fn sqlite_update<T: Tracked>(conn: &Connection, record: &T) {
    let row = record.to_row();
    let status = T::COLUMNS
        .iter()
        .position(|c| *c == "status")
        .expect("status column");
    conn.execute(
        &format!(
            "UPDATE {} SET status = ?1 WHERE id = ?2",
            <T as BaselineRecord>::TABLE
        ),
        [&row[status], &record.id_text()],
    )
    .expect("update");
}

pub fn store_update<T: Tracked>(store: &Store, key: &<T as Record>::Key) {
    store
        .update(|tx| {
            if let Some(record) = tx.table::<T>()?.get_mut(key) {
                record.flip();
            }
            Ok::<_, record_store::Error>(())
        })
        .expect("store update");
}

pub fn baseline_update<T: Tracked>(db: &mut Database<T>, key: &str) {
    let mut record = db.get(key).expect("record").clone();
    record.flip();
    db.insert(record);
    db.save().expect("save");
}

pub fn rustbreak_update<T: Tracked>(db: &Rustbreak<T>, index: usize) {
    db.write(|records| {
        if let Some(record) = records.get_mut(index) {
            record.flip();
        }
    })
    .expect("rustbreak write");
    db.save().expect("rustbreak save");
}

pub fn baseline_cycle<T: Tracked>(path: &Path, key: &str) {
    let mut db = Database::<T>::load(path).expect("baseline load");
    baseline_update(&mut db, key);
}

pub fn rustbreak_cycle<T: Tracked>(path: &Path, index: usize) {
    let db = Rustbreak::<T>::load_from_path(path).expect("rustbreak load");
    rustbreak_update(&db, index);
}
