//! Worker processes: the test binary re-run to play one role in a multi-process test.
//!
//! A test file has one test that is the body of every worker (`worker_process`, say):
//! it returns at once in a normal test run, and acts when an environment variable names
//! its role. The parent test starts the binary again with [`command`], running only that
//! test. Workers answer in stdout lines that start with a prefix of the file's choosing
//! ([`say`]); libtest's own output on the same stream is passed over.
//!
//! [`Worker`] is the parent's handle: it reads the answers on a thread (so every wait
//! has a deadline), writes commands to the worker's stdin, and kills the process when
//! dropped, so a failing test leaves no stray process.

use std::fmt::Display;
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

/// A generous bound for one step of a worker on a loaded machine: a test that waits
/// longer gives up instead of hanging.
pub const STEP_LIMIT: Duration = Duration::from_secs(60);

/// The command that re-runs this test binary as a worker: only the test named `test`
/// (exactly), output not captured, one test thread, with `role_env` set to `role`.
/// Standard streams are inherited until the caller says otherwise.
///
/// # Panics
///
/// When the path of the running test binary is unknown.
pub fn command(test: &str, role_env: &str, role: &str) -> Command {
    let exe = std::env::current_exe().expect("the test binary's path");
    let mut command = Command::new(exe);
    command
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env(role_env, role);
    command
}

/// The role this process was started with as a worker, or `None` in a normal test run.
pub fn role(role_env: &str) -> Option<String> {
    std::env::var(role_env).ok()
}

/// The body of a worker test whose work reports failure as `Err`: when `role_env` names
/// a role, runs `run` with it and exits the process (status 1 after printing the error,
/// else 0); in a normal test run it returns at once.
pub fn serve(role_env: &str, run: impl FnOnce(&str) -> Result<(), String>) {
    let Some(role) = role(role_env) else {
        return;
    };
    if let Err(message) = run(&role) {
        eprintln!("worker {role} failed: {message}");
        std::process::exit(1);
    }
    std::process::exit(0);
}

/// The path in environment variable `name`, which a worker must be given.
///
/// # Panics
///
/// When `name` is unset.
pub fn path_var(name: &str) -> PathBuf {
    PathBuf::from(std::env::var_os(name).unwrap_or_else(|| panic!("worker needs {name}")))
}

/// The value of environment variable `name`, which a worker must be given.
///
/// # Panics
///
/// When `name` is unset or not Unicode.
pub fn var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("worker needs {name}"))
}

/// Worker side: writes one answer line, `prefix` then `message`, and flushes it.
pub fn say(prefix: &str, message: impl Display) {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{prefix}{message}").expect("stdout");
    out.flush().expect("stdout");
}

/// Whether a process was killed by a signal (a crash or a SIGKILL).
pub fn killed(status: ExitStatus) -> bool {
    use std::os::unix::process::ExitStatusExt;
    status.signal().is_some()
}

/// A running worker: its answers (the text after the prefix of each answer line), its
/// stdin, and the process, killed and reaped when the handle drops.
#[derive(Debug)]
pub struct Worker {
    child: Child,
    stdin: Option<ChildStdin>,
    answers: Receiver<String>,
    name: String,
}

impl Worker {
    /// Starts `command` with stdin and stdout piped; stdout lines that contain `prefix`
    /// are answers (libtest may print its own text first on the same line). `name`
    /// labels the worker in panic messages.
    ///
    /// # Panics
    ///
    /// When the process cannot be started.
    pub fn spawn(mut command: Command, prefix: &'static str, name: impl Into<String>) -> Worker {
        let name = name.into();
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|error| panic!("spawn {name}: {error}"));
        let stdout = child.stdout.take().expect("piped stdout");
        let (sender, answers) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some((_, answer)) = line.split_once(prefix)
                    && sender.send(answer.to_owned()).is_err()
                {
                    break;
                }
            }
        });
        Worker {
            stdin: child.stdin.take(),
            child,
            answers,
            name,
        }
    }

    /// The worker's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The next answer, waiting at most `within`: `Timeout` when none came in time,
    /// `Disconnected` when the worker closed its stdout (it exited) first.
    pub fn try_line(&self, within: Duration) -> Result<String, RecvTimeoutError> {
        self.answers.recv_timeout(within)
    }

    /// The next answer, waiting at most `within`.
    ///
    /// # Panics
    ///
    /// When none comes in time or the worker exits first.
    pub fn line(&self, within: Duration) -> String {
        match self.try_line(within) {
            Ok(answer) => answer,
            Err(RecvTimeoutError::Timeout) => {
                panic!("{}: no answer within {within:?}", self.name)
            }
            Err(RecvTimeoutError::Disconnected) => {
                panic!("{}: exited before answering", self.name)
            }
        }
    }

    /// The next answer, which must start with the word `word`; returns the rest of it
    /// (after one space).
    ///
    /// # Panics
    ///
    /// When the answer starts otherwise, none comes within `within`, or the worker exits.
    pub fn expect(&self, word: &str, within: Duration) -> String {
        let answer = self.line(within);
        let (first, rest) = answer.split_once(' ').unwrap_or((&answer, ""));
        assert_eq!(
            first, word,
            "{}: expected {word}, got {answer:?}",
            self.name
        );
        rest.to_owned()
    }

    /// Asserts the worker says nothing for `period` (for example, it still waits for a
    /// lock); `what` says what is expected of it.
    ///
    /// # Panics
    ///
    /// When it answers within `period`.
    pub fn expect_silence(&self, period: Duration, what: &str) {
        if let Ok(answer) = self.try_line(period) {
            panic!("{what}, but {} said {answer:?}", self.name);
        }
    }

    /// Writes one command line to the worker's stdin.
    ///
    /// # Panics
    ///
    /// When stdin was closed or the worker is gone.
    pub fn send(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("stdin still open");
        writeln!(stdin, "{line}")
            .and_then(|()| stdin.flush())
            .unwrap_or_else(|error| panic!("{}: cannot send {line:?}: {error}", self.name));
    }

    /// Closes the worker's stdin (a worker reading commands sees the end).
    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// Whether the worker is still running (it has not exited yet).
    pub fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Lets a started worker (its first line `ready`) finish `rounds` rounds (lines
    /// starting with `round`, so progress does not depend on how fast the disk
    /// flushes), waits `pause` more, and kills it: a SIGKILL at a point of the next round
    /// that `pause` chooses. Every line it said goes to `note`, also those still in the
    /// pipe when it died. Panics if it does not start, stops answering, or dies of
    /// something other than the kill.
    pub fn kill_after_rounds(
        &mut self,
        rounds: usize,
        pause: Duration,
        mut note: impl FnMut(&str),
    ) {
        assert_eq!(self.line(STEP_LIMIT), "ready", "worker did not start");
        let mut finished = 0;
        while finished < rounds {
            let answer = self.line(STEP_LIMIT);
            note(&answer);
            finished += usize::from(answer.starts_with("round"));
        }
        std::thread::sleep(pause);
        let status = self.kill().expect("the worker's exit status");
        assert!(
            killed(status),
            "the worker died of something else: {status}"
        );
        while let Ok(answer) = self.try_line(STEP_LIMIT) {
            note(&answer);
        }
    }

    /// SIGKILLs the worker (it gets no chance to clean anything up) and reaps it;
    /// returns how it ended (killed, or how it had already exited).
    pub fn kill(&mut self) -> Option<ExitStatus> {
        let _ = self.child.kill();
        self.child.wait().ok()
    }

    /// Closes stdin and collects every answer until the worker exits, then checks that it
    /// succeeded; the whole run may take at most `limit`.
    ///
    /// # Panics
    ///
    /// When the worker fails, or is still running after `limit` (then it is killed first).
    pub fn answers_until_exit(mut self, limit: Duration) -> Vec<String> {
        self.close_stdin();
        let deadline = Instant::now() + limit;
        let mut answers = Vec::new();
        loop {
            match self
                .answers
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            {
                Ok(answer) => answers.push(answer),
                // The worker closed its stdout: it has exited or is about to.
                Err(RecvTimeoutError::Disconnected) => break,
                Err(RecvTimeoutError::Timeout) => {
                    let _ = self.kill();
                    panic!("{} did not finish within {limit:?}", self.name);
                }
            }
        }
        self.finish(deadline.saturating_duration_since(Instant::now()));
        answers
    }

    /// Closes stdin and waits for the worker to exit, at most `limit`.
    ///
    /// # Panics
    ///
    /// When it exits unsuccessfully, or is still running after `limit` (then it is
    /// killed first).
    pub fn finish(mut self, limit: Duration) {
        self.close_stdin();
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                assert!(status.success(), "{} failed: {status}", self.name);
                return;
            }
            if started.elapsed() > limit {
                let _ = self.kill();
                panic!("{} did not exit within {limit:?}", self.name);
            }
            // Polling the exit status, not waiting for an event: std has no wait with
            // a deadline.
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.kill();
        }
    }
}
