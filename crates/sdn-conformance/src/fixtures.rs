//! The expected outcome of each file of sdn-codec's in-repository corpus fixtures
//! (`crates/sdn-codec/tests/fixtures/corpus`): hand-written files with the columns and
//! quirks of the real tracking databases and configuration files, and files in other
//! dialects. `cargo xtask conformance` checks them on every machine; the external corpus
//! of real files is checked as well when it is present.

use crate::expectations::Expect;

/// The fixtures' directory, relative to the workspace root.
pub const DIR: &str = "crates/sdn-codec/tests/fixtures/corpus";

/// Expected outcome per fixture, with what the fixture stands for.
pub const EXPECTATIONS: &[(&str, Expect, &str)] = &[
    (
        "todo_db.sdn",
        Expect::Accept,
        "todo DB: quoted prose, `./` and `/abs` paths, `\"\"` cells",
    ),
    ("todo_db.cache.sdn", Expect::Accept, "header-only table"),
    (
        "dashboard_todos.sdn",
        Expect::Accept,
        "dashboard todos: every text cell quoted",
    ),
    (
        "dashboard_db.cache.sdn",
        Expect::Accept,
        "2-column cache table after a blank line",
    ),
    (
        "feature_db.sdn",
        Expect::Accept,
        "feature DB: multi-word cells, empty cell, `#fragment`",
    ),
    (
        "feature_db_empty.sdn",
        Expect::Accept,
        "two header-only tables",
    ),
    (
        "task_db.sdn",
        Expect::Accept,
        "task DB: cells without spaces, quoted commas",
    ),
    (
        "test_db_runs.sdn",
        Expect::Accept,
        "four tables, floats, timestamps",
    ),
    (
        "test_db.sdn",
        Expect::Accept,
        "`/abs` cells, nanosecond timestamps, escaped JSON",
    ),
    ("sdoctest_db.sdn", Expect::Accept, "comments, 16-digit ints"),
    ("coverage.sdn", Expect::Accept, "header-only table"),
    (
        "board_config.sdn",
        Expect::Accept,
        "YAML-like blocks, `/dev/ttyUSB0`",
    ),
    (
        "sources_config.sdn",
        Expect::Accept,
        "`- dir:` items with continuation keys, inline arrays",
    ),
    (
        "feature_lifecycle.sdn",
        Expect::Accept,
        "prose with commas, `- item` list",
    ),
    (
        "run_meta.sdn",
        Expect::Accept,
        "quoted `\"nil\"` is a string",
    ),
    ("ini_sections.sdn", Expect::Reject, "INI `[section]` header"),
    (
        "ini_sections_late.sdn",
        Expect::Reject,
        "TOML `[level_1]` after comments",
    ),
    ("sdl_block.sdn", Expect::Reject, "SDL `name {` block"),
    ("block_scalar.sdn", Expect::Reject, "YAML block scalar `|`"),
    (
        "missing_colon.sdn",
        Expect::Reject,
        "`name Alice`: not an entry",
    ),
    ("duplicate_key.sdn", Expect::Reject, "duplicate `name`"),
    (
        "duplicate_run_key.sdn",
        Expect::Reject,
        "duplicate numeric keys",
    ),
];
