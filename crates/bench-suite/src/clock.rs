//! The system-wide monotonic clock, comparable across processes on Linux.

use std::thread;
use std::time::Duration;

use rustix::time::{ClockId, clock_gettime};

/// Nanoseconds on `CLOCK_MONOTONIC`. On Linux every process reads the same clock, so a
/// time taken in one process can be subtracted from a time taken in another.
pub fn monotonic_ns() -> u64 {
    let now = clock_gettime(ClockId::Monotonic);
    let secs = u64::try_from(now.tv_sec).unwrap_or(0);
    let nanos = u64::try_from(now.tv_nsec).unwrap_or(0);
    secs * 1_000_000_000 + nanos
}

/// Sleeps until [`monotonic_ns`] reaches `deadline_ns` (returns at once if it has).
pub fn sleep_until_ns(deadline_ns: u64) {
    let now = monotonic_ns();
    if deadline_ns > now {
        thread::sleep(Duration::from_nanos(deadline_ns - now));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_moves_forward_and_sleeps_reach_the_deadline() {
        let start = monotonic_ns();
        sleep_until_ns(start + 2_000_000);
        assert!(monotonic_ns() >= start + 2_000_000);
    }
}
