//! `cargo xtask bench versioning`: what versioning costs, measured side by side in one run.
//!
//! 1. A durable one-record update of a 150-record todo store: record-store's plain
//!    `Store::update` against versioning's read + `commit_if` (version check, stamp), on
//!    two copies of the same file, interleaved round by round.
//! 2. Three-way merge of two 10,000-record replicas with 1% of the records changed on
//!    each side (a fifth of them the same records): `versioning::merge::merge` on SDN
//!    text against the `automerge` crate merging the same edits made to an Automerge
//!    document of the same records. Time (median of several runs), peak memory growth
//!    (Linux `VmHWM` after resetting it) and bytes on disk (the SDN text; Automerge's
//!    saved document).
//!
//! Figures are printed and stored in `versioning.json` under `BENCH_RESULTS_DIR`.

use std::time::Instant;

use automerge::transaction::Transactable;
use automerge::{ActorId, AutoCommit, ObjType, ROOT, ReadDoc};
use bench_suite::memory;
use record_store::{Record, Store};
use serde::{Deserialize, Serialize};
use serde_json::json;
use versioning::merge::{MergeOptions, merge};
use versioning::{Options, VersionedStore, WriterId};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Todo {
    id: u32,
    area: String,
    description: String,
    status: String,
    owner: String,
}

impl Record for Todo {
    const TABLE: &'static str = "todos";
    type Key = u32;
    fn key(&self) -> u32 {
        self.id
    }
}

const UPDATE_RECORDS: u32 = 150;
const UPDATE_ROUNDS: usize = 200;
const MERGE_RECORDS: usize = 10_000;
const MERGE_RUNS: usize = 5;

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

fn todo(id: u32) -> Todo {
    Todo {
        id,
        area: ["parser", "runtime", "docs"][id as usize % 3].into(),
        description: format!("Record number {id}, with a sentence of text like a real todo"),
        status: "open".into(),
        owner: String::new(),
    }
}

fn update_bench() -> serde_json::Value {
    let dir = tempfile::tempdir().unwrap();
    let plain_path = dir.path().join("plain.sdn");
    let versioned_path = dir.path().join("versioned.sdn");
    let plain = Store::open(&plain_path).unwrap();
    plain
        .update(|tx| {
            let table = tx.table::<Todo>()?;
            for id in 0..UPDATE_RECORDS {
                table.insert(todo(id))?;
            }
            Ok::<_, record_store::Error>(())
        })
        .unwrap();
    std::fs::copy(&plain_path, &versioned_path).unwrap();
    let versioned = VersionedStore::open(
        &versioned_path,
        Options::new(WriterId::new("bench").unwrap()),
    )
    .unwrap();
    versioned.migrate::<Todo>().unwrap();

    let (mut plain_ns, mut versioned_ns) = (Vec::new(), Vec::new());
    for round in 0..UPDATE_ROUNDS {
        let id = (round as u32 * 37) % UPDATE_RECORDS;
        let status = format!("step {round}");
        let started = Instant::now();
        plain
            .update(|tx| {
                if let Some(record) = tx.table::<Todo>()?.get_mut(&id) {
                    record.status = status.clone();
                }
                Ok::<_, record_store::Error>(())
            })
            .unwrap();
        plain_ns.push(started.elapsed().as_nanos() as f64);

        let started = Instant::now();
        let read = versioned.get::<Todo>(&id).unwrap().unwrap();
        let ours = Todo {
            status: status.clone(),
            ..read.record.clone()
        };
        versioned.commit_if(&read, ours).unwrap();
        versioned_ns.push(started.elapsed().as_nanos() as f64);
    }
    let (plain_median, versioned_median) = (median(plain_ns), median(versioned_ns));
    println!(
        "update, {UPDATE_RECORDS} records, {UPDATE_ROUNDS} interleaved rounds: plain {:.0} µs, versioned {:.0} µs, {:.2}x",
        plain_median / 1e3,
        versioned_median / 1e3,
        versioned_median / plain_median
    );
    json!({
        "records": UPDATE_RECORDS,
        "rounds": UPDATE_ROUNDS,
        "plain_median_ns": plain_median,
        "versioned_median_ns": versioned_median,
        "ratio": versioned_median / plain_median,
        "file_bytes": std::fs::metadata(&versioned_path).unwrap().len(),
    })
}

/// The edits of the merge bench: which record each side changes, and how.
struct Edits {
    ours: Vec<(usize, &'static str, String)>,
    theirs: Vec<(usize, &'static str, String)>,
}

fn edits() -> Edits {
    let changed = MERGE_RECORDS / 100;
    let overlap = changed / 5;
    let ours = (0..changed)
        .map(|i| (i * 97 % MERGE_RECORDS, "status", format!("done-{i}")))
        .collect::<Vec<_>>();
    let theirs = (0..changed)
        .map(|i| {
            if i < overlap {
                // Half the overlapping records: the same field; half: another field.
                let field = if i % 2 == 0 { "status" } else { "owner" };
                (ours[i].0, field, format!("theirs-{i}"))
            } else {
                ((i * 89 + 13) % MERGE_RECORDS, "owner", format!("bob-{i}"))
            }
        })
        .collect();
    Edits { ours, theirs }
}

const STAMP0: &str = "2026-01-01T00:00:00.000Z+00000@seed";

fn sdn_row(id: usize, status: &str, owner: &str, version: u64, stamp: &str) -> String {
    let t = todo(id as u32);
    format!(
        "    {id}, {}, \"{}\", {status}, \"{owner}\", {version}, \"{stamp}\", \"\"\n",
        t.area, t.description
    )
}

fn sdn_replica(changes: &[(usize, &'static str, String)], writer: &str) -> String {
    let mut text = String::from(
        "todos |id, area, description, status, owner, version, last_modified, deleted|\n",
    );
    for id in 0..MERGE_RECORDS {
        let (mut status, mut owner, mut version) = ("open".to_owned(), String::new(), 1);
        for (_, field, value) in changes.iter().filter(|(at, _, _)| *at == id) {
            match *field {
                "status" => status = value.clone(),
                _ => owner = value.clone(),
            }
            version += 1;
        }
        let stamp = if version > 1 {
            format!("2026-01-01T00:00:01.000Z+00000@{writer}")
        } else {
            STAMP0.to_owned()
        };
        text.push_str(&sdn_row(id, &status, &owner, version, &stamp));
    }
    text
}

/// Resets the peak resident set (Linux) so the next reading is this step's peak.
fn reset_peak() -> Option<u64> {
    memory::reset_peak().then_some(())?;
    memory::status_kib("VmRSS")
}

fn peak_growth(before: Option<u64>) -> Option<u64> {
    Some(memory::status_kib("VmHWM")?.saturating_sub(before?) * 1024)
}

fn automerge_base() -> Vec<u8> {
    let mut doc = AutoCommit::new().with_actor(ActorId::from(b"seed".as_slice()));
    let todos = doc.put_object(ROOT, "todos", ObjType::Map).unwrap();
    for id in 0..MERGE_RECORDS {
        let t = todo(id as u32);
        let row = doc
            .put_object(&todos, id.to_string(), ObjType::Map)
            .unwrap();
        doc.put(&row, "area", t.area).unwrap();
        doc.put(&row, "description", t.description).unwrap();
        doc.put(&row, "status", t.status).unwrap();
        doc.put(&row, "owner", t.owner).unwrap();
    }
    doc.save()
}

fn automerge_replica(
    base: &[u8],
    actor: &[u8],
    changes: &[(usize, &'static str, String)],
) -> AutoCommit {
    let mut doc = AutoCommit::load(base)
        .unwrap()
        .with_actor(ActorId::from(actor));
    let (_, todos) = doc.get(ROOT, "todos").unwrap().unwrap();
    for (id, field, value) in changes {
        let (_, row) = doc.get(&todos, id.to_string()).unwrap().unwrap();
        doc.put(&row, *field, value.as_str()).unwrap();
    }
    doc.commit();
    doc
}

fn merge_bench() -> serde_json::Value {
    let edits = edits();
    let base = sdn_replica(&[], "seed");
    let ours = sdn_replica(&edits.ours, "dev-a");
    let theirs = sdn_replica(&edits.theirs, "dev-b");
    let options = MergeOptions::default();
    let mut sdn_ns = Vec::new();
    let mut sdn_peak = None;
    let mut merged_bytes = 0;
    let mut conflicts = 0;
    for run in 0..MERGE_RUNS {
        let before = reset_peak();
        let started = Instant::now();
        let merged = merge(&base, &ours, &theirs, &options).unwrap();
        sdn_ns.push(started.elapsed().as_nanos() as f64);
        if run == 0 {
            sdn_peak = peak_growth(before);
            merged_bytes = merged.text.len();
            conflicts = merged.conflicts.len();
        }
    }

    let am_base = automerge_base();
    let mut am_ns = Vec::new();
    let mut am_peak = None;
    let mut am_bytes = 0;
    for run in 0..MERGE_RUNS {
        let mut am_ours = automerge_replica(&am_base, b"dev-a", &edits.ours);
        let mut am_theirs = automerge_replica(&am_base, b"dev-b", &edits.theirs);
        let before = reset_peak();
        let started = Instant::now();
        am_ours.merge(&mut am_theirs).unwrap();
        am_ns.push(started.elapsed().as_nanos() as f64);
        if run == 0 {
            am_peak = peak_growth(before);
            am_bytes = am_ours.save().len();
        }
    }
    let (sdn_median, am_median) = (median(sdn_ns), median(am_ns));
    println!(
        "merge, {MERGE_RECORDS} records, {} + {} changed: versioning {:.1} ms (peak +{:?} B, {merged_bytes} B on disk, {conflicts} conflict candidates); automerge {:.1} ms (peak +{:?} B, {am_bytes} B on disk)",
        edits.ours.len(),
        edits.theirs.len(),
        sdn_median / 1e6,
        sdn_peak,
        am_median / 1e6,
        am_peak,
    );
    json!({
        "records": MERGE_RECORDS,
        "changed_each": edits.ours.len(),
        "overlapping": edits.ours.len() / 5,
        "runs": MERGE_RUNS,
        "versioning": {
            "median_ns": sdn_median,
            "peak_growth_bytes": sdn_peak,
            "bytes_on_disk": merged_bytes,
            "conflict_candidates": conflicts,
        },
        "automerge": {
            "median_ns": am_median,
            "peak_growth_bytes": am_peak,
            "bytes_on_disk": am_bytes,
        },
    })
}

fn main() {
    // Criterion's arguments (from `cargo xtask bench`) are accepted and ignored.
    let mut entries = serde_json::Map::new();
    entries.insert("update".into(), update_bench());
    entries.insert("merge".into(), merge_bench());
    bench_suite::results::store("versioning.json", entries);
}
