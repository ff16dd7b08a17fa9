//! Table columns and tables.

use super::{ColumnType, Map, Value};

/// One table column: a name (named tables) or a type (typed tables).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// The column name (`id` in `todos |id, title|`); `None` in a typed table.
    pub name: Option<String>,
    /// The declared type (typed tables); `None` in a named table.
    pub ty: Option<ColumnType>,
}

impl Column {
    /// A named, untyped column.
    pub fn named(name: impl Into<String>) -> Self {
        Column {
            name: Some(name.into()),
            ty: None,
        }
    }

    /// An unnamed, typed column.
    pub fn typed(ty: ColumnType) -> Self {
        Column {
            name: None,
            ty: Some(ty),
        }
    }
}

/// A table: columns and rows of cells. Its name is the dict key it is stored under.
///
/// Cells are scalars or inline arrays/dicts. Every row should have one cell per
/// column; the parser guarantees it and the writer checks it.
///
/// ```
/// use sdn_codec::{Table, Value};
/// let mut t = Table::with_columns(["id", "name"]);
/// t.rows.push(vec![Value::from(1), Value::from("Alice")]);
/// assert_eq!(t.cell(0, "name").and_then(Value::as_str), Some("Alice"));
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    /// The columns in order.
    pub columns: Vec<Column>,
    /// The rows in order; each has `columns.len()` cells.
    pub rows: Vec<Vec<Value>>,
}

impl Table {
    /// An empty table with the given column names.
    pub fn with_columns<S: Into<String>>(names: impl IntoIterator<Item = S>) -> Self {
        Table {
            columns: names.into_iter().map(Column::named).collect(),
            rows: Vec::new(),
        }
    }

    /// An empty typed table.
    pub fn with_types(types: impl IntoIterator<Item = ColumnType>) -> Self {
        Table {
            columns: types.into_iter().map(Column::typed).collect(),
            rows: Vec::new(),
        }
    }

    /// True when the columns carry types (`table{...}`).
    pub fn is_typed(&self) -> bool {
        self.columns.iter().any(|c| c.ty.is_some())
    }

    /// The keys of the columns: their names, unnamed (typed) columns keyed by position
    /// (`"0"`, `"1"`, ...), as in [`Table::row_map`] and [`crate::from_row`].
    ///
    /// ```
    /// let doc = sdn_codec::parse("t |id, name|\n    1, a\nu: table{i64, str}\n    2, b\n")?;
    /// assert_eq!(doc.get("t").and_then(|t| t.as_table()).unwrap().column_keys(), ["id", "name"]);
    /// assert_eq!(doc.get("u").and_then(|t| t.as_table()).unwrap().column_keys(), ["0", "1"]);
    /// # Ok::<(), sdn_codec::Error>(())
    /// ```
    pub fn column_keys(&self) -> Vec<String> {
        self.columns
            .iter()
            .enumerate()
            .map(|(i, column)| column.name.clone().unwrap_or_else(|| i.to_string()))
            .collect()
    }

    /// Position of the column called `name`.
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns
            .iter()
            .position(|c| c.name.as_deref() == Some(name))
    }

    /// Column names in order (`None` for unnamed typed columns).
    pub fn column_names(&self) -> impl ExactSizeIterator<Item = Option<&str>> {
        self.columns.iter().map(|c| c.name.as_deref())
    }

    /// The cell in row `row`, column `name`.
    pub fn cell(&self, row: usize, name: &str) -> Option<&Value> {
        let col = self.column_index(name)?;
        self.rows.get(row)?.get(col)
    }

    /// Row `row` as a map from column name to cell (unnamed columns are keyed by their
    /// position, `"0"`, `"1"`, ...).
    pub fn row_map(&self, row: usize) -> Option<Map> {
        let cells = self.rows.get(row)?;
        Some(
            self.columns
                .iter()
                .enumerate()
                .zip(cells)
                .map(|((i, c), v)| (c.name.clone().unwrap_or_else(|| i.to_string()), v.clone()))
                .collect(),
        )
    }
}
