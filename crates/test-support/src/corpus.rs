//! Where the external corpus of real SDN files is, when it is present.
//!
//! The corpus lives outside the repository: tests always run over the fixtures inside
//! their own package, and over the real files as well when they are found. One variable,
//! [`ENV`], names the corpus for every crate's tests; without it the corpus is
//! `shared/corpus/sdn/real` in a directory above the package.

use std::path::{Path, PathBuf};

/// The environment variable that names the corpus directory.
pub const ENV: &str = "SDN_CORPUS_DIR";

/// Where the corpus sits relative to an ancestor of the package when [`ENV`] is unset.
pub const BESIDE_REPOSITORY: &str = "shared/corpus/sdn/real";

/// The corpus directory, if present: [`ENV`] when set, else [`BESIDE_REPOSITORY`] in the
/// nearest ancestor of `manifest_dir` (pass `env!("CARGO_MANIFEST_DIR")`) that has it.
///
/// # Panics
///
/// When [`ENV`] is set but does not name a directory: a mistyped path must not turn the
/// corpus checks into silent no-ops.
pub fn external(manifest_dir: impl AsRef<Path>) -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os(ENV) {
        let dir = PathBuf::from(dir);
        assert!(dir.is_dir(), "{ENV}={} is not a directory", dir.display());
        return Some(dir);
    }
    manifest_dir
        .as_ref()
        .ancestors()
        .map(|dir| dir.join(BESIDE_REPOSITORY))
        .find(|dir| dir.is_dir())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_corpus_in_an_ancestor_directory() {
        if std::env::var_os(ENV).is_some() {
            return; // The variable wins; covered by its own branch.
        }
        let root = tempfile::tempdir().unwrap();
        let corpus = root.path().join(BESIDE_REPOSITORY);
        std::fs::create_dir_all(&corpus).unwrap();
        let package = root.path().join("repo/crates/some-crate");
        std::fs::create_dir_all(&package).unwrap();
        assert_eq!(external(&package), Some(corpus));
        let elsewhere = tempfile::tempdir().unwrap();
        assert_eq!(external(elsewhere.path()), None);
    }
}
