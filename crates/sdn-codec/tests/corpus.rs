//! Checks specific facts about the real SDN files in `../../../shared/corpus/sdn/real`
//! (or `$SDN_CORPUS_DIR`). Skips visibly when the corpus is absent.

use std::path::PathBuf;

use sdn_codec::{ErrorKind, Value};

fn corpus_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("SDN_CORPUS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/sdn/real")
        });
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("SKIPPED: corpus not found at {}", dir.display());
        None
    }
}

fn load(name: &str) -> Option<Result<Value, sdn_codec::Error>> {
    let dir = corpus_dir()?;
    Some(sdn_codec::from_path(dir.join(name), &Default::default()))
}

fn accepted(name: &str) -> Option<Value> {
    load(name).map(|r| r.unwrap_or_else(|e| panic!("{name} should be accepted:\n{e}")))
}

fn rows(v: &Value, table: &str) -> usize {
    v[table]
        .as_table()
        .unwrap_or_else(|| panic!("{table} is not a table"))
        .rows
        .len()
}

#[test]
fn tracking_tables_have_the_rows_of_the_file() {
    let cases: &[(&str, &[(&str, usize)])] = &[
        ("doc__todo__todo_db.sdn", &[("todos", 63)]),
        ("doc__dashboard__tables__todos.sdn", &[("todos", 269)]),
        (
            "doc__feature__feature_db.sdn",
            &[("strings", 0), ("features", 20)],
        ),
        (
            "doc__feature__feature_db__at_002589c.sdn",
            &[("strings", 0), ("features", 0)],
        ),
        ("doc__08_tracking__task__task_db.sdn", &[("tasks", 1)]),
        (
            "doc__08_tracking__test__test_db_runs.sdn",
            &[
                ("counters", 10),
                ("timing", 10),
                ("timing_runs", 30),
                ("changes", 10),
            ],
        ),
        (
            "doc__08_tracking__check__must_check_db.sdn",
            &[("must_check_results", 70)],
        ),
        (
            "doc__test__grouped_test_db.sdn",
            &[
                ("test_summary", 5),
                ("test_groups", 22),
                ("hanging_tests", 0),
                ("failed_tests", 14),
                ("safe_directories", 15),
            ],
        ),
        (
            "doc__dashboard__dashboard_db.cache.sdn",
            &[("dashboard_cache", 14)],
        ),
        (
            "doc__08_tracking__todo__todo_db.cache.sdn",
            &[("file_cache", 0)],
        ),
        ("doc__dashboard__tables__coverage.sdn", &[]),
        ("doc__test__test_db__at_0157db3.sdn", &[("tests", 1)]),
        (
            "doc__test__sdoctest_db.sdn",
            &[("sdoctest_runs", 1), ("sdoctest_blocks", 3)],
        ),
    ];
    for (file, tables) in cases {
        let Some(v) = accepted(file) else { return };
        for (table, n) in *tables {
            assert_eq!(rows(&v, table), *n, "{file}: {table}");
        }
    }
}

#[test]
fn cells_keep_their_leading_characters() {
    let Some(todo) = accepted("doc__todo__todo_db.sdn") else {
        return;
    };
    let t = todo["todos"].as_table().unwrap();
    let row = t
        .rows
        .iter()
        .position(|r| r[0].as_i64() == Some(59))
        .expect("row 59");
    assert_eq!(
        t.cell(row, "file").and_then(Value::as_str),
        Some("./src/compiler_rust/runtime/src/value/net_tls.rs")
    );
    assert_eq!(t.cell(row, "valid").and_then(Value::as_bool), Some(true));
    assert_eq!(t.cell(row, "issue").and_then(Value::as_str), Some(""));

    let Some(board) = accepted("config__baremetal__default.sdn") else {
        return;
    };
    let ports: Vec<&str> = find_strings(&board)
        .into_iter()
        .filter(|s| s.contains("ttyUSB0"))
        .collect();
    assert_eq!(ports, ["/dev/ttyUSB0"]);

    let Some(tests) = accepted("doc__test__test_db__at_0157db3.sdn") else {
        return;
    };
    let t = tests["tests"].as_table().unwrap();
    assert!(
        t.cell(0, "test_id")
            .and_then(Value::as_str)
            .unwrap()
            .starts_with("/home/ormastes/")
    );
    assert!(
        t.cell(0, "last_run")
            .and_then(Value::as_str)
            .unwrap()
            .starts_with("2026-01-23T12:16:12.")
    );
}

fn find_strings(v: &Value) -> Vec<&str> {
    match v {
        Value::Scalar(_) => v.as_str().into_iter().collect(),
        Value::Array(a) => a.iter().flat_map(find_strings).collect(),
        Value::Dict(m) => m.values().flat_map(find_strings).collect(),
        Value::Table(t) => t.rows.iter().flatten().flat_map(find_strings).collect(),
    }
}

#[test]
fn multi_word_cells_stay_whole() {
    let Some(v) = accepted("doc__feature__feature_db.sdn") else {
        return;
    };
    let t = v["features"].as_table().unwrap();
    assert_eq!(
        t.cell(0, "name").and_then(Value::as_str),
        Some("Cranelift Backend")
    );
    assert_eq!(t.cell(0, "id").and_then(Value::as_i64), Some(100));
    let Some(task) = accepted("doc__08_tracking__task__task_db.sdn") else {
        return;
    };
    let t = task["tasks"].as_table().unwrap();
    assert_eq!(t.cell(0, "id").and_then(Value::as_str), Some("TRACK-001"));
    assert_eq!(
        t.cell(0, "description").and_then(Value::as_str),
        Some("Normalize bug, feature, test, task, and todo tracking around SDN/text databases")
    );
}

#[test]
fn yaml_like_configs_read_faithfully() {
    let Some(v) = accepted("doc__08_tracking__feature__FEAT-SCV-LIFECYCLE__feature.sdn") else {
        return;
    };
    assert_eq!(
        v["feature"]["title"].as_str(),
        Some("Unified SCV, Jujutsu, Git, DevHub, and Spipe lifecycle")
    );
    assert_eq!(
        v["feature"]["acceptance"].as_array().map(Vec::len),
        Some(18)
    );
    let Some(v) = accepted("config__sdoctest.sdn") else {
        return;
    };
    assert_eq!(v["sources"][2]["dir"].as_str(), Some("doc/"));
    assert_eq!(v["sources"][2]["pattern"].as_str(), Some("*.md"));
    let Some(v) = accepted("DOT.exp__runs__000200740438__meta.sdn") else {
        return;
    };
    assert!(
        find_strings(&v).contains(&"nil"),
        "quoted \"nil\" stays a string"
    );
}

#[test]
fn other_dialects_are_rejected_naming_what_was_seen() {
    let cases = [
        (
            "doc__08_tracking__api_surface__baseline.sdn",
            ErrorKind::SectionHeader,
            1,
            "[api_surface]",
        ),
        (
            "examples__simple_game__game__data__levels.sdn",
            ErrorKind::SectionHeader,
            6,
            "[level_1]",
        ),
        (
            "doc__spec__grammar__tier_keywords.sdn",
            ErrorKind::SectionHeader,
            11,
            "[keywords.declarations]",
        ),
        (
            "test__fixtures__project_sdn_profile__legacy_toml__simple.sdn",
            ErrorKind::SectionHeader,
            1,
            "[lints]",
        ),
        (
            "doc__08_tracking__test__resource_usage.sdn",
            ErrorKind::SdlBlock,
            6,
            "resource_usage {",
        ),
        (
            "doc__05_design__stitch_snapshots__sync_mode.sdn",
            ErrorKind::BlockScalar,
            2,
            "block scalar `|`",
        ),
        (
            "test__lib__std__fixtures__sdn__invalid__missing_colon.sdn",
            ErrorKind::NotAnEntry,
            2,
            "name Alice",
        ),
    ];
    for (file, kind, line, seen) in cases {
        let Some(result) = load(file) else { return };
        let err = result.expect_err(file);
        assert_eq!(err.kind(), &kind, "{file}: {err}");
        assert_eq!(err.line(), line, "{file}: {err}");
        assert!(err.message().contains(seen), "{file}: {err}");
        assert!(err.to_string().contains(file), "path attached: {err}");
    }
    for (file, key) in [
        ("DOT.exp__index.sdn", "302918736704"),
        ("test__fixtures__orchestration__duplicate_key.sdn", "name"),
    ] {
        let Some(result) = load(file) else { return };
        let err = result.expect_err(file);
        assert!(
            matches!(err.kind(), ErrorKind::DuplicateKey { key: k, .. } if k == key),
            "{file}: {err}"
        );
    }
}
