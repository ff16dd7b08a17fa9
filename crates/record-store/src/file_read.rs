//! Reading a store's file: its bytes and identity, and waiting out another program that
//! is writing the file in place.

use std::cell::RefCell;
use std::fs::File;
use std::io::{self, Read, Seek};
use std::path::Path;
#[cfg(any(target_os = "linux", target_os = "android"))]
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime};

use crate::error::{Error, Operation, Result};
use crate::identity::FileIdentity;
use crate::snapshot::Snapshot;

/// What the cache knows about the file a snapshot was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CacheKey {
    /// `None`: the file did not exist.
    pub(crate) identity: Option<FileIdentity>,
    /// Whether metadata alone proves the file unchanged (see [`crate::identity`]).
    pub(crate) trusted: bool,
}

/// A file as just read.
pub(crate) struct FileRead {
    /// The file's bytes; `None` when they are exactly the bytes the read was told to
    /// expect (see [`read_file`]), which the caller holds.
    pub(crate) bytes: Option<Vec<u8>>,
    /// The open file: it keeps the inode from being reused while it is open.
    pub(crate) file: File,
    pub(crate) identity: FileIdentity,
    pub(crate) read_at: SystemTime,
    /// The file changed while it was being read (its identity before and after differ).
    pub(crate) changing: bool,
}

impl FileRead {
    /// The cache key of what was read.
    pub(crate) fn key(&self) -> CacheKey {
        CacheKey {
            identity: Some(self.identity),
            trusted: !self.changing && self.identity.settled_at(self.read_at),
        }
    }

    /// Whether `snapshot`, cached under `key`, is of exactly what was read. `snapshot`
    /// is the version whose bytes the read was told to expect (see [`read_file`]).
    pub(crate) fn shows(&self, key: &CacheKey, snapshot: &Snapshot) -> bool {
        key.identity == Some(self.identity)
            && self
                .bytes
                .as_ref()
                .is_none_or(|bytes| snapshot.bytes() == bytes.as_slice())
    }

    /// The bytes read, or a copy of `expected` (the bytes the read was told to expect)
    /// when the file held exactly those.
    pub(crate) fn take_bytes(&mut self, expected: &[u8]) -> Vec<u8> {
        self.bytes.take().unwrap_or_else(|| expected.to_vec())
    }

    /// Whether another program is writing the file in place: it changed during the
    /// read, or it is the file (same inode) that `known` describes, changed less than
    /// `settle` ago. This crate's writers never do either: they replace the file whole,
    /// which gives it a new inode.
    fn written_in_place(&self, known: Option<FileIdentity>, settle: Duration) -> bool {
        self.changing
            || known.is_some_and(|known| {
                known.same_file(&self.identity)
                    && known != self.identity
                    && !self.identity.settled_for(settle, crate::fault::now())
            })
    }
}

/// The file's current bytes and identity; `None` when it does not exist.
///
/// `expected`: the bytes the caller believes the file holds (a cached version). When
/// the file has their length it is compared with them piece by piece first, and its
/// bytes are kept only when they differ ([`FileRead::bytes`] is `None` otherwise): the
/// common case, the file as this process left it, then costs neither a buffer of the
/// file's size nor, for a large file, the page faults of filling one.
pub(crate) fn read_file(path: &Path, expected: Option<&[u8]>) -> Result<Option<FileRead>> {
    let Some((mut file, identity)) = pinned_identity(path)? else {
        return Ok(None);
    };
    let read_error = |err| Error::io(Operation::Read, path, err);
    let bytes = match expected {
        Some(expected) if expected.len() as u64 == identity.len() => {
            match content_equals(&file, expected).map_err(read_error)? {
                true => None,
                false => {
                    file.rewind().map_err(read_error)?;
                    Some(read_all(&file, identity.len()).map_err(read_error)?)
                }
            }
        }
        _ => Some(read_all(&file, identity.len()).map_err(read_error)?),
    };
    let changing = identity_of(&file, path)? != identity;
    Ok(Some(FileRead {
        bytes,
        file,
        identity,
        // The crate's clock, which a test build can move forward (see `crate::fault`).
        read_at: crate::fault::now(),
        changing,
    }))
}

/// Files up to this size are read into a zeroed buffer of their size with one `read`;
/// larger ones with `read_to_end`, which does not zero its buffer (zeroing megabytes
/// costs more than the three system calls it saves: asking the size and position
/// again, and one more read to find the end).
const ONE_READ_UP_TO: u64 = 256 * 1024;

/// The bytes of `file`, whose size was `len` when its identity was taken. Read up to
/// `len` bytes only when that is small (see [`ONE_READ_UP_TO`]): a file that grew or
/// shrank meanwhile shows a new identity afterwards (see [`read_file`]), so reading past
/// `len` would be wasted.
fn read_all(mut file: &File, len: u64) -> io::Result<Vec<u8>> {
    if len > ONE_READ_UP_TO {
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)?;
        return Ok(bytes);
    }
    // At most `ONE_READ_UP_TO`, which fits any `usize`.
    let mut bytes = vec![0; len as usize];
    let mut filled = 0;
    while filled < bytes.len() {
        match file.read(&mut bytes[filled..]) {
            Ok(0) => break,
            Ok(read) => filled += read,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => return Err(err),
        }
    }
    bytes.truncate(filled);
    Ok(bytes)
}

/// How many bytes [`content_equals`] reads at a time.
const COMPARE_PIECE: usize = 64 * 1024;

thread_local! {
    /// The buffer [`content_equals`] reads into, kept by each thread that compares:
    /// allocating and zeroing it for every transaction cost more than comparing a small
    /// file.
    static PIECE: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Whether the rest of `file` starts with exactly `expected` (the caller knows the file
/// is as long). Reads a piece at a time, stopping at the first difference.
fn content_equals(mut file: &File, expected: &[u8]) -> io::Result<bool> {
    PIECE.with_borrow_mut(|piece| {
        if piece.is_empty() {
            piece.resize(COMPARE_PIECE, 0);
        }
        for expected in expected.chunks(COMPARE_PIECE) {
            let piece = &mut piece[..expected.len()];
            match file.read_exact(piece) {
                Ok(()) if piece == expected => {}
                Ok(()) => return Ok(false),
                Err(err) if err.kind() == io::ErrorKind::UnexpectedEof => return Ok(false),
                Err(err) => return Err(err),
            }
        }
        Ok(true)
    })
}

/// [`read_file`], waiting while another program writes the file in place (see
/// [`FileRead::written_in_place`]) until it stays unchanged for `settle`; gives up with
/// [`Error::ChangedInPlace`] after eight times `settle`. `known`: the identity this
/// process last saw the file with; `expected`: the bytes it last saw (see
/// [`read_file`]).
pub(crate) fn read_settled(
    path: &Path,
    known: Option<FileIdentity>,
    expected: Option<&[u8]>,
    settle: Duration,
) -> Result<Option<FileRead>> {
    let started = Instant::now();
    let give_up = settle.saturating_mul(8);
    loop {
        let Some(read) = read_file(path, expected)? else {
            return Ok(None);
        };
        if !read.written_in_place(known, settle) {
            return Ok(Some(read));
        }
        let waited = started.elapsed();
        if waited >= give_up {
            return Err(Error::ChangedInPlace {
                path: path.to_path_buf(),
                settle,
                waited,
            });
        }
        // Polling is the only way to watch a writer that takes no lock.
        std::thread::sleep((settle / 8).clamp(Duration::from_millis(1), Duration::from_millis(50)));
    }
}

/// The identity of the file at `path` now (`None`: it does not exist).
pub(crate) fn current_identity(path: &Path) -> Result<Option<FileIdentity>> {
    match std::fs::metadata(path) {
        Ok(meta) => Ok(Some(FileIdentity::of(&meta))),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(err) => Err(Error::io(Operation::Stat, path, err)),
    }
}

/// The identity of the file at `path` now, with the file held open so its inode cannot
/// be reused while the caller compares (`None`: it does not exist).
pub(crate) fn pinned_identity(path: &Path) -> Result<Option<(File, FileIdentity)>> {
    let file = match open_to_read(path) {
        Ok(file) => file,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(err) => return Err(Error::io(Operation::Open, path, err)),
    };
    let identity = identity_of(&file, path)?;
    Ok(Some((file, identity)))
}

/// Opens `path` to read it, leaving its access time alone where this process may (on
/// Linux: `O_NOATIME`, for the file's owner or a process with `CAP_FOWNER`); elsewhere, or
/// once the kernel has refused it, a plain open.
///
/// A store reads its file in every transaction, to compare it with the version it holds.
/// Under `relatime`, the default, the first read after each commit would set the new
/// file's access time, and the next commit's flush would then journal that inode too:
/// about 1% of a durable one-record update of a small file, measured.
fn open_to_read(path: &Path) -> io::Result<File> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        open_preferring(path, &NOATIME_REFUSED, open_noatime)
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    {
        File::open(path)
    }
}

/// Set once the kernel refused `O_NOATIME` to this process (a file somebody else owns):
/// later opens go straight to a plain open rather than being refused again on every
/// transaction. For a process that also owns other stores this gives up a saving, never
/// correctness.
#[cfg(any(target_os = "linux", target_os = "android"))]
static NOATIME_REFUSED: AtomicBool = AtomicBool::new(false);

#[cfg(any(target_os = "linux", target_os = "android"))]
fn open_noatime(path: &Path) -> io::Result<File> {
    use rustix::fs::{Mode, OFlags};
    let flags = OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NOATIME;
    Ok(File::from(rustix::fs::open(path, flags, Mode::empty())?))
}

/// Opens `path` with `preferred`, or plainly when `refused` is set or `preferred` fails
/// with `EPERM` (which then sets `refused`).
#[cfg(any(target_os = "linux", target_os = "android"))]
fn open_preferring(
    path: &Path,
    refused: &AtomicBool,
    preferred: impl FnOnce(&Path) -> io::Result<File>,
) -> io::Result<File> {
    // Relaxed: the flag only spares a system call; any thread may miss it once.
    if !refused.load(Ordering::Relaxed) {
        match preferred(path) {
            Err(err) if err.raw_os_error() == Some(rustix::io::Errno::PERM.raw_os_error()) => {
                refused.store(true, Ordering::Relaxed);
            }
            opened => return opened,
        }
    }
    File::open(path)
}

/// The identity of the open `file`, found at `path`.
fn identity_of(file: &File, path: &Path) -> Result<FileIdentity> {
    file.metadata()
        .map(|meta| FileIdentity::of(&meta))
        .map_err(|err| Error::io(Operation::Stat, path, err))
}

#[cfg(test)]
mod tests {
    use super::{COMPARE_PIECE, read_file};

    /// A file whose access time is older than its modification time has it set by the next
    /// plain read (`relatime`, `strictatime`); reading it here leaves it alone. (Under
    /// `noatime` nothing sets it, and the test proves nothing there.)
    #[test]
    #[cfg(any(target_os = "linux", target_os = "android"))]
    fn reading_leaves_the_access_time_alone() {
        use std::time::{Duration, SystemTime};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.sdn");
        std::fs::write(&path, "t |id|\n    1\n").unwrap();
        let long_ago = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
        let file = std::fs::File::options().write(true).open(&path).unwrap();
        file.set_times(std::fs::FileTimes::new().set_accessed(long_ago))
            .unwrap();
        drop(file);
        let read = read_file(&path, None).unwrap().unwrap();
        assert_eq!(read.bytes.as_deref(), Some(&b"t |id|\n    1\n"[..]));
        drop(read);
        let accessed = std::fs::metadata(&path).unwrap().accessed().unwrap();
        assert_eq!(accessed, long_ago, "the read set the access time");
    }

    /// Once the preferred open is refused with `EPERM`, later opens are plain ones and
    /// never try it again; other errors of the preferred open are the open's errors.
    #[test]
    #[cfg(any(target_os = "linux", target_os = "android"))]
    fn a_refused_open_without_access_time_is_not_tried_again() {
        use std::cell::Cell;
        use std::io;
        use std::sync::atomic::AtomicBool;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.sdn");
        std::fs::write(&path, "t |id|\n").unwrap();
        let refused = AtomicBool::new(false);
        let tries = Cell::new(0);
        let refuse = |_: &std::path::Path| -> io::Result<std::fs::File> {
            tries.set(tries.get() + 1);
            Err(io::Error::from_raw_os_error(
                rustix::io::Errno::PERM.raw_os_error(),
            ))
        };
        for _ in 0..3 {
            let file = super::open_preferring(&path, &refused, refuse).unwrap();
            assert_eq!(std::io::read_to_string(file).unwrap(), "t |id|\n");
        }
        assert_eq!(tries.get(), 1, "the refused open was tried again");
        let fresh = AtomicBool::new(false);
        let missing = |_: &std::path::Path| -> io::Result<std::fs::File> {
            Err(io::Error::from(io::ErrorKind::NotFound))
        };
        let err = super::open_preferring(&path, &fresh, missing).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
        assert!(
            !fresh.into_inner(),
            "an error other than EPERM turned the open off"
        );
    }

    /// A file equal to the expected bytes is not kept; one that differs anywhere (first
    /// piece, last piece, same length or not) is read whole, from its start.
    #[test]
    fn a_file_is_kept_only_when_it_differs_from_what_was_expected() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.sdn");
        let small = b"t |id|\n    1\n".to_vec();
        let large: Vec<u8> = (0..2 * COMPARE_PIECE + 77)
            .map(|i| b'a' + (i % 23) as u8)
            .collect();
        for expected in [&small, &large] {
            std::fs::write(&path, expected).unwrap();
            let read = read_file(&path, Some(expected)).unwrap().unwrap();
            assert!(read.bytes.is_none(), "equal content was kept");
            let mut changed_first = expected.clone();
            changed_first[0] = b'#';
            let mut changed_last = expected.clone();
            *changed_last.last_mut().unwrap() = b'#';
            let mut longer = expected.clone();
            longer.push(b'\n');
            for content in [changed_first, changed_last, longer, Vec::new()] {
                std::fs::write(&path, &content).unwrap();
                let read = read_file(&path, Some(expected)).unwrap().unwrap();
                assert!(read.bytes.as_ref() == Some(&content), "a change was missed");
                let without = read_file(&path, None).unwrap().unwrap();
                assert!(without.bytes.as_ref() == Some(&content));
            }
        }
    }
}
