//! The lexical rules of SDN that every reader and writer in this crate consults: which
//! characters make a plain key or a plain string, where a comment starts, how blanks
//! and indentation count, and how a float is spelled. Each rule exists only here, so a
//! change to the format is one edit; the parser, the canonical writer, the serde routes
//! and the format-preserving document all call these functions.
//!
//! This module depends on no other module of the crate.

/// `text` without the spaces and tabs at its end: the only characters a plain value
/// loses (SPEC: every other character, Unicode whitespace included, is data).
pub(crate) fn trim_blank_end(text: &str) -> &str {
    text.trim_end_matches([' ', '\t'])
}

/// The spaces and tabs at the start of `line`: its indentation, as written.
pub(crate) fn leading_blanks(line: &str) -> &str {
    &line[..line.len() - line.trim_start_matches([' ', '\t']).len()]
}

/// The width of a run of blanks as the parser counts indentation: a tab is 4 columns,
/// a space 1.
pub(crate) fn indent_width(blanks: &str) -> usize {
    blanks.bytes().map(|b| if b == b'\t' { 4 } else { 1 }).sum()
}

/// The part of `rest` (the text after a `key:`) before a comment: a `#` after a space
/// or a tab.
pub(crate) fn before_comment(rest: &str) -> &str {
    let bytes = rest.as_bytes();
    let end = (1..bytes.len())
        .find(|&i| bytes[i] == b'#' && matches!(bytes[i - 1], b' ' | b'\t'))
        .unwrap_or(bytes.len());
    &rest[..end]
}

/// Characters allowed in a plain key (SPEC §3).
pub(crate) fn is_key_char(c: char) -> bool {
    !c.is_whitespace()
        && !matches!(
            c,
            ':' | '=' | '|' | ',' | '[' | ']' | '{' | '}' | '(' | ')' | '"' | '#'
        )
}

/// True when `key` can be written without quotes: non-empty, no whitespace and none of
/// ``: = | , [ ] { } ( ) " #``, and not starting with `-` (a list marker).
///
/// ```
/// use sdn_codec::parse::is_valid_plain_key;
/// assert!(is_valid_plain_key("lib.crypto") && is_valid_plain_key("302918736704"));
/// assert!(!is_valid_plain_key("a b") && !is_valid_plain_key("") && !is_valid_plain_key("x:y"));
/// ```
pub fn is_valid_plain_key(key: &str) -> bool {
    !key.is_empty() && !key.starts_with('-') && key.chars().all(is_key_char)
}

/// True when the `#` at byte `pos` of `line` starts a comment: it is the first
/// non-blank character or follows a space or tab.
pub fn is_comment_start(line: &str, pos: usize) -> bool {
    line.as_bytes().get(pos) == Some(&b'#')
        && (pos == 0
            || matches!(line.as_bytes()[pos - 1], b' ' | b'\t')
            || line[..pos].trim().is_empty())
}

/// Shortest text that reads back as exactly `f`, always with a `.` or an exponent;
/// `None` for non-finite floats.
///
/// ```
/// use sdn_codec::write::format_float;
/// assert_eq!(format_float(3.0).as_deref(), Some("3.0"));
/// assert_eq!(format_float(1e300).as_deref(), Some("1e300"));
/// assert_eq!(format_float(f64::NAN), None);
/// ```
pub fn format_float(f: f64) -> Option<String> {
    if !f.is_finite() {
        return None;
    }
    // `{:?}` prints the shortest representation that round-trips, and for finite
    // floats always includes a `.` or an exponent (`1.0`, `1e16`, `1e-7`).
    let text = format!("{f:?}");
    if text.contains(['.', 'e', 'E']) {
        Some(text)
    } else {
        Some(format!("{text}.0"))
    }
}

/// True when `s` can be written without quotes and reads back as the same string:
/// it matches `[A-Za-z_][A-Za-z0-9_./#-]*` and is not `true`, `false`, `null`, `nil` or
/// `table`.
pub fn is_plain_string_safe(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '/' | '#' | '-'))
        && !matches!(s, "true" | "false" | "null" | "nil" | "table")
}
