//! Edits of any document the parser accepts succeed, change only the lines of what they
//! edit, and read back as exactly the intended value (checked inside `Document`, and
//! here again for row updates, which `Document` checks on the edited line alone).
#![no_main]

use std::ops::Range;

use libfuzzer_sys::fuzz_target;
use sdn_codec::{Document, ScalarKind, Value};

/// A different value of the same kind (typed columns keep accepting it).
fn different(v: &Value) -> Value {
    match v.scalar_kind() {
        Some(ScalarKind::String(s)) => Value::from(format!("{s}, x\"")),
        Some(ScalarKind::Int(i)) => Value::from(i.wrapping_add(1)),
        Some(ScalarKind::Float(f)) => Value::from(if f.abs() < 1e300 { f + 1.0 } else { 0.5 }),
        Some(ScalarKind::Bool(b)) => Value::from(!b),
        _ => Value::from("edited"),
    }
}

/// Lines outside `lines` (0-based, end-exclusive, of `before`) are unchanged in `after`.
fn only_lines_changed(before: &str, after: &str, lines: &Range<usize>) {
    let b: Vec<&str> = before.trim_start_matches('\u{feff}').split('\n').collect();
    let a: Vec<&str> = after.trim_start_matches('\u{feff}').split('\n').collect();
    assert_eq!(
        a[..lines.start],
        b[..lines.start],
        "lines before the edit changed"
    );
    let tail = b.len() - lines.end.min(b.len());
    assert!(a.len() >= tail);
    assert_eq!(
        a[a.len() - tail..],
        b[b.len() - tail..],
        "lines after the edit changed"
    );
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(doc) = Document::parse(text) else {
        return;
    };
    let spans = sdn_codec::parse_spanned(text, &Default::default()).expect("parses");
    for span in spans.entries.iter().take(6) {
        let key = span.key.as_str();
        let value = &doc.root()[key];
        match value {
            Value::Table(t) if !t.rows.is_empty() && span.rows.len() == t.rows.len() => {
                let row = t.rows.len() - 1;
                let col = t.columns.len() - 1;
                let mut cells = t.rows[row].clone();
                cells[col] = different(&cells[col]);
                let mut copy = doc.clone();
                copy.table_mut([key])
                    .unwrap()
                    .update_row(row, cells.clone())
                    .expect("update_row");
                only_lines_changed(text, copy.as_str(), &span.rows[row]);
                // A one-line row update is checked on its line only: the whole text
                // must still read as the document's value.
                assert_eq!(
                    &sdn_codec::parse(copy.as_str()).expect("edited text parses"),
                    copy.value(),
                    "the edited text reads differently from the document's value"
                );
                assert_eq!(copy.table([key]).expect("table").rows[row], cells);

                let mut copy = doc.clone();
                copy.table_mut([key])
                    .unwrap()
                    .push_row(cells)
                    .expect("push_row");
                let mut copy = doc.clone();
                copy.table_mut([key])
                    .unwrap()
                    .remove_row(row)
                    .expect("remove_row");
                if !t.is_typed() && t.column_index("zz_new").is_none() {
                    let mut copy = doc.clone();
                    copy.table_mut([key])
                        .unwrap()
                        .add_column("zz_new", "a b")
                        .expect("add_column");
                }
            }
            Value::Scalar(_) => {
                let mut copy = doc.clone();
                copy.set([key], different(value)).expect("set scalar");
                only_lines_changed(text, copy.as_str(), &span.lines);
            }
            _ => {}
        }
        let mut copy = doc.clone();
        copy.remove([key]).expect("remove");
    }
    if doc.get(["zz_fuzz"]).is_none() {
        let mut copy = doc.clone();
        copy.set(["zz_fuzz", "inner"], vec![1, 2])
            .expect("set new key");
    }
});
