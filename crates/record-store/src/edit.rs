//! Applying a transaction's row edits to the file text through sdn-codec's
//! format-preserving [`Document`]: untouched lines stay byte-identical, and inside a
//! changed row only the changed cells are rewritten. The document checks every edit by
//! parsing what it changed (a one-line row update: that line, as the table reads it;
//! anything else: the whole text), so a file is never replaced by text that does not
//! read back as intended.

use std::collections::HashMap;
use std::path::Path;

use sdn_codec::{Document, Map, Value};

use crate::changes::{ChangeSet, InsertedRow};
use crate::error::{Error, Result};

/// The changes to one table, by row position in the file as read.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TableEdit {
    pub(crate) table: &'static str,
    /// The table does not exist yet: create it with these columns.
    pub(crate) create_columns: Option<Vec<String>>,
    /// Columns to append, with one cell per existing row.
    pub(crate) new_columns: Vec<(String, Vec<Value>)>,
    /// Cells to change, per row.
    pub(crate) updated_rows: Vec<(usize, Map)>,
    /// Rows to remove.
    pub(crate) removed_rows: Vec<usize>,
}

impl TableEdit {
    pub(crate) fn new(table: &'static str) -> Self {
        TableEdit {
            table,
            create_columns: None,
            new_columns: Vec::new(),
            updated_rows: Vec::new(),
            removed_rows: Vec::new(),
        }
    }
}

fn edit_error(path: &Path, table: &str, what: &str, err: sdn_codec::Error) -> Error {
    Error::record_caused(path, table, format!("cannot {what}"), err)
}

/// Applies `edits` to `doc` and returns the edited document; the rows to append are the
/// inserted rows of `changes` (column name → cell; missing columns get an empty cell).
pub(crate) fn apply(
    path: &Path,
    mut doc: Document,
    edits: &[TableEdit],
    changes: &ChangeSet,
) -> Result<Document> {
    for edit in edits {
        let table = edit.table;
        let appended = changes
            .table(table)
            .map_or(&[][..], |changes| &changes.inserted[..]);
        // The table name is one literal key (`a.b` is not a path into a dict `a`).
        let key = [table];
        if let (Some(columns), None) = (&edit.create_columns, doc.get(key)) {
            let mut new = sdn_codec::Table::with_columns(columns.iter().cloned());
            for InsertedRow { row, .. } in appended {
                new.rows.push(
                    columns
                        .iter()
                        .map(|column| row.get(column).cloned().unwrap_or_else(|| Value::from("")))
                        .collect(),
                );
            }
            doc.set(key, Value::Table(new))
                .map_err(|err| edit_error(path, table, "add the table", err))?;
            continue;
        }
        let mut rows = doc
            .table_mut(key)
            .map_err(|err| edit_error(path, table, "edit the table", err))?;
        for (name, cells) in &edit.new_columns {
            // The most common value becomes the default: fewest rows need a second edit.
            let default = most_common(cells);
            rows.add_column(name, default.clone())
                .map_err(|err| edit_error(path, table, "add a column", err))?;
            for (row, cell) in cells.iter().enumerate() {
                if *cell != default {
                    rows.set_cell(row, name, cell.clone())
                        .map_err(|err| edit_error(path, table, "fill a new column", err))?;
                }
            }
        }
        for (row, cells) in &edit.updated_rows {
            rows.update_row_with(*row, |map| {
                for (name, value) in cells.iter() {
                    map.insert(name, value.clone());
                }
            })
            .map_err(|err| edit_error(path, table, "update a row", err))?;
        }
        let mut removed = edit.removed_rows.clone();
        removed.sort_unstable_by(|a, b| b.cmp(a));
        for row in removed {
            rows.remove_row(row)
                .map_err(|err| edit_error(path, table, "remove a row", err))?;
        }
        for InsertedRow { row, .. } in appended {
            rows.push_row_map(row)
                .map_err(|err| edit_error(path, table, "append a row", err))?;
        }
    }
    Ok(doc)
}

fn most_common(cells: &[Value]) -> Value {
    let mut counts: HashMap<String, (usize, &Value)> = HashMap::new();
    for cell in cells {
        let key = sdn_codec::write::format_inline(cell).unwrap_or_default();
        counts.entry(key).or_insert((0, cell)).0 += 1;
    }
    counts
        .into_values()
        .max_by_key(|(count, _)| *count)
        .map_or_else(|| Value::from(""), |(_, value)| value.clone())
}
