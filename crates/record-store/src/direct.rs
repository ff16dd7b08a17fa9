//! Reading a file without building its value tree: checking that the text parses, and
//! decoding one table's rows straight from the text into records, with the parsed value
//! as the fallback ([`decode_text`]).
//!
//! sdn-codec's serde deserializer reads record-shaped files (root `key: scalar` entries
//! and tables of scalar cells) straight from the text, checking the whole text as the
//! parser would; for any other shape it parses the text into a value tree first. Either
//! way the result is the parser's. A parsed tree costs several times the file's size
//! (a value per cell), so the read path goes through serde and builds the tree only
//! when someone asks for it ([`Snapshot::document`](crate::Snapshot::document)).

use std::fmt;
use std::marker::PhantomData;
use std::path::Path;

use sdn_codec::Value;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::decoded::{self, Building, Decoded, check_name};
use crate::error::{Error, Result};
use crate::position;
use crate::record::Record;

/// Checks that `text` parses as SDN, without keeping a value tree; the parser's error
/// (with its line and column) when it does not.
pub(crate) fn check_parses(path: &Path, text: &str) -> Result<()> {
    sdn_codec::from_str::<AnyDocument>(text)
        .map(drop)
        .map_err(|err| Error::malformed(path, err))
}

/// Decodes table `T::TABLE` of `text`, whose parsed value `root` returns; a missing
/// table is empty. Straight from the text when it can be (see [`decode`]): the
/// value is only asked for when that fails, to decode (and place an error) from it.
pub(crate) fn decode_text<'a, T: Record>(
    path: &Path,
    text: &'a str,
    root: impl FnOnce() -> Result<&'a Value>,
) -> Result<Decoded<T>> {
    check_name::<T>()?;
    match decode::<T>(path, text) {
        Some(decoded) => decoded,
        None => decoded::decode(path, text, root()?),
    }
}

/// Table `T::TABLE` of `text` decoded straight from the text. `None` when it could not
/// be (the entry is not a table, a row does not read as `T`, the header spans lines...):
/// the caller then decodes from the parsed value, which also places the error.
pub(crate) fn decode<T: Record>(path: &Path, text: &str) -> Option<Result<Decoded<T>>> {
    read_table::<T, true>(path, text)
}

/// [`decode`] keeping only the keys and their rows: its records are empty (see
/// [`crate::lazy`]).
pub(crate) fn keys<T: Record>(path: &Path, text: &str) -> Option<Result<Decoded<T>>> {
    read_table::<T, false>(path, text)
}

/// [`decode`], keeping the records or not (`KEEP`).
fn read_table<T: Record, const KEEP: bool>(path: &Path, text: &str) -> Option<Result<Decoded<T>>> {
    let found = sdn_codec::from_str::<OneTable<T, KEEP>>(text).ok()?;
    let Some(rows) = found.rows else {
        return Some(Ok(Decoded::empty()));
    };
    if let Some((first, second, key)) = rows.duplicate {
        return Some(Err(decoded::duplicate_key::<T>(
            path, text, &key, first, second,
        )));
    }
    let columns = header_columns(text, T::TABLE)?;
    Some(Ok(rows.decoded.finish(Some(columns))))
}

/// The column names of root table `table`, read from its header line alone.
fn header_columns(text: &str, table: &str) -> Option<Vec<String>> {
    let line = position::line_text(text, position::entry_line(text, table)?)?;
    let header = sdn_codec::parse(line).ok()?;
    Some(header.get(table)?.as_table()?.column_keys())
}

/// A document whose every entry is read and dropped: deserializing it checks the text.
struct AnyDocument;

impl<'de> de::Deserialize<'de> for AnyDocument {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(AnyDocument)
    }
}

impl<'de> Visitor<'de> for AnyDocument {
    type Value = AnyDocument;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an SDN document")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut entries: A) -> Result<Self, A::Error> {
        while entries.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(AnyDocument)
    }
}

/// A document of which only root table `T::TABLE` is kept, as records (or, without
/// `KEEP`, their keys).
struct OneTable<T: Record, const KEEP: bool> {
    rows: Option<Rows<T>>,
}

/// The rows of a table read as records as they stream by (its columns left unset).
struct Rows<T: Record> {
    decoded: Building<T>,
    /// The first key found twice: its first and second row.
    duplicate: Option<(usize, usize, T::Key)>,
}

impl<'de, T: Record, const KEEP: bool> de::Deserialize<'de> for OneTable<T, KEEP> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(OneTableVisitor::<T, KEEP>(PhantomData))
    }
}

struct OneTableVisitor<T, const KEEP: bool>(PhantomData<T>);

impl<'de, T: Record, const KEEP: bool> Visitor<'de> for OneTableVisitor<T, KEEP> {
    type Value = OneTable<T, KEEP>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an SDN document")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut entries: A) -> Result<OneTable<T, KEEP>, A::Error> {
        let mut rows = None;
        while let Some(ours) = entries.next_key_seed(KeyIs(T::TABLE))? {
            if ours {
                rows = Some(entries.next_value_seed(RowsSeed::<T, KEEP>(PhantomData))?);
            } else {
                entries.next_value::<IgnoredAny>()?;
            }
        }
        Ok(OneTable { rows })
    }
}

/// Reads a root key as whether it is the given name (without copying it).
struct KeyIs(&'static str);

impl<'de> DeserializeSeed<'de> for KeyIs {
    type Value = bool;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<bool, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeyIs {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a key")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<bool, E> {
        Ok(key == self.0)
    }
}

struct RowsSeed<T, const KEEP: bool>(PhantomData<T>);

impl<'de, T: Record, const KEEP: bool> DeserializeSeed<'de> for RowsSeed<T, KEEP> {
    type Value = Rows<T>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Rows<T>, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de, T: Record, const KEEP: bool> Visitor<'de> for RowsSeed<T, KEEP> {
    type Value = Rows<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a table")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut cells: A) -> Result<Rows<T>, A::Error> {
        let mut rows = Rows {
            decoded: Building::keeping_records(KEEP),
            duplicate: None,
        };
        while let Some(record) = cells.next_element::<T>()? {
            let row = rows.decoded.row_count;
            rows.decoded.row_count += 1;
            if let Err((first, key)) = rows.decoded.add(row, record) {
                rows.duplicate.get_or_insert((first, row, key));
            }
        }
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
    struct Note {
        id: u32,
        text: Option<String>,
    }

    impl Record for Note {
        const TABLE: &'static str = "notes";
        type Key = u32;
        fn key(&self) -> u32 {
            self.id
        }
    }

    const PLAIN: &str = "title: x\nnotes |id, text|\n    2, b\n    1,\nother |a|\n    z\n";

    #[test]
    fn a_record_file_decodes_straight_from_its_text() {
        let path = Path::new("n.sdn");
        let decoded = decode::<Note>(path, PLAIN).unwrap().unwrap();
        let root = sdn_codec::parse(PLAIN).unwrap();
        let from_value = crate::decoded::decode::<Note>(path, PLAIN, &root).unwrap();
        assert_eq!(decoded.records, from_value.records);
        assert_eq!(decoded.original, from_value.original);
        assert_eq!(decoded.row_count, 2);
        assert_eq!(decoded.columns, from_value.columns);
        assert_eq!(decoded.records[&1].text, None);
        check_parses(path, PLAIN).unwrap();
    }

    #[test]
    fn a_missing_table_is_empty_and_a_duplicate_key_is_placed() {
        let path = Path::new("n.sdn");
        let empty = decode::<Note>(path, "title: x\n").unwrap().unwrap();
        assert!(empty.records.is_empty() && empty.columns.is_none());
        let text = "notes |id, text|\n    1, a\n    # c\n    1, b\n";
        match decode::<Note>(path, text).unwrap() {
            Err(Error::DuplicateKeyInFile {
                first_line: 2,
                second_line: 4,
                ..
            }) => {}
            other => panic!("{:?}", other.map(|d| d.records)),
        }
    }

    #[test]
    fn what_the_text_route_cannot_read_is_left_to_the_value() {
        let path = Path::new("n.sdn");
        // A row that does not read as `Note`: decoding from the value places the error.
        assert!(decode::<Note>(path, "notes |id, text|\n    x, a\n").is_none());
        // Not a table.
        assert!(decode::<Note>(path, "notes: 3\n").is_none());
        // Syntax errors are the parser's, with their position.
        match check_parses(path, "a: 1\nb: [\n") {
            Err(Error::Malformed { line, .. }) => assert!(line >= 2),
            other => panic!("{other:?}"),
        }
        // A nested block is read through the value tree, with the same result.
        let nested = "meta:\n    owner: me\nnotes |id, text|\n    1, a\n";
        check_parses(path, nested).unwrap();
        let root = sdn_codec::parse(nested).unwrap();
        let decoded = decode_text::<Note>(path, nested, || Ok(&root)).unwrap();
        assert_eq!(decoded.records[&1].text.as_deref(), Some("a"));
    }
}
