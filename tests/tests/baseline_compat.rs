//! Compatibility with the baseline design record-store replaces: files its writer wrote
//! load, and files record-store writes stay readable by the baseline's table reader. The
//! baseline crate is not published, so this lives here rather than in record-store's own
//! tests (which must build from the packaged crate alone).

use std::fs;

use record_store::{Error, Store};

// The benchmarks' TODO record type implements both record-store's and the baseline's
// record traits; one definition serves both.
use bench_suite::workers::Todo;

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn sample_todo(id: u32) -> Todo {
    Todo {
        id,
        keyword: "TODO".into(),
        area: "parser".into(),
        priority: "P2".into(),
        description: format!("Handle case {id}, with a comma: and \"quotes\""),
        file: "./src/a.spl".into(),
        line: Some(10 + id),
        issue: String::new(),
        blocked: String::new(),
        status: "open".into(),
        valid: id.is_multiple_of(2),
    }
}

#[test]
fn files_written_by_baseline_writer_still_load() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("todo_db.sdn");
    let mut db = baseline::phase3::Database::<Todo>::load(&path)?;
    let todos: Vec<Todo> = (0..5).map(sample_todo).collect();
    for todo in &todos {
        db.insert(todo.clone());
    }
    db.save()?;

    let store = Store::open(&path)?;
    let loaded = store.read()?.table::<Todo>()?;
    assert_eq!(loaded.iter().cloned().collect::<Vec<_>>(), todos);

    // A record-store save keeps the file readable by the baseline's own table reader
    // (its `Database::load` cannot run here: it treats our never-deleted `.lock`
    // sidecar as a held lock file, one of the baseline's own defects).
    store.update(|tx| {
        tx.table::<Todo>()?
            .get_mut(&3)
            .ok_or(Error::aborted("3"))?
            .status = "done".into();
        Ok::<_, Error>(())
    })?;
    let text = fs::read_to_string(&path)?;
    let table = baseline::table::read_table(&text, "todos")?.ok_or("todos table")?;
    let back: Vec<Todo> = table
        .rows
        .iter()
        .map(|row| <Todo as baseline::phase3::BaselineRecord>::from_row(row).ok_or("row"))
        .collect::<Result<_, _>>()?;
    assert_eq!(back.len(), 5);
    assert_eq!(back[3].status, "done");
    assert_eq!(back[2], todos[2]);
    Ok(())
}
