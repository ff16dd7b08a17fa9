//! Load, save (one durable one-record update) and full cycle for the three tracking
//! databases (todo: 150 records, feature: 40, task: 5), side by side:
//!
//! - `record_store`: `Store::open` + `read` (load); `Store::update` changing one record
//!   (save: locked, format-preserving, atomic and durable);
//! - `baseline`: the phase-3 `Database<T>` (phase-2 lock files, phase-1 write, **no
//!   flush**: not durable, for scale);
//! - `sqlite`: rusqlite (bundled), WAL mode, `synchronous=FULL`, the same one-record
//!   `UPDATE` (durable).
//!
//! Runs in a directory under the target dir (a real disk: flushes are what is measured).
//! `cargo bench -p bench-suite --bench store` (or `cargo xtask bench store`).

use std::fs;
use std::path::{Path, PathBuf};

use baseline::phase3::{BaselineRecord, Database};
use criterion::{Criterion, SamplingMode, criterion_group};
use record_store::{Record, Store};
use rusqlite::Connection;
use serde::{Deserialize, Serialize};

/// A record type of the three designs: columns, rows of text cells, a status to flip.
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

/// Writes the same SDN file for record-store and the baseline, and an SQLite database.
fn setup<T: Tracked>(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let records: Vec<T> = (0..T::COUNT).map(T::sample).collect();
    let sdn = dir.join(format!("{}_db.sdn", T::NAME));
    let rows: Vec<Vec<String>> = records.iter().map(BaselineRecord::to_row).collect();
    let text = baseline::table::write_table(<T as BaselineRecord>::TABLE, T::COLUMNS, &rows);
    fs::write(&sdn, &text).expect("write sdn");
    let sdn_baseline = dir.join(format!("{}_db_baseline.sdn", T::NAME));
    fs::write(&sdn_baseline, &text).expect("write sdn");

    let sqlite = dir.join(format!("{}_db.sqlite", T::NAME));
    let _ = fs::remove_file(&sqlite);
    let conn = open_sqlite(&sqlite);
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
    for row in &rows {
        conn.execute(&insert, rusqlite::params_from_iter(row.iter()))
            .expect("insert");
    }
    (sdn, sdn_baseline, sqlite)
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

fn baseline_cycle<T: Tracked>(path: &Path, key: &str) {
    let mut db = Database::<T>::load(path).expect("baseline load");
    let mut record = db.get(key).expect("record").clone();
    record.flip();
    db.insert(record);
    db.save().expect("baseline save");
}

fn per_database<T: Tracked>(c: &mut Criterion, dir: &Path) {
    let (sdn, sdn_baseline, sqlite) = setup::<T>(dir);
    let middle = T::sample(T::COUNT / 2);
    let key = Record::key(&middle);
    let key_text = middle.id_text();

    let mut group = c.benchmark_group(format!("store_load_{}", T::NAME));
    group.bench_function("record_store", |b| {
        b.iter(|| {
            let snapshot = Store::open(&sdn).expect("open").read().expect("read");
            assert_eq!(snapshot.table::<T>().expect("table").len(), T::COUNT);
        })
    });
    group.bench_function("baseline", |b| {
        b.iter(|| {
            assert_eq!(
                Database::<T>::load(&sdn_baseline).expect("load").count(),
                T::COUNT
            )
        })
    });
    group.bench_function("sqlite", |b| {
        b.iter(|| assert_eq!(sqlite_load::<T>(&sqlite).len(), T::COUNT))
    });
    group.finish();

    let mut group = c.benchmark_group(format!("store_save_one_record_{}", T::NAME));
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(30);
    let store = Store::open(&sdn).expect("open");
    group.bench_function("record_store_durable", |b| {
        b.iter(|| store_update::<T>(&store, &key))
    });
    let mut db = Database::<T>::load(&sdn_baseline).expect("load");
    group.bench_function("baseline_not_durable", |b| {
        b.iter(|| {
            let mut record = db.get(&key_text).expect("record").clone();
            record.flip();
            db.insert(record);
            db.save().expect("save");
        })
    });
    let conn = open_sqlite(&sqlite);
    let mut record = middle.clone();
    group.bench_function("sqlite_wal_full", |b| {
        b.iter(|| {
            record.flip();
            sqlite_update(&conn, &record);
        })
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
            store_update::<Todo>(&Store::open(&todo.0).expect("open"), &75);
            store_update::<Feature>(&Store::open(&feature.0).expect("open"), &120);
            store_update::<Task>(
                &Store::open(&task.0).expect("open"),
                &"TRACK-002".to_string(),
            );
        })
    });
    group.bench_function("baseline_not_durable", |b| {
        b.iter(|| {
            baseline_cycle::<Todo>(&todo.1, "75");
            baseline_cycle::<Feature>(&feature.1, "120");
            baseline_cycle::<Task>(&task.1, "TRACK-002");
        })
    });
    group.bench_function("sqlite_wal_full", |b| {
        let mut records = (Todo::sample(75), Feature::sample(20), Task::sample(2));
        b.iter(|| {
            records.0.flip();
            records.1.flip();
            records.2.flip();
            sqlite_update(&open_sqlite(&todo.2), &records.0);
            sqlite_update(&open_sqlite(&feature.2), &records.1);
            sqlite_update(&open_sqlite(&task.2), &records.2);
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
// Contention: N processes each doing read-modify-write transactions on the same 150-record
// todo database for a fixed time; each increments the `line` field of record 0.
// ---------------------------------------------------------------------------------------

const WORKER_ENV: &str = "BENCH_STORE_WORKER";

/// One worker process: runs until the deadline, prints `ops latencies_us...`.
fn contention_worker(design: &str, path: &Path, seconds: f64) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs_f64(seconds);
    let mut latencies = Vec::new();
    let store = Store::open(path).expect("open");
    while std::time::Instant::now() < deadline {
        let started = std::time::Instant::now();
        match design {
            "record_store" => store
                .update(|tx| {
                    if let Some(todo) = tx.table::<Todo>()?.get_mut(&0) {
                        todo.line += 1;
                    }
                    Ok::<_, record_store::Error>(())
                })
                .expect("update"),
            _ => {
                let mut db = Database::<Todo>::load(path).expect("baseline load");
                let mut todo = db.get("0").expect("record 0").clone();
                todo.line += 1;
                db.insert(todo);
                db.save().expect("baseline save");
            }
        }
        latencies.push(started.elapsed().as_micros() as u64);
    }
    let text: Vec<String> = latencies.iter().map(u64::to_string).collect();
    println!("{}", text.join(" "));
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let index = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[index] as f64 / 1000.0
}

fn contention(dir: &Path) {
    let seconds: f64 = std::env::var("BENCH_STORE_CONTENTION_SECONDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2.0);
    println!(
        "\ncontention: {seconds} s per point, one-record read-modify-write of todo_db (150 records)"
    );
    println!(
        "{:<14} {:>5} {:>9} {:>9} {:>9} {:>9} {:>8}",
        "design", "procs", "ops/s", "p50 ms", "p95 ms", "p99 ms", "lost"
    );
    for design in ["record_store", "baseline"] {
        for procs in [1usize, 2, 4, 8] {
            let path = dir.join(format!("contention-{design}-{procs}.sdn"));
            let _ = fs::remove_file(&path);
            let _ = fs::remove_file(path.with_extension("sdn.lock"));
            let rows: Vec<Vec<String>> =
                (0..Todo::COUNT).map(|i| Todo::sample(i).to_row()).collect();
            let mut initial = Todo::sample(0);
            initial.line = 0;
            let mut rows = rows;
            rows[0] = initial.to_row();
            fs::write(
                &path,
                baseline::table::write_table("todos", Todo::COLUMNS, &rows),
            )
            .expect("init");
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
            for child in children {
                let output = child.wait_with_output().expect("worker");
                assert!(output.status.success(), "worker failed");
                latencies.extend(
                    String::from_utf8_lossy(&output.stdout)
                        .split_whitespace()
                        .filter_map(|t| t.parse::<u64>().ok()),
                );
            }
            latencies.sort_unstable();
            let ops = latencies.len() as u64;
            let text = fs::read_to_string(&path).expect("read result");
            let table = baseline::table::read_table(&text, "todos")
                .expect("parse")
                .expect("todos");
            let final_value: u64 = table.rows[0][6].parse().expect("line");
            println!(
                "{:<14} {:>5} {:>9.1} {:>9.2} {:>9.2} {:>9.2} {:>8}",
                design,
                procs,
                ops as f64 / seconds,
                percentile(&latencies, 0.50),
                percentile(&latencies, 0.95),
                percentile(&latencies, 0.99),
                ops.saturating_sub(final_value)
            );
        }
    }
}

fn main() {
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
    if std::env::var("BENCH_STORE_CONTENTION").as_deref() != Ok("0") {
        contention(&bench_dir());
    }
}
