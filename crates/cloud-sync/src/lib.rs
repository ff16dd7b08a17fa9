//! cloud-sync (docs below).
#![deny(missing_docs)]

mod check;
mod digest;
mod error;
mod key;
pub mod local_dir;
mod remote;

pub use check::SyncStatus;
pub use digest::sha256_hex;
pub use error::{Error, Operation};
pub use key::{Key, Prefix};
pub use remote::{AsyncRemote, Fetched, ObjectInfo, ObjectVersion, Remote};
#[cfg(feature = "s3")]
pub use remote::{S3Config, Secret};
