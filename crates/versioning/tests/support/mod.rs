//! Record types and helpers shared by the versioning integration tests.
#![allow(dead_code)]

use std::path::Path;

use record_store::Record;
use serde::{Deserialize, Serialize};
use versioning::{ManualClock, Options, VersionedStore, WriterId};

/// The baseline's scenario record: `todo-1` with a status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Todo {
    pub id: String,
    pub title: String,
    pub status: String,
    #[serde(default)]
    pub owner: String,
}

impl Record for Todo {
    const TABLE: &'static str = "todos";
    type Key = String;
    fn key(&self) -> String {
        self.id.clone()
    }
}

pub fn todo(id: &str, status: &str) -> Todo {
    Todo {
        id: id.into(),
        title: format!("title of {id}"),
        status: status.into(),
        owner: String::new(),
    }
}

/// `record` with another status.
pub fn with_status(record: &Todo, status: &str) -> Todo {
    Todo {
        status: status.into(),
        ..record.clone()
    }
}

/// `record` with another owner.
pub fn with_owner(record: &Todo, owner: &str) -> Todo {
    Todo {
        owner: owner.into(),
        ..record.clone()
    }
}

/// 2025-12-01T14:40:00Z.
pub const T0: u64 = 1_764_600_000_000;

/// A store for `writer` on a manual clock at `ms`.
pub fn open_at(path: &Path, writer: &str, clock: &ManualClock) -> VersionedStore {
    VersionedStore::open(
        path,
        Options::new(WriterId::new(writer).unwrap()).clock(clock.clone()),
    )
    .unwrap()
}

/// Line numbers (1-based) where two texts differ; panics when line counts differ.
pub fn changed_lines(before: &str, after: &str) -> Vec<usize> {
    let (a, b): (Vec<&str>, Vec<&str>) = (before.lines().collect(), after.lines().collect());
    assert_eq!(
        a.len(),
        b.len(),
        "line count changed:\n{before}\n---\n{after}"
    );
    a.iter()
        .zip(&b)
        .enumerate()
        .filter(|(_, (x, y))| x != y)
        .map(|(i, _)| i + 1)
        .collect()
}

/// The todo record with the version columns as fields, for plain record-store
/// transactions through a versioned store (its hook stamps them).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Versioned {
    pub id: String,
    pub title: String,
    pub status: String,
    #[serde(default)]
    pub owner: String,
    #[serde(default)]
    pub version: u64,
    #[serde(default)]
    pub last_modified: String,
    #[serde(default)]
    pub deleted: String,
}

impl Versioned {
    pub fn new(id: &str) -> Self {
        let todo = todo(id, "open");
        Versioned {
            id: todo.id,
            title: todo.title,
            status: todo.status,
            owner: todo.owner,
            version: 0,
            last_modified: String::new(),
            deleted: String::new(),
        }
    }
}

impl Record for Versioned {
    const TABLE: &'static str = "todos";
    type Key = String;
    fn key(&self) -> String {
        self.id.clone()
    }
}

/// The key of the `Todo` with id `id`.
pub fn key(id: &str) -> String {
    id.to_owned()
}
