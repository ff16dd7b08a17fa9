//! A spinner on stderr for operations that take longer than a second.
//!
//! The library reports no byte counts while a request runs, so this shows elapsed time
//! and what is being done, not a percentage. It never appears with `--json` or when
//! stderr is not a terminal (indicatif hides itself there).

use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

/// Runs `work`, showing a spinner labelled `label` once it has taken a second.
pub fn run<T>(label: &str, quiet: bool, work: impl FnOnce() -> T) -> T {
    if quiet {
        return work();
    }
    let (done, finished) = mpsc::channel::<()>();
    let label = label.to_owned();
    let spinner = thread::spawn(move || {
        if finished.recv_timeout(Duration::from_secs(1)).is_ok() {
            return;
        }
        let bar = ProgressBar::new_spinner();
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.set_message(label);
        bar.enable_steady_tick(Duration::from_millis(100));
        // Any message or a closed channel ends the wait.
        let _ = finished.recv();
        bar.finish_and_clear();
    });
    let result = work();
    let _ = done.send(());
    let _ = spinner.join();
    result
}
