//! Contention: N processes each doing read-modify-write transactions on the same
//! 150-record todo database for a fixed time; each increments the `line` field of record 0.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use baseline::phase3::Database;
use record_store::Store;
use rusqlite::{Connection, TransactionBehavior};
use serde::{Deserialize, Serialize};

use super::designs::{Rustbreak, open_sqlite, write_rustbreak, write_sdn, write_sqlite};
use super::records::{Todo, Tracked};
use super::{DESIGNS, percentile_ms};
use test_support::knob;

pub const WORKER_ENV: &str = "BENCH_STORE_WORKER";

/// A worker's open handle on the contended database.
enum Handle {
    RecordStore(Store),
    Baseline(PathBuf),
    Sqlite(Connection),
    Rustbreak(Rustbreak<Todo>),
}

impl Handle {
    fn open(design: &str, path: &Path) -> Result<Handle, String> {
        Ok(match design {
            "record_store" => Handle::RecordStore(Store::open(path).map_err(|e| e.to_string())?),
            "baseline" => Handle::Baseline(path.to_path_buf()),
            "sqlite" => {
                let conn = open_sqlite(path);
                conn.busy_timeout(Duration::from_secs(30))
                    .map_err(|e| e.to_string())?;
                Handle::Sqlite(conn)
            }
            "rustbreak" => Handle::Rustbreak(
                Rustbreak::<Todo>::load_from_path(path).map_err(|e| e.to_string())?,
            ),
            other => return Err(format!("unknown design {other}")),
        })
    }

    /// Reads record 0, increments its `line`, writes it back: one operation.
    fn increment(&mut self) -> Result<(), String> {
        match self {
            Handle::RecordStore(store) => store
                .update(|tx| {
                    if let Some(todo) = tx.table::<Todo>()?.get_mut(&0) {
                        todo.line += 1;
                    }
                    Ok::<_, record_store::Error>(())
                })
                .map_err(|e| e.to_string()),
            Handle::Baseline(path) => {
                let mut db = Database::<Todo>::load(path).map_err(|e| e.to_string())?;
                let mut todo = db.get("0").ok_or("record 0 missing")?.clone();
                todo.line += 1;
                db.insert(todo);
                db.save().map_err(|e| e.to_string())
            }
            Handle::Sqlite(conn) => {
                let tx = conn
                    .transaction_with_behavior(TransactionBehavior::Immediate)
                    .map_err(|e| e.to_string())?;
                let line: String = tx
                    .query_row("SELECT line FROM todos WHERE id = '0'", [], |row| {
                        row.get(0)
                    })
                    .map_err(|e| e.to_string())?;
                let next = line.parse::<u64>().map_err(|e| e.to_string())? + 1;
                tx.execute(
                    "UPDATE todos SET line = ?1 WHERE id = '0'",
                    [next.to_string()],
                )
                .map_err(|e| e.to_string())?;
                tx.commit().map_err(|e| e.to_string())
            }
            Handle::Rustbreak(db) => {
                // rustbreak has no locking between processes: load, change, save.
                db.load().map_err(|e| e.to_string())?;
                db.write(|todos| {
                    if let Some(todo) = todos.iter_mut().find(|t| t.id == 0) {
                        todo.line += 1;
                    }
                })
                .map_err(|e| e.to_string())?;
                db.save().map_err(|e| e.to_string())
            }
        }
    }
}

/// What a worker reports on stdout (one JSON line).
#[derive(Debug, Default, Serialize, Deserialize)]
struct WorkerReport {
    latencies_us: Vec<u64>,
    errors: u64,
    last_error: Option<String>,
}

/// One worker process: runs until the deadline, prints a [`WorkerReport`].
fn contention_worker(design: &str, path: &Path, seconds: f64) {
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let mut report = WorkerReport::default();
    let mut handle = None;
    while Instant::now() < deadline {
        let started = Instant::now();
        let result = match &mut handle {
            Some(handle) => Handle::increment(handle),
            None => Handle::open(design, path).and_then(|mut opened| {
                let result = opened.increment();
                handle = Some(opened);
                result
            }),
        };
        match result {
            Ok(()) => report
                .latencies_us
                .push(started.elapsed().as_micros() as u64),
            Err(e) => {
                report.errors += 1;
                report.last_error = Some(e);
            }
        }
    }
    println!(
        "{}",
        serde_json::to_string(&report).expect("serialize the worker report")
    );
}

/// Creates the contended database for `design`: the 150 sample records, record 0 at 0.
fn contention_setup(design: &str, path: &Path) {
    let mut records: Vec<Todo> = (0..Todo::COUNT).map(Todo::sample).collect();
    records[0].line = 0;
    match design {
        "sqlite" => write_sqlite(path, &records),
        "rustbreak" => write_rustbreak(path, records),
        _ => write_sdn(path, &records),
    }
}

/// Record 0's final `line`: the increments that survived (None if the file is unreadable).
fn contention_final(design: &str, path: &Path) -> Result<u64, String> {
    match design {
        "sqlite" => {
            let line: String = open_sqlite(path)
                .query_row("SELECT line FROM todos WHERE id = '0'", [], |row| {
                    row.get(0)
                })
                .map_err(|e| e.to_string())?;
            line.parse().map_err(|e| format!("{e}"))
        }
        "rustbreak" => Rustbreak::<Todo>::load_from_path(path)
            .and_then(|db| db.read(|todos| todos.iter().find(|t| t.id == 0).map(|t| t.line)))
            .map_err(|e| e.to_string())?
            .map(u64::from)
            .ok_or_else(|| "record 0 missing".to_string()),
        _ => {
            let text = fs::read_to_string(path).map_err(|e| e.to_string())?;
            let table = baseline::table::read_table(&text, "todos")
                .map_err(|e| e.to_string())?
                .ok_or("no todos table")?;
            let line = table
                .rows
                .first()
                .and_then(|row| row.get(6))
                .ok_or("no row 0")?;
            line.parse().map_err(|e| format!("{e}"))
        }
    }
}

pub fn contention(dir: &Path) -> serde_json::Value {
    let seconds: f64 = knob::number("BENCH_STORE_CONTENTION_SECONDS", 2.0);
    println!(
        "\ncontention: {seconds} s per point, one-record read-modify-write of todo_db ({} records)",
        Todo::COUNT
    );
    println!(
        "{:<14} {:>5} {:>9} {:>9} {:>9} {:>9} {:>8} {:>7}",
        "design", "procs", "ops/s", "p50 ms", "p95 ms", "p99 ms", "lost", "errors"
    );
    let mut rows = Vec::new();
    for design in DESIGNS {
        for procs in [1usize, 2, 4, 8] {
            let extension = match design {
                "sqlite" => "sqlite",
                "rustbreak" => "ron",
                _ => "sdn",
            };
            let path = dir.join(format!("contention-{design}-{procs}.{extension}"));
            contention_setup(design, &path);
            let started = Instant::now();
            let children: Vec<_> = (0..procs)
                .map(|_| {
                    std::process::Command::new(std::env::current_exe().expect("exe"))
                        .env(WORKER_ENV, format!("{design}|{}|{seconds}", path.display()))
                        .stdout(std::process::Stdio::piped())
                        .spawn()
                        .expect("spawn worker")
                })
                .collect();
            let mut latencies = Vec::new();
            let (mut errors, mut last_error) = (0u64, None);
            for child in children {
                let output = child.wait_with_output().expect("worker");
                assert!(output.status.success(), "worker failed");
                let stdout = String::from_utf8_lossy(&output.stdout);
                let report: WorkerReport = stdout
                    .lines()
                    .rev()
                    .find_map(|line| serde_json::from_str(line).ok())
                    .expect("worker report");
                latencies.extend(
                    report
                        .latencies_us
                        .iter()
                        .map(|us| Duration::from_micros(*us)),
                );
                errors += report.errors;
                last_error = report.last_error.or(last_error);
            }
            let elapsed = started.elapsed().as_secs_f64();
            latencies.sort_unstable();
            let ops = latencies.len() as u64;
            let final_value = contention_final(design, &path);
            let lost = final_value
                .as_ref()
                .ok()
                .map(|kept| ops.saturating_sub(*kept));
            let ops_per_s = ops as f64 / seconds;
            let (p50, p95, p99, max) = (
                percentile_ms(&latencies, 0.50),
                percentile_ms(&latencies, 0.95),
                percentile_ms(&latencies, 0.99),
                percentile_ms(&latencies, 1.0),
            );
            println!(
                "{:<14} {:>5} {:>9.1} {:>9.2} {:>9.2} {:>9.2} {:>8} {:>7}",
                design,
                procs,
                ops_per_s,
                p50,
                p95,
                p99,
                lost.map_or("unknown".to_string(), |n| n.to_string()),
                errors
            );
            if let Err(e) = &final_value {
                println!("{:<14} final file unreadable: {e}", "");
            }
            if let Some(e) = &last_error {
                println!("{:<14} last error: {e}", "");
            }
            rows.push(serde_json::json!({
                "design": design,
                "procs": procs,
                "seconds": seconds,
                "wall_seconds": elapsed,
                "ops": ops,
                "errors": errors,
                "last_error": last_error,
                "kept": final_value.as_ref().ok(),
                "final_error": final_value.as_ref().err(),
                "lost": lost,
                "ops_per_s": ops_per_s,
                "p50_ms": p50,
                "p95_ms": p95,
                "p99_ms": p99,
                "max_ms": max,
            }));
        }
    }
    serde_json::json!({ "records": Todo::COUNT, "seconds": seconds, "rows": rows })
}

/// The worker process's entry: `spec` is `design|path|seconds`.
pub fn worker(spec: &str) {
    let mut parts = spec.splitn(3, '|');
    let (design, path, seconds) = (
        parts.next().unwrap_or_default().to_owned(),
        PathBuf::from(parts.next().unwrap_or_default()),
        parts.next().and_then(|s| s.parse().ok()).unwrap_or(1.0),
    );
    contention_worker(&design, &path, seconds);
}
