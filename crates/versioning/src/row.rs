//! The row type versioning stores through record-store: the user's record plus every
//! cell of its row (metadata columns and columns the record type does not know).

use std::fmt;

use record_store::Record;
use sdn_codec::{Map, Scalar, ScalarKind, Value};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};

use crate::error::RecordProblem;

/// One row of table `T::TABLE`: `record` is how the row reads as `T`; `cells` holds
/// every cell, and is what is written back (only cells that changed reach the file).
#[derive(Clone)]
pub(crate) struct Row<T: Record> {
    pub(crate) record: T,
    pub(crate) cells: Map,
}

impl<T: Record> Record for Row<T> {
    const TABLE: &'static str = T::TABLE;
    type Key = T::Key;
    fn key(&self) -> T::Key {
        self.record.key()
    }
}

impl<T: Record> Serialize for Row<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.cells.len()))?;
        for (name, value) in self.cells.iter() {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

impl<'de, T: Record> Deserialize<'de> for Row<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let cells = deserializer.deserialize_map(CellsVisitor)?;
        let record =
            sdn_codec::from_value(Value::Dict(cells.clone())).map_err(de::Error::custom)?;
        Ok(Row { record, cells })
    }
}

/// Why a record did not become a row or a row a record, with the codec's error when
/// there is one (the parts of an [`Error::Record`](crate::Error::Record)).
pub(crate) type RowFailure = (RecordProblem, Option<sdn_codec::Error>);

/// Encodes `record` as a map of its fields.
pub(crate) fn encode<T: Record>(record: &T) -> Result<Map, RowFailure> {
    match sdn_codec::to_value(record) {
        Ok(Value::Dict(map)) => Ok(map),
        Ok(other) => Err((
            RecordProblem::NotFlat {
                found: other.kind_name(),
            },
            None,
        )),
        Err(err) => Err((RecordProblem::Encode, Some(err))),
    }
}

/// Reads `cells` as `T`.
pub(crate) fn decode<T: Record>(cells: &Map) -> Result<T, RowFailure> {
    sdn_codec::from_value(Value::Dict(cells.clone()))
        .map_err(|err| (RecordProblem::Decode, Some(err)))
}

struct CellsVisitor;

impl<'de> Visitor<'de> for CellsVisitor {
    type Value = Map;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a table row")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Map, A::Error> {
        let mut cells = Map::with_capacity(access.size_hint().unwrap_or(0));
        while let Some(name) = access.next_key::<String>()? {
            let Cell(value) = access.next_value()?;
            cells.insert(name, value);
        }
        Ok(cells)
    }
}

/// One cell, captured so that reading it again as a record field gives what reading the
/// file directly gives: an empty cell stays "absent" (`None` for an `Option`, `""` for a
/// `String`).
struct Cell(Value);

/// The value an empty cell parses to.
pub(crate) fn empty_cell() -> Value {
    Value::Scalar(Scalar::with_source(ScalarKind::String(String::new()), ""))
}

impl<'de> Deserialize<'de> for Cell {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_option(OptionVisitor)
    }
}

struct OptionVisitor;

impl<'de> Visitor<'de> for OptionVisitor {
    type Value = Cell;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a scalar cell")
    }
    fn visit_none<E: de::Error>(self) -> Result<Cell, E> {
        Ok(Cell(empty_cell()))
    }
    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Cell, D::Error> {
        // A present cell reads as sdn-codec's own `Value` would read it.
        Value::deserialize(deserializer).map(Cell)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    struct Todo {
        id: u32,
        line: Option<u32>,
        #[serde(default)]
        issue: String,
    }
    impl Record for Todo {
        const TABLE: &'static str = "todos";
        type Key = u32;
        fn key(&self) -> u32 {
            self.id
        }
    }

    #[test]
    fn empty_cells_read_like_the_file_and_unknown_cells_are_kept() {
        let doc = sdn_codec::parse("todos |id, line, issue, extra|\n    1, , , x\n").unwrap();
        let table = doc["todos"].as_table().unwrap();
        let row: Row<Todo> =
            sdn_codec::from_row(&table.column_keys(), table.rows[0].clone()).unwrap();
        assert_eq!(
            row.record,
            Todo {
                id: 1,
                line: None,
                issue: String::new()
            }
        );
        assert_eq!(row.cells.get("extra").and_then(Value::as_str), Some("x"));
        assert_eq!(decode::<Todo>(&row.cells).unwrap(), row.record);
    }
}
