//! Replacing a file's whole text inside a transaction
//! ([`Transaction::replace_text`](crate::Transaction::replace_text)), for content made
//! elsewhere: a whole-store merge, a downloaded copy, a restored backup.
//!
//! # Why a whole text, not a change set
//!
//! A change set goes into a transaction through
//! [`Transaction::apply`](crate::Transaction::apply), which reads each row as its record
//! type and renders it with the format-preserving editor. That needs every table's record type, which code
//! that syncs any store does not know, and it renders the result itself: new rows are
//! appended in insertion order, new columns at the end, cells in this crate's spelling.
//! A merge that must give every replica identical bytes (versioning's whole-store
//! merge) has already decided all of that in its text. So the transaction takes the
//! text as it is and writes exactly it, and the pipeline derives the change set from it
//! instead: the rows of each table are matched by a key column between the file as read
//! and the new text (see [`RowKeys`]), and the rows inserted, updated and removed are
//! what the pre-commit hooks see and what the commit returns, as for any commit.
//!
//! The rows of such a change set are the rows as the file has them (every column, not
//! only those a record type knows). Rows are compared cell by cell, a column that one
//! side lacks reading as an empty cell, so adding an empty column changes no row.
//!
//! A table whose key column does not identify its rows (a key there twice, on either
//! side, or no such column: versioning's conflicts table, keyed by several columns, is
//! one) is compared row by row as a whole: a row of the new text that the file did not
//! have is inserted, a row of the file the new text lacks is removed, and nothing is
//! "updated". Its rows' keys are the key column's cells (or empty), which may repeat.
//!
//! # Cost
//!
//! In general the text is parsed whole and every table compared row by row with the
//! file as read, which is then freed: for a large store, several times what writing it
//! costs. When the transaction owns the version it read (the one the process cached,
//! nothing else holding it) and the text differs from it within one row line, as a pull
//! of one changed record does, the transaction instead edits that version in place,
//! reading the line again, and derives the change set from that row alone
//! (`row_diff`); the result is the same (see `tests/replace_in_place.rs`).

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::Path;

use sdn_codec::{Map, Table, Value};

use crate::changes::{ChangeSet, InsertedRow, RemovedRow, TableChanges, UpdatedRow};

/// Which column identifies a row of each table when a transaction's text is replaced
/// ([`Transaction::replace_text`](crate::Transaction::replace_text)): the column given
/// for the table here, else `id` when the table has it, else its first column (the same
/// rule as versioning's untyped operations).
///
/// ```
/// let keys = record_store::RowKeys::new().column("people", "email");
/// # let _ = keys;
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RowKeys {
    columns: BTreeMap<String, String>,
}

impl RowKeys {
    /// The default rule for every table.
    pub fn new() -> Self {
        RowKeys::default()
    }

    /// These keys, with `column` identifying the rows of table `table`.
    pub fn column(mut self, table: impl Into<String>, column: impl Into<String>) -> Self {
        self.columns.insert(table.into(), column.into());
        self
    }

    /// The key column of table `name`, whose columns are those of `table`.
    fn key_column(&self, name: &str, table: &Table) -> String {
        if let Some(column) = self.columns.get(name) {
            return column.clone();
        }
        let names = table.column_keys();
        if names.iter().any(|column| column == "id") {
            "id".to_owned()
        } else {
            names.into_iter().next().unwrap_or_default()
        }
    }
}

/// The changes that turn the tables of `old` (the file as read) into those of `new`
/// (the replacement), rows matched by key per `keys`.
pub(crate) fn diff(path: &Path, old: &Value, new: &Value, keys: &RowKeys) -> ChangeSet {
    let old_tables = tables(old);
    let new_tables = tables(new);
    let names: BTreeSet<&str> = old_tables
        .keys()
        .chain(new_tables.keys())
        .copied()
        .collect();
    let mut changes = ChangeSet::new(path);
    for name in names {
        let before = old_tables.get(name).copied();
        let after = new_tables.get(name).copied();
        if before == after {
            continue;
        }
        let Some(shape) = after.or(before) else {
            continue;
        };
        let column = keys.key_column(name, shape);
        let table = match (keyed(before, &column), keyed(after, &column)) {
            (Some(old_rows), Some(new_rows)) => table_changes(&old_rows, &new_rows),
            _ => whole_row_changes(before, after, &column),
        };
        if !table.is_empty() {
            changes.insert_table(name, table);
        }
    }
    changes
}

/// [`diff`] for a replacement that differs from the file in one row only: row `row` of
/// the table at key path `table` in `new` (the replacement) held `old_cells` in the file,
/// and every other value is equal (what `Document::update_text` reports as
/// `TextUpdate::Row`). The other rows need no comparison, so this costs one pass over the
/// table's keys at most, where [`diff`] compares every row of every table.
pub(crate) fn row_diff(
    path: &Path,
    new: &Value,
    table: &[String],
    row: usize,
    old_cells: Vec<Value>,
    keys: &RowKeys,
) -> ChangeSet {
    let mut changes = ChangeSet::new(path);
    // Only root tables hold rows (see `tables`): a table nested in a dict changes none.
    let [name] = table else {
        return changes;
    };
    let Some(after) = new.get(name).and_then(Value::as_table) else {
        return changes;
    };
    let Some(new_cells) = after.rows.get(row).filter(|cells| **cells != old_cells) else {
        return changes;
    };
    let column = keys.key_column(name, after);
    let single = |cells: Vec<Value>| Table {
        columns: after.columns.clone(),
        rows: vec![cells],
    };
    let (before, now) = (single(old_cells), single(new_cells.clone()));
    let table = match (keyed(Some(&before), &column), keyed(Some(&now), &column)) {
        // The same key on both sides: an update when the key column identifies the
        // table's rows (the other rows' keys are the same in both versions, so one
        // version tells), else the rows compare whole.
        (Some(old_rows), Some(new_rows))
            if old_rows.keys != new_rows.keys || unique_keys(after, &column) =>
        {
            // With different keys both ways of comparing give the same: the new row
            // inserted, the old one removed.
            table_changes(&old_rows, &new_rows)
        }
        _ => whole_row_changes(Some(&before), Some(&now), &column),
    };
    if !table.is_empty() {
        changes.insert_table(name, table);
    }
    changes
}

/// Whether the cells of `column` identify the rows of `table` (as [`keyed`] decides).
fn unique_keys(table: &Table, column: &str) -> bool {
    let Some(index) = table.column_keys().iter().position(|name| name == column) else {
        return false;
    };
    let mut seen = HashSet::with_capacity(table.rows.len());
    table.rows.iter().all(|cells| {
        seen.insert(
            cells
                .get(index)
                .and_then(Value::text)
                .unwrap_or(Cow::Borrowed("")),
        )
    })
}

/// The root entries of `root` that are tables, by name.
fn tables(root: &Value) -> BTreeMap<&str, &Table> {
    root.as_dict()
        .into_iter()
        .flat_map(|map| map.iter())
        .filter_map(|(name, value)| Some((name, value.as_table()?)))
        .collect()
}

/// A table's rows by key, in file order, with each key's position. Rows are only
/// turned into maps when they go into the change set.
struct Keyed<'a> {
    table: Option<&'a Table>,
    keys: Vec<Cow<'a, str>>,
    at: HashMap<Cow<'a, str>, usize>,
}

impl Keyed<'_> {
    fn row_map(&self, row: usize) -> Map {
        self.table
            .and_then(|table| table.row_map(row))
            .unwrap_or_default()
    }
}

/// The rows of `table` by the key in `column`; `None` when that column does not
/// identify them (it is missing, or a key is there twice).
fn keyed<'a>(table: Option<&'a Table>, column: &str) -> Option<Keyed<'a>> {
    let mut keyed = Keyed {
        table,
        keys: Vec::new(),
        at: HashMap::new(),
    };
    let Some(table) = table.filter(|table| !table.rows.is_empty()) else {
        return Some(keyed);
    };
    let index = table.column_keys().iter().position(|name| name == column)?;
    keyed.keys.reserve(table.rows.len());
    keyed.at.reserve(table.rows.len());
    for (row, cells) in table.rows.iter().enumerate() {
        let key = cells
            .get(index)
            .and_then(Value::text)
            .unwrap_or(Cow::Borrowed(""));
        if keyed.at.insert(key.clone(), row).is_some() {
            return None;
        }
        keyed.keys.push(key);
    }
    Some(keyed)
}

/// The key cell of a row, as text (empty when it is not a scalar).
fn key_text(cells: &[Value], index: usize) -> String {
    cells
        .get(index)
        .and_then(Value::text)
        .map(|text| text.into_owned())
        .unwrap_or_default()
}

/// The changes of a table whose rows have no key: rows compared whole (see the module
/// documentation).
fn whole_row_changes(old: Option<&Table>, new: Option<&Table>, column: &str) -> TableChanges {
    let mut columns: BTreeSet<String> = BTreeSet::new();
    for table in old.iter().chain(new.iter()) {
        columns.extend(table.column_keys());
    }
    let rows = |table: Option<&Table>| -> Vec<(String, Map, String)> {
        let Some(table) = table else {
            return Vec::new();
        };
        let index = table.column_keys().iter().position(|name| name == column);
        (0..table.rows.len())
            .map(|row| {
                let map = table.row_map(row).unwrap_or_default();
                let key = index.map_or_else(String::new, |i| key_text(&table.rows[row], i));
                let whole = whole_text(&map, &columns);
                (key, map, whole)
            })
            .collect()
    };
    let (old_rows, new_rows) = (rows(old), rows(new));
    let mut unmatched: HashMap<&str, usize> = HashMap::new();
    for (_, _, whole) in &old_rows {
        *unmatched.entry(whole).or_default() += 1;
    }
    let mut changes = TableChanges::default();
    for (key, row, whole) in &new_rows {
        match unmatched.get_mut(whole.as_str()) {
            Some(count) if *count > 0 => *count -= 1,
            _ => changes.inserted.push(InsertedRow {
                key: key.clone(),
                row: row.clone(),
            }),
        }
    }
    // The file's rows the new text lacks: the last of each kind (its earlier copies
    // were matched above).
    for (key, row, whole) in old_rows.iter().rev() {
        if let Some(count) = unmatched.get_mut(whole.as_str())
            && *count > 0
        {
            *count -= 1;
            changes.removed.push(RemovedRow {
                key: key.clone(),
                old: row.clone(),
            });
        }
    }
    changes.removed.reverse();
    changes.removed.sort_by(|a, b| a.key.cmp(&b.key));
    changes
}

/// A row's cells as one text, over `columns` (a missing cell reads as empty), to
/// compare whole rows.
fn whole_text(row: &Map, columns: &BTreeSet<String>) -> String {
    let empty = Value::from("");
    let mut text = String::new();
    for column in columns {
        let cell = row.get(column).unwrap_or(&empty);
        text.push_str(&sdn_codec::write::format_inline(cell).unwrap_or_default());
        text.push('\u{0}');
    }
    text
}

/// Inserted rows in the new text's order; updated and removed rows in key order.
fn table_changes(old: &Keyed<'_>, new: &Keyed<'_>) -> TableChanges {
    // With the same columns, rows compare cell by cell, without maps.
    let same_columns = match (old.table, new.table) {
        (Some(old), Some(new)) => old.columns == new.columns,
        _ => false,
    };
    let unchanged = |before: usize, after: usize| match (old.table, new.table) {
        (Some(old_table), Some(new_table)) if same_columns => {
            old_table.rows[before] == new_table.rows[after]
        }
        _ => same_row(&old.row_map(before), &new.row_map(after)),
    };
    let mut changes = TableChanges::default();
    let mut updated = BTreeMap::new();
    for (row, key) in new.keys.iter().enumerate() {
        match old.at.get(key) {
            None => changes.inserted.push(InsertedRow {
                key: key.clone().into_owned(),
                row: new.row_map(row),
            }),
            Some(&before) if !unchanged(before, row) => {
                updated.insert(
                    key,
                    UpdatedRow {
                        key: key.clone().into_owned(),
                        old: old.row_map(before),
                        new: new.row_map(row),
                    },
                );
            }
            Some(_) => {}
        }
    }
    changes.updated = updated.into_values().collect();
    let mut removed: Vec<RemovedRow> = old
        .keys
        .iter()
        .enumerate()
        .filter(|(_, key)| !new.at.contains_key(*key))
        .map(|(row, key)| RemovedRow {
            key: key.clone().into_owned(),
            old: old.row_map(row),
        })
        .collect();
    removed.sort_by(|a, b| a.key.cmp(&b.key));
    changes.removed = removed;
    changes
}

/// Whether two rows hold the same cells, a column one of them lacks reading as empty.
fn same_row(a: &Map, b: &Map) -> bool {
    let empty = Value::from("");
    let cell = |row: &Map, name: &str| row.get(name).cloned().unwrap_or_else(|| empty.clone());
    a.iter()
        .map(|(name, _)| name)
        .chain(b.iter().map(|(name, _)| name))
        .all(|name| cell(a, name) == cell(b, name))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn changes(old: &str, new: &str, keys: &RowKeys) -> ChangeSet {
        let old = sdn_codec::parse(old).unwrap();
        let new = sdn_codec::parse(new).unwrap();
        diff(Path::new("t.sdn"), &old, &new, keys)
    }

    #[test]
    fn rows_are_matched_by_key_whatever_their_order() {
        let got = changes(
            "t |id, name|\n    1, a\n    2, b\n    3, c\n",
            "t |id, name|\n    3, c\n    4, d\n    1, A\n",
            &RowKeys::new(),
        );
        let t = got.table("t").unwrap();
        assert_eq!(t.inserted.len(), 1);
        assert_eq!(t.inserted[0].key, "4");
        assert_eq!(t.updated.len(), 1);
        assert_eq!(t.updated[0].key, "1");
        assert_eq!(t.updated[0].changed_columns().collect::<Vec<_>>(), ["name"]);
        assert_eq!(t.removed.len(), 1);
        assert_eq!(t.removed[0].key, "2");
    }

    #[test]
    fn the_key_column_is_id_then_the_first_then_the_one_given() {
        let old = "t |name, id|\n    a, 1\n";
        let new = "t |name, id|\n    a, 2\n";
        let by_id = changes(old, new, &RowKeys::new());
        assert_eq!(by_id.table("t").unwrap().inserted[0].key, "2");
        let by_name = changes(old, new, &RowKeys::new().column("t", "name"));
        assert_eq!(by_name.table("t").unwrap().updated[0].key, "a");
        let first = changes(
            "u |k, v|\n    x, 1\n",
            "u |k, v|\n    x, 2\n",
            &RowKeys::new(),
        );
        assert_eq!(first.table("u").unwrap().updated[0].key, "x");
    }

    #[test]
    fn an_added_empty_column_changes_no_row_and_tables_come_and_go() {
        let got = changes(
            "t |id|\n    1\ngone |id|\n    9\n",
            "t |id, note|\n    1, \"\"\nnew |id|\n    5\n",
            &RowKeys::new(),
        );
        assert!(got.table("t").is_none(), "{got:?}");
        assert_eq!(got.table("gone").unwrap().removed[0].key, "9");
        assert_eq!(got.table("new").unwrap().inserted[0].key, "5");
    }

    #[test]
    fn rows_without_a_unique_key_are_compared_whole() {
        // Keyed by `table` (the first column), which repeats: a conflicts table.
        let old = "c |table, key, value|\n    t, 1, a\n    t, 1, b\n    t, 2, x\n";
        let new = "c |table, key, value|\n    t, 1, a\n    t, 2, x\n    t, 2, y\n    t, 2, y\n";
        let got = changes(old, new, &RowKeys::new());
        let c = got.table("c").unwrap();
        let values = |rows: Vec<&Map>| -> Vec<String> {
            rows.iter()
                .map(|row| row.get("value").and_then(Value::as_str).unwrap().to_owned())
                .collect()
        };
        assert_eq!(
            values(c.inserted.iter().map(|r| &r.row).collect()),
            ["y", "y"]
        );
        assert_eq!(values(c.removed.iter().map(|r| &r.old).collect()), ["b"]);
        assert!(c.updated.is_empty());
        assert_eq!(c.inserted[0].key, "t");
        // A key column that is not there: the same.
        let named = changes(old, new, &RowKeys::new().column("c", "nope"));
        assert_eq!(named.table("c").unwrap().len(), 3);
        assert_eq!(named.table("c").unwrap().removed[0].key, "");
    }
}
