//! The schema rules of a merge (see the module docs of [`crate::sqlite_merge`]): which
//! columns a table changed on one or both sides gains, and what is refused.

use super::definition::{Column, Definition};
use crate::error::{SchemaDivergence, SchemaSide};

/// The columns `side` added to `base`, in `side`'s order, when `side` is `base` plus
/// extra columns: every column of the base still there with the same declaration and in
/// the same order, the same table constraints, and no new key column.
pub(super) fn additions<'a>(
    base: &Definition,
    side: &'a Definition,
    which: SchemaSide,
) -> Result<Vec<&'a Column>, SchemaDivergence> {
    let mut last = None;
    for column in &base.columns {
        let Some(position) = side.columns.iter().position(|c| c.name == column.name) else {
            return Err(SchemaDivergence::ColumnDropped {
                column: column.name.clone(),
                side: which,
            });
        };
        let now = &side.columns[position];
        if now.key_position() != column.key_position() {
            return Err(SchemaDivergence::PrimaryKeyChanged { side: which });
        }
        if now != column {
            return Err(SchemaDivergence::ColumnChanged {
                column: column.name.clone(),
                side: which,
            });
        }
        if last.is_some_and(|last| position < last) {
            return Err(SchemaDivergence::ColumnsReordered { side: which });
        }
        last = Some(position);
    }
    if base.constraints != side.constraints {
        return Err(SchemaDivergence::TableConstraintsChanged { side: which });
    }
    let added: Vec<&Column> = side
        .columns
        .iter()
        .filter(|c| base.column(&c.name).is_none())
        .collect();
    if added.iter().any(|c| c.key_position() > 0) {
        return Err(SchemaDivergence::PrimaryKeyChanged { side: which });
    }
    Ok(added)
}

/// The columns of `theirs` the live table (`ours`) must gain, in `theirs`' order, so
/// that it holds the union of both sides' columns; refused when the two definitions
/// cannot be united without guessing.
pub(super) fn to_add<'a>(
    base: Option<&Definition>,
    ours: &Definition,
    theirs: &'a Definition,
) -> Result<Vec<&'a Column>, SchemaDivergence> {
    if ours == theirs {
        return Ok(Vec::new());
    }
    let Some(base) = base else {
        return Err(SchemaDivergence::DefinitionsDiffer);
    };
    let ours_added = additions(base, ours, SchemaSide::Local)?;
    let theirs_added = additions(base, theirs, SchemaSide::Remote)?;
    let mut missing = Vec::new();
    for column in theirs_added {
        match ours_added.iter().find(|c| c.name == column.name) {
            Some(same) if *same == column => {}
            Some(_) => {
                return Err(SchemaDivergence::ColumnAddedDifferently {
                    column: column.name.clone(),
                });
            }
            None => missing.push(column),
        }
    }
    Ok(missing)
}
