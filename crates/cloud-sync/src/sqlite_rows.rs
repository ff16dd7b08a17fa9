//! SQLite tables read as rows keyed by primary key: what the row-level merge
//! ([`crate::sqlite_merge`]) and the diff report ([`crate::diff::diff_databases`]) compare.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use rusqlite::Connection;
use rusqlite::types::Value;

/// One SQLite value with a total order (reals by `total_cmp`), so rows can be keyed and
/// compared. Values of different storage classes are never equal (`1` and `1.0` differ,
/// as they are stored differently).
#[derive(Clone, Debug)]
pub(crate) struct Cell(pub(crate) Value);

impl Cell {
    fn rank(&self) -> u8 {
        match self.0 {
            Value::Null => 0,
            Value::Integer(_) => 1,
            Value::Real(_) => 2,
            Value::Text(_) => 3,
            Value::Blob(_) => 4,
        }
    }

    /// The value as a reader would write it: `NULL`, numbers, text as is, blobs as
    /// `x'hex'`.
    pub(crate) fn text(&self) -> String {
        match &self.0 {
            Value::Null => "NULL".into(),
            Value::Integer(i) => i.to_string(),
            Value::Real(r) => r.to_string(),
            Value::Text(t) => t.clone(),
            Value::Blob(b) => {
                let hex: String = b.iter().map(|byte| format!("{byte:02x}")).collect();
                format!("x'{hex}'")
            }
        }
    }
}

impl Ord for Cell {
    fn cmp(&self, other: &Self) -> Ordering {
        match (&self.0, &other.0) {
            (Value::Integer(a), Value::Integer(b)) => a.cmp(b),
            (Value::Real(a), Value::Real(b)) => a.total_cmp(b),
            (Value::Text(a), Value::Text(b)) => a.cmp(b),
            (Value::Blob(a), Value::Blob(b)) => a.cmp(b),
            _ => self.rank().cmp(&other.rank()),
        }
    }
}

impl PartialOrd for Cell {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Cell {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Cell {}

/// A row's cells in column order.
pub(crate) type Row = Vec<Cell>;

/// A primary key's cells in key order.
pub(crate) type RowKey = Vec<Cell>;

/// The key as text: one value as is, several as `(a, b)`.
pub(crate) fn key_text(key: &[Cell]) -> String {
    match key {
        [one] => one.text(),
        _ => format!(
            "({})",
            key.iter().map(Cell::text).collect::<Vec<_>>().join(", ")
        ),
    }
}

/// One table's definition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct TableSchema {
    pub(crate) name: String,
    /// The `CREATE TABLE` statement as SQLite stored it.
    pub(crate) sql: String,
    /// Column names in declaration order.
    pub(crate) columns: Vec<String>,
    /// Positions (in `columns`) of the primary key, in key order; empty when the table
    /// has no declared primary key (its rowids are not stable across devices).
    pub(crate) key: Vec<usize>,
}

impl TableSchema {
    pub(crate) fn key_of(&self, row: &[Cell]) -> RowKey {
        self.key.iter().map(|&i| row[i].clone()).collect()
    }
}

/// A table's rows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) enum Rows {
    /// By primary key.
    Keyed(BTreeMap<RowKey, Row>),
    /// A table without a primary key: its rows as a sorted multiset.
    Unkeyed(Vec<Row>),
    /// The table does not exist on this side.
    #[default]
    Absent,
}

/// Double quotes make any table or column name an identifier.
pub(crate) fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Every user table of the main database, by name. SQLite's own tables (`sqlite_*`) are
/// left out.
pub(crate) fn tables(connection: &Connection) -> rusqlite::Result<BTreeMap<String, TableSchema>> {
    let mut statement = connection.prepare(
        "SELECT name, sql FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
    )?;
    let named: Vec<(String, String)> = statement
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let mut tables = BTreeMap::new();
    for (name, sql) in named {
        let mut info =
            connection.prepare("SELECT name, pk FROM pragma_table_info(?1) ORDER BY cid")?;
        let columns: Vec<(String, i64)> = info
            .query_map([&name], |row| Ok((row.get(0)?, row.get(1)?)))?
            .collect::<Result<_, _>>()?;
        let mut key: Vec<(i64, usize)> = columns
            .iter()
            .enumerate()
            .filter(|(_, (_, pk))| *pk > 0)
            .map(|(position, (_, pk))| (*pk, position))
            .collect();
        key.sort();
        tables.insert(
            name.clone(),
            TableSchema {
                name,
                sql,
                columns: columns.into_iter().map(|(column, _)| column).collect(),
                key: key.into_iter().map(|(_, position)| position).collect(),
            },
        );
    }
    Ok(tables)
}

/// Every row of `table`.
pub(crate) fn read_rows(connection: &Connection, table: &TableSchema) -> rusqlite::Result<Rows> {
    let fill = vec![None; table.columns.len()];
    read_rows_as(connection, &table.name, table, &fill)
}

/// Every row of the table `source`, read in the shape of `target`: each of `target`'s
/// columns is read by name, or is `fill`'s value for it when that is `Some` (a column
/// the source lacks, read as its default).
pub(crate) fn read_rows_as(
    connection: &Connection,
    source: &str,
    target: &TableSchema,
    fill: &[Option<Value>],
) -> rusqlite::Result<Rows> {
    let mut values = Vec::new();
    let columns: Vec<String> = target
        .columns
        .iter()
        .zip(fill)
        .map(|(column, fill)| match fill {
            None => quote(column),
            Some(value) => {
                values.push(value);
                format!("?{}", values.len())
            }
        })
        .collect();
    let mut statement = connection.prepare(&format!(
        "SELECT {} FROM {}",
        columns.join(", "),
        quote(source)
    ))?;
    let width = target.columns.len();
    let mut query = statement.query(rusqlite::params_from_iter(values))?;
    let mut rows = Vec::new();
    while let Some(row) = query.next()? {
        let cells: Row = (0..width)
            .map(|i| row.get::<_, Value>(i).map(Cell))
            .collect::<Result<_, _>>()?;
        rows.push(cells);
    }
    if target.key.is_empty() {
        rows.sort();
        return Ok(Rows::Unkeyed(rows));
    }
    Ok(Rows::Keyed(
        rows.into_iter()
            .map(|row| (target.key_of(&row), row))
            .collect(),
    ))
}

/// Every table's schema and rows.
pub(crate) fn read_all(
    connection: &Connection,
) -> rusqlite::Result<BTreeMap<String, (TableSchema, Rows)>> {
    tables(connection)?
        .into_iter()
        .map(|(name, schema)| {
            let rows = read_rows(connection, &schema)?;
            Ok((name, (schema, rows)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_order_by_class_then_value_and_keys_render_readably() {
        let cells = [
            Cell(Value::Text("a".into())),
            Cell(Value::Integer(2)),
            Cell(Value::Null),
            Cell(Value::Real(1.5)),
            Cell(Value::Blob(vec![1, 255])),
        ];
        let mut sorted = cells.to_vec();
        sorted.sort();
        let texts: Vec<String> = sorted.iter().map(Cell::text).collect();
        assert_eq!(texts, ["NULL", "2", "1.5", "a", "x'01ff'"]);
        assert_ne!(Cell(Value::Integer(1)), Cell(Value::Real(1.0)));
        assert_eq!(key_text(&cells[..2]), "(a, 2)");
    }

    #[test]
    fn tables_report_composite_keys_in_key_order_and_unkeyed_tables() {
        let c = Connection::open_in_memory().unwrap();
        c.execute_batch(
            "CREATE TABLE pairs(b TEXT, a INTEGER, v, PRIMARY KEY (a, b));
             CREATE TABLE log(line TEXT);
             INSERT INTO pairs VALUES ('x', 1, 'one'), ('y', 1, 'two');
             INSERT INTO log VALUES ('z'), ('a'), ('z');",
        )
        .unwrap();
        let all = read_all(&c).unwrap();
        let (pairs, rows) = &all["pairs"];
        assert_eq!(pairs.key, [1, 0]);
        let Rows::Keyed(rows) = rows else {
            panic!("keyed")
        };
        assert_eq!(
            rows.keys().map(|k| key_text(k)).collect::<Vec<_>>(),
            ["(1, x)", "(1, y)"]
        );
        let (_, log) = &all["log"];
        let Rows::Unkeyed(lines) = log else {
            panic!("unkeyed")
        };
        let texts: Vec<String> = lines.iter().map(|row| row[0].text()).collect();
        assert_eq!(texts, ["a", "z", "z"]);
    }
}
