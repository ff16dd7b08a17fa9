//! `cargo xtask conformance [DIR] [--markdown FILE]`: runs the `sdn-conformance` program
//! (`crates/sdn-conformance`), which reads every file of the corpus with sdn-codec and
//! compares the outcome with the file's expectation.

use std::path::PathBuf;
use std::process::Command;

use crate::util::{self, Program};

const CONFORMANCE: Program = Program {
    package: "sdn-conformance",
    bin: "sdn-conformance",
    release: false,
};

/// Checks `dir` (default: sdn-codec's in-repository fixtures, then the external corpus when
/// present) and writes the Markdown table to `markdown` when given; Ok(false) on a
/// mismatch.
pub fn run(dir: Option<PathBuf>, markdown: Option<PathBuf>) -> Result<bool, String> {
    let exe = CONFORMANCE.build(true)?;
    let mut command = Command::new(exe);
    command.args(dir);
    if let Some(file) = markdown {
        command.arg("--markdown").arg(file);
    }
    util::run_unannounced(command)
}
