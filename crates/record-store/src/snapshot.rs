//! Consistent, immutable views of a file, shared between readers.

use std::any::{Any, TypeId};
use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use sdn_codec::Value;

use crate::error::Result;
use crate::identity::FileIdentity;
use crate::record::Record;
use crate::table;

/// One complete version of a file, parsed. Cheap to clone (shared); never changes.
///
/// Typed tables are decoded on first use and kept, so repeated reads of the same
/// snapshot cost nothing.
#[derive(Clone)]
pub struct Snapshot {
    inner: Arc<SnapshotInner>,
}

struct SnapshotInner {
    path: PathBuf,
    bytes: Vec<u8>,
    root: Value,
    /// Pins the file's inode while the snapshot lives (see [`crate::identity`]), and
    /// the identity it had when read; `None` for a missing file.
    source: Option<(File, FileIdentity)>,
    typed: parking_lot::Mutex<HashMap<TypeId, Arc<dyn Any + Send + Sync>>>,
}

impl std::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Snapshot")
            .field("path", &self.inner.path)
            .field("bytes", &self.inner.bytes.len())
            .finish_non_exhaustive()
    }
}

impl Snapshot {
    pub(crate) fn new(
        path: &Path,
        bytes: Vec<u8>,
        root: Value,
        source: Option<(File, FileIdentity)>,
    ) -> Self {
        Snapshot {
            inner: Arc::new(SnapshotInner {
                path: path.to_path_buf(),
                bytes,
                root,
                source,
                typed: parking_lot::Mutex::new(HashMap::new()),
            }),
        }
    }

    /// The identity of the file when this snapshot was read (`None`: it did not exist).
    pub(crate) fn identity(&self) -> Option<FileIdentity> {
        self.inner.source.as_ref().map(|(_, identity)| *identity)
    }

    /// The file this snapshot was read from.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// The file's bytes (empty for a missing file).
    pub fn bytes(&self) -> &[u8] {
        &self.inner.bytes
    }

    /// The whole document, untyped.
    pub fn document(&self) -> &Value {
        &self.inner.root
    }

    /// Whether two snapshots are the same parsed version (not merely equal content).
    pub fn ptr_eq(&self, other: &Snapshot) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    /// The table of record type `T` (empty when the file has no such table).
    pub fn table<T: Record>(&self) -> Result<Records<T>> {
        let type_id = TypeId::of::<T>();
        if let Some(cached) = self.inner.typed.lock().get(&type_id)
            && let Ok(records) = Arc::clone(cached).downcast::<BTreeMap<T::Key, T>>()
        {
            return Ok(Records { records });
        }
        let decoded = table::decode::<T>(&self.inner.path, &self.inner.root)?;
        let records = Arc::new(decoded.records);
        self.inner
            .typed
            .lock()
            .insert(type_id, Arc::clone(&records) as Arc<dyn Any + Send + Sync>);
        Ok(Records { records })
    }

    /// The record of type `T` with `key`.
    pub fn get<T: Record>(&self, key: &T::Key) -> Result<Option<T>> {
        Ok(self.table::<T>()?.get(key).cloned())
    }
}

/// The records of one table in a [`Snapshot`], in key order. Cheap to clone.
#[derive(Debug)]
pub struct Records<T: Record> {
    records: Arc<BTreeMap<T::Key, T>>,
}

impl<T: Record> Clone for Records<T> {
    fn clone(&self) -> Self {
        Records {
            records: Arc::clone(&self.records),
        }
    }
}

impl<T: Record> Records<T> {
    /// The record with `key`.
    pub fn get(&self, key: &T::Key) -> Option<&T> {
        self.records.get(key)
    }

    /// Whether a record with `key` exists.
    pub fn contains_key(&self, key: &T::Key) -> bool {
        self.records.contains_key(key)
    }

    /// All records, in key order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &T> + DoubleEndedIterator {
        self.records.values()
    }

    /// All keys, in order.
    pub fn keys(&self) -> impl ExactSizeIterator<Item = &T::Key> + DoubleEndedIterator {
        self.records.keys()
    }

    /// How many records there are.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// The records as a map from key to record.
    pub fn as_map(&self) -> &BTreeMap<T::Key, T> {
        &self.records
    }
}

// The typed-table cache only ever gains complete entries; a caught panic leaves it valid.
impl std::panic::UnwindSafe for Snapshot {}
impl std::panic::RefUnwindSafe for Snapshot {}
