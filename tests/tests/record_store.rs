//! Cross-crate scenarios for record-store: how it behaves next to file-lock holders,
//! atomic-io temps and plain sdn-codec readers of the same file.

use std::fs;
use std::time::Duration;

use record_store::{Error, Record, Store};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Note {
    id: u32,
    text: String,
}

impl Record for Note {
    const TABLE: &'static str = "notes";
    type Key = u32;
    fn key(&self) -> u32 {
        self.id
    }
}

/// A writer holding the file's lock through file-lock directly blocks a store
/// transaction; with a timeout the error names the holder, and nothing is written.
#[test]
fn store_waits_for_a_file_lock_holder_and_names_it_on_timeout()
-> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("notes.sdn");
    fs::write(&path, "notes |id, text|\n    1, hello\n")?;
    let held = file_lock::FileLock::new(&path).exclusive()?;
    let store = Store::open(&path)?.with_lock_timeout(Duration::from_millis(300));
    // Another thread: the lock table is per process, so the holder is this process.
    let outcome = std::thread::scope(|scope| {
        scope
            .spawn(|| {
                store.update(|tx| {
                    tx.table::<Note>()?.upsert(Note {
                        id: 2,
                        text: "blocked".into(),
                    });
                    Ok::<_, Error>(())
                })
            })
            .join()
    });
    let err = match outcome {
        Ok(Err(err)) => err,
        other => return Err(format!("expected a lock timeout, got {other:?}").into()),
    };
    assert!(matches!(err, Error::Lock { .. }), "{err:?}");
    // The message names the file; its source, the lock's own error, names the holder.
    let message = err.to_string();
    assert!(message.contains("notes.sdn"), "{message}");
    let cause = std::error::Error::source(&err).map(ToString::to_string);
    assert!(
        cause
            .as_deref()
            .is_some_and(|cause| cause.contains(&std::process::id().to_string())),
        "holder named: {cause:?}"
    );
    assert_eq!(
        fs::read_to_string(&path)?,
        "notes |id, text|\n    1, hello\n"
    );
    held.unlock()?;
    store.update(|tx| {
        tx.table::<Note>()?.upsert(Note {
            id: 2,
            text: "after".into(),
        });
        Ok::<_, Error>(())
    })?;
    assert_eq!(store.read()?.table::<Note>()?.len(), 2);
    Ok(())
}

/// Opening a store sweeps only atomic-io temps whose writer is gone, never an unrelated
/// `*.tmp` file (the baseline's start-up sweep deleted those).
#[test]
fn opening_a_store_keeps_unrelated_tmp_files() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("notes.sdn");
    let unrelated = dir.path().join("notes.sdn.tmp");
    fs::write(&unrelated, b"somebody else's file")?;
    let store = Store::open(&path)?;
    store.update(|tx| {
        tx.table::<Note>()?.insert(Note {
            id: 1,
            text: "first, with a comma".into(),
        })?;
        Ok::<_, Error>(())
    })?;
    Store::open(&path)?;
    assert_eq!(fs::read(&unrelated)?, b"somebody else's file");
    // What the store wrote is plain SDN for any sdn-codec reader.
    let value = sdn_codec::parse(&fs::read_to_string(&path)?)?;
    let notes = value
        .get("notes")
        .and_then(|v| v.as_table())
        .ok_or("notes table")?;
    assert_eq!(
        notes.cell(0, "text").and_then(|v| v.as_str()),
        Some("first, with a comma")
    );
    Ok(())
}

/// Regression: atomic-io now follows a symbolic link to the file it names, so a store
/// opened through a link must also lock that file's sidecar. It used to lock
/// `<link>.lock` while writing the real file, so a writer holding the real file's lock
/// did not stop it.
#[test]
fn a_store_opened_through_a_symlink_locks_and_writes_the_real_file()
-> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    fs::create_dir(dir.path().join("data"))?;
    let real = dir.path().join("data/notes.sdn");
    fs::write(&real, "notes |id, text|\n    1, hello\n")?;
    let link = dir.path().join("notes.sdn");
    std::os::unix::fs::symlink("data/notes.sdn", &link)?;

    let store = Store::open(&link)?.with_lock_timeout(Duration::from_millis(200));
    let held = file_lock::FileLock::new(&real).exclusive()?;
    let blocked = std::thread::scope(|scope| {
        scope
            .spawn(|| {
                store.update(|tx| {
                    tx.table::<Note>()?.upsert(Note {
                        id: 2,
                        text: "while locked".into(),
                    });
                    Ok::<_, Error>(())
                })
            })
            .join()
    });
    assert!(
        matches!(blocked, Ok(Err(Error::Lock { .. }))),
        "the real file's lock did not stop a store opened through a link: {blocked:?}"
    );
    drop(held);

    store.update(|tx| {
        tx.table::<Note>()?.upsert(Note {
            id: 2,
            text: "linked".into(),
        });
        Ok::<_, Error>(())
    })?;
    assert!(fs::symlink_metadata(&link)?.file_type().is_symlink());
    assert_eq!(
        fs::read_to_string(&real)?,
        "notes |id, text|\n    1, hello\n    2, linked\n"
    );
    Ok(())
}
