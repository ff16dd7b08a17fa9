//! Record-level differences between two versions of an SDN store ([`diff_stores`]) or
//! of a SQLite database ([`diff_databases`]): which records each table gained, lost or
//! changed (with old and new values), matched by key column (for SQLite, the primary
//! key).
//!
//! ```
//! let old = "todos |id, title|\n  1, write docs\n  2, test\n";
//! let new = "todos |id, title|\n  1, write better docs\n  3, ship\n";
//! let diff = cloud_sync::diff::diff_stores(old, new, &Default::default())?;
//! assert_eq!(diff[0].table, "todos");
//! assert_eq!(diff[0].added[0].key, "3");
//! assert_eq!(diff[0].removed[0].key, "2");
//! assert_eq!(diff[0].modified[0].new["title"], "write better docs");
//! # Ok::<(), sdn_codec::Error>(())
//! ```

use std::collections::{BTreeMap, BTreeSet};

use sdn_codec::{Table, Value};
use serde::Serialize;
use versioning::merge::MergeOptions;

/// A record's cells as text, by column name.
pub type Fields = BTreeMap<String, String>;

/// A record present on one side only.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RecordRow {
    /// Its key.
    pub key: String,
    /// Its cells.
    pub fields: Fields,
}

/// A record present on both sides with different cells.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Modified {
    /// Its key.
    pub key: String,
    /// The cells that differ, old values.
    pub old: Fields,
    /// The cells that differ, new values.
    pub new: Fields,
}

/// The differences in one table.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct TableDiff {
    /// The table's name.
    pub table: String,
    /// Records only the new side has.
    pub added: Vec<RecordRow>,
    /// Records whose cells differ.
    pub modified: Vec<Modified>,
    /// Records only the old side has.
    pub removed: Vec<RecordRow>,
}

impl TableDiff {
    /// Whether nothing differs.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.modified.is_empty() && self.removed.is_empty()
    }
}

/// The tables that differ between `old` and `new` (SDN text), in name order. Key columns
/// are taken from `options` and otherwise chosen as the merge chooses them (`id`, else
/// the first column); rows are compared cell by cell as text.
pub fn diff_stores(
    old: &str,
    new: &str,
    options: &MergeOptions,
) -> Result<Vec<TableDiff>, sdn_codec::Error> {
    let old = tables(&sdn_codec::parse(old)?, options);
    let new = tables(&sdn_codec::parse(new)?, options);
    let names: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    let empty = BTreeMap::new();
    let mut diffs = Vec::new();
    for name in names {
        let old_rows = old.get(name).unwrap_or(&empty);
        let new_rows = new.get(name).unwrap_or(&empty);
        let diff = keyed_diff(name, old_rows, new_rows);
        if !diff.is_empty() {
            diffs.push(diff);
        }
    }
    Ok(diffs)
}

type Rows = BTreeMap<String, Fields>;

/// Rows matched by key: added, modified and removed.
fn keyed_diff(table: &str, old_rows: &Rows, new_rows: &Rows) -> TableDiff {
    let mut diff = TableDiff {
        table: table.to_owned(),
        ..TableDiff::default()
    };
    for (key, fields) in new_rows {
        match old_rows.get(key) {
            None => diff.added.push(row(key, fields)),
            Some(before) if before != fields => diff.modified.push(changed(key, before, fields)),
            Some(_) => {}
        }
    }
    for (key, fields) in old_rows {
        if !new_rows.contains_key(key) {
            diff.removed.push(row(key, fields));
        }
    }
    diff
}

fn tables(document: &Value, options: &MergeOptions) -> BTreeMap<String, Rows> {
    let Some(root) = document.as_dict() else {
        return BTreeMap::new();
    };
    root.iter()
        .filter_map(|(name, value)| {
            let table = value.as_table()?;
            let key_column = options
                .tables
                .get(name)
                .and_then(|table| table.key_column.clone())
                .unwrap_or_else(|| default_key_column(table));
            Some((name.to_owned(), rows(table, &key_column)))
        })
        .collect()
}

fn default_key_column(table: &Table) -> String {
    let names = table.column_keys();
    if names.iter().any(|name| name == "id") {
        "id".into()
    } else {
        names.into_iter().next().unwrap_or_default()
    }
}

fn rows(table: &Table, key_column: &str) -> Rows {
    let columns = table.column_keys();
    let index = table.column_index(key_column);
    table
        .rows
        .iter()
        .enumerate()
        .map(|(position, cells)| {
            let fields: Fields = columns
                .iter()
                .zip(cells)
                .map(|(column, cell)| (column.clone(), cell_text(cell)))
                .collect();
            // A table without the key column is keyed by row position.
            let key = match index {
                Some(index) => cells.get(index).map(cell_text).unwrap_or_default(),
                None => format!("#{}", position + 1),
            };
            (key, fields)
        })
        .collect()
}

fn cell_text(cell: &Value) -> String {
    cell.text()
        .map(|text| text.into_owned())
        .unwrap_or_else(|| cell.kind_name().to_owned())
}

fn row(key: &str, fields: &Fields) -> RecordRow {
    RecordRow {
        key: key.to_owned(),
        fields: fields.clone(),
    }
}

fn changed(key: &str, old: &Fields, new: &Fields) -> Modified {
    let columns: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    let mut modified = Modified {
        key: key.to_owned(),
        old: Fields::new(),
        new: Fields::new(),
    };
    for column in columns {
        let (before, after) = (old.get(column), new.get(column));
        if before != after {
            if let Some(before) = before {
                modified.old.insert(column.clone(), before.clone());
            }
            if let Some(after) = after {
                modified.new.insert(column.clone(), after.clone());
            }
        }
    }
    modified
}

/// The tables that differ between two SQLite databases (the bytes of database files,
/// such as snapshots), in name order. Rows are matched by primary key (the key is shown
/// as its value, or `(a, b)` for a composite key) and compared cell by cell; rows of a
/// table without a primary key are compared as a multiset and reported as added or
/// removed with the key `(no key)`. An empty slice reads as an empty database.
///
/// ```
/// let db = |sql: &str| -> rusqlite::Result<Vec<u8>> {
///     let c = rusqlite::Connection::open_in_memory()?;
///     c.execute_batch(sql)?;
///     Ok(c.serialize(rusqlite::MAIN_DB)?.to_vec())
/// };
/// let old = db("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t VALUES (1, 'a'), (2, 'b');")?;
/// let new = db("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t VALUES (1, 'A'), (3, 'c');")?;
/// let diff = cloud_sync::diff::diff_databases(&old, &new)?;
/// assert_eq!((diff[0].added[0].key.as_str(), diff[0].removed[0].key.as_str()), ("3", "2"));
/// assert_eq!(diff[0].modified[0].old["v"], "a");
/// assert_eq!(diff[0].modified[0].new["v"], "A");
/// # Ok::<(), rusqlite::Error>(())
/// ```
pub fn diff_databases(old: &[u8], new: &[u8]) -> rusqlite::Result<Vec<TableDiff>> {
    use crate::sqlite_rows::{self, Rows as SqliteRows, TableSchema, key_text};
    let old = sqlite_rows::read_all(&crate::sqlite::open_bytes(old)?)?;
    let new = sqlite_rows::read_all(&crate::sqlite::open_bytes(new)?)?;
    let names: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    let fields = |schema: &TableSchema, row: &[sqlite_rows::Cell]| -> Fields {
        schema
            .columns
            .iter()
            .zip(row)
            .map(|(column, cell)| (column.clone(), cell.text()))
            .collect()
    };
    let mut diffs = Vec::new();
    for name in names {
        let (schema, old_rows, new_rows) = match (old.get(name), new.get(name)) {
            (Some((schema, old_rows)), Some((_, new_rows))) => (schema, old_rows, new_rows),
            (Some((schema, old_rows)), None) => (schema, old_rows, &SqliteRows::Absent),
            (None, Some((schema, new_rows))) => (schema, &SqliteRows::Absent, new_rows),
            (None, None) => continue,
        };
        // Keyed rows by key; keyless rows (and a table whose key changed) as a multiset.
        let keyed = |rows: &SqliteRows| -> BTreeMap<String, Fields> {
            match rows {
                SqliteRows::Keyed(rows) => rows
                    .iter()
                    .map(|(key, row)| (key_text(key), fields(schema, row)))
                    .collect(),
                _ => BTreeMap::new(),
            }
        };
        let unkeyed = |rows: &SqliteRows| -> Vec<Fields> {
            match rows {
                SqliteRows::Unkeyed(rows) => rows.iter().map(|row| fields(schema, row)).collect(),
                _ => Vec::new(),
            }
        };
        let mut diff = keyed_diff(name, &keyed(old_rows), &keyed(new_rows));
        let mut remaining = unkeyed(old_rows);
        for after in unkeyed(new_rows) {
            match remaining.iter().position(|before| *before == after) {
                Some(found) => {
                    remaining.swap_remove(found);
                }
                None => diff.added.push(row("(no key)", &after)),
            }
        }
        for before in &remaining {
            diff.removed.push(row("(no key)", before));
        }
        if !diff.is_empty() {
            diffs.push(diff);
        }
    }
    Ok(diffs)
}
