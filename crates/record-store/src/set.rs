//! [`StoreSet`]: transactions over several files that commit all together or not at all.

use std::path::Path;

use file_lock::Mode;

use crate::changes::ChangeSet;
use crate::commit::{self, Committed};
use crate::error::{Error, Result};
use crate::file_read::current_identity;
use crate::journal;
use crate::locks::{lock_all, lock_stores, recover_pending};
use crate::paths::resolve;
use crate::snapshot::Snapshot;
use crate::store::Store;
use crate::tx::Transaction;

/// Several store files changed together: after any crash, a transaction's changes are in
/// every file or in none (see [`journal`](crate::journal) for the protocol).
///
/// ```
/// use record_store::{Record, StoreSet};
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Debug, Clone, Serialize, Deserialize)]
/// struct Account { name: String, balance: i64 }
/// impl Record for Account {
///     const TABLE: &'static str = "accounts";
///     type Key = String;
///     fn key(&self) -> String { self.name.clone() }
/// }
///
/// let dir = tempfile::tempdir()?;
/// let (a, b) = (dir.path().join("a.sdn"), dir.path().join("b.sdn"));
/// let set = StoreSet::open([&a, &b])?;
/// set.update(|tx| {
///     tx.file(&a)?.table::<Account>()?.upsert(Account { name: "alice".into(), balance: -5 });
///     tx.file(&b)?.table::<Account>()?.upsert(Account { name: "bob".into(), balance: 5 });
///     Ok::<_, record_store::Error>(())
/// })?;
/// let snapshots = set.read()?;
/// assert_eq!(snapshots[0].get::<Account>(&"alice".to_string())?.unwrap().balance, -5);
/// assert_eq!(snapshots[1].get::<Account>(&"bob".to_string())?.unwrap().balance, 5);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct StoreSet {
    /// Sorted by path, without duplicates: the lock order.
    stores: Vec<Store>,
}

/// The files of a [`StoreSet`] inside one transaction.
#[derive(Debug)]
pub struct SetTransaction {
    files: Vec<Transaction>,
}

impl SetTransaction {
    /// The transaction on the member file at `path` (as given to [`StoreSet::open`], or
    /// any spelling of the same file).
    pub fn file(&mut self, path: impl AsRef<Path>) -> Result<&mut Transaction> {
        let wanted = resolve(path.as_ref())?;
        self.files
            .iter_mut()
            .find(|tx| tx.path() == wanted)
            .ok_or(Error::NotInSet { path: wanted })
    }

    /// All member transactions, in path order.
    pub fn files(&mut self) -> &mut [Transaction] {
        &mut self.files
    }
}

impl StoreSet {
    /// Opens the files at `paths` as one set (each as [`Store::open`] would).
    pub fn open<P: AsRef<Path>>(paths: impl IntoIterator<Item = P>) -> Result<StoreSet> {
        let stores = paths
            .into_iter()
            .map(|path| Store::open(path.as_ref()))
            .collect::<Result<Vec<_>>>()?;
        Ok(StoreSet::from_stores(stores))
    }

    /// A set of the given store handles, keeping their configuration (lock timeout,
    /// durability, pre-commit hooks): each member's hooks see its change set in
    /// [`update`](StoreSet::update) and [`commit`](StoreSet::commit). Two handles of one
    /// file count once (the first is kept).
    pub fn from_stores(stores: impl IntoIterator<Item = Store>) -> StoreSet {
        let mut stores: Vec<Store> = stores.into_iter().collect();
        stores.sort_by(|a, b| a.path().cmp(b.path()));
        stores.dedup_by(|a, b| a.path() == b.path());
        StoreSet { stores }
    }

    /// The member stores, in path order.
    pub fn stores(&self) -> &[Store] {
        &self.stores
    }

    /// The member store for `path`.
    pub fn store(&self, path: impl AsRef<Path>) -> Option<&Store> {
        let wanted = resolve(path.as_ref()).ok()?;
        self.stores.iter().find(|store| store.path() == wanted)
    }

    /// One snapshot per member (in path order), consistent **across** the files: never
    /// a state where a multi-file commit is applied to some members and not others.
    ///
    /// Lock-free in the common case: read every member, then check that no commit was
    /// in flight (no side files) and that no member was replaced meanwhile (each file is
    /// held open until then, so an unchanged identity means the same file); retry
    /// otherwise. After repeated interference it falls back to shared locks on every
    /// member, so it cannot starve. Crash leftovers are recovered first.
    pub fn read(&self) -> Result<Vec<Snapshot>> {
        const OPTIMISTIC_ATTEMPTS: u32 = 64;
        for attempt in 0..OPTIMISTIC_ATTEMPTS {
            if self.any_pending() {
                if attempt < OPTIMISTIC_ATTEMPTS / 2 {
                    // Most likely a live commit: it finishes within milliseconds.
                    std::thread::sleep(std::time::Duration::from_micros(500));
                } else {
                    // Persistent: a crash left it; recovery takes the locks.
                    self.recover_pending()?;
                }
                continue;
            }
            // Each file stays open until the check below, so an unchanged identity
            // cannot be a reused inode number: it is the very file the snapshot shows.
            let (snapshots, _pins): (Vec<Snapshot>, Vec<_>) = self
                .stores
                .iter()
                .map(|store| store.read_pinned(true))
                .collect::<Result<Vec<_>>>()?
                .into_iter()
                .unzip();
            if self.any_pending() {
                continue;
            }
            let mut unchanged = true;
            for (store, snapshot) in self.stores.iter().zip(&snapshots) {
                unchanged &= current_identity(store.path())? == snapshot.identity();
            }
            if unchanged {
                return Ok(snapshots);
            }
        }
        self.read_locked()
    }

    fn any_pending(&self) -> bool {
        self.stores
            .iter()
            .any(|store| journal::has_pending(store.path()))
    }

    fn recover_pending(&self) -> Result<()> {
        recover_pending(&self.stores)
    }

    /// [`read`](StoreSet::read) under shared locks on every member.
    fn read_locked(&self) -> Result<Vec<Snapshot>> {
        let _guards = lock_all(&self.stores, || lock_stores(&self.stores, Mode::Shared))?;
        self.stores.iter().map(Store::read).collect()
    }

    /// Runs `change` over every member under all their writer locks, then commits every
    /// changed file together: a single changed file is replaced atomically; several go
    /// through the commit journal. Errors and panics write nothing, as in
    /// [`Store::update`], with one exception: an [`Error::Journal`] for which
    /// [`Error::is_committed`] is true passed the commit point, and the next open of any
    /// member completes it.
    pub fn update<R, E>(
        &self,
        change: impl FnOnce(&mut SetTransaction) -> Result<R, E>,
    ) -> Result<R, E>
    where
        E: From<Error>,
    {
        self.commit(change).map(|committed| committed.value)
    }

    /// [`update`](StoreSet::update), also returning what the commit changed: one
    /// [`ChangeSet`] per member, in path order (empty for a member it did not change).
    /// Each member's pre-commit hooks ([`Store::with_pre_commit`]) see its change set
    /// before anything is written.
    pub fn commit<R, E>(
        &self,
        change: impl FnOnce(&mut SetTransaction) -> Result<R, E>,
    ) -> Result<Committed<R, Vec<ChangeSet>>, E>
    where
        E: From<Error>,
    {
        let (value, changes) = commit::commit(&self.stores, |txs| {
            let mut set = SetTransaction {
                files: std::mem::take(txs),
            };
            let value = change(&mut set);
            *txs = set.files;
            value
        })?;
        Ok(Committed { value, changes })
    }
}
