//! The SDN data model: [`Value`], [`Scalar`], [`Map`] and [`Table`].
//!
//! A document is a [`Map`] (ordered, string keys). Values are scalars (null, bool,
//! integer, float, string), arrays, dicts and tables (SPEC §1).
//!
//! Every scalar read from text remembers the exact text it came from
//! ([`Scalar::source_text`]), so `version: 007` is the integer 7 *and* the text `007`.
//! Equality is **semantic**: two values are equal when their data is equal, whatever
//! text they were read from (`007 == 7`, `1.10 == 1.1`, `"abc" == abc`). Maps compare
//! in order (a document is an ordered map).
//!
//! ```
//! use sdn_codec::{Map, Value};
//!
//! let mut server = Map::new();
//! server.insert("host", "localhost");
//! server.insert("port", 8080);
//! let root = Value::from(server);
//! assert_eq!(root["port"].as_i64(), Some(8080));
//! assert_eq!(root.get("host").and_then(Value::as_str), Some("localhost"));
//! assert!(root["missing"].is_null());
//! ```

use std::borrow::Cow;
use std::fmt;

pub use crate::column_type::ColumnType;

mod identical;
mod map;
mod table;

pub use map::Map;
pub use table::{Column, Table};
mod row_lookup;
pub(crate) use row_lookup::cell_column;

/// `name` after `a` or `an`, as English wants it (`an array`, `a table`).
pub(crate) fn with_article(name: &str) -> String {
    let article = if name.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    format!("{article} {name}")
}
pub(crate) use identical::{all_identical, maps_identical};

/// The data of one scalar, without its source text.
#[derive(Debug, Clone, PartialEq)]
pub enum ScalarKind {
    /// `null` or `nil`, or a `key:` with nothing after it.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A signed 64-bit integer.
    Int(i64),
    /// A finite 64-bit float.
    Float(f64),
    /// A quoted or plain string.
    String(String),
}

impl ScalarKind {
    /// Name of the kind as used in error messages: `null`, `bool`, `integer`, `float`, `string`.
    pub fn name(&self) -> &'static str {
        match self {
            ScalarKind::Null => "null",
            ScalarKind::Bool(_) => "bool",
            ScalarKind::Int(_) => "integer",
            ScalarKind::Float(_) => "float",
            ScalarKind::String(_) => "string",
        }
    }
}

/// The longest source text kept inside the scalar rather than on the heap: enough for
/// every `i64`, `true`, `null` and most floats, so a parsed number costs no allocation
/// (and the variant keeps `Source` no larger than with `Text` alone).
const INLINE_SOURCE: usize = 22;

/// Where a scalar's text came from.
#[derive(Clone, PartialEq)]
enum Source {
    /// Built in code: no source text.
    None,
    /// A plain (unquoted) string: its source text is the string itself.
    PlainString,
    /// A short exact text, in place: `bytes[..len]` (whole UTF-8 text, copied from a
    /// `&str`).
    Inline { len: u8, bytes: [u8; INLINE_SOURCE] },
    /// The exact text (for quoted strings: including the quotes and escapes as written).
    Text(Box<str>),
}

impl Source {
    /// The exact text `source`, kept in place when it is short.
    fn text(source: &str) -> Source {
        match u8::try_from(source.len()) {
            Ok(len) if source.len() <= INLINE_SOURCE => {
                let mut bytes = [0; INLINE_SOURCE];
                bytes[..source.len()].copy_from_slice(source.as_bytes());
                Source::Inline { len, bytes }
            }
            _ => Source::Text(source.into()),
        }
    }

    /// The exact text, when it is stored here (`None`, `PlainString`: not).
    fn as_text(&self) -> Option<&str> {
        match self {
            Source::None | Source::PlainString => None,
            // Always valid: a copy of a whole `&str`.
            Source::Inline { len, bytes } => std::str::from_utf8(&bytes[..usize::from(*len)]).ok(),
            Source::Text(t) => Some(t),
        }
    }
}

/// One scalar: its data ([`ScalarKind`]) and, when it was read from text, the exact
/// source text.
///
/// Equality compares only the data.
///
/// ```
/// use sdn_codec::{Scalar, ScalarKind};
///
/// let parsed = sdn_codec::parse("v: 007\n").unwrap();
/// let scalar = parsed["v"].as_scalar().unwrap();
/// assert_eq!(scalar.kind(), &ScalarKind::Int(7));
/// assert_eq!(scalar.source_text(), Some("007"));
/// assert_eq!(scalar, &Scalar::new(ScalarKind::Int(7)));
/// ```
#[derive(Clone)]
pub struct Scalar {
    kind: ScalarKind,
    source: Source,
}

impl Scalar {
    /// A scalar built in code (no source text).
    pub const fn new(kind: ScalarKind) -> Self {
        Scalar {
            kind,
            source: Source::None,
        }
    }

    /// The null scalar.
    pub const fn null() -> Self {
        Scalar::new(ScalarKind::Null)
    }

    /// A scalar read from `source`, the exact text it was written as (for a quoted
    /// string: the whole literal with its quotes).
    ///
    /// The parser builds these; code that builds one by hand must pass text that
    /// reads back as `kind` (the canonical writer never writes the source text unless
    /// asked to, and then only after checking it reads back as `kind`).
    pub fn with_source(kind: ScalarKind, source: &str) -> Self {
        let source = match &kind {
            ScalarKind::String(s) if s == source => Source::PlainString,
            _ => Source::text(source),
        };
        Scalar { kind, source }
    }

    /// A plain (unquoted) string read from text, whose source text is the string
    /// itself (what [`Scalar::with_source`] finds by comparing).
    pub(crate) fn plain_string(s: String) -> Self {
        Scalar {
            kind: ScalarKind::String(s),
            source: Source::PlainString,
        }
    }

    /// The data.
    pub fn kind(&self) -> &ScalarKind {
        &self.kind
    }

    /// The data, mutably; changing it drops the source text.
    pub fn kind_mut(&mut self) -> &mut ScalarKind {
        self.source = Source::None;
        &mut self.kind
    }

    /// The data, consuming the scalar.
    pub fn into_kind(self) -> ScalarKind {
        self.kind
    }

    /// The exact text this scalar was read from, or `None` when it was built in code.
    ///
    /// For a quoted string this is the whole literal including its quotes, escapes as
    /// written (`"a\tb"`); for everything else the trimmed plain text (`007`, `1.10`,
    /// `nil`, `2.1.0`).
    pub fn source_text(&self) -> Option<&str> {
        match (&self.source, &self.kind) {
            (Source::PlainString, ScalarKind::String(s)) => Some(s),
            (source, _) => source.as_text(),
        }
    }

    /// True when this is a string that was written in double quotes.
    pub fn is_quoted(&self) -> bool {
        matches!(self.kind, ScalarKind::String(_))
            && self.source.as_text().is_some_and(|t| t.starts_with('"'))
    }

    /// The text a consumer that wants a string gets: a string's content; otherwise the
    /// exact source text when there is one (`007`, `1.10`, `nil`), else the canonical
    /// spelling (`7`, `1.1`, `null`).
    pub fn text(&self) -> Cow<'_, str> {
        match (&self.kind, self.source.as_text()) {
            (ScalarKind::String(s), _) => Cow::Borrowed(s),
            (_, Some(t)) => Cow::Borrowed(t),
            (kind, None) => Cow::Owned(canonical_scalar_spelling(kind)),
        }
    }
}

/// Canonical spelling of a non-string scalar (strings are returned unquoted).
pub(crate) fn canonical_scalar_spelling(kind: &ScalarKind) -> String {
    match kind {
        ScalarKind::Null => "null".to_owned(),
        ScalarKind::Bool(b) => b.to_string(),
        ScalarKind::Int(i) => i.to_string(),
        ScalarKind::Float(f) => crate::syntax::format_float(*f).unwrap_or_else(|| f.to_string()),
        ScalarKind::String(s) => s.clone(),
    }
}

impl PartialEq for Scalar {
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind
    }
}

impl fmt::Debug for Scalar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.kind.fmt(f)?;
        if let Some(t) = self.source.as_text() {
            write!(f, " from {t:?}")?;
        }
        Ok(())
    }
}

impl From<ScalarKind> for Scalar {
    fn from(kind: ScalarKind) -> Self {
        Scalar::new(kind)
    }
}

/// An SDN value.
///
/// Scalars are wrapped in [`Scalar`] so they keep their source text; use the
/// accessors (`as_str`, `as_i64`, ...) or [`Value::as_scalar`] to reach the data.
#[derive(Clone, PartialEq)]
pub enum Value {
    /// null, bool, integer, float or string.
    Scalar(Scalar),
    /// An ordered list.
    Array(Vec<Value>),
    /// An ordered map from string keys.
    Dict(Map),
    /// Columns and rows of cells; its name is the key it is stored under.
    Table(Table),
}

pub(super) static NULL: Value = Value::Scalar(Scalar::null());

impl Value {
    /// The null value.
    pub const fn null() -> Value {
        Value::Scalar(Scalar::null())
    }

    /// A scalar value built in code.
    pub const fn scalar(kind: ScalarKind) -> Value {
        Value::Scalar(Scalar::new(kind))
    }

    /// Kind name for messages: `null`, `bool`, `integer`, `float`, `string`, `array`,
    /// `dict` or `table`.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Value::Scalar(s) => s.kind.name(),
            Value::Array(_) => "array",
            Value::Dict(_) => "dict",
            Value::Table(_) => "table",
        }
    }

    /// [`Value::kind_name`] with its article, for messages: `an integer`, `a dict`,
    /// `an array`.
    ///
    /// ```
    /// assert_eq!(sdn_codec::Value::from(vec![1]).kind_with_article(), "an array");
    /// assert_eq!(sdn_codec::Value::from(true).kind_with_article(), "a bool");
    /// ```
    pub fn kind_with_article(&self) -> String {
        with_article(self.kind_name())
    }

    /// The scalar, if this is one.
    pub fn as_scalar(&self) -> Option<&Scalar> {
        match self {
            Value::Scalar(s) => Some(s),
            _ => None,
        }
    }

    /// The scalar's data, if this is a scalar.
    pub fn scalar_kind(&self) -> Option<&ScalarKind> {
        self.as_scalar().map(Scalar::kind)
    }

    /// True for null.
    pub fn is_null(&self) -> bool {
        matches!(self.scalar_kind(), Some(ScalarKind::Null))
    }

    /// The bool, if this is a bool.
    pub fn as_bool(&self) -> Option<bool> {
        match self.scalar_kind() {
            Some(ScalarKind::Bool(b)) => Some(*b),
            _ => None,
        }
    }

    /// The integer, if this is an integer.
    pub fn as_i64(&self) -> Option<i64> {
        match self.scalar_kind() {
            Some(ScalarKind::Int(i)) => Some(*i),
            _ => None,
        }
    }

    /// The number as a float: a float, or an integer converted (possibly rounding
    /// beyond 2^53).
    pub fn as_f64(&self) -> Option<f64> {
        match self.scalar_kind() {
            Some(ScalarKind::Float(f)) => Some(*f),
            Some(ScalarKind::Int(i)) => Some(*i as f64),
            _ => None,
        }
    }

    /// The string, if this is a string (quoted or plain). Numbers are not strings here;
    /// use [`Value::text`] for "whatever was written".
    pub fn as_str(&self) -> Option<&str> {
        match self.scalar_kind() {
            Some(ScalarKind::String(s)) => Some(s),
            _ => None,
        }
    }

    /// The text a consumer that wants a string gets from a scalar (see [`Scalar::text`]):
    /// `007` stays `007`. `None` for arrays, dicts and tables.
    pub fn text(&self) -> Option<Cow<'_, str>> {
        self.as_scalar().map(Scalar::text)
    }

    /// The exact source text of a scalar read from input (see [`Scalar::source_text`]).
    pub fn source_text(&self) -> Option<&str> {
        self.as_scalar().and_then(Scalar::source_text)
    }

    /// The array, if this is one.
    pub fn as_array(&self) -> Option<&Vec<Value>> {
        match self {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }

    /// The array, mutably.
    pub fn as_array_mut(&mut self) -> Option<&mut Vec<Value>> {
        match self {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }

    /// The dict, if this is one.
    pub fn as_dict(&self) -> Option<&Map> {
        match self {
            Value::Dict(m) => Some(m),
            _ => None,
        }
    }

    /// The dict, mutably.
    pub fn as_dict_mut(&mut self) -> Option<&mut Map> {
        match self {
            Value::Dict(m) => Some(m),
            _ => None,
        }
    }

    /// The table, if this is one.
    pub fn as_table(&self) -> Option<&Table> {
        match self {
            Value::Table(t) => Some(t),
            _ => None,
        }
    }

    /// The table, mutably.
    pub fn as_table_mut(&mut self) -> Option<&mut Table> {
        match self {
            Value::Table(t) => Some(t),
            _ => None,
        }
    }

    /// A dict entry by key or an array element by position.
    ///
    /// ```
    /// let v = sdn_codec::parse("a: [1, 2]\n").unwrap();
    /// assert_eq!(v.get("a").and_then(|a| a.get(1)).and_then(|x| x.as_i64()), Some(2));
    /// ```
    pub fn get<I: ValueIndex>(&self, index: I) -> Option<&Value> {
        index.index_into(self)
    }

    /// Mutable form of [`Value::get`].
    pub fn get_mut<I: ValueIndex>(&mut self, index: I) -> Option<&mut Value> {
        index.index_into_mut(self)
    }

    /// Follows a path of keys and positions: `["server", "ports", "0"]`. A segment that
    /// parses as a number indexes arrays (and is a key for dicts).
    pub fn get_path<S: AsRef<str>>(&self, path: &[S]) -> Option<&Value> {
        let mut current = self;
        for segment in path {
            let segment = segment.as_ref();
            current = match current {
                Value::Dict(m) => m.get(segment)?,
                Value::Array(a) => a.get(segment.parse::<usize>().ok()?)?,
                _ => return None,
            };
        }
        Some(current)
    }
}

impl Default for Value {
    fn default() -> Self {
        Value::null()
    }
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Scalar(s) => s.fmt(f),
            Value::Array(a) => f.debug_list().entries(a).finish(),
            Value::Dict(m) => m.fmt(f),
            Value::Table(t) => t.fmt(f),
        }
    }
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for usize {}
    impl Sealed for str {}
    impl Sealed for String {}
    impl<T: Sealed + ?Sized> Sealed for &T {}
}

/// What [`Value::get`] accepts: a `usize` for arrays, a `&str`/`String` for dicts.
pub trait ValueIndex: sealed::Sealed {
    #[doc(hidden)]
    fn index_into<'v>(&self, v: &'v Value) -> Option<&'v Value>;
    #[doc(hidden)]
    fn index_into_mut<'v>(&self, v: &'v mut Value) -> Option<&'v mut Value>;
}

impl ValueIndex for usize {
    fn index_into<'v>(&self, v: &'v Value) -> Option<&'v Value> {
        v.as_array()?.get(*self)
    }
    fn index_into_mut<'v>(&self, v: &'v mut Value) -> Option<&'v mut Value> {
        v.as_array_mut()?.get_mut(*self)
    }
}

impl ValueIndex for str {
    fn index_into<'v>(&self, v: &'v Value) -> Option<&'v Value> {
        v.as_dict()?.get(self)
    }
    fn index_into_mut<'v>(&self, v: &'v mut Value) -> Option<&'v mut Value> {
        v.as_dict_mut()?.get_mut(self)
    }
}

impl ValueIndex for String {
    fn index_into<'v>(&self, v: &'v Value) -> Option<&'v Value> {
        self.as_str().index_into(v)
    }
    fn index_into_mut<'v>(&self, v: &'v mut Value) -> Option<&'v mut Value> {
        self.as_str().index_into_mut(v)
    }
}

impl<T: ValueIndex + ?Sized> ValueIndex for &T {
    fn index_into<'v>(&self, v: &'v Value) -> Option<&'v Value> {
        (**self).index_into(v)
    }
    fn index_into_mut<'v>(&self, v: &'v mut Value) -> Option<&'v mut Value> {
        (**self).index_into_mut(v)
    }
}

/// `value["key"]` / `value[0]`: a missing entry reads as null (never panics).
impl<I: ValueIndex> std::ops::Index<I> for Value {
    type Output = Value;
    fn index(&self, index: I) -> &Value {
        index.index_into(self).unwrap_or(&NULL)
    }
}

impl From<ScalarKind> for Value {
    fn from(kind: ScalarKind) -> Self {
        Value::scalar(kind)
    }
}
impl From<Scalar> for Value {
    fn from(s: Scalar) -> Self {
        Value::Scalar(s)
    }
}
impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::scalar(ScalarKind::Bool(b))
    }
}
macro_rules! from_int {
    ($($t:ty),*) => {$(
        impl From<$t> for Value {
            fn from(i: $t) -> Self {
                Value::scalar(ScalarKind::Int(i64::from(i)))
            }
        }
    )*};
}
from_int!(i8, i16, i32, i64, u8, u16, u32);
impl From<f64> for Value {
    fn from(f: f64) -> Self {
        Value::scalar(ScalarKind::Float(f))
    }
}
impl From<f32> for Value {
    fn from(f: f32) -> Self {
        Value::scalar(ScalarKind::Float(f64::from(f)))
    }
}
impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::scalar(ScalarKind::String(s.to_owned()))
    }
}
impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::scalar(ScalarKind::String(s))
    }
}
impl From<Cow<'_, str>> for Value {
    fn from(s: Cow<'_, str>) -> Self {
        Value::scalar(ScalarKind::String(s.into_owned()))
    }
}
impl From<Map> for Value {
    fn from(m: Map) -> Self {
        Value::Dict(m)
    }
}
impl From<Table> for Value {
    fn from(t: Table) -> Self {
        Value::Table(t)
    }
}
impl<T: Into<Value>> From<Vec<T>> for Value {
    fn from(v: Vec<T>) -> Self {
        Value::Array(v.into_iter().map(Into::into).collect())
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::null(), Into::into)
    }
}
impl<T: Into<Value>> FromIterator<T> for Value {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        Value::Array(iter.into_iter().map(Into::into).collect())
    }
}

#[cfg(test)]
mod tests;
