//! The ordered map every dict and document is made of.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;

use super::{NULL, Value};

/// An ordered map from string keys to values; insertion order is kept.
///
/// Lookups are hashed; removal is O(n) (it keeps order).
///
/// ```
/// use sdn_codec::Map;
/// let mut m = Map::new();
/// m.insert("b", 1);
/// m.insert("a", 2);
/// assert_eq!(m.keys().collect::<Vec<_>>(), ["b", "a"]);
/// assert_eq!(m.insert("b", 3).and_then(|old| old.as_i64()), Some(1)); // keeps position
/// assert_eq!(m.keys().collect::<Vec<_>>(), ["b", "a"]);
/// ```
#[derive(Clone, Default)]
pub struct Map {
    entries: Vec<(Key, Value)>,
    /// Key → position, built only once the map has more than [`SMALL_MAP`] entries:
    /// below that a scan of the keys is as fast and costs no memory (most dicts are
    /// small, and a boxed index keeps `Map`, hence every [`Value`], small).
    #[allow(
        clippy::box_collection,
        reason = "boxed, the absent index costs 8 bytes in every map rather than 48"
    )]
    index: Option<Box<HashMap<Key, usize>>>,
}

/// A key as stored: a struct's field names are `&'static str`, so a serialized record's
/// row borrows them rather than copying each name into a new string (a row is encoded
/// on every change of its record).
type Key = Cow<'static, str>;

/// The most entries a [`Map`] looks up by scanning its keys. A record's row is such a
/// map (one entry per column), built and read a few times per change: an index would
/// copy every column name into a hash map first, which costs more than scanning a
/// couple of dozen short keys.
pub(super) const SMALL_MAP: usize = 24;

impl Map {
    /// An empty map.
    pub fn new() -> Self {
        Map::default()
    }

    /// An empty map with room for `n` entries.
    pub fn with_capacity(n: usize) -> Self {
        Map {
            entries: Vec::with_capacity(n),
            index: None,
        }
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when there are no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The value for `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.position(key).map(|i| &self.entries[i].1)
    }

    /// The value for `key`, mutably.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
        let i = self.position(key)?;
        Some(&mut self.entries[i].1)
    }

    /// True when `key` is present.
    pub fn contains_key(&self, key: &str) -> bool {
        self.position(key).is_some()
    }

    /// Position of `key` in insertion order.
    pub fn position(&self, key: &str) -> Option<usize> {
        match &self.index {
            Some(index) => index.get(key).copied(),
            None => self.entries.iter().position(|(k, _)| k == key),
        }
    }

    /// The entry at `position`.
    pub fn get_index(&self, position: usize) -> Option<(&str, &Value)> {
        self.entries.get(position).map(|(k, v)| (k.as_ref(), v))
    }

    /// Inserts or replaces. A replaced entry keeps its position; the old value is returned.
    pub fn insert(&mut self, key: impl Into<String>, value: impl Into<Value>) -> Option<Value> {
        let key = key.into();
        let value = value.into();
        match self.position(&key) {
            Some(i) => Some(std::mem::replace(&mut self.entries[i].1, value)),
            None => {
                self.push(Cow::Owned(key), value);
                None
            }
        }
    }

    /// Adds an entry whose key is not there yet, looking for it once; gives the entry
    /// back when the key is taken.
    pub(crate) fn insert_new(&mut self, key: Key, value: Value) -> Result<(), (Key, Value)> {
        if self.contains_key(&key) {
            return Err((key, value));
        }
        self.push(key, value);
        Ok(())
    }

    /// Appends an entry whose key is not in the map.
    fn push(&mut self, key: Key, value: Value) {
        if let Some(index) = &mut self.index {
            index.insert(key.clone(), self.entries.len());
        }
        self.entries.push((key, value));
        self.index_if_large();
    }

    /// Inserts at `position` (clamped to the length), or replaces in place when the key
    /// exists (then `position` is ignored and the old value returned).
    pub fn insert_at(
        &mut self,
        position: usize,
        key: impl Into<String>,
        value: impl Into<Value>,
    ) -> Option<Value> {
        let key = key.into();
        if self.contains_key(&key) {
            return self.insert(key, value);
        }
        let position = position.min(self.entries.len());
        self.entries
            .insert(position, (Cow::Owned(key), value.into()));
        self.reindex_from(position);
        self.index_if_large();
        None
    }

    /// Removes `key`, keeping the order of the rest.
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        let i = self.position(key)?;
        let (_, value) = self.entries.remove(i);
        if let Some(index) = &mut self.index {
            index.remove(key);
        }
        self.reindex_from(i);
        Some(value)
    }

    /// Builds the index once the map outgrows scanning.
    fn index_if_large(&mut self) {
        if self.index.is_none() && self.entries.len() > SMALL_MAP {
            let index = self
                .entries
                .iter()
                .enumerate()
                .map(|(i, (k, _))| (k.clone(), i))
                .collect();
            self.index = Some(Box::new(index));
        }
    }

    /// Updates the index for the entries from `start` on (after they moved).
    fn reindex_from(&mut self, start: usize) {
        let Some(index) = &mut self.index else {
            return;
        };
        for (i, (k, _)) in self.entries.iter().enumerate().skip(start) {
            if let Some(slot) = index.get_mut(k) {
                *slot = i;
            } else {
                index.insert(k.clone(), i);
            }
        }
    }

    /// Entries in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, &Value)> + DoubleEndedIterator {
        self.entries.iter().map(|(k, v)| (k.as_ref(), v))
    }

    /// Entries in order, values mutable.
    pub fn iter_mut(
        &mut self,
    ) -> impl ExactSizeIterator<Item = (&str, &mut Value)> + DoubleEndedIterator {
        self.entries.iter_mut().map(|(k, v)| (&**k, v))
    }

    /// Keys in order.
    pub fn keys(&self) -> impl ExactSizeIterator<Item = &str> + DoubleEndedIterator {
        self.entries.iter().map(|(k, _)| k.as_ref())
    }

    /// Values in order.
    pub fn values(&self) -> impl ExactSizeIterator<Item = &Value> + DoubleEndedIterator {
        self.entries.iter().map(|(_, v)| v)
    }

    /// Values in order, mutably.
    pub fn values_mut(
        &mut self,
    ) -> impl ExactSizeIterator<Item = &mut Value> + DoubleEndedIterator {
        self.entries.iter_mut().map(|(_, v)| v)
    }
}

impl PartialEq for Map {
    fn eq(&self, other: &Self) -> bool {
        self.entries == other.entries
    }
}

impl fmt::Debug for Map {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl std::ops::Index<&str> for Map {
    type Output = Value;
    fn index(&self, key: &str) -> &Value {
        self.get(key).unwrap_or(&NULL)
    }
}

impl<K: Into<String>, V: Into<Value>> FromIterator<(K, V)> for Map {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut m = Map::new();
        m.extend(iter);
        m
    }
}

impl<K: Into<String>, V: Into<Value>> Extend<(K, V)> for Map {
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, iter: I) {
        for (k, v) in iter {
            self.insert(k, v);
        }
    }
}

impl IntoIterator for Map {
    type Item = (String, Value);
    type IntoIter =
        std::iter::Map<std::vec::IntoIter<(Key, Value)>, fn((Key, Value)) -> (String, Value)>;
    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter().map(|(k, v)| (k.into_owned(), v))
    }
}

impl<'a> IntoIterator for &'a Map {
    type Item = (&'a str, &'a Value);
    type IntoIter = std::iter::Map<
        std::slice::Iter<'a, (Key, Value)>,
        fn(&'a (Key, Value)) -> (&'a str, &'a Value),
    >;
    fn into_iter(self) -> Self::IntoIter {
        self.entries.iter().map(|(k, v)| (k.as_ref(), v))
    }
}
