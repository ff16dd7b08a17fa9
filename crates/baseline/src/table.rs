//! The baseline's own small SDN table reader and writer.
//!
//! It understands one shape only: a header `name |col1, col2|` followed by rows indented
//! deeper, cells separated by commas, a cell either plain text or a double-quoted string.
//! Everything else in the file (other tables, comments, config blocks) is skipped on read
//! and therefore lost on save, as in the original. It is deliberately not `sdn-codec`.

use std::io;

/// One table read from a file: its name, its header and its rows of cells, all strings.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Table {
    /// The table's name (the word before the first `|`).
    pub name: String,
    /// Column names from the header, in file order.
    pub columns: Vec<String>,
    /// Rows of cells, in file order; cells are unquoted.
    pub rows: Vec<Vec<String>>,
}

/// Reads the table called `name` from `text`; `Ok(None)` when there is no such table.
///
/// ```
/// let text = "todos |id, title|\n    1, \"Fix parser\"\n    2, Write docs\n";
/// let table = baseline::table::read_table(text, "todos")?.unwrap();
/// assert_eq!(table.columns, ["id", "title"]);
/// assert_eq!(table.rows[1], ["2", "Write docs"]);
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn read_table(text: &str, name: &str) -> io::Result<Option<Table>> {
    let mut lines = text.lines().enumerate().peekable();
    while let Some((_, line)) = lines.next() {
        let Some((table_name, columns)) = parse_header(line) else {
            continue;
        };
        if table_name != name {
            continue;
        }
        let header_indent = indent_of(line);
        let mut table = Table {
            name: table_name,
            columns,
            rows: Vec::new(),
        };
        while let Some((index, row)) = lines.peek().copied() {
            if row.trim().is_empty() || indent_of(row) <= header_indent {
                break;
            }
            lines.next();
            let cells = split_cells(row.trim()).map_err(|message| {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("line {}: {message}", index + 1),
                )
            })?;
            table.rows.push(cells);
        }
        return Ok(Some(table));
    }
    Ok(None)
}

/// Writes one table in the baseline's layout: header, then 4-space indented rows.
///
/// ```
/// let text = baseline::table::write_table("t", &["a", "b"], &[vec!["1".into(), "x, y".into()]]);
/// assert_eq!(text, "t |a, b|\n    1, \"x, y\"\n");
/// ```
pub fn write_table(name: &str, columns: &[&str], rows: &[Vec<String>]) -> String {
    let mut out = format!("{name} |{}|\n", columns.join(", "));
    for row in rows {
        out.push_str("    ");
        let cells: Vec<String> = row.iter().map(|cell| quote_if_needed(cell)).collect();
        out.push_str(&cells.join(", "));
        out.push('\n');
    }
    out
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

fn parse_header(line: &str) -> Option<(String, Vec<String>)> {
    let trimmed = line.trim();
    let (name, rest) = trimmed.split_once('|')?;
    let columns = rest.strip_suffix('|')?;
    let name = name.trim();
    if name.is_empty() || name.contains(char::is_whitespace) {
        return None;
    }
    let columns = columns
        .split(',')
        .map(|column| column.trim().to_string())
        .collect();
    Some((name.to_string(), columns))
}

fn split_cells(row: &str) -> Result<Vec<String>, String> {
    let mut cells = Vec::new();
    let mut chars = row.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| *c == ' ') {
            chars.next();
        }
        let mut cell = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            let mut closed = false;
            while let Some(c) = chars.next() {
                match c {
                    '"' => {
                        closed = true;
                        break;
                    }
                    '\\' => match chars.next() {
                        Some('n') => cell.push('\n'),
                        Some('t') => cell.push('\t'),
                        Some(other) => cell.push(other),
                        None => return Err("backslash at end of row".to_string()),
                    },
                    other => cell.push(other),
                }
            }
            if !closed {
                return Err("unterminated quote".to_string());
            }
            while chars.peek().is_some_and(|c| *c != ',') {
                chars.next();
            }
        } else {
            while let Some(c) = chars.peek().copied() {
                if c == ',' {
                    break;
                }
                cell.push(c);
                chars.next();
            }
            cell = cell.trim().to_string();
        }
        cells.push(cell);
        if chars.next().is_none() {
            return Ok(cells);
        }
    }
}

fn quote_if_needed(cell: &str) -> String {
    let needs_quotes = cell.is_empty()
        || cell.contains([',', '"', '\\', '\n', '\t', '#', '|'])
        || cell.trim() != cell;
    if !needs_quotes {
        return cell.to_string();
    }
    let mut out = String::with_capacity(cell.len() + 2);
    out.push('"');
    for c in cell.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            other => out.push(other),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_round_trip_through_quoting() {
        let row = vec![
            "plain".to_string(),
            String::new(),
            "a, b".to_string(),
            "say \"hi\"".to_string(),
            " padded ".to_string(),
            "back\\slash".to_string(),
        ];
        let text = write_table(
            "t",
            &["a", "b", "c", "d", "e", "f"],
            std::slice::from_ref(&row),
        );
        let table = read_table(&text, "t").unwrap().unwrap();
        assert_eq!(table.rows, vec![row]);
    }

    #[test]
    fn rows_end_at_dedent_and_other_tables_are_skipped() {
        let text = "# header\nother |x|\n    1\n\nt |a, b|\n    1, 2\n    3, 4\nnext: value\n";
        let table = read_table(text, "t").unwrap().unwrap();
        assert_eq!(table.columns, ["a", "b"]);
        assert_eq!(table.rows.len(), 2);
        assert!(read_table(text, "missing").unwrap().is_none());
    }

    #[test]
    fn unterminated_quote_is_an_error_with_its_line() {
        let err = read_table("t |a|\n    \"open\n", "t").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        assert!(err.to_string().contains("line 2"), "{err}");
    }
}
