//! The remote head: a small manifest changed only by conditional writes.
//!
//! `manifest.json` names the current snapshot, the device and stamp of the push that made
//! it, its parent head and the heads before that (newest first, at most
//! [`HISTORY_LEN`]), so "does the remote descend from what I last synced?" is answered
//! from the manifest alone.
//!
//! [`publish`] writes it create-only for the first push and with `If-Match` on the ETag
//! that was read afterwards, then **reads it back** and checks that the bytes are ours:
//! some servers accept the conditional headers without enforcing them, and there the
//! read-back is what turns a silent overwrite into [`Error::LostRace`]. A writer whose
//! read-back succeeded can still be overwritten later by a non-enforcing server; its
//! head then is not in the new head's history, which [`check`](crate::FileSync::check)
//! reports as [`Diverged`](crate::SyncStatus::Diverged), never as "behind": the pushed
//! snapshot and its backup entry stay on the remote, so nothing is lost.

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::error::{Error, ManifestProblem};
use crate::key::Key;
use crate::remote::{ObjectVersion, Remote};
use crate::snapshot::{Limits, SnapshotRef};

/// The manifest format this crate writes and reads.
pub const FORMAT_VERSION: u32 = 1;
/// How many earlier heads a manifest remembers.
pub const HISTORY_LEN: usize = 32;

/// The manifest's key, relative to the prefix.
pub fn manifest_key() -> Key {
    Key::new("manifest.json").unwrap_or_else(|_| unreachable!("a constant valid key"))
}

/// The remote head.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// [`FORMAT_VERSION`] of the writer.
    pub format: u32,
    /// This head's id (unique per push).
    pub head: String,
    /// The head this one replaced (`None` for the first push).
    pub parent: Option<String>,
    /// Earlier heads, newest first (`history[0]` is the parent).
    pub history: Vec<String>,
    /// Pushes since the first (the first push is 1).
    pub generation: u64,
    /// The content.
    pub snapshot: SnapshotRef,
    /// The id of the device that pushed it.
    pub device: String,
    /// The pusher's stamp (an RFC 3339 UTC time; a hybrid logical clock stamp once the
    /// versioning layer provides one).
    pub stamp: String,
}

impl Manifest {
    /// The manifest that follows `previous` (or the first one) with a fresh head id.
    pub fn next(
        previous: Option<&Manifest>,
        snapshot: SnapshotRef,
        device: &str,
        stamp: String,
    ) -> Manifest {
        let (parent, history, generation) = match previous {
            Some(previous) => {
                let mut history = Vec::with_capacity(HISTORY_LEN);
                history.push(previous.head.clone());
                history.extend(previous.history.iter().take(HISTORY_LEN - 1).cloned());
                (
                    Some(previous.head.clone()),
                    history,
                    previous.generation + 1,
                )
            }
            None => (None, Vec::new(), 1),
        };
        Manifest {
            format: FORMAT_VERSION,
            head: new_head_id(),
            parent,
            history,
            generation,
            snapshot,
            device: device.to_owned(),
            stamp,
        }
    }

    /// Whether this head is `head` or descends from it (within the remembered history).
    pub fn descends_from(&self, head: &str) -> bool {
        self.head == head || self.history.iter().any(|earlier| earlier == head)
    }

    /// The bytes stored on the remote.
    pub fn to_bytes(&self) -> Bytes {
        serde_json::to_vec_pretty(self)
            .unwrap_or_else(|_| unreachable!("a manifest always serializes"))
            .into()
    }

    /// Decodes and validates manifest bytes read from `full_key`.
    pub fn from_bytes(bytes: &[u8], full_key: &str, limits: &Limits) -> Result<Manifest, Error> {
        let manifest: Manifest = serde_json::from_slice(bytes).map_err(|source| Error::Decode {
            key: full_key.to_owned(),
            what: "manifest",
            source,
        })?;
        manifest.validate(full_key, limits)?;
        Ok(manifest)
    }

    fn validate(&self, full_key: &str, limits: &Limits) -> Result<(), Error> {
        let invalid = |reason| Error::InvalidManifest {
            key: full_key.to_owned(),
            reason,
        };
        if self.format != FORMAT_VERSION {
            return Err(invalid(ManifestProblem::UnknownFormat {
                found: self.format,
                supported: FORMAT_VERSION,
            }));
        }
        for id in std::iter::once(&self.head)
            .chain(&self.parent)
            .chain(&self.history)
        {
            if !is_head_id(id) {
                return Err(invalid(ManifestProblem::NotAHeadId { id: id.clone() }));
            }
        }
        if self.history.len() > HISTORY_LEN {
            return Err(invalid(ManifestProblem::HistoryTooLong {
                entries: self.history.len(),
                max: HISTORY_LEN,
            }));
        }
        if self.parent.as_ref() != self.history.first() {
            return Err(invalid(ManifestProblem::ParentNotFirstInHistory));
        }
        if !is_head_id(&self.device) {
            return Err(invalid(ManifestProblem::NotADeviceId {
                id: self.device.clone(),
            }));
        }
        self.snapshot.validate(limits)?;
        Ok(())
    }
}

/// A fresh head id: 32 lowercase hex digits.
fn new_head_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// Head and device ids: 1 to 64 characters of lowercase hex and `-`.
pub(crate) fn is_head_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f' | b'-'))
}

/// A manifest as read from the remote, with the version a conditional write needs.
#[derive(Clone, Debug)]
pub struct RemoteHead {
    /// The decoded manifest.
    pub manifest: Manifest,
    /// The version that was read.
    pub version: ObjectVersion,
    /// The exact bytes that were read.
    pub bytes: Bytes,
}

/// Reads the manifest (one request); `None` when nothing was pushed yet.
pub fn read(remote: &Remote, limits: &Limits) -> Result<Option<RemoteHead>, Error> {
    let key = manifest_key();
    let fetched = match remote.get(&key, limits.max_metadata) {
        Ok(fetched) => fetched,
        Err(Error::NotFound { .. }) => return Ok(None),
        Err(e) => return Err(e),
    };
    let manifest = Manifest::from_bytes(&fetched.bytes, &remote.full_key(&key), limits)?;
    Ok(Some(RemoteHead {
        manifest,
        version: fetched.version,
        bytes: fetched.bytes,
    }))
}

/// Publishes `manifest` as the new head, based on `base` (the head that was read; `None`
/// for the first push), and verifies by reading it back that it is the head now: its
/// bytes must be ours.
///
/// Returns the head as read back. [`Error::LostRace`] when the write was refused or the
/// read-back found another manifest: nothing of ours is the head, the caller pulls,
/// merges and tries again.
pub fn publish(
    remote: &Remote,
    manifest: &Manifest,
    base: Option<&RemoteHead>,
    limits: &Limits,
) -> Result<RemoteHead, Error> {
    let key = manifest_key();
    let bytes = manifest.to_bytes();
    let written = match base {
        None => remote.put_create(&key, bytes.clone()),
        Some(base) => remote.put_if_match(&key, bytes.clone(), &base.version),
    };
    match written {
        Ok(_) => {}
        Err(Error::AlreadyExists { .. } | Error::Precondition { .. }) => {
            return Err(lost_race(remote, manifest, limits));
        }
        Err(e) => return Err(e),
    }
    // The bytes, not the entity tag: a server that does not enforce If-Match may also
    // write an object and its metadata apart, so two racing writes can leave one's tag
    // on the other's bytes (seen on s3s-fs).
    match read(remote, limits)? {
        Some(head) if head.bytes == bytes => Ok(head),
        Some(head) => Err(Error::LostRace {
            key: remote.full_key(&key),
            ours: manifest.head.clone(),
            theirs: Some(head.manifest.head),
        }),
        None => Err(Error::LostRace {
            key: remote.full_key(&key),
            ours: manifest.head.clone(),
            theirs: None,
        }),
    }
}

fn lost_race(remote: &Remote, ours: &Manifest, limits: &Limits) -> Error {
    // Naming the winner is a courtesy; failing to read it must not hide the lost race.
    let theirs = read(remote, limits)
        .ok()
        .flatten()
        .map(|head| head.manifest.head);
    Error::LostRace {
        key: remote.full_key(&manifest_key()),
        ours: ours.head.clone(),
        theirs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::Prefix;
    use crate::snapshot::prepare;

    fn snapshot(content: &[u8]) -> SnapshotRef {
        prepare(content).unwrap().reference
    }

    #[test]
    fn history_is_bounded_and_parent_first() {
        let mut manifest = Manifest::next(None, snapshot(b"0"), "d1", "t".into());
        let first = manifest.head.clone();
        for i in 0..40 {
            let next = Manifest::next(Some(&manifest), snapshot(&[i]), "d1", "t".into());
            assert_eq!(next.parent.as_deref(), Some(manifest.head.as_str()));
            assert!(next.descends_from(&manifest.head));
            manifest = next;
        }
        assert_eq!(manifest.history.len(), HISTORY_LEN);
        assert_eq!(manifest.generation, 41);
        assert!(
            !manifest.descends_from(&first),
            "beyond the remembered history"
        );
    }

    #[test]
    fn manifests_naming_paths_outside_the_prefix_are_rejected() {
        let limits = Limits::default();
        let mut manifest = Manifest::next(None, snapshot(b"x"), "d1", "t".into());
        manifest.snapshot.key = "../../x".into();
        let err =
            Manifest::from_bytes(&manifest.to_bytes(), "p/manifest.json", &limits).unwrap_err();
        assert!(
            matches!(err, Error::InvalidKey { ref key, .. } if key == "../../x"),
            "{err}"
        );

        let mut manifest = Manifest::next(None, snapshot(b"x"), "d1", "t".into());
        manifest.head = "../../x".into();
        assert!(matches!(
            Manifest::from_bytes(&manifest.to_bytes(), "p/manifest.json", &limits),
            Err(Error::InvalidManifest { .. })
        ));
        let mut manifest = Manifest::next(None, snapshot(b"x"), "d1", "t".into());
        manifest.format = 2;
        assert!(matches!(
            Manifest::from_bytes(&manifest.to_bytes(), "p/manifest.json", &limits),
            Err(Error::InvalidManifest { .. })
        ));
    }

    #[test]
    fn an_oversized_manifest_is_refused_before_decoding() {
        let remote = Remote::in_memory(Prefix::new("p").unwrap()).unwrap();
        let limits = Limits::default();
        remote
            .put_create(
                &manifest_key(),
                vec![b' '; limits.max_metadata as usize + 1],
            )
            .unwrap();
        assert!(matches!(
            read(&remote, &limits),
            Err(Error::TooLarge { .. })
        ));
    }

    #[test]
    fn publish_creates_then_advances_and_refuses_stale_bases() {
        let remote = Remote::in_memory(Prefix::new("p").unwrap()).unwrap();
        let limits = Limits::default();
        let first = Manifest::next(None, snapshot(b"1"), "d1", "t".into());
        let head1 = publish(&remote, &first, None, &limits).unwrap();
        // A second first push loses.
        let rival = Manifest::next(None, snapshot(b"r"), "d2", "t".into());
        assert!(
            publish(&remote, &rival, None, &limits)
                .unwrap_err()
                .is_lost_race()
        );

        let second = Manifest::next(Some(&first), snapshot(b"2"), "d1", "t".into());
        let head2 = publish(&remote, &second, Some(&head1), &limits).unwrap();
        assert_eq!(head2.manifest, second);
        // Based on the stale head1: refused, and the winner is named.
        let stale = Manifest::next(Some(&first), snapshot(b"3"), "d2", "t".into());
        match publish(&remote, &stale, Some(&head1), &limits) {
            Err(Error::LostRace { theirs, .. }) => assert_eq!(theirs, Some(second.head)),
            other => panic!("expected a lost race, got {other:?}"),
        }
    }
}
