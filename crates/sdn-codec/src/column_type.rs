//! The declared type of a typed-table column. A leaf module: both the value model and
//! the error type name it, so it depends on neither.

use std::fmt;

/// The declared type of a typed-table column (`table{i64, str, f64, bool}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ColumnType {
    /// `i64`: integer cells.
    I64,
    /// `f64`: float cells (an integer literal is accepted and read as a float).
    F64,
    /// `str`: every cell is a string, whatever it looks like (`007` stays `"007"`).
    Str,
    /// `bool`: `true` / `false`.
    Bool,
}

impl ColumnType {
    /// The SDN spelling: `i64`, `f64`, `str`, `bool`.
    pub fn name(self) -> &'static str {
        match self {
            ColumnType::I64 => "i64",
            ColumnType::F64 => "f64",
            ColumnType::Str => "str",
            ColumnType::Bool => "bool",
        }
    }

    /// Parses an SDN type name; `None` for anything else.
    pub fn from_name(name: &str) -> Option<ColumnType> {
        Some(match name {
            "i64" => ColumnType::I64,
            "f64" => ColumnType::F64,
            "str" => ColumnType::Str,
            "bool" => ColumnType::Bool,
            _ => return None,
        })
    }
}

impl fmt::Display for ColumnType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
