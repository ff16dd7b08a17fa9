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
//! - Changed on both sides differently: a conflict, settled by the table's
//!   [`RowStrategy`] ([`SqliteMergeOptions`] has one for the database and overrides per
//!   table): [`RowStrategy::Merge`] combines the columns each side changed alone (a
//!   field-level merge) and hands each column changed two ways to its
//!   [`FieldFallback`]; the other strategies take one whole row. A row deleted on one
//!   side and changed on the other is a whole-row conflict; under [`FieldFallback::Keep`]
//!   the changed row stays (a delete never silently destroys an edit).
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
//! changed on both, the table's [`UnkeyedTables`] choice decides: the cloud rows, the
//! local rows, or the local rows plus a conflict copy of the cloud rows in a new table
//! `<table>_conflict_<head>` (the original design's "use cloud", "use local", "keep
//! both").
//!
//! # Schema
//!
//! Definitions are compared column by column (`PRAGMA table_xinfo`, plus the column
//! and table constraints of the `CREATE TABLE` statement with spacing, comments and
//! keyword case ignored), against the base's definition of the table:
//!
//! - **New table** on one side: a table new on the remote is created (with its indexes
//!   and triggers) and filled; a table new locally stays.
//! - **Columns added** on one or both sides (`ALTER TABLE ADD COLUMN`, or any
//!   definition that is the base's columns, unchanged and in order, plus extra ones):
//!   the merged table has the union of the columns. The live table keeps its own
//!   columns and gains the remote's additions at the end with `ALTER TABLE ADD COLUMN`
//!   (their declarations as the remote wrote them), so the order is the base's columns,
//!   then the local additions, then the remote's. A column added on both sides with the
//!   same declaration is one column. Rows are then merged as above, a side that lacks a
//!   column reading it as the column's default (NULL when it has none), which is what
//!   the added column holds in rows that never set it (so a whole-row strategy that
//!   takes the local row of a conflict also takes its default in a column only the
//!   remote has set, as it takes every other column of that row). The result depends only on the
//!   three inputs, so two devices merging the same base, local and remote contents get
//!   the same rows.
//! - **A table dropped on one side**: when the other side's rows and definition are
//!   still the base's, the table is dropped. When the other side changed it, the table
//!   stays with that side's definition and rows (an edit is never lost, and the drop
//!   is not applied): a conflict with [`ConflictOutcome::KeptTable`], no key and no
//!   column, is reported and recorded, its missing side `None` (dropped); drop the
//!   table again once its rows are dealt with. Strategies do not apply to tables.
//! - **A table only one side touched**: when its definitions cannot be united by the
//!   rule above but one side's table is still the base's (same definition, same rows),
//!   the other side's table is taken whole: the remote's replaces the local one (with
//!   its indexes and triggers), or the local one stays and is pushed next. So a column
//!   dropped, renamed or re-declared on one device merges as long as the other device
//!   left that table alone.
//! - **Anything else** fails with [`Error::SqliteSchemaDiverged`] and nothing is
//!   written (see [`SchemaDivergence`](crate::SchemaDivergence)): with both sides'
//!   tables changed, definitions that differ with no base to compare with, a base
//!   column dropped, renamed, re-declared (type, constraints, default, collation) or
//!   moved on either side, a primary key changed, table constraints or options
//!   changed, the same column added twice with different declarations, or a remote
//!   column `ALTER TABLE ADD COLUMN` cannot add (`NOT NULL` without a default,
//!   `UNIQUE`, a non-constant default). Applying the same change on both devices (or
//!   undoing it) makes the definitions merge again.
//!
//! - **Indexes, triggers and views** are merged by name on their `CREATE` statements,
//!   after the tables: created, changed or dropped on one side only, that side's
//!   (an object of a table the merge dropped goes with it); the same on both, kept;
//!   changed both ways differently, refused with
//!   [`SchemaDivergence::ObjectChangedTwoWays`](crate::SchemaDivergence::ObjectChangedTwoWays).
//!
//! ```
//! use cloud_sync::sqlite_merge::{self, SqliteMergeOptions};
//!
//! let bytes = |sql: &str| -> rusqlite::Result<Vec<u8>> {
//!     let c = rusqlite::Connection::open_in_memory()?;
//!     c.execute_batch(sql)?;
//!     Ok(c.serialize(rusqlite::MAIN_DB)?.to_vec())
//! };
//! let base = "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t VALUES (1, 'a');";
//! // The remote added `price` and set it; locally `tag` was added and `v` changed.
//! let theirs = bytes(&format!("{base} ALTER TABLE t ADD COLUMN price REAL; UPDATE t SET price = 2.5;"))?;
//! let dir = tempfile::tempdir()?;
//! let live = dir.path().join("live.db");
//! let c = rusqlite::Connection::open(&live)?;
//! c.execute_batch(&format!("{base} ALTER TABLE t ADD COLUMN tag TEXT DEFAULT 'none'; UPDATE t SET v = 'A';"))?;
//!
//! sqlite_merge::merge_into_file(
//!     &live, &bytes(base)?, &theirs, "head-1", chrono::Utc::now(), SqliteMergeOptions::default(),
//! )?;
//! let row: (i64, String, String, f64) =
//!     c.query_row("SELECT * FROM t", [], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
//! assert_eq!(row, (1, "A".to_owned(), "none".to_owned(), 2.5)); // id, v, tag, price
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod conflicts;
mod definition;
mod keyed;
mod objects;
mod options;
mod schema;
mod statements;
mod tables;
mod unkeyed;

use std::collections::BTreeSet;
use std::path::Path;

use rusqlite::{Connection, Transaction, TransactionBehavior};
use serde::Serialize;

pub use conflicts::{CONFLICTS_TABLE, ConflictOutcome, RowConflict};
pub use options::{FieldFallback, RowStrategy, SqliteMergeOptions, TableOptions, UnkeyedTables};

use crate::error::{Error, Operation};

/// Rows the merge wrote into the local database.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RowChanges {
    /// Rows inserted.
    pub inserted: usize,
    /// Rows updated.
    pub updated: usize,
    /// Rows deleted.
    pub deleted: usize,
    /// Tables created (new on the remote, dropped locally but changed on the remote,
    /// replaced by the remote's definition, or conflict copies).
    pub tables_created: usize,
    /// Tables dropped (dropped on the remote and unchanged locally, or replaced by the
    /// remote's definition).
    pub tables_dropped: usize,
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
    let target = MergeTarget {
        path,
        head,
        cloud_written,
        follow_theirs_schema: false,
    };
    merge_checked_into_file(&target, base, &theirs_db, &options)
}

/// Where a merge writes and what it merges.
pub(crate) struct MergeTarget<'a> {
    /// The live database.
    pub(crate) path: &'a Path,
    /// The head `theirs` is.
    pub(crate) head: &'a str,
    /// When `theirs` was written.
    pub(crate) cloud_written: chrono::DateTime<chrono::Utc>,
    /// Refuse ([`Error::SqliteSchemaDiverged`]) any table whose merged definition would
    /// not be `theirs`' exact one: a pull onto an unchanged database then takes the
    /// head whole, so devices converge on one definition instead of pushing variants
    /// of it back and forth.
    pub(crate) follow_theirs_schema: bool,
}

/// [`merge_into_file`] of `theirs` already opened and checked with
/// [`open_checked`](crate::sqlite::open_checked) (a sync checks the download before it
/// backs local content up, and merges that same connection).
pub(crate) fn merge_checked_into_file(
    target: &MergeTarget<'_>,
    base: &[u8],
    theirs_db: &Connection,
    options: &SqliteMergeOptions,
) -> Result<Applied, Error> {
    let path = target.path;
    let check_error = crate::sqlite::sqlite_error(Operation::CheckSqlite, path);
    let base_db = crate::sqlite::open_bytes(base).map_err(&check_error)?;
    let error = sqlite_error(path);
    let mut live = Connection::open(path).map_err(&error)?;
    live.busy_timeout(crate::sqlite::BUSY_WAIT)
        .map_err(&error)?;
    let context = MergeContext {
        path,
        head: target.head,
        local_is_later: local_written(path) > target.cloud_written,
        options,
        follow_theirs_schema: target.follow_theirs_schema,
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
    options: &'a SqliteMergeOptions,
    follow_theirs_schema: bool,
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
        let base_schema = base_tables.get(name);
        match (ours_tables.get(name), theirs_tables.get(name)) {
            (Some(ours), Some(theirs_schema)) => {
                merge.both(base, theirs, base_schema, ours, theirs_schema)?;
            }
            (None, Some(theirs_schema)) => match base_schema {
                Some(base_schema) => {
                    merge.dropped_locally(base, base_schema, theirs, theirs_schema)?;
                }
                None => {
                    let rows =
                        crate::sqlite_rows::read_rows(theirs, theirs_schema).map_err(&error)?;
                    merge.create_from(theirs, theirs_schema, rows)?;
                }
            },
            (Some(ours), None) => match base_schema {
                Some(base_schema) => merge.dropped_remotely(base, base_schema, ours)?,
                None => merge.applied.differs_from_theirs = true,
            },
            (None, None) => {}
        }
    }
    merge.merge_objects(base, theirs)?;
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
