//! `cargo xtask demo`: runs the `demo` program (package `demo`, `crates/demo`): the shared
//! counter, the TODO database and the two syncing devices, each the naive way and with
//! the workspace's crates. xtask only builds it, gives it a fresh scratch directory and
//! passes the sizes through; the program prints the results.

use std::process::Command;

use crate::util::{self, Program};

const DEMO: Program = Program {
    package: "demo",
    bin: "demo",
    release: false,
};

/// Runs the demo; Ok(false) when our design lost or tore anything (or the demo failed:
/// it said why).
pub fn run(workers: usize, iters: u64, edits: u64) -> Result<bool, String> {
    let exe = DEMO.build(true)?;
    let dir = util::scratch_dir("demo")?;
    let mut command = Command::new(exe);
    command
        .arg("--workers")
        .arg(workers.to_string())
        .arg("--iters")
        .arg(iters.to_string())
        .arg("--edits")
        .arg(edits.to_string())
        .arg("--dir")
        .arg(dir);
    util::run_unannounced(command)
}
