//! Exit codes and the "what to do next" attached to every error.

/// Exit codes (documented in `--help` of the crate and the README).
pub mod code {
    /// Anything not listed below (local I/O, locks).
    pub const FAILED: u8 = 1;
    /// Command-line usage errors (clap's own code).
    pub const USAGE: u8 = 2;
    /// No configuration, or a configuration that cannot be used.
    pub const CONFIG: u8 = 3;
    /// Another device kept winning the remote head, or an action needs a pull first.
    pub const RACE: u8 = 4;
    /// The remote could not be reached or refused a request.
    pub const REMOTE: u8 = 5;
    /// Remote data failed verification (size, hash, decoding).
    pub const INTEGRITY: u8 = 6;
    /// Local content could not be merged (not a valid SDN store, a SQLite schema change
    /// on both sides, or a row conflict under `--prefer error`).
    pub const MERGE: u8 = 7;
}

/// A failed command: what happened (with its causes), what to do, and the exit code.
#[derive(Debug)]
pub struct Failure {
    pub code: u8,
    pub message: String,
    pub hint: Option<String>,
}

impl Failure {
    pub fn new(code: u8, message: impl Into<String>, hint: impl Into<String>) -> Failure {
        Failure {
            code,
            message: message.into(),
            hint: Some(hint.into()),
        }
    }
}

/// The error's message followed by each `source()`, joined with ": ".
pub fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

// The PruneInProgress hint below names the lease's length; a change of it must change
// the hint too.
const _: () = assert!(cloud_sync::backup::LEASE.as_secs() == 5 * 60);

impl From<cloud_sync::Error> for Failure {
    fn from(error: cloud_sync::Error) -> Failure {
        use cloud_sync::Error as E;
        let (code, hint) = match &error {
            E::LostRace { .. } => (
                code::RACE,
                "other devices kept pushing first; run `cloud-sync push` again",
            ),
            E::NotFastForward { .. } => (
                code::RACE,
                "run `cloud-sync pull` (it merges), then try again",
            ),
            E::PruneInProgress { .. } => (
                code::RACE,
                "another device is pruning; try again in a few minutes (a lease left by a prune that died expires after 5 minutes)",
            ),
            E::NoRemoteHead { .. } => (
                code::RACE,
                "nothing has been pushed yet; run `cloud-sync push` on the device that has the data",
            ),
            E::Integrity { .. }
            | E::Decode { .. }
            | E::InvalidManifest { .. }
            | E::TooLarge { .. } => (
                code::INTEGRITY,
                "remote data failed verification; run `cloud-sync doctor`, then `cloud-sync backups` and `cloud-sync restore <id>` to go back to a good version",
            ),
            E::Merge { .. } => (
                code::MERGE,
                "fix the store so it parses (`sdn check` names the line), then pull again",
            ),
            E::Store { .. } => (
                code::MERGE,
                "the local store did not parse or one of its hooks refused the pull: fix the store (`sdn check` names the line), or move it aside and pull again to take the remote head",
            ),
            E::SqliteRowConflict { .. } => (
                code::MERGE,
                "pull again with --prefer merge (conflicts are kept in the cloud_sync_conflicts table), --prefer local or --prefer cloud",
            ),
            E::SqliteSchemaDiverged { .. } => (
                code::MERGE,
                "make the table's definition the same on both devices (apply the same change here, or undo it on the other device and push), then pull again; or go back to one whole version with `cloud-sync backups` and `cloud-sync restore <id>`",
            ),
            E::Remote { .. }
            | E::LocalRemote { .. }
            | E::Config { .. }
            | E::Runtime { .. }
            | E::TaskFailed { .. }
            | E::NotFound { .. } => (
                code::REMOTE,
                "check the remote in the config file and the AWS_* environment variables, then run `cloud-sync doctor`",
            ),
            E::Lock { .. } => (
                code::FAILED,
                "another process holds the store's lock; wait for it or find it with `fuser <store>.lock`",
            ),
            _ => (
                code::FAILED,
                "see the message above; nothing was changed on the remote by this failure",
            ),
        };
        Failure {
            code,
            message: chain(&error),
            hint: Some(hint.to_owned()),
        }
    }
}
