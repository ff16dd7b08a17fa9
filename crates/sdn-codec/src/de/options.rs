//! What callers can choose about deserialization.

/// Options for [`from_str_with`](super::from_str_with) and [`from_value_with`](super::from_value_with).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeOptions {
    /// Reject a table column that the row type has no field for (the error names the
    /// column). Default `false`: extra columns are ignored.
    pub deny_unknown_columns: bool,
    /// For a top-level sequence (`Vec<T>`): the root entry to read. Default `None`: the
    /// document must have exactly one root entry.
    pub root_table: Option<String>,
}

impl DeOptions {
    /// Default options: extra columns ignored, a top-level `Vec` reads the only entry.
    pub fn new() -> Self {
        DeOptions::default()
    }

    /// Sets [`DeOptions::deny_unknown_columns`].
    pub fn deny_unknown_columns(mut self, deny: bool) -> Self {
        self.deny_unknown_columns = deny;
        self
    }

    /// Sets [`DeOptions::root_table`].
    pub fn root_table(mut self, name: impl Into<String>) -> Self {
        self.root_table = Some(name.into());
        self
    }
}

pub(crate) static DEFAULT_OPTIONS: DeOptions = DeOptions {
    deny_unknown_columns: false,
    root_table: None,
};
