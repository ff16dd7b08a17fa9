//! SQLite databases: consistent snapshots of a live database, checked application of a
//! downloaded one.
//!
//! A raw copy of a live database is not a snapshot: in WAL mode the newest commits live
//! in the `-wal` file, and a copy taken during a write can be torn. [`snapshot`] copies
//! the database with SQLite's online backup API in one step (one read transaction, so
//! the copy is one committed state, while writers go on in WAL mode) into memory and
//! serializes it. [`apply`] checks the downloaded bytes with `PRAGMA integrity_check` in
//! memory first, then copies them into the live database through the backup API, so
//! SQLite's own locking and journal make the switch atomic for other connections, and a
//! WAL-mode database ends with a truncated `-wal` (the file is never renamed over, so
//! an old `-wal`/`-shm` can never be replayed onto new content).

use std::path::Path;
use std::time::{Duration, Instant};

use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, MAIN_DB, OpenFlags};

use crate::error::{Error, Operation};

/// How long a snapshot or apply waits for other connections' locks.
pub(crate) const BUSY_WAIT: Duration = Duration::from_secs(30);

pub(crate) fn sqlite_error(
    operation: Operation,
    path: &Path,
) -> impl Fn(rusqlite::Error) -> Error + '_ {
    move |source| Error::Sqlite {
        operation,
        path: path.to_owned(),
        source: Box::new(source),
    }
}

/// A consistent snapshot of the database at `path` (which must exist), as bytes of a
/// standalone database file in rollback-journal mode.
pub(crate) fn snapshot(path: &Path) -> Result<Vec<u8>, Error> {
    let error = sqlite_error(Operation::SnapshotSqlite, path);
    let source = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(&error)?;
    source.busy_timeout(BUSY_WAIT).map_err(&error)?;
    let mut copy = Connection::open_in_memory().map_err(&error)?;
    copy_all(&source, &mut copy).map_err(&error)?;
    let mut bytes = copy.serialize(MAIN_DB).map_err(&error)?.to_vec();
    to_rollback_mode(&mut bytes);
    clear_change_counter(&mut bytes);
    Ok(bytes)
}

/// Offset 24 is the file change counter, bumped by every write transaction, even one that
/// changes no row (switching the journal mode, for one); offset 92 is the counter value
/// the header's page count was written at. Zeroing both (equal, so the page count stays
/// valid) makes a snapshot depend on content only, so "local changed since the last sync"
/// is not fooled by a transaction that changed nothing.
fn clear_change_counter(bytes: &mut [u8]) {
    if bytes.len() >= 100 && bytes.starts_with(b"SQLite format 3\0") {
        bytes[24..28].fill(0);
        bytes[92..96].fill(0);
    }
}

/// Offsets 18 and 19 of the header are the file format write and read versions: 2 for
/// WAL, 1 for rollback journal. A page-for-page copy of a WAL database keeps the 2, and a
/// WAL database cannot be opened from memory; a standalone snapshot has no WAL, so it
/// says 1 (what `PRAGMA journal_mode=DELETE` writes there).
fn to_rollback_mode(bytes: &mut [u8]) {
    if bytes.len() >= 100 && bytes.starts_with(b"SQLite format 3\0") {
        for version in &mut bytes[18..20] {
            if *version == 2 {
                *version = 1;
            }
        }
    }
}

/// `bytes` (a database file, such as a download or a snapshot) opened read-only in
/// memory.
pub(crate) fn open_in_memory(bytes: &[u8]) -> rusqlite::Result<Connection> {
    let mut content = bytes.to_vec();
    to_rollback_mode(&mut content);
    let mut connection = Connection::open_in_memory()?;
    connection.deserialize_read_exact(MAIN_DB, &content[..], content.len(), true)?;
    Ok(connection)
}

/// A downloaded or cached database, opened read-only in memory; no bytes (nothing cached
/// yet) is an empty database.
pub(crate) fn open_bytes(bytes: &[u8]) -> rusqlite::Result<Connection> {
    if bytes.is_empty() {
        return Connection::open_in_memory();
    }
    open_in_memory(bytes)
}

/// Checks `content` (a downloaded database) and copies it into the database at `path`
/// (created if missing). Nothing is changed when the check fails.
pub(crate) fn apply(path: &Path, content: &[u8]) -> Result<(), Error> {
    let downloaded = open_in_memory(content).map_err(sqlite_error(Operation::CheckSqlite, path))?;
    integrity_check(&downloaded, path)?;

    let error = sqlite_error(Operation::ApplySqlite, path);
    let mut live = Connection::open(path).map_err(&error)?;
    live.busy_timeout(BUSY_WAIT).map_err(&error)?;
    copy_all(&downloaded, &mut live).map_err(&error)?;
    // In WAL mode the new pages sit in the -wal until a checkpoint; fold them into the
    // database file and empty the -wal, so no stale WAL content outlives the apply. A
    // reader holding an old snapshot can make the checkpoint partial; the -wal is then
    // still consistent (SQLite's own state), only not yet truncated.
    live.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        .map_err(&error)?;
    Ok(())
}

/// `bytes` (a database file, such as a download) opened in memory and checked with
/// `PRAGMA integrity_check`; errors name `path`, the database they are for.
pub(crate) fn open_checked(bytes: &[u8], path: &Path) -> Result<Connection, Error> {
    let connection = open_bytes(bytes).map_err(sqlite_error(Operation::CheckSqlite, path))?;
    integrity_check(&connection, path)?;
    Ok(connection)
}

/// `PRAGMA integrity_check` on a connection; anything but a single `ok` is an error.
pub(crate) fn integrity_check(connection: &Connection, path: &Path) -> Result<(), Error> {
    let error = sqlite_error(Operation::CheckSqlite, path);
    let mut statement = connection
        .prepare("PRAGMA integrity_check(20)")
        .map_err(&error)?;
    let lines: Vec<String> = statement
        .query_map([], |row| row.get(0))
        .map_err(&error)?
        .collect::<Result<_, _>>()
        .map_err(&error)?;
    if lines != ["ok"] {
        return Err(Error::SqliteIntegrity {
            path: path.to_owned(),
            report: lines,
        });
    }
    Ok(())
}

/// Copies every page in one backup step (one consistent read of the source), retrying
/// while another connection holds a conflicting lock, up to [`BUSY_WAIT`].
fn copy_all(from: &Connection, to: &mut Connection) -> rusqlite::Result<()> {
    let deadline = Instant::now() + BUSY_WAIT;
    let mut pause = Duration::from_millis(1);
    loop {
        let backup = Backup::new(from, to)?;
        match backup.step(-1)? {
            StepResult::Done => return Ok(()),
            // Busy / Locked: another connection writes (rollback-journal mode); the
            // backup API has no busy handler for the source, so wait and retry.
            _ if Instant::now() < deadline => {
                drop(backup);
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(100));
            }
            _ => {
                return Err(rusqlite::Error::SqliteFailure(
                    rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
                    Some("the database stayed locked".into()),
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db(path: &Path, wal: bool, rows: usize) {
        let c = Connection::open(path).unwrap();
        if wal {
            c.query_row("PRAGMA journal_mode=WAL", [], |_| Ok(()))
                .unwrap();
        }
        c.execute_batch("CREATE TABLE IF NOT EXISTS t(id INTEGER PRIMARY KEY, v TEXT)")
            .unwrap();
        for i in 0..rows {
            c.execute("INSERT INTO t(v) VALUES (?1)", [format!("row {i}")])
                .unwrap();
        }
    }

    fn count(path: &Path) -> i64 {
        Connection::open(path)
            .unwrap()
            .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .unwrap()
    }

    #[test]
    fn snapshot_of_unchanged_database_is_stable_and_sees_wal_commits() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.db");
        db(&path, true, 50);
        let writer = Connection::open(&path).unwrap();
        writer
            .execute("INSERT INTO t(v) VALUES ('in the wal')", [])
            .unwrap();
        // The commit is in the -wal, not yet in the main file.
        assert!(dir.path().join("a.db-wal").exists());
        let first = snapshot(&path).unwrap();
        let second = snapshot(&path).unwrap();
        assert!(
            first == second,
            "an unchanged database snapshots to the same bytes"
        );

        let other = dir.path().join("b.db");
        apply(&other, &first).unwrap();
        assert_eq!(count(&other), 51);
        // The backup API bumps the schema cookie of the database it writes, so applied
        // content snapshots to other bytes than the download, but stably so.
        let applied = snapshot(&other).unwrap();
        assert!(applied == snapshot(&other).unwrap());
    }

    #[test]
    fn apply_onto_a_wal_database_with_a_reader_leaves_no_stale_wal() {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("src.db");
        db(&source, false, 10);
        let content = snapshot(&source).unwrap();

        let live = dir.path().join("live.db");
        db(&live, true, 3);
        let reader = Connection::open(&live).unwrap();
        assert_eq!(
            reader
                .query_row("SELECT count(*) FROM t", [], |r| r.get::<_, i64>(0))
                .unwrap(),
            3
        );
        apply(&live, &content).unwrap();
        assert_eq!(
            reader
                .query_row("SELECT count(*) FROM t", [], |r| r.get::<_, i64>(0))
                .unwrap(),
            10,
            "an open reader sees the new content on its next read"
        );
        drop(reader);
        let wal = std::fs::metadata(dir.path().join("live.db-wal")).map(|m| m.len());
        assert!(
            matches!(wal, Ok(0) | Err(_)),
            "-wal left with content: {wal:?}"
        );
        assert_eq!(count(&live), 10);
    }

    #[test]
    fn a_damaged_download_fails_integrity_check_and_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("src.db");
        db(&source, false, 2000);
        let mut content = snapshot(&source).unwrap();
        // Scribble over a b-tree page past the header page.
        let page = 4096 * 3;
        for byte in &mut content[page..page + 200] {
            *byte = 0x5a;
        }
        let live = dir.path().join("live.db");
        db(&live, false, 1);
        let err = apply(&live, &content).unwrap_err();
        assert!(
            matches!(
                err,
                Error::SqliteIntegrity { .. }
                    | Error::Sqlite {
                        operation: Operation::CheckSqlite,
                        ..
                    }
            ),
            "{err}"
        );
        assert_eq!(count(&live), 1);
    }
}
