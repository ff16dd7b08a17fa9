//! Running one phase's checklist: one `cargo test` per test target, then a verdict per
//! item from the results it printed.

use std::collections::HashMap;

use super::{Check, PHASES};
use crate::util::{self, TestStatus};

/// The outcome of one item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Every test passed.
    Pass,
    /// A test failed, was missing, or the run did not complete.
    Fail(String),
    /// A test skipped itself (printed `SKIPPED`), none failed.
    Skip(String),
}

/// Runs phase `number`'s checklist and prints each item; returns the verdicts.
pub fn run(number: u32) -> Result<Vec<(&'static str, Verdict)>, String> {
    let phase = PHASES
        .iter()
        .find(|phase| phase.number == number)
        .ok_or_else(|| {
            let known: Vec<String> = PHASES.iter().map(|p| p.number.to_string()).collect();
            format!(
                "no checklist for phase {number} (known: {})",
                known.join(", ")
            )
        })?;
    println!("== phase {}: {}", phase.number, phase.title);

    // One cargo run per test target, then each item reads its tests' results.
    let mut runs: HashMap<(&str, &str), TargetRun> = HashMap::new();
    for item in phase.items {
        if let Check::Tests {
            package, target, ..
        } = item.check
            && let std::collections::hash_map::Entry::Vacant(slot) = runs.entry((package, target))
        {
            slot.insert(TargetRun::execute(package, target, phase.env)?);
        }
    }

    let mut verdicts = Vec::new();
    for item in phase.items {
        let verdict = match &item.check {
            Check::Tests {
                package,
                target,
                names,
            } => runs[&(*package, *target)].verdict(names),
            Check::Crash { package, kills } => match crate::crash::run_package(package, *kills) {
                Ok(true) => Verdict::Pass,
                Ok(false) => Verdict::Fail("crash run found violations".to_string()),
                Err(err) => Verdict::Fail(err),
            },
        };
        verdicts.push((item.text, verdict));
    }

    println!("\n== phase {} checklist", phase.number);
    for (text, verdict) in &verdicts {
        match verdict {
            Verdict::Pass => println!("PASS  {text}"),
            Verdict::Fail(why) => println!("FAIL  {text}  ({why})"),
            Verdict::Skip(why) => println!("SKIP  {text}  ({why})"),
        }
    }
    Ok(verdicts)
}

struct TargetRun {
    package: &'static str,
    target: &'static str,
    completed: bool,
    results: Vec<(String, TestStatus)>,
    skipped: Vec<String>,
}

impl TargetRun {
    fn execute(
        package: &'static str,
        target: &'static str,
        env: &[(&str, &str)],
    ) -> Result<TargetRun, String> {
        let test_file = util::test_file(package, target);
        if !util::exists(&test_file) {
            return Ok(TargetRun {
                package,
                target,
                completed: false,
                results: Vec::new(),
                skipped: Vec::new(),
            });
        }
        let mut command = util::cargo_test(package, target, &["--show-output"]);
        command.envs(env.iter().copied());
        let run = util::run_streaming(command, false)?;
        let results = util::parse_test_lines(&run.stdout);
        Ok(TargetRun {
            package,
            target,
            // A build failure or a crashed harness prints no result line.
            completed: !results.is_empty(),
            skipped: util::skipped_tests(&run.stdout),
            results,
        })
    }

    fn status_of(&self, name: &str) -> Option<TestStatus> {
        let suffix = format!("::{name}");
        self.results
            .iter()
            .find(|(test, _)| test == name || test.ends_with(&suffix))
            .map(|(_, status)| *status)
    }

    fn verdict(&self, names: &[&str]) -> Verdict {
        if !self.completed {
            return Verdict::Fail(format!(
                "{} --test {} did not run (missing or did not build)",
                self.package, self.target
            ));
        }
        let mut skipped = Vec::new();
        for name in names {
            match self.status_of(name) {
                Some(TestStatus::Ok) => {
                    if self.skipped.iter().any(|s| s == name || s.ends_with(name)) {
                        skipped.push(*name);
                    }
                }
                Some(TestStatus::Failed) => return Verdict::Fail(format!("{name} failed")),
                Some(TestStatus::Ignored) => return Verdict::Fail(format!("{name} is ignored")),
                None => {
                    return Verdict::Fail(format!("no test {name} in {}", self.target));
                }
            }
        }
        if skipped.is_empty() {
            Verdict::Pass
        } else {
            Verdict::Skip(format!("{} printed SKIPPED", skipped.join(", ")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdict_combines_results_and_skips() {
        let run = TargetRun {
            package: "p",
            target: "t",
            completed: true,
            results: vec![
                ("a".to_string(), TestStatus::Ok),
                ("m::b".to_string(), TestStatus::Ok),
                ("c".to_string(), TestStatus::Failed),
            ],
            skipped: vec!["m::b".to_string()],
        };
        assert_eq!(run.verdict(&["a"]), Verdict::Pass);
        assert!(matches!(run.verdict(&["a", "b"]), Verdict::Skip(_)));
        assert!(matches!(run.verdict(&["a", "c"]), Verdict::Fail(_)));
        assert!(matches!(run.verdict(&["missing"]), Verdict::Fail(_)));
    }
}
