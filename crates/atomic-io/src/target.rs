//! Turning a path into "this name in this open directory", following symbolic links
//! when asked to.
//!
//! Every later step (create, link, rename, flush) works relative to the one directory
//! handle opened here, so a concurrent rename of a parent directory cannot make the
//! steps act on two different directories.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

use rustix::fd::{AsFd, OwnedFd};
use rustix::fs::{CWD, Mode, OFlags};
use rustix::io::Errno;

use crate::{Error, Operation};

/// Linux's own limit on symbolic links followed in one lookup.
const MAX_SYMLINK_HOPS: usize = 40;

/// What happens when the target path is a symbolic link.
///
/// The default is [`Follow`](Symlinks::Follow): a path the user names is edited where
/// it really lives, as text editors do, and the link stays a link. Replacing the link
/// would silently turn it into a regular copy and leave the file it pointed to stale.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Symlinks {
    /// Follow the chain of links (up to 40) and replace the final target, in the final
    /// target's own directory, leaving the links in place. A dangling link creates its
    /// target. The target's directory is the one flushed.
    #[default]
    Follow,
    /// Replace the link itself with a regular file (what `rename(2)` does). The link's
    /// old target is left untouched. For tools that manage the link themselves.
    Replace,
}

/// The file to replace: a name inside an open directory.
#[derive(Debug)]
pub(crate) struct Target {
    pub(crate) dir: OwnedFd,
    /// The directory as a path, for messages and reports (empty for the current directory).
    pub(crate) dir_path: PathBuf,
    pub(crate) name: OsString,
    /// `dir_path` joined with `name`.
    pub(crate) path: PathBuf,
}

/// A path split into its parent directory (if it has one) and its final name.
struct Split<'a> {
    parent: Option<&'a [u8]>,
    name: &'a [u8],
}

/// Splits `bytes` on its last `/`, rejecting paths that name a directory.
fn split(bytes: &[u8]) -> Result<Split<'_>, &'static str> {
    if bytes.is_empty() {
        return Err("the path is empty");
    }
    if bytes.ends_with(b"/") {
        return Err("the path ends with '/', so it names a directory, not a file");
    }
    let (parent, name) = match bytes.iter().rposition(|&b| b == b'/') {
        Some(0) => (Some(&b"/"[..]), &bytes[1..]),
        Some(slash) => (Some(&bytes[..slash]), &bytes[slash + 1..]),
        None => (None, bytes),
    };
    if name == b"." || name == b".." {
        return Err("the path ends in '.' or '..', so it names a directory, not a file");
    }
    Ok(Split { parent, name })
}

fn open_dir(base: impl AsFd, dir: &[u8]) -> rustix::io::Result<OwnedFd> {
    rustix::fs::openat(
        base,
        OsStr::from_bytes(dir),
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
}

/// Opens the parent directory of `path` and, with [`Symlinks::Follow`], walks the chain
/// of links to the file that will really be replaced.
pub(crate) fn resolve(path: &Path, symlinks: Symlinks) -> Result<Target, Error> {
    let invalid = |reason| Error::InvalidPath {
        operation: Operation::ResolveTarget,
        path: path.to_path_buf(),
        target_changed: false,
        reason,
    };
    let Split { parent, name } = split(path.as_os_str().as_bytes()).map_err(invalid)?;
    let (dir, dir_path) = match parent {
        Some(parent) => (
            open_dir(CWD, parent),
            PathBuf::from(OsStr::from_bytes(parent)),
        ),
        None => (open_dir(CWD, b"."), PathBuf::new()),
    };
    let dir = dir.map_err(|e| Error::io(Operation::OpenDir, path, false, e))?;
    let name = OsStr::from_bytes(name).to_os_string();
    let mut target = Target {
        path: dir_path.join(&name),
        dir,
        dir_path,
        name,
    };
    if symlinks == Symlinks::Replace {
        return Ok(target);
    }
    for _ in 0..MAX_SYMLINK_HOPS {
        let link = match rustix::fs::readlinkat(&target.dir, &target.name, Vec::new()) {
            Ok(link) => link.into_bytes(),
            // Not a link (EINVAL) or not there yet: this is the file to write.
            Err(Errno::INVAL | Errno::NOENT) => return Ok(target),
            Err(e) => return Err(Error::io(Operation::ReadLink, &target.path, false, e)),
        };
        target = follow(target, &link)?;
    }
    Err(Error::io(
        Operation::ReadLink,
        &target.path,
        false,
        Errno::LOOP,
    ))
}

/// Moves `from` (a symbolic link) to the file its contents `link` point at.
fn follow(from: Target, link: &[u8]) -> Result<Target, Error> {
    let link_path = PathBuf::from(OsString::from_vec(link.to_vec()));
    let Split { parent, name } = split(link).map_err(|reason| Error::InvalidPath {
        operation: Operation::ReadLink,
        path: from.path.clone(),
        target_changed: false,
        reason,
    })?;
    let name = OsStr::from_bytes(name).to_os_string();
    let (dir, dir_path) = match parent {
        // A bare name: the link points into its own directory.
        None => (from.dir, from.dir_path),
        Some(parent) => {
            let parent_path = Path::new(OsStr::from_bytes(parent));
            let dir = if parent.starts_with(b"/") {
                open_dir(CWD, parent)
            } else {
                // Relative links resolve against the link's directory handle, not the
                // current directory.
                open_dir(&from.dir, parent)
            }
            .map_err(|e| Error::io(Operation::OpenDir, from.dir_path.join(&link_path), false, e))?;
            (dir, from.dir_path.join(parent_path))
        }
    };
    Ok(Target {
        path: dir_path.join(&name),
        dir,
        dir_path,
        name,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_rejects_directory_names() {
        for bad in [&b""[..], b"/", b"dir/", b".", b"..", b"a/..", b"a/."] {
            assert!(split(bad).is_err(), "{:?}", OsStr::from_bytes(bad));
        }
    }

    #[test]
    fn split_finds_parent_and_name() {
        let s = split(b"/x").unwrap();
        assert_eq!((s.parent, s.name), (Some(&b"/"[..]), &b"x"[..]));
        let s = split(b"a/b/c.sdn").unwrap();
        assert_eq!((s.parent, s.name), (Some(&b"a/b"[..]), &b"c.sdn"[..]));
        let s = split(b"c.sdn").unwrap();
        assert_eq!((s.parent, s.name), (None, &b"c.sdn"[..]));
    }

    #[test]
    fn follow_walks_a_relative_chain_into_another_directory() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("real")).unwrap();
        std::os::unix::fs::symlink("real/data", dir.path().join("hop")).unwrap();
        std::os::unix::fs::symlink("hop", dir.path().join("link")).unwrap();
        let target = resolve(&dir.path().join("link"), Symlinks::Follow).unwrap();
        assert_eq!(target.name, "data");
        assert_eq!(target.path, dir.path().join("real/data"));
        let replaced = resolve(&dir.path().join("link"), Symlinks::Replace).unwrap();
        assert_eq!(replaced.name, "link");
    }

    #[test]
    fn follow_reports_a_link_loop() {
        let dir = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink("b", dir.path().join("a")).unwrap();
        std::os::unix::fs::symlink("a", dir.path().join("b")).unwrap();
        let error = resolve(&dir.path().join("a"), Symlinks::Follow).unwrap_err();
        assert_eq!(error.operation(), Operation::ReadLink);
        assert_eq!(
            error.io_error().and_then(|e| e.raw_os_error()),
            Some(Errno::LOOP.raw_os_error())
        );
    }
}
