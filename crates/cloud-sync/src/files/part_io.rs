//! One part of a multipart file in the cloud: compressed, stored create-only and
//! verified; fetched and checked against its content address.

use bytes::Bytes;
use md5::{Digest, Md5};

use crate::digest::{hex_digest, sha256_hex};
use crate::error::{Error, Operation};
use crate::key::Key;
use crate::remote::{ObjectVersion, Remote};

use super::FilesError;
use super::objects::{PartRef, part_key, stored_bound};

/// zstd level of parts: level 1 is the fastest standard level; on the bench's data it
/// stores within 1% of level 3's size (1.98x against 1.99x smaller) for less CPU, which
/// is what a transfer is short of.
pub(crate) const ZSTD_LEVEL: i32 = 1;

/// How a part came to be in the cloud.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stored {
    /// This call sent it.
    Sent,
    /// It was already there (an interrupted run, another file, another device) and
    /// verified; nothing was stored.
    Found,
}

/// Makes `chunk` (whose sha256 is `sha256`) present at its part key and verified.
///
/// With `probe`, a HEAD comes first so that a part an interrupted upload already stored
/// is verified instead of sent again (worth a request for the parts of a large file).
/// Without it the create-only PUT finds out, which costs one request fewer when the part
/// is new, as almost every small file's is.
pub(crate) fn store_part(
    remote: &Remote,
    chunk: &[u8],
    sha256: String,
    probe: bool,
) -> Result<(PartRef, Stored), FilesError> {
    let key = part_key(&sha256)?;
    let full = remote.full_key(&key);
    let size = chunk.len() as u64;
    let mut present = false;
    if probe && let Some(existing) = remote.head(&key)? {
        present = true;
        // Checked before compressing, so a part already in the cloud costs no zstd.
        if let Some(found) = verified_existing(remote, &sha256, size, existing.size, &full) {
            return Ok((found, Stored::Found));
        }
    }
    let compressed =
        Bytes::from(
            zstd::bulk::compress(chunk, ZSTD_LEVEL).map_err(|source| Error::Codec {
                operation: Operation::Compress,
                key: full.clone(),
                source,
            })?,
        );
    let part = PartRef {
        sha256,
        size,
        stored_size: compressed.len() as u64,
    };
    // `Bytes` clones share the buffer: the part is not copied to be sent.
    let written = if present {
        remote.put_overwrite(&key, compressed.clone())?
    } else {
        match remote.put_create(&key, compressed.clone()) {
            Ok(written) => written,
            Err(Error::AlreadyExists { .. }) => {
                // Another file, device or earlier run stored it first: keep it if it
                // verifies (another zstd version may compress differently), else repair.
                let limit = stored_bound(size);
                if let Some(found) = verified_existing(remote, &part.sha256, size, limit, &full) {
                    return Ok((found, Stored::Found));
                }
                remote.put_overwrite(&key, compressed.clone())?
            }
            Err(e) => return Err(e.into()),
        }
    };
    verify_stored(remote, &key, &compressed, &written)?;
    Ok((part, Stored::Sent))
}

/// The part at `sha256`'s key if it holds that content (`stored_limit` bounds its stored
/// size); `None` when it is absent, damaged or unreadable.
fn verified_existing(
    remote: &Remote,
    sha256: &str,
    size: u64,
    stored_limit: u64,
    full: &str,
) -> Option<PartRef> {
    let probe = PartRef {
        sha256: sha256.to_owned(),
        size,
        stored_size: stored_limit,
    };
    let (_, stored_size) = fetch_part(remote, &probe, full).ok()?;
    Some(PartRef {
        stored_size,
        ..probe
    })
}

/// Checks that the store kept exactly `sent` at `key`.
///
/// An S3 server answers a single PUT with the MD5 it computed over the bytes it stored
/// as the ETag; when the ETag is the MD5 of `sent`, that is the check, without a second
/// transfer. Any other ETag (a local directory's, an in-memory store's, a server that
/// encrypts or computes it otherwise) is not trusted: the object is read back and
/// compared byte for byte.
pub(crate) fn verify_stored(
    remote: &Remote,
    key: &Key,
    sent: &Bytes,
    written: &ObjectVersion,
) -> Result<(), FilesError> {
    let md5 = hex_digest(&Md5::digest(sent));
    if written
        .etag
        .as_deref()
        .is_some_and(|etag| etag.trim_matches('"').eq_ignore_ascii_case(&md5))
    {
        return Ok(());
    }
    let stored = remote.get(key, sent.len() as u64)?;
    if stored.bytes != *sent {
        let full = remote.full_key(key);
        return Err(FilesError::Checksum {
            path: full.clone(),
            key: full,
            expected: sha256_hex(sent),
            actual: sha256_hex(&stored.bytes),
        });
    }
    Ok(())
}

/// Downloads one part and checks it against its address; `path` names the file in
/// errors. Returns the content and the stored (compressed) size.
pub(crate) fn fetch_part(
    remote: &Remote,
    part: &PartRef,
    path: &str,
) -> Result<(Vec<u8>, u64), FilesError> {
    let key = part_key(&part.sha256)?;
    let full = remote.full_key(&key);
    let fetched = remote.get(&key, part.stored_size)?;
    let checksum_error = |actual: String| FilesError::Checksum {
        path: path.to_owned(),
        key: full.clone(),
        expected: part.sha256.clone(),
        actual,
    };
    let capacity = usize::try_from(part.size).unwrap_or(usize::MAX);
    // The bulk decoder refuses output beyond `capacity`, so a part cannot inflate past
    // the size its reference promises.
    let Ok(content) = zstd::bulk::decompress(&fetched.bytes, capacity) else {
        // Bytes that are not valid zstd of at most that size: report what arrived.
        return Err(checksum_error(format!(
            "{} (of the stored bytes, which do not decompress to {} bytes)",
            sha256_hex(&fetched.bytes),
            part.size
        )));
    };
    let actual = sha256_hex(&content);
    if actual != part.sha256 || content.len() as u64 != part.size {
        return Err(checksum_error(actual));
    }
    Ok((content, fetched.bytes.len() as u64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::Prefix;

    fn stored(remote: &Remote, key: &Key, bytes: &'static [u8]) -> Bytes {
        let bytes = Bytes::from_static(bytes);
        remote.put_overwrite(key, bytes.clone()).unwrap();
        bytes
    }

    #[test]
    fn an_md5_etag_of_the_sent_bytes_is_the_check_and_anything_else_reads_back() {
        let remote = Remote::in_memory(Prefix::new("p").unwrap()).unwrap();
        let key = Key::new("files/parts/x.zst").unwrap();
        let sent = stored(&remote, &key, b"part bytes");
        let md5 = hex_digest(&Md5::digest(&sent));
        let server_md5 = ObjectVersion {
            etag: Some(format!("\"{md5}\"")),
            version: None,
        };
        let before = remote.request_count();
        verify_stored(&remote, &key, &sent, &server_md5).unwrap();
        assert_eq!(remote.request_count(), before, "no read-back");

        // Another ETag: read back, and what the store holds is what counts.
        let other = ObjectVersion {
            etag: Some("\"1\"".into()),
            version: None,
        };
        verify_stored(&remote, &key, &sent, &other).unwrap();
        assert_eq!(remote.request_count(), before + 1, "one read-back");
        stored(&remote, &key, b"part bytez");
        let error = verify_stored(&remote, &key, &sent, &other).unwrap_err();
        assert!(matches!(error, FilesError::Checksum { .. }), "{error:?}");
    }

    #[test]
    fn a_part_is_fetched_only_when_it_matches_its_address() {
        let remote = Remote::in_memory(Prefix::new("p").unwrap()).unwrap();
        let content = b"some content, some content, some content".repeat(10);
        let (part, outcome) = store_part(&remote, &content, sha256_hex(&content), false).unwrap();
        assert_eq!(outcome, Stored::Sent);
        assert_eq!(fetch_part(&remote, &part, "f").unwrap().0, content);
        // Stored again without probing: the create-only PUT finds it, it is verified.
        let (again, outcome) = store_part(&remote, &content, sha256_hex(&content), false).unwrap();
        assert_eq!((again.size, outcome), (part.size, Stored::Found));
        // Valid zstd of other bytes under the address: refused.
        let key = part_key(&part.sha256).unwrap();
        let wrong = zstd::bulk::compress(&b"x".repeat(content.len()), 1).unwrap();
        remote.put_overwrite(&key, wrong).unwrap();
        let limit = PartRef {
            stored_size: u64::MAX,
            ..part.clone()
        };
        assert!(matches!(
            fetch_part(&remote, &limit, "f"),
            Err(FilesError::Checksum { .. })
        ));
        // ... and repaired by the next store.
        let (_, outcome) = store_part(&remote, &content, sha256_hex(&content), false).unwrap();
        assert_eq!(outcome, Stored::Sent);
        assert_eq!(fetch_part(&remote, &limit, "f").unwrap().0, content);
    }
}
