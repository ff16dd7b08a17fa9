//! `store.json`, written by bench-suite's `store` bench.

use serde::{Deserialize, Serialize};

/// `store.json`, written by bench-suite's `store` bench.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct StoreResults {
    /// The one-record update of the todo database, the designs taking turns.
    #[serde(default)]
    pub update_interleaved: Option<UpdateInterleaved>,
    /// record-store's update against the two-flush floor and the floor with each piece
    /// of the store's I/O around it, taking turns (rows named by variant).
    #[serde(default)]
    pub update_overhead: Option<UpdateInterleaved>,
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
    /// One transaction removing 1% of the records (every hundredth) by a process that
    /// had not read the file, ms (`None` in results older than the measurement).
    #[serde(default)]
    pub remove_ms: Option<f64>,
    /// Peak memory of the load above the process's size before it, in file sizes.
    pub load_peak_x: f64,
    /// The same for the cold update.
    pub cold_update_peak_x: f64,
    /// The same for the removal of 1% (`None` in results older than the measurement).
    #[serde(default)]
    pub remove_peak_x: Option<f64>,
    /// The same for the insert.
    pub insert_peak_x: f64,
    /// The same for the inserted records alone, made and kept in a `Vec` without a store
    /// (`None` in results older than the measurement).
    #[serde(default)]
    pub records_peak_x: Option<f64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shape the `store` bench writes, with the keys no reader needs.
    #[test]
    fn store_json_as_the_bench_writes_it_parses() {
        let json = r#"{
            "rustbreak": "rustbreak 2 FileDatabase<Vec<T>, Ron> (in-place rewrite + fsync)",
            "update_interleaved": {"records": 150, "rounds": 100, "designs": [
                {"design": "sqlite", "p50_ms": 2.0, "mean_ms": 2.2, "p99_ms": 4.0}]},
            "contention": {"records": 150, "seconds": 2.0, "rows": [
                {"design": "rustbreak", "procs": 8, "ops": 10, "errors": 7,
                 "final_error": "truncated", "ops_per_s": 5.0, "p50_ms": 1.0,
                 "p95_ms": 2.0, "p99_ms": 3.0, "max_ms": 4.0}]},
            "scaling": {"record": "Todo", "table": "todo", "rows": [
                {"records": 150, "file_bytes": 21000.0, "update_p50_ms": 2.4,
                 "floor_p50_ms": 2.2, "update_over_floor": 1.09, "insert_ms": 3.0,
                 "load_ms": 0.3, "cold_update_ms": 3.5, "load_peak_x": 12.0,
                 "cold_update_peak_x": 2.0, "insert_peak_x": 3.0}]}
        }"#;
        let store: StoreResults = serde_json::from_str(json).unwrap();
        let row = &store.contention.unwrap().rows[0];
        assert_eq!(
            (row.kept, row.final_error.as_deref()),
            (None, Some("truncated"))
        );
        assert_eq!(store.scaling.unwrap().rows[0].rounds, None);
        assert_eq!(
            store.update_interleaved.unwrap().designs[0].design,
            "sqlite"
        );
        let empty: StoreResults = serde_json::from_str("{}").unwrap();
        assert!(empty.contention.is_none());
    }
}
