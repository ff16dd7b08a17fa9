//! Typed tables inside a transaction: the bookkeeping that turns a transaction's changes
//! into row edits (decoding the rows is [`crate::decoded`]'s work).

use std::any::Any;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use sdn_codec::{Map, Value};

use crate::append_map::AppendMap;
use crate::changes::{InsertedRow, RemovedRow, TableChanges, UpdatedRow};
use crate::compact;
use crate::decoded::{Decoded, decode_row, encode};
use crate::edit::TableEdit;
use crate::error::{Error, Result};
use crate::lazy::RowLines;
use crate::record::Record;
use crate::rows::Rows;
use crate::snapshot::Snapshot;

/// One table inside a transaction: read it, change it; the changes are written when the
/// transaction commits.
///
/// Records are kept in key order. Only rows whose record really changed are rewritten;
/// columns the record type does not know keep their cells.
pub struct Table<T: Record> {
    path: PathBuf,
    records: Rows<T>,
    /// Each key's row position in the file as read.
    original: BTreeMap<T::Key, usize>,
    /// What each record of the file that this transaction could have changed encoded to
    /// before it was first handed out mutably: only these are compared at commit.
    touched: BTreeMap<T::Key, Map>,
    row_count: usize,
    columns: Option<Vec<String>>,
    /// Keys of the file whose record was removed (perhaps inserted again since): with
    /// `touched`, every key of the file a commit must look at, so a commit's work is
    /// proportional to what changed, not to the table.
    removed: BTreeSet<T::Key>,
    /// Keys that were not in the file, in order of first insertion (new rows are appended
    /// in this order); a key removed since is skipped where it is read.
    inserted: Vec<T::Key>,
    /// Keys of `inserted` that were removed since: the only keys `inserted` already lists
    /// when they are inserted again (a set of every inserted key would cost a large
    /// insert a tenth of the file's size, for the rare insert–remove–insert).
    dropped_inserts: BTreeSet<T::Key>,
    /// Records added since `records` was last rebuilt compact (see [`Table::grew`]).
    grown: usize,
}

impl<T: Record> std::fmt::Debug for Table<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Table")
            .field("table", &T::TABLE)
            .field("path", &self.path)
            .field("len", &self.records.len())
            .finish_non_exhaustive()
    }
}

impl<T: Record> Table<T> {
    pub(crate) fn new(path: &Path, decoded: Decoded<T>) -> Self {
        Table {
            path: path.to_path_buf(),
            records: Rows::Decoded(AppendMap::new(decoded.records)),
            original: decoded.original,
            touched: BTreeMap::new(),
            row_count: decoded.row_count,
            columns: decoded.columns,
            removed: BTreeSet::new(),
            inserted: Vec::new(),
            dropped_inserts: BTreeSet::new(),
            grown: 0,
        }
    }

    /// A table whose records are decoded from `lines` when asked for (see
    /// [`crate::lazy`]); `keys` has the keys and rows of the file, and no records.
    pub(crate) fn lazy(path: &Path, keys: Decoded<T>, lines: RowLines) -> Self {
        let records = Rows::lazy(path, &keys.original, lines);
        Table {
            records,
            ..Table::new(path, keys)
        }
    }

    /// The record with `key`.
    pub fn get(&self, key: &T::Key) -> Option<&T> {
        self.records.get(key)
    }

    /// The record with `key`, to change in place (its key must stay the same).
    pub fn get_mut(&mut self, key: &T::Key) -> Option<&mut T> {
        self.touch(key);
        self.records.get_mut(key)
    }

    /// Whether a record with `key` exists.
    pub fn contains_key(&self, key: &T::Key) -> bool {
        self.records.contains_key(key)
    }

    /// Adds `record`; fails with [`Error::KeyExists`] when its key is taken.
    pub fn insert(&mut self, record: T) -> Result<()> {
        let key = record.key();
        let tree_before = self.records.tree_len();
        match self.records.insert_new(key.clone(), record) {
            Err(_) => Err(Error::KeyExists {
                table: T::TABLE,
                key: key.to_string(),
            }),
            Ok(()) => {
                self.note_inserted(key);
                self.grew(tree_before);
                Ok(())
            }
        }
    }

    /// Adds or replaces `record`; returns the record it replaced.
    pub fn upsert(&mut self, record: T) -> Option<T> {
        let key = record.key();
        self.touch(&key);
        let tree_before = self.records.tree_len();
        let previous = self.records.insert(key.clone(), record);
        if previous.is_none() {
            self.note_inserted(key);
            self.grew(tree_before);
        }
        previous
    }

    /// Removes and returns the record with `key`.
    pub fn remove(&mut self, key: &T::Key) -> Option<T> {
        self.touch(key);
        let removed = self.records.remove(key);
        if removed.is_some() {
            match self.original.contains_key(key) {
                true => self.removed.insert(key.clone()),
                false => self.dropped_inserts.insert(key.clone()),
            };
        }
        removed
    }

    /// Keeps only the records for which `keep` returns true.
    pub fn retain(&mut self, mut keep: impl FnMut(&T) -> bool) {
        let dropped: Vec<T::Key> = self
            .records
            .iter()
            .filter(|(_, record)| !keep(record))
            .map(|(key, _)| key.clone())
            .collect();
        for key in dropped {
            self.remove(&key);
        }
    }

    /// Remembers how a record of the file encoded before this transaction could change
    /// it (a record removed and inserted again is compared with its original too).
    fn touch(&mut self, key: &T::Key) {
        if self.original.contains_key(key)
            && !self.touched.contains_key(key)
            && let Some(record) = self.records.get(key)
            && let Ok(encoded) = encode(&self.path, record)
        {
            self.touched.insert(key.clone(), encoded);
        }
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

    /// Whether there are no records.
    pub fn is_empty(&self) -> bool {
        self.records.len() == 0
    }

    /// The largest key, handy for allocating the next id.
    pub fn last_key(&self) -> Option<&T::Key> {
        self.records.keys().next_back()
    }

    /// Notes a record added, when it went into the table's tree (`tree_before`: the
    /// tree's size before). A decoded table keeps records added after its last key out
    /// of the tree (see [`crate::append_map`]); records added in key order elsewhere
    /// (a lazy table, or between keys) leave the tree's nodes about half full: once a
    /// quarter of the tree came since it was last rebuilt, it is rebuilt compact (see
    /// [`compact::rebuild`]), so it costs little more than its records.
    fn grew(&mut self, tree_before: usize) {
        let tree = self.records.tree_len();
        // More than one more: the vector's records moved in too, already compact.
        if tree != tree_before + 1 {
            return;
        }
        self.grown += 1;
        if tree >= compact::REBUILD_FROM && self.grown * 4 >= tree {
            self.records.rebuild_compact();
            self.grown = 0;
        }
    }

    /// Notes `key`, just added with no record under it before, as inserted unless the
    /// file or `inserted` already has it.
    fn note_inserted(&mut self, key: T::Key) {
        if !self.original.contains_key(&key) && !self.dropped_inserts.remove(&key) {
            self.inserted.push(key);
        }
    }

    /// The row edits that turn the file's table into this one, and the same changes as
    /// the code above sees them; `None` when nothing changed.
    ///
    /// Only the keys this transaction touched (handed out mutably, upserted, removed)
    /// and the keys it inserted are looked at.
    fn changes(&self) -> Result<Option<(TableEdit, TableChanges)>> {
        self.changes_with(true)
    }

    /// [`Table::changes`]; without `listed`, the change set lists no inserted or updated
    /// row: the edit counts the inserted ones instead ([`TableEdit::pending_inserts`]),
    /// to be encoded again one at a time ([`Table::for_each_inserted`]), and holds the
    /// updated ones' new cells.
    fn changes_with(&self, listed: bool) -> Result<Option<(TableEdit, TableChanges)>> {
        let mut edit = TableEdit::new(T::TABLE);
        let mut changes = TableChanges::default();
        let mut changed_rows: BTreeMap<usize, Map> = BTreeMap::new();
        let mut new_column_names: Vec<String> = Vec::new();
        let known_column = |name: &str, new: &[String]| {
            self.columns
                .as_ref()
                .is_some_and(|columns| columns.iter().any(|c| c == name))
                || new.iter().any(|c| c == name)
        };
        let candidates: BTreeSet<&T::Key> = self.touched.keys().chain(&self.removed).collect();
        for key in candidates {
            let Some(&row) = self.original.get(key) else {
                continue;
            };
            let before = self.touched.get(key);
            let Some(record) = self.records.get(key) else {
                edit.removed_rows.push(row);
                changes.removed.push(RemovedRow {
                    key: key.to_string(),
                    old: before.cloned().unwrap_or_default(),
                });
                continue;
            };
            let Some(before) = before else {
                continue;
            };
            self.check_key(key, record)?;
            let encoded = encode(&self.path, record)?;
            let mut cells = Map::new();
            for (position, (name, value)) in encoded.iter().enumerate() {
                if cell_before(before, position, name) != Some(value) {
                    if !known_column(name, &new_column_names) {
                        new_column_names.push(name.to_owned());
                    }
                    cells.insert(name, value.clone());
                }
            }
            if cells.is_empty() && encoded.len() == before.len() {
                continue;
            }
            changed_rows.insert(row, cells);
            if listed {
                changes.updated.push(UpdatedRow {
                    key: key.to_string(),
                    old: before.clone(),
                    new: encoded,
                });
            }
        }
        for key in &self.inserted {
            let Some(record) = self.records.get(key) else {
                continue;
            };
            self.check_key(key, record)?;
            let encoded = encode(&self.path, record)?;
            for (name, _) in encoded.iter() {
                if !known_column(name, &new_column_names) {
                    new_column_names.push(name.to_owned());
                }
            }
            if listed {
                // The change set's row is also what the editor appends: no second copy.
                changes.inserted.push(InsertedRow {
                    key: key.to_string(),
                    row: encoded,
                });
            } else {
                edit.pending_inserts += 1;
            }
        }
        if changes.is_empty() && edit.pending_inserts == 0 && changed_rows.is_empty() {
            return Ok(None);
        }
        if self.columns.is_none() {
            edit.create_columns = Some(new_column_names);
        } else if !new_column_names.is_empty() {
            // Existing rows get their own record's value for a new column, so adding the
            // column does not change what any row reads as.
            let mut by_row: BTreeMap<usize, Map> = BTreeMap::new();
            self.records.decode_rest();
            for (key, &row) in &self.original {
                let encoded = match (self.touched.get(key), self.records.get(key)) {
                    (Some(before), _) => before.clone(),
                    (None, Some(record)) => encode(&self.path, record)?,
                    (None, None) => continue,
                };
                by_row.insert(row, encoded);
            }
            for name in new_column_names {
                let cells = (0..self.row_count)
                    .map(|row| {
                        by_row
                            .get(&row)
                            .and_then(|encoded| encoded.get(&name))
                            .cloned()
                            .unwrap_or_else(|| Value::from(""))
                    })
                    .collect();
                edit.new_columns.push((name, cells));
            }
        }
        self.check_decoded()?;
        edit.updated_rows = changed_rows.into_iter().collect();
        Ok(Some((edit, changes)))
    }

    /// Fails when a record could not be decoded again from the file's text (see
    /// [`crate::lazy`]): what the transaction saw is then not the file.
    fn check_decoded(&self) -> Result<()> {
        match self.records.failed() {
            false => Ok(()),
            true => Err(Error::record(
                &self.path,
                T::TABLE,
                "a record read differently when it was decoded again (is its Deserialize \
                 deterministic?)",
            )),
        }
    }

    /// What [`decode`] returns for `root`, the value of the file this transaction just
    /// committed, computed without decoding every row; `None` when that cannot be shown
    /// cheaply (rows were added or removed, the columns changed, a row reads back
    /// differently), and the next user decodes the table itself.
    ///
    /// Why it is exact: only rows were updated in place, so every row this transaction
    /// never handed out mutably has the same position and cells as in the file it
    /// decoded them from, and decoding is deterministic; every row it did hand out is
    /// decoded again from `root`.
    ///
    /// Without `root` (a snapshot of text alone), only a table this transaction did not
    /// change is given: it is what it decoded.
    fn into_committed(self, root: Option<&Value>) -> Option<Decoded<T>> {
        let Table {
            path: _,
            records,
            original,
            touched,
            row_count,
            columns,
            inserted,
            removed,
            ..
        } = self;
        let mut records = records.into_decoded()?;
        let Some(root) = root else {
            let unchanged = touched.is_empty() && removed.is_empty() && inserted.is_empty();
            return unchanged.then_some(Decoded {
                records,
                original,
                row_count,
                columns,
            });
        };
        let table = root.get(T::TABLE)?.as_table()?;
        let same_columns = columns.as_ref().is_some_and(|names| {
            names.len() == table.columns.len()
                && names
                    .iter()
                    .zip(&table.columns)
                    .enumerate()
                    .all(|(i, (name, column))| match &column.name {
                        Some(column) => column == name,
                        None => *name == i.to_string(),
                    })
        });
        if !same_columns
            || table.rows.len() != row_count
            || records.len() != original.len()
            || inserted.iter().any(|key| records.contains_key(key))
        {
            return None;
        }
        let names = columns.as_deref()?;
        for key in touched.keys() {
            let &row = original.get(key)?;
            let record = decode_row::<T>(names, table, row).ok()??;
            if record.key() != *key {
                return None;
            }
            records.insert(key.clone(), record);
        }
        Some(Decoded {
            records,
            original,
            row_count,
            columns,
        })
    }

    /// Applies `changes` (from [`Transaction::changes`](crate::Transaction::changes),
    /// perhaps of another replica) to this table: removed keys are removed (a key not
    /// here is no change), updated rows are upserted, inserted rows inserted. Fails with
    /// [`Error::KeyExists`] when an inserted key is taken, and with [`Error::Record`] when
    /// a row does not read as `T` or its key is not the key it is given under; the
    /// table may then be partly changed: return the error from the transaction, and
    /// nothing is written.
    ///
    /// ```
    /// use record_store::{ChangeSet, Record, Store};
    /// # #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
    /// # struct Note { id: u32, text: String }
    /// # impl Record for Note {
    /// #     const TABLE: &'static str = "notes";
    /// #     type Key = u32;
    /// #     fn key(&self) -> u32 { self.id }
    /// # }
    /// let dir = tempfile::tempdir()?;
    /// let (ours, theirs) = (Store::open(dir.path().join("a.sdn"))?, Store::open(dir.path().join("b.sdn"))?);
    /// // A change made on one replica...
    /// let committed = ours.commit(|tx| {
    ///     tx.table::<Note>()?.insert(Note { id: 1, text: "hello".into() })?;
    ///     Ok::<_, record_store::Error>(())
    /// })?;
    /// // ...applied to another through the same commit pipeline.
    /// theirs.update(|tx| {
    ///     let changes = committed.changes.table(Note::TABLE).unwrap();
    ///     tx.table::<Note>()?.apply(changes)
    /// })?;
    /// assert_eq!(theirs.read()?.get::<Note>(&1)?.unwrap().text, "hello");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn apply(&mut self, changes: &TableChanges) -> Result<()> {
        for removed in &changes.removed {
            let key = match self.decode_change(&removed.key, &removed.old) {
                Ok(record) => Some(record.key()),
                // A removal may carry the key alone.
                Err(_) => self
                    .records
                    .keys()
                    .find(|key| key.to_string() == removed.key)
                    .cloned(),
            };
            if let Some(key) = key {
                self.remove(&key);
            }
        }
        for updated in &changes.updated {
            let record = self.decode_change(&updated.key, &updated.new)?;
            self.upsert(record);
        }
        for inserted in &changes.inserted {
            let record = self.decode_change(&inserted.key, &inserted.row)?;
            self.insert(record)?;
        }
        Ok(())
    }

    /// `row` of a change set read as `T`, checked to have the key `key`.
    fn decode_change(&self, key: &str, row: &Map) -> Result<T> {
        let record: T = sdn_codec::from_value(Value::Dict(row.clone())).map_err(|err| {
            Error::record_caused(
                &self.path,
                T::TABLE,
                format!(
                    "the changed row `{key}` does not read as {}",
                    std::any::type_name::<T>()
                ),
                err,
            )
        })?;
        let actual = record.key().to_string();
        if actual != key {
            return Err(Error::record(
                &self.path,
                T::TABLE,
                format!("the changed row `{key}` has the key `{actual}`"),
            ));
        }
        Ok(record)
    }

    /// Calls `each` with every inserted row, as [`Table::changes`] lists them.
    fn for_each_inserted(&self, each: &mut dyn FnMut(InsertedRow) -> Result<()>) -> Result<()> {
        for key in &self.inserted {
            if let Some(record) = self.records.get(key) {
                each(InsertedRow {
                    key: key.to_string(),
                    row: encode(&self.path, record)?,
                })?;
            }
        }
        Ok(())
    }

    fn check_key(&self, key: &T::Key, record: &T) -> Result<()> {
        let actual = record.key();
        if &actual == key {
            Ok(())
        } else {
            Err(Error::KeyChanged {
                table: T::TABLE,
                key: key.to_string(),
                new_key: actual.to_string(),
            })
        }
    }
}

/// The cell `name` of `before`, a record's row encoded earlier: looked up where the same
/// record type put it (`position`) before searching by name.
fn cell_before<'m>(before: &'m Map, position: usize, name: &str) -> Option<&'m Value> {
    match before.get_index(position) {
        Some((at, value)) if at == name => Some(value),
        _ => before.get(name),
    }
}

/// A typed table held by a transaction, with its type erased.
pub(crate) trait AnyTable: Send {
    fn changes(&self) -> Result<Option<(TableEdit, TableChanges)>>;
    /// [`changes`](AnyTable::changes) without the inserted and updated rows in the change
    /// set (the inserted ones counted in [`TableEdit::pending_inserts`], given by
    /// [`for_each_inserted`](AnyTable::for_each_inserted)).
    fn changes_unlisted(&self) -> Result<Option<(TableEdit, TableChanges)>> {
        self.changes()
    }
    /// Calls `each` with every row [`changes`](AnyTable::changes) lists as inserted.
    fn for_each_inserted(&self, _each: &mut dyn FnMut(InsertedRow) -> Result<()>) -> Result<()> {
        Ok(())
    }
    fn apply(&mut self, changes: &TableChanges) -> Result<()>;
    /// Whether the table decodes records when asked for, from (a share of) the text the
    /// transaction read (see [`crate::lazy`]).
    fn is_lazy(&self) -> bool {
        false
    }
    fn type_name(&self) -> &'static str;
    fn as_any_mut(&mut self) -> &mut dyn Any;
    /// Offers this table, as committed to a file whose snapshot is `snapshot`, to that
    /// snapshot's typed cache (see [`Table::into_committed`]).
    fn seed(self: Box<Self>, snapshot: &Snapshot);
}

impl<T: Record> AnyTable for Table<T> {
    fn changes(&self) -> Result<Option<(TableEdit, TableChanges)>> {
        Table::changes(self)
    }

    fn changes_unlisted(&self) -> Result<Option<(TableEdit, TableChanges)>> {
        Table::changes_with(self, false)
    }

    fn for_each_inserted(&self, each: &mut dyn FnMut(InsertedRow) -> Result<()>) -> Result<()> {
        Table::for_each_inserted(self, each)
    }

    fn apply(&mut self, changes: &TableChanges) -> Result<()> {
        Table::apply(self, changes)
    }

    fn is_lazy(&self) -> bool {
        self.records.is_lazy()
    }

    fn type_name(&self) -> &'static str {
        std::any::type_name::<T>()
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }

    fn seed(self: Box<Self>, snapshot: &Snapshot) {
        // A snapshot with a document has its value at hand; one of text alone would
        // parse it (several times the text's size) just for this: not asked for.
        let root = snapshot.edit_document().map(sdn_codec::Document::value);
        if let Some(decoded) = self.into_committed(root) {
            snapshot.seed_decoded(decoded);
        }
    }
}
