//! Where the benches leave the figures they measure outside criterion (`<name>.json`), for
//! `cargo xtask bench` to render into `docs/benchmarks.md`, and what those files hold: the
//! schemas of [`multiprocess`] (`results.json`), [`store`](mod@store) (`store.json`) and [`sdn`]
//! (`sdn.json`); the `versioning`, `files` and `sync` benches' figures are read as JSON
//! values ([`BenchFiles`]).
//!
//! Not published. A crate of its own, with serde as its only dependency, so that the
//! report can be rendered by a program that links neither the benchmarks nor the crates
//! they measure (bench-suite re-exports it as `bench_suite::results`).
//!
//! ```
//! use bench_results::{HandoffRow, Stored};
//!
//! let dir = tempfile::tempdir()?;
//! let mut stored = Stored::load(dir.path());
//! assert!(stored.handoff.is_empty(), "nothing measured yet");
//! stored.handoff.push(HandoffRow {
//!     design: "ours".into(),
//!     rounds: 400,
//!     p50_us: 45.0,
//!     p95_us: 90.0,
//!     p99_us: 150.0,
//!     max_us: 900.0,
//! });
//! stored.save(dir.path())?;
//! assert_eq!(Stored::load(dir.path()).handoff[0].p50_us, 45.0);
//! # Ok::<(), std::io::Error>(())
//! ```
#![deny(missing_docs)]

use std::fs;
use std::path::PathBuf;

use serde_json::{Map, Value};

pub mod multiprocess;
pub mod sdn;
pub mod store;

pub use multiprocess::{ContentionRow, HandoffRow, ReplaceRow, Stored};

/// The file the `store` bench stores its figures in ([`StoreResults`]).
pub const STORE_FILE: &str = "store.json";
/// The file the `sdn` bench stores its figures in ([`SdnResults`]).
pub const SDN_FILE: &str = "sdn.json";
/// The file the `versioning` bench stores its figures in.
pub const VERSIONING_FILE: &str = "versioning.json";
/// The file the `files` bench stores its figures in.
pub const FILES_FILE: &str = "files.json";
/// The file the `sync` bench stores its figures in.
pub const SYNC_FILE: &str = "sync.json";
pub use sdn::SdnResults;
pub use store::StoreResults;

/// `$BENCH_RESULTS_DIR`, else `<target>/xtask-bench`, found from the running bench
/// executable (`<target>/<profile>/deps/<bench>-<hash>`); `target/xtask-bench` when that
/// cannot be told.
pub fn dir() -> PathBuf {
    std::env::var_os("BENCH_RESULTS_DIR")
        .map(PathBuf::from)
        .or_else(|| {
            let exe = std::env::current_exe().ok()?;
            Some(exe.parent()?.parent()?.parent()?.join("xtask-bench"))
        })
        .unwrap_or_else(|| PathBuf::from("target/xtask-bench"))
}

/// Sets the top-level `entries` of `<dir>/<file>`, keeping its other keys (a run that
/// skips a part keeps that part's previous figures), and says where they went. A failure
/// to write is reported on stderr, not fatal: the figures were printed already.
pub fn store(file: &str, entries: Map<String, Value>) {
    let dir = dir();
    let path = dir.join(file);
    let mut root = fs::read(&path)
        .ok()
        .and_then(|bytes| serde_json::from_slice::<Map<String, Value>>(&bytes).ok())
        .unwrap_or_default();
    root.extend(entries);
    let written = fs::create_dir_all(&dir).and_then(|()| {
        let json = serde_json::to_vec_pretty(&root).map_err(std::io::Error::other)?;
        fs::write(&path, json)
    });
    match written {
        Ok(()) => println!("results stored in {}", path.display()),
        Err(e) => eprintln!("could not store results in {}: {e}", path.display()),
    }
}

/// What the `sdn`, `store` and `versioning` benches stored, if they ran.
#[derive(Debug, Clone, Default)]
pub struct BenchFiles {
    /// `store.json`.
    pub store: Option<StoreResults>,
    /// `sdn.json`.
    pub sdn: Option<SdnResults>,
    /// `versioning.json`, as stored (its figures are read by name).
    pub versioning: Option<serde_json::Value>,
    /// `files.json`, as stored (its figures are read by name).
    pub files: Option<serde_json::Value>,
    /// `sync.json`, as stored (its figures are read by name).
    pub sync: Option<serde_json::Value>,
}
