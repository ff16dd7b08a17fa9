//! What record-store's one-record update costs beyond the two-flush floor, taken apart:
//! the floor's replace alone, the replace with each piece of the I/O a store commit adds
//! around it (the writer lock, reading the file, a `stat` of the new file), and the
//! store's update itself, all taking turns round by round in one process.
//!
//! The pieces are timed on the floor's own file, with the crates the store uses
//! (file-lock, atomic-io, `std::fs`), so they say what those system calls cost here with
//! no parsing, editing or caching: the part of the store's overhead that no change to its
//! CPU work can remove while it keeps its guarantees (a lock with a holder record, the
//! file read again to see other programs' edits).
//!
//! Two more variants take their turns with them: the same replace and the same update
//! with no flush at all (`Durability::AtomicOnly`, each on a file of its own). Their
//! difference is the store's own work (its system calls and CPU) with no wait for the
//! disk in between.

use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use atomic_io::Durability;
use file_lock::FileLock;
use record_store::Store;

use super::designs::{store_update, write_sdn};
use super::records::{Todo, Tracked};
use super::summary_ms;
use test_support::knob;

/// The variants, in the order of the report; the first is the floor the others are
/// compared with.
const VARIANTS: [&str; 7] = [
    "two_flush_replace",
    "locked_replace",
    "read_then_replace",
    "locked_read_replace_stat",
    "record_store",
    "replace_without_flushes",
    "record_store_without_flushes",
];

/// The one-record update of the 150-record todo database and the floor's pieces, taking
/// turns round by round (the first variant rotates too).
pub fn update_overhead(dir: &Path) -> serde_json::Value {
    let rounds: usize = knob::number("BENCH_STORE_OVERHEAD_ROUNDS", 400);
    let dir = dir.join("overhead");
    fs::create_dir_all(&dir).expect("create the overhead directory");
    let path = dir.join("todo_db.sdn");
    let records: Vec<Todo> = (0..Todo::COUNT).map(Todo::sample).collect();
    write_sdn(&path, &records);
    let key = records[Todo::COUNT / 2].id;
    let store = Store::open(&path).expect("open");
    let floor_target = dir.join("two-flush-replace.sdn");
    let bytes = fs::read(&path).expect("read the todo database");
    let replace = || atomic_io::write(&floor_target, &bytes).expect("durable replace");
    replace();
    let lock = FileLock::new(&floor_target);
    let unflushed_target = dir.join("replace-without-flushes.sdn");
    let replace_unflushed = || {
        atomic_io::Options::new()
            .durability(Durability::AtomicOnly)
            .write(&unflushed_target, &bytes)
            .expect("replace without flushes");
    };
    replace_unflushed();
    let unflushed_path = dir.join("todo_db_without_flushes.sdn");
    fs::copy(&path, &unflushed_path).expect("copy the todo database");
    let unflushed_store = Store::open(&unflushed_path)
        .expect("open")
        .with_durability(Durability::AtomicOnly);
    let read = || {
        let read = fs::read(&floor_target).expect("read the replace target");
        assert_eq!(
            read.len(),
            bytes.len(),
            "the target holds the bytes written"
        );
    };
    let mut samples: [Vec<Duration>; VARIANTS.len()] = Default::default();
    for round in 0..rounds {
        for turn in 0..VARIANTS.len() {
            let variant = (round + turn) % VARIANTS.len();
            let started = Instant::now();
            match variant {
                0 => replace(),
                1 => {
                    let _guard = lock.exclusive().expect("lock");
                    replace();
                }
                2 => {
                    read();
                    replace();
                }
                3 => {
                    let _guard = lock.exclusive().expect("lock");
                    read();
                    replace();
                    fs::metadata(&floor_target).expect("stat the new file");
                }
                4 => store_update::<Todo>(&store, &key),
                5 => replace_unflushed(),
                _ => store_update::<Todo>(&unflushed_store, &key),
            }
            samples[variant].push(started.elapsed());
        }
    }
    println!(
        "\nrecord-store's update and the floor's pieces ({} records), {rounds} rounds:",
        Todo::COUNT
    );
    let mut rows = Vec::new();
    let mut floor = None;
    for (variant, samples) in VARIANTS.iter().zip(&mut samples) {
        let (p50, mean, p99) = summary_ms(samples);
        // The first variant is the floor.
        let floor = *floor.get_or_insert(p50);
        println!(
            "{variant:<26} p50 {p50:>8.3} ms  ({:.3}x the floor)  p99 {p99:>8.3} ms",
            p50 / floor
        );
        rows.push(serde_json::json!({
            "design": variant, "p50_ms": p50, "mean_ms": mean, "p99_ms": p99,
        }));
    }
    serde_json::json!({ "records": Todo::COUNT, "rounds": rounds, "designs": rows })
}
