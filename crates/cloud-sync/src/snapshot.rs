//! Immutable, content-addressed, zstd-compressed snapshots.
//!
//! A snapshot's key is `snapshots/<sha256 of the uncompressed content>.zst`. It is
//! written create-only and never changed, so two devices pushing the same content write
//! one object, and a manifest can name it without trusting anything else. A download is
//! accepted only when the stored size, the decompressed size and the sha256 all match
//! what the manifest promised, and both sizes are bounded before any byte is buffered.

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::digest::{is_sha256_hex, sha256_hex};
use crate::error::{Error, IntegrityMismatch, Operation};
use crate::inflate::Inflater;
use crate::key::Key;
use crate::remote::{ObjectInfo, Remote};

/// The zstd level used for snapshots: fast, and within a few percent of level 9 on text.
const ZSTD_LEVEL: i32 = 3;
/// From this size on, snapshots are compressed at [`ZSTD_LEVEL_LARGE`] by several
/// threads: at level 3 one thread compresses SDN text at a few hundred MB/s, slower than a
/// loopback or LAN upload of the same bytes, so compression would dominate a push.
const LARGE: usize = 4 << 20;
/// The level for large snapshots: on generated SDN records level 1 stores about 5% more
/// than level 3 at a fraction of the time.
const ZSTD_LEVEL_LARGE: i32 = 1;
/// The most compression threads a large snapshot uses.
const MAX_WORKERS: usize = 4;

/// Size bounds for everything cloud-sync downloads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest manifest, backup entry, log entry or device record accepted (bytes).
    pub max_metadata: u64,
    /// Largest stored (compressed) snapshot accepted (bytes).
    pub max_stored: u64,
    /// Largest decompressed snapshot accepted (bytes): the zstd decompression bound.
    pub max_content: u64,
}

impl Default for Limits {
    /// 64 KiB of metadata; snapshots up to 1 GiB, stored or decompressed.
    fn default() -> Limits {
        Limits {
            max_metadata: 64 * 1024,
            max_stored: 1 << 30,
            max_content: 1 << 30,
        }
    }
}

/// What a manifest or backup entry says about a snapshot.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotRef {
    /// The object key, relative to the prefix: always `snapshots/<sha256>.zst`.
    pub key: String,
    /// sha256 of the uncompressed content, lowercase hex.
    pub sha256: String,
    /// Size of the uncompressed content.
    pub size: u64,
    /// Size of the stored (compressed) object.
    pub stored_size: u64,
}

impl SnapshotRef {
    /// Checks the reference before anything is read through it: the key must be a valid
    /// key (no `..`, nothing outside the prefix) and exactly the content address of the
    /// hash, and the sizes must be within `limits`.
    pub fn validate(&self, limits: &Limits) -> Result<Key, Error> {
        let key = Key::new(self.key.as_str())?;
        if !is_sha256_hex(&self.sha256) {
            return Err(Error::InvalidKey {
                key: self.key.clone(),
                reason: "the snapshot's sha256 is not 64 lowercase hex digits",
            });
        }
        let expected = snapshot_key(&self.sha256)?;
        if key != expected {
            return Err(Error::InvalidKey {
                key: self.key.clone(),
                reason: "a snapshot key must be `snapshots/<its sha256>.zst`",
            });
        }
        if self.stored_size > limits.max_stored {
            return Err(Error::TooLarge {
                what: "stored snapshot",
                key: self.key.clone(),
                size: self.stored_size,
                limit: limits.max_stored,
            });
        }
        if self.size > limits.max_content {
            return Err(Error::TooLarge {
                what: "decompressed snapshot",
                key: self.key.clone(),
                size: self.size,
                limit: limits.max_content,
            });
        }
        Ok(key)
    }
}

/// The content address of content whose sha256 is `sha256`.
pub fn snapshot_key(sha256: &str) -> Result<Key, Error> {
    Key::new(format!("snapshots/{sha256}.zst"))
}

/// A compressed snapshot ready to upload.
#[derive(Clone, Debug)]
pub struct PreparedSnapshot {
    /// The reference a manifest will carry.
    pub reference: SnapshotRef,
    /// The compressed bytes.
    pub compressed: Bytes,
}

/// Hashes and compresses `content`.
pub fn prepare(content: &[u8]) -> Result<PreparedSnapshot, Error> {
    prepare_hashed(content, &sha256_hex(content))
}

/// Compresses `content`, whose sha256 the caller has already computed.
pub(crate) fn prepare_hashed(content: &[u8], sha256: &str) -> Result<PreparedSnapshot, Error> {
    let key = snapshot_key(sha256)?;
    let compressed = compress(content).map_err(|source| Error::Codec {
        operation: Operation::Compress,
        key: key.to_string(),
        source,
    })?;
    Ok(PreparedSnapshot {
        reference: SnapshotRef {
            key: key.to_string(),
            sha256: sha256.to_owned(),
            size: content.len() as u64,
            stored_size: compressed.len() as u64,
        },
        compressed: compressed.into(),
    })
}

/// [`prepare_hashed`] on another thread while this one asks the remote whether the
/// snapshot is already there (the answer [`upload_probed`] needs): the request's round
/// trip is hidden behind the compression. Only the calling thread drives the remote.
pub(crate) fn prepare_and_probe(
    remote: &Remote,
    content: &[u8],
    sha256: &str,
) -> Result<(PreparedSnapshot, Option<ObjectInfo>), Error> {
    let key = snapshot_key(sha256)?;
    std::thread::scope(|scope| {
        let prepared = scope.spawn(|| prepare_hashed(content, sha256));
        let present = remote.head(&key);
        let prepared = prepared.join().unwrap_or_else(|_| {
            Err(Error::TaskFailed {
                operation: Operation::Compress,
                key: remote.full_key(&key),
            })
        });
        Ok((prepared?, present?))
    })
}

fn compress(content: &[u8]) -> std::io::Result<Vec<u8>> {
    if content.len() < LARGE {
        return zstd::bulk::compress(content, ZSTD_LEVEL);
    }
    let workers = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(MAX_WORKERS);
    let mut compressor = zstd::bulk::Compressor::new(ZSTD_LEVEL_LARGE)?;
    if workers > 1 {
        compressor.set_parameter(zstd::zstd_safe::CParameter::NbWorkers(workers as u32))?;
    }
    compressor.compress(content)
}

/// Uploads a snapshot create-only, unless the remote already holds a valid one; returns
/// the reference to publish (its `stored_size` is that of the object on the remote) and
/// whether bytes were sent.
///
/// An object already under the key is kept when its size matches ours; otherwise it is
/// downloaded and verified (another zstd version may compress differently), and replaced
/// only if it is damaged.
pub fn upload(
    remote: &Remote,
    snapshot: &PreparedSnapshot,
    limits: &Limits,
) -> Result<(SnapshotRef, bool), Error> {
    let uploaded = upload_reporting_reuse(remote, snapshot, limits)?;
    Ok((uploaded.reference, uploaded.sent))
}

/// [`upload`], also saying whether the snapshot was reused.
pub(crate) fn upload_reporting_reuse(
    remote: &Remote,
    snapshot: &PreparedSnapshot,
    limits: &Limits,
) -> Result<Uploaded, Error> {
    let key = snapshot.reference.validate(limits)?;
    let present = remote.head(&key)?;
    upload_probed(remote, snapshot, present, limits)
}

/// What [`upload_probed`] did.
pub(crate) struct Uploaded {
    /// The reference to publish.
    pub(crate) reference: SnapshotRef,
    /// Whether bytes were sent.
    pub(crate) sent: bool,
    /// Whether the object was there before this upload, so a prune may be deleting it:
    /// see [`secure_reused`](crate::prune_lease::secure_reused).
    pub(crate) reused: bool,
}

/// [`upload`], given what the remote answered when asked for the snapshot's key.
pub(crate) fn upload_probed(
    remote: &Remote,
    snapshot: &PreparedSnapshot,
    present: Option<ObjectInfo>,
    limits: &Limits,
) -> Result<Uploaded, Error> {
    let key = snapshot.reference.validate(limits)?;
    let reused = |reference: SnapshotRef, sent: bool| Uploaded {
        reference,
        sent,
        reused: true,
    };
    if let Some(existing) = present {
        if existing.size == snapshot.reference.stored_size {
            return Ok(reused(snapshot.reference.clone(), false));
        }
        let theirs = SnapshotRef {
            stored_size: existing.size,
            ..snapshot.reference.clone()
        };
        return match download(remote, &theirs, limits) {
            Ok(_) => Ok(reused(theirs, false)),
            Err(Error::Integrity { .. } | Error::Codec { .. }) => {
                remote.put_overwrite(&key, snapshot.compressed.clone())?;
                Ok(reused(snapshot.reference.clone(), true))
            }
            Err(e) => Err(e),
        };
    }
    match remote.put_create(&key, snapshot.compressed.clone()) {
        Ok(_) => Ok(Uploaded {
            reference: snapshot.reference.clone(),
            sent: true,
            reused: false,
        }),
        // Another device uploaded the same content meanwhile: same address, same content.
        Err(Error::AlreadyExists { .. }) => Ok(reused(snapshot.reference.clone(), true)),
        Err(e) => Err(e),
    }
}

/// Downloads a snapshot and returns its content, verified against `reference`: stored
/// size, decompressed size (bounded while decompressing) and sha256.
pub fn download(
    remote: &Remote,
    reference: &SnapshotRef,
    limits: &Limits,
) -> Result<Vec<u8>, Error> {
    let key = reference.validate(limits)?;
    let full = remote.full_key(&key);
    // Decompressed and hashed as the body arrives; the bounds hold throughout.
    let mut inflater = Inflater::new(reference.size, &full)?;
    let mut stored = 0u64;
    remote.get_chunks(&key, reference.stored_size, &mut |_, chunk| {
        stored += chunk.len() as u64;
        inflater.feed(chunk)
    })?;
    if stored != reference.stored_size {
        return Err(Error::Integrity {
            key: full,
            mismatch: IntegrityMismatch::StoredSize {
                expected: reference.stored_size,
                actual: stored,
            },
        });
    }
    let (content, sha256) = inflater.finish()?;
    if content.len() as u64 != reference.size {
        return Err(Error::Integrity {
            key: full,
            mismatch: IntegrityMismatch::Size {
                expected: reference.size,
                actual: content.len() as u64,
            },
        });
    }
    if sha256 != reference.sha256 {
        return Err(Error::Integrity {
            key: full,
            mismatch: IntegrityMismatch::Sha256 {
                expected: reference.sha256.clone(),
                actual: sha256,
            },
        });
    }
    Ok(content)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::Prefix;

    fn remote() -> Remote {
        Remote::in_memory(Prefix::new("p").unwrap()).unwrap()
    }

    #[test]
    fn round_trip_and_skip_when_present() {
        let remote = remote();
        let limits = Limits::default();
        let snapshot = prepare(b"hello hello hello hello").unwrap();
        let (reference, sent) = upload(&remote, &snapshot, &limits).unwrap();
        assert!(sent);
        let (_, sent_again) = upload(&remote, &snapshot, &limits).unwrap();
        assert!(!sent_again, "a present snapshot is not sent again");
        assert_eq!(
            download(&remote, &reference, &limits).unwrap(),
            b"hello hello hello hello"
        );
    }

    #[test]
    fn changed_bytes_fail_the_checksum() {
        let remote = remote();
        let limits = Limits::default();
        let good = prepare(b"the real content").unwrap();
        let evil = prepare(b"the evil content").unwrap();
        // The evil bytes under the good address, same size.
        let key = Key::new(good.reference.key.as_str()).unwrap();
        remote.put_create(&key, evil.compressed.clone()).unwrap();
        let reference = SnapshotRef {
            stored_size: evil.reference.stored_size,
            ..good.reference.clone()
        };
        let err = download(&remote, &reference, &limits).unwrap_err();
        assert!(matches!(err, Error::Integrity { .. }), "{err}");
    }

    #[test]
    fn decompression_is_bounded_by_the_manifest_size() {
        let remote = remote();
        let limits = Limits::default();
        // 64 MiB of zeros compress to a few KiB: a manifest claiming 1 KiB must not make
        // us inflate all of it.
        let bomb = prepare(&vec![0u8; 64 << 20]).unwrap();
        assert!(bomb.reference.stored_size < 64 * 1024);
        let key = Key::new(bomb.reference.key.as_str()).unwrap();
        remote.put_create(&key, bomb.compressed.clone()).unwrap();
        let lying = SnapshotRef {
            size: 1024,
            ..bomb.reference.clone()
        };
        let err = download(&remote, &lying, &limits).unwrap_err();
        assert!(
            matches!(
                err,
                Error::TooLarge {
                    size: 1025,
                    limit: 1024,
                    ..
                }
            ),
            "{err}"
        );
        let over_limit = Limits {
            max_content: 1 << 20,
            ..limits
        };
        assert!(matches!(
            download(&remote, &bomb.reference, &over_limit),
            Err(Error::TooLarge { .. })
        ));
    }

    #[test]
    fn a_reference_outside_the_prefix_is_rejected_before_any_request() {
        let remote = remote();
        let reference = SnapshotRef {
            key: "../../x".into(),
            sha256: sha256_hex(b"x"),
            size: 1,
            stored_size: 1,
        };
        let err = download(&remote, &reference, &Limits::default()).unwrap_err();
        assert!(matches!(err, Error::InvalidKey { .. }), "{err}");
        let elsewhere = SnapshotRef {
            key: "devices/x.zst".into(),
            ..reference
        };
        assert!(matches!(
            download(&remote, &elsewhere, &Limits::default()),
            Err(Error::InvalidKey { .. })
        ));
        assert_eq!(remote.request_count(), 0);
    }
}
