//! The cached content of the last synced head (the base of a three-way merge), kept next
//! to the synced file in `<file>.cloud-sync.base`.
//!
//! The cache is replaced atomically and only trusted when its sha256 is the one the sync
//! state records; otherwise the immutable snapshot of that head is downloaded again
//! (found through the backup entries) and cached. A crash at any point leaves a cache
//! that is right or fetched again.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::backup;
use crate::digest::sha256_hex;
use crate::error::{Error, Operation};
use crate::file_sync::FileSync;
use crate::local_fs;
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
    /// as the base (a verified download, or what it just pushed). Replaced atomically but
    /// not flushed: the cache is checked against the state's hash before use, so a torn
    /// or lost cache only costs a download.
    pub(crate) fn put(&self, content: &[u8], warnings: &mut Vec<String>) {
        if let Err(e) = local_fs::replace_cache(&self.path, content) {
            warnings.push(format!("base cache not written: {e}"));
        }
    }

    /// Whether a cache of `len` bytes exists (its hash is checked when it is used).
    pub(crate) fn has_len(&self, len: usize) -> bool {
        fs::metadata(&self.path).is_ok_and(|meta| meta.len() == len as u64)
    }
}
