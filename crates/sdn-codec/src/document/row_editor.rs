//! [`RowEditor`]: one-line row edits of a text, holding its layout but no value per
//! cell.

use std::ops::Range;

use super::layout::Lines;
use super::row_line::rewrite_row_line;
use super::table::{cells_from_map, check_row};
use crate::error::Error;
use crate::parse::{EntrySpan, ParseOptions, parse_layout, parse_row_line};
use crate::syntax::leading_blanks;
use crate::value::{Map, Table, Value};

/// A parsed SDN text that can have rows of its root tables updated in place, like
/// [`TableMut::update_row_with`](super::TableMut::update_row_with) does in a
/// [`Document`](super::Document), while holding only the text and where its entries and
/// rows lie: no value per cell. A [`Document`](super::Document) of a large table costs
/// several times the text; a `RowEditor`, a fraction of it.
///
/// It makes one edit only: the update of a row written on a line of its own, changed
/// to scalar cells. The edit is checked as a document checks it (the new line is read
/// exactly as the table body reads a row line, and must keep its indentation and read
/// back as the intended cells), so the text always reads back as the edits intend.
/// Anything else is left to a document: [`RowEditor::update_row_with`] returns
/// `Ok(false)` and changes nothing.
///
/// ```
/// let text = "# todo\ntodos |id, title, done|\n    1, \"Write, docs\", false  # first\n    2, Ship, false\n";
/// let mut rows = sdn_codec::document::RowEditor::parse(text.to_owned())?;
/// assert!(rows.update_row_with("todos", 0, |row| { row.insert("done", true); })?);
/// assert_eq!(
///     rows.as_str(),
///     "# todo\ntodos |id, title, done|\n    1, \"Write, docs\", true  # first\n    2, Ship, false\n"
/// );
/// // The same edit through a document gives the same text.
/// let mut doc = sdn_codec::Document::parse(text)?;
/// doc.table_mut("todos")?.update_row_with(0, |row| { row.insert("done", true); })?;
/// assert_eq!(doc.as_str(), rows.as_str());
/// # Ok::<(), sdn_codec::Error>(())
/// ```
#[derive(Clone)]
pub struct RowEditor {
    /// The whole text, byte-order mark included.
    text: String,
    /// Length of the byte-order mark (0 or 3); lines are relative to `text[bom..]`.
    bom: usize,
    options: ParseOptions,
    /// The root entries, tables with their columns and no rows.
    root: Map,
    entries: Vec<EntrySpan>,
    lines: Lines,
}

impl std::fmt::Debug for RowEditor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RowEditor")
            .field("bytes", &self.text.len())
            .finish_non_exhaustive()
    }
}

impl RowEditor {
    /// Parses `text` with default [`ParseOptions`]; fails exactly when
    /// [`Document::parse`](super::Document::parse) fails, with the same error.
    pub fn parse(text: String) -> Result<RowEditor, Error> {
        let options = ParseOptions::default();
        let spanned = parse_layout(&text, &options)?;
        let bom = if text.starts_with('\u{feff}') {
            '\u{feff}'.len_utf8()
        } else {
            0
        };
        Ok(RowEditor {
            lines: Lines::new(&text[bom..]),
            text,
            bom,
            options,
            root: spanned.value,
            entries: spanned.entries,
        })
    }

    /// The current text.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The current text, consuming the editor.
    pub fn into_string(self) -> String {
        self.text
    }

    /// The columns of root table `table` (its rows are not kept), if there is one.
    fn table_columns(&self, table: &str) -> Option<&[crate::value::Column]> {
        self.root
            .get(table)
            .and_then(Value::as_table)
            .map(|table| table.columns.as_slice())
    }

    /// The cells of row `index` of root table `table`, read from its line, when the row
    /// is written on a line of its own.
    pub fn row(&self, table: &str, index: usize) -> Option<Vec<Value>> {
        let (line, columns) = self.row_line(table, index)?;
        parse_row_line(self.line_text(line), &columns.columns, &self.options)
            .ok()
            .flatten()
    }

    /// Updates row `index` of root table `table` like
    /// [`TableMut::update_row_with`](super::TableMut::update_row_with): `f` edits the row
    /// as a map from column name to cell and must keep exactly the table's columns
    /// (else the same error). Only the changed cells are rewritten.
    ///
    /// `Ok(true)`: done (or nothing to do). `Ok(false)`: nothing changed, because the
    /// row is not a line of its own (on the header line, over several lines, a typed
    /// table's tuple), a new cell is not a scalar, or the line would not read back as
    /// intended: make the edit with a [`Document`](super::Document).
    pub fn update_row_with(
        &mut self,
        table: &str,
        index: usize,
        f: impl FnOnce(&mut Map),
    ) -> Result<bool, Error> {
        let Some((line, columns)) = self.row_line(table, index) else {
            return Ok(false);
        };
        let old_line = self.line_text(line);
        let Ok(Some(old)) = parse_row_line(old_line, &columns.columns, &self.options) else {
            return Ok(false);
        };
        let mut map: Map = columns
            .column_keys()
            .into_iter()
            .zip(old.iter().cloned())
            .collect();
        f(&mut map);
        let cells = check_row(&columns, cells_from_map(&columns, map, false)?)?;
        if crate::value::all_identical(&old, &cells) {
            return Ok(true);
        }
        if !cells.iter().all(|cell| matches!(cell, Value::Scalar(_))) {
            return Ok(false);
        }
        let Some(new_line) = rewrite_row_line(old_line, &old, &cells, &self.options) else {
            return Ok(false);
        };
        if new_line.contains(['\n', '\r']) || leading_blanks(&new_line) != leading_blanks(old_line)
        {
            return Ok(false);
        }
        if let Some(max) = self.options.limits.max_size
            && self.text.len() - self.bom - old_line.len() + new_line.len() > max
        {
            return Ok(false);
        }
        match parse_row_line(&new_line, &columns.columns, &self.options) {
            Ok(Some(parsed))
                if parsed.iter().all(|cell| matches!(cell, Value::Scalar(_)))
                    && crate::value::all_identical(&parsed, &cells) => {}
            _ => return Ok(false),
        }
        let range = self.line_range(line);
        self.text.replace_range(range, &new_line);
        self.lines.set_line_len(line, new_line.len());
        Ok(true)
    }

    /// Removes rows `indices` of root table `table` (in any order; an index given twice
    /// removes its row once) like [`TableMut::remove_rows`](super::TableMut::remove_rows),
    /// in one edit: their lines go, the rest of the text stays as it is, and the text's
    /// layout is read again (no value per cell).
    ///
    /// `Ok(true)`: done (or nothing to do). `Ok(false)`: nothing changed, because a row
    /// is not a line of its own (on the header line, over several lines), is not there,
    /// or the text would not read as the table without those rows: make the edit with a
    /// [`Document`](super::Document).
    ///
    /// ```
    /// let text = "t |id|\n    1\n    # two\n    2\n    3";
    /// let mut rows = sdn_codec::document::RowEditor::parse(text.to_owned())?;
    /// assert!(rows.remove_rows("t", [2, 0])?);
    /// assert_eq!(rows.as_str(), "t |id|\n    # two\n    2");
    /// assert_eq!(rows.row("t", 0), Some(vec![2.into()]));
    /// // The same edit through a document gives the same text.
    /// let mut doc = sdn_codec::Document::parse(text)?;
    /// doc.table_mut("t")?.remove_rows([2, 0])?;
    /// assert_eq!(doc.as_str(), rows.as_str());
    /// # Ok::<(), sdn_codec::Error>(())
    /// ```
    pub fn remove_rows(
        &mut self,
        table: &str,
        indices: impl IntoIterator<Item = usize>,
    ) -> Result<bool, Error> {
        let mut indices: Vec<usize> = indices.into_iter().collect();
        indices.sort_unstable();
        indices.dedup();
        if indices.is_empty() {
            return Ok(true);
        }
        let (Some(span), Some(_)) = (self.only_span(table), self.table_columns(table)) else {
            return Ok(false);
        };
        let rows_before = span.rows.len();
        for &index in &indices {
            let Some(row) = span.rows.get(index) else {
                return Ok(false);
            };
            if row.len() != 1 || row.start == span.lines.start {
                return Ok(false);
            }
        }
        let runs = super::line_runs(indices.iter().map(|&index| span.rows[index].clone()));
        let body = &self.text[self.bom..];
        let mut text = String::with_capacity(self.text.len());
        text.push_str(&self.text[..self.bom]);
        let mut copied = 0;
        for run in &runs {
            let removed = super::removed_lines(&self.lines, body, run);
            text.push_str(&body[copied..removed.start]);
            copied = removed.end;
        }
        text.push_str(&body[copied..]);
        let Ok(spanned) = parse_layout(&text, &self.options) else {
            return Ok(false);
        };
        let others_kept = spanned.entries.len() == self.entries.len()
            && spanned.entries.iter().zip(&self.entries).all(|(new, old)| {
                new.key == old.key && (new.key == table || new.rows.len() == old.rows.len())
            });
        let rows_after = spanned.entries.iter().find(|span| span.key == table);
        if !others_kept
            || rows_after.is_none_or(|span| span.rows.len() != rows_before - indices.len())
            || spanned.value != self.root
        {
            return Ok(false);
        }
        self.lines = Lines::new(&text[self.bom..]);
        self.text = text;
        self.entries = spanned.entries;
        Ok(true)
    }

    /// The span of root entry `table`, when it is the only entry with that key.
    fn only_span(&self, table: &str) -> Option<&EntrySpan> {
        let mut spans = self.entries.iter().filter(|span| span.key == table);
        let span = spans.next()?;
        spans.next().is_none().then_some(span)
    }

    /// The line of row `index` of root table `table` and the table's columns (an
    /// empty table of them), when the row is a line of its own.
    fn row_line(&self, table: &str, index: usize) -> Option<(usize, Table)> {
        let columns = self.table_columns(table)?;
        let span = self.only_span(table)?;
        let row = span.rows.get(index)?;
        if row.len() != 1 || row.start == span.lines.start {
            return None;
        }
        let columns = Table {
            columns: columns.to_vec(),
            rows: Vec::new(),
        };
        Some((row.start, columns))
    }

    /// Line `line`'s bytes in the text, without its line end.
    fn line_range(&self, line: usize) -> Range<usize> {
        self.bom + self.lines.start(line)..self.bom + self.lines.content_end(line)
    }

    fn line_text(&self, line: usize) -> &str {
        &self.text[self.line_range(line)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Document;

    /// The text a document makes of the same edit.
    fn by_document(text: &str, table: &str, index: usize, column: &str, cell: Value) -> String {
        let mut doc = Document::parse(text).unwrap();
        doc.table_mut(table)
            .unwrap()
            .update_row_with(index, |row| {
                row.insert(column, cell);
            })
            .unwrap();
        doc.into_string()
    }

    #[test]
    fn row_lines_are_edited_as_a_document_edits_them() {
        let texts = [
            "t |id, name, done|\n    1, \"a, b\", false\n    2, c, false  # note\n",
            "\u{feff}x: 1\r\nt |id, name, done|\r\n  # c\r\n\r\n  1, a, false\r\n  2, \"c\", false",
            "t: table{i64, str, bool}\n    1, a, false\n    2, b, false\nu |q|\n    z\n",
            "t |id, name, done|\n    1, 007, false\n    2, x,\n",
        ];
        for text in texts {
            for (index, column, cell) in [
                (1, "done", Value::from(true)),
                (0, "name", Value::from("new, quoted")),
                (1, "name", Value::from("c")),
                (0, "name", Value::from(7)),
            ] {
                let typed = text.contains("table{");
                if typed && cell.as_i64().is_some() {
                    // Not a string: refused by the typed column, as by a document.
                    continue;
                }
                let column = if typed {
                    match column {
                        "done" => "2",
                        _ => "1",
                    }
                } else {
                    column
                };
                let mut rows = RowEditor::parse(text.to_owned()).unwrap();
                let done = rows
                    .update_row_with("t", index, |row| {
                        row.insert(column, cell.clone());
                    })
                    .unwrap();
                assert!(done, "{text:?} {index} {column}");
                assert_eq!(rows.as_str(), by_document(text, "t", index, column, cell));
                let parsed = crate::parse(rows.as_str()).unwrap();
                let table = parsed.get("t").and_then(Value::as_table).unwrap();
                assert_eq!(
                    rows.row("t", index).as_deref(),
                    Some(&table.rows[index][..])
                );
            }
        }
    }

    #[test]
    fn other_layouts_and_bad_edits_are_left_to_a_document() {
        // A row on the header line, a tuple table: not this editor's; no such row or
        // table: the document's to report.
        for (text, index) in [
            ("t |id, n| 1, a\n    2, b\n", 0),
            ("t: table{i64, str} = [(1, a), (2, b)]\n", 0),
            ("t |id, n|\n    1, a\n", 1),
            ("t: 3\n", 0),
        ] {
            let mut rows = RowEditor::parse(text.to_owned()).unwrap();
            let done = rows
                .update_row_with("t", index, |row| {
                    row.insert("n", "z");
                })
                .unwrap_or(false);
            assert!(!done, "{text:?}");
            assert_eq!(rows.as_str(), text);
        }
        // A cell that is not a scalar.
        let mut rows = RowEditor::parse("t |id, n|\n    1, a\n".to_owned()).unwrap();
        let list = Value::Array(vec![Value::from(1)]);
        assert!(
            !rows
                .update_row_with("t", 0, |row| {
                    row.insert("n", list);
                })
                .unwrap()
        );
        // A column the table does not have: the document's error.
        let err = rows
            .update_row_with("t", 0, |row| {
                row.insert("zz", 1);
            })
            .unwrap_err();
        assert_eq!(err.kind(), &crate::ErrorKind::NotFound);
        // A text that does not parse: the parser's error.
        assert!(RowEditor::parse("a: [\n".to_owned()).is_err());
    }
}
