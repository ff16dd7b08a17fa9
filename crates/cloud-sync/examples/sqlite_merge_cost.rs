//! Our own three-way row diff ([`cloud_sync::sqlite_merge::merge_into_file`]) against
//! SQLite's session extension (the changeset from base to ours, applied onto theirs with
//! a conflict handler), on the same three databases: 10,000 rows; ours changes 1,000
//! titles, inserts 500 and deletes 100 rows; theirs changes 1,000 statuses, inserts 500
//! rows and 100 of the titles ours changed (100 same-column conflicts).
//!
//! `cargo run --release -p recfiles-cloud-sync --features sqlite-session --example sqlite_merge_cost`
//!
//! What each route yields differs, and the figures say so: ours merges into the live
//! database in one transaction, field by field, and records every conflict; the session
//! route produces the merge in a copy of theirs (whole-row conflict answers only, and
//! tables without a primary key are ignored by the session extension), which must then
//! be copied into the live database (measured separately: the online backup API).

use std::path::Path;
use std::time::{Duration, Instant};

use cloud_sync::sqlite_merge::{self, SqliteMergeOptions};
use rusqlite::backup::Backup;
use rusqlite::session::{ConflictAction, ConflictType, Session};
use rusqlite::{Connection, MAIN_DB};

const ROWS: i64 = 10_000;
const RUNS: usize = 7;

type Failure = Box<dyn std::error::Error>;

fn main() -> Result<(), Failure> {
    let dir = tempfile::tempdir()?;
    let (base, ours, theirs) = (
        dir.path().join("base.db"),
        dir.path().join("ours.db"),
        dir.path().join("theirs.db"),
    );
    build(&base, "")?;
    build(
        &ours,
        "UPDATE items SET title = 'ours ' || id WHERE id <= 1000;
         INSERT INTO items SELECT id + 20000, 'ours new', 'open', '' FROM items WHERE id <= 500;
         DELETE FROM items WHERE id BETWEEN 9001 AND 9100;",
    )?;
    build(
        &theirs,
        "UPDATE items SET status = 'theirs' WHERE id BETWEEN 5001 AND 6000;
         INSERT INTO items SELECT id + 30000, 'theirs new', 'open', '' FROM items WHERE id <= 500;
         UPDATE items SET title = 'theirs ' || id WHERE id <= 100;",
    )?;
    let base_bytes = bytes(&base)?;
    let theirs_bytes = bytes(&theirs)?;

    let mut own = Vec::new();
    let mut own_rows = 0;
    for run in 0..RUNS {
        let live = dir.path().join(format!("live-own-{run}.db"));
        std::fs::copy(&ours, &live)?;
        let start = Instant::now();
        let applied = sqlite_merge::merge_into_file(
            &live,
            &base_bytes,
            &theirs_bytes,
            "bench",
            chrono::Utc::now(),
            SqliteMergeOptions::default(),
        )?;
        own.push(start.elapsed());
        own_rows = count(&live)?;
        assert_eq!(applied.conflicts.len(), 100);
    }

    let (mut session, mut copy_back) = (Vec::new(), Vec::new());
    let mut session_rows = 0;
    for run in 0..RUNS {
        let merged = dir.path().join(format!("session-{run}.db"));
        std::fs::copy(&theirs, &merged)?;
        let live = dir.path().join(format!("live-session-{run}.db"));
        std::fs::copy(&ours, &live)?;
        let start = Instant::now();
        let changeset = {
            let ours_db = Connection::open(&ours)?;
            ours_db.execute("ATTACH DATABASE ?1 AS base", [base.to_str().ok_or("path")?])?;
            let mut recorder = Session::new(&ours_db)?;
            recorder.attach::<&str>(None)?;
            recorder.diff::<&str, &str>("base", "items")?;
            recorder.changeset()?
        };
        let target = Connection::open(&merged)?;
        // A row both changed: keep ours (whole row; no field-level answer exists here).
        target.apply(
            &changeset,
            None::<fn(&str) -> bool>,
            |kind, _item| match kind {
                ConflictType::SQLITE_CHANGESET_DATA | ConflictType::SQLITE_CHANGESET_CONFLICT => {
                    ConflictAction::SQLITE_CHANGESET_REPLACE
                }
                _ => ConflictAction::SQLITE_CHANGESET_OMIT,
            },
        )?;
        session.push(start.elapsed());
        let start = Instant::now();
        let mut live_db = Connection::open(&live)?;
        Backup::new(&target, &mut live_db)?.step(-1)?;
        copy_back.push(start.elapsed());
        session_rows = count(&live)?;
    }

    println!("rows after the merge: own diff {own_rows}, session {session_rows}");
    println!(
        "own three-way diff, applied in one transaction to the live database: median {:?}",
        median(&mut own)
    );
    println!(
        "session extension (diff base->ours, changeset, apply onto a copy of theirs): median {:?}",
        median(&mut session)
    );
    println!(
        "  + copying the merged copy into the live database (backup API): median {:?}",
        median(&mut copy_back)
    );
    Ok(())
}

fn build(path: &Path, changes: &str) -> Result<(), Failure> {
    let c = Connection::open(path)?;
    c.execute_batch(
        "CREATE TABLE items(id INTEGER PRIMARY KEY, title TEXT, status TEXT, note TEXT);
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10000)
         INSERT INTO items SELECT i, 'item ' || i, 'open', '' FROM n;",
    )?;
    assert_eq!(count(path)?, ROWS);
    c.execute_batch(changes)?;
    Ok(())
}

fn bytes(path: &Path) -> Result<Vec<u8>, Failure> {
    Ok(Connection::open(path)?.serialize(MAIN_DB)?.to_vec())
}

fn count(path: &Path) -> Result<i64, Failure> {
    Ok(Connection::open(path)?.query_row("SELECT count(*) FROM items", [], |r| r.get(0))?)
}

fn median(times: &mut [Duration]) -> Duration {
    times.sort();
    times[times.len() / 2]
}
