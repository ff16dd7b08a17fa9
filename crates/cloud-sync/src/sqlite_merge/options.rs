//! The settings of a row-level merge: how a row or column changed two ways is settled,
//! and what happens to a table without a primary key.

use std::collections::BTreeMap;

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

/// One table's own settings, overriding the database-wide ones of
/// [`SqliteMergeOptions`] (`None`: the database-wide setting applies).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct TableOptions {
    /// Rows of this table changed on both sides (the field fallback is part of
    /// [`RowStrategy::Merge`]).
    pub strategy: Option<RowStrategy>,
    /// This table changed on both sides, when it has no primary key.
    pub unkeyed: Option<UnkeyedTables>,
}

/// Settings of a row-level merge: database-wide, with per-table overrides.
///
/// A table's settings are looked up by name as SQLite does, ignoring ASCII case; a
/// table without an entry follows [`strategy`](Self::strategy) and
/// [`unkeyed`](Self::unkeyed).
///
/// ```
/// use cloud_sync::sqlite_merge::{FieldFallback, RowStrategy, SqliteMergeOptions, UnkeyedTables};
///
/// // Field-level merge everywhere; prices follow the cloud whole-row, a column of
/// // `notes` changed two ways keeps the local value, the keyless `log` takes the cloud.
/// let options = SqliteMergeOptions::default()
///     .with_table_strategy("prices", RowStrategy::PreferCloud)
///     .with_table_strategy("notes", RowStrategy::Merge(FieldFallback::PreferLocal))
///     .with_table_unkeyed("log", UnkeyedTables::UseCloud);
/// assert_eq!(options.strategy_for("PRICES"), RowStrategy::PreferCloud);
/// assert_eq!(options.strategy_for("items"), RowStrategy::Merge(FieldFallback::Keep));
/// assert_eq!(options.unkeyed_for("log"), UnkeyedTables::UseCloud);
/// assert_eq!(options.unkeyed_for("other"), UnkeyedTables::KeepBoth);
/// // Some table may take cloud values over local ones: a sync backs local content up
/// // before such a merge.
/// assert!(options.may_discard_local());
/// assert!(!SqliteMergeOptions::new(RowStrategy::PreferLocal).may_discard_local());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SqliteMergeOptions {
    /// Rows changed on both sides, in tables without their own strategy.
    pub strategy: RowStrategy,
    /// Tables without a primary key changed on both sides, unless they have their own
    /// choice.
    pub unkeyed: UnkeyedTables,
    /// Per-table overrides, by table name.
    pub tables: BTreeMap<String, TableOptions>,
}

impl SqliteMergeOptions {
    /// `strategy` for every table, the default for tables without a primary key.
    pub fn new(strategy: RowStrategy) -> SqliteMergeOptions {
        SqliteMergeOptions {
            strategy,
            ..SqliteMergeOptions::default()
        }
    }

    /// Tables without a primary key (and without their own choice) changed on both
    /// sides follow `unkeyed`.
    pub fn with_unkeyed(mut self, unkeyed: UnkeyedTables) -> SqliteMergeOptions {
        self.unkeyed = unkeyed;
        self
    }

    /// Rows of `table` changed on both sides follow `strategy`.
    pub fn with_table_strategy(
        mut self,
        table: impl Into<String>,
        strategy: RowStrategy,
    ) -> SqliteMergeOptions {
        self.tables.entry(table.into()).or_default().strategy = Some(strategy);
        self
    }

    /// `table`, when it has no primary key and changed on both sides, follows
    /// `unkeyed`.
    pub fn with_table_unkeyed(
        mut self,
        table: impl Into<String>,
        unkeyed: UnkeyedTables,
    ) -> SqliteMergeOptions {
        self.tables.entry(table.into()).or_default().unkeyed = Some(unkeyed);
        self
    }

    /// The overrides of `table`, by exact name first, then ignoring ASCII case (SQLite's
    /// own rule for table names).
    fn table(&self, table: &str) -> Option<&TableOptions> {
        self.tables.get(table).or_else(|| {
            self.tables
                .iter()
                .find(|(name, _)| name.eq_ignore_ascii_case(table))
                .map(|(_, options)| options)
        })
    }

    /// The strategy for rows of `table` changed on both sides.
    pub fn strategy_for(&self, table: &str) -> RowStrategy {
        self.table(table)
            .and_then(|options| options.strategy)
            .unwrap_or(self.strategy)
    }

    /// The choice for `table` (without a primary key) changed on both sides.
    pub fn unkeyed_for(&self, table: &str) -> UnkeyedTables {
        self.table(table)
            .and_then(|options| options.unkeyed)
            .unwrap_or(self.unkeyed)
    }

    /// Whether this merge may replace local values by cloud ones in a conflict, in any
    /// table (then a backup of local content is taken first).
    pub fn may_discard_local(&self) -> bool {
        let overrides = self.tables.values();
        discards(self.strategy)
            || self.unkeyed == UnkeyedTables::UseCloud
            || overrides.clone().filter_map(|t| t.strategy).any(discards)
            || overrides
                .filter_map(|t| t.unkeyed)
                .any(|u| u == UnkeyedTables::UseCloud)
    }
}

/// Whether `strategy` may take a cloud value over a local one.
fn discards(strategy: RowStrategy) -> bool {
    match strategy {
        RowStrategy::Merge(fallback) => matches!(
            fallback,
            FieldFallback::LastWriteWins | FieldFallback::PreferCloud
        ),
        RowStrategy::LastWriteWins | RowStrategy::PreferCloud => true,
        RowStrategy::PreferLocal | RowStrategy::Error => false,
    }
}
