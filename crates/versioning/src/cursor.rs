//! Change cursor: a store-wide revision and "what changed since this cursor", read from
//! the version columns without diffing files, in memory bounded per table.
//!
//! The store's revision is the sum of all record versions (tombstones included): the
//! number of record changes committed or merged in so far. It grows by one per record
//! per commit and never goes back, whichever replica the changes came from.
//!
//! # Memory and precision
//!
//! A cursor does not remember every record. Per table it keeps a fixed number of
//! digests (a power of two, about one per record, at most [`MAX_BUCKETS`], so at most
//! 32 KiB a table whatever its size): each record hashes, by key, to one bucket, whose
//! digest sums a hash of each of its records' key and version. A record whose version
//! moved changes its bucket's digest, so [`VersionedStore::changes_since`] never misses
//! a change, including one merged in from another replica with an older stamp. It
//! reports every record of a bucket whose digest moved: besides the records that
//! changed, it may report a few that did not (on average under two per changed record
//! while the table has at most `MAX_BUCKETS` records; proportionally more beyond). A
//! caller treats a report as "look at these records again".

use std::collections::BTreeMap;
use std::hash::{DefaultHasher, Hash, Hasher};

use sdn_codec::{Table, Value};

use crate::conflict::CONFLICTS_TABLE;
use crate::error::Result;
use crate::hlc::Stamp;
use crate::meta::Meta;
use crate::store::VersionedStore;

/// The most digests a cursor keeps for one table (8 bytes each).
pub const MAX_BUCKETS: usize = 4096;

/// Where a reader of changes is: the revision it saw and, per table, a bounded digest of
/// the versions then (see the [module documentation](self)).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cursor {
    revision: u64,
    tables: BTreeMap<String, Vec<u64>>,
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

    /// The bytes of digests this cursor holds: at most `MAX_BUCKETS * 8` per table.
    pub fn digest_bytes(&self) -> usize {
        self.tables.values().map(|digests| digests.len() * 8).sum()
    }
}

/// One record that changed since a cursor (or shares its digest bucket with one that
/// did; see the [module documentation](self)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The table.
    pub table: String,
    /// The record's key, as text.
    pub key: String,
    /// Its version now.
    pub version: u64,
    /// Whether it is now deleted.
    pub deleted: bool,
    /// Its latest stamp.
    pub stamp: Option<Stamp>,
}

/// A record's key and metadata, as a cursor scan reads them.
struct Entry {
    key: String,
    meta: Meta,
    key_hash: u64,
}

fn hash_of(value: impl Hash) -> u64 {
    let mut hasher = DefaultHasher::new();
    value.hash(&mut hasher);
    hasher.finish()
}

/// About one bucket per record, a power of two, at most [`MAX_BUCKETS`].
fn bucket_count(records: usize) -> usize {
    records.next_power_of_two().clamp(1, MAX_BUCKETS)
}

/// The digests of `entries` over `buckets` buckets.
fn digests(entries: &[Entry], buckets: usize) -> Vec<u64> {
    let mut out = vec![0u64; buckets];
    for entry in entries {
        let bucket = (entry.key_hash as usize) & (buckets - 1);
        out[bucket] = out[bucket].wrapping_add(hash_of((entry.key_hash, entry.meta.version)));
    }
    out
}

impl VersionedStore {
    /// The store's revision: the number of record changes in it (the sum of versions).
    /// Takes no lock.
    pub fn revision(&self) -> Result<u64> {
        Ok(self.changes_since(&Cursor::start())?.1.revision)
    }

    /// The records whose version moved past what `cursor` saw (plus, possibly, a few
    /// that share a digest bucket with one; never fewer), in table and key order, and
    /// the cursor to pass next time. Takes no lock; reads one snapshot.
    pub fn changes_since(&self, cursor: &Cursor) -> Result<(Vec<Change>, Cursor)> {
        let snapshot = self.store().read()?;
        let mut changes = Vec::new();
        let mut next = Cursor::default();
        let Some(root) = snapshot.document()?.as_dict() else {
            return Ok((changes, next));
        };
        for (name, value) in root.iter() {
            let Some(table) = value.as_table() else {
                continue;
            };
            let Some(entries) = self.entries(name, table) else {
                continue;
            };
            next.revision += entries.iter().map(|e| e.meta.version).sum::<u64>();
            let now = digests(&entries, bucket_count(entries.len()));
            let moved: Vec<bool> = match cursor.tables.get(name) {
                Some(then) => {
                    let now_then = match then.len() == now.len() {
                        true => None,
                        false => Some(digests(&entries, then.len())),
                    };
                    let compare = now_then.as_ref().unwrap_or(&now);
                    compare.iter().zip(then).map(|(a, b)| a != b).collect()
                }
                None => vec![true; 1],
            };
            for entry in entries {
                let bucket = (entry.key_hash as usize) & (moved.len() - 1);
                if moved[bucket] && entry.meta.version > 0 {
                    changes.push(Change {
                        table: name.to_owned(),
                        key: entry.key,
                        version: entry.meta.version,
                        deleted: entry.meta.deleted,
                        stamp: entry.meta.stamp,
                    });
                }
            }
            next.tables.insert(name.to_owned(), now);
        }
        changes.sort_by(|a, b| (&a.table, &a.key).cmp(&(&b.table, &b.key)));
        Ok((changes, next))
    }

    /// The key and metadata of every row of a versioned table (`None` for the
    /// conflicts table and tables without the version column).
    fn entries(&self, name: &str, table: &Table) -> Option<Vec<Entry>> {
        let options = self.options().table_options(name);
        let columns = &options.columns;
        if name == CONFLICTS_TABLE || table.column_index(&columns.version).is_none() {
            return None;
        }
        let key_at = match &options.key_column {
            Some(column) => table.column_index(column),
            None => table.column_index("id").or(Some(0)),
        }?;
        let mut entries = Vec::with_capacity(table.rows.len());
        for row in 0..table.rows.len() {
            let Some(cells) = table.row_map(row) else {
                continue;
            };
            let key = table.rows[row]
                .get(key_at)
                .and_then(Value::text)
                .map(|text| text.into_owned())
                .unwrap_or_default();
            entries.push(Entry {
                key_hash: hash_of(&key),
                meta: Meta::read(&cells, columns),
                key,
            });
        }
        Some(entries)
    }
}
