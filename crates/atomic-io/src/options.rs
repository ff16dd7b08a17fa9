//! How a replacement is done: durability, symbolic links and the kind of temporary file.

use std::path::Path;

use crate::{Committed, Error, Writer, commit, target, temp};

/// How hard a replacement works to survive a power loss.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Durability {
    /// Flush the temporary file, rename it over the target, flush the directory. Once the
    /// call returns, the new content survives a power loss. Any failed flush is an error.
    #[default]
    Durable,
    /// Like [`Durable`](Durability::Durable), but a failed directory flush (some network
    /// or FUSE filesystems refuse to sync directories) is reported in
    /// [`Committed::dir_flushed`] instead of failing the call. The file's content is still
    /// flushed before the rename, so after a power loss the target holds the complete old
    /// or the complete new content, but not necessarily the new one.
    BestEffortDirFlush,
    /// No flushes: the replacement is atomic for other processes and survives a process
    /// crash, but after a power loss the target may hold the old content or, on some
    /// filesystems, be empty.
    AtomicOnly,
}

/// What a replacement does about a failed or skipped directory flush.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DirFlush {
    Required,
    BestEffort,
    Skip,
}

impl Durability {
    pub(crate) fn flushes_file(self) -> bool {
        match self {
            Durability::Durable | Durability::BestEffortDirFlush => true,
            Durability::AtomicOnly => false,
        }
    }

    pub(crate) fn dir_flush(self) -> DirFlush {
        match self {
            Durability::Durable => DirFlush::Required,
            Durability::BestEffortDirFlush => DirFlush::BestEffort,
            Durability::AtomicOnly => DirFlush::Skip,
        }
    }
}

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

/// Which kind of temporary file holds the new content until it is committed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TempStrategy {
    /// On Linux, an anonymous `O_TMPFILE` file that gets a name only just before the
    /// rename, so a crash before commit leaves nothing behind; falls back to
    /// [`Named`](TempStrategy::Named) when the filesystem refuses `O_TMPFILE`. On other
    /// systems, the same as `Named`.
    #[default]
    Auto,
    /// Always an exclusively created file with the recognisable temporary name (see
    /// [`is_temp_name`](crate::is_temp_name)), locked by its writer. A crash leaves it
    /// behind for [`cleanup_stale`](crate::cleanup_stale). Useful where `O_TMPFILE`
    /// misbehaves (some FUSE or network filesystems) and when a temporary file should be
    /// visible while it is written.
    Named,
}

/// A configured way to replace files; the free function [`write()`](crate::write()) uses the
/// defaults (durable, follow symbolic links to the file they point to, automatic temporary
/// file).
///
/// ```
/// use atomic_io::{Durability, Options, Symlinks};
///
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("settings.sdn");
/// let committed = Options::new()
///     .durability(Durability::BestEffortDirFlush)
///     .symlinks(Symlinks::Replace)
///     .write(&path, "theme: dark\n")?;
/// assert_eq!(committed.path, path);
/// assert_eq!(std::fs::read_to_string(&path)?, "theme: dark\n");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct Options {
    durability: Durability,
    symlinks: Symlinks,
    temp_strategy: TempStrategy,
}

impl Options {
    /// The defaults: [`Durability::Durable`], [`Symlinks::Follow`], [`TempStrategy::Auto`].
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets how hard the replacement works to survive a power loss.
    pub fn durability(mut self, durability: Durability) -> Self {
        self.durability = durability;
        self
    }

    /// Sets what happens when the target is a symbolic link.
    pub fn symlinks(mut self, symlinks: Symlinks) -> Self {
        self.symlinks = symlinks;
        self
    }

    /// Sets which kind of temporary file is used.
    pub fn temp_strategy(mut self, temp_strategy: TempStrategy) -> Self {
        self.temp_strategy = temp_strategy;
        self
    }

    /// The configured durability.
    pub fn get_durability(&self) -> Durability {
        self.durability
    }

    /// The configured symbolic-link handling.
    pub fn get_symlinks(&self) -> Symlinks {
        self.symlinks
    }

    /// The configured temporary-file strategy.
    pub fn get_temp_strategy(&self) -> TempStrategy {
        self.temp_strategy
    }

    /// Replaces the file at `path` with `contents`, atomically and (by default) durably.
    ///
    /// On error the target is unchanged unless [`Error::target_changed`] says otherwise,
    /// and no temporary file is left behind.
    pub fn write(
        &self,
        path: impl AsRef<Path>,
        contents: impl AsRef<[u8]>,
    ) -> Result<Committed, Error> {
        let mut pending = self.start(path.as_ref())?;
        pending.write_all(contents.as_ref())?;
        commit::finish(pending, self.durability)
    }

    /// Starts a streaming replacement of the file at `path`: write into the returned
    /// [`Writer`] and call [`Writer::commit`]. Dropping the writer without committing
    /// removes the temporary file and leaves the target untouched.
    pub fn open(&self, path: impl AsRef<Path>) -> Result<Writer, Error> {
        let pending = self.start(path.as_ref())?;
        Ok(Writer::new(pending, self.durability))
    }

    pub(crate) fn start(&self, path: &Path) -> Result<temp::Pending, Error> {
        let target = target::resolve(path, self.symlinks)?;
        temp::Pending::create(target, self.temp_strategy)
    }
}
