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
//! `cargo bench -p bench-suite --bench store` (or `cargo xtask bench store`).

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use baseline::phase3::{BaselineRecord, Database};
use criterion::{Criterion, SamplingMode, criterion_group};
use record_store::{Record, Store};
use rusqlite::{Connection, TransactionBehavior};
use rustbreak::FileDatabase;
use rustbreak::deser::Ron;
use serde::{Deserialize, Serialize};

#[path = "store/scaling.rs"]
mod scaling;

/// rustbreak's file-backed database holding one table as a `Vec`, serialized as RON.
type Rustbreak<T> = FileDatabase<Vec<T>, Ron>;

/// A record type of the tracking databases: columns, rows of text cells, a status to flip.
trait Tracked: Record + BaselineRecord {
    const NAME: &'static str;
    const COUNT: usize;
    fn sample(i: usize) -> Self;
    fn id_text(&self) -> String;
    fn flip(&mut self);
}

macro_rules! tracked {
    ($ty:ident, $table:literal, $name:literal, $count:expr, key: $key:ty,
     { $($field:ident : $fty:ty),* $(,)? }) => {
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        struct $ty { $($field: $fty),* }

        impl Record for $ty {
            const TABLE: &'static str = $table;
            type Key = $key;
            fn key(&self) -> $key { self.id.clone() }
        }

        impl BaselineRecord for $ty {
            const TABLE: &'static str = $table;
            const COLUMNS: &'static [&'static str] = &[$(stringify!($field)),*];
            fn key(&self) -> String { self.id.to_string() }
            fn to_row(&self) -> Vec<String> { vec![$(self.$field.to_string()),*] }
            fn from_row(row: &[String]) -> Option<Self> {
                let mut cells = row.iter();
                Some($ty { $($field: cells.next()?.parse().ok()?),* })
            }
        }
    };
}

tracked!(Todo, "todos", "todo", 150, key: u32, {
    id: u32, keyword: String, area: String, priority: String, description: String,
    file: String, line: u32, issue: String, blocked: String, status: String, valid: bool,
});
tracked!(Feature, "features", "feature", 40, key: u32, {
    id: u32, category: String, name: String, description: String, spec: String,
    mode_interpreter: String, mode_jit: String, mode_smf_cranelift: String,
    mode_smf_llvm: String, platforms: String, status: String, valid: bool,
});
tracked!(Task, "tasks", "task", 5, key: String, {
    id: String, category: String, name: String, description: String, priority: String,
    status: String, valid: bool,
});

const AREAS: &[&str] = &["parser", "runtime", "gpu", "doc", "test"];

impl Tracked for Todo {
    const NAME: &'static str = "todo";
    const COUNT: usize = 150;
    fn sample(i: usize) -> Self {
        Todo {
            id: i as u32,
            keyword: "TODO".into(),
            area: AREAS[i % AREAS.len()].into(),
            priority: format!("P{}", i % 4),
            description: format!("Add support for case {i} in the checker, with commas, and more"),
            file: format!("src/compiler_rust/lib/std/src/core/module_{i}.spl"),
            line: (i * 7 + 3) as u32,
            issue: String::new(),
            blocked: String::new(),
            status: "open".into(),
            valid: !i.is_multiple_of(3),
        }
    }
    fn id_text(&self) -> String {
        self.id.to_string()
    }
    fn flip(&mut self) {
        self.status = if self.status == "open" {
            "done".into()
        } else {
            "open".into()
        };
    }
}

impl Tracked for Feature {
    const NAME: &'static str = "feature";
    const COUNT: usize = 40;
    fn sample(i: usize) -> Self {
        Feature {
            id: 100 + i as u32,
            category: "Codegen".into(),
            name: format!("Feature number {i}"),
            description: format!(
                "A longer description of feature {i}, which provides fast compilation with good runtime performance."
            ),
            spec: format!("doc/spec/feature_{i}.md"),
            mode_interpreter: "supported".into(),
            mode_jit: "supported".into(),
            mode_smf_cranelift: "supported".into(),
            mode_smf_llvm: "planned".into(),
            platforms: "linux".into(),
            status: "complete".into(),
            valid: true,
        }
    }
    fn id_text(&self) -> String {
        self.id.to_string()
    }
    fn flip(&mut self) {
        self.status = if self.status == "complete" {
            "planned".into()
        } else {
            "complete".into()
        };
    }
}

impl Tracked for Task {
    const NAME: &'static str = "task";
    const COUNT: usize = 5;
    fn sample(i: usize) -> Self {
        Task {
            id: format!("TRACK-{i:03}"),
            category: "tracking".into(),
            name: format!("Task {i}"),
            description: format!("Normalize tracking step {i} around SDN databases"),
            priority: "high".into(),
            status: "in_progress".into(),
            valid: true,
        }
    }
    fn id_text(&self) -> String {
        self.id.clone()
    }
    fn flip(&mut self) {
        self.status = if self.status == "done" {
            "in_progress".into()
        } else {
            "done".into()
        };
    }
}

fn bench_dir() -> PathBuf {
    let dir = std::env::var_os("BENCH_STORE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_TARGET_TMPDIR")).join("bench-store"));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("create the benchmark directory");
    dir
}

/// One database in the four designs' files.
struct Files {
    sdn: PathBuf,
    sdn_baseline: PathBuf,
    sqlite: PathBuf,
    rustbreak: PathBuf,
}

/// Writes the same records as an SDN file for record-store and one for the baseline, an
/// SQLite database and a rustbreak file.
fn setup<T: Tracked>(dir: &Path) -> Files {
    let records: Vec<T> = (0..T::COUNT).map(T::sample).collect();
    let files = Files {
        sdn: dir.join(format!("{}_db.sdn", T::NAME)),
        sdn_baseline: dir.join(format!("{}_db_baseline.sdn", T::NAME)),
        sqlite: dir.join(format!("{}_db.sqlite", T::NAME)),
        rustbreak: dir.join(format!("{}_db.ron", T::NAME)),
    };
    write_sdn(&files.sdn, &records);
    write_sdn(&files.sdn_baseline, &records);
    write_sqlite(&files.sqlite, &records);
    write_rustbreak(&files.rustbreak, records);
    files
}

fn write_sdn<T: Tracked>(path: &Path, records: &[T]) {
    let rows: Vec<Vec<String>> = records.iter().map(BaselineRecord::to_row).collect();
    let text = baseline::table::write_table(<T as BaselineRecord>::TABLE, T::COLUMNS, &rows);
    fs::write(path, text).expect("write sdn");
}

fn write_sqlite<T: Tracked>(path: &Path, records: &[T]) {
    let _ = fs::remove_file(path);
    let conn = open_sqlite(path);
    let columns: Vec<String> = T::COLUMNS
        .iter()
        .map(|c| {
            if *c == "id" {
                "id TEXT PRIMARY KEY".to_string()
            } else {
                format!("{c} TEXT")
            }
        })
        .collect();
    let table = <T as BaselineRecord>::TABLE;
    conn.execute_batch(&format!("CREATE TABLE {table} ({});", columns.join(", ")))
        .expect("create table");
    let placeholders: Vec<String> = (1..=T::COLUMNS.len()).map(|i| format!("?{i}")).collect();
    let insert = format!("INSERT INTO {table} VALUES ({})", placeholders.join(", "));
    for record in records {
        conn.execute(&insert, rusqlite::params_from_iter(record.to_row().iter()))
            .expect("insert");
    }
}

fn write_rustbreak<T: Tracked>(path: &Path, records: Vec<T>) {
    let db = Rustbreak::<T>::create_at_path(path, records).expect("create rustbreak file");
    db.save().expect("save rustbreak file");
}

fn open_sqlite(path: &Path) -> Connection {
    let conn = Connection::open(path).expect("open sqlite");
    conn.pragma_update(None, "journal_mode", "WAL")
        .expect("wal");
    conn.pragma_update(None, "synchronous", "FULL")
        .expect("synchronous");
    conn
}

fn sqlite_load<T: Tracked>(path: &Path) -> Vec<Vec<String>> {
    let conn = open_sqlite(path);
    let mut statement = conn
        .prepare(&format!("SELECT * FROM {}", <T as BaselineRecord>::TABLE))
        .expect("prepare");
    let n = T::COLUMNS.len();
    statement
        .query_map([], |row| (0..n).map(|i| row.get::<_, String>(i)).collect())
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows")
}

fn sqlite_update<T: Tracked>(conn: &Connection, record: &T) {
    let row = record.to_row();
    let status = T::COLUMNS
        .iter()
        .position(|c| *c == "status")
        .expect("status column");
    conn.execute(
        &format!(
            "UPDATE {} SET status = ?1 WHERE id = ?2",
            <T as BaselineRecord>::TABLE
        ),
        [&row[status], &record.id_text()],
    )
    .expect("update");
}

fn store_update<T: Tracked>(store: &Store, key: &<T as Record>::Key) {
    store
        .update(|tx| {
            if let Some(record) = tx.table::<T>()?.get_mut(key) {
                record.flip();
            }
            Ok::<_, record_store::Error>(())
        })
        .expect("store update");
}

fn baseline_update<T: Tracked>(db: &mut Database<T>, key: &str) {
    let mut record = db.get(key).expect("record").clone();
    record.flip();
    db.insert(record);
    db.save().expect("save");
}

fn rustbreak_update<T: Tracked>(db: &Rustbreak<T>, index: usize) {
    db.write(|records| {
        if let Some(record) = records.get_mut(index) {
            record.flip();
        }
    })
    .expect("rustbreak write");
    db.save().expect("rustbreak save");
}

fn baseline_cycle<T: Tracked>(path: &Path, key: &str) {
    let mut db = Database::<T>::load(path).expect("baseline load");
    baseline_update(&mut db, key);
}

fn rustbreak_cycle<T: Tracked>(path: &Path, index: usize) {
    let db = Rustbreak::<T>::load_from_path(path).expect("rustbreak load");
    rustbreak_update(&db, index);
}

fn per_database<T: Tracked>(c: &mut Criterion, dir: &Path) {
    let files = setup::<T>(dir);
    let middle_index = T::COUNT / 2;
    let middle = T::sample(middle_index);
    let key = Record::key(&middle);
    let key_text = middle.id_text();

    let mut group = c.benchmark_group(format!("store_load_{}", T::NAME));
    group.bench_function("record_store", |b| {
        b.iter(|| {
            let snapshot = Store::open(&files.sdn).expect("open").read().expect("read");
            assert_eq!(snapshot.table::<T>().expect("table").len(), T::COUNT);
        })
    });
    group.bench_function("baseline", |b| {
        b.iter(|| {
            assert_eq!(
                Database::<T>::load(&files.sdn_baseline)
                    .expect("load")
                    .count(),
                T::COUNT
            )
        })
    });
    group.bench_function("sqlite", |b| {
        b.iter(|| assert_eq!(sqlite_load::<T>(&files.sqlite).len(), T::COUNT))
    });
    group.bench_function("rustbreak", |b| {
        b.iter(|| {
            let db = Rustbreak::<T>::load_from_path(&files.rustbreak).expect("load");
            assert_eq!(db.read(|records| records.len()).expect("read"), T::COUNT);
        })
    });
    group.finish();

    let mut group = c.benchmark_group(format!("store_save_one_record_{}", T::NAME));
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(30);
    let store = Store::open(&files.sdn).expect("open");
    group.bench_function("record_store_durable", |b| {
        b.iter(|| store_update::<T>(&store, &key))
    });
    let mut db = Database::<T>::load(&files.sdn_baseline).expect("load");
    group.bench_function("baseline_not_durable", |b| {
        b.iter(|| baseline_update(&mut db, &key_text))
    });
    let conn = open_sqlite(&files.sqlite);
    let mut record = middle.clone();
    group.bench_function("sqlite_wal_full", |b| {
        b.iter(|| {
            record.flip();
            sqlite_update(&conn, &record);
        })
    });
    let rustbreak = Rustbreak::<T>::load_from_path(&files.rustbreak).expect("load");
    group.bench_function("rustbreak_in_place_fsync", |b| {
        b.iter(|| rustbreak_update(&rustbreak, middle_index))
    });
    group.finish();
}

fn full_cycle(c: &mut Criterion, dir: &Path) {
    // Load, change one record, save: each of the three databases, cold (fresh handles).
    let todo = setup::<Todo>(dir);
    let feature = setup::<Feature>(dir);
    let task = setup::<Task>(dir);
    let mut group = c.benchmark_group("store_full_cycle_all_three");
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(20);
    group.bench_function("record_store_durable", |b| {
        b.iter(|| {
            store_update::<Todo>(&Store::open(&todo.sdn).expect("open"), &75);
            store_update::<Feature>(&Store::open(&feature.sdn).expect("open"), &120);
            store_update::<Task>(
                &Store::open(&task.sdn).expect("open"),
                &"TRACK-002".to_string(),
            );
        })
    });
    group.bench_function("baseline_not_durable", |b| {
        b.iter(|| {
            baseline_cycle::<Todo>(&todo.sdn_baseline, "75");
            baseline_cycle::<Feature>(&feature.sdn_baseline, "120");
            baseline_cycle::<Task>(&task.sdn_baseline, "TRACK-002");
        })
    });
    group.bench_function("sqlite_wal_full", |b| {
        let mut records = (Todo::sample(75), Feature::sample(20), Task::sample(2));
        b.iter(|| {
            records.0.flip();
            records.1.flip();
            records.2.flip();
            sqlite_update(&open_sqlite(&todo.sqlite), &records.0);
            sqlite_update(&open_sqlite(&feature.sqlite), &records.1);
            sqlite_update(&open_sqlite(&task.sqlite), &records.2);
        })
    });
    group.bench_function("rustbreak_in_place_fsync", |b| {
        b.iter(|| {
            rustbreak_cycle::<Todo>(&todo.rustbreak, 75);
            rustbreak_cycle::<Feature>(&feature.rustbreak, 20);
            rustbreak_cycle::<Task>(&task.rustbreak, 2);
        })
    });
    group.finish();
}

fn benches(c: &mut Criterion) {
    let dir = bench_dir();
    per_database::<Todo>(c, &dir);
    per_database::<Feature>(c, &dir);
    per_database::<Task>(c, &dir);
    full_cycle(c, &dir);
}

criterion_group!(store, benches);

// ---------------------------------------------------------------------------------------
// Interleaved one-record update of the todo database.
// ---------------------------------------------------------------------------------------

/// The four designs, in the order of the reports.
const DESIGNS: [&str; 4] = ["record_store", "baseline", "sqlite", "rustbreak"];

/// The interleaved update also times record-store's I/O alone: atomic-io's durable
/// replace (two flushes, as ARCHITECTURE.md requires) of the database's bytes, with no
/// lock, parse or edit. No design that follows that rule can be faster.
const UPDATE_ROWS: [&str; 5] = [
    DESIGNS[0],
    DESIGNS[1],
    DESIGNS[2],
    DESIGNS[3],
    "two_flush_replace",
];

fn env_number<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Nearest-rank percentile of sorted durations, in ms.
fn percentile_ms(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let index = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[index].as_secs_f64() * 1e3
}

fn mean_ms(samples: &[Duration]) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    samples.iter().map(Duration::as_secs_f64).sum::<f64>() * 1e3 / samples.len() as f64
}

/// The one-record update of the 150-record todo database, the four designs taking turns
/// round by round (the first design rotates too).
fn interleaved_update(dir: &Path) -> serde_json::Value {
    let rounds: usize = env_number("BENCH_STORE_UPDATE_ROUNDS", 100);
    let dir = dir.join("interleaved");
    fs::create_dir_all(&dir).expect("create the interleaved directory");
    let files = setup::<Todo>(&dir);
    let index = Todo::COUNT / 2;
    let mut sqlite_record = Todo::sample(index);
    let key = sqlite_record.id;
    let key_text = sqlite_record.id_text();
    let store = Store::open(&files.sdn).expect("open");
    let mut db = Database::<Todo>::load(&files.sdn_baseline).expect("load");
    let conn = open_sqlite(&files.sqlite);
    let rustbreak = Rustbreak::<Todo>::load_from_path(&files.rustbreak).expect("load");
    let floor_target = dir.join("two-flush-replace.sdn");
    let floor_bytes = fs::read(&files.sdn).expect("read the todo database");
    atomic_io::write(&floor_target, &floor_bytes).expect("create the replace target");
    let mut samples: [Vec<Duration>; UPDATE_ROWS.len()] = Default::default();
    for round in 0..rounds {
        for turn in 0..UPDATE_ROWS.len() {
            let design = (round + turn) % UPDATE_ROWS.len();
            let started = Instant::now();
            match design {
                0 => store_update::<Todo>(&store, &key),
                1 => baseline_update(&mut db, &key_text),
                2 => {
                    sqlite_record.flip();
                    sqlite_update(&conn, &sqlite_record);
                }
                3 => rustbreak_update(&rustbreak, index),
                _ => atomic_io::write(&floor_target, &floor_bytes).expect("durable replace"),
            }
            samples[design].push(started.elapsed());
        }
    }
    println!(
        "\ninterleaved one-record update of todo_db ({} records), {rounds} rounds:",
        Todo::COUNT
    );
    let mut rows = Vec::new();
    for (design, samples) in UPDATE_ROWS.iter().zip(&mut samples) {
        samples.sort_unstable();
        let (p50, mean, p99) = (
            percentile_ms(samples, 0.50),
            mean_ms(samples),
            percentile_ms(samples, 0.99),
        );
        println!("{design:<14} p50 {p50:>8.2} ms  mean {mean:>8.2} ms  p99 {p99:>8.2} ms");
        rows.push(serde_json::json!({
            "design": design, "p50_ms": p50, "mean_ms": mean, "p99_ms": p99,
        }));
    }
    serde_json::json!({ "records": Todo::COUNT, "rounds": rounds, "designs": rows })
}

// ---------------------------------------------------------------------------------------
// Contention: N processes each doing read-modify-write transactions on the same 150-record
// todo database for a fixed time; each increments the `line` field of record 0.
// ---------------------------------------------------------------------------------------

const WORKER_ENV: &str = "BENCH_STORE_WORKER";

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

fn contention(dir: &Path) -> serde_json::Value {
    let seconds: f64 = env_number("BENCH_STORE_CONTENTION_SECONDS", 2.0);
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

fn main() {
    if let Ok(spec) = std::env::var(scaling::WORKER_ENV) {
        scaling::worker(&spec);
        return;
    }
    if let Ok(spec) = std::env::var(WORKER_ENV) {
        let mut parts = spec.splitn(3, '|');
        let (design, path, seconds) = (
            parts.next().unwrap_or_default().to_owned(),
            PathBuf::from(parts.next().unwrap_or_default()),
            parts.next().and_then(|s| s.parse().ok()).unwrap_or(1.0),
        );
        contention_worker(&design, &path, seconds);
        return;
    }
    store();
    Criterion::default().configure_from_args().final_summary();
    let dir = bench_dir();
    let mut results = vec![
        ("update_interleaved", interleaved_update(&dir)),
        (
            "rustbreak",
            serde_json::json!("rustbreak 2 FileDatabase<Vec<T>, Ron> (in-place rewrite + fsync)"),
        ),
    ];
    if std::env::var("BENCH_STORE_CONTENTION").as_deref() != Ok("0") {
        results.push(("contention", contention(&dir)));
    }
    results.push(("scaling", scaling::scaling(&dir)));
    let entries = results
        .into_iter()
        .map(|(key, value)| (key.to_owned(), value));
    bench_suite::results::store(bench_suite::results::STORE_FILE, entries.collect());
}
