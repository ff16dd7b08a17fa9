//! `cargo xtask crash`: the heavy SIGKILL runs of the crates that have one.
//!
//! Each suite is a test that kills writers at random points and checks the target after
//! every kill; the number of kills comes from an environment variable so that plain
//! `cargo test` stays quick.

use crate::util;

/// One crash test: where it is and how its kill count is set.
struct Suite {
    package: &'static str,
    target: &'static str,
    test: &'static str,
    kills_env: &'static str,
}

const SUITES: &[Suite] = &[
    Suite {
        package: "atomic-io",
        target: "replace",
        test: "crash_killed_writers_never_leave_a_partial_target",
        kills_env: "ATOMIC_IO_CRASH_KILLS",
    },
    Suite {
        package: "atomic-io",
        target: "journal",
        test: "sigkilled_committers_leave_all_members_at_one_generation",
        kills_env: "ATOMIC_IO_CRASH_KILLS",
    },
    Suite {
        package: "record-store",
        target: "concurrency",
        test: "sigkill_of_writers_never_leaves_torn_file_or_stuck_lock",
        kills_env: "RECORD_STORE_CRASH_KILLS",
    },
    Suite {
        package: "record-store",
        target: "concurrency",
        test: "sigkill_of_store_set_writers_never_half_applies",
        kills_env: "RECORD_STORE_CRASH_KILLS",
    },
];

/// Runs every crash suite whose test file exists with `kills` kills; true when all pass.
pub fn run(kills: u64) -> Result<bool, String> {
    run_suites(kills, None)
}

/// Runs the crash suite of one package with `kills` kills.
pub fn run_package(package: &str, kills: u64) -> Result<bool, String> {
    run_suites(kills, Some(package))
}

fn run_suites(kills: u64, only: Option<&str>) -> Result<bool, String> {
    let mut all_ok = true;
    let mut ran = 0;
    for suite in SUITES
        .iter()
        .filter(|suite| only.is_none_or(|package| suite.package == package))
    {
        let file = util::test_file(suite.package, suite.target);
        if !util::exists(&file) {
            println!("crash: {} not present yet, skipped", file);
            continue;
        }
        ran += 1;
        println!(
            "== crash: {} {} with {kills} kills",
            suite.package, suite.test
        );
        let mut command = util::cargo_test(
            suite.package,
            suite.target,
            &["--exact", suite.test, "--nocapture"],
        );
        command.env(suite.kills_env, kills.to_string());
        let output = util::run_streaming(command, false)?;
        let results = util::parse_test_lines(&output.stdout);
        let passed = output.success
            && results.iter().any(|(name, status)| {
                name.ends_with(suite.test) && *status == util::TestStatus::Ok
            });
        let reported: Vec<&str> = output
            .stderr
            .lines()
            .filter(|line| {
                let lower = line.to_lowercase();
                (lower.contains("kill") || lower.contains("violation"))
                    && !line.starts_with("test ")
            })
            .collect();
        println!(
            "crash: {} {}: {} (requested kills: {kills})",
            suite.package,
            suite.test,
            if passed { "PASS" } else { "FAIL" }
        );
        for line in reported {
            println!("crash:   {}", line.trim());
        }
        if passed {
            println!("crash:   violations: 0 (the test checks the target after every kill)");
        } else {
            println!("crash:   violations found or the run failed: see the test output above");
        }
        all_ok &= passed;
    }
    if ran == 0 {
        return Err("no crash suite exists yet".to_string());
    }
    Ok(all_ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_crash_test_exists_and_reads_its_kill_count() {
        for suite in SUITES {
            let file = util::workspace_root().join(util::test_file(suite.package, suite.target));
            let source = std::fs::read_to_string(&file)
                .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            assert!(
                source.contains(&format!("fn {}(", suite.test)),
                "{}",
                suite.test
            );
            assert!(source.contains(suite.kills_env), "{}", suite.kills_env);
        }
    }
}
