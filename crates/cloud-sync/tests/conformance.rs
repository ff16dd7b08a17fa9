//! The same remote conformance tests against InMemory, a local-directory remote and a
//! real S3-protocol server (s3s-fs on 127.0.0.1): create-only, compare-and-swap,
//! size-bounded reads, prefix isolation, the doctor probe, and racing pushes through the
//! manifest's read-back verification.

mod support;

use std::sync::{Arc, Barrier};

use cloud_sync::doctor;
use cloud_sync::{Device, Error, FileKind, FileSync, Key, PullMode, SyncStatus};

fn key(text: &str) -> Key {
    Key::new(text).unwrap()
}

#[test]
fn object_operations_behave_the_same_on_every_backend() {
    for backend in support::backends("object_operations_behave_the_same_on_every_backend") {
        let name = backend.name();
        let remote = backend.remote("conf/ops");
        let capabilities = doctor::probe(&remote).unwrap();
        println!("{name}: {capabilities:?}");
        assert!(capabilities.if_match_accepted, "{name}");
        assert!(capabilities.read_back_ok, "{name}");
        if backend.enforces_conditions() {
            assert!(capabilities.enforces_conditional_writes(), "{name}");
        }

        let k = key("dir/object.bin");
        assert!(
            matches!(remote.get(&k, 1024), Err(Error::NotFound { .. })),
            "{name}"
        );
        assert_eq!(remote.head(&k).unwrap(), None, "{name}");

        let v1 = remote.put_create(&k, &b"one"[..]).unwrap();
        let fetched = remote.get(&k, 1024).unwrap();
        assert_eq!(&fetched.bytes[..], b"one", "{name}");
        assert!(
            fetched.version.etag.is_some(),
            "{name}: an ETag to match against"
        );
        let head = remote.head(&k).unwrap().unwrap();
        assert_eq!(head.size, 3, "{name}");

        let second_create = remote.put_create(&k, &b"two"[..]);
        if capabilities.create_only_enforced {
            assert!(
                matches!(second_create, Err(Error::AlreadyExists { .. })),
                "{name}"
            );
            assert_eq!(&remote.get(&k, 1024).unwrap().bytes[..], b"one", "{name}");
            let v2 = remote
                .put_if_match(&k, &b"three"[..], &fetched.version)
                .unwrap();
            assert_ne!(v2.etag, v1.etag, "{name}: a new version has a new ETag");
        } else {
            second_create.unwrap();
            let current = remote.get(&k, 1024).unwrap();
            remote
                .put_if_match(&k, &b"three"[..], &current.version)
                .unwrap();
        }
        let stale = remote.put_if_match(&k, &b"four"[..], &fetched.version);
        if capabilities.if_match_enforced {
            assert!(
                matches!(stale, Err(Error::Precondition { .. })),
                "{name}: {stale:?}"
            );
            assert_eq!(&remote.get(&k, 1024).unwrap().bytes[..], b"three", "{name}");
        }
        // If-Match on an object that does not exist is refused everywhere.
        let missing = remote.put_if_match(&key("nothing/here"), &b"x"[..], &fetched.version);
        if capabilities.if_match_enforced {
            assert!(
                matches!(missing, Err(Error::Precondition { .. })),
                "{name}: {missing:?}"
            );
        }

        // Size-bounded reads.
        remote.put_overwrite(&key("big"), vec![7u8; 4096]).unwrap();
        assert!(
            matches!(
                remote.get(&key("big"), 4095),
                Err(Error::TooLarge {
                    size: 4096,
                    limit: 4095,
                    ..
                })
            ),
            "{name}"
        );
        assert_eq!(
            remote.get(&key("big"), 4096).unwrap().bytes.len(),
            4096,
            "{name}"
        );

        // Listing stays inside the prefix and under the asked sub-prefix.
        let neighbour = backend.remote("conf/ops-neighbour");
        neighbour
            .put_overwrite(&key("dir/other"), &b"n"[..])
            .unwrap();
        let listed: Vec<String> = remote
            .list(Some(&key("dir")))
            .unwrap()
            .into_iter()
            .map(|info| info.key.to_string())
            .collect();
        assert_eq!(listed, ["dir/object.bin"], "{name}");
        let all: Vec<String> = remote
            .list(None)
            .unwrap()
            .into_iter()
            .map(|i| i.key.to_string())
            .collect();
        assert_eq!(all, ["big", "dir/object.bin"], "{name}: {all:?}");

        remote.delete(&k).unwrap();
        remote.delete(&k).unwrap();
        assert_eq!(remote.head(&k).unwrap(), None, "{name}");
    }
}

fn write(path: &std::path::Path, text: &str) {
    std::fs::write(path, text).unwrap();
}

/// `devices` devices all synced to one head, then all pushing different content at the
/// same moment. Exactly one wins where the backend enforces conditional writes. Where it
/// does not (s3s-fs), several may be told they won; then every "winner" whose head was
/// overwritten must see its state as diverged (never "behind", which would let a pull
/// silently drop its work), and every pushed version must be listed as a backup.
#[test]
fn racing_pushes_lose_no_version_on_any_backend() {
    const DEVICES: usize = 6;
    for backend in support::backends("racing_pushes_lose_no_version_on_any_backend") {
        let name = backend.name();
        let locals = tempfile::tempdir().unwrap();
        let syncs: Vec<FileSync> = (0..DEVICES)
            .map(|i| {
                let device = Device::load_or_create(
                    locals.path().join(format!("device{i}.json")),
                    &format!("device {i}"),
                )
                .unwrap();
                FileSync::new(
                    backend.remote("conf/race"),
                    locals.path().join(format!("db{i}.sdn")),
                    FileKind::Plain,
                    device,
                )
            })
            .collect();
        write(syncs[0].path(), "base\n");
        syncs[0].push_file().unwrap();
        for sync in &syncs[1..] {
            sync.pull_file(PullMode::FastForwardOnly).unwrap();
        }
        for (i, sync) in syncs.iter().enumerate() {
            write(sync.path(), &format!("edit by device {i}\n"));
        }

        let barrier = Arc::new(Barrier::new(DEVICES));
        let results: Vec<_> = std::thread::scope(|scope| {
            let handles: Vec<_> = syncs
                .iter()
                .map(|sync| {
                    let barrier = Arc::clone(&barrier);
                    scope.spawn(move || {
                        barrier.wait();
                        sync.push_file()
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });

        let winners: Vec<usize> = (0..DEVICES).filter(|&i| results[i].is_ok()).collect();
        for (i, result) in results.iter().enumerate() {
            if let Err(e) = result {
                assert!(
                    e.is_lost_race() || matches!(e, Error::NotFastForward { .. }),
                    "{name}: device {i}: {e}"
                );
            }
        }
        assert!(!winners.is_empty(), "{name}: nobody won");
        if backend.enforces_conditions() {
            assert_eq!(
                winners.len(),
                1,
                "{name}: exactly one push wins a generation"
            );
        }
        let head = syncs[0].check().unwrap().remote.unwrap();
        for &i in &winners {
            let report = syncs[i].check().unwrap();
            if head.device == syncs[i].device().id {
                assert_eq!(report.status, SyncStatus::UpToDate, "{name}: device {i}");
            } else {
                assert_eq!(
                    report.status,
                    SyncStatus::Diverged,
                    "{name}: overwritten device {i} must not look behind"
                );
                println!(
                    "{name}: device {i} was told it won, then overwritten: detected as diverged"
                );
            }
        }
        // Every version that reached the remote is a restorable backup, winner or not; a
        // push refused up front (the head had moved already) kept its edit locally.
        let backups = syncs[0].backups().unwrap();
        for i in 0..DEVICES {
            if matches!(results[i], Err(Error::NotFastForward { .. })) {
                assert_eq!(
                    std::fs::read_to_string(syncs[i].path()).unwrap(),
                    format!("edit by device {i}\n")
                );
                continue;
            }
            let sha = cloud_sync::sha256_hex(format!("edit by device {i}\n").as_bytes());
            assert!(
                backups.iter().any(|b| b.snapshot.sha256 == sha),
                "{name}: device {i}'s edit has no backup"
            );
        }
        // Losers are diverged or behind-by-refusal; none may fast-forward over their work.
        for i in (0..DEVICES).filter(|i| !winners.contains(i)) {
            assert_eq!(
                syncs[i].check().unwrap().status,
                SyncStatus::Diverged,
                "{name}: loser {i}"
            );
            assert!(matches!(
                syncs[i].pull_file(PullMode::FastForwardOnly),
                Err(Error::NotFastForward { .. })
            ));
        }
    }
}
