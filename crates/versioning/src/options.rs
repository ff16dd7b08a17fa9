//! Settings of a versioned store: who writes, which clock, which strategy, and per-table
//! column names and strategies.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::hlc::{Clock, HlcOptions, SkewPolicy, SystemClock, WriterId};
use crate::meta::Columns;
use crate::strategy::Strategy;

/// Settings of one table.
#[derive(Debug, Clone, Default)]
pub struct TableOptions {
    /// The metadata column names.
    pub columns: Columns,
    /// The table's conflict strategy (`None`: the store's).
    pub strategy: Option<Strategy>,
    /// The column that identifies a row in untyped operations (change cursor, whole
    /// store merge); `None`: `id` when the table has it, else its first column.
    pub key_column: Option<String>,
}

/// Settings of a [`crate::VersionedStore`].
#[derive(Debug, Clone)]
pub struct Options {
    /// The identity stamped on every change this store handle commits. Give every
    /// process that writes concurrently its own (see [`WriterId::for_process`]).
    pub writer: WriterId,
    /// The wall clock (inject a [`crate::ManualClock`] in tests).
    pub clock: Arc<dyn Clock>,
    /// Clock-skew bound and policy.
    pub hlc: HlcOptions,
    /// The store-wide conflict strategy (default [`Strategy::Error`]).
    pub strategy: Strategy,
    /// Per-table settings, by table name; tables not listed use the defaults.
    pub tables: BTreeMap<String, TableOptions>,
}

impl Options {
    /// Defaults for `writer`: the system clock, a 5-minute skew bound that fails, the
    /// [`Strategy::Error`] strategy, default column names.
    pub fn new(writer: WriterId) -> Self {
        Options {
            writer,
            clock: Arc::new(SystemClock),
            hlc: HlcOptions::default(),
            strategy: Strategy::default(),
            tables: BTreeMap::new(),
        }
    }

    /// Uses `clock` as the wall clock.
    pub fn clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Sets the store-wide strategy.
    pub fn strategy(mut self, strategy: Strategy) -> Self {
        self.strategy = strategy;
        self
    }

    /// Sets the clock-skew bound and what happens beyond it.
    pub fn skew(mut self, max_ahead_ms: u64, policy: SkewPolicy) -> Self {
        self.hlc = HlcOptions {
            max_ahead_ms,
            skew: policy,
        };
        self
    }

    /// Sets one table's options.
    pub fn table(mut self, name: impl Into<String>, options: TableOptions) -> Self {
        self.tables.insert(name.into(), options);
        self
    }

    pub(crate) fn table_options(&self, table: &str) -> &TableOptions {
        static DEFAULT: std::sync::OnceLock<TableOptions> = std::sync::OnceLock::new();
        self.tables
            .get(table)
            .unwrap_or_else(|| DEFAULT.get_or_init(TableOptions::default))
    }

    pub(crate) fn strategy_for(&self, table: &str) -> &Strategy {
        self.table_options(table)
            .strategy
            .as_ref()
            .unwrap_or(&self.strategy)
    }
}

impl WriterId {
    /// `<device>-<pid>`: a device id made unique per process.
    pub fn for_process(device: &str) -> Result<WriterId, crate::Error> {
        Ok(WriterId::new(format!("{device}-{}", std::process::id()))?)
    }
}
