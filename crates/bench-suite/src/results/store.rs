//! `store.json`, written by the `store` bench (`benches/store.rs`).

use serde::{Deserialize, Serialize};

/// `store.json`, written by `crates/bench-suite/benches/store.rs`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct StoreResults {
    /// The one-record update of the todo database, the designs taking turns.
    #[serde(default)]
    pub update_interleaved: Option<UpdateInterleaved>,
    /// Read-modify-write of the todo database by 1, 2, 4, 8 processes.
    #[serde(default)]
    pub contention: Option<StoreContention>,
    /// Update, insert and peak memory from 150 to 150,000 records.
    #[serde(default)]
    pub scaling: Option<StoreScaling>,
}

/// The interleaved one-record update.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UpdateInterleaved {
    /// Records in the database.
    pub records: usize,
    /// Rounds (each design once per round).
    pub rounds: usize,
    /// One row per design.
    pub designs: Vec<UpdateRow>,
}

/// One design's interleaved update times.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UpdateRow {
    /// `record_store`, `baseline`, `sqlite` or `rustbreak`.
    pub design: String,
    /// Median, ms.
    pub p50_ms: f64,
    /// Mean, ms.
    pub mean_ms: f64,
    /// 99th percentile, ms.
    pub p99_ms: f64,
}

/// The store contention measurement.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoreContention {
    /// Records in the database.
    pub records: usize,
    /// Seconds per point.
    pub seconds: f64,
    /// One row per design and process count.
    pub rows: Vec<StoreContentionRow>,
}

/// One design at one process count.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoreContentionRow {
    /// `record_store`, `baseline`, `sqlite` or `rustbreak`.
    pub design: String,
    /// Worker processes.
    pub procs: usize,
    /// Successful read-modify-writes.
    pub ops: u64,
    /// Failed read-modify-writes.
    pub errors: u64,
    /// The last failure's message.
    #[serde(default)]
    pub last_error: Option<String>,
    /// The final counter (increments that survived), if the file was readable.
    #[serde(default)]
    pub kept: Option<u64>,
    /// Why the final file could not be read.
    #[serde(default)]
    pub final_error: Option<String>,
    /// Successful increments overwritten by another process, if known.
    #[serde(default)]
    pub lost: Option<u64>,
    /// Successful operations per second.
    pub ops_per_s: f64,
    /// Median latency, ms.
    pub p50_ms: f64,
    /// 95th percentile, ms.
    pub p95_ms: f64,
    /// 99th percentile, ms.
    pub p99_ms: f64,
    /// Largest, ms.
    pub max_ms: f64,
}

/// The scaling measurement of `store.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoreScaling {
    /// One row per database size.
    pub rows: Vec<ScalingRow>,
}

/// One database size.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScalingRow {
    /// Records in the database.
    pub records: usize,
    /// The file's size in bytes.
    pub file_bytes: f64,
    /// Interleaved rounds of the warm update.
    #[serde(default)]
    pub rounds: Option<usize>,
    /// Warm one-record durable update, median, ms.
    pub update_p50_ms: f64,
    /// atomic-io's two-flush replace of the same bytes, median, ms.
    pub floor_p50_ms: f64,
    /// Their ratio.
    pub update_over_floor: f64,
    /// One transaction inserting every record into a new file, ms.
    pub insert_ms: f64,
    /// Open, read and decode the whole table, ms.
    pub load_ms: f64,
    /// One-record update by a process that had not read the file, ms.
    pub cold_update_ms: f64,
    /// Peak memory of the load above the process's size before it, in file sizes.
    pub load_peak_x: f64,
    /// The same for the cold update.
    pub cold_update_peak_x: f64,
    /// The same for the insert.
    pub insert_peak_x: f64,
}
