//! The synchronisation primitives of the in-process lock table ([`crate::in_process`]).
//! The loom model (`tests/loom.rs`) compiles the table's source against its own module of
//! this name, made of loom's primitives and a virtual clock, so the table's
//! interleavings are model-checked while the library itself never depends on loom.

pub(crate) use std::thread::ThreadId;
pub(crate) use std::time::Instant;

/// parking_lot's poison-free mutex, whose `new` is `const` (the table is a `static`).
pub(crate) type Mutex<T> = parking_lot::Mutex<T>;
/// parking_lot's condition variable, with `wait_until` a deadline.
pub(crate) type Condvar = parking_lot::Condvar;
