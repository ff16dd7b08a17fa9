//! Consistent, immutable views of a file, shared between readers.

use std::any::{Any, TypeId};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use sdn_codec::{Document, Value};

use crate::decoded::{CachedTable, Decoded, TypedCache};
use crate::direct;
use crate::error::Result;
use crate::identity::FileIdentity;
use crate::record::Record;

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
    content: Content,
    /// The identity the file had when read; `None` for a missing file. A snapshot
    /// holds no descriptor: keeping thousands of snapshots costs memory, not descriptors.
    source: Option<FileIdentity>,
    typed: parking_lot::Mutex<TypedCache>,
}

/// A snapshot that nothing else held, taken apart so a transaction can edit its
/// document and take its decoded tables without copying them (see
/// [`Snapshot::into_parts`]).
pub(crate) struct Parts {
    pub(crate) document: Document,
    pub(crate) source: Option<FileIdentity>,
    /// Decoded tables by record type.
    pub(crate) typed: TypedCache,
}

/// What a snapshot was parsed into.
enum Content {
    /// Text, checked to parse, and its value, parsed on first use (read path: a
    /// reader that only decodes tables never pays for the value tree, several times
    /// the file's size).
    Plain {
        text: String,
        root: std::sync::OnceLock<Value>,
    },
    /// A format-preserving document (its text and value), kept when the writer had one
    /// anyway, so the next transaction edits it without parsing the file again.
    Document(Document),
}

impl std::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Snapshot")
            .field("path", &self.inner.path)
            .field("bytes", &self.bytes().len())
            .finish_non_exhaustive()
    }
}

impl Snapshot {
    /// A snapshot of `text`, which must be known to parse (see
    /// [`direct::check_parses`](crate::direct::check_parses)); its value is parsed when
    /// first asked for.
    pub(crate) fn of_checked_text(path: &Path, text: String, source: Option<FileIdentity>) -> Self {
        let content = Content::Plain {
            text,
            root: std::sync::OnceLock::new(),
        };
        Snapshot::with_content(path, content, source)
    }

    /// A snapshot of the text of `document` (which the parser reads as its value).
    pub(crate) fn from_document(
        path: &Path,
        document: Document,
        source: Option<FileIdentity>,
    ) -> Self {
        Snapshot::with_content(path, Content::Document(document), source)
    }

    fn with_content(path: &Path, content: Content, source: Option<FileIdentity>) -> Self {
        Snapshot {
            inner: Arc::new(SnapshotInner {
                path: path.to_path_buf(),
                content,
                source,
                typed: parking_lot::Mutex::new(HashMap::new()),
            }),
        }
    }

    /// This snapshot taken apart, when nothing else holds it and it kept its
    /// format-preserving document, or with `parse_text` a document of its text (its
    /// decoded tables are taken either way); otherwise the snapshot, unchanged.
    pub(crate) fn into_parts(self, parse_text: bool) -> std::result::Result<Parts, Snapshot> {
        if self.edit_document().is_none() && !parse_text {
            return Err(self);
        }
        let inner = Arc::try_unwrap(self.inner).map_err(|inner| Snapshot { inner })?;
        let document = match inner.content {
            Content::Document(document) => document,
            Content::Plain { text, root } => match Document::parse(&text) {
                Ok(document) => document,
                Err(_) => {
                    let content = Content::Plain { text, root };
                    return Err(Snapshot {
                        inner: Arc::new(SnapshotInner { content, ..inner }),
                    });
                }
            },
        };
        Ok(Parts {
            document,
            source: inner.source,
            typed: inner.typed.into_inner(),
        })
    }

    /// The snapshot `parts` were taken from, whole again.
    pub(crate) fn from_parts(path: &Path, parts: Parts) -> Snapshot {
        Snapshot {
            inner: Arc::new(SnapshotInner {
                path: path.to_path_buf(),
                content: Content::Document(parts.document),
                source: parts.source,
                typed: parking_lot::Mutex::new(parts.typed),
            }),
        }
    }

    /// The format-preserving document of this snapshot, when one was kept.
    pub(crate) fn edit_document(&self) -> Option<&Document> {
        match &self.inner.content {
            Content::Document(document) => Some(document),
            Content::Plain { .. } => None,
        }
    }

    /// The identity of the file when this snapshot was read (`None`: it did not exist).
    pub(crate) fn identity(&self) -> Option<FileIdentity> {
        self.inner.source
    }

    /// The file this snapshot was read from.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// The file's bytes (empty for a missing file).
    pub fn bytes(&self) -> &[u8] {
        match &self.inner.content {
            Content::Plain { text, .. } => text.as_bytes(),
            Content::Document(document) => document.as_str().as_bytes(),
        }
    }

    /// The whole document, untyped.
    ///
    /// A snapshot that was read (rather than committed by this process) parses its value
    /// on first use. Its text was checked to parse when it was read, so this fails only
    /// if the parser disagrees with that check; the parser's error is returned then
    /// ([`Error::Malformed`](crate::Error::Malformed)), never a stand-in value.
    pub fn document(&self) -> Result<&Value> {
        match &self.inner.content {
            Content::Plain { text, root } => match root.get() {
                Some(root) => Ok(root),
                None => {
                    let parsed = sdn_codec::parse(text)
                        .map_err(|err| crate::Error::malformed(&self.inner.path, err))?;
                    Ok(root.get_or_init(|| parsed))
                }
            },
            Content::Document(document) => Ok(document.value()),
        }
    }

    /// The file's text.
    fn text(&self) -> &str {
        match &self.inner.content {
            Content::Plain { text, .. } => text,
            Content::Document(document) => document.as_str(),
        }
    }

    /// Whether two snapshots are the same parsed version (not merely equal content).
    pub fn ptr_eq(&self, other: &Snapshot) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    /// The table of record type `T` (empty when the file has no such table).
    pub fn table<T: Record>(&self) -> Result<Records<T>> {
        Ok(Records {
            decoded: self.decoded::<T>()?,
        })
    }

    /// Table `T::TABLE` decoded as `T`, from the typed cache when it is there.
    pub(crate) fn decoded<T: Record>(&self) -> Result<Arc<Decoded<T>>> {
        let type_id = TypeId::of::<T>();
        if let Some(cached) = self.inner.typed.lock().get(&type_id) {
            let cached: Arc<dyn Any + Send + Sync> = Arc::<dyn CachedTable>::clone(cached);
            if let Ok(decoded) = cached.downcast::<Decoded<T>>() {
                return Ok(decoded);
            }
        }
        let decoded = Arc::new(direct::decode_text::<T>(
            &self.inner.path,
            self.text(),
            || self.document(),
        )?);
        self.inner
            .typed
            .lock()
            .insert(type_id, Arc::clone(&decoded) as Arc<dyn CachedTable>);
        Ok(decoded)
    }

    /// Caches `decoded`, which must equal what [`decode`](crate::decoded::decode) returns for this
    /// snapshot, unless the table is cached already.
    pub(crate) fn seed_decoded<T: Record>(&self, decoded: Decoded<T>) {
        self.inner
            .typed
            .lock()
            .entry(TypeId::of::<T>())
            .or_insert_with(|| Arc::new(decoded) as Arc<dyn CachedTable>);
    }

    /// The record of type `T` with `key`.
    pub fn get<T: Record>(&self, key: &T::Key) -> Result<Option<T>> {
        Ok(self.table::<T>()?.get(key).cloned())
    }
}

/// The records of one table in a [`Snapshot`], in key order. Cheap to clone.
pub struct Records<T: Record> {
    decoded: Arc<Decoded<T>>,
}

impl<T: Record + std::fmt::Debug> std::fmt::Debug for Records<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Records")
            .field("records", &self.decoded.records)
            .finish()
    }
}

impl<T: Record> Clone for Records<T> {
    fn clone(&self) -> Self {
        Records {
            decoded: Arc::clone(&self.decoded),
        }
    }
}

impl<T: Record> Records<T> {
    /// The record with `key`.
    pub fn get(&self, key: &T::Key) -> Option<&T> {
        self.decoded.records.get(key)
    }

    /// Whether a record with `key` exists.
    pub fn contains_key(&self, key: &T::Key) -> bool {
        self.decoded.records.contains_key(key)
    }

    /// All records, in key order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &T> + DoubleEndedIterator {
        self.decoded.records.values()
    }

    /// All keys, in order.
    pub fn keys(&self) -> impl ExactSizeIterator<Item = &T::Key> + DoubleEndedIterator {
        self.decoded.records.keys()
    }

    /// How many records there are.
    pub fn len(&self) -> usize {
        self.decoded.records.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.decoded.records.is_empty()
    }

    /// The records as a map from key to record.
    pub fn as_map(&self) -> &BTreeMap<T::Key, T> {
        &self.decoded.records
    }
}

// The typed-table cache only ever gains complete entries; a caught panic leaves it valid.
impl std::panic::UnwindSafe for Snapshot {}
impl std::panic::RefUnwindSafe for Snapshot {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_snapshot_parses_its_document_on_first_use() {
        let path = Path::new("n.sdn");
        let snapshot = Snapshot::of_checked_text(path, "a: 1\n".into(), None);
        let root = snapshot.document().unwrap();
        assert_eq!(root.get("a"), sdn_codec::parse("a: 1\n").unwrap().get("a"));
        assert!(std::ptr::eq(root, snapshot.document().unwrap()));
        // A missing file's snapshot: the empty text, the empty document.
        let empty = Snapshot::of_checked_text(path, String::new(), None);
        assert_eq!(empty.document().unwrap(), &Value::Dict(Default::default()));
    }

    #[test]
    fn a_document_the_parser_rejects_is_its_error_not_an_empty_stand_in() {
        // Breaks the constructor's precondition on purpose: the parser's disagreement
        // with the read-time check must surface, not read as an empty file.
        let snapshot = Snapshot::of_checked_text(Path::new("n.sdn"), "a: 1\nb: [\n".into(), None);
        match snapshot.document() {
            Err(crate::Error::Malformed { line, .. }) => assert!(line >= 2),
            other => panic!("{other:?}"),
        }
    }
}
