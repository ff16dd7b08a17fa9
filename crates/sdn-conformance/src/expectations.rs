//! The expected outcome of each file of the external corpus of real SDN files
//! (`shared/corpus/sdn/real` beside the repository), with the reason.

/// What a file must do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// Read into the data its author meant.
    Accept,
    /// Rejected with a positioned error.
    Reject,
}

/// Expected outcome per corpus file, with the reason (SPEC section or what the file is).
pub const EXPECTATIONS: &[(&str, Expect, &str)] = &[
    // Tracking databases: canonical named tables, must all be accepted.
    (
        "doc__todo__todo_db.sdn",
        Expect::Accept,
        "todo DB: named table, `./src` cells",
    ),
    (
        "doc__08_tracking__todo__todo_db.cache.sdn",
        Expect::Accept,
        "header-only table",
    ),
    (
        "doc__dashboard__tables__todos.sdn",
        Expect::Accept,
        "dashboard todos, 269 rows",
    ),
    (
        "doc__dashboard__tables__coverage.sdn",
        Expect::Accept,
        "header-only table",
    ),
    (
        "doc__dashboard__tables__plans.sdn",
        Expect::Accept,
        "header-only table",
    ),
    (
        "doc__dashboard__dashboard_db.cache.sdn",
        Expect::Accept,
        "2-column cache table",
    ),
    (
        "doc__feature__feature_db.sdn",
        Expect::Accept,
        "feature DB, multi-word cells",
    ),
    (
        "doc__feature__feature_db__at_002589c.sdn",
        Expect::Accept,
        "two header-only tables",
    ),
    (
        "doc__08_tracking__task__task_db.sdn",
        Expect::Accept,
        "task DB, cells without spaces",
    ),
    (
        "doc__08_tracking__test__test_db_runs.sdn",
        Expect::Accept,
        "test DB, trailing empty cell",
    ),
    (
        "doc__test__grouped_test_db.sdn",
        Expect::Accept,
        "test DB, comment-only rows",
    ),
    (
        "doc__test__sdoctest_db.sdn",
        Expect::Accept,
        "test DB, 16-digit ints",
    ),
    (
        "doc__test__test_db__at_0157db3.sdn",
        Expect::Accept,
        "test DB, `/abs` cells, timestamps",
    ),
    (
        "doc__08_tracking__check__must_check_db.sdn",
        Expect::Accept,
        "check DB: block dict + table",
    ),
    (
        "doc__08_tracking__hardware__hardware_manifest.sdn",
        Expect::Accept,
        "quoted-cell table",
    ),
    (
        "doc__00_llm_process__skill_command__skills__claude__lib__test__tools.sdn",
        Expect::Accept,
        "two generated tables",
    ),
    // Not SDN: other dialects, rejected with what was seen (SPEC §7).
    (
        "doc__08_tracking__api_surface__baseline.sdn",
        Expect::Reject,
        "INI `[section]` headers",
    ),
    (
        "doc__08_tracking__test__resource_usage.sdn",
        Expect::Reject,
        "SDL `name {` blocks",
    ),
    (
        "examples__simple_game__game__data__levels.sdn",
        Expect::Reject,
        "TOML `[level_1]` sections",
    ),
    (
        "doc__spec__grammar__tier_keywords.sdn",
        Expect::Reject,
        "TOML `[a.b]` sections",
    ),
    (
        "test__fixtures__project_sdn_profile__legacy_toml__simple.sdn",
        Expect::Reject,
        "legacy TOML `[lints]`",
    ),
    (
        "test__lib__std__fixtures__sdn__invalid__missing_colon.sdn",
        Expect::Reject,
        "`name Alice`: not an entry",
    ),
    (
        "doc__05_design__stitch_snapshots__sync_mode.sdn",
        Expect::Reject,
        "YAML block scalar `|`",
    ),
    // Duplicate keys are an error by default (SPEC §3).
    (
        "DOT.exp__index.sdn",
        Expect::Reject,
        "duplicate numeric keys (SPEC §3)",
    ),
    (
        "test__fixtures__orchestration__duplicate_key.sdn",
        Expect::Reject,
        "duplicate `name` (upstream negative fixture)",
    ),
    // Configs and fixtures in the SDN grammar (YAML-like blocks, `- ` lists, inline forms).
    (
        "DOT.exp__runs__000200740438__artifacts.sdn",
        Expect::Accept,
        "attribute list read as one plain string (§4)",
    ),
    (
        "DOT.exp__runs__000200740438__meta.sdn",
        Expect::Accept,
        "quoted `\"nil\"` is a string",
    ),
    (
        "config__baremetal__default.sdn",
        Expect::Accept,
        "`/dev/ttyUSB0`, `\"\\n\"`",
    ),
    (
        "config__bootstrap.sdn",
        Expect::Accept,
        "semver, hex hashes as strings",
    ),
    (
        "config__critical_mode.sdn",
        Expect::Accept,
        "comments at many indents",
    ),
    ("config__di.sdn", Expect::Accept, "3-level 2-space nesting"),
    (
        "config__environments__native.sdn",
        Expect::Accept,
        "minimal",
    ),
    (
        "config__log_opt__simple.sdn",
        Expect::Accept,
        "table; `[native-incremental]` cells read as inline arrays (§6)",
    ),
    (
        "config__resources__boards__mlk_s02_100t.sdn",
        Expect::Accept,
        "`256M` strings, negative ints",
    ),
    (
        "config__sdoctest.sdn",
        Expect::Accept,
        "`- dir:` items with continuation keys (§5)",
    ),
    (
        "config__simple.test.sdn",
        Expect::Accept,
        "end-of-line comments, `[]`",
    ),
    (
        "config__themes__theme.sdn",
        Expect::Accept,
        "`- item` lists incl. `table`",
    ),
    (
        "config__var.sdn",
        Expect::Accept,
        "inline dicts with dotted keys",
    ),
    (
        "doc__08_tracking__feature__FEAT-SCV-LIFECYCLE__feature.sdn",
        Expect::Accept,
        "prose values with commas",
    ),
    (
        "doc__08_tracking__os__production_status.sdn",
        Expect::Accept,
        "long unquoted prose",
    ),
    (
        "examples__05_stdlib__spipe__plugin__manifest.sdn",
        Expect::Accept,
        "manifest",
    ),
    (
        "examples__simple_aidev__data__task_queue.sdn",
        Expect::Accept,
        "`tasks:` with no block is null",
    ),
    (
        "examples__ui__minimal.ui.sdn",
        Expect::Accept,
        "nested `- type:` items",
    ),
    (
        "resources__boards__qemu_x86.sdn",
        Expect::Accept,
        "`.text:` keys, `0x...` strings",
    ),
    ("simple__simple.sdn", Expect::Accept, "older manifest"),
    (
        "simple__std_lib__test__fixtures__sdn__collections.sdn",
        Expect::Accept,
        "multi-line inline forms",
    ),
    (
        "src__app__portal__routes.sdn",
        Expect::Accept,
        "`- route:` items",
    ),
    (
        "src__app__simple.sdn",
        Expect::Accept,
        "`- project: ../compiler`",
    ),
    (
        "test__01_unit__common__ui__input_event_conformance__key_press_enter.sdn",
        Expect::Accept,
        "prose with `(\"...\")`",
    ),
    (
        "test__fixtures__model3d__valid_scene.sdn",
        Expect::Accept,
        "deep inline forms",
    ),
    (
        "test__fixtures__parse_dialect_adapters_v1__d01_config.sdn",
        Expect::Accept,
        "inline array and dict",
    ),
    (
        "test__fixtures__scv_merge_corpus__01_disjoint_files__truth.sdn",
        Expect::Accept,
        "prose with a comma",
    ),
    (
        "test__lib__std__fixtures__sdn__primitives.sdn",
        Expect::Accept,
        "every scalar type",
    ),
    (
        "tools__tls_test_server__server.sdn",
        Expect::Accept,
        "quoted `host:port`",
    ),
];
