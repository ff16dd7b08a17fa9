//! What one uncontended lock + unlock pair costs, next to the bare kernel calls it is built on.
//!
//! ```text
//! cargo run --release -p recfiles-file-lock --example lock_cost [-- ITERATIONS [DIR]]
//! ```
//!
//! Runs `ITERATIONS` (default 100 000) pairs of each of:
//!
//! - `FileLock::lock(Exclusive, Try)` + `LockGuard::unlock()` on one handle,
//! - the same with `Wait::Forever`,
//! - the same with a fresh `FileLock` handle per pair (no cached sidecar descriptor),
//! - a raw `flock(LOCK_EX | LOCK_NB)` + `flock(LOCK_UN)` pair on an already open descriptor,
//! - (Linux) a raw `F_OFD_SETLK` write-lock + unlock pair on an already open descriptor,
//!   which is the kernel lock `FileLock` takes there,
//!
//! and prints nanoseconds per pair: wall-clock time, and (on Linux, from
//! `/proc/thread-self/schedstat`) the time this thread actually ran on a CPU, which other
//! busy processes on the machine inflate much less. The sidecar lives in a temporary directory under `DIR`
//! (default: the system temporary directory); the file system matters, so measure where
//! your data lives. Run it under `strace -c -f` or `perf stat` to see where the time goes.

use std::fs::File;
use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use file_lock::{FileLock, Mode, Wait};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let iterations: u32 = match args.next() {
        Some(text) => text.parse()?,
        None => 100_000,
    };
    let parent = args.next().map_or_else(std::env::temp_dir, PathBuf::from);
    let dir = tempfile::tempdir_in(parent)?;
    let data = dir.path().join("bench.sdn");
    println!(
        "{iterations} uncontended lock + unlock pairs (or single calls) each, per pair, sidecar in {}",
        dir.path().display()
    );

    let lock = FileLock::new(&data);
    report(
        "FileLock exclusive Try + unlock",
        iterations,
        time(iterations, || {
            lock.lock(Mode::Exclusive, Wait::Try)?.unlock()?;
            Ok(())
        })?,
    );
    report(
        "FileLock exclusive Forever + unlock",
        iterations,
        time(iterations, || {
            lock.lock(Mode::Exclusive, Wait::Forever)?.unlock()?;
            Ok(())
        })?,
    );
    report(
        "FileLock shared Try + drop",
        iterations,
        time(iterations, || {
            drop(lock.lock(Mode::Shared, Wait::Try)?);
            Ok(())
        })?,
    );
    report(
        "new FileLock per pair (opens the sidecar)",
        iterations,
        time(iterations, || {
            FileLock::new(&data).try_exclusive()?.unlock()?;
            Ok(())
        })?,
    );

    let sidecar = File::options()
        .read(true)
        .write(true)
        .open(lock.sidecar_path())?;
    report(
        "raw flock LOCK_EX|LOCK_NB + LOCK_UN",
        iterations,
        time(iterations, || {
            use rustix::fs::{FlockOperation, flock};
            flock(&sidecar, FlockOperation::NonBlockingLockExclusive)?;
            flock(&sidecar, FlockOperation::Unlock)?;
            Ok(())
        })?,
    );
    #[cfg(target_os = "linux")]
    report(
        "raw F_OFD_SETLK write + unlock",
        iterations,
        time(iterations, || {
            raw_ofd_pair(&sidecar)?;
            Ok(())
        })?,
    );

    println!("the other system calls of a FileLock pair, one each:");
    let record = [b' '; 256];
    report(
        "pwrite of the 256-byte holder record",
        iterations,
        time(iterations, || {
            use std::os::unix::fs::FileExt;
            sidecar.write_all_at(&record, 0)?;
            Ok(())
        })?,
    );
    #[cfg(target_os = "linux")]
    report(
        "statx(STATX_NLINK) (deleted-sidecar check)",
        iterations,
        time(iterations, || {
            use rustix::fs::{AtFlags, StatxFlags, statx};
            black_box(statx(
                &sidecar,
                c"",
                AtFlags::EMPTY_PATH,
                StatxFlags::NLINK,
            )?);
            Ok(())
        })?,
    );
    // With multigrain timestamps (Linux 6.13+) a stat that reads the file times makes the
    // next write store a fine-grained time and dirty the inode: the pair costs more than
    // its parts. This is why FileLock asks `statx` for the link count only.
    report(
        "fstat + pwrite (what FileLock avoids)",
        iterations,
        time(iterations, || {
            use std::os::unix::fs::FileExt;
            black_box(rustix::fs::fstat(&sidecar)?);
            sidecar.write_all_at(&record, 0)?;
            Ok(())
        })?,
    );
    report(
        "getpid (fork check)",
        iterations,
        time(iterations, || {
            black_box(std::process::id());
            Ok(())
        })?,
    );
    Ok(())
}

/// Wall-clock and on-CPU time of a run.
struct Elapsed {
    wall: Duration,
    cpu: Option<Duration>,
}

/// Runs `pair` `iterations` times (after a short warm-up) and returns the time taken.
fn time(
    iterations: u32,
    mut pair: impl FnMut() -> Result<(), Box<dyn std::error::Error>>,
) -> Result<Elapsed, Box<dyn std::error::Error>> {
    for _ in 0..iterations.min(1000) {
        pair()?;
    }
    let cpu_before = thread_cpu_time();
    let started = Instant::now();
    for _ in 0..iterations {
        black_box(pair()?);
    }
    let wall = started.elapsed();
    let cpu = thread_cpu_time()
        .zip(cpu_before)
        .map(|(after, before)| after.saturating_sub(before));
    Ok(Elapsed { wall, cpu })
}

/// How long this thread has run on a CPU: the first field of its `schedstat` (Linux only).
fn thread_cpu_time() -> Option<Duration> {
    let schedstat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let nanos = schedstat.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(nanos))
}

fn report(what: &str, iterations: u32, elapsed: Elapsed) {
    let per_pair = |total: Duration| total.as_nanos() / u128::from(iterations.max(1));
    let cpu = elapsed
        .cpu
        .map_or("n/a".to_owned(), |cpu| per_pair(cpu).to_string());
    println!(
        "{what:<45} {:>7} ns wall {cpu:>7} ns on-CPU",
        per_pair(elapsed.wall)
    );
}

#[cfg(target_os = "linux")]
fn raw_ofd_pair(file: &File) -> nix::Result<()> {
    use nix::fcntl::{FcntlArg, fcntl};
    use nix::libc;
    let whole_file = |lock_type: libc::c_int| libc::flock {
        l_type: lock_type as libc::c_short,
        l_whence: libc::SEEK_SET as libc::c_short,
        l_start: 0,
        l_len: 0,
        l_pid: 0,
    };
    fcntl(file, FcntlArg::F_OFD_SETLK(&whole_file(libc::F_WRLCK)))?;
    fcntl(file, FcntlArg::F_OFD_SETLK(&whole_file(libc::F_UNLCK)))?;
    Ok(())
}
