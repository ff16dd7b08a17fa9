//! Test support for the recfiles crates' own tests: one copy of what their test files
//! used to repeat.
//!
//! - [`worker`]: re-running the test binary itself as a worker process (the test named
//!   on the command line, chosen by an environment variable), and a [`worker::Worker`]
//!   handle that talks to it in prefixed stdout lines and is killed when dropped.
//! - [`mount`]: filesystems mounted for one test (root only), unmounted when dropped.
//! - [`corpus`]: where the external corpus of real SDN files is, when it is present.
//! - [`knob`]: scale settings read from the environment.
//! - `loom_sync` (`--cfg loom` only): loom's primitives with parking_lot's interface and
//!   a virtual clock, for the loom models that compile a library's source against them.
//! - `tracking` (feature `serde`): the serde record types of the tracking databases
//!   (todo, feature, task), with the real column sets.
//! - `strategy` (feature `proptest`): proptest generators of format-tricky text and of
//!   todo records.
//!
//! # Guarantees
//!
//! - No dependency on any crate of the family, so every crate can use it in its tests
//!   without a cycle, and the published crates' packaged tests build from the packages.
//! - A [`worker::Worker`] never outlives its handle: dropping it (also when a test
//!   panics) kills and reaps the process. A [`mount::Mount`] is unmounted when dropped,
//!   lazily if it is busy.
//! - Nothing here sleeps to synchronise: workers answer in lines, waits have deadlines.
//!
//! # Limitations
//!
//! - For this family's tests only: **not a stable API**. It changes with those tests in
//!   any release, and it panics on failure where a test wants a failure.
//! - Unix only (signals, `mount`); mounting needs root ([`mount::is_root`]).
//!
//! # Example
//!
//! A test file whose `worker_process` test is the body of every worker, and a test that
//! starts one and reads its answer:
//!
//! ```no_run
//! use std::time::Duration;
//! use test_support::worker::{self, Worker};
//!
//! const ROLE: &str = "MY_CRATE_TEST_WORKER";
//! const SAYS: &str = "@@ ";
//!
//! // #[test]
//! fn worker_process() {
//!     let Some(role) = worker::role(ROLE) else { return };
//!     worker::say(SAYS, format!("hello from {role}"));
//! }
//!
//! // #[test]
//! fn worker_answers() {
//!     let command = worker::command("worker_process", ROLE, "greeter");
//!     let worker = Worker::spawn(command, SAYS, "greeter");
//!     assert_eq!(worker.line(Duration::from_secs(60)), "hello from greeter");
//!     worker.finish(Duration::from_secs(60));
//! }
//! # worker_process();
//! # worker_answers();
//! ```
#![deny(missing_docs)]

pub mod corpus;
pub mod knob;
#[cfg(loom)]
pub mod loom_sync;
pub mod mount;
#[cfg(feature = "proptest")]
pub mod strategy;
#[cfg(feature = "serde")]
pub mod tracking;
pub mod worker;
