//! Finding, setting and removing entries of the value tree by key path, through dicts
//! only, with the errors `Document` reports.

use super::path::display_path;
use crate::error::{Error, ErrorKind};
use crate::value::{Map, Table, Value};

pub(super) fn empty_map() -> &'static Map {
    static EMPTY: std::sync::OnceLock<Map> = std::sync::OnceLock::new();
    EMPTY.get_or_init(Map::new)
}

pub(super) fn wrong_kind(expected: &'static str, found: &Value, keys: &[String]) -> Error {
    Error::new(
        ErrorKind::WrongKind {
            expected,
            found: found.kind_name(),
        },
        format!(
            "`{}` is {}, not {}",
            display_path(keys),
            found.kind_with_article(),
            crate::value::with_article(expected)
        ),
    )
}

pub(super) fn not_found(keys: &[String]) -> Error {
    Error::new(
        ErrorKind::NotFound,
        format!("no entry `{}`", display_path(keys)),
    )
}

/// The value at `keys` through dicts only.
pub(super) fn root_value<'m>(map: &'m Map, keys: &[String]) -> Option<&'m Value> {
    let (first, rest) = keys.split_first()?;
    let mut current = map.get(first)?;
    for key in rest {
        current = current.as_dict()?.get(key)?;
    }
    Some(current)
}

/// The value at `keys` under the root dict `root`, mutably (through dicts only).
pub(super) fn root_value_mut<'v>(root: &'v mut Value, keys: &[String]) -> Option<&'v mut Value> {
    let mut current = root;
    for key in keys {
        current = match current {
            Value::Dict(map) => map.get_mut(key)?,
            _ => return None,
        };
    }
    Some(current)
}

/// The dict that holds the last key of `keys`, creating missing dicts when `create`.
pub(super) fn parent_dict<'m>(
    map: &'m mut Map,
    keys: &[String],
    create: bool,
) -> Result<&'m mut Map, Error> {
    let mut current = map;
    let parents = &keys[..keys.len().saturating_sub(1)];
    for (i, key) in parents.iter().enumerate() {
        if !current.contains_key(key) {
            if !create {
                return Err(not_found(&keys[..=i]));
            }
            current.insert(key.clone(), Value::Dict(Map::new()));
        }
        current = match current.get_mut(key) {
            Some(Value::Dict(m)) => m,
            Some(other) => return Err(wrong_kind("dict", other, &keys[..=i])),
            None => return Err(not_found(&keys[..=i])),
        };
    }
    Ok(current)
}

pub(super) fn set_in(map: &mut Map, keys: &[String], value: Value) -> Result<(), Error> {
    let last = keys.last().ok_or_else(|| not_found(keys))?;
    parent_dict(map, keys, true)?.insert(last.clone(), value);
    Ok(())
}

pub(super) fn remove_in(map: &mut Map, keys: &[String]) -> Result<Value, Error> {
    let last = keys.last().ok_or_else(|| not_found(keys))?;
    parent_dict(map, keys, false)?
        .remove(last)
        .ok_or_else(|| not_found(keys))
}

pub(super) fn table_at<'m>(map: &'m Map, keys: &[String]) -> Result<&'m Table, Error> {
    match root_value(map, keys) {
        Some(Value::Table(t)) => Ok(t),
        Some(other) => Err(wrong_kind("table", other, keys)),
        None => Err(not_found(keys)),
    }
}
