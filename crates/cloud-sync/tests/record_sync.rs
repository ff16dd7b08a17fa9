//! Record-level sync on `InMemory`: any interleaving of edits, pushes and pulls from 2–8
//! devices converges to identical bytes with every edit present (as a record or in the
//! conflicts table), and no push is lost; concurrent pushers on threads race for the
//! head and still lose nothing.

mod record_devices;

use cloud_sync::{Prefix, Remote};
use proptest::prelude::*;
use record_devices::{Ledger, assert_nothing_lost, converge, devices};

#[derive(Clone, Debug)]
enum Step {
    Insert(usize),
    UpdateShared(usize, usize),
    Push(usize),
    Pull(usize),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (0..8usize).prop_map(Step::Insert),
        (0..8usize, 0..3usize).prop_map(|(d, s)| Step::UpdateShared(d, s)),
        (0..8usize).prop_map(Step::Push),
        (0..8usize).prop_map(Step::Pull),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn any_interleaving_converges_with_every_edit_kept(
        count in 2..=8usize,
        steps in proptest::collection::vec(step(), 1..40),
    ) {
        let remote = Remote::in_memory(Prefix::new("todo").unwrap()).unwrap();
        let mut ledger = Ledger::default();
        let mut devices = devices(count, &remote, &mut ledger);
        for step in steps {
            match step {
                Step::Insert(d) => devices[d % count].insert(&mut ledger),
                Step::UpdateShared(d, s) => devices[d % count].update_shared(s, &mut ledger),
                Step::Push(d) => devices[d % count].push(&mut ledger),
                Step::Pull(d) => devices[d % count].pull(),
            }
        }
        let text = converge(&devices, &mut ledger);
        assert_nothing_lost(&text, &ledger, &devices);
    }
}

#[test]
fn concurrent_pushers_race_for_the_head_and_lose_nothing() {
    let remote = Remote::in_memory(Prefix::new("todo").unwrap()).unwrap();
    let mut ledger = Ledger::default();
    let devices = devices(4, &remote, &mut ledger);
    race(devices, ledger);
}

#[test]
fn fresh_devices_racing_their_first_push_lose_nothing() {
    // No device has synced before: the first pushes race for the create-only head and
    // the losers merge without a known base.
    let remote = Remote::in_memory(Prefix::new("todo").unwrap()).unwrap();
    let devices = (0..4)
        .map(|i| record_devices::SimDevice::new(i, &remote))
        .collect();
    race(devices, Ledger::default());
}

fn race(devices: Vec<record_devices::SimDevice>, mut ledger: Ledger) {
    let ledgers: Vec<Ledger> = std::thread::scope(|scope| {
        let handles: Vec<_> = devices
            .into_iter()
            .map(|mut device| {
                scope.spawn(move || {
                    let mut ledger = Ledger::default();
                    for round in 0..6 {
                        device.insert(&mut ledger);
                        if round % 2 == 0 {
                            device.update_shared(round, &mut ledger);
                        }
                        device.push(&mut ledger);
                    }
                    (device, ledger)
                })
            })
            .collect();
        let mut all = Vec::new();
        let mut devices = Vec::new();
        for handle in handles {
            let (device, ledger) = handle.join().unwrap();
            devices.push(device);
            all.push(ledger);
        }
        let text = converge(&devices, &mut ledger);
        for other in &all {
            ledger.written.extend(other.written.iter().cloned());
            ledger.superseded.extend(other.superseded.iter().cloned());
            ledger
                .pushed_heads
                .extend(other.pushed_heads.iter().cloned());
        }
        assert_nothing_lost(&text, &ledger, &devices);
        all
    });
    let pushes: usize = ledgers.iter().map(|l| l.pushed_heads.len()).sum();
    assert_eq!(pushes, 24, "every one of the 24 pushes published a head");
}

fn two_plain_devices() -> (
    Remote,
    tempfile::TempDir,
    cloud_sync::RecordSync,
    cloud_sync::RecordSync,
) {
    let remote = Remote::in_memory(Prefix::new("todo").unwrap()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let open = |name: &str| {
        let device =
            cloud_sync::Device::load_or_create(dir.path().join(format!("{name}.json")), name)
                .unwrap();
        cloud_sync::RecordSync::new(
            remote.clone(),
            dir.path().join(format!("{name}.sdn")),
            device,
        )
    };
    let (a, b) = (open("a"), open("b"));
    (remote, dir, a, b)
}

#[test]
fn a_damaged_or_missing_base_cache_is_fetched_again_not_trusted() {
    let (_remote, _dir, a, b) = two_plain_devices();
    std::fs::write(a.path(), "todos |id, title|\n  1, x\n").unwrap();
    a.push().unwrap();
    b.pull(cloud_sync::Prefer::Merge).unwrap();
    assert_eq!(
        std::fs::read_to_string(b.base_path()).unwrap(),
        "todos |id, title|\n  1, x\n"
    );

    std::fs::write(a.path(), "todos |id, title|\n  1, a\n").unwrap();
    a.push().unwrap();
    std::fs::write(b.path(), "todos |id, title|\n  1, x\n  2, b\n").unwrap();
    // A wrong base would make record 1 look changed on both sides (a conflict).
    std::fs::write(b.base_path(), "todos |id, title|\n  1, zzz\n").unwrap();
    let pulled = b.pull(cloud_sync::Prefer::Merge).unwrap();
    assert_eq!(pulled.outcome, cloud_sync::PullOutcome::Merged);
    assert!(pulled.conflicts.is_empty(), "{:?}", pulled.conflicts);
    assert_eq!(
        std::fs::read_to_string(b.path()).unwrap(),
        "todos |id, title|\n  1, a\n  2, b\n"
    );

    // Missing altogether: the same.
    b.push().unwrap();
    a.pull(cloud_sync::Prefer::Merge).unwrap();
    std::fs::write(a.path(), "todos |id, title|\n  1, a2\n  2, b\n").unwrap();
    a.push().unwrap();
    std::fs::write(b.path(), "todos |id, title|\n  1, a\n  2, b2\n").unwrap();
    std::fs::remove_file(b.base_path()).unwrap();
    let pulled = b.pull(cloud_sync::Prefer::Merge).unwrap();
    assert!(pulled.conflicts.is_empty(), "{:?}", pulled.conflicts);
    assert_eq!(
        std::fs::read_to_string(b.path()).unwrap(),
        "todos |id, title|\n  1, a2\n  2, b2\n"
    );
}

#[test]
fn a_merge_is_logged_with_its_conflicts_and_an_unmergeable_store_changes_nothing() {
    let (_remote, _dir, a, b) = two_plain_devices();
    std::fs::write(a.path(), "todos |id, title|\n  1, x\n").unwrap();
    a.push().unwrap();
    b.pull(cloud_sync::Prefer::Merge).unwrap();
    std::fs::write(a.path(), "todos |id, title|\n  1, from-a\n").unwrap();
    a.push().unwrap();
    std::fs::write(b.path(), "todos |id, title|\n  1, from-b\n").unwrap();
    let pushed = b.push().unwrap();
    let values: Vec<String> = pushed.conflicts().map(|c| c.value.clone()).collect();
    assert!(
        values.iter().any(|v| v.contains("from-a")) && values.iter().any(|v| v.contains("from-b"))
    );
    let merge_entry = b
        .files()
        .log()
        .unwrap()
        .into_iter()
        .find(|entry| entry.kind == cloud_sync::log::SyncKind::Merge)
        .expect("a merge entry in the sync log");
    assert!(merge_entry.conflict_detected);
    assert_eq!(merge_entry.resolution, cloud_sync::log::Resolution::Merged);

    a.pull(cloud_sync::Prefer::Merge).unwrap();
    std::fs::write(a.path(), "todos |id, title|\n  1, again\n").unwrap();
    a.push().unwrap();
    std::fs::write(b.path(), "todos |id, title\n  broken").unwrap();
    let err = b.pull(cloud_sync::Prefer::Merge).unwrap_err();
    assert!(matches!(err, cloud_sync::Error::Merge { .. }), "{err}");
    assert_eq!(
        std::fs::read_to_string(b.path()).unwrap(),
        "todos |id, title\n  broken"
    );
}

#[test]
fn a_backup_of_our_own_lost_push_is_never_taken_as_the_merge_base() {
    // What a first push that lost the create-only race leaves behind: its snapshot and
    // backup entry (written before the head moves), but another device's head.
    let (remote, _dir, a, b) = two_plain_devices();
    std::fs::write(b.path(), "todos |id, title|\n  b1, from b\n").unwrap();
    b.push().unwrap();
    let ours = "todos |id, title|\n  a1, from a\n";
    std::fs::write(a.path(), ours).unwrap();
    let prepared = cloud_sync::snapshot::prepare(ours.as_bytes()).unwrap();
    let (snapshot, _) =
        cloud_sync::snapshot::upload(&remote, &prepared, &Default::default()).unwrap();
    cloud_sync::backup::write_entry(
        &remote,
        &cloud_sync::backup::BackupEntry {
            head: "0123456789abcdef0123456789abcdef".into(),
            parent: None,
            snapshot,
            device: a.files().device().id.clone(),
            created: chrono::Utc::now(),
            reason: cloud_sync::backup::BackupReason::Push,
        },
    )
    .unwrap();

    a.push().unwrap();
    let merged = std::fs::read_to_string(a.path()).unwrap();
    assert!(
        merged.contains("from a") && merged.contains("from b"),
        "{merged}"
    );
}

#[test]
fn an_unchanged_push_costs_one_request() {
    let (remote, _dir, a, _b) = two_plain_devices();
    std::fs::write(a.path(), "todos |id, title|\n  1, x\n").unwrap();
    a.push().unwrap();
    let before = remote.request_count();
    let report = a.push().unwrap();
    assert!(!report.push.published);
    assert_eq!(remote.request_count() - before, 1, "one manifest read");
}

#[test]
fn a_published_push_caches_its_base_without_reading_the_manifest_again() {
    let (remote, _dir, a, _b) = two_plain_devices();
    let content = "todos |id, title|\n  1, x\n";
    std::fs::write(a.path(), content).unwrap();
    a.push().unwrap();
    std::fs::write(a.path(), "todos |id, title|\n  1, x\n  2, y\n").unwrap();
    let before = remote.request_count();
    let report = a.push().unwrap();
    assert!(report.push.published);
    // One manifest read for the pull and the push (they share one lock hold; a second
    // read made it 9), the snapshot probe and upload, the backup entry, the manifest
    // write and its read-back, the log entry and the device record; no manifest read
    // after the head moved (that read made it 10).
    assert_eq!(remote.request_count() - before, 8);
    assert_eq!(
        std::fs::read_to_string(a.base_path()).unwrap(),
        "todos |id, title|\n  1, x\n  2, y\n",
        "the pushed content is the cached base"
    );
}
