//! The three tracking databases of the baseline (todo, feature, task) as record types,
//! opened through one generic store.
//!
//! ```text
//! cargo run -p record-store --example tracking -- doc/todo/todo_db.sdn doc/feature/feature_db.sdn doc/task/task_db.sdn
//! ```
//!
//! Prints how many records each file holds and, with `--close-todo <id>`, marks a TODO
//! done in one durable transaction (a one-line diff of the file).

use std::path::PathBuf;

use record_store::{Record, Store};
use serde::{Deserialize, Serialize};

/// `doc/todo/todo_db.sdn`, table `todos`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Todo {
    pub id: u32,
    pub keyword: String,
    pub area: String,
    pub priority: String,
    pub description: String,
    pub file: String,
    pub line: Option<u32>,
    #[serde(default)]
    pub issue: String,
    #[serde(default)]
    pub blocked: String,
    pub status: String,
    pub valid: bool,
}

impl Record for Todo {
    const TABLE: &'static str = "todos";
    type Key = u32;
    fn key(&self) -> u32 {
        self.id
    }
}

/// `doc/feature/feature_db.sdn`, table `features`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Feature {
    pub id: u32,
    pub category: String,
    pub name: String,
    pub description: String,
    pub spec: String,
    pub mode_interpreter: String,
    pub mode_jit: String,
    pub mode_smf_cranelift: String,
    pub mode_smf_llvm: String,
    #[serde(default)]
    pub platforms: String,
    pub status: String,
    pub valid: bool,
}

impl Record for Feature {
    const TABLE: &'static str = "features";
    type Key = u32;
    fn key(&self) -> u32 {
        self.id
    }
}

/// `doc/08_tracking/task/task_db.sdn`, table `tasks`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Task {
    pub id: String,
    pub category: String,
    pub name: String,
    pub description: String,
    pub priority: String,
    pub status: String,
    pub valid: bool,
}

impl Record for Task {
    const TABLE: &'static str = "tasks";
    type Key = String;
    fn key(&self) -> String {
        self.id.clone()
    }
}

fn count<T: Record>(path: &PathBuf) -> Result<usize, record_store::Error> {
    Ok(Store::open(path)?.read()?.table::<T>()?.len())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let close_todo = match args.iter().position(|a| a == "--close-todo") {
        Some(i) if i + 1 < args.len() => {
            let id: u32 = args[i + 1].parse()?;
            args.drain(i..=i + 1);
            Some(id)
        }
        _ => None,
    };
    let [todo, feature, task] = <[String; 3]>::try_from(args)
        .map_err(|_| "usage: tracking TODO_DB FEATURE_DB TASK_DB [--close-todo ID]")?
        .map(PathBuf::from);
    println!("{}: {} todos", todo.display(), count::<Todo>(&todo)?);
    println!(
        "{}: {} features",
        feature.display(),
        count::<Feature>(&feature)?
    );
    println!("{}: {} tasks", task.display(), count::<Task>(&task)?);
    if let Some(id) = close_todo {
        Store::open(&todo)?.update(|tx| {
            let todo = tx
                .table::<Todo>()?
                .get_mut(&id)
                .ok_or_else(|| record_store::Error::aborted(format!("no TODO {id}")))?;
            todo.status = "done".into();
            Ok::<_, record_store::Error>(())
        })?;
        println!("TODO {id} marked done");
    }
    Ok(())
}
