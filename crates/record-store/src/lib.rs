//! Typed tables in SDN files, safe across threads and processes.
//!
//! A [`Store`] is one SDN file holding one or more named tables; a [`Record`] is a serde
//! type that names its table and its key. Reads are lock-free snapshots; writes are
//! transactions under an inter-process lock; saves rewrite only the rows that changed.
//!
//! # Guarantees
//!
//! - **Consistent reads without locks.** [`Store::read`] returns a [`Snapshot`] of one
//!   complete committed version: files are only ever replaced whole (atomic-io), never
//!   written in place. Snapshots are cached per file (shared by all handles of a process)
//!   and re-parsed only when the file changed ([`identity`] documents the exact check).
//! - **No lost updates.** [`Store::update`] holds the exclusive writer lock (file-lock, on
//!   the sidecar `<file>.lock`) from reading the file to committing it, in every thread
//!   and process.
//! - **No torn files.** A commit replaces the file atomically and durably (file and
//!   directory flushed) before `update` returns; a crash at any moment leaves the old or
//!   the new version.
//! - **Errors and panics write nothing.** If the closure fails or panics, the file is
//!   untouched and the lock released (a panic continues unwinding). A transaction that
//!   changes nothing writes nothing. A malformed file is reported with path, line and
//!   column and never overwritten.
//! - **No silent data change.** A save goes through sdn-codec's format-preserving editor:
//!   only changed rows are rewritten (a one-record change is a one-line diff), columns and
//!   tables the program does not know are kept, new fields become appended columns.
//! - **Several files, all or nothing.** A [`StoreSet`] commits changes to several files
//!   through a commit journal ([`journal`]); opening any member later finishes a
//!   committed transaction or discards an uncommitted one.
//!
//! # Cost of a transaction
//!
//! A transaction edits the version it read in place when nothing else holds it (no
//! [`Snapshot`] of it is kept by a reader): no copy of the document or of the decoded
//! tables. When another process committed since this process last looked, the cached
//! version is brought up to date with sdn-codec's `Document::update_text`, which reads
//! again only the changed row line when one row is all that changed, and only that row
//! is decoded again; any other change parses the file whole. So a one-record update
//! costs about the same whether this process or another wrote last, and its time is
//! mostly the durable replace (two flushes) itself.
//!
//! # Limitations
//!
//! - Records map to table rows: fields must be scalars or `Option`s of scalars.
//! - Tables are kept in memory whole; meant for files of kilobytes to a few megabytes.
//! - A single [`Store::read`] is consistent for its own file; for a consistent view
//!   *across* the files of a set use [`StoreSet::read`] (lock-free and retrying; under
//!   heavy write traffic it falls back to shared locks rather than starve).
//! - Writers that bypass this crate (an editor saving in place) are detected by the cache
//!   check but are not serialised by the lock.
//!
//! # Example: a new record type in a few lines
//!
//! ```
//! use record_store::{Record, Store};
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
//! struct Task {
//!     id: String,
//!     name: String,
//!     #[serde(default)]
//!     done: bool,
//! }
//!
//! impl Record for Task {
//!     const TABLE: &'static str = "tasks";
//!     type Key = String;
//!     fn key(&self) -> String {
//!         self.id.clone()
//!     }
//! }
//!
//! let dir = tempfile::tempdir()?;
//! let path = dir.path().join("task_db.sdn");
//! std::fs::write(&path, "# my tasks\ntasks |id, name, owner|\n    T-1, Write docs, ann\n")?;
//!
//! let store = Store::open(&path)?;
//! store.update(|tx| {
//!     let tasks = tx.table::<Task>()?;
//!     tasks.get_mut(&"T-1".to_string()).unwrap().name = "Write better docs".into();
//!     tasks.insert(Task { id: "T-2".into(), name: "Ship".into(), done: false })?;
//!     Ok::<_, record_store::Error>(())
//! })?;
//!
//! let snapshot = store.read()?;
//! let tasks = snapshot.table::<Task>()?;
//! assert_eq!(tasks.len(), 2);
//! assert_eq!(tasks.get(&"T-1".to_string()).unwrap().name, "Write better docs");
//! // The comment and the `owner` column the program does not know are kept.
//! let text = std::fs::read_to_string(&path)?;
//! assert!(text.starts_with("# my tasks\n"));
//! assert!(text.contains("ann"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]

mod cache;
mod edit;
mod error;
pub mod fault;
mod file_read;
pub mod identity;
pub mod journal;
mod locks;
mod owner;
mod paths;
mod position;
mod record;
mod set;
mod snapshot;
mod store;
mod sync;
mod table;
mod tx;

pub use error::{Error, Result};

// The lower crates whose types appear in this crate's API, so a dependent needs no
// version of its own that could disagree.
pub use atomic_io::{self, Durability};
pub use file_lock;
pub use record::Record;
pub use sdn_codec::{self, Value};
pub use set::{SetTransaction, StoreSet};
pub use snapshot::{Records, Snapshot};
pub use store::{DEFAULT_SETTLE_TIME, Store};
pub use table::Table;
pub use tx::Transaction;

// Handles are shared between threads freely.
const _: fn() = || {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Store>();
    send_sync::<StoreSet>();
    send_sync::<Snapshot>();
    send_sync::<Records<Task>>();
    #[derive(Clone, serde::Serialize, serde::Deserialize)]
    struct Task {
        id: u32,
    }
    impl Record for Task {
        const TABLE: &'static str = "t";
        type Key = u32;
        fn key(&self) -> u32 {
            self.id
        }
    }
};
