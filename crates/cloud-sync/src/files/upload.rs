//! Registering local files in the catalogue and uploading them.

use std::fs;
use std::path::Path;

use super::catalogue::{FileEntry, folder_of, validate_path};
use super::local::LocalFact;
use super::objects::{UploadCounts, upload_file};
use super::{ContentFiles, FilesError, Progress, STATE_DIR, TransferState};

/// What [`ContentFiles::register`] found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RegisterReport {
    /// Files added to the catalogue.
    pub added: Vec<String>,
    /// Catalogued files whose content changed on disk (now `UploadPending`).
    pub changed: Vec<String>,
}

/// What [`ContentFiles::upload`] did.
#[derive(Debug, Default)]
pub struct UploadReport {
    /// What registering found first.
    pub registered: RegisterReport,
    /// Files now completely in the cloud (sent now or found there).
    pub uploaded: Vec<String>,
    /// Files skipped because another live process holds their upload lease.
    pub busy: Vec<String>,
    /// Files whose upload failed, with the error (their state is `UploadFailed`).
    pub failed: Vec<(String, FilesError)>,
    /// Totals over all files.
    pub counts: UploadCounts,
}

impl ContentFiles {
    /// Adds every regular file under the root (hidden names skipped) that the catalogue
    /// does not know, and marks catalogued files whose content changed as pending.
    pub fn register(&self) -> Result<RegisterReport, FilesError> {
        let mut found = Vec::new();
        walk(&self.root, "", &mut found)?;
        let paths: Vec<&str> = found.iter().map(String::as_str).collect();
        let facts = self.local_facts(&paths)?;
        let catalogue = self.catalogue.path().to_path_buf();
        let device = self.device.id.clone();
        let now = chrono::Utc::now().to_rfc3339();
        self.catalogue
            .update(|tx| {
                let table = tx.table::<FileEntry>()?;
                let mut report = RegisterReport::default();
                for (path, fact) in facts {
                    let LocalFact::Present { size, sha256 } = fact else {
                        continue;
                    };
                    match table.get_mut(&path.to_owned()) {
                        Some(entry) if entry.sha256 == sha256 || entry.is_deleted() => {}
                        Some(entry) => {
                            entry.sha256 = sha256;
                            entry.sha1 = None;
                            entry.size = size;
                            entry.state = TransferState::UploadPending;
                            entry.stored_size = None;
                            entry.error = None;
                            entry.device = device.clone();
                            entry.updated = now.clone();
                            report.changed.push(path.to_owned());
                        }
                        None => {
                            table.upsert(FileEntry {
                                path: path.to_owned(),
                                folder: folder_of(path).to_owned(),
                                sha256,
                                sha1: None,
                                size,
                                state: TransferState::UploadPending,
                                stored_size: None,
                                error: None,
                                device: device.clone(),
                                updated: now.clone(),
                                conflict: None,
                            });
                            report.added.push(path.to_owned());
                        }
                    }
                }
                Ok::<_, record_store::Error>(report)
            })
            .map_err(FilesError::catalogue(catalogue))
    }

    /// Registers local files, then uploads every file not known to be in the cloud
    /// (pending, failed, or in progress under a lease whose process died), with at most
    /// the parallel bound in flight. Failures are reported per file, not fatal.
    pub fn upload(
        &self,
        progress: &(dyn Fn(&Progress) + Sync),
    ) -> Result<UploadReport, FilesError> {
        let registered = self.register()?;
        let todo: Vec<FileEntry> = self
            .entries()?
            .into_iter()
            .filter(|entry| {
                matches!(
                    entry.state,
                    TransferState::UploadPending
                        | TransferState::UploadInProgress
                        | TransferState::UploadFailed
                )
            })
            .collect();
        let mut report = UploadReport {
            registered,
            ..UploadReport::default()
        };
        let outcomes = super::parallel::run(&todo, self.parallel, progress, |entry, on_part| {
            self.upload_one(&entry.path, on_part)
        });
        for (path, outcome) in outcomes {
            match outcome {
                Ok(Some(counts)) => {
                    report.counts.parts_sent += counts.parts_sent;
                    report.counts.parts_skipped += counts.parts_skipped;
                    report.counts.bytes_sent += counts.bytes_sent;
                    report.uploaded.push(path);
                }
                Ok(None) => report.busy.push(path),
                Err(error) => report.failed.push((path, error)),
            }
        }
        report.uploaded.sort();
        Ok(report)
    }

    /// Uploads one catalogued file under its lease; `None` when another live process
    /// holds the lease.
    pub fn upload_one(
        &self,
        path: &str,
        on_part: &mut dyn FnMut(u64),
    ) -> Result<Option<UploadCounts>, FilesError> {
        let lease = self.lock_for("leases", path);
        let _lease = match lease.try_exclusive() {
            Ok(guard) => guard,
            Err(file_lock::Error::WouldBlock { .. }) => return Ok(None),
            Err(source) => {
                return Err(FilesError::Lock {
                    path: self.local_path(path),
                    source,
                });
            }
        };
        let entry = self
            .entry(path)?
            .ok_or_else(|| FilesError::NotInCatalogue {
                path: path.to_owned(),
            })?;
        let local = self.local_path(path);
        // The file on disk is the truth: a content change since registering is recorded
        // (with its new hash) before anything is sent.
        let sha256 = match self.local_fact(path)? {
            LocalFact::Present { sha256, size } => {
                if sha256 != entry.sha256 {
                    let new_sha = sha256.clone();
                    self.update_entry(path, |entry| {
                        entry.sha256 = new_sha;
                        entry.sha1 = None;
                        entry.size = size;
                    })?;
                }
                sha256
            }
            LocalFact::Missing => entry.sha256.clone(),
        };
        self.update_entry(path, |entry| {
            entry.state = TransferState::UploadInProgress;
            entry.error = None;
        })?;
        let outcome = if local.is_file() {
            upload_file(&self.remote, &local, &sha256, self.part_size, on_part)
        } else {
            // Nothing local to send: completed only if the cloud already holds it.
            match super::objects::read_manifest(
                &self.remote,
                &sha256,
                &crate::snapshot::Limits::default(),
            ) {
                Ok(Some(manifest)) => Ok((
                    manifest,
                    UploadCounts {
                        already_in_cloud: true,
                        ..UploadCounts::default()
                    },
                )),
                Ok(None) => Err(FilesError::NotAvailable {
                    path: path.to_owned(),
                }),
                Err(e) => Err(e),
            }
        };
        match outcome {
            Ok((manifest, counts)) => {
                let stored = manifest.parts.iter().map(|part| part.stored_size).sum();
                self.update_entry(path, |entry| {
                    entry.state = TransferState::UploadCompleted;
                    entry.stored_size = Some(stored);
                })?;
                Ok(Some(counts))
            }
            Err(error) => {
                let message = error.to_string();
                self.update_entry(path, |entry| {
                    entry.state = TransferState::UploadFailed;
                    entry.error = Some(message);
                })?;
                Err(error)
            }
        }
    }
}

fn walk(dir: &Path, prefix: &str, found: &mut Vec<String>) -> Result<(), FilesError> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(FilesError::local("listing", dir)(e)),
    };
    for item in entries {
        let item = item.map_err(FilesError::local("listing", dir))?;
        let name = item.file_name();
        let Some(name) = name.to_str() else { continue };
        if name.starts_with('.') || name == STATE_DIR {
            continue;
        }
        let path = if prefix.is_empty() {
            name.to_owned()
        } else {
            format!("{prefix}/{name}")
        };
        let kind = item
            .file_type()
            .map_err(FilesError::local("reading the type of", item.path()))?;
        if kind.is_dir() {
            walk(&item.path(), &path, found)?;
        } else if kind.is_file() && validate_path(&path).is_ok() {
            found.push(path);
        }
    }
    Ok(())
}
