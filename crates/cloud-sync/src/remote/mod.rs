//! One remote abstraction over object storage and local directories.
//!
//! [`AsyncRemote`] is the async API; [`Remote`] wraps it with a small runtime of its own
//! for blocking callers. Both expose the same six operations, with the same typed
//! outcomes on every backend:
//!
//! | operation | refused with |
//! |---|---|
//! | [`get`](AsyncRemote::get) (size-bounded) | [`Error::NotFound`], [`Error::TooLarge`] |
//! | [`put_create`](AsyncRemote::put_create) | [`Error::AlreadyExists`] |
//! | [`put_if_match`](AsyncRemote::put_if_match) | [`Error::Precondition`] |
//! | [`head`](AsyncRemote::head) | — (`None` when absent) |
//! | [`list`](AsyncRemote::list) | — |
//! | [`delete`](AsyncRemote::delete) | — (absent is fine) |
//!
//! Whether a server *enforces* the conditions is another matter: some accept the headers
//! and ignore them. [`doctor`](crate::doctor) measures it, and the manifest protocol reads
//! every head it writes back (see [`manifest`](crate::manifest)).

mod blocking;
pub(crate) mod object;
mod store;

#[cfg(feature = "s3")]
mod s3;

use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use object_store::ObjectStore;

use crate::error::{Error, Operation};
use crate::key::{Key, Prefix};
use crate::local_dir::LocalDir;

pub use blocking::Remote;
use object::PutKind;
pub use object::{Fetched, ObjectInfo, ObjectVersion};
#[cfg(feature = "s3")]
pub use s3::{S3Config, Secret};

/// What [`AsyncRemote::get_chunks`] hands each chunk of a body to, with the size the
/// server announced (for a first allocation); an error stops the download.
pub type ChunkConsumer<'a> = dyn FnMut(usize, &[u8]) -> Result<(), Error> + Send + 'a;

#[derive(Clone)]
pub(crate) enum Backend {
    Store(Arc<dyn ObjectStore>),
    Dir(Arc<LocalDir>),
}

struct Inner {
    backend: Backend,
    prefix: Prefix,
    description: String,
    requests: AtomicU64,
    timeout: Option<Duration>,
}

/// The async remote API. Cheap to clone (clones share the backend and request counter).
#[derive(Clone)]
pub struct AsyncRemote {
    inner: Arc<Inner>,
}

impl fmt::Debug for AsyncRemote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncRemote")
            .field("remote", &self.inner.description)
            .field("prefix", &self.inner.prefix.as_str())
            .finish()
    }
}

impl AsyncRemote {
    fn with_backend(backend: Backend, prefix: Prefix, description: String) -> AsyncRemote {
        AsyncRemote {
            inner: Arc::new(Inner {
                backend,
                prefix,
                description,
                requests: AtomicU64::new(0),
                timeout: None,
            }),
        }
    }

    /// The same remote with every request bounded by `timeout`: a request still
    /// unanswered then is abandoned with [`Error::Timeout`] (the server may have applied
    /// it; every write cloud-sync makes is create-only, conditional or idempotent, so the
    /// next sync finishes the job). Applies to every backend, on top of an S3 client's
    /// own per-attempt timeout ([`S3Config`]`::timeout`). Needs a tokio runtime with the
    /// time driver (the blocking [`Remote`] has one). The request counter starts again
    /// from zero.
    pub fn with_request_timeout(&self, timeout: Duration) -> AsyncRemote {
        AsyncRemote {
            inner: Arc::new(Inner {
                backend: self.inner.backend.clone(),
                prefix: self.inner.prefix.clone(),
                description: self.inner.description.clone(),
                requests: AtomicU64::new(0),
                timeout: Some(timeout),
            }),
        }
    }

    /// The request timeout, if one is set.
    pub fn request_timeout(&self) -> Option<Duration> {
        self.inner.timeout
    }

    /// Sends one request for the object (or listing) `full`: counted, run by the backend
    /// (a local directory's file I/O on a blocking thread) and bounded by the request
    /// timeout.
    async fn request<T, F>(
        &self,
        operation: Operation,
        full: String,
        on_store: impl FnOnce(Arc<dyn ObjectStore>, String) -> F,
        on_dir: impl FnOnce(&LocalDir, &str) -> Result<T, Error> + Send + 'static,
    ) -> Result<T, Error>
    where
        T: Send + 'static,
        F: Future<Output = Result<T, Error>>,
    {
        self.count();
        let request = async {
            match &self.inner.backend {
                Backend::Store(s) => on_store(Arc::clone(s), full.clone()).await,
                Backend::Dir(d) => {
                    let d = Arc::clone(d);
                    run_blocking(operation, full.clone(), move |full| on_dir(&d, &full)).await
                }
            }
        };
        self.bounded(operation, &full, request).await
    }

    /// Runs one request under the request timeout.
    async fn bounded<T>(
        &self,
        operation: Operation,
        full: &str,
        request: impl Future<Output = Result<T, Error>>,
    ) -> Result<T, Error> {
        let Some(after) = self.inner.timeout else {
            return request.await;
        };
        tokio::time::timeout(after, request)
            .await
            .unwrap_or_else(|_| {
                Err(Error::Timeout {
                    operation,
                    key: full.to_owned(),
                    after,
                })
            })
    }

    /// A fresh in-memory store (object_store's `InMemory`): for tests and examples.
    pub fn in_memory(prefix: Prefix) -> AsyncRemote {
        AsyncRemote::from_store(
            Arc::new(object_store::memory::InMemory::new()),
            prefix,
            "in-memory store",
        )
    }

    /// Any `object_store` backend. `description` names it in [`Debug`] output and must
    /// not contain secrets.
    pub fn from_store(
        store: Arc<dyn ObjectStore>,
        prefix: Prefix,
        description: impl Into<String>,
    ) -> AsyncRemote {
        AsyncRemote::with_backend(Backend::Store(store), prefix, description.into())
    }

    /// A local-directory remote rooted at `root` (created if missing): a folder or a
    /// network share, no account needed. See [`local_dir`](crate::local_dir) for how it
    /// gives compare-and-swap.
    pub fn local_dir(root: impl AsRef<Path>, prefix: Prefix) -> Result<AsyncRemote, Error> {
        let dir = LocalDir::open(root.as_ref())?;
        let description = format!("local directory {}", root.as_ref().display());
        Ok(AsyncRemote::with_backend(
            Backend::Dir(Arc::new(dir)),
            prefix,
            description,
        ))
    }

    /// The prefix every key is relative to.
    pub fn prefix(&self) -> &Prefix {
        &self.inner.prefix
    }

    /// A description of the backend, safe to print (no secrets).
    pub fn description(&self) -> &str {
        &self.inner.description
    }

    /// How many requests this remote (and its clones) has sent to the backend.
    pub fn request_count(&self) -> u64 {
        self.inner.requests.load(Ordering::Relaxed)
    }

    fn count(&self) {
        self.inner.requests.fetch_add(1, Ordering::Relaxed);
    }

    /// The full key of `key`, as errors name it.
    pub fn full_key(&self, key: &Key) -> String {
        self.inner.prefix.full(key)
    }

    /// Reads `key`, refusing objects larger than `max_size` bytes before (and while)
    /// downloading them.
    pub async fn get(&self, key: &Key, max_size: u64) -> Result<Fetched, Error> {
        self.request(
            Operation::Get,
            self.full_key(key),
            |s, full| async move { store::get(&s, full, max_size).await },
            move |d, full| d.get(full, max_size),
        )
        .await
    }

    /// Reads `key` like [`get`](AsyncRemote::get), but hands the body to `consume` chunk
    /// by chunk as it arrives (with the announced size, for a first allocation), so the
    /// caller can decompress and hash while the rest is still on the wire. A
    /// local-directory remote hands over the whole object at once.
    pub async fn get_chunks(
        &self,
        key: &Key,
        max_size: u64,
        consume: &mut ChunkConsumer<'_>,
    ) -> Result<ObjectVersion, Error> {
        let Backend::Store(s) = &self.inner.backend else {
            let fetched = self.get(key, max_size).await?;
            consume(fetched.bytes.len(), &fetched.bytes)?;
            return Ok(fetched.version);
        };
        self.count();
        let full = self.full_key(key);
        let request = store::get_chunks(s, &full, max_size, consume);
        self.bounded(Operation::Get, &full, request).await
    }

    /// Reads `key`'s metadata; `None` if it does not exist.
    pub async fn head(&self, key: &Key) -> Result<Option<ObjectInfo>, Error> {
        let meta = self
            .request(
                Operation::Head,
                self.full_key(key),
                |s, full| async move { store::head(&s, full).await },
                |d, full| d.head(full),
            )
            .await?;
        Ok(meta.map(|(size, last_modified, version)| ObjectInfo {
            key: key.clone(),
            size,
            last_modified,
            version,
        }))
    }

    /// Writes `key` only if no object has that key; [`Error::AlreadyExists`] otherwise.
    pub async fn put_create(&self, key: &Key, bytes: Bytes) -> Result<ObjectVersion, Error> {
        self.put(key, bytes, PutKind::Create).await
    }

    /// Replaces `key` only if its current version is `expected`; [`Error::Precondition`]
    /// otherwise (also when the object no longer exists).
    pub async fn put_if_match(
        &self,
        key: &Key,
        bytes: Bytes,
        expected: &ObjectVersion,
    ) -> Result<ObjectVersion, Error> {
        self.put(key, bytes, PutKind::IfMatch(expected.clone()))
            .await
    }

    /// Writes `key` unconditionally (for objects only this device writes, such as its
    /// device record).
    pub async fn put_overwrite(&self, key: &Key, bytes: Bytes) -> Result<ObjectVersion, Error> {
        self.put(key, bytes, PutKind::Overwrite).await
    }

    async fn put(&self, key: &Key, bytes: Bytes, kind: PutKind) -> Result<ObjectVersion, Error> {
        // Each backend's closure owns a handle on the payload (a `Bytes` clone shares the
        // buffer); only one of them runs.
        let (dir_bytes, dir_kind) = (bytes.clone(), kind.clone());
        self.request(
            kind.operation(),
            self.full_key(key),
            |s, full| async move { store::put(&s, full, bytes, kind).await },
            move |d, full| d.put(full, &dir_bytes, &dir_kind),
        )
        .await
    }

    /// Every object under `under` (or under the whole prefix), sorted by key. Objects
    /// whose keys are not valid [`Key`]s are skipped: cloud-sync never writes them.
    pub async fn list(&self, under: Option<&Key>) -> Result<Vec<ObjectInfo>, Error> {
        let full = match under {
            Some(key) => self.full_key(key),
            None => self.inner.prefix.as_str().to_owned(),
        };
        let listed = self
            .request(
                Operation::List,
                full,
                |s, full| async move { store::list(&s, full).await },
                |d, full| d.list(full),
            )
            .await?;
        let mut infos: Vec<ObjectInfo> = listed
            .into_iter()
            .filter_map(|(full, size, last_modified, version)| {
                Some(ObjectInfo {
                    key: self.inner.prefix.strip(&full)?,
                    size,
                    last_modified,
                    version,
                })
            })
            .collect();
        infos.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(infos)
    }

    /// Deletes `key`; deleting an absent object succeeds.
    pub async fn delete(&self, key: &Key) -> Result<(), Error> {
        self.request(
            Operation::Delete,
            self.full_key(key),
            |s, full| async move { store::delete(&s, full).await },
            |d, full| d.delete(full),
        )
        .await
    }
}

/// Runs blocking file-system work off the async runtime's worker threads when there is a
/// runtime, inline otherwise.
async fn run_blocking<T: Send + 'static>(
    operation: Operation,
    full: String,
    work: impl FnOnce(String) -> Result<T, Error> + Send + 'static,
) -> Result<T, Error> {
    if tokio::runtime::Handle::try_current().is_err() {
        return work(full);
    }
    let key = full.clone();
    tokio::task::spawn_blocking(move || work(full))
        .await
        .map_err(|_| Error::TaskFailed { operation, key })?
}
