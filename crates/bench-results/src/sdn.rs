//! `sdn.json`, written by bench-suite's `sdn` bench.

use serde::{Deserialize, Serialize};

/// `sdn.json`, written by bench-suite's `sdn` bench.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SdnResults {
    /// Records in the typed benchmarks.
    pub records: usize,
    /// Size of their SDN text.
    pub sdn_bytes: usize,
    /// Size of their JSON text.
    pub json_bytes: usize,
    /// SDN and serde_json alternating run by run.
    pub interleaved: SdnInterleaved,
    /// Peak memory of parsing about 10 MB.
    pub peak_memory: Vec<PeakRow>,
}

/// The alternating runs.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SdnInterleaved {
    /// Runs of each.
    pub rounds: usize,
    /// `deserialize` and `serialize`.
    pub rows: Vec<SdnInterleavedRow>,
}

/// One operation's alternating runs.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SdnInterleavedRow {
    /// `deserialize` or `serialize`.
    pub operation: String,
    /// Fastest SDN run, ms.
    pub sdn_fastest_ms: f64,
    /// Median SDN run, ms.
    pub sdn_median_ms: f64,
    /// Fastest serde_json run, ms.
    pub json_fastest_ms: f64,
    /// Median serde_json run, ms.
    pub json_median_ms: f64,
}

/// Peak memory of one parse, measured in a child process.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PeakRow {
    /// `sdn-value`, `sdn-typed` or `json-value`.
    pub kind: String,
    /// Input size.
    pub input_bytes: usize,
    /// Growth of the peak resident set while parsing, if measurable.
    pub peak_growth_bytes: Option<u64>,
}
