//! `cloud-sync files ...`: content files kept in the cloud and downloaded on demand. The
//! catalogue is the `files` table of the configured store (so it syncs with it); the
//! content root is `--root` (default: `files` next to the configuration).

use std::path::PathBuf;

use cloud_sync::files::{ContentFiles, FileEntry, FilesError, Progress};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;

use crate::context::Context;
use crate::failure::{Failure, chain, code};
use crate::output::Output;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The content root [default: `files` next to the configuration file].
    #[arg(long)]
    root: Option<PathBuf>,
    /// At most this many transfers at once.
    #[arg(long, default_value_t = cloud_sync::files::DEFAULT_PARALLEL)]
    parallel: usize,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Every catalogued file with its availability, computed from local and cloud facts.
    Status,
    /// Register new and changed files under the root, then upload what the cloud lacks.
    Upload,
    /// Print the local path of a file, downloading and verifying it first if needed.
    Open {
        /// The file's path relative to the root.
        path: String,
    },
    /// Download every catalogued file (or those of one type folder).
    DownloadAll {
        /// Only this type folder.
        #[arg(long)]
        folder: Option<String>,
    },
    /// Remove local copies that are safely in the cloud (never a local-only file).
    Evict {
        /// Only this type folder.
        #[arg(long)]
        folder: Option<String>,
    },
    /// Bytes local, in the cloud and only local (at risk), per type folder.
    Du,
}

pub fn run(context: &Context, args: &Args, out: &Output) -> Result<(), Failure> {
    let root = args
        .root
        .clone()
        .unwrap_or_else(|| context.base_dir.join("files"));
    let files = ContentFiles::new(
        root,
        context.store_path(),
        context.remote.clone(),
        context.device.clone(),
    )
    .map_err(failure)?
    .with_parallel(args.parallel);
    let in_folder = |folder: &Option<String>| {
        let folder = folder.clone();
        move |entry: &FileEntry| folder.as_ref().is_none_or(|folder| entry.folder == *folder)
    };
    match &args.command {
        Command::Status => {
            let statuses = files.status().map_err(failure)?;
            out.emit(json!({"files": statuses}), || {
                statuses
                    .iter()
                    .map(|s| {
                        format!(
                            "{:<13} {:>12}  {}{}\n",
                            format!("{:?}", s.availability),
                            s.size,
                            s.path,
                            s.conflict
                                .as_ref()
                                .map(|c| format!("  (conflict: {c})"))
                                .unwrap_or_default()
                        )
                    })
                    .collect()
            });
        }
        Command::Upload => {
            let bar = bar(context.json, "uploading");
            let report = files
                .upload(&|progress| show(&bar, progress))
                .map_err(failure)?;
            bar.finish_and_clear();
            let failed = failed_json(&report.failed);
            out.emit(
                json!({"uploaded": report.uploaded, "busy": report.busy, "failed": failed,
                       "parts_sent": report.counts.parts_sent, "parts_skipped": report.counts.parts_skipped,
                       "bytes_sent": report.counts.bytes_sent}),
                || format!("{} uploaded ({} parts sent, {} already there, {} bytes), {} busy, {} failed\n",
                    report.uploaded.len(), report.counts.parts_sent, report.counts.parts_skipped,
                    report.counts.bytes_sent, report.busy.len(), report.failed.len()),
            );
            if let Some((path, error)) = report.failed.first() {
                return Err(Failure::new(
                    code::FAILED,
                    format!("uploading {path}: {}", chain(error)),
                    "fix the cause and run `cloud-sync files upload` again; finished parts are not sent again",
                ));
            }
        }
        Command::Open { path } => {
            let opened = crate::progress::run("downloading", context.json, || files.open(path))
                .map_err(failure)?;
            // Absolute, so a script can use it from any directory.
            let local = std::fs::canonicalize(&opened.path).unwrap_or(opened.path);
            out.emit(
                json!({"path": local, "downloaded": opened.downloaded}),
                || format!("{}\n", local.display()),
            );
        }
        Command::DownloadAll { folder } => {
            let bar = bar(context.json, "downloading");
            let report = files
                .download_all(&in_folder(folder), &|progress| show(&bar, progress))
                .map_err(failure)?;
            bar.finish_and_clear();
            let failed = failed_json(&report.failed);
            out.emit(json!({"downloaded": report.downloaded, "present": report.present, "failed": failed}), || {
                format!("{} downloaded, {} already local, {} failed\n", report.downloaded.len(), report.present.len(), report.failed.len())
            });
            if let Some((path, error)) = report.failed.first() {
                return Err(Failure::new(
                    code::INTEGRITY,
                    format!("downloading {path}: {}", chain(error)),
                    "see `cloud-sync files status`; a file that fails verification was not written",
                ));
            }
        }
        Command::Evict { folder } => {
            let report = files.evict(&in_folder(folder)).map_err(failure)?;
            let refused: Vec<_> = report
                .refused
                .iter()
                .map(|(path, a)| json!({"path": path, "availability": a}))
                .collect();
            out.emit(json!({"evicted": report.evicted, "freed_bytes": report.freed_bytes, "refused": refused}), || {
                let mut text = format!("{} evicted, {} bytes freed\n", report.evicted.len(), report.freed_bytes);
                for (path, availability) in &report.refused {
                    text.push_str(&format!("kept {path}: {availability:?} (upload it first)\n"));
                }
                text
            });
        }
        Command::Du => {
            let usage = files.usage().map_err(failure)?;
            out.emit(json!({"folders": usage}), || {
                let mut text = format!(
                    "{:<16} {:>14} {:>14} {:>14}\n",
                    "folder", "local", "cloud", "only local"
                );
                for (folder, u) in &usage {
                    let name = if folder.is_empty() {
                        "(root)"
                    } else {
                        folder.as_str()
                    };
                    text.push_str(&format!(
                        "{name:<16} {:>14} {:>14} {:>14}\n",
                        u.local_bytes, u.cloud_bytes, u.local_only_bytes
                    ));
                }
                text
            });
        }
    }
    Ok(())
}

/// Per-file failures as JSON: path and the whole error chain.
fn failed_json(failed: &[(String, FilesError)]) -> Vec<serde_json::Value> {
    failed
        .iter()
        .map(|(path, error)| json!({"path": path, "error": chain(error)}))
        .collect()
}

fn bar(quiet: bool, label: &str) -> ProgressBar {
    if quiet {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template(
            "{msg} [{bar:30}] {bytes}/{total_bytes} {binary_bytes_per_sec}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_message(label.to_owned());
    bar
}

fn show(bar: &ProgressBar, progress: &Progress) {
    bar.set_length(progress.bytes_total);
    bar.set_position(progress.bytes_done);
}

fn failure(error: FilesError) -> Failure {
    let error = match error {
        FilesError::Remote(inner) => return Failure::from(*inner),
        other => other,
    };
    let hint = match &error {
        FilesError::Checksum { .. } | FilesError::InvalidManifest { .. } => (
            code::INTEGRITY,
            "the cloud copy is damaged; run `cloud-sync files upload` on a device that has the file to repair it",
        ),
        FilesError::NotInCatalogue { .. } => (
            code::FAILED,
            "see `cloud-sync files status` for catalogued paths; `cloud-sync files upload` adds new files",
        ),
        FilesError::NotAvailable { .. } => (
            code::FAILED,
            "no device has uploaded this content; upload it from the device that has it",
        ),
        FilesError::NotSafeToEvict { .. } => (code::FAILED, "run `cloud-sync files upload` first"),
        _ => (code::FAILED, "see the message above"),
    };
    Failure::new(hint.0, chain(&error), hint.1)
}
