//! The figures bench-suite's `multiprocess` program measures between worker processes
//! (durable replace, lock hand-off, contention), kept in `results.json` between runs.

use std::fs;
use std::io;
use std::path::Path;

use serde::{Deserialize, Serialize};

/// Process counts of the contention measurement.
pub const CONTENTION_PROCS: &[usize] = &[1, 2, 4, 8];
/// The contended file's size.
pub const CONTENTION_SIZE: usize = 40 * 1024;
/// File sizes of the durable-replace measurements.
pub const REPLACE_SIZES: &[usize] = &[4 * 1024, 40 * 1024];
/// The file, in the results directory, that holds [`Stored`].
pub const STORED_FILE: &str = "results.json";

/// One hand-off measurement.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HandoffRow {
    /// `ours` (file-lock) or `baseline` (lock-file polling).
    pub design: String,
    /// Rounds measured.
    pub rounds: usize,
    /// Percentiles in microseconds.
    pub p50_us: f64,
    /// 95th percentile, µs.
    pub p95_us: f64,
    /// 99th percentile, µs.
    pub p99_us: f64,
    /// Largest, µs.
    pub max_us: f64,
}

/// One contention point.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ContentionRow {
    /// `ours`, `ours-atomic-only` or `baseline`.
    pub design: String,
    /// Worker processes.
    pub procs: usize,
    /// Measured seconds.
    pub seconds: f64,
    /// Successful read-modify-writes.
    pub ops: u64,
    /// Failed read-modify-writes.
    pub errors: u64,
    /// Final counter value (increments that survived).
    pub kept: u64,
    /// Successful increments overwritten by another process.
    pub lost: u64,
    /// Successful operations per second.
    pub ops_per_s: f64,
    /// Surviving increments per second.
    pub kept_per_s: f64,
    /// Latency percentiles in milliseconds.
    pub p50_ms: f64,
    /// 95th percentile, ms.
    pub p95_ms: f64,
    /// 99th percentile, ms.
    pub p99_ms: f64,
    /// Largest, ms.
    pub max_ms: f64,
}

/// One interleaved durable-replace measurement.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReplaceRow {
    /// File size in bytes.
    pub size: usize,
    /// Rounds (each method once per round).
    pub rounds: usize,
    /// atomic-io median, µs.
    pub ours_p50_us: f64,
    /// atomic-io mean, µs.
    pub ours_mean_us: f64,
    /// atomic-io 99th percentile, µs.
    pub ours_p99_us: f64,
    /// Bare sequence median, µs.
    pub bare_p50_us: f64,
    /// Bare sequence mean, µs.
    pub bare_mean_us: f64,
    /// Bare sequence 99th percentile, µs.
    pub bare_p99_us: f64,
}

/// Figures measured outside criterion, kept between runs.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Stored {
    /// Interleaved durable-replace rows.
    #[serde(default)]
    pub replace: Vec<ReplaceRow>,
    /// Hand-off latency rows.
    pub handoff: Vec<HandoffRow>,
    /// Contention rows.
    pub contention: Vec<ContentionRow>,
}

impl Stored {
    /// The figures in `<dir>/results.json`; none when it is missing or unreadable (a
    /// first run, or one from an older schema: the next measurement rewrites it).
    pub fn load(dir: &Path) -> Stored {
        fs::read(dir.join(STORED_FILE))
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default()
    }

    /// Writes the figures to `<dir>/results.json`, creating `dir`.
    pub fn save(&self, dir: &Path) -> io::Result<()> {
        fs::create_dir_all(dir)?;
        let json = serde_json::to_vec_pretty(self).map_err(io::Error::other)?;
        fs::write(dir.join(STORED_FILE), json)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_figures_survive_a_save_and_a_load() {
        let dir = tempfile::tempdir().unwrap();
        assert!(
            Stored::load(dir.path()).handoff.is_empty(),
            "nothing stored yet"
        );
        let stored = Stored {
            replace: Vec::new(),
            handoff: vec![HandoffRow {
                design: "ours".into(),
                rounds: 400,
                p50_us: 45.0,
                p95_us: 90.0,
                p99_us: 150.0,
                max_us: 900.0,
            }],
            contention: Vec::new(),
        };
        let nested = dir.path().join("xtask-bench");
        stored.save(&nested).unwrap();
        let loaded = Stored::load(&nested);
        assert_eq!(loaded.handoff.len(), 1);
        assert_eq!(loaded.handoff[0].p50_us, 45.0);
        // A file from before the interleaved replace existed still loads.
        fs::write(
            nested.join(STORED_FILE),
            r#"{"handoff": [], "contention": []}"#,
        )
        .unwrap();
        assert!(Stored::load(&nested).replace.is_empty());
    }
}
