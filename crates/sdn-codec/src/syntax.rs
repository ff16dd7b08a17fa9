//! The lexical rules of SDN that every reader and writer in this crate consults: which
//! characters make a plain key or a plain string, where a comment starts, how blanks
//! and indentation count, how a float is spelled, and the canonical layout (what goes
//! between a key and its value, between cells, how deep a level is indented, how a
//! table header is written). Each rule exists only here, so a change to the format is
//! one edit; the parser, the canonical writer, the serde routes, `format` and the
//! format-preserving document all use these functions and constants.
//!
//! This module depends on no other module of the crate but [`byte_search`](crate::byte_search).

use std::fmt::Write as _;

/// `text` without the spaces and tabs at its end: the only characters a plain value
/// loses (SPEC: every other character, Unicode whitespace included, is data).
#[inline]
pub(crate) fn trim_blank_end(text: &str) -> &str {
    text.trim_end_matches([' ', '\t'])
}

/// The spaces and tabs at the start of `line`: its indentation, as written.
#[inline]
pub(crate) fn leading_blanks(line: &str) -> &str {
    &line[..line.len() - line.trim_start_matches([' ', '\t']).len()]
}

/// The columns a tab counts for in indentation (a space counts for one).
pub(crate) const TAB_WIDTH: usize = 4;

/// The width of a run of blanks as the parser counts indentation: a tab is
/// [`TAB_WIDTH`] columns, a space 1.
#[inline]
pub(crate) fn indent_width(blanks: &str) -> usize {
    blanks
        .bytes()
        .map(|b| if b == b'\t' { TAB_WIDTH } else { 1 })
        .sum()
}

/// The offset of the first byte at or after `pos` of `text` that is not a space or tab.
#[inline]
pub(crate) fn skip_blanks(text: &str, mut pos: usize) -> usize {
    let bytes = text.as_bytes();
    while pos < bytes.len() && matches!(bytes[pos], b' ' | b'\t') {
        pos += 1;
    }
    pos
}

/// The part of `rest` (the rest of a line after a `key:`) before a comment: a `#` that
/// [`comment_starts_at`], except right at the start (after the `:`, it is data).
#[inline]
pub(crate) fn before_comment(rest: &str) -> &str {
    let bytes = rest.as_bytes();
    let end = (1..bytes.len())
        .find(|&i| comment_starts_at(bytes, i))
        .unwrap_or(bytes.len());
    &rest[..end]
}

/// Characters allowed in a plain key (SPEC §3).
#[inline]
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
#[inline]
pub fn is_valid_plain_key(key: &str) -> bool {
    !key.is_empty() && !key.starts_with('-') && key.chars().all(is_key_char)
}

/// True at a `#` that starts a comment inside a text: first on its line, or after a
/// space or tab (SPEC §2). The rule the parser and the text deserializer share.
#[inline]
pub(crate) fn comment_starts_at(bytes: &[u8], pos: usize) -> bool {
    bytes.get(pos) == Some(&b'#') && (pos == 0 || matches!(bytes[pos - 1], b' ' | b'\t' | b'\n'))
}

/// What separates the cells of a table row (and the items of an inline list or dict).
pub(crate) const CELL_SEPARATOR: u8 = b',';

/// True for a byte that opens an inline list or dict (`[`, `{`): a value or cell that
/// starts with one is not a plain scalar.
#[inline]
pub(crate) fn opens_inline(byte: u8) -> bool {
    matches!(byte, b'[' | b'{')
}

/// The end of a plain (unquoted) table cell starting at byte `pos`: the next
/// [`CELL_SEPARATOR`], line end or comment. The rule the parser and the text
/// deserializer share.
pub(crate) fn plain_cell_end(bytes: &[u8], pos: usize) -> usize {
    let mut i = pos;
    loop {
        i = crate::byte_search::skip_to_any(bytes, i, [CELL_SEPARATOR, b'\n', b'\r', b'#']);
        if bytes.get(i) != Some(&b'#') || comment_starts_at(bytes, i) {
            return i;
        }
        i += 1;
    }
}

/// True at the end of a line's content at byte `pos` of `text`: the end of the text, a
/// line end, or a comment ([`comment_starts_at`]).
#[inline]
pub(crate) fn at_line_end_or_comment(text: &str, pos: usize) -> bool {
    let bytes = text.as_bytes();
    matches!(bytes.get(pos), None | Some(b'\n' | b'\r')) || comment_starts_at(bytes, pos)
}

/// True when the `#` at byte `pos` of `line` starts a comment: it is the first
/// non-blank character or follows a space or tab (the parser's rule, applied to one
/// line).
#[inline]
pub fn is_comment_start(line: &str, pos: usize) -> bool {
    comment_starts_at(line.as_bytes(), pos)
        || (line.as_bytes().get(pos) == Some(&b'#') && line[..pos].trim().is_empty())
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

/// Bytes allowed after the first in a plain string: ASCII letters, digits, `_./#-`.
static PLAIN_STRING_TAIL: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'/' | b'#' | b'-');
        b += 1;
    }
    table
};

/// True when `s` can be written without quotes and reads back as the same string:
/// it matches `[A-Za-z_][A-Za-z0-9_./#-]*` and is not `true`, `false`, `null`, `nil` or
/// `table`.
///
/// ```
/// use sdn_codec::write::is_plain_string_safe;
/// assert!(is_plain_string_safe("doc/a.md#intro") && is_plain_string_safe("_x"));
/// assert!(!is_plain_string_safe("007") && !is_plain_string_safe("nil") && !is_plain_string_safe("é"));
/// ```
#[inline]
pub fn is_plain_string_safe(s: &str) -> bool {
    // On bytes: every byte of a non-ASCII character is outside the table.
    let bytes = s.as_bytes();
    match bytes.first() {
        Some(b) if b.is_ascii_alphabetic() || *b == b'_' => {}
        _ => return false,
    }
    bytes[1..]
        .iter()
        .all(|&b| PLAIN_STRING_TAIL[usize::from(b)])
        && !(matches!(bytes[0], b't' | b'f' | b'n')
            && matches!(s, "true" | "false" | "null" | "nil" | "table"))
}

/// The one-letter escapes of quoted strings (SPEC §4): each character and the letter
/// written after the backslash. Any other control character is written `\u{..}`; any
/// other backslash pair in a literal reads as written.
const LETTER_ESCAPES: [(char, u8); 5] = [
    ('\n', b'n'),
    ('\t', b't'),
    ('\r', b'r'),
    ('\\', b'\\'),
    ('"', b'"'),
];

/// The character a one-letter escape `\letter` stands for; `None` for any other letter.
#[inline]
pub(crate) fn unescape_letter(letter: u8) -> Option<char> {
    LETTER_ESCAPES
        .iter()
        .find(|(_, l)| *l == letter)
        .map(|(c, _)| *c)
}

/// Bytes that may start a character [`push_quoted`] escapes: `\\`, `"`, ASCII control
/// characters, and `0xC2` (the lead byte of the C1 controls U+0080..U+009F).
static MAY_ESCAPE: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        table[b] = true;
        b += 1;
    }
    table[b'\\' as usize] = true;
    table[b'"' as usize] = true;
    table[0x7f] = true;
    table[0xc2] = true;
    table
};

/// True when [`push_quoted`] would escape something in `bytes`. Skips eight bytes at a
/// time while none of them can need it (word tests that never miss a byte; a possible
/// hit is then checked byte by byte).
#[inline]
fn needs_escape(bytes: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let has = |word: u64, byte: u8| {
        let y = word ^ (ONES * u64::from(byte));
        y.wrapping_sub(ONES) & !y & HIGHS
    };
    let mut start = 0;
    while let Some(chunk) = bytes.get(start..start + 8) {
        let Ok(chunk) = <[u8; 8]>::try_from(chunk) else {
            break;
        };
        let word = u64::from_le_bytes(chunk);
        let below_space = word.wrapping_sub(ONES * 0x20) & !word & HIGHS;
        if below_space | has(word, b'"') | has(word, b'\\') | has(word, 0x7f) | has(word, 0xc2) != 0
        {
            break;
        }
        start += 8;
    }
    (start..bytes.len()).any(|i| {
        let b = bytes[i];
        MAY_ESCAPE[usize::from(b)] && (b != 0xc2 || matches!(bytes.get(i + 1), Some(0x80..=0x9f)))
    })
}

/// Appends `s` as a double-quoted literal: the [`LETTER_ESCAPES`], other control
/// characters as `\u{..}` (uppercase hex), everything else as is.
#[inline]
pub(crate) fn push_quoted(out: &mut String, s: &str) {
    out.reserve(s.len() + 2);
    out.push('"');
    if !needs_escape(s.as_bytes()) {
        out.push_str(s);
        out.push('"');
        return;
    }
    let mut run = 0;
    for (i, c) in s.char_indices() {
        let letter = LETTER_ESCAPES
            .iter()
            .find(|(e, _)| *e == c)
            .map(|(_, l)| *l);
        if letter.is_none() && !c.is_control() {
            continue;
        }
        out.push_str(&s[run..i]);
        match letter {
            Some(letter) => {
                out.push('\\');
                out.push(char::from(letter));
            }
            None => {
                // Writing to a `String` cannot fail.
                let _ = write!(out, "\\u{{{:X}}}", c as u32);
            }
        }
        run = i + c.len_utf8();
    }
    out.push_str(&s[run..]);
    out.push('"');
}

/// Appends a string value as every writer spells it: plain when
/// [`is_plain_string_safe`], else quoted ([`push_quoted`]).
#[inline]
pub(crate) fn push_string(out: &mut String, s: &str) {
    if is_plain_string_safe(s) {
        out.push_str(s);
    } else {
        push_quoted(out, s);
    }
}

/// Canonical layout: between a key and its value (`key: value`).
pub(crate) const KEY_VALUE: &str = ": ";

/// Canonical layout: between the cells of a row, the names of a table header and the
/// items of an inline array or dict.
pub(crate) const SEPARATOR: &str = ", ";

/// Canonical layout: the indentation one nesting level adds.
pub(crate) const INDENT: &str = "    ";

/// Canonical layout: [`INDENT`]'s width in columns.
pub(crate) const INDENT_STEP: usize = INDENT.len();

/// Canonical layout: the marker before an item of an array block (`- item`).
pub(crate) const ITEM_MARKER: &str = "- ";

/// Canonical layout: a named table's header, `key |a, b|`, from a key and column names
/// already written as keys (without indentation or line end).
pub(crate) fn push_table_header<S: AsRef<str>>(
    out: &mut String,
    key: &str,
    columns: impl IntoIterator<Item = S>,
) {
    out.push_str(key);
    out.push_str(" |");
    for (i, column) in columns.into_iter().enumerate() {
        if i > 0 {
            out.push_str(SEPARATOR);
        }
        out.push_str(column.as_ref());
    }
    out.push('|');
}

/// Appends an integer in decimal (the one spelling writers use), without the
/// formatting machinery.
#[inline]
pub(crate) fn push_int(out: &mut String, i: i64) {
    let mut digits = [0u8; 20];
    let mut n = i.unsigned_abs();
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if i < 0 {
        out.push('-');
    }
    for &d in &digits[at..] {
        out.push(char::from(d));
    }
}

/// `(start, content_end)` of each line of `text`: split at `\n`, a `\r` right before it
/// belonging to the line end, plus a last line when the text does not end with `\n`.
/// The one line splitting of the crate: the parser, the format-preserving document and
/// `format` all see the same lines.
pub(crate) fn line_ranges(text: &str) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    // Counted first (a vectorized loop) so the table of lines is allocated once.
    let mut lines = Vec::with_capacity(crate::byte_search::count_byte(bytes, b'\n') + 1);
    let mut start = 0;
    while let Some(len) = text[start..].find('\n') {
        let i = start + len;
        let end = if i > start && bytes[i - 1] == b'\r' {
            i - 1
        } else {
            i
        };
        lines.push((start, end));
        start = i + 1;
    }
    if start < bytes.len() {
        lines.push((start, bytes.len()));
    }
    lines
}
