//! Tables with a primary key: rows matched by key, merged whole or column by column.

use std::collections::{BTreeMap, BTreeSet};

use super::conflicts::row_text;
use super::statements::Statements;
use super::{ConflictOutcome, FieldFallback, RowConflict, RowStrategy, TableMerger, sqlite_error};
use crate::error::Error;
use crate::sqlite_rows::{Cell, Row, RowKey, TableSchema, key_text};

type Sides = (Option<Row>, Option<Row>, Option<Row>);

/// Which side a conflict went to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Pick {
    Local,
    Cloud,
    Keep,
}

impl TableMerger<'_> {
    pub(super) fn keyed(
        &mut self,
        schema: &TableSchema,
        mut base: BTreeMap<RowKey, Row>,
        mut ours: BTreeMap<RowKey, Row>,
        mut theirs: BTreeMap<RowKey, Row>,
    ) -> Result<(), Error> {
        let keys: BTreeSet<RowKey> = ours.keys().chain(theirs.keys()).cloned().collect();
        let statements = Statements::new(schema);
        for key in keys {
            let sides: Sides = (base.remove(&key), ours.remove(&key), theirs.remove(&key));
            let merged = self.row(schema, &key, &sides)?;
            let (_, ours_row, theirs_row) = sides;
            if merged != theirs_row {
                self.applied.differs_from_theirs = true;
            }
            if merged == ours_row {
                continue;
            }
            let error = sqlite_error(self.context.path);
            match (&ours_row, merged) {
                (None, Some(row)) => {
                    statements.insert(self.tx, &row).map_err(&error)?;
                    self.applied.changes.inserted += 1;
                }
                (Some(_), Some(row)) => {
                    statements.update(self.tx, &row, &key).map_err(&error)?;
                    self.applied.changes.updated += 1;
                }
                (Some(_), None) => {
                    statements.delete(self.tx, &key).map_err(&error)?;
                    self.applied.changes.deleted += 1;
                }
                (None, None) => {}
            }
        }
        Ok(())
    }

    /// The merged version of one row (`None`: absent).
    fn row(
        &mut self,
        schema: &TableSchema,
        key: &RowKey,
        (base, ours, theirs): &Sides,
    ) -> Result<Option<Row>, Error> {
        if ours == theirs || theirs == base {
            return Ok(ours.clone());
        }
        if ours == base {
            return Ok(theirs.clone());
        }
        let whole = match self.context.options.strategy_for(&schema.name) {
            RowStrategy::Merge(fallback) => match (ours, theirs) {
                (Some(ours), Some(theirs)) => {
                    return self
                        .fields(schema, key, base.as_ref(), ours, theirs, fallback)
                        .map(Some);
                }
                // Deleted on one side, changed on the other: no field to merge.
                _ if fallback == FieldFallback::Error => {
                    return Err(self.refuse(schema, key, None));
                }
                _ => self.fallback_pick(fallback),
            },
            RowStrategy::LastWriteWins => self.later_side(),
            RowStrategy::PreferLocal => Pick::Local,
            RowStrategy::PreferCloud => Pick::Cloud,
            RowStrategy::Error => return Err(self.refuse(schema, key, None)),
        };
        let render = |row: &Option<Row>| row.as_ref().map(|row| row_text(schema, row));
        let (merged, outcome) = match whole {
            Pick::Local => (ours.clone(), ConflictOutcome::TookLocal),
            Pick::Cloud => (theirs.clone(), ConflictOutcome::TookCloud),
            // Keep whichever side still has the row: an edit is never deleted silently.
            Pick::Keep => (
                ours.clone().or_else(|| theirs.clone()),
                ConflictOutcome::Kept,
            ),
        };
        self.record(RowConflict {
            table: schema.name.clone(),
            key: Some(key_text(key)),
            column: None,
            base: render(base),
            local: render(ours),
            cloud: render(theirs),
            outcome,
        });
        Ok(merged)
    }

    fn fields(
        &mut self,
        schema: &TableSchema,
        key: &RowKey,
        base: Option<&Row>,
        ours: &Row,
        theirs: &Row,
        fallback: FieldFallback,
    ) -> Result<Row, Error> {
        let mut merged = ours.clone();
        for (i, column) in schema.columns.iter().enumerate() {
            let base_cell = base.map(|row| &row[i]);
            let (ours_cell, theirs_cell) = (&ours[i], &theirs[i]);
            if ours_cell == theirs_cell || Some(theirs_cell) == base_cell {
                continue;
            }
            if Some(ours_cell) == base_cell {
                merged[i] = theirs_cell.clone();
                continue;
            }
            if fallback == FieldFallback::Error {
                return Err(self.refuse(schema, key, Some(column)));
            }
            let outcome = match self.fallback_pick(fallback) {
                Pick::Local => ConflictOutcome::TookLocal,
                Pick::Cloud => {
                    merged[i] = theirs_cell.clone();
                    ConflictOutcome::TookCloud
                }
                Pick::Keep => ConflictOutcome::Kept,
            };
            self.record(RowConflict {
                table: schema.name.clone(),
                key: Some(key_text(key)),
                column: Some(column.clone()),
                base: base_cell.map(Cell::text),
                local: Some(ours_cell.text()),
                cloud: Some(theirs_cell.text()),
                outcome,
            });
        }
        Ok(merged)
    }

    fn fallback_pick(&self, fallback: FieldFallback) -> Pick {
        match fallback {
            FieldFallback::Keep | FieldFallback::Error => Pick::Keep,
            FieldFallback::LastWriteWins => self.later_side(),
            FieldFallback::PreferLocal => Pick::Local,
            FieldFallback::PreferCloud => Pick::Cloud,
        }
    }

    fn later_side(&self) -> Pick {
        if self.context.local_is_later {
            Pick::Local
        } else {
            Pick::Cloud
        }
    }

    fn refuse(&self, schema: &TableSchema, key: &RowKey, column: Option<&String>) -> Error {
        Error::SqliteRowConflict {
            path: self.context.path.to_owned(),
            table: schema.name.clone(),
            key: key_text(key),
            column: column.cloned(),
        }
    }
}
