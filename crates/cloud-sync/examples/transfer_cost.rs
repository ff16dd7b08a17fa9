//! What a push and a pull cost next to a raw PUT / GET of the same bytes through the same
//! client, and how many requests a check costs when nothing changed.
//!
//! ```sh
//! # a local-directory remote in a temp folder:
//! cargo run --release -p recfiles-cloud-sync --example transfer_cost
//! # an S3-compatible server (s3s-fs, MinIO, ...):
//! AWS_ENDPOINT_URL=http://127.0.0.1:8014 AWS_ALLOW_HTTP=true AWS_ACCESS_KEY_ID=... \
//!   AWS_SECRET_ACCESS_KEY=... cargo run --release -p recfiles-cloud-sync --example transfer_cost -- s3 BUCKET
//! ```

use std::time::{Duration, Instant};

use cloud_sync::{Device, FileKind, FileSync, Key, Prefix, PullMode, Remote, S3Config};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let scratch = tempfile::tempdir()?;
    let run = uuid_like();
    let prefix = Prefix::new(format!("transfer-cost-{run}"))?;
    let remote = |prefix: &Prefix| -> Result<Remote, cloud_sync::Error> {
        match args.first().map(String::as_str) {
            Some("s3") => Remote::s3(
                &S3Config::from_env(args.get(1).cloned().unwrap_or_else(|| "bench".into())),
                prefix.clone(),
            ),
            _ => Remote::local_dir(scratch.path().join("remote"), prefix.clone()),
        }
    };
    println!("remote: {:?}", remote(&prefix)?);
    println!(
        "{:>8} {:>12} {:>12} {:>12} {:>12} {:>9} {:>9}",
        "size", "push", "raw PUT", "pull", "raw GET", "push/PUT", "pull/GET"
    );
    for megabytes in [1usize, 50] {
        let content = database_like(megabytes << 20);
        let size_prefix = Prefix::new(format!("{}/{megabytes}mb", prefix.as_str()))?;
        let laptop = device(
            &scratch,
            &format!("laptop-{megabytes}"),
            remote(&size_prefix)?,
        )?;
        let desktop = device(
            &scratch,
            &format!("desktop-{megabytes}"),
            remote(&size_prefix)?,
        )?;
        let raw = remote(&size_prefix)?;
        let raw_key = Key::new("raw/object")?;

        let mut push = Duration::MAX;
        let mut put = Duration::MAX;
        let mut pull = Duration::MAX;
        let mut get = Duration::MAX;
        for round in 0..3 {
            let mut edited = content.clone();
            edited.extend_from_slice(format!("round {round}\n").as_bytes());
            std::fs::write(laptop.path(), &edited)?;
            push = push.min(timed(|| laptop.push_file().map(drop))?);
            put = put.min(timed(|| {
                raw.put_overwrite(&raw_key, edited.clone()).map(drop)
            })?);
            pull = pull.min(timed(|| {
                desktop.pull_file(PullMode::FastForwardOnly).map(drop)
            })?);
            get = get.min(timed(|| raw.get(&raw_key, u64::MAX).map(drop))?);
        }
        println!(
            "{:>6}MB {:>12?} {:>12?} {:>12?} {:>12?} {:>8.2}x {:>8.2}x",
            megabytes,
            push,
            put,
            pull,
            get,
            push.as_secs_f64() / put.as_secs_f64(),
            pull.as_secs_f64() / get.as_secs_f64()
        );
        let before = laptop.remote().request_count();
        let unchanged_push = timed(|| laptop.push_file().map(drop))?;
        println!(
            "          push with nothing to push: {} request(s), {unchanged_push:?}",
            laptop.remote().request_count() - before
        );
    }
    Ok(())
}

fn device(
    scratch: &tempfile::TempDir,
    name: &str,
    remote: Remote,
) -> Result<FileSync, cloud_sync::Error> {
    let dir = scratch.path().join(name);
    std::fs::create_dir_all(&dir).map_err(|e| cloud_sync::Error::Local {
        operation: cloud_sync::Operation::WriteLocal,
        path: dir.clone(),
        source: e,
    })?;
    let device = Device::load_or_create(dir.join("device.json"), name)?;
    Ok(FileSync::new(
        remote,
        dir.join("catalogue.db"),
        FileKind::Plain,
        device,
    ))
}

fn timed(
    work: impl FnOnce() -> Result<(), cloud_sync::Error>,
) -> Result<Duration, cloud_sync::Error> {
    let start = Instant::now();
    work()?;
    Ok(start.elapsed())
}

/// Rows of a file catalogue as text: hashes and sizes, compressing about 2:1 like a real
/// metadata database.
fn database_like(size: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(size + 128);
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut row = 0u64;
    while out.len() < size {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        row += 1;
        out.extend_from_slice(
            format!(
                "{row}, roms/{row:08}.zip, {state:016x}{:016x}, {}\n",
                state.rotate_left(17),
                state % 100_000
            )
            .as_bytes(),
        );
    }
    out
}

fn uuid_like() -> String {
    format!(
        "{:x}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos()
    )
}
