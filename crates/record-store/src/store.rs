//! [`Store`]: one SDN file, lock-free snapshots and locked transactions.

use std::collections::HashMap;
use std::fs::File;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::{OnceLock, Weak};
use std::time::{Duration, Instant};

use file_lock::{FileLock, LockGuard, Mode, Wait};
use sdn_codec::{Document, TextUpdate, Value};

use crate::cache::SnapshotCache;
use crate::error::{Error, Result};
use crate::file_read::{
    CacheKey, FileRead, current_identity, parse, pinned_identity, read_file, read_settled,
};
use crate::identity::FileIdentity;
use crate::journal;
use crate::position::text_of;
use crate::snapshot::{Parts, Snapshot};
use crate::sync_prims::Arc;
use crate::table;
use crate::tx::Transaction;

/// How long a file another program changed in place must stay unchanged before a
/// transaction reads it (see [`Store::with_settle_time`]).
pub const DEFAULT_SETTLE_TIME: Duration = Duration::from_secs(1);

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
    settle: Duration,
    cache: std::sync::Arc<Cache>,
    /// Whether this handle (or a clone or reconfiguration of it) has seen the file
    /// exist: from then on a missing file is an error, not an empty store.
    seen: std::sync::Arc<AtomicBool>,
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
        let Some(read) = read_file(&inner.path)? else {
            self.check_not_vanished()?;
            if let Some((key, snapshot)) = &cached
                && key.identity.is_none()
            {
                return Ok((Snapshot::clone(snapshot), None));
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
        let (text, root) = parse(&inner.path, read.bytes)?;
        let snapshot = Snapshot::new(&inner.path, text.into_bytes(), root, Some(read.identity));
        inner.cache.publish(ticket, key, Arc::new(snapshot.clone()));
        Ok((snapshot, Some(read.file)))
    }

    /// Remembers that the file existed.
    fn note_seen(&self) {
        self.inner
            .seen
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// [`Error::Vanished`] when this handle had seen the file that is now missing.
    fn check_not_vanished(&self) -> Result<()> {
        if self.inner.seen.load(std::sync::atomic::Ordering::Relaxed) {
            return Err(Error::Vanished {
                path: self.inner.path.clone(),
            });
        }
        Ok(())
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
        let known = inner.cache.current().and_then(|(key, _)| key.identity);
        let Some(read) = read_settled(&inner.path, known, inner.settle)? else {
            self.check_not_vanished()?;
            let empty =
                Transaction::new(&inner.path, String::new(), Value::Dict(Default::default()));
            return Ok((empty, None));
        };
        self.note_seen();
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
                        let tx = Transaction::from_snapshot(
                            &inner.path,
                            Snapshot::clone(&shared),
                            Some(read.file),
                        );
                        return Ok((tx, None));
                    }
                }
            }
        } else if !take
            && let Some((cached_key, snapshot)) = inner.cache.current()
            && read.shows(&cached_key, &snapshot)
        {
            let tx = Transaction::from_snapshot(
                &inner.path,
                Snapshot::clone(&snapshot),
                Some(read.file),
            );
            return Ok((tx, None));
        }
        let FileRead {
            bytes,
            file,
            identity,
            ..
        } = read;
        let text = text_of(&inner.path, bytes)?;
        let source = Some(identity);
        let parts = match owned {
            Some(Parts {
                mut document,
                mut typed,
                ..
            }) => {
                let update = document
                    .update_text(&text)
                    .map_err(|err| Error::malformed(&inner.path, err))?;
                match update {
                    TextUpdate::Unchanged => {}
                    TextUpdate::Row { table, row } => {
                        // Record tables are root entries; a nested table is none of them.
                        if let [name] = table.as_slice() {
                            table::refresh_row(&mut typed, document.value(), name, row);
                        }
                    }
                    _ => typed.clear(),
                }
                Parts {
                    document,
                    source,
                    typed,
                }
            }
            None => {
                let document =
                    Document::parse(&text).map_err(|err| Error::malformed(&inner.path, err))?;
                if !take {
                    let snapshot = Snapshot::from_document(&inner.path, document, source);
                    inner
                        .cache
                        .publish(ticket, key, Arc::new(Snapshot::clone(&snapshot)));
                    let tx = Transaction::from_snapshot(&inner.path, snapshot, Some(file));
                    return Ok((tx, None));
                }
                Parts {
                    document,
                    source,
                    typed: HashMap::new(),
                }
            }
        };
        // The transaction owns this version: a commit publishes the next one, and a
        // transaction that commits nothing publishes this one.
        let taken = Taken { ticket, key };
        Ok((
            Transaction::owned(&inner.path, parts, Some(file)),
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
        let identity = FileIdentity::of(&std::fs::metadata(&inner.path).ok()?);
        self.note_seen();
        let key = CacheKey {
            identity: Some(identity),
            trusted: false,
        };
        let snapshot = Snapshot::from_document(&inner.path, doc, Some(identity));
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
