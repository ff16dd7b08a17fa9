//! What atomic-io's test files share: the self-checking file versions their writers
//! save, the worker processes that save them (this test binary re-run, see
//! [`test_support::worker`]), and listings of a directory.
#![allow(dead_code)]

use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};

use atomic_io::TempStrategy;
use test_support::worker::{self, Worker};

/// The variable that names a worker's role; each test file's `worker_process` test is
/// the body of its workers.
pub const WORKER_ENV: &str = "ATOMIC_IO_TEST_WORKER";
/// What starts a worker's answer line on stdout (libtest prints its own lines too).
pub const WORKER_PREFIX: &str = "ATOMIC-IO-WORKER ";
/// Both temp strategies, for tests that run each.
pub const STRATEGIES: [TempStrategy; 2] = [TempStrategy::Auto, TempStrategy::Named];

/// Starts this test binary's `worker_process` as `role`, with `envs` set.
pub fn spawn_worker(role: &str, envs: &[(&str, String)]) -> Worker {
    let mut command = worker::command("worker_process", WORKER_ENV, role);
    command.arg("-q");
    for (key, value) in envs {
        command.env(key, value);
    }
    Worker::spawn(command, WORKER_PREFIX, format!("{role} worker"))
}

/// Worker side: one answer line to the parent.
pub fn say(message: impl std::fmt::Display) {
    worker::say(WORKER_PREFIX, message);
}

/// The file a worker writes (`ATOMIC_IO_TARGET`).
pub fn worker_target() -> PathBuf {
    worker::path_var("ATOMIC_IO_TARGET")
}

/// The temp strategy a worker was told to use (`named`, else auto).
pub fn strategy_named(name: &str) -> TempStrategy {
    match name {
        "named" => TempStrategy::Named,
        _ => TempStrategy::Auto,
    }
}

/// Sorted file names in `dir`.
pub fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The atomic-io temp files in `dir`.
pub fn temps_in(dir: &Path) -> Vec<String> {
    names_in(dir)
        .into_iter()
        .filter(|n| atomic_io::is_temp_name(OsStr::new(n)))
        .collect()
}

/// A small deterministic generator (xorshift64*), seeded per test run.
pub struct Rng(u64);

impl Rng {
    pub fn seeded() -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64;
        let seed = nanos ^ (u64::from(std::process::id()) << 32) | 1;
        eprintln!("rng seed {seed}");
        Rng(seed)
    }

    pub fn from_seed(seed: u64) -> Self {
        Rng(seed | 1)
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

/// A self-describing version: `gen=<n> len=<body length> sum=<fnv of body>\n<body>`.
/// Bodies vary in length (1 byte to 96 KiB) so crashes land in different places.
pub fn version(generation: u64) -> Vec<u8> {
    let mut rng = Rng::from_seed(generation.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    let len = 1 + rng.below(96 * 1024) as usize;
    let body: Vec<u8> = (0..len).map(|_| b'a' + (rng.next() % 26) as u8).collect();
    let mut out = format!("gen={generation} len={len} sum={:016x}\n", fnv1a(&body)).into_bytes();
    out.extend_from_slice(&body);
    out
}

/// The generation of a complete version, or why `bytes` is not one.
pub fn check_version(bytes: &[u8]) -> Result<u64, String> {
    let newline = bytes
        .iter()
        .position(|&b| b == b'\n')
        .ok_or_else(|| format!("no header in {} bytes", bytes.len()))?;
    let header = std::str::from_utf8(&bytes[..newline]).map_err(|e| e.to_string())?;
    let body = &bytes[newline + 1..];
    let field = |key: &str| -> Result<&str, String> {
        header
            .split(' ')
            .find_map(|part| part.strip_prefix(key))
            .ok_or_else(|| format!("header {header:?} lacks {key}"))
    };
    let generation: u64 = field("gen=")?.parse().map_err(|_| "bad gen".to_string())?;
    let len: usize = field("len=")?.parse().map_err(|_| "bad len".to_string())?;
    let sum = u64::from_str_radix(field("sum=")?, 16).map_err(|_| "bad sum".to_string())?;
    if body.len() != len {
        return Err(format!(
            "gen {generation}: body {} bytes, header says {len}",
            body.len()
        ));
    }
    if fnv1a(body) != sum {
        return Err(format!("gen {generation}: checksum mismatch"));
    }
    Ok(generation)
}
