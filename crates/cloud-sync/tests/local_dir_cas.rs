//! The local-directory remote's compare-and-swap across real processes: N worker
//! processes (this test binary, re-run with `CLOUD_SYNC_WORKER=cas`) race to increment
//! one counter object with If-Match writes. Exactly one writer wins each generation and
//! no increment is lost; racing create-only writes have exactly one winner.

use std::path::Path;

use cloud_sync::{Error, Key, Prefix, Remote};
use test_support::knob;
use test_support::worker::{self, STEP_LIMIT, Worker};

const PROCESSES: usize = 4;

fn remote(root: &Path) -> Remote {
    Remote::local_dir(root, Prefix::new("cas").unwrap()).unwrap()
}

fn counter() -> Key {
    Key::new("counter").unwrap()
}

/// Worker entry point; a no-op unless this process was spawned as a worker.
#[test]
fn worker() {
    let Some(action) = worker::role("CLOUD_SYNC_WORKER") else {
        return;
    };
    let remote = remote(&worker::path_var("CLOUD_SYNC_ROOT"));
    let id = worker::var("CLOUD_SYNC_ID");
    match action.as_str() {
        "cas" => {
            let wins: u64 = worker::var("CLOUD_SYNC_WINS").parse().unwrap();
            let mut won = 0;
            while won < wins {
                let current = remote.get(&counter(), 64).unwrap();
                let value: u64 = std::str::from_utf8(&current.bytes)
                    .unwrap()
                    .parse()
                    .unwrap();
                let next = value + 1;
                match remote.put_if_match(&counter(), next.to_string(), &current.version) {
                    Ok(_) => {
                        println!("@@won {next}");
                        won += 1;
                    }
                    Err(Error::Precondition { .. }) => {}
                    Err(e) => panic!("{e}"),
                }
            }
        }
        "create" => match remote.put_create(&Key::new("first").unwrap(), id.clone()) {
            Ok(_) => println!("@@created"),
            Err(Error::AlreadyExists { .. }) => println!("@@refused"),
            Err(e) => panic!("{e}"),
        },
        other => panic!("unknown worker action {other}"),
    }
}

fn run_workers(action: &str, root: &Path, extra: &[(&str, String)]) -> Vec<Vec<String>> {
    let workers: Vec<Worker> = (0..PROCESSES)
        .map(|id| {
            let mut command = worker::command("worker", "CLOUD_SYNC_WORKER", action);
            command
                .env("CLOUD_SYNC_ROOT", root)
                .env("CLOUD_SYNC_ID", id.to_string());
            for (name, value) in extra {
                command.env(name, value);
            }
            Worker::spawn(command, "@@", format!("{action} worker {id}"))
        })
        .collect();
    workers
        .into_iter()
        .map(|worker| worker.answers_until_exit(STEP_LIMIT * 10))
        .collect()
}

#[test]
fn processes_racing_compare_and_swap_lose_no_update_and_win_each_generation_once() {
    let wins: u64 = knob::number("CLOUD_SYNC_CAS_WINS", 50);
    let dir = tempfile::tempdir().unwrap();
    remote(dir.path()).put_create(&counter(), "0").unwrap();

    let outputs = run_workers("cas", dir.path(), &[("CLOUD_SYNC_WINS", wins.to_string())]);

    let mut generations: Vec<u64> = outputs
        .iter()
        .flatten()
        .map(|line| line.trim_start_matches("won ").parse().unwrap())
        .collect();
    generations.sort_unstable();
    let total = wins * PROCESSES as u64;
    let expected: Vec<u64> = (1..=total).collect();
    assert_eq!(generations, expected, "each generation won exactly once");
    let final_value = remote(dir.path()).get(&counter(), 64).unwrap();
    assert_eq!(
        std::str::from_utf8(&final_value.bytes).unwrap(),
        total.to_string(),
        "no lost update"
    );
}

#[test]
fn processes_racing_create_only_have_exactly_one_winner() {
    let dir = tempfile::tempdir().unwrap();
    let outputs = run_workers("create", dir.path(), &[]);
    let created = outputs
        .iter()
        .flatten()
        .filter(|line| *line == "created")
        .count();
    let refused = outputs
        .iter()
        .flatten()
        .filter(|line| *line == "refused")
        .count();
    assert_eq!((created, refused), (1, PROCESSES - 1));
}
