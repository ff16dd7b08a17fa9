//! Running cargo and tests, finding the workspace, counting results.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The workspace root (the parent of `xtask/`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// The target directory cargo uses for this workspace.
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => workspace_root().join(dir),
        None => workspace_root().join("target"),
    }
}

/// A scratch directory on the same (real) disk as the target dir, emptied first.
pub fn scratch_dir(name: &str) -> Result<PathBuf, String> {
    let dir = target_dir().join("xtask-scratch").join(name);
    if dir.exists() {
        std::fs::remove_dir_all(&dir).map_err(|e| format!("clear {}: {e}", dir.display()))?;
    }
    std::fs::create_dir_all(&dir).map_err(|e| format!("create {}: {e}", dir.display()))?;
    Ok(dir)
}

/// `cargo` (the one that runs us, if known) in the workspace root.
pub fn cargo<I, S>(args: I) -> Command
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let program = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(program);
    command.current_dir(workspace_root()).args(args);
    command
}

/// The family's crates are published with this prefix (`file-lock` is taken on crates.io);
/// xtask names them by their directory under `crates/` and their short name.
pub const PACKAGE_PREFIX: &str = "recfiles-";

/// The cargo package name of the crate in `crates/<crate_dir>`: the family's crates carry
/// [`PACKAGE_PREFIX`]; `baseline` and `bench-suite` are not published and keep their names.
pub fn package_name(crate_dir: &str) -> String {
    match crate_dir {
        "atomic-io" | "file-lock" | "sdn-codec" | "record-store" | "versioning" | "cloud-sync" => {
            format!("{PACKAGE_PREFIX}{crate_dir}")
        }
        other => other.to_owned(),
    }
}

/// `cargo test -p <package> --test <target> -- <test_args>`: one integration test target
/// of the crate in `crates/<crate_dir>`, with the features its manifest requires.
pub fn cargo_test(crate_dir: &str, target: &str, test_args: &[&str]) -> Command {
    let package = package_name(crate_dir);
    let mut command = cargo(["test", "-p", &package, "--test", target]);
    if let Some(gated) = feature_gated_tests()
        .iter()
        .find(|test| test.package == package && test.target == target)
    {
        command.args(["--features", &gated.features.join(",")]);
    }
    command.arg("--");
    command.args(test_args);
    command
}

/// An integration test target that cargo skips unless features are turned on: its
/// manifest's `required-features`, which a workspace-wide `cargo test` does not enable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeatureGatedTest {
    /// The cargo package name.
    pub package: String,
    /// The test target's name.
    pub target: String,
    /// The features it requires.
    pub features: Vec<String>,
}

/// Every feature-gated test target of the workspace, from `cargo metadata` (read once);
/// empty if cargo cannot say, and then the gated targets are skipped as cargo would.
pub fn feature_gated_tests() -> &'static [FeatureGatedTest] {
    static GATED: std::sync::OnceLock<Vec<FeatureGatedTest>> = std::sync::OnceLock::new();
    GATED.get_or_init(|| {
        let output = cargo(["metadata", "--no-deps", "--format-version", "1"])
            .stderr(Stdio::inherit())
            .output();
        match output {
            Ok(output) if output.status.success() => serde_json::from_slice(&output.stdout)
                .map(|metadata| gated_tests_in(&metadata))
                .unwrap_or_default(),
            _ => {
                println!("xtask: cargo metadata failed; feature-gated tests are not run");
                Vec::new()
            }
        }
    })
}

fn gated_tests_in(metadata: &serde_json::Value) -> Vec<FeatureGatedTest> {
    let strings = |value: &serde_json::Value| -> Vec<String> {
        value
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .filter_map(|item| item.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    let packages = metadata["packages"]
        .as_array()
        .map_or(&[][..], Vec::as_slice);
    packages
        .iter()
        .flat_map(|package| {
            let targets = package["targets"].as_array().map_or(&[][..], Vec::as_slice);
            targets.iter().filter_map(move |target| {
                let features = strings(&target["required-features"]);
                let is_test = strings(&target["kind"]).iter().any(|kind| kind == "test");
                (is_test && !features.is_empty()).then(|| FeatureGatedTest {
                    package: package["name"].as_str().unwrap_or_default().to_owned(),
                    target: target["name"].as_str().unwrap_or_default().to_owned(),
                    features,
                })
            })
        })
        .collect()
}

/// The workspace-relative file of integration test `target` of `package`: the
/// workspace's own cross-crate tests live in `tests/`, every crate's in its directory.
pub fn test_file(package: &str, target: &str) -> String {
    match package {
        WORKSPACE_TESTS => format!("tests/tests/{target}.rs"),
        _ => format!("crates/{package}/tests/{target}.rs"),
    }
}

/// The package of the workspace's cross-crate tests (directory `tests/`).
pub const WORKSPACE_TESTS: &str = "workspace-tests";

/// Does the workspace-relative path exist?
pub fn exists(relative: &str) -> bool {
    workspace_root().join(relative).exists()
}

/// What a streamed command did.
pub struct Streamed {
    /// Whether it exited with status 0.
    pub success: bool,
    /// Everything it printed on stdout.
    pub stdout: String,
    /// Everything it printed on stderr.
    pub stderr: String,
}

/// Runs `command`, echoing its stdout and stderr line by line (stdout only unless
/// `quiet`) while keeping a copy of both.
pub fn run_streaming(mut command: Command, quiet: bool) -> Result<Streamed, String> {
    let shown = describe(&command);
    println!("$ {shown}");
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("start {shown}: {e}"))?;
    let stderr_pipe = child.stderr.take();
    let stderr_thread = std::thread::spawn(move || {
        let mut kept = String::new();
        if let Some(pipe) = stderr_pipe {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                eprintln!("{line}");
                kept.push_str(&line);
                kept.push('\n');
            }
        }
        kept
    });
    let mut stdout = String::new();
    if let Some(out) = child.stdout.take() {
        for line in BufReader::new(out).lines() {
            let line = line.map_err(|e| format!("read output of {shown}: {e}"))?;
            if !quiet {
                println!("{line}");
            }
            stdout.push_str(&line);
            stdout.push('\n');
        }
    }
    let status = child.wait().map_err(|e| format!("wait for {shown}: {e}"))?;
    let stderr = stderr_thread.join().unwrap_or_default();
    Ok(Streamed {
        success: status.success(),
        stdout,
        stderr,
    })
}

/// Runs `command` with inherited output, after printing it; true when it exits with
/// status 0.
pub fn run_plain(command: Command) -> Result<bool, String> {
    run_inherited(command, true)
}

/// Runs `command` with inherited output, without printing it first (the program's own
/// output is the result, as in `cargo xtask demo`); true when it exits with status 0.
pub fn run_unannounced(command: Command) -> Result<bool, String> {
    run_inherited(command, false)
}

fn run_inherited(mut command: Command, announce: bool) -> Result<bool, String> {
    let shown = describe(&command);
    if announce {
        println!("$ {shown}");
    }
    let status = command
        .status()
        .map_err(|e| format!("start {shown}: {e}"))?;
    Ok(status.success())
}

/// A program of a workspace package that xtask runs instead of linking that package's
/// crates. It is built when a step needs it, so a crate that does not compile fails the
/// steps that need it, with cargo's errors and the step's name, and not xtask itself.
#[derive(Debug, Clone, Copy)]
pub struct Program {
    /// The cargo package.
    pub package: &'static str,
    /// The binary target.
    pub bin: &'static str,
    /// Built with `--release` (for measurements) or in the dev profile (quicker to build
    /// after `cargo test`, and what the checks ran in when xtask linked them).
    pub release: bool,
}

impl Program {
    /// The cargo command that builds it.
    fn build_command(&self, quiet: bool) -> Command {
        let mut args = vec!["build", "-p", self.package, "--bin", self.bin];
        if self.release {
            args.push("--release");
        }
        if quiet {
            args.push("--quiet");
        }
        cargo(args)
    }

    /// Builds it and returns the executable. `quiet` keeps cargo to its errors and
    /// warnings; otherwise the build command and cargo's progress are shown too.
    pub fn build(&self, quiet: bool) -> Result<PathBuf, String> {
        let command = self.build_command(quiet);
        let args: Vec<String> = command
            .get_args()
            .map(|arg| arg.to_string_lossy().into_owned())
            .collect();
        let shown = format!("cargo {}", args.join(" "));
        let built = if quiet {
            run_unannounced(command)?
        } else {
            run_plain(command)?
        };
        if !built {
            return Err(format!(
                "`{shown}` failed (cargo's errors are above), so `{}` cannot run",
                self.bin
            ));
        }
        let profile = if self.release { "release" } else { "debug" };
        let exe = target_dir().join(profile).join(self.bin);
        if !exe.exists() {
            return Err(format!("{} missing after `{shown}`", exe.display()));
        }
        Ok(exe)
    }
}

fn describe(command: &Command) -> String {
    let mut text = String::new();
    for (key, value) in command.get_envs() {
        if let Some(value) = value {
            text.push_str(&format!(
                "{}={} ",
                key.to_string_lossy(),
                value.to_string_lossy()
            ));
        }
    }
    text.push_str(&command.get_program().to_string_lossy());
    for arg in command.get_args() {
        text.push(' ');
        text.push_str(&arg.to_string_lossy());
    }
    text
}

/// One libtest result line: `test NAME ... ok|FAILED|ignored`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestStatus {
    /// Passed.
    Ok,
    /// Failed.
    Failed,
    /// Marked ignored.
    Ignored,
}

/// Parses libtest's `test NAME ... STATUS` lines from `stdout`.
pub fn parse_test_lines(stdout: &str) -> Vec<(String, TestStatus)> {
    stdout
        .lines()
        .filter_map(|line| {
            let rest = line.strip_prefix("test ")?;
            let (name, status) = rest.rsplit_once(" ... ")?;
            let status = match status.trim() {
                "ok" => TestStatus::Ok,
                "FAILED" => TestStatus::Failed,
                s if s.starts_with("ignored") => TestStatus::Ignored,
                _ => return None,
            };
            Some((name.trim().to_string(), status))
        })
        .collect()
}

/// Names of tests whose captured output (shown with `--show-output` or on failure)
/// contains `SKIPPED`.
pub fn skipped_tests(stdout: &str) -> Vec<String> {
    let mut skipped = Vec::new();
    let mut current: Option<&str> = None;
    for line in stdout.lines() {
        if let Some(name) = line
            .strip_prefix("---- ")
            .and_then(|rest| rest.strip_suffix(" stdout ----"))
        {
            current = Some(name);
        } else if line == "successes:" || line == "failures:" {
            current = None;
        } else if line.contains("SKIPPED")
            && let Some(name) = current
            && !skipped.iter().any(|s: &String| s == name)
        {
            skipped.push(name.to_string());
        }
    }
    skipped
}

/// Sums libtest's `test result: ok. X passed; Y failed; ...` lines.
pub fn sum_results(stdout: &str) -> (u64, u64) {
    let mut passed = 0;
    let mut failed = 0;
    for line in stdout.lines() {
        let Some(rest) = line.strip_prefix("test result: ") else {
            continue;
        };
        for part in rest.split(';') {
            let mut words = part.split_whitespace().rev();
            let (Some(label), Some(count)) = (words.next(), words.next()) else {
                continue;
            };
            let count: u64 = count.parse().unwrap_or(0);
            match label {
                "passed" => passed += count,
                "failed" => failed += count,
                _ => {}
            }
        }
    }
    (passed, failed)
}

/// Passed and failed checks over a whole run.
#[derive(Debug, Default)]
pub struct Tally {
    /// Checks that passed.
    pub passed: u64,
    /// Checks that failed.
    pub failed: u64,
    /// Checks that were skipped (counted as neither).
    pub skipped: u64,
    /// What failed, for the closing summary.
    pub failures: Vec<String>,
}

impl Tally {
    /// Records one check.
    pub fn record(&mut self, name: &str, ok: bool) {
        if ok {
            self.passed += 1;
        } else {
            self.failed += 1;
            self.failures.push(name.to_string());
        }
    }

    /// Adds counted results of a step; a step that failed without a failing test (a
    /// build error) counts as one failure.
    pub fn add_counts(&mut self, name: &str, success: bool, passed: u64, failed: u64) {
        self.passed += passed;
        self.failed += failed;
        if failed > 0 {
            self.failures.push(format!("{name} ({failed} failed)"));
        } else if !success {
            self.failed += 1;
            self.failures.push(format!("{name} (did not complete)"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// xtask drives the crates it checks through cargo and their programs; linking one
    /// would let a compile error in it stop every `cargo xtask` command.
    #[test]
    fn xtask_links_none_of_the_crates_it_checks() {
        let output = cargo([
            "tree", "-p", "xtask", "-e", "normal", "--prefix", "none", "--format", "{p}",
        ])
        .output()
        .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let tree = String::from_utf8(output.stdout).unwrap();
        assert!(tree.contains("bench-results"), "{tree}");
        let linked: Vec<&str> = tree
            .lines()
            .filter(|line| {
                line.starts_with(PACKAGE_PREFIX)
                    || ["baseline ", "bench-suite ", "demo ", "sdn-conformance "]
                        .iter()
                        .any(|package| line.starts_with(package))
            })
            .collect();
        assert!(linked.is_empty(), "xtask links {linked:?}");
    }

    #[test]
    fn a_program_that_does_not_build_fails_with_the_build_command_and_the_program() {
        let missing = Program {
            package: "no-such-package",
            bin: "no-such-program",
            release: false,
        };
        let err = missing.build(true).unwrap_err();
        assert!(
            err.contains("build -p no-such-package --bin no-such-program --quiet` failed")
                && err.contains("`no-such-program` cannot run"),
            "{err}"
        );
    }

    #[test]
    fn feature_gated_tests_come_from_the_manifests() {
        let gated = feature_gated_tests();
        let features = |package: &str, target: &str| {
            gated
                .iter()
                .find(|test| test.package == package && test.target == target)
                .map(|test| test.features.clone())
        };
        let cli = Some(vec!["cli".to_owned()]);
        assert_eq!(features("recfiles-sdn-codec", "cli"), cli);
        assert_eq!(features("recfiles-cloud-sync", "cli"), cli);
        assert_eq!(features("recfiles-cloud-sync", "cli_files"), cli);
        assert_eq!(features("recfiles-atomic-io", "replace"), None);
        let args = |command: Command| {
            command
                .get_args()
                .map(|arg| arg.to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join(" ")
        };
        assert_eq!(
            args(cargo_test("cloud-sync", "cli_files", &["x"])),
            "test -p recfiles-cloud-sync --test cli_files --features cli -- x"
        );
        assert_eq!(
            args(cargo_test("atomic-io", "replace", &[])),
            "test -p recfiles-atomic-io --test replace --"
        );
    }

    const SAMPLE: &str = "\
running 3 tests
test p1_a ... ok
test tests::p1_b ... FAILED
test p1_c ... ignored, needs root
test p1_d ... ok

successes:

---- p1_d stdout ----
SKIPPED: p1_d: needs a loop device

---- p1_a stdout ----
all fine

successes:
    p1_a
    p1_d

test result: FAILED. 2 passed; 1 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.01s
test result: ok. 10 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.01s
";

    #[test]
    fn parses_test_lines_and_skips() {
        let lines = parse_test_lines(SAMPLE);
        assert_eq!(lines.len(), 4);
        assert_eq!(lines[1], ("tests::p1_b".to_string(), TestStatus::Failed));
        assert_eq!(lines[2].1, TestStatus::Ignored);
        assert_eq!(skipped_tests(SAMPLE), vec!["p1_d".to_string()]);
    }

    #[test]
    fn sums_result_lines() {
        assert_eq!(sum_results(SAMPLE), (12, 1));
    }

    #[test]
    fn a_step_that_did_not_complete_counts_as_a_failure() {
        let mut tally = Tally::default();
        tally.add_counts("build", false, 0, 0);
        tally.add_counts("tests", true, 5, 0);
        assert_eq!((tally.passed, tally.failed), (5, 1));
    }
}
