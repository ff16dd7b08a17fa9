//! Phase 3 as planned: one generic `Database<T>` over a single SDN table.
//!
//! Each record type converts itself to and from a row of strings **by position**
//! ([`BaselineRecord`]). Faithful defects: when a file's column order differs from the
//! type's, values land in the wrong fields; columns the type does not know are dropped on
//! save, and so is everything else in the file besides the table.
//!
//! ```
//! use baseline::phase3::{BaselineRecord, Database};
//!
//! #[derive(Clone, Debug, PartialEq)]
//! struct Todo { id: u32, title: String }
//!
//! impl BaselineRecord for Todo {
//!     const TABLE: &'static str = "todos";
//!     const COLUMNS: &'static [&'static str] = &["id", "title"];
//!     fn key(&self) -> String { self.id.to_string() }
//!     fn to_row(&self) -> Vec<String> { vec![self.id.to_string(), self.title.clone()] }
//!     fn from_row(row: &[String]) -> Option<Self> {
//!         Some(Todo { id: row.first()?.parse().ok()?, title: row.get(1)?.clone() })
//!     }
//! }
//!
//! let dir = tempfile::tempdir()?;
//! let path = dir.path().join("todo_db.sdn");
//! let mut db = Database::<Todo>::load(&path)?;
//! db.insert(Todo { id: 1, title: "Write docs".into() });
//! db.save()?;
//! let db = Database::<Todo>::load(&path)?;
//! assert_eq!(db.get("1").map(|t| t.title.as_str()), Some("Write docs"));
//! # Ok::<(), std::io::Error>(())
//! ```

use std::io;
use std::path::{Path, PathBuf};

use crate::phase2::{load_phase2, save_phase2};
use crate::table::{read_table, write_table};

/// A record type of the baseline: it names its table and maps itself to a row by position.
pub trait BaselineRecord: Sized + Clone {
    /// The table's name in the file.
    const TABLE: &'static str;
    /// The column names written on save, in the order [`to_row`](Self::to_row) uses.
    const COLUMNS: &'static [&'static str];
    /// The record's key (unique within the table).
    fn key(&self) -> String;
    /// The record as cells, in [`COLUMNS`](Self::COLUMNS) order.
    fn to_row(&self) -> Vec<String>;
    /// Builds a record from the cells of a row, taken by position whatever the header
    /// says; `None` skips the row (the original silently ignored rows it could not read).
    fn from_row(row: &[String]) -> Option<Self>;
}

/// The baseline's generic record database: the whole table in memory, loaded with the
/// phase-2 lock and saved with it again.
#[derive(Debug, Clone)]
pub struct Database<T: BaselineRecord> {
    path: PathBuf,
    records: Vec<T>,
}

impl<T: BaselineRecord> Database<T> {
    /// Loads the table from `path` (under the phase-2 lock); a missing file is an empty
    /// database.
    pub fn load(path: &Path) -> io::Result<Self> {
        let bytes = match load_phase2(path) {
            Ok(bytes) => bytes,
            Err(err) if err.kind() == io::ErrorKind::NotFound => Vec::new(),
            Err(err) => return Err(err),
        };
        let text = String::from_utf8(bytes)
            .map_err(|err| io::Error::new(io::ErrorKind::InvalidData, err))?;
        let records = match read_table(&text, T::TABLE)? {
            Some(table) => table
                .rows
                .iter()
                .filter_map(|row| T::from_row(row))
                .collect(),
            None => Vec::new(),
        };
        Ok(Database {
            path: path.to_path_buf(),
            records,
        })
    }

    /// Writes the whole table back (under the phase-2 lock, phase-1 write); only
    /// [`BaselineRecord::COLUMNS`] survive.
    pub fn save(&self) -> io::Result<()> {
        save_phase2(&self.path, self.to_text().as_bytes())
    }

    /// The text [`save`](Self::save) writes.
    pub fn to_text(&self) -> String {
        let rows: Vec<Vec<String>> = self.records.iter().map(T::to_row).collect();
        write_table(T::TABLE, T::COLUMNS, &rows)
    }

    /// The record with `key`, if any.
    pub fn get(&self, key: &str) -> Option<&T> {
        self.records.iter().find(|record| record.key() == key)
    }

    /// Inserts `record`, replacing (and returning) the record with the same key.
    pub fn insert(&mut self, record: T) -> Option<T> {
        let key = record.key();
        match self
            .records
            .iter()
            .position(|existing| existing.key() == key)
        {
            Some(index) => Some(std::mem::replace(&mut self.records[index], record)),
            None => {
                self.records.push(record);
                None
            }
        }
    }

    /// Removes and returns the record with `key`.
    pub fn delete(&mut self, key: &str) -> Option<T> {
        let index = self.records.iter().position(|record| record.key() == key)?;
        Some(self.records.remove(index))
    }

    /// All records, in file order then insertion order.
    pub fn all(&self) -> &[T] {
        &self.records
    }

    /// How many records there are.
    pub fn count(&self) -> usize {
        self.records.len()
    }

    /// The file this database loads from and saves to.
    pub fn path(&self) -> &Path {
        &self.path
    }
}
