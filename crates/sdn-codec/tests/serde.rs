//! serde support: round trips for every mapping rule, snapshots of the serialized
//! output, and property tests. The tracking databases of the corpus read into typed
//! records, and the two deserializing paths agreeing, are in `serde_paths.rs`.

mod common;
use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset, Utc};
use proptest::prelude::*;
use sdn_codec::{DeOptions, ErrorKind, SerOptions, Value};
use serde::{Deserialize, Serialize};
use test_support::strategy;
use test_support::tracking::{Feature, FeatureDb, Mode, Status, Task, TaskDb, Todo, TodoDb};

/// Serializes, deserializes, checks equality and returns the text.
fn round_trip<T>(value: &T) -> String
where
    T: Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let text = sdn_codec::to_string(value).expect("serialize");
    let back: T = sdn_codec::from_str(&text).unwrap_or_else(|e| panic!("{e}\n---\n{text}"));
    assert_eq!(&back, value, "text was:\n{text}");
    // The Value route gives the same text and the same data.
    let via_value = sdn_codec::to_value(value).expect("to_value");
    assert_eq!(
        sdn_codec::to_canonical_string(&via_value).expect("write"),
        text
    );
    assert_eq!(
        &sdn_codec::from_value::<T>(via_value).expect("from_value"),
        value
    );
    text
}

// ---------------------------------------------------------------------------------------
// Mapping rules

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Server {
    host: String,
    port: u16,
    tls: bool,
    ratio: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Config {
    name: String,
    server: Server,
    tags: Vec<String>,
    limits: BTreeMap<String, i64>,
}

#[test]
fn struct_and_nested_struct_round_trip() {
    let config = Config {
        name: "api gateway".into(),
        server: Server {
            host: "localhost".into(),
            port: 8080,
            tls: true,
            ratio: 0.5,
        },
        tags: vec!["a".into(), "b c".into()],
        limits: [("cpu".to_owned(), 4), ("mem".to_owned(), -1)].into(),
    };
    let text = round_trip(&config);
    assert!(text.contains("server:\n    host: localhost\n"), "{text}");
}

#[test]
fn vec_of_flat_structs_is_a_named_table() {
    let db = TodoDb {
        todos: vec![
            Todo::sample(0, "first"),
            Todo::sample(1, "second, with a comma"),
        ],
    };
    let text = round_trip(&db);
    assert!(
        text.starts_with(
            "todos |id, keyword, area, priority, description, file, line, issue, blocked, status, valid|\n"
        ),
        "{text}"
    );
    assert_eq!(text.lines().count(), 3, "{text}");
}

#[test]
fn columns_are_matched_by_name_in_any_order() {
    let text = "\
todos |valid, status, blocked, issue, line, file, description, priority, area, keyword, id|
    true, done, , \"#7\", 12, src/a.spl, Fix it, P1, gpu, FIXME, 3
";
    let db: TodoDb = sdn_codec::from_str(text).unwrap();
    let t = &db.todos[0];
    assert_eq!(t.id, 3);
    assert_eq!(t.keyword, "FIXME");
    assert_eq!(t.issue.as_deref(), Some("#7"));
    assert_eq!(t.blocked, None);
    assert_eq!(t.status, Status::Done);
    assert!(t.valid);
}

#[derive(Debug, PartialEq, Deserialize)]
struct WithDefaults {
    id: u32,
    #[serde(default)]
    note: String,
    #[serde(default = "default_weight")]
    weight: i64,
    owner: Option<String>,
}

fn default_weight() -> i64 {
    10
}

#[derive(Debug, PartialEq, Deserialize)]
struct WithDefaultsDb {
    rows: Vec<WithDefaults>,
}

#[test]
fn missing_columns_take_serde_defaults() {
    let db: WithDefaultsDb = sdn_codec::from_str("rows |id|\n    1\n    2\n").unwrap();
    assert_eq!(
        db.rows[1],
        WithDefaults {
            id: 2,
            note: String::new(),
            weight: 10,
            owner: None
        }
    );
}

#[derive(Debug, Deserialize)]
struct RequiredDb {
    #[allow(dead_code)]
    rows: Vec<Server>,
}

#[test]
fn missing_required_column_is_an_error() {
    let err =
        sdn_codec::from_str::<RequiredDb>("rows |host, port, tls|\n    a, 1, true\n").unwrap_err();
    assert!(err.message().contains("ratio"), "{err}");
}

#[derive(Debug, PartialEq, Deserialize)]
struct Narrow {
    id: u32,
}

#[derive(Debug, PartialEq, Deserialize)]
struct NarrowDb {
    rows: Vec<Narrow>,
}

#[test]
fn extra_columns_are_ignored_by_default_and_rejected_on_request() {
    let text = "rows |id, surplus|\n    1, x\n    2, y\n";
    let db: NarrowDb = sdn_codec::from_str(text).unwrap();
    assert_eq!(db.rows, [Narrow { id: 1 }, Narrow { id: 2 }]);

    let strict = DeOptions::new().deny_unknown_columns(true);
    let err = sdn_codec::from_str_with::<NarrowDb>(text, &strict).unwrap_err();
    assert!(err.message().contains("unknown column `surplus`"), "{err}");
    assert_eq!(err.line(), 2, "{err:?}");
    // The Value route rejects it too (without a position: a Value has none).
    let value = sdn_codec::parse(text).unwrap();
    let err = sdn_codec::from_value_with::<NarrowDb>(value, &strict).unwrap_err();
    assert!(err.message().contains("`surplus`"), "{err}");
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Opt {
    id: u32,
    note: Option<String>,
    count: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct OptDb {
    rows: Vec<Opt>,
    single: Option<String>,
    empty: Option<String>,
}

#[test]
fn option_none_and_some_empty_stay_distinct() {
    let db = OptDb {
        rows: vec![
            Opt {
                id: 1,
                note: None,
                count: None,
            },
            Opt {
                id: 2,
                note: Some(String::new()),
                count: Some(0),
            },
            Opt {
                id: 3,
                note: Some("null".into()),
                count: Some(-5),
            },
        ],
        single: None,
        empty: Some(String::new()),
    };
    let text = round_trip(&db);
    assert_eq!(
        text,
        "rows |id, note, count|\n    1, null, null\n    2, \"\", 0\n    3, \"null\", -5\nsingle: null\nempty: \"\"\n"
    );
}

#[test]
fn empty_cell_reads_as_none_or_empty_string() {
    #[derive(Deserialize)]
    struct Row {
        a: Option<String>,
        b: String,
        c: Option<u32>,
    }
    #[derive(Deserialize)]
    struct Db {
        rows: Vec<Row>,
    }
    let db: Db = sdn_codec::from_str("rows |a, b, c|\n    , , \n    \"\", \"\", 4\n").unwrap();
    assert_eq!(db.rows[0].a, None);
    assert_eq!(db.rows[0].b, "");
    assert_eq!(db.rows[0].c, None);
    assert_eq!(db.rows[1].a.as_deref(), Some(""));
    assert_eq!(db.rows[1].b, "");
    assert_eq!(db.rows[1].c, Some(4));
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
enum Shape {
    Dot,
    Circle(f64),
    Rect { w: u32, h: u32 },
    Pair(i32, i32),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Shapes {
    status: Status,
    shapes: Vec<Shape>,
}

#[test]
fn enums_unit_variants_are_plain_words() {
    let shapes = Shapes {
        status: Status::InProgress,
        shapes: vec![
            Shape::Dot,
            Shape::Circle(1.5),
            Shape::Rect { w: 2, h: 3 },
            Shape::Pair(-1, 1),
        ],
    };
    let text = round_trip(&shapes);
    assert!(text.starts_with("status: in_progress\n"), "{text}");
    let err = sdn_codec::from_str::<Shapes>("status: closed\nshapes: []\n").unwrap_err();
    assert!(err.message().contains("closed"), "{err}");
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Event {
    name: String,
    at: DateTime<Utc>,
    local: DateTime<FixedOffset>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Events {
    events: Vec<Event>,
}

#[test]
fn chrono_timestamps_round_trip_as_rfc3339() {
    let at = DateTime::parse_from_rfc3339("2026-01-23T12:16:12.5Z")
        .unwrap()
        .with_timezone(&Utc);
    let local = DateTime::parse_from_rfc3339("2026-01-23T12:16:12+02:00").unwrap();
    let events = Events {
        events: vec![Event {
            name: "release".into(),
            at,
            local,
        }],
    };
    let text = round_trip(&events);
    assert!(text.contains("\"2026-01-23T12:16:12.500Z\""), "{text}");
    assert!(text.contains("\"2026-01-23T12:16:12+02:00\""), "{text}");
    // Hand-written files use plain cells.
    let hand =
        "events |name, at, local|\n    x, 2026-01-23T12:16:12+00:00, 2026-01-23T12:16:12-05:00\n";
    let parsed: Events = sdn_codec::from_str(hand).unwrap();
    assert_eq!(parsed.events[0].at.timestamp(), 1_769_170_572);
    assert_eq!(parsed.events[0].local.offset().local_minus_utc(), -5 * 3600);
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Versions {
    a: String,
    b: String,
    c: String,
    d: String,
    e: String,
    f: String,
}

#[test]
fn string_fields_receive_numeric_looking_text_exactly() {
    let text = "a: 007\nb: 1.10\nc: 2.1.0\nd: 1e3\ne: -0\nf: true\n";
    let v: Versions = sdn_codec::from_str(text).unwrap();
    assert_eq!(
        [&v.a, &v.b, &v.c, &v.d, &v.e, &v.f],
        ["007", "1.10", "2.1.0", "1e3", "-0", "true"]
    );
    // Also in table cells, and through a parsed Value.
    #[derive(Deserialize)]
    struct Row {
        version: String,
    }
    #[derive(Deserialize)]
    struct Db {
        rows: Vec<Row>,
    }
    let table = "rows |version|\n    007\n    1.10\n    2.1.0\n    1_000\n";
    for db in [
        sdn_codec::from_str::<Db>(table).unwrap(),
        sdn_codec::from_value::<Db>(sdn_codec::parse(table).unwrap()).unwrap(),
    ] {
        let got: Vec<&str> = db.rows.iter().map(|r| r.version.as_str()).collect();
        assert_eq!(got, ["007", "1.10", "2.1.0", "1_000"]);
    }
    // Writing quotes them so they read back as strings.
    round_trip(&v);
}

#[test]
fn newtypes_are_transparent_and_maps_are_dicts() {
    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Id(u64);
    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Doc {
        id: Id,
        owners: BTreeMap<String, String>,
        by_number: BTreeMap<u32, bool>,
    }
    let doc = Doc {
        id: Id(42),
        owners: [("lib.crypto".to_owned(), "alice".to_owned())].into(),
        by_number: [(7, true)].into(),
    };
    let text = round_trip(&doc);
    assert!(text.starts_with("id: 42\n"), "{text}");
}

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct Small {
    rows: Vec<SmallRow>,
}

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct SmallRow {
    id: u8,
    ok: bool,
    ratio: f64,
}

#[test]
fn integer_out_of_range_is_an_error_with_position() {
    // Out of range for the field type: never wrapped.
    let err = sdn_codec::from_str::<Small>(
        "rows |id, ok, ratio|\n    1, true, 0.5\n    300, false, 1.0\n",
    )
    .unwrap_err();
    assert!(err.message().contains("300"), "{err}");
    assert!(err.message().contains("rows[1].id"), "{err}");
    assert_eq!((err.line(), err.column()), (3, 5), "{err:?}");

    // Out of the signed 64-bit range of SDN itself: a parse error.
    let err =
        sdn_codec::from_str::<Small>("rows |id, ok, ratio|\n    99999999999999999999, true, 0.5\n")
            .unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::IntegerOutOfRange);
    assert_eq!(err.line(), 2);

    // Negative into unsigned.
    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct U {
        n: u64,
    }
    let err = sdn_codec::from_str::<U>("n: -1\n").unwrap_err();
    assert!(err.message().contains("-1"), "{err}");
    assert_eq!(err.line(), 1);

    // Writing a u64 beyond i64::MAX is refused rather than wrapped.
    #[derive(Serialize)]
    struct Big {
        n: u64,
    }
    let err = sdn_codec::to_string(&Big { n: u64::MAX }).unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::IntegerOutOfRange);
}

#[test]
fn bool_and_float_parse_errors() {
    let err = sdn_codec::from_str::<Small>("rows |id, ok, ratio|\n    1, yes, 0.5\n").unwrap_err();
    assert!(err.message().contains("yes"), "{err}");
    assert!(err.message().contains("rows[0].ok"), "{err}");
    assert_eq!((err.line(), err.column()), (2, 8), "{err:?}");

    let err =
        sdn_codec::from_str::<Small>("rows |id, ok, ratio|\n    1, true, 0.5x\n").unwrap_err();
    assert!(err.message().contains("0.5x"), "{err}");
    assert_eq!(err.line(), 2);

    // Integers are accepted for floats; floats are never truncated into integers.
    #[derive(Deserialize)]
    struct F {
        x: f64,
    }
    assert_eq!(sdn_codec::from_str::<F>("x: 3\n").unwrap().x, 3.0);
    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct I {
        x: i64,
    }
    assert!(sdn_codec::from_str::<I>("x: 3.0\n").is_err());

    // Non-finite floats cannot be written.
    #[derive(Serialize)]
    struct Nan {
        x: f64,
    }
    let err = sdn_codec::to_string(&Nan { x: f64::NAN }).unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::NonFiniteFloat);
}

#[test]
fn null_is_not_a_string() {
    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct S {
        s: String,
    }
    assert!(sdn_codec::from_str::<S>("s: null\n").is_err());
    #[derive(Debug, Deserialize)]
    struct O {
        s: Option<String>,
    }
    assert_eq!(sdn_codec::from_str::<O>("s: nil\n").unwrap().s, None);
    assert_eq!(sdn_codec::from_str::<O>("s:\n").unwrap().s, None);
}

#[test]
fn top_level_vec_needs_a_name_to_write_and_reads_the_only_entry() {
    let todos = vec![Todo::sample(1, "a"), Todo::sample(2, "b")];
    let err = sdn_codec::to_string(&todos).unwrap_err();
    assert!(err.message().contains("root_table_name"), "{err}");
    let text =
        sdn_codec::to_string_with(&todos, &SerOptions::new().root_table_name("todos")).unwrap();
    assert!(text.starts_with("todos |id, keyword"), "{text}");
    let back: Vec<Todo> = sdn_codec::from_str(&text).unwrap();
    assert_eq!(back, todos);

    let two = format!("{text}other: 1\n");
    assert!(sdn_codec::from_str::<Vec<Todo>>(&two).is_err());
    let opts = DeOptions::new().root_table("todos");
    assert_eq!(
        sdn_codec::from_str_with::<Vec<Todo>>(&two, &opts).unwrap(),
        todos
    );
}

#[test]
fn empty_vec_round_trips() {
    let db = TodoDb { todos: vec![] };
    let text = round_trip(&db);
    assert_eq!(text, "todos: []\n");
    // An empty table (header, no rows) reads as an empty Vec too.
    let db: TodoDb =
        sdn_codec::from_str("todos |id, keyword, area, priority, description, file, line, issue, blocked, status, valid|\n")
            .unwrap();
    assert!(db.todos.is_empty());
}

#[test]
fn value_serde_impls_round_trip_through_json() {
    let text = "name: x\nrows |id, v|\n    1, \"a, b\"\n    2, 007\nlist: [1, 2.5, true]\n";
    let value = sdn_codec::parse(text).unwrap();
    let json = serde_json::to_value(&value).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"name": "x", "rows": [{"id": 1, "v": "a, b"}, {"id": 2, "v": 7}], "list": [1, 2.5, true]})
    );
    // JSON text keeps the order; the array of flat objects becomes a table again.
    let back: Value = serde_json::from_str(&serde_json::to_string(&value).unwrap()).unwrap();
    assert_eq!(back, value);
    // Value → Value through serde.
    assert_eq!(sdn_codec::to_value(&value).unwrap(), value);
    assert_eq!(
        sdn_codec::from_value::<Value>(value.clone()).unwrap(),
        value
    );
}

#[test]
fn from_slice_rejects_invalid_utf8_with_position() {
    let err = sdn_codec::from_slice::<Value>(b"a: 1\nb: x\xffy\n").unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::InvalidUtf8);
    assert_eq!((err.line(), err.column()), (2, 5));
}

#[test]
fn to_writer_writes_the_same_bytes_as_to_string() {
    let db = TodoDb {
        todos: vec![Todo::sample(5, "x")],
    };
    let mut out = Vec::new();
    sdn_codec::to_writer(&mut out, &db).unwrap();
    assert_eq!(out, sdn_codec::to_string(&db).unwrap().into_bytes());
}

// ---------------------------------------------------------------------------------------
// Snapshots of serialized output

fn sample_todos() -> TodoDb {
    TodoDb {
        todos: vec![
            Todo {
                issue: Some("#12".into()),
                ..Todo::sample(0, "Add support for generic type aliases")
            },
            Todo {
                keyword: "FIXME".into(),
                area: "gpu".into(),
                priority: "P1".into(),
                file: "./src/lib/compositor/rasterizer.spl".into(),
                line: 8,
                blocked: Some(String::new()),
                status: Status::InProgress,
                valid: true,
                ..Todo::sample(
                    1,
                    "Integrate with std.gpu 2D rendering — \"fast\" path, then\tmeasure",
                )
            },
            Todo::sample(2, "007"),
        ],
    }
}

#[test]
fn snapshot_todo_table() {
    insta::assert_snapshot!(round_trip(&sample_todos()));
}

#[test]
fn snapshot_feature_table() {
    let db = FeatureDb {
        features: vec![
            Feature {
                id: "100".into(),
                category: "Codegen".into(),
                name: "Cranelift Backend".into(),
                description: "Cranelift-based code generation backend for AOT and JIT compilation."
                    .into(),
                spec: "doc/codegen_technical.md".into(),
                mode_interpreter: Mode::Supported,
                mode_jit: Mode::Supported,
                mode_smf_cranelift: Mode::Partial,
                mode_smf_llvm: Mode::Unsupported,
                platforms: None,
                status: Status::Complete,
                valid: false,
            },
            Feature {
                id: "FEAT-47".into(),
                category: "Concurrency".into(),
                name: "Promise Type".into(),
                description: "The `Promise[T]` type, async by default".into(),
                spec: "doc/spec/async_default.md#promise-type".into(),
                mode_interpreter: Mode::Supported,
                mode_jit: Mode::Supported,
                mode_smf_cranelift: Mode::Supported,
                mode_smf_llvm: Mode::Supported,
                platforms: Some("linux, macos".into()),
                status: Status::InProgress,
                valid: true,
            },
        ],
    };
    insta::assert_snapshot!(round_trip(&db));
}

#[test]
fn snapshot_task_table() {
    let db = TaskDb {
        tasks: vec![Task {
            id: "TRACK-001".into(),
            category: "tracking".into(),
            name: "Refactor core tracking".into(),
            description:
                "Normalize bug, feature, test, task, and todo tracking around SDN/text databases"
                    .into(),
            priority: "high".into(),
            status: Status::InProgress,
            valid: true,
        }],
    };
    insta::assert_snapshot!(round_trip(&db));
}

#[test]
fn snapshot_nested_config() {
    let config = Config {
        name: "api".into(),
        server: Server {
            host: "0.0.0.0".into(),
            port: 443,
            tls: true,
            ratio: 3.0,
        },
        tags: vec!["edge".into(), "v2.1.0".into(), "".into()],
        limits: [("cpu".to_owned(), 4)].into(),
    };
    insta::assert_snapshot!(round_trip(&config));
}

// ---------------------------------------------------------------------------------------
// Property tests

proptest! {
    #![proptest_config(ProptestConfig::with_cases(common::proptest_cases()))]

    #[test]
    fn any_todo_list_round_trips(todos in prop::collection::vec(strategy::todo(), 0..8)) {
        let db = TodoDb { todos };
        let text = sdn_codec::to_string(&db).unwrap();
        // The direct writer and the Value route give the same bytes.
        let via_value = sdn_codec::to_canonical_string(&sdn_codec::to_value(&db).unwrap()).unwrap();
        prop_assert_eq!(&text, &via_value);
        let back: TodoDb = sdn_codec::from_str(&text)
            .map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert_eq!(&back, &db);
        let via_value: TodoDb = sdn_codec::from_value(sdn_codec::parse(&text).unwrap()).unwrap();
        prop_assert_eq!(via_value, db);
    }
}

/// A record whose hand-written `Serialize` names one field twice.
struct FieldTwice;

impl Serialize for FieldTwice {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut row = serializer.serialize_struct("FieldTwice", 3)?;
        row.serialize_field("id", &1)?;
        row.serialize_field("name", "a")?;
        row.serialize_field("id", &2)?;
        row.end()
    }
}

#[test]
fn a_key_serialized_twice_is_an_error_for_structs_and_maps() {
    let err = sdn_codec::to_value(&FieldTwice).expect_err("a field named twice");
    assert!(
        matches!(err.kind(), ErrorKind::DuplicateKey { key, .. } if key == "id"),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("key `id` is serialized twice"),
        "{err}"
    );

    // Keys that are strings made at run time (a map, not a struct) are checked the same.
    let pairs = vec![("k".to_owned(), 1), ("k".to_owned(), 2)];
    let err = sdn_codec::to_value(&MapOfPairs(pairs)).expect_err("a map key given twice");
    assert!(
        matches!(err.kind(), ErrorKind::DuplicateKey { key, .. } if key == "k"),
        "{err:?}"
    );
}

/// Serializes its pairs as a map, in order, duplicates included.
struct MapOfPairs(Vec<(String, i64)>);

impl Serialize for MapOfPairs {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(k, v)| (k, v)))
    }
}

#[test]
fn a_struct_serialized_to_a_value_is_a_dict_like_any_other() {
    #[derive(Serialize)]
    struct Row {
        id: u32,
        name: String,
    }
    let Value::Dict(from_struct) = sdn_codec::to_value(&Row {
        id: 7,
        name: "x".into(),
    })
    .expect("to_value") else {
        panic!("a struct serializes to a dict");
    };
    // Field names borrowed from the type compare, look up and move out like keys that
    // were built from owned strings.
    let mut built = sdn_codec::Map::new();
    built.insert(String::from("id"), 7);
    built.insert(String::from("name"), "x");
    assert_eq!(from_struct, built);
    assert_eq!(from_struct.get("name").and_then(Value::as_str), Some("x"));
    let owned: Vec<(String, Value)> = from_struct.clone().into_iter().collect();
    assert_eq!(owned[0].0, "id");
    assert_eq!(owned[1], ("name".to_owned(), Value::from("x")));
    let mut changed = from_struct;
    changed.insert("id", 8);
    assert_eq!(changed.get("id").and_then(Value::as_i64), Some(8));
    assert_eq!(changed.keys().collect::<Vec<_>>(), ["id", "name"]);
}
