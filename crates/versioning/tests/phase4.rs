//! Phase 4 checklist: versions, stamps, conflict detection and every strategy, including
//! the baseline's A/B scenario with two real processes.

mod support;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::Arc;

use support::{T0, Todo, changed_lines, open_at, todo, with_owner, with_status};
use versioning::{
    Columns, Decision, Error, Fallback, ManualClock, OffsetClock, Options, Strategy, SystemClock,
    TableOptions, VersionedStore, Winner, WriterId,
};

fn key(id: &str) -> String {
    id.to_owned()
}

// ---------------------------------------------------------------------------------------
// Versions and stamps
// ---------------------------------------------------------------------------------------

#[test]
fn p4_versions_increment_on_save_and_a_change_is_a_one_line_diff() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("todo_db.sdn");
    std::fs::write(&path, "# the team's todos\n").unwrap();
    let clock = ManualClock::new(T0);
    let store = open_at(&path, "dev-a", &clock);
    for i in 1..=5 {
        assert_eq!(
            store
                .insert(todo(&format!("todo-{i}"), "open"))
                .unwrap()
                .record
                .meta
                .version,
            1
        );
    }
    for expected in 2..=4 {
        let read = store.get::<Todo>(&key("todo-3")).unwrap().unwrap();
        let before = std::fs::read_to_string(&path).unwrap();
        let committed = store
            .commit_if(
                &read,
                with_status(&read.record, &format!("step {expected}")),
            )
            .unwrap();
        assert_eq!(committed.record.meta.version, expected);
        assert!(committed.conflict.is_none());
        let after = std::fs::read_to_string(&path).unwrap();
        let changed = changed_lines(&before, &after);
        assert_eq!(changed.len(), 1, "one line changed:\n{after}");
        let line = after.lines().nth(changed[0] - 1).unwrap();
        assert!(
            line.contains("todo-3") && line.contains(&format!("step {expected}")),
            "{line}"
        );
    }
    assert!(
        std::fs::read_to_string(&path)
            .unwrap()
            .starts_with("# the team's todos\n")
    );
    let other = store.get::<Todo>(&key("todo-2")).unwrap().unwrap();
    assert_eq!(other.meta.version, 1, "other records keep their version");
}

#[test]
fn p4_timestamps_are_updated_with_writer_on_each_save() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.sdn");
    let clock = ManualClock::new(T0);
    let store = open_at(&path, "dev-a", &clock);
    let first = store.insert(todo("todo-1", "open")).unwrap().record;
    let stamp1 = first.meta.stamp.clone().unwrap();
    assert_eq!(stamp1.to_string(), "2025-12-01T14:40:00.000Z+00000@dev-a");
    assert_eq!(first.meta.writer(), Some("dev-a"));
    clock.advance(1500);
    let second = store
        .commit_if(&first, with_status(&first.record, "done"))
        .unwrap()
        .record;
    let stamp2 = second.meta.stamp.clone().unwrap();
    assert_eq!(stamp2.to_string(), "2025-12-01T14:40:01.500Z+00000@dev-a");
    // Read back from the file, human-readable.
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.contains("2025-12-01T14:40:01.500Z+00000@dev-a"),
        "{text}"
    );
    let reread = store.get::<Todo>(&key("todo-1")).unwrap().unwrap();
    assert_eq!(reread.meta.stamp, Some(stamp2));
    // The wall clock steps back an hour: the next stamp still orders later.
    clock.advance(-3_600_000);
    let third = store
        .commit_if(&reread, with_status(&reread.record, "reopened"))
        .unwrap()
        .record;
    assert!(third.meta.stamp.unwrap() > reread.meta.stamp.unwrap());
}

#[test]
fn p4_stamps_increase_per_writer_across_restarts_with_the_clock_behind() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.sdn");
    let clock = ManualClock::new(T0);
    let last = {
        let store = open_at(&path, "dev-a", &clock);
        store.insert(todo("todo-1", "open")).unwrap();
        let read = store.get::<Todo>(&key("todo-1")).unwrap().unwrap();
        store
            .commit_if(&read, with_status(&read.record, "x"))
            .unwrap()
            .record
            .meta
            .stamp
            .unwrap()
    };
    clock.advance(-86_400_000); // restarted with the clock a day behind
    let store = open_at(&path, "dev-a", &clock);
    let next = store
        .insert(todo("todo-2", "open"))
        .unwrap()
        .record
        .meta
        .stamp
        .unwrap();
    assert!(next > last, "{next} after {last}");
}

#[test]
fn p4_delete_leaves_a_tombstone_that_reads_as_absent() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.sdn");
    let clock = ManualClock::new(T0);
    let store = open_at(&path, "dev-a", &clock);
    store.insert(todo("todo-1", "open")).unwrap();
    store.insert(todo("todo-2", "open")).unwrap();
    let read = store.get::<Todo>(&key("todo-1")).unwrap().unwrap();
    let before = std::fs::read_to_string(&path).unwrap();
    let deleted = store.delete_if(&read).unwrap();
    assert_eq!(deleted.record.meta.version, 2);
    assert!(deleted.record.meta.deleted);
    assert_eq!(
        changed_lines(&before, &std::fs::read_to_string(&path).unwrap()).len(),
        1
    );
    assert!(store.get::<Todo>(&key("todo-1")).unwrap().is_none());
    let tombstone = store
        .get_with_tombstone::<Todo>(&key("todo-1"))
        .unwrap()
        .unwrap();
    assert!(tombstone.meta.deleted);
    assert_eq!(store.list::<Todo>().unwrap().len(), 1);
    // Inserting the key again replaces the tombstone with the next version.
    let again = store.insert(todo("todo-1", "new")).unwrap();
    assert!(again.conflict.is_none());
    assert_eq!(
        (again.record.meta.version, again.record.meta.deleted),
        (3, false)
    );
}

#[test]
fn p4_column_names_are_configurable_per_table() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.sdn");
    let columns = Columns {
        version: "rev".into(),
        last_modified: "changed_at".into(),
        deleted: "gone".into(),
    };
    let options = Options::new(WriterId::new("dev-a").unwrap())
        .clock(ManualClock::new(T0))
        .table(
            "todos",
            TableOptions {
                columns,
                ..TableOptions::default()
            },
        );
    let store = VersionedStore::open(&path, options).unwrap();
    store.insert(todo("todo-1", "open")).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.starts_with("todos |id, title, status, owner, rev, changed_at, gone|"),
        "{text}"
    );
    assert_eq!(
        store
            .get::<Todo>(&key("todo-1"))
            .unwrap()
            .unwrap()
            .meta
            .version,
        1
    );
}

#[test]
fn p4_insert_of_a_taken_key_is_a_conflict() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.sdn");
    let clock = ManualClock::new(T0);
    let a = open_at(&path, "dev-a", &clock);
    let b = open_at(&path, "dev-b", &clock);
    a.insert(todo("todo-1", "from a")).unwrap();
    let err = b.insert(todo("todo-1", "from b")).unwrap_err();
    let Error::Conflict(conflict) = err else {
        panic!("expected a conflict, got {err}");
    };
    assert_eq!(
        (conflict.base.meta.version, conflict.theirs.meta.version),
        (0, 1)
    );
    assert_eq!(
        a.get::<Todo>(&key("todo-1"))
            .unwrap()
            .unwrap()
            .record
            .status,
        "from a"
    );
}

// ---------------------------------------------------------------------------------------
// Strategies in one process (the A/B scenario below runs them across processes)
// ---------------------------------------------------------------------------------------

/// A and B read todo-1 at version 1; A commits `status: done`. Returns B's store and read.
fn raced(dir: &Path, b_clock: ManualClock) -> (VersionedStore, versioning::Versioned<Todo>) {
    let path = dir.join("db.sdn");
    let a = open_at(&path, "dev-a", &ManualClock::new(T0));
    a.insert(todo("todo-1", "open")).unwrap();
    let b = open_at(&path, "dev-b", &b_clock);
    let read_a = a.get::<Todo>(&key("todo-1")).unwrap().unwrap();
    let read_b = b.get::<Todo>(&key("todo-1")).unwrap().unwrap();
    a.commit_if(&read_a, with_status(&read_a.record, "done"))
        .unwrap();
    (b, read_b)
}

#[test]
fn p4_merge_combines_disjoint_fields_and_same_field_falls_back() {
    let dir = tempfile::tempdir().unwrap();
    let (b, read_b) = raced(dir.path(), ManualClock::new(T0 + 10));
    let owner = with_owner(&read_b.record, "bob");
    let merged = b
        .commit_if_with(&read_b, owner, &Strategy::Merge(Fallback::Error))
        .unwrap();
    assert_eq!(merged.winner, Some(Winner::Merged));
    assert_eq!(merged.record.meta.version, 3);
    assert_eq!(
        (
            merged.record.record.status.as_str(),
            merged.record.record.owner.as_str()
        ),
        ("done", "bob")
    );

    let dir = tempfile::tempdir().unwrap();
    let (b, read_b) = raced(dir.path(), ManualClock::new(T0 + 10));
    let both = with_status(&read_b.record, "in_progress");
    let err = b
        .commit_if_with(&read_b, both.clone(), &Strategy::Merge(Fallback::Error))
        .unwrap_err();
    let Error::Conflict(conflict) = err else {
        panic!("{err}")
    };
    assert_eq!(conflict.fields, ["status"]);
    assert_eq!(
        b.get::<Todo>(&key("todo-1")).unwrap().unwrap().meta.version,
        2,
        "nothing written"
    );
    let resolved = b
        .commit_if_with(&read_b, both, &Strategy::Merge(Fallback::LastWriteWins))
        .unwrap();
    assert_eq!(resolved.record.record.status, "in_progress");
    assert_eq!(resolved.conflict.unwrap().fields, ["status"]);
}

#[test]
fn p4_delete_against_update_is_a_field_conflict_under_merge() {
    let dir = tempfile::tempdir().unwrap();
    let (b, read_b) = raced(dir.path(), ManualClock::new(T0 + 10));
    let err = b
        .delete_if_with(&read_b, &Strategy::Merge(Fallback::Error))
        .unwrap_err();
    let Error::Conflict(conflict) = err else {
        panic!("{err}")
    };
    assert_eq!(conflict.fields, ["deleted"]);
    let kept = b
        .delete_if_with(&read_b, &Strategy::Merge(Fallback::Keep))
        .unwrap();
    assert!(
        kept.record.meta.deleted,
        "the later stamp (the delete) wins"
    );
    assert_eq!(
        kept.record.record.status, "done",
        "the update survives in the tombstone"
    );
    assert_eq!(b.conflicts().unwrap().len(), 2);
}

#[test]
fn p4_kept_conflicts_are_listed_and_resolved_as_a_versioned_change() {
    let dir = tempfile::tempdir().unwrap();
    let (b, read_b) = raced(dir.path(), ManualClock::new(T0 + 10));
    let ours = with_status(&read_b.record, "in_progress");
    let kept = b
        .commit_if_with(&read_b, ours, &Strategy::Merge(Fallback::Keep))
        .unwrap();
    assert_eq!(kept.record.meta.version, 3);
    let conflicts = b.conflicts().unwrap();
    let mut seen: Vec<(String, String, String)> = conflicts
        .iter()
        .map(|c| {
            (
                c.field.clone(),
                c.value().as_str().unwrap().to_owned(),
                c.writer().to_owned(),
            )
        })
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        [
            ("status".into(), "done".into(), "dev-a".into()),
            ("status".into(), "in_progress".into(), "dev-b".into())
        ]
    );
    // Human-readable in the same file.
    let text = std::fs::read_to_string(b.path()).unwrap();
    assert!(
        text.contains("versioning_conflicts |table, key, field, value, stamp|"),
        "{text}"
    );
    let resolved = b
        .resolve::<Todo>(&key("todo-1"), "status", sdn_codec::Value::from("done"))
        .unwrap();
    assert_eq!(
        (
            resolved.record.meta.version,
            resolved.record.record.status.as_str()
        ),
        (4, "done")
    );
    assert!(b.conflicts().unwrap().is_empty());
    assert!(matches!(
        b.resolve::<Todo>(&key("todo-1"), "status", sdn_codec::Value::from("x")),
        Err(Error::NoSuchConflict { .. })
    ));
}

#[test]
fn p4_strategy_per_table_applies_when_the_call_gives_none() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.sdn");
    let a = open_at(&path, "dev-a", &ManualClock::new(T0));
    a.insert(todo("todo-1", "open")).unwrap();
    let options = Options::new(WriterId::new("dev-b").unwrap())
        .clock(ManualClock::new(T0 + 5))
        .table(
            "todos",
            TableOptions {
                strategy: Some(Strategy::LastWriteWins),
                ..TableOptions::default()
            },
        );
    let b = VersionedStore::open(&path, options).unwrap();
    let read_a = a.get::<Todo>(&key("todo-1")).unwrap().unwrap();
    let read_b = b.get::<Todo>(&key("todo-1")).unwrap().unwrap();
    a.commit_if(&read_a, with_status(&read_a.record, "done"))
        .unwrap();
    let outcome = b
        .commit_if(&read_b, with_status(&read_b.record, "in_progress"))
        .unwrap();
    assert_eq!(outcome.winner, Some(Winner::Ours));
    // The store-wide default (Error) still applies to a's commits.
    assert!(a.commit_if(&read_a, read_a.record.clone()).is_err());
}

#[test]
fn p4_clock_skew_in_the_file_is_refused_or_clamped_by_option() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.sdn");
    // A device three hours ahead writes todo-1.
    let ahead = open_at(&path, "dev-ahead", &ManualClock::new(T0 + 3 * 3_600_000));
    ahead.insert(todo("todo-1", "open")).unwrap();
    let read = ahead.get::<Todo>(&key("todo-1")).unwrap().unwrap();
    let local = open_at(&path, "dev-local", &ManualClock::new(T0));
    let err = local
        .commit_if(&read, with_status(&read.record, "done"))
        .unwrap_err();
    assert!(matches!(err, Error::ClockSkew { .. }), "{err}");
    assert!(err.to_string().contains("dev-ahead"), "{err}");
    let clamping = VersionedStore::open(
        &path,
        Options::new(WriterId::new("dev-local").unwrap())
            .clock(ManualClock::new(T0))
            .skew(60_000, versioning::SkewPolicy::Clamp),
    )
    .unwrap();
    // Opening recovers from the store's own history (no bound): stamps still increase.
    let committed = clamping
        .commit_if(&read, with_status(&read.record, "done"))
        .unwrap();
    assert!(committed.record.meta.stamp.unwrap() > read.meta.stamp.unwrap());
}

#[test]
fn p4_unmigrated_table_reads_as_version_zero_and_refuses_commits() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.sdn");
    std::fs::write(&path, "todos |id, title, status|\n    todo-1, t, open\n").unwrap();
    let store = open_at(&path, "dev-a", &ManualClock::new(T0));
    let read = store.get::<Todo>(&key("todo-1")).unwrap().unwrap();
    assert_eq!((read.meta.version, read.meta.stamp.clone()), (0, None));
    let err = store.commit_if(&read, read.record.clone()).unwrap_err();
    assert!(matches!(err, Error::NotMigrated { .. }), "{err}");
    assert!(err.to_string().contains("migrate"), "{err}");
}

// ---------------------------------------------------------------------------------------
// The baseline's A/B scenario, with two real processes
// ---------------------------------------------------------------------------------------

/// A worker process: reads todo-1, reports `read <version>`, waits for `go` on stdin,
/// commits, reports the outcome on one line.
struct Worker {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Worker {
    fn spawn(path: &Path, role: &str, strategy: &str, extra: &[(&str, &str)]) -> Worker {
        let mut command = Command::new(std::env::current_exe().unwrap());
        command
            .args(["--exact", "ab_worker", "--nocapture", "--test-threads=1"])
            .env("VERSIONING_AB_ROLE", role)
            .env("VERSIONING_AB_PATH", path)
            .env("VERSIONING_AB_STRATEGY", strategy)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped());
        for (name, value) in extra {
            command.env(name, value);
        }
        let mut child = command.spawn().unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        Worker {
            child,
            stdin,
            stdout,
        }
    }

    /// The next line the worker reports (test harness noise skipped).
    fn report(&mut self) -> String {
        loop {
            let mut line = String::new();
            assert!(
                self.stdout.read_line(&mut line).unwrap() > 0,
                "worker exited early"
            );
            // libtest may print `test ab_worker ... ` on the same line first.
            if let Some(at) = line.find("AB: ") {
                return line[at + 4..].trim().to_owned();
            }
        }
    }

    fn go(mut self) -> String {
        writeln!(self.stdin, "go").unwrap();
        let report = self.report();
        assert!(self.child.wait().unwrap().success());
        report
    }
}

fn strategy_named(name: &str) -> Strategy {
    match name {
        "error" => Strategy::Error,
        "lww" => Strategy::LastWriteWins,
        "lmw" => Strategy::LastModifiedWins,
        "merge" => Strategy::Merge(Fallback::Error),
        "merge-keep" => Strategy::Merge(Fallback::Keep),
        "merge-lww" => Strategy::Merge(Fallback::LastWriteWins),
        // A domain rule: `done` beats anything else.
        "callback" => Strategy::Callback(Arc::new(|conflict: &versioning::Conflict| {
            let theirs = conflict
                .theirs
                .fields
                .get("status")
                .and_then(|v| v.as_str());
            if theirs == Some("done") {
                Decision::Theirs
            } else {
                Decision::Ours
            }
        })),
        other => panic!("unknown strategy {other}"),
    }
}

/// Entry point of the A/B worker processes; does nothing in a normal test run.
#[test]
fn ab_worker() {
    let Ok(role) = std::env::var("VERSIONING_AB_ROLE") else {
        return;
    };
    let path = PathBuf::from(std::env::var("VERSIONING_AB_PATH").unwrap());
    let strategy = strategy_named(&std::env::var("VERSIONING_AB_STRATEGY").unwrap());
    let offset_ms: i64 =
        std::env::var("VERSIONING_AB_CLOCK_OFFSET_MS").map_or(0, |v| v.parse().unwrap());
    let field = std::env::var("VERSIONING_AB_FIELD").unwrap_or_else(|_| "status".into());
    let options = Options::new(WriterId::new(format!("dev-{role}")).unwrap())
        .clock(OffsetClock {
            inner: SystemClock,
            offset_ms,
        })
        .strategy(strategy);
    let store = VersionedStore::open(&path, options).unwrap();
    let read = store.get::<Todo>(&key("todo-1")).unwrap().unwrap();
    println!("AB: read {}", read.meta.version);
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).unwrap();
    let mut ours = read.record.clone();
    match (role.as_str(), field.as_str()) {
        ("a", _) => ours.status = "done".into(),
        ("b", "owner") => ours.owner = "bob".into(),
        _ => ours.status = "in_progress".into(),
    }
    match store.commit_if(&read, ours) {
        Ok(c) => println!(
            "AB: ok version={} written={} winner={:?} conflict={} kept={}",
            c.record.meta.version,
            c.written,
            c.winner,
            c.conflict.as_ref().map_or("none".into(), |c| format!(
                "base:{} theirs:{}@{} fields:{:?}",
                c.base.meta.version,
                c.theirs.meta.version,
                c.theirs.meta.writer().unwrap_or("?"),
                c.fields
            )),
            c.kept.len()
        ),
        Err(Error::Conflict(c)) => println!(
            "AB: conflict base={} ours={} theirs={}@{} fields={:?}",
            c.base
                .fields
                .get("status")
                .and_then(|v| v.as_str())
                .unwrap(),
            c.ours
                .fields
                .get("status")
                .and_then(|v| v.as_str())
                .unwrap(),
            c.theirs
                .fields
                .get("status")
                .and_then(|v| v.as_str())
                .unwrap(),
            c.theirs.meta.writer().unwrap(),
            c.fields
        ),
        Err(other) => println!("AB: error {other}"),
    }
    std::process::exit(0);
}

/// Runs the scenario: A and B both read version 1 of todo-1; A commits `status: done`;
/// then B commits its change based on version 1. Returns B's report and the record.
fn ab(
    strategy: &str,
    b_extra: &[(&str, &str)],
) -> (
    String,
    versioning::Versioned<Todo>,
    VersionedStore,
    tempfile::TempDir,
) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("todo_db.sdn");
    let setup = VersionedStore::open(
        &path,
        Options::new(WriterId::new("setup").unwrap()).clock(OffsetClock {
            inner: SystemClock,
            offset_ms: -60_000,
        }),
    )
    .unwrap();
    setup.insert(todo("todo-1", "open")).unwrap();
    let a = Worker::spawn(&path, "a", strategy, &[]);
    let mut b = Worker::spawn(&path, "b", strategy, b_extra);
    let mut a = a;
    assert_eq!(a.report(), "read 1");
    assert_eq!(b.report(), "read 1");
    let a_report = a.go();
    assert_eq!(
        a_report,
        "ok version=2 written=true winner=None conflict=none kept=0"
    );
    let b_report = b.go();
    let record = setup
        .get_with_tombstone::<Todo>(&key("todo-1"))
        .unwrap()
        .unwrap();
    (b_report, record, setup, dir)
}

/// Runs the A/B scenario and checks B's exact report and the record's final status and
/// version; returns the record, a store on the file and its directory.
fn expect_ab(
    strategy: &str,
    b_extra: &[(&str, &str)],
    report: &str,
    status: &str,
    version: u64,
) -> (
    versioning::Versioned<Todo>,
    VersionedStore,
    tempfile::TempDir,
) {
    let (got, record, store, dir) = ab(strategy, b_extra);
    assert_eq!(got, report, "{strategy} {b_extra:?}");
    assert_eq!(
        (record.record.status.as_str(), record.meta.version),
        (status, version),
        "{strategy} {b_extra:?}"
    );
    (record, store, dir)
}

const OURS_WON: &str =
    "ok version=3 written=true winner=Some(Ours) conflict=base:1 theirs:2@dev-a fields:[] kept=0";
const THEIRS_KEPT: &str = "ok version=2 written=false winner=Some(Theirs) conflict=base:1 theirs:2@dev-a fields:[] kept=0";

#[test]
fn p4_ab_error_strategy_reports_base_ours_theirs_and_writes_nothing() {
    let report = "conflict base=open ours=in_progress theirs=done@dev-a fields=[]";
    expect_ab("error", &[], report, "done", 2);
}

#[test]
fn p4_ab_last_write_wins_keeps_the_later_commit_even_with_its_clock_behind() {
    // Two minutes behind: within the skew bound, so B's clock moves past A's stamp.
    for offset in ["0", "-120000"] {
        let env = [("VERSIONING_AB_CLOCK_OFFSET_MS", offset)];
        let (record, _, _dir) = expect_ab("lww", &env, OURS_WON, "in_progress", 3);
        assert_eq!(record.meta.writer(), Some("dev-b"));
    }
}

#[test]
fn p4_ab_clock_hours_behind_is_a_typed_skew_error_not_a_silent_loss() {
    let (report, record, _, _dir) = ab("lww", &[("VERSIONING_AB_CLOCK_OFFSET_MS", "-10800000")]);
    assert!(report.starts_with("error clock skew in "), "{report}");
    assert!(report.contains("@dev-a lies "), "{report}");
    assert_eq!(
        (record.record.status.as_str(), record.meta.version),
        ("done", 2)
    );
}

#[test]
fn p4_ab_last_modified_wins_follows_wall_clocks_as_the_baseline_did() {
    expect_ab("lmw", &[], OURS_WON, "in_progress", 3);
    // B's clock two minutes behind: its later save loses (the baseline's defect, now
    // detected and reported rather than silent).
    let env = [("VERSIONING_AB_CLOCK_OFFSET_MS", "-120000")];
    expect_ab("lmw", &env, THEIRS_KEPT, "done", 2);
}

#[test]
fn p4_ab_merge_same_field_falls_back_to_error_and_disjoint_fields_merge() {
    let report = "conflict base=open ours=in_progress theirs=done@dev-a fields=[\"status\"]";
    expect_ab("merge", &[], report, "done", 2);
    let report = "ok version=3 written=true winner=Some(Merged) conflict=base:1 theirs:2@dev-a fields:[] kept=0";
    let (record, _, _dir) = expect_ab(
        "merge",
        &[("VERSIONING_AB_FIELD", "owner")],
        report,
        "done",
        3,
    );
    assert_eq!(record.record.owner, "bob");
}

#[test]
fn p4_ab_merge_with_keep_writes_one_value_and_keeps_both() {
    let report = "ok version=3 written=true winner=Some(Merged) conflict=base:1 theirs:2@dev-a fields:[\"status\"] kept=2";
    let (_, store, _dir) = expect_ab("merge-keep", &[], report, "in_progress", 3);
    let kept: Vec<(String, String)> = store
        .conflicts()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c.writer().to_owned(),
                c.value().as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(kept.len(), 2);
    assert!(kept.contains(&("dev-a".into(), "done".into())), "{kept:?}");
    assert!(
        kept.contains(&("dev-b".into(), "in_progress".into())),
        "{kept:?}"
    );
}

#[test]
fn p4_ab_merge_with_last_write_wins_fallback() {
    let report = "ok version=3 written=true winner=Some(Merged) conflict=base:1 theirs:2@dev-a fields:[\"status\"] kept=0";
    expect_ab("merge-lww", &[], report, "in_progress", 3);
}

#[test]
fn p4_ab_callback_decides() {
    expect_ab("callback", &[], THEIRS_KEPT, "done", 2);
}

// ---------------------------------------------------------------------------------------
// Change cursor
// ---------------------------------------------------------------------------------------

#[test]
fn p4_change_cursor_reports_what_changed_since_a_revision() {
    use versioning::cursor::Cursor;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.sdn");
    let clock = ManualClock::new(T0);
    let store = open_at(&path, "dev-a", &clock);
    for i in 1..=3 {
        store.insert(todo(&format!("todo-{i}"), "open")).unwrap();
    }
    let (all, cursor) = store.changes_since(&Cursor::start()).unwrap();
    assert_eq!(all.len(), 3);
    assert_eq!(cursor.revision(), 3);
    assert_eq!(store.revision().unwrap(), 3);
    let (none, same) = store.changes_since(&cursor).unwrap();
    assert!(none.is_empty());
    assert_eq!(same, cursor);

    let two = store.get::<Todo>(&key("todo-2")).unwrap().unwrap();
    store
        .commit_if(&two, with_status(&two.record, "done"))
        .unwrap();
    let three = store.get::<Todo>(&key("todo-3")).unwrap().unwrap();
    store.delete_if(&three).unwrap();
    let (changes, next) = store.changes_since(&cursor).unwrap();
    let summary: Vec<(String, u64, bool)> = changes
        .iter()
        .filter(|c| c.version > 1)
        .map(|c| (c.key.clone(), c.version, c.deleted))
        .collect();
    assert_eq!(
        summary,
        [("todo-2".into(), 2, false), ("todo-3".into(), 2, true)]
    );
    assert_eq!(next.revision(), 5, "one per record change");
    assert_eq!(changes[0].stamp.as_ref().unwrap().writer, "dev-a");
}

/// The cursor's memory is bounded per table, and it never misses a change, even one
/// merged in from another replica with a stamp older than anything it saw.
#[test]
fn p4_change_cursor_memory_is_bounded_and_merged_in_changes_are_not_missed() {
    use versioning::cursor::{Cursor, MAX_BUCKETS};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.sdn");
    let clock = ManualClock::new(T0);
    let store = open_at(&path, "dev-a", &clock);
    let records = 6000;
    store
        .store()
        .update(|tx| {
            let table = tx.table::<support::Versioned>()?;
            for i in 0..records {
                table.insert(support::Versioned::new(&format!("todo-{i}")))?;
            }
            Ok::<_, record_store::Error>(())
        })
        .unwrap();
    let base = std::fs::read_to_string(&path).unwrap();
    let (all, cursor) = store.changes_since(&Cursor::start()).unwrap();
    assert_eq!(all.len(), records);
    // A map of every record's version (the old cursor) would hold 6,000 entries.
    assert!(
        cursor.digest_bytes() <= MAX_BUCKETS * 8,
        "{}",
        cursor.digest_bytes()
    );

    // Another replica changed two records, stamped an hour earlier than anything the
    // cursor saw; its snapshot is merged in as cloud-sync does, by text.
    let mut remote = sdn_codec::Document::parse(&base).unwrap();
    for id in ["todo-17", "todo-4242"] {
        remote
            .table_mut("todos")
            .unwrap()
            .update_row_where("id", id, |row| {
                row.insert("status", "done");
                row.insert("version", 2);
                row.insert("last_modified", "2025-12-01T13:40:00.000Z+00000@dev-b");
            })
            .unwrap();
    }
    let merged =
        versioning::merge::merge(&base, &base, remote.as_str(), &Default::default()).unwrap();
    std::fs::write(&path, merged.text).unwrap();
    let (changes, _) = store.changes_since(&cursor).unwrap();
    let keys: Vec<&str> = changes.iter().map(|c| c.key.as_str()).collect();
    assert!(
        keys.contains(&"todo-17") && keys.contains(&"todo-4242"),
        "{keys:?}"
    );
    assert!(
        changes.len() <= 2 * 8,
        "a few records per changed one: {keys:?}"
    );
}
