//! The real `sdn` binary: output, files written and exit codes.
//!
//! Needs the `cli` feature: `cargo test -p recfiles-sdn-codec --features cli --test cli`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn sdn(args: &[&str], dir: &Path) -> Run {
    let Output {
        status,
        stdout,
        stderr,
    } = Command::new(env!("CARGO_BIN_EXE_sdn"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run sdn");
    Run {
        code: status.code().expect("sdn exited by a signal"),
        stdout: String::from_utf8(stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(stderr).expect("stderr is UTF-8"),
    }
}

fn file(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

const TODO: &str = "\
# todo database
todos |id, title, status|
    1, \"Write the parser\", open   # first
    2, Ship it, open
config:
  port: 8080  # default
";

#[test]
fn check_reports_ok_and_errors_with_position_and_caret() {
    let dir = tempfile::tempdir().unwrap();
    file(dir.path(), "good.sdn", TODO);
    file(dir.path(), "bad.sdn", "a: 1\nt |x, y|\n    1, 2, 3\n");
    let run = sdn(&["check", "good.sdn", "bad.sdn"], dir.path());
    assert_eq!(run.code, 1);
    assert_eq!(run.stdout, "good.sdn: ok\n");
    assert_eq!(
        run.stderr,
        "error: row has 3 cells but the table has 2 columns; quote cells that contain commas at line 3, column 5\n \
         --> bad.sdn:3:5\n  |\n3 |     1, 2, 3\n  |     ^\n"
    );

    let run = sdn(&["check", "good.sdn"], dir.path());
    assert_eq!(
        (run.code, run.stdout.as_str(), run.stderr.as_str()),
        (0, "good.sdn: ok\n", "")
    );
}

#[test]
fn check_of_a_missing_file_is_an_io_error() {
    let dir = tempfile::tempdir().unwrap();
    let run = sdn(&["check", "missing.sdn"], dir.path());
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.starts_with("error: cannot read missing.sdn:"),
        "{}",
        run.stderr
    );
}

#[test]
fn usage_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(sdn(&["frobnicate"], dir.path()).code, 2);
    assert_eq!(sdn(&["get", "only-one-arg"], dir.path()).code, 2);
    assert_eq!(sdn(&["check"], dir.path()).code, 2);
}

#[test]
fn fmt_writes_canonical_form_and_check_only_reports() {
    let dir = tempfile::tempdir().unwrap();
    let path = file(dir.path(), "f.sdn", TODO);
    let run = sdn(&["fmt", "--check", "f.sdn"], dir.path());
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (1, "f.sdn: not canonical\n")
    );
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        TODO,
        "--check changes nothing"
    );

    let run = sdn(&["fmt", "f.sdn"], dir.path());
    assert_eq!((run.code, run.stdout.as_str()), (0, "f.sdn: formatted\n"));
    let canonical = "todos |id, title, status|\n    1, \"Write the parser\", open\n    2, \"Ship it\", open\nconfig:\n    port: 8080\n";
    assert_eq!(std::fs::read_to_string(&path).unwrap(), canonical);

    let run = sdn(&["fmt", "--check", "f.sdn"], dir.path());
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (0, "f.sdn: already canonical\n")
    );

    file(dir.path(), "bad.sdn", "[section]\n");
    let run = sdn(&["fmt", "bad.sdn"], dir.path());
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("--> bad.sdn:1:1"), "{}", run.stderr);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("bad.sdn")).unwrap(),
        "[section]\n"
    );
}

#[test]
fn get_prints_scalars_plain_and_compound_values_as_sdn() {
    let dir = tempfile::tempdir().unwrap();
    file(
        dir.path(),
        "f.sdn",
        "v: 007\nname: \"a \\\"q\\\"\"\nlist: [1, \"x y\"]\nd:\n  k: v\n  \"a.b\": 2\nt |a|\n  1\n",
    );
    let get = |path: &str| sdn(&["get", "f.sdn", path], dir.path());
    assert_eq!(get("v").stdout, "007\n");
    assert_eq!(get("name").stdout, "a \"q\"\n");
    assert_eq!(get("list").stdout, "[1, \"x y\"]\n");
    assert_eq!(get("list.1").stdout, "x y\n");
    assert_eq!(get("d").stdout, "k: v\na.b: 2\n");
    assert_eq!(get("d.\"a.b\"").stdout, "2\n");
    assert_eq!(get("t").stdout, "t |a|\n    1\n");
    let missing = get("d.nope");
    assert_eq!(
        (missing.code, missing.stderr.as_str()),
        (1, "error: no entry `d.nope` in f.sdn\n")
    );
    assert_eq!(get("d..x").code, 1);
}

#[test]
fn set_edits_in_place_keeping_the_format() {
    let dir = tempfile::tempdir().unwrap();
    let path = file(dir.path(), "f.sdn", TODO);
    let run = sdn(&["set", "f.sdn", "config.port", "9090"], dir.path());
    assert_eq!((run.code, run.stderr.as_str()), (0, ""));
    let run = sdn(
        &["set", "f.sdn", "config.hosts", "[a, \"b c\"]"],
        dir.path(),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let run = sdn(&["set", "f.sdn", "title", "My todo list, v2"], dir.path());
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        TODO.replace(
            "port: 8080  # default\n",
            "port: 9090  # default\n  hosts: [a, \"b c\"]\n"
        ) + "title: \"My todo list, v2\"\n"
    );
    // No temp files are left next to it.
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["f.sdn"]);
}

#[test]
fn set_failures_leave_the_file_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = file(dir.path(), "f.sdn", TODO);
    let run = sdn(&["set", "f.sdn", "todos.x", "1"], dir.path());
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("`todos` is a table, not a dict"),
        "{}",
        run.stderr
    );
    let run = sdn(&["set", "f.sdn", "a", "\"open"], dir.path());
    assert_eq!(run.code, 1);
    assert!(run.stderr.starts_with("invalid VALUE"), "{}", run.stderr);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), TODO);
    assert_eq!(sdn(&["set", "nope.sdn", "a", "1"], dir.path()).code, 2);
}

#[test]
fn to_json_maps_tables_to_arrays_of_objects() {
    let dir = tempfile::tempdir().unwrap();
    file(dir.path(), "f.sdn", TODO);
    let run = sdn(&["to-json", "f.sdn"], dir.path());
    assert_eq!(run.code, 0, "{}", run.stderr);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "todos": [
                {"id": 1, "title": "Write the parser", "status": "open"},
                {"id": 2, "title": "Ship it", "status": "open"}
            ],
            "config": {"port": 8080}
        })
    );
    // Key order follows the file.
    assert!(run.stdout.find("\"todos\"").unwrap() < run.stdout.find("\"config\"").unwrap());
    assert!(run.stdout.find("\"title\"").unwrap() < run.stdout.find("\"status\"").unwrap());
}

#[test]
fn from_json_writes_canonical_sdn_with_tables() {
    let dir = tempfile::tempdir().unwrap();
    file(
        dir.path(),
        "f.json",
        r#"{"zeta": 1.5, "todos": [{"id": 1, "title": "a b"}, {"id": 2, "title": "c"}],
            "mixed": [{"id": 1}, {"other": 2}], "nested": {"rows": [{"k": true}]}, "none": null}"#,
    );
    let run = sdn(&["from-json", "f.json"], dir.path());
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "zeta: 1.5\ntodos |id, title|\n    1, \"a b\"\n    2, c\nmixed:\n    - id: 1\n    - other: 2\nnested:\n    rows |k|\n        true\nnone: null\n"
    );
    sdn_codec::parse(&run.stdout).unwrap();

    file(dir.path(), "list.json", "[1, 2]");
    let run = sdn(&["from-json", "list.json"], dir.path());
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("an SDN document is an object"),
        "{}",
        run.stderr
    );
    file(dir.path(), "broken.json", "{");
    assert_eq!(sdn(&["from-json", "broken.json"], dir.path()).code, 1);
}

#[test]
fn json_round_trip_through_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    file(dir.path(), "f.sdn", TODO);
    let json = sdn(&["to-json", "f.sdn"], dir.path()).stdout;
    file(dir.path(), "f.json", &json);
    let back = sdn(&["from-json", "f.json"], dir.path()).stdout;
    assert_eq!(
        sdn_codec::parse(&back).unwrap(),
        sdn_codec::parse(TODO).unwrap()
    );
}
