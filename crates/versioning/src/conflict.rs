//! Conflicts: what two writers did to one record, reported (in an error or an outcome)
//! and, when a merge cannot decide, kept in the store's conflicts table.

use std::fmt;
use std::path::PathBuf;

use record_store::Record;
use sdn_codec::{Map, Value};
use serde::{Deserialize, Serialize};

use crate::meta::Meta;

/// One side of a conflict: the record's fields and metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct Side {
    /// The record's fields (column name → value); empty for a record that did not
    /// exist.
    pub fields: Map,
    /// Version, stamp and tombstone. For `ours` this is what the commit would have
    /// written.
    pub meta: Meta,
    /// The writer's wall-clock reading in milliseconds (what the baseline's
    /// last-modified comparison uses): ours at commit time, theirs from its stamp.
    pub wall_ms: u64,
}

impl Side {
    /// The fields read as the record type `T`.
    pub fn record<T: Record>(&self) -> Option<T> {
        sdn_codec::from_value(Value::Dict(self.fields.clone())).ok()
    }
}

/// Two writers changed the same record: the version read (`base`), this writer's
/// change (`ours`) and what was committed meanwhile (`theirs`).
#[derive(Debug, Clone, PartialEq)]
pub struct Conflict {
    /// The store.
    pub path: PathBuf,
    /// The table.
    pub table: String,
    /// The record's key.
    pub key: String,
    /// The record as read when the change began.
    pub base: Side,
    /// The change being committed.
    pub ours: Side,
    /// The record as committed by another writer since.
    pub theirs: Side,
    /// The fields both sides changed to different values (`deleted` stands for a
    /// delete against an update); empty when no field-level merge was tried.
    pub fields: Vec<String>,
}

impl fmt::Display for Conflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "conflict on {}/{} in {}: read at version {}, but version {} was committed meanwhile",
            self.table,
            self.key,
            self.path.display(),
            self.base.meta.version,
            self.theirs.meta.version
        )?;
        if let Some(writer) = self.theirs.meta.writer() {
            write!(f, " by {writer}")?;
        }
        if !self.fields.is_empty() {
            write!(f, " (both changed: {})", self.fields.join(", "))?;
        }
        Ok(())
    }
}

/// The name of the table that keeps undecided conflicts, in the same SDN file.
pub const CONFLICTS_TABLE: &str = "versioning_conflicts";

/// One side of an undecided field conflict, kept in table [`CONFLICTS_TABLE`]: one row
/// per candidate value, so a person reading the file sees every value that was typed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct KeptConflict {
    /// The record's table.
    pub table: String,
    /// The record's key.
    pub key: String,
    /// The field both sides changed.
    pub field: String,
    /// The candidate value, as SDN inline text.
    pub value: String,
    /// The stamp of the change that wrote it (which names the writer); empty for a
    /// candidate found by a whole-store merge, which cannot tell who typed a field (see
    /// [`crate::merge`]).
    pub stamp: String,
}

impl KeptConflict {
    /// The candidate value parsed back.
    pub fn value(&self) -> Value {
        sdn_codec::parse_value_text(&self.value)
            .unwrap_or_else(|_| Value::from(self.value.as_str()))
    }

    /// The writer named by the stamp (empty when unknown).
    pub fn writer(&self) -> &str {
        self.stamp.rsplit_once('@').map_or("", |(_, writer)| writer)
    }
}

impl Record for KeptConflict {
    const TABLE: &'static str = CONFLICTS_TABLE;
    type Key = String;
    fn key(&self) -> String {
        // The value too: merge-found candidates share the empty stamp.
        format!(
            "{}/{}/{}/{}/{}",
            self.table, self.key, self.field, self.stamp, self.value
        )
    }
}

/// Renders a field value as inline SDN text.
pub(crate) fn value_text(value: &Value) -> String {
    sdn_codec::write::format_inline(value)
        .unwrap_or_else(|_| value.text().unwrap_or_default().into_owned())
}
