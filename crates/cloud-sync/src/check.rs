//! How a local file relates to the remote head.

use std::fmt;

/// Where local and remote stand relative to each other, decided from the manifest and
/// the local sync state alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SyncStatus {
    /// Local content is the remote head's content.
    UpToDate,
    /// Local changed since the last sync; the remote did not move: a push fast-forwards.
    Ahead,
    /// The remote moved on from the last synced head; local did not change: a pull
    /// fast-forwards.
    Behind,
    /// Both changed (or the remote head does not descend from the last synced head, or
    /// there is no known common base): a merge is needed; neither side may overwrite the
    /// other.
    Diverged,
    /// Nothing was ever pushed to this remote.
    NoRemoteHead,
}

impl SyncStatus {
    /// Whether a push from this status publishes local content as the new head (or fails
    /// trying), rather than finding nothing to publish or refusing to overwrite.
    pub(crate) fn push_publishes(self) -> bool {
        matches!(self, SyncStatus::Ahead | SyncStatus::NoRemoteHead)
    }
}

impl fmt::Display for SyncStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SyncStatus::UpToDate => "up to date",
            SyncStatus::Ahead => "local is ahead of the remote (push to publish it)",
            SyncStatus::Behind => "the remote is ahead of local (pull to get it)",
            SyncStatus::Diverged => {
                "local and remote both changed since the last sync (pull and merge first)"
            }
            SyncStatus::NoRemoteHead => "the remote has no head yet",
        })
    }
}
