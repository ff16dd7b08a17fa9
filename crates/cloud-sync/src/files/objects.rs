//! The cloud side of a content file, in one of two layouts, both content-addressed and
//! written create-only:
//!
//! - a file of at most one part is one self-describing object,
//!   `files/objects/<sha256>.file` (see the `whole` module): its presence means the
//!   complete file is there;
//! - a larger file is zstd parts addressed by their own sha256, `files/parts/<sha256>.zst`,
//!   and a manifest `files/objects/<sha256>.json` written last, so that its presence means
//!   every part is there. Buckets written before the single-object layout hold every file
//!   this way, a one-part file included; they are read as they are.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::digest::is_sha256_hex;
use crate::error::Error;
use crate::key::Key;
use crate::remote::Remote;
use crate::snapshot::Limits;

use super::{FilesError, ManifestProblem};

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

/// The manifest of a file of more than one part, at `files/objects/<sha256>.json`
/// (earlier versions wrote one for every file).
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

/// What an upload did. A file of at most one part is one object (its whole-file object),
/// counted as one part.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UploadCounts {
    /// Parts (and whole-file objects) sent.
    pub parts_sent: usize,
    /// Parts (and whole-file objects) already in the cloud (sent by an earlier,
    /// interrupted run, another file or another device).
    pub parts_skipped: usize,
    /// Compressed bytes sent.
    pub bytes_sent: u64,
    /// Whether the file was already completely in the cloud (nothing sent).
    pub already_in_cloud: bool,
}

pub(crate) fn manifest_key(sha256: &str) -> Result<Key, Error> {
    Key::new(format!("files/objects/{sha256}.json"))
}

pub(crate) fn whole_key(sha256: &str) -> Result<Key, Error> {
    Key::new(format!("files/objects/{sha256}.file"))
}

pub(crate) fn part_key(sha256: &str) -> Result<Key, Error> {
    Key::new(format!("files/parts/{sha256}.zst"))
}

/// How a file the cloud holds completely is stored, as a listing shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Layout {
    /// One whole-file object of this many bytes.
    Whole { stored_size: u64 },
    /// A manifest naming parts.
    Parts,
}

/// A file the cloud holds completely, as found by reading it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum CloudCopy {
    /// One whole-file object of this many bytes.
    Whole { stored_size: u64 },
    /// Parts, as its manifest names them.
    Parts(FileManifest),
}

impl CloudCopy {
    /// The bytes the file takes in the cloud.
    pub(crate) fn stored_size(&self) -> u64 {
        match self {
            CloudCopy::Whole { stored_size } => *stored_size,
            CloudCopy::Parts(manifest) => manifest.parts.iter().map(|part| part.stored_size).sum(),
        }
    }
}

/// Every file the cloud holds completely, by sha256, from one listing of
/// `files/objects/`. A content stored in both layouts (by devices of different versions
/// or part sizes) is listed as whole: one GET fetches it.
pub(crate) fn files_in_cloud(remote: &Remote) -> Result<BTreeMap<String, Layout>, Error> {
    let mut files = BTreeMap::new();
    for (sha256, layout) in objects_in_cloud(remote)? {
        let listed = files.entry(sha256).or_insert(layout);
        if matches!(layout, Layout::Whole { .. }) {
            *listed = layout;
        }
    }
    Ok(files)
}

/// Every whole-file object and manifest in the cloud (one listing): a content stored in
/// both layouts is there twice.
pub(crate) fn objects_in_cloud(remote: &Remote) -> Result<Vec<(String, Layout)>, Error> {
    let under = Key::new("files/objects")?;
    Ok(remote
        .list(Some(&under))?
        .into_iter()
        .filter_map(|info| {
            let name = info.key.as_str().rsplit('/').next()?;
            let (sha256, layout) = match name.strip_suffix(".file") {
                Some(sha256) => (
                    sha256,
                    Layout::Whole {
                        stored_size: info.size,
                    },
                ),
                None => (name.strip_suffix(".json")?, Layout::Parts),
            };
            is_sha256_hex(sha256).then(|| (sha256.to_owned(), layout))
        })
        .collect())
}

/// Where the cloud holds `sha256` completely, asked of the layout a file of its size is
/// most likely in first (`small`: at most one part here); `None` when it holds neither.
/// A whole-file object costs a HEAD, a manifest a GET.
pub(crate) fn find_in_cloud(
    remote: &Remote,
    sha256: &str,
    small: bool,
) -> Result<Option<CloudCopy>, FilesError> {
    let whole = || -> Result<Option<CloudCopy>, FilesError> {
        Ok(remote
            .head(&whole_key(sha256)?)?
            .map(|info| CloudCopy::Whole {
                stored_size: info.size,
            }))
    };
    let parts = || -> Result<Option<CloudCopy>, FilesError> {
        Ok(read_manifest(remote, sha256, &any_size())?.map(CloudCopy::Parts))
    };
    if small {
        match whole()? {
            Some(found) => Ok(Some(found)),
            None => parts(),
        }
    } else {
        match parts()? {
            Some(found) => Ok(Some(found)),
            None => whole(),
        }
    }
}

/// Whether the cloud holds `sha256` completely, in either layout: at most two HEADs,
/// the layout a file of its size is most likely in first (`small`: at most one part).
pub(crate) fn is_in_cloud(remote: &Remote, sha256: &str, small: bool) -> Result<bool, Error> {
    let mut keys = [whole_key(sha256)?, manifest_key(sha256)?];
    if !small {
        keys.reverse();
    }
    for key in &keys {
        if remote.head(key)?.is_some() {
            return Ok(true);
        }
    }
    Ok(false)
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

/// The manifest of a file sent as a single part in the two-object layout (before
/// whole-file objects): its one part is addressed by the file's own sha256. Its stored
/// size is only bounded (zstd's worst case), which is all a download needs.
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
    let invalid = |problem: ManifestProblem| FilesError::InvalidManifest {
        key: remote.full_key(&key),
        problem,
        source: None,
    };
    let manifest: FileManifest =
        serde_json::from_slice(&fetched.bytes).map_err(|e| FilesError::InvalidManifest {
            key: remote.full_key(&key),
            problem: ManifestProblem::Undecodable,
            source: Some(e),
        })?;
    if manifest.format != MANIFEST_FORMAT {
        return Err(invalid(ManifestProblem::UnknownFormat {
            format: manifest.format,
        }));
    }
    if manifest.sha256 != sha256 {
        return Err(invalid(ManifestProblem::OtherContent {
            sha256: manifest.sha256,
        }));
    }
    if manifest.size > limits.max_content {
        return Err(invalid(ManifestProblem::TooLarge {
            size: manifest.size,
            limit: limits.max_content,
        }));
    }
    let total: u64 = manifest.parts.iter().map(|part| part.size).sum();
    if total != manifest.size {
        return Err(invalid(ManifestProblem::PartsDoNotAddUp {
            parts: total,
            size: manifest.size,
        }));
    }
    if let Some(bad) = manifest
        .parts
        .iter()
        .find(|part| !is_sha256_hex(&part.sha256) || part.stored_size > limits.max_stored)
    {
        return Err(invalid(ManifestProblem::BadPart {
            sha256: bad.sha256.clone(),
        }));
    }
    Ok(Some(manifest))
}
