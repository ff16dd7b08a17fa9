//! Character-level scanning: keys, scalars, quoted strings, inline `[...]`/`{...}`,
//! table header columns and row cells. Multi-line constructs (quoted strings, inline
//! brackets) scan across line ends; the block parser resumes after them.

use std::borrow::Cow;
use std::collections::HashSet;

use super::Parser;
use crate::byte_search::skip_to_any;
use crate::error::{Error, ErrorKind, shorten};
use crate::syntax::{
    CELL_SEPARATOR, is_key_char, opens_inline, plain_cell_end, trim_blank_end, unescape_letter,
};
use crate::value::{Column, ColumnType, Map, Scalar, ScalarKind, Value};

/// A typed-table row written as a tuple: its cells and the offset of its `(`.
pub(crate) type TupleRow = (Vec<Value>, usize);

/// Where a value appears; decides where a plain scalar stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Context {
    /// After `key:` or as an array-block item: plain text runs to the end of the line.
    Statement,
    /// Inside `[...]`/`{...}`: plain text stops at `,` and closing brackets.
    Inline,
    /// Inside a typed-table tuple `(...)`: like `Inline`, and also stops at `)`.
    Tuple,
}

/// The separator after a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sep {
    Colon,
    Equals,
    Pipe,
}

/// A recognised `key:` / `key =` / `key |` at the start of a line.
pub(crate) struct EntryHead {
    pub(crate) key: String,
    pub(crate) sep: Sep,
    /// Byte offset of the separator.
    pub(crate) sep_pos: usize,
}

fn is_int_literal(t: &str) -> bool {
    let d = t.strip_prefix('-').unwrap_or(t);
    let b = d.as_bytes();
    !b.is_empty() && b[0].is_ascii_digit() && b.iter().all(|&c| c.is_ascii_digit() || c == b'_')
}

fn is_float_literal(t: &str) -> bool {
    let d = t.strip_prefix('-').unwrap_or(t);
    let b = d.as_bytes();
    let mut i = 0;
    if b.is_empty() || !b[0].is_ascii_digit() {
        return false;
    }
    while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
        i += 1;
    }
    let mut marked = false;
    if i < b.len() && b[i] == b'.' {
        let s = i + 1;
        i += 1;
        while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
            i += 1;
        }
        if i == s {
            return false;
        }
        marked = true;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        let s = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == s {
            return false;
        }
        marked = true;
    }
    marked && i == b.len()
}

/// A number literal without its `_` digit separators (copied only when it has some).
fn without_underscores(text: &str) -> Cow<'_, str> {
    if text.bytes().any(|b| b == b'_') {
        Cow::Owned(text.chars().filter(|&c| c != '_').collect())
    } else {
        Cow::Borrowed(text)
    }
}

/// Types a trimmed plain scalar (SPEC §4).
pub(crate) fn type_plain(text: &str) -> Result<ScalarKind, (ErrorKind, String)> {
    Ok(match text {
        "true" => ScalarKind::Bool(true),
        "false" => ScalarKind::Bool(false),
        "null" | "nil" => ScalarKind::Null,
        _ if is_int_literal(text) => match without_underscores(text).parse::<i64>() {
            Ok(i) => ScalarKind::Int(i),
            Err(_) => {
                return Err((
                    ErrorKind::IntegerOutOfRange,
                    format!(
                        "integer `{}` is outside the 64-bit range; quote it to keep it as text",
                        shorten(text)
                    ),
                ));
            }
        },
        _ if is_float_literal(text) => match without_underscores(text).parse::<f64>() {
            Ok(f) if f.is_finite() => ScalarKind::Float(f),
            _ => {
                return Err((
                    ErrorKind::NonFiniteFloat,
                    format!(
                        "float `{}` is too large for a 64-bit float; quote it to keep it as text",
                        shorten(text)
                    ),
                ));
            }
        },
        _ => ScalarKind::String(text.to_owned()),
    })
}

impl Parser<'_> {
    fn byte(&self, pos: usize) -> Option<u8> {
        self.src.as_bytes().get(pos).copied()
    }

    fn char_at(&self, pos: usize) -> char {
        self.src
            .get(pos..)
            .and_then(|s| s.chars().next())
            .unwrap_or(' ')
    }

    /// Skips whitespace including line ends, and comments (inside brackets).
    fn skip_ws_comments(&self, mut pos: usize) -> usize {
        let bytes = self.src.as_bytes();
        loop {
            while pos < bytes.len() && matches!(bytes[pos], b' ' | b'\t' | b'\n' | b'\r') {
                pos += 1;
            }
            if self.is_comment_at(pos) {
                self.note_comment(pos);
                while pos < bytes.len() && bytes[pos] != b'\n' {
                    pos += 1;
                }
            } else {
                return pos;
            }
        }
    }

    /// Scans a plain key at `pos` (a run of key characters), returning its end.
    fn scan_plain_key(&self, pos: usize) -> usize {
        let rest = &self.src[pos..];
        let len = rest.find(|c: char| !is_key_char(c)).unwrap_or(rest.len());
        pos + len
    }

    /// Recognises `key:` (colon followed by a blank or the line end), `key =` or
    /// `key |` at `pos`. Keys may be quoted.
    pub(crate) fn entry_head(&self, pos: usize) -> Option<EntryHead> {
        let (key, after) = if self.byte(pos) == Some(b'"') {
            let (k, end) = self.parse_quoted(pos).ok()?;
            if self.line_of(end) != self.line_of(pos) {
                return None;
            }
            (k, end)
        } else {
            let end = self.scan_plain_key(pos);
            if end == pos {
                return None;
            }
            (self.src[pos..end].to_owned(), end)
        };
        let p = self.skip_blank(after);
        let sep = match self.byte(p)? {
            b':' => {
                let next = self.byte(p + 1);
                if !matches!(next, None | Some(b' ' | b'\t' | b'\n' | b'\r')) {
                    return None;
                }
                Sep::Colon
            }
            b'=' => Sep::Equals,
            b'|' => Sep::Pipe,
            _ => return None,
        };
        Some(EntryHead {
            key,
            sep,
            sep_pos: p,
        })
    }

    /// Parses a quoted string starting at the `"` at `pos`; returns the decoded text and
    /// the offset after the closing quote.
    pub(crate) fn parse_quoted(&self, pos: usize) -> Result<(String, usize), Error> {
        let bytes = self.src.as_bytes();
        let mut out = String::new();
        let mut i = pos + 1;
        let mut run = i;
        loop {
            // Only these bytes need attention; the rest is copied as runs.
            i = skip_to_any(bytes, i, [b'"', b'\\', b'\r']);
            let Some(&b) = bytes.get(i) else {
                return Err(self.error(
                    pos,
                    ErrorKind::UnterminatedQuote,
                    "unterminated quoted string (opened here)",
                ));
            };
            match b {
                b'"' => {
                    out.push_str(&self.src[run..i]);
                    self.check_string_len(out.len(), pos)?;
                    return Ok((out, i + 1));
                }
                b'\r' if bytes.get(i + 1) == Some(&b'\n') => {
                    // CRLF inside a string is a line end: it reads as "\n".
                    out.push_str(&self.src[run..i]);
                    i += 1;
                    run = i;
                }
                b'\\' => {
                    out.push_str(&self.src[run..i]);
                    let next = bytes.get(i + 1).copied();
                    if let Some(c) = next.and_then(unescape_letter) {
                        out.push(c);
                        i += 2;
                        run = i;
                        continue;
                    }
                    match next {
                        Some(b'u') if bytes.get(i + 2) == Some(&b'{') => {
                            let close = self.src[i + 3..].find('}').map(|c| i + 3 + c);
                            let hex = close.map(|c| &self.src[i + 3..c]);
                            let ch = hex
                                .filter(|h| {
                                    (1..=6).contains(&h.len())
                                        && h.bytes().all(|b| b.is_ascii_hexdigit())
                                })
                                .and_then(|h| u32::from_str_radix(h, 16).ok())
                                .and_then(char::from_u32);
                            match (ch, close) {
                                (Some(c), Some(close)) => {
                                    out.push(c);
                                    i = close + 1;
                                    run = i;
                                    continue;
                                }
                                _ => {
                                    return Err(self.error(
                                        i,
                                        ErrorKind::InvalidEscape,
                                        "invalid `\\u{...}` escape: expected 1 to 6 hex digits naming a Unicode scalar value",
                                    ));
                                }
                            }
                        }
                        _ => {
                            // Any other pair is kept as written (real files rely on it);
                            // only the backslash is consumed here, the next character
                            // is copied by the normal run.
                            out.push('\\');
                            i += 1;
                            run = i;
                            continue;
                        }
                    }
                }
                _ => i += 1,
            }
        }
    }

    /// Parses a value at `pos` (which is not blank): quoted, inline, or plain.
    pub(crate) fn parse_value_at(
        &mut self,
        pos: usize,
        ctx: Context,
    ) -> Result<(Value, usize), Error> {
        match self.byte(pos) {
            Some(b'"') => {
                let (s, end) = self.parse_quoted(pos)?;
                Ok((
                    Value::Scalar(Scalar::with_source(
                        ScalarKind::String(s),
                        &self.src[pos..end],
                    )),
                    end,
                ))
            }
            Some(b) if opens_inline(b) => self.parse_inline(pos),
            _ => {
                let end = self.scan_plain(pos, ctx)?;
                let text = trim_blank_end(&self.src[pos..end]);
                let value = self.plain_scalar(text, pos)?;
                Ok((value, end))
            }
        }
    }

    /// Builds the scalar for a trimmed plain text found at `pos`.
    pub(crate) fn plain_scalar(&self, text: &str, pos: usize) -> Result<Value, Error> {
        let kind = type_plain(text).map_err(|(kind, msg)| self.error(pos, kind, msg))?;
        if let ScalarKind::String(s) = kind {
            self.check_string_len(s.len(), pos)?;
            // `type_plain` keeps a string's text as written: no need to compare.
            return Ok(Value::Scalar(Scalar::plain_string(s)));
        }
        Ok(Value::Scalar(Scalar::with_source(kind, text)))
    }

    /// End of a plain scalar starting at `pos` (not trimmed).
    fn scan_plain(&self, pos: usize, ctx: Context) -> Result<usize, Error> {
        let bytes = self.src.as_bytes();
        let mut i = pos;
        while i < bytes.len() {
            let b = bytes[i];
            if b == b'\n' || b == b'\r' || self.is_comment_at(i) {
                break;
            }
            if ctx != Context::Statement {
                match b {
                    b',' | b']' | b'}' => break,
                    b')' if ctx == Context::Tuple => break,
                    b'[' | b'{' => {
                        return Err(self.error(
                            i,
                            ErrorKind::Syntax,
                            format!("`{}` inside a plain value; quote the value", b as char),
                        ));
                    }
                    _ => {}
                }
            }
            i += 1;
        }
        Ok(i)
    }

    /// Parses an inline `[...]` or `{...}` at `pos`; may span lines.
    pub(crate) fn parse_inline(&mut self, pos: usize) -> Result<(Value, usize), Error> {
        self.enter(pos)?;
        let result = if self.byte(pos) == Some(b'[') {
            self.parse_inline_array(pos)
        } else {
            self.parse_inline_dict(pos)
        };
        self.leave();
        result
    }

    fn element(&mut self, pos: usize, ctx: Context) -> Result<(Value, usize), Error> {
        match self.byte(pos) {
            Some(b',') => Err(self.error(
                pos,
                ErrorKind::Syntax,
                "empty element: expected a value before `,`",
            )),
            Some(c @ (b']' | b'}' | b')')) => Err(self.error(
                pos,
                ErrorKind::UnexpectedCloseBracket { found: c as char },
                format!("unexpected `{}`: expected a value", c as char),
            )),
            _ => self.parse_value_at(pos, ctx),
        }
    }

    fn unterminated(&self, open: usize) -> Error {
        let c = self.char_at(open);
        self.error(
            open,
            ErrorKind::UnterminatedBracket { open: c },
            format!("unterminated `{c}` (opened here, never closed)"),
        )
    }

    fn separator_error(&self, pos: usize, open: usize, close: u8) -> Error {
        match self.byte(pos) {
            None => self.unterminated(open),
            Some(c @ (b']' | b'}' | b')')) => self.error(
                pos,
                ErrorKind::UnexpectedCloseBracket { found: c as char },
                format!("`{}` does not match the `{}` opened earlier", c as char, self.char_at(open)),
            ),
            // A new `key: ...` line where a `,` was expected: the bracket was never
            // closed.
            Some(_) if self.line_of(pos) != self.line_of(open) && self.entry_head(pos).is_some() => self.error(
                open,
                ErrorKind::UnterminatedBracket { open: self.char_at(open) },
                format!(
                    "unterminated `{}` (opened here); line {} starts a new entry before it is closed",
                    self.char_at(open),
                    self.line_of(pos) + 1
                ),
            ),
            Some(_) => self.error(
                pos,
                ErrorKind::Syntax,
                format!(
                    "expected `,` or `{}`, found `{}`",
                    close as char,
                    self.char_at(pos)
                ),
            ),
        }
    }

    fn parse_inline_array(&mut self, open: usize) -> Result<(Value, usize), Error> {
        let mut items = Vec::new();
        let mut p = self.skip_ws_comments(open + 1);
        loop {
            match self.byte(p) {
                None => return Err(self.unterminated(open)),
                Some(b']') => return Ok((Value::Array(items), p + 1)),
                _ => {}
            }
            let (item, end) = self.element(p, Context::Inline)?;
            items.push(item);
            p = self.skip_ws_comments(end);
            match self.byte(p) {
                Some(b',') => p = self.skip_ws_comments(p + 1),
                Some(b']') => {}
                _ => return Err(self.separator_error(p, open, b']')),
            }
        }
    }

    fn parse_inline_key(&self, pos: usize) -> Result<(String, usize), Error> {
        if self.byte(pos) == Some(b'"') {
            return self.parse_quoted(pos);
        }
        let end = self.scan_plain_key(pos);
        if end == pos {
            return Err(self.error(
                pos,
                ErrorKind::InvalidKey,
                format!("expected a key, found `{}`", self.char_at(pos)),
            ));
        }
        Ok((self.src[pos..end].to_owned(), end))
    }

    fn parse_inline_dict(&mut self, open: usize) -> Result<(Value, usize), Error> {
        let mut map = Map::new();
        let mut key_lines: Vec<usize> = Vec::new();
        let mut p = self.skip_ws_comments(open + 1);
        loop {
            match self.byte(p) {
                None => return Err(self.unterminated(open)),
                Some(b'}') => return Ok((Value::Dict(map), p + 1)),
                _ => {}
            }
            let key_pos = p;
            let (key, after_key) = self.parse_inline_key(p)?;
            let q = self.skip_ws_comments(after_key);
            if !matches!(self.byte(q), Some(b':' | b'=')) {
                return Err(match self.byte(q) {
                    None => self.unterminated(open),
                    _ => self.error(
                        q,
                        ErrorKind::Syntax,
                        format!(
                            "expected `:` after the key `{}`, found `{}`",
                            shorten(&key),
                            self.char_at(q)
                        ),
                    ),
                });
            }
            let v = self.skip_ws_comments(q + 1);
            if self.byte(v).is_none() {
                return Err(self.unterminated(open));
            }
            let (value, end) = self.element(v, Context::Inline)?;
            self.insert_unique(&mut map, &mut key_lines, key, value, key_pos)?;
            p = self.skip_ws_comments(end);
            match self.byte(p) {
                Some(b',') => p = self.skip_ws_comments(p + 1),
                Some(b'}') => {}
                _ => return Err(self.separator_error(p, open, b'}')),
            }
        }
    }

    /// Inserts into a dict, enforcing the duplicate-key rule. `key_lines` holds the
    /// 1-based line of each entry by position.
    pub(crate) fn insert_unique(
        &self,
        map: &mut Map,
        key_lines: &mut Vec<usize>,
        key: String,
        value: Value,
        key_pos: usize,
    ) -> Result<(), Error> {
        if let Some(i) = map.position(&key) {
            if !self.options.allow_duplicate_keys {
                let first_line = key_lines.get(i).copied().unwrap_or(0);
                return Err(self.error(
                    key_pos,
                    ErrorKind::DuplicateKey {
                        key: key.clone(),
                        first_line,
                    },
                    format!(
                        "duplicate key `{}` (first defined at line {first_line})",
                        shorten(&key)
                    ),
                ));
            }
            map.insert(key, value);
            return Ok(());
        }
        key_lines.push(self.line_of(key_pos) + 1);
        map.insert(key, value);
        Ok(())
    }

    /// Parses the cells of a table row starting at `pos` up to the end of its line (a
    /// quoted or inline cell may span lines). Returns the cells and the end offset.
    /// `columns` is the expected cell count (the row's capacity; 0 when unknown), so a
    /// row of a large table holds no spare cells.
    pub(crate) fn parse_row_cells(
        &mut self,
        pos: usize,
        columns: usize,
    ) -> Result<(Vec<Value>, usize), Error> {
        let mut cells = Vec::with_capacity(columns);
        let mut p = self.skip_blank(pos);
        loop {
            let (cell, end) = match self.byte(p) {
                Some(b) if b == b'"' || opens_inline(b) => {
                    self.parse_value_at(p, Context::Inline)?
                }
                _ => {
                    let end = plain_cell_end(self.src.as_bytes(), p);
                    let text = trim_blank_end(&self.src[p..end]);
                    (self.plain_scalar(text, p)?, end)
                }
            };
            cells.push(cell);
            let q = self.skip_blank(end);
            match self.byte(q) {
                Some(CELL_SEPARATOR) => p = self.skip_blank(q + 1),
                _ if self.at_line_end_or_comment(q) => return Ok((cells, q)),
                _ => {
                    return Err(self.error(
                        q,
                        ErrorKind::TrailingCharacters,
                        format!(
                            "unexpected `{}` after a cell; separate cells with `,` or quote the cell",
                            self.char_at(q)
                        ),
                    ));
                }
            }
        }
    }

    /// Parses `|a, b|` starting at the first `|`; returns the columns and the offset after
    /// the closing `|`.
    pub(crate) fn parse_column_names(&self, open: usize) -> Result<(Vec<Column>, usize), Error> {
        let line_end = self.line_end(open);
        let mut columns: Vec<Column> = Vec::new();
        // Names seen so far: a set, so a header of n columns is checked in O(n).
        let mut seen: HashSet<String> = HashSet::new();
        let mut p = open + 1;
        loop {
            p = self.skip_blank(p);
            if p >= line_end {
                return Err(self.error(
                    open,
                    ErrorKind::BadTableHeader,
                    "table header has no closing `|`",
                ));
            }
            let name_pos = p;
            let (name, end) = if self.byte(p) == Some(b'"') {
                self.parse_quoted(p)?
            } else {
                let rest = &self.src[p..line_end];
                let len = rest.find([',', '|']).unwrap_or(rest.len());
                let name = trim_blank_end(&rest[..len]);
                if name.is_empty() {
                    return Err(self.error(
                        p,
                        ErrorKind::BadTableHeader,
                        "empty column name in table header",
                    ));
                }
                if let Some(bad) = name.find(|c: char| !is_key_char(c)) {
                    return Err(self.error(
                        p + bad,
                        ErrorKind::BadTableHeader,
                        format!(
                            "column name `{}` contains `{}`; quote it",
                            shorten(name),
                            name[bad..].chars().next().unwrap_or(' ')
                        ),
                    ));
                }
                (name.to_owned(), p + name.len())
            };
            if !seen.insert(name.clone()) {
                return Err(self.error(
                    name_pos,
                    ErrorKind::BadTableHeader,
                    format!("duplicate column name `{}`", shorten(&name)),
                ));
            }
            self.check_column_count(columns.len() + 1, name_pos)?;
            columns.push(Column::named(name));
            let q = self.skip_blank(end);
            match self.byte(q) {
                Some(b',') => p = q + 1,
                Some(b'|') => return Ok((columns, q + 1)),
                _ if q >= line_end => {
                    return Err(self.error(
                        open,
                        ErrorKind::BadTableHeader,
                        "table header has no closing `|`",
                    ));
                }
                _ => {
                    return Err(self.error(
                        q,
                        ErrorKind::BadTableHeader,
                        format!(
                            "expected `,` or `|` in table header, found `{}`",
                            self.char_at(q)
                        ),
                    ));
                }
            }
        }
    }

    /// Parses `table{i64, str}` at `pos` (which starts with `table{`); returns the types
    /// and the offset after `}`.
    pub(crate) fn parse_column_types(&self, pos: usize) -> Result<(Vec<ColumnType>, usize), Error> {
        let open = pos + "table".len();
        let line_end = self.line_end(pos);
        let close = self.src[open..line_end]
            .find('}')
            .map(|i| open + i)
            .ok_or_else(|| {
                self.error(
                    open,
                    ErrorKind::BadTableHeader,
                    "`table{` has no closing `}` on its line",
                )
            })?;
        let mut types = Vec::new();
        let mut p = open + 1;
        for part in self.src[open + 1..close].split(',') {
            let name = part.trim();
            let at = p + (part.len() - part.trim_start().len());
            if name.is_empty() {
                return Err(self.error(
                    at,
                    ErrorKind::BadTableHeader,
                    "empty column type in `table{...}`",
                ));
            }
            let ty = ColumnType::from_name(name).ok_or_else(|| {
                self.error(
                    at,
                    ErrorKind::UnknownColumnType {
                        name: name.to_owned(),
                    },
                    format!(
                        "unknown column type `{}`; expected i64, f64, str or bool",
                        shorten(name)
                    ),
                )
            })?;
            self.check_column_count(types.len() + 1, at)?;
            types.push(ty);
            p += part.len() + 1;
        }
        Ok((types, close + 1))
    }

    /// Parses `[(a, b), (c, d)]` rows at `pos` for a typed table; may span lines.
    pub(crate) fn parse_tuple_rows(
        &mut self,
        open: usize,
    ) -> Result<(Vec<TupleRow>, usize), Error> {
        if self.byte(open) != Some(b'[') {
            return Err(self.error(
                open,
                ErrorKind::Syntax,
                "expected `[` with rows `(a, b)` after `=`",
            ));
        }
        self.enter(open)?;
        let mut rows = Vec::new();
        let mut p = self.skip_ws_comments(open + 1);
        let result = loop {
            match self.byte(p) {
                None => break Err(self.unterminated(open)),
                Some(b']') => break Ok((rows, p + 1)),
                Some(b'(') => {}
                Some(_) => {
                    break Err(self.error(
                        p,
                        ErrorKind::Syntax,
                        "expected a row `(a, b)` in a typed table",
                    ));
                }
            }
            let row_open = p;
            let mut cells = Vec::new();
            let mut q = self.skip_ws_comments(p + 1);
            let closed = loop {
                match self.byte(q) {
                    None => break Err(self.unterminated(row_open)),
                    Some(b')') => break Ok(q + 1),
                    _ => {}
                }
                let (cell, end) = match self.element(q, Context::Tuple) {
                    Ok(x) => x,
                    Err(e) => break Err(e),
                };
                cells.push(cell);
                q = self.skip_ws_comments(end);
                match self.byte(q) {
                    Some(b',') => q = self.skip_ws_comments(q + 1),
                    Some(b')') => {}
                    _ => break Err(self.separator_error(q, row_open, b')')),
                }
            };
            match closed {
                Ok(end) => {
                    rows.push((cells, row_open));
                    p = self.skip_ws_comments(end);
                    match self.byte(p) {
                        Some(b',') => p = self.skip_ws_comments(p + 1),
                        Some(b']') => {}
                        _ => break Err(self.separator_error(p, open, b']')),
                    }
                }
                Err(e) => break Err(e),
            }
        };
        self.leave();
        result
    }
}
