//! How record-store's costs grow with the file: the todo database at 150, 1,500, 15,000
//! and 150,000 records (`BENCH_STORE_SCALING`, comma-separated, overrides the sizes).
//!
//! Per size, each measured in a **fresh worker process** (this bench binary, started with
//! `BENCH_STORE_SCALE_WORKER`) so that its peak resident memory (`VmHWM` of
//! `/proc/self/status`) belongs to that operation alone:
//!
//! - `insert`: one transaction inserting all N records into a new file (time, peak);
//! - `records`: the N records alone, made as `insert` makes them and kept in a `Vec` of
//!   exactly their number (peak): what the caller of `insert` holds whatever the store
//!   does;
//! - `load`: `Store::open` + `read` + decoding the whole table (time, peak);
//! - `cold_update`: a one-record durable update by a process that has not read the file
//!   yet (time, peak);
//! - `remove`: one transaction removing 1% of the records (every hundredth), by a process
//!   that has not read the file yet, from a copy of the file (time, peak);
//! - `update`: warm one-record durable updates interleaved round by round with atomic-io's
//!   two-flush replace of a file of the same bytes (the floor), p50 of each and their
//!   ratio.
//!
//! Peaks are reported as the process's peak minus its resident size just before the
//! operation, divided by the file's size; `insert`, `load`, `cold_update` and `remove` run in
//! `BENCH_STORE_PEAK_RUNS` processes (default 3) and report the median peak and time. Before that, each worker runs every operation
//! once on a ten-record file, so the program code they touch is already resident and
//! the peak counts the memory the operation holds for the data.

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use bench_suite::memory;
use record_store::{Record, Store};

use super::designs::{store_update, write_sdn};
use super::percentile_ms;
use super::records::{Todo, Tracked};
use test_support::knob;

/// Environment variable that turns this binary into a scaling worker: `op|records|dir`.
pub const WORKER_ENV: &str = "BENCH_STORE_SCALE_WORKER";

/// Database sizes measured by default.
const SIZES: &[usize] = &[150, 1_500, 15_000, 150_000];

/// A field of `/proc/self/status` in KiB (`VmHWM`, `VmRSS`); 0 where there is none.
fn status_kib(field: &str) -> u64 {
    memory::status_kib(field).unwrap_or(0)
}

/// Rounds of the warm interleaved update for a database of `records` records: fewer for
/// big files, whose every round rewrites megabytes twice.
fn rounds_for(records: usize) -> usize {
    let base: usize = knob::number("BENCH_STORE_UPDATE_ROUNDS", 100);
    let shrink = (150.0 / records.max(150) as f64).powf(0.4);
    ((base as f64 * shrink).round() as usize).clamp(5.min(base), base)
}

/// Runs one worker operation and prints its JSON report on stdout.
pub fn worker(spec: &str) {
    let mut parts = spec.splitn(3, '|');
    let (op, records, dir) = (
        parts.next().unwrap_or_default(),
        parts
            .next()
            .and_then(|n| n.parse::<usize>().ok())
            .unwrap_or(150),
        Path::new(parts.next().unwrap_or(".")),
    );
    let path = dir.join(format!("todo_{records}.sdn"));
    let key = (records / 2) as u32;
    warm_up(dir);
    // A removal changes the file: each worker removes from a copy of its own.
    let removing = dir.join(format!("remove_{records}_{}.sdn", std::process::id()));
    if op == "remove" {
        fs::copy(&path, &removing).expect("copy the file to remove from");
    }
    memory::reset_peak();
    let rss_before = status_kib("VmRSS");
    let started = Instant::now();
    let mut extra = serde_json::json!({});
    match op {
        "insert" => insert(&path, records),
        "load" => load(&path, records),
        "cold_update" => store_update::<Todo>(&Store::open(&path).expect("open"), &key),
        "remove" => remove_every_hundredth(&removing, records),
        "records" => {
            let mut made = Vec::with_capacity(records);
            made.extend((0..records).map(Todo::sample));
            extra = serde_json::json!({ "records": made.len() });
        }
        "update" => {
            let store = Store::open(&path).expect("open");
            store_update::<Todo>(&store, &key);
            let floor_target = dir.join(format!("floor_{records}.sdn"));
            let bytes = fs::read(&path).expect("read");
            atomic_io::write(&floor_target, &bytes).expect("create the floor target");
            let rounds = rounds_for(records);
            let (mut ours, mut floor) = (Vec::new(), Vec::new());
            for round in 0..rounds {
                for turn in 0..2 {
                    let started = Instant::now();
                    if (round + turn) % 2 == 0 {
                        store_update::<Todo>(&store, &key);
                        ours.push(started.elapsed());
                    } else {
                        atomic_io::write(&floor_target, &bytes).expect("durable replace");
                        floor.push(started.elapsed());
                    }
                }
            }
            ours.sort_unstable();
            floor.sort_unstable();
            extra = serde_json::json!({
                "rounds": rounds,
                "update_p50_ms": percentile_ms(&ours, 0.5),
                "floor_p50_ms": percentile_ms(&floor, 0.5),
            });
        }
        other => panic!("unknown scaling operation {other}"),
    }
    let elapsed_ms = started.elapsed().as_secs_f64() * 1e3;
    if op == "remove" {
        fs::remove_file(&removing).expect("remove the copy");
        let _ = fs::remove_file(removing.with_extension("sdn.lock"));
    }
    let report = serde_json::json!({
        "op": op,
        "ms": elapsed_ms,
        "rss_before_kib": rss_before,
        "peak_kib": status_kib("VmHWM"),
        "file_bytes": fs::metadata(&path).map(|m| m.len()).unwrap_or(0),
        "extra": extra,
    });
    println!("{report}");
}

/// Inserts, loads and updates a ten-record store, so that the program code and the
/// allocator's first arenas every operation needs are resident before the measured one:
/// its peak then counts the data it holds, not the ~1.4 MiB of program text a fresh
/// process touches for the first time (which does not grow with the file).
fn warm_up(dir: &Path) {
    let dir = dir.join("warm-up");
    fs::create_dir_all(&dir).expect("create the warm-up directory");
    let path = dir.join(format!(
        "todo_{}_{}.sdn",
        std::process::id(),
        WARM_UP_RECORDS
    ));
    insert(&path, WARM_UP_RECORDS);
    load(&path, WARM_UP_RECORDS);
    store_update::<Todo>(
        &Store::open(&path).expect("open"),
        &(WARM_UP_RECORDS as u32 / 2),
    );
    fs::remove_file(&path).expect("remove the warm-up file");
    let _ = fs::remove_file(path.with_extension("sdn.lock"));
}

/// One transaction inserting `records` records into a new file at `path`.
fn insert(path: &Path, records: usize) {
    let _ = fs::remove_file(path);
    Store::open(path)
        .expect("open")
        .update(|tx| {
            let todos = tx.table::<Todo>()?;
            for i in 0..records {
                todos.insert(Todo::sample(i))?;
            }
            Ok::<_, record_store::Error>(())
        })
        .expect("insert");
}

/// One transaction removing every hundredth of the `records` records of the store at
/// `path`.
fn remove_every_hundredth(path: &Path, records: usize) {
    Store::open(path)
        .expect("open")
        .update(|tx| {
            let todos = tx.table::<Todo>()?;
            for key in (0..records).step_by(100) {
                todos.remove(&(key as u32)).expect("a record to remove");
            }
            Ok::<_, record_store::Error>(())
        })
        .expect("remove");
}

/// Opens the store at `path`, reads it and decodes its `records` records.
fn load(path: &Path, records: usize) {
    let snapshot = Store::open(path).expect("open").read().expect("read");
    assert_eq!(snapshot.table::<Todo>().expect("decode").len(), records);
}

/// Records of the warm-up store: enough to run every code path, too few to matter.
const WARM_UP_RECORDS: usize = 10;

/// Runs `op` for `records` records in a fresh worker process; its JSON report.
fn run_worker(op: &str, records: usize, dir: &Path) -> serde_json::Value {
    let output = Command::new(std::env::current_exe().expect("exe"))
        .env(WORKER_ENV, format!("{op}|{records}|{}", dir.display()))
        .stdout(Stdio::piped())
        .output()
        .expect("spawn the scaling worker");
    assert!(
        output.status.success(),
        "scaling worker {op} {records} failed"
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .rev()
        .find_map(|line| serde_json::from_str(line).ok())
        .expect("scaling worker report")
}

/// [`run_worker`] `BENCH_STORE_PEAK_RUNS` times (default 3), each in a fresh process:
/// the report of the run whose peak growth is the median, with the median time. A
/// process's peak moves by 64 or 128 KiB from run to run (where the allocator's heap
/// happens to lie), a quarter of a small file's own size; the median is the typical
/// process, not the luckiest or the unluckiest.
fn run_worker_median(op: &str, records: usize, dir: &Path) -> serde_json::Value {
    let runs: usize = knob::number("BENCH_STORE_PEAK_RUNS", 3).max(1);
    let mut reports: Vec<serde_json::Value> =
        (0..runs).map(|_| run_worker(op, records, dir)).collect();
    let mut times: Vec<f64> = reports
        .iter()
        .map(|r| r["ms"].as_f64().unwrap_or(0.0))
        .collect();
    times.sort_by(f64::total_cmp);
    let growth = |report: &serde_json::Value| {
        report["peak_kib"].as_f64().unwrap_or(0.0)
            - report["rss_before_kib"].as_f64().unwrap_or(0.0)
    };
    reports.sort_by(|a, b| growth(a).total_cmp(&growth(b)));
    let mut median = reports.swap_remove(runs / 2);
    median["ms"] = serde_json::json!(times[runs / 2]);
    median["runs"] = serde_json::json!(runs);
    median
}

/// Peak memory of an operation above the process's resident size before it, as a
/// multiple of the file's size.
fn peak_ratio(report: &serde_json::Value, file_bytes: f64) -> f64 {
    let peak = report["peak_kib"].as_f64().unwrap_or(0.0);
    let before = report["rss_before_kib"].as_f64().unwrap_or(0.0);
    (peak - before).max(0.0) * 1024.0 / file_bytes.max(1.0)
}

/// Measures every size; the `scaling` entry of `store.json`.
pub fn scaling(dir: &Path) -> serde_json::Value {
    let sizes: Vec<usize> = std::env::var("BENCH_STORE_SCALING")
        .ok()
        .map(|list| {
            list.split(',')
                .filter_map(|n| n.trim().parse().ok())
                .collect()
        })
        .unwrap_or_else(|| SIZES.to_vec());
    let dir = dir.join("scaling");
    fs::create_dir_all(&dir).expect("create the scaling directory");
    println!("\nscaling: one process per operation and size");
    println!(
        "{:>8} {:>10} {:>11} {:>11} {:>7} {:>10} {:>10} {:>8} {:>8} {:>8}",
        "records",
        "file KiB",
        "update ms",
        "floor ms",
        "ratio",
        "insert ms",
        "remove ms",
        "load x",
        "cold x",
        "insert x"
    );
    let mut rows = Vec::new();
    for records in sizes {
        let insert = run_worker_median("insert", records, &dir);
        let made = run_worker_median("records", records, &dir);
        // The file the other operations use: the insert's, rewritten by the baseline's
        // writer so that every size starts from the same canonical layout.
        let samples: Vec<Todo> = (0..records).map(Todo::sample).collect();
        write_sdn(&dir.join(format!("todo_{records}.sdn")), &samples);
        drop(samples);
        let load = run_worker_median("load", records, &dir);
        let cold = run_worker_median("cold_update", records, &dir);
        let update = run_worker("update", records, &dir);
        let remove = run_worker_median("remove", records, &dir);
        let file_bytes = load["file_bytes"].as_f64().unwrap_or(0.0);
        let update_ms = update["extra"]["update_p50_ms"].as_f64().unwrap_or(0.0);
        let floor_ms = update["extra"]["floor_p50_ms"].as_f64().unwrap_or(0.0);
        let row = serde_json::json!({
            "records": records,
            "file_bytes": file_bytes,
            "rounds": update["extra"]["rounds"],
            "update_p50_ms": update_ms,
            "floor_p50_ms": floor_ms,
            "update_over_floor": update_ms / floor_ms.max(f64::MIN_POSITIVE),
            "insert_ms": insert["ms"],
            "load_ms": load["ms"],
            "cold_update_ms": cold["ms"],
            "remove_ms": remove["ms"],
            "load_peak_x": peak_ratio(&load, file_bytes),
            "cold_update_peak_x": peak_ratio(&cold, file_bytes),
            "insert_peak_x": peak_ratio(&insert, insert["file_bytes"].as_f64().unwrap_or(file_bytes)),
            "records_peak_x": peak_ratio(&made, insert["file_bytes"].as_f64().unwrap_or(file_bytes)),
            "remove_peak_x": peak_ratio(&remove, file_bytes),
        });
        println!(
            "{records:>8} {:>10.0} {update_ms:>11.3} {floor_ms:>11.3} {:>7.2} {:>10.1} {:>10.1} {:>8.1} {:>8.1} {:>8.1}",
            file_bytes / 1024.0,
            row["update_over_floor"].as_f64().unwrap_or(0.0),
            row["insert_ms"].as_f64().unwrap_or(0.0),
            row["remove_ms"].as_f64().unwrap_or(0.0),
            row["load_peak_x"].as_f64().unwrap_or(0.0),
            row["cold_update_peak_x"].as_f64().unwrap_or(0.0),
            row["insert_peak_x"].as_f64().unwrap_or(0.0),
        );
        rows.push(row);
    }
    serde_json::json!({ "rows": rows, "record": Todo::NAME, "table": <Todo as Record>::TABLE })
}
