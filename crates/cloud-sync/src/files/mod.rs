//! Content files (ROMs, manuals, screenshots, attachments) in the cloud, downloaded on
//! demand, with their availability computed from facts.
//!
//! A [`ContentFiles`] ties a local content root, a **file catalogue** (a record-store
//! table `files` in an SDN file, synced with the database like any other table), a
//! device-local state directory (`<root>/.cloud-sync-files/`: hash cache, upload leases,
//! download locks) and a [`Remote`].
//!
//! # Guarantees
//!
//! - **Availability is computed, never trusted from the log.** [`ContentFiles::status`]
//!   compares the local file's sha256 (re-hashed only when its size or mtime changed;
//!   "racily clean" files, modified within two seconds of the look, are never cached) with
//!   the catalogue, and asks the cloud which files it holds (one listing). A file
//!   deleted on disk, missing in the bucket or edited after upload is reported as such.
//! - **Uploads are content-addressed, create-only, verified and resumable.** A file of
//!   at most one part ([`ContentFiles::with_part_size`], 8 MiB by default) is **one
//!   object**, `files/objects/<sha256 of the file>.file`, sent with one create-only PUT
//!   and fetched with one GET (format below). A larger file is cut into parts, each
//!   stored as `files/parts/<sha256 of the part>.zst` (zstd) create-only, and its
//!   manifest `files/objects/<sha256 of the file>.json` is written last, create-only, so
//!   its presence means the whole file is there. Every object is verified once stored:
//!   by the server's ETag when it is the MD5 of the bytes sent (what an S3 server
//!   computes over the object it stored), otherwise by reading it back and comparing. A
//!   file already in the cloud (in either layout) is not sent again; a part already
//!   present (from an interrupted run or another file) is verified, not sent again.
//! - **A bound on parallel transfers** ([`ContentFiles::with_parallel`], 4 by default):
//!   at most that many files are in hand and at most that many parts are in flight
//!   (read, compressed, sent, or fetched and checked), so a large file uses every slot
//!   for its parts and memory stays within about `2 × parallel × part size`.
//! - **Crash-safe states.** The [`TransferState`] is committed through record-store
//!   transactions, one pair per batch of files in [`ContentFiles::upload`] (the batch
//!   marked `UploadInProgress`, then its outcomes). Uploaders hold file-lock locks,
//!   which die with their process: one that uploads alone holds the `uploaders` lock
//!   exclusively, and uploaders side by side hold it shared plus a lease per file. A
//!   later run finding `UploadInProgress` with no live uploader (or, beside others, a
//!   free lease) resumes it. Deletions in progress are resumed
//!   the same way (they are idempotent).
//! - **Downloads are verified and atomic.** A whole-file object is checked against its
//!   address; the parts of a larger file are fetched in parallel and streamed in order
//!   into an atomic-io temporary file, every part and the whole checked against their
//!   sha256 before that file is committed: an interrupted or failed download never
//!   leaves a partial file under the final name, and a corrupted object gives
//!   [`FilesError::Checksum`] with the local file untouched. Concurrent
//!   [`ContentFiles::open`] calls for one file, in any processes, download it once (a
//!   file-lock lock per file; the others find it present when they get the lock).
//! - **Eviction never loses data**: only `Synchronized` files are removed locally.
//! - **Deletion waits for every device.** [`ContentFiles::delete`] writes a tombstone
//!   (`files/tombstones/<sha256>.json`); every device acknowledges it
//!   (`files/acks/<sha256>/<device>.json`) when it processes deletions, and the cloud
//!   copy is removed only when every device registered under `devices/` has
//!   acknowledged without objection. A device that edited the file, or holds the
//!   content under another path, keeps it: the conflict is recorded in its catalogue
//!   entry and on the deleting device (`DeletionFailed`), nothing is removed.
//!
//! # Remote layout
//!
//! | key | content |
//! |---|---|
//! | `files/objects/<sha256>.file` | a file of at most one part, whole |
//! | `files/parts/<sha256>.zst` | one zstd part of a larger file, addressed by the part's sha256 |
//! | `files/objects/<sha256>.json` | a [`FileManifest`]: the parts of a larger file, in order |
//! | `files/tombstones/<sha256>.json`, `files/acks/<sha256>/<device>.json` | a deletion and each device's answer |
//!
//! A whole-file object is self-describing: one line of JSON, then the payload.
//!
//! ```text
//! {"format":1,"sha256":"<sha256 of the content>","size":<bytes>,"compression":"zstd"}\n
//! <one zstd frame of the content>
//! ```
//!
//! `compression` is `"none"` (the payload is the content itself) when zstd would not
//! make the file smaller. The header line is at most 1 KiB; a reader checks that it names
//! the object's address and the catalogued size, decodes no more than that size and
//! compares the sha256; any mismatch, a damaged header included, is a
//! [`FilesError::Checksum`].
//!
//! Buckets written by versions before whole-file objects hold every file as parts and a
//! manifest, a one-part file included: they are read (listed, opened, downloaded,
//! counted as in the cloud so not sent again) and deleted as they are.
//!
//! # Limitations
//!
//! - The catalogue is synced by the database sync, not here: this module reads and writes
//!   the local catalogue file only.
//! - The acknowledgement set is the devices registered under `devices/` when deletions
//!   are processed ([`ContentFiles::new`] registers the device): a device that never
//!   registered is not waited for.
//! - Deletion tombstones are per-device acknowledgements in the cloud, not versioning
//!   tombstones: the versioning crate's row tombstones apply to the catalogue table itself
//!   once the database sync merges it.
//! - Verification reads a stored object back (a second transfer of its compressed bytes)
//!   when the server's ETag is not the MD5 of what was sent: always on the
//!   local-directory and in-memory remotes, and on S3 servers that encrypt with KMS keys.
//! - Which layout a file is in depends on the part size of the device that sent it.
//!   [`ContentFiles::open`] asks first for the layout its own part size implies: a file
//!   another device stored in the other layout costs one failed request first
//!   ([`ContentFiles::download_all`] and [`ContentFiles::status`] know the layout from
//!   their listing). A whole-file object is fetched into memory (at most its sender's
//!   part size).
//!
//! # Example
//!
//! ```
//! use cloud_sync::files::{Availability, ContentFiles};
//! use cloud_sync::{Device, Prefix, Remote};
//!
//! let shared = tempfile::tempdir()?;
//! let laptop = tempfile::tempdir()?;
//! let desktop = tempfile::tempdir()?;
//! let open = |dir: &std::path::Path, name: &str| -> Result<ContentFiles, Box<dyn std::error::Error>> {
//!     let remote = Remote::local_dir(shared.path(), Prefix::new("library")?)?;
//!     let device = Device::load_or_create(dir.join("device.json"), name)?;
//!     Ok(ContentFiles::new(dir.join("content"), dir.join("catalogue.sdn"), remote, device)?)
//! };
//! let laptop = open(laptop.path(), "laptop")?;
//! std::fs::create_dir_all(laptop.root().join("manuals"))?;
//! std::fs::write(laptop.root().join("manuals/guide.txt"), "how to play\n".repeat(100))?;
//! laptop.upload(&|_| {})?;
//! assert_eq!(laptop.availability("manuals/guide.txt")?, Availability::Synchronized);
//!
//! // The desktop received the catalogue with the database; the file comes on demand.
//! let desktop = open(desktop.path(), "desktop")?;
//! std::fs::copy(laptop.catalogue_path(), desktop.catalogue_path())?;
//! assert_eq!(desktop.availability("manuals/guide.txt")?, Availability::CloudOnly);
//! let opened = desktop.open("manuals/guide.txt")?;
//! assert!(opened.downloaded);
//! assert_eq!(std::fs::read(&opened.path)?, "how to play\n".repeat(100).into_bytes());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod availability;
mod catalogue;
mod deletion;
mod error;
mod local;
mod objects;
mod parallel;
mod part_io;
mod pipeline;
mod transfer;
mod upload;
mod whole;

use std::fs;
use std::path::{Path, PathBuf};

use record_store::Store;

use crate::device::Device;
use crate::remote::Remote;

pub use availability::{Availability, FileStatus, Usage};
pub use catalogue::{FileEntry, TransferState, folder_of, validate_path};
pub use deletion::DeletionReport;
pub use error::{FileOperation, FilesError, ManifestProblem};
pub use local::LocalFact;
pub use objects::{FileManifest, PartRef, UploadCounts};
pub use transfer::{DownloadReport, EvictReport, Opened};
pub use upload::{RegisterReport, UploadReport};

/// The name of the device-local state directory under the content root.
pub const STATE_DIR: &str = ".cloud-sync-files";
/// Default part size of uploads.
pub const DEFAULT_PART_SIZE: usize = 8 << 20;
/// Default bound on parallel transfers.
pub const DEFAULT_PARALLEL: usize = 4;

/// Progress of a batch transfer, given to callbacks after every part.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Progress {
    /// The file the last finished part belongs to.
    pub path: String,
    /// Uncompressed bytes transferred (or found already in place) so far in the batch.
    pub bytes_done: u64,
    /// Uncompressed bytes the batch covers.
    pub bytes_total: u64,
    /// Files finished so far.
    pub files_done: usize,
    /// Files in the batch.
    pub files_total: usize,
}

/// Content files of one device: a root directory, its catalogue and a remote.
#[derive(Debug)]
pub struct ContentFiles {
    root: PathBuf,
    state_dir: PathBuf,
    catalogue: Store,
    cache: Store,
    remote: Remote,
    device: Device,
    part_size: usize,
    parallel: usize,
}

impl ContentFiles {
    /// Opens the content root `root` (created if missing) with the catalogue at
    /// `catalogue` (an SDN file; created on the first commit) and registers `device` on
    /// the remote (deletions wait for every registered device).
    pub fn new(
        root: impl Into<PathBuf>,
        catalogue: impl AsRef<Path>,
        remote: Remote,
        device: Device,
    ) -> Result<ContentFiles, FilesError> {
        let root = root.into();
        let state_dir = root.join(STATE_DIR);
        for dir in [state_dir.join("leases"), state_dir.join("downloads")] {
            fs::create_dir_all(&dir).map_err(FilesError::local(FileOperation::Creating, &dir))?;
        }
        let catalogue =
            Store::open(catalogue.as_ref()).map_err(FilesError::catalogue(catalogue.as_ref()))?;
        let cache_path = state_dir.join("local-hashes.sdn");
        let cache = Store::open(&cache_path).map_err(FilesError::catalogue(&cache_path))?;
        device.publish(&remote)?;
        Ok(ContentFiles {
            root,
            state_dir,
            catalogue,
            cache,
            remote,
            device,
            part_size: DEFAULT_PART_SIZE,
            parallel: DEFAULT_PARALLEL,
        })
    }

    /// Sets the upload part size (at least 1 byte). Files up to this size are one part,
    /// stored as one whole-file object; larger ones as parts of this size and a manifest.
    pub fn with_part_size(mut self, part_size: usize) -> ContentFiles {
        self.part_size = part_size.max(1);
        self
    }

    /// Sets the bound on parallel transfers of [`ContentFiles::download_all`] and
    /// [`ContentFiles::upload`] (at least 1).
    pub fn with_parallel(mut self, parallel: usize) -> ContentFiles {
        self.parallel = parallel.max(1);
        self
    }

    /// The content root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The catalogue file.
    pub fn catalogue_path(&self) -> &Path {
        self.catalogue.path()
    }

    /// The remote.
    pub fn remote(&self) -> &Remote {
        &self.remote
    }

    /// This device.
    pub fn device(&self) -> &Device {
        &self.device
    }

    /// The local path of a catalogue path.
    pub fn local_path(&self, path: &str) -> PathBuf {
        self.root.join(path)
    }

    /// The lock file (in the state directory) that serialises `what` for `path`.
    fn lock_for(&self, what: &str, path: &str) -> file_lock::FileLock {
        file_lock::FileLock::new(
            self.state_dir
                .join(what)
                .join(crate::digest::sha256_hex(path.as_bytes())),
        )
    }

    /// Waits for the download lock of `path`: one download (or eviction) of a file at a
    /// time across processes.
    fn download_lock(&self, path: &str) -> Result<file_lock::LockGuard, FilesError> {
        self.lock_for("downloads", path)
            .exclusive()
            .map_err(|source| FilesError::Lock {
                path: self.local_path(path),
                source,
            })
    }

    /// Commits `change` to the catalogue entry of `path` (if it still exists).
    fn update_entry(
        &self,
        path: &str,
        change: impl FnOnce(&mut FileEntry),
    ) -> Result<(), FilesError> {
        self.update_entries([(path, change)])
    }

    /// Commits every change to its path's catalogue entry (those that still exist) in
    /// one transaction: one durable commit for a whole batch of files.
    fn update_entries<'p, F: FnOnce(&mut FileEntry)>(
        &self,
        changes: impl IntoIterator<Item = (&'p str, F)>,
    ) -> Result<(), FilesError> {
        let catalogue = self.catalogue.path().to_path_buf();
        let device = self.device.id.clone();
        let now = chrono::Utc::now().to_rfc3339();
        self.catalogue
            .update(|tx| {
                let table = tx.table::<FileEntry>()?;
                for (path, change) in changes {
                    if let Some(entry) = table.get_mut(&path.to_owned()) {
                        change(entry);
                        entry.device = device.clone();
                        entry.updated = now.clone();
                    }
                }
                Ok::<_, record_store::Error>(())
            })
            .map_err(FilesError::catalogue(catalogue))
    }
}
