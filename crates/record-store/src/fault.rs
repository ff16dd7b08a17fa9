//! Crash points of the commit protocol, for crash tests only.
//!
//! With the `fault-injection` feature, `RECORD_STORE_CRASH_AT=<step>` aborts the process
//! (no unwinding, no destructors: as abrupt as SIGKILL) when the commit reaches `<step>`.
//! `RECORD_STORE_PAUSE_AT=<step>:<microseconds>` sleeps there instead, widening the window
//! in which a concurrent reader could observe a half-applied commit. Without the feature
//! every call compiles to nothing.

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

/// Aborts the process if the crash-injection variable names `step`.
#[inline]
pub(crate) fn crash_point(step: &str) {
    #[cfg(feature = "fault-injection")]
    {
        if std::env::var_os("RECORD_STORE_CRASH_AT").is_some_and(|wanted| wanted == step) {
            std::process::abort();
        }
        if let Ok(pause) = std::env::var("RECORD_STORE_PAUSE_AT")
            && let Some((wanted, micros)) = pause.split_once(':')
            && wanted == step
            && let Ok(micros) = micros.parse()
        {
            std::thread::sleep(std::time::Duration::from_micros(micros));
        }
    }
    #[cfg(not(feature = "fault-injection"))]
    let _ = step;
}
