//! Record types and helpers shared by the record-store integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use record_store::Record;
use serde::{Deserialize, Serialize};

// The tracking record types are defined once, in the `tracking` example.
#[path = "../../examples/tracking/records.rs"]
mod records;
#[allow(unused_imports)]
pub use records::{Feature, Task, Todo};

/// Stress-test counters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Counter {
    pub id: u32,
    pub value: u64,
}

impl Record for Counter {
    const TABLE: &'static str = "counters";
    type Key = u32;
    fn key(&self) -> u32 {
        self.id
    }
}

/// Stress-test items, inserted and removed by workers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    pub id: String,
    pub owner: u32,
}

impl Record for Item {
    const TABLE: &'static str = "items";
    type Key = String;
    fn key(&self) -> String {
        self.id.clone()
    }
}

/// Stress-test invariants: `total` = sum of counters, `items` = number of items.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Meta {
    pub id: String,
    pub total: u64,
    pub items: u64,
}

impl Record for Meta {
    const TABLE: &'static str = "meta";
    type Key = String;
    fn key(&self) -> String {
        self.id.clone()
    }
}

pub const COUNTERS: u32 = 8;

/// The tracking databases to test against: the fixtures inside this package, always,
/// and the real corpus's copy as well when the corpus is present (it lives outside the
/// repository: `SDN_CORPUS_DIR`, else the shared corpus above it; see
/// [`test_support::corpus`]).
/// `fixture` is the name in `tests/fixtures`, `corpus_name` the real file's name.
pub fn tracking_databases(fixture: &str, corpus_name: &str) -> Vec<PathBuf> {
    let mut found = vec![
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(fixture),
    ];
    if let Some(corpus) = test_support::corpus::external(env!("CARGO_MANIFEST_DIR")) {
        let real = corpus.join(corpus_name);
        if real.is_file() {
            found.push(real);
        }
    }
    found
}

/// Lines that differ between two texts of equal line count; `None` if the counts differ.
pub fn changed_lines(before: &str, after: &str) -> Option<Vec<usize>> {
    let (a, b): (Vec<&str>, Vec<&str>) =
        (before.split('\n').collect(), after.split('\n').collect());
    (a.len() == b.len()).then(|| {
        a.iter()
            .zip(&b)
            .enumerate()
            .filter(|(_, (x, y))| x != y)
            .map(|(i, _)| i + 1)
            .collect()
    })
}

/// Checks the stress invariants of one parsed version; returns (total, items).
pub fn check_invariants(root: &sdn_codec::Value) -> Result<(u64, u64), String> {
    let decode = |name: &str| {
        root.get(name)
            .and_then(|v| v.as_table())
            .ok_or_else(|| format!("table {name} missing"))
    };
    let counters = decode("counters")?;
    let items = decode("items")?;
    let meta = decode("meta")?;
    let col = |t: &sdn_codec::Table, row: usize, name: &str| {
        t.cell(row, name)
            .and_then(|v| v.as_i64())
            .ok_or_else(|| format!("bad cell {name} in row {row}"))
    };
    let sum: i64 = (0..counters.rows.len())
        .map(|row| col(counters, row, "value"))
        .sum::<Result<i64, String>>()?;
    let total = col(meta, 0, "total")?;
    let item_count = col(meta, 0, "items")?;
    if sum != total {
        return Err(format!("sum of counters {sum} != meta.total {total}"));
    }
    if items.rows.len() as i64 != item_count {
        return Err(format!(
            "{} item rows != meta.items {item_count}",
            items.rows.len()
        ));
    }
    Ok((total as u64, item_count as u64))
}

/// Initial content of a stress store.
pub fn stress_seed() -> String {
    let mut text = String::from("# stress store\ncounters |id, value|\n");
    for id in 0..COUNTERS {
        text.push_str(&format!("    {id}, 0\n"));
    }
    text.push_str("items |id, owner|\nmeta |id, total, items|\n    meta, 0, 0\n");
    text
}

// Worker processes (this test binary re-run) and scale knobs come from test-support.
#[allow(unused_imports)] // Each test file uses some of them.
pub use test_support::worker::{killed, path_var as env_path, serve as serve_worker};

/// The number in environment variable `name`, or `default` when it is unset or not a
/// number.
pub fn env_usize(name: &str, default: usize) -> usize {
    test_support::knob::number(name, default)
}

/// The file-name suffixes of a multi-file commit's side files.
pub const COMMIT_SIDE_SUFFIXES: [&str; 3] = [".rs-intent", ".rs-staged", ".rs-journal"];

/// The names of the multi-file commit side files in `dir`, sorted.
pub fn commit_side_files(dir: &Path) -> std::io::Result<Vec<String>> {
    files_left_in(dir, false)
}

/// The names of every file a writer may leave behind in `dir` (commit side files and
/// atomic-io temporary files), sorted.
pub fn side_files(dir: &Path) -> std::io::Result<Vec<String>> {
    files_left_in(dir, true)
}

fn files_left_in(dir: &Path, with_temps: bool) -> std::io::Result<Vec<String>> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let name = entry?.file_name();
        let text = name.to_string_lossy().into_owned();
        if COMMIT_SIDE_SUFFIXES
            .iter()
            .any(|suffix| text.ends_with(suffix))
            || (with_temps && atomic_io::is_temp_name(&name))
        {
            found.push(text);
        }
    }
    found.sort();
    Ok(found)
}

/// The meta totals of the two stress files `a` and `b`, read raw and checked against
/// the stress invariants.
pub fn meta_totals(a: &Path, b: &Path) -> Result<(u64, u64), Box<dyn std::error::Error>> {
    let ta = check_invariants(&sdn_codec::parse(&std::fs::read_to_string(a)?)?)?.0;
    let tb = check_invariants(&sdn_codec::parse(&std::fs::read_to_string(b)?)?)?.0;
    Ok((ta, tb))
}

/// The result of a test that reports failures with `?`.
pub type TestResult = Result<(), Box<dyn std::error::Error>>;

/// Checks that nobody holds `path`'s lock: takes it exclusively (waiting at most 5 s,
/// so a stuck lock fails the test instead of hanging it) and releases it.
pub fn assert_lock_free(path: &Path) -> TestResult {
    let guard = file_lock_free(path)?;
    drop(guard);
    Ok(())
}

/// Takes `path`'s lock exclusively, waiting at most 5 s.
pub fn file_lock_free(path: &Path) -> Result<file_lock::LockGuard, Box<dyn std::error::Error>> {
    Ok(file_lock::FileLock::new(path).exclusive_timeout(Duration::from_secs(5))?)
}
