//! What an edit must read back as, held without copying the whole document.

use crate::value::{Map, Value};

/// The root map an edit must produce: the current root with one top-level entry
/// replaced, added (at the end) or removed. Only that entry is held, so an edit of a
/// large file copies the entry it changes, not the file's whole value.
pub(crate) struct RootEdit {
    /// The top-level key the edit is under.
    pub(crate) key: String,
    /// Its new value; `None` when the edit removes it.
    pub(crate) entry: Option<Value>,
}

impl RootEdit {
    /// The edited value at `keys` (which start with this edit's key), through dicts.
    pub(crate) fn value_at(&self, keys: &[String]) -> Option<&Value> {
        let (first, rest) = keys.split_first()?;
        if *first != self.key {
            return None;
        }
        let mut current = self.entry.as_ref()?;
        for key in rest {
            current = current.as_dict()?.get(key)?;
        }
        Some(current)
    }

    /// True when `new` is `old` with this edit made, every value identical
    /// ([`Value::is_identical`]).
    pub(crate) fn matches(&self, old: &Map, new: &Map) -> bool {
        let mut new_entries = new.iter();
        let mut next_is = |key: &str, value: &Value| {
            new_entries
                .next()
                .is_some_and(|(k, v)| k == key && v.is_identical(value))
        };
        let mut seen = false;
        for (key, value) in old.iter() {
            if key == self.key {
                seen = true;
                if let Some(entry) = &self.entry
                    && !next_is(key, entry)
                {
                    return false;
                }
            } else if !next_is(key, value) {
                return false;
            }
        }
        if !seen
            && let Some(entry) = &self.entry
            && !next_is(&self.key, entry)
        {
            return false;
        }
        new_entries.next().is_none()
    }
}
