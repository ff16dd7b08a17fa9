//! A transaction on one file: typed tables opened on demand, rendered to new file text at
//! commit.

use std::any::{Any, TypeId};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use sdn_codec::{Document, Value};

use crate::edit;
use crate::error::{Error, Result};
use crate::record::Record;
use crate::snapshot::{Parts, Snapshot};
use crate::table::{self, AnyTable, Decoded, Table, TypedCache};

/// The state of one file inside a transaction, passed to the closure of
/// [`Store::update`](crate::Store::update).
pub struct Transaction {
    path: PathBuf,
    source: Source,
    tables: BTreeMap<&'static str, Box<dyn AnyTable>>,
    /// The file as opened at the start, kept open until the transaction is dropped
    /// (after the writer lock is released): when a commit replaces it, the kernel frees
    /// its inode on that last close, outside the lock.
    _opened: Option<std::fs::File>,
}

/// The file as read at the start of the transaction.
enum Source {
    /// Text and its value; parsed as a [`Document`] only if something changes.
    Text { text: String, root: Value },
    /// A snapshot of the file, as cached (its decoded tables are reused).
    Snapshot(Snapshot),
    /// A snapshot of the file that nothing else held, taken apart: its document is
    /// edited and its decoded tables are taken without copies. `document` is `None`
    /// once rendering took it.
    Owned(Box<Owned>),
}

/// See [`Source::Owned`].
struct Owned {
    document: Option<Document>,
    source: Option<crate::identity::FileIdentity>,
    typed: TypedCache,
}

impl std::fmt::Debug for Transaction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transaction")
            .field("path", &self.path)
            .field("tables", &self.tables.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl Transaction {
    pub(crate) fn new(path: &Path, text: String, root: Value) -> Self {
        Transaction {
            path: path.to_path_buf(),
            source: Source::Text { text, root },
            tables: BTreeMap::new(),
            _opened: None,
        }
    }

    /// A transaction on the file of `snapshot` (saves parsing it again at commit when
    /// the snapshot kept its document, and decoding tables it already decoded).
    pub(crate) fn from_snapshot(
        path: &Path,
        snapshot: Snapshot,
        opened: Option<std::fs::File>,
    ) -> Self {
        Transaction {
            path: path.to_path_buf(),
            source: Source::Snapshot(snapshot),
            tables: BTreeMap::new(),
            _opened: opened,
        }
    }

    /// A transaction that edits the parts of a snapshot nothing else holds.
    /// `opened`: the file as opened for this transaction.
    pub(crate) fn owned(path: &Path, parts: Parts, opened: Option<std::fs::File>) -> Self {
        Transaction {
            path: path.to_path_buf(),
            source: Source::Owned(Box::new(Owned {
                document: Some(parts.document),
                source: parts.source,
                typed: parts.typed,
            })),
            tables: BTreeMap::new(),
            _opened: opened,
        }
    }

    /// The snapshot an owned transaction was taken from, with the tables it opened
    /// offered back (exact whatever the transaction did, see [`Transaction::seed`]);
    /// `None` for other transactions (nothing was taken) or once rendering took the
    /// document.
    pub(crate) fn into_unchanged_snapshot(self) -> Option<Snapshot> {
        let Source::Owned(owned) = self.source else {
            return None;
        };
        let Owned {
            document: Some(document),
            source,
            typed,
            ..
        } = *owned
        else {
            return None;
        };
        let snapshot = Snapshot::from_parts(
            &self.path,
            Parts {
                document,
                source,
                typed,
            },
        );
        for table in self.tables.into_values() {
            table.seed(&snapshot);
        }
        Some(snapshot)
    }

    /// The file this transaction changes.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The whole document as read at the start of the transaction (untyped).
    pub fn document(&self) -> &Value {
        match &self.source {
            Source::Text { root, .. } => root,
            Source::Snapshot(snapshot) => snapshot.document(),
            Source::Owned(owned) => owned
                .document
                .as_ref()
                .map_or(empty_document(), Document::value),
        }
    }

    /// The table of record type `T`, decoded on first use.
    ///
    /// Fails when a row does not read as `T`, when two rows share a key, or when the
    /// table was already opened as another type in this transaction.
    pub fn table<T: Record>(&mut self) -> Result<&mut Table<T>> {
        let entry = match self.tables.entry(T::TABLE) {
            std::collections::btree_map::Entry::Occupied(slot) => slot.into_mut(),
            std::collections::btree_map::Entry::Vacant(slot) => {
                let decoded = match &mut self.source {
                    Source::Text { text, root } => table::decode::<T>(&self.path, text, root)?,
                    Source::Snapshot(snapshot) => Decoded::clone(&*snapshot.decoded::<T>()?),
                    Source::Owned(owned) => {
                        match owned.typed.remove(&TypeId::of::<T>()).and_then(|cached| {
                            let cached: Arc<dyn Any + Send + Sync> = cached;
                            cached.downcast::<Decoded<T>>().ok()
                        }) {
                            Some(cached) => Arc::try_unwrap(cached)
                                .unwrap_or_else(|shared| Decoded::clone(&shared)),
                            None => match &owned.document {
                                Some(document) => table::decode::<T>(
                                    &self.path,
                                    document.as_str(),
                                    document.value(),
                                )?,
                                None => table::decode::<T>(&self.path, "", empty_document())?,
                            },
                        }
                    }
                };
                slot.insert(Box::new(Table::new(&self.path, decoded)))
            }
        };
        let first = entry.type_name();
        entry
            .as_any_mut()
            .downcast_mut::<Table<T>>()
            .ok_or(Error::TableTypeConflict {
                table: T::TABLE,
                first,
                second: std::any::type_name::<T>(),
            })
    }

    /// The new file text, or `None` when the transaction changed nothing.
    pub(crate) fn render(&mut self) -> Result<Option<String>> {
        Ok(self.render_document()?.map(Document::into_string))
    }

    /// The edited document (its text is the new file text, its value what the parser
    /// reads from it), or `None` when the transaction changed nothing. An owned
    /// transaction's document is edited in place (taken, not copied).
    pub(crate) fn render_document(&mut self) -> Result<Option<Document>> {
        let mut edits = Vec::new();
        for table in self.tables.values() {
            if let Some(edit) = table.edit()? {
                edits.push(edit);
            }
        }
        if edits.is_empty() {
            return Ok(None);
        }
        let doc = match &mut self.source {
            Source::Owned(owned) => match owned.document.take() {
                Some(document) => document,
                None => {
                    return Err(Error::aborted(
                        "the transaction was already rendered (internal)",
                    ));
                }
            },
            Source::Snapshot(snapshot) => match snapshot.edit_document() {
                Some(doc) => doc.clone(),
                None => {
                    let text = crate::position::text_of(&self.path, snapshot.bytes().to_vec())?;
                    Document::parse(&text).map_err(|err| Error::malformed(&self.path, err))?
                }
            },
            Source::Text { text, .. } => {
                Document::parse(text).map_err(|err| Error::malformed(&self.path, err))?
            }
        };
        edit::apply(&self.path, doc, &edits).map(Some)
    }

    /// Offers this transaction's tables, as just committed, to `snapshot` (the snapshot
    /// of the committed file), so the next transaction need not decode them again.
    /// Returns what is left of the version the transaction read.
    pub(crate) fn seed(self, snapshot: &Snapshot) -> Retired {
        for table in self.tables.into_values() {
            table.seed(snapshot);
        }
        Retired {
            _source: self.source,
            _opened: self._opened,
        }
    }
}

/// What a committed transaction held of the version it replaced. Dropping it frees that
/// version's memory and closes the replaced file, which makes the kernel delete its
/// inode: work worth doing after the writer lock is released.
pub(crate) struct Retired {
    _source: Source,
    _opened: Option<std::fs::File>,
}

/// The value of an empty file, for an owned transaction whose document was taken.
fn empty_document() -> &'static Value {
    static EMPTY: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    EMPTY.get_or_init(|| Value::Dict(Default::default()))
}
