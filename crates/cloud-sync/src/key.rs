//! Remote keys that cannot leave their prefix.
//!
//! Every key cloud-sync reads or writes, including keys named by a downloaded manifest,
//! passes through [`Key::new`]: `/`-separated segments of portable characters, none empty,
//! none `.` or `..`, none starting with `.` (those names are reserved for the
//! local-directory remote's locks and temporary files). A key therefore maps to a path
//! strictly inside the remote's prefix on every backend, and inside the folder of a
//! local-directory remote.

use std::fmt;

use crate::error::Error;

/// Longest key accepted (S3 allows 1,024 bytes; the prefix needs room too).
const MAX_KEY_LEN: usize = 512;
/// Longest segment accepted (a common file-name limit).
const MAX_SEGMENT_LEN: usize = 255;

/// A validated object key, relative to a remote's prefix.
///
/// ```
/// use cloud_sync::Key;
/// assert!(Key::new("snapshots/ab.zst").is_ok());
/// assert!(Key::new("../../etc/passwd").is_err());
/// assert!(Key::new("/absolute").is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key(String);

impl Key {
    /// Validates `key`: `/`-separated segments of ASCII letters, digits and `-_.+=`, none
    /// empty, none `.` or `..`, none starting with `.`; at most 512 bytes.
    pub fn new(key: impl Into<String>) -> Result<Key, Error> {
        let key = key.into();
        check_path(&key, false)?;
        Ok(Key(key))
    }

    /// The key as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key's segments.
    pub fn segments(&self) -> impl Iterator<Item = &str> {
        self.0.split('/')
    }

    /// The key with one more segment appended (validated).
    pub fn join(&self, segment: &str) -> Result<Key, Error> {
        Key::new(format!("{}/{segment}", self.0))
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A validated prefix under which all of one sync's objects live (may be empty: the
/// bucket or folder root).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Prefix(String);

impl Prefix {
    /// Validates `prefix` with the same rules as [`Key::new`]; an empty prefix is allowed,
    /// and one trailing `/` is ignored.
    pub fn new(prefix: impl Into<String>) -> Result<Prefix, Error> {
        let prefix = prefix.into();
        let trimmed = prefix.strip_suffix('/').unwrap_or(&prefix);
        check_path(trimmed, true)?;
        Ok(Prefix(trimmed.to_owned()))
    }

    /// The prefix as a string (no trailing `/`).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The full key of `key` under this prefix.
    pub fn full(&self, key: &Key) -> String {
        if self.0.is_empty() {
            key.0.clone()
        } else {
            format!("{}/{}", self.0, key.0)
        }
    }

    /// The key relative to this prefix, for a full key listed by the store; `None` when
    /// the listed key is not under the prefix or is not a valid key.
    pub fn strip(&self, full: &str) -> Option<Key> {
        let relative = if self.0.is_empty() {
            full
        } else {
            full.strip_prefix(self.0.as_str())?.strip_prefix('/')?
        };
        Key::new(relative).ok()
    }
}

impl fmt::Display for Prefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn check_path(key: &str, allow_empty: bool) -> Result<(), Error> {
    let invalid = |reason| Error::InvalidKey {
        key: key.to_owned(),
        reason,
    };
    if key.is_empty() {
        return if allow_empty {
            Ok(())
        } else {
            Err(invalid("a key must not be empty"))
        };
    }
    if key.len() > MAX_KEY_LEN {
        return Err(invalid("a key must be at most 512 bytes"));
    }
    for segment in key.split('/') {
        if segment.is_empty() {
            return Err(invalid(
                "a key must not start or end with `/` or contain `//`",
            ));
        }
        if segment == "." || segment == ".." {
            return Err(invalid("a key must not contain `.` or `..` segments"));
        }
        if segment.starts_with('.') {
            return Err(invalid(
                "a key segment must not start with `.` (reserved for locks and temporary files)",
            ));
        }
        if segment.len() > MAX_SEGMENT_LEN {
            return Err(invalid("a key segment must be at most 255 bytes"));
        }
        if !segment
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'+' | b'='))
        {
            return Err(invalid(
                "a key may only use ASCII letters, digits and `-_.+=` between `/`",
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_every_way_out_of_the_prefix() {
        for bad in [
            "",
            "..",
            "../x",
            "a/../../x",
            "/etc/passwd",
            "a//b",
            "a/",
            "./a",
            ".locks/x",
            "a\\..\\b",
            "a/b\0",
            "ä",
            "a b",
        ] {
            assert!(Key::new(bad).is_err(), "{bad:?} accepted");
        }
        assert_eq!(
            Key::new("snapshots/0a.zst").unwrap().as_str(),
            "snapshots/0a.zst"
        );
    }

    #[test]
    fn prefix_joins_and_strips() {
        let prefix = Prefix::new("team/db/").unwrap();
        let key = Key::new("manifest.json").unwrap();
        assert_eq!(prefix.full(&key), "team/db/manifest.json");
        assert_eq!(prefix.strip("team/db/manifest.json"), Some(key.clone()));
        assert_eq!(prefix.strip("team/dbx/manifest.json"), None);
        assert_eq!(Prefix::new("").unwrap().full(&key), "manifest.json");
        assert!(Prefix::new("../up").is_err());
    }
}
