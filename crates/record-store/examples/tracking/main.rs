//! The three tracking databases of the baseline (todo, feature, task) as record types,
//! opened through one generic store.
//!
//! ```text
//! cargo run -p recfiles-record-store --example tracking -- doc/todo/todo_db.sdn doc/feature/feature_db.sdn doc/task/task_db.sdn
//! ```
//!
//! Prints how many records each file holds and, with `--close-todo <id>`, marks a TODO
//! done in one durable transaction (a one-line diff of the file).

mod records;

use std::path::PathBuf;

use record_store::{Record, Store};

pub use records::{Feature, Task, Todo};

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
