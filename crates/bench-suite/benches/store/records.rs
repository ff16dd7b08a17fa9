//! The three tracking databases' record types (todo: 150 records, feature: 40, task: 5),
//! each readable by record-store and by the baseline, with sample rows and a status to
//! flip.

use baseline::phase3::BaselineRecord;
use record_store::Record;
use serde::{Deserialize, Serialize};

/// A record type of the tracking databases: columns, rows of text cells, a status to flip.
pub trait Tracked: Record + BaselineRecord {
    const NAME: &'static str;
    const COUNT: usize;
    fn sample(i: usize) -> Self;
    fn id_text(&self) -> String;
    fn flip(&mut self);
}

macro_rules! tracked {
    ($ty:ident, $table:literal, $name:literal, $count:expr, key: $key:ty,
     { $($field:ident : $fty:ty),* $(,)? }) => {
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        pub struct $ty { $(pub $field: $fty),* }

        impl Record for $ty {
            const TABLE: &'static str = $table;
            type Key = $key;
            fn key(&self) -> $key { self.id.clone() }
        }

        impl BaselineRecord for $ty {
            const TABLE: &'static str = $table;
            const COLUMNS: &'static [&'static str] = &[$(stringify!($field)),*];
            fn key(&self) -> String { self.id.to_string() }
            fn to_row(&self) -> Vec<String> { vec![$(self.$field.to_string()),*] }
            fn from_row(row: &[String]) -> Option<Self> {
                let mut cells = row.iter();
                Some($ty { $($field: cells.next()?.parse().ok()?),* })
            }
        }
    };
}

tracked!(Todo, "todos", "todo", 150, key: u32, {
    id: u32, keyword: String, area: String, priority: String, description: String,
    file: String, line: u32, issue: String, blocked: String, status: String, valid: bool,
});
tracked!(Feature, "features", "feature", 40, key: u32, {
    id: u32, category: String, name: String, description: String, spec: String,
    mode_interpreter: String, mode_jit: String, mode_smf_cranelift: String,
    mode_smf_llvm: String, platforms: String, status: String, valid: bool,
});
tracked!(Task, "tasks", "task", 5, key: String, {
    id: String, category: String, name: String, description: String, priority: String,
    status: String, valid: bool,
});

const AREAS: &[&str] = &["parser", "runtime", "gpu", "doc", "test"];

impl Tracked for Todo {
    const NAME: &'static str = "todo";
    const COUNT: usize = 150;
    fn sample(i: usize) -> Self {
        Todo {
            id: i as u32,
            keyword: "TODO".into(),
            area: AREAS[i % AREAS.len()].into(),
            priority: format!("P{}", i % 4),
            description: format!("Add support for case {i} in the checker, with commas, and more"),
            file: format!("src/compiler_rust/lib/std/src/core/module_{i}.spl"),
            line: (i * 7 + 3) as u32,
            issue: String::new(),
            blocked: String::new(),
            status: "open".into(),
            valid: !i.is_multiple_of(3),
        }
    }
    fn id_text(&self) -> String {
        self.id.to_string()
    }
    fn flip(&mut self) {
        self.status = if self.status == "open" {
            "done".into()
        } else {
            "open".into()
        };
    }
}

impl Tracked for Feature {
    const NAME: &'static str = "feature";
    const COUNT: usize = 40;
    fn sample(i: usize) -> Self {
        Feature {
            id: 100 + i as u32,
            category: "Codegen".into(),
            name: format!("Feature number {i}"),
            description: format!(
                "A longer description of feature {i}, which provides fast compilation with good runtime performance."
            ),
            spec: format!("doc/spec/feature_{i}.md"),
            mode_interpreter: "supported".into(),
            mode_jit: "supported".into(),
            mode_smf_cranelift: "supported".into(),
            mode_smf_llvm: "planned".into(),
            platforms: "linux".into(),
            status: "complete".into(),
            valid: true,
        }
    }
    fn id_text(&self) -> String {
        self.id.to_string()
    }
    fn flip(&mut self) {
        self.status = if self.status == "complete" {
            "planned".into()
        } else {
            "complete".into()
        };
    }
}

impl Tracked for Task {
    const NAME: &'static str = "task";
    const COUNT: usize = 5;
    fn sample(i: usize) -> Self {
        Task {
            id: format!("TRACK-{i:03}"),
            category: "tracking".into(),
            name: format!("Task {i}"),
            description: format!("Normalize tracking step {i} around SDN databases"),
            priority: "high".into(),
            status: "in_progress".into(),
            valid: true,
        }
    }
    fn id_text(&self) -> String {
        self.id.clone()
    }
    fn flip(&mut self) {
        self.status = if self.status == "done" {
            "in_progress".into()
        } else {
            "done".into()
        };
    }
}
