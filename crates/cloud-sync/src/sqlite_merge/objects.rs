//! Indexes, triggers and views: merged three-way by name, on their `CREATE` statements.
//!
//! Per name, comparing the statement SQLite stored on each side (absent when the object
//! does not exist): the same on both sides, or unchanged since the base on the remote,
//! keeps the local one; unchanged locally takes the remote's (created, dropped, or
//! dropped and created again); changed both ways, differently, is refused with
//! [`SchemaDivergence::ObjectChangedTwoWays`] and nothing is written. This runs after
//! the tables are merged, on what that step left in the live database: a table created
//! or replaced whole brought the remote's objects with it, a dropped table took its own.

use std::collections::{BTreeMap, BTreeSet};

use rusqlite::Connection;

use super::TableMerger;
use super::conflicts::CONFLICTS_TABLE;
use crate::error::{Error, SchemaDivergence};
use crate::sqlite_rows::quote;

/// An index, trigger or view as SQLite stored it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct SchemaObject {
    /// `index`, `trigger` or `view`.
    kind: String,
    /// The table it belongs to (a view: itself).
    table: String,
    /// Its `CREATE` statement.
    sql: String,
}

/// The indexes, triggers and views of a database, by name, in the order they were
/// created (SQLite's own automatic indexes, which have no statement, left out).
fn objects(connection: &Connection) -> rusqlite::Result<Vec<(String, SchemaObject)>> {
    let mut statement = connection.prepare(
        "SELECT name, type, tbl_name, sql FROM sqlite_schema \
         WHERE type IN ('index', 'trigger', 'view') AND sql IS NOT NULL \
         AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY rowid",
    )?;
    let rows = statement.query_map([], |row| {
        Ok((
            row.get::<_, String>(0)?,
            SchemaObject {
                kind: row.get(1)?,
                table: row.get(2)?,
                sql: row.get(3)?,
            },
        ))
    })?;
    let mut found = Vec::new();
    for row in rows {
        let (name, object) = row?;
        if object.table != CONFLICTS_TABLE {
            found.push((name, object));
        }
    }
    Ok(found)
}

/// Whether the table an object of `kind` belongs to is in the database (a view belongs
/// to itself).
fn table_exists(connection: &Connection, table: &str, kind: &str) -> rusqlite::Result<bool> {
    if kind == "view" {
        return Ok(true);
    }
    connection
        .prepare_cached("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?1")?
        .exists([table])
}

impl TableMerger<'_> {
    /// Merges the indexes, triggers and views of `base` and `theirs` into the live
    /// database (see the module docs).
    pub(super) fn merge_objects(
        &mut self,
        base: &Connection,
        theirs: &Connection,
    ) -> Result<(), Error> {
        let error = super::sqlite_error(self.context.path);
        let by_name = |list: Vec<(String, SchemaObject)>| -> BTreeMap<String, SchemaObject> {
            list.into_iter().collect()
        };
        let base = by_name(objects(base).map_err(&error)?);
        let ours = by_name(objects(self.tx).map_err(&error)?);
        // Theirs stays a list too: their objects are created in the order they were.
        let theirs_list = objects(theirs).map_err(&error)?;
        let theirs: BTreeMap<&String, &SchemaObject> = theirs_list
            .iter()
            .map(|(name, object)| (name, object))
            .collect();
        let mut drop = Vec::new();
        let mut create = BTreeSet::new();
        let names: BTreeSet<&String> = ours.keys().chain(theirs.keys().copied()).collect();
        for name in names {
            let (b, o, t) = (base.get(name), ours.get(name), theirs.get(name).copied());
            if o == t || t == b {
                self.applied.differs_from_theirs |= o != t;
                continue;
            }
            if o != b {
                let table = o
                    .or(t)
                    .map(|object| object.table.clone())
                    .unwrap_or_default();
                return Err(Error::SqliteSchemaDiverged {
                    path: self.context.path.to_path_buf(),
                    table,
                    reason: SchemaDivergence::ObjectChangedTwoWays {
                        object: name.clone(),
                    },
                });
            }
            if let Some(o) = o {
                drop.push((name, o));
            }
            // An object of a table the merge left out goes with it.
            if let Some(t) = t
                && table_exists(self.tx, &t.table, &t.kind).map_err(&error)?
            {
                create.insert(name);
            }
        }
        for (name, object) in drop {
            let sql = format!(
                "DROP {} IF EXISTS {}",
                object.kind.to_uppercase(),
                quote(name)
            );
            self.tx.execute_batch(&sql).map_err(&error)?;
        }
        // In the order the remote created them: a view may use another.
        for (name, object) in &theirs_list {
            if create.contains(name) {
                self.tx.execute_batch(&object.sql).map_err(&error)?;
            }
        }
        Ok(())
    }
}
