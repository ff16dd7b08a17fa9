//! Compatibility with the baseline design record-store replaces: files its writer wrote
//! load, and files record-store writes stay readable by the baseline's table reader. The
//! baseline crate is not published, so this lives here rather than in record-store's own
//! tests (which must build from the packaged crate alone).

use std::fs;

use record_store::{Error, Store};

// The tracking record types are defined once, in record-store's `tracking` example.
#[path = "../../crates/record-store/examples/tracking/records.rs"]
#[allow(dead_code)]
mod records;
use records::Todo;

type TestResult = Result<(), Box<dyn std::error::Error>>;

impl baseline::phase3::BaselineRecord for Todo {
    const TABLE: &'static str = "todos";
    const COLUMNS: &'static [&'static str] = &[
        "id",
        "keyword",
        "area",
        "priority",
        "description",
        "file",
        "line",
        "issue",
        "blocked",
        "status",
        "valid",
    ];
    fn key(&self) -> String {
        self.id.to_string()
    }
    fn to_row(&self) -> Vec<String> {
        vec![
            self.id.to_string(),
            self.keyword.clone(),
            self.area.clone(),
            self.priority.clone(),
            self.description.clone(),
            self.file.clone(),
            self.line.map(|l| l.to_string()).unwrap_or_default(),
            self.issue.clone(),
            self.blocked.clone(),
            self.status.clone(),
            self.valid.to_string(),
        ]
    }
    fn from_row(row: &[String]) -> Option<Self> {
        Some(Todo {
            id: row.first()?.parse().ok()?,
            keyword: row.get(1)?.clone(),
            area: row.get(2)?.clone(),
            priority: row.get(3)?.clone(),
            description: row.get(4)?.clone(),
            file: row.get(5)?.clone(),
            line: row.get(6)?.parse().ok(),
            issue: row.get(7)?.clone(),
            blocked: row.get(8)?.clone(),
            status: row.get(9)?.clone(),
            valid: row.get(10)? == "true",
        })
    }
}

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
fn p3_files_written_by_baseline_writer_still_load() -> TestResult {
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
