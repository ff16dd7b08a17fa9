//! A table's records inside a transaction, by key: all decoded, or each decoded from the
//! file's text when first asked for (see [`crate::lazy`]).

use std::collections::BTreeMap;
use std::collections::btree_map;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::append_map::{self, AppendMap};
use crate::compact;
use crate::lazy::RowLines;
use crate::record::Record;

/// A table's records by key.
pub(crate) enum Rows<T: Record> {
    /// Every record, decoded.
    Decoded(AppendMap<T::Key, T>),
    /// Every key; records decoded when asked for.
    Lazy(Lazy<T>),
}

/// Records decoded when asked for (see [`crate::lazy`]).
pub(crate) struct Lazy<T: Record> {
    path: PathBuf,
    slots: BTreeMap<T::Key, Slot<T>>,
    lines: RowLines,
    /// A record could not be decoded again (see [`crate::lazy`]); the commit fails.
    failed: AtomicBool,
}

/// One key's record, and the row to decode it from until it is.
pub(crate) struct Slot<T> {
    /// The row of the file the record reads from; not read once `record` is set (so a
    /// record added by the transaction has any).
    row: usize,
    record: OnceLock<Box<T>>,
}

impl<T> Slot<T> {
    fn filled(record: T) -> Self {
        Slot {
            row: usize::MAX,
            record: OnceLock::from(Box::new(record)),
        }
    }

    fn get(&self) -> Option<&T> {
        self.record.get().map(|record| &**record)
    }
}

impl<T: Record> Rows<T> {
    /// The records of the rows `keys` lists (key → row), decoded from `lines` when
    /// asked for.
    pub(crate) fn lazy(path: &Path, keys: &BTreeMap<T::Key, usize>, lines: RowLines) -> Self {
        let slots = keys
            .iter()
            .map(|(key, &row)| {
                let record = OnceLock::new();
                (key.clone(), Slot { row, record })
            })
            .collect();
        Rows::Lazy(Lazy {
            path: path.to_path_buf(),
            slots,
            lines,
            failed: AtomicBool::new(false),
        })
    }

    pub(crate) fn get(&self, key: &T::Key) -> Option<&T> {
        match self {
            Rows::Decoded(records) => records.get(key),
            Rows::Lazy(lazy) => lazy.get(key),
        }
    }

    pub(crate) fn get_mut(&mut self, key: &T::Key) -> Option<&mut T> {
        match self {
            Rows::Decoded(records) => records.get_mut(key),
            Rows::Lazy(lazy) => {
                lazy.get(key)?;
                let record = lazy.slots.get_mut(key)?.record.get_mut()?;
                Some(&mut **record)
            }
        }
    }

    pub(crate) fn contains_key(&self, key: &T::Key) -> bool {
        match self {
            Rows::Decoded(records) => records.contains_key(key),
            Rows::Lazy(lazy) => lazy.slots.contains_key(key),
        }
    }

    /// Adds `record` under `key`, which must be free; else gives the record back.
    pub(crate) fn insert_new(&mut self, key: T::Key, record: T) -> Result<(), T> {
        match self {
            Rows::Decoded(records) => records.insert_new(key, record),
            Rows::Lazy(lazy) => match lazy.slots.entry(key) {
                btree_map::Entry::Occupied(_) => Err(record),
                btree_map::Entry::Vacant(slot) => {
                    slot.insert(Slot::filled(record));
                    Ok(())
                }
            },
        }
    }

    /// Puts `record` under `key`; returns the record it replaced.
    pub(crate) fn insert(&mut self, key: T::Key, record: T) -> Option<T> {
        match self {
            Rows::Decoded(records) => records.insert(key, record),
            Rows::Lazy(lazy) => {
                let replaced = lazy.slots.insert(key.clone(), Slot::filled(record))?;
                lazy.take(&key, replaced)
            }
        }
    }

    pub(crate) fn remove(&mut self, key: &T::Key) -> Option<T> {
        match self {
            Rows::Decoded(records) => records.remove(key),
            Rows::Lazy(lazy) => {
                let removed = lazy.slots.remove(key)?;
                lazy.take(key, removed)
            }
        }
    }

    /// Every record, in key order (all decoded first).
    pub(crate) fn values(&self) -> Values<'_, T> {
        match self {
            Rows::Decoded(records) => Values::Decoded(records.iter()),
            Rows::Lazy(lazy) => {
                lazy.decode_rest();
                Values::Lazy(lazy.slots.values())
            }
        }
    }

    /// Every key with its record, in key order (all decoded first).
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&T::Key, &T)> {
        let (decoded, lazy) = match self {
            Rows::Decoded(records) => (Some(records.iter()), None),
            Rows::Lazy(lazy) => {
                lazy.decode_rest();
                let slots = lazy.slots.iter();
                (
                    None,
                    Some(slots.filter_map(|(key, slot)| Some((key, slot.get()?)))),
                )
            }
        };
        decoded
            .into_iter()
            .flatten()
            .chain(lazy.into_iter().flatten())
    }

    pub(crate) fn keys(&self) -> Keys<'_, T> {
        match self {
            Rows::Decoded(records) => Keys::Decoded(records.iter()),
            Rows::Lazy(lazy) => Keys::Lazy(lazy.slots.keys()),
        }
    }

    pub(crate) fn len(&self) -> usize {
        match self {
            Rows::Decoded(records) => records.len(),
            Rows::Lazy(lazy) => lazy.slots.len(),
        }
    }

    /// Decodes every record not decoded yet, all at once (cheaper than one by one).
    pub(crate) fn decode_rest(&self) {
        if let Rows::Lazy(lazy) = self {
            lazy.decode_rest();
        }
    }

    /// How many records the table's tree holds: all but those a decoded table keeps
    /// in its vector of records added after its last key (see [`crate::append_map`]).
    pub(crate) fn tree_len(&self) -> usize {
        match self {
            Rows::Decoded(records) => records.tree_len(),
            Rows::Lazy(lazy) => lazy.slots.len(),
        }
    }

    /// Rebuilds the tree with full nodes (see [`compact::rebuild`]).
    pub(crate) fn rebuild_compact(&mut self) {
        match self {
            Rows::Decoded(records) => compact::rebuild(records.tree_mut()),
            Rows::Lazy(lazy) => compact::rebuild(&mut lazy.slots),
        }
    }

    /// Whether a record could not be decoded again (see [`crate::lazy`]): the table is
    /// not what the file says, and must not be committed.
    pub(crate) fn failed(&self) -> bool {
        match self {
            Rows::Decoded(_) => false,
            Rows::Lazy(lazy) => lazy.failed.load(Ordering::Relaxed),
        }
    }

    /// Whether records are decoded when asked for, from text this table holds.
    pub(crate) fn is_lazy(&self) -> bool {
        matches!(self, Rows::Lazy(_))
    }

    /// The records, when all are decoded in one map.
    pub(crate) fn into_decoded(self) -> Option<BTreeMap<T::Key, T>> {
        match self {
            Rows::Decoded(records) => Some(records.into_tree()),
            Rows::Lazy(_) => None,
        }
    }
}

impl<T: Record> Lazy<T> {
    fn get(&self, key: &T::Key) -> Option<&T> {
        let slot = self.slots.get(key)?;
        if slot.record.get().is_none()
            && let Some(record) = self.decode(key, slot.row)
        {
            // Set by another thread meanwhile (a shared `&Table`), it is the same record.
            let _ = slot.record.set(Box::new(record));
        }
        slot.get()
    }

    /// The record of `slot`, taken out of the table.
    fn take(&self, key: &T::Key, slot: Slot<T>) -> Option<T> {
        match slot.record.into_inner() {
            Some(record) => Some(*record),
            None => self.decode(key, slot.row),
        }
    }

    /// The record `key` of row `row`, read from the row's line below its header, else
    /// from the whole text; `None` (and the table marked failed) when neither gives it.
    fn decode(&self, key: &T::Key, row: usize) -> Option<T> {
        let record = self
            .lines
            .decode::<T>(&self.path, row)
            .filter(|record| record.key() == *key)
            .or_else(|| self.lines.decode_all::<T>(&self.path)?.remove(key));
        if record.is_none() {
            self.failed.store(true, Ordering::Relaxed);
        }
        record
    }

    /// Decodes, from the whole text, every record not decoded yet.
    fn decode_rest(&self) {
        if self.slots.values().all(|slot| slot.record.get().is_some()) {
            return;
        }
        let Some(mut all) = self.lines.decode_all::<T>(&self.path) else {
            self.failed.store(true, Ordering::Relaxed);
            return;
        };
        for (key, slot) in &self.slots {
            if slot.record.get().is_none() {
                match all.remove(key) {
                    Some(record) => {
                        let _ = slot.record.set(Box::new(record));
                    }
                    None => self.failed.store(true, Ordering::Relaxed),
                }
            }
        }
    }
}

/// The records of [`Rows::values`], in key order. Exact in length unless the table
/// [`failed`](Rows::failed) (a record that could not be decoded is skipped).
pub(crate) enum Values<'a, T: Record> {
    Decoded(append_map::Iter<'a, T::Key, T>),
    Lazy(btree_map::Values<'a, T::Key, Slot<T>>),
}

impl<'a, T: Record> Iterator for Values<'a, T> {
    type Item = &'a T;

    fn next(&mut self) -> Option<&'a T> {
        match self {
            Values::Decoded(values) => values.next().map(|(_, value)| value),
            Values::Lazy(slots) => slots.find_map(Slot::get),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match self {
            Values::Decoded(values) => values.size_hint(),
            Values::Lazy(slots) => slots.size_hint(),
        }
    }
}

impl<T: Record> DoubleEndedIterator for Values<'_, T> {
    fn next_back(&mut self) -> Option<Self::Item> {
        match self {
            Values::Decoded(values) => values.next_back().map(|(_, value)| value),
            Values::Lazy(slots) => slots.rev().find_map(Slot::get),
        }
    }
}

impl<T: Record> ExactSizeIterator for Values<'_, T> {}

/// The keys of [`Rows::keys`], in order.
pub(crate) enum Keys<'a, T: Record> {
    Decoded(append_map::Iter<'a, T::Key, T>),
    Lazy(btree_map::Keys<'a, T::Key, Slot<T>>),
}

impl<'a, T: Record> Iterator for Keys<'a, T> {
    type Item = &'a T::Key;

    fn next(&mut self) -> Option<&'a T::Key> {
        match self {
            Keys::Decoded(keys) => keys.next().map(|(key, _)| key),
            Keys::Lazy(keys) => keys.next(),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match self {
            Keys::Decoded(keys) => keys.size_hint(),
            Keys::Lazy(keys) => keys.size_hint(),
        }
    }
}

impl<T: Record> DoubleEndedIterator for Keys<'_, T> {
    fn next_back(&mut self) -> Option<Self::Item> {
        match self {
            Keys::Decoded(keys) => keys.next_back().map(|(key, _)| key),
            Keys::Lazy(keys) => keys.next_back(),
        }
    }
}

impl<T: Record> ExactSizeIterator for Keys<'_, T> {}
