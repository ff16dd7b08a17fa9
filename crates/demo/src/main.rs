//! The problem and the fix, side by side: the scenarios `cargo xtask demo` runs.
//!
//! Part 1 ([`counter`]): N worker processes increment a shared counter file, the naive way
//! and with file-lock + atomic-io, counting lost updates and torn reads.
//!
//! Part 2 ([`todo_db`]): the product itself on a TODO database in SDN, edited concurrently
//! through the baseline design and through record-store.
//!
//! Part 3 ([`sync`]): two devices syncing that database through a local-directory remote,
//! with the original design's timestamp check and with cloud-sync.
//!
//! Exit status: 0 when our design lost and tore nothing, 1 when it did, 2 when a part could
//! not run.

mod counter;
mod sync;
mod table;
mod todo_db;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;

#[derive(Parser)]
#[command(
    name = "demo",
    about = "N processes increment a shared counter file (naive, then file-lock + atomic-io), \
             edit a TODO database (baseline, then record-store), and two devices sync it \
             (timestamp check, then cloud-sync); prints what each lost",
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true
)]
struct Cli {
    #[command(subcommand)]
    internal: Option<Internal>,
    /// Worker processes.
    #[arg(long, default_value_t = 4)]
    workers: usize,
    /// Increments per worker.
    #[arg(long, default_value_t = 500)]
    iters: u64,
    /// TODO database edits per worker.
    #[arg(long, default_value_t = 50)]
    edits: u64,
    /// An empty scratch directory for the demo's files, on a real disk (`cargo xtask demo`
    /// gives one).
    #[arg(long, required = true)]
    dir: Option<PathBuf>,
}

#[derive(clap::Subcommand)]
enum Internal {
    /// A worker process of parts 1 and 2 (internal).
    #[command(hide = true)]
    Worker {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
}

/// Part 3's size: rounds of syncing, and TODOs each device adds per round.
const SYNC_ROUNDS: usize = 10;
const SYNC_TODOS_PER_ROUND: usize = 3;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.internal {
        Some(Internal::Worker { args }) => bench_suite::workers::run(&args).map(|()| true),
        None => match &cli.dir {
            Some(dir) => run(dir, cli.workers, cli.iters, cli.edits),
            None => Err("--dir is required".to_owned()),
        },
    };
    match outcome {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(err) => {
            eprintln!("demo: error: {err}");
            ExitCode::from(2)
        }
    }
}

/// Runs the three parts, each in a directory of its own under `dir`; Ok(false) when our
/// design lost or tore anything.
fn run(dir: &Path, workers: usize, iters: u64, edits: u64) -> Result<bool, String> {
    let part_dir = |name: &str| -> Result<PathBuf, String> {
        let part = dir.join(name);
        std::fs::create_dir_all(&part).map_err(|e| format!("create {}: {e}", part.display()))?;
        Ok(part)
    };
    let counter_ok = counter::run(&part_dir("counter")?, workers, iters)?;
    let todo_ok = todo_db::run(&part_dir("todo")?, workers, edits)?;
    let sync_ok = sync::run(&part_dir("sync")?, SYNC_ROUNDS, SYNC_TODOS_PER_ROUND)?;
    Ok(counter_ok && todo_ok && sync_ok)
}
