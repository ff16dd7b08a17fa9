//! Running the real `cloud-sync` binary in a device directory, as a user would.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

/// Runs `cloud-sync args` in `dir`, ignoring any configuration in the environment.
pub fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cloud-sync"))
        .args(args)
        .current_dir(dir)
        .env_remove("CLOUD_SYNC_CONFIG")
        .output()
        .expect("spawn cloud-sync")
}

/// Runs with `--json`, asserts success, returns the document.
pub fn run_json(dir: &Path, args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.push("--json");
    let output = run(dir, &all);
    assert!(
        output.status.success(),
        "cloud-sync {args:?} failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("one JSON document on stdout")
}

/// `cloud-sync init` in `dir`: `store` synced through the local-directory remote
/// `../remote` under `prefix`, as device `name`.
pub fn init(dir: &Path, store: &str, prefix: &str, name: &str) {
    run_json(
        dir,
        &[
            "init",
            "--store",
            store,
            "--dir",
            "../remote",
            "--prefix",
            prefix,
            "--device",
            name,
        ],
    );
}
