//! Eight processes doing optimistic read–think–commit cycles on overlapping records:
//! every commit lands or reports a conflict, the final state is a serial replay of the
//! landed commits, and no commit silently overwrote another.

mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use rand::{Rng, SeedableRng};
use support::{Todo, todo};
use test_support::{knob, worker};
use versioning::{Error, Options, VersionedStore, WriterId};

const KEYS: usize = 3;

/// Entry point of worker processes; does nothing in a normal test run.
#[test]
fn stress_worker() {
    let Some(worker) = worker::role("VERSIONING_STRESS_WORKER") else {
        return;
    };
    let path = worker::path_var("VERSIONING_STRESS_PATH");
    let iters = knob::number("VERSIONING_STRESS_ITERS", 30);
    let store = VersionedStore::open(
        &path,
        Options::new(WriterId::new(format!("w{worker}")).unwrap()),
    )
    .unwrap();
    let mut rng = rand::rngs::StdRng::seed_from_u64(worker.parse::<u64>().unwrap() * 7919);
    let mut log = String::new();
    for i in 0..iters {
        let key = format!("k{}", rng.random_range(0..KEYS));
        let read = store.get::<Todo>(&key).unwrap().unwrap();
        // Think: the user edits for a while without holding any lock.
        std::thread::sleep(Duration::from_micros(rng.random_range(0..2000)));
        let count: u64 = read.record.title.parse().unwrap();
        let token = format!("w{worker}-{i}");
        let ours = Todo {
            title: (count + 1).to_string(),
            status: token.clone(),
            ..read.record.clone()
        };
        match store.commit_if(&read, ours) {
            Ok(done) => {
                assert!(done.conflict.is_none());
                log.push_str(&format!(
                    "landed {key} {} {} {token}\n",
                    read.meta.version, done.record.meta.version
                ));
            }
            Err(Error::Conflict(conflict)) => {
                assert!(conflict.theirs.meta.version > read.meta.version);
                log.push_str(&format!("conflict {key} {}\n", read.meta.version));
            }
            Err(other) => panic!("worker {worker}: {other}"),
        }
    }
    std::fs::write(path.with_extension(format!("log{worker}")), log).unwrap();
    std::process::exit(0);
}

fn run(dir: &Path, procs: usize, iters: usize) {
    let path = dir.join("db.sdn");
    let setup = VersionedStore::open(&path, Options::new(WriterId::new("setup").unwrap())).unwrap();
    for k in 0..KEYS {
        let mut record = todo(&format!("k{k}"), "seed");
        record.title = "0".into();
        setup.insert(record).unwrap();
    }
    let children: Vec<_> = (0..procs)
        .map(|w| {
            worker::command("stress_worker", "VERSIONING_STRESS_WORKER", &w.to_string())
                .env("VERSIONING_STRESS_PATH", &path)
                .env("VERSIONING_STRESS_ITERS", iters.to_string())
                .stdout(Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut child in children {
        assert!(child.wait().unwrap().success(), "a worker failed");
    }
    // key -> version -> (base version, token)
    let mut landed: BTreeMap<String, BTreeMap<u64, (u64, String)>> = BTreeMap::new();
    let mut attempts = 0;
    for w in 0..procs {
        let log = std::fs::read_to_string(path.with_extension(format!("log{w}"))).unwrap();
        for line in log.lines() {
            attempts += 1;
            let parts: Vec<&str> = line.split(' ').collect();
            if parts[0] == "landed" {
                let (base, version) = (parts[2].parse().unwrap(), parts[3].parse().unwrap());
                let previous = landed
                    .entry(parts[1].to_owned())
                    .or_default()
                    .insert(version, (base, parts[4].to_owned()));
                assert!(
                    previous.is_none(),
                    "two commits landed as {} v{version}",
                    parts[1]
                );
            }
        }
    }
    assert_eq!(
        attempts,
        procs * iters,
        "every commit landed or reported a conflict"
    );
    for k in 0..KEYS {
        let key = format!("k{k}");
        let commits = landed.remove(&key).unwrap_or_default();
        let record = setup.get::<Todo>(&key).unwrap().unwrap();
        // Serial replay: versions 2, 3, ... each based on the one before (nothing was
        // overwritten unseen), each adding one to the count.
        let mut replay = (1u64, 0u64, "seed".to_owned());
        for (version, (base, token)) in &commits {
            assert_eq!(*base, replay.0, "{key} v{version} was based on v{base}");
            assert_eq!(*version, replay.0 + 1);
            replay = (*version, replay.1 + 1, token.clone());
        }
        assert_eq!(record.meta.version, replay.0, "{key}");
        assert_eq!(record.record.title, replay.1.to_string(), "{key}");
        assert_eq!(record.record.status, replay.2, "{key}");
    }
}

#[test]
fn eight_processes_optimistic_cycles_land_or_conflict_never_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    run(
        dir.path(),
        knob::number("VERSIONING_STRESS_PROCS", 8),
        knob::number("VERSIONING_STRESS_ITERS", 30),
    );
}
