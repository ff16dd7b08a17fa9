//! Applying a transaction's row edits to the file text through sdn-codec's
//! format-preserving [`Document`]: untouched lines stay byte-identical, and inside a
//! changed row only the changed cells are rewritten. The document checks every edit by
//! parsing what it changed (a one-line row update: that line, as the table reads it;
//! anything else: the whole text), so a file is never replaced by text that does not
//! read back as intended.

use std::collections::HashMap;
use std::path::Path;

use atomic_io::Durability;
use sdn_codec::document::RowEditor;
use sdn_codec::write::TableWriter;
use sdn_codec::{Document, Map, Value};

use crate::changes::{ChangeSet, InsertedRow};
use crate::error::{Error, Result};
use crate::identity::FileIdentity;
use crate::snapshot::Snapshot;

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
    /// How many rows the transaction's table inserts that its change set does not hold
    /// (collected without them, see `Transaction::collect_with`): they are encoded again
    /// when the text is rendered, one at a time.
    pub(crate) pending_inserts: usize,
}

impl TableEdit {
    pub(crate) fn new(table: &'static str) -> Self {
        TableEdit {
            table,
            create_columns: None,
            new_columns: Vec::new(),
            updated_rows: Vec::new(),
            removed_rows: Vec::new(),
            pending_inserts: 0,
        }
    }
}

/// A transaction's new file text.
pub(crate) enum Rendered {
    /// Edited through a format-preserving document, which also holds its value.
    Document(Document),
    /// Row lines edited in the text alone ([`edit_row_lines`]); it parses.
    Text(String),
    /// New tables of an empty file written row by row straight into the file's
    /// replacement, which the write step commits: the text is never held whole.
    Streamed(atomic_io::Writer),
    /// What `Streamed` is once committed.
    Written,
}

impl Rendered {
    /// The new file text, when it is held.
    pub(crate) fn text(&self) -> Option<&str> {
        match self {
            Rendered::Document(document) => Some(document.as_str()),
            Rendered::Text(text) => Some(text),
            Rendered::Streamed(_) | Rendered::Written => None,
        }
    }

    /// The snapshot of the file once this text is committed to it (`source`: its
    /// identity then); `None` for text that was never held.
    pub(crate) fn into_snapshot(
        self,
        path: &Path,
        source: Option<FileIdentity>,
    ) -> Option<Snapshot> {
        match self {
            Rendered::Document(document) => Some(Snapshot::from_document(path, document, source)),
            Rendered::Text(text) => Some(Snapshot::of_checked_text(path, text, source)),
            Rendered::Streamed(_) | Rendered::Written => None,
        }
    }
}

/// Whether `edits` (with the rows `changes` inserts) only update cells of existing rows
/// in existing columns and remove rows of one table at most: what [`edit_row_lines`]
/// may do without a document.
pub(crate) fn edits_rows_only(edits: &[TableEdit], changes: &ChangeSet) -> bool {
    edits.iter().all(|edit| {
        edit.create_columns.is_none()
            && edit.new_columns.is_empty()
            && edit.pending_inserts == 0
            && changes
                .table(edit.table)
                .is_none_or(|changes| changes.inserted.is_empty())
    }) && edits
        .iter()
        .filter(|edit| !edit.removed_rows.is_empty())
        .count()
        <= 1
}

/// Applies `edits`, which only update rows and remove rows of one table (see
/// [`edits_rows_only`]), to `text` (known to parse) line by line with sdn-codec's
/// [`RowEditor`], which holds the text's layout but no value per cell: `Ok(text)`, the
/// new text. `Err(text)` when a row is laid out otherwise (see
/// [`RowEditor::update_row_with`] and [`RowEditor::remove_rows`]): the text with the
/// rows updated so far and none removed, which [`apply`] brings to the same result
/// (updating a row to the cells it has changes nothing). An error when the text does
/// not parse after all.
///
/// Updates go first, by the rows' places in the file as read; the removal, last, moves
/// the rows after it.
pub(crate) fn edit_row_lines(
    path: &Path,
    text: String,
    edits: &[TableEdit],
) -> Result<std::result::Result<String, String>> {
    let mut rows = RowEditor::parse(text).map_err(|err| Error::malformed(path, err))?;
    for edit in edits {
        for (row, cells) in &edit.updated_rows {
            let updated = rows.update_row_with(edit.table, *row, |map| {
                for (name, value) in cells.iter() {
                    map.insert(name, value.clone());
                }
            });
            if !matches!(updated, Ok(true)) {
                // The document reports what went wrong, in context.
                return Ok(Err(rows.into_string()));
            }
        }
    }
    for edit in edits.iter().filter(|edit| !edit.removed_rows.is_empty()) {
        let removed = rows.remove_rows(edit.table, edit.removed_rows.iter().copied());
        if !matches!(removed, Ok(true)) {
            return Ok(Err(rows.into_string()));
        }
    }
    Ok(Ok(rows.into_string()))
}

/// Whether `edits` only create tables, whose rows are all pending (see
/// [`TableEdit::pending_inserts`]): what [`write_new_tables`] writes into an empty file.
pub(crate) fn creates_tables_only(edits: &[TableEdit]) -> bool {
    edits.iter().all(|edit| {
        edit.create_columns.is_some()
            && edit.pending_inserts > 0
            && edit.new_columns.is_empty()
            && edit.updated_rows.is_empty()
            && edit.removed_rows.is_empty()
    })
}

/// The file replacement holding the text of an empty file after `edits`, which only
/// create tables (see [`creates_tables_only`]), written row by row with sdn-codec's
/// [`TableWriter`] (each line checked to read back as written): what [`apply`] writes,
/// without the tables ever being values nor the text being held whole. `rows` gives a
/// table's rows, each encoded in turn; `durability` is the commit's. The write step
/// commits the replacement ([`Rendered::Streamed`]). `None` when a header or row would
/// not read back as written (the replacement is dropped, the file untouched): [`apply`]
/// then reports it, in context.
pub(crate) fn write_new_tables(
    path: &Path,
    edits: &[TableEdit],
    rows: impl Fn(&str, &mut dyn FnMut(&Map) -> Result<()>) -> Result<()>,
    durability: Durability,
) -> Result<Option<Rendered>> {
    let mut writer = atomic_io::Options::new()
        .durability(durability)
        .open(path)
        .map_err(|source| Error::Commit {
            path: path.to_path_buf(),
            source,
        })?;
    // A failed write poisons the writer: its commit then fails with the error.
    let written = write_tables(edits, &rows, &mut writer)?;
    Ok(written.then_some(Rendered::Streamed(writer)))
}

/// Bytes of a table's text passed on to the output at a time: large enough that each
/// piece is one cheap `write` (atomic-io writes a piece this size straight to the file,
/// without copying it into a buffer of its own), small next to any file worth streaming.
const PIECE: usize = 16 * 1024;

/// Writes the tables `edits` create (see [`write_new_tables`]) to `out`; `false` when a
/// header or row would not read back as written. Errors of `out` stop the writing and
/// are the caller's to find (a poisoned atomic-io writer refuses its commit).
fn write_tables(
    edits: &[TableEdit],
    rows: &impl Fn(&str, &mut dyn FnMut(&Map) -> Result<()>) -> Result<()>,
    out: &mut dyn std::io::Write,
) -> Result<bool> {
    for edit in edits {
        let Some(columns) = &edit.create_columns else {
            return Ok(false);
        };
        // Room for a piece and the row that crosses its end: the buffer is reused, not
        // grown by doubling (which held up to twice a piece, and the copy, at once).
        let buffer = String::with_capacity(PIECE + PIECE / 8);
        let Ok(mut table) = TableWriter::new(buffer, edit.table, columns) else {
            return Ok(false);
        };
        let (mut refused, mut failed) = (false, false);
        let mut cells = Vec::with_capacity(columns.len());
        rows(edit.table, &mut |row| {
            if refused || failed {
                return Ok(());
            }
            cells.clear();
            cells.extend(
                columns
                    .iter()
                    .map(|column| row.get(column).cloned().unwrap_or_else(|| Value::from(""))),
            );
            refused = table.push_row(&cells).is_err();
            if table.len() >= PIECE {
                failed = table.write_to(out).is_err();
            }
            Ok(())
        })?;
        if refused {
            return Ok(false);
        }
        if !failed {
            let _ = out.write_all(table.finish().as_bytes());
        }
    }
    Ok(true)
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
            let cells = cells.iter().map(|(name, value)| (name, value.clone()));
            rows.set_cells(*row, cells)
                .map_err(|err| edit_error(path, table, "update a row", err))?;
        }
        // All at once: the text is read again once, not once per row.
        rows.remove_rows(edit.removed_rows.iter().copied())
            .map_err(|err| edit_error(path, table, "remove a row", err))?;
        // All at once: the text is read again once, not once per row.
        rows.push_rows_map(appended.iter().map(|InsertedRow { row, .. }| row))
            .map_err(|err| edit_error(path, table, "append a row", err))?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_updates_and_removals_of_one_table_need_no_document() {
        let text = "# t\nt |id, v|\n    1, a\n    2, b\n    # c\n    3, c\nu |k|\n    x\n";
        let mut edit = TableEdit::new("t");
        edit.updated_rows
            .push((2, [("v", Value::from("C"))].into_iter().collect()));
        edit.removed_rows = vec![1, 0];
        let edits = [edit];
        assert!(edits_rows_only(&edits, &ChangeSet::new(Path::new("t.sdn"))));
        let edited = edit_row_lines(Path::new("t.sdn"), text.to_owned(), &edits).unwrap();
        assert_eq!(
            edited,
            Ok("# t\nt |id, v|\n    # c\n    3, C\nu |k|\n    x\n".to_owned())
        );
        // Removals in two tables go through a document.
        let mut other = TableEdit::new("u");
        other.removed_rows = vec![0];
        let two = [edits[0].clone(), other];
        assert!(!edits_rows_only(&two, &ChangeSet::new(Path::new("t.sdn"))));
        // A row the editor cannot remove alone (on the header line): nothing removed,
        // the updates kept, for the document to finish.
        let inline = "t |id, v| 1, a\n    2, b\n";
        let mut edit = TableEdit::new("t");
        edit.updated_rows
            .push((1, [("v", Value::from("B"))].into_iter().collect()));
        edit.removed_rows = vec![0];
        let edited = edit_row_lines(Path::new("t.sdn"), inline.to_owned(), &[edit]).unwrap();
        assert_eq!(edited, Err("t |id, v| 1, a\n    2, B\n".to_owned()));
    }

    #[test]
    fn new_tables_are_written_until_a_row_would_not_read_back() {
        let mut edit = TableEdit::new("t");
        edit.create_columns = Some(vec!["a".into(), "b".into()]);
        edit.pending_inserts = 2;
        let row = |a: Value| {
            let mut row = Map::new();
            row.insert("a", a);
            row
        };
        let good = |_: &str, each: &mut dyn FnMut(&Map) -> Result<()>| {
            each(&row(Value::from(1)))?;
            each(&row(Value::from("x, y")))
        };
        let mut out = Vec::new();
        assert!(write_tables(std::slice::from_ref(&edit), &good, &mut out).unwrap());
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "t |a, b|\n    1, \"\"\n    \"x, y\", \"\"\n"
        );
        // A table is no cell: the writing stops, and the caller goes through a document.
        let bad = |_: &str, each: &mut dyn FnMut(&Map) -> Result<()>| {
            each(&row(Value::from(1)))?;
            each(&row(Value::Table(sdn_codec::Table::with_columns(["c"]))))
        };
        assert!(!write_tables(&[edit], &bad, &mut Vec::new()).unwrap());
    }
}
