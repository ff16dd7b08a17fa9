//! Content files: every availability state produced for real, create-only and resumable
//! uploads, verified downloads, eviction, storage figures and deletion across devices,
//! against InMemory, the local-directory remote and a real S3 server (s3s-fs).

mod support;

use std::path::Path;

use cloud_sync::files::{Availability, ContentFiles, FileEntry, FilesError, TransferState};
use cloud_sync::{Key, Remote};
use support::{Backend, backends};

struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Fixture {
        Fixture {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn device(&self, backend: &Backend, name: &str) -> ContentFiles {
        self.device_on(backend.remote("library"), name)
    }

    fn device_on(&self, remote: Remote, name: &str) -> ContentFiles {
        support::content_files(&self.dir.path().join(name), remote, name, 1024)
    }
}

fn write(files: &ContentFiles, path: &str, content: &[u8]) {
    let local = files.local_path(path);
    std::fs::create_dir_all(local.parent().unwrap()).unwrap();
    std::fs::write(local, content).unwrap();
}

/// The catalogue travels with the database; here it is copied.
fn share_catalogue(from: &ContentFiles, to: &ContentFiles) {
    std::fs::copy(from.catalogue_path(), to.catalogue_path()).unwrap();
}

fn availability_of(files: &ContentFiles, path: &str) -> Availability {
    let from_status = files
        .status()
        .unwrap()
        .into_iter()
        .find(|s| s.path == path)
        .unwrap()
        .availability;
    assert_eq!(
        files.availability(path).unwrap(),
        from_status,
        "status and availability disagree for {path}"
    );
    from_status
}

fn no_stray_files(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries {
        let name = entry.unwrap().file_name().into_string().unwrap();
        assert!(
            !name.contains("atomic-tmp"),
            "a temporary file was left: {name}"
        );
    }
}

#[test]
fn every_availability_state_is_computed_from_facts() {
    for backend in backends("every_availability_state_is_computed_from_facts") {
        let fixture = Fixture::new();
        let files = fixture.device(&backend, "laptop");
        let big: Vec<u8> = (0..10_000u32).flat_map(|i| i.to_le_bytes()).collect();
        write(&files, "roms/big.bin", &big);
        write(&files, "roms/small.bin", b"small rom");
        write(&files, "manuals/guide.txt", b"read me");

        // Registered, not uploaded: only local.
        files.register().unwrap();
        assert_eq!(
            availability_of(&files, "roms/big.bin"),
            Availability::LocalOnly,
            "{}",
            backend.name()
        );

        let report = files.upload(&|_| {}).unwrap();
        assert!(report.failed.is_empty(), "{:?}", report.failed);
        assert_eq!(report.uploaded.len(), 3);
        assert!(
            report.counts.parts_sent >= 40,
            "a 40 KB file in 1 KiB parts: {:?}",
            report.counts
        );
        for path in ["roms/big.bin", "roms/small.bin", "manuals/guide.txt"] {
            assert_eq!(
                availability_of(&files, path),
                Availability::Synchronized,
                "{path} on {}",
                backend.name()
            );
            assert_eq!(
                files.entry(path).unwrap().unwrap().state,
                TransferState::UploadCompleted
            );
        }

        // Deleted on disk: only in the cloud.
        std::fs::remove_file(files.local_path("roms/small.bin")).unwrap();
        assert_eq!(
            availability_of(&files, "roms/small.bin"),
            Availability::CloudOnly
        );

        // Missing in the bucket while the log says "completed": local only, from facts.
        let sha = files.entry("manuals/guide.txt").unwrap().unwrap().sha256;
        files
            .remote()
            .delete(&Key::new(format!("files/objects/{sha}.file")).unwrap())
            .unwrap();
        assert_eq!(
            files.entry("manuals/guide.txt").unwrap().unwrap().state,
            TransferState::UploadCompleted
        );
        assert_eq!(
            availability_of(&files, "manuals/guide.txt"),
            Availability::LocalOnly
        );
        // ... and missing locally as well: nowhere.
        std::fs::remove_file(files.local_path("manuals/guide.txt")).unwrap();
        assert_eq!(
            availability_of(&files, "manuals/guide.txt"),
            Availability::NotAvailable
        );
        assert!(matches!(
            files.open("manuals/guide.txt"),
            Err(FilesError::NotAvailable { .. })
        ));

        // Changed on disk after upload, same size (so only the hash can tell).
        let mut edited = big.clone();
        edited[5000] ^= 0xff;
        write(&files, "roms/big.bin", &edited);
        assert_eq!(
            availability_of(&files, "roms/big.bin"),
            Availability::Modified
        );
        // The next upload records and sends the new content; only the changed part moves.
        let report = files.upload(&|_| {}).unwrap();
        assert_eq!(report.registered.changed, vec!["roms/big.bin".to_string()]);
        assert_eq!(report.counts.parts_sent, 1, "{:?}", report.counts);
        assert_eq!(
            availability_of(&files, "roms/big.bin"),
            Availability::Synchronized
        );
    }
}

#[test]
fn uploads_are_create_only_and_never_resent() {
    for backend in backends("uploads_are_create_only_and_never_resent") {
        let fixture = Fixture::new();
        let files = fixture.device(&backend, "laptop");
        write(&files, "a/one.txt", &b"same bytes ".repeat(300));
        files.upload(&|_| {}).unwrap();
        let requests = files.remote().request_count();
        let again = files.upload(&|_| {}).unwrap();
        assert!(again.uploaded.is_empty() && again.counts.parts_sent == 0);
        assert_eq!(
            files.remote().request_count(),
            requests,
            "nothing to do must cost no request"
        );

        // The same content under another path: already in the cloud, nothing sent.
        write(&files, "b/copy.txt", &b"same bytes ".repeat(300));
        let copy = files.upload(&|_| {}).unwrap();
        assert_eq!(copy.uploaded, vec!["b/copy.txt".to_string()]);
        assert_eq!(copy.counts.parts_sent, 0, "{}", backend.name());
    }
}

#[test]
fn an_interrupted_multipart_upload_resumes_without_resending_parts() {
    let backend = Backend::LocalDir(tempfile::tempdir().unwrap());
    let fixture = Fixture::new();
    let files = fixture.device(&backend, "laptop");
    let content: Vec<u8> = (0..20_000u32)
        .flat_map(|i| (i * 7919).to_le_bytes())
        .collect();
    write(&files, "roms/big.bin", &content);
    files.register().unwrap();
    let mut parts = 0;
    let interrupted = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        files.upload_one("roms/big.bin", &mut |_| {
            parts += 1;
            if parts == 30 {
                panic!("interrupted after 30 parts");
            }
        })
    }));
    assert!(interrupted.is_err());
    assert_eq!(
        files.entry("roms/big.bin").unwrap().unwrap().state,
        TransferState::UploadInProgress
    );
    assert_eq!(
        files.availability("roms/big.bin").unwrap(),
        Availability::LocalOnly
    );
    // Parts are sent in parallel: the 30 reported ones and any that were in flight
    // when the run stopped are stored. Exactly those are verified, not sent again.
    let stored = files
        .remote()
        .list(Some(&Key::new("files/parts").unwrap()))
        .unwrap()
        .len();
    assert!((30..79).contains(&stored), "{stored} parts stored");
    let resumed = files.upload(&|_| {}).unwrap();
    assert_eq!(resumed.counts.parts_skipped, stored, "{:?}", resumed.counts);
    assert_eq!(resumed.counts.parts_sent, 79 - stored);
    assert_eq!(
        files.availability("roms/big.bin").unwrap(),
        Availability::Synchronized
    );
}

#[test]
fn an_upload_whose_lease_is_held_is_left_to_its_owner() {
    let backend = Backend::LocalDir(tempfile::tempdir().unwrap());
    let fixture = Fixture::new();
    let files = fixture.device(&backend, "laptop");
    write(&files, "x.bin", b"x");
    write(&files, "y.bin", b"y");
    files.register().unwrap();
    let state = files.root().join(".cloud-sync-files");
    // Another uploader (a thread here, as good as a process for the locks): among the
    // uploaders, it holds the lease of x.bin.
    let (held, release) = (std::sync::mpsc::channel(), std::sync::mpsc::channel::<()>());
    let owner = std::thread::spawn({
        let state = state.clone();
        move || {
            let uploaders = record_store::file_lock::FileLock::new(state.join("uploaders"));
            let _uploading = uploaders.shared().unwrap();
            let _lease = file_lock_for(&state.join("leases"), "x.bin")
                .try_exclusive()
                .unwrap();
            held.0.send(()).unwrap();
            release.1.recv().unwrap();
        }
    });
    held.1.recv().unwrap();
    let report = files.upload(&|_| {}).unwrap();
    assert_eq!(report.busy, vec!["x.bin".to_string()]);
    assert_eq!(report.uploaded, vec!["y.bin".to_string()], "{report:?}");
    release.0.send(()).unwrap();
    owner.join().unwrap();
    let report = files.upload(&|_| {}).unwrap();
    assert_eq!(report.uploaded, vec!["x.bin".to_string()], "{report:?}");
}

#[test]
fn a_lone_uploader_takes_no_lease_per_file() {
    let backend = Backend::LocalDir(tempfile::tempdir().unwrap());
    let fixture = Fixture::new();
    let files = fixture.device(&backend, "laptop");
    for i in 0..20 {
        write(
            &files,
            &format!("f{i}.bin"),
            format!("content {i}").as_bytes(),
        );
    }
    let report = files.upload(&|_| {}).unwrap();
    assert_eq!(report.uploaded.len(), 20, "{report:?}");
    // Alone, the uploader took no lease per file: one lock for all of them.
    let leases = std::fs::read_dir(files.root().join(".cloud-sync-files/leases"))
        .unwrap()
        .count();
    assert_eq!(leases, 0, "lease files created by a lone uploader");
}

fn file_lock_for(dir: &Path, path: &str) -> record_store::file_lock::FileLock {
    record_store::file_lock::FileLock::new(dir.join(cloud_sync::sha256_hex(path.as_bytes())))
}

#[test]
fn a_corrupted_object_fails_with_a_checksum_error_and_writes_nothing() {
    for backend in backends("a_corrupted_object_fails_with_a_checksum_error_and_writes_nothing") {
        let fixture = Fixture::new();
        let laptop = fixture.device(&backend, "laptop");
        let small = b"a manual page\n".repeat(50);
        let large = b"a long manual page\n".repeat(200);
        write(&laptop, "manuals/small.txt", &small);
        write(&laptop, "manuals/large.txt", &large);
        laptop.upload(&|_| {}).unwrap();
        let desktop = fixture.device(&backend, "desktop");
        share_catalogue(&laptop, &desktop);

        // The small file's one object (header line, then zstd), and a part of the large.
        let small_key = Key::new(format!(
            "files/objects/{}.file",
            cloud_sync::sha256_hex(&small)
        ))
        .unwrap();
        let part_key = Key::new(format!(
            "files/parts/{}.zst",
            cloud_sync::sha256_hex(&large[1024..2048])
        ))
        .unwrap();
        for (path, key, content) in [
            ("manuals/small.txt", &small_key, &small),
            ("manuals/large.txt", &part_key, &large),
        ] {
            assert_eq!(availability_of(&desktop, path), Availability::CloudOnly);
            let stored = laptop.remote().get(key, u64::MAX).unwrap().bytes;
            let header = match stored.iter().position(|&b| b == b'\n') {
                Some(end) if key == &small_key => stored[..=end].to_vec(),
                _ => Vec::new(),
            };
            // Valid zstd of other bytes (behind the intact header), then plain garbage:
            // both are checksum errors.
            let upper = content.to_ascii_uppercase();
            let other = zstd::bulk::compress(&upper[..upper.len().min(1024)], 3).unwrap();
            for corrupt in [[header, other].concat(), vec![0x42; stored.len()]] {
                laptop.remote().put_overwrite(key, corrupt).unwrap();
                let error = desktop.open(path).unwrap_err();
                assert!(matches!(error, FilesError::Checksum { .. }), "{error:?}");
                let message = error.to_string();
                assert!(
                    message.contains("checksum mismatch") && message.contains(path),
                    "{message}"
                );
                assert!(
                    !desktop.local_path(path).exists(),
                    "nothing under the final name"
                );
                no_stray_files(&desktop.local_path("manuals"));
            }
        }
        // The damaged part is repaired by a re-upload from a device that has the file:
        // found damaged and replaced. The small file's object is sent again once gone.
        for (key, extension) in [(&small_key, "file"), (&part_key, "json")] {
            let sha = if key == &small_key {
                cloud_sync::sha256_hex(&small)
            } else {
                cloud_sync::sha256_hex(&large)
            };
            laptop
                .remote()
                .delete(&Key::new(format!("files/objects/{sha}.{extension}")).unwrap())
                .unwrap();
        }
        for (path, content) in [("manuals/small.txt", &small), ("manuals/large.txt", &large)] {
            laptop.upload_one(path, &mut |_| {}).unwrap();
            assert_eq!(
                &std::fs::read(desktop.open(path).unwrap().path).unwrap(),
                content
            );
        }
    }
}

#[test]
fn a_small_file_is_one_object_sent_with_one_put_and_opened_with_one_get() {
    for backend in backends("a_small_file_is_one_object_sent_with_one_put_and_opened_with_one_get")
    {
        let fixture = Fixture::new();
        let laptop = fixture.device(&backend, "laptop");
        let content = b"a small save file\n".repeat(40);
        let sha = cloud_sync::sha256_hex(&content);
        write(&laptop, "saves/one.sav", &content);
        laptop.register().unwrap();
        let before = laptop.remote().request_count();
        let report = laptop.upload(&|_| {}).unwrap();
        assert_eq!(report.uploaded, vec!["saves/one.sav".to_string()]);
        assert_eq!(report.counts.parts_sent, 1);
        // One listing and one PUT. A store whose ETag is not the MD5 of the bytes sent
        // (all but the S3 server) is verified by reading the object back.
        let read_back = u64::from(!matches!(backend, Backend::S3(_)));
        assert_eq!(
            laptop.remote().request_count() - before,
            2 + read_back,
            "{}",
            backend.name()
        );
        let stored: Vec<String> = laptop
            .remote()
            .list(Some(&Key::new("files").unwrap()))
            .unwrap()
            .into_iter()
            .map(|info| info.key.as_str().to_owned())
            .collect();
        assert_eq!(stored, vec![format!("files/objects/{sha}.file")]);

        let desktop = fixture.device(&backend, "desktop");
        share_catalogue(&laptop, &desktop);
        let before = desktop.remote().request_count();
        let opened = desktop.open("saves/one.sav").unwrap();
        assert!(opened.downloaded);
        assert_eq!(desktop.remote().request_count() - before, 1, "one GET");
        assert_eq!(std::fs::read(opened.path).unwrap(), content);
        // Already in the cloud: a second device's upload of the same content sends
        // nothing and asks with one HEAD.
        let other = fixture.device(&backend, "other");
        write(&other, "saves/copy.sav", &content);
        other.register().unwrap();
        let before = other.remote().request_count();
        let counts = other
            .upload_one("saves/copy.sav", &mut |_| {})
            .unwrap()
            .unwrap();
        assert!(
            counts.already_in_cloud && counts.parts_sent == 0,
            "{counts:?}"
        );
        assert_eq!(other.remote().request_count() - before, 1, "one HEAD");
        assert_eq!(
            other.entry("saves/copy.sav").unwrap().unwrap().stored_size,
            laptop.entry("saves/one.sav").unwrap().unwrap().stored_size
        );
    }
}

/// Stores `content` the way versions before whole-file objects did: zstd parts of
/// `part_size` bytes at `files/parts/<sha256 of the part>.zst`, then a manifest at
/// `files/objects/<sha256>.json`, even for a file of one part.
fn store_in_two_object_layout(remote: &Remote, content: &[u8], part_size: usize) {
    let parts: Vec<serde_json::Value> = content
        .chunks(part_size)
        .map(|chunk| {
            let sha = cloud_sync::sha256_hex(chunk);
            let stored = zstd::bulk::compress(chunk, 3).unwrap();
            let stored_size = stored.len();
            remote
                .put_create(&Key::new(format!("files/parts/{sha}.zst")).unwrap(), stored)
                .unwrap();
            serde_json::json!({"sha256": sha, "size": chunk.len(), "stored_size": stored_size})
        })
        .collect();
    let sha = cloud_sync::sha256_hex(content);
    let manifest = serde_json::json!({
        "format": 1, "sha256": sha, "size": content.len(), "parts": parts,
    });
    remote
        .put_create(
            &Key::new(format!("files/objects/{sha}.json")).unwrap(),
            serde_json::to_vec_pretty(&manifest).unwrap(),
        )
        .unwrap();
}

#[test]
fn a_bucket_in_the_two_object_layout_of_earlier_versions_is_still_read() {
    for backend in backends("a_bucket_in_the_two_object_layout_of_earlier_versions_is_still_read") {
        let fixture = Fixture::new();
        let laptop = fixture.device(&backend, "laptop");
        let small = b"written by an earlier version\n".repeat(20);
        let large: Vec<u8> = (0..1000u32).flat_map(|i| (i % 97).to_le_bytes()).collect();
        for content in [&small, &large] {
            store_in_two_object_layout(laptop.remote(), content, 1024);
        }
        write(&laptop, "old/small.txt", &small);
        write(&laptop, "old/large.bin", &large);
        let report = laptop.upload(&|_| {}).unwrap();
        assert_eq!(report.uploaded.len(), 2, "{:?}", report.failed);
        assert_eq!(report.counts.parts_sent, 0, "already in the cloud");
        for path in ["old/small.txt", "old/large.bin"] {
            assert_eq!(availability_of(&laptop, path), Availability::Synchronized);
        }

        let desktop = fixture.device(&backend, "desktop");
        share_catalogue(&laptop, &desktop);
        for path in ["old/small.txt", "old/large.bin"] {
            assert_eq!(availability_of(&desktop, path), Availability::CloudOnly);
        }
        // One file opened on demand, the other through the listing of download_all.
        let opened = desktop.open("old/small.txt").unwrap();
        assert_eq!(std::fs::read(opened.path).unwrap(), small);
        let report = desktop.download_all(&|_| true, &|_| {}).unwrap();
        assert_eq!(report.downloaded, vec!["old/large.bin".to_string()]);
        assert_eq!(
            std::fs::read(desktop.local_path("old/large.bin")).unwrap(),
            large
        );
        // A third device downloads both through the listing.
        let third = fixture.device(&backend, "third");
        share_catalogue(&laptop, &third);
        let report = third.download_all(&|_| true, &|_| {}).unwrap();
        assert_eq!(report.downloaded.len(), 2, "{:?}", report.failed);
        assert_eq!(
            std::fs::read(third.local_path("old/small.txt")).unwrap(),
            small
        );

        // Deleting removes both objects of the old layout.
        for path in ["old/small.txt", "old/large.bin"] {
            laptop.delete(path).unwrap();
        }
        desktop.process_deletions().unwrap();
        let last = third.process_deletions().unwrap();
        assert_eq!(last.removed_from_cloud.len(), 2, "{last:?}");
        for under in ["files/objects", "files/parts"] {
            assert!(
                laptop
                    .remote()
                    .list(Some(&Key::new(under).unwrap()))
                    .unwrap()
                    .is_empty(),
                "{under} on {}",
                backend.name()
            );
        }
    }
}

#[test]
fn download_all_filters_reports_progress_and_evict_keeps_what_is_not_in_the_cloud() {
    for backend in
        backends("download_all_filters_reports_progress_and_evict_keeps_what_is_not_in_the_cloud")
    {
        let fixture = Fixture::new();
        let laptop = fixture.device(&backend, "laptop").with_parallel(3);
        for i in 0..8 {
            write(
                &laptop,
                &format!("roms/r{i}.bin"),
                format!("rom {i} ").repeat(500).as_bytes(),
            );
            write(
                &laptop,
                &format!("shots/s{i}.png"),
                format!("shot {i}").as_bytes(),
            );
        }
        laptop.upload(&|_| {}).unwrap();
        let desktop = fixture.device(&backend, "desktop").with_parallel(3);
        share_catalogue(&laptop, &desktop);

        let seen = std::sync::Mutex::new(Vec::new());
        let report = desktop
            .download_all(&|entry: &FileEntry| entry.folder == "roms", &|progress| {
                seen.lock().unwrap().push(progress.clone())
            })
            .unwrap();
        assert_eq!(report.downloaded.len(), 8, "{:?}", report.failed);
        let seen = seen.into_inner().unwrap();
        let total: u64 = (0..8)
            .map(|i| format!("rom {i} ").repeat(500).len() as u64)
            .sum();
        assert!(
            seen.iter()
                .all(|p| p.bytes_total == total && p.files_total == 8)
        );
        assert_eq!(seen.iter().map(|p| p.bytes_done).max(), Some(total));
        for status in desktop.status().unwrap() {
            let expected = if status.folder == "roms" {
                Availability::Synchronized
            } else {
                Availability::CloudOnly
            };
            assert_eq!(status.availability, expected, "{}", status.path);
        }

        // Storage figures per folder.
        write(&desktop, "roms/new.bin", b"only here");
        desktop.register().unwrap();
        let usage = desktop.usage().unwrap();
        assert_eq!(usage["roms"].local_bytes, total + 9);
        assert_eq!(usage["roms"].local_only_bytes, 9);
        assert_eq!(usage["roms"].cloud_bytes, total);
        assert_eq!(usage["shots"].local_bytes, 0);
        assert_eq!(
            usage["shots"].cloud_bytes,
            (0..8)
                .map(|i| format!("shot {i}").len() as u64)
                .sum::<u64>()
        );

        // Evict: synchronized files go, the local-only one and an edited one stay.
        write(&desktop, "roms/r0.bin", b"edited here");
        let evicted = desktop
            .evict(&|entry: &FileEntry| entry.folder == "roms")
            .unwrap();
        assert_eq!(evicted.evicted.len(), 7);
        let mut refused: Vec<_> = evicted
            .refused
            .iter()
            .map(|(p, a)| (p.as_str(), *a))
            .collect();
        refused.sort();
        assert_eq!(
            refused,
            vec![
                ("roms/new.bin", Availability::LocalOnly),
                ("roms/r0.bin", Availability::Modified)
            ]
        );
        assert!(
            desktop.local_path("roms/new.bin").exists()
                && desktop.local_path("roms/r0.bin").exists()
        );
        assert!(matches!(
            desktop.evict_one("roms/new.bin"),
            Err(FilesError::NotSafeToEvict { .. })
        ));
        assert_eq!(
            availability_of(&desktop, "roms/r1.bin"),
            Availability::CloudOnly
        );
    }
}

#[test]
fn deletion_waits_for_every_device_and_keeps_a_delete_edit_conflict() {
    for backend in backends("deletion_waits_for_every_device_and_keeps_a_delete_edit_conflict") {
        let fixture = Fixture::new();
        let a = fixture.device(&backend, "a");
        let b = fixture.device(&backend, "b");
        let c = fixture.device(&backend, "c");
        write(&a, "docs/gone.txt", &b"to be deleted ".repeat(200));
        write(&a, "docs/kept.txt", b"to be deleted here, edited there");
        a.upload(&|_| {}).unwrap();
        for other in [&b, &c] {
            share_catalogue(&a, other);
            other.download_all(&|_| true, &|_| {}).unwrap();
        }
        let gone_sha = a.entry("docs/gone.txt").unwrap().unwrap().sha256;
        let kept_sha = a.entry("docs/kept.txt").unwrap().unwrap().sha256;

        let first = a.delete("docs/gone.txt").unwrap();
        assert_eq!(
            first.waiting,
            vec![gone_sha.clone()],
            "b and c have not agreed yet"
        );
        assert!(!a.local_path("docs/gone.txt").exists());
        assert_eq!(
            a.entry("docs/gone.txt").unwrap().unwrap().state,
            TransferState::DeletionPending
        );
        let in_cloud = |sha: &str| {
            ["json", "file"].iter().any(|extension| {
                a.remote()
                    .head(&Key::new(format!("files/objects/{sha}.{extension}")).unwrap())
                    .unwrap()
                    .is_some()
            })
        };
        assert!(in_cloud(&gone_sha));

        // c edits kept.txt while a deletes it.
        write(&c, "docs/kept.txt", b"edited on c");
        a.delete("docs/kept.txt").unwrap();

        let on_b = b.process_deletions().unwrap();
        assert!(on_b.applied.contains(&"docs/gone.txt".to_string()));
        assert!(!b.local_path("docs/gone.txt").exists());
        assert!(in_cloud(&gone_sha), "c has not agreed yet");
        let on_c = c.process_deletions().unwrap();
        assert_eq!(on_c.conflicts.len(), 1, "{on_c:?}");
        assert!(
            c.entry("docs/kept.txt")
                .unwrap()
                .unwrap()
                .conflict
                .is_some()
        );
        assert_eq!(
            std::fs::read(c.local_path("docs/kept.txt")).unwrap(),
            b"edited on c"
        );
        // c agreed to the first deletion: the last device to agree removes it.
        assert_eq!(on_c.removed_from_cloud, vec![gone_sha.clone()]);
        assert!(!in_cloud(&gone_sha));
        assert!(
            a.remote()
                .list(Some(&Key::new("files/parts").unwrap()))
                .unwrap()
                .iter()
                .all(|p| {
                    !p.key.as_str().contains(&cloud_sync::sha256_hex(
                        &b"to be deleted ".repeat(200)[..1024],
                    ))
                })
        );

        let on_a = a.process_deletions().unwrap();
        assert_eq!(
            a.entry("docs/gone.txt").unwrap().unwrap().state,
            TransferState::DeletionCompleted
        );
        assert_eq!(on_a.conflicts.len(), 1);
        let kept = a.entry("docs/kept.txt").unwrap().unwrap();
        assert_eq!(kept.state, TransferState::DeletionFailed);
        assert!(kept.conflict.unwrap().contains("edited on device"));
        assert!(in_cloud(&kept_sha), "a kept conflict removes nothing");
    }
}

#[test]
fn an_existing_catalogue_keeps_its_sha1_and_unknown_columns() {
    let backend = Backend::LocalDir(tempfile::tempdir().unwrap());
    let fixture = Fixture::new();
    let files = fixture.device(&backend, "laptop");
    let content = b"legacy file";
    let sha = cloud_sync::sha256_hex(content);
    let sha1 = "a94a8fe5ccb19ba61c4c0873d391e987982fbbd3";
    std::fs::write(
        files.catalogue_path(),
        format!(
            "# catalogue from the old design\nfiles |path, folder, sha256, sha1, size, state, device, updated, origin|\n    roms/legacy.bin, roms, \"{sha}\", \"{sha1}\", {}, UploadPending, old, \"2024-01-01T00:00:00Z\", imported\n",
            content.len()
        ),
    )
    .unwrap();
    write(&files, "roms/legacy.bin", content);
    files.upload(&|_| {}).unwrap();
    let entry = files.entry("roms/legacy.bin").unwrap().unwrap();
    assert_eq!(entry.state, TransferState::UploadCompleted);
    assert_eq!(entry.sha1.as_deref(), Some(sha1));
    let text = std::fs::read_to_string(files.catalogue_path()).unwrap();
    assert!(
        text.starts_with("# catalogue from the old design\n") && text.contains("imported"),
        "{text}"
    );
    assert!(
        text.contains("UploadCompleted"),
        "human-readable state: {text}"
    );
}

#[test]
fn uploading_content_already_in_the_cloud_costs_one_request() {
    let fixture = Fixture::new();
    let remote = Remote::in_memory(cloud_sync::Prefix::new("library").unwrap()).unwrap();
    let laptop = fixture.device_on(remote.clone(), "laptop");
    let desktop = fixture.device_on(remote.clone(), "desktop");
    let content = vec![7u8; 5000];
    write(&laptop, "docs/same.bin", &content);
    laptop.upload(&|_| {}).unwrap();
    write(&desktop, "docs/same.bin", &content);
    desktop.register().unwrap();
    let before = remote.request_count();
    let counts = desktop
        .upload_one("docs/same.bin", &mut |_| {})
        .unwrap()
        .unwrap();
    assert!(counts.already_in_cloud, "{counts:?}");
    // The manifest GET answers whether it is there; no HEAD before it.
    assert_eq!(remote.request_count() - before, 1);
    assert_eq!(
        availability_of(&desktop, "docs/same.bin"),
        Availability::Synchronized
    );
}
