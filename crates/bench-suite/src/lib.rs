//! Benchmarks and multi-process measurements for the workspace, run by `cargo xtask bench`
//! (and, for the counter workers, by `cargo xtask demo` and `cargo xtask stress`).
//!
//! Not published. The criterion benches live in `benches/`; the `multiprocess` program
//! runs the measurements and the stress check between processes that `cargo xtask` starts
//! (xtask drives it, it does not link this crate). This library holds what they share: a
//! self-checking counter record ([`counter`]), worker processes ([`workers`], started
//! through the `bench-worker` binary, `multiprocess worker` or the demo's `worker`), their
//! coordinators ([`coord`]), a cross-process clock ([`clock`]), percentiles ([`stats`]),
//! peak memory ([`memory`]), an interleaved durable-replace measurement ([`replace`]) and
//! where the benches leave their figures ([`results`], the `bench-results` crate).
//!
//! ```
//! let record = bench_suite::counter::encode(41, std::process::id(), 4096);
//! assert_eq!(bench_suite::counter::decode(&record), Some(41));
//! ```
#![deny(missing_docs)]

pub mod clock;
pub mod coord;
pub mod counter;
pub mod memory;
pub mod replace;
pub mod stats;
pub mod workers;

pub use bench_results as results;
