//! Error context shared by both routes: the path of the failing value in every data
//! error, and the unknown-column check.

use std::fmt;

use crate::error::{Error, ErrorKind};

/// Prefixes `err`'s message with the path segment `segment` (`todos`, `[3]`, `line`),
/// merging with a path already there: `at `todos[3].line`: ...`.
pub(crate) fn in_context(err: Error, segment: &dyn fmt::Display) -> Error {
    let message = err.message();
    let (path, rest) = match err.value_path() {
        Some(path) => {
            let rest = message
                .strip_prefix("at `")
                .and_then(|m| m.strip_prefix(path))
                .and_then(|m| m.strip_prefix("`: "))
                .unwrap_or(message);
            (path, rest)
        }
        None => ("", message),
    };
    let segment = segment.to_string();
    let joined = if path.is_empty() {
        segment
    } else if path.starts_with('[') {
        format!("{segment}{path}")
    } else {
        format!("{segment}.{path}")
    };
    let mut out =
        Error::new(err.kind().clone(), format!("at `{joined}`: {rest}")).with_value_path(joined);
    if err.line() > 0 {
        out = out.with_position_if_missing(err.line(), err.column());
    }
    out = out.with_excerpt_of(&err);
    if let Some(path) = err.path() {
        out = out.with_path(path);
    }
    out
}

pub(crate) struct Index(pub(crate) usize);

impl fmt::Display for Index {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}]", self.0)
    }
}

/// `Ok` when every column names a field of the record type (`deny_unknown_columns`);
/// otherwise the error naming the first column that does not.
pub(crate) fn check_columns<S: AsRef<str>>(
    columns: &[S],
    fields: &'static [&'static str],
) -> Result<(), Error> {
    match columns
        .iter()
        .map(AsRef::as_ref)
        .find(|c| !fields.contains(c))
    {
        None => Ok(()),
        Some(column) => Err(Error::new(
            ErrorKind::Custom,
            format!(
                "unknown column `{column}` (the record type has: {})",
                fields.join(", ")
            ),
        )),
    }
}
