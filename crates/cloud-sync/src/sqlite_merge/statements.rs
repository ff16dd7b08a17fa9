//! The SQL that writes merged rows into the live database.

use rusqlite::Transaction;
use rusqlite::types::Value;

use crate::sqlite_rows::{Cell, Row, RowKey, TableSchema, quote};

/// The insert, update and delete statements of one table, by primary key (`IS`, so a
/// NULL key cell matches too).
pub(super) struct Statements {
    insert: String,
    update: String,
    delete: String,
    key: Vec<usize>,
}

impl Statements {
    pub(super) fn new(schema: &TableSchema) -> Statements {
        let table = quote(&schema.name);
        let columns: Vec<String> = schema.columns.iter().map(|c| quote(c)).collect();
        let marks: Vec<String> = (1..=columns.len()).map(|i| format!("?{i}")).collect();
        let width = columns.len();
        let key_match: Vec<String> = schema
            .key
            .iter()
            .enumerate()
            .map(|(n, &i)| format!("{} IS ?{}", columns[i], width + n + 1))
            .collect();
        let assignments: Vec<String> = columns
            .iter()
            .enumerate()
            .map(|(i, column)| format!("{column} = ?{}", i + 1))
            .collect();
        let delete_match: Vec<String> = schema
            .key
            .iter()
            .enumerate()
            .map(|(n, &i)| format!("{} IS ?{}", columns[i], n + 1))
            .collect();
        Statements {
            insert: format!(
                "INSERT INTO {table}({}) VALUES ({})",
                columns.join(", "),
                marks.join(", ")
            ),
            update: format!(
                "UPDATE {table} SET {} WHERE {}",
                assignments.join(", "),
                key_match.join(" AND ")
            ),
            delete: format!("DELETE FROM {table} WHERE {}", delete_match.join(" AND ")),
            key: schema.key.clone(),
        }
    }

    fn values(cells: &[Cell]) -> Vec<&Value> {
        cells.iter().map(|cell| &cell.0).collect()
    }

    pub(super) fn insert(&self, tx: &Transaction<'_>, row: &Row) -> rusqlite::Result<()> {
        tx.prepare_cached(&self.insert)?
            .execute(rusqlite::params_from_iter(Self::values(row)))?;
        Ok(())
    }

    pub(super) fn update(
        &self,
        tx: &Transaction<'_>,
        row: &Row,
        key: &RowKey,
    ) -> rusqlite::Result<()> {
        debug_assert_eq!(key.len(), self.key.len());
        let mut values = Self::values(row);
        values.extend(Self::values(key));
        tx.prepare_cached(&self.update)?
            .execute(rusqlite::params_from_iter(values))?;
        Ok(())
    }

    pub(super) fn delete(&self, tx: &Transaction<'_>, key: &RowKey) -> rusqlite::Result<()> {
        tx.prepare_cached(&self.delete)?
            .execute(rusqlite::params_from_iter(Self::values(key)))?;
        Ok(())
    }
}
