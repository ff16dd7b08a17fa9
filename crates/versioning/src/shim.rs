//! The one lock of the crate's in-process state (the HLC). The loom model
//! (`tests/loom.rs`) compiles `hlc.rs` against a loom mutex of the same shape, so the
//! library itself never depends on loom.

/// A mutex with parking_lot's poison-free interface.
#[derive(Debug, Default)]
pub(crate) struct Mutex<T>(parking_lot::Mutex<T>);

impl<T> Mutex<T> {
    pub(crate) fn new(value: T) -> Self {
        Mutex(parking_lot::Mutex::new(value))
    }

    pub(crate) fn lock(&self) -> parking_lot::MutexGuard<'_, T> {
        self.0.lock()
    }
}
