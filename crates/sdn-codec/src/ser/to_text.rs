//! The direct path for serialization: writing canonical text straight from a root
//! struct or map, without building a [`Value`](crate::Value) first.
//!
//! It writes the entries that are the bulk of record files — scalars and tables of
//! scalar cells — itself, with the canonical writer's own helpers
//! ([`format_key`], [`format_float`], and the quoting rule of `is_plain_string_safe`
//! and `quote_string`, checked against them by tests); every other entry (a
//! nested dict, an array, an empty sequence, a table with inline array/dict cells,
//! records with differing keys) is converted to a `Value` and written by the canonical
//! writer, one entry at a time. Root entries are written independently of each other,
//! so the result is the same bytes as `to_canonical_string(&to_value(x)?)`; tests check
//! that on every serialized type, including generated ones.

use serde::Serialize;
use serde::ser::{self, Impossible};

use super::mapping::{float_value, sdn_int, take_key};
use super::to_value::{KeySerializer, ValueSerializer};
use crate::canonical_writer::{format_float, format_key, map_to_canonical_string};
use crate::error::{Error, ErrorKind};
use crate::syntax::{INDENT, KEY_VALUE, SEPARATOR, push_int, push_string, push_table_header};
use crate::value::Map;

macro_rules! entry_ints {
    ($($method:ident($t:ty)),*) => {$(
        fn $method(self, v: $t) -> Result<(), Error> {
            let i = sdn_int(v)?;
            self.scalar_line(|out| { push_int(out, i); Ok(()) })
        }
    )*};
}

macro_rules! cell_ints {
    ($($method:ident($t:ty)),*) => {$(
        fn $method(self, v: $t) -> Result<(), Error> {
            push_int(self.out, sdn_int(v)?);
            Ok(())
        }
    )*};
}

/// Implements the listed `Serializer` methods as "decline": `self.give_up()` raises the
/// serializer's flag, and the value is written by the general path instead.
macro_rules! give_up {
    ($($method:ident $(($t:ty))?)*) => {$( give_up!(@ $method $(($t))?); )*};
    (@sig $method:ident($($arg:ty),*) -> $ok:ty) => {
        fn $method(self, $(_: $arg),*) -> Result<$ok, Error> {
            Err(self.give_up())
        }
    };
    (@ serialize_none) => { give_up!(@sig serialize_none() -> ()); };
    (@ serialize_unit) => { give_up!(@sig serialize_unit() -> ()); };
    (@ serialize_unit_struct) => { give_up!(@sig serialize_unit_struct(&'static str) -> ()); };
    (@ serialize_unit_variant) => {
        give_up!(@sig serialize_unit_variant(&'static str, u32, &'static str) -> ());
    };
    (@ serialize_seq) => {
        give_up!(@sig serialize_seq(Option<usize>) -> Self::SerializeSeq);
    };
    (@ serialize_tuple) => { give_up!(@sig serialize_tuple(usize) -> Self::SerializeTuple); };
    (@ serialize_tuple_struct) => {
        give_up!(@sig serialize_tuple_struct(&'static str, usize) -> Self::SerializeTupleStruct);
    };
    (@ serialize_tuple_variant) => {
        give_up!(@sig serialize_tuple_variant(&'static str, u32, &'static str, usize)
            -> Self::SerializeTupleVariant);
    };
    (@ serialize_map) => { give_up!(@sig serialize_map(Option<usize>) -> Self::SerializeMap); };
    (@ serialize_struct) => {
        give_up!(@sig serialize_struct(&'static str, usize) -> Self::SerializeStruct);
    };
    (@ serialize_struct_variant) => {
        give_up!(@sig serialize_struct_variant(&'static str, u32, &'static str, usize)
            -> Self::SerializeStructVariant);
    };
    (@ serialize_newtype_variant) => {
        fn serialize_newtype_variant<T: Serialize + ?Sized>(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: &T,
        ) -> Result<(), Error> {
            Err(self.give_up())
        }
    };
    (@ $method:ident($t:ty)) => { give_up!(@sig $method($t) -> ()); };
}

/// Writes `value` (a struct or map) as a canonical document, or returns `None` when
/// its root is something else (the caller takes the general path).
pub(crate) fn to_string<T: Serialize + ?Sized>(value: &T) -> Option<Result<String, Error>> {
    let mut out = String::new();
    let mut declined = false;
    let result = value.serialize(RootSerializer {
        out: &mut out,
        declined: &mut declined,
    });
    if declined {
        return None;
    }
    Some(result.map(|()| out))
}

/// The error that unwinds when a serializer declines; never shown to callers.
fn decline(flag: &mut bool) -> Error {
    *flag = true;
    Error::new(ErrorKind::Unwritable, "direct path: declined")
}

fn push_float(out: &mut String, f: f64) -> Result<(), Error> {
    float_value(f)?;
    if let Some(text) = format_float(f) {
        out.push_str(&text);
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Root

struct RootSerializer<'o> {
    out: &'o mut String,
    declined: &'o mut bool,
}

impl<'o> ser::Serializer for RootSerializer<'o> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Impossible<(), Error>;
    type SerializeTuple = Impossible<(), Error>;
    type SerializeTupleStruct = Impossible<(), Error>;
    type SerializeTupleVariant = Impossible<(), Error>;
    type SerializeMap = RootEntries<'o>;
    type SerializeStruct = RootEntries<'o>;
    type SerializeStructVariant = Impossible<(), Error>;

    fn serialize_map(self, _len: Option<usize>) -> Result<RootEntries<'o>, Error> {
        Ok(RootEntries {
            out: self.out,
            declined: self.declined,
            keys: Vec::new(),
            key: None,
        })
    }
    fn serialize_struct(self, _name: &'static str, len: usize) -> Result<RootEntries<'o>, Error> {
        self.serialize_map(Some(len))
    }
    wrapper_forms!(());

    give_up! {
        serialize_bool(bool) serialize_i8(i8) serialize_i16(i16) serialize_i32(i32)
        serialize_i64(i64) serialize_i128(i128) serialize_u8(u8) serialize_u16(u16)
        serialize_u32(u32) serialize_u64(u64) serialize_u128(u128) serialize_f32(f32)
        serialize_f64(f64) serialize_char(char) serialize_str(&str) serialize_bytes(&[u8])
        serialize_none serialize_unit serialize_unit_struct serialize_unit_variant
        serialize_newtype_variant serialize_seq serialize_tuple serialize_tuple_struct
        serialize_tuple_variant serialize_struct_variant
    }
}

impl RootSerializer<'_> {
    fn give_up(self) -> Error {
        decline(self.declined)
    }
}

/// The entries of the root dict.
struct RootEntries<'o> {
    out: &'o mut String,
    declined: &'o mut bool,
    keys: Vec<String>,
    key: Option<String>,
}

impl RootEntries<'_> {
    fn entry<T: Serialize + ?Sized>(
        &mut self,
        key: impl Into<String>,
        value: &T,
    ) -> Result<(), Error> {
        let key = key.into();
        if self.keys.contains(&key) {
            // The general path reports it (with its message); don't duplicate that here.
            return Err(decline(self.declined));
        }
        let start = self.out.len();
        let mut fallback = false;
        let written = value.serialize(EntrySerializer {
            out: self.out,
            key: &key,
            fallback: &mut fallback,
        });
        if fallback {
            // Write this entry through a `Value`, as the general path would.
            self.out.truncate(start);
            let value = value.serialize(ValueSerializer)?;
            let mut one = Map::with_capacity(1);
            one.insert(key.clone(), value);
            self.out.push_str(&map_to_canonical_string(&one)?);
        } else {
            written?;
        }
        self.keys.push(key);
        Ok(())
    }

    fn finish(self) -> Result<(), Error> {
        Ok(())
    }
}

struct_and_map_entries!(RootEntries<'_> => ());

// ---------------------------------------------------------------------------------------
// One root entry: a scalar line or a table; anything else falls back

struct EntrySerializer<'e> {
    out: &'e mut String,
    key: &'e str,
    fallback: &'e mut bool,
}

impl EntrySerializer<'_> {
    fn give_up(self) -> Error {
        decline(self.fallback)
    }

    fn scalar_line(
        self,
        write: impl FnOnce(&mut String) -> Result<(), Error>,
    ) -> Result<(), Error> {
        self.out.push_str(&format_key(self.key));
        self.out.push_str(KEY_VALUE);
        write(self.out)?;
        self.out.push('\n');
        Ok(())
    }
}

impl<'e> ser::Serializer for EntrySerializer<'e> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = TableWriter<'e>;
    type SerializeTuple = Impossible<(), Error>;
    type SerializeTupleStruct = Impossible<(), Error>;
    type SerializeTupleVariant = Impossible<(), Error>;
    type SerializeMap = Impossible<(), Error>;
    type SerializeStruct = Impossible<(), Error>;
    type SerializeStructVariant = Impossible<(), Error>;

    fn serialize_bool(self, v: bool) -> Result<(), Error> {
        self.scalar_line(|out| {
            out.push_str(if v { "true" } else { "false" });
            Ok(())
        })
    }
    entry_ints!(
        serialize_i8(i8),
        serialize_i16(i16),
        serialize_i32(i32),
        serialize_i64(i64),
        serialize_u8(u8),
        serialize_u16(u16),
        serialize_u32(u32),
        serialize_i128(i128),
        serialize_u64(u64),
        serialize_u128(u128)
    );
    fn serialize_f32(self, v: f32) -> Result<(), Error> {
        self.serialize_f64(f64::from(v))
    }
    fn serialize_f64(self, v: f64) -> Result<(), Error> {
        float_value(v)?;
        self.scalar_line(|out| push_float(out, v))
    }
    fn serialize_char(self, v: char) -> Result<(), Error> {
        self.serialize_str(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_str(self, v: &str) -> Result<(), Error> {
        self.scalar_line(|out| {
            push_string(out, v);
            Ok(())
        })
    }
    fn serialize_none(self) -> Result<(), Error> {
        self.scalar_line(|out| {
            out.push_str("null");
            Ok(())
        })
    }
    unit_and_wrapper_forms!(());
    fn serialize_seq(self, _len: Option<usize>) -> Result<TableWriter<'e>, Error> {
        let start = self.out.len();
        Ok(TableWriter {
            out: self.out,
            key: self.key,
            fallback: self.fallback,
            columns: Vec::new(),
            rows: 0,
            start,
        })
    }

    give_up! {
        serialize_bytes(&[u8]) serialize_newtype_variant serialize_tuple
        serialize_tuple_struct serialize_tuple_variant serialize_map serialize_struct
        serialize_struct_variant
    }
}

/// Writes a sequence of flat records as a named table; falls back on anything else.
struct TableWriter<'e> {
    out: &'e mut String,
    key: &'e str,
    fallback: &'e mut bool,
    /// Column names, from the first record, with the address of the name as given
    /// (struct field names are `'static`: later records pass the same address, which
    /// spares a string comparison per cell).
    columns: Vec<(String, usize)>,
    rows: usize,
    /// Where the table starts in `out`: the header goes there once the first record
    /// has named the columns.
    start: usize,
}

impl ser::SerializeSeq for TableWriter<'_> {
    type Ok = ();
    type Error = Error;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.out.push_str(INDENT);
        let first = self.rows == 0;
        value.serialize(RowSerializer { table: self, first })?;
        self.out.push('\n');
        self.rows += 1;
        if first {
            let mut header = String::new();
            push_table_header(
                &mut header,
                &format_key(self.key),
                self.columns.iter().map(|(column, _)| format_key(column)),
            );
            header.push('\n');
            self.out.insert_str(self.start, &header);
        }
        Ok(())
    }

    fn end(self) -> Result<(), Error> {
        if self.rows == 0 {
            // `key: []`: the general path writes it.
            return Err(decline(self.fallback));
        }
        Ok(())
    }
}

/// One record of a table: a struct or map of scalars with the table's columns.
struct RowSerializer<'t, 'e> {
    table: &'t mut TableWriter<'e>,
    first: bool,
}

impl<'t, 'e> ser::Serializer for RowSerializer<'t, 'e> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Impossible<(), Error>;
    type SerializeTuple = Impossible<(), Error>;
    type SerializeTupleStruct = Impossible<(), Error>;
    type SerializeTupleVariant = Impossible<(), Error>;
    type SerializeMap = RowFields<'t, 'e>;
    type SerializeStruct = RowFields<'t, 'e>;
    type SerializeStructVariant = Impossible<(), Error>;

    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<RowFields<'t, 'e>, Error> {
        Ok(RowFields {
            table: self.table,
            first: self.first,
            next: 0,
            key: None,
        })
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<RowFields<'t, 'e>, Error> {
        self.serialize_struct("", 0)
    }
    wrapper_forms!(());

    give_up! {
        serialize_bool(bool) serialize_i8(i8) serialize_i16(i16) serialize_i32(i32)
        serialize_i64(i64) serialize_i128(i128) serialize_u8(u8) serialize_u16(u16)
        serialize_u32(u32) serialize_u64(u64) serialize_u128(u128) serialize_f32(f32)
        serialize_f64(f64) serialize_char(char) serialize_str(&str) serialize_bytes(&[u8])
        serialize_none serialize_unit serialize_unit_struct serialize_unit_variant
        serialize_newtype_variant serialize_seq serialize_tuple serialize_tuple_struct
        serialize_tuple_variant serialize_struct_variant
    }
}

impl RowSerializer<'_, '_> {
    fn give_up(self) -> Error {
        decline(self.table.fallback)
    }
}

/// The fields of one record, written as cells.
struct RowFields<'t, 'e> {
    table: &'t mut TableWriter<'e>,
    first: bool,
    next: usize,
    key: Option<String>,
}

impl RowFields<'_, '_> {
    /// Writes one cell. Struct field names are `'static`: `key` keeps their address.
    fn entry<T: Serialize + ?Sized>(
        &mut self,
        key: impl AsRef<str>,
        value: &T,
    ) -> Result<(), Error> {
        let key = key.as_ref();
        let table = &mut *self.table;
        let address = key.as_ptr() as usize;
        if self.first {
            if table.columns.iter().any(|(c, _)| c == key) {
                // A repeated key: the general path reports it.
                return Err(decline(table.fallback));
            }
            table.columns.push((key.to_owned(), address));
        } else {
            let same = match table.columns.get(self.next) {
                Some((name, at)) => (*at == address && name.len() == key.len()) || name == key,
                None => false,
            };
            if !same {
                // Records with differing keys are an array, not a table.
                return Err(decline(table.fallback));
            }
        }
        if self.next > 0 {
            table.out.push_str(SEPARATOR);
        }
        self.next += 1;
        value.serialize(CellSerializer {
            out: table.out,
            fallback: table.fallback,
        })
    }

    fn finish(self) -> Result<(), Error> {
        let table = self.table;
        if self.next == 0 || self.next != table.columns.len() {
            // No fields (not a table), or fewer keys than the first record.
            return Err(decline(table.fallback));
        }
        Ok(())
    }
}

struct_and_map_entries!(RowFields<'_, '_> => ());

/// One cell: a scalar written in place; anything else falls back.
struct CellSerializer<'c> {
    out: &'c mut String,
    fallback: &'c mut bool,
}

impl CellSerializer<'_> {
    fn give_up(self) -> Error {
        decline(self.fallback)
    }
}

impl ser::Serializer for CellSerializer<'_> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Impossible<(), Error>;
    type SerializeTuple = Impossible<(), Error>;
    type SerializeTupleStruct = Impossible<(), Error>;
    type SerializeTupleVariant = Impossible<(), Error>;
    type SerializeMap = Impossible<(), Error>;
    type SerializeStruct = Impossible<(), Error>;
    type SerializeStructVariant = Impossible<(), Error>;

    fn serialize_bool(self, v: bool) -> Result<(), Error> {
        self.out.push_str(if v { "true" } else { "false" });
        Ok(())
    }
    cell_ints!(
        serialize_i8(i8),
        serialize_i16(i16),
        serialize_i32(i32),
        serialize_i64(i64),
        serialize_u8(u8),
        serialize_u16(u16),
        serialize_u32(u32),
        serialize_i128(i128),
        serialize_u64(u64),
        serialize_u128(u128)
    );
    fn serialize_f32(self, v: f32) -> Result<(), Error> {
        self.serialize_f64(f64::from(v))
    }
    fn serialize_f64(self, v: f64) -> Result<(), Error> {
        push_float(self.out, v)
    }
    fn serialize_char(self, v: char) -> Result<(), Error> {
        self.serialize_str(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_str(self, v: &str) -> Result<(), Error> {
        push_string(self.out, v);
        Ok(())
    }
    fn serialize_none(self) -> Result<(), Error> {
        self.out.push_str("null");
        Ok(())
    }
    unit_and_wrapper_forms!(());

    give_up! {
        serialize_bytes(&[u8]) serialize_newtype_variant serialize_seq serialize_tuple
        serialize_tuple_struct serialize_tuple_variant serialize_map serialize_struct
        serialize_struct_variant
    }
}

#[cfg(test)]
mod tests;
