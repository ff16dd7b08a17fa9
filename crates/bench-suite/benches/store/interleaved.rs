//! The one-record update of the todo database by all four designs, interleaved round by
//! round, next to the two-flush floor.

use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use baseline::phase3::Database;
use record_store::Store;

use super::designs::{
    Rustbreak, baseline_update, open_sqlite, rustbreak_update, setup, sqlite_update, store_update,
};
use super::records::{Todo, Tracked};
use super::{DESIGNS, summary_ms};
use test_support::knob;

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

/// The one-record update of the 150-record todo database, the four designs taking turns
/// round by round (the first design rotates too).
pub fn interleaved_update(dir: &Path) -> serde_json::Value {
    let rounds: usize = knob::number("BENCH_STORE_UPDATE_ROUNDS", 100);
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
        let (p50, mean, p99) = summary_ms(samples);
        println!("{design:<14} p50 {p50:>8.2} ms  mean {mean:>8.2} ms  p99 {p99:>8.2} ms");
        rows.push(serde_json::json!({
            "design": design, "p50_ms": p50, "mean_ms": mean, "p99_ms": p99,
        }));
    }
    serde_json::json!({ "records": Todo::COUNT, "rounds": rounds, "designs": rows })
}
