//! Per-record versions, hybrid logical clocks, optimistic commits with conflict
//! strategies, and deterministic three-way merge for SDN record stores.
//!
//! Built on [`record_store`]: a [`VersionedStore`] keeps, in each record's own row, a
//! version counter, a hybrid-logical-clock stamp naming the writer, and a tombstone.
//! A writer reads a record with its version, works without any lock, then
//! [`VersionedStore::commit_if`]: under the store's writer lock the version is compared
//! with the file's, and if another writer committed meanwhile a [`Strategy`] decides.
//!
//! # Guarantees
//!
//! - **Concurrent edits are detected, never silently dropped.** A commit based on an
//!   older version than the file's is a conflict; the strategy's decision is reported
//!   in [`Committed::conflict`] and [`Committed::winner`]. Under [`Strategy::Error`]
//!   nothing is written and the error carries base, ours and theirs.
//! - **Metadata stays human-readable and diffs stay small.** `version`, `last_modified`
//!   (`2026-12-01T15:22:18.123Z+00003@laptop-a`) and `deleted` are ordinary columns
//!   (names configurable per table); a one-record change rewrites one line.
//! - **Stamps never go backwards.** The [`Hlc`] issues strictly increasing stamps per
//!   writer, across wall-clock steps backwards and across restarts (the clock recovers
//!   from the latest stamp in the store); a remote stamp beyond the skew bound is refused
//!   or clamped ([`SkewPolicy`]), never trusted without bound.
//! - **Resolution is deterministic.** Last-write-wins orders by stamp, then writer id;
//!   [`merge::merge`] of whole stores gives the same record tables, byte for byte,
//!   whatever order replicas are merged in (see its documentation for the exact rules).
//! - **Nothing typed is lost by a merge that cannot decide.** With [`Fallback::Keep`]
//!   both values are kept in the `versioning_conflicts` table until
//!   [`VersionedStore::resolve`] writes the chosen one as a new version.
//!
//! # Limitations
//!
//! - Record fields are scalars (as in record-store). A record type must not deny
//!   unknown fields: it is read from rows that also hold the metadata columns.
//! - Within one process, a writer id should be used by one [`VersionedStore`] at a
//!   time; concurrent processes each need their own ([`WriterId::for_process`]).
//! - Cells read through the versioned row lose number spellings (`007` reads as 7) when
//!   read into a `String` field; unchanged cells are never rewritten.
//! - The change cursor ([`cursor`]) keeps at most 32 KiB of digests per table, not the
//!   versions of every record: it never misses a change but may also report a few
//!   records that share a digest bucket with a changed one.
//! - A whole-store merge gives a field changed two ways the value that sorts last (not
//!   the later writer's: rows do not record who changed which field), and keeps both
//!   values as conflicts without a stamp (which replica typed a field is not in the
//!   file once rows were combined; see [`merge`]).
//! - Plain record-store transactions through [`VersionedStore::store`] are stamped
//!   only when their record type carries the version columns; otherwise the commit is
//!   refused ([`Error::Unstamped`]), never written unstamped.
//! - A whole-store merge parses all three texts in full (only writing the result is
//!   proportional to what changed): it costs more than a CRDT's merge of documents
//!   already in memory, though less than loading them from disk first (see the
//!   repository's benchmarks).
//!
//! # Example
//!
//! ```
//! use record_store::Record;
//! use serde::{Deserialize, Serialize};
//! use versioning::{Options, Strategy, VersionedStore, WriterId, Winner};
//!
//! #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
//! struct Todo {
//!     id: String,
//!     status: String,
//! }
//! impl Record for Todo {
//!     const TABLE: &'static str = "todos";
//!     type Key = String;
//!     fn key(&self) -> String {
//!         self.id.clone()
//!     }
//! }
//!
//! let dir = tempfile::tempdir()?;
//! let path = dir.path().join("todo_db.sdn");
//! let a = VersionedStore::open(&path, Options::new(WriterId::new("device-a")?))?;
//! let b = VersionedStore::open(&path, Options::new(WriterId::new("device-b")?))?;
//! a.insert(Todo { id: "todo-1".into(), status: "open".into() })?;
//!
//! // Both read version 1.
//! let read_a = a.get::<Todo>(&"todo-1".to_string())?.unwrap();
//! let read_b = b.get::<Todo>(&"todo-1".to_string())?.unwrap();
//! assert_eq!(read_a.meta.version, 1);
//!
//! // A commits first.
//! let done = Todo { status: "done".into(), ..read_a.record.clone() };
//! assert_eq!(a.commit_if(&read_a, done)?.record.meta.version, 2);
//!
//! // B's change based on version 1 is a conflict: by default nothing is written.
//! let in_progress = Todo { status: "in_progress".into(), ..read_b.record.clone() };
//! let err = b.commit_if(&read_b, in_progress.clone()).unwrap_err();
//! assert!(matches!(err, versioning::Error::Conflict(_)));
//!
//! // Resolved by a strategy instead, the conflict is reported with the winner.
//! let outcome = b.commit_if_with(&read_b, in_progress, &Strategy::LastWriteWins)?;
//! assert_eq!(outcome.winner, Some(Winner::Ours));
//! assert_eq!(outcome.record.meta.version, 3);
//! assert!(std::fs::read_to_string(&path)?.contains("@device-b"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]

/// The README's example, compiled and run as a doc test so that it cannot go stale.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

pub mod conflict;
pub mod cursor;
mod error;
pub mod hlc;
pub mod merge;
mod meta;
mod migrate;
mod options;
mod row;
mod shim;
mod stamp;
mod store;
pub mod strategy;

pub use conflict::{CONFLICTS_TABLE, Conflict, KeptConflict, Side};
pub use error::{Error, MergeInput, RecordProblem, Result, UnmergeableReason, UnstampedReason};
pub use hlc::{
    Clock, ClockSkew, Hlc, HlcOptions, InvalidWriterId, ManualClock, OffsetClock, SkewPolicy,
    Stamp, SystemClock, WriterId,
};
pub use meta::{Columns, Meta};
pub use migrate::Migration;
pub use options::{Options, TableOptions};
pub use store::{Committed, Versioned, VersionedStore};
pub use strategy::{Decision, Fallback, Resolver, Strategy, Winner};
