//! Canonical writer (SPEC §8).
//!
//! Output is deterministic (the same value always gives the same bytes), reads back to
//! an equal value, and uses only forms every SDN reader agrees on: root entries at
//! column 0, nested blocks indented 4 spaces, `- ` list items, named tables with `, `
//! between cells, strings plain only when they match `[A-Za-z_][A-Za-z0-9_./#-]*` and
//! are not a keyword, floats always with a `.` or an exponent.
//!
//! Layout rules beyond the SPEC (fixed, so output is stable):
//! - an array of scalars is written inline when its inline form is at most
//!   [`INLINE_ARRAY_MAX`] characters; otherwise as a block of `- item` lines;
//! - an empty array or dict is written `[]` / `{}`;
//! - a dict inside an array block is written YAML-style: `- key: value` with its other
//!   keys on the following lines at the column of `key`;
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
use crate::parse::is_valid_plain_key;
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
                other.kind_name()
            ),
        )),
    }
}

/// Writes a document from its root map.
pub fn map_to_canonical_string(map: &Map) -> Result<String, Error> {
    let mut w = Writer {
        out: String::new(),
        path: Vec::new(),
    };
    w.entries(map, 0)?;
    Ok(w.out)
}

/// Shortest text that reads back as exactly `f`, always with a `.` or an exponent;
/// `None` for non-finite floats.
///
/// ```
/// use sdn_codec::write::format_float;
/// assert_eq!(format_float(3.0).as_deref(), Some("3.0"));
/// assert_eq!(format_float(1e300).as_deref(), Some("1e300"));
/// assert_eq!(format_float(f64::NAN), None);
/// ```
pub fn format_float(f: f64) -> Option<String> {
    if !f.is_finite() {
        return None;
    }
    // `{:?}` prints the shortest representation that round-trips, and for finite
    // floats always includes a `.` or an exponent (`1.0`, `1e16`, `1e-7`).
    let text = format!("{f:?}");
    if text.contains(['.', 'e', 'E']) {
        Some(text)
    } else {
        Some(format!("{text}.0"))
    }
}

/// True when `s` can be written without quotes and reads back as the same string:
/// it matches `[A-Za-z_][A-Za-z0-9_./#-]*` and is not `true`, `false`, `null`, `nil` or
/// `table`.
pub fn is_plain_string_safe(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '/' | '#' | '-'))
        && !matches!(s, "true" | "false" | "null" | "nil" | "table")
}

/// `s` as a double-quoted literal with the escapes of SPEC §4 (`\\ \" \n \t \r`, other
/// control characters as `\u{..}`).
///
/// ```
/// assert_eq!(sdn_codec::write::quote_string("a \"b\"\n"), r#""a \"b\"\n""#);
/// ```
pub fn quote_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:X}}}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A string as the canonical writer writes it: plain when safe, else quoted.
pub fn format_string(s: &str) -> String {
    if is_plain_string_safe(s) {
        s.to_owned()
    } else {
        quote_string(s)
    }
}

/// A key as the canonical writer writes it: plain when it is a valid plain key, else
/// quoted.
pub fn format_key(key: &str) -> String {
    // A plain key starting with U+FEFF would read as a byte-order mark at the start of
    // a file (found by fuzzing): quote it.
    if is_valid_plain_key(key) && !key.starts_with('\u{feff}') {
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
    inline(value, &mut out)?;
    Ok(out)
}

fn inline(value: &Value, out: &mut String) -> Result<(), Error> {
    match value {
        Value::Scalar(s) => out.push_str(&format_scalar(s.kind())?),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                inline(item, out)?;
            }
            out.push(']');
        }
        Value::Dict(map) => {
            out.push('{');
            for (i, (k, v)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(&format_key(k));
                out.push_str(": ");
                inline(v, out)?;
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
        let names: Vec<String> = table
            .columns
            .iter()
            .filter_map(|c| c.name.as_deref())
            .map(format_key)
            .collect();
        Ok(format!("{key} |{}|", names.join(", ")))
    } else if all_typed {
        let types: Vec<&str> = table
            .columns
            .iter()
            .filter_map(|c| c.ty)
            .map(ColumnType::name)
            .collect();
        Ok(format!("{key}: table{{{}}}", types.join(", ")))
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
            out.push_str(", ");
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
                    format!("cell {} is {} in a {ty} column", i + 1, cell.kind_name()),
                ));
            }
        }
        inline(cell, &mut out)?;
    }
    Ok(out)
}

struct Writer {
    out: String,
    path: Vec<String>,
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
                self.line(indent, &format!("{k}: {text}"));
            }
            Value::Array(items) if items.is_empty() => self.line(indent, &format!("{k}: []")),
            Value::Array(items) => match self.inline_array(items)? {
                Some(text) => self.line(indent, &format!("{k}: {text}")),
                None => {
                    self.line(indent, &format!("{k}:"));
                    self.items(items, indent + 4)?;
                }
            },
            Value::Dict(map) if map.is_empty() => self.line(indent, &format!("{k}: {{}}")),
            Value::Dict(map) => {
                self.line(indent, &format!("{k}:"));
                self.entries(map, indent + 4)?;
            }
            Value::Table(table) => {
                let header = format_table_header(key, table).map_err(|e| self.fail(e))?;
                self.line(indent, &header);
                for (i, row) in table.rows.iter().enumerate() {
                    let text = format_row(table, row).map_err(|e| {
                        self.fail(Error::new(
                            e.kind().clone(),
                            format!("row {}: {}", i + 1, e.message()),
                        ))
                    })?;
                    self.line(indent + 4, &text);
                }
            }
        }
        Ok(())
    }

    fn scalar(&self, s: &Scalar) -> Result<String, Error> {
        format_scalar(s.kind()).map_err(|e| self.fail(e))
    }

    /// The inline form of an array of scalars when it is short enough.
    fn inline_array(&self, items: &[Value]) -> Result<Option<String>, Error> {
        if !items.iter().all(|v| matches!(v, Value::Scalar(_))) {
            return Ok(None);
        }
        let text = format_inline(&Value::Array(items.to_vec())).map_err(|e| self.fail(e))?;
        Ok((text.chars().count() <= INLINE_ARRAY_MAX).then_some(text))
    }

    fn items(&mut self, items: &[Value], indent: usize) -> Result<(), Error> {
        for (i, item) in items.iter().enumerate() {
            self.path.push(i.to_string());
            match item {
                Value::Scalar(s) => {
                    let text = self.scalar(s)?;
                    self.line(indent, &format!("- {text}"));
                }
                Value::Array(a) if a.is_empty() => self.line(indent, "- []"),
                Value::Array(a) => match self.inline_array(a)? {
                    Some(text) => self.line(indent, &format!("- {text}")),
                    None => {
                        self.line(indent, "-");
                        self.items(a, indent + 4)?;
                    }
                },
                Value::Dict(m) if m.is_empty() => self.line(indent, "- {}"),
                Value::Dict(m) => {
                    // Write the entries at the column of the key after `- `, then put the
                    // marker into the first line's indentation.
                    let start = self.out.len();
                    self.entries(m, indent + 2)?;
                    self.out
                        .replace_range(start + indent..start + indent + 2, "- ");
                }
                Value::Table(_) => {
                    return Err(self.fail(Error::new(
                        ErrorKind::Unwritable,
                        "a table inside an array has no name; store it under a key",
                    )));
                }
            }
            self.path.pop();
        }
        Ok(())
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
