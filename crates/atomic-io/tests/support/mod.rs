//! What atomic-io's test files share: re-running the test binary itself as a worker
//! process.

use std::process::{Command, Stdio};

/// The command that re-runs this test binary as a worker: only its `worker_process` test,
/// with `role_env` set to `role` (the test does nothing without it), stdin and stdout
/// piped for the parent to talk to it.
pub fn worker_command(role_env: &str, role: &str) -> Command {
    let mut command = Command::new(std::env::current_exe().expect("the test binary's path"));
    command
        .args([
            "--exact",
            "worker_process",
            "--nocapture",
            "--test-threads=1",
            "-q",
        ])
        .env(role_env, role)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped());
    command
}
