//! Finding the one-line rows of a document's tables without parsing their values.
//!
//! A three-way merge of two large replicas that each changed a few rows spends most of
//! its time parsing (and freeing) rows nobody changed. [`one_line_rows`] tells, from the
//! text's lines alone, which lines are rows of which top-level table, so a caller can
//! compare lines and parse only the rows that differ. It follows the parser's own
//! rules for where a row ends (quoted cells, plain cells, comments), and where a text
//! has a construct it does not follow exactly, it says so (`None`) instead of guessing.

use crate::byte_search::skip_to_any;
use crate::syntax::{
    CELL_SEPARATOR, comment_starts_at, is_key_char, leading_blanks, opens_inline, plain_cell_end,
    skip_blanks,
};

/// The rows of one top-level named table (`name |a, b|` and its indented rows).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableRowLines<'t> {
    /// The header line's index (lines counted as [`str::split_inclusive`] on `\n`).
    pub header_line: usize,
    /// The header line as written, line end included.
    pub header: &'t str,
    /// The indices of the lines that each hold one whole row, in order. A row whose
    /// quoted cell continues on later lines is not listed.
    pub rows: Vec<usize>,
    /// Where each line of `rows` starts in the text, in bytes.
    pub row_starts: Vec<usize>,
}

/// The one-line rows of every top-level named table of `text`, or `None` when the text
/// holds something this scan does not follow line by line:
///
/// - outside the rows of the tables it lists, a line whose content (before a comment)
///   has a `"`, `[` or `{` (a value that may continue on later lines), unless it is an
///   entry `key: "text"` whose quoted string closes on that line. Only tables
///   written `name |a, b|` with plain names and their rows below are listed: a row on
///   the header line, a typed table or a nested table is read as other lines are;
/// - in table rows, a cell opening an inline list or dict, rows indented differently
///   from the table's first row, or text that would not parse as cells;
/// - a byte-order mark or a carriage return anywhere.
///
/// A `Some` answer is exact for text the parser accepts: each listed line is one whole
/// row of that table, read in the table's context. (Text the parser rejects may give
/// any answer; parse what you keep to find out.)
///
/// ```
/// use sdn_codec::parse::one_line_rows;
///
/// let text = "# tasks\ntodos |id, title|\n    1, \"a, b\"\n    2, \"two\nlines\"\n    3, c\n";
/// let tables = one_line_rows(text).unwrap();
/// assert_eq!(tables[0].header, "todos |id, title|\n");
/// assert_eq!(tables[0].rows, [2, 5]); // row 2 spans lines 3 and 4
/// assert_eq!(&text[tables[0].row_starts[1]..], "    3, c\n");
/// assert!(one_line_rows("a: [1,\n    2]\n").is_none());
/// ```
pub fn one_line_rows(text: &str) -> Option<Vec<TableRowLines<'_>>> {
    if text.starts_with('\u{feff}') || text.contains('\r') {
        return None;
    }
    let mut tables: Vec<TableRowLines<'_>> = Vec::new();
    // The table whose rows the current lines are, with its rows' indentation.
    let mut table: Option<(usize, Option<&str>)> = None;
    // A quoted cell continued from an earlier line: the position to scan it from.
    let mut open_quote = false;
    let mut offset = 0;
    for (index, line) in text.split_inclusive('\n').enumerate() {
        let start = offset;
        offset += line.len();
        if open_quote {
            // The line continues a row: finish its quoted cell, then its other cells.
            open_quote = match closing_quote(text, start)? {
                None => true,
                Some(after) => !row_end(text, after, false)?,
            };
            continue;
        }
        let blanks = leading_blanks(line);
        let content = &line[blanks.len()..];
        if content.trim_end_matches('\n').is_empty() || content.starts_with('#') {
            continue;
        }
        if blanks.is_empty() {
            table = None;
            if let Some(header) = plain_table_header(line) {
                tables.push(TableRowLines {
                    header_line: index,
                    header,
                    rows: Vec::new(),
                    row_starts: Vec::new(),
                });
                table = Some((tables.len() - 1, None));
            } else if has_open_value(line) {
                return None;
            }
            continue;
        }
        let Some((at, indent)) = &mut table else {
            if has_open_value(line) {
                return None;
            }
            continue;
        };
        if *indent.get_or_insert(blanks) != blanks {
            return None;
        }
        match row_end(text, start + blanks.len(), true) {
            Some(true) => {
                tables[*at].rows.push(index);
                tables[*at].row_starts.push(start);
            }
            Some(false) => open_quote = true,
            None => return None,
        }
    }
    Some(tables)
}

/// `Some(header line)` when `line` is `name |a, b|` with a plain name, plain column
/// names and nothing after the closing `|` but blanks or a comment.
fn plain_table_header(line: &str) -> Option<&str> {
    let name_end = line.find(|c: char| !is_key_char(c))?;
    if name_end == 0 || line.starts_with('-') {
        return None;
    }
    let open = skip_blanks(line, name_end);
    let rest = line.get(open..)?.strip_prefix('|')?;
    let close = rest.find('|')?;
    let columns = &rest[..close];
    let plain_names = columns
        .split(',')
        .all(|name| name.trim_matches([' ', '\t']).chars().all(is_key_char));
    let after = open + 1 + close + 1;
    let tail = skip_blanks(line, after);
    let ends = matches!(line.as_bytes().get(tail), None | Some(b'\n'))
        || comment_starts_at(line.as_bytes(), tail);
    (plain_names && ends).then_some(line)
}

/// Whether a line outside table rows may open a value that continues on later lines: a
/// `key: "quoted"` entry whose string closes on the line does not; otherwise any `"`,
/// `[` or `{` before a comment may.
fn has_open_value(line: &str) -> bool {
    !is_one_line_entry(line) && has_opening_byte(line)
}

/// Whether `line` is an entry with a plain key whose value is plain or a quoted string
/// closed on this line (or absent): nothing of it continues on the next line.
fn is_one_line_entry(line: &str) -> bool {
    let body = line.trim_start_matches([' ', '\t']);
    let key_end = body.find(|c: char| !is_key_char(c)).unwrap_or(body.len());
    if key_end == 0 || body.starts_with('-') {
        return false;
    }
    let bytes = body.as_bytes();
    let after_key = skip_blanks(body, key_end);
    let value = match bytes.get(after_key) {
        Some(b':') if matches!(bytes.get(after_key + 1), None | Some(b' ' | b'\t' | b'\n')) => {
            skip_blanks(body, after_key + 1)
        }
        Some(b'=') => skip_blanks(body, after_key + 1),
        _ => return false,
    };
    match bytes.get(value) {
        Some(b'"') => match closing_quote(body, value + 1) {
            Some(Some(after)) => {
                let tail = skip_blanks(body, after);
                matches!(bytes.get(tail), None | Some(b'\n')) || comment_starts_at(bytes, tail)
            }
            _ => false,
        },
        Some(&b) => !opens_inline(b),
        None => true,
    }
}

/// Whether `line` holds, before any comment, a `"`, `[` or `{`.
fn has_opening_byte(line: &str) -> bool {
    let bytes = line.as_bytes();
    let mut i = 0;
    loop {
        i = skip_to_any(bytes, i, [b'"', b'[', b'{', b'#']);
        match bytes.get(i) {
            None => return false,
            Some(b'#') if comment_starts_at(bytes, i) => return false,
            Some(b'#') => i += 1,
            Some(_) => return true,
        }
    }
}

/// Scans a row from byte `pos` of `text` as the parser reads its cells (`at_cell`: `pos`
/// is at a cell's start, not right after one): `Some(true)` when the row ends on this
/// line, `Some(false)` when a quoted cell continues on the next line, `None` for a cell
/// this scan does not follow (an inline list or dict) or text the parser would reject.
fn row_end(text: &str, mut pos: usize, mut at_cell: bool) -> Option<bool> {
    let bytes = text.as_bytes();
    loop {
        if at_cell {
            let p = skip_blanks(text, pos);
            pos = match bytes.get(p) {
                Some(b'"') => match closing_quote(text, p + 1)? {
                    Some(after) => after,
                    None => return Some(false),
                },
                Some(&b) if opens_inline(b) => return None,
                _ => plain_cell_end(bytes, p),
            };
        }
        let q = skip_blanks(text, pos);
        match bytes.get(q) {
            Some(&CELL_SEPARATOR) => {
                pos = q + 1;
                at_cell = true;
            }
            None | Some(b'\n') => return Some(true),
            _ if comment_starts_at(bytes, q) => return Some(true),
            _ => return None,
        }
    }
}

/// Where a quoted string whose content starts at byte `pos` ends: `Some(Some(after the
/// closing quote))`, or `Some(None)` when it continues past this line. A backslash
/// escapes the byte after it, as in the parser.
fn closing_quote(text: &str, pos: usize) -> Option<Option<usize>> {
    let bytes = text.as_bytes();
    let mut i = pos;
    loop {
        i = skip_to_any(bytes, i, [b'"', b'\\', b'\n']);
        match bytes.get(i) {
            Some(b'"') => return Some(Some(i + 1)),
            Some(b'\\') => i += 2,
            Some(_) => return Some(None),
            // An unterminated quote: the parser rejects the text.
            None => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every listed row, parsed alone under its header, is one row; every row the
    /// parser finds on one line is listed.
    fn check_against_parser(text: &str) {
        let tables = one_line_rows(text).expect("scannable");
        let spanned = crate::parse::parse_spanned(text, &Default::default()).unwrap();
        let lines: Vec<&str> = text.split_inclusive('\n').collect();
        for table in &tables {
            let span = spanned
                .entries
                .iter()
                .find(|e| e.lines.start == table.header_line)
                .expect("the header is an entry");
            let one_line: Vec<usize> = span
                .rows
                .iter()
                .filter(|r| r.len() == 1)
                .map(|r| r.start)
                .collect();
            assert_eq!(table.rows, one_line, "{text}");
            assert_eq!(table.header, lines[table.header_line]);
            assert_eq!(table.row_starts.len(), table.rows.len());
            for (&row, &start) in table.rows.iter().zip(&table.row_starts) {
                assert!(text[start..].starts_with(lines[row]), "{text}");
                let before: usize = lines[..row].iter().map(|line| line.len()).sum();
                assert_eq!(start, before, "{text}");
            }
        }
    }

    /// A text of `blocks`: each a table (its row lines drawn from the list) or another
    /// kind of entry, with distinct names.
    fn text_of(blocks: &[(u8, Vec<&str>)]) -> String {
        let mut text = String::new();
        for (at, (kind, rows)) in blocks.iter().enumerate() {
            match kind {
                0..=2 => {
                    text.push_str(&format!("t{at} |a, b|\n"));
                    rows.iter().for_each(|row| text.push_str(row));
                }
                3 => text.push_str(&format!("d{at}:\n    e: 1\n    f: \"two\nlines\"\n")),
                6 => text.push_str(&format!(
                    "d{at}:\n    e = \"x\\\" # y\"  # z\n    f: [1, \"]\"]\n"
                )),
                4 => text.push_str(&format!("# note {at}\n\nk{at}: v\n")),
                _ => text.push_str(&format!("k{at}: \"s # x\"\n")),
            }
        }
        text
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4000))]

        /// On any text the parser accepts and the scan follows, the scan lists exactly
        /// the parser's one-line rows.
        #[test]
        fn agrees_with_the_parser(blocks in proptest::collection::vec(
            (0..7u8, proptest::collection::vec(proptest::sample::select(vec![
                "    1, x\n", "    2, \"p, q\"\n", "    3, \"open\nmore\"\n", "    4, \"a\n\nb\", c\n",
                "  5, y\n", "    # c\n", "\n", "# top\n", "    6, a#b # c\n",
                "    7, \"x\\\"\", z\n", "    8, \"#\", \"\\\\\"\n", "    9, [1]\n", "    \"10\", w\n",
                "    11,\n", "    12, \"q\"x\n",
            ]), 0..6)),
            0..5,
        )) {
            let text = text_of(&blocks);
            if one_line_rows(&text).is_some()
                && crate::parse::parse_spanned(&text, &Default::default()).is_ok()
            {
                check_against_parser(&text);
            }
        }
    }

    #[test]
    fn rows_comments_and_multi_line_cells() {
        check_against_parser(
            "# head\nnotes: plain # c\ntodos |id, t|\n    1, \"x # y\"  # note\n\n    # c\n    2, \"a\\\"\n b\"\n    3, plain#no-comment\nother |a|\n    \"q\"\n",
        );
    }

    #[test]
    fn what_it_does_not_follow() {
        for text in [
            "\u{feff}t |a|\n    1\n",
            "t |a|\r\n    1\r\n",
            "t |a|\n    [1]\n",
            "t |a|\n    1\n      2\n",
            "x: \"open\nt |a|\n",
            "x: \"closed\" trailing\nt |a|\n",
            "x: [1,\n 2]\nt |a|\n",
            "- \"item\"\n",
            "\"quoted key\": 1\n",
            "t |\"a\"|\n    1\n",
        ] {
            assert_eq!(one_line_rows(text), None, "{text:?}");
        }
        // Entries whose quoted value closes on its line are followed.
        let text = "meta:\n  schema: \"v3\"  # c\n  note = \"a \\\" b\"\nt |a|\n    1\n";
        check_against_parser(text);
        assert_eq!(one_line_rows(text).unwrap()[0].rows, [4]);
        // Not listed, but not refused: nothing in them can continue on another line.
        assert_eq!(one_line_rows("t |a| 1\n    2\n"), Some(Vec::new()));
        assert_eq!(one_line_rows("t: table{i64}\n    1\n"), Some(Vec::new()));
    }
}
