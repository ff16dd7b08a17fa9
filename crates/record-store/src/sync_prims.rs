//! The synchronisation primitives of the in-process core ([`crate::cache`]). The loom
//! model (`tests/loom.rs`) compiles the core's source against its own module of this
//! name, made of loom's primitives, so the core's interleavings are model-checked while
//! the library itself never depends on loom.

pub(crate) use std::sync::Arc;
pub(crate) use std::sync::atomic::{AtomicU64, Ordering};

/// The mutex of the core: parking_lot's, poison-free.
pub(crate) type Mutex<T> = parking_lot::Mutex<T>;
