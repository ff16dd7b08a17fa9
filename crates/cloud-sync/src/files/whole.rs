//! A content file of at most one part as one self-describing object,
//! `files/objects/<sha256>.file`: sent with one PUT, fetched with one GET.
//!
//! The object is a header line, then the payload:
//!
//! ```text
//! {"format":1,"sha256":"<sha256 of the content>","size":<content bytes>,"compression":"zstd"}\n
//! <payload: one zstd frame of the content, or the content itself with "compression":"none">
//! ```
//!
//! The header is one line of JSON (at most [`MAX_HEADER`] bytes with its newline). It
//! names the content it holds, so the object can be checked on its own: a reader decodes
//! the payload (never past the size the header and the catalogue agree on) and compares
//! its sha256 with the address. Anything else, a damaged header included, is a checksum
//! error: the object does not hold what its address promises.

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::digest::sha256_hex;
use crate::error::{Error, Operation};
use crate::remote::Remote;

use super::FilesError;
use super::objects::{stored_bound, whole_key};
use super::part_io::{Stored, ZSTD_LEVEL, verify_stored};

/// Version of the whole-file object layout.
pub(crate) const WHOLE_FORMAT: u32 = 1;
/// The most bytes a header line takes, its newline included.
pub(crate) const MAX_HEADER: usize = 1024;

/// How the payload after the header is stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Compression {
    /// One zstd frame.
    Zstd,
    /// The content itself: zstd would not make it smaller (already compressed data).
    None,
}

/// The header line of a whole-file object.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Header {
    format: u32,
    sha256: String,
    size: u64,
    compression: Compression,
}

/// The object holding `content` (whose sha256 is `sha256`): header line and payload,
/// in one buffer.
fn encode(content: &[u8], sha256: &str, full_key: &str) -> Result<Bytes, FilesError> {
    let codec_error = |source| Error::Codec {
        operation: Operation::Compress,
        key: full_key.to_owned(),
        source,
    };
    let header = |compression| {
        let mut line = serde_json::to_vec(&Header {
            format: WHOLE_FORMAT,
            sha256: sha256.to_owned(),
            size: content.len() as u64,
            compression,
        })
        .map_err(|e| codec_error(std::io::Error::other(e)))?;
        line.push(b'\n');
        Ok::<_, Error>(line)
    };
    let mut object = header(Compression::Zstd)?;
    let start = object.len();
    // Compressed straight behind the header: the payload is never copied.
    object.resize(start + zstd::compress_bound(content.len()), 0);
    let compressed = zstd::bulk::compress_to_buffer(content, &mut object[start..], ZSTD_LEVEL)
        .map_err(codec_error)?;
    if compressed < content.len() {
        object.truncate(start + compressed);
    } else {
        object = header(Compression::None)?;
        object.extend_from_slice(content);
    }
    Ok(Bytes::from(object))
}

/// The content of the object `stored` at the address `sha256`, checked: `size` is the
/// size the catalogue records. `path` and `full_key` name the file and object in errors.
fn decode(
    stored: &[u8],
    sha256: &str,
    size: u64,
    path: &str,
    full_key: &str,
) -> Result<Vec<u8>, FilesError> {
    let checksum_error = |actual: String| FilesError::Checksum {
        path: path.to_owned(),
        key: full_key.to_owned(),
        expected: sha256.to_owned(),
        actual,
    };
    let malformed = || {
        checksum_error(format!(
            "{} (of the stored bytes, which are not a file object of {size} bytes)",
            sha256_hex(stored)
        ))
    };
    let Some(end) = stored.iter().take(MAX_HEADER).position(|&b| b == b'\n') else {
        return Err(malformed());
    };
    let Ok(header) = serde_json::from_slice::<Header>(&stored[..end]) else {
        return Err(malformed());
    };
    if header.format != WHOLE_FORMAT || header.sha256 != sha256 || header.size != size {
        return Err(malformed());
    }
    let payload = &stored[end + 1..];
    let capacity = usize::try_from(size).map_err(|_| malformed())?;
    let content = match header.compression {
        Compression::None => payload.to_vec(),
        Compression::Zstd => {
            // One byte of room past `size`: a payload inflating beyond it is caught
            // below instead of cut short.
            let mut content = vec![0; capacity.saturating_add(1)];
            let written =
                zstd::bulk::decompress_to_buffer(payload, &mut content).map_err(|_| malformed())?;
            content.truncate(written);
            content
        }
    };
    let actual = sha256_hex(&content);
    if actual != sha256 || content.len() as u64 != size {
        return Err(checksum_error(actual));
    }
    Ok(content)
}

/// Makes `content` (whose sha256 is `sha256`) present as its whole-file object, verified
/// (see [`verify_stored`]). Returns the stored size and whether this call sent it.
///
/// The create-only PUT is the only request when the object is new. When it exists (an
/// earlier run, another path, another device) it is kept if it holds the content, and
/// replaced if it is damaged.
pub(crate) fn store_whole(
    remote: &Remote,
    content: &[u8],
    sha256: &str,
) -> Result<(u64, Stored), FilesError> {
    let key = whole_key(sha256)?;
    let full = remote.full_key(&key);
    let object = encode(content, sha256, &full)?;
    let stored_size = object.len() as u64;
    // `Bytes` clones share the buffer: the object is not copied to be sent.
    let written = match remote.put_create(&key, object.clone()) {
        Ok(written) => written,
        Err(Error::AlreadyExists { .. }) => {
            if let Ok(Some((_, found))) = fetch_whole(remote, sha256, content.len() as u64, &full) {
                return Ok((found, Stored::Found));
            }
            remote.put_overwrite(&key, object.clone())?
        }
        Err(e) => return Err(e.into()),
    };
    verify_stored(remote, &key, &object, &written)?;
    Ok((stored_size, Stored::Sent))
}

/// Fetches the whole-file object of `sha256` (a content of `size` bytes) and checks it;
/// `None` when there is no such object. Returns the content and the stored size.
pub(crate) fn fetch_whole(
    remote: &Remote,
    sha256: &str,
    size: u64,
    path: &str,
) -> Result<Option<(Vec<u8>, u64)>, FilesError> {
    let key = whole_key(sha256)?;
    let limit = stored_bound(size).saturating_add(MAX_HEADER as u64);
    let fetched = match remote.get(&key, limit) {
        Ok(fetched) => fetched,
        Err(Error::NotFound { .. }) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let content = decode(&fetched.bytes, sha256, size, path, &remote.full_key(&key))?;
    Ok(Some((content, fetched.bytes.len() as u64)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::Prefix;

    fn checksum_error(result: Result<Option<(Vec<u8>, u64)>, FilesError>) -> bool {
        matches!(result, Err(FilesError::Checksum { .. }))
    }

    #[test]
    fn the_object_is_a_header_line_and_a_zstd_payload_unless_zstd_does_not_help() {
        let text = b"a manual page\n".repeat(40);
        let sha = sha256_hex(&text);
        let object = encode(&text, &sha, "k").unwrap();
        let end = object.iter().position(|&b| b == b'\n').unwrap();
        let header: serde_json::Value = serde_json::from_slice(&object[..end]).unwrap();
        assert_eq!(
            header,
            serde_json::json!({"format": 1, "sha256": sha, "size": text.len(), "compression": "zstd"})
        );
        assert_eq!(
            zstd::stream::decode_all(&object[end + 1..]).unwrap(),
            text,
            "the payload is a plain zstd frame"
        );
        assert_eq!(
            decode(&object, &sha, text.len() as u64, "f", "k").unwrap(),
            text
        );

        // Bytes zstd cannot shrink are stored as they are.
        use sha2::Digest;
        let noise: Vec<u8> = (0..200u32)
            .flat_map(|i| sha2::Sha256::digest(i.to_le_bytes()))
            .collect();
        let sha = sha256_hex(&noise);
        let object = encode(&noise, &sha, "k").unwrap();
        let end = object.iter().position(|&b| b == b'\n').unwrap();
        assert!(object[..end].ends_with(br#""compression":"none"}"#));
        assert_eq!(&object[end + 1..], &noise[..]);
        assert_eq!(decode(&object, &sha, 6400, "f", "k").unwrap(), noise);
    }

    #[test]
    fn an_object_that_does_not_hold_its_address_is_a_checksum_error_and_is_repaired() {
        let remote = Remote::in_memory(Prefix::new("p").unwrap()).unwrap();
        let content = b"some content, some content".repeat(20);
        let sha = sha256_hex(&content);
        let size = content.len() as u64;
        assert_eq!(fetch_whole(&remote, &sha, size, "f").unwrap(), None);
        let (stored_size, outcome) = store_whole(&remote, &content, &sha).unwrap();
        assert_eq!(outcome, Stored::Sent);
        assert_eq!(
            fetch_whole(&remote, &sha, size, "f").unwrap(),
            Some((content.clone(), stored_size))
        );
        // Stored again: the create-only PUT finds it, it verifies, nothing is replaced.
        assert_eq!(
            store_whole(&remote, &content, &sha).unwrap(),
            (stored_size, Stored::Found)
        );

        let key = whole_key(&sha).unwrap();
        let good = remote.get(&key, u64::MAX).unwrap().bytes;
        let end = good.iter().position(|&b| b == b'\n').unwrap() + 1;
        let other_payload = [
            &good[..end],
            &zstd::bulk::compress(&b"x".repeat(content.len()), 1).unwrap()[..],
        ]
        .concat();
        let bigger = [
            &good[..end],
            &zstd::bulk::compress(&b"x".repeat(content.len() + 1), 1).unwrap()[..],
        ]
        .concat();
        let mut other_header = serde_json::to_vec(&Header {
            format: WHOLE_FORMAT,
            sha256: sha.clone(),
            size: 1,
            compression: Compression::Zstd,
        })
        .unwrap();
        other_header.push(b'\n');
        other_header.extend_from_slice(&good[end..]);
        for damaged in [
            other_payload,
            bigger,
            other_header,
            vec![0x42; good.len()],
            Vec::new(),
        ] {
            remote.put_overwrite(&key, damaged).unwrap();
            assert!(checksum_error(fetch_whole(&remote, &sha, size, "f")));
        }
        // The catalogue's size must match the header's as well.
        remote.put_overwrite(&key, good.clone()).unwrap();
        assert!(checksum_error(fetch_whole(&remote, &sha, size - 1, "f")));
        // A damaged object is replaced by the next store.
        remote.put_overwrite(&key, vec![0x42; 10]).unwrap();
        assert_eq!(
            store_whole(&remote, &content, &sha).unwrap(),
            (stored_size, Stored::Sent)
        );
        assert_eq!(
            fetch_whole(&remote, &sha, size, "f").unwrap(),
            Some((content, stored_size))
        );
    }
}
