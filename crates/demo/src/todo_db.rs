//! Part 2 of the demo: the product on a TODO database.
//!
//! A small TODO database in SDN (the real todo columns, plus a comment line and an `owner`
//! column the program does not know) is edited by N worker processes (this program, re-run
//! as `demo worker todo-edit ...`), each making M edits "add 1 to the `line` of a random
//! TODO": first through the baseline's `Database<T>`, then through `record_store::Store`.
//! Every edit adds exactly 1, so the sum of `line` over all records must grow by N x M;
//! whatever is missing was lost. Afterwards the file is checked for the comment, the
//! `owner` column and every record, and a single edit of a fresh copy shows how many lines
//! of the file each design rewrites.

use std::path::{Path, PathBuf};
use std::process::Child;
use std::time::Instant;

use bench_suite::clock::monotonic_ns;
use bench_suite::coord::Spawner;
use bench_suite::workers::{TodoDb, TodoDesign};

use crate::table::{print_table, yes_no};

/// Records in the demo database.
pub const RECORDS: u32 = 40;

/// The comment line at the top of the demo database (the baseline drops it).
pub const COMMENT: &str = "# TODO database of the demo: edited by cargo xtask demo";

/// The column the program's `Todo` type does not know.
pub const UNKNOWN_COLUMN: &str = "owner";

const OWNERS: &[&str] = &["ann", "bob", "chen", "dara", "eve"];
const AREAS: &[&str] = &["parser", "runtime", "gpu", "doc", "test"];
const KEYWORDS: &[&str] = &["TODO", "FIXME", "TODO", "HACK"];

/// The owner the seed gives TODO `id`.
fn owner_of(id: u32) -> &'static str {
    OWNERS[id as usize % OWNERS.len()]
}

/// The `line` the seed gives TODO `id`.
fn seed_line(id: u32) -> u32 {
    id * 7 + 3
}

/// The seed database: a comment, then table `todos` with the real todo columns and
/// `owner` last, `records` rows with ids `1..=records`.
pub fn seed_text(records: u32) -> String {
    let mut text = format!(
        "{COMMENT}\ntodos |id, keyword, area, priority, description, file, line, issue, blocked, status, valid, {UNKNOWN_COLUMN}|\n"
    );
    for id in 1..=records {
        let i = id as usize;
        let issue = if id % 4 == 0 {
            format!("#{}", 100 + id)
        } else {
            String::new()
        };
        let blocked = if id % 9 == 0 { "waiting on parser" } else { "" };
        text.push_str(&format!(
            "    {id}, {keyword}, {area}, P{priority}, \"Handle case {id} in the checker, with a test\", src/{area}/module_{id}.rs, {line}, \"{issue}\", \"{blocked}\", {status}, {valid}, {owner}\n",
            keyword = KEYWORDS[i % KEYWORDS.len()],
            area = AREAS[i % AREAS.len()],
            priority = id % 4,
            line = seed_line(id),
            status = if id % 5 == 0 { "done" } else { "open" },
            valid = id % 6 != 0,
            owner = owner_of(id),
        ));
    }
    text
}

/// What a TODO database file holds, as far as the demo checks it.
#[derive(Debug, Clone)]
pub struct Inspection {
    /// Rows of table `todos`.
    pub records: usize,
    /// The sum of `line` over all rows.
    pub line_sum: u64,
    /// Whether the comment line is still there.
    pub comment_kept: bool,
    /// Whether the `owner` column is there with every seeded value in its row.
    pub owner_kept: bool,
}

/// Parses `text` with sdn-codec and checks it against the seed.
pub fn inspect(text: &str) -> Result<Inspection, String> {
    let root = sdn_codec::parse(text).map_err(|e| format!("demo TODO database: {e}"))?;
    let table = root
        .get("todos")
        .and_then(|value| value.as_table())
        .ok_or("demo TODO database: table todos missing")?;
    let mut line_sum = 0u64;
    let mut owner_kept = table.column_index(UNKNOWN_COLUMN).is_some();
    for row in 0..table.rows.len() {
        let cell_number = |name: &str| {
            table
                .cell(row, name)
                .and_then(|value| value.as_i64())
                .ok_or_else(|| format!("demo TODO database: row {row}: bad {name}"))
        };
        let id = u32::try_from(cell_number("id")?).map_err(|e| format!("id: {e}"))?;
        line_sum += u64::try_from(cell_number("line")?).map_err(|e| format!("line: {e}"))?;
        let owner = table
            .cell(row, UNKNOWN_COLUMN)
            .and_then(|value| value.text());
        owner_kept &= owner.as_deref() == Some(owner_of(id));
    }
    Ok(Inspection {
        records: table.rows.len(),
        line_sum,
        comment_kept: text.lines().any(|line| line == COMMENT),
        owner_kept,
    })
}

/// The result of [`run_edits`].
#[derive(Debug, Clone)]
pub struct EditReport {
    /// Worker processes.
    pub workers: usize,
    /// Edits per worker.
    pub edits: u64,
    /// The sum of `line` before the edits.
    pub line_sum_before: u64,
    /// The database afterwards.
    pub after: Inspection,
    /// Wall time of the edits in seconds.
    pub seconds: f64,
}

impl EditReport {
    /// The sum of `line` if no edit was lost.
    pub fn expected(&self) -> u64 {
        self.line_sum_before + self.workers as u64 * self.edits
    }

    /// Edits that were overwritten by another process's save.
    pub fn lost(&self) -> u64 {
        self.expected().saturating_sub(self.after.line_sum)
    }
}

fn spawn_editor(
    design: TodoDesign,
    path: &Path,
    edits: u64,
    seed: u64,
    start_ns: u64,
) -> Result<Child, String> {
    let path = path.display().to_string();
    let args = [
        ("design", design.name().to_string()),
        ("file", path),
        ("records", RECORDS.to_string()),
        ("edits", edits.to_string()),
        ("seed", seed.to_string()),
        ("start-ns", start_ns.to_string()),
    ];
    Spawner::this_program(&["worker"])?.spawn_reporting("todo-edit", &args)
}

/// Seeds `dir/todo_db-<design>.sdn`, runs `workers` processes of `edits` edits each, and
/// inspects the result.
pub fn run_edits(
    dir: &Path,
    design: TodoDesign,
    workers: usize,
    edits: u64,
) -> Result<EditReport, String> {
    let path = dir.join(format!("todo_db-{}.sdn", design.name()));
    let seed = seed_text(RECORDS);
    write(&path, &seed)?;
    let line_sum_before = inspect(&seed)?.line_sum;
    // Workers start together at a common instant, after all of them are up.
    let start_ns = monotonic_ns() + 300_000_000;
    let children: Vec<Child> = (0..workers)
        .map(|index| spawn_editor(design, &path, edits, 0x9E37_79B9 + index as u64, start_ns))
        .collect::<Result<_, _>>()?;
    let started = Instant::now();
    let mut failure = None;
    for child in children {
        let output = child
            .wait_with_output()
            .map_err(|e| format!("todo-edit worker: {e}"))?;
        if !output.status.success() {
            failure = Some(format!(
                "todo-edit worker ({}) failed ({}): {}",
                design.name(),
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            ));
        }
    }
    let seconds = (started.elapsed().as_secs_f64() - 0.3).max(0.0);
    if let Some(failure) = failure {
        return Err(failure);
    }
    Ok(EditReport {
        workers,
        edits,
        line_sum_before,
        after: inspect(&read(&path)?)?,
        seconds,
    })
}

/// Lines of a file that one edit rewrote.
#[derive(Debug, Clone, Copy)]
pub struct OneEdit {
    /// Lines of the seed that are not in the edited file (a longest-common-subsequence
    /// diff, as `diff` counts them).
    pub removed: usize,
    /// Lines of the edited file that were not in the seed.
    pub added: usize,
    /// Lines of the seed.
    pub lines: usize,
}

impl OneEdit {
    /// Lines that differ: a changed line counts once.
    pub fn changed(&self) -> usize {
        self.removed.max(self.added)
    }
}

/// Seeds a fresh `dir/one-edit-<design>.sdn`, makes one edit in this process and diffs.
pub fn one_edit(dir: &Path, design: TodoDesign) -> Result<OneEdit, String> {
    let path: PathBuf = dir.join(format!("one-edit-{}.sdn", design.name()));
    let before = seed_text(RECORDS);
    write(&path, &before)?;
    TodoDb::open(design, &path)?.bump_line(RECORDS / 2)?;
    let after = read(&path)?;
    let (old, new): (Vec<&str>, Vec<&str>) = (before.lines().collect(), after.lines().collect());
    let common = longest_common_subsequence(&old, &new);
    Ok(OneEdit {
        removed: old.len() - common,
        added: new.len() - common,
        lines: old.len(),
    })
}

fn longest_common_subsequence(a: &[&str], b: &[&str]) -> usize {
    let mut previous = vec![0usize; b.len() + 1];
    for x in a {
        let mut current = vec![0usize; b.len() + 1];
        for (j, y) in b.iter().enumerate() {
            current[j + 1] = if x == y {
                previous[j] + 1
            } else {
                previous[j + 1].max(current[j])
            };
        }
        previous = current;
    }
    previous[b.len()]
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    atomic_io::write(path, text.as_bytes()).map_err(|e| format!("write {}: {e}", path.display()))
}

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("read {}: {e}", path.display()))
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
pub fn run(dir: &Path, workers: usize, edits: u64) -> Result<bool, String> {
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
    let baseline = run_edits(dir, TodoDesign::Baseline, workers, edits)?;
    let baseline_one = one_edit(dir, TodoDesign::Baseline)?;
    print_todo_table(&baseline, &baseline_one);

    println!(
        "Part 2b: record-store (Store::update: one locked, format-preserving, durable transaction)"
    );
    println!("The lock is held from read to commit, and only the changed row is rewritten.\n");
    let store = run_edits(dir, TodoDesign::RecordStore, workers, edits)?;
    let store_one = one_edit(dir, TodoDesign::RecordStore)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_parses_with_every_record_and_the_unknown_column() {
        let seed = seed_text(RECORDS);
        let inspection = inspect(&seed).unwrap();
        assert_eq!(inspection.records, RECORDS as usize);
        assert!(inspection.comment_kept && inspection.owner_kept);
        assert_eq!(
            inspection.line_sum,
            (1..=RECORDS)
                .map(|id| u64::from(seed_line(id)))
                .sum::<u64>()
        );
    }

    #[test]
    fn inspect_notices_a_dropped_column_and_comment() {
        let text = "todos |id, line|\n    1, 10\n";
        let inspection = inspect(text).unwrap();
        assert!(!inspection.owner_kept && !inspection.comment_kept);
        assert_eq!(inspection.line_sum, 10);
    }

    #[test]
    fn diff_counts_one_changed_line_once() {
        assert_eq!(
            longest_common_subsequence(&["a", "b", "c"], &["a", "x", "c"]),
            2
        );
        assert_eq!(longest_common_subsequence(&["a", "b"], &["b"]), 1);
        assert_eq!(longest_common_subsequence(&[], &["b"]), 0);
    }
}
