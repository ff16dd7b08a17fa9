//! A transaction on one file: typed tables opened on demand, rendered to new file text at
//! commit.

use std::any::{Any, TypeId};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use sdn_codec::{Document, TextUpdate, Value};

use crate::changes::ChangeSet;
use crate::decoded::{self, Decoded, TypedCache};
use crate::direct;
use crate::edit::{self, Rendered, TableEdit};
use crate::error::{Error, Result};
use crate::record::Record;
use crate::replace::{self, RowKeys};
use crate::snapshot::{Parts, Snapshot};
use crate::table::{AnyTable, Table};
use crate::text_compare::one_line_differs;

/// The state of one file inside a transaction, passed to the closure of
/// [`Store::update`](crate::Store::update).
pub struct Transaction {
    path: PathBuf,
    source: Source,
    tables: BTreeMap<&'static str, Box<dyn AnyTable>>,
    /// Set by [`Transaction::replace_text`]: `source` is then the replacement.
    replaced: Option<Box<Replaced>>,
}

/// A replacement of the transaction's text (see [`Transaction::replace_text`]).
struct Replaced {
    /// The file as the transaction read it.
    before: Before,
    keys: RowKeys,
    /// The changes from `before` to the replacement, before any table edit.
    diff: ChangeSet,
}

/// The file as a replaced transaction read it (see [`Replaced`]).
enum Before {
    /// Kept whole; `source` is the replacement, parsed on its own.
    Kept(Source),
    /// The replacement differed from it in one row line, so the owned document was
    /// edited in place (see [`Transaction::replace_in_place`]) rather than a second
    /// version of a large file parsed, compared row by row and freed. What it takes to
    /// undo that edit: the file's text, and what the owned source held with it.
    Edited {
        text: String,
        source: Option<crate::identity::FileIdentity>,
        typed: TypedCache,
    },
}

/// What [`Transaction::replace_in_place`] did.
enum InPlace {
    /// The replacement is made.
    Done,
    /// Nothing; the replacement text, parsed, when it parsed it.
    Not(Option<Box<Document>>),
}

/// The file as read at the start of the transaction.
enum Source {
    /// Text known to parse, and its value, parsed only when asked for: tables are
    /// decoded straight from the text, and a commit that only updates rows edits the
    /// text's row lines, so a large file is never held as a value per cell. `source`:
    /// the file's identity when read (`None`: there was no file).
    Text {
        /// Shared with the tables that decode their records when asked for (see
        /// [`crate::lazy`]).
        text: Arc<String>,
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
                text: Arc::new(text),
                root: OnceLock::new(),
                source,
            },
            tables: BTreeMap::new(),
            replaced: None,
        }
    }

    /// A transaction on the file of `snapshot` (saves parsing it again at commit when
    /// the snapshot kept its document, and decoding tables it already decoded).
    pub(crate) fn from_snapshot(path: &Path, snapshot: Snapshot) -> Self {
        Transaction {
            path: path.to_path_buf(),
            source: Source::Snapshot(snapshot),
            tables: BTreeMap::new(),
            replaced: None,
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
            replaced: None,
        }
    }

    /// The snapshot an owned transaction was taken from, with the tables it opened
    /// offered back (exact whatever the transaction did, see [`Transaction::seed`]);
    /// `None` for other transactions (nothing was taken) or once rendering took the
    /// document.
    pub(crate) fn into_unchanged_snapshot(mut self) -> Option<Snapshot> {
        // Nothing was written: the file is still what the transaction read, and the
        // tables opened since the replacement hold the replacement's rows.
        if self.replaced.is_some() && self.restore().is_err() {
            return None;
        }
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
            } => {
                // Tables decoding from the text hold a share of it; nothing to seed.
                self.tables.retain(|_, table| !table.is_lazy());
                Snapshot::of_checked_text(&self.path, unshared(text), source)
            }
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

    /// The whole document as read at the start of the transaction (untyped), or as
    /// [`replace_text`](Transaction::replace_text) replaced it. Fails only as
    /// [`Snapshot::document`] does.
    pub fn document(&self) -> Result<&Value> {
        self.source.value(&self.path)
    }

    /// The table of record type `T`, decoded on first use.
    ///
    /// Fails when a row does not read as `T`, when two rows share a key, or when the
    /// table was already opened as another type in this transaction.
    pub fn table<T: Record>(&mut self) -> Result<&mut Table<T>> {
        let entry = match self.tables.entry(T::TABLE) {
            std::collections::btree_map::Entry::Occupied(slot) => slot.into_mut(),
            std::collections::btree_map::Entry::Vacant(slot) => {
                let path = &self.path;
                let table = match &mut self.source {
                    Source::Text { text, root, .. } => {
                        match crate::lazy::keys_of::<T>(path, text)? {
                            Some((keys, lines)) => Table::lazy(path, keys, lines),
                            None => {
                                let text: &str = text;
                                let root = || parsed_root(path, text, root);
                                Table::new(path, direct::decode_text::<T>(path, text, root)?)
                            }
                        }
                    }
                    Source::Snapshot(snapshot) => {
                        Table::new(path, Decoded::clone(&*snapshot.decoded::<T>()?))
                    }
                    Source::Owned(owned) => {
                        let decoded =
                            match owned.typed.remove(&TypeId::of::<T>()).and_then(|cached| {
                                let cached: Arc<dyn Any + Send + Sync> = cached;
                                cached.downcast::<Decoded<T>>().ok()
                            }) {
                                Some(cached) => Arc::try_unwrap(cached)
                                    .unwrap_or_else(|shared| Decoded::clone(&shared)),
                                None => match &owned.document {
                                    Some(document) => decoded::decode::<T>(
                                        path,
                                        document.as_str(),
                                        document.value(),
                                    )?,
                                    None => decoded::decode::<T>(path, "", empty_document())?,
                                },
                            };
                        Table::new(path, decoded)
                    }
                };
                slot.insert(Box::new(table))
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
        let (edits, changes) = self.collect()?;
        Ok(self.shown_changes(&edits, &changes)?.unwrap_or(changes))
    }

    /// Makes `text` the transaction's whole content: a commit writes exactly `text`,
    /// byte for byte (comments, layout, row order and columns as given), through the
    /// same pipeline as any change. For content made elsewhere that must land as it
    /// is, such as a whole-store merge that every replica must turn into the same
    /// bytes (see the [`replace`](crate::replace) module for why a change set cannot).
    ///
    /// The change set ([`changes`](Transaction::changes), the pre-commit hooks,
    /// [`Committed::changes`](crate::Committed::changes)) is derived by matching each
    /// table's rows by key between the file as read and `text` ([`RowKeys`] says which
    /// column is the key; rows of a table it does not identify are compared whole, see
    /// [`replace`](crate::replace)); its rows hold every column of the file. Tables opened after
    /// the replacement read its rows, and their changes (a hook's amendments, say) are
    /// rendered on top of `text` and are part of the change set. Tables opened before
    /// are dropped with their changes: the replacement is the whole content. A text
    /// that differs from the file only outside table rows (a comment) is written with
    /// an empty change set; a text equal to the file as read changes nothing. Calling
    /// this again replaces the previous replacement.
    ///
    /// Fails with [`Error::Replacement`] when `text` is not valid SDN; the transaction
    /// is then unchanged.
    ///
    /// ```
    /// use record_store::{RowKeys, Store};
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("todo.sdn");
    /// std::fs::write(&path, "# mine\ntodos |id, status, owner|\n    1, open, ann\n    2, open, bob\n")?;
    /// // Made elsewhere: record 1 done, record 2 gone, record 3 new, a comment changed.
    /// let merged = "# merged\ntodos |id, status, owner|\n    1, done, ann\n    3, new, cy\n";
    ///
    /// let store = Store::open(&path)?;
    /// let committed = store.commit(|tx| tx.replace_text(merged, &RowKeys::new()))?;
    /// assert_eq!(std::fs::read_to_string(&path)?, merged);
    /// let todos = committed.changes.table("todos").unwrap();
    /// assert_eq!(todos.updated[0].key, "1");
    /// assert_eq!(todos.updated[0].changed_columns().collect::<Vec<_>>(), ["status"]);
    /// assert_eq!(todos.removed[0].key, "2");
    /// assert_eq!(todos.inserted[0].key, "3");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn replace_text(&mut self, text: impl Into<String>, keys: &RowKeys) -> Result<()> {
        let text = text.into();
        let before_text = match self.replaced.as_deref().map(|r| &r.before) {
            Some(Before::Edited { text, .. }) => text.as_str().into(),
            Some(Before::Kept(source)) => source.text()?,
            None => self.source.text()?,
        };
        if before_text.as_bytes() == text.as_bytes() {
            return self.restore();
        }
        let parsed = match self.replaced {
            Some(_) => None,
            None => match self.replace_in_place(&text, keys)? {
                InPlace::Done => return Ok(()),
                InPlace::Not(parsed) => parsed,
            },
        };
        let document = match parsed {
            Some(document) => *document,
            None => Document::parse(&text)
                .map_err(|err| Error::replacement_malformed(&self.path, err))?,
        };
        // A previous replacement made in place edited the document this one is compared
        // with: undo it (`text` is valid, so the transaction changes as it should).
        if let Some(Replaced {
            before: Before::Edited { .. },
            ..
        }) = self.replaced.as_deref()
        {
            self.restore()?;
        }
        let before = match self.replaced.as_deref().map(|r| &r.before) {
            Some(Before::Kept(source)) => source,
            _ => &self.source,
        };
        let diff = replace::diff(
            &self.path,
            before.value(&self.path)?,
            document.value(),
            keys,
        );
        let replacement = Source::Owned(Box::new(Owned {
            document: Some(document),
            source: None,
            typed: Default::default(),
        }));
        let previous = std::mem::replace(&mut self.source, replacement);
        // The file as read stays what it was; `previous` is then an earlier replacement.
        let before = match self.replaced.take() {
            Some(replaced) => replaced.before,
            None => Before::Kept(previous),
        };
        self.tables.clear();
        self.replaced = Some(Box::new(Replaced {
            before,
            keys: keys.clone(),
            diff,
        }));
        Ok(())
    }

    /// [`replace_text`](Transaction::replace_text) for the common case of a pull: the
    /// transaction owns the document as read, and `text` differs from it in one row
    /// line. The document is then brought to `text` by reading that line again
    /// ([`Document::update_text`], which gives exactly what parsing `text` whole gives),
    /// and the change set is that row's ([`replace::row_diff`]): work proportional to
    /// the change, not to the file, and no second version of the file to free.
    fn replace_in_place(&mut self, text: &str, keys: &RowKeys) -> Result<InPlace> {
        let Source::Owned(owned) = &mut self.source else {
            return Ok(InPlace::Not(None));
        };
        let Some(document) = owned.document.as_mut() else {
            return Ok(InPlace::Not(None));
        };
        if !one_line_differs(document.as_str(), text) {
            return Ok(InPlace::Not(None));
        }
        let malformed = |err| Error::replacement_malformed(&self.path, err);
        let old_text = document.as_str().to_owned();
        // On error the document is unchanged (update_text's contract).
        let TextUpdate::Row { table, row } = document.update_text(text).map_err(malformed)? else {
            // Not a row line (a comment, say): `text` was parsed whole. The general
            // path compares it with the file, parsed again.
            let file =
                Document::parse(&old_text).map_err(|err| Error::malformed(&self.path, err))?;
            return Ok(InPlace::Not(Some(Box::new(std::mem::replace(
                document, file,
            )))));
        };
        // The row as the file has it: the reverse update reads the old line again.
        // Then forward again; each step is a line, not the file.
        document.update_text(&old_text).map_err(malformed)?;
        let old_cells = document
            .value()
            .get_path(&table)
            .and_then(Value::as_table)
            .and_then(|t| t.rows.get(row))
            .cloned();
        document.update_text(text).map_err(malformed)?;
        let Some(old_cells) = old_cells else {
            return Err(Error::aborted(
                "an updated row that is not there (internal)",
            ));
        };
        let diff = replace::row_diff(&self.path, document.value(), &table, row, old_cells, keys);
        self.tables.clear();
        self.replaced = Some(Box::new(Replaced {
            before: Before::Edited {
                text: old_text,
                source: owned.source.take(),
                typed: std::mem::take(&mut owned.typed),
            },
            keys: keys.clone(),
            diff,
        }));
        Ok(InPlace::Done)
    }

    /// Makes the transaction's content the file as read again, undoing any replacement
    /// (tables opened since are dropped with their changes).
    fn restore(&mut self) -> Result<()> {
        self.tables.clear();
        let Some(replaced) = self.replaced.take() else {
            return Ok(());
        };
        match replaced.before {
            Before::Kept(source) => self.source = source,
            Before::Edited {
                text,
                source,
                typed,
            } => {
                let Source::Owned(owned) = &mut self.source else {
                    return Err(Error::aborted("a replacement without its text (internal)"));
                };
                let Some(document) = owned.document.as_mut() else {
                    return Err(Error::aborted(
                        "the transaction was already rendered (internal)",
                    ));
                };
                document
                    .update_text(&text)
                    .map_err(|err| Error::malformed(&self.path, err))?;
                owned.source = source;
                owned.typed = typed;
            }
        }
        Ok(())
    }

    /// Whether [`replace_text`](Transaction::replace_text) replaced the content: the
    /// commit then writes even when no table changed.
    pub(crate) fn is_replaced(&self) -> bool {
        self.replaced.is_some()
    }

    /// For a replaced transaction, the change set the hooks see and the commit returns
    /// instead of the `changes` [`collect`](Transaction::collect) returned with `edits`:
    /// the rows that differ between the file as read and what will be written (the
    /// replacement with `edits` applied). `None` for other transactions.
    pub(crate) fn shown_changes(
        &self,
        edits: &[TableEdit],
        changes: &ChangeSet,
    ) -> Result<Option<ChangeSet>> {
        let Some(replaced) = &self.replaced else {
            return Ok(None);
        };
        if edits.is_empty() {
            return Ok(Some(replaced.diff.clone()));
        }
        let Source::Owned(owned) = &self.source else {
            return Err(Error::aborted(
                "a replaced transaction without its text (internal)",
            ));
        };
        let Some(document) = &owned.document else {
            return Err(Error::aborted(
                "the transaction was already rendered (internal)",
            ));
        };
        let written = edit::apply(&self.path, document.clone(), edits, changes)?;
        let parsed;
        let before = match &replaced.before {
            Before::Kept(source) => source.value(&self.path)?,
            Before::Edited { text, .. } => {
                parsed = Document::parse(text).map_err(|err| Error::malformed(&self.path, err))?;
                parsed.value()
            }
        };
        Ok(Some(replace::diff(
            &self.path,
            before,
            written.value(),
            &replaced.keys,
        )))
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
    /// changes as a [`ChangeSet`]: the pipeline's "collect" step. For a replaced
    /// transaction these are the edits on top of the replacement; what the hooks see is
    /// [`shown_changes`](Transaction::shown_changes).
    pub(crate) fn collect(&self) -> Result<(Vec<TableEdit>, ChangeSet)> {
        self.collect_with(true)
    }

    /// [`collect`](Transaction::collect); without `listed`, the change set lists no
    /// inserted or updated row (for a commit whose change set nobody sees): rendering
    /// encodes the inserted rows one at a time, so they are never all held as cells, and
    /// the edits alone carry the updated rows' new cells.
    pub(crate) fn collect_with(&self, listed: bool) -> Result<(Vec<TableEdit>, ChangeSet)> {
        let mut edits = Vec::new();
        let mut changes = ChangeSet::new(&self.path);
        for table in self.tables.values() {
            let collected = match listed {
                true => table.changes()?,
                false => table.changes_unlisted()?,
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
    /// the text (so has none at hand) when its edits need none: row updates and the
    /// removal of rows of one table (the rows' lines edited or removed, see
    /// [`edit::edit_row_lines`]) and, with `stream`, new tables of an
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
        if edit::edits_rows_only(edits, changes) {
            // The decoded tables are not offered to the committed snapshot (that would
            // need the committed value): dropped first, they and the text's layout are
            // never held together.
            self.tables.clear();
            let text = unshared(std::mem::take(text));
            return match edit::edit_row_lines(&self.path, text, edits)? {
                Ok(updated) => Ok(Some(Rendered::Text(updated))),
                Err(partly) => {
                    if let Source::Text { text, .. } = &mut self.source {
                        *text = Arc::new(partly);
                    }
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
            _replaced: self.replaced,
        }
    }
}

/// What a committed transaction held of the version it replaced. Dropping it frees that
/// version's memory: work worth doing after the writer lock is released.
pub(crate) struct Retired {
    _source: Source,
    _replaced: Option<Box<Replaced>>,
}

impl Source {
    /// The value of the file this source holds (`path`: the file, for errors).
    fn value(&self, path: &Path) -> Result<&Value> {
        match self {
            Source::Text { text, root, .. } => parsed_root(path, text, root),
            Source::Snapshot(snapshot) => snapshot.document(),
            Source::Owned(owned) => Ok(owned
                .document
                .as_ref()
                .map_or(empty_document(), Document::value)),
        }
    }

    /// The text of the file this source holds.
    fn text(&self) -> Result<std::borrow::Cow<'_, str>> {
        match self {
            Source::Text { text, .. } => Ok(text.as_str().into()),
            Source::Snapshot(snapshot) => match snapshot.edit_document() {
                Some(document) => Ok(document.as_str().into()),
                None => std::str::from_utf8(snapshot.bytes())
                    .map(Into::into)
                    .map_err(|_| Error::aborted("a snapshot that is not UTF-8 (internal)")),
            },
            Source::Owned(owned) => Ok(owned.document.as_ref().map_or("", Document::as_str).into()),
        }
    }
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

/// The text `shared` holds: taken when nothing else holds it (the tables that shared it
/// are dropped first), else copied.
fn unshared(shared: Arc<String>) -> String {
    Arc::try_unwrap(shared).unwrap_or_else(|shared| String::clone(&shared))
}

/// The value of an empty file, for an owned transaction whose document was taken.
fn empty_document() -> &'static Value {
    static EMPTY: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    EMPTY.get_or_init(|| Value::Dict(Default::default()))
}
