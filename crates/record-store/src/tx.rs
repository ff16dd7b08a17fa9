//! A transaction on one file: typed tables opened on demand, rendered to new file text at
//! commit.

use std::any::{Any, TypeId};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use sdn_codec::{Document, Value};

use crate::changes::ChangeSet;
use crate::decoded::{self, Decoded, TypedCache};
use crate::direct;
use crate::edit::{self, Rendered, TableEdit};
use crate::error::{Error, Result};
use crate::record::Record;
use crate::snapshot::{Parts, Snapshot};
use crate::table::{AnyTable, Table};

/// The state of one file inside a transaction, passed to the closure of
/// [`Store::update`](crate::Store::update).
pub struct Transaction {
    path: PathBuf,
    source: Source,
    tables: BTreeMap<&'static str, Box<dyn AnyTable>>,
}

/// The file as read at the start of the transaction.
enum Source {
    /// Text known to parse, and its value, parsed only when asked for: tables are
    /// decoded straight from the text, and a commit that only updates rows edits the
    /// text's row lines, so a large file is never held as a value per cell. `source`:
    /// the file's identity when read (`None`: there was no file).
    Text {
        text: String,
        root: OnceLock<Value>,
        source: Option<crate::identity::FileIdentity>,
    },
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
    /// A transaction on `text`, which must be known to parse (see
    /// [`direct::check_parses`]), read from the file with identity `source`.
    pub(crate) fn new(
        path: &Path,
        text: String,
        source: Option<crate::identity::FileIdentity>,
    ) -> Self {
        Transaction {
            path: path.to_path_buf(),
            source: Source::Text {
                text,
                root: OnceLock::new(),
                source,
            },
            tables: BTreeMap::new(),
        }
    }

    /// A transaction on the file of `snapshot` (saves parsing it again at commit when
    /// the snapshot kept its document, and decoding tables it already decoded).
    pub(crate) fn from_snapshot(path: &Path, snapshot: Snapshot) -> Self {
        Transaction {
            path: path.to_path_buf(),
            source: Source::Snapshot(snapshot),
            tables: BTreeMap::new(),
        }
    }

    /// A transaction that edits the parts of a snapshot nothing else holds.
    pub(crate) fn owned(path: &Path, parts: Parts) -> Self {
        Transaction {
            path: path.to_path_buf(),
            source: Source::Owned(Box::new(Owned {
                document: Some(parts.document),
                source: parts.source,
                typed: parts.typed,
            })),
            tables: BTreeMap::new(),
        }
    }

    /// The snapshot an owned transaction was taken from, with the tables it opened
    /// offered back (exact whatever the transaction did, see [`Transaction::seed`]);
    /// `None` for other transactions (nothing was taken) or once rendering took the
    /// document.
    pub(crate) fn into_unchanged_snapshot(self) -> Option<Snapshot> {
        let snapshot = match self.source {
            Source::Owned(owned) => {
                let Owned {
                    document: Some(document),
                    source,
                    typed,
                    ..
                } = *owned
                else {
                    return None;
                };
                Snapshot::from_parts(
                    &self.path,
                    Parts {
                        document,
                        source,
                        typed,
                    },
                )
            }
            // Text that rendering did not take: the file as read.
            Source::Text {
                text,
                source: source @ Some(_),
                ..
            } => Snapshot::of_checked_text(&self.path, text, source),
            _ => return None,
        };
        for table in self.tables.into_values() {
            table.seed(&snapshot);
        }
        Some(snapshot)
    }

    /// The file this transaction changes.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The whole document as read at the start of the transaction (untyped). Fails
    /// only as [`Snapshot::document`] does.
    pub fn document(&self) -> Result<&Value> {
        match &self.source {
            Source::Text { text, root, .. } => parsed_root(&self.path, text, root),
            Source::Snapshot(snapshot) => snapshot.document(),
            Source::Owned(owned) => Ok(owned
                .document
                .as_ref()
                .map_or(empty_document(), Document::value)),
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
                    Source::Text { text, root, .. } => {
                        let text: &str = text;
                        let path = &self.path;
                        direct::decode_text::<T>(path, text, || parsed_root(path, text, root))?
                    }
                    Source::Snapshot(snapshot) => Decoded::clone(&*snapshot.decoded::<T>()?),
                    Source::Owned(owned) => {
                        match owned.typed.remove(&TypeId::of::<T>()).and_then(|cached| {
                            let cached: Arc<dyn Any + Send + Sync> = cached;
                            cached.downcast::<Decoded<T>>().ok()
                        }) {
                            Some(cached) => Arc::try_unwrap(cached)
                                .unwrap_or_else(|shared| Decoded::clone(&shared)),
                            None => match &owned.document {
                                Some(document) => decoded::decode::<T>(
                                    &self.path,
                                    document.as_str(),
                                    document.value(),
                                )?,
                                None => decoded::decode::<T>(&self.path, "", empty_document())?,
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

    /// The changes this transaction makes so far, per table: what a commit now would
    /// write (see [`ChangeSet`]). Only the tables opened with
    /// [`table`](Transaction::table) can change.
    ///
    /// ```
    /// use record_store::{Record, Store};
    /// # #[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
    /// # struct Todo { id: u32, status: String }
    /// # impl Record for Todo {
    /// #     const TABLE: &'static str = "todos";
    /// #     type Key = u32;
    /// #     fn key(&self) -> u32 { self.id }
    /// # }
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("todo.sdn");
    /// std::fs::write(&path, "todos |id, status|\n    1, open\n    2, open\n")?;
    /// Store::open(&path)?.update(|tx| {
    ///     tx.table::<Todo>()?.get_mut(&1).unwrap().status = "done".into();
    ///     tx.table::<Todo>()?.remove(&2);
    ///     let changes = tx.changes()?;
    ///     let todos = changes.table("todos").unwrap();
    ///     assert_eq!(todos.updated[0].key, "1");
    ///     assert_eq!(todos.updated[0].changed_columns().collect::<Vec<_>>(), ["status"]);
    ///     assert_eq!(todos.removed[0].key, "2");
    ///     Ok::<_, record_store::Error>(())
    /// })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn changes(&self) -> Result<ChangeSet> {
        self.collect().map(|(_, changes)| changes)
    }

    /// Applies `changes` (another transaction's, perhaps another replica's) to this
    /// transaction, table by table, as [`Table::apply`] does. Each table the change set
    /// changes must have been opened with [`table`](Transaction::table) first, which
    /// gives its rows their record type; else this fails with
    /// [`Error::TableNotOpen`] and changes nothing. The change set's path is not
    /// checked: changes to a copy of a file apply to the original.
    pub fn apply(&mut self, changes: &ChangeSet) -> Result<()> {
        if let Some((name, _)) = changes
            .tables()
            .find(|(name, _)| !self.tables.contains_key(name))
        {
            return Err(Error::TableNotOpen {
                path: self.path.clone(),
                table: name.to_owned(),
            });
        }
        for (name, table_changes) in changes.tables() {
            if let Some(table) = self.tables.get_mut(name) {
                table.apply(table_changes)?;
            }
        }
        Ok(())
    }

    /// The row edits this transaction makes (one per changed table) and the same
    /// changes as a [`ChangeSet`]: the pipeline's "collect" step.
    pub(crate) fn collect(&self) -> Result<(Vec<TableEdit>, ChangeSet)> {
        self.collect_with(true)
    }

    /// [`collect`](Transaction::collect); without `inserted_rows`, the change set lists
    /// no inserted row (for a commit whose change set nobody sees): rendering encodes
    /// them one at a time, so they are never all held as cells.
    pub(crate) fn collect_with(&self, inserted_rows: bool) -> Result<(Vec<TableEdit>, ChangeSet)> {
        let mut edits = Vec::new();
        let mut changes = ChangeSet::new(&self.path);
        for table in self.tables.values() {
            let collected = match inserted_rows {
                true => table.changes()?,
                false => table.changes_without_inserted_rows()?,
            };
            if let Some((edit, table_changes)) = collected {
                changes.insert_table(edit.table, table_changes);
                edits.push(edit);
            }
        }
        Ok((edits, changes))
    }

    /// The new file text: the document with `edits` (and the rows `changes` inserts)
    /// applied, its value what the parser reads from it, or the text alone when the
    /// edits could be made without a document (see [`Rendered`]). An owned
    /// transaction's document is edited in place (taken, not copied), so this is
    /// called at most once, with edits. With `stream` (the durability of a commit of
    /// this file alone), new tables of an empty file are written straight into the
    /// file's replacement ([`Rendered::Streamed`]), never held whole.
    pub(crate) fn render(
        &mut self,
        edits: &[TableEdit],
        changes: &ChangeSet,
        stream: Option<atomic_io::Durability>,
    ) -> Result<Rendered> {
        if let Some(rendered) = self.render_without_document(edits, changes, stream)? {
            return Ok(rendered);
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
        if edits.iter().any(|edit| edit.pending_inserts > 0) {
            let changes = self.with_inserted_rows(changes)?;
            return edit::apply(&self.path, doc, edits, &changes).map(Rendered::Document);
        }
        edit::apply(&self.path, doc, edits, changes).map(Rendered::Document)
    }

    /// The new file text made without a document, for a transaction that started from
    /// the text (so has none at hand) when its edits need none: row updates (the rows'
    /// lines edited, see [`edit::update_row_lines`]) and, with `stream`, new tables of an
    /// empty file (see [`edit::write_new_tables`]). `None`: render through a document (a
    /// row the text route could not update is left to it, and the text keeps the rows
    /// updated so far, which the document then leaves as they are).
    fn render_without_document(
        &mut self,
        edits: &[TableEdit],
        changes: &ChangeSet,
        stream: Option<atomic_io::Durability>,
    ) -> Result<Option<Rendered>> {
        let Source::Text { text, .. } = &mut self.source else {
            return Ok(None);
        };
        if edit::updates_rows_only(edits, changes) {
            // The decoded tables are not offered to the committed snapshot (that would
            // need the committed value): dropped first, they and the text's layout are
            // never held together.
            self.tables.clear();
            return match edit::update_row_lines(&self.path, std::mem::take(text), edits)? {
                Ok(updated) => Ok(Some(Rendered::Text(updated))),
                Err(partly) => {
                    *text = partly;
                    Ok(None)
                }
            };
        }
        if let Some(durability) = stream
            && text.is_empty()
            && edit::creates_tables_only(edits)
        {
            let tables = &self.tables;
            let rows =
                |name: &str, each: &mut dyn FnMut(&sdn_codec::Map) -> Result<()>| match tables
                    .get(name)
                {
                    Some(table) => table.for_each_inserted(&mut |row| each(&row.row)),
                    None => Ok(()),
                };
            return edit::write_new_tables(&self.path, edits, rows, durability);
        }
        Ok(None)
    }

    /// `changes` with the inserted rows [`collect_with`](Transaction::collect_with) left
    /// out, for an edit that needs them all at once.
    fn with_inserted_rows(&self, changes: &ChangeSet) -> Result<ChangeSet> {
        let mut filled = changes.clone();
        for (name, table) in &self.tables {
            let mut inserted = Vec::new();
            table.for_each_inserted(&mut |row| {
                inserted.push(row);
                Ok(())
            })?;
            if !inserted.is_empty() {
                let mut table_changes = changes.table(name).cloned().unwrap_or_default();
                table_changes.inserted = inserted;
                filled.insert_table(*name, table_changes);
            }
        }
        Ok(filled)
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
        }
    }
}

/// What a committed transaction held of the version it replaced. Dropping it frees that
/// version's memory: work worth doing after the writer lock is released.
pub(crate) struct Retired {
    _source: Source,
}

/// The value of `text` (known to parse), parsed into `root` on first use; the parser's
/// error should it disagree with the check ([`Error::Malformed`]).
fn parsed_root<'a>(path: &Path, text: &str, root: &'a OnceLock<Value>) -> Result<&'a Value> {
    if let Some(root) = root.get() {
        return Ok(root);
    }
    let parsed = sdn_codec::parse(text).map_err(|err| Error::malformed(path, err))?;
    Ok(root.get_or_init(|| parsed))
}

/// The value of an empty file, for an owned transaction whose document was taken.
fn empty_document() -> &'static Value {
    static EMPTY: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    EMPTY.get_or_init(|| Value::Dict(Default::default()))
}
