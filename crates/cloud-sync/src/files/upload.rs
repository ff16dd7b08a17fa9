//! Registering local files in the catalogue and uploading them.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use super::catalogue::{FileEntry, folder_of, validate_path};
use super::local::LocalFact;
use super::objects::{CloudCopy, Layout, UploadCounts, files_in_cloud, find_in_cloud};
use super::parallel::{self, Slots, Tracker};
use super::pipeline::{Lookup, Transfers};
use super::{ContentFiles, FileOperation, FilesError, Progress, STATE_DIR, TransferState};

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

/// Files per pair of catalogue transactions in an upload run: a batch is marked
/// `UploadInProgress` in one transaction and its outcomes recorded in another, instead
/// of two or three durable commits per file.
const BATCH_FILES: usize = 256;
/// A batch also ends once it holds this many bytes, so the outcomes of large files are
/// recorded without waiting for many others.
const BATCH_BYTES: u64 = 256 << 20;

/// A file of a batch whose lease this process holds.
struct Leased<'a> {
    entry: &'a FileEntry,
    /// The content to send: the local file's (as registering found it) or, with no
    /// local file, the catalogued one.
    sha256: String,
    local: Option<u64>,
    _lease: Lease,
}

/// The right to send one file: beside other uploaders, the file's own lease; alone,
/// nothing more than the `uploaders` lock.
struct Lease {
    _guard: Option<file_lock::LockGuard>,
}

/// How this process uploads a batch, held until the batch's outcomes are committed.
///
/// An upload "in progress" is abandoned when no live process is sending it. Every
/// uploader holds the `uploaders` lock: alone (exclusive), it may treat every file in
/// progress as abandoned and needs no lease per file; beside others (shared), it takes
/// a lease per file, so a file another process is sending is left to it. One lock file
/// instead of one per file: creating a file is the slowest step of a small upload.
struct Uploading {
    alone: bool,
    _guard: file_lock::LockGuard,
}

impl ContentFiles {
    /// Adds every regular file under the root (hidden names skipped) that the catalogue
    /// does not know, and marks catalogued files whose content changed as pending.
    pub fn register(&self) -> Result<RegisterReport, FilesError> {
        self.register_found().map(|(report, _)| report)
    }

    /// [`ContentFiles::register`], also returning what it found on disk.
    fn register_found(&self) -> Result<(RegisterReport, BTreeMap<String, LocalFact>), FilesError> {
        let mut found = Vec::new();
        walk(&self.root, "", &mut found)?;
        let paths: Vec<&str> = found.iter().map(String::as_str).collect();
        let facts = self.local_facts(&paths)?;
        let catalogue = self.catalogue.path().to_path_buf();
        let device = self.device.id.clone();
        let now = chrono::Utc::now().to_rfc3339();
        let report = self
            .catalogue
            .update(|tx| {
                let table = tx.table::<FileEntry>()?;
                let mut report = RegisterReport::default();
                for (path, fact) in &facts {
                    let LocalFact::Present { size, sha256 } = fact else {
                        continue;
                    };
                    match table.get_mut(&(*path).to_owned()) {
                        Some(entry) if entry.sha256 == *sha256 || entry.is_deleted() => {}
                        Some(entry) => {
                            entry.sha256 = sha256.clone();
                            entry.sha1 = None;
                            entry.size = *size;
                            entry.state = TransferState::UploadPending;
                            entry.stored_size = None;
                            entry.error = None;
                            entry.device = device.clone();
                            entry.updated = now.clone();
                            report.changed.push((*path).to_owned());
                        }
                        None => {
                            table.upsert(FileEntry {
                                path: (*path).to_owned(),
                                folder: folder_of(path).to_owned(),
                                sha256: sha256.clone(),
                                sha1: None,
                                size: *size,
                                state: TransferState::UploadPending,
                                stored_size: None,
                                error: None,
                                device: device.clone(),
                                updated: now.clone(),
                                conflict: None,
                            });
                            report.added.push((*path).to_owned());
                        }
                    }
                }
                Ok::<_, record_store::Error>(report)
            })
            .map_err(FilesError::catalogue(catalogue))?;
        let facts = facts
            .into_iter()
            .map(|(path, fact)| (path.to_owned(), fact))
            .collect();
        Ok((report, facts))
    }

    /// Registers local files, then uploads every file not known to be in the cloud
    /// (pending, failed, or in progress under a lease whose process died), with at most
    /// the parallel bound of transfers in flight. Failures are reported per file, not
    /// fatal.
    ///
    /// Files go in batches: the leases of a batch are taken, the batch is marked
    /// `UploadInProgress` in one catalogue transaction, sent, and its outcomes recorded in
    /// a second one; a crash in between leaves `UploadInProgress` under free leases,
    /// which the next run resumes. One listing of the files in the cloud, taken first,
    /// spares a request per file that is not there yet (and per small file that is).
    pub fn upload(
        &self,
        progress: &(dyn Fn(&Progress) + Sync),
    ) -> Result<UploadReport, FilesError> {
        let (registered, facts) = self.register_found()?;
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
        if todo.is_empty() {
            return Ok(report);
        }
        let listed = files_in_cloud(&self.remote)?;
        let slots = Slots::new(self.parallel);
        let tracker = Tracker::new(&todo, progress);
        let mut rest = todo.as_slice();
        while !rest.is_empty() {
            let mut bytes = 0u64;
            let len = rest
                .iter()
                .take(BATCH_FILES)
                .take_while(|entry| {
                    let first = bytes == 0;
                    bytes = bytes.saturating_add(entry.size.max(1));
                    first || bytes <= BATCH_BYTES
                })
                .count();
            let (batch, after) = rest.split_at(len.max(1));
            rest = after;
            self.upload_batch(batch, &facts, &listed, &slots, &tracker, &mut report)?;
        }
        report.uploaded.sort();
        Ok(report)
    }

    fn upload_batch(
        &self,
        batch: &[FileEntry],
        facts: &BTreeMap<String, LocalFact>,
        listed: &BTreeMap<String, Layout>,
        slots: &Slots,
        tracker: &Tracker<'_>,
        report: &mut UploadReport,
    ) -> Result<(), FilesError> {
        let uploading = self.uploading()?;
        let mut leased = Vec::with_capacity(batch.len());
        for entry in batch {
            match self.lease(&uploading, &entry.path) {
                Ok(Some(lease)) => {
                    let (sha256, local) = match facts.get(&entry.path) {
                        Some(LocalFact::Present { sha256, size }) => (sha256.clone(), Some(*size)),
                        _ => (entry.sha256.clone(), None),
                    };
                    leased.push(Leased {
                        entry,
                        sha256,
                        local,
                        _lease: lease,
                    });
                }
                Ok(None) => {
                    tracker.finish_files(1);
                    report.busy.push(entry.path.clone());
                }
                Err(error) => {
                    tracker.finish_files(1);
                    report.failed.push((entry.path.clone(), error));
                }
            }
        }
        if leased.is_empty() {
            return Ok(());
        }
        self.update_entries(leased.iter().map(|file| {
            (file.entry.path.as_str(), move |entry: &mut FileEntry| {
                if let Some(size) = file.local {
                    if entry.sha256 != file.sha256 {
                        entry.sha1 = None;
                    }
                    entry.sha256 = file.sha256.clone();
                    entry.size = size;
                }
                entry.state = TransferState::UploadInProgress;
                entry.error = None;
            })
        }))?;
        let outcomes = parallel::run(
            &leased,
            |file| file.entry.path.as_str(),
            self.parallel,
            tracker,
            |file, on_part| {
                let lookup = match listed.get(&file.sha256) {
                    // Listed with its size: nothing to ask.
                    Some(&Layout::Whole { stored_size }) => {
                        return Ok((CloudCopy::Whole { stored_size }, already_in_cloud()));
                    }
                    Some(Layout::Parts) => Lookup::AskTheCloud,
                    None => Lookup::ListedAbsent,
                };
                self.send(
                    &file.entry.path,
                    &file.sha256,
                    file.local.is_some(),
                    lookup,
                    slots,
                    on_part,
                )
            },
        );
        let mut results: BTreeMap<String, Result<u64, String>> = BTreeMap::new();
        for (path, outcome) in outcomes {
            match outcome {
                Ok((copy, counts)) => {
                    report.counts.parts_sent += counts.parts_sent;
                    report.counts.parts_skipped += counts.parts_skipped;
                    report.counts.bytes_sent += counts.bytes_sent;
                    results.insert(path.clone(), Ok(copy.stored_size()));
                    report.uploaded.push(path);
                }
                Err(error) => {
                    results.insert(path.clone(), Err(error.to_string()));
                    report.failed.push((path, error));
                }
            }
        }
        // The leases are given back only after the outcomes are committed.
        self.record_outcomes(&results)?;
        drop(leased);
        drop(uploading);
        Ok(())
    }

    /// Uploads one catalogued file under its lease; `None` when another live process
    /// holds the lease.
    pub fn upload_one(
        &self,
        path: &str,
        on_part: &mut dyn FnMut(u64),
    ) -> Result<Option<UploadCounts>, FilesError> {
        let uploading = self.uploading()?;
        let Some(_lease) = self.lease(&uploading, path)? else {
            return Ok(None);
        };
        let entry = self
            .entry(path)?
            .ok_or_else(|| FilesError::NotInCatalogue {
                path: path.to_owned(),
            })?;
        // The file on disk is the truth: a content change since registering is recorded
        // (with its new hash) before anything is sent.
        let fact = self.local_fact(path)?;
        let sha256 = match &fact {
            LocalFact::Present { sha256, .. } => sha256.clone(),
            LocalFact::Missing => entry.sha256.clone(),
        };
        self.update_entry(path, |entry| {
            if let LocalFact::Present { sha256, size } = fact {
                if sha256 != entry.sha256 {
                    entry.sha1 = None;
                }
                entry.sha256 = sha256;
                entry.size = size;
            }
            entry.state = TransferState::UploadInProgress;
            entry.error = None;
        })?;
        let slots = Slots::new(self.parallel);
        let present = self.local_path(path).is_file();
        let outcome = self.send(path, &sha256, present, Lookup::AskTheCloud, &slots, on_part);
        let recorded = match &outcome {
            Ok((copy, _)) => Ok(copy.stored_size()),
            Err(error) => Err(error.to_string()),
        };
        self.record_outcomes(&BTreeMap::from([(path.to_owned(), recorded)]))?;
        outcome.map(|(_, counts)| Some(counts))
    }

    /// Joins the uploaders: alone if no other process uploads now, else beside them
    /// (waiting, at most, for a lone uploader to finish its batch).
    fn uploading(&self) -> Result<Uploading, FilesError> {
        let path = self.state_dir.join("uploaders");
        let lock = file_lock::FileLock::new(&path);
        let error = |source| FilesError::Lock {
            path: path.clone(),
            source,
        };
        let (alone, guard) = match lock.try_exclusive() {
            Ok(guard) => (true, guard),
            Err(file_lock::Error::WouldBlock { .. }) => (false, lock.shared().map_err(error)?),
            Err(source) => return Err(error(source)),
        };
        Ok(Uploading {
            alone,
            _guard: guard,
        })
    }

    /// The right to send `path`; `None` when another live process holds its lease.
    fn lease(&self, uploading: &Uploading, path: &str) -> Result<Option<Lease>, FilesError> {
        if uploading.alone {
            return Ok(Some(Lease { _guard: None }));
        }
        match self.lock_for("leases", path).try_exclusive() {
            Ok(guard) => Ok(Some(Lease {
                _guard: Some(guard),
            })),
            // Held elsewhere; a thread holding it itself (the lease is taken in the
            // caller's thread, not a worker's) is just as busy.
            Err(
                file_lock::Error::WouldBlock { .. }
                | file_lock::Error::AlreadyHeldByThisThread { .. },
            ) => Ok(None),
            Err(source) => Err(FilesError::Lock {
                path: self.local_path(path),
                source,
            }),
        }
    }

    /// Sends one file's content `sha256` (from the local file when `present`, else only
    /// confirming the cloud already holds it).
    fn send(
        &self,
        path: &str,
        sha256: &str,
        present: bool,
        lookup: Lookup,
        slots: &Slots,
        on_part: &mut dyn FnMut(u64),
    ) -> Result<(CloudCopy, UploadCounts), FilesError> {
        if present {
            let transfers = Transfers {
                remote: &self.remote,
                part_size: self.part_size,
                slots,
            };
            return transfers.upload_file(&self.local_path(path), sha256, lookup, on_part);
        }
        // Nothing local to send: completed only if the cloud already holds it.
        match find_in_cloud(&self.remote, sha256, true)? {
            Some(copy) => Ok((copy, already_in_cloud())),
            None => Err(FilesError::NotAvailable {
                path: path.to_owned(),
            }),
        }
    }

    /// Records upload outcomes (stored bytes, or the error) in one transaction.
    fn record_outcomes(
        &self,
        results: &BTreeMap<String, Result<u64, String>>,
    ) -> Result<(), FilesError> {
        self.update_entries(results.iter().map(|(path, result)| {
            (path.as_str(), move |entry: &mut FileEntry| match result {
                Ok(stored) => {
                    entry.state = TransferState::UploadCompleted;
                    entry.stored_size = Some(*stored);
                }
                Err(message) => {
                    entry.state = TransferState::UploadFailed;
                    entry.error = Some(message.clone());
                }
            })
        }))
    }
}

fn already_in_cloud() -> UploadCounts {
    UploadCounts {
        already_in_cloud: true,
        ..UploadCounts::default()
    }
}

fn walk(dir: &Path, prefix: &str, found: &mut Vec<String>) -> Result<(), FilesError> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(FilesError::local(FileOperation::Listing, dir)(e)),
    };
    for item in entries {
        let item = item.map_err(FilesError::local(FileOperation::Listing, dir))?;
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
            .map_err(FilesError::local(FileOperation::ReadingType, item.path()))?;
        if kind.is_dir() {
            walk(&item.path(), &path, found)?;
        } else if kind.is_file() && validate_path(&path).is_ok() {
            found.push(path);
        }
    }
    Ok(())
}
