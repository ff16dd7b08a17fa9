//! Where things are in the text: line starts, the value after `key:`, the cells of a
//! row, the columns of a header. Built on the parser's own scanning functions, so an
//! editor finds exactly the spans the parser read.

use std::ops::Range;

use crate::error::{Error, ErrorKind};
use crate::parse::{ParseOptions, Parser};

/// Byte ranges of the lines of a text (without its byte-order mark), split like the
/// parser splits them: at `\n`, a `\r` before it belonging to the line end, plus a
/// last line when the text does not end with `\n`.
#[derive(Debug, Clone, Default)]
pub(super) struct Lines {
    /// `(start, content_end)` of each line; the line's terminator follows `content_end`.
    ranges: Vec<(usize, usize)>,
    len: usize,
}

use crate::syntax::{INDENT_STEP, line_ranges};

impl Lines {
    pub(super) fn new(text: &str) -> Lines {
        Lines {
            ranges: line_ranges(text),
            len: text.len(),
        }
    }

    /// Records that line `i`'s content (not its line end) is now `len` bytes long:
    /// the lines after it move by the difference.
    pub(super) fn set_line_len(&mut self, i: usize, len: usize) {
        let Some(&(start, end)) = self.ranges.get(i) else {
            return;
        };
        let old = end - start;
        self.ranges[i].1 = start + len;
        for range in &mut self.ranges[i + 1..] {
            *range = (range.0 - old + len, range.1 - old + len);
        }
        self.len = self.len - old + len;
    }

    /// The line that byte `offset` belongs to (its content or its line end); the last
    /// line for an offset past the end.
    pub(super) fn line_at(&self, offset: usize) -> usize {
        match self.ranges.binary_search_by(|range| range.0.cmp(&offset)) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        }
    }

    /// Number of lines.
    pub(super) fn count(&self) -> usize {
        self.ranges.len()
    }

    /// Offset where line `i` starts; the text's length for `i` past the last line.
    pub(super) fn start(&self, i: usize) -> usize {
        self.ranges.get(i).map_or(self.len, |r| r.0)
    }

    /// Offset where line `i`'s content ends (before its `\r\n` / `\n`).
    pub(super) fn content_end(&self, i: usize) -> usize {
        self.ranges.get(i).map_or(self.len, |r| r.1)
    }

    /// Byte range of whole lines `lines` including their terminators.
    pub(super) fn span(&self, lines: &Range<usize>) -> Range<usize> {
        self.start(lines.start)..self.start(lines.end)
    }
}

/// The value part of an entry line.
#[derive(Debug, Clone)]
pub(super) enum EntryValue {
    /// `key: value` / `key = value`: the value's bytes (empty at the position where a
    /// value would go when nothing follows the separator).
    Inline {
        separator: usize,
        value: Range<usize>,
    },
    /// `key |a, b|` or `key: table{...}`: a table header.
    TableHeader,
}

/// A parsed named-table header line.
#[derive(Debug, Clone)]
pub(super) struct HeaderSpans {
    /// Offset just after the last column name (before any blank and the closing `|`).
    pub(super) names_end: usize,
    /// The separator used between column names (`", "` or `","`).
    pub(super) separator: String,
    /// Offset after the closing `|` (where an inline row would start).
    pub(super) after: usize,
}

fn internal(message: impl Into<String>) -> Error {
    Error::new(
        ErrorKind::Unwritable,
        format!(
            "document layout does not match the parsed text: {}",
            message.into()
        ),
    )
}

/// Scanning helpers over a (valid, already parsed) text without byte-order mark.
pub(super) struct Scanner<'a> {
    parser: Parser<'a>,
    src: &'a str,
}

impl<'a> Scanner<'a> {
    pub(super) fn new(src: &'a str, options: &'a ParseOptions) -> Result<Self, Error> {
        Ok(Scanner {
            parser: Parser::new(src, options, false)?,
            src,
        })
    }

    /// Offset of the first non-blank character of line `line`.
    pub(super) fn first_non_blank(&self, lines: &Lines, line: usize) -> usize {
        self.parser.skip_blank(lines.start(line))
    }

    /// The value of the entry whose key starts line `line`.
    pub(super) fn entry_value(&mut self, lines: &Lines, line: usize) -> Result<EntryValue, Error> {
        let start = self.first_non_blank(lines, line);
        let head = self
            .parser
            .entry_head(start)
            .ok_or_else(|| internal(format!("no entry starts line {}", line + 1)))?;
        let separator = head.sep_pos;
        if self.src.as_bytes()[separator] == b'|' {
            return Ok(EntryValue::TableHeader);
        }
        let p = self.parser.skip_blank(separator + 1);
        if self.parser.at_line_end_or_comment(p) {
            return Ok(EntryValue::Inline {
                separator,
                value: p..p,
            });
        }
        if self.src[p..].starts_with("table{") {
            return Ok(EntryValue::TableHeader);
        }
        let end = self.value_end(p, false)?;
        Ok(EntryValue::Inline {
            separator,
            value: p..end,
        })
    }

    /// End of the value starting at `p`: a quoted string, an inline bracket, or plain
    /// text (to the next `,` for a cell, else to the line end or a comment), trimmed.
    fn value_end(&mut self, p: usize, cell: bool) -> Result<usize, Error> {
        match self.src.as_bytes().get(p) {
            Some(b'"') => Ok(self.parser.parse_quoted(p)?.1),
            Some(b'[' | b'{') => Ok(self.parser.parse_inline(p)?.1),
            _ => {
                let bytes = self.src.as_bytes();
                let ends_here = |i: usize| match bytes[i] {
                    b'\n' | b'\r' => true,
                    b',' => cell,
                    _ => self.parser.is_comment_at(i),
                };
                let mut i = p;
                while i < bytes.len() && !ends_here(i) {
                    i += 1;
                }
                // The parser trims all trailing whitespace off the value but accepts only
                // blanks (space, tab) after a quoted one: the span takes other trailing
                // whitespace (`\u{b}`, `\u{a0}`) with it, so any replacement parses.
                Ok(p + self.src[p..i].trim_end_matches([' ', '\t']).len())
            }
        }
    }

    /// Byte spans of the cells of the row starting at `pos` (each trimmed; an empty cell
    /// is an empty span where its text would go); `expected` of them as a rule.
    pub(super) fn cell_spans(
        &mut self,
        pos: usize,
        expected: usize,
    ) -> Result<Vec<Range<usize>>, Error> {
        let mut spans = Vec::with_capacity(expected);
        let mut p = self.parser.skip_blank(pos);
        loop {
            let end = self.value_end(p, true)?;
            spans.push(p..end);
            let q = self.parser.skip_blank(end);
            if self.src.as_bytes().get(q) == Some(&b',') {
                p = self.parser.skip_blank(q + 1);
            } else {
                return Ok(spans);
            }
        }
    }

    /// Spans of the named-table header on line `line`; `None` for a typed table.
    pub(super) fn named_header(
        &self,
        lines: &Lines,
        line: usize,
    ) -> Result<Option<HeaderSpans>, Error> {
        let start = self.first_non_blank(lines, line);
        let head = self
            .parser
            .entry_head(start)
            .ok_or_else(|| internal(format!("no table header on line {}", line + 1)))?;
        if self.src.as_bytes()[head.sep_pos] != b'|' {
            return Ok(None);
        }
        let (_, after) = self.parser.parse_column_names(head.sep_pos)?;
        let close = after - 1;
        let names = &self.src[head.sep_pos + 1..close];
        let names_end = head.sep_pos + 1 + names.trim_end().len();
        let separator = if names.contains(", ") || !names.contains(',') {
            ", "
        } else {
            ","
        };
        Ok(Some(HeaderSpans {
            names_end,
            separator: separator.to_owned(),
            after,
        }))
    }

    /// True when the typed table whose header is on line `line` writes its rows as
    /// `= [(...), ...]` rather than as indented lines.
    pub(super) fn is_tuple_table(&self, lines: &Lines, line: usize) -> Result<bool, Error> {
        let start = self.first_non_blank(lines, line);
        let head = self
            .parser
            .entry_head(start)
            .ok_or_else(|| internal(format!("no table header on line {}", line + 1)))?;
        if self.src.as_bytes()[head.sep_pos] == b'|' {
            return Ok(false);
        }
        let p = self.parser.skip_blank(head.sep_pos + 1);
        let (_, after) = self.parser.parse_column_types(p)?;
        let q = self.parser.skip_blank(after);
        Ok(self.src.as_bytes().get(q) == Some(&b'='))
    }
}

/// The line end the text uses: that of its first line, `\n` when it has none.
pub(super) fn line_ending(text: &str) -> &'static str {
    match text.find('\n') {
        Some(i) if i > 0 && text.as_bytes()[i - 1] == b'\r' => "\r\n",
        _ => "\n",
    }
}

/// Re-indents canonical text ([`INDENT`](crate::syntax::INDENT) per level, `\n` line ends) for insertion at
/// `base`, with `unit` per level and the given line end.
pub(super) fn reindent(canonical: &str, base: &str, unit: &str, eol: &str) -> String {
    let mut out = String::with_capacity(canonical.len() + 16);
    for line in canonical.lines() {
        let spaces = line.len() - line.trim_start_matches(' ').len();
        out.push_str(base);
        for _ in 0..spaces / INDENT_STEP {
            out.push_str(unit);
        }
        out.extend(std::iter::repeat_n(' ', spaces % INDENT_STEP));
        out.push_str(&line[spaces..]);
        out.push_str(eol);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_split_like_the_parser() {
        let l = Lines::new("a\r\nb\n\nc");
        assert_eq!(l.count(), 4);
        assert_eq!((l.start(0), l.content_end(0)), (0, 1));
        assert_eq!((l.start(1), l.content_end(1)), (3, 4));
        assert_eq!((l.start(2), l.content_end(2)), (5, 5));
        assert_eq!((l.start(3), l.content_end(3)), (6, 7));
        assert_eq!(l.start(4), 7);
        assert_eq!(l.span(&(1..3)), 3..6);
        assert_eq!(Lines::new("").count(), 0);
        assert_eq!(Lines::new("x\n").count(), 1);
    }

    #[test]
    fn reindent_maps_levels() {
        let canonical = "a:\n    b:\n        c: 1\n    - x: 1\n      y: 2\n";
        assert_eq!(
            reindent(canonical, "  ", "  ", "\r\n"),
            "  a:\r\n    b:\r\n      c: 1\r\n    - x: 1\r\n      y: 2\r\n"
        );
    }

    #[test]
    fn spans_of_values_and_cells() {
        let text = "k: \"a b\"  # c\nt |x, y |\n    1 , \"p, q\",\n";
        let options = ParseOptions::default();
        let lines = Lines::new(text);
        let mut s = Scanner::new(text, &options).unwrap();
        match s.entry_value(&lines, 0).unwrap() {
            EntryValue::Inline { value, .. } => assert_eq!(&text[value], "\"a b\""),
            other => panic!("{other:?}"),
        }
        let h = s.named_header(&lines, 1).unwrap().unwrap();
        assert_eq!(&text[lines.start(1)..h.names_end], "t |x, y");
        assert_eq!(h.separator, ", ");
        let row = s.first_non_blank(&lines, 2);
        let cells: Vec<&str> = s
            .cell_spans(row, 3)
            .unwrap()
            .into_iter()
            .map(|r| &text[r])
            .collect();
        assert_eq!(cells, ["1", "\"p, q\"", ""]);
    }
}
