//! Whole-file sync of one local database file: push, pull, check, backups, restore.
//!
//! Merging is not done here: when both sides changed, push and pull refuse with
//! [`Error::NotFastForward`] (or, for a pull, overwrite local content after backing it
//! up, when asked to). The record-level merge belongs to the versioning layer.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use chrono::{SecondsFormat, Utc};
use file_lock::LockGuard;

use crate::backup::{self, BackupEntry, BackupReason};
use crate::check::SyncStatus;
use crate::device::Device;
use crate::digest::sha256_hex;
use crate::error::{Error, Operation, SyncAction};
use crate::local_fs;
use crate::log::{self, LogEntry, Resolution, SyncKind};
use crate::manifest::{self, Manifest, RemoteHead};
use crate::prune_lease;
use crate::relate::relate;
use crate::remote::Remote;
use crate::snapshot::{self, Limits, SnapshotRef};
use crate::sqlite;
use crate::state::{self, LoadedState, SyncState};

mod bookkeeping;

/// What kind of file is synced: it decides how a consistent snapshot is taken and how a
/// download is applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    /// Any file that writers replace atomically (an SDN store, a JSON file): read as is,
    /// replaced with atomic-io.
    Plain,
    /// A SQLite database, possibly live and in WAL mode: snapshotted with the online
    /// backup API, checked with `PRAGMA integrity_check` and applied through the backup
    /// API.
    Sqlite,
}

/// What to do on a pull when local and remote both changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PullMode {
    /// Refuse with [`Error::NotFastForward`]; nothing changes.
    FastForwardOnly,
    /// Upload local content as a backup ([`BackupReason::LocalBeforeOverwrite`]), then
    /// replace it with the remote head ("use the cloud copy").
    OverwriteLocal,
}

/// The result of [`FileSync::check`].
#[derive(Clone, Debug)]
pub struct CheckReport {
    /// How local and remote relate.
    pub status: SyncStatus,
    /// sha256 of the local content (`None`: no local file).
    pub local_sha256: Option<String>,
    /// The remote head (`None`: nothing pushed yet).
    pub remote: Option<Manifest>,
    /// The last sync, as stored or as rebuilt.
    pub base: Option<SyncState>,
    /// Whether the local state was missing or damaged and was rebuilt from checksums.
    pub state_rebuilt: bool,
}

/// The result of a push.
#[derive(Clone, Debug)]
pub struct PushReport {
    /// How local and remote related before the push.
    pub status_before: SyncStatus,
    /// The remote head after the push.
    pub head: String,
    /// Whether a new head was published (`false`: already up to date).
    pub published: bool,
    /// Whether snapshot bytes were uploaded (`false`: the remote already had them).
    pub uploaded: bool,
    /// Failures of the bookkeeping after the head moved (log entry, device record); the
    /// push itself succeeded.
    pub warnings: Vec<String>,
}

/// The result of a pull or restore.
#[derive(Clone, Debug)]
pub struct PullReport {
    /// How local and remote related before.
    pub status_before: SyncStatus,
    /// The remote head local content now matches.
    pub head: String,
    /// Whether local content was replaced.
    pub applied: bool,
    /// The backup entry's head id of local content saved before it was overwritten.
    pub local_backup: Option<String>,
    /// Failures of the bookkeeping after the apply (log entry, device record).
    pub warnings: Vec<String>,
}

/// What a sync read under the local lock: local content and its hash, the remote head,
/// the last sync and how they relate. Passed on so that a push following a pull in the
/// same lock hold reads and hashes nothing twice.
#[derive(Debug)]
pub(crate) struct Seen {
    pub(crate) content: Option<Vec<u8>>,
    pub(crate) local_sha256: Option<String>,
    pub(crate) remote: Option<RemoteHead>,
    pub(crate) base: Option<SyncState>,
    pub(crate) status: SyncStatus,
}

/// Makes local content a restored snapshot (see [`FileSync::restore_with`]).
pub(crate) type ApplyRestored<'a> =
    dyn FnMut(&[u8], Option<&[u8]>) -> Result<Option<String>, Error> + 'a;

/// Prepares a stored snapshot again, for when a prune deleted it meanwhile.
pub(crate) type Reprepare<'a> = &'a dyn Fn() -> Result<snapshot::PreparedSnapshot, Error>;

/// Syncs one local file with one remote.
#[derive(Debug)]
pub struct FileSync {
    remote: Remote,
    path: PathBuf,
    kind: FileKind,
    device: Device,
    state_path: PathBuf,
    limits: Limits,
}

impl FileSync {
    /// Syncs `path` through `remote` as `device`. The sync state lives next to the file,
    /// in `<file>.cloud-sync.json`.
    pub fn new(remote: Remote, path: impl Into<PathBuf>, kind: FileKind, device: Device) -> Self {
        let path = path.into();
        let mut state_name = path.file_name().unwrap_or_default().to_owned();
        state_name.push(".cloud-sync.json");
        let state_path = path.with_file_name(state_name);
        FileSync {
            remote,
            path,
            kind,
            device,
            state_path,
            limits: Limits::default(),
        }
    }

    /// Replaces the download size bounds.
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// The remote.
    pub fn remote(&self) -> &Remote {
        &self.remote
    }

    /// The local file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The local sync-state file.
    pub fn state_path(&self) -> &Path {
        &self.state_path
    }

    /// The download size bounds.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// This device.
    pub fn device(&self) -> &Device {
        &self.device
    }

    /// How local and remote relate, from the manifest alone: one request when the local
    /// state is intact. Changes nothing but the local sync state: a missing or damaged
    /// one is rebuilt from checksums, and one left behind by a crash (local content
    /// already equal to the head, or the head being this device's own unrecorded push)
    /// is brought up to date.
    pub fn check(&self) -> Result<CheckReport, Error> {
        let local_sha256 = self.local_content()?.map(|content| sha256_hex(&content));
        let remote = manifest::read(&self.remote, &self.limits)?;
        let (base, state_rebuilt) = self.base(local_sha256.as_deref(), remote.as_ref())?;
        let status = relate(base.as_ref(), local_sha256.as_deref(), remote.as_ref());
        if let (SyncStatus::UpToDate, Some(head), Some(local)) = (status, &remote, &local_sha256) {
            // Equal content with another head (a pull or push whose state was not saved
            // before a crash): record it, so the next local edit is a plain "ahead".
            self.adopt(base.as_ref(), head, local)?;
        }
        Ok(CheckReport {
            status,
            local_sha256,
            remote: remote.map(|head| head.manifest),
            base,
            state_rebuilt,
        })
    }

    /// Publishes local content as the new remote head: snapshot, compress, hash, upload
    /// create-only (skipped when the remote has it), backup entry, manifest
    /// compare-and-swap with read-back, local state, sync-log entry, device record.
    ///
    /// Refuses with [`Error::NotFastForward`] when the remote moved on since the last
    /// sync, and fails with [`Error::LostRace`] when another device won the head while
    /// this push was under way; in both cases the remote head is untouched by us.
    pub fn push_file(&self) -> Result<PushReport, Error> {
        let _guard = self.lock_local()?;
        let seen = self.see()?;
        self.publish_seen(&seen, &mut || {})
            .map(|(report, _)| report)
    }

    /// Reads local content and the remote head (one request) and relates them. The
    /// caller holds the local lock.
    pub(crate) fn see(&self) -> Result<Seen, Error> {
        let remote = manifest::read(&self.remote, &self.limits)?;
        self.see_with(remote)
    }

    /// [`FileSync::see`] with a remote head read earlier in the same lock hold.
    pub(crate) fn see_with(&self, remote: Option<RemoteHead>) -> Result<Seen, Error> {
        let content = self.local_content()?;
        let local_sha256 = content.as_deref().map(sha256_hex);
        let (base, _) = self.base(local_sha256.as_deref(), remote.as_ref())?;
        let status = relate(base.as_ref(), local_sha256.as_deref(), remote.as_ref());
        Ok(Seen {
            content,
            local_sha256,
            remote,
            base,
            status,
        })
    }

    /// The push itself, under the local lock the caller holds, from what the caller has
    /// already read: local content, its hash, the remote head and how they relate. Also
    /// returns the snapshot it prepared (`None` when nothing was published). Calls
    /// `compressed` once the snapshot is compressed and about to be uploaded (never when
    /// nothing is published or the push fails before), when the cores the compression
    /// kept busy are free for the caller's own work on another thread.
    pub(crate) fn publish_seen(
        &self,
        seen: &Seen,
        compressed: &mut dyn FnMut(),
    ) -> Result<(PushReport, Option<snapshot::PreparedSnapshot>), Error> {
        let (Some(content), Some(local_sha256)) = (&seen.content, &seen.local_sha256) else {
            return Err(Error::local(
                Operation::ReadLocal,
                &self.path,
                io::Error::new(io::ErrorKind::NotFound, "nothing to push"),
            ));
        };
        let status = seen.status;
        let remote = seen.remote.as_ref();
        match (status, remote) {
            (SyncStatus::UpToDate, Some(head)) => {
                self.adopt(seen.base.as_ref(), head, local_sha256)?;
                let report = PushReport {
                    status_before: status,
                    head: head.manifest.head.clone(),
                    published: false,
                    uploaded: false,
                    warnings: Vec::new(),
                };
                return Ok((report, None));
            }
            _ if status.push_publishes() => {}
            _ => {
                return Err(Error::NotFastForward {
                    action: SyncAction::Push,
                    status,
                });
            }
        }

        let (prepared, present) = snapshot::prepare_and_probe(&self.remote, content, local_sha256)?;
        compressed();
        let uploaded = snapshot::upload_probed(&self.remote, &prepared, present, &self.limits)?;
        let manifest = self.next_head(
            remote,
            uploaded.reference,
            BackupReason::Push,
            uploaded.reused.then_some(&|| Ok(prepared.clone())),
        )?;
        if let Err(e) = manifest::publish(&self.remote, &manifest, remote, &self.limits) {
            if e.is_lost_race() {
                // Best effort: the lost race is the error to report.
                let entry = self.log_entry(
                    SyncKind::Push,
                    None,
                    Some(local_sha256),
                    true,
                    Resolution::Unresolved,
                    &e.to_string(),
                );
                let _ = log::append(&self.remote, &entry);
            }
            return Err(e);
        }
        let warnings = self.record_and_log(
            &manifest,
            local_sha256,
            SyncKind::Push,
            Resolution::NoConflict,
            "pushed",
        )?;
        let report = PushReport {
            status_before: status,
            head: manifest.head,
            published: true,
            uploaded: uploaded.sent,
            warnings,
        };
        Ok((report, Some(prepared)))
    }

    /// Makes local content the remote head's: download, verify (size, sha256, and for
    /// SQLite `PRAGMA integrity_check`), replace atomically, record the new state.
    ///
    /// When local content changed too, [`PullMode::FastForwardOnly`] refuses with
    /// [`Error::NotFastForward`]; [`PullMode::OverwriteLocal`] backs local content up on
    /// the remote first.
    pub fn pull_file(&self, mode: PullMode) -> Result<PullReport, Error> {
        let _guard = self.lock_local()?;
        let content = self.local_content()?;
        let local_sha256 = content.as_deref().map(sha256_hex);
        let remote =
            manifest::read(&self.remote, &self.limits)?.ok_or_else(|| Error::NoRemoteHead {
                key: self.remote.full_key(&manifest::manifest_key()),
            })?;
        let (base, _) = self.base(local_sha256.as_deref(), Some(&remote))?;
        let status = relate(base.as_ref(), local_sha256.as_deref(), Some(&remote));
        let head = remote.manifest.head.clone();
        let unchanged = |status| PullReport {
            status_before: status,
            head: head.clone(),
            applied: false,
            local_backup: None,
            warnings: Vec::new(),
        };
        let mut local_backup = None;
        match status {
            SyncStatus::UpToDate => {
                if let Some(local) = &local_sha256 {
                    self.adopt(base.as_ref(), &remote, local)?;
                }
                return Ok(unchanged(status));
            }
            SyncStatus::Ahead => return Ok(unchanged(status)),
            SyncStatus::Behind | SyncStatus::NoRemoteHead => {}
            SyncStatus::Diverged => match (mode, &content) {
                (PullMode::OverwriteLocal, Some(local)) => {
                    local_backup = Some(self.back_up_local(local, base.as_ref())?);
                }
                (PullMode::OverwriteLocal, None) => {}
                (PullMode::FastForwardOnly, _) => {
                    return Err(Error::NotFastForward {
                        action: SyncAction::Pull,
                        status,
                    });
                }
            },
        }
        let downloaded = snapshot::download(&self.remote, &remote.manifest.snapshot, &self.limits)?;
        let local_after = self.apply_verified(&downloaded, &remote.manifest.snapshot.sha256)?;
        let diverged = status == SyncStatus::Diverged;
        let warnings = self.record_and_log(
            &remote.manifest,
            &local_after,
            SyncKind::Pull,
            if diverged {
                Resolution::UsedCloud
            } else {
                Resolution::NoConflict
            },
            if diverged {
                "pulled over local changes (backed up first)"
            } else {
                "pulled"
            },
        )?;
        Ok(PullReport {
            status_before: status,
            head,
            applied: true,
            local_backup,
            warnings,
        })
    }

    /// Every backup on the remote, oldest first.
    pub fn backups(&self) -> Result<Vec<BackupEntry>, Error> {
        backup::list(&self.remote, &self.limits)
    }

    /// The remote sync log, oldest first.
    pub fn log(&self) -> Result<Vec<LogEntry>, Error> {
        log::read_all(&self.remote, &self.limits)
    }

    /// Makes the backup of head `head` the new remote head (through the same
    /// compare-and-swap as a push, so it is itself logged, backed up and reversible) and
    /// applies it locally. Refused when local content has changes not on the remote.
    pub fn restore(&self, head: &str) -> Result<PullReport, Error> {
        let _guard = self.lock_local()?;
        self.restore_with(head, &mut |content, _| self.apply(content).map(Some))
    }

    /// The restore, under the lock the caller holds. `apply` makes local content the
    /// restored `content`, given the local content the restore checked (`None`: no local
    /// file), and returns local content's sha256 afterwards; or `None` when it left
    /// local content as it was (changed since the check: the next sync merges the
    /// restored head into it), and then no state is saved.
    pub(crate) fn restore_with(
        &self,
        head: &str,
        apply: &mut ApplyRestored<'_>,
    ) -> Result<PullReport, Error> {
        let entry =
            backup::find(&self.remote, head, &self.limits)?.ok_or_else(|| Error::NotFound {
                key: format!("{}/backups/*-{head}.json", self.remote.prefix()),
            })?;
        let local = self.local_content()?;
        let local_sha256 = local.as_deref().map(sha256_hex);
        let remote = manifest::read(&self.remote, &self.limits)?;
        let (base, _) = self.base(local_sha256.as_deref(), remote.as_ref())?;
        let status = relate(base.as_ref(), local_sha256.as_deref(), remote.as_ref());
        if matches!(status, SyncStatus::Ahead | SyncStatus::Diverged) {
            return Err(Error::NotFastForward {
                action: SyncAction::Restore,
                status,
            });
        }
        let downloaded = snapshot::download(&self.remote, &entry.snapshot, &self.limits)?;
        // The restored snapshot is a stored one: a running prune may be deleting it.
        let manifest = self.next_head(
            remote.as_ref(),
            entry.snapshot.clone(),
            BackupReason::Restore,
            Some(&|| snapshot::prepare(&downloaded)),
        )?;
        manifest::publish(&self.remote, &manifest, remote.as_ref(), &self.limits)?;
        let applied = apply(&downloaded, local.as_deref())?;
        if let Some(local_after) = &applied {
            self.save_state(&manifest, local_after)?;
        }
        let local_after = applied.clone().or(local_sha256).unwrap_or_default();
        let warnings = self.bookkeeping(
            SyncKind::Restore,
            &manifest.head,
            &local_after,
            false,
            Resolution::NoConflict,
            &match applied {
                Some(_) => format!("restored backup {head}"),
                None => format!(
                    "restored backup {head} on the remote; local changes made meanwhile were kept (the next sync merges)"
                ),
            },
        );
        Ok(PullReport {
            status_before: status,
            head: manifest.head,
            applied: applied.is_some(),
            local_backup: None,
            warnings,
        })
    }

    pub(crate) fn lock_local(&self) -> Result<LockGuard, Error> {
        // The same sidecar (`<file>.lock`) record-store's writers lock, so a pull never
        // replaces a store in the middle of a local transaction.
        local_fs::lock(&self.path, Operation::LockLocal)
    }

    /// A consistent snapshot of local content; `None` when the file does not exist.
    pub(crate) fn local_content(&self) -> Result<Option<Vec<u8>>, Error> {
        match self.kind {
            FileKind::Plain => match fs::read(&self.path) {
                Ok(content) => Ok(Some(content)),
                Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(Error::local(Operation::ReadLocal, &self.path, e)),
            },
            FileKind::Sqlite => {
                if !self.path.exists() {
                    return Ok(None);
                }
                sqlite::snapshot(&self.path).map(Some)
            }
        }
    }

    /// [`FileSync::apply`] of content already verified to hash to `sha256` (a checked
    /// download): a plain file is not hashed again.
    pub(crate) fn apply_verified(&self, content: &[u8], sha256: &str) -> Result<String, Error> {
        match self.kind {
            FileKind::Plain => {
                local_fs::replace(&self.path, content)?;
                Ok(sha256.to_owned())
            }
            FileKind::Sqlite => self.apply(content),
        }
    }

    /// Replaces local content; returns the sha256 local content has afterwards.
    pub(crate) fn apply(&self, content: &[u8]) -> Result<String, Error> {
        match self.kind {
            FileKind::Plain => {
                local_fs::replace(&self.path, content)?;
                Ok(sha256_hex(content))
            }
            FileKind::Sqlite => {
                sqlite::apply(&self.path, content)?;
                Ok(sha256_hex(&sqlite::snapshot(&self.path)?))
            }
        }
    }

    /// The stored sync state, or one rebuilt from checksums when it is missing or
    /// damaged: the remote head if local content is its content, else the newest backup
    /// with local content's hash. `None` when nothing matches (every status is then
    /// conservative: "diverged", never "behind").
    pub(crate) fn base(
        &self,
        local_sha256: Option<&str>,
        remote: Option<&RemoteHead>,
    ) -> Result<(Option<SyncState>, bool), Error> {
        if let LoadedState::Present(state) = state::load(&self.state_path)?
            && state.remote == self.remote_identity()
        {
            return self.recover_unrecorded_push(state, remote);
        }
        let (Some(local), Some(remote)) = (local_sha256, remote) else {
            return Ok((None, false));
        };
        let matching = if remote.manifest.snapshot.sha256 == local {
            Some((
                remote.manifest.head.clone(),
                remote.manifest.snapshot.sha256.clone(),
            ))
        } else {
            backup::list(&self.remote, &self.limits)?
                .into_iter()
                .rev()
                .find(|entry| {
                    entry.snapshot.sha256 == local
                        && entry.reason != BackupReason::LocalBeforeOverwrite
                })
                .map(|entry| (entry.head, entry.snapshot.sha256))
        };
        let Some((head, remote_sha256)) = matching else {
            return Ok((None, false));
        };
        let rebuilt = self.new_state(head, remote_sha256, local.to_owned());
        state::save(&self.state_path, &rebuilt)?;
        Ok((Some(rebuilt), true))
    }

    /// A push whose process died after the head moved and before the state was saved
    /// leaves the state one head behind a head this device made from it. That head's
    /// content was local content then, so it is the base (without this, the next edit
    /// would look like a divergence from our own push).
    fn recover_unrecorded_push(
        &self,
        state: SyncState,
        remote: Option<&RemoteHead>,
    ) -> Result<(Option<SyncState>, bool), Error> {
        let Some(remote) = remote.map(|head| &head.manifest) else {
            return Ok((Some(state), false));
        };
        let ours_on_top = remote.device == self.device.id
            && remote.parent.as_deref() == Some(state.head.as_str());
        if !ours_on_top {
            return Ok((Some(state), false));
        }
        let recovered = self.new_state(
            remote.head.clone(),
            remote.snapshot.sha256.clone(),
            remote.snapshot.sha256.clone(),
        );
        state::save(&self.state_path, &recovered)?;
        Ok((Some(recovered), true))
    }

    /// Records the remote head as synced when local content already equals it.
    pub(crate) fn adopt(
        &self,
        base: Option<&SyncState>,
        remote: &RemoteHead,
        local: &str,
    ) -> Result<(), Error> {
        if base.is_some_and(|base| base.head == remote.manifest.head) {
            return Ok(());
        }
        self.save_state(&remote.manifest, local)
    }

    pub(crate) fn save_state(&self, manifest: &Manifest, local_sha256: &str) -> Result<(), Error> {
        let state = self.new_state(
            manifest.head.clone(),
            manifest.snapshot.sha256.clone(),
            local_sha256.to_owned(),
        );
        state::save(&self.state_path, &state)
    }

    fn new_state(&self, head: String, remote_sha256: String, local_sha256: String) -> SyncState {
        SyncState {
            remote: self.remote_identity(),
            head,
            remote_sha256,
            local_sha256,
            synced_at: Utc::now(),
        }
    }

    /// Which remote a sync state belongs to: a state saved for another remote or prefix
    /// says nothing about this one.
    fn remote_identity(&self) -> String {
        format!(
            "{} prefix `{}`",
            self.remote.description(),
            self.remote.prefix()
        )
    }

    /// The manifest that will follow `remote`, with its backup entry already written:
    /// the entry goes first, so if the head is lost to a racing device (even one on a
    /// server that ignores If-Match) this version stays listed and restorable. `reused`
    /// is given for a snapshot that was stored already (see [`FileSync::write_backup`]).
    pub(crate) fn next_head(
        &self,
        remote: Option<&RemoteHead>,
        snapshot: SnapshotRef,
        reason: BackupReason,
        reused: Option<Reprepare<'_>>,
    ) -> Result<Manifest, Error> {
        let manifest = Manifest::next(
            remote.map(|head| &head.manifest),
            snapshot,
            &self.device.id,
            stamp(),
        );
        self.write_backup(
            &manifest.head,
            manifest.parent.clone(),
            &manifest.snapshot,
            reason,
            reused,
        )?;
        Ok(manifest)
    }

    /// Writes the backup entry of `head`. For a snapshot that was stored already
    /// (`reused`, which prepares it again if needed), it then makes sure a running prune
    /// has not deleted it, before anything names it as a head.
    fn write_backup(
        &self,
        head: &str,
        parent: Option<String>,
        snapshot: &SnapshotRef,
        reason: BackupReason,
        reused: Option<Reprepare<'_>>,
    ) -> Result<(), Error> {
        backup::write_entry(
            &self.remote,
            &BackupEntry {
                head: head.to_owned(),
                parent,
                snapshot: snapshot.clone(),
                device: self.device.id.clone(),
                created: Utc::now(),
                reason,
            },
        )?;
        match reused {
            Some(prepare) => {
                prune_lease::secure_reused(&self.remote, head, snapshot, &self.limits, prepare)
            }
            None => Ok(()),
        }
    }

    /// Uploads local content as a backup before it is overwritten; returns the entry's id.
    pub(crate) fn back_up_local(
        &self,
        content: &[u8],
        base: Option<&SyncState>,
    ) -> Result<String, Error> {
        let prepared = snapshot::prepare(content)?;
        let uploaded = snapshot::upload_reporting_reuse(&self.remote, &prepared, &self.limits)?;
        let id = uuid::Uuid::new_v4().simple().to_string();
        self.write_backup(
            &id,
            base.map(|base| base.head.clone()),
            &uploaded.reference,
            BackupReason::LocalBeforeOverwrite,
            uploaded.reused.then_some(&|| Ok(prepared.clone())),
        )?;
        Ok(id)
    }
}

/// The stamp a manifest carries: RFC 3339 UTC with nanoseconds.
fn stamp() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Nanos, true)
}
