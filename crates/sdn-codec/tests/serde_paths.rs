//! serde over the tracking databases and the two deserializing paths: the fixtures in
//! `tests/fixtures/corpus` (and the real files of the external corpus when it is present)
//! read into typed records, and the direct text path agrees with the general path (parse
//! to a `Value`, then deserialize) on the corpus, on tricky documents and on generated
//! tables and todo files.

mod common;
mod corpus_source;

use std::collections::BTreeMap;

use proptest::prelude::*;
use sdn_codec::Value;
use serde::Deserialize;
use test_support::strategy;
use test_support::tracking::{Feature, Status, TaskDb, TodoDb};

// ---------------------------------------------------------------------------------------
// Corpus

#[test]
fn corpus_todo_db_reads_into_typed_records() {
    for source in corpus_source::sources() {
        let expected = &source.facts.typed_todos;
        let db: TodoDb = sdn_codec::from_str(&source.read(expected.file)).unwrap();
        assert_eq!(db.todos.len(), expected.len);
        let first = &db.todos[0];
        assert_eq!(first.id, 0);
        assert_eq!(first.description, expected.first_description);
        assert_eq!(first.file, expected.first_path);
        assert_eq!(first.line, expected.first_line);
        // `""` in the file is a quoted empty string: Some(""), not None.
        assert_eq!(first.issue.as_deref(), Some(""));
        assert_eq!(first.status, Status::Open);
        assert!(!first.valid);
        let last = db.todos.last().unwrap();
        assert_eq!(last.id, expected.len as u64 - 1);
        assert_eq!(last.file, expected.last_path);
        assert_eq!(last.priority, expected.last_priority);
        assert!(last.valid);
        // The typed records write back and read again unchanged.
        let again: TodoDb = sdn_codec::from_str(
            &sdn_codec::to_string(&TodoDb {
                todos: db.todos.clone(),
            })
            .unwrap(),
        )
        .unwrap();
        assert_eq!(again.todos, db.todos);
    }
}

#[test]
fn corpus_feature_and_task_dbs_read_into_typed_records() {
    #[derive(Debug, Deserialize)]
    struct FeatureFile {
        strings: Vec<BTreeMap<String, String>>,
        features: Vec<Feature>,
    }
    for source in corpus_source::sources() {
        let expected = &source.facts.typed_features_and_tasks;
        let db: FeatureFile = sdn_codec::from_str(&source.read(expected.feature_file)).unwrap();
        assert!(db.strings.is_empty());
        assert_eq!(db.features.len(), expected.features);
        assert_eq!(db.features[0].id, expected.first_feature_id);
        assert_eq!(db.features[0].name, expected.first_feature_name);
        assert_eq!(db.features[0].platforms, None);
        let (id, spec) = expected.spec_of;
        let with_fragment = db.features.iter().find(|f| f.id == id).unwrap();
        assert_eq!(with_fragment.spec, spec);

        let db: TaskDb = sdn_codec::from_str(&source.read(expected.task_file)).unwrap();
        assert_eq!(db.tasks.len(), expected.tasks);
        assert_eq!(db.tasks[0].id, expected.first_task_id);
        assert_eq!(db.tasks[0].description, expected.first_task_description);
        assert_eq!(db.tasks[0].status, Status::InProgress);
    }
}

// ---------------------------------------------------------------------------------------
// The direct text path and the general path (parse to a Value, then deserialize) agree

/// Deserializes `text` both ways; both succeed with equal results or both fail.
fn assert_paths_agree<T>(text: &str) -> Result<(), TestCaseError>
where
    T: serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let direct = sdn_codec::from_str::<T>(text);
    let general = sdn_codec::parse(text).and_then(sdn_codec::from_value::<T>);
    match (&direct, &general) {
        (Ok(a), Ok(b)) => prop_assert_eq!(a, b, "text:\n{}", text),
        (Err(_), Err(_)) => {}
        _ => prop_assert!(
            false,
            "paths disagree on\n{}\ndirect: {:?}\ngeneral: {:?}",
            text,
            direct,
            general
        ),
    }
    Ok(())
}

/// What `deserialize_any` produced, so the comparison sees types as well as text.
type AnyRows = BTreeMap<String, Vec<BTreeMap<String, serde_json::Value>>>;
type TextRows = BTreeMap<String, Vec<BTreeMap<String, String>>>;
type OptionRows = BTreeMap<String, Vec<BTreeMap<String, Option<String>>>>;

fn check_all_targets(text: &str) -> Result<(), TestCaseError> {
    assert_paths_agree::<AnyRows>(text)?;
    assert_paths_agree::<TextRows>(text)?;
    assert_paths_agree::<OptionRows>(text)?;
    assert_paths_agree::<BTreeMap<String, Vec<(String, String)>>>(text)?;
    assert_paths_agree::<BTreeMap<String, Vec<BTreeMap<String, i64>>>>(text)?;
    assert_paths_agree::<BTreeMap<String, Vec<BTreeMap<String, bool>>>>(text)?;
    assert_paths_agree::<BTreeMap<String, Vec<BTreeMap<String, f32>>>>(text)?;
    assert_paths_agree::<Value>(text)?;
    Ok(())
}

#[test]
fn direct_and_general_paths_agree_on_the_corpus_tracking_dbs() {
    for source in corpus_source::sources() {
        let facts = source.facts;
        for name in facts.tracking_databases() {
            check_all_targets(&source.read(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
        assert_paths_agree::<TodoDb>(&source.read(facts.typed_todos.file)).unwrap();
        let tasks = facts.typed_features_and_tasks.task_file;
        assert_paths_agree::<TaskDb>(&source.read(tasks)).unwrap();
    }
}

#[test]
fn direct_and_general_paths_agree_on_tricky_documents() {
    let docs = [
        "t |a, b|\n    1, 2 # comment\n    # a comment line\n\n    3, 4\nx: 1\n",
        "t |a, b|\n    1, #x\n",
        "t |a, b|\n    1,#x\n",
        "t |a, b|\n    \"q\" , \"r\\\"s\"\n",
        "t |a, b|\n    \"q\" x, y\n",
        "t |a, b|\n    [1], 2\n",
        "t |a, b|\n    a [1], {2\n",
        "t |a, b|\n    1, 2, 3\n",
        "t |a, b|\n    99999999999999999999, 1\n",
        "t |a, b|\n    1e999, 1\n",
        "t |a, b|\r\n    1, 2\r\n",
        "t |a, b|\n    1, 2\rx\n",
        "\u{feff}t |a, b|\n    1, 2\n",
        "t |a, b| 1, 2\n",
        "t |a, a|\n    1, 2\n",
        "t |a b, c|\n    1, 2\n",
        "t |\"a\", b|\n    1, 2\n",
        "t|a, b|\n    1, 2\n",
        "t: table{i64, str}\n    1, a\n",
        "t |a, b|\n\t1, 2\n",
        "t |a, b|\n  1, 2\n      3, 4\n",
        "t |a, b|\n    \"multi\nline\", 2\n",
        "t |a, b|\n    \"\\u{41}\\d\", \"\\u{zz}\"\n",
        "t |a, b|\n    nil, null\n    true, false\n    -0, 1_000\n    1.5e3, 007\n",
        "t |a, b|\n    , \n    \"\", \"\"\n",
        "t |a, b|\n    é ✓, 😀\n    x\u{a0}, \u{a0}y\n",
        "t |a, b|\n    1, 2\nt: 3\n",
        "t |a, b|\n    1, 2\n  x: 1\n",
        "x: a # c\ny: \"q\" # c\nz: 1, 2, 3\n",
        "x: \"a\" b\n",
        "x: [1, 2]\n",
        "x:\n    y: 1\n",
        "x: |\n",
        "x = 1\n",
        "x : 1\n",
        "x:1\n",
        "-x: 1\n",
        "    x: 1\n",
        "x: 1\n    y: 2\n",
        "x: 1\nx: 2\n",
        "",
        "# only a comment\n",
    ];
    for doc in docs {
        check_all_targets(doc).unwrap_or_else(|e| panic!("{doc:?}: {e}"));
    }
}

fn cell_text_strategy() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9 ._#\\-]{0,8}",
        "[0-9_.eE+\\-]{1,6}",
        prop::sample::select(vec![
            "",
            " ",
            "true",
            "false",
            "null",
            "nil",
            "007",
            "1.10",
            "-1",
            "1e3",
            "#x",
            " #x",
            "a#b",
            "[x]",
            "{y}",
            "x]",
            "é✓",
            "\u{a0}",
            "a\"b",
            "\"\"",
            "\"a,b\"",
            "\"\\n\\u{41}\"",
            "\"\\q\"",
            "\"unterminated",
            "99999999999999999999",
        ])
        .prop_map(str::to_owned),
    ]
}

fn table_text_strategy() -> impl Strategy<Value = String> {
    (1usize..4).prop_flat_map(|columns| {
        let row = prop::collection::vec(cell_text_strategy(), columns..=columns + 1)
            .prop_map(|cells| cells.join(","));
        (
            Just(columns),
            prop::collection::vec(row, 0..5),
            prop::sample::select(vec!["", "\n", "# note\n", "x: 5\n", "  y: 1\n"]),
        )
            .prop_map(|(columns, rows, tail)| {
                let names: Vec<String> = (0..columns).map(|i| format!("c{i}")).collect();
                let mut text = format!("t |{}|\n", names.join(", "));
                for row in rows {
                    text.push_str("    ");
                    text.push_str(&row);
                    text.push('\n');
                }
                text.push_str(tail);
                text
            })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(common::proptest_cases() * 2))]

    #[test]
    fn direct_and_general_paths_agree_on_generated_tables(text in table_text_strategy()) {
        check_all_targets(&text)?;
    }

    #[test]
    fn direct_and_general_paths_agree_on_generated_todo_files(
        todos in prop::collection::vec(strategy::todo(), 0..6)
    ) {
        let text = sdn_codec::to_string(&TodoDb { todos }).unwrap();
        assert_paths_agree::<TodoDb>(&text)?;
        check_all_targets(&text)?;
    }
}
