//! `cargo xtask stress`: the heavy multi-process checks.
//!
//! 1. N processes x M increments of a shared counter under file-lock + atomic-io: the
//!    final value must be exactly N x M and no read may ever be torn (bench-suite's
//!    `multiprocess stress`).
//! 2. atomic-io's unlocked-writers torn-file test, scaled up through
//!    `ATOMIC_IO_STRESS_ITERS`.

use std::process::Command;

use crate::util::{self, Program};

/// The counter check, in the dev profile (quick to build after `cargo test`).
const MULTIPROCESS: Program = Program {
    package: "bench-suite",
    bin: "multiprocess",
    release: false,
};

/// atomic-io's torn-file test (two writers without a lock) and its scale variable.
const TORN_TEST: (&str, &str, &str, &str) = (
    "atomic-io",
    "replace",
    "two_processes_racing_never_tear_or_mix_contents",
    "ATOMIC_IO_STRESS_ITERS",
);

/// Runs both checks; Ok(false) on any lost update, tear or failed test.
pub fn run(procs: usize, iters: u64, torn_iters: u64) -> Result<bool, String> {
    let counter_ok = counter(procs, iters).unwrap_or_else(|err| {
        println!("stress: counter FAIL ({err})");
        false
    });

    let (package, target, test, env) = TORN_TEST;
    let torn_ok = if util::exists(&util::test_file(package, target)) {
        println!("== stress: {package} {test} with {env}={torn_iters}");
        let mut command = util::cargo_test(package, target, &["--exact", test, "--nocapture"]);
        command.env(env, torn_iters.to_string());
        let output = util::run_streaming(command, false)?;
        let ok = output.success
            && util::parse_test_lines(&output.stdout)
                .iter()
                .any(|(name, status)| name.ends_with(test) && *status == util::TestStatus::Ok);
        println!(
            "stress: unlocked writers {}",
            if ok { "PASS" } else { "FAIL" }
        );
        ok
    } else {
        println!("stress: {package} tests/{target}.rs not present yet: torn-file check FAIL");
        false
    };
    Ok(counter_ok && torn_ok)
}

/// Runs the counter check; it prints its figures and verdict.
fn counter(procs: usize, iters: u64) -> Result<bool, String> {
    let exe = MULTIPROCESS.build(true)?;
    let dir = util::scratch_dir("stress")?;
    let mut command = Command::new(exe);
    command
        .arg("stress")
        .arg("--procs")
        .arg(procs.to_string())
        .arg("--iters")
        .arg(iters.to_string())
        .arg("--dir")
        .arg(dir);
    util::run_unannounced(command)
}
