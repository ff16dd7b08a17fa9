//! The per-file snapshot cache: the only state threads of one process share on the read
//! path, model-checked with loom.
//!
//! Every read takes a *ticket* from a counter before it looks at the file, and publishes
//! what it parsed together with that ticket. A publication with an older ticket never
//! replaces a newer one: the newer reader looked at the file later, so what it saw is at
//! least as recent. Hence the cache never moves backwards in time, even when a slow reader
//! finishes parsing an old version after a writer has published a new one. Whether a
//! cached entry still matches the file is decided by the caller (see
//! [`crate::identity`]); the cache only keeps the newest observation.

use crate::sync_prims::{Arc, AtomicU64, Mutex, Ordering};

/// A ticket: taken before looking at the file, so it orders observations of the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Ticket(u64);

#[derive(Debug)]
struct Entry<I, S> {
    ticket: Ticket,
    identity: I,
    snapshot: Arc<S>,
}

/// Newest-wins cache of one parsed snapshot and the file identity it was parsed from.
#[derive(Debug)]
pub struct SnapshotCache<I, S> {
    next_ticket: AtomicU64,
    slot: Mutex<Option<Entry<I, S>>>,
}

impl<I: Clone, S> SnapshotCache<I, S> {
    /// An empty cache.
    pub fn new() -> Self {
        SnapshotCache {
            next_ticket: AtomicU64::new(0),
            slot: Mutex::new(None),
        }
    }

    /// Takes a ticket; call it before reading the file's identity or contents.
    pub fn ticket(&self) -> Ticket {
        // SeqCst: the ticket order must agree with the order of the file observations
        // that follow it in each thread.
        Ticket(self.next_ticket.fetch_add(1, Ordering::SeqCst))
    }

    /// The cached identity and snapshot, if any.
    pub fn current(&self) -> Option<(I, Arc<S>)> {
        let slot = self.slot.lock();
        slot.as_ref()
            .map(|entry| (entry.identity.clone(), Arc::clone(&entry.snapshot)))
    }

    /// Removes the cached entry and returns it with the ticket it was published under.
    /// Publishing it again with that ticket ([`publish`](Self::publish)) puts it back
    /// unless a newer observation was published meanwhile, so taking an entry out for a
    /// while never moves the cache back in time.
    pub fn take(&self) -> Option<(Ticket, I, Arc<S>)> {
        self.slot
            .lock()
            .take()
            .map(|entry| (entry.ticket, entry.identity, entry.snapshot))
    }

    /// Publishes an observation made under `ticket`; returns whether it was kept (false
    /// when a newer observation is already cached).
    pub fn publish(&self, ticket: Ticket, identity: I, snapshot: Arc<S>) -> bool {
        let mut slot = self.slot.lock();
        match slot.as_ref() {
            Some(entry) if entry.ticket > ticket => false,
            _ => {
                *slot = Some(Entry {
                    ticket,
                    identity,
                    snapshot,
                });
                true
            }
        }
    }
}
