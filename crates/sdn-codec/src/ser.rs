//! serde serialization: any `Serialize` type to a [`Value`] or to canonical SDN text.
//!
//! # Mapping
//!
//! | Rust | SDN |
//! |---|---|
//! | struct, map with string (or integer/char/bool) keys | dict |
//! | `Vec`/slice/tuple of **flat records** (see below) | named table |
//! | other sequences and tuples | array |
//! | `bool`, integers, floats | scalars; integers beyond the signed 64-bit range and non-finite floats are errors |
//! | `String`, `char` | string (quoted by the writer whenever it would not read back as the same string) |
//! | `None`, `()`, unit struct | `null` |
//! | `Some(x)`, newtype struct | `x` (transparent) |
//! | unit enum variant | the variant name as a plain word (`status: open`) |
//! | newtype/tuple/struct variant | a one-entry dict `{Variant: content}` |
//! | bytes | array of integers |
//!
//! A sequence becomes a table when it is non-empty and every element is a dict with the
//! same keys in the same order and no value that is itself a table: the rule of
//! [`Table::from_records`](crate::Table::from_records). So a `Vec` of flat structs (scalars, `Option`s, unit enum
//! variants, and inline-writable arrays or nested structs) is a table, and the dict key
//! the sequence is stored under is its name. An empty sequence is written `[]` (serde
//! gives no column names for it); it reads back as an empty `Vec`.
//!
//! A document's root must be a dict: serializing a top-level struct or map works, a
//! top-level scalar is an error, and a top-level sequence needs a table name
//! ([`SerOptions::root_table_name`]).
//!
//! `None` is written `null`, in dicts and in table cells alike; `Some("")` is written
//! `""` and `Some("null")` as `"null"`, so every `Option<String>` reads back as itself.
//! (The reader also takes an empty *unquoted* cell, as hand-written files have it, as
//! `None`.)

use std::io;

use serde::Serialize;
use serde::ser::{self};

use crate::error::{Error, ErrorKind};
use crate::value::{Map, Value};

/// The forms of the serde mapping every serializer shares: `Some(x)` and a newtype
/// struct are written as `x`.
macro_rules! wrapper_forms {
    ($ok:ty) => {
        fn serialize_newtype_struct<T: Serialize + ?Sized>(
            self,
            _name: &'static str,
            value: &T,
        ) -> Result<$ok, Error> {
            value.serialize(self)
        }
        fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<$ok, Error> {
            value.serialize(self)
        }
    };
}

/// [`wrapper_forms`], plus: `()` and a unit struct are written as `None` is (null),
/// and a unit variant as its name, a string. Used by every serializer of values, so
/// the `Value` route and the text route cannot spell these differently.
macro_rules! unit_and_wrapper_forms {
    ($ok:ty) => {
        wrapper_forms!($ok);
        fn serialize_unit(self) -> Result<$ok, Error> {
            self.serialize_none()
        }
        fn serialize_unit_struct(self, _name: &'static str) -> Result<$ok, Error> {
            self.serialize_none()
        }
        fn serialize_unit_variant(
            self,
            _name: &'static str,
            _index: u32,
            variant: &'static str,
        ) -> Result<$ok, Error> {
            self.serialize_str(variant)
        }
    };
}

/// Implements `SerializeStruct` and `SerializeMap` for a collector of entries. The type
/// has a field `key: Option<String>` (a map key waiting for its value) and the methods
/// `entry(&mut self, key, value)`, given a struct field's `&'static str` name or a map
/// key's text (from `KeySerializer`), and `finish(self)`.
macro_rules! struct_and_map_entries {
    ($collector:ty => $ok:ty) => {
        impl ser::SerializeStruct for $collector {
            type Ok = $ok;
            type Error = Error;
            fn serialize_field<T: Serialize + ?Sized>(
                &mut self,
                key: &'static str,
                value: &T,
            ) -> Result<(), Error> {
                self.entry(key, value)
            }
            fn end(self) -> Result<$ok, Error> {
                self.finish()
            }
        }

        impl ser::SerializeMap for $collector {
            type Ok = $ok;
            type Error = Error;
            fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
                self.key = Some(key.serialize(KeySerializer)?);
                Ok(())
            }
            fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
                let key = take_key(&mut self.key)?;
                self.entry(key, value)
            }
            fn end(self) -> Result<$ok, Error> {
                self.finish()
            }
        }
    };
}

mod mapping;
mod to_text;
mod to_value;

pub(crate) use mapping::seq_to_value;

pub use to_value::{MapBuilder, SeqBuilder, ValueSerializer, VariantBuilder};

impl ser::Error for Error {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        Error::custom(msg)
    }
}

/// Options for [`to_string_with`] and [`to_writer_with`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SerOptions {
    /// Name of the root entry when the value serializes to a sequence (a top-level
    /// `Vec<T>`): the sequence is written as `name |...|` (or `name: [...]` when it is
    /// not a list of flat records). `None` (the default) makes a top-level sequence an
    /// error, because an SDN document's root is a dict.
    pub root_table_name: Option<String>,
}

impl SerOptions {
    /// Default options: the root must serialize to a dict.
    pub fn new() -> Self {
        SerOptions::default()
    }

    /// Sets [`SerOptions::root_table_name`].
    pub fn root_table_name(mut self, name: impl Into<String>) -> Self {
        self.root_table_name = Some(name.into());
        self
    }
}

/// Converts any serializable value to a [`Value`] (a struct becomes a dict, a `Vec` of
/// flat records a table; see the [module docs](self)).
///
/// ```
/// #[derive(serde::Serialize)]
/// struct Todo { id: u32, status: String }
/// let v = sdn_codec::to_value(&vec![Todo { id: 1, status: "open".into() }])?;
/// let table = v.as_table().unwrap();
/// assert_eq!(table.cell(0, "status").and_then(|c| c.as_str()), Some("open"));
/// # Ok::<(), sdn_codec::Error>(())
/// ```
pub fn to_value<T: Serialize + ?Sized>(value: &T) -> Result<Value, Error> {
    value.serialize(ValueSerializer)
}

/// Serializes `value` to canonical SDN text (SPEC §8). The root must serialize to a
/// dict (a struct or a map); see [`to_string_with`] for a top-level `Vec`.
///
/// ```
/// #[derive(serde::Serialize)]
/// struct Db { todos: Vec<Todo> }
/// #[derive(serde::Serialize)]
/// struct Todo { id: u32, area: String, issue: Option<String> }
/// let db = Db { todos: vec![Todo { id: 1, area: "parser".into(), issue: None }] };
/// assert_eq!(
///     sdn_codec::to_string(&db)?,
///     "todos |id, area, issue|\n    1, parser, null\n"
/// );
/// # Ok::<(), sdn_codec::Error>(())
/// ```
pub fn to_string<T: Serialize + ?Sized>(value: &T) -> Result<String, Error> {
    to_string_with(value, &SerOptions::default())
}

/// [`to_string`] with options (e.g. a name for a top-level sequence).
///
/// ```
/// #[derive(serde::Serialize)]
/// struct Task { id: String, done: bool }
/// let tasks = vec![Task { id: "T-1".into(), done: false }];
/// let opts = sdn_codec::SerOptions::new().root_table_name("tasks");
/// assert_eq!(sdn_codec::to_string_with(&tasks, &opts)?, "tasks |id, done|\n    T-1, false\n");
/// assert!(sdn_codec::to_string(&tasks).is_err());
/// # Ok::<(), sdn_codec::Error>(())
/// ```
pub fn to_string_with<T: Serialize + ?Sized>(
    value: &T,
    options: &SerOptions,
) -> Result<String, Error> {
    // Structs and maps: straight to text (same bytes as the `Value` route below).
    if let Some(result) = to_text::to_string(value) {
        return result;
    }
    let root = root_map(to_value(value)?, options)?;
    crate::canonical_writer::to_canonical_string(&Value::Dict(root))
}

/// Serializes `value` as canonical SDN into `writer`.
///
/// ```
/// #[derive(serde::Serialize)]
/// struct Config { name: String, port: u16 }
/// let mut out = Vec::new();
/// sdn_codec::to_writer(&mut out, &Config { name: "api".into(), port: 8080 })?;
/// assert_eq!(out, b"name: api\nport: 8080\n");
/// # Ok::<(), sdn_codec::Error>(())
/// ```
pub fn to_writer<W: io::Write, T: Serialize + ?Sized>(writer: W, value: &T) -> Result<(), Error> {
    to_writer_with(writer, value, &SerOptions::default())
}

/// [`to_writer`] with options.
pub fn to_writer_with<W: io::Write, T: Serialize + ?Sized>(
    mut writer: W,
    value: &T,
    options: &SerOptions,
) -> Result<(), Error> {
    let text = to_string_with(value, options)?;
    writer.write_all(text.as_bytes()).map_err(Error::writing)
}

/// The root dict of a document for `value`, or an error saying why it cannot be one.
fn root_map(value: Value, options: &SerOptions) -> Result<Map, Error> {
    match (value, &options.root_table_name) {
        (Value::Dict(map), _) => Ok(map),
        (seq @ (Value::Table(_) | Value::Array(_)), Some(name)) => {
            let mut map = Map::with_capacity(1);
            map.insert(name.clone(), seq);
            Ok(map)
        }
        (Value::Table(_) | Value::Array(_), None) => Err(Error::new(
            ErrorKind::Unwritable,
            "a top-level sequence cannot be an SDN document on its own: wrap it in a \
             struct field (the field name becomes the table name) or set \
             SerOptions::root_table_name",
        )),
        (other, _) => Err(Error::new(
            ErrorKind::Unwritable,
            format!(
                "an SDN document's root must be a dict (a struct or a map), not {}",
                other.kind_with_article()
            ),
        )),
    }
}
