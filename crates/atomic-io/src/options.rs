//! The builder that configures a replacement: how durable it is ([`Durability`], checked by
//! the commit protocol), what happens to symbolic links ([`Symlinks`], resolved with the
//! target) and which kind of temporary file is used ([`TempStrategy`]).

use std::path::Path;

use crate::commit::{self, Committed, Durability};
use crate::target::{self, Symlinks};
use crate::temp::{self, TempStrategy};
use crate::{Error, Writer};

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
