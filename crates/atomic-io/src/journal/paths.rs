//! How the journal names files: side files beside their target, and paths stored
//! relative to the file that holds them.

use std::ffi::OsString;
use std::path::{Component, Path, PathBuf};

/// `path` with `.` removed and each `..` dropping the component before it, without
/// asking the file system: the rule by which the journal turns the relative paths it
/// stores back into the paths it compares. For a path whose directories are canonical
/// (no symbolic links) it is what the kernel would resolve, so callers that resolve their
/// targets (following a symbolic link to a relative target, say) can use the same rule.
///
/// ```
/// use std::path::Path;
/// let path = atomic_io::journal::normalize(Path::new("/data/app/../shared/./b.sdn"));
/// assert_eq!(path, Path::new("/data/shared/b.sdn"));
/// ```
pub fn normalize(path: &Path) -> PathBuf {
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
}
