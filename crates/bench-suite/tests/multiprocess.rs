//! The `multiprocess` program end to end: it starts itself as its workers.

use std::process::Command;

#[test]
fn stress_counts_every_locked_increment_and_passes() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_multiprocess"))
        .args(["stress", "--procs", "2", "--iters", "25", "--dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(report.contains("  final value            50\n"), "{report}");
    assert!(
        report.contains("stress: counter PASS (lost 0, torn 0)") && output.status.success(),
        "{report}"
    );
}

#[test]
fn a_worker_that_cannot_run_is_an_error_with_exit_status_2() {
    let output = Command::new(env!("CARGO_BIN_EXE_multiprocess"))
        .args(["worker", "no-such-kind"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("unknown worker kind"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
