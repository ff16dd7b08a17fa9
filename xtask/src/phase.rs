//! `cargo xtask phase N`: each phase's checklist, item by item, with PASS / FAIL / SKIP.
//!
//! A phase is one entry in [`PHASES`]: its checklist items (the text of the issue that
//! defined the phase) and, for each, the tests that prove it. Each phase's checklist lives in
//! a module named for its crate (`atomic_io`, `file_lock`, `record_store`, `versioning`,
//! `cloud_sync`); `runner` runs one. Adding a phase is adding one module and one entry.

mod atomic_io;
mod cloud_sync;
mod file_lock;
mod record_store;
mod runner;
mod versioning;

pub use runner::{Verdict, run};

/// How one checklist item is proved.
pub enum Check {
    /// Tests of one test target; the item passes when all of them pass.
    Tests {
        /// Cargo package.
        package: &'static str,
        /// Integration test target (`tests/<target>.rs`).
        target: &'static str,
        /// Test function names (exact; a name inside a module may be given without it).
        names: &'static [&'static str],
    },
    /// A package's heavy crash run (as in `cargo xtask crash`) with this many kills.
    Crash {
        /// The package whose crash suite runs.
        package: &'static str,
        /// SIGKILLs to deliver.
        kills: u64,
    },
}

/// One checklist item.
pub struct Item {
    /// The item as the issue states it.
    pub text: &'static str,
    /// What proves it.
    pub check: Check,
}

/// One phase: its number, what it guarantees, its checklist.
pub struct Phase {
    /// Phase number.
    pub number: u32,
    /// The crate and guarantee.
    pub title: &'static str,
    /// Checklist items.
    pub items: &'static [Item],
    /// Environment for the phase's test runs: scales the tests that default to a quick
    /// size under plain `cargo test` up to the size the checklist promises.
    pub env: &'static [(&'static str, &'static str)],
}

const fn tests(
    package: &'static str,
    target: &'static str,
    names: &'static [&'static str],
) -> Check {
    Check::Tests {
        package,
        target,
        names,
    }
}

/// Every phase with a checklist, in order.
pub const PHASES: &[Phase] = &[
    atomic_io::PHASE,
    file_lock::PHASE,
    record_store::PHASE,
    versioning::PHASE,
    cloud_sync::PHASE,
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util;

    /// Every test a checklist names exists in its test file, so a renamed test fails here
    /// instead of turning an item into a FAIL at run time.
    #[test]
    fn every_named_test_exists_in_its_file() {
        for phase in PHASES {
            for item in phase.items {
                let Check::Tests {
                    package,
                    target,
                    names,
                } = item.check
                else {
                    continue;
                };
                let file = util::workspace_root().join(util::test_file(package, target));
                let source = std::fs::read_to_string(&file)
                    .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
                for name in names {
                    assert!(
                        source.contains(&format!("fn {name}(")),
                        "phase {}: {name} not found in {}",
                        phase.number,
                        file.display()
                    );
                }
            }
        }
    }

    #[test]
    fn phase_numbers_are_unique_and_every_phase_has_items() {
        for (index, phase) in PHASES.iter().enumerate() {
            assert!(!phase.items.is_empty(), "phase {}", phase.number);
            assert!(PHASES[index + 1..].iter().all(|p| p.number != phase.number));
        }
    }
}
