//! A map that keeps the entries added after its last key in a vector.
//!
//! A table filled one record at a time in key order (every row of a new file, or rows
//! added after the last key) would otherwise grow a `BTreeMap` one entry at a time. Its
//! nodes end up a little over half full, and rebuilding them compact (see
//! [`crate::compact`]) allocates every node again, leaving holes that the records' own
//! small allocations then split: the heap grows well past the records' size. Entries
//! after the last key go into a vector instead, which costs what its entries cost and
//! grows by doubling (a large block is remapped, not copied, and its unused end is
//! never touched). An entry added anywhere else first moves the vector's entries into
//! the tree, so the vector only ever holds the run of entries added at the end.

use std::collections::{BTreeMap, btree_map};

/// A map in two parts: a tree, then a vector of the entries added after its last key.
pub(crate) struct AppendMap<K, V> {
    /// Every entry whose key comes before the first key of `tail`.
    tree: BTreeMap<K, V>,
    /// Entries in strictly ascending key order.
    tail: Vec<(K, V)>,
}

impl<K: Ord, V> AppendMap<K, V> {
    pub(crate) fn new(tree: BTreeMap<K, V>) -> Self {
        AppendMap {
            tree,
            tail: Vec::new(),
        }
    }

    /// Where `key` is or would go in `tail` (`Ok`: found), or `None` when it belongs in
    /// the tree.
    fn tail_position(&self, key: &K) -> Option<Result<usize, usize>> {
        let (first, _) = self.tail.first()?;
        (key >= first).then(|| self.tail.binary_search_by(|(k, _)| k.cmp(key)))
    }

    /// Whether an entry with `key`, not in the map, goes at the end of `tail`.
    fn appends(&self, key: &K) -> bool {
        match self.tail.last() {
            Some((last, _)) => key > last,
            None => self
                .tree
                .last_key_value()
                .is_none_or(|(last, _)| key > last),
        }
    }

    pub(crate) fn get(&self, key: &K) -> Option<&V> {
        match self.tail_position(key) {
            Some(Ok(at)) => Some(&self.tail[at].1),
            Some(Err(_)) => None,
            None => self.tree.get(key),
        }
    }

    pub(crate) fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        match self.tail_position(key) {
            Some(Ok(at)) => Some(&mut self.tail[at].1),
            Some(Err(_)) => None,
            None => self.tree.get_mut(key),
        }
    }

    pub(crate) fn contains_key(&self, key: &K) -> bool {
        self.get(key).is_some()
    }

    /// Adds an entry whose key is free; else gives the value back.
    pub(crate) fn insert_new(&mut self, key: K, value: V) -> Result<(), V> {
        if self.contains_key(&key) {
            return Err(value);
        }
        self.insert(key, value);
        Ok(())
    }

    /// Puts `value` under `key`; returns the value it replaced.
    pub(crate) fn insert(&mut self, key: K, value: V) -> Option<V> {
        match self.tail_position(&key) {
            Some(Ok(at)) => Some(std::mem::replace(&mut self.tail[at].1, value)),
            _ if self.appends(&key) => {
                self.tail.push((key, value));
                None
            }
            Some(Err(_)) => {
                self.fold_tail();
                self.tree.insert(key, value)
            }
            None => self.tree.insert(key, value),
        }
    }

    pub(crate) fn remove(&mut self, key: &K) -> Option<V> {
        match self.tail_position(key) {
            Some(Ok(at)) if at + 1 == self.tail.len() => self.tail.pop().map(|(_, value)| value),
            Some(Ok(_)) => {
                // Removing from the middle of a long vector, again and again, would move
                // its end each time; the tree removes in place.
                self.fold_tail();
                self.tree.remove(key)
            }
            Some(Err(_)) => None,
            None => self.tree.remove(key),
        }
    }

    /// Moves the entries of `tail` into the tree, built with full nodes: the standard
    /// library builds a map from sorted entries in one go (in the vector's own buffer,
    /// which the sorted `tail` already is), and `append` merges two maps the same way.
    fn fold_tail(&mut self) {
        if self.tail.is_empty() {
            return;
        }
        let mut folded = BTreeMap::from_iter(std::mem::take(&mut self.tail));
        self.tree.append(&mut folded);
    }

    pub(crate) fn len(&self) -> usize {
        self.tree.len() + self.tail.len()
    }

    /// How many entries the tree holds (the vector's are not in it).
    pub(crate) fn tree_len(&self) -> usize {
        self.tree.len()
    }

    /// The tree, to rebuild with full nodes (see [`crate::compact::rebuild`]).
    pub(crate) fn tree_mut(&mut self) -> &mut BTreeMap<K, V> {
        &mut self.tree
    }

    /// Every entry, in key order.
    pub(crate) fn iter(&self) -> Iter<'_, K, V> {
        Iter {
            tree: self.tree.iter(),
            tail: self.tail.iter(),
        }
    }

    /// The whole map as one tree.
    pub(crate) fn into_tree(mut self) -> BTreeMap<K, V> {
        self.fold_tail();
        self.tree
    }
}

/// The entries of an [`AppendMap`], in key order: the tree's, then the vector's.
pub(crate) struct Iter<'a, K, V> {
    tree: btree_map::Iter<'a, K, V>,
    tail: std::slice::Iter<'a, (K, V)>,
}

impl<'a, K, V> Iterator for Iter<'a, K, V> {
    type Item = (&'a K, &'a V);

    fn next(&mut self) -> Option<Self::Item> {
        self.tree
            .next()
            .or_else(|| self.tail.next().map(|(key, value)| (key, value)))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let len = self.tree.len() + self.tail.len();
        (len, Some(len))
    }
}

impl<K, V> DoubleEndedIterator for Iter<'_, K, V> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.tail
            .next_back()
            .map(|(key, value)| (key, value))
            .or_else(|| self.tree.next_back())
    }
}

impl<K, V> ExactSizeIterator for Iter<'_, K, V> {}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use proptest::prelude::*;

    use super::AppendMap;

    #[derive(Debug, Clone)]
    enum Op {
        InsertNew(u16),
        Insert(u16),
        Remove(u16),
        Get(u16),
        GetMut(u16),
    }

    fn op() -> impl Strategy<Value = Op> {
        // Mostly rising keys, so the vector takes runs of entries; any key now and then.
        prop_oneof![
            4 => (0..600u16).prop_map(Op::InsertNew),
            2 => (0..600u16).prop_map(Op::Insert),
            1 => (0..600u16).prop_map(Op::Remove),
            1 => (0..600u16).prop_map(Op::Get),
            1 => (0..600u16).prop_map(Op::GetMut),
        ]
    }

    proptest! {
        /// Every operation answers as a `BTreeMap` does, and the entries come out in
        /// the same order, from both ends.
        #[test]
        fn answers_as_a_btree_map_does(
            start in proptest::collection::btree_map(0..300u16, 0..9u32, 0..40),
            ops in proptest::collection::vec(op(), 0..400),
            rising_from in 0..600u16,
        ) {
            let mut model = start.clone();
            let mut map = AppendMap::new(start);
            let rising = (rising_from..rising_from + 200).map(Op::InsertNew);
            for (step, op) in rising.chain(ops).enumerate() {
                let value = step as u32;
                match op {
                    Op::InsertNew(key) => {
                        let expected = match model.contains_key(&key) {
                            true => Err(value),
                            false => Ok(()),
                        };
                        if expected.is_ok() {
                            model.insert(key, value);
                        }
                        prop_assert_eq!(map.insert_new(key, value), expected);
                    }
                    Op::Insert(key) => prop_assert_eq!(map.insert(key, value), model.insert(key, value)),
                    Op::Remove(key) => prop_assert_eq!(map.remove(&key), model.remove(&key)),
                    Op::Get(key) => {
                        prop_assert_eq!(map.get(&key), model.get(&key));
                        prop_assert_eq!(map.contains_key(&key), model.contains_key(&key));
                    }
                    Op::GetMut(key) => {
                        if let Some(found) = map.get_mut(&key) {
                            *found += 1;
                        }
                        if let Some(found) = model.get_mut(&key) {
                            *found += 1;
                        }
                    }
                }
                prop_assert_eq!(map.len(), model.len());
            }
            prop_assert!(map.iter().eq(model.iter()));
            prop_assert!(map.iter().rev().eq(model.iter().rev()));
            prop_assert_eq!(map.iter().len(), model.len());
            prop_assert_eq!(map.into_tree(), model);
        }
    }

    /// Keys added in rising order stay out of the tree; one added before them moves
    /// them in.
    #[test]
    fn a_rising_run_stays_in_the_vector_until_a_key_lands_before_its_end() {
        let mut map = AppendMap::new(BTreeMap::from([(0u32, ())]));
        for key in 1..=1000 {
            assert_eq!(map.insert_new(key, ()), Ok(()));
        }
        assert_eq!((map.tree_len(), map.len()), (1, 1001));
        assert_eq!(map.insert_new(500, ()), Err(()));
        assert_eq!(map.remove(&1000), Some(()));
        assert_eq!(map.tree_len(), 1);
        assert_eq!(map.remove(&1001), None);
        assert_eq!(map.insert_new(1001, ()), Ok(()));
        assert_eq!(map.tree_len(), 1);
        assert_eq!(map.remove(&500), Some(()));
        assert_eq!((map.tree_len(), map.len()), (1000, 1000));
    }
}
