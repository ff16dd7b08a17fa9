//! Availability from facts: the local file (hashed through the cache) against the
//! catalogue, and the files the cloud holds (one listing), never the transfer state.

use std::collections::BTreeMap;

use serde::Serialize;

use super::catalogue::FileEntry;
use super::local::LocalFact;
use super::objects::{files_in_cloud, is_in_cloud};
use super::{ContentFiles, FilesError};

/// Where a catalogued file can be read from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Availability {
    /// The local file matches the catalogue and the cloud holds no complete copy.
    LocalOnly,
    /// No local file; the cloud holds the catalogued content.
    CloudOnly,
    /// The local file matches the catalogue and the cloud holds the same content.
    Synchronized,
    /// The local file differs from the catalogued content (edited after upload, or
    /// replaced): the new content is only local until the next upload, which records it.
    Modified,
    /// No local file and no complete cloud copy.
    NotAvailable,
}

/// One file's status.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FileStatus {
    /// Catalogue path.
    pub path: String,
    /// Type folder.
    pub folder: String,
    /// Catalogued size.
    pub size: u64,
    /// Computed availability.
    pub availability: Availability,
    /// The persisted transfer state (what the last run did, not what is true now).
    pub state: super::TransferState,
    /// A kept delete/edit conflict, if any.
    pub conflict: Option<String>,
}

/// Bytes per type folder.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Usage {
    /// Bytes of catalogued files present locally (matching or modified).
    pub local_bytes: u64,
    /// Bytes of catalogued content held in the cloud (uncompressed).
    pub cloud_bytes: u64,
    /// Bytes present locally and not in the cloud (`LocalOnly` and `Modified`): at risk.
    pub local_only_bytes: u64,
    /// Number of files.
    pub files: u64,
}

pub(crate) fn availability_of(
    entry: &FileEntry,
    local: &LocalFact,
    in_cloud: bool,
) -> Availability {
    match local {
        LocalFact::Missing if in_cloud => Availability::CloudOnly,
        LocalFact::Missing => Availability::NotAvailable,
        LocalFact::Present { sha256, .. } if *sha256 != entry.sha256 => Availability::Modified,
        LocalFact::Present { .. } if in_cloud => Availability::Synchronized,
        LocalFact::Present { .. } => Availability::LocalOnly,
    }
}

impl ContentFiles {
    /// The live (not deleted) catalogue entries.
    pub fn entries(&self) -> Result<Vec<FileEntry>, FilesError> {
        let path = self.catalogue.path().to_path_buf();
        let snapshot = self
            .catalogue
            .read()
            .map_err(FilesError::catalogue(&path))?;
        let table = snapshot
            .table::<FileEntry>()
            .map_err(FilesError::catalogue(&path))?;
        Ok(table
            .iter()
            .filter(|entry| !entry.is_deleted())
            .cloned()
            .collect())
    }

    /// The catalogue entry of `path`, deleted or not.
    pub fn entry(&self, path: &str) -> Result<Option<FileEntry>, FilesError> {
        let catalogue = self.catalogue.path().to_path_buf();
        let snapshot = self
            .catalogue
            .read()
            .map_err(FilesError::catalogue(&catalogue))?;
        snapshot
            .get::<FileEntry>(&path.to_owned())
            .map_err(FilesError::catalogue(catalogue))
    }

    /// The catalogue entry of `path` if it is live; [`FilesError::NotInCatalogue`] if it
    /// is missing or deleted.
    pub fn live_entry(&self, path: &str) -> Result<FileEntry, FilesError> {
        self.entry(path)?
            .filter(|entry| !entry.is_deleted())
            .ok_or_else(|| FilesError::NotInCatalogue {
                path: path.to_owned(),
            })
    }

    /// The status of every live catalogued file: one listing of the cloud, and a hash of
    /// each local file whose size or mtime changed since it was last hashed.
    pub fn status(&self) -> Result<Vec<FileStatus>, FilesError> {
        let entries = self.entries()?;
        let cloud = files_in_cloud(&self.remote)?;
        let paths: Vec<&str> = entries.iter().map(|entry| entry.path.as_str()).collect();
        let facts = self.local_facts(&paths)?;
        Ok(entries
            .iter()
            .zip(facts)
            .map(|(entry, (_, fact))| FileStatus {
                path: entry.path.clone(),
                folder: entry.folder.clone(),
                size: entry.size,
                availability: availability_of(entry, &fact, cloud.contains_key(&entry.sha256)),
                state: entry.state,
                conflict: entry.conflict.clone(),
            })
            .collect())
    }

    /// The availability of one file.
    pub fn availability(&self, path: &str) -> Result<Availability, FilesError> {
        let entry = self
            .entry(path)?
            .ok_or_else(|| FilesError::NotInCatalogue {
                path: path.to_owned(),
            })?;
        let local = self.local_fact(path)?;
        let small = entry.size <= self.part_size as u64;
        let in_cloud = is_in_cloud(&self.remote, &entry.sha256, small)?;
        Ok(availability_of(&entry, &local, in_cloud))
    }

    /// Storage figures per type folder (the empty folder name is the root). A local
    /// file counts as at risk when its current content is not in the cloud.
    pub fn usage(&self) -> Result<BTreeMap<String, Usage>, FilesError> {
        let entries = self.entries()?;
        let cloud = files_in_cloud(&self.remote)?;
        let paths: Vec<&str> = entries.iter().map(|entry| entry.path.as_str()).collect();
        let facts = self.local_facts(&paths)?;
        let mut usage: BTreeMap<String, Usage> = BTreeMap::new();
        for (entry, (_, fact)) in entries.iter().zip(facts) {
            let figures = usage.entry(entry.folder.clone()).or_default();
            figures.files += 1;
            if cloud.contains_key(&entry.sha256) {
                figures.cloud_bytes += entry.size;
            }
            if let LocalFact::Present { size, sha256 } = fact {
                figures.local_bytes += size;
                if !cloud.contains_key(&sha256) {
                    figures.local_only_bytes += size;
                }
            }
        }
        Ok(usage)
    }
}
