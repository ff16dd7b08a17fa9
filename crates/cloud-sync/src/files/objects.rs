//! The cloud side of a content file: zstd parts addressed by their own sha256, and a
//! file manifest addressed by the file's sha256, written create-only and last, so that
//! a manifest's presence means the complete file is in the cloud.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::Read;
use std::path::Path;

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::digest::{is_sha256_hex, sha256_hex};
use crate::error::Error;
use crate::key::Key;
use crate::remote::Remote;
use crate::snapshot::{Limits, decompress_bounded};

use super::FilesError;

const ZSTD_LEVEL: i32 = 3;
const MANIFEST_FORMAT: u32 = 1;

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

/// Uploads `local` (whose content hashes to `sha256`) in parts of `part_size` bytes,
/// skipping parts already present and verifying every part it stores by reading it back;
/// the manifest goes last, create-only. `on_part` is told each finished part's size.
pub(crate) fn upload_file(
    remote: &Remote,
    local: &Path,
    sha256: &str,
    part_size: usize,
    on_part: &mut dyn FnMut(u64),
) -> Result<(FileManifest, UploadCounts), FilesError> {
    let manifest_key = manifest_key(sha256)?;
    let mut counts = UploadCounts::default();
    // One GET answers both "is it there?" and "what does it hold?"; a HEAD first would
    // cost a second request per file already in the cloud.
    if let Some(manifest) = read_manifest(remote, sha256, &any_size())? {
        counts.already_in_cloud = true;
        return Ok((manifest, counts));
    }
    let mut file = File::open(local).map_err(FilesError::local("opening", local))?;
    let mut parts = Vec::new();
    let mut whole = sha2::Sha256::default();
    let mut buffer = vec![0u8; part_size.max(1)];
    let mut size = 0u64;
    loop {
        let read =
            read_full(&mut file, &mut buffer).map_err(FilesError::local("reading", local))?;
        if read == 0 && !parts.is_empty() {
            break;
        }
        let chunk = &buffer[..read];
        sha2::Digest::update(&mut whole, chunk);
        size += read as u64;
        let part = upload_part(remote, chunk, &mut counts)?;
        on_part(part.size);
        parts.push(part);
        if read < buffer.len() {
            break;
        }
    }
    let actual = crate::digest::hex_digest(&sha2::Digest::finalize(whole));
    if actual != sha256 {
        // The file changed while it was read: its parts are harmless garbage, the
        // manifest is not written under a wrong address.
        return Err(FilesError::Checksum {
            path: local.display().to_string(),
            key: remote.full_key(&manifest_key),
            expected: sha256.to_owned(),
            actual,
        });
    }
    let manifest = FileManifest {
        format: MANIFEST_FORMAT,
        sha256: sha256.to_owned(),
        size,
        parts,
    };
    let bytes = Bytes::from(serde_json::to_vec_pretty(&manifest).map_err(|e| {
        FilesError::InvalidManifest {
            key: remote.full_key(&manifest_key),
            reason: e.to_string(),
        }
    })?);
    match remote.put_create(&manifest_key, bytes.clone()) {
        Ok(_) | Err(Error::AlreadyExists { .. }) => {}
        Err(e) => return Err(e.into()),
    }
    Ok((manifest, counts))
}

fn upload_part(
    remote: &Remote,
    chunk: &[u8],
    counts: &mut UploadCounts,
) -> Result<PartRef, FilesError> {
    let sha256 = sha256_hex(chunk);
    let key = part_key(&sha256)?;
    let full = remote.full_key(&key);
    let existing = remote.head(&key)?;
    if let Some(existing) = &existing {
        let theirs = PartRef {
            sha256: sha256.clone(),
            size: chunk.len() as u64,
            stored_size: existing.size,
        };
        // Present: keep it if it verifies (another zstd version may compress differently).
        // Checked before compressing, so a part already in the cloud costs no compression.
        if download_part(remote, &theirs, &full).is_ok() {
            counts.parts_skipped += 1;
            return Ok(theirs);
        }
    }
    let compressed =
        Bytes::from(
            zstd::bulk::compress(chunk, ZSTD_LEVEL).map_err(|source| Error::Codec {
                operation: crate::Operation::Compress,
                key: full.clone(),
                source,
            })?,
        );
    let part = PartRef {
        sha256,
        size: chunk.len() as u64,
        stored_size: compressed.len() as u64,
    };
    // `Bytes` clones share the buffer: the part is not copied to be sent.
    if existing.is_some() {
        remote.put_overwrite(&key, compressed.clone())?;
    } else {
        match remote.put_create(&key, compressed.clone()) {
            Ok(_) | Err(Error::AlreadyExists { .. }) => {}
            Err(e) => return Err(e.into()),
        }
    }
    // Verify what the store kept, not what we sent. The sent bytes are at hand, so a
    // byte comparison is the check; hashes are only worked out to report a mismatch.
    let stored = remote.get(&key, part.stored_size)?;
    if stored.bytes != compressed {
        return Err(FilesError::Checksum {
            path: full.clone(),
            key: full,
            expected: sha256_hex(&compressed),
            actual: sha256_hex(&stored.bytes),
        });
    }
    counts.parts_sent += 1;
    counts.bytes_sent += part.stored_size;
    Ok(part)
}

/// Downloads and verifies one part; `path` names the file in errors.
pub(crate) fn download_part(
    remote: &Remote,
    part: &PartRef,
    path: &str,
) -> Result<Vec<u8>, FilesError> {
    let key = part_key(&part.sha256)?;
    let full = remote.full_key(&key);
    let fetched = remote.get(&key, part.stored_size)?;
    let checksum_error = |actual: String| FilesError::Checksum {
        path: path.to_owned(),
        key: full.clone(),
        expected: part.sha256.clone(),
        actual,
    };
    let content = match decompress_bounded(&fetched.bytes, part.size, &full) {
        Ok(content) => content,
        // Bytes that are not even valid zstd: report the checksum of what arrived.
        Err(Error::Codec { .. } | Error::TooLarge { .. }) => {
            return Err(checksum_error(format!(
                "{} (of the stored bytes, which do not decompress)",
                sha256_hex(&fetched.bytes)
            )));
        }
        Err(e) => return Err(e.into()),
    };
    let actual = sha256_hex(&content);
    if actual != part.sha256 || content.len() as u64 != part.size {
        return Err(checksum_error(actual));
    }
    Ok(content)
}

/// Downloads a whole file and verifies every part and the whole.
pub(crate) fn download_file(
    remote: &Remote,
    manifest: &FileManifest,
    path: &str,
    on_part: &mut dyn FnMut(u64),
) -> Result<Vec<u8>, FilesError> {
    let mut content = Vec::with_capacity(usize::try_from(manifest.size).unwrap_or(0));
    for part in &manifest.parts {
        content.extend_from_slice(&download_part(remote, part, path)?);
        on_part(part.size);
    }
    let actual = sha256_hex(&content);
    if actual != manifest.sha256 {
        return Err(FilesError::Checksum {
            path: path.to_owned(),
            key: remote.full_key(&manifest_key(&manifest.sha256)?),
            expected: manifest.sha256.clone(),
            actual,
        });
    }
    Ok(content)
}

fn read_full(file: &mut File, buffer: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        match file.read(&mut buffer[filled..])? {
            0 => break,
            read => filled += read,
        }
    }
    Ok(filled)
}
