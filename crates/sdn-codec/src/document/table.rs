//! Row and column edits of one table of a [`Document`].

use super::expected::RootEdit;
use super::{Document, not_found, parent_dict, table_at};
use crate::canonical_writer::format_row;
use crate::error::{Error, ErrorKind};
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

pub(super) enum RowEdit {
    Update(usize, Vec<Value>),
    Insert(usize, Vec<Value>),
    /// Rows appended in order, as [`TableMut::push_row`] one after the other would.
    Append(Vec<Vec<Value>>),
    /// Rows removed together; their indices ascending, each once.
    Remove(Vec<usize>),
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
        // Checked only where the row line is not rewritten alone: a rewritten line must
        // read back as exactly these cells, which checks them (and the row they equal
        // was checked when it was read or written).
        let cells = with_column_types(table, cells);
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
        self.set_cells(index, [(column, value.into())])
    }

    /// Sets the given cells of row `index` (by column name, unnamed typed columns by
    /// position: `"0"`, `"1"`, ...) and keeps the others: one row edit, however many
    /// cells change.
    ///
    /// ```
    /// let mut doc = sdn_codec::Document::parse("t |id, a, b|\n    1, x, y\n")?;
    /// doc.table_mut("t")?.set_cells(0, [("a", "p".into()), ("b", "q".into())])?;
    /// assert_eq!(doc.as_str(), "t |id, a, b|\n    1, p, q\n");
    /// # Ok::<(), sdn_codec::Error>(())
    /// ```
    pub fn set_cells<'c>(
        &mut self,
        index: usize,
        cells: impl IntoIterator<Item = (&'c str, Value)>,
    ) -> Result<(), Error> {
        let table = self.table();
        let mut row = table
            .rows
            .get(index)
            .ok_or_else(|| row_not_found(index, table))?
            .clone();
        for (column, value) in cells {
            row[column_index(table, column)?] = value;
        }
        self.update_row(index, row)
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
        let removed = self.remove_rows([index])?;
        Ok(removed.into_iter().next().unwrap_or_default())
    }

    /// Removes the rows at `indices` (of the table as it is now, in any order; an index
    /// given twice removes its row once) in one edit, and returns their cells in the
    /// order of the rows. Removing many rows this way reads the text again once, where
    /// [`remove_row`](TableMut::remove_row) for each would read it again for each.
    ///
    /// ```
    /// let mut doc = sdn_codec::Document::parse("t |id|\n    1\n    2\n    # two\n    3\n    4\n")?;
    /// let removed = doc.table_mut("t")?.remove_rows([3, 0, 1])?;
    /// assert_eq!(removed, [vec![1.into()], vec![2.into()], vec![4.into()]]);
    /// assert_eq!(doc.as_str(), "t |id|\n    # two\n    3\n");
    /// # Ok::<(), sdn_codec::Error>(())
    /// ```
    pub fn remove_rows(
        &mut self,
        indices: impl IntoIterator<Item = usize>,
    ) -> Result<Vec<Vec<Value>>, Error> {
        let mut indices: Vec<usize> = indices.into_iter().collect();
        indices.sort_unstable();
        indices.dedup();
        let table = self.table();
        let cells = indices
            .iter()
            .map(|&index| {
                let row = table.rows.get(index);
                row.cloned().ok_or_else(|| row_not_found(index, table))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if !indices.is_empty() {
            self.edit(RowEdit::Remove(indices))?;
        }
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
pub(super) fn check_row(table: &Table, cells: Vec<Value>) -> Result<Vec<Value>, Error> {
    let cells = with_column_types(table, cells);
    format_row(table, &cells)?;
    Ok(cells)
}

/// `cells` with integers in `f64` columns made floats, as the parser reads them.
fn with_column_types(table: &Table, mut cells: Vec<Value>) -> Vec<Value> {
    for (cell, column) in cells.iter_mut().zip(&table.columns) {
        if column.ty == Some(ColumnType::F64)
            && let Some(ScalarKind::Int(i)) = cell.scalar_kind()
        {
            *cell = Value::from(*i as f64);
        }
    }
    cells
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
        RowEdit::Remove(indices) => {
            if let Some(&index) = indices.iter().find(|&&index| index >= table.rows.len()) {
                return Err(row_not_found(index, table));
            }
            let mut removed = indices.iter().copied().peekable();
            let mut index = 0;
            table.rows.retain(|_| {
                let keep = removed.next_if_eq(&index).is_none();
                index += 1;
                keep
            });
            RowEdit::Remove(indices)
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
