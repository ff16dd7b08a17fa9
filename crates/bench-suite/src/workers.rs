//! Worker processes: each entry point is one process of a multi-process measurement.
//!
//! A worker is started as `<program> <prefix...> <kind> --key value ...` (see
//! [`crate::coord::Spawner`]) and reports on stdout, one `key=value` line per result, so
//! the coordinator can parse it. [`run`] dispatches on the kind.

use std::collections::HashMap;
use std::fs;
use std::io::{self, BufRead, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use baseline::phase3::{BaselineRecord, Database};
use record_store::Store;

use crate::clock::{monotonic_ns, sleep_until_ns};
use crate::counter;

/// How a read-modify-write of the shared counter file is done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Design {
    /// Read, `fs::write`, no lock: the status quo before phase 1.
    Naive,
    /// `file-lock` exclusive held across the whole read-modify-write, `atomic-io` durable
    /// write.
    Ours,
    /// Like [`Design::Ours`] but with `Durability::AtomicOnly` (no flushes): the same
    /// durability as the baseline, to separate the cost of locking from that of flushing.
    OursAtomicOnly,
    /// The baseline's phase 2: lock around the load, lock again around the save
    /// (phase-1 write, no flush).
    Baseline,
}

impl Design {
    /// The name used on command lines and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Design::Naive => "naive",
            Design::Ours => "ours",
            Design::OursAtomicOnly => "ours-atomic-only",
            Design::Baseline => "baseline",
        }
    }
}

impl FromStr for Design {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "naive" => Ok(Design::Naive),
            "ours" => Ok(Design::Ours),
            "ours-atomic-only" => Ok(Design::OursAtomicOnly),
            "baseline" => Ok(Design::Baseline),
            other => Err(format!(
                "unknown design {other:?} (naive, ours, ours-atomic-only, baseline)"
            )),
        }
    }
}

/// What one increment saw besides its result.
#[derive(Debug, Default, Clone, Copy)]
pub struct Increment {
    /// Reads that did not decode as a complete record and were retried (naive only).
    pub torn_retries: u64,
}

/// The file lock for `path` in our scheme (used by [`Design::Ours`] and
/// [`Design::OursAtomicOnly`]).
pub fn ours_lock(path: &Path) -> file_lock::FileLock {
    file_lock::FileLock::new(path)
}

/// Increments the counter in `path` once, the `design`'s way; `size` is the record size.
pub fn increment_once(
    design: Design,
    path: &Path,
    lock: &file_lock::FileLock,
    size: usize,
) -> Result<Increment, String> {
    let pid = std::process::id();
    match design {
        Design::Naive => {
            let mut torn_retries = 0;
            let value = loop {
                let bytes = fs::read(path).map_err(|e| format!("read {}: {e}", path.display()))?;
                match counter::decode(&bytes) {
                    Some(value) => break value,
                    // A naive program would have to retry too: there is nothing to parse.
                    None if torn_retries < 1_000_000 => torn_retries += 1,
                    None => return Err("counter never readable".to_string()),
                }
            };
            fs::write(path, counter::encode(value + 1, pid, size))
                .map_err(|e| format!("write {}: {e}", path.display()))?;
            Ok(Increment { torn_retries })
        }
        Design::Ours | Design::OursAtomicOnly => {
            let durability = if design == Design::Ours {
                atomic_io::Durability::Durable
            } else {
                atomic_io::Durability::AtomicOnly
            };
            let guard = lock.exclusive().map_err(|e| e.to_string())?;
            let bytes = fs::read(path).map_err(|e| format!("read {}: {e}", path.display()))?;
            let value = counter::decode(&bytes)
                .ok_or_else(|| format!("torn counter under lock in {}", path.display()))?;
            atomic_io::Options::new()
                .durability(durability)
                .write(path, counter::encode(value + 1, pid, size))
                .map_err(|e| e.to_string())?;
            guard.unlock().map_err(|e| e.to_string())?;
            Ok(Increment::default())
        }
        Design::Baseline => {
            let bytes = baseline::phase2::load_phase2(path).map_err(|e| format!("load: {e}"))?;
            let value = counter::decode(&bytes)
                .ok_or_else(|| format!("torn counter in {}", path.display()))?;
            baseline::phase2::save_phase2(path, &counter::encode(value + 1, pid, size))
                .map_err(|e| format!("save: {e}"))?;
            Ok(Increment::default())
        }
    }
}

/// Runs the worker named by `args[0]` with `--key value` options after it.
///
/// Kinds: `increment`, `contention`, `handoff` (see the coordinator functions in
/// [`crate::coord`]), `replace` ([`crate::replace::measure`]) and `todo-edit` (edits of a
/// TODO database, [`TodoDb::bump_line`]).
pub fn run(args: &[String]) -> Result<(), String> {
    let (kind, rest) = args
        .split_first()
        .ok_or("worker kind missing (increment, contention, handoff, replace, todo-edit)")?;
    let options = Options::parse(rest)?;
    match kind.as_str() {
        "increment" => increment_worker(&options),
        "contention" => contention_worker(&options),
        "handoff" => handoff_worker(&options),
        "replace" => replace_worker(&options),
        "todo-edit" => todo_edit_worker(&options),
        other => Err(format!("unknown worker kind {other:?}")),
    }
}

struct Options(HashMap<String, String>);

impl Options {
    fn parse(args: &[String]) -> Result<Options, String> {
        let mut map = HashMap::new();
        let mut iter = args.iter();
        while let Some(key) = iter.next() {
            let key = key
                .strip_prefix("--")
                .ok_or_else(|| format!("expected --option, got {key:?}"))?;
            let value = iter
                .next()
                .ok_or_else(|| format!("--{key} needs a value"))?;
            map.insert(key.to_string(), value.clone());
        }
        Ok(Options(map))
    }

    fn get<T: FromStr>(&self, key: &str) -> Result<T, String>
    where
        T::Err: std::fmt::Display,
    {
        let text = self.0.get(key).ok_or_else(|| format!("--{key} missing"))?;
        text.parse().map_err(|e| format!("--{key} {text:?}: {e}"))
    }
}

/// `increment --design D --file P --iters M --size S --start-ns T`: M increments, then
/// `ops=M torn=K`.
fn increment_worker(options: &Options) -> Result<(), String> {
    let design: Design = options.get("design")?;
    let path: PathBuf = options.get("file")?;
    let iters: u64 = options.get("iters")?;
    let size: usize = options.get("size")?;
    let lock = ours_lock(&path);
    sleep_until_ns(options.get("start-ns")?);
    let mut torn = 0;
    for _ in 0..iters {
        torn += increment_once(design, &path, &lock, size)?.torn_retries;
    }
    println!("ops={iters} torn={torn}");
    Ok(())
}

/// `contention --design D --file P --size S --start-ns T --seconds X`: increments until
/// the end time, then `ops=N errors=E` and `lat=` with every op's latency in ns.
fn contention_worker(options: &Options) -> Result<(), String> {
    let design: Design = options.get("design")?;
    let path: PathBuf = options.get("file")?;
    let size: usize = options.get("size")?;
    let start_ns: u64 = options.get("start-ns")?;
    let seconds: f64 = options.get("seconds")?;
    let end_ns = start_ns + (seconds * 1e9) as u64;
    let lock = ours_lock(&path);
    sleep_until_ns(start_ns);
    let mut latencies = Vec::new();
    let mut errors = 0u64;
    let mut last_error = String::new();
    loop {
        let began = monotonic_ns();
        if began >= end_ns {
            break;
        }
        match increment_once(design, &path, &lock, size) {
            Ok(_) => latencies.push(monotonic_ns() - began),
            Err(err) => {
                errors += 1;
                last_error = err;
            }
        }
    }
    let mut out = io::stdout().lock();
    let write = |out: &mut io::StdoutLock<'_>, text: String| {
        out.write_all(text.as_bytes())
            .map_err(|e| format!("stdout: {e}"))
    };
    write(
        &mut out,
        format!("ops={} errors={errors}\n", latencies.len()),
    )?;
    if !last_error.is_empty() {
        write(&mut out, format!("last_error={last_error}\n"))?;
    }
    let joined: Vec<String> = latencies.iter().map(u64::to_string).collect();
    write(&mut out, format!("lat={}\n", joined.join(",")))
}

/// `replace --dir D --size S --rounds R`: the interleaved durable-replace measurement;
/// prints `<method>_<stat>_ns=` fields for `ours` and `bare` (p50, p95, p99, max, mean).
fn replace_worker(options: &Options) -> Result<(), String> {
    let dir: PathBuf = options.get("dir")?;
    let result = crate::replace::measure(&dir, options.get("size")?, options.get("rounds")?)?;
    for (method, summary) in [("ours", result.atomic_io), ("bare", result.bare)] {
        println!(
            "{method}_p50_ns={} {method}_p95_ns={} {method}_p99_ns={} {method}_max_ns={} {method}_mean_ns={} {method}_count={}",
            summary.p50_ns,
            summary.p95_ns,
            summary.p99_ns,
            summary.max_ns,
            summary.mean_ns,
            summary.count
        );
    }
    Ok(())
}

/// `handoff --design ours|baseline --role holder|waiter --file P`: a line protocol on
/// stdin/stdout driven by [`crate::coord::run_handoff`].
///
/// Holder: `acquire` → takes the lock, prints `held`; `release` → sleeps 1 ms (so the
/// waiter is surely blocked), records the time, releases, prints `released=<ns>`.
/// Waiter: `wait` → prints `waiting`, blocks on the lock, records the time it got it,
/// releases, prints `acquired=<ns>`. Both stop at `quit` or end of input.
fn handoff_worker(options: &Options) -> Result<(), String> {
    let design: Design = options.get("design")?;
    let path: PathBuf = options.get("file")?;
    let role: String = options.get("role")?;
    let lock = ours_lock(&path);
    let stdin = io::stdin();
    let mut out = io::stdout();
    let mut say = |line: String| -> Result<(), String> {
        writeln!(out, "{line}")
            .and_then(|()| out.flush())
            .map_err(|e| format!("stdout: {e}"))
    };
    let mut held: Option<Held> = None;
    for line in stdin.lock().lines() {
        let line = line.map_err(|e| format!("stdin: {e}"))?;
        match (role.as_str(), line.trim()) {
            (_, "quit") => break,
            ("holder", "acquire") => {
                held = Some(Held::take(design, &path, &lock)?);
                say("held".to_string())?;
            }
            ("holder", "release") => {
                let taken = held.take().ok_or("release without acquire")?;
                std::thread::sleep(std::time::Duration::from_millis(1));
                let released = monotonic_ns();
                taken.release()?;
                say(format!("released={released}"))?;
            }
            ("waiter", "wait") => {
                say("waiting".to_string())?;
                let taken = Held::take(design, &path, &lock)?;
                let acquired = monotonic_ns();
                taken.release()?;
                say(format!("acquired={acquired}"))?;
            }
            (role, command) => return Err(format!("{role}: unknown command {command:?}")),
        }
    }
    Ok(())
}

enum Held {
    Ours(file_lock::LockGuard),
    Baseline(baseline::phase2::LockFile),
}

impl Held {
    fn take(design: Design, path: &Path, lock: &file_lock::FileLock) -> Result<Held, String> {
        match design {
            Design::Ours | Design::OursAtomicOnly => {
                lock.exclusive().map(Held::Ours).map_err(|e| e.to_string())
            }
            Design::Baseline => baseline::phase2::LockFile::acquire(path)
                .map(Held::Baseline)
                .map_err(|e| e.to_string()),
            Design::Naive => Err("the naive design has no lock".to_string()),
        }
    }

    fn release(self) -> Result<(), String> {
        match self {
            Held::Ours(guard) => guard.unlock().map_err(|e| e.to_string()),
            Held::Baseline(lock) => lock.release().map_err(|e| e.to_string()),
        }
    }
}

/// The tracking databases' record types, defined once in record-store's `tracking`
/// example: a row of the baseline's TODO database (`doc/todo/todo_db.sdn`, table `todos`)
/// is usable by both designs, serde for record-store and positional cells for the
/// baseline (below).
#[path = "../../record-store/examples/tracking/records.rs"]
#[allow(missing_docs, dead_code)]
mod records;
pub use records::Todo;

impl BaselineRecord for Todo {
    const TABLE: &'static str = "todos";
    const COLUMNS: &'static [&'static str] = &[
        "id",
        "keyword",
        "area",
        "priority",
        "description",
        "file",
        "line",
        "issue",
        "blocked",
        "status",
        "valid",
    ];
    fn key(&self) -> String {
        self.id.to_string()
    }
    fn to_row(&self) -> Vec<String> {
        vec![
            self.id.to_string(),
            self.keyword.clone(),
            self.area.clone(),
            self.priority.clone(),
            self.description.clone(),
            self.file.clone(),
            self.line.map(|line| line.to_string()).unwrap_or_default(),
            self.issue.clone(),
            self.blocked.clone(),
            self.status.clone(),
            self.valid.to_string(),
        ]
    }
    fn from_row(row: &[String]) -> Option<Self> {
        // By position, whatever the header says: the baseline's defining defect.
        let line = match row.get(6)?.as_str() {
            "" => None,
            text => Some(text.parse().ok()?),
        };
        Some(Todo {
            id: row.first()?.parse().ok()?,
            keyword: row.get(1)?.clone(),
            area: row.get(2)?.clone(),
            priority: row.get(3)?.clone(),
            description: row.get(4)?.clone(),
            file: row.get(5)?.clone(),
            line,
            issue: row.get(7)?.clone(),
            blocked: row.get(8)?.clone(),
            status: row.get(9)?.clone(),
            valid: row.get(10)?.parse().ok()?,
        })
    }
}

/// How an edit of the TODO database is done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TodoDesign {
    /// The baseline's phase-3 `Database<T>`: load under the phase-2 lock file, change,
    /// save under the lock file again (not one transaction), rows by position.
    Baseline,
    /// `record_store::Store::update`: one locked, format-preserving, durable transaction.
    RecordStore,
}

impl TodoDesign {
    /// The name used on command lines and in reports.
    pub fn name(self) -> &'static str {
        match self {
            TodoDesign::Baseline => "baseline",
            TodoDesign::RecordStore => "record-store",
        }
    }
}

impl FromStr for TodoDesign {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "baseline" => Ok(TodoDesign::Baseline),
            "record-store" => Ok(TodoDesign::RecordStore),
            other => Err(format!(
                "unknown TODO design {other:?} (baseline, record-store)"
            )),
        }
    }
}

/// An open TODO database, the `design`'s way.
pub enum TodoDb {
    /// The baseline keeps only the path: every edit loads and saves the whole file.
    Baseline(PathBuf),
    /// A record-store handle, opened once.
    RecordStore(Store),
}

impl TodoDb {
    /// Opens the database in `path`.
    pub fn open(design: TodoDesign, path: &Path) -> Result<TodoDb, String> {
        match design {
            TodoDesign::Baseline => Ok(TodoDb::Baseline(path.to_path_buf())),
            TodoDesign::RecordStore => Store::open(path)
                .map(TodoDb::RecordStore)
                .map_err(|e| format!("open {}: {e}", path.display())),
        }
    }

    /// Adds 1 to the `line` of TODO `id` (a missing line counts as 0): one read-modify-write.
    pub fn bump_line(&self, id: u32) -> Result<(), String> {
        match self {
            TodoDb::Baseline(path) => {
                let mut db = Database::<Todo>::load(path)
                    .map_err(|e| format!("load {}: {e}", path.display()))?;
                let mut todo = db
                    .get(&id.to_string())
                    .cloned()
                    .ok_or_else(|| format!("no TODO {id} in {}", path.display()))?;
                todo.line = Some(todo.line.unwrap_or(0) + 1);
                db.insert(todo);
                db.save()
                    .map_err(|e| format!("save {}: {e}", path.display()))
            }
            TodoDb::RecordStore(store) => store
                .update(|tx| {
                    let todo = tx
                        .table::<Todo>()?
                        .get_mut(&id)
                        .ok_or_else(|| record_store::Error::aborted(format!("no TODO {id}")))?;
                    todo.line = Some(todo.line.unwrap_or(0) + 1);
                    Ok::<_, record_store::Error>(())
                })
                .map_err(|e| format!("update {}: {e}", store.path().display())),
        }
    }
}

/// `todo-edit --design D --file P --records R --edits M --seed S --start-ns T`: M edits,
/// each adding 1 to the `line` of a random TODO among ids `1..=R`, then `ops=M`.
fn todo_edit_worker(options: &Options) -> Result<(), String> {
    let design: TodoDesign = options.get("design")?;
    let path: PathBuf = options.get("file")?;
    let records: u32 = options.get("records")?;
    let edits: u64 = options.get("edits")?;
    let mut random = XorShift::new(options.get::<u64>("seed")? ^ u64::from(std::process::id()));
    if records == 0 {
        return Err("--records must be at least 1".to_string());
    }
    let db = TodoDb::open(design, &path)?;
    sleep_until_ns(options.get("start-ns")?);
    for _ in 0..edits {
        let id = 1 + (random.next() % u64::from(records)) as u32;
        db.bump_line(id)?;
    }
    println!("ops={edits}");
    Ok(())
}

/// A tiny xorshift generator: the workers need cheap, varied picks, not good randomness.
struct XorShift(u64);

impl XorShift {
    fn new(seed: u64) -> XorShift {
        // Zero is xorshift's one fixed point.
        XorShift(seed.max(1))
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(line: Option<u32>) -> Todo {
        Todo {
            id: 7,
            keyword: "TODO".into(),
            area: "parser".into(),
            priority: "P1".into(),
            description: "Handle case 7, with a test".into(),
            file: "src/parser/module_7.rs".into(),
            line,
            issue: String::new(),
            blocked: "waiting on parser".into(),
            status: "open".into(),
            valid: true,
        }
    }

    #[test]
    fn baseline_rows_round_trip_and_read_by_position() {
        for todo in [sample(Some(52)), sample(None)] {
            let row = BaselineRecord::to_row(&todo);
            assert_eq!(row.len(), <Todo as BaselineRecord>::COLUMNS.len());
            assert_eq!(Todo::from_row(&row), Some(todo.clone()));
            // An extra trailing cell (a column the type does not know) is ignored.
            let mut longer = row.clone();
            longer.push("ann".into());
            assert_eq!(Todo::from_row(&longer), Some(todo));
        }
        assert_eq!(Todo::from_row(&["7".to_string()]), None);
    }

    #[test]
    fn both_designs_add_one_to_line() {
        let dir = tempfile::tempdir().unwrap();
        for design in [TodoDesign::Baseline, TodoDesign::RecordStore] {
            let path = dir.path().join(format!("{}.sdn", design.name()));
            let rows = vec![BaselineRecord::to_row(&sample(Some(52)))];
            let columns = <Todo as BaselineRecord>::COLUMNS;
            fs::write(&path, baseline::table::write_table("todos", columns, &rows)).unwrap();
            let db = TodoDb::open(design, &path).unwrap();
            db.bump_line(7).unwrap();
            db.bump_line(7).unwrap();
            assert!(db.bump_line(8).is_err(), "{}", design.name());
            // Read back with record-store: its lock sidecar `<file>.lock` stays on disk, and
            // the baseline would take that file for a held lock.
            let snapshot = Store::open(&path).unwrap().read().unwrap();
            let todos = snapshot.table::<Todo>().unwrap();
            assert_eq!(todos.get(&7).unwrap().line, Some(54), "{}", design.name());
            assert_eq!(design.name().parse::<TodoDesign>(), Ok(design));
        }
    }
}
