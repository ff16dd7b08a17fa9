//! Backup retention by count and by age: old backups and the snapshots only they name
//! are deleted; the head's backup and every snapshot a kept backup names survive. A
//! prune and pushes that reuse a stored snapshot stay out of each other's way through
//! the prune lease.

use std::time::{Duration, Instant, SystemTime};

use chrono::Utc;
use cloud_sync::backup::{self, BackupReason, Retention};
use cloud_sync::{Device, FileKind, FileSync, Key, Prefix, PullMode, Remote, snapshot};

fn setup() -> (tempfile::TempDir, Remote, FileSync) {
    let dir = tempfile::tempdir().unwrap();
    let remote =
        Remote::local_dir(dir.path().join("remote"), Prefix::new("todo").unwrap()).unwrap();
    let device = Device::load_or_create(dir.path().join("device.json"), "laptop").unwrap();
    let sync = FileSync::new(
        remote.clone(),
        dir.path().join("todo.sdn"),
        FileKind::Plain,
        device,
    );
    (dir, remote, sync)
}

fn push(sync: &FileSync, n: usize) -> String {
    std::fs::write(sync.path(), format!("todo |id, title|\n  1, version {n}\n")).unwrap();
    sync.push_file().unwrap().head
}

fn snapshot_exists(remote: &Remote, sha256: &str) -> bool {
    remote
        .head(&snapshot::snapshot_key(sha256).unwrap())
        .unwrap()
        .is_some()
}

/// What a device that never synced gets from the remote head.
fn pulled_by_a_new_device(remote: &Remote) -> String {
    let dir = tempfile::tempdir().unwrap();
    let fresh = FileSync::new(
        remote.clone(),
        dir.path().join("todo.sdn"),
        FileKind::Plain,
        Device::load_or_create(dir.path().join("d.json"), "desktop").unwrap(),
    );
    fresh.pull_file(PullMode::FastForwardOnly).unwrap();
    std::fs::read_to_string(fresh.path()).unwrap()
}

#[test]
fn retention_by_count_deletes_old_backups_and_their_snapshots_but_never_the_head() {
    let (_dir, remote, sync) = setup();
    let heads: Vec<String> = (0..6).map(|n| push(&sync, n)).collect();
    let before = sync.backups().unwrap();
    let report = backup::prune(
        &remote,
        &Retention {
            keep_last: Some(2),
            max_age: None,
        },
        sync.limits(),
        Utc::now(),
    )
    .unwrap();
    let kept: Vec<&str> = report.kept.iter().map(|e| e.head.as_str()).collect();
    assert_eq!(kept, [heads[4].as_str(), heads[5].as_str()]);
    assert_eq!(report.deleted.len(), 4);
    assert_eq!(report.snapshots_deleted.len(), 4);
    for entry in &before[..4] {
        assert!(!snapshot_exists(&remote, &entry.snapshot.sha256));
    }
    assert_eq!(sync.backups().unwrap(), report.kept, "the listing agrees");
    // The kept backups stay restorable.
    sync.restore(&heads[4]).unwrap();
    assert!(
        std::fs::read_to_string(sync.path())
            .unwrap()
            .contains("version 4")
    );

    // keep_last 0 still keeps the head's backup.
    let report = backup::prune(
        &remote,
        &Retention {
            keep_last: Some(0),
            max_age: None,
        },
        sync.limits(),
        Utc::now(),
    )
    .unwrap();
    assert_eq!(report.kept.len(), 1);
    assert_eq!(report.kept[0].reason, BackupReason::Restore);
    // The restore reused version 4's snapshot: deleting version 4's entry must not
    // delete the snapshot the head names.
    assert!(
        report
            .snapshots_deleted
            .iter()
            .all(|sha| *sha != report.kept[0].snapshot.sha256)
    );
    assert!(snapshot_exists(&remote, &report.kept[0].snapshot.sha256));
    assert!(pulled_by_a_new_device(&remote).contains("version 4"));
}

#[test]
fn retention_by_age_deletes_what_is_older_and_combines_with_count() {
    let (_dir, remote, sync) = setup();
    for n in 0..4 {
        push(&sync, n);
    }
    let age = Retention {
        keep_last: None,
        max_age: Some(Duration::from_secs(24 * 3600)),
    };
    // Nothing is a day old yet.
    let report = backup::prune(&remote, &age, sync.limits(), Utc::now()).unwrap();
    assert!(report.deleted.is_empty());
    // Two days later, everything is, but the head's backup stays.
    let later = Utc::now() + chrono::Duration::days(2);
    let report = backup::prune(&remote, &age, sync.limits(), later).unwrap();
    assert_eq!((report.kept.len(), report.deleted.len()), (1, 3));
    let head = cloud_sync::manifest::read(&remote, sync.limits())
        .unwrap()
        .unwrap();
    assert_eq!(report.kept[0].head, head.manifest.head);

    // Count and age together: a backup goes when either rule says so.
    for n in 4..8 {
        push(&sync, n);
    }
    let both = Retention {
        keep_last: Some(3),
        max_age: Some(Duration::from_secs(24 * 3600)),
    };
    let report = backup::prune(&remote, &both, sync.limits(), Utc::now()).unwrap();
    assert_eq!((report.kept.len(), report.deleted.len()), (3, 2));
    assert!(Retention::default().keeps_everything());
}

fn lease_key() -> Key {
    Key::new(backup::PRUNE_LEASE_KEY).unwrap()
}

fn head_of(remote: &Remote, sync: &FileSync) -> cloud_sync::manifest::Manifest {
    cloud_sync::manifest::read(remote, sync.limits())
        .unwrap()
        .unwrap()
        .manifest
}

/// The race the lease closes: a push whose content equals an old version finds that
/// version's snapshot stored and sends nothing, while a prune deletes it. Here the
/// prune's part is played by hand: its lease is held, and the snapshot is deleted once
/// the push has written its backup entry.
#[test]
fn a_push_reusing_a_snapshot_waits_for_a_running_prune_and_stores_it_again() {
    let (_dir, remote, sync) = setup();
    push(&sync, 0);
    let reused = head_of(&remote, &sync).snapshot.sha256;
    let parent = push(&sync, 1);
    remote.put_create(&lease_key(), "{}").unwrap();

    std::fs::write(sync.path(), "todo |id, title|\n  1, version 0\n").unwrap();
    let pushed = std::thread::scope(|scope| {
        let pushing = scope.spawn(|| sync.push_file());
        // The push's backup entry (based on the head) is the signal that it found the
        // snapshot stored and is about to name it.
        let deadline = Instant::now() + Duration::from_secs(60);
        while !backup::list(&remote, sync.limits())
            .unwrap()
            .iter()
            .any(|entry| entry.parent.as_deref() == Some(parent.as_str()))
        {
            assert!(Instant::now() < deadline, "the push wrote no backup entry");
            std::thread::yield_now();
        }
        remote
            .delete(&snapshot::snapshot_key(&reused).unwrap())
            .unwrap();
        remote.delete(&lease_key()).unwrap();
        pushing.join().unwrap()
    });

    let report = pushed.unwrap();
    assert!(report.published);
    assert_eq!(head_of(&remote, &sync).snapshot.sha256, reused);
    assert!(
        snapshot_exists(&remote, &reused),
        "the head names a snapshot the prune deleted"
    );
    assert!(pulled_by_a_new_device(&remote).contains("version 0"));
}

/// A backup based on the current head belongs to a push that may still move the head
/// to it (its device's clock may be behind, so its time says nothing): retention keeps
/// it and its snapshot.
#[test]
fn prune_keeps_a_backup_based_on_the_head_whose_push_has_not_moved_it_yet() {
    let (_dir, remote, sync) = setup();
    push(&sync, 0);
    let old = head_of(&remote, &sync).snapshot;
    let head = push(&sync, 1);
    let in_flight = backup::BackupEntry {
        head: "in-flight-push".to_owned(),
        parent: Some(head.clone()),
        snapshot: old.clone(),
        device: "slow-clock".to_owned(),
        created: Utc::now() - chrono::Duration::days(1),
        reason: BackupReason::Push,
    };
    backup::write_entry(&remote, &in_flight).unwrap();

    let report = backup::prune(
        &remote,
        &Retention {
            keep_last: Some(1),
            max_age: None,
        },
        sync.limits(),
        Utc::now(),
    )
    .unwrap();
    let kept: Vec<&str> = report.kept.iter().map(|e| e.head.as_str()).collect();
    assert_eq!(kept, ["in-flight-push", head.as_str()]);
    assert_eq!(report.deleted.len(), 1, "version 0's own backup goes");
    assert!(report.snapshots_deleted.is_empty());
    assert!(snapshot_exists(&remote, &old.sha256));
    assert!(!report.unfinished);
}

#[test]
fn a_second_prune_is_refused_while_a_lease_lives_and_takes_over_a_dead_one() {
    let (dir, remote, sync) = setup();
    for n in 0..3 {
        push(&sync, n);
    }
    let keep_one = Retention {
        keep_last: Some(1),
        max_age: None,
    };
    remote.put_create(&lease_key(), "{}").unwrap();
    match backup::prune(&remote, &keep_one, sync.limits(), Utc::now()) {
        Err(cloud_sync::Error::PruneInProgress { key, since }) => {
            assert!(key.ends_with(backup::PRUNE_LEASE_KEY), "{key}");
            assert!(since.is_some());
        }
        other => panic!("expected PruneInProgress, got {other:?}"),
    }
    assert_eq!(sync.backups().unwrap().len(), 3, "nothing was deleted");

    // The lease of a prune that died: written longer ago than LEASE.
    let lease_file = dir.path().join("remote/todo").join(backup::PRUNE_LEASE_KEY);
    let long_ago = SystemTime::now() - backup::LEASE - Duration::from_secs(60);
    std::fs::File::options()
        .write(true)
        .open(&lease_file)
        .unwrap()
        .set_modified(long_ago)
        .unwrap();
    let report = backup::prune(&remote, &keep_one, sync.limits(), Utc::now()).unwrap();
    assert_eq!((report.kept.len(), report.deleted.len()), (1, 2));
    assert!(
        remote.head(&lease_key()).unwrap().is_none(),
        "the prune released its lease"
    );
}
