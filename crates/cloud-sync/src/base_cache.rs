//! The cached content of the last synced head (the base of a three-way merge), kept next
//! to the synced file in `<file>.cloud-sync.base`.
//!
//! The cache is written to a temporary file and renamed into place, so it is never seen
//! half-written, and it is only trusted when its sha256 is the one the sync state
//! records; otherwise the immutable snapshot of that head is downloaded again (found
//! through the backup entries) and cached. A crash at any point leaves a cache that is
//! right, or missing or stale and fetched again.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::backup;
use crate::digest::sha256_hex;
use crate::error::{Error, Operation};
use crate::file_sync::FileSync;
use crate::snapshot;
use crate::state::SyncState;

#[derive(Debug)]
pub(crate) struct BaseCache {
    path: PathBuf,
}

impl BaseCache {
    /// The cache of `file`: `<file>.cloud-sync.base`.
    pub(crate) fn next_to(file: &Path) -> BaseCache {
        let mut name = file.file_name().unwrap_or_default().to_owned();
        name.push(".cloud-sync.base");
        BaseCache {
            path: file.with_file_name(name),
        }
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// The content of the last synced head: the cache when its hash matches, else the
    /// immutable snapshot downloaded again (and cached).
    pub(crate) fn content(
        &self,
        files: &FileSync,
        state: &SyncState,
        warnings: &mut Vec<String>,
    ) -> Result<Vec<u8>, Error> {
        match fs::read(&self.path) {
            Ok(cached) if sha256_hex(&cached) == state.remote_sha256 => return Ok(cached),
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::local(Operation::ReadLocal, &self.path, e)),
        }
        let reference = backup::list(files.remote(), files.limits())?
            .into_iter()
            .find(|entry| entry.snapshot.sha256 == state.remote_sha256)
            .map(|entry| entry.snapshot)
            .ok_or_else(|| Error::NotFound {
                key: format!(
                    "{}/backups/* naming snapshot {}",
                    files.remote().prefix(),
                    state.remote_sha256
                ),
            })?;
        let content = snapshot::download(files.remote(), &reference, files.limits())?;
        self.put(&content, warnings);
        Ok(content)
    }

    /// Caches `content`, which the caller knows to be the content of the head it records
    /// as the base (a verified download, or what it just pushed). Renamed into place but
    /// not flushed: the cache is checked against the state's hash before use, so a torn
    /// or lost cache only costs a download.
    pub(crate) fn put(&self, content: &[u8], warnings: &mut Vec<String>) {
        self.commit(self.stage(content), warnings);
    }

    /// Writes `content` to a temporary file next to the cache, which becomes the cache
    /// only through [`BaseCache::commit`]: a push stages its content while the upload is
    /// under way, before it knows whether the head will move. Not flushed (see
    /// [`BaseCache::put`]).
    pub(crate) fn stage(&self, content: &[u8]) -> Result<StagedCache, Error> {
        let mut writer = atomic_io::Options::new()
            .durability(atomic_io::Durability::AtomicOnly)
            .open(&self.path)
            .map_err(|source| self.write_error(source))?;
        writer
            .write_all(content)
            .map_err(|e| Error::local(Operation::WriteLocal, &self.path, e))?;
        Ok(StagedCache { writer })
    }

    /// Makes a staged content the cache (atomically); a failure, now or when it was
    /// staged, only costs a download later and becomes a warning.
    pub(crate) fn commit(&self, staged: Result<StagedCache, Error>, warnings: &mut Vec<String>) {
        let committed = staged.and_then(|staged| {
            // Removed first, so that the rename replaces no file: ext4 would otherwise
            // allocate and start writing the new content at once (its guard against a
            // replaced file read back empty after a crash), on this thread, while the
            // push waits. The cache needs no such guard: it is checked by hash before
            // use, so a missing or torn one only costs a download.
            match fs::remove_file(&self.path) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(Error::local(Operation::WriteLocal, &self.path, e)),
            }
            staged
                .writer
                .commit()
                .map(drop)
                .map_err(|source| self.write_error(source))
        });
        if let Err(e) = committed {
            warnings.push(format!("base cache not written: {e}"));
        }
    }

    fn write_error(&self, source: atomic_io::Error) -> Error {
        Error::AtomicWrite {
            path: self.path.clone(),
            source: Box::new(source),
        }
    }

    /// Whether a cache of `len` bytes exists (its hash is checked when it is used).
    pub(crate) fn has_len(&self, len: usize) -> bool {
        fs::metadata(&self.path).is_ok_and(|meta| meta.len() == len as u64)
    }
}

/// A base-cache content in a temporary file, not yet the cache: dropped without
/// [`BaseCache::commit`], the temporary file is removed and the cache left as it was.
#[derive(Debug)]
pub(crate) struct StagedCache {
    writer: atomic_io::Writer,
}
