//! The baseline behaves as the original design did, defects included.

use std::fs;
use std::io;
use std::thread;
use std::time::{Duration, Instant, SystemTime};

use baseline::phase1::{save_phase1, startup_sweep, temp_path};
use baseline::phase2::{LockFile, LockPolicy, load_phase2, lock_path, save_phase2};
use baseline::phase3::{BaselineRecord, Database};

fn short_policy(deadline_ms: u64) -> LockPolicy {
    LockPolicy {
        deadline: Duration::from_millis(deadline_ms),
        ..LockPolicy::BASELINE
    }
}

#[test]
fn phase1_save_replaces_the_target_and_leaves_no_temp() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.sdn");
    save_phase1(&path, b"one").unwrap();
    save_phase1(&path, b"two").unwrap();
    assert_eq!(fs::read(&path).unwrap(), b"two");
    assert!(!temp_path(&path).exists());
}

#[test]
fn phase1_writers_share_one_fixed_temp_name() {
    // Defect: a second writer's temp is the first writer's temp. A half-written temp left
    // by one writer is what the other renames or truncates.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.sdn");
    fs::write(temp_path(&path), b"other writer, half done").unwrap();
    save_phase1(&path, b"mine").unwrap();
    assert_eq!(fs::read(&path).unwrap(), b"mine");
    assert!(
        !temp_path(&path).exists(),
        "the other writer's temp is gone"
    );
}

#[test]
fn phase1_startup_sweep_deletes_unrelated_tmp_files() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("db.sdn.tmp"), b"crashed").unwrap();
    fs::write(dir.path().join("notes.tmp"), b"a user's file").unwrap();
    fs::write(dir.path().join("db.sdn"), b"data").unwrap();
    assert_eq!(startup_sweep(dir.path()).unwrap(), 2);
    assert!(!dir.path().join("notes.tmp").exists(), "defect reproduced");
    assert!(dir.path().join("db.sdn").exists());
}

#[test]
fn phase2_second_acquire_waits_until_the_deadline() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.sdn");
    let held = LockFile::acquire(&path).unwrap();
    let started = Instant::now();
    let err = LockFile::acquire_with(&path, &short_policy(150)).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::TimedOut);
    assert!(started.elapsed() >= Duration::from_millis(150));
    held.release().unwrap();
    assert!(!lock_path(&path).exists());
    LockFile::acquire_with(&path, &short_policy(150))
        .unwrap()
        .release()
        .unwrap();
}

#[test]
fn phase2_waiter_gets_the_lock_after_the_release() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.sdn");
    let held = LockFile::acquire(&path).unwrap();
    let waiter_path = path.clone();
    let (contended, waiter_contended) = std::sync::mpsc::channel();
    let waiter = thread::spawn(move || {
        // One attempt while the lock is held: it must fail. Saying so is the signal that
        // the waiter is contending, instead of a guess at how long it takes to start.
        let attempt = LockFile::acquire_with(&waiter_path, &short_policy(0));
        contended
            .send(attempt.map(drop).map_err(|err| err.kind()))
            .unwrap();
        let lock = LockFile::acquire(&waiter_path).unwrap();
        let acquired = Instant::now();
        lock.release().unwrap();
        acquired
    });
    assert_eq!(
        waiter_contended.recv().unwrap(),
        Err(io::ErrorKind::TimedOut),
        "the lock was granted while held"
    );
    let released = Instant::now();
    drop(held);
    let acquired = waiter.join().unwrap();
    assert!(acquired >= released, "the waiter never shared the lock");
}

#[test]
fn phase2_stale_lock_is_deleted_after_sixty_seconds() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.sdn");
    let lock = lock_path(&path);
    fs::write(&lock, b"12345\n").unwrap();
    let file = fs::File::options().write(true).open(&lock).unwrap();
    file.set_modified(SystemTime::now() - Duration::from_secs(61))
        .unwrap();
    drop(file);
    let taken = LockFile::acquire_with(&path, &short_policy(100)).unwrap();
    assert_eq!(
        fs::read_to_string(&lock).unwrap().trim(),
        std::process::id().to_string()
    );
    taken.release().unwrap();

    // A fresh lock (a crashed holder, say) is not stale: everyone waits.
    fs::write(&lock, b"12345\n").unwrap();
    let err = LockFile::acquire_with(&path, &short_policy(100)).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::TimedOut);
}

#[test]
fn phase2_load_then_save_loses_an_interleaved_update() {
    // Defect: the lock is not held from load to save. Two read-modify-write cycles that
    // interleave (A loads, B loads, A saves, B saves) lose A's update.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("counter.sdn");
    save_phase1(&path, b"0").unwrap();
    let read = |bytes: Vec<u8>| -> u64 { String::from_utf8(bytes).unwrap().parse().unwrap() };
    let a = read(load_phase2(&path).unwrap());
    let b = read(load_phase2(&path).unwrap());
    save_phase2(&path, (a + 1).to_string().as_bytes()).unwrap();
    save_phase2(&path, (b + 1).to_string().as_bytes()).unwrap();
    assert_eq!(
        read(fs::read(&path).unwrap()),
        1,
        "two increments, one kept"
    );
}

#[test]
fn lock_policy_backs_off_to_160_ms_and_never_reaches_the_cap() {
    let policy = LockPolicy::BASELINE;
    let mut waited = Duration::ZERO;
    let mut backoff = None;
    let mut delays = Vec::new();
    while waited < policy.deadline {
        let delay = policy.next_delay(waited, backoff);
        if waited >= policy.initial_phase {
            backoff = Some(delay);
        }
        delays.push(delay.as_millis());
        waited += delay;
    }
    assert_eq!(delays.iter().filter(|d| **d == 10).count(), 50);
    let after: Vec<u128> = delays.iter().copied().skip(50).take(5).collect();
    assert_eq!(after, [20, 40, 80, 160, 160]);
    assert!(delays.iter().all(|d| *d < 500));
}

#[derive(Clone, Debug, PartialEq)]
struct Todo {
    id: u32,
    title: String,
    status: String,
}

impl BaselineRecord for Todo {
    const TABLE: &'static str = "todos";
    const COLUMNS: &'static [&'static str] = &["id", "title", "status"];
    fn key(&self) -> String {
        self.id.to_string()
    }
    fn to_row(&self) -> Vec<String> {
        vec![self.id.to_string(), self.title.clone(), self.status.clone()]
    }
    fn from_row(row: &[String]) -> Option<Self> {
        Some(Todo {
            id: row.first()?.parse().ok()?,
            title: row.get(1)?.clone(),
            status: row.get(2)?.clone(),
        })
    }
}

fn todo(id: u32, title: &str) -> Todo {
    Todo {
        id,
        title: title.to_string(),
        status: "open".to_string(),
    }
}

#[test]
fn phase3_database_crud_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("todo_db.sdn");
    let mut db = Database::<Todo>::load(&path).unwrap();
    assert_eq!(db.count(), 0);
    assert!(db.insert(todo(1, "Parse, then print")).is_none());
    db.insert(todo(2, "Quote \"this\""));
    db.insert(todo(3, ""));
    assert_eq!(
        db.insert(todo(2, "Replaced")).unwrap().title,
        "Quote \"this\""
    );
    assert_eq!(db.delete("3").unwrap().id, 3);
    assert!(db.delete("3").is_none());
    db.save().unwrap();

    let reloaded = Database::<Todo>::load(&path).unwrap();
    assert_eq!(
        reloaded.all(),
        &[todo(1, "Parse, then print"), todo(2, "Replaced")]
    );
    assert_eq!(reloaded.get("2").unwrap().title, "Replaced");
    assert!(reloaded.get("9").is_none());
}

#[test]
fn phase3_drops_unknown_columns_and_maps_by_position() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("todo_db.sdn");
    // Column order differs from the type's and there is an extra column.
    fs::write(
        &path,
        "# tracked by the dashboard\ntodos |id, status, title, owner|\n    7, done, Ship it, alice\n",
    )
    .unwrap();
    let db = Database::<Todo>::load(&path).unwrap();
    let record = db.get("7").unwrap();
    assert_eq!(
        record.title, "done",
        "by position: the status landed in title"
    );
    assert_eq!(record.status, "Ship it");
    db.save().unwrap();
    let saved = fs::read_to_string(&path).unwrap();
    assert!(!saved.contains("alice"), "unknown column dropped: {saved}");
    assert!(!saved.contains("# tracked"), "comment dropped: {saved}");
}
