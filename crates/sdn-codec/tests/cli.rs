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
    // Comments stay; spacing, indentation and string quoting become canonical.
    let canonical = "# todo database\ntodos |id, title, status|\n    1, \"Write the parser\", open # first\n    2, \"Ship it\", open\nconfig:\n    port: 8080 # default\n";
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
    let run = sdn(
        &["set", "f.sdn", "config.port", "9090", "--type", "int"],
        dir.path(),
    );
    assert_eq!((run.code, run.stderr.as_str()), (0, ""));
    let run = sdn(
        &["set", "f.sdn", "config.hosts", "[\"a\", \"b c\"]", "--json"],
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
        run.stderr.contains("`x` is not a position"),
        "{}",
        run.stderr
    );
    let run = sdn(&["set", "f.sdn", "a", "open", "--type", "int"], dir.path());
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.starts_with("error: `open` is not an integer"),
        "{}",
        run.stderr
    );
    let run = sdn(&["set", "f.sdn", "a", "[1,", "--json"], dir.path());
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.starts_with("error: VALUE is not valid JSON"),
        "{}",
        run.stderr
    );
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
        "zeta: 1.5\ntodos |id, title|\n    1, \"a b\"\n    2, c\nmixed:\n    - {id: 1}\n    - {other: 2}\nnested:\n    rows |k|\n        true\nnone: null\n"
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

/// Runs `sdn` with `input` on standard input.
fn sdn_stdin(args: &[&str], dir: &Path, input: &str) -> Run {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_sdn"))
        .args(args)
        .current_dir(dir)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run sdn");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let Output {
        status,
        stdout,
        stderr,
    } = child.wait_with_output().unwrap();
    Run {
        code: status.code().expect("sdn exited by a signal"),
        stdout: String::from_utf8(stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(stderr).expect("stderr is UTF-8"),
    }
}

/// `sdn set` in `dir` on `f.sdn`, which must succeed; the file's text after it.
fn set_ok(dir: &Path, args: &[&str]) -> String {
    let mut all = vec!["set", "f.sdn"];
    all.extend_from_slice(args);
    let run = sdn(&all, dir);
    assert_eq!((run.code, run.stderr.as_str()), (0, ""), "{args:?}");
    std::fs::read_to_string(dir.join("f.sdn")).unwrap()
}

#[test]
fn set_stores_the_value_as_an_exact_string_unless_told_otherwise() {
    let dir = tempfile::tempdir().unwrap();
    file(dir.path(), "f.sdn", "a: 1\n");
    for (value, stored) in [
        ("Fix bug #12 in parser", "Fix bug #12 in parser"),
        ("", ""),
        (" padded ", " padded "),
        ("\nhello", "\nhello"),
        ("8080", "8080"),
        ("true", "true"),
        ("[1, 2]", "[1, 2]"),
        ("\"quoted\"", "\"quoted\""),
        ("x: y", "x: y"),
    ] {
        let text = set_ok(dir.path(), &["k", value]);
        let doc = sdn_codec::parse(&text).unwrap();
        assert_eq!(doc["k"].as_str(), Some(stored), "{value:?} -> {text}");
        assert_eq!(
            sdn(&["get", "f.sdn", "k"], dir.path()).stdout,
            format!("{stored}\n")
        );
    }
    // Typed values, and negative numbers and dashed keys as arguments.
    let text = set_ok(dir.path(), &["n", "-5", "--type", "int"]);
    assert!(text.ends_with("n: -5\n"), "{text}");
    let text = set_ok(dir.path(), &["f", "-0.0", "--type", "float"]);
    assert!(text.ends_with("f: -0.0\n"), "{text}");
    let text = set_ok(dir.path(), &["b", "false", "--type", "bool"]);
    assert!(text.ends_with("b: false\n"), "{text}");
    let text = set_ok(dir.path(), &["z", "--type", "null"]);
    assert!(text.ends_with("z: null\n"), "{text}");
    let text = set_ok(dir.path(), &["j", "{\"x\": [1, \"two\"]}", "--json"]);
    assert!(text.ends_with("j:\n    x: [1, two]\n"), "{text}");
    let text = set_ok(dir.path(), &["-x", "-y"]);
    assert!(text.ends_with("\"-x\": \"-y\"\n"), "{text}");
    assert_eq!(sdn(&["get", "f.sdn", "-x"], dir.path()).stdout, "-y\n");
    assert_eq!(sdn(&["get", "f.sdn", "n"], dir.path()).stdout, "-5\n");
    let bad = sdn(&["set", "f.sdn", "n", "1.5", "--type", "int"], dir.path());
    assert_eq!(bad.code, 1);
    assert!(
        bad.stderr.contains("`1.5` is not an integer"),
        "{}",
        bad.stderr
    );
}

#[test]
fn set_between_zero_and_negative_zero_is_an_edit() {
    let dir = tempfile::tempdir().unwrap();
    file(dir.path(), "f.sdn", "z: 0.0\n");
    assert_eq!(
        set_ok(dir.path(), &["z", "-0.0", "--type", "float"]),
        "z: -0.0\n"
    );
    assert_eq!(
        set_ok(dir.path(), &["z", "0.0", "--type", "float"]),
        "z: 0.0\n"
    );
}

const TASKS: &str = "\
# tracking
tasks |id, title, status|
    T-1, First, open   # keep
    T-2, Second, open
ports: [80, 443]
";

#[test]
fn rows_of_tables_and_array_items_are_addressed_by_index_and_key() {
    let dir = tempfile::tempdir().unwrap();
    file(dir.path(), "f.sdn", TASKS);
    let get = |path: &str| sdn(&["get", "f.sdn", path], dir.path());
    assert_eq!(
        get("tasks.0").stdout,
        "id: T-1\ntitle: First\nstatus: open\n"
    );
    assert_eq!(get("tasks.1.title").stdout, "Second\n");
    assert_eq!(get("tasks[id=T-2].status").stdout, "open\n");
    assert_eq!(get("ports.1").stdout, "443\n");
    let missing = get("tasks.5");
    assert_eq!(missing.code, 1);
    assert!(missing.stderr.contains("has 2"), "{}", missing.stderr);
    let missing = get("tasks[id=T-9].status");
    assert!(
        missing.stderr.contains("no row has `id` = `T-9`"),
        "{}",
        missing.stderr
    );

    let text = set_ok(dir.path(), &["tasks[id=T-1].status", "done"]);
    assert_eq!(text, TASKS.replace("T-1, First, open", "T-1, First, done"));
    let text = set_ok(dir.path(), &["tasks.1.status", "closed"]);
    assert_eq!(
        text,
        TASKS
            .replace("T-1, First, open", "T-1, First, done")
            .replace("T-2, Second, open", "T-2, Second, closed")
    );
    let text = set_ok(dir.path(), &["ports.1", "8443", "--type", "int"]);
    assert!(text.ends_with("ports: [80, 8443]\n"), "{text}");
    let run = sdn(&["set", "f.sdn", "ports.x", "1"], dir.path());
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("an array is addressed by number"),
        "{}",
        run.stderr
    );
    let run = sdn(&["set", "f.sdn", "ports.0.x", "1"], dir.path());
    assert!(run.stderr.contains("is an integer"), "{}", run.stderr);
    assert!(!run.stderr.contains(" a array") && !run.stderr.contains(" a integer"));
}

#[test]
fn dash_is_standard_input_and_output() {
    let dir = tempfile::tempdir().unwrap();
    let run = sdn_stdin(&["check", "-"], dir.path(), "a: 1\n");
    assert_eq!((run.code, run.stdout.as_str()), (0, "<stdin>: ok\n"));
    let run = sdn_stdin(&["get", "-", "a"], dir.path(), "a: 1\n");
    assert_eq!(run.stdout, "1\n");
    let run = sdn_stdin(&["set", "-", "b", "x y"], dir.path(), "a: 1 # one\n");
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (0, "a: 1 # one\nb: \"x y\"\n")
    );
    let run = sdn_stdin(&["fmt", "-"], dir.path(), "a:   1   # one\n");
    assert_eq!((run.code, run.stdout.as_str()), (0, "a: 1 # one\n"));
    let run = sdn_stdin(&["to-json", "-"], dir.path(), "a: 1\n");
    assert_eq!(run.stdout, "{\n  \"a\": 1\n}\n");
    let run = sdn_stdin(&["from-json", "-"], dir.path(), "{\"a\": 1}");
    assert_eq!(run.stdout, "a: 1\n");
    let bad = sdn_stdin(&["check", "-"], dir.path(), "a: \"x\n");
    assert!(bad.stderr.contains("--> <stdin>:1:4"), "{}", bad.stderr);
}

#[test]
fn fmt_keeps_comments_blank_lines_and_spellings() {
    let dir = tempfile::tempdir().unwrap();
    let text = "# config\nversion: 1.10  # not 1.1\n\n\nagent: 007\nbig: 1_000_000\nsci: 1E5\nmore:\n\n  # nested\n  x: nil\n";
    let path = file(dir.path(), "f.sdn", text);
    let run = sdn(&["fmt", "f.sdn"], dir.path());
    assert_eq!(run.code, 0, "{}", run.stderr);
    let canonical = "# config\nversion: 1.10 # not 1.1\n\nagent: 007\nbig: 1_000_000\nsci: 1E5\nmore:\n    # nested\n    x: nil\n";
    assert_eq!(std::fs::read_to_string(&path).unwrap(), canonical);
    let run = sdn(&["fmt", "--check", "f.sdn"], dir.path());
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (0, "f.sdn: already canonical\n")
    );
    // Dropping comments and respelling happen only on request.
    let run = sdn(
        &["fmt", "--strip-comments", "--normalize", "f.sdn"],
        dir.path(),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "version: 1.1\nagent: 7\nbig: 1000000\nsci: 100000.0\nmore:\n    x: null\n"
    );
}

#[test]
fn fmt_writes_spellings_the_home_parser_reads() {
    let dir = tempfile::tempdir().unwrap();
    let text = "deps:\n    - project: \"../compiler\"\n      kind: lib\n    - project: \"../lib\"\nm:\n    -\n        - 1\n        - [2]\nnodes: [{a: 1}, {b: 2}]\n\".hidden\": 1\n\"/root\": 2\n";
    let path = file(dir.path(), "f.sdn", text);
    assert_eq!(sdn(&["fmt", "f.sdn"], dir.path()).code, 0);
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "deps:\n    - {project: \"../compiler\", kind: lib}\n    - {project: \"../lib\"}\nm:\n    - [1, [2]]\nnodes: [{a: 1}, {b: 2}]\n\".hidden\": 1\n\"/root\": 2\n"
    );
}

#[test]
fn fmt_and_set_write_through_a_symlink() {
    let dir = tempfile::tempdir().unwrap();
    let target = file(dir.path(), "real.sdn", "a:   1\n");
    let link = dir.path().join("link.sdn");
    std::os::unix::fs::symlink("real.sdn", &link).unwrap();
    assert_eq!(sdn(&["fmt", "link.sdn"], dir.path()).code, 0);
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "a: 1\n");
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(sdn(&["set", "link.sdn", "b", "x"], dir.path()).code, 0);
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "a: 1\nb: x\n");
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

#[test]
fn from_json_changes_no_value() {
    let dir = tempfile::tempdir().unwrap();
    file(
        dir.path(),
        "f.json",
        r#"{"x": 7e23, "y": -0, "z": 0.1, "w": -0.0, "v": 9223372036854775807}"#,
    );
    let run = sdn(&["from-json", "f.json"], dir.path());
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v = sdn_codec::parse(&run.stdout).unwrap();
    assert_eq!(v["x"].as_f64(), Some(7e23));
    assert_eq!(v["y"].as_i64(), Some(0));
    assert_eq!(v["z"].as_f64(), Some(0.1));
    assert!(v["w"].as_f64().unwrap().is_sign_negative());
    assert_eq!(v["v"].as_i64(), Some(i64::MAX));
    for big in [
        "18446744073709551616",
        "-9223372036854775809",
        "9223372036854775808",
    ] {
        file(dir.path(), "big.json", &format!("{{\"n\": {big}}}"));
        let run = sdn(&["from-json", "big.json"], dir.path());
        assert_eq!(run.code, 1, "{big}: {}", run.stdout);
        assert!(
            run.stderr.contains(&format!(
                "integer {big} is outside SDN's signed 64-bit range"
            )),
            "{}",
            run.stderr
        );
    }
}

#[test]
fn floats_survive_to_json_and_back() {
    let dir = tempfile::tempdir().unwrap();
    // Floats that serde_json without `float_roundtrip` reads back one bit off.
    let floats = [
        7e23,
        1.0000000000000002,
        2.2250738585072014e-308,
        9.007199254740993e15,
        0.30000000000000004,
    ];
    let text: String = floats
        .iter()
        .enumerate()
        .map(|(i, f)| format!("f{i}: {}\n", sdn_codec::write::format_float(*f).unwrap()))
        .collect();
    file(dir.path(), "f.sdn", &text);
    let json = sdn(&["to-json", "f.sdn"], dir.path()).stdout;
    file(dir.path(), "f.json", &json);
    let back = sdn(&["from-json", "f.json"], dir.path()).stdout;
    let v = sdn_codec::parse(&back).unwrap();
    for (i, f) in floats.iter().enumerate() {
        assert_eq!(
            v[format!("f{i}").as_str()].as_f64().map(f64::to_bits),
            Some(f.to_bits()),
            "{f}"
        );
    }
}

#[test]
fn json_depth_limits_agree_with_check() {
    let dir = tempfile::tempdir().unwrap();
    let depth = sdn_codec::Limits::default().max_depth;
    let deepest = format!("a: {}{}\n", "[".repeat(depth), "]".repeat(depth));
    file(dir.path(), "deep.sdn", &deepest);
    assert_eq!(sdn(&["check", "deep.sdn"], dir.path()).code, 0);
    let json = sdn(&["to-json", "deep.sdn"], dir.path());
    assert_eq!(json.code, 0);
    file(dir.path(), "deep.json", &json.stdout);
    let back = sdn(&["from-json", "deep.json"], dir.path());
    assert_eq!(back.code, 0, "{}", back.stderr);
    assert_eq!(
        sdn_codec::parse(&back.stdout).unwrap(),
        sdn_codec::parse(&deepest).unwrap()
    );
    // One level more is refused as too deep, not as invalid JSON.
    let deeper = format!(
        "{{\"a\": {}{}}}",
        "[".repeat(depth + 1),
        "]".repeat(depth + 1)
    );
    file(dir.path(), "deeper.json", &deeper);
    let run = sdn(&["from-json", "deeper.json"], dir.path());
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("deeper than the limit"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("not valid JSON"), "{}", run.stderr);
}
