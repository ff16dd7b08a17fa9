//! This process's resident memory as Linux reports it in `/proc/self`, for the benches
//! that measure how much one step allocates: reset the peak, run the step, read the peak.
//! Elsewhere the readings are `None` and the reset reports `false`.
//!
//! ```
//! use bench_suite::memory::{reset_peak, status_kib};
//! if reset_peak() {
//!     let before = status_kib("VmRSS").unwrap();
//!     let step = vec![1u8; 8 << 20];
//!     assert!(status_kib("VmHWM").unwrap() >= before + 4096, "{}", step.len());
//! }
//! assert_eq!(status_kib("VmRS"), None, "a field is named whole");
//! ```

use std::fs;

/// A field of `/proc/self/status` in KiB (`VmRSS`, `VmHWM`, named without the colon), if
/// the file and the field exist.
pub fn status_kib(field: &str) -> Option<u64> {
    let status = fs::read_to_string("/proc/self/status").ok()?;
    status.lines().find_map(|line| {
        let value = line.strip_prefix(field)?.strip_prefix(':')?;
        value.trim().trim_end_matches("kB").trim().parse().ok()
    })
}

/// Resets the peak resident set (`VmHWM`) to the current one (Linux ≥ 4.0); `false` where
/// that is not possible, and then the peak is the process's whole-life peak.
pub fn reset_peak() -> bool {
    fs::write("/proc/self/clear_refs", "5").is_ok()
}
