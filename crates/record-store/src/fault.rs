//! Crash points of the commit protocol, for this crate's own crash tests only.
//!
//! The crash points exist only in a build of this crate made with the environment
//! variable `RECORD_STORE_FAULT_INJECTION` set **at compile time**. This repository's
//! `.cargo/config.toml` sets it for its own builds, so plain `cargo test` runs every
//! crash test; a program that depends on this crate never gets it (there is no feature
//! to turn on by accident), and in such a build every crash point compiles to nothing.
//!
//! In a build that has them, `RECORD_STORE_CRASH_AT=<step>` at run time aborts the
//! process (no unwinding, no destructors: as abrupt as SIGKILL) when the commit reaches
//! `<step>`, and `RECORD_STORE_PAUSE_AT=<step>:<microseconds>` sleeps there instead,
//! widening the window in which a concurrent reader could observe a half-applied commit.
//! Both are read once per process.
//!
//! Such a build also has a wall clock that tests can move forward, one thread at a time
//! ([`advance_clock`]), so a test of time-based trust (see [`crate::identity`]) runs
//! without waiting for real seconds to pass.

use std::cell::Cell;
use std::time::{Duration, SystemTime};

/// Every step name a crash can be injected at, in protocol order.
pub const STEPS: &[&str] = &[
    "locked",
    "intent-written",
    "staged",
    "journal-written",
    "first-renamed",
    "renamed",
    "dirs-synced",
    "intents-removed",
    "journal-removed",
];

/// Whether this build has crash points (see the module documentation).
pub const ENABLED: bool = option_env!("RECORD_STORE_FAULT_INJECTION").is_some();

/// What the environment asks for, read once: the step to abort at, and the step to
/// pause at with the pause.
struct Wanted {
    crash_at: Option<String>,
    pause_at: Option<(String, std::time::Duration)>,
}

fn wanted() -> &'static Wanted {
    static WANTED: std::sync::OnceLock<Wanted> = std::sync::OnceLock::new();
    WANTED.get_or_init(|| Wanted {
        crash_at: std::env::var("RECORD_STORE_CRASH_AT").ok(),
        pause_at: std::env::var("RECORD_STORE_PAUSE_AT")
            .ok()
            .and_then(|pause| {
                let (step, micros) = pause.split_once(':')?;
                let micros = micros.parse().ok()?;
                Some((step.to_owned(), std::time::Duration::from_micros(micros)))
            }),
    })
}

/// Aborts the process (or pauses) if the environment names `step`; nothing in a build
/// without crash points.
#[inline]
pub(crate) fn crash_point(step: &str) {
    if !ENABLED {
        return;
    }
    let wanted = wanted();
    if wanted.crash_at.as_deref() == Some(step) {
        std::process::abort();
    }
    if let Some((pause_step, pause)) = &wanted.pause_at
        && pause_step == step
    {
        std::thread::sleep(*pause);
    }
}

thread_local! {
    /// How far [`advance_clock`] moved this thread's clock.
    static CLOCK_ADVANCE: Cell<Duration> = const { Cell::new(Duration::ZERO) };
}

/// Moves the wall clock, as this crate sees it on the calling thread only, forward by
/// `by`: files read on this thread afterwards look `by` older. Does nothing in a build
/// without crash points.
pub fn advance_clock(by: Duration) {
    if ENABLED {
        CLOCK_ADVANCE.with(|advance| advance.set(advance.get().saturating_add(by)));
    }
}

/// The wall clock as this crate sees it: the system's, plus this thread's
/// [`advance_clock`] in a build with crash points.
pub(crate) fn now() -> SystemTime {
    let now = SystemTime::now();
    if !ENABLED {
        return now;
    }
    now + CLOCK_ADVANCE.with(Cell::get)
}
