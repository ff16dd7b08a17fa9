use super::*;
use crate::value::ScalarKind;

fn canonical(kind: &ScalarKind) -> String {
    crate::write::format_scalar(kind).unwrap_or_default()
}

/// The string rules as first written, character by character (SPEC §4 and §8): the
/// oracle for the byte-table rules in `crate::syntax` that every writer now shares.
fn plain_by_chars(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '/' | '#' | '-'))
        && !matches!(s, "true" | "false" | "null" | "nil" | "table")
}

fn spelled_by_chars(s: &str) -> String {
    if plain_by_chars(s) {
        return s.to_owned();
    }
    let mut out = String::from('"');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:X}}}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[test]
fn strings_are_spelled_like_the_canonical_writer() {
    for s in [
        "",
        "plain",
        "a b",
        "007",
        "true",
        "table",
        "\"q\"",
        "a\\b",
        "line\nbreak",
        "\t",
        "\r",
        "\u{7}",
        "\u{1b}[0m",
        "é✓😀",
        "doc/a.md#x",
        "-x",
        "_x",
        "x,y",
        "\u{85}",
        "\u{9f}",
        "\u{a0}",
        "\u{7f}",
        "nil",
        "null",
        "Table",
        "a\u{85}b",
        "\u{2028}",
        "x\u{0}",
    ] {
        let mut out = String::new();
        push_string(&mut out, s);
        assert_eq!(out, canonical(&ScalarKind::String(s.to_owned())), "{s:?}");
        assert_eq!(out, spelled_by_chars(s), "{s:?}");
        assert_eq!(
            crate::write::is_plain_string_safe(s),
            plain_by_chars(s),
            "{s:?}"
        );
    }
    // Every byte position of longer strings (the word-at-a-time skip).
    for special in ["\"", "\\", "\n", "\u{1}", "\u{7f}", "\u{85}", "§", "é", "x"] {
        for at in 0..20 {
            let s = format!("{}{special}{}", "a".repeat(at), "b".repeat(20 - at));
            let mut out = String::new();
            push_string(&mut out, &s);
            assert_eq!(out, canonical(&ScalarKind::String(s.clone())), "{s:?}");
            assert_eq!(out, spelled_by_chars(&s), "{s:?}");
        }
    }
    for f in [0.0, -0.0, 1.0, 0.1, 1e300, 1e-300, 123456789.125] {
        let mut out = String::new();
        push_float(&mut out, f).unwrap();
        assert_eq!(out, canonical(&ScalarKind::Float(f)));
    }
    for i in [0, 7, -1, 10, -10, 1234567890, i64::MAX, i64::MIN] {
        let mut out = String::new();
        push_int(&mut out, i);
        assert_eq!(out, canonical(&ScalarKind::Int(i)));
    }
}
