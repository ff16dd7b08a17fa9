//! Records decoded one at a time from the file's text, for a transaction that started
//! from the text (the first one of a process, say): a change of a few records then
//! holds the text, the keys and the records it asked for, not every record.
//!
//! Why: decoded records of short strings cost about three times their text (a heap
//! block per string), so decoding all of a large table to change one row held four
//! times the file.
//!
//! How: every row is decoded once, as the keys are read, and dropped; that pass also
//! finds any row that does not read as the record type and any duplicate key, exactly
//! as decoding the whole table does. Only tables whose every row is one line (see
//! [`sdn_codec::parse::one_line_rows`]) are read this way, because such a row reads
//! the same below its header alone as in the whole text: a record asked for is decoded
//! from a two-line text, the header and its row. Should it read differently (a
//! `Deserialize` that is not deterministic), its key says so, and the table decodes the
//! rows it has not yet from the whole text instead.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use crate::decoded::Decoded;
use crate::direct;
use crate::error::Result;
use crate::record::Record;

/// Texts smaller than this are decoded whole: what laziness saves there is small, and a
/// transaction on a small file often reads most of its records.
pub(crate) const LAZY_FROM: usize = 32 * 1024;

/// Where a table's rows are in a text whose every row of that table is one line.
pub(crate) struct RowLines {
    text: Arc<String>,
    /// The header line, line end included.
    header: std::ops::Range<usize>,
    /// Where each row's line starts.
    starts: Vec<usize>,
}

impl RowLines {
    /// The lines of table `table`'s rows in `text`; `None` when a row of it spans lines
    /// or the text has a construct [`sdn_codec::parse::one_line_rows`] does not follow.
    fn of(text: &Arc<String>, table: &str) -> Option<RowLines> {
        let tables = sdn_codec::parse::one_line_rows(text)?;
        let found = tables.into_iter().find(|lines| {
            sdn_codec::parse(lines.header)
                .is_ok_and(|header| header.get(table).and_then(|v| v.as_table()).is_some())
        })?;
        let header_start = (found.header.as_ptr() as usize).checked_sub(text.as_ptr() as usize)?;
        Some(RowLines {
            text: Arc::clone(text),
            header: header_start..header_start + found.header.len(),
            starts: found.row_starts,
        })
    }

    /// How many rows the table has.
    fn len(&self) -> usize {
        self.starts.len()
    }

    /// Row `row` read as `T` below the header alone; `None` when it does not read as
    /// one record.
    pub(crate) fn decode<T: Record>(&self, path: &Path, row: usize) -> Option<T> {
        let line = &self.text[*self.starts.get(row)?..];
        let line = &line[..line.find('\n').map_or(line.len(), |end| end + 1)];
        let header = &self.text[self.header.clone()];
        let mut two_lines = String::with_capacity(header.len() + line.len());
        two_lines.push_str(header);
        two_lines.push_str(line);
        let mut records = direct::decode::<T>(path, &two_lines)?
            .ok()?
            .records
            .into_values();
        let record = records.next()?;
        records.next().is_none().then_some(record)
    }

    /// Every row, decoded from the whole text; `None` when that fails (it did not when
    /// the keys were read).
    pub(crate) fn decode_all<T: Record>(&self, path: &Path) -> Option<BTreeMap<T::Key, T>> {
        Some(direct::decode::<T>(path, &self.text)?.ok()?.records)
    }
}

/// Table `T::TABLE` of `text` with its keys read and its records left to decode when
/// asked for (see the module documentation); `None` when the text is small, has no
/// such table, or one that is not read this way, and the caller decodes it whole. Errors
/// as decoding the whole table would give them (a duplicate key).
pub(crate) fn keys_of<T: Record>(
    path: &Path,
    text: &Arc<String>,
) -> Result<Option<(Decoded<T>, RowLines)>> {
    if text.len() < LAZY_FROM {
        return Ok(None);
    }
    crate::decoded::check_name::<T>()?;
    let Some(lines) = RowLines::of(text, T::TABLE) else {
        return Ok(None);
    };
    let keys = match direct::keys::<T>(path, text) {
        Some(keys) => keys?,
        None => return Ok(None),
    };
    Ok((keys.row_count == lines.len() && keys.columns.is_some()).then_some((keys, lines)))
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::sync::Arc;

    use proptest::prelude::*;

    use super::{LAZY_FROM, keys_of};
    use crate::record::Record;
    use crate::table::{AnyTable, Table};

    #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
    struct Row {
        id: u32,
        name: String,
        n: i64,
    }

    impl Record for Row {
        const TABLE: &'static str = "rows";
        type Key = u32;
        fn key(&self) -> u32 {
            self.id
        }
    }

    /// A file above [`LAZY_FROM`] with `rows` (ids 0, 2, 4...), a column `Row` does not
    /// know, comments between rows, and another table before it.
    fn file_text(rows: u32) -> Arc<String> {
        let mut text = String::from("# rows\nmeta |k|\n    v\nrows |id, name, extra, n|\n");
        for i in 0..rows {
            if i % 50 == 7 {
                text.push_str("    # a comment between rows\n");
            }
            let id = i * 2;
            text.push_str(&format!(
                "    {id}, \"name {i}, with a comma\", x{i}, {}\n",
                i % 9
            ));
        }
        assert!(text.len() >= LAZY_FROM);
        Arc::new(text)
    }

    /// The same table decoded up front and decoded when asked for.
    fn both(text: &Arc<String>) -> (Table<Row>, Table<Row>) {
        let path = Path::new("rows.sdn");
        let decoded = crate::direct::decode::<Row>(path, text).unwrap().unwrap();
        let (keys, lines) = keys_of::<Row>(path, text).unwrap().expect("read lazily");
        (Table::new(path, decoded), Table::lazy(path, keys, lines))
    }

    #[derive(Debug, Clone)]
    enum Op {
        Get(u32),
        Rename(u32),
        Insert(u32),
        Upsert(u32),
        Remove(u32),
        RetainBelow(i64),
        Contains(u32),
        Iterate,
        Last,
    }

    fn op() -> impl Strategy<Value = Op> {
        // Keys 0..1700 hit rows (even keys up to 1598), gaps and new keys alike.
        let key = 0..1700u32;
        prop_oneof![
            key.clone().prop_map(Op::Get),
            key.clone().prop_map(Op::Rename),
            key.clone().prop_map(Op::Insert),
            key.clone().prop_map(Op::Upsert),
            key.clone().prop_map(Op::Remove),
            (0..9i64).prop_map(Op::RetainBelow),
            key.prop_map(Op::Contains),
            Just(Op::Iterate),
            Just(Op::Last),
        ]
    }

    /// Runs `op` on `table`; what it showed.
    fn run(table: &mut Table<Row>, op: &Op) -> String {
        let new = |id: u32| Row {
            id,
            name: format!("new {id}"),
            n: i64::from(id % 5),
        };
        match *op {
            Op::Get(key) => format!("{:?}", table.get(&key)),
            Op::Rename(key) => format!(
                "{:?}",
                table.get_mut(&key).map(|row| {
                    row.name.push('!');
                    row.clone()
                })
            ),
            Op::Insert(key) => format!("{:?}", table.insert(new(key)).is_ok()),
            Op::Upsert(key) => format!("{:?}", table.upsert(new(key))),
            Op::Remove(key) => format!("{:?}", table.remove(&key)),
            Op::RetainBelow(n) => {
                table.retain(|row| row.n < n);
                format!("{}", table.len())
            }
            Op::Contains(key) => format!("{}", table.contains_key(&key)),
            Op::Iterate => {
                let forward: Vec<&Row> = table.iter().collect();
                let backward: Vec<&Row> = table.iter().rev().collect();
                assert_eq!(forward.len(), table.iter().len());
                assert!(forward.iter().rev().eq(backward.iter()));
                let keys: Vec<u32> = table.keys().copied().collect();
                assert!(keys.iter().eq(forward.iter().map(|row| &row.id)));
                format!("{forward:?}")
            }
            Op::Last => format!("{:?} {}", table.last_key(), table.is_empty()),
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Whatever a transaction does, a table decoding its records when asked for
        /// shows and commits exactly what the table decoded up front does.
        #[test]
        fn a_lazy_table_behaves_as_a_decoded_one(ops in proptest::collection::vec(op(), 1..40)) {
            let text = file_text(800);
            let (mut decoded, mut lazy) = both(&text);
            for op in &ops {
                prop_assert_eq!(run(&mut decoded, op), run(&mut lazy, op), "{:?}", op);
            }
            prop_assert_eq!(decoded.len(), lazy.len());
            prop_assert_eq!(AnyTable::changes(&decoded).unwrap(), AnyTable::changes(&lazy).unwrap());
            prop_assert_eq!(
                decoded.changes_unlisted().unwrap(),
                lazy.changes_unlisted().unwrap()
            );
        }
    }

    #[test]
    fn only_large_tables_of_one_line_rows_are_read_lazily() {
        let path = Path::new("rows.sdn");
        let small = Arc::new("rows |id, name, n|\n    1, a, 2\n".to_owned());
        assert!(keys_of::<Row>(path, &small).unwrap().is_none());
        // A row whose quoted cell goes on to the next line.
        let mut spanning = String::clone(&file_text(800));
        spanning.push_str("    9999, \"two\nlines\", x, 1\n");
        assert!(sdn_codec::parse(&spanning).is_ok());
        assert!(keys_of::<Row>(path, &Arc::new(spanning)).unwrap().is_none());
        // No such table.
        let other = Arc::new(file_text(800).replace("rows |", "others |"));
        assert!(keys_of::<Row>(path, &other).unwrap().is_none());
        // A duplicate key is the same error as when every record is decoded.
        let duplicate = Arc::new(format!("{}    0, again, x, 1\n", file_text(800)));
        match keys_of::<Row>(path, &duplicate) {
            Err(crate::Error::DuplicateKeyInFile { first_row: 1, .. }) => {}
            other => panic!("{:?}", other.map(|found| found.is_some())),
        }
    }

    /// A record type whose key reads differently each time it is decoded.
    #[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
    struct Drifting {
        #[serde(deserialize_with = "drifting_id")]
        id: u32,
        name: String,
    }

    static DECODED: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

    fn drifting_id<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
        let id = <u32 as serde::Deserialize>::deserialize(d)?;
        let drift = DECODED.fetch_add(1, std::sync::atomic::Ordering::Relaxed) / 800;
        Ok(id + 1_000_000 * drift)
    }

    impl Record for Drifting {
        const TABLE: &'static str = "rows";
        type Key = u32;
        fn key(&self) -> u32 {
            self.id
        }
    }

    /// A record that does not decode again as it did is not passed off as the file's:
    /// the table has no record under its key, and a commit of the table fails.
    #[test]
    fn a_record_that_decodes_differently_the_second_time_fails_the_commit() {
        let path = Path::new("rows.sdn");
        let text = file_text(800);
        let (keys, lines) = keys_of::<Drifting>(path, &text)
            .unwrap()
            .expect("read lazily");
        let mut table = Table::lazy(path, keys, lines);
        assert!(table.get(&2).is_none());
        table
            .insert(Drifting {
                id: 7,
                name: "new".into(),
            })
            .unwrap();
        assert!(matches!(
            AnyTable::changes(&table),
            Err(crate::Error::Record { .. })
        ));
    }
}
