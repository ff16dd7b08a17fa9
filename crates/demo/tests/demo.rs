//! The demo program end to end, at a small size: it starts its own worker processes and
//! reports that our designs lost and tore nothing.

use std::process::Command;

#[test]
fn a_small_demo_runs_every_part_and_our_designs_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_demo"))
        .args(["--workers", "2", "--iters", "20", "--edits", "5", "--dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for verdict in [
        "; ours lost none and tore none",
        "; record-store lost none and kept everything",
        "; cloud-sync lost none",
    ] {
        assert!(stdout.contains(verdict), "{verdict:?} missing:\n{stdout}");
    }
}

#[test]
fn the_demo_needs_a_scratch_directory() {
    let output = Command::new(env!("CARGO_BIN_EXE_demo")).output().unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("--dir"));
}
