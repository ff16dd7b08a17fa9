//! `cloud-sync`: sync an SDN record store or a SQLite database between devices through a
//! local directory or an S3 bucket, from the terminal.
//!
//! Each command group lives in its own module; [`context::Context`] (the loaded
//! configuration, the remote and this device) is shared by all of them. Adding a group
//! means one variant in [`Command`], one arm in [`run`] and one module.

mod backups;
mod context;
mod device;
mod diff;
mod doctor;
mod failure;
mod files;
mod init;
mod log;
mod output;
mod progress;
mod pull_args;
mod status;
mod sync_records;
mod sync_report;
mod sync_sqlite;
mod table_choice;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::context::Context;
use crate::failure::Failure;
use crate::output::Output;

/// Sync an SDN record store or a SQLite database between devices through a local
/// directory or S3, merging record by record (row by row) and losing nothing.
#[derive(Debug, Parser)]
#[command(name = "cloud-sync", version, about)]
struct Cli {
    /// The configuration file written by `init` [default: $CLOUD_SYNC_CONFIG, else
    /// ./cloud-sync.json].
    #[arg(
        long,
        global = true,
        env = "CLOUD_SYNC_CONFIG",
        default_value = "cloud-sync.json"
    )]
    config: PathBuf,
    /// Print one JSON document on stdout instead of text (for scripts).
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Configure the store, the remote and this device's name.
    Init(init::Args),
    /// Show or rename this device.
    #[command(subcommand)]
    Device(device::Command),
    /// Device, last sync, how local and remote relate, pending local changes.
    Status,
    /// Publish local changes (pulling and merging first when the remote moved on).
    Push,
    /// Bring remote changes into the local store.
    Pull(pull_args::PullArgs),
    /// How local and remote relate, from the manifest alone (pulls nothing).
    Check,
    /// Records added, modified and removed per table between the remote head (or a
    /// backup) and the local store.
    Diff(diff::Args),
    /// List the backups on the remote, or prune them (--prune) by count and age.
    Backups(backups::ListArgs),
    /// Make a backup the remote head again and apply it locally.
    Restore(backups::RestoreArgs),
    /// Show the sync log.
    Log(log::Args),
    /// Probe whether the remote enforces conditional writes.
    Doctor,
    /// Content files in the cloud, downloaded on demand: status, upload, open,
    /// download-all, evict, du.
    Files(files::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let out = Output::new(cli.json);
    match run(&cli, &out) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            out.failure(&failure);
            ExitCode::from(failure.code)
        }
    }
}

fn run(cli: &Cli, out: &Output) -> Result<(), Failure> {
    if let Command::Init(args) = &cli.command {
        return init::run(&cli.config, args, out);
    }
    let context = Context::load(&cli.config, cli.json)?;
    match &cli.command {
        Command::Init(_) => unreachable!("handled above"),
        Command::Device(command) => device::run(&context, command, out),
        Command::Status => status::status(&context, out),
        Command::Push if context.is_sqlite() => sync_sqlite::push(&context, out),
        Command::Push => sync_records::push(&context, out),
        Command::Pull(args) if context.is_sqlite() => sync_sqlite::pull(&context, args, out),
        Command::Pull(args) => sync_records::pull(&context, args, out),
        Command::Check => status::check(&context, out),
        Command::Diff(args) => diff::run(&context, args, out),
        Command::Backups(args) => backups::list(&context, args, out),
        Command::Restore(args) => backups::restore(&context, args, out),
        Command::Log(args) => log::run(&context, args, out),
        Command::Doctor => doctor::run(&context, out),
        Command::Files(args) => files::run(&context, args, out),
    }
}
