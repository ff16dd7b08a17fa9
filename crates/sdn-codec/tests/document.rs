//! Format-preserving document: no-edit round trips and the exact text of every edit.

use sdn_codec::{Document, ErrorKind, Map, Value};

/// Hand-written inputs that exercise every layout detail the document must keep.
const TRICKY: &[(&str, &str)] = &[
    ("empty", ""),
    ("only comments, no final newline", "# one\n\n   # two"),
    ("blank lines only", "\n\n\n"),
    (
        "comments everywhere",
        "# head\n\nserver:   # block comment\n    # inside\n  \n    host: localhost # eol\n\n    port: 8080\t# tab before\n# between\nname: demo   \n# tail\n",
    ),
    (
        "crlf",
        "a: 1\r\nb:\r\n    c: \"x\"\r\n\r\nt |id, v|\r\n    1, a\r\n",
    ),
    ("bom", "\u{feff}# bom\na: 1\n"),
    ("bom crlf no final newline", "\u{feff}a: 1\r\nb: 2"),
    ("tabs", "a:\n\tb: 1\n\tc:\n\t\td: x\n"),
    ("no final newline", "a: 1\nb: [1, 2]"),
    ("trailing whitespace", "a: 1   \nb: two words  \t\n"),
    (
        "multi-line inline",
        "users = [\n    {name: Alice, age: 30},   # first\n    {name: Bob, age: 25}\n]\nd = {\n  x: 1,\n  y: [a,\n      b],\n}\n",
    ),
    (
        "multi-line quoted",
        "text: \"line one\n  line two\n\"\nnext: 1\n",
    ),
    (
        "tables with comment-only rows",
        "empty |id, name|\n    # nothing yet\n\nfull |id, name|\n    # first\n    1, a\n    # middle\n    2, \"b, c\"   # trailing\n",
    ),
    ("inline header row", "t |a, b| 1, 2\nu |x| y\n"),
    (
        "typed tables",
        "t: table{i64, str}\n    1, a\nu: table{i64, bool} = [(1, true),\n  (2, false)]\n",
    ),
    (
        "yaml style lists",
        "sources:\n  - file: README.md\n  - dir: doc/\n    pattern: \"*.md\"\nitems:\n    - a\n    - b\n",
    ),
    ("trailing empty cell", "t |a, b|\n    1, \n    2,\n"),
];

#[test]
fn no_edit_round_trip_is_byte_identical() {
    for (name, text) in TRICKY {
        let doc = Document::parse(text).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(doc.to_string(), *text, "{name}");
        assert_eq!(doc.as_str(), *text, "{name}");
        assert_eq!(doc.value(), &sdn_codec::parse(text).unwrap(), "{name}");
    }
}

#[test]
fn document_rejects_what_the_parser_rejects() {
    for bad in [
        "a: \"open\n",
        "[section]\n",
        "t |a, b|\n    1\n",
        "a: 1\na: 2\n",
        "  a: 1\n",
    ] {
        let parser = sdn_codec::parse(bad).unwrap_err();
        let doc = Document::parse(bad).unwrap_err();
        assert_eq!(doc.kind(), parser.kind(), "{bad:?}");
        assert_eq!(
            (doc.line(), doc.column()),
            (parser.line(), parser.column()),
            "{bad:?}"
        );
    }
}

/// Lines that differ between two texts with the same number of lines.
fn changed_lines(before: &str, after: &str) -> Vec<(usize, String)> {
    let b: Vec<&str> = before.split('\n').collect();
    let a: Vec<&str> = after.split('\n').collect();
    assert_eq!(
        a.len(),
        b.len(),
        "line count changed:\n{before}\n---\n{after}"
    );
    b.iter()
        .zip(&a)
        .enumerate()
        .filter(|(_, (x, y))| x != y)
        .map(|(i, (_, y))| (i, (*y).to_owned()))
        .collect()
}

#[test]
fn set_scalar_replaces_only_the_value() {
    let text = "test:\n  parallel: false          # Default: single-threaded\n  timeout: 120\n";
    let mut doc = Document::parse(text).unwrap();
    doc.set("test.parallel", true).unwrap();
    assert_eq!(
        doc.as_str(),
        "test:\n  parallel: true          # Default: single-threaded\n  timeout: 120\n"
    );
    doc.set("test.timeout", "two minutes").unwrap();
    assert_eq!(
        doc.as_str(),
        "test:\n  parallel: true          # Default: single-threaded\n  timeout: \"two minutes\"\n"
    );
    assert_eq!(
        doc.get("test.timeout").and_then(Value::as_str),
        Some("two minutes")
    );
}

#[test]
fn set_keeps_equals_separator_crlf_and_bom() {
    let text = "\u{feff}a = 1\r\nb: [1, 2]  # list\r\nc: x";
    let mut doc = Document::parse(text).unwrap();
    doc.set("a", 2).unwrap();
    doc.set("b", vec![3, 4, 5]).unwrap();
    doc.set("c", "y").unwrap();
    assert_eq!(
        doc.as_str(),
        "\u{feff}a = 2\r\nb: [3, 4, 5]  # list\r\nc: y"
    );
}

#[test]
fn set_equal_value_changes_nothing() {
    let text = "version: 007\nratio: 1.10\n";
    let mut doc = Document::parse(text).unwrap();
    doc.set("version", 7).unwrap();
    doc.set("ratio", 1.1).unwrap();
    assert_eq!(doc.as_str(), text);
}

#[test]
fn set_null_entry_gets_a_value() {
    let mut doc = Document::parse("tasks:\nother:   # note\nx: 1\n").unwrap();
    doc.set("tasks", 3).unwrap();
    doc.set("other", "v").unwrap();
    assert_eq!(doc.as_str(), "tasks: 3\nother:   v # note\nx: 1\n");
}

#[test]
fn set_new_root_key_appends_after_last_entry() {
    let mut doc = Document::parse("# head\na: 1\n\n# tail comment\n").unwrap();
    doc.set("b", "hello world").unwrap();
    assert_eq!(
        doc.as_str(),
        "# head\na: 1\nb: \"hello world\"\n\n# tail comment\n"
    );

    let mut doc = Document::parse("a: 1").unwrap();
    doc.set("b", 2).unwrap();
    assert_eq!(
        doc.as_str(),
        "a: 1\nb: 2",
        "a missing final newline stays missing"
    );

    let mut doc = Document::parse("").unwrap();
    doc.set("a", 1).unwrap();
    assert_eq!(doc.as_str(), "a: 1\n");

    let mut doc = Document::parse("a: 1\r\n").unwrap();
    doc.set("b", 2).unwrap();
    assert_eq!(doc.as_str(), "a: 1\r\nb: 2\r\n");
}

#[test]
fn set_new_nested_keys_follow_the_file_indentation() {
    let text = "server:\n  host: localhost\n\n  # ports\n  port: 80\nnext: 1\n";
    let mut doc = Document::parse(text).unwrap();
    doc.set("server.tls.cert", "/etc/cert.pem").unwrap();
    assert_eq!(
        doc.as_str(),
        "server:\n  host: localhost\n\n  # ports\n  port: 80\n  tls:\n    cert: \"/etc/cert.pem\"\nnext: 1\n"
    );
    doc.set("new.deep.key", true).unwrap();
    assert_eq!(
        doc.as_str(),
        "server:\n  host: localhost\n\n  # ports\n  port: 80\n  tls:\n    cert: \"/etc/cert.pem\"\nnext: 1\nnew:\n  deep:\n    key: true\n"
    );
}

#[test]
fn set_inside_an_inline_dict_rewrites_that_value() {
    let text = "var:\n  profiles:\n    dev: { platform: auto, lib.crypto: default }   # dev\n    prod: { platform: auto }\n";
    let mut doc = Document::parse(text).unwrap();
    doc.set(["var", "profiles", "dev", "lib.crypto"], "openssl")
        .unwrap();
    assert_eq!(
        changed_lines(text, doc.as_str()),
        [(
            2,
            "    dev: {platform: auto, lib.crypto: openssl}   # dev".to_owned()
        )]
    );
    doc.set(r#"var.profiles.prod."ui.renderer""#, "metal")
        .unwrap();
    assert_eq!(
        doc.get(["var", "profiles", "prod", "ui.renderer"])
            .and_then(Value::as_str),
        Some("metal")
    );
    assert_eq!(
        doc.as_str().lines().nth(3),
        Some("    prod: {platform: auto, ui.renderer: metal}")
    );
}

#[test]
fn set_replaces_a_block_with_its_canonical_form() {
    let text = "a:\n    # old comment\n    b: 1\n    c: 2\nz: 0\n";
    let mut doc = Document::parse(text).unwrap();
    doc.set("a", "flat").unwrap();
    assert_eq!(doc.as_str(), "a: flat\nz: 0\n");

    let mut m = Map::new();
    m.insert("x", 1);
    m.insert("y", vec!["p q", "r"]);
    doc.set("z", m).unwrap();
    assert_eq!(doc.as_str(), "a: flat\nz: {x: 1, y: [\"p q\", r]}\n");
}

#[test]
fn set_errors_change_nothing() {
    let text = "a: 1\nt |id|\n    1\n";
    let mut doc = Document::parse(text).unwrap();
    let err = doc.set("a.b", 2).unwrap_err();
    assert_eq!(
        err.kind(),
        &ErrorKind::WrongKind {
            expected: "dict",
            found: "integer"
        }
    );
    let err = doc.set("t.x", 2).unwrap_err();
    assert_eq!(
        err.kind(),
        &ErrorKind::WrongKind {
            expected: "dict",
            found: "table"
        }
    );
    let err = doc.set("a", f64::NAN).unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::NonFiniteFloat);
    assert_eq!(
        doc.set("a..b", 1).unwrap_err().kind(),
        &ErrorKind::InvalidPath
    );
    assert_eq!(doc.as_str(), text);
}

#[test]
fn remove_entries() {
    let text = "# c\na: 1  # gone too\nb:\n    # kept\n    c: 2\n    d: 3\ne:\n  only: 1\n";
    let mut doc = Document::parse(text).unwrap();
    assert_eq!(doc.remove("a").unwrap().as_i64(), Some(1));
    assert_eq!(
        doc.as_str(),
        "# c\nb:\n    # kept\n    c: 2\n    d: 3\ne:\n  only: 1\n"
    );
    doc.remove("b.d").unwrap();
    assert_eq!(
        doc.as_str(),
        "# c\nb:\n    # kept\n    c: 2\ne:\n  only: 1\n"
    );
    doc.remove("e.only").unwrap();
    assert_eq!(doc.as_str(), "# c\nb:\n    # kept\n    c: 2\ne: {}\n");
    assert!(
        doc.get("e")
            .and_then(Value::as_dict)
            .is_some_and(Map::is_empty)
    );
    assert_eq!(doc.remove("zzz").unwrap_err().kind(), &ErrorKind::NotFound);
    assert_eq!(
        doc.remove("b.c.d").unwrap_err().kind(),
        &ErrorKind::WrongKind {
            expected: "dict",
            found: "integer"
        }
    );

    let mut doc = Document::parse("a: 1\nb: 2").unwrap();
    doc.remove("b").unwrap();
    assert_eq!(doc.as_str(), "a: 1");

    let mut doc = Document::parse("cfg: {x: 1, y: 2}\n").unwrap();
    doc.remove("cfg.x").unwrap();
    assert_eq!(doc.as_str(), "cfg: {y: 2}\n");
}

const DB: &str = "\
# Task database
tasks |id, category, name, status, valid|
    TRACK-001,tracking,\"Refactor core tracking\",in_progress,true
    TRACK-002,tracking,\"Write docs\",open,false   # soon

todos |id, keyword, description, file, line|
    0, TODO, \"Add support for generic type aliases\", src/a.spl, 492
    1, FIXME, Make the rasterizer faster, ./src/b.spl, 8
    # a comment row
    2, TODO, \"Use real datetime FFI\", /dev/ttyUSB0, 282
";

#[test]
fn update_row_changes_exactly_one_line() {
    let mut doc = Document::parse(DB).unwrap();
    let found = doc
        .table_mut("todos")
        .unwrap()
        .update_row_where("id", "1", |row| {
            row.insert("line", 9);
            row.insert("description", "Make it faster, please");
        })
        .unwrap();
    assert!(found);
    assert_eq!(
        changed_lines(DB, doc.as_str()),
        [(
            7,
            "    1, FIXME, \"Make it faster, please\", ./src/b.spl, 9".to_owned()
        )]
    );

    // Quoted cells stay quoted when changed; untouched cells and the comment keep bytes.
    let mut doc = Document::parse(DB).unwrap();
    let mut tasks = doc.table_mut("tasks").unwrap();
    tasks.set_cell(1, "name", "Docs").unwrap();
    tasks.set_cell(1, "status", "done").unwrap();
    assert_eq!(
        changed_lines(DB, doc.as_str()),
        [(
            3,
            "    TRACK-002,tracking,\"Docs\",done,false   # soon".to_owned()
        )]
    );
    assert_eq!(
        doc.table("tasks")
            .unwrap()
            .cell(1, "name")
            .and_then(Value::as_str),
        Some("Docs")
    );
}

#[test]
fn update_row_where_reports_missing_and_ambiguous_keys() {
    let mut doc = Document::parse("t |id, v|\n    1, a\n    1, b\n    2, c\n").unwrap();
    let mut t = doc.table_mut("t").unwrap();
    assert!(!t.update_row_where("id", "9", |_| {}).unwrap());
    assert_eq!(
        t.update_row_where("id", "1", |_| {}).unwrap_err().kind(),
        &ErrorKind::AmbiguousRow
    );
    assert_eq!(
        t.find_row("nope", "1").unwrap_err().kind(),
        &ErrorKind::NotFound
    );
    let err = t
        .update_row_where("id", "2", |row| {
            row.insert("extra", 1);
        })
        .unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::NotFound);
    let err = t
        .update_row_where("id", "2", |row| {
            row.remove("v");
        })
        .unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::NotFound);
    assert_eq!(
        t.update_row(0, vec![1.into()]).unwrap_err().kind(),
        &ErrorKind::WrongCellCount {
            expected: 2,
            found: 1
        }
    );
    assert_eq!(
        t.update_row(7, vec![1.into(), 2.into()])
            .unwrap_err()
            .kind(),
        &ErrorKind::NotFound
    );
    assert_eq!(doc.as_str(), "t |id, v|\n    1, a\n    1, b\n    2, c\n");
}

#[test]
fn insert_and_push_rows_look_like_their_neighbours() {
    let mut doc = Document::parse(DB).unwrap();
    let mut tasks = doc.table_mut("tasks").unwrap();
    tasks
        .push_row(vec![
            "TRACK-003".into(),
            "tracking".into(),
            "Plan".into(),
            "open".into(),
            true.into(),
        ])
        .unwrap();
    let mut todos = doc.table_mut("todos").unwrap();
    todos
        .insert_row(
            1,
            vec![
                5.into(),
                "TODO".into(),
                "Insert me".into(),
                "x.spl".into(),
                1.into(),
            ],
        )
        .unwrap();
    let expected = DB
        .replace(
            "open,false   # soon\n",
            "open,false   # soon\n    TRACK-003,tracking,\"Plan\",open,true\n",
        )
        .replace(
            "src/a.spl, 492\n",
            "src/a.spl, 492\n    5, TODO, \"Insert me\", x.spl, 1\n",
        );
    assert_eq!(doc.as_str(), expected);
    assert_eq!(doc.table("todos").unwrap().rows.len(), 4);
}

#[test]
fn push_row_into_empty_tables_and_at_end_of_file() {
    let text = "empty |id, name|\n    # nothing yet\n\nlast |a, b|\n  1, x";
    let mut doc = Document::parse(text).unwrap();
    doc.table_mut("empty")
        .unwrap()
        .push_row(vec![1.into(), "n m".into()])
        .unwrap();
    doc.table_mut("last")
        .unwrap()
        .push_row(vec![2.into(), "y".into()])
        .unwrap();
    assert_eq!(
        doc.as_str(),
        "empty |id, name|\n  1, \"n m\"\n    # nothing yet\n\nlast |a, b|\n  1, x\n  2, y"
    );
}

#[test]
fn push_row_map_fills_missing_columns() {
    let mut doc = Document::parse("t |id, name, note|\r\n    1, a, b\r\n").unwrap();
    let mut row = Map::new();
    row.insert("id", 2);
    row.insert("name", "bob");
    doc.table_mut("t").unwrap().push_row_map(&row).unwrap();
    assert_eq!(
        doc.as_str(),
        "t |id, name, note|\r\n    1, a, b\r\n    2, bob, \"\"\r\n"
    );
    row.insert("nope", 1);
    assert_eq!(
        doc.table_mut("t")
            .unwrap()
            .push_row_map(&row)
            .unwrap_err()
            .kind(),
        &ErrorKind::NotFound
    );
}

#[test]
fn remove_rows() {
    let mut doc = Document::parse(DB).unwrap();
    let removed = doc
        .table_mut("todos")
        .unwrap()
        .remove_row_where("id", "1")
        .unwrap()
        .unwrap();
    assert_eq!(removed[1].as_str(), Some("FIXME"));
    assert_eq!(
        doc.as_str(),
        DB.replace(
            "    1, FIXME, Make the rasterizer faster, ./src/b.spl, 8\n",
            ""
        )
    );
    assert!(
        doc.table_mut("todos")
            .unwrap()
            .remove_row_where("id", "1")
            .unwrap()
            .is_none()
    );
    doc.table_mut("todos").unwrap().remove_row(1).unwrap();
    assert!(!doc.as_str().contains("datetime"));
    assert!(doc.as_str().contains("    # a comment row\n"));
}

#[test]
fn add_column_changes_header_and_rows_of_that_table_only() {
    let mut doc = Document::parse(DB).unwrap();
    doc.table_mut("todos")
        .unwrap()
        .add_column("status", "open")
        .unwrap();
    assert_eq!(
        changed_lines(DB, doc.as_str()),
        [
            (
                5,
                "todos |id, keyword, description, file, line, status|".to_owned()
            ),
            (
                6,
                "    0, TODO, \"Add support for generic type aliases\", src/a.spl, 492, open"
                    .to_owned()
            ),
            (
                7,
                "    1, FIXME, Make the rasterizer faster, ./src/b.spl, 8, open".to_owned()
            ),
            (
                9,
                "    2, TODO, \"Use real datetime FFI\", /dev/ttyUSB0, 282, open".to_owned()
            ),
        ]
    );
    doc.table_mut("tasks")
        .unwrap()
        .add_column("owner", "")
        .unwrap();
    assert_eq!(
        doc.as_str().lines().take(4).collect::<Vec<_>>(),
        [
            "# Task database",
            "tasks |id, category, name, status, valid, owner|",
            "    TRACK-001,tracking,\"Refactor core tracking\",in_progress,true,\"\"",
            "    TRACK-002,tracking,\"Write docs\",open,false,\"\"   # soon",
        ]
    );
    let err = doc
        .table_mut("tasks")
        .unwrap()
        .add_column("owner", 1)
        .unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::BadTableHeader);
}

#[test]
fn add_column_with_header_row_spaces_and_trailing_empty_cells() {
    let text = "t |a, b | 1, 2\nu | x |\n    1\n    \nv |a, b|\n    1, \n";
    let mut doc = Document::parse(text).unwrap();
    doc.table_mut("t").unwrap().add_column("c", 3).unwrap();
    doc.table_mut("u").unwrap().add_column("y", 2).unwrap();
    doc.table_mut("v").unwrap().add_column("c", 3).unwrap();
    assert_eq!(
        doc.as_str(),
        "t |a, b, c | 1, 2, 3\nu | x, y |\n    1, 2\n    \nv |a, b, c|\n    1, , 3\n"
    );
    assert_eq!(doc.table("v").unwrap().rows[0][1].as_str(), Some(""));
}

#[test]
fn table_operations_need_a_table() {
    let mut doc = Document::parse("a: 1\nd:\n    t |x|\n        1\n").unwrap();
    assert_eq!(
        doc.table_mut("a").unwrap_err().kind(),
        &ErrorKind::WrongKind {
            expected: "table",
            found: "integer"
        }
    );
    assert_eq!(
        doc.table_mut("zz").unwrap_err().kind(),
        &ErrorKind::NotFound
    );
    doc.table_mut("d.t")
        .unwrap()
        .push_row(vec![2.into()])
        .unwrap();
    assert_eq!(doc.as_str(), "a: 1\nd:\n    t |x|\n        1\n        2\n");
}

#[test]
fn typed_tables() {
    let text =
        "t: table{i64, str, f64}\n    1, a, 1.5\nu: table{i64, bool} = [(1, true), (2, false)]\n";
    let mut doc = Document::parse(text).unwrap();
    let mut t = doc.table_mut("t").unwrap();
    t.update_row(0, vec![1.into(), "007".into(), 2.into()])
        .unwrap();
    assert_eq!(
        t.update_row(0, vec!["x".into(), "a".into(), 1.0.into()])
            .unwrap_err()
            .kind(),
        &ErrorKind::TypeMismatch {
            expected: Some(sdn_codec::ColumnType::I64)
        }
    );
    assert_eq!(doc.as_str().lines().nth(1), Some("    1, \"007\", 2.0"));
    assert_eq!(doc.table("t").unwrap().rows[0][1].as_str(), Some("007"));
    // Tuple rows: the table is rewritten canonically.
    doc.table_mut("u")
        .unwrap()
        .update_row_where("0", "2", |row| {
            row.insert("1", true);
        })
        .unwrap();
    assert_eq!(
        doc.as_str(),
        "t: table{i64, str, f64}\n    1, \"007\", 2.0\nu: table{i64, bool}\n    1, true\n    2, true\n"
    );
}

#[test]
fn edits_never_touch_other_tables() {
    let mut doc = Document::parse(DB).unwrap();
    let tasks_before: Vec<String> = DB.lines().take(4).map(str::to_owned).collect();
    let mut todos = doc.table_mut("todos").unwrap();
    todos.set_cell(0, "line", 1).unwrap();
    todos
        .push_row(vec![
            9.into(),
            "TODO".into(),
            "x".into(),
            "y".into(),
            1.into(),
        ])
        .unwrap();
    todos.remove_row(1).unwrap();
    todos.add_column("z", 0).unwrap();
    assert_eq!(
        doc.as_str()
            .lines()
            .take(4)
            .map(str::to_owned)
            .collect::<Vec<_>>(),
        tasks_before
    );
    assert_eq!(doc.value()["tasks"], sdn_codec::parse(DB).unwrap()["tasks"]);
}

#[test]
fn keys_with_dots_and_quotes() {
    let text = "artifacts:\n  results.sdn: old\n";
    let mut doc = Document::parse(text).unwrap();
    doc.set(r#"artifacts."results.sdn""#, "new").unwrap();
    doc.set(["artifacts", "a \"q\""], 1).unwrap();
    assert_eq!(
        doc.as_str(),
        "artifacts:\n  results.sdn: new\n  \"a \\\"q\\\"\": 1\n"
    );
    assert_eq!(
        doc.get(["artifacts", "a \"q\""]).and_then(Value::as_i64),
        Some(1)
    );
}
