//! Maintainer automation behind `cargo xtask` (see the workspace README).
//!
//! `demo` shows lost updates and torn reads the naive way and with our crates; `test`
//! runs every test, the phase checklists, a short stress and crash run; `phase N`,
//! `stress`, `crash` and `bench` run one of those in full.
//!
//! xtask drives cargo and the workspace's programs (`demo`, `sdn-conformance`, bench-suite's
//! `multiprocess`); it links none of the crates it checks, so a crate that does not
//! compile fails the steps that need it, not xtask. It links only the result schemas
//! (`bench-results`) the benchmark report is rendered from.

mod bench;
mod conformance;
mod crash;
mod demo;
mod phase;
mod phase_docs;
mod report;
mod stress;
mod test_all;
mod util;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "cargo xtask",
    about = "Maintainer automation for the record-files workspace"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// N processes increment a shared counter file (naive, then file-lock + atomic-io),
    /// then edit a TODO database (baseline, then record-store), then two devices sync it
    /// (timestamp check, then cloud-sync); prints what each lost.
    ///
    /// The arguments go to the demo program (`cargo xtask demo --help` lists them:
    /// `--workers`, `--iters`, `--edits`).
    #[command(disable_help_flag = true)]
    Demo {
        /// Arguments of the demo program.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Every test: cargo test (all targets and doctests), phase checklists, a short
    /// stress and crash run. Ends with `xtask: N passed, M failed`.
    Test,
    /// Phase N's checklist, item by item, with PASS / FAIL / SKIP; or, with
    /// `--write-docs`, rewrite docs/phases.md's checklist tables from the checklists.
    Phase {
        /// The phase number.
        #[arg(required_unless_present = "write_docs")]
        number: Option<u32>,
        /// Regenerate the checklist tables of docs/phases.md instead of running a phase.
        #[arg(long, conflicts_with = "number")]
        write_docs: bool,
    },
    /// Heavy multi-process check: N processes x M locked increments, plus atomic-io's
    /// unlocked-writers torn-file test scaled up.
    Stress {
        /// Worker processes.
        #[arg(long, default_value_t = 8)]
        procs: usize,
        /// Increments per process.
        #[arg(long, default_value_t = 1000)]
        iters: u64,
        /// Iterations of atomic-io's unlocked-writers test (ATOMIC_IO_STRESS_ITERS).
        #[arg(long, default_value_t = 20_000)]
        torn_iters: u64,
    },
    /// Heavy crash run: SIGKILL writers at random points and check the target each time.
    Crash {
        /// SIGKILLs to deliver.
        #[arg(long, default_value_t = 1000)]
        kills: u64,
    },
    /// sdn-codec over the real SDN corpus, each file against its expected outcome.
    Conformance {
        /// The corpus directory (default: the shared corpus beside the repository).
        dir: Option<PathBuf>,
        /// Also write the per-file table as Markdown to this file (e.g.
        /// docs/sdn-conformance.md).
        #[arg(long, value_name = "FILE")]
        markdown: Option<PathBuf>,
    },
    /// Loom model checks of the in-process coordination (file-lock's lock table,
    /// record-store's snapshot cache, versioning's shared clock),
    /// built with `--cfg loom` in a target directory of their own.
    Loom,
    /// Criterion benches and multi-process measurements; rewrites docs/benchmarks.md.
    Bench {
        /// Which benchmarks.
        #[arg(value_enum, default_value = "all")]
        which: bench::Which,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Demo { args } => demo::run(&args),
        Command::Test => {
            let tally = test_all::run();
            println!();
            if tally.skipped > 0 {
                println!("xtask: {} checks skipped (printed SKIPPED)", tally.skipped);
            }
            for failure in &tally.failures {
                println!("xtask: FAILED: {failure}");
            }
            println!("xtask: {} passed, {} failed", tally.passed, tally.failed);
            Ok(tally.failed == 0)
        }
        Command::Phase {
            write_docs: true, ..
        } => phase_docs::write().map(|_| true),
        Command::Phase { number, .. } => phase::run(number.unwrap_or_default()).map(|verdicts| {
            verdicts
                .iter()
                .all(|(_, verdict)| !matches!(verdict, phase::Verdict::Fail(_)))
        }),
        Command::Stress {
            procs,
            iters,
            torn_iters,
        } => stress::run(procs, iters, torn_iters),
        Command::Crash { kills } => crash::run(kills),
        Command::Conformance { dir, markdown } => conformance::run(dir, markdown),
        Command::Loom => test_all::loom(),
        Command::Bench { which } => bench::run(which),
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(err) => {
            eprintln!("xtask: error: {err}");
            ExitCode::FAILURE
        }
    }
}
