//! The cloud side of a content file: zstd parts addressed by their own sha256, and a
//! file manifest addressed by the file's sha256, written create-only and last, so that
//! a manifest's presence means the complete file is in the cloud.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::digest::is_sha256_hex;
use crate::error::Error;
use crate::key::Key;
use crate::remote::Remote;
use crate::snapshot::Limits;

use super::FilesError;

pub(crate) const MANIFEST_FORMAT: u32 = 1;

/// One part of a file in the cloud.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartRef {
    /// sha256 of the part's uncompressed bytes (its address).
    pub sha256: String,
    /// Uncompressed size.
    pub size: u64,
    /// Stored (compressed) size.
    pub stored_size: u64,
}

/// The file manifest at `files/objects/<sha256>.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileManifest {
    /// Layout version.
    pub format: u32,
    /// sha256 of the whole content.
    pub sha256: String,
    /// Size of the whole content.
    pub size: u64,
    /// The parts, in order.
    pub parts: Vec<PartRef>,
}

/// What an upload did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UploadCounts {
    /// Parts sent.
    pub parts_sent: usize,
    /// Parts already in the cloud (sent by an earlier, interrupted run or another file).
    pub parts_skipped: usize,
    /// Compressed bytes sent.
    pub bytes_sent: u64,
    /// Whether the file was already completely in the cloud (nothing sent).
    pub already_in_cloud: bool,
}

pub(crate) fn manifest_key(sha256: &str) -> Result<Key, Error> {
    Key::new(format!("files/objects/{sha256}.json"))
}

pub(crate) fn part_key(sha256: &str) -> Result<Key, Error> {
    Key::new(format!("files/parts/{sha256}.zst"))
}

/// The sha256s of every file whose manifest is in the cloud (one listing).
pub(crate) fn files_in_cloud(remote: &Remote) -> Result<BTreeSet<String>, Error> {
    let under = Key::new("files/objects")?;
    Ok(remote
        .list(Some(&under))?
        .into_iter()
        .filter_map(|info| {
            let name = info
                .key
                .as_str()
                .rsplit('/')
                .next()?
                .strip_suffix(".json")?;
            is_sha256_hex(name).then(|| name.to_owned())
        })
        .collect())
}

/// Limits for content files, which may be of any size: only the manifest stays bounded.
pub(crate) fn any_size() -> Limits {
    Limits {
        max_content: u64::MAX,
        max_stored: u64::MAX,
        ..Limits::default()
    }
}

/// The most bytes a part of `size` bytes can take once compressed (zstd's worst case):
/// the bound on reading a part whose stored size is not known.
pub(crate) fn stored_bound(size: u64) -> u64 {
    usize::try_from(size)
        .map(|size| zstd::compress_bound(size) as u64)
        .unwrap_or(u64::MAX)
}

/// The manifest a file sent as a single part has: its one part is addressed by the
/// file's own sha256. Its stored size is only bounded (zstd's worst case), which is all
/// a download needs.
pub(crate) fn single_part(entry: &super::FileEntry) -> FileManifest {
    let stored_limit = stored_bound(entry.size);
    FileManifest {
        format: MANIFEST_FORMAT,
        sha256: entry.sha256.clone(),
        size: entry.size,
        parts: vec![PartRef {
            sha256: entry.sha256.clone(),
            size: entry.size,
            stored_size: stored_limit,
        }],
    }
}

pub(crate) fn read_manifest(
    remote: &Remote,
    sha256: &str,
    limits: &Limits,
) -> Result<Option<FileManifest>, FilesError> {
    let key = manifest_key(sha256)?;
    let fetched = match remote.get(&key, limits.max_metadata) {
        Ok(fetched) => fetched,
        Err(Error::NotFound { .. }) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let invalid = |reason: String| FilesError::InvalidManifest {
        key: remote.full_key(&key),
        reason,
    };
    let manifest: FileManifest =
        serde_json::from_slice(&fetched.bytes).map_err(|e| invalid(e.to_string()))?;
    if manifest.format != MANIFEST_FORMAT {
        return Err(invalid(format!("unknown format {}", manifest.format)));
    }
    if manifest.sha256 != sha256 {
        return Err(invalid(format!("it names content {}", manifest.sha256)));
    }
    if manifest.size > limits.max_content {
        return Err(invalid(format!(
            "size {} is over the limit {}",
            manifest.size, limits.max_content
        )));
    }
    let total: u64 = manifest.parts.iter().map(|part| part.size).sum();
    if total != manifest.size {
        return Err(invalid(format!(
            "parts add up to {total} bytes, not {}",
            manifest.size
        )));
    }
    if let Some(bad) = manifest
        .parts
        .iter()
        .find(|part| !is_sha256_hex(&part.sha256) || part.stored_size > limits.max_stored)
    {
        return Err(invalid(format!(
            "part {} is malformed or too large",
            bad.sha256
        )));
    }
    Ok(Some(manifest))
}
