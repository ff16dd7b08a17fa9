//! The rules of the serde mapping both serializers follow (the `Value` route in
//! `to_value` and the text route in `to_text`): integers fit the signed 64-bit range,
//! floats are finite, and a sequence of records with the same keys is a table.

use crate::error::{Error, ErrorKind};
use crate::value::{ScalarKind, Table, Value};

/// Builds a table out of `items` when they are all flat records with the same keys;
/// otherwise returns them as an array.
pub(crate) fn seq_to_value(items: Vec<Value>) -> Value {
    if let Some(columns) = table_columns(&items) {
        let mut table = Table::with_columns(columns);
        table.rows = items
            .into_iter()
            .map(|item| match item {
                Value::Dict(map) => map.into_iter().map(|(_, v)| v).collect(),
                // `table_columns` checked every item is a dict.
                other => vec![other],
            })
            .collect();
        Value::Table(table)
    } else {
        Value::Array(items)
    }
}

/// The column names when `items` is a non-empty list of dicts with identical keys (in
/// the same order, at least one) and no table values: the rule of
/// [`Table::from_records`], which tests check this agrees with.
pub(crate) fn table_columns(items: &[Value]) -> Option<Vec<String>> {
    let first = items.first()?.as_dict()?;
    if first.is_empty() {
        return None;
    }
    for item in items {
        let map = item.as_dict()?;
        if map.len() != first.len()
            || !map
                .iter()
                .zip(first.keys())
                .all(|((k, v), k0)| k == k0 && !matches!(v, Value::Table(_)))
        {
            return None;
        }
    }
    Some(first.keys().map(str::to_owned).collect())
}

/// The SDN integer for `v`, or an error when it is outside the signed 64-bit range:
/// the rule of both the `Value` route and the direct text route.
pub(crate) fn sdn_int<T: TryInto<i64> + Copy + std::fmt::Display>(v: T) -> Result<i64, Error> {
    v.try_into().map_err(|_| {
        Error::new(
            ErrorKind::IntegerOutOfRange,
            format!("integer {v} is outside the signed 64-bit range SDN integers have"),
        )
    })
}

/// The key of the entry `serialize_value` is writing (`SerializeMap` passes them apart).
pub(crate) fn take_key(key: &mut Option<String>) -> Result<String, Error> {
    key.take()
        .ok_or_else(|| Error::custom("serialize_value called before serialize_key"))
}

pub(crate) fn float_value(f: f64) -> Result<Value, Error> {
    if f.is_finite() {
        Ok(Value::scalar(ScalarKind::Float(f)))
    } else {
        Err(Error::new(
            ErrorKind::NonFiniteFloat,
            format!("{f} cannot be written: SDN floats are finite"),
        ))
    }
}
