//! [`Store`]: one SDN file, lock-free snapshots and locked transactions.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read};
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::path::{Path, PathBuf};
use std::sync::{OnceLock, Weak};
use std::time::{Duration, Instant, SystemTime};

use file_lock::{FileLock, LockGuard, Mode, Wait};
use sdn_codec::{Document, TextUpdate, Value};

use crate::cache::SnapshotCache;
use crate::error::{Error, Result};
use crate::identity::FileIdentity;
use crate::journal;
use crate::snapshot::{Parts, Snapshot};
use crate::sync::Arc;
use crate::table;
use crate::tx::Transaction;

/// What the cache knows about the file a snapshot was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CacheKey {
    /// `None`: the file did not exist.
    identity: Option<FileIdentity>,
    /// Whether metadata alone proves the file unchanged (see [`crate::identity`]).
    trusted: bool,
}

/// The parts of a cached snapshot that nothing else holds (no reader kept it), or the
/// snapshot back when something does or it kept no document to edit.
fn take_over(cached: Arc<Snapshot>) -> std::result::Result<Parts, Arc<Snapshot>> {
    Arc::try_unwrap(cached)?.into_parts().map_err(Arc::new)
}

/// The version a transaction owns (see [`Store::begin`]): the ticket and key to publish
/// it under when the transaction commits nothing.
struct Taken {
    ticket: crate::cache::Ticket,
    key: CacheKey,
}

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
    cache: std::sync::Arc<Cache>,
}

type Cache = SnapshotCache<CacheKey, Snapshot>;

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

/// Makes `path` absolute without requiring the file to exist: the directory is
/// canonicalised when it exists, so every handle names the file the same way (the
/// commit journal records these names). A path that is a symbolic link resolves to the
/// file it points to: atomic-io writes through links to that file, so the lock (on
/// `<file>.lock`) must be that file's too.
pub(crate) fn absolute_path(path: &Path) -> Result<PathBuf> {
    if let Ok(target) = path.canonicalize() {
        return Ok(target);
    }
    let absolute = std::path::absolute(path).map_err(|err| Error::io("resolve", path, err))?;
    match (absolute.parent(), absolute.file_name()) {
        (Some(dir), Some(name)) => match dir.canonicalize() {
            Ok(dir) => Ok(dir.join(name)),
            Err(_) => Ok(absolute),
        },
        _ => Err(Error::io(
            "open store at",
            path,
            io::Error::new(io::ErrorKind::InvalidInput, "the path does not name a file"),
        )),
    }
}

/// A file as just read.
pub(crate) struct FileRead {
    bytes: Vec<u8>,
    /// Keeps the inode pinned while a snapshot of it is cached.
    file: File,
    identity: FileIdentity,
    read_at: SystemTime,
}

impl FileRead {
    /// The cache key of what was read.
    fn key(&self) -> CacheKey {
        CacheKey {
            identity: Some(self.identity),
            trusted: self.identity.settled_at(self.read_at),
        }
    }

    /// Whether `snapshot`, cached under `key`, is of exactly what was read.
    fn shows(&self, key: &CacheKey, snapshot: &Snapshot) -> bool {
        key.identity == Some(self.identity) && snapshot.bytes() == self.bytes.as_slice()
    }
}

/// The file's current bytes and identity; `None` when it does not exist.
pub(crate) fn read_file(path: &Path) -> Result<Option<FileRead>> {
    let mut file = match File::open(path) {
        Ok(file) => file,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(err) => return Err(Error::io("open", path, err)),
    };
    let meta = file
        .metadata()
        .map_err(|err| Error::io("stat", path, err))?;
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.read_to_end(&mut bytes)
        .map_err(|err| Error::io("read", path, err))?;
    Ok(Some(FileRead {
        bytes,
        file,
        identity: FileIdentity::of(&meta),
        read_at: SystemTime::now(),
    }))
}

/// The identity of the file at `path` now (`None`: it does not exist).
pub(crate) fn current_identity(path: &Path) -> Result<Option<FileIdentity>> {
    match std::fs::metadata(path) {
        Ok(meta) => Ok(Some(FileIdentity::of(&meta))),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(err) => Err(Error::io("stat", path, err)),
    }
}

/// Parses `bytes` as SDN, naming `path` in errors.
pub(crate) fn parse(path: &Path, bytes: &[u8]) -> Result<(String, Value)> {
    let text = String::from_utf8(bytes.to_vec()).map_err(|err| Error::Io {
        operation: "decode UTF-8 of",
        path: path.to_path_buf(),
        source: io::Error::new(io::ErrorKind::InvalidData, err),
    })?;
    let root = sdn_codec::parse(&text).map_err(|err| Error::malformed(path, err))?;
    Ok((text, root))
}

impl Store {
    /// Opens the store in the file at `path`. A missing file is an empty store, created
    /// on the first commit that changes something.
    ///
    /// Opening finishes or discards a multi-file commit that a crash interrupted (see
    /// [`StoreSet`](crate::StoreSet)) and removes temporary files whose writer is gone.
    pub fn open(path: impl AsRef<Path>) -> Result<Store> {
        let path = absolute_path(path.as_ref())?;
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

    fn reconfigure(self, change: impl FnOnce(&mut Inner)) -> Store {
        let mut inner = Inner {
            path: self.inner.path.clone(),
            lock: FileLock::new(&self.inner.path),
            lock_timeout: self.inner.lock_timeout,
            durability: self.inner.durability,
            cache: std::sync::Arc::clone(&self.inner.cache),
        };
        change(&mut inner);
        Store {
            inner: Arc::new(inner),
        }
    }

    /// The file's absolute path.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// A consistent snapshot of the file, without taking any lock.
    ///
    /// The file is only ever replaced whole, so the snapshot is one complete committed
    /// version. It is served from the cache when the file provably did not change (see
    /// [`identity`](crate::identity) for the exact check), else read and parsed again.
    pub fn read(&self) -> Result<Snapshot> {
        let inner = &*self.inner;
        let ticket = inner.cache.ticket();
        let cached = inner.cache.current();
        if let Some((key, snapshot)) = &cached
            && key.trusted
            && current_identity(&inner.path)? == key.identity
        {
            return Ok(Snapshot::clone(snapshot));
        }
        let Some(read) = read_file(&inner.path)? else {
            if let Some((key, snapshot)) = &cached
                && key.identity.is_none()
            {
                return Ok(Snapshot::clone(snapshot));
            }
            let snapshot = Snapshot::new(
                &inner.path,
                Vec::new(),
                Value::Dict(Default::default()),
                None,
            );
            let key = CacheKey {
                identity: None,
                trusted: true,
            };
            inner.cache.publish(ticket, key, Arc::new(snapshot.clone()));
            return Ok(snapshot);
        };
        let key = read.key();
        if let Some((cached_key, snapshot)) = &cached
            && read.shows(cached_key, snapshot)
        {
            if key.trusted && !cached_key.trusted {
                inner.cache.publish(ticket, key, Arc::clone(snapshot));
            }
            return Ok(Snapshot::clone(snapshot));
        }
        let (_, root) = parse(&inner.path, &read.bytes)?;
        let snapshot = Snapshot::new(
            &inner.path,
            read.bytes,
            root,
            Some((read.file, read.identity)),
        );
        inner.cache.publish(ticket, key, Arc::new(snapshot.clone()));
        Ok(snapshot)
    }

    /// Runs `change` as one transaction under the exclusive writer lock and commits
    /// what it changed, atomically and durably.
    ///
    /// The lock is held from reading the file to committing it, so no other writer
    /// (thread or process) can slip an update in between: no lost updates. If `change`
    /// returns an error, nothing is written and the error is returned; if it panics,
    /// nothing is written, the lock is released and the panic continues. A transaction
    /// that changes nothing writes nothing. Only changed rows are rewritten; everything
    /// else in the file stays byte-identical.
    ///
    /// A file that cannot be parsed is never overwritten: the transaction fails with
    /// [`Error::Malformed`] before `change` runs.
    ///
    /// ```
    /// use record_store::{Error, Record, Store};
    /// # #[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
    /// # struct Counter { id: u32, value: u64 }
    /// # impl Record for Counter {
    /// #     const TABLE: &'static str = "counters";
    /// #     type Key = u32;
    /// #     fn key(&self) -> u32 { self.id }
    /// # }
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("counters.sdn");
    /// std::fs::write(&path, "counters |id, value|\n    1, 41\n")?;
    /// let store = Store::open(&path)?;
    ///
    /// // Read, modify and write as one locked transaction: no lost update.
    /// let value = store.update(|tx| {
    ///     let counter = tx.table::<Counter>()?.get_mut(&1).ok_or(Error::aborted("no counter"))?;
    ///     counter.value += 1;
    ///     Ok::<_, Error>(counter.value)
    /// })?;
    /// assert_eq!(value, 42);
    ///
    /// // An error from the closure writes nothing.
    /// let failed: Result<(), Error> = store.update(|tx| {
    ///     tx.table::<Counter>()?.upsert(Counter { id: 1, value: 0 });
    ///     Err(Error::aborted("changed my mind"))
    /// });
    /// assert!(failed.is_err());
    /// assert_eq!(std::fs::read_to_string(&path)?, "counters |id, value|\n    1, 42\n");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn update<R, E>(
        &self,
        change: impl FnOnce(&mut Transaction) -> Result<R, E>,
    ) -> Result<R, E>
    where
        E: From<Error>,
    {
        let guard = self.lock()?;
        let (mut tx, taken) = self.begin(true)?;
        let outcome = catch_unwind(AssertUnwindSafe(|| change(&mut tx)));
        let value = match outcome {
            Ok(Ok(value)) => value,
            Ok(Err(err)) => {
                self.put_back(tx, taken);
                return Err(err);
            }
            Err(panic) => {
                drop(guard);
                resume_unwind(panic)
            }
        };
        // The replaced version is dropped after the lock is released (see `Retired`).
        let (mut stale, mut retired) = (None, None);
        match tx.render_document()? {
            Some(doc) => {
                self.commit_locked(doc.as_str())?;
                stale = self.inner.cache.take();
                if let Some(snapshot) = self.remember_committed_locked(doc) {
                    retired = Some(tx.seed(&snapshot));
                }
            }
            None => self.put_back(tx, taken),
        }
        drop(guard);
        drop((stale, retired));
        Ok(value)
    }

    /// Caches again the snapshot that the owned transaction `tx` took out of the cache
    /// and did not commit a change to (the file is as that snapshot says).
    fn put_back(&self, tx: Transaction, taken: Option<Taken>) {
        if let Some(Taken { ticket, key }) = taken
            && let Some(snapshot) = tx.into_unchanged_snapshot()
        {
            self.inner.cache.publish(ticket, key, Arc::new(snapshot));
        }
    }

    /// Takes the writer lock, first finishing any interrupted multi-file commit.
    pub(crate) fn lock(&self) -> Result<LockGuard> {
        let inner = &*self.inner;
        let deadline = inner.lock_timeout.map(|timeout| Instant::now() + timeout);
        loop {
            let wait = match deadline {
                Some(deadline) => Wait::Until(deadline),
                None => Wait::Forever,
            };
            let guard = inner
                .lock
                .lock(Mode::Exclusive, wait)
                .map_err(|source| Error::Lock {
                    path: inner.path.clone(),
                    source,
                })?;
            if !journal::has_pending(&inner.path) {
                return Ok(guard);
            }
            drop(guard);
            journal::recover(&inner.path)?;
        }
    }

    /// Reads the current file for a transaction; the caller holds the writer lock.
    pub(crate) fn begin_locked(&self) -> Result<Transaction> {
        self.begin(false).map(|(tx, _)| tx)
    }

    /// Reads the current file for a transaction; the caller holds the writer lock.
    ///
    /// With `take`, the transaction owns the version it edits, so it edits the document
    /// and takes the decoded tables without copying them: a cached snapshot that nothing
    /// else holds (no reader kept it) is taken out of the cache and brought up to date
    /// with the file ([`Document::update_text`]), else the file is parsed and not cached.
    /// The commit publishes the new version anyway, and a transaction that commits
    /// nothing publishes the version it read ([`Taken`]). Readers of this process that
    /// look meanwhile read the file themselves, which is what a cache miss costs.
    fn begin(&self, take: bool) -> Result<(Transaction, Option<Taken>)> {
        let inner = &*self.inner;
        let ticket = inner.cache.ticket();
        let Some(read) = read_file(&inner.path)? else {
            let empty =
                Transaction::new(&inner.path, String::new(), Value::Dict(Default::default()));
            return Ok((empty, None));
        };
        let key = read.key();
        // With `take`, a cached version that nothing else holds is taken over whichever
        // version of the file it is: below it is brought up to date with the file,
        // which costs nothing when it matches and reads again only a changed row line
        // when another writer changed one row.
        let mut owned = None;
        if take && let Some((taken_ticket, cached_key, cached)) = inner.cache.take() {
            match take_over(cached) {
                Ok(parts) => owned = Some(parts),
                Err(shared) => {
                    inner
                        .cache
                        .publish(taken_ticket, cached_key, Arc::clone(&shared));
                    if read.shows(&cached_key, &shared) {
                        let tx = Transaction::from_snapshot(&inner.path, Snapshot::clone(&shared));
                        return Ok((tx, None));
                    }
                }
            }
        } else if !take
            && let Some((cached_key, snapshot)) = inner.cache.current()
            && read.shows(&cached_key, &snapshot)
        {
            let tx = Transaction::from_snapshot(&inner.path, Snapshot::clone(&snapshot));
            return Ok((tx, None));
        }
        let FileRead {
            bytes,
            file,
            identity,
            ..
        } = read;
        let text = String::from_utf8(bytes).map_err(|err| Error::Io {
            operation: "decode UTF-8 of",
            path: inner.path.clone(),
            source: io::Error::new(io::ErrorKind::InvalidData, err),
        })?;
        let source = Some((file, identity));
        let (parts, replaced) = match owned {
            Some(Parts {
                mut document,
                source: old_source,
                mut typed,
            }) => {
                let update = document
                    .update_text(&text)
                    .map_err(|err| Error::malformed(&inner.path, err))?;
                match update {
                    TextUpdate::Unchanged => {}
                    TextUpdate::Row { table, row } => {
                        // Record tables are root entries; a nested table is none of them.
                        if let [name] = table.as_slice() {
                            table::refresh_row(
                                &mut typed,
                                &inner.path,
                                document.value(),
                                name,
                                row,
                            );
                        }
                    }
                    _ => typed.clear(),
                }
                let parts = Parts {
                    document,
                    source,
                    typed,
                };
                (parts, old_source.map(|(file, _)| file))
            }
            None => {
                let document =
                    Document::parse(&text).map_err(|err| Error::malformed(&inner.path, err))?;
                if !take {
                    let snapshot = Snapshot::from_document(&inner.path, document, source);
                    inner
                        .cache
                        .publish(ticket, key, Arc::new(Snapshot::clone(&snapshot)));
                    return Ok((Transaction::from_snapshot(&inner.path, snapshot), None));
                }
                let parts = Parts {
                    document,
                    source,
                    typed: HashMap::new(),
                };
                (parts, None)
            }
        };
        // The transaction owns this version: a commit publishes the next one, and a
        // transaction that commits nothing publishes this one.
        let taken = Taken { ticket, key };
        Ok((
            Transaction::owned(&inner.path, parts, replaced),
            Some(taken),
        ))
    }

    /// Replaces the file with `text`; the caller holds the writer lock.
    pub(crate) fn commit_locked(&self, text: &str) -> Result<()> {
        let inner = &*self.inner;
        atomic_io::Options::new()
            .durability(inner.durability)
            .write(&inner.path, text.as_bytes())
            .map_err(|source| Error::Commit {
                path: inner.path.clone(),
                source,
            })?;
        Ok(())
    }

    /// Caches `doc`, just committed, as the file's snapshot, so the next transaction
    /// (or read) need not parse the file again; the caller holds the writer lock.
    ///
    /// The entry is published *untrusted*: every later use compares the file's bytes
    /// with `doc`'s text first (see [`crate::identity`]), so a foreign writer that
    /// replaced the file after our rename is still noticed. Best effort: when the file
    /// cannot be opened, nothing is cached and the next use parses the file.
    fn remember_committed_locked(&self, doc: Document) -> Option<Snapshot> {
        let inner = &*self.inner;
        let ticket = inner.cache.ticket();
        let file = File::open(&inner.path).ok()?;
        let meta = file.metadata().ok()?;
        let identity = FileIdentity::of(&meta);
        let key = CacheKey {
            identity: Some(identity),
            trusted: false,
        };
        let snapshot = Snapshot::from_document(&inner.path, doc, Some((file, identity)));
        inner
            .cache
            .publish(ticket, key, Arc::new(Snapshot::clone(&snapshot)));
        Some(snapshot)
    }
}

// A panic can never leave the cache half-updated (publishing is one assignment under the
// mutex), so a handle stays usable after a caught panic.
impl std::panic::UnwindSafe for Store {}
impl std::panic::RefUnwindSafe for Store {}
