//! Properties of the format-preserving document over generated inputs: random values
//! written canonically, then re-formatted the ways hand-written files differ (indent
//! width, tabs, CRLF, byte-order mark, comments, blank lines, trailing whitespace, no
//! final newline).
//!
//! Case count: proptest's default (256), or `PROPTEST_CASES`.

mod common;

use proptest::collection::vec;
use proptest::prelude::*;
use sdn_codec::document::RowEditor;
use sdn_codec::write::TableWriter;
use sdn_codec::{Document, Map, ScalarKind, Table, TextUpdate, Value};

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-zA-Z_][a-zA-Z0-9_.-]{0,8}",
        1 => "[ -~é]{0,6}",
    ]
}

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        4 => common::non_text_scalar(),
        1 => "[a-zA-Z_][a-zA-Z0-9_./-]{0,10}".prop_map(Value::from),
        1 => "[a-zA-Z0-9 _.,:#\"\\\\/\\[\\]{}|()=é😀\n\t-]{0,14}".prop_map(Value::from),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(Value::Array),
            vec((key(), inner), 0..4)
                .prop_map(|entries| Value::Dict(entries.into_iter().collect())),
        ]
    })
}

fn cell() -> impl Strategy<Value = Value> {
    prop_oneof![4 => scalar(), 1 => vec(scalar(), 0..3).prop_map(Value::Array)]
}

fn table() -> impl Strategy<Value = Table> {
    (1usize..5)
        .prop_flat_map(|n| (vec(key(), n), vec(vec(cell(), n), 0..6)))
        .prop_map(|(names, rows)| {
            let mut unique: Vec<String> = Vec::new();
            for (i, name) in names.into_iter().enumerate() {
                unique.push(if unique.contains(&name) {
                    format!("{name}_{i}")
                } else {
                    name
                });
            }
            let mut t = Table::with_columns(unique);
            t.rows = rows;
            t
        })
}

fn document() -> impl Strategy<Value = Map> {
    vec(
        (
            key(),
            prop_oneof![3 => value(), 1 => table().prop_map(Value::Table)],
        ),
        0..6,
    )
    .prop_map(|entries| entries.into_iter().collect())
}

/// How to re-format canonical text; every choice keeps the data.
#[derive(Debug, Clone)]
struct Style {
    /// Indentation per level: spaces (1..=8) or a tab (0).
    indent: usize,
    crlf: bool,
    bom: bool,
    final_newline: bool,
    /// Per-line decorations, cycled: 0 none, 1 comment line before, 2 blank line before,
    /// 3 trailing blanks, 4 end-of-line comment, 5 indented comment line before.
    ops: Vec<u8>,
}

fn style() -> impl Strategy<Value = Style> {
    (
        prop_oneof![Just(0usize), 1usize..=8],
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        vec(0u8..6, 1..40),
    )
        .prop_map(|(indent, crlf, bom, final_newline, ops)| Style {
            indent,
            crlf,
            bom,
            final_newline,
            ops,
        })
}

fn restyle(canonical: &str, style: &Style) -> String {
    let unit = if style.indent == 0 {
        "\t".to_owned()
    } else {
        " ".repeat(style.indent)
    };
    let eol = if style.crlf { "\r\n" } else { "\n" };
    let mut out = String::new();
    if style.bom {
        out.push('\u{feff}');
    }
    for (i, line) in canonical.lines().enumerate() {
        let spaces = line.len() - line.trim_start_matches(' ').len();
        let indent = format!("{}{}", unit.repeat(spaces / 4), " ".repeat(spaces % 4));
        let op = style.ops[i % style.ops.len()];
        match op {
            1 => out.push_str(&format!("# comment {i}{eol}")),
            2 => out.push_str(eol),
            5 => out.push_str(&format!("{indent}{unit}# indented {i}{eol}")),
            _ => {}
        }
        out.push_str(&indent);
        out.push_str(&line[spaces..]);
        match op {
            3 => out.push_str(" \t "),
            4 => out.push_str("   # eol comment"),
            _ => {}
        }
        out.push_str(eol);
    }
    if !style.final_newline && out.ends_with(eol) {
        out.truncate(out.len() - eol.len());
    }
    out
}

fn changed_lines(before: &str, after: &str) -> usize {
    let b: Vec<&str> = before.split('\n').collect();
    let a: Vec<&str> = after.split('\n').collect();
    assert_eq!(a.len(), b.len(), "the edit changed the number of lines");
    (0..b.len()).filter(|&i| a[i] != b[i]).count()
}

fn different(cell: &Value) -> Value {
    match cell.scalar_kind() {
        Some(ScalarKind::String(s)) => Value::from(format!("{s}, edited")),
        Some(ScalarKind::Int(i)) => Value::from(i.wrapping_add(1)),
        Some(ScalarKind::Float(_)) => Value::from("was a float"),
        Some(ScalarKind::Bool(b)) => Value::from(!b),
        _ => Value::from(vec![1, 2]),
    }
}

/// The keys of the root tables that have rows.
fn tables_with_rows(doc: &Document) -> Vec<String> {
    doc.root()
        .iter()
        .filter(|(_, v)| v.as_table().is_some_and(|t| !t.rows.is_empty()))
        .map(|(k, _)| k.to_owned())
        .collect()
}

proptest! {
    /// Canonical text re-styled still parses to the same value, and a document of it
    /// written back with no edit is byte-identical.
    #[test]
    fn no_edit_round_trip_is_byte_identical(map in document(), style in style()) {
        let value = Value::Dict(map);
        let canonical = sdn_codec::to_canonical_string(&value).unwrap();
        let text = restyle(&canonical, &style);
        let parsed = sdn_codec::parse(&text).unwrap_or_else(|e| panic!("{e}\n--- text:\n{text}"));
        prop_assert_eq!(&parsed, &value);
        let doc = Document::parse(&text).unwrap();
        prop_assert_eq!(doc.as_str(), text.as_str());
        prop_assert_eq!(doc.to_string(), text.clone());
        prop_assert_eq!(doc.value(), &value);
    }

    /// `format` of any re-styled text keeps the data and every comment, and its output
    /// is a fixed point (formatting it again changes nothing).
    #[test]
    fn format_keeps_data_and_comments_and_is_a_fixed_point(map in document(), style in style()) {
        let value = Value::Dict(map);
        let text = restyle(&sdn_codec::to_canonical_string(&value).unwrap(), &style);
        let formatted = sdn_codec::format(&text).unwrap_or_else(|e| panic!("{e}\n--- text:\n{text}"));
        let parsed = sdn_codec::parse(&formatted).unwrap();
        prop_assert!(parsed.is_identical(&sdn_codec::parse(&text).unwrap()), "{}", formatted);
        let comments = |t: &str| t.matches("# comment").count() + t.matches("# indented").count() + t.matches("# eol comment").count();
        prop_assert_eq!(comments(&formatted), comments(&text), "{}", formatted);
        prop_assert_eq!(sdn_codec::format(&formatted).unwrap(), formatted.clone(), "from:\n{}", text);
        // The canonical form has no CR, no byte-order mark, no trailing blanks.
        let clean = !formatted.contains('\r') && !formatted.starts_with('\u{feff}');
        prop_assert!(clean, "{}", formatted);
        prop_assert!(formatted.lines().all(|l| l.trim_end() == l), "{}", formatted);
    }

    /// Updating one cell of one row of any table changes exactly one line, and the file
    /// reads back with only that cell changed.
    #[test]
    fn one_cell_update_changes_one_line(map in document(), style in style(), pick in any::<prop::sample::Index>(), col in any::<prop::sample::Index>()) {
        let value = Value::Dict(map);
        let text = restyle(&sdn_codec::to_canonical_string(&value).unwrap(), &style);
        let doc = Document::parse(&text).unwrap();
        for (key, v) in doc.root().iter() {
            let Value::Table(table) = v else { continue };
            if table.rows.is_empty() {
                continue;
            }
            let row = pick.index(table.rows.len());
            let c = col.index(table.columns.len());
            let new = different(&table.rows[row][c]);
            let mut copy = doc.clone();
            copy.table_mut([key]).unwrap().set_cell(row, table.columns[c].name.as_deref().unwrap(), new.clone()).unwrap();
            prop_assert_eq!(changed_lines(&text, copy.as_str()), 1);
            let mut expected = value.clone();
            expected.get_mut(key).and_then(Value::as_table_mut).unwrap().rows[row][c] = new;
            prop_assert_eq!(copy.value(), &expected);
            prop_assert_eq!(&sdn_codec::parse(copy.as_str()).unwrap(), copy.value());
        }
    }

    /// Many row updates in a row, each changing a cell's length (row edits of one-line
    /// rows are checked line by line, so the line offsets they keep must stay right):
    /// after every edit the text parses to exactly the document's value, and the file
    /// differs from the original only in the rows edited so far.
    #[test]
    fn successive_row_updates_stay_consistent(
        map in document(),
        style in style(),
        edits in vec((any::<prop::sample::Index>(), any::<prop::sample::Index>(), scalar()), 1..12),
    ) {
        let value = Value::Dict(map);
        let text = restyle(&sdn_codec::to_canonical_string(&value).unwrap(), &style);
        let mut doc = Document::parse(&text).unwrap();
        let tables = tables_with_rows(&doc);
        for (n, (row, col, new)) in edits.into_iter().enumerate() {
            let Some(key) = tables.get(n % tables.len().max(1)) else { break };
            let table = doc.table([key.as_str()]).unwrap().clone();
            let row = row.index(table.rows.len());
            let c = col.index(table.columns.len());
            let mut cells = table.rows[row].clone();
            cells[c] = new;
            doc.table_mut([key.as_str()]).unwrap().update_row(row, cells.clone()).unwrap();
            let reparsed = sdn_codec::parse(doc.as_str())
                .unwrap_or_else(|e| panic!("{e}\n--- text:\n{}", doc.as_str()));
            prop_assert_eq!(&reparsed, doc.value());
            prop_assert_eq!(&doc.table([key.as_str()]).unwrap().rows[row], &cells);
            let fresh = Document::parse(doc.as_str()).unwrap();
            prop_assert_eq!(fresh.value(), doc.value());
        }
        prop_assert_eq!(doc.as_str().split('\n').count(), text.split('\n').count());
    }

    /// Removing several rows in one edit makes exactly the text and value that removing
    /// them one at a time (the last first) makes, in every style (a last line without a
    /// line end, comments and blank lines between rows, CRLF); the text reads back as
    /// the value.
    #[test]
    fn removing_rows_at_once_is_removing_them_one_by_one(
        map in document(),
        style in style(),
        picks in vec(any::<prop::sample::Index>(), 0..6),
    ) {
        let value = Value::Dict(map);
        let text = restyle(&sdn_codec::to_canonical_string(&value).unwrap(), &style);
        let doc = Document::parse(&text).unwrap();
        for key in tables_with_rows(&doc) {
            let rows = doc.table([key.as_str()]).unwrap().rows.len();
            let indices: Vec<usize> = picks.iter().map(|pick| pick.index(rows)).collect();
            let mut at_once = doc.clone();
            let removed = at_once.table_mut([key.as_str()]).unwrap().remove_rows(indices.iter().copied());
            let mut one_by_one = doc.clone();
            let mut distinct = indices.clone();
            distinct.sort_unstable();
            distinct.dedup();
            let mut removed_one_by_one = Vec::new();
            let mut failed = None;
            for &index in distinct.iter().rev() {
                match one_by_one.table_mut([key.as_str()]).unwrap().remove_row(index) {
                    Ok(cells) => removed_one_by_one.insert(0, cells),
                    Err(err) => failed = Some(err),
                }
            }
            match (removed, failed) {
                (Ok(removed), None) => {
                    prop_assert_eq!(removed, removed_one_by_one);
                    prop_assert_eq!(at_once.as_str(), one_by_one.as_str());
                    prop_assert_eq!(at_once.value(), one_by_one.value());
                    prop_assert_eq!(&sdn_codec::parse(at_once.as_str()).unwrap(), at_once.value());
                }
                // An edit refused either way leaves the document as it was.
                (Err(_), Some(_)) => prop_assert_eq!(at_once.as_str(), text.as_str()),
                (Err(err), None) => prop_assert!(false, "only at once failed: {err}"),
                (Ok(_), Some(err)) => prop_assert!(false, "only one by one failed: {err}"),
            }
        }
    }

    /// A row editor, which holds no value per cell, makes exactly the text a document
    /// makes of the same row updates, or fails as the document does, or leaves the
    /// update alone (`Ok(false)`), to be made by a document (as record-store does).
    #[test]
    fn a_row_editor_updates_rows_as_a_document_does(
        map in document(),
        style in style(),
        edits in vec((any::<prop::sample::Index>(), any::<prop::sample::Index>(), scalar()), 1..12),
    ) {
        let value = Value::Dict(map);
        let text = restyle(&sdn_codec::to_canonical_string(&value).unwrap(), &style);
        let mut doc = Document::parse(&text).unwrap();
        let mut rows = RowEditor::parse(text.clone()).unwrap();
        let tables = tables_with_rows(&doc);
        for (n, (row, col, new)) in edits.into_iter().enumerate() {
            let Some(key) = tables.get(n % tables.len().max(1)) else { break };
            let table = doc.table([key.as_str()]).unwrap().clone();
            let row = row.index(table.rows.len());
            let name = table.column_keys()[col.index(table.columns.len())].clone();
            let before = rows.as_str().to_owned();
            let by_rows = rows.update_row_with(key, row, |cells| {
                cells.insert(name.as_str(), new.clone());
            });
            let by_doc = doc.table_mut([key.as_str()]).unwrap().update_row_with(row, |cells| {
                cells.insert(name.as_str(), new.clone());
            });
            match by_rows {
                Ok(true) => {
                    prop_assert!(by_doc.is_ok());
                    prop_assert_eq!(rows.as_str(), doc.as_str());
                    let cells = rows.row(key, row);
                    prop_assert_eq!(cells.as_deref(), Some(&doc.table([key.as_str()]).unwrap().rows[row][..]));
                }
                Ok(false) => {
                    prop_assert_eq!(rows.as_str(), before.as_str());
                    rows = RowEditor::parse(doc.as_str().to_owned()).unwrap();
                }
                Err(_) => {
                    prop_assert!(by_doc.is_err());
                    prop_assert_eq!(rows.as_str(), doc.as_str());
                }
            }
        }
    }

    /// A row editor removes rows exactly as a document does, or leaves the removal
    /// alone (`Ok(false)`, nothing changed), to be made by a document; after it, its
    /// rows and further edits are the document's. Removals of tables one after another,
    /// then a row update, in every style.
    #[test]
    fn a_row_editor_removes_rows_as_a_document_does(
        map in document(),
        style in style(),
        picks in vec(vec(any::<prop::sample::Index>(), 0..4), 1..4),
        update in (any::<prop::sample::Index>(), scalar()),
    ) {
        let value = Value::Dict(map);
        let text = restyle(&sdn_codec::to_canonical_string(&value).unwrap(), &style);
        let mut doc = Document::parse(&text).unwrap();
        let mut rows = RowEditor::parse(text.clone()).unwrap();
        let tables = tables_with_rows(&doc);
        for (n, picks) in picks.iter().enumerate() {
            let Some(key) = tables.get(n % tables.len().max(1)) else { break };
            let count = doc.table([key.as_str()]).unwrap().rows.len();
            if count == 0 {
                continue;
            }
            let indices: Vec<usize> = picks.iter().map(|pick| pick.index(count)).collect();
            let before = rows.as_str().to_owned();
            let by_rows = rows.remove_rows(key, indices.iter().copied()).unwrap();
            let by_doc = doc.table_mut([key.as_str()]).unwrap().remove_rows(indices.iter().copied());
            if by_rows {
                prop_assert!(by_doc.is_ok());
                prop_assert_eq!(rows.as_str(), doc.as_str());
            } else {
                prop_assert_eq!(rows.as_str(), before.as_str());
                rows = RowEditor::parse(doc.as_str().to_owned()).unwrap();
            }
        }
        // The editor's layout after removals is the text's: an update lands where a
        // document puts it.
        let (row, new) = update;
        if let Some(key) = tables.iter().find(|key| doc.table([key.as_str()]).is_ok_and(|t| !t.rows.is_empty())) {
            let table = doc.table([key.as_str()]).unwrap().clone();
            let row = row.index(table.rows.len());
            let name = table.column_keys()[0].clone();
            let by_rows = rows.update_row_with(key, row, |cells| {
                cells.insert(name.as_str(), new.clone());
            });
            let by_doc = doc.table_mut([key.as_str()]).unwrap().update_row_with(row, |cells| {
                cells.insert(name.as_str(), new.clone());
            });
            if let Ok(true) = by_rows {
                prop_assert!(by_doc.is_ok());
                prop_assert_eq!(rows.as_str(), doc.as_str());
            }
            for (index, cells) in table.rows.iter().enumerate().take(3) {
                if index != row && let Some(read) = rows.row(key, index) {
                    prop_assert_eq!(&read, cells);
                }
            }
        }
    }

    /// A named table written row by row is the text the canonical writer writes of it.
    #[test]
    fn a_table_written_row_by_row_is_the_canonical_text(map in document()) {
        for (key, value) in map.iter() {
            let Value::Table(table) = value else { continue };
            let Some(columns) = table.columns.iter().map(|c| c.name.clone()).collect::<Option<Vec<_>>>() else {
                continue;
            };
            let mut one = Map::new();
            one.insert(key, value.clone());
            let canonical = sdn_codec::map_to_canonical_string(&one).unwrap();
            let mut writer = TableWriter::new(String::new(), key, &columns).unwrap();
            for row in &table.rows {
                writer.push_row(row).unwrap();
            }
            prop_assert_eq!(writer.finish(), canonical);
        }
    }

    /// Appending rows all at once writes what appending them one by one writes, or fails
    /// as that does (then appending nothing).
    #[test]
    fn appending_rows_at_once_is_appending_them_one_by_one(
        map in document(),
        style in style(),
        new in vec(vec(scalar(), 0..6), 1..5),
    ) {
        let value = Value::Dict(map);
        let text = restyle(&sdn_codec::to_canonical_string(&value).unwrap(), &style);
        let doc = Document::parse(&text).unwrap();
        let tables: Vec<String> = doc
            .root()
            .iter()
            .filter(|(_, v)| v.as_table().is_some())
            .map(|(k, _)| k.to_owned())
            .collect();
        for key in &tables {
            let names = doc.table([key.as_str()]).unwrap().column_keys();
            let rows: Vec<Map> = new
                .iter()
                .map(|cells| names.iter().map(String::as_str).zip(cells.iter().cloned()).collect())
                .collect();
            let mut one_by_one = doc.clone();
            let sequential = rows
                .iter()
                .try_for_each(|row| one_by_one.table_mut([key.as_str()]).unwrap().push_row_map(row));
            let mut at_once = doc.clone();
            let batched = at_once.table_mut([key.as_str()]).unwrap().push_rows_map(&rows);
            prop_assert_eq!(sequential.is_ok(), batched.is_ok(), "{:?} {:?}", sequential, batched);
            match batched {
                Ok(()) => prop_assert_eq!(at_once.as_str(), one_by_one.as_str()),
                Err(_) => prop_assert_eq!(at_once.as_str(), doc.as_str()),
            }
        }
    }

    /// Bringing a document up to date with a changed text (one line replaced by another
    /// row's text, by the same row with a cell changed, or by anything at all) gives
    /// exactly the document a full parse of the new text gives, or the same error.
    #[test]
    fn update_text_equals_a_full_parse(
        map in document(),
        style in style(),
        pick in any::<prop::sample::Index>(),
        other in any::<prop::sample::Index>(),
        how in 0u8..3,
        junk in r#"[ a-z0-9_,:#"\\\[\]{}|()=.-]{0,16}"#,
        new_cell in scalar(),
    ) {
        let value = Value::Dict(map);
        let text = restyle(&sdn_codec::to_canonical_string(&value).unwrap(), &style);
        let doc = Document::parse(&text).unwrap();
        let lines: Vec<&str> = text.split_inclusive('\n').collect();
        if lines.is_empty() {
            return Ok(()); // an empty text has no line to change
        }
        let at = pick.index(lines.len());
        let changed = match how {
            // Another line's text in its place (often another row of the same table).
            0 => {
                let mut copy: Vec<&str> = lines.clone();
                copy[at] = lines[other.index(lines.len())];
                copy.concat()
            }
            // A real one-cell edit of some row, made by a document on its own copy.
            1 => {
                let mut copy = doc.clone();
                let tables = tables_with_rows(&doc);
                if tables.is_empty() {
                    return Ok(()); // no row to edit (the other two kinds still run)
                }
                let key = &tables[other.index(tables.len())];
                let table = doc.table([key.as_str()]).unwrap();
                let row = pick.index(table.rows.len());
                let mut cells = table.rows[row].clone();
                cells[0] = new_cell;
                copy.table_mut([key.as_str()]).unwrap().update_row(row, cells).unwrap();
                copy.into_string()
            }
            // Anything.
            _ => {
                let mut copy: Vec<String> = lines.iter().map(|l| (*l).to_owned()).collect();
                let eol = if copy[at].ends_with('\n') { "\n" } else { "" };
                copy[at] = format!("{junk}{eol}");
                copy.concat()
            }
        };
        let mut updated = doc.clone();
        let outcome = updated.update_text(&changed);
        match Document::parse(&changed) {
            Ok(fresh) => {
                let update = outcome.unwrap_or_else(|e| panic!("{e}\n--- text:\n{changed}"));
                prop_assert_eq!(updated.as_str(), fresh.as_str());
                prop_assert_eq!(updated.value(), fresh.value());
                prop_assert_eq!(&sdn_codec::parse(updated.as_str()).unwrap(), updated.value());
                if let TextUpdate::Row { table, row } = &update {
                    let keys: Vec<&str> = table.iter().map(String::as_str).collect();
                    prop_assert!(updated.table(keys.as_slice()).unwrap().rows.len() > *row);
                }
                // The updated document keeps working: a further edit reads back right.
                let first_table = updated.root().iter().find_map(|(k, v)| {
                    v.as_table().filter(|t| !t.rows.is_empty()).map(|t| (k.to_owned(), t.clone()))
                });
                if let Some((key, t)) = first_table {
                    let mut cells = t.rows[0].clone();
                    cells[0] = different(&cells[0]);
                    if updated.table_mut([key.as_str()]).unwrap().update_row(0, cells).is_ok() {
                        prop_assert_eq!(&sdn_codec::parse(updated.as_str()).unwrap(), updated.value());
                    }
                }
            }
            Err(err) => {
                let got = outcome.expect_err("a text that does not parse is an error");
                prop_assert_eq!(got.report().to_string(), err.report().to_string());
                prop_assert_eq!(updated.as_str(), doc.as_str());
            }
        }
    }

    /// Setting a new root key adds lines and changes none of the existing ones.
    #[test]
    fn adding_a_key_keeps_every_existing_line(map in document(), style in style(), new in value()) {
        let value = Value::Dict(map);
        let text = restyle(&sdn_codec::to_canonical_string(&value).unwrap(), &style);
        let mut doc = Document::parse(&text).unwrap();
        let key = "zz_new_key";
        prop_assume!(doc.get([key]).is_none());
        doc.set([key], new.clone()).unwrap();
        let body = text.trim_start_matches('\u{feff}');
        let new_body = doc.as_str().trim_start_matches('\u{feff}');
        // Every old line is still there, in order (new lines are only inserted).
        let mut new_lines = new_body.split('\n').map(|l| l.trim_end_matches('\r'));
        for old in body.split('\n').map(|l| l.trim_end_matches('\r')) {
            prop_assert!(new_lines.any(|l| l == old), "line {:?} lost", old);
        }
        prop_assert_eq!(doc.get([key]), Some(&new));
    }
}
