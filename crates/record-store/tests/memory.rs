//! Peak memory of reading a store, measured in a fresh worker process (this test binary
//! started again) so that its peak resident size (`VmHWM`) belongs to the read alone.
#![cfg(target_os = "linux")]

mod support;

use std::path::Path;
use std::process::Stdio;

use record_store::Store;
use support::{Todo, env_path, env_usize, serve_worker};

/// Records in the measured file: about 3.5 MB, far above the process's own noise.
const RECORDS: usize = 20_000;

/// A field of `/proc/self/status`, in KiB.
fn status_kib(field: &str) -> Result<u64, String> {
    let status = std::fs::read_to_string("/proc/self/status").map_err(|e| e.to_string())?;
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| format!("no {field} in /proc/self/status"))
}

/// The worker: reads the store and decodes its table (`read`), or changes one record of
/// it (`cold_update`), and prints how far its peak resident size rose above its size
/// just before, in KiB.
fn run_worker(kind: &str) -> Result<(), String> {
    let path = env_path("MEMORY_STORE");
    let records = env_usize("MEMORY_RECORDS", 0);
    let before = status_kib("VmRSS")?;
    if kind == "cold_update" {
        let key = (records / 2) as u32;
        Store::open(&path)
            .and_then(|store| {
                store.update(|tx| {
                    let todo = tx.table::<Todo>()?.get_mut(&key);
                    todo.ok_or(record_store::Error::aborted("no such record"))?
                        .status = "done".into();
                    Ok::<_, record_store::Error>(())
                })
            })
            .map_err(|e| e.to_string())?;
        let peak = status_kib("VmHWM")?;
        println!("peak-above-start-kib {}", peak.saturating_sub(before));
        return Ok(());
    }
    let snapshot = Store::open(&path)
        .and_then(|store| store.read())
        .map_err(|e| e.to_string())?;
    let todos = snapshot.table::<Todo>().map_err(|e| e.to_string())?;
    if todos.len() != records {
        return Err(format!("{kind}: read {} records of {records}", todos.len()));
    }
    let peak = status_kib("VmHWM")?;
    // The untyped document is still there when asked for (parsed on first use).
    let rows = snapshot
        .document()
        .map_err(|e| e.to_string())?
        .get("todos")
        .and_then(|table| table.as_table())
        .map_or(0, |table| table.rows.len());
    if rows != records {
        return Err(format!("the document shows {rows} rows of {records}"));
    }
    println!("peak-above-start-kib {}", peak.saturating_sub(before));
    Ok(())
}

/// Entry point of worker processes; does nothing in a normal test run.
#[test]
fn memory_worker() {
    serve_worker("RECORD_STORE_MEMORY_WORKER", run_worker);
}

fn write_todos(path: &Path, records: usize) -> std::io::Result<()> {
    let mut text = String::from(
        "todos |id, keyword, area, priority, description, file, line, issue, blocked, status, valid|\n",
    );
    for i in 0..records {
        text.push_str(&format!(
            "    {i}, TODO, parser, P{}, \"Add support for case {i} in the checker, with commas\", src/lib/module_{i}.spl, {}, , , open, true\n",
            i % 4,
            i * 7 + 3
        ));
    }
    std::fs::write(path, text)
}

/// Reading a store and decoding one table keeps the records and the text, not a value
/// per cell: the peak stays under 8x the file's size (it was about 11x when every read
/// parsed the whole file into a value tree first).
#[test]
fn reading_a_table_peaks_below_eight_times_the_file() -> Result<(), Box<dyn std::error::Error>> {
    let (file_kib, peak_kib) = peak_of("read")?;
    let ratio = peak_kib as f64 / file_kib as f64;
    assert!(
        ratio < 8.0,
        "reading {file_kib} KiB peaked {peak_kib} KiB above the start: {ratio:.1}x"
    );
    Ok(())
}

/// A process's first transaction, changing one record, decodes only the records it asks
/// for: its peak stays under 3x the file's size (about 4x when it decoded every record,
/// which cost three times their text).
#[test]
fn a_cold_one_record_update_peaks_below_three_times_the_file()
-> Result<(), Box<dyn std::error::Error>> {
    let (file_kib, peak_kib) = peak_of("cold_update")?;
    let ratio = peak_kib as f64 / file_kib as f64;
    assert!(
        ratio < 3.0,
        "a cold update of {file_kib} KiB peaked {peak_kib} KiB above the start: {ratio:.1}x"
    );
    Ok(())
}

/// Runs the worker `kind` on a new file of [`RECORDS`] todos: the file's size and the
/// worker's peak above its start, in KiB.
fn peak_of(kind: &str) -> Result<(u64, u64), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("todo.sdn");
    write_todos(&path, RECORDS)?;
    let file_kib = std::fs::metadata(&path)?.len() / 1024;
    let output = test_support::worker::command("memory_worker", "RECORD_STORE_MEMORY_WORKER", kind)
        .env("MEMORY_STORE", &path)
        .env("MEMORY_RECORDS", RECORDS.to_string())
        .stderr(Stdio::inherit())
        .output()?;
    assert!(output.status.success(), "the {kind} worker failed");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let peak_kib: u64 = stdout
        .lines()
        .find_map(|line| Some(line.split_once("peak-above-start-kib ")?.1))
        .ok_or("no report from the worker")?
        .trim()
        .parse()?;
    Ok((file_kib, peak_kib))
}

/// Descriptors of this process open on `path`.
fn descriptors_on(path: &Path) -> std::io::Result<usize> {
    let mut count = 0;
    for entry in std::fs::read_dir("/proc/self/fd")? {
        if std::fs::read_link(entry?.path()).is_ok_and(|target| target == path) {
            count += 1;
        }
    }
    Ok(count)
}

/// A transaction closes the file it read before its commit renames over it: a replaced
/// file still held open becomes an orphan inode that the kernel journals and frees on
/// the last close, extra work on every commit (it was held until after the commit).
#[test]
fn a_transaction_holds_no_descriptor_on_the_file_it_replaces()
-> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("todo.sdn");
    write_todos(&path, 10)?;
    let path = path.canonicalize()?;
    let store = Store::open(&path)?;
    for round in 0..3 {
        // Round 0 reads the file cold, later rounds take over the cached version.
        let open_inside = store.update(|tx| {
            let todo = tx.table::<Todo>()?.get_mut(&1).expect("todo 1");
            todo.status = format!("round {round}");
            descriptors_on(&path).map_err(|e| record_store::Error::aborted(e.to_string()))
        })?;
        assert_eq!(open_inside, 0, "round {round}: the file is held open");
    }
    Ok(())
}
