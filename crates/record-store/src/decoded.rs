//! Tables as records: a table's rows decoded as `T` (from a parsed value, with errors
//! that place a bad row or a duplicate key in the text), the snapshot's cache of decoded
//! tables, and a record encoded back into a row's cells.

use std::any::{Any, TypeId};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;

use sdn_codec::{Map, Value};

use crate::compact::CompactMap;
use crate::error::{Error, Result, TableNameProblem};
use crate::position;
use crate::record::Record;

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
}

/// A table's rows being decoded one by one, into compact maps (see [`crate::compact`]).
pub(crate) struct Building<T: Record> {
    records: CompactMap<T::Key, T>,
    original: CompactMap<T::Key, usize>,
    /// How many rows were read.
    pub(crate) row_count: usize,
    /// Whether the records are kept, or only their keys and rows (see [`crate::lazy`]).
    keep_records: bool,
}

impl<T: Record> Building<T> {
    pub(crate) fn new() -> Self {
        Building::keeping_records(true)
    }

    /// A table being read that keeps its records, or (`false`) only their keys and rows.
    pub(crate) fn keeping_records(keep_records: bool) -> Self {
        Building {
            records: CompactMap::new(),
            original: CompactMap::new(),
            row_count: 0,
            keep_records,
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
        if self.keep_records {
            self.original.insert_new(key.clone(), row);
            self.records.insert_new(key, record);
        } else {
            self.original.insert_new(key, row);
        }
        Ok(())
    }

    /// The decoded table, with the column names `columns`.
    pub(crate) fn finish(self, columns: Option<Vec<String>>) -> Decoded<T> {
        Decoded {
            records: self.records.finish(),
            original: self.original.finish(),
            row_count: self.row_count,
            columns,
        }
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
    if let Some((reason, source)) = name_problem(T::TABLE) {
        return Err(Error::InvalidTableName {
            table: T::TABLE,
            record: std::any::type_name::<T>(),
            reason,
            source,
        });
    }
    checked.lock().insert(T::TABLE);
    Ok(())
}

/// Why `name` cannot be a table name in a file, if it cannot, and the codec's error
/// behind it.
fn name_problem(name: &str) -> Option<(TableNameProblem, Option<sdn_codec::Error>)> {
    let mut doc = sdn_codec::Document::parse("").ok()?;
    let table = sdn_codec::Table::with_columns(["id"]);
    if let Err(err) = doc.set([name], Value::Table(table)) {
        return Some((TableNameProblem::NotAKey, Some(err)));
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
        Ok(_) => Some((
            TableNameProblem::ReadsBackAsAnotherName { header: written },
            None,
        )),
        Err(err) => Some((
            TableNameProblem::HeaderDoesNotParse { header: written },
            Some(err),
        )),
    }
}

/// Encodes `record` as a map from column name to cell.
pub(crate) fn encode<T: Record>(path: &Path, record: &T) -> Result<Map> {
    match sdn_codec::to_value(record) {
        Ok(Value::Dict(map)) => Ok(map),
        Ok(other) => Err(Error::record(
            path,
            T::TABLE,
            format!(
                "a record must serialize to a flat struct, not a {}",
                other.kind_name()
            ),
        )),
        Err(err) => Err(Error::record_caused(
            path,
            T::TABLE,
            "cannot encode the record",
            err,
        )),
    }
}

/// Decodes table `T::TABLE` of `root`, parsed from `text`; a missing table is empty.
/// Errors name the line (and column) of the row, from `text`.
pub(crate) fn decode<T: Record>(path: &Path, text: &str, root: &Value) -> Result<Decoded<T>> {
    check_name::<T>()?;
    let Some(entry) = root.get(T::TABLE) else {
        return Ok(Decoded::empty());
    };
    let Some(table) = entry.as_table() else {
        return Err(Error::NotATable {
            path: path.to_path_buf(),
            table: T::TABLE.to_owned(),
            found: entry.kind_name(),
            line: position::entry_line(text, T::TABLE),
        });
    };
    let mut decoded = Building::new();
    decoded.row_count = table.rows.len();
    let columns = table.column_keys();
    for row in 0..table.rows.len() {
        let record = match decode_row::<T>(&columns, table, row) {
            Ok(Some(record)) => record,
            Ok(None) => continue,
            Err(err) => return Err(row_error::<T>(path, text, &columns, row, err)),
        };
        if let Err((first, key)) = decoded.add(row, record) {
            return Err(duplicate_key::<T>(path, text, &key, first, row));
        }
    }
    Ok(decoded.finish(Some(columns)))
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
pub(crate) fn decode_row<T: Record>(
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
/// and, when the codec's value path names the cell, that column and where its cell
/// starts. The codec's error is the source.
fn row_error<T: Record>(
    path: &Path,
    text: &str,
    columns: &[String],
    row: usize,
    err: sdn_codec::Error,
) -> Error {
    let index = err
        .value_path()
        .and_then(|field| columns.iter().position(|c| c == field));
    let field = index.map(|index| Box::<str>::from(columns[index].as_str()));
    let line = position::row_line(text, T::TABLE, row);
    let column = index
        .zip(line)
        .and_then(|(index, line)| position::cell_column(position::line_text(text, line)?, index))
        .unwrap_or(0);
    Error::Record {
        path: path.to_path_buf(),
        table: T::TABLE.to_owned(),
        line,
        column,
        field,
        message: format!(
            "row {} does not read as {}",
            row + 1,
            std::any::type_name::<T>()
        )
        .into(),
        source: Some(err),
    }
}
