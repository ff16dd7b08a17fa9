//! The one place where changes are stamped: a pre-commit hook on the record store
//! ([`record_store::Store::with_pre_commit`]) that sees the change set of every commit
//! made through a [`crate::VersionedStore`]'s store, whoever made it.
//!
//! For each changed row of a versioned table (one whose file table or whose record type
//! has the version column; the conflicts table is not versioned):
//!
//! - a **plain change** (record fields or tombstone changed, version and stamp left as
//!   read) is stamped: version + 1 (1 for a new row), a fresh stamp of this store's clock;
//! - a change that **sets its own metadata** (a change set from another replica, a
//!   migration, a strategy that names the stamp in the conflicts table) is checked: its
//!   version must grow and its stamp must pass the clock-skew bound; the clock moves past
//!   it, so later local stamps order after it;
//! - a row **removed** outright becomes a tombstone (its last values, `deleted` set,
//!   stamped), so the delete can travel to other replicas;
//! - a row of a versioned table whose record type does not carry the version columns
//!   cannot be stamped: the commit is vetoed with [`Error::Unstamped`] and nothing is
//!   written (a versioned file never gets an unstamped change).
//!
//! A vetoed commit's [`Error`] comes back typed from [`crate::VersionedStore`]'s
//! operations; through [`crate::VersionedStore::store`] it arrives as
//! [`record_store::Error::Aborted`] wrapping it.
//!
//! [`latest_stamps`] reads back the stamps a file already holds, so a clock can be moved
//! past them before it stamps anything.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use record_store::changes::UpdatedRow;
use record_store::{ChangeSet, TableChanges, Transaction};
use sdn_codec::{Map, Value};

use crate::conflict::CONFLICTS_TABLE;
use crate::error::{Error, Result, UnstampedReason};
use crate::hlc::{Hlc, Stamp};
use crate::meta::{Columns, Meta};
use crate::options::Options;

/// Stamps and checks the change sets of one store's commits.
#[derive(Debug)]
pub(crate) struct Stamper {
    pub(crate) hlc: Hlc,
    options: Options,
    path: PathBuf,
}

impl Stamper {
    pub(crate) fn new(path: &Path, options: Options) -> Arc<Self> {
        let hlc = Hlc::new(
            options.writer.clone(),
            options.clock.clone(),
            options.hlc.clone(),
        );
        Arc::new(Stamper {
            hlc,
            options,
            path: path.to_path_buf(),
        })
    }

    pub(crate) fn options(&self) -> &Options {
        &self.options
    }

    /// The metadata of the next version of a record whose metadata is `old`: the single
    /// rule by which every local change is stamped.
    pub(crate) fn next(&self, old: &Meta, deleted: bool) -> Meta {
        Meta {
            version: old.version + 1,
            stamp: Some(self.hlc.now()),
            deleted,
        }
    }

    /// Moves the clock past a stamp read from the file or from a change set, applying
    /// the skew policy to other writers' stamps (this writer's own are its history).
    pub(crate) fn observe(&self, stamp: &Stamp, table: &str) -> Result<()> {
        if stamp.writer == self.hlc.writer().as_str() {
            self.hlc.recover(stamp);
            return Ok(());
        }
        self.hlc.observe(stamp).map_err(|skew| Error::ClockSkew {
            path: self.path.clone(),
            table: table.to_owned(),
            skew,
        })
    }

    /// The pre-commit hook: stamps plain changes, checks changes that carry their own
    /// metadata, turns removals into tombstones (see the module documentation).
    pub(crate) fn on_commit(
        &self,
        tx: &mut Transaction,
        changes: &ChangeSet,
    ) -> record_store::Result<()> {
        let amended = self
            .amendments(tx.document()?, changes)
            .map_err(record_store::Error::aborted)?;
        if amended.is_empty() {
            return Ok(());
        }
        tx.apply(&amended)
    }

    fn amendments(&self, document: &Value, changes: &ChangeSet) -> Result<ChangeSet> {
        let mut amended = ChangeSet::new(changes.path());
        for (name, table) in changes.tables() {
            if name == CONFLICTS_TABLE {
                continue;
            }
            let columns = &self.options.table_options(name).columns;
            let in_file = document
                .get(name)
                .and_then(Value::as_table)
                .is_some_and(|t| t.column_index(&columns.version).is_some());
            let mut rows = TableChanges::default();
            let old_new = table
                .inserted
                .iter()
                .map(|row| (row.key.as_str(), None, &row.row))
                .chain(
                    table
                        .updated
                        .iter()
                        .map(|row| (row.key.as_str(), Some(&row.old), &row.new)),
                );
            for (key, old, new) in old_new {
                if !new.contains_key(&columns.version) {
                    if in_file {
                        return Err(self.unstamped(name, key));
                    }
                    continue;
                }
                if let Some(stamped) = self.stamp_row(name, key, old, new, columns)? {
                    rows.updated.push(UpdatedRow {
                        key: key.to_owned(),
                        old: new.clone(),
                        new: stamped,
                    });
                }
            }
            for removed in &table.removed {
                if !in_file && !removed.old.contains_key(&columns.version) {
                    continue;
                }
                if !removed.old.contains_key(&columns.version) {
                    return Err(self.unstamped(name, &removed.key));
                }
                let old = Meta::read(&removed.old, columns);
                let mut tombstone = removed.old.clone();
                self.next(&old, true).write(&mut tombstone, columns);
                rows.updated.push(UpdatedRow {
                    key: removed.key.clone(),
                    old: removed.old.clone(),
                    new: tombstone,
                });
            }
            if !rows.is_empty() {
                amended.insert_table(name, rows);
            }
        }
        Ok(amended)
    }

    /// The stamped row for a change from `old` (`None`: inserted) to `new`, or `None`
    /// when the row is to be written as it is (its own metadata checked).
    fn stamp_row(
        &self,
        table: &str,
        key: &str,
        old: Option<&Map>,
        new: &Map,
        columns: &Columns,
    ) -> Result<Option<Map>> {
        let before = old.map(|old| Meta::read(old, columns)).unwrap_or_default();
        let after = Meta::read(new, columns);
        if after.version != before.version || after.stamp != before.stamp {
            // Metadata set by the writer: a remote change, a migration, a strategy.
            if after.version <= before.version || after.stamp.is_none() {
                return Err(Error::Unstamped {
                    path: self.path.clone(),
                    table: table.to_owned(),
                    key: key.to_owned(),
                    reason: UnstampedReason::MetadataNotNewer {
                        version: after.version,
                        stamp: after.stamp.as_ref().map(ToString::to_string),
                        previous_version: before.version,
                    },
                });
            }
            if let Some(stamp) = &after.stamp {
                self.observe(stamp, table)?;
            }
            return Ok(None);
        }
        let fields_changed = match old {
            None => true,
            Some(old) => {
                after.deleted != before.deleted
                    || new
                        .iter()
                        .chain(old.iter())
                        .filter(|(name, _)| !columns.contains(name))
                        .any(|(name, _)| old.get(name) != new.get(name))
            }
        };
        if !fields_changed {
            // Only the layout of the metadata columns changed (a migration adding one).
            return Ok(None);
        }
        let mut stamped = new.clone();
        self.next(&before, after.deleted)
            .write(&mut stamped, columns);
        Ok(Some(stamped))
    }

    fn unstamped(&self, table: &str, key: &str) -> Error {
        Error::Unstamped {
            path: self.path.clone(),
            table: table.to_owned(),
            key: key.to_owned(),
            reason: UnstampedReason::NotVersioned,
        }
    }
}

/// The latest stamp of each table in `root` that holds one, with the table's name: read
/// from the column `last_modified(table)` names, or, in the conflicts table, from its
/// `stamp` column.
pub(crate) fn latest_stamps<'r, S: AsRef<str>>(
    root: &'r Map,
    last_modified: impl Fn(&str) -> S + 'r,
) -> impl Iterator<Item = (&'r str, Stamp)> + 'r {
    root.iter().filter_map(move |(name, value)| {
        let table = value.as_table()?;
        let at = if name == CONFLICTS_TABLE {
            table.column_index("stamp")
        } else {
            table.column_index(last_modified(name).as_ref())
        }?;
        let latest = table
            .rows
            .iter()
            .filter_map(|row| row.get(at).and_then(Value::text))
            .filter_map(|text| Stamp::parse(&text))
            .max()?;
        Some((name, latest))
    })
}
