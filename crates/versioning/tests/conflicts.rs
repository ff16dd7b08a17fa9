//! Conflicts and strategies (part of the phase 4 checklist): conflict detection, every
//! strategy in one process and in the baseline's A/B scenario with two real processes,
//! per-table strategies and columns, clock skew and kept conflicts.

mod support;

use std::path::Path;
use std::sync::Arc;

use support::{T0, Todo, key, open_at, todo, with_owner, with_status};
use test_support::worker::{self, STEP_LIMIT, Worker};
use versioning::{
    Columns, Decision, Error, Fallback, ManualClock, OffsetClock, Options, Strategy, SystemClock,
    TableOptions, VersionedStore, Winner, WriterId,
};

// ---------------------------------------------------------------------------------------
// Conflicts and per-table options
// ---------------------------------------------------------------------------------------

#[test]
fn column_names_are_configurable_per_table() {
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
fn insert_of_a_taken_key_is_a_conflict() {
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
fn merge_combines_disjoint_fields_and_same_field_falls_back() {
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
fn delete_against_update_is_a_field_conflict_under_merge() {
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
fn kept_conflicts_are_listed_and_resolved_as_a_versioned_change() {
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
fn strategy_per_table_applies_when_the_call_gives_none() {
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
fn clock_skew_in_the_file_is_refused_or_clamped_by_option() {
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

// ---------------------------------------------------------------------------------------
// The baseline's A/B scenario, with two real processes
// ---------------------------------------------------------------------------------------

/// Starts an A/B worker process (`ab_worker`): it reads todo-1, answers `read
/// <version>`, waits for `go` on stdin, commits, and answers the outcome on one line.
fn spawn_ab_worker(path: &Path, role: &str, strategy: &str, extra: &[(&str, &str)]) -> Worker {
    let mut command = worker::command("ab_worker", "VERSIONING_AB_ROLE", role);
    command
        .env("VERSIONING_AB_PATH", path)
        .env("VERSIONING_AB_STRATEGY", strategy);
    for (name, value) in extra {
        command.env(name, value);
    }
    Worker::spawn(command, AB_SAYS, format!("A/B worker {role}"))
}

/// Lets the worker commit; returns its outcome once it has exited successfully.
fn go(mut worker: Worker) -> String {
    worker.send("go");
    let outcome = worker.line(STEP_LIMIT);
    worker.finish(STEP_LIMIT);
    outcome
}

/// What starts an A/B worker's answer line (libtest may print on the same line first).
const AB_SAYS: &str = "AB: ";

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
    let Some(role) = worker::role("VERSIONING_AB_ROLE") else {
        return;
    };
    let path = worker::path_var("VERSIONING_AB_PATH");
    let strategy = strategy_named(&worker::var("VERSIONING_AB_STRATEGY"));
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
    worker::say(AB_SAYS, format!("read {}", read.meta.version));
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
    let a = spawn_ab_worker(&path, "a", strategy, &[]);
    let b = spawn_ab_worker(&path, "b", strategy, b_extra);
    assert_eq!(a.line(STEP_LIMIT), "read 1");
    assert_eq!(b.line(STEP_LIMIT), "read 1");
    let a_report = go(a);
    assert_eq!(
        a_report,
        "ok version=2 written=true winner=None conflict=none kept=0"
    );
    let b_report = go(b);
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
fn ab_error_strategy_reports_base_ours_theirs_and_writes_nothing() {
    let report = "conflict base=open ours=in_progress theirs=done@dev-a fields=[]";
    expect_ab("error", &[], report, "done", 2);
}

#[test]
fn ab_last_write_wins_keeps_the_later_commit_even_with_its_clock_behind() {
    // Two minutes behind: within the skew bound, so B's clock moves past A's stamp.
    for offset in ["0", "-120000"] {
        let env = [("VERSIONING_AB_CLOCK_OFFSET_MS", offset)];
        let (record, _, _dir) = expect_ab("lww", &env, OURS_WON, "in_progress", 3);
        assert_eq!(record.meta.writer(), Some("dev-b"));
    }
}

#[test]
fn ab_clock_hours_behind_is_a_typed_skew_error_not_a_silent_loss() {
    let (report, record, _, _dir) = ab("lww", &[("VERSIONING_AB_CLOCK_OFFSET_MS", "-10800000")]);
    assert!(report.starts_with("error clock skew in "), "{report}");
    assert!(report.contains("@dev-a lies "), "{report}");
    assert_eq!(
        (record.record.status.as_str(), record.meta.version),
        ("done", 2)
    );
}

#[test]
fn ab_last_modified_wins_follows_wall_clocks_as_the_baseline_did() {
    expect_ab("lmw", &[], OURS_WON, "in_progress", 3);
    // B's clock two minutes behind: its later save loses (the baseline's defect, now
    // detected and reported rather than silent).
    let env = [("VERSIONING_AB_CLOCK_OFFSET_MS", "-120000")];
    expect_ab("lmw", &env, THEIRS_KEPT, "done", 2);
}

#[test]
fn ab_merge_same_field_falls_back_to_error_and_disjoint_fields_merge() {
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
fn ab_merge_with_keep_writes_one_value_and_keeps_both() {
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
fn ab_merge_with_last_write_wins_fallback() {
    let report = "ok version=3 written=true winner=Some(Merged) conflict=base:1 theirs:2@dev-a fields:[\"status\"] kept=0";
    expect_ab("merge-lww", &[], report, "in_progress", 3);
}

#[test]
fn ab_callback_decides() {
    expect_ab("callback", &[], THEIRS_KEPT, "done", 2);
}
