//! Simulated devices editing one SDN TODO store through versioning and syncing it with
//! [`RecordSync`]; shared by the simulation tests.

#![allow(dead_code)]

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

use cloud_sync::{Device, Prefer, RecordSync, Remote, RetryPolicy};
use record_store::Record;
use serde::{Deserialize, Serialize};
use versioning::{Options, VersionedStore, WriterId};

/// The record every device edits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Todo {
    pub id: String,
    pub title: String,
}

impl Record for Todo {
    const TABLE: &'static str = "todos";
    type Key = String;
    fn key(&self) -> String {
        self.id.clone()
    }
}

/// Records every device can update (created once, before the interleaving starts).
pub const SHARED: [&str; 3] = ["s0", "s1", "s2"];

/// One simulated device: its own folder, store, identity and sync.
pub struct SimDevice {
    pub number: usize,
    pub dir: tempfile::TempDir,
    pub sync: RecordSync,
    edits: usize,
}

/// What the devices wrote, to check nothing was lost.
#[derive(Default)]
pub struct Ledger {
    /// Every value written (unique tokens).
    pub written: BTreeSet<String>,
    /// Values a device overwrote while it could see them (their loss is intended).
    pub superseded: BTreeSet<String>,
    /// Heads of successful pushes that published something.
    pub pushed_heads: Vec<String>,
}

pub fn patient_retry() -> RetryPolicy {
    RetryPolicy {
        attempts: 200,
        first_pause: Duration::from_millis(1),
        max_pause: Duration::from_millis(20),
    }
}

impl SimDevice {
    pub fn new(number: usize, remote: &Remote) -> SimDevice {
        let dir = tempfile::tempdir().unwrap();
        let device =
            Device::load_or_create(dir.path().join("device.json"), &format!("device-{number}"))
                .unwrap();
        let sync = RecordSync::new(remote.clone(), dir.path().join("todo.sdn"), device)
            .with_retry(patient_retry());
        SimDevice {
            number,
            dir,
            sync,
            edits: 0,
        }
    }

    pub fn path(&self) -> PathBuf {
        self.sync.path().to_owned()
    }

    fn store(&self) -> VersionedStore {
        let writer = WriterId::new(format!("device-{}", self.number)).unwrap();
        VersionedStore::open(self.path(), Options::new(writer)).unwrap()
    }

    fn token(&mut self, kind: &str) -> String {
        self.edits += 1;
        format!("{kind}-d{}-e{}", self.number, self.edits)
    }

    /// Inserts a record only this device writes.
    pub fn insert(&mut self, ledger: &mut Ledger) {
        let title = self.token("new");
        self.store()
            .insert(Todo {
                id: title.clone(),
                title: title.clone(),
            })
            .unwrap();
        ledger.written.insert(title);
    }

    /// Gives a shared record a new title; the title it replaces was visible here.
    pub fn update_shared(&mut self, which: usize, ledger: &mut Ledger) {
        let title = self.token("upd");
        let store = self.store();
        let key = SHARED[which % SHARED.len()].to_owned();
        let Some(read) = store.get::<Todo>(&key).unwrap() else {
            return;
        };
        ledger.superseded.insert(read.record.title.clone());
        store
            .commit_if(
                &read,
                Todo {
                    title: title.clone(),
                    ..read.record.clone()
                },
            )
            .unwrap();
        ledger.written.insert(title);
    }

    pub fn push(&self, ledger: &mut Ledger) {
        let report = self.sync.push().expect("no push is ever lost or refused");
        if report.push.published {
            ledger.pushed_heads.push(report.push.head);
        }
    }

    pub fn pull(&self) {
        self.sync.pull(Prefer::Merge).expect("pull");
    }

    pub fn text(&self) -> String {
        std::fs::read_to_string(self.path()).unwrap_or_default()
    }
}

/// Devices 0..n sharing `remote`, all starting from one pushed store with the shared
/// records.
pub fn devices(n: usize, remote: &Remote, ledger: &mut Ledger) -> Vec<SimDevice> {
    let devices: Vec<SimDevice> = (0..n).map(|i| SimDevice::new(i, remote)).collect();
    let first = devices[0].store();
    for key in SHARED {
        first
            .insert(Todo {
                id: key.into(),
                title: format!("initial-{key}"),
            })
            .unwrap();
        ledger.written.insert(format!("initial-{key}"));
    }
    devices[0].push(ledger);
    for device in &devices[1..] {
        device.pull();
    }
    devices
}

/// Two rounds of push on every device, then a pull on every device: afterwards all hold
/// the same bytes (asserted) and are up to date.
pub fn converge(devices: &[SimDevice], ledger: &mut Ledger) -> String {
    for _ in 0..2 {
        for device in devices {
            device.push(ledger);
        }
    }
    for device in devices {
        device.pull();
    }
    let text = devices[0].text();
    for device in devices {
        assert_eq!(device.text(), text, "device {} differs", device.number);
        assert_eq!(
            device.sync.check().unwrap().status,
            cloud_sync::SyncStatus::UpToDate
        );
    }
    text
}

/// Every value written is in the final store (as a record or in the conflicts table)
/// unless a device overwrote it while seeing it; every published head is a backup.
pub fn assert_nothing_lost(final_text: &str, ledger: &Ledger, devices: &[SimDevice]) {
    for value in &ledger.written {
        if ledger.superseded.contains(value) {
            continue;
        }
        assert!(
            final_text.contains(value.as_str()),
            "edit {value} lost:\n{final_text}"
        );
    }
    let backups: BTreeSet<String> = devices[0]
        .sync
        .files()
        .backups()
        .unwrap()
        .into_iter()
        .map(|entry| entry.head)
        .collect();
    for head in &ledger.pushed_heads {
        assert!(backups.contains(head), "pushed head {head} has no backup");
    }
}
