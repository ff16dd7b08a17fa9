//! Content files against a real S3 server (s3s-fs on 127.0.0.1): upload and download of
//! 1,000 files of 4 KiB and of one large file through `cloud_sync::files`, next to raw
//! PUT / GET of the same bytes through the same client, with the same parallelism.
//! Writes `files.json` into `$BENCH_RESULTS_DIR` for `cargo xtask bench files`.
//!
//! `FILES_BENCH_LARGE_MB` sets the large file's size (200 by default); `S3S_FS` the
//! server binary (see `support/s3s.rs`).

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use cloud_sync::files::ContentFiles;
use cloud_sync::{Device, Key, Remote};

#[path = "support/s3s.rs"]
mod s3s;
use s3s::{remote, start};
use serde_json::json;

const SMALL_FILES: usize = 1000;
const SMALL_SIZE: usize = 4096;
const PARALLEL: usize = 4;

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

/// Raw PUT then GET of every blob, `PARALLEL` at a time, through one client.
fn raw(remote: &Remote, blobs: &[(String, Vec<u8>)]) -> (f64, f64) {
    let each = |work: &(dyn Fn(&Key, &[u8]) + Sync)| {
        let next = AtomicUsize::new(0);
        seconds(|| {
            std::thread::scope(|scope| {
                for _ in 0..PARALLEL.min(blobs.len()) {
                    scope.spawn(|| {
                        while let Some((name, bytes)) =
                            blobs.get(next.fetch_add(1, Ordering::Relaxed))
                        {
                            work(&Key::new(format!("raw/{name}")).unwrap(), bytes);
                        }
                    });
                }
            })
        })
        .0
    };
    let put = each(&|key, bytes| {
        remote.put_overwrite(key, bytes.to_vec()).unwrap();
    });
    let get = each(&|key, bytes| {
        assert_eq!(remote.get(key, u64::MAX).unwrap().bytes.len(), bytes.len());
    });
    (put, get)
}

fn measure(endpoint: &str, name: &str, blobs: &[(String, Vec<u8>)]) -> serde_json::Value {
    let dir = tempfile::tempdir().unwrap();
    let (raw_put, raw_get) = raw(&remote(endpoint, &format!("{name}-raw")), blobs);
    let open = |device: &str| {
        let home = dir.path().join(device);
        std::fs::create_dir_all(&home).unwrap();
        let device = Device::load_or_create(home.join("device.json"), device).unwrap();
        ContentFiles::new(
            home.join("content"),
            dir.path().join(format!("{name}.sdn")),
            remote(endpoint, name),
            device,
        )
        .unwrap()
        .with_parallel(PARALLEL)
    };
    let up = open("up");
    for (path, bytes) in blobs {
        let local = up.local_path(&format!("bench/{path}"));
        std::fs::create_dir_all(local.parent().unwrap()).unwrap();
        std::fs::write(local, bytes).unwrap();
    }
    let (upload, report) = seconds(|| up.upload(&|_| {}).unwrap());
    assert!(report.failed.is_empty());
    let down = open("down");
    let (download, report) = seconds(|| down.download_all(&|_| true, &|_| {}).unwrap());
    assert_eq!(report.downloaded.len(), blobs.len());
    let bytes: u64 = blobs.iter().map(|(_, b)| b.len() as u64).sum();
    let stored = report_stored(&up);
    println!(
        "{name}: upload {upload:.2} s (raw PUT {raw_put:.2} s, {:.2}x), download {download:.2} s (raw GET {raw_get:.2} s, {:.2}x), {bytes} bytes stored as {stored} ({:.2}x smaller)",
        upload / raw_put,
        download / raw_get,
        bytes as f64 / stored as f64
    );
    json!({
        "files": blobs.len(), "bytes": bytes, "stored_bytes": stored,
        "upload_s": upload, "raw_put_s": raw_put, "download_s": download, "raw_get_s": raw_get,
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
    let large_mb: usize = std::env::var("FILES_BENCH_LARGE_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let root = tempfile::tempdir().unwrap();
    let (_server, endpoint) = start(root.path());
    let small: Vec<(String, Vec<u8>)> = (0..SMALL_FILES)
        .map(|i| (format!("small/{i:04}.bin"), content(i as u64, SMALL_SIZE)))
        .collect();
    let small = measure(&endpoint, "small", &small);
    let large = vec![("large.bin".to_string(), content(7, large_mb << 20))];
    let large = measure(&endpoint, "large", &large);
    let results = json!({"server": "s3s-fs on 127.0.0.1", "parallel": PARALLEL, "small": small, "large": large});
    if let Some(dir) = std::env::var_os("BENCH_RESULTS_DIR") {
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            PathBuf::from(dir).join("files.json"),
            serde_json::to_vec_pretty(&results).unwrap(),
        )
        .unwrap();
    }
}
