//! The objects every backend reads and writes: an object's version and metadata, a
//! downloaded object, and the condition of a write. A leaf module, so the backends (the
//! object-store one and the [`local_dir`](crate::local_dir) one) depend on it and not on
//! the remote that dispatches to them.

use bytes::Bytes;
use chrono::{DateTime, Utc};

use crate::error::Operation;
use crate::key::Key;

/// The version of an object a conditional write is based on: the ETag, and the store's
/// version id where it has one.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ObjectVersion {
    /// The entity tag (for the local-directory remote: the sha256 of the content).
    pub etag: Option<String>,
    /// The store's version id, if the bucket is versioned.
    pub version: Option<String>,
}

/// An object's metadata.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectInfo {
    /// The key, relative to the remote's prefix.
    pub key: Key,
    /// Size in bytes.
    pub size: u64,
    /// When the object was last written, as the store reports it.
    pub last_modified: Option<DateTime<Utc>>,
    /// Its version (listings of a local-directory remote leave the ETag out: computing it
    /// means reading every object).
    pub version: ObjectVersion,
}

/// A downloaded object.
#[derive(Clone, Debug)]
pub struct Fetched {
    /// The content.
    pub bytes: Bytes,
    /// The version that was read (the base for a later [`AsyncRemote::put_if_match`](super::AsyncRemote::put_if_match)).
    pub version: ObjectVersion,
}

/// The condition of a write.
#[derive(Clone, Debug)]
pub(crate) enum PutKind {
    Create,
    IfMatch(ObjectVersion),
    Overwrite,
}

impl PutKind {
    pub(crate) fn operation(&self) -> Operation {
        match self {
            PutKind::Create => Operation::PutCreate,
            PutKind::IfMatch(_) => Operation::PutIfMatch,
            PutKind::Overwrite => Operation::PutOverwrite,
        }
    }
}

/// Metadata as backends return it: size, time, version.
pub(crate) type RawMeta = (u64, Option<DateTime<Utc>>, ObjectVersion);
/// A listed object: full key plus metadata.
pub(crate) type RawListed = (String, u64, Option<DateTime<Utc>>, ObjectVersion);
