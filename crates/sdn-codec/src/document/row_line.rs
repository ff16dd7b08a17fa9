//! Rewriting one row of a table in place: the row's line alone when the row is a line of
//! its own, or the splices of its changed cells, spelled as the neighbouring rows are.

use std::ops::Range;

use super::layout::{Lines, Scanner};
use super::navigate::root_value_mut;
use super::table::RowEdit;
use super::{Document, Splice, table_at};
use crate::canonical_writer::{format_inline, format_key, quote_string};
use crate::error::{Error, ErrorKind};
use crate::parse::{EntrySpan, ParseOptions};
use crate::syntax::{SEPARATOR, leading_blanks};
use crate::value::{ScalarKind, Table, Value};

/// A table row written on a line of its own (see [`Document::row_on_its_line`]).
pub(super) struct RowLine<'d> {
    /// The line's index.
    pub(super) line: usize,
    /// Where the line starts in the body.
    pub(super) start: usize,
    /// The line's text, without its line end.
    pub(super) text: &'d str,
    /// The table the row belongs to.
    pub(super) table: &'d Table,
}

/// How a neighbouring row is written, for new rows to look the same.
struct RowStyle {
    indent: String,
    separator: String,
    quoted: Vec<bool>,
}

/// The text of a cell: a string stays quoted where the file quotes it; anything else
/// as the canonical writer writes cells.
fn cell_text(value: &Value, quoted: bool) -> Result<String, Error> {
    match value.scalar_kind() {
        Some(ScalarKind::String(s)) if quoted => Ok(quote_string(s)),
        _ => format_inline(value),
    }
}

impl Document {
    /// Writes `text` over a cell's span. An empty last cell's span sits right at a
    /// comment (`1, # note`); new text there keeps a blank before the `#`, or the `#`
    /// would stop starting a comment.
    fn cell_splice(&self, range: Range<usize>, text: String) -> Splice {
        cell_splice(self.body(), range, text)
    }

    /// Updates row `index` of the table at `keys` to `cells` (different from the row's
    /// cells) by rewriting its line alone, when the row is a line of its own and every
    /// new cell is a scalar (see [`Document::replace_row_line`]). The cells need not be
    /// checked against the columns first: the new line must read back as exactly them.
    ///
    /// `false` (nothing changed): the row is laid out otherwise, or the check failed;
    /// the general path (check the cells, splice, then parse the whole text) decides.
    pub(super) fn update_row_line(
        &mut self,
        keys: &[String],
        index: usize,
        cells: &[Value],
    ) -> bool {
        if !cells.iter().all(|cell| matches!(cell, Value::Scalar(_))) {
            return false;
        }
        self.replace_row_line(keys, index, Some(cells), |row, options| {
            rewrite_row_line(row.text, &row.table.rows[index], cells, options)
        })
    }

    /// Row `index` of the table at `keys`, when that row is a line of its own (not on
    /// the header line, not spread over several lines).
    pub(super) fn row_on_its_line(&self, keys: &[String], index: usize) -> Option<RowLine<'_>> {
        let table = table_at(self.root(), keys).ok()?;
        let chain = self.span_chain(keys);
        let span = chain.last().filter(|_| chain.len() == keys.len())?;
        let row = span.rows.get(index)?;
        if span.rows.len() != table.rows.len() || row.len() != 1 || row.start == span.lines.start {
            return None;
        }
        let line = row.start;
        let start = self.lines.start(line);
        Some(RowLine {
            line,
            start,
            text: &self.body()[start..self.lines.content_end(line)],
            table,
        })
    }

    /// Replaces the line of row `index` of the table at `keys` (a line of its own) with
    /// the line `new_line` makes of it, when that reads as a row of scalar cells (equal
    /// to `expected` when given). The new line is read exactly as the table body reads a
    /// row line; the rest of the text is untouched, and a line that keeps its
    /// indentation, stays one line and reads as a row cannot change how any other line
    /// reads. So the document's value stays what the parser reads from its text, without
    /// parsing it all again.
    ///
    /// `false` (nothing changed): the row is laid out otherwise, `new_line` gave
    /// nothing, or the check failed.
    pub(super) fn replace_row_line(
        &mut self,
        keys: &[String],
        index: usize,
        expected: Option<&[Value]>,
        new_line: impl FnOnce(&RowLine<'_>, &ParseOptions) -> Option<String>,
    ) -> bool {
        let Some(row) = self.row_on_its_line(keys, index) else {
            return false;
        };
        let Some(new_line) = new_line(&row, &self.options) else {
            return false;
        };
        let new_line = new_line.as_str();
        let RowLine {
            line,
            start,
            text: old_line,
            table,
        } = row;
        if new_line.contains(['\n', '\r']) || leading_blanks(new_line) != leading_blanks(old_line) {
            return false;
        }
        if let Some(max) = self.options.limits.max_size
            && self.body().len() - old_line.len() + new_line.len() > max
        {
            return false;
        }
        let parsed = match crate::parse::parse_row_line(new_line, &table.columns, &self.options) {
            Ok(Some(parsed))
                if parsed.iter().all(|cell| matches!(cell, Value::Scalar(_)))
                    && expected
                        .is_none_or(|expected| crate::value::all_identical(&parsed, expected)) =>
            {
                parsed
            }
            _ => return false,
        };
        let range = self.bom + start..self.bom + start + old_line.len();
        let Some(Value::Table(table)) = root_value_mut(&mut self.value, keys) else {
            return false;
        };
        table.rows[index] = parsed;
        self.text.replace_range(range, new_line);
        self.lines.set_line_len(line, new_line.len());
        true
    }

    /// Where row `row` (a line range of `span.rows`) starts its cells.
    fn row_cell_spans(
        &self,
        scanner: &mut Scanner<'_>,
        span: &EntrySpan,
        row: &Range<usize>,
        columns: usize,
    ) -> Result<Vec<Range<usize>>, Error> {
        let start = if row.start == span.lines.start {
            match scanner.named_header(&self.lines, span.lines.start)? {
                Some(header) => header.after,
                None => {
                    return Err(Error::new(
                        ErrorKind::Unwritable,
                        "inline row on a typed header (internal)",
                    ));
                }
            }
        } else {
            scanner.first_non_blank(&self.lines, row.start)
        };
        let cells = scanner.cell_spans(start, columns)?;
        if cells.len() != columns {
            return Err(Error::new(
                ErrorKind::Unwritable,
                "row layout does not match the table (internal)",
            ));
        }
        Ok(cells)
    }

    fn row_style(
        &self,
        scanner: &mut Scanner<'_>,
        span: &EntrySpan,
        table: &Table,
        template: Option<usize>,
    ) -> Result<RowStyle, Error> {
        let body = self.body();
        let header_indent = self.indentation(span.lines.start).to_owned();
        let default_indent = format!("{header_indent}{}", self.indent_unit());
        let Some(index) = template else {
            let separator = scanner
                .named_header(&self.lines, span.lines.start)?
                .map_or_else(|| SEPARATOR.to_owned(), |h| h.separator);
            return Ok(RowStyle {
                indent: default_indent,
                separator,
                quoted: vec![false; table.columns.len()],
            });
        };
        let row = &span.rows[index];
        let cells = self.row_cell_spans(scanner, span, row, table.columns.len())?;
        let indent = if row.start == span.lines.start {
            default_indent
        } else {
            self.indentation(row.start).to_owned()
        };
        let separator = match (cells.first(), cells.get(1)) {
            (Some(a), Some(b)) => body[a.end..b.start].to_owned(),
            _ => SEPARATOR.to_owned(),
        };
        let quoted = cells
            .iter()
            .zip(&table.rows[index])
            .map(|(r, v)| body[r.clone()].starts_with('"') && v.as_str().is_some())
            .collect();
        Ok(RowStyle {
            indent,
            separator,
            quoted,
        })
    }

    /// Line-level splices for a row edit, or `None` when the table's layout needs a
    /// whole-table rewrite (tuple rows, a row on the header line).
    pub(super) fn row_splices(
        &self,
        span: &EntrySpan,
        old: &Table,
        edit: &RowEdit,
        options: &ParseOptions,
    ) -> Result<Option<Vec<Splice>>, Error> {
        let mut scanner = self.scanner(options)?;
        if span.rows.len() != old.rows.len()
            || scanner.is_tuple_table(&self.lines, span.lines.start)?
        {
            return Ok(None);
        }
        let body = self.body();
        let columns = old.columns.len();
        let header_row = span
            .rows
            .first()
            .is_some_and(|r| r.start == span.lines.start);
        let splices = match edit {
            RowEdit::Update(index, cells) => {
                let spans = self.row_cell_spans(&mut scanner, span, &span.rows[*index], columns)?;
                changed_cell_splices(body, spans, &old.rows[*index], cells)?
            }
            RowEdit::Insert(index, cells) => {
                if *index == 0 && header_row {
                    return Ok(None);
                }
                let template = if *index < old.rows.len() {
                    Some(*index)
                } else {
                    old.rows.len().checked_sub(1)
                };
                let style = self.row_style(&mut scanner, span, old, template)?;
                let mut line = style.indent.clone();
                for (i, (cell, quoted)) in cells.iter().zip(&style.quoted).enumerate() {
                    if i > 0 {
                        line.push_str(&style.separator);
                    }
                    line.push_str(&cell_text(cell, *quoted)?);
                }
                line.push_str(self.eol());
                let at = span.rows.get(*index).map_or(span.lines.end, |r| r.start);
                vec![self.insert_lines(at, line)]
            }
            RowEdit::Append(rows) => {
                // Each row styled as a push after the one before would be: like the last
                // row, its strings quoted where that row's are.
                let mut style =
                    self.row_style(&mut scanner, span, old, old.rows.len().checked_sub(1))?;
                let mut lines = String::new();
                for cells in rows {
                    lines.push_str(&style.indent);
                    for (i, (cell, quoted)) in cells.iter().zip(&mut style.quoted).enumerate() {
                        if i > 0 {
                            lines.push_str(&style.separator);
                        }
                        let text = cell_text(cell, *quoted)?;
                        *quoted = text.starts_with('"') && cell.as_str().is_some();
                        lines.push_str(&text);
                    }
                    lines.push_str(self.eol());
                }
                vec![self.insert_lines(span.lines.end, lines)]
            }
            RowEdit::Remove(indices) => {
                if indices.first() == Some(&0) && header_row {
                    return Ok(None);
                }
                super::line_runs(indices.iter().map(|&index| span.rows[index].clone()))
                    .iter()
                    .map(|run| self.remove_lines(run))
                    .collect()
            }
            RowEdit::AddColumn(name, default) => {
                let Some(header) = scanner.named_header(&self.lines, span.lines.start)? else {
                    return Ok(None);
                };
                let mut splices = vec![Splice {
                    range: header.names_end..header.names_end,
                    text: format!("{}{}", header.separator, format_key(name)),
                }];
                let cell = cell_text(default, false)?;
                for row in &span.rows {
                    let spans = self.row_cell_spans(&mut scanner, span, row, columns)?;
                    let separator = match (spans.first(), spans.get(1)) {
                        (Some(a), Some(b)) => body[a.end..b.start].to_owned(),
                        _ => header.separator.clone(),
                    };
                    let end = spans.last().map_or(0, |r| r.end);
                    splices.push(self.cell_splice(end..end, format!("{separator}{cell}")));
                }
                splices
            }
        };
        Ok(Some(splices))
    }
}

/// Writes `text` over a cell's span `range` of `source`. An empty last cell's span sits
/// right at a comment (`1, # note`); new text there keeps a blank before the `#`, or the
/// `#` would stop starting a comment.
fn cell_splice(source: &str, range: Range<usize>, text: String) -> Splice {
    let at_comment = range.is_empty() && source.as_bytes().get(range.end) == Some(&b'#');
    let text = if at_comment && !text.is_empty() {
        format!("{text} ")
    } else {
        text
    };
    Splice { range, text }
}

/// Splices over the cells of one row (whose cells are at `spans` of `source`) that
/// change it from `old` to `new`: only changed cells are rewritten.
fn changed_cell_splices(
    source: &str,
    spans: Vec<Range<usize>>,
    old: &[Value],
    new: &[Value],
) -> Result<Vec<Splice>, Error> {
    let mut splices = Vec::new();
    for ((range, old_cell), new_cell) in spans.into_iter().zip(old).zip(new) {
        if old_cell.is_identical(new_cell) {
            continue;
        }
        let quoted = source[range.clone()].starts_with('"') && old_cell.as_str().is_some();
        let text = cell_text(new_cell, quoted)?;
        splices.push(cell_splice(source, range, text));
    }
    Ok(splices)
}

/// `line` (one row line, alone) with the cells that differ between `old` and `new`
/// rewritten; `None` when the line does not scan as `old.len()` cells on its own.
pub(super) fn rewrite_row_line(
    line: &str,
    old: &[Value],
    new: &[Value],
    options: &ParseOptions,
) -> Option<String> {
    let mut scanner = Scanner::new(line, options).ok()?;
    let first = scanner.first_non_blank(&Lines::new(line), 0);
    let spans = scanner.cell_spans(first, old.len()).ok()?;
    if spans.len() != old.len() {
        return None;
    }
    let mut splices = changed_cell_splices(line, spans, old, new).ok()?;
    splices.sort_by_key(|s| std::cmp::Reverse(s.range.start));
    let mut text = line.to_owned();
    for splice in &splices {
        text.replace_range(splice.range.clone(), &splice.text);
    }
    Some(text)
}
