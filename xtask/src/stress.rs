//! `cargo xtask stress`: the heavy multi-process checks.
//!
//! 1. N processes x M increments of a shared counter under file-lock + atomic-io: the
//!    final value must be exactly N x M and no read may ever be torn.
//! 2. atomic-io's unlocked-writers torn-file test, scaled up through
//!    `ATOMIC_IO_STRESS_ITERS`.

use bench_suite::coord::run_increments;
use bench_suite::workers::Design;

use crate::demo::{RECORD_SIZE, print_report, self_spawner};
use crate::util;

/// atomic-io's torn-file test (two writers without a lock) and its scale variable.
const TORN_TEST: (&str, &str, &str, &str) = (
    "atomic-io",
    "replace",
    "two_processes_racing_never_tear_or_mix_contents",
    "ATOMIC_IO_STRESS_ITERS",
);

/// Runs both checks; Ok(false) on any lost update, tear or failed test.
pub fn run(procs: usize, iters: u64, torn_iters: u64) -> Result<bool, String> {
    let dir = util::scratch_dir("stress")?;
    println!("== stress: {procs} processes x {iters} increments under file-lock + atomic-io");
    let report = run_increments(
        &self_spawner()?,
        Design::Ours,
        &dir,
        procs,
        iters,
        RECORD_SIZE,
    )?;
    print_report("ours", &report);
    let counter_ok = report.lost == 0 && report.torn_reads == 0 && report.worker_torn_reads == 0;
    println!(
        "stress: counter {} (lost {}, torn {})",
        if counter_ok { "PASS" } else { "FAIL" },
        report.lost,
        report.torn_reads + report.worker_torn_reads
    );

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
