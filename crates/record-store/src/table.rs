//! Typed tables: decoding rows into records, and the bookkeeping that turns a
//! transaction's changes into row edits.

use std::any::{Any, TypeId};
use std::collections::btree_map;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use sdn_codec::{Map, Value};

use crate::changes::{InsertedRow, RemovedRow, TableChanges, UpdatedRow};
use crate::edit::TableEdit;
use crate::error::{Error, Result};
use crate::position;
use crate::record::Record;
use crate::snapshot::Snapshot;

/// A table's rows decoded as `T`, with each key's original row.
#[derive(Clone)]
pub(crate) struct Decoded<T: Record> {
    pub(crate) records: BTreeMap<T::Key, T>,
    /// Each key's row position in the file.
    pub(crate) original: BTreeMap<T::Key, usize>,
    pub(crate) row_count: usize,
    pub(crate) columns: Option<Vec<String>>,
}

impl<T: Record> Decoded<T> {
    /// No rows: a table the file does not have.
    pub(crate) fn empty() -> Self {
        Decoded {
            records: BTreeMap::new(),
            original: BTreeMap::new(),
            row_count: 0,
            columns: None,
        }
    }

    /// Adds `record`, read from row `row`. When its key was already read, adds nothing
    /// and returns the first row with that key, and the key.
    pub(crate) fn add(
        &mut self,
        row: usize,
        record: T,
    ) -> std::result::Result<(), (usize, T::Key)> {
        let key = record.key();
        if let Some(&first) = self.original.get(&key) {
            return Err((first, key));
        }
        self.original.insert(key.clone(), row);
        self.records.insert(key, record);
        Ok(())
    }
}

/// A decoded table in a snapshot's typed cache, its record type erased.
pub(crate) trait CachedTable: Any + Send + Sync {
    /// The table (root key) it decodes.
    fn table_name(&self) -> &'static str;
    /// Brings the table up to date with the file's new value `root`, in which only row
    /// `row` of this table changed: decodes that row again. `false` when the result
    /// cannot be shown to equal a fresh decode (the row's key changed, say); the entry
    /// must then be dropped.
    fn refresh_row(&mut self, root: &Value, row: usize) -> bool;
}

/// Decoded tables by record type, each a `Decoded<T>`.
pub(crate) type TypedCache = HashMap<TypeId, Arc<dyn CachedTable>>;

/// Brings `typed` up to date after row `row` of root table `table` changed; entries it
/// cannot update (or shares with a reader) are dropped, to be decoded again on use.
pub(crate) fn refresh_row(typed: &mut TypedCache, root: &Value, table: &str, row: usize) {
    typed.retain(|_, cached| {
        cached.table_name() != table
            || Arc::get_mut(cached).is_some_and(|cached| cached.refresh_row(root, row))
    });
}

impl<T: Record> CachedTable for Decoded<T> {
    fn table_name(&self) -> &'static str {
        T::TABLE
    }

    fn refresh_row(&mut self, root: &Value, row: usize) -> bool {
        let Some(table) = root.get(T::TABLE).and_then(Value::as_table) else {
            return false;
        };
        let (Some(columns), true) = (self.columns.as_deref(), table.rows.len() == self.row_count)
        else {
            return false;
        };
        let Some(key) = self
            .original
            .iter()
            .find_map(|(key, &at)| (at == row).then(|| key.clone()))
        else {
            return false;
        };
        match decode_row::<T>(columns, table, row) {
            Ok(Some(record)) if record.key() == key => {
                self.records.insert(key, record);
                true
            }
            _ => false,
        }
    }
}

fn record_error(path: &Path, table: &str, message: impl Into<String>) -> Error {
    Error::Record {
        path: path.to_path_buf(),
        table: table.to_owned(),
        line: None,
        column: 0,
        field: None,
        message: message.into(),
    }
}

/// Refuses a record type whose table name SDN cannot hold, the first time a store meets
/// the name: the name is written as a table header and must read back as exactly that
/// one table.
pub(crate) fn check_name<T: Record>() -> Result<()> {
    type Checked = parking_lot::Mutex<std::collections::HashSet<&'static str>>;
    static CHECKED: std::sync::OnceLock<Checked> = std::sync::OnceLock::new();
    let checked = CHECKED.get_or_init(Checked::default);
    if checked.lock().contains(T::TABLE) {
        return Ok(());
    }
    if let Some(reason) = name_problem(T::TABLE) {
        return Err(Error::InvalidTableName {
            table: T::TABLE,
            record: std::any::type_name::<T>(),
            reason,
        });
    }
    checked.lock().insert(T::TABLE);
    Ok(())
}

/// Why `name` cannot be a table name in a file, if it cannot.
fn name_problem(name: &str) -> Option<String> {
    let mut doc = sdn_codec::Document::parse("").ok()?;
    let table = sdn_codec::Table::with_columns(["id"]);
    if let Err(err) = doc.set([name], Value::Table(table)) {
        return Some(err.message().to_owned());
    }
    let written = doc.as_str().trim_end().to_owned();
    match sdn_codec::parse(doc.as_str()) {
        Ok(root)
            if root.as_dict().is_some_and(|entries| {
                entries.len() == 1 && entries.get(name).and_then(Value::as_table).is_some()
            }) =>
        {
            None
        }
        Ok(_) => Some(format!("its header `{written}` reads back as another name")),
        Err(err) => Some(format!(
            "its header `{written}` does not parse: {}",
            err.message()
        )),
    }
}

/// Encodes `record` as a map from column name to cell.
pub(crate) fn encode<T: Record>(path: &Path, record: &T) -> Result<Map> {
    match sdn_codec::to_value(record) {
        Ok(Value::Dict(map)) => Ok(map),
        Ok(other) => Err(record_error(
            path,
            T::TABLE,
            format!(
                "a record must serialize to a flat struct, not a {}",
                other.kind_name()
            ),
        )),
        Err(err) => Err(record_error(
            path,
            T::TABLE,
            format!("cannot encode record: {}", err.message()),
        )),
    }
}

/// Decodes table `T::TABLE` of `text`, whose parsed value `root` returns; a missing
/// table is empty. Straight from the text when it can be (see [`crate::direct`]): the
/// value is only asked for when that fails, to decode (and place an error) from it.
pub(crate) fn decode_text<'a, T: Record>(
    path: &Path,
    text: &'a str,
    root: impl FnOnce() -> Result<&'a Value>,
) -> Result<Decoded<T>> {
    check_name::<T>()?;
    match crate::direct::decode::<T>(path, text) {
        Some(decoded) => decoded,
        None => decode(path, text, root()?),
    }
}

/// Decodes table `T::TABLE` of `root`, parsed from `text`; a missing table is empty.
/// Errors name the line (and column) of the row, from `text`.
pub(crate) fn decode<T: Record>(path: &Path, text: &str, root: &Value) -> Result<Decoded<T>> {
    check_name::<T>()?;
    let mut decoded = Decoded::empty();
    let Some(entry) = root.get(T::TABLE) else {
        return Ok(decoded);
    };
    let Some(table) = entry.as_table() else {
        return Err(Error::NotATable {
            path: path.to_path_buf(),
            table: T::TABLE.to_owned(),
            found: entry.kind_name(),
            line: position::entry_line(text, T::TABLE),
        });
    };
    decoded.row_count = table.rows.len();
    let columns = table.column_keys();
    for row in 0..table.rows.len() {
        let record = match decode_row::<T>(&columns, table, row) {
            Ok(Some(record)) => record,
            Ok(None) => continue,
            Err(err) => return Err(row_error::<T>(path, text, &columns, row, &err)),
        };
        if let Err((first, key)) = decoded.add(row, record) {
            return Err(duplicate_key::<T>(path, text, &key, first, row));
        }
    }
    decoded.columns = Some(columns);
    Ok(decoded)
}

/// The error for `key` found on rows `first` and `second` (0-based) of table `T::TABLE`
/// of `text`.
pub(crate) fn duplicate_key<T: Record>(
    path: &Path,
    text: &str,
    key: &T::Key,
    first: usize,
    second: usize,
) -> Error {
    Error::DuplicateKeyInFile {
        path: path.to_path_buf(),
        table: T::TABLE.to_owned(),
        key: key.to_string(),
        first_row: first + 1,
        second_row: second + 1,
        first_line: position::row_line(text, T::TABLE, first).unwrap_or(0),
        second_line: position::row_line(text, T::TABLE, second).unwrap_or(0),
    }
}

/// Decodes row `row` of `table`, whose column names are `columns`, as `T` (`None`: no
/// such row).
fn decode_row<T: Record>(
    columns: &[String],
    table: &sdn_codec::Table,
    row: usize,
) -> std::result::Result<Option<T>, sdn_codec::Error> {
    let Some(cells) = table.rows.get(row) else {
        return Ok(None);
    };
    sdn_codec::from_row(columns, cells.clone()).map(Some)
}

/// The error for row `row` (0-based) that did not read as `T`: the row's line in `text`
/// and, when the codec names the cell (`at `column`: ...`), that column and where its
/// cell starts.
fn row_error<T: Record>(
    path: &Path,
    text: &str,
    columns: &[String],
    row: usize,
    err: &sdn_codec::Error,
) -> Error {
    let message = err.message();
    let (field, reason) = match message
        .strip_prefix("at `")
        .and_then(|rest| rest.split_once("`: "))
    {
        Some((field, reason)) if columns.iter().any(|c| c == field) => {
            (Some(Box::<str>::from(field)), reason)
        }
        _ => (None, message),
    };
    let line = position::row_line(text, T::TABLE, row);
    let column = match (&field, line) {
        (Some(field), Some(line)) => columns
            .iter()
            .position(|c| **c == **field)
            .and_then(|index| position::cell_column(position::line_text(text, line)?, index)),
        _ => None,
    }
    .unwrap_or(0);
    Error::Record {
        path: path.to_path_buf(),
        table: T::TABLE.to_owned(),
        line,
        column,
        field,
        message: format!(
            "row {} does not read as {}: {reason}",
            row + 1,
            std::any::type_name::<T>()
        ),
    }
}

/// One table inside a transaction: read it, change it; the changes are written when the
/// transaction commits.
///
/// Records are kept in key order. Only rows whose record really changed are rewritten;
/// columns the record type does not know keep their cells.
pub struct Table<T: Record> {
    path: PathBuf,
    records: BTreeMap<T::Key, T>,
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
    /// in this order).
    inserted: Vec<T::Key>,
    /// The keys of `inserted`, to look up without a scan.
    inserted_keys: BTreeSet<T::Key>,
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
            records: decoded.records,
            original: decoded.original,
            touched: BTreeMap::new(),
            row_count: decoded.row_count,
            columns: decoded.columns,
            removed: BTreeSet::new(),
            inserted: Vec::new(),
            inserted_keys: BTreeSet::new(),
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
        match self.records.entry(key.clone()) {
            btree_map::Entry::Occupied(_) => Err(Error::KeyExists {
                table: T::TABLE,
                key: key.to_string(),
            }),
            btree_map::Entry::Vacant(slot) => {
                slot.insert(record);
                self.note_inserted(key);
                Ok(())
            }
        }
    }

    /// Adds or replaces `record`; returns the record it replaced.
    pub fn upsert(&mut self, record: T) -> Option<T> {
        let key = record.key();
        self.touch(&key);
        let previous = self.records.insert(key.clone(), record);
        if previous.is_none() {
            self.note_inserted(key);
        }
        previous
    }

    /// Removes and returns the record with `key`.
    pub fn remove(&mut self, key: &T::Key) -> Option<T> {
        self.touch(key);
        let removed = self.records.remove(key);
        if removed.is_some() && self.original.contains_key(key) {
            self.removed.insert(key.clone());
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
        self.records.is_empty()
    }

    /// The largest key, handy for allocating the next id.
    pub fn last_key(&self) -> Option<&T::Key> {
        self.records.keys().next_back()
    }

    fn note_inserted(&mut self, key: T::Key) {
        if !self.original.contains_key(&key) && self.inserted_keys.insert(key.clone()) {
            self.inserted.push(key);
        }
    }

    /// The row edits that turn the file's table into this one, and the same changes as
    /// the code above sees them; `None` when nothing changed.
    ///
    /// Only the keys this transaction touched (handed out mutably, upserted, removed)
    /// and the keys it inserted are looked at.
    fn changes(&self) -> Result<Option<(TableEdit, TableChanges)>> {
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
            if encoded == *before {
                continue;
            }
            let mut cells = Map::new();
            for (name, value) in encoded.iter() {
                if before.get(name) != Some(value) {
                    if !known_column(name, &new_column_names) {
                        new_column_names.push(name.to_owned());
                    }
                    cells.insert(name, value.clone());
                }
            }
            changed_rows.insert(row, cells);
            changes.updated.push(UpdatedRow {
                key: key.to_string(),
                old: before.clone(),
                new: encoded,
            });
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
            // The change set's row is also what the editor appends: no second copy.
            changes.inserted.push(InsertedRow {
                key: key.to_string(),
                row: encoded,
            });
        }
        if changes.is_empty() {
            return Ok(None);
        }
        if self.columns.is_none() {
            edit.create_columns = Some(new_column_names);
        } else if !new_column_names.is_empty() {
            // Existing rows get their own record's value for a new column, so adding the
            // column does not change what any row reads as.
            let mut by_row: BTreeMap<usize, Map> = BTreeMap::new();
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
        edit.updated_rows = changed_rows.into_iter().collect();
        Ok(Some((edit, changes)))
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
    fn into_committed(self, root: &Value) -> Option<Decoded<T>> {
        let Table {
            path: _,
            mut records,
            original,
            touched,
            row_count,
            columns,
            inserted,
            ..
        } = self;
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
            record_error(
                &self.path,
                T::TABLE,
                format!(
                    "the changed row `{key}` does not read as {}: {}",
                    std::any::type_name::<T>(),
                    err.message()
                ),
            )
        })?;
        let actual = record.key().to_string();
        if actual != key {
            return Err(record_error(
                &self.path,
                T::TABLE,
                format!("the changed row `{key}` has the key `{actual}`"),
            ));
        }
        Ok(record)
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

/// A typed table held by a transaction, with its type erased.
pub(crate) trait AnyTable: Send {
    fn changes(&self) -> Result<Option<(TableEdit, TableChanges)>>;
    fn apply(&mut self, changes: &TableChanges) -> Result<()>;
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

    fn apply(&mut self, changes: &TableChanges) -> Result<()> {
        Table::apply(self, changes)
    }

    fn type_name(&self) -> &'static str {
        std::any::type_name::<T>()
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }

    fn seed(self: Box<Self>, snapshot: &Snapshot) {
        // A committed snapshot holds its document, so its value is at hand.
        if let Ok(document) = snapshot.document()
            && let Some(decoded) = self.into_committed(document)
        {
            snapshot.seed_decoded(decoded);
        }
    }
}
