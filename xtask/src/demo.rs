//! `cargo xtask demo`: runs the `demo` program (package `demo`, `crates/demo`): the shared
//! counter, the TODO database and the two syncing devices, each the naive way and with
//! the workspace's crates. xtask only builds it, gives it a fresh scratch directory and
//! passes the other arguments through; the program prints the results.

use std::process::Command;

use crate::util::{self, Program};

const DEMO: Program = Program {
    package: "demo",
    bin: "demo",
    release: false,
};

/// Runs the demo with `args` (its options: `--workers`, `--iters`, `--edits`, `--help`);
/// Ok(false) when our design lost or tore anything (or the demo failed: it said why).
pub fn run(args: &[String]) -> Result<bool, String> {
    let exe = DEMO.build(true)?;
    let dir = util::scratch_dir("demo")?;
    let mut command = Command::new(exe);
    command.args(args).arg("--dir").arg(dir);
    util::run_unannounced(command)
}
