//! Power loss (the phase 1 checklist): an acknowledged durable write survives a power
//! cut at any moment, and the harness catches the two classic missing flushes. Needs
//! root (loop-mounted ext4 images).
//!
//! The writer is a worker process (this test binary re-run, `worker_process` with
//! `ATOMIC_IO_TEST_WORKER=power`) that saves the generation named on each stdin line and
//! acknowledges after the call returns.
//!
//! Scale knob: `ATOMIC_IO_POWER_POINTS` (crash points of the durable run, default 24).

use std::fs;
use std::io::{self, BufRead, Write};
use std::path::Path;
use std::process::Command;

use atomic_io::{Durability, Options};
use test_support::knob;
use test_support::mount::{Mount, is_root};
use test_support::worker::{self, STEP_LIMIT};

mod support;
use support::*;

/// How the "power" worker saves: through atomic-io, or through one of the two classic
/// flawed protocols the power-loss harness must catch. The flawed ones live here, in the
/// test, so atomic-io itself carries no switch that turns a flush off.
#[derive(Clone, Copy)]
enum PowerWriter {
    AtomicIo(Durability),
    /// Temp file, rename, directory flush, but no flush of the file: after a power cut
    /// the name may point at an empty or partial file.
    SkipFileFlush,
    /// Temp file flushed and renamed, directory not flushed: after a power cut the rename
    /// may be lost and the old content come back.
    SkipDirFlush,
}

impl PowerWriter {
    fn named(name: &str) -> Self {
        match name {
            "durable" => PowerWriter::AtomicIo(Durability::Durable),
            "atomic-only" => PowerWriter::AtomicIo(Durability::AtomicOnly),
            "skip-file-flush" => PowerWriter::SkipFileFlush,
            "skip-dir-flush" => PowerWriter::SkipDirFlush,
            other => panic!("unknown durability {other}"),
        }
    }

    fn save(self, target: &Path, generation: u64) {
        let contents = version(generation);
        let (flush_file, flush_dir) = match self {
            PowerWriter::AtomicIo(durability) => {
                Options::new()
                    .durability(durability)
                    .temp_strategy(STRATEGIES[(generation % 2) as usize])
                    .write(target, contents)
                    .unwrap();
                return;
            }
            PowerWriter::SkipFileFlush => (false, true),
            PowerWriter::SkipDirFlush => (true, false),
        };
        let temp = target.with_extension("flawed-tmp");
        let mut file = fs::File::create(&temp).unwrap();
        file.write_all(&contents).unwrap();
        if flush_file {
            file.sync_all().unwrap();
        }
        drop(file);
        fs::rename(&temp, target).unwrap();
        if flush_dir {
            fs::File::open(target.parent().unwrap())
                .unwrap()
                .sync_all()
                .unwrap();
        }
    }
}

/// Entry point of the power worker; does nothing in a normal test run.
#[test]
fn worker_process() {
    let Some(role) = worker::role(WORKER_ENV) else {
        return;
    };
    assert_eq!(role, "power", "unknown worker role");
    let target = worker_target();
    let writer = PowerWriter::named(&worker::var("ATOMIC_IO_DURABILITY"));
    for line in io::stdin().lock().lines() {
        let generation: u64 = line.unwrap().trim().parse().unwrap();
        writer.save(&target, generation);
        say(format!("ack {generation}"));
    }
}

/// One power-loss run: a worker writes generations to a file on an ext4 loop image
/// (`noauto_da_alloc`, so ext4 does not hide missing flushes) and acknowledges each after
/// the call returns; at each crash point the image file is copied (it holds only what
/// reached the block device: unflushed page cache is lost, as in a power cut), the copy
/// is mounted (replaying the journal) and checked. Returns the descriptions of crash
/// points that lost an acknowledged write.
fn power_loss_run(durability: &str, crash_points: usize) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let image = dir.path().join("disk.img");
    let live = dir.path().join("live");
    let snapshot_mount = dir.path().join("snapshot");
    fs::create_dir(&live).unwrap();
    fs::create_dir(&snapshot_mount).unwrap();
    fs::File::create(&image)
        .unwrap()
        .set_len(16 * 1024 * 1024)
        .unwrap();
    let status = Command::new("mkfs.ext4")
        .args(["-q", "-F"])
        .arg(&image)
        .status()
        .expect("mkfs.ext4");
    assert!(status.success());
    let image_arg = image.display().to_string();
    let _live_mount = Mount::new(&["-o", "loop,noauto_da_alloc", &image_arg], &live).unwrap();
    fs::create_dir(live.join("db")).unwrap();
    let target = live.join("db/gen.dat");
    // The setup itself (directory, first generation) is made durable by a full sync.
    fs::write(&target, version(0)).unwrap();
    assert!(Command::new("sync").status().unwrap().success());

    let mut worker = spawn_worker(
        "power",
        &[
            ("ATOMIC_IO_TARGET", target.display().to_string()),
            ("ATOMIC_IO_DURABILITY", durability.to_string()),
        ],
    );
    let mut rng = Rng::seeded();
    let mut generation = 0;
    let mut losses = Vec::new();
    for point in 0..crash_points {
        // One to three writes between crash points.
        for _ in 0..1 + rng.below(3) {
            generation += 1;
            worker.send(&generation.to_string());
            assert_eq!(worker.line(STEP_LIMIT), format!("ack {generation}"));
        }
        // Power cut now: the image holds what reached the device.
        let copy = dir.path().join("snapshot.img");
        fs::copy(&image, &copy).unwrap();
        let copy_arg = copy.display().to_string();
        let found = {
            let _mount = Mount::new(&["-o", "loop", &copy_arg], &snapshot_mount).unwrap();
            fs::read(snapshot_mount.join("db/gen.dat"))
        };
        let verdict = match found {
            Err(e) => Err(format!("file missing: {e}")),
            Ok(bytes) => match check_version(&bytes) {
                Ok(got) if got >= generation => Ok(()),
                Ok(got) => Err(format!("holds generation {got}")),
                Err(e) => Err(format!("incomplete: {e}")),
            },
        };
        if let Err(why) = verdict {
            losses.push(format!(
                "crash point {point}: acknowledged {generation}, {why}"
            ));
        }
        fs::remove_file(&copy).unwrap();
    }
    worker.finish(STEP_LIMIT);
    losses
}

#[test]
fn power_loss_never_loses_an_acknowledged_durable_write() {
    if !is_root() {
        eprintln!("SKIPPED: power_loss_never_loses_an_acknowledged_durable_write: needs root");
        return;
    }
    let points = knob::number("ATOMIC_IO_POWER_POINTS", 24).max(20);
    let losses = power_loss_run("durable", points);
    assert!(
        losses.is_empty(),
        "durable writes lost at power cuts: {losses:#?}"
    );
}

#[test]
fn power_loss_harness_catches_a_skipped_file_flush() {
    if !is_root() {
        eprintln!("SKIPPED: power_loss_harness_catches_a_skipped_file_flush: needs root");
        return;
    }
    let losses = power_loss_run("skip-file-flush", 6);
    eprintln!("skip-file-flush losses: {losses:#?}");
    assert!(
        !losses.is_empty(),
        "the harness did not notice the missing file flush"
    );
}

#[test]
fn power_loss_harness_catches_a_skipped_dir_flush() {
    if !is_root() {
        eprintln!("SKIPPED: power_loss_harness_catches_a_skipped_dir_flush: needs root");
        return;
    }
    let losses = power_loss_run("skip-dir-flush", 6);
    eprintln!("skip-dir-flush losses: {losses:#?}");
    assert!(
        !losses.is_empty(),
        "the harness did not notice the missing directory flush"
    );
}
