//! JSON in and out: `sdn to-json` and `sdn from-json`.
//!
//! Numbers are read from their JSON text, so nothing is rounded or changed: an integer
//! outside the signed 64-bit range is an error (as in SDN), a float keeps its exact
//! value, and `-0` (an integer in JSON) is the integer `0`. Nesting may go one level
//! deeper than SDN's limit (the JSON root object is SDN's root, which does not count),
//! so everything `sdn check` accepts comes back from its own JSON.

use std::cell::RefCell;
use std::fmt;

use sdn_codec::{Limits, Map, Table, Value};
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

/// Deepest JSON nesting read: SDN's default depth limit plus the root object.
pub fn max_depth() -> usize {
    Limits::default().max_depth + 1
}

/// Why JSON could not be read.
pub enum JsonError {
    /// Valid or not, the text nests deeper than [`max_depth`]: at 1-based line, column.
    TooDeep { line: usize, column: usize },
    /// Not JSON, or a value SDN cannot hold; the message says which.
    Invalid(String),
}

/// Reads a JSON document into an SDN value (objects keep their key order).
pub fn read(bytes: &[u8]) -> Result<Value, JsonError> {
    let numbers = scan(bytes)?;
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    // `scan` has bounded the depth; serde_json's own limit (127) is below SDN's.
    deserializer.disable_recursion_limit();
    let numbers = RefCell::new(numbers.into_iter());
    let value = JsonSeed {
        bytes,
        numbers: &numbers,
    }
    .deserialize(&mut deserializer)
    .and_then(|v| deserializer.end().map(|()| v))
    .map_err(|e| JsonError::Invalid(e.to_string()))?;
    Ok(value)
}

/// The byte ranges of every number outside strings, in order, after checking the depth.
fn scan(bytes: &[u8]) -> Result<Vec<(usize, usize)>, JsonError> {
    let (max, mut depth, mut numbers) = (max_depth(), 0usize, Vec::new());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'[' | b'{' => {
                depth += 1;
                if depth > max {
                    let line = bytes[..i].iter().filter(|&&b| b == b'\n').count() + 1;
                    let line_start = bytes[..i]
                        .iter()
                        .rposition(|&b| b == b'\n')
                        .map_or(0, |p| p + 1);
                    return Err(JsonError::TooDeep {
                        line,
                        column: i - line_start + 1,
                    });
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            b'-' | b'0'..=b'9' => {
                let start = i;
                while i + 1 < bytes.len()
                    && matches!(bytes[i + 1], b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E')
                {
                    i += 1;
                }
                numbers.push((start, i + 1));
            }
            _ => {}
        }
        i += 1;
    }
    Ok(numbers)
}

/// The SDN value of the JSON number `text`.
fn number(text: &str) -> Result<Value, String> {
    if !text.contains(['.', 'e', 'E']) {
        if text == "-0" {
            return Ok(Value::from(0i64));
        }
        return text.parse::<i64>().map(Value::from).map_err(|_| {
            format!("integer {text} is outside SDN's signed 64-bit range; quote it in the JSON to keep it as text")
        });
    }
    match text.parse::<f64>() {
        Ok(f) if f.is_finite() => Ok(Value::from(f)),
        _ => Err(format!("number {text} is too large for a 64-bit float")),
    }
}

/// Reads one JSON value, taking each number's text from the scan.
#[derive(Clone, Copy)]
struct JsonSeed<'s> {
    bytes: &'s [u8],
    numbers: &'s RefCell<std::vec::IntoIter<(usize, usize)>>,
}

impl JsonSeed<'_> {
    fn next_number<E: de::Error>(&self) -> Result<Value, E> {
        let (start, end) = self
            .numbers
            .borrow_mut()
            .next()
            .ok_or_else(|| E::custom("a number the scan did not see (internal)"))?;
        let text = std::str::from_utf8(&self.bytes[start..end]).map_err(E::custom)?;
        number(text).map_err(E::custom)
    }
}

impl<'de> DeserializeSeed<'de> for JsonSeed<'_> {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for JsonSeed<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::null())
    }
    fn visit_bool<E: de::Error>(self, b: bool) -> Result<Value, E> {
        Ok(Value::from(b))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Value, E> {
        self.next_number()
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Value, E> {
        self.next_number()
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Value, E> {
        self.next_number()
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<Value, E> {
        Ok(Value::from(s))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(v) = seq.next_element_seed(self)? {
            items.push(v);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let mut map = Map::new();
        while let Some(k) = access.next_key::<String>()? {
            let v = access.next_value_seed(self)?;
            if map.contains_key(&k) {
                return Err(de::Error::custom(format!("duplicate key `{k}`")));
            }
            map.insert(k, v);
        }
        Ok(Value::Dict(map))
    }
}

/// Turns every dict entry holding a non-empty array of flat objects (same keys in the
/// same order, scalar values) into a table named by the entry's key.
pub fn tablify(map: Map) -> Map {
    map.into_iter()
        .map(|(k, v)| {
            let v = match v {
                Value::Array(items) => match flat_records(&items) {
                    Some(table) => Value::Table(table),
                    None => Value::Array(items.into_iter().map(tablify_value).collect()),
                },
                other => tablify_value(other),
            };
            (k, v)
        })
        .collect()
}

fn tablify_value(value: Value) -> Value {
    match value {
        Value::Dict(map) => Value::Dict(tablify(map)),
        Value::Array(items) => Value::Array(items.into_iter().map(tablify_value).collect()),
        other => other,
    }
}

fn flat_records(items: &[Value]) -> Option<Table> {
    let records: Vec<Map> = items
        .iter()
        .map(|item| match item {
            Value::Dict(m) if m.values().all(|v| matches!(v, Value::Scalar(_))) => Some(m.clone()),
            _ => None,
        })
        .collect::<Option<_>>()?;
    Table::from_records(&records)
}
