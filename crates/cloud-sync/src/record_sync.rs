//! Record-level sync of an SDN record store: [`RecordSync`].

use std::io;
use std::path::{Path, PathBuf};

use versioning::KeptConflict;
use versioning::merge::{self, MergeOptions};

use crate::base_cache::BaseCache;
use crate::check::SyncStatus;
use crate::device::Device;
use crate::digest::sha256_hex;
use crate::error::{Error, Operation};
use crate::file_sync::{CheckReport, FileKind, FileSync, PushReport, Seen};
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
/// record-store offers no "replace the whole text" operation inside a transaction (and
/// its `Transaction::apply` of a change set needs each table's record type, which a sync
/// of any store does not know), so a pull takes the store's own writer lock (the `<file>.lock` sidecar every record-store
/// writer takes), reads local content, downloads and merges, and replaces the file with
/// atomic-io while still holding that lock. No local writer can commit between the read
/// and the replace, so nothing local is lost, and readers see the complete old or the
/// complete merged file, never a half-applied pull. The price: local writers wait while
/// a diverged pull downloads and merges.
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
/// records. A crash at any point leaves a base that is right or fetched again.
#[derive(Debug)]
pub struct RecordSync {
    files: FileSync,
    base: BaseCache,
    merge_options: MergeOptions,
    retry: RetryPolicy,
}

impl RecordSync {
    /// Syncs the store at `path` through `remote` as `device`. The sync state lives in
    /// `<file>.cloud-sync.json`, the cached base in `<file>.cloud-sync.base`.
    pub fn new(remote: Remote, path: impl Into<PathBuf>, device: Device) -> RecordSync {
        let files = FileSync::new(remote, path, FileKind::Plain, device);
        let base = BaseCache::next_to(files.path());
        RecordSync {
            files,
            base,
            merge_options: MergeOptions::default(),
            retry: RetryPolicy::default(),
        }
    }

    /// Per-table column names and key columns for the merge (as for the store).
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
    /// unchanged since the last sync, otherwise as `prefer` says. Holds the store's
    /// writer lock throughout (see [`RecordSync`]).
    pub fn pull(&self, prefer: Prefer) -> Result<RecordPullReport, Error> {
        let _guard = self.files.lock_local()?;
        let seen = self.files.see()?;
        self.pull_seen(prefer, &seen).map(|(report, _)| report)
    }

    /// The pull, under the lock the caller holds, from what it has read. Also says
    /// whether local content or the sync state changed (`false`: `seen` still holds).
    fn pull_seen(&self, prefer: Prefer, seen: &Seen) -> Result<(RecordPullReport, bool), Error> {
        let status = seen.status;
        let Some(remote) = &seen.remote else {
            return Ok((report(status, None, PullOutcome::Unchanged), false));
        };
        let head = Some(remote.manifest.head.clone());
        let pulled = match (status, &seen.content, &seen.local_sha256) {
            (SyncStatus::UpToDate, Some(local), Some(local_sha256)) => {
                self.files.adopt(seen.base.as_ref(), remote, local_sha256)?;
                let mut done = report(status, head, PullOutcome::Unchanged);
                if *local_sha256 == remote.manifest.snapshot.sha256
                    && !self.base.has_len(local.len())
                {
                    self.base.put(local, &mut done.warnings);
                }
                done
            }
            (SyncStatus::Diverged, Some(local), Some(local_sha256)) => match prefer {
                Prefer::Merge => self.merge_into_local(local, seen.base.as_ref(), remote)?,
                Prefer::Local => {
                    // Recording the head as the base turns "diverged" into "ahead": the
                    // next push publishes local content; the head stays a backup.
                    self.record_base_with_local_changes(&remote.manifest)?;
                    let mut done = report(status, head, PullOutcome::KeptLocal);
                    done.warnings = self.files.bookkeeping(
                        SyncKind::Pull,
                        &remote.manifest.head,
                        local_sha256,
                        true,
                        Resolution::UsedLocal,
                        "kept local changes over the remote head",
                    );
                    done
                }
                Prefer::Cloud => {
                    let backup_id = self.files.back_up_local(local, seen.base.as_ref())?;
                    let mut done = self.take_remote(status, remote, Resolution::UsedCloud)?;
                    done.outcome = PullOutcome::UsedCloud;
                    done.local_backup = Some(backup_id);
                    done
                }
            },
            (SyncStatus::Ahead | SyncStatus::NoRemoteHead | SyncStatus::UpToDate, _, _) => {
                return Ok((report(status, head, PullOutcome::Unchanged), false));
            }
            // Behind, or nothing local: taking the head loses nothing.
            _ => self.take_remote(status, remote, Resolution::NoConflict)?,
        };
        Ok((pulled, true))
    }

    /// Publishes local content: pulls (merging as needed) and pushes, and when another
    /// device wins the head in between, pulls, merges and tries again with bounded
    /// backoff ([`RetryPolicy`]). Fails with [`Error::LostRace`] only when every attempt
    /// lost.
    ///
    /// Each attempt holds the store's writer lock from the pull to the end of the push,
    /// so what is pushed is exactly what was merged, and local content is read, hashed
    /// and the manifest fetched once: a push with nothing to publish is one request.
    pub fn push(&self) -> Result<RecordPushReport, Error> {
        let (pulls, push) = pull_then_push(&self.files, &self.base, &self.retry, |seen| {
            self.pull_seen(Prefer::Merge, seen)
        })?;
        Ok(RecordPushReport { pulls, push })
    }

    fn take_remote(
        &self,
        status: SyncStatus,
        remote: &RemoteHead,
        resolution: Resolution,
    ) -> Result<RecordPullReport, Error> {
        let downloaded = self.download_head(remote)?;
        let mut done = report(
            status,
            Some(remote.manifest.head.clone()),
            PullOutcome::FastForward,
        );
        let local_after = self
            .files
            .apply_verified(&downloaded, &remote.manifest.snapshot.sha256)?;
        // The cache is written after the durable replace (whose flush then does not wait
        // for it) and while the state, log entry and device record are written.
        let (cached, recorded) = std::thread::scope(|scope| {
            let cached = scope.spawn(|| {
                let mut warnings = Vec::new();
                self.base.put(&downloaded, &mut warnings);
                warnings
            });
            let recorded = self.files.record_and_log(
                &remote.manifest,
                &local_after,
                SyncKind::Pull,
                resolution,
                "pulled",
            );
            (cached.join(), recorded)
        });
        done.warnings.extend(recorded?);
        done.warnings
            .extend(cached.unwrap_or_else(|_| vec!["base cache: its thread panicked".into()]));
        Ok(done)
    }

    fn merge_into_local(
        &self,
        local: &[u8],
        base: Option<&SyncState>,
        remote: &RemoteHead,
    ) -> Result<RecordPullReport, Error> {
        let theirs = self.download_head(remote)?;
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
        let text = |bytes: &[u8], what: &str| {
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
        };
        let merged = merge::merge(
            &text(&base_text, "the base")?,
            &text(local, "local content")?,
            &text(&theirs, "the remote head")?,
            &self.merge_options,
        )
        .map_err(|source| Error::Merge {
            path: self.path().to_owned(),
            head: remote.manifest.head.clone(),
            source: Box::new(source),
        })?;
        // Base first: a crash after it leaves the old state, whose hash no longer matches
        // the cached base, so the right base is fetched again.
        self.base.put(&theirs, &mut warnings);
        local_fs::replace(self.path(), merged.text.as_bytes())?;
        let merged_sha256 = sha256_hex(merged.text.as_bytes());
        self.record_base_with_local_changes(&remote.manifest)?;
        let message = format!(
            "merged remote head into local records; {} field conflict(s) kept",
            merged.conflicts.len()
        );
        warnings.extend(self.files.bookkeeping(
            SyncKind::Merge,
            &remote.manifest.head,
            &merged_sha256,
            !merged.conflicts.is_empty(),
            Resolution::Merged,
            &message,
        ));
        Ok(RecordPullReport {
            status_before: SyncStatus::Diverged,
            head: Some(remote.manifest.head.clone()),
            outcome: PullOutcome::Merged,
            conflicts: merged.conflicts,
            local_backup: None,
            warnings,
        })
    }

    /// Records `head` as the base of local content that still has changes of its own
    /// (merged or kept): the state's local hash is the head's content hash, so local
    /// content reads as "ahead" (pushed next) unless it equals the head.
    fn record_base_with_local_changes(&self, head: &Manifest) -> Result<(), Error> {
        self.files.save_state(head, &head.snapshot.sha256)
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
    }
}
