//! When a cached snapshot may be reused without reading the file again.
//!
//! The check, in order:
//!
//! 1. The cache keeps the file it parsed **open**. While that descriptor lives, the kernel
//!    cannot hand its inode number to another file, so "the path still names the same
//!    (device, inode)" really means "the same file object", not a recycled number.
//! 2. Writers of this crate never modify a file in place: they replace it whole by
//!    rename, which always changes the inode. A foreign in-place edit changes the size
//!    or the modification/change times.
//! 3. Times have a granularity (a few milliseconds on Linux, a second or two elsewhere),
//!    so an in-place edit within the same tick and of the same size would go unseen. An
//!    entry is therefore *trusted* only when both times are older than
//!    [`TRUST_AFTER`] at the moment the file was read; otherwise every read compares the
//!    file's bytes with the cached bytes (exact comparison, no hash: the files are small).
//!
//! Identity = (device, inode, size, mtime ns, ctime ns). A mismatch, or a byte difference
//! when the entry is not trusted, re-parses.

use std::fs::Metadata;
use std::time::{Duration, SystemTime};

/// How old a file's timestamps must be before metadata alone proves it unchanged.
pub const TRUST_AFTER: Duration = Duration::from_secs(2);

/// What a file looked like when it was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileIdentity {
    dev: u64,
    ino: u64,
    size: u64,
    mtime_ns: i128,
    ctime_ns: i128,
}

impl FileIdentity {
    /// The identity described by `meta`.
    pub fn of(meta: &Metadata) -> Self {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            FileIdentity {
                dev: meta.dev(),
                ino: meta.ino(),
                size: meta.size(),
                mtime_ns: i128::from(meta.mtime()) * 1_000_000_000 + i128::from(meta.mtime_nsec()),
                ctime_ns: i128::from(meta.ctime()) * 1_000_000_000 + i128::from(meta.ctime_nsec()),
            }
        }
        #[cfg(not(unix))]
        {
            let nanos = |time: std::io::Result<SystemTime>| {
                time.ok()
                    .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
                    .map_or(0, |d| d.as_nanos() as i128)
            };
            FileIdentity {
                dev: 0,
                ino: 0,
                size: meta.len(),
                mtime_ns: nanos(meta.modified()),
                ctime_ns: nanos(meta.created()),
            }
        }
    }

    /// Whether both timestamps were at least [`TRUST_AFTER`] old at `read_at`.
    pub fn settled_at(&self, read_at: SystemTime) -> bool {
        let Ok(now) = read_at.duration_since(SystemTime::UNIX_EPOCH) else {
            return false;
        };
        let now_ns = now.as_nanos() as i128;
        let margin = TRUST_AFTER.as_nanos() as i128;
        // Without inode numbers (non-Unix) nothing is ever trusted on metadata alone.
        cfg!(unix) && self.mtime_ns + margin < now_ns && self.ctime_ns + margin < now_ns
    }
}
