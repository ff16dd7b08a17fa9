//! Paths to entries: `server.port` as a string, or `["lib.crypto", "mode"]` as keys.

use crate::error::{Error, ErrorKind};

/// Something that names an entry of a document by its keys, outermost first.
///
/// - A string is a dotted path: `"server.port"` is `["server", "port"]`. A key that
///   contains a dot (or starts with a quote) is written in double quotes:
///   `var.profiles."lib.crypto"`; inside quotes `\"` and `\\` stand for `"` and `\`.
/// - A slice, array or `Vec` of strings is taken key by key, verbatim, so any key can
///   be named without quoting: `["var", "lib.crypto"]`.
///
/// ```
/// use sdn_codec::document::KeyPath;
/// assert_eq!("server.port".to_keys()?, ["server", "port"]);
/// assert_eq!(r#"var."lib.crypto".x"#.to_keys()?, ["var", "lib.crypto", "x"]);
/// assert_eq!(["a.b", "c"].to_keys()?, ["a.b", "c"]);
/// assert!("a..b".to_keys().is_err());
/// # Ok::<(), sdn_codec::Error>(())
/// ```
pub trait KeyPath {
    /// The keys, outermost first; an [`ErrorKind::InvalidPath`] error for an empty path
    /// or a malformed dotted string.
    fn to_keys(&self) -> Result<Vec<String>, Error>;
}

impl KeyPath for str {
    fn to_keys(&self) -> Result<Vec<String>, Error> {
        parse_dotted(self)
    }
}

impl KeyPath for String {
    fn to_keys(&self) -> Result<Vec<String>, Error> {
        parse_dotted(self)
    }
}

impl<S: AsRef<str>> KeyPath for [S] {
    fn to_keys(&self) -> Result<Vec<String>, Error> {
        keys_verbatim(self.iter().map(AsRef::as_ref))
    }
}

impl<S: AsRef<str>, const N: usize> KeyPath for [S; N] {
    fn to_keys(&self) -> Result<Vec<String>, Error> {
        keys_verbatim(self.iter().map(AsRef::as_ref))
    }
}

impl<S: AsRef<str>> KeyPath for Vec<S> {
    fn to_keys(&self) -> Result<Vec<String>, Error> {
        keys_verbatim(self.iter().map(AsRef::as_ref))
    }
}

impl<T: KeyPath + ?Sized> KeyPath for &T {
    fn to_keys(&self) -> Result<Vec<String>, Error> {
        (**self).to_keys()
    }
}

fn invalid(path: &str, why: &str) -> Error {
    Error::new(
        ErrorKind::InvalidPath,
        format!("invalid path `{path}`: {why}"),
    )
}

fn keys_verbatim<'a>(keys: impl Iterator<Item = &'a str>) -> Result<Vec<String>, Error> {
    let keys: Vec<String> = keys.map(str::to_owned).collect();
    if keys.is_empty() {
        return Err(invalid("", "a path needs at least one key"));
    }
    Ok(keys)
}

fn parse_dotted(path: &str) -> Result<Vec<String>, Error> {
    let mut keys = Vec::new();
    let mut chars = path.chars().peekable();
    loop {
        let mut key = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    None => return Err(invalid(path, "unterminated quoted key")),
                    Some('"') => break,
                    Some('\\') => match chars.next() {
                        Some(c @ ('"' | '\\')) => key.push(c),
                        _ => {
                            return Err(invalid(
                                path,
                                "in a quoted key only `\\\"` and `\\\\` are escapes",
                            ));
                        }
                    },
                    Some(c) => key.push(c),
                }
            }
            match chars.next() {
                None => {
                    keys.push(key);
                    return Ok(keys);
                }
                Some('.') => {}
                Some(_) => {
                    return Err(invalid(
                        path,
                        "a quoted key must be followed by `.` or the end",
                    ));
                }
            }
        } else {
            loop {
                match chars.next() {
                    None => {
                        if key.is_empty() {
                            return Err(invalid(path, "empty key"));
                        }
                        keys.push(key);
                        return Ok(keys);
                    }
                    Some('.') => break,
                    Some(c) => key.push(c),
                }
            }
            if key.is_empty() {
                return Err(invalid(path, "empty key"));
            }
        }
        keys.push(key);
    }
}

/// The keys joined back into a dotted path for messages.
pub(crate) fn display_path(keys: &[String]) -> String {
    keys.iter()
        .map(|k| {
            if k.is_empty() || k.contains(['.', '"']) {
                format!("\"{}\"", k.replace('\\', "\\\\").replace('"', "\\\""))
            } else {
                k.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(".")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotted_paths() {
        assert_eq!("a".to_keys().unwrap(), ["a"]);
        assert_eq!("a.b.c".to_keys().unwrap(), ["a", "b", "c"]);
        assert_eq!(r#""a.b""#.to_keys().unwrap(), ["a.b"]);
        assert_eq!(r#""a\"b".c"#.to_keys().unwrap(), ["a\"b", "c"]);
        assert_eq!(r#""""#.to_keys().unwrap(), [""]);
        for bad in ["", ".", "a.", ".a", "a..b", "\"a", "\"a\"b", r#""\n""#] {
            assert_eq!(
                bad.to_keys().unwrap_err().kind(),
                &ErrorKind::InvalidPath,
                "{bad}"
            );
        }
    }

    #[test]
    fn display_round_trips() {
        for keys in [vec!["a", "b"], vec!["lib.crypto", "x"], vec!["q\"uote", ""]] {
            let keys: Vec<String> = keys.into_iter().map(String::from).collect();
            assert_eq!(display_path(&keys).to_keys().unwrap(), keys);
        }
    }
}
