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
        /// What was being done.
        operation: FileOperation,
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
    #[error("file manifest `{key}` is invalid: {problem}")]
    InvalidManifest {
        /// Its key.
        key: String,
        /// What is wrong.
        problem: ManifestProblem,
        /// The JSON decoder's error, when the manifest is not valid JSON of its shape.
        #[source]
        source: Option<serde_json::Error>,
    },
}

/// The local step of [`FilesError::Local`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FileOperation {
    /// Opening a file.
    Opening,
    /// Reading a file.
    Reading,
    /// Reading a file's metadata.
    ReadingMetadata,
    /// Reading a file's modification time.
    ReadingMtime,
    /// Reading what kind of entry a directory entry is.
    ReadingType,
    /// Hashing a file's content.
    Hashing,
    /// Writing a file.
    Writing,
    /// Creating a directory or file.
    Creating,
    /// Removing a file.
    Removing,
    /// Listing a directory.
    Listing,
}

impl std::fmt::Display for FileOperation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            FileOperation::Opening => "opening",
            FileOperation::Reading => "reading",
            FileOperation::ReadingMetadata => "reading the metadata of",
            FileOperation::ReadingMtime => "reading the mtime of",
            FileOperation::ReadingType => "reading the type of",
            FileOperation::Hashing => "hashing",
            FileOperation::Writing => "writing",
            FileOperation::Creating => "creating",
            FileOperation::Removing => "removing",
            FileOperation::Listing => "listing",
        })
    }
}

/// What is wrong with a file manifest ([`FilesError::InvalidManifest`]).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ManifestProblem {
    /// It is not JSON of a manifest's shape (the decoder's error is the source).
    Undecodable,
    /// A format version this build does not know.
    UnknownFormat {
        /// The version found.
        format: u32,
    },
    /// It describes other content than the address it is stored under.
    OtherContent {
        /// The sha256 it names.
        sha256: String,
    },
    /// The file it describes is larger than the limit.
    TooLarge {
        /// The size it gives.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// Its parts do not add up to the file's size.
    PartsDoNotAddUp {
        /// The sum of the parts' sizes.
        parts: u64,
        /// The file's size.
        size: u64,
    },
    /// A part with a malformed address or over the stored-size limit.
    BadPart {
        /// The part's sha256 as written.
        sha256: String,
    },
    /// Its size is not the one the catalogue records.
    SizeDiffersFromCatalogue {
        /// The manifest's size.
        manifest: u64,
        /// The catalogue's size.
        catalogue: u64,
    },
}

impl std::fmt::Display for ManifestProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ManifestProblem::Undecodable => f.write_str("it is not a file manifest"),
            ManifestProblem::UnknownFormat { format } => write!(f, "unknown format {format}"),
            ManifestProblem::OtherContent { sha256 } => write!(f, "it names content {sha256}"),
            ManifestProblem::TooLarge { size, limit } => {
                write!(f, "size {size} is over the limit {limit}")
            }
            ManifestProblem::PartsDoNotAddUp { parts, size } => {
                write!(f, "parts add up to {parts} bytes, not {size}")
            }
            ManifestProblem::BadPart { sha256 } => {
                write!(f, "part {sha256} is malformed or too large")
            }
            ManifestProblem::SizeDiffersFromCatalogue {
                manifest,
                catalogue,
            } => write!(f, "{manifest} bytes, the catalogue says {catalogue}"),
        }
    }
}

impl From<crate::Error> for FilesError {
    fn from(error: crate::Error) -> FilesError {
        FilesError::Remote(Box::new(error))
    }
}

impl FilesError {
    pub(crate) fn local(
        operation: FileOperation,
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

#[cfg(test)]
mod tests {
    use std::error::Error as _;

    use super::*;

    #[test]
    fn the_cause_is_returned_as_source_and_not_printed() {
        let decode_error = serde_json::from_slice::<u32>(b"{").unwrap_err();
        let errors = [
            FilesError::Local {
                operation: FileOperation::ReadingMetadata,
                path: PathBuf::from("/data/roms/a.bin"),
                source: io::Error::new(io::ErrorKind::PermissionDenied, "no access here"),
            },
            FilesError::InvalidManifest {
                key: "p/files/objects/ab.json".into(),
                problem: ManifestProblem::Undecodable,
                source: Some(decode_error),
            },
        ];
        for error in &errors {
            let cause = error.source().expect("the lower error is the source");
            assert!(cause.is::<io::Error>() || cause.is::<serde_json::Error>());
            let text = error.to_string();
            assert!(
                !text.contains(&cause.to_string()),
                "{text} repeats its cause"
            );
        }
        assert_eq!(
            errors[0].to_string(),
            "reading the metadata of /data/roms/a.bin failed"
        );
        assert_eq!(
            errors[1].to_string(),
            "file manifest `p/files/objects/ab.json` is invalid: it is not a file manifest"
        );
        let problem = ManifestProblem::SizeDiffersFromCatalogue {
            manifest: 5,
            catalogue: 7,
        };
        assert_eq!(problem.to_string(), "5 bytes, the catalogue says 7");
    }
}
