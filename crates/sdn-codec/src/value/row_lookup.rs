//! Finding rows of a [`Table`] by the text of a key column.

use super::{Table, Value};
use crate::error::{Error, ErrorKind};

impl Table {
    /// The position of the row whose `column` cell reads as `key` (its text, see
    /// [`Value::text`]: a string's content, a number as written); `Ok(None)` when no row
    /// does, [`ErrorKind::AmbiguousRow`] when several do, [`ErrorKind::NotFound`] when
    /// there is no such column. Unnamed typed columns are named `"0"`, `"1"`, ...
    ///
    /// ```
    /// let doc = sdn_codec::parse("t |id, name|\n    T-1, a\n    T-2, b\n")?;
    /// let t = doc["t"].as_table().unwrap();
    /// assert_eq!(t.find_row("id", "T-2")?, Some(1));
    /// assert_eq!(t.find_row("id", "T-9")?, None);
    /// # Ok::<(), sdn_codec::Error>(())
    /// ```
    pub fn find_row(&self, column: &str, key: &str) -> Result<Option<usize>, Error> {
        let col = cell_column(self, column)?;
        let mut found = None;
        for (i, row) in self.rows.iter().enumerate() {
            if row.get(col).and_then(Value::text).is_some_and(|t| t == key) {
                if let Some(first) = found {
                    return Err(Error::new(
                        ErrorKind::AmbiguousRow,
                        format!(
                            "rows {} and {} both have `{column}` = `{key}`",
                            first + 1,
                            i + 1
                        ),
                    ));
                }
                found = Some(i);
            }
        }
        Ok(found)
    }
}

/// The index of `column` (a name, or the position of an unnamed typed column);
/// [`ErrorKind::NotFound`] when the table has no such column.
pub(crate) fn cell_column(table: &Table, column: &str) -> Result<usize, Error> {
    table
        .column_index(column)
        .or_else(|| {
            column
                .parse::<usize>()
                .ok()
                .filter(|&i| i < table.columns.len() && table.columns[i].name.is_none())
        })
        .ok_or_else(|| {
            Error::new(
                ErrorKind::NotFound,
                format!("the table has no column `{column}`"),
            )
        })
}
