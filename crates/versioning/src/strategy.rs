//! Conflict strategies: who wins when another writer committed a record since it was
//! read, and the field-level three-way merge they share with whole-store merges.

use std::fmt;
use std::sync::Arc;

use sdn_codec::{Map, Value};

use crate::conflict::{Conflict, Side};

/// How a conflict on one record is resolved. Set per store, per table or per call.
#[derive(Clone, Default)]
pub enum Strategy {
    /// The change with the greater HLC stamp wins (ties broken by writer id: a total
    /// order every replica agrees on). A local commit observes the stamp it replaces
    /// first, so the later commit wins.
    LastWriteWins,
    /// The baseline's rule: the change whose writer's wall clock read later wins (ours
    /// on a tie). Kept for compatibility: a clock that is behind loses its changes.
    LastModifiedWins,
    /// The commit fails with [`crate::Error::Conflict`] carrying base, ours and
    /// theirs; nothing is written.
    #[default]
    Error,
    /// Field-level three-way merge against the version read: fields changed on one side
    /// only are combined; a field changed two ways falls back to `Fallback`.
    Merge(Fallback),
    /// A function decides.
    Callback(Resolver),
}

impl fmt::Debug for Strategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Strategy::LastWriteWins => f.write_str("LastWriteWins"),
            Strategy::LastModifiedWins => f.write_str("LastModifiedWins"),
            Strategy::Error => f.write_str("Error"),
            Strategy::Merge(fallback) => write!(f, "Merge({fallback:?})"),
            Strategy::Callback(_) => f.write_str("Callback(..)"),
        }
    }
}

/// What a field-level merge does with a field both sides changed to different values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Fallback {
    /// Fail with [`crate::Error::Conflict`] naming the fields; nothing is written.
    #[default]
    Error,
    /// Take the field from the side with the greater HLC stamp.
    LastWriteWins,
    /// Take the field from the side whose wall clock read later.
    LastModifiedWins,
    /// Write the greater stamp's value, and keep both values in the conflicts table to
    /// be resolved later ([`crate::VersionedStore::resolve`]).
    Keep,
}

/// A user function that resolves a conflict.
pub type Resolver = Arc<dyn Fn(&Conflict) -> Decision + Send + Sync>;

/// What a [`Strategy::Callback`] decides.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Write this writer's change.
    Ours,
    /// Keep what the other writer committed; write nothing.
    Theirs,
    /// Write these fields (a record's field map, such as a merge of both sides).
    Fields(Map),
    /// Fail with [`crate::Error::Rejected`]; nothing is written.
    Reject(String),
}

/// Which side a strategy picked.
#[derive(Debug, Clone, PartialEq)]
pub enum Winner {
    /// This writer's change was written over the other's.
    Ours,
    /// The other writer's commit was kept; this change was not written.
    Theirs,
    /// A combination of both was written.
    Merged,
}

/// The three-way merge of one record's fields (column → value).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FieldMerge {
    /// Ours with every field only theirs changed taken from theirs; a field both
    /// changed keeps ours' value.
    pub(crate) merged: Map,
    /// Fields changed on both sides to different values, in column order.
    pub(crate) conflicts: Vec<String>,
}

/// Missing fields read as an empty cell.
fn field<'a>(map: &'a Map, name: &str, empty: &'a Value) -> &'a Value {
    map.get(name).unwrap_or(empty)
}

/// Merges `ours` and `theirs` against `base`, field by field; fields for which `skip`
/// holds are left as in `ours`.
pub(crate) fn merge_fields(
    base: &Map,
    ours: &Map,
    theirs: &Map,
    skip: impl Fn(&str) -> bool,
) -> FieldMerge {
    let empty = crate::row::empty_cell();
    let mut merged = ours.clone();
    let mut conflicts = Vec::new();
    for (name, theirs_value) in theirs.iter() {
        if skip(name) {
            continue;
        }
        let base_value = field(base, name, &empty);
        let ours_value = field(ours, name, &empty);
        if same(theirs_value, base_value) || same(theirs_value, ours_value) {
            continue;
        }
        if same(ours_value, base_value) {
            merged.insert(name, theirs_value.clone());
        } else {
            conflicts.push(name.to_owned());
        }
    }
    FieldMerge { merged, conflicts }
}

/// Cell equality where an empty cell, `null` and `""` are the same absent value.
pub(crate) fn same(a: &Value, b: &Value) -> bool {
    a == b || (is_blank(a) && is_blank(b))
}

fn is_blank(value: &Value) -> bool {
    value.is_null() || value.as_str() == Some("")
}

/// Whether `ours` beats `theirs` under last-write-wins (greater stamp; a missing stamp
/// is oldest).
pub(crate) fn ours_is_later(ours: &Side, theirs: &Side) -> bool {
    ours.meta.stamp > theirs.meta.stamp
}

/// Whether `ours` beats `theirs` under the baseline's last-modified-wins.
pub(crate) fn ours_modified_later(ours: &Side, theirs: &Side) -> bool {
    ours.wall_ms >= theirs.wall_ms
}
