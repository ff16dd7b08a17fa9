//! How files are named: a store's path is resolved once (symlinks followed, directory
//! canonical).

use std::io;
use std::path::{Path, PathBuf};

use atomic_io::journal::normalize;

use crate::error::{Error, Operation, Result};

/// How many symbolic links [`resolve`] follows before giving up (Linux's own limit).
const MAX_LINKS: usize = 40;

/// The path a store at `path` reads and writes: absolute, its directory canonical, and
/// a symbolic link at the end followed to the file it names (also when that file does
/// not exist yet). Every spelling of one file resolves to the same path, so every
/// handle takes the same lock, and a commit replaces the link's target, keeping the
/// link.
pub(crate) fn resolve(path: &Path) -> Result<PathBuf> {
    let mut current =
        std::path::absolute(path).map_err(|err| Error::io(Operation::ResolvePath, path, err))?;
    for _ in 0..MAX_LINKS {
        let (Some(dir), Some(name)) = (current.parent(), current.file_name()) else {
            return Err(Error::io(
                Operation::ResolvePath,
                path,
                io::Error::new(io::ErrorKind::InvalidInput, "the path does not name a file"),
            ));
        };
        // A directory that does not exist yet keeps its spelling; the first commit
        // reports it.
        let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
        let candidate = dir.join(name);
        match std::fs::symlink_metadata(&candidate) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let target = std::fs::read_link(&candidate)
                    .map_err(|err| Error::io(Operation::ReadLink, &candidate, err))?;
                // A relative target is relative to the link's directory.
                current = normalize(&dir.join(target));
            }
            _ => return Ok(candidate),
        }
    }
    Err(Error::io(
        Operation::ResolvePath,
        path,
        io::Error::other(format!("more than {MAX_LINKS} symbolic links in a row")),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_resolve_to_their_target_even_when_it_does_not_exist() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().canonicalize().unwrap().join("real.sdn");
        std::os::unix::fs::symlink("real.sdn", dir.path().join("link.sdn")).unwrap();
        std::os::unix::fs::symlink("link.sdn", dir.path().join("link2.sdn")).unwrap();
        assert_eq!(resolve(&dir.path().join("link2.sdn")).unwrap(), real);
        std::fs::write(&real, "").unwrap();
        assert_eq!(resolve(&dir.path().join("link.sdn")).unwrap(), real);
        std::os::unix::fs::symlink("loop", dir.path().join("loop")).unwrap();
        assert!(resolve(&dir.path().join("loop")).is_err());
    }
}
