//! Why a row-level SQLite merge refuses a table's schema change
//! ([`Error::SqliteSchemaDiverged`](crate::Error::SqliteSchemaDiverged)).

use std::fmt;

/// Why a table's schema keeps a row-level SQLite merge from going on
/// ([`Error::SqliteSchemaDiverged`](crate::Error::SqliteSchemaDiverged)). Columns added
/// on one or both sides, tables dropped on one side, and tables only one side changed
/// are merged (see [`crate::sqlite_merge`]); these are the changes, made while both
/// sides changed the table, that have no single answer or that `ALTER TABLE` cannot
/// apply.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SchemaDivergence {
    /// The table has different definitions on the two sides and no common base tells
    /// which side changed it (it was created on both, or no sync state is known).
    DefinitionsDiffer,
    /// A column of the common base is gone (dropped or renamed) on one side.
    ColumnDropped {
        /// The column.
        column: String,
        /// Where it is gone.
        side: SchemaSide,
    },
    /// A column's declaration (type, constraints, default, collation) differs from the
    /// common base's on one side.
    ColumnChanged {
        /// The column.
        column: String,
        /// Where it changed (with several changes, the first side found).
        side: SchemaSide,
    },
    /// Both sides added a column of this name, declared differently.
    ColumnAddedDifferently {
        /// The column.
        column: String,
    },
    /// The primary key changed on one side.
    PrimaryKeyChanged {
        /// Where it changed.
        side: SchemaSide,
    },
    /// The base's columns are in another order on one side.
    ColumnsReordered {
        /// Where.
        side: SchemaSide,
    },
    /// Table constraints (`UNIQUE`, `CHECK`, `FOREIGN KEY`, a table-level `PRIMARY
    /// KEY`) or options (`WITHOUT ROWID`, `STRICT`) changed on one side.
    TableConstraintsChanged {
        /// Where they changed.
        side: SchemaSide,
    },
    /// A column added on the remote cannot be added to the local table with `ALTER TABLE
    /// ADD COLUMN` (`NOT NULL` without a default, `UNIQUE`, a non-constant default, a
    /// stored generated column).
    ColumnNotAddable {
        /// The column.
        column: String,
    },
    /// The definition could not be read column by column (a virtual table, or a
    /// statement this merge does not take apart).
    Unreadable,
    /// An index, trigger or view was created, changed or dropped differently on the two
    /// sides.
    ObjectChangedTwoWays {
        /// The index, trigger or view.
        object: String,
    },
}

/// Which side of a merge made a schema change ([`SchemaDivergence`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SchemaSide {
    /// The local database.
    Local,
    /// The remote head.
    Remote,
}

impl fmt::Display for SchemaSide {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SchemaSide::Local => "locally",
            SchemaSide::Remote => "on the remote",
        })
    }
}

impl fmt::Display for SchemaDivergence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SchemaDivergence::DefinitionsDiffer => f.write_str(
                "its definition differs between local and remote, and no common version says which side changed it",
            ),
            SchemaDivergence::ColumnDropped { column, side } => {
                write!(f, "column `{column}` was dropped or renamed {side}")
            }
            SchemaDivergence::ColumnChanged { column, side } => {
                write!(f, "the declaration of column `{column}` was changed {side}")
            }
            SchemaDivergence::ColumnAddedDifferently { column } => write!(
                f,
                "column `{column}` was added on both sides with different declarations"
            ),
            SchemaDivergence::PrimaryKeyChanged { side } => {
                write!(f, "its primary key was changed {side}")
            }
            SchemaDivergence::ColumnsReordered { side } => {
                write!(f, "its columns were reordered {side}")
            }
            SchemaDivergence::TableConstraintsChanged { side } => {
                write!(f, "its table constraints or options were changed {side}")
            }
            SchemaDivergence::ColumnNotAddable { column } => write!(
                f,
                "column `{column}`, added on the remote, cannot be added here with ALTER TABLE ADD COLUMN"
            ),
            SchemaDivergence::ObjectChangedTwoWays { object } => write!(
                f,
                "`{object}` (an index, trigger or view) was created, changed or dropped differently on the two sides"
            ),
            SchemaDivergence::Unreadable => {
                f.write_str("its definition differs between local and remote and cannot be compared column by column")
            }
        }
    }
}
