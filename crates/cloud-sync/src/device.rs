//! Device identity: a UUID generated on first use and a name the user chooses, kept in a
//! local file (replaced atomically, created under a lock so two processes starting at
//! once agree on one id), and published on the remote as `devices/<id>.json` with the
//! times it was created and last seen.

use std::fs;
use std::io;
use std::path::Path;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Operation};
use crate::json;
use crate::key::Key;
use crate::local_fs;
use crate::manifest::is_head_id;
use crate::remote::{AsyncRemote, Remote};
use crate::snapshot::Limits;

/// This device, as stored locally.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Device {
    /// A random UUID (hyphenated, lowercase), generated on first use; never changes.
    pub id: String,
    /// The name the user chose.
    pub name: String,
    /// When the identity was created.
    pub created: DateTime<Utc>,
}

/// A device as published on the remote.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceRecord {
    /// The device's id.
    pub id: String,
    /// Its name when it was last seen.
    pub name: String,
    /// When the identity was created.
    pub created: DateTime<Utc>,
    /// When the device last published its record (at each push or pull).
    pub last_seen: DateTime<Utc>,
}

impl Device {
    /// Loads the identity stored at `path`, or creates one named `name` and stores it
    /// (durably, atomically) if there is none. A damaged file is an error, never silently
    /// replaced: the id is how other devices know this one.
    pub fn load_or_create(path: impl AsRef<Path>, name: &str) -> Result<Device, Error> {
        let path = path.as_ref();
        let _guard = lock(path)?;
        if let Some(device) = read(path)? {
            return Ok(device);
        }
        let device = Device {
            id: uuid::Uuid::new_v4().hyphenated().to_string(),
            name: name.to_owned(),
            created: Utc::now(),
        };
        write(path, &device)?;
        Ok(device)
    }

    /// Renames the device stored at `path` (the id stays).
    pub fn rename(path: impl AsRef<Path>, name: &str) -> Result<Device, Error> {
        let path = path.as_ref();
        let _guard = lock(path)?;
        let mut device = read(path)?.ok_or_else(|| {
            Error::local(
                Operation::ReadLocal,
                path,
                io::Error::new(io::ErrorKind::NotFound, "no device identity yet"),
            )
        })?;
        device.name = name.to_owned();
        write(path, &device)?;
        Ok(device)
    }

    /// The key of this device's record.
    pub fn record_key(&self) -> Result<Key, Error> {
        Key::new(format!("devices/{}.json", self.id))
    }

    /// Publishes (overwrites) this device's record with `last_seen` = now.
    pub fn publish(&self, remote: &Remote) -> Result<DeviceRecord, Error> {
        remote.block(self.publish_async(remote.as_async()))
    }

    /// [`Device::publish`] for async callers.
    pub async fn publish_async(&self, remote: &AsyncRemote) -> Result<DeviceRecord, Error> {
        let record = DeviceRecord {
            id: self.id.clone(),
            name: self.name.clone(),
            created: self.created,
            last_seen: Utc::now(),
        };
        remote
            .put_overwrite(&self.record_key()?, json::encode(&record).into())
            .await?;
        Ok(record)
    }
}

/// Every device record on the remote, by id.
pub fn list_devices(remote: &Remote, limits: &Limits) -> Result<Vec<DeviceRecord>, Error> {
    json::read_all(remote, "devices", "device record", limits)
}

fn lock(path: &Path) -> Result<file_lock::LockGuard, Error> {
    local_fs::lock(path, Operation::LockLocal)
}

fn read(path: &Path) -> Result<Option<Device>, Error> {
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::local(Operation::ReadLocal, path, e)),
    };
    let device: Device = serde_json::from_slice(&bytes).map_err(|e| {
        Error::local(
            Operation::ReadLocal,
            path,
            io::Error::new(io::ErrorKind::InvalidData, e),
        )
    })?;
    if !is_head_id(&device.id) {
        return Err(Error::local(
            Operation::ReadLocal,
            path,
            io::Error::new(io::ErrorKind::InvalidData, "the device id is not a UUID"),
        ));
    }
    Ok(Some(device))
}

fn write(path: &Path, device: &Device) -> Result<(), Error> {
    local_fs::replace(path, json::encode(device))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::Prefix;

    #[test]
    fn created_once_then_loaded_renamed_and_published() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("device.json");
        let device = Device::load_or_create(&path, "laptop").unwrap();
        assert_eq!(
            uuid::Uuid::parse_str(&device.id).unwrap().get_version_num(),
            4
        );
        let again = Device::load_or_create(&path, "ignored").unwrap();
        assert_eq!(again, device);
        let renamed = Device::rename(&path, "work laptop").unwrap();
        assert_eq!(
            (renamed.id.as_str(), renamed.name.as_str()),
            (device.id.as_str(), "work laptop")
        );

        let remote = Remote::in_memory(Prefix::new("p").unwrap()).unwrap();
        let record = renamed.publish(&remote).unwrap();
        assert!(record.last_seen >= record.created);
        assert_eq!(
            list_devices(&remote, &Limits::default()).unwrap(),
            vec![record]
        );
    }

    #[test]
    fn a_damaged_identity_is_an_error_not_a_new_id() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("device.json");
        fs::write(&path, b"{ not json").unwrap();
        assert!(matches!(
            Device::load_or_create(&path, "x"),
            Err(Error::Local {
                operation: Operation::ReadLocal,
                ..
            })
        ));
        assert_eq!(fs::read(&path).unwrap(), b"{ not json");
    }
}
