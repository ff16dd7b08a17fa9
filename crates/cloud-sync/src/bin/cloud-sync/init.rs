//! `cloud-sync init`: write the configuration and create this device's identity.

use std::path::{Path, PathBuf};

use cloud_sync::Device;
use serde_json::json;

use crate::backups::RetentionArgs;
use crate::context::{Config, RemoteConfig, StoreKind};
use crate::failure::{Failure, code};
use crate::output::Output;
use crate::table_choice::TableChoice;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The SDN store or SQLite database to sync (created by the first pull if it does not
    /// exist).
    #[arg(long)]
    store: PathBuf,
    /// What the store is [default: by extension: .db, .sqlite, .sqlite3 are SQLite].
    #[arg(long, value_enum)]
    kind: Option<StoreKind>,
    #[command(flatten)]
    retention: RetentionArgs,
    /// A local folder or network share as the remote.
    #[arg(
        long,
        conflicts_with = "s3_bucket",
        required_unless_present = "s3_bucket"
    )]
    dir: Option<PathBuf>,
    /// An S3 bucket as the remote; credentials come from AWS_ACCESS_KEY_ID and
    /// AWS_SECRET_ACCESS_KEY at each run and are never written to the config.
    #[arg(long)]
    s3_bucket: Option<String>,
    /// The S3 endpoint (S3-compatible servers) [default: AWS_ENDPOINT_URL].
    #[arg(long, requires = "s3_bucket")]
    s3_endpoint: Option<String>,
    /// The S3 region [default: AWS_REGION].
    #[arg(long, requires = "s3_bucket")]
    s3_region: Option<String>,
    /// The folder inside the remote.
    #[arg(long, default_value = "default")]
    prefix: String,
    /// This device's name, shown in logs and backups.
    #[arg(long)]
    device: String,
    /// (SQLite) a table's own merge choice, used by every push and pull:
    /// NAME=merge|local|cloud|last-write-wins|error, or merge:FIELD (see `pull --help`).
    /// Repeatable.
    #[arg(long = "table", value_name = "NAME=STRATEGY", value_parser = crate::table_choice::parse_table)]
    tables: Vec<(String, TableChoice)>,
    /// Replace an existing configuration (the device identity is kept).
    #[arg(long)]
    force: bool,
}

pub fn run(config_path: &Path, args: &Args, out: &Output) -> Result<(), Failure> {
    if config_path.exists() && !args.force {
        return Err(Failure::new(
            code::CONFIG,
            format!("{} already exists", config_path.display()),
            "pass --force to replace it (the device identity is kept)",
        ));
    }
    let kind = args.kind.unwrap_or_else(|| StoreKind::of_path(&args.store));
    if !args.tables.is_empty() && kind != StoreKind::Sqlite {
        return Err(Failure::new(
            code::USAGE,
            "--table is for SQLite databases",
            "SDN stores merge record by record; leave --table out",
        ));
    }
    let remote = match (&args.dir, &args.s3_bucket) {
        (Some(dir), _) => {
            std::fs::create_dir_all(dir).map_err(|e| {
                Failure::new(
                    code::CONFIG,
                    format!("cannot create the remote folder {}: {e}", dir.display()),
                    "choose a folder you can write to",
                )
            })?;
            RemoteConfig::Dir {
                path: dir.canonicalize().unwrap_or_else(|_| dir.clone()),
            }
        }
        (None, Some(bucket)) => RemoteConfig::S3 {
            bucket: bucket.clone(),
            endpoint: args.s3_endpoint.clone(),
            region: args.s3_region.clone(),
        },
        (None, None) => unreachable!("clap requires --dir or --s3-bucket"),
    };
    // Validate before anything is written: a bad prefix or endpoint fails here.
    remote.connect(&args.prefix)?;
    let base_dir = config_path
        .parent()
        .filter(|dir| !dir.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let device_file = PathBuf::from("cloud-sync-device.json");
    let store = relative_to(&args.store, base_dir);
    let existed = base_dir.join(&device_file).exists();
    let device = if existed {
        Device::rename(base_dir.join(&device_file), &args.device)?
    } else {
        Device::load_or_create(base_dir.join(&device_file), &args.device)?
    };
    let config = Config {
        store,
        remote,
        prefix: args.prefix.clone(),
        device_file,
        kind: args.kind,
        retention: args.retention.retention(),
        tables: args.tables.iter().cloned().collect(),
    };
    config.write(config_path)?;
    out.emit(
        json!({"config": config_path, "store": config.store, "kind": config.store_kind(), "retention": config.retention, "tables": config.tables, "remote": config.remote.describe(), "prefix": config.prefix, "device": device}),
        || {
            format!(
                "wrote {}\n  store:  {}\n  remote: {} (prefix `{}`)\n  device: {} ({})\nnext: `cloud-sync push` on the device that has the data, `cloud-sync pull` on the others",
                config_path.display(),
                config.store.display(),
                config.remote.describe(),
                config.prefix,
                device.name,
                device.id
            )
        },
    );
    Ok(())
}

/// `path` as the config will store it: absolute paths stay; relative ones are made
/// relative to the config's folder when they are inside it, else absolute.
fn relative_to(path: &Path, base_dir: &Path) -> PathBuf {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_owned());
    let base = std::path::absolute(base_dir).unwrap_or_else(|_| base_dir.to_owned());
    absolute
        .strip_prefix(&base)
        .map(Path::to_owned)
        .unwrap_or(absolute)
}
