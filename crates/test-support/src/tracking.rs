//! The serde record types of the tracking databases (a todo, a feature and a task
//! database), with their real column sets: what the codec's serde tests read the corpus
//! into and what the benchmarks compare with serde_json.

use serde::{Deserialize, Serialize};

/// A todo's or task's state, written as a plain word (`in_progress`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// `open`.
    Open,
    /// `in_progress`.
    InProgress,
    /// `done`.
    Done,
    /// `complete`.
    Complete,
}

/// A row of table `todos`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Todo {
    /// The key.
    pub id: u64,
    /// `TODO`, `FIXME`, ...
    pub keyword: String,
    /// The subsystem.
    pub area: String,
    /// `P0` to `P3`.
    pub priority: String,
    /// Free text, often with commas and quotes.
    pub description: String,
    /// The source file the todo is in.
    pub file: String,
    /// The line in that file.
    pub line: u32,
    /// An issue reference; `Some("")` for a quoted empty cell, `None` for an empty one.
    pub issue: Option<String>,
    /// What blocks it.
    pub blocked: Option<String>,
    /// Its state.
    pub status: Status,
    /// Whether the todo still matches the source.
    pub valid: bool,
}

impl Todo {
    /// An open todo with `id` and `description` and fixed other columns.
    pub fn sample(id: u64, description: &str) -> Todo {
        Todo {
            id,
            keyword: "TODO".into(),
            area: "parser".into(),
            priority: "P2".into(),
            description: description.into(),
            file: "src/compiler/a.spl".into(),
            line: 492,
            issue: None,
            blocked: None,
            status: Status::Open,
            valid: false,
        }
    }
}

/// A todo database: one table, `todos`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TodoDb {
    /// Table `todos`.
    pub todos: Vec<Todo>,
}

/// How far a feature is supported in one execution mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// `supported`.
    Supported,
    /// `partial`.
    Partial,
    /// `unsupported`.
    Unsupported,
}

/// A row of table `features`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Feature {
    /// The key.
    pub id: String,
    /// Its group.
    pub category: String,
    /// Short name.
    pub name: String,
    /// Free text.
    pub description: String,
    /// A path to its specification, often with a `#fragment`.
    pub spec: String,
    /// Support in the interpreter.
    pub mode_interpreter: Mode,
    /// Support in the JIT.
    pub mode_jit: Mode,
    /// Support in the Cranelift back end.
    pub mode_smf_cranelift: Mode,
    /// Support in the LLVM back end.
    pub mode_smf_llvm: Mode,
    /// Platforms it is limited to, if any.
    pub platforms: Option<String>,
    /// Its state.
    pub status: Status,
    /// Whether the row is still current.
    pub valid: bool,
}

/// A feature database: one table, `features`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureDb {
    /// Table `features`.
    pub features: Vec<Feature>,
}

/// A row of table `tasks`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Task {
    /// The key.
    pub id: String,
    /// Its group.
    pub category: String,
    /// Short name.
    pub name: String,
    /// Free text.
    pub description: String,
    /// `P0` to `P3`.
    pub priority: String,
    /// Its state.
    pub status: Status,
    /// Whether the row is still current.
    pub valid: bool,
}

/// A task database: one table, `tasks`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskDb {
    /// Table `tasks`.
    pub tasks: Vec<Task>,
}
