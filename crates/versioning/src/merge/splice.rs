//! The fast way to apply a merge: splice new row lines into `ours`' text.
//!
//! Most merges change a few rows of large tables. Editing `ours` as a format-preserving
//! document re-renders and moves the text after each edited row, once per edit; here
//! the text is copied once, with each changed row's line replaced, removed rows' lines
//! dropped and new rows' lines inserted after the table's last row. Each new line is
//! rendered by a document holding only the table's header and one row of it, so it is
//! spelled exactly as editing the whole document would spell it.
//!
//! It applies only where that is sure to give the same bytes: tables whose rows are one
//! line each, no new columns, no other top-level entry to change, and no conflicts table
//! in `ours` to rewrite (one to append is fine). Otherwise [`render`] returns `None` and
//! the caller edits the whole document.

use std::collections::BTreeMap;

use sdn_codec::parse::Spanned;
use sdn_codec::{Document, Table, Value};

use super::{TablePlan, append_conflicts_table, update_cells};
use crate::conflict::CONFLICTS_TABLE;

/// What becomes of one line of `ours`.
#[derive(Default)]
struct LineEdit {
    /// The line's new text (`Some("")` drops it).
    replace: Option<String>,
    /// Lines to insert after it.
    after: Vec<String>,
}

/// `ours` with `plans` applied and `conflicts` (if any) appended, or `None` when the
/// splice cannot be sure to match the document editor (see the module docs).
pub(super) fn render(
    ours: &str,
    spanned: &Spanned,
    plans: &[TablePlan],
    conflicts: Option<&Table>,
) -> Option<String> {
    if ours.contains('\r') || (conflicts.is_some() && spanned.value.contains_key(CONFLICTS_TABLE)) {
        return None;
    }
    let lines: Vec<&str> = ours.split_inclusive('\n').collect();
    let mut edits: BTreeMap<usize, LineEdit> = BTreeMap::new();
    for plan in plans {
        plan_lines(&lines, spanned, plan, &mut edits)?;
    }
    let mut text = String::with_capacity(ours.len() + 256);
    for (at, line) in lines.iter().enumerate() {
        match edits.get(&at) {
            None => text.push_str(line),
            Some(edit) => {
                text.push_str(edit.replace.as_deref().unwrap_or(line));
                for new in &edit.after {
                    text.push_str(new);
                }
            }
        }
    }
    match conflicts {
        Some(table) => append_conflicts_table(text, table.clone()).ok(),
        None => Some(text),
    }
}

/// Adds the line edits of one table's plan to `edits`.
fn plan_lines(
    lines: &[&str],
    spanned: &Spanned,
    plan: &TablePlan,
    edits: &mut BTreeMap<usize, LineEdit>,
) -> Option<()> {
    if !plan.new_columns.is_empty() {
        return None;
    }
    let mut spans = spanned.entries.iter().filter(|e| e.key == plan.name);
    let (span, None) = (spans.next()?, spans.next()) else {
        return None;
    };
    let table = spanned.value.get(&plan.name)?.as_table()?;
    let rows = &span.rows;
    let header_at = span.lines.start;
    let one_line_rows =
        rows.len() == table.rows.len() && rows.iter().all(|r| r.len() == 1 && r.start > header_at);
    if !one_line_rows || rows.is_empty() {
        return None;
    }
    let header = *lines.get(header_at)?;
    let line_of = |row: usize| lines.get(rows[row].start).copied();
    for (row, cells) in &plan.updates {
        let mut doc = row_document(&plan.name, header, line_of(*row)?, &table.rows[*row])?;
        doc.table_mut(plan.name.as_str())
            .ok()?
            .update_row_with(0, |map| update_cells(map, cells))
            .ok()?;
        let new = row_lines(&doc, header)?;
        edits.entry(rows[*row].start).or_default().replace = Some(new);
    }
    let last = rows.len() - 1;
    for &row in &plan.removals {
        if row == last && !plan.appended.is_empty() {
            // The new rows would follow another line: leave it to the document editor.
            return None;
        }
        edits.entry(rows[row].start).or_default().replace = Some(String::new());
    }
    if !plan.appended.is_empty() {
        if plan.updates.iter().any(|(row, _)| *row == last) {
            // New rows are spelled after the last row as it is once updated: leave it
            // to the document editor.
            return None;
        }
        let mut doc = row_document(&plan.name, header, line_of(last)?, &table.rows[last])?;
        let mut tiny = doc.table_mut(plan.name.as_str()).ok()?;
        for (_, cells) in &plan.appended {
            tiny.push_row_map(cells).ok()?;
        }
        let rendered = row_lines(&doc, header)?;
        let mut new_lines = rendered.split_inclusive('\n');
        // The first is the last row of ours, as it was.
        if new_lines.next()? != line_of(last)? {
            return None;
        }
        edits
            .entry(rows[last].start)
            .or_default()
            .after
            .extend(new_lines.map(str::to_owned));
    }
    Some(())
}

/// A document of the table's header line and one row line, checked to read that row as
/// the whole document does (`None` otherwise).
fn row_document(name: &str, header: &str, line: &str, cells: &[Value]) -> Option<Document> {
    if !header.ends_with('\n') || !line.ends_with('\n') {
        return None;
    }
    let doc = Document::parse(&format!("{header}{line}")).ok()?;
    let table = doc.get(name)?.as_table()?;
    (table.rows.len() == 1 && table.rows[0] == cells).then_some(doc)
}

/// The text after the header line of a row document: its row lines.
fn row_lines(doc: &Document, header: &str) -> Option<String> {
    let text = doc.as_str().strip_prefix(header)?;
    text.ends_with('\n').then(|| text.to_owned())
}
