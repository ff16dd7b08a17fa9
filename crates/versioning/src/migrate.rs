//! Migration: adding the metadata columns to a table written before versioning.

use record_store::Record;

use crate::error::Result;
use crate::meta::Meta;
use crate::row::{Row, empty_cell};
use crate::store::VersionedStore;
use sdn_codec::Value;

/// What [`VersionedStore::migrate`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migration {
    /// The table.
    pub table: &'static str,
    /// Rows that had no version and were stamped version 1.
    pub stamped: usize,
    /// Rows already versioned, left alone.
    pub already: usize,
}

impl VersionedStore {
    /// Adds the metadata columns to table `T::TABLE` in one commit: every row without a
    /// version becomes version 1 with one fresh stamp. Running it again changes nothing.
    ///
    /// Before migration the table reads fine (version 0, no stamp) but commits to it
    /// fail with [`crate::Error::NotMigrated`]; this step touches every row line once,
    /// after which a one-record change is a one-line diff again.
    pub fn migrate<T: Record>(&self) -> Result<Migration> {
        let columns = self.columns(T::TABLE).clone();
        self.store().update(|tx| {
            // Files of the baseline design already have `version` and `last_modified`:
            // their rows keep those cells and only gain the columns they lack.
            let missing: Vec<String> = match tx.document()?.get(T::TABLE).and_then(Value::as_table)
            {
                Some(table) => columns
                    .names()
                    .into_iter()
                    .filter(|name| table.column_index(name).is_none())
                    .map(str::to_owned)
                    .collect(),
                None => Vec::new(),
            };
            let table = tx.table::<Row<T>>()?;
            let stamp = self.hlc().now();
            let keys: Vec<T::Key> = table.keys().cloned().collect();
            let mut report = Migration {
                table: T::TABLE,
                stamped: 0,
                already: 0,
            };
            for key in keys {
                let Some(row) = table.get(&key) else {
                    continue;
                };
                let meta = Meta::read(&row.cells, &columns);
                let mut cells = row.cells.clone();
                if meta.version > 0 {
                    report.already += 1;
                    if missing.is_empty() {
                        continue;
                    }
                    for name in &missing {
                        cells.insert(name.as_str(), empty_cell());
                    }
                } else {
                    Meta {
                        version: 1,
                        stamp: Some(stamp.clone()),
                        deleted: meta.deleted,
                    }
                    .write(&mut cells, &columns);
                    report.stamped += 1;
                }
                let record = row.record.clone();
                table.upsert(Row { record, cells });
            }
            Ok(report)
        })
    }
}
