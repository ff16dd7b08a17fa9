//! cloud-sync (docs below).
#![deny(missing_docs)]

pub mod backup;
mod check;
pub mod device;
mod digest;
pub mod doctor;
mod error;
mod file_sync;
mod json;
mod key;
pub mod local_dir;
pub mod log;
pub mod manifest;
mod remote;
mod retry;
pub mod snapshot;
mod sqlite;
mod state;

pub use check::SyncStatus;
pub use device::Device;
pub use digest::sha256_hex;
pub use error::{Error, Operation};
pub use file_sync::{CheckReport, FileKind, FileSync, PullMode, PullReport, PushReport};
pub use key::{Key, Prefix};
pub use remote::{AsyncRemote, Fetched, ObjectInfo, ObjectVersion, Remote};
#[cfg(feature = "s3")]
pub use remote::{S3Config, Secret};
pub use retry::{RetryPolicy, retry_lost_races};
pub use state::{LoadedState, SyncState};
