//! `sdn-conformance [DIR]` (run by `cargo xtask conformance`): runs `sdn-codec` over a
//! corpus of SDN files and compares each file's outcome with its expectation list: the
//! in-repository fixtures ([`fixtures`]) and the external corpus of real files
//! ([`expectations`]).
//!
//! For every file it prints `accepted  FILE  entries=E tables=T rows=R` or
//! `rejected  FILE  line L col C: message`; an accepted file must also survive a
//! canonical write and read back to an equal value, and a lossless round trip: parsed as a
//! format-preserving `Document` and written back with no edit, it must be byte-identical
//! to the input and hold the same value. A file whose outcome differs from
//! its expectation, or a round-trip failure, is a mismatch and makes [`run`] return
//! `Ok(false)`.

mod check;
mod expectations;
mod fixtures;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use check::{FileResult, check_dir};
use clap::Parser;
use expectations::{EXPECTATIONS, Expect};

#[derive(Parser)]
#[command(
    name = "sdn-conformance",
    about = "sdn-codec over a corpus of SDN files, each file against its expected outcome"
)]
struct Cli {
    /// The corpus directory, checked against the real corpus's expectations (default: the
    /// in-repository fixtures, then the shared corpus beside the repository when present).
    dir: Option<PathBuf>,
    /// Also write the per-file table of the real corpus as Markdown to this file (e.g.
    /// docs/sdn-conformance.md).
    #[arg(long, value_name = "FILE")]
    markdown: Option<PathBuf>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = run(cli.dir).and_then(|(ok, real)| {
        if let Some(file) = &cli.markdown {
            let real = real.ok_or("--markdown needs the real corpus, which is not here")?;
            std::fs::write(file, markdown_report(&real))
                .map_err(|e| format!("write {}: {e}", file.display()))?;
            println!("conformance: wrote {}", file.display());
        }
        Ok(ok)
    });
    match outcome {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(err) => {
            eprintln!("sdn-conformance: error: {err}");
            ExitCode::from(2)
        }
    }
}

/// The workspace root: this package is `<workspace>/crates/sdn-conformance`.
fn workspace_root() -> PathBuf {
    let package = Path::new(env!("CARGO_MANIFEST_DIR"));
    package
        .parent()
        .and_then(Path::parent)
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// The external corpus of real files: `SDN_CORPUS_DIR` when set (as for every crate's
/// tests), else `shared/corpus/sdn/real` beside the repository (which may be absent).
fn default_dir() -> PathBuf {
    test_support::corpus::external(env!("CARGO_MANIFEST_DIR")).unwrap_or_else(|| {
        workspace_root()
            .join("..")
            .join(test_support::corpus::BESIDE_REPOSITORY)
    })
}

/// Runs the conformance check and prints one line per file: whether every file matched
/// its expectation, and the results against the real corpus's expectations when it was
/// checked.
///
/// With a directory, checks that directory against the real corpus's expectations. Without
/// one, checks sdn-codec's in-repository fixtures (always there), then the external corpus
/// beside the repository when it is present.
fn run(dir: Option<PathBuf>) -> Result<(bool, Option<Vec<FileResult>>), String> {
    if let Some(dir) = dir {
        let (ok, results) = run_corpus(&dir, EXPECTATIONS)?;
        return Ok((ok, Some(results)));
    }
    let fixtures = workspace_root().join(fixtures::DIR);
    let (fixtures_ok, _) = run_corpus(&fixtures, fixtures::EXPECTATIONS)?;
    let real = default_dir();
    if !real.is_dir() {
        println!(
            "conformance: no external corpus at {} (an extra when present); the fixtures were checked",
            real.display()
        );
        return Ok((fixtures_ok, None));
    }
    let (real_ok, results) = run_corpus(&real, EXPECTATIONS)?;
    Ok((fixtures_ok && real_ok, Some(results)))
}

/// Checks every file of `dir` against `expectations`, printing one line per file;
/// whether all matched, and the results.
fn run_corpus(
    dir: &Path,
    expectations: &[(&'static str, Expect, &'static str)],
) -> Result<(bool, Vec<FileResult>), String> {
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
    Ok((mismatches == 0, results))
}

/// The per-file result table of the real corpus as Markdown (for
/// `docs/sdn-conformance.md`).
fn markdown_report(results: &[FileResult]) -> String {
    let accepted = results.iter().filter(|r| r.outcome.is_ok()).count();
    let mismatches = results.iter().filter(|r| !r.ok()).count();
    let mut out = String::new();
    let _ = writeln!(out, "# SDN conformance on the real corpus\n");
    let _ = writeln!(
        out,
        "Generated by `cargo xtask conformance` (`crates/sdn-conformance`) over \
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
    for r in results {
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
    out
}
