//! The blocking API: [`AsyncRemote`] driven by a small runtime this crate owns.

use std::fmt;
use std::future::Future;
use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use object_store::ObjectStore;
use tokio::runtime::Runtime;

use super::{AsyncRemote, ChunkConsumer, Fetched, ObjectInfo, ObjectVersion};
use crate::error::Error;
use crate::key::{Key, Prefix};

/// The blocking remote API: the same operations as [`AsyncRemote`], each waiting for its
/// result. Owns a small tokio runtime (shared by clones).
///
/// Calling it from inside an async runtime returns [`Error::InsideAsyncRuntime`] instead
/// of blocking that runtime's thread; async code uses [`Remote::as_async`].
#[derive(Clone)]
pub struct Remote {
    remote: AsyncRemote,
    runtime: Arc<Runtime>,
}

impl fmt::Debug for Remote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Remote").field(&self.remote).finish()
    }
}

/// Worker threads of a remote's runtime. They drive the HTTP connections while callers
/// block: with a single-threaded runtime, every connection only moved while some caller
/// held the runtime, so parallel transfers from several threads queued behind one.
const RUNTIME_THREADS: usize = 2;

impl Remote {
    /// Wraps an async remote with a runtime of its own.
    pub fn new(remote: AsyncRemote) -> Result<Remote, Error> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(RUNTIME_THREADS)
            .thread_name("cloud-sync-remote")
            .enable_all()
            .build()
            .map_err(|source| Error::Runtime { source })?;
        Ok(Remote {
            remote,
            runtime: Arc::new(runtime),
        })
    }

    /// A fresh in-memory store, for tests and examples.
    pub fn in_memory(prefix: Prefix) -> Result<Remote, Error> {
        Remote::new(AsyncRemote::in_memory(prefix))
    }

    /// A local-directory remote rooted at `root`.
    pub fn local_dir(root: impl AsRef<Path>, prefix: Prefix) -> Result<Remote, Error> {
        Remote::new(AsyncRemote::local_dir(root, prefix)?)
    }

    /// Any `object_store` backend (`description` must not contain secrets).
    ///
    /// Give each `Remote` a store of its own (clones of one `Remote` share it safely): an
    /// HTTP client's pooled connections are driven by the runtime that opened them, and
    /// this remote's runtime only runs while one of its calls is in progress, so a
    /// connection opened by another `Remote` can stall a request of this one.
    pub fn from_store(
        store: Arc<dyn ObjectStore>,
        prefix: Prefix,
        description: impl Into<String>,
    ) -> Result<Remote, Error> {
        Remote::new(AsyncRemote::from_store(store, prefix, description))
    }

    /// An S3 or S3-compatible bucket.
    #[cfg(feature = "s3")]
    pub fn s3(config: &super::S3Config, prefix: Prefix) -> Result<Remote, Error> {
        Remote::new(AsyncRemote::s3(config, prefix)?)
    }

    /// The same remote with every request bounded by `timeout` (see
    /// [`AsyncRemote::with_request_timeout`]); shares the runtime.
    ///
    /// ```
    /// use std::time::Duration;
    /// let remote = cloud_sync::Remote::in_memory(cloud_sync::Prefix::new("p")?)?
    ///     .with_request_timeout(Duration::from_secs(30));
    /// assert_eq!(remote.as_async().request_timeout(), Some(Duration::from_secs(30)));
    /// # Ok::<(), cloud_sync::Error>(())
    /// ```
    pub fn with_request_timeout(&self, timeout: std::time::Duration) -> Remote {
        Remote {
            remote: self.remote.with_request_timeout(timeout),
            runtime: Arc::clone(&self.runtime),
        }
    }

    /// The async API of the same remote (shares backend and request counter).
    pub fn as_async(&self) -> &AsyncRemote {
        &self.remote
    }

    /// The prefix every key is relative to.
    pub fn prefix(&self) -> &Prefix {
        self.remote.prefix()
    }

    /// A description of the backend, safe to print (no secrets).
    pub fn description(&self) -> &str {
        self.remote.description()
    }

    /// How many requests have been sent to the backend.
    pub fn request_count(&self) -> u64 {
        self.remote.request_count()
    }

    /// The full key of `key`.
    pub fn full_key(&self, key: &Key) -> String {
        self.remote.full_key(key)
    }

    /// Runs `work` on this remote's runtime (refused inside an async runtime).
    pub(crate) fn block<T>(
        &self,
        work: impl Future<Output = Result<T, Error>>,
    ) -> Result<T, Error> {
        if tokio::runtime::Handle::try_current().is_ok() {
            return Err(Error::InsideAsyncRuntime);
        }
        self.runtime.block_on(work)
    }

    /// See [`AsyncRemote::get`].
    pub fn get(&self, key: &Key, max_size: u64) -> Result<Fetched, Error> {
        self.block(self.remote.get(key, max_size))
    }

    /// See [`AsyncRemote::get_chunks`].
    pub fn get_chunks(
        &self,
        key: &Key,
        max_size: u64,
        consume: &mut ChunkConsumer<'_>,
    ) -> Result<ObjectVersion, Error> {
        self.block(self.remote.get_chunks(key, max_size, consume))
    }

    /// See [`AsyncRemote::head`].
    pub fn head(&self, key: &Key) -> Result<Option<ObjectInfo>, Error> {
        self.block(self.remote.head(key))
    }

    /// See [`AsyncRemote::put_create`].
    pub fn put_create(&self, key: &Key, bytes: impl Into<Bytes>) -> Result<ObjectVersion, Error> {
        self.block(self.remote.put_create(key, bytes.into()))
    }

    /// See [`AsyncRemote::put_if_match`].
    pub fn put_if_match(
        &self,
        key: &Key,
        bytes: impl Into<Bytes>,
        expected: &ObjectVersion,
    ) -> Result<ObjectVersion, Error> {
        self.block(self.remote.put_if_match(key, bytes.into(), expected))
    }

    /// See [`AsyncRemote::put_overwrite`].
    pub fn put_overwrite(
        &self,
        key: &Key,
        bytes: impl Into<Bytes>,
    ) -> Result<ObjectVersion, Error> {
        self.block(self.remote.put_overwrite(key, bytes.into()))
    }

    /// See [`AsyncRemote::list`].
    pub fn list(&self, under: Option<&Key>) -> Result<Vec<ObjectInfo>, Error> {
        self.block(self.remote.list(under))
    }

    /// See [`AsyncRemote::delete`].
    pub fn delete(&self, key: &Key) -> Result<(), Error> {
        self.block(self.remote.delete(key))
    }
}
