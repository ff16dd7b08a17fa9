//! `cargo xtask test`: every test in the workspace, then what plain `cargo test` cannot
//! do alone (phase checklists, conformance, a short stress and crash run), ending with
//! the line `xtask: N passed, M failed`.

use crate::phase::{self, PHASES, Verdict};
use crate::util::{self, Tally};

/// Short settings for the stress and crash steps (the phase 1 checklist runs the full
/// 1,000-kill crash run itself).
const STRESS_PROCS: usize = 4;
const STRESS_ITERS: u64 = 100;
const STRESS_TORN_ITERS: u64 = 2_000;
const CRASH_KILLS: u64 = 200;

/// The test targets behind a feature (the `sdn` and `cloud-sync` binaries' tests), which
/// the workspace-wide run skips: one `cargo test` per package, with the features they
/// require.
fn feature_gated_runs() -> Vec<Vec<String>> {
    let mut runs: Vec<(&str, Vec<String>, Vec<String>)> = Vec::new();
    for test in util::feature_gated_tests() {
        let at = match runs
            .iter()
            .position(|(package, ..)| *package == test.package)
        {
            Some(at) => at,
            None => {
                runs.push((&test.package, Vec::new(), Vec::new()));
                runs.len() - 1
            }
        };
        let (_, targets, features) = &mut runs[at];
        targets.extend(["--test".to_owned(), test.target.clone()]);
        features.extend(test.features.iter().cloned());
    }
    runs.into_iter()
        .map(|(package, targets, mut features)| {
            features.sort_unstable();
            features.dedup();
            let mut args = vec!["test".to_owned(), "-p".to_owned(), package.to_owned()];
            args.extend(["--features".to_owned(), features.join(",")]);
            args.extend(targets);
            args
        })
        .collect()
}

/// Runs everything; returns the tally (the caller prints it and sets the exit code).
pub fn run() -> Tally {
    let mut tally = Tally::default();

    let workspace = [
        vec!["test", "--workspace", "--all-targets"],
        vec!["test", "--workspace", "--doc"],
    ];
    let gated = feature_gated_runs();
    let gated = gated
        .iter()
        .map(|args| args.iter().map(String::as_str).collect());
    for args in workspace.into_iter().chain(gated) {
        let name = format!("cargo {}", args.join(" "));
        println!("\n==== {name}");
        match util::run_streaming(util::cargo(&args), false) {
            Ok(output) => {
                let (passed, failed) = util::sum_results(&output.stdout);
                tally.add_counts(&name, output.success, passed, failed);
            }
            Err(err) => {
                println!("{err}");
                tally.record(&name, false);
            }
        }
    }

    for phase in PHASES {
        println!("\n==== phase {}", phase.number);
        match phase::run(phase.number) {
            Ok(verdicts) => {
                for (text, verdict) in verdicts {
                    let name = format!("phase {}: {text}", phase.number);
                    match verdict {
                        Verdict::Pass => tally.record(&name, true),
                        Verdict::Fail(_) => tally.record(&name, false),
                        Verdict::Skip(_) => tally.skipped += 1,
                    }
                }
            }
            Err(err) => {
                println!("{err}");
                tally.record(&format!("phase {}", phase.number), false);
            }
        }
    }

    conformance_step(&mut tally);

    println!("\n==== loom");
    record_result(&mut tally, "loom", loom());

    println!("\n==== stress (short)");
    let stress = crate::stress::run(STRESS_PROCS, STRESS_ITERS, STRESS_TORN_ITERS);
    record_result(&mut tally, "stress", stress);

    println!("\n==== crash (short)");
    let crash = crate::crash::run(CRASH_KILLS);
    record_result(&mut tally, "crash", crash);

    tally
}

fn record_result(tally: &mut Tally, name: &str, result: Result<bool, String>) {
    match result {
        Ok(ok) => tally.record(name, ok),
        Err(err) => {
            println!("{name}: {err}");
            tally.record(name, false);
        }
    }
}

/// The SDN conformance run over sdn-codec's in-repository fixtures, and over the real
/// corpus as well when it is beside the repository.
fn conformance_step(tally: &mut Tally) {
    println!("\n==== conformance");
    let result = crate::conformance::run(None, None);
    record_result(tally, "conformance", result);
}

/// Where the loom build lives: `--cfg loom` changes every crate's flags, so sharing the
/// normal target directory would rebuild the whole workspace twice per run.
const LOOM_TARGET_DIR: &str = "target/loom";

/// Runs the loom models (`cargo xtask loom`): file-lock's in-process lock table,
/// record-store's snapshot cache and versioning's shared clock. Each model explores every interleaving of
/// its threads, so a pass is a proof for that model, not a sample.
pub fn loom() -> Result<bool, String> {
    let file_lock = util::package_name("file-lock");
    let record_store = util::package_name("record-store");
    let versioning = util::package_name("versioning");
    let mut command = util::cargo([
        "test",
        "--release",
        "-p",
        &file_lock,
        "-p",
        &record_store,
        "-p",
        &versioning,
        "--test",
        "loom",
    ]);
    command.env("RUSTFLAGS", "--cfg loom").env(
        "CARGO_TARGET_DIR",
        util::workspace_root().join(LOOM_TARGET_DIR),
    );
    let output = util::run_streaming(command, false)?;
    let (passed, failed) = util::sum_results(&output.stdout);
    // A loom build that ran no model would be a silent pass: insist on at least one.
    Ok(output.success && failed == 0 && passed > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_feature_gated_target_runs_with_its_features() {
        let runs: Vec<String> = feature_gated_runs()
            .iter()
            .map(|args| args.join(" "))
            .collect();
        assert!(
            runs.contains(&"test -p recfiles-sdn-codec --features cli --test cli".to_owned()),
            "{runs:?}"
        );
        assert!(
            runs.contains(
                &"test -p recfiles-cloud-sync --features cli --test cli --test cli_files --test cli_sqlite"
                    .to_owned()
            ),
            "{runs:?}"
        );
    }
}
