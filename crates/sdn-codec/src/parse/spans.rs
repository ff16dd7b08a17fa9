//! Line ranges of parsed entries, for format-preserving editors.

use std::ops::Range;

use crate::value::{Column, Map, Value};

/// A parsed document plus the lines each part came from.
///
/// Line numbers are **0-based line indexes, end-exclusive** (`2..4` is the third and
/// fourth line). A range covers the lines of the entry's own text (key line, nested
/// block, rows) and never the blank or comment lines before or after it; comment lines
/// *inside* a block are inside its range.
#[derive(Debug, Clone, PartialEq)]
pub struct Spanned {
    /// The root map.
    pub value: Map,
    /// One span per root entry, in order (with duplicate keys allowed, one per
    /// occurrence).
    pub entries: Vec<EntrySpan>,
}

/// Where one dict entry came from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EntrySpan {
    /// The key.
    pub key: String,
    /// The entry's lines: its key line through the last line of its value.
    pub lines: Range<usize>,
    /// For a dict block value: its entries.
    pub children: Vec<EntrySpan>,
    /// For an array block value: each item's lines.
    pub items: Vec<Range<usize>>,
    /// For a table whose rows are lines (named tables, typed tables with indented
    /// rows): each row's lines (an inline row on the header line is the header line).
    pub rows: Vec<Range<usize>>,
}

/// A parsed table header (see [`crate::parse::parse_table_header`]).
#[derive(Debug, Clone, PartialEq)]
pub struct TableHeader {
    /// The table's name (its key).
    pub name: String,
    /// Columns: named for `name |a, b|`, typed for `name: table{i64, str}`.
    pub columns: Vec<Column>,
    /// The cells of a row written on the header line (`name |a, b| 1, 2`), unchecked
    /// against the column count.
    pub inline_row: Option<Vec<Value>>,
}
