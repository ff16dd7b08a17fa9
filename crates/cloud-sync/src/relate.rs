//! How local content, the last sync and the remote head relate: the one decision every
//! check, push, pull and restore starts from.

use crate::check::SyncStatus;
use crate::manifest::RemoteHead;
use crate::state::SyncState;

/// How local and remote relate, given the last sync.
pub(crate) fn relate(
    base: Option<&SyncState>,
    local_sha256: Option<&str>,
    remote: Option<&RemoteHead>,
) -> SyncStatus {
    let Some(remote) = remote.map(|head| &head.manifest) else {
        return SyncStatus::NoRemoteHead;
    };
    let Some(local) = local_sha256 else {
        // Nothing local (a fresh device): taking the remote loses nothing.
        return SyncStatus::Behind;
    };
    let Some(base) = base else {
        // No known common base: equal content is in sync, anything else needs a merge.
        return if remote.snapshot.sha256 == local {
            SyncStatus::UpToDate
        } else {
            SyncStatus::Diverged
        };
    };
    let local_changed = local != base.local_sha256;
    if remote.head == base.head {
        return if local_changed {
            SyncStatus::Ahead
        } else {
            SyncStatus::UpToDate
        };
    }
    if remote.snapshot.sha256 == local {
        return SyncStatus::UpToDate;
    }
    // The head moved. Only a head that descends from our base may replace local content:
    // one that does not (our push was overwritten by a server that ignores If-Match, or
    // we are older than the remembered history) needs a merge.
    if remote.descends_from(&base.head) && !local_changed {
        SyncStatus::Behind
    } else {
        SyncStatus::Diverged
    }
}
