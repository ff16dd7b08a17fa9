//! The change set of a transaction: what a commit changes, per table, as the code above
//! this crate sees it (inserted rows, updated rows with their old and new values, removed
//! rows).
//!
//! A change set is collected by the commit pipeline after the transaction's closure ran
//! and before anything is rendered or written. It is shown to the store's pre-commit
//! hooks ([`Store::with_pre_commit`](crate::Store::with_pre_commit)), which may veto the
//! commit or amend the transaction, and returned by
//! [`Store::commit`](crate::Store::commit). A change set made elsewhere (another replica)
//! goes into a transaction through [`Transaction::apply`](crate::Transaction::apply),
//! so remote changes take the same path as local ones.
//!
//! A whole text that replaced the transaction's content
//! ([`Transaction::replace_text`](crate::Transaction::replace_text), how a sync applies a
//! merge) is seen the same way: its change set is derived by matching rows by key.
//!
//! Rows are given as each record type encodes them (column name → cell, as
//! [`sdn_codec::to_value`] makes them): columns of the file the record type does not
//! know are not part of a change set, and are kept in the file whatever it says. The
//! rows of a replaced text's change set are the rows as the text has them, every column.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use sdn_codec::Map;

/// The changes a transaction makes to one file, per table. Empty when the transaction
/// changes nothing (nothing is then written).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChangeSet {
    path: PathBuf,
    tables: BTreeMap<String, TableChanges>,
}

/// The changes to one table. Updated and removed rows are in key order; inserted rows in
/// the order they were first inserted (the order they are appended to the file).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TableChanges {
    /// Rows that were not in the file.
    pub inserted: Vec<InsertedRow>,
    /// Rows of the file whose record changed.
    pub updated: Vec<UpdatedRow>,
    /// Rows of the file whose record was removed.
    pub removed: Vec<RemovedRow>,
}

/// A new row: its key (as the record key displays) and its cells.
#[derive(Debug, Clone, PartialEq)]
pub struct InsertedRow {
    /// The record's key, as [`Display`](std::fmt::Display) writes it.
    pub key: String,
    /// The record, encoded.
    pub row: Map,
}

/// A changed row: the record as the file had it and as it will be.
#[derive(Debug, Clone, PartialEq)]
pub struct UpdatedRow {
    /// The record's key, as [`Display`](std::fmt::Display) writes it.
    pub key: String,
    /// The record before the transaction, encoded.
    pub old: Map,
    /// The record after the transaction, encoded.
    pub new: Map,
}

impl UpdatedRow {
    /// The names of the columns whose cell changed, in the new row's order.
    pub fn changed_columns(&self) -> impl Iterator<Item = &str> {
        self.new
            .iter()
            .filter(|(name, cell)| self.old.get(name) != Some(cell))
            .map(|(name, _)| name)
    }
}

/// A removed row: its key and the record as the file had it.
#[derive(Debug, Clone, PartialEq)]
pub struct RemovedRow {
    /// The record's key, as [`Display`](std::fmt::Display) writes it.
    pub key: String,
    /// The record before the transaction, encoded.
    pub old: Map,
}

impl TableChanges {
    /// Whether nothing changes in this table.
    pub fn is_empty(&self) -> bool {
        self.inserted.is_empty() && self.updated.is_empty() && self.removed.is_empty()
    }

    /// How many rows change (inserted + updated + removed).
    pub fn len(&self) -> usize {
        self.inserted.len() + self.updated.len() + self.removed.len()
    }
}

impl ChangeSet {
    /// An empty change set for the file at `path` (build one with
    /// [`insert_table`](ChangeSet::insert_table), for example to apply remote changes).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        ChangeSet {
            path: path.into(),
            tables: BTreeMap::new(),
        }
    }

    /// The file the changes are to.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether nothing changes.
    pub fn is_empty(&self) -> bool {
        self.tables.values().all(TableChanges::is_empty)
    }

    /// The changes to table `name`, if it changes.
    pub fn table(&self, name: &str) -> Option<&TableChanges> {
        self.tables.get(name).filter(|changes| !changes.is_empty())
    }

    /// Every table that changes, by name, in name order.
    pub fn tables(&self) -> impl Iterator<Item = (&str, &TableChanges)> {
        self.tables
            .iter()
            .filter(|(_, changes)| !changes.is_empty())
            .map(|(name, changes)| (name.as_str(), changes))
    }

    /// Sets the changes to table `name` (replacing any it had).
    pub fn insert_table(&mut self, name: impl Into<String>, changes: TableChanges) {
        self.tables.insert(name.into(), changes);
    }
}
