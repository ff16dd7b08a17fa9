//! Download on demand, download all, and eviction.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::availability::Availability;
use super::catalogue::FileEntry;
use super::local::LocalFact;
use super::objects::{FileManifest, Layout, any_size, files_in_cloud, read_manifest, single_part};
use super::parallel::{self, Slots, Tracker};
use super::pipeline::Transfers;
use super::whole::fetch_whole;
use super::{ContentFiles, FileOperation, FilesError, ManifestProblem, Progress};
use crate::error::Error;

/// What [`ContentFiles::open`] returned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Opened {
    /// The local path, holding the file.
    pub path: PathBuf,
    /// Whether this call downloaded it (false: it was already there, or another process
    /// downloaded it while this one waited).
    pub downloaded: bool,
}

/// What [`ContentFiles::download_all`] did.
#[derive(Debug, Default)]
pub struct DownloadReport {
    /// Files downloaded by this call.
    pub downloaded: Vec<String>,
    /// Files already present locally.
    pub present: Vec<String>,
    /// Files that could not be made local, with the error.
    pub failed: Vec<(String, FilesError)>,
}

/// What [`ContentFiles::evict`] did.
#[derive(Debug, Default)]
pub struct EvictReport {
    /// Files whose local copy was removed.
    pub evicted: Vec<String>,
    /// Bytes freed.
    pub freed_bytes: u64,
    /// Files kept because they are not safely in the cloud.
    pub refused: Vec<(String, Availability)>,
}

impl ContentFiles {
    /// The local path of `path`, downloaded and verified first when there is no local
    /// copy. A local copy that differs from the catalogue (an edit) is returned as is,
    /// never overwritten.
    pub fn open(&self, path: &str) -> Result<Opened, FilesError> {
        self.open_with(path, None, &Slots::new(self.parallel), &mut |_| {})
    }

    fn open_with(
        &self,
        path: &str,
        listed: Option<&BTreeMap<String, Layout>>,
        slots: &Slots,
        on_part: &mut dyn FnMut(u64),
    ) -> Result<Opened, FilesError> {
        let entry = self.live_entry(path)?;
        let local = self.local_path(path);
        let present = |this: &ContentFiles| -> Result<bool, FilesError> {
            Ok(this.local_fact(path)? != LocalFact::Missing)
        };
        if present(self)? {
            return Ok(Opened {
                path: local,
                downloaded: false,
            });
        }
        let _guard = self.download_lock(path)?;
        // Another process may have downloaded it while this one waited.
        if present(self)? {
            return Ok(Opened {
                path: local,
                downloaded: false,
            });
        }
        if let Some(parent) = local.parent() {
            fs::create_dir_all(parent)
                .map_err(FilesError::local(FileOperation::Creating, parent))?;
        }
        let transfers = Transfers {
            remote: &self.remote,
            part_size: self.part_size,
            slots,
        };
        self.fetch_entry(&transfers, &entry, path, listed, on_part)?;
        self.remember_written(path, &entry.sha256)?;
        Ok(Opened {
            path: local,
            downloaded: true,
        })
    }

    /// Downloads `entry`'s content (the catalogue's entry for `path`) into place.
    /// `listed` (a listing of the files in the cloud) tells which layout to fetch and
    /// spares the requests for a file that is not there; without it, the layout a file
    /// of its size is most likely in is tried first, so a small file costs one GET.
    fn fetch_entry(
        &self,
        transfers: &Transfers<'_>,
        entry: &FileEntry,
        path: &str,
        listed: Option<&BTreeMap<String, Layout>>,
        on_part: &mut dyn FnMut(u64),
    ) -> Result<(), FilesError> {
        let not_available = || FilesError::NotAvailable {
            path: path.to_owned(),
        };
        let small = entry.size <= self.part_size as u64;
        let layout = match listed {
            Some(listed) => Some(*listed.get(&entry.sha256).ok_or_else(not_available)?),
            None => None,
        };
        let fetch_whole = || {
            let _slot = transfers.slots.acquire();
            fetch_whole(&self.remote, &entry.sha256, entry.size, path)
        };
        let whole_first = match layout {
            Some(Layout::Whole { .. }) => true,
            // A two-object file small enough to have been sent as one part by a device
            // with this part size: that part's address is the file's own, so one GET
            // fetches it without the manifest. A file sent in smaller parts has no such
            // object, and the manifest is read after all.
            Some(Layout::Parts) if small => {
                match self.fetch_into(transfers, &single_part(entry), path, on_part) {
                    Err(FilesError::Remote(e)) if matches!(*e, Error::NotFound { .. }) => {}
                    done => return done,
                }
                false
            }
            Some(Layout::Parts) => false,
            None => small,
        };
        if whole_first && let Some((content, _)) = fetch_whole()? {
            return self.write_whole(path, &content, on_part);
        }
        match read_manifest(&self.remote, &entry.sha256, &any_size())? {
            Some(manifest) if manifest.size != entry.size => Err(FilesError::InvalidManifest {
                key: path.to_owned(),
                problem: ManifestProblem::SizeDiffersFromCatalogue {
                    manifest: manifest.size,
                    catalogue: entry.size,
                },
                source: None,
            }),
            Some(manifest) => self.fetch_into(transfers, &manifest, path, on_part),
            // Not listed, and not where a file of its size usually is: the other layout
            // (a device with a larger part size sends larger files whole).
            None if layout.is_none() && !small => match fetch_whole()? {
                Some((content, _)) => self.write_whole(path, &content, on_part),
                None => Err(not_available()),
            },
            None => Err(not_available()),
        }
    }

    /// Puts `content` (fetched and checked) under `path`'s final name, atomically and
    /// durably.
    fn write_whole(
        &self,
        path: &str,
        content: &[u8],
        on_part: &mut dyn FnMut(u64),
    ) -> Result<(), FilesError> {
        self.write_atomically(path, &mut |writer, local| {
            writer
                .write_all(content)
                .map_err(FilesError::local(FileOperation::Writing, local))
        })?;
        on_part(content.len() as u64);
        Ok(())
    }

    /// Downloads `manifest`'s content and puts it under `path`'s final name, atomically
    /// and durably, only once every check passed.
    fn fetch_into(
        &self,
        transfers: &Transfers<'_>,
        manifest: &FileManifest,
        path: &str,
        on_part: &mut dyn FnMut(u64),
    ) -> Result<(), FilesError> {
        self.write_atomically(path, &mut |writer, local| {
            transfers.download_file(manifest, path, writer, local, on_part)
        })
    }

    /// Runs `fill` on an atomic-io writer for `path`'s final name and commits it only
    /// when `fill` succeeds.
    fn write_atomically(
        &self,
        path: &str,
        fill: &mut dyn FnMut(&mut atomic_io::Writer, &Path) -> Result<(), FilesError>,
    ) -> Result<(), FilesError> {
        let local = self.local_path(path);
        let atomic_error = |source| FilesError::AtomicWrite {
            path: local.clone(),
            source,
        };
        let mut writer = atomic_io::Options::new()
            .open(&local)
            .map_err(atomic_error)?;
        // On any error the writer is dropped uncommitted: its temporary file goes away
        // and nothing appears under the final name.
        fill(&mut writer, &local)?;
        writer.commit().map_err(atomic_error)?;
        Ok(())
    }

    /// Makes every live catalogued file that `filter` selects local, with at most the
    /// parallel bound of transfers in flight; `progress` is called after every part.
    /// One listing of the files in the cloud, taken first, tells which files are there
    /// and in which layout: a small file costs one GET.
    pub fn download_all(
        &self,
        filter: &(dyn Fn(&FileEntry) -> bool + Sync),
        progress: &(dyn Fn(&Progress) + Sync),
    ) -> Result<DownloadReport, FilesError> {
        let todo: Vec<FileEntry> = self
            .entries()?
            .into_iter()
            .filter(|entry| filter(entry))
            .collect();
        let mut report = DownloadReport::default();
        if todo.is_empty() {
            return Ok(report);
        }
        let listed = files_in_cloud(&self.remote)?;
        let slots = Slots::new(self.parallel);
        let tracker = Tracker::new(&todo, progress);
        let outcomes = parallel::run(
            &todo,
            |entry| entry.path.as_str(),
            self.parallel,
            &tracker,
            |entry, on_part| self.open_with(&entry.path, Some(&listed), &slots, on_part),
        );
        for (path, outcome) in outcomes {
            match outcome {
                Ok(opened) if opened.downloaded => report.downloaded.push(path),
                Ok(_) => report.present.push(path),
                Err(error) => report.failed.push((path, error)),
            }
        }
        report.downloaded.sort();
        report.present.sort();
        Ok(report)
    }

    /// Removes the local copies of the files `filter` selects that are `Synchronized`
    /// (checked against the local content and the cloud now); every other file is kept
    /// and listed as refused.
    pub fn evict(&self, filter: &dyn Fn(&FileEntry) -> bool) -> Result<EvictReport, FilesError> {
        let mut report = EvictReport::default();
        for entry in self.entries()?.into_iter().filter(|entry| filter(entry)) {
            match self.evict_one(&entry.path) {
                Ok(freed) => {
                    report.evicted.push(entry.path);
                    report.freed_bytes += freed;
                }
                Err(FilesError::NotSafeToEvict {
                    availability: Availability::CloudOnly | Availability::NotAvailable,
                    ..
                }) => {}
                Err(FilesError::NotSafeToEvict { path, availability }) => {
                    report.refused.push((path, availability))
                }
                Err(e) => return Err(e),
            }
        }
        Ok(report)
    }

    /// Removes the local copy of one `Synchronized` file; returns the bytes freed.
    pub fn evict_one(&self, path: &str) -> Result<u64, FilesError> {
        // Under the download lock, so an `open` in another process cannot race it.
        let local = self.local_path(path);
        let _guard = self.download_lock(path)?;
        let availability = self.availability(path)?;
        if availability != Availability::Synchronized {
            return Err(FilesError::NotSafeToEvict {
                path: path.to_owned(),
                availability,
            });
        }
        let size = fs::metadata(&local)
            .map_err(FilesError::local(FileOperation::ReadingMetadata, &local))?
            .len();
        fs::remove_file(&local).map_err(FilesError::local(FileOperation::Removing, &local))?;
        Ok(size)
    }
}
