//! `cargo xtask bench`: criterion benches of `crates/bench-suite` plus the multi-process
//! measurements (lock hand-off latency, read-modify-write under contention), then
//! `docs/benchmarks.md` and its plots.
//!
//! Multi-process figures are kept in `<target>/xtask-bench/results.json` so that a partial
//! run (`bench io`) still writes a complete report from the latest figures of each kind;
//! criterion keeps its own under `<target>/criterion`. The `sdn` and `store` benches store
//! what they measure outside criterion (interleaved runs, peak memory, contention between
//! processes) in `sdn.json` and `store.json` next to it (`BENCH_RESULTS_DIR`).
//! A section whose figures are in none of these (another checkout measured them) keeps its
//! text from the existing `docs/benchmarks.md` instead of turning into "Not measured yet".

use std::fs;
use std::path::{Path, PathBuf};

use bench_suite::coord::{Spawner, run_contention, run_handoff, run_replace};
use bench_suite::workers::Design;
use serde::{Deserialize, Serialize};

use crate::{report, util};

/// Which benchmarks to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Which {
    /// Durable replace: atomic-io vs bare syscalls vs fs::write vs baseline phase 1.
    Io,
    /// Uncontended lock+unlock, and cross-process hand-off latency.
    Lock,
    /// Read-modify-durable-write by 1, 2, 4, 8 processes: ours vs baseline phase 2.
    Contention,
    /// The SDN codec benches.
    Sdn,
    /// The record-store benches: record-store, baseline, SQLite, rustbreak; contention.
    Store,
    /// The versioning benches: versioned vs plain update; whole-store merge vs automerge.
    Versioning,
    /// Content files (cloud-sync) against s3s-fs: upload and download vs raw PUT / GET.
    Files,
    /// Database sync (cloud-sync) against s3s-fs: push and pull vs raw PUT / GET, the
    /// requests of an unchanged push, a merging pull.
    Sync,
    /// Everything.
    All,
    /// Nothing new: rewrite docs/benchmarks.md from the latest stored figures (its date
    /// from `SOURCE_DATE_EPOCH` when set, so renderings compare byte for byte).
    Report,
}

/// Criterion settings that keep a full run within minutes on 2 cores.
const CRITERION_ARGS: &[&str] = &["--warm-up-time", "1", "--measurement-time", "3", "--noplot"];
/// Process counts of the contention measurement.
pub const CONTENTION_PROCS: &[usize] = &[1, 2, 4, 8];
/// Seconds per contention point.
const CONTENTION_SECONDS: f64 = 3.0;
/// The contended file's size.
pub const CONTENTION_SIZE: usize = 40 * 1024;
/// Hand-off rounds per lock design.
const HANDOFF_ROUNDS: usize = 400;
/// Rounds of the interleaved durable-replace measurement, per size.
const REPLACE_ROUNDS: usize = 200;
/// File sizes of the durable-replace measurements.
pub const REPLACE_SIZES: &[usize] = &[4 * 1024, 40 * 1024];

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

/// `store.json`, written by `crates/bench-suite/benches/store.rs`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct StoreResults {
    /// The one-record update of the todo database, the designs taking turns.
    #[serde(default)]
    pub update_interleaved: Option<UpdateInterleaved>,
    /// Read-modify-write of the todo database by 1, 2, 4, 8 processes.
    #[serde(default)]
    pub contention: Option<StoreContention>,
    /// Update, insert and peak memory from 150 to 150,000 records.
    #[serde(default)]
    pub scaling: Option<crate::report_scaling::StoreScaling>,
}

/// The interleaved one-record update.
#[derive(Debug, Clone, Deserialize)]
pub struct UpdateInterleaved {
    /// Records in the database.
    pub records: usize,
    /// Rounds (each design once per round).
    pub rounds: usize,
    /// One row per design.
    pub designs: Vec<UpdateRow>,
}

/// One design's interleaved update times.
#[derive(Debug, Clone, Deserialize)]
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
#[derive(Debug, Clone, Deserialize)]
pub struct StoreContention {
    /// Records in the database.
    pub records: usize,
    /// Seconds per point.
    pub seconds: f64,
    /// One row per design and process count.
    pub rows: Vec<StoreContentionRow>,
}

/// One design at one process count.
#[derive(Debug, Clone, Deserialize)]
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

/// `sdn.json`, written by `crates/bench-suite/benches/sdn.rs`.
#[derive(Debug, Clone, Deserialize)]
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
#[derive(Debug, Clone, Deserialize)]
pub struct SdnInterleaved {
    /// Runs of each.
    pub rounds: usize,
    /// `deserialize` and `serialize`.
    pub rows: Vec<SdnInterleavedRow>,
}

/// One operation's alternating runs.
#[derive(Debug, Clone, Deserialize)]
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
#[derive(Debug, Clone, Deserialize)]
pub struct PeakRow {
    /// `sdn-value`, `sdn-typed` or `json-value`.
    pub kind: String,
    /// Input size.
    pub input_bytes: usize,
    /// Growth of the peak resident set while parsing, if measurable.
    pub peak_growth_bytes: Option<u64>,
}

/// What the `sdn`, `store` and `versioning` benches stored, if they ran.
#[derive(Debug, Clone, Default)]
pub struct BenchFiles {
    /// `store.json`.
    pub store: Option<StoreResults>,
    /// `sdn.json`.
    pub sdn: Option<SdnResults>,
    /// `versioning.json`, as stored (rendered by `report_versioning`).
    pub versioning: Option<serde_json::Value>,
    /// `files.json`, as stored (rendered by `report_files`).
    pub files: Option<serde_json::Value>,
    /// `sync.json`, as stored (rendered by `report_sync`).
    pub sync: Option<serde_json::Value>,
}

fn results_dir() -> PathBuf {
    util::target_dir().join("xtask-bench")
}

fn read_json<T: serde::de::DeserializeOwned>(dir: &Path, name: &str) -> Option<T> {
    let path = dir.join(name);
    let bytes = fs::read(&path).ok()?;
    match serde_json::from_slice(&bytes) {
        Ok(value) => Some(value),
        Err(e) => {
            println!("bench: ignoring {}: {e}", path.display());
            None
        }
    }
}

fn stored_path() -> PathBuf {
    results_dir().join("results.json")
}

fn load_stored(dir: &Path) -> Stored {
    fs::read(dir.join("results.json"))
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default()
}

/// Rewrites `docs/benchmarks.md` and its plots in `docs` from the figures stored under
/// `target` (criterion's `criterion/` and our `xtask-bench/`), measuring nothing.
pub fn render(target: &Path, docs: &Path) -> Result<(), String> {
    let criterion = report::read_criterion(&target.join("criterion"));
    let results = target.join("xtask-bench");
    let files = BenchFiles {
        store: read_json(&results, "store.json"),
        sdn: read_json(&results, "sdn.json"),
        versioning: read_json(&results, "versioning.json"),
        files: read_json(&results, "files.json"),
        sync: read_json(&results, "sync.json"),
    };
    report::write(docs, &criterion, &load_stored(&results), &files)
}

fn save_stored(stored: &Stored) -> Result<(), String> {
    let path = stored_path();
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(|e| format!("create {}: {e}", parent.display()))?;
    }
    let json = serde_json::to_vec_pretty(stored).map_err(|e| e.to_string())?;
    fs::write(&path, json).map_err(|e| format!("write {}: {e}", path.display()))
}

/// Runs the chosen benchmarks and rewrites the report; Ok(false) if a bench failed.
pub fn run(which: Which) -> Result<bool, String> {
    let wants = |kind: Which| which == kind || which == Which::All;
    let mut ok = true;
    if wants(Which::Io) {
        ok &= criterion_bench("io")?;
    }
    if wants(Which::Lock) {
        ok &= criterion_bench("lock")?;
    }
    if wants(Which::Sdn) {
        if util::exists("crates/bench-suite/benches/sdn.rs") {
            ok &= criterion_bench("sdn")?;
        } else {
            println!("bench: crates/bench-suite/benches/sdn.rs does not exist yet; sdn skipped");
        }
    }
    if wants(Which::Store) {
        if util::exists("crates/bench-suite/benches/store.rs") {
            ok &= criterion_bench("store")?;
        } else {
            println!(
                "bench: crates/bench-suite/benches/store.rs does not exist yet; store skipped"
            );
        }
    }
    if wants(Which::Versioning) {
        ok &= criterion_bench("versioning")?;
    }
    if wants(Which::Files) {
        // Not a criterion bench: it ignores the criterion arguments.
        ok &= criterion_bench("files")?;
    }
    if wants(Which::Sync) {
        // Not a criterion bench either.
        ok &= criterion_bench("sync")?;
    }
    let mut stored = load_stored(&results_dir());
    if wants(Which::Io) || wants(Which::Lock) || wants(Which::Contention) {
        let spawner = build_worker()?;
        let dir = util::scratch_dir("bench")?;
        if wants(Which::Io) {
            stored.replace = measure_replace(&spawner, &dir)?;
        }
        if wants(Which::Lock) {
            stored.handoff = measure_handoff(&spawner, &dir)?;
        }
        if wants(Which::Contention) {
            stored.contention = measure_contention(&spawner, &dir)?;
        }
        save_stored(&stored)?;
    }
    let docs = util::workspace_root().join("docs");
    render(&util::target_dir(), &docs)?;
    println!("bench: wrote {}", docs.join("benchmarks.md").display());
    Ok(ok)
}

fn criterion_bench(name: &str) -> Result<bool, String> {
    println!("\n==== bench {name}");
    let mut args = vec!["bench", "-p", "bench-suite", "--bench", name, "--"];
    args.extend_from_slice(CRITERION_ARGS);
    let mut command = util::cargo(args);
    command.env("BENCH_RESULTS_DIR", results_dir());
    util::run_plain(command)
}

/// Builds the `bench-worker` binary in release mode and returns how to start it.
fn build_worker() -> Result<Spawner, String> {
    println!("\n==== build bench-worker (release)");
    let built = util::run_plain(util::cargo([
        "build",
        "--release",
        "-p",
        "bench-suite",
        "--bin",
        "bench-worker",
    ]))?;
    if !built {
        return Err("building bench-worker failed".to_string());
    }
    let exe = util::target_dir().join("release").join("bench-worker");
    if !exe.exists() {
        return Err(format!("{} missing after the build", exe.display()));
    }
    Ok(Spawner::new(exe, &[]))
}

fn measure_replace(spawner: &Spawner, dir: &Path) -> Result<Vec<ReplaceRow>, String> {
    println!(
        "\n==== durable replace, atomic-io and bare sequence interleaved ({REPLACE_ROUNDS} rounds)"
    );
    let mut rows = Vec::new();
    for &size in REPLACE_SIZES {
        let report = run_replace(spawner, dir, size, REPLACE_ROUNDS)?;
        let us = |ns: u64| ns as f64 / 1e3;
        let row = ReplaceRow {
            size,
            rounds: report.atomic_io.count,
            ours_p50_us: us(report.atomic_io.p50_ns),
            ours_mean_us: us(report.atomic_io.mean_ns),
            ours_p99_us: us(report.atomic_io.p99_ns),
            bare_p50_us: us(report.bare.p50_ns),
            bare_mean_us: us(report.bare.mean_ns),
            bare_p99_us: us(report.bare.p99_ns),
        };
        println!(
            "{:>6} B: atomic-io p50 {:.0} µs mean {:.0} µs | bare p50 {:.0} µs mean {:.0} µs | ratio of medians {:.2}",
            size,
            row.ours_p50_us,
            row.ours_mean_us,
            row.bare_p50_us,
            row.bare_mean_us,
            row.ours_p50_us / row.bare_p50_us
        );
        rows.push(row);
    }
    Ok(rows)
}

fn measure_handoff(spawner: &Spawner, dir: &Path) -> Result<Vec<HandoffRow>, String> {
    println!("\n==== lock hand-off between two processes ({HANDOFF_ROUNDS} rounds each)");
    let mut rows = Vec::new();
    for design in [Design::Ours, Design::Baseline] {
        let report = run_handoff(spawner, design, dir, HANDOFF_ROUNDS)?;
        let us = |ns: u64| ns as f64 / 1e3;
        let row = HandoffRow {
            design: design.name().to_string(),
            rounds: report.latency.count,
            p50_us: us(report.latency.p50_ns),
            p95_us: us(report.latency.p95_ns),
            p99_us: us(report.latency.p99_ns),
            max_us: us(report.latency.max_ns),
        };
        println!(
            "{:<9} p50 {:>9.1} µs  p95 {:>9.1} µs  p99 {:>9.1} µs  max {:>9.1} µs",
            row.design, row.p50_us, row.p95_us, row.p99_us, row.max_us
        );
        rows.push(row);
    }
    Ok(rows)
}

fn measure_contention(spawner: &Spawner, dir: &Path) -> Result<Vec<ContentionRow>, String> {
    println!(
        "\n==== read-modify-write of a {} KiB file, {CONTENTION_SECONDS} s per point",
        CONTENTION_SIZE / 1024
    );
    let mut rows = Vec::new();
    for design in [Design::Ours, Design::OursAtomicOnly, Design::Baseline] {
        for &procs in CONTENTION_PROCS {
            let report = run_contention(
                spawner,
                design,
                dir,
                procs,
                CONTENTION_SECONDS,
                CONTENTION_SIZE,
            )?;
            let ms = |ns: u64| ns as f64 / 1e6;
            let row = ContentionRow {
                design: design.name().to_string(),
                procs,
                seconds: report.seconds,
                ops: report.ops,
                errors: report.errors,
                kept: report.final_value,
                lost: report.lost,
                ops_per_s: report.throughput(),
                kept_per_s: report.kept_per_second(),
                p50_ms: ms(report.latency.p50_ns),
                p95_ms: ms(report.latency.p95_ns),
                p99_ms: ms(report.latency.p99_ns),
                max_ms: ms(report.latency.max_ns),
            };
            println!(
                "{:<16} {procs} procs: {:>8.1} ops/s, kept {:>8.1}/s, lost {:>6}, errors {}, p50 {:.2} ms p95 {:.2} ms p99 {:.2} ms",
                row.design,
                row.ops_per_s,
                row.kept_per_s,
                row.lost,
                row.errors,
                row.p50_ms,
                row.p95_ms,
                row.p99_ms
            );
            if let Some(err) = &report.last_error {
                println!("          last error: {err}");
            }
            rows.push(row);
        }
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Renders the report from `xtask/fixtures/bench-inputs` (a hand-made set of every
    /// kind of stored figure) and checks lines of each section.
    #[test]
    fn the_report_renders_from_stored_figures() {
        let inputs = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/bench-inputs");
        let docs = tempfile::tempdir().unwrap();
        render(&inputs, docs.path()).unwrap();
        let md = fs::read_to_string(docs.path().join("benchmarks.md")).unwrap();
        for line in [
            "# Benchmarks",
            "| baseline phase 1 (not durable) | 35.0 µs | 56.0 µs |",
            "| 40 KiB | 200 | 3.10 ms | 2.50 ms | 3.20 ms | 2.60 ms | 5.00 ms | 4.90 ms | **1.24x** (goal ≤ 1.1x: **not met**) |",
            "file-lock hand-off p50 45.0 µs (goal < 200 µs: **met**).",
            "- lost updates over all points: ours (both variants) **0**, baseline **15750**.",
            "| deserialize into `Vec<Todo>` | 12.12 ms | 14.55 ms | **1.20x** (**met**) | 11.71 ms | 16.02 ms | **1.37x** (**met**) |",
            "- record-store at 8 processes keeps **75%** of its 1-process throughput (goal ≥ 70%: **met**).",
            "| 150 | 21 KiB | 2.40 ms (100) | 2.20 ms | 1.09x | 3.00 ms | 300.0 µs | 3.50 ms | **12.0x** (0.2 MiB) | 2.0x (0.0 MiB) | 3.0x (0.1 MiB) |",
            "| 500.0 µs | 540.0 µs | 1.08x (met) |",
            "| 1,000 files of 4 KiB | 4096000 | 2.00 s | 1.00 s | 2.00x | 4.00 s | 0.50x | 1.50 s | 1.00 s | 1.50x | 3.00 s | 0.50x | 2.00x |",
            "Push of an unchanged database: **1** request(s) (GET 1, HEAD 0, PUT 0, LIST 0, other 0) in 2.00 ms; goal one manifest request: **met**.",
            "| misc_group | other | 5.60 s | 5.43 s |",
        ] {
            assert!(md.lines().any(|l| l == line), "missing {line:?} in\n{md}");
        }
        assert!(!md.contains("Not measured yet"), "{md}");
        for chart in ["contention", "handoff", "store-contention"] {
            let svg = fs::read_to_string(docs.path().join(format!("benchmarks-{chart}.svg")));
            assert!(svg.unwrap().starts_with("<svg"), "{chart}");
        }
    }
}
