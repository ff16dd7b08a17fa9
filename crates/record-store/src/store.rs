//! [`Store`]: one SDN file, lock-free snapshots and locked transactions.

use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::{OnceLock, Weak};
use std::time::{Duration, Instant};

use file_lock::{FileLock, Wait};

use crate::cache::SnapshotCache;
use crate::changes::ChangeSet;
use crate::error::{Error, Result};
use crate::file_read::{CacheKey, current_identity, pinned_identity, read_file};
use crate::journal;
use crate::position::text_of;
use crate::snapshot::Snapshot;
use crate::sync_prims::Arc;
use crate::tx::Transaction;

/// How long a file another program changed in place must stay unchanged before a
/// transaction reads it (see [`Store::with_settle_time`]).
pub const DEFAULT_SETTLE_TIME: Duration = Duration::from_secs(1);

/// A handle on one SDN file holding one or more tables. Cheap to clone; `Send + Sync`.
///
/// Any number of handles, threads and processes may use the same file at once:
/// [`read`](Store::read) never blocks and never sees a partial write, and
/// [`update`](Store::update) transactions are serialised by an inter-process lock on the
/// sidecar `<file>.lock`.
#[derive(Clone, Debug)]
pub struct Store {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    path: PathBuf,
    lock: FileLock,
    lock_timeout: Option<Duration>,
    durability: atomic_io::Durability,
    settle: Duration,
    cache: std::sync::Arc<Cache>,
    /// Whether this handle (or a clone or reconfiguration of it) has seen the file
    /// exist: from then on a missing file is an error, not an empty store.
    seen: std::sync::Arc<AtomicBool>,
    pre_commit: PreCommitHooks,
}

/// A hook run before every commit (see [`Store::with_pre_commit`]).
pub(crate) type PreCommit =
    std::sync::Arc<dyn Fn(&mut Transaction, &ChangeSet) -> Result<()> + Send + Sync>;

/// The pre-commit hooks of a handle.
#[derive(Clone, Default)]
struct PreCommitHooks(Vec<PreCommit>);

impl std::fmt::Debug for PreCommitHooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} pre-commit hook(s)", self.0.len())
    }
}

pub(crate) type Cache = SnapshotCache<CacheKey, Snapshot>;

/// The snapshot cache of the file at `path`, shared by every handle of this process.
fn shared_cache(path: &Path) -> std::sync::Arc<Cache> {
    type Registry = parking_lot::Mutex<HashMap<PathBuf, Weak<Cache>>>;
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    let mut registry = REGISTRY.get_or_init(Registry::default).lock();
    if let Some(cache) = registry.get(path).and_then(Weak::upgrade) {
        return cache;
    }
    registry.retain(|_, cache| cache.strong_count() > 0);
    let cache = std::sync::Arc::new(Cache::new());
    registry.insert(path.to_path_buf(), std::sync::Arc::downgrade(&cache));
    cache
}

impl Store {
    /// Opens the store in the file at `path`. A missing file is an empty store, created
    /// on the first commit that changes something.
    ///
    /// A symbolic link is followed to the file it names (now, once): every spelling of
    /// one file is one store with one lock, and commits replace the link's target,
    /// keeping the link. Opening finishes or discards a multi-file commit that a crash
    /// interrupted (see [`StoreSet`](crate::StoreSet)) and removes temporary files whose
    /// writer is gone.
    pub fn open(path: impl AsRef<Path>) -> Result<Store> {
        let path = crate::paths::resolve(path.as_ref())?;
        if journal::has_pending(&path) {
            journal::recover(&path)?;
        }
        if let Some(dir) = path.parent()
            && dir.is_dir()
        {
            // Best effort: a directory we may not list must not stop reads.
            let _ = atomic_io::cleanup_stale(dir);
        }
        Ok(Store {
            inner: Arc::new(Inner {
                lock: FileLock::new(&path),
                cache: shared_cache(&path),
                path,
                lock_timeout: None,
                durability: atomic_io::Durability::default(),
                settle: DEFAULT_SETTLE_TIME,
                seen: std::sync::Arc::new(AtomicBool::new(false)),
                pre_commit: PreCommitHooks::default(),
            }),
        })
    }

    /// This handle with a limit on how long [`update`](Store::update) waits for the
    /// writer lock (default: wait as long as it takes). A timeout error names the holder.
    pub fn with_lock_timeout(self, timeout: Duration) -> Store {
        self.reconfigure(|inner| inner.lock_timeout = Some(timeout))
    }

    /// This handle with another durability for commits (default: durable, both the file
    /// and its directory flushed before `update` returns).
    pub fn with_durability(self, durability: atomic_io::Durability) -> Store {
        self.reconfigure(|inner| inner.durability = durability)
    }

    /// This handle with another settle time (default [`DEFAULT_SETTLE_TIME`]): when a
    /// transaction finds that another program is writing the file in place (the file
    /// changes while it is read, or the file this process last saw changed without
    /// being replaced), it waits until the file has stayed unchanged this long before
    /// reading it, and fails with [`Error::ChangedInPlace`] after eight times as long.
    /// This crate's own writers never write in place.
    pub fn with_settle_time(self, settle: Duration) -> Store {
        self.reconfigure(|inner| inner.settle = settle)
    }

    fn reconfigure(self, change: impl FnOnce(&mut Inner)) -> Store {
        let mut inner = Inner {
            path: self.inner.path.clone(),
            lock: FileLock::new(&self.inner.path),
            lock_timeout: self.inner.lock_timeout,
            durability: self.inner.durability,
            settle: self.inner.settle,
            cache: std::sync::Arc::clone(&self.inner.cache),
            seen: std::sync::Arc::clone(&self.inner.seen),
            pre_commit: self.inner.pre_commit.clone(),
        };
        change(&mut inner);
        Store {
            inner: Arc::new(inner),
        }
    }

    /// The file's absolute path (a symbolic link given to [`open`](Store::open) is
    /// resolved to the file it names).
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// A consistent snapshot of the file, without taking any lock.
    ///
    /// The file is only ever replaced whole, so the snapshot is one complete committed
    /// version. It is served from the cache when the file provably did not change (see
    /// [`identity`](crate::identity) for the exact check), else read and parsed again.
    pub fn read(&self) -> Result<Snapshot> {
        self.read_pinned(false).map(|(snapshot, _)| snapshot)
    }

    /// [`read`](Store::read); with `pin`, also the file it shows, held open so that its
    /// inode cannot be given to another file while the caller compares identities.
    pub(crate) fn read_pinned(&self, pin: bool) -> Result<(Snapshot, Option<File>)> {
        let inner = &*self.inner;
        let ticket = inner.cache.ticket();
        let cached = inner.cache.current();
        if let Some((key, snapshot)) = &cached
            && key.trusted
        {
            let now = if pin {
                pinned_identity(&inner.path)?.map(|(file, identity)| (Some(file), identity))
            } else {
                current_identity(&inner.path)?.map(|identity| (None, identity))
            };
            if let Some((file, identity)) = now
                && key.identity == Some(identity)
            {
                self.note_seen();
                return Ok((Snapshot::clone(snapshot), file));
            }
        }
        let expected = cached.as_ref().map(|(_, snapshot)| snapshot.bytes());
        let Some(mut read) = read_file(&inner.path, expected)? else {
            self.check_not_vanished()?;
            if let Some((key, snapshot)) = &cached
                && key.identity.is_none()
            {
                return Ok((Snapshot::clone(snapshot), None));
            }
            // The empty text is the empty document.
            let snapshot = Snapshot::of_checked_text(&inner.path, String::new(), None);
            let key = CacheKey {
                identity: None,
                trusted: true,
            };
            inner.cache.publish(ticket, key, Arc::new(snapshot.clone()));
            return Ok((snapshot, None));
        };
        self.note_seen();
        let key = read.key();
        if let Some((cached_key, snapshot)) = &cached
            && read.shows(cached_key, snapshot)
        {
            if key.trusted && !cached_key.trusted {
                inner.cache.publish(ticket, key, Arc::clone(snapshot));
            }
            return Ok((Snapshot::clone(snapshot), Some(read.file)));
        }
        let bytes = read.take_bytes(expected.unwrap_or_default());
        let text = text_of(&inner.path, bytes)?;
        crate::direct::check_parses(&inner.path, &text)?;
        let snapshot = Snapshot::of_checked_text(&inner.path, text, Some(read.identity));
        inner.cache.publish(ticket, key, Arc::new(snapshot.clone()));
        Ok((snapshot, Some(read.file)))
    }

    /// Remembers that the file existed.
    pub(crate) fn note_seen(&self) {
        self.inner
            .seen
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// [`Error::Vanished`] when this handle had seen the file that is now missing.
    pub(crate) fn check_not_vanished(&self) -> Result<()> {
        if self.inner.seen.load(std::sync::atomic::Ordering::Relaxed) {
            return Err(Error::Vanished {
                path: self.inner.path.clone(),
            });
        }
        Ok(())
    }

    /// This handle with `hook` run before every commit it makes (after the closure of
    /// [`update`](Store::update) or [`StoreSet::update`](crate::StoreSet::update), under
    /// the writer lock, before anything is written), when the transaction changes
    /// something. The hook sees the transaction and its [`ChangeSet`]; it may
    /// **veto** the commit by returning an error (nothing is written and the error is
    /// what the update returns), or **amend** it through the transaction (the change
    /// set is then collected again, and what is written is the amended one). Hooks run in
    /// the order they were added; each sees the changes as the previous left them.
    ///
    /// This is how a layer above this crate stamps or checks every change (a version
    /// counter, a last-modified column) whoever makes it.
    ///
    /// ```
    /// use record_store::{Error, Record, Store};
    /// # #[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
    /// # struct Todo { id: u32, status: String, #[serde(default)] version: u64 }
    /// # impl Record for Todo {
    /// #     const TABLE: &'static str = "todos";
    /// #     type Key = u32;
    /// #     fn key(&self) -> u32 { self.id }
    /// # }
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("todo.sdn");
    /// std::fs::write(&path, "todos |id, status, version|\n    1, open, 1\n")?;
    /// let store = Store::open(&path)?.with_pre_commit(|tx, changes| {
    ///     let Some(todos) = changes.table("todos") else { return Ok(()) };
    ///     // Veto: no status may be emptied.
    ///     if todos.updated.iter().any(|row| row.new.get("status").and_then(|s| s.as_str()) == Some("")) {
    ///         return Err(Error::aborted("empty status"));
    ///     }
    ///     // Amend: stamp every updated row with the next version.
    ///     let keys: Vec<u32> = todos.updated.iter().map(|row| row.key.parse().unwrap()).collect();
    ///     let table = tx.table::<Todo>()?;
    ///     for key in keys {
    ///         table.get_mut(&key).unwrap().version += 1;
    ///     }
    ///     Ok(())
    /// });
    /// store.update(|tx| {
    ///     tx.table::<Todo>()?.get_mut(&1).unwrap().status = "done".into();
    ///     Ok::<_, Error>(())
    /// })?;
    /// assert_eq!(std::fs::read_to_string(&path)?, "todos |id, status, version|\n    1, done, 2\n");
    /// let vetoed = store.update(|tx| {
    ///     tx.table::<Todo>()?.get_mut(&1).unwrap().status = String::new();
    ///     Ok::<_, Error>(())
    /// });
    /// assert!(vetoed.is_err());
    /// assert_eq!(std::fs::read_to_string(&path)?, "todos |id, status, version|\n    1, done, 2\n");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_pre_commit(
        self,
        hook: impl Fn(&mut Transaction, &ChangeSet) -> Result<()> + Send + Sync + 'static,
    ) -> Store {
        self.reconfigure(|inner| inner.pre_commit.0.push(std::sync::Arc::new(hook)))
    }

    /// The pre-commit hooks of this handle, in order.
    pub(crate) fn pre_commit_hooks(&self) -> &[PreCommit] {
        &self.inner.pre_commit.0
    }

    /// The per-file snapshot cache this handle shares with the process.
    pub(crate) fn cache(&self) -> &Cache {
        &self.inner.cache
    }

    /// How durably commits are written.
    pub(crate) fn durability(&self) -> atomic_io::Durability {
        self.inner.durability
    }

    /// How long a file changed in place must stay unchanged before a transaction reads
    /// it.
    pub(crate) fn settle_time(&self) -> Duration {
        self.inner.settle
    }

    /// The handle of this file's lock; it keeps the sidecar open between locks.
    pub(crate) fn file_lock(&self) -> &FileLock {
        &self.inner.lock
    }

    /// How long a transaction waits for the writer lock.
    pub(crate) fn lock_wait(&self) -> Wait {
        match self.inner.lock_timeout {
            Some(timeout) => Wait::Until(Instant::now() + timeout),
            None => Wait::Forever,
        }
    }
}

// A panic can never leave the cache half-updated (publishing is one assignment under the
// mutex), so a handle stays usable after a caught panic.
impl std::panic::UnwindSafe for Store {}
impl std::panic::RefUnwindSafe for Store {}
