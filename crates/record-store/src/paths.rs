//! How files are named: a store's path is resolved once (symlinks followed, directory
//! canonical), and the commit journal names files relative to where it lies.

use std::ffi::OsString;
use std::io;
use std::path::{Component, Path, PathBuf};

use crate::error::{Error, Result};

/// How many symbolic links [`resolve`] follows before giving up (Linux's own limit).
const MAX_LINKS: usize = 40;

/// The path a store at `path` reads and writes: absolute, its directory canonical, and
/// a symbolic link at the end followed to the file it names (also when that file does
/// not exist yet). Every spelling of one file resolves to the same path, so every
/// handle takes the same lock, and a commit replaces the link's target, keeping the
/// link.
pub(crate) fn resolve(path: &Path) -> Result<PathBuf> {
    let mut current = std::path::absolute(path).map_err(|err| Error::io("resolve", path, err))?;
    for _ in 0..MAX_LINKS {
        let (Some(dir), Some(name)) = (current.parent(), current.file_name()) else {
            return Err(Error::io(
                "open store at",
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
                    .map_err(|err| Error::io("read symbolic link", &candidate, err))?;
                // A relative target is relative to the link's directory.
                current = normalize(&dir.join(target));
            }
            _ => return Ok(candidate),
        }
    }
    Err(Error::io(
        "resolve",
        path,
        io::Error::other(format!("more than {MAX_LINKS} symbolic links in a row")),
    ))
}

/// `path` with `.` removed and each `..` dropping the component before it, without
/// asking the file system (the callers' paths have canonical directories, which hold no
/// symbolic links, so this is what the kernel would resolve).
pub(crate) fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push(component);
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// The path that leads from directory `dir` to `target` (both absolute and normalized):
/// `b.sdn` for a file in `dir`, `../other/b.sdn` for one beside it.
pub(crate) fn relative(dir: &Path, target: &Path) -> PathBuf {
    let dir: Vec<Component<'_>> = dir.components().collect();
    let to: Vec<Component<'_>> = target.components().collect();
    let common = dir.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut out = PathBuf::new();
    for _ in common..dir.len() {
        out.push("..");
    }
    for component in &to[common..] {
        out.push(component);
    }
    out
}

/// `path`'s directory (`.` for a bare file name).
pub(crate) fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

/// `path` with `suffix` appended to its file name.
pub(crate) fn side_path(path: &Path, suffix: &str) -> PathBuf {
    let mut name = OsString::from(path.as_os_str());
    name.push(suffix);
    PathBuf::from(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_lead_back_to_the_target() {
        for (dir, target, expected) in [
            ("/x/y", "/x/y/b.sdn", "b.sdn"),
            ("/x/y", "/x/z/b.sdn", "../z/b.sdn"),
            ("/x/y/deep", "/x/b.sdn", "../../b.sdn"),
            ("/", "/b.sdn", "b.sdn"),
        ] {
            let rel = relative(Path::new(dir), Path::new(target));
            assert_eq!(rel, Path::new(expected));
            assert_eq!(normalize(&Path::new(dir).join(&rel)), Path::new(target));
        }
    }

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
