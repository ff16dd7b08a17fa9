//! Load, save (one durable one-record update) and full cycle for the three tracking
//! databases (todo: 150 records, feature: 40, task: 5), side by side:
//!
//! - `record_store`: `Store::open` + `read` (load); `Store::update` changing one record
//!   (save: locked, format-preserving, atomic and durable);
//! - `baseline`: the phase-3 `Database<T>` (phase-2 lock files, phase-1 write, **no
//!   flush**: not durable, for scale);
//! - `sqlite`: rusqlite (bundled), WAL mode, `synchronous=FULL`, the same one-record
//!   `UPDATE` (durable);
//! - `rustbreak`: rustbreak 2's `FileDatabase<Vec<T>, Ron>`: the whole `Vec` in RON,
//!   saved by truncating and rewriting the file in place, then `fsync` (durable once
//!   `save` returns, not atomic: a crash mid-write leaves a partial file; no locking
//!   between processes).
//!
//! After criterion it measures, in the same process:
//!
//! - the one-record update of the todo database by all four designs **interleaved**
//!   (round by round, so a burst of background I/O on this shared machine hits all of
//!   them alike), `BENCH_STORE_UPDATE_ROUNDS` rounds (default 100), together with
//!   record-store's I/O alone (atomic-io's durable replace of the same bytes: the floor
//!   of any design that makes a commit durable with two flushes);
//! - the **overhead** of record-store's update over that floor, taken apart
//!   (`store/overhead.rs`): the floor's replace with each piece of the store's I/O around
//!   it (lock, read, `stat`), the store's update, and the replace and the update with no
//!   flush, taking turns in one process, `BENCH_STORE_OVERHEAD_ROUNDS` rounds (default
//!   400);
//! - **contention**: 1, 2, 4 and 8 processes doing read-modify-write of one record of the
//!   todo database for `BENCH_STORE_CONTENTION_SECONDS` each (default 2), counting
//!   operations, errors and lost updates (`BENCH_STORE_CONTENTION=0` skips it).
//!
//! - **scaling** (`store/scaling.rs`): update vs the two-flush floor, insert of N records
//!   and peak memory at 150 to 150,000 records, each in a process of its own.
//!
//! All are printed and stored in `store.json` under `BENCH_RESULTS_DIR` (default
//! `<target>/xtask-bench`), which `cargo xtask bench` renders into `docs/benchmarks.md`.
//!
//! Runs in a directory under the target dir (a real disk: flushes are what is measured).
//!
//! The modules under `store/`: `records` (the three record types), `designs` (each
//! design's files, load and update), `groups` (the criterion groups), `interleaved`,
//! `overhead`, `contention` and `scaling` (the measurements after criterion).

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::Criterion;

#[path = "store/contention.rs"]
mod contention;
#[path = "store/designs.rs"]
mod designs;
#[path = "store/groups.rs"]
mod groups;
#[path = "store/interleaved.rs"]
mod interleaved;
#[path = "store/overhead.rs"]
mod overhead;
#[path = "store/records.rs"]
mod records;
#[path = "store/scaling.rs"]
mod scaling;

fn bench_dir() -> PathBuf {
    let dir = std::env::var_os("BENCH_STORE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_TARGET_TMPDIR")).join("bench-store"));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("create the benchmark directory");
    dir
}

/// The four designs, in the order of the reports.
const DESIGNS: [&str; 4] = ["record_store", "baseline", "sqlite", "rustbreak"];

/// Nearest-rank percentile of sorted durations, in ms.
fn percentile_ms(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let index = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[index].as_secs_f64() * 1e3
}

/// Median, mean and 99th percentile of `samples` (sorted in place), in ms.
fn summary_ms(samples: &mut [Duration]) -> (f64, f64, f64) {
    samples.sort_unstable();
    let mean = match samples.len() {
        0 => 0.0,
        n => samples.iter().map(Duration::as_secs_f64).sum::<f64>() * 1e3 / n as f64,
    };
    (
        percentile_ms(samples, 0.50),
        mean,
        percentile_ms(samples, 0.99),
    )
}

fn main() {
    if let Ok(spec) = std::env::var(scaling::WORKER_ENV) {
        scaling::worker(&spec);
        return;
    }
    if let Ok(spec) = std::env::var(contention::WORKER_ENV) {
        contention::worker(&spec);
        return;
    }
    groups::store();
    Criterion::default().configure_from_args().final_summary();
    let dir = bench_dir();
    let mut results = vec![
        ("update_interleaved", interleaved::interleaved_update(&dir)),
        ("update_overhead", overhead::update_overhead(&dir)),
        (
            "rustbreak",
            serde_json::json!("rustbreak 2 FileDatabase<Vec<T>, Ron> (in-place rewrite + fsync)"),
        ),
    ];
    if std::env::var("BENCH_STORE_CONTENTION").as_deref() != Ok("0") {
        results.push(("contention", contention::contention(&dir)));
    }
    results.push(("scaling", scaling::scaling(&dir)));
    let entries = results
        .into_iter()
        .map(|(key, value)| (key.to_owned(), value));
    bench_suite::results::store(bench_suite::results::STORE_FILE, entries.collect());
}
