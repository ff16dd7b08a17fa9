//! `cargo xtask conformance [DIR]`: runs `sdn-codec` over the real SDN corpus and
//! compares each file's outcome with the expectation list below.
//!
//! For every file it prints `accepted  FILE  entries=E tables=T rows=R` or
//! `rejected  FILE  line L col C: message`; an accepted file must also survive a
//! canonical write and read back to an equal value, and a lossless round trip: parsed as a
//! format-preserving `Document` and written back with no edit, it must be byte-identical
//! to the input and hold the same value. A file whose outcome differs from
//! its expectation, or a round-trip failure, is a mismatch and makes [`run`] return
//! `Ok(false)`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// What a file must do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// Read into the data its author meant.
    Accept,
    /// Rejected with a positioned error.
    Reject,
}

/// Expected outcome per corpus file, with the reason (SPEC section or what the file is).
pub const EXPECTATIONS: &[(&str, Expect, &str)] = &[
    // Tracking databases: canonical named tables, must all be accepted.
    (
        "doc__todo__todo_db.sdn",
        Expect::Accept,
        "todo DB: named table, `./src` cells",
    ),
    (
        "doc__08_tracking__todo__todo_db.cache.sdn",
        Expect::Accept,
        "header-only table",
    ),
    (
        "doc__dashboard__tables__todos.sdn",
        Expect::Accept,
        "dashboard todos, 269 rows",
    ),
    (
        "doc__dashboard__tables__coverage.sdn",
        Expect::Accept,
        "header-only table",
    ),
    (
        "doc__dashboard__tables__plans.sdn",
        Expect::Accept,
        "header-only table",
    ),
    (
        "doc__dashboard__dashboard_db.cache.sdn",
        Expect::Accept,
        "2-column cache table",
    ),
    (
        "doc__feature__feature_db.sdn",
        Expect::Accept,
        "feature DB, multi-word cells",
    ),
    (
        "doc__feature__feature_db__at_002589c.sdn",
        Expect::Accept,
        "two header-only tables",
    ),
    (
        "doc__08_tracking__task__task_db.sdn",
        Expect::Accept,
        "task DB, cells without spaces",
    ),
    (
        "doc__08_tracking__test__test_db_runs.sdn",
        Expect::Accept,
        "test DB, trailing empty cell",
    ),
    (
        "doc__test__grouped_test_db.sdn",
        Expect::Accept,
        "test DB, comment-only rows",
    ),
    (
        "doc__test__sdoctest_db.sdn",
        Expect::Accept,
        "test DB, 16-digit ints",
    ),
    (
        "doc__test__test_db__at_0157db3.sdn",
        Expect::Accept,
        "test DB, `/abs` cells, timestamps",
    ),
    (
        "doc__08_tracking__check__must_check_db.sdn",
        Expect::Accept,
        "check DB: block dict + table",
    ),
    (
        "doc__08_tracking__hardware__hardware_manifest.sdn",
        Expect::Accept,
        "quoted-cell table",
    ),
    (
        "doc__00_llm_process__skill_command__skills__claude__lib__test__tools.sdn",
        Expect::Accept,
        "two generated tables",
    ),
    // Not SDN: other dialects, rejected with what was seen (SPEC §7).
    (
        "doc__08_tracking__api_surface__baseline.sdn",
        Expect::Reject,
        "INI `[section]` headers",
    ),
    (
        "doc__08_tracking__test__resource_usage.sdn",
        Expect::Reject,
        "SDL `name {` blocks",
    ),
    (
        "examples__simple_game__game__data__levels.sdn",
        Expect::Reject,
        "TOML `[level_1]` sections",
    ),
    (
        "doc__spec__grammar__tier_keywords.sdn",
        Expect::Reject,
        "TOML `[a.b]` sections",
    ),
    (
        "test__fixtures__project_sdn_profile__legacy_toml__simple.sdn",
        Expect::Reject,
        "legacy TOML `[lints]`",
    ),
    (
        "test__lib__std__fixtures__sdn__invalid__missing_colon.sdn",
        Expect::Reject,
        "`name Alice`: not an entry",
    ),
    (
        "doc__05_design__stitch_snapshots__sync_mode.sdn",
        Expect::Reject,
        "YAML block scalar `|`",
    ),
    // Duplicate keys are an error by default (SPEC §3).
    (
        "DOT.exp__index.sdn",
        Expect::Reject,
        "duplicate numeric keys (SPEC §3)",
    ),
    (
        "test__fixtures__orchestration__duplicate_key.sdn",
        Expect::Reject,
        "duplicate `name` (upstream negative fixture)",
    ),
    // Configs and fixtures in the SDN grammar (YAML-like blocks, `- ` lists, inline forms).
    (
        "DOT.exp__runs__000200740438__artifacts.sdn",
        Expect::Accept,
        "attribute list read as one plain string (§4)",
    ),
    (
        "DOT.exp__runs__000200740438__meta.sdn",
        Expect::Accept,
        "quoted `\"nil\"` is a string",
    ),
    (
        "config__baremetal__default.sdn",
        Expect::Accept,
        "`/dev/ttyUSB0`, `\"\\n\"`",
    ),
    (
        "config__bootstrap.sdn",
        Expect::Accept,
        "semver, hex hashes as strings",
    ),
    (
        "config__critical_mode.sdn",
        Expect::Accept,
        "comments at many indents",
    ),
    ("config__di.sdn", Expect::Accept, "3-level 2-space nesting"),
    (
        "config__environments__native.sdn",
        Expect::Accept,
        "minimal",
    ),
    (
        "config__log_opt__simple.sdn",
        Expect::Accept,
        "table; `[native-incremental]` cells read as inline arrays (§6)",
    ),
    (
        "config__resources__boards__mlk_s02_100t.sdn",
        Expect::Accept,
        "`256M` strings, negative ints",
    ),
    (
        "config__sdoctest.sdn",
        Expect::Accept,
        "`- dir:` items with continuation keys (§5)",
    ),
    (
        "config__simple.test.sdn",
        Expect::Accept,
        "end-of-line comments, `[]`",
    ),
    (
        "config__themes__theme.sdn",
        Expect::Accept,
        "`- item` lists incl. `table`",
    ),
    (
        "config__var.sdn",
        Expect::Accept,
        "inline dicts with dotted keys",
    ),
    (
        "doc__08_tracking__feature__FEAT-SCV-LIFECYCLE__feature.sdn",
        Expect::Accept,
        "prose values with commas",
    ),
    (
        "doc__08_tracking__os__production_status.sdn",
        Expect::Accept,
        "long unquoted prose",
    ),
    (
        "examples__05_stdlib__spipe__plugin__manifest.sdn",
        Expect::Accept,
        "manifest",
    ),
    (
        "examples__simple_aidev__data__task_queue.sdn",
        Expect::Accept,
        "`tasks:` with no block is null",
    ),
    (
        "examples__ui__minimal.ui.sdn",
        Expect::Accept,
        "nested `- type:` items",
    ),
    (
        "resources__boards__qemu_x86.sdn",
        Expect::Accept,
        "`.text:` keys, `0x...` strings",
    ),
    ("simple__simple.sdn", Expect::Accept, "older manifest"),
    (
        "simple__std_lib__test__fixtures__sdn__collections.sdn",
        Expect::Accept,
        "multi-line inline forms",
    ),
    (
        "src__app__portal__routes.sdn",
        Expect::Accept,
        "`- route:` items",
    ),
    (
        "src__app__simple.sdn",
        Expect::Accept,
        "`- project: ../compiler`",
    ),
    (
        "test__01_unit__common__ui__input_event_conformance__key_press_enter.sdn",
        Expect::Accept,
        "prose with `(\"...\")`",
    ),
    (
        "test__fixtures__model3d__valid_scene.sdn",
        Expect::Accept,
        "deep inline forms",
    ),
    (
        "test__fixtures__parse_dialect_adapters_v1__d01_config.sdn",
        Expect::Accept,
        "inline array and dict",
    ),
    (
        "test__fixtures__scv_merge_corpus__01_disjoint_files__truth.sdn",
        Expect::Accept,
        "prose with a comma",
    ),
    (
        "test__lib__std__fixtures__sdn__primitives.sdn",
        Expect::Accept,
        "every scalar type",
    ),
    (
        "tools__tls_test_server__server.sdn",
        Expect::Accept,
        "quoted `host:port`",
    ),
];

/// One file's result.
#[derive(Debug, Clone)]
pub struct FileResult {
    /// File name.
    pub file: String,
    /// `Ok((entries, tables, rows))` or `Err((line, column, message))`.
    pub outcome: Result<(usize, usize, usize), (usize, usize, String)>,
    /// A problem beyond acceptance: a failed canonical or lossless round trip.
    pub round_trip_problem: Option<String>,
    /// The expectation, if the file is listed.
    pub expected: Option<Expect>,
    /// Why the file is expected to do so.
    pub reason: &'static str,
}

impl FileResult {
    /// True when the outcome matches the expectation and the round trip held.
    pub fn ok(&self) -> bool {
        let accepted = self.outcome.is_ok();
        self.round_trip_problem.is_none()
            && match self.expected {
                Some(Expect::Accept) => accepted,
                Some(Expect::Reject) => !accepted,
                None => false,
            }
    }

    /// The one-line report.
    pub fn line(&self) -> String {
        let mut line = match &self.outcome {
            Ok((e, t, r)) => format!("accepted  {}  entries={e} tables={t} rows={r}", self.file),
            Err((l, c, m)) => format!("rejected  {}  line {l} col {c}: {m}", self.file),
        };
        if let Some(p) = &self.round_trip_problem {
            let _ = write!(line, "  ROUND-TRIP FAILED: {p}");
        }
        match self.expected {
            None => line.push_str("  MISMATCH: file not in the expectation list"),
            Some(e) if !self.ok() && self.round_trip_problem.is_none() => {
                let _ = write!(
                    line,
                    "  MISMATCH: expected {}",
                    if e == Expect::Accept {
                        "accept"
                    } else {
                        "reject"
                    }
                );
            }
            _ => {}
        }
        line
    }
}

fn default_dir() -> PathBuf {
    // xtask's manifest dir is <workspace>/xtask; the corpus is ../shared/... from the
    // workspace root.
    let workspace = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(|d| PathBuf::from(d).join(".."))
        .or_else(|| std::env::current_dir().ok())
        .unwrap_or_else(|| PathBuf::from("."));
    workspace.join("../shared/corpus/sdn/real")
}

/// Checks every `.sdn` file in `dir` against `expectations`.
pub fn check_dir(
    dir: &Path,
    expectations: &[(&'static str, Expect, &'static str)],
) -> Result<Vec<FileResult>, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("reading {}: {e}", dir.display()))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "sdn"))
        .collect();
    files.sort();
    let mut results = Vec::new();
    for path in files {
        let file = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let expectation = expectations.iter().find(|(f, _, _)| *f == file);
        let mut round_trip_problem = None;
        let outcome = match sdn_codec::from_path(&path, &Default::default()) {
            Ok(value) => {
                round_trip_problem = round_trip(&value)
                    .and_then(|()| lossless_round_trip(&path, &value))
                    .err();
                Ok(summarize(&value))
            }
            Err(e) => Err((e.line(), e.column(), e.message().to_owned())),
        };
        results.push(FileResult {
            file,
            outcome,
            round_trip_problem,
            expected: expectation.map(|(_, e, _)| *e),
            reason: expectation.map_or("", |(_, _, r)| r),
        });
    }
    Ok(results)
}

fn round_trip(value: &sdn_codec::Value) -> Result<(), String> {
    let text =
        sdn_codec::to_canonical_string(value).map_err(|e| format!("write: {}", e.message()))?;
    let back = sdn_codec::parse(&text).map_err(|e| format!("re-read: {e}"))?;
    if &back != value {
        return Err("re-read value differs".to_owned());
    }
    let again =
        sdn_codec::to_canonical_string(&back).map_err(|e| format!("rewrite: {}", e.message()))?;
    if again != text {
        return Err("second write differs".to_owned());
    }
    Ok(())
}

/// A no-edit `Document` round trip must reproduce the file byte for byte (comments, blank
/// lines, quoting, line ends) and see the same value as the parser.
fn lossless_round_trip(path: &Path, value: &sdn_codec::Value) -> Result<(), String> {
    let original = std::fs::read_to_string(path).map_err(|e| format!("read: {e}"))?;
    let document = sdn_codec::Document::parse(&original).map_err(|e| format!("document: {e}"))?;
    if document.as_str() != original {
        return Err("document round trip is not byte-identical".to_owned());
    }
    if document.value() != value {
        return Err("document value differs from the parser's".to_owned());
    }
    Ok(())
}

/// (root entries, tables anywhere, table rows anywhere).
fn summarize(value: &sdn_codec::Value) -> (usize, usize, usize) {
    fn walk(v: &sdn_codec::Value, tables: &mut usize, rows: &mut usize) {
        match v {
            sdn_codec::Value::Table(t) => {
                *tables += 1;
                *rows += t.rows.len();
            }
            sdn_codec::Value::Array(a) => a.iter().for_each(|x| walk(x, tables, rows)),
            sdn_codec::Value::Dict(m) => m.values().for_each(|x| walk(x, tables, rows)),
            sdn_codec::Value::Scalar(_) => {}
        }
    }
    let (mut tables, mut rows) = (0, 0);
    walk(value, &mut tables, &mut rows);
    (value.as_dict().map_or(0, |m| m.len()), tables, rows)
}

/// Runs the conformance check and prints one line per file; `Ok(true)` when every file
/// matched its expectation.
///
/// With a directory, checks that directory against the real corpus's expectations. Without
/// one, checks sdn-codec's in-repository fixtures (always there), then the external corpus
/// beside the repository when it is present.
pub fn run(dir: Option<PathBuf>) -> Result<bool, String> {
    if let Some(dir) = dir {
        return run_corpus(&dir, EXPECTATIONS);
    }
    let fixtures = crate::util::workspace_root().join(crate::conformance_fixtures::DIR);
    let fixtures_ok = run_corpus(&fixtures, crate::conformance_fixtures::EXPECTATIONS)?;
    let real = default_dir();
    if !real.is_dir() {
        println!(
            "conformance: no external corpus at {} (an extra when present); the fixtures were checked",
            real.display()
        );
        return Ok(fixtures_ok);
    }
    let real_ok = run_corpus(&real, EXPECTATIONS)?;
    Ok(fixtures_ok && real_ok)
}

/// Checks every file of `dir` against `expectations`, printing one line per file.
fn run_corpus(
    dir: &Path,
    expectations: &[(&'static str, Expect, &'static str)],
) -> Result<bool, String> {
    if !dir.is_dir() {
        return Err(format!("corpus not found at {}", dir.display()));
    }
    println!("conformance: {}", dir.display());
    let results = check_dir(dir, expectations)?;
    for r in &results {
        println!("{}", r.line());
    }
    let missing: Vec<&str> = expectations
        .iter()
        .map(|(f, _, _)| *f)
        .filter(|f| !results.iter().any(|r| r.file == *f))
        .collect();
    for f in &missing {
        println!("missing   {f}  MISMATCH: listed but not found");
    }
    let accepted = results.iter().filter(|r| r.outcome.is_ok()).count();
    let mismatches = results.iter().filter(|r| !r.ok()).count() + missing.len();
    println!(
        "conformance: {} files, {accepted} accepted, {} rejected, {mismatches} mismatches",
        results.len(),
        results.len() - accepted
    );
    Ok(mismatches == 0)
}

/// The per-file result table as Markdown (for `docs/sdn-conformance.md`).
pub fn markdown_report(dir: Option<PathBuf>) -> Result<String, String> {
    let dir = dir.unwrap_or_else(default_dir);
    if !dir.is_dir() {
        return Err(format!("corpus not found at {}", dir.display()));
    }
    let results = check_dir(&dir, EXPECTATIONS)?;
    let accepted = results.iter().filter(|r| r.outcome.is_ok()).count();
    let mismatches = results.iter().filter(|r| !r.ok()).count();
    let mut out = String::new();
    let _ = writeln!(out, "# SDN conformance on the real corpus\n");
    let _ = writeln!(
        out,
        "Generated by `cargo xtask conformance` (`xtask/src/conformance.rs`) over \
         `shared/corpus/sdn/real`: {} files, {accepted} accepted, {} rejected, {mismatches} mismatches \
         against the expectation list. Every accepted file also passes a canonical \
         write → read → write round trip (equal value, identical bytes) and a lossless \
         round trip (parsed as a format-preserving `Document` and written back with no \
         edit: byte-identical to the input, same value).\n",
        results.len(),
        results.len() - accepted
    );
    let _ = writeln!(out, "| file | expected | result | details | why |");
    let _ = writeln!(out, "|---|---|---|---|---|");
    for r in &results {
        let expected = match r.expected {
            Some(Expect::Accept) => "accept",
            Some(Expect::Reject) => "reject",
            None => "(unlisted)",
        };
        let (result, details) = match &r.outcome {
            Ok((e, t, rows)) => ("accepted", format!("entries={e} tables={t} rows={rows}")),
            Err((l, c, m)) => ("rejected", format!("line {l} col {c}: {m}")),
        };
        let mark = if r.ok() { "" } else { " **MISMATCH**" };
        let cell = |s: &str| s.replace('|', "\\|");
        let _ = writeln!(
            out,
            "| `{}` | {expected} | {result}{mark} | {} | {} |",
            r.file,
            cell(&details),
            cell(r.reason)
        );
    }
    Ok(out)
}
