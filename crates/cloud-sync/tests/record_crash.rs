//! SIGKILL at random points of SDN record-store syncs: two devices take turns as a
//! worker process (this test binary, `CLOUD_SYNC_RECORD_CRASH_WORKER=1`) that commits a
//! record through record-store and pushes (pulling and merging through the store's
//! commit pipeline first) in a loop through a local-directory remote until it is killed.
//! After every kill both local stores read as whole stores (a pull's commit leaves the
//! complete old or new file), the remote head is a verified snapshot that parses, and
//! the sync state is absent or whole; at the end ordinary syncs settle both devices on
//! the same bytes with every record a worker committed.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use cloud_sync::snapshot::{self, Limits};
use cloud_sync::{Device, Prefer, Prefix, RecordSync, Remote, SyncStatus, manifest};
use rand::Rng;
use record_store::{Record, Store};
use serde::{Deserialize, Serialize};
use test_support::knob;
use test_support::worker::{self, Worker};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Item {
    id: String,
    round: u64,
}

impl Record for Item {
    const TABLE: &'static str = "items";
    type Key = String;
    fn key(&self) -> String {
        self.id.clone()
    }
}

fn record_sync_for(remote_root: &Path, device_dir: &Path) -> RecordSync {
    std::fs::create_dir_all(device_dir).unwrap();
    let remote = Remote::local_dir(remote_root, Prefix::new("record-crash").unwrap()).unwrap();
    let device = Device::load_or_create(device_dir.join("device.json"), "worker").unwrap();
    RecordSync::new(remote, device_dir.join("items.sdn"), device)
}

/// Worker: commit a record, push (pull and merge first), forever (until killed). Each
/// record is announced once committed.
#[test]
fn record_crash_worker() {
    if worker::role("CLOUD_SYNC_RECORD_CRASH_WORKER").is_none() {
        return;
    }
    let remote_root = worker::path_var("CLOUD_SYNC_REMOTE");
    let device_dir = worker::path_var("CLOUD_SYNC_DEVICE");
    let sync = record_sync_for(&remote_root, &device_dir);
    let store = Store::open(sync.path()).unwrap();
    println!("@@ready");
    for round in 0u64.. {
        let id = format!("{}-{round}", std::process::id());
        store
            .update(|tx| {
                tx.table::<Item>()?.insert(Item {
                    id: id.clone(),
                    round,
                })
            })
            .unwrap();
        println!("@@inserted {id}");
        match sync.push() {
            Ok(_) => {}
            Err(e) if e.is_lost_race() => {}
            Err(e) => panic!("{e}"),
        }
        println!("@@round {round}");
    }
}

fn item_ids(store: &Path) -> BTreeSet<String> {
    let snapshot = Store::open(store).unwrap().read().unwrap();
    let items = snapshot.table::<Item>().unwrap();
    items.keys().cloned().collect()
}

fn check_invariants(remote_root: &Path, devices: &[PathBuf]) {
    let remote = Remote::local_dir(remote_root, Prefix::new("record-crash").unwrap()).unwrap();
    let limits = Limits::default();
    if let Some(head) = manifest::read(&remote, &limits).unwrap() {
        let content = snapshot::download(&remote, &head.manifest.snapshot, &limits)
            .expect("the head names a complete, verified snapshot");
        sdn_codec::parse(std::str::from_utf8(&content).unwrap()).expect("the head parses");
    }
    for device in devices {
        let store = device.join("items.sdn");
        if store.exists() {
            // A whole store: it parses and its records read (a torn file would not).
            item_ids(&store);
        }
        if let Ok(state) = std::fs::read(device.join("items.sdn.cloud-sync.json")) {
            serde_json::from_slice::<cloud_sync::SyncState>(&state).expect("a whole sync state");
        }
    }
}

#[test]
fn sigkill_during_record_pushes_and_merges_keeps_stores_whole_and_loses_no_committed_record() {
    let kills: usize = knob::number("CLOUD_SYNC_KILLS", 40);
    let dir = tempfile::tempdir().unwrap();
    let remote_root = dir.path().join("remote");
    let devices = [dir.path().join("a"), dir.path().join("b")];
    let first = record_sync_for(&remote_root, &devices[0]);
    std::fs::write(first.path(), "items |id, round|\n    seed, 0\n").unwrap();
    first.push().unwrap();
    record_sync_for(&remote_root, &devices[1])
        .pull(Prefer::Merge)
        .unwrap();

    let mut committed = BTreeSet::from(["seed".to_owned()]);
    let mut rng = rand::rng();
    for kill in 0..kills {
        let mut command =
            worker::command("record_crash_worker", "CLOUD_SYNC_RECORD_CRASH_WORKER", "1");
        command
            .env("CLOUD_SYNC_REMOTE", &remote_root)
            .env("CLOUD_SYNC_DEVICE", &devices[kill % 2]);
        let mut worker = Worker::spawn(command, "@@", "record crash worker");
        let rounds = rng.random_range(1..4);
        worker.kill_after_rounds(rounds, random_pause(&mut rng), |answer| {
            if let Some(id) = answer.strip_prefix("inserted ") {
                committed.insert(id.to_owned());
            }
        });
        check_invariants(&remote_root, &devices);
    }

    let pushes = first.files().backups().unwrap().len();
    println!(
        "{kills} kills, {pushes} versions pushed, {} records",
        committed.len()
    );
    assert!(
        pushes >= kills / 4,
        "the kills must land while the workers sync ({pushes} pushes)"
    );

    // An ordinary push per device, then a pull, settles both on every committed record.
    let syncs: Vec<RecordSync> = devices
        .iter()
        .map(|d| record_sync_for(&remote_root, d))
        .collect();
    for sync in &syncs {
        sync.push().unwrap();
    }
    syncs[0].pull(Prefer::Merge).unwrap();
    for sync in &syncs {
        assert_eq!(sync.check().unwrap().status, SyncStatus::UpToDate);
        let ids = item_ids(sync.path());
        let lost: Vec<&String> = committed.difference(&ids).collect();
        assert!(lost.is_empty(), "committed records lost: {lost:?}");
    }
    assert_eq!(
        std::fs::read(syncs[0].path()).unwrap(),
        std::fs::read(syncs[1].path()).unwrap()
    );
}

/// Where in the next round a worker is killed: up to 20 ms into it.
fn random_pause(rng: &mut impl Rng) -> Duration {
    Duration::from_micros(rng.random_range(0..20_000))
}
