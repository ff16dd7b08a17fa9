//! A table's definition read column by column: what `PRAGMA table_xinfo` says about each
//! column, plus the parts of its `CREATE TABLE` statement the pragma does not show
//! (column constraints such as `CHECK` or `COLLATE`, table constraints, `WITHOUT ROWID`
//! or `STRICT`), as normalized tokens, so that two definitions written with different
//! spacing, comments or keyword case compare equal.

use rusqlite::Connection;

use crate::sqlite_rows::quote;

/// Declared type, not-null flag, default expression, position in the primary key and
/// hidden kind, as `PRAGMA table_xinfo` reports them.
type Info = (String, bool, Option<String>, i64, i64);

/// One column of a table.
#[derive(Clone, Debug)]
pub(super) struct Column {
    /// The name, as `PRAGMA table_xinfo` reports it.
    pub(super) name: String,
    /// Declared type, not-null flag, default expression, position in the primary key
    /// (0: not part of it) and hidden kind (generated columns), from `table_xinfo`.
    info: Info,
    /// The declaration after the name, normalized.
    tokens: Vec<String>,
    /// The declaration as written, name included (what `ALTER TABLE ADD COLUMN` takes).
    pub(super) text: String,
}

impl Column {
    /// The declared default expression (`None`: no default, so NULL).
    pub(super) fn default_sql(&self) -> Option<&str> {
        self.info.2.as_deref()
    }

    /// Its position in the primary key, from 1 (0: not part of it).
    pub(super) fn key_position(&self) -> i64 {
        self.info.3
    }
}

/// Columns are the same when their name and declaration are, whatever the spacing.
impl PartialEq for Column {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && self.info == other.info && self.tokens == other.tokens
    }
}

impl Eq for Column {}

/// A table's definition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Definition {
    /// In declaration order.
    pub(super) columns: Vec<Column>,
    /// Table constraints (`PRIMARY KEY (..)`, `UNIQUE`, `CHECK`, `FOREIGN KEY`), and the
    /// options after the closing parenthesis, normalized.
    pub(super) constraints: Vec<Vec<String>>,
}

impl Definition {
    /// The column named `name`.
    pub(super) fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// Reads the definition of `table` (whose stored statement is `sql`); `None` when the
    /// statement cannot be taken apart (a virtual table, or text this reader does not
    /// follow), so the caller refuses rather than guesses.
    pub(super) fn read(
        connection: &Connection,
        table: &str,
        sql: &str,
    ) -> rusqlite::Result<Option<Definition>> {
        let mut info = connection.prepare(
            "SELECT name, type, \"notnull\", dflt_value, pk, hidden FROM pragma_table_xinfo(?1) ORDER BY cid",
        )?;
        let infos: Vec<(String, Info)> = info
            .query_map([table], |row| {
                Ok((
                    row.get(0)?,
                    (
                        row.get(1)?,
                        row.get(2)?,
                        row.get(3)?,
                        row.get(4)?,
                        row.get(5)?,
                    ),
                ))
            })?
            .collect::<Result<_, _>>()?;
        Ok(parse(sql).and_then(|parsed| {
            if parsed.columns.len() != infos.len() {
                return None;
            }
            let columns = infos
                .into_iter()
                .map(|(name, info)| {
                    let (tokens, text) = parsed
                        .columns
                        .iter()
                        .find(|(declared, _, _)| declared.eq_ignore_ascii_case(&name))
                        .map(|(_, tokens, text)| (tokens.clone(), text.clone()))?;
                    Some(Column {
                        name,
                        info,
                        tokens,
                        text,
                    })
                })
                .collect::<Option<Vec<Column>>>()?;
            Some(Definition {
                columns,
                constraints: parsed.constraints,
            })
        }))
    }
}

/// A `CREATE TABLE` statement taken apart: each column's name, normalized declaration
/// and text; the table constraints and trailing options.
struct Parsed {
    columns: Vec<(String, Vec<String>, String)>,
    constraints: Vec<Vec<String>>,
}

/// One token and where it is in the statement.
struct Token {
    text: String,
    start: usize,
    end: usize,
}

/// Splits SQL into tokens: quoted names and strings as written, words lowercased,
/// any other character alone; whitespace and comments dropped. `None` on an
/// unterminated quote or comment.
fn tokenize(sql: &str) -> Option<Vec<Token>> {
    let bytes = sql.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let start = i;
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        if sql[i..].starts_with("--") {
            i = sql[i..].find('\n').map_or(bytes.len(), |n| i + n + 1);
            continue;
        }
        if sql[i..].starts_with("/*") {
            i += 2 + sql[i + 2..].find("*/")? + 2;
            continue;
        }
        let close = match c {
            b'"' => Some(b'"'),
            b'\'' => Some(b'\''),
            b'`' => Some(b'`'),
            b'[' => Some(b']'),
            _ => None,
        };
        if let Some(close) = close {
            i += 1;
            loop {
                let at = i + bytes[i..].iter().position(|&b| b == close)?;
                i = at + 1;
                // A doubled quote is the quote itself ([..] has no escape).
                if close != b']' && bytes.get(i) == Some(&close) {
                    i += 1;
                    continue;
                }
                break;
            }
            tokens.push(Token {
                text: sql[start..i].to_owned(),
                start,
                end: i,
            });
            continue;
        }
        let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80;
        if word(c) {
            while i < bytes.len() && word(bytes[i]) {
                i += 1;
            }
            tokens.push(Token {
                text: sql[start..i].to_ascii_lowercase(),
                start,
                end: i,
            });
            continue;
        }
        // One character (a multi-byte one is a word byte above, so this is ASCII).
        i += 1;
        tokens.push(Token {
            text: sql[start..i].to_owned(),
            start,
            end: i,
        });
    }
    Some(tokens)
}

/// An identifier without its quotes.
fn unquote(token: &str) -> String {
    let inner = |open: char, close: char| {
        token
            .strip_prefix(open)
            .and_then(|rest| rest.strip_suffix(close))
    };
    if let Some(name) = inner('"', '"') {
        return name.replace("\"\"", "\"");
    }
    if let Some(name) = inner('`', '`') {
        return name.replace("``", "`");
    }
    if let Some(name) = inner('\'', '\'') {
        return name.replace("''", "'");
    }
    if let Some(name) = inner('[', ']') {
        return name.to_owned();
    }
    token.to_owned()
}

fn parse(sql: &str) -> Option<Parsed> {
    let tokens = tokenize(sql)?;
    if tokens.get(1).is_some_and(|t| t.text == "virtual") {
        return None;
    }
    let open = tokens.iter().position(|t| t.text == "(")?;
    let mut items: Vec<&[Token]> = Vec::new();
    let mut depth = 0usize;
    let mut item_start = open + 1;
    let mut close = None;
    for (i, token) in tokens.iter().enumerate().skip(open) {
        match token.text.as_str() {
            "(" => depth += 1,
            ")" => {
                depth -= 1;
                if depth == 0 {
                    items.push(&tokens[item_start..i]);
                    close = Some(i);
                    break;
                }
            }
            "," if depth == 1 => {
                items.push(&tokens[item_start..i]);
                item_start = i + 1;
            }
            _ => {}
        }
    }
    let close = close?;
    let texts = |tokens: &[Token]| tokens.iter().map(|t| t.text.clone()).collect::<Vec<_>>();
    let mut parsed = Parsed {
        columns: Vec::new(),
        constraints: Vec::new(),
    };
    for item in items {
        let first = item.first()?;
        let keyword = ["constraint", "primary", "unique", "check", "foreign"];
        if keyword.contains(&first.text.as_str()) {
            parsed.constraints.push(texts(item));
            continue;
        }
        let last = item.last()?;
        parsed.columns.push((
            unquote(&first.text),
            texts(&item[1..]),
            sql[first.start..last.end].to_owned(),
        ));
    }
    let options = texts(&tokens[close + 1..]);
    if !options.is_empty() {
        parsed.constraints.push(options);
    }
    Some(parsed)
}

/// `ALTER TABLE table ADD COLUMN column`.
pub(super) fn add_column_sql(table: &str, column: &Column) -> String {
    format!("ALTER TABLE {} ADD COLUMN {}", quote(table), column.text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn definition(sql: &str) -> Definition {
        let c = Connection::open_in_memory().unwrap();
        c.execute_batch(sql).unwrap();
        let stored: String = c
            .query_row("SELECT sql FROM sqlite_schema WHERE name = 't'", [], |r| {
                r.get(0)
            })
            .unwrap();
        Definition::read(&c, "t", &stored).unwrap().unwrap()
    }

    #[test]
    fn spacing_comments_and_keyword_case_do_not_change_a_definition() {
        let a = definition(
            "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT DEFAULT 'x' CHECK (v <> ''), \
             \"odd, name\" REAL, UNIQUE(v)) STRICT",
        );
        let b = definition(
            "create table t (\n  id integer primary key, -- the key\n  v text default 'x' check(v<>''),\n  \
             \"odd, name\" real, /* c */ unique (v)\n) strict",
        );
        assert_eq!(a, b);
        assert_eq!(a.columns[2].name, "odd, name");
        assert_eq!(a.columns[2].text, "\"odd, name\" REAL");
        assert_eq!(
            a.constraints,
            [vec!["unique", "(", "v", ")"], vec!["strict"]]
        );
        // What table_info does not show still tells columns apart.
        let collated = definition(
            "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT DEFAULT 'x' COLLATE NOCASE CHECK (v <> ''), \"odd, name\" REAL, UNIQUE(v)) STRICT",
        );
        assert_ne!(a.columns[1], collated.columns[1]);
        assert_eq!(a.columns[2], collated.columns[2]);
    }

    #[test]
    fn a_column_added_by_alter_table_reads_as_written() {
        let c = Connection::open_in_memory().unwrap();
        c.execute_batch(
            "CREATE TABLE t(id INTEGER PRIMARY KEY); ALTER TABLE t ADD COLUMN price REAL DEFAULT 0;",
        )
        .unwrap();
        let sql: String = c
            .query_row("SELECT sql FROM sqlite_schema WHERE name = 't'", [], |r| {
                r.get(0)
            })
            .unwrap();
        let read = Definition::read(&c, "t", &sql).unwrap().unwrap();
        assert_eq!(read.columns[1].text, "price REAL DEFAULT 0");
        assert_eq!(read.columns[1].default_sql(), Some("0"));
        assert_eq!(
            (
                read.columns[0].key_position(),
                read.columns[1].key_position()
            ),
            (1, 0)
        );
    }

    #[test]
    fn virtual_tables_and_broken_text_are_not_taken_apart() {
        assert!(parse("CREATE VIRTUAL TABLE t USING fts5(a)").is_none());
        assert!(parse("CREATE TABLE t(a TEXT DEFAULT 'open").is_none());
        assert!(parse("CREATE TABLE t(a").is_none());
    }
}
