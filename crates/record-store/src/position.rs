//! Where an entry, a row or a cell sits in a file's text, for the positions that data
//! errors carry. Only used on the error path: it re-reads lines of the text instead of
//! asking the parser to remember every position.

use std::path::Path;

use crate::error::{Error, Result};

/// The file's bytes as text; invalid UTF-8 is a [`Error::Malformed`] at the line and
/// column of the first bad byte.
pub(crate) fn text_of(path: &Path, bytes: Vec<u8>) -> Result<String> {
    String::from_utf8(bytes).map_err(|err| {
        let valid = &err.as_bytes()[..err.utf8_error().valid_up_to()];
        // The prefix is valid UTF-8 by definition.
        let before = std::str::from_utf8(valid).unwrap_or_default();
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        let source =
            sdn_codec::Error::at(sdn_codec::ErrorKind::Custom, "invalid UTF-8", line, column)
                .with_path(path);
        Error::malformed(path, source)
    })
}

/// Whether `line` starts a root entry (not indented, not blank, not a comment).
fn is_root_line(line: &str) -> bool {
    !line.is_empty() && !line.starts_with([' ', '\t', '#', '\r'])
}

/// 1-based line on which root entry `name` starts.
pub(crate) fn entry_line(text: &str, name: &str) -> Option<usize> {
    text.lines().enumerate().find_map(|(index, line)| {
        let starts_entry = is_root_line(line)
            && sdn_codec::parse(line).is_ok_and(|value| {
                value
                    .as_dict()
                    .and_then(|dict| dict.keys().next())
                    .is_some_and(|key| key == name)
            });
        starts_entry.then_some(index + 1)
    })
}

/// 1-based line of row `row` (0-based) of root table `name`, written one row a line.
pub(crate) fn row_line(text: &str, name: &str, row: usize) -> Option<usize> {
    let header = entry_line(text, name)?;
    text.lines()
        .enumerate()
        .skip(header)
        .take_while(|(_, line)| !is_root_line(line))
        .filter(|(_, line)| {
            let trimmed = line.trim();
            !trimmed.is_empty() && !trimmed.starts_with('#')
        })
        .nth(row)
        .map(|(index, _)| index + 1)
}

/// 1-based character column where cell `index` starts on a row line (cells are
/// separated by commas outside double quotes).
pub(crate) fn cell_column(line: &str, index: usize) -> Option<usize> {
    let mut cell = 0;
    let mut in_quotes = false;
    let mut escaped = false;
    let mut at_cell_start = true;
    for (column, ch) in line.chars().enumerate() {
        if at_cell_start && ch != ' ' && ch != '\t' {
            if cell == index {
                return Some(column + 1);
            }
            at_cell_start = false;
        }
        match ch {
            _ if escaped => escaped = false,
            '\\' if in_quotes => escaped = true,
            '"' => in_quotes = !in_quotes,
            ',' if !in_quotes => {
                cell += 1;
                at_cell_start = true;
            }
            _ => {}
        }
    }
    None
}

/// The line (1-based) of the `line`-th line of `text`.
pub(crate) fn line_text(text: &str, line: usize) -> Option<&str> {
    text.lines().nth(line.checked_sub(1)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str =
        "# c\ntitle: x\nt |id, name|\n    1, \"a, b\"\n\n    # note\n    2, c\nu |id|\n";

    #[test]
    fn rows_and_cells_are_found() {
        assert_eq!(entry_line(TEXT, "title"), Some(2));
        assert_eq!(entry_line(TEXT, "t"), Some(3));
        assert_eq!(row_line(TEXT, "t", 0), Some(4));
        assert_eq!(row_line(TEXT, "t", 1), Some(7));
        assert_eq!(row_line(TEXT, "t", 2), None);
        assert_eq!(row_line(TEXT, "u", 0), None);
        assert_eq!(cell_column("    1, \"a, b\", z", 1), Some(8));
        assert_eq!(cell_column("    1, \"a, b\", z", 2), Some(16));
        assert_eq!(cell_column("    1", 3), None);
    }

    #[test]
    fn invalid_utf8_is_placed() {
        let err = text_of(Path::new("f.sdn"), b"a: 1\nbb: \xff\n".to_vec()).unwrap_err();
        match err {
            Error::Malformed { line, column, .. } => assert_eq!((line, column), (2, 5)),
            other => panic!("{other:?}"),
        }
    }
}
