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
//!   column and never overwritten; a row that does not read as its record type, with
//!   the line, column, table and table column.
//! - **No silent data change.** A save goes through sdn-codec's format-preserving editor:
//!   only changed rows are rewritten (a one-record change is a one-line diff), columns and
//!   tables the program does not know are kept, new fields become appended columns.
//! - **Several files, all or nothing.** A [`StoreSet`] commits changes to several files
//!   through a commit journal ([`journal`]); opening any member later finishes a
//!   committed transaction or discards an uncommitted one, also after the directory
//!   was moved or copied.
//! - **A table name is one name.** `Record::TABLE` is the table's literal name in the
//!   file, whatever it contains (`a.b` is the table `a.b`, not a path); a name the SDN
//!   writer could not read back as itself is refused the first time a store meets the
//!   type ([`Error::InvalidTableName`]).
//!
//! # How a commit works
//!
//! Every write, of one file ([`Store::update`], [`Store::commit`]) or of several
//! ([`StoreSet::update`], [`StoreSet::commit`]), goes through one pipeline:
//!
//! 1. **Begin**: take the writer locks (in path order), read each file. A cached version
//!    that no reader holds is taken over and edited in place (no copy of the document or
//!    of the decoded tables); when another process committed since this process last
//!    looked, it is brought up to date with sdn-codec's `Document::update_text`, which
//!    reads again only the changed row line when one row is all that changed. With no
//!    such version, the transaction starts from the text alone (checked to parse):
//!    tables are decoded straight from it, and no value per cell is built unless the
//!    commit needs a document. A large table (from 32 KiB of text) whose rows are
//!    each one line keeps only its keys at first: a record is decoded from its row's
//!    line when the transaction asks for it, and every record at once when it iterates.
//! 2. **Run** the closure on typed [`Table`]s. An error or panic writes nothing.
//! 3. **Collect** the [`ChangeSet`]: per table, inserted rows, updated rows with old and
//!    new, removed rows, from the keys the transaction touched only (a
//!    [`Store::update`] without pre-commit hooks, whose change set nobody sees, does not
//!    list the inserted rows: they are encoded again one at a time when rendered). The
//!    store's pre-commit hooks ([`Store::with_pre_commit`]) see it and may veto the
//!    commit or amend the transaction; an empty change set ends the commit, writing
//!    nothing (a replaced text, [`Transaction::replace_text`], is written if it differs
//!    from the file, even where no row changed).
//! 4. **Render** the new text: only changed cells of changed rows are rewritten, each
//!    edit checked by parsing what it changed. A transaction started from the text
//!    that only updates rows written on lines of their own (and removes such rows of
//!    one table) edits those lines with sdn-codec's `RowEditor` (the text's layout, no
//!    value per cell), and tables a
//!    [`Store::update`] creates in a new file are written row by row (sdn-codec's
//!    `TableWriter`) straight into the file's replacement; everything else goes through
//!    the format-preserving `Document`, with the same result.
//! 5. **Write** durably: one file replaced atomically (atomic-io), several through the
//!    commit journal ([`journal`]).
//! 6. **Publish** the committed version to the process's snapshot cache, so the next
//!    transaction or read need not parse it (a file written straight into its
//!    replacement was never held: the next use reads it), then release the locks.
//!
//! A commit's work is therefore proportional to what changed, plus reading and writing
//! the file: a one-record update of a large table walks no other record, and inserting
//! k records is linear in k. The change set is also how changes from elsewhere come in:
//! [`Transaction::apply`] applies one (another replica's, say) through the same steps.
//! Content made elsewhere that must land byte for byte (a whole-store merge every
//! replica must turn into the same file) goes in whole with
//! [`Transaction::replace_text`]: the commit writes exactly that text, and the change set
//! the hooks see and the commit returns is derived by matching rows by key ([`replace`]).
//!
//! # Files on disk
//!
//! A store is its data file plus side files next to it, all named after it:
//!
//! | file | what | lifetime |
//! |---|---|---|
//! | `F` | the data, replaced whole by rename on every commit | yours |
//! | `F.lock` | the writer lock (file-lock's sidecar) | created on the first lock, never deleted; do not delete it while programs use the store |
//! | `.F.<pid>.<hex>.atomic-tmp` | atomic-io's temporary file while a commit writes (none at all on Linux file systems with `O_TMPFILE`); it becomes `F`, with `F`'s mode and owner | renamed into place by the commit; a crashed writer's are removed by the next [`Store::open`] |
//! | `F.rs-intent`, `F.rs-staged` | a [`StoreSet`] commit in progress: which journal commits `F`, and `F`'s new content | removed when the commit finishes or by recovery |
//! | `F0.rs-journal` | the commit point of a [`StoreSet`] commit, next to its first file | the same |
//!
//! - **Moving and copying.** With no program using the store, the data file may be moved
//!   or copied alone (take `F.lock` along or not: a new one is made). After a crash in the
//!   middle of a [`StoreSet`] commit (side files present), move or copy the **directory**
//!   as a whole (`mv`, `cp -a`): intents and journals name their files relative to where
//!   they lie, so the moved directory, and each copy on its own, recovers as one unit on
//!   the next open. Side files separated from their files (part of a directory copied,
//!   a member renamed) are reported as [`Error::UnmatchedJournal`], never guessed at.
//!   Moving or deleting a file while a handle uses it: the handle reports
//!   [`Error::Vanished`] instead of reading an empty store (a file missing when a handle
//!   first looks is an empty store).
//! - **Symbolic links** are followed when the store is opened: `link.sdn` and the file
//!   it names are one store with one lock, and commits replace the target, keeping the
//!   link. A link changed to point elsewhere later is seen by handles opened after that.
//! - **Hard links**: a commit replaces the file by rename, so other hard links to it keep
//!   the old content. Do not hard-link store files.
//! - **Ownership and permissions.** Commits keep the data file's mode and, where the
//!   process may (root, or the owner), its owner and group. Side files the store creates
//!   (the lock, staged files, intents, the journal) take the data file's owner, group and
//!   mode, so users who may all write a file can share the store whoever came first. A
//!   process that may not give files away (not root) leaves its side files its own;
//!   another user can still lock and recover as long as the mode lets them write. A lock
//!   file an older version created as root (`0644`) must be given to the data file's
//!   owner by hand.
//! - **Descriptors.** A [`Snapshot`] holds no file descriptor: keep as many as memory
//!   allows. Each [`Store`] handle keeps one descriptor of its lock file open while idle
//!   (file-lock's cache), and a transaction holds the data file open until it ends.
//! - **Access times.** Every transaction reads the file to compare it with the version it
//!   holds, and [`Store::read`] reads it when it may have changed. On Linux these reads
//!   leave the file's access time alone where the kernel allows it (`O_NOATIME`: a
//!   process of the file's owner, or root; a process refused once opens plainly from
//!   then on), so the access time says when another program last read the file.
//! - **Other programs writing the file.** A program that replaces the file by rename (as
//!   most editors do) is seen by the next read. A program that writes **in place**
//!   without taking the lock is detected where possible: a transaction that finds the
//!   file changing while it reads it, or finds the file it last saw rewritten in place
//!   (same inode and birth time, so only where the file system records birth times, as
//!   ext4, xfs, btrfs and tmpfs do on Linux), waits until the file has stayed unchanged for [`Store::with_settle_time`] (one
//!   second by default) before using it, and fails with [`Error::ChangedInPlace`] if it
//!   never settles (a `chmod` or `touch` of the file counts as a change too, costing the
//!   next transaction one settle time). What remains: a writer that paused longer than that, mid-file, looks
//!   finished; and writes an in-place writer makes after a commit replaced the file go to
//!   the replaced file and are lost. Readers ([`Store::read`]) may see such a half-written
//!   file as a parse error or a shorter document, never a commit.
//!
//! # Limitations
//!
//! - Records map to table rows: fields must be scalars or `Option`s of scalars.
//! - Tables are kept in memory whole. A read keeps the text and the decoded records
//!   (under four times the file's size at the peak for a typical table of 150,000
//!   records; the untyped value of [`Snapshot::document`] is parsed only when asked
//!   for). A transaction that starts from the file (nothing cached) and only updates
//!   rows (or removes rows of one table) costs less: it holds the text, the keys and the
//!   records it asks for (under twice the file's size for one record of a large table
//!   of one-line rows), and edits or removes the rows' lines in the text. Other
//!   transactions keep sdn-codec's format-preserving document, with a parsed value per
//!   cell (about ten times the file's size; a cached version taken over by the next
//!   transaction keeps it too, so that one-row updates stay one-line edits, and that
//!   transaction compares the file with it a piece at a time, never holding a second
//!   copy). A [`Store::update`] inserting every row of a new file writes the table row
//!   by row straight into the file, never holding it as cells nor as text (the records
//!   are the peak: under four times the file's size); a [`Store::commit`], whose change
//!   set lists every inserted row, a store with pre-commit hooks or a [`StoreSet`],
//!   about thirty times. Meant for files of kilobytes to tens of megabytes.
//! - A change set gives rows as the record type encodes them: columns of the file the
//!   type does not know are kept in the file but are not part of the change set. (A
//!   replaced text's change set gives rows as the file has them, every column.)
//! - A single [`Store::read`] is consistent for its own file; for a consistent view
//!   *across* the files of a set use [`StoreSet::read`] (lock-free and retrying; under
//!   heavy write traffic it falls back to shared locks rather than starve).
//! - Writers that bypass this crate are not serialised by the lock (see "Files on disk").
//! - A [`StoreSet`] whose members live in different directories recovers as a unit only
//!   when those directories keep their relative places (move their common parent).
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

/// The README's example, compiled and run as a doc test so that it cannot go stale.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

mod append_map;
mod cache;
pub mod changes;
mod commit;
mod compact;
mod decoded;
mod direct;
mod edit;
mod error;
pub mod fault;
mod file_read;
pub mod identity;
pub mod journal;
mod lazy;
mod locks;
mod paths;
mod position;
mod record;
pub mod replace;
mod rows;
mod set;
mod snapshot;
mod store;
mod sync_prims;
mod table;
mod text_compare;
mod tx;

pub use changes::{ChangeSet, TableChanges};
pub use commit::Committed;
pub use error::{Error, Operation, Result, TableNameProblem, UnmatchedReason};

// The lower crates whose types appear in this crate's API, so a dependent needs no
// version of its own that could disagree.
pub use atomic_io::{self, Durability};
pub use file_lock;
pub use record::Record;
pub use replace::RowKeys;
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
