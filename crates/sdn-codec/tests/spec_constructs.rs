//! One test per construct of SPEC §2–§6: the parsed value is snapshotted (the input is
//! in each snapshot's description) and the key facts are asserted directly.

mod common;

use common::{parse_ok, render};
use sdn_codec::{ColumnType, ScalarKind, Value};

fn snap(name: &str, text: &str) -> Value {
    let value = parse_ok(text);
    insta::with_settings!({ description => text, omit_expression => true }, {
        insta::assert_snapshot!(name, render(&value));
    });
    value
}

// §2 Lines, comments, indentation

#[test]
fn bom_is_skipped() {
    let v = snap("bom_is_skipped", "\u{feff}a: 1\n");
    assert_eq!(v["a"].as_i64(), Some(1));
    let bytes = b"\xef\xbb\xbfa: 1\n";
    assert_eq!(sdn_codec::parse_slice(bytes).unwrap(), v);
}

#[test]
fn crlf_line_ends_never_reach_values() {
    let v = snap(
        "crlf",
        "a: x\r\nb: \"two\r\nlines\"\r\nt |c, d|\r\n    1, y\r\n",
    );
    assert_eq!(v["a"].as_str(), Some("x"));
    assert_eq!(v["b"].as_str(), Some("two\nlines"));
    assert_eq!(v["t"].as_table().unwrap().rows[0][1].as_str(), Some("y"));
}

#[test]
fn comments_start_only_after_whitespace() {
    let v = snap(
        "comments",
        "# header\nlink: doc/a.md#intro\nnote: text # a comment\nhash: \"# not a comment\"\n  # indented comment line\nlast: x#y\n",
    );
    assert_eq!(v["link"].as_str(), Some("doc/a.md#intro"));
    assert_eq!(v["note"].as_str(), Some("text"));
    assert_eq!(v["hash"].as_str(), Some("# not a comment"));
    assert_eq!(v["last"].as_str(), Some("x#y"));
}

#[test]
fn blank_and_comment_lines_do_not_affect_structure() {
    let v = snap(
        "blank_comment_lines",
        "server:\n\n    host: a\n# at column 0\n        # deeper\n  # shallower\n    port: 1\n\nnext: 2\n",
    );
    assert_eq!(v["server"]["port"].as_i64(), Some(1));
    assert_eq!(v["next"].as_i64(), Some(2));
}

#[test]
fn tab_in_indentation_counts_four_columns() {
    let v = snap("tab_indent", "a:\n\tx: 1\n    y: 2\n");
    assert_eq!(v["a"]["y"].as_i64(), Some(2));
}

#[test]
fn any_indentation_depth_opens_a_block() {
    let v = snap(
        "indent_depths",
        "a:\n  b:\n         c: 1\n  d: 2\ne:\n    - x\n",
    );
    assert_eq!(v["a"]["b"]["c"].as_i64(), Some(1));
    assert_eq!(v["a"]["d"].as_i64(), Some(2));
}

// §3 Statements

#[test]
fn scalar_statements_with_colon_and_equals() {
    let v = snap(
        "statements",
        "a: 1\nb = two\nc=3\n\"quoted key\": v\nd :  spaced\n",
    );
    assert_eq!(v["b"].as_str(), Some("two"));
    assert_eq!(v["c"].as_i64(), Some(3));
    assert_eq!(v["quoted key"].as_str(), Some("v"));
    assert_eq!(v["d"].as_str(), Some("spaced"));
}

#[test]
fn key_charset() {
    let v = snap(
        "keys",
        "lib.crypto: 1\nsrc/a.spl: 2\n302918736704: 3\nFEAT-1: 4\n.text: 5\nresults.sdn: 6\n",
    );
    for k in [
        "lib.crypto",
        "src/a.spl",
        "302918736704",
        "FEAT-1",
        ".text",
        "results.sdn",
    ] {
        assert!(v.get(k).is_some(), "{k}");
    }
}

#[test]
fn inline_array_and_dict_values() {
    let v = snap(
        "inline_values",
        "a: [1, two, \"three\"]\nb = {x: 1, y.z: [a, b]}\nc: []\nd = {}\ne: { a: b, c.d: e }\n",
    );
    assert_eq!(v["a"].as_array().unwrap().len(), 3);
    assert_eq!(v["b"]["y.z"][1].as_str(), Some("b"));
    assert_eq!(v["e"]["c.d"].as_str(), Some("e"));
}

#[test]
fn key_with_no_value_and_no_block_is_null() {
    let v = snap("null_key", "tasks:\n\nnext: 1\nlast:\n");
    assert!(v["tasks"].is_null() && v["last"].is_null());
    assert!(v.get("tasks").is_some());
}

#[test]
fn named_table() {
    let v = snap(
        "named_table",
        "todos |id, keyword, area, description, file, line, valid|\n    0, TODO, parser, \"Add generic aliases\", src/a.spl, 492, false\n    1, FIXME, gpu, Make the rasterizer faster, ./src/b.spl, 8, true\nafter: 1\n",
    );
    let t = v["todos"].as_table().unwrap();
    assert_eq!(t.rows.len(), 2);
    assert_eq!(
        t.cell(1, "file").and_then(Value::as_str),
        Some("./src/b.spl")
    );
    assert_eq!(
        t.cell(1, "description").and_then(Value::as_str),
        Some("Make the rasterizer faster")
    );
    assert_eq!(t.cell(0, "valid").and_then(Value::as_bool), Some(false));
}

#[test]
fn named_table_with_inline_row() {
    let v = snap(
        "inline_row_table",
        "point |x, y| 1, 2\nlog_opt | kind, pattern |\n    keep, error:\n",
    );
    let t = v["point"].as_table().unwrap();
    assert_eq!(t.rows, vec![vec![Value::from(1), Value::from(2)]]);
    assert_eq!(
        v["log_opt"]
            .as_table()
            .unwrap()
            .cell(0, "pattern")
            .and_then(Value::as_str),
        Some("error:")
    );
}

#[test]
fn typed_table_with_rows() {
    let v = snap(
        "typed_table_rows",
        "t: table{i64, str, f64, bool}\n    1, 007, 2, true\n    -5, hello world, 2.5, false\n",
    );
    let t = v["t"].as_table().unwrap();
    assert_eq!(t.columns[1].ty, Some(ColumnType::Str));
    assert_eq!(t.rows[0][1].as_str(), Some("007"));
    assert_eq!(t.rows[0][2].scalar_kind(), Some(&ScalarKind::Float(2.0)));
    assert_eq!(t.rows[0][2].source_text(), Some("2"));
}

#[test]
fn typed_table_with_tuple_rows() {
    let v = snap(
        "typed_table_tuples",
        "t: table{i64, str} = [(1, a), (2, \"b, c\"),\n    (3, d e),\n]\nu: table{bool} = []\n",
    );
    let t = v["t"].as_table().unwrap();
    assert_eq!(t.rows.len(), 3);
    assert_eq!(t.rows[1][1].as_str(), Some("b, c"));
    assert_eq!(t.rows[2][1].as_str(), Some("d e"));
    assert!(v["u"].as_table().unwrap().rows.is_empty());
}

// §4 Scalars

#[test]
fn quoted_string_escapes() {
    let v = snap(
        "escapes",
        r#"n: "a\nb"
t: "a\tb"
r: "a\rb"
bs: "a\\b"
q: "say \"hi\""
u: "\u{1F600}\u{e9}"
other: "C:\dir\x \u0041"
"#,
    );
    assert_eq!(v["n"].as_str(), Some("a\nb"));
    assert_eq!(v["t"].as_str(), Some("a\tb"));
    assert_eq!(v["r"].as_str(), Some("a\rb"));
    assert_eq!(v["bs"].as_str(), Some("a\\b"));
    assert_eq!(v["q"].as_str(), Some("say \"hi\""));
    assert_eq!(v["u"].as_str(), Some("\u{1F600}\u{e9}"));
    assert_eq!(v["other"].as_str(), Some("C:\\dir\\x \\u0041"));
}

#[test]
fn quoted_string_spans_lines() {
    let v = snap("multiline_quoted", "a: \"first\n  second\n\"\nb: 1\n");
    assert_eq!(v["a"].as_str(), Some("first\n  second\n"));
    assert_eq!(v["b"].as_i64(), Some(1));
}

#[test]
fn plain_scalars_keep_every_character() {
    let v = snap(
        "plain_scalars",
        "title: Unified SCV, Git, and DevHub\nport: /dev/ttyUSB0\nfile: ./src/a.spl\nratio: a:b:c\nprose: x; y + (z) > w — § ok\n",
    );
    assert_eq!(v["title"].as_str(), Some("Unified SCV, Git, and DevHub"));
    assert_eq!(v["port"].as_str(), Some("/dev/ttyUSB0"));
    assert_eq!(v["file"].as_str(), Some("./src/a.spl"));
    assert_eq!(v["prose"].as_str(), Some("x; y + (z) > w — § ok"));
}

#[test]
fn plain_scalars_stop_at_commas_inline() {
    let v = snap(
        "plain_inline",
        "a: [first item, second item , third]\nb: {k: some text, l: x}\n",
    );
    assert_eq!(v["a"][1].as_str(), Some("second item"));
    assert_eq!(v["b"]["k"].as_str(), Some("some text"));
}

#[test]
fn typing_only_whole_literals() {
    let v = snap(
        "typing",
        "t: true\nf: false\nn: null\nnil: nil\ni: -17\nu: 1_000_000\nfl: 3.14\ne: 1.23e-4\nE: 6E+2\nz: -0.0\nsemver: 1.2.3\nhex: 0x1F\nunit: 256M\nhash: 14a73b\nplus: +5\ndot: 1.\nlead: .5\nTrue: True\nmix: true story\n",
    );
    assert_eq!(v["u"].as_i64(), Some(1_000_000));
    assert_eq!(v["E"].as_f64(), Some(600.0));
    assert!(v["nil"].is_null());
    for k in [
        "semver", "hex", "unit", "hash", "plus", "dot", "lead", "True", "mix",
    ] {
        assert!(v[k].as_str().is_some(), "{k} should be a string");
    }
}

#[test]
fn scalars_keep_source_text() {
    let v = snap(
        "source_text",
        "a: 007\nb: 1.10\nc: 2.1.0\nd: nil\ne: \"q\\tx\"\nf: plain\n",
    );
    assert_eq!(v["a"].as_i64(), Some(7));
    assert_eq!(v["a"].source_text(), Some("007"));
    assert_eq!(v["a"].text().as_deref(), Some("007"));
    assert_eq!(v["b"].text().as_deref(), Some("1.10"));
    assert_eq!(v["c"].as_str(), Some("2.1.0"));
    assert_eq!(v["d"].source_text(), Some("nil"));
    assert_eq!(v["e"].source_text(), Some("\"q\\tx\""));
    assert!(v["e"].as_scalar().unwrap().is_quoted());
    assert_eq!(v["f"].source_text(), Some("plain"));
    // Equality is semantic.
    assert_eq!(v["a"], Value::from(7));
}

#[test]
fn integer_extremes() {
    let v = snap(
        "int_extremes",
        "max: 9223372036854775807\nmin: -9223372036854775808\n",
    );
    assert_eq!(v["max"].as_i64(), Some(i64::MAX));
    assert_eq!(v["min"].as_i64(), Some(i64::MIN));
}

// §5 Blocks

#[test]
fn dict_and_array_blocks() {
    let v = snap(
        "blocks",
        "person:\n    name: Alice\n    age: 30\nitems:\n    first item\n    second, with comma\n    \"quoted\"\n    [1, 2]\n",
    );
    assert_eq!(v["items"][1].as_str(), Some("second, with comma"));
    assert_eq!(v["items"][3][1].as_i64(), Some(2));
}

#[test]
fn dash_lists() {
    let v = snap(
        "dash_lists",
        "acceptance:\n  - AC-1\n  - AC-2\n  - table\n  - \"KeyPress|enter\"\n  - 3\n",
    );
    assert_eq!(v["acceptance"].as_array().unwrap().len(), 5);
    assert_eq!(v["acceptance"][2].as_str(), Some("table"));
    assert_eq!(v["acceptance"][4].as_i64(), Some(3));
}

#[test]
fn dash_dict_items_with_continuation_keys() {
    let v = snap(
        "dash_dict_items",
        "sources:\n  - file: README.md\n  - dir: doc/\n    pattern: \"*.md\"\n  - name: x\n    nested:\n      deep: 1\n    after: 2\n",
    );
    assert_eq!(v["sources"][1]["pattern"].as_str(), Some("*.md"));
    assert_eq!(v["sources"][2]["nested"]["deep"].as_i64(), Some(1));
    assert_eq!(v["sources"][2]["after"].as_i64(), Some(2));
}

#[test]
fn nested_dash_items_and_dash_blocks() {
    let v = snap(
        "nested_dash",
        "m:\n  - - a\n    - b\n  -\n    k: v\n  -\n  - last\n",
    );
    assert_eq!(v["m"][0][1].as_str(), Some("b"));
    assert_eq!(v["m"][1]["k"].as_str(), Some("v"));
    assert!(v["m"][2].is_null());
}

#[test]
fn inline_values_span_lines_with_trailing_commas() {
    let v = snap(
        "multiline_inline",
        "nested = {\n    items: [1, 2, 3],   # comment\n    config: {x: 10,\n        y: 20,},\n    flags: [\n        true,\n        false,\n    ],\n}\nafter: 1\n",
    );
    assert_eq!(v["nested"]["config"]["y"].as_i64(), Some(20));
    assert_eq!(v["nested"]["flags"].as_array().unwrap().len(), 2);
    assert_eq!(v["after"].as_i64(), Some(1));
}

// §6 Tables

#[test]
fn table_cells() {
    let v = snap(
        "table_cells",
        "t |a, b, c, d|\n    TRACK-001,tracking,\"Refactor, core\",high\n    \"\", , [1, 2], {k: v}\n    2026-01-23T12:16:12+00:00, alice@example.com, Cranelift Backend, x # comment\n    /abs/path, ./rel, 485.3, \n",
    );
    let t = v["t"].as_table().unwrap();
    assert_eq!(t.rows.len(), 4);
    assert_eq!(t.rows[0][2].as_str(), Some("Refactor, core"));
    assert_eq!(t.rows[1][0].as_str(), Some(""));
    assert_eq!(t.rows[1][1].as_str(), Some(""));
    assert_eq!(t.rows[2][0].as_str(), Some("2026-01-23T12:16:12+00:00"));
    assert_eq!(t.rows[2][3].as_str(), Some("x"));
    assert_eq!(t.rows[3][3].as_str(), Some(""));
}

#[test]
fn header_only_tables_and_comment_rows() {
    let v = snap(
        "header_only",
        "strings |id, value|\n\n\nfeatures |id|\n    # only a comment\nnext |a|\n    1\n",
    );
    assert!(v["strings"].as_table().unwrap().rows.is_empty());
    assert!(v["features"].as_table().unwrap().rows.is_empty());
    assert_eq!(v["next"].as_table().unwrap().rows.len(), 1);
}

#[test]
fn table_inside_a_block() {
    let v = snap(
        "nested_table",
        "db:\n    t |a, b|\n        1, 2\n    other: x\n",
    );
    assert_eq!(v["db"]["t"].as_table().unwrap().rows.len(), 1);
    assert_eq!(v["db"]["other"].as_str(), Some("x"));
}

#[test]
fn duplicate_keys_allowed_by_option() {
    let options = sdn_codec::ParseOptions::default().with_duplicate_keys(true);
    let v = sdn_codec::parse_with("a: 1\nb: 2\na: 3\n", &options).unwrap();
    assert_eq!(v["a"].as_i64(), Some(3));
    assert_eq!(v.as_dict().unwrap().keys().collect::<Vec<_>>(), ["a", "b"]);
}

#[test]
fn empty_document() {
    assert_eq!(parse_ok(""), Value::Dict(Default::default()));
    assert_eq!(
        parse_ok("# only comments\n\n"),
        Value::Dict(Default::default())
    );
}
