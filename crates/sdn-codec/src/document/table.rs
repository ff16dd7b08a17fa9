//! Row and column edits of one table of a [`Document`].

use std::ops::Range;

use super::expected::RootEdit;
use super::layout::Lines;
use super::layout::Scanner;
use super::{Document, Splice, not_found, parent_dict, root_value_mut, table_at};
use crate::canonical_writer::{format_inline, format_key, format_row, quote_string};
use crate::error::{Error, ErrorKind};
use crate::parse::{EntrySpan, ParseOptions};
use crate::syntax::{SEPARATOR, leading_blanks};
use crate::value::{Column, ColumnType, Map, ScalarKind, Table, Value};

/// Row and column edits of the table at one path of a [`Document`]
/// (from [`Document::table_mut`]).
///
/// Rows are addressed by position or by the text of a key column: a cell matches a key
/// when its text ([`Value::text`]: a string's content, or a number as written) equals
/// the key, so `update_row_where("id", "42", ..)` finds the row whose `id` cell is `42`.
///
/// ```
/// let text = "# todo\ntodos |id, title, status|\n    1, \"Write docs\", open\n    2, Test, open  # urgent\n";
/// let mut doc = sdn_codec::Document::parse(text)?;
/// let mut todos = doc.table_mut("todos")?;
/// assert!(todos.update_row_where("id", "2", |row| { row.insert("status", "done"); })?);
/// todos.push_row(vec![3.into(), "Ship".into(), "open".into()])?;
/// assert_eq!(
///     doc.as_str(),
///     "# todo\ntodos |id, title, status|\n    1, \"Write docs\", open\n    2, Test, done  # urgent\n    3, Ship, open\n"
/// );
/// # Ok::<(), sdn_codec::Error>(())
/// ```
pub struct TableMut<'d> {
    doc: &'d mut Document,
    keys: Vec<String>,
}

enum RowEdit {
    Update(usize, Vec<Value>),
    Insert(usize, Vec<Value>),
    /// Rows appended in order, as [`TableMut::push_row`] one after the other would.
    Append(Vec<Vec<Value>>),
    Remove(usize),
    AddColumn(String, Value),
}

static EMPTY_TABLE: Table = Table {
    columns: Vec::new(),
    rows: Vec::new(),
};

impl<'d> TableMut<'d> {
    pub(super) fn new(doc: &'d mut Document, keys: Vec<String>) -> Self {
        TableMut { doc, keys }
    }

    /// The table as it is now.
    pub fn table(&self) -> &Table {
        table_at(self.doc.root(), &self.keys).unwrap_or(&EMPTY_TABLE)
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.table().rows.len()
    }

    /// True when the table has no rows.
    pub fn is_empty(&self) -> bool {
        self.table().rows.is_empty()
    }

    /// The cells of row `index`.
    pub fn row(&self, index: usize) -> Option<&[Value]> {
        self.table().rows.get(index).map(Vec::as_slice)
    }

    /// The position of the row whose `column` cell reads as `key`; `Ok(None)` when no
    /// row does, [`ErrorKind::AmbiguousRow`] when several do, [`ErrorKind::NotFound`]
    /// when there is no such column.
    pub fn find_row(&self, column: &str, key: &str) -> Result<Option<usize>, Error> {
        self.table().find_row(column, key)
    }

    /// Replaces the cells of row `index` (one per column, in column order). Only the
    /// cells that change are rewritten.
    pub fn update_row(&mut self, index: usize, cells: Vec<Value>) -> Result<(), Error> {
        let table = table_at(self.doc.root(), &self.keys)?;
        if index >= table.rows.len() {
            return Err(row_not_found(index, table));
        }
        let cells = check_row(table, cells)?;
        if crate::value::all_identical(&table.rows[index], &cells) {
            return Ok(());
        }
        if self.doc.update_row_line(&self.keys, index, &cells) {
            return Ok(());
        }
        self.edit(RowEdit::Update(index, cells))
    }

    /// Edits row `index` as a map from column name to cell (unnamed typed columns are
    /// keyed `"0"`, `"1"`, ...). The map must keep exactly the table's columns.
    pub fn update_row_with(&mut self, index: usize, f: impl FnOnce(&mut Map)) -> Result<(), Error> {
        let table = self.table();
        let mut map = table
            .row_map(index)
            .ok_or_else(|| row_not_found(index, table))?;
        f(&mut map);
        let cells = cells_from_map(table, map, false)?;
        self.update_row(index, cells)
    }

    /// Edits the row whose `column` reads as `key` (see [`TableMut::find_row`]);
    /// `Ok(false)` when no row has that key. A record store updates one record this way
    /// and the file changes by exactly that row's line.
    pub fn update_row_where(
        &mut self,
        column: &str,
        key: &str,
        f: impl FnOnce(&mut Map),
    ) -> Result<bool, Error> {
        match self.find_row(column, key)? {
            Some(index) => self.update_row_with(index, f).map(|()| true),
            None => Ok(false),
        }
    }

    /// Sets one cell.
    pub fn set_cell(
        &mut self,
        index: usize,
        column: &str,
        value: impl Into<Value>,
    ) -> Result<(), Error> {
        let table = self.table();
        let col = column_index(table, column)?;
        let mut cells = table
            .rows
            .get(index)
            .ok_or_else(|| row_not_found(index, table))?
            .clone();
        cells[col] = value.into();
        self.update_row(index, cells)
    }

    /// Inserts a row before row `index` (`index == len` appends).
    pub fn insert_row(&mut self, index: usize, cells: Vec<Value>) -> Result<(), Error> {
        self.edit(RowEdit::Insert(index, cells))
    }

    /// Appends a row.
    pub fn push_row(&mut self, cells: Vec<Value>) -> Result<(), Error> {
        let len = self.len();
        self.insert_row(len, cells)
    }

    /// Appends rows given as maps, as [`TableMut::push_row_map`] one after the other
    /// would (the same text, or the same error and nothing appended), reading the text
    /// again once rather than once per row.
    ///
    /// ```
    /// use sdn_codec::{Map, Value};
    /// let mut doc = sdn_codec::Document::parse("t |id, name|\n    1, \"a\"\n")?;
    /// let rows: Vec<Map> = (2..4)
    ///     .map(|id| [("id", Value::from(id)), ("name", Value::from("b"))].into_iter().collect())
    ///     .collect();
    /// doc.table_mut("t")?.push_rows_map(&rows)?;
    /// assert_eq!(doc.as_str(), "t |id, name|\n    1, \"a\"\n    2, \"b\"\n    3, \"b\"\n");
    /// # Ok::<(), sdn_codec::Error>(())
    /// ```
    pub fn push_rows_map<'m>(
        &mut self,
        rows: impl IntoIterator<Item = &'m Map>,
    ) -> Result<(), Error> {
        let table = self.table();
        let rows = rows
            .into_iter()
            .map(|row| cells_from_map(table, row.clone(), true))
            .collect::<Result<Vec<_>, _>>()?;
        if rows.is_empty() {
            return Ok(());
        }
        self.edit(RowEdit::Append(rows))
    }

    /// Appends a row given as a map from column name to cell; columns missing from the
    /// map get the empty string (written `""`), keys that are not columns are an
    /// [`ErrorKind::NotFound`] error.
    pub fn push_row_map(&mut self, row: &Map) -> Result<(), Error> {
        let cells = cells_from_map(self.table(), row.clone(), true)?;
        self.push_row(cells)
    }

    /// Removes row `index` and returns its cells.
    pub fn remove_row(&mut self, index: usize) -> Result<Vec<Value>, Error> {
        let table = self.table();
        let cells = table
            .rows
            .get(index)
            .ok_or_else(|| row_not_found(index, table))?
            .clone();
        self.edit(RowEdit::Remove(index))?;
        Ok(cells)
    }

    /// Removes the row whose `column` reads as `key`; `Ok(None)` when there is none.
    pub fn remove_row_where(
        &mut self,
        column: &str,
        key: &str,
    ) -> Result<Option<Vec<Value>>, Error> {
        match self.find_row(column, key)? {
            Some(index) => self.remove_row(index).map(Some),
            None => Ok(None),
        }
    }

    /// Adds a column named `name` after the last one, with `default` in every row.
    ///
    /// This rewrites the header line and **every row line of this table** (each row
    /// needs its new cell, appended after its last cell); nothing outside the table
    /// changes. Named tables only.
    pub fn add_column(&mut self, name: &str, default: impl Into<Value>) -> Result<(), Error> {
        self.edit(RowEdit::AddColumn(name.to_owned(), default.into()))
    }

    fn edit(&mut self, edit: RowEdit) -> Result<(), Error> {
        let doc = &*self.doc;
        let old = table_at(doc.root(), &self.keys)?;
        let mut new = old.clone();
        let edit = apply_to_table(&mut new, edit)?;

        let chain = doc.span_chain(&self.keys);
        let span = match chain.last() {
            Some(span) if chain.len() == self.keys.len() => *span,
            _ => {
                return Err(Error::new(
                    ErrorKind::Unwritable,
                    "table has no line spans (internal)",
                ));
            }
        };
        let options = doc.options.clone();
        let new = Value::Table(new);
        let splices = match doc.row_splices(span, old, &edit, &options)? {
            Some(splices) => splices,
            None => doc.entry_value_splices(span, &new)?,
        };
        // The top-level entry with the new table in place, cloning everything in it but
        // the old table (which is replaced anyway): what the edited text must read back as.
        let expected = match entry_replacing(doc.root(), &self.keys, new) {
            Some(expected) => expected,
            // Not reached: `table_at` found the table through dicts. Should that ever
            // not hold, report what looking up the parent reports.
            None => {
                parent_dict(&mut doc.root().clone(), &self.keys, false)?;
                return Err(not_found(&self.keys));
            }
        };
        self.doc.apply(splices, expected)
    }
}

impl std::fmt::Debug for TableMut<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TableMut")
            .field("path", &self.keys)
            .finish_non_exhaustive()
    }
}

/// A copy of `map` with the value at `keys` (reached through dicts) replaced by
/// `replacement`, without cloning the value replaced; `None` when `keys` names nothing.
/// The edit that puts `replacement` at `keys` (through dicts) under `root`.
fn entry_replacing(root: &Map, keys: &[String], replacement: Value) -> Option<RootEdit> {
    let (first, rest) = keys.split_first()?;
    let entry = if rest.is_empty() {
        replacement
    } else {
        Value::Dict(clone_replacing(
            root.get(first)?.as_dict()?,
            rest,
            replacement,
        )?)
    };
    Some(RootEdit {
        key: first.clone(),
        entry: Some(entry),
    })
}

fn clone_replacing(map: &Map, keys: &[String], replacement: Value) -> Option<Map> {
    let (first, rest) = keys.split_first()?;
    let position = map.position(first)?;
    let replaced = if rest.is_empty() {
        replacement
    } else {
        Value::Dict(clone_replacing(
            map.get_index(position)?.1.as_dict()?,
            rest,
            replacement,
        )?)
    };
    let mut replacement = Some(replaced);
    let mut out = Map::with_capacity(map.len());
    for (i, (key, value)) in map.iter().enumerate() {
        let value = match replacement.take_if(|_| i == position) {
            Some(replaced) => replaced,
            None => value.clone(),
        };
        out.insert(key, value);
    }
    Some(out)
}

fn column_index(table: &Table, column: &str) -> Result<usize, Error> {
    crate::value::cell_column(table, column)
}

fn row_not_found(index: usize, table: &Table) -> Error {
    Error::new(
        ErrorKind::NotFound,
        format!(
            "no row {index}: the table has {} rows (rows count from 0)",
            table.rows.len()
        ),
    )
}

fn column_key(table: &Table, i: usize) -> String {
    table.columns[i]
        .name
        .clone()
        .unwrap_or_else(|| i.to_string())
}

/// Cells in column order from a map keyed by column; `fill` gives missing columns the
/// empty string instead of failing.
pub(super) fn cells_from_map(table: &Table, mut map: Map, fill: bool) -> Result<Vec<Value>, Error> {
    let mut cells = Vec::with_capacity(table.columns.len());
    for i in 0..table.columns.len() {
        let key = column_key(table, i);
        match map.remove(&key) {
            Some(v) => cells.push(v),
            None if fill => cells.push(Value::from("")),
            None => {
                return Err(Error::new(
                    ErrorKind::NotFound,
                    format!("the row has no cell for column `{key}`"),
                ));
            }
        }
    }
    if let Some(extra) = map.keys().next() {
        return Err(Error::new(
            ErrorKind::NotFound,
            format!("the table has no column `{extra}`"),
        ));
    }
    Ok(cells)
}

/// Checks a row against the columns (count, types); integers in `f64` columns become
/// floats, as the parser reads them.
pub(super) fn check_row(table: &Table, mut cells: Vec<Value>) -> Result<Vec<Value>, Error> {
    for (cell, column) in cells.iter_mut().zip(&table.columns) {
        if column.ty == Some(ColumnType::F64)
            && let Some(ScalarKind::Int(i)) = cell.scalar_kind()
        {
            *cell = Value::from(*i as f64);
        }
    }
    format_row(table, &cells)?;
    Ok(cells)
}

/// Applies the edit to the table value, checking it; returns it with checked cells.
fn apply_to_table(table: &mut Table, edit: RowEdit) -> Result<RowEdit, Error> {
    Ok(match edit {
        RowEdit::Update(index, cells) => {
            if index >= table.rows.len() {
                return Err(row_not_found(index, table));
            }
            let cells = check_row(table, cells)?;
            table.rows[index] = cells.clone();
            RowEdit::Update(index, cells)
        }
        RowEdit::Insert(index, cells) => {
            if index > table.rows.len() {
                return Err(row_not_found(index, table));
            }
            let cells = check_row(table, cells)?;
            table.rows.insert(index, cells.clone());
            RowEdit::Insert(index, cells)
        }
        RowEdit::Append(rows) => {
            let rows = rows
                .into_iter()
                .map(|cells| check_row(table, cells))
                .collect::<Result<Vec<_>, _>>()?;
            table.rows.extend(rows.iter().cloned());
            RowEdit::Append(rows)
        }
        RowEdit::Remove(index) => {
            if index >= table.rows.len() {
                return Err(row_not_found(index, table));
            }
            table.rows.remove(index);
            RowEdit::Remove(index)
        }
        RowEdit::AddColumn(name, default) => {
            if table.is_typed() {
                return Err(Error::new(
                    ErrorKind::Unwritable,
                    format!("cannot add the named column `{name}` to a typed table"),
                ));
            }
            if table.column_index(&name).is_some() {
                return Err(Error::new(
                    ErrorKind::BadTableHeader,
                    format!("the table already has a column `{name}`"),
                ));
            }
            if matches!(default, Value::Table(_)) {
                return Err(Error::new(
                    ErrorKind::Unwritable,
                    "a table cannot be a cell",
                ));
            }
            table.columns.push(Column::named(name.clone()));
            for row in &mut table.rows {
                row.push(default.clone());
            }
            RowEdit::AddColumn(name, default)
        }
    })
}

/// A table row written on a line of its own (see [`Document::row_on_its_line`]).
pub(super) struct RowLine<'d> {
    /// The line's index.
    pub(super) line: usize,
    /// Where the line starts in the body.
    pub(super) start: usize,
    /// The line's text, without its line end.
    text: &'d str,
    /// The table the row belongs to.
    table: &'d Table,
}

/// How a neighbouring row is written, for new rows to look the same.
struct RowStyle {
    indent: String,
    separator: String,
    quoted: Vec<bool>,
}

/// The text of a cell: a string stays quoted where the file quotes it; anything else
/// as the canonical writer writes cells.
fn cell_text(value: &Value, quoted: bool) -> Result<String, Error> {
    match value.scalar_kind() {
        Some(ScalarKind::String(s)) if quoted => Ok(quote_string(s)),
        _ => format_inline(value),
    }
}

impl Document {
    /// Writes `text` over a cell's span. An empty last cell's span sits right at a
    /// comment (`1, # note`); new text there keeps a blank before the `#`, or the `#`
    /// would stop starting a comment.
    fn cell_splice(&self, range: Range<usize>, text: String) -> Splice {
        cell_splice(self.body(), range, text)
    }

    /// Updates row `index` of the table at `keys` to `cells` (checked, and different
    /// from the row's cells) by rewriting its line alone, when the row is a line of its
    /// own and every new cell is a scalar (see [`Document::replace_row_line`]).
    ///
    /// `false` (nothing changed): the row is laid out otherwise, or the check failed;
    /// the general path (splice, then parse the whole text) decides.
    fn update_row_line(&mut self, keys: &[String], index: usize, cells: &[Value]) -> bool {
        if !cells.iter().all(|cell| matches!(cell, Value::Scalar(_))) {
            return false;
        }
        self.replace_row_line(keys, index, Some(cells), |row, options| {
            rewrite_row_line(row.text, &row.table.rows[index], cells, options)
        })
    }

    /// Row `index` of the table at `keys`, when that row is a line of its own (not on
    /// the header line, not spread over several lines).
    pub(super) fn row_on_its_line(&self, keys: &[String], index: usize) -> Option<RowLine<'_>> {
        let table = table_at(self.root(), keys).ok()?;
        let chain = self.span_chain(keys);
        let span = chain.last().filter(|_| chain.len() == keys.len())?;
        let row = span.rows.get(index)?;
        if span.rows.len() != table.rows.len() || row.len() != 1 || row.start == span.lines.start {
            return None;
        }
        let line = row.start;
        let start = self.lines.start(line);
        Some(RowLine {
            line,
            start,
            text: &self.body()[start..self.lines.content_end(line)],
            table,
        })
    }

    /// Replaces the line of row `index` of the table at `keys` (a line of its own) with
    /// the line `new_line` makes of it, when that reads as a row of scalar cells (equal
    /// to `expected` when given). The new line is read exactly as the table body reads a
    /// row line; the rest of the text is untouched, and a line that keeps its
    /// indentation, stays one line and reads as a row cannot change how any other line
    /// reads. So the document's value stays what the parser reads from its text, without
    /// parsing it all again.
    ///
    /// `false` (nothing changed): the row is laid out otherwise, `new_line` gave
    /// nothing, or the check failed.
    pub(super) fn replace_row_line(
        &mut self,
        keys: &[String],
        index: usize,
        expected: Option<&[Value]>,
        new_line: impl FnOnce(&RowLine<'_>, &ParseOptions) -> Option<String>,
    ) -> bool {
        let Some(row) = self.row_on_its_line(keys, index) else {
            return false;
        };
        let Some(new_line) = new_line(&row, &self.options) else {
            return false;
        };
        let new_line = new_line.as_str();
        let RowLine {
            line,
            start,
            text: old_line,
            table,
        } = row;
        if new_line.contains(['\n', '\r']) || leading_blanks(new_line) != leading_blanks(old_line) {
            return false;
        }
        if let Some(max) = self.options.limits.max_size
            && self.body().len() - old_line.len() + new_line.len() > max
        {
            return false;
        }
        let parsed = match crate::parse::parse_row_line(new_line, &table.columns, &self.options) {
            Ok(Some(parsed))
                if parsed.iter().all(|cell| matches!(cell, Value::Scalar(_)))
                    && expected
                        .is_none_or(|expected| crate::value::all_identical(&parsed, expected)) =>
            {
                parsed
            }
            _ => return false,
        };
        let range = self.bom + start..self.bom + start + old_line.len();
        let Some(Value::Table(table)) = root_value_mut(&mut self.value, keys) else {
            return false;
        };
        table.rows[index] = parsed;
        self.text.replace_range(range, new_line);
        self.lines.set_line_len(line, new_line.len());
        true
    }

    /// Where row `row` (a line range of `span.rows`) starts its cells.
    fn row_cell_spans(
        &self,
        scanner: &mut Scanner<'_>,
        span: &EntrySpan,
        row: &Range<usize>,
        columns: usize,
    ) -> Result<Vec<Range<usize>>, Error> {
        let start = if row.start == span.lines.start {
            match scanner.named_header(&self.lines, span.lines.start)? {
                Some(header) => header.after,
                None => {
                    return Err(Error::new(
                        ErrorKind::Unwritable,
                        "inline row on a typed header (internal)",
                    ));
                }
            }
        } else {
            scanner.first_non_blank(&self.lines, row.start)
        };
        let cells = scanner.cell_spans(start)?;
        if cells.len() != columns {
            return Err(Error::new(
                ErrorKind::Unwritable,
                "row layout does not match the table (internal)",
            ));
        }
        Ok(cells)
    }

    fn row_style(
        &self,
        scanner: &mut Scanner<'_>,
        span: &EntrySpan,
        table: &Table,
        template: Option<usize>,
    ) -> Result<RowStyle, Error> {
        let body = self.body();
        let header_indent = self.indentation(span.lines.start).to_owned();
        let default_indent = format!("{header_indent}{}", self.indent_unit());
        let Some(index) = template else {
            let separator = scanner
                .named_header(&self.lines, span.lines.start)?
                .map_or_else(|| SEPARATOR.to_owned(), |h| h.separator);
            return Ok(RowStyle {
                indent: default_indent,
                separator,
                quoted: vec![false; table.columns.len()],
            });
        };
        let row = &span.rows[index];
        let cells = self.row_cell_spans(scanner, span, row, table.columns.len())?;
        let indent = if row.start == span.lines.start {
            default_indent
        } else {
            self.indentation(row.start).to_owned()
        };
        let separator = match (cells.first(), cells.get(1)) {
            (Some(a), Some(b)) => body[a.end..b.start].to_owned(),
            _ => SEPARATOR.to_owned(),
        };
        let quoted = cells
            .iter()
            .zip(&table.rows[index])
            .map(|(r, v)| body[r.clone()].starts_with('"') && v.as_str().is_some())
            .collect();
        Ok(RowStyle {
            indent,
            separator,
            quoted,
        })
    }

    /// Line-level splices for a row edit, or `None` when the table's layout needs a
    /// whole-table rewrite (tuple rows, a row on the header line).
    fn row_splices(
        &self,
        span: &EntrySpan,
        old: &Table,
        edit: &RowEdit,
        options: &ParseOptions,
    ) -> Result<Option<Vec<Splice>>, Error> {
        let mut scanner = self.scanner(options)?;
        if span.rows.len() != old.rows.len()
            || scanner.is_tuple_table(&self.lines, span.lines.start)?
        {
            return Ok(None);
        }
        let body = self.body();
        let columns = old.columns.len();
        let header_row = span
            .rows
            .first()
            .is_some_and(|r| r.start == span.lines.start);
        let splices = match edit {
            RowEdit::Update(index, cells) => {
                let spans = self.row_cell_spans(&mut scanner, span, &span.rows[*index], columns)?;
                changed_cell_splices(body, spans, &old.rows[*index], cells)?
            }
            RowEdit::Insert(index, cells) => {
                if *index == 0 && header_row {
                    return Ok(None);
                }
                let template = if *index < old.rows.len() {
                    Some(*index)
                } else {
                    old.rows.len().checked_sub(1)
                };
                let style = self.row_style(&mut scanner, span, old, template)?;
                let mut line = style.indent.clone();
                for (i, (cell, quoted)) in cells.iter().zip(&style.quoted).enumerate() {
                    if i > 0 {
                        line.push_str(&style.separator);
                    }
                    line.push_str(&cell_text(cell, *quoted)?);
                }
                line.push_str(self.eol());
                let at = span.rows.get(*index).map_or(span.lines.end, |r| r.start);
                vec![self.insert_lines(at, line)]
            }
            RowEdit::Append(rows) => {
                // Each row styled as a push after the one before would be: like the last
                // row, its strings quoted where that row's are.
                let mut style =
                    self.row_style(&mut scanner, span, old, old.rows.len().checked_sub(1))?;
                let mut lines = String::new();
                for cells in rows {
                    lines.push_str(&style.indent);
                    for (i, (cell, quoted)) in cells.iter().zip(&mut style.quoted).enumerate() {
                        if i > 0 {
                            lines.push_str(&style.separator);
                        }
                        let text = cell_text(cell, *quoted)?;
                        *quoted = text.starts_with('"') && cell.as_str().is_some();
                        lines.push_str(&text);
                    }
                    lines.push_str(self.eol());
                }
                vec![self.insert_lines(span.lines.end, lines)]
            }
            RowEdit::Remove(index) => {
                if *index == 0 && header_row {
                    return Ok(None);
                }
                vec![self.remove_lines(&span.rows[*index])]
            }
            RowEdit::AddColumn(name, default) => {
                let Some(header) = scanner.named_header(&self.lines, span.lines.start)? else {
                    return Ok(None);
                };
                let mut splices = vec![Splice {
                    range: header.names_end..header.names_end,
                    text: format!("{}{}", header.separator, format_key(name)),
                }];
                let cell = cell_text(default, false)?;
                for row in &span.rows {
                    let spans = self.row_cell_spans(&mut scanner, span, row, columns)?;
                    let separator = match (spans.first(), spans.get(1)) {
                        (Some(a), Some(b)) => body[a.end..b.start].to_owned(),
                        _ => header.separator.clone(),
                    };
                    let end = spans.last().map_or(0, |r| r.end);
                    splices.push(self.cell_splice(end..end, format!("{separator}{cell}")));
                }
                splices
            }
        };
        Ok(Some(splices))
    }
}

/// Writes `text` over a cell's span `range` of `source`. An empty last cell's span sits
/// right at a comment (`1, # note`); new text there keeps a blank before the `#`, or the
/// `#` would stop starting a comment.
fn cell_splice(source: &str, range: Range<usize>, text: String) -> Splice {
    let at_comment = range.is_empty() && source.as_bytes().get(range.end) == Some(&b'#');
    let text = if at_comment && !text.is_empty() {
        format!("{text} ")
    } else {
        text
    };
    Splice { range, text }
}

/// Splices over the cells of one row (whose cells are at `spans` of `source`) that
/// change it from `old` to `new`: only changed cells are rewritten.
fn changed_cell_splices(
    source: &str,
    spans: Vec<Range<usize>>,
    old: &[Value],
    new: &[Value],
) -> Result<Vec<Splice>, Error> {
    let mut splices = Vec::new();
    for ((range, old_cell), new_cell) in spans.into_iter().zip(old).zip(new) {
        if old_cell.is_identical(new_cell) {
            continue;
        }
        let quoted = source[range.clone()].starts_with('"') && old_cell.as_str().is_some();
        let text = cell_text(new_cell, quoted)?;
        splices.push(cell_splice(source, range, text));
    }
    Ok(splices)
}

/// `line` (one row line, alone) with the cells that differ between `old` and `new`
/// rewritten; `None` when the line does not scan as `old.len()` cells on its own.
pub(super) fn rewrite_row_line(
    line: &str,
    old: &[Value],
    new: &[Value],
    options: &ParseOptions,
) -> Option<String> {
    let mut scanner = Scanner::new(line, options).ok()?;
    let first = scanner.first_non_blank(&Lines::new(line), 0);
    let spans = scanner.cell_spans(first).ok()?;
    if spans.len() != old.len() {
        return None;
    }
    let mut splices = changed_cell_splices(line, spans, old, new).ok()?;
    splices.sort_by_key(|s| std::cmp::Reverse(s.range.start));
    let mut text = line.to_owned();
    for splice in &splices {
        text.replace_range(splice.range.clone(), &splice.text);
    }
    Some(text)
}
