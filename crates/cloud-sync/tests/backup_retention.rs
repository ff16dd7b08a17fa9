//! Backup retention by count and by age: old backups and the snapshots only they name
//! are deleted; the head's backup and every snapshot a kept backup names survive.

use std::time::Duration;

use chrono::Utc;
use cloud_sync::backup::{self, BackupReason, Retention};
use cloud_sync::{Device, FileKind, FileSync, Prefix, PullMode, Remote, snapshot};

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
    let fresh_dir = tempfile::tempdir().unwrap();
    let fresh = FileSync::new(
        remote.clone(),
        fresh_dir.path().join("todo.sdn"),
        FileKind::Plain,
        Device::load_or_create(fresh_dir.path().join("d.json"), "desktop").unwrap(),
    );
    fresh.pull_file(PullMode::FastForwardOnly).unwrap();
    assert!(
        std::fs::read_to_string(fresh.path())
            .unwrap()
            .contains("version 4")
    );
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
