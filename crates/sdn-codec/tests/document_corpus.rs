//! No-edit round trips and one-line row edits over SDN files: the fixtures in
//! `tests/fixtures/corpus` always, and the real files of the external corpus as well when
//! it is present (see `corpus_source`).

mod corpus_source;

use corpus_source::{Source, sources};
use sdn_codec::{Document, ScalarKind, Value};

/// `(file name, text)` of every `.sdn` file of `source`, sorted.
fn files_of(source: &Source) -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = std::fs::read_dir(&source.dir)
        .expect("read corpus dir")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "sdn"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            let bytes = std::fs::read(&p).expect("read corpus file");
            (
                name,
                String::from_utf8(bytes).expect("corpus files are UTF-8"),
            )
        })
        .collect();
    files.sort();
    assert!(
        files.len() >= source.facts.min_files,
        "expected at least {} files in {}",
        source.facts.min_files,
        source.dir.display()
    );
    files
}

/// Numbers of the lines that differ between two texts with the same line count.
fn changed_lines(before: &str, after: &str) -> Vec<usize> {
    let b: Vec<&str> = before.split('\n').collect();
    let a: Vec<&str> = after.split('\n').collect();
    assert_eq!(a.len(), b.len(), "the edit changed the number of lines");
    (0..b.len()).filter(|&i| a[i] != b[i]).collect()
}

#[test]
fn every_accepted_corpus_file_round_trips_byte_identical() {
    for source in sources() {
        round_trip_every_accepted_file(&source);
    }
}

fn round_trip_every_accepted_file(source: &Source) {
    let files = files_of(source);
    let mut accepted = 0;
    for (name, text) in &files {
        match (sdn_codec::parse(text), Document::parse(text)) {
            (Ok(value), Ok(doc)) => {
                assert_eq!(doc.as_str(), text, "{name}");
                assert_eq!(doc.to_string(), *text, "{name}");
                assert_eq!(doc.value(), &value, "{name}");
                accepted += 1;
            }
            (Err(_), Err(_)) => {}
            (p, d) => panic!(
                "{name}: parser ok={} but document ok={}",
                p.is_ok(),
                d.is_ok()
            ),
        }
    }
    eprintln!(
        "{accepted} of {} corpus files accepted and round-tripped",
        files.len()
    );
    assert!(
        accepted >= source.facts.min_accepted,
        "only {accepted} corpus files were accepted"
    );
}

/// A different value of the same kind, so typed columns still accept it.
fn different(cell: &Value) -> Value {
    match cell.scalar_kind() {
        Some(ScalarKind::String(s)) => Value::from(format!("{s} (edited)")),
        Some(ScalarKind::Int(i)) => Value::from(i.wrapping_add(1)),
        Some(ScalarKind::Float(f)) => Value::from(f + 1.0),
        Some(ScalarKind::Bool(b)) => Value::from(!b),
        _ => Value::from("edited"),
    }
}

#[test]
fn updating_one_row_of_any_corpus_table_changes_one_line() {
    for source in sources() {
        update_one_row_of_every_table(&source);
    }
}

fn update_one_row_of_every_table(source: &Source) {
    let files = files_of(source);
    let mut edited = 0;
    for (name, text) in &files {
        let Ok(doc) = Document::parse(text) else {
            continue;
        };
        for (key, value) in doc.root().iter() {
            let Value::Table(table) = value else { continue };
            if table.rows.is_empty() || table.is_typed() {
                continue;
            }
            let row = table.rows.len() / 2;
            let col = table.columns.len() - 1;
            let mut copy = doc.clone();
            let new_cell = different(&table.rows[row][col]);
            copy.table_mut([key])
                .unwrap()
                .set_cell(
                    row,
                    table.columns[col].name.as_deref().unwrap(),
                    new_cell.clone(),
                )
                .unwrap_or_else(|e| panic!("{name} {key}: {e}"));
            assert_eq!(
                changed_lines(text, copy.as_str()).len(),
                1,
                "{name} table {key}"
            );
            assert_eq!(
                copy.table([key]).unwrap().rows[row][col],
                new_cell,
                "{name} table {key}"
            );
            assert_eq!(copy.value(), &sdn_codec::parse(copy.as_str()).unwrap());
            edited += 1;
        }
    }
    eprintln!("edited one row in each of {edited} corpus tables");
    assert!(
        edited >= source.facts.min_tables_edited,
        "only {edited} tables edited"
    );
}

fn load(files: &[(String, String)], name: &str) -> (String, Document) {
    let text = files
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, t)| t.clone())
        .unwrap_or_else(|| panic!("{name} missing"));
    let doc = Document::parse(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
    (text, doc)
}

#[test]
fn record_databases_update_one_record_in_one_line() {
    for source in sources() {
        update_one_record_of_each_database(&source);
    }
}

fn update_one_record_of_each_database(source: &Source) {
    let files = files_of(source);
    for &(file, table, key_column, key, column, new) in source.facts.record_edits {
        let new = Value::from(new);
        let (text, mut doc) = load(&files, file);
        let found = doc
            .table_mut(table)
            .unwrap()
            .update_row_where(key_column, key, |row| {
                row.insert(column, new.clone());
            })
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        assert!(found, "{file}: no row {key}");
        let changed = changed_lines(&text, doc.as_str());
        assert_eq!(changed.len(), 1, "{file}");
        let line = doc.as_str().split('\n').nth(changed[0]).unwrap();
        let old_line = text.split('\n').nth(changed[0]).unwrap();
        eprintln!("{file}:\n  - {old_line}\n  + {line}");
        let edited = doc.table(table).unwrap();
        let key_index = edited.column_index(key_column).unwrap();
        let row = edited
            .rows
            .iter()
            .position(|r| r[key_index].text().unwrap() == key)
            .unwrap();
        assert_eq!(edited.cell(row, column), Some(&new), "{file}");
        // Nothing else in the data changed.
        let mut expected = sdn_codec::parse(&text).unwrap();
        let t = expected
            .get_mut(table)
            .and_then(Value::as_table_mut)
            .unwrap();
        let c = t.column_index(column).unwrap();
        t.rows[row][c] = new.clone();
        assert_eq!(doc.value(), &expected, "{file}");
    }
}
