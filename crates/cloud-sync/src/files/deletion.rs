//! Deletion through per-device acknowledgements: a tombstone in the cloud, one
//! acknowledgement per registered device, and removal of the cloud copy only when every
//! device agreed. A device that edited the file (or still uses the content) objects: the
//! conflict is kept on both sides and nothing is removed.

use std::collections::BTreeSet;
use std::fs;

use serde::{Deserialize, Serialize};

use super::catalogue::FileEntry;
use super::local::LocalFact;
use super::objects::{Layout, manifest_key, part_key, read_manifest, whole_key};
use super::{ContentFiles, FileOperation, FilesError, TransferState};
use crate::error::Error;
use crate::json;
use crate::key::Key;
use crate::snapshot::Limits;

#[derive(Clone, Debug, Serialize, Deserialize)]
struct Tombstone {
    path: String,
    sha256: String,
    device: String,
    time: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct Ack {
    device: String,
    /// Why this device keeps the content; `None` agrees to the deletion.
    keep: Option<String>,
}

/// What [`ContentFiles::process_deletions`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeletionReport {
    /// Catalogue paths deleted here because another device deleted them.
    pub applied: Vec<String>,
    /// Contents (sha256) removed from the cloud by this call.
    pub removed_from_cloud: Vec<String>,
    /// Contents whose removal still waits for devices to acknowledge.
    pub waiting: Vec<String>,
    /// Paths kept because of a delete/edit conflict, with the explanation.
    pub conflicts: Vec<(String, String)>,
}

fn tombstone_key(sha256: &str) -> Result<Key, Error> {
    Key::new(format!("files/tombstones/{sha256}.json"))
}

fn ack_key(sha256: &str, device: &str) -> Result<Key, Error> {
    Key::new(format!("files/acks/{sha256}/{device}.json"))
}

impl ContentFiles {
    /// Deletes `path` on this device (its local copy and, as a tombstone, its catalogue
    /// entry) and asks every device to agree to removing the cloud copy; then processes
    /// deletions.
    pub fn delete(&self, path: &str) -> Result<DeletionReport, FilesError> {
        let entry = self.live_entry(path)?;
        let tombstone = Tombstone {
            path: path.to_owned(),
            sha256: entry.sha256.clone(),
            device: self.device.id.clone(),
            time: chrono::Utc::now().to_rfc3339(),
        };
        match self
            .remote
            .put_create(&tombstone_key(&entry.sha256)?, json::encode(&tombstone))
        {
            Ok(_) | Err(Error::AlreadyExists { .. }) => {}
            Err(e) => return Err(e.into()),
        }
        self.update_entry(path, |entry| entry.state = TransferState::DeletionPending)?;
        self.remove_local(path)?;
        self.process_deletions()
    }

    /// Acknowledges every tombstone this device has not answered yet (deleting the
    /// local copy, or objecting when it was edited here), then removes from the cloud
    /// every content all registered devices agreed to delete. Idempotent: an interrupted
    /// run is finished by the next.
    pub fn process_deletions(&self) -> Result<DeletionReport, FilesError> {
        let limits = Limits::default();
        let mut report = DeletionReport::default();
        let devices: BTreeSet<String> = crate::device::list_devices(&self.remote, &limits)?
            .into_iter()
            .map(|device| device.id)
            .collect();
        let tombstones: Vec<Tombstone> =
            json::read_all(&self.remote, "files/tombstones", "file tombstone", &limits)?;
        for tombstone in tombstones {
            let own_ack = ack_key(&tombstone.sha256, &self.device.id)?;
            if self.remote.head(&own_ack)?.is_none() {
                let keep = self.answer(&tombstone, &mut report)?;
                let ack = Ack {
                    device: self.device.id.clone(),
                    keep,
                };
                self.remote.put_overwrite(&own_ack, json::encode(&ack))?;
            }
            let acks: Vec<Ack> = json::read_all(
                &self.remote,
                &format!("files/acks/{}", tombstone.sha256),
                "deletion acknowledgement",
                &limits,
            )?;
            let objections: Vec<String> = acks
                .iter()
                .filter_map(|ack| {
                    ack.keep
                        .as_ref()
                        .map(|why| format!("device {} keeps it: {why}", ack.device))
                })
                .collect();
            let agreed: BTreeSet<&str> = acks.iter().map(|ack| ack.device.as_str()).collect();
            if !objections.is_empty() {
                let message = objections.join("; ");
                self.mark_deletion(
                    &tombstone,
                    TransferState::DeletionFailed,
                    Some(message.clone()),
                )?;
                report.conflicts.push((tombstone.path.clone(), message));
            } else if devices
                .iter()
                .all(|device| agreed.contains(device.as_str()))
            {
                if self.remove_from_cloud(&tombstone.sha256)? {
                    report.removed_from_cloud.push(tombstone.sha256.clone());
                }
            } else {
                report.waiting.push(tombstone.sha256.clone());
            }
        }
        Ok(report)
    }

    /// This device's answer to a tombstone: `None` agrees (after applying the deletion
    /// here), `Some(reason)` keeps the content.
    fn answer(
        &self,
        tombstone: &Tombstone,
        report: &mut DeletionReport,
    ) -> Result<Option<String>, FilesError> {
        let entries = self.entries()?;
        if let Some(entry) = entries.iter().find(|entry| entry.path == tombstone.path) {
            let local = self.local_fact(&entry.path)?;
            let edited_here = entry.sha256 != tombstone.sha256
                || matches!(&local, LocalFact::Present { sha256, .. } if *sha256 != tombstone.sha256);
            if edited_here {
                let why = format!(
                    "`{}` was deleted on device {} and edited on device {}",
                    entry.path, tombstone.device, self.device.id
                );
                let kept = why.clone();
                self.update_entry(&entry.path, |entry| entry.conflict = Some(kept))?;
                return Ok(Some(why));
            }
            self.update_entry(&entry.path, |entry| {
                entry.state = TransferState::DeletionPending
            })?;
            self.remove_local(&entry.path)?;
            report.applied.push(entry.path.clone());
        }
        if let Some(other) = entries
            .iter()
            .find(|entry| entry.path != tombstone.path && entry.sha256 == tombstone.sha256)
        {
            return Ok(Some(format!(
                "the same content is still catalogued as `{}`",
                other.path
            )));
        }
        Ok(None)
    }

    /// Removes a content from the cloud in either layout: its whole-file object, or its
    /// parts (those no other file manifest uses) and then its manifest; `false` when it
    /// was already gone.
    fn remove_from_cloud(&self, sha256: &str) -> Result<bool, FilesError> {
        let limits = super::objects::any_size();
        let whole = whole_key(sha256)?;
        let whole_present = self.remote.head(&whole)?.is_some();
        let manifest = read_manifest(&self.remote, sha256, &limits)?;
        if !whole_present && manifest.is_none() {
            self.mark_sha(sha256, TransferState::DeletionCompleted)?;
            return Ok(false);
        }
        self.mark_sha(sha256, TransferState::DeletionInProgress)?;
        if whole_present {
            self.remote.delete(&whole)?;
        }
        if let Some(manifest) = manifest {
            let mut still_used = BTreeSet::new();
            for (other, layout) in super::objects::objects_in_cloud(&self.remote)? {
                if other == sha256 || layout != Layout::Parts {
                    continue;
                }
                if let Some(other) = read_manifest(&self.remote, &other, &limits)? {
                    still_used.extend(other.parts.into_iter().map(|part| part.sha256));
                }
            }
            // Parts first, manifest last: an interruption leaves the manifest, so the
            // next run finds the parts it still has to remove.
            for part in manifest
                .parts
                .iter()
                .filter(|part| !still_used.contains(&part.sha256))
            {
                self.remote.delete(&part_key(&part.sha256)?)?;
            }
            self.remote.delete(&manifest_key(sha256)?)?;
        }
        self.mark_sha(sha256, TransferState::DeletionCompleted)?;
        Ok(true)
    }

    fn mark_deletion(
        &self,
        tombstone: &Tombstone,
        state: TransferState,
        error: Option<String>,
    ) -> Result<(), FilesError> {
        let Some(entry) = self.entry(&tombstone.path)? else {
            return Ok(());
        };
        if entry.is_deleted() && entry.sha256 == tombstone.sha256 {
            let conflict = error.clone();
            self.update_entry(&tombstone.path, |entry| {
                entry.state = state;
                entry.error = error;
                entry.conflict = conflict;
            })?;
        }
        Ok(())
    }

    /// Sets the deletion state of every tombstoned entry holding `sha256`.
    fn mark_sha(&self, sha256: &str, state: TransferState) -> Result<(), FilesError> {
        let catalogue = self.catalogue.path().to_path_buf();
        let device = self.device.id.clone();
        self.catalogue
            .update(|tx| {
                let table = tx.table::<FileEntry>()?;
                let paths: Vec<String> = table
                    .iter()
                    .filter(|entry| {
                        entry.is_deleted() && entry.sha256 == sha256 && entry.state != state
                    })
                    .map(|entry| entry.path.clone())
                    .collect();
                for path in paths {
                    if let Some(entry) = table.get_mut(&path) {
                        entry.state = state;
                        entry.device = device.clone();
                        entry.updated = chrono::Utc::now().to_rfc3339();
                    }
                }
                Ok::<_, record_store::Error>(())
            })
            .map_err(FilesError::catalogue(catalogue))
    }

    fn remove_local(&self, path: &str) -> Result<(), FilesError> {
        let local = self.local_path(path);
        match fs::remove_file(&local) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(FilesError::local(FileOperation::Removing, &local)(e)),
        }
    }
}
