//! Equality that also tells `0.0` from `-0.0`: what an edit must compare.

use super::{ScalarKind, Table, Value};

impl Value {
    /// True when both values hold the same data *bit for bit*: like `==`, except that
    /// floats are compared by their bits, so `0.0` and `-0.0` differ (`==` follows IEEE
    /// 754, where they are equal). Source spelling is still ignored.
    ///
    /// ```
    /// use sdn_codec::Value;
    /// assert_eq!(Value::from(0.0), Value::from(-0.0));
    /// assert!(!Value::from(0.0).is_identical(&Value::from(-0.0)));
    /// assert!(Value::from(vec![1.5]).is_identical(&Value::from(vec![1.5])));
    /// ```
    pub fn is_identical(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Scalar(a), Value::Scalar(b)) => match (a.kind(), b.kind()) {
                (ScalarKind::Float(x), ScalarKind::Float(y)) => x.to_bits() == y.to_bits(),
                (x, y) => x == y,
            },
            (Value::Array(a), Value::Array(b)) => all_identical(a, b),
            (Value::Dict(a), Value::Dict(b)) => maps_identical(a, b),
            (Value::Table(a), Value::Table(b)) => tables_identical(a, b),
            _ => false,
        }
    }
}

/// [`Value::is_identical`] item by item.
pub(crate) fn all_identical(a: &[Value], b: &[Value]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.is_identical(y))
}

fn tables_identical(a: &Table, b: &Table) -> bool {
    a.columns == b.columns
        && a.rows.len() == b.rows.len()
        && a.rows.iter().zip(&b.rows).all(|(x, y)| all_identical(x, y))
}

/// [`Value::is_identical`] for two maps.
pub(crate) fn maps_identical(a: &super::Map, b: &super::Map) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b.iter())
            .all(|((ka, va), (kb, vb))| ka == kb && va.is_identical(vb))
}
