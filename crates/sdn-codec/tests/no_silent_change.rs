//! Library-level reproductions of issue 9 ("never a silent change"): each test failed on
//! the code before the fix.

use std::error::Error as _;

use sdn_codec::{Document, ErrorKind, Limit, Limits, ParseOptions, Value};

#[derive(Debug, serde::Deserialize)]
struct Record {
    a: String,
}

#[test]
fn plain_scalars_keep_unicode_whitespace_on_both_sides() {
    let v = sdn_codec::parse("a: \u{a0}x\u{a0}\nb: \u{a0}\n").unwrap();
    assert_eq!(v["a"].as_str(), Some("\u{a0}x\u{a0}"));
    assert_eq!(v["b"].as_str(), Some("\u{a0}"));
    for ws in ['\u{2028}', '\u{85}', '\u{b}', '\u{c}', '\u{3000}'] {
        let text = format!("a: x{ws}   \n");
        let v = sdn_codec::parse(&text).unwrap();
        assert_eq!(v["a"].as_str(), Some(format!("x{ws}").as_str()), "{ws:?}");
        // The direct deserializer trims the same way.
        let r: Record = sdn_codec::from_str(&text).unwrap();
        assert_eq!(r.a, format!("x{ws}"), "{ws:?}");
        // Table cells and inline values too.
        let t = sdn_codec::parse(&format!("t |c|\n    x{ws} \nl: [x{ws} , y]\n")).unwrap();
        let cell = t["t"].as_table().unwrap().rows[0][0].clone();
        assert_eq!(cell.as_str(), Some(format!("x{ws}").as_str()), "{ws:?}");
        assert_eq!(
            t["l"][0].as_str(),
            Some(format!("x{ws}").as_str()),
            "{ws:?}"
        );
    }
    // Spaces and tabs are still trimmed.
    assert_eq!(
        sdn_codec::parse("a: x \t \n").unwrap()["a"].as_str(),
        Some("x")
    );
}

#[test]
fn canonical_output_keeps_unicode_whitespace() {
    let v = sdn_codec::parse("a: x\u{3000}\n").unwrap();
    let text = sdn_codec::to_canonical_string(&v).unwrap();
    assert_eq!(sdn_codec::parse(&text).unwrap(), v);
}

#[test]
fn a_comment_after_a_tab_is_a_comment_after_a_block_scalar_marker() {
    for text in [
        "k: |\t# note\n",
        "k: | # note\n",
        "k: >\t# note\n",
        "a:\n    - |\t# x\n",
    ] {
        let err = sdn_codec::parse(text).unwrap_err();
        assert_eq!(err.kind(), &ErrorKind::BlockScalar, "{text:?}: {err}");
    }
}

#[test]
fn wide_table_headers_parse_in_linear_time() {
    // 100,000 columns took ~25 s with the quadratic duplicate check; now milliseconds.
    let names: Vec<String> = (0..100_000).map(|i| format!("c{i}")).collect();
    let text = format!("t |{}|\n", names.join(", "));
    let v = sdn_codec::parse(&text).unwrap();
    assert_eq!(v["t"].as_table().unwrap().columns.len(), 100_000);
    let dup = format!("t |{}, c5|\n", names.join(", "));
    let err = sdn_codec::parse(&dup).unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::BadTableHeader);
    assert!(
        err.message().contains("duplicate column name `c5`"),
        "{err}"
    );
}

#[test]
fn the_column_count_is_limited() {
    let options = ParseOptions::default().with_limits(Limits::default().with_max_columns(Some(3)));
    assert!(sdn_codec::parse_with("t |a, b, c|\n", &options).is_ok());
    for text in ["t |a, b, c, d|\n", "t: table{i64, i64, str, bool}\n"] {
        let err = sdn_codec::parse_with(text, &options).unwrap_err();
        assert_eq!(
            err.kind(),
            &ErrorKind::LimitExceeded {
                which: Limit::Columns
            },
            "{text}"
        );
    }
    assert_eq!(Limits::untrusted().max_columns, Some(10_000));
    assert_eq!(Limits::default().max_columns, None);
}

#[test]
fn errors_show_a_bounded_excerpt_of_a_huge_line() {
    let text = format!("a: 1\nb: \"{}\n", "x".repeat(20 << 20));
    let err = sdn_codec::parse(&text).unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::UnterminatedQuote);
    let shown = err.report().to_string();
    assert!(shown.len() < 1_000, "{} bytes", shown.len());
    assert!(shown.contains("b: \"xxx"), "{shown}");
    assert!(shown.contains('…'), "{shown}");
    // An error far into a long line (the empty element before the last `,`): the excerpt
    // is around the column, with the caret under it.
    let line = format!("a: [{}, ]\n", "1, ".repeat(100_000));
    let err = sdn_codec::parse(&line).unwrap_err();
    let shown = err.report().to_string();
    assert!(shown.len() < 1_000, "{shown}");
    let lines: Vec<&str> = shown.lines().collect();
    let source = lines[lines.len() - 2];
    let caret = lines[lines.len() - 1];
    let at = caret.chars().count() - 1;
    assert_eq!(source.chars().nth(at), Some(','), "{shown}");
    // Messages quote text from the input shortened too: a huge number or key.
    for text in [
        format!("a: {}\n", "9".repeat(1 << 20)),
        format!("{k}: 1\n{k}: 2\n", k = "k".repeat(1 << 20)),
        format!("t |{c}, {c}|\n", c = "c".repeat(1 << 20)),
    ] {
        let shown = sdn_codec::parse(&text).unwrap_err().report().to_string();
        assert!(
            shown.len() < 1_000,
            "{} bytes: {}",
            shown.len(),
            &shown[..200]
        );
    }
    // Short lines are shown whole, as before.
    let err = sdn_codec::parse("a: 1\nb: \"open\n").unwrap_err();
    assert_eq!(err.line_text(), Some("b: \"open"));
}

#[test]
fn io_errors_keep_the_io_error_as_source_and_do_not_repeat_it() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.sdn");
    let err = sdn_codec::from_path(&missing, &ParseOptions::default()).unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Io(std::io::ErrorKind::NotFound));
    let io = err
        .source()
        .and_then(|s| s.downcast_ref::<std::io::Error>())
        .expect("the io::Error is the source");
    assert_eq!(io.kind(), std::io::ErrorKind::NotFound);
    assert!(!err.to_string().contains(&io.to_string()), "{err}");
    assert!(err.to_string().contains("missing.sdn"), "{err}");
    // Parse errors have no source and print their whole story.
    assert!(sdn_codec::parse("a: \"x\n").unwrap_err().source().is_none());
}

#[test]
fn setting_negative_zero_over_zero_is_an_edit() {
    let mut doc = Document::parse("x: 0.0\ny: -0.0\n").unwrap();
    doc.set("x", -0.0).unwrap();
    doc.set("y", 0.0).unwrap();
    assert_eq!(doc.as_str(), "x: -0.0\ny: 0.0\n");
    let x = doc.get("x").and_then(Value::as_f64).unwrap();
    assert!(x.is_sign_negative());
    // In a table row too.
    let mut doc = Document::parse("t |v|\n    0.0\n").unwrap();
    doc.table_mut("t")
        .unwrap()
        .update_row(0, vec![Value::from(-0.0)])
        .unwrap();
    assert_eq!(doc.as_str(), "t |v|\n    -0.0\n");
}

#[test]
fn option_structs_are_built_with_methods() {
    let limits = Limits::untrusted()
        .with_max_depth(8)
        .with_max_size(Some(100))
        .with_max_string_len(None)
        .with_max_cells(Some(4))
        .with_max_columns(Some(2));
    assert_eq!(limits.max_depth, 8);
    assert_eq!(limits.max_size, Some(100));
    let options = ParseOptions::default()
        .with_limits(limits)
        .with_duplicate_keys(true);
    assert!(options.allow_duplicate_keys);
    assert_eq!(options.limits, limits);
}

#[test]
fn the_canonical_writer_uses_spellings_every_sdn_reader_reads() {
    let v = sdn_codec::parse(
        "deps:\n    - project: \"../compiler\"\n      kind: lib\n    - project: \"../lib\"\nm:\n    -\n        - 1\n        - [2]\n\".hidden\": 1\n\"/abs\": 2\n",
    )
    .unwrap();
    let text = sdn_codec::to_canonical_string(&v).unwrap();
    assert_eq!(
        text,
        "deps:\n    - {project: \"../compiler\", kind: lib}\n    - {project: \"../lib\"}\nm: [[1, [2]]]\n\".hidden\": 1\n\"/abs\": 2\n"
    );
    assert_eq!(sdn_codec::parse(&text).unwrap(), v);
    // Never the `- key: value` block or a bare `-` line, however long the items are.
    let long = sdn_codec::parse(&format!(
        "a: [{{k: \"{}\", j: 1}}, [[1], \"{}\"]]\n",
        "x".repeat(100),
        "y".repeat(100)
    ))
    .unwrap();
    let text = sdn_codec::to_canonical_string(&long).unwrap();
    assert!(
        text.lines()
            .all(|l| l.trim() != "-" && !l.trim_start().starts_with("- k:")),
        "{text}"
    );
    assert_eq!(sdn_codec::parse(&text).unwrap(), long);
    // Document edits write the same way.
    let mut doc = Document::parse("x: 1\n").unwrap();
    doc.set("deps", v["deps"].clone()).unwrap();
    assert_eq!(
        doc.as_str(),
        "x: 1\ndeps:\n    - {project: \"../compiler\", kind: lib}\n    - {project: \"../lib\"}\n"
    );
}

#[test]
fn format_keeps_comments_and_spellings_and_is_stable() {
    let text = "\u{feff}# head\r\n\r\n\r\nv: 1.10\r\nt |a, b| 1, 2  # inline row\r\n  # between\r\n  3, 4\r\nd:\r\n  k: [1,  # one\r\n      2]\r\n  # tail of d\r\n# end\r\n\r\n";
    let formatted = sdn_codec::format(text).unwrap();
    assert_eq!(
        formatted,
        "# head\n\nv: 1.10\nt |a, b| # inline row\n    1, 2\n    # between\n    3, 4\nd:\n    k: [1, 2] # one\n    # tail of d\n# end\n"
    );
    assert_eq!(sdn_codec::format(&formatted).unwrap(), formatted);
    let bare = sdn_codec::FormatOptions::default().keep_comments(false);
    assert_eq!(
        sdn_codec::format_with(text, &bare).unwrap(),
        "v: 1.10\nt |a, b|\n    1, 2\n    3, 4\nd:\n    k: [1, 2]\n"
    );
}

#[test]
fn a_refused_edit_leaves_the_document_as_it_was() {
    // The edited text is over the size limit, so reading it back fails: the edit is
    // refused after the old value was set aside, and the document must be whole again.
    let options = ParseOptions::default().with_limits(Limits::default().with_max_size(Some(12)));
    let mut doc = Document::parse_with("a: 1\nb: [2]\n", &options).unwrap();
    let err = doc.set("c", "far too long for the limit").unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Unwritable, "{err}");
    assert_eq!(doc.as_str(), "a: 1\nb: [2]\n");
    assert_eq!(doc.get("a").and_then(Value::as_i64), Some(1));
    assert_eq!(doc.get("b.0").and_then(Value::as_i64), Some(2));
    doc.set("a", 3).unwrap();
    assert_eq!(doc.as_str(), "a: 3\nb: [2]\n");
}
