//! Checking one corpus directory: each file read, written back canonically and
//! round-tripped as a format-preserving `Document`, against its expected outcome.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::expectations::Expect;

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
