//! Writes `docs/benchmarks.md` and its SVG plots from criterion's and our own figures.
//!
//! One module per section of the report (`io`, `lock`, `contention`, `sdn`, `store` and
//! `store_scaling`, `versioning`, `files`, `sync`, `other`, after `machine`), built from
//! [`format`](mod@format)'s helpers over [`criterion`]'s results and the stored figures of
//! `bench_results`; [`previous`] keeps what a partial run did not measure. The
//! fixed text of each section is a Markdown file in `xtask/templates/benchmarks/` that the
//! section fills with its tables and figures ([`template`](mod@template)); the code holds only what is
//! computed (table rows, ratios, goal verdicts) and which parts apply.

mod contention;
mod criterion;
mod files;
mod format;
mod io;
mod lock;
mod machine;
mod other;
mod previous;
mod sdn;
mod store;
mod store_scaling;
mod svg;
mod sync;
mod template;
mod versioning;

use std::fs;
use std::path::Path;

use bench_results::{self as results, BenchFiles, StoreResults, Stored};

use self::criterion::{CriterionResult, read_criterion};
use self::previous::keep_measured_sections;
use self::template::template;

/// Rewrites `benchmarks.md` and its plots in `docs` from the figures stored under `target`
/// (criterion's `criterion/` and our `xtask-bench/`), measuring nothing.
pub fn render(target: &Path, docs: &Path) -> Result<(), String> {
    let criterion = read_criterion(&target.join("criterion"));
    let dir = target.join("xtask-bench");
    let files = BenchFiles {
        store: read_json(&dir, results::STORE_FILE),
        sdn: read_json(&dir, results::SDN_FILE),
        versioning: read_json(&dir, results::VERSIONING_FILE),
        files: read_json(&dir, results::FILES_FILE),
        sync: read_json(&dir, results::SYNC_FILE),
    };
    write(docs, &criterion, &Stored::load(&dir), &files)
}

/// The figures of `<dir>/<name>`; none when the bench has not run, and none with a note
/// when the file does not parse (a schema older than this report's).
fn read_json<T: serde::de::DeserializeOwned>(dir: &Path, name: &str) -> Option<T> {
    let path = dir.join(name);
    let bytes = fs::read(&path).ok()?;
    match serde_json::from_slice(&bytes) {
        Ok(value) => Some(value),
        Err(e) => {
            println!("bench: ignoring {}: {e}", path.display());
            None
        }
    }
}

/// Writes `benchmarks.md` and the SVG plots into `docs`.
fn write(
    docs: &Path,
    criterion: &[CriterionResult],
    stored: &Stored,
    files: &BenchFiles,
) -> Result<(), String> {
    fs::create_dir_all(docs).map_err(|e| format!("create {}: {e}", docs.display()))?;
    let mut md = String::new();
    md.push_str(template!("intro.md").text("intro"));
    machine::section(&mut md);
    io::section(&mut md, criterion, &stored.replace);
    lock::section(&mut md, criterion, &stored.handoff);
    contention::section(&mut md, &stored.contention);
    sdn::section(&mut md, criterion, files.sdn.as_ref());
    store::section(
        &mut md,
        criterion,
        files.store.as_ref().unwrap_or(&StoreResults::default()),
    );
    versioning::section(&mut md, files.versioning.as_ref());
    files::section(&mut md, files.files.as_ref());
    sync::section(&mut md, files.sync.as_ref());
    other::section(&mut md, criterion);

    if !stored.contention.is_empty() {
        let svg = svg::contention_chart(&stored.contention);
        write_file(&docs.join("benchmarks-contention.svg"), &svg)?;
    }
    if !stored.handoff.is_empty() {
        let svg = svg::handoff_chart(&stored.handoff);
        write_file(&docs.join("benchmarks-handoff.svg"), &svg)?;
    }
    if let Some(contention) = files.store.as_ref().and_then(|s| s.contention.as_ref()) {
        let svg = store::contention_chart(contention);
        write_file(&docs.join("benchmarks-store-contention.svg"), &svg)?;
    }
    let path = docs.join("benchmarks.md");
    let previous = fs::read_to_string(&path).unwrap_or_default();
    let (md, kept) = keep_measured_sections(&md, &previous);
    for heading in kept {
        println!(
            "bench: kept the previous text of `{heading}` (its figures are not in this \
             checkout's target/)"
        );
    }
    write_file(&path, &md)
}

fn write_file(path: &Path, text: &str) -> Result<(), String> {
    fs::write(path, text).map_err(|e| format!("write {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::criterion::tests::criterion_row;
    use crate::report::format::NOT_MEASURED;
    use crate::report::previous::sections;

    /// Renders the report from `xtask/fixtures/bench-inputs` (a hand-made set of every
    /// kind of stored figure) and checks lines of each section.
    #[test]
    fn the_report_renders_from_stored_figures() {
        let inputs = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/bench-inputs");
        let docs = tempfile::tempdir().unwrap();
        render(&inputs, docs.path()).unwrap();
        let md = fs::read_to_string(docs.path().join("benchmarks.md")).unwrap();
        for line in [
            "# Benchmarks",
            "| baseline phase 1 (not durable) | 35.0 µs | 56.0 µs |",
            "| 40 KiB | 200 | 3.10 ms | 2.50 ms | 3.20 ms | 2.60 ms | 5.00 ms | 4.90 ms | **1.24x** (goal ≤ 1.1x: **not met**) |",
            "file-lock hand-off p50 45.0 µs (goal < 200 µs: **met**).",
            "- lost updates over all points: ours (both variants) **0**, baseline **15750**.",
            "| deserialize into `Vec<Todo>` | 12.12 ms | 14.55 ms | **1.20x** (**met**) | 11.71 ms | 16.02 ms | **1.37x** (**met**) |",
            "- record-store at 8 processes keeps **75%** of its 1-process throughput (goal ≥ 70%: **met**).",
            "| 150 | 21 KiB | 2.40 ms (100) | 2.20 ms | 1.09x | 3.00 ms | 300.0 µs | 3.50 ms | 4.50 ms | **12.0x** (0.2 MiB) | 2.0x (0.0 MiB) | 1.5x (0.0 MiB) | 3.0x (0.1 MiB) | 2.5x |",
            "| 500.0 µs | 540.0 µs | 1.08x (met) |",
            "| 1,000 files of 4 KiB | 4096000 | 2.00 s | 1.00 s | 2.00x | 4.00 s | 0.50x | 1.50 s | 1.00 s | 1.50x | 3.00 s | 0.50x | 2.00x |",
            "Push of an unchanged database: **1** request(s) (GET 1, HEAD 0, PUT 0, LIST 0, other 0) in 2.00 ms; goal one manifest request: **met**.",
            "| misc_group | other | 5.60 s | 5.43 s |",
        ] {
            assert!(md.lines().any(|l| l == line), "missing {line:?} in\n{md}");
        }
        assert!(!md.contains("Not measured yet"), "{md}");
        for chart in ["contention", "handoff", "store-contention"] {
            let svg = fs::read_to_string(docs.path().join(format!("benchmarks-{chart}.svg")));
            assert!(svg.unwrap().starts_with("<svg"), "{chart}");
        }
    }

    /// The whole report rendered from the fixtures, but for its machine section, and its
    /// plots, byte for byte as `xtask/fixtures/bench-report/` holds them (made by the
    /// report before its text moved to templates). After a deliberate change of the
    /// report, `UPDATE_EXPECT=1 cargo test -p xtask` rewrites them.
    #[test]
    fn the_report_renders_as_the_expected_files() {
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        let docs = tempfile::tempdir().unwrap();
        render(&fixtures.join("bench-inputs"), docs.path()).unwrap();
        let expected_dir = fixtures.join("bench-report");
        let update = std::env::var_os("UPDATE_EXPECT").is_some();
        for file in [
            "benchmarks.md",
            "benchmarks-contention.svg",
            "benchmarks-handoff.svg",
            "benchmarks-store-contention.svg",
        ] {
            let mut rendered = fs::read_to_string(docs.path().join(file)).unwrap();
            if file == "benchmarks.md" {
                // The machine section describes the machine the test runs on.
                rendered = sections(&rendered)
                    .into_iter()
                    .filter(|section| !section.starts_with("## Machine\n"))
                    .collect();
            }
            let expected_path = expected_dir.join(file);
            if update {
                fs::write(&expected_path, &rendered).unwrap();
            }
            let expected = fs::read_to_string(&expected_path).unwrap();
            if let Some((line, (got, want))) = rendered
                .lines()
                .zip(expected.lines())
                .enumerate()
                .find(|(_, (got, want))| got != want)
            {
                panic!("{file} line {}:\n got: {got}\nwant: {want}", line + 1);
            }
            assert_eq!(rendered, expected, "{file}");
        }
    }

    /// Only criterion's figures: the sections say what is missing instead of their
    /// figures, from the templates' fragments for that case.
    #[test]
    fn the_report_renders_from_criterion_figures_alone() {
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/bench-inputs");
        let target = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(fixtures.join("criterion"), target.path().join("criterion"))
            .unwrap();
        let docs = tempfile::tempdir().unwrap();
        render(target.path(), docs.path()).unwrap();
        let md = fs::read_to_string(docs.path().join("benchmarks.md")).unwrap();
        for text in [
            "(`sdn.json` is missing: the interleaved check and the peak memory appear after `cargo xtask bench sdn`.)",
            "## 3. Read-modify-durable-write under contention (bench `contention`)\n\nNot measured yet: run `cargo xtask bench contention`.",
            "- throughput at 8 processes: not measured yet.\n- lost updates: not measured yet.\n",
            "### Cross-process hand-off latency\n\nNot measured yet: run `cargo xtask bench lock`.",
            "## 6. Versioning (bench `versioning`)\n\nNot measured yet",
        ] {
            assert!(md.contains(text), "missing {text:?} in\n{md}");
        }
        assert!(!docs.path().join("benchmarks-handoff.svg").exists());
    }

    #[test]
    fn rewriting_the_report_keeps_figures_absent_from_target() {
        let docs = tempfile::tempdir().unwrap();
        let criterion = [criterion_row("durable_replace_4KiB", "atomic_io", 1_000.0)];
        let files = BenchFiles {
            versioning: Some(serde_json::json!({})),
            ..BenchFiles::default()
        };
        write(docs.path(), &criterion, &Stored::default(), &files).unwrap();
        let measured = fs::read_to_string(docs.path().join("benchmarks.md")).unwrap();
        let section = |md: &str, heading: &str| {
            sections(md)
                .into_iter()
                .find(|s| s.starts_with(heading))
                .map(str::to_owned)
                .unwrap()
        };
        for heading in ["## 1.", "## 6."] {
            assert!(!section(&measured, heading).contains(NOT_MEASURED));
        }

        write(docs.path(), &[], &Stored::default(), &BenchFiles::default()).unwrap();
        let rewritten = fs::read_to_string(docs.path().join("benchmarks.md")).unwrap();
        for heading in ["## 1.", "## 6."] {
            assert_eq!(section(&rewritten, heading), section(&measured, heading));
        }
        assert!(section(&rewritten, "## 7.").contains(NOT_MEASURED));
    }
}
