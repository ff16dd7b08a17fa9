//! Errors: what went wrong ([`ErrorKind`], matchable), where (1-based line and column,
//! the offending line's text, optionally the file path) and a human message.
//!
//! One [`Error`] struct with a `#[non_exhaustive]` kind rather than an enum of variants
//! (like `serde_json::Error` or `std::io::Error`): every codec error has the same
//! parts, a kind and a position, so a struct keeps the position accessors uniform and
//! the `Result` small (the struct is one box).
//!
//! `Display` is one line, what failed and where:
//!
//! ```text
//! unterminated quoted string (opened here) at line 2, column 7 of config.sdn
//! ```
//!
//! [`Error::report`] renders the compiler-style report with the offending line and a
//! caret under the column (what the `sdn` tool prints):
//!
//! ```text
//! error: unterminated quoted string (opened here) at line 2, column 7
//!  --> config.sdn:2:7
//!   |
//! 2 | name: "Alice
//!   |       ^
//! ```

use std::borrow::Cow;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::column_type::ColumnType;

/// Which limit of [`crate::Limits`] was exceeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Limit {
    /// Nesting depth of blocks and inline brackets.
    Depth,
    /// Input size in bytes.
    Size,
    /// Length of one string in bytes.
    StringLength,
    /// Total number of table cells.
    Cells,
    /// Number of columns of one table.
    Columns,
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Limit::Depth => "nesting depth",
            Limit::Size => "document size",
            Limit::StringLength => "string length",
            Limit::Cells => "table cell count",
            Limit::Columns => "table column count",
        })
    }
}

/// What went wrong; match on this in programs, show [`Error`]'s `Display` to people.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The input is not UTF-8 (the position is that of the first bad byte).
    InvalidUtf8,
    /// A `"` string with no closing quote; the position is the opening quote.
    UnterminatedQuote,
    /// An inline `[`, `{` or `(` with no matching close; the position is the opener.
    UnterminatedBracket {
        /// The opening bracket.
        open: char,
    },
    /// A closing bracket that does not match the open one, or with none open.
    UnexpectedCloseBracket {
        /// The bracket found.
        found: char,
    },
    /// An integer literal outside the signed 64-bit range.
    IntegerOutOfRange,
    /// A float literal too large to be finite (`1e999`), or a non-finite float given to
    /// the writer.
    NonFiniteFloat,
    /// A bad `\u{...}` escape (not hex, empty, or not a Unicode scalar value).
    InvalidEscape,
    /// A key written twice in one dict.
    DuplicateKey {
        /// The key.
        key: String,
        /// Line of the first occurrence.
        first_line: usize,
    },
    /// A table row with the wrong number of cells.
    WrongCellCount {
        /// Number of columns.
        expected: usize,
        /// Number of cells in the row.
        found: usize,
    },
    /// A dedent to a column that no open block starts at.
    BadDedent,
    /// A top-level line that is indented.
    IndentedTopLevel,
    /// An INI/TOML section header such as `[section]`.
    SectionHeader,
    /// An SDL-like block such as `name {`.
    SdlBlock,
    /// A YAML block scalar (`key: |` or `key: >`).
    BlockScalar,
    /// A line in a dict block that is not an entry (e.g. `name Alice`, no colon).
    NotAnEntry,
    /// A `key: value` line inside a list block (whose first line is not an entry).
    MixedBlock,
    /// A line indented deeper than its block when the line above opens no block.
    UnexpectedIndent,
    /// A key that is empty or contains a character keys may not contain.
    InvalidKey,
    /// A malformed table header (`name |a, b|`, `table{...}`).
    BadTableHeader,
    /// A typed-table column type that is not `i64`, `f64`, `str` or `bool`.
    UnknownColumnType {
        /// The type name as written.
        name: String,
    },
    /// A cell or value of the wrong type (typed tables; serde).
    TypeMismatch {
        /// The expected type.
        expected: Option<ColumnType>,
    },
    /// Text after a complete value (`"a" b`, `[1] x`).
    TrailingCharacters,
    /// Something else in the syntax; the message says what.
    Syntax,
    /// A limit of [`crate::Limits`] was exceeded.
    LimitExceeded {
        /// Which limit.
        which: Limit,
    },
    /// A value the writer cannot express (e.g. a table row of the wrong length).
    Unwritable,
    /// Document edits: a path, row or column that does not exist.
    NotFound,
    /// Document edits: the value at a path is not of the kind the operation needs (a
    /// row operation on something that is not a table, a key below a scalar).
    WrongKind {
        /// What the operation needs: `dict`, `table`, ...
        expected: &'static str,
        /// What is there ([`crate::Value::kind_name`]).
        found: &'static str,
    },
    /// Document edits: a row selected by key matches more than one row.
    AmbiguousRow,
    /// Document edits: a path that cannot be read (`a..b`, an unterminated quote).
    InvalidPath,
    /// An I/O error (reading a file).
    Io(std::io::ErrorKind),
    /// A message from outside the codec (e.g. serde's `custom`).
    Custom,
}

struct Inner {
    kind: ErrorKind,
    /// A fixed phrase is borrowed (no allocation); only text that names something from
    /// the input or the caller (a key, a count, a character) is owned.
    message: Cow<'static, str>,
    line: usize,
    column: usize,
    /// The offending line, or an excerpt of it around the column.
    line_text: Option<String>,
    /// Characters of the line left out before `line_text` (0 when it starts the line).
    excerpt_skipped: usize,
    /// True when characters of the line were left out after `line_text`.
    excerpt_cut: bool,
    path: Option<PathBuf>,
    /// Where in the value a data error lies (`todos[3].line`); the message starts with
    /// it as ``at `todos[3].line`: ``.
    value_path: Option<Box<str>>,
    /// The I/O error behind an [`ErrorKind::Io`] error.
    io: Option<std::io::Error>,
}

/// Longest line excerpt (in characters) an error keeps: a longer line is cut to a window
/// around the column, so a 20 MB line never ends up in a message.
pub const MAX_EXCERPT_CHARS: usize = 160;

/// An SDN error: kind, message, position (1-based line and column; 0 when the error has
/// no position, e.g. a writer error), the offending line, and optionally a path.
///
/// `Display` is one line: the message, the position and the path. [`Error::report`]
/// adds the offending line with a caret under the column.
///
/// ```
/// use sdn_codec::ErrorKind;
/// let err = sdn_codec::parse("a: 1\nb: \"open\n").unwrap_err();
/// assert_eq!(err.kind(), &ErrorKind::UnterminatedQuote);
/// assert_eq!((err.line(), err.column()), (2, 4));
/// assert_eq!(err.line_text(), Some("b: \"open"));
/// let err = err.with_path("config.sdn");
/// assert_eq!(
///     err.to_string(),
///     "unterminated quoted string (opened here) at line 2, column 4 of config.sdn"
/// );
/// ```
pub struct Error(Box<Inner>);

/// What failed and where, on one line: `<message> at line L, column C of <path>`.
impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let e = &self.0;
        f.write_str(&e.message)?;
        match (e.line, &e.path) {
            (0, None) => Ok(()),
            (0, Some(path)) => write!(f, " for {}", path.display()),
            (line, None) => write!(f, " at line {line}, column {}", e.column),
            (line, Some(path)) => write!(
                f,
                " at line {line}, column {} of {}",
                e.column,
                path.display()
            ),
        }
    }
}

/// The compiler-style report of an [`Error`] ([`Error::report`]): `error: `, the
/// message and position, the path, and the offending line with a caret under the
/// column. Like `Display`, it leaves the [`source`](std::error::Error::source) out.
pub struct Report<'a>(&'a Error);

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error: {}", self.0.0)
    }
}

impl fmt::Debug for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// The source of an I/O error is the [`std::io::Error`] itself; its text is not repeated
/// in `Display`.
impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0
            .io
            .as_ref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

impl Error {
    /// An error with no position. A fixed `message` (a `&'static str`) is kept without
    /// copying it.
    pub fn new(kind: ErrorKind, message: impl Into<Cow<'static, str>>) -> Self {
        Error(Box::new(Inner {
            kind,
            message: message.into(),
            line: 0,
            column: 0,
            line_text: None,
            excerpt_skipped: 0,
            excerpt_cut: false,
            path: None,
            value_path: None,
            io: None,
        }))
    }

    /// An error at a 1-based `line` and `column` (columns count characters).
    pub fn at(
        kind: ErrorKind,
        message: impl Into<Cow<'static, str>>,
        line: usize,
        column: usize,
    ) -> Self {
        let mut e = Error::new(kind, message);
        e.0.line = line;
        e.0.column = column;
        e
    }

    /// An error carrying only a message (kind [`ErrorKind::Custom`]).
    pub fn custom(message: impl fmt::Display) -> Self {
        Error::new(ErrorKind::Custom, message.to_string())
    }

    /// An I/O error while handling `path`, keeping a copy of `err` (its kind and text)
    /// as the [`source`](std::error::Error::source). Prefer [`Error::from_io`], which
    /// keeps the error itself.
    pub fn io(err: &std::io::Error, path: impl Into<PathBuf>) -> Self {
        Error::from_io(std::io::Error::new(err.kind(), err.to_string()), path)
    }

    /// An I/O error while handling `path`; `err` becomes the
    /// [`source`](std::error::Error::source) (so `Display` does not repeat its text).
    ///
    /// ```
    /// use std::error::Error as _;
    /// let err = sdn_codec::from_path("/no/such/file.sdn", &Default::default()).unwrap_err();
    /// let io = err.source().and_then(|s| s.downcast_ref::<std::io::Error>()).unwrap();
    /// assert_eq!(io.kind(), std::io::ErrorKind::NotFound);
    /// assert!(!err.to_string().contains(&io.to_string()));
    /// assert_eq!(err.to_string(), "reading the file failed for /no/such/file.sdn");
    /// ```
    pub fn from_io(err: std::io::Error, path: impl Into<PathBuf>) -> Self {
        Error::with_io(err, "reading the file failed").with_path(path)
    }

    /// An I/O error of writing SDN to a writer (no path); `err` becomes the source.
    pub(crate) fn writing(err: std::io::Error) -> Self {
        Error::with_io(err, "writing SDN failed")
    }

    fn with_io(err: std::io::Error, message: &'static str) -> Self {
        let mut e = Error::new(ErrorKind::Io(err.kind()), message);
        e.0.io = Some(err);
        e
    }

    /// The compiler-style report: `error: `, the message and position, the path, and
    /// the offending line with a caret under the column (what the `sdn` tool prints).
    ///
    /// ```
    /// let err = sdn_codec::parse("a: 1\nb: \"open\n").unwrap_err().with_path("c.sdn");
    /// assert_eq!(
    ///     err.report().to_string(),
    ///     "error: unterminated quoted string (opened here) at line 2, column 4\n \
    ///      --> c.sdn:2:4\n  |\n2 | b: \"open\n  |    ^"
    /// );
    /// ```
    pub fn report(&self) -> Report<'_> {
        Report(self)
    }

    /// The I/O error behind an [`ErrorKind::Io`] error.
    pub fn io_error(&self) -> Option<&std::io::Error> {
        self.0.io.as_ref()
    }

    /// Attaches the path of the file the input came from.
    pub fn with_path(mut self, path: impl Into<PathBuf>) -> Self {
        self.0.path = Some(path.into());
        self
    }

    /// Attaches the text of the offending line (shown under the message with a caret).
    /// A line longer than [`MAX_EXCERPT_CHARS`] is cut to a window around the column
    /// (set the position first).
    pub fn with_line_text(mut self, text: impl Into<String>) -> Self {
        self.set_line_excerpt(&text.into());
        self
    }

    fn set_line_excerpt(&mut self, text: &str) {
        let (excerpt, skipped, cut) = excerpt(text, self.0.column);
        self.0.line_text = Some(excerpt);
        self.0.excerpt_skipped = skipped;
        self.0.excerpt_cut = cut;
    }

    /// Takes the line excerpt of `other` (an error at the same position).
    pub(crate) fn with_excerpt_of(mut self, other: &Error) -> Self {
        self.0.line_text.clone_from(&other.0.line_text);
        self.0.excerpt_skipped = other.0.excerpt_skipped;
        self.0.excerpt_cut = other.0.excerpt_cut;
        self
    }

    /// Sets the position (1-based) if the error has none yet.
    pub fn with_position_if_missing(mut self, line: usize, column: usize) -> Self {
        if self.0.line == 0 {
            self.0.line = line;
            self.0.column = column;
        }
        self
    }

    /// Fills in the line text from the whole `input` when missing (used by parsers that
    /// know only positions while working).
    pub fn with_source(mut self, input: &str) -> Self {
        if self.0.line_text.is_none()
            && self.0.line > 0
            && let Some(line) = input.split('\n').nth(self.0.line - 1)
        {
            self.set_line_excerpt(line.strip_suffix('\r').unwrap_or(line));
        }
        self
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.0.kind
    }

    /// The message without position.
    pub fn message(&self) -> &str {
        &self.0.message
    }

    /// 1-based line, 0 when the error has no position.
    pub fn line(&self) -> usize {
        self.0.line
    }

    /// 1-based column in characters (a tab counts as one character here), 0 when
    /// the error has no position.
    pub fn column(&self) -> usize {
        self.0.column
    }

    /// The text of the offending line, without its line end; for a line longer than
    /// [`MAX_EXCERPT_CHARS`], the excerpt of it around the column that `Display` shows.
    pub fn line_text(&self) -> Option<&str> {
        self.0.line_text.as_deref()
    }

    /// The file the input came from, if the caller attached it.
    pub fn path(&self) -> Option<&Path> {
        self.0.path.as_deref()
    }

    /// Where in the value a deserialisation error lies: map keys joined by `.`, sequence
    /// and row indexes in brackets (`todos[3].line`). The message begins with the same
    /// path; this spares callers from reading it out of the text.
    ///
    /// ```
    /// #[derive(Debug, serde::Deserialize)]
    /// struct Todo { id: u32, done: bool }
    /// #[derive(Debug, serde::Deserialize)]
    /// struct Doc { todos: Vec<Todo> }
    /// let err = sdn_codec::from_str::<Doc>("todos |id, done|\n    1, maybe\n").unwrap_err();
    /// assert_eq!(err.value_path(), Some("todos[0].done"));
    /// assert!(err.message().starts_with("at `todos[0].done`: "));
    /// ```
    pub fn value_path(&self) -> Option<&str> {
        self.0.value_path.as_deref()
    }

    /// This error, located at `value_path` in the value (the message keeps its text).
    pub(crate) fn with_value_path(mut self, value_path: String) -> Self {
        self.0.value_path = Some(value_path.into());
        self
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.0.kind)
            .field("message", &self.0.message)
            .field("line", &self.0.line)
            .field("column", &self.0.column)
            .field("line_text", &self.0.line_text)
            .field("path", &self.0.path)
            .field("io", &self.0.io)
            .finish()
    }
}

/// The report after `error: ` ([`Report`]): the message, the position, the path, and
/// the offending line with a caret under the column.
impl fmt::Display for Inner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let e = self;
        f.write_str(&e.message)?;
        if e.line > 0 {
            write!(f, " at line {}, column {}", e.line, e.column)?;
        }
        if let Some(path) = &e.path {
            write!(f, "\n --> {}", path.display())?;
            if e.line > 0 {
                write!(f, ":{}:{}", e.line, e.column)?;
            }
        }
        if let (Some(text), true) = (&e.line_text, e.line > 0) {
            let number = e.line.to_string();
            let pad = " ".repeat(number.len());
            // The caret goes under the column; tabs in the prefix are echoed so it lines
            // up whatever the terminal's tab width.
            let prefix: String = text
                .chars()
                .take(e.column.saturating_sub(1 + e.excerpt_skipped))
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            // Control characters (a stray CR, say) are shown as their visible symbols
            // so the line prints on one line and the caret still lines up.
            let shown: String = text
                .chars()
                .map(|c| match c {
                    '\t' => c,
                    c if (c as u32) < 0x20 => char::from_u32(0x2400 + c as u32).unwrap_or('?'),
                    '\u{7f}' => '\u{2421}',
                    c => c,
                })
                .collect();
            let (before, after) = (
                if e.excerpt_skipped > 0 { "…" } else { "" },
                if e.excerpt_cut { "…" } else { "" },
            );
            let prefix = if before.is_empty() {
                prefix
            } else {
                format!(" {prefix}")
            };
            write!(
                f,
                "\n{pad} |\n{number} | {before}{shown}{after}\n{pad} | {prefix}^"
            )?;
        }
        Ok(())
    }
}

/// Text from the input as a message quotes it: whole when short, else its first 60
/// characters and `…` (a 20 MB number or key must not make a 20 MB message).
pub(crate) fn shorten(text: &str) -> std::borrow::Cow<'_, str> {
    const MAX: usize = 60;
    match text.char_indices().nth(MAX) {
        Some((end, _)) => format!("{}…", &text[..end]).into(),
        None => text.into(),
    }
}

/// `text` cut to at most [`MAX_EXCERPT_CHARS`] characters around the 1-based `column`:
/// the excerpt, how many characters were left out before it, and whether any were left
/// out after it.
fn excerpt(text: &str, column: usize) -> (String, usize, bool) {
    // Cheap check first: a line of at most MAX_EXCERPT_CHARS bytes is short enough.
    if text.len() <= MAX_EXCERPT_CHARS || text.chars().count() <= MAX_EXCERPT_CHARS {
        return (text.to_owned(), 0, false);
    }
    let half = MAX_EXCERPT_CHARS / 2;
    let skipped = column.saturating_sub(1).saturating_sub(half);
    let shown: String = text.chars().skip(skipped).take(MAX_EXCERPT_CHARS).collect();
    let cut = text.chars().nth(skipped + MAX_EXCERPT_CHARS).is_some();
    (shown, skipped, cut)
}

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use std::error::Error as _;
    use std::io;

    use super::*;

    /// An I/O failure returns the `io::Error` itself from `source()` and leaves its text
    /// out of `Display` and of the report; an error without a cause has no source.
    /// `Display` is one line without the `error: ` prefix, the report keeps the caret.
    /// Regression: writing to a failing writer used to print the `io::Error` inside the
    /// message and return no source, and `Display` was the multi-line report.
    #[test]
    fn the_cause_is_returned_as_source_and_not_printed() {
        struct Failing;
        impl io::Write for Failing {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Err(io::Error::other("disk on fire"))
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let read = Error::from_io(
            io::Error::new(io::ErrorKind::NotFound, "no such thing here"),
            "/data/config.sdn",
        );
        let value: std::collections::BTreeMap<String, i64> = [("a".to_owned(), 1)].into();
        let write = crate::to_writer(Failing, &value).expect_err("the writer fails");
        for (error, kind) in [
            (&read, io::ErrorKind::NotFound),
            (&write, io::ErrorKind::Other),
        ] {
            let cause = error.source().expect("the io::Error is the source");
            let io = cause.downcast_ref::<io::Error>().expect("of its own type");
            assert_eq!(io.kind(), kind);
            assert_eq!(error.kind(), &ErrorKind::Io(kind));
            let (text, report) = (error.to_string(), error.report().to_string());
            assert!(!text.contains(&io.to_string()), "{text} repeats {io}");
            assert!(!report.contains(&io.to_string()), "{report} repeats {io}");
            assert!(!text.contains('\n') && !text.starts_with("error"), "{text}");
        }
        assert_eq!(
            read.to_string(),
            "reading the file failed for /data/config.sdn"
        );
        assert_eq!(write.to_string(), "writing SDN failed");

        let parse = crate::parse("a: 1\nb: \"open\n")
            .unwrap_err()
            .with_path("config.sdn");
        assert!(parse.source().is_none(), "a syntax error has no cause");
        assert_eq!(
            parse.to_string(),
            "unterminated quoted string (opened here) at line 2, column 4 of config.sdn"
        );
        assert_eq!(
            parse.report().to_string(),
            "error: unterminated quoted string (opened here) at line 2, column 4\n \
             --> config.sdn:2:4\n  |\n2 | b: \"open\n  |    ^"
        );
    }
}
