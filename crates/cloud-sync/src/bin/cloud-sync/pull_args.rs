//! The flags of `pull`, shared by SDN stores and SQLite databases.

use crate::table_choice::{FieldArg, NoKeyArg, PreferArg, TableChoice, parse_table};

#[derive(Debug, clap::Args)]
pub struct PullArgs {
    /// When local and remote both changed: merge record by record (fields changed two
    /// ways are kept as conflicts), keep local (pushed next; the remote version stays a
    /// backup), or take the cloud copy (local content is backed up first).
    /// For SQLite databases the choice is per row: `merge` combines the columns each
    /// side changed (a column changed two ways goes to --field-conflicts), `local`,
    /// `cloud` and `last-write-wins` take whole rows, `error` refuses.
    #[arg(long, value_enum, default_value_t = PreferArg::Merge)]
    pub prefer: PreferArg,
    /// (SQLite, --prefer merge) a column both sides changed: keep the local value and
    /// record both in the cloud_sync_conflicts table, or take local, cloud, the later
    /// writer's, or refuse.
    #[arg(long, value_enum, default_value_t = FieldArg::Keep)]
    pub field_conflicts: FieldArg,
    /// (SQLite) a table without a primary key changed on both sides: keep the local rows
    /// plus a conflict copy of the cloud rows, or use one side [default: keep-both with
    /// --prefer merge, else the side --prefer names].
    #[arg(long, value_enum)]
    pub no_key: Option<NoKeyArg>,
    /// (SQLite) one table's own choice, over --prefer, --field-conflicts, --no-key and
    /// the configured `tables`: NAME=merge|local|cloud|last-write-wins|error, with
    /// merge:FIELD (FIELD a --field-conflicts value) for that table's field fallback.
    /// Repeatable.
    #[arg(long = "table", value_name = "NAME=STRATEGY", value_parser = parse_table)]
    pub tables: Vec<(String, TableChoice)>,
}
