//! How a lock is held, exclusive or shared, and the word for it in messages and in the
//! sidecar's holder record. Every layer below the lock handle (the in-process table, the
//! kernel locks, the holder record, the errors) speaks in it.

use std::fmt;

/// How a lock is held.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Mode {
    /// One holder at a time; excludes every other lock. For writers.
    Exclusive,
    /// Any number of holders at once; excludes exclusive locks.
    Shared,
}

impl Mode {
    /// The word used in messages and in the sidecar record.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Exclusive => "exclusive",
            Mode::Shared => "shared",
        }
    }

    pub(crate) fn from_word(word: &str) -> Option<Mode> {
        match word {
            "exclusive" => Some(Mode::Exclusive),
            "shared" => Some(Mode::Shared),
            _ => None,
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
