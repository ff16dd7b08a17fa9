//! Checks specific facts about SDN files: the fixtures in `tests/fixtures/corpus` always,
//! and the real files of the external corpus as well when it is present (see
//! `corpus_source`).

mod corpus_source;

use corpus_source::{Source, sources};
use sdn_codec::{ErrorKind, Value};

fn load(source: &Source, name: &str) -> Result<Value, sdn_codec::Error> {
    sdn_codec::from_path(source.dir.join(name), &Default::default())
}

fn accepted(source: &Source, name: &str) -> Value {
    load(source, name).unwrap_or_else(|e| panic!("{name} should be accepted:\n{e}"))
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
    for source in sources() {
        for (file, tables) in source.facts.table_rows {
            let v = accepted(&source, file);
            for (table, n) in *tables {
                assert_eq!(rows(&v, table), *n, "{file}: {table}");
            }
        }
    }
}

#[test]
fn cells_keep_their_leading_characters() {
    for source in sources() {
        let facts = source.facts;
        let expected = &facts.todo_row;
        let todo = accepted(&source, expected.file);
        let t = todo["todos"].as_table().unwrap();
        let row = t
            .rows
            .iter()
            .position(|r| r[0].as_i64() == Some(expected.id))
            .expect("the row");
        assert_eq!(
            t.cell(row, "file").and_then(Value::as_str),
            Some(expected.path)
        );
        assert_eq!(
            t.cell(row, "valid").and_then(Value::as_bool),
            Some(expected.valid)
        );
        assert_eq!(
            t.cell(row, "issue").and_then(Value::as_str),
            Some(expected.issue)
        );

        let (file, needle, whole) = facts.device_path;
        let config = accepted(&source, file);
        let found: Vec<&str> = find_strings(&config)
            .into_iter()
            .filter(|s| s.contains(needle))
            .collect();
        assert_eq!(found, [whole]);

        let (file, test_id, last_run) = facts.test_db;
        let tests = accepted(&source, file);
        let t = tests["tests"].as_table().unwrap();
        assert!(
            t.cell(0, "test_id")
                .and_then(Value::as_str)
                .unwrap()
                .starts_with(test_id)
        );
        assert!(
            t.cell(0, "last_run")
                .and_then(Value::as_str)
                .unwrap()
                .starts_with(last_run)
        );
    }
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
    for source in sources() {
        let expected = &source.facts.typed_features_and_tasks;
        let v = accepted(&source, expected.feature_file);
        let t = v["features"].as_table().unwrap();
        assert_eq!(
            t.cell(0, "name").and_then(Value::as_str),
            Some(expected.first_feature_name)
        );
        assert_eq!(
            t.cell(0, "id")
                .and_then(Value::as_i64)
                .map(|id| id.to_string()),
            Some(expected.first_feature_id.to_owned())
        );
        let task = accepted(&source, expected.task_file);
        let t = task["tasks"].as_table().unwrap();
        assert_eq!(
            t.cell(0, "id").and_then(Value::as_str),
            Some(expected.first_task_id)
        );
        assert_eq!(
            t.cell(0, "description").and_then(Value::as_str),
            Some(expected.first_task_description)
        );
    }
}

#[test]
fn yaml_like_configs_read_faithfully() {
    for source in sources() {
        let facts = source.facts;
        let (file, title, acceptance) = facts.feature_doc;
        let v = accepted(&source, file);
        assert_eq!(v["feature"]["title"].as_str(), Some(title));
        assert_eq!(
            v["feature"]["acceptance"].as_array().map(Vec::len),
            Some(acceptance)
        );
        let (file, index, dir, pattern) = facts.sources_config;
        let v = accepted(&source, file);
        assert_eq!(v["sources"][index]["dir"].as_str(), Some(dir));
        assert_eq!(v["sources"][index]["pattern"].as_str(), Some(pattern));
        let v = accepted(&source, facts.quoted_nil);
        assert!(
            find_strings(&v).contains(&"nil"),
            "quoted \"nil\" stays a string"
        );
    }
}

#[test]
fn other_dialects_are_rejected_naming_what_was_seen() {
    for source in sources() {
        for (file, kind, line, seen) in source.facts.rejected {
            let err = load(&source, file).expect_err(file);
            assert_eq!(err.kind(), kind, "{file}: {err}");
            assert_eq!(err.line(), *line, "{file}: {err}");
            assert!(err.message().contains(seen), "{file}: {err}");
            assert!(err.to_string().contains(file), "path attached: {err}");
        }
        for (file, key) in source.facts.duplicate_keys {
            let err = load(&source, file).expect_err(file);
            assert!(
                matches!(err.kind(), ErrorKind::DuplicateKey { key: k, .. } if k == key),
                "{file}: {err}"
            );
        }
    }
}
