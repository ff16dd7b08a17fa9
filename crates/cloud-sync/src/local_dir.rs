//! A remote that is a plain directory: a local folder or a network share, no account.
//!
//! Each object is one file under the root, at its key's path. Writes give the same
//! guarantees as S3 conditional writes, across processes and across machines that share
//! the folder (as far as its file system honours locks):
//!
//! - every write takes an exclusive lock (file-lock) on the object's own sidecar under
//!   `<root>/.cloud-sync-locks/`, held across the compare and the replace;
//! - create-only checks under that lock that the object does not exist;
//! - if-match compares the ETag given (the sha256 of the content that was read) with the
//!   sha256 of the content now on disk, under the lock;
//! - the content is replaced with atomic-io (temp file in the same directory, flush,
//!   rename, flush the directory), so readers, who take no lock, see the complete old or
//!   the complete new object, and a crash never leaves a partial one.
//!
//! The ETag is a content hash, so two writes of identical bytes have the same ETag; a
//! compare-and-swap based on it then succeeds, which is correct (the content it was based
//! on is exactly what is there). The manifests cloud-sync writes never repeat, because
//! each names its parent.
//!
//! Names starting with `.` are reserved (locks, atomic-io temporary files) and are never
//! listed; [`Key`](crate::Key) rejects them.

use std::fs::{self, File};
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use file_lock::LockGuard;

use crate::digest::{sha256_hex, sha256_hex_reader};
use crate::error::{Error, Operation};
use crate::local_fs;
use crate::remote::object::{Fetched, ObjectVersion, PutKind, RawListed, RawMeta};

/// The directory under the root that holds the per-object lock sidecars.
const LOCK_DIR: &str = ".cloud-sync-locks";

/// A local-directory remote's root.
#[derive(Debug)]
pub(crate) struct LocalDir {
    root: PathBuf,
}

impl LocalDir {
    pub(crate) fn open(root: &Path) -> Result<LocalDir, Error> {
        fs::create_dir_all(root.join(LOCK_DIR))
            .map_err(|source| Error::local(Operation::Connect, root, source))?;
        Ok(LocalDir {
            root: root.to_owned(),
        })
    }

    /// The file of an object. `full` is a validated key: relative, no `..`, no `.`-names.
    fn file(&self, full: &str) -> PathBuf {
        self.root.join(full)
    }

    fn io_error(&self, operation: Operation, full: &str, source: io::Error) -> Error {
        Error::LocalRemote {
            operation,
            key: full.to_owned(),
            path: self.file(full),
            source,
        }
    }

    fn lock(&self, full: &str) -> Result<LockGuard, Error> {
        let path = self.root.join(LOCK_DIR).join(full);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)
                .map_err(|e| self.io_error(Operation::LockObject, full, e))?;
        }
        local_fs::lock(&path, Operation::LockObject)
    }

    pub(crate) fn get(&self, full: &str, max_size: u64) -> Result<Fetched, Error> {
        let mut file = self.open_object(Operation::Get, full)?;
        let size = file
            .metadata()
            .map_err(|e| self.io_error(Operation::Get, full, e))?
            .len();
        let too_large = |size| Error::TooLarge {
            what: "remote object",
            key: full.to_owned(),
            size,
            limit: max_size,
        };
        if size > max_size {
            return Err(too_large(size));
        }
        let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        // The file cannot grow (objects are replaced, never written in place), but bound
        // the read anyway.
        (&mut file)
            .take(max_size.saturating_add(1))
            .read_to_end(&mut bytes)
            .map_err(|e| self.io_error(Operation::Get, full, e))?;
        if bytes.len() as u64 > max_size {
            return Err(too_large(bytes.len() as u64));
        }
        let etag = sha256_hex(&bytes);
        Ok(Fetched {
            bytes: bytes.into(),
            version: ObjectVersion {
                etag: Some(etag),
                version: None,
            },
        })
    }

    fn open_object(&self, operation: Operation, full: &str) -> Result<File, Error> {
        File::open(self.file(full)).map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => Error::NotFound {
                key: full.to_owned(),
            },
            _ => self.io_error(operation, full, e),
        })
    }

    pub(crate) fn head(&self, full: &str) -> Result<Option<RawMeta>, Error> {
        let file = match self.open_object(Operation::Head, full) {
            Ok(file) => file,
            Err(Error::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(e),
        };
        let metadata = file
            .metadata()
            .map_err(|e| self.io_error(Operation::Head, full, e))?;
        let etag = sha256_hex_reader(&file).map_err(|e| self.io_error(Operation::Head, full, e))?;
        Ok(Some((
            metadata.len(),
            modified(&metadata),
            ObjectVersion {
                etag: Some(etag),
                version: None,
            },
        )))
    }

    /// The current ETag, `None` when the object does not exist.
    fn current_etag(&self, operation: Operation, full: &str) -> Result<Option<String>, Error> {
        match self.open_object(operation, full) {
            Ok(file) => sha256_hex_reader(file)
                .map(Some)
                .map_err(|e| self.io_error(operation, full, e)),
            Err(Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    pub(crate) fn put(
        &self,
        full: &str,
        bytes: &[u8],
        kind: &PutKind,
    ) -> Result<ObjectVersion, Error> {
        let operation = kind.operation();
        let _guard = self.lock(full)?;
        match kind {
            PutKind::Create => {
                if self.file(full).exists() {
                    return Err(Error::AlreadyExists {
                        key: full.to_owned(),
                    });
                }
            }
            PutKind::IfMatch(expected) => {
                let current = self.current_etag(operation, full)?;
                if current.is_none() || current != expected.etag {
                    return Err(Error::Precondition {
                        key: full.to_owned(),
                    });
                }
            }
            PutKind::Overwrite => {}
        }
        let path = self.file(full);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(|e| self.io_error(operation, full, e))?;
        }
        local_fs::replace(&path, bytes)?;
        Ok(ObjectVersion {
            etag: Some(sha256_hex(bytes)),
            version: None,
        })
    }

    pub(crate) fn list(&self, full: &str) -> Result<Vec<RawListed>, Error> {
        let mut listed = Vec::new();
        let start = if full.is_empty() {
            self.root.clone()
        } else {
            self.file(full)
        };
        self.walk(&start, full, &mut listed)?;
        Ok(listed)
    }

    fn walk(&self, dir: &Path, full: &str, listed: &mut Vec<RawListed>) -> Result<(), Error> {
        let entries = match fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            // A prefix naming a file lists nothing, as on S3 where `a` does not list `a`.
            Err(e) if e.kind() == io::ErrorKind::NotADirectory => return Ok(()),
            Err(e) => return Err(self.io_error(Operation::List, full, e)),
        };
        for entry in entries {
            let entry = entry.map_err(|e| self.io_error(Operation::List, full, e))?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if name.starts_with('.') {
                continue;
            }
            let child = if full.is_empty() {
                name.to_owned()
            } else {
                format!("{full}/{name}")
            };
            let metadata = entry
                .metadata()
                .map_err(|e| self.io_error(Operation::List, &child, e))?;
            if metadata.is_dir() {
                self.walk(&entry.path(), &child, listed)?;
            } else if metadata.is_file() {
                listed.push((
                    child,
                    metadata.len(),
                    modified(&metadata),
                    ObjectVersion::default(),
                ));
            }
        }
        Ok(())
    }

    pub(crate) fn delete(&self, full: &str) -> Result<(), Error> {
        let _guard = self.lock(full)?;
        match fs::remove_file(self.file(full)) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(self.io_error(Operation::Delete, full, e)),
        }
    }
}

fn modified(metadata: &fs::Metadata) -> Option<DateTime<Utc>> {
    metadata.modified().ok().map(DateTime::<Utc>::from)
}
