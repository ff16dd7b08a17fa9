//! SIGKILL at random points of push and pull: two devices take turns as a worker process
//! (this test binary, `CLOUD_SYNC_CRASH_WORKER=1`) that edits, pushes and pulls in a loop
//! through a local-directory remote until it is killed. After every kill the remote head
//! names a complete snapshot that verifies, the local file is one complete version, the
//! sync state is absent or whole, and at the end one ordinary sync settles everything
//! with no manual step.
//!
//! The same for SQLite databases (`CLOUD_SYNC_SQLITE_CRASH_WORKER=1`): each worker
//! inserts rows and pushes (which pulls and merges row by row first) until killed; after
//! every kill both local databases and the remote head pass SQLite's integrity check,
//! and at the end every row a worker committed is in both databases.

use std::path::{Path, PathBuf};
use std::time::Duration;

use cloud_sync::snapshot::{self, Limits};
use cloud_sync::{
    Device, FileKind, FileSync, Prefix, PullMode, Remote, SqliteSync, SyncStatus, manifest,
};
use rand::Rng;
use rusqlite::Connection;
use test_support::knob;
use test_support::worker::{self, Worker};

fn sync_for(remote_root: &Path, device_dir: &Path) -> FileSync {
    std::fs::create_dir_all(device_dir).unwrap();
    let remote = Remote::local_dir(remote_root, Prefix::new("crash").unwrap()).unwrap();
    let device = Device::load_or_create(device_dir.join("device.json"), "worker").unwrap();
    FileSync::new(remote, device_dir.join("db.sdn"), FileKind::Plain, device)
}

/// Worker: edit, push, pull forever (until killed).
#[test]
fn crash_worker() {
    if worker::role("CLOUD_SYNC_CRASH_WORKER").is_none() {
        return;
    }
    let remote_root = worker::path_var("CLOUD_SYNC_REMOTE");
    let device_dir = worker::path_var("CLOUD_SYNC_DEVICE");
    let sync = sync_for(&remote_root, &device_dir);
    println!("@@ready");
    for round in 0u64.. {
        println!("@@round {round}");
        let status = sync.check().unwrap().status;
        match status {
            SyncStatus::Behind | SyncStatus::Diverged => {
                sync.pull_file(PullMode::OverwriteLocal).unwrap();
            }
            _ => {
                let content = format!("version {round} by {}\n", std::process::id()).repeat(200);
                atomic_io::write(sync.path(), content).unwrap();
                // A pull killed between its apply and its state leaves the state one
                // head behind content that equals the head; an edit on top of that is
                // (correctly, conservatively) a divergence, which the next round pulls.
                match sync.push_file() {
                    Ok(_) | Err(cloud_sync::Error::NotFastForward { .. }) => {}
                    Err(e) => panic!("{e}"),
                }
            }
        }
    }
}

fn check_invariants(remote_root: &Path, devices: &[PathBuf]) {
    let remote = Remote::local_dir(remote_root, Prefix::new("crash").unwrap()).unwrap();
    let limits = Limits::default();
    if let Some(head) = manifest::read(&remote, &limits).unwrap() {
        let content = snapshot::download(&remote, &head.manifest.snapshot, &limits)
            .expect("the head names a complete, verified snapshot");
        assert!(content.starts_with(b"version "));
    }
    for device in devices {
        if let Ok(local) = std::fs::read(device.join("db.sdn")) {
            let text = String::from_utf8(local).unwrap();
            let first = text.lines().next().unwrap();
            assert_eq!(text, format!("{first}\n").repeat(200), "a torn local file");
        }
        if let Ok(state) = std::fs::read(device.join("db.sdn.cloud-sync.json")) {
            serde_json::from_slice::<cloud_sync::SyncState>(&state).expect("a whole sync state");
        }
    }
}

#[test]
fn sigkill_during_push_and_pull_leaves_complete_states_and_the_next_sync_finishes() {
    let kills: usize = knob::number("CLOUD_SYNC_KILLS", 40);
    let dir = tempfile::tempdir().unwrap();
    let remote_root = dir.path().join("remote");
    let devices = [dir.path().join("a"), dir.path().join("b")];
    let mut rng = rand::rng();
    for kill in 0..kills {
        let device = &devices[kill % 2];
        let mut command = worker::command("crash_worker", "CLOUD_SYNC_CRASH_WORKER", "1");
        command
            .env("CLOUD_SYNC_REMOTE", &remote_root)
            .env("CLOUD_SYNC_DEVICE", device);
        let mut worker = Worker::spawn(command, "@@", "crash worker");
        let rounds = rng.random_range(2..5);
        worker.kill_after_rounds(rounds, random_pause(&mut rng), |answer| {
            assert!(answer.starts_with("round"), "worker said {answer:?}");
        });
        check_invariants(&remote_root, &devices);
    }

    let pushes = sync_for(&remote_root, &devices[0]).backups().unwrap().len();
    println!("{kills} kills, {pushes} versions pushed");
    assert!(
        pushes >= kills / 4,
        "the kills must land while the workers sync ({pushes} pushes)"
    );

    // One ordinary sync per device settles everything.
    let syncs: Vec<FileSync> = devices.iter().map(|d| sync_for(&remote_root, d)).collect();
    for sync in &syncs {
        match sync.check().unwrap().status {
            SyncStatus::Ahead | SyncStatus::NoRemoteHead => {
                sync.push_file().unwrap();
            }
            SyncStatus::Behind | SyncStatus::Diverged => {
                sync.pull_file(PullMode::OverwriteLocal).unwrap();
            }
            SyncStatus::UpToDate => {}
        }
    }
    for sync in &syncs {
        if sync.check().unwrap().status != SyncStatus::UpToDate {
            sync.pull_file(PullMode::OverwriteLocal).unwrap();
        }
        assert_eq!(sync.check().unwrap().status, SyncStatus::UpToDate);
    }
    assert_eq!(
        std::fs::read(syncs[0].path()).unwrap(),
        std::fs::read(syncs[1].path()).unwrap()
    );
}

fn sqlite_sync_for(remote_root: &Path, device_dir: &Path) -> SqliteSync {
    std::fs::create_dir_all(device_dir).unwrap();
    let remote = Remote::local_dir(remote_root, Prefix::new("sqlite-crash").unwrap()).unwrap();
    let device = Device::load_or_create(device_dir.join("device.json"), "worker").unwrap();
    SqliteSync::new(remote, device_dir.join("items.db"), device)
}

/// Worker: insert a row, push (pull and merge first), forever (until killed). Each row
/// is announced once committed.
#[test]
fn sqlite_crash_worker() {
    if worker::role("CLOUD_SYNC_SQLITE_CRASH_WORKER").is_none() {
        return;
    }
    let remote_root = worker::path_var("CLOUD_SYNC_REMOTE");
    let device_dir = worker::path_var("CLOUD_SYNC_DEVICE");
    let sync = sqlite_sync_for(&remote_root, &device_dir);
    let db = Connection::open(sync.path()).unwrap();
    println!("@@ready");
    for round in 0u64.. {
        let id = format!("{}-{round}", std::process::id());
        db.execute("INSERT INTO items VALUES (?1, ?2)", (&id, round as i64))
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

fn integrity_ok(db: &Path) {
    let result: String = Connection::open(db)
        .unwrap()
        .query_row("PRAGMA integrity_check", [], |row| row.get(0))
        .unwrap();
    assert_eq!(result, "ok", "{}", db.display());
}

fn item_ids(db: &Path) -> std::collections::BTreeSet<String> {
    let db = Connection::open(db).unwrap();
    let mut rows = db.prepare("SELECT id FROM items").unwrap();
    rows.query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn check_sqlite_invariants(remote_root: &Path, devices: &[PathBuf], scratch: &Path) {
    let remote = Remote::local_dir(remote_root, Prefix::new("sqlite-crash").unwrap()).unwrap();
    let limits = Limits::default();
    if let Some(head) = manifest::read(&remote, &limits).unwrap() {
        let content = snapshot::download(&remote, &head.manifest.snapshot, &limits)
            .expect("the head names a complete, verified snapshot");
        let copy = scratch.join("head.db");
        std::fs::write(&copy, content).unwrap();
        integrity_ok(&copy);
    }
    for device in devices {
        integrity_ok(&device.join("items.db"));
        if let Ok(state) = std::fs::read(device.join("items.db.cloud-sync.json")) {
            serde_json::from_slice::<cloud_sync::SyncState>(&state).expect("a whole sync state");
        }
    }
}

#[test]
fn sigkill_during_sqlite_push_and_merge_keeps_databases_whole_and_loses_no_committed_row() {
    let kills: usize = knob::number("CLOUD_SYNC_KILLS", 40);
    let dir = tempfile::tempdir().unwrap();
    let remote_root = dir.path().join("remote");
    let devices = [dir.path().join("a"), dir.path().join("b")];
    let first = sqlite_sync_for(&remote_root, &devices[0]);
    Connection::open(first.path())
        .unwrap()
        .execute_batch("CREATE TABLE items(id TEXT PRIMARY KEY, round INTEGER NOT NULL);")
        .unwrap();
    first.push().unwrap();
    sqlite_sync_for(&remote_root, &devices[1]).pull().unwrap();

    let mut committed = std::collections::BTreeSet::new();
    let mut rng = rand::rng();
    for kill in 0..kills {
        let mut command =
            worker::command("sqlite_crash_worker", "CLOUD_SYNC_SQLITE_CRASH_WORKER", "1");
        command
            .env("CLOUD_SYNC_REMOTE", &remote_root)
            .env("CLOUD_SYNC_DEVICE", &devices[kill % 2]);
        let mut worker = Worker::spawn(command, "@@", "SQLite crash worker");
        let rounds = rng.random_range(1..4);
        worker.kill_after_rounds(rounds, random_pause(&mut rng), |answer| {
            if let Some(id) = answer.strip_prefix("inserted ") {
                committed.insert(id.to_owned());
            }
        });
        check_sqlite_invariants(&remote_root, &devices, dir.path());
    }

    let pushes = first.files().backups().unwrap().len();
    println!(
        "{kills} kills, {pushes} versions pushed, {} rows",
        committed.len()
    );
    assert!(
        pushes >= kills / 4,
        "the kills must land while the workers sync ({pushes} pushes)"
    );

    // An ordinary push per device, then a pull, settles both on every committed row.
    let syncs: Vec<SqliteSync> = devices
        .iter()
        .map(|d| sqlite_sync_for(&remote_root, d))
        .collect();
    for sync in &syncs {
        sync.push().unwrap();
    }
    syncs[0].pull().unwrap();
    for sync in &syncs {
        assert_eq!(sync.check().unwrap().status, SyncStatus::UpToDate);
        let ids = item_ids(sync.path());
        let lost: Vec<&String> = committed.difference(&ids).collect();
        assert!(lost.is_empty(), "committed rows lost: {lost:?}");
    }
    assert_eq!(item_ids(syncs[0].path()), item_ids(syncs[1].path()));
}

/// Where in the next round a worker is killed: up to 20 ms into it.
fn random_pause(rng: &mut impl Rng) -> Duration {
    Duration::from_micros(rng.random_range(0..20_000))
}
