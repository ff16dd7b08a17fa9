//! Addresses of values in a document: dict keys, array items and table rows.
//!
//! `server.port`, `"a.b".c` (quoted keys), `ports.1` (array item), `tasks.0.status`
//! (row by position, then column), `tasks[id=T-1].status` (row by the text of a key
//! column). A number names an array item or a table row where the value is an array or
//! a table, and a key where it is a dict.

use sdn_codec::{Document, KeyPath, Table, Value};

/// One step of an address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// A dict key, or (when all digits) a position in an array or table.
    Key(String),
    /// `[column=key]`: the table row whose `column` cell reads as `key`.
    Select { column: String, key: String },
}

/// Reads an address; the error says what is wrong with it.
pub fn parse(path: &str) -> Result<Vec<Step>, String> {
    let bad = |why: &str| format!("invalid path `{path}`: {why}");
    let mut steps = Vec::new();
    let mut chars = path.chars().peekable();
    loop {
        // One key (quoted or plain), then any `[column=key]` selectors.
        let key = if chars.peek() == Some(&'"') {
            // The quoted key up to its closing quote, decoded by the library's path rules.
            let mut literal = String::from(chars.next().unwrap_or('"'));
            let mut escaped = false;
            loop {
                let c = chars.next().ok_or_else(|| bad("unterminated quoted key"))?;
                literal.push(c);
                match c {
                    '\\' if !escaped => escaped = true,
                    '"' if !escaped => break,
                    _ => escaped = false,
                }
            }
            let keys = literal.to_keys().map_err(|e| e.message().to_owned())?;
            keys.concat()
        } else {
            let mut key = String::new();
            while let Some(&c) = chars.peek() {
                if c == '.' || c == '[' {
                    break;
                }
                key.push(c);
                chars.next();
            }
            if key.is_empty() {
                return Err(bad("empty key"));
            }
            key
        };
        steps.push(Step::Key(key));
        while chars.peek() == Some(&'[') {
            chars.next();
            let inner: String = chars.by_ref().take_while(|&c| c != ']').collect();
            let Some((column, key)) = inner.split_once('=') else {
                return Err(bad("a row selector is `[column=key]`"));
            };
            if column.is_empty() {
                return Err(bad("a row selector needs a column: `[column=key]`"));
            }
            steps.push(Step::Select {
                column: column.to_owned(),
                key: key.to_owned(),
            });
        }
        match chars.next() {
            None => return Ok(steps),
            Some('.') => {}
            Some(c) => return Err(bad(&format!("unexpected `{c}` after a key"))),
        }
    }
}

/// The position `step` names in a list of `len` items (an array or a table's rows).
fn position(step: &Step, len: usize, what: &str, table: Option<&Table>) -> Result<usize, String> {
    let index = match (step, table) {
        (Step::Key(k), _) => k.parse::<usize>().map_err(|_| {
            format!("`{k}` is not a position; {what} is addressed by number, counting from 0")
        })?,
        (Step::Select { column, key }, Some(table)) => table
            .find_row(column, key)
            .map_err(|e| e.message().to_owned())?
            .ok_or_else(|| format!("no row has `{column}` = `{key}`"))?,
        (Step::Select { .. }, None) => {
            return Err(format!("{what} has no rows to select with `[column=key]`"));
        }
    };
    if index >= len {
        return Err(format!(
            "no item {index}: {what} has {len} (counting from 0)"
        ));
    }
    Ok(index)
}

fn describe(steps: &[Step]) -> String {
    let mut out = String::new();
    for step in steps {
        match step {
            Step::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Step::Select { column, key } => out.push_str(&format!("[{column}={key}]")),
        }
    }
    out
}

/// The value at `steps` under `root` (a row comes back as a dict keyed by column).
pub fn get(root: &Value, steps: &[Step]) -> Result<Value, String> {
    let mut current = root;
    for (i, step) in steps.iter().enumerate() {
        let here = || describe(&steps[..i]);
        current = match current {
            Value::Dict(map) => match step {
                Step::Key(k) => map
                    .get(k)
                    .ok_or_else(|| format!("no entry `{}`", describe(&steps[..=i])))?,
                Step::Select { .. } => return Err(format!("`{}` is a dict, not a table", here())),
            },
            Value::Array(items) => &items[position(step, items.len(), "an array", None)?],
            Value::Table(table) => {
                let row = position(step, table.rows.len(), "the table's row list", Some(table))?;
                match steps.get(i + 1) {
                    None => return Ok(Value::Dict(table.row_map(row).unwrap_or_default())),
                    Some(Step::Key(column)) => {
                        let col = table.column_index(column).ok_or_else(|| {
                            format!("table `{}` has no column `{column}`", here())
                        })?;
                        return get(&table.rows[row][col], &steps[i + 2..]);
                    }
                    Some(Step::Select { .. }) => {
                        return Err("a row is followed by a column name".to_owned());
                    }
                }
            }
            Value::Scalar(_) => {
                return Err(format!(
                    "`{}` is {}, which has no entries",
                    here(),
                    current.kind_with_article()
                ));
            }
        };
    }
    Ok(current.clone())
}

/// Sets the value at `steps` in `doc`, keeping the rest of its text: dict entries with
/// [`Document::set`] (missing dicts are created), table cells with a row edit, array
/// items by setting their array.
pub fn set(doc: &mut Document, steps: &[Step], value: Value) -> Result<(), String> {
    let mut keys: Vec<String> = Vec::new();
    let mut current = doc.value();
    let mut rest = steps;
    while let (Some(Step::Key(k)), Value::Dict(map)) = (rest.first(), current) {
        keys.push(k.clone());
        rest = &rest[1..];
        match map.get(k) {
            Some(next) => current = next,
            None => {
                // A new entry: every remaining step must be a key (dicts are created).
                let more = rest.iter().map(|s| match s {
                    Step::Key(k) => Ok(k.clone()),
                    Step::Select { .. } => Err(format!(
                        "no table `{}` to select a row in",
                        describe(&steps[..steps.len() - rest.len()])
                    )),
                });
                keys.extend(more.collect::<Result<Vec<_>, _>>()?);
                return doc.set(keys, value).map_err(|e| e.message().to_owned());
            }
        }
    }
    if rest.is_empty() {
        return doc.set(keys, value).map_err(|e| e.message().to_owned());
    }
    let here = describe(&steps[..steps.len() - rest.len()]);
    match current {
        Value::Table(table) => {
            let row = position(
                &rest[0],
                table.rows.len(),
                "the table's row list",
                Some(table),
            )?;
            let Some(Step::Key(column)) = rest.get(1) else {
                return Err(format!(
                    "`{here}` is a table: name a cell with a row and a column, e.g. `{here}.0.{}`",
                    table
                        .columns
                        .first()
                        .and_then(|c| c.name.clone())
                        .unwrap_or_else(|| "0".to_owned())
                ));
            };
            let col = table
                .column_index(column)
                .ok_or_else(|| format!("table `{here}` has no column `{column}`"))?;
            let mut cell = table.rows[row][col].clone();
            set_within(&mut cell, &rest[2..], value, &here)?;
            let mut table_mut = doc.table_mut(keys).map_err(|e| e.message().to_owned())?;
            table_mut
                .set_cell(row, column, cell)
                .map_err(|e| e.message().to_owned())
        }
        Value::Array(_) => {
            let mut whole = current.clone();
            set_within(&mut whole, rest, value, &here)?;
            doc.set(keys, whole).map_err(|e| e.message().to_owned())
        }
        other => Err(format!(
            "`{here}` is {}, which has no entries",
            other.kind_with_article()
        )),
    }
}

/// Replaces the value at `steps` inside `target` (arrays and inline dicts).
fn set_within(target: &mut Value, steps: &[Step], value: Value, here: &str) -> Result<(), String> {
    let Some((step, rest)) = steps.split_first() else {
        *target = value;
        return Ok(());
    };
    let kind = target.kind_with_article();
    let next = match target {
        Value::Array(items) => {
            let i = position(step, items.len(), "an array", None)?;
            &mut items[i]
        }
        Value::Dict(map) => match step {
            Step::Key(k) if rest.is_empty() => {
                map.insert(k.clone(), value);
                return Ok(());
            }
            Step::Key(k) => map
                .get_mut(k)
                .ok_or_else(|| format!("no entry `{k}` in `{here}`"))?,
            Step::Select { .. } => return Err(format!("`{here}` is a dict, not a table")),
        },
        _ => return Err(format!("`{here}` is {kind}, which has no entries")),
    };
    set_within(next, rest, value, here)
}
