//! The direct path: deserializing straight from the text of a document, without
//! building a [`Value`](crate::Value) first.
//!
//! It covers the shape of record files — root entries `key: scalar` and named tables
//! `name |a, b|` with rows of scalar cells — and borrows every cell from the input, so
//! only the `String`s the target type owns are allocated. Anything else (blocks, inline
//! arrays and dicts, multi-line quoted strings, typed tables, `=` entries, duplicate
//! keys, out-of-range literals, wrong cell counts, ...) makes it give up *before*
//! producing a result, and [`from_str_with`](super::from_str_with) then takes the
//! general path (parse to a `Value`, deserialize from it).
//!
//! The rules are the parser's (`crate::parse`): the same key characters, comment rule,
//! cell splitting, trimming and scalar typing (typing is delegated to
//! [`parse_scalar_text`]; quoted cells with escapes to [`decode_quoted`]). Tests check
//! the two paths agree on the corpus and on generated tables. When the direct path meets
//! a data error (a wrong type, say), the whole text is parsed once more so that a syntax
//! error later in the file still wins, exactly as on the general path; the data error
//! itself keeps the line and column of the failing cell or entry.

use std::borrow::Cow;

use serde::de::{
    self, DeserializeOwned, DeserializeSeed, EnumAccess, MapAccess, SeqAccess, VariantAccess,
    Visitor,
};
use serde::forward_to_deserialize_any;

use super::scalar::{ENUM_EXPECTED, Typed};
use super::{DeOptions, Index, KeyDeserializer, in_context, unknown_column};
use crate::bytescan::{contains_byte, skip_to_any};
use crate::error::{Error, ErrorKind};
use crate::parse::{decode_quoted, parse_scalar_text};
use crate::value::ScalarKind;

/// Implements the listed `deserialize_*` methods as "give up" (root values the direct
/// path leaves to the general path).
macro_rules! bail_methods {
    ($($method:ident)*) => {$(
        fn $method<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Error> {
            Err(self.doc.bail())
        }
    )*};
}

/// Implements the listed `deserialize_*` methods as "a table is not that".
macro_rules! table_invalid {
    ($($method:ident)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            Err(self.invalid_type(&visitor))
        }
    )*};
}

/// Deserializes `T` straight from `text`, or returns `None` when the text has a shape
/// the direct path does not cover (the caller then takes the general path).
pub(crate) fn try_from_str<T: DeserializeOwned>(
    text: &str,
    options: &DeOptions,
) -> Option<Result<T, Error>> {
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    // A CR that is not part of a CRLF is a parse error: leave it to the parser.
    if contains_byte(body.as_bytes(), b'\r')
        && body
            .match_indices('\r')
            .any(|(i, _)| body.as_bytes().get(i + 1) != Some(&b'\n'))
    {
        return None;
    }
    let mut doc = Doc {
        text: body,
        pos: 0,
        line: 0,
        bailed: false,
        seen: Vec::new(),
    };
    let result = T::deserialize(RootDe {
        doc: &mut doc,
        options,
    });
    let result = result.and_then(|value| doc.skip_rest().map(|()| value));
    if doc.bailed {
        return None;
    }
    match result {
        Ok(value) => Some(Ok(value)),
        // A syntax error anywhere in the file takes precedence over a data error, as on
        // the general path.
        Err(err) => Some(Err(match crate::parse(text) {
            Err(syntax) => syntax,
            Ok(_) => err.with_source(body),
        })),
    }
}

/// The error used to unwind when the direct path gives up; never shown to callers.
fn bail(doc_bailed: &mut bool) -> Error {
    *doc_bailed = true;
    Error::new(ErrorKind::Syntax, "direct path: unsupported shape")
}

/// 1-based column (in characters) of byte `offset` of `line`.
fn column_of(line: &str, offset: usize) -> usize {
    line.get(..offset).map_or(1, |p| p.chars().count() + 1)
}

fn at(err: Error, line_index: usize, line: &str, offset: usize) -> Error {
    err.with_position_if_missing(line_index + 1, column_of(line, offset))
}

/// Cursor over the lines of the document.
struct Doc<'a> {
    text: &'a str,
    /// Byte offset of the next unread line.
    pos: usize,
    /// 0-based index of the next unread line.
    line: usize,
    bailed: bool,
    /// Root keys seen so far (a duplicate is a parse error: leave it to the parser).
    seen: Vec<&'a str>,
}

/// What a root statement holds.
enum Statement<'a> {
    Scalar(Scalar<'a>, LineRef<'a>),
    Table(Header<'a>),
}

struct Header<'a> {
    columns: Vec<&'a str>,
    line_index: usize,
    line: &'a str,
}

impl<'a> Doc<'a> {
    fn bail(&mut self) -> Error {
        bail(&mut self.bailed)
    }

    /// The next line (without its line end), its index, and the offset after it; not
    /// consumed.
    fn peek_line(&mut self) -> Result<Option<(&'a str, usize, usize)>, Error> {
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

    fn advance(&mut self, next: usize) {
        self.pos = next;
        self.line += 1;
    }

    /// Skips blank and comment-only lines; returns the next meaningful line, not
    /// consumed.
    fn peek_meaningful(&mut self) -> Result<Option<(&'a str, usize, usize)>, Error> {
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
    fn next_statement(&mut self) -> Result<Option<(&'a str, Statement<'a>)>, Error> {
        let Some((line, index, next)) = self.peek_meaningful()? else {
            return Ok(None);
        };
        if line.starts_with([' ', '\t']) {
            // An indented line outside a table: a block or an error.
            return Err(self.bail());
        }
        let key_len = line
            .find(|c: char| c.is_whitespace() || ":=|,[]{}()\"#".contains(c))
            .unwrap_or(line.len());
        let key = &line[..key_len];
        if !crate::syntax::is_valid_plain_key(key) || self.seen.contains(&key) {
            return Err(self.bail());
        }
        self.seen.push(key);
        let after_key = skip_blank(line, key_len);
        let statement = match line.as_bytes().get(after_key) {
            Some(b':') if key_len == after_key => {
                match line.as_bytes().get(after_key + 1) {
                    Some(b' ' | b'\t') => {}
                    _ => return Err(self.bail()),
                }
                let start = skip_blank(line, after_key + 1);
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
    fn next_row(
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
            let start = skip_blank(rest, 0);
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
    fn skip_rows(&mut self, columns: usize) -> Result<(), Error> {
        let mut cells = Vec::with_capacity(columns);
        while self.next_row(columns, &mut cells)?.is_some() {
            for cell in &cells {
                cell.check(self)?;
            }
        }
        Ok(())
    }

    /// Reads and checks the rest of the document (after the target stopped reading).
    fn skip_rest(&mut self) -> Result<(), Error> {
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
fn trim_end(text: &str) -> &str {
    match text.as_bytes().last() {
        Some(b) if b.is_ascii_graphic() => text,
        _ => crate::syntax::trim_blank_end(text.strip_suffix('\r').unwrap_or(text)),
    }
}

fn skip_blank(line: &str, mut pos: usize) -> usize {
    let bytes = line.as_bytes();
    while pos < bytes.len() && matches!(bytes[pos], b' ' | b'\t') {
        pos += 1;
    }
    pos
}

/// True when the `#` at `pos` starts a comment (it follows a blank). Positions here are
/// never 0 of the document: root lines start with a key, rows with indentation.
fn is_comment_at(line: &str, pos: usize) -> bool {
    let bytes = line.as_bytes();
    bytes.get(pos) == Some(&b'#') && (pos == 0 || matches!(bytes[pos - 1], b' ' | b'\t'))
}

fn at_end_or_comment(line: &str, pos: usize) -> bool {
    matches!(line.as_bytes().get(pos), None | Some(b'\n' | b'\r')) || is_comment_at(line, pos)
}

/// Column names of `name |a, b|` (the `|` at `open`); `None` for anything the direct
/// path leaves to the parser (quoted names, an inline row, a malformed header).
fn header_columns(line: &str, open: usize) -> Option<Vec<&str>> {
    let mut columns: Vec<&str> = Vec::new();
    let mut p = open + 1;
    loop {
        p = skip_blank(line, p);
        let rest = line.get(p..)?;
        let len = rest.find([',', '|'])?;
        let name = crate::syntax::trim_blank_end(&rest[..len]);
        if name.is_empty()
            || name.starts_with('"')
            || !name
                .chars()
                .all(|c| !c.is_whitespace() && !":=|,[]{}()\"#".contains(c))
        {
            return None;
        }
        columns.push(name);
        let sep = p + len;
        if line.as_bytes()[sep] == b'|' {
            let after = skip_blank(line, sep + 1);
            // Duplicate names are the parser's error to report: a set keeps this linear.
            let mut seen = std::collections::HashSet::with_capacity(columns.len());
            let unique = columns.iter().all(|name| seen.insert(*name));
            return (unique && at_end_or_comment(line, after)).then_some(columns);
        }
        p = sep + 1;
    }
}

/// The scalar of a `key: value` statement starting at `start`; `None` when the value is
/// not a single-line scalar (empty, a block, inline brackets, a typed table, ...).
fn statement_scalar(line: &str, start: usize) -> Option<Scalar<'_>> {
    if at_end_or_comment(line, start) {
        return None;
    }
    let rest = &line[start..];
    if rest.starts_with(['[', '{', '|', '>']) || rest.starts_with("table{") {
        return None;
    }
    if rest.starts_with('"') {
        let (scalar, end) = quoted_at(line, start)?;
        let after = skip_blank(line, end);
        return at_end_or_comment(line, after).then_some(scalar);
    }
    let mut end = start;
    let bytes = line.as_bytes();
    while end < bytes.len() && !is_comment_at(line, end) {
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
fn quoted_at(line: &str, start: usize) -> Option<(Scalar<'_>, usize)> {
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
fn split_row<'a>(line: &'a str, start: usize, cells: &mut Vec<Scalar<'a>>) -> Option<usize> {
    let bytes = line.as_bytes();
    let mut p = skip_blank(line, start);
    loop {
        // Where the cell ends, past the blanks after it.
        let q = match bytes.get(p) {
            Some(b'[' | b'{') => return None,
            Some(b'"') => {
                let (scalar, end) = quoted_at(line, p)?;
                cells.push(scalar);
                skip_blank(line, end)
            }
            _ => {
                let mut end = p;
                loop {
                    // A CR before the LF is trimmed below with the other blanks.
                    end = skip_to_any(bytes, end, [b',', b'#', b'\n']);
                    match bytes.get(end) {
                        Some(b'#') if !is_comment_at(line, end) => end += 1,
                        _ => break,
                    }
                }
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
            Some(b',') => {
                // Usually `, ` and then the next cell.
                p = q + 1;
                if bytes.get(p) == Some(&b' ') {
                    p += 1;
                }
                if matches!(bytes.get(p), Some(b' ' | b'\t')) {
                    p = skip_blank(line, p);
                }
            }
            _ if at_end_or_comment(line, q) => return Some(q),
            _ => return None,
        }
    }
}

/// One scalar as written: a plain text (trimmed) or a whole quoted literal.
#[derive(Clone, Copy)]
struct Scalar<'a> {
    text: &'a str,
    quoted: bool,
    /// For a quoted literal holding a backslash (found while scanning it): where in
    /// its content decoding starts (the text before has no escape); else
    /// [`NO_ESCAPE`].
    escape_from: u32,
    /// Byte offset of the scalar in its line.
    offset: usize,
}

/// [`Scalar::escape_from`] of a scalar with nothing to decode.
const NO_ESCAPE: u32 = u32::MAX;

/// The line a scalar was read from (for error positions), kept once per row rather than
/// in every cell.
#[derive(Clone, Copy)]
struct LineRef<'a> {
    /// 0-based line index.
    index: usize,
    /// The line's text (it may run on past its line end).
    text: &'a str,
}

impl<'a> Scalar<'a> {
    /// The typed data, with the parser's typing; `Err` (after marking the direct path as
    /// given up) for literals the parser rejects (out-of-range integers, bad escapes).
    fn typed(&self, bailed: &mut bool) -> Result<Typed<'a>, Error> {
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
    fn decoded(&self, bailed: &mut bool) -> Result<Cow<'a, str>, Error> {
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
    fn is_absent(&self) -> bool {
        !self.quoted && matches!(self.text, "" | "null" | "nil")
    }

    /// Checks the scalar the way the parser would (for values the target skips).
    fn check(&self, doc: &mut Doc<'a>) -> Result<(), Error> {
        self.typed(&mut doc.bailed).map(drop)
    }

    fn error_at(&self, line: LineRef<'_>, err: Error) -> Error {
        at(err, line.index, line.text, self.offset)
    }
}

/// Plain decimal digits with an optional `-` (fewer than 19 digits, so no overflow):
/// the common integer case, read without the parser's copy. `None` for anything else
/// (the parser's typing decides).
fn plain_decimal(text: &str) -> Option<i64> {
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
fn decode_simple_escapes(content: &str, from: usize) -> Option<String> {
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
        let replacement = match bytes.get(i + 1) {
            Some(b'n') => '\n',
            Some(b't') => '\t',
            Some(b'r') => '\r',
            Some(b'\\') => '\\',
            Some(b'"') => '"',
            Some(b'u') => return None,
            _ => {
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

// ---------------------------------------------------------------------------------------
// Root

struct RootDe<'d, 'a> {
    doc: &'d mut Doc<'a>,
    options: &'d DeOptions,
}

impl<'de> de::Deserializer<'de> for RootDe<'_, '_> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_map(RootAccess {
            doc: self.doc,
            options: self.options,
            pending: None,
        })
    }

    transparent!(deserialize_option deserialize_newtype_struct);
    forward_to_method!(deserialize_seq: deserialize_tuple deserialize_tuple_struct);

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        // Only a document that is exactly one table (the one asked for, if named).
        let doc = self.doc;
        let Some((key, Statement::Table(header))) = doc.next_statement()? else {
            return Err(doc.bail());
        };
        if self
            .options
            .root_table
            .as_deref()
            .is_some_and(|name| name != key)
        {
            return Err(doc.bail());
        }
        let value =
            visit_table(doc, &header, self.options, visitor).map_err(|e| in_context(e, &key))?;
        if doc.peek_meaningful()?.is_some() {
            return Err(doc.bail());
        }
        Ok(value)
    }
    fn deserialize_bool<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Error> {
        Err(self.doc.bail())
    }
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Error> {
        Err(self.doc.bail())
    }

    forward_to_deserialize_any! {
        map struct identifier
    }
    // Scalars, units and ignored values at the root are rare: leave them to the
    // general path.
    bail_methods! {
        deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64 deserialize_i128
        deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64 deserialize_u128
        deserialize_f32 deserialize_f64 deserialize_char deserialize_str deserialize_string
        deserialize_bytes deserialize_byte_buf deserialize_unit deserialize_ignored_any
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _visitor: V,
    ) -> Result<V::Value, Error> {
        Err(self.doc.bail())
    }
}

struct RootAccess<'d, 'a> {
    doc: &'d mut Doc<'a>,
    options: &'d DeOptions,
    pending: Option<(&'a str, Statement<'a>)>,
}

impl<'de> MapAccess<'de> for RootAccess<'_, '_> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        match self.doc.next_statement()? {
            Some((key, statement)) => {
                let k = seed
                    .deserialize(KeyDeserializer { key })
                    .map_err(|e| in_context(e, &key))?;
                self.pending = Some((key, statement));
                Ok(Some(k))
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, Error> {
        let Some((key, statement)) = self.pending.take() else {
            return Err(Error::custom("next_value called before next_key"));
        };
        match statement {
            Statement::Scalar(scalar, line) => seed
                .deserialize(ScalarDe {
                    scalar,
                    bailed: &mut self.doc.bailed,
                })
                .map_err(|e| in_context(scalar.error_at(line, e), &key)),
            Statement::Table(header) => {
                let result = seed.deserialize(TableDe {
                    doc: self.doc,
                    header: &header,
                    options: self.options,
                    consumed: false,
                });
                // Whatever the target read, the rest of the table must be checked.
                let result =
                    result.and_then(|v| self.doc.skip_rows(header.columns.len()).map(|()| v));
                result.map_err(|e| in_context(e, &key))
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Tables and rows

struct TableDe<'d, 'a, 'h> {
    doc: &'d mut Doc<'a>,
    header: &'h Header<'a>,
    options: &'d DeOptions,
    consumed: bool,
}

impl TableDe<'_, '_, '_> {
    fn invalid_type<E: de::Expected>(&self, expected: &E) -> Error {
        at(
            de::Error::invalid_type(de::Unexpected::Other("table"), expected),
            self.header.line_index,
            self.header.line,
            0,
        )
    }
}

fn visit_table<'de, 'a, V: Visitor<'de>>(
    doc: &mut Doc<'a>,
    header: &Header<'a>,
    options: &DeOptions,
    visitor: V,
) -> Result<V::Value, Error> {
    let mut access = RowsAccess {
        doc,
        columns: &header.columns,
        options,
        cells: Vec::with_capacity(header.columns.len()),
        index: 0,
        checked_fields: None,
    };
    visitor.visit_seq(&mut access)
}

impl<'de> de::Deserializer<'de> for TableDe<'_, '_, '_> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(mut self, visitor: V) -> Result<V::Value, Error> {
        self.consumed = true;
        visit_table(self.doc, self.header, self.options, visitor)
    }
    forward_to_method!(deserialize_any:
        deserialize_seq deserialize_tuple deserialize_tuple_struct deserialize_bytes
        deserialize_byte_buf);
    transparent!(deserialize_option deserialize_newtype_struct);
    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        // The caller checks the rows it skips.
        visitor.visit_unit()
    }
    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        Err(self.invalid_type(&visitor))
    }
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        Err(self.invalid_type(&visitor))
    }
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Error> {
        Err(self.invalid_type(&ENUM_EXPECTED))
    }

    table_invalid! {
        deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64
        deserialize_i128 deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64
        deserialize_u128 deserialize_f32 deserialize_f64 deserialize_char deserialize_str
        deserialize_string deserialize_unit deserialize_map deserialize_identifier
    }
}

struct RowsAccess<'d, 'a, 'h> {
    doc: &'d mut Doc<'a>,
    columns: &'h [&'a str],
    options: &'d DeOptions,
    cells: Vec<Scalar<'a>>,
    index: usize,
    checked_fields: Option<&'static [&'static str]>,
}

impl<'de> SeqAccess<'de> for RowsAccess<'_, '_, '_> {
    type Error = Error;

    fn size_hint(&self) -> Option<usize> {
        // A capacity estimate only (serde caps what it preallocates from it): the rest
        // of the text divided by the length of the next line.
        let rest = self.doc.text.get(self.doc.pos..).unwrap_or("");
        let line = rest.find('\n').map_or(rest.len(), |i| i + 1);
        Some(rest.len() / line.max(1))
    }

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        let Some((line_index, line, start)) =
            self.doc.next_row(self.columns.len(), &mut self.cells)?
        else {
            return Ok(None);
        };
        let index = self.index;
        self.index += 1;
        let row = RowDe {
            columns: self.columns,
            cells: &self.cells,
            line: LineRef {
                index: line_index,
                text: line,
            },
            options: self.options,
            checked_fields: &mut self.checked_fields,
            bailed: &mut self.doc.bailed,
        };
        seed.deserialize(row)
            .map(Some)
            .map_err(|e| in_context(at(e, line_index, line, start), &Index(index)))
    }
}

struct RowDe<'r, 'a> {
    columns: &'r [&'a str],
    cells: &'r [Scalar<'a>],
    line: LineRef<'a>,
    options: &'r DeOptions,
    /// The field list the columns were last checked against (`deny_unknown_columns`).
    checked_fields: &'r mut Option<&'static [&'static str]>,
    bailed: &'r mut bool,
}

impl<'de> de::Deserializer<'de> for RowDe<'_, '_> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_map(RowAccess {
            columns: self.columns,
            cells: self.cells,
            line: self.line,
            next: 0,
            bailed: self.bailed,
        })
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        // The columns are the same for every row: check them once per table and
        // field list, not per row.
        if self.options.deny_unknown_columns
            && !self
                .checked_fields
                .is_some_and(|checked| std::ptr::eq(checked, fields))
        {
            if let Some(column) = self
                .columns
                .iter()
                .find(|c| !fields.iter().any(|f| f == *c))
            {
                return Err(unknown_column(column, fields));
            }
            *self.checked_fields = Some(fields);
        }
        self.deserialize_any(visitor)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let len = self.cells.len();
        let mut access = CellsAccess {
            cells: self.cells,
            line: self.line,
            next: 0,
            bailed: self.bailed,
        };
        let value = visitor.visit_seq(&mut access)?;
        if access.next == len {
            Ok(value)
        } else {
            Err(de::Error::invalid_length(
                len,
                &"fewer elements in the array",
            ))
        }
    }
    forward_to_method!(deserialize_seq: deserialize_tuple deserialize_tuple_struct);
    transparent!(deserialize_option deserialize_newtype_struct);

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct map enum identifier ignored_any
    }
}

struct RowAccess<'r, 'a> {
    columns: &'r [&'a str],
    cells: &'r [Scalar<'a>],
    line: LineRef<'a>,
    next: usize,
    bailed: &'r mut bool,
}

impl<'de> MapAccess<'de> for RowAccess<'_, '_> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        match self.columns.get(self.next) {
            Some(column) => seed.deserialize(KeyDeserializer { key: column }).map(Some),
            None => Ok(None),
        }
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, Error> {
        let i = self.next;
        self.next += 1;
        let (Some(column), Some(cell)) = (self.columns.get(i), self.cells.get(i)) else {
            return Err(Error::custom("next_value called before next_key"));
        };
        seed.deserialize(ScalarDe {
            scalar: *cell,
            bailed: self.bailed,
        })
        .map_err(|e| in_context(cell.error_at(self.line, e), column))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.columns.len() - self.next)
    }
}

struct CellsAccess<'r, 'a> {
    cells: &'r [Scalar<'a>],
    line: LineRef<'a>,
    next: usize,
    bailed: &'r mut bool,
}

impl<'de> SeqAccess<'de> for CellsAccess<'_, '_> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        let i = self.next;
        let Some(cell) = self.cells.get(i) else {
            return Ok(None);
        };
        self.next += 1;
        seed.deserialize(ScalarDe {
            scalar: *cell,
            bailed: self.bailed,
        })
        .map(Some)
        .map_err(|e| in_context(cell.error_at(self.line, e), &Index(i)))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.cells.len() - self.next)
    }
}

// ---------------------------------------------------------------------------------------
// Scalars

/// Deserializes one scalar with the same rules as the general path (`ValueDeserializer`
/// on a `Value::Scalar`).
struct ScalarDe<'r, 'a> {
    scalar: Scalar<'a>,
    bailed: &'r mut bool,
}

impl<'a> ScalarDe<'_, 'a> {
    fn typed(&mut self) -> Result<Typed<'a>, Error> {
        self.scalar.typed(self.bailed)
    }
}

impl<'de> de::Deserializer<'de> for ScalarDe<'_, '_> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(mut self, visitor: V) -> Result<V::Value, Error> {
        self.typed()?.visit_any(visitor)
    }
    fn deserialize_bool<V: Visitor<'de>>(mut self, visitor: V) -> Result<V::Value, Error> {
        self.typed()?.visit_bool(visitor)
    }
    fn deserialize_i64<V: Visitor<'de>>(mut self, visitor: V) -> Result<V::Value, Error> {
        self.typed()?.visit_integer(visitor)
    }
    forward_to_method!(deserialize_i64:
        deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i128 deserialize_u8
        deserialize_u16 deserialize_u32 deserialize_u64 deserialize_u128);
    fn deserialize_f32<V: Visitor<'de>>(mut self, visitor: V) -> Result<V::Value, Error> {
        self.typed()?.visit_f32(Some(self.scalar.text), visitor)
    }
    fn deserialize_f64<V: Visitor<'de>>(mut self, visitor: V) -> Result<V::Value, Error> {
        self.typed()?.visit_f64(visitor)
    }

    forward_to_method!(deserialize_string: deserialize_char deserialize_str deserialize_identifier);
    fn deserialize_string<V: Visitor<'de>>(mut self, visitor: V) -> Result<V::Value, Error> {
        if self.scalar.quoted {
            return match self.scalar.decoded(self.bailed)? {
                Cow::Borrowed(s) => visitor.visit_str(s),
                Cow::Owned(s) => visitor.visit_string(s),
            };
        }
        // Plain: the exact text, whatever it looks like; only null is not a string.
        // Text that cannot be a number needs no typing (and no out-of-range check).
        let t = self.scalar.text;
        let needs_typing = match t.as_bytes().first() {
            Some(b'0'..=b'9' | b'-') => true,
            Some(b'n') => t == "null" || t == "nil",
            _ => false,
        };
        if !needs_typing {
            return visitor.visit_str(t);
        }
        match self.typed()? {
            Typed::Null => Err(Typed::Null.invalid_type(&visitor)),
            _ => visitor.visit_str(self.scalar.text),
        }
    }
    forward_to_method!(deserialize_byte_buf: deserialize_bytes);
    fn deserialize_byte_buf<V: Visitor<'de>>(mut self, visitor: V) -> Result<V::Value, Error> {
        self.typed()?.visit_byte_buf(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(mut self, visitor: V) -> Result<V::Value, Error> {
        if self.scalar.is_absent() {
            // Still type-check `null`/`nil` like the parser (they always pass).
            self.typed()?;
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }
    fn deserialize_unit<V: Visitor<'de>>(mut self, visitor: V) -> Result<V::Value, Error> {
        if self.scalar.is_absent() {
            visitor.visit_unit()
        } else {
            let typed = self.typed()?;
            Err(typed.invalid_type(&visitor))
        }
    }
    forward_to_method!(deserialize_unit: deserialize_unit_struct);
    transparent!(deserialize_newtype_struct);

    fn deserialize_seq<V: Visitor<'de>>(mut self, visitor: V) -> Result<V::Value, Error> {
        let typed = self.typed()?;
        Err(typed.invalid_type(&visitor))
    }
    forward_to_method!(deserialize_seq:
        deserialize_tuple deserialize_tuple_struct deserialize_map deserialize_struct);

    fn deserialize_enum<V: Visitor<'de>>(
        mut self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.typed()? {
            Typed::Str(variant) => visitor.visit_enum(UnitEnum { variant }),
            other => Err(other.invalid_type(&ENUM_EXPECTED)),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(mut self, visitor: V) -> Result<V::Value, Error> {
        self.typed()?;
        visitor.visit_unit()
    }
}

/// A unit variant named by a scalar string.
struct UnitEnum<'a> {
    variant: Cow<'a, str>,
}

impl<'de> EnumAccess<'de> for UnitEnum<'_> {
    type Error = Error;
    type Variant = UnitOnly;
    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, UnitOnly), Error> {
        let value = seed.deserialize(KeyDeserializer { key: &self.variant })?;
        Ok((value, UnitOnly))
    }
}

struct UnitOnly;

impl<'de> VariantAccess<'de> for UnitOnly {
    type Error = Error;
    fn unit_variant(self) -> Result<(), Error> {
        Ok(())
    }
    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, _seed: T) -> Result<T::Value, Error> {
        Err(de::Error::invalid_type(
            de::Unexpected::UnitVariant,
            &"newtype variant",
        ))
    }
    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, _visitor: V) -> Result<V::Value, Error> {
        Err(de::Error::invalid_type(
            de::Unexpected::UnitVariant,
            &"tuple variant",
        ))
    }
    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Error> {
        Err(de::Error::invalid_type(
            de::Unexpected::UnitVariant,
            &"struct variant",
        ))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    type Rows = BTreeMap<String, Vec<BTreeMap<String, String>>>;

    fn direct(text: &str) -> Option<Result<Rows, Error>> {
        try_from_str::<Rows>(text, &DeOptions::default())
    }

    #[test]
    fn record_files_take_the_direct_path() {
        let text = "\
todos |id, area, description, issue|
    0, parser, \"Add support, for aliases\", \"\"
    1, gpu, Make the rasterizer faster, x # reviewed
    # a comment between rows

    2, doc, doc/a.md#intro, \"\\u{41}\"
";
        let rows = direct(text).expect("direct path taken").expect("reads");
        let todos = &rows["todos"];
        assert_eq!(todos.len(), 3);
        assert_eq!(todos[0]["description"], "Add support, for aliases");
        assert_eq!(todos[1]["description"], "Make the rasterizer faster");
        assert_eq!(todos[2]["description"], "doc/a.md#intro");
        assert_eq!(todos[2]["issue"], "A");
    }

    #[test]
    fn data_errors_keep_the_cell_position() {
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Row {
            id: u8,
        }
        let text = "rows |id|\n    1\n    -4\n";
        let err = try_from_str::<BTreeMap<String, Vec<Row>>>(text, &DeOptions::default())
            .expect("direct path taken")
            .unwrap_err();
        assert_eq!((err.line(), err.column()), (3, 5));
        assert_eq!(err.line_text(), Some("    -4"));
        assert!(err.message().starts_with("at `rows[1].id`: "), "{err}");
    }

    #[test]
    fn other_shapes_are_left_to_the_general_path() {
        for text in [
            "a:\n    b: 1\n",
            "a: [1, 2]\n",
            "t |a|\n    [1]\n",
            "t |a|\n    \"two\nlines\"\n",
            "t |a, b|\n    1\n",
            "t |a|\n    99999999999999999999\n",
            "t: table{i64}\n    1\n",
            "a = 1\n",
        ] {
            assert!(direct(text).is_none(), "{text:?}");
        }
    }

    #[test]
    fn escapes_decode_like_the_parser() {
        for content in [
            "",
            "plain",
            r"a\nb",
            r#"\t\r\\\""#,
            r"C:\dir\x",
            r"trailing \\",
            r"\q\w\e",
            r"long prefix without escapes, then \n",
            r"\\\\\\",
            r"é✓ \d 😀",
        ] {
            let literal = format!("\"{content}\"");
            let expected = decode_quoted(&literal).unwrap();
            let ours = decode_simple_escapes(content, 0).expect("no \\u escape");
            assert_eq!(ours, expected, "{literal}");
            // Starting at the first backslash, as the scanner records it.
            let first = content.find('\\').unwrap_or(content.len());
            let ours = decode_simple_escapes(content, first).expect("no \\u escape");
            assert_eq!(ours, expected, "{literal}");
            let line = format!("{literal}, x");
            let (scalar, _) = quoted_at(&line, 0).expect("one-line literal");
            let mut bailed = false;
            assert_eq!(scalar.decoded(&mut bailed).unwrap(), expected, "{literal}");
        }
        assert_eq!(decode_simple_escapes(r"\u{41}", 0), None);
    }

    #[test]
    fn duplicate_keys_are_left_to_the_parser() {
        let text = "a: x\na: y\n";
        let result = try_from_str::<BTreeMap<String, String>>(text, &DeOptions::default());
        assert!(result.is_none());
        let err = crate::from_str::<BTreeMap<String, String>>(text).unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::DuplicateKey { .. }),
            "{err:?}"
        );
    }

    #[test]
    fn a_syntax_error_after_a_data_error_wins() {
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Db {
            n: u8,
            rest: Vec<BTreeMap<String, String>>,
        }
        let text = "n: 300\nrest |a|\n    \"open\n";
        let err = try_from_str::<Db>(text, &DeOptions::default())
            .map(|r| r.unwrap_err())
            .unwrap_or_else(|| {
                crate::de::from_str_via_value::<Db>(text, &DeOptions::default()).unwrap_err()
            });
        assert_eq!(err.kind(), &ErrorKind::UnterminatedQuote);
    }
}
