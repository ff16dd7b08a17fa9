//! Content files under SIGKILL: a worker process (this test binary,
//! `CLOUD_SYNC_FILES_WORKER=<mode>`) uploads or downloads in a loop until it is killed
//! at a random point. After every kill every file manifest in the cloud names complete,
//! verified content, and every local file under a final name is complete; at the end one
//! ordinary run finishes everything with no manual step. `CLOUD_SYNC_FILE_KILLS` sets
//! the number of kills per mode (`cargo xtask phase 5` runs 100).
//!
//! Also: two processes opening the same cloud-only file at once download it once.

mod support;

use std::path::Path;
use std::time::Duration;

use cloud_sync::files::{Availability, ContentFiles, FileEntry, FileManifest, TransferState};
use cloud_sync::{Key, Prefix, Remote, sha256_hex};
use rand::Rng;
use test_support::knob;
use test_support::worker::{self, STEP_LIMIT, Worker};

const PART_SIZE: usize = 4096;

fn files_for(remote_root: &Path, home: &Path) -> ContentFiles {
    let remote = Remote::local_dir(remote_root, Prefix::new("crash").unwrap()).unwrap();
    support::content_files(home, remote, "worker", PART_SIZE).with_parallel(2)
}

/// Self-describing content: one line repeated, so a torn file is recognisable.
fn content(round: u64, name: &str, lines: usize) -> Vec<u8> {
    format!("round {round} of {name} by {}\n", std::process::id())
        .repeat(lines)
        .into_bytes()
}

fn is_whole(bytes: &[u8]) -> bool {
    let text = String::from_utf8_lossy(bytes);
    let first = text.lines().next().unwrap_or_default();
    !first.is_empty() && text == format!("{first}\n").repeat(text.lines().count())
}

#[test]
fn files_crash_worker() {
    let Some(mode) = worker::role("CLOUD_SYNC_FILES_WORKER") else {
        return;
    };
    let remote_root = worker::path_var("CLOUD_SYNC_REMOTE");
    let home = worker::path_var("CLOUD_SYNC_HOME");
    let files = files_for(&remote_root, &home);
    println!("@@ready");
    match mode.as_str() {
        "upload" => {
            for round in 0u64.. {
                for name in ["small/a.txt", "small/b.txt", "small/c.txt", "big/multi.bin"] {
                    let lines = if name.starts_with("big") { 2000 } else { 20 };
                    let path = files.local_path(name);
                    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                    atomic_io::write(&path, content(round, name, lines)).unwrap();
                }
                println!("@@round {round}");
                // Each finished part is announced, so the test can kill inside the
                // multipart upload on purpose instead of hoping a random delay lands there.
                let report = files
                    .upload(&|progress| println!("@@part {}", progress.path))
                    .unwrap();
                assert!(report.failed.is_empty(), "{:?}", report.failed);
            }
        }
        "download" => {
            for round in 0u64.. {
                println!("@@round {round}");
                files.evict(&|_| true).unwrap();
                let report = files.download_all(&|_| true, &|_| {}).unwrap();
                assert!(report.failed.is_empty(), "{:?}", report.failed);
            }
        }
        "open" => {
            let mut go = String::new();
            std::io::stdin().read_line(&mut go).unwrap();
            let opened = files.open("big/shared.bin").unwrap();
            let sha = sha256_hex(&std::fs::read(&opened.path).unwrap());
            println!("@@opened downloaded={} sha={sha}", opened.downloaded);
        }
        other => panic!("unknown worker mode {other}"),
    }
}

/// Starts a worker in `mode` and waits until it is ready.
fn spawn_worker(mode: &str, remote_root: &Path, home: &Path) -> Worker {
    let mut command = worker::command("files_crash_worker", "CLOUD_SYNC_FILES_WORKER", mode);
    command
        .env("CLOUD_SYNC_REMOTE", remote_root)
        .env("CLOUD_SYNC_HOME", home);
    let worker = Worker::spawn(command, "@@", format!("{mode} worker"));
    assert_eq!(worker.line(STEP_LIMIT), "ready", "worker did not start");
    worker
}

/// Skips the worker's answers up to the first that contains `what`, and returns it.
fn answer_containing(worker: &Worker, what: &str) -> String {
    loop {
        let answer = worker.line(STEP_LIMIT);
        if answer.contains(what) {
            return answer;
        }
    }
}

fn assert_all_synchronized(files: &ContentFiles) {
    for status in files.status().unwrap() {
        assert_eq!(
            status.availability,
            Availability::Synchronized,
            "{}",
            status.path
        );
    }
}

fn kills() -> usize {
    knob::number("CLOUD_SYNC_FILE_KILLS", 25)
}

/// Every file object in the cloud holds complete content: a whole-file object decodes
/// (header line, then zstd or plain payload, as the crate documents it) to the content
/// its name promises, and a manifest names parts that exist and add up to its content.
fn cloud_is_complete(remote: &Remote) -> usize {
    let objects = remote
        .list(Some(&Key::new("files/objects").unwrap()))
        .unwrap();
    for info in &objects {
        let name = info.key.as_str().rsplit('/').next().unwrap();
        let stored = remote.get(&info.key, u64::MAX).unwrap().bytes;
        let (sha256, whole) = if let Some(sha256) = name.strip_suffix(".file") {
            (sha256, whole_object_content(&stored))
        } else {
            let manifest: FileManifest = serde_json::from_slice(&stored).unwrap();
            let mut whole = Vec::new();
            for part in &manifest.parts {
                let key = Key::new(format!("files/parts/{}.zst", part.sha256)).unwrap();
                let stored = remote
                    .get(&key, u64::MAX)
                    .expect("a manifest names only stored parts")
                    .bytes;
                whole.extend(zstd::stream::decode_all(&stored[..]).unwrap());
            }
            assert_eq!(name, format!("{}.json", manifest.sha256));
            (name.strip_suffix(".json").unwrap(), whole)
        };
        assert_eq!(
            sha256_hex(&whole),
            sha256,
            "object {} holds incomplete content",
            info.key.as_str()
        );
    }
    objects.len()
}

/// The content of a whole-file object: a JSON header line naming the compression, then
/// the payload.
fn whole_object_content(stored: &[u8]) -> Vec<u8> {
    let end = stored.iter().position(|&b| b == b'\n').unwrap();
    let header: serde_json::Value = serde_json::from_slice(&stored[..end]).unwrap();
    let payload = &stored[end + 1..];
    let content = match header["compression"].as_str() {
        Some("zstd") => zstd::stream::decode_all(payload).unwrap(),
        Some("none") => payload.to_vec(),
        other => panic!("unknown compression {other:?}"),
    };
    assert_eq!(header["size"].as_u64(), Some(content.len() as u64));
    assert_eq!(
        header["sha256"].as_str(),
        Some(sha256_hex(&content).as_str())
    );
    content
}

/// Every non-hidden local file is whole (no partial file under a final name).
fn local_files_are_whole(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries {
        let entry = entry.unwrap();
        let name = entry.file_name().into_string().unwrap();
        if name.starts_with('.') {
            continue;
        }
        if entry.file_type().unwrap().is_dir() {
            local_files_are_whole(&entry.path());
        } else {
            assert!(
                is_whole(&std::fs::read(entry.path()).unwrap()),
                "torn file {}",
                entry.path().display()
            );
        }
    }
}

fn kill_at_random(mode: &str, remote_root: &Path, home: &Path, rng: &mut impl Rng) {
    kill_after(mode, remote_root, home, rng, None);
}

/// Starts a worker and kills it in its first or second round, a random moment after the
/// round starts or, with `marker`, right after the worker prints a line containing it.
fn kill_after(
    mode: &str,
    remote_root: &Path,
    home: &Path,
    rng: &mut impl Rng,
    marker: Option<&str>,
) {
    let mut worker = spawn_worker(mode, remote_root, home);
    for _ in 0..rng.random_range(1..3) {
        answer_containing(&worker, "round");
    }
    if let Some(marker) = marker {
        answer_containing(&worker, marker);
    } else {
        // Kill timing only (not synchronisation): somewhere inside the next transfer.
        std::thread::sleep(Duration::from_micros(rng.random_range(0..30_000)));
    }
    let status = worker.kill().expect("the worker's exit status");
    assert!(
        worker::killed(status),
        "the worker ended on its own: {status}"
    );
}

#[test]
fn sigkill_during_uploads_and_multipart_uploads_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let remote_root = dir.path().join("remote");
    let home = dir.path().join("device");
    let mut rng = rand::rng();
    let kills = kills();
    let (mut killed_uploading, mut killed_in_multipart) = (0, 0);
    for kill in 0..kills {
        // Every fourth kill lands right after a part of the multipart file is stored,
        // so the resumed multipart upload is exercised on every run; the rest at random.
        let marker = (kill % 4 == 3).then_some("part big/multi.bin");
        kill_after("upload", &remote_root, &home, &mut rng, marker);
        let remote = Remote::local_dir(&remote_root, Prefix::new("crash").unwrap()).unwrap();
        cloud_is_complete(&remote);
        local_files_are_whole(&home.join("content"));
        let catalogue = record_store::Store::open(home.join("catalogue.sdn"))
            .unwrap()
            .read()
            .unwrap();
        let in_progress: Vec<FileEntry> = catalogue
            .table::<FileEntry>()
            .unwrap()
            .iter()
            .filter(|entry| entry.state == TransferState::UploadInProgress)
            .cloned()
            .collect();
        killed_uploading += usize::from(!in_progress.is_empty());
        killed_in_multipart += usize::from(
            in_progress
                .iter()
                .any(|entry| entry.path == "big/multi.bin"),
        );
    }
    let files = files_for(&remote_root, &home);
    // The next ordinary run resumes everything.
    let report = files.upload(&|_| {}).unwrap();
    assert!(
        report.failed.is_empty() && report.busy.is_empty(),
        "{report:?}"
    );
    assert_all_synchronized(&files);
    for status in files.status().unwrap() {
        assert_eq!(
            status.state,
            TransferState::UploadCompleted,
            "{}",
            status.path
        );
    }
    let manifests = cloud_is_complete(files.remote());
    let multi = files.entry("big/multi.bin").unwrap().unwrap();
    assert!(
        multi.size as usize > 10 * PART_SIZE,
        "the big file is a multipart upload"
    );
    println!(
        "{kills} kills during uploads: {killed_uploading} left an upload in progress ({killed_in_multipart} the multipart one), all resumed; {manifests} complete files in the cloud"
    );
    assert!(
        killed_in_multipart > 0,
        "some kills must land inside the multipart upload"
    );
    assert!(
        manifests >= kills / 2,
        "the kills must land while the worker uploads ({manifests} files)"
    );
}

fn seeded_cloud(remote_root: &Path, seed_home: &Path, names: &[(&str, usize)]) -> ContentFiles {
    let seed = files_for(remote_root, seed_home);
    for (name, lines) in names {
        let path = seed.local_path(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, content(0, name, *lines)).unwrap();
    }
    let report = seed.upload(&|_| {}).unwrap();
    assert!(report.failed.is_empty());
    seed
}

#[test]
fn sigkill_during_downloads_never_leaves_a_partial_file() {
    let dir = tempfile::tempdir().unwrap();
    let remote_root = dir.path().join("remote");
    let home = dir.path().join("device");
    let names = [
        ("roms/a.bin", 3000),
        ("roms/b.bin", 3000),
        ("docs/c.txt", 50),
        ("docs/d.txt", 50),
    ];
    let seed = seeded_cloud(&remote_root, &dir.path().join("seed"), &names);
    std::fs::create_dir_all(&home).unwrap();
    std::fs::copy(seed.catalogue_path(), home.join("catalogue.sdn")).unwrap();
    let mut rng = rand::rng();
    let kills = kills();
    for _ in 0..kills {
        kill_at_random("download", &remote_root, &home, &mut rng);
        local_files_are_whole(&home.join("content"));
    }
    let files = files_for(&remote_root, &home);
    let report = files.download_all(&|_| true, &|_| {}).unwrap();
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    assert_all_synchronized(&files);
    for (name, lines) in names {
        assert_eq!(
            std::fs::read(files.local_path(name)).unwrap(),
            content(0, name, lines)
        );
    }
    println!("{kills} kills during downloads");
}

#[test]
fn two_processes_opening_one_cloud_only_file_download_it_once() {
    let dir = tempfile::tempdir().unwrap();
    let remote_root = dir.path().join("remote");
    let home = dir.path().join("device");
    let seed = seeded_cloud(
        &remote_root,
        &dir.path().join("seed"),
        &[("big/shared.bin", 40_000)],
    );
    let expected = sha256_hex(&std::fs::read(seed.local_path("big/shared.bin")).unwrap());
    std::fs::create_dir_all(&home).unwrap();
    std::fs::copy(seed.catalogue_path(), home.join("catalogue.sdn")).unwrap();
    let mut workers: Vec<Worker> = (0..2)
        .map(|_| spawn_worker("open", &remote_root, &home))
        .collect();
    // Both are ready before either starts.
    for worker in &mut workers {
        worker.send("go");
    }
    let mut downloads = 0;
    for worker in workers {
        let line = answer_containing(&worker, "opened");
        assert!(line.ends_with(&format!("sha={expected}")), "{line}");
        downloads += usize::from(line.contains("downloaded=true"));
        worker.finish(STEP_LIMIT);
    }
    assert_eq!(downloads, 1, "one download for both processes");
}
