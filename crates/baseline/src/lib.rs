//! **A benchmark baseline, not a library to use.**
//!
//! This crate implements the original design that the workspace's crates replace, exactly
//! as it was planned (see `BASELINE.md` in the project's shared notes), *bugs included*, so
//! that tests and benchmarks can run the old and the new design side by side on the same
//! machine in the same run. Do not use it to store data: every known defect is reproduced
//! on purpose.
//!
//! | phase | module | what it does | known defects (kept on purpose) |
//! |---|---|---|---|
//! | 1 | [`phase1`] | write `<file>.tmp` (one fixed name), rename it over the target, no flush; a start-up sweep deletes every `*.tmp` | two writers share the temp name; no durability after power loss; the sweep deletes unrelated files |
//! | 2 | [`phase2`] | `<file>.lock` created with exclusive-create, polled with sleeps, deleted as stale after 60 s; load and save each take the lock separately | lost updates between load and save; 10–160 ms hand-off latency; a crashed holder blocks others for 60 s; stale-lock delete-then-create race |
//! | 3 | [`phase3`] | `Database<T>` whose records convert to and from rows of strings by position | column order changes break mapping; unknown columns are dropped on save |
//!
//! # Example
//!
//! ```
//! use baseline::phase1::save_phase1;
//! use baseline::phase2::{load_phase2, save_phase2};
//!
//! let dir = tempfile::tempdir()?;
//! let path = dir.path().join("todo_db.sdn");
//! save_phase1(&path, b"counter |n|\n    1\n")?;
//! let text = load_phase2(&path)?; // lock, read, unlock
//! save_phase2(&path, &text)?;     // lock again, write, unlock: NOT one transaction
//! assert_eq!(std::fs::read(&path)?, text);
//! # Ok::<(), std::io::Error>(())
//! ```
#![deny(missing_docs)]

pub mod phase1;
pub mod phase2;
pub mod phase3;
pub mod table;
