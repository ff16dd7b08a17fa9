//! `cargo xtask bench versioning`: what versioning costs, measured side by side in one run.
//!
//! 1. A durable one-record update of a 150-record todo store: record-store's plain
//!    `Store::update` against versioning's read + `commit_if` (version check, stamp), on
//!    two copies of the same migrated file (version columns included), interleaved
//!    round by round.
//! 2. Three-way merge of two 10,000-record replicas with 1% of the records changed on
//!    each side (a fifth of them the same records): `versioning::merge::merge` on SDN
//!    text against the `automerge` crate merging the same edits made to an Automerge
//!    document of the same records. Each side is measured two ways: **in memory** (ours:
//!    the three texts in memory to the merged text, parsing included, since the text is
//!    the document; automerge: two documents already loaded, `merge` alone) and **disk
//!    to disk** (read the input files, merge, write the merged file; automerge also
//!    loads both documents and saves the result). Time (median of several runs), peak
//!    memory growth (Linux `VmHWM` after resetting it) and bytes on disk (the SDN text
//!    and Automerge's saved document, each also compressed with zstd at level 3, as
//!    cloud-sync stores snapshots).
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
    // Both stores start as the same migrated file (version columns included), so both
    // updates rewrite the same bytes and only the versioning differs; plain record-store
    // keeps the columns its record type does not name.
    let seed = Store::open(&versioned_path).unwrap();
    seed.update(|tx| {
        let table = tx.table::<Todo>()?;
        for id in 0..UPDATE_RECORDS {
            table.insert(todo(id))?;
        }
        Ok::<_, record_store::Error>(())
    })
    .unwrap();
    let versioned = VersionedStore::open(
        &versioned_path,
        Options::new(WriterId::new("bench").unwrap()),
    )
    .unwrap();
    versioned.migrate::<Todo>().unwrap();
    std::fs::copy(&versioned_path, &plain_path).unwrap();
    let plain = Store::open(&plain_path).unwrap();

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

/// Median time and peak memory growth (first run) of `runs` runs of `step`; `prepare`
/// runs before each, untimed, and gives the step its input.
fn measure<I, O>(
    runs: usize,
    mut prepare: impl FnMut() -> I,
    mut step: impl FnMut(I) -> O,
) -> (serde_json::Value, O) {
    let mut samples = Vec::with_capacity(runs);
    let mut peak = None;
    let mut first = None;
    for run in 0..runs {
        let input = prepare();
        let before = reset_peak();
        let started = Instant::now();
        let output = step(input);
        samples.push(started.elapsed().as_nanos() as f64);
        if run == 0 {
            peak = peak_growth(before);
            first = Some(output);
        }
    }
    let figures = json!({ "median_ns": median(samples), "peak_growth_bytes": peak });
    (figures, first.expect("at least one run"))
}

fn zstd_len(bytes: &[u8]) -> usize {
    // The level cloud-sync stores snapshots at.
    zstd::bulk::compress(bytes, 3).unwrap().len()
}

fn merge_bench() -> serde_json::Value {
    let edits = edits();
    let dir = tempfile::tempdir().unwrap();
    let file = |name: &str| dir.path().join(name);
    let base = sdn_replica(&[], "seed");
    let ours = sdn_replica(&edits.ours, "dev-a");
    let theirs = sdn_replica(&edits.theirs, "dev-b");
    for (name, text) in [
        ("base.sdn", &base),
        ("ours.sdn", &ours),
        ("theirs.sdn", &theirs),
    ] {
        std::fs::write(file(name), text).unwrap();
    }
    let options = MergeOptions::default();

    // versioning, in memory: the three texts already in memory, the merged text out
    // (parsing included: a text file is the document's in-memory form too).
    let (sdn_memory, merged) = measure(
        MERGE_RUNS,
        || (),
        |()| merge(&base, &ours, &theirs, &options).unwrap(),
    );
    // versioning, disk to disk: read the three files, merge, write the merged file.
    let (sdn_disk, ()) = measure(
        MERGE_RUNS,
        || (),
        |()| {
            let read = |name: &str| std::fs::read_to_string(file(name)).unwrap();
            let merged = merge(
                &read("base.sdn"),
                &read("ours.sdn"),
                &read("theirs.sdn"),
                &options,
            )
            .unwrap();
            std::fs::write(file("merged.sdn"), merged.text).unwrap();
        },
    );

    let am_base = automerge_base();
    let am_ours = automerge_replica(&am_base, b"dev-a", &edits.ours).save();
    let am_theirs = automerge_replica(&am_base, b"dev-b", &edits.theirs).save();
    std::fs::write(file("ours.automerge"), &am_ours).unwrap();
    std::fs::write(file("theirs.automerge"), &am_theirs).unwrap();
    // automerge, in memory: both documents loaded beforehand (untimed), merge alone.
    let (am_memory, am_merged) = measure(
        MERGE_RUNS,
        || {
            (
                AutoCommit::load(&am_ours).unwrap(),
                AutoCommit::load(&am_theirs).unwrap(),
            )
        },
        |(mut ours, mut theirs)| {
            ours.merge(&mut theirs).unwrap();
            ours
        },
    );
    // automerge, disk to disk: read both files, load, merge, save, write.
    let (am_disk, ()) = measure(
        MERGE_RUNS,
        || (),
        |()| {
            let load = |name: &str| AutoCommit::load(&std::fs::read(file(name)).unwrap()).unwrap();
            let (mut ours, mut theirs) = (load("ours.automerge"), load("theirs.automerge"));
            ours.merge(&mut theirs).unwrap();
            std::fs::write(file("merged.automerge"), ours.save()).unwrap();
        },
    );
    let am_bytes = am_merged.clone().save();
    let ms = |figures: &serde_json::Value| figures["median_ns"].as_f64().unwrap_or(0.0) / 1e6;
    println!(
        "merge, {MERGE_RECORDS} records, {} + {} changed: versioning {:.1} ms in memory, {:.1} ms disk to disk ({} B, {} B zstd, {} conflict candidates); automerge {:.1} ms in memory, {:.1} ms disk to disk ({} B)",
        edits.ours.len(),
        edits.theirs.len(),
        ms(&sdn_memory),
        ms(&sdn_disk),
        merged.text.len(),
        zstd_len(merged.text.as_bytes()),
        merged.conflicts.len(),
        ms(&am_memory),
        ms(&am_disk),
        am_bytes.len(),
    );
    json!({
        "records": MERGE_RECORDS,
        "changed_each": edits.ours.len(),
        "overlapping": edits.ours.len() / 5,
        "runs": MERGE_RUNS,
        "versioning": {
            "in_memory": sdn_memory,
            "disk_to_disk": sdn_disk,
            "bytes_on_disk": merged.text.len(),
            "zstd_bytes": zstd_len(merged.text.as_bytes()),
            "conflict_candidates": merged.conflicts.len(),
        },
        "automerge": {
            "in_memory": am_memory,
            "disk_to_disk": am_disk,
            "bytes_on_disk": am_bytes.len(),
            "zstd_bytes": zstd_len(&am_bytes),
        },
    })
}

fn main() {
    // Criterion's arguments (from `cargo xtask bench`) are accepted and ignored.
    let mut entries = serde_json::Map::new();
    entries.insert("update".into(), update_bench());
    entries.insert("merge".into(), merge_bench());
    bench_suite::results::store(bench_suite::results::VERSIONING_FILE, entries);
}
