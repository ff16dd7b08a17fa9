//! The text route (the "direct path"): deserializing straight from the text of a document, without
//! building a [`Value`](crate::Value) first.
//!
//! It covers the shape of record files — root entries `key: scalar` and named tables
//! `name |a, b|` with rows of scalar cells — and borrows every cell from the input, so
//! only the `String`s the target type owns are allocated. Anything else (blocks, inline
//! arrays and dicts, multi-line quoted strings, typed tables, `=` entries, duplicate
//! keys, out-of-range literals, wrong cell counts, ...) makes it give up *before*
//! producing a result, and [`from_str_with`](super::from_str_with) then takes the
//! general path (parse to a `Value`, deserialize from it).
//!
//! The rules are the parser's (`crate::parse`): the same key characters, comment rule,
//! cell splitting, trimming and scalar typing (typing is delegated to
//! [`parse_scalar_text`]; quoted cells with escapes to [`decode_quoted`]). Tests check
//! the two paths agree on the corpus and on generated tables. When the direct path meets
//! a data error (a wrong type, say), the whole text is parsed once more so that a syntax
//! error later in the file still wins, exactly as on the general path; the data error
//! itself keeps the line and column of the failing cell or entry.

use std::borrow::Cow;

use serde::de::{
    self, DeserializeOwned, DeserializeSeed, EnumAccess, MapAccess, SeqAccess, Visitor,
};
use serde::forward_to_deserialize_any;

use super::context::{Index, check_columns, in_context};
use super::from_value::KeyDeserializer;
use super::options::DeOptions;
use super::scalar::{ENUM_EXPECTED, Typed, UnitOnly};
use crate::byte_search::contains_byte;
use crate::error::Error;

mod reader;

use reader::{Doc, Header, LineRef, Scalar, Statement, at};

/// Deserializes `T` straight from `text`, or returns `None` when the text has a shape
/// the direct path does not cover (the caller then takes the general path).
pub(crate) fn try_from_str<T: DeserializeOwned>(
    text: &str,
    options: &DeOptions,
) -> Option<Result<T, Error>> {
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    // A CR that is not part of a CRLF is a parse error: leave it to the parser.
    if contains_byte(body.as_bytes(), b'\r')
        && body
            .match_indices('\r')
            .any(|(i, _)| body.as_bytes().get(i + 1) != Some(&b'\n'))
    {
        return None;
    }
    let mut doc = Doc {
        text: body,
        pos: 0,
        line: 0,
        bailed: false,
        seen: Vec::new(),
    };
    let result = T::deserialize(RootDe {
        doc: &mut doc,
        options,
    });
    let result = result.and_then(|value| doc.skip_rest().map(|()| value));
    if doc.bailed {
        return None;
    }
    match result {
        Ok(value) => Some(Ok(value)),
        // A syntax error anywhere in the file takes precedence over a data error, as on
        // the general path.
        Err(err) => Some(Err(match crate::parse(text) {
            Err(syntax) => syntax,
            Ok(_) => err.with_source(body),
        })),
    }
}

// ---------------------------------------------------------------------------------------
// Root

struct RootDe<'d, 'a> {
    doc: &'d mut Doc<'a>,
    options: &'d DeOptions,
}

impl<'de> de::Deserializer<'de> for RootDe<'_, '_> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_map(RootAccess {
            doc: self.doc,
            options: self.options,
            pending: None,
        })
    }

    transparent!(deserialize_option deserialize_newtype_struct);
    forward_to_method!(deserialize_seq: deserialize_tuple deserialize_tuple_struct);

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        // Only a document that is exactly one table (the one asked for, if named).
        let doc = self.doc;
        let Some((key, Statement::Table(header))) = doc.next_statement()? else {
            return Err(doc.bail());
        };
        if self
            .options
            .root_table
            .as_deref()
            .is_some_and(|name| name != key)
        {
            return Err(doc.bail());
        }
        let value =
            visit_table(doc, &header, self.options, visitor).map_err(|e| in_context(e, &key))?;
        if doc.peek_meaningful()?.is_some() {
            return Err(doc.bail());
        }
        Ok(value)
    }
    // Scalars, units, enums and ignored values at the root are rare: leave them to the
    // general path.
    fn deserialize_bool<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Error> {
        Err(self.doc.bail())
    }
    forward_to_method!(deserialize_bool:
        deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64 deserialize_i128
        deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64 deserialize_u128
        deserialize_f32 deserialize_f64 deserialize_char deserialize_str deserialize_string
        deserialize_bytes deserialize_byte_buf deserialize_unit deserialize_unit_struct
        deserialize_enum deserialize_ignored_any);

    forward_to_deserialize_any! {
        map struct identifier
    }
}

struct RootAccess<'d, 'a> {
    doc: &'d mut Doc<'a>,
    options: &'d DeOptions,
    pending: Option<(&'a str, Statement<'a>)>,
}

impl<'de> MapAccess<'de> for RootAccess<'_, '_> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        match self.doc.next_statement()? {
            Some((key, statement)) => {
                let k = seed
                    .deserialize(KeyDeserializer { key })
                    .map_err(|e| in_context(e, &key))?;
                self.pending = Some((key, statement));
                Ok(Some(k))
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, Error> {
        let Some((key, statement)) = self.pending.take() else {
            return Err(Error::custom("next_value called before next_key"));
        };
        match statement {
            Statement::Scalar(scalar, line) => seed
                .deserialize(ScalarDe {
                    scalar,
                    bailed: &mut self.doc.bailed,
                })
                .map_err(|e| in_context(scalar.error_at(line, e), &key)),
            Statement::Table(header) => {
                let result = seed.deserialize(TableDe {
                    doc: self.doc,
                    header: &header,
                    options: self.options,
                    consumed: false,
                });
                // Whatever the target read, the rest of the table must be checked.
                let result =
                    result.and_then(|v| self.doc.skip_rows(header.columns.len()).map(|()| v));
                result.map_err(|e| in_context(e, &key))
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Tables and rows

struct TableDe<'d, 'a, 'h> {
    doc: &'d mut Doc<'a>,
    header: &'h Header<'a>,
    options: &'d DeOptions,
    consumed: bool,
}

impl TableDe<'_, '_, '_> {
    fn invalid_type<E: de::Expected>(&self, expected: &E) -> Error {
        at(
            de::Error::invalid_type(de::Unexpected::Other("table"), expected),
            self.header.line_index,
            self.header.line,
            0,
        )
    }
}

fn visit_table<'de, 'a, V: Visitor<'de>>(
    doc: &mut Doc<'a>,
    header: &Header<'a>,
    options: &DeOptions,
    visitor: V,
) -> Result<V::Value, Error> {
    let mut access = RowsAccess {
        doc,
        columns: &header.columns,
        options,
        cells: Vec::with_capacity(header.columns.len()),
        index: 0,
        checked_fields: None,
    };
    visitor.visit_seq(&mut access)
}

impl<'de> de::Deserializer<'de> for TableDe<'_, '_, '_> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(mut self, visitor: V) -> Result<V::Value, Error> {
        self.consumed = true;
        visit_table(self.doc, self.header, self.options, visitor)
    }
    forward_to_method!(deserialize_any:
        deserialize_seq deserialize_tuple deserialize_tuple_struct deserialize_bytes
        deserialize_byte_buf);
    transparent!(deserialize_option deserialize_newtype_struct);
    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        // The caller checks the rows it skips.
        visitor.visit_unit()
    }
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Error> {
        Err(self.invalid_type(&ENUM_EXPECTED))
    }

    // Any other request: a table is not that.
    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        Err(self.invalid_type(&visitor))
    }
    forward_to_method!(deserialize_bool:
        deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64 deserialize_i128
        deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64 deserialize_u128
        deserialize_f32 deserialize_f64 deserialize_char deserialize_str deserialize_string
        deserialize_unit deserialize_unit_struct deserialize_map deserialize_struct
        deserialize_identifier);
}

struct RowsAccess<'d, 'a, 'h> {
    doc: &'d mut Doc<'a>,
    columns: &'h [&'a str],
    options: &'d DeOptions,
    cells: Vec<Scalar<'a>>,
    index: usize,
    checked_fields: Option<&'static [&'static str]>,
}

impl<'de> SeqAccess<'de> for RowsAccess<'_, '_, '_> {
    type Error = Error;

    fn size_hint(&self) -> Option<usize> {
        // A capacity estimate only (serde caps what it preallocates from it): the rest
        // of the text divided by the length of the next line.
        let rest = self.doc.text.get(self.doc.pos..).unwrap_or("");
        let line = rest.find('\n').map_or(rest.len(), |i| i + 1);
        Some(rest.len() / line.max(1))
    }

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        let Some((line_index, line, start)) =
            self.doc.next_row(self.columns.len(), &mut self.cells)?
        else {
            return Ok(None);
        };
        let index = self.index;
        self.index += 1;
        let row = RowDe {
            columns: self.columns,
            cells: &self.cells,
            line: LineRef {
                index: line_index,
                text: line,
            },
            options: self.options,
            checked_fields: &mut self.checked_fields,
            bailed: &mut self.doc.bailed,
        };
        seed.deserialize(row)
            .map(Some)
            .map_err(|e| in_context(at(e, line_index, line, start), &Index(index)))
    }
}

struct RowDe<'r, 'a> {
    columns: &'r [&'a str],
    cells: &'r [Scalar<'a>],
    line: LineRef<'a>,
    options: &'r DeOptions,
    /// The field list the columns were last checked against (`deny_unknown_columns`).
    checked_fields: &'r mut Option<&'static [&'static str]>,
    bailed: &'r mut bool,
}

impl<'r, 'a> RowDe<'r, 'a> {
    /// The row's cells, read as a map (by column name) or as a sequence.
    fn cells(self) -> RowCells<'r, 'a> {
        RowCells {
            columns: self.columns,
            cells: self.cells,
            line: self.line,
            next: 0,
            bailed: self.bailed,
        }
    }
}

impl<'de> de::Deserializer<'de> for RowDe<'_, '_> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_map(self.cells())
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        // The columns are the same for every row: check them once per table and
        // field list, not per row.
        if self.options.deny_unknown_columns
            && !self
                .checked_fields
                .is_some_and(|checked| std::ptr::eq(checked, fields))
        {
            check_columns(self.columns, fields)?;
            *self.checked_fields = Some(fields);
        }
        self.deserialize_any(visitor)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let mut access = self.cells();
        let value = visitor.visit_seq(&mut access)?;
        if access.next == access.cells.len() {
            Ok(value)
        } else {
            Err(de::Error::invalid_length(
                access.cells.len(),
                &"fewer elements in the array",
            ))
        }
    }
    forward_to_method!(deserialize_seq: deserialize_tuple deserialize_tuple_struct);
    transparent!(deserialize_option deserialize_newtype_struct);

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct map enum identifier ignored_any
    }
}

/// The cells of one row, in order: a map from column name to cell for records, a
/// sequence for tuples.
struct RowCells<'r, 'a> {
    columns: &'r [&'a str],
    cells: &'r [Scalar<'a>],
    line: LineRef<'a>,
    next: usize,
    bailed: &'r mut bool,
}

impl RowCells<'_, '_> {
    /// Deserializes `cell`, naming `segment` in its errors.
    fn cell<'de, T: DeserializeSeed<'de>>(
        &mut self,
        cell: Scalar<'_>,
        seed: T,
        segment: &dyn std::fmt::Display,
    ) -> Result<T::Value, Error> {
        seed.deserialize(ScalarDe {
            scalar: cell,
            bailed: self.bailed,
        })
        .map_err(|e| in_context(cell.error_at(self.line, e), segment))
    }
}

impl<'de> MapAccess<'de> for RowCells<'_, '_> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        match self.columns.get(self.next) {
            Some(column) => seed.deserialize(KeyDeserializer { key: column }).map(Some),
            None => Ok(None),
        }
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, Error> {
        let i = self.next;
        self.next += 1;
        let (Some(column), Some(&cell)) = (self.columns.get(i), self.cells.get(i)) else {
            return Err(Error::custom("next_value called before next_key"));
        };
        self.cell(cell, seed, column)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.columns.len() - self.next)
    }
}

impl<'de> SeqAccess<'de> for RowCells<'_, '_> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        let i = self.next;
        let Some(&cell) = self.cells.get(i) else {
            return Ok(None);
        };
        self.next += 1;
        self.cell(cell, seed, &Index(i)).map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.cells.len() - self.next)
    }
}

// ---------------------------------------------------------------------------------------
// Scalars

/// Deserializes one scalar with the same rules as the general path (`ValueDeserializer`
/// on a `Value::Scalar`).
struct ScalarDe<'r, 'a> {
    scalar: Scalar<'a>,
    bailed: &'r mut bool,
}

impl<'a> ScalarDe<'_, 'a> {
    fn typed(&mut self) -> Result<Typed<'a>, Error> {
        self.scalar.typed(self.bailed)
    }
}

impl<'de> de::Deserializer<'de> for ScalarDe<'_, '_> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(mut self, visitor: V) -> Result<V::Value, Error> {
        self.typed()?.visit_any(visitor)
    }
    fn deserialize_bool<V: Visitor<'de>>(mut self, visitor: V) -> Result<V::Value, Error> {
        self.typed()?.visit_bool(visitor)
    }
    fn deserialize_i64<V: Visitor<'de>>(mut self, visitor: V) -> Result<V::Value, Error> {
        self.typed()?.visit_integer(visitor)
    }
    forward_to_method!(deserialize_i64:
        deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i128 deserialize_u8
        deserialize_u16 deserialize_u32 deserialize_u64 deserialize_u128);
    fn deserialize_f32<V: Visitor<'de>>(mut self, visitor: V) -> Result<V::Value, Error> {
        self.typed()?.visit_f32(Some(self.scalar.text), visitor)
    }
    fn deserialize_f64<V: Visitor<'de>>(mut self, visitor: V) -> Result<V::Value, Error> {
        self.typed()?.visit_f64(visitor)
    }

    forward_to_method!(deserialize_string: deserialize_char deserialize_str deserialize_identifier);
    fn deserialize_string<V: Visitor<'de>>(mut self, visitor: V) -> Result<V::Value, Error> {
        if self.scalar.quoted {
            return match self.scalar.decoded(self.bailed)? {
                Cow::Borrowed(s) => visitor.visit_str(s),
                Cow::Owned(s) => visitor.visit_string(s),
            };
        }
        // Plain: the exact text, whatever it looks like; only null is not a string.
        // Text that cannot be a number needs no typing (and no out-of-range check).
        let t = self.scalar.text;
        let needs_typing = match t.as_bytes().first() {
            Some(b'0'..=b'9' | b'-') => true,
            Some(b'n') => t == "null" || t == "nil",
            _ => false,
        };
        if !needs_typing {
            return visitor.visit_str(t);
        }
        match self.typed()? {
            Typed::Null => Err(Typed::Null.invalid_type(&visitor)),
            _ => visitor.visit_str(self.scalar.text),
        }
    }
    forward_to_method!(deserialize_byte_buf: deserialize_bytes);
    fn deserialize_byte_buf<V: Visitor<'de>>(mut self, visitor: V) -> Result<V::Value, Error> {
        self.typed()?.visit_byte_buf(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(mut self, visitor: V) -> Result<V::Value, Error> {
        if self.scalar.is_absent() {
            // Still type-check `null`/`nil` like the parser (they always pass).
            self.typed()?;
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }
    fn deserialize_unit<V: Visitor<'de>>(mut self, visitor: V) -> Result<V::Value, Error> {
        if self.scalar.is_absent() {
            visitor.visit_unit()
        } else {
            let typed = self.typed()?;
            Err(typed.invalid_type(&visitor))
        }
    }
    forward_to_method!(deserialize_unit: deserialize_unit_struct);
    transparent!(deserialize_newtype_struct);

    fn deserialize_seq<V: Visitor<'de>>(mut self, visitor: V) -> Result<V::Value, Error> {
        let typed = self.typed()?;
        Err(typed.invalid_type(&visitor))
    }
    forward_to_method!(deserialize_seq:
        deserialize_tuple deserialize_tuple_struct deserialize_map deserialize_struct);

    fn deserialize_enum<V: Visitor<'de>>(
        mut self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.typed()? {
            Typed::Str(variant) => visitor.visit_enum(UnitEnum { variant }),
            other => Err(other.invalid_type(&ENUM_EXPECTED)),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(mut self, visitor: V) -> Result<V::Value, Error> {
        self.typed()?;
        visitor.visit_unit()
    }
}

/// A unit variant named by a scalar string.
struct UnitEnum<'a> {
    variant: Cow<'a, str>,
}

impl<'de> EnumAccess<'de> for UnitEnum<'_> {
    type Error = Error;
    type Variant = UnitOnly;
    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, UnitOnly), Error> {
        let value = seed.deserialize(KeyDeserializer { key: &self.variant })?;
        Ok((value, UnitOnly))
    }
}

#[cfg(test)]
mod tests;
