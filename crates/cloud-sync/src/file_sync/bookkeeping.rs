//! What a sync operation leaves behind once the remote head is settled: the local sync
//! state, the sync-log entry and the device record.

use std::io;

use chrono::Utc;

use super::FileSync;
use crate::error::{Error, Operation};
use crate::log::{self, LogEntry, Resolution, SyncKind};
use crate::manifest::Manifest;

impl FileSync {
    /// After the head moved: saves the local sync state (on another thread) while the
    /// sync-log entry and the device record are written (the three are independent, so
    /// they overlap). The remote requests all go out from the calling thread; the other
    /// thread only writes the local file.
    pub(crate) fn record_and_log(
        &self,
        manifest: &Manifest,
        local_sha256: &str,
        kind: SyncKind,
        resolution: Resolution,
        message: &str,
    ) -> Result<Vec<String>, Error> {
        std::thread::scope(|scope| {
            let saved = scope.spawn(|| self.save_state(manifest, local_sha256));
            let warnings = self.bookkeeping(
                kind,
                &manifest.head,
                local_sha256,
                resolution != Resolution::NoConflict,
                resolution,
                message,
            );
            let saved = saved.join().unwrap_or_else(|_| {
                Err(Error::local(
                    Operation::WriteLocal,
                    &self.state_path,
                    io::Error::other("the thread saving the sync state panicked"),
                ))
            });
            saved.map(|()| warnings)
        })
    }

    pub(crate) fn log_entry(
        &self,
        kind: SyncKind,
        head: Option<&str>,
        local_sha256: Option<&str>,
        conflict_detected: bool,
        resolution: Resolution,
        message: &str,
    ) -> LogEntry {
        LogEntry {
            kind,
            time: Utc::now(),
            device: self.device.id.clone(),
            cloud_version: head.map(str::to_owned),
            local_checksum: local_sha256.map(str::to_owned),
            conflict_detected,
            resolution,
            message: message.to_owned(),
        }
    }

    /// The log entry and device record after a successful operation, written at once
    /// (they are independent); their failures are warnings (the operation itself is
    /// complete and recorded locally).
    pub(crate) fn bookkeeping(
        &self,
        kind: SyncKind,
        head: &str,
        local_sha256: &str,
        conflict_detected: bool,
        resolution: Resolution,
        message: &str,
    ) -> Vec<String> {
        let entry = self.log_entry(
            kind,
            Some(head),
            Some(local_sha256),
            conflict_detected,
            resolution,
            message,
        );
        let remote = self.remote.as_async();
        let both = self.remote.block(async {
            Ok(futures_util::future::join(
                log::append_async(remote, &entry),
                self.device.publish_async(remote),
            )
            .await)
        });
        let (logged, published) = match both {
            Ok(both) => both,
            Err(e) => return vec![format!("sync-log entry and device record not written: {e}")],
        };
        let mut warnings = Vec::new();
        if let Err(e) = logged {
            warnings.push(format!("sync-log entry not written: {e}"));
        }
        if let Err(e) = published {
            warnings.push(format!("device record not updated: {e}"));
        }
        warnings
    }
}
