//! Leaving out of a merge the rows no side changed.
//!
//! Two replicas that each changed a few rows of a large table share almost every row
//! line with their base. A row whose line is the same in base, ours and theirs is
//! unchanged on both sides, so the merge plan skips it; parsing it three times and
//! freeing it again was most of a merge's time. Here `ours` is parsed whole (the splice
//! needs its spans, and the parse checks every row of it), and base and theirs lose the
//! lines that are, byte for byte, one-line rows of ours' table under the same header
//! line: in that context they read exactly as ours' rows do. What remains (headers,
//! other entries, changed, new and removed rows) is parsed as usual.
//!
//! The plan is told which of ours' rows were left out ([`Inputs::common`]), so it still
//! knows they are in the base. Anything unusual (a text
//! [`one_line_rows`] does not follow, a line matching twice, a kept row with the key of
//! a left-out one, any error) makes the caller merge the whole texts instead, which
//! gives the merge or the error exactly as before.

use std::collections::HashMap;

use sdn_codec::Value;
use sdn_codec::parse::{Spanned, TableRowLines, one_line_rows};

use super::Inputs;
use crate::conflict::CONFLICTS_TABLE;

/// The inputs with the rows all three share left out of base and theirs, given ours
/// parsed (`spanned`); `spanned` back when nothing can be left out or the texts need the
/// whole merge (see the module docs), so the whole merge does not parse ours again.
pub(super) fn reduced_inputs(
    base: &str,
    ours: &str,
    theirs: &str,
    spanned: Spanned,
) -> Result<Inputs, Spanned> {
    let Some(shared) = shared_rows(base, ours, theirs, &spanned) else {
        return Err(spanned);
    };
    let kept = |lines: &[&str], left_out: &[bool]| -> String {
        let mut kept = String::new();
        for (line, _) in lines.iter().zip(left_out).filter(|(_, out)| !**out) {
            kept.push_str(line);
        }
        kept
    };
    let parsed = (
        sdn_codec::parse(&kept(&shared.theirs_lines, &shared.left_out_theirs)),
        sdn_codec::parse(&kept(&shared.base_lines, &shared.left_out_base)),
    );
    let (Ok(theirs), Ok(base)) = parsed else {
        return Err(spanned);
    };
    Ok(Inputs {
        theirs,
        base,
        ours: spanned,
        common: shared.common,
    })
}

/// The row lines all three inputs share: which lines of base and theirs to leave out,
/// and which of ours' rows they are, per table (a flag per row of ours' table).
struct Shared<'t> {
    base_lines: Vec<&'t str>,
    theirs_lines: Vec<&'t str>,
    left_out_base: Vec<bool>,
    left_out_theirs: Vec<bool>,
    common: HashMap<String, Vec<bool>>,
}

/// [`Shared`] of the three texts (ours parsed as `spanned`); `None` when nothing can be
/// left out or a line matches twice.
fn shared_rows<'t>(
    base: &'t str,
    ours: &str,
    theirs: &'t str,
    spanned: &Spanned,
) -> Option<Shared<'t>> {
    let (base_tables, theirs_tables) = (one_line_rows(base)?, one_line_rows(theirs)?);
    let ours_lines: Vec<&str> = ours.split_inclusive('\n').collect();
    let base_lines: Vec<&str> = base.split_inclusive('\n').collect();
    let theirs_lines: Vec<&str> = theirs.split_inclusive('\n').collect();
    let mut shared = Shared {
        left_out_base: vec![false; base_lines.len()],
        left_out_theirs: vec![false; theirs_lines.len()],
        base_lines,
        theirs_lines,
        common: HashMap::new(),
    };
    for table in OursTable::all(spanned, &ours_lines) {
        let (Some(in_base), Some(in_theirs)) =
            (table.find(&base_tables), table.find(&theirs_tables))
        else {
            continue;
        };
        let base_match = table.match_lines(in_base, &shared.base_lines)?;
        let theirs_match = table.match_lines(in_theirs, &shared.theirs_lines)?;
        let mut rows = vec![false; table.rows.len()];
        for (row, pair) in base_match.iter().zip(&theirs_match).enumerate() {
            if let (Some(b), Some(t)) = pair {
                shared.left_out_base[*b] = true;
                shared.left_out_theirs[*t] = true;
                rows[row] = true;
            }
        }
        if rows.contains(&true) {
            shared.common.insert(table.name.to_owned(), rows);
        }
    }
    (!shared.common.is_empty()).then_some(shared)
}

/// A table of ours whose rows are one line each.
struct OursTable<'a> {
    name: &'a str,
    header: &'a str,
    /// Each row's line.
    rows: Vec<&'a str>,
}

impl<'a> OursTable<'a> {
    /// Ours' top-level tables that rows can be left out of: named once, every row one
    /// line below the header, not the conflicts table (merged as a whole).
    fn all(spanned: &'a Spanned, lines: &[&'a str]) -> Vec<OursTable<'a>> {
        let mut tables = Vec::new();
        for entry in &spanned.entries {
            let name = entry.key.as_str();
            let once = spanned.entries.iter().filter(|e| e.key == name).count() == 1;
            let Some(table) = spanned.value.get(name).and_then(Value::as_table) else {
                continue;
            };
            let header_at = entry.lines.start;
            let one_line_rows = entry.rows.len() == table.rows.len()
                && entry
                    .rows
                    .iter()
                    .all(|r| r.len() == 1 && r.start > header_at && r.start < lines.len());
            if name == CONFLICTS_TABLE || !once || !one_line_rows || header_at >= lines.len() {
                continue;
            }
            tables.push(OursTable {
                name,
                header: lines[header_at],
                rows: entry.rows.iter().map(|r| lines[r.start]).collect(),
            });
        }
        tables
    }

    /// The table with this header line among `tables`, when exactly one has it.
    fn find<'t>(&self, tables: &'t [TableRowLines<'t>]) -> Option<&'t TableRowLines<'t>> {
        let mut same = tables.iter().filter(|t| t.header == self.header);
        match (same.next(), same.next()) {
            (Some(table), None) => Some(table),
            _ => None,
        }
    }

    /// For each of ours' rows, the line of `other` (one of `table`'s rows) that is the
    /// same text; `None` (give up) when one of ours' rows matches two lines.
    fn match_lines(&self, table: &TableRowLines<'_>, lines: &[&str]) -> Option<Vec<Option<usize>>> {
        let mut matched: Vec<Option<usize>> = vec![None; self.rows.len()];
        let mut by_text: Option<HashMap<&str, usize>> = None;
        // Rows mostly keep their order: try the row after the last match first.
        let mut next = 0;
        for &at in &table.rows {
            let line = lines[at];
            let row = if self.rows.get(next) == Some(&line) {
                Some(next)
            } else {
                let by_text = by_text.get_or_insert_with(|| {
                    let mut map = HashMap::with_capacity(self.rows.len());
                    for (row, text) in self.rows.iter().enumerate() {
                        map.entry(*text).or_insert(row);
                    }
                    map
                });
                by_text.get(line).copied()
            };
            let Some(row) = row else {
                // A changed row mostly stands where ours' version of it does.
                next += 1;
                continue;
            };
            if matched[row].replace(at).is_some() {
                return None;
            }
            next = row + 1;
        }
        Some(matched)
    }
}
