use std::collections::BTreeMap;

use super::reader::{decode_simple_escapes, quoted_at};
use super::*;
use crate::error::ErrorKind;
use crate::parse::decode_quoted;

type Rows = BTreeMap<String, Vec<BTreeMap<String, String>>>;

fn direct(text: &str) -> Option<Result<Rows, Error>> {
    try_from_str::<Rows>(text, &DeOptions::default())
}

#[test]
fn record_files_take_the_direct_path() {
    let text = "\
todos |id, area, description, issue|
    0, parser, \"Add support, for aliases\", \"\"
    1, gpu, Make the rasterizer faster, x # reviewed
    # a comment between rows

    2, doc, doc/a.md#intro, \"\\u{41}\"
";
    let rows = direct(text).expect("direct path taken").expect("reads");
    let todos = &rows["todos"];
    assert_eq!(todos.len(), 3);
    assert_eq!(todos[0]["description"], "Add support, for aliases");
    assert_eq!(todos[1]["description"], "Make the rasterizer faster");
    assert_eq!(todos[2]["description"], "doc/a.md#intro");
    assert_eq!(todos[2]["issue"], "A");
}

#[test]
fn data_errors_keep_the_cell_position() {
    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Row {
        id: u8,
    }
    let text = "rows |id|\n    1\n    -4\n";
    let err = try_from_str::<BTreeMap<String, Vec<Row>>>(text, &DeOptions::default())
        .expect("direct path taken")
        .unwrap_err();
    assert_eq!((err.line(), err.column()), (3, 5));
    assert_eq!(err.line_text(), Some("    -4"));
    assert!(err.message().starts_with("at `rows[1].id`: "), "{err}");
}

#[test]
fn other_shapes_are_left_to_the_general_path() {
    for text in [
        "a:\n    b: 1\n",
        "a: [1, 2]\n",
        "t |a|\n    [1]\n",
        "t |a|\n    \"two\nlines\"\n",
        "t |a, b|\n    1\n",
        "t |a|\n    99999999999999999999\n",
        "t: table{i64}\n    1\n",
        "a = 1\n",
    ] {
        assert!(direct(text).is_none(), "{text:?}");
    }
}

#[test]
fn escapes_decode_like_the_parser() {
    for content in [
        "",
        "plain",
        r"a\nb",
        r#"\t\r\\\""#,
        r"C:\dir\x",
        r"trailing \\",
        r"\q\w\e",
        r"long prefix without escapes, then \n",
        r"\\\\\\",
        r"é✓ \d 😀",
    ] {
        let literal = format!("\"{content}\"");
        let expected = decode_quoted(&literal).unwrap();
        let ours = decode_simple_escapes(content, 0).expect("no \\u escape");
        assert_eq!(ours, expected, "{literal}");
        // Starting at the first backslash, as the scanner records it.
        let first = content.find('\\').unwrap_or(content.len());
        let ours = decode_simple_escapes(content, first).expect("no \\u escape");
        assert_eq!(ours, expected, "{literal}");
        let line = format!("{literal}, x");
        let (scalar, _) = quoted_at(&line, 0).expect("one-line literal");
        let mut bailed = false;
        assert_eq!(scalar.decoded(&mut bailed).unwrap(), expected, "{literal}");
    }
    assert_eq!(decode_simple_escapes(r"\u{41}", 0), None);
}

#[test]
fn duplicate_keys_are_left_to_the_parser() {
    let text = "a: x\na: y\n";
    let result = try_from_str::<BTreeMap<String, String>>(text, &DeOptions::default());
    assert!(result.is_none());
    let err = crate::from_str::<BTreeMap<String, String>>(text).unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::DuplicateKey { .. }),
        "{err:?}"
    );
}

#[test]
fn a_syntax_error_after_a_data_error_wins() {
    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Db {
        n: u8,
        rest: Vec<BTreeMap<String, String>>,
    }
    let text = "n: 300\nrest |a|\n    \"open\n";
    let err = try_from_str::<Db>(text, &DeOptions::default())
        .map(|r| r.unwrap_err())
        .unwrap_or_else(|| {
            crate::de::from_str_via_value::<Db>(text, &DeOptions::default()).unwrap_err()
        });
    assert_eq!(err.kind(), &ErrorKind::UnterminatedQuote);
}
