//! Where the corpus tests find SDN files, and what each set of files is known to hold.
//!
//! Two sets:
//! - **The fixtures** in `tests/fixtures/corpus/`, always: hand-written files with the
//!   columns and quirks of real tracking databases (a todo, a feature, a task database,
//!   dashboard tables, test-run tables, caches) and of real configuration files, plus files
//!   in other dialects that must be rejected. They live in this package, so the checks run
//!   on a fresh clone with nothing beside it.
//! - **The external corpus** of real files, as an extra when it is present:
//!   `$SDN_CORPUS_DIR`, or `shared/corpus/sdn/real` above the package (see
//!   [`test_support::corpus`]). When `SDN_CORPUS_DIR` is set it must exist.
//!
//! Every check runs over every present set, each with its own [`Facts`].
#![allow(dead_code)]

use std::path::PathBuf;

use sdn_codec::ErrorKind;

/// One set of files and what is known about them.
pub struct Source {
    pub dir: PathBuf,
    pub facts: &'static Facts,
}

impl Source {
    /// The text of `file` in this set.
    pub fn read(&self, file: &str) -> String {
        let path = self.dir.join(file);
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }
}

/// The fixtures, then the external corpus if it is present.
pub fn sources() -> Vec<Source> {
    let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/corpus");
    let mut sources = vec![Source {
        dir: fixtures,
        facts: &FIXTURES,
    }];
    if let Some(dir) = test_support::corpus::external(env!("CARGO_MANIFEST_DIR")) {
        sources.push(Source {
            dir,
            facts: &EXTERNAL,
        });
    }
    sources
}

/// A row of a todo database and cells it must read back exactly.
pub struct TodoRow {
    pub file: &'static str,
    pub id: i64,
    pub path: &'static str,
    pub valid: bool,
    pub issue: &'static str,
}

/// The first and last records of a todo database read into typed records.
pub struct TypedTodos {
    pub file: &'static str,
    pub len: usize,
    pub first_description: &'static str,
    pub first_path: &'static str,
    pub first_line: u32,
    pub last_path: &'static str,
    pub last_priority: &'static str,
}

/// A feature database and a task database read into typed records.
pub struct TypedFeaturesAndTasks {
    pub feature_file: &'static str,
    pub features: usize,
    pub first_feature_id: &'static str,
    pub first_feature_name: &'static str,
    /// A feature id and its `spec` cell (with a `#fragment`).
    pub spec_of: (&'static str, &'static str),
    pub task_file: &'static str,
    pub tasks: usize,
    pub first_task_id: &'static str,
    pub first_task_description: &'static str,
}

/// A one-record edit of a tracking database: `(file, table, key column, key, column,
/// new text)`.
pub type RecordEdit = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
);

/// What one set of files is known to hold.
pub struct Facts {
    /// `(file, [(table, rows)])`.
    pub table_rows: &'static [(&'static str, &'static [(&'static str, usize)])],
    pub todo_row: TodoRow,
    /// `(file, text found in one string of it, that whole string)`.
    pub device_path: (&'static str, &'static str, &'static str),
    /// `(file, prefix of the first test_id, prefix of the first last_run)`.
    pub test_db: (&'static str, &'static str, &'static str),
    /// `(file, title of the feature, number of acceptance items)`.
    pub feature_doc: (&'static str, &'static str, usize),
    /// `(file, index into sources, its dir, its pattern)`.
    pub sources_config: (&'static str, usize, &'static str, &'static str),
    /// A file with a quoted `"nil"` that must stay a string.
    pub quoted_nil: &'static str,
    /// `(file, kind, line, text the message quotes)` of files in other dialects.
    pub rejected: &'static [(&'static str, ErrorKind, usize, &'static str)],
    /// `(file, the key written twice)`.
    pub duplicate_keys: &'static [(&'static str, &'static str)],
    /// At least this many `.sdn` files, this many accepted, this many tables edited.
    pub min_files: usize,
    pub min_accepted: usize,
    pub min_tables_edited: usize,
    pub record_edits: &'static [RecordEdit],
    pub typed_todos: TypedTodos,
    pub typed_features_and_tasks: TypedFeaturesAndTasks,
}

impl Facts {
    /// The todo, feature and task databases.
    pub fn tracking_databases(&self) -> [&'static str; 3] {
        [
            self.typed_todos.file,
            self.typed_features_and_tasks.feature_file,
            self.typed_features_and_tasks.task_file,
        ]
    }
}

/// The files of `tests/fixtures/corpus`.
pub static FIXTURES: Facts = Facts {
    table_rows: &[
        ("todo_db.sdn", &[("todos", 10)]),
        ("dashboard_todos.sdn", &[("todos", 4)]),
        ("feature_db.sdn", &[("strings", 0), ("features", 5)]),
        ("feature_db_empty.sdn", &[("strings", 0), ("features", 0)]),
        ("task_db.sdn", &[("tasks", 3)]),
        (
            "test_db_runs.sdn",
            &[
                ("counters", 3),
                ("timing", 3),
                ("timing_runs", 4),
                ("changes", 1),
            ],
        ),
        ("dashboard_db.cache.sdn", &[("dashboard_cache", 5)]),
        ("todo_db.cache.sdn", &[("file_cache", 0)]),
        ("coverage.sdn", &[("coverage", 0)]),
        ("test_db.sdn", &[("tests", 1)]),
        (
            "sdoctest_db.sdn",
            &[("sdoctest_runs", 1), ("sdoctest_blocks", 3)],
        ),
    ],
    todo_row: TodoRow {
        file: "todo_db.sdn",
        id: 8,
        path: "./src/net/tls.rs",
        valid: true,
        issue: "",
    },
    device_path: ("board_config.sdn", "ttyUSB0", "/dev/ttyUSB0"),
    test_db: ("test_db.sdn", "/home/dev/", "2026-01-23T12:16:12."),
    feature_doc: (
        "feature_lifecycle.sdn",
        "Push, pull, merge, and restore a database across devices",
        6,
    ),
    sources_config: ("sources_config.sdn", 2, "docs/", "*.md"),
    quoted_nil: "run_meta.sdn",
    rejected: &[
        ("ini_sections.sdn", ErrorKind::SectionHeader, 2, "[api]"),
        (
            "ini_sections_late.sdn",
            ErrorKind::SectionHeader,
            5,
            "[level_1]",
        ),
        ("sdl_block.sdn", ErrorKind::SdlBlock, 5, "resource_usage {"),
        (
            "block_scalar.sdn",
            ErrorKind::BlockScalar,
            2,
            "block scalar `|`",
        ),
        ("missing_colon.sdn", ErrorKind::NotAnEntry, 2, "name Alice"),
    ],
    duplicate_keys: &[
        ("duplicate_run_key.sdn", "302918736704"),
        ("duplicate_key.sdn", "name"),
    ],
    min_files: 22,
    min_accepted: 15,
    min_tables_edited: 12,
    record_edits: &[
        ("todo_db.sdn", "todos", "id", "1", "status", "done"),
        (
            "feature_db.sdn",
            "features",
            "id",
            "47",
            "status",
            "complete",
        ),
        ("task_db.sdn", "tasks", "id", "TASK-001", "status", "done"),
        (
            "dashboard_todos.sdn",
            "todos",
            "id",
            "3",
            "status",
            "closed",
        ),
    ],
    typed_todos: TypedTodos {
        file: "todo_db.sdn",
        len: 10,
        first_description: "Accept trailing commas in inline arrays",
        first_path: "src/parser/inline.rs",
        first_line: 118,
        last_path: "./tests/ui/live_smoke.rs",
        last_priority: "P1",
    },
    typed_features_and_tasks: TypedFeaturesAndTasks {
        feature_file: "feature_db.sdn",
        features: 5,
        first_feature_id: "100",
        first_feature_name: "Register Allocator",
        spec_of: ("47", "docs/spec/async.md#future-type"),
        task_file: "task_db.sdn",
        tasks: 3,
        first_task_id: "TASK-001",
        first_task_description: "Keep bug, feature, test, task, and todo tracking in SDN text databases",
    },
};

/// The real files of the external corpus.
pub static EXTERNAL: Facts = Facts {
    table_rows: &[
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
    ],
    todo_row: TodoRow {
        file: "doc__todo__todo_db.sdn",
        id: 59,
        path: "./src/compiler_rust/runtime/src/value/net_tls.rs",
        valid: true,
        issue: "",
    },
    device_path: ("config__baremetal__default.sdn", "ttyUSB0", "/dev/ttyUSB0"),
    test_db: (
        "doc__test__test_db__at_0157db3.sdn",
        "/home/ormastes/",
        "2026-01-23T12:16:12.",
    ),
    feature_doc: (
        "doc__08_tracking__feature__FEAT-SCV-LIFECYCLE__feature.sdn",
        "Unified SCV, Jujutsu, Git, DevHub, and Spipe lifecycle",
        18,
    ),
    sources_config: ("config__sdoctest.sdn", 2, "doc/", "*.md"),
    quoted_nil: "DOT.exp__runs__000200740438__meta.sdn",
    rejected: &[
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
    ],
    duplicate_keys: &[
        ("DOT.exp__index.sdn", "302918736704"),
        ("test__fixtures__orchestration__duplicate_key.sdn", "name"),
    ],
    min_files: 50,
    min_accepted: 40,
    min_tables_edited: 10,
    record_edits: &[
        (
            "doc__todo__todo_db.sdn",
            "todos",
            "id",
            "16",
            "status",
            "done",
        ),
        (
            "doc__feature__feature_db.sdn",
            "features",
            "id",
            "44",
            "status",
            "in_progress",
        ),
        (
            "doc__08_tracking__task__task_db.sdn",
            "tasks",
            "id",
            "TRACK-001",
            "status",
            "done",
        ),
        (
            "doc__dashboard__tables__todos.sdn",
            "todos",
            "id",
            "3",
            "status",
            "closed",
        ),
    ],
    typed_todos: TypedTodos {
        file: "doc__todo__todo_db.sdn",
        len: 63,
        first_description: "Add support for generic type aliases",
        first_path: "src/compiler_rust/lib/std/src/core/array_ops.spl",
        first_line: 492,
        last_path: "./tests/app/ui.web/live_smoke_test.spl",
        last_priority: "P1",
    },
    typed_features_and_tasks: TypedFeaturesAndTasks {
        feature_file: "doc__feature__feature_db.sdn",
        features: 20,
        first_feature_id: "100",
        first_feature_name: "Cranelift Backend",
        spec_of: ("47", "doc/spec/async_default.md#promise-type"),
        task_file: "doc__08_tracking__task__task_db.sdn",
        tasks: 1,
        first_task_id: "TRACK-001",
        first_task_description: "Normalize bug, feature, test, task, and todo tracking around SDN/text databases",
    },
};
