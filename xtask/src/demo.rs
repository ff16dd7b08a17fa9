//! `cargo xtask demo`: the problem and the fix, in two parts.
//!
//! Part 1: N worker processes (this binary, re-run as `xtask worker increment ...`)
//! increment a shared counter file M times each while a reader thread reads it
//! continuously. The counter is a multi-KiB record with a checksum, so a read of a
//! half-written file is caught. First the naive way (read, `fs::write`, no lock), then with
//! file-lock held across the read-modify-write and an atomic-io durable write.
//!
//! Part 2 ([`crate::demo_todo`]): the product itself on a TODO database in SDN, edited
//! concurrently through the baseline design and through record-store.
//!
//! Part 3 ([`crate::demo_sync`]): two devices syncing that database through a
//! local-directory remote, with the original design's timestamp check and with
//! cloud-sync.

use bench_suite::coord::{IncrementReport, Spawner, run_increments};
use bench_suite::workers::{Design, TodoDesign};

use crate::demo_sync;
use crate::demo_todo::{self, EditReport, OneEdit, RECORDS, UNKNOWN_COLUMN};
use crate::util;

/// The size of the demo's counter record: several pages, so tearing is visible.
pub const RECORD_SIZE: usize = 8 * 1024;

/// A spawner that re-runs this binary as a worker.
pub fn self_spawner() -> Result<Spawner, String> {
    let exe = std::env::current_exe().map_err(|e| format!("current exe: {e}"))?;
    Ok(Spawner::new(exe, &["worker"]))
}

/// Prints one counter run's figures (used by `cargo xtask stress`).
pub fn print_report(label: &str, report: &IncrementReport) {
    println!("{label}");
    println!(
        "  workers x increments   {} x {}",
        report.workers, report.iters
    );
    println!("  expected total         {}", report.expected);
    println!("  final value            {}", report.final_value);
    println!("  lost updates           {}", report.lost);
    println!(
        "  torn reads (observer)  {} of {} reads",
        report.torn_reads, report.reads
    );
    println!("  torn reads (workers)   {}", report.worker_torn_reads);
    println!("  time                   {:.2} s", report.seconds);
}

/// Prints a table: a header row (unless every heading is empty), then rows of a label and
/// cells; labels are left-aligned, cells right-aligned under their column heading.
fn print_table(headings: &[&str], rows: &[(&str, Vec<String>)]) {
    let label_width = rows.iter().map(|(label, _)| label.len()).max().unwrap_or(0);
    let widths: Vec<usize> = headings
        .iter()
        .enumerate()
        .map(|(column, heading)| {
            rows.iter()
                .filter_map(|(_, cells)| cells.get(column).map(String::len))
                .chain([heading.len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |label: &str, cells: &mut dyn Iterator<Item = &str>| {
        let mut text = format!("  {label:<label_width$}");
        for (cell, width) in cells.zip(&widths) {
            text.push_str(&format!("   {cell:>width$}"));
        }
        println!("{}", text.trim_end());
    };
    if headings.iter().any(|heading| !heading.is_empty()) {
        line("", &mut headings.iter().copied());
    }
    for (label, cells) in rows {
        line(label, &mut cells.iter().map(String::as_str));
    }
}

fn yes_no(kept: bool) -> String {
    if kept { "yes" } else { "NO" }.to_string()
}

/// Runs part 1; Ok(false) when our design lost an update or tore a read.
fn counter_part(workers: usize, iters: u64) -> Result<bool, String> {
    let dir = util::scratch_dir("demo")?;
    let spawner = self_spawner()?;
    println!("Part 1: a shared counter file");
    println!(
        "{workers} processes each add 1 to a {} KiB counter file {iters} times while this process keeps reading it.\n",
        RECORD_SIZE / 1024
    );
    let naive = run_increments(&spawner, Design::Naive, &dir, workers, iters, RECORD_SIZE)?;
    let ours = run_increments(&spawner, Design::Ours, &dir, workers, iters, RECORD_SIZE)?;
    let both = |cell: &dyn Fn(&IncrementReport) -> String| vec![cell(&naive), cell(&ours)];
    print_table(
        &["naive", "ours"],
        &[
            ("expected final value", both(&|r| r.expected.to_string())),
            ("actual final value", both(&|r| r.final_value.to_string())),
            ("lost updates", both(&|r| r.lost.to_string())),
            (
                "torn reads (this process)",
                both(&|r| format!("{} of {}", r.torn_reads, r.reads)),
            ),
            (
                "torn reads (workers)",
                both(&|r| r.worker_torn_reads.to_string()),
            ),
            ("time", both(&|r| format!("{:.2} s", r.seconds))),
        ],
    );
    println!("  naive: read, fs::write, no lock");
    println!("  ours:  file-lock held across read-modify-write + atomic-io durable write\n");
    let ok = ours.lost == 0 && ours.torn_reads == 0 && ours.worker_torn_reads == 0;
    if ok {
        println!(
            "Part 1: naive lost {} of {} updates and tore {} reads; ours lost none and tore none\n",
            naive.lost,
            naive.expected,
            naive.torn_reads + naive.worker_torn_reads
        );
    } else {
        println!(
            "Part 1: FAILED: ours lost {} updates and tore {} reads\n",
            ours.lost,
            ours.torn_reads + ours.worker_torn_reads
        );
    }
    Ok(ok)
}

fn print_todo_table(report: &EditReport, one: &OneEdit) {
    let after = &report.after;
    print_table(
        &[""],
        &[
            (
                "edits made",
                vec![format!("{} x {}", report.workers, report.edits)],
            ),
            (
                "expected sum of `line`",
                vec![report.expected().to_string()],
            ),
            ("actual sum of `line`", vec![after.line_sum.to_string()]),
            ("lost updates", vec![report.lost().to_string()]),
            (
                "records in the file",
                vec![format!("{} of {RECORDS}", after.records)],
            ),
            ("`owner` column kept", vec![yes_no(after.owner_kept)]),
            ("comment line kept", vec![yes_no(after.comment_kept)]),
            (
                "lines changed by one edit",
                vec![format!("{} of {}", one.changed(), one.lines)],
            ),
            ("time", vec![format!("{:.2} s", report.seconds)]),
        ],
    );
    println!();
}

/// Runs part 2; Ok(false) when record-store lost an edit, a record, the unknown column or
/// the comment, or rewrote more than one line for one edit.
fn todo_part(workers: usize, edits: u64) -> Result<bool, String> {
    let dir = util::scratch_dir("demo-todo")?;
    println!("Part 2: a TODO database (the product)");
    println!(
        "todo_db.sdn: {RECORDS} TODOs with the real columns, a comment line and an `{UNKNOWN_COLUMN}` column the program does not know."
    );
    println!(
        "{workers} processes each make {edits} edits: \"add 1 to the `line` of a random TODO\".\n"
    );

    println!(
        "Part 2a: baseline (Database<T>: lock file around load, again around save; rows by position)"
    );
    println!(
        "Another process can save between our load and our save, and unknown columns are dropped.\n"
    );
    let baseline = demo_todo::run_edits(&dir, TodoDesign::Baseline, workers, edits)?;
    let baseline_one = demo_todo::one_edit(&dir, TodoDesign::Baseline)?;
    print_todo_table(&baseline, &baseline_one);

    println!(
        "Part 2b: record-store (Store::update: one locked, format-preserving, durable transaction)"
    );
    println!("The lock is held from read to commit, and only the changed row is rewritten.\n");
    let store = demo_todo::run_edits(&dir, TodoDesign::RecordStore, workers, edits)?;
    let store_one = demo_todo::one_edit(&dir, TodoDesign::RecordStore)?;
    print_todo_table(&store, &store_one);

    let after = &store.after;
    let mut problems = Vec::new();
    if store.lost() > 0 {
        problems.push(format!("lost {} edits", store.lost()));
    }
    if after.line_sum > store.expected() {
        problems.push(format!(
            "sum of `line` {} above the expected {}",
            after.line_sum,
            store.expected()
        ));
    }
    if after.records != RECORDS as usize {
        problems.push(format!("{} of {RECORDS} records left", after.records));
    }
    if !after.owner_kept {
        problems.push(format!("dropped the `{UNKNOWN_COLUMN}` column"));
    }
    if !after.comment_kept {
        problems.push("dropped the comment".to_string());
    }
    if store_one.changed() != 1 {
        problems.push(format!(
            "rewrote {} lines for one edit",
            store_one.changed()
        ));
    }
    if problems.is_empty() {
        println!(
            "Part 2: baseline lost {} of {} edits and dropped the `{UNKNOWN_COLUMN}` column{}; record-store lost none and kept everything",
            baseline.lost(),
            workers as u64 * edits,
            if baseline.after.comment_kept {
                ""
            } else {
                " and the comment"
            },
        );
    } else {
        println!("Part 2: FAILED: record-store {}", problems.join(", "));
    }
    Ok(problems.is_empty())
}

/// Runs part 3; Ok(false) when cloud-sync lost an edit.
fn sync_part(rounds: usize, per_round: usize) -> Result<bool, String> {
    let dir = util::scratch_dir("demo-sync")?;
    println!("Part 3: two devices syncing the TODO database through a shared folder");
    println!(
        "{rounds} rounds; each round both devices add {per_round} TODOs, then sync (even rounds at the same moment, odd rounds one after the other).\n"
    );
    let baseline = demo_sync::run_timestamp(&dir, rounds, per_round)?;
    let ours = demo_sync::run_cloud_sync(&dir, rounds, per_round)?;
    print_table(
        &["timestamp check", "cloud-sync"],
        &[
            (
                "edits made",
                vec![baseline.edits.to_string(), ours.edits.to_string()],
            ),
            (
                "edits in the final cloud copy",
                vec![baseline.kept.to_string(), ours.kept.to_string()],
            ),
            (
                "edits lost",
                vec![baseline.lost().to_string(), ours.lost().to_string()],
            ),
            (
                "conflicts detected / merges",
                vec![
                    baseline.conflicts_detected.to_string(),
                    ours.conflicts_detected.to_string(),
                ],
            ),
        ],
    );
    println!();
    let ok = ours.lost() == 0;
    if ok {
        println!(
            "Part 3: the timestamp check lost {} of {} edits; cloud-sync lost none",
            baseline.lost(),
            baseline.edits
        );
    } else {
        println!("Part 3: FAILED: cloud-sync lost {} edits", ours.lost());
    }
    Ok(ok)
}

/// Runs the demo; Ok(false) when our design lost or tore anything.
pub fn run(workers: usize, iters: u64, edits: u64) -> Result<bool, String> {
    let counter_ok = counter_part(workers, iters)?;
    let todo_ok = todo_part(workers, edits)?;
    let sync_ok = sync_part(SYNC_ROUNDS, SYNC_TODOS_PER_ROUND)?;
    Ok(counter_ok && todo_ok && sync_ok)
}

/// Part 3's size: rounds of syncing, and TODOs each device adds per round.
const SYNC_ROUNDS: usize = 10;
const SYNC_TODOS_PER_ROUND: usize = 3;
