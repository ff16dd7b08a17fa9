//! One table's own merge choice for a SQLite database: `--table NAME=STRATEGY` on `init`
//! (kept in the configuration's `tables`, used by every push and pull) and on `pull`
//! (for that pull, over the configured one).

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use clap::ValueEnum;
use cloud_sync::sqlite_merge::{FieldFallback, RowStrategy, SqliteMergeOptions, UnkeyedTables};
use serde::{Deserialize, Serialize};

/// What `--prefer` (and, after `merge:`, `--field-conflicts`) would say for the whole
/// database, said for one table: `cloud`, `merge`, `merge:local`, ...
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TableChoice {
    prefer: PreferArg,
    /// Only with `merge`; `None`: the pull's --field-conflicts.
    field: Option<FieldArg>,
}

impl TableChoice {
    /// The table's row strategy and its choice when it has no primary key, as `--prefer`
    /// maps them for the whole database.
    fn settings(self, field: FieldArg) -> (RowStrategy, UnkeyedTables) {
        prefer_settings(self.prefer, self.field.unwrap_or(field))
    }
}

/// `--prefer` and `--field-conflicts` as merge settings: `merge` combines fields and keeps
/// both versions of a keyless table, `local`/`cloud` take that side for rows and keyless
/// tables, `last-write-wins` and `error` apply to rows (keyless tables keep both).
pub fn prefer_settings(prefer: PreferArg, field: FieldArg) -> (RowStrategy, UnkeyedTables) {
    let fallback = match field {
        FieldArg::Keep => FieldFallback::Keep,
        FieldArg::Local => FieldFallback::PreferLocal,
        FieldArg::Cloud => FieldFallback::PreferCloud,
        FieldArg::LastWriteWins => FieldFallback::LastWriteWins,
        FieldArg::Error => FieldFallback::Error,
    };
    match prefer {
        PreferArg::Merge => (RowStrategy::Merge(fallback), UnkeyedTables::KeepBoth),
        PreferArg::Local => (RowStrategy::PreferLocal, UnkeyedTables::UseLocal),
        PreferArg::Cloud => (RowStrategy::PreferCloud, UnkeyedTables::UseCloud),
        PreferArg::LastWriteWins => (RowStrategy::LastWriteWins, UnkeyedTables::KeepBoth),
        PreferArg::Error => (RowStrategy::Error, UnkeyedTables::KeepBoth),
    }
}

/// The merge options of a pull or push: `prefer`, `field` and `no_key` for the whole
/// database, then each table's choice (the configured ones first, so a later entry for
/// the same table, from the command line, wins).
pub fn merge_options<'a>(
    prefer: PreferArg,
    field: FieldArg,
    no_key: Option<NoKeyArg>,
    tables: impl IntoIterator<Item = (&'a String, &'a TableChoice)>,
) -> SqliteMergeOptions {
    let (strategy, unkeyed) = prefer_settings(prefer, field);
    let unkeyed = match no_key {
        Some(NoKeyArg::KeepBoth) => UnkeyedTables::KeepBoth,
        Some(NoKeyArg::Local) => UnkeyedTables::UseLocal,
        Some(NoKeyArg::Cloud) => UnkeyedTables::UseCloud,
        None => unkeyed,
    };
    let mut options = SqliteMergeOptions::new(strategy).with_unkeyed(unkeyed);
    for (table, choice) in tables {
        let (strategy, unkeyed) = choice.settings(field);
        options = options
            .with_table_strategy(table.clone(), strategy)
            .with_table_unkeyed(table.clone(), unkeyed);
    }
    options
}

/// Each table's choice as text, for `--json` output.
pub fn choices_json<'a>(
    tables: impl IntoIterator<Item = (&'a String, &'a TableChoice)>,
) -> BTreeMap<String, String> {
    tables
        .into_iter()
        .map(|(table, choice)| (table.clone(), choice.to_string()))
        .collect()
}

fn name<T: ValueEnum>(value: &T) -> String {
    value
        .to_possible_value()
        .map(|v| v.get_name().to_owned())
        .unwrap_or_default()
}

impl fmt::Display for TableChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&name(&self.prefer))?;
        if let Some(field) = &self.field {
            write!(f, ":{}", name(field))?;
        }
        Ok(())
    }
}

impl FromStr for TableChoice {
    type Err = String;

    fn from_str(text: &str) -> Result<TableChoice, String> {
        let words = |values: &[String]| values.join(", ");
        let prefers: Vec<String> = PreferArg::value_variants().iter().map(name).collect();
        let fields: Vec<String> = FieldArg::value_variants().iter().map(name).collect();
        let (prefer, field) = match text.split_once(':') {
            Some((prefer, field)) => (prefer, Some(field)),
            None => (text, None),
        };
        let prefer = PreferArg::from_str(prefer, false)
            .map_err(|_| format!("`{prefer}` is not one of {}", words(&prefers)))?;
        let field = match field {
            None => None,
            Some(_) if prefer != PreferArg::Merge => {
                return Err(format!(
                    "`{text}`: only `merge` takes a field choice (merge:{})",
                    fields.join("|")
                ));
            }
            Some(field) => Some(
                FieldArg::from_str(field, false)
                    .map_err(|_| format!("`{field}` is not one of {}", words(&fields)))?,
            ),
        };
        Ok(TableChoice { prefer, field })
    }
}

impl TryFrom<String> for TableChoice {
    type Error = String;

    fn try_from(text: String) -> Result<TableChoice, String> {
        text.parse()
    }
}

impl From<TableChoice> for String {
    fn from(choice: TableChoice) -> String {
        choice.to_string()
    }
}

/// `NAME=STRATEGY` (clap's value parser for `--table`). The name is everything before
/// the last `=`, so a table name may hold one.
pub fn parse_table(text: &str) -> Result<(String, TableChoice), String> {
    let (table, choice) = text
        .rsplit_once('=')
        .ok_or_else(|| format!("`{text}` is not NAME=STRATEGY"))?;
    if table.is_empty() {
        return Err(format!("`{text}` names no table"));
    }
    Ok((table.to_owned(), choice.parse()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choices_read_and_print_the_same_words() {
        let (table, choice) = parse_table("a=b=merge:last-write-wins").unwrap();
        assert_eq!(table, "a=b");
        assert_eq!(choice.to_string(), "merge:last-write-wins");
        assert_eq!(
            choice.settings(FieldArg::Keep).0,
            RowStrategy::Merge(FieldFallback::LastWriteWins)
        );
        let cloud: TableChoice = "cloud".parse().unwrap();
        assert_eq!(
            cloud.settings(FieldArg::Keep),
            (RowStrategy::PreferCloud, UnkeyedTables::UseCloud)
        );
        let merge: TableChoice = "merge".parse().unwrap();
        assert_eq!(
            merge.settings(FieldArg::Local).0,
            RowStrategy::Merge(FieldFallback::PreferLocal),
            "plain merge takes the pull's --field-conflicts"
        );
        assert!(
            parse_table("t=cloud:keep")
                .unwrap_err()
                .contains("only `merge`")
        );
        assert!(
            parse_table("t=newest")
                .unwrap_err()
                .contains("last-write-wins")
        );
        assert!(parse_table("cloud").is_err());
        assert!(parse_table("=cloud").is_err());
    }
}

/// The words of `--prefer`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum PreferArg {
    Local,
    Cloud,
    Merge,
    /// SQLite only.
    LastWriteWins,
    /// SQLite only.
    Error,
}

/// The words of `--field-conflicts`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum FieldArg {
    Keep,
    Local,
    Cloud,
    LastWriteWins,
    Error,
}

/// The words of `--no-key`.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum NoKeyArg {
    KeepBoth,
    Local,
    Cloud,
}
