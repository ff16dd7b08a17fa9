//! The settings of a row-level merge: how a row or column changed two ways is settled,
//! and what happens to a table without a primary key.

use serde::Serialize;

/// How a row changed differently on both sides is settled (versioning's strategies,
/// for rows that carry no version columns).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RowStrategy {
    /// Field-level merge: columns changed on one side only are combined; a column
    /// changed two ways goes to the fallback.
    Merge(FieldFallback),
    /// The whole row of the side that wrote last: local is the newest modification time
    /// of the database file and its `-wal`; the cloud is the head's push stamp. On a tie
    /// the cloud wins.
    LastWriteWins,
    /// The whole local row.
    PreferLocal,
    /// The whole cloud row.
    PreferCloud,
    /// Fail with [`Error::SqliteRowConflict`](crate::Error::SqliteRowConflict); nothing is written.
    Error,
}

impl Default for RowStrategy {
    fn default() -> Self {
        RowStrategy::Merge(FieldFallback::Keep)
    }
}

/// What a field-level merge does with a column both sides changed differently.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldFallback {
    /// Keep the local value in the row and both values in the conflicts table, to be
    /// settled by hand (the default: nothing is lost, nothing decided silently).
    #[default]
    Keep,
    /// The value of the side that wrote last (see [`RowStrategy::LastWriteWins`]).
    LastWriteWins,
    /// The local value.
    PreferLocal,
    /// The cloud value.
    PreferCloud,
    /// Fail with [`Error::SqliteRowConflict`](crate::Error::SqliteRowConflict); nothing is written.
    Error,
}

/// What happens to a table without a primary key that changed on both sides.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UnkeyedTables {
    /// The cloud rows replace the local ones.
    UseCloud,
    /// The local rows stay.
    UseLocal,
    /// The local rows stay and the cloud rows go to a conflict copy table (the default).
    #[default]
    KeepBoth,
}

/// Settings of a row-level merge.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SqliteMergeOptions {
    /// Rows changed on both sides.
    pub strategy: RowStrategy,
    /// Tables without a primary key changed on both sides.
    pub unkeyed: UnkeyedTables,
}

impl SqliteMergeOptions {
    /// Whether this merge may replace local values by cloud ones in a conflict (then a
    /// backup of local content is taken first).
    pub fn may_discard_local(&self) -> bool {
        let row = match self.strategy {
            RowStrategy::Merge(fallback) => matches!(
                fallback,
                FieldFallback::LastWriteWins | FieldFallback::PreferCloud
            ),
            RowStrategy::LastWriteWins | RowStrategy::PreferCloud => true,
            RowStrategy::PreferLocal | RowStrategy::Error => false,
        };
        row || self.unkeyed == UnkeyedTables::UseCloud
    }
}
