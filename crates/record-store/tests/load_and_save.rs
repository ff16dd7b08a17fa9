//! Loading and saving (part of the phase 3 checklist): the real tracking databases load
//! and a one-record update is a one-line diff, unknown columns and tables survive a save,
//! a new record type takes a few lines, and cached versions always equal the file.

mod support;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use record_store::{Error, Record, Store};
use serde::{Deserialize, Serialize};
use support::*;

// ---------------------------------------------------------------------------------------
// Real databases
// ---------------------------------------------------------------------------------------

/// A private copy of `source` in a fresh directory.
fn copy_of(source: &Path) -> Result<(tempfile::TempDir, PathBuf), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join(source.file_name().ok_or("no file name")?);
    fs::copy(source, &path)?;
    Ok((dir, path))
}

/// The tracking databases, as (fixture name, real corpus name, record type's check).
const TODO_DB: (&str, &str) = ("todo_db.sdn", "doc__todo__todo_db.sdn");
const FEATURE_DB: (&str, &str) = ("feature_db.sdn", "doc__feature__feature_db.sdn");
const TASK_DB: (&str, &str) = ("task_db.sdn", "doc__08_tracking__task__task_db.sdn");

/// Loads `T` from each copy of a tracking database (fixture, and the real file when
/// present), checks every row was read, updates one record through a transaction and
/// checks that exactly one line changed.
fn one_line_update<T: Record>(
    (fixture, real): (&str, &str),
    change: impl Fn(&mut T),
) -> TestResult {
    for source in tracking_databases(fixture, real) {
        one_line_update_of(&source, &change)
            .map_err(|err| format!("{}: {err}", source.display()))?;
    }
    Ok(())
}

fn one_line_update_of<T: Record>(source: &Path, change: &impl Fn(&mut T)) -> TestResult {
    let (_dir, path) = copy_of(source)?;
    let before = fs::read_to_string(&path)?;
    let rows = sdn_codec::parse(&before)?
        .get(T::TABLE)
        .and_then(|t| t.as_table())
        .map_or(0, |t| t.rows.len());
    let store = Store::open(&path)?;
    let records = store.read()?.table::<T>()?;
    assert_eq!(records.len(), rows, "every row loads as {}", T::TABLE);
    assert!(rows > 0);
    let key = records
        .keys()
        .nth(rows / 2)
        .cloned()
        .ok_or("no middle record")?;
    store.update(|tx| {
        let record = tx
            .table::<T>()?
            .get_mut(&key)
            .ok_or(Error::aborted("key vanished"))?;
        change(record);
        Ok::<_, Error>(())
    })?;
    let after = fs::read_to_string(&path)?;
    let changed = changed_lines(&before, &after).ok_or("line count changed")?;
    assert_eq!(
        changed.len(),
        1,
        "exactly one line differs, got {changed:?}"
    );
    // Read back through a fresh handle: the change is there, everything else equal.
    let reread = Store::open(&path)?.read()?.table::<T>()?;
    assert_eq!(reread.len(), rows);
    for (k, record) in records.as_map() {
        let mut expected = record.clone();
        if *k == key {
            change(&mut expected);
        }
        assert_eq!(
            sdn_codec::to_value(reread.get(k).ok_or("record lost")?)?,
            sdn_codec::to_value(&expected)?
        );
    }
    Ok(())
}

#[test]
fn real_todo_db_loads_and_one_record_update_is_one_line_diff() -> TestResult {
    one_line_update::<Todo>(TODO_DB, |t| t.status = "done".into())
}

#[test]
fn real_feature_db_loads_and_one_record_update_is_one_line_diff() -> TestResult {
    one_line_update::<Feature>(FEATURE_DB, |f| f.status = "planned".into())
}

#[test]
fn real_task_db_loads_and_one_record_update_is_one_line_diff() -> TestResult {
    one_line_update::<Task>(TASK_DB, |t| t.status = "done".into())
}

#[test]
fn real_databases_save_unchanged_records_writes_nothing() -> TestResult {
    type Resave = fn(&mut record_store::Transaction) -> Result<(), Error>;
    let resavers: [((&str, &str), Resave); 3] = [
        (TODO_DB, resave::<Todo>),
        (FEATURE_DB, resave::<Feature>),
        (TASK_DB, resave::<Task>),
    ];
    for ((fixture, real), resave) in resavers {
        for source in tracking_databases(fixture, real) {
            let (_dir, path) = copy_of(&source)?;
            let before = fs::metadata(&path)?;
            let store = Store::open(&path)?;
            // Upsert every record as read: a save of unchanged data.
            store.update(resave)?;
            let after = fs::metadata(&path)?;
            use std::os::unix::fs::MetadataExt;
            assert_eq!(
                before.ino(),
                after.ino(),
                "{} was rewritten",
                source.display()
            );
            assert_eq!(before.mtime_nsec(), after.mtime_nsec());
        }
    }
    Ok(())
}

fn resave<T: Record>(tx: &mut record_store::Transaction) -> Result<(), Error> {
    let table = tx.table::<T>()?;
    let all: Vec<T> = table.iter().cloned().collect();
    for record in all {
        table.upsert(record);
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Schema evolution
// ---------------------------------------------------------------------------------------

/// A record whose optional note is left out of its encoding when empty: the fields after
/// it change place between two encodings of the same record.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Annotated {
    id: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    note: Option<String>,
    title: String,
    done: bool,
}

impl Record for Annotated {
    const TABLE: &'static str = "items";
    type Key = u32;
    fn key(&self) -> u32 {
        self.id
    }
}

#[test]
fn a_field_an_encoding_leaves_out_is_written_once_it_appears() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("items.sdn");
    let original = "items |id, note, title, done|\n    1, , first, false\n    2, , second, false\n    3, , third, false\n";
    fs::write(&path, original)?;
    let store = Store::open(&path)?;
    let committed = store.commit(|tx| {
        let items = tx.table::<Annotated>()?;
        let item = items.get_mut(&2).ok_or(Error::aborted("2"))?;
        item.note = Some("later".into());
        item.done = true;
        Ok::<_, Error>(())
    })?;
    let after = fs::read_to_string(&path)?;
    assert_eq!(
        after,
        "items |id, note, title, done|\n    1, , first, false\n    2, later, second, true\n    3, , third, false\n"
    );
    let updated = &committed
        .changes
        .table("items")
        .ok_or("items changed")?
        .updated;
    assert_eq!(updated.len(), 1);
    assert_eq!(updated[0].old.get("note"), None);
    assert_eq!(
        updated[0].new.get("note").and_then(|n| n.as_str()),
        Some("later")
    );
    assert_eq!(
        updated[0].new.get("title").and_then(|n| n.as_str()),
        Some("second")
    );

    // The same through an update whose change set is not listed.
    store.update(|tx| {
        let item = tx
            .table::<Annotated>()?
            .get_mut(&1)
            .ok_or(Error::aborted("1"))?;
        item.note = Some("new".into());
        Ok::<_, Error>(())
    })?;
    let after = fs::read_to_string(&path)?;
    assert_eq!(
        after,
        "items |id, note, title, done|\n    1, new, first, false\n    2, later, second, true\n    3, , third, false\n"
    );

    // Handed out mutably and left as it was (its encoding has no note, so its fields
    // sit where the file's columns do not): nothing to write.
    let committed = store.commit(|tx| {
        let items = tx.table::<Annotated>()?;
        let item = items.get_mut(&3).ok_or(Error::aborted("3"))?;
        item.title = String::from("third");
        Ok::<_, Error>(())
    })?;
    assert!(committed.changes.is_empty());
    assert_eq!(fs::read_to_string(&path)?, after);
    Ok(())
}

#[test]
fn unknown_columns_and_tables_are_kept_and_new_columns_appended() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("tasks.sdn");
    let original = "\
# tracked by hand
title: Task list
tasks |id, owner, name, category, description, priority, status, valid|
    T-1, ann, First, core, \"one, two\", high, open, true
    T-2, bob, Second, core, plain, low, open, false

notes |id, text|
    1, keep me
";
    fs::write(&path, original)?;
    let store = Store::open(&path)?;
    store.update(|tx| {
        let tasks = tx.table::<Task>()?;
        tasks
            .get_mut(&"T-2".to_string())
            .ok_or(Error::aborted("T-2"))?
            .status = "done".into();
        Ok::<_, Error>(())
    })?;
    let after = fs::read_to_string(&path)?;
    assert_eq!(changed_lines(original, &after).ok_or("lines")?, vec![5]);
    assert!(
        after.contains("T-2, bob,"),
        "unknown column `owner` kept: {after}"
    );
    assert!(after.contains("notes |id, text|\n    1, keep me\n"));

    // A record type with a field the file lacks: the column is appended when used.
    #[derive(Debug, Clone, Serialize, Deserialize)]
    struct TaskV2 {
        id: String,
        name: String,
        #[serde(default)]
        estimate: u32,
    }
    impl Record for TaskV2 {
        const TABLE: &'static str = "tasks";
        type Key = String;
        fn key(&self) -> String {
            self.id.clone()
        }
    }
    store.update(|tx| {
        tx.table::<TaskV2>()?
            .get_mut(&"T-1".to_string())
            .ok_or(Error::aborted("T-1"))?
            .estimate = 3;
        Ok::<_, Error>(())
    })?;
    let snapshot = store.read()?;
    let v2 = snapshot.table::<TaskV2>()?;
    assert_eq!(v2.get(&"T-1".to_string()).map(|t| t.estimate), Some(3));
    assert_eq!(v2.get(&"T-2".to_string()).map(|t| t.estimate), Some(0));
    let v1 = snapshot.table::<Task>()?;
    assert_eq!(
        v1.get(&"T-2".to_string()).map(|t| t.status.as_str()),
        Some("done")
    );
    let text = fs::read_to_string(&path)?;
    assert!(text.contains("valid, estimate|"), "column appended: {text}");
    assert!(text.contains("T-2, bob,"));
    Ok(())
}

#[test]
fn new_record_type_in_a_few_lines() -> TestResult {
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    struct Bookmark {
        id: u32,
        url: String,
        title: Option<String>,
    }
    impl Record for Bookmark {
        const TABLE: &'static str = "bookmarks";
        type Key = u32;
        fn key(&self) -> u32 {
            self.id
        }
    }
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("nested/../bookmarks.sdn");
    fs::create_dir_all(dir.path().join("nested"))?;
    let store = Store::open(&path)?;
    assert!(
        store.read()?.table::<Bookmark>()?.is_empty(),
        "missing file is empty"
    );
    store.update(|tx| {
        let table = tx.table::<Bookmark>()?;
        table.insert(Bookmark {
            id: 1,
            url: "https://a.example/x?y=1,2".into(),
            title: None,
        })?;
        table.insert(Bookmark {
            id: 2,
            url: "b".into(),
            title: Some("Bee: the movie".into()),
        })?;
        let duplicate = table.insert(Bookmark {
            id: 2,
            url: "c".into(),
            title: None,
        });
        assert!(matches!(duplicate, Err(Error::KeyExists { .. })));
        Ok::<_, Error>(())
    })?;
    let all: Vec<Bookmark> = Store::open(&path)?
        .read()?
        .table::<Bookmark>()?
        .iter()
        .cloned()
        .collect();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].url, "https://a.example/x?y=1,2");
    assert_eq!(all[0].title, None);
    assert_eq!(all[1].title.as_deref(), Some("Bee: the movie"));
    Ok(())
}

#[test]
fn snapshot_cache_reuses_unchanged_file_and_sees_in_place_edits() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("c.sdn");
    fs::write(&path, "counters |id, value|\n    1, 5\n")?;
    let store = Store::open(&path)?;
    let first = store.read()?;
    assert!(
        first.ptr_eq(&store.read()?),
        "unchanged file served from the cache"
    );
    // Same size, same inode, likely the same mtime tick: only the bytes differ.
    fs::write(&path, "counters |id, value|\n    1, 7\n")?;
    let second = store.read()?;
    assert_eq!(second.get::<Counter>(&1)?.map(|c| c.value), Some(7));
    // A commit by another handle replaces the file: seen at once.
    Store::open(&path)?.update(|tx| {
        tx.table::<Counter>()?.upsert(Counter { id: 1, value: 9 });
        Ok::<_, Error>(())
    })?;
    assert_eq!(store.read()?.get::<Counter>(&1)?.map(|c| c.value), Some(9));
    // A file whose times are settled is trusted on metadata alone... (this thread's
    // clock moves forward instead of the test waiting for real seconds)
    record_store::fault::advance_clock(
        record_store::identity::TRUST_AFTER + Duration::from_millis(200),
    );
    let _ = store.read()?; // re-read once: now settled, so trusted
    let settled = store.read()?;
    assert!(settled.ptr_eq(&store.read()?));
    // ...and any in-place edit still changes its times, so it is seen.
    let text = fs::read_to_string(&path)?.replace("9", "8");
    fs::write(&path, text)?;
    assert_eq!(store.read()?.get::<Counter>(&1)?.map(|c| c.value), Some(8));
    Ok(())
}

/// A record whose in-memory state need not be what the file says: `note` is never
/// written, so a transaction can change it without changing the row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Noted {
    id: u32,
    value: u64,
    #[serde(skip)]
    note: String,
}

impl Record for Noted {
    const TABLE: &'static str = "noted";
    type Key = u32;
    fn key(&self) -> u32 {
        self.id
    }
}

/// The `Noted` records of `text`, decoded by a store on another file in `dir` (so no
/// cache of the store under test is involved).
fn fresh_decode(dir: &Path, text: &str) -> Result<Vec<Noted>, Box<dyn std::error::Error>> {
    let copy = dir.join("fresh.sdn");
    fs::write(&copy, text)?;
    Ok(Store::open(&copy)?
        .read()?
        .table::<Noted>()?
        .iter()
        .cloned()
        .collect())
}

#[test]
fn tables_reused_after_a_commit_equal_a_fresh_decode_of_the_file() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("n.sdn");
    fs::write(
        &path,
        "noted |id, value|\n    1, 10\n    2, 20\n    3, 30\n",
    )?;
    let store = Store::open(&path)?;
    let fresh = || fresh_decode(dir.path(), &fs::read_to_string(&path)?);
    let mut rng = StdRng::seed_from_u64(7);
    for round in 0..40u64 {
        let key = rng.random_range(1..=4u32);
        let outcome = store.update(|tx| {
            let table = tx.table::<Noted>()?;
            match rng.random_range(0..5) {
                0 => {
                    if let Some(record) = table.get_mut(&key) {
                        record.value = round;
                        record.note = format!("unsaved {round}");
                    }
                }
                // Changes only what is never written: the file, and so what the next
                // transaction reads, stays the same.
                1 => {
                    if let Some(record) = table.get_mut(&key) {
                        record.note = format!("unsaved {round}");
                    }
                }
                2 => {
                    table.remove(&key);
                }
                // Changes a record, then fails: nothing is written, and the views of
                // the file (cached or not) must not keep the change.
                3 => {
                    if let Some(record) = table.get_mut(&key) {
                        record.value = round + 1000;
                        record.note = format!("rolled back {round}");
                    }
                    return Err(Error::aborted("rolled back"));
                }
                _ => {
                    table.upsert(Noted {
                        id: key,
                        value: round,
                        note: "unsaved".into(),
                    });
                }
            }
            Ok::<_, Error>(())
        });
        match outcome {
            Ok(()) | Err(Error::Aborted(_)) => {}
            Err(err) => return Err(err.into()),
        }
        let expected = fresh()?;
        assert!(expected.iter().all(|record| record.note.is_empty()));
        let in_tx = store.update(|tx| {
            Ok::<_, Error>(tx.table::<Noted>()?.iter().cloned().collect::<Vec<_>>())
        })?;
        assert_eq!(in_tx, expected, "round {round}: transaction view");
        let read: Vec<Noted> = store.read()?.table::<Noted>()?.iter().cloned().collect();
        assert_eq!(read, expected, "round {round}: snapshot view");
    }
    Ok(())
}

/// Another program changes the file between transactions: one cell of a row, a row's
/// key, a whole new row, the same bytes again, a comment, or text that does not parse.
/// A transaction (which brings its cached version up to date, reading again only a
/// changed row line when that is all that changed) must see exactly what a fresh decode
/// of the file sees, and its own change must land on top.
#[test]
fn transactions_after_foreign_writes_see_exactly_the_file() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("n.sdn");
    fs::write(
        &path,
        "# noted\nnoted |id, value|\n    1, 10\n    2, 20   # two\n    3, 30\nother |k|\n    x\n",
    )?;
    let store = Store::open(&path)?;
    let fresh = |text: &str| fresh_decode(dir.path(), text);
    // Written like another program: a new file renamed over the old one.
    let foreign_write = |text: &str| -> std::io::Result<()> {
        let temp = dir.path().join("foreign.tmp");
        fs::write(&temp, text)?;
        fs::rename(&temp, &path)
    };
    let mut rng = StdRng::seed_from_u64(11);
    let mut malformed_seen = 0;
    for round in 0..60u64 {
        let text = fs::read_to_string(&path)?;
        let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
        let rows: Vec<usize> = (0..lines.len())
            .filter(|&i| {
                lines[i].starts_with("    ")
                    && lines[i]
                        .trim_start()
                        .starts_with(|c: char| c.is_ascii_digit())
            })
            .collect();
        let pick = rows[rng.random_range(0..rows.len())];
        let (id, rest) = lines[pick].trim_start().split_once(',').ok_or("row")?;
        let id: u32 = id.parse()?;
        match rng.random_range(0..7) {
            0 => lines[pick] = format!("    {id}, {}{}", 1000 + round, comment_of(rest)),
            1 => {
                let new_id = 100 + round as u32;
                lines[pick] = format!("    {new_id},{rest}");
            }
            2 => lines.insert(pick + 1, format!("    {}, 5", 200 + round)),
            3 => {}
            4 => lines[pick] = format!("{}   # note {round}", lines[pick]),
            5 => lines[pick] = format!("    {id}, \"unterminated"),
            _ => lines[pick] = format!("    {id}, {}, extra", 7 + round),
        }
        let changed = lines.join("\n") + "\n";
        foreign_write(&changed)?;
        let outcome = store.update(|tx| {
            let seen: Vec<Noted> = tx.table::<Noted>()?.iter().cloned().collect();
            if let Some(first) = seen.first() {
                let key = first.id;
                if let Some(record) = tx.table::<Noted>()?.get_mut(&key) {
                    record.value += 1;
                }
            }
            Ok::<_, Error>(seen)
        });
        match (outcome, fresh(&changed)) {
            (Ok(seen), Ok(expected)) => {
                assert_eq!(seen, expected, "round {round}: the transaction's view");
                let after = fs::read_to_string(&path)?;
                assert_eq!(
                    store
                        .read()?
                        .table::<Noted>()?
                        .iter()
                        .cloned()
                        .collect::<Vec<_>>(),
                    fresh(&after)?,
                    "round {round}: the snapshot after the commit"
                );
            }
            (Err(Error::Malformed { .. }), Err(_)) => {
                malformed_seen += 1;
                // Never overwritten; repaired by the other program.
                assert_eq!(fs::read_to_string(&path)?, changed);
                foreign_write(&text)?;
            }
            (outcome, expected) => {
                panic!("round {round}: store gave {outcome:?}, a fresh decode {expected:?}")
            }
        }
    }
    assert!(malformed_seen > 0, "the malformed case never came up");
    Ok(())
}

/// The trailing comment of a row's text after its first cell, if any.
fn comment_of(rest: &str) -> String {
    rest.find(" #")
        .map_or_else(String::new, |at| rest[at..].to_owned())
}

/// A transaction with no version of the file at hand updates rows by editing their
/// lines in the text alone, without a value per cell (a row it cannot edit so, such as
/// one on its table's header line, goes through the document). Either way it writes
/// what a transaction editing the document writes.
#[test]
fn a_cold_update_writes_what_an_update_through_the_document_writes() -> TestResult {
    let dir = tempfile::tempdir()?;
    let texts = [
        "# c\nnoted |id, value|   # header\n    1, 10\n\n    # between\n    2, 020  # padded\n    3, 30\n",
        "noted |id, value| 1, 10\n    2, 20\n",
        "\u{feff}noted |id, value|\r\n  1, 10\r\n  2, 20",
        "noted |id, value, other|\n\t1, 10, \"x\"\n\t2, 20, \"y, z\"\n",
    ];
    for (i, text) in texts.iter().enumerate() {
        for (key, value) in [(1u32, 11), (2, 20), (2, 7)] {
            let cold = dir.path().join(format!("cold_{i}_{key}_{value}.sdn"));
            let warm = dir.path().join(format!("warm_{i}_{key}_{value}.sdn"));
            fs::write(&cold, text)?;
            fs::write(&warm, text)?;
            let change = |tx: &mut record_store::Transaction| {
                let record = tx
                    .table::<Noted>()?
                    .get_mut(&key)
                    .ok_or(Error::aborted("no such key"))?;
                record.value = value;
                Ok::<_, Error>(())
            };
            Store::open(&cold)?.update(change)?;
            // A transaction that changes nothing caches the version it read; the next
            // one edits a document of it.
            let warm_store = Store::open(&warm)?;
            warm_store.update(|tx| tx.table::<Noted>().map(drop))?;
            warm_store.update(change)?;
            let written = fs::read_to_string(&cold)?;
            assert_eq!(
                written,
                fs::read_to_string(&warm)?,
                "{text:?}, {key} = {value}"
            );
            let read = fresh_decode(dir.path(), &written)?;
            assert_eq!(
                read.iter().find(|record| record.id == key).map(|r| r.value),
                Some(value)
            );
            assert_eq!(written.lines().count(), text.lines().count());
        }
    }
    Ok(())
}

/// A record with cells of every awkward kind, for files written row by row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Awkward {
    id: u32,
    text: String,
    maybe: Option<f64>,
    flag: bool,
}

impl Record for Awkward {
    const TABLE: &'static str = "awkward tables";
    type Key = u32;
    fn key(&self) -> u32 {
        self.id
    }
}

/// An update inserting into a new file writes its tables row by row (its change set,
/// which nobody sees, does not hold the rows); a commit, whose change set lists them,
/// writes through the document. The files are the same, and read back as inserted.
#[test]
fn a_new_file_written_row_by_row_is_what_the_document_writes() -> TestResult {
    let dir = tempfile::tempdir()?;
    let texts = [
        "plain",
        "with, comma",
        " padded ",
        "\"quoted\"",
        "007",
        "",
        "# not a comment",
        "tab\tand\nnewline",
        "ünïcödé",
        "true",
        "null",
    ];
    let records: Vec<Awkward> = (0..40u32)
        .map(|i| Awkward {
            id: 1000 - i * 7,
            text: texts[i as usize % texts.len()].to_owned(),
            maybe: (i % 3 != 0).then_some(f64::from(i) / 4.0),
            flag: i % 2 == 0,
        })
        .collect();
    let noted: Vec<Noted> = (1..4)
        .map(|id| Noted {
            id,
            value: u64::from(id) * 10,
            note: String::new(),
        })
        .collect();
    let insert_all = |tx: &mut record_store::Transaction| {
        for record in &records {
            tx.table::<Awkward>()?.insert(record.clone())?;
        }
        for record in &noted {
            tx.table::<Noted>()?.insert(record.clone())?;
        }
        Ok::<_, Error>(())
    };
    let by_rows = dir.path().join("by_rows.sdn");
    let by_document = dir.path().join("by_document.sdn");
    Store::open(&by_rows)?.update(insert_all)?;
    let committed = Store::open(&by_document)?.commit(insert_all)?;
    assert_eq!(
        committed
            .changes
            .table(Awkward::TABLE)
            .map(|t| t.inserted.len()),
        Some(records.len())
    );
    let written = fs::read_to_string(&by_rows)?;
    assert_eq!(written, fs::read_to_string(&by_document)?);
    let read = Store::open(&by_rows)?.read()?;
    let mut expected = records.clone();
    expected.sort_by_key(|record| record.id);
    assert_eq!(
        read.table::<Awkward>()?.iter().cloned().collect::<Vec<_>>(),
        expected
    );
    assert_eq!(read.table::<Noted>()?.len(), noted.len());
    // Rows are in the order they were inserted, not in key order.
    let first_row = written.lines().nth(1).ok_or("no rows")?;
    assert!(first_row.trim_start().starts_with("1000,"), "{written}");
    Ok(())
}

/// A record that cannot be written (a float SDN has no text for) fails an update
/// inserting into a new file as it fails a commit through the document, and no file is
/// left behind.
#[test]
fn a_new_file_with_an_unwritable_row_is_not_written() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("new.sdn");
    let failed = Store::open(&path)?.update(|tx| {
        let table = tx.table::<Awkward>()?;
        for id in 0..3 {
            table.insert(Awkward {
                id,
                text: "x".into(),
                maybe: Some(if id == 1 { f64::NAN } else { 1.5 }),
                flag: true,
            })?;
        }
        Ok::<_, Error>(())
    });
    let through_document = Store::open(dir.path().join("other.sdn"))?.commit(|tx| {
        tx.table::<Awkward>()?.insert(Awkward {
            id: 1,
            text: "x".into(),
            maybe: Some(f64::NAN),
            flag: true,
        })
    });
    assert!(failed.is_err() && through_document.is_err(), "{failed:?}");
    assert_eq!(
        failed.map_err(|e| e.to_string()).unwrap_err(),
        through_document
            .map_err(|e| e.to_string())
            .unwrap_err()
            .replace("other.sdn", "new.sdn")
    );
    let left: Vec<_> = fs::read_dir(dir.path())?.collect::<Result<_, _>>()?;
    assert!(
        left.iter()
            .all(|entry| entry.file_name().to_string_lossy().ends_with(".lock")),
        "{left:?}"
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------
// A process's first transaction
// ---------------------------------------------------------------------------------------

/// A todo database of `records` rows (ids 0, 1, ...), large enough that a transaction
/// starting from its text decodes records only when asked for, with a comment between
/// rows and a column the record type does not know.
fn large_todo_text(records: u32) -> String {
    let mut text = String::from(
        "# todos\ntodos |id, keyword, area, priority, description, file, line, issue, blocked, status, valid, owner|\n",
    );
    for i in 0..records {
        if i % 97 == 5 {
            text.push_str("    # moved from the old tracker\n");
        }
        text.push_str(&format!(
            "    {i}, TODO, parser, P{}, \"case {i}, with a comma\", src/m_{i}.spl, {}, , , open, true, me\n",
            i % 4,
            i * 3
        ));
    }
    text
}

/// A process's first transaction on a large file reads the records it asks for, not
/// every record: whatever it does, it returns and writes exactly what the same
/// transaction does on a version whose records were all decoded before (the file read
/// first), and the versions after it are the file's.
#[test]
fn a_first_transaction_returns_and_writes_what_a_warm_one_does() -> TestResult {
    type Change = fn(&mut record_store::Transaction) -> Result<String, Error>;
    let changes: [(&str, Change); 6] = [
        ("remove rows, first, last and side by side", |tx| {
            let todos = tx.table::<Todo>()?;
            let removed = [0, 500, 501, 1199].map(|id| todos.remove(&id).is_some());
            todos.get_mut(&502).ok_or(Error::aborted("no 502"))?.status = "done".into();
            Ok(format!("{removed:?} {}", todos.len()))
        }),
        ("update one", |tx| {
            let todo = tx
                .table::<Todo>()?
                .get_mut(&700)
                .ok_or(Error::aborted("no 700"))?;
            todo.status = "done".into();
            Ok(format!("{todo:?}"))
        }),
        ("insert, remove and read", |tx| {
            let todos = tx.table::<Todo>()?;
            let mut new = todos.get(&3).cloned().ok_or(Error::aborted("no 3"))?;
            new.id = 5000;
            todos.insert(new)?;
            let removed = todos.remove(&10);
            Ok(format!("{removed:?} {:?} {}", todos.get(&11), todos.len()))
        }),
        ("every record", |tx| {
            let todos = tx.table::<Todo>()?;
            todos.retain(|todo| todo.id % 100 != 0);
            let lines: u64 = todos
                .iter()
                .filter_map(|todo| todo.line.map(u64::from))
                .sum();
            Ok(format!("{} {lines} {:?}", todos.len(), todos.last_key()))
        }),
        ("nothing", |tx| {
            let todos = tx.table::<Todo>()?;
            Ok(format!(
                "{:?} {}",
                todos.get(&999),
                todos.contains_key(&5000)
            ))
        }),
        ("a failed change", |tx| {
            tx.table::<Todo>()?
                .get_mut(&1)
                .ok_or(Error::aborted("no 1"))?
                .status = "x".into();
            Err(Error::aborted("changed my mind"))
        }),
    ];
    let text = large_todo_text(1200);
    for (name, change) in changes {
        let dir = tempfile::tempdir()?;
        let (cold_path, warm_path) = (dir.path().join("cold.sdn"), dir.path().join("warm.sdn"));
        fs::write(&cold_path, &text)?;
        fs::write(&warm_path, &text)?;
        let warm = Store::open(&warm_path)?;
        assert_eq!(warm.read()?.table::<Todo>()?.len(), 1200);
        let warm_result = warm.update(change).map_err(|e| e.to_string());
        let cold = Store::open(&cold_path)?;
        let cold_result = cold.update(change).map_err(|e| e.to_string());
        assert_eq!(cold_result, warm_result, "{name}");
        assert_eq!(
            fs::read_to_string(&cold_path)?,
            fs::read_to_string(&warm_path)?,
            "{name}"
        );
        // What the process holds afterwards is the file.
        let after = cold.read()?;
        assert_eq!(after.bytes(), fs::read(&cold_path)?.as_slice(), "{name}");
        assert_eq!(
            format!("{:?}", after.table::<Todo>()?.as_map()),
            format!(
                "{:?}",
                Store::open(&warm_path)?.read()?.table::<Todo>()?.as_map()
            ),
            "{name}"
        );
    }
    Ok(())
}
