//! Formatting SDN text into canonical form while keeping what people wrote: comments,
//! single blank lines, and the spelling of every number (what `sdn fmt` does).
//!
//! The layout rules (see the [`spec`](crate::spec) module, "Canonical form"):
//!
//! - entries at column 0, each nesting level 4 spaces deeper, LF line ends, no
//!   byte-order mark, `key: value` with one space, table cells separated by `, `;
//! - a value written inline in the source (`key: [..]`, `key: {..}`, on one line or
//!   several) stays inline, on one line; a block stays a block; each item of an array
//!   block is written inline after `- `; a row written on its table's header line moves
//!   to a line of its own;
//! - a comment on its own line stays on its own line, indented like the entry, item or
//!   row that follows it (or, after the last line of a block, like that block's lines
//!   when it was indented like them); a comment after a value stays after it, separated
//!   by one space; a comment inside a value that is now written on one line (a
//!   multi-line inline array, say) moves to its own line just before that value;
//! - a run of blank lines becomes one blank line; blank lines at the start of the file,
//!   right after a line that opens a block, and at the end of the file are dropped;
//! - a scalar keeps its source spelling (`1.10`, `007`, `1_000_000`, `1E5`, `nil`, a
//!   quoted string's escapes) unless [`FormatOptions::keep_spelling`] is off; plain
//!   strings are quoted when the canonical writer would quote them.
//!
//! The result is checked before it is returned: it must parse to the identical value
//! ([`Value::is_identical`]) and hold the same number of comments, or formatting fails
//! with [`ErrorKind::Unwritable`].
//!
//! ```
//! let text = "# settings\nversion:   1.10   # keep the zero\n\n\n\nports: [ 80,\n  # tls\n  443 ]\n";
//! let formatted = sdn_codec::format(text)?;
//! assert_eq!(formatted, "# settings\nversion: 1.10 # keep the zero\n\n# tls\nports: [80, 443]\n");
//! assert_eq!(sdn_codec::format(&formatted)?, formatted); // canonical text is a fixed point
//! # Ok::<(), sdn_codec::Error>(())
//! ```

use std::ops::Range;

use crate::canonical_writer::{
    Spelling, format_inline_spelled, format_key, format_row_spelled, format_table_header,
    map_to_string_spelled,
};
use crate::error::{Error, ErrorKind};
use crate::parse::{EntrySpan, ParseOptions, parse_with_comments};
use crate::syntax::{INDENT_STEP, ITEM_MARKER, indent_width, leading_blanks};
use crate::value::{Map, Value, maps_identical};

/// What [`format_with`] keeps. The default keeps comments, blank lines and spellings.
///
/// ```
/// use sdn_codec::FormatOptions;
/// let text = "n: 007   # agent\n";
/// assert_eq!(sdn_codec::format_with(text, &FormatOptions::default())?, "n: 007 # agent\n");
/// let bare = FormatOptions::default().keep_comments(false).keep_spelling(false);
/// assert_eq!(sdn_codec::format_with(text, &bare)?, "n: 7\n");
/// # Ok::<(), sdn_codec::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FormatOptions {
    /// Keep comments and single blank lines (default `true`). Off, every comment and
    /// blank line is dropped.
    pub keep_comments: bool,
    /// Keep each scalar's source spelling (default `true`). Off, numbers, booleans,
    /// nulls and strings are written the canonical writer's way (`1.10` becomes `1.1`).
    pub keep_spelling: bool,
}

impl Default for FormatOptions {
    fn default() -> Self {
        FormatOptions {
            keep_comments: true,
            keep_spelling: true,
        }
    }
}

impl FormatOptions {
    /// These options with [`FormatOptions::keep_comments`] set to `keep`.
    pub fn keep_comments(mut self, keep: bool) -> Self {
        self.keep_comments = keep;
        self
    }

    /// These options with [`FormatOptions::keep_spelling`] set to `keep`.
    pub fn keep_spelling(mut self, keep: bool) -> Self {
        self.keep_spelling = keep;
        self
    }
}

/// Formats `text` with the default [`FormatOptions`] (comments, blank lines and
/// spellings kept). Fails exactly when [`crate::parse()`] fails.
pub fn format(text: &str) -> Result<String, Error> {
    format_with(text, &FormatOptions::default())
}

/// Formats `text` into canonical form (see the module documentation).
pub fn format_with(text: &str, options: &FormatOptions) -> Result<String, Error> {
    let parse_options = ParseOptions::default();
    let (spanned, comments) = parse_with_comments(text, &parse_options, true)?;
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut f = Formatter::new(body, &comments, options);
    f.block(&spanned.entries, &spanned.value, 0, 0, None)?;
    let end = f.lines.len();
    let (last_indent, inner) = spanned.entries.last().map_or((0, None), |s| {
        (f.source_indent(s.lines.start), opens_block(s).then_some(4))
    });
    f.gap(
        f.after_last(&spanned.entries, 0)..end,
        0,
        inner,
        last_indent,
    )?;
    let out = f.out;

    // The promise: same data, same comments. Anything else is a bug, reported as such.
    let (again, out_comments) = parse_with_comments(&out, &parse_options, true).map_err(|e| {
        unwritable(format!(
            "formatting produced text that does not parse ({} at line {})",
            e.message(),
            e.line()
        ))
    })?;
    if !maps_identical(&again.value, &spanned.value) {
        return Err(unwritable(
            "formatting would change the data (internal error); nothing was written",
        ));
    }
    if options.keep_comments && out_comments.len() != comments.len() {
        return Err(unwritable(format!(
            "formatting would keep {} of the {} comments (internal error); nothing was written",
            out_comments.len(),
            comments.len()
        )));
    }
    Ok(out)
}

/// True when the entry's value was written as a block (nested entries, items or rows).
fn opens_block(span: &EntrySpan) -> bool {
    !(span.children.is_empty() && span.items.is_empty() && span.rows.is_empty())
}

fn unwritable(message: impl Into<std::borrow::Cow<'static, str>>) -> Error {
    Error::new(ErrorKind::Unwritable, message)
}

struct Formatter<'a> {
    src: &'a str,
    /// (start, end) of each line, without its line end.
    lines: Vec<(usize, usize)>,
    /// Per line: the byte offset of the comment on it, if any.
    comment: Vec<Option<usize>>,
    keep_comments: bool,
    spelling: Spelling,
    out: String,
    /// A blank line is owed before the next line written.
    pending_blank: bool,
    /// The last line written opens a block (`key:`, a table header).
    opened_block: bool,
}

impl<'a> Formatter<'a> {
    fn new(src: &'a str, comments: &[usize], options: &FormatOptions) -> Self {
        let lines = crate::syntax::line_ranges(src);
        let mut comment = vec![None; lines.len()];
        let mut line = 0;
        for &pos in comments {
            while line + 1 < lines.len() && lines[line + 1].0 <= pos {
                line += 1;
            }
            if let Some(slot) = comment.get_mut(line) {
                *slot = Some(pos);
            }
        }
        Formatter {
            src,
            lines,
            comment,
            keep_comments: options.keep_comments,
            spelling: if options.keep_spelling {
                Spelling::Source
            } else {
                Spelling::Canonical
            },
            out: String::new(),
            pending_blank: false,
            opened_block: false,
        }
    }

    fn text(&self, line: usize) -> &'a str {
        let (s, e) = self.lines[line];
        &self.src[s..e]
    }

    fn source_indent(&self, line: usize) -> usize {
        indent_width(leading_blanks(self.text(line)))
    }

    /// The comment on `line` (from `#`, trailing blanks dropped), when comments are kept.
    fn comment_of(&self, line: usize) -> Option<&'a str> {
        if !self.keep_comments {
            return None;
        }
        let pos = self.comment.get(line).copied().flatten()?;
        let end = self.lines[line].1;
        Some(self.src[pos..end].trim_end_matches([' ', '\t']))
    }

    /// `text` followed by the comment on `line`, if any.
    fn with_comment(&self, text: String, line: usize) -> String {
        match self.comment_of(line) {
            Some(c) => format!("{text} {c}"),
            None => text,
        }
    }

    fn emit(&mut self, indent: usize, text: &str) {
        if self.pending_blank && !self.out.is_empty() && !self.opened_block {
            self.out.push('\n');
        }
        self.pending_blank = false;
        self.out.extend(std::iter::repeat_n(' ', indent));
        self.out.push_str(text);
        self.out.push('\n');
        self.opened_block = false;
    }

    fn emit_opener(&mut self, indent: usize, text: &str) {
        self.emit(indent, text);
        self.opened_block = true;
    }

    /// Lines between entries: blank lines (one kept) and comment lines. A comment line
    /// indented deeper than the entries of this level (`level_indent`, as written) goes
    /// to `inner` when the entry before it opened a block.
    fn gap(
        &mut self,
        lines: Range<usize>,
        indent: usize,
        inner: Option<usize>,
        level_indent: usize,
    ) -> Result<(), Error> {
        for line in lines {
            if self.text(line).trim_matches([' ', '\t']).is_empty() {
                self.pending_blank |= self.keep_comments;
                continue;
            }
            if self.comment.get(line).copied().flatten().is_none() {
                return Err(unwritable(format!(
                    "line {} belongs to no entry (internal error); nothing was written",
                    line + 1
                )));
            }
            if let Some(c) = self.comment_of(line) {
                let at = match inner {
                    Some(inner) if self.source_indent(line) > level_indent => inner,
                    _ => indent,
                };
                self.emit(at, c);
            }
        }
        Ok(())
    }

    /// Comments on lines `lines` of a value now written on one line: each on its own
    /// line at `indent`, before the value.
    fn hoist(&mut self, lines: Range<usize>, indent: usize) {
        for line in lines {
            if let Some(c) = self.comment_of(line) {
                self.emit(indent, c);
            }
        }
    }

    /// The line after the last of `spans`, or `from` when there are none.
    fn after_last(&self, spans: &[EntrySpan], from: usize) -> usize {
        spans.last().map_or(from, |s| s.lines.end)
    }

    /// The entries of one dict block, at `indent`; the block's lines start at `from`.
    fn block(
        &mut self,
        spans: &[EntrySpan],
        map: &Map,
        indent: usize,
        from: usize,
        level: Option<usize>,
    ) -> Result<(), Error> {
        let mut previous_end = from;
        let mut previous_opened = false;
        for (span, (key, value)) in spans.iter().zip(map.iter()) {
            let level_indent = level.unwrap_or_else(|| self.source_indent(span.lines.start));
            let inner = previous_opened.then_some(indent + INDENT_STEP);
            self.gap(previous_end..span.lines.start, indent, inner, level_indent)?;
            self.entry(span, key, value, indent)?;
            previous_end = span.lines.end;
            previous_opened = opens_block(span);
        }
        Ok(())
    }

    fn entry(
        &mut self,
        span: &EntrySpan,
        key: &str,
        value: &Value,
        indent: usize,
    ) -> Result<(), Error> {
        let first = span.lines.start;
        let k = format_key(key);
        match value {
            Value::Table(table) if !span.rows.is_empty() => {
                let header = format_table_header(key, table)?;
                let header = self.with_comment(header, first);
                self.emit_opener(indent, &header);
                let mut previous_end = first + 1;
                for (row_span, row) in span.rows.iter().zip(&table.rows) {
                    let text = format_row_spelled(table, row, self.spelling)?;
                    if row_span.start == first {
                        // A row on the header line: its comment went with the header.
                        self.emit(indent + INDENT_STEP, &text);
                        continue;
                    }
                    let level = self.source_indent(row_span.start);
                    self.gap(
                        previous_end..row_span.start,
                        indent + INDENT_STEP,
                        None,
                        level,
                    )?;
                    self.hoist(row_span.start + 1..row_span.end, indent + INDENT_STEP);
                    let text = self.with_comment(text, row_span.start);
                    self.emit(indent + INDENT_STEP, &text);
                    previous_end = row_span.end;
                }
            }
            Value::Dict(map) if !span.children.is_empty() => {
                let text = self.with_comment(format!("{k}:"), first);
                self.emit_opener(indent, &text);
                self.block(&span.children, map, indent + INDENT_STEP, first + 1, None)?;
            }
            Value::Array(items) if !span.items.is_empty() => {
                let text = self.with_comment(format!("{k}:"), first);
                self.emit_opener(indent, &text);
                let mut previous_end = first + 1;
                for (item_span, item) in span.items.iter().zip(items) {
                    let level = self.source_indent(item_span.start);
                    self.gap(
                        previous_end..item_span.start,
                        indent + INDENT_STEP,
                        None,
                        level,
                    )?;
                    self.item(item_span, item, indent + INDENT_STEP)?;
                    previous_end = item_span.end;
                }
            }
            Value::Table(_) => {
                // A table with no row lines (no rows, or `= [(..)]` tuples): the
                // writer's lines.
                self.hoist(first + 1..span.lines.end, indent);
                let mut one = Map::new();
                one.insert(key, value.clone());
                let written = map_to_string_spelled(&one, self.spelling)?;
                for (i, line) in written.lines().enumerate() {
                    let text = if i == 0 {
                        self.with_comment(line.to_owned(), first)
                    } else {
                        line.to_owned()
                    };
                    self.emit(indent, &text);
                }
            }
            _ => {
                self.hoist(first + 1..span.lines.end, indent);
                let text = format!("{k}: {}", format_inline_spelled(value, self.spelling)?);
                let text = self.with_comment(text, first);
                self.emit(indent, &text);
            }
        }
        Ok(())
    }

    /// One item of an array block: `- ` and the item inline. A dict holding a table has
    /// no inline form and keeps the writer's block form.
    fn item(&mut self, lines: &Range<usize>, item: &Value, indent: usize) -> Result<(), Error> {
        self.hoist(lines.start + 1..lines.end, indent);
        match format_inline_spelled(item, self.spelling) {
            Ok(text) => {
                let text = self.with_comment(format!("{ITEM_MARKER}{text}"), lines.start);
                self.emit(indent, &text);
            }
            Err(_) => {
                let mut one = Map::new();
                one.insert("-", Value::Array(vec![item.clone()]));
                let written = map_to_string_spelled(&one, self.spelling)?;
                for (i, line) in written.lines().skip(1).enumerate() {
                    let line = &line[4..];
                    let text = if i == 0 {
                        self.with_comment(line.to_owned(), lines.start)
                    } else {
                        line.to_owned()
                    };
                    self.emit(indent, &text);
                }
            }
        }
        Ok(())
    }
}
