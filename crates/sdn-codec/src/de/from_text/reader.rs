//! Reading a record file line by line for the text route: the cursor over the
//! document's lines, root statements, table headers and row cells, and the scalar text
//! they hold. Every rule here is the parser's (see [`crate::syntax`]).

use std::borrow::Cow;

use crate::byte_search::skip_to_any;
use crate::de::scalar::Typed;
use crate::error::{Error, ErrorKind};
use crate::parse::{decode_quoted, parse_scalar_text};
use crate::syntax::{
    CELL_SEPARATOR, at_line_end_or_comment, comment_starts_at, is_key_char, opens_inline,
    plain_cell_end, skip_blanks,
};
use crate::value::ScalarKind;

/// The error used to unwind when the direct path gives up; never shown to callers.
pub(super) fn bail(doc_bailed: &mut bool) -> Error {
    *doc_bailed = true;
    Error::new(ErrorKind::Syntax, "direct path: unsupported shape")
}

/// 1-based column (in characters) of byte `offset` of `line`.
pub(super) fn column_of(line: &str, offset: usize) -> usize {
    line.get(..offset).map_or(1, |p| p.chars().count() + 1)
}

pub(super) fn at(err: Error, line_index: usize, line: &str, offset: usize) -> Error {
    err.with_position_if_missing(line_index + 1, column_of(line, offset))
}

/// Cursor over the lines of the document.
pub(super) struct Doc<'a> {
    pub(super) text: &'a str,
    /// Byte offset of the next unread line.
    pub(super) pos: usize,
    /// 0-based index of the next unread line.
    pub(super) line: usize,
    pub(super) bailed: bool,
    /// Root keys seen so far (a duplicate is a parse error: leave it to the parser).
    pub(super) seen: Vec<&'a str>,
}

/// What a root statement holds.
pub(super) enum Statement<'a> {
    Scalar(Scalar<'a>, LineRef<'a>),
    Table(Header<'a>),
}

pub(super) struct Header<'a> {
    pub(super) columns: Vec<&'a str>,
    pub(super) line_index: usize,
    pub(super) line: &'a str,
}

impl<'a> Doc<'a> {
    pub(super) fn bail(&mut self) -> Error {
        bail(&mut self.bailed)
    }

    /// The next line (without its line end), its index, and the offset after it; not
    /// consumed.
    pub(super) fn peek_line(&mut self) -> Result<Option<(&'a str, usize, usize)>, Error> {
        if self.pos >= self.text.len() {
            return Ok(None);
        }
        let rest = &self.text[self.pos..];
        let (raw, next) = match rest.find('\n') {
            Some(i) => (&rest[..i], self.pos + i + 1),
            None => (rest, self.text.len()),
        };
        // `try_from_str` checked that every CR is part of a CRLF.
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        Ok(Some((line, self.line, next)))
    }

    pub(super) fn advance(&mut self, next: usize) {
        self.pos = next;
        self.line += 1;
    }

    /// Skips blank and comment-only lines; returns the next meaningful line, not
    /// consumed.
    pub(super) fn peek_meaningful(&mut self) -> Result<Option<(&'a str, usize, usize)>, Error> {
        loop {
            let Some((line, index, next)) = self.peek_line()? else {
                return Ok(None);
            };
            let content = line.trim_start_matches([' ', '\t']);
            if content.is_empty() || content.starts_with('#') {
                self.advance(next);
                continue;
            }
            return Ok(Some((line, index, next)));
        }
    }

    /// Reads the next root statement's key and value head.
    pub(super) fn next_statement(&mut self) -> Result<Option<(&'a str, Statement<'a>)>, Error> {
        let Some((line, index, next)) = self.peek_meaningful()? else {
            return Ok(None);
        };
        if line.starts_with([' ', '\t']) {
            // An indented line outside a table: a block or an error.
            return Err(self.bail());
        }
        let key_len = line.find(|c| !is_key_char(c)).unwrap_or(line.len());
        let key = &line[..key_len];
        if !crate::syntax::is_valid_plain_key(key) || self.seen.contains(&key) {
            return Err(self.bail());
        }
        self.seen.push(key);
        let after_key = skip_blanks(line, key_len);
        let statement = match line.as_bytes().get(after_key) {
            Some(b':') if key_len == after_key => {
                match line.as_bytes().get(after_key + 1) {
                    Some(b' ' | b'\t') => {}
                    _ => return Err(self.bail()),
                }
                let start = skip_blanks(line, after_key + 1);
                let scalar = statement_scalar(line, start).ok_or_else(|| self.bail())?;
                Statement::Scalar(scalar, LineRef { index, text: line })
            }
            Some(b'|') => {
                let columns = header_columns(line, after_key).ok_or_else(|| self.bail())?;
                Statement::Table(Header {
                    columns,
                    line_index: index,
                    line,
                })
            }
            _ => return Err(self.bail()),
        };
        self.advance(next);
        Ok(Some((key, statement)))
    }

    /// Reads the next row of the table being read into `cells`; `false` at the end of
    /// the table.
    pub(super) fn next_row(
        &mut self,
        columns: usize,
        cells: &mut Vec<Scalar<'a>>,
    ) -> Result<Option<(usize, &'a str, usize)>, Error> {
        // One pass over each row: the cells are split up to the line end, which is
        // never searched for separately.
        let text = self.text;
        loop {
            let Some(rest) = text.get(self.pos..).filter(|r| !r.is_empty()) else {
                return Ok(None);
            };
            let start = skip_blanks(rest, 0);
            if matches!(
                rest.as_bytes().get(start),
                None | Some(b'\n' | b'\r' | b'#')
            ) {
                // A blank or comment-only line.
                let next = rest.find('\n').map_or(text.len(), |i| self.pos + i + 1);
                self.advance(next);
                continue;
            }
            if start == 0 {
                return Ok(None);
            }
            cells.clear();
            let index = self.line;
            let end = match split_row(rest, start, cells) {
                Some(end) if cells.len() == columns => end,
                _ => return Err(self.bail()),
            };
            // A row usually ends at its line end; after a comment, find it.
            let next = match rest.as_bytes().get(end) {
                Some(b'\n') => self.pos + end + 1,
                _ => rest[end..]
                    .find('\n')
                    .map_or(text.len(), |i| self.pos + end + i + 1),
            };
            self.advance(next);
            return Ok(Some((index, rest, start)));
        }
    }

    /// Reads and checks the remaining rows of a table without using them.
    pub(super) fn skip_rows(&mut self, columns: usize) -> Result<(), Error> {
        let mut cells = Vec::with_capacity(columns);
        while self.next_row(columns, &mut cells)?.is_some() {
            for cell in &cells {
                cell.check(self)?;
            }
        }
        Ok(())
    }

    /// Reads and checks the rest of the document (after the target stopped reading).
    pub(super) fn skip_rest(&mut self) -> Result<(), Error> {
        while let Some((_, statement)) = self.next_statement()? {
            match statement {
                Statement::Scalar(s, _) => s.check(self)?,
                Statement::Table(h) => self.skip_rows(h.columns.len())?,
            }
        }
        Ok(())
    }
}

/// The parser's trim (spaces and tabs only, after the CR of a CRLF line end, which the
/// parser never includes), skipping the work when the text ends in a visible ASCII
/// character.
pub(super) fn trim_end(text: &str) -> &str {
    match text.as_bytes().last() {
        Some(b) if b.is_ascii_graphic() => text,
        _ => crate::syntax::trim_blank_end(text.strip_suffix('\r').unwrap_or(text)),
    }
}

/// Column names of `name |a, b|` (the `|` at `open`); `None` for anything the direct
/// path leaves to the parser (quoted names, an inline row, a malformed header).
pub(super) fn header_columns(line: &str, open: usize) -> Option<Vec<&str>> {
    let mut columns: Vec<&str> = Vec::new();
    let mut p = open + 1;
    loop {
        p = skip_blanks(line, p);
        let rest = line.get(p..)?;
        let len = rest.find([',', '|'])?;
        let name = crate::syntax::trim_blank_end(&rest[..len]);
        if name.is_empty() || name.starts_with('"') || !name.chars().all(is_key_char) {
            return None;
        }
        columns.push(name);
        let sep = p + len;
        if line.as_bytes()[sep] == b'|' {
            let after = skip_blanks(line, sep + 1);
            // Duplicate names are the parser's error to report: a set keeps this linear.
            let mut seen = std::collections::HashSet::with_capacity(columns.len());
            let unique = columns.iter().all(|name| seen.insert(*name));
            return (unique && at_line_end_or_comment(line, after)).then_some(columns);
        }
        p = sep + 1;
    }
}

/// The scalar of a `key: value` statement starting at `start`; `None` when the value is
/// not a single-line scalar (empty, a block, inline brackets, a typed table, ...).
pub(super) fn statement_scalar(line: &str, start: usize) -> Option<Scalar<'_>> {
    if at_line_end_or_comment(line, start) {
        return None;
    }
    let rest = &line[start..];
    let starts_block = |b: u8| opens_inline(b) || matches!(b, b'|' | b'>');
    if rest.bytes().next().is_some_and(starts_block) || rest.starts_with("table{") {
        return None;
    }
    if rest.starts_with('"') {
        let (scalar, end) = quoted_at(line, start)?;
        let after = skip_blanks(line, end);
        return at_line_end_or_comment(line, after).then_some(scalar);
    }
    let mut end = start;
    let bytes = line.as_bytes();
    while end < bytes.len() && !comment_starts_at(bytes, end) {
        end += 1;
    }
    Some(Scalar {
        text: trim_end(&line[start..end]),
        quoted: false,
        escape_from: NO_ESCAPE,
        offset: start,
    })
}

/// A quoted string starting at the `"` at `start`, ending on the same line (`line` may
/// run on past its line end). Returns the scalar and the offset after the closing quote.
pub(super) fn quoted_at(line: &str, start: usize) -> Option<(Scalar<'_>, usize)> {
    let bytes = line.as_bytes();
    let mut i = start + 1;
    let mut escape_from = NO_ESCAPE;
    loop {
        // Every CR is part of a CRLF (`try_from_str` checked), so a line end is found
        // by its LF.
        i = skip_to_any(bytes, i, [b'"', b'\\', b'\n']);
        let Some(&byte) = bytes.get(i) else { break };
        match byte {
            b'"' => {
                return Some((
                    Scalar {
                        text: &line[start..=i],
                        quoted: true,
                        escape_from,
                        offset: start,
                    },
                    i + 1,
                ));
            }
            // A string spanning lines is left to the parser.
            b'\n' | b'\r' => return None,
            // A backslash pair never ends the string (`\"`, `\\`); the decoder checks
            // the pair itself.
            b'\\' if matches!(bytes.get(i + 1), Some(b'\n' | b'\r')) => return None,
            b'\\' => {
                if escape_from == NO_ESCAPE {
                    // Its index in the content; 0 (decode it all) if that is too large.
                    escape_from = u32::try_from(i - start - 1).unwrap_or(0);
                }
                i += 2;
            }
            _ => i += 1,
        }
    }
    None
}

/// Splits a row's cells (from `start` of `line`, which may run on past the row's line
/// end) into `cells` with the parser's rules. Returns the offset where the row ends (its
/// line end or a comment), or `None` for anything the direct path leaves to the parser
/// (inline brackets, a multi-line quoted cell, text after a quoted cell).
pub(super) fn split_row<'a>(
    line: &'a str,
    start: usize,
    cells: &mut Vec<Scalar<'a>>,
) -> Option<usize> {
    let bytes = line.as_bytes();
    let mut p = skip_blanks(line, start);
    loop {
        // Where the cell ends, past the blanks after it.
        let q = match bytes.get(p) {
            Some(&b) if opens_inline(b) => return None,
            Some(b'"') => {
                let (scalar, end) = quoted_at(line, p)?;
                cells.push(scalar);
                skip_blanks(line, end)
            }
            _ => {
                let end = plain_cell_end(bytes, p);
                cells.push(Scalar {
                    text: trim_end(&line[p..end]),
                    quoted: false,
                    escape_from: NO_ESCAPE,
                    offset: p,
                });
                // A plain cell runs up to its `,`, comment or line end: no blank here.
                end
            }
        };
        match bytes.get(q) {
            Some(&CELL_SEPARATOR) => {
                // Usually `, ` and then the next cell.
                p = q + 1;
                if bytes.get(p) == Some(&b' ') {
                    p += 1;
                }
                if matches!(bytes.get(p), Some(b' ' | b'\t')) {
                    p = skip_blanks(line, p);
                }
            }
            _ if at_line_end_or_comment(line, q) => return Some(q),
            _ => return None,
        }
    }
}

/// One scalar as written: a plain text (trimmed) or a whole quoted literal.
#[derive(Clone, Copy)]
pub(super) struct Scalar<'a> {
    pub(super) text: &'a str,
    pub(super) quoted: bool,
    /// For a quoted literal holding a backslash (found while scanning it): where in
    /// its content decoding starts (the text before has no escape); else
    /// [`NO_ESCAPE`].
    pub(super) escape_from: u32,
    /// Byte offset of the scalar in its line.
    pub(super) offset: usize,
}

/// [`Scalar::escape_from`] of a scalar with nothing to decode.
pub(super) const NO_ESCAPE: u32 = u32::MAX;

/// The line a scalar was read from (for error positions), kept once per row rather than
/// in every cell.
#[derive(Clone, Copy)]
pub(super) struct LineRef<'a> {
    /// 0-based line index.
    pub(super) index: usize,
    /// The line's text (it may run on past its line end).
    pub(super) text: &'a str,
}

impl<'a> Scalar<'a> {
    /// The typed data, with the parser's typing; `Err` (after marking the direct path as
    /// given up) for literals the parser rejects (out-of-range integers, bad escapes).
    pub(super) fn typed(&self, bailed: &mut bool) -> Result<Typed<'a>, Error> {
        if self.quoted {
            return self.decoded(bailed).map(Typed::Str);
        }
        let t = self.text;
        // Every literal starts with a digit, `-`, `t`, `f` or `n`; anything else is text.
        match t.as_bytes().first() {
            None => return Ok(Typed::Str(Cow::Borrowed(t))),
            Some(b'0'..=b'9' | b'-') => {
                if let Some(i) = plain_decimal(t) {
                    return Ok(Typed::Int(i));
                }
            }
            Some(b't') if t == "true" => return Ok(Typed::Bool(true)),
            Some(b'f') if t == "false" => return Ok(Typed::Bool(false)),
            Some(b'n') if t == "null" || t == "nil" => return Ok(Typed::Null),
            Some(b't' | b'f' | b'n') => {}
            Some(_) => return Ok(Typed::Str(Cow::Borrowed(t))),
        }
        match parse_scalar_text(t) {
            Ok(ScalarKind::Null) => Ok(Typed::Null),
            Ok(ScalarKind::Bool(b)) => Ok(Typed::Bool(b)),
            Ok(ScalarKind::Int(i)) => Ok(Typed::Int(i)),
            Ok(ScalarKind::Float(f)) => Ok(Typed::Float(f)),
            Ok(ScalarKind::String(_)) => Ok(Typed::Str(Cow::Borrowed(t))),
            Err(_) => Err(bail(bailed)),
        }
    }

    /// The string of a quoted literal, borrowed when it has no escapes; `Err` (after
    /// marking the direct path as given up) for escapes the parser rejects.
    pub(super) fn decoded(&self, bailed: &mut bool) -> Result<Cow<'a, str>, Error> {
        let content = &self.text[1..self.text.len() - 1];
        if self.escape_from == NO_ESCAPE {
            return Ok(Cow::Borrowed(content));
        }
        match decode_simple_escapes(content, self.escape_from as usize) {
            Some(s) => Ok(Cow::Owned(s)),
            // `\u{...}`: the parser's decoder (it also rejects bad ones).
            None => match decode_quoted(self.text) {
                Ok(s) => Ok(Cow::Owned(s)),
                Err(_) => Err(bail(bailed)),
            },
        }
    }

    /// True for null and for an empty plain cell: `None` for an `Option`.
    pub(super) fn is_absent(&self) -> bool {
        !self.quoted && matches!(self.text, "" | "null" | "nil")
    }

    /// Checks the scalar the way the parser would (for values the target skips).
    pub(super) fn check(&self, doc: &mut Doc<'a>) -> Result<(), Error> {
        self.typed(&mut doc.bailed).map(drop)
    }

    pub(super) fn error_at(&self, line: LineRef<'_>, err: Error) -> Error {
        at(err, line.index, line.text, self.offset)
    }
}

/// Plain decimal digits with an optional `-` (fewer than 19 digits, so no overflow):
/// the common integer case, read without the parser's copy. `None` for anything else
/// (the parser's typing decides).
pub(super) fn plain_decimal(text: &str) -> Option<i64> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(digits) => (true, digits),
        None => (false, text),
    };
    if digits.is_empty() || digits.len() >= 19 {
        return None;
    }
    let mut value: i64 = 0;
    for &b in digits.as_bytes() {
        let digit = b.wrapping_sub(b'0');
        if digit > 9 {
            return None;
        }
        value = value * 10 + i64::from(digit);
    }
    Some(if negative { -value } else { value })
}

/// Decodes the content of a quoted string with the parser's escapes (`\n \t \r \\ \"`;
/// any other backslash pair is kept as written); `None` when it holds a `\u` escape,
/// which is left to the parser's decoder.
/// `from` is where to start looking for backslashes (none come before it).
pub(super) fn decode_simple_escapes(content: &str, from: usize) -> Option<String> {
    let bytes = content.as_bytes();
    let mut out = String::with_capacity(content.len());
    let mut run = 0;
    let mut i = from;
    loop {
        i = skip_to_any(bytes, i, [b'\\']);
        if i >= bytes.len() {
            break;
        }
        out.push_str(&content[run..i]);
        let next = bytes.get(i + 1).copied();
        let replacement = match next.and_then(crate::syntax::unescape_letter) {
            Some(c) => c,
            None if next == Some(b'u') => return None,
            None => {
                // Kept as written: the backslash, then the next character as text.
                out.push('\\');
                i += 1;
                run = i;
                continue;
            }
        };
        out.push(replacement);
        i += 2;
        run = i;
    }
    out.push_str(&content[run..]);
    Some(out)
}
