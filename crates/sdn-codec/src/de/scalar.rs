//! The scalar rules both deserialization routes share: which Rust values an SDN scalar
//! reads as. The `Value` route (`ValueDeserializer` on a `Value::Scalar`) and the direct
//! text route (`from_text::ScalarDe`) both visit through [`Typed`], so they cannot drift.

use std::borrow::Cow;

use serde::de::{self, DeserializeSeed, VariantAccess, Visitor};

use crate::error::Error;
use crate::value::ScalarKind;

/// What a deserializer expects when an enum is read from a value that names none.
pub(crate) const ENUM_EXPECTED: &str = "a unit variant name or a one-entry dict";

/// A scalar's typed data, borrowing the text where it can (the direct route borrows
/// from the input, the `Value` route from or out of the `Value`).
pub(crate) enum Typed<'a> {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Cow<'a, str>),
}

impl<'a> Typed<'a> {
    /// The data of `kind`, borrowing its string.
    pub(crate) fn of(kind: &'a ScalarKind) -> Self {
        match kind {
            ScalarKind::Null => Typed::Null,
            ScalarKind::Bool(b) => Typed::Bool(*b),
            ScalarKind::Int(i) => Typed::Int(*i),
            ScalarKind::Float(f) => Typed::Float(*f),
            ScalarKind::String(s) => Typed::Str(Cow::Borrowed(s)),
        }
    }

    /// The data of `kind`, taking its string.
    pub(crate) fn owned(kind: ScalarKind) -> Self {
        match kind {
            ScalarKind::Null => Typed::Null,
            ScalarKind::Bool(b) => Typed::Bool(b),
            ScalarKind::Int(i) => Typed::Int(i),
            ScalarKind::Float(f) => Typed::Float(f),
            ScalarKind::String(s) => Typed::Str(Cow::Owned(s)),
        }
    }

    pub(crate) fn unexpected(&self) -> de::Unexpected<'_> {
        match self {
            Typed::Null => de::Unexpected::Unit,
            Typed::Bool(b) => de::Unexpected::Bool(*b),
            Typed::Int(i) => de::Unexpected::Signed(*i),
            Typed::Float(f) => de::Unexpected::Float(*f),
            Typed::Str(s) => de::Unexpected::Str(s),
        }
    }

    /// "Invalid type: `self`, expected `expected`".
    pub(crate) fn invalid_type(&self, expected: &dyn de::Expected) -> Error {
        de::Error::invalid_type(self.unexpected(), expected)
    }

    /// Any scalar: null is a unit, a string its text (borrowed when it can be).
    pub(crate) fn visit_any<'de, V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self {
            Typed::Null => visitor.visit_unit(),
            Typed::Bool(b) => visitor.visit_bool(b),
            Typed::Int(i) => visitor.visit_i64(i),
            Typed::Float(f) => visitor.visit_f64(f),
            Typed::Str(Cow::Borrowed(s)) => visitor.visit_str(s),
            Typed::Str(Cow::Owned(s)) => visitor.visit_string(s),
        }
    }

    /// Only `true`/`false` are bools.
    pub(crate) fn visit_bool<'de, V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self {
            Typed::Bool(b) => visitor.visit_bool(b),
            other => Err(other.invalid_type(&visitor)),
        }
    }

    /// Every integer type: serde's integer visitors check the range (`300` into `u8` is
    /// an error, never wrapped).
    pub(crate) fn visit_integer<'de, V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self {
            Typed::Int(i) => visitor.visit_i64(i),
            other => Err(other.invalid_type(&visitor)),
        }
    }

    /// A float, parsed from its `written` text straight to `f32` when possible (no
    /// double rounding); an integer also reads as a float.
    pub(crate) fn visit_f32<'de, V: Visitor<'de>>(
        self,
        written: Option<&str>,
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self {
            Typed::Float(f) => match written.and_then(|t| t.parse::<f32>().ok()) {
                Some(exact) => visitor.visit_f32(exact),
                None => visitor.visit_f64(f),
            },
            Typed::Int(i) => visitor.visit_i64(i),
            other => Err(other.invalid_type(&visitor)),
        }
    }

    /// A float; an integer also reads as a float.
    pub(crate) fn visit_f64<'de, V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self {
            Typed::Float(f) => visitor.visit_f64(f),
            Typed::Int(i) => visitor.visit_i64(i),
            other => Err(other.invalid_type(&visitor)),
        }
    }

    /// Bytes: the UTF-8 of a string.
    pub(crate) fn visit_byte_buf<'de, V: Visitor<'de>>(
        self,
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self {
            Typed::Str(s) => visitor.visit_byte_buf(s.into_owned().into_bytes()),
            other => Err(other.invalid_type(&visitor)),
        }
    }
}

/// The content of a unit variant: the variant access of a bare variant name, on both
/// routes (other variant kinds are a type error).
pub(crate) struct UnitOnly;

impl<'de> VariantAccess<'de> for UnitOnly {
    type Error = Error;
    fn unit_variant(self) -> Result<(), Error> {
        Ok(())
    }
    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, _seed: T) -> Result<T::Value, Error> {
        Err(de::Error::invalid_type(
            de::Unexpected::UnitVariant,
            &"newtype variant",
        ))
    }
    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, _visitor: V) -> Result<V::Value, Error> {
        Err(de::Error::invalid_type(
            de::Unexpected::UnitVariant,
            &"tuple variant",
        ))
    }
    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Error> {
        Err(de::Error::invalid_type(
            de::Unexpected::UnitVariant,
            &"struct variant",
        ))
    }
}
