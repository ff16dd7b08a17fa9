//! A transaction on one file: typed tables opened on demand, rendered to new file text at
//! commit.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use sdn_codec::{Document, Value};

use crate::edit;
use crate::error::{Error, Result};
use crate::record::Record;
use crate::table::{self, AnyTable, Table};

/// The state of one file inside a transaction, passed to the closure of
/// [`Store::update`](crate::Store::update).
pub struct Transaction {
    path: PathBuf,
    text: String,
    root: Value,
    /// The format-preserving document of `text`, when it was already parsed as one.
    doc: Option<Document>,
    tables: BTreeMap<&'static str, Box<dyn AnyTable>>,
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
            text,
            root,
            doc: None,
            tables: BTreeMap::new(),
        }
    }

    /// A transaction on a document parsed for it (saves parsing it again at commit).
    pub(crate) fn from_document(path: &Path, doc: Document) -> Self {
        Transaction {
            path: path.to_path_buf(),
            text: doc.as_str().to_owned(),
            root: doc.value().clone(),
            doc: Some(doc),
            tables: BTreeMap::new(),
        }
    }

    /// The file this transaction changes.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The whole document as read at the start of the transaction (untyped).
    pub fn document(&self) -> &Value {
        &self.root
    }

    /// The table of record type `T`, decoded on first use.
    ///
    /// Fails when a row does not read as `T`, when two rows share a key, or when the
    /// table was already opened as another type in this transaction.
    pub fn table<T: Record>(&mut self) -> Result<&mut Table<T>> {
        let entry = match self.tables.entry(T::TABLE) {
            std::collections::btree_map::Entry::Occupied(slot) => slot.into_mut(),
            std::collections::btree_map::Entry::Vacant(slot) => {
                let decoded = table::decode::<T>(&self.path, &self.root)?;
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
    pub(crate) fn render(&self) -> Result<Option<String>> {
        let mut edits = Vec::new();
        for table in self.tables.values() {
            if let Some(edit) = table.edit()? {
                edits.push(edit);
            }
        }
        if edits.is_empty() {
            return Ok(None);
        }
        let doc = match &self.doc {
            Some(doc) => doc.clone(),
            None => Document::parse(&self.text).map_err(|err| Error::malformed(&self.path, err))?,
        };
        edit::apply(&self.path, doc, &edits).map(Some)
    }
}
