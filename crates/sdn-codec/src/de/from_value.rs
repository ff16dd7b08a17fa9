//! Deserializing from a [`Value`]: the general route, for every document shape (the
//! text route in [`from_text`](super::from_text) covers record files only and leaves
//! the rest to this one), and the serde impls that make a `Value` a `Deserializer` and
//! a `Deserialize` target.

use std::fmt;

use serde::de::Deserializer as _;
use serde::de::{
    self, DeserializeSeed, EnumAccess, IntoDeserializer, MapAccess, SeqAccess, VariantAccess,
    Visitor,
};
use serde::forward_to_deserialize_any;

use super::context::{Index, check_columns, in_context};
use super::options::{DEFAULT_OPTIONS, DeOptions};
use super::scalar::{ENUM_EXPECTED, Typed, UnitOnly};
use crate::error::{Error, ErrorKind};
use crate::value::{Map, Scalar, ScalarKind, Table, Value};

// ---------------------------------------------------------------------------------------
// Root

/// Deserializes the document root: like [`ValueDeserializer`], except that a request
/// for a sequence picks one root entry (see [`DeOptions::root_table`]).
pub(super) struct RootDeserializer<'o> {
    pub(super) value: Value,
    pub(super) options: &'o DeOptions,
}

impl<'o> RootDeserializer<'o> {
    fn into_value_deserializer(self) -> ValueDeserializer<'o> {
        ValueDeserializer::new(self.value, self.options)
    }

    fn root_sequence(self) -> Result<(String, Value), Error> {
        let map = match self.value {
            Value::Dict(map) => map,
            other => return Ok((String::new(), other)),
        };
        match &self.options.root_table {
            Some(name) => {
                let mut map = map;
                match map.remove(name) {
                    Some(v) => Ok((name.clone(), v)),
                    None => Err(Error::new(
                        ErrorKind::Custom,
                        format!("the document has no root entry `{name}`"),
                    )),
                }
            }
            None if map.len() == 1 => Ok(map.into_iter().next().unwrap_or_default()),
            None => Err(Error::new(
                ErrorKind::Custom,
                format!(
                    "a sequence was requested but the document has {} root entries; \
                     name one with DeOptions::root_table",
                    map.len()
                ),
            )),
        }
    }
}

impl<'de> de::Deserializer<'de> for RootDeserializer<'_> {
    type Error = Error;

    forward_to_value_deserializer!(RootDeserializer::into_value_deserializer;);
    forward_to_method!(deserialize_seq: deserialize_tuple deserialize_tuple_struct);
    transparent!(deserialize_newtype_struct);

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let options = self.options;
        let (name, value) = self.root_sequence()?;
        ValueDeserializer::new(value, options)
            .deserialize_seq(visitor)
            .map_err(|e| {
                if name.is_empty() {
                    e
                } else {
                    in_context(e, &name)
                }
            })
    }
}

// ---------------------------------------------------------------------------------------
// Value deserializer

/// Deserializes from an owned [`Value`] with options.
pub(crate) struct ValueDeserializer<'o> {
    value: Value,
    options: &'o DeOptions,
}

impl<'o> ValueDeserializer<'o> {
    pub(crate) fn new(value: Value, options: &'o DeOptions) -> Self {
        ValueDeserializer { value, options }
    }

    fn invalid_type<E: de::Expected>(&self, expected: &E) -> Error {
        de::Error::invalid_type(unexpected(&self.value), expected)
    }
}

pub(super) fn unexpected(value: &Value) -> de::Unexpected<'_> {
    match value {
        Value::Scalar(s) => match s.kind() {
            ScalarKind::Null => de::Unexpected::Unit,
            ScalarKind::Bool(b) => de::Unexpected::Bool(*b),
            ScalarKind::Int(i) => de::Unexpected::Signed(*i),
            ScalarKind::Float(f) => de::Unexpected::Float(*f),
            ScalarKind::String(s) => de::Unexpected::Str(s),
        },
        Value::Array(_) => de::Unexpected::Seq,
        Value::Dict(_) => de::Unexpected::Map,
        Value::Table(_) => de::Unexpected::Other("table"),
    }
}

/// True for a scalar that reads as "nothing" for an `Option`: null, or an empty string
/// that was written unquoted (an empty table cell).
pub(crate) fn is_absent(scalar: &Scalar) -> bool {
    match scalar.kind() {
        ScalarKind::Null => true,
        ScalarKind::String(s) => s.is_empty() && scalar.source_text() == Some(""),
        _ => false,
    }
}

/// The text a `String` field gets from a scalar (a string's content, or the exact
/// source text of a number or bool), or `None` for null.
pub(super) fn scalar_into_text(scalar: Scalar) -> Option<String> {
    match scalar.kind() {
        ScalarKind::Null => None,
        ScalarKind::String(_) => match scalar.into_kind() {
            ScalarKind::String(s) => Some(s),
            _ => None,
        },
        _ => Some(scalar.text().into_owned()),
    }
}

impl<'de> de::Deserializer<'de> for ValueDeserializer<'_> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            Value::Scalar(s) => Typed::owned(s.into_kind()).visit_any(visitor),
            Value::Array(items) => visit_array(items, self.options, visitor),
            Value::Dict(map) => visitor.visit_map(DictAccess::new(map, self.options)),
            Value::Table(table) => visit_table(table, self.options, visitor),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match &self.value {
            Value::Scalar(s) => Typed::of(s.kind()).visit_bool(visitor),
            _ => Err(self.invalid_type(&visitor)),
        }
    }

    fn deserialize_i64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match &self.value {
            Value::Scalar(s) => Typed::of(s.kind()).visit_integer(visitor),
            _ => Err(self.invalid_type(&visitor)),
        }
    }
    forward_to_method!(deserialize_i64:
        deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i128 deserialize_u8
        deserialize_u16 deserialize_u32 deserialize_u64 deserialize_u128);

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match &self.value {
            Value::Scalar(s) => Typed::of(s.kind()).visit_f32(s.source_text(), visitor),
            _ => Err(self.invalid_type(&visitor)),
        }
    }
    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match &self.value {
            Value::Scalar(s) => Typed::of(s.kind()).visit_f64(visitor),
            _ => Err(self.invalid_type(&visitor)),
        }
    }

    forward_to_method!(deserialize_string: deserialize_char deserialize_str deserialize_identifier);
    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            Value::Scalar(s) => match scalar_into_text(s) {
                Some(text) => visitor.visit_string(text),
                None => Err(Typed::Null.invalid_type(&visitor)),
            },
            _ => Err(self.invalid_type(&visitor)),
        }
    }
    forward_to_method!(deserialize_byte_buf: deserialize_bytes);
    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            Value::Scalar(s) => Typed::owned(s.into_kind()).visit_byte_buf(visitor),
            other => ValueDeserializer::new(other, self.options).deserialize_any(visitor),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match &self.value {
            Value::Scalar(s) if is_absent(s) => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }
    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match &self.value {
            Value::Scalar(s) if is_absent(s) => visitor.visit_unit(),
            _ => Err(self.invalid_type(&visitor)),
        }
    }
    forward_to_method!(deserialize_unit: deserialize_unit_struct);
    transparent!(deserialize_newtype_struct);

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            Value::Array(items) => visit_array(items, self.options, visitor),
            Value::Table(table) => visit_table(table, self.options, visitor),
            _ => Err(self.invalid_type(&visitor)),
        }
    }
    forward_to_method!(deserialize_seq: deserialize_tuple deserialize_tuple_struct);

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            Value::Dict(map) => visitor.visit_map(DictAccess::new(map, self.options)),
            _ => Err(self.invalid_type(&visitor)),
        }
    }
    forward_to_method!(deserialize_map: deserialize_struct);

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        let options = self.options;
        match self.value {
            Value::Scalar(s) => match s.into_kind() {
                ScalarKind::String(variant) => visitor.visit_enum(ValueEnum {
                    variant,
                    content: None,
                    options,
                }),
                other => Err(Typed::owned(other).invalid_type(&ENUM_EXPECTED)),
            },
            Value::Dict(map) if map.len() == 1 => {
                let (variant, content) = map.into_iter().next().unwrap_or_default();
                visitor
                    .visit_enum(ValueEnum {
                        variant: variant.clone(),
                        content: Some(content),
                        options,
                    })
                    .map_err(|e| in_context(e, &variant))
            }
            other => Err(de::Error::invalid_type(unexpected(&other), &ENUM_EXPECTED)),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_unit()
    }
}

pub(super) fn visit_array<'de, V: Visitor<'de>>(
    items: Vec<Value>,
    options: &DeOptions,
    visitor: V,
) -> Result<V::Value, Error> {
    let len = items.len();
    let mut access = ArrayAccess {
        items: items.into_iter(),
        index: 0,
        options,
    };
    let value = visitor.visit_seq(&mut access)?;
    if access.items.len() == 0 {
        Ok(value)
    } else {
        Err(de::Error::invalid_length(
            len,
            &"fewer elements in the array",
        ))
    }
}

pub(super) struct ArrayAccess<'o> {
    items: std::vec::IntoIter<Value>,
    index: usize,
    options: &'o DeOptions,
}

impl<'de> SeqAccess<'de> for ArrayAccess<'_> {
    type Error = Error;
    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        match self.items.next() {
            Some(item) => {
                let index = self.index;
                self.index += 1;
                seed.deserialize(ValueDeserializer::new(item, self.options))
                    .map(Some)
                    .map_err(|e| in_context(e, &Index(index)))
            }
            None => Ok(None),
        }
    }
    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

pub(super) struct DictAccess<'o> {
    entries: std::vec::IntoIter<(String, Value)>,
    pending: Option<(String, Value)>,
    options: &'o DeOptions,
}

impl<'o> DictAccess<'o> {
    fn new(map: Map, options: &'o DeOptions) -> Self {
        DictAccess {
            entries: map.into_iter().collect::<Vec<_>>().into_iter(),
            pending: None,
            options,
        }
    }
}

impl<'de> MapAccess<'de> for DictAccess<'_> {
    type Error = Error;
    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        match self.entries.next() {
            Some((key, value)) => {
                let k = seed
                    .deserialize(KeyDeserializer { key: &key })
                    .map_err(|e| in_context(e, &key))?;
                self.pending = Some((key, value));
                Ok(Some(k))
            }
            None => Ok(None),
        }
    }
    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, Error> {
        let (key, value) = self
            .pending
            .take()
            .ok_or_else(|| Error::custom("next_value called before next_key"))?;
        seed.deserialize(ValueDeserializer::new(value, self.options))
            .map_err(|e| in_context(e, &key))
    }
    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

pub(super) fn visit_table<'de, V: Visitor<'de>>(
    table: Table,
    options: &DeOptions,
    visitor: V,
) -> Result<V::Value, Error> {
    let columns = table.column_keys();
    let mut access = TableAccess {
        columns,
        rows: table.rows.into_iter(),
        index: 0,
        options,
    };
    visitor.visit_seq(&mut access)
}

pub(super) struct TableAccess<'o> {
    columns: Vec<String>,
    rows: std::vec::IntoIter<Vec<Value>>,
    index: usize,
    options: &'o DeOptions,
}

impl<'de> SeqAccess<'de> for TableAccess<'_> {
    type Error = Error;
    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        match self.rows.next() {
            Some(cells) => {
                let index = self.index;
                self.index += 1;
                seed.deserialize(RowDeserializer {
                    columns: &self.columns,
                    cells,
                    options: self.options,
                })
                .map(Some)
                .map_err(|e| in_context(e, &Index(index)))
            }
            None => Ok(None),
        }
    }
    fn size_hint(&self) -> Option<usize> {
        Some(self.rows.len())
    }
}

/// One table row: a map from column name to cell (or a sequence of cells, for tuples).
pub(super) struct RowDeserializer<'a> {
    pub(super) columns: &'a [String],
    pub(super) cells: Vec<Value>,
    pub(super) options: &'a DeOptions,
}

impl<'de> de::Deserializer<'de> for RowDeserializer<'_> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_map(RowAccess {
            columns: self.columns.iter(),
            cells: self.cells.into_iter(),
            pending: None,
            options: self.options,
        })
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        if self.options.deny_unknown_columns {
            check_columns(self.columns, fields)?;
        }
        self.deserialize_any(visitor)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visit_array(self.cells, self.options, visitor)
    }
    forward_to_method!(deserialize_seq: deserialize_tuple deserialize_tuple_struct);
    transparent!(deserialize_option deserialize_newtype_struct);

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct map enum identifier ignored_any
    }
}

pub(super) struct RowAccess<'a> {
    columns: std::slice::Iter<'a, String>,
    cells: std::vec::IntoIter<Value>,
    pending: Option<(&'a str, Value)>,
    options: &'a DeOptions,
}

impl<'de> MapAccess<'de> for RowAccess<'_> {
    type Error = Error;
    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        match (self.columns.next(), self.cells.next()) {
            (Some(column), Some(cell)) => {
                let key = seed.deserialize(KeyDeserializer { key: column })?;
                self.pending = Some((column, cell));
                Ok(Some(key))
            }
            _ => Ok(None),
        }
    }
    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, Error> {
        let (column, cell) = self
            .pending
            .take()
            .ok_or_else(|| Error::custom("next_value called before next_key"))?;
        seed.deserialize(ValueDeserializer::new(cell, self.options))
            .map_err(|e| in_context(e, &column))
    }
    fn size_hint(&self) -> Option<usize> {
        Some(self.cells.len())
    }
}

/// A dict key or column name. Besides strings it reads as an integer or bool when the
/// target asks for one (`HashMap<u32, T>`), and as a unit variant for enum keys.
pub(crate) struct KeyDeserializer<'a> {
    pub(crate) key: &'a str,
}

macro_rules! key_parse {
    ($($method:ident => $visit:ident: $t:ty),*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            match self.key.parse::<$t>() {
                Ok(v) => visitor.$visit(v),
                Err(_) => Err(de::Error::invalid_value(de::Unexpected::Str(self.key), &visitor)),
            }
        }
    )*};
}

impl<'de> de::Deserializer<'de> for KeyDeserializer<'_> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_str(self.key)
    }

    key_parse!(
        deserialize_bool => visit_bool: bool,
        deserialize_i8 => visit_i8: i8, deserialize_i16 => visit_i16: i16,
        deserialize_i32 => visit_i32: i32, deserialize_i64 => visit_i64: i64,
        deserialize_i128 => visit_i128: i128,
        deserialize_u8 => visit_u8: u8, deserialize_u16 => visit_u16: u16,
        deserialize_u32 => visit_u32: u32, deserialize_u64 => visit_u64: u64,
        deserialize_u128 => visit_u128: u128
    );

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_enum(de::value::StrDeserializer::<Error>::new(self.key))
    }
    transparent!(deserialize_option deserialize_newtype_struct);

    forward_to_deserialize_any! {
        f32 f64 char str string bytes byte_buf unit unit_struct seq tuple
        tuple_struct map struct identifier ignored_any
    }
}

pub(super) struct ValueEnum<'o> {
    variant: String,
    content: Option<Value>,
    options: &'o DeOptions,
}

impl<'de, 'o> EnumAccess<'de> for ValueEnum<'o> {
    type Error = Error;
    type Variant = VariantContent<'o>;
    fn variant_seed<V: DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, Self::Variant), Error> {
        let variant = seed.deserialize(KeyDeserializer { key: &self.variant })?;
        Ok((
            variant,
            VariantContent {
                content: self.content,
                options: self.options,
            },
        ))
    }
}

pub(super) struct VariantContent<'o> {
    content: Option<Value>,
    options: &'o DeOptions,
}

impl<'de> VariantAccess<'de> for VariantContent<'_> {
    type Error = Error;
    fn unit_variant(self) -> Result<(), Error> {
        match self.content {
            None => Ok(()),
            Some(Value::Scalar(s)) if is_absent(&s) => Ok(()),
            Some(other) => Err(de::Error::invalid_type(unexpected(&other), &"unit variant")),
        }
    }
    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, Error> {
        match self.content {
            Some(value) => seed.deserialize(ValueDeserializer::new(value, self.options)),
            None => UnitOnly.newtype_variant_seed(seed),
        }
    }
    fn tuple_variant<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, Error> {
        match self.content {
            Some(value) => ValueDeserializer::new(value, self.options).deserialize_seq(visitor),
            None => UnitOnly.tuple_variant(len, visitor),
        }
    }
    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.content {
            Some(value) => ValueDeserializer::new(value, self.options).deserialize_map(visitor),
            None => UnitOnly.struct_variant(fields, visitor),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Public Deserializer / Deserialize impls for Value

/// A [`Value`] is a serde `Deserializer` with the mapping of the [module docs](crate::de)
/// and default [`DeOptions`].
///
/// ```
/// use serde::Deserialize;
/// let v = sdn_codec::parse("ports: [80, 443]\n")?;
/// let ports = Vec::<u16>::deserialize(v["ports"].clone())?;
/// assert_eq!(ports, [80, 443]);
/// # Ok::<(), sdn_codec::Error>(())
/// ```
impl<'de> de::Deserializer<'de> for Value {
    type Error = Error;

    forward_to_value_deserializer!(with_default_options; deserialize_seq);
    forward_to_method!(deserialize_seq: deserialize_tuple deserialize_tuple_struct);
    transparent!(deserialize_newtype_struct);
}

pub(super) fn with_default_options(value: Value) -> ValueDeserializer<'static> {
    ValueDeserializer::new(value, &DEFAULT_OPTIONS)
}

impl IntoDeserializer<'_, Error> for Value {
    type Deserializer = Value;
    fn into_deserializer(self) -> Value {
        self
    }
}

/// Builds a [`Value`] from any self-describing format (JSON, say). A sequence of flat
/// records with the same keys becomes a [`Table`], so JSON arrays of objects turn into
/// SDN tables; an unsigned integer beyond the signed 64-bit range is an error.
///
/// ```
/// let v: sdn_codec::Value = serde_json::from_str(r#"{"todos": [{"id": 1}, {"id": 2}]}"#).unwrap();
/// assert_eq!(sdn_codec::to_canonical_string(&v)?, "todos |id|\n    1\n    2\n");
/// # Ok::<(), sdn_codec::Error>(())
/// ```
impl<'de> de::Deserialize<'de> for Value {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(ValueVisitor)
    }
}

pub(super) struct ValueVisitor;

/// An integer another format gives that may lie outside the signed 64-bit range.
pub(super) fn wide_int<E: de::Error>(
    v: impl TryInto<i64> + fmt::Display + Copy,
) -> Result<Value, E> {
    v.try_into()
        .map(Value::from)
        .map_err(|_| E::custom(format!("integer {v} is outside the signed 64-bit range")))
}

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any SDN value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        wide_int(v)
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Value, E> {
        wide_int(v)
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Value, E> {
        wide_int(v)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        if v.is_finite() {
            Ok(Value::from(v))
        } else {
            Err(E::custom(format!(
                "{v} is not an SDN float (floats are finite)"
            )))
        }
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Value, E> {
        Ok(Value::Array(v.iter().map(|&b| Value::from(b)).collect()))
    }
    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::null())
    }
    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        de::Deserialize::deserialize(d)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::null())
    }
    fn visit_newtype_struct<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        de::Deserialize::deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(item) = seq.next_element::<Value>()? {
            items.push(item);
        }
        Ok(crate::ser::seq_to_value(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let mut map = Map::with_capacity(access.size_hint().unwrap_or(0).min(4096));
        while let Some(key) = access.next_key::<String>()? {
            if map.contains_key(&key) {
                return Err(de::Error::custom(format!("duplicate key `{key}`")));
            }
            let value = access.next_value::<Value>()?;
            map.insert(key, value);
        }
        Ok(Value::Dict(map))
    }
}
