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

mod conflicts;
mod keyed;
mod options;
mod statements;
mod tables;
mod unkeyed;

use std::collections::BTreeSet;
use std::path::Path;

use rusqlite::{Connection, Transaction, TransactionBehavior};
use serde::Serialize;

pub use conflicts::{CONFLICTS_TABLE, ConflictOutcome, RowConflict};
pub use options::{FieldFallback, RowStrategy, SqliteMergeOptions, UnkeyedTables};

use crate::error::{Error, Operation, SchemaDivergence};
use crate::sqlite_rows::Rows;

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
    let base_db = crate::sqlite::open_bytes(base).map_err(&check_error)?;
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
        let diverged = |reason| Error::SqliteSchemaDiverged {
            path: context.path.to_owned(),
            table: name.clone(),
            reason,
        };
        match (ours_tables.get(name), theirs_tables.get(name)) {
            (Some(ours), Some(theirs_schema)) => {
                if ours.sql != theirs_schema.sql {
                    return Err(diverged(SchemaDivergence::CreateStatementDiffers));
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
                    return Err(diverged(SchemaDivergence::DroppedLocally));
                }
                let rows = crate::sqlite_rows::read_rows(theirs, theirs_schema).map_err(&error)?;
                merge.create_from(theirs, theirs_schema, rows)?;
            }
            (Some(_), None) => {
                if base_tables.contains_key(name) {
                    return Err(diverged(SchemaDivergence::DroppedRemotely));
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
