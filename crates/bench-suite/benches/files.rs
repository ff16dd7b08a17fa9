//! Content files against a real S3 server (s3s-fs on 127.0.0.1): upload and download of
//! 1,000 files of 4 KiB and of one large file through `cloud_sync::files`, next to raw
//! PUT / GET of the same bytes through the same client, with the same parallelism, and
//! next to `rclone copy` (same server, same number of transfers) when rclone is
//! installed. Writes `files.json` into `$BENCH_RESULTS_DIR` for `cargo xtask bench files`.
//!
//! Temporary directories (local files and the server's data) follow `TMPDIR`, which
//! `cargo xtask bench` points under `target/`.
//! `FILES_BENCH_LARGE_MB` sets the large file's size (200 by default); `S3S_FS` the
//! server binary (else `s3s-fs` on `PATH`, else in `~/.cargo/bin`); `RCLONE` the rclone binary (else `rclone` on
//! `PATH`; the rclone rows are left out without it, and under `cargo test`).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use cloud_sync::files::ContentFiles;
use cloud_sync::{Device, Key, Remote};

// The s3s-fs launcher of cloud-sync's own tests: one launcher for tests and benches.
#[path = "../../cloud-sync/tests/support/mod.rs"]
mod s3s;
use s3s::S3Server;
use serde_json::json;

const SMALL_FILES: usize = 1000;
const SMALL_SIZE: usize = 4096;
const PARALLEL: usize = 4;
/// Upload rounds of the small files (the large file's take one: 200 MB three ways).
const SMALL_ROUNDS: usize = 3;

/// Bytes that compress about as well as typical binary assets: a random half and a
/// repeated half in every 4 KiB block.
fn content(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..len)
        .map(|i| {
            if i % 4096 < 2048 {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (state >> 33) as u8
            } else {
                (i % 251) as u8
            }
        })
        .collect()
}

fn seconds<T>(work: impl FnOnce() -> T) -> (f64, T) {
    let start = Instant::now();
    let value = work();
    (start.elapsed().as_secs_f64(), value)
}

/// Runs `work` on every blob, `PARALLEL` at a time, through one client; seconds.
fn each_blob(blobs: &[(String, Vec<u8>)], work: &(dyn Fn(&Key, &[u8]) + Sync)) -> f64 {
    let next = AtomicUsize::new(0);
    seconds(|| {
        std::thread::scope(|scope| {
            for _ in 0..PARALLEL.min(blobs.len()) {
                scope.spawn(|| {
                    while let Some((name, bytes)) = blobs.get(next.fetch_add(1, Ordering::Relaxed))
                    {
                        work(&Key::new(format!("raw/{name}")).unwrap(), bytes);
                    }
                });
            }
        })
    })
    .0
}

fn raw_put(remote: &Remote, blobs: &[(String, Vec<u8>)]) -> f64 {
    each_blob(blobs, &|key, bytes| {
        remote.put_overwrite(key, bytes.to_vec()).unwrap();
    })
}

fn raw_get(remote: &Remote, blobs: &[(String, Vec<u8>)]) -> f64 {
    each_blob(blobs, &|key, bytes| {
        assert_eq!(remote.get(key, u64::MAX).unwrap().bytes.len(), bytes.len());
    })
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// The rclone binary, if it runs.
fn rclone() -> Option<PathBuf> {
    let binary = PathBuf::from(std::env::var_os("RCLONE").unwrap_or_else(|| "rclone".into()));
    let runs = Command::new(&binary)
        .arg("version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    runs.then_some(binary)
}

/// `rclone copy from to` against the bench's server: the remote `bench:` is defined by
/// environment variables only (an empty config file, so no user configuration counts),
/// with the same credentials and number of transfers as the client under test.
fn rclone_copy(binary: &Path, endpoint: &str, config: &Path, from: &str, to: &str) -> f64 {
    let mut command = Command::new(binary);
    command
        .args(["copy", from, to, "--transfers", &PARALLEL.to_string()])
        .env("RCLONE_CONFIG", config)
        .env("RCLONE_CONFIG_BENCH_TYPE", "s3")
        .env("RCLONE_CONFIG_BENCH_PROVIDER", "Other")
        .env("RCLONE_CONFIG_BENCH_ENDPOINT", endpoint)
        .env("RCLONE_CONFIG_BENCH_ACCESS_KEY_ID", s3s::ACCESS_KEY)
        .env("RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY", s3s::SECRET_KEY)
        .env("RCLONE_CONFIG_BENCH_REGION", "us-east-1")
        .env("RCLONE_CONFIG_BENCH_FORCE_PATH_STYLE", "true")
        .stdout(Stdio::null());
    // Plain HTTP to 127.0.0.1: a CA bundle or proxy from the environment only gets in
    // the way (rclone refuses to start with AWS_CA_BUNDLE on a plain-HTTP transport).
    for name in [
        "AWS_CA_BUNDLE",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
    ] {
        command.env_remove(name);
    }
    let (elapsed, status) = seconds(|| command.status().expect("rclone runs"));
    assert!(status.success(), "rclone copy {from} {to} failed");
    elapsed
}

/// rclone with its configuration and the blobs written out as files.
struct Rclone {
    binary: PathBuf,
    endpoint: String,
    dir: tempfile::TempDir,
}

impl Rclone {
    fn new(endpoint: &str, name: &str, blobs: &[(String, Vec<u8>)]) -> Option<Rclone> {
        let Some(binary) = rclone() else {
            println!(
                "{name}: rclone is not installed (apt-get install rclone): its row is skipped"
            );
            return None;
        };
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("rclone.conf"), "").unwrap();
        for (path, bytes) in blobs {
            let local = dir.path().join("source").join(path);
            std::fs::create_dir_all(local.parent().unwrap()).unwrap();
            std::fs::write(local, bytes).unwrap();
        }
        Some(Rclone {
            binary,
            endpoint: endpoint.to_owned(),
            dir,
        })
    }

    fn copy(&self, from: &str, to: &str) -> f64 {
        let config = self.dir.path().join("rclone.conf");
        rclone_copy(&self.binary, &self.endpoint, &config, from, to)
    }

    fn upload(&self, remote: &str) -> f64 {
        self.copy(self.dir.path().join("source").to_str().unwrap(), remote)
    }

    fn download(&self, remote: &str, blobs: &[(String, Vec<u8>)]) -> f64 {
        let target = self.dir.path().join("target");
        let elapsed = self.copy(remote, target.to_str().unwrap());
        for (path, bytes) in blobs {
            let got = std::fs::metadata(target.join(path)).expect("rclone downloaded every file");
            assert_eq!(got.len(), bytes.len() as u64);
        }
        elapsed
    }
}

/// Uploads (ours, raw PUT, rclone) take turns for `rounds` rounds, each into fresh keys
/// and a fresh catalogue, so a burst of background I/O hits all three alike; medians.
/// Downloads run once each, from the last round's copies.
fn measure(
    server: &S3Server,
    name: &str,
    blobs: &[(String, Vec<u8>)],
    rounds: usize,
    with_rclone: bool,
) -> serde_json::Value {
    let dir = tempfile::tempdir().unwrap();
    let open = |device: &str, prefix: &str| {
        let home = dir.path().join(device);
        std::fs::create_dir_all(&home).unwrap();
        let device = Device::load_or_create(home.join("device.json"), device).unwrap();
        ContentFiles::new(
            home.join("content"),
            // One catalogue per round, shared by its uploading and downloading device,
            // as if synced between them.
            dir.path().join(format!("{prefix}.sdn")),
            server.remote(prefix),
            device,
        )
        .unwrap()
        .with_parallel(PARALLEL)
    };
    let rclone = with_rclone
        .then(|| Rclone::new(&server.endpoint, name, blobs))
        .flatten();
    let (mut uploads, mut raw_puts, mut rclone_ups) = (Vec::new(), Vec::new(), Vec::new());
    let mut last = None;
    for round in 0..rounds {
        let prefix = format!("{name}-{round}");
        let up = open(&format!("up-{round}"), &prefix);
        for (path, bytes) in blobs {
            let local = up.local_path(&format!("bench/{path}"));
            std::fs::create_dir_all(local.parent().unwrap()).unwrap();
            std::fs::write(local, bytes).unwrap();
        }
        let (upload, report) = seconds(|| up.upload(&|_| {}).unwrap());
        assert!(report.failed.is_empty());
        uploads.push(upload);
        let raw = server.remote(&format!("{prefix}-raw"));
        raw_puts.push(raw_put(&raw, blobs));
        if let Some(rclone) = &rclone {
            rclone_ups.push(rclone.upload(&format!("bench:{}/{prefix}-rclone", s3s::BUCKET)));
        }
        last = Some((prefix, up, raw));
    }
    let (prefix, up, raw) = last.expect("at least one round");
    let (upload, raw_put) = (median(uploads), median(raw_puts));
    let down = open("down", &prefix);
    let (download, report) = seconds(|| down.download_all(&|_| true, &|_| {}).unwrap());
    assert_eq!(report.downloaded.len(), blobs.len());
    let raw_get = raw_get(&raw, blobs);
    let bytes: u64 = blobs.iter().map(|(_, b)| b.len() as u64).sum();
    let stored = report_stored(&up);
    println!(
        "{name}: upload {upload:.2} s (raw PUT {raw_put:.2} s, {:.2}x; medians of {rounds}), download {download:.2} s (raw GET {raw_get:.2} s, {:.2}x), {bytes} bytes stored as {stored} ({:.2}x smaller)",
        upload / raw_put,
        download / raw_get,
        bytes as f64 / stored as f64
    );
    let rclone = rclone.map(|rclone| {
        let rclone_down = rclone.download(&format!("bench:{}/{prefix}-rclone", s3s::BUCKET), blobs);
        (median(rclone_ups), rclone_down)
    });
    if let Some((rclone_up, rclone_down)) = rclone {
        println!(
            "{name}: rclone copy upload {rclone_up:.2} s (ours {:.2}x of it), download {rclone_down:.2} s (ours {:.2}x of it)",
            upload / rclone_up,
            download / rclone_down
        );
    }
    json!({
        "files": blobs.len(), "bytes": bytes, "stored_bytes": stored, "upload_rounds": rounds,
        "upload_s": upload, "raw_put_s": raw_put, "download_s": download, "raw_get_s": raw_get,
        "rclone_upload_s": rclone.map(|(up, _)| up), "rclone_download_s": rclone.map(|(_, down)| down),
    })
}

fn report_stored(files: &ContentFiles) -> u64 {
    files
        .entries()
        .unwrap()
        .iter()
        .filter_map(|entry| entry.stored_size)
        .sum()
}

fn main() {
    let large_mb: usize = test_support::knob::number("FILES_BENCH_LARGE_MB", 200);
    let server = S3Server::start("bench files").expect("the files bench needs s3s-fs");
    let small: Vec<(String, Vec<u8>)> = (0..SMALL_FILES)
        .map(|i| (format!("small/{i:04}.bin"), content(i as u64, SMALL_SIZE)))
        .collect();
    // `cargo test` runs this bench once as a smoke test of our own path: one round, and
    // rclone, an outside tool, only under `cargo bench` (which passes `--bench`).
    let benchmarking = std::env::args().any(|arg| arg == "--bench");
    let rounds = if benchmarking { SMALL_ROUNDS } else { 1 };
    let small = measure(&server, "small", &small, rounds, benchmarking);
    let large = vec![("large.bin".to_string(), content(7, large_mb << 20))];
    let large = measure(&server, "large", &large, 1, benchmarking);
    let results = json!({"server": "s3s-fs on 127.0.0.1", "parallel": PARALLEL, "small": small, "large": large});
    if let Some(dir) = std::env::var_os("BENCH_RESULTS_DIR") {
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            PathBuf::from(dir).join(bench_suite::results::FILES_FILE),
            serde_json::to_vec_pretty(&results).unwrap(),
        )
        .unwrap();
    }
}
