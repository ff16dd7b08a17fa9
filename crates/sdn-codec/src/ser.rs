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
//! [`Table::from_records`]. So a `Vec` of flat structs (scalars, `Option`s, unit enum
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
use serde::ser::{self, Impossible};

use crate::error::{Error, ErrorKind};
use crate::value::{Map, Scalar, ScalarKind, Table, Value};

mod direct;

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
    if let Some(result) = direct::to_string(value) {
        return result;
    }
    let root = root_map(to_value(value)?, options)?;
    crate::write::to_canonical_string(&Value::Dict(root))
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
    writer
        .write_all(text.as_bytes())
        .map_err(|e| Error::new(ErrorKind::Io(e.kind()), format!("writing SDN: {e}")))
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

/// Builds a table out of `items` when they are all flat records with the same keys;
/// otherwise returns them as an array.
pub(crate) fn seq_to_value(items: Vec<Value>) -> Value {
    if let Some(columns) = table_columns(&items) {
        let mut table = Table::with_columns(columns);
        table.rows = items
            .into_iter()
            .map(|item| match item {
                Value::Dict(map) => map.into_iter().map(|(_, v)| v).collect(),
                // `table_columns` checked every item is a dict.
                other => vec![other],
            })
            .collect();
        Value::Table(table)
    } else {
        Value::Array(items)
    }
}

/// The column names when `items` is a non-empty list of dicts with identical keys (in
/// the same order, at least one) and no table values: the rule of
/// [`Table::from_records`], which tests check this agrees with.
fn table_columns(items: &[Value]) -> Option<Vec<String>> {
    let first = items.first()?.as_dict()?;
    if first.is_empty() {
        return None;
    }
    for item in items {
        let map = item.as_dict()?;
        if map.len() != first.len()
            || !map
                .iter()
                .zip(first.keys())
                .all(|((k, v), k0)| k == k0 && !matches!(v, Value::Table(_)))
        {
            return None;
        }
    }
    Some(first.keys().map(str::to_owned).collect())
}

/// The SDN integer for `v`, or an error when it is outside the signed 64-bit range:
/// the rule of both the `Value` route and the direct text route.
fn sdn_int<T: TryInto<i64> + Copy + std::fmt::Display>(v: T) -> Result<i64, Error> {
    v.try_into().map_err(|_| {
        Error::new(
            ErrorKind::IntegerOutOfRange,
            format!("integer {v} is outside the signed 64-bit range SDN integers have"),
        )
    })
}

/// The key of the entry `serialize_value` is writing (`SerializeMap` passes them apart).
fn take_key(key: &mut Option<String>) -> Result<String, Error> {
    key.take()
        .ok_or_else(|| Error::custom("serialize_value called before serialize_key"))
}

fn float_value(f: f64) -> Result<Value, Error> {
    if f.is_finite() {
        Ok(Value::scalar(ScalarKind::Float(f)))
    } else {
        Err(Error::new(
            ErrorKind::NonFiniteFloat,
            format!("{f} cannot be written: SDN floats are finite"),
        ))
    }
}

macro_rules! value_ints {
    ($($method:ident($t:ty)),*) => {$(
        fn $method(self, v: $t) -> Result<Value, Error> {
            sdn_int(v).map(Value::from)
        }
    )*};
}

/// The serde `Serializer` that builds a [`Value`]; used by [`to_value`].
#[derive(Debug, Clone, Copy, Default)]
pub struct ValueSerializer;

impl ser::Serializer for ValueSerializer {
    type Ok = Value;
    type Error = Error;
    type SerializeSeq = SeqBuilder;
    type SerializeTuple = SeqBuilder;
    type SerializeTupleStruct = SeqBuilder;
    type SerializeTupleVariant = VariantBuilder<SeqBuilder>;
    type SerializeMap = MapBuilder;
    type SerializeStruct = MapBuilder;
    type SerializeStructVariant = VariantBuilder<MapBuilder>;

    fn serialize_bool(self, v: bool) -> Result<Value, Error> {
        Ok(Value::from(v))
    }
    value_ints!(
        serialize_i8(i8),
        serialize_i16(i16),
        serialize_i32(i32),
        serialize_i64(i64),
        serialize_i128(i128),
        serialize_u8(u8),
        serialize_u16(u16),
        serialize_u32(u32),
        serialize_u64(u64),
        serialize_u128(u128)
    );
    fn serialize_f32(self, v: f32) -> Result<Value, Error> {
        float_value(f64::from(v))
    }
    fn serialize_f64(self, v: f64) -> Result<Value, Error> {
        float_value(v)
    }
    fn serialize_char(self, v: char) -> Result<Value, Error> {
        Ok(Value::from(v.to_string()))
    }
    fn serialize_str(self, v: &str) -> Result<Value, Error> {
        Ok(Value::from(v))
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<Value, Error> {
        Ok(Value::Array(v.iter().map(|&b| Value::from(b)).collect()))
    }
    fn serialize_none(self) -> Result<Value, Error> {
        Ok(Value::null())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Value, Error> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<Value, Error> {
        Ok(Value::null())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<Value, Error> {
        Ok(Value::null())
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<Value, Error> {
        Ok(Value::from(variant))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<Value, Error> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<Value, Error> {
        let mut map = Map::with_capacity(1);
        map.insert(variant, value.serialize(self)?);
        Ok(Value::Dict(map))
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<SeqBuilder, Error> {
        Ok(SeqBuilder {
            items: Vec::with_capacity(len.unwrap_or(0)),
        })
    }
    fn serialize_tuple(self, len: usize) -> Result<SeqBuilder, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _name: &'static str, len: usize) -> Result<SeqBuilder, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<VariantBuilder<SeqBuilder>, Error> {
        Ok(VariantBuilder {
            variant,
            inner: self.serialize_seq(Some(len))?,
        })
    }
    fn serialize_map(self, len: Option<usize>) -> Result<MapBuilder, Error> {
        Ok(MapBuilder {
            map: Map::with_capacity(len.unwrap_or(0)),
            key: None,
        })
    }
    fn serialize_struct(self, _name: &'static str, len: usize) -> Result<MapBuilder, Error> {
        self.serialize_map(Some(len))
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<VariantBuilder<MapBuilder>, Error> {
        Ok(VariantBuilder {
            variant,
            inner: self.serialize_map(Some(len))?,
        })
    }
}

/// Collects the elements of a sequence or tuple.
#[doc(hidden)]
pub struct SeqBuilder {
    items: Vec<Value>,
}

impl ser::SerializeSeq for SeqBuilder {
    type Ok = Value;
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.items.push(value.serialize(ValueSerializer)?);
        Ok(())
    }
    fn end(self) -> Result<Value, Error> {
        Ok(seq_to_value(self.items))
    }
}

impl ser::SerializeTuple for SeqBuilder {
    type Ok = Value;
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        ser::SerializeSeq::serialize_element(self, value)
    }
    fn end(self) -> Result<Value, Error> {
        ser::SerializeSeq::end(self)
    }
}

impl ser::SerializeTupleStruct for SeqBuilder {
    type Ok = Value;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        ser::SerializeSeq::serialize_element(self, value)
    }
    fn end(self) -> Result<Value, Error> {
        ser::SerializeSeq::end(self)
    }
}

/// Collects the entries of a map or struct.
#[doc(hidden)]
pub struct MapBuilder {
    map: Map,
    key: Option<String>,
}

impl MapBuilder {
    fn insert(&mut self, key: String, value: Value) -> Result<(), Error> {
        if self.map.contains_key(&key) {
            return Err(Error::new(
                ErrorKind::DuplicateKey {
                    key: key.clone(),
                    first_line: 0,
                },
                format!("key `{key}` is serialized twice"),
            ));
        }
        self.map.insert(key, value);
        Ok(())
    }
}

impl ser::SerializeMap for MapBuilder {
    type Ok = Value;
    type Error = Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        self.key = Some(key.serialize(KeySerializer)?);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        let key = take_key(&mut self.key)?;
        let value = value.serialize(ValueSerializer)?;
        self.insert(key, value)
    }
    fn end(self) -> Result<Value, Error> {
        Ok(Value::Dict(self.map))
    }
}

impl ser::SerializeStruct for MapBuilder {
    type Ok = Value;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        let value = value.serialize(ValueSerializer)?;
        self.insert(key.to_owned(), value)
    }
    fn end(self) -> Result<Value, Error> {
        Ok(Value::Dict(self.map))
    }
}

/// Wraps the content of a tuple or struct variant into `{Variant: content}`.
#[doc(hidden)]
pub struct VariantBuilder<B> {
    variant: &'static str,
    inner: B,
}

impl<B> VariantBuilder<B> {
    fn wrap(variant: &'static str, content: Value) -> Value {
        let mut map = Map::with_capacity(1);
        map.insert(variant, content);
        Value::Dict(map)
    }
}

impl ser::SerializeTupleVariant for VariantBuilder<SeqBuilder> {
    type Ok = Value;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        ser::SerializeSeq::serialize_element(&mut self.inner, value)
    }
    fn end(self) -> Result<Value, Error> {
        // A tuple variant's fields stay an array even when they look like records.
        Ok(Self::wrap(self.variant, Value::Array(self.inner.items)))
    }
}

impl ser::SerializeStructVariant for VariantBuilder<MapBuilder> {
    type Ok = Value;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        ser::SerializeStruct::serialize_field(&mut self.inner, key, value)
    }
    fn end(self) -> Result<Value, Error> {
        Ok(Self::wrap(self.variant, Value::Dict(self.inner.map)))
    }
}

/// Serializes map keys: strings, chars, integers and bools become the key text; any
/// other key type is an error.
struct KeySerializer;

fn key_error(what: &str) -> Error {
    Error::new(
        ErrorKind::Unwritable,
        format!("SDN dict keys must be strings (or integers, chars, bools), not {what}"),
    )
}

impl ser::Serializer for KeySerializer {
    type Ok = String;
    type Error = Error;
    type SerializeSeq = Impossible<String, Error>;
    type SerializeTuple = Impossible<String, Error>;
    type SerializeTupleStruct = Impossible<String, Error>;
    type SerializeTupleVariant = Impossible<String, Error>;
    type SerializeMap = Impossible<String, Error>;
    type SerializeStruct = Impossible<String, Error>;
    type SerializeStructVariant = Impossible<String, Error>;

    fn serialize_bool(self, v: bool) -> Result<String, Error> {
        Ok(v.to_string())
    }
    fn serialize_i8(self, v: i8) -> Result<String, Error> {
        Ok(v.to_string())
    }
    fn serialize_i16(self, v: i16) -> Result<String, Error> {
        Ok(v.to_string())
    }
    fn serialize_i32(self, v: i32) -> Result<String, Error> {
        Ok(v.to_string())
    }
    fn serialize_i64(self, v: i64) -> Result<String, Error> {
        Ok(v.to_string())
    }
    fn serialize_i128(self, v: i128) -> Result<String, Error> {
        Ok(v.to_string())
    }
    fn serialize_u8(self, v: u8) -> Result<String, Error> {
        Ok(v.to_string())
    }
    fn serialize_u16(self, v: u16) -> Result<String, Error> {
        Ok(v.to_string())
    }
    fn serialize_u32(self, v: u32) -> Result<String, Error> {
        Ok(v.to_string())
    }
    fn serialize_u64(self, v: u64) -> Result<String, Error> {
        Ok(v.to_string())
    }
    fn serialize_u128(self, v: u128) -> Result<String, Error> {
        Ok(v.to_string())
    }
    fn serialize_f32(self, _v: f32) -> Result<String, Error> {
        Err(key_error("a float"))
    }
    fn serialize_f64(self, _v: f64) -> Result<String, Error> {
        Err(key_error("a float"))
    }
    fn serialize_char(self, v: char) -> Result<String, Error> {
        Ok(v.to_string())
    }
    fn serialize_str(self, v: &str) -> Result<String, Error> {
        Ok(v.to_owned())
    }
    fn serialize_bytes(self, _v: &[u8]) -> Result<String, Error> {
        Err(key_error("bytes"))
    }
    fn serialize_none(self) -> Result<String, Error> {
        Err(key_error("None"))
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<String, Error> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<String, Error> {
        Err(key_error("()"))
    }
    fn serialize_unit_struct(self, name: &'static str) -> Result<String, Error> {
        Err(key_error(name))
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<String, Error> {
        Ok(variant.to_owned())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<String, Error> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _value: &T,
    ) -> Result<String, Error> {
        Err(key_error(variant))
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, Error> {
        Err(key_error("a sequence"))
    }
    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, Error> {
        Err(key_error("a tuple"))
    }
    fn serialize_tuple_struct(
        self,
        name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct, Error> {
        Err(key_error(name))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, Error> {
        Err(key_error(variant))
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, Error> {
        Err(key_error("a map"))
    }
    fn serialize_struct(
        self,
        name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStruct, Error> {
        Err(key_error(name))
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, Error> {
        Err(key_error(variant))
    }
}

/// A [`Value`] serializes as the data it holds: scalars as themselves (strings as
/// strings, whatever their source text), arrays as sequences, dicts as maps and tables
/// as sequences of row maps (column name to cell). Serializing a parsed document to
/// JSON this way gives the obvious JSON.
impl Serialize for Value {
    fn serialize<S: ser::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Scalar(s) => s.serialize(serializer),
            Value::Array(items) => serializer.collect_seq(items),
            Value::Dict(map) => serializer.collect_map(map.iter()),
            Value::Table(table) => {
                serializer.collect_seq(table.rows.iter().map(|row| RowRef { table, cells: row }))
            }
        }
    }
}

/// A scalar serializes as its data (`007` read from text serializes as the integer 7).
impl Serialize for Scalar {
    fn serialize<S: ser::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.kind() {
            ScalarKind::Null => serializer.serialize_unit(),
            ScalarKind::Bool(b) => serializer.serialize_bool(*b),
            ScalarKind::Int(i) => serializer.serialize_i64(*i),
            ScalarKind::Float(f) => serializer.serialize_f64(*f),
            ScalarKind::String(s) => serializer.serialize_str(s),
        }
    }
}

struct RowRef<'a> {
    table: &'a Table,
    cells: &'a [Value],
}

impl Serialize for RowRef<'_> {
    fn serialize<S: ser::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.cells.len()))?;
        for (i, (column, cell)) in self.table.columns.iter().zip(self.cells).enumerate() {
            match &column.name {
                Some(name) => map.serialize_entry(name, cell)?,
                None => map.serialize_entry(&i.to_string(), cell)?,
            }
        }
        map.end()
    }
}
