//! Side files take the owner, group and mode of the data file they belong to, so every
//! user who may write a store can also use, recover and remove its side files.

use std::fs::{File, Metadata, OpenOptions};
use std::io::Write;
use std::path::Path;

use crate::error::{Error, Result};

/// Gives `file` (just created at `path`) the owner, group and permission bits of
/// `like`. The owner is best effort: only a privileged process may give a file away,
/// and a file a process creates is already its own.
pub(crate) fn copy_ownership(file: &File, path: &Path, like: &Metadata) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let _ = std::os::unix::fs::fchown(file, Some(like.uid()), Some(like.gid()));
    }
    file.set_permissions(like.permissions())
        .map_err(|err| Error::io("copy permissions to", path, err))
}

/// Creates (or truncates) `path`, gives it the owner and mode of the existing file
/// `like` (when there is one), writes `bytes` and flushes them.
pub(crate) fn write_side_file(path: &Path, bytes: &[u8], like: &Path) -> Result<()> {
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)
        .map_err(|err| Error::io("create", path, err))?;
    if let Ok(meta) = std::fs::metadata(like) {
        copy_ownership(&file, path, &meta)?;
    }
    file.write_all(bytes)
        .map_err(|err| Error::io("write", path, err))?;
    file.sync_all().map_err(|err| Error::io("flush", path, err))
}
