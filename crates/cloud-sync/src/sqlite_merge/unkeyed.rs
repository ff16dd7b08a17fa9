//! Tables without a primary key: compared as a whole, since their rowids do not match
//! across devices.

use super::statements::Statements;
use super::{ConflictOutcome, RowConflict, TableMerger, UnkeyedTables, sqlite_error};
use crate::error::Error;
use crate::sqlite_rows::{Row, TableSchema, quote};

impl TableMerger<'_> {
    pub(super) fn unkeyed(
        &mut self,
        schema: &TableSchema,
        base: Option<Vec<Row>>,
        ours: Vec<Row>,
        theirs: Vec<Row>,
    ) -> Result<(), Error> {
        let base = base.unwrap_or_default();
        if ours == theirs || theirs == base {
            self.applied.differs_from_theirs |= ours != theirs;
            return Ok(());
        }
        let error = sqlite_error(self.context.path);
        let statements = Statements::new(schema);
        if ours == base {
            return self.replace_rows(schema, &statements, ours.len(), &theirs);
        }
        let summary = |rows: &Vec<Row>| Some(format!("{} row(s)", rows.len()));
        let mut conflict = RowConflict {
            table: schema.name.clone(),
            key: None,
            column: None,
            base: summary(&base),
            local: summary(&ours),
            cloud: summary(&theirs),
            outcome: ConflictOutcome::TookLocal,
        };
        match self.context.options.unkeyed_for(&schema.name) {
            UnkeyedTables::UseCloud => {
                self.replace_rows(schema, &statements, ours.len(), &theirs)?;
                conflict.outcome = ConflictOutcome::TookCloud;
            }
            UnkeyedTables::UseLocal => self.applied.differs_from_theirs = true,
            UnkeyedTables::KeepBoth => {
                let head: String = self.context.head.chars().take(12).collect();
                let copy = TableSchema {
                    name: format!("{}_conflict_{head}", schema.name),
                    sql: String::new(),
                    columns: schema.columns.clone(),
                    key: Vec::new(),
                };
                let columns: Vec<String> = copy.columns.iter().map(|c| quote(c)).collect();
                self.tx
                    .execute_batch(&format!(
                        "CREATE TABLE IF NOT EXISTS {}({})",
                        quote(&copy.name),
                        columns.join(", ")
                    ))
                    .map_err(&error)?;
                let copy_statements = Statements::new(&copy);
                for row in &theirs {
                    copy_statements.insert(self.tx, row).map_err(&error)?;
                }
                self.applied.changes.tables_created += 1;
                self.applied.changes.inserted += theirs.len();
                self.applied.differs_from_theirs = true;
                conflict.outcome = ConflictOutcome::CopiedCloud(copy.name);
            }
        }
        self.record(conflict);
        Ok(())
    }

    fn replace_rows(
        &mut self,
        schema: &TableSchema,
        statements: &Statements,
        existing: usize,
        rows: &[Row],
    ) -> Result<(), Error> {
        let error = sqlite_error(self.context.path);
        self.tx
            .execute(&format!("DELETE FROM {}", quote(&schema.name)), [])
            .map_err(&error)?;
        for row in rows {
            statements.insert(self.tx, row).map_err(&error)?;
        }
        self.applied.changes.deleted += existing;
        self.applied.changes.inserted += rows.len();
        Ok(())
    }
}
