//! Waiting for a kernel lock with a deadline, without polling.
//!
//! The kernel offers a blocking lock call with no timeout. A helper thread makes that call
//! on the caller's sidecar description and hands the description back over a
//! channel, so the caller can `recv_timeout` until its deadline: the kernel grants the lock
//! the moment the holder lets go, and the deadline is met to within the channel's wake-up
//! latency. On timeout the caller marks the request abandoned; the helper, once the kernel
//! finally grants it the lock, closes the description, which releases the lock at once.
//! Until then the abandoned helper thread lingers, blocked in the kernel.

use std::fs::File;
use std::io;
use std::sync::Arc;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Instant;

use parking_lot::Mutex;

use crate::{Mode, sys};

/// Stack size of a helper thread: it only makes one system call.
const HELPER_STACK: usize = 64 * 1024;

/// What became of a wait with a deadline.
pub(crate) enum Outcome {
    /// The lock is held through this description.
    Acquired(File),
    /// The deadline passed first; the description went to the abandoned helper.
    TimedOut,
}

/// Blocks in the kernel for `mode` on `file`, giving up at `deadline`.
pub(crate) fn lock_until(file: File, mode: Mode, deadline: Instant) -> io::Result<Outcome> {
    // Set under `abandoned`'s mutex by whichever side decides the outcome, so a grant that
    // races the deadline is either handed over or released, never lost or leaked.
    let abandoned = Arc::new(Mutex::new(false));
    let (sender, receiver) = mpsc::sync_channel::<io::Result<File>>(1);
    let helper_abandoned = Arc::clone(&abandoned);
    std::thread::Builder::new()
        .name("file-lock-waiter".to_owned())
        .stack_size(HELPER_STACK)
        .spawn(move || {
            let result = sys::lock_blocking(&file, mode).map(|()| file);
            let abandoned = helper_abandoned.lock();
            if !*abandoned {
                // A full or closed channel is impossible while not abandoned; if it were,
                // dropping the result would close the description and release the lock.
                let _ = sender.try_send(result);
            }
            // Abandoned: `result` drops here, closing the description and releasing the lock.
        })?;

    match receiver.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
        Ok(result) => result.map(Outcome::Acquired),
        Err(RecvTimeoutError::Timeout) => {
            let mut abandoned = abandoned.lock();
            match receiver.try_recv() {
                // Granted just as the deadline passed: keep it rather than throw it away.
                Ok(result) => result.map(Outcome::Acquired),
                Err(_) => {
                    *abandoned = true;
                    Ok(Outcome::TimedOut)
                }
            }
        }
        Err(RecvTimeoutError::Disconnected) => Err(io::Error::other(
            "the lock waiter thread ended without an answer",
        )),
    }
}
