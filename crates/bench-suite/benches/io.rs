//! Durable replacement of a 4 KiB and a 40 KiB file: atomic-io against the bare syscall
//! sequence it must match (goal: within 1.1x), `fs::write` (not durable, for scale) and
//! the baseline's phase 1 (not durable, shared temp name).
//!
//! Runs in a directory under the target dir, on a real disk: tmpfs would make every
//! flush free and the comparison meaningless.

use std::fs;
use std::path::{Path, PathBuf};

use bench_suite::replace::bare_durable_replace;
use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};

fn bench_dir() -> PathBuf {
    let dir = std::env::var_os("BENCH_IO_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_TARGET_TMPDIR")).join("bench-io"));
    fs::create_dir_all(&dir).expect("create the benchmark directory");
    dir
}

fn durable_replace(c: &mut Criterion) {
    let dir = bench_dir();
    for (label, size) in [("4KiB", 4 * 1024), ("40KiB", 40 * 1024)] {
        let bytes: Vec<u8> = (0..size).map(|i| b'a' + (i % 26) as u8).collect();
        let mut group = c.benchmark_group(format!("durable_replace_{label}"));
        // Each iteration costs a couple of flushes (milliseconds on a real disk).
        group.sampling_mode(SamplingMode::Flat);
        group.sample_size(20);
        let target = dir.join(format!("atomic-io-{label}.dat"));
        group.bench_function("atomic_io", |b| {
            b.iter(|| atomic_io::write(&target, &bytes).expect("atomic-io write"))
        });
        let target = dir.join(format!("bare-{label}.dat"));
        group.bench_function("bare_syscalls", |b| {
            b.iter(|| bare_durable_replace(&dir, &target, &bytes).expect("bare sequence"))
        });
        let target = dir.join(format!("fs-write-{label}.dat"));
        group.bench_function("fs_write_not_durable", |b| {
            b.iter(|| fs::write(&target, &bytes).expect("fs::write"))
        });
        let target = dir.join(format!("baseline-{label}.dat"));
        group.bench_function("baseline_phase1_not_durable", |b| {
            b.iter(|| baseline::phase1::save_phase1(&target, &bytes).expect("baseline save"))
        });
        group.finish();
    }
}

criterion_group!(benches, durable_replace);
criterion_main!(benches);
