//! Uncontended lock + unlock: file-lock (goal ≤ 5 µs) against a raw `flock` pair on an
//! open descriptor (the floor) and the baseline's lock file (create + delete).

use std::fs::{self, File};
use std::path::{Path, PathBuf};

use criterion::{Criterion, criterion_group, criterion_main};
use rustix::fs::{FlockOperation, flock};

fn bench_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("bench-lock");
    fs::create_dir_all(&dir).expect("create the benchmark directory");
    dir
}

fn uncontended(c: &mut Criterion) {
    let dir = bench_dir();
    let mut group = c.benchmark_group("lock_unlock");

    let path = dir.join("file-lock.dat");
    let lock = file_lock::FileLock::new(&path);
    group.bench_function("file_lock_exclusive", |b| {
        b.iter(|| {
            let guard = lock.exclusive().expect("lock");
            guard.unlock().expect("unlock");
        })
    });
    group.bench_function("file_lock_shared", |b| {
        b.iter(|| {
            let guard = lock.shared().expect("lock");
            guard.unlock().expect("unlock");
        })
    });

    let raw = File::create(dir.join("raw.lock")).expect("create the raw lock file");
    group.bench_function("raw_flock_pair", |b| {
        b.iter(|| {
            flock(&raw, FlockOperation::LockExclusive).expect("flock");
            flock(&raw, FlockOperation::Unlock).expect("unlock");
        })
    });

    let path = dir.join("baseline.dat");
    group.bench_function("baseline_lock_file", |b| {
        b.iter(|| {
            baseline::phase2::LockFile::acquire(&path)
                .expect("baseline lock")
                .release()
                .expect("baseline release")
        })
    });
    group.finish();
}

criterion_group!(benches, uncontended);
criterion_main!(benches);
