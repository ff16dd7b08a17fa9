//! Row-level sync of a SQLite database: [`SqliteSync`].

use std::path::Path;

use chrono::{DateTime, Utc};
use rusqlite::Connection;

use crate::base_cache::BaseCache;
use crate::check::SyncStatus;
use crate::device::Device;
use crate::digest::sha256_hex;
use crate::error::{Error, Operation};
use crate::file_sync::{CheckReport, FileKind, FileSync, PushReport, Seen};
use crate::log::{Resolution, SyncKind};
use crate::manifest::RemoteHead;
use crate::push_loop::{PullBeforePush, pull_then_push};
use crate::record_sync::PullOutcome;
use crate::remote::Remote;
use crate::retry::RetryPolicy;
use crate::snapshot;
use crate::sqlite::{self, sqlite_error};
use crate::sqlite_merge::{self, RowChanges, RowConflict, SqliteMergeOptions};
use crate::sqlite_rows;
use crate::state::SyncState;

/// The result of [`SqliteSync::pull`].
#[derive(Clone, Debug)]
pub struct SqlitePullReport {
    /// How local and remote related before.
    pub status_before: SyncStatus,
    /// The remote head (`None`: nothing pushed yet).
    pub head: Option<String>,
    /// What was done: [`PullOutcome::FastForward`] (only the remote changed, applied row
    /// by row or as a whole file), [`PullOutcome::Merged`] (both changed) or
    /// [`PullOutcome::Unchanged`].
    pub outcome: PullOutcome,
    /// Every conflict the merge found, with what was done (also recorded in the
    /// database's [`sqlite_merge::CONFLICTS_TABLE`]).
    pub conflicts: Vec<RowConflict>,
    /// Rows the pull wrote into the local database (zero for a whole-file apply).
    pub changes: RowChanges,
    /// The backup id of local content saved before a merge that may replace local values
    /// ([`SqliteMergeOptions::may_discard_local`]).
    pub local_backup: Option<String>,
    /// Failures of the bookkeeping (log entry, device record, base cache).
    pub warnings: Vec<String>,
}

impl PullBeforePush for SqlitePullReport {
    fn status_before(&self) -> SyncStatus {
        self.status_before
    }

    fn head(&self) -> Option<&str> {
        self.head.as_deref()
    }
}

impl SqlitePullReport {
    /// The conflicts left open (local value kept, cloud value in the conflicts table; or a
    /// table kept that one side dropped).
    pub fn open_conflicts(&self) -> impl Iterator<Item = &RowConflict> {
        self.conflicts.iter().filter(|c| c.outcome.is_open())
    }
}

/// The result of [`SqliteSync::push`].
#[derive(Clone, Debug)]
pub struct SqlitePushReport {
    /// The pulls (merges) that preceded the successful push, one per attempt.
    pub pulls: Vec<SqlitePullReport>,
    /// The push itself.
    pub push: PushReport,
}

impl SqlitePushReport {
    /// Every conflict found by the merges of this push.
    pub fn conflicts(&self) -> impl Iterator<Item = &RowConflict> {
        self.pulls.iter().flat_map(|pull| pull.conflicts.iter())
    }
}

/// Syncs one SQLite database with one remote, row by row.
///
/// A push snapshots the live database with the online backup API (writers go on). A pull
/// with local changes merges the remote head into the live database by primary key in
/// one transaction ([`sqlite_merge`] has the rules); a pull onto an unchanged database
/// applies the remote rows the same way (so a local commit that lands meanwhile is
/// merged, not overwritten), falling back to a whole-file apply through the backup API
/// when a table's merged definition would not be the head's exact one (so devices end
/// with one definition, not variants of it pushed back and forth). The base of the merge (the last synced head's content) is
/// cached in `<file>.cloud-sync.base` and downloaded again when missing or wrong.
///
/// ```
/// use cloud_sync::{Device, Prefix, Remote, SqliteSync};
///
/// let remote = Remote::in_memory(Prefix::new("catalogue")?)?;
/// let dir = tempfile::tempdir()?;
/// let open = |name: &str| -> Result<SqliteSync, cloud_sync::Error> {
///     let device = Device::load_or_create(dir.path().join(format!("{name}.json")), name)?;
///     Ok(SqliteSync::new(remote.clone(), dir.path().join(format!("{name}.db")), device))
/// };
/// let (laptop, desktop) = (open("laptop")?, open("desktop")?);
/// let sql = |sync: &SqliteSync, sql: &str| rusqlite::Connection::open(sync.path())?.execute_batch(sql);
///
/// sql(&laptop, "CREATE TABLE items(id INTEGER PRIMARY KEY, title TEXT);
///               INSERT INTO items VALUES (1, 'lens'), (2, 'camera');")?;
/// laptop.push()?;
/// desktop.pull()?;
///
/// sql(&laptop, "UPDATE items SET title = 'lens cap' WHERE id = 1")?;
/// sql(&desktop, "INSERT INTO items VALUES (3, 'tripod')")?;
/// laptop.push()?;
/// let report = desktop.push()?; // pulls, merges row by row, pushes
/// assert_eq!(report.conflicts().count(), 0);
/// laptop.pull()?;
/// let titles: Vec<String> = rusqlite::Connection::open(laptop.path())?
///     .prepare("SELECT title FROM items ORDER BY id")?
///     .query_map([], |row| row.get(0))?
///     .collect::<Result<_, _>>()?;
/// assert_eq!(titles, ["lens cap", "camera", "tripod"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct SqliteSync {
    files: FileSync,
    base: BaseCache,
    options: SqliteMergeOptions,
    retry: RetryPolicy,
}

impl SqliteSync {
    /// Syncs the database at `path` through `remote` as `device`. The sync state lives in
    /// `<file>.cloud-sync.json`, the cached base in `<file>.cloud-sync.base`.
    pub fn new(remote: Remote, path: impl Into<std::path::PathBuf>, device: Device) -> SqliteSync {
        let files = FileSync::new(remote, path, FileKind::Sqlite, device);
        let base = BaseCache::next_to(files.path());
        SqliteSync {
            files,
            base,
            options: SqliteMergeOptions::default(),
            retry: RetryPolicy::default(),
        }
    }

    /// How conflicts are settled by [`pull`](Self::pull) and [`push`](Self::push), for
    /// the whole database and per table ([`SqliteMergeOptions::with_table_strategy`]).
    pub fn with_options(mut self, options: SqliteMergeOptions) -> SqliteSync {
        self.options = options;
        self
    }

    /// How often a push that lost the race for the head pulls, merges and tries again.
    pub fn with_retry(mut self, retry: RetryPolicy) -> SqliteSync {
        self.retry = retry;
        self
    }

    /// The whole-file sync underneath (backups, log, restore, check).
    pub fn files(&self) -> &FileSync {
        &self.files
    }

    /// The local database.
    pub fn path(&self) -> &Path {
        self.files.path()
    }

    /// The cached base file.
    pub fn base_path(&self) -> &Path {
        self.base.path()
    }

    /// A consistent snapshot of the live database (the bytes a push would upload, taken
    /// with the online backup API); `None` when the database does not exist.
    pub fn snapshot(&self) -> Result<Option<Vec<u8>>, Error> {
        self.files.local_content()
    }

    /// How local and remote relate (see [`FileSync::check`]).
    pub fn check(&self) -> Result<CheckReport, Error> {
        self.files.check()
    }

    /// Brings the remote head into the local database with the configured options.
    pub fn pull(&self) -> Result<SqlitePullReport, Error> {
        self.pull_with(self.options.clone())
    }

    /// Brings the remote head into the local database: row by row in one transaction
    /// when the database exists (merging when both changed), as a whole file when it
    /// does not. Holds the `<file>.lock` sidecar so two syncs of one file do not overlap.
    pub fn pull_with(&self, options: SqliteMergeOptions) -> Result<SqlitePullReport, Error> {
        let _guard = self.files.lock_local()?;
        let seen = self.files.see()?;
        self.pull_seen(&options, &seen).map(|(report, _)| report)
    }

    /// The pull, under the lock the caller holds, from what it has read. Also says
    /// whether local content or the sync state changed (`false`: `seen` still holds).
    fn pull_seen(
        &self,
        options: &SqliteMergeOptions,
        seen: &Seen,
    ) -> Result<(SqlitePullReport, bool), Error> {
        let status = seen.status;
        let Some(remote) = &seen.remote else {
            return Ok((report(status, None, PullOutcome::Unchanged), false));
        };
        let head = Some(remote.manifest.head.clone());
        let pulled = match (status, &seen.content, &seen.local_sha256) {
            (SyncStatus::UpToDate, Some(_), Some(local_sha256)) => {
                self.files.adopt(seen.base.as_ref(), remote, local_sha256)?;
                report(status, head, PullOutcome::Unchanged)
            }
            (SyncStatus::Ahead | SyncStatus::NoRemoteHead | SyncStatus::UpToDate, _, _) => {
                return Ok((report(status, head, PullOutcome::Unchanged), false));
            }
            (_, None, _) => self.take_remote(status, remote, None)?,
            (_, Some(local), _) => {
                self.merge(status, local, seen.base.as_ref(), remote, options)?
            }
        };
        Ok((pulled, true))
    }

    /// Publishes the local database: pulls (merging as needed) and pushes; when another
    /// device wins the head in between, pulls, merges and tries again with bounded
    /// backoff ([`RetryPolicy`]).
    ///
    /// Each attempt holds the `<file>.lock` sidecar from the pull to the end of the push
    /// and snapshots the database once, or twice when the pull changed it: the snapshot
    /// the push uploads is the one it hashed, and it becomes the cached base.
    pub fn push(&self) -> Result<SqlitePushReport, Error> {
        let (pulls, push) = pull_then_push(
            &self.files,
            &self.base,
            &self.retry,
            || self.files.lock_local(),
            || {
                let seen = self.files.see()?;
                let (pulled, changed) = self.pull_seen(&self.options, &seen)?;
                Ok((pulled, seen, changed))
            },
        )?;
        Ok(SqlitePushReport { pulls, push })
    }

    /// Whole-file apply through the backup API (nothing local, or a schema change onto
    /// an unchanged database).
    fn take_remote(
        &self,
        status: SyncStatus,
        remote: &RemoteHead,
        downloaded: Option<Vec<u8>>,
    ) -> Result<SqlitePullReport, Error> {
        let downloaded = match downloaded {
            Some(bytes) => bytes,
            None => self.download_head(remote)?,
        };
        let mut done = report(
            status,
            Some(remote.manifest.head.clone()),
            PullOutcome::FastForward,
        );
        // A verified download of the head: its content is the new base.
        self.base.put(&downloaded, &mut done.warnings);
        let local_after = self.files.apply(&downloaded)?;
        self.files.save_state(&remote.manifest, &local_after)?;
        done.warnings.extend(self.files.bookkeeping(
            SyncKind::Pull,
            &remote.manifest.head,
            &local_after,
            false,
            Resolution::NoConflict,
            "pulled the whole database",
        ));
        Ok(done)
    }

    fn merge(
        &self,
        status: SyncStatus,
        local: &[u8],
        base: Option<&SyncState>,
        remote: &RemoteHead,
        options: &SqliteMergeOptions,
    ) -> Result<SqlitePullReport, Error> {
        let theirs = self.download_head(remote)?;
        let mut warnings = Vec::new();
        let base_bytes = match base {
            // Only a head the remote's history names is a common ancestor (as for SDN
            // stores); without one the merge runs against an empty database: rows are
            // united, and rows both sides hold differently are conflicts.
            Some(state) if remote.manifest.descends_from(&state.head) => {
                self.base.content(&self.files, state, &mut warnings)?
            }
            _ => Vec::new(),
        };
        let path = self.path();
        // Checked before anything else is done with it; the merge reads this connection.
        let theirs_db = sqlite::open_checked(&theirs, path)?;
        let local_backup = if status == SyncStatus::Diverged && options.may_discard_local() {
            Some(self.files.back_up_local(local, base)?)
        } else {
            None
        };
        // An unreadable stamp: the local write is the one known to have happened.
        let cloud_written = DateTime::parse_from_rfc3339(&remote.manifest.stamp)
            .map(|stamp| stamp.with_timezone(&Utc))
            .unwrap_or(DateTime::<Utc>::MIN_UTC);
        let target = sqlite_merge::MergeTarget {
            path,
            head: &remote.manifest.head,
            cloud_written,
            follow_theirs_schema: status == SyncStatus::Behind,
        };
        let merged =
            sqlite_merge::merge_checked_into_file(&target, &base_bytes, &theirs_db, options);
        let applied = match merged {
            Err(Error::SqliteSchemaDiverged { .. }) if status == SyncStatus::Behind => {
                return self.take_remote(status, remote, Some(theirs));
            }
            other => other?,
        };

        self.base.put(&theirs, &mut warnings);
        let local_after = self.record_merged(remote, &theirs_db, applied.differs_from_theirs)?;
        let merged = status == SyncStatus::Diverged;
        let open = applied
            .conflicts
            .iter()
            .filter(|c| c.outcome.is_open())
            .count();
        let message = format!(
            "{} remote rows: {} inserted, {} updated, {} deleted; {} conflict(s), {open} left open",
            if merged { "merged" } else { "applied" },
            applied.changes.inserted,
            applied.changes.updated,
            applied.changes.deleted,
            applied.conflicts.len(),
        );
        warnings.extend(self.files.bookkeeping(
            if merged {
                SyncKind::Merge
            } else {
                SyncKind::Pull
            },
            &remote.manifest.head,
            &local_after,
            !applied.conflicts.is_empty(),
            if merged {
                Resolution::Merged
            } else {
                Resolution::NoConflict
            },
            &message,
        ));
        Ok(SqlitePullReport {
            status_before: status,
            head: Some(remote.manifest.head.clone()),
            outcome: if merged {
                PullOutcome::Merged
            } else {
                PullOutcome::FastForward
            },
            conflicts: applied.conflicts,
            changes: applied.changes,
            local_backup,
            warnings,
        })
    }

    /// Saves the sync state after a row-level apply; returns the local hash recorded.
    ///
    /// When the merge holds nothing the head lacks, the database is checked row for row
    /// against the head after the commit: equal, its hash is recorded as in sync (so the
    /// next check says "up to date", not "ahead"). Otherwise (local-only rows, or a
    /// local writer that committed right after the merge) the head's own hash is
    /// recorded, so the database reads as "ahead" and the next push publishes it.
    fn record_merged(
        &self,
        remote: &RemoteHead,
        theirs_db: &Connection,
        differs_from_theirs: bool,
    ) -> Result<String, Error> {
        let head = &remote.manifest;
        if !differs_from_theirs {
            let after = sqlite::snapshot(self.path())?;
            let error = sqlite_error(Operation::CheckSqlite, self.path());
            let after_db = sqlite::open_bytes(&after).map_err(&error)?;
            let same = sqlite_rows::read_all(&after_db).map_err(&error)?
                == sqlite_rows::read_all(theirs_db).map_err(&error)?;
            if same {
                let local_sha256 = sha256_hex(&after);
                self.files.save_state(head, &local_sha256)?;
                return Ok(local_sha256);
            }
        }
        self.files.save_state(head, &head.snapshot.sha256)?;
        Ok(head.snapshot.sha256.clone())
    }

    fn download_head(&self, remote: &RemoteHead) -> Result<Vec<u8>, Error> {
        snapshot::download(
            self.files.remote(),
            &remote.manifest.snapshot,
            self.files.limits(),
        )
    }
}

fn report(status: SyncStatus, head: Option<String>, outcome: PullOutcome) -> SqlitePullReport {
    SqlitePullReport {
        status_before: status,
        head,
        outcome,
        conflicts: Vec::new(),
        changes: RowChanges::default(),
        local_backup: None,
        warnings: Vec::new(),
    }
}
