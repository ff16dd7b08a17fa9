//! Three-way merge of whole stores, on SDN text: `merge(base, ours, theirs)`.
//!
//! The result is `ours` with the rows `theirs` changed applied through sdn-codec's
//! format-preserving document: comments, unknown columns and row order of `ours` stay.
//! It works on text, so it can merge snapshots downloaded from another device.
//!
//! # Rules, per table row (rows matched by key column)
//!
//! - Changed on one side only: that side's row, metadata included.
//! - Changed on both sides: field-level merge against the base. Fields changed on one
//!   side are combined. A field changed two ways takes the value that sorts last (an
//!   order-independent rule: a per-row stamp cannot tell which replica changed a field
//!   last once rows of several replicas were combined), and **both** values are kept in
//!   the conflicts table, with an empty stamp (see below). The merged row's
//!   version is the sum of both sides' increments over the base (`ours + theirs -
//!   base`), its stamp the greater of the two, its tombstone set if either side deleted.
//! - Inserted on both sides with the same key: merged as above against an empty row.
//! - Deleted (tombstone) on one side, updated on the other: the tombstone wins and
//!   keeps the updated values, so nothing is lost and a later undelete brings them back.
//! - Removed from the file outright on one side (no tombstone): removed if the other
//!   side left the row unchanged; kept if the other side changed it.
//! - A row only in the base (removed on both sides) stays removed.
//! - New rows go after the existing ones: one side's new rows keep that side's order;
//!   new rows from both sides are sorted by key (numerically for numeric keys).
//! - Columns only `theirs` has are appended; non-table entries changed on one side take
//!   that side's value, changed two ways keep ours and record both as conflicts.
//!
//! Merging a replica with itself or with the base returns `ours` unchanged. The same
//! replicas merged in any order (each merge against their common base) give the same
//! file, byte for byte, conflicts table included, given they started from that base and
//! changed records only.
//!
//! # Cost
//!
//! A merge parses `ours` whole, and of base and theirs only what is not a row line that
//! all three share: such rows are unchanged on both sides, so they cannot change the
//! result (see `reduce.rs`). Two 10,000-record replicas with 1% of rows changed on each
//! side merge in about a third of the time three whole parses take.
//!
//! # Why merge-found candidates carry no stamp
//!
//! A row records one stamp: its latest change. Once a merge has combined two replicas'
//! changes to a record (one changed `status`, the other `owner`), the file no longer
//! says who typed which field, and whether a later merge sees the original row or the
//! combined one depends on the merge order. A candidate's stamp would then differ
//! between orders, and so would the bytes. So a candidate found by a whole-store merge
//! is kept with its table, key, field and value and an empty stamp; the record's own
//! `last_modified` still names its latest writer. Candidates kept by
//! [`crate::VersionedStore::commit_if`] with [`crate::Fallback::Keep`] compare two single
//! commits and keep both exact stamps; merges carry those rows over unchanged.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use sdn_codec::parse::Spanned;
use sdn_codec::{Document, Map, Table, Value};

use crate::conflict::{CONFLICTS_TABLE, KeptConflict, value_text};
use crate::error::{Error, MergeInput, Result, UnmergeableReason};
use crate::meta::{Columns, Meta};
use crate::options::TableOptions;
use crate::strategy::{merge_fields, same};

mod reduce;
mod splice;

/// Settings of a whole-store merge.
#[derive(Debug, Clone, Default)]
pub struct MergeOptions {
    /// Per-table column names and key columns, as for the store.
    pub tables: BTreeMap<String, TableOptions>,
}

impl MergeOptions {
    fn table(&self, name: &str) -> TableOptions {
        self.tables.get(name).cloned().unwrap_or_default()
    }
}

/// The result of [`merge`].
#[derive(Debug, Clone, PartialEq)]
pub struct Merged {
    /// The merged file text.
    pub text: String,
    /// The field conflicts this merge found (also written to the conflicts table).
    pub conflicts: Vec<KeptConflict>,
}

/// Merges `theirs` into `ours` against their common `base` (all SDN text); see the
/// [module documentation](self) for the rules.
///
/// ```
/// let base = "todos |id, status, version|\n    1, open, 1\n    2, open, 1\n";
/// let ours = "todos |id, status, version|\n    1, done, 2\n    2, open, 1\n";
/// let theirs = "todos |id, status, version|\n    1, open, 1\n    2, closed, 2\n";
/// let merged = versioning::merge::merge(base, ours, theirs, &Default::default())?;
/// assert_eq!(merged.text, "todos |id, status, version|\n    1, done, 2\n    2, closed, 2\n");
/// assert!(merged.conflicts.is_empty());
/// # Ok::<(), versioning::Error>(())
/// ```
pub fn merge(base: &str, ours: &str, theirs: &str, options: &MergeOptions) -> Result<Merged> {
    merge_with(base, ours, theirs, options, Shortcuts::ALL)
}

/// The shortcuts [`merge`] takes where they give the same result; the tests compare
/// each with the way without it.
#[derive(Debug, Clone, Copy)]
struct Shortcuts {
    /// Apply the plan by splicing row lines (see [`splice`]) instead of editing the
    /// whole document.
    splice: bool,
    /// Leave the rows all three inputs share out of base and theirs (see [`reduce`]).
    reduce: bool,
}

impl Shortcuts {
    const ALL: Shortcuts = Shortcuts {
        splice: true,
        reduce: true,
    };
}

/// [`merge`], with the shortcuts `shortcuts` allows.
fn merge_with(
    base: &str,
    ours: &str,
    theirs: &str,
    options: &MergeOptions,
    shortcuts: Shortcuts,
) -> Result<Merged> {
    let unchanged = |text: &str| Merged {
        text: text.to_owned(),
        conflicts: Vec::new(),
    };
    if theirs == base || theirs == ours {
        return Ok(unchanged(ours));
    }
    if ours == base {
        // Theirs is read only to report it if it is malformed.
        let _theirs: Value = parse(MergeInput::Theirs, theirs)?;
        return Ok(unchanged(theirs));
    }
    // Ours is parsed once: the shortcut needs it, and gives it back when not taken.
    let mut parsed_ours = None;
    if shortcuts.reduce
        && let Ok(spanned) = parse_ours(ours)
    {
        match reduce::reduced_inputs(base, ours, theirs, spanned) {
            Ok(inputs) => match merge_parsed(ours, &inputs, options, shortcuts.splice) {
                Ok(merged) => return Ok(merged),
                Err(_) => parsed_ours = Some(inputs.ours),
            },
            Err(spanned) => parsed_ours = Some(spanned),
        }
    }
    let inputs = Inputs::parse(base, ours, theirs, parsed_ours)?;
    merge_parsed(ours, &inputs, options, shortcuts.splice)
}

/// Parses ours with the spans the line splice needs.
fn parse_ours(ours: &str) -> Result<Spanned> {
    sdn_codec::parse_spanned(ours, &Default::default()).map_err(|source| Error::MalformedInput {
        input: MergeInput::Ours,
        source,
    })
}

/// Parses one input of a merge.
fn parse(input: MergeInput, text: &str) -> Result<Value> {
    sdn_codec::parse(text).map_err(|source| Error::MalformedInput { input, source })
}

/// The three inputs of a merge, parsed (ours with the spans the line splice needs).
struct Inputs {
    base: Value,
    theirs: Value,
    ours: Spanned,
    /// Per table, a flag per row of ours: left out of base and theirs because all three
    /// hold it unchanged (see [`reduce`]); empty when the whole texts were parsed.
    common: HashMap<String, Vec<bool>>,
}

impl Inputs {
    /// The three inputs parsed whole (ours only when `parsed_ours` is `None`).
    fn parse(base: &str, ours: &str, theirs: &str, parsed_ours: Option<Spanned>) -> Result<Inputs> {
        // In the order errors are reported: theirs, base, ours. (Parsing them on
        // three threads was tried: on a 2-core machine it was slower, not faster.)
        let theirs = parse(MergeInput::Theirs, theirs)?;
        let base = parse(MergeInput::Base, base)?;
        let ours = match parsed_ours {
            Some(spanned) => spanned,
            None => parse_ours(ours)?,
        };
        Ok(Inputs {
            theirs,
            base,
            ours,
            common: HashMap::new(),
        })
    }
}

/// [`merge`] of inputs that differ, once they are parsed.
fn merge_parsed(
    ours: &str,
    inputs: &Inputs,
    options: &MergeOptions,
    allow_splice: bool,
) -> Result<Merged> {
    let (base_value, theirs_value, spanned) = (&inputs.base, &inputs.theirs, &inputs.ours);
    let empty = Map::new();
    let base_root = base_value.as_dict().unwrap_or(&empty);
    let theirs_root = theirs_value.as_dict().unwrap_or(&empty);
    let ours_root = &spanned.value;

    let mut conflicts = Vec::new();
    let mut plans = Vec::new();
    let mut entries = Vec::new();
    for (name, theirs_entry) in theirs_root.iter() {
        if name == CONFLICTS_TABLE {
            continue;
        }
        let base_entry = base_root.get(name);
        match (
            theirs_entry.as_table(),
            ours_root.get(name).and_then(Value::as_table),
        ) {
            (Some(theirs_table), Some(ours_table)) => plans.extend(
                TableMerge {
                    name,
                    common: inputs.common.get(name).map(Vec::as_slice),
                    options: options.table(name),
                    base: base_entry.and_then(Value::as_table),
                    ours: ours_table,
                    theirs: theirs_table,
                }
                .plan(&mut conflicts)?,
            ),
            _ => entries.extend(merge_entry(
                name,
                base_entry,
                ours_root.get(name),
                theirs_entry,
                &mut conflicts,
            )),
        }
    }
    for (name, base_entry) in base_root.iter() {
        if theirs_root.contains_key(name) || name == CONFLICTS_TABLE {
            continue;
        }
        if ours_root.get(name) == Some(base_entry) {
            entries.push(EntryEdit::Remove(name.to_owned()));
        }
    }
    let conflicts_table = merged_conflicts_table(
        ours_root.get(CONFLICTS_TABLE),
        base_root,
        theirs_root,
        &conflicts,
    );
    conflicts.sort();
    conflicts.dedup();
    let spliced = match allow_splice && entries.is_empty() {
        true => splice::render(ours, spanned, &plans, conflicts_table.as_ref()),
        false => None,
    };
    let text = match spliced {
        Some(text) => text,
        None => edit_document(ours, plans, entries, conflicts_table)?,
    };
    Ok(Merged { text, conflicts })
}

/// The general way to apply a merge: edit `ours` as a format-preserving document.
fn edit_document(
    ours: &str,
    plans: Vec<TablePlan>,
    entries: Vec<EntryEdit>,
    conflicts_table: Option<Table>,
) -> Result<String> {
    let mut doc = Document::parse(ours).map_err(|source| Error::MalformedInput {
        input: MergeInput::Ours,
        source,
    })?;
    for plan in plans {
        plan.apply(&mut doc)?;
    }
    for entry in entries {
        match entry {
            EntryEdit::Set(name, value) => doc.set(name.as_str(), value),
            EntryEdit::Remove(name) => doc.remove(name.as_str()).map(drop),
        }
        .map_err(|err| unmergeable(CONFLICTS_TABLE, err))?;
    }
    let Some(table) = conflicts_table else {
        return Ok(doc.into_string());
    };
    if doc.get(CONFLICTS_TABLE).is_some() {
        doc.set(CONFLICTS_TABLE, Value::Table(table))
            .map_err(|err| unmergeable(CONFLICTS_TABLE, err))?;
        return Ok(doc.into_string());
    }
    append_conflicts_table(doc.into_string(), table)
}

/// `text` with the conflicts table appended, written as `Document::set` writes a new
/// entry (canonical), without parsing the whole text again to check it.
fn append_conflicts_table(mut text: String, table: Table) -> Result<String> {
    let mut root = Map::new();
    root.insert(CONFLICTS_TABLE, Value::Table(table));
    let rendered = sdn_codec::to_canonical_string(&Value::Dict(root))
        .map_err(|err| unmergeable(CONFLICTS_TABLE, err))?;
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(&rendered);
    Ok(text)
}

fn unmergeable(table: &str, source: sdn_codec::Error) -> Error {
    Error::MergeEdit {
        table: table.to_owned(),
        source,
    }
}

/// A change to a top-level entry that is not a table on both sides.
enum EntryEdit {
    Set(String, Value),
    Remove(String),
}

/// A top-level entry that is not a table on both sides: three-way on the whole value.
fn merge_entry(
    name: &str,
    base: Option<&Value>,
    ours: Option<&Value>,
    theirs: &Value,
    conflicts: &mut Vec<KeptConflict>,
) -> Option<EntryEdit> {
    if base == Some(theirs) || ours == Some(theirs) {
        return None;
    }
    if ours == base {
        return Some(EntryEdit::Set(name.to_owned(), theirs.clone()));
    }
    for value in [ours, Some(theirs)].into_iter().flatten() {
        conflicts.push(KeptConflict {
            table: String::new(),
            key: name.to_owned(),
            field: String::new(),
            value: value_text(value),
            stamp: String::new(),
        });
    }
    None
}

/// One table present in `ours` and `theirs`.
struct TableMerge<'a> {
    name: &'a str,
    /// Ours' rows left out of base and theirs as unchanged on all sides (a flag per row).
    common: Option<&'a [bool]>,
    options: TableOptions,
    base: Option<&'a Table>,
    ours: &'a Table,
    theirs: &'a Table,
}

/// A table's rows by key (borrowed from the table: most keys are never copied).
struct Keyed<'t> {
    order: Vec<Cow<'t, str>>,
    at: HashMap<Cow<'t, str>, usize>,
}

impl TableMerge<'_> {
    fn key_column(&self) -> String {
        if let Some(column) = &self.options.key_column {
            return column.clone();
        }
        let names = self.ours.column_keys();
        if names.iter().any(|c| c == "id") {
            "id".into()
        } else {
            names.into_iter().next().unwrap_or_default()
        }
    }

    fn keyed<'t>(&self, input: MergeInput, table: &'t Table, column: &str) -> Result<Keyed<'t>> {
        let error = |reason| Error::Unmergeable {
            input,
            table: self.name.to_owned(),
            reason,
        };
        let index = table.column_index(column).ok_or_else(|| {
            error(UnmergeableReason::NoKeyColumn {
                column: column.to_owned(),
            })
        })?;
        let mut keyed = Keyed {
            order: Vec::with_capacity(table.rows.len()),
            at: HashMap::with_capacity(table.rows.len()),
        };
        for (row, cells) in table.rows.iter().enumerate() {
            let key = cells.get(index).and_then(Value::text).unwrap_or_default();
            if let Some(first) = keyed.at.insert(key.clone(), row) {
                return Err(error(UnmergeableReason::DuplicateKey {
                    key: key.into_owned(),
                    first_row: first + 1,
                    second_row: row + 1,
                }));
            }
            keyed.order.push(key);
        }
        Ok(keyed)
    }

    fn plan(&self, conflicts: &mut Vec<KeptConflict>) -> Result<Option<TablePlan>> {
        let key_column = self.key_column();
        let ours = self.keyed(MergeInput::Ours, self.ours, &key_column)?;
        let theirs = self.keyed(MergeInput::Theirs, self.theirs, &key_column)?;
        let base = match self.base {
            Some(table) if table.column_index(&key_column).is_some() => {
                Some(self.keyed(MergeInput::Base, table, &key_column)?)
            }
            _ => None,
        };
        if let Some(common) = self.common {
            // A kept row with the key of a left-out one: a duplicate key, which only the
            // merge of the whole texts reports with its rows.
            let kept = theirs
                .order
                .iter()
                .chain(base.iter().flat_map(|b| &b.order));
            for key in kept {
                if let Some(row) = ours
                    .at
                    .get(key)
                    .filter(|&&row| common.get(row) == Some(&true))
                {
                    return Err(Error::Unmergeable {
                        input: MergeInput::Base,
                        table: self.name.to_owned(),
                        reason: UnmergeableReason::DuplicateKey {
                            key: key.to_string(),
                            first_row: row + 1,
                            second_row: row + 1,
                        },
                    });
                }
            }
        }
        let base_row = |key: &str| {
            let (table, keyed) = (self.base?, base.as_ref()?);
            table.row_map(*keyed.at.get(key)?)
        };
        let columns = &self.options.columns;

        // Most rows are unchanged: when base and theirs have the same columns, compare
        // their cells directly before building any row map.
        let base_same_columns = self
            .base
            .is_some_and(|base| base.column_keys() == self.theirs.column_keys());
        let unchanged_in_theirs = |key: &str| {
            let (Some(table), Some(keyed)) = (self.base, base.as_ref()) else {
                return false;
            };
            base_same_columns
                && keyed
                    .at
                    .get(key)
                    .is_some_and(|&row| table.rows[row] == self.theirs.rows[theirs.at[key]])
        };
        let mut updates: Vec<(usize, Map)> = Vec::new();
        let mut theirs_new: Vec<(String, Map)> = Vec::new();
        for key in &theirs.order {
            if unchanged_in_theirs(key) {
                continue;
            }
            let Some(t) = self.theirs.row_map(theirs.at[key]) else {
                continue;
            };
            let b = base_row(key);
            if b.as_ref().is_some_and(|b| rows_same(b, &t)) {
                continue;
            }
            let Some(&row) = ours.at.get(key) else {
                theirs_new.push((key.to_string(), t));
                continue;
            };
            let Some(o) = self.ours.row_map(row) else {
                continue;
            };
            if rows_same(&o, &t) {
                continue;
            }
            if b.as_ref().is_some_and(|b| rows_same(b, &o)) {
                updates.push((row, t));
            } else {
                let merged = merge_row(self.name, key, b.as_ref(), &o, &t, columns, conflicts);
                updates.push((row, merged));
            }
        }
        let mut removals: Vec<usize> = Vec::new();
        if let Some(base) = &base {
            for key in &base.order {
                if theirs.at.contains_key(key) {
                    continue;
                }
                if let (Some(&row), Some(b)) = (ours.at.get(key), base_row(key))
                    && self.ours.row_map(row).is_some_and(|o| rows_same(&o, &b))
                {
                    removals.push(row);
                }
            }
        }
        if updates.is_empty() && removals.is_empty() && theirs_new.is_empty() {
            return Ok(None);
        }
        // Rows ours added since the base, in ours' order: when both sides added rows,
        // all added rows are appended again in key order, with their updated cells.
        let left_out = |key: &str| {
            self.common.is_some_and(|common| {
                ours.at
                    .get(key)
                    .is_some_and(|&row| common.get(row) == Some(&true))
            })
        };
        let in_base =
            |key: &str| base.as_ref().is_some_and(|b| b.at.contains_key(key)) || left_out(key);
        let mut appended: Vec<(String, Map)> = theirs_new;
        if !appended.is_empty() {
            let ours_new: Vec<&Cow<'_, str>> =
                ours.order.iter().filter(|key| !in_base(key)).collect();
            if !ours_new.is_empty() {
                for key in ours_new {
                    let row = ours.at[key];
                    let Some(mut cells) = self.ours.row_map(row) else {
                        continue;
                    };
                    if let Some((_, update)) = updates.iter().find(|(at, _)| *at == row) {
                        for (name, value) in update.iter() {
                            cells.insert(name, value.clone());
                        }
                    }
                    appended.push((key.to_string(), cells));
                    removals.push(row);
                }
                appended.sort_by(|(a, _), (b, _)| key_order(a, b));
            }
        }
        let ours_columns = self.ours.column_keys();
        removals.sort_unstable_by(|a, b| b.cmp(a));
        removals.dedup();
        Ok(Some(TablePlan {
            name: self.name.to_owned(),
            new_columns: self
                .theirs
                .column_keys()
                .into_iter()
                .filter(|column| !ours_columns.contains(column))
                .collect(),
            updates,
            removals,
            appended,
        }))
    }
}

/// The edits that merge one table, computed from the inputs before `ours` is edited (so
/// the inputs are borrowed, never copied).
struct TablePlan {
    name: String,
    new_columns: Vec<String>,
    updates: Vec<(usize, Map)>,
    /// Rows to remove, last first.
    removals: Vec<usize>,
    appended: Vec<(String, Map)>,
}

impl TablePlan {
    fn apply(self, doc: &mut Document) -> Result<()> {
        let name = self.name.as_str();
        let mut table = doc.table_mut(name).map_err(|err| unmergeable(name, err))?;
        for column in &self.new_columns {
            table
                .add_column(column, Value::from(""))
                .map_err(|err| unmergeable(name, err))?;
        }
        for (row, cells) in &self.updates {
            table
                .update_row_with(*row, |map| update_cells(map, cells))
                .map_err(|err| unmergeable(name, err))?;
        }
        for row in self.removals {
            table
                .remove_row(row)
                .map_err(|err| unmergeable(name, err))?;
        }
        for (_, cells) in &self.appended {
            table
                .push_row_map(cells)
                .map_err(|err| unmergeable(name, err))?;
        }
        Ok(())
    }
}

/// Sets the cells of `map` that `cells` gives (columns the row lacks are left out).
fn update_cells(map: &mut Map, cells: &Map) {
    for (column, value) in cells.iter() {
        if map.contains_key(column) {
            map.insert(column, value.clone());
        }
    }
}

/// Keys compare numerically when both are integers, else as text.
fn key_order(a: &str, b: &str) -> Ordering {
    match (a.parse::<i64>(), b.parse::<i64>()) {
        (Ok(x), Ok(y)) => x.cmp(&y),
        _ => a.cmp(b),
    }
}

/// Whether two rows hold the same cells (an empty cell equals a missing one).
fn rows_same(a: &Map, b: &Map) -> bool {
    let empty = crate::row::empty_cell();
    a.iter()
        .all(|(name, value)| same(value, b.get(name).unwrap_or(&empty)))
        && b.iter()
            .all(|(name, value)| same(value, a.get(name).unwrap_or(&empty)))
}

/// Field-level merge of a row both sides changed; see the module rules.
fn merge_row(
    table: &str,
    key: &str,
    base: Option<&Map>,
    ours: &Map,
    theirs: &Map,
    columns: &Columns,
    conflicts: &mut Vec<KeptConflict>,
) -> Map {
    let empty = Map::new();
    let base = base.unwrap_or(&empty);
    let field_merge = merge_fields(base, ours, theirs, |name| columns.contains(name));
    let mut merged = field_merge.merged;
    let (mb, mo, mt) = (
        Meta::read(base, columns),
        Meta::read(ours, columns),
        Meta::read(theirs, columns),
    );
    let blank = crate::row::empty_cell();
    for field in &field_merge.conflicts {
        let ours_value = ours.get(field).unwrap_or(&blank);
        let theirs_value = theirs.get(field).unwrap_or(&blank);
        let (ours_text, theirs_text) = (value_text(ours_value), value_text(theirs_value));
        if theirs_text > ours_text {
            merged.insert(field.as_str(), theirs_value.clone());
        }
        // No stamp: see the module documentation.
        for value in [ours_text, theirs_text] {
            conflicts.push(KeptConflict {
                table: table.to_owned(),
                key: key.to_owned(),
                field: field.clone(),
                value,
                stamp: String::new(),
            });
        }
    }
    let has_meta = ours.contains_key(&columns.version) || theirs.contains_key(&columns.version);
    if has_meta {
        let version = (mo.version + mt.version).saturating_sub(mb.version);
        merged.insert(
            columns.version.as_str(),
            i64::try_from(version).unwrap_or(i64::MAX),
        );
        // The later stamp and the tombstone are copied as cells (not rendered again), so
        // the merged row reads the same text whichever side was ours.
        let later = if mt.stamp > mo.stamp { theirs } else { ours };
        let deleter = if mt.deleted && !mo.deleted {
            theirs
        } else {
            ours
        };
        for (column, from) in [(&columns.last_modified, later), (&columns.deleted, deleter)] {
            if let Some(cell) = from.get(column) {
                merged.insert(column.as_str(), cell.clone());
            }
        }
    }
    merged
}

/// The conflicts table: a set of immutable rows, merged three-way by presence, plus the
/// conflicts this merge found, sorted; `None` when it equals ours' (nothing to write).
fn merged_conflicts_table(
    ours: Option<&Value>,
    base: &Map,
    theirs: &Map,
    found: &[KeptConflict],
) -> Option<Table> {
    let rows = |entry: Option<&Value>| -> BTreeSet<KeptConflict> {
        entry
            .and_then(Value::as_table)
            .map(|table| {
                (0..table.rows.len())
                    .filter_map(|row| table.row_map(row))
                    .filter_map(|map| sdn_codec::from_value(Value::Dict(map)).ok())
                    .collect()
            })
            .unwrap_or_default()
    };
    let b = rows(base.get(CONFLICTS_TABLE));
    let o = rows(ours);
    let t = rows(theirs.get(CONFLICTS_TABLE));
    let mut result: BTreeSet<KeptConflict> = o
        .iter()
        .filter(|row| t.contains(row) || !b.contains(row))
        .cloned()
        .collect();
    result.extend(t.iter().filter(|row| !b.contains(row)).cloned());
    result.extend(found.iter().filter(|c| !c.table.is_empty()).cloned());
    if result == o {
        return None;
    }
    let mut table = Table::with_columns(["table", "key", "field", "value", "stamp"]);
    for row in &result {
        table.rows.push(vec![
            Value::from(row.table.as_str()),
            Value::from(row.key.as_str()),
            Value::from(row.field.as_str()),
            Value::from(row.value.as_str()),
            Value::from(row.stamp.as_str()),
        ]);
    }
    Some(table)
}

/// Moves `hlc` past every stamp in `remote` (a snapshot from another replica, before
/// merging it), so later local stamps order after everything merged in. A stamp further
/// ahead of the local clock than the skew bound fails with [`Error::ClockSkew`] naming
/// its table, or is clamped with a warning, as the clock's [`crate::SkewPolicy`] says.
///
/// ```
/// use std::sync::Arc;
/// use versioning::{Hlc, HlcOptions, ManualClock, WriterId};
///
/// let clock = ManualClock::new(1_764_600_000_000); // 2025-12-01T14:40:00Z
/// let hlc = Hlc::new(WriterId::new("laptop")?, Arc::new(clock), HlcOptions::default());
/// let remote = "todos |id, version, last_modified|\n    1, 2, \"2025-12-01T18:40:00.000Z+00000@phone\"\n";
/// let err = versioning::merge::observe_stamps(remote, &hlc, &Default::default()).unwrap_err();
/// assert!(err.to_string().contains("table todos"));
/// # Ok::<(), versioning::Error>(())
/// ```
pub fn observe_stamps(remote: &str, hlc: &crate::Hlc, options: &MergeOptions) -> Result<()> {
    let value = sdn_codec::parse(remote).map_err(|source| Error::MalformedInput {
        input: MergeInput::Theirs,
        source,
    })?;
    let Some(root) = value.as_dict() else {
        return Ok(());
    };
    let columns = |table: &str| options.table(table).columns.last_modified;
    for (name, stamp) in crate::stamp::latest_stamps(root, columns) {
        hlc.observe(&stamp).map_err(|skew| Error::ClockSkew {
            path: std::path::PathBuf::from("<remote snapshot>"),
            table: name.to_owned(),
            skew,
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
