//! Maps built one entry at a time without half-empty nodes.
//!
//! A `BTreeMap` filled in key order (how a file's rows usually come) splits every full
//! node in two and never fills the left half again: its nodes end up a little over half
//! full, so a decoded table of large records costs almost twice its records' size. Built
//! from sorted entries in one go, the standard library fills its nodes, but only from a
//! `Vec` of all the entries, which it holds until the map is built: twice the size again
//! at the peak. [`CompactMap`] keeps the peak and the result near the entries' own size:
//! entries go into a small map, and full small maps are merged into compact maps of
//! doubling size (`BTreeMap::append` builds its result from two sorted iterators,
//! freeing the merged maps' nodes as it goes), so every entry moves about
//! `log2(n / CHUNK)` times.

use std::collections::BTreeMap;

/// How many entries the newest, not yet compacted map holds at most: its half-empty
/// nodes cost at most that many entries' worth. Small, because that slack does not
/// shrink with the file: at 1,024 it was a quarter of a 1,500-record table's peak,
/// and a smaller chunk adds only a couple of moves per entry (no measurable time at
/// 150,000 records).
const CHUNK: usize = 256;

/// A map under construction; see the module documentation.
pub(crate) struct CompactMap<K, V> {
    /// Compacted maps, each more than twice the size of the next.
    levels: Vec<BTreeMap<K, V>>,
    /// The newest entries.
    pending: BTreeMap<K, V>,
}

impl<K: Ord, V> CompactMap<K, V> {
    pub(crate) fn new() -> Self {
        CompactMap {
            levels: Vec::new(),
            pending: BTreeMap::new(),
        }
    }

    /// The value of `key`, wherever it is. A level is searched only when `key` lies in
    /// its key range: entries mostly come in key order, so a new key lies in none.
    pub(crate) fn get(&self, key: &K) -> Option<&V> {
        let within = |level: &BTreeMap<K, V>| {
            level.last_key_value().is_some_and(|(last, _)| key <= last)
                && level
                    .first_key_value()
                    .is_some_and(|(first, _)| key >= first)
        };
        self.pending.get(key).or_else(|| {
            self.levels
                .iter()
                .filter(|level| within(level))
                .find_map(|level| level.get(key))
        })
    }

    /// Adds an entry whose key is not in the map yet (see [`CompactMap::get`]); an entry
    /// with a key already there replaces it only if that one is still pending, so check
    /// first.
    pub(crate) fn insert_new(&mut self, key: K, value: V) {
        self.pending.insert(key, value);
        if self.pending.len() >= CHUNK {
            let mut carry = std::mem::take(&mut self.pending);
            while let Some(mut level) = self.levels.pop_if(|level| level.len() <= 2 * carry.len()) {
                level.append(&mut carry);
                carry = level;
            }
            self.levels.push(carry);
        }
    }

    /// The finished map.
    pub(crate) fn finish(self) -> BTreeMap<K, V> {
        let mut merged = self.pending;
        for mut level in self.levels.into_iter().rev() {
            if !merged.is_empty() {
                level.append(&mut merged);
            }
            merged = level;
        }
        merged
    }
}

/// The smallest map [`rebuild`] is worth calling on.
pub(crate) const REBUILD_FROM: usize = CHUNK;

/// Rebuilds `map` with full nodes (from two sorted iterators, the way
/// [`CompactMap`] merges, freeing the old nodes as it goes).
pub(crate) fn rebuild<K: Ord, V>(map: &mut BTreeMap<K, V>) {
    let Some(mut rebuilt) = map.pop_first().map(|first| BTreeMap::from([first])) else {
        return;
    };
    rebuilt.append(map);
    *map = rebuilt;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_in_any_order_make_the_same_map() {
        for n in [0, 1, CHUNK - 1, CHUNK, 5 * CHUNK + 7] {
            let keys: Vec<usize> = (0..n).map(|i| (i * 7919) % n.max(1)).collect();
            let mut built = CompactMap::new();
            for &key in &keys {
                assert!(built.get(&key).is_none());
                built.insert_new(key, key * 2);
                assert_eq!(built.get(&key), Some(&(key * 2)));
            }
            let expected: BTreeMap<usize, usize> = keys.iter().map(|&k| (k, k * 2)).collect();
            assert_eq!(built.finish(), expected);
            let mut grown: BTreeMap<usize, usize> = BTreeMap::new();
            for &key in &keys {
                grown.insert(key, key * 2);
                if key % 97 == 0 {
                    rebuild(&mut grown);
                }
            }
            rebuild(&mut grown);
            assert!(grown.iter().eq(expected.iter()));
        }
    }
}
