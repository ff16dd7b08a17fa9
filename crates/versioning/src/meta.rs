//! Per-record metadata kept in the record's own row: version, last-modified stamp (with
//! the writer) and tombstone, under configurable column names.

use sdn_codec::{Map, Value};

use crate::hlc::Stamp;

/// Names of the metadata columns of one table. The defaults are the baseline's
/// `version` and `last_modified`, plus `deleted` for tombstones; rename them for files
/// whose records already use those names for something else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Columns {
    /// Version counter: 1 for a new record, +1 per committed change.
    pub version: String,
    /// The hybrid-logical-clock stamp of the last change, which names its writer.
    pub last_modified: String,
    /// Tombstone: `true` once the record is deleted (the row stays, so the delete can
    /// travel to other replicas); empty otherwise.
    pub deleted: String,
}

impl Default for Columns {
    fn default() -> Self {
        Columns {
            version: "version".into(),
            last_modified: "last_modified".into(),
            deleted: "deleted".into(),
        }
    }
}

impl Columns {
    /// The three names, in the order they are added to a table.
    pub fn names(&self) -> [&str; 3] {
        [&self.version, &self.last_modified, &self.deleted]
    }

    /// Whether `name` is one of the metadata columns.
    pub fn contains(&self, name: &str) -> bool {
        self.names().contains(&name)
    }
}

/// The metadata of one record as stored.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Meta {
    /// Committed changes so far; 0 for a row written before versioning (or absent).
    pub version: u64,
    /// When and by whom it was last changed; `None` before versioning.
    pub stamp: Option<Stamp>,
    /// Whether the record is deleted (a tombstone).
    pub deleted: bool,
}

impl Meta {
    /// Reads the metadata cells of a row (missing or empty cells read as version 0, no
    /// stamp, not deleted).
    pub fn read(cells: &Map, columns: &Columns) -> Meta {
        let version = cells
            .get(&columns.version)
            .and_then(|cell| match cell {
                Value::Scalar(_) => cell
                    .as_i64()
                    .and_then(|v| u64::try_from(v).ok())
                    .or_else(|| cell.as_str().and_then(|s| s.trim().parse().ok())),
                _ => None,
            })
            .unwrap_or(0);
        let stamp = cells
            .get(&columns.last_modified)
            .and_then(|cell| cell.text())
            .and_then(|text| Stamp::parse(&text));
        let deleted = cells.get(&columns.deleted).is_some_and(is_true);
        Meta {
            version,
            stamp,
            deleted,
        }
    }

    /// Writes the metadata into a row's cells.
    pub fn write(&self, cells: &mut Map, columns: &Columns) {
        cells.insert(
            columns.version.as_str(),
            i64::try_from(self.version).unwrap_or(i64::MAX),
        );
        cells.insert(
            columns.last_modified.as_str(),
            self.stamp
                .as_ref()
                .map_or_else(String::new, ToString::to_string),
        );
        cells.insert(
            columns.deleted.as_str(),
            if self.deleted {
                Value::from(true)
            } else {
                Value::from("")
            },
        );
    }

    /// The writer of the last change, when known.
    pub fn writer(&self) -> Option<&str> {
        self.stamp
            .as_ref()
            .map(|stamp| stamp.writer.as_str())
            .filter(|writer| !writer.is_empty())
    }
}

fn is_true(cell: &Value) -> bool {
    cell.as_bool() == Some(true) || cell.as_str().is_some_and(|s| s.trim() == "true")
}
