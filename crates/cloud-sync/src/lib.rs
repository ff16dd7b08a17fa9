//! cloud-sync (docs below).
#![deny(missing_docs)]

pub mod backup;
mod check;
pub mod device;
mod digest;
mod error;
mod json;
mod key;
pub mod local_dir;
pub mod log;
pub mod manifest;
mod remote;
pub mod snapshot;
mod sqlite;

pub use check::SyncStatus;
pub use digest::sha256_hex;
pub use error::{Error, Operation};
pub use key::{Key, Prefix};
pub use remote::{AsyncRemote, Fetched, ObjectInfo, ObjectVersion, Remote};
#[cfg(feature = "s3")]
pub use remote::{S3Config, Secret};
