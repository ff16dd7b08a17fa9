//! sdn-codec against serde_json, side by side in one run:
//!
//! - deserializing 10,000 TODO records (`Vec<Todo>`, 11 columns) from an SDN table and
//!   from the equivalent JSON;
//! - serializing them both ways;
//! - parsing to a dynamic value (`sdn_codec::Value`, `serde_json::Value`), in MB/s;
//! - peak memory of parsing a 10 MB SDN file to a `Value`, measured in a child process
//!   as the growth of its peak resident set (`VmHWM`, reset through
//!   `/proc/self/clear_refs` after the file is read), next to serde_json for the same
//!   data.
//!
//! Run: `cargo bench -p bench-suite --bench sdn`. After criterion's report it prints the
//! speed ratios serde_json time / SDN time from criterion's own estimates (1.0 or more:
//! SDN is at least as fast, the goal),
//! and the same ratios from runs that alternate SDN and serde_json (criterion measures
//! one after the other, so on a shared machine a load change between them skews its
//! ratio; the alternating runs see the same load).
//!
//! The alternating runs, the text sizes and the peak-memory figures are also stored in
//! `sdn.json` under `BENCH_RESULTS_DIR` (default `<target>/xtask-bench`), which
//! `cargo xtask bench` renders into `docs/benchmarks.md` next to criterion's estimates.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bench_suite::memory::{reset_peak, status_kib};
use criterion::{BenchmarkId, Criterion, Throughput};
use test_support::tracking::{Status, Todo, TodoDb};

const RECORDS: usize = 10_000;
const PEAK_CHILD_ENV: &str = "SDN_BENCH_PEAK_CHILD";

/// Deterministic TODO-like records: the shapes of the real tracking database (paths,
/// prose with commas and quotes, optional issue links, a few statuses).
fn generate(n: usize) -> TodoDb {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    const KEYWORDS: [&str; 3] = ["TODO", "FIXME", "HACK"];
    const AREAS: [&str; 6] = ["parser", "runtime", "gpu", "driver", "doc", "test"];
    const WORDS: [&str; 12] = [
        "Add",
        "support",
        "for",
        "generic",
        "type",
        "aliases",
        "interrupt-driven",
        "buffer",
        "management,",
        "\"zero-copy\"",
        "readback",
        "verify",
    ];
    const DIRS: [&str; 4] = [
        "src/compiler_rust/lib/std/src",
        "src/os/drivers",
        "./tests/app",
        "tools/mcp",
    ];
    let todos = (0..n)
        .map(|i| {
            let words = 4 + (next() % 8) as usize;
            let description = (0..words)
                .map(|_| WORDS[(next() % WORDS.len() as u64) as usize])
                .collect::<Vec<_>>()
                .join(" ");
            let status = match next() % 3 {
                0 => Status::Open,
                1 => Status::InProgress,
                _ => Status::Done,
            };
            Todo {
                id: i as u64,
                keyword: KEYWORDS[(next() % 3) as usize].to_owned(),
                area: AREAS[(next() % 6) as usize].to_owned(),
                priority: format!("P{}", next() % 4),
                description,
                file: format!(
                    "{}/module_{}/file_{}.spl",
                    DIRS[(next() % 4) as usize],
                    next() % 50,
                    next() % 200
                ),
                line: (next() % 5000) as u32,
                issue: (next() % 4 == 0).then(|| format!("#{}", next() % 1000)),
                blocked: (next() % 10 == 0).then(String::new),
                status,
                valid: next() % 2 == 0,
            }
        })
        .collect();
    TodoDb { todos }
}

fn criterion_dir() -> PathBuf {
    // target/<profile>/deps/sdn-<hash> → target/criterion (criterion's own default).
    std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.parent()?.parent()?.join("criterion")))
        .unwrap_or_else(|| PathBuf::from("target/criterion"))
}

fn bench_records(c: &mut Criterion, db: &TodoDb, sdn: &str, json: &str) {
    let mut group = c.benchmark_group("sdn_vs_json/deserialize_10k_todos");
    group.throughput(Throughput::Elements(RECORDS as u64));
    group.bench_function("sdn_from_str", |b| {
        b.iter(|| sdn_codec::from_str::<TodoDb>(black_box(sdn)).expect("sdn"))
    });
    group.bench_function("serde_json_from_str", |b| {
        b.iter(|| serde_json::from_str::<TodoDb>(black_box(json)).expect("json"))
    });
    group.finish();

    let mut group = c.benchmark_group("sdn_vs_json/serialize_10k_todos");
    group.throughput(Throughput::Elements(RECORDS as u64));
    group.bench_function("sdn_to_string", |b| {
        b.iter(|| sdn_codec::to_string(black_box(db)).expect("sdn"))
    });
    group.bench_function("serde_json_to_string", |b| {
        b.iter(|| serde_json::to_string(black_box(db)).expect("json"))
    });
    group.finish();

    let mut group = c.benchmark_group("sdn_vs_json/parse_to_value");
    group.throughput(Throughput::Bytes(sdn.len() as u64));
    group.bench_with_input(BenchmarkId::new("sdn_parse", sdn.len()), sdn, |b, text| {
        b.iter(|| sdn_codec::parse(black_box(text)).expect("sdn"))
    });
    group.throughput(Throughput::Bytes(json.len() as u64));
    group.bench_with_input(
        BenchmarkId::new("serde_json_value", json.len()),
        json,
        |b, text| {
            b.iter(|| serde_json::from_str::<serde_json::Value>(black_box(text)).expect("json"))
        },
    );
    group.finish();
}

/// Median time in ns of a finished criterion benchmark, from its estimates file.
fn median_ns(dir: &Path, group: &str, id: &str) -> Option<f64> {
    let path = dir.join(group).join(id).join("new").join("estimates.json");
    let text = std::fs::read_to_string(path).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    v["median"]["point_estimate"].as_f64()
}

fn print_ratios(dir: &Path, sdn_len: usize, json_len: usize) {
    println!("\n== SDN vs serde_json (criterion medians) ==");
    let pairs = [
        (
            "sdn_vs_json_deserialize_10k_todos",
            "sdn_from_str",
            "serde_json_from_str",
            "deserialize Vec<Todo>",
        ),
        (
            "sdn_vs_json_serialize_10k_todos",
            "sdn_to_string",
            "serde_json_to_string",
            "serialize Vec<Todo>",
        ),
    ];
    for (group, sdn, json, what) in pairs {
        match (median_ns(dir, group, sdn), median_ns(dir, group, json)) {
            (Some(s), Some(j)) => println!(
                "{what}: sdn {:.2} ms, serde_json {:.2} ms, speed ratio json/sdn = {:.2} ({})",
                s / 1e6,
                j / 1e6,
                j / s,
                if s <= j {
                    "SDN at least as fast"
                } else {
                    "SDN slower"
                }
            ),
            _ => println!("{what}: estimates not found under {}", dir.display()),
        }
    }
    let group = "sdn_vs_json_parse_to_value";
    if let (Some(s), Some(j)) = (
        median_ns(dir, group, &format!("sdn_parse/{sdn_len}")),
        median_ns(dir, group, &format!("serde_json_value/{json_len}")),
    ) {
        println!(
            "parse to Value: sdn {:.1} MB/s ({sdn_len} bytes), serde_json::Value {:.1} MB/s ({json_len} bytes)",
            sdn_len as f64 / (s / 1e9) / 1e6,
            json_len as f64 / (j / 1e9) / 1e6
        );
    }
}

/// Alternates SDN and serde_json run by run, so both see the same machine load (this
/// machine is shared); prints the fastest and the median run of each and their ratio.
fn interleaved(db: &TodoDb, sdn: &str, json: &str) -> serde_json::Value {
    const ROUNDS: usize = 30;
    let time = |f: &mut dyn FnMut()| {
        let start = Instant::now();
        f();
        start.elapsed().as_secs_f64() * 1e3
    };
    let mut runs: [Vec<f64>; 4] = Default::default();
    for _ in 0..ROUNDS {
        runs[0].push(time(&mut || {
            black_box(sdn_codec::from_str::<TodoDb>(sdn).expect("sdn"));
        }));
        runs[1].push(time(&mut || {
            black_box(serde_json::from_str::<TodoDb>(json).expect("json"));
        }));
        runs[2].push(time(&mut || {
            black_box(sdn_codec::to_string(db).expect("sdn"));
        }));
        runs[3].push(time(&mut || {
            black_box(serde_json::to_string(db).expect("json"));
        }));
    }
    for r in &mut runs {
        r.sort_by(f64::total_cmp);
    }
    println!("\n== Interleaved check ({ROUNDS} alternating runs each; fastest / median, ms) ==");
    let mut rows = Vec::new();
    for (what, s, j) in [
        ("deserialize", &runs[0], &runs[1]),
        ("serialize", &runs[2], &runs[3]),
    ] {
        println!(
            "{what}: sdn {:.2} / {:.2}, serde_json {:.2} / {:.2}, speed ratio json/sdn {:.2} (fastest) {:.2} (median)",
            s[0],
            s[ROUNDS / 2],
            j[0],
            j[ROUNDS / 2],
            j[0] / s[0],
            j[ROUNDS / 2] / s[ROUNDS / 2]
        );
        rows.push(serde_json::json!({
            "operation": what,
            "sdn_fastest_ms": s[0],
            "sdn_median_ms": s[ROUNDS / 2],
            "json_fastest_ms": j[0],
            "json_median_ms": j[ROUNDS / 2],
        }));
    }
    serde_json::json!({ "rounds": ROUNDS, "rows": rows })
}

// ---------------------------------------------------------------------------------------
// Peak memory (child process)

/// In the child: read the file, reset the peak RSS, parse, report the peak's growth.
fn peak_child(kind: &str, path: &str) {
    let text = std::fs::read_to_string(path).expect("read input");
    let before = status_kib("VmRSS").unwrap_or(0);
    let reset = reset_peak();
    let size = match kind {
        "sdn-value" => {
            let v = sdn_codec::parse(&text).expect("parse");
            black_box(&v);
            v.as_dict().map_or(0, |m| m.len())
        }
        "sdn-typed" => {
            let v: TodoDb = sdn_codec::from_str(&text).expect("from_str");
            black_box(&v);
            v.todos.len()
        }
        "json-value" => {
            let v: serde_json::Value = serde_json::from_str(&text).expect("json");
            black_box(&v);
            v.as_object().map_or(0, |m| m.len())
        }
        _ => 0,
    };
    let peak = status_kib("VmHWM").unwrap_or(0);
    println!("{} {} {} {}", before, peak, u8::from(reset), size);
}

fn peak_memory(db_for_10mb: &TodoDb) -> Vec<serde_json::Value> {
    let sdn = sdn_codec::to_string(db_for_10mb).expect("sdn");
    let json = serde_json::to_string(db_for_10mb).expect("json");
    let dir = tempfile::tempdir().expect("tempdir");
    let sdn_path = dir.path().join("todos.sdn");
    let json_path = dir.path().join("todos.json");
    std::fs::write(&sdn_path, &sdn).expect("write");
    std::fs::write(&json_path, &json).expect("write");
    println!("\n== Peak memory (child process, growth of peak RSS over the loaded input) ==");
    let mut rows = Vec::new();
    for (kind, path, len) in [
        ("sdn-value", &sdn_path, sdn.len()),
        ("sdn-typed", &sdn_path, sdn.len()),
        ("json-value", &json_path, json.len()),
    ] {
        let Ok(exe) = std::env::current_exe() else {
            break;
        };
        let out = std::process::Command::new(exe)
            .env(PEAK_CHILD_ENV, format!("{kind}:{}", path.display()))
            .output();
        let Ok(out) = out else {
            println!("{kind}: could not run the child");
            continue;
        };
        let stdout = String::from_utf8_lossy(&out.stdout);
        let fields: Vec<u64> = stdout
            .lines()
            .last()
            .unwrap_or("")
            .split_whitespace()
            .filter_map(|f| f.parse().ok())
            .collect();
        let growth_bytes = match fields.as_slice() {
            [before, peak, 1, _] => {
                let growth = peak.saturating_sub(*before) * 1024;
                println!(
                    "{kind}: input {:.1} MB, peak RSS growth while parsing {:.1} MB ({:.2}x the input)",
                    len as f64 / 1e6,
                    growth as f64 / 1e6,
                    growth as f64 / len as f64
                );
                Some(growth)
            }
            [_, _, 0, _] => {
                println!("{kind}: /proc/self/clear_refs not writable; no measurement");
                None
            }
            _ => {
                println!("{kind}: unexpected child output {stdout:?}");
                None
            }
        };
        rows.push(serde_json::json!({
            "kind": kind,
            "input_bytes": len,
            "peak_growth_bytes": growth_bytes,
        }));
    }
    rows
}

fn main() {
    if let Ok(arg) = std::env::var(PEAK_CHILD_ENV) {
        if let Some((kind, path)) = arg.split_once(':') {
            peak_child(kind, path);
        }
        return;
    }
    let db = generate(RECORDS);
    let sdn = sdn_codec::to_string(&db).expect("sdn");
    let json = serde_json::to_string(&db).expect("json");
    // The two texts hold the same data.
    assert_eq!(sdn_codec::from_str::<TodoDb>(&sdn).expect("sdn"), db);
    assert_eq!(serde_json::from_str::<TodoDb>(&json).expect("json"), db);
    println!(
        "{RECORDS} records: SDN {} bytes, JSON {} bytes",
        sdn.len(),
        json.len()
    );

    let dir = criterion_dir();
    let mut c = Criterion::default()
        .output_directory(&dir)
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1))
        .sample_size(20)
        .configure_from_args();
    bench_records(&mut c, &db, &sdn, &json);
    c.final_summary();
    print_ratios(&dir, sdn.len(), json.len());
    let interleaved = interleaved(&db, &sdn, &json);

    // About 10 MB of SDN.
    let per_record = sdn.len() / RECORDS;
    let peak = peak_memory(&generate(10_000_000 / per_record.max(1)));
    let results = serde_json::json!({
        "records": RECORDS,
        "sdn_bytes": sdn.len(),
        "json_bytes": json.len(),
        "interleaved": interleaved,
        "peak_memory": peak,
    });
    if let serde_json::Value::Object(entries) = results {
        bench_suite::results::store(bench_suite::results::SDN_FILE, entries);
    }
}
