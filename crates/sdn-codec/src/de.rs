//! serde deserialization: SDN text or a [`Value`] into any `Deserialize` type.
//!
//! # Mapping
//!
//! | SDN | Rust |
//! |---|---|
//! | dict | struct (fields by name), map (string, integer or bool keys), one-entry dict `{Variant: content}` for a data-carrying enum variant |
//! | named table | `Vec`/sequence of records: each row is a map from column name to cell, so columns are matched **by name, in any order** |
//! | array | sequence or tuple |
//! | plain word | unit enum variant (`status: open`) |
//! | any scalar into `String` | its text **exactly as written**: `007`, `1.10`, `2.1.0`, `1e3`, `true` stay as written; a quoted string gives its content |
//! | integer | any integer type, range-checked (out of range is an error, never wrapped); also floats |
//! | float | `f32`/`f64` |
//! | `true`/`false` | `bool` (nothing else is a bool) |
//! | `null`/`nil`/`key:` | `None`, `()`; an error for a plain `String` or number |
//! | empty **unquoted** table cell | `None` for `Option<T>`, `""` for `String`; a quoted `""` cell is `Some("")` |
//!
//! A column the record type lacks is ignored, or rejected with an error naming it when
//! [`DeOptions::deny_unknown_columns`] is set. A column the table lacks takes the
//! field's serde default (`Option` fields become `None`, `#[serde(default)]` fields their
//! default; other fields are a "missing field" error).
//!
//! A top-level sequence (`from_str::<Vec<T>>`) reads the document's only root entry
//! when that is a table or array, or the entry named by [`DeOptions::root_table`].
//!
//! Every data error names the failing value's path in its message (``at `todos[3].line`:
//! invalid value: integer `300`, expected u8``). Syntax errors always carry line and
//! column (from the parser). Data errors carry them too when the document has the shape
//! of a record file — root `key: scalar` entries and named tables of scalar cells —
//! which [`from_str`] reads straight from the text (borrowing cells, allocating only the
//! `String`s the target owns); for other shapes (nested blocks, inline arrays or dicts,
//! multi-line strings, typed tables) it parses to a [`Value`] first, and a `Value` holds
//! no positions, so those data errors have the path only. The two routes give identical
//! results; tests compare them on the corpus and on generated tables.

use std::fmt;

use serde::de::{self, DeserializeOwned};

use crate::error::{Error, ErrorKind};
use crate::value::Value;

/// Implements the listed `deserialize_*` methods as `self.$target(visitor)`, ignoring
/// the name, length, fields or variants serde passes.
macro_rules! forward_to_method {
    ($target:ident: $($method:ident)*) => {$( forward_to_method!(@ $method $target); )*};
    (@ deserialize_tuple $target:ident) => {
        fn deserialize_tuple<V: Visitor<'de>>(
            self,
            _len: usize,
            visitor: V,
        ) -> Result<V::Value, Error> {
            self.$target(visitor)
        }
    };
    (@ deserialize_tuple_struct $target:ident) => {
        fn deserialize_tuple_struct<V: Visitor<'de>>(
            self,
            _name: &'static str,
            _len: usize,
            visitor: V,
        ) -> Result<V::Value, Error> {
            self.$target(visitor)
        }
    };
    (@ deserialize_unit_struct $target:ident) => {
        fn deserialize_unit_struct<V: Visitor<'de>>(
            self,
            _name: &'static str,
            visitor: V,
        ) -> Result<V::Value, Error> {
            self.$target(visitor)
        }
    };
    (@ deserialize_struct $target:ident) => {
        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _name: &'static str,
            _fields: &'static [&'static str],
            visitor: V,
        ) -> Result<V::Value, Error> {
            self.$target(visitor)
        }
    };
    (@ deserialize_enum $target:ident) => {
        fn deserialize_enum<V: Visitor<'de>>(
            self,
            _name: &'static str,
            _variants: &'static [&'static str],
            visitor: V,
        ) -> Result<V::Value, Error> {
            self.$target(visitor)
        }
    };
    (@ $method:ident $target:ident) => {
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            self.$target(visitor)
        }
    };
}

/// Implements `deserialize_option` (always `Some`) and/or `deserialize_newtype_struct`
/// as wrappers around `self`.
macro_rules! transparent {
    ($($method:ident)*) => {$( transparent!(@ $method); )*};
    (@ deserialize_option) => {
        fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            visitor.visit_some(self)
        }
    };
    (@ deserialize_newtype_struct) => {
        fn deserialize_newtype_struct<V: Visitor<'de>>(
            self,
            _name: &'static str,
            visitor: V,
        ) -> Result<V::Value, Error> {
            visitor.visit_newtype_struct(self)
        }
    };
}

/// Implements every `deserialize_*` method that does not need the outer type as
/// `$convert(self).method(...)` on a [`ValueDeserializer`] (plus the listed extras).
macro_rules! forward_to_value_deserializer {
    ($convert:path; $($extra:ident)*) => {
        forward_to_value_deserializer!(@ $convert;
            deserialize_any deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32
            deserialize_i64 deserialize_i128 deserialize_u8 deserialize_u16 deserialize_u32
            deserialize_u64 deserialize_u128 deserialize_f32 deserialize_f64 deserialize_char
            deserialize_str deserialize_string deserialize_bytes deserialize_byte_buf
            deserialize_option deserialize_unit deserialize_map deserialize_identifier
            deserialize_ignored_any $($extra)*);

        fn deserialize_unit_struct<V: Visitor<'de>>(
            self,
            name: &'static str,
            visitor: V,
        ) -> Result<V::Value, Error> {
            $convert(self).deserialize_unit_struct(name, visitor)
        }
        fn deserialize_struct<V: Visitor<'de>>(
            self,
            name: &'static str,
            fields: &'static [&'static str],
            visitor: V,
        ) -> Result<V::Value, Error> {
            $convert(self).deserialize_struct(name, fields, visitor)
        }
        fn deserialize_enum<V: Visitor<'de>>(
            self,
            name: &'static str,
            variants: &'static [&'static str],
            visitor: V,
        ) -> Result<V::Value, Error> {
            $convert(self).deserialize_enum(name, variants, visitor)
        }
    };
    (@ $convert:path; $($method:ident)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            $convert(self).$method(visitor)
        }
    )*};
}

mod context;
mod from_text;
mod from_value;
mod options;

use from_value::{RootDeserializer, RowDeserializer};
use options::DEFAULT_OPTIONS;
pub use options::DeOptions;
mod scalar;

impl de::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error::custom(msg)
    }
}

/// Deserializes a `T` from SDN text.
///
/// ```
/// #[derive(serde::Deserialize, Debug, PartialEq)]
/// struct Db { version: String, todos: Vec<Todo> }
/// #[derive(serde::Deserialize, Debug, PartialEq)]
/// struct Todo { id: u32, status: Status, issue: Option<String> }
/// #[derive(serde::Deserialize, Debug, PartialEq)]
/// #[serde(rename_all = "snake_case")]
/// enum Status { Open, Done }
///
/// let db: Db = sdn_codec::from_str("\
/// version: 2.1.0
/// todos |status, id, issue|
///     open, 1, \"#12\"
///     done, 2,
/// ")?;
/// assert_eq!(db.version, "2.1.0");
/// assert_eq!(db.todos[0], Todo { id: 1, status: Status::Open, issue: Some("#12".into()) });
/// assert_eq!(db.todos[1].issue, None);
/// # Ok::<(), sdn_codec::Error>(())
/// ```
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, Error> {
    from_str_with(text, &DEFAULT_OPTIONS)
}

/// [`from_str`] with options.
///
/// ```
/// #[derive(Debug, serde::Deserialize)]
/// struct Row { id: u32 }
/// #[derive(Debug, serde::Deserialize)]
/// struct Db { rows: Vec<Row> }
/// let text = "rows |id, extra|\n    1, x\n";
/// assert!(sdn_codec::from_str::<Db>(text).is_ok());
/// let strict = sdn_codec::DeOptions::new().deny_unknown_columns(true);
/// let err = sdn_codec::from_str_with::<Db>(text, &strict).unwrap_err();
/// assert!(err.message().contains("`extra`"));
/// assert_eq!(err.line(), 2);
/// # Ok::<(), sdn_codec::Error>(())
/// ```
pub fn from_str_with<T: DeserializeOwned>(text: &str, options: &DeOptions) -> Result<T, Error> {
    if let Some(result) = from_text::try_from_str(text, options) {
        return result;
    }
    from_str_via_value(text, options)
}

/// The general path: parse to a [`Value`], then deserialize from it. Public to the crate
/// so tests can check that the direct path agrees with it.
pub(crate) fn from_str_via_value<T: DeserializeOwned>(
    text: &str,
    options: &DeOptions,
) -> Result<T, Error> {
    let value = crate::parse(text)?;
    from_value_with(value, options)
}

/// Deserializes a `T` from UTF-8 bytes of SDN text; invalid UTF-8 is an error with its
/// position. (To parse bytes into a [`Value`] keeping every scalar's source text, use
/// [`crate::parse_slice`].)
///
/// ```
/// #[derive(Debug, serde::Deserialize)]
/// struct C { port: u16 }
/// let c: C = sdn_codec::from_slice(b"port: 8080\n")?;
/// assert_eq!(c.port, 8080);
/// let err = sdn_codec::from_slice::<C>(b"port: \xff\n").unwrap_err();
/// assert_eq!((err.line(), err.column()), (1, 7));
/// # Ok::<(), sdn_codec::Error>(())
/// ```
pub fn from_slice<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Error> {
    from_slice_with(bytes, &DEFAULT_OPTIONS)
}

/// [`from_slice`] with options.
pub fn from_slice_with<T: DeserializeOwned>(bytes: &[u8], options: &DeOptions) -> Result<T, Error> {
    from_str_with(crate::parse::utf8(bytes)?, options)
}

/// Deserializes a `T` from a [`Value`] (for example one built in code or parsed once
/// and read several ways).
///
/// ```
/// let v = sdn_codec::parse("name: api\nport: 8080\n")?;
/// #[derive(serde::Deserialize)]
/// struct C { name: String, port: u16 }
/// let c: C = sdn_codec::from_value(v)?;
/// assert_eq!((c.name.as_str(), c.port), ("api", 8080));
/// # Ok::<(), sdn_codec::Error>(())
/// ```
pub fn from_value<T: DeserializeOwned>(value: Value) -> Result<T, Error> {
    from_value_with(value, &DEFAULT_OPTIONS)
}

/// [`from_value`] with options.
pub fn from_value_with<T: DeserializeOwned>(value: Value, options: &DeOptions) -> Result<T, Error> {
    T::deserialize(RootDeserializer { value, options })
}

/// Deserializes one table row, given the table's column names and the row's cells, the
/// way each row of a table deserializes into a `Vec<T>` (columns matched to fields by
/// name, unknown columns ignored, an empty cell read as `None`), without building the
/// row as a [`Map`](crate::Map) first. Unnamed (typed) columns are named by position: `"0"`, `"1"`.
///
/// ```
/// let doc = sdn_codec::parse("todos |id, title, done|\n    1, Write docs, false\n")?;
/// let table = doc.get("todos").and_then(sdn_codec::Value::as_table).unwrap();
/// let columns: Vec<String> = table.columns.iter().filter_map(|c| c.name.clone()).collect();
/// #[derive(serde::Deserialize)]
/// struct Todo { id: u32, title: String }
/// let todo: Todo = sdn_codec::from_row(&columns, table.rows[0].clone())?;
/// assert_eq!((todo.id, todo.title.as_str()), (1, "Write docs"));
/// # Ok::<(), sdn_codec::Error>(())
/// ```
pub fn from_row<T: DeserializeOwned>(columns: &[String], cells: Vec<Value>) -> Result<T, Error> {
    if columns.len() != cells.len() {
        return Err(Error::new(
            ErrorKind::Custom,
            format!(
                "the row has {} cells but {} column names were given",
                cells.len(),
                columns.len()
            ),
        ));
    }
    T::deserialize(RowDeserializer {
        columns,
        cells,
        options: &DEFAULT_OPTIONS,
    })
}
