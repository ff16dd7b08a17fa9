//! When a cached snapshot may be reused without reading the file again.
//!
//! The check, in order:
//!
//! 1. Writers of this crate never modify a file in place: they replace it whole by
//!    rename, which always gives the path a new inode. A foreign in-place edit changes
//!    the size or the modification/change times.
//! 2. Times have a granularity (a few milliseconds on Linux, a second or two elsewhere),
//!    so an in-place edit within the same tick and of the same size would go unseen. An
//!    entry is therefore *trusted* only when both times are older than
//!    [`TRUST_AFTER`] at the moment the file was read; otherwise every read compares the
//!    file's bytes with the cached bytes (exact comparison, no hash: the files are small).
//! 3. A trusted entry holds no descriptor, so its inode number may be given to another
//!    file once the file is replaced. That file cannot pass for it: its change time is
//!    when it was written or renamed into place, after the cached read, while the cached
//!    entry's change time is more than [`TRUST_AFTER`] older than that read (the change
//!    time cannot be set by a program; only a wall clock set back by more than
//!    [`TRUST_AFTER`] could make them meet).
//!
//! Identity = (device, inode, size, mtime ns, ctime ns, birth ns where recorded). A mismatch, or a byte difference
//! when the entry is not trusted, re-parses.

use std::fs::Metadata;
use std::time::{Duration, SystemTime};

/// How old a file's timestamps must be before metadata alone proves it unchanged.
pub const TRUST_AFTER: Duration = Duration::from_secs(2);

/// A time as nanoseconds since the Unix epoch, when the platform gives it.
fn nanos(time: std::io::Result<SystemTime>) -> Option<i128> {
    let time = time.ok()?;
    Some(match time.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(after) => after.as_nanos() as i128,
        Err(before) => -(before.duration().as_nanos() as i128),
    })
}

/// What a file looked like when it was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileIdentity {
    dev: u64,
    ino: u64,
    size: u64,
    mtime_ns: i128,
    ctime_ns: i128,
    /// Creation (birth) time where the file system records it: tells a file written in
    /// place (same inode, same birth) from a new file that was given a freed inode
    /// number.
    birth_ns: Option<i128>,
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
                birth_ns: nanos(meta.created()),
            }
        }
        #[cfg(not(unix))]
        {
            FileIdentity {
                dev: 0,
                ino: 0,
                size: meta.len(),
                mtime_ns: nanos(meta.modified()).unwrap_or(0),
                ctime_ns: nanos(meta.created()).unwrap_or(0),
                birth_ns: None,
            }
        }
    }

    /// Whether both timestamps were at least [`TRUST_AFTER`] old at `read_at`.
    pub fn settled_at(&self, read_at: SystemTime) -> bool {
        // Without inode numbers (non-Unix) nothing is ever trusted on metadata alone.
        cfg!(unix) && self.settled_for(TRUST_AFTER, read_at)
    }

    /// Whether both timestamps were at least `age` old at `at`.
    pub(crate) fn settled_for(&self, age: Duration, at: SystemTime) -> bool {
        let Ok(now) = at.duration_since(SystemTime::UNIX_EPOCH) else {
            return false;
        };
        let now_ns = now.as_nanos() as i128;
        let margin = age.as_nanos() as i128;
        self.mtime_ns + margin < now_ns && self.ctime_ns + margin < now_ns
    }

    /// Whether both identities are provably of the same file object (device, inode and
    /// birth time), whatever its content. `false` where the file system does not record
    /// birth times: an inode number alone may have been reused.
    pub(crate) fn same_file(&self, other: &FileIdentity) -> bool {
        cfg!(unix)
            && self.dev == other.dev
            && self.ino == other.ino
            && self.birth_ns.is_some()
            && self.birth_ns == other.birth_ns
    }

    /// The file's size in bytes.
    pub(crate) fn len(&self) -> u64 {
        self.size
    }
}
