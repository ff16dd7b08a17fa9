//! The commit pipeline: the one path every write takes, for one file
//! ([`Store::update`](crate::Store::update), [`Store::commit`](crate::Store::commit)) and
//! for several ([`StoreSet::update`](crate::StoreSet::update)). It reads top-down:
//!
//! 1. **begin**: take the writer locks (sorted path order), then read each file
//!    ([`begin_file`]), taking over the cached version when nothing else holds it;
//! 2. **run** the caller's closure on the transactions (an error or panic writes nothing);
//! 3. **collect** each file's change set and row edits from the tables it touched (for a
//!    transaction whose text was replaced, `Transaction::replace_text`, the change set
//!    is the row diff between the file as read and what will be written), and show the
//!    change set to the store's pre-commit hooks, which may veto the commit or amend the
//!    transaction (then it is collected again);
//! 4. **render** the new text of each changed file with the format-preserving editor (a
//!    replaced text is written as given, with any table edits on top);
//! 5. **write** durably: one changed file is replaced atomically, several go through the
//!    commit journal;
//! 6. **publish** each committed version to the process's snapshot cache (an unchanged
//!    file's version is put back), release the locks, and only then free the replaced
//!    versions.

use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};

use file_lock::LockGuard;
use sdn_codec::TextUpdate;

use crate::cache::Ticket;
use crate::changes::ChangeSet;
use crate::decoded;
use crate::edit::{Rendered, TableEdit};
use crate::error::{Error, Result};
use crate::file_read::{CacheKey, FileRead, current_identity, read_settled};
use crate::journal;
use crate::position::text_of;
use crate::snapshot::{Parts, Snapshot};
use crate::store::Store;
use crate::sync_prims::Arc;
use crate::tx::Transaction;

/// What a commit returns: the closure's value and what was committed.
///
/// `C` is the [`ChangeSet`] of the file for [`Store::commit`](crate::Store::commit), one
/// per member (in path order) for [`StoreSet::commit`](crate::StoreSet::commit). A
/// transaction that changed nothing has empty change sets and wrote nothing.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Committed<R, C = ChangeSet> {
    /// What the closure returned.
    pub value: R,
    /// What the commit changed (after the pre-commit hooks amended it).
    pub changes: C,
}

/// The entry points of the pipeline for one file. (They live here, not in `store.rs`,
/// so that the handle does not depend on the pipeline that depends on it.)
impl Store {
    /// Runs `change` as one transaction under the exclusive writer lock and commits
    /// what it changed, atomically and durably.
    ///
    /// The lock is held from reading the file to committing it, so no other writer
    /// (thread or process) can slip an update in between: no lost updates. If `change`
    /// returns an error, nothing is written and the error is returned; if it panics,
    /// nothing is written, the lock is released and the panic continues. A transaction
    /// that changes nothing writes nothing. Only changed rows are rewritten; everything
    /// else in the file stays byte-identical.
    ///
    /// A file that cannot be parsed is never overwritten: the transaction fails with
    /// [`Error::Malformed`] before `change` runs.
    ///
    /// ```
    /// use record_store::{Error, Record, Store};
    /// # #[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
    /// # struct Counter { id: u32, value: u64 }
    /// # impl Record for Counter {
    /// #     const TABLE: &'static str = "counters";
    /// #     type Key = u32;
    /// #     fn key(&self) -> u32 { self.id }
    /// # }
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("counters.sdn");
    /// std::fs::write(&path, "counters |id, value|\n    1, 41\n")?;
    /// let store = Store::open(&path)?;
    ///
    /// // Read, modify and write as one locked transaction: no lost update.
    /// let value = store.update(|tx| {
    ///     let counter = tx.table::<Counter>()?.get_mut(&1).ok_or(Error::aborted("no counter"))?;
    ///     counter.value += 1;
    ///     Ok::<_, Error>(counter.value)
    /// })?;
    /// assert_eq!(value, 42);
    ///
    /// // An error from the closure writes nothing.
    /// let failed: Result<(), Error> = store.update(|tx| {
    ///     tx.table::<Counter>()?.upsert(Counter { id: 1, value: 0 });
    ///     Err(Error::aborted("changed my mind"))
    /// });
    /// assert!(failed.is_err());
    /// assert_eq!(std::fs::read_to_string(&path)?, "counters |id, value|\n    1, 42\n");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn update<R, E>(
        &self,
        change: impl FnOnce(&mut Transaction) -> Result<R, E>,
    ) -> Result<R, E>
    where
        E: From<Error>,
    {
        // The change set is dropped: its rows need not be listed (a commit inserting
        // every row of a large table would hold them all as cells, and an update would
        // copy each changed row's old cells).
        let stores = std::slice::from_ref(self);
        commit_with(stores, Listing::Unlisted, |txs| match txs.as_mut_slice() {
            [tx] => change(tx),
            _ => Err(Error::aborted("one transaction per store (internal)").into()),
        })
        .map(|(value, _)| value)
    }

    /// [`update`](Store::update), also returning what the commit changed: the
    /// transaction's [`ChangeSet`] as the pre-commit hooks left it (empty when nothing
    /// was written).
    ///
    /// ```
    /// use record_store::{Record, Store};
    /// # #[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
    /// # struct Todo { id: u32, status: String }
    /// # impl Record for Todo {
    /// #     const TABLE: &'static str = "todos";
    /// #     type Key = u32;
    /// #     fn key(&self) -> u32 { self.id }
    /// # }
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("todo.sdn");
    /// std::fs::write(&path, "todos |id, status|\n    1, open\n")?;
    /// let store = Store::open(&path)?;
    /// let committed = store.commit(|tx| {
    ///     tx.table::<Todo>()?.get_mut(&1).unwrap().status = "done".into();
    ///     tx.table::<Todo>()?.insert(Todo { id: 2, status: "open".into() })
    /// })?;
    /// let todos = committed.changes.table("todos").unwrap();
    /// assert_eq!(todos.updated[0].old.get("status").unwrap().as_str(), Some("open"));
    /// assert_eq!(todos.updated[0].new.get("status").unwrap().as_str(), Some("done"));
    /// assert_eq!(todos.inserted[0].key, "2");
    /// assert!(todos.removed.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn commit<R, E>(
        &self,
        change: impl FnOnce(&mut Transaction) -> Result<R, E>,
    ) -> Result<Committed<R>, E>
    where
        E: From<Error>,
    {
        let stores = std::slice::from_ref(self);
        let (value, mut changes) = commit(stores, |txs| match txs.as_mut_slice() {
            [tx] => change(tx),
            _ => Err(Error::aborted("one transaction per store (internal)").into()),
        })?;
        let changes = changes.pop().unwrap_or_else(|| ChangeSet::new(self.path()));
        Ok(Committed { value, changes })
    }
}

/// Runs one commit of `stores` (sorted by path, without duplicates) through the pipeline
/// described in the module docs; returns the closure's value and one change set per
/// store.
pub(crate) fn commit<R, E>(
    stores: &[Store],
    change: impl FnOnce(&mut Vec<Transaction>) -> Result<R, E>,
) -> Result<(R, Vec<ChangeSet>), E>
where
    E: From<Error>,
{
    commit_with(stores, Listing::Listed, change)
}

/// Whether a commit's change sets list the rows it inserts and updates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Listing {
    /// They do (the caller or a pre-commit hook sees them).
    Listed,
    /// Only where a pre-commit hook sees them: the caller drops the change sets. The
    /// inserted rows are encoded one at a time when the text is rendered, and the
    /// edits alone carry the updated rows' new cells.
    Unlisted,
}

/// [`commit`], with change sets that list the rows or not (see [`Listing`]).
pub(crate) fn commit_with<R, E>(
    stores: &[Store],
    listing: Listing,
    change: impl FnOnce(&mut Vec<Transaction>) -> Result<R, E>,
) -> Result<(R, Vec<ChangeSet>), E>
where
    E: From<Error>,
{
    // 1. Begin.
    let guards = lock_writers(stores)?;
    let (mut txs, taken): (Vec<Transaction>, Vec<Option<Taken>>) = stores
        .iter()
        .map(begin_file)
        .collect::<Result<Vec<_>>>()?
        .into_iter()
        .unzip();

    // 2. Run the closure.
    let value = match catch_unwind(AssertUnwindSafe(|| change(&mut txs))) {
        Ok(Ok(value)) => value,
        Ok(Err(err)) => {
            put_back_all(stores, txs, taken);
            return Err(err);
        }
        Err(panic) => {
            drop(guards);
            resume_unwind(panic)
        }
    };

    // 3. Collect the change sets; the hooks may veto or amend.
    let mut collected = Vec::with_capacity(txs.len());
    for (store, tx) in stores.iter().zip(&mut txs) {
        match collect_checked(store, tx, listing) {
            Ok(edits_and_changes) => collected.push(edits_and_changes),
            Err(err) => {
                put_back_all(stores, txs, taken);
                return Err(err.into());
            }
        }
    }

    // 4. Render.
    // A file committed alone may have new tables written straight into its replacement.
    let mut rendered: Vec<Option<Rendered>> = Vec::with_capacity(txs.len());
    for ((store, tx), collected) in stores.iter().zip(txs.iter_mut()).zip(&collected) {
        let stream = (stores.len() == 1).then(|| store.durability());
        rendered.push(match collected.edits.is_empty() && !tx.is_replaced() {
            true => None,
            false => Some(tx.render(&collected.edits, &collected.typed, stream)?),
        });
    }

    // 5. Write durably.
    write(stores, &mut rendered)?;

    // 6. Publish, unlock, then free what the commit replaced.
    let mut replaced = Vec::new();
    for (((store, tx), taken), doc) in stores.iter().zip(txs).zip(taken).zip(rendered) {
        match doc {
            Some(doc) => replaced.push(publish_committed(store, tx, doc)),
            None => put_back(store, tx, taken),
        }
    }
    drop(guards);
    drop(replaced);
    Ok((
        value,
        collected
            .into_iter()
            .map(|c| c.shown.unwrap_or(c.typed))
            .collect(),
    ))
}

/// What the "collect" step found in one transaction.
struct Collected {
    /// The row edits of the tables the transaction changed.
    edits: Vec<TableEdit>,
    /// The same changes (their inserted rows are what the editor appends).
    typed: ChangeSet,
    /// For a transaction whose text was replaced, what the hooks see and the commit
    /// returns instead of `typed`: the rows that differ from the file as read.
    shown: Option<ChangeSet>,
}

impl Collected {
    /// The change set the hooks see.
    fn changes(&self) -> &ChangeSet {
        self.shown.as_ref().unwrap_or(&self.typed)
    }
}

/// The cache ticket and key an owned version (see [`begin_file`]) was taken under, to
/// put it back under when its transaction commits nothing.
struct Taken {
    ticket: Ticket,
    key: CacheKey,
}

/// What a commit held of the versions it replaced. Dropping it frees their memory: work
/// worth doing after the writer locks are released.
struct Replaced {
    _stale: Option<(Ticket, CacheKey, Arc<Snapshot>)>,
    _retired: Option<crate::tx::Retired>,
    _unseeded: Option<Transaction>,
}

/// Takes the writer lock of every store, in path order, after finishing any interrupted
/// multi-file commit (retrying when a crash left a new one meanwhile).
fn lock_writers(stores: &[Store]) -> Result<Vec<LockGuard>> {
    match stores {
        [store] => Ok(vec![store.lock()?]),
        _ => crate::locks::lock_all(stores, || {
            crate::locks::lock_stores(stores, file_lock::Mode::Exclusive)
        }),
    }
}

/// The "collect" step for one file: its edits and change set, after the store's
/// pre-commit hooks saw (and perhaps amended) it.
fn collect_checked(store: &Store, tx: &mut Transaction, listing: Listing) -> Result<Collected> {
    // Rows are listed only where somebody sees them (the caller, a hook, or the diff of
    // a replaced text).
    let listed =
        listing == Listing::Listed || !store.pre_commit_hooks().is_empty() || tx.is_replaced();
    let collect = |tx: &Transaction| -> Result<Collected> {
        let (edits, typed) = tx.collect_with(listed)?;
        let shown = tx.shown_changes(&edits, &typed)?;
        Ok(Collected {
            edits,
            typed,
            shown,
        })
    };
    let mut collected = collect(tx)?;
    for hook in store.pre_commit_hooks() {
        if collected.changes().is_empty() {
            break;
        }
        hook(tx, collected.changes())?;
        collected = collect(tx)?;
    }
    Ok(collected)
}

/// The "write" step: replaces every changed file, all together.
fn write(stores: &[Store], rendered: &mut [Option<Rendered>]) -> Result<()> {
    let mut changed: Vec<(&Store, &mut Rendered)> = stores
        .iter()
        .zip(rendered)
        .filter_map(|(store, doc)| Some((store, doc.as_mut()?)))
        .collect();
    match changed.as_mut_slice() {
        [] => Ok(()),
        [(store, doc)] => {
            let write = |text: &str| {
                atomic_io::Options::new()
                    .durability(store.durability())
                    .write(store.path(), text.as_bytes())
            };
            let written = match std::mem::replace(*doc, Rendered::Written) {
                Rendered::Streamed(writer) => writer.commit(),
                Rendered::Document(document) => {
                    let written = write(document.as_str());
                    **doc = Rendered::Document(document);
                    written
                }
                Rendered::Text(text) => {
                    let written = write(&text);
                    **doc = Rendered::Text(text);
                    written
                }
                Rendered::Written => {
                    return Err(Error::aborted("a file written twice (internal)"));
                }
            };
            written.map(drop).map_err(|source| Error::Commit {
                path: store.path().to_path_buf(),
                source,
            })
        }
        _ => {
            // Only a file committed alone is rendered straight into its replacement.
            let mut files = Vec::with_capacity(changed.len());
            for (store, doc) in &changed {
                let text = doc
                    .text()
                    .ok_or_else(|| Error::aborted("a streamed file in a set commit (internal)"))?;
                files.push((store.path(), text.as_bytes()));
            }
            journal::commit(&files)
        }
    }
}

/// Caches `doc`, just committed, as the file's snapshot, so the next transaction (or
/// read) need not parse the file again, and offers it the tables the transaction
/// decoded. Returns what the transaction held of the replaced version, to drop once the
/// lock is released.
///
/// The entry is published *untrusted*: every later use compares the file's bytes with
/// `doc`'s text first (see [`crate::identity`]), so a foreign writer that replaced the
/// file after our rename is still noticed. Best effort: when the file cannot be looked
/// at, nothing is cached and the next use parses the file.
fn publish_committed(store: &Store, tx: Transaction, doc: Rendered) -> Replaced {
    let cache = store.cache();
    let stale = cache.take();
    let ticket = cache.ticket();
    let Ok(Some(identity)) = current_identity(store.path()) else {
        return Replaced {
            _stale: stale,
            _retired: None,
            _unseeded: Some(tx),
        };
    };
    store.note_seen();
    let key = CacheKey {
        identity: Some(identity),
        trusted: false,
    };
    let Some(snapshot) = doc.into_snapshot(store.path(), Some(identity)) else {
        // Written as it was rendered, never held whole: the next use reads the file.
        return Replaced {
            _stale: stale,
            _retired: None,
            _unseeded: Some(tx),
        };
    };
    cache.publish(ticket, key, Arc::new(Snapshot::clone(&snapshot)));
    Replaced {
        _stale: stale,
        _retired: Some(tx.seed(&snapshot)),
        _unseeded: None,
    }
}

/// Puts back every owned version (the transactions commit nothing).
fn put_back_all(stores: &[Store], txs: Vec<Transaction>, taken: Vec<Option<Taken>>) {
    for ((store, tx), taken) in stores.iter().zip(txs).zip(taken) {
        put_back(store, tx, taken);
    }
}

/// Caches again the version an owned transaction took out of the cache and did not
/// commit a change to (the file is as that version says).
fn put_back(store: &Store, tx: Transaction, taken: Option<Taken>) {
    if let Some(Taken { ticket, key }) = taken
        && let Some(snapshot) = tx.into_unchanged_snapshot()
    {
        store.cache().publish(ticket, key, Arc::new(snapshot));
    }
}

/// The parts of a cached snapshot that nothing else holds (no reader kept it), or the
/// snapshot back when something does or it kept no document to edit (one of text alone
/// gets a document of its text when `current`: it shows the file as it is).
fn take_over(cached: Arc<Snapshot>, current: bool) -> std::result::Result<Parts, Arc<Snapshot>> {
    Arc::try_unwrap(cached)?
        .into_parts(current)
        .map_err(Arc::new)
}

/// The "begin" step for one file, under its writer lock: reads the file for a
/// transaction that owns the version it edits, so it edits the document and takes the
/// decoded tables without copying them.
///
/// A cached snapshot that nothing else holds (no reader kept it) is taken out of the
/// cache and brought up to date with the file (`Document::update_text`: nothing to do
/// when it matches, only the changed row line read again when another writer changed one
/// row); else the transaction starts from the file's text, checked to parse but not
/// parsed into a value (see `Transaction::new`), and not cached. The commit publishes the new version
/// anyway, and a transaction that commits nothing puts back the version it read
/// (see `Taken`). Readers of this process that look meanwhile read the file themselves,
/// which is what a cache miss costs. A cached snapshot a reader holds is shared, not
/// taken.
fn begin_file(store: &Store) -> Result<(Transaction, Option<Taken>)> {
    let path = store.path();
    let cache = store.cache();
    let ticket = cache.ticket();
    // Taken before the read, so the file is compared with exactly this version as it is
    // read (see `read_file`), and put back if the read fails.
    let taken = cache.take();
    let known = taken.as_ref().and_then(|(_, key, _)| key.identity);
    let expected = taken.as_ref().map(|(_, _, cached)| cached.bytes());
    let read = read_settled(path, known, expected, store.settle_time());
    let Ok(Some(mut read)) = read else {
        // The read failed, or there is no file: the cache keeps what it had.
        if let Some((taken_ticket, cached_key, cached)) = taken {
            cache.publish(taken_ticket, cached_key, cached);
        }
        read?;
        store.check_not_vanished()?;
        // The empty text is the empty document.
        let empty = Transaction::new(path, String::new(), None);
        return Ok((empty, None));
    };
    store.note_seen();
    let key = read.key();
    let mut owned = None;
    if let Some((taken_ticket, cached_key, cached)) = taken {
        let shown = read.shows(&cached_key, &cached);
        // A version of text alone (read, or written without a document) is worth a
        // document only when it is the file's: the next transactions edit that.
        let current = cached.edit_document().is_none() && shown;
        match take_over(cached, current) {
            Ok(parts) => owned = Some(parts),
            Err(shared) => {
                cache.publish(taken_ticket, cached_key, Arc::clone(&shared));
                if shown {
                    let tx = Transaction::from_snapshot(path, Snapshot::clone(&shared));
                    return Ok((tx, None));
                }
                read.bytes = Some(read.take_bytes(shared.bytes()));
            }
        }
    }
    // The file is closed before the commit renames over it: a replaced file still held
    // open becomes an orphan inode that the kernel must record and free on the last
    // close (ext4 journals both), which costs more than the plain unlink the rename
    // does otherwise.
    let FileRead {
        bytes, identity, ..
    } = read;
    let Some(owned) = owned else {
        // `bytes` is `None` only when the taken version held them, and that is owned.
        let bytes =
            bytes.ok_or_else(|| Error::aborted("a file read without its bytes (internal)"))?;
        // Nothing to take over: the transaction starts from the text alone (see
        // `Transaction::new`), checked to parse now so a malformed file fails before
        // the closure runs.
        let text = text_of(path, bytes)?;
        crate::direct::check_parses(path, &text)?;
        let tx = Transaction::new(path, text, Some(identity));
        return Ok((tx, Some(Taken { ticket, key })));
    };
    let Parts {
        mut document,
        mut typed,
        ..
    } = owned;
    // The common case, the file as this process left it (no bytes: the read found it
    // equal to the taken version, whose text the document is), needs neither the UTF-8
    // check nor the document's own comparison. Bytes were kept only when they differ.
    let update = match bytes {
        None => TextUpdate::Unchanged,
        Some(bytes) => document
            .update_text(&text_of(path, bytes)?)
            .map_err(|err| Error::malformed(path, err))?,
    };
    match update {
        TextUpdate::Unchanged => {}
        TextUpdate::Row { table, row } => {
            // Record tables are root entries; a nested table is none of them.
            if let [name] = table.as_slice() {
                decoded::refresh_row(&mut typed, document.value(), name, row);
            }
        }
        _ => typed.clear(),
    }
    let parts = Parts {
        document,
        source: Some(identity),
        typed,
    };
    Ok((Transaction::owned(path, parts), Some(Taken { ticket, key })))
}
