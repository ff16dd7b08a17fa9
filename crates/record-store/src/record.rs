//! The [`Record`] trait: a serde type that names its table and its key.

use std::fmt::Display;

use serde::Serialize;
use serde::de::DeserializeOwned;

/// A row type stored in a named table of an SDN file.
///
/// Fields map to columns **by name** (serde field names), in any order; columns the type
/// does not know are kept untouched on save; a column missing from the file takes the
/// field's serde default (use `#[serde(default)]`); an empty cell reads as `None` for an
/// `Option` field. Fields must be scalars (strings, numbers, booleans) or `Option`s of
/// them.
///
/// ```
/// use serde::{Deserialize, Serialize};
/// use record_store::Record;
///
/// #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
/// struct Bookmark {
///     id: u32,
///     url: String,
///     #[serde(default)]
///     tags: String,
/// }
///
/// impl Record for Bookmark {
///     const TABLE: &'static str = "bookmarks";
///     type Key = u32;
///     fn key(&self) -> u32 {
///         self.id
///     }
/// }
/// # assert_eq!(Bookmark { id: 7, url: "x".into(), tags: String::new() }.key(), 7);
/// ```
pub trait Record: Serialize + DeserializeOwned + Clone + Send + Sync + 'static {
    /// The table's name in the file (`todos` for `todos |id, ...|`).
    const TABLE: &'static str;
    /// The key that identifies a record within its table.
    type Key: Ord + Clone + Display + std::fmt::Debug + Send + Sync + 'static;
    /// This record's key.
    fn key(&self) -> Self::Key;
}
