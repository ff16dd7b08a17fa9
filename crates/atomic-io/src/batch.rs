//! Replacing many files with one directory flush per distinct directory.

use std::path::PathBuf;

use crate::commit::{self, DirFlushOutcome};
use crate::temp::Pending;
use crate::{Committed, Durability, Error, Options};

/// Several replacements committed together, sharing directory flushes.
///
/// [`commit`](Batch::commit) writes and flushes every temporary file first, then renames
/// each over its target in the order they were added, then flushes each distinct
/// directory once. For `n` files in one directory that is `n + 1` flushes instead of
/// `2n`.
///
/// **A batch is not atomic across files.** Each file is individually replaced whole
/// (complete old or complete new content), but a crash during the renames can leave some
/// files new and others old. Making several files change together is the job of a
/// commit [`journal`](crate::journal). If a rename fails the
/// batch stops: [`Error::Batch`] lists the files already replaced, and the rest are
/// unchanged with their temporary files removed.
///
/// A batch holds one open file per entry while it commits, and keeps the contents in
/// memory from [`add`](Batch::add) until [`commit`](Batch::commit). Adding the same
/// path twice replaces it twice, in order: the later content wins.
///
/// ```
/// use atomic_io::{Batch, Options};
///
/// let dir = tempfile::tempdir()?;
/// let mut batch = Batch::new(Options::new());
/// batch.add(dir.path().join("todo.sdn"), "todo: []\n");
/// batch.add(dir.path().join("tasks.sdn"), "tasks: []\n");
/// let committed = batch.commit()?;
/// assert_eq!(committed.len(), 2);
/// assert!(committed.iter().all(|c| c.dir_flushed));
/// assert_eq!(std::fs::read_to_string(dir.path().join("tasks.sdn"))?, "tasks: []\n");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Batch {
    options: Options,
    entries: Vec<(PathBuf, Vec<u8>)>,
}

impl Batch {
    /// An empty batch whose files are replaced with `options`.
    pub fn new(options: Options) -> Self {
        Batch {
            options,
            entries: Vec::new(),
        }
    }

    /// Queues `contents` to replace the file at `path`. Nothing touches the disk before
    /// [`commit`](Batch::commit).
    pub fn add(&mut self, path: impl Into<PathBuf>, contents: impl Into<Vec<u8>>) -> &mut Self {
        self.entries.push((path.into(), contents.into()));
        self
    }

    /// The number of queued files.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Replaces every queued file; the results are in the order the files were added.
    ///
    /// Before any rename, a failure leaves every target unchanged and removes every
    /// temporary file. See [`Batch`] for what a failure during the renames leaves.
    pub fn commit(self) -> Result<Vec<Committed>, Error> {
        let durability = self.options.get_durability();
        let mut pending = Vec::with_capacity(self.entries.len());
        for (path, contents) in &self.entries {
            let mut file = self.options.start(path)?;
            file.write_all(contents)?;
            commit::prepare(&file, durability)?;
            pending.push(file);
        }

        let mut replaced: Vec<PathBuf> = Vec::with_capacity(pending.len());
        for file in &mut pending {
            if let Err(failed) = commit::publish(file) {
                return Err(Error::Batch {
                    failed: Box::new(failed),
                    replaced,
                });
            }
            replaced.push(file.target.path.clone());
        }

        let outcomes = flush_distinct_dirs(&pending, durability);
        let mut committed = Vec::with_capacity(pending.len());
        for (file, outcome) in pending.iter().zip(outcomes) {
            match commit::committed(&file.target, outcome) {
                Ok(done) => committed.push(done),
                Err(failed) => {
                    return Err(Error::Batch {
                        failed: Box::new(failed),
                        replaced,
                    });
                }
            }
        }
        Ok(committed)
    }
}

/// Flushes each distinct directory once (directories are compared by device and inode,
/// so two spellings of one directory share a flush) and gives every file its
/// directory's outcome.
fn flush_distinct_dirs(pending: &[Pending], durability: Durability) -> Vec<DirFlushOutcome> {
    let mut flushed: Vec<(_, DirFlushOutcome)> = Vec::new();
    let mut outcomes = Vec::with_capacity(pending.len());
    for file in pending {
        let Ok(stat) = rustix::fs::fstat(&file.target.dir) else {
            // Without an identity the directory gets a flush of its own.
            outcomes.push(commit::flush_dir(&file.target, durability));
            continue;
        };
        let key = (stat.st_dev, stat.st_ino);
        let outcome = match flushed.iter().find(|(done, _)| *done == key) {
            Some((_, outcome)) => outcome.duplicate(),
            None => {
                let outcome = commit::flush_dir(&file.target, durability);
                flushed.push((key, outcome.duplicate()));
                outcome
            }
        };
        outcomes.push(outcome);
    }
    outcomes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_directory_flush_per_distinct_directory() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir(root.path().join("a")).unwrap();
        std::fs::create_dir(root.path().join("b")).unwrap();
        let mut batch = Batch::new(Options::new());
        for name in ["1", "2", "3"] {
            batch.add(root.path().join("a").join(name), name);
        }
        // A second spelling of directory `a` must share its flush.
        batch.add(root.path().join("b/../a/4"), "4");
        batch.add(root.path().join("b/5"), "5");
        crate::sys::test_hooks::DIR.with(|flushes| flushes.reset());
        crate::sys::test_hooks::FILE.with(|flushes| flushes.reset());
        let committed = batch.commit().unwrap();
        assert_eq!(crate::sys::test_hooks::DIR.with(|f| f.count.get()), 2);
        assert_eq!(crate::sys::test_hooks::FILE.with(|f| f.count.get()), 5);
        assert_eq!(committed.len(), 5);
        assert!(committed.iter().all(|c| c.dir_flushed));
        assert_eq!(std::fs::read(root.path().join("a/4")).unwrap(), b"4");
        assert_eq!(std::fs::read(root.path().join("b/5")).unwrap(), b"5");
    }

    #[test]
    fn failed_rename_stops_the_batch_and_reports_replaced_files() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir(root.path().join("dir")).unwrap();
        std::fs::create_dir(root.path().join("dir/occupied")).unwrap();
        std::fs::write(root.path().join("dir/c"), "old c").unwrap();
        let mut batch = Batch::new(Options::new());
        batch.add(root.path().join("dir/a"), "new a");
        // Renaming a file over a non-empty directory fails.
        std::fs::write(root.path().join("dir/occupied/x"), "x").unwrap();
        batch.add(root.path().join("dir/occupied"), "new b");
        batch.add(root.path().join("dir/c"), "new c");
        let error = batch.commit().unwrap_err();
        let Error::Batch { replaced, failed } = &error else {
            panic!("expected a batch error, got {error}");
        };
        assert_eq!(replaced, &vec![root.path().join("dir/a")]);
        assert_eq!(failed.path(), root.path().join("dir/occupied"));
        assert!(error.target_changed());
        assert_eq!(std::fs::read(root.path().join("dir/a")).unwrap(), b"new a");
        assert_eq!(std::fs::read(root.path().join("dir/c")).unwrap(), b"old c");
        let mut names: Vec<_> = std::fs::read_dir(root.path().join("dir"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        names.sort();
        assert_eq!(names, ["a", "c", "occupied"]);
    }
}
