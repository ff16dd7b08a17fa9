//! The configuration file and what every command needs: the remote, this device and
//! the store's sync.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use cloud_sync::backup::Retention;
use cloud_sync::{Device, FileKind, FileSync, Prefix, RecordSync, Remote, SqliteSync};
use serde::{Deserialize, Serialize};

use crate::failure::{Failure, code};
use crate::table_choice::{self, TableChoice};
use crate::table_choice::{FieldArg, PreferArg};

/// What `init` writes. Holds no secret: S3 credentials come from the AWS_* environment
/// variables at each run.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Config {
    /// The synced store; relative paths are relative to the config file's folder.
    pub store: PathBuf,
    /// Where the remote is.
    pub remote: RemoteConfig,
    /// The folder inside the remote (several stores can share one remote).
    pub prefix: String,
    /// This device's identity file; relative like `store`.
    pub device_file: PathBuf,
    /// What the store is; absent: decided by its extension (`.db`, `.sqlite`,
    /// `.sqlite3` are SQLite databases, anything else an SDN store).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<StoreKind>,
    /// Which backups `cloud-sync backups --prune` keeps unless told otherwise.
    #[serde(default, skip_serializing_if = "Retention::keeps_everything")]
    pub retention: Retention,
    /// (SQLite) tables with their own merge choice, used by every push and pull (a
    /// pull's `--table` wins for that pull); the other tables follow `--prefer`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tables: BTreeMap<String, TableChoice>,
}

/// What kind of file the configured store is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum StoreKind {
    /// An SDN record store, merged record by record.
    Sdn,
    /// A SQLite database, merged row by row by primary key.
    Sqlite,
}

impl StoreKind {
    /// The kind a store path implies by its extension.
    pub fn of_path(path: &Path) -> StoreKind {
        match path.extension().and_then(|e| e.to_str()) {
            Some("db" | "sqlite" | "sqlite3") => StoreKind::Sqlite,
            _ => StoreKind::Sdn,
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RemoteConfig {
    /// A local folder or network share.
    Dir { path: PathBuf },
    /// An S3 bucket (endpoint and region override AWS_ENDPOINT_URL and AWS_REGION).
    S3 {
        bucket: String,
        endpoint: Option<String>,
        region: Option<String>,
    },
}

impl RemoteConfig {
    pub fn describe(&self) -> String {
        match self {
            RemoteConfig::Dir { path } => format!("directory {}", path.display()),
            RemoteConfig::S3 {
                bucket, endpoint, ..
            } => match endpoint {
                Some(endpoint) => format!("s3 bucket {bucket} at {endpoint}"),
                None => format!("s3 bucket {bucket}"),
            },
        }
    }

    pub fn connect(&self, prefix: &str) -> Result<Remote, cloud_sync::Error> {
        let prefix = Prefix::new(prefix)?;
        match self {
            RemoteConfig::Dir { path } => Remote::local_dir(path, prefix),
            #[cfg(feature = "s3")]
            RemoteConfig::S3 {
                bucket,
                endpoint,
                region,
            } => {
                let mut config = cloud_sync::S3Config::from_env(bucket.clone());
                if endpoint.is_some() {
                    config.endpoint = endpoint.clone();
                }
                if region.is_some() {
                    config.region = region.clone();
                }
                Remote::s3(&config, prefix)
            }
            #[cfg(not(feature = "s3"))]
            RemoteConfig::S3 { .. } => Err(cloud_sync::Error::Config {
                reason: cloud_sync::ConfigProblem::MissingFeature { feature: "s3" },
                source: None,
            }),
        }
    }
}

impl Config {
    /// What the store is: the configured kind, else the one its extension implies.
    pub fn store_kind(&self) -> StoreKind {
        self.kind.unwrap_or_else(|| StoreKind::of_path(&self.store))
    }

    pub fn read(path: &Path) -> Result<Config, Failure> {
        let bytes = std::fs::read(path).map_err(|e| {
            Failure::new(
                code::CONFIG,
                format!("cannot read the configuration {}: {e}", path.display()),
                "run `cloud-sync init` first, or point --config (or CLOUD_SYNC_CONFIG) at the file it wrote",
            )
        })?;
        serde_json::from_slice(&bytes).map_err(|e| {
            Failure::new(
                code::CONFIG,
                format!("the configuration {} is not valid: {e}", path.display()),
                "fix it by hand or write it again with `cloud-sync init --force`",
            )
        })
    }

    /// Writes the configuration crash-safely (complete old or complete new file).
    pub fn write(&self, path: &Path) -> Result<(), Failure> {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        atomic_io::write(path, text).map_err(|e| {
            Failure::new(
                code::CONFIG,
                format!(
                    "cannot write the configuration {}: {}",
                    path.display(),
                    crate::failure::chain(&e)
                ),
                "check that the folder exists and is writable",
            )
        })
    }
}

/// Everything a command needs, loaded once.
pub struct Context {
    pub config_path: PathBuf,
    pub config: Config,
    /// The folder relative paths in the configuration are relative to.
    pub base_dir: PathBuf,
    pub remote: Remote,
    pub device: Device,
    /// `--json`: no progress display, no prompts.
    pub json: bool,
}

impl Context {
    pub fn load(config_path: &Path, json: bool) -> Result<Context, Failure> {
        let config = Config::read(config_path)?;
        let base_dir = config_path
            .parent()
            .filter(|dir| !dir.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_owned();
        let remote = config.remote.connect(&config.prefix)?;
        let device_file = base_dir.join(&config.device_file);
        let device = Device::load_or_create(&device_file, "unnamed")?;
        Ok(Context {
            config_path: config_path.to_owned(),
            config,
            base_dir,
            remote,
            device,
            json,
        })
    }

    pub fn store_path(&self) -> PathBuf {
        self.base_dir.join(&self.config.store)
    }

    pub fn device_file(&self) -> PathBuf {
        self.base_dir.join(&self.config.device_file)
    }

    /// The record-level sync of the configured store.
    pub fn record_sync(&self) -> RecordSync {
        RecordSync::new(self.remote.clone(), self.store_path(), self.device.clone())
    }

    /// Whether the configured store is a SQLite database.
    pub fn is_sqlite(&self) -> bool {
        self.config.store_kind() == StoreKind::Sqlite
    }

    /// The row-level sync of the configured SQLite database, with the configured
    /// per-table choices (the rest merges as `pull --prefer merge` does).
    pub fn sqlite_sync(&self) -> SqliteSync {
        let options = table_choice::merge_options(
            PreferArg::Merge,
            FieldArg::Keep,
            None,
            &self.config.tables,
        );
        SqliteSync::new(self.remote.clone(), self.store_path(), self.device.clone())
            .with_options(options)
    }

    /// The whole-file sync underneath either kind (check, backups, restore, log).
    pub fn file_sync(&self) -> FileSync {
        let kind = if self.is_sqlite() {
            FileKind::Sqlite
        } else {
            FileKind::Plain
        };
        FileSync::new(
            self.remote.clone(),
            self.store_path(),
            kind,
            self.device.clone(),
        )
    }
}
