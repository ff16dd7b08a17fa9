//! Errors of the content-file layer.

use std::io;
use std::path::PathBuf;

use super::Availability;

/// What went wrong with a content file. `Display` names the file and the step; the
/// underlying cause is the [`source`](std::error::Error::source).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FilesError {
    /// A request to the remote failed (the crate's own error, with key and operation).
    #[error(transparent)]
    Remote(Box<crate::Error>),
    /// Reading or committing the file catalogue (or the local hash cache) failed.
    #[error("the file catalogue {} could not be read or updated", .path.display())]
    Catalogue {
        /// The catalogue (or cache) file.
        path: PathBuf,
        /// The `record_store::Error` (boxed to keep `FilesError` small; `downcast_ref`
        /// finds it).
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A local file operation failed.
    #[error("{operation} {} failed", .path.display())]
    Local {
        /// What was being done (`reading`, `hashing`, `removing`, ...).
        operation: &'static str,
        /// The local path.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// Writing a downloaded file into place failed.
    #[error("writing the downloaded file {} failed", .path.display())]
    AtomicWrite {
        /// The final path.
        path: PathBuf,
        /// atomic-io's error.
        #[source]
        source: atomic_io::Error,
    },
    /// Taking an upload lease or download lock failed.
    #[error("locking {} failed", .path.display())]
    Lock {
        /// The path the lock protects.
        path: PathBuf,
        /// file-lock's error.
        #[source]
        source: file_lock::Error,
    },
    /// The catalogue has no entry for the file.
    #[error("`{path}` is not in the file catalogue")]
    NotInCatalogue {
        /// The catalogue path of the file.
        path: String,
    },
    /// Neither a local copy nor a complete cloud copy exists.
    #[error(
        "`{path}` is not available: no local copy matches the catalogue and the cloud holds none"
    )]
    NotAvailable {
        /// The catalogue path of the file.
        path: String,
    },
    /// Downloaded bytes do not match their content address; nothing was written locally.
    #[error(
        "checksum mismatch for `{path}` in remote object `{key}`: expected sha256 {expected}, got {actual}; the local file was not touched"
    )]
    Checksum {
        /// The catalogue path of the file.
        path: String,
        /// The remote key whose bytes were wrong.
        key: String,
        /// The sha256 the manifest or catalogue promised.
        expected: String,
        /// The sha256 of what arrived.
        actual: String,
    },
    /// An eviction was refused because the file is not safely in the cloud.
    #[error("refusing to evict `{path}`: it is {availability:?}, not synchronized with the cloud")]
    NotSafeToEvict {
        /// The catalogue path of the file.
        path: String,
        /// Its availability at the time of the refusal.
        availability: Availability,
    },
    /// A catalogue path that could escape the root or is not a plain relative path.
    #[error("invalid content-file path {path:?}: {reason}")]
    InvalidPath {
        /// The path as given.
        path: String,
        /// Why it was refused.
        reason: &'static str,
    },
    /// A file manifest in the cloud is malformed or inconsistent.
    #[error("file manifest `{key}` is invalid: {reason}")]
    InvalidManifest {
        /// Its key.
        key: String,
        /// What is wrong.
        reason: String,
    },
}

impl From<crate::Error> for FilesError {
    fn from(error: crate::Error) -> FilesError {
        FilesError::Remote(Box::new(error))
    }
}

impl FilesError {
    pub(crate) fn local(
        operation: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(io::Error) -> FilesError {
        let path = path.into();
        move |source| FilesError::Local {
            operation,
            path,
            source,
        }
    }

    pub(crate) fn catalogue(
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(record_store::Error) -> FilesError {
        let path = path.into();
        move |source| FilesError::Catalogue {
            path,
            source: Box::new(source),
        }
    }
}
