//! Change cursor: a store-wide revision and "what changed since this cursor", read from
//! the version columns without diffing files.
//!
//! The store's revision is the sum of all record versions (tombstones included): the
//! number of record changes committed or merged in so far. It grows by one per record
//! per commit and never goes back, whichever replica the changes came from.

use std::collections::BTreeMap;

use sdn_codec::Value;

use crate::conflict::CONFLICTS_TABLE;
use crate::error::Result;
use crate::hlc::Stamp;
use crate::meta::Meta;
use crate::store::VersionedStore;

/// Where a reader of changes is: the revision it saw and each record's version then.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cursor {
    revision: u64,
    seen: BTreeMap<(String, String), u64>,
}

impl Cursor {
    /// Before any change: everything is new to it.
    pub fn start() -> Cursor {
        Cursor::default()
    }

    /// The store revision this cursor reflects.
    pub fn revision(&self) -> u64 {
        self.revision
    }
}

/// One record that changed since a cursor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The table.
    pub table: String,
    /// The record's key, as text.
    pub key: String,
    /// Its version now.
    pub version: u64,
    /// The version the cursor had seen (0: new to it).
    pub previous: u64,
    /// Whether it is now deleted.
    pub deleted: bool,
    /// Its latest stamp.
    pub stamp: Option<Stamp>,
}

impl VersionedStore {
    /// The store's revision: the number of record changes in it (the sum of versions).
    /// Takes no lock.
    pub fn revision(&self) -> Result<u64> {
        Ok(self.changes_since(&Cursor::start())?.1.revision)
    }

    /// The records whose version moved past what `cursor` saw, in table and key order,
    /// and the cursor to pass next time. Takes no lock; reads one snapshot.
    pub fn changes_since(&self, cursor: &Cursor) -> Result<(Vec<Change>, Cursor)> {
        let snapshot = self.store().read()?;
        let mut changes = Vec::new();
        let mut next = Cursor::default();
        let Some(root) = snapshot.document().as_dict() else {
            return Ok((changes, next));
        };
        for (name, value) in root.iter() {
            let Some(table) = value.as_table() else {
                continue;
            };
            let options = self.options().table_options(name);
            let columns = &options.columns;
            if name == CONFLICTS_TABLE || table.column_index(&columns.version).is_none() {
                continue;
            }
            let names = table.column_keys();
            let key_column = options.key_column.clone().unwrap_or_else(|| {
                if names.iter().any(|c| c == "id") {
                    "id".into()
                } else {
                    names.first().cloned().unwrap_or_default()
                }
            });
            let Some(key_at) = table.column_index(&key_column) else {
                continue;
            };
            for row in 0..table.rows.len() {
                let Some(cells) = table.row_map(row) else {
                    continue;
                };
                let key = table.rows[row]
                    .get(key_at)
                    .and_then(Value::text)
                    .map(|text| text.into_owned())
                    .unwrap_or_default();
                let meta = Meta::read(&cells, columns);
                let id = (name.to_owned(), key);
                let previous = cursor.seen.get(&id).copied().unwrap_or(0);
                if meta.version > previous {
                    changes.push(Change {
                        table: id.0.clone(),
                        key: id.1.clone(),
                        version: meta.version,
                        previous,
                        deleted: meta.deleted,
                        stamp: meta.stamp.clone(),
                    });
                }
                next.revision += meta.version;
                next.seen.insert(id, meta.version);
            }
        }
        changes.sort_by(|a, b| (&a.table, &a.key).cmp(&(&b.table, &b.key)));
        Ok((changes, next))
    }
}
