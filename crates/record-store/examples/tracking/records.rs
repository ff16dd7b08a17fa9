//! Record types for the three tracking databases of the baseline design (todo, feature,
//! task). Shared by the `tracking` example, the integration tests and the workspace's
//! benchmark workers, so the column sets are written down once.

use record_store::Record;
use serde::{Deserialize, Serialize};

/// `doc/todo/todo_db.sdn`, table `todos`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Todo {
    /// The key.
    pub id: u32,
    /// `TODO`, `FIXME`, ...
    pub keyword: String,
    /// The subsystem.
    pub area: String,
    /// `P0` to `P3`.
    pub priority: String,
    /// Free text (often with commas, hence quoted).
    pub description: String,
    /// The source file the TODO is in.
    pub file: String,
    /// The line in that file.
    pub line: Option<u32>,
    /// An issue reference, often empty.
    #[serde(default)]
    pub issue: String,
    /// What blocks it, often empty.
    #[serde(default)]
    pub blocked: String,
    /// `open`, `done`, ...
    pub status: String,
    /// Whether the TODO still matches the source.
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
