//! SIGKILL at random points of push and pull: two devices take turns as a worker process
//! (this test binary, `CLOUD_SYNC_CRASH_WORKER=1`) that edits, pushes and pulls in a loop
//! through a local-directory remote until it is killed. After every kill the remote head
//! names a complete snapshot that verifies, the local file is one complete version, the
//! sync state is absent or whole, and at the end one ordinary sync settles everything
//! with no manual step.

use std::path::{Path, PathBuf};
use std::time::Duration;

use cloud_sync::snapshot::{self, Limits};
use cloud_sync::{Device, FileKind, FileSync, Prefix, PullMode, Remote, SyncStatus, manifest};
use rand::Rng;
use test_support::knob;
use test_support::worker::{self, STEP_LIMIT, Worker};

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
        assert_eq!(worker.line(STEP_LIMIT), "ready", "worker did not start");
        // Let it finish a random number of rounds (so progress does not depend on how
        // fast this disk flushes), then kill it at a random point of the next one.
        let rounds = rng.random_range(2..5);
        for _ in 0..rounds {
            let answer = worker.line(STEP_LIMIT);
            assert!(answer.starts_with("round"), "worker said {answer:?}");
        }
        std::thread::sleep(Duration::from_micros(rng.random_range(0..20_000)));
        let status = worker.kill().expect("the worker's exit status");
        assert!(
            !status.success(),
            "the worker died of something else: {status}"
        );
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
