//! SDN ("Simple Data Notation") for Rust: a value model that keeps source text, a
//! parser with line/column errors and limits, and a canonical writer.
//!
//! The dialect is specified in the [`spec`] module (the crate's `SPEC.md`): YAML-like
//! indentation for nesting, a compact table syntax for record lists, quoted and plain
//! scalars; it also fixes the canonical form, how comments and blank lines are
//! formatted, and the compatibility rule for what this crate writes.
//!
//! # Guarantees
//!
//! - **No silent data change.** Every byte of a value survives parsing, or parsing fails
//!   with an [`Error`] naming line and column (its [`Error::report`] shows the line, or
//!   a bounded excerpt of a long line, with a caret).
//!   Integer overflow, unterminated quotes/brackets, duplicate keys, wrong cell counts,
//!   INI/TOML sections, SDL blocks and YAML block scalars are errors.
//! - **Source text is kept.** Every scalar remembers the exact text it was read from
//!   ([`Value::source_text`]), so `007` can still be read as `007`.
//! - **Canonical output round-trips.** [`to_canonical_string`] produces deterministic
//!   bytes that [`parse()`] reads back to an equal [`Value`], using only spellings the
//!   format's home parser reads the same way ([`spec`] §12).
//! - **Formatting keeps what people wrote.** [`format()`] gives a file canonical layout
//!   and keeps its comments, single blank lines and number spellings (`1.10` stays
//!   `1.10`), and checks that its output reads back to identical data.
//! - **Plain values lose only spaces and tabs.** Trimming never removes other
//!   (Unicode) whitespace.
//! - **Bounded on untrusted input.** Nesting depth, size, string length and cell count
//!   are limited by [`Limits`]; deep input is an error, never a stack overflow.
//!
//! # Limitations
//!
//! - Equality of values is semantic: the source text of scalars is ignored, and
//!   `0.0 == -0.0` ([`Value::is_identical`] tells them apart).
//! - The canonical writer normalizes layout and number spelling; to keep a file's
//!   layout use [`format()`], and to edit a file while keeping its formatting use the
//!   format-preserving [`Document`].
//! - An array item holding a table has no inline spelling; it is written in a block
//!   form other SDN readers may not read ([`spec`] §12).
//!
//! # Layout
//!
//! - **Value model**: [`value`] ([`Value`], [`Scalar`], [`Map`], [`Table`]) and
//!   [`error`].
//! - **Parsing and canonical writing**: [`parse`](mod@parse), [`canonical_writer`] (also reachable
//!   under its earlier name `write`) and [`format()`]. Every lexical rule they share
//!   (plain keys and strings, quoting and escapes, comments, blanks and indentation,
//!   line splitting, number spelling) lives once, in the crate's private `syntax`
//!   module, which the serde routes and [`Document`] consult too.
//! - **Format-preserving edits**: [`document`] ([`Document`]).
//! - **serde**: [`ser`] and [`de`]. Each direction has a general route through a
//!   [`Value`] and a fast route for record files straight to or from text
//!   (`ser::to_text`, `de::from_text`); the fast route declines anything it does not
//!   cover, and both routes take their rules from the same places.
//! - **The `sdn` command-line tool**: behind the `cli` feature, which alone brings in
//!   clap, serde_json and recfiles-atomic-io; without it the crate depends on serde only.
//!
//! # Example
//!
//! ```
//! let text = "\
//! title: Unified SCV, Git, and DevHub
//! todos |id, area, file|
//!     1, parser, ./src/a.spl
//!     2, gpu, /dev/ttyUSB0
//! ";
//! let doc = sdn_codec::parse(text)?;
//! assert_eq!(doc["title"].as_str(), Some("Unified SCV, Git, and DevHub"));
//! let todos = doc["todos"].as_table().unwrap();
//! assert_eq!(todos.cell(0, "file").and_then(|v| v.as_str()), Some("./src/a.spl"));
//!
//! let canonical = sdn_codec::to_canonical_string(&doc)?;
//! assert_eq!(sdn_codec::parse(&canonical)?, doc);
//! # Ok::<(), sdn_codec::Error>(())
//! ```
#![deny(missing_docs)]

/// The README's example, compiled and run as a doc test so that it cannot go stale.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

mod byte_search;
mod column_type;
pub mod de;
pub mod document;
pub mod error;
pub mod format;
pub mod parse;
pub mod ser;
mod syntax;
pub mod value;

/// The SDN format as this crate reads and writes it (the package's `SPEC.md`).
pub mod spec {
    #![doc = include_str!("../SPEC.md")]
}
pub mod canonical_writer;
/// The canonical writer under its earlier name: the same module as [`canonical_writer`].
pub use canonical_writer as write;

pub use canonical_writer::{map_to_canonical_string, to_canonical_string};
pub use de::{
    DeOptions, from_row, from_slice, from_slice_with, from_str, from_str_with, from_value,
    from_value_with,
};
pub use document::{Document, KeyPath, TableMut, TextUpdate};
pub use error::{Error, ErrorKind, Limit, Report, Result};
pub use format::{FormatOptions, format, format_with};
pub use parse::{
    EntrySpan, Limits, ParseOptions, Spanned, from_path, parse, parse_map_with, parse_slice,
    parse_slice_with, parse_spanned, parse_value_text, parse_with,
};
pub use ser::{SerOptions, to_string, to_string_with, to_value, to_writer, to_writer_with};
pub use value::{Column, ColumnType, Map, Scalar, ScalarKind, Table, Value, ValueIndex};
