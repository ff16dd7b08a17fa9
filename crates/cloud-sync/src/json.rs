//! Small JSON objects on the remote (backup entries, log entries, device records) and
//! timestamps for their keys.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::Error;
use crate::key::Key;
use crate::remote::Remote;
use crate::snapshot::Limits;

/// Reads and decodes a small object, bounded by `limits.max_metadata`.
pub(crate) fn read<T: DeserializeOwned>(
    remote: &Remote,
    key: &Key,
    what: &'static str,
    limits: &Limits,
) -> Result<T, Error> {
    let fetched = remote.get(key, limits.max_metadata)?;
    serde_json::from_slice(&fetched.bytes).map_err(|source| Error::Decode {
        key: remote.full_key(key),
        what,
        source,
    })
}

/// Reads and decodes every object under `folder` (one list request, then one read per
/// object), in key order.
pub(crate) fn read_all<T: DeserializeOwned>(
    remote: &Remote,
    folder: &str,
    what: &'static str,
    limits: &Limits,
) -> Result<Vec<T>, Error> {
    remote
        .list(Some(&Key::new(folder)?))?
        .iter()
        .map(|info| read(remote, &info.key, what, limits))
        .collect()
}

/// Encodes a value as the bytes of a small object.
pub(crate) fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec_pretty(value).unwrap_or_else(|_| unreachable!("plain data serializes"))
}

/// A timestamp that sorts as text in time order, for keys: `20261201T153000.123456789Z`.
pub(crate) fn key_stamp(time: DateTime<Utc>) -> String {
    time.format("%Y%m%dT%H%M%S%.9fZ").to_string()
}
