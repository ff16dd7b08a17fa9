//! Every error of SPEC §7 (and the parser's other errors): kind, line and column are
//! asserted, and the rendered message with its caret is snapshotted.

mod common;

use sdn_codec::{ColumnType, ErrorKind, Limit, Limits, ParseOptions};

fn check(name: &str, text: &str, kind: ErrorKind, line: usize, column: usize) {
    let err = common::parse_err(text);
    assert_eq!(err.kind(), &kind, "{err}");
    assert_eq!((err.line(), err.column()), (line, column), "{err}");
    insta::with_settings!({ description => text, omit_expression => true }, {
        insta::assert_snapshot!(name, err.report().to_string());
    });
}

#[test]
fn section_header() {
    check(
        "section_header",
        "# levels\n[level_1]\nname = \"x\"\n",
        ErrorKind::SectionHeader,
        2,
        1,
    );
}

#[test]
fn sdl_block() {
    check(
        "sdl_block",
        "resource_usage {\n  test_file \"a\"\n}\n",
        ErrorKind::SdlBlock,
        1,
        1,
    );
}

#[test]
fn yaml_block_scalars() {
    check(
        "block_scalar_literal",
        "mode: x\nreason: |\n    text\n",
        ErrorKind::BlockScalar,
        2,
        9,
    );
    check(
        "block_scalar_folded",
        "reason: >-\n    text\n",
        ErrorKind::BlockScalar,
        1,
        9,
    );
}

#[test]
fn indented_top_level() {
    check(
        "indented_first_line",
        "  a: 1\n",
        ErrorKind::IndentedTopLevel,
        1,
        3,
    );
    check(
        "indented_later_line",
        "a: 1\n  b: 2\n",
        ErrorKind::IndentedTopLevel,
        2,
        3,
    );
}

#[test]
fn dedent_to_unopened_column() {
    check(
        "bad_dedent",
        "a:\n    b:\n        c: 1\n      d: 2\n",
        ErrorKind::BadDedent,
        4,
        7,
    );
    check(
        "bad_dedent_root",
        "a:\n    b: 1\n  c: 2\n",
        ErrorKind::BadDedent,
        3,
        3,
    );
}

#[test]
fn unexpected_indent_in_block() {
    check(
        "unexpected_indent",
        "a:\n    b: 1\n        c: 2\n",
        ErrorKind::UnexpectedIndent,
        3,
        9,
    );
}

#[test]
fn wrong_cell_count() {
    check(
        "too_few_cells",
        "t |a, b, c|\n    1, 2, 3\n    1, 2\n",
        ErrorKind::WrongCellCount {
            expected: 3,
            found: 2,
        },
        3,
        5,
    );
    check(
        "too_many_cells",
        "t |a, b|\n    1, Normalize bug, feature, test\n",
        ErrorKind::WrongCellCount {
            expected: 2,
            found: 4,
        },
        2,
        5,
    );
}

#[test]
fn unterminated_quote_points_at_the_opening_quote() {
    check(
        "unterminated_quote",
        "a: 1\nb: \"open\nc: 2\n",
        ErrorKind::UnterminatedQuote,
        2,
        4,
    );
    check(
        "unterminated_quote_cell",
        "t |a, b|\n    1, \"x\n",
        ErrorKind::UnterminatedQuote,
        2,
        8,
    );
}

#[test]
fn unterminated_brackets() {
    check(
        "unterminated_array",
        "a: [1, 2\nb: 3\n",
        ErrorKind::UnterminatedBracket { open: '[' },
        1,
        4,
    );
    check(
        "unterminated_dict",
        "a: {x: 1,\n",
        ErrorKind::UnterminatedBracket { open: '{' },
        1,
        4,
    );
}

#[test]
fn mismatched_close_bracket() {
    check(
        "mismatched_close",
        "a: [1, 2}\n",
        ErrorKind::UnexpectedCloseBracket { found: '}' },
        1,
        9,
    );
}

#[test]
fn integer_out_of_range() {
    check(
        "int_overflow",
        "big: 9223372036854775808\n",
        ErrorKind::IntegerOutOfRange,
        1,
        6,
    );
    check(
        "int_overflow_cell",
        "t |a|\n    -9223372036854775809\n",
        ErrorKind::IntegerOutOfRange,
        2,
        5,
    );
}

#[test]
fn float_out_of_range() {
    check(
        "float_overflow",
        "f: 1e999\n",
        ErrorKind::NonFiniteFloat,
        1,
        4,
    );
}

#[test]
fn invalid_unicode_escape() {
    check(
        "bad_unicode_escape",
        "s: \"a\\u{D800}\"\n",
        ErrorKind::InvalidEscape,
        1,
        6,
    );
    check(
        "unclosed_unicode_escape",
        "s: \"a\\u{41\"\n",
        ErrorKind::InvalidEscape,
        1,
        6,
    );
}

#[test]
fn duplicate_key_names_both_lines() {
    check(
        "duplicate_key",
        "metadata:\n    name: a\n    ns: ci\n    name: b\n",
        ErrorKind::DuplicateKey {
            key: "name".into(),
            first_line: 2,
        },
        4,
        5,
    );
    check(
        "duplicate_inline_key",
        "a: {x: 1, x: 2}\n",
        ErrorKind::DuplicateKey {
            key: "x".into(),
            first_line: 1,
        },
        1,
        11,
    );
}

#[test]
fn not_an_entry() {
    check(
        "missing_colon",
        "# Invalid\nname Alice\nage 30\n",
        ErrorKind::NotAnEntry,
        2,
        1,
    );
    check(
        "colon_without_space",
        "a: 1\nkey:value\n",
        ErrorKind::NotAnEntry,
        2,
        4,
    );
    check(
        "list_item_in_dict",
        "a:\n    b: 1\n    - c\n",
        ErrorKind::NotAnEntry,
        3,
        5,
    );
}

#[test]
fn entry_inside_a_list_block() {
    check(
        "mixed_block",
        "person:\n    name Alice\n    age: 30\n",
        ErrorKind::MixedBlock,
        3,
        5,
    );
}

#[test]
fn trailing_characters() {
    check(
        "after_quote",
        "a: \"x\" y\n",
        ErrorKind::TrailingCharacters,
        1,
        8,
    );
    check(
        "after_inline",
        "title: [WIP] Fix parser\n",
        ErrorKind::TrailingCharacters,
        1,
        14,
    );
    check(
        "after_quoted_cell",
        "t |a, b|\n    \"x\" y, 2\n",
        ErrorKind::TrailingCharacters,
        2,
        9,
    );
}

#[test]
fn inline_syntax_errors() {
    check("empty_element", "a: [1, , 2]\n", ErrorKind::Syntax, 1, 8);
    check("missing_comma", "a: [1\n  2]\n", ErrorKind::Syntax, 2, 3);
    check("bracket_in_plain", "a: [x[0]]\n", ErrorKind::Syntax, 1, 6);
    check(
        "missing_inline_key",
        "a: {: 1}\n",
        ErrorKind::InvalidKey,
        1,
        5,
    );
}

#[test]
fn table_header_errors() {
    check(
        "header_unclosed",
        "t |a, b\n",
        ErrorKind::BadTableHeader,
        1,
        3,
    );
    check(
        "header_empty_column",
        "t |a, , b|\n",
        ErrorKind::BadTableHeader,
        1,
        7,
    );
    check(
        "header_duplicate_column",
        "t |a, a|\n",
        ErrorKind::BadTableHeader,
        1,
        7,
    );
    check(
        "header_space_in_name",
        "t |first name|\n",
        ErrorKind::BadTableHeader,
        1,
        9,
    );
}

#[test]
fn typed_table_errors() {
    check(
        "unknown_type",
        "t: table{i64, string}\n",
        ErrorKind::UnknownColumnType {
            name: "string".into(),
        },
        1,
        15,
    );
    check(
        "type_mismatch",
        "t: table{i64, str}\n    1, a\n    x, b\n",
        ErrorKind::TypeMismatch {
            expected: Some(ColumnType::I64),
        },
        3,
        5,
    );
    check(
        "tuple_cell_count",
        "t: table{i64, str} = [(1, a), (2)]\n",
        ErrorKind::WrongCellCount {
            expected: 2,
            found: 1,
        },
        1,
        31,
    );
}

#[test]
fn stray_carriage_return() {
    check("lone_cr", "a: x\ry\n", ErrorKind::Syntax, 1, 5);
}

#[test]
fn invalid_utf8_reports_the_byte() {
    let err = sdn_codec::parse_slice(b"a: ok\nb: caf\xe9\n").unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::InvalidUtf8);
    assert_eq!((err.line(), err.column()), (2, 7));
    insta::assert_snapshot!("invalid_utf8", err.report().to_string());
}

#[test]
fn error_display_with_path() {
    let err = common::parse_err("a:\n\tb: \"x\n").with_path("conf/app.sdn");
    assert_eq!(
        err.path()
            .map(|p| p.to_string_lossy().into_owned())
            .as_deref(),
        Some("conf/app.sdn")
    );
    insta::assert_snapshot!("with_path_and_tab", err.report().to_string());
}

fn limited(limits: Limits) -> ParseOptions {
    ParseOptions::default().with_limits(limits)
}

#[test]
fn limits_are_errors() {
    let size = sdn_codec::parse_with(
        "a: 12345\n",
        &limited(Limits::default().with_max_size(Some(4))),
    )
    .unwrap_err();
    assert_eq!(
        size.kind(),
        &ErrorKind::LimitExceeded { which: Limit::Size }
    );
    let string = sdn_codec::parse_with(
        "a: \"12345\"\n",
        &limited(Limits::default().with_max_string_len(Some(4))),
    )
    .unwrap_err();
    assert_eq!(
        string.kind(),
        &ErrorKind::LimitExceeded {
            which: Limit::StringLength
        }
    );
    let plain = sdn_codec::parse_with(
        "a: 12345x\n",
        &limited(Limits::default().with_max_string_len(Some(4))),
    )
    .unwrap_err();
    assert_eq!(
        plain.kind(),
        &ErrorKind::LimitExceeded {
            which: Limit::StringLength
        }
    );
    let cells = sdn_codec::parse_with(
        "t |a, b|\n    1, 2\n    3, 4\n",
        &limited(Limits::default().with_max_cells(Some(3))),
    )
    .unwrap_err();
    assert_eq!(
        cells.kind(),
        &ErrorKind::LimitExceeded {
            which: Limit::Cells
        }
    );
    assert_eq!(cells.line(), 3);
    insta::assert_snapshot!("limit_cells", cells.report().to_string());
}
