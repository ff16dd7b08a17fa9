//! What an edit must read back as, held without copying the whole document.

use std::hash::{DefaultHasher, Hasher};

use crate::value::{Map, ScalarKind, Value};

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

    /// What must stay as it is in `old`, the root before the edit: every other entry,
    /// in order, and where the edited entry sits.
    pub(crate) fn unchanged_part(&self, old: &Map) -> Unchanged {
        Unchanged {
            others: fingerprint_except(old, &self.key),
            position: old.position(&self.key),
        }
    }

    /// True when `new` is the old root (described by `unchanged`) with this edit made:
    /// the edited entry identical ([`Value::is_identical`]) to the intended one, in the
    /// same place (a new entry last), and every other entry the same, in order.
    pub(crate) fn matches(&self, unchanged: &Unchanged, new: &Map) -> bool {
        let position = new.position(&self.key);
        let entry_ok = match (&self.entry, position) {
            (None, None) => true,
            (Some(entry), Some(at)) => {
                let expected_at = unchanged.position.unwrap_or(new.len() - 1);
                at == expected_at
                    && new
                        .get_index(at)
                        .is_some_and(|(_, value)| value.is_identical(entry))
            }
            _ => false,
        };
        entry_ok && fingerprint_except(new, &self.key) == unchanged.others
    }
}

/// The part of a root an edit must not change, reduced to a 128-bit fingerprint so the
/// old value need not be kept while the edited text is read (for a large file, that
/// halves an edit's peak memory).
pub(crate) struct Unchanged {
    others: (u64, u64),
    position: Option<usize>,
}

/// A fingerprint of `map`'s entries other than `key`, in order: keys, kinds, and data
/// (floats by their bits, so `0.0` and `-0.0` differ).
fn fingerprint_except(map: &Map, key: &str) -> (u64, u64) {
    let mut f = Fingerprint::new();
    for (k, v) in map.iter().filter(|(k, _)| *k != key) {
        f.text(k);
        f.value(v);
    }
    (f.a.finish(), f.b.finish())
}

/// Two differently seeded hashers fed the same tokens: 128 bits.
struct Fingerprint {
    a: DefaultHasher,
    b: DefaultHasher,
}

impl Fingerprint {
    fn new() -> Self {
        let mut b = DefaultHasher::new();
        b.write_u64(0x9e37_79b9_7f4a_7c15);
        Fingerprint {
            a: DefaultHasher::new(),
            b,
        }
    }

    fn u64(&mut self, n: u64) {
        self.a.write_u64(n);
        self.b.write_u64(n);
    }

    fn text(&mut self, s: &str) {
        self.u64(s.len() as u64);
        self.a.write(s.as_bytes());
        self.b.write(s.as_bytes());
    }

    fn value(&mut self, value: &Value) {
        match value {
            Value::Scalar(s) => match s.kind() {
                ScalarKind::Null => self.u64(0),
                ScalarKind::Bool(b) => self.u64(1 + u64::from(*b)),
                ScalarKind::Int(i) => {
                    self.u64(3);
                    self.u64(*i as u64);
                }
                ScalarKind::Float(x) => {
                    self.u64(4);
                    self.u64(x.to_bits());
                }
                ScalarKind::String(t) => {
                    self.u64(5);
                    self.text(t);
                }
            },
            Value::Array(items) => {
                self.u64(6);
                self.u64(items.len() as u64);
                items.iter().for_each(|item| self.value(item));
            }
            Value::Dict(map) => {
                self.u64(7);
                self.u64(map.len() as u64);
                for (k, v) in map.iter() {
                    self.text(k);
                    self.value(v);
                }
            }
            Value::Table(table) => {
                self.u64(8);
                self.u64(table.columns.len() as u64);
                for column in &table.columns {
                    self.text(column.name.as_deref().unwrap_or("\u{0}"));
                    self.text(column.ty.map_or("", |t| t.name()));
                }
                self.u64(table.rows.len() as u64);
                for row in &table.rows {
                    self.u64(row.len() as u64);
                    row.iter().for_each(|cell| self.value(cell));
                }
            }
        }
    }
}
