//! Row-level three-way merge of SQLite databases by primary key.
//!
//! The merge compares three versions of every table: the **base** (the head both sides
//! last agreed on), **ours** (the live local database) and **theirs** (the remote head),
//! row by row, matched by primary key. It runs inside one `BEGIN IMMEDIATE` transaction
//! on the live database: ours is read under SQLite's own write lock, so a local writer
//! can neither slip a commit in between (it waits on its busy timeout and commits after
//! us, on top of the merge) nor see a half-applied merge. Readers keep their snapshot
//! until they start a new transaction (WAL mode), or wait for the commit (rollback
//! journal); nothing is ever renamed over the database, so no stale `-wal`/`-shm` can
//! appear.
//!
//! # Rules, per row (matched by primary key)
//!
//! - Changed on one side only (inserted, updated or deleted): that side's version.
//! - Changed on both sides to the same values: kept.
//! - Changed on both sides differently: a conflict, settled by [`RowStrategy`]:
//!   [`RowStrategy::Merge`] combines the columns each side changed alone (a field-level
//!   merge) and hands each column changed two ways to its [`FieldFallback`]; the other
//!   strategies take one whole row. A row deleted on one side and changed on the other
//!   is a whole-row conflict; under [`FieldFallback::Keep`] the changed row stays (a
//!   delete never silently destroys an edit).
//! - Every conflict, resolved or not, is recorded in the [`CONFLICTS_TABLE`] of the
//!   merged database (one row per conflicting column, or per row for delete-versus-edit,
//!   with the base, local and cloud values and what was done) and returned in the
//!   report. Conflicts left open ([`ConflictOutcome::Kept`]) keep the local value in
//!   place; the cloud value is only in the conflicts table.
//!
//! # Tables without a primary key
//!
//! Their rowids are not stable across devices, so rows cannot be matched. The table is
//! compared as a whole (a multiset of rows): changed on one side, that side's rows;
//! changed on both, [`UnkeyedTables`] decides: the cloud rows, the local rows, or the
//! local rows plus a conflict copy of the cloud rows in a new table
//! `<table>_conflict_<head>` (the original design's "use cloud", "use local", "keep
//! both").
//!
//! # Schema
//!
//! Tables present on both sides must have the same `CREATE TABLE` statement. A table new
//! on the remote is created (with its indexes) and filled; a table new locally stays. A
//! table dropped on one side, or one whose definition differs, fails with
//! [`Error::SqliteSchemaDiverged`] before anything is written.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use rusqlite::types::Value;
use rusqlite::{Connection, Transaction, TransactionBehavior};
use serde::Serialize;

use crate::error::{Error, Operation};
use crate::sqlite_rows::{Cell, Row, RowKey, Rows, TableSchema, key_text, quote};

/// The table every merge records its conflicts in.
pub const CONFLICTS_TABLE: &str = "cloud_sync_conflicts";

const CONFLICTS_SQL: &str = "CREATE TABLE IF NOT EXISTS cloud_sync_conflicts(\
    id TEXT PRIMARY KEY, detected_at TEXT NOT NULL, cloud_head TEXT NOT NULL, \
    table_name TEXT NOT NULL, row_key TEXT, column_name TEXT, \
    base_value, local_value, cloud_value, outcome TEXT NOT NULL)";

/// How a row changed differently on both sides is settled (versioning's strategies,
/// for rows that carry no version columns).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RowStrategy {
    /// Field-level merge: columns changed on one side only are combined; a column
    /// changed two ways goes to the fallback.
    Merge(FieldFallback),
    /// The whole row of the side that wrote last: local is the newest modification time
    /// of the database file and its `-wal`; the cloud is the head's push stamp. On a tie
    /// the cloud wins.
    LastWriteWins,
    /// The whole local row.
    PreferLocal,
    /// The whole cloud row.
    PreferCloud,
    /// Fail with [`Error::SqliteRowConflict`]; nothing is written.
    Error,
}

impl Default for RowStrategy {
    fn default() -> Self {
        RowStrategy::Merge(FieldFallback::Keep)
    }
}

/// What a field-level merge does with a column both sides changed differently.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldFallback {
    /// Keep the local value in the row and both values in the conflicts table, to be
    /// settled by hand (the default: nothing is lost, nothing decided silently).
    #[default]
    Keep,
    /// The value of the side that wrote last (see [`RowStrategy::LastWriteWins`]).
    LastWriteWins,
    /// The local value.
    PreferLocal,
    /// The cloud value.
    PreferCloud,
    /// Fail with [`Error::SqliteRowConflict`]; nothing is written.
    Error,
}

/// What happens to a table without a primary key that changed on both sides.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UnkeyedTables {
    /// The cloud rows replace the local ones.
    UseCloud,
    /// The local rows stay.
    UseLocal,
    /// The local rows stay and the cloud rows go to a conflict copy table (the default).
    #[default]
    KeepBoth,
}

/// Settings of a row-level merge.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SqliteMergeOptions {
    /// Rows changed on both sides.
    pub strategy: RowStrategy,
    /// Tables without a primary key changed on both sides.
    pub unkeyed: UnkeyedTables,
}

impl SqliteMergeOptions {
    /// Whether this merge may replace local values by cloud ones in a conflict (then a
    /// backup of local content is taken first).
    pub fn may_discard_local(&self) -> bool {
        let row = match self.strategy {
            RowStrategy::Merge(fallback) => matches!(
                fallback,
                FieldFallback::LastWriteWins | FieldFallback::PreferCloud
            ),
            RowStrategy::LastWriteWins | RowStrategy::PreferCloud => true,
            RowStrategy::PreferLocal | RowStrategy::Error => false,
        };
        row || self.unkeyed == UnkeyedTables::UseCloud
    }
}

/// What was done with one conflict.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ConflictOutcome {
    /// Left open: the local value stays, the cloud value is in the conflicts table.
    Kept,
    /// The local value was taken.
    TookLocal,
    /// The cloud value was taken.
    TookCloud,
    /// (Table without a primary key) the local rows stayed, the cloud rows were copied
    /// into this table.
    CopiedCloud(String),
}

impl ConflictOutcome {
    fn word(&self) -> &'static str {
        match self {
            ConflictOutcome::Kept => "kept",
            ConflictOutcome::TookLocal => "took_local",
            ConflictOutcome::TookCloud => "took_cloud",
            ConflictOutcome::CopiedCloud(_) => "copied_cloud",
        }
    }
}

/// One conflict the merge found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RowConflict {
    /// The table.
    pub table: String,
    /// The row's primary key as text (`None`: a table without a primary key).
    pub key: Option<String>,
    /// The column both sides changed (`None`: the whole row or table).
    pub column: Option<String>,
    /// The base value (`None`: absent, e.g. inserted on both sides).
    pub base: Option<String>,
    /// The local value (`None`: deleted locally).
    pub local: Option<String>,
    /// The cloud value (`None`: deleted on the remote).
    pub cloud: Option<String>,
    /// What was done.
    pub outcome: ConflictOutcome,
}

/// Rows the merge wrote into the local database.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RowChanges {
    /// Rows inserted.
    pub inserted: usize,
    /// Rows updated.
    pub updated: usize,
    /// Rows deleted.
    pub deleted: usize,
    /// Tables created (new on the remote, or conflict copies).
    pub tables_created: usize,
}

/// The result of a merge applied to the live database.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Applied {
    /// Every conflict found, with what was done (also in [`CONFLICTS_TABLE`]).
    pub conflicts: Vec<RowConflict>,
    /// Rows written into the live database.
    pub changes: RowChanges,
    /// Whether the merged database holds anything `theirs` does not (local-only rows or
    /// values, or recorded conflicts): then it has something to push.
    pub differs_from_theirs: bool,
}

/// Merges `theirs` (the bytes of a database file, such as a downloaded head) into the
/// live database at `path` against `base` (the bytes of their common ancestor; empty when
/// none is known: rows are then united and rows both sides hold differently are
/// conflicts), in one immediate transaction; see the [module docs](self) for the rules.
/// `theirs` must pass `PRAGMA integrity_check` first. `head` names `theirs` in the
/// conflicts table and conflict copies; `cloud_written` is when `theirs` was written, for
/// last-write-wins. On any error the live database is unchanged.
///
/// ```
/// use cloud_sync::sqlite_merge::{self, SqliteMergeOptions};
///
/// let dir = tempfile::tempdir()?;
/// let bytes = |sql: &str| -> rusqlite::Result<Vec<u8>> {
///     let c = rusqlite::Connection::open_in_memory()?;
///     c.execute_batch(sql)?;
///     Ok(c.serialize(rusqlite::MAIN_DB)?.to_vec())
/// };
/// let schema = "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT);";
/// let base = bytes(&format!("{schema} INSERT INTO t VALUES (1, 'a'), (2, 'b');"))?;
/// let theirs = bytes(&format!("{schema} INSERT INTO t VALUES (1, 'a'), (2, 'B');"))?;
/// let live = dir.path().join("live.db");
/// let c = rusqlite::Connection::open(&live)?;
/// c.execute_batch(&format!("{schema} INSERT INTO t VALUES (1, 'A'), (2, 'b');"))?;
///
/// let applied = sqlite_merge::merge_into_file(
///     &live, &base, &theirs, "head-1", chrono::Utc::now(), SqliteMergeOptions::default(),
/// )?;
/// assert_eq!(applied.changes.updated, 1);
/// let v: Vec<String> = c.prepare("SELECT v FROM t ORDER BY id")?
///     .query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
/// assert_eq!(v, ["A", "B"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn merge_into_file(
    path: &Path,
    base: &[u8],
    theirs: &[u8],
    head: &str,
    cloud_written: chrono::DateTime<chrono::Utc>,
    options: SqliteMergeOptions,
) -> Result<Applied, Error> {
    let theirs_db = crate::sqlite::open_checked(theirs, path)?;
    merge_checked_into_file(path, base, &theirs_db, head, cloud_written, options)
}

/// [`merge_into_file`] of `theirs` already opened and checked with
/// [`open_checked`](crate::sqlite::open_checked) (a sync checks the download before it
/// backs local content up, and merges that same connection).
pub(crate) fn merge_checked_into_file(
    path: &Path,
    base: &[u8],
    theirs_db: &Connection,
    head: &str,
    cloud_written: chrono::DateTime<chrono::Utc>,
    options: SqliteMergeOptions,
) -> Result<Applied, Error> {
    let check_error = crate::sqlite::sqlite_error(Operation::CheckSqlite, path);
    let base_db = crate::sqlite_rows::open_bytes(base).map_err(&check_error)?;
    let error = sqlite_error(path);
    let mut live = Connection::open(path).map_err(&error)?;
    live.busy_timeout(crate::sqlite::BUSY_WAIT)
        .map_err(&error)?;
    let context = MergeContext {
        path,
        head,
        local_is_later: local_written(path) > cloud_written,
        options,
    };
    merge_into(&mut live, &base_db, theirs_db, &context)
}

/// When the database at `path` was last written: the newest modification time of the
/// file and its `-wal`.
fn local_written(path: &Path) -> chrono::DateTime<chrono::Utc> {
    let modified = |path: &Path| {
        std::fs::metadata(path)
            .and_then(|m| m.modified())
            .unwrap_or(std::time::SystemTime::UNIX_EPOCH)
    };
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    modified(path).max(modified(Path::new(&wal))).into()
}

/// Who the merge is for: the head being merged and which side wrote last.
struct MergeContext<'a> {
    path: &'a Path,
    head: &'a str,
    local_is_later: bool,
    options: SqliteMergeOptions,
}

type Sides = (Option<Row>, Option<Row>, Option<Row>);

/// Merges `theirs` into the live database `live` against `base` in one immediate
/// transaction (see the module docs). On any error nothing is written.
fn merge_into(
    live: &mut Connection,
    base: &Connection,
    theirs: &Connection,
    context: &MergeContext<'_>,
) -> Result<Applied, Error> {
    let error = sqlite_error(context.path);
    let tx = live
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(&error)?;
    let ours_tables = crate::sqlite_rows::tables(&tx).map_err(&error)?;
    let theirs_tables = crate::sqlite_rows::tables(theirs).map_err(&error)?;
    let base_tables = crate::sqlite_rows::tables(base).map_err(&error)?;
    let names: BTreeSet<&String> = ours_tables.keys().chain(theirs_tables.keys()).collect();
    let mut merge = TableMerger {
        context,
        tx: &tx,
        applied: Applied::default(),
    };
    for name in names {
        let diverged = |reason: &str| Error::SqliteSchemaDiverged {
            path: context.path.to_owned(),
            table: name.clone(),
            reason: reason.into(),
        };
        match (ours_tables.get(name), theirs_tables.get(name)) {
            (Some(ours), Some(theirs_schema)) => {
                if ours.sql != theirs_schema.sql {
                    return Err(diverged(
                        "its CREATE TABLE statement differs between local and remote",
                    ));
                }
                let base_rows = match base_tables.get(name) {
                    Some(schema) if schema.sql == ours.sql => {
                        crate::sqlite_rows::read_rows(base, schema).map_err(&error)?
                    }
                    _ => Rows::Absent,
                };
                let ours_rows = crate::sqlite_rows::read_rows(&tx, ours).map_err(&error)?;
                let theirs_rows =
                    crate::sqlite_rows::read_rows(theirs, theirs_schema).map_err(&error)?;
                merge.table(ours, base_rows, ours_rows, theirs_rows)?;
            }
            (None, Some(theirs_schema)) => {
                if base_tables.contains_key(name) {
                    return Err(diverged(
                        "it was dropped locally but is still on the remote",
                    ));
                }
                let rows = crate::sqlite_rows::read_rows(theirs, theirs_schema).map_err(&error)?;
                merge.create_from(theirs, theirs_schema, rows)?;
            }
            (Some(_), None) => {
                if base_tables.contains_key(name) {
                    return Err(diverged("it was dropped on the remote but is still local"));
                }
                merge.applied.differs_from_theirs = true;
            }
            (None, None) => {}
        }
    }
    let applied = merge.finish()?;
    tx.commit().map_err(&error)?;
    Ok(applied)
}

fn sqlite_error(path: &Path) -> impl Fn(rusqlite::Error) -> Error + '_ {
    crate::sqlite::sqlite_error(Operation::MergeSqlite, path)
}

struct TableMerger<'a> {
    context: &'a MergeContext<'a>,
    tx: &'a Transaction<'a>,
    applied: Applied,
}

/// Which side a conflict went to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Pick {
    Local,
    Cloud,
    Keep,
}

impl TableMerger<'_> {
    fn table(
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

    fn keyed(
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
        let whole = match self.context.options.strategy {
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

    fn unkeyed(
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
        match self.context.options.unkeyed {
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

    /// A table new on the remote: its definition, its rows, then its indexes and
    /// triggers.
    fn create_from(
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

    fn record(&mut self, conflict: RowConflict) {
        self.applied.conflicts.push(conflict);
    }

    /// Writes every conflict into the conflicts table; returns what was applied.
    fn finish(mut self) -> Result<Applied, Error> {
        if self.applied.conflicts.is_empty() {
            return Ok(self.applied);
        }
        let error = sqlite_error(self.context.path);
        self.tx.execute_batch(CONFLICTS_SQL).map_err(&error)?;
        let detected_at = chrono::Utc::now().to_rfc3339();
        let mut insert = self
            .tx
            .prepare(
                "INSERT INTO cloud_sync_conflicts(id, detected_at, cloud_head, table_name, row_key, \
                 column_name, base_value, local_value, cloud_value, outcome) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )
            .map_err(&error)?;
        for conflict in &self.applied.conflicts {
            let outcome = match &conflict.outcome {
                ConflictOutcome::CopiedCloud(table) => format!("copied_cloud:{table}"),
                other => other.word().to_owned(),
            };
            insert
                .execute(rusqlite::params![
                    uuid::Uuid::new_v4().simple().to_string(),
                    detected_at,
                    self.context.head,
                    conflict.table,
                    conflict.key,
                    conflict.column,
                    conflict.base,
                    conflict.local,
                    conflict.cloud,
                    outcome,
                ])
                .map_err(&error)?;
        }
        drop(insert);
        self.applied.differs_from_theirs = true;
        Ok(self.applied)
    }
}

/// A row as `column=value, ...` for the conflicts table.
fn row_text(schema: &TableSchema, row: &Row) -> String {
    schema
        .columns
        .iter()
        .zip(row)
        .map(|(column, cell)| format!("{column}={}", cell.text()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The insert, update and delete statements of one table, by primary key (`IS`, so a
/// NULL key cell matches too).
struct Statements {
    insert: String,
    update: String,
    delete: String,
    key: Vec<usize>,
}

impl Statements {
    fn new(schema: &TableSchema) -> Statements {
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

    fn insert(&self, tx: &Transaction<'_>, row: &Row) -> rusqlite::Result<()> {
        tx.prepare_cached(&self.insert)?
            .execute(rusqlite::params_from_iter(Self::values(row)))?;
        Ok(())
    }

    fn update(&self, tx: &Transaction<'_>, row: &Row, key: &RowKey) -> rusqlite::Result<()> {
        debug_assert_eq!(key.len(), self.key.len());
        let mut values = Self::values(row);
        values.extend(Self::values(key));
        tx.prepare_cached(&self.update)?
            .execute(rusqlite::params_from_iter(values))?;
        Ok(())
    }

    fn delete(&self, tx: &Transaction<'_>, key: &RowKey) -> rusqlite::Result<()> {
        tx.prepare_cached(&self.delete)?
            .execute(rusqlite::params_from_iter(Self::values(key)))?;
        Ok(())
    }
}
