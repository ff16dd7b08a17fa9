//! Line structure: dict blocks, array blocks, `- ` items, tables (SPEC §2, §3, §5, §6).

use std::ops::Range;

use super::scan::{Context, EntryHead, Sep};
use super::{EntrySpan, LineView, Parser};
use crate::error::{Error, ErrorKind, shorten};
use crate::value::{Column, ColumnType, Map, Scalar, ScalarKind, Table, Value};

/// What a block's value parse produced besides the value: spans for editors.
#[derive(Default)]
struct Parsed {
    children: Vec<EntrySpan>,
    items: Vec<Range<usize>>,
    rows: Vec<Range<usize>>,
    /// Indentation of the nested block the value was read from, if any.
    child_indent: Option<usize>,
}

fn is_block_scalar_indicator(text: &str) -> bool {
    let mut chars = text.chars();
    matches!(chars.next(), Some('|' | '>'))
        && text.len() <= 3
        && chars.all(|c| matches!(c, '-' | '+' | '0'..='9'))
}

impl Parser<'_> {
    /// Parses the whole document as the root dict block.
    pub(crate) fn parse_root(&mut self) -> Result<(Map, Vec<EntrySpan>), Error> {
        if let Some(v) = self.peek()
            && v.indent > 0
        {
            return Err(self.error(
                v.start,
                ErrorKind::IndentedTopLevel,
                "the first top-level line is indented; top-level entries start at column 1",
            ));
        }
        let (map, spans) = self.parse_dict_block(0, true)?;
        Ok((map, spans))
    }

    /// True when a `- ` list marker (dash then blank or line end) is at `pos`.
    fn is_dash(&self, pos: usize) -> bool {
        self.src.as_bytes().get(pos) == Some(&b'-')
            && matches!(
                self.src.as_bytes().get(pos + 1),
                None | Some(b' ' | b'\t' | b'\n' | b'\r')
            )
    }

    fn line_text_from(&self, pos: usize) -> &str {
        &self.src[pos..self.line_end(pos)]
    }

    fn indent_error(&self, v: LineView, last_child: Option<usize>, is_root: bool) -> Error {
        if let Some(child) = last_child
            && v.indent < child
        {
            return self.error(
                v.start,
                ErrorKind::BadDedent,
                format!(
                    "dedent to column {} which no open block starts at; return to the column of an enclosing block",
                    v.indent + 1
                ),
            );
        }
        if is_root {
            return self.error(
                v.start,
                ErrorKind::IndentedTopLevel,
                "top-level line is indented, but the entry above it opens no block",
            );
        }
        self.error(
            v.start,
            ErrorKind::UnexpectedIndent,
            "line is indented deeper than its block, but the line above it opens no block",
        )
    }

    fn not_an_entry(&self, v: LineView) -> Error {
        let text = self.line_text_from(v.start);
        let shown: String = text.trim_end().chars().take(40).collect();
        if text.starts_with('[') {
            return self.error(
                v.start,
                ErrorKind::SectionHeader,
                format!(
                    "`{shown}` looks like an INI/TOML section header, which SDN does not have; \
                     write `name:` and indent its entries below it"
                ),
            );
        }
        let key_end = v.start
            + text
                .find(|c: char| !crate::syntax::is_key_char(c))
                .unwrap_or(text.len());
        let after = self.skip_blank(key_end);
        if text.trim_end() == "}"
            || (key_end > v.start && self.src.as_bytes().get(after) == Some(&b'{'))
        {
            return self.error(
                v.start,
                ErrorKind::SdlBlock,
                format!(
                    "`{shown}` looks like an SDL-style `name {{ ... }}` block, which SDN does not have; \
                     write `name:` and indent its entries below it"
                ),
            );
        }
        if self.is_dash(v.start) {
            return self.error(
                v.start,
                ErrorKind::NotAnEntry,
                format!("list item `{shown}` where a dict entry `key: value` was expected"),
            );
        }
        if key_end > v.start && self.src.as_bytes().get(key_end) == Some(&b':') {
            return self.error(
                key_end,
                ErrorKind::NotAnEntry,
                "a `:` after a key must be followed by a space or the end of the line",
            );
        }
        self.error(
            v.start,
            ErrorKind::NotAnEntry,
            format!("expected an entry `key: value`, found `{shown}`; every line of a dict block is an entry"),
        )
    }

    /// The next line of the block whose lines start at column `col` (not consumed), `None`
    /// at its end (a dedent), or the error for a line indented deeper.
    fn next_block_line(
        &mut self,
        col: usize,
        last_child: Option<usize>,
        is_root: bool,
    ) -> Result<Option<LineView>, Error> {
        match self.peek() {
            Some(v) if v.indent > col => Err(self.indent_error(v, last_child, is_root)),
            Some(v) if v.indent == col => Ok(Some(v)),
            _ => Ok(None),
        }
    }

    /// Parses the entries of a dict block whose lines start at column `col`.
    fn parse_dict_block(
        &mut self,
        col: usize,
        is_root: bool,
    ) -> Result<(Map, Vec<EntrySpan>), Error> {
        let mut map = Map::new();
        let mut key_lines = Vec::new();
        let mut spans = Vec::new();
        let mut last_child = None;
        while let Some(v) = self.next_block_line(col, last_child, is_root)? {
            let Some(head) = self.entry_head(v.start) else {
                return Err(self.not_an_entry(v));
            };
            let key = head.key.clone();
            let (value, parsed) = self.parse_entry_value(v, &head)?;
            last_child = parsed.child_indent;
            if self.record {
                spans.push(EntrySpan {
                    key: key.clone(),
                    lines: v.line..self.last_line + 1,
                    children: parsed.children,
                    items: parsed.items,
                    rows: parsed.rows,
                });
            }
            self.insert_unique(&mut map, &mut key_lines, key, value, v.start)?;
        }
        Ok((map, spans))
    }

    /// Parses what follows the key of the entry on line `v`.
    fn parse_entry_value(
        &mut self,
        v: LineView,
        head: &EntryHead,
    ) -> Result<(Value, Parsed), Error> {
        let mut parsed = Parsed::default();
        if head.sep == Sep::Pipe {
            let (columns, after) = self.parse_column_names(head.sep_pos)?;
            let mut table = Table {
                columns,
                rows: Vec::new(),
            };
            let p = self.skip_blank(after);
            if self.at_line_end_or_comment(p) {
                self.note_comment(p);
                self.consume(v);
            } else {
                let (cells, end) = self.parse_row_cells(p, table.columns.len())?;
                self.finish_line(end)?;
                self.push_row(&mut table, cells, p)?;
                parsed.rows.push(v.line..self.last_line + 1);
            }
            self.parse_table_rows(v.indent, &mut table, &mut parsed.rows)?;
            return Ok((Value::Table(table), parsed));
        }
        let p = self.skip_blank(head.sep_pos + 1);
        if self.at_line_end_or_comment(p) {
            self.note_comment(p);
            self.consume(v);
            return match self.peek() {
                Some(n) if n.indent > v.indent => {
                    let value = self.parse_child_block(n, &mut parsed)?;
                    parsed.child_indent = Some(n.indent);
                    Ok((value, parsed))
                }
                _ => Ok((Value::null(), parsed)),
            };
        }
        let rest = self.line_text_from(p);
        let rest_value = crate::syntax::trim_blank_end(crate::syntax::before_comment(rest));
        if is_block_scalar_indicator(rest_value) {
            return Err(self.error(
                p,
                ErrorKind::BlockScalar,
                format!(
                    "YAML block scalar `{rest_value}` is not SDN; write the text as one quoted string \
                     (\"...\", with \\n for line breaks)"
                ),
            ));
        }
        if rest.starts_with("table{") {
            let (types, after) = self.parse_column_types(p)?;
            let mut table = Table::with_types(types);
            let q = self.skip_blank(after);
            if self.src.as_bytes().get(q) == Some(&b'=') {
                let r = self.skip_blank(q + 1);
                let (rows, end) = self.parse_tuple_rows(r)?;
                self.finish_line(end)?;
                for (cells, pos) in rows {
                    self.push_row(&mut table, cells, pos)?;
                }
            } else {
                self.expect_line_rest_blank(q)?;
                self.consume(v);
                self.parse_table_rows(v.indent, &mut table, &mut parsed.rows)?;
            }
            return Ok((Value::Table(table), parsed));
        }
        let (value, end) = self.parse_value_at(p, Context::Statement)?;
        self.finish_line(end)?;
        Ok((value, parsed))
    }

    /// Reads rows: the following lines indented deeper than the header.
    fn parse_table_rows(
        &mut self,
        header_indent: usize,
        table: &mut Table,
        spans: &mut Vec<Range<usize>>,
    ) -> Result<(), Error> {
        while let Some(r) = self.peek() {
            if r.indent <= header_indent {
                break;
            }
            self.consume(r);
            let (cells, end) = self.parse_row_cells(r.start, table.columns.len())?;
            self.finish_line(end)?;
            self.push_row(table, cells, r.start)?;
            if self.record {
                spans.push(r.line..self.last_line + 1);
            }
        }
        Ok(())
    }

    /// Checks a row's cell count and types and appends it.
    pub(super) fn push_row(
        &mut self,
        table: &mut Table,
        mut cells: Vec<Value>,
        pos: usize,
    ) -> Result<(), Error> {
        self.check_row(&table.columns, &mut cells, pos)?;
        if self.keep_rows {
            table.rows.push(cells);
        }
        Ok(())
    }

    /// Checks a row's `cells` against `columns` (count, limits) and converts them to
    /// the columns' types, as a row of that table reads.
    pub(super) fn check_row(
        &mut self,
        columns: &[Column],
        cells: &mut [Value],
        pos: usize,
    ) -> Result<(), Error> {
        if cells.len() != columns.len() {
            return Err(self.error(
                pos,
                ErrorKind::WrongCellCount { expected: columns.len(), found: cells.len() },
                format!(
                    "row has {} cells but the table has {} columns; quote cells that contain commas",
                    cells.len(),
                    columns.len()
                ),
            ));
        }
        self.count_cells(cells.len(), pos)?;
        for (i, (cell, column)) in cells.iter_mut().zip(columns).enumerate() {
            if let Some(ty) = column.ty {
                let taken = std::mem::take(cell);
                *cell = convert_cell(taken, ty).map_err(|found| {
                    self.error(
                        pos,
                        ErrorKind::TypeMismatch { expected: Some(ty) },
                        format!("cell {} of the row: expected {ty}, found {found}", i + 1),
                    )
                })?;
            }
        }
        Ok(())
    }

    /// Parses the block whose first line is `first` (indented deeper than its parent):
    /// a dict block if that line is an entry, else an array block.
    fn parse_child_block(&mut self, first: LineView, parsed: &mut Parsed) -> Result<Value, Error> {
        self.enter(first.start)?;
        let result = if !self.is_dash(first.start) && self.entry_head(first.start).is_some() {
            self.parse_dict_block(first.indent, false)
                .map(|(map, spans)| {
                    parsed.children = spans;
                    Value::Dict(map)
                })
        } else {
            self.parse_array_block(first.indent).map(|(items, spans)| {
                parsed.items = spans;
                Value::Array(items)
            })
        };
        self.leave();
        result
    }

    /// Parses an array block: one item per line, optionally after a `- ` marker.
    fn parse_array_block(&mut self, col: usize) -> Result<(Vec<Value>, Vec<Range<usize>>), Error> {
        let mut items = Vec::new();
        let mut spans = Vec::new();
        let mut last_child = None;
        while let Some(v) = self.next_block_line(col, last_child, false)? {
            last_child = None;
            let item = if self.is_dash(v.start) {
                self.consume(v);
                let rest = self.skip_blank(v.start + 1);
                if self.at_line_end_or_comment(rest) {
                    self.note_comment(rest);
                    match self.peek() {
                        Some(n) if n.indent > v.indent => {
                            last_child = Some(n.indent);
                            self.parse_child_block(n, &mut Parsed::default())?
                        }
                        _ => Value::null(),
                    }
                } else {
                    let gap = crate::syntax::indent_width(&self.src[v.start + 1..rest]);
                    let item_col = v.indent + 1 + gap;
                    let item_view = LineView {
                        line: v.line,
                        indent: item_col,
                        start: rest,
                    };
                    if self.is_dash(rest) || self.entry_head(rest).is_some() {
                        // `- key: value` (continuation keys at the column of `key`) or a
                        // nested `- - item`.
                        self.pending = Some(item_view);
                        last_child = Some(item_col);
                        self.parse_child_block(item_view, &mut Parsed::default())?
                    } else {
                        self.array_value_line(rest)?
                    }
                }
            } else {
                if let Some(head) = self.entry_head(v.start)
                    && head.sep == Sep::Colon
                {
                    return Err(self.error(
                        v.start,
                        ErrorKind::MixedBlock,
                        format!(
                            "`{}` looks like a dict entry, but this block is a list (its first line is not an entry); \
                             write `- {}: ...` for a dict item or quote the text",
                            shorten(&head.key),
                            shorten(&head.key)
                        ),
                    ));
                }
                self.consume(v);
                self.array_value_line(v.start)?
            };
            items.push(item);
            if self.record {
                spans.push(v.line..self.last_line + 1);
            }
        }
        Ok((items, spans))
    }

    /// One array-block item written as a value (quoted, inline, or plain to the end of
    /// the line).
    fn array_value_line(&mut self, pos: usize) -> Result<Value, Error> {
        let rest = self.line_text_from(pos);
        let rest_value = crate::syntax::trim_blank_end(crate::syntax::before_comment(rest));
        if is_block_scalar_indicator(rest_value) {
            return Err(self.error(
                pos,
                ErrorKind::BlockScalar,
                format!("YAML block scalar `{rest_value}` is not SDN; write the text as one quoted string"),
            ));
        }
        let (value, end) = self.parse_value_at(pos, Context::Statement)?;
        self.finish_line(end)?;
        Ok(value)
    }
}

/// Converts a parsed cell to a typed column's type; `Err` describes what was found.
fn convert_cell(cell: Value, ty: ColumnType) -> Result<Value, String> {
    let found = |cell: &Value| match cell.as_scalar() {
        Some(s) => format!(
            "{} `{}`",
            cell.kind_name(),
            shorten(&s.source_text().map_or_else(|| s.text(), Into::into))
        ),
        None => cell.kind_name().to_owned(),
    };
    let Value::Scalar(scalar) = &cell else {
        return Err(found(&cell));
    };
    match (ty, scalar.kind()) {
        (ColumnType::I64, ScalarKind::Int(_))
        | (ColumnType::F64, ScalarKind::Float(_))
        | (ColumnType::Bool, ScalarKind::Bool(_))
        | (ColumnType::Str, ScalarKind::String(_)) => Ok(cell),
        (ColumnType::F64, ScalarKind::Int(i)) => {
            let source = scalar
                .source_text()
                .map(str::to_owned)
                .unwrap_or_else(|| i.to_string());
            Ok(Value::Scalar(Scalar::with_source(
                ScalarKind::Float(*i as f64),
                &source,
            )))
        }
        (ColumnType::Str, _) if !scalar.is_quoted() => {
            // In a str column a plain cell is text, whatever it looks like: `007` stays
            // "007", `true` stays "true".
            let text = scalar
                .source_text()
                .map(str::to_owned)
                .unwrap_or_else(|| scalar.text().into_owned());
            Ok(Value::Scalar(Scalar::with_source(
                ScalarKind::String(text.clone()),
                &text,
            )))
        }
        _ => Err(found(&cell)),
    }
}
