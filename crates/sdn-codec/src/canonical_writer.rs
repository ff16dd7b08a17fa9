//! Canonical writer (SPEC §8).
//!
//! Output is deterministic (the same value always gives the same bytes), reads back to
//! an equal value, and uses only forms every SDN reader agrees on: root entries at
//! column 0, nested blocks indented 4 spaces, `- ` list items, named tables with `, `
//! between cells, strings plain only when they match `[A-Za-z_][A-Za-z0-9_./#-]*` and
//! are not a keyword, floats always with a `.` or an exponent.
//!
//! Layout rules beyond the SPEC (fixed, so output is stable):
//! - an array holding no dict is written inline when its inline form is at most
//!   [`INLINE_ARRAY_MAX`] characters (`m: [[1, [2]]]`); otherwise, and always for an
//!   array holding dicts, as a block of `- item` lines with **each item inline**
//!   (`- {name: cube, shape: box}`, `- [1, 2]`), however long the line;
//! - the multi-line item forms `- key: value` (a dict block after the marker) and a
//!   bare `-` line are never written, because other SDN readers misread them; the one
//!   exception is an item holding a table somewhere inside, which has no inline form;
//! - an empty array or dict is written `[]` / `{}`;
//! - keys are plain when they can be, and quoted when they begin with `.` or `/`;
//! - null is written `null`.
//!
//! The writer does not turn arrays of records into tables (that would change the
//! value's kind); build a [`Table`] (e.g. with [`Table::from_records`]) to get one.
//!
//! ```
//! use sdn_codec::{Map, Table, Value};
//! let mut t = Table::with_columns(["id", "title"]);
//! t.rows.push(vec![Value::from(1), Value::from("Fix the parser")]);
//! let mut root = Map::new();
//! root.insert("version", 1.0);
//! root.insert("tags", vec!["a", "b c"]);
//! root.insert("todos", t);
//! let text = sdn_codec::to_canonical_string(&Value::Dict(root))?;
//! assert_eq!(text, "version: 1.0\ntags: [a, \"b c\"]\ntodos |id, title|\n    1, \"Fix the parser\"\n");
//! # Ok::<(), sdn_codec::Error>(())
//! ```

use crate::error::{Error, ErrorKind};
use crate::syntax::{
    INDENT, INDENT_STEP, ITEM_MARKER, KEY_VALUE, SEPARATOR, is_valid_plain_key, push_quoted,
    push_string, push_table_header,
};
pub use crate::syntax::{format_float, is_plain_string_safe};
use crate::value::{ColumnType, Map, Scalar, ScalarKind, Table, Value};

/// Longest inline form (in characters) for which an array of scalars is written inline.
pub const INLINE_ARRAY_MAX: usize = 80;

/// Writes a document. `value` must be a [`Value::Dict`] (the root map).
pub fn to_canonical_string(value: &Value) -> Result<String, Error> {
    match value {
        Value::Dict(map) => map_to_canonical_string(map),
        other => Err(Error::new(
            ErrorKind::Unwritable,
            format!(
                "the root of an SDN document is a dict, not {}",
                other.kind_with_article()
            ),
        )),
    }
}

/// Writes a document from its root map.
pub fn map_to_canonical_string(map: &Map) -> Result<String, Error> {
    map_to_string_spelled(map, Spelling::Canonical)
}

/// [`map_to_canonical_string`] with `spelling`.
pub(crate) fn map_to_string_spelled(map: &Map, spelling: Spelling) -> Result<String, Error> {
    let mut w = Writer {
        out: String::new(),
        path: Vec::new(),
        spelling,
    };
    w.entries(map, 0)?;
    Ok(w.out)
}

/// `s` as a double-quoted literal with the escapes of SPEC §4 (`\\ \" \n \t \r`, other
/// control characters as `\u{..}`).
///
/// ```
/// assert_eq!(sdn_codec::write::quote_string("a \"b\"\n"), r#""a \"b\"\n""#);
/// ```
pub fn quote_string(s: &str) -> String {
    let mut out = String::new();
    push_quoted(&mut out, s);
    out
}

/// A string as the canonical writer writes it: plain when safe, else quoted.
pub fn format_string(s: &str) -> String {
    let mut out = String::new();
    push_string(&mut out, s);
    out
}

/// A key as the canonical writer writes it: plain when it is a valid plain key, else
/// quoted.
pub fn format_key(key: &str) -> String {
    // A plain key starting with U+FEFF would read as a byte-order mark at the start of
    // a file (found by fuzzing): quote it.
    // A key beginning with `.` or `/` is quoted too: a reader that cannot keep such a
    // key then fails loudly instead of dropping the character.
    if is_valid_plain_key(key) && !key.starts_with(['\u{feff}', '.', '/']) {
        key.to_owned()
    } else {
        quote_string(key)
    }
}

/// Canonical text of a scalar (non-finite floats are an error).
pub fn format_scalar(kind: &ScalarKind) -> Result<String, Error> {
    Ok(match kind {
        ScalarKind::Null => "null".to_owned(),
        ScalarKind::Bool(b) => b.to_string(),
        ScalarKind::Int(i) => i.to_string(),
        ScalarKind::Float(f) => format_float(*f).ok_or_else(|| {
            Error::new(
                ErrorKind::NonFiniteFloat,
                format!("float {f} is not finite and has no SDN form"),
            )
        })?,
        ScalarKind::String(s) => format_string(s),
    })
}

/// Inline form of a value: a scalar, `[a, b]` or `{k: v}` (tables are an error).
pub fn format_inline(value: &Value) -> Result<String, Error> {
    let mut out = String::new();
    inline(value, &mut out, Spelling::Canonical)?;
    Ok(out)
}

/// How scalars are spelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Spelling {
    /// The canonical spelling of the data ([`format_scalar`]).
    Canonical,
    /// The source text where there is one and it is valid anywhere a value goes
    /// ([`spelled_scalar`]).
    Source,
}

/// A scalar as written with `spelling`: with [`Spelling::Source`], a number, bool or
/// null keeps the text it was read from (`1.10`, `007`, `1_000`, `1E5`, `nil`), and a
/// quoted string its literal (escapes as written) when that is on one line; a plain
/// string is written as [`format_string`] writes it.
pub(crate) fn spelled_scalar(scalar: &Scalar, spelling: Spelling) -> Result<String, Error> {
    if spelling == Spelling::Source
        && let Some(source) = scalar.source_text()
    {
        let keep = match scalar.kind() {
            ScalarKind::String(_) => scalar.is_quoted() && !source.contains(['\n', '\r']),
            _ => true,
        };
        if keep {
            return Ok(source.to_owned());
        }
    }
    format_scalar(scalar.kind())
}

/// [`format_inline`] with `spelling`.
pub(crate) fn format_inline_spelled(value: &Value, spelling: Spelling) -> Result<String, Error> {
    let mut out = String::new();
    inline(value, &mut out, spelling)?;
    Ok(out)
}

fn inline(value: &Value, out: &mut String, spelling: Spelling) -> Result<(), Error> {
    match value {
        Value::Scalar(s) => out.push_str(&spelled_scalar(s, spelling)?),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(SEPARATOR);
                }
                inline(item, out, spelling)?;
            }
            out.push(']');
        }
        Value::Dict(map) => {
            out.push('{');
            for (i, (k, v)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(SEPARATOR);
                }
                out.push_str(&format_key(k));
                out.push_str(KEY_VALUE);
                inline(v, out, spelling)?;
            }
            out.push('}');
        }
        Value::Table(_) => {
            return Err(Error::new(
                ErrorKind::Unwritable,
                "a table cannot be written inline; store it under a key",
            ));
        }
    }
    Ok(())
}

/// The header line of a table stored under `name` (without indentation or newline):
/// `name |a, b|` or `name: table{i64, str}`.
pub fn format_table_header(name: &str, table: &Table) -> Result<String, Error> {
    let key = format_key(name);
    if table.columns.is_empty() {
        return Err(Error::new(
            ErrorKind::Unwritable,
            format!("table `{name}` has no columns"),
        ));
    }
    let all_named = table
        .columns
        .iter()
        .all(|c| c.name.is_some() && c.ty.is_none());
    let all_typed = table
        .columns
        .iter()
        .all(|c| c.name.is_none() && c.ty.is_some());
    if all_named {
        let names = table
            .columns
            .iter()
            .filter_map(|c| c.name.as_deref())
            .map(format_key);
        let mut header = String::new();
        push_table_header(&mut header, &key, names);
        Ok(header)
    } else if all_typed {
        let types: Vec<&str> = table
            .columns
            .iter()
            .filter_map(|c| c.ty)
            .map(ColumnType::name)
            .collect();
        Ok(format!(
            "{key}{KEY_VALUE}table{{{}}}",
            types.join(SEPARATOR)
        ))
    } else {
        Err(Error::new(
            ErrorKind::Unwritable,
            format!(
                "table `{name}`: columns must be all named (|a, b|) or all typed (table{{i64, str}})"
            ),
        ))
    }
}

/// One table row as written: cells separated by `, ` (without indentation). Checks the
/// cell count and, for typed columns, the cell types.
pub fn format_row(table: &Table, row: &[Value]) -> Result<String, Error> {
    format_row_spelled(table, row, Spelling::Canonical)
}

/// [`format_row`] with `spelling`.
pub(crate) fn format_row_spelled(
    table: &Table,
    row: &[Value],
    spelling: Spelling,
) -> Result<String, Error> {
    if row.len() != table.columns.len() {
        return Err(Error::new(
            ErrorKind::WrongCellCount {
                expected: table.columns.len(),
                found: row.len(),
            },
            format!(
                "row has {} cells but the table has {} columns",
                row.len(),
                table.columns.len()
            ),
        ));
    }
    let mut out = String::new();
    for (i, (cell, column)) in row.iter().zip(&table.columns).enumerate() {
        if i > 0 {
            out.push_str(SEPARATOR);
        }
        if let Some(ty) = column.ty {
            let ok = matches!(
                (ty, cell.scalar_kind()),
                (ColumnType::I64, Some(ScalarKind::Int(_)))
                    | (ColumnType::F64, Some(ScalarKind::Float(_)))
                    | (ColumnType::Str, Some(ScalarKind::String(_)))
                    | (ColumnType::Bool, Some(ScalarKind::Bool(_)))
            );
            if !ok {
                return Err(Error::new(
                    ErrorKind::TypeMismatch { expected: Some(ty) },
                    format!(
                        "cell {} is {} in a {ty} column",
                        i + 1,
                        cell.kind_with_article()
                    ),
                ));
            }
        }
        inline(cell, &mut out, spelling)?;
    }
    Ok(out)
}

struct Writer {
    out: String,
    path: Vec<String>,
    spelling: Spelling,
}

impl Writer {
    fn fail(&self, e: Error) -> Error {
        if self.path.is_empty() {
            return e;
        }
        let at = self.path.join(".");
        Error::new(e.kind().clone(), format!("{} (at `{at}`)", e.message()))
    }

    fn line(&mut self, indent: usize, text: &str) {
        self.out.extend(std::iter::repeat_n(' ', indent));
        self.out.push_str(text);
        self.out.push('\n');
    }

    fn entries(&mut self, map: &Map, indent: usize) -> Result<(), Error> {
        for (k, v) in map {
            self.path.push(k.to_owned());
            self.entry(k, v, indent)?;
            self.path.pop();
        }
        Ok(())
    }

    fn entry(&mut self, key: &str, value: &Value, indent: usize) -> Result<(), Error> {
        let k = format_key(key);
        match value {
            Value::Scalar(s) => {
                let text = self.scalar(s)?;
                self.line(indent, &format!("{k}{KEY_VALUE}{text}"));
            }
            Value::Array(items) if items.is_empty() => {
                self.line(indent, &format!("{k}{KEY_VALUE}[]"));
            }
            Value::Array(items) => match self.inline_array(items)? {
                Some(text) => self.line(indent, &format!("{k}{KEY_VALUE}{text}")),
                None => {
                    self.line(indent, &format!("{k}:"));
                    self.items(items, indent + INDENT_STEP)?;
                }
            },
            Value::Dict(map) if map.is_empty() => {
                self.line(indent, &format!("{k}{KEY_VALUE}{{}}"));
            }
            Value::Dict(map) => {
                self.line(indent, &format!("{k}:"));
                self.entries(map, indent + INDENT_STEP)?;
            }
            Value::Table(table) => {
                let header = format_table_header(key, table).map_err(|e| self.fail(e))?;
                self.line(indent, &header);
                for (i, row) in table.rows.iter().enumerate() {
                    let text = format_row_spelled(table, row, self.spelling).map_err(|e| {
                        self.fail(Error::new(
                            e.kind().clone(),
                            format!("row {}: {}", i + 1, e.message()),
                        ))
                    })?;
                    self.line(indent + INDENT_STEP, &text);
                }
            }
        }
        Ok(())
    }

    fn scalar(&self, s: &Scalar) -> Result<String, Error> {
        spelled_scalar(s, self.spelling).map_err(|e| self.fail(e))
    }

    /// The inline form of an array when it fits in [`INLINE_ARRAY_MAX`] characters and
    /// holds no dict (an array of dicts is written one dict per line).
    fn inline_array(&self, items: &[Value]) -> Result<Option<String>, Error> {
        if items.iter().any(|v| matches!(v, Value::Dict(_))) || items.iter().any(holds_table) {
            return Ok(None);
        }
        let mut text = String::new();
        inline(&Value::Array(items.to_vec()), &mut text, self.spelling)
            .map_err(|e| self.fail(e))?;
        Ok((text.chars().count() <= INLINE_ARRAY_MAX).then_some(text))
    }

    /// An array block: one `- item` line per item, each item inline (`- {a: 1, b: 2}`,
    /// `- [1, [2]]`). Only an item holding a table, which has no inline form, is
    /// written as a block: a dict after its `- `, an array below a bare `-`.
    fn items(&mut self, items: &[Value], indent: usize) -> Result<(), Error> {
        for (i, item) in items.iter().enumerate() {
            self.path.push(i.to_string());
            match item {
                Value::Dict(m) if holds_table(item) => {
                    // Write the entries at the column of the key after `- `, then put the
                    // marker into the first line's indentation.
                    let start = self.out.len();
                    let marker = ITEM_MARKER.len();
                    self.entries(m, indent + marker)?;
                    self.out
                        .replace_range(start + indent..start + indent + marker, ITEM_MARKER);
                }
                Value::Array(a) if holds_table(item) => {
                    self.line(indent, ITEM_MARKER.trim_end());
                    self.items(a, indent + INDENT_STEP)?;
                }
                Value::Table(_) => {
                    return Err(self.fail(Error::new(
                        ErrorKind::Unwritable,
                        "a table inside an array has no name; store it under a key",
                    )));
                }
                _ => {
                    let mut text = String::from(ITEM_MARKER);
                    inline(item, &mut text, self.spelling).map_err(|e| self.fail(e))?;
                    self.line(indent, &text);
                }
            }
            self.path.pop();
        }
        Ok(())
    }
}

/// True when `value` is or contains a table (which has no inline form).
fn holds_table(value: &Value) -> bool {
    match value {
        Value::Table(_) => true,
        Value::Dict(m) => m.values().any(holds_table),
        Value::Array(items) => items.iter().any(holds_table),
        Value::Scalar(_) => false,
    }
}

impl Table {
    /// Builds a table from records (dicts) that all have the same keys in the same
    /// order and only scalar or inline-writable values; `None` otherwise. This is how a
    /// list of flat records becomes a named table (SPEC §8).
    ///
    /// ```
    /// use sdn_codec::{Map, Table, Value};
    /// let rec = |id: i64, name: &str| -> Map { [("id", Value::from(id)), ("name", name.into())].into_iter().collect() };
    /// let t = Table::from_records(&[rec(1, "a"), rec(2, "b")]).unwrap();
    /// assert_eq!(t.rows.len(), 2);
    /// assert_eq!(t.to_records()[1], rec(2, "b"));
    /// ```
    pub fn from_records(records: &[Map]) -> Option<Table> {
        let first = records.first()?;
        if first.is_empty() {
            return None;
        }
        let keys: Vec<&str> = first.keys().collect();
        let mut table = Table::with_columns(keys.iter().copied());
        for record in records {
            if !record.keys().eq(keys.iter().copied()) {
                return None;
            }
            if record.values().any(|v| matches!(v, Value::Table(_))) {
                return None;
            }
            table.rows.push(record.values().cloned().collect());
        }
        Some(table)
    }

    /// Each row as a record (see [`Table::row_map`]).
    pub fn to_records(&self) -> Vec<Map> {
        (0..self.rows.len())
            .filter_map(|i| self.row_map(i))
            .collect()
    }
}

/// Writes a root table entry one row at a time, as [`map_to_canonical_string`] writes
/// it, checking each line as it goes: the table never exists as a value, and a table of
/// many rows costs its text.
///
/// The header must read back as exactly the table `name` with these columns, and each
/// row line as exactly its cells ([`Value::is_identical`]), read as the table body reads
/// a row line; otherwise the writer fails with [`ErrorKind::Unwritable`] (nothing is
/// written of that row).
///
/// ```
/// use sdn_codec::Value;
/// use sdn_codec::write::TableWriter;
///
/// let mut table = TableWriter::new(String::new(), "todos", &["id", "title"])?;
/// table.push_row(&[Value::from(1), Value::from("Write, docs")])?;
/// table.push_row(&[Value::from(2), Value::from("Ship")])?;
/// let text = table.finish();
/// assert_eq!(text, "todos |id, title|\n    1, \"Write, docs\"\n    2, Ship\n");
///
/// let mut doc = sdn_codec::Map::new();
/// let mut value = sdn_codec::Table::with_columns(["id", "title"]);
/// value.rows.push(vec![1.into(), "Write, docs".into()]);
/// value.rows.push(vec![2.into(), "Ship".into()]);
/// doc.insert("todos", Value::Table(value));
/// assert_eq!(sdn_codec::map_to_canonical_string(&doc)?, text);
/// # Ok::<(), sdn_codec::Error>(())
/// ```
#[derive(Debug)]
pub struct TableWriter {
    out: String,
    /// The columns (no rows).
    table: Table,
    options: crate::parse::ParseOptions,
}

impl TableWriter {
    /// Appends the header of table `name` with the named `columns` to `out`, which must
    /// be empty or end with a line end.
    pub fn new<S: AsRef<str>>(mut out: String, name: &str, columns: &[S]) -> Result<Self, Error> {
        let table = Table::with_columns(columns.iter().map(|c| c.as_ref().to_owned()));
        let header = format_table_header(name, &table)?;
        let reads_back = crate::parse::parse(&header).ok().is_some_and(|root| {
            root.as_dict().is_some_and(|entries| {
                entries.len() == 1
                    && entries
                        .get(name)
                        .and_then(Value::as_table)
                        .is_some_and(|read| read.columns == table.columns && read.rows.is_empty())
            })
        });
        if !reads_back || !(out.is_empty() || out.ends_with('\n')) {
            return Err(Error::new(
                ErrorKind::Unwritable,
                format!("the header of table `{name}` would not read back as written"),
            ));
        }
        out.push_str(&header);
        out.push('\n');
        Ok(TableWriter {
            out,
            table,
            options: crate::parse::ParseOptions::default(),
        })
    }

    /// Appends a row (one cell per column, in column order).
    pub fn push_row(&mut self, cells: &[Value]) -> Result<(), Error> {
        let start = self.out.len();
        self.out.push_str(INDENT);
        self.out.push_str(&format_row(&self.table, cells)?);
        let line = &self.out[start..];
        let reads_back = matches!(
            crate::parse::parse_row_line(line, &self.table.columns, &self.options),
            Ok(Some(read)) if crate::value::all_identical(&read, cells)
        );
        if !reads_back {
            self.out.truncate(start);
            return Err(Error::new(
                ErrorKind::Unwritable,
                "the row would not read back as written",
            ));
        }
        self.out.push('\n');
        Ok(())
    }

    /// The text written since the writer started or this was last called, taken out of
    /// the writer (to pass a large table on in pieces).
    pub fn take_text(&mut self) -> String {
        std::mem::take(&mut self.out)
    }

    /// Writes the text held so far to `out` and empties the writer, which keeps its
    /// buffer for the rows that follow: a large table passes through in pieces, held
    /// in one piece's worth of memory ([`take_text`](TableWriter::take_text) hands the
    /// buffer out, so the writer grows a new one).
    ///
    /// ```
    /// use sdn_codec::{Value, write::TableWriter};
    /// let mut table = TableWriter::new(String::with_capacity(4096), "t", &["id"])?;
    /// let mut file = Vec::new();
    /// table.push_row(&[Value::from(1)])?;
    /// table.write_to(&mut file)?;
    /// assert!(table.is_empty());
    /// table.push_row(&[Value::from(2)])?;
    /// table.write_to(&mut file)?;
    /// assert_eq!(String::from_utf8(file)?, "t |id|\n    1\n    2\n");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn write_to<W: std::io::Write + ?Sized>(&mut self, out: &mut W) -> std::io::Result<()> {
        out.write_all(self.out.as_bytes())?;
        self.out.clear();
        Ok(())
    }

    /// How many bytes of text the writer holds.
    pub fn len(&self) -> usize {
        self.out.len()
    }

    /// Whether the writer holds no text (all of it was taken).
    pub fn is_empty(&self) -> bool {
        self.out.is_empty()
    }

    /// The text written (since [`take_text`](TableWriter::take_text) was last called).
    pub fn finish(self) -> String {
        self.out
    }
}
