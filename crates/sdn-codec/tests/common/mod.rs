//! Helpers shared by the integration tests.
#![allow(dead_code)]

use proptest::prelude::*;
use sdn_codec::{ScalarKind, Value};

/// A compact, readable rendering of a value for snapshots: scalars show their kind
/// and, when it differs from the data, their exact source text as `<src ...>`.
pub fn render(value: &Value) -> String {
    let mut out = String::new();
    render_into(value, 0, &mut out);
    out
}

fn pad(n: usize) -> String {
    "  ".repeat(n)
}

fn render_into(value: &Value, depth: usize, out: &mut String) {
    match value {
        Value::Scalar(s) => {
            let data = match s.kind() {
                ScalarKind::Null => "null".to_owned(),
                ScalarKind::Bool(b) => format!("bool {b}"),
                ScalarKind::Int(i) => format!("int {i}"),
                ScalarKind::Float(f) => format!("float {f:?}"),
                ScalarKind::String(x) => format!("str {x:?}"),
            };
            out.push_str(&data);
            if let Some(src) = s.source_text() {
                let same = match s.kind() {
                    ScalarKind::String(x) => x == src,
                    ScalarKind::Int(i) => i.to_string() == src,
                    ScalarKind::Float(f) => format!("{f:?}") == src,
                    ScalarKind::Bool(b) => b.to_string() == src,
                    ScalarKind::Null => src == "null",
                };
                if !same {
                    out.push_str(&format!(" <src {src}>"));
                }
            }
        }
        Value::Array(items) => {
            out.push_str("[\n");
            for item in items {
                out.push_str(&pad(depth + 1));
                render_into(item, depth + 1, out);
                out.push('\n');
            }
            out.push_str(&pad(depth));
            out.push(']');
        }
        Value::Dict(map) => {
            out.push_str("{\n");
            for (k, v) in map {
                out.push_str(&format!("{}{k:?}: ", pad(depth + 1)));
                render_into(v, depth + 1, out);
                out.push('\n');
            }
            out.push_str(&pad(depth));
            out.push('}');
        }
        Value::Table(t) => {
            let cols: Vec<String> = t
                .columns
                .iter()
                .map(|c| match (&c.name, c.ty) {
                    (Some(n), None) => n.clone(),
                    (None, Some(ty)) => ty.to_string(),
                    (n, ty) => format!("{n:?}:{ty:?}"),
                })
                .collect();
            out.push_str(&format!(
                "table |{}| {} rows\n",
                cols.join(", "),
                t.rows.len()
            ));
            for row in &t.rows {
                out.push_str(&pad(depth + 1));
                out.push_str("( ");
                for (i, cell) in row.iter().enumerate() {
                    if i > 0 {
                        out.push_str(" ; ");
                    }
                    let mut c = String::new();
                    render_into(cell, depth + 2, &mut c);
                    out.push_str(&c);
                }
                out.push_str(" )\n");
            }
            out.push_str(&pad(depth));
            out.push_str("end");
        }
    }
}

/// Parses or panics with the rendered error (tests only).
pub fn parse_ok(text: &str) -> Value {
    match sdn_codec::parse(text) {
        Ok(v) => v,
        Err(e) => panic!("unexpected error:\n{e}"),
    }
}

/// Parses, expecting an error.
pub fn parse_err(text: &str) -> sdn_codec::Error {
    match sdn_codec::parse(text) {
        Ok(v) => panic!("expected an error, got {}", render(&v)),
        Err(e) => e,
    }
}

/// Generated scalars that are not text: null, booleans, any `i64`, any finite `f64`
/// (the property tests add the text they care about, weighted 4 to 1 per text arm so each
/// arm keeps an equal share).
pub fn non_text_scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::null()),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
    ]
}

/// Cases per property (`SDN_PROPTEST_CASES`, default 128).
pub fn proptest_cases() -> u32 {
    test_support::knob::number("SDN_PROPTEST_CASES", 128)
}
