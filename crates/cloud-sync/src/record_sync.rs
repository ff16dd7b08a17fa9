//! Record-level sync of an SDN record store: [`RecordSync`].

use std::io;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use file_lock::LockGuard;
use record_store::{ChangeSet, RowKeys, Store};
use versioning::KeptConflict;
use versioning::merge::{self, MergeOptions};

use crate::base_cache::BaseCache;
use crate::check::SyncStatus;
use crate::device::Device;
use crate::digest::sha256_hex;
use crate::error::{Error, Operation};
use crate::file_sync::{CheckReport, FileKind, FileSync, PullReport, PushReport, Seen};
use crate::local_fs;
use crate::log::{Resolution, SyncKind};
use crate::manifest::{Manifest, RemoteHead};
use crate::push_loop::{PullBeforePush, pull_then_push};
use crate::remote::Remote;
use crate::retry::RetryPolicy;
use crate::snapshot;
use crate::state::SyncState;

/// Which side a pull keeps when local and remote both changed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Prefer {
    /// Three-way merge record by record; fields changed two ways are kept in the
    /// conflicts table (the default).
    #[default]
    Merge,
    /// Keep local content as it is; the next push publishes it over the remote head
    /// (which stays restorable as a backup).
    Local,
    /// Take the remote head; local content is uploaded as a backup first.
    Cloud,
}

/// What a pull did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PullOutcome {
    /// Nothing to do: local content already is the head, or only local changed, or the
    /// remote has no head yet.
    Unchanged,
    /// Local content was unchanged since the last sync and became the head's.
    FastForward,
    /// Both changed; the head was merged into local content.
    Merged,
    /// Both changed; local content was kept ([`Prefer::Local`]).
    KeptLocal,
    /// Both changed; local content was replaced by the head ([`Prefer::Cloud`]).
    UsedCloud,
}

/// The result of [`RecordSync::pull`].
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct RecordPullReport {
    /// How local and remote related before.
    pub status_before: SyncStatus,
    /// The remote head (`None`: nothing pushed yet).
    pub head: Option<String>,
    /// What was done.
    pub outcome: PullOutcome,
    /// Field conflicts the merge kept in the conflicts table.
    pub conflicts: Vec<KeptConflict>,
    /// The backup id of local content saved before [`Prefer::Cloud`] replaced it.
    pub local_backup: Option<String>,
    /// Failures of the bookkeeping (log entry, device record, base cache).
    pub warnings: Vec<String>,
    /// What the pull changed in the local store, as record-store's commit pipeline
    /// collected it (and the store's pre-commit hooks saw it): rows inserted, updated
    /// and removed per table, matched by the merge's key columns. Empty when local
    /// content did not change.
    pub changes: ChangeSet,
}

impl PullBeforePush for RecordPullReport {
    fn status_before(&self) -> SyncStatus {
        self.status_before
    }

    fn head(&self) -> Option<&str> {
        self.head.as_deref()
    }
}

/// The result of [`RecordSync::push`].
#[derive(Clone, Debug)]
pub struct RecordPushReport {
    /// The pulls (merges) that preceded the successful push, one per attempt.
    pub pulls: Vec<RecordPullReport>,
    /// The push itself.
    pub push: PushReport,
}

impl RecordPushReport {
    /// Every conflict kept by the merges of this push.
    pub fn conflicts(&self) -> impl Iterator<Item = &KeptConflict> {
        self.pulls.iter().flat_map(|pull| pull.conflicts.iter())
    }
}

/// Syncs one SDN record store with one remote, record by record.
///
/// # How a pull is applied
///
/// A pull that changes local content (a fast-forward, a merge, [`Prefer::Cloud`])
/// commits it through record-store's commit pipeline, like any local write:
/// [`Store::commit`] with [`Transaction::replace_text`](record_store::Transaction::replace_text).
/// So the file is replaced under the store's own writer lock, atomically and durably,
/// with exactly the text the merge produced (or the head's content), byte for byte,
/// which is what makes devices converge; the process's snapshot cache is published with
/// the new version; and the store's pre-commit hooks see the pull as a change set (rows
/// inserted, updated and removed per table, matched by the merge's key columns), which
/// [`RecordPullReport::changes`] also returns. A hook may veto a pull (nothing local
/// changes, [`Error::Store`]) or amend it: the amendment is written on top of the merge
/// and, differing from the head, is pushed next like any local change. Give the handle
/// your program uses, with its hooks, to [`RecordSync::for_store`]; [`RecordSync::new`]
/// opens a plain handle (no hooks) on its first pull and keeps it, so the process's
/// cached version of the store (kept as long as a handle of it is) is there for the next
/// pull: a pull that changes one record then edits that version in place instead of
/// parsing the whole file twice (see `Transaction::replace_text`).
///
/// Local writers are not held up by the network: the pull reads local content, downloads
/// and merges without the store's lock, and only its commit takes the lock. Inside the
/// commit it checks that local content is still what it merged; if a local writer
/// committed meanwhile, it decides and merges again there, from the new local content
/// and the head it already downloaded. Either way no local commit is lost, and readers
/// see the complete old or the complete new file (a crash in between leaves one of
/// them). A store record-store cannot read is never overwritten by a pull (a whole-file
/// [`FileSync::pull_file`] or [`FileSync::restore`] replaces it).
///
/// Sync operations on one store are serialised among themselves by a lock on the sync
/// state (`<file>.cloud-sync.json.lock`), which orders their sync-state and base-cache
/// writes; record-store writers never take it. A push holds it from its pull to the end
/// of the push. The whole-file operations of [`RecordSync::files`] (`push_file`,
/// `pull_file`, `restore`) take the store's writer lock instead and bypass the pipeline;
/// for a record store use this type's [`pull`](RecordSync::pull),
/// [`push`](RecordSync::push) and [`restore`](RecordSync::restore).
///
/// # The base
///
/// The three-way merge needs the content of the last synced head. It is cached next to
/// the store in `<file>.cloud-sync.base` (replaced atomically but not flushed: it is a
/// cache, so a power loss may cost it but nothing else) and only trusted when its
/// sha256 is the one the sync state records; otherwise the immutable snapshot of that
/// head is downloaded again (found through the backup entries). A base is only used when
/// the remote's history names it (a backup of our own push that lost the race is not a
/// common ancestor); without one the merge runs against an empty store, uniting the
/// records. A crash at any point leaves a base that is right or fetched again: a merge
/// caches the head as the base before its commit and records the new state after it.
#[derive(Debug)]
pub struct RecordSync {
    files: FileSync,
    base: BaseCache,
    merge_options: MergeOptions,
    retry: RetryPolicy,
    /// The handle pulls commit through: the one given, else a plain one opened by the
    /// first pull and kept (dropping it would drop the cached version of the store).
    store: OnceLock<Store>,
}

/// What a pull decided from what it saw, before anything local changed.
struct Plan {
    report: RecordPullReport,
    /// What local content becomes, when the pull changes it: the merge or the head's
    /// content.
    text: Option<String>,
    /// The head's content, once downloaded (reused when the pull is decided again).
    theirs: Option<Vec<u8>>,
    /// What is recorded once local content is what the pull makes it.
    then: Then,
}

/// The bookkeeping of a pull, after its commit.
enum Then {
    /// Nothing changed; nothing to record.
    Nothing,
    /// Local content already is the head's: record the head as synced (if it is not),
    /// and cache local content as the base when the cache lacks it.
    Adopt {
        remote: Box<RemoteHead>,
        base: Option<SyncState>,
        local_sha256: String,
        cache: Option<Vec<u8>>,
    },
    /// Local changes kept over the head: record the head as their base.
    KeptLocal {
        manifest: Box<Manifest>,
        local_sha256: String,
    },
    /// The head merged into local content: record the head as its base.
    Merged {
        manifest: Box<Manifest>,
        merged_sha256: String,
        conflicts: usize,
    },
    /// Local content became the head's: record it and cache it as the base.
    TookRemote {
        manifest: Box<Manifest>,
        resolution: Resolution,
    },
}

/// The error of a pull's commit closure: the sync's own, or the store's.
enum Pulling {
    Sync(Error),
    Store(record_store::Error),
}

impl From<Error> for Pulling {
    fn from(error: Error) -> Self {
        Pulling::Sync(error)
    }
}

impl From<record_store::Error> for Pulling {
    fn from(error: record_store::Error) -> Self {
        Pulling::Store(error)
    }
}

impl RecordSync {
    /// Syncs the store at `path` through `remote` as `device`. The sync state lives in
    /// `<file>.cloud-sync.json`, the cached base in `<file>.cloud-sync.base`. Pulls
    /// commit through a plain record-store handle (no pre-commit hooks; see
    /// [`RecordSync::for_store`]) opened by the first pull and kept.
    pub fn new(remote: Remote, path: impl Into<PathBuf>, device: Device) -> RecordSync {
        let files = FileSync::new(remote, path, FileKind::Plain, device);
        let base = BaseCache::next_to(files.path());
        RecordSync {
            files,
            base,
            merge_options: MergeOptions::default(),
            retry: RetryPolicy::default(),
            store: OnceLock::new(),
        }
    }

    /// Syncs the file of `store` as [`RecordSync::new`] does, committing pulls through
    /// this handle: its pre-commit hooks ([`Store::with_pre_commit`]) see every pull's
    /// change set and may veto or amend it, and its settings (lock timeout, durability)
    /// apply.
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use cloud_sync::{Device, Prefer, Prefix, RecordSync, Remote};
    /// use record_store::Store;
    ///
    /// let dir = tempfile::tempdir()?;
    /// let remote = Remote::in_memory(Prefix::new("todo")?)?;
    /// let device = |name: &str| Device::load_or_create(dir.path().join(format!("{name}.json")), name);
    /// let (path_a, path_b) = (dir.path().join("a.sdn"), dir.path().join("b.sdn"));
    /// std::fs::write(&path_a, "todos |id, title|\n    1, write docs\n")?;
    /// RecordSync::new(remote.clone(), &path_a, device("a")?).push()?;
    ///
    /// // Device b's program watches every commit to its store, pulls included.
    /// let seen = Arc::new(Mutex::new(Vec::new()));
    /// let watch = Arc::clone(&seen);
    /// let store = Store::open(&path_b)?.with_pre_commit(move |_, changes| {
    ///     for (table, rows) in changes.tables() {
    ///         for row in &rows.inserted {
    ///             watch.lock().unwrap().push(format!("{table} {}", row.key));
    ///         }
    ///     }
    ///     Ok(())
    /// });
    /// let pulled = RecordSync::for_store(remote, store, device("b")?).pull(Prefer::Merge)?;
    /// assert_eq!(*seen.lock().unwrap(), ["todos 1"]);
    /// assert_eq!(pulled.changes.table("todos").unwrap().inserted[0].key, "1");
    /// assert_eq!(std::fs::read_to_string(&path_b)?, "todos |id, title|\n    1, write docs\n");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn for_store(remote: Remote, store: Store, device: Device) -> RecordSync {
        let mut sync = RecordSync::new(remote, store.path(), device);
        sync.store = OnceLock::from(store);
        sync
    }

    /// Per-table column names and key columns for the merge (as for the store). The key
    /// columns also match the rows of a pull's change set.
    pub fn with_merge_options(mut self, options: MergeOptions) -> RecordSync {
        self.merge_options = options;
        self
    }

    /// How often a push that lost the race for the head pulls, merges and tries again.
    pub fn with_retry(mut self, retry: RetryPolicy) -> RecordSync {
        self.retry = retry;
        self
    }

    /// The whole-file sync underneath (backups, log, restore, check).
    pub fn files(&self) -> &FileSync {
        &self.files
    }

    /// The local store.
    pub fn path(&self) -> &Path {
        self.files.path()
    }

    /// The cached base file.
    pub fn base_path(&self) -> &Path {
        self.base.path()
    }

    /// How local and remote relate (see [`FileSync::check`]).
    pub fn check(&self) -> Result<CheckReport, Error> {
        self.files.check()
    }

    /// Brings the remote head into local content: fast-forward when local content is
    /// unchanged since the last sync, otherwise as `prefer` says. A change to local
    /// content is committed through the store's commit pipeline (see [`RecordSync`]).
    pub fn pull(&self, prefer: Prefer) -> Result<RecordPullReport, Error> {
        let _guard = self.lock_sync()?;
        self.pull_locked(prefer).map(|(report, _, _)| report)
    }

    /// Publishes local content: pulls (merging as needed) and pushes, and when another
    /// device wins the head in between, pulls, merges and tries again with bounded
    /// backoff ([`RetryPolicy`]). Fails with [`Error::LostRace`] only when every attempt
    /// lost.
    ///
    /// Each attempt holds the sync lock from the pull to the end of the push, and local
    /// content is read, hashed and the manifest fetched once: a push with nothing to
    /// publish is one request. What is pushed is what the pull committed, or a later
    /// local commit on top of it.
    pub fn push(&self) -> Result<RecordPushReport, Error> {
        let (pulls, push) = pull_then_push(
            &self.files,
            &self.base,
            &self.retry,
            || self.lock_sync(),
            || self.pull_locked(Prefer::Merge),
        )?;
        Ok(RecordPushReport { pulls, push })
    }

    /// [`FileSync::restore`] for a record store: makes the backup of head `head` the new
    /// remote head and commits its content to the local store through the store's
    /// commit pipeline, as a pull does (its hooks see the change set). Refused when
    /// local content has changes not on the remote. A local commit that lands between
    /// the check and the local apply is kept, not overwritten: the remote head is then
    /// the restored version, local content is left as it is
    /// ([`PullReport::applied`](crate::PullReport::applied) is `false`), and the next
    /// sync merges the two. A local store record-store cannot read fails with
    /// [`Error::Store`] before anything changes ([`FileSync::restore`] replaces it
    /// whole).
    pub fn restore(&self, head: &str) -> Result<PullReport, Error> {
        let _guard = self.lock_sync()?;
        let store = self.store(head)?;
        // A store the commit could not read fails here, before the remote head moves.
        store
            .read()
            .map_err(|error| self.commit_error(Pulling::Store(error), head))?;
        let keys = self.row_keys();
        self.files.restore_with(head, &mut |content, checked| {
            let text = self.text(content, "the restored backup")?;
            let committed = store.commit(|tx| -> Result<bool, Pulling> {
                if self.files.local_content()?.as_deref() != checked {
                    return Ok(false);
                }
                tx.replace_text(text.as_str(), &keys)?;
                Ok(true)
            });
            match committed {
                Ok(committed) => Ok(committed.value.then(|| sha256_hex(content))),
                Err(error) => Err(self.commit_error(error, head)),
            }
        })
    }

    /// The error of a commit made for remote head `head`.
    fn commit_error(&self, error: Pulling, head: &str) -> Error {
        match error {
            Pulling::Sync(error) => error,
            Pulling::Store(source) => Error::Store {
                path: self.path().to_owned(),
                head: head.to_owned(),
                source: Box::new(source),
            },
        }
    }

    /// The lock that serialises this store's sync operations (see [`RecordSync`]).
    fn lock_sync(&self) -> Result<LockGuard, Error> {
        local_fs::lock(self.files.state_path(), Operation::LockLocal)
    }

    /// The pull, under the sync lock: reads local content and the head, decides, and
    /// commits what changes. Returns what it read last and whether local content or the
    /// sync state changed (`false`: what it read still holds).
    fn pull_locked(&self, prefer: Prefer) -> Result<(RecordPullReport, Seen, bool), Error> {
        let seen = self.files.see()?;
        let mut plan = self.plan(prefer, &seen, None)?;
        if plan.text.is_none() {
            let changed = !matches!(plan.then, Then::Nothing);
            let report = self.record(plan)?;
            return Ok((report, seen, changed));
        }
        let head = plan.report.head.clone().unwrap_or_default();
        let store = self.store(&head)?;
        let keys = self.row_keys();
        let committed = store.commit(|tx| -> Result<_, Pulling> {
            // Under the store's writer lock the file is the version the transaction read.
            let mut reseen = None;
            if self.files.local_content()? != seen.content {
                // A local writer committed since the pull read local content: decide
                // again from what is there now, against the head already read.
                let now = self.files.see_with(seen.remote.clone())?;
                plan = self.plan(prefer, &now, plan.theirs.take())?;
                reseen = Some(now);
            }
            if let (Then::Merged { .. }, Some(theirs)) = (&plan.then, &plan.theirs) {
                // Base first: a crash after it leaves the old state, whose hash no longer
                // matches the cached base, so the right base is fetched again.
                self.base.put(theirs, &mut plan.report.warnings);
            }
            if let Some(text) = &plan.text {
                tx.replace_text(text.as_str(), &keys)?;
            }
            Ok(reseen)
        });
        let reseen = committed
            .map_err(|error| self.commit_error(error, &head))
            .map(|committed| {
                plan.report.changes = committed.changes;
                committed.value
            })?;
        let changed = !matches!(plan.then, Then::Nothing);
        let report = self.record(plan)?;
        Ok((report, reseen.unwrap_or(seen), changed))
    }

    /// Decides the pull from what was read: downloads and merges as needed, backs local
    /// content up before [`Prefer::Cloud`] replaces it, and changes nothing local.
    /// `theirs` is the head's content when it was downloaded already.
    fn plan(&self, prefer: Prefer, seen: &Seen, theirs: Option<Vec<u8>>) -> Result<Plan, Error> {
        let status = seen.status;
        let nothing = |head, outcome| Plan {
            report: report(status, head, outcome),
            text: None,
            theirs: None,
            then: Then::Nothing,
        };
        let Some(remote) = &seen.remote else {
            return Ok(nothing(None, PullOutcome::Unchanged));
        };
        let head = Some(remote.manifest.head.clone());
        let manifest = || Box::new(remote.manifest.clone());
        match (status, &seen.content, &seen.local_sha256) {
            (SyncStatus::UpToDate, Some(local), Some(local_sha256)) => {
                let cache = (*local_sha256 == remote.manifest.snapshot.sha256
                    && !self.base.has_len(local.len()))
                .then(|| local.clone());
                Ok(Plan {
                    then: Then::Adopt {
                        remote: Box::new(remote.clone()),
                        base: seen.base.clone(),
                        local_sha256: local_sha256.clone(),
                        cache,
                    },
                    ..nothing(head, PullOutcome::Unchanged)
                })
            }
            (SyncStatus::Diverged, Some(local), Some(local_sha256)) => match prefer {
                Prefer::Merge => self.plan_merge(local, seen.base.as_ref(), remote, theirs),
                Prefer::Local => Ok(Plan {
                    then: Then::KeptLocal {
                        manifest: manifest(),
                        local_sha256: local_sha256.clone(),
                    },
                    ..nothing(head, PullOutcome::KeptLocal)
                }),
                Prefer::Cloud => {
                    let backup_id = self.files.back_up_local(local, seen.base.as_ref())?;
                    let mut plan =
                        self.plan_take_remote(status, remote, Resolution::UsedCloud, theirs)?;
                    plan.report.outcome = PullOutcome::UsedCloud;
                    plan.report.local_backup = Some(backup_id);
                    Ok(plan)
                }
            },
            (SyncStatus::Ahead | SyncStatus::NoRemoteHead | SyncStatus::UpToDate, _, _) => {
                Ok(nothing(head, PullOutcome::Unchanged))
            }
            // Behind, or nothing local: taking the head loses nothing.
            _ => self.plan_take_remote(status, remote, Resolution::NoConflict, theirs),
        }
    }

    fn plan_take_remote(
        &self,
        status: SyncStatus,
        remote: &RemoteHead,
        resolution: Resolution,
        theirs: Option<Vec<u8>>,
    ) -> Result<Plan, Error> {
        let theirs = match theirs {
            Some(theirs) => theirs,
            None => self.download_head(remote)?,
        };
        Ok(Plan {
            report: report(
                status,
                Some(remote.manifest.head.clone()),
                PullOutcome::FastForward,
            ),
            text: Some(self.text(&theirs, "the remote head")?),
            theirs: Some(theirs),
            then: Then::TookRemote {
                manifest: Box::new(remote.manifest.clone()),
                resolution,
            },
        })
    }

    fn plan_merge(
        &self,
        local: &[u8],
        base: Option<&SyncState>,
        remote: &RemoteHead,
        theirs: Option<Vec<u8>>,
    ) -> Result<Plan, Error> {
        let theirs = match theirs {
            Some(theirs) => theirs,
            None => self.download_head(remote)?,
        };
        let mut warnings = Vec::new();
        let base_text = match base {
            // Only a head the remote's history names is a common ancestor. A base rebuilt
            // from the backup entry of our own push that lost the race (or one a
            // non-enforcing server let another device overwrite) is not: merging against
            // it would read the other side as having deleted our records.
            Some(state) if remote.manifest.descends_from(&state.head) => {
                self.base.content(&self.files, state, &mut warnings)?
            }
            // No common ancestor known (never synced, our push was overwritten, or the
            // base is older than the remembered history): merge against an empty store.
            // Records are united and fields both hold differently are kept as conflicts;
            // nothing is lost, but a record deleted on one side comes back.
            _ => Vec::new(),
        };
        let merged = merge::merge(
            &self.text(&base_text, "the base")?,
            &self.text(local, "local content")?,
            &self.text(&theirs, "the remote head")?,
            &self.merge_options,
        )
        .map_err(|source| Error::Merge {
            path: self.path().to_owned(),
            head: remote.manifest.head.clone(),
            source: Box::new(source),
        })?;
        let conflicts = merged.conflicts.len();
        Ok(Plan {
            report: RecordPullReport {
                status_before: SyncStatus::Diverged,
                head: Some(remote.manifest.head.clone()),
                outcome: PullOutcome::Merged,
                conflicts: merged.conflicts,
                local_backup: None,
                warnings,
                changes: ChangeSet::default(),
            },
            then: Then::Merged {
                manifest: Box::new(remote.manifest.clone()),
                merged_sha256: sha256_hex(merged.text.as_bytes()),
                conflicts,
            },
            text: Some(merged.text),
            theirs: Some(theirs),
        })
    }

    /// Records what the pull did, once local content is what it made it: the sync
    /// state, the base cache, the log entry and the device record. The state is saved
    /// after the commit: a crash before it leaves the old state, and the next sync sees
    /// local content as changed and merges again (which changes nothing).
    fn record(&self, plan: Plan) -> Result<RecordPullReport, Error> {
        let Plan {
            mut report,
            theirs,
            then,
            ..
        } = plan;
        match then {
            Then::Nothing => {}
            Then::Adopt {
                remote,
                base,
                local_sha256,
                cache,
            } => {
                self.files.adopt(base.as_ref(), &remote, &local_sha256)?;
                if let Some(local) = cache {
                    self.base.put(&local, &mut report.warnings);
                }
            }
            Then::KeptLocal {
                manifest,
                local_sha256,
            } => {
                // Recording the head as the base turns "diverged" into "ahead": the next
                // push publishes local content; the head stays a backup.
                self.record_base_with_local_changes(&manifest)?;
                report.warnings.extend(self.files.bookkeeping(
                    SyncKind::Pull,
                    &manifest.head,
                    &local_sha256,
                    true,
                    Resolution::UsedLocal,
                    "kept local changes over the remote head",
                ));
            }
            Then::Merged {
                manifest,
                merged_sha256,
                conflicts,
            } => {
                self.record_base_with_local_changes(&manifest)?;
                let message = format!(
                    "merged remote head into local records; {conflicts} field conflict(s) kept"
                );
                report.warnings.extend(self.files.bookkeeping(
                    SyncKind::Merge,
                    &manifest.head,
                    &merged_sha256,
                    conflicts > 0,
                    Resolution::Merged,
                    &message,
                ));
            }
            Then::TookRemote {
                manifest,
                resolution,
            } => {
                let theirs = theirs.unwrap_or_default();
                // The cache is written after the durable commit (whose flush then does
                // not wait for it) and while the state, log entry and device record are
                // written. Local content is the head's: its hash is the head's.
                let (cached, recorded) = std::thread::scope(|scope| {
                    let cached = scope.spawn(|| {
                        let mut warnings = Vec::new();
                        self.base.put(&theirs, &mut warnings);
                        warnings
                    });
                    let recorded = self.files.record_and_log(
                        &manifest,
                        &manifest.snapshot.sha256,
                        SyncKind::Pull,
                        resolution,
                        "pulled",
                    );
                    (cached.join(), recorded)
                });
                report.warnings.extend(recorded?);
                report.warnings.extend(
                    cached.unwrap_or_else(|_| vec!["base cache: its thread panicked".into()]),
                );
            }
        }
        Ok(report)
    }

    /// Records `head` as the base of local content that still has changes of its own
    /// (merged or kept): the state's local hash is the head's content hash, so local
    /// content reads as "ahead" (pushed next) unless it equals the head.
    fn record_base_with_local_changes(&self, head: &Manifest) -> Result<(), Error> {
        self.files.save_state(head, &head.snapshot.sha256)
    }

    /// The handle a pull of head `head` commits through.
    fn store(&self, head: &str) -> Result<Store, Error> {
        if let Some(store) = self.store.get() {
            return Ok(store.clone());
        }
        let store = Store::open(self.path()).map_err(|source| Error::Store {
            path: self.path().to_owned(),
            head: head.to_owned(),
            source: Box::new(source),
        })?;
        Ok(self.store.get_or_init(|| store).clone())
    }

    /// The key column of each table, as the merge matches rows.
    fn row_keys(&self) -> RowKeys {
        self.merge_options
            .tables
            .iter()
            .filter_map(|(table, options)| Some((table, options.key_column.as_ref()?)))
            .fold(RowKeys::new(), |keys, (table, column)| {
                keys.column(table.clone(), column.clone())
            })
    }

    /// `bytes` as text; `what` names them in the error.
    fn text(&self, bytes: &[u8], what: &str) -> Result<String, Error> {
        std::str::from_utf8(bytes).map(str::to_owned).map_err(|_| {
            Error::local(
                Operation::ReadLocal,
                self.path(),
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("{what} is not UTF-8 text"),
                ),
            )
        })
    }

    /// The head's content, verified.
    fn download_head(&self, remote: &RemoteHead) -> Result<Vec<u8>, Error> {
        snapshot::download(
            self.files.remote(),
            &remote.manifest.snapshot,
            self.files.limits(),
        )
    }
}

fn report(status: SyncStatus, head: Option<String>, outcome: PullOutcome) -> RecordPullReport {
    RecordPullReport {
        status_before: status,
        head,
        outcome,
        conflicts: Vec::new(),
        local_backup: None,
        warnings: Vec::new(),
        changes: ChangeSet::default(),
    }
}
