//! One table on both sides (its definition united when columns were added, then its
//! rows by its shape, keyed or not), a table new on the remote, and a table dropped on
//! one side.

use std::collections::BTreeMap;

use rusqlite::types::Value;
use rusqlite::{Connection, ErrorCode};

use super::definition::{Definition, add_column_sql};
use super::statements::Statements;
use super::{ConflictOutcome, RowConflict, TableMerger, schema, sqlite_error};
use crate::error::{Error, SchemaDivergence, SchemaSide};
use crate::sqlite_rows::{Row, Rows, TableSchema, quote, read_rows, read_rows_as};

impl TableMerger<'_> {
    /// A table present on both sides: columns one side added are added to the live table
    /// (`ALTER TABLE ADD COLUMN`), then rows are merged with a column a side lacks read
    /// as its default.
    pub(super) fn both(
        &mut self,
        base_db: &Connection,
        theirs_db: &Connection,
        base: Option<&TableSchema>,
        ours: &TableSchema,
        theirs: &TableSchema,
    ) -> Result<(), Error> {
        let error = sqlite_error(self.context.path);
        if ours.sql == theirs.sql && base.is_none_or(|base| base.sql == ours.sql) {
            let base_rows = match base {
                Some(base) => read_rows(base_db, base).map_err(&error)?,
                None => Rows::Absent,
            };
            let ours_rows = read_rows(self.tx, ours).map_err(&error)?;
            let theirs_rows = read_rows(theirs_db, theirs).map_err(&error)?;
            return self.table(ours, base_rows, ours_rows, theirs_rows);
        }
        let context = self.context;
        let diverged = |reason| Error::SqliteSchemaDiverged {
            path: context.path.to_owned(),
            table: ours.name.clone(),
            reason,
        };
        let read = |db: &Connection, schema: &TableSchema| {
            Definition::read(db, &schema.name, &schema.sql).map_err(&error)
        };
        let unreadable = || diverged(SchemaDivergence::Unreadable);
        let ours_def = read(self.tx, ours)?.ok_or_else(unreadable)?;
        let theirs_def = read(theirs_db, theirs)?.ok_or_else(unreadable)?;
        // A base this merge cannot read is no evidence of which side changed what.
        let base_def = match base {
            Some(base) => read(base_db, base)?,
            None => None,
        };
        let missing = match schema::to_add(base_def.as_ref(), &ours_def, &theirs_def) {
            Ok(missing) => missing,
            Err(reason) => {
                let refusal = diverged(reason);
                return self.one_side_untouched(base_db, base, theirs_db, ours, theirs, refusal);
            }
        };
        // A savepoint, so a column that cannot be added leaves the table as it was for
        // the fallback below.
        self.tx
            .execute_batch("SAVEPOINT cloud_sync_add_columns")
            .map_err(&error)?;
        for column in &missing {
            match self.tx.execute_batch(&add_column_sql(&ours.name, column)) {
                Ok(()) => {}
                Err(rusqlite::Error::SqliteFailure(failure, _))
                    if matches!(
                        failure.code,
                        ErrorCode::Unknown | ErrorCode::ConstraintViolation
                    ) =>
                {
                    self.tx
                        .execute_batch(
                            "ROLLBACK TO cloud_sync_add_columns; RELEASE cloud_sync_add_columns",
                        )
                        .map_err(&error)?;
                    let refusal = diverged(SchemaDivergence::ColumnNotAddable {
                        column: column.name.clone(),
                    });
                    return self
                        .one_side_untouched(base_db, base, theirs_db, ours, theirs, refusal);
                }
                Err(other) => return Err(error(other)),
            }
        }
        self.tx
            .execute_batch("RELEASE cloud_sync_add_columns")
            .map_err(&error)?;
        let (merged, merged_def) = if missing.is_empty() {
            (ours.clone(), ours_def)
        } else {
            let merged = crate::sqlite_rows::tables(self.tx)
                .map_err(&error)?
                .remove(&ours.name)
                .unwrap_or_else(|| ours.clone());
            let merged_def = read(self.tx, &merged)?.ok_or_else(unreadable)?;
            (merged, merged_def)
        };
        if self.context.follow_theirs_schema && merged.sql != theirs.sql {
            // The caller takes the head whole instead: its exact definition.
            return Err(diverged(SchemaDivergence::DefinitionsDiffer));
        }
        self.applied.differs_from_theirs |= merged.sql != theirs.sql;
        let base_rows = match (base, &base_def) {
            (Some(base), Some(base_def))
                if schema::additions(base_def, &merged_def, SchemaSide::Local).is_ok() =>
            {
                let fill = self.fill(&merged, &merged_def, base_def)?;
                read_rows_as(base_db, &base.name, &merged, &fill).map_err(&error)?
            }
            _ => Rows::Absent,
        };
        let ours_rows = read_rows(self.tx, &merged).map_err(&error)?;
        let fill = self.fill(&merged, &merged_def, &theirs_def)?;
        let theirs_rows = read_rows_as(theirs_db, &theirs.name, &merged, &fill).map_err(&error)?;
        self.table(&merged, base_rows, ours_rows, theirs_rows)
    }

    /// Definitions that cannot be united: when one side's table is still the base's
    /// (same definition, same rows), the other side's table is taken whole (the remote's
    /// replaces the local one, or the local one stays); otherwise `refusal`.
    fn one_side_untouched(
        &mut self,
        base_db: &Connection,
        base: Option<&TableSchema>,
        theirs_db: &Connection,
        ours: &TableSchema,
        theirs: &TableSchema,
        refusal: Error,
    ) -> Result<(), Error> {
        let Some(base) = base else {
            return Err(refusal);
        };
        if !self.context.follow_theirs_schema && self.compare(base_db, base, theirs_db, theirs)?.0 {
            self.applied.differs_from_theirs = true;
            return Ok(());
        }
        if self.compare(base_db, base, self.tx, ours)?.0 {
            let error = sqlite_error(self.context.path);
            self.tx
                .execute_batch(&format!("DROP TABLE {}", quote(&ours.name)))
                .map_err(&error)?;
            self.applied.changes.tables_dropped += 1;
            let rows = read_rows(theirs_db, theirs).map_err(&error)?;
            return self.create_from(theirs_db, theirs, rows);
        }
        Err(refusal)
    }

    /// How a side defined as `side` reads each column of the merged table: by name, or
    /// (a column it lacks) as that column's default, what `ALTER TABLE ADD COLUMN` gives
    /// the rows already there.
    fn fill(
        &self,
        merged: &TableSchema,
        merged_def: &Definition,
        side: &Definition,
    ) -> Result<Vec<Option<Value>>, Error> {
        let error = sqlite_error(self.context.path);
        merged
            .columns
            .iter()
            .map(|name| {
                if side.column(name).is_some() {
                    return Ok(None);
                }
                let default = merged_def.column(name).and_then(|c| c.default_sql());
                match default {
                    None => Ok(Some(Value::Null)),
                    Some(sql) => self
                        .tx
                        .query_row(&format!("SELECT {sql}"), [], |row| row.get(0))
                        .map(Some)
                        .map_err(&error),
                }
            })
            .collect()
    }

    /// A table the remote dropped: dropped here too when its local rows and definition
    /// are the base's; kept (with a conflict) when they changed.
    pub(super) fn dropped_remotely(
        &mut self,
        base_db: &Connection,
        base: &TableSchema,
        ours: &TableSchema,
    ) -> Result<(), Error> {
        let error = sqlite_error(self.context.path);
        let (unchanged, base_rows, ours_rows) = self.compare(base_db, base, self.tx, ours)?;
        if unchanged {
            self.tx
                .execute_batch(&format!("DROP TABLE {}", quote(&ours.name)))
                .map_err(&error)?;
            self.applied.changes.tables_dropped += 1;
            return Ok(());
        }
        self.applied.differs_from_theirs = true;
        self.record(RowConflict {
            table: ours.name.clone(),
            key: None,
            column: None,
            base: Some(count_text(&base_rows)),
            local: Some(count_text(&ours_rows)),
            cloud: None,
            outcome: ConflictOutcome::KeptTable,
        });
        Ok(())
    }

    /// A table dropped here that the remote still has: it stays dropped when the remote
    /// did not change it since the base; created again from the remote (with a conflict)
    /// when it did.
    pub(super) fn dropped_locally(
        &mut self,
        base_db: &Connection,
        base: &TableSchema,
        theirs_db: &Connection,
        theirs: &TableSchema,
    ) -> Result<(), Error> {
        let (unchanged, base_rows, theirs_rows) = self.compare(base_db, base, theirs_db, theirs)?;
        if unchanged {
            self.applied.differs_from_theirs = true;
            return Ok(());
        }
        let cloud = count_text(&theirs_rows);
        self.create_from(theirs_db, theirs, theirs_rows)?;
        self.record(RowConflict {
            table: theirs.name.clone(),
            key: None,
            column: None,
            base: Some(count_text(&base_rows)),
            local: None,
            cloud: Some(cloud),
            outcome: ConflictOutcome::KeptTable,
        });
        Ok(())
    }

    /// Whether a side's table is the base's (same definition, same rows), with both
    /// sets of rows.
    fn compare(
        &self,
        base_db: &Connection,
        base: &TableSchema,
        side_db: &Connection,
        side: &TableSchema,
    ) -> Result<(bool, Rows, Rows), Error> {
        let error = sqlite_error(self.context.path);
        let base_rows = read_rows(base_db, base).map_err(&error)?;
        let side_rows = read_rows(side_db, side).map_err(&error)?;
        let same_definition = base.sql == side.sql || {
            let base_def = Definition::read(base_db, &base.name, &base.sql).map_err(&error)?;
            let side_def = Definition::read(side_db, &side.name, &side.sql).map_err(&error)?;
            base_def.is_some() && base_def == side_def
        };
        let unchanged = same_definition && base_rows == side_rows;
        Ok((unchanged, base_rows, side_rows))
    }

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

/// A table's size for the conflicts table: `N row(s)`.
fn count_text(rows: &Rows) -> String {
    let count = match rows {
        Rows::Keyed(rows) => rows.len(),
        Rows::Unkeyed(rows) => rows.len(),
        Rows::Absent => 0,
    };
    format!("{count} row(s)")
}
