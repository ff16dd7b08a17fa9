//! One table on both sides, by its shape (keyed or not), and a table new on the remote.

use std::collections::BTreeMap;

use rusqlite::Connection;

use super::statements::Statements;
use super::{TableMerger, sqlite_error};
use crate::error::Error;
use crate::sqlite_rows::{Row, Rows, TableSchema};

impl TableMerger<'_> {
    pub(super) fn table(
        &mut self,
        schema: &TableSchema,
        base: Rows,
        ours: Rows,
        theirs: Rows,
    ) -> Result<(), Error> {
        match (ours, theirs) {
            (Rows::Keyed(ours), Rows::Keyed(theirs)) => {
                let base = match base {
                    Rows::Keyed(base) => base,
                    _ => BTreeMap::new(),
                };
                self.keyed(schema, base, ours, theirs)
            }
            (Rows::Unkeyed(ours), Rows::Unkeyed(theirs)) => {
                let base = match base {
                    Rows::Unkeyed(base) => Some(base),
                    _ => None,
                };
                self.unkeyed(schema, base, ours, theirs)
            }
            _ => Ok(()),
        }
    }

    /// A table new on the remote: its definition, its rows, then its indexes and
    /// triggers.
    pub(super) fn create_from(
        &mut self,
        theirs: &Connection,
        schema: &TableSchema,
        rows: Rows,
    ) -> Result<(), Error> {
        let error = sqlite_error(self.context.path);
        self.tx.execute_batch(&schema.sql).map_err(&error)?;
        let statements = Statements::new(schema);
        let rows: Vec<Row> = match rows {
            Rows::Keyed(rows) => rows.into_values().collect(),
            Rows::Unkeyed(rows) => rows,
            Rows::Absent => Vec::new(),
        };
        for row in &rows {
            statements.insert(self.tx, row).map_err(&error)?;
        }
        let mut extras = theirs
            .prepare(
                "SELECT sql FROM sqlite_schema WHERE tbl_name = ?1 AND type IN ('index', 'trigger') AND sql IS NOT NULL",
            )
            .map_err(&error)?;
        let extras: Vec<String> = extras
            .query_map([&schema.name], |row| row.get(0))
            .map_err(&error)?
            .collect::<Result<_, _>>()
            .map_err(&error)?;
        for sql in extras {
            self.tx.execute_batch(&sql).map_err(&error)?;
        }
        self.applied.changes.tables_created += 1;
        self.applied.changes.inserted += rows.len();
        Ok(())
    }
}
