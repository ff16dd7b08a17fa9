//! Parsing SDN text (SPEC §2–§7) into a [`Value`], with limits and line/column errors.
//!
//! Entry points: [`parse`], [`parse_with`], [`parse_map_with`], [`parse_slice`],
//! [`parse_slice_with`], [`from_path`], and [`parse_spanned`] (values plus the line
//! ranges they came from, for format-preserving editors).
//!
//! Building blocks for code that edits SDN text line by line (the format-preserving
//! document, the CLI): [`parse_scalar_text`], [`parse_value_text`], [`split_cells`],
//! [`parse_table_header`], [`is_valid_plain_key`], [`is_comment_start`],
//! [`decode_quoted`]. Their positions in errors are relative to the text passed in.
//! [`one_line_rows`] finds which lines are whole rows of which table without parsing
//! values, for code that compares versions of a file line by line.

mod block;
mod row_lines;
mod scan;
mod spans;

use std::path::Path;

use crate::error::{Error, ErrorKind, Limit};
use crate::syntax::TAB_WIDTH;
use crate::value::{Column, Map, ScalarKind, Value};

pub use crate::syntax::{is_comment_start, is_valid_plain_key};
pub use row_lines::{TableRowLines, one_line_rows};
pub use spans::{EntrySpan, Spanned, TableHeader};

/// Bounds for untrusted input (SPEC §10). Exceeding one is an
/// [`ErrorKind::LimitExceeded`] error.
///
/// ```
/// use sdn_codec::{ErrorKind, Limit, Limits, ParseOptions};
/// let deep = "a: ".to_owned() + &"[".repeat(100_000);
/// let err = sdn_codec::parse(&deep).unwrap_err();
/// assert_eq!(err.kind(), &ErrorKind::LimitExceeded { which: Limit::Depth });
///
/// let options = ParseOptions::default().with_limits(Limits::default().with_max_string_len(Some(3)));
/// assert!(sdn_codec::parse_with("a: abcd\n", &options).is_err());
/// ```
///
/// The struct may gain fields: build it from [`Limits::default`] or
/// [`Limits::untrusted`] and the `with_*` methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Maximum nesting depth of blocks and inline brackets (default 128). Values above
    /// [`Limits::HARD_MAX_DEPTH`] are treated as that value, so the parser's recursion
    /// always fits the stack.
    pub max_depth: usize,
    /// Maximum input size in bytes (default: none).
    pub max_size: Option<usize>,
    /// Maximum length in bytes of one string value (default: none).
    pub max_string_len: Option<usize>,
    /// Maximum total number of table cells (default: none).
    pub max_cells: Option<usize>,
    /// Maximum number of columns of one table (default: none).
    pub max_columns: Option<usize>,
}

impl Limits {
    /// The largest depth the parser will ever descend to, whatever `max_depth` says.
    pub const HARD_MAX_DEPTH: usize = 256;

    /// Limits for input from untrusted sources: depth 128, 16 MiB of text, strings up
    /// to 1 MiB, one million table cells, 10,000 columns per table.
    pub fn untrusted() -> Self {
        Limits {
            max_depth: 128,
            max_size: Some(16 << 20),
            max_string_len: Some(1 << 20),
            max_cells: Some(1_000_000),
            max_columns: Some(10_000),
        }
    }

    /// These limits with [`Limits::max_depth`] set to `max_depth`.
    pub fn with_max_depth(mut self, max_depth: usize) -> Self {
        self.max_depth = max_depth;
        self
    }

    /// These limits with [`Limits::max_size`] set to `max_size`.
    pub fn with_max_size(mut self, max_size: Option<usize>) -> Self {
        self.max_size = max_size;
        self
    }

    /// These limits with [`Limits::max_string_len`] set to `max_string_len`.
    pub fn with_max_string_len(mut self, max_string_len: Option<usize>) -> Self {
        self.max_string_len = max_string_len;
        self
    }

    /// These limits with [`Limits::max_cells`] set to `max_cells`.
    pub fn with_max_cells(mut self, max_cells: Option<usize>) -> Self {
        self.max_cells = max_cells;
        self
    }

    /// These limits with [`Limits::max_columns`] set to `max_columns`.
    pub fn with_max_columns(mut self, max_columns: Option<usize>) -> Self {
        self.max_columns = max_columns;
        self
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 128,
            max_size: None,
            max_string_len: None,
            max_cells: None,
            max_columns: None,
        }
    }
}

/// How to parse. The struct may gain fields: build it from [`ParseOptions::default`]
/// and the `with_*` methods.
///
/// ```
/// use sdn_codec::{Limits, ParseOptions};
/// let options = ParseOptions::default()
///     .with_duplicate_keys(true)
///     .with_limits(Limits::untrusted());
/// assert_eq!(sdn_codec::parse_with("a: 1\na: 2\n", &options)?["a"].as_i64(), Some(2));
/// # Ok::<(), sdn_codec::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ParseOptions {
    /// Accept a key written twice in one dict (the later value wins, at the position of
    /// the first). Default `false`: a duplicate is an [`ErrorKind::DuplicateKey`] error.
    pub allow_duplicate_keys: bool,
    /// Bounds for untrusted input.
    pub limits: Limits,
}

impl ParseOptions {
    /// These options with [`ParseOptions::allow_duplicate_keys`] set to `allow`.
    pub fn with_duplicate_keys(mut self, allow: bool) -> Self {
        self.allow_duplicate_keys = allow;
        self
    }

    /// These options with [`ParseOptions::limits`] set to `limits`.
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }
}

/// Parses a document with default options; the result is a [`Value::Dict`].
///
/// ```
/// let v = sdn_codec::parse("name: Alice\nport: 8080\n")?;
/// assert_eq!(v["name"].as_str(), Some("Alice"));
/// assert_eq!(v["port"].as_i64(), Some(8080));
/// # Ok::<(), sdn_codec::Error>(())
/// ```
pub fn parse(text: &str) -> Result<Value, Error> {
    parse_with(text, &ParseOptions::default())
}

/// Parses a document; the result is a [`Value::Dict`].
pub fn parse_with(text: &str, options: &ParseOptions) -> Result<Value, Error> {
    parse_map_with(text, options).map(Value::Dict)
}

/// Parses a document into its root map.
pub fn parse_map_with(text: &str, options: &ParseOptions) -> Result<Map, Error> {
    parse_spanned_inner(text, options, false).map(|s| s.value)
}

/// Parses a document and records, for every entry, row and array item, the lines it
/// came from (see [`Spanned`]).
///
/// ```
/// let text = "# tasks\nt |id, name|\n    1, a\n    2, b\nx: 1\n";
/// let spanned = sdn_codec::parse_spanned(text, &Default::default())?;
/// let t = &spanned.entries[0];
/// assert_eq!(t.key, "t");
/// assert_eq!(t.lines, 1..4); // 0-based, end-exclusive: the header and both rows
/// assert_eq!(t.rows, vec![2..3, 3..4]);
/// assert_eq!(spanned.entries[1].lines, 4..5);
/// # Ok::<(), sdn_codec::Error>(())
/// ```
pub fn parse_spanned(text: &str, options: &ParseOptions) -> Result<Spanned, Error> {
    parse_spanned_inner(text, options, true)
}

fn parse_spanned_inner(text: &str, options: &ParseOptions, record: bool) -> Result<Spanned, Error> {
    parse_with_comments(text, options, record).map(|(spanned, _)| spanned)
}

/// Parses like [`parse_spanned`] (with `record`) and also returns the sorted byte offsets
/// (in `text` after a byte-order mark) of every comment's `#`.
pub(crate) fn parse_with_comments(
    text: &str,
    options: &ParseOptions,
    record: bool,
) -> Result<(Spanned, Vec<usize>), Error> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut parser = Parser::new(text, options, record)?;
    let (value, entries) = parser.parse_root()?;
    let mut comments = parser.comments.into_inner();
    comments.sort_unstable();
    comments.dedup();
    Ok((Spanned { value, entries }, comments))
}

/// Parses like [`parse_spanned`], but every table's rows are checked and dropped: the
/// tables of the value have their columns and no rows, the spans are complete. What a
/// [`crate::document::RowEditor`] holds instead of a value per cell.
pub(crate) fn parse_layout(text: &str, options: &ParseOptions) -> Result<Spanned, Error> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut parser = Parser::new(text, options, true)?;
    parser.keep_rows = false;
    let (value, entries) = parser.parse_root()?;
    Ok(Spanned { value, entries })
}

/// Reads `line` (one line without its line end) exactly as a table body reads one of
/// its row lines: `Ok(None)` when the body would skip it (blank, or a comment only);
/// else its cells, checked and converted against `columns` like every row. [`crate::Document`] uses it to check a one-line row edit
/// without parsing the whole text again.
pub(crate) fn parse_row_line(
    line: &str,
    columns: &[Column],
    options: &ParseOptions,
) -> Result<Option<Vec<Value>>, Error> {
    let mut parser = Parser::new(line, options, false)?;
    if parser.lines.len() != 1 {
        return Ok(None);
    }
    let Some(view) = parser.view_of(0) else {
        return Ok(None);
    };
    parser.consume(view);
    let (mut cells, end) = parser.parse_row_cells(view.start, columns.len())?;
    parser.finish_line(end)?;
    parser.check_row(columns, &mut cells, view.start)?;
    Ok(Some(cells))
}

/// Parses UTF-8 bytes (a leading byte-order mark is skipped). Bytes that are not UTF-8
/// are an [`ErrorKind::InvalidUtf8`] error at the first bad byte.
///
/// ```
/// let err = sdn_codec::parse_slice(b"a: 1\nb: \xff\n").unwrap_err();
/// assert_eq!(err.kind(), &sdn_codec::ErrorKind::InvalidUtf8);
/// assert_eq!((err.line(), err.column()), (2, 4));
/// ```
pub fn parse_slice(bytes: &[u8]) -> Result<Value, Error> {
    parse_slice_with(bytes, &ParseOptions::default())
}

/// [`parse_slice`] with options.
pub fn parse_slice_with(bytes: &[u8], options: &ParseOptions) -> Result<Value, Error> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let text = utf8(bytes)?;
    parse_with(text, options)
}

/// Reads and parses a file; every error carries the path.
pub fn from_path(path: impl AsRef<Path>, options: &ParseOptions) -> Result<Value, Error> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|e| Error::from_io(e, path))?;
    parse_slice_with(&bytes, options).map_err(|e| e.with_path(path))
}

/// Checks that `bytes` are UTF-8, reporting the first bad byte's line and column.
pub(crate) fn utf8(bytes: &[u8]) -> Result<&str, Error> {
    std::str::from_utf8(bytes).map_err(|e| {
        let good = &bytes[..e.valid_up_to()];
        // The valid prefix is UTF-8 by definition.
        let prefix = std::str::from_utf8(good).unwrap_or_default();
        let line = prefix.matches('\n').count() + 1;
        let line_start = prefix.rfind('\n').map_or(0, |i| i + 1);
        let column = prefix[line_start..].chars().count() + 1;
        let line_end = bytes[line_start..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(bytes.len(), |i| line_start + i);
        let shown = String::from_utf8_lossy(&bytes[line_start..line_end]);
        Error::at(
            ErrorKind::InvalidUtf8,
            format!("invalid UTF-8 (byte 0x{:02x})", bytes[e.valid_up_to()]),
            line,
            column,
        )
        .with_line_text(shown.trim_end_matches('\r'))
    })
}

/// Types a plain (unquoted) scalar's whole text (SPEC §4): `true`/`false`, `null`/`nil`,
/// integers `-?[0-9][0-9_]*`, floats with a `.` or an exponent; anything else is a
/// string. The text must already be trimmed.
///
/// ```
/// use sdn_codec::ScalarKind;
/// use sdn_codec::parse::parse_scalar_text;
/// assert_eq!(parse_scalar_text("1_000").unwrap(), ScalarKind::Int(1000));
/// assert_eq!(parse_scalar_text("1.2.3").unwrap(), ScalarKind::String("1.2.3".into()));
/// assert!(parse_scalar_text("99999999999999999999").is_err()); // never wrapped
/// ```
pub fn parse_scalar_text(text: &str) -> Result<ScalarKind, Error> {
    scan::type_plain(text)
        .map_err(|(kind, message)| Error::at(kind, message, 1, 1).with_source(text))
}

/// Parses one value as written after `key: ` on a line: a quoted string, an inline
/// `[...]`/`{...}` (which may span lines), or a plain scalar up to a comment. Text after
/// the value other than a comment is an error. Useful for `sdn set KEY VALUE`.
///
/// ```
/// use sdn_codec::parse::parse_value_text;
/// assert_eq!(parse_value_text("[1, two]").unwrap(), sdn_codec::parse("v: [1, two]").unwrap()["v"]);
/// assert_eq!(parse_value_text("Unified SCV, Git").unwrap().as_str(), Some("Unified SCV, Git"));
/// ```
pub fn parse_value_text(text: &str) -> Result<Value, Error> {
    let options = ParseOptions::default();
    let mut parser = Parser::new(text, &options, false)?;
    let start = parser.skip_blank(0);
    if parser.at_line_end_or_comment(start) {
        return Ok(Value::null());
    }
    let (value, end) = parser.parse_value_at(start, scan::Context::Statement)?;
    parser.expect_line_rest_blank(end)?;
    parser.expect_no_more_lines(end, "unexpected text after the value")?;
    Ok(value)
}

/// Splits one table row into cells (SPEC §6): quoted strings, inline arrays/dicts, or
/// plain text up to the next comma, trimmed; an empty cell is the empty string; a
/// trailing comma adds an empty last cell. A comment after whitespace ends the row.
///
/// ```
/// use sdn_codec::parse::split_cells;
/// let cells = split_cells("1, Cranelift Backend, ./src/a.spl, \"x, y\", ").unwrap();
/// let texts: Vec<_> = cells.iter().map(|c| c.text().unwrap().into_owned()).collect();
/// assert_eq!(texts, ["1", "Cranelift Backend", "./src/a.spl", "x, y", ""]);
/// ```
pub fn split_cells(row: &str) -> Result<Vec<Value>, Error> {
    let options = ParseOptions::default();
    let mut parser = Parser::new(row, &options, false)?;
    let start = parser.skip_blank(0);
    let (cells, end) = parser.parse_row_cells(start, 0)?;
    parser.expect_no_more_lines(end, "unexpected text after the row")?;
    Ok(cells)
}

/// Parses a table header line (without indentation): `name |a, b|` (optionally followed
/// by one inline row, returned as [`TableHeader::inline_row`]) or `name: table{i64, str}`.
///
/// ```
/// use sdn_codec::parse::parse_table_header;
/// let h = parse_table_header("todos |id, title| 1, hello").unwrap();
/// assert_eq!(h.name, "todos");
/// assert_eq!(h.columns.iter().map(|c| c.name.clone().unwrap()).collect::<Vec<_>>(), ["id", "title"]);
/// assert_eq!(h.inline_row.as_ref().map(Vec::len), Some(2));
/// ```
pub fn parse_table_header(line: &str) -> Result<TableHeader, Error> {
    let options = ParseOptions::default();
    let mut parser = Parser::new(line, &options, false)?;
    let start = parser.skip_blank(0);
    parser.parse_header_only(start)
}

/// Decodes a complete quoted string literal (with its quotes), applying the escapes of
/// SPEC §4 and keeping other backslash pairs as written.
///
/// ```
/// use sdn_codec::parse::decode_quoted;
/// assert_eq!(decode_quoted(r#""a\tb \d \u{1F600}""#).unwrap(), "a\tb \\d \u{1F600}");
/// ```
pub fn decode_quoted(literal: &str) -> Result<String, Error> {
    let options = ParseOptions::default();
    let parser = Parser::new(literal, &options, false)?;
    if !literal.starts_with('"') {
        return Err(parser.error(0, ErrorKind::Syntax, "expected a quoted string"));
    }
    let (s, end) = parser.parse_quoted(0)?;
    if end != literal.len() {
        return Err(parser.error(
            end,
            ErrorKind::TrailingCharacters,
            "unexpected text after the closing quote",
        ));
    }
    Ok(s)
}

/// One logical line: its index, indentation in columns (tab = 4) and the byte offset
/// of its first non-blank character. A "virtual" view starts after a `- ` marker.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LineView {
    pub(crate) line: usize,
    pub(crate) indent: usize,
    pub(crate) start: usize,
}

pub(crate) struct Parser<'a> {
    pub(crate) src: &'a str,
    /// (start, end) byte offsets of each line, without the line end.
    pub(crate) lines: Vec<(usize, usize)>,
    next_line: usize,
    pending: Option<LineView>,
    last_line: usize,
    options: &'a ParseOptions,
    depth: usize,
    max_depth: usize,
    cells: usize,
    record: bool,
    /// With `record`: the byte offset of every comment's `#` (unsorted, maybe repeated).
    comments: std::cell::RefCell<Vec<usize>>,
    /// Whether table rows are kept: a layout parse ([`parse_layout`]) checks them and
    /// drops them.
    keep_rows: bool,
}

impl<'a> Parser<'a> {
    pub(crate) fn new(
        src: &'a str,
        options: &'a ParseOptions,
        record: bool,
    ) -> Result<Self, Error> {
        let bytes = src.as_bytes();
        let lines = crate::syntax::line_ranges(src);
        let parser = Parser {
            src,
            lines,
            next_line: 0,
            pending: None,
            last_line: 0,
            options,
            depth: 0,
            max_depth: options.limits.max_depth.min(Limits::HARD_MAX_DEPTH),
            cells: 0,
            record,
            comments: std::cell::RefCell::new(Vec::new()),
            keep_rows: true,
        };
        if let Some(max) = options.limits.max_size
            && src.len() > max
        {
            return Err(parser.error(
                max,
                ErrorKind::LimitExceeded { which: Limit::Size },
                format!(
                    "document is {} bytes, more than the limit of {max}",
                    src.len()
                ),
            ));
        }
        // A CR is a line end only before LF; anywhere else it would be invisible data.
        // Most texts have no CR at all: look for one first with a fast scan.
        if crate::byte_search::contains_byte(bytes, b'\r') {
            for (i, &b) in bytes.iter().enumerate() {
                if b == b'\r' && bytes.get(i + 1) != Some(&b'\n') {
                    return Err(parser.error(
                        i,
                        ErrorKind::Syntax,
                        "carriage return (CR) not followed by a line feed; SDN line ends are LF or CRLF",
                    ));
                }
            }
        }
        Ok(parser)
    }

    /// Index of the line containing byte `pos` (a position at a line end belongs to it).
    pub(crate) fn line_of(&self, pos: usize) -> usize {
        match self.lines.binary_search_by(|&(s, _)| s.cmp(&pos)) {
            Ok(i) => i,
            Err(0) => 0,
            Err(i) => i - 1,
        }
    }

    pub(crate) fn line_end(&self, pos: usize) -> usize {
        self.lines
            .get(self.line_of(pos))
            .map_or(self.src.len(), |&(_, e)| e)
    }

    pub(crate) fn error(
        &self,
        pos: usize,
        kind: ErrorKind,
        message: impl Into<std::borrow::Cow<'static, str>>,
    ) -> Error {
        let line = self.line_of(pos);
        let (start, end) = self.lines.get(line).copied().unwrap_or((0, 0));
        let pos = pos.clamp(start, end.max(start));
        let column = self
            .src
            .get(start..pos)
            .map_or(1, |p| p.chars().count() + 1);
        let text = self.src.get(start..end).unwrap_or("");
        Error::at(kind, message, line + 1, column).with_line_text(text)
    }

    /// The view of line `idx`, or `None` for a blank or comment-only line.
    pub(crate) fn view_of(&self, idx: usize) -> Option<LineView> {
        let (start, end) = *self.lines.get(idx)?;
        let bytes = self.src.as_bytes();
        let mut indent = 0;
        let mut p = start;
        while p < end {
            match bytes[p] {
                b' ' => indent += 1,
                b'\t' => indent += TAB_WIDTH,
                _ => break,
            }
            p += 1;
        }
        if p == end || bytes[p] == b'#' {
            return None;
        }
        Some(LineView {
            line: idx,
            indent,
            start: p,
        })
    }

    /// The next non-blank, non-comment line (or the pending virtual line), not consumed.
    pub(crate) fn peek(&mut self) -> Option<LineView> {
        if let Some(v) = self.pending {
            return Some(v);
        }
        while self.next_line < self.lines.len() {
            if let Some(v) = self.view_of(self.next_line) {
                return Some(v);
            }
            if self.record {
                let (start, end) = self.lines[self.next_line];
                let p = self.skip_blank(start);
                if p < end {
                    self.note_comment(p);
                }
            }
            self.next_line += 1;
        }
        None
    }

    /// Marks `view`'s line as consumed.
    pub(crate) fn consume(&mut self, view: LineView) {
        self.pending = None;
        self.next_line = view.line + 1;
        self.last_line = view.line;
    }

    /// After a value ending at `pos`: the rest of its line must be blank or a comment;
    /// parsing resumes on the next line.
    pub(crate) fn finish_line(&mut self, pos: usize) -> Result<(), Error> {
        self.expect_line_rest_blank(pos)?;
        let line = self.line_of(pos);
        self.pending = None;
        self.next_line = line + 1;
        self.last_line = line;
        Ok(())
    }

    /// An error (`message`, at the first meaningful line after the one holding `end`)
    /// when the input goes on after a single value or row.
    fn expect_no_more_lines(&self, end: usize, message: &'static str) -> Result<(), Error> {
        let end_line = self.line_of(end);
        match (end_line + 1..self.lines.len()).find_map(|l| self.view_of(l)) {
            Some(next) => Err(self.error(next.start, ErrorKind::TrailingCharacters, message)),
            None => Ok(()),
        }
    }

    /// With `record`, notes the comment at `pos` if one starts there.
    pub(crate) fn note_comment(&self, pos: usize) {
        if self.record && self.is_comment_at(pos) {
            self.comments.borrow_mut().push(pos);
        }
    }

    pub(crate) fn expect_line_rest_blank(&self, pos: usize) -> Result<(), Error> {
        let p = self.skip_blank(pos);
        if self.at_line_end_or_comment(p) {
            self.note_comment(p);
            Ok(())
        } else {
            Err(self.error(
                p,
                ErrorKind::TrailingCharacters,
                format!(
                    "unexpected `{}` after the value; quote the whole value if it is text",
                    self.src[p..].chars().next().unwrap_or(' ')
                ),
            ))
        }
    }

    /// Skips spaces and tabs (not line ends).
    pub(crate) fn skip_blank(&self, pos: usize) -> usize {
        crate::syntax::skip_blanks(self.src, pos)
    }

    /// True at a `#` that starts a comment: first on its line, or after a space/tab.
    pub(crate) fn is_comment_at(&self, pos: usize) -> bool {
        crate::syntax::comment_starts_at(self.src.as_bytes(), pos)
    }

    pub(crate) fn at_line_end_or_comment(&self, pos: usize) -> bool {
        crate::syntax::at_line_end_or_comment(self.src, pos)
    }

    /// Enters one level of nesting at `pos`, failing beyond the depth limit.
    pub(crate) fn enter(&mut self, pos: usize) -> Result<(), Error> {
        self.depth += 1;
        if self.depth > self.max_depth {
            return Err(self.error(
                pos,
                ErrorKind::LimitExceeded {
                    which: Limit::Depth,
                },
                format!("nesting deeper than the limit of {}", self.max_depth),
            ));
        }
        Ok(())
    }

    pub(crate) fn leave(&mut self) {
        self.depth -= 1;
    }

    pub(crate) fn check_string_len(&self, len: usize, pos: usize) -> Result<(), Error> {
        match self.options.limits.max_string_len {
            Some(max) if len > max => Err(self.error(
                pos,
                ErrorKind::LimitExceeded {
                    which: Limit::StringLength,
                },
                format!("string of {len} bytes is longer than the limit of {max}"),
            )),
            _ => Ok(()),
        }
    }

    pub(crate) fn count_cells(&mut self, n: usize, pos: usize) -> Result<(), Error> {
        self.cells += n;
        match self.options.limits.max_cells {
            Some(max) if self.cells > max => Err(self.error(
                pos,
                ErrorKind::LimitExceeded {
                    which: Limit::Cells,
                },
                format!("more than the limit of {max} table cells"),
            )),
            _ => Ok(()),
        }
    }

    pub(crate) fn check_column_count(&self, n: usize, pos: usize) -> Result<(), Error> {
        match self.options.limits.max_columns {
            Some(max) if n > max => Err(self.error(
                pos,
                ErrorKind::LimitExceeded {
                    which: Limit::Columns,
                },
                format!("table has more than the limit of {max} columns"),
            )),
            _ => Ok(()),
        }
    }

    fn parse_header_only(&mut self, start: usize) -> Result<TableHeader, Error> {
        let head = self.entry_head(start).ok_or_else(|| {
            self.error(
                start,
                ErrorKind::BadTableHeader,
                "expected a table header `name |a, b|`",
            )
        })?;
        match head.sep {
            scan::Sep::Pipe => {
                let (columns, after) = self.parse_column_names(head.sep_pos)?;
                let p = self.skip_blank(after);
                let inline_row = if self.at_line_end_or_comment(p) {
                    None
                } else {
                    let (cells, end) = self.parse_row_cells(p, columns.len())?;
                    self.expect_line_rest_blank(end)?;
                    Some(cells)
                };
                Ok(TableHeader {
                    name: head.key,
                    columns,
                    inline_row,
                })
            }
            _ => {
                let p = self.skip_blank(head.sep_pos + 1);
                if !self.src[p..].starts_with("table{") {
                    return Err(self.error(
                        p,
                        ErrorKind::BadTableHeader,
                        "expected `|columns|` or `table{types}`",
                    ));
                }
                let (types, after) = self.parse_column_types(p)?;
                self.expect_line_rest_blank(after)?;
                Ok(TableHeader {
                    name: head.key,
                    columns: types.into_iter().map(Column::typed).collect(),
                    inline_row: None,
                })
            }
        }
    }
}
