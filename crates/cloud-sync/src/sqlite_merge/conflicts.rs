//! Conflicts: what the merge reports for each one, and how they are recorded in the
//! merged database's [`CONFLICTS_TABLE`].

use serde::Serialize;

use super::{Applied, TableMerger, sqlite_error};
use crate::error::Error;
use crate::sqlite_rows::{Row, TableSchema};

/// The table every merge records its conflicts in.
pub const CONFLICTS_TABLE: &str = "cloud_sync_conflicts";

const CONFLICTS_SQL: &str = "CREATE TABLE IF NOT EXISTS cloud_sync_conflicts(\
    id TEXT PRIMARY KEY, detected_at TEXT NOT NULL, cloud_head TEXT NOT NULL, \
    table_name TEXT NOT NULL, row_key TEXT, column_name TEXT, \
    base_value, local_value, cloud_value, outcome TEXT NOT NULL)";

/// What was done with one conflict.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ConflictOutcome {
    /// Left open: the local value stays, the cloud value is in the conflicts table.
    Kept,
    /// The local value was taken.
    TookLocal,
    /// The cloud value was taken.
    TookCloud,
    /// (Table without a primary key) the local rows stayed, the cloud rows were copied
    /// into this table.
    CopiedCloud(String),
    /// (Table dropped on one side and changed on the other) the table stays, with the
    /// changed side's definition and rows; the drop was not applied. Open: drop the
    /// table again once its rows are dealt with.
    KeptTable,
}

impl ConflictOutcome {
    /// Whether the conflict is left for a person to settle ([`Kept`](Self::Kept) or
    /// [`KeptTable`](Self::KeptTable)).
    pub fn is_open(&self) -> bool {
        matches!(self, ConflictOutcome::Kept | ConflictOutcome::KeptTable)
    }

    fn word(&self) -> &'static str {
        match self {
            ConflictOutcome::Kept => "kept",
            ConflictOutcome::TookLocal => "took_local",
            ConflictOutcome::TookCloud => "took_cloud",
            ConflictOutcome::CopiedCloud(_) => "copied_cloud",
            ConflictOutcome::KeptTable => "kept_table",
        }
    }
}

/// One conflict the merge found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RowConflict {
    /// The table.
    pub table: String,
    /// The row's primary key as text (`None`: a whole table, without a primary key or
    /// dropped on one side).
    pub key: Option<String>,
    /// The column both sides changed (`None`: the whole row or table).
    pub column: Option<String>,
    /// The base value (`None`: absent, e.g. inserted on both sides).
    pub base: Option<String>,
    /// The local value (`None`: deleted locally, or the table dropped locally).
    pub local: Option<String>,
    /// The cloud value (`None`: deleted on the remote, or the table dropped there).
    pub cloud: Option<String>,
    /// What was done.
    pub outcome: ConflictOutcome,
}

/// A row as `column=value, ...` for the conflicts table.
pub(super) fn row_text(schema: &TableSchema, row: &Row) -> String {
    schema
        .columns
        .iter()
        .zip(row)
        .map(|(column, cell)| format!("{column}={}", cell.text()))
        .collect::<Vec<_>>()
        .join(", ")
}

impl TableMerger<'_> {
    pub(super) fn record(&mut self, conflict: RowConflict) {
        self.applied.conflicts.push(conflict);
    }

    /// Writes every conflict into the conflicts table; returns what was applied.
    ///
    /// A conflict's id is derived from the cloud head, table, key and column, and a row
    /// already there is left alone: a merge repeated because the process died after its
    /// commit and before the sync state was saved finds the same conflicts and records
    /// them once.
    pub(super) fn finish(mut self) -> Result<Applied, Error> {
        if self.applied.conflicts.is_empty() {
            return Ok(self.applied);
        }
        let error = sqlite_error(self.context.path);
        self.tx.execute_batch(CONFLICTS_SQL).map_err(&error)?;
        let detected_at = chrono::Utc::now().to_rfc3339();
        let mut insert = self
            .tx
            .prepare(
                "INSERT OR IGNORE INTO cloud_sync_conflicts(id, detected_at, cloud_head, table_name, row_key, \
                 column_name, base_value, local_value, cloud_value, outcome) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )
            .map_err(&error)?;
        for conflict in &self.applied.conflicts {
            let outcome = match &conflict.outcome {
                ConflictOutcome::CopiedCloud(table) => format!("copied_cloud:{table}"),
                other => other.word().to_owned(),
            };
            insert
                .execute(rusqlite::params![
                    conflict_id(self.context.head, conflict),
                    detected_at,
                    self.context.head,
                    conflict.table,
                    conflict.key,
                    conflict.column,
                    conflict.base,
                    conflict.local,
                    conflict.cloud,
                    outcome,
                ])
                .map_err(&error)?;
        }
        drop(insert);
        self.applied.differs_from_theirs = true;
        Ok(self.applied)
    }
}

/// The conflict's id: the same conflict found again in the same cloud head has the same
/// id (the first 32 hex digits of a sha256 over head, table, key and column).
fn conflict_id(head: &str, conflict: &RowConflict) -> String {
    let mut identity = Vec::new();
    for part in [
        Some(head),
        Some(conflict.table.as_str()),
        conflict.key.as_deref(),
        conflict.column.as_deref(),
    ] {
        // A marker byte per part keeps `None` apart from `Some("")`, and the length
        // keeps parts from running into each other.
        match part {
            None => identity.push(0),
            Some(text) => {
                identity.push(1);
                identity.extend_from_slice(&(text.len() as u64).to_le_bytes());
                identity.extend_from_slice(text.as_bytes());
            }
        }
    }
    let mut id = crate::digest::sha256_hex(&identity);
    id.truncate(32);
    id
}
