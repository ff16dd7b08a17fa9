//! Format-preserving editing of SDN text (SPEC §9).
//!
//! A [`Document`] keeps the exact text it was parsed from. Written back without an edit
//! it is **byte-identical** to its input: byte-order mark, CRLF line ends, trailing
//! whitespace, comments, blank lines and a missing final newline all survive. An edit
//! rewrites only the text of what it changes; every other line stays byte-identical,
//! so a one-record change is a one-line diff.
//!
//! ```
//! use sdn_codec::{Document, Value};
//!
//! let text = "\
//! name: demo   # comments survive edits
//! server:
//!   host: localhost   # where to listen
//!   port: 8080
//!
//! todos |id, title, done|
//!     1, \"Write the parser\", false
//!     2, Ship it, false
//! ";
//! let mut doc = Document::parse(text)?;
//! assert_eq!(doc.to_string(), text); // no edit: byte-identical
//!
//! doc.set("server.port", 9090)?;
//! doc.table_mut("todos")?.update_row_where("id", "2", |row| {
//!     row.insert("done", true);
//! })?;
//! assert_eq!(doc.to_string(), "\
//! name: demo   # comments survive edits
//! server:
//!   host: localhost   # where to listen
//!   port: 9090
//!
//! todos |id, title, done|
//!     1, \"Write the parser\", false
//!     2, Ship it, true
//! ");
//! assert_eq!(doc.get("server.port").and_then(Value::as_i64), Some(9090));
//! # Ok::<(), sdn_codec::Error>(())
//! ```
//!
//! # Edits and what they rewrite
//!
//! | edit | text written |
//! |---|---|
//! | [`Document::set`] of an existing entry written inline (`key: value`, `key = [..]`, `key: {..}`) to a scalar, array or dict | only the value's text on its line (key, separator, spacing and a trailing comment are kept); the new value in its canonical inline form |
//! | [`Document::set`] of an entry written as a block or table, or to a table value | the entry's lines, replaced by the canonical form of `key: value` at the entry's indentation (comments *inside* that entry's block are dropped) |
//! | [`Document::set`] of a new key | new lines after the last entry of the parent block (intermediate dicts are created as blocks), indented like the parent's other entries, nested levels with the file's own indentation step |
//! | [`Document::set`]/[`Document::remove`] of a key inside an inline `{...}` | that inline value, rewritten canonically |
//! | [`Document::remove`] | the entry's lines (a comment on the key line goes with it; comment lines around it stay); removing the last entry of a block dict turns its parent into `parent: {}` so the parent stays a dict |
//! | [`TableMut::update_row`] and friends | the changed cells only: untouched cells, separators, spacing and a trailing comment keep their bytes; a changed cell is written like the canonical writer writes cells, except that a string replacing a quoted string stays quoted |
//! | [`TableMut::insert_row`], [`TableMut::push_row`] | one new line, indented and separated like a neighbouring row, quoting strings in the columns where that row quotes them |
//! | [`TableMut::remove_row`] | the row's line(s) |
//! | [`TableMut::add_column`] | the header and **every row of that table** (inherent: each row needs its new cell); nothing else |
//!
//! Setting a value identical to the current one ([`Value::is_identical`]: equal data, with
//! floats compared bit for bit, so `0.0` and `-0.0` differ) changes nothing, and an
//! updated cell identical to the old one keeps its old text (`007` stays `007` when set
//! to `7`).
//!
//! A [`RowEditor`] makes the commonest edit, a row update of a row written on a line of
//! its own, without holding a value per cell (a document of a large table costs several
//! times its text): the same text, checked the same way, for a fraction of the memory.
//!
//! A document can also follow a text that changed elsewhere (another program rewrote the
//! file): [`Document::update_text`] reads again only the changed row line when one row is
//! all that changed, and parses the new text whole otherwise.
//!
//! # Guarantees
//!
//! - [`Document::parse`] accepts exactly what [`crate::parse_with`] accepts, and
//!   [`Document::value`] is always what the parser reads from [`Document::as_str`].
//! - Every edit is checked before it is kept: the edited text is parsed again and must
//!   read back as exactly the intended value (floats bit for bit). Otherwise the edit
//!   fails with [`ErrorKind::Unwritable`] and the document is unchanged. So an edit
//!   never changes data it was not asked to change, and never leaves text that does not
//!   parse. (The edited entry is compared in full; the entries it must leave alone are
//!   compared through a 128-bit fingerprint of their data, so that the old value need
//!   not be held while the new text is read: an edit of a large file holds one parsed
//!   value, not two.)
//!   (The commonest edit, a row update of a row written on a line of its own with
//!   scalar cells, is checked by parsing that one line exactly as the table body reads
//!   its row lines: the line keeps its indentation and stays one line, so no other line
//!   can read differently. Any other edit, or a row update that fails this check,
//!   parses the whole text again.)
//! - Failed edits (missing path, wrong kind, wrong cell count, ...) change nothing.
//!
//! # Limitations
//!
//! - Paths name dict keys; array elements cannot be addressed for editing (set the
//!   whole array instead), though [`Document::get`] reads them (`ports.0`).
//! - Row edits of a typed table written as `= [(...), ...]`, and inserting before or
//!   removing a row written on its table's header line (`t |a, b| 1, 2`), rewrite the
//!   whole table canonically.
//! - An edit that leaves a key beginning with U+FEFF at the very start of a text with no
//!   byte-order mark adds one in front (otherwise the key's first character would be
//!   read as a byte-order mark and lost).
//! - Each edit other than a one-line row update re-parses the whole text (to keep the
//!   guarantee above): such an edit costs a small multiple of one parse of the file
//!   (about 3x: ~1.4 ms for a 43 KB, 269-row table file in an optimised build). A
//!   one-line row update costs about one parse of that line.

mod expected;
mod layout;
mod navigate;
mod path;
mod row_editor;
mod row_line;
mod table;

use std::fmt;
use std::ops::Range;
use std::str::FromStr;

use crate::canonical_writer::{format_inline, map_to_canonical_string};
use crate::error::{Error, ErrorKind};
use crate::parse::{EntrySpan, ParseOptions, parse_spanned};
use crate::syntax::{TAB_WIDTH, indent_width, leading_blanks};
use crate::value::{Map, Table, Value};

use crate::byte_search::{common_prefix, common_suffix};
use expected::RootEdit;
use layout::{EntryValue, Lines, Scanner, line_ending, reindent};
use navigate::{empty_map, not_found, parent_dict, remove_in, set_in, table_at};
pub use path::KeyPath;
pub use row_editor::RowEditor;
pub use table::TableMut;

/// A parsed SDN text that can be edited in place, keeping its formatting.
///
/// See the [module documentation](self) for what each edit rewrites.
#[derive(Clone)]
pub struct Document {
    /// The whole text, byte-order mark included.
    text: String,
    /// Length of the byte-order mark (0 or 3); spans are relative to `text[bom..]`.
    bom: usize,
    options: ParseOptions,
    value: Value,
    entries: Vec<EntrySpan>,
    lines: Lines,
}

/// How [`Document::update_text`] brought a document up to date with a new text.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TextUpdate {
    /// The text was the same: nothing changed.
    Unchanged,
    /// Only one row changed, and only its line was read again: row `row` (counting
    /// from 0) of the table at key path `table`. Every other value is unchanged.
    Row {
        /// Key path of the table, from the root.
        table: Vec<String>,
        /// Index of the row that changed.
        row: usize,
    },
    /// The text was parsed whole: anything may have changed.
    Reparsed,
}

/// One replacement of a byte range of the body (the text after the byte-order mark).
#[derive(Debug)]
struct Splice {
    range: Range<usize>,
    text: String,
}

impl Document {
    /// Parses `text` with default [`ParseOptions`]; fails exactly when [`crate::parse()`]
    /// fails, with the same error.
    ///
    /// ```
    /// let doc = sdn_codec::Document::parse("\u{feff}a: 1\r\n# end")?;
    /// assert_eq!(doc.as_str(), "\u{feff}a: 1\r\n# end");
    /// assert!(sdn_codec::Document::parse("a: \"open\n").is_err());
    /// # Ok::<(), sdn_codec::Error>(())
    /// ```
    pub fn parse(text: &str) -> Result<Document, Error> {
        Document::parse_with(text, &ParseOptions::default())
    }

    /// Parses `text` with `options` (also used to re-check every edit).
    pub fn parse_with(text: &str, options: &ParseOptions) -> Result<Document, Error> {
        let spanned = parse_spanned(text, options)?;
        let bom = if text.starts_with('\u{feff}') {
            '\u{feff}'.len_utf8()
        } else {
            0
        };
        Ok(Document {
            lines: Lines::new(&text[bom..]),
            text: text.to_owned(),
            bom,
            options: options.clone(),
            value: Value::Dict(spanned.value),
            entries: spanned.entries,
        })
    }

    /// The current text (byte-identical to the input until an edit is made).
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The current text, consuming the document.
    pub fn into_string(self) -> String {
        self.text
    }

    /// The value of the whole document (a [`Value::Dict`]), as the parser reads the
    /// current text.
    pub fn value(&self) -> &Value {
        &self.value
    }

    /// The root map.
    pub fn root(&self) -> &Map {
        match &self.value {
            Value::Dict(map) => map,
            // The parser always returns a dict; this arm is never taken.
            _ => empty_map(),
        }
    }

    /// The value at `path`, or `None` (also `None` for an invalid path). Numeric keys
    /// also index arrays here: `ports.0`.
    ///
    /// ```
    /// let doc = sdn_codec::Document::parse("a:\n  b: [1, 2]\n")?;
    /// assert_eq!(doc.get("a.b.1").and_then(|v| v.as_i64()), Some(2));
    /// assert!(doc.get("a.c").is_none());
    /// # Ok::<(), sdn_codec::Error>(())
    /// ```
    pub fn get(&self, path: impl KeyPath) -> Option<&Value> {
        let keys = path.to_keys().ok()?;
        self.value.get_path(&keys)
    }

    /// The table at `path`: [`ErrorKind::NotFound`] when there is nothing there,
    /// [`ErrorKind::WrongKind`] when it is not a table.
    pub fn table(&self, path: impl KeyPath) -> Result<&Table, Error> {
        let keys = path.to_keys()?;
        table_at(self.root(), &keys)
    }

    /// A handle for row and column edits of the table at `path`.
    ///
    /// ```
    /// let mut doc = sdn_codec::Document::parse("t |id, name|\n    1, a\n")?;
    /// doc.table_mut("t")?.push_row(vec![2.into(), "b".into()])?;
    /// assert_eq!(doc.as_str(), "t |id, name|\n    1, a\n    2, b\n");
    /// # Ok::<(), sdn_codec::Error>(())
    /// ```
    pub fn table_mut(&mut self, path: impl KeyPath) -> Result<TableMut<'_>, Error> {
        let keys = path.to_keys()?;
        table_at(self.root(), &keys)?;
        Ok(TableMut::new(self, keys))
    }

    /// Makes this document the parse of `text`, a newer version of its text (say, the
    /// file after another program changed it), reading again only what changed when
    /// that is one row of a table written on a line of its own; otherwise `text` is
    /// parsed whole. Either way the result is exactly [`Document::parse_with`] of `text`
    /// with this document's options; on error (the same error) the document is
    /// unchanged.
    ///
    /// ```
    /// use sdn_codec::{Document, TextUpdate};
    ///
    /// let mut doc = Document::parse("# todo\nt |id, done|\n    1, false\n    2, false\n")?;
    /// let update = doc.update_text("# todo\nt |id, done|\n    1, false\n    2, true\n")?;
    /// assert_eq!(update, TextUpdate::Row { table: vec!["t".to_owned()], row: 1 });
    /// assert_eq!(doc.get("t").and_then(|t| t.as_table()).unwrap().rows[1][1], true.into());
    /// assert_eq!(doc.update_text("t: 1\n")?, TextUpdate::Reparsed);
    /// # Ok::<(), sdn_codec::Error>(())
    /// ```
    pub fn update_text(&mut self, text: &str) -> Result<TextUpdate, Error> {
        if text == self.text {
            return Ok(TextUpdate::Unchanged);
        }
        if let Some((table, row)) = self.update_one_row_line(text) {
            return Ok(TextUpdate::Row { table, row });
        }
        *self = Document::parse_with(text, &self.options)?;
        Ok(TextUpdate::Reparsed)
    }

    /// [`Document::update_text`] when `text` differs from the current text in the
    /// content of one row line only: the key path of its table and the row's index.
    fn update_one_row_line(&mut self, text: &str) -> Option<(Vec<String>, usize)> {
        if text.starts_with('\u{feff}') != (self.bom > 0) {
            return None;
        }
        let (old, new) = (self.body().as_bytes(), &text.as_bytes()[self.bom..]);
        let prefix = common_prefix(old, new);
        let suffix = common_suffix(&old[prefix..], &new[prefix..]);
        let line = self.lines.line_at(prefix);
        let (start, end) = (self.lines.start(line), self.lines.content_end(line));
        // Everything before the line and from its end on is the same in both texts.
        if prefix < start || old.len() - suffix > end {
            return None;
        }
        let new_end = (end + new.len()).checked_sub(old.len())?;
        let body = &text[self.bom..];
        let (keys, row) = self.row_at_line(line)?;
        // With duplicate keys allowed, the line may belong to an entry the value does not
        // come from: only the table the value comes from has this row on this line.
        let replaced = self.replace_row_line(&keys, row, None, |found, _| {
            (found.line == line)
                .then(|| body.get(found.start..new_end).map(str::to_owned))
                .flatten()
        });
        replaced.then_some((keys, row))
    }

    /// The key path of the table and the index of a row of it that line `line` belongs
    /// to, as the entry spans say (not checked against the value).
    fn row_at_line(&self, line: usize) -> Option<(Vec<String>, usize)> {
        fn find(spans: &[EntrySpan], line: usize, keys: &mut Vec<String>) -> Option<usize> {
            let span = spans.iter().find(|span| span.lines.contains(&line))?;
            keys.push(span.key.clone());
            if !span.rows.is_empty() {
                return span.rows.binary_search_by(|row| row.start.cmp(&line)).ok();
            }
            find(&span.children, line, keys)
        }
        let mut keys = Vec::new();
        let row = find(&self.entries, line, &mut keys)?;
        Some((keys, row))
    }

    /// Sets the entry at `path` to `value`, adding it (and any missing intermediate
    /// dicts) when absent. See the module documentation for what is rewritten.
    ///
    /// Errors: [`ErrorKind::WrongKind`] when a key on the way names something that is
    /// not a dict; [`ErrorKind::Unwritable`] when the value cannot be written there.
    ///
    /// ```
    /// let mut doc = sdn_codec::Document::parse("a:\n  x: 1   # keep me\n")?;
    /// doc.set("a.x", "two words")?;
    /// doc.set("a.y.z", true)?;
    /// assert_eq!(doc.as_str(), "a:\n  x: \"two words\"   # keep me\n  y:\n    z: true\n");
    /// # Ok::<(), sdn_codec::Error>(())
    /// ```
    pub fn set(&mut self, path: impl KeyPath, value: impl Into<Value>) -> Result<(), Error> {
        let keys = path.to_keys()?;
        let value = value.into();
        if self
            .root_value_at(&keys)
            .is_some_and(|current| current.is_identical(&value))
        {
            return Ok(());
        }
        let edit = self.root_edit(&keys, |entry| set_in(entry, &keys, value))?;
        let splices = self.set_splices(&keys, &edit)?;
        self.apply(splices, edit)
    }

    /// Removes the entry at `path` and returns its value; [`ErrorKind::NotFound`] when
    /// it does not exist.
    ///
    /// ```
    /// let mut doc = sdn_codec::Document::parse("# c\na: 1\nb:\n    c: 2\n")?;
    /// assert_eq!(doc.remove("a")?.as_i64(), Some(1));
    /// doc.remove("b.c")?;
    /// assert_eq!(doc.as_str(), "# c\nb: {}\n");
    /// # Ok::<(), sdn_codec::Error>(())
    /// ```
    pub fn remove(&mut self, path: impl KeyPath) -> Result<Value, Error> {
        let keys = path.to_keys()?;
        let mut removed = None;
        let edit = self.root_edit(&keys, |entry| {
            removed = Some(remove_in(entry, &keys)?);
            Ok(())
        })?;
        let splices = self.remove_splices(&keys, &edit)?;
        self.apply(splices, edit)?;
        removed.ok_or_else(|| not_found(&keys))
    }

    // ----- internals -----------------------------------------------------------------

    /// The edit `change` makes to the top-level entry `keys[0]` (given to it as a map
    /// holding only that entry, if it exists), without copying the rest of the root.
    fn root_edit(
        &self,
        keys: &[String],
        change: impl FnOnce(&mut Map) -> Result<(), Error>,
    ) -> Result<RootEdit, Error> {
        let key = keys.first().ok_or_else(|| not_found(keys))?.clone();
        let mut entry = Map::new();
        if let Some(value) = self.root().get(&key) {
            entry.insert(key.clone(), value.clone());
        }
        change(&mut entry)?;
        let entry = entry.remove(&key);
        Ok(RootEdit { key, entry })
    }

    fn body(&self) -> &str {
        &self.text[self.bom..]
    }

    fn root_value_at(&self, keys: &[String]) -> Option<&Value> {
        let (first, rest) = keys.split_first()?;
        let mut current = self.root().get(first)?;
        for key in rest {
            current = current.as_dict()?.get(key)?;
        }
        Some(current)
    }

    /// The spans of the longest prefix of `keys` that has line spans (dict blocks).
    /// With duplicate keys allowed, the last occurrence (the one whose value counts).
    fn span_chain(&self, keys: &[String]) -> Vec<&EntrySpan> {
        let mut chain = Vec::new();
        let mut level = &self.entries;
        for key in keys {
            let Some(span) = level.iter().rev().find(|s| &s.key == key) else {
                break;
            };
            chain.push(span);
            level = &span.children;
        }
        chain
    }

    fn scanner<'s>(&'s self, options: &'s ParseOptions) -> Result<Scanner<'s>, Error> {
        Scanner::new(self.body(), options)
    }

    fn eol(&self) -> &'static str {
        line_ending(self.body())
    }

    /// The indentation (exact bytes) of line `line`.
    fn indentation(&self, line: usize) -> &str {
        let start = self.lines.start(line);
        let body = self.body();
        let rest = &body[start..self.lines.content_end(line)];
        leading_blanks(rest)
    }

    /// One level of indentation as this file writes it: the step from the first entry
    /// with a nested block to that block's first line; the canonical indent when there is
    /// none.
    fn indent_unit(&self) -> String {
        fn find(doc: &Document, spans: &[EntrySpan]) -> Option<String> {
            for span in spans {
                let first_child = span
                    .children
                    .first()
                    .map(|c| c.lines.start)
                    .or_else(|| span.items.first().map(|r| r.start))
                    .or_else(|| {
                        span.rows
                            .iter()
                            .map(|r| r.start)
                            .find(|&l| l != span.lines.start)
                    });
                if let Some(child) = first_child {
                    let parent = doc.indentation(span.lines.start);
                    let inner = doc.indentation(child);
                    let step = indent_width(inner).saturating_sub(indent_width(parent));
                    if step > 0 {
                        return Some(if inner.ends_with('\t') && step.is_multiple_of(TAB_WIDTH) {
                            "\t".repeat(step / TAB_WIDTH)
                        } else {
                            " ".repeat(step)
                        });
                    }
                }
                if let Some(unit) = find(doc, &span.children) {
                    return Some(unit);
                }
            }
            None
        }
        find(self, &self.entries).unwrap_or_else(|| crate::syntax::INDENT.to_owned())
    }

    /// Inserts `text` (whole lines, each ending with the file's line end) before line
    /// `line` (past the last line: at the end). At the end of a text whose last line has
    /// no line end, the line end moves: one is added before the new lines and the new
    /// last line is left without one.
    fn insert_lines(&self, line: usize, text: String) -> Splice {
        let body = self.body();
        let pos = self.lines.start(line);
        if pos == body.len() && !body.is_empty() && !body.ends_with('\n') {
            let eol = self.eol();
            let trimmed = text.strip_suffix(eol).unwrap_or(&text);
            return Splice {
                range: pos..pos,
                text: format!("{eol}{trimmed}"),
            };
        }
        Splice {
            range: pos..pos,
            text,
        }
    }

    /// Replaces whole lines with `text` (whole lines), keeping a missing final newline
    /// missing.
    fn replace_lines(&self, lines: &Range<usize>, text: String) -> Splice {
        let body = self.body();
        let range = self.lines.span(lines);
        if range.end == body.len() && !body.ends_with('\n') {
            let eol = self.eol();
            let trimmed = text.strip_suffix(eol).unwrap_or(&text).to_owned();
            return Splice {
                range,
                text: trimmed,
            };
        }
        Splice { range, text }
    }

    /// Removes whole lines (see [`removed_lines`]).
    fn remove_lines(&self, lines: &Range<usize>) -> Splice {
        Splice {
            range: removed_lines(&self.lines, self.body(), lines),
            text: String::new(),
        }
    }

    /// Puts `text` where the inline value of an entry line goes.
    fn inline_value_splice(&self, separator: usize, value: Range<usize>, text: String) -> Splice {
        if !value.is_empty() {
            return Splice { range: value, text };
        }
        let body = self.body();
        let p = value.start;
        let text = if p == separator + 1 {
            format!(" {text}")
        } else if body.as_bytes().get(p) == Some(&b'#') {
            format!("{text} ")
        } else {
            text
        };
        Splice { range: p..p, text }
    }

    /// Canonical lines for `key: value` at the indentation of line `at_line` (or at
    /// `base`), in the file's indentation step and line ends.
    fn render_entry(&self, key: &str, value: &Value, base: &str) -> Result<String, Error> {
        let mut one = Map::new();
        one.insert(key, value.clone());
        let canonical = map_to_canonical_string(&one)?;
        Ok(reindent(&canonical, base, &self.indent_unit(), self.eol()))
    }

    /// Splices that give the entry `span` the value `new`.
    fn entry_value_splices(&self, span: &EntrySpan, new: &Value) -> Result<Vec<Splice>, Error> {
        let options = self.options.clone();
        let mut scanner = self.scanner(&options)?;
        let written_inline =
            span.children.is_empty() && span.items.is_empty() && span.rows.is_empty();
        if written_inline
            && !matches!(new, Value::Table(_))
            && let EntryValue::Inline { separator, value } =
                scanner.entry_value(&self.lines, span.lines.start)?
            && let Ok(text) = format_inline(new)
        {
            return Ok(vec![self.inline_value_splice(separator, value, text)]);
        }
        let base = self.indentation(span.lines.start).to_owned();
        let text = self.render_entry(&span.key, new, &base)?;
        Ok(vec![self.replace_lines(&span.lines, text)])
    }

    fn set_splices(&self, keys: &[String], expected: &RootEdit) -> Result<Vec<Splice>, Error> {
        let chain = self.span_chain(keys);
        let found = chain.len();
        let value_of = |n: usize| {
            expected
                .value_at(&keys[..n])
                .ok_or_else(|| Error::new(ErrorKind::Unwritable, "edited value missing (internal)"))
        };
        if found == keys.len() {
            let span = chain[found - 1];
            return self.entry_value_splices(span, value_of(found)?);
        }
        // keys[found] is new: append it to its parent block, or rewrite an inline parent.
        let key = &keys[found];
        let new = value_of(found + 1)?;
        if found == 0 {
            let line = self
                .entries
                .last()
                .map_or(self.lines.count(), |s| s.lines.end);
            let text = self.render_entry(key, new, "")?;
            return Ok(vec![self.insert_lines(line, text)]);
        }
        let parent = chain[found - 1];
        match parent.children.first() {
            Some(first) => {
                let base = self.indentation(first.lines.start).to_owned();
                let text = self.render_entry(key, new, &base)?;
                Ok(vec![self.insert_lines(parent.lines.end, text)])
            }
            None => self.entry_value_splices(parent, value_of(found)?),
        }
    }

    fn remove_splices(&self, keys: &[String], expected: &RootEdit) -> Result<Vec<Splice>, Error> {
        let chain = self.span_chain(keys);
        let found = chain.len();
        if found == keys.len() {
            let span = chain[found - 1];
            let mut splices = vec![self.remove_lines(&span.lines)];
            if found >= 2 && chain[found - 2].children.len() == 1 {
                // The parent block loses its only entry: keep it a dict, `parent: {}`.
                let parent = chain[found - 2];
                let options = self.options.clone();
                let mut scanner = self.scanner(&options)?;
                if let EntryValue::Inline { separator, value } =
                    scanner.entry_value(&self.lines, parent.lines.start)?
                {
                    splices.push(self.inline_value_splice(separator, value, "{}".to_owned()));
                }
            }
            return Ok(splices);
        }
        // The key sits inside an inline value: rewrite the innermost entry with lines.
        let span = chain
            .last()
            .ok_or_else(|| Error::new(ErrorKind::Unwritable, "no entry to edit (internal)"))?;
        let new = expected
            .value_at(&keys[..found])
            .ok_or_else(|| Error::new(ErrorKind::Unwritable, "edited value missing (internal)"))?;
        self.entry_value_splices(span, new)
    }

    /// Applies `splices`, re-parses, and keeps the result only if it reads back as
    /// `expected`.
    fn apply(&mut self, mut splices: Vec<Splice>, expected: RootEdit) -> Result<(), Error> {
        // Front to back, the text built once (replacing in place would move the rest of
        // the text once per splice); at one offset, an insertion before a removal, so the
        // insertion is not removed with it.
        splices.sort_by_key(|s| (s.range.start, s.range.end));
        let body = self.body();
        let added: usize = splices.iter().map(|s| s.text.len()).sum();
        let mut text = String::with_capacity(self.text.len() + added);
        text.push_str(&self.text[..self.bom]);
        let mut copied = 0;
        for splice in &splices {
            let range = &splice.range;
            if range.start < copied || range.start > range.end || range.end > body.len() {
                return Err(Error::new(
                    ErrorKind::Unwritable,
                    "overlapping edits (internal)",
                ));
            }
            text.push_str(&body[copied..range.start]);
            text.push_str(&splice.text);
            copied = range.end;
        }
        text.push_str(&body[copied..]);
        // A body starting with U+FEFF (a key beginning with it that an edit made the
        // first line) would lose that character to byte-order-mark stripping: a
        // byte-order mark in front keeps it data.
        let bom = if self.bom == 0 && text.starts_with('\u{feff}') {
            text.insert(0, '\u{feff}');
            '\u{feff}'.len_utf8()
        } else {
            self.bom
        };
        // The old value is dropped while the edited text is read, so a large file is
        // held as one value, not two; what the edit must keep is checked against a
        // fingerprint of it. A refused edit reads the unchanged text again.
        let unchanged = expected.unchanged_part(self.root());
        self.value = Value::null();
        let checked = match parse_spanned(&text, &self.options) {
            Err(e) => Err(Error::new(
                ErrorKind::Unwritable,
                format!(
                    "the edit would produce text that does not parse ({} at line {}); nothing was changed",
                    e.message(),
                    e.line()
                ),
            )),
            Ok(spanned) if expected.matches(&unchanged, &spanned.value) => Ok(spanned),
            Ok(_) => Err(Error::new(
                ErrorKind::Unwritable,
                "the edited text would not read back as the intended value; nothing was changed",
            )),
        };
        let spanned = match checked {
            Ok(spanned) => spanned,
            Err(refused) => {
                self.value = crate::parse::parse_with(&self.text, &self.options)?;
                return Err(refused);
            }
        };
        self.bom = bom;
        self.lines = Lines::new(&text[bom..]);
        self.text = text;
        self.value = Value::Dict(spanned.value);
        self.entries = spanned.entries;
        Ok(())
    }
}

impl fmt::Display for Document {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for Document {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Document")
            .field("text", &self.text)
            .finish_non_exhaustive()
    }
}

impl FromStr for Document {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Document::parse(s)
    }
}

impl AsRef<str> for Document {
    fn as_ref(&self) -> &str {
        &self.text
    }
}

/// The line ranges `rows` (ascending, not overlapping) joined into runs of consecutive
/// lines, each to remove as one (see [`removed_lines`]): a last line without a line end
/// takes the line end before it, which the row before must not remove as well.
fn line_runs(rows: impl IntoIterator<Item = Range<usize>>) -> Vec<Range<usize>> {
    let mut runs: Vec<Range<usize>> = Vec::new();
    for row in rows {
        match runs.last_mut() {
            Some(run) if run.end == row.start => run.end = row.end,
            _ => runs.push(row),
        }
    }
    runs
}

/// The bytes of `body` (laid out as `lines`) that removing `lines` removes: whole lines;
/// removing the last lines of a text without a final newline also removes the line end
/// before them, so the text still ends without one.
fn removed_lines(lines: &Lines, body: &str, removed: &Range<usize>) -> Range<usize> {
    let range = lines.span(removed);
    if range.end == body.len() && !body.ends_with('\n') && range.start > 0 {
        let eol_len = if body[..range.start].ends_with("\r\n") {
            2
        } else {
            1
        };
        return range.start - eol_len..range.end;
    }
    range
}
