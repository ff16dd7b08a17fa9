//! Capability probe: does this remote enforce create-only and `If-Match` writes?
//!
//! Some S3-compatible servers accept `If-None-Match: *` and `If-Match` and then write
//! anyway. cloud-sync stays safe on them (every manifest write is read back, and a head
//! that was overwritten shows up as a divergence), but two devices pushing at the same
//! moment can then both be told they won, and one of them only learns otherwise at its
//! next check. [`probe`] measures what the server does, with throw-away objects under
//! `doctor/<random>/`, which it deletes afterwards.

use bytes::Bytes;
use futures_util::FutureExt;

use crate::error::Error;
use crate::key::Key;
use crate::remote::Remote;

/// What the probe found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Capabilities {
    /// A second create-only write of an existing object was refused.
    pub create_only_enforced: bool,
    /// A write with a stale `If-Match` was refused.
    pub if_match_enforced: bool,
    /// A write with the current `If-Match` was accepted (conditional writes work at all).
    pub if_match_accepted: bool,
    /// What was written could be read back byte for byte.
    pub read_back_ok: bool,
    /// Of [`CONCURRENT_WRITERS`] writes sent at once with the same `If-Match`, at most
    /// one was accepted. A server can refuse a stale `If-Match` sent alone and still let
    /// several concurrent ones through (it checks, then writes, without a lock).
    pub if_match_atomic: bool,
}

/// How many conditional writes the concurrency probe sends at once.
pub const CONCURRENT_WRITERS: usize = 8;

impl Capabilities {
    /// Whether the remote gives real compare-and-swap.
    pub fn enforces_conditional_writes(&self) -> bool {
        self.create_only_enforced
            && self.if_match_enforced
            && self.if_match_accepted
            && self.if_match_atomic
    }
}

/// Probes `remote` with objects under `doctor/<random>/` (removed afterwards).
pub fn probe(remote: &Remote) -> Result<Capabilities, Error> {
    let key = Key::new(format!("doctor/{}/probe", uuid::Uuid::new_v4().simple()))?;
    let result = run(remote, &key);
    // Remove the probe object whatever happened; a failure to clean up is secondary.
    let _ = remote.delete(&key);
    result
}

fn run(remote: &Remote, key: &Key) -> Result<Capabilities, Error> {
    remote.put_create(key, Bytes::from_static(b"first"))?;
    let create_only_enforced = match remote.put_create(key, Bytes::from_static(b"second")) {
        Err(Error::AlreadyExists { .. }) => true,
        Ok(_) => false,
        Err(e) => return Err(e),
    };
    let current = remote.get(key, 64)?;
    let read_back_ok = create_only_enforced && current.bytes == b"first"[..]
        || !create_only_enforced && current.bytes == b"second"[..];
    let if_match_accepted =
        match remote.put_if_match(key, Bytes::from_static(b"third"), &current.version) {
            Ok(_) => true,
            Err(Error::Precondition { .. }) => false,
            Err(e) => return Err(e),
        };
    // `current.version` is stale now (if the write above was accepted).
    let if_match_enforced = if_match_accepted
        && match remote.put_if_match(key, Bytes::from_static(b"fourth"), &current.version) {
            Err(Error::Precondition { .. }) => true,
            Ok(_) => false,
            Err(e) => return Err(e),
        };
    let if_match_atomic = if_match_enforced && concurrent_if_match_wins(remote, key)? <= 1;
    Ok(Capabilities {
        create_only_enforced,
        if_match_enforced,
        if_match_accepted,
        read_back_ok,
        if_match_atomic,
    })
}

/// Sends [`CONCURRENT_WRITERS`] writes based on one version at once; returns how many
/// the server accepted.
fn concurrent_if_match_wins(remote: &Remote, key: &Key) -> Result<usize, Error> {
    let base = remote.get(key, 64)?.version;
    let remote_async = remote.as_async();
    let writes = (0..CONCURRENT_WRITERS)
        .map(|i| remote_async.put_if_match(key, Bytes::from(format!("writer {i}")), &base));
    let results = remote.block(futures_util::future::join_all(writes).map(Ok))?;
    let mut wins = 0;
    for result in results {
        match result {
            Ok(_) => wins += 1,
            Err(Error::Precondition { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(wins)
}
